//! Pure rules: a new snapshot in, alerts out. No I/O.
//!
//! [`evaluate`] is what the refresh pipeline calls after storing a snapshot;
//! [`unlisted_alerts`] when a product page disappears; [`replay`] runs one user's rules over
//! a stored history (a backtest). [`notification_for`] turns an alert into its
//! notification.

mod config;
mod evaluate;
mod format;
mod notify;
mod replay;

pub use config::RuleConfig;
pub use evaluate::{AlertContext, PriorAlert, as_prior, evaluate, unlisted_alerts};
pub use format::{format_money, group_thousands};
pub use notify::notification_for;
pub use replay::replay;
