//! Plain-English text for alert titles and messages.

use crate::Currency;
use rust_decimal::{Decimal, RoundingStrategy};

/// `$34.99`, `€1106.18`, `¥1200`: the symbol where one is unambiguous, else the code and a
/// space (`CHF 12.50`), with the currency's usual number of decimals.
pub fn format_money(amount: Decimal, currency: Currency) -> String {
    let symbol = match currency.as_str() {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" | "CNY" => "¥",
        "INR" => "₹",
        "CAD" => "C$",
        "AUD" => "A$",
        "MXN" => "MX$",
        "BRL" => "R$",
        _ => "",
    };
    let amount = fixed(amount, currency.minor_digits());
    if symbol.is_empty() { format!("{currency} {amount}") } else { format!("{symbol}{amount}") }
}

/// The amount with exactly `digits` decimals, rounded half away from zero (as shops do).
pub fn fixed(amount: Decimal, digits: u32) -> String {
    let mut v = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(digits);
    v.to_string()
}

/// `1,234,567` (rank numbers read better grouped).
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `16.7%` from a signed percent, without its sign (the words say the direction).
pub fn abs_percent(p: f64) -> String {
    format!("{:.1}%", p.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_shown_with_symbol_and_two_decimals() {
        let usd = Currency::from_static("USD");
        assert_eq!(format_money(Decimal::new(2915, 2), usd), "$29.15");
        assert_eq!(format_money(Decimal::new(30, 0), usd), "$30.00");
        assert_eq!(format_money(Decimal::new(12345, 3), usd), "$12.35");
        assert_eq!(format_money(Decimal::new(1200, 0), Currency::from_static("JPY")), "¥1200");
        assert_eq!(format_money(Decimal::new(125, 1), Currency::from_static("CHF")), "CHF 12.50");
    }

    #[test]
    fn ranks_are_grouped() {
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(600), "600");
        assert_eq!(group_thousands(1000), "1,000");
    }
}
