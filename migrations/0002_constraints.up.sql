-- notifications.is_read is derived from status (NOT NULL), so it can never be NULL; saying so
-- lets readers and the schema test rely on it, as the spec's is_read was NOT NULL.
ALTER TABLE notifications ALTER COLUMN is_read SET NOT NULL;
