/*
 * sqlrun.c -- the guarded, streaming execution of one ad-hoc query (see
 * sqlrun.h).  Owns the transaction it opens and every PGresult it receives;
 * the sink owns what it makes of the values.
 *
 * Why single-row mode and not a cursor: it streams with one round trip and
 * works for any statement text, while DECLARE CURSOR would need the query
 * to be a plain SELECT/VALUES and would change its error messages.
 */
#include "reports/sqlrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/db.h"

/* Type OIDs from PostgreSQL's pg_type.dat; stable across versions. */
enum {
    OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
    OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_DATE = 1082, OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700,
};

enum sql_type sql_type_from_oid(Oid oid)
{
    switch (oid) {
    case OID_INT2: case OID_INT4: case OID_INT8: case OID_OID:
        return SQL_TYPE_INTEGER;
    case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
        return SQL_TYPE_NUMERIC;
    case OID_BOOL:
        return SQL_TYPE_BOOLEAN;
    case OID_DATE:
        return SQL_TYPE_DATE;
    case OID_TIMESTAMP:
        return SQL_TYPE_TIMESTAMP;
    case OID_TIMESTAMPTZ:
        return SQL_TYPE_TIMESTAMPTZ;
    default:
        return SQL_TYPE_TEXT;
    }
}

static void trim_newline(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* Turn a failed result into a message an analyst can act on. */
static as_err query_error(const PGresult *r, PGconn *db, const struct sql_run_opts *o)
{
    char msg[1024];
    /* The primary message alone: the full text repeats "ERROR:" and an
     * ASCII-art pointer that the character position replaces. */
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(msg, sizeof msg, "%s", primary ? primary : r ? PQresultErrorMessage(r) : PQerrorMessage(db));
    trim_newline(msg);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(db) != CONNECTION_OK)
        return as_fail(AS_ERR_DB_CONNECT, "sql: lost the database connection: %s", msg);
    if (state && strcmp(state, "25006") == 0)
        return as_fail(AS_ERR_DB, "sql: the query tries to write, and aftershock sql is "
                                  "read-only: %s", msg);
    if (state && strcmp(state, "42501") == 0)
        return as_fail(AS_ERR_DB, "sql: not allowed for the read-only role '%s': %s",
                       o->role ? o->role : "analyst", msg);
    if (state && strcmp(state, "57014") == 0)
        return as_fail(AS_ERR_DB, "sql: the query ran longer than the %d s statement timeout "
                                  "(--timeout) and was cancelled", o->timeout_s);
    const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    if (pos)
        return as_fail(AS_ERR_DB, "sql: query: character %s: %s", pos, msg);
    return as_fail(AS_ERR_DB, "sql: query: %s", msg);
}

/*
 * What makes a login unfit to run an analyst's query: anything it, or a
 * role it may SET ROLE to (pg_has_role MEMBER), holds beyond the read-only
 * role $1.  SET LOCAL ROLE alone would not do, since the query can reset
 * the role (set_config('role', 'none', true), RESET ROLE) and so act with
 * every right of the session user.  Write rights (table and column
 * privileges, sequences, ownership, CREATE), the role attributes, the
 * predefined roles that reach past privileges (server files, all data,
 * signals), reads $1 lacks and SECURITY DEFINER functions of other owners
 * all count.  The first reason in that order, or no row.
 */
static const char login_check_sql[] =
    "WITH reach AS ("
    "  SELECT oid, rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
    "  FROM pg_roles WHERE pg_has_role(session_user, oid, 'MEMBER')"
    "), rels AS ("
    "  SELECT c.oid, c.relkind, c.relowner FROM pg_class c"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
    "    AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
    "), why (k, rolname, reason) AS ("
    "  SELECT 1, rolname, 'is a superuser' FROM reach WHERE rolsuper"
    "  UNION ALL SELECT 2, rolname, 'has ' || CASE WHEN rolcreaterole THEN 'CREATEROLE'"
    "    WHEN rolcreatedb THEN 'CREATEDB' WHEN rolreplication THEN 'REPLICATION'"
    "    ELSE 'BYPASSRLS' END FROM reach"
    "    WHERE rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls"
    "  UNION ALL SELECT 3, rolname, 'is a predefined role with rights beyond reading tables'"
    "    FROM reach WHERE rolname IN ('pg_read_all_data', 'pg_write_all_data',"
    "      'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program',"
    "      'pg_signal_backend', 'pg_checkpoint', 'pg_create_subscription')"
    "  UNION ALL SELECT 4, x.rolname, format('owns %s', c.oid::regclass)"
    "    FROM reach x JOIN rels c ON c.relowner = x.oid"
    "  UNION ALL SELECT 5, x.rolname, format('can write to %s', c.oid::regclass)"
    "    FROM reach x JOIN rels c ON c.relkind <> 'S'"
    "    WHERE has_table_privilege(x.oid, c.oid, 'DELETE, TRUNCATE, TRIGGER')"
    "       OR has_any_column_privilege(x.oid, c.oid, 'INSERT, UPDATE, REFERENCES')"
    "  UNION ALL SELECT 5, x.rolname, format('can advance sequence %s', c.oid::regclass)"
    "    FROM reach x JOIN rels c ON c.relkind = 'S'"
    "    WHERE has_sequence_privilege(x.oid, c.oid, 'USAGE, UPDATE')"
    "  UNION ALL SELECT 6, x.rolname, format('can create schemas in database %s',"
    "      current_database())"
    "    FROM reach x WHERE has_database_privilege(x.oid, current_database(), 'CREATE')"
    /* A session's own temporary schema grants it CREATE: not a right. */
    "  UNION ALL SELECT 6, x.rolname, format('can create objects in schema %s', n.nspname)"
    "    FROM reach x JOIN pg_namespace n ON has_schema_privilege(x.oid, n.oid, 'CREATE')"
    "    WHERE n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'"
    "  UNION ALL SELECT 7, x.rolname, format('can read %s, which role %s cannot',"
    "      c.oid::regclass, $1::text)"
    "    FROM reach x JOIN rels c ON c.relkind <> 'S'"
    "    WHERE has_any_column_privilege(x.oid, c.oid, 'SELECT')"
    "      AND NOT has_any_column_privilege($1::name, c.oid, 'SELECT')"
    "  UNION ALL SELECT 8, x.rolname, format('can run %s, which runs with the rights of %s',"
    "      p.oid::regprocedure, pg_get_userbyid(p.proowner))"
    "    FROM reach x JOIN pg_proc p ON p.prosecdef"
    "    JOIN pg_namespace n ON n.oid = p.pronamespace"
    "    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "      AND NOT pg_has_role(session_user, p.proowner, 'MEMBER')"
    "      AND has_function_privilege(x.oid, p.oid, 'EXECUTE')"
    ")"
    "SELECT session_user, rolname, rolname = session_user, reason FROM why"
    " ORDER BY k, rolname, reason LIMIT 1";

/* Refuse a session user that could act with more than the read-only
 * role's rights (see login_check_sql).  Runs inside the guard's
 * transaction, before the query. */
static as_err login_check(PGconn *db, const char *role)
{
    PGresult *r;
    const char *p[] = {role};
    as_err e = db_query(db, &r, login_check_sql, 1, p);
    if (e)
        return as_fail_context(e, "sql: cannot check the rights of the database login");
    if (PQntuples(r) == 0) {
        PQclear(r);
        return AS_OK;
    }
    const char *login = PQgetvalue(r, 0, 0), *who = PQgetvalue(r, 0, 1);
    int self = PQgetvalue(r, 0, 2)[0] == 't';
    char reason[1024];
    if (self)
        snprintf(reason, sizeof reason, "%s", PQgetvalue(r, 0, 3));
    else
        snprintf(reason, sizeof reason, "can become role '%s', which %s", who, PQgetvalue(r, 0, 3));
    e = as_fail(AS_ERR_USAGE,
                "sql: refusing to run the query as the database login '%s': it %s; "
                "aftershock sql needs a login with no rights beyond the read-only role '%s' "
                "(setting sql.user, default aftershock_analyst, or sql.url)",
                login, reason, role);
    PQclear(r);
    return e;
}

/* The guard: read-only transaction, a login with no more than the analyst
 * role's rights, that role, the timeout. */
static as_err guard_open(PGconn *db, const struct sql_run_opts *o)
{
    const char *role = o->role ? o->role : "analyst";
    as_err e = db_exec(db, "BEGIN TRANSACTION READ ONLY");
    if (e)
        return as_fail_context(e, "sql: cannot open a read-only transaction");
    if ((e = login_check(db, role))) {
        db_rollback(db);
        return e;
    }
    char *quoted = PQescapeIdentifier(db, role, strlen(role));
    if (!quoted) {
        db_rollback(db);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "SET LOCAL ROLE %s; "
             "SET LOCAL statement_timeout = %lld; SET LOCAL TimeZone = 'UTC'; "
             "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1",
             quoted, (long long)o->timeout_s * 1000);
    PQfreemem(quoted);
    e = db_exec(db, sql);
    if (e) {
        db_rollback(db);
        return as_fail_context(e, "sql: cannot switch to the read-only role '%s'", role);
    }
    return AS_OK;
}

/* The query should not run on a connection db_connect() made: that login
 * owns the schema.  Connect as the analyst login instead (see sqlrun.h). */
as_err sql_connect(PGconn **out, const char *db_opt)
{
    *out = NULL;
    const char *url = config_get("sql.url");
    if (url[0]) {
        as_err e = db_connect_as(out, url, "sql.url", NULL, DB_CONNECT_NO_MIGRATE);
        return e ? as_fail_context(e, "sql: the analyst login (setting sql.url, %s)",
                                   config_origin("sql.url"))
                 : AS_OK;
    }
    const char *user = config_get("sql.user");
    if (!user[0])
        return as_fail(AS_ERR_USAGE, "sql: setting sql.user (%s) is empty: name the login "
                                     "queries run as (default aftershock_analyst)",
                       config_origin("sql.user"));
    /* The owner's connection first, only to start the embedded cluster and
     * apply pending migrations (060 creates aftershock_analyst). */
    PGconn *owner;
    as_err e = db_connect(&owner, db_opt, 0);
    if (e)
        return e;
    db_close(owner);
    e = db_connect_as(out, db_opt, "--db", user, DB_CONNECT_NO_MIGRATE | DB_CONNECT_NO_START);
    return e ? as_fail_context(e, "sql: the analyst login (setting sql.user, %s)",
                               config_origin("sql.user"))
             : AS_OK;
}

/* Read what is left of a failed query so the connection can be used
 * again.  A COPY in progress must be ended first: until then libpq hands
 * back the same COPY result for ever. */
static void results_drain(PGconn *db)
{
    PGresult *r;
    while ((r = PQgetResult(db)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_COPY_OUT) {
            char *buf;
            while (PQgetCopyData(db, &buf, 0) > 0)
                PQfreemem(buf);
        } else if (st == PGRES_COPY_IN) {
            PQputCopyEnd(db, "aftershock sql does not run COPY");
        } else if (st == PGRES_COPY_BOTH) {
            break; /* replication only; the connection is closed after us */
        }
    }
}

as_err sql_run(PGconn *db, const struct sql_run_opts *o, const struct sql_sink *sink,
               long long *nrows)
{
    *nrows = 0;
    as_err e = guard_open(db, o);
    if (e)
        return e;
    struct sql_column *cols = NULL;
    int ncols = -1;
    const char **values = NULL;
    PGresult *r = NULL;
    if (!PQsendQueryParams(db, o->query, o->nparams, NULL, o->params, NULL, NULL, 0)) {
        e = query_error(NULL, db, o);
        goto done;
    }
    if (!PQsetSingleRowMode(db)) {
        e = as_fail(AS_ERR_DB, "sql: cannot switch libpq to single-row mode");
        goto done;
    }
    while ((r = PQgetResult(db)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
            /* Not an error of the server's, so there is no message to
             * quote; results_drain() below ends the COPY. */
            e = as_fail(AS_ERR_USAGE, "sql: COPY is not run by aftershock sql: give the "
                                      "SELECT itself (--format csv writes CSV)");
            goto done;
        }
        if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            e = query_error(r, db, o);
            goto done;
        }
        if (ncols < 0 && st != PGRES_COMMAND_OK) {
            /* The first result of either kind carries the row description. */
            ncols = PQnfields(r);
            cols = calloc((size_t)ncols + 1, sizeof *cols);
            values = calloc((size_t)ncols + 1, sizeof *values);
            if (!cols || !values) {
                e = as_fail(AS_ERR_NOMEM, "out of memory");
                goto done;
            }
            for (int c = 0; c < ncols; c++) {
                cols[c].name = strdup(PQfname(r, c));
                if (!cols[c].name) {
                    e = as_fail(AS_ERR_NOMEM, "out of memory");
                    goto done;
                }
                cols[c].type = sql_type_from_oid(PQftype(r, c));
            }
            if ((e = sink->begin(sink->self, cols, ncols)))
                goto done;
        }
        if (st == PGRES_COMMAND_OK && ncols < 0) {
            e = as_fail(AS_ERR_USAGE, "sql: the statement returns no rows (only queries that "
                                      "return rows are allowed)");
            goto done;
        }
        if (st == PGRES_SINGLE_TUPLE) {
            for (int c = 0; c < ncols; c++)
                values[c] = PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
            if ((e = sink->row(sink->self, values, ncols)))
                goto done;
            (*nrows)++;
        }
        PQclear(r);
        r = NULL;
    }
    if (ncols >= 0)
        e = sink->end(sink->self, *nrows);
done:
    PQclear(r);
    if (e)
        /* Read what is still in flight (rather than PQcancel, whose request
         * could race with and cancel the ROLLBACK below). */
        results_drain(db);
    db_rollback(db);
    if (cols)
        for (int c = 0; c < ncols; c++)
            free((char *)cols[c].name);
    free(cols);
    free(values);
    return e;
}
