//! Reading a product's stored history for one user: the tenancy rule every per-product read
//! shares ([`PgStore::check_tracks`]), and the parallel, column-oriented read behind Python's
//! `history()` ([`PgStore::history_slices`], [`PgStore::copy_history_slice`]).
//!
//! Runtime SQL for the COPY: `query!` cannot run COPY (and COPY takes no bind parameters, so
//! the slice bounds are spliced in as literals we formatted ourselves).

use crate::PgStore;
use crate::error::db;
use amazcope_core::{ProductId, StoreError, StoreResult, UserId};
use chrono::{DateTime, Duration, Utc};
use futures::stream::{BoxStream, StreamExt};
use sqlx::postgres::PgPoolCopyExt;

/// The tenancy rule of [`PgStore::check_tracks`] as SQL over a `user_products up` row, for
/// the reads that join the tracking row themselves (summary, trends, compare, a product's
/// category) instead of asking first: the rule is written here once.
macro_rules! readable_tracking {
    () => {
        "up.is_active"
    };
}
pub(crate) use readable_tracking;

/// The columns of a history COPY, in order. Each row of the stream has these fields, with
/// their PostgreSQL types: `scraped_at` timestamptz, `price` and `original_price`
/// numeric(10,2), `currency` varchar, `bsr_main_category` and `bsr_small_category` int4,
/// `rating` float8, `review_count` int4, `in_stock` and `is_prime` bool; then the quality of
/// each tracked value (`price_quality` ... `stock_quality`: `ok`, `absent`, `unparsed`,
/// `blocked`, NULL before quality was recorded) and `page_asin`, all varchar.
pub const HISTORY_COLUMNS: [&str; 17] = [
    "scraped_at",
    "price",
    "original_price",
    "currency",
    "bsr_main_category",
    "bsr_small_category",
    "rating",
    "review_count",
    "in_stock",
    "is_prime",
    "price_quality",
    "list_price_quality",
    "bsr_quality",
    "rating_quality",
    "review_count_quality",
    "stock_quality",
    "page_asin",
];

/// One time slice of a product's history, `from <= scraped_at < to` (no upper bound when
/// `to` is `None`). Only [`PgStore::history_slices`] makes them, after the tenancy check, so
/// holding one is proof that the user may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySlice {
    product: ProductId,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
}

impl HistorySlice {
    /// The product.
    pub fn product(&self) -> ProductId {
        self.product
    }

    /// The inclusive lower bound.
    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// The exclusive upper bound (`None`: up to the newest snapshot).
    pub fn to(&self) -> Option<DateTime<Utc>> {
        self.to
    }
}

/// A timestamp as a PostgreSQL literal with microseconds (the column's precision).
fn literal(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

impl PgStore {
    /// The tenancy rule of every read of one product's stored data (its history, the
    /// statistics and replays computed from it, its reviews): `user` may read `product` while
    /// `user` actively tracks it, i.e. has a `user_products` row for it with
    /// `is_active = true`. After untracking, the product is [`StoreError::NotFound`] for that
    /// user exactly as a missing product or another user's product is, so one tenant cannot
    /// probe another's; tracking it again makes the history readable again. Whether the
    /// product is still listed on Amazon (`products.is_active`) does not matter.
    pub async fn check_tracks(&self, user: UserId, product: ProductId) -> StoreResult<()> {
        let mut tx = self.user_tx(user).await?;
        tracks_in(&mut tx, user, product).await?;
        tx.commit().await.map_err(db)
    }

    /// Cuts the history of `product` since `since` into up to `slices` disjoint time slices of
    /// about equal span, oldest first, for reading over several connections at once
    /// ([`PgStore::copy_history_slice`]); concatenated in order, the slices' rows are the
    /// history ordered by `scraped_at`. An empty history, or one instant, is one slice.
    /// [`StoreError::NotFound`] unless `user` may read the product ([`PgStore::check_tracks`]).
    ///
    /// Why slices: the server sends a million snapshots in about a second, single-threaded in
    /// its backend; with several backends and our decoders working at once the cores are
    /// shared (measured by `benches/py_history_compare.py`).
    pub async fn history_slices(
        &self,
        user: UserId,
        product: ProductId,
        since: DateTime<Utc>,
        slices: u32,
    ) -> StoreResult<Vec<HistorySlice>> {
        self.check_tracks(user, product).await?;
        let span = sqlx::query!(
            "SELECT min(scraped_at) AS first, max(scraped_at) AS last FROM product_snapshots
             WHERE product_id = $1 AND scraped_at >= $2",
            product.0,
            since
        )
        .fetch_one(self.read_pool().await)
        .await
        .map_err(db)?;
        let mut cuts = vec![since];
        if let (Some(first), Some(last)) = (span.first, span.last) {
            let n = i32::try_from(slices.max(1)).unwrap_or(i32::MAX);
            let step = (last - first) / n;
            if step > Duration::zero() {
                cuts.extend((1..n).map(|i| first + step * i));
            }
        }
        Ok(cuts
            .iter()
            .enumerate()
            .map(|(i, from)| HistorySlice { product, from: *from, to: cuts.get(i + 1).copied() })
            .collect())
    }

    /// The rows of one slice, oldest first, as PostgreSQL's binary COPY stream (the
    /// "Binary Format" of the COPY page: header, then per row the fields of
    /// [`HISTORY_COLUMNS`]), read on a connection of its own. The caller decodes it.
    pub async fn copy_history_slice(
        &self,
        slice: &HistorySlice,
    ) -> StoreResult<BoxStream<'static, StoreResult<impl AsRef<[u8]> + Send + 'static>>> {
        let upper = slice.to.map(|t| format!(" AND scraped_at < '{}'", literal(t))).unwrap_or_default();
        // COPY takes no bind parameters: the values spliced in are all ours (a UUID and
        // timestamps formatted above), never caller text.
        // language=PostgreSQL
        let sql = format!(
            "COPY (SELECT {} FROM product_snapshots
                    WHERE product_id = '{}' AND scraped_at >= '{}'{upper}
                    ORDER BY scraped_at) TO STDOUT (FORMAT binary)",
            HISTORY_COLUMNS.join(", "),
            slice.product.0,
            literal(slice.from),
        );
        let stream = self.read_pool().await.copy_out_raw(&sql).await.map_err(db)?;
        Ok(stream.map(|chunk| chunk.map_err(db)).boxed())
    }
}

/// [`PgStore::check_tracks`] inside a transaction acting as `user`.
pub(crate) async fn tracks_in(
    conn: &mut sqlx::PgConnection,
    user: UserId,
    product: ProductId,
) -> StoreResult<()> {
    // Runtime SQL: the rule is the shared `readable_tracking!` fragment, spliced in with
    // `concat!`, which `query!` (string literals only) cannot take.
    // language=PostgreSQL
    let sql = concat!(
        "SELECT EXISTS (SELECT 1 FROM user_products up WHERE up.user_id = $1 AND up.product_id = $2 AND ",
        readable_tracking!(),
        ")"
    );
    let tracks: bool =
        sqlx::query_scalar(sql).bind(user.0).bind(product.0).fetch_one(conn).await.map_err(db)?;
    if tracks { Ok(()) } else { Err(StoreError::not_found("product", product)) }
}
