DROP INDEX IF EXISTS uq_notifications_user_digest_period;
