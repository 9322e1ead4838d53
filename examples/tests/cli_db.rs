//! `amazcope db stats`, `db backup`, `db restore` and the backup `db upgrade` takes first
//! (issue 18), through the binary on a database of its own and the real `pg_dump`.

mod common;

use common::TestDb;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn table<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[tokio::test]
async fn db_stats_json_has_the_monitoring_keys_and_live_row_counts() {
    let db = TestDb::with_users("stats", &["alice", "bob"]).await;
    // Each `user add` ran in a process of its own; its server session publishes its row
    // counts when it ends, asynchronously, so wait for them (bounded).
    let deadline = Instant::now() + Duration::from_secs(10);
    let stats = loop {
        let stats = db.json(&["db", "stats", "--json"]);
        if table(&stats, "users")["live_rows"] == 2 || Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for key in ["tables", "indexes", "slow_queries", "bloat", "connections", "replication"] {
        assert!(stats.get(key).is_some(), "{key} missing: {stats}");
    }
    let users = table(&stats, "users");
    assert_eq!(users["live_rows"], 2, "{users}");
    assert!(users["total_bytes"].as_i64().unwrap() > 0, "{users}");
    assert!(table(&stats, "_sqlx_migrations")["live_rows"].as_i64().unwrap() > 0, "{stats}");
    // The test server does not preload pg_stat_statements: an empty list and how to enable it.
    assert_eq!(stats["slow_queries"].as_array().map(Vec::len), Some(0));
    assert!(stats["slow_queries_note"].as_str().unwrap().contains("shared_preload_libraries"), "{stats}");
    assert!(stats["bloat"].as_array().unwrap().iter().any(|b| b["table"] == "users" && b["live_rows"] == 2));
    assert!(stats["connections"]["pool"]["max"].as_u64().unwrap() > 0);
    assert!(
        stats["connections"]["sessions"].as_array().unwrap().iter().any(|s| s["state"] == "active"),
        "the stats query itself is an active amazcope session: {stats}"
    );
    assert_eq!(stats["replication"], Value::Array(Vec::new()));

    let text = db.ok(&["db", "stats"]);
    assert!(text.contains("live rows"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("pg_stat_statements")).count(),
        1,
        "one line on how to enable it:\n{text}"
    );
    assert!(text.contains("replication: no standbys"), "{text}");
    db.drop_db().await;
}

#[tokio::test]
async fn backup_then_restore_into_an_empty_database_and_refuse_a_full_one() {
    let source = TestDb::with_users("backup", &["alice", "bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("shop.dump");
    let dump_arg = dump.to_str().unwrap();
    let out = source.ok(&["db", "backup", "--out", dump_arg]);
    assert!(out.contains("backed up") && out.contains("shop.dump"), "{out}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("shop.dump.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["tables"]["users"], 2);

    let target = TestDb::empty("amzcli_restore").await;
    let out = target.ok(&["db", "restore", dump_arg]);
    assert!(out.contains("every count as in the backup"), "{out}");
    let users = target.json(&["user", "list", "--json"]);
    assert_eq!(users.as_array().map(Vec::len), Some(2), "{users}");

    let err = target.fails(&["db", "restore", dump_arg]);
    assert!(err.contains("is not empty") && err.contains("restore only into an empty database"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = target.fails(&["db", "restore", "/nonexistent/x.dump"]);
    assert!(err.contains("no manifest"), "{err}");

    // Without DATABASE_URL: into the private cluster's database, made empty for it (a new
    // machine), then usable as usual.
    let home = tempfile::Builder::new().prefix("amzrs").tempdir().unwrap();
    let private = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_amazcope"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env("AMAZCOPE_HOME", home.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let out = private(&["db", "restore", dump_arg]);
    assert!(out.contains("every count as in the backup"), "{out}");
    let users: Value = serde_json::from_str(&private(&["user", "list", "--json"])).unwrap();
    assert_eq!(users.as_array().map(Vec::len), Some(2), "{users}");
    // And back: the private cluster's dump holds pg_stat_statements, which a restore leaves
    // out (the test server has the module but does not preload it).
    let dump2 = dir.path().join("private.dump");
    private(&["db", "backup", "--out", dump2.to_str().unwrap()]);
    private(&["db", "stop"]);
    let again = TestDb::empty("amzcli_restore2").await;
    let out = again.ok(&["db", "restore", dump2.to_str().unwrap()]);
    assert!(out.contains("every count as in the backup"), "{out}");
    again.drop_db().await;
    source.drop_db().await;
    target.drop_db().await;
}

fn dumps_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn upgrade_backs_up_a_database_holding_data_unless_told_not_to() {
    let db = TestDb::with_users("upbk", &["alice"]).await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let backups_arg = backups.to_str().unwrap();

    // Up to date: nothing to migrate, nothing to back up.
    let out = db.ok(&["db", "upgrade", "--backup-dir", backups_arg]);
    assert!(!out.contains("backed up"), "{out}");
    assert!(dumps_in(&backups).is_empty());

    db.ok(&["db", "downgrade"]);
    let out = db.ok(&["db", "upgrade", "--backup-dir", backups_arg]);
    assert!(out.contains("backed up to") && out.contains("upgraded from"), "{out}");
    let files = dumps_in(&backups);
    assert_eq!(files.len(), 2, "a dump and its manifest: {files:?}");
    assert!(files[0].starts_with("amazcope-amzcli_upbk_") && files[0].ends_with(".dump"), "{files:?}");
    assert!(files[1].ends_with(".dump.manifest.json"), "{files:?}");

    db.ok(&["db", "downgrade"]);
    let out = db.ok(&["db", "upgrade", "--no-backup"]);
    assert!(!out.contains("backed up"), "{out}");
    assert_eq!(dumps_in(&backups).len(), 2);

    // Without --backup-dir: AMAZCOPE_HOME/backups.
    db.ok(&["db", "downgrade"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_amazcope"))
        .args(["db", "upgrade"])
        .env("DATABASE_URL", &db.url)
        .env("AMAZCOPE_HOME", dir.path().join("home"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(dumps_in(&dir.path().join("home").join("backups")).len(), 2);
    db.drop_db().await;
}

// ---- issue 16: secrets and SQL injection through the command line ----

const DB_PASSWORD: &str = "Sup3rS3cretDbPw";

/// `url` (a server's URL from DATABASE_URL) with user `who`, the test password and `port`.
fn url_with_password(url: &str, who: &str, port: Option<u16>) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host_and_path = match port {
        Some(p) => {
            let (hostport, path) = host_and_path.split_once('/').unwrap_or((host_and_path, ""));
            let host = hostport.rsplit_once(':').map_or(hostport, |(h, _)| h);
            format!("{host}:{p}/{path}")
        }
        None => host_and_path.to_owned(),
    };
    format!("postgres://{who}:{DB_PASSWORD}@{host_and_path}")
}

fn amazcope_with_url(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_amazcope"))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .expect("run amazcope")
}

#[tokio::test]
async fn a_database_password_never_appears_in_errors_or_json_output() {
    let db = TestDb::new("secret").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let cases = [
        // Nobody listening.
        ("unreachable", url_with_password(&db.url, "amazcope", Some(port))),
        // The real server, a user it does not know / a wrong password.
        ("wrong password", url_with_password(&db.url, "amazcope_nobody", None)),
        // A URL the driver cannot read (the port is not a number).
        ("unreadable", format!("postgres://amazcope:{DB_PASSWORD}@127.0.0.1:notaport/x")),
    ];
    for (what, url) in &cases {
        for args in [&["user", "list"][..], &["user", "list", "--json"], &["db", "status", "--json"]] {
            let out = amazcope_with_url(url, args);
            let (stdout, stderr) =
                (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!out.status.success(), "{what} {args:?} should fail: {stdout}");
            assert!(stderr.starts_with("error: "), "{what} {args:?}: one error line: {stderr}");
            assert!(
                !stdout.contains(DB_PASSWORD) && !stderr.contains(DB_PASSWORD),
                "{what} {args:?} printed the password: {stdout} {stderr}"
            );
        }
    }
    db.drop_db().await;
}

#[tokio::test]
async fn sql_in_user_names_asins_and_emails_is_plain_data() {
    let db = TestDb::new("inject").await;
    db.ok(&["user", "add", "alice"]);
    let hostile = ["bob'--", "x');DROP_TABLE_users;--", "o'brien\"", "r$$1$$;DELETE_FROM_users"];
    let mut stored = vec!["alice".to_owned()];
    for name in hostile {
        let out = db.run(&["user", "add", name, "--json"]);
        if out.status.success() {
            // Stored: exactly as typed.
            let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(user["username"], name);
            stored.push(name.to_owned());
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.starts_with("error: ") && !err.contains("syntax error"), "{name}: {err}");
        }
    }
    // An e-mail with a quote, and look-ups by hostile names, are data too.
    let email = "c'; DROP TABLE users; --@x.com";
    let carol = db.run(&["user", "add", "carol", "--email", email]);
    if carol.status.success() {
        stored.push("carol".to_owned());
    }
    let err = db.fails(&["track", "list", "--user", "alice' OR '1'='1"]);
    assert!(!err.contains("syntax error"), "{err}");
    for asin in ["B000'; DROP TABLE products; --", "B0\\'0000001", "1 OR 1=1"] {
        let err = db.fails(&["track", "add", asin, "--user", "alice"]);
        assert!(!err.contains("syntax error"), "{asin}: {err}");
    }
    let err = db.fails(&["track", "add", "B000000001", "--user", "alice", "--marketplace", "com'; --"]);
    assert!(!err.contains("syntax error"), "{err}");
    // Every table is still there and holds exactly what was stored.
    let users = db.json(&["user", "list", "--json"]);
    let mut names: Vec<String> =
        users.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
    names.sort();
    stored.sort();
    assert_eq!(names, stored);
    if let Some(c) = users.as_array().unwrap().iter().find(|u| u["username"] == "carol") {
        assert_eq!(c["email"], email, "stored exactly as typed");
    }
    for name in stored.iter().filter(|n| *n != "alice") {
        // A stored hostile name works as a name: it tracks, and lists its own products.
        db.ok(&["track", "add", "B000000001", "--user", name]);
        let list = db.json(&["track", "list", "--user", name, "--json"]);
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{name}");
    }
    assert!(db.json(&["track", "list", "--user", "alice", "--json"]).as_array().unwrap().is_empty());
    db.drop_db().await;
}
