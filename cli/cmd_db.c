/*
 * cmd_db.c -- `aftershock db start|stop|status|url|psql|migrate`.
 *
 * start/stop/status/url act on the embedded cluster; psql and migrate act on
 * whatever database the usual resolution picks (--db, DATABASE_URL, PG*,
 * embedded).
 */
#include "cli/cli.h"
#include "common/db.h"
#include "common/msg.h"
#include "common/pgcluster.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void db_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock db start|stop|status|url|psql|migrate\n"
            "\n"
            "  start    initialise (first time) and start the embedded PostgreSQL\n"
            "  stop     stop the embedded PostgreSQL\n"
            "  status   say whether it runs, and where\n"
            "  url      print its postgresql:// URL (for psql, DATABASE_URL, BI tools)\n"
            "  psql     open psql on the database aftershock uses\n"
            "  migrate  apply pending schema migrations (sql/NNN_*.sql)\n"
            "\n"
            "The embedded cluster lives in $AFTERSHOCK_HOME (now: %s) and listens\n"
            "only on a unix socket in a private directory.  --db, DATABASE_URL or\n"
            "PG* variables select another server for psql and migrate.\n",
            pgcluster_home());
}

int cmd_db(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        db_usage(stdout);
        return AS_EXIT_OK;
    }
    if (argc != 2) {
        db_usage(stderr);
        return AS_EXIT_USAGE;
    }
    const char *sub = argv[1];
    as_err e;
    if (strcmp(sub, "start") == 0) {
        if ((e = pgcluster_start()))
            return as_error_last(e);
        char url[PATH_MAX * 3];
        if ((e = pgcluster_url(url, sizeof url)))
            return as_error_last(e);
        PGconn *c;
        if ((e = db_connect(&c, NULL, DB_CONNECT_NO_START)))
            return as_error_last(e);
        db_close(c);
        as_note("embedded PostgreSQL running: %s", url);
        return AS_EXIT_OK;
    }
    if (strcmp(sub, "stop") == 0) {
        if ((e = pgcluster_stop()))
            return as_error_last(e);
        as_note("embedded PostgreSQL stopped");
        return AS_EXIT_OK;
    }
    if (strcmp(sub, "status") == 0) {
        const char *detail;
        int up = pgcluster_running(&detail);
        printf("%s\n", detail);
        return up ? AS_EXIT_OK : AS_EXIT_DB;
    }
    if (strcmp(sub, "url") == 0) {
        char url[PATH_MAX * 3];
        if ((e = pgcluster_url(url, sizeof url)))
            return as_error_last(e);
        printf("%s\n", url);
        return AS_EXIT_OK;
    }
    if (strcmp(sub, "migrate") == 0) {
        PGconn *c;
        if ((e = db_connect(&c, ctx->db_opt, DB_CONNECT_NO_MIGRATE)))
            return as_error_last(e);
        int applied;
        e = db_migrate(c, &applied);
        db_close(c);
        if (e)
            return as_error_last(e);
        printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
        return AS_EXIT_OK;
    }
    if (strcmp(sub, "psql") == 0) {
        PGconn *c;
        if ((e = db_connect(&c, ctx->db_opt, 0)))
            return as_error_last(e);
        /* Hand psql the exact parameters of the working connection. */
        char conninfo[PATH_MAX * 2];
        snprintf(conninfo, sizeof conninfo, "host='%s' port=%s user='%s' dbname='%s'",
                 PQhost(c), PQport(c), PQuser(c), PQdb(c));
        db_close(c);
        char psql[PATH_MAX];
        snprintf(psql, sizeof psql, "%s/psql", pgcluster_bindir());
        if (access(psql, X_OK) != 0)
            snprintf(psql, sizeof psql, "psql");
        fflush(NULL);
        execlp(psql, "psql", conninfo, (char *)NULL);
        as_error("cannot run psql: install postgresql-client-15");
        return AS_EXIT_FAILURE;
    }
    as_error("db: unknown action '%s'", sub);
    db_usage(stderr);
    return AS_EXIT_USAGE;
}
