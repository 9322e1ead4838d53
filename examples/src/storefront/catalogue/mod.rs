//! The storefront's products and how their values move day by day: the ground truth that
//! tests compare parsed pages against.
//!
//! Everything derives from one seed: the same seed gives the same catalogue, the same walks and
//! the same reviews, so a value served on day `n` can be recomputed exactly by
//! [`CatalogueProduct::state_on`].

use amazcope_core::{Asin, Currency, Marketplace, Money, Rating};
use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};

/// Scripted events, so that the alerts a test or the demo expects are known in advance.
/// Indices are positions in [`Catalogue::products`].
pub mod script {
    /// Product whose price drops by [`PRICE_DROP_PERCENT`] on [`PRICE_DROP_DAY`] and stays
    /// there; its price does not otherwise move.
    pub const PRICE_DROP_PRODUCT: usize = 3;
    /// The day of the drop.
    pub const PRICE_DROP_DAY: u32 = 5;
    /// The size of the drop, in percent.
    pub const PRICE_DROP_PERCENT: i64 = 25;
    /// Product that is out of stock on [`OUT_OF_STOCK_DAYS`] (inclusive) and in stock on every
    /// other day.
    pub const OUT_OF_STOCK_PRODUCT: usize = 7;
    /// First and last day out of stock.
    pub const OUT_OF_STOCK_DAYS: (u32, u32) = (10, 12);
    /// Product that has the Amazon's Choice badge until [`LOSES_CHOICE_DAY`].
    pub const LOSES_CHOICE_PRODUCT: usize = 11;
    /// The first day without the badge.
    pub const LOSES_CHOICE_DAY: u32 = 8;
    /// Product that gets the Amazon's Choice badge on [`GAINS_CHOICE_DAY`].
    pub const GAINS_CHOICE_PRODUCT: usize = 13;
    /// The first day with the badge.
    pub const GAINS_CHOICE_DAY: u32 = 14;
    /// Product that disappears (404, the dogs page) from [`DISAPPEARS_DAY`] on.
    pub const DISAPPEARS_PRODUCT: usize = 19;
    /// The first day it is gone.
    pub const DISAPPEARS_DAY: u32 = 20;
    /// `(product, day)`: a captcha is served instead of the product page (HTTP 200, as Amazon
    /// does). The product's values keep moving underneath.
    pub const CAPTCHAS: &[(usize, u32)] = &[(5, 9), (23, 15), (41, 3), (2, 27)];

    /// Products whose values follow the script rather than chance for the scripted field.
    pub(crate) fn is_scripted(index: usize) -> bool {
        matches!(
            index,
            PRICE_DROP_PRODUCT
                | OUT_OF_STOCK_PRODUCT
                | LOSES_CHOICE_PRODUCT
                | GAINS_CHOICE_PRODUCT
                | DISAPPEARS_PRODUCT
        )
    }
}

mod names;
use names::{ADJECTIVES, BRANDS, nouns};
pub use names::{CategoryInfo, categories};

const ALPHANUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// What the storefront serves for a product on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// The product page.
    Product,
    /// A captcha page, with HTTP 200.
    Captcha,
    /// The 404 dogs page: the product is gone.
    NotFound,
}

/// The exact values of a product on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayState {
    /// The day, 0-based.
    pub day: u32,
    /// What `/dp/ASIN` serves that day.
    pub page: PageState,
    /// The buy-box price shown, `None` when out of stock (the page shows no price then).
    pub price: Option<Decimal>,
    /// The struck-through list price shown, only when above the price and in stock.
    pub list_price: Option<Decimal>,
    /// The currency of both prices.
    pub currency: Currency,
    /// Average rating in tenths of a star (45 = 4.5).
    pub rating_tenths: u8,
    /// Number of ratings.
    pub review_count: u32,
    /// Rank in the root category.
    pub bsr: u32,
    /// Rank in the leaf category.
    pub sub_bsr: u32,
    /// Whether the item can be bought.
    pub in_stock: bool,
    /// Whether the Amazon's Choice badge is shown.
    pub amazons_choice: bool,
    /// Prime badge on the offer.
    pub is_prime: bool,
}

impl DayState {
    /// The price as money.
    pub fn price_money(&self) -> Option<Money> {
        self.price.and_then(|p| Money::new(p, self.currency).ok())
    }
    /// The list price as money.
    pub fn list_price_money(&self) -> Option<Money> {
        self.list_price.and_then(|p| Money::new(p, self.currency).ok())
    }
    /// The rating as the core type (`4.5`).
    pub fn rating(&self) -> Rating {
        Rating::new(f64::from(self.rating_tenths) / 10.0).expect("rating tenths are 10..=50 by construction")
    }
}

/// One review, as the reviews page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTruth {
    /// Amazon-style review id (`R` + 13 characters).
    pub review_id: String,
    /// Stars, 1 to 5.
    pub stars: u8,
    /// Title.
    pub title: String,
    /// Body.
    pub text: String,
    /// Author's public name.
    pub author: String,
    /// The day it was posted, relative to day 0 (negative: before the simulation).
    pub posted_day: i64,
    /// The date it was posted.
    pub date: NaiveDate,
    /// "Verified Purchase".
    pub verified_purchase: bool,
    /// "N people found this helpful".
    pub helpful_votes: u32,
}

/// A product of the storefront: what does not change, and the seed of what does.
#[derive(Debug, Clone)]
pub struct CatalogueProduct {
    /// Position in the catalogue (the script refers to products by it).
    pub index: usize,
    /// The ASIN.
    pub asin: Asin,
    /// The marketplace whose markup and formats its page uses.
    pub marketplace: Marketplace,
    /// Title.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// Category.
    pub category: CategoryInfo,
    /// Price on day 0.
    pub base_price: Decimal,
    /// The reference price, when the product has one (shown only while above the price).
    pub list_price: Option<Decimal>,
    /// Image URLs, main first.
    pub images: Vec<String>,
    /// Feature bullets.
    pub bullets: Vec<String>,
    /// Seller shown in the buy box.
    pub seller: String,
    /// Ships from.
    pub ships_from: String,
    base_bsr: u32,
    sub_divisor: u32,
    base_rating: u8,
    base_reviews: u32,
    is_prime: bool,
    initial_choice: bool,
    seed: u64,
    start_date: NaiveDate,
}

impl CatalogueProduct {
    /// The exact values served on `day`.
    pub fn state_on(&self, day: u32) -> DayState {
        let currency = self.marketplace.currency();
        let jpy = currency.minor_digits() == 0;
        let scale = if jpy { 0 } else { 2 };
        let base_units =
            (self.base_price * Decimal::from(if jpy { 1 } else { 100 })).trunc().mantissa() as i64;
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0x5eed_da75);
        let mut units = base_units;
        let mut rating = i32::from(self.base_rating);
        let mut reviews = self.base_reviews;
        let mut bsr = f64::from(self.base_bsr);
        let mut outage_left = 0u32;
        for d in 0..=day {
            // Every draw happens every day, whichever branch is taken, so one day's values never
            // depend on another branch's consumption of the stream.
            let price_roll: f64 = rng.random();
            let price_step: f64 = rng.random_range(-0.07..0.07);
            let deal_step: f64 = rng.random_range(0.12..0.30);
            let rating_roll: f64 = rng.random();
            let review_roll: f64 = rng.random();
            let new_reviews = rng.random_range(1..=(reviews / 400).max(1));
            let bsr_roll: f64 = rng.random();
            let bsr_step: f64 = rng.random_range(-0.08..0.08);
            let bsr_jump: f64 = rng.random_range(0.2..0.6);
            let outage_roll: f64 = rng.random();
            let outage_len = rng.random_range(1..=2u32);
            if d == 0 {
                continue;
            }
            // Most days nothing happens to a price; some days it moves a little, and now and
            // then a deal starts or ends (a move big enough for loose thresholds too).
            let factor = if price_roll < 0.02 {
                if units > base_units { 1.0 - deal_step } else { 1.0 + deal_step }
            } else if price_roll < 0.17 {
                1.0 + price_step
            } else {
                1.0
            };
            if self.index != script::PRICE_DROP_PRODUCT && factor != 1.0 {
                let next = (units as f64 * factor).round() as i64;
                // Keep prices within a plausible band around the base.
                units = next.clamp(base_units * 6 / 10, base_units * 14 / 10);
            }
            if rating_roll < 0.012 {
                rating -= 1;
            } else if rating_roll > 0.985 {
                rating += 1;
            }
            rating = rating.clamp(10, 50);
            if review_roll < 0.5 {
                reviews += new_reviews;
            }
            // Ranks drift every day and jump now and then (a sales spike, a competitor's).
            let bsr_factor = if bsr_roll < 0.015 {
                1.0 - bsr_jump / 2.0
            } else if bsr_roll < 0.03 {
                1.0 + bsr_jump
            } else {
                1.0 + bsr_step
            };
            bsr = (bsr * bsr_factor).clamp(1.0, 3_000_000.0);
            if outage_left > 0 {
                outage_left -= 1;
            } else if !script::is_scripted(self.index) && outage_roll < 0.003 {
                outage_left = outage_len;
            }
        }
        if self.index == script::PRICE_DROP_PRODUCT && day >= script::PRICE_DROP_DAY {
            units = (units * (100 - script::PRICE_DROP_PERCENT) + 50) / 100;
        }
        let mut in_stock = outage_left == 0;
        if self.index == script::OUT_OF_STOCK_PRODUCT {
            let (from, to) = script::OUT_OF_STOCK_DAYS;
            in_stock = !(from..=to).contains(&day);
        }
        let amazons_choice = match self.index {
            script::LOSES_CHOICE_PRODUCT => day < script::LOSES_CHOICE_DAY,
            script::GAINS_CHOICE_PRODUCT => day >= script::GAINS_CHOICE_DAY,
            _ => self.initial_choice,
        };
        let page = if self.index == script::DISAPPEARS_PRODUCT && day >= script::DISAPPEARS_DAY {
            PageState::NotFound
        } else if script::CAPTCHAS.contains(&(self.index, day)) {
            PageState::Captcha
        } else {
            PageState::Product
        };
        let current = Decimal::new(units, scale);
        let bsr = bsr.round() as u32;
        DayState {
            day,
            page,
            price: in_stock.then_some(current),
            list_price: self.list_price.filter(|l| in_stock && *l > current),
            currency,
            rating_tenths: rating as u8,
            review_count: reviews,
            bsr,
            sub_bsr: (bsr / self.sub_divisor).max(1),
            in_stock,
            amazons_choice,
            is_prime: self.is_prime,
        }
    }

    /// Every review written up to and including `day`, newest first.
    pub fn reviews_on(&self, day: u32) -> Vec<ReviewTruth> {
        let mut all = self.all_reviews();
        all.retain(|r| r.posted_day <= i64::from(day));
        all.sort_by(|a, b| b.posted_day.cmp(&a.posted_day).then(a.review_id.cmp(&b.review_id)));
        all
    }

    fn all_reviews(&self) -> Vec<ReviewTruth> {
        const TITLES: &[(&str, u8)] = &[
            ("Does exactly what it says", 5),
            ("Great value for the money", 5),
            ("Solid, a few rough edges", 4),
            ("Good but the manual is useless", 4),
            ("Average at best", 3),
            ("Stopped working after a month", 2),
            ("Arrived broken", 1),
        ];
        const AUTHORS: &[&str] =
            &["Dana K.", "Marco", "J. Whitfield", "Amazon Customer", "Priya S.", "Tomasz", "Lee"];
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0x0e71_e3a5);
        let n = rng.random_range(18..=30);
        (0..n)
            .map(|k| {
                let (title, stars) = TITLES[rng.random_range(0..TITLES.len())];
                let posted_day = rng.random_range(-400i64..=40);
                let mut id = String::from("R");
                for _ in 0..13 {
                    id.push(ALPHANUM[rng.random_range(0..ALPHANUM.len())] as char);
                }
                let author = AUTHORS[rng.random_range(0..AUTHORS.len())].to_owned();
                let verified_purchase = rng.random_bool(0.8);
                let helpful_votes = if rng.random_bool(0.5) { 0 } else { rng.random_range(1..=60) };
                let date = if posted_day >= 0 {
                    self.start_date.checked_add_days(Days::new(posted_day.unsigned_abs()))
                } else {
                    self.start_date.checked_sub_days(Days::new(posted_day.unsigned_abs()))
                }
                .unwrap_or(self.start_date);
                ReviewTruth {
                    review_id: id,
                    stars,
                    title: title.to_owned(),
                    text: format!(
                        "Review {} of the {}: {} I have used it for a while now and this is my honest opinion.",
                        k + 1,
                        self.title,
                        title
                    ),
                    author,
                    posted_day,
                    date,
                    verified_purchase,
                    helpful_votes,
                }
            })
            .collect()
    }

    /// The URL path slug before `/dp/` (Amazon puts a title slug there).
    pub fn slug(&self) -> String {
        let s: String = self.title.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        let s = s.split('-').filter(|p| !p.is_empty()).take(6).collect::<Vec<_>>().join("-");
        if s.is_empty() { "product".to_owned() } else { s }
    }
}

/// The whole catalogue: products in index order, looked up by ASIN.
#[derive(Debug, Clone)]
pub struct Catalogue {
    products: Vec<CatalogueProduct>,
    by_asin: HashMap<Asin, usize>,
    start_date: NaiveDate,
}

impl Catalogue {
    /// Generates `count` products from `seed`. Day 0 is `start_date` (review dates count from
    /// it). About three quarters are on `com`, then `de`, `co.uk` and `co.jp`, in that order,
    /// so the scripted products (low indices) are all on `com`.
    pub fn generate(seed: u64, count: usize, start_date: NaiveDate) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut seen = BTreeSet::new();
        let mut products = Vec::with_capacity(count);
        // Small catalogues stay on `com` so every scripted product exists there.
        let com = if count <= 42 { count } else { (count * 3).div_ceil(4) };
        let rest = count - com;
        let de = rest.div_ceil(2);
        let uk = (rest - de).div_ceil(2);
        for index in 0..count {
            let marketplace = if index < com {
                Marketplace::Com
            } else if index < com + de {
                Marketplace::De
            } else if index < com + de + uk {
                Marketplace::CoUk
            } else {
                Marketplace::CoJp
            };
            let asin = loop {
                let mut s = String::from("B0");
                for _ in 0..8 {
                    s.push(ALPHANUM[rng.random_range(0..ALPHANUM.len())] as char);
                }
                if seen.insert(s.clone()) {
                    // Ten characters from A-Z0-9 always make a valid ASIN.
                    match s.parse::<Asin>() {
                        Ok(a) => break a,
                        Err(_) => continue,
                    }
                }
            };
            let cats = categories(marketplace);
            let category = cats[index % cats.len()].clone();
            let brand = BRANDS[rng.random_range(0..BRANDS.len())].to_owned();
            let noun = nouns(&category)[rng.random_range(0..3)];
            let adjective = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
            let title = format!(
                "{brand} {noun} {adjective}, Model {}{}",
                (b'A' + (index % 26) as u8) as char,
                100 + index
            );
            let jpy = marketplace.currency().minor_digits() == 0;
            let base_price = if jpy {
                Decimal::new(rng.random_range(98..=2980i64) * 10, 0)
            } else {
                Decimal::new(rng.random_range(8..=260i64) * 100 + 99, 2)
            };
            let list_price = if index == script::PRICE_DROP_PRODUCT || rng.random_bool(0.4) {
                let factor = rng.random_range(115..=140i64);
                let raw = base_price * Decimal::new(factor, 2);
                Some(if jpy { raw.round() } else { raw.round_dp(0) - Decimal::new(1, 2) })
            } else {
                None
            };
            let image_ids: Vec<String> = (0..3)
                .map(|_| {
                    (0..10).map(|_| ALPHANUM[rng.random_range(0..ALPHANUM.len())] as char).collect::<String>()
                })
                .collect();
            let images = image_ids
                .iter()
                .map(|id| format!("https://m.media-amazon.com/images/I/{id}L._AC_SL1500_.jpg"))
                .collect();
            let bullets = vec![
                format!("DESIGNED FOR DAILY USE: the {noun} by {brand} is built to last"),
                format!("WHAT YOU GET: one {noun}, a quick start guide and our 2-year warranty"),
                "EASY CARE: wipe clean with a damp cloth; no tools needed".to_owned(),
            ];
            let amazon_sells = rng.random_bool(0.6);
            let seller = if amazon_sells {
                format!("Amazon.{}", marketplace.code())
            } else {
                format!("{brand} Direct")
            };
            let ships_from =
                if amazon_sells || rng.random_bool(0.5) { "Amazon".to_owned() } else { seller.clone() };
            // Log-uniform base ranks: most products sit in the thousands, a few near the top.
            let base_bsr = 10f64.powf(rng.random_range(1.5..5.7)).round() as u32;
            let sub_divisor = rng.random_range(20..=300);
            let base_rating = rng.random_range(30..=48);
            let base_reviews = 10f64.powf(rng.random_range(0.7..4.4)).round() as u32;
            let is_prime = rng.random_bool(0.7);
            let initial_choice = match index {
                script::LOSES_CHOICE_PRODUCT => true,
                script::GAINS_CHOICE_PRODUCT => false,
                _ => rng.random_bool(0.25),
            };
            let product_seed = rng.random::<u64>();
            products.push(CatalogueProduct {
                index,
                asin,
                marketplace,
                title,
                brand,
                category,
                base_price,
                list_price,
                images,
                bullets,
                seller,
                ships_from,
                base_bsr,
                sub_divisor,
                base_rating,
                base_reviews,
                is_prime,
                initial_choice,
                seed: product_seed,
                start_date,
            });
        }
        let by_asin = products.iter().map(|p| (p.asin, p.index)).collect();
        Catalogue { products, by_asin, start_date }
    }

    /// Every product, in index order.
    pub fn products(&self) -> &[CatalogueProduct] {
        &self.products
    }

    /// The product with this ASIN.
    pub fn product(&self, asin: &Asin) -> Option<&CatalogueProduct> {
        self.by_asin.get(asin).map(|&i| &self.products[i])
    }

    /// The product at `index`.
    pub fn product_at(&self, index: usize) -> Option<&CatalogueProduct> {
        self.products.get(index)
    }

    /// The date of day 0.
    pub fn start_date(&self) -> NaiveDate {
        self.start_date
    }

    /// The date of `day`.
    pub fn date_of(&self, day: u32) -> NaiveDate {
        self.start_date.checked_add_days(Days::new(u64::from(day))).unwrap_or(self.start_date)
    }

    /// The products of one best-seller list on `day`: those of `marketplace` in the category
    /// with `slug` whose page is up that day, best rank first.
    pub fn bestsellers(
        &self,
        marketplace: Marketplace,
        slug: &str,
        day: u32,
    ) -> Vec<(&CatalogueProduct, DayState)> {
        let mut items: Vec<_> = self
            .products
            .iter()
            .filter(|p| p.marketplace == marketplace && p.category.slug == slug)
            .map(|p| (p, p.state_on(day)))
            .filter(|(_, s)| s.page != PageState::NotFound)
            .collect();
        items.sort_by_key(|(p, s)| (s.bsr, p.index));
        items
    }
}

#[cfg(test)]
mod tests;
