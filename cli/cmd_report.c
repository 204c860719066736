/*
 * cmd_report.c -- `aftershock report --event DATE [-o FILE.xlsx]`: the
 * event workbook.  Parsing only; reports/report_data.c gathers, and
 * reports/report_workbook.c writes.
 */
#include "cli/cli.h"
#include "common/config.h"
#include "common/db.h"
#include "common/msg.h"
#include "common/pgcluster.h"
#include "reports/outfile.h"
#include "reports/report_data.h"
#include "reports/report_workbook.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The same default as cli/main.c; the build may pass -DAS_VERSION. */
#ifndef AS_VERSION
#define AS_VERSION "0.1.0"
#endif

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock report --event YYYY-MM-DD [-o FILE.xlsx]\n"
            "\n"
            "Writes the event workbook: Summary, Events, Impact, Groups, Charts, Data and\n"
            "Method sheets, for the event on trading day YYYY-MM-DD, from what the\n"
            "database stores: the study (`aftershock study --event D`), the detected\n"
            "events (`aftershock events detect`) and the summaries (`aftershock summarize\n"
            "--event D`); `aftershock nightly --date D` runs all of them.  The file is\n"
            "written under a temporary name and renamed.\n"
            "\n"
            "  --event D        day 0 of the event (a trading day of the market proxy)\n"
            "  -o FILE          output (default: report.dir/aftershock-D.xlsx)\n"
            "\n"
            "exit codes: 0 ok, 1 failure (no stored study for D), 2 usage,\n"
            "3 database unreachable.\n");
}

/* "aftershock report --event ..." for the Method sheet; heap, caller frees. */
static char *command_line(int argc, char **argv)
{
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    if (!m)
        return NULL;
    fputs("aftershock", m);
    for (int i = 0; i < argc; i++)
        fprintf(m, " %s", argv[i]);
    fclose(m);
    return s;
}

int cmd_report(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        report_usage(stdout);
        return AS_EXIT_OK;
    }
    static const struct option longopts[] = {
        {"event", required_argument, NULL, 'e'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    struct report_opts o = {.version = AS_VERSION};
    const char *path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            o.date = optarg;
            break;
        case 'o':
            path = optarg;
            break;
        default:
            report_usage(stderr);
            return AS_EXIT_USAGE;
        }
    }
    if (!o.date || optind != argc) {
        as_error("report: --event YYYY-MM-DD is required (and nothing else)");
        return AS_EXIT_USAGE;
    }
    as_err e = config_load(ctx->config_path);
    if (e)
        return as_error_last(e);
    char defpath[4096];
    if (!path) {
        const char *dir = config_get("report.dir");
        char home[3000];
        snprintf(home, sizeof home, "%s/reports", pgcluster_home());
        if (!dir[0])
            dir = home;
        if ((e = outfile_mkdirs(dir)))
            return as_error_last(e);
        snprintf(defpath, sizeof defpath, "%s/aftershock-%s.xlsx", dir, o.date);
        path = defpath;
    }
    PGconn *db;
    if ((e = db_connect(&db, ctx->db_opt, 0)))
        return as_error_last(e);
    char *cl = command_line(argc, argv);
    o.command_line = cl;
    struct report_data d;
    e = report_data_load(&d, db, &o);
    db_close(db);
    if (!e) {
        e = report_workbook_write(path, &d);
        report_data_free(&d);
    }
    free(cl);
    if (e)
        return as_error_last(e);
    printf("%s\n", path);
    return AS_EXIT_OK;
}
