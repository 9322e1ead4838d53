//! Pure rules: a new snapshot in, alerts out. No I/O.

mod notify;

pub use notify::notification_for;
