//! `amazcope track add|list|remove`.

use crate::common;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::service::TrackService;
use amazcope_core::{ProductRef, ServiceError, StoreError};
use clap::Subcommand;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Tracking commands.
#[derive(Debug, Subcommand)]
pub enum TrackCommand {
    /// Start tracking a product (created when new; its data comes with the first refresh
    /// or import).
    Add {
        /// The ASIN, or the product's Amazon URL.
        asin: String,
        /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
        #[arg(long, short)]
        marketplace: Option<String>,
        /// Who tracks it.
        #[arg(long, short)]
        user: String,
        /// Alert when the price moves by at least this percent (0-100).
        #[arg(long)]
        price_threshold: Option<f64>,
        /// Alert when the best-sellers rank moves by at least this percent (0-100).
        #[arg(long)]
        bsr_threshold: Option<f64>,
        /// Alert when the price is at or below this.
        #[arg(long)]
        target_price: Option<Decimal>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The user's tracked products with their latest values.
    List {
        /// Whose products.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop tracking a product (its history stays).
    Remove {
        /// The ASIN, or the product's Amazon URL.
        asin: String,
        /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
        #[arg(long, short)]
        marketplace: Option<String>,
        /// Who stops tracking it.
        #[arg(long, short)]
        user: String,
    },
}

/// Runs a tracking command.
pub async fn run(cmd: TrackCommand) -> anyhow::Result<()> {
    let service = TrackService::new(Arc::new(common::store().await?));
    match cmd {
        TrackCommand::Add { asin, marketplace, user, price_threshold, bsr_threshold, target_price, json } => {
            let ProductRef { asin, marketplace: mp } = common::product_ref(&asin, marketplace.as_deref())?;
            let options = TrackOptions::from_raw(price_threshold, bsr_threshold, target_price)?;
            let named = Some(ProductRef::new(asin, mp));
            let tracked =
                service.track(&user, asin, mp, &options).await.map_err(|e| explain(e, &user, named))?;
            if json {
                common::print_json(&tracked)?;
            } else {
                outln!("{user} now tracks {asin} on amazon.{}", mp.code());
            }
        }
        TrackCommand::List { user, json } => {
            let list = service.list(&user).await.map_err(|e| explain(e, &user, None))?;
            if json {
                return common::print_json(&list);
            }
            outln!(
                "{:<10} {:<7} {:>10} {:>9} {:>6} {:>8} {:<5} {:<40}",
                "ASIN",
                "MARKET",
                "PRICE",
                "BSR",
                "RATING",
                "REVIEWS",
                "STOCK",
                "TITLE"
            );
            for t in &list {
                let p = &t.product;
                let stock = if p.is_unlisted {
                    "gone"
                } else if p.last_snapshot_at.is_none() {
                    "-"
                } else if p.in_stock {
                    "yes"
                } else {
                    "no"
                };
                outln!(
                    "{:<10} {:<7} {:>10} {:>9} {:>6} {:>8} {:<5} {:<40}",
                    p.asin,
                    p.marketplace.code(),
                    common::opt(p.current_price),
                    common::opt(p.current_bsr),
                    common::opt(p.rating),
                    common::opt(p.review_count),
                    stock,
                    common::clip(&p.title, 40)
                );
            }
        }
        TrackCommand::Remove { asin, marketplace, user } => {
            let ProductRef { asin, marketplace: mp } = common::product_ref(&asin, marketplace.as_deref())?;
            let named = Some(ProductRef::new(asin, mp));
            service.untrack(&user, &asin, mp).await.map_err(|e| explain(e, &user, named))?;
            outln!("{user} no longer tracks {asin} on amazon.{}", mp.code());
        }
    }
    Ok(())
}

/// A tracking error in the user's words: `alice already tracks B00FLYWNYQ on amazon.com`,
/// not ids and constraint names.
fn explain(e: ServiceError, user: &str, product: Option<ProductRef>) -> anyhow::Error {
    match (e, product) {
        (ServiceError::Store(StoreError::Conflict { constraint, .. }), Some(p))
            if constraint == "uq_user_product" =>
        {
            anyhow::anyhow!("{user} already tracks {p}")
        }
        (ServiceError::Store(StoreError::NotFound { entity: "user", .. }), _) => common::unknown_user(user),
        (e, _) => e.into(),
    }
}
