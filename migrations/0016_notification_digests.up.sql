-- Issue 14, digests: a daily report per (user, UTC day) for `daily_summary_emails` and a weekly
-- one per (user, ISO week) for `weekly_report_emails`, stored as `daily_summary` /
-- `weekly_report` notifications whose `data->>'period'` is the period's first day
-- (YYYY-MM-DD). This index makes a digest unique per (user, kind, period): any number of
-- delivery runs or workers enqueue it once (INSERT ... ON CONFLICT DO NOTHING), and its
-- delivery rows come with it in the same statement.
CREATE UNIQUE INDEX uq_notifications_user_digest_period
    ON notifications (user_id, notification_type, (data ->> 'period'))
    WHERE notification_type IN ('daily_summary', 'weekly_report') AND data ? 'period';
