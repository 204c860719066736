/*
 * cmd_events.c -- `aftershock events detect|list`: options, the lexicon's
 * location, and printing.  The work is in analytics/events_db.c (database),
 * announce.c (scoring) and cluster.c (events).
 */
#include "cli/cli.h"
#include "analytics/calendar.h"
#include "analytics/events.h"
#include "common/db.h"
#include "common/msg.h"

#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void events_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock events detect [--from DATE] [--to DATE] [--market TICKER]\n"
            "                                [--lexicon DIR] [--threshold SCORE]\n"
            "                                [--window HOURS] [--half-life HOURS]\n"
            "       aftershock events list [--from DATE] [--to DATE] [--format table|csv|json]\n"
            "\n"
            "detect  scores the news published from --from to --to (UTC dates, inclusive;\n"
            "        default all) for AI-efficiency announcements with the lexicon in\n"
            "        data/lexicon, clusters them into events and aligns each event to the\n"
            "        first trading session it could move (16:00 New York close, 13:00 on\n"
            "        NYSE's early closes: July 3 and December 24 from Monday to Thursday,\n"
            "        the Friday after Thanksgiving; the sessions are the price dates of\n"
            "        --market, default SPY).  The range widens to whole stored events, so\n"
            "        a partial run agrees with a full one.  Writes announcements,\n"
            "        announcement_tickers, events, event_stories and event_calendar;\n"
            "        re-running on the same news changes nothing.\n"
            "        --threshold  announcement score, 0..100 (default 50)\n"
            "        --window     a story joins an event whose latest story is at most\n"
            "                     this many hours older (default 72)\n"
            "        --half-life  novelty halves every this many hours (default 24)\n"
            "        --lexicon    default: $AFTERSHOCK_LEXICON, ./data/lexicon, then\n"
            "                     data/lexicon beside the aftershock binary\n"
            "list    prints the events whose session lies from --from to --to.\n"
            "\n"
            "exit codes: 0 ok, 1 failure (bad lexicon line, no prices for the market),\n"
            "2 usage, 3 database unreachable.\n");
}

/* The lexicon directory: --lexicon, $AFTERSHOCK_LEXICON, ./data/lexicon, or
 * data/lexicon next to (or one level above, for build-san/) the binary. */
const char *cli_lexicon_dir(const char *opt, char *buf, size_t len)
{
    if (opt)
        return opt;
    const char *env = getenv("AFTERSHOCK_LEXICON");
    if (env && *env)
        return env;
    if (access("data/lexicon/entities.lex", R_OK) == 0)
        return "data/lexicon";
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        const char *dir = dirname(exe);
        const char *rel[] = {"data/lexicon", "../data/lexicon"};
        for (size_t i = 0; i < 2; i++) {
            char probe[PATH_MAX + 64];
            snprintf(buf, len, "%s/%s", dir, rel[i]);
            snprintf(probe, sizeof probe, "%s/entities.lex", buf);
            if (access(probe, R_OK) == 0)
                return buf;
        }
    }
    return "data/lexicon"; /* the load names it in its error */
}

static int date_option(const char *opt, const char *value)
{
    int day;
    if (calendar_parse_date(&day, value) == AS_OK)
        return 0;
    as_error("%s: %s", opt, as_last_error());
    return -1;
}

static int events_detect_run(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},      {"to", required_argument, NULL, 't'},
        {"market", required_argument, NULL, 'm'},    {"lexicon", required_argument, NULL, 'l'},
        {"threshold", required_argument, NULL, 'T'}, {"window", required_argument, NULL, 'w'},
        {"half-life", required_argument, NULL, 'H'}, {NULL, 0, NULL, 0},
    };
    events_options o = {.market = "SPY", .threshold = ANNOUNCE_THRESHOLD,
                        .cluster = CLUSTER_PARAMS_DEFAULT};
    const char *lexicon_opt = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.from = optarg;
            if (date_option("--from", optarg))
                return AS_EXIT_USAGE;
            break;
        case 't':
            o.to = optarg;
            if (date_option("--to", optarg))
                return AS_EXIT_USAGE;
            break;
        case 'm':
            o.market = optarg;
            break;
        case 'l':
            lexicon_opt = optarg;
            break;
        case 'T':
            if (cli_parse_double("--threshold", optarg, &o.threshold))
                return AS_EXIT_USAGE;
            if (o.threshold < 0 || o.threshold > 100) {
                as_error("--threshold: '%s' is not in [0, 100]", optarg);
                return AS_EXIT_USAGE;
            }
            break;
        case 'w':
        case 'H': {
            double *slot = c == 'w' ? &o.cluster.window_hours : &o.cluster.half_life_hours;
            if (cli_parse_double(c == 'w' ? "--window" : "--half-life", optarg, slot))
                return AS_EXIT_USAGE;
            if (!(*slot > 0)) {
                as_error("%s: '%s' must be a positive number of hours",
                         c == 'w' ? "--window" : "--half-life", optarg);
                return AS_EXIT_USAGE;
            }
            break;
        }
        case ':':
            as_error("events detect: %s needs a value", argv[optind - 1]);
            return AS_EXIT_USAGE;
        default:
            as_error("events detect: unknown option '%s'", argv[optind - 1]);
            return AS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        as_error("events detect: unexpected argument '%s'", argv[optind]);
        return AS_EXIT_USAGE;
    }
    char buf[PATH_MAX + 32];
    const char *dir = cli_lexicon_dir(lexicon_opt, buf, sizeof buf);
    lexicon *lex;
    as_err e = lexicon_load(&lex, dir);
    if (e)
        return as_error_last(e);
    PGconn *conn;
    if ((e = db_connect(&conn, ctx->db_opt, 0))) {
        lexicon_free(lex);
        return as_error_last(e);
    }
    events_summary s;
    e = events_detect(&s, conn, &o, lex);
    db_close(conn);
    lexicon_free(lex);
    if (e)
        return as_error_last(e);
    if (s.n_outside_calendar)
        as_warn("%ld event%s outside the price calendar of %s: session_date left NULL",
                s.n_outside_calendar, s.n_outside_calendar == 1 ? " lies" : "s lie", o.market);
    printf("%ld news items scored, %ld announcements, %ld events, %ld rows changed\n", s.n_news,
           s.n_announcements, s.n_events, s.rows_changed);
    return AS_EXIT_OK;
}

static void csv_field(const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static const char *const list_columns[] = {"id", "session_date", "first_published_at", "score",
                                           "n_stories", "direction", "tickers", "title"};
enum { LIST_NCOLS = 8 };

static int list_print_json(PGresult *r)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < PQntuples(r); i++) {
        json_t *o = json_object();
        char *end;
        json_object_set_new(o, "id", json_integer(strtoll(PQgetvalue(r, i, 0), &end, 10)));
        json_object_set_new(o, "session_date", PQgetisnull(r, i, 1)
                                                   ? json_null()
                                                   : json_string(PQgetvalue(r, i, 1)));
        json_object_set_new(o, "first_published_at", json_string(PQgetvalue(r, i, 2)));
        json_object_set_new(o, "score", json_real(strtod(PQgetvalue(r, i, 3), &end)));
        json_object_set_new(o, "n_stories", json_integer(strtoll(PQgetvalue(r, i, 4), &end, 10)));
        json_object_set_new(o, "direction", json_integer(strtoll(PQgetvalue(r, i, 5), &end, 10)));
        json_t *tk = json_array();
        char *tickers = strdup(PQgetvalue(r, i, 6));
        for (char *save = NULL, *t = tickers ? strtok_r(tickers, ",", &save) : NULL; t;
             t = strtok_r(NULL, ",", &save))
            json_array_append_new(tk, json_string(t));
        free(tickers);
        json_object_set_new(o, "tickers", tk);
        json_object_set_new(o, "title", json_string(PQgetvalue(r, i, 7)));
        json_array_append_new(arr, o);
    }
    char *s = arr ? json_dumps(arr, JSON_INDENT(2)) : NULL;
    json_decref(arr);
    if (!s) {
        as_error("events list: out of memory");
        return AS_EXIT_FAILURE;
    }
    puts(s);
    free(s);
    return AS_EXIT_OK;
}

static int events_list_run(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    const char *from = NULL, *to = NULL, *format = "table";
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            from = optarg;
            if (date_option("--from", optarg))
                return AS_EXIT_USAGE;
            break;
        case 't':
            to = optarg;
            if (date_option("--to", optarg))
                return AS_EXIT_USAGE;
            break;
        case 'F':
            format = optarg;
            break;
        case ':':
            as_error("events list: %s needs a value", argv[optind - 1]);
            return AS_EXIT_USAGE;
        default:
            as_error("events list: unknown option '%s'", argv[optind - 1]);
            return AS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        as_error("events list: unexpected argument '%s'", argv[optind]);
        return AS_EXIT_USAGE;
    }
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) {
        as_error("--format: '%s' is not table, csv or json", format);
        return AS_EXIT_USAGE;
    }
    PGconn *conn;
    as_err e = db_connect(&conn, ctx->db_opt, 0);
    if (e)
        return as_error_last(e);
    PGresult *r = NULL;
    e = events_list(&r, conn, from, to);
    db_close(conn);
    if (e)
        return as_error_last(e);
    int code = AS_EXIT_OK;
    int n = PQntuples(r);
    if (strcmp(format, "json") == 0) {
        code = list_print_json(r);
    } else if (strcmp(format, "csv") == 0) {
        for (int j = 0; j < LIST_NCOLS; j++)
            csv_field(list_columns[j], j == LIST_NCOLS - 1);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < LIST_NCOLS; j++)
                csv_field(PQgetvalue(r, i, j), j == LIST_NCOLS - 1);
    } else {
        printf("%-20s %-10s %-20s %5s %7s %3s  %-24s %s\n", "id", "session", "first published",
               "score", "stories", "dir", "tickers", "title");
        for (int i = 0; i < n; i++)
            printf("%-20s %-10s %-20s %5.0f %7s %3s  %-24s %s\n", PQgetvalue(r, i, 0),
                   PQgetisnull(r, i, 1) ? "-" : PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                   strtod(PQgetvalue(r, i, 3), NULL), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
                   PQgetvalue(r, i, 6), PQgetvalue(r, i, 7));
    }
    PQclear(r);
    return code;
}

int cmd_events(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        events_usage(stdout);
        return AS_EXIT_OK;
    }
    if (argc < 2) {
        events_usage(stderr);
        return AS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "detect") == 0)
        return events_detect_run(ctx, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return events_list_run(ctx, argc - 1, argv + 1);
    as_error("events: unknown action '%s' (detect or list)", argv[1]);
    return AS_EXIT_USAGE;
}
