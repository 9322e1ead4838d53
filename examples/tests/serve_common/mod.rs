//! Shared by the `amazcope serve` tests: a database of its own with users and API tokens made
//! by the real CLI, the service listening on 127.0.0.1 (a free port), and helpers to store
//! history and suggestions.

#![allow(dead_code)]

use crate::common::TestDb;
use amazcope_core::model::suggestion::{NewSuggestion, NewSuggestionAction, Suggestion};
use amazcope_core::{
    ActionType, SuggestionCategory, SuggestionPriority, SuggestionRepository, UserRepository,
};
use amazcope_examples::serve::{self, AppState};
use amazcope_pg::PgStore;
use amazcope_scrape::fetch::Fetcher;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A running service over its own database.
pub struct Server {
    pub db: TestDb,
    pub store: PgStore,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A saved page from the fixtures (a missing folder fails loudly).
pub fn fixture(name: &str) -> PathBuf {
    let dir = std::env::var("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/pages"))
    });
    assert!(dir.is_dir(), "fixture folder {} is missing (set AMAZCOPE_FIXTURES)", dir.display());
    dir.join(name)
}

impl Server {
    /// A fresh database with `users`, and the service listening on 127.0.0.1.
    pub async fn start(tag: &str, users: &[&str]) -> Server {
        Self::start_with(tag, users, None).await
    }

    /// [`Server::start`] with the service fetching pages for `POST .../refresh` through
    /// `fetcher` (as `amazcope serve --base-url URL` does).
    pub async fn start_with(tag: &str, users: &[&str], fetcher: Option<Fetcher>) -> Server {
        // reqwest here is built on rustls without a provider of its own (see amazcope-scrape).
        amazcope_scrape::fetch::install_tls_provider();
        let db = TestDb::with_users(&format!("serve_{tag}"), users).await;
        let store = PgStore::connect_url(&db.url).await.expect("connect");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut state = AppState::new(store.clone());
        if let Some(f) = fetcher {
            state = state.with_fetcher(f);
        }
        let task = tokio::spawn(serve::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Server { db, store, addr, stop: Some(tx), task }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A token for `user`, made by `amazcope token create` (its stdout is the token alone).
    pub fn token(&self, user: &str) -> String {
        let out = self.db.ok(&["token", "create", "--user", user, "--name", "tests"]);
        let token = out.trim().to_owned();
        assert!(token.starts_with("amz_") && token.len() == 68, "token create printed {out:?}");
        token
    }

    /// Stores `file` (optionally with `from` replaced by `to` in its text) as fetched at `at`,
    /// through `amazcope import`.
    pub fn import(&self, user: &str, file: &str, at: &str, replace: Option<(&str, &str)>) {
        let src = fixture(file);
        let path = match replace {
            None => src,
            Some((from, to)) => {
                let dir = std::env::temp_dir().join(format!("serve_import_{}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                let text = std::fs::read_to_string(&src).unwrap().replace(from, to);
                let p = dir.join(format!("{at}_{file}"));
                std::fs::write(&p, text).unwrap();
                p
            }
        };
        self.db.ok(&["import", path.to_str().unwrap(), "--user", user, "--scraped-at", at]);
    }

    /// A pending suggestion for `user` with two actions, stored through the library.
    pub async fn suggestion(&self, user: &str, key: &str) -> Suggestion {
        let u = self.store.user_by_name(user).await.unwrap().unwrap();
        let action = |field: &str, value: &str| NewSuggestionAction {
            action_type: ActionType::UpdatePrice,
            target_field: field.into(),
            current_value: Some("10.99".into()),
            proposed_value: value.into(),
            reasoning: "below the category median".into(),
            impact_description: None,
        };
        let new = NewSuggestion {
            user_id: u.id,
            product_id: None,
            title: format!("Lower the price ({key})"),
            description: "Competitors sell for less.".into(),
            reasoning: "r".into(),
            priority: SuggestionPriority::High,
            category: SuggestionCategory::Pricing,
            ai_model: "rules-v1".into(),
            confidence_score: Some(0.8),
            expires_at: None,
            estimated_impact: None,
            dedup_key: key.into(),
            actions: vec![action("price", "9.99"), action("target_price", "9.49")],
        };
        self.store.create_suggestion(&new).await.unwrap().expect("a new suggestion")
    }

    /// Stops the service (graceful shutdown) and drops the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap().unwrap();
        self.store.pool().close().await;
        self.db.drop_db().await;
    }
}
