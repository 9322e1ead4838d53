//! Writes of `product_snapshots`: the one insert of new snapshots ([`store_new_snapshots`]),
//! which the repository and batch ingest both call, inside the caller's transaction.

use super::copy::BinaryCopy;
use crate::columns::{clip, snapshots as width};
use crate::error::{self, ErrCtx};
use amazcope_core::model::page::TrackedField;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::HashSet;
use uuid::Uuid;

/// The text columns of snapshot `$s` with their `varchar(n)` widths; `texts!(s, mut)` for
/// mutable references.
macro_rules! texts {
    ($s:ident $(, $m:tt)?) => {
        [
            (&$($m)? $s.main_category_name, width::CATEGORY_NAME),
            (&$($m)? $s.small_category_name, width::CATEGORY_NAME),
            (&$($m)? $s.stock_status, width::STOCK_STATUS),
            (&$($m)? $s.seller_name, width::SELLER_NAME),
            (&$($m)? $s.seller_id, width::SELLER_ID),
            (&$($m)? $s.seller_store_url, width::SELLER_STORE_URL),
            (&$($m)? $s.fulfilled_by, width::FULFILLED_BY),
            (&$($m)? $s.coupon_text, width::COUPON_TEXT),
            (&$($m)? $s.deal_type, width::DEAL_TYPE),
            (&$($m)? $s.past_sales, width::PAST_SALES),
            (&$($m)? $s.delivery_message, width::DELIVERY_MESSAGE),
            (&$($m)? $s.product_type, width::PRODUCT_TYPE),
        ]
    };
}

/// Whether a text of `s` is longer than its column.
pub(crate) fn too_long(s: &NewSnapshot) -> bool {
    // No more bytes than the width: no more characters either (the usual case, no scan).
    texts!(s).into_iter().any(|(v, n)| v.as_ref().is_some_and(|t| t.len() > n && t.chars().count() > n))
}

/// Cuts every text of `batch` to its column: a long badge or delivery text must not lose
/// the whole snapshot.
pub(crate) fn fit(batch: &mut [NewSnapshot]) {
    for s in batch.iter_mut().filter(|s| too_long(s)) {
        for (v, n) in texts!(s, mut) {
            if let Some(t) = v.as_mut() {
                *t = clip(t, n);
            }
        }
    }
}

/// The 45 data columns of `product_snapshots`, in the order of [`NewSnapshot`]'s fields.
macro_rules! snapshot_columns {
    () => {
        "product_id, scraped_at, price, original_price, buybox_price, currency,
         discount_percentage, bsr_main_category, bsr_small_category, main_category_name,
         small_category_name, rating, review_count, in_stock, stock_quantity, stock_status,
         seller_name, seller_id, seller_store_url, is_amazon_seller, is_fba, fulfilled_by,
         coupon_text, coupon_available, deal_type, is_deal, is_prime, amazons_choice_keywords,
         has_amazons_choice, past_sales, delivery_message, product_type, is_used,
         category_avg_price, category_avg_rating, category_avg_reviews, price_quality,
         list_price_quality, bsr_quality, rating_quality, review_count_quality, stock_quality,
         quality_readings, page_asin, source"
    };
}
/// Fields of a COPY row: the id, then the 45 data columns.
const FIELDS: i16 = 46;

/// The quality columns of a snapshot: each tracked field's flag (`None` when the snapshot
/// has no quality), then the raw readings of the unparsed ones (`None` when there are none).
fn quality_columns(s: &NewSnapshot) -> ([Option<&'static str>; 6], Option<serde_json::Value>) {
    match &s.quality {
        None => ([None; 6], None),
        Some(q) => (
            TrackedField::ALL.map(|f| Some(q.get(f).as_str())),
            (!q.readings.is_empty()).then(|| serde_json::json!(q.readings)),
        ),
    }
}

/// Values of a batch that a check constraint may reject, for the error message: the first
/// out-of-range value of each checked column.
fn batch_ctx(batch: &[NewSnapshot]) -> ErrCtx {
    let bad_rating = batch.iter().filter_map(|s| s.rating).find(|r| !(0.0..=5.0).contains(r));
    let bad_count = batch.iter().filter_map(|s| s.review_count).find(|n| *n < 0);
    let late = Utc::now() + chrono::Duration::days(1);
    let bad_time = batch.iter().map(|s| s.scraped_at).find(|t| *t > late || t.timestamp() < 1_704_067_200);
    let bad_price = batch.iter().filter_map(|s| s.price).find(|p| p.is_sign_negative());
    ErrCtx::new()
        .opt_value("rating", bad_rating)
        .opt_value("review_count", bad_count)
        .opt_value("scraped_at", bad_time.map(|t| t.to_rfc3339()))
        .opt_value("price", bad_price)
}

/// One COPY row: a fresh time-ordered id (UUIDv7), then the data columns.
///
/// The id is made here rather than by the column's `gen_random_uuid()` default because
/// PostgreSQL's COPY inserts row by row when a column it fills from a default is volatile,
/// and in batches of up to 1,000 rows (`heap_multi_insert`) when none is; and because ids in
/// creation order append to the right edge of `pk_product_snapshots` instead of landing on
/// random pages of it.
fn encode_row(c: &mut BinaryCopy, id: Uuid, s: &NewSnapshot) -> Result<(), sqlx::error::BoxDynError> {
    c.row(FIELDS);
    c.field(&id)?;
    c.field(&s.product_id.0)?;
    c.field(&s.scraped_at)?;
    c.field(&s.price)?;
    c.field(&s.original_price)?;
    c.field(&s.buybox_price)?;
    c.field(&s.currency.as_str())?;
    c.field(&s.discount_percentage)?;
    c.field(&s.bsr_main_category)?;
    c.field(&s.bsr_small_category)?;
    c.field(&s.main_category_name)?;
    c.field(&s.small_category_name)?;
    c.field(&s.rating)?;
    c.field(&s.review_count)?;
    c.field(&s.in_stock)?;
    c.field(&s.stock_quantity)?;
    c.field(&s.stock_status)?;
    c.field(&s.seller_name)?;
    c.field(&s.seller_id)?;
    c.field(&s.seller_store_url)?;
    c.field(&s.is_amazon_seller)?;
    c.field(&s.is_fba)?;
    c.field(&s.fulfilled_by)?;
    c.field(&s.coupon_text)?;
    c.field(&s.coupon_available)?;
    c.field(&s.deal_type)?;
    c.field(&s.is_deal)?;
    c.field(&s.is_prime)?;
    c.jsonb(s.amazons_choice_keywords.as_ref())?;
    c.field(&s.has_amazons_choice)?;
    c.field(&s.past_sales)?;
    c.field(&s.delivery_message)?;
    c.field(&s.product_type)?;
    c.field(&s.is_used)?;
    c.field(&s.category_avg_price)?;
    c.field(&s.category_avg_rating)?;
    c.field(&s.category_avg_reviews)?;
    let (flags, readings) = quality_columns(s);
    for flag in &flags {
        c.field(flag)?;
    }
    c.jsonb(readings.as_ref())?;
    c.field(&s.page_asin.as_ref().map(|a| a.as_str()))?;
    c.field(&s.source.as_str())?;
    Ok(())
}

/// Flush the COPY buffer to the server at about this size, so a large batch is encoded
/// while earlier chunks are on the wire and memory stays bounded.
const COPY_CHUNK: usize = 1 << 20;

fn encode_error(e: sqlx::error::BoxDynError) -> StoreError {
    StoreError::Backend { message: format!("encoding snapshot for copy: {e}"), source: Some(e) }
}

/// Why a COPY failed: the database refused, or a value could not be encoded.
enum CopyError {
    Db(sqlx::Error),
    Encode(sqlx::error::BoxDynError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Db(e)
    }
}

/// Binary COPY of `rows` with their `ids` into `table` (`product_snapshots` or the staging
/// table), sent in chunks while encoding.
async fn copy_rows(
    conn: &mut PgConnection,
    table: &str,
    rows: &[&NewSnapshot],
    ids: &[Uuid],
) -> Result<(), CopyError> {
    let statement = format!("COPY {table} (id, {}) FROM STDIN (FORMAT binary)", snapshot_columns!());
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut buf = BinaryCopy::with_header();
    for (s, id) in rows.iter().zip(ids) {
        if let Err(e) = encode_row(&mut buf, *id, s) {
            copy.abort("encoding failed").await?;
            return Err(CopyError::Encode(e));
        }
        if buf.len() >= COPY_CHUNK {
            copy.send(buf.take()).await?;
        }
    }
    buf.trailer();
    copy.send(buf.take()).await?;
    copy.finish().await?;
    Ok(())
}

/// A unique violation on the snapshot table. PostgreSQL names the partition's own index
/// (`product_snapshots_2025_06_product_id_scraped_at_key`), not the parent constraint; the
/// only other unique key, the primary key, contains a random id.
fn is_duplicate_snapshot(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        d.kind() == sqlx::error::ErrorKind::UniqueViolation
            && d.table().is_some_and(|t| t.starts_with("product_snapshots"))
    })
}

/// The slow but duplicate-proof path: binary COPY into a temp table (no WAL, no indexes),
/// then one INSERT .. SELECT .. ON CONFLICT DO NOTHING. Returns the ids of the rows inserted.
async fn insert_via_staging(
    conn: &mut PgConnection,
    rows: &[&NewSnapshot],
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, CopyError> {
    // Plain column types (numeric, text) leave length and precision checks to the INSERT,
    // which raises the real table's errors.
    // language=PostgreSQL
    let sql = "CREATE TEMP TABLE snapshot_staging (
                   id uuid, product_id uuid, scraped_at timestamptz, price numeric,
                   original_price numeric, buybox_price numeric, currency text,
                   discount_percentage float8, bsr_main_category int4,
                   bsr_small_category int4, main_category_name text,
                   small_category_name text, rating float8, review_count int4,
                   in_stock bool, stock_quantity int4, stock_status text, seller_name text,
                   seller_id text, seller_store_url text, is_amazon_seller bool,
                   is_fba bool, fulfilled_by text, coupon_text text, coupon_available bool,
                   deal_type text, is_deal bool, is_prime bool, amazons_choice_keywords jsonb,
                   has_amazons_choice bool, past_sales text, delivery_message text,
                   product_type text, is_used bool, category_avg_price numeric,
                   category_avg_rating float8, category_avg_reviews int4, price_quality text,
                   list_price_quality text, bsr_quality text, rating_quality text,
                   review_count_quality text, stock_quality text, quality_readings jsonb,
                   page_asin text, source text
               )";
    sqlx::query(sql).execute(&mut *conn).await?;
    copy_rows(conn, "snapshot_staging", rows, ids).await?;
    // language=PostgreSQL
    let sql = concat!(
        "INSERT INTO product_snapshots (id, ",
        snapshot_columns!(),
        ") SELECT id, ",
        snapshot_columns!(),
        " FROM snapshot_staging
         ON CONFLICT ON CONSTRAINT uq_product_snapshots_product_scraped DO NOTHING
         RETURNING id"
    );
    let inserted: Vec<Uuid> = sqlx::query_scalar(sql).fetch_all(&mut *conn).await?;
    // Dropped here, not ON COMMIT, so a second fallback in the same transaction can make it
    // again; a failure rolls its creation back with the transaction.
    sqlx::query("DROP TABLE snapshot_staging").execute(&mut *conn).await?;
    Ok(inserted.into_iter().collect())
}

/// Set-wise INSERT of `rows` with their `ids` from UNNEST arrays, skipping keys already
/// stored (ON CONFLICT DO NOTHING keeps the first row of a (product, scraped_at)). Returns the
/// ids of the rows inserted.
async fn insert_unnest(
    conn: &mut PgConnection,
    rows: &[&NewSnapshot],
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    macro_rules! col {
        ($f:ident) => {
            rows.iter().map(|x| x.$f.clone()).collect::<Vec<_>>()
        };
    }
    let product: Vec<Uuid> = rows.iter().map(|x| x.product_id.0).collect();
    let currency: Vec<&str> = rows.iter().map(|x| x.currency.as_str()).collect();
    let keywords: Vec<Option<Json<&Vec<String>>>> =
        rows.iter().map(|x| x.amazons_choice_keywords.as_ref().map(Json)).collect();
    let quality: Vec<([Option<&'static str>; 6], Option<serde_json::Value>)> =
        rows.iter().map(|x| quality_columns(x)).collect();
    let flag = |i: usize| quality.iter().map(|q| q.0[i]).collect::<Vec<_>>();
    let readings: Vec<Option<&serde_json::Value>> = quality.iter().map(|q| q.1.as_ref()).collect();
    let page_asin: Vec<Option<&str>> =
        rows.iter().map(|x| x.page_asin.as_ref().map(|a| a.as_str())).collect();
    let source: Vec<&str> = rows.iter().map(|x| x.source.as_str()).collect();
    // language=PostgreSQL
    let sql = concat!(
        "INSERT INTO product_snapshots (id, ",
        snapshot_columns!(),
        ") SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::numeric[],
             $5::numeric[], $6::numeric[], $7::text[], $8::float8[], $9::int4[], $10::int4[],
             $11::text[], $12::text[], $13::float8[], $14::int4[], $15::bool[], $16::int4[],
             $17::text[], $18::text[], $19::text[], $20::text[], $21::bool[], $22::bool[],
             $23::text[], $24::text[], $25::bool[], $26::text[], $27::bool[], $28::bool[],
             $29::jsonb[], $30::bool[], $31::text[], $32::text[], $33::text[], $34::bool[],
             $35::numeric[], $36::float8[], $37::int4[], $38::text[], $39::text[], $40::text[],
             $41::text[], $42::text[], $43::text[], $44::jsonb[], $45::text[], $46::text[])
         ON CONFLICT ON CONSTRAINT uq_product_snapshots_product_scraped DO NOTHING
         RETURNING id"
    );
    let inserted: Vec<Uuid> = sqlx::query_scalar(sql)
        .bind(ids)
        .bind(&product)
        .bind(col!(scraped_at))
        .bind(col!(price))
        .bind(col!(original_price))
        .bind(col!(buybox_price))
        .bind(&currency)
        .bind(col!(discount_percentage))
        .bind(col!(bsr_main_category))
        .bind(col!(bsr_small_category))
        .bind(col!(main_category_name))
        .bind(col!(small_category_name))
        .bind(col!(rating))
        .bind(col!(review_count))
        .bind(col!(in_stock))
        .bind(col!(stock_quantity))
        .bind(col!(stock_status))
        .bind(col!(seller_name))
        .bind(col!(seller_id))
        .bind(col!(seller_store_url))
        .bind(col!(is_amazon_seller))
        .bind(col!(is_fba))
        .bind(col!(fulfilled_by))
        .bind(col!(coupon_text))
        .bind(col!(coupon_available))
        .bind(col!(deal_type))
        .bind(col!(is_deal))
        .bind(col!(is_prime))
        .bind(&keywords)
        .bind(col!(has_amazons_choice))
        .bind(col!(past_sales))
        .bind(col!(delivery_message))
        .bind(col!(product_type))
        .bind(col!(is_used))
        .bind(col!(category_avg_price))
        .bind(col!(category_avg_rating))
        .bind(col!(category_avg_reviews))
        .bind(flag(0))
        .bind(flag(1))
        .bind(flag(2))
        .bind(flag(3))
        .bind(flag(4))
        .bind(flag(5))
        .bind(&readings)
        .bind(&page_asin)
        .bind(&source)
        .fetch_all(&mut *conn)
        .await?;
    Ok(inserted.into_iter().collect())
}

/// Below this many new rows a batch goes by one INSERT .. UNNEST rather than COPY. sqlx
/// sends COPY's closing CopyDone as a write of its own, which over TCP waits for the
/// server's delayed ACK of the last data (about 40 ms, measured: every COPY took at least
/// 44 ms whatever its size); at ~110k rows/s by COPY and ~50k by INSERT that fixed cost is
/// won back from about 4,000 rows on.
const COPY_MIN_ROWS: usize = 4_000;

/// Stores the rows of `batch` whose (product, scraped_at) is not stored yet, on `conn` and
/// inside the caller's transaction, and returns them with their new ids. The first of
/// several rows with one key wins, as ON CONFLICT DO NOTHING would keep it.
///
/// A small batch is one INSERT .. UNNEST .. ON CONFLICT DO NOTHING. For a large one, keys
/// already stored are read first (over the batch's products and time window; for new
/// scrapes a handful of index probes), and the rest go by binary COPY straight into the
/// partitioned table, as fast as a plain COPY. A row stored by a concurrent writer since
/// that read makes the COPY fail on uq_product_snapshots_product_scraped; then its savepoint
/// is rolled back and the rows go through the staging path, which skips duplicates.
///
/// The daily rollups of the days touched are updated in the same transaction
/// ([`super::rollups::merge`], only the rows inserted here): every caller keeps them current.
pub(crate) async fn store_new_snapshots<'a>(
    conn: &mut PgConnection,
    batch: &'a [NewSnapshot],
) -> StoreResult<Vec<(&'a NewSnapshot, Uuid)>> {
    let inserted = insert_new(conn, batch).await?;
    let rows: Vec<&NewSnapshot> = inserted.iter().map(|(s, _)| *s).collect();
    super::rollups::merge(conn, &rows).await?;
    Ok(inserted)
}

/// The insert of [`store_new_snapshots`].
async fn insert_new<'a>(
    conn: &mut PgConnection,
    batch: &'a [NewSnapshot],
) -> StoreResult<Vec<(&'a NewSnapshot, Uuid)>> {
    let mut seen = HashSet::with_capacity(batch.len());
    let mut fresh: Vec<&NewSnapshot> =
        batch.iter().filter(|s| seen.insert((s.product_id, s.scraped_at))).collect();
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    if fresh.len() < COPY_MIN_ROWS {
        let ids: Vec<Uuid> = fresh.iter().map(|_| Uuid::now_v7()).collect();
        let inserted =
            insert_unnest(conn, &fresh, &ids).await.map_err(|e| error::map(e, &batch_ctx(batch)))?;
        return Ok(fresh.into_iter().zip(ids).filter(|(_, id)| inserted.contains(id)).collect());
    }
    let products: Vec<Uuid> = seen.iter().map(|(p, _)| p.0).collect::<HashSet<_>>().into_iter().collect();
    let from = fresh.iter().map(|s| s.scraped_at).min().unwrap_or_default();
    let to = fresh.iter().map(|s| s.scraped_at).max().unwrap_or_default();
    // language=PostgreSQL
    let sql = "SELECT product_id, scraped_at FROM product_snapshots
               WHERE product_id = ANY($1) AND scraped_at >= $2 AND scraped_at <= $3";
    let stored: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as(sql)
        .bind(&products)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await
        .map_err(error::db)?;
    if !stored.is_empty() {
        let stored: HashSet<(Uuid, DateTime<Utc>)> = stored.into_iter().collect();
        fresh.retain(|s| !stored.contains(&(s.product_id.0, s.scraped_at)));
    }
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = fresh.iter().map(|_| Uuid::now_v7()).collect();
    let fail = |e: CopyError| match e {
        CopyError::Db(e) => error::map(e, &batch_ctx(batch)),
        CopyError::Encode(e) => encode_error(e),
    };
    let mut sp = sqlx::Acquire::begin(&mut *conn).await.map_err(error::db)?;
    match copy_rows(&mut sp, "product_snapshots", &fresh, &ids).await {
        Ok(()) => {
            sp.commit().await.map_err(error::db)?;
            Ok(fresh.into_iter().zip(ids).collect())
        }
        Err(CopyError::Db(e)) if is_duplicate_snapshot(&e) => {
            sp.rollback().await.map_err(error::db)?;
            let inserted = insert_via_staging(conn, &fresh, &ids).await.map_err(fail)?;
            Ok(fresh.into_iter().zip(ids).filter(|(_, id)| inserted.contains(id)).collect())
        }
        Err(e) => Err(fail(e)),
    }
}

/// Puts archived rows back (`amazcope db restore-archive`): one batch of an archive file
/// written with [`crate::archive`]'s snapshot columns, every column as archived (ids,
/// source, created_at included), skipping (product, scraped_at) keys already stored, so a
/// second restore inserts nothing. Returns the rows inserted. The caller recomputes the
/// rollups of the restored days from the raw rows in the same transaction: these rows were
/// folded into `product_daily` when they were first stored, so [`super::rollups::merge`]
/// would count them twice.
pub(crate) async fn restore_archived(
    conn: &mut PgConnection,
    batch: &arrow_array::RecordBatch,
) -> StoreResult<u64> {
    use crate::archive::table::{Kind, SNAPSHOT_COLUMNS, bind_column};
    if batch.num_rows() == 0 {
        return Ok(0);
    }
    let mut binds = Vec::with_capacity(SNAPSHOT_COLUMNS.len());
    for c in &SNAPSHOT_COLUMNS {
        binds.push(bind_column(batch, c).map_err(|e| StoreError::Backend {
            message: format!("reading the archived column {}: {e}", c.name),
            source: Some(Box::new(e)),
        })?);
    }
    let names: Vec<&str> = SNAPSHOT_COLUMNS.iter().map(|c| c.name).collect();
    let params: Vec<String> =
        binds.iter().enumerate().map(|(i, b)| format!("${}::{}", i + 1, b.sql_type())).collect();
    let select: Vec<String> = SNAPSHOT_COLUMNS
        .iter()
        .map(|c| if c.kind == Kind::Json { format!("{}::jsonb", c.name) } else { c.name.to_string() })
        .collect();
    // Runtime SQL: a parameter per archived column. Column names are our constants.
    // language=PostgreSQL
    let sql = format!(
        "INSERT INTO product_snapshots ({cols}) SELECT {select} FROM UNNEST({params}) AS u({cols})
         ON CONFLICT ON CONSTRAINT uq_product_snapshots_product_scraped DO NOTHING",
        cols = names.join(", "),
        select = select.join(", "),
        params = params.join(", "),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = b.bind(q);
    }
    Ok(q.execute(&mut *conn).await.map_err(error::db)?.rows_affected())
}
