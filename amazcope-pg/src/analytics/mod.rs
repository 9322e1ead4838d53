//! [`AnalyticsRepository`] on [`PgStore`]: product summary, trends and comparisons in one
//! query each, the category of a product, and category metrics computed in the database.
//!
//! The summary, trend and comparison queries fetch only the snapshot columns they need and
//! hand them to the pure functions of `amazcope_core::analytics` (`summarize`, `trend`,
//! `extract`), so a number means the same whether it was computed here or on a history in
//! memory (a zero price is "no offer" in both, buckets are UTC days and ISO weeks in both).
//! Category metrics are aggregated in SQL, with the same rounding as the core's
//! `category_metric` (half away from zero, exact medians of numerics).
//!
//! Long history: raw snapshots are kept for the retention period only (90 days by default),
//! while the daily rollups (`product_daily`) are kept for ever. Trends by day or week,
//! comparisons and category metrics therefore read the rollups for the days before a
//! product's oldest raw snapshot still stored, and the raw snapshots from that day on (the
//! rule of `PgStore::long_history`): where raw snapshots exist the answers are the raw
//! ones, unchanged; before them each day is what its rollup holds (see
//! `rollup_days::daily_values` for what that is per field, and `tests/pg/analytics.rs`, which checks
//! both sides against values computed from the raw snapshots).

use crate::PgStore;
use crate::rows::{CategoryMetricRow, parse};
use crate::tenant::end_read;
use amazcope_core::analytics::{
    AnalyticsRepository, CompareMetric, ComparedProduct, Comparison, FieldTrend, Granularity, MAX_COMPARE,
    ProductSummary, TrendField, TrendPoint, TrendReport, TrendValue, extract, summarize,
};
use amazcope_core::model::category::{Category, CategoryMetric};
use amazcope_core::model::snapshot::DailyRollup;
use amazcope_core::{CategoryId, ProductId, StoreError, StoreResult, TimeRange, UserId, ValidationError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::HashSet;
use uuid::Uuid;

#[macro_use]
mod rollup_days;
#[macro_use]
mod rows;

use rollup_days::trend_with_daily;
use rows::{SummaryRow, TrendRow, summary_snapshot};

type Ts = DateTime<Utc>;

/// Read-only queries fail only for reasons that are not about the data; the one write
/// (category metrics) writes aggregates of checked columns, so no constraint can reject it.
fn db(e: sqlx::Error) -> StoreError {
    StoreError::Backend { message: e.to_string(), source: Some(Box::new(e)) }
}

/// The category of the product aliased `p`: the newest best-seller list it appears on (by
/// product id or by ASIN), else the category whose slug is the last one its main-rank link
/// names (`/gp/bestsellers/electronics/172282/ref=..` names `electronics` and `172282`; the
/// later position wins, as the pipeline's `slug_of` takes the last segment), else the one
/// named like its main-rank category, else like its category. Same marketplace only.
macro_rules! product_category_lateral {
    () => {
        "LEFT JOIN LATERAL (
            SELECT c.id, c.category_id, c.marketplace, c.name, c.url, c.parent_id, c.level,
                   c.product_count, c.last_scraped_at, c.created_at, c.updated_at
            FROM categories c
            LEFT JOIN LATERAL (
                SELECT max(b.scraped_at) AS at FROM bestseller_snapshots b
                WHERE b.category_id = c.id AND (b.product_id = p.id OR b.asin = p.asin)
            ) seen ON true
            CROSS JOIN LATERAL (
                SELECT CASE WHEN c.category_id IS NULL OR p.bsr_category_link IS NULL THEN 0
                            ELSE strpos(lower(p.bsr_category_link) || '/',
                                        '/' || lower(c.category_id) || '/') END AS pos
            ) slug
            WHERE c.marketplace = p.marketplace
              AND (seen.at IS NOT NULL OR slug.pos > 0
                   OR c.name = p.bsr_category_name OR c.name = p.category)
            ORDER BY seen.at DESC NULLS LAST, slug.pos DESC,
                     (c.name = p.bsr_category_name) DESC NULLS LAST, c.level, c.id
            LIMIT 1
        ) cat ON true"
    };
}

#[derive(Debug, sqlx::FromRow)]
struct CompareRow {
    product_id: Uuid,
    asin: String,
    marketplace: String,
    title: String,
    cat_id: Option<Uuid>,
    cat_name: Option<String>,
    cm_recorded_at: Option<Ts>,
    cm_avg_price: Option<Decimal>,
    cm_avg_bsr: Option<i32>,
    cm_avg_rating: Option<f64>,
    cm_avg_review_count: Option<i32>,
    #[sqlx(flatten)]
    snap: TrendRow,
}

#[async_trait]
impl AnalyticsRepository for PgStore {
    async fn product_summary(
        &self,
        user: UserId,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ProductSummary>> {
        // One statement: the tracking row proves the user may read the product (no row →
        // not found), and three LATERAL lookups each take one index probe of
        // uq_product_snapshots_product_scraped (newest at or before the bound).
        // language=PostgreSQL
        let sql = concat!(
            "SELECT l.scraped_at AS l_at, l.currency AS l_currency, l.price AS l_price,
                          l.bsr_main_category AS l_bsr, l.rating AS l_rating, l.review_count AS l_reviews,
                          w.scraped_at AS w_at, w.currency AS w_currency, w.price AS w_price,
                          w.bsr_main_category AS w_bsr, w.rating AS w_rating, w.review_count AS w_reviews,
                          m.scraped_at AS m_at, m.currency AS m_currency, m.price AS m_price,
                          m.bsr_main_category AS m_bsr, m.rating AS m_rating, m.review_count AS m_reviews
                   FROM user_products up
                   LEFT JOIN LATERAL (
                       SELECT scraped_at, currency, price, bsr_main_category, rating, review_count
                       FROM product_snapshots s
                       WHERE s.product_id = up.product_id AND s.scraped_at <= $3
                       ORDER BY s.scraped_at DESC LIMIT 1) l ON true
                   LEFT JOIN LATERAL (
                       SELECT scraped_at, currency, price, bsr_main_category, rating, review_count
                       FROM product_snapshots s
                       WHERE s.product_id = up.product_id AND s.scraped_at <= $3 - interval '7 days'
                       ORDER BY s.scraped_at DESC LIMIT 1) w ON true
                   LEFT JOIN LATERAL (
                       SELECT scraped_at, currency, price, bsr_main_category, rating, review_count
                       FROM product_snapshots s
                       WHERE s.product_id = up.product_id AND s.scraped_at <= $3 - interval '30 days'
                       ORDER BY s.scraped_at DESC LIMIT 1) m ON true
                   WHERE up.user_id = $1 AND up.product_id = $2 AND ",
            crate::history::readable_tracking!()
        );
        let mut tx = self.read_user_tx(user).await?;
        let row = sqlx::query_as::<_, SummaryRow>(sql)
            .bind(user.0)
            .bind(product.0)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::not_found("product", product))?;
        end_read(tx);
        let r = &row;
        let Some(latest) = summary_snapshot(
            product,
            r.l_at,
            r.l_currency.as_deref(),
            r.l_price,
            r.l_bsr,
            r.l_rating,
            r.l_reviews,
        )?
        else {
            return Ok(None);
        };
        let week = summary_snapshot(
            product,
            r.w_at,
            r.w_currency.as_deref(),
            r.w_price,
            r.w_bsr,
            r.w_rating,
            r.w_reviews,
        )?;
        let month = summary_snapshot(
            product,
            r.m_at,
            r.m_currency.as_deref(),
            r.m_price,
            r.m_bsr,
            r.m_rating,
            r.m_reviews,
        )?;
        Ok(Some(summarize(&latest, week.as_ref(), month.as_ref())))
    }

    async fn product_trends(
        &self,
        user: UserId,
        product: ProductId,
        fields: &[TrendField],
        range: TimeRange,
        granularity: Granularity,
    ) -> StoreResult<TrendReport> {
        if fields.is_empty() {
            return Err(ValidationError::new("fields", "", "name at least one trend field").into());
        }
        // Raw rows in one statement, bucketed by the core's `trend` (UTC days, ISO weeks,
        // money means in exact decimals); by day or week, the days before the oldest raw
        // snapshot come from the rollups (`trend_with_daily`; the price mean there is
        // product_daily's arithmetic mean of the day's prices, price_sum / price_count). The LEFT JOIN keeps one all-NULL row for a tracked
        // product without snapshots in the range; no row at all means "not tracked".
        // language=PostgreSQL
        let sql = concat!(
            "SELECT ",
            trend_columns!(),
            " FROM user_products up
              LEFT JOIN product_snapshots s ON s.product_id = up.product_id
                   AND s.scraped_at >= COALESCE($3, '-infinity'::timestamptz)
                   AND s.scraped_at < COALESCE($4, 'infinity'::timestamptz)
              WHERE up.user_id = $1 AND up.product_id = $2 AND ",
            crate::history::readable_tracking!(),
            "
              ORDER BY s.scraped_at"
        );
        let (from, to) = (range.from, range.to);
        let mut tx = self.read_user_tx(user).await?;
        let rows = sqlx::query_as::<_, TrendRow>(sql)
            .bind(user.0)
            .bind(product.0)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            return Err(StoreError::not_found("product", product));
        }
        // Days and weeks also cover the days before the oldest raw snapshot, from the
        // rollups (same transaction, after the tracking check above).
        let daily: Vec<DailyRollup> = if granularity == Granularity::Raw {
            Vec::new()
        } else {
            let rows: Vec<crate::daily::DailyRow> = sqlx::query_as(rollups_before_raw_sql!())
                .bind([product.0].as_slice())
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
            rows.into_iter().map(TryInto::try_into).collect::<StoreResult<_>>()?
        };
        end_read(tx);
        let mut history = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(s) = r.snapshot(product)? {
                history.push(s);
            }
        }
        let mut seen = HashSet::new();
        let fields = fields
            .iter()
            .filter(|f| seen.insert(**f))
            .map(|&f| FieldTrend {
                field: f,
                display_name: f.display_name().to_owned(),
                kind: f.kind(),
                series: trend_with_daily(&history, &daily, f, granularity),
            })
            .collect();
        let summarised: usize = daily.iter().map(|d| usize::try_from(d.snapshots).unwrap_or(0)).sum();
        Ok(TrendReport {
            product_id: product,
            range,
            granularity,
            snapshot_count: history.len() + summarised,
            fields,
        })
    }

    async fn compare_products(
        &self,
        user: UserId,
        products: &[ProductId],
        metric: CompareMetric,
        range: TimeRange,
    ) -> StoreResult<Comparison> {
        let mut seen = HashSet::new();
        let ids: Vec<Uuid> = products.iter().filter(|p| seen.insert(**p)).map(|p| p.0).collect();
        if ids.is_empty() {
            return Err(ValidationError::new("product_ids", 0, "name at least one product").into());
        }
        if ids.len() > MAX_COMPARE {
            return Err(ValidationError::new(
                "product_ids",
                ids.len(),
                format!("at most {MAX_COMPARE} products can be compared"),
            )
            .into());
        }
        // One statement: the user's tracking rows filter the ids (a missing one is reported
        // below), each product's category and that category's newest metrics row at or
        // before the range's end come from LATERAL lookups, and the snapshots in the range
        // are joined in order: the raw snapshots, and before the oldest of them one point a
        // day from the rollups (the day's closing value, at its last snapshot's time, which
        // is the raw point of that snapshot).
        // language=PostgreSQL
        let sql = concat!(
            "SELECT p.id AS product_id, p.asin, p.marketplace, p.title,
                    cat.id AS cat_id, cat.name AS cat_name,
                    cm.recorded_at AS cm_recorded_at, cm.avg_price AS cm_avg_price,
                    cm.avg_bsr AS cm_avg_bsr, cm.avg_rating AS cm_avg_rating,
                    cm.avg_review_count AS cm_avg_review_count, ",
            trend_columns!(),
            " FROM unnest($2::uuid[]) WITH ORDINALITY AS ids(id, ord)
              JOIN user_products up ON up.product_id = ids.id AND up.user_id = $1 AND ",
            crate::history::readable_tracking!(),
            "
              JOIN products p ON p.id = ids.id ",
            product_category_lateral!(),
            " LEFT JOIN LATERAL (
                  SELECT m.recorded_at, m.avg_price, m.avg_bsr, m.avg_rating, m.avg_review_count
                  FROM category_metrics m
                  WHERE m.category_id = cat.id
                    AND m.recorded_at < COALESCE($4, 'infinity'::timestamptz)
                  ORDER BY m.recorded_at DESC LIMIT 1) cm ON true
              LEFT JOIN LATERAL (
                  SELECT ",
            trend_columns!(),
            " FROM product_snapshots s
                  WHERE s.product_id = p.id
                    AND s.scraped_at >= COALESCE($3, '-infinity'::timestamptz)
                    AND s.scraped_at < COALESCE($4, 'infinity'::timestamptz)
                  UNION ALL
                  -- Before the oldest raw snapshot: the closing values of each rollup day,
                  -- dated at the day's last snapshot.
                  SELECT d.last_at, d.currency, d.price_close, d.list_price_close,
                         NULL::numeric, NULL::float8, d.bsr_close, NULL::int4, d.rating_close,
                         d.review_count_close, d.in_stock_close, NULL::int4, NULL::bool,
                         NULL::bool, NULL::bool, NULL::bool, NULL::bool
                  FROM product_daily d
                  WHERE d.product_id = p.id
                    AND d.first_at >= COALESCE($3, '-infinity'::timestamptz)
                    AND d.last_at < COALESCE($4, 'infinity'::timestamptz)
                    AND d.day < COALESCE((SELECT (min(r.scraped_at) AT TIME ZONE 'UTC')::date
                                          FROM product_snapshots r WHERE r.product_id = p.id),
                                         'infinity'::date)
              ) s ON true
              ORDER BY ids.ord, s.scraped_at"
        );
        let (from, to) = (range.from, range.to);
        let mut tx = self.read_user_tx(user).await?;
        let rows = sqlx::query_as::<_, CompareRow>(sql)
            .bind(user.0)
            .bind(&ids)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        end_read(tx);
        let field = metric.field();
        let mut out: Vec<ComparedProduct> = Vec::with_capacity(ids.len());
        for r in rows {
            let pid = ProductId(r.product_id);
            if out.last().is_none_or(|c| c.product_id != pid) {
                let category_average = match metric {
                    CompareMetric::Price => r.cm_avg_price.map(TrendValue::Money),
                    CompareMetric::Bsr => r.cm_avg_bsr.map(|v| TrendValue::Integer(v.into())),
                    CompareMetric::Rating => r.cm_avg_rating.map(TrendValue::Float),
                    CompareMetric::Reviews => r.cm_avg_review_count.map(|v| TrendValue::Integer(v.into())),
                };
                out.push(ComparedProduct {
                    product_id: pid,
                    asin: parse(&r.asin)?,
                    marketplace: parse(&r.marketplace)?,
                    title: r.title.clone(),
                    category_id: r.cat_id.map(CategoryId),
                    category_name: r.cat_name.clone(),
                    category_average,
                    category_recorded_at: r.cm_recorded_at,
                    points: Vec::new(),
                });
            }
            if let (Some(s), Some(last)) = (r.snap.snapshot(pid)?, out.last_mut()) {
                last.points.push(TrendPoint { at: s.scraped_at, value: extract(field, &s) });
            }
        }
        if let Some(missing) = ids.iter().find(|id| !out.iter().any(|c| c.product_id.0 == **id)) {
            return Err(StoreError::not_found("product", missing));
        }
        Ok(Comparison { metric, range, products: out })
    }

    async fn product_category(&self, user: UserId, product: ProductId) -> StoreResult<Option<Category>> {
        // language=PostgreSQL
        let sql = concat!(
            "SELECT cat.id, cat.category_id, cat.marketplace, cat.name, cat.url, cat.parent_id,
                    cat.level, cat.product_count, cat.last_scraped_at, cat.created_at,
                    cat.updated_at, (cat.id IS NOT NULL) AS found
             FROM user_products up
             JOIN products p ON p.id = up.product_id ",
            product_category_lateral!(),
            " WHERE up.user_id = $1 AND up.product_id = $2 AND ",
            crate::history::readable_tracking!()
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            found: bool,
            id: Option<Uuid>,
            category_id: Option<String>,
            marketplace: Option<String>,
            name: Option<String>,
            url: Option<String>,
            parent_id: Option<Uuid>,
            level: Option<i32>,
            product_count: Option<i32>,
            last_scraped_at: Option<Ts>,
            created_at: Option<Ts>,
            updated_at: Option<Ts>,
        }
        let mut tx = self.read_user_tx(user).await?;
        let row = sqlx::query_as::<_, Row>(sql)
            .bind(user.0)
            .bind(product.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::not_found("product", product))?;
        end_read(tx);
        if !row.found {
            return Ok(None);
        }
        let (Some(id), Some(marketplace), Some(name), Some(created_at), Some(updated_at)) =
            (row.id, row.marketplace, row.name, row.created_at, row.updated_at)
        else {
            return Ok(None);
        };
        Ok(Some(Category {
            id: id.into(),
            category_id: row.category_id,
            marketplace: parse(&marketplace)?,
            name,
            url: row.url,
            parent_id: row.parent_id.map(Into::into),
            level: row.level.unwrap_or(0),
            product_count: row.product_count.unwrap_or(0),
            last_scraped_at: row.last_scraped_at,
            created_at,
            updated_at,
        }))
    }

    async fn compute_category_metrics(
        &self,
        category: Option<CategoryId>,
        as_of: DateTime<Utc>,
    ) -> StoreResult<Vec<CategoryMetric>> {
        // The newest list of each category at or before as_of; each entry completed by its
        // product's newest snapshot at or before as_of (by product id, else by ASIN in the
        // category's marketplace): the rank always, price, rating and reviews where the list
        // lacks them. Where retention has dropped that snapshot, the closing values of the
        // newest rollup day that ended by as_of stand in (the same values while it exists). Zero and missing values are left out of each figure (SCHEMA §2.8);
        // product_count is the length of the list.
        //
        // Medians are exact: the middle one or the mean of the middle two of the sorted
        // array (percentile_cont would go through double precision). round() on numeric
        // rounds half away from zero, as the core does.
        //
        // One row per category per UTC day of the list: a row of that day is updated in
        // place, else one is inserted; both in this one statement, under a transaction-level
        // advisory lock so two concurrent runs cannot both insert.
        // language=PostgreSQL
        let sql = "WITH lists AS (
                SELECT b.category_id, max(b.scraped_at) AS at
                FROM bestseller_snapshots b
                WHERE b.scraped_at <= $2 AND ($1::uuid IS NULL OR b.category_id = $1)
                GROUP BY b.category_id
            ), items AS (
                SELECT l.category_id, l.at, c.level,
                       COALESCE(NULLIF(b.price, 0), NULLIF(s.price, 0)) AS price,
                       NULLIF(s.bsr_main_category, 0) AS bsr,
                       NULLIF(COALESCE(b.rating, s.rating), 0) AS rating,
                       NULLIF(COALESCE(b.review_count, s.review_count), 0) AS reviews
                FROM lists l
                JOIN categories c ON c.id = l.category_id
                JOIN bestseller_snapshots b ON b.category_id = l.category_id AND b.scraped_at = l.at
                LEFT JOIN LATERAL (
                    SELECT u.price, u.bsr_main_category, u.rating, u.review_count FROM (
                        (SELECT x.scraped_at AS at, 0 AS pref, x.price, x.bsr_main_category,
                                x.rating, x.review_count
                         FROM products p
                         JOIN product_snapshots x ON x.product_id = p.id AND x.scraped_at <= $2
                         WHERE p.id = b.product_id
                            OR (b.product_id IS NULL AND p.asin = b.asin AND p.marketplace = c.marketplace)
                         ORDER BY x.scraped_at DESC LIMIT 1)
                        UNION ALL
                        -- After retention: the closing values of the newest rollup day that
                        -- ended at or before as_of (the raw snapshot wins when both exist).
                        (SELECT d.last_at, 1, d.price_close, d.bsr_close, d.rating_close,
                                d.review_count_close
                         FROM products p
                         JOIN product_daily d ON d.product_id = p.id
                              AND d.day <= ($2 AT TIME ZONE 'UTC')::date AND d.last_at <= $2
                         WHERE p.id = b.product_id
                            OR (b.product_id IS NULL AND p.asin = b.asin AND p.marketplace = c.marketplace)
                         ORDER BY d.day DESC, d.last_at DESC LIMIT 1)
                    ) u ORDER BY u.at DESC, u.pref LIMIT 1
                ) s ON true
            ), agg AS (
                SELECT category_id, at,
                       CASE WHEN min(level) = 0 THEN 'main' ELSE 'subcategory' END AS category_level,
                       round(avg(price), 2) AS avg_price,
                       array_agg(price ORDER BY price) FILTER (WHERE price IS NOT NULL) AS prices,
                       min(price) AS min_price, max(price) AS max_price,
                       round(avg(bsr))::integer AS avg_bsr,
                       array_agg(bsr ORDER BY bsr) FILTER (WHERE bsr IS NOT NULL) AS bsrs,
                       (round((avg(rating) * 100)::numeric) / 100)::double precision AS avg_rating,
                       round(avg(reviews))::integer AS avg_review_count,
                       count(*)::integer AS product_count
                FROM items GROUP BY category_id, at
            ), m AS (
                SELECT a.*,
                       round((a.prices[(cardinality(a.prices) + 1) / 2]
                              + a.prices[(cardinality(a.prices) + 2) / 2]) / 2, 2) AS median_price,
                       round((a.bsrs[(cardinality(a.bsrs) + 1) / 2]
                              + a.bsrs[(cardinality(a.bsrs) + 2) / 2])::numeric / 2)::integer AS median_bsr
                FROM agg a
            ), upd AS (
                UPDATE category_metrics cm SET
                    category_level = m.category_level, recorded_at = m.at,
                    avg_price = m.avg_price, median_price = m.median_price,
                    min_price = m.min_price, max_price = m.max_price,
                    avg_bsr = m.avg_bsr, median_bsr = m.median_bsr, avg_rating = m.avg_rating,
                    avg_review_count = m.avg_review_count, product_count = m.product_count
                FROM m
                WHERE cm.category_id = m.category_id
                  AND cm.recorded_at >= date_trunc('day', m.at, 'UTC')
                  AND cm.recorded_at < date_trunc('day', m.at, 'UTC') + interval '1 day'
                RETURNING cm.*
            ), ins AS (
                INSERT INTO category_metrics (category_id, category_level, recorded_at, avg_price,
                    median_price, min_price, max_price, avg_bsr, median_bsr, avg_rating,
                    avg_review_count, product_count)
                SELECT m.category_id, m.category_level, m.at, m.avg_price, m.median_price,
                       m.min_price, m.max_price, m.avg_bsr, m.median_bsr, m.avg_rating,
                       m.avg_review_count, m.product_count
                FROM m
                WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.category_id = m.category_id)
                RETURNING *
            )
            SELECT id, category_id, category_level, recorded_at, avg_price, median_price,
                   min_price, max_price, avg_bsr, median_bsr, avg_rating, avg_review_count,
                   product_count, created_at, updated_at FROM upd
            UNION ALL
            SELECT id, category_id, category_level, recorded_at, avg_price, median_price,
                   min_price, max_price, avg_bsr, median_bsr, avg_rating, avg_review_count,
                   product_count, created_at, updated_at FROM ins";
        let mut tx = self.pool.begin().await.map_err(db)?;
        // language=PostgreSQL
        let lock = "SELECT pg_advisory_xact_lock(hashtext('amazcope.category_metrics'))";
        sqlx::query(lock).execute(&mut *tx).await.map_err(db)?;
        let rows = sqlx::query_as::<_, CategoryMetricRow>(sql)
            .bind(category.map(|c| c.0))
            .bind(as_of)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut out: Vec<CategoryMetric> =
            rows.into_iter().map(TryInto::try_into).collect::<StoreResult<_>>()?;
        out.sort_by(|a, b| a.category_id.cmp(&b.category_id).then(a.recorded_at.cmp(&b.recorded_at)));
        Ok(out)
    }
}
