-- Back to tenancy in application code only: every table that amazcope_tenant_rls gave its
-- policies (including tables added to the up migration later) loses them and row-level
-- security, and the service role loses its privileges here. The role itself is kept: roles
-- belong to the whole server and another database may use it (a superuser drops it with
-- DROP ROLE amazcope_service once no database does).
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT DISTINCT format('%I.%I', schemaname, tablename)::regclass
        FROM pg_policies
        WHERE policyname IN ('rls_tenant', 'rls_service')
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS rls_tenant ON %s', t);
        EXECUTE format('DROP POLICY IF EXISTS rls_service ON %s', t);
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;

ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM amazcope_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM amazcope_service;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM amazcope_service;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM amazcope_service;

DROP FUNCTION amazcope_tenant_rls(regclass, text);
DROP FUNCTION amazcope_acting_user();
