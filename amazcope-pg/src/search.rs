//! Product search: full-text search over title, brand, features and description
//! (`products.search_vector`, migration 0012, GIN index), ranked, with an exact ASIN and an
//! exact title first, and titles that merely look like the query (pg_trgm word similarity)
//! after the text matches, so a misspelled query still finds its product.
//!
//! The query text goes through `websearch_to_tsquery` (quotes, `or`, `-word` as a web search
//! box reads them; never a syntax error) with each marketplace language's configuration, so
//! `Kopfhörer` is stemmed as German on amazon.de and `headphones` as English on amazon.com.
//! Without a marketplace, the query is the OR of its forms in every configuration, which
//! keeps it one constant the GIN index can answer (`products_search_query`).

use crate::PgStore;
use crate::error::db;
use crate::history::readable_tracking;
use amazcope_core::{Currency, Marketplace, ProductId, StoreError, StoreResult, UserId, ValidationError};
use rust_decimal::Decimal;
use serde::Serialize;

/// The most results one search returns.
pub const MAX_LIMIT: u32 = 200;

/// Why a product matched, best first (results are ordered by this, then by rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The query is the product's ASIN.
    Asin,
    /// The query is the product's title (case and surrounding spaces aside).
    Title,
    /// The words of the query are in its title, brand, features or description.
    Text,
    /// Its title looks like the query (trigram word similarity): typos.
    Similar,
}

/// One product found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The product.
    pub product_id: ProductId,
    /// Its ASIN.
    pub asin: String,
    /// Its marketplace.
    pub marketplace: Marketplace,
    /// Its title.
    pub title: String,
    /// Its brand, when known.
    pub brand: Option<String>,
    /// Its current price, when known.
    pub price: Option<Decimal>,
    /// The price's currency.
    pub currency: Currency,
    /// Why it matched.
    pub matched: MatchKind,
    /// The full-text rank (`ts_rank_cd` over the weighted vector; 0 for a similar title).
    pub rank: f32,
    /// How much its title looks like the query (pg_trgm `word_similarity`, 0 to 1).
    pub similarity: f32,
}

/// A search: the text and its filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What the user typed: words, an ASIN or a title.
    pub text: String,
    /// Only products of this marketplace.
    pub marketplace: Option<Marketplace>,
    /// Only the products this user tracks (actively, as every per-user read).
    pub user: Option<UserId>,
    /// At most this many results (1 to [`MAX_LIMIT`]).
    pub limit: u32,
}

impl SearchQuery {
    /// A search for `text` over the whole catalogue, 20 results.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), marketplace: None, user: None, limit: 20 }
    }
}

/// Trigram word similarity a title needs to be listed as [`MatchKind::Similar`]. pg_trgm's
/// default (0.6) misses two typos in two words (`wireles headphnes` against "Wireless Noise
/// Cancelling Headphones" is 0.41); below 0.3 unrelated titles come in.
const SIMILARITY_THRESHOLD: f32 = 0.3;

#[derive(Debug, sqlx::FromRow)]
struct HitRow {
    id: uuid::Uuid,
    asin: String,
    marketplace: String,
    title: String,
    brand: Option<String>,
    current_price: Option<Decimal>,
    currency: String,
    tier: i32,
    rank: f32,
    similarity: f32,
}

impl TryFrom<HitRow> for SearchHit {
    type Error = StoreError;
    fn try_from(r: HitRow) -> StoreResult<Self> {
        let matched = match r.tier {
            0 => MatchKind::Asin,
            1 => MatchKind::Title,
            2 => MatchKind::Text,
            _ => MatchKind::Similar,
        };
        Ok(SearchHit {
            product_id: ProductId(r.id),
            asin: r.asin,
            marketplace: crate::rows::parse(&r.marketplace)?,
            title: r.title,
            brand: r.brand,
            price: r.current_price,
            currency: crate::rows::parse(&r.currency)?,
            matched,
            rank: r.rank,
            similarity: r.similarity,
        })
    }
}

impl PgStore {
    /// Products matching `query`, best first: the exact ASIN, then exact titles, then
    /// full-text matches by rank, then titles similar to the query. Read from the read
    /// replica when there is one ([`PgStore::read_pool`]). An empty query or a limit out of
    /// range is a [`StoreError::Invalid`].
    pub async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<SearchHit>> {
        let text = query.text.trim();
        if text.is_empty() {
            return Err(
                ValidationError::new("search", "", "empty search: give words, an ASIN or a title").into()
            );
        }
        if query.limit == 0 || query.limit > MAX_LIMIT {
            return Err(ValidationError::new(
                "limit",
                query.limit.to_string(),
                format!("expected 1 to {MAX_LIMIT} results"),
            )
            .into());
        }
        // Runtime SQL: the tenancy fragment is spliced in with concat!, which query! cannot
        // take. The tsquery is built once (CTE q, `products_search_query` of migration 0012).
        // language=PostgreSQL
        let sql = concat!(
            "WITH q AS (
                SELECT products_search_query($1, $2) AS tsq,
                       lower($1) AS txt, upper($1) AS asin
            )
            SELECT p.id, p.asin, p.marketplace, p.title, p.brand, p.current_price, p.currency,
                   CASE WHEN p.asin = q.asin THEN 0
                        WHEN lower(p.title) = q.txt THEN 1
                        WHEN p.search_vector @@ q.tsq THEN 2
                        ELSE 3 END AS tier,
                   ts_rank_cd(p.search_vector, q.tsq) AS rank,
                   word_similarity(q.txt, lower(p.title)) AS similarity
            FROM products p CROSS JOIN q
            WHERE (p.asin = q.asin OR p.search_vector @@ q.tsq OR q.txt <% lower(p.title))
              AND ($2::text IS NULL OR p.marketplace = $2)
              AND ($3::uuid IS NULL OR EXISTS (
                    SELECT 1 FROM user_products up
                    WHERE up.user_id = $3 AND up.product_id = p.id AND ",
            readable_tracking!(),
            "))
            ORDER BY tier, rank DESC, similarity DESC, p.title, p.id
            LIMIT $4"
        );
        // One transaction: the similarity threshold is set for it alone (SET LOCAL), so no
        // session state outlives it (a PgBouncer in transaction mode hands the connection on).
        // With a user, the transaction acts as that user (row-level security on user_products).
        let mut tx = match query.user {
            Some(user) => self.read_user_tx(user).await?,
            None => self.read_pool().await.begin().await.map_err(db)?,
        };
        // language=PostgreSQL
        sqlx::query("SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)")
            .bind(SIMILARITY_THRESHOLD.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<HitRow> = sqlx::query_as(sql)
            .bind(text)
            .bind(query.marketplace.map(Marketplace::code))
            .bind(query.user.map(|u| u.0))
            .bind(i64::from(query.limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
