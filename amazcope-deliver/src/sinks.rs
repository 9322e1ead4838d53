//! Loopback receivers that record what they get: an SMTP server (the `mailin` crate's SMTP
//! state machine over tokio sockets) and a webhook receiver (axum). Real servers for the
//! tests, the demo and the benchmark; never used to deliver anything.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path with its query.
    pub path: String,
    /// Headers (names lowercase).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct HookState {
    received: Mutex<Vec<Received>>,
    /// Scripted answers (status, Retry-After seconds), used first; then 200.
    script: Mutex<VecDeque<(u16, Option<u64>)>>,
    /// Do not keep the bodies (benchmarks).
    count_only: bool,
    count: std::sync::atomic::AtomicU64,
    /// Hold every answer this long (a slow receiver).
    delay: Mutex<Option<Duration>>,
}

/// An axum webhook receiver on 127.0.0.1.
#[derive(Debug)]
pub struct WebhookSink {
    addr: SocketAddr,
    state: Arc<HookState>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for HookState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookState").finish_non_exhaustive()
    }
}

async fn hook(State(state): State<Arc<HookState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let (status, retry_after) = state.script.lock().expect("sink lock").pop_front().unwrap_or((200, None));
    state.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if !state.count_only {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
        state.received.lock().expect("sink lock").push(Received {
            path,
            headers,
            body: body.to_vec(),
            status,
        });
    }
    let delay = *state.delay.lock().expect("sink lock");
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    match retry_after {
        Some(s) => (code, [("retry-after", s.to_string())], "scripted").into_response(),
        None => (code, if code.is_success() { "ok" } else { "refused by the test receiver" }).into_response(),
    }
}

impl WebhookSink {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0, false).await
    }

    /// Starts on `port` (0: any free one); `count_only` keeps counts, not requests.
    pub async fn start_on(port: u16, count_only: bool) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(HookState { count_only, ..HookState::default() });
        let app = Router::new().fallback(hook).with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next request with `status` (and `Retry-After: secs`).
    pub fn respond_next(&self, status: u16, retry_after: Option<u64>) {
        self.state.script.lock().expect("sink lock").push_back((status, retry_after));
    }

    /// Holds every answer for `delay` (the request is counted and kept on arrival).
    pub fn set_delay(&self, delay: Option<Duration>) {
        *self.state.delay.lock().expect("sink lock") = delay;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("sink lock").clone()
    }

    /// How many requests arrived.
    pub fn count(&self) -> u64 {
        self.state.count.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until at least `n` requests arrived or `timeout` passed; returns the count.
    pub async fn wait_for(&self, n: u64, timeout: Duration) -> u64 {
        let end = tokio::time::Instant::now() + timeout;
        while self.count() < n && tokio::time::Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.count()
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One mail the SMTP sink accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`s.
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body).
    pub data: String,
    /// The user that authenticated, if any.
    pub user: Option<String>,
}

impl Mail {
    /// The message with its quoted-printable parts decoded (soft line breaks joined, `=XX`
    /// escapes turned back into bytes), to read the text and HTML as they were written.
    pub fn decoded(&self) -> String {
        quoted_printable::decode(&self.data, quoted_printable::ParseMode::Robust)
            .map_or_else(|_| self.data.clone(), |bytes| String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[derive(Debug, Clone)]
struct MailHandler {
    mails: Arc<Mutex<Vec<Mail>>>,
    login: Option<(String, String)>,
    user: Option<String>,
    current: Option<Mail>,
}

impl mailin::Handler for MailHandler {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> mailin::Response {
        self.current = Some(Mail {
            from: from.to_owned(),
            to: to.to_vec(),
            data: String::new(),
            user: self.user.clone(),
        });
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(m) = &mut self.current {
            m.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> mailin::Response {
        if let Some(m) = self.current.take() {
            self.mails.lock().expect("sink lock").push(m);
        }
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> mailin::Response {
        match &self.login {
            Some((u, p)) if u == user && p == password => {
                self.user = Some(user.to_owned());
                mailin::response::AUTH_OK
            }
            _ => mailin::response::INVALID_CREDENTIALS,
        }
    }
}

/// An SMTP server on 127.0.0.1 that accepts every mail (optionally only after `AUTH PLAIN`
/// with one login) and keeps it.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts on a free port; `login` = (user, password) requires authentication.
    pub async fn start(login: Option<(&str, &str)>) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let mails = Arc::new(Mutex::new(Vec::new()));
        let login = login.map(|(u, p)| (u.to_owned(), p.to_owned()));
        let handler = MailHandler { mails: mails.clone(), login: login.clone(), user: None, current: None };
        let task = tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let handler = handler.clone();
                let auth = login.is_some();
                tokio::spawn(async move {
                    let _ = serve_smtp(stream, peer.ip(), handler, auth).await;
                });
            }
        });
        Ok(Self { addr, mails, task })
    }

    /// `smtp://127.0.0.1:PORT` (plain; lettre's URL form).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The mails accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("sink lock").clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_smtp(
    stream: tokio::net::TcpStream,
    ip: IpAddr,
    handler: MailHandler,
    auth: bool,
) -> io::Result<()> {
    let mut builder = mailin::SessionBuilder::new("amazcope-sink");
    if auth {
        builder.enable_auth(mailin::AuthMechanism::Plain);
        // Loopback only: no TLS in the sink.
        builder.insecure_enable_plaintext_auth();
    }
    let mut session = builder.build(ip, handler);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            mailin::Action::Reply => write.write_all(&response.buffer()?).await?,
            mailin::Action::Close => {
                write.write_all(&response.buffer()?).await?;
                return Ok(());
            }
            mailin::Action::NoReply => {}
            // The sink offers no STARTTLS.
            mailin::Action::UpgradeTls => return Ok(()),
        }
    }
}
