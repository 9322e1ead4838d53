//! Decoding Keepa product histories (`amazcope import-keepa`): the API's product objects
//! into snapshots marked [`SnapshotSource::Keepa`]. Pure: the caller reads the file and
//! stores the result.
//!
//! The format (`shared/spec/KEEPA.md`): each product's `csv` array holds one series per CSV
//! type, a flat list of `keepa_minute, value` pairs (`keepa_minute, price, shipping` triples
//! for the `_SHIPPING` types); Unix minutes = keepa minute + 21,564,000; prices in the
//! marketplace's minor units; `-1` no offer (out of stock), `-2` no data. A series records
//! changes only: the value at a time is the last point at or before it.
//!
//! Mapping: every time at which one of the series read here changes becomes one snapshot
//! with the values in force then. The price is the first of BUY_BOX_SHIPPING (18, price plus
//! shipping), AMAZON (0) and NEW (1) that has a value other than "no data" in force; `-1`
//! there means out of stock with no price. List price from LISTPRICE (4), sales rank from
//! SALES (3), rating from RATING (16) / 10, review count from COUNT_REVIEWS (17).

use crate::model::snapshot::{NewSnapshot, SnapshotSource};
use crate::{Asin, Currency, Marketplace, ProductId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;

/// Keepa minute 0 (2011-01-01 00:00 UTC) in minutes since the Unix epoch.
pub const KEEPA_EPOCH_MINUTES: i64 = 21_564_000;

/// CSV type: Amazon's own offer.
pub const AMAZON: usize = 0;
/// CSV type: lowest new offer.
pub const NEW: usize = 1;
/// CSV type: sales rank in the main category.
pub const SALES: usize = 3;
/// CSV type: list price.
pub const LISTPRICE: usize = 4;
/// CSV type: rating ×10 (0-50).
pub const RATING: usize = 16;
/// CSV type: number of reviews.
pub const COUNT_REVIEWS: usize = 17;
/// CSV type: buy box price with shipping (triples).
pub const BUY_BOX_SHIPPING: usize = 18;

/// The time of a Keepa minute (`None` for a minute before Keepa's epoch or out of range).
pub fn keepa_time(minute: i64) -> Option<DateTime<Utc>> {
    if minute < 0 {
        return None;
    }
    DateTime::from_timestamp(minute.checked_add(KEEPA_EPOCH_MINUTES)?.checked_mul(60)?, 0)
}

/// The Keepa `domainId` of a marketplace, and back.
pub fn marketplace_of_domain(domain: i64) -> Option<Marketplace> {
    Some(match domain {
        1 => Marketplace::Com,
        2 => Marketplace::CoUk,
        3 => Marketplace::De,
        4 => Marketplace::Fr,
        5 => Marketplace::CoJp,
        6 => Marketplace::Ca,
        8 => Marketplace::It,
        9 => Marketplace::Es,
        10 => Marketplace::In,
        11 => Marketplace::ComMx,
        12 => Marketplace::ComBr,
        _ => return None,
    })
}

/// Why a Keepa file or one of its products cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeepaError {
    /// The file is not a JSON list of products or `{"products": [...]}`.
    #[error("not a Keepa product file: {reason}")]
    File {
        /// What is wrong.
        reason: String,
    },
    /// One product is malformed; nothing of it is imported.
    #[error("{product}: {}{reason}", at.as_ref().map(|a| format!("{a}: ")).unwrap_or_default())]
    Product {
        /// The product: its ASIN, or its position in the file when it has none.
        product: String,
        /// Where in the product (`csv[18][7]`), when the fault is in an array.
        at: Option<String>,
        /// What is wrong.
        reason: String,
    },
}

impl KeepaError {
    fn product(product: &str, at: Option<String>, reason: impl Into<String>) -> Self {
        KeepaError::Product { product: product.to_string(), at, reason: reason.into() }
    }
}

/// One decoded point in time: the values in force at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeepaPoint {
    /// When (a change time of one of the series).
    pub at: DateTime<Utc>,
    /// The price a shopper paid (buy box with shipping, else Amazon, else lowest new);
    /// `None` when out of stock or unknown.
    pub price: Option<Decimal>,
    /// Whether an offer existed (false for `-1`; false when unknown).
    pub in_stock: bool,
    /// The list price.
    pub list_price: Option<Decimal>,
    /// Sales rank in the main category.
    pub sales_rank: Option<i32>,
    /// Stars, 0.0-5.0.
    pub rating: Option<f64>,
    /// Number of reviews.
    pub review_count: Option<i32>,
}

/// One decoded product.
#[derive(Debug, Clone, PartialEq)]
pub struct KeepaProduct {
    /// The ASIN.
    pub asin: Asin,
    /// Its marketplace (from `domainId`, or the one the caller gave).
    pub marketplace: Marketplace,
    /// The title, when given.
    pub title: Option<String>,
    /// The history, oldest first, one point per change time.
    pub points: Vec<KeepaPoint>,
}

impl KeepaProduct {
    /// The snapshots of the points for the stored product `product_id`, marked
    /// [`SnapshotSource::Keepa`], in the marketplace's currency.
    pub fn snapshots(&self, product_id: ProductId) -> Vec<NewSnapshot> {
        let currency = self.marketplace.currency();
        self.points
            .iter()
            .map(|p| {
                let mut s = NewSnapshot::empty(product_id, p.at, currency);
                s.price = p.price;
                s.original_price = p.list_price;
                s.in_stock = p.in_stock;
                s.bsr_main_category = p.sales_rank;
                s.rating = p.rating;
                s.review_count = p.review_count;
                s.source = SnapshotSource::Keepa;
                s
            })
            .collect()
    }
}

/// The product objects of a Keepa file (a list, or `{"products": [...]}`), each decoded on
/// its own: a malformed product is an `Err` naming it, the others are unaffected.
/// `marketplace` is used for products without a `domainId`; a product whose `domainId`
/// names another marketplace is an error.
pub fn decode_file(
    text: &str,
    marketplace: Option<Marketplace>,
) -> Result<Vec<Result<KeepaProduct, KeepaError>>, KeepaError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| KeepaError::File { reason: format!("invalid JSON ({e})") })?;
    let products = match value {
        Value::Array(list) => list,
        Value::Object(mut o) => match o.remove("products") {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(KeepaError::File {
                    reason: "expected a list of products or {\"products\": [...]}".into(),
                });
            }
        },
        _ => {
            return Err(KeepaError::File {
                reason: "expected a list of products or {\"products\": [...]}".into(),
            });
        }
    };
    Ok(products.iter().enumerate().map(|(i, p)| decode_product(p, i, marketplace)).collect())
}

/// One series: its points `(keepa minute, value)` with value = price + shipping for the
/// shipping types (a negative price or shipping keeps the price's sentinel).
fn series(csv: &[Value], kind: usize, name: &str) -> Result<Vec<(i64, i64)>, KeepaError> {
    let Some(entry) = csv.get(kind) else { return Ok(Vec::new()) };
    let list = match entry {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list,
        _ => {
            return Err(KeepaError::product(
                name,
                Some(format!("csv[{kind}]")),
                "expected a list of integers or null",
            ));
        }
    };
    let width = if kind == BUY_BOX_SHIPPING { 3 } else { 2 };
    let mut ints = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let n = v.as_i64().ok_or_else(|| {
            KeepaError::product(
                name,
                Some(format!("csv[{kind}][{i}]")),
                format!("expected an integer, got {v}"),
            )
        })?;
        ints.push(n);
    }
    if ints.len() % width != 0 {
        let what = if width == 3 { "time, price, shipping triples" } else { "time, value pairs" };
        return Err(KeepaError::product(
            name,
            Some(format!("csv[{kind}][{}]", ints.len() - ints.len() % width)),
            format!("incomplete entry: the series holds {what} but has {} numbers", ints.len()),
        ));
    }
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(ints.len() / width);
    for (n, chunk) in ints.chunks(width).enumerate() {
        let i = n * width;
        let at = |k: usize| Some(format!("csv[{kind}][{}]", i + k));
        let t = chunk[0];
        if keepa_time(t).is_none() {
            return Err(KeepaError::product(
                name,
                at(0),
                format!("keepa minute {t} is before 2011-01-01 or out of range"),
            ));
        }
        if let Some(&(prev, _)) = out.last()
            && t < prev
        {
            return Err(KeepaError::product(
                name,
                at(0),
                format!("keepa minute {t} is earlier than the one before ({prev})"),
            ));
        }
        let mut v = chunk[1];
        if v < -2 {
            return Err(KeepaError::product(name, at(1), format!("value {v} is negative but not -1 or -2")));
        }
        if width == 3 {
            let ship = chunk[2];
            if ship < -2 {
                return Err(KeepaError::product(
                    name,
                    at(2),
                    format!("shipping {ship} is negative but not -1 or -2"),
                ));
            }
            if v >= 0 && ship > 0 {
                v = v
                    .checked_add(ship)
                    .ok_or_else(|| KeepaError::product(name, at(2), "price plus shipping overflows"))?;
            }
        }
        if kind == RATING && v > 50 {
            return Err(KeepaError::product(name, at(1), format!("rating {v} is above 50 (5.0 stars)")));
        }
        // The last of several points at one minute wins, as in a step function.
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 = v,
            _ => out.push((t, v)),
        }
    }
    Ok(out)
}

/// The value of a series in force at `t` (the last point at or before it): `None` before
/// its first point.
fn at(series: &[(i64, i64)], t: i64) -> Option<i64> {
    let n = series.partition_point(|(m, _)| *m <= t);
    n.checked_sub(1).map(|i| series[i].1)
}

fn money(minor: i64, currency: Currency, name: &str, kind: usize) -> Result<Decimal, KeepaError> {
    let digits = currency.minor_digits();
    // numeric(10,2) holds less than 10^8 units.
    let d = Decimal::new(minor, digits);
    if d >= Decimal::new(100_000_000, 0) {
        return Err(KeepaError::product(
            name,
            Some(format!("csv[{kind}]")),
            format!("price {d} {currency:?} is too large"),
        ));
    }
    Ok(d)
}

fn count(v: i64, name: &str, kind: usize) -> Result<i32, KeepaError> {
    i32::try_from(v)
        .map_err(|_| KeepaError::product(name, Some(format!("csv[{kind}]")), format!("{v} is out of range")))
}

/// Decodes one product object (`position` is its index in the file, for the message).
pub fn decode_product(
    p: &Value,
    position: usize,
    marketplace: Option<Marketplace>,
) -> Result<KeepaProduct, KeepaError> {
    let fallback = format!("product #{position}");
    let Some(o) = p.as_object() else {
        return Err(KeepaError::product(&fallback, None, "expected a product object"));
    };
    let asin_text = o.get("asin").and_then(Value::as_str);
    let name = asin_text.map_or(fallback, str::to_string);
    let asin: Asin = asin_text
        .ok_or_else(|| KeepaError::product(&name, None, "no asin"))?
        .parse()
        .map_err(|e: crate::ValidationError| KeepaError::product(&name, None, e.reason))?;
    let domain =
        match o.get("domainId") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let id = v.as_i64().ok_or_else(|| {
                    KeepaError::product(&name, None, format!("domainId {v} is not an integer"))
                })?;
                Some(marketplace_of_domain(id).ok_or_else(|| {
                    KeepaError::product(&name, None, format!("unknown Keepa domainId {id}"))
                })?)
            }
        };
    let marketplace = match (domain, marketplace) {
        (Some(d), Some(m)) if d != m => {
            return Err(KeepaError::product(
                &name,
                None,
                format!("its domainId is amazon.{}, not the amazon.{} asked for", d.code(), m.code()),
            ));
        }
        (Some(d), _) => d,
        (None, Some(m)) => m,
        (None, None) => return Err(KeepaError::product(&name, None, "no domainId: pass the marketplace")),
    };
    let title = o.get("title").and_then(Value::as_str).map(str::to_string);
    let csv: &[Value] = match o.get("csv") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(_) => return Err(KeepaError::product(&name, Some("csv".into()), "expected a list of series")),
    };
    let currency = marketplace.currency();
    let prices =
        [series(csv, BUY_BOX_SHIPPING, &name)?, series(csv, AMAZON, &name)?, series(csv, NEW, &name)?];
    let list = series(csv, LISTPRICE, &name)?;
    let rank = series(csv, SALES, &name)?;
    let rating = series(csv, RATING, &name)?;
    let reviews = series(csv, COUNT_REVIEWS, &name)?;
    let times: BTreeSet<i64> = prices
        .iter()
        .chain([&list, &rank, &rating, &reviews])
        .flat_map(|s| s.iter().map(|(t, _)| *t))
        .collect();
    let mut points = Vec::with_capacity(times.len());
    for t in times {
        // The first price series with something other than "no data" in force.
        let price_kind = [BUY_BOX_SHIPPING, AMAZON, NEW];
        let offer =
            prices.iter().zip(price_kind).find_map(|(s, k)| at(s, t).filter(|v| *v != -2).map(|v| (v, k)));
        let (price, in_stock) = match offer {
            Some((v, k)) if v >= 0 => (Some(money(v, currency, &name, k)?), true),
            _ => (None, false),
        };
        let known = |s: &[(i64, i64)]| at(s, t).filter(|v| *v >= 0);
        points.push(KeepaPoint {
            at: keepa_time(t).unwrap_or_default(),
            price,
            in_stock,
            list_price: known(&list).map(|v| money(v, currency, &name, LISTPRICE)).transpose()?,
            sales_rank: known(&rank).map(|v| count(v, &name, SALES)).transpose()?,
            rating: known(&rating).map(|v| v as f64 / 10.0),
            review_count: known(&reviews).map(|v| count(v, &name, COUNT_REVIEWS)).transpose()?,
        });
    }
    Ok(KeepaProduct { asin, marketplace, title, points })
}

impl fmt::Display for KeepaPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} price {:?} in stock {}", self.at.to_rfc3339(), self.price, self.in_stock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(p: Value) -> Result<KeepaProduct, KeepaError> {
        decode_product(&p, 0, None)
    }

    fn csv(entries: &[(usize, Value)]) -> Value {
        let mut v = vec![Value::Null; 19];
        for (k, e) in entries {
            v[*k] = e.clone();
        }
        Value::Array(v)
    }

    #[test]
    fn keepa_minutes_are_minutes_since_2011() {
        assert_eq!(keepa_time(0).unwrap().to_rfc3339(), "2011-01-01T00:00:00+00:00");
        assert_eq!(keepa_time(60 * 24).unwrap().to_rfc3339(), "2011-01-02T00:00:00+00:00");
        assert_eq!(keepa_time(-1), None);
    }

    #[test]
    fn step_series_merge_into_one_point_per_change_time() {
        let p = one(json!({"asin": "B00FLYWNYQ", "domainId": 1, "title": "Pot",
            "csv": csv(&[(AMAZON, json!([100, 1999, 200, -1, 300, 1799])),
                         (SALES, json!([150, 1234])),
                         (RATING, json!([100, 45])),
                         (COUNT_REVIEWS, json!([100, 87, 250, -2])),
                         (LISTPRICE, json!([100, 2499]))])}))
        .unwrap();
        assert_eq!(p.marketplace, Marketplace::Com);
        let t: Vec<i64> = p.points.iter().map(|x| x.at.timestamp() / 60 - KEEPA_EPOCH_MINUTES).collect();
        assert_eq!(t, vec![100, 150, 200, 250, 300]);
        let first = &p.points[0];
        assert_eq!(first.price, Some(Decimal::new(1999, 2)));
        assert!(first.in_stock);
        assert_eq!(first.rating, Some(4.5));
        assert_eq!(first.review_count, Some(87));
        assert_eq!(first.list_price, Some(Decimal::new(2499, 2)));
        assert_eq!(first.sales_rank, None);
        assert_eq!(p.points[1].sales_rank, Some(1234));
        // -1: out of stock, no price; the rank and rating stay in force.
        assert_eq!((p.points[2].price, p.points[2].in_stock), (None, false));
        assert_eq!(p.points[2].sales_rank, Some(1234));
        // -2: no data, not a zero.
        assert_eq!(p.points[3].review_count, None);
        assert_eq!(p.points[4].price, Some(Decimal::new(1799, 2)));
        let snaps = p.snapshots(ProductId(uuid::Uuid::nil()));
        assert!(snaps.iter().all(|s| s.source == SnapshotSource::Keepa && s.currency.as_str() == "USD"));
    }

    #[test]
    fn buy_box_shipping_adds_shipping_and_wins_over_amazon() {
        let p = one(json!({"asin": "B00FLYWNYQ", "domainId": 3,
            "csv": csv(&[(AMAZON, json!([10, 500])),
                         (BUY_BOX_SHIPPING, json!([20, 1000, 399, 30, -1, -1, 40, -2, -2]))])}))
        .unwrap();
        let prices: Vec<(Option<Decimal>, bool)> = p.points.iter().map(|x| (x.price, x.in_stock)).collect();
        assert_eq!(
            prices,
            vec![
                (Some(Decimal::new(500, 2)), true),  // only Amazon's offer so far
                (Some(Decimal::new(1399, 2)), true), // buy box 10.00 + 3.99 shipping
                (None, false),                       // buy box -1: out of stock
                (Some(Decimal::new(500, 2)), true),  // buy box -2: no data, Amazon's in force
            ]
        );
        assert_eq!(p.snapshots(ProductId(uuid::Uuid::nil()))[0].currency.as_str(), "EUR");
    }

    #[test]
    fn yen_have_no_minor_unit() {
        let p = one(json!({"asin": "B00FLYWNYQ", "domainId": 5, "csv": csv(&[(NEW, json!([1, 2980]))])}))
            .unwrap();
        assert_eq!(p.points[0].price, Some(Decimal::new(2980, 0)));
    }

    #[test]
    fn malformed_arrays_name_the_product_and_index() {
        let e = one(json!({"asin": "B00FLYWNYQ", "domainId": 1, "csv": csv(&[(BUY_BOX_SHIPPING, json!([1, 100, 0, 2, 100]))])}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "B00FLYWNYQ: csv[18][3]: incomplete entry: the series holds time, price, shipping triples but has 5 numbers"
        );
        let e = one(
            json!({"asin": "B00FLYWNYQ", "domainId": 1, "csv": csv(&[(AMAZON, json!([1, 100, 2, "x"]))])}),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "B00FLYWNYQ: csv[0][3]: expected an integer, got \"x\"");
        let e =
            one(json!({"asin": "B00FLYWNYQ", "domainId": 1, "csv": csv(&[(RATING, json!([1, 45, 2, 51]))])}))
                .unwrap_err();
        assert_eq!(e.to_string(), "B00FLYWNYQ: csv[16][3]: rating 51 is above 50 (5.0 stars)");
        let e = one(
            json!({"asin": "B00FLYWNYQ", "domainId": 1, "csv": csv(&[(AMAZON, json!([5, 100, 4, 100]))])}),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("B00FLYWNYQ: csv[0][2]: keepa minute 4 is earlier"), "{e}");
        let e = one(json!({"asin": "B00FLYWNYQ", "domainId": 1, "csv": csv(&[(AMAZON, json!([5, -3]))])}))
            .unwrap_err();
        assert_eq!(e.to_string(), "B00FLYWNYQ: csv[0][1]: value -3 is negative but not -1 or -2");
        let e = one(json!({"domainId": 1})).unwrap_err();
        assert_eq!(e.to_string(), "product #0: no asin");
        let e = one(json!({"asin": "B00FLYWNYQ"})).unwrap_err();
        assert_eq!(e.to_string(), "B00FLYWNYQ: no domainId: pass the marketplace");
    }

    #[test]
    fn files_are_lists_or_products_objects() {
        let text =
            r#"{"products": [{"asin": "B00FLYWNYQ", "domainId": 1, "csv": [[1, 100]]}, {"asin": "bad"}]}"#;
        let all = decode_file(text, None).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].is_ok());
        assert!(all[1].is_err());
        assert!(decode_file("[]", None).unwrap().is_empty());
        assert!(matches!(decode_file("{}", None), Err(KeepaError::File { .. })));
        assert!(matches!(decode_file("nope", None), Err(KeepaError::File { .. })));
        // The marketplace given must agree with domainId.
        let all = decode_file(r#"[{"asin": "B00FLYWNYQ", "domainId": 1}]"#, Some(Marketplace::De)).unwrap();
        assert!(all[0].as_ref().unwrap_err().to_string().contains("not the amazon.de asked for"));
    }
}
