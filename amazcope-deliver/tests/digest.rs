//! Digests (issue 14) against a real SMTP server on 127.0.0.1 (`amazcope_deliver::sinks`) and a
//! PostgreSQL database per test: one daily report per (user, UTC day) for
//! `daily_summary_emails`, one weekly per (user, ISO week) for `weekly_report_emails`, never
//! twice however many runs or workers, and only the user's own products in it.

use amazcope_core::delivery::{ChannelKind, NewChannel};
use amazcope_core::model::product::ProductUpsert;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::model::user::{NewUser, SettingsPatch, User};
use amazcope_core::{
    Asin, Currency, Marketplace, ProductRepository, SnapshotRepository, TrackingRepository, UserRepository,
};
use amazcope_deliver::sinks::{Mail, SmtpSink};
use amazcope_deliver::{Deliverer, DeliveryConfig, Sender, SmtpConfig};
use amazcope_pg::PgStore;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::time::Duration as StdDuration;

/// Wednesday 2026-07-01 00:00 UTC.
fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap()
}

/// A user with an e-mail channel and the given digest switches.
async fn user(s: &PgStore, name: &str, daily: bool, weekly: bool) -> User {
    let u = s.create_user(&NewUser::named(name).unwrap()).await.unwrap();
    s.update_settings(
        u.id,
        &SettingsPatch {
            daily_summary_emails: Some(daily),
            weekly_report_emails: Some(weekly),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.add_channel(NewChannel {
        user_id: u.id,
        kind: ChannelKind::Email,
        target: format!("{name}@example.com"),
        format: None,
        min_priority: None,
        types: None,
        secret: None,
    })
    .await
    .unwrap();
    u
}

/// A product tracked by `user` whose price went from 100 (at `before`) to 80 (on `day()`).
async fn product(s: &PgStore, user: &User, asin: &str, title: &str, before: DateTime<Utc>) {
    let mut up = ProductUpsert::bare(asin.parse::<Asin>().unwrap(), Marketplace::Com, Some(user.id));
    up.data.title = Some(title.to_owned());
    let p = s.upsert_product(&up).await.unwrap();
    s.track(user.id, p.id, &TrackOptions::default()).await.unwrap();
    for (at, price) in [(before, 100), (day() + Duration::hours(12), 80)] {
        let mut snap = NewSnapshot::empty(p.id, at, Currency::from_static("USD"));
        snap.price = Some(Decimal::from(price));
        snap.in_stock = true;
        s.insert_snapshot(&snap).await.unwrap();
    }
}

fn deliverer(s: &PgStore, smtp: &SmtpSink, worker: &str) -> Deliverer {
    let cfg = DeliveryConfig {
        smtp: Some(SmtpConfig { url: smtp.url(), from: "Amazcope <alerts@amazcope.test>".into() }),
        timeout: StdDuration::from_secs(5),
        ..DeliveryConfig::default()
    };
    Deliverer::new(s.clone(), Sender::new(&cfg).unwrap(), cfg, worker)
}

fn to(mails: &[Mail], who: &str) -> Vec<String> {
    mails.iter().filter(|m| m.to.iter().any(|t| t == who)).map(Mail::decoded).collect()
}

async fn digests(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE notification_type = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_daily_digest_is_sent_once_per_day_with_only_the_users_own_products(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let smtp = SmtpSink::start(None).await.unwrap();
    let alice = user(&s, "alice", true, false).await;
    let bob = user(&s, "bob", true, false).await;
    let carol = user(&s, "carol", false, false).await;
    product(&s, &alice, "B00ALICE01", "<b>Kettle</b> & Co electric kettle", day() - Duration::hours(12))
        .await;
    product(&s, &bob, "B00BOBBB01", "Bob's secret blender", day() - Duration::hours(12)).await;
    product(&s, &carol, "B00CAROL01", "Carol's toaster", day() - Duration::hours(12)).await;

    // Two workers at once, then the same run again, then later the same day: one digest each.
    let now = day() + Duration::days(1) + Duration::hours(1);
    let (w1, w2) = (deliverer(&s, &smtp, "w1"), deliverer(&s, &smtp, "w2"));
    let (a, b) = tokio::join!(w1.run_once(now), w2.run_once(now));
    let sent = a.unwrap().sent + b.unwrap().sent;
    assert_eq!(sent, 2, "alice's and bob's digests");
    assert_eq!(w1.run_once(now).await.unwrap().sent, 0);
    assert_eq!(w2.run_once(now + Duration::hours(20)).await.unwrap().sent, 0);
    assert_eq!(digests(&pool, "daily_summary").await, 2);

    let mails = smtp.mails();
    assert_eq!(mails.len(), 2);
    let alice_mail = to(&mails, "alice@example.com");
    assert_eq!(alice_mail.len(), 1, "exactly one digest for alice");
    let m = &alice_mail[0];
    assert!(m.contains("Subject: Daily report for alice: 2026-07-01"), "{m}");
    assert!(m.contains("text/plain") && m.contains("text/html"), "{m}");
    assert!(m.contains("B00ALICE01") && m.contains("-20.0%"), "{m}");
    assert!(!m.contains("B00BOBBB01") && !m.contains("blender"), "bob's product in alice's digest: {m}");
    assert!(!m.contains("B00CAROL01"), "{m}");
    let html = &m[m.find("text/html").expect("an HTML part")..];
    assert!(html.contains("&lt;b&gt;Kettle&lt;/b&gt; &amp; Co"), "{html}");
    assert!(!html.contains("<b>Kettle"), "raw markup in the HTML part: {html}");
    let bob_mail = to(&mails, "bob@example.com");
    assert_eq!(bob_mail.len(), 1);
    assert!(bob_mail[0].contains("B00BOBBB01") && !bob_mail[0].contains("B00ALICE01"));
    assert!(to(&mails, "carol@example.com").is_empty(), "carol has daily_summary_emails off");
    // Marked sent on the notification like any e-mail.
    let marked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE notification_type = 'daily_summary' AND email_sent",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(marked, 2);

    // The next day has its own digest; turning the switch off stops bob's.
    s.update_settings(bob.id, &SettingsPatch { daily_summary_emails: Some(false), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(w1.run_once(now + Duration::days(1)).await.unwrap().sent, 1);
    let mails = smtp.mails();
    assert_eq!(to(&mails, "alice@example.com").len(), 2);
    assert!(mails.iter().any(|m| m.data.contains("Daily report for alice: 2026-07-02")));
    assert_eq!(to(&mails, "bob@example.com").len(), 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_weekly_digest_is_sent_once_per_iso_week(pool: PgPool) {
    let s = PgStore::from_pool(pool.clone());
    let smtp = SmtpSink::start(None).await.unwrap();
    let dave = user(&s, "dave", false, true).await;
    let erin = user(&s, "erin", true, false).await;
    product(&s, &dave, "B00DAVE001", "Dave's pressure cooker", day() - Duration::days(3)).await;
    product(&s, &erin, "B00ERIN001", "Erin's air fryer", day() - Duration::days(3)).await;

    // Monday 2026-07-06 01:00: the week 2026-06-29 to 2026-07-05 has ended.
    let monday = Utc.with_ymd_and_hms(2026, 7, 6, 1, 0, 0).unwrap();
    let (w1, w2) = (deliverer(&s, &smtp, "w1"), deliverer(&s, &smtp, "w2"));
    let (a, b) = tokio::join!(w1.run_once(monday), w2.run_once(monday));
    // Dave's weekly digest and erin's daily one (of Sunday).
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 2);
    for later in [Duration::hours(1), Duration::days(3)] {
        w1.run_once(monday + later).await.unwrap();
    }
    assert_eq!(digests(&pool, "weekly_report").await, 1);
    let mails = smtp.mails();
    let dave_mail = to(&mails, "dave@example.com");
    assert_eq!(dave_mail.len(), 1, "one weekly digest for dave");
    let m = &dave_mail[0];
    assert!(m.contains("Subject: Weekly report for dave: 2026-06-29 to 2026-07-05"), "{m}");
    assert!(m.contains("B00DAVE001") && m.contains("-20.0%") && !m.contains("B00ERIN001"), "{m}");
    // Erin has only the daily switch: her mails are daily digests, none weekly.
    let erin_mail = to(&mails, "erin@example.com");
    assert!(!erin_mail.is_empty() && erin_mail.iter().all(|m| m.contains("Subject: Daily report for erin")));
    // The next week's digest comes the next Monday.
    w2.run_once(monday + Duration::days(7)).await.unwrap();
    assert_eq!(digests(&pool, "weekly_report").await, 2);
    assert_eq!(to(&smtp.mails(), "dave@example.com").len(), 2);
}
