/*
 * reference.c -- loads securities.csv and shares_outstanding.csv (see
 * reference.h).  Validation happens here, before the database sees a row,
 * so a user reads "line 7: field 'shares': expected a positive integer"
 * rather than a constraint name.
 */
#include "ingest/reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/db.h"

/* Columns of each file, in the order the INSERT expects them. */
static const char *const sec_cols[] = {"ticker", "name", "exchange", "sector", "industry", "currency", "kind"};
static const char *const shr_cols[] = {"ticker", "as_of", "shares", "source"};

static const char sec_sql[] =
    "INSERT INTO securities (ticker, name, exchange, sector, industry, currency, kind)"
    " VALUES ($1, $2, $3, $4, $5, coalesce($6, 'USD'), coalesce($7, 'stock'))"
    " ON CONFLICT (ticker) DO UPDATE SET name = excluded.name, exchange = excluded.exchange,"
    " sector = excluded.sector, industry = excluded.industry, currency = excluded.currency,"
    " kind = excluded.kind"
    " WHERE (securities.name, securities.exchange, securities.sector, securities.industry,"
    " securities.currency, securities.kind) IS DISTINCT FROM (excluded.name, excluded.exchange,"
    " excluded.sector, excluded.industry, excluded.currency, excluded.kind)";

static const char shr_sql[] =
    "INSERT INTO shares_outstanding (ticker, as_of, shares, source) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (ticker, as_of) DO UPDATE SET shares = excluded.shares, source = excluded.source"
    " WHERE (shares_outstanding.shares, shares_outstanding.source)"
    " IS DISTINCT FROM (excluded.shares, excluded.source)";

static as_err check_ticker(const char *path, int line, const char *t)
{
    if (!t || !t[0])
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'ticker': empty", path, line);
    for (const char *p = t; *p; p++)
        if (islower((unsigned char)*p) || isspace((unsigned char)*p))
            return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'ticker': '%s' must be upper case without spaces",
                           path, line, t);
    return AS_OK;
}

static as_err check_row(const char *path, int line, int shares_file, const char **v)
{
    as_err e = check_ticker(path, line, v[0]);
    if (e)
        return e;
    if (!shares_file) {
        const char *kind = v[6];
        if (kind && strcmp(kind, "stock") && strcmp(kind, "etf") && strcmp(kind, "index"))
            return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'kind': '%s' is not stock, etf or index",
                           path, line, kind);
        return AS_OK;
    }
    int y, m, d;
    char tail;
    if (!v[1] || sscanf(v[1], "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'as_of': '%s' is not a YYYY-MM-DD date",
                       path, line, v[1] ? v[1] : "");
    char *end;
    errno = 0;
    long long n = v[2] ? strtoll(v[2], &end, 10) : 0;
    if (!v[2] || errno || *end || n <= 0)
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'shares': '%s' is not a positive integer",
                       path, line, v[2] ? v[2] : "");
    if (!v[3])
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'source': empty", path, line);
    return AS_OK;
}

static as_err load(PGconn *db, const char *path, int shares_file, long long *changed)
{
    const char *const *cols = shares_file ? shr_cols : sec_cols;
    size_t ncols = shares_file ? 4 : 7;
    struct csv_reader r;
    *changed = 0;
    as_err e = csv_open(&r, path);
    if (e)
        return e;
    int idx[7];
    int rc = csv_next(&r);
    if (rc <= 0) {
        e = rc < 0 ? AS_ERR_PARSE : as_fail(AS_ERR_PARSE, "'%s': empty file, expected a header", path);
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        idx[i] = csv_find(&r, cols[i]);
        /* Only the key columns are mandatory in a securities file. */
        if (idx[i] < 0 && (shares_file || i == 0)) {
            e = as_fail(AS_ERR_PARSE, "'%s': line 1: missing column '%s'", path, cols[i]);
            goto out;
        }
    }
    if ((e = db_begin(db)))
        goto out;
    while ((rc = csv_next(&r)) == 1) {
        const char *v[7];
        for (size_t i = 0; i < ncols; i++) {
            const char *s = idx[i] >= 0 && (size_t)idx[i] < r.nfields ? r.fields[idx[i]] : NULL;
            v[i] = s && s[0] ? s : NULL;
        }
        if ((e = check_row(path, r.line, shares_file, v)))
            break;
        PGresult *res;
        if ((e = db_query(db, &res, shares_file ? shr_sql : sec_sql, (int)ncols, v))) {
            as_fail_context(e, "'%s': line %d", path, r.line);
            break;
        }
        *changed += strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    if (rc < 0)
        e = AS_ERR_PARSE;
    if (e) {
        db_rollback(db);
        *changed = 0;
    } else {
        e = db_commit(db);
    }
out:
    csv_close(&r);
    return e;
}

as_err reference_load_securities(PGconn *db, const char *path, long long *changed)
{
    return load(db, path, 0, changed);
}

as_err reference_load_shares(PGconn *db, const char *path, long long *changed)
{
    return load(db, path, 1, changed);
}
