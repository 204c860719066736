/*
 * main.c -- the aftershock front end: global options, the command table and
 * dispatch.  Every subcommand lives in cli/cmd_<name>.c and is listed once in
 * commands[] below, which also drives `aftershock help`.
 *
 * Global options may appear anywhere before "--": --db CONNINFO|URI,
 * --config FILE, -q/--quiet.  They are removed from argv before the
 * subcommand sees it.
 */
#include "cli/cli.h"
#include "common/error.h"
#include "common/msg.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef AS_VERSION
#define AS_VERSION "0.1.0"
#endif

struct command {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
};

/* Keep in the order of the data's journey; `help` prints it as is. */
static const struct command commands[] = {
    {"db", cmd_db, "manage the database: start|stop|status|url|psql|migrate"},
    {"ingest", cmd_ingest, "load prices or news: ingest prices|news --source S ..."},
    {"events", cmd_events, "AI-efficiency announcements -> events on trading sessions: detect|list"},
    {"study", cmd_study, "event study: abnormal returns, CARs and tests (files or database)"},
    {"model", cmd_model, "run, inspect, benchmark or synthesise GGUF language models"},
    {"summarize", cmd_summarize, "guarded per-stock summaries of an event (distilled model)"},
    {"report", cmd_report, "write the event workbook (Excel) for a trading day"},
    {"sql", cmd_sql, "run a read-only query as the analyst role: table, CSV, JSON or Excel"},
    {"nightly", cmd_nightly, "ingest, detect, study, summarize, report, distribute one trading day"},
    {"demo", cmd_demo, "the nightly run for 2025-01-27 on the bundled DeepSeek-weeks data"},
    {"config", cmd_config, "print the effective settings (secrets masked)"},
    {"help", cmd_help, "this list, or `aftershock help CMD`"},
};

static void usage_print(FILE *out)
{
    fprintf(out,
            "usage: aftershock [--db CONNINFO] [--config FILE] [-q] COMMAND [ARGS]\n"
            "\n"
            "Market-impact event studies of AI-efficiency announcements.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out,
            "\n"
            "`aftershock COMMAND -h` shows a command's options.\n"
            "\n"
            "database: --db, else DATABASE_URL, else libpq's PG* variables, else the\n"
            "embedded cluster under $AFTERSHOCK_HOME (started on demand).\n"
            "\n"
            "exit codes:\n"
            "  0  success\n"
            "  1  failure (bad data, a failed step)\n"
            "  2  usage error\n"
            "  3  database unreachable\n"
            "  4  a data source failed\n");
}

static const struct command *command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int cmd_help(cli_ctx *ctx, int argc, char **argv)
{
    if (argc > 1) {
        const struct command *c = command_find(argv[1]);
        if (!c) {
            as_error("unknown command '%s'", argv[1]);
            return AS_EXIT_USAGE;
        }
        char *hargv[] = {(char *)c->name, "--help", NULL};
        return c->fn(ctx, 2, hargv);
    }
    usage_print(stdout);
    return cli_finish(AS_EXIT_OK);
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

const char *cli_source_file(const char *rel, char *buf, size_t len)
{
    if (access(rel, R_OK) == 0) {
        snprintf(buf, len, "%s", rel);
        return buf;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    const char *dir = dirname(exe);
    static const char *const up[] = {"", "../"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(buf, len, "%s/%s%s", dir, up[i], rel);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return NULL;
}

int cli_finish(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        as_error("cannot write to standard output: %s", strerror(errno));
        return code ? code : AS_EXIT_FAILURE;
    }
    return code;
}

int cli_parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        as_error("%s: '%s' is not an integer in [%ld, %ld]", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) {
        as_error("%s: '%s' is not a number", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Take the global options out of argv; returns the new argc or -1. */
static int globals_take(cli_ctx *ctx, int argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        const char **slot = NULL;
        const char *name = NULL;
        if (strcmp(a, "--db") == 0 || strncmp(a, "--db=", 5) == 0) {
            slot = &ctx->db_opt;
            name = "--db";
        } else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
            slot = &ctx->config_path;
            name = "--config";
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            ctx->quiet = 1;
            continue;
        }
        if (!slot) {
            argv[out++] = argv[i];
            continue;
        }
        const char *eq = strchr(a, '=');
        if (eq) {
            *slot = eq + 1;
        } else if (i + 1 < argc) {
            *slot = argv[++i];
        } else {
            as_error("%s needs a value", name);
            return -1;
        }
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    cli_ctx ctx = {0};
    argc = globals_take(&ctx, argc - 1, argv + 1);
    argv++;
    if (argc < 0)
        return AS_EXIT_USAGE;
    as_set_quiet(ctx.quiet);
    if (argc == 0) {
        usage_print(stderr);
        return AS_EXIT_USAGE;
    }
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)
        return cmd_help(&ctx, 1, argv);
    if (strcmp(argv[0], "--version") == 0 || strcmp(argv[0], "version") == 0) {
        printf("aftershock %s\n", AS_VERSION);
        return cli_finish(AS_EXIT_OK);
    }
    const struct command *c = command_find(argv[0]);
    if (!c) {
        as_error("unknown command '%s' (see `aftershock help`)", argv[0]);
        return AS_EXIT_USAGE;
    }
    return cli_finish(c->fn(&ctx, argc, argv));
}
