//! Digests (issue 14): the daily report (`amazcope report`) sent by e-mail once per UTC day to
//! users with `daily_summary_emails`, and the seven-day report once per ISO week to users with
//! `weekly_report_emails`. Pure: the adapters pass the time in, storage keeps a digest unique
//! per (user, kind, period).

use crate::model::enums::NotificationType;
use crate::service::DailyReport;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestKind {
    /// One per UTC day (`daily_summary_emails`).
    Daily,
    /// One per ISO week, Monday to Monday UTC (`weekly_report_emails`).
    Weekly,
}

impl DigestKind {
    /// Both kinds.
    pub const ALL: [DigestKind; 2] = [DigestKind::Daily, DigestKind::Weekly];

    /// The notification type a digest is stored as.
    pub fn notification_type(self) -> NotificationType {
        match self {
            DigestKind::Daily => NotificationType::DailySummary,
            DigestKind::Weekly => NotificationType::WeeklyReport,
        }
    }

    /// The period's length in hours (the report's window).
    pub fn hours(self) -> i64 {
        match self {
            DigestKind::Daily => 24,
            DigestKind::Weekly => 24 * 7,
        }
    }

    /// The last whole period that ended at or before `now`: its first day (UTC) and its end.
    /// Daily: yesterday (UTC). Weekly: the last whole ISO week (Monday 00:00 UTC to Monday).
    pub fn last_period(self, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
        let today = now.date_naive();
        let end_day = match self {
            DigestKind::Daily => today,
            DigestKind::Weekly => today - Duration::days(i64::from(today.weekday().num_days_from_monday())),
        };
        let start = end_day - Duration::days(self.hours() / 24);
        (start, end_day.and_time(chrono::NaiveTime::MIN).and_utc())
    }
}

/// A digest's title (its e-mail subject): `Daily report for alice: 2026-07-01` or
/// `Weekly report for alice: 2026-06-29 to 2026-07-05`.
pub fn title(kind: DigestKind, username: &str, start: NaiveDate) -> String {
    match kind {
        DigestKind::Daily => format!("Daily report for {username}: {start}"),
        DigestKind::Weekly => {
            format!("Weekly report for {username}: {start} to {}", start + Duration::days(6))
        }
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn pct(v: Option<f64>) -> String {
    v.filter(|p| p.is_finite()).map_or_else(|| "-".to_owned(), |p| format!("{p:+.1}%"))
}

/// The report as plain text, the lines `amazcope report` prints. Product titles are kept as
/// scraped (untrusted): the HTML part escapes them (`format::email_html`).
pub fn report_text(report: &DailyReport) -> String {
    let mut out = format!(
        "From {} to {} UTC: {} products tracked, {} changed, {} alerts ({} unread).\n",
        report.since.format("%Y-%m-%d %H:%M"),
        report.until.format("%Y-%m-%d %H:%M"),
        report.products_tracked,
        report.changed.len(),
        report.alerts.len(),
        report.unread_alerts
    );
    if !report.alerts_by_type.is_empty() {
        let counts: Vec<String> = report.alerts_by_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!("Alerts: {}\n", counts.join(", ")));
    }
    if !report.biggest_movers.is_empty() {
        out.push_str("\nBiggest movers:\n");
        for m in &report.biggest_movers {
            out.push_str(&format!(
                "  {} ({}): price {} -> {} ({}), BSR {} -> {} ({}): {}\n",
                m.asin,
                m.marketplace.code(),
                opt(m.old_price),
                opt(m.new_price),
                pct(m.price_change_pct),
                opt(m.old_bsr),
                opt(m.new_bsr),
                pct(m.bsr_change_pct),
                super::format::shorten(&m.title, 80)
            ));
        }
    }
    let stock: Vec<String> = report
        .changed
        .iter()
        .filter(|m| m.stock_changed() || m.is_unlisted)
        .map(|m| {
            let what = if m.is_unlisted {
                "unlisted"
            } else if m.in_stock == Some(true) {
                "back in stock"
            } else {
                "out of stock"
            };
            format!(
                "  {} ({}): {what}: {}\n",
                m.asin,
                m.marketplace.code(),
                super::format::shorten(&m.title, 80)
            )
        })
        .collect();
    if !stock.is_empty() {
        out.push_str("\nStock and listing:\n");
        out.extend(stock);
    }
    if report.changed.is_empty() && report.alerts.is_empty() {
        out.push_str("Nothing changed.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_last_period_is_the_whole_day_or_iso_week_before_now() {
        // Wednesday 2026-07-01 12:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        let (d, end) = DigestKind::Daily.last_period(now);
        assert_eq!(d, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap());
        let (w, end) = DigestKind::Weekly.last_period(now);
        assert_eq!(w, NaiveDate::from_ymd_opt(2026, 6, 22).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 6, 29, 0, 0, 0).unwrap());
        // At midnight the day that just ended is the period.
        let midnight = Utc.with_ymd_and_hms(2026, 6, 29, 0, 0, 0).unwrap();
        assert_eq!(DigestKind::Daily.last_period(midnight).0, NaiveDate::from_ymd_opt(2026, 6, 28).unwrap());
        assert_eq!(DigestKind::Weekly.last_period(midnight).0, NaiveDate::from_ymd_opt(2026, 6, 22).unwrap());
    }

    #[test]
    fn titles_name_the_period() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 22).unwrap();
        assert_eq!(title(DigestKind::Daily, "alice", d), "Daily report for alice: 2026-06-22");
        assert_eq!(
            title(DigestKind::Weekly, "alice", d),
            "Weekly report for alice: 2026-06-22 to 2026-06-28"
        );
    }
}
