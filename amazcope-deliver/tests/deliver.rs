//! Delivery against real servers on 127.0.0.1: an axum webhook receiver and an SMTP server
//! (`amazcope_deliver::sinks`), a PostgreSQL database per test.

use amazcope_core::delivery::{ChannelKind, DeliveryStatus, NewChannel, WebhookFormat};
use amazcope_core::model::product::ProductUpsert;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::user::{NewUser, SettingsPatch, User};
use amazcope_core::{
    AlertRepository, Asin, Currency, Marketplace, NotificationPriority, NotificationType, ProductRepository,
    SnapshotRepository, StoreError, UserRepository,
};
use amazcope_deliver::sinks::{SmtpSink, WebhookSink};
use amazcope_deliver::{Deliverer, DeliveryConfig, Sender, SmtpConfig, sign};
use amazcope_pg::PgStore;
use amazcope_pg::delivery::DeliveryClaim;
use amazcope_pg::testing::price_alert;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration as StdDuration;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap()
}

async fn user(s: &PgStore, name: &str) -> User {
    s.create_user(&NewUser::named(name).unwrap()).await.unwrap()
}

/// A product with `title`, one snapshot at `t0() + n minutes`, and one price alert of `user`
/// on it (with its notification and delivery rows).
async fn alert(s: &PgStore, user: &User, asin: &str, title: &str, n: i64) -> amazcope_core::AlertId {
    let mut up = ProductUpsert::bare(asin.parse::<Asin>().unwrap(), Marketplace::Com, Some(user.id));
    up.data.title = Some(title.to_owned());
    let p = s.upsert_product(&up).await.unwrap();
    let at = t0() + Duration::minutes(n);
    let snap = s.insert_snapshot(&NewSnapshot::empty(p.id, at, Currency::from_static("USD"))).await.unwrap();
    let a = s.create_alerts(&[price_alert(user.id, p.id, snap.id, at)]).await.unwrap();
    a[0].id
}

fn webhook(user: &User, url: &str, secret: Option<&str>) -> NewChannel {
    NewChannel {
        user_id: user.id,
        kind: ChannelKind::Webhook,
        target: url.to_owned(),
        format: None,
        min_priority: None,
        types: None,
        secret: secret.map(str::to_owned),
    }
}

fn email(user: &User, to: &str) -> NewChannel {
    NewChannel {
        user_id: user.id,
        kind: ChannelKind::Email,
        target: to.to_owned(),
        format: None,
        min_priority: None,
        types: None,
        secret: None,
    }
}

fn config(smtp: Option<String>) -> DeliveryConfig {
    DeliveryConfig {
        smtp: smtp.map(|url| SmtpConfig { url, from: "Amazcope <alerts@amazcope.test>".into() }),
        timeout: StdDuration::from_secs(5),
        ..DeliveryConfig::default()
    }
}

fn deliverer(s: &PgStore, smtp: Option<String>, worker: &str) -> Deliverer {
    let cfg = config(smtp);
    Deliverer::new(s.clone(), Sender::new(&cfg).unwrap(), cfg, worker)
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn webhook_is_delivered_once_signed_and_a_second_run_sends_nothing(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let sink = WebhookSink::start().await.unwrap();
    let alice = user(&s, "alice").await;
    s.add_channel(webhook(&alice, &sink.url("/hook"), Some("s3cret-key"))).await.unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "Instant Pot Duo 7-in-1 Electric Pressure Cooker", 0).await;

    let d = deliverer(&s, None, "w1");
    let sum = d.run_once(t0() + Duration::minutes(1)).await.unwrap();
    assert_eq!((sum.sent, sum.failed, sum.dead), (1, 0, 0));
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let log = s.deliveries(alice.id, false, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, DeliveryStatus::Sent);
    assert_eq!(log[0].response_code, Some(200));
    assert_eq!(got[0].header("idempotency-key"), Some(log[0].id.to_string().as_str()));
    // The signature verifies over the exact body, and not over another one.
    let sig = got[0].header("x-amazcope-signature").expect("signed").to_owned();
    assert_eq!(sig, sign("s3cret-key", &got[0].body));
    assert_ne!(sig, sign("s3cret-key", b"{}"));
    assert_ne!(sig, sign("other-key", &got[0].body));
    let body = got[0].json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["title"], "Price down 16.7%: Instant Pot Duo 7-in-1… (B00FLYWNYQ, amazon.com)");
    assert_eq!(body["product"]["asin"], "B00FLYWNYQ");
    assert_eq!(body["product"]["url"], "https://www.amazon.com/dp/B00FLYWNYQ");
    assert_eq!(body["alert"]["old"], "99.95");
    assert_eq!(body["alert"]["new"], "83.29");

    // Again, and again later: nothing more is sent.
    let again = d.run_once(t0() + Duration::days(2)).await.unwrap();
    assert_eq!((again.sent, again.failed, again.dead), (0, 0, 0));
    assert_eq!(sink.count(), 1);
    let ch = s.channels(alice.id).await.unwrap();
    assert!(ch[0].last_success_at.is_some());
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn email_arrives_escaped_through_smtp_auth_and_marks_the_notification(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let smtp = SmtpSink::start(Some(("mailer", "hunter2-pass"))).await.unwrap();
    let alice = user(&s, "alice").await;
    s.add_channel(email(&alice, "alice@example.com")).await.unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "<script>alert(1)</script> Kettle & Co", 0).await;

    let url = format!("smtp://mailer:hunter2-pass@{}", smtp.addr());
    let sum = deliverer(&s, Some(url), "w1").run_once(t0() + Duration::minutes(1)).await.unwrap();
    assert_eq!((sum.sent, sum.failed, sum.dead), (1, 0, 0), "{:?}", s.deliveries(alice.id, false, 5).await);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["alice@example.com".to_owned()]);
    assert_eq!(mails[0].user.as_deref(), Some("mailer"));
    let data = mails[0].decoded();
    assert!(data.contains("text/plain") && data.contains("text/html"), "{data}");
    // The HTML part holds the title escaped, never as markup (the plain part is text).
    let html = &data[data.find("text/html").expect("an HTML part")..];
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Kettle &amp; Co"), "{html}");
    assert!(!html.contains("<script>"), "raw markup in the HTML part: {html}");
    assert!(data.contains("B00FLYWNYQ") && data.contains("https://www.amazon.com/dp/B00FLYWNYQ"));
    assert_eq!(count(&pool, "SELECT count(*) FROM notifications WHERE email_sent AND email_sent_at IS NOT NULL AND email_error IS NULL").await, 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_refused_smtp_login_is_dead_and_the_password_is_never_in_the_error(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let smtp = SmtpSink::start(Some(("mailer", "right-password"))).await.unwrap();
    let alice = user(&s, "alice").await;
    s.add_channel(email(&alice, "alice@example.com")).await.unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "Kettle", 0).await;
    let url = format!("smtp://mailer:wrong-hunter2@{}", smtp.addr());
    let sum = deliverer(&s, Some(url), "w1").run_once(t0() + Duration::minutes(1)).await.unwrap();
    assert_eq!((sum.sent, sum.failed, sum.dead), (0, 0, 1));
    let log = s.deliveries(alice.id, true, 5).await.unwrap();
    let err = log[0].last_error.clone().unwrap();
    assert!(err.contains("535") || err.to_lowercase().contains("credentials"), "{err}");
    assert!(!err.contains("wrong-hunter2"), "password in the error: {err}");
    assert!(err.contains("mailer:***@"), "{err}");
    let note: Option<String> =
        sqlx::query_scalar("SELECT email_error FROM notifications").fetch_one(&pool).await.unwrap();
    assert!(note.is_some_and(|e| !e.contains("wrong-hunter2")));
    assert!(smtp.mails().is_empty());
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn server_down_fails_then_delivers_once_after_the_backoff(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let alice = user(&s, "alice").await;
    s.add_channel(webhook(&alice, &format!("http://127.0.0.1:{port}/hook?token=tok-123456"), None))
        .await
        .unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "Kettle", 0).await;
    let d = deliverer(&s, None, "w1");
    let now = t0() + Duration::minutes(1);
    let first = d.run_once(now).await.unwrap();
    assert_eq!((first.sent, first.failed, first.dead), (0, 1, 0));
    let log = s.deliveries(alice.id, true, 5).await.unwrap();
    assert_eq!(log[0].status, DeliveryStatus::Failed);
    assert!(log[0].next_attempt_at >= now + Duration::seconds(30), "back-off: {:?}", log[0].next_attempt_at);
    let err = log[0].last_error.clone().unwrap();
    assert!(!err.contains("tok-123456"), "token in the error: {err}");
    assert!(s.channels(alice.id).await.unwrap()[0].last_error.is_some());
    // Not due yet: nothing happens.
    assert_eq!(d.run_once(now + Duration::seconds(5)).await.unwrap().failed, 0);

    let sink = WebhookSink::start_on(port, false).await.unwrap();
    let later = d.run_once(now + Duration::hours(2)).await.unwrap();
    assert_eq!((later.sent, later.failed, later.dead), (1, 0, 0));
    assert_eq!(d.run_once(now + Duration::hours(4)).await.unwrap().sent, 0);
    assert_eq!(sink.count(), 1);
    let log = s.deliveries(alice.id, false, 5).await.unwrap();
    assert_eq!((log[0].status, log[0].attempts), (DeliveryStatus::Sent, 2));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn permanent_4xx_is_dead_with_its_reason_and_429_waits_for_retry_after(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let sink = WebhookSink::start().await.unwrap();
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    s.add_channel(webhook(&alice, &sink.url("/alice"), None)).await.unwrap();
    s.add_channel(webhook(&bob, &sink.url("/bob"), None)).await.unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "Kettle", 0).await;
    let d = deliverer(&s, None, "w1");
    let now = t0() + Duration::minutes(1);
    sink.respond_next(410, None);
    assert_eq!(d.run_once(now).await.unwrap().dead, 1);
    let log = s.deliveries(alice.id, true, 5).await.unwrap();
    assert_eq!((log[0].status, log[0].response_code), (DeliveryStatus::Dead, Some(410)));
    assert!(log[0].last_error.as_deref().unwrap().contains("HTTP 410 Gone"), "{:?}", log[0].last_error);
    assert!(s.channels(alice.id).await.unwrap()[0].last_error.as_deref().unwrap().contains("410"));
    assert_eq!(d.run_once(now + Duration::days(3)).await.unwrap(), Default::default());

    alert(&s, &bob, "B00FLYWNYR", "Kettle", 1).await;
    sink.respond_next(429, Some(900));
    let s429 = d.run_once(now + Duration::minutes(1)).await.unwrap();
    assert_eq!(s429.failed, 1);
    let log = s.deliveries(bob.id, true, 5).await.unwrap();
    assert!(
        log[0].next_attempt_at >= now + Duration::minutes(1) + Duration::seconds(900),
        "{:?}",
        log[0].next_attempt_at
    );
    assert_eq!(d.run_once(now + Duration::minutes(10)).await.unwrap().sent, 0);
    assert_eq!(d.run_once(now + Duration::minutes(20)).await.unwrap().sent, 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn switches_and_filters_decide_which_rows_are_written(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let alice = user(&s, "alice").await;
    s.add_channel(email(&alice, "alice@example.com")).await.unwrap();
    s.add_channel(webhook(&alice, "http://127.0.0.1:9/hook", None)).await.unwrap();
    let mut urgent = webhook(&alice, "http://127.0.0.1:9/urgent", None);
    urgent.min_priority = Some(NotificationPriority::Urgent);
    s.add_channel(urgent).await.unwrap();
    let mut stock = webhook(&alice, "http://127.0.0.1:9/stock", None);
    stock.types = Some(vec![NotificationType::StockChange]);
    s.add_channel(stock).await.unwrap();
    let mut slack = webhook(&alice, "http://127.0.0.1:9/slack", None);
    slack.format = Some(WebhookFormat::Slack);
    slack.types = Some(vec![NotificationType::PriceChange]);
    s.add_channel(slack).await.unwrap();

    let rows = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT c.target FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    // Defaults: e-mail on; the urgent-only and stock-only webhooks filter the price alert out.
    alert(&s, &alice, "B00000000A", "Kettle", 0).await;
    assert_eq!(
        rows(pool.clone()).await,
        ["alice@example.com", "http://127.0.0.1:9/hook", "http://127.0.0.1:9/slack"]
    );

    sqlx::query("DELETE FROM notification_deliveries").execute(&pool).await.unwrap();
    s.update_settings(alice.id, &SettingsPatch { price_alert_emails: Some(false), ..Default::default() })
        .await
        .unwrap();
    alert(&s, &alice, "B00000000B", "Kettle", 1).await;
    assert_eq!(rows(pool.clone()).await, ["http://127.0.0.1:9/hook", "http://127.0.0.1:9/slack"]);

    sqlx::query("DELETE FROM notification_deliveries").execute(&pool).await.unwrap();
    s.update_settings(
        alice.id,
        &SettingsPatch {
            price_alert_emails: Some(true),
            email_notifications_enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    alert(&s, &alice, "B00000000C", "Kettle", 2).await;
    assert_eq!(rows(pool.clone()).await, ["http://127.0.0.1:9/hook", "http://127.0.0.1:9/slack"]);
    // Every notification has its outbox rows in the same transaction: none without.
    assert_eq!(count(&pool, "SELECT count(*) FROM notifications").await, 3);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn another_users_channel_never_gets_this_users_alert(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let sink = WebhookSink::start().await.unwrap();
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let a_ch = s.add_channel(webhook(&alice, &sink.url("/alice"), None)).await.unwrap();
    s.add_channel(webhook(&bob, &sink.url("/bob"), None)).await.unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "Kettle", 0).await;
    deliverer(&s, None, "w1").run_once(t0() + Duration::minutes(1)).await.unwrap();
    let paths: Vec<String> = sink.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/alice"]);
    assert!(s.deliveries(bob.id, false, 10).await.unwrap().is_empty());
    assert_eq!(s.channels(bob.id).await.unwrap().len(), 1);
    assert!(matches!(s.channel(bob.id, a_ch.id).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(s.remove_channel(bob.id, a_ch.id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(s.channels(alice.id).await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn two_workers_at_once_send_each_row_once(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let sink = WebhookSink::start().await.unwrap();
    let alice = user(&s, "alice").await;
    s.add_channel(webhook(&alice, &sink.url("/hook"), None)).await.unwrap();
    for i in 0..120 {
        alert(&s, &alice, &format!("B{i:09}"), "Kettle", i).await;
    }
    let mut cfg = config(None);
    cfg.batch = 7;
    let w1 = Deliverer::new(s.clone(), Sender::new(&cfg).unwrap(), cfg.clone(), "w1");
    let w2 = Deliverer::new(s.clone(), Sender::new(&cfg).unwrap(), cfg, "w2");
    let now = t0() + Duration::days(1);
    let (a, b) = tokio::join!(w1.run_once(now), w2.run_once(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 120);
    assert!(a.sent > 0 && b.sent > 0, "both workers took part: {a:?} {b:?}");
    let keys: HashSet<String> =
        sink.received().iter().map(|r| r.header("idempotency-key").unwrap().to_owned()).collect();
    assert_eq!(sink.count(), 120);
    assert_eq!(keys.len(), 120);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_claim_whose_worker_died_is_delivered_after_the_lease_and_the_dead_worker_records_nothing(
    pool: PgPool,
) {
    let s = PgStore::from_pool(pool.clone());
    let sink = WebhookSink::start().await.unwrap();
    let alice = user(&s, "alice").await;
    s.add_channel(webhook(&alice, &sink.url("/hook"), None)).await.unwrap();
    alert(&s, &alice, "B00FLYWNYQ", "Kettle", 0).await;
    let now = t0() + Duration::minutes(1);
    let claim = DeliveryClaim { now, limit: 10, worker_id: "dead".into(), lease: Duration::seconds(60) };
    let claimed = s.claim_deliveries(&claim).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let d = deliverer(&s, None, "w2");
    assert_eq!(d.run_once(now + Duration::seconds(30)).await.unwrap().sent, 0, "leased rows are not taken");
    assert_eq!(d.run_once(now + Duration::seconds(61)).await.unwrap().sent, 1);
    assert_eq!(sink.count(), 1);
    let late = amazcope_pg::delivery::Attempt {
        id: claimed[0].id,
        outcome: amazcope_core::delivery::AttemptOutcome::Failed {
            code: None,
            error: "x".into(),
            retry_at: None,
        },
    };
    assert_eq!(s.record_attempts("dead", now + Duration::seconds(90), &[late]).await.unwrap(), 0);
    assert_eq!(s.deliveries(alice.id, false, 5).await.unwrap()[0].status, DeliveryStatus::Sent);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn channel_output_masks_secrets_and_bad_input_is_refused(pool: PgPool) {
    let s = PgStore::from_pool(pool);
    let alice = user(&s, "alice").await;
    let ch = s
        .add_channel(webhook(
            &alice,
            "https://user:pa55word@hooks.example/h?token=tok-abc",
            Some("whsec-xyz"),
        ))
        .await
        .unwrap();
    let shown = format!("{} {:?}", serde_json::to_string(&ch).unwrap(), ch);
    for secret in ["pa55word", "tok-abc", "whsec-xyz"] {
        assert!(!shown.contains(secret), "{secret} shown: {shown}");
    }
    assert!(shown.contains("user:***@hooks.example/h?token=***"), "{shown}");
    let dup =
        s.add_channel(webhook(&alice, "https://user:pa55word@hooks.example/h?token=tok-abc", None)).await;
    let msg = dup.unwrap_err().to_string();
    assert!(msg.contains("already has") && !msg.contains("pa55word"), "{msg}");
    let bad = s.add_channel(webhook(&alice, "ftp://x?token=zzz-secret", None)).await.unwrap_err().to_string();
    assert!(bad.contains("http") && !bad.contains("zzz-secret"), "{bad}");
    assert!(s.add_channel(email(&alice, "not an address")).await.is_err());
}
