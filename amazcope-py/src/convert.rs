//! Small conversions between core values and what Python sees.

use amazcope_core::Money;
use amazcope_core::model::page::Field;
use rust_decimal::Decimal;

/// A read text field, `None` when absent or unreadable.
pub fn field_str(f: &Field<String>) -> Option<String> {
    f.value().cloned()
}

/// The amount of a price.
pub fn money_amount(m: Option<Money>) -> Option<Decimal> {
    m.map(|m| m.amount)
}

/// The unscaled integer of `d` at `scale` digits, for Arrow's decimal128 (rounded half away
/// from zero when `d` has more digits, which a `numeric(10,2)` column never yields).
pub fn decimal_to_i128(d: Decimal, scale: u32) -> i128 {
    let mut d = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    d.rescale(scale);
    d.mantissa()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_unscaled_integers() {
        assert_eq!(decimal_to_i128(Decimal::new(110618, 2), 2), 110618);
        assert_eq!(decimal_to_i128(Decimal::new(5, 0), 2), 500);
        assert_eq!(decimal_to_i128(Decimal::new(12345, 3), 2), 1235);
    }
}
