-- Back to 0019's policies: the acting user through amazcope_acting_user().

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

-- PostgreSQL prints 0023's InitPlan back as
-- `( SELECT (NULLIF(current_setting('amazcope.user_id'::text, true), ''::text))::uuid AS "nullif")`.
DO $$
DECLARE
    p record;
    now_form constant text := '\(\s*SELECT \(?NULLIF\(current_setting\(''amazcope\.user_id''(::text)?, true\), ''''(::text)?\)\)?::uuid( AS "?nullif"?)?\)';
BEGIN
    FOR p IN
        SELECT pol.polrelid::regclass AS tbl, pg_get_expr(pol.polqual, pol.polrelid) AS qual,
               pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
        FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE pol.polname = 'rls_tenant' AND n.nspname = current_schema()
    LOOP
        IF p.qual !~ now_form OR p.chk !~ now_form THEN
            RAISE EXCEPTION 'the policy rls_tenant on % is not in the form 0023 made: %', p.tbl, p.qual;
        END IF;
        EXECUTE format('ALTER POLICY rls_tenant ON %s USING (%s) WITH CHECK (%s)', p.tbl,
                       regexp_replace(p.qual, now_form, '(SELECT amazcope_acting_user())', 'g'),
                       regexp_replace(p.chk, now_form, '(SELECT amazcope_acting_user())', 'g'));
    END LOOP;
END
$$;
