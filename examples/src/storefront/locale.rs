//! How each storefront writes numbers, money, dates and its fixed labels. The formats are
//! those of the real pages (`1.234,56 €` on amazon.de, `￥1,234` on amazon.co.jp, ...).

use amazcope_core::Marketplace;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The fixed texts and formats of one storefront.
#[derive(Debug, Clone, Copy)]
pub struct Locale {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// `<html lang>`.
    pub lang: &'static str,
    /// `Amazon.com`, `Amazon.de`: the title prefix and site name.
    pub site: &'static str,
    group_sep: char,
    decimal_sep: char,
    symbol: &'static str,
    symbol_after: bool,
    /// Label before the struck-through reference price.
    pub list_price_label: &'static str,
    /// Label of the best-sellers rank.
    pub bsr_label: &'static str,
    /// Availability text when in stock.
    pub in_stock: &'static str,
    /// Availability text when out of stock.
    pub unavailable: &'static str,
    /// The add-to-cart button's value.
    pub add_to_cart: &'static str,
    /// "Ships from".
    pub ships_from: &'static str,
    /// "Sold by".
    pub sold_by: &'static str,
    /// "About this item".
    pub about: &'static str,
    /// "Verified Purchase".
    pub verified: &'static str,
    /// Best-sellers banner.
    pub best_sellers: &'static str,
}

impl Locale {
    /// The locale of `marketplace` (US English for those the storefront does not localize).
    pub fn of(marketplace: Marketplace) -> Self {
        let us = Locale {
            marketplace,
            lang: "en-us",
            site: "Amazon.com",
            group_sep: ',',
            decimal_sep: '.',
            symbol: "$",
            symbol_after: false,
            list_price_label: "List Price:",
            bsr_label: "Best Sellers Rank",
            in_stock: "In Stock",
            unavailable: "Currently unavailable.",
            add_to_cart: "Add to Cart",
            ships_from: "Ships from",
            sold_by: "Sold by",
            about: "About this item",
            verified: "Verified Purchase",
            best_sellers: "Amazon Best Sellers",
        };
        match marketplace {
            Marketplace::CoUk => Locale {
                lang: "en-gb",
                site: "Amazon.co.uk",
                symbol: "£",
                list_price_label: "RRP:",
                in_stock: "In stock",
                ..us
            },
            Marketplace::De => Locale {
                lang: "de-de",
                site: "Amazon.de",
                group_sep: '.',
                decimal_sep: ',',
                symbol: "€",
                symbol_after: true,
                list_price_label: "UVP:",
                bsr_label: "Amazon Bestseller-Rang",
                in_stock: "Auf Lager",
                unavailable: "Derzeit nicht verfügbar.",
                add_to_cart: "In den Einkaufswagen",
                ships_from: "Versand",
                sold_by: "Verkäufer",
                about: "Über diesen Artikel",
                verified: "Verifizierter Kauf",
                best_sellers: "Amazon Bestseller",
                ..us
            },
            Marketplace::CoJp => Locale {
                lang: "ja-jp",
                site: "Amazon.co.jp",
                symbol: "￥",
                list_price_label: "参考価格:",
                bsr_label: "売れ筋ランキング",
                in_stock: "在庫あり。",
                unavailable: "現在在庫切れです。",
                add_to_cart: "カートに入れる",
                ships_from: "出荷元",
                sold_by: "販売元",
                about: "この商品について",
                verified: "Amazonで購入",
                best_sellers: "Amazon 売れ筋ランキング",
                ..us
            },
            _ => us,
        }
    }

    /// `1,234` / `1.234`.
    pub fn integer(&self, n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(self.group_sep);
            }
            out.push(c);
        }
        out
    }

    /// The whole part and the fraction digits of an amount as the price widget splits them
    /// (`("1,234", Some("56"))`; no fraction for yen).
    pub fn price_parts(&self, amount: Decimal) -> (String, Option<String>) {
        let digits = self.marketplace.currency().minor_digits();
        let amount = amount.round_dp(digits);
        let whole = self.integer(amount.trunc().to_u64().unwrap_or(0));
        if digits == 0 {
            return (whole, None);
        }
        let frac = (amount.fract() * Decimal::from(10u64.pow(digits))).round().to_u64().unwrap_or(0);
        (whole, Some(format!("{frac:0width$}", width = digits as usize)))
    }

    /// The currency symbol.
    pub fn symbol(&self) -> &'static str {
        self.symbol
    }

    /// Whether the symbol follows the amount (`12,99 €`).
    pub fn symbol_after(&self) -> bool {
        self.symbol_after
    }

    /// The decimal separator.
    pub fn decimal_sep(&self) -> char {
        self.decimal_sep
    }

    /// An amount as the page writes it: `$1,234.56`, `1.234,56 €`, `£7.99`, `￥1,234`.
    pub fn money(&self, amount: Decimal) -> String {
        let (whole, frac) = self.price_parts(amount);
        let number = match frac {
            Some(f) => format!("{whole}{}{f}", self.decimal_sep),
            None => whole,
        };
        if self.symbol_after {
            format!("{number} {}", self.symbol)
        } else {
            format!("{}{number}", self.symbol)
        }
    }

    /// A rating in tenths as the page writes it in the star widget's alt text.
    pub fn rating_alt(&self, tenths: u8) -> String {
        let r = self.rating_number(tenths);
        match self.marketplace {
            Marketplace::De => format!("{r} von 5 Sternen"),
            Marketplace::CoJp => format!("5つ星のうち{r}"),
            _ => format!("{r} out of 5 stars"),
        }
    }

    /// `4.5` / `4,5`.
    pub fn rating_number(&self, tenths: u8) -> String {
        format!("{}{}{}", tenths / 10, self.decimal_sep, tenths % 10)
    }

    /// `1,234 ratings`.
    pub fn ratings_count(&self, n: u32) -> String {
        let c = self.integer(u64::from(n));
        match self.marketplace {
            Marketplace::De => format!("{c} Sternebewertungen"),
            Marketplace::CoJp => format!("{c}個の評価"),
            _ if n == 1 => "1 rating".to_owned(),
            _ => format!("{c} ratings"),
        }
    }

    /// The byline: `Visit the X Store`.
    pub fn byline(&self, brand: &str) -> String {
        match self.marketplace {
            Marketplace::De => format!("Besuche den {brand}-Store"),
            Marketplace::CoJp => format!("{brand}のストアを表示"),
            _ => format!("Visit the {brand} Store"),
        }
    }

    /// `#1,234 in X` / `Nr. 1.234 in X` / `1,234位X`.
    pub fn rank(&self, rank: u32, category: &str) -> String {
        let r = self.integer(u64::from(rank));
        match self.marketplace {
            Marketplace::De => format!("Nr. {r} in {category}"),
            Marketplace::CoJp => format!("{r}位{category}"),
            _ => format!("#{r} in {category}"),
        }
    }

    /// The rank prefix before a linked category (`#5 in `), the linked form of [`Self::rank`].
    pub fn rank_prefix(&self, rank: u32) -> String {
        let r = self.integer(u64::from(rank));
        match self.marketplace {
            Marketplace::De => format!("Nr. {r} in "),
            Marketplace::CoJp => format!("{r}位"),
            _ => format!("#{r} in "),
        }
    }

    /// `See Top 100 in X`.
    pub fn see_top(&self, category: &str) -> String {
        match self.marketplace {
            Marketplace::De => format!("Siehe Top 100 in {category}"),
            Marketplace::CoJp => format!("{category}の売れ筋ランキングを見る"),
            _ => format!("See Top 100 in {category}"),
        }
    }

    /// The review date line.
    pub fn review_date(&self, date: NaiveDate) -> String {
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const DE: [&str; 12] = [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ];
        let (y, m, d) = (date.year(), date.month0() as usize, date.day());
        match self.marketplace {
            Marketplace::De => format!("Rezension aus Deutschland vom {d}. {} {y}", DE[m]),
            Marketplace::CoJp => format!("{y}年{}月{d}日に日本でレビュー済み", m + 1),
            Marketplace::CoUk => format!("Reviewed in the United Kingdom on {d} {} {y}", EN[m]),
            _ => format!("Reviewed in the United States on {} {d}, {y}", EN[m]),
        }
    }

    /// `12 people found this helpful`.
    pub fn helpful(&self, votes: u32) -> String {
        match (self.marketplace, votes) {
            (Marketplace::De, 1) => "Eine Person fand diese Informationen hilfreich".to_owned(),
            (Marketplace::De, n) => format!("{n} Personen fanden diese Informationen hilfreich"),
            (Marketplace::CoJp, n) => format!("{n}人のお客様がこれが役に立ったと考えています"),
            (_, 1) => "One person found this helpful".to_owned(),
            (_, n) => format!("{n} people found this helpful"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_follows_each_storefront() {
        let d = Decimal::new(123456, 2);
        assert_eq!(Locale::of(Marketplace::Com).money(d), "$1,234.56");
        assert_eq!(Locale::of(Marketplace::De).money(d), "1.234,56 €");
        assert_eq!(Locale::of(Marketplace::CoUk).money(Decimal::new(799, 2)), "£7.99");
        assert_eq!(Locale::of(Marketplace::CoJp).money(Decimal::new(32970, 0)), "￥32,970");
        assert_eq!(Locale::of(Marketplace::Com).money(Decimal::new(500, 2)), "$5.00");
    }

    #[test]
    fn ranks_and_ratings_are_localized() {
        assert_eq!(Locale::of(Marketplace::De).rank(1234, "Baumarkt"), "Nr. 1.234 in Baumarkt");
        assert_eq!(Locale::of(Marketplace::Com).rank(1234567, "Toys & Games"), "#1,234,567 in Toys & Games");
        assert_eq!(Locale::of(Marketplace::CoJp).rating_alt(45), "5つ星のうち4.5");
        assert_eq!(Locale::of(Marketplace::De).rating_alt(40), "4,0 von 5 Sternen");
    }
}
