//! PostgreSQL's binary COPY format ("Binary Format" on the COPY page), the parts the
//! readers that decode it themselves share (the daily prices here, the Python wheel's
//! history): the signature and the `numeric` wire value.

/// The 11 bytes a binary COPY stream starts with.
pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// The sign word of a negative `numeric`.
pub const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_POS: u16 = 0x0000;

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

/// A binary `numeric` as the unscaled integer at `scale` decimal places. Digits beyond
/// `scale` (which a `numeric(10,2)` column never holds) are an error rather than rounded.
pub fn numeric_unscaled(v: &[u8], scale: u32) -> Result<i128, String> {
    if v.len() < 8 {
        return Err("numeric shorter than its header".into());
    }
    let ndigits = be_i16(v, 0);
    let weight = i32::from(be_i16(v, 2));
    let sign = u16::from_be_bytes([v[4], v[5]]);
    if ndigits < 0 || v.len() != 8 + 2 * ndigits as usize {
        return Err("numeric length does not match its digit count".into());
    }
    if sign != NUMERIC_POS && sign != NUMERIC_NEG {
        return Err("numeric is NaN or infinite".into());
    }
    // value = Σ digit_i · 10000^(weight − i); unscaled = value · 10^scale.
    let mut out: i128 = 0;
    for i in 0..ndigits as usize {
        let d = i128::from(be_i16(v, 8 + 2 * i));
        let exp10 = 4 * (weight - i as i32) + scale as i32;
        let term = if exp10 >= 0 {
            10i128.checked_pow(exp10 as u32).and_then(|p| d.checked_mul(p))
        } else {
            let p = 10i128.pow((-exp10) as u32);
            if d % p != 0 {
                return Err(format!("numeric has more than {scale} decimal places"));
            }
            Some(d / p)
        };
        out = term.and_then(|t| out.checked_add(t)).ok_or_else(|| "numeric out of range".to_string())?;
    }
    Ok(if sign == NUMERIC_NEG { -out } else { out })
}

/// A `numeric`'s wire form from its parts, as the server's `numeric_send` writes it: the
/// digit count, the weight of the first base-10000 digit, the sign word, the display scale,
/// then the digits. For tests and tools that build COPY streams (the inverse of
/// [`numeric_unscaled`]).
pub fn numeric_wire(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
    let head = [ndigits.to_be_bytes(), weight.to_be_bytes(), sign.to_be_bytes(), dscale.to_be_bytes()];
    head.iter().flatten().copied().chain(digits.iter().flat_map(|d| d.to_be_bytes())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::numeric_wire as numeric;

    #[test]
    fn numerics_become_unscaled_cents() {
        // 1106.18 = 1106 · 10000^0 + 1800 · 10000^-1
        assert_eq!(numeric_unscaled(&numeric(2, 0, 0, 2, &[1106, 1800]), 2).unwrap(), 110618);
        // 0.05
        assert_eq!(numeric_unscaled(&numeric(1, -1, 0, 2, &[500]), 2).unwrap(), 5);
        // 12345678.90 = 1234 · 10000^1 + 5678 + 9000 · 10000^-1
        assert_eq!(numeric_unscaled(&numeric(3, 1, 0, 2, &[1234, 5678, 9000]), 2).unwrap(), 1_234_567_890);
        // -20000 = 2 · 10000^1 (trailing zero digits are dropped by the server)
        assert_eq!(numeric_unscaled(&numeric(1, 1, NUMERIC_NEG, 0, &[2]), 2).unwrap(), -2_000_000);
        assert_eq!(numeric_unscaled(&numeric(0, 0, 0, 2, &[]), 2).unwrap(), 0);
    }

    #[test]
    fn bad_numerics_are_errors() {
        assert!(numeric_unscaled(&numeric(1, -1, 0, 3, &[5]), 2).is_err(), "0.0005 has 4 places");
        assert!(numeric_unscaled(&numeric(0, 0, 0xC000, 0, &[]), 2).is_err(), "NaN");
        assert!(numeric_unscaled(&[0, 1], 2).is_err());
        assert!(numeric_unscaled(&numeric(2, 0, 0, 2, &[1]), 2).is_err(), "digit count");
    }
}
