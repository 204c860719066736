/*
 * cmd_summarize.c -- `aftershock summarize`: one guarded paragraph per
 * stock of a fact sheet, written by the built-in distilled model (or any
 * model made by `aftershock model distill`), checked by the guard, with the
 * narrator as the fallback (model/guard_summarize.h).
 *
 * The fact sheet is read from a file in the text form of model/factsheet.h
 * (--facts), or built from the study stored for a date (--event D,
 * reports/event_summary.h), whose summaries then go into the summaries
 * table -- the nightly run's summarize step.
 */
#include "cli/cli.h"
#include "common/error.h"
#include "common/msg.h"
#include "model/factsheet.h"
#include "model/guard_store.h"
#include "model/guard_summarize.h"
#include "common/db.h"
#include "reports/event_summary.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MODEL "model/weights/aftershock-summary.gguf"

static void summarize_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock summarize --facts FILE [--show-facts] [--model FILE]\n"
            "                            [--seed N] [-t THREADS] [--store]\n"
            "       aftershock summarize --event YYYY-MM-DD [--model FILE] [-t THREADS]\n"
            "\n"
            "Writes one paragraph per stock of the fact sheet FILE with the distilled\n"
            "model (default " DEFAULT_MODEL "), checks every number,\n"
            "ticker, date and direction against the sheet, regenerates a failing\n"
            "summary once and otherwise uses the narrator's text (flagged).\n"
            "\n"
            "  --show-facts   print the fact sheet (the model's prompt) and stop\n"
            "  --store        also save them in the summaries table (one transaction)\n"
            "  --event D      the fact sheet of the study stored for D (`aftershock study\n"
            "                 --event D`); the summaries are stored.  Without the model\n"
            "                 file the narrator writes them, stored as model 'narrator'\n"
            "                 with fallback = true\n"
            "\n"
            "exit codes: 0 ok, 1 failure (bad fact sheet, bad model), 2 usage,\n"
            "            3 database unreachable (--store)\n");
}

/* Read a whole file: heap string, caller frees; NULL with as_fail set. */
static char *file_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        as_fail(AS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (len + 1 == cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) {
        as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
        return NULL;
    }
    if (err) {
        free(buf);
        as_fail(AS_ERR_IO, "cannot read '%s'", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int cmd_summarize(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        summarize_usage(stdout);
        return cli_finish(AS_EXIT_OK);
    }
    enum { O_FACTS = 256, O_SHOW, O_MODEL, O_SEED, O_EVENT, O_STORE };
    static const struct option opts[] = {
        {"facts", required_argument, 0, O_FACTS}, {"show-facts", no_argument, 0, O_SHOW},
        {"model", required_argument, 0, O_MODEL}, {"seed", required_argument, 0, O_SEED},
        {"event", required_argument, 0, O_EVENT}, {"threads", required_argument, 0, 't'},
        {"store", no_argument, 0, O_STORE},       {0, 0, 0, 0}};
    const char *facts = NULL, *model_path = DEFAULT_MODEL, *event = NULL;
    int show = 0, store = 0, seed_given = 0;
    long seed = 1, threads = 2;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:", opts, NULL)) != -1) {
        switch (c) {
        case O_FACTS: facts = optarg; break;
        case O_SHOW: show = 1; break;
        case O_STORE: store = 1; break;
        case O_MODEL: model_path = optarg; break;
        case O_SEED:
            if (cli_parse_int("--seed", optarg, 0, 0x7fffffff, &seed)) return AS_EXIT_USAGE;
            seed_given = 1;
            break;
        case 't':
            if (cli_parse_int("-t", optarg, 1, 256, &threads)) return AS_EXIT_USAGE;
            break;
        case O_EVENT: event = optarg; break;
        case ':':
            as_error("summarize: option '%s' needs a value", argv[optind - 1]);
            return AS_EXIT_USAGE;
        default:
            as_error("summarize: unknown option '%s'", argv[optind - 1]);
            return AS_EXIT_USAGE;
        }
    }
    if (event && !facts && !show && !store && !seed_given && optind == argc) {
        PGconn *db;
        as_err e = db_connect(&db, ctx->db_opt, 0);
        if (e)
            return as_error_last(e);
        struct event_summary_result r;
        e = event_summarize(&r, db, event, model_path, (int)threads);
        db_close(db);
        if (e)
            return as_error_last(e);
        printf("%s: %d summaries stored by %s (%d narrator fallback%s)\n", event, r.n, r.model,
               r.fallback, r.fallback == 1 ? "" : "s");
        return cli_finish(AS_EXIT_OK);
    }
    if (event) {
        as_error("summarize: --event D takes only --model and -t");
        return AS_EXIT_USAGE;
    }
    if (!facts || optind != argc) {
        as_error("summarize: needs --facts FILE and no other arguments");
        summarize_usage(stderr);
        return AS_EXIT_USAGE;
    }
    char *text = file_slurp(facts);
    if (!text)
        return as_error_last(AS_ERR_IO);
    factsheet fs;
    as_err e = factsheet_parse(&fs, text, facts);
    free(text);
    if (e)
        return as_error_last(e);
    int code = AS_EXIT_OK;
    if (show) {
        char *s = factsheet_write(&fs);
        if (!s) {
            factsheet_clear(&fs);
            return as_error_last(as_fail(AS_ERR_NOMEM, "out of memory"));
        }
        fputs(s, stdout);
        free(s);
        factsheet_clear(&fs);
        return cli_finish(AS_EXIT_OK);
    }
    guard_summarizer *gs = NULL;
    summary *out = calloc((size_t)(fs.n_stocks ? fs.n_stocks : 1), sizeof *out);
    if (!out)
        e = as_fail(AS_ERR_NOMEM, "out of memory");
    if (!e)
        e = guard_summarizer_open(&gs, model_path, fs.n_stocks ? fs.n_stocks : 1, (int)threads);
    if (!e)
        e = guard_summarize_sheet(out, gs, &fs, (uint64_t)seed);
    PGconn *conn = NULL;
    if (!e && store && !(e = db_connect(&conn, ctx->db_opt, 0)))
        e = summaries_store(conn, &fs, out, guard_summarizer_model(gs),
                            guard_summarizer_teacher(gs));
    db_close(conn);
    if (e) {
        code = as_error_last(e);
        for (int i = 0; out && i < fs.n_stocks; i++)
            summary_free(&out[i]);
    } else {
        int raw = 0, fallback = 0;
        for (int i = 0; i < fs.n_stocks; i++) {
            printf("## %s  [%s%s]\n%s\n\n", fs.stocks[i].ticker,
                   out[i].fallback ? "narrator fallback" : guard_summarizer_model(gs),
                   out[i].raw_pass ? "" : ", failed the guard as generated", out[i].text);
            raw += out[i].raw_pass;
            fallback += out[i].fallback;
            summary_free(&out[i]);
        }
        as_note("%d summaries: %d passed the guard as generated, %d regenerated, %d narrator "
                "fallbacks (teacher: %s)",
                fs.n_stocks, raw, fs.n_stocks - raw - fallback, fallback,
                guard_summarizer_teacher(gs));
    }
    free(out);
    guard_summarizer_close(gs);
    factsheet_clear(&fs);
    return cli_finish(code);
}
