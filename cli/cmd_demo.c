/*
 * cmd_demo.c -- `aftershock demo`: the nightly run (reports/nightly.c) for
 * Monday 2025-01-27 on the bundled DeepSeek-weeks data, read through the
 * same ingest code a nightly job uses against live providers (file:// URLs
 * instead of https://), into the database aftershock resolves (the
 * embedded cluster unless told otherwise), delivered to the outbox whatever
 * SMTP is configured.  Prints one line per step, what the database holds,
 * and the workbook's path last.
 *
 * The data folder: --data DIR, else $AFTERSHOCK_DATA, else data/ beside the
 * executable, else ./data.  Running it twice changes nothing the second
 * time: every step of the date is done and is not redone.
 */
#include "cli/cli.h"
#include "common/config.h"
#include "common/db.h"
#include "common/msg.h"
#include "reports/mail.h"
#include "reports/nightly.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/csv.h"

/* The same default as cli/main.c; the build may pass -DAS_VERSION. */
#ifndef AS_VERSION
#define AS_VERSION "0.1.0"
#endif

#define DEMO_DATE "2025-01-27"
/* Calendar days of prices before the date: the whole bundled series
 * (from 2023-01-03), more than the estimation window needs. */
#define DEMO_LOOKBACK_DAYS 800

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock demo [--data DIR]\n"
            "\n"
            "The nightly run (`aftershock nightly -h`) for " DEMO_DATE " on the bundled real\n"
            "data for the DeepSeek weeks (prices 2023-01-03..2025-06-30 for 21 tickers and\n"
            "the S&P 500, security metadata, shares outstanding, 26 news items): ingest,\n"
            "detect events, study, summarize, report, and delivery to the outbox\n"
            "(report.outbox) whatever smtp.url says.  Prints each step, what the database\n"
            "holds, and the workbook's path.  A second run finds every step done.\n"
            "\n"
            "  --data DIR   the data folder (default: data/ beside the executable)\n"
            "\n"
            "exit codes as for `aftershock nightly`: 1 a step failed (a bad setting\n"
            "included), 2 a bad command line, 3 database unreachable.\n");
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

/* One line per step on stdout: the demo's output is the run itself. */
static void demo_step(void *arg, const char *step, const char *what, const char *detail)
{
    (void)arg;
    if (strcmp(what, "start") == 0 || strcmp(what, "failed") == 0)
        return; /* the error is printed once, by the caller */
    printf("%-10s %s%s%s\n", step, what, detail && detail[0] ? ": " : "", detail ? detail : "");
    fflush(stdout);
}

/* The nightly run on the bundled data. */
static as_err demo_run(PGconn *db, const char *dir, struct nightly_result *r)
{
    char path[PATH_MAX + 64], sec[PATH_MAX + 64], shares[PATH_MAX + 64], url[PATH_MAX + 64],
        feeds[2 * PATH_MAX + 128], lex[PATH_MAX + 32];
    char **tickers;
    size_t n;
    snprintf(sec, sizeof sec, "%s/securities.csv", dir);
    as_err e = tickers_read(sec, &tickers, &n);
    if (e)
        return e;
    char *list = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&list, &len);
    for (size_t i = 0; m && i < n; i++)
        fprintf(m, "%s%s", i ? " " : "", tickers[i]);
    if (m)
        fclose(m);
    for (size_t i = 0; i < n; i++)
        free(tickers[i]);
    free(tickers);
    if (!list)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    snprintf(shares, sizeof shares, "%s/shares_outstanding.csv", dir);
    snprintf(url, sizeof url, "file://%s/prices/{ticker}.csv", dir);
    snprintf(feeds, sizeof feeds,
             "rss file://%s/news/deepseek-2025-01.rss, newsapi file://%s/news/deepseek-2025-01.json",
             dir, dir);
    snprintf(path, sizeof path, "%s/lexicon", dir);
    struct mail_opts mail;
    if ((e = mail_opts_from_config(&mail))) {
        free(list);
        return e;
    }
    mail.smtp_url = ""; /* the demo never mails anyone */
    struct nightly_opts o = {
        .date = DEMO_DATE, .tickers = list, .price_source = "csv", .price_url = url,
        .news_feeds = feeds, .securities_file = sec, .shares_file = shares,
        .lookback_days = DEMO_LOOKBACK_DAYS, .mail = &mail,
        .lexicon_dir = access(path, R_OK) == 0 ? path : cli_lexicon_dir(NULL, lex, sizeof lex),
        .command_line = "aftershock demo", .version = AS_VERSION, .progress = demo_step,
    };
    char model[PATH_MAX + 64];
    /* model.file, else $AFTERSHOCK_MODEL as `summarize` takes it, else the
     * built-in model found from here or beside the binary. */
    const char *env = getenv("AFTERSHOCK_MODEL");
    if (!config_get("model.file")[0])
        o.model_path = env && env[0] ? env
                                     : cli_source_file(NIGHTLY_MODEL_DEFAULT, model, sizeof model);
    e = nightly_run(db, &o, r);
    free(list);
    return e;
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
    as_err e = config_load(ctx->config_path);
    if (e)
        return as_error_last(e);
    PGconn *db;
    if ((e = db_connect(&db, ctx->db_opt, 0)))
        return as_error_last(e);
    as_note("nightly run for " DEMO_DATE " on %s into the database (%s)", dir, db_origin());
    struct nightly_result r = {0};
    e = demo_run(db, dir, &r);
    if (!e)
        e = demo_show(db);
    db_close(db);
    if (e) {
        as_error_last(e);
        return nightly_exit_code(e, &r);
    }
    printf("workbook: %s\n", r.workbook);
    return cli_finish(AS_EXIT_OK);
}
