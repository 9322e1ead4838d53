//! Retries, URLs and headers, against wiremock.

use super::*;

// ---------------------------------------------------------------- retries (wiremock)

#[tokio::test]
async fn two_503_then_200_is_fetched_on_the_third_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/dp/B00AYQNR46"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/dp/B00AYQNR46"))
        .respond_with(ResponseTemplate::new(200).set_body_string(product_body()))
        .expect(1)
        .mount(&server)
        .await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let page =
        f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.expect("third try succeeds");
    assert_eq!(page.attempts, 3, "attempts");
    assert_eq!(page.status, 200, "status");
    assert_eq!(page.body, product_body(), "body");
    assert_eq!(page.url, format!("{}/dp/B00AYQNR46", server.uri()), "url");
    let m = f.metrics().marketplace(Marketplace::Com);
    assert_eq!((m.requests, m.retries, m.throttled, m.succeeded, m.failed), (3, 2, 2, 1, 0), "metrics {m:?}");
}

#[tokio::test]
async fn always_503_ends_throttled_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).expect(4).mount(&server).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::Throttled { status: 503, attempts: 4, .. }), "{err:?}");
    assert_eq!(err.attempts(), 4);
    assert_eq!(
        FetchFailure::from(err),
        FetchFailure::Throttled { url: format!("{}/dp/B00AYQNR46", server.uri()), status: 503, attempts: 4 }
    );
    let m = f.metrics().marketplace(Marketplace::Com);
    assert_eq!((m.requests, m.retries, m.failed), (4, 3, 1), "metrics {m:?}");
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_with_their_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).expect(4).mount(&server).await;
    let f = fetcher_for(fast_config(), Marketplace::De, &server.uri());
    let err = f.fetch_product(Marketplace::De, &asin("B00004YS4O"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::Status { status: 500, attempts: 4, .. }), "{err:?}");
}

#[tokio::test]
async fn not_found_is_reported_without_retrying() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).expect(1).mount(&server).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::NotFound { attempts: 1, .. }), "{err:?}");
}

#[tokio::test]
async fn forbidden_is_reported_without_retrying() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(403)).expect(1).mount(&server).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::Status { status: 403, attempts: 1, .. }), "{err:?}");
}

#[tokio::test]
async fn captcha_page_with_200_is_a_captcha_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(captcha_body()))
        .expect(1)
        .mount(&server)
        .await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::Captcha { status: 200, attempts: 1, marketplace: Some(Marketplace::Com), .. }
        ),
        "{err:?}"
    );
    assert_eq!(f.metrics().marketplace(Marketplace::Com).captchas, 1, "captcha counter");
}

#[tokio::test]
async fn captcha_retries_from_the_policy_are_made_after_the_cooldown() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string(captcha_body()))
        .expect(2)
        .mount(&server)
        .await;
    let mut config = fast_config().with_captcha_cooldown(30 * MS);
    config.retry.captcha_retries = 1;
    let f = fetcher_for(config, Marketplace::Com, &server.uri());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::Captcha { status: 503, attempts: 2, .. }), "{err:?}");
    assert_eq!(f.metrics().marketplace(Marketplace::Com).captchas, 2);
}

// ---------------------------------------------------------------- urls and headers (wiremock)

#[tokio::test]
async fn product_bestseller_and_review_urls_reach_their_paths() {
    let server = MockServer::start().await;
    Mock::given(path("/de/dp/B00004YS4O"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/de/gp/bestsellers/electronics/3468301"))
        .and(query_param("pg", "2"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/de/product-reviews/B00004YS4O/"))
        .and(query_param("pageNumber", "3"))
        .and(query_param("sortBy", "recent"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let f = fetcher_for(fast_config(), Marketplace::De, &format!("{}/de", server.uri()));
    let a = asin("B00004YS4O");
    f.fetch_product(Marketplace::De, &a, None).await.expect("product");
    f.fetch_bestsellers(Marketplace::De, Some("electronics/3468301"), 2, None).await.expect("bestsellers");
    f.fetch_reviews(Marketplace::De, &a, 3, ReviewSort::Recent, None).await.expect("reviews");
    assert_eq!(f.metrics().marketplace(Marketplace::De).succeeded, 3);
}

#[tokio::test]
async fn requests_carry_browser_headers_in_the_marketplace_language() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(3).mount(&server).await;
    let config = fast_config().with_user_agents(["agent-one/1.0", "agent-two/2.0"]);
    let f = fetcher_for(config, Marketplace::De, &server.uri());
    for _ in 0..3 {
        f.fetch_product(Marketplace::De, &asin("B00004YS4O"), None).await.expect("fetched");
    }
    let requests = server.received_requests().await.unwrap();
    let agents: Vec<String> =
        requests.iter().map(|r| r.headers.get("user-agent").unwrap().to_str().unwrap().to_string()).collect();
    assert_eq!(agents, vec!["agent-one/1.0", "agent-two/2.0", "agent-one/1.0"], "user agents rotate");
    for r in &requests {
        // Read raw: wiremock's `header` matcher splits values at commas.
        let language = r.headers.get("accept-language").unwrap().to_str().unwrap();
        assert_eq!(language, "de-DE,de;q=0.9,en;q=0.8", "accept-language");
        let accept = r.headers.get("accept").unwrap().to_str().unwrap();
        assert!(accept.starts_with("text/html"), "accept: {accept}");
    }
}

#[tokio::test]
async fn cookies_set_by_the_store_are_sent_back() {
    let server = MockServer::start().await;
    Mock::given(header("cookie", "session-id=123-456"))
        .respond_with(ResponseTemplate::new(200).set_body_string("with cookie"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).insert_header("set-cookie", "session-id=123-456; Path=/"))
        .expect(1)
        .mount(&server)
        .await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let first = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap();
    assert_eq!(first.body, "");
    let second = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap();
    assert_eq!(second.body, "with cookie");
}

#[tokio::test]
async fn fetch_html_finds_the_marketplace_of_an_overridden_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(1).mount(&server).await;
    let f = fetcher_for(fast_config(), Marketplace::CoJp, &format!("{}/jp/", server.uri()));
    f.fetch_html(&format!("{}/jp/dp/B07WXL5YPW", server.uri())).await.unwrap();
    assert_eq!(f.metrics().marketplace(Marketplace::CoJp).requests, 1);
    assert_eq!(f.metrics().other.requests, 0);
}

#[tokio::test]
async fn invalid_urls_are_rejected_before_any_request() {
    let f = Fetcher::new(fast_config()).unwrap();
    for bad in ["not a url", "ftp://example.org/x"] {
        let err = f.fetch_html(bad).await.unwrap_err();
        assert!(matches!(err, FetchError::InvalidUrl { .. }), "{bad}: {err:?}");
        assert_eq!(err.attempts(), 0);
    }
    let err = f.fetch_bestsellers(Marketplace::Com, Some("../../etc"), 1, None).await.unwrap_err();
    assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err:?}");
    assert_eq!(f.metrics().total().requests, 0);
}
