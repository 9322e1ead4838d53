-- Row-level security on every tenant table (issue 16): the database, not only the queries,
-- keeps one user's tracked products, settings, alerts, notifications and suggestions from
-- another. See docs/tenancy.md.
--
-- * The acting user is the transaction-local setting `amazcope.user_id`
--   (`SELECT set_config('amazcope.user_id', '<uuid>', true)`, which amazcope-pg issues at the
--   start of every transaction that reads or writes tenant rows for a user). With no acting
--   user a session sees and writes NO tenant rows (deny by default).
-- * Work that spans users (batch ingest raising alerts for every tracker, the refresh queue,
--   partition upkeep, the delivery worker) runs inside `SET LOCAL ROLE amazcope_service`:
--   a NOLOGIN role whose policy lets it through, and which the login role can only take by
--   saying so in a transaction (the policy checks `current_user`, so an inheriting member
--   gets nothing from it until it sets the role).
-- * FORCE: the table owner (the role that ran this migration) is held to the policies too.
--   Only superusers and BYPASSRLS roles pass around them; the library never needs either.
--
-- One helper makes each table's policies: a table added later is one line
--     SELECT amazcope_tenant_rls('notification_channels');
-- (a table whose rows belong to a user through a parent passes the owner expression, as
-- suggestion_actions does below).

-- The role of the cross-user path. Roles belong to the whole server, so it may exist already
-- (another database on the same server); creating it needs CREATEROLE, granting it to the
-- migrating role needs CREATEROLE or ADMIN on it. Without those the migration stops and says
-- what a superuser must run.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amazcope_service') THEN
        BEGIN
            CREATE ROLE amazcope_service NOLOGIN NOINHERIT NOBYPASSRLS;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL; -- made at the same moment by a migration of another database
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role amazcope_service does not exist and % may not create it', current_user
                    USING HINT = format('as a superuser run: CREATE ROLE amazcope_service NOLOGIN; '
                                        'GRANT amazcope_service TO %I; then amazcope db upgrade again',
                                        current_user);
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'amazcope_service', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT amazcope_service TO %I', current_user);
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION '% is not a member of amazcope_service and may not grant it', current_user
                    USING HINT = format('as a superuser run: GRANT amazcope_service TO %I; '
                                        'then amazcope db upgrade again', current_user);
        END;
    END IF;
END
$$;

-- The acting user of this transaction, NULL when none is set ('' is what a setting made
-- local in an earlier transaction reads as afterwards). A plain SQL expression, so the
-- planner inlines it into each policy and an index on user_id serves it.
CREATE FUNCTION amazcope_acting_user() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('amazcope.user_id', true), '')::uuid $$;

-- Enables and forces row-level security on `tbl` and makes its two policies:
--   rls_tenant  (every role) the row's owner, `row_owner` (an SQL expression over the row,
--               `user_id` by default), is the acting user; for reads and for writes.
--   rls_service (amazcope_service) every row, once the transaction has SET ROLE
--               amazcope_service.
-- The service role gets the row privileges on the table. Running it again replaces both.
CREATE FUNCTION amazcope_tenant_rls(tbl regclass, row_owner text DEFAULT 'user_id') RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'rls_tenant') THEN
        EXECUTE format('DROP POLICY rls_tenant ON %s', tbl);
    END IF;
    EXECUTE format('CREATE POLICY rls_tenant ON %s FOR ALL TO PUBLIC '
                   'USING (%s = amazcope_acting_user()) WITH CHECK (%2$s = amazcope_acting_user())',
                   tbl, row_owner);
    IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'rls_service') THEN
        EXECUTE format('DROP POLICY rls_service ON %s', tbl);
    END IF;
    EXECUTE format('CREATE POLICY rls_service ON %s FOR ALL TO amazcope_service '
                   'USING (current_user = %L) WITH CHECK (current_user = %2$L)',
                   tbl, 'amazcope_service');
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO amazcope_service', tbl);
END
$$;

-- The service path also reads and writes the shared tables (products, snapshots, categories,
-- the queue): row privileges on every table of the schema, now and for tables that later
-- migrations of this role create.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO amazcope_service;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO amazcope_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO amazcope_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO amazcope_service;

SELECT amazcope_tenant_rls('user_settings');
SELECT amazcope_tenant_rls('user_products');
SELECT amazcope_tenant_rls('alerts');
SELECT amazcope_tenant_rls('notifications');
SELECT amazcope_tenant_rls('suggestions');
-- An action belongs to the user of its suggestion (whose own policy already hides other
-- users' suggestions from the subquery).
SELECT amazcope_tenant_rls('suggestion_actions',
                           '(SELECT s.user_id FROM suggestions s WHERE s.id = suggestion_id)');
-- The delivery outbox (0009): a user's channels and the delivery log of their notifications.
SELECT amazcope_tenant_rls('notification_channels');
SELECT amazcope_tenant_rls('notification_deliveries');
