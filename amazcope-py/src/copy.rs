//! `history()`'s decoding: the binary COPY stream of a history slice (read by
//! `amazcope_pg`'s `PgStore::copy_history_slice`) decoded straight into Arrow builders.
//!
//! A row-by-row query decodes every row into a sqlx `PgRow` (one allocation per row plus
//! per-column type checks) before we see it; for a million snapshots that was most of the
//! time. The binary COPY stream is the server's own wire encoding of each value, so we read
//! the fixed-width big-endian fields in place and append them to the column builders. The
//! format is PostgreSQL's "Binary Format" section of the COPY page: an 11-byte signature,
//! flags, a header extension, then per tuple an i16 field count and per field an i32 length
//! (-1 for NULL) and the bytes; a field count of -1 ends the data.

use crate::arrow::{Columns, MONEY_PRECISION, MONEY_SCALE};
use crate::errors::{Error, Result};
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Decimal128Builder, Float64Builder, Int32Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use std::sync::Arc;

use amazcope_pg::copy_binary::SIGNATURE;
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Fields per row: the columns of the store's history COPY
/// ([`amazcope_pg::history::HISTORY_COLUMNS`], whose order `tuple` follows).
pub const HISTORY_COLUMNS: usize = amazcope_pg::history::HISTORY_COLUMNS.len();

fn bad(what: impl std::fmt::Display) -> Error {
    Error::HistoryStream { what: what.to_string() }
}

/// The builders of the history table and the decoder state between stream chunks.
pub struct HistoryDecoder {
    header_done: bool,
    finished: bool,
    rest: Vec<u8>,
    at: TimestampMicrosecondBuilder,
    price: Decimal128Builder,
    original: Decimal128Builder,
    currency: StringBuilder,
    bsr: Int32Builder,
    bsr_small: Int32Builder,
    rating: Float64Builder,
    reviews: Int32Builder,
    in_stock: BooleanBuilder,
    prime: BooleanBuilder,
    /// The six quality flags, in the order of the store's columns, then the page's ASIN.
    texts: [StringBuilder; 7],
}

impl std::fmt::Debug for HistoryDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryDecoder").field("rows", &self.rows()).finish_non_exhaustive()
    }
}

impl Default for HistoryDecoder {
    fn default() -> Self {
        Self {
            header_done: false,
            finished: false,
            rest: Vec::new(),
            at: TimestampMicrosecondBuilder::new(),
            price: Decimal128Builder::new(),
            original: Decimal128Builder::new(),
            currency: StringBuilder::new(),
            bsr: Int32Builder::new(),
            bsr_small: Int32Builder::new(),
            rating: Float64Builder::new(),
            reviews: Int32Builder::new(),
            in_stock: BooleanBuilder::new(),
            prime: BooleanBuilder::new(),
            texts: std::array::from_fn(|_| StringBuilder::new()),
        }
    }
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn exact<const N: usize>(v: &[u8], column: &str) -> Result<[u8; N]> {
    v.try_into().map_err(|_| bad(format_args!("{column}: {} bytes, expected {N}", v.len())))
}

/// [`amazcope_pg::copy_binary::numeric_unscaled`], its error as a history stream error.
pub fn numeric_unscaled(v: &[u8], scale: u32) -> Result<i128> {
    amazcope_pg::copy_binary::numeric_unscaled(v, scale).map_err(bad)
}

impl HistoryDecoder {
    /// Rows decoded so far.
    pub fn rows(&self) -> usize {
        self.at.len()
    }

    /// Decodes one chunk of the stream (chunks may split a tuple anywhere).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if self.rest.is_empty() {
            let used = self.decode(chunk)?;
            self.rest.extend_from_slice(&chunk[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.rest);
            buf.extend_from_slice(chunk);
            let used = self.decode(&buf)?;
            buf.drain(..used);
            self.rest = buf;
        }
        Ok(())
    }

    /// Decodes every complete tuple of `b`; returns the bytes used.
    fn decode(&mut self, b: &[u8]) -> Result<usize> {
        let mut pos = 0;
        if !self.header_done {
            if b.len() < 19 {
                return Ok(0);
            }
            if &b[..11] != SIGNATURE {
                return Err(bad("not a binary COPY stream"));
            }
            let ext = be_i32(b, 15);
            let ext = usize::try_from(ext).map_err(|_| bad("negative header extension"))?;
            if b.len() < 19 + ext {
                return Ok(0);
            }
            pos = 19 + ext;
            self.header_done = true;
        }
        let mut fields: [Option<(usize, usize)>; HISTORY_COLUMNS] = [None; HISTORY_COLUMNS];
        while !self.finished {
            if b.len() < pos + 2 {
                break;
            }
            let n = be_i16(b, pos);
            if n == -1 {
                self.finished = true;
                pos += 2;
                break;
            }
            if n as usize != HISTORY_COLUMNS {
                return Err(bad(format_args!("{n} fields in a tuple, expected {HISTORY_COLUMNS}")));
            }
            // Find every field first, so a tuple cut by the chunk end is left whole for the
            // next chunk.
            let mut p = pos + 2;
            let mut complete = true;
            for f in fields.iter_mut() {
                if b.len() < p + 4 {
                    complete = false;
                    break;
                }
                let len = be_i32(b, p);
                p += 4;
                if len < 0 {
                    *f = None;
                    continue;
                }
                let len = len as usize;
                if b.len() < p + len {
                    complete = false;
                    break;
                }
                *f = Some((p, len));
                p += len;
            }
            if !complete {
                break;
            }
            self.tuple(b, &fields)?;
            pos = p;
        }
        Ok(pos)
    }

    fn tuple(&mut self, b: &[u8], f: &[Option<(usize, usize)>; HISTORY_COLUMNS]) -> Result<()> {
        let v = |i: usize| f[i].map(|(s, l)| &b[s..s + l]);
        let at = v(0).ok_or_else(|| bad("scraped_at is NULL"))?;
        self.at.append_value(i64::from_be_bytes(exact(at, "scraped_at")?) + PG_EPOCH_MICROS);
        let scale = MONEY_SCALE as u32;
        self.price.append_option(v(1).map(|x| numeric_unscaled(x, scale)).transpose()?);
        self.original.append_option(v(2).map(|x| numeric_unscaled(x, scale)).transpose()?);
        match v(3) {
            Some(x) => {
                self.currency.append_value(std::str::from_utf8(x).map_err(|_| bad("currency is not UTF-8"))?)
            }
            None => self.currency.append_null(),
        }
        let int = |x: Option<&[u8]>, c: &str| x.map(|x| exact(x, c).map(i32::from_be_bytes)).transpose();
        self.bsr.append_option(int(v(4), "bsr")?);
        self.bsr_small.append_option(int(v(5), "bsr_small_category")?);
        self.rating.append_option(v(6).map(|x| exact(x, "rating").map(f64::from_be_bytes)).transpose()?);
        self.reviews.append_option(int(v(7), "review_count")?);
        let boolean = |x: Option<&[u8]>, c: &str| x.map(|x| exact::<1>(x, c).map(|b| b[0] != 0)).transpose();
        self.in_stock.append_option(boolean(v(8), "in_stock")?);
        self.prime.append_option(boolean(v(9), "is_prime")?);
        for (i, builder) in self.texts.iter_mut().enumerate() {
            match v(10 + i) {
                Some(x) => builder
                    .append_value(std::str::from_utf8(x).map_err(|_| bad("a text column is not UTF-8"))?),
                None => builder.append_null(),
            }
        }
        Ok(())
    }

    /// The table, once the stream ended with its trailer.
    pub fn finish(mut self) -> Result<Columns> {
        if !self.finished || !self.rest.is_empty() {
            return Err(bad("the stream ended in the middle of the data"));
        }
        let money = |b: &mut Decimal128Builder| {
            b.finish().with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE).map_err(bad)
        };
        let mut c = Columns::default();
        c.push("scraped_at", Arc::new(self.at.finish().with_timezone("UTC")));
        c.push("price", Arc::new(money(&mut self.price)?));
        c.push("original_price", Arc::new(money(&mut self.original)?));
        c.push("currency", Arc::new(self.currency.finish()));
        c.push("bsr", Arc::new(self.bsr.finish()));
        c.push("bsr_small_category", Arc::new(self.bsr_small.finish()));
        c.push("rating", Arc::new(self.rating.finish()));
        c.push("review_count", Arc::new(self.reviews.finish()));
        c.push("in_stock", Arc::new(self.in_stock.finish()));
        c.push("is_prime", Arc::new(self.prime.finish()));
        for (name, builder) in amazcope_pg::history::HISTORY_COLUMNS[10..].iter().zip(self.texts.iter_mut()) {
            c.push(name, Arc::new(builder.finish()));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    use amazcope_pg::copy_binary::numeric_wire as numeric;

    fn stream(rows: &[[Option<Vec<u8>>; HISTORY_COLUMNS]]) -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&0i32.to_be_bytes());
        s.extend_from_slice(&0i32.to_be_bytes());
        for r in rows {
            s.extend_from_slice(&(HISTORY_COLUMNS as i16).to_be_bytes());
            for f in r {
                match f {
                    Some(b) => {
                        s.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        s.extend_from_slice(b);
                    }
                    None => s.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    fn row(micros: i64, cents: Option<i16>) -> [Option<Vec<u8>>; HISTORY_COLUMNS] {
        [
            Some((micros - PG_EPOCH_MICROS).to_be_bytes().to_vec()),
            cents.map(|c| numeric(2, 0, 0, 2, &[c / 100, (c % 100) * 100])),
            None,
            Some(b"USD".to_vec()),
            Some(1500i32.to_be_bytes().to_vec()),
            None,
            Some(4.5f64.to_be_bytes().to_vec()),
            Some(12i32.to_be_bytes().to_vec()),
            Some(vec![1]),
            Some(vec![0]),
            Some(b"ok".to_vec()),
            Some(b"absent".to_vec()),
            Some(b"ok".to_vec()),
            Some(b"ok".to_vec()),
            Some(b"ok".to_vec()),
            Some(b"unparsed".to_vec()),
            None,
        ]
    }

    #[test]
    fn a_stream_cut_anywhere_decodes_the_same() {
        let s = stream(&[row(1_772_366_400_000_000, Some(2499)), row(1_772_452_800_000_000, None)]);
        for cut in 0..s.len() {
            let mut d = HistoryDecoder::default();
            d.feed(&s[..cut]).unwrap();
            d.feed(&s[cut..]).unwrap();
            assert_eq!(d.rows(), 2, "cut at {cut}");
            let cols = d.finish().unwrap();
            let (_, batches) = cols.finish().unwrap();
            let b = &batches[0];
            let at = b.column(0).as_any().downcast_ref::<arrow_array::TimestampMicrosecondArray>().unwrap();
            assert_eq!(at.value(0), 1_772_366_400_000_000);
            let price = b.column(1).as_any().downcast_ref::<arrow_array::Decimal128Array>().unwrap();
            assert_eq!(price.value(0), 2499);
            assert!(price.is_null(1));
            let prime = b.column(9).as_any().downcast_ref::<arrow_array::BooleanArray>().unwrap();
            assert!(!prime.value(0));
        }
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let s = stream(&[row(1_772_366_400_000_000, Some(2499))]);
        let mut d = HistoryDecoder::default();
        d.feed(&s[..s.len() - 2]).unwrap();
        assert!(d.finish().is_err());
        let mut wrong = HistoryDecoder::default();
        assert!(wrong.feed(b"not a copy stream at all").is_err());
    }
}
