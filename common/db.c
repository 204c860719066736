/*
 * db.c -- connecting to PostgreSQL and the few helpers every stage uses:
 * statements, transactions, COPY, migrations, advisory locks.
 *
 * Owns the connection-resolution order (see db.h) and the rule that every
 * PGresult is cleared on every path.  Server messages are recorded with
 * as_fail(); nothing here prints.  Not here: the embedded cluster's process
 * management (pgcluster.c) and any table-specific SQL (the stages own that).
 */
#include "common/db.h"
#include "common/migrations.h"
#include "common/pgcluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *origin = "none";

const char *db_origin(void) { return origin; }

/* libpq's messages end with a newline; ours do not. */
static const char *pq_message(const char *m)
{
    static _Thread_local char buf[1024];
    snprintf(buf, sizeof buf, "%s", m ? m : "");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

static int env_set(const char *name)
{
    const char *v = getenv(name);
    return v && v[0];
}

/* The conninfo in the documented order; buf holds the embedded cluster's. */
static as_err conninfo_resolve(const char **conninfo, char *buf, size_t len, const char *db_opt,
                               const char *db_opt_label, unsigned flags)
{
    if (db_opt && db_opt[0]) {
        *conninfo = db_opt;
        origin = db_opt_label;
    } else if (env_set("DATABASE_URL")) {
        *conninfo = getenv("DATABASE_URL");
        origin = "DATABASE_URL";
    } else if (env_set("PGHOST") || env_set("PGHOSTADDR") || env_set("PGSERVICE") ||
               env_set("PGDATABASE")) {
        *conninfo = ""; /* libpq reads PG* and ~/.pgpass itself */
        origin = "PG* environment";
    } else {
        if (!(flags & DB_CONNECT_NO_START)) {
            as_err e = pgcluster_start();
            if (e)
                return e;
        }
        as_err e = pgcluster_conninfo(buf, len);
        if (e)
            return e;
        *conninfo = buf;
        origin = "embedded cluster";
    }
    return AS_OK;
}

/* Open conninfo (*conn NULL only when out of memory); with user set, as
 * that login: every option of conninfo but its user and password, so libpq
 * finds that user's own password (PGPASSWORD, PGPASSFILE, ~/.pgpass) rather
 * than sending another login's. */
static as_err conninfo_open(PGconn **conn, const char *conninfo, const char *user)
{
    *conn = NULL;
    if (!user) {
        const char *keys[] = {"dbname", "fallback_application_name", NULL};
        const char *vals[] = {conninfo, "aftershock", NULL};
        *conn = PQconnectdbParams(keys, vals, 1);
        return AS_OK;
    }
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        as_err e = as_fail(AS_ERR_DB_CONNECT, "cannot connect to the database (%s): %s", origin,
                           err ? pq_message(err) : "out of memory");
        PQfreemem(err);
        return e;
    }
    size_t n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    const char **keys = calloc(n + 3, sizeof *keys), **vals = calloc(n + 3, sizeof *vals);
    if (keys && vals) {
        size_t k = 0;
        for (PQconninfoOption *o = opts; o->keyword; o++) {
            if (!o->val || strcmp(o->keyword, "user") == 0 || strcmp(o->keyword, "password") == 0)
                continue;
            keys[k] = o->keyword;
            vals[k++] = o->val;
        }
        keys[k] = "user";
        vals[k++] = user;
        keys[k] = "fallback_application_name";
        vals[k++] = "aftershock";
        *conn = PQconnectdbParams(keys, vals, 0);
    }
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    return AS_OK;
}

as_err db_connect_as(PGconn **out, const char *db_opt, const char *db_opt_label, const char *user,
                     unsigned flags)
{
    char embedded[4096];
    const char *conninfo;
    *out = NULL;
    as_err e = conninfo_resolve(&conninfo, embedded, sizeof embedded, db_opt,
                                db_opt_label ? db_opt_label : "--db", flags);
    if (e)
        return e;
    PGconn *conn;
    if ((e = conninfo_open(&conn, conninfo, user)))
        return e;
    if (!conn)
        return as_fail(AS_ERR_NOMEM, "cannot allocate a database connection");
    if (PQstatus(conn) != CONNECTION_OK) {
        if (user)
            e = as_fail(AS_ERR_DB_CONNECT, "cannot connect to the database (%s) as '%s': %s",
                        origin, user, pq_message(PQerrorMessage(conn)));
        else
            e = as_fail(AS_ERR_DB_CONNECT, "cannot connect to the database (%s): %s", origin,
                        pq_message(PQerrorMessage(conn)));
        PQfinish(conn);
        return e;
    }
    /* Notices ("relation already exists, skipping") are not for users;
     * warnings and errors still reach us through results. */
    db_exec(conn, "SET client_min_messages = warning");
    if (!(flags & DB_CONNECT_NO_MIGRATE)) {
        int applied;
        e = db_migrate(conn, &applied);
        if (e) {
            PQfinish(conn);
            return e;
        }
    }
    *out = conn;
    return AS_OK;
}

as_err db_connect(PGconn **out, const char *db_opt, unsigned flags)
{
    return db_connect_as(out, db_opt, "--db", NULL, flags);
}

void db_close(PGconn *conn)
{
    if (conn)
        PQfinish(conn);
}

static as_err result_check(PGconn *conn, PGresult *r, const char *what)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN ||
        st == PGRES_SINGLE_TUPLE)
        return AS_OK;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (PQstatus(conn) != CONNECTION_OK)
        return as_fail(AS_ERR_DB_CONNECT, "lost the database connection: %s", pq_message(msg));
    char first[1024];
    snprintf(first, sizeof first, "%s", pq_message(msg));
    return as_fail(AS_ERR_DB, "%s: %s%s%s", what, first, detail ? " (" : "", detail ? detail : "");
}

as_err db_exec(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    as_err e = result_check(conn, r, "query failed");
    PQclear(r);
    return e;
}

as_err db_query(PGconn *conn, PGresult **res, const char *sql, int nparams,
                const char *const *params)
{
    PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    as_err e = result_check(conn, r, "query failed");
    if (e || !res)
        PQclear(r);
    else
        *res = r;
    if (e && res)
        *res = NULL;
    return e;
}

as_err db_begin(PGconn *conn) { return db_exec(conn, "BEGIN"); }

as_err db_commit(PGconn *conn) { return db_exec(conn, "COMMIT"); }

void db_rollback(PGconn *conn)
{
    PGresult *r = PQexec(conn, "ROLLBACK");
    PQclear(r);
}

as_err db_copy_begin(PGconn *conn, const char *copy_sql)
{
    PGresult *r = PQexec(conn, copy_sql);
    as_err e = AS_OK;
    if (PQresultStatus(r) != PGRES_COPY_IN)
        e = result_check(conn, r, "COPY failed");
    if (!e && PQresultStatus(r) != PGRES_COPY_IN)
        e = as_fail(AS_ERR_DB, "COPY did not start");
    PQclear(r);
    return e;
}

as_err db_copy_put(PGconn *conn, const char *buf, size_t len)
{
    while (len > 0) {
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        if (PQputCopyData(conn, buf, chunk) != 1)
            return as_fail(AS_ERR_DB, "COPY failed: %s", pq_message(PQerrorMessage(conn)));
        buf += chunk;
        len -= (size_t)chunk;
    }
    return AS_OK;
}

as_err db_copy_end(PGconn *conn, const char *abort_reason)
{
    if (PQputCopyEnd(conn, abort_reason) != 1)
        return as_fail(AS_ERR_DB, "COPY failed: %s", pq_message(PQerrorMessage(conn)));
    as_err e = AS_OK;
    PGresult *r;
    while ((r = PQgetResult(conn)) != NULL) {
        if (!e && !abort_reason)
            e = result_check(conn, r, "COPY failed");
        PQclear(r);
    }
    return e;
}

static as_err copybuf_reserve(struct db_copybuf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return AS_OK;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + extra)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "out of memory building COPY data");
    b->data = p;
    b->cap = cap;
    return AS_OK;
}

as_err db_copybuf_field(struct db_copybuf *b, const char *s, int last)
{
    size_t n = s ? strlen(s) : 0;
    as_err e = copybuf_reserve(b, 2 * n + 4);
    if (e)
        return e;
    if (!s) {
        memcpy(b->data + b->len, "\\N", 2);
        b->len += 2;
    } else {
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            switch (c) {
            case '\\': b->data[b->len++] = '\\'; b->data[b->len++] = '\\'; break;
            case '\t': b->data[b->len++] = '\\'; b->data[b->len++] = 't'; break;
            case '\n': b->data[b->len++] = '\\'; b->data[b->len++] = 'n'; break;
            case '\r': b->data[b->len++] = '\\'; b->data[b->len++] = 'r'; break;
            default: b->data[b->len++] = c;
            }
        }
    }
    b->data[b->len++] = last ? '\n' : '\t';
    return AS_OK;
}

as_err db_copybuf_flush(PGconn *conn, struct db_copybuf *b)
{
    as_err e = db_copy_put(conn, b->data, b->len);
    b->len = 0;
    return e;
}

void db_copybuf_free(struct db_copybuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Key of the advisory lock that serialises migrations across processes. */
#define MIGRATE_LOCK_KEY 7263100001LL

as_err db_migrate(PGconn *conn, int *applied)
{
    *applied = 0;
    char key[32];
    snprintf(key, sizeof key, "%lld", MIGRATE_LOCK_KEY);
    const char *kp[] = {key};
    as_err e = db_query(conn, NULL, "SELECT pg_advisory_lock($1::bigint)", 1, kp);
    if (e)
        return e;
    e = db_exec(conn,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY,"
                " name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now());"
                "COMMENT ON TABLE schema_migrations IS 'Migrations from sql/NNN_name.sql applied to this database.';"
                "COMMENT ON COLUMN schema_migrations.version IS 'NNN of the migration file.';"
                "COMMENT ON COLUMN schema_migrations.name IS 'Rest of the file name.';"
                "COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied.';");
    for (int i = 0; !e && i < migrations_count; i++) {
        const struct migration *m = &migrations[i];
        char ver[16];
        snprintf(ver, sizeof ver, "%d", m->version);
        const char *vp[] = {ver, m->name};
        PGresult *r;
        if ((e = db_query(conn, &r, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, vp)))
            break;
        int have = PQntuples(r) > 0;
        PQclear(r);
        if (have)
            continue;
        if ((e = db_begin(conn)))
            break;
        e = db_exec(conn, m->sql);
        if (!e)
            e = db_query(conn, NULL, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, vp);
        if (!e)
            e = db_commit(conn);
        if (e) {
            db_rollback(conn);
            e = as_fail_context(e, "migration sql/%03d_%s.sql", m->version, m->name);
            break;
        }
        (*applied)++;
    }
    PGresult *r = PQexecParams(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, kp, NULL, NULL, 0);
    PQclear(r);
    return e;
}

as_err db_lock_try(PGconn *conn, long long key)
{
    char k[32];
    snprintf(k, sizeof k, "%lld", key);
    const char *p[] = {k};
    PGresult *r;
    as_err e = db_query(conn, &r, "SELECT pg_try_advisory_lock($1::bigint)", 1, p);
    if (e)
        return e;
    int got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return got ? AS_OK : as_fail(AS_ERR_LOCKED, "another aftershock run holds lock %lld", key);
}

as_err db_unlock(PGconn *conn, long long key)
{
    char k[32];
    snprintf(k, sizeof k, "%lld", key);
    const char *p[] = {k};
    return db_query(conn, NULL, "SELECT pg_advisory_unlock($1::bigint)", 1, p);
}
