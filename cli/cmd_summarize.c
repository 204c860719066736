/*
 * cmd_summarize.c -- `aftershock summarize`: one guarded paragraph per
 * stock of an event, written by the built-in distilled model (or any model
 * made by `aftershock model distill`), checked by the guard, with the
 * narrator as the fallback (model/guard_summarize.h).
 *
 * The fact sheet comes from the database (--event D: the stored study of
 * that day, run first when there is none, model/factsheet_db.h) or from a
 * file in the text form of model/factsheet.h (--facts FILE).  Summaries of
 * an --event go to the summaries table; those of a file only with --store.
 * Options only: building sheets, generating, guarding and storing live in
 * model/.
 */
#include "analytics/calendar.h"
#include "cli/cli.h"
#include "common/config.h"
#include "common/db.h"
#include "common/error.h"
#include "common/msg.h"
#include "model/factsheet.h"
#include "model/factsheet_db.h"
#include "model/guard_store.h"
#include "model/guard_summarize.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_MODEL "model/weights/aftershock-summary.gguf"

static void summarize_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock summarize (--event DATE | --facts FILE) [--show-facts]\n"
            "                            [--model FILE] [--seed N] [-t THREADS] [--store]\n"
            "\n"
            "Writes one paragraph per stock of an event with the distilled model\n"
            "(default: the built-in " DEFAULT_MODEL "), checks every\n"
            "number, ticker, date and direction against the fact sheet, regenerates a\n"
            "failing summary once and otherwise uses the narrator's text (flagged).\n"
            "\n"
            "  --event DATE   the event day YYYY-MM-DD: facts from the stored study of\n"
            "                 that day (the study is run first, with the study.* settings,\n"
            "                 when none is stored); summaries saved in the summaries table\n"
            "  --facts FILE   facts from a fact-sheet file instead (no database needed)\n"
            "  --model FILE   any GGUF made by `aftershock model distill`; otherwise the\n"
            "                 model.file setting, $AFTERSHOCK_MODEL, the built-in model\n"
            "                 beside the executable, then in the current directory\n"
            "  --show-facts   print the fact sheet (the model's prompt) and stop\n"
            "  --store        with --facts: also save them in the summaries table\n"
            "\n"
            "exit codes: 0 ok, 1 failure (bad fact sheet, bad model, no data for the\n"
            "            event), 2 usage, 3 database unreachable\n");
}

/* The model without --model, in the nightly run's order: the model.file
 * setting, $AFTERSHOCK_MODEL, then the built-in model beside the executable
 * (or one level up, for build-san/), then the relative path (whose absence
 * the loader reports by name).  Returns buf, a setting or a literal. */
static const char *default_model_find(char *buf, size_t len)
{
    const char *set = config_get("model.file");
    if (set && *set)
        return set;
    const char *env = getenv("AFTERSHOCK_MODEL");
    if (env && *env)
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        const char *dir = dirname(exe);
        const char *rel[] = {"", "../"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(buf, len, "%s/%s" DEFAULT_MODEL, dir, rel[i]);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    return DEFAULT_MODEL;
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
    const char *facts = NULL, *event = NULL, *model_path = NULL;
    char model_buf[PATH_MAX + 64];
    int show = 0, store = 0;
    long seed = 1, threads = 2;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:", opts, NULL)) != -1) {
        switch (c) {
        case O_FACTS: facts = optarg; break;
        case O_EVENT: event = optarg; break;
        case O_SHOW: show = 1; break;
        case O_STORE: store = 1; break;
        case O_MODEL: model_path = optarg; break;
        case O_SEED:
            if (cli_parse_int("--seed", optarg, 0, 0x7fffffff, &seed)) return AS_EXIT_USAGE;
            break;
        case 't':
            if (cli_parse_int("-t", optarg, 1, 256, &threads)) return AS_EXIT_USAGE;
            break;
        case ':':
            as_error("summarize: option '%s' needs a value", argv[optind - 1]);
            return AS_EXIT_USAGE;
        default:
            as_error("summarize: unknown option '%s'", argv[optind - 1]);
            return AS_EXIT_USAGE;
        }
    }
    if (!facts == !event || optind != argc) {
        as_error("summarize: needs --event DATE or --facts FILE (one of them) and no other "
                 "arguments");
        summarize_usage(stderr);
        return AS_EXIT_USAGE;
    }
    int day;
    if (event && (strlen(event) != 10 || calendar_parse_date(&day, event) != AS_OK)) {
        as_error("summarize: --event '%s': expected a date YYYY-MM-DD", event);
        return AS_EXIT_USAGE;
    }
    if (!model_path)
        model_path = default_model_find(model_buf, sizeof model_buf);
    store = store || event;
    factsheet fs;
    as_err e;
    PGconn *conn = NULL;
    if (event) {
        factsheet_db_info info;
        if (!(e = db_connect(&conn, ctx->db_opt, 0)) &&
            !(e = factsheet_load_event(&fs, &info, conn, event))) {
            if (info.ran_study)
                as_note("no study of %s was stored: ran study %lld (%d firms)", event,
                        info.study_id, info.n_firms);
            if (info.n_left_out)
                as_note("%d of %d firms have no day-0 result and are left out", info.n_left_out,
                        info.n_firms);
        }
    } else {
        char *text = file_slurp(facts);
        if (!text)
            return as_error_last(AS_ERR_IO);
        e = factsheet_parse(&fs, text, facts);
        free(text);
    }
    if (e) {
        db_close(conn);
        return as_error_last(e);
    }
    int code = AS_EXIT_OK;
    if (show) {
        db_close(conn);
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
    if (!e && store && (conn || !(e = db_connect(&conn, ctx->db_opt, 0))))
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
                "fallbacks (teacher: %s)%s",
                fs.n_stocks, raw, fs.n_stocks - raw - fallback, fallback,
                guard_summarizer_teacher(gs), store ? "; stored in table summaries" : "");
    }
    free(out);
    guard_summarizer_close(gs);
    factsheet_clear(&fs);
    return cli_finish(code);
}
