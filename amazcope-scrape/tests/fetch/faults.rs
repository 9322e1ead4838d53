//! Faults, spacing and cancellation, against the scripted server.

use super::*;

// ---------------------------------------------------------------- faults (scripted server)

#[tokio::test]
async fn retry_after_is_honoured_over_the_backoff() {
    let s = ScriptServer::start(vec![
        Step::Respond {
            status: 429,
            headers: vec![("retry-after", "1".into())],
            body: Arc::new(String::new()),
            delay: Duration::ZERO,
        },
        ok("fine"),
    ])
    .await;
    // Backoff alone would wait at most 20 ms.
    let f = fetcher_for(fast_config(), Marketplace::Com, &s.base());
    let page = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.expect("second try");
    assert_eq!(page.attempts, 2);
    assert_eq!(page.body, "fine");
    let g = gaps(&s.arrivals());
    assert_eq!(g.len(), 1);
    assert!(g[0] + TOLERANCE >= Duration::from_secs(1), "retry came {:?} after the 429", g[0]);
}

#[tokio::test]
async fn captcha_backs_off_that_marketplace_only() {
    let body = captcha_body();
    let com = ScriptServer::start(vec![ok(&body), ok("product")]).await;
    let de = ScriptServer::start(vec![ok("produkt")]).await;
    let cooldown = 300 * MS;
    let config = fast_config()
        .with_captcha_cooldown(cooldown)
        .with_base_url(Marketplace::Com, com.base())
        .with_base_url(Marketplace::De, de.base());
    let f = Fetcher::new(config).unwrap();
    let a = asin("B00AYQNR46");
    let err = f.fetch_product(Marketplace::Com, &a, None).await.unwrap_err();
    assert!(matches!(err, FetchError::Captcha { attempts: 1, .. }), "{err:?}");
    assert_eq!(com.count(), 1, "no retry after a captcha");

    let (f2, a2) = (f.clone(), a);
    let again = tokio::spawn(async move { f2.fetch_product(Marketplace::Com, &a2, None).await });
    let other =
        f.fetch_product(Marketplace::De, &a, None).await.expect("other marketplace is not backed off");
    assert_eq!(other.body, "produkt");
    let again = again.await.unwrap().expect("after the cool-down the marketplace answers");
    assert_eq!(again.body, "product");

    let com_arrivals = com.arrivals();
    let de_arrivals = de.arrivals();
    assert_eq!(com_arrivals.len(), 2);
    assert!(de_arrivals[0].at < com_arrivals[1].at, "the other marketplace went first");
    let waited = com_arrivals[1].at.duration_since(com_arrivals[0].at);
    assert!(waited + TOLERANCE >= cooldown, "second request came {waited:?} after the captcha");
}

#[tokio::test]
async fn slow_responses_time_out_and_are_retried() {
    let s = ScriptServer::start(vec![slow("late", Duration::from_secs(2))]).await;
    let mut config = fast_config().with_timeout(200 * MS);
    config.retry.max_attempts = 2;
    let f = fetcher_for(config, Marketplace::Com, &s.base());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { attempts: 2, .. }), "{err:?}");
    assert_eq!(s.count(), 2, "requests made");
}

#[tokio::test]
async fn a_slow_first_answer_is_retried_into_a_page() {
    let s = ScriptServer::start(vec![slow("late", Duration::from_secs(2)), ok("prompt")]).await;
    let f = fetcher_for(fast_config().with_timeout(200 * MS), Marketplace::Com, &s.base());
    let page = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.expect("second try");
    assert_eq!((page.attempts, page.body.as_str()), (2, "prompt"));
}

#[tokio::test]
async fn connection_resets_are_retried() {
    let s = ScriptServer::start(vec![Step::Reset, Step::Reset, ok("after resets")]).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &s.base());
    let page = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.expect("third try");
    assert_eq!((page.attempts, page.body.as_str()), (3, "after resets"));
    assert_eq!(s.count(), 3);
}

#[tokio::test]
async fn endless_resets_give_up_with_the_network_cause() {
    let s = ScriptServer::start(vec![Step::Reset]).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &s.base());
    let err = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::GaveUp { attempts: 4, last: AttemptError::Network(_), .. }), "{err:?}");
    assert_eq!(s.count(), 4);
    let failure = FetchFailure::from(err);
    assert!(matches!(failure, FetchFailure::GaveUp { attempts: 4, .. }), "{failure:?}");
}

#[tokio::test]
async fn cancelling_during_a_backoff_returns_cancelled() {
    let s = ScriptServer::start(vec![status(503)]).await;
    let mut config = fast_config();
    // A backoff this long would never end within the test.
    config.retry.base_delay = Duration::from_secs(600);
    config.retry.max_delay = Duration::from_secs(600);
    let f = fetcher_for(config, Marketplace::Com, &s.base());
    let token = CancellationToken::new();
    let (f2, t2) = (f.clone(), token.clone());
    let task =
        tokio::spawn(async move { f2.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), Some(&t2)).await });
    while s.count() == 0 {
        tokio::time::sleep(5 * MS).await;
    }
    tokio::time::sleep(20 * MS).await;
    token.cancel();
    // The guard only keeps a broken cancellation from hanging the suite.
    let result =
        tokio::time::timeout(Duration::from_secs(30), task).await.expect("cancelled fetch returns").unwrap();
    let err = result.unwrap_err();
    assert!(matches!(err, FetchError::Cancelled { .. }), "{err:?}");
    assert!(err.attempts() >= 1);
    assert_eq!(f.metrics().marketplace(Marketplace::Com).failed, 0, "cancellations are not failures");
}

#[tokio::test]
async fn cancelling_the_fetcher_ends_a_request_in_flight() {
    let s = ScriptServer::start(vec![slow("never in time", Duration::from_secs(600))]).await;
    let f = fetcher_for(fast_config().with_timeout(Duration::from_secs(600)), Marketplace::Com, &s.base());
    let f2 = f.clone();
    let task =
        tokio::spawn(async move { f2.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await });
    while s.count() == 0 {
        tokio::time::sleep(5 * MS).await;
    }
    f.cancel();
    let result =
        tokio::time::timeout(Duration::from_secs(30), task).await.expect("cancelled fetch returns").unwrap();
    assert!(matches!(result, Err(FetchError::Cancelled { attempts: 1, .. })), "{result:?}");
    // Later fetches end at once.
    let later = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await;
    assert!(matches!(later, Err(FetchError::Cancelled { attempts: 0, .. })), "{later:?}");
    assert_eq!(s.count(), 1);
}

#[tokio::test]
async fn requests_to_one_marketplace_are_spaced() {
    let s = ScriptServer::start(vec![ok("x")]).await;
    let spacing = 80 * MS;
    let config = fast_config().with_marketplace_spacing(Marketplace::Fr, spacing);
    let f = fetcher_for(config, Marketplace::Fr, &s.base());
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.fetch_product(Marketplace::Fr, &asin("B01LW7X0JJ"), None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("fetched");
    }
    let arrivals = s.arrivals();
    assert_eq!(arrivals.len(), 5);
    for (i, g) in gaps(&arrivals).into_iter().enumerate() {
        assert!(g + TOLERANCE >= spacing, "gap {i} was {g:?}, spacing {spacing:?}");
    }
}

#[tokio::test]
async fn spacing_of_one_marketplace_does_not_hold_up_another() {
    let slow_store = ScriptServer::start(vec![ok("a")]).await;
    let other_store = ScriptServer::start(vec![ok("b")]).await;
    let config = fast_config()
        .with_marketplace_spacing(Marketplace::It, 150 * MS)
        .with_base_url(Marketplace::It, slow_store.base())
        .with_base_url(Marketplace::Es, other_store.base());
    let f = Fetcher::new(config).unwrap();
    let spaced: Vec<_> = (0..3)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.fetch_product(Marketplace::It, &asin("B07747FR44"), None).await })
        })
        .collect();
    while slow_store.count() == 0 {
        tokio::time::sleep(2 * MS).await;
    }
    f.fetch_product(Marketplace::Es, &asin("B07ZCVN7YN"), None).await.unwrap();
    for t in spaced {
        t.await.unwrap().unwrap();
    }
    let it = slow_store.arrivals();
    let es = other_store.arrivals();
    assert!(es[0].at < it[2].at, "the Spanish request waited behind the Italian spacing");
}

#[tokio::test]
async fn global_concurrency_limit_caps_requests_in_flight() {
    let s = ScriptServer::start(vec![slow("x", 60 * MS)]).await;
    let markets = [Marketplace::Com, Marketplace::De, Marketplace::Fr];
    let mut config = fast_config().with_max_concurrency(2);
    for m in markets {
        config = config.with_base_url(m, format!("{}{}/", s.base(), m.code()));
    }
    let f = Fetcher::new(config).unwrap();
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let f = f.clone();
            let m = markets[i % 3];
            tokio::spawn(async move { f.fetch_product(m, &asin("B00004YS4O"), None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("fetched");
    }
    assert_eq!(s.count(), 6);
    assert_eq!(s.max_in_flight.load(Ordering::SeqCst), 2, "most requests in flight at once");
    let snap = f.metrics();
    for m in markets {
        assert_eq!(snap.marketplace(m).requests, 2, "{m}");
    }
}

#[tokio::test]
async fn proxies_are_used_round_robin() {
    let p1 = ScriptServer::start(vec![ok("via one")]).await;
    let p2 = ScriptServer::start(vec![ok("via two")]).await;
    // An unresolvable host: only a proxy can answer for it.
    let config = fast_config()
        .with_proxy(format!("http://{}", p1.addr))
        .with_proxy(format!("http://{}", p2.addr))
        .with_base_url(Marketplace::Ca, "http://store.invalid/");
    let f = Fetcher::new(config).unwrap();
    let a = asin("B07H57DNVV");
    let bodies = [
        f.fetch_product(Marketplace::Ca, &a, None).await.unwrap().body,
        f.fetch_product(Marketplace::Ca, &a, None).await.unwrap().body,
        f.fetch_product(Marketplace::Ca, &a, None).await.unwrap().body,
    ];
    assert_eq!(bodies, ["via one", "via two", "via one"]);
    assert_eq!((p1.count(), p2.count()), (2, 1));
    assert_eq!(
        p1.arrivals()[0].target,
        "http://store.invalid/dp/B07H57DNVV",
        "absolute-form request to a proxy"
    );
    let host = p2.arrivals()[0].headers.iter().find(|(k, _)| k == "host").map(|(_, v)| v.clone());
    assert_eq!(host.as_deref(), Some("store.invalid"));
}

#[tokio::test]
async fn a_bad_proxy_is_a_build_error() {
    let err = Fetcher::new(FetcherConfig::default().with_proxy("::not a proxy::")).unwrap_err();
    assert!(err.to_string().contains("::not a proxy::"), "{err}");
}

// ---------------------------------------------------------------- PageSource

#[tokio::test]
async fn fetcher_as_page_source_parses_the_product_page() {
    let s = ScriptServer::start(vec![ok(&product_body())]).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &s.base());
    let a = asin("B00AYQNR46");
    let page = f.product_page(&a, Marketplace::Com).await.expect("page");
    match &page.page {
        ParsedPage::Product(p) => {
            assert_eq!(p.asin, a, "asin");
            assert_eq!(p.marketplace, Marketplace::Com, "marketplace");
            assert!(p.title.is_read(), "title read: {:?}", p.title);
        }
        other => panic!("expected a product page, got {:?}", other.kind()),
    }
    assert_eq!(page.source, format!("{}dp/B00AYQNR46", s.base()));
}

#[tokio::test]
async fn page_source_returns_a_200_captcha_as_a_captcha_page() {
    let s = ScriptServer::start(vec![ok(&captcha_body())]).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &s.base());
    let page = f.product_page(&asin("B00AYQNR46"), Marketplace::Com).await.expect("a page");
    assert_eq!(page.page, ParsedPage::Captcha { marketplace: Some(Marketplace::Com) });
}

#[tokio::test]
async fn page_source_maps_fetch_errors_to_core_failures() {
    let s = ScriptServer::start(vec![status(404)]).await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &s.base());
    let err = f.product_page(&asin("B00AYQNR46"), Marketplace::Com).await.unwrap_err();
    assert_eq!(err, FetchFailure::NotFound { url: format!("{}dp/B00AYQNR46", s.base()) });
}

#[tokio::test]
async fn scrape_source_uses_the_parser_it_is_given() {
    let s = ScriptServer::start(vec![ok("<html>anything</html>")]).await;
    let f = fetcher_for(fast_config(), Marketplace::Se, &s.base());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let parser = move |html: &str, hint: Option<Marketplace>| -> Result<ParsedPage, String> {
        seen2.lock().unwrap().push((html.to_string(), hint));
        Err("no product here".to_string())
    };
    let source = ScrapeSource::new(f, parser);
    let err = source.product_page(&asin("B0F3PT1VBL"), Marketplace::Se).await.unwrap_err();
    assert!(
        matches!(&err, FetchFailure::GaveUp { attempts: 1, last, .. } if last.contains("no product here")),
        "{err:?}"
    );
    assert_eq!(*seen.lock().unwrap(), vec![("<html>anything</html>".to_string(), Some(Marketplace::Se))]);
}

/// Keeps the blanket `PageParser` impl for closures honest at compile time.
#[allow(dead_code)]
fn closures_are_parsers() {
    fn takes<P: PageParser>(_: P) {}
    takes(|_: &str, _: Option<Marketplace>| -> Result<ParsedPage, String> { Err(String::new()) });
}

#[tokio::test]
async fn cancelling_while_waiting_out_a_captcha_cooldown_returns_cancelled() {
    let s = ScriptServer::start(vec![ok(&captcha_body())]).await;
    let f = fetcher_for(
        fast_config().with_captcha_cooldown(Duration::from_secs(600)),
        Marketplace::Com,
        &s.base(),
    );
    let a = asin("B00AYQNR46");
    let first = f.fetch_product(Marketplace::Com, &a, None).await;
    assert!(matches!(first, Err(FetchError::Captcha { .. })), "{first:?}");
    let token = CancellationToken::new();
    let (f2, t2) = (f.clone(), token.clone());
    let waiting = tokio::spawn(async move { f2.fetch_product(Marketplace::Com, &a, Some(&t2)).await });
    tokio::time::sleep(30 * MS).await;
    token.cancel();
    let result = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("cancelled fetch returns")
        .unwrap();
    assert!(matches!(result, Err(FetchError::Cancelled { attempts: 0, .. })), "{result:?}");
    assert_eq!(s.count(), 1, "nothing was sent during the cool-down");
}

#[tokio::test]
async fn redirects_are_followed_and_the_final_url_kept() {
    let server = MockServer::start().await;
    Mock::given(path("/dp/B00AYQNR46"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/Some-Title/dp/B00AYQNR46"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/Some-Title/dp/B00AYQNR46"))
        .respond_with(ResponseTemplate::new(200).set_body_string("canonical"))
        .expect(1)
        .mount(&server)
        .await;
    let f = fetcher_for(fast_config(), Marketplace::Com, &server.uri());
    let page = f.fetch_product(Marketplace::Com, &asin("B00AYQNR46"), None).await.unwrap();
    assert_eq!(page.body, "canonical");
    assert_eq!(page.url, format!("{}/dp/B00AYQNR46", server.uri()));
    assert_eq!(page.final_url, format!("{}/Some-Title/dp/B00AYQNR46", server.uri()));
    assert_eq!(page.attempts, 1, "a redirect is not a retry");
}
