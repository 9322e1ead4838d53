//! The dashboard in a real headless Chromium (Debian's `chromium`, installed by scripts/test),
//! driven over the DevTools protocol: log in with the form, load a product page whose chart
//! has one point per stored day, approve a suggestion with its button. Screenshots of both
//! pages are written to `target/serve-screenshots/`.

mod common;
mod serve_common;

use amazcope_core::{SuggestionRepository, UserRepository};
use base64::Engine;
use chrono::{Duration, Utc};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use serve_common::Server;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Chromium's binary: `CHROMIUM`, else `chromium` on PATH. Missing is a loud failure.
fn chromium_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser"] {
        if let Some(p) = std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()))
        {
            return p;
        }
    }
    panic!("chromium is not installed: run ./scripts/test (it installs Debian's chromium) or set CHROMIUM");
}

/// A headless Chromium with one page, spoken to over its DevTools websocket.
struct Browser {
    child: Child,
    ws: Ws,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(chromium_binary())
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--window-size=1100,900",
                &format!("--remote-debugging-port={port}"),
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // The page target's websocket, from the DevTools HTTP endpoint once it is up.
        let list_url = format!("http://127.0.0.1:{port}/json/list");
        let mut ws_url = None;
        for _ in 0..150 {
            if let Ok(res) = reqwest::get(&list_url).await
                && let Ok(targets) = res.json::<Vec<Value>>().await
                && let Some(page) = targets.iter().find(|t| t["type"] == "page")
            {
                ws_url = page["webSocketDebuggerUrl"].as_str().map(str::to_owned);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let ws_url = ws_url.expect("chromium's DevTools endpoint did not come up in 15 s");
        let (ws, _) = tokio_tungstenite::connect_async(ws_url).await.expect("connect to DevTools");
        let mut b = Browser { child, ws, next_id: 0, _profile: profile };
        b.call("Page.enable", json!({})).await;
        b
    }

    /// Sends a command and waits for its answer (events in between are dropped).
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).await.unwrap();
        loop {
            let v = self.next_message().await;
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
        }
    }

    async fn next_message(&mut self) -> Value {
        let next = tokio::time::timeout(std::time::Duration::from_secs(20), self.ws.next())
            .await
            .expect("no DevTools message in 20 s")
            .expect("DevTools websocket closed")
            .unwrap();
        match next {
            Message::Text(t) => serde_json::from_str(&t).unwrap(),
            _ => Value::Null,
        }
    }

    async fn wait_load(&mut self) {
        loop {
            if self.next_message().await["method"] == "Page.loadEventFired" {
                return;
            }
        }
    }

    async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
        self.wait_load().await;
    }

    /// Runs `js` in the page; its value.
    async fn eval(&mut self, js: &str) -> Value {
        let r = self.call("Runtime.evaluate", json!({"expression": js, "returnByValue": true})).await;
        assert!(r.get("exceptionDetails").is_none(), "{js}: {r}");
        r["result"]["value"].clone()
    }

    /// Runs `js` that navigates (a form submit, a click) and waits for the new page.
    async fn eval_and_wait(&mut self, js: &str) {
        self.eval(js).await;
        self.wait_load().await;
    }

    async fn screenshot(&mut self, name: &str) -> PathBuf {
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true}))
            .await;
        let png = base64::engine::general_purpose::STANDARD.decode(r["data"].as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/serve-screenshots"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn dashboard_in_chromium_shows_the_chart_and_approves_a_suggestion() {
    let s = Server::start("browser", &["alice", "bob"]).await;
    let token = s.token("alice");
    s.db.ok(&["track", "add", "B0011UCPM4", "--user", "alice"]);
    // Six stored days, one with two snapshots: the chart has one point per day.
    let prices = ["10.99", "10.49", "9.99", "11.49", "8.99", "9.49"];
    for (i, p) in prices.iter().enumerate() {
        let at = (Utc::now() - Duration::days(10 - i as i64)).format("%Y-%m-%dT09:00:00Z").to_string();
        s.import("alice", "com_dp_B0011UCPM4.html", &at, Some(("10.99", p)));
    }
    let extra = (Utc::now() - Duration::days(10)).format("%Y-%m-%dT18:00:00Z").to_string();
    s.import("alice", "com_dp_B0011UCPM4.html", &extra, None);
    let alice = s.store.user_by_name("alice").await.unwrap().unwrap();
    let product: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE asin = 'B0011UCPM4'")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    let days: i64 = sqlx::query_scalar("SELECT count(DISTINCT (scraped_at AT TIME ZONE 'UTC')::date) FROM product_snapshots WHERE product_id = $1")
        .bind(product)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(days, 6);
    let suggestion = s.suggestion("alice", "browser").await;

    let mut b = Browser::launch().await;
    // Without the cookie the dashboard is the login form.
    b.goto(&s.url("/")).await;
    assert_eq!(
        b.eval("document.querySelectorAll('form[action=\"/login\"] input[name=token]').length").await,
        1
    );
    // A wrong token is refused; the right one logs in and lands on the product list.
    b.eval_and_wait("document.querySelector('input[name=token]').value='amz_wrong'; document.querySelector('form[action=\"/login\"]').submit()").await;
    assert!(b.eval("document.body.innerText").await.as_str().unwrap().contains("not valid"));
    b.eval_and_wait(&format!(
        "document.querySelector('input[name=token]').value='{token}'; document.querySelector('form[action=\"/login\"]').submit()"
    ))
    .await;
    let list = b.eval("document.body.innerText").await;
    assert!(list.as_str().unwrap().contains("B0011UCPM4"), "product list: {list}");
    assert_eq!(
        b.eval("document.querySelectorAll('svg.sparkline').length").await,
        1,
        "a sparkline per product"
    );
    b.screenshot("products.png").await;

    // The product page: the chart has one price point per stored day, on those days.
    b.goto(&s.url(&format!("/products/{product}"))).await;
    let points = b.eval("document.querySelectorAll('svg.chart circle.price-point').length").await;
    assert_eq!(points.as_i64(), Some(days), "one chart point per stored day");
    let bsr_points = b.eval("document.querySelectorAll('svg.chart circle.bsr-point').length").await;
    assert_eq!(bsr_points.as_i64(), Some(days));
    let first_day = (Utc::now() - Duration::days(10)).date_naive().to_string();
    assert_eq!(
        b.eval("document.querySelector('svg.chart circle.price-point').dataset.day").await,
        first_day.as_str()
    );
    let text = b.eval("document.body.innerText").await;
    assert!(
        text.as_str().unwrap().contains("Statistics") && text.as_str().unwrap().contains("Alerts"),
        "{text}"
    );
    b.screenshot("product.png").await;

    // Bob's session sees no chart of alice's product: 404.
    let bob_token = s.token("bob");
    let res = reqwest::Client::new()
        .get(s.url(&format!("/products/{product}")))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);

    // Approve with the button: the stored status changes and the page shows it.
    b.goto(&s.url("/suggestions")).await;
    let sel = format!("#s-{} button.approve", suggestion.id);
    assert_eq!(b.eval(&format!("document.querySelectorAll('{sel}').length")).await, 1);
    b.screenshot("suggestions-before.png").await;
    b.eval_and_wait(&format!("document.querySelector('{sel}').click()")).await;
    let stored = s.store.suggestion(alice.id, suggestion.id).await.unwrap();
    assert_eq!(stored.status.to_string(), "approved");
    let shown =
        b.eval(&format!("document.querySelector('#s-{} .status').dataset.status", suggestion.id)).await;
    assert_eq!(shown, "approved");
    assert_eq!(
        b.eval(&format!("document.querySelectorAll('{sel}').length")).await,
        0,
        "no button once reviewed"
    );
    b.screenshot("suggestions-after.png").await;
    drop(b);
    s.stop().await;
}
