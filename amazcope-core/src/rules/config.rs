//! The knobs of the alert rules, with the defaults the engine ships with.

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// Noise control and severity bands of the alert rules.
///
/// The per-user price and BSR thresholds live on [`crate::model::tracking::Tracker`]; this
/// holds what is the same for every user. Every band is a lower bound ("at or above").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleConfig {
    /// A rating drop of at least this many stars alerts (default 0.1).
    pub rating_drop: f64,
    /// A review count rise of at least this percent alerts (default 20), when the previous
    /// count is at least [`RuleConfig::review_spike_min_base`].
    pub review_spike_percent: f64,
    /// A review count rise of at least this many reviews alerts whatever the percent
    /// (default 50).
    pub review_spike_count: i32,
    /// Below this previous count the percent rule is off (default 10): 2 → 3 reviews is
    /// +50 % but no spike.
    pub review_spike_min_base: i32,
    /// Dead-band in percent around the last alerted price or rank (default 2): a new value
    /// this close to the value the user was last told about does not alert again.
    pub dead_band_percent: f64,
    /// Dead-band in stars around the last alerted rating (default 0.05).
    pub dead_band_rating: f64,
    /// No second alert of the same type for the same (user, product) within this time of
    /// the last one (default 6 hours). Measured between snapshot times, so back-fills of old
    /// pages behave like live refreshes.
    #[serde(with = "duration_secs")]
    pub cool_down: Duration,
    /// Price: `info` below this percent (default 5).
    pub price_warning_percent: f64,
    /// Price: `critical` at or above this percent (default 20, the original's band).
    pub price_critical_percent: f64,
    /// BSR: `warning` at or above this percent (default 30, the original's band), `info` below.
    pub bsr_warning_percent: f64,
    /// BSR: `critical` at or above this percent (default 100: the rank doubled).
    pub bsr_critical_percent: f64,
    /// Rating: `warning` for a drop of at least this many stars (default 0.3), `info` below.
    pub rating_warning_drop: f64,
    /// Rating: `critical` for a drop of at least this many stars (default 0.5).
    pub rating_critical_drop: f64,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            rating_drop: 0.1,
            review_spike_percent: 20.0,
            review_spike_count: 50,
            review_spike_min_base: 10,
            dead_band_percent: 2.0,
            dead_band_rating: 0.05,
            cool_down: Duration::hours(6),
            price_warning_percent: 5.0,
            price_critical_percent: 20.0,
            bsr_warning_percent: 30.0,
            bsr_critical_percent: 100.0,
            rating_warning_drop: 0.3,
            rating_critical_drop: 0.5,
        }
    }
}

impl RuleConfig {
    /// A configuration without noise control (no cool-down, no dead-band): every qualifying
    /// pair of snapshots alerts, as in the original engine.
    pub fn without_noise_control() -> Self {
        Self { dead_band_percent: 0.0, dead_band_rating: 0.0, cool_down: Duration::zero(), ..Self::default() }
    }
}

mod duration_secs {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = i64::deserialize(d)?;
        Duration::try_seconds(secs).ok_or_else(|| serde::de::Error::custom("cool_down out of range"))
    }
}
