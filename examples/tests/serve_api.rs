//! `amazcope serve`'s JSON API over a real listening server on 127.0.0.1, driven with
//! reqwest: each endpoint's success and error answers, tenancy between two users, and the
//! flow track → import → history → alert → mark read → untrack.

mod common;
mod serve_common;

use amazcope_core::Marketplace;
use amazcope_examples::storefront::{PageState, Storefront, StorefrontConfig};
use amazcope_scrape::fetch::{Fetcher, FetcherConfig};
use chrono::{Duration, Utc};
use reqwest::{Client, Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use serve_common::Server;

/// Sends `method path` with `token` (and a JSON body); returns status and JSON body (Null
/// when empty).
async fn call(
    s: &Server,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new().request(method, s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, json)
}

/// Asserts an error answer: status and the `{"error": {code, message, field}}` body.
fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(got.0, status, "status of {:?}", got.1);
    let e = &got.1["error"];
    assert_eq!(e["code"], code, "code in {:?}", got.1);
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "message in {:?}", got.1);
    match field {
        Some(f) => assert_eq!(e["field"], f, "field in {:?}", got.1),
        None => assert!(e.get("field").is_some(), "field key present in {:?}", got.1),
    }
}

fn day(days_ago: i64) -> String {
    (Utc::now() - Duration::days(days_ago)).format("%Y-%m-%dT08:00:00Z").to_string()
}

const PAGE: &str = "com_dp_B0011UCPM4.html";

#[tokio::test]
async fn flow_track_import_history_alert_read_untrack() {
    let s = Server::start("flow", &["alice"]).await;
    let t = s.token("alice");
    let t = Some(t.as_str());

    // Track by URL: the ASIN and marketplace come from it.
    let (st, tracked) = call(
        &s,
        t,
        Method::POST,
        "/api/v1/products",
        Some(json!({"url": "https://www.amazon.com/Some-Book/dp/B0011UCPM4?th=1"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{tracked}");
    assert_eq!(tracked["product"]["asin"], "B0011UCPM4");
    assert_eq!(tracked["product"]["marketplace"], "com");
    let id = tracked["product"]["id"].as_str().unwrap().to_owned();

    // Two days of pages: $10.99, then $7.99 (a 27 % drop, past the default 10 %).
    s.import("alice", PAGE, &day(3), None);
    s.import("alice", PAGE, &day(2), Some(("10.99", "7.99")));

    let (st, list) = call(&s, t, Method::GET, "/api/v1/products?limit=10", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["product"]["current_price"], "7.99");
    // A list item is the product's identity and latest values; the long text of the
    // listing is in the product's own answer.
    let item = &list["items"][0];
    assert_eq!(
        (item["product"]["id"].as_str(), item["tracking"]["product_id"].as_str()),
        (Some(&*id), Some(&*id))
    );
    assert!(
        item["product"].get("product_description").is_none() && item["product"].get("features").is_none(),
        "{item}"
    );

    let (st, one) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}"), None).await;
    assert_eq!(st, StatusCode::OK, "{one}");
    assert_eq!(one["latest_snapshot"]["price"], "7.99", "{one}");

    let (st, h) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}/history?days=30"), None).await;
    assert_eq!(st, StatusCode::OK, "{h}");
    let prices: Vec<&str> =
        h["snapshots"].as_array().unwrap().iter().map(|x| x["price"].as_str().unwrap()).collect();
    assert_eq!(prices, ["10.99", "7.99"], "history oldest first");
    let (_, h1) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}/history?days=1"), None).await;
    assert_eq!(h1["snapshots"].as_array().unwrap().len(), 0, "days=1 leaves out the older days");
    let (st, daily) =
        call(&s, t, Method::GET, &format!("/api/v1/products/{id}/history?resolution=day"), None).await;
    assert_eq!(st, StatusCode::OK, "{daily}");
    assert_eq!(daily["fields"][0]["series"]["points"].as_array().unwrap().len(), 2, "{daily}");

    let (st, stats) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}/stats"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(stats["windows"][0]["min_price"], "7.99", "{stats}");
    assert_eq!(stats["windows"][0]["max_price"], "10.99", "{stats}");
    let (st, sum) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}/summary"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(sum["current_price"], "7.99", "{sum}");
    let (st, tr) = call(
        &s,
        t,
        Method::GET,
        &format!("/api/v1/products/{id}/trends?fields=price&days=30&bucket=day"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{tr}");
    let (st, cmp) = call(&s, t, Method::GET, &format!("/api/v1/compare?ids={id}&metric=price"), None).await;
    assert_eq!(st, StatusCode::OK, "{cmp}");

    // The drop raised an alert; mark it read.
    let (st, alerts) = call(&s, t, Method::GET, "/api/v1/alerts?unread=true", None).await;
    assert_eq!(st, StatusCode::OK);
    let alerts = alerts.as_array().unwrap().clone();
    assert!(!alerts.is_empty(), "a price alert");
    let price_alert =
        alerts.iter().find(|a| a["alert_type"].as_str().unwrap().starts_with("price")).expect("price alert");
    assert_eq!(price_alert["asin"], "B0011UCPM4");
    let aid = price_alert["id"].as_str().unwrap();
    let (st, read) = call(&s, t, Method::POST, &format!("/api/v1/alerts/{aid}/read"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(read["is_read"], true);
    let (_, unread) = call(&s, t, Method::GET, "/api/v1/alerts?unread=true", None).await;
    assert!(unread.as_array().unwrap().iter().all(|a| a["id"] != aid), "read alert left the unread list");
    let (st, all) = call(&s, t, Method::POST, "/api/v1/alerts/read-all", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(all["changed"].as_u64().unwrap() as usize, alerts.len() - 1);

    // Thresholds and notes.
    let (st, row) = call(
        &s,
        t,
        Method::PATCH,
        &format!("/api/v1/products/{id}"),
        Some(json!({"price_change_threshold": 5.0, "target_price": "8.50", "notes": "watch"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{row}");
    assert_eq!(
        (row["price_change_threshold"].as_f64(), &row["target_price"], &row["notes"]),
        (Some(5.0), &json!("8.50"), &json!("watch"))
    );
    let (st, row) =
        call(&s, t, Method::PATCH, &format!("/api/v1/products/{id}"), Some(json!({"notes": null}))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (row["notes"].clone(), row["price_change_threshold"].as_f64()),
        (Value::Null, Some(5.0)),
        "null clears, absent keeps"
    );
    assert_error(
        &call(
            &s,
            t,
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(json!({"bsr_change_threshold": 150})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("bsr_change_threshold"),
    );

    // Refresh needs a fetcher; this server has none and says so.
    assert_error(
        &call(&s, t, Method::POST, &format!("/api/v1/products/{id}/refresh"), None).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        None,
    );

    // Untrack (soft): the product leaves the list and its reads are 404; the history stays.
    let (st, _) = call(&s, t, Method::DELETE, &format!("/api/v1/products/{id}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, list) = call(&s, t, Method::GET, "/api/v1/products", None).await;
    assert_eq!(list["total"], 0);
    assert_error(
        &call(&s, t, Method::GET, &format!("/api/v1/products/{id}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(s.store.pool()).await.unwrap();
    assert_eq!(kept, 2, "untracking keeps the history");
    s.stop().await;
}

#[tokio::test]
async fn another_users_product_alert_suggestion_and_notification_are_404() {
    let s = Server::start("tenancy", &["alice", "bob"]).await;
    let (ta, tb) = (s.token("alice"), s.token("bob"));
    let (a, b) = (Some(ta.as_str()), Some(tb.as_str()));
    let (_, tracked) = call(
        &s,
        a,
        Method::POST,
        "/api/v1/products",
        Some(json!({"asin": "B0011UCPM4", "marketplace": "com"})),
    )
    .await;
    let pid = tracked["product"]["id"].as_str().unwrap().to_owned();
    s.import("alice", PAGE, &day(3), None);
    s.import("alice", PAGE, &day(2), Some(("10.99", "7.99")));
    let (_, alerts) = call(&s, a, Method::GET, "/api/v1/alerts", None).await;
    let aid = alerts[0]["id"].as_str().unwrap().to_owned();
    let (_, notes) = call(&s, a, Method::GET, "/api/v1/notifications", None).await;
    let nid = notes[0]["id"].as_str().unwrap().to_owned();
    let sid = s.suggestion("alice", "k1").await.id.to_string();

    for (method, path, body) in [
        (Method::GET, format!("/api/v1/products/{pid}"), None),
        (Method::PATCH, format!("/api/v1/products/{pid}"), Some(json!({"notes": "mine now"}))),
        (Method::DELETE, format!("/api/v1/products/{pid}"), None),
        (Method::POST, format!("/api/v1/products/{pid}/refresh"), None),
        (Method::GET, format!("/api/v1/products/{pid}/history?days=30"), None),
        (Method::GET, format!("/api/v1/products/{pid}/stats"), None),
        (Method::GET, format!("/api/v1/products/{pid}/summary"), None),
        (Method::POST, format!("/api/v1/alerts/{aid}/read"), None),
        (Method::PATCH, format!("/api/v1/notifications/{nid}"), Some(json!({"is_read": true}))),
        (Method::DELETE, format!("/api/v1/notifications/{nid}"), None),
        (Method::GET, format!("/api/v1/suggestions/{sid}"), None),
        (Method::POST, format!("/api/v1/suggestions/{sid}/review"), Some(json!({"decision": "approved"}))),
        (Method::POST, format!("/api/v1/suggestions/{sid}/apply"), None),
    ] {
        let got = call(&s, b, method.clone(), &path, body).await;
        assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
        assert!(
            !got.1.to_string().contains("B0011UCPM4"),
            "{method} {path}: no data of alice's in {:?}",
            got.1
        );
    }
    // Bob's lists hold nothing of alice's; alice's objects are unchanged.
    for path in ["/api/v1/products", "/api/v1/alerts", "/api/v1/notifications", "/api/v1/suggestions"] {
        let (st, body) = call(&s, b, Method::GET, path, None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(!body.to_string().contains(&pid) && !body.to_string().contains(&sid), "{path}: {body}");
    }
    let (_, one) = call(&s, a, Method::GET, &format!("/api/v1/products/{pid}"), None).await;
    assert_eq!(one["tracking"]["notes"], Value::Null);
    let (_, sg) = call(&s, a, Method::GET, &format!("/api/v1/suggestions/{sid}"), None).await;
    assert_eq!(sg["status"], "pending");
    let (_, alerts) = call(&s, a, Method::GET, "/api/v1/alerts?unread=true", None).await;
    assert!(alerts.as_array().unwrap().iter().any(|x| x["id"] == aid.as_str()));
    let (_, n) = call(&s, a, Method::GET, "/api/v1/notifications/unread-count", None).await;
    assert_eq!(n["unread"].as_u64(), Some(notes.as_array().unwrap().len() as u64));
    s.stop().await;
}

#[tokio::test]
async fn errors_answer_with_status_and_json_body() {
    let s = Server::start("errors", &["alice"]).await;
    let tok = s.token("alice");
    let t = Some(tok.as_str());

    // 401: none, garbage, a well-formed unknown token, a revoked token; JSON either way.
    assert_error(
        &call(&s, None, Method::GET, "/api/v1/products", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert_error(
        &call(&s, Some("nope"), Method::GET, "/api/v1/products", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    let forged = format!("amz_{}", "0".repeat(64));
    assert_error(
        &call(&s, Some(&forged), Method::GET, "/api/v1/alerts", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    let other = s.token("alice");
    assert_eq!(call(&s, Some(&other), Method::GET, "/api/v1/products", None).await.0, StatusCode::OK);
    let listed = s.db.json(&["token", "list", "--user", "alice", "--json"]);
    let tokens = listed.as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(!listed.to_string().contains(&other[4..]), "token list never shows a token");
    let newest = tokens[0]["id"].as_str().unwrap();
    s.db.ok(&["token", "revoke", newest, "--user", "alice"]);
    assert_error(
        &call(&s, Some(&other), Method::GET, "/api/v1/products", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert_eq!(
        call(&s, t, Method::GET, "/api/v1/products", None).await.0,
        StatusCode::OK,
        "the other token still works"
    );
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_all(s.store.pool()).await.unwrap();
    assert!(
        stored.iter().all(|h| h.len() == 32 && !String::from_utf8_lossy(h).contains("amz_")),
        "only hashes stored"
    );

    // 422: malformed ids name the field `id`.
    for (m, p) in [
        (Method::GET, "/api/v1/products/not-a-uuid"),
        (Method::GET, "/api/v1/products/123/history"),
        (Method::POST, "/api/v1/alerts/xyz/read"),
        (Method::DELETE, "/api/v1/notifications/xyz"),
        (Method::GET, "/api/v1/suggestions/xyz"),
    ] {
        assert_error(&call(&s, t, m, p, None).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("id"));
    }
    // A missing product (well-formed id) is 404.
    let missing = uuid::Uuid::new_v4();
    assert_error(
        &call(&s, t, Method::GET, &format!("/api/v1/products/{missing}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );

    // Tracking: a URL without an ASIN, a bad ASIN, a bad marketplace, nothing at all.
    let got = call(
        &s,
        t,
        Method::POST,
        "/api/v1/products",
        Some(json!({"url": "https://www.amazon.com/s?k=instant+pot"})),
    )
    .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("url"));
    assert!(got.1["error"]["message"].as_str().unwrap().contains("has no ASIN"), "{:?}", got.1);
    assert_error(
        &call(&s, t, Method::POST, "/api/v1/products", Some(json!({"asin": "nope"}))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("asin"),
    );
    assert_error(
        &call(
            &s,
            t,
            Method::POST,
            "/api/v1/products",
            Some(json!({"asin": "B0011UCPM4", "marketplace": "mars"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("marketplace"),
    );
    assert_error(
        &call(&s, t, Method::POST, "/api/v1/products", Some(json!({}))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("asin"),
    );
    assert_error(
        &call(&s, t, Method::POST, "/api/v1/products", Some(json!({"asin": "B0011UCPM4", "colour": "red"})))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("colour"),
    );
    // Tracking twice is a conflict.
    assert_eq!(
        call(&s, t, Method::POST, "/api/v1/products", Some(json!({"asin": "B0011UCPM4"}))).await.0,
        StatusCode::CREATED
    );
    let dup = call(
        &s,
        t,
        Method::POST,
        "/api/v1/products",
        Some(json!({"asin": "b0011ucpm4", "marketplace": "com"})),
    )
    .await;
    assert_error(&dup, StatusCode::CONFLICT, "conflict", None);
    assert!(
        dup.1["error"]["message"].as_str().unwrap().contains("already track B0011UCPM4 on amazon.com"),
        "{:?}",
        dup.1
    );

    // Body: not JSON, too large.
    let res = Client::new()
        .post(s.url("/api/v1/products"))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "bad_request");
    let big = json!({"asin": "B0011UCPM4", "notes": "x".repeat(100_000)});
    assert_error(
        &call(&s, t, Method::POST, "/api/v1/products", Some(big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
    // Query parameters.
    assert_error(
        &call(&s, t, Method::GET, "/api/v1/products?limit=0", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("limit"),
    );
    assert_error(
        &call(&s, t, Method::GET, "/api/v1/products?limit=ten", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        None,
    );
    // An unknown API path is a JSON 404.
    assert_error(
        &call(&s, t, Method::GET, "/api/v1/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    s.stop().await;
}

#[tokio::test]
async fn suggestions_review_apply_stats_and_409_when_not_pending() {
    let s = Server::start("sugg", &["alice"]).await;
    let tok = s.token("alice");
    let t = Some(tok.as_str());
    let one = s.suggestion("alice", "a").await;
    let two = s.suggestion("alice", "b").await;
    let three = s.suggestion("alice", "c").await;

    let (st, list) =
        call(&s, t, Method::GET, "/api/v1/suggestions?status=pending&category=pricing", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 3);
    let (_, none) = call(&s, t, Method::GET, "/api/v1/suggestions?category=content", None).await;
    assert_eq!(none.as_array().unwrap().len(), 0);
    assert_error(
        &call(&s, t, Method::GET, "/api/v1/suggestions?status=maybe", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("status"),
    );
    let (st, got) = call(&s, t, Method::GET, &format!("/api/v1/suggestions/{}", one.id), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got["actions"].as_array().unwrap().len(), 2);

    let (st, r) = call(
        &s,
        t,
        Method::POST,
        &format!("/api/v1/suggestions/{}/review", one.id),
        Some(json!({"decision": "approved"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
    let again = call(
        &s,
        t,
        Method::POST,
        &format!("/api/v1/suggestions/{}/review", one.id),
        Some(json!({"decision": "rejected"})),
    )
    .await;
    assert_error(&again, StatusCode::CONFLICT, "conflict", None);
    assert!(
        again.1["error"]["message"].as_str().unwrap().contains("approved"),
        "says its state: {:?}",
        again.1
    );

    let (st, r) = call(
        &s,
        t,
        Method::POST,
        &format!("/api/v1/suggestions/{}/review", two.id),
        Some(json!({"decision": "rejected"})),
    )
    .await;
    assert_eq!((st, r["status"].as_str()), (StatusCode::OK, Some("rejected")));
    let keep = three.actions[0].id.to_string();
    let (st, r) = call(
        &s,
        t,
        Method::POST,
        &format!("/api/v1/suggestions/{}/review", three.id),
        Some(json!({"decision": "partially_approved", "action_ids": [keep]})),
    )
    .await;
    assert_eq!((st, r["status"].as_str()), (StatusCode::OK, Some("partially_approved")), "{r}");
    assert_error(
        &call(
            &s,
            t,
            Method::POST,
            &format!("/api/v1/suggestions/{}/review", three.id),
            Some(json!({"decision": "maybe"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("decision"),
    );

    let (st, r) = call(&s, t, Method::POST, &format!("/api/v1/suggestions/{}/apply", one.id), None).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let applied: Vec<&str> =
        r["actions"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(applied, ["applied", "applied"], "{r}");
    assert_error(
        &call(&s, t, Method::POST, &format!("/api/v1/suggestions/{}/apply", two.id), None).await,
        StatusCode::CONFLICT,
        "conflict",
        None,
    );

    let (st, stats) = call(&s, t, Method::GET, "/api/v1/suggestions/stats", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(stats["total"], 3);
    assert_eq!(stats["by_status"], json!({"approved": 1, "rejected": 1, "partially_approved": 1}));
    s.stop().await;
}

#[tokio::test]
async fn settings_notifications_health_and_openapi() {
    let s = Server::start("settings", &["alice"]).await;
    let tok = s.token("alice");
    let t = Some(tok.as_str());

    let (st, set) = call(&s, t, Method::GET, "/api/v1/settings", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(set["default_price_threshold"].as_f64(), Some(10.0), "defaults made on first read");
    let (st, set) =
        call(&s, t, Method::PATCH, "/api/v1/settings", Some(json!({"default_price_threshold": 4.5}))).await;
    assert_eq!((st, set["default_price_threshold"].as_f64()), (StatusCode::OK, Some(4.5)));
    assert_error(
        &call(&s, t, Method::PATCH, "/api/v1/settings", Some(json!({"default_bsr_threshold": 101}))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("default_bsr_threshold"),
    );
    let (_, set) = call(&s, t, Method::GET, "/api/v1/settings", None).await;
    assert_eq!(set["default_bsr_threshold"].as_f64(), Some(30.0), "a refused patch changes nothing");
    let (st, set) = call(&s, t, Method::POST, "/api/v1/settings/reset", None).await;
    assert_eq!((st, set["default_price_threshold"].as_f64()), (StatusCode::OK, Some(10.0)));

    // Notifications come with alerts.
    call(&s, t, Method::POST, "/api/v1/products", Some(json!({"asin": "B0011UCPM4"}))).await;
    s.import("alice", PAGE, &day(3), None);
    s.import("alice", PAGE, &day(2), Some(("10.99", "5.99")));
    let (_, list) = call(&s, t, Method::GET, "/api/v1/notifications", None).await;
    let n = list.as_array().unwrap().len();
    assert!(n >= 1);
    let (_, c) = call(&s, t, Method::GET, "/api/v1/notifications/unread-count", None).await;
    assert_eq!(c["unread"].as_u64(), Some(n as u64));
    let first = list[0]["id"].as_str().unwrap();
    let (st, one) =
        call(&s, t, Method::PATCH, &format!("/api/v1/notifications/{first}"), Some(json!({"is_read": true})))
            .await;
    assert_eq!((st, one["is_read"].as_bool()), (StatusCode::OK, Some(true)));
    assert_error(
        &call(
            &s,
            t,
            Method::PATCH,
            &format!("/api/v1/notifications/{first}"),
            Some(json!({"is_read": false})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("is_read"),
    );
    let (_, c) = call(&s, t, Method::GET, "/api/v1/notifications/unread-count", None).await;
    assert_eq!(c["unread"].as_u64(), Some(n as u64 - 1));
    let (st, all) = call(&s, t, Method::POST, "/api/v1/notifications/read-all", None).await;
    assert_eq!((st, all["changed"].as_u64()), (StatusCode::OK, Some(n as u64 - 1)));
    let (st, _) = call(&s, t, Method::DELETE, &format!("/api/v1/notifications/{first}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_error(
        &call(&s, t, Method::DELETE, &format!("/api/v1/notifications/{first}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    let (st, all) = call(&s, t, Method::DELETE, "/api/v1/notifications", None).await;
    assert_eq!((st, all["changed"].as_u64()), (StatusCode::OK, Some(n as u64 - 1)));

    // Health needs no token; readiness checks the schema.
    let res = Client::new().get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"), "a request id is made and sent back");
    let res = Client::new().get(s.url("/readyz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "abc-123", "a caller's request id is kept");

    // The OpenAPI document is generated from the handlers: exactly these paths and methods,
    // however the handlers are spread over modules.
    let (st, doc) = call(&s, None, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let want: Vec<(&str, &[&str])> = vec![
        ("/api/v1/alerts", &["get"]),
        ("/api/v1/alerts/read-all", &["post"]),
        ("/api/v1/alerts/{id}/read", &["post"]),
        ("/api/v1/channels", &["get", "post"]),
        ("/api/v1/channels/{id}", &["delete", "get"]),
        ("/api/v1/channels/{id}/test", &["post"]),
        ("/api/v1/compare", &["get"]),
        ("/api/v1/notifications", &["delete", "get"]),
        ("/api/v1/notifications/read-all", &["post"]),
        ("/api/v1/notifications/unread-count", &["get"]),
        ("/api/v1/notifications/{id}", &["delete", "patch"]),
        ("/api/v1/products", &["get", "post"]),
        ("/api/v1/products/{id}", &["delete", "get", "patch"]),
        ("/api/v1/products/{id}/history", &["get"]),
        ("/api/v1/products/{id}/refresh", &["post"]),
        ("/api/v1/products/{id}/stats", &["get"]),
        ("/api/v1/products/{id}/summary", &["get"]),
        ("/api/v1/products/{id}/trends", &["get"]),
        ("/api/v1/settings", &["get", "patch"]),
        ("/api/v1/settings/reset", &["post"]),
        ("/api/v1/suggestions", &["get"]),
        ("/api/v1/suggestions/stats", &["get"]),
        ("/api/v1/suggestions/{id}", &["get"]),
        ("/api/v1/suggestions/{id}/apply", &["post"]),
        ("/api/v1/suggestions/{id}/review", &["post"]),
    ];
    let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    let mut got: Vec<(String, Vec<String>)> = paths
        .iter()
        .map(|(p, item)| {
            let mut m: Vec<String> =
                methods.iter().filter(|m| item.get(**m).is_some()).map(|m| (*m).to_owned()).collect();
            m.sort();
            (p.clone(), m)
        })
        .collect();
    got.sort();
    let want: Vec<(String, Vec<String>)> =
        want.into_iter().map(|(p, m)| (p.to_owned(), m.iter().map(|x| (*x).to_owned()).collect())).collect();
    assert_eq!(got, want, "the OpenAPI document's paths and methods");
    for (p, m) in &want {
        for m in m {
            let op = &paths[p][m];
            assert!(op["operationId"].is_string() && op["tags"][0].is_string(), "{m} {p}: {op}");
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    s.stop().await;
}

/// The `amazcope serve` binary: listens where `--bind` says (port 0: the one it prints),
/// logs each request without its token, and stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_binary_logs_requests_without_tokens_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    amazcope_scrape::fetch::install_tls_provider();
    let db = common::TestDb::with_users("serve_bin", &["alice"]).await;
    let token = db.ok(&["token", "create", "--user", "alice"]).trim().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_amazcope"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("amazcope serving on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    let client = Client::new();
    let res = client.get(format!("{base}/api/v1/products")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .get(format!("{base}/"))
        .header("cookie", format!("amazcope_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the dashboard takes the session cookie");
    let res = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no cookie: the login form");
    assert!(res.text().await.unwrap().contains("name=\"token\""));

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM ends the service cleanly: {status:?}");
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(log.contains("/api/v1/products") && log.contains("status=200"), "requests are logged: {log}");
    assert!(
        !log.contains(&token) && !log.contains(&token[4..20]),
        "the token never appears in the log: {log}"
    );
    db.drop_db().await;
}

/// A fetcher of the demo storefront's pages, set as `amazcope serve --base-url` sets its own:
/// no politeness waits, the default retries.
fn storefront_fetcher(shop: &amazcope_examples::storefront::StorefrontHandle) -> Fetcher {
    let mut config = FetcherConfig::default()
        .with_min_spacing(std::time::Duration::ZERO)
        .with_captcha_cooldown(std::time::Duration::ZERO);
    for mp in Marketplace::ALL {
        config = config
            .with_base_url(*mp, shop.base_url_for(*mp))
            .with_marketplace_spacing(*mp, std::time::Duration::ZERO);
    }
    Fetcher::new(config).expect("fetcher")
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_str().map(|s| s.parse().unwrap_or_else(|e| panic!("decimal {s:?}: {e}")))
}

/// `POST /api/v1/products/{id}/refresh` against the demo storefront serving the product:
/// each refresh stores a snapshot with the page's values of the storefront's day, and the
/// product's latest values follow; with the storefront down, a JSON error (not a hang) and
/// nothing stored.
#[tokio::test]
async fn refresh_now_fetches_the_storefront_page_and_stores_its_values() {
    let shop = Storefront::start(StorefrontConfig::default()).await.expect("storefront");
    // A product whose page shows on two days with different prices.
    let days = 0..20u32;
    let (pick, d1, d2) = shop
        .catalogue()
        .products()
        .iter()
        .filter(|p| p.marketplace == Marketplace::Com)
        .find_map(|p| {
            let shown: Vec<_> = days
                .clone()
                .map(|d| p.state_on(d))
                .filter(|s| s.page == PageState::Product && s.price.is_some())
                .collect();
            let first = shown.first()?;
            let later =
                shown.iter().find(|s| s.price != first.price && s.review_count != first.review_count)?;
            Some((p.clone(), first.day, later.day))
        })
        .expect("a storefront product whose price moves");
    let s = Server::start_with("refresh", &["alice"], Some(storefront_fetcher(&shop))).await;
    let t = s.token("alice");
    let t = Some(t.as_str());
    let (st, tracked) = call(
        &s,
        t,
        Method::POST,
        "/api/v1/products",
        Some(json!({"asin": pick.asin.to_string(), "marketplace": "com"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{tracked}");
    let id = tracked["product"]["id"].as_str().unwrap().to_owned();
    let snapshots = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM product_snapshots")
            .fetch_one(s.store.pool())
            .await
            .unwrap()
    };
    assert_eq!(snapshots().await, 0);

    for (n, day) in [d1, d2].into_iter().enumerate() {
        shop.set_day(day);
        let truth = pick.state_on(day);
        let before = shop.product_requests(&pick.asin);
        let (st, item) = call(&s, t, Method::POST, &format!("/api/v1/products/{id}/refresh"), None).await;
        assert_eq!(st, StatusCode::OK, "day {day}: {item}");
        assert_eq!(item["result"]["Ok"]["outcome"], "stored", "day {day}: a snapshot stored: {item}");
        assert_eq!(shop.product_requests(&pick.asin), before + 1, "one page fetched from the storefront");
        assert_eq!(snapshots().await, n as i64 + 1, "day {day}: one snapshot per refresh");

        let (st, one) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}"), None).await;
        assert_eq!(st, StatusCode::OK, "{one}");
        let (p, snap) = (&one["product"], &one["latest_snapshot"]);
        assert_eq!(decimal(&snap["price"]), truth.price, "day {day}: snapshot price: {snap}");
        assert_eq!(decimal(&p["current_price"]), truth.price, "day {day}: product's latest price: {p}");
        assert_eq!(snap["review_count"].as_u64(), Some(u64::from(truth.review_count)), "day {day}: {snap}");
        assert_eq!(p["review_count"].as_u64(), Some(u64::from(truth.review_count)), "day {day}: {p}");
        assert_eq!(snap["bsr_main_category"].as_u64(), Some(u64::from(truth.bsr)), "day {day}: {snap}");
        assert_eq!(p["current_bsr"].as_u64(), Some(u64::from(truth.bsr)), "day {day}: {p}");
        assert_eq!(snap["rating"].as_f64(), Some(f64::from(truth.rating_tenths) / 10.0), "day {day}: {snap}");
        assert_eq!(snap["in_stock"].as_bool(), Some(truth.in_stock), "day {day}: {snap}");
    }
    let (_, h) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}/history"), None).await;
    let prices: Vec<Option<Decimal>> =
        h["snapshots"].as_array().unwrap().iter().map(|x| decimal(&x["price"])).collect();
    assert_eq!(prices, [pick.state_on(d1).price, pick.state_on(d2).price], "history holds both refreshes");

    // The storefront goes away: the fetcher's retries end in a JSON error, well before the
    // service's 30 s request timeout, and nothing is stored.
    let addr = shop.addr();
    shop.stop();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the storefront is down");
    let started = std::time::Instant::now();
    let got = tokio::time::timeout(
        std::time::Duration::from_secs(25),
        call(&s, t, Method::POST, &format!("/api/v1/products/{id}/refresh"), None),
    )
    .await
    .expect("refresh with the storefront down answers, it does not hang");
    assert_error(&got, StatusCode::BAD_GATEWAY, "fetch_failed", None);
    let message = got.1["error"]["message"].as_str().unwrap();
    assert!(message.contains(&pick.asin.to_string()) && message.contains("failed"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(25));
    assert_eq!(snapshots().await, 2, "a failed refresh stores no snapshot");
    let (_, one) = call(&s, t, Method::GET, &format!("/api/v1/products/{id}"), None).await;
    assert_eq!(one["product"]["last_fetch_status"], "failed", "{one}");
    assert_eq!(decimal(&one["product"]["current_price"]), pick.state_on(d2).price, "the latest values stay");
    s.stop().await;
}

/// `GET /api/v1/products?limit&offset` pages in SQL: the pages put together are the whole
/// list in its order (newest tracked first), `total` counts every tracked product on every
/// page (past the end too), and an untracked product leaves both.
#[tokio::test]
async fn product_list_pages_with_total() {
    let s = Server::start("pages", &["alice", "bob"]).await;
    let t = s.token("alice");
    let t = Some(t.as_str());
    let asins = ["B000000001", "B000000002", "B000000003", "B000000004", "B000000005"];
    let mut ids = Vec::new();
    for a in asins {
        let (st, tracked) =
            call(&s, t, Method::POST, "/api/v1/products", Some(json!({"asin": a, "marketplace": "com"})))
                .await;
        assert_eq!(st, StatusCode::CREATED, "{tracked}");
        ids.push(tracked["product"]["id"].as_str().unwrap().to_owned());
    }
    // Bob tracks one of them: not on Alice's pages, not in her total.
    let b = s.token("bob");
    let (st, _) =
        call(&s, Some(&b), Method::POST, "/api/v1/products", Some(json!({"asin": "B000000009"}))).await;
    assert_eq!(st, StatusCode::CREATED);

    let page = |limit: u32, offset: u32| {
        let s = &s;
        async move {
            let (st, list) =
                call(s, t, Method::GET, &format!("/api/v1/products?limit={limit}&offset={offset}"), None)
                    .await;
            assert_eq!(st, StatusCode::OK, "{list}");
            let items: Vec<String> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["product"]["id"].as_str().unwrap().to_owned())
                .collect();
            (list["total"].as_u64().unwrap(), items)
        }
    };
    let (total, all) = page(100, 0).await;
    assert_eq!(total, 5);
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(all, newest_first, "newest tracked first");
    let mut joined = Vec::new();
    for (offset, len) in [(0, 2), (2, 2), (4, 1)] {
        let (total, items) = page(2, offset).await;
        assert_eq!((total, items.len()), (5, len), "offset {offset}");
        joined.extend(items);
    }
    assert_eq!(joined, all, "the pages put together are the list");
    assert_eq!(page(2, 5).await, (5, vec![]), "just past the end: no items, the total still");
    assert_eq!(page(2, 1000).await, (5, vec![]), "far past the end");

    let (st, _) = call(&s, t, Method::DELETE, &format!("/api/v1/products/{}", ids[1]), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (total, items) = page(100, 0).await;
    assert_eq!(total, 4);
    assert!(!items.contains(&ids[1]), "untracked leaves the list");
    assert_eq!(page(3, 3).await.0, 4);
    s.stop().await;
}

#[tokio::test]
async fn channels_add_list_remove_masked_and_per_user() {
    let s = Server::start("channels", &["alice", "bob"]).await;
    let (ta, tb) = (s.token("alice"), s.token("bob"));
    let (a, b) = (Some(ta.as_str()), Some(tb.as_str()));

    let (st, hook) = call(
        &s,
        a,
        Method::POST,
        "/api/v1/channels",
        Some(json!({"kind": "webhook", "target": "https://hooks.example.com/x?token=tok-SECRET",
                    "secret": "whsec-SECRET", "format": "slack", "min_priority": "high",
                    "types": ["price_change", "stock_change"]})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{hook}");
    assert_eq!(
        (&hook["kind"], &hook["format"], &hook["min_priority"], &hook["has_secret"]),
        (&json!("webhook"), &json!("slack"), &json!("high"), &json!(true))
    );
    assert_eq!(hook["types"], json!(["price_change", "stock_change"]));
    assert_eq!(hook["target"], "https://hooks.example.com/x?token=***");
    let (st, mail) = call(
        &s,
        a,
        Method::POST,
        "/api/v1/channels",
        Some(json!({"kind": "email", "target": " alice@example.com "})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{mail}");
    assert_eq!(
        (&mail["target"], &mail["has_secret"], &mail["format"]),
        (&json!("alice@example.com"), &json!(false), &Value::Null)
    );

    let (st, list) = call(&s, a, Method::GET, "/api/v1/channels", None).await;
    assert_eq!(st, StatusCode::OK);
    let ids: Vec<&str> = list.as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, [hook["id"].as_str().unwrap(), mail["id"].as_str().unwrap()], "oldest first");
    let shown = format!("{hook}{mail}{list}");
    assert!(!shown.contains("tok-SECRET") && !shown.contains("whsec-SECRET"), "a secret in {shown}");

    // Bad input: 422 naming the field; nothing stored.
    for (body, field) in [
        (json!({"kind": "fax", "target": "123"}), "kind"),
        (json!({"kind": "email", "target": "not-an-address"}), "target"),
        (json!({"kind": "webhook", "target": "ftp://h.example.com/"}), "target"),
        (json!({"kind": "webhook", "target": "https://h.example.com/", "format": "teams"}), "format"),
        (
            json!({"kind": "webhook", "target": "https://h.example.com/", "min_priority": "meh"}),
            "min_priority",
        ),
        (json!({"kind": "webhook", "target": "https://h.example.com/", "types": ["nope"]}), "types"),
        (json!({"kind": "email", "target": "a@example.com", "secret": "x"}), "secret"),
    ] {
        let got = call(&s, a, Method::POST, "/api/v1/channels", Some(body.clone())).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field));
    }
    let (_, again) = call(&s, a, Method::GET, "/api/v1/channels", None).await;
    assert_eq!(again.as_array().unwrap().len(), 2, "refused channels are not stored");
    assert_error(
        &call(&s, a, Method::GET, "/api/v1/channels/not-a-uuid", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        Some("id"),
    );
    assert_error(
        &call(&s, None, Method::GET, "/api/v1/channels", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );

    // Bob sees none of alice's channels and cannot read or remove them.
    let hid = hook["id"].as_str().unwrap();
    let (_, bobs) = call(&s, b, Method::GET, "/api/v1/channels", None).await;
    assert_eq!(bobs, json!([]));
    for method in [Method::GET, Method::DELETE] {
        let got = call(&s, b, method, &format!("/api/v1/channels/{hid}"), None).await;
        assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
        assert!(!got.1.to_string().contains("hooks.example.com"), "{:?}", got.1);
    }

    let (st, one) = call(&s, a, Method::GET, &format!("/api/v1/channels/{hid}"), None).await;
    assert_eq!((st, &one["id"]), (StatusCode::OK, &hook["id"]));

    // A test message: through a live receiver, then to a closed port; bob cannot test alice's.
    let sink = amazcope_deliver::sinks::WebhookSink::start().await.unwrap();
    let (_, live) = call(
        &s,
        a,
        Method::POST,
        "/api/v1/channels",
        Some(json!({"kind": "webhook", "target": sink.url("/t?token=tok-SECRET"), "secret": "whsec-SECRET"})),
    )
    .await;
    let lid = live["id"].as_str().unwrap();
    let (st, sent) = call(&s, a, Method::POST, &format!("/api/v1/channels/{lid}/test"), None).await;
    assert_eq!((st, &sent["ok"], &sent["code"]), (StatusCode::OK, &json!(true), &json!(200)), "{sent}");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(String::from_utf8_lossy(&got[0].body).contains("Test message from Amazcope"));
    assert!(got[0].header("x-amazcope-signature").is_some_and(|v| v.starts_with("sha256=")), "signed");
    let (_, dead) = call(
        &s,
        a,
        Method::POST,
        "/api/v1/channels",
        Some(json!({"kind": "webhook", "target": "http://127.0.0.1:9/x?token=tok-SECRET"})),
    )
    .await;
    let did = dead["id"].as_str().unwrap();
    let (st, failed) = call(&s, a, Method::POST, &format!("/api/v1/channels/{did}/test"), None).await;
    assert_eq!((st, &failed["ok"]), (StatusCode::OK, &json!(false)), "{failed}");
    assert!(failed["error"].as_str().is_some_and(|e| !e.is_empty() && !e.contains("tok-SECRET")), "{failed}");
    let got = call(&s, b, Method::POST, &format!("/api/v1/channels/{lid}/test"), None).await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(sink.received().len(), 1, "bob's request sent nothing");
    for id in [lid, did] {
        assert_eq!(
            call(&s, a, Method::DELETE, &format!("/api/v1/channels/{id}"), None).await.0,
            StatusCode::NO_CONTENT
        );
    }
    let (st, _) = call(&s, a, Method::DELETE, &format!("/api/v1/channels/{hid}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_error(
        &call(&s, a, Method::GET, &format!("/api/v1/channels/{hid}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    let (_, left) = call(&s, a, Method::GET, "/api/v1/channels", None).await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    s.stop().await;
}
