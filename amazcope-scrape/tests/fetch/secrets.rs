//! Proxy credentials never reach an error message (issue 16): neither a proxy URL the client
//! refuses nor a proxy that cannot be reached shows its password, in `Display`, in the
//! `source()` chain or in `Debug`.

use super::*;

const PASSWORD: &str = "Pr0xyS3cretPw";

/// The error's message, each cause's, and its Debug text, joined.
fn everything(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{e} | {e:?}");
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!(" | {c} | {c:?}"));
        cause = c.source();
    }
    out
}

#[test]
fn a_refused_proxy_url_is_named_without_its_password() {
    // Not a valid URL (the port is not a number), so the client refuses it at build time.
    let proxy = format!("http://bob:{PASSWORD}@proxy.invalid:notaport");
    let err = Fetcher::new(fast_config().with_proxy(proxy)).expect_err("invalid proxy refused");
    let text = everything(&err);
    assert!(!text.contains(PASSWORD), "password in: {text}");
    assert!(err.to_string().contains("http://bob:***@proxy.invalid"), "the proxy is still named: {err}");
}

#[tokio::test]
async fn an_unreachable_proxy_fails_without_its_password() {
    // A port with nobody listening, for the proxy and the page alike.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let proxy = format!("http://bob:{PASSWORD}@127.0.0.1:{port}");
    let fetcher = Fetcher::new(fast_config().with_proxy(proxy)).expect("a well-formed proxy builds");
    let err = fetcher.fetch_html(&format!("http://127.0.0.1:{port}/dp/B000000001")).await.unwrap_err();
    let text = everything(&err);
    assert!(!text.contains(PASSWORD), "password in: {text}");
}
