-- The tenant policy reads the acting user's setting itself (issue 16: RLS may cost at most 5%
-- of the query benchmark, benches/rls_compare.sh). 0019 made the check an InitPlan,
-- `user_id = (SELECT amazcope_acting_user())`: evaluated once per statement, but the planner
-- inlines the SQL function into every policy of every statement it plans, and inlining
-- parses and analyses the function's body each time. Written out, the same expression,
-- `(SELECT NULLIF(current_setting('amazcope.user_id', true), '')::uuid)`, is planned
-- without that. Same rows, same plans: only the planning is cheaper.
--
-- amazcope_acting_user() stays (docs/tenancy.md, and for whoever reads the setting by hand);
-- amazcope_tenant_rls makes the new form for tables protected later.

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
                   'USING (%s = (SELECT NULLIF(current_setting(''amazcope.user_id'', true), '''')::uuid)) '
                   'WITH CHECK (%2$s = (SELECT NULLIF(current_setting(''amazcope.user_id'', true), '''')::uuid))',
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

-- Every existing rls_tenant policy, whichever migration made it: PostgreSQL prints 0019's
-- InitPlan back as `( SELECT amazcope_acting_user() AS amazcope_acting_user)`.
DO $$
DECLARE
    p record;
    acting constant text := '(SELECT NULLIF(current_setting(''amazcope.user_id'', true), '''')::uuid)';
    old constant text := '\(\s*SELECT amazcope_acting_user\(\)( AS amazcope_acting_user)?\)';
BEGIN
    FOR p IN
        SELECT pol.polrelid::regclass AS tbl, pg_get_expr(pol.polqual, pol.polrelid) AS qual,
               pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
        FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE pol.polname = 'rls_tenant' AND n.nspname = current_schema()
    LOOP
        IF p.qual !~ old OR p.chk !~ old THEN
            RAISE EXCEPTION 'the policy rls_tenant on % is not in the form 0019 made: %', p.tbl, p.qual;
        END IF;
        EXECUTE format('ALTER POLICY rls_tenant ON %s USING (%s) WITH CHECK (%s)', p.tbl,
                       regexp_replace(p.qual, old, acting, 'g'), regexp_replace(p.chk, old, acting, 'g'));
    END LOOP;
END
$$;
