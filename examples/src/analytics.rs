//! `amazcope summary|trends|compare`: a product's latest values and their change, the trend
//! of any of the 15 snapshot fields, and several products side by side on one metric. Each
//! is one query (`AnalyticsRepository` on PostgreSQL) scoped to the user. Trends by day or
//! week and comparisons reach back past the raw retention through the daily rollups
//! (`product_daily`; the price mean there is the arithmetic mean of the day's prices).

use crate::common;
use amazcope_core::analytics::{
    AnalyticsRepository, CompareMetric, Granularity, TrendSeries, TrendValue, parse_fields,
};
use amazcope_core::model::product::Product;
use amazcope_core::model::user::User;
use amazcope_core::{ProductRef, ProductRepository, StoreError, TimeRange};
use amazcope_pg::PgStore;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::Args;

/// Arguments of `amazcope summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The ASIN, or the product's Amazon URL.
    pub asin: String,
    /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// The user who tracks it.
    #[arg(long, short)]
    pub user: String,
    /// Measure at this time instead of now (RFC 3339 or a date).
    #[arg(long)]
    pub at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `amazcope trends`.
#[derive(Debug, Args)]
pub struct TrendsArgs {
    /// The ASIN, or the product's Amazon URL.
    pub asin: String,
    /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// The user who tracks it.
    #[arg(long, short)]
    pub user: String,
    /// Comma-separated fields (price, original_price, buybox_price, discount_percentage,
    /// bsr_main, bsr_small, rating, review_count, in_stock, stock_quantity, is_deal, is_prime,
    /// has_amazons_choice, is_amazon_seller, is_fba).
    #[arg(long, short, default_value = "price,bsr_main")]
    pub fields: String,
    /// Days back from `--at` (1..=365).
    #[arg(long, short, default_value_t = 30)]
    pub days: u32,
    /// raw, day or week (also `--by`). Days and weeks before the oldest raw snapshot still
    /// stored (raw retention) come from the daily rollups.
    #[arg(long, short, visible_alias = "by", default_value = "raw")]
    pub bucket: String,
    /// End of the range instead of now (RFC 3339 or a date).
    #[arg(long)]
    pub at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `amazcope compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The ASINs or product URLs (at most 10).
    #[arg(required = true)]
    pub asins: Vec<String>,
    /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// The user who tracks them.
    #[arg(long, short)]
    pub user: String,
    /// price, bsr, rating or reviews.
    #[arg(long, default_value = "price")]
    pub metric: String,
    /// Days back from `--at` (1..=365).
    #[arg(long, short, default_value_t = 30)]
    pub days: u32,
    /// End of the range instead of now (RFC 3339 or a date).
    #[arg(long)]
    pub at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn at_or_now(at: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    at.map_or_else(|| Ok(Utc::now()), common::time)
}

fn days_range(at: DateTime<Utc>, days: u32) -> anyhow::Result<TimeRange> {
    if !(1..=365).contains(&days) {
        anyhow::bail!("--days must be between 1 and 365, got {days}");
    }
    // `to` is exclusive: one microsecond past `at` keeps a snapshot taken exactly at `at`.
    Ok(TimeRange {
        from: Some(at - Duration::days(i64::from(days))),
        to: Some(at + Duration::microseconds(1)),
    })
}

/// The product `asin` as `user` sees it: unknown in the catalogue or not tracked by the
/// user read the same.
async fn tracked_product(store: &PgStore, user: &User, product: ProductRef) -> anyhow::Result<Product> {
    store
        .product_by_asin(&product.asin, product.marketplace)
        .await?
        .with_context(|| format!("{} does not track {product}", user.username))
}

/// A store call whose NotFound means "the user does not track it".
fn not_tracked<T>(r: Result<T, StoreError>, user: &User, p: &Product) -> anyhow::Result<T> {
    r.map_err(|e| match e {
        StoreError::NotFound { entity: "product", .. } => {
            anyhow::anyhow!("{} does not track {} on amazon.{}", user.username, p.asin, p.marketplace.code())
        }
        e => e.into(),
    })
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:+.2} %"))
}

fn value(v: Option<TrendValue>) -> String {
    match v {
        None => "-".to_owned(),
        Some(TrendValue::Money(d)) => d.to_string(),
        Some(TrendValue::Integer(i)) => i.to_string(),
        Some(TrendValue::Float(f)) => format!("{f:.2}"),
        Some(TrendValue::Boolean(b)) => if b { "yes" } else { "no" }.to_owned(),
    }
}

/// `amazcope summary`.
pub async fn summary(args: SummaryArgs) -> anyhow::Result<()> {
    let product_ref = common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let mp = product_ref.marketplace;
    let at = at_or_now(args.at.as_deref())?;
    let store = common::store().await?;
    let user = common::user(&store, &args.user).await?;
    let product = tracked_product(&store, &user, product_ref).await?;
    let summary = not_tracked(store.product_summary(user.id, product.id, at).await, &user, &product)?;
    if args.json {
        return common::print_json(&serde_json::json!({
            "asin": product.asin, "marketplace": mp.code(), "title": product.title, "at": at,
            "summary": summary,
        }));
    }
    let Some(s) = summary else {
        outln!("{} on amazon.{}: no snapshot yet", product.asin, mp.code());
        return Ok(());
    };
    outln!("{} on amazon.{}: {}", product.asin, mp.code(), common::clip(&product.title, 70));
    outln!("last updated {}", s.last_updated.format("%Y-%m-%d %H:%M UTC"));
    outln!("{:<8} {:>12} {:>12} {:>12}", "", "NOW", "7 DAYS", "30 DAYS");
    outln!(
        "{:<8} {:>12} {:>12} {:>12}",
        "price",
        common::opt(s.current_price.map(|p| format!("{p} {}", s.currency))),
        pct(s.price_change_7d),
        pct(s.price_change_30d)
    );
    outln!(
        "{:<8} {:>12} {:>12} {:>12}",
        "bsr",
        common::opt(s.current_bsr),
        pct(s.bsr_change_7d),
        pct(s.bsr_change_30d)
    );
    outln!(
        "{:<8} {:>12} {:>12} {:>12}",
        "rating",
        common::opt(s.current_rating),
        pct(s.rating_change_7d),
        pct(s.rating_change_30d)
    );
    outln!(
        "{:<8} {:>12} {:>12} {:>12}",
        "reviews",
        common::opt(s.review_count),
        common::opt(s.review_growth_7d.map(|g| format!("{g:+}"))),
        common::opt(s.review_growth_30d.map(|g| format!("{g:+}")))
    );
    Ok(())
}

/// `amazcope trends`.
pub async fn trends(args: TrendsArgs) -> anyhow::Result<()> {
    let product_ref = common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let fields = parse_fields(&args.fields)?;
    if fields.is_empty() {
        anyhow::bail!("--fields names no field");
    }
    let granularity: Granularity = args.bucket.parse()?;
    let at = at_or_now(args.at.as_deref())?;
    let range = days_range(at, args.days)?;
    let store = common::store().await?;
    let user = common::user(&store, &args.user).await?;
    let product = tracked_product(&store, &user, product_ref).await?;
    let mp = product_ref.marketplace;
    let report = not_tracked(
        store.product_trends(user.id, product.id, &fields, range, granularity).await,
        &user,
        &product,
    )?;
    if args.json {
        return common::print_json(&serde_json::json!({
            "asin": product.asin, "marketplace": mp.code(), "title": product.title, "trends": report,
        }));
    }
    outln!(
        "{} on amazon.{}: {} snapshots in the last {} days",
        product.asin,
        mp.code(),
        report.snapshot_count,
        args.days
    );
    for f in &report.fields {
        outln!("\n{} ({})", f.display_name, f.field);
        match &f.series {
            TrendSeries::Raw(points) => {
                for p in points {
                    outln!("  {}  {}", p.at.format("%Y-%m-%d %H:%M"), value(p.value));
                }
            }
            TrendSeries::Day(buckets) | TrendSeries::Week(buckets) => {
                outln!(
                    "  {:<10} {:>5} {:>10} {:>10} {:>10} {:>10}",
                    "BUCKET",
                    "N",
                    "LAST",
                    "MIN",
                    "MAX",
                    "MEAN"
                );
                for b in buckets {
                    outln!(
                        "  {:<10} {:>5} {:>10} {:>10} {:>10} {:>10}",
                        b.label,
                        b.count,
                        value(Some(b.last)),
                        value(Some(b.min)),
                        value(Some(b.max)),
                        value(Some(b.mean))
                    );
                }
            }
        }
    }
    Ok(())
}

/// `amazcope compare`.
pub async fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let refs = args
        .asins
        .iter()
        .map(|a| common::product_ref(a, args.marketplace.as_deref()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let metric: CompareMetric = args.metric.parse()?;
    let at = at_or_now(args.at.as_deref())?;
    let range = days_range(at, args.days)?;
    let store = common::store().await?;
    let user = common::user(&store, &args.user).await?;
    let mut ids = Vec::with_capacity(args.asins.len());
    for r in refs {
        ids.push(tracked_product(&store, &user, r).await?);
    }
    let cmp =
        store.compare_products(user.id, &ids.iter().map(|p| p.id).collect::<Vec<_>>(), metric, range).await;
    let cmp = cmp.map_err(|e| match e {
        StoreError::NotFound { entity: "product", id } => {
            let named = ids
                .iter()
                .find(|p| p.id.to_string() == id)
                .map_or(id, |p| ProductRef::new(p.asin, p.marketplace).to_string());
            anyhow::anyhow!("{} does not track {named}", user.username)
        }
        e => e.into(),
    })?;
    if args.json {
        return common::print_json(&cmp);
    }
    outln!("{} over the last {} days", metric, args.days);
    outln!("{:<10} {:>10} {:>10} {:>10} {:>12}  TITLE", "ASIN", "FIRST", "LAST", "POINTS", "CATEGORY AVG");
    for p in &cmp.products {
        let first = p.points.iter().find_map(|pt| pt.value);
        let last = p.points.iter().rev().find_map(|pt| pt.value);
        outln!(
            "{:<10} {:>10} {:>10} {:>10} {:>12}  {}",
            p.asin,
            value(first),
            value(last),
            p.points.len(),
            value(p.category_average),
            common::clip(&p.title, 50)
        );
    }
    Ok(())
}
