//! `amazcope demo`: a local storefront, two users with different thresholds, 50 products and
//! 30 simulated days through the real path: the fetcher (pointed at the storefront) → the
//! parser → `IngestStore` (snapshot, latest values, alerts, notifications) in PostgreSQL.
//!
//! Simulated day `d` is stored with `scraped_at` = midnight UTC of `today - (days - 1) + d`,
//! so the history ends today and lies in the past. Running the demo again the same day stores
//! nothing new: every page's (product, scraped_at) is already there, users and trackings are
//! reused.

use amazcope_core::model::alert::{AlertQuery, AlertView};
use amazcope_core::model::enums::{FetchStatus, Severity};
use amazcope_core::model::tracking::{TrackOptions, TrackingPatch};
use amazcope_core::model::user::User;
use amazcope_core::service::{FetchProblem, IngestContext, IngestOutcome, IngestStore, TrackService};
use amazcope_core::{
    AlertRepository, FetchFailure, PageSource, Percent, ProductId, ProductRepository, SnapshotRepository,
    TimeRange, TrackingRepository, UserRepository,
};
use amazcope_examples::storefront::{
    CatalogueProduct, Storefront, StorefrontConfig, StorefrontHandle, script,
};
use amazcope_pg::PgStore;
use amazcope_scrape::fetch::{Fetcher, FetcherConfig, RetryPolicy};
use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, Utc};
use clap::Args;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `amazcope demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Simulated days, ending today.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(2..=365))]
    pub days: u32,
    /// Products to track (the storefront has 60).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(5..=60))]
    pub products: u16,
    /// Seed of the storefront's catalogue.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// One user of the demo and how they track.
struct DemoUser {
    name: &'static str,
    price_threshold: f64,
    bsr_threshold: f64,
    /// Target price as a share of the day-0 price, for the products in `targets`.
    target_share: Decimal,
    targets: &'static [usize],
}

const USERS: [DemoUser; 2] = [
    DemoUser {
        name: "alice",
        price_threshold: 5.0,
        bsr_threshold: 20.0,
        target_share: Decimal::from_parts(80, 0, 0, false, 2),
        targets: &[script::PRICE_DROP_PRODUCT, 0, 1],
    },
    DemoUser {
        name: "bob",
        price_threshold: 15.0,
        bsr_threshold: 40.0,
        target_share: Decimal::from_parts(70, 0, 0, false, 2),
        targets: &[script::PRICE_DROP_PRODUCT],
    },
];

/// Runs the demo.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let today = Utc::now().date_naive();
    let start_date = today
        .checked_sub_days(Days::new(u64::from(args.days - 1)))
        .context("the simulated days start before the calendar does")?;
    let shop =
        Storefront::start(StorefrontConfig { seed: args.seed, start_date, ..StorefrontConfig::default() })
            .await
            .context("cannot start the storefront on 127.0.0.1")?;
    outln!(
        "storefront: {} ({} products, day 0 = {start_date})",
        shop.base_url(),
        shop.catalogue().products().len()
    );

    let url = crate::common::database_url().await?;
    let store = Arc::new(PgStore::connect_url(&url).await.context("cannot open the database")?);
    store.migrate().await.context("cannot bring the schema up to date")?;

    let picks = pick_products(&shop, usize::from(args.products));
    let mut users = Vec::new();
    for u in &USERS {
        users.push(setup_user(&store, &shop, u, &picks).await?);
    }
    outln!(
        "tracking {} products for {} (price {}%, BSR {}%) and {} (price {}%, BSR {}%)",
        picks.len(),
        USERS[0].name,
        USERS[0].price_threshold,
        USERS[0].bsr_threshold,
        USERS[1].name,
        USERS[1].price_threshold,
        USERS[1].bsr_threshold
    );

    // Alice's alerts are delivered (issue 14) to a webhook receiver and an SMTP sink of our own.
    let sinks = delivery_sinks(&store, &users[0]).await?;

    let fetcher = storefront_fetcher(&shop)?;
    let mut totals = DayTally::default();
    for day in 0..args.days {
        shop.set_day(day);
        let date = shop.catalogue().date_of(day);
        let at = day_start(date);
        let tally = refresh_day(&store, &fetcher, &picks, at).await?;
        outln!(
            "day {day:>2} {date}: {:>2} stored, {:>2} already stored, {} captcha, {} gone, {} failed, {:>2} alerts",
            tally.stored,
            tally.duplicates,
            tally.captchas,
            tally.not_found,
            tally.failed,
            tally.alerts
        );
        totals.add(&tally);
    }
    outln!(
        "\n{} days in {:.1}s: {} snapshots stored, {} already there, {} captchas, {} not-found pages, {} alerts",
        args.days,
        started.elapsed().as_secs_f64(),
        totals.stored,
        totals.duplicates,
        totals.captchas,
        totals.not_found,
        totals.alerts
    );

    let pick_ids = product_ids(&store, &picks).await?;
    print_tracked(&store, &users[0], &pick_ids).await?;
    for user in &users {
        print_alerts(&store, user, &pick_ids).await?;
    }
    let drop = &shop.catalogue().products()[script::PRICE_DROP_PRODUCT];
    print_history(&store, &users[0], drop).await?;
    deliver_to_sinks(&store, &users[0], &sinks).await?;
    Ok(())
}

/// The demo's own receivers: an axum webhook receiver and an SMTP server on 127.0.0.1.
struct DemoSinks {
    hook: amazcope_deliver::sinks::WebhookSink,
    smtp: amazcope_deliver::sinks::SmtpSink,
}

const DEMO_EMAIL: &str = "alice@example.com";
const DEMO_HOOK_SECRET: &str = "demo-signing-key";

/// Starts the receivers and points the user's channels at them: an e-mail channel, and a
/// signed JSON webhook (a previous run's webhook, on a port now closed, is replaced).
async fn delivery_sinks(store: &PgStore, user: &User) -> anyhow::Result<DemoSinks> {
    use amazcope_core::delivery::{ChannelKind, NewChannel};
    let hook =
        amazcope_deliver::sinks::WebhookSink::start().await.context("cannot start the webhook receiver")?;
    let smtp = amazcope_deliver::sinks::SmtpSink::start(None).await.context("cannot start the SMTP sink")?;
    let channels = store.channels(user.id).await?;
    for c in &channels {
        if c.kind == ChannelKind::Webhook
            && c.target.starts_with("http://127.0.0.1:")
            && c.target.ends_with("/demo-hook")
        {
            store.remove_channel(user.id, c.id).await?;
        }
    }
    if !channels.iter().any(|c| c.kind == ChannelKind::Email && c.target == DEMO_EMAIL) {
        store
            .add_channel(NewChannel {
                user_id: user.id,
                kind: ChannelKind::Email,
                target: DEMO_EMAIL.into(),
                format: None,
                min_priority: None,
                types: None,
                secret: None,
            })
            .await?;
    }
    store
        .add_channel(NewChannel {
            user_id: user.id,
            kind: ChannelKind::Webhook,
            target: hook.url("/demo-hook"),
            format: None,
            min_priority: None,
            types: None,
            secret: Some(DEMO_HOOK_SECRET.into()),
        })
        .await?;
    outln!(
        "delivering {}'s alerts to a webhook receiver at {} and an SMTP sink at {}",
        user.username,
        hook.url("/demo-hook"),
        smtp.url()
    );
    Ok(DemoSinks { hook, smtp })
}

/// Delivers what is due (`amazcope deliver --once`) and prints what the receivers got.
async fn deliver_to_sinks(store: &PgStore, user: &User, sinks: &DemoSinks) -> anyhow::Result<()> {
    let config = amazcope_deliver::DeliveryConfig {
        smtp: Some(amazcope_deliver::SmtpConfig {
            url: sinks.smtp.url(),
            from: "Amazcope demo <alerts@amazcope.demo>".into(),
        }),
        ..amazcope_deliver::DeliveryConfig::default()
    };
    let sender = amazcope_deliver::Sender::new(&config)?;
    let d = amazcope_deliver::Deliverer::new(store.clone(), sender, config, "demo");
    let s = d.run_once(Utc::now()).await?;
    outln!("\nDelivered {}'s alerts: {} sent, {} failed, {} dead", user.username, s.sent, s.failed, s.dead);
    let posts = sinks.hook.received();
    let signed = posts
        .iter()
        .filter(|p| {
            p.header("x-amazcope-signature")
                == Some(amazcope_deliver::sign(DEMO_HOOK_SECRET, &p.body).as_str())
        })
        .count();
    outln!("  webhook receiver: {} POSTs, {} with a valid signature, e.g.:", posts.len(), signed);
    for p in posts.iter().take(3) {
        outln!("    {}", p.json()["title"].as_str().unwrap_or("?"));
    }
    let mails = sinks.smtp.mails();
    outln!(
        "  SMTP sink: {} mails to {}",
        mails.len(),
        mails.first().map_or(DEMO_EMAIL, |m| m.to.first().map_or(DEMO_EMAIL, String::as_str))
    );
    Ok(())
}

/// Products to track: mostly `com` (where the scripted events are), plus a few of each other
/// storefront so that localized pages go through the pipeline too.
fn pick_products(shop: &StorefrontHandle, n: usize) -> Vec<CatalogueProduct> {
    let all = shop.catalogue().products();
    let others: Vec<&CatalogueProduct> = all.iter().filter(|p| p.marketplace.code() != "com").collect();
    let foreign = others.len().min(n / 5);
    let mut picks: Vec<CatalogueProduct> =
        all.iter().filter(|p| p.marketplace.code() == "com").take(n - foreign).cloned().collect();
    // Spread the foreign picks over the storefronts rather than taking the first ones.
    let step = (others.len() / foreign.max(1)).max(1);
    picks.extend(others.iter().step_by(step).take(n - picks.len()).map(|p| (*p).clone()));
    picks
}

async fn setup_user(
    store: &Arc<PgStore>,
    shop: &StorefrontHandle,
    u: &DemoUser,
    picks: &[CatalogueProduct],
) -> anyhow::Result<User> {
    let service = TrackService::new(Arc::clone(store));
    let user = match store.user_by_name(u.name).await? {
        Some(user) => user,
        None => service.add_user(u.name).await.with_context(|| format!("cannot create user {}", u.name))?,
    };
    anyhow::ensure!(user.is_active, "user {} exists but is not active", u.name);
    for p in picks {
        let target = u.targets.contains(&p.index).then(|| {
            let base = shop.catalogue().products()[p.index].state_on(0).price.unwrap_or(p.base_price);
            (base * u.target_share).round_dp(p.marketplace.currency().minor_digits())
        });
        let existing = match store.product_by_asin(&p.asin, p.marketplace).await? {
            Some(product) => store.tracking(user.id, product.id).await?.map(|t| (product.id, t)),
            None => None,
        };
        match existing {
            // A second run: keep the row, make sure it says what this demo promises.
            Some((product_id, _)) => {
                let patch = TrackingPatch {
                    price_change_threshold: Some(Some(Percent::new(
                        "price_change_threshold",
                        u.price_threshold,
                    )?)),
                    bsr_change_threshold: Some(Some(Percent::new("bsr_change_threshold", u.bsr_threshold)?)),
                    target_price: Some(target),
                    notes: None,
                    is_active: Some(true),
                };
                store.update_tracking(user.id, product_id, &patch).await?;
            }
            None => {
                let options = TrackOptions::from_raw(Some(u.price_threshold), Some(u.bsr_threshold), target)?;
                service
                    .track(u.name, p.asin, p.marketplace, &options)
                    .await
                    .with_context(|| format!("{} cannot track {}", u.name, p.asin))?;
            }
        }
    }
    Ok(user)
}

/// A fetcher whose every storefront the demo uses points at the local server, with no
/// politeness delays: the server is ours and on loopback.
fn storefront_fetcher(shop: &StorefrontHandle) -> anyhow::Result<Fetcher> {
    let mut config = FetcherConfig::default()
        .with_min_spacing(Duration::ZERO)
        .with_captcha_cooldown(Duration::ZERO)
        .with_max_concurrency(8)
        .with_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        });
    let mut seen = HashSet::new();
    for p in shop.catalogue().products() {
        if seen.insert(p.marketplace) {
            config = config
                .with_base_url(p.marketplace, shop.base_url_for(p.marketplace))
                .with_marketplace_spacing(p.marketplace, Duration::ZERO);
        }
    }
    Fetcher::new(config).context("cannot build the fetcher")
}

fn day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

#[derive(Debug, Default)]
struct DayTally {
    stored: u64,
    duplicates: u64,
    captchas: u64,
    not_found: u64,
    failed: u64,
    alerts: u64,
}

impl DayTally {
    fn add(&mut self, o: &DayTally) {
        self.stored += o.stored;
        self.duplicates += o.duplicates;
        self.captchas += o.captchas;
        self.not_found += o.not_found;
        self.failed += o.failed;
        self.alerts += o.alerts;
    }
}

/// Fetches and stores every pick's page of one day, products in parallel (each product's
/// days stay in order, which is what alert evaluation needs).
async fn refresh_day(
    store: &Arc<PgStore>,
    fetcher: &Fetcher,
    picks: &[CatalogueProduct],
    at: DateTime<Utc>,
) -> anyhow::Result<DayTally> {
    let mut tasks = tokio::task::JoinSet::new();
    for p in picks {
        let (store, fetcher, asin, mp) = (Arc::clone(store), fetcher.clone(), p.asin, p.marketplace);
        tasks.spawn(async move {
            let ctx = IngestContext::for_product(asin, mp);
            match fetcher.product_page(&asin, mp).await {
                Ok(mut page) => {
                    page.fetched_at = at;
                    store.ingest_page(&page, &ctx).await
                }
                Err(failure) => {
                    let status = match failure {
                        FetchFailure::NotFound { .. } => FetchStatus::NotFound,
                        FetchFailure::Captcha { .. } => FetchStatus::Captcha,
                        _ => FetchStatus::Failed,
                    };
                    let problem = FetchProblem { status, message: Some(failure.to_string()) };
                    store.record_problem(&asin, mp, &problem, at, &ctx).await
                }
            }
            .map_err(|e| anyhow::anyhow!("{asin} on {mp}: {e}"))
        });
    }
    let mut tally = DayTally::default();
    while let Some(joined) = tasks.join_next().await {
        let report = joined.context("a refresh task panicked")??;
        tally.alerts += report.alerts.len() as u64;
        match report.outcome {
            IngestOutcome::Stored { .. } => tally.stored += 1,
            IngestOutcome::Duplicate { .. } => tally.duplicates += 1,
            IngestOutcome::Recorded { status: FetchStatus::Captcha, .. } => tally.captchas += 1,
            IngestOutcome::Recorded { status: FetchStatus::NotFound, .. } => tally.not_found += 1,
            _ => tally.failed += 1,
        }
    }
    Ok(tally)
}

async fn product_ids(store: &PgStore, picks: &[CatalogueProduct]) -> anyhow::Result<HashSet<ProductId>> {
    let mut ids = HashSet::new();
    for p in picks {
        if let Some(product) = store.product_by_asin(&p.asin, p.marketplace).await? {
            ids.insert(product.id);
        }
    }
    Ok(ids)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

async fn print_tracked(store: &PgStore, user: &User, picks: &HashSet<ProductId>) -> anyhow::Result<()> {
    let mut rows = store.tracked_products(user.id, false).await?;
    rows.retain(|t| picks.contains(&t.product.id));
    rows.sort_by(|a, b| {
        (a.product.marketplace.code(), a.product.asin).cmp(&(b.product.marketplace.code(), b.product.asin))
    });
    outln!("\nTracked by {} ({} products, latest values):", user.username, rows.len());
    outln!(
        "  {:<10} {:<6} {:<34} {:>12} {:>9} {:>4} {:>7} {:<6} {:<3}",
        "ASIN",
        "market",
        "title",
        "price",
        "BSR",
        "★",
        "ratings",
        "stock",
        "AC"
    );
    for t in &rows {
        let p = &t.product;
        let price = p.current_price.map(|d| format!("{d} {}", p.currency)).unwrap_or_else(|| "-".into());
        let stock = if p.is_unlisted {
            "gone"
        } else if p.in_stock {
            "yes"
        } else {
            "no"
        };
        outln!(
            "  {:<10} {:<6} {:<34} {:>12} {:>9} {:>4} {:>7} {:<6} {:<3}",
            p.asin,
            p.marketplace.code(),
            clip(&p.title, 34),
            price,
            p.current_bsr.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
            p.rating.map(|r| format!("{r:.1}")).unwrap_or_else(|| "-".into()),
            p.review_count.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            stock,
            if p.has_amazons_choice { "yes" } else { "" },
        );
    }
    Ok(())
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 0,
        Severity::Warning => 1,
        _ => 2,
    }
}

async fn print_alerts(store: &PgStore, user: &User, picks: &HashSet<ProductId>) -> anyhow::Result<()> {
    let query = AlertQuery { limit: Some(10_000), ..AlertQuery::default() };
    let mut alerts: Vec<AlertView> = store.alerts(user.id, &query).await?;
    alerts.retain(|a| picks.contains(&a.alert.product_id));
    let mut by_type: BTreeMap<&'static str, usize> = BTreeMap::new();
    for a in &alerts {
        *by_type.entry(a.alert.alert_type.as_str()).or_default() += 1;
    }
    outln!("\nAlerts for {}: {} in all", user.username, alerts.len());
    for (t, n) in &by_type {
        outln!("  {t:<22} {n:>4}");
    }
    alerts.sort_by(|a, b| {
        severity_rank(a.alert.severity)
            .cmp(&severity_rank(b.alert.severity))
            .then(
                b.alert
                    .change_percentage
                    .map(f64::abs)
                    .partial_cmp(&a.alert.change_percentage.map(f64::abs))
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(b.alert.created_at.cmp(&a.alert.created_at))
    });
    outln!("  most important:");
    for a in alerts.iter().take(8) {
        outln!(
            "  {} {:<8} {:<10} {:<22} {} → {}  {}",
            a.alert.created_at.format("%Y-%m-%d"),
            a.alert.severity.as_str(),
            a.asin,
            a.alert.alert_type.as_str(),
            a.alert.old_value.as_deref().unwrap_or("-"),
            a.alert.new_value.as_deref().unwrap_or("-"),
            clip(&a.product_title, 30),
        );
    }
    Ok(())
}

/// A sparkline of the values, lowest ▁ to highest █.
fn sparkline(values: &[Decimal]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (Some(min), Some(max)) = (values.iter().min(), values.iter().max()) else { return String::new() };
    let span = *max - *min;
    values
        .iter()
        .map(|v| {
            if span.is_zero() {
                BARS[3]
            } else {
                let i = ((*v - *min) / span * Decimal::from(7)).round();
                BARS[usize::try_from(i.mantissa()).unwrap_or(0).min(7)]
            }
        })
        .collect()
}

async fn print_history(store: &PgStore, user: &User, p: &CatalogueProduct) -> anyhow::Result<()> {
    let Some(product) = store.product_by_asin(&p.asin, p.marketplace).await? else { return Ok(()) };
    let history = store.snapshot_history(user.id, product.id, TimeRange::default()).await?;
    outln!("\nPrice history of {} ({}), {} snapshots:", p.asin, clip(&p.title, 50), history.len());
    let prices: Vec<Decimal> = history.iter().filter_map(|s| s.data.price).collect();
    outln!("  {}", sparkline(&prices));
    let mut last: Option<Decimal> = None;
    for s in &history {
        let d = &s.data;
        let price = d.price.map(|x| format!("{x} {}", d.currency)).unwrap_or_else(|| "-".into());
        let mark = match (last, d.price) {
            (Some(a), Some(b)) if a != b => {
                let pct = (b - a) / a * Decimal::from(100);
                format!("{:+.1}%", pct.round_dp(1))
            }
            _ => String::new(),
        };
        outln!(
            "  {}  {:>12}  BSR {:>8}  {:>7}",
            d.scraped_at.format("%Y-%m-%d"),
            price,
            d.bsr_main_category.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
            mark
        );
        if d.price.is_some() {
            last = d.price;
        }
    }
    Ok(())
}
