/*
 * db.h -- the database, the libpq way.
 *
 * db_connect() resolves the connection in the documented order: --db
 * (conninfo or postgresql:// URI), DATABASE_URL, libpq's own PG* variables
 * (when PGHOST, PGHOSTADDR, PGSERVICE or PGDATABASE is set), and otherwise
 * the embedded cluster under $AFTERSHOCK_HOME, started on demand (see
 * pgcluster.h).  It applies pending migrations from sql/ (embedded in the
 * binary) unless told not to.
 *
 * Every helper here clears its PGresult on every path and records the
 * server's message with as_fail(); none prints.  Passwords are never part of
 * any message.
 */
#ifndef AS_DB_H
#define AS_DB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "common/error.h"

enum {
    DB_CONNECT_NO_MIGRATE = 1, /* do not apply pending migrations */
    DB_CONNECT_NO_START = 2,   /* do not start the embedded cluster */
};

/* Connect (see above).  AS_ERR_DB_CONNECT when unreachable. Caller db_close()s. */
as_err db_connect(PGconn **out, const char *db_opt, unsigned flags);
void db_close(PGconn *conn);

/* db_connect() as another login of the same database: the conninfo the
 * order above picks (db_opt named db_opt_label in messages, NULL = "--db")
 * with its user replaced by user and its password dropped, so libpq looks
 * up that user's own (PGPASSWORD, PGPASSFILE, ~/.pgpass).  user NULL keeps
 * the conninfo's login and password. */
as_err db_connect_as(PGconn **out, const char *db_opt, const char *db_opt_label, const char *user,
                     unsigned flags);

/* Where the connection comes from, for messages: "embedded cluster at ...",
 * "DATABASE_URL", "--db".  Static string. */
const char *db_origin(void);

/* Run one or more statements that return no rows. */
as_err db_exec(PGconn *conn, const char *sql);

/* Run a parameterised statement (text parameters, NULL = SQL NULL).  When
 * res is not NULL the result is handed to the caller, who PQclear()s it. */
as_err db_query(PGconn *conn, PGresult **res, const char *sql, int nparams,
                const char *const *params);

as_err db_begin(PGconn *conn);
as_err db_commit(PGconn *conn);
void db_rollback(PGconn *conn); /* never fails loudly: used on error paths */

/* COPY ... FROM STDIN: begin, put any number of buffers (text format), end.
 * db_copy_end(conn, NULL) finishes; db_copy_end(conn, "why") aborts it. */
as_err db_copy_begin(PGconn *conn, const char *copy_sql);
as_err db_copy_put(PGconn *conn, const char *buf, size_t len);
as_err db_copy_end(PGconn *conn, const char *abort_reason);

/* Append s to a COPY text-format line with \t \n \\ \r escaped; NULL -> \N. */
struct db_copybuf {
    char *data;
    size_t len, cap;
};
as_err db_copybuf_field(struct db_copybuf *b, const char *s, int last);
as_err db_copybuf_flush(PGconn *conn, struct db_copybuf *b); /* put and reset */
void db_copybuf_free(struct db_copybuf *b);

/* Apply the migrations embedded from sql/NNN_*.sql that are not yet in
 * schema_migrations, each in its own transaction.  *applied = how many. */
as_err db_migrate(PGconn *conn, int *applied);

/* Take / release the session-level advisory lock `key` without waiting:
 * AS_ERR_LOCKED when another session holds it. */
as_err db_lock_try(PGconn *conn, long long key);
as_err db_unlock(PGconn *conn, long long key);

#endif
