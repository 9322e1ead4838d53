-- Back to 0015's policies: the acting user and the service role checked per row.

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
        -- PostgreSQL prints the InitPlan back as `( SELECT amazcope_acting_user() AS ...)`.
        EXECUTE format('ALTER POLICY rls_tenant ON %s USING (%s) WITH CHECK (%s)', p.tbl,
                       regexp_replace(p.qual, '\(\s*SELECT amazcope_acting_user\(\)( AS amazcope_acting_user)?\)',
                                      'amazcope_acting_user()', 'g'),
                       regexp_replace(p.chk, '\(\s*SELECT amazcope_acting_user\(\)( AS amazcope_acting_user)?\)',
                                      'amazcope_acting_user()', 'g'));
        IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = p.tbl AND polname = 'rls_service') THEN
            EXECUTE format('ALTER POLICY rls_service ON %s USING (current_user = %L) WITH CHECK (current_user = %2$L)',
                           p.tbl, 'amazcope_service');
        END IF;
    END LOOP;
END
$$;
