/*
 * cmd_sql.c -- `aftershock sql "SELECT ..." [--param V ...] [-o FILE]
 * [--format table|csv|json|xlsx] [--timeout S]`: an analyst's query, run
 * read-only as the analyst role, to the terminal or a file.  Parsing only;
 * the work is reports/sqlout.c.
 */
#include "cli/cli.h"
#include "common/config.h"
#include "common/db.h"
#include "common/msg.h"
#include "reports/sqlout.h"
#include "reports/sqlrun.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX_PARAMS 64

static void sql_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock sql QUERY [--param V ...] [-o FILE] [--format FMT] [--timeout S]\n"
            "\n"
            "Runs one query as the read-only role 'analyst' inside a READ ONLY\n"
            "transaction (nothing it does can persist) and writes the rows.  It logs\n"
            "in as setting sql.user (default aftershock_analyst, a member of analyst\n"
            "with no rights of its own) to the database --db names, or to setting\n"
            "sql.url; the password comes from PGPASSWORD or ~/.pgpass.  A login that\n"
            "is a superuser, or could act with rights analyst lacks, is refused.\n"
            "\n"
            "  --param V      value for $1, $2, ... in order (repeatable)\n"
            "  -o FILE        write to FILE (temporary name, renamed when complete);\n"
            "                 FILE.xlsx/.csv/.json pick the format\n"
            "  --format FMT   table (default on a terminal), csv, json or xlsx\n"
            "  --timeout S    statement timeout in seconds (default 60, 0 = none)\n"
            "\n"
            "Excel output has typed cells (numbers, dates, timestamps in UTC, booleans;\n"
            "NULL blank), a bold frozen header and filters, and streams: a million rows\n"
            "take constant memory.\n"
            "\n"
            "example:\n"
            "  aftershock sql \"SELECT ticker, date, close FROM prices WHERE ticker = $1\"\n"
            "      --param NVDA -o nvda.xlsx\n"
            "\n"
            "exit codes: 0 ok, 1 the query failed (a write, a missing privilege, the\n"
            "timeout), 2 usage or a login with too many rights, 3 database unreachable.\n");
}

/* The format a file name asks for, or -1. */
static int format_from_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? sql_format_from_name(dot + 1) : -1;
}

int cmd_sql(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        sql_usage(stdout);
        return AS_EXIT_OK;
    }
    static const struct option longopts[] = {
        {"param", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *params[SQL_MAX_PARAMS];
    int nparams = 0, format = -1;
    const char *path = NULL;
    long timeout = 60;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (nparams == SQL_MAX_PARAMS) {
                as_error("sql: at most %d --param values", SQL_MAX_PARAMS);
                return AS_EXIT_USAGE;
            }
            params[nparams++] = optarg;
            break;
        case 'o':
            path = optarg;
            break;
        case 'f':
            if ((format = sql_format_from_name(optarg)) < 0) {
                as_error("sql: --format: unknown format '%s' (table, csv, json, xlsx)", optarg);
                return AS_EXIT_USAGE;
            }
            break;
        case 't':
            if (cli_parse_int("--timeout", optarg, 0, 86400, &timeout) != 0)
                return AS_EXIT_USAGE;
            break;
        default:
            sql_usage(stderr);
            return AS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        as_error("sql: expected exactly one QUERY argument (quote it)");
        return AS_EXIT_USAGE;
    }
    if (format < 0)
        format = path && format_from_path(path) >= 0 ? format_from_path(path) : SQL_FORMAT_TABLE;
    if (format == SQL_FORMAT_XLSX && !path) {
        as_error("sql: Excel output needs a file: -o FILE.xlsx");
        return AS_EXIT_USAGE;
    }
    as_err e = config_load(ctx->config_path);
    if (e)
        return as_error_last(e);
    PGconn *db;
    if ((e = sql_connect(&db, ctx->db_opt)))
        return as_error_last(e);
    struct sql_run_opts q = {
        .query = argv[optind], .params = params, .nparams = nparams, .timeout_s = (int)timeout,
    };
    long long rows;
    e = sql_export(db, &q, (enum sql_format)format, path, stdout, &rows);
    db_close(db);
    if (e)
        return as_error_last(e);
    if (path)
        as_note("%lld row%s written to '%s'", rows, rows == 1 ? "" : "s", path);
    return AS_EXIT_OK;
}
