//! Webhook delivery through the outbox, for `benches/deliver_compare.sh`:
//!
//! - `rate`: N alerts are written (their delivery rows with them), then one deliverer sends
//!   them all (claim batches of 500, 64 sends in flight, set-wise records) to `URL` (a
//!   receiver of the caller, e.g. `../shared/bench/run.sh deliver --serve PORT`, or our own
//!   axum receiver when no URL is given). Prints `rate_deliveries_per_sec`.
//! - `latency`: a deliverer runs as in `amazcope worker` (polls every 250 ms when idle);
//!   K alerts are committed one by one at random moments and the time from each commit to
//!   the webhook's arrival at our own receiver is measured. Prints median and p99.
//!
//!   deliver_rate [N] [URL] [K]       (default 5000, own receiver, 100). Needs DATABASE_URL.

use amazcope_benches::BenchDb;
use amazcope_core::delivery::{ChannelKind, NewChannel};
use amazcope_core::model::alert::NewAlert;
use amazcope_core::model::product::ProductUpsert;
use amazcope_core::model::user::NewUser;
use amazcope_core::{AlertRepository, AlertType, Marketplace, ProductRepository, Severity, UserRepository};
use amazcope_deliver::sinks::WebhookSink;
use amazcope_deliver::{Deliverer, DeliveryConfig, Sender};
use chrono::Utc;
use std::time::{Duration, Instant};

fn alert(user: amazcope_core::UserId, product: amazcope_core::ProductId, i: usize) -> NewAlert {
    NewAlert {
        user_id: user,
        product_id: product,
        snapshot_id: None,
        snapshot_scraped_at: None,
        alert_type: AlertType::PriceChange,
        severity: Severity::Warning,
        title: format!("Price decreased by 16.7% ({i})"),
        message: "Price went from 99.95 to 83.29".into(),
        old_value: Some("99.95".into()),
        new_value: Some("83.29".into()),
        change_percentage: Some(-16.66),
        created_at: Utc::now(),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5000);
    let url = args.get(2).filter(|s| !s.is_empty() && *s != "-").cloned();
    let k: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100);
    let db = BenchDb::create().await;
    let s = db.store.clone();
    let user = s.create_user(&NewUser::named("bench").unwrap()).await.unwrap();
    let product = s
        .upsert_product(&{
            let mut p = ProductUpsert::bare("B00FLYWNYQ".parse().unwrap(), Marketplace::Com, Some(user.id));
            p.data.title = Some("Instant Pot Duo 7-in-1 Electric Pressure Cooker".into());
            p
        })
        .await
        .unwrap();
    let own = WebhookSink::start_on(0, true).await.unwrap();
    let target = url.clone().unwrap_or_else(|| own.url("/hook"));
    let channel = s
        .add_channel(NewChannel {
            user_id: user.id,
            kind: ChannelKind::Webhook,
            target: target.clone(),
            format: None,
            min_priority: None,
            types: None,
            secret: Some("bench-secret".into()),
        })
        .await
        .unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let batch: Vec<NewAlert> = chunk.iter().map(|&i| alert(user.id, product.id, i)).collect();
        s.create_alerts(&batch).await.unwrap();
    }
    let config = DeliveryConfig { batch: 500, concurrency: 64, ..DeliveryConfig::default() };
    let d = Deliverer::new(s.clone(), Sender::new(&config).unwrap(), config.clone(), "bench");
    let t = Instant::now();
    let sum = d.run_once(Utc::now()).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(sum.sent as usize, n, "not every delivery was sent: {sum:?}");
    println!("rate_target {}", if url.is_some() { "external receiver" } else { "own axum receiver" });
    println!("rate_deliveries {n}");
    println!("rate_seconds {secs:.3}");
    println!("rate_deliveries_per_sec {:.0}", n as f64 / secs);

    // Latency: the worker's loop, alerts committed one at a time.
    s.remove_channel(user.id, channel.id).await.unwrap();
    let hook = WebhookSink::start_on(0, true).await.unwrap();
    s.add_channel(NewChannel {
        user_id: user.id,
        kind: ChannelKind::Webhook,
        target: hook.url("/latency"),
        format: None,
        min_priority: None,
        types: None,
        secret: None,
    })
    .await
    .unwrap();
    let worker = Deliverer::new(s.clone(), Sender::new(&config).unwrap(), config, "bench-worker");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let loop_task = tokio::spawn(async move {
        worker
            .run_until(Duration::from_millis(250), async {
                let _ = stop_rx.await;
            })
            .await
    });
    let mut lat = Vec::with_capacity(k);
    for i in 0..k {
        // A random moment within the poll interval.
        tokio::time::sleep(Duration::from_millis(rand_ms(i))).await;
        let before = hook.count();
        let t = Instant::now();
        s.create_alerts(&[alert(user.id, product.id, n + i)]).await.unwrap();
        let got = hook.wait_for(before + 1, Duration::from_secs(30)).await;
        assert!(got > before, "a delivery did not arrive within 30 s");
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = stop_tx.send(());
    let _ = loop_task.await;
    lat.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!("latency_samples {k}");
    println!("latency_median_ms {:.0}", q(0.5));
    println!("latency_p99_ms {:.0}", q(0.99));
    db.drop_db().await;
}

/// 0..300 ms, spread without a random crate (the i-th of a fixed permutation).
fn rand_ms(i: usize) -> u64 {
    ((i * 7919 + 13) % 300) as u64
}
