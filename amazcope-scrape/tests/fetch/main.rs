//! The fetcher against real HTTP servers on 127.0.0.1: wiremock for status scripts with
//! request-count expectations, and a small hand-written server for what wiremock cannot do
//! (connection resets, arrival instants, requests in flight, proxy request lines).
//!
//! Durations are tens of milliseconds. Assertions are on counts, outcomes and the order and
//! spacing of arrivals the server recorded, never on how long the client took.

use amazcope_core::model::page::ParsedPage;
use amazcope_core::{Asin, FetchFailure, Marketplace, PageSource};
use amazcope_scrape::fetch::{
    AttemptError, FetchError, Fetcher, FetcherConfig, PageParser, RetryPolicy, ReviewSort, ScrapeSource,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MS: Duration = Duration::from_millis(1);
/// Spacing checks allow this much slack for scheduling between the client's clock and the
/// server's.
const TOLERANCE: Duration = Duration::from_millis(30);

// ---------------------------------------------------------------- fixtures

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("shared/fixtures/pages")
    });
    assert!(
        dir.is_dir(),
        "fixture pages not found at {} (set AMAZCOPE_FIXTURES to the shared/fixtures/pages folder)",
        dir.display()
    );
    dir
}

fn fixture(name: &str) -> String {
    let p = fixtures_dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

const PRODUCT_FIXTURE: &str = "com_dp_B00AYQNR46.html";
const CAPTCHA_FIXTURE: &str = "com_captcha_captcha-field-keywords.html";

fn product_body() -> String {
    fixture(PRODUCT_FIXTURE)
}

fn captcha_body() -> String {
    fixture(CAPTCHA_FIXTURE)
}

fn asin(s: &str) -> Asin {
    s.parse().unwrap()
}

/// Fast settings: tiny backoff, no spacing, generous concurrency.
fn fast_config() -> FetcherConfig {
    FetcherConfig::default()
        .with_retry(RetryPolicy {
            max_attempts: 4,
            base_delay: 5 * MS,
            max_delay: 20 * MS,
            max_retry_after: Duration::from_secs(5),
            captcha_retries: 0,
        })
        .with_timeout(Duration::from_secs(5))
        .with_min_spacing(Duration::ZERO)
        .with_max_concurrency(16)
        .with_captcha_cooldown(Duration::from_secs(60))
}

fn fetcher_for(config: FetcherConfig, marketplace: Marketplace, base: &str) -> Fetcher {
    Fetcher::new(config.with_base_url(marketplace, base)).expect("fetcher builds")
}

// ---------------------------------------------------------------- scripted server

#[derive(Clone)]
enum Step {
    Respond {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Arc<String>,
        delay: Duration,
    },
    /// Read the request, then close with RST and no answer.
    Reset,
}

fn ok(body: &str) -> Step {
    Step::Respond { status: 200, headers: vec![], body: Arc::new(body.to_string()), delay: Duration::ZERO }
}

fn status(code: u16) -> Step {
    Step::Respond { status: code, headers: vec![], body: Arc::new(String::new()), delay: Duration::ZERO }
}

fn slow(body: &str, delay: Duration) -> Step {
    Step::Respond { status: 200, headers: vec![], body: Arc::new(body.to_string()), delay }
}

#[derive(Debug, Clone)]
struct Arrival {
    at: Instant,
    /// The request target as sent (`/dp/X`, or `http://host/dp/X` through a proxy).
    target: String,
    headers: Vec<(String, String)>,
}

/// Answers requests in order from a script (the last step repeats) and records each
/// request's arrival instant, and the most requests it had in flight at once.
struct ScriptServer {
    addr: std::net::SocketAddr,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    max_in_flight: Arc<AtomicUsize>,
}

impl ScriptServer {
    async fn start(script: Vec<Step>) -> Self {
        assert!(!script.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let next = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (a, m) = (arrivals.clone(), max_in_flight.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (a, m, f, n, s) = (a.clone(), m.clone(), in_flight.clone(), next.clone(), script.clone());
                tokio::spawn(async move { serve(stream, a, m, f, n, s).await });
            }
        });
        Self { addr, arrivals, max_in_flight }
    }

    fn base(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.arrivals.lock().unwrap().len()
    }
}

async fn serve(
    mut stream: TcpStream,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    max_in_flight: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    next: Arc<AtomicUsize>,
    script: Arc<Vec<Step>>,
) {
    // One request per connection: every answer says `Connection: close`.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let target = lines.next().unwrap_or_default().split(' ').nth(1).unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    arrivals.lock().unwrap().push(Arrival { at, target, headers });
    let i = next.fetch_add(1, Ordering::SeqCst);
    let step = script[i.min(script.len() - 1)].clone();
    let now_in = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max_in_flight.fetch_max(now_in, Ordering::SeqCst);
    match step {
        Step::Reset => {
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Step::Respond { status, headers, body, delay } => {
            tokio::time::sleep(delay).await;
            // Out of flight before the answer leaves: once the client has it, it may send the
            // next request, which must not find this one still counted.
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

fn gaps(arrivals: &[Arrival]) -> Vec<Duration> {
    arrivals.windows(2).map(|w| w[1].at.duration_since(w[0].at)).collect()
}

mod faults;
mod requests;
mod secrets;
