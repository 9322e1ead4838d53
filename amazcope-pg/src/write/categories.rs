//! Writes of `categories`: found or created by their place in the tree (breadcrumbs) or by
//! Amazon's id (best-seller slug, browse node), set-wise, inside the caller's transaction.
//! Product pages and best-seller lists both come through here.

use crate::columns::{categories as width, clip};
use crate::error::db;
use amazcope_core::model::page::ScrapedProduct;
use amazcope_core::{Marketplace, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// A category without an Amazon id, known by (marketplace, parent, name).
pub(crate) type NamedKey = (String, Option<Uuid>, String);

/// Finds or creates categories identified by (marketplace, parent, name) (no Amazon id).
/// Categories are read first: on a refresh they all exist, and one SELECT answers.
pub(crate) async fn ensure_named(
    conn: &mut PgConnection,
    keys: &BTreeSet<NamedKey>,
) -> StoreResult<HashMap<NamedKey, Uuid>> {
    let mut ids = select_named(conn, keys).await?;
    let missing: BTreeSet<NamedKey> = keys.iter().filter(|k| !ids.contains_key(*k)).cloned().collect();
    if missing.is_empty() {
        return Ok(ids);
    }
    let mps: Vec<&str> = missing.iter().map(|k| k.0.as_str()).collect();
    let parents: Vec<Option<Uuid>> = missing.iter().map(|k| k.1).collect();
    let names: Vec<&str> = missing.iter().map(|k| k.2.as_str()).collect();
    // The conflict target is uq_categories_marketplace_parent_name (partial, on an
    // expression): a category without an Amazon id is known by its place in the tree. A
    // concurrent ingest may create the same category; it is then read back like ours.
    // language=PostgreSQL
    let sql = "INSERT INTO categories (marketplace, parent_id, name, level)
               SELECT u.mp, u.parent, u.name,
                      COALESCE((SELECT c.level + 1 FROM categories c WHERE c.id = u.parent), 0)
               FROM UNNEST($1::text[], $2::uuid[], $3::text[]) AS u(mp, parent, name)
               ON CONFLICT (marketplace, (COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid)), name)
                   WHERE category_id IS NULL DO NOTHING";
    sqlx::query(sql).bind(&mps).bind(&parents).bind(&names).execute(&mut *conn).await.map_err(db)?;
    ids.extend(select_named(conn, &missing).await?);
    Ok(ids)
}

async fn select_named(
    conn: &mut PgConnection,
    keys: &BTreeSet<NamedKey>,
) -> StoreResult<HashMap<NamedKey, Uuid>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mps: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let parents: Vec<Option<Uuid>> = keys.iter().map(|k| k.1).collect();
    let names: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    // language=PostgreSQL
    let sql = "SELECT c.id, c.marketplace, c.parent_id, c.name FROM categories c
               JOIN UNNEST($1::text[], $2::uuid[], $3::text[]) AS u(mp, parent, name)
                 ON c.marketplace = u.mp AND c.parent_id IS NOT DISTINCT FROM u.parent
                    AND c.name = u.name AND c.category_id IS NULL";
    let rows: Vec<(Uuid, String, Option<Uuid>, String)> =
        sqlx::query_as(sql).bind(&mps).bind(&parents).bind(&names).fetch_all(&mut *conn).await.map_err(db)?;
    Ok(rows.into_iter().map(|(id, mp, parent, name)| ((mp, parent, name), id)).collect())
}

/// Creates every path (root first) level by level: two statements per level for the whole
/// set. Returns the leaf id of each path, in order.
pub(crate) async fn ensure_paths(
    conn: &mut PgConnection,
    paths: &[(Marketplace, Vec<String>)],
) -> StoreResult<Vec<Option<Uuid>>> {
    let depth = paths.iter().map(|p| p.1.len()).max().unwrap_or(0);
    let mut current: Vec<Option<Uuid>> = vec![None; paths.len()];
    for level in 0..depth {
        let keys: BTreeSet<NamedKey> = paths
            .iter()
            .zip(&current)
            .filter(|(p, _)| p.1.len() > level)
            .map(|(p, parent)| (p.0.code().to_owned(), *parent, clip(&p.1[level], width::NAME)))
            .collect();
        let ids = ensure_named(conn, &keys).await?;
        for (p, parent) in paths.iter().zip(current.iter_mut()) {
            if p.1.len() > level {
                *parent = ids.get(&(p.0.code().to_owned(), *parent, clip(&p.1[level], width::NAME))).copied();
            }
        }
    }
    Ok(current)
}

/// Finds or creates a category by its Amazon id (best-seller slug or browse node).
pub(crate) async fn ensure_slug(
    conn: &mut PgConnection,
    mp: Marketplace,
    slug: &str,
    name: &str,
    url: Option<&str>,
    parent: Option<Uuid>,
) -> StoreResult<Uuid> {
    // DO UPDATE (rather than NOTHING) so RETURNING yields the row either way; the name and
    // URL follow Amazon's latest wording.
    // language=PostgreSQL
    let sql = "INSERT INTO categories (category_id, marketplace, name, url, parent_id, level)
               VALUES ($1, $2, $3, $4, $5,
                       COALESCE((SELECT c.level + 1 FROM categories c WHERE c.id = $5), 0))
               ON CONFLICT ON CONSTRAINT uq_category_marketplace DO UPDATE
                   SET name = EXCLUDED.name, url = COALESCE(EXCLUDED.url, categories.url),
                       parent_id = COALESCE(EXCLUDED.parent_id, categories.parent_id),
                       level = CASE WHEN EXCLUDED.parent_id IS NULL THEN categories.level
                                    ELSE EXCLUDED.level END
                   -- A rank line names a category without its place in the tree; a list page
                   -- brings the parent later, and only a real change writes a row version.
                   WHERE (categories.name, categories.url, categories.parent_id) IS DISTINCT FROM
                         (EXCLUDED.name, COALESCE(EXCLUDED.url, categories.url),
                          COALESCE(EXCLUDED.parent_id, categories.parent_id))
               RETURNING id";
    let row: Option<(Uuid,)> = sqlx::query_as(sql)
        .bind(clip(slug, width::CATEGORY_ID))
        .bind(mp.code())
        .bind(clip(name, width::NAME))
        .bind(url.map(|u| clip(u, width::URL)))
        .bind(parent)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if let Some((id,)) = row {
        return Ok(id);
    }
    // language=PostgreSQL
    let sql = "SELECT id FROM categories WHERE category_id = $1 AND marketplace = $2";
    let (id,): (Uuid,) = sqlx::query_as(sql)
        .bind(clip(slug, width::CATEGORY_ID))
        .bind(mp.code())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(id)
}

/// The best-seller slug or node id of a list link: `/gp/bestsellers/electronics/172282/ref=..`
/// → `172282`, `/zgbs/kitchen/ref=..` → `kitchen`.
pub(crate) fn slug_of(link: &str) -> Option<String> {
    let lower = link.to_ascii_lowercase();
    let start = ["/gp/bestsellers/", "/zgbs/", "/bestsellers/"]
        .iter()
        .find_map(|m| lower.find(m).map(|i| i + m.len()))?;
    let rest = &link[start..];
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.split('/').take_while(|s| !s.is_empty() && !s.starts_with("ref=")).last().map(str::to_owned)
}

/// The categories of product pages: each breadcrumb path as a chain, the main rank category
/// as a root when it has no list link, and every rank category with a list link by its id.
pub(crate) async fn categories_of_products<'a>(
    conn: &mut PgConnection,
    pages: impl Iterator<Item = &'a ScrapedProduct>,
) -> StoreResult<()> {
    let mut paths: BTreeSet<(Marketplace, Vec<String>)> = BTreeSet::new();
    let mut slugged: BTreeSet<(Marketplace, String, String, String)> = BTreeSet::new();
    for p in pages {
        if let Some(crumbs) = p.categories.value().filter(|c| !c.is_empty()) {
            paths.insert((p.marketplace, crumbs.clone()));
        }
        for (i, rank) in p.ranks.value().into_iter().flatten().enumerate() {
            match rank.link.as_deref().and_then(|l| slug_of(l).map(|s| (s, l))) {
                Some((slug, link)) => {
                    slugged.insert((p.marketplace, slug, rank.category.clone(), link.to_owned()));
                }
                None if i == 0 => {
                    paths.insert((p.marketplace, vec![rank.category.clone()]));
                }
                None => {}
            }
        }
    }
    let paths: Vec<(Marketplace, Vec<String>)> = paths.into_iter().collect();
    ensure_paths(conn, &paths).await?;
    for (mp, slug, name, link) in &slugged {
        ensure_slug(conn, *mp, slug, name, Some(link), None).await?;
    }
    Ok(())
}

/// Notes that the list of `category` was read at `at` (never moving the time back).
pub(crate) async fn mark_scraped(
    conn: &mut PgConnection,
    category: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    // language=PostgreSQL
    let sql = "UPDATE categories SET last_scraped_at = $2
               WHERE id = $1 AND (last_scraped_at IS NULL OR last_scraped_at < $2)";
    sqlx::query(sql).bind(category).bind(at).execute(&mut *conn).await.map_err(db)?;
    Ok(())
}
