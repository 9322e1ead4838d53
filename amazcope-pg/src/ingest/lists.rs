//! Best-seller lists and reviews pages: what they name is stored through the writes of
//! [`crate::write`] (categories, competitor products, list entries, reviews).

use crate::write::{bestsellers, categories, products, reviews};
use amazcope_core::model::category::NewBestsellerEntry;
use amazcope_core::model::page::{BestsellerPage, ReviewPage};
use amazcope_core::model::review::NewReview;
use amazcope_core::{Asin, CategoryId, Marketplace, ProductId, StoreResult, UserId};
use chrono::{DateTime, NaiveTime, Utc};
use std::collections::BTreeSet;
use uuid::Uuid;

type Ts = DateTime<Utc>;

/// What storing a best-seller list did.
pub(crate) struct ListResult {
    pub(crate) inserted: u64,
    pub(crate) duplicates: u64,
    pub(crate) products_created: u64,
}

/// Stores a best-seller list: its category (under the list's navigation path), competitor
/// products for entries not in the catalogue, and one row per entry (a repeated rank keeps
/// the first).
pub(crate) async fn ingest_bestsellers(
    conn: &mut sqlx::PgConnection,
    page: &BestsellerPage,
    at: Ts,
) -> StoreResult<ListResult> {
    let empty = ListResult { inserted: 0, duplicates: 0, products_created: 0 };
    let mp = page.marketplace;
    let name = page.category.value().cloned().or_else(|| page.category_path.last().cloned());
    let Some(name) = name else { return Ok(empty) };
    let mut parent_path = page.category_path.clone();
    if parent_path.last() == Some(&name) {
        parent_path.pop();
    }
    let parent = if parent_path.is_empty() {
        None
    } else {
        categories::ensure_paths(conn, &[(mp, parent_path)]).await?[0]
    };
    let category = match &page.category_id {
        Some(slug) => categories::ensure_slug(conn, mp, slug, &name, page.url.as_deref(), parent).await?,
        None => {
            let key =
                (mp.code().to_owned(), parent, crate::columns::clip(&name, crate::columns::categories::NAME));
            let ids = categories::ensure_named(conn, &BTreeSet::from([key.clone()])).await?;
            ids[&key]
        }
    };
    categories::mark_scraped(conn, category, at).await?;

    let mut seen = BTreeSet::new();
    let items: Vec<_> = page.items.iter().filter(|i| seen.insert(i.rank)).collect();
    if items.is_empty() {
        return Ok(empty);
    }
    // Entries not in the catalogue become competitor products, tracked by nobody.
    let new: Vec<products::NewProduct<'_>> = items
        .iter()
        .map(|i| products::NewProduct {
            title: i.title.value().map(String::as_str),
            is_competitor: true,
            ..products::NewProduct::bare(i.asin, mp, None)
        })
        .collect();
    let (ids, created) = products::ensure(conn, &new).await?;
    let entries: Vec<NewBestsellerEntry> = items
        .iter()
        .map(|i| NewBestsellerEntry {
            category_id: CategoryId(category),
            scraped_at: at,
            rank: i32::try_from(i.rank).unwrap_or(i32::MAX),
            asin: i.asin,
            product_id: ids.get(&(i.asin, mp)).map(|p| ProductId(p.id)),
            title: i.title.value().cloned(),
            price: i.price.value().map(|m| m.amount),
            currency: i.price.value().map(|m| m.currency.as_str().to_owned()),
            rating: i.rating.value().map(|r| r.get()),
            review_count: i.review_count.value().and_then(|n| i32::try_from(*n).ok()),
            image_url: i.image_url.clone(),
        })
        .collect();
    let inserted = bestsellers::insert_entries(conn, &entries).await?;
    Ok(ListResult {
        inserted,
        duplicates: entries.len() as u64 - inserted,
        products_created: created.len() as u64,
    })
}

/// Stores a reviews page ([`reviews::upsert`]), creating its product when the catalogue
/// lacks it. Reviews without a star rating are left out (`reviews.rating` is required).
/// Returns the product and the number of rows written, or `None` when the page names no
/// product.
pub(crate) async fn ingest_reviews(
    conn: &mut sqlx::PgConnection,
    page: &ReviewPage,
    target: Option<(Asin, Marketplace)>,
    created_by: Option<UserId>,
) -> StoreResult<Option<(Uuid, u64)>> {
    let Some(asin) = page.asin.or(target.map(|t| t.0)) else { return Ok(None) };
    let mp = page.marketplace;
    let (ids, _) = products::ensure(conn, &[products::NewProduct::bare(asin, mp, created_by)]).await?;
    let Some(product) = ids.get(&(asin, mp)).map(|p| p.id) else { return Ok(None) };
    let items: Vec<NewReview> = page
        .items
        .iter()
        .filter_map(|r| {
            Some(NewReview {
                product_id: ProductId(product),
                review_id: r.review_id.clone(),
                reviewer_name: r.author.value().cloned(),
                rating: r.rating.value()?.get(),
                title: r.title.value().cloned(),
                text: r.text.value().cloned(),
                review_date: r.date.value().map(|d| d.and_time(NaiveTime::MIN).and_utc()),
                verified_purchase: r.verified_purchase,
                helpful_count: r.helpful_votes.value().map_or(0, |n| i32::try_from(*n).unwrap_or(i32::MAX)),
                variant: r.variant.value().cloned(),
            })
        })
        .collect();
    let done = reviews::upsert(conn, &items).await?;
    Ok(Some((product, done.inserted + done.updated)))
}
