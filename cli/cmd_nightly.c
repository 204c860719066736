/*
 * cmd_nightly.c -- `aftershock nightly [--date D]`: ingest, detect events,
 * study, summarize, report and distribute one trading day
 * (reports/nightly.c), one step per line on stderr, the workbook's path on
 * stdout.
 */
#include "analytics/calendar.h"
#include "cli/cli.h"
#include "common/config.h"
#include "common/db.h"
#include "common/msg.h"
#include "reports/nightly.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The same default as cli/main.c; the build may pass -DAS_VERSION. */
#ifndef AS_VERSION
#define AS_VERSION "0.1.0"
#endif

static void nightly_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock nightly [--date YYYY-MM-DD]\n"
            "\n"
            "The nightly run for one trading day (default: the last weekday in New York):\n"
            "  1 ingest      securities.file, securities.shares_file, prices of\n"
            "                ingest.tickers and study.market, ingest.news_feeds\n"
            "  2 detect      score the week's news, cluster it into events\n"
            "  3 study       event study of every stock (study.*), stored in studies\n"
            "  4 summarize   one paragraph per stock into summaries: model.file (default\n"
            "                " NIGHTLY_MODEL_DEFAULT "),\n"
            "                the narrator when that file is absent (flagged)\n"
            "  5 report      the workbook report.dir/aftershock-D.xlsx from what 3-4 stored\n"
            "  6 distribute  to smtp.to by smtp.url, else into report.outbox\n"
            "Every step is logged in the runs table (`aftershock sql \"SELECT * FROM\n"
            "v_runs\"`).  A finished date is not redone; a failed or interrupted run\n"
            "resumes at the step that did not finish.  One run at a time.  A date without\n"
            "a session of study.market skips steps 3-6.\n"
            "\n"
            "cron:    15 22 * * 1-5  aftershock -q nightly\n"
            "\n"
            "exit codes: 0 ok, 1 a step failed (a bad setting such as study.model = factor\n"
            "or an empty smtp.to included) or another run holds the lock, 2 a bad command\n"
            "line, 3 database unreachable, 4 a data source failed.\n");
}

static void on_step(void *arg, const char *step, const char *what, const char *detail)
{
    (void)arg;
    if (strcmp(what, "failed") == 0)
        return; /* the error is printed once, by the caller */
    if (detail && detail[0])
        as_note("nightly: %-10s %s: %s", step, what, detail);
    else
        as_note("nightly: %-10s %s", step, what);
}

int cmd_nightly(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        nightly_usage(stdout);
        return AS_EXIT_OK;
    }
    static const struct option longopts[] = {
        {"date", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    struct nightly_opts o = {.version = AS_VERSION, .progress = on_step};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'd') {
            nightly_usage(stderr);
            return AS_EXIT_USAGE;
        }
        o.date = optarg;
    }
    if (optind != argc) {
        as_error("nightly: unexpected argument '%s'", argv[optind]);
        return AS_EXIT_USAGE;
    }
    int day;
    if (o.date && (strlen(o.date) != 10 || calendar_parse_date(&day, o.date) != AS_OK)) {
        as_error("nightly: --date '%s': expected YYYY-MM-DD", o.date);
        return AS_EXIT_USAGE;
    }
    as_err e = config_load(ctx->config_path);
    if (e)
        return as_error_last(e);
    PGconn *db;
    if ((e = db_connect(&db, ctx->db_opt, 0)))
        return as_error_last(e);
    char *cl = cli_command_line(argc, argv);
    o.command_line = cl;
    char lex[PATH_MAX + 32];
    o.lexicon_dir = cli_lexicon_dir(NULL, lex, sizeof lex);
    /* model.file, else $AFTERSHOCK_MODEL as `summarize` takes it, else the
     * built-in model found from here or beside the binary (a cron job's
     * working directory is not the tree). */
    char model[PATH_MAX + 64];
    const char *env = getenv("AFTERSHOCK_MODEL");
    if (!config_get("model.file")[0])
        o.model_path = env && env[0] ? env
                                     : cli_source_file(NIGHTLY_MODEL_DEFAULT, model, sizeof model);
    struct nightly_result r;
    e = nightly_run(db, &o, &r);
    db_close(db);
    free(cl);
    if (e) {
        as_error_last(e);
        return nightly_exit_code(e, &r);
    }
    if (r.workbook[0])
        printf("%s\n", r.workbook);
    return AS_EXIT_OK;
}
