/*
 * cmd_demo.c -- `aftershock demo`: the bundled DeepSeek-weeks data loaded
 * through the same ingest code a nightly job uses against live providers
 * (file:// URLs instead of https://), into the database aftershock resolves
 * (the embedded cluster unless told otherwise).
 *
 * The data folder: --data DIR, else $AFTERSHOCK_DATA, else data/ beside the
 * executable, else ./data.  Running it twice changes nothing the second time.
 */
#include "cli/cli.h"
#include "common/db.h"
#include "common/msg.h"
#include "ingest/ingest.h"
#include "ingest/reference.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/csv.h"

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock demo [--data DIR]\n"
            "\n"
            "Loads the bundled real data for the DeepSeek weeks (prices 2023-01-03..2025-06-30\n"
            "for 21 tickers and the S&P 500, security metadata, shares outstanding, 26 news\n"
            "items) through the regular ingest code, then prints what the database holds.\n"
            "\n"
            "  --data DIR   the data folder (default: data/ beside the executable)\n");
}

/* Find the data folder; returns 0 and fills dir, or -1. */
static int data_dir_find(char *dir, size_t len, const char *opt)
{
    char exe[PATH_MAX], probe[PATH_MAX + 32];
    const char *cands[3] = {opt, getenv("AFTERSHOCK_DATA"), NULL};
    for (int i = 0; i < 2; i++) {
        if (!cands[i] || !cands[i][0])
            continue;
        snprintf(probe, sizeof probe, "%s/securities.csv", cands[i]);
        if (access(probe, R_OK) != 0) {
            as_error("'%s' is not an aftershock data folder (no securities.csv)", cands[i]);
            return -1;
        }
        if (!realpath(cands[i], dir))
            return -1;
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        /* The binary sits at the top of the tree, or in build-san/. */
        const char *rel[] = {"data", "../data"};
        for (int i = 0; i < 2; i++) {
            snprintf(probe, sizeof probe, "%s/%s/securities.csv", exe, rel[i]);
            if (access(probe, R_OK) == 0) {
                snprintf(probe, sizeof probe, "%s/%s", exe, rel[i]);
                if (realpath(probe, dir))
                    return 0;
            }
        }
    }
    if (access("data/securities.csv", R_OK) == 0 && realpath("data", dir))
        return 0;
    (void)len;
    as_error("cannot find the bundled data folder; pass --data DIR");
    return -1;
}

/* The tickers of securities.csv, in file order; heap array of heap strings. */
static as_err tickers_read(const char *path, char ***out, size_t *n)
{
    struct csv_reader r;
    as_err e = csv_open(&r, path);
    *out = NULL;
    *n = 0;
    if (e)
        return e;
    int rc = csv_next(&r);
    int col = rc == 1 ? csv_find(&r, "ticker") : -1;
    if (col < 0) {
        csv_close(&r);
        return as_fail(AS_ERR_PARSE, "'%s': line 1: missing column 'ticker'", path);
    }
    char **list = NULL;
    size_t cnt = 0;
    while ((rc = csv_next(&r)) == 1) {
        char **p = realloc(list, (cnt + 1) * sizeof *p);
        if (!p || !(p[cnt] = strdup((size_t)col < r.nfields ? r.fields[col] : ""))) {
            free(p ? p : list);
            csv_close(&r);
            return as_fail(AS_ERR_NOMEM, "out of memory");
        }
        list = p;
        cnt++;
    }
    csv_close(&r);
    if (rc < 0) {
        for (size_t i = 0; i < cnt; i++)
            free(list[i]);
        free(list);
        return AS_ERR_PARSE;
    }
    *out = list;
    *n = cnt;
    return AS_OK;
}

static void progress_cb(void *arg, size_t done, size_t total, long long rows)
{
    as_progress("%s %zu/%zu, %lld rows", (const char *)arg, done, total, rows);
}

/* Print one report's failures; returns how many targets failed. */
static size_t report_print(const struct ingest_report *rep, long long *rows)
{
    long long ins = 0, upd = 0, same = 0;
    for (size_t i = 0; i < rep->ntargets; i++) {
        const struct ingest_target *t = &rep->targets[i];
        if (t->err) {
            as_error("%s %s %s: %s", rep->kind, rep->source, t->target, t->error ? t->error : as_strerror(t->err));
            continue;
        }
        if (t->warning)
            as_warn("%s %s %s: %s", rep->kind, rep->source, t->target, t->warning);
        ins += t->inserted;
        upd += t->updated;
        same += t->unchanged;
    }
    as_progress_end();
    printf("%-7s %-8s %3zu targets: %lld new, %lld changed, %lld unchanged rows\n", rep->kind,
           rep->source, rep->ntargets, ins, upd, same);
    *rows += ins + upd + same;
    return rep->nfailed;
}

static as_err demo_load(PGconn *db, const char *dir, size_t *failed)
{
    char path[PATH_MAX + 64], tmpl[PATH_MAX + 64], rss[PATH_MAX + 64], json[PATH_MAX + 64];
    long long changed, rows = 0;
    as_err e;
    *failed = 0;

    snprintf(path, sizeof path, "%s/securities.csv", dir);
    if ((e = reference_load_securities(db, path, &changed)))
        return e;
    printf("securities: %lld rows changed\n", changed);
    snprintf(path, sizeof path, "%s/shares_outstanding.csv", dir);
    if ((e = reference_load_shares(db, path, &changed)))
        return e;
    printf("shares outstanding: %lld rows changed\n", changed);

    char **tickers;
    size_t n;
    snprintf(path, sizeof path, "%s/securities.csv", dir);
    if ((e = tickers_read(path, &tickers, &n)))
        return e;
    struct ingest_prices_opts po = {0};
    po.source = PRICE_SRC_CSV;
    po.tickers = (const char *const *)tickers;
    po.ntickers = n;
    snprintf(tmpl, sizeof tmpl, "file://%s/prices/{ticker}.csv", dir);
    po.url_template = tmpl;
    po.http = http_opts_default();
    po.progress = progress_cb;
    po.progress_arg = "prices";
    struct ingest_report rep = {0};
    e = ingest_prices(db, &po, &rep);
    *failed += report_print(&rep, &rows);
    ingest_report_free(&rep);
    for (size_t i = 0; i < n; i++)
        free(tickers[i]);
    free(tickers);
    if (e && e != AS_ERR_SOURCE)
        return e;

    snprintf(rss, sizeof rss, "file://%s/news/deepseek-2025-01.rss", dir);
    snprintf(json, sizeof json, "file://%s/news/deepseek-2025-01.json", dir);
    struct {
        enum news_source src;
        const char *url;
    } feeds[] = {{NEWS_SRC_RSS, rss}, {NEWS_SRC_NEWSAPI, json}};
    for (size_t i = 0; i < 2; i++) {
        struct ingest_news_opts no = {0};
        no.source = feeds[i].src;
        no.urls = &feeds[i].url;
        no.nurls = 1;
        no.http = http_opts_default();
        no.progress = progress_cb;
        no.progress_arg = "news";
        struct ingest_report nrep = {0};
        as_err ne = ingest_news(db, &no, &nrep);
        *failed += report_print(&nrep, &rows);
        ingest_report_free(&nrep);
        if (ne && ne != AS_ERR_SOURCE)
            return ne;
    }
    return AS_OK;
}

/* What the database now holds, as an analyst would check it. */
static as_err demo_show(PGconn *db)
{
    PGresult *r;
    as_err e = db_query(db, &r,
                        "SELECT (SELECT count(*) FROM securities), (SELECT count(*) FROM prices),"
                        " (SELECT count(DISTINCT ticker) FROM prices), (SELECT min(date) FROM prices),"
                        " (SELECT max(date) FROM prices), (SELECT count(*) FROM news),"
                        " (SELECT close FROM prices WHERE ticker = 'NVDA' AND date = '2025-01-24'),"
                        " (SELECT close FROM prices WHERE ticker = 'NVDA' AND date = '2025-01-27')",
                        0, NULL);
    if (e)
        return e;
    printf("database: %s securities, %s price rows for %s tickers (%s..%s), %s news items\n",
           PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
           PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5));
    if (!PQgetisnull(r, 0, 6) && !PQgetisnull(r, 0, 7)) {
        double a = strtod(PQgetvalue(r, 0, 6), NULL), b = strtod(PQgetvalue(r, 0, 7), NULL);
        printf("NVDA close 2025-01-24 %s -> 2025-01-27 %s (%+.3f %%)\n", PQgetvalue(r, 0, 6),
               PQgetvalue(r, 0, 7), (b / a - 1) * 100);
    }
    PQclear(r);
    return AS_OK;
}

int cmd_demo(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *data_opt = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data_opt = optarg; break;
        case 'h': demo_usage(stdout); return AS_EXIT_OK;
        default: demo_usage(stderr); return AS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        demo_usage(stderr);
        return AS_EXIT_USAGE;
    }
    char dir[PATH_MAX];
    if (data_dir_find(dir, sizeof dir, data_opt) != 0)
        return AS_EXIT_USAGE;
    PGconn *db;
    as_err e = db_connect(&db, ctx->db_opt, 0);
    if (e)
        return as_error_last(e);
    as_note("loading %s into the database (%s)", dir, db_origin());
    size_t failed = 0;
    e = demo_load(db, dir, &failed);
    if (!e)
        e = demo_show(db);
    db_close(db);
    if (e)
        return as_error_last(e);
    if (failed) {
        as_error("%zu source%s failed to load", failed, failed == 1 ? "" : "s");
        return AS_EXIT_SOURCE;
    }
    return AS_EXIT_OK;
}
