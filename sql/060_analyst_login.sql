-- 060_analyst_login.sql -- the login `aftershock sql` runs analysts' queries
-- as (reports/sqlrun.c).
--
-- SET LOCAL ROLE analyst on a connection made as a privileged login is no
-- boundary: the query itself can go back to the login it came in as
-- (set_config('role', 'none', true), RESET ROLE) or to any role that login
-- may become.  So the session user must hold nothing analyst lacks:
-- aftershock_analyst logs in, is a member of analyst, and has no attribute
-- and no privilege of its own.  `aftershock sql` connects as it (setting
-- sql.user) and refuses a login that could reach more.
--
-- No password: the embedded cluster trusts its private unix socket.  On
-- another server the operator gives it one (ALTER ROLE aftershock_analyst
-- PASSWORD '...') and hands it to libpq through ~/.pgpass or PGPASSWORD.
-- Roles belong to the whole cluster, hence the existence test.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aftershock_analyst') THEN
        CREATE ROLE aftershock_analyst LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
            NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;
GRANT analyst TO aftershock_analyst;
COMMENT ON ROLE aftershock_analyst IS 'Login of `aftershock sql`: a member of analyst with no rights of its own, so a query that resets its role still reads only what analyst reads.';
COMMENT ON ROLE analyst IS 'Read-only role for ad-hoc SQL: SELECT on every table and view, nothing else. Log in as aftershock_analyst, or as a login of your own that is a member of analyst and nothing else (GRANT analyst TO alice).';
