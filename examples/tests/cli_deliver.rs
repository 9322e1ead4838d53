//! `amazcope channels`, `deliver`, `deliveries` end to end, against a real webhook receiver
//! and SMTP server on 127.0.0.1; a worker killed with SIGKILL between its claim and its
//! record leaves the delivery to the next worker once the lease has run out.

mod common;

use amazcope_core::model::product::ProductUpsert;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::{
    AlertRepository, Currency, Marketplace, ProductRepository, SnapshotRepository, UserRepository,
};
use amazcope_deliver::sinks::{SmtpSink, WebhookSink};
use amazcope_pg::PgStore;
use amazcope_pg::testing::price_alert;
use chrono::{TimeZone, Utc};
use common::TestDb;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One price alert for `user` (notification and delivery rows with it) on a product titled
/// `title`, raised at 2026-07-01 12:00 UTC.
async fn raise_alert(db: &TestDb, user: &str, title: &str) {
    let s = PgStore::connect_url(&db.url).await.unwrap();
    let u = s.user_by_name(user).await.unwrap().unwrap();
    let mut up = ProductUpsert::bare("B00FLYWNYQ".parse().unwrap(), Marketplace::Com, Some(u.id));
    up.data.title = Some(title.into());
    let p = s.upsert_product(&up).await.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
    let snap = s.insert_snapshot(&NewSnapshot::empty(p.id, at, Currency::from_static("USD"))).await.unwrap();
    s.create_alerts(&[price_alert(u.id, p.id, snap.id, at)]).await.unwrap();
}

// Multi-threaded: the receivers must answer while the test waits on the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_deliver_and_the_log_through_the_cli_with_secrets_masked() {
    let db = TestDb::with_users("deliver", &["alice", "bob"]).await;
    let sink = WebhookSink::start().await.unwrap();
    let smtp = SmtpSink::start(None).await.unwrap();
    let hook = sink.url("/hook?token=tok-SECRET-1");
    let out =
        db.ok(&["channels", "add", "--user", "alice", "--webhook", &hook, "--secret", "whsec-SECRET-2"]);
    assert!(out.contains("token=***") && !out.contains("tok-SECRET-1"), "{out}");
    db.ok(&[
        "channels",
        "add",
        "--user",
        "alice",
        "--email",
        "alice@example.com",
        "--min-priority",
        "normal",
        "--types",
        "price_change,stock_change",
    ]);
    let list = db.ok(&["channels", "list", "--user", "alice"]);
    let json = db.ok(&["channels", "list", "--user", "alice", "--json"]);
    for shown in [&list, &json] {
        assert!(
            !shown.contains("tok-SECRET-1") && !shown.contains("whsec-SECRET-2"),
            "secret shown: {shown}"
        );
    }
    let channels: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(channels.as_array().unwrap().len(), 2);
    assert_eq!(db.json(&["channels", "list", "--user", "bob", "--json"]).as_array().unwrap().len(), 0);
    // Another user cannot remove or test alice's channel.
    let hook_id = channels[0]["id"].as_str().unwrap().to_owned();
    assert!(db.fails(&["channels", "remove", "--user", "bob", &hook_id]).contains("not found"));
    // A bad format is refused in the user's words.
    let bad = db.fails(&["channels", "add", "--user", "alice", "--webhook", &hook, "--format", "teams"]);
    assert!(bad.contains("format") && bad.contains("slack"), "{bad}");

    // channels test sends now.
    let tested = db.ok(&["channels", "test", "--user", "alice", &hook_id]);
    assert!(tested.contains("sent") && !tested.contains("tok-SECRET-1"), "{tested}");
    assert_eq!(sink.count(), 1);

    raise_alert(&db, "alice", "Instant Pot Duo 7-in-1 Electric Pressure Cooker").await;
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_amazcope"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("AMAZCOPE_SMTP_URL", smtp.url())
            .env("AMAZCOPE_MAIL_FROM", "Amazcope <alerts@amazcope.test>")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let counts: serde_json::Value =
        serde_json::from_str(&run(&["deliver", "--once", "--now", "2026-07-01T12:01:00Z", "--json"]))
            .unwrap();
    assert_eq!(
        (counts["sent"].as_u64(), counts["failed"].as_u64(), counts["dead"].as_u64()),
        (Some(2), Some(0), Some(0))
    );
    assert_eq!(
        run(&["deliver", "--once", "--now", "2026-07-02T00:00:00Z"]).trim(),
        "sent 0, failed 0, dead 0"
    );
    assert_eq!(sink.count(), 2);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    // The subject names the change and the product (its "…" is RFC 2047-encoded).
    assert!(mails[0].data.contains("Subject: Price down 16.7%: Instant Pot Duo"), "{}", mails[0].data);
    assert!(mails[0].data.contains("(B00FLYWNYQ, amazon.com)"), "{}", mails[0].data);
    let log = db.json(&["deliveries", "--user", "alice", "--json"]);
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert!(log.as_array().unwrap().iter().all(|d| d["status"] == "sent"));
    assert!(!log.to_string().contains("tok-SECRET-1"));
    assert_eq!(db.ok(&["deliveries", "--user", "alice", "--failed"]).trim(), "no deliveries");
    assert_eq!(db.ok(&["deliveries", "--user", "bob"]).trim(), "no deliveries");
    db.drop_db().await;
}

// Multi-threaded: the receivers must answer while the test waits on the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deliverer_killed_between_claim_and_record_is_taken_over_after_the_lease() {
    let db = TestDb::with_users("deliverkill", &["alice"]).await;
    let sink = WebhookSink::start().await.unwrap();
    db.ok(&["channels", "add", "--user", "alice", "--webhook", &sink.url("/hook")]);
    raise_alert(&db, "alice", "Kettle").await;
    // The receiver holds its answer: the worker has claimed and sent, not yet recorded.
    sink.set_delay(Some(Duration::from_secs(30)));
    let mut child = Command::new(env!("CARGO_BIN_EXE_amazcope"))
        .args(["deliver", "--once", "--now", "2026-07-02T00:00:00Z", "--id", "doomed"])
        .env("DATABASE_URL", &db.url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(60)).await, 1, "the worker never sent");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    sink.set_delay(None);
    let log = db.json(&["deliveries", "--user", "alice", "--json"]);
    assert_eq!(log[0]["status"], "pending", "{log}");
    // Within the lease (60 s) nobody else takes it; after it, another worker does.
    assert_eq!(
        db.ok(&["deliver", "--once", "--now", "2026-07-02T00:00:30Z"]).trim(),
        "sent 0, failed 0, dead 0"
    );
    assert_eq!(
        db.ok(&["deliver", "--once", "--now", "2026-07-02T00:01:01Z"]).trim(),
        "sent 1, failed 0, dead 0"
    );
    let got = sink.received();
    assert_eq!(got.len(), 2, "at least once: sent again after the kill");
    // Both attempts carry the same Idempotency-Key, so the receiver can dedupe.
    assert_eq!(got[0].header("idempotency-key"), got[1].header("idempotency-key"));
    assert_eq!(got[0].header("idempotency-key"), log[0]["id"].as_str());
    let log = db.json(&["deliveries", "--user", "alice", "--json"]);
    assert_eq!(log[0]["status"], "sent");
    db.drop_db().await;
}

// Multi-threaded: the SMTP sink must answer while the test waits on the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_goes_out_once_through_deliver_once() {
    let db = TestDb::with_users("digest", &["alice", "bob"]).await;
    let smtp = SmtpSink::start(None).await.unwrap();
    db.ok(&["settings", "--user", "alice", "--set", "daily_summary_emails=true"]);
    db.ok(&["channels", "add", "--user", "alice", "--email", "alice@example.com"]);
    db.ok(&["channels", "add", "--user", "bob", "--email", "bob@example.com"]);
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_amazcope"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("AMAZCOPE_SMTP_URL", smtp.url())
            .env("AMAZCOPE_MAIL_FROM", "Amazcope <alerts@amazcope.test>")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["deliver", "--once", "--now", "2026-07-02T01:00:00Z"]).trim(),
        "sent 1, failed 0, dead 0"
    );
    assert_eq!(
        run(&["deliver", "--once", "--now", "2026-07-02T02:00:00Z"]).trim(),
        "sent 0, failed 0, dead 0"
    );
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "one digest, for alice only (bob's switch is off)");
    assert_eq!(mails[0].to, vec!["alice@example.com".to_owned()]);
    assert!(mails[0].data.contains("Subject: Daily report for alice: 2026-07-01"), "{}", mails[0].data);
}
