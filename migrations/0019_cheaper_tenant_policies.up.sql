-- Cheaper row-level security policies (issue 16: RLS may cost at most 5% of the query and
-- ingest benchmarks; measured by benches/rls_compare.sh). Same rows, same two policies per
-- tenant table (see 0015 and docs/tenancy.md); what changes is how the planner sees them:
--
-- * rls_tenant compares the row's owner with `(SELECT amazcope_acting_user())`: an InitPlan,
--   evaluated once per statement, not current_setting() per row.
-- * rls_service checks `(SELECT current_user = 'amazcope_service')`, also once per statement.
--   Policies of one table are OR-ed, and a login role that is a member of amazcope_service
--   (PostgreSQL 15 and older: membership inherits) gets both. Written as
--   `current_user = '...'` the planner took the OR to pass ~1% of the rows and multiplied
--   that into the query's own `user_id = $1` estimate: a user's 1,000 alerts were expected
--   to be 10, which flipped plans (a bitmap scan and sort of every alert of the user instead
--   of the newest-first index scan) and made the alert list 3x slower than without RLS. As a
--   parameter the check no longer shrinks the estimate, so the plans are those without RLS.
--
-- Tables protected by later migrations keep working: amazcope_tenant_rls makes the new form,
-- and every existing pair of policies (whichever migration made it) is rewritten here.

CREATE OR REPLACE FUNCTION amazcope_tenant_rls(tbl regclass, row_owner text DEFAULT 'user_id') RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'rls_tenant') THEN
        EXECUTE format('DROP POLICY rls_tenant ON %s', tbl);
    END IF;
    EXECUTE format('CREATE POLICY rls_tenant ON %s FOR ALL TO PUBLIC '
                   'USING (%s = (SELECT amazcope_acting_user())) '
                   'WITH CHECK (%2$s = (SELECT amazcope_acting_user()))',
                   tbl, row_owner);
    IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'rls_service') THEN
        EXECUTE format('DROP POLICY rls_service ON %s', tbl);
    END IF;
    EXECUTE format('CREATE POLICY rls_service ON %s FOR ALL TO amazcope_service '
                   'USING ((SELECT current_user = %L)) WITH CHECK ((SELECT current_user = %2$L))',
                   tbl, 'amazcope_service');
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO amazcope_service', tbl);
END
$$;

DO $$
DECLARE
    p record;
BEGIN
    FOR p IN
        SELECT pol.polrelid::regclass AS tbl, pg_get_expr(pol.polqual, pol.polrelid) AS qual,
               pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
        FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE pol.polname = 'rls_tenant' AND n.nspname = current_schema()
    LOOP
        EXECUTE format('ALTER POLICY rls_tenant ON %s USING (%s) WITH CHECK (%s)', p.tbl,
                       replace(p.qual, 'amazcope_acting_user()', '(SELECT amazcope_acting_user())'),
                       replace(p.chk, 'amazcope_acting_user()', '(SELECT amazcope_acting_user())'));
        IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = p.tbl AND polname = 'rls_service') THEN
            EXECUTE format('ALTER POLICY rls_service ON %s USING ((SELECT current_user = %L)) '
                           'WITH CHECK ((SELECT current_user = %2$L))', p.tbl, 'amazcope_service');
        END IF;
    END LOOP;
END
$$;
