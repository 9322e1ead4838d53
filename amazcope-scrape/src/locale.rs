//! Numbers, money and dates as Amazon writes them in each storefront's locale.
//!
//! The traps peers fall into, and which the tests below pin: `$100` read as `$1` (a decimal
//! point taken for a thousands separator), `€1,106.18` read as `€1.11` (a comma taken for the
//! decimal mark), `1.234,56 €` vs `£1,234.56`, spaces (incl. NBSP / narrow NBSP) as group
//! separators, Indian `₹1,23,456.00` grouping, and `￥1,234` without minor units.

use amazcope_core::{Currency, Marketplace, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a number could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The text holds no digit.
    #[error("no number in {text:?}")]
    NoNumber {
        /// The text searched.
        text: String,
    },
    /// Separators that fit no locale (`1.2345`, `12,34,5`).
    #[error("ambiguous number {number:?}")]
    Ambiguous {
        /// The numeric run found.
        number: String,
    },
    /// The text holds no currency sign or code.
    #[error("no currency in {text:?}")]
    NoCurrency {
        /// The text searched.
        text: String,
    },
    /// The amount does not fit a price (negative, or over `numeric(10,2)`).
    #[error("amount {amount} out of range")]
    OutOfRange {
        /// The amount read.
        amount: String,
    },
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' | '’')
}

/// The first numeric run of `text` (digits with `.`/`,`/space group marks), as written.
fn numeric_run(text: &str) -> Option<&str> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let mut end = 0;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_ascii_digit() {
            end = at + 1;
            i += 1;
        } else if c == '.' || c == ',' {
            // A mark counts only when a digit follows.
            if chars.get(i + 1).is_some_and(|(_, n)| n.is_ascii_digit()) {
                i += 1;
            } else {
                break;
            }
        } else if is_group_space(c) {
            // A space groups digits only before exactly three digits: `1 234,56`, not `5 2`.
            let three = (1..=3).all(|k| chars.get(i + k).is_some_and(|(_, n)| n.is_ascii_digit()));
            let fourth = chars.get(i + 4).is_some_and(|(_, n)| n.is_ascii_digit());
            if three && !fourth {
                i += 1;
            } else {
                break;
            }
        } else {
            break;
        }
    }
    Some(&rest[..end])
}

fn groups_ok(int_part: &str, sep: char) -> bool {
    let groups: Vec<&str> = int_part.split(sep).collect();
    if groups.len() == 1 {
        return true;
    }
    let first = groups[0].len();
    let western = (1..=3).contains(&first) && groups[1..].iter().all(|g| g.len() == 3);
    // Indian lakh/crore grouping: 1,23,456 (last group 3, the others 2).
    let last = groups.len() - 1;
    let indian =
        (1..=2).contains(&first) && groups[1..last].iter().all(|g| g.len() == 2) && groups[last].len() == 3;
    western || indian
}

/// Reads the first number of `text` in whatever locale it is written, exactly.
///
/// `minor_digits` is how many decimals the currency uses (0 for JPY): a lone separator
/// followed by three digits is a thousands mark (`1.234` = 1234) unless the currency has
/// three decimals; followed by one or two digits it is the decimal mark.
pub fn parse_decimal(text: &str, minor_digits: u32) -> Result<Decimal, NumberError> {
    let run = numeric_run(text).ok_or_else(|| NumberError::NoNumber { text: text.to_owned() })?;
    let compact: String = run.chars().filter(|c| !is_group_space(*c)).collect();
    let ambiguous = || NumberError::Ambiguous { number: run.to_owned() };
    let last_dot = compact.rfind('.');
    let last_comma = compact.rfind(',');
    let (int_part, frac, group_sep) = match (last_dot, last_comma) {
        (None, None) => (compact.as_str(), "", None),
        (Some(d), Some(c)) => {
            let (dec, grp) = if d > c { (d, ',') } else { (c, '.') };
            let frac = &compact[dec + 1..];
            let int = &compact[..dec];
            if int.contains(if grp == ',' { '.' } else { ',' }) || frac.is_empty() || frac.len() > 3 {
                return Err(ambiguous());
            }
            (int, frac, Some(grp))
        }
        (Some(p), None) | (None, Some(p)) => {
            let sep = compact.as_bytes()[p] as char;
            let count = compact.matches(sep).count();
            let after = compact.len() - p - 1;
            // Several marks, or one before exactly three digits: thousands (`1.234.207`,
            // `1.234` €, `￥1,234`), unless the currency has three decimals.
            if count > 1 || (after == 3 && minor_digits != 3) {
                (compact.as_str(), "", Some(sep))
            } else if (1..=3).contains(&after) {
                (&compact[..p], &compact[p + 1..], None)
            } else {
                return Err(ambiguous());
            }
        }
    };
    if let Some(sep) = group_sep
        && !groups_ok(int_part, sep)
    {
        return Err(ambiguous());
    }
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    let s = if frac.is_empty() { digits } else { format!("{digits}.{frac}") };
    Decimal::from_str(&s).map_err(|_| ambiguous())
}

/// Reads an integer count (`1,234 ratings`, `1.234 Sternebewertungen`, `32,945個の評価`).
pub fn parse_count(text: &str) -> Option<u64> {
    let run = numeric_run(text)?;
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    // A decimal mark in a count means we read something else (a rating).
    let marks = run.chars().filter(|c| *c == '.' || *c == ',').count();
    if marks > 0 {
        let sep = run.chars().find(|c| *c == '.' || *c == ',')?;
        let compact: String = run.chars().filter(|c| !is_group_space(*c)).collect();
        if !groups_ok(&compact, sep) || compact.contains(if sep == '.' { ',' } else { '.' }) {
            return None;
        }
    }
    digits.parse().ok()
}

/// Sign or code to currency, longest first so `R$` and `CDN$` win over `$`.
const SIGNS: &[(&str, &str)] = &[
    ("CDN$", "CAD"),
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("US$", "USD"),
    ("MX$", "MXN"),
    ("S$", "SGD"),
    ("R$", "BRL"),
    ("AED", "AED"),
    ("SAR", "SAR"),
    ("EGP", "EGP"),
    ("EUR", "EUR"),
    ("GBP", "GBP"),
    ("USD", "USD"),
    ("JPY", "JPY"),
    ("INR", "INR"),
    ("BRL", "BRL"),
    ("CAD", "CAD"),
    ("MXN", "MXN"),
    ("AUD", "AUD"),
    ("SGD", "SGD"),
    ("SEK", "SEK"),
    ("PLN", "PLN"),
    ("TRY", "TRY"),
    ("CNY", "CNY"),
    ("RMB", "CNY"),
    ("Rs.", "INR"),
    ("zł", "PLN"),
    ("kr", "SEK"),
    ("TL", "TRY"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₹", "INR"),
    ("₺", "TRY"),
    ("د.إ", "AED"),
    ("ر.س", "SAR"),
];

/// The currency a price text is written in. `$` and `¥` take the storefront's meaning
/// (`$` is MXN on amazon.com.mx, `¥` is CNY on amazon.cn).
pub fn currency_of(text: &str, marketplace: Option<Marketplace>) -> Option<Currency> {
    for (sign, code) in SIGNS {
        if let Some(at) = text.find(sign) {
            // Letter codes must stand alone: `SAR` not inside `SARAH`.
            let alpha = sign.chars().all(|c| c.is_ascii_alphabetic());
            if alpha {
                let before = text[..at].chars().next_back();
                let after = text[at + sign.len()..].chars().next();
                if before.is_some_and(char::is_alphabetic) || after.is_some_and(char::is_alphabetic) {
                    continue;
                }
            }
            return code.parse().ok();
        }
    }
    let local = marketplace.map(Marketplace::currency);
    if text.contains('$') {
        let dollar = ["USD", "CAD", "AUD", "MXN", "SGD"];
        return Some(match local {
            Some(c) if dollar.contains(&c.as_str()) => c,
            _ => Currency::from_static("USD"),
        });
    }
    if text.contains('¥') || text.contains('￥') || text.contains('円') {
        return Some(match local {
            Some(c) if c.as_str() == "CNY" => c,
            _ => Currency::from_static("JPY"),
        });
    }
    None
}

/// Reads a price with its currency (`1.106,18 €`, `$24.99`, `AED 59.00`, `R$ 1.234,56`).
///
/// A text without any currency sign or code is refused rather than guessed.
pub fn parse_money(text: &str, marketplace: Option<Marketplace>) -> Result<Money, NumberError> {
    let currency =
        currency_of(text, marketplace).ok_or_else(|| NumberError::NoCurrency { text: text.to_owned() })?;
    money_in(text, currency)
}

/// Reads the amount of `text` in a currency already known.
pub fn money_in(text: &str, currency: Currency) -> Result<Money, NumberError> {
    let amount = parse_decimal(text, currency.minor_digits())?;
    Money::new(amount, currency).map_err(|_| NumberError::OutOfRange { amount: amount.to_string() })
}

/// Reads a star rating: `4.5 out of 5 stars`, `4,5 von 5 Sternen`, `5つ星のうち4.6`.
pub fn parse_rating(text: &str) -> Option<f64> {
    // Japanese puts the scale first: "5つ星のうち4.6" ("4.6 of 5 stars").
    let text = text.find("うち").map_or(text, |i| &text[i + "うち".len()..]);
    let run = numeric_run(text)?;
    let v: f64 = run.replace(',', ".").parse().ok()?;
    (0.0..=5.0).contains(&v).then_some(v)
}

const MONTHS: &[(&str, u32)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    // German
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    // French
    ("janvier", 1),
    ("février", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    // Italian
    ("gennaio", 1),
    ("febbraio", 2),
    ("marzo", 3),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("agosto", 8),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    // Spanish
    ("enero", 1),
    ("febrero", 2),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    // Portuguese
    ("janeiro", 1),
    ("fevereiro", 2),
    ("março", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    ("juni", 6),
    // Swedish / Polish genitives seen on those storefronts
    ("augusti", 8),
    ("stycznia", 1),
    ("lutego", 2),
    ("marca", 3),
    ("kwietnia", 4),
    ("maja", 5),
    ("czerwca", 6),
    ("lipca", 7),
    ("sierpnia", 8),
    ("września", 9),
    ("października", 10),
    ("listopada", 11),
    ("grudnia", 12),
    // Swedish (the rest are spelled as in Dutch, French or English)
    ("maj", 5),
    // Turkish
    ("ocak", 1),
    ("şubat", 2),
    ("mart", 3),
    ("nisan", 4),
    ("mayıs", 5),
    ("haziran", 6),
    ("temmuz", 7),
    ("ağustos", 8),
    ("eylül", 9),
    ("ekim", 10),
    ("kasım", 11),
    ("aralık", 12),
    // Arabic (amazon.sa, amazon.ae, amazon.eg)
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("أبريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يوليو", 7),
    ("أغسطس", 8),
    ("سبتمبر", 9),
    ("أكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
];

/// Reads a review date in any storefront language: "Reviewed in the United States on March
/// 5, 2024", "Rezension aus Deutschland vom 5. März 2024", "Recensito in Italia il 5 marzo
/// 2024", "2024年3月5日に日本でレビュー済み".
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    // Japanese / Chinese: 2024年3月5日
    if let Some(y) = text.find('年') {
        let year: i32 = text[..y]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
            .parse()
            .ok()?;
        let rest = &text[y + '年'.len_utf8()..];
        let m = rest.find('月')?;
        let month: u32 = rest[..m].trim().parse().ok()?;
        let rest = &rest[m + '月'.len_utf8()..];
        let d = rest.find('日')?;
        let day: u32 = rest[..d].trim().parse().ok()?;
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !(c.is_alphanumeric())).filter(|w| !w.is_empty()).collect();
    let mut month = None;
    let mut year = None;
    let mut day = None;
    for w in &words {
        if month.is_none()
            && let Some((_, m)) = MONTHS.iter().find(|(name, _)| name == w)
        {
            month = Some(*m);
            continue;
        }
        if w.chars().all(|c| c.is_ascii_digit()) {
            match w.len() {
                4 => year = year.or(w.parse::<i32>().ok()),
                1 | 2 => day = day.or(w.parse::<u32>().ok()),
                _ => {}
            }
        }
    }
    NaiveDate::from_ymd_opt(year?, month?, day?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn money(text: &str, m: Option<Marketplace>) -> (String, String) {
        let v = parse_money(text, m).unwrap_or_else(|e| panic!("{text}: {e}"));
        (v.amount.to_string(), v.currency.to_string())
    }

    #[test]
    fn prices_in_every_locale() {
        let cases = [
            ("1.234,56 €", None, "1234.56", "EUR"),
            ("1 234,56 €", None, "1234.56", "EUR"),
            ("1\u{a0}234,56\u{a0}€", None, "1234.56", "EUR"),
            ("1\u{202f}234,56\u{202f}€", None, "1234.56", "EUR"),
            ("£1,234.56", None, "1234.56", "GBP"),
            ("￥1,234", None, "1234", "JPY"),
            ("¥32,970", Some(Marketplace::CoJp), "32970", "JPY"),
            ("₹1,23,456.00", None, "123456", "INR"),
            ("R$ 1.234,56", None, "1234.56", "BRL"),
            ("R$431,90", None, "431.9", "BRL"),
            ("AED 59.00", None, "59", "AED"),
            ("SAR 1,279.00", None, "1279", "SAR"),
            ("CDN$ 16.65", None, "16.65", "CAD"),
            ("EUR 6,37", None, "6.37", "EUR"),
            ("66,99€", None, "66.99", "EUR"),
            ("$24.99", None, "24.99", "USD"),
            ("$1,106.18", None, "1106.18", "USD"),
            ("€1,106.18", None, "1106.18", "EUR"),
            ("1.106,18 €", None, "1106.18", "EUR"),
            ("$100", None, "100", "USD"),
            ("$100.00", None, "100", "USD"),
            ("$1.234", None, "1234", "USD"),
            ("$15", Some(Marketplace::ComMx), "15", "MXN"),
            ("¥15", Some(Marketplace::Cn), "15", "CNY"),
        ];
        for (text, m, amount, cur) in cases {
            assert_eq!(money(text, m), (amount.to_owned(), cur.to_owned()), "{text}");
        }
    }

    #[test]
    fn hundred_dollars_is_never_one() {
        assert_eq!(parse_decimal("$100", 2).unwrap(), dec("100"));
        assert_eq!(parse_decimal("100.", 2).unwrap(), dec("100"));
        assert_eq!(parse_decimal("$100.00", 2).unwrap(), dec("100"));
    }

    #[test]
    fn euro_with_english_marks_is_not_one_eleven() {
        assert_eq!(parse_decimal("€1,106.18", 2).unwrap(), dec("1106.18"));
        assert_ne!(parse_decimal("€1,106.18", 2).unwrap(), dec("1.11"));
    }

    #[test]
    fn text_without_a_price_is_an_error_not_zero() {
        assert!(matches!(parse_money("Currently unavailable.", None), Err(NumberError::NoCurrency { .. })));
        assert!(matches!(parse_money("€", None), Err(NumberError::NoNumber { .. })));
        assert!(parse_money("Type the characters you see in this image", None).is_err());
        assert!(matches!(parse_money("12.50", None), Err(NumberError::NoCurrency { .. })));
    }

    #[test]
    fn odd_separators_are_refused() {
        assert!(matches!(parse_decimal("1.2345", 2), Err(NumberError::Ambiguous { .. })));
        assert!(matches!(parse_decimal("12,34,5", 2), Err(NumberError::Ambiguous { .. })));
        assert!(matches!(parse_decimal("1.234.56", 2), Err(NumberError::Ambiguous { .. })));
    }

    #[test]
    fn counts_and_ratings() {
        assert_eq!(parse_count("1,234 ratings"), Some(1234));
        assert_eq!(parse_count("1.234 Sternebewertungen"), Some(1234));
        assert_eq!(parse_count("32,945個の評価"), Some(32945));
        assert_eq!(parse_count("(1 234)"), Some(1234));
        assert_eq!(parse_count("no"), None);
        assert_eq!(parse_rating("4.5 out of 5 stars"), Some(4.5));
        assert_eq!(parse_rating("4,5 von 5 Sternen"), Some(4.5));
        assert_eq!(parse_rating("5つ星のうち4.6"), Some(4.6));
        assert_eq!(parse_rating("7 out of 10"), None);
    }

    #[test]
    fn dates_in_many_languages() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        for text in [
            "Reviewed in the United States on March 5, 2024",
            "Reviewed in the United Kingdom on 5 March 2024",
            "Rezension aus Deutschland vom 5. März 2024",
            "Recensito in Italia il 5 marzo 2024",
            "Commenté en France le 5 mars 2024",
            "Revisado en España el 5 de marzo de 2024",
            "Avaliado no Brasil em 5 de março de 2024",
            "Beoordeeld in Nederland op 5 maart 2024",
            "2024年3月5日に日本でレビュー済み",
            "Recenzja z Polski 5 marca 2024",
            "Recenserad i Sverige den 5 mars 2024",
            "5 Mart 2024 tarihinde Türkiye'de değerlendirildi",
            "تمت المراجعة في المملكة العربية السعودية في 5 مارس 2024",
        ] {
            assert_eq!(parse_date(text), Some(d), "{text}");
        }
        assert_eq!(parse_date("yesterday"), None);
        let may = NaiveDate::from_ymd_opt(2024, 5, 12).unwrap();
        for text in
            ["Recenserad i Sverige den 12 maj 2024", "12 Mayıs 2024 tarihinde Türkiye'de değerlendirildi"]
        {
            assert_eq!(parse_date(text), Some(may), "{text}");
        }
    }
}
