/*
 * cmd_ingest.c -- `aftershock ingest prices|news`: options in, report out.
 *
 * Parses the command line (settings from the config file as defaults),
 * connects, calls ingest_prices() / ingest_news() and prints one result
 * line per target on stdout, warnings and failures on stderr.  No ingest
 * logic lives here.  Exit 0 when every target loaded, 4 when a source
 * failed (the others are still committed), 3 when the database is
 * unreachable, 2 on usage errors.
 */
#include "cli/cli.h"
#include "common/config.h"
#include "common/db.h"
#include "common/msg.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void ingest_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock ingest prices [--source yahoo|stooq|alphavantage|polygon|csv]\n"
            "                         [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
            "                         [--base-url TEMPLATE] [HTTP options] TICKER...\n"
            "       aftershock ingest news --source rss|atom|gdelt|newsapi|json\n"
            "                         [HTTP options] URL...\n"
            "\n"
            "Fetches daily prices (with splits and dividends where the provider sends\n"
            "them) or news, and loads them: each ticker or URL in one transaction, so a\n"
            "failing source loads nothing of itself while the others still load.\n"
            "Re-running the same ingest changes nothing.  Every target is logged in\n"
            "the ingest_runs table.  On a terminal a progress line shows the targets\n"
            "fetched, then loaded, so far, with rows and rows/s (not with -q).\n"
            "\n"
            "  --source S        provider (prices default: ingest.price_source setting)\n"
            "  --from, --to      inclusive date range (default: all the provider has)\n"
            "  --base-url T      URL template replacing the provider endpoint; http(s)://\n"
            "                    or file://, placeholders {ticker} {symbol} {from} {to}\n"
            "                    {from_unix} {to_unix} {apikey}.  csv needs one; a\n"
            "                    template without {ticker} or {symbol} is one file\n"
            "                    holding many tickers (TICKERs then filter it)\n"
            "  --concurrency N   parallel transfers (default: ingest.concurrency)\n"
            "  --timeout S       seconds per transfer (default: ingest.timeout)\n"
            "  --retries N       retries on 429/5xx/transport errors (ingest.retries)\n"
            "  --backoff-ms N    first retry delay, doubled each time (default 500)\n"
            "  --host-interval-ms N  gap between the starts of two requests to one\n"
            "                    host (default: ingest.host_interval_ms, 250)\n"
            "  --retry-after-max S   longest Retry-After honoured; a server asking for\n"
            "                    more fails that source at once (ingest.retry_after_max,\n"
            "                    120)\n"
            "\n"
            "{ticker} is the name prices stores, {symbol} the provider's own: for\n"
            "stooq, NVDA and NVDA.US are both stored as NVDA and fetched as s=nvda.us;\n"
            "a ticker with another Stooq market suffix (.UK .DE .JP .HK .HU) or an\n"
            "index (^SPX) is fetched and stored as given.  Other sources: both are\n"
            "the ticker as typed.\n"
            "\n"
            "news --source json reads a NewsAPI-shaped object or an array of\n"
            "{url, title, published_at, source, summary, body, language, tickers}.\n"
            "API keys: ALPHAVANTAGE_API_KEY, POLYGON_API_KEY, NEWSAPI_KEY or the\n"
            "config file; they are never printed.\n"
            "\n"
            "exit codes: 0 all loaded, 1 failure, 2 usage, 3 database unreachable,\n"
            "4 a data source failed.\n");
}

struct progress_state {
    const char *what;
    struct timespec start;
};

/* "ingest prices: fetching 3/21, 13181 rows, 5400 rows/s, 1.2 MB" while the
 * answers download, then "loading ..." (as_progress draws it only on a
 * terminal). */
static void progress_line(void *arg, const struct ingest_progress *pr)
{
    struct progress_state *p = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - p->start.tv_sec) + (now.tv_nsec - p->start.tv_nsec) / 1e9;
    as_progress("ingest %s: %s %zu/%zu, %lld rows, %.0f rows/s, %.1f MB", p->what, pr->phase,
                pr->done, pr->total, pr->rows, secs > 0 ? (double)pr->rows / secs : 0.0,
                (double)pr->bytes / 1e6);
}

static int report_print(const struct ingest_report *rep)
{
    long long ins = 0, upd = 0, same = 0;
    for (size_t i = 0; i < rep->ntargets; i++) {
        const struct ingest_target *t = &rep->targets[i];
        if (t->warning)
            as_warn("%s (%lld row%s dropped)", t->warning, t->skipped, t->skipped == 1 ? "" : "s");
        if (t->err) {
            as_error("%s", t->error ? t->error : as_strerror(t->err));
            printf("%-12s %-8s FAILED\n", t->target ? t->target : "?", rep->source);
            continue;
        }
        printf("%-12s %-8s inserted %lld, updated %lld, unchanged %lld", t->target, rep->source,
               t->inserted, t->updated, t->unchanged);
        if (t->splits || t->dividends)
            printf("; splits %lld, dividends %lld", t->splits, t->dividends);
        printf("\n");
        ins += t->inserted;
        upd += t->updated;
        same += t->unchanged;
    }
    as_note("ingest %s: %zu of %zu %s loaded: %lld inserted, %lld updated, %lld unchanged",
            rep->kind, rep->ntargets - rep->nfailed, rep->ntargets, rep->source, ins, upd, same);
    return 0;
}

static int setting_long(const char *key, long lo, long hi, long *out)
{
    return cli_parse_int(key, config_get(key), lo, hi, out);
}

int cmd_ingest(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc < 2) {
        ingest_usage(argc < 2 && !cli_wants_help(argc, argv) ? stderr : stdout);
        return argc < 2 && !cli_wants_help(argc, argv) ? AS_EXIT_USAGE : AS_EXIT_OK;
    }
    const char *what = argv[1];
    int prices = strcmp(what, "prices") == 0;
    if (!prices && strcmp(what, "news") != 0) {
        as_error("ingest: unknown target '%s' (prices or news)", what);
        return AS_EXIT_USAGE;
    }
    as_err e = config_load(ctx->config_path);
    if (e)
        return as_error_last(e);
    long concurrency, timeout, retries, backoff = 500, interval, retry_after_max;
    if (setting_long("ingest.concurrency", 1, 64, &concurrency) ||
        setting_long("ingest.timeout", 1, 3600, &timeout) ||
        setting_long("ingest.retries", 0, 20, &retries) ||
        setting_long("ingest.host_interval_ms", 0, 600000, &interval) ||
        setting_long("ingest.retry_after_max", 0, 86400, &retry_after_max))
        return AS_EXIT_USAGE;
    const char *source = prices ? config_get("ingest.price_source") : NULL;
    const char *from = NULL, *to = NULL;
    const char *base = prices && config_get("ingest.price_url")[0] ? config_get("ingest.price_url")
                                                                    : NULL;
    static const struct option longopts[] = {
        {"source", required_argument, NULL, 's'}, {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},     {"base-url", required_argument, NULL, 'b'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 'T'}, {"retries", required_argument, NULL, 'r'},
        {"backoff-ms", required_argument, NULL, 'B'},
        {"host-interval-ms", required_argument, NULL, 'H'},
        {"retry-after-max", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 's': source = optarg; break;
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'b': base = optarg; break;
        case 'c': if (cli_parse_int("--concurrency", optarg, 1, 64, &concurrency)) return AS_EXIT_USAGE; break;
        case 'T': if (cli_parse_int("--timeout", optarg, 1, 3600, &timeout)) return AS_EXIT_USAGE; break;
        case 'r': if (cli_parse_int("--retries", optarg, 0, 20, &retries)) return AS_EXIT_USAGE; break;
        case 'B': if (cli_parse_int("--backoff-ms", optarg, 0, 600000, &backoff)) return AS_EXIT_USAGE; break;
        case 'H': if (cli_parse_int("--host-interval-ms", optarg, 0, 600000, &interval)) return AS_EXIT_USAGE; break;
        case 'R': if (cli_parse_int("--retry-after-max", optarg, 0, 86400, &retry_after_max)) return AS_EXIT_USAGE; break;
        case ':':
            as_error("ingest %s: option '%s' needs a value", what, argv[optind]);
            return AS_EXIT_USAGE;
        default:
            as_error("ingest %s: unknown option '%s' (see `aftershock ingest -h`)", what,
                     argv[optind]);
            return AS_EXIT_USAGE;
        }
    }
    const char *const *rest = (const char *const *)argv + 1 + optind;
    size_t nrest = (size_t)(argc - 1 - optind);
    if (!source) {
        as_error("ingest news: --source is required (rss, atom, gdelt, newsapi or json)");
        return AS_EXIT_USAGE;
    }
    int src = prices ? price_source_from_name(source) : news_source_from_name(source);
    if (src < 0) {
        as_error("ingest %s: unknown source '%s'", what, source);
        return AS_EXIT_USAGE;
    }
    if (!prices && (from || to)) {
        as_error("ingest news: --from/--to apply to prices only");
        return AS_EXIT_USAGE;
    }
    struct http_opts http = http_opts_default();
    http.max_parallel = (int)concurrency;
    http.total_timeout_ms = timeout * 1000;
    http.max_attempts = (int)retries + 1;
    http.backoff_base_ms = backoff;
    http.host_interval_ms = interval;
    http.retry_after_max_ms = retry_after_max * 1000;

    PGconn *db;
    if ((e = db_connect(&db, ctx->db_opt, 0)))
        return as_error_last(e);
    struct progress_state ps = {.what = what};
    clock_gettime(CLOCK_MONOTONIC, &ps.start);
    struct ingest_report rep;
    if (prices) {
        static const char *keys[] = {NULL, NULL, "ingest.alphavantage_key", "ingest.polygon_key",
                                     NULL};
        struct ingest_prices_opts o = {
            .source = (enum price_source)src, .tickers = rest, .ntickers = nrest,
            .from = from, .to = to, .url_template = base,
            .apikey = keys[src] ? config_get(keys[src]) : NULL, .http = http,
            .progress = ctx->quiet ? NULL : progress_line, .progress_arg = &ps};
        e = ingest_prices(db, &o, &rep);
    } else {
        struct ingest_news_opts o = {
            .source = (enum news_source)src, .urls = rest, .nurls = nrest,
            .apikey = config_get("ingest.newsapi_key"), .http = http,
            .progress = ctx->quiet ? NULL : progress_line, .progress_arg = &ps};
        e = ingest_news(db, &o, &rep);
    }
    as_progress_end();
    int code;
    if (e && e != AS_ERR_SOURCE) {
        code = as_error_last(e);
    } else {
        report_print(&rep);
        code = as_exit_code(e);
    }
    ingest_report_free(&rep);
    db_close(db);
    return code;
}
