/*
 * testdb.c -- per-test-program databases in the throwaway cluster, and paths
 * to fixtures.  See testdb.h.
 */
#include "tests/support/testdb.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void notice_ignore(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Rebuild AS_TEST_DB as key=value pairs with dbname replaced. */
static int conninfo_with_db(char *out, size_t len, const char *base, const char *dbname)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(base, &err);
    if (!opts) {
        fprintf(stderr, "testdb: cannot parse AS_TEST_DB: %s\n", err ? err : "?");
        PQfreemem(err);
        return -1;
    }
    size_t n = 0;
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || strcmp(o->keyword, "dbname") == 0)
            continue;
        n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s='%s' ", o->keyword, o->val);
    }
    n += (size_t)snprintf(out + n, n < len ? len - n : 0, "dbname='%s'", dbname);
    PQconninfoFree(opts);
    return n < len ? 0 : -1;
}

int testdb_create(char *conninfo, size_t len, const char *prefix)
{
    const char *base = getenv("AS_TEST_DB");
    if (!base || !base[0])
        return 0;
    char name[128], admin[2048], sql[256];
    snprintf(name, sizeof name, "%s_%ld", prefix, (long)getpid());
    if (conninfo_with_db(admin, sizeof admin, base, "postgres") != 0)
        return -1;
    PGconn *c = PQconnectdb(admin);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "testdb: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PQsetNoticeProcessor(c, notice_ignore, NULL); /* "does not exist, skipping" is expected */
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "testdb: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    if (!ok)
        return -1;
    return conninfo_with_db(conninfo, len, base, name) == 0 ? 1 : -1;
}

void testdb_drop(const char *conninfo)
{
    const char *base = getenv("AS_TEST_DB");
    if (!base || !conninfo)
        return;
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        PQfreemem(err);
        return;
    }
    char dbname[128] = "";
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "dbname") == 0 && o->val)
            snprintf(dbname, sizeof dbname, "%s", o->val);
    PQconninfoFree(opts);
    char admin[2048], sql[256];
    if (!dbname[0] || conninfo_with_db(admin, sizeof admin, base, "postgres") != 0)
        return;
    PGconn *c = PQconnectdb(admin);
    if (PQstatus(c) == CONNECTION_OK) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
        PQclear(PQexec(c, sql));
    }
    PQfinish(c);
}

const char *testdb_src_path(const char *rel)
{
    static char buf[4][4096];
    static int slot;
    const char *src = getenv("AS_SRC_DIR");
    char *out = buf[slot++ % 4];
    snprintf(out, sizeof buf[0], "%s/%s", src && src[0] ? src : ".", rel);
    return out;
}

const char *testdb_shared_path(const char *rel)
{
    static char buf[4][4096];
    static int slot;
    const char *sh = getenv("AS_SHARED_DIR");
    char *out = buf[slot++ % 4];
    snprintf(out, sizeof buf[0], "%s/%s", sh && sh[0] ? sh : "../shared", rel);
    struct stat st;
    return stat(out, &st) == 0 ? out : NULL;
}
