//! Load on `amazcope serve`: 50 concurrent clients on the product list and history endpoints.
//!
//! `serve_load [SECONDS] [CLIENTS] [PRODUCTS] [DAYS]` (defaults 30 50 500 90); needs
//! `DATABASE_URL`: a superuser's, or that of a role held to row-level security
//! (`scripts/test-db-roles`' `amazcope_app`), which the service then runs as, as a deployment
//! does. Stores PRODUCTS × DAYS snapshots (those of the last DAYS days) tracked by
//! one user in a throwaway database, serves it on 127.0.0.1 (its own runtime; a pool of
//! twice the cores, as `amazcope serve`), checks one answer of each kind, and has CLIENTS
//! keep-alive clients (gzip, as browsers and Python's `requests`) alternate
//! `GET /api/v1/products?limit=100` and `GET /api/v1/products/{id}/history?days=DAYS`
//! (every stored day of a random product) for SECONDS. Prints requests/s and latency
//! percentiles per endpoint and overall; any non-200 answer is counted and fails the run.
//!
//! For profiling: `SERVE_LOAD_POOL=N` sets the server's pool size (default `amazcope
//! serve`'s, `serve::pool_config`), `SERVE_LOAD_PING_AFTER_MS=N` pings a connection before
//! use only when it was idle N ms (0: always; default serve's 500), `SERVE_LOAD_ONLY=list|history` sends only
//! that request, and `SERVE_LOAD_SHOW=1` prints one item of each answer. Also prints the CPU
//! time per request of this process (server and clients) and of the database's backends
//! (from `/proc`, when the server runs on this machine).

/// The allocator of the `amazcope` binary, whose web service this embeds.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use amazcope_benches::{BenchDb, Rng, cpu_now, first_day, generate};
use amazcope_core::SnapshotRepository;
use amazcope_examples::serve::{self, AppState};
use amazcope_pg::PgStore;
use chrono::{Duration as Days, Utc};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let secs = args.first().copied().unwrap_or(30);
    let clients = args.get(1).copied().unwrap_or(50) as usize;
    let products = args.get(2).copied().unwrap_or(500) as usize;
    let days = args.get(3).copied().unwrap_or(90) as usize;
    let only = match std::env::var("SERVE_LOAD_ONLY").as_deref() {
        Ok("list") => Some(0),
        Ok("history") => Some(1),
        Ok(other) => panic!("SERVE_LOAD_ONLY={other}: use list or history"),
        Err(_) => None,
    };

    // The server's runtime (multi-threaded, one worker per core) and the clients' (one
    // thread), so the clients do not queue behind the server's tasks.
    let server_rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("server runtime");
    let client_rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");

    let (db, token, ids, addr, stop, server_pool) = server_rt.block_on(async {
        let db = BenchDb::create().await;
        let mut data = generate(&db.store, products, days, 19).await;
        // The stored days are the last DAYS days up to today, as a tracker that has run for
        // that long holds them, so `history?days=DAYS` returns every one of them and reads the
        // partitions of those months only (the schema's monthly partitions reach from 2024
        // to three months ahead; a read of all of them is another benchmark).
        let today = Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let shift = today - Days::days(days as i64 - 1) - first_day();
        for row in &mut data.rows {
            row.scraped_at += shift;
        }
        for chunk in data.rows.chunks(20_000) {
            db.store.insert_snapshots(chunk).await.expect("store snapshots");
        }
        // One user tracking every product, written on the cross-user path (`SET LOCAL ROLE
        // amazcope_service`), so a DATABASE_URL of a role held to row-level security
        // (scripts/test-db-roles' amazcope_app, as a deployment connects) can set it up too.
        // language=PostgreSQL
        sqlx::raw_sql(
            "BEGIN; SET LOCAL ROLE amazcope_service;
             INSERT INTO users (email, username, hashed_password) VALUES ('load@localhost', 'load', '!');
             INSERT INTO user_products (user_id, product_id) SELECT u.id, p.id FROM users u CROSS JOIN products p;
             COMMIT;
             ANALYZE",
        )
        .execute(db.store.pool())
        .await
        .expect("track every product");
        let user: uuid::Uuid =
            sqlx::query_scalar("SELECT id FROM users WHERE username = 'load'").fetch_one(db.store.pool()).await.unwrap();
        let (_, token) = db.store.create_api_token(user.into(), "load").await.expect("token");
        let mut pool = serve::pool_config(std::env::var("SERVE_LOAD_POOL").ok().and_then(|v| v.parse().ok()));
        if let Ok(ms) = std::env::var("SERVE_LOAD_PING_AFTER_MS") {
            pool.ping_after_idle = Duration::from_millis(ms.parse().expect("SERVE_LOAD_PING_AFTER_MS: milliseconds"));
        }
        let server_pool = pool.max_connections;
        let store = PgStore::connect(db.connect_options(), pool).await.expect("server pool");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve::serve(listener, AppState::new(store), async move {
            let _ = rx.await;
        }));
        eprintln!("stored {} snapshots ({products} products x {days} days); serving on {addr}", data.rows.len());
        (db, token.expose().to_owned(), data.product_ids, addr, tx, server_pool)
    });

    amazcope_scrape::fetch::install_tls_provider();
    // CPU seconds of this process (server and clients) and of the database's backends over
    // the run: per request, a figure that a busier or slower machine moves less than
    // requests/s.
    let cpu_before = server_rt.block_on(cpu_now(db.store.pool()));
    let results = client_rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();
        // What one request of each kind answers (checked, and its size printed with the
        // figures): a page of 100 products, and every stored day of one product.
        let probe = |url: String| {
            let (client, token) = (client.clone(), token.clone());
            async move {
                let r = client.get(&url).bearer_auth(&token).send().await.expect("probe request");
                let body = r.bytes().await.expect("probe body");
                (body.len(), serde_json::from_slice::<serde_json::Value>(&body).expect("probe json"))
            }
        };
        let (list_len, list) = probe(format!("http://{addr}/api/v1/products?limit=100")).await;
        let (history_len, history) =
            probe(format!("http://{addr}/api/v1/products/{}/history?days={days}", ids[0])).await;
        if std::env::var_os("SERVE_LOAD_SHOW").is_some() {
            eprintln!("{}\n{}", list["items"][0], history["snapshots"][0]);
        }
        let counts = (list["items"].as_array().map(Vec::len), history["snapshots"].as_array().map(Vec::len));
        assert_eq!(counts, (Some(100.min(products)), Some(days)), "a list page and a whole history");
        eprintln!(
            "answers (as JSON, before gzip): list {:.1} kB ({} items), history {:.1} kB ({} snapshots)",
            list_len as f64 / 1000.0,
            100.min(products),
            history_len as f64 / 1000.0,
            days
        );
        let deadline = Instant::now() + Duration::from_secs(secs);
        let tasks = (0..clients).map(|c| {
            let client = client.clone();
            let token = token.clone();
            let ids = ids.clone();
            tokio::spawn(async move {
                let mut rng = Rng::new(c as u64 + 1);
                let mut lat: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
                let mut errors = 0u64;
                let mut i = c;
                while Instant::now() < deadline {
                    let kind = only.unwrap_or(i % 2);
                    i += 1;
                    let url = if kind == 0 {
                        format!("http://{addr}/api/v1/products?limit=100")
                    } else {
                        let id = ids[rng.range(0, ids.len() as i64) as usize];
                        format!("http://{addr}/api/v1/products/{id}/history?days={days}")
                    };
                    let t = Instant::now();
                    let ok = match client.get(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    lat[kind].push(t.elapsed().as_micros() as u32);
                    if !ok {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        });
        futures::future::join_all(tasks).await
    });

    let cpu_after = server_rt.block_on(cpu_now(db.store.pool()));
    let mut all: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    let mut errors = 0;
    for r in results {
        let (lat, e) = r.expect("client task");
        for k in 0..2 {
            all[k].extend(&lat[k]);
        }
        errors += e;
    }
    let report = |name: &str, v: &mut Vec<u32>| {
        v.sort_unstable();
        let pct = |p: f64| {
            v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0) as f64
                / 1000.0
        };
        println!(
            "{name:<8} requests {:>7}  req/s {:>8.1}  p50 {:>6.1} ms  p90 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
            v.len(),
            v.len() as f64 / secs as f64,
            pct(0.50),
            pct(0.90),
            pct(0.99),
            v.last().copied().unwrap_or(0) as f64 / 1000.0
        );
    };
    println!(
        "serve_load: {clients} clients, {secs} s, {products} products x {days} days, server pool {server_pool}"
    );
    let mut total: Vec<u32> = all.iter().flatten().copied().collect();
    report("list", &mut all[0]);
    report("history", &mut all[1]);
    report("all", &mut total);
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        let n = total.len().max(1) as f64;
        println!(
            "cpu per request: this process (server and clients) {:.0} us, PostgreSQL {:.0} us",
            (b.0 - a.0) * 1e6 / n,
            (b.1 - a.1) * 1e6 / n
        );
    }
    println!("errors {errors}");
    let _ = stop.send(());
    server_rt.block_on(db.drop_db());
    if errors > 0 {
        eprintln!("error: {errors} requests failed");
        std::process::exit(1);
    }
}
