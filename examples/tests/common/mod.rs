//! Shared by the integration tests that run the `amazcope` binary: a database of its own per
//! test, created on the server in `DATABASE_URL` and dropped afterwards.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use std::process::{Command, Output};

/// A database of its own for one test; dropped with the test.
pub struct TestDb {
    admin_url: String,
    /// The database's name.
    pub name: String,
    /// Its connection URL.
    pub url: String,
}

/// `url` with its database replaced, keeping the query (`?host=/socket/dir` of the private
/// cluster).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("DATABASE_URL ends with /database");
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

impl TestDb {
    /// An empty database named `{prefix}_{process id}`.
    pub async fn empty(prefix: &str) -> TestDb {
        let base = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must point at a PostgreSQL server for the CLI tests");
        let admin_url = with_database(&base, "postgres");
        let name = format!("{prefix}_{}", std::process::id());
        // Database names are built from a fixed prefix and the process id only.
        let mut c = PgConnection::connect(&admin_url).await.expect("connect to the server");
        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
        c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        TestDb { url: with_database(&base, &name), admin_url, name }
    }

    /// A database upgraded to the latest schema by `amazcope db upgrade`.
    pub async fn new(tag: &str) -> TestDb {
        let db = TestDb::empty(&format!("amzcli_{tag}")).await;
        db.ok(&["db", "upgrade"]);
        db
    }
    /// An upgraded database with these users added.
    pub async fn with_users(tag: &str, users: &[&str]) -> TestDb {
        let db = TestDb::new(tag).await;
        for u in users {
            db.ok(&["user", "add", u]);
        }
        db
    }

    /// Runs `amazcope` on this database.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_amazcope"))
            .args(args)
            .env("DATABASE_URL", &self.url)
            .output()
            .expect("run amazcope")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "amazcope {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "amazcope {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Runs, expects success and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap_or_else(|e| panic!("amazcope {args:?}: not JSON: {e}"))
    }

    /// Drops the database.
    pub async fn drop_db(self) {
        let mut c = PgConnection::connect(&self.admin_url).await.unwrap();
        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .await
            .unwrap();
    }
}
