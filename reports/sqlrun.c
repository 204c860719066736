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

/* The guard: read-only transaction, the analyst role, the timeout. */
static as_err guard_open(PGconn *db, const struct sql_run_opts *o)
{
    const char *role = o->role ? o->role : "analyst";
    char *quoted = PQescapeIdentifier(db, role, strlen(role));
    if (!quoted)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    char sql[512];
    snprintf(sql, sizeof sql,
             "BEGIN TRANSACTION READ ONLY; SET LOCAL ROLE %s; "
             "SET LOCAL statement_timeout = %lld; SET LOCAL TimeZone = 'UTC'; "
             "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1",
             quoted, (long long)o->timeout_s * 1000);
    PQfreemem(quoted);
    as_err e = db_exec(db, sql);
    if (e) {
        db_rollback(db);
        return as_fail_context(e, "sql: cannot switch to the read-only role '%s'", role);
    }
    return AS_OK;
}

/* Read what is left of a failed query so the connection can be used
 * again. */
static void results_drain(PGconn *db)
{
    PGresult *r;
    while ((r = PQgetResult(db)) != NULL)
        PQclear(r);
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
