//! Writer of PostgreSQL's binary COPY format (`COPY ... FROM STDIN (FORMAT binary)`).
//!
//! Each field is a big-endian `i32` length (-1 for NULL) followed by the type's binary
//! "send" representation, which is what sqlx already produces for bind parameters; so the
//! values are encoded with sqlx's own `Encode` impls into a [`PgArgumentBuffer`] and only
//! the framing is written here. Binary COPY skips the server's text parsing, which is most
//! of the cost of a text COPY of numbers, timestamps and UUIDs.

use sqlx::encode::IsNull;
use sqlx::postgres::PgArgumentBuffer;
use sqlx::{Encode, Postgres};

/// Signature, flags and header-extension length of the binary COPY format.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// A binary COPY payload being built, row by row.
#[derive(Debug, Default)]
pub(crate) struct BinaryCopy {
    buf: PgArgumentBuffer,
}

impl BinaryCopy {
    /// A payload that starts with the format header (send it first).
    pub(crate) fn with_header() -> Self {
        let mut c = Self::default();
        c.buf.extend_from_slice(HEADER);
        c
    }

    /// Starts a row of `fields` fields.
    pub(crate) fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    /// Appends one field, encoded as sqlx encodes a bind parameter of that type.
    pub(crate) fn field<'q, T: Encode<'q, Postgres>>(
        &mut self,
        value: &T,
    ) -> Result<(), sqlx::error::BoxDynError> {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        match value.encode_by_ref(&mut self.buf)? {
            IsNull::Yes => {
                self.buf.truncate(at);
                self.buf.extend_from_slice(&(-1i32).to_be_bytes());
            }
            IsNull::No => {
                let len = i32::try_from(self.buf.len() - at - 4)?;
                self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
        Ok(())
    }

    /// Appends a `jsonb` field. Written by hand because sqlx's `Json` encoder defers its
    /// version byte to a patch applied only for bind parameters.
    pub(crate) fn jsonb<T: serde::Serialize>(
        &mut self,
        value: Option<&T>,
    ) -> Result<(), sqlx::error::BoxDynError> {
        let Some(value) = value else {
            self.buf.extend_from_slice(&(-1i32).to_be_bytes());
            return Ok(());
        };
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        // jsonb binary format version 1, then the JSON text.
        self.buf.push(1);
        serde_json::to_writer(&mut *self.buf, value)?;
        let len = i32::try_from(self.buf.len() - at - 4)?;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Takes the bytes written so far, leaving the writer empty for the next chunk.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.buf)
    }

    /// Appends the end-of-data marker.
    pub(crate) fn trailer(&mut self) {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed_and_null_is_minus_one() {
        let mut c = BinaryCopy::default();
        c.row(2);
        c.field(&7i32).unwrap();
        c.field(&None::<i32>).unwrap();
        assert_eq!(c.take(), vec![0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn jsonb_carries_version_byte() {
        let mut c = BinaryCopy::default();
        c.jsonb(Some(&vec!["a"])).unwrap();
        assert_eq!(c.take(), b"\0\0\0\x06\x01[\"a\"]".to_vec());
    }
}
