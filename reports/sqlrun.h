/*
 * sqlrun.h -- run one analyst query safely and stream its rows to a sink.
 *
 * The connection must be the analyst login's (sql_connect()): the role
 * switch alone is no boundary, since a query can reset the role to the
 * session user (set_config('role', 'none', true)).  So sql_run() opens a
 * READ ONLY transaction, refuses (AS_ERR_USAGE) a session user that is a
 * superuser or could act -- itself or through a role it may SET ROLE to --
 * with any right beyond the read-only role's (writes, ownership, CREATE,
 * reads the role lacks, server files, SECURITY DEFINER functions), then
 * switches to the read-only role (SET LOCAL ROLE analyst), sets a
 * statement timeout and session formats that make values parseable
 * (TimeZone UTC, DateStyle ISO), sends the query
 * with its $1..$n text parameters in libpq single-row mode, and hands each
 * row to the sink as it arrives, so memory stays flat whatever the result
 * size.  The transaction is always rolled back: nothing an analyst query
 * does can persist.  A write attempt, a missing privilege and a timeout get
 * their own clear messages.
 *
 * Not here: formatting (sqlout.c) and files (outfile.c).
 */
#ifndef AS_SQLRUN_H
#define AS_SQLRUN_H

#include <libpq-fe.h>

#include "common/error.h"

/* How a result column is written: chosen from the column's type OID. */
enum sql_type {
    SQL_TYPE_TEXT = 0,
    SQL_TYPE_INTEGER,     /* int2, int4, int8, oid */
    SQL_TYPE_NUMERIC,     /* float4, float8, numeric */
    SQL_TYPE_BOOLEAN,
    SQL_TYPE_DATE,
    SQL_TYPE_TIMESTAMP,   /* timestamp without time zone */
    SQL_TYPE_TIMESTAMPTZ, /* delivered in UTC (the session's TimeZone) */
};

struct sql_column {
    const char *name; /* owned by the run; valid until sink->end returns */
    enum sql_type type;
};

/* Where rows go.  values[i] is NULL for SQL NULL, else libpq's text form
 * (valid only during the call).  Any callback may fail with an as_err,
 * which stops the run. */
struct sql_sink {
    as_err (*begin)(void *self, const struct sql_column *cols, int ncols);
    as_err (*row)(void *self, const char *const *values, int ncols);
    as_err (*end)(void *self, long long nrows);
    void *self;
};

struct sql_run_opts {
    const char *query;
    const char *const *params; /* nparams text values for $1..$n */
    int nparams;
    int timeout_s;   /* statement timeout; 0 = none */
    const char *role; /* NULL = "analyst" */
};

enum sql_type sql_type_from_oid(Oid oid);

/* The connection analysts' queries run on.  With setting sql.url: that
 * conninfo or URI as is (no migrations).  Otherwise the database
 * db_connect(db_opt) reaches -- connected to once as its owner to start the
 * embedded cluster and apply migrations -- logged into as setting sql.user
 * (default aftershock_analyst, a member of analyst made by
 * sql/060_analyst_login.sql; the embedded cluster trusts its socket,
 * elsewhere the password comes from PGPASSWORD or ~/.pgpass).  Caller
 * db_close()s. */
as_err sql_connect(PGconn **out, const char *db_opt);

/* Run (see above).  *nrows = rows delivered (also on failure). */
as_err sql_run(PGconn *db, const struct sql_run_opts *o, const struct sql_sink *sink,
               long long *nrows);

#endif
