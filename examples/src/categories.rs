//! `amazcope categories list|metrics`: the category tree of a marketplace, and the
//! `category_metrics` rows (average, median and spread of price, rating, reviews and rank of
//! the products on each category's newest best-seller list) computed and stored for a day.

use crate::common;
use amazcope_core::analytics::AnalyticsRepository;
use amazcope_core::model::category::{Category, CategoryMetric};
use amazcope_core::{CategoryId, CategoryRepository, Marketplace};
use amazcope_pg::PgStore;
use clap::{Args, Subcommand};
use std::collections::HashMap;

/// `amazcope categories ...`.
#[derive(Debug, Subcommand)]
pub enum CategoriesCommand {
    /// The categories of a marketplace, parents before children.
    List(ListArgs),
    /// Compute and store the metrics of each category (or one) from its newest best-seller
    /// list at or before `--at`; computing again for the same day replaces that day's row.
    Metrics(MetricsArgs),
}

/// Arguments of `amazcope categories list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Marketplace.
    #[arg(long, short, default_value = "com")]
    pub marketplace: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `amazcope categories metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// The marketplace of `--category` (without `--category`, every marketplace's categories
    /// are computed).
    #[arg(long, short, default_value = "com")]
    pub marketplace: String,
    /// Only this category: its Amazon slug / browse-node id, or its name.
    #[arg(long, short)]
    pub category: Option<String>,
    /// Measure as of this time instead of now (RFC 3339 or a date).
    #[arg(long)]
    pub at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `categories` subcommand.
pub async fn run(cmd: CategoriesCommand) -> anyhow::Result<()> {
    match cmd {
        CategoriesCommand::List(args) => list(args).await,
        CategoriesCommand::Metrics(args) => metrics(args).await,
    }
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let mp = common::marketplace(&args.marketplace)?;
    let store = common::store().await?;
    let tree = store.category_tree(mp).await?;
    if args.json {
        return common::print_json(&tree);
    }
    if tree.is_empty() {
        outln!("no categories on amazon.{} yet (they come with product and best-seller pages)", mp.code());
    }
    for c in &tree {
        let indent = "  ".repeat(usize::try_from(c.level).unwrap_or(0));
        outln!("{indent}{} [{}]", c.name, common::opt(c.category_id.as_deref()));
    }
    Ok(())
}

fn find_category<'a>(tree: &'a [Category], key: &str, mp: Marketplace) -> anyhow::Result<&'a Category> {
    Category::find(tree, key)
        .map_err(|e| anyhow::anyhow!("{e} on amazon.{} (see `amazcope categories list`)", mp.code()))
}

async fn metrics(args: MetricsArgs) -> anyhow::Result<()> {
    let mp = common::marketplace(&args.marketplace)?;
    let at = args.at.as_deref().map_or_else(|| Ok(chrono::Utc::now()), common::time)?;
    let store: PgStore = common::store().await?;
    let tree = store.category_tree(mp).await?;
    let only = args.category.as_deref().map(|k| find_category(&tree, k, mp)).transpose()?;
    let rows: Vec<CategoryMetric> = store.compute_category_metrics(only.map(|c| c.id), at).await?;
    let mut names: HashMap<CategoryId, Category> = tree.iter().map(|c| (c.id, c.clone())).collect();
    for m in &rows {
        if !names.contains_key(&m.category_id)
            && let Some(c) = store.category(m.category_id).await?
        {
            names.insert(c.id, c);
        }
    }
    if args.json {
        let out = rows
            .iter()
            .map(|m| {
                let mut v = serde_json::to_value(m)?;
                v["category_name"] = serde_json::json!(names.get(&m.category_id).map(|c| &c.name));
                Ok(v)
            })
            .collect::<anyhow::Result<Vec<serde_json::Value>>>()?;
        return common::print_json(&out);
    }
    if rows.is_empty() {
        outln!("no best-seller list at or before {}: nothing to compute", at.format("%Y-%m-%d %H:%M"));
        return Ok(());
    }
    outln!(
        "{:<30} {:>10} {:>8} {:>9} {:>9} {:>19} {:>7} {:>9} {:>8}",
        "CATEGORY",
        "DAY",
        "PRODUCTS",
        "AVG",
        "MEDIAN",
        "MIN – MAX",
        "RATING",
        "REVIEWS",
        "BSR"
    );
    for m in &rows {
        let name = names.get(&m.category_id).map_or("?", |c| c.name.as_str());
        outln!(
            "{:<30} {:>10} {:>8} {:>9} {:>9} {:>19} {:>7} {:>9} {:>8}",
            common::clip(name, 30),
            m.recorded_at.format("%Y-%m-%d"),
            m.product_count,
            common::opt(m.avg_price),
            common::opt(m.median_price),
            format!("{} – {}", common::opt(m.min_price), common::opt(m.max_price)),
            common::opt(m.avg_rating.map(|r| format!("{r:.2}"))),
            common::opt(m.avg_review_count),
            common::opt(m.median_bsr),
        );
    }
    Ok(())
}
