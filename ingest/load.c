/*
 * load.c -- rows into PostgreSQL the way a re-run can trust: COPY into a
 * TEMP staging table, then INSERT ... ON CONFLICT DO UPDATE ... WHERE the
 * stored row really differs, so that loading the same data twice changes
 * nothing (same counts, same values, ingested_at untouched).
 *
 * Owns the staging tables (created once per session, ON COMMIT DELETE ROWS,
 * so they are empty at the start of every transaction) and the SQL of the
 * upserts.  Not the transaction: the caller (ingest.c) begins and ends it.
 *
 * Counting: the upsert's command tag counts the rows it inserted or
 * changed (`touched`), not those its WHERE left alone.  News counts the
 * staged keys already stored first (`existing`): inserted = staged -
 * existing, updated = touched - inserted, unchanged = existing - updated.
 * Prices get theirs from the statement that finds new and changed rows
 * (see prices_upsert).  (The `RETURNING xmax = 0` trick is undocumented and
 * PostgreSQL refuses it on partitioned tables.)
 *
 * Prices whose tickers have nothing stored in the batch's date range skip
 * the staging: one binary COPY straight into prices (prices_any_stored).
 * Otherwise prices are staged with binary COPY (see prices_copy) and only
 * the rows that are new or differ go on to prices; splits, dividends and
 * news are staged with text COPY, numbers written with fixed decimals from
 * the already-rounded doubles.
 */
#include "ingest/load.h"

#include "common/db.h"

#include <endian.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_BYTES (1 << 20)

/* v with `dec` decimals into out (NUL-terminated); NULL for NAN.  Hand
 * written: it is exact for the rounded values we hold and cheaper than
 * snprintf("%.6f") on large batches. */
static const char *fmt_fixed(char out[48], double v, int dec)
{
    if (!isfinite(v))
        return NULL;
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    double sv = v * scale[dec];
    if (fabs(sv) > 9e15) {
        snprintf(out, 48, "%.*f", dec, v);
        return out;
    }
    long long n = llround(sv);
    char tmp[48];
    int k = 0, neg = n < 0;
    unsigned long long u = neg ? (unsigned long long)(-n) : (unsigned long long)n;
    for (int i = 0; i < dec; i++) {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    }
    tmp[k++] = '.';
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int j = 0;
    if (neg)
        out[j++] = '-';
    while (k)
        out[j++] = tmp[--k];
    out[j] = '\0';
    return out;
}

/* Create the staging table in this session unless it exists.  Checked with
 * to_regclass rather than IF NOT EXISTS, whose NOTICE libpq would print. */
static as_err stage_ensure(PGconn *db, const char *name, const char *ddl)
{
    const char *p[] = {name};
    PGresult *r;
    as_err e = db_query(db, &r, "SELECT to_regclass('pg_temp.' || $1) IS NULL", 1, p);
    if (e)
        return e;
    int missing = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return missing ? db_exec(db, ddl) : AS_OK;
}

static as_err count_one(PGconn *db, const char *sql, int np, const char *const *p,
                        long long *out)
{
    PGresult *r;
    as_err e = db_query(db, &r, sql, np, p);
    if (e)
        return e;
    char *end;
    *out = strtoll(PQgetvalue(r, 0, 0), &end, 10);
    PQclear(r);
    return AS_OK;
}

/* Run an INSERT (upsert) and return how many rows it inserted or changed:
 * the command tag counts both, and not the rows its WHERE left alone. */
static as_err upsert_touched(PGconn *db, const char *sql, int np, const char *const *p,
                             long long *touched)
{
    PGresult *r;
    as_err e = db_query(db, &r, sql, np, p);
    if (e)
        return e;
    char *end;
    *touched = strtoll(PQcmdTuples(r), &end, 10);
    PQclear(r);
    return AS_OK;
}

/* Count the staged keys already stored, upsert, and turn the counts into
 * inserted / updated / unchanged (see the file comment).  Used for news. */
static as_err upsert_counted(PGconn *db, const char *exists_sql, const char *upsert_sql,
                             int np, const char *const *p, long long staged,
                             long long *ins, long long *upd, long long *same)
{
    long long existing, touched;
    as_err e = count_one(db, exists_sql, 0, NULL, &existing);
    if (!e)
        e = upsert_touched(db, upsert_sql, np, p, &touched);
    if (e)
        return e;
    *ins = staged - existing;
    *upd = touched - *ins;
    *same = existing - *upd;
    return AS_OK;
}

static as_err copy_finish(PGconn *db, struct db_copybuf *b, as_err e)
{
    if (!e && b->len)
        e = db_copybuf_flush(db, b);
    if (e) {
        db_copy_end(db, "aftershock: load aborted");
        return e;
    }
    return db_copy_end(db, NULL);
}

/* PostgreSQL binary COPY: big-endian integers, float8 as its IEEE bits,
 * date as days since 2000-01-01.  Prices go this way because the server
 * then parses no text: the 1M-row benchmark spent a third of its time in
 * float8in.  Doubles are sent bit for bit, so the value stored is exactly
 * the rounded double price_set_add() made, as with text. */
struct binbuf {
    unsigned char *p;
    size_t len, cap;
};

static int bin_reserve(struct binbuf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return 0;
    size_t nc = b->cap ? b->cap * 2 : (size_t)FLUSH_BYTES * 2;
    while (nc < b->len + n)
        nc *= 2;
    unsigned char *np = realloc(b->p, nc);
    if (!np)
        return -1;
    b->p = np;
    b->cap = nc;
    return 0;
}

/* The low `bytes` (2, 4 or 8) bytes of v, big-endian; one store each
 * rather than a byte loop (this ran a seventh of a 1M-row load's client). */
static void bin_u(struct binbuf *b, uint64_t v, int bytes)
{
    if (bytes == 8) {
        uint64_t be = htobe64(v);
        memcpy(b->p + b->len, &be, 8);
    } else if (bytes == 4) {
        uint32_t be = htobe32((uint32_t)v);
        memcpy(b->p + b->len, &be, 4);
    } else {
        uint16_t be = htobe16((uint16_t)v);
        memcpy(b->p + b->len, &be, 2);
    }
    b->len += (size_t)bytes;
}

static void bin_f8(struct binbuf *b, double v)
{
    if (!isfinite(v)) {
        bin_u(b, (uint32_t)-1, 4); /* NULL */
        return;
    }
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bin_u(b, 8, 4);
    bin_u(b, bits, 8);
}

/* The rows of s through binary COPY, started with `copy_sql` (the staging
 * table's eight columns, or prices' nine when `source` is given). */
static as_err prices_copy(PGconn *db, const struct price_set *s, const char *copy_sql,
                          const char *source)
{
    as_err e = db_copy_begin(db, copy_sql);
    if (e)
        return e;
    size_t sl = source ? strlen(source) : 0;
    struct binbuf b = {0};
    static const char sig[] = "PGCOPY\n\377\r\n";
    if (bin_reserve(&b, 19)) {
        e = as_fail(AS_ERR_NOMEM, "out of memory staging prices");
        goto done;
    }
    memcpy(b.p, sig, 11); /* the signature includes its trailing NUL */
    b.len = 11;
    bin_u(&b, 0, 4); /* flags */
    bin_u(&b, 0, 4); /* header extension length */
    const long long pg_epoch = days_from_civil(2000, 1, 1);
    for (size_t i = 0; i < s->n && !e; i++) {
        const struct price_row *r = &s->rows[i];
        size_t tl = strlen(r->ticker);
        if (bin_reserve(&b, 2 + 4 + tl + 8 + 6 * 12 + 16 + 4 + sl)) {
            e = as_fail(AS_ERR_NOMEM, "out of memory staging prices");
            break;
        }
        int y, m, d;
        date_parse_ymd(r->date, 10, &y, &m, &d); /* validated by the parser */
        bin_u(&b, source ? 9 : 8, 2);
        bin_u(&b, tl, 4);
        memcpy(b.p + b.len, r->ticker, tl);
        b.len += tl;
        bin_u(&b, 4, 4);
        bin_u(&b, (uint32_t)(int32_t)(days_from_civil(y, m, d) - pg_epoch), 4);
        bin_f8(&b, r->open);
        bin_f8(&b, r->high);
        bin_f8(&b, r->low);
        bin_f8(&b, r->close);
        bin_f8(&b, r->adj_close);
        if (r->volume < 0) {
            bin_u(&b, (uint32_t)-1, 4);
        } else {
            bin_u(&b, 8, 4);
            bin_u(&b, (uint64_t)r->volume, 8);
        }
        if (source) {
            bin_u(&b, sl, 4);
            memcpy(b.p + b.len, source, sl);
            b.len += sl;
        }
        if (b.len >= FLUSH_BYTES) {
            e = db_copy_put(db, (const char *)b.p, b.len);
            b.len = 0;
        }
    }
    if (!e && bin_reserve(&b, 2))
        e = as_fail(AS_ERR_NOMEM, "out of memory staging prices");
    if (!e) {
        bin_u(&b, 0xFFFF, 2); /* trailer: field count -1 */
        e = db_copy_put(db, (const char *)b.p, b.len);
    }
done:
    if (e)
        db_copy_end(db, "aftershock: load aborted");
    else
        e = db_copy_end(db, NULL);
    free(b.p);
    return e;
}

static as_err prices_stage(PGconn *db, const struct price_set *s)
{
    as_err e = stage_ensure(db, "ingest_stage_prices",
                            "CREATE TEMP TABLE ingest_stage_prices (ticker text, date date, "
                            "open float8, high float8, low float8, close float8, adj_close "
                            "float8, volume bigint) ON COMMIT DELETE ROWS");
    return e ? e : prices_copy(db, s, "COPY ingest_stage_prices FROM STDIN (FORMAT binary)", NULL);
}

static char *array_literal(char **items, size_t n);

/* The batch's first and last date (set by the caller when s->n > 0). */
struct date_range {
    const char *lo, *hi;
};

static struct date_range prices_range(const struct price_set *s)
{
    struct date_range r = {s->rows[0].date, s->rows[0].date};
    for (size_t i = 1; i < s->n; i++) {
        if (strcmp(s->rows[i].date, r.lo) < 0)
            r.lo = s->rows[i].date;
        if (strcmp(s->rows[i].date, r.hi) > 0)
            r.hi = s->rows[i].date;
    }
    return r;
}

/* Whether prices already holds any row for one of s's tickers in the
 * batch's date range (an index range scan per ticker).  Consecutive
 * duplicate tickers are dropped; others only repeat an array element. */
static as_err prices_any_stored(PGconn *db, const struct price_set *s, struct date_range dr,
                                int *stored)
{
    char **tk = malloc(s->n * sizeof *tk);
    if (!tk)
        return as_fail(AS_ERR_NOMEM, "out of memory checking stored prices");
    size_t nt = 0;
    for (size_t i = 0; i < s->n; i++)
        if (nt == 0 || strcmp(tk[nt - 1], s->rows[i].ticker) != 0)
            tk[nt++] = (char *)s->rows[i].ticker;
    char *arr = array_literal(tk, nt);
    free(tk);
    if (!arr)
        return as_fail(AS_ERR_NOMEM, "out of memory checking stored prices");
    const char *p[] = {arr, dr.lo, dr.hi};
    PGresult *r;
    as_err e = db_query(db, &r,
                        "SELECT EXISTS (SELECT 1 FROM prices WHERE ticker = ANY($1::text[]) "
                        "AND date BETWEEN $2::date AND $3::date)",
                        3, p);
    free(arr);
    if (e)
        return e;
    *stored = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return AS_OK;
}

static as_err actions_stage(PGconn *db, const struct price_set *s)
{
    as_err e = stage_ensure(db, "ingest_stage_actions",
                            "CREATE TEMP TABLE ingest_stage_actions (kind text, ticker text, date "
                            "date, a float8, b float8) ON COMMIT DELETE ROWS");
    if (!e)
        e = db_copy_begin(db, "COPY ingest_stage_actions FROM STDIN");
    if (e)
        return e;
    struct db_copybuf b = {0};
    char n1[48], n2[48];
    for (size_t i = 0; i < s->nsplits && !e; i++) {
        const struct split_row *r = &s->splits[i];
        if ((e = db_copybuf_field(&b, "split", 0)) || (e = db_copybuf_field(&b, r->ticker, 0)) ||
            (e = db_copybuf_field(&b, r->date, 0)) ||
            (e = db_copybuf_field(&b, fmt_fixed(n1, r->numerator, 6), 0)) ||
            (e = db_copybuf_field(&b, fmt_fixed(n2, r->denominator, 6), 1)))
            break;
    }
    for (size_t i = 0; i < s->ndivs && !e; i++) {
        const struct dividend_row *r = &s->divs[i];
        if ((e = db_copybuf_field(&b, "dividend", 0)) || (e = db_copybuf_field(&b, r->ticker, 0)) ||
            (e = db_copybuf_field(&b, r->date, 0)) ||
            (e = db_copybuf_field(&b, fmt_fixed(n1, r->amount, 6), 0)) ||
            (e = db_copybuf_field(&b, NULL, 1)))
            break;
    }
    e = copy_finish(db, &b, e);
    db_copybuf_free(&b);
    return e;
}

/*
 * Some keys may be stored: stage, then one statement that first finds the
 * staged rows that are new or differ from the stored ones (a join of the
 * staging table with prices, restricted to the batch's date range so that
 * the planner reads only those years' partitions) and sends only those
 * through INSERT ... ON CONFLICT DO UPDATE.  A re-run where nothing changed
 * (the nightly case) thus reads both sides once and writes nothing: no row
 * is locked, rewritten or WAL-logged, whereas an ON CONFLICT over every
 * staged row locks each stored row it meets, changed or not.
 *
 * Counts come from the same statement: `fresh` rows had no stored key, the
 * command's own rows are those inserted or changed.  The ON CONFLICT (with
 * its IS DISTINCT FROM) stays for a row another writer added between the
 * join and the insert; price loads take turns (load_prices), so for them
 * the counts are exact.
 *
 * The staging table is ANALYZEd first: with its real size and key spread the
 * planner picks a merge join for a batch as large as the stored range and
 * index probes for a few tickers among many (measured 28 ms instead of
 * 187 ms for 20 tickers of 1000).  work_mem is raised for this transaction
 * only, so the sort of a large batch stays in memory (about 130 bytes a
 * row).  synchronous_commit is left alone: the caller's commit is what tells
 * the nightly run the data is there, so it waits for the WAL flush.
 */
static as_err prices_upsert(PGconn *db, const struct price_set *s, const char *source,
                            struct date_range dr, struct ingest_target *t)
{
    as_err e = prices_stage(db, s);
    if (!e)
        e = db_exec(db, "ANALYZE ingest_stage_prices");
    if (e)
        return e;
    long long kb = (long long)s->n / 8;
    if (kb > 4096) {
        char set[64];
        snprintf(set, sizeof set, "SET LOCAL work_mem = '%lldkB'", kb > 1048576 ? 1048576 : kb);
        if ((e = db_exec(db, set)))
            return e;
    }
    const char *p[] = {source, dr.lo, dr.hi};
    PGresult *r;
    e = db_query(
        db, &r,
        "WITH d AS (SELECT s.*, p.ticker IS NULL AS fresh FROM ingest_stage_prices s "
        "LEFT JOIN prices p ON p.ticker = s.ticker AND p.date = s.date "
        "AND p.date BETWEEN $2::date AND $3::date "
        "WHERE p.ticker IS NULL OR (p.open, p.high, p.low, p.close, p.adj_close, p.volume, "
        "p.source) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.adj_close, s.volume, "
        "$1::text)), "
        "up AS (INSERT INTO prices AS p (ticker, date, open, high, low, close, adj_close, "
        "volume, source) SELECT ticker, date, open, high, low, close, adj_close, volume, $1 "
        "FROM d "
        "ON CONFLICT (ticker, date) DO UPDATE SET open = EXCLUDED.open, high = "
        "EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, adj_close = "
        "EXCLUDED.adj_close, volume = EXCLUDED.volume, source = EXCLUDED.source, "
        "ingested_at = now() "
        "WHERE (p.open, p.high, p.low, p.close, p.adj_close, p.volume, p.source) "
        "IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, "
        "EXCLUDED.adj_close, EXCLUDED.volume, EXCLUDED.source) RETURNING 1) "
        "SELECT (SELECT count(*) FROM d WHERE fresh), (SELECT count(*) FROM up)",
        3, p);
    if (e)
        return e;
    char *end;
    long long fresh = strtoll(PQgetvalue(r, 0, 0), &end, 10);
    long long touched = strtoll(PQgetvalue(r, 0, 1), &end, 10);
    PQclear(r);
    t->inserted = fresh < touched ? fresh : touched;
    t->updated = touched - t->inserted;
    t->unchanged = (long long)s->n - touched;
    return AS_OK;
}

as_err load_prices(PGconn *db, const struct price_set *s, const char *source,
                   struct ingest_target *t)
{
    const char *p[] = {source};
    /* Price loads take turns (a transaction-level lock, released at commit
     * or rollback): the direct COPY relies on no other loader adding the
     * same keys between the check and the copy, the upsert's counts on no
     * other loader adding them between its join and its insert. */
    as_err e = db_exec(db, "SELECT pg_advisory_xact_lock(7263100002)");
    int stored = 0;
    struct date_range dr = {NULL, NULL};
    if (!e && s->n > 0) {
        dr = prices_range(s);
        e = prices_any_stored(db, s, dr, &stored);
    }
    t->inserted = t->updated = t->unchanged = 0;
    if (!e && stored) {
        e = prices_upsert(db, s, source, dr, t);
    } else if (!e && s->n > 0) {
        /* Nothing of these tickers in this date range is stored (a first
         * load, a new ticker, the next days of a nightly run): COPY straight
         * into prices, as psql's \copy would, with no staging table and no
         * second pass. */
        e = prices_copy(db, s,
                        "COPY prices (ticker, date, open, high, low, close, adj_close, volume, "
                        "source) FROM STDIN (FORMAT binary)",
                        source);
        t->inserted = (long long)s->n;
    }
    if (e || (s->nsplits == 0 && s->ndivs == 0))
        return e;
    if ((e = actions_stage(db, s)))
        return e;
    e = upsert_touched(
        db,
        "INSERT INTO splits AS x (ticker, date, numerator, denominator, source) "
        "SELECT ticker, date, a, b, $1 FROM ingest_stage_actions WHERE kind = 'split' "
        "ON CONFLICT (ticker, date) DO UPDATE SET numerator = EXCLUDED.numerator, denominator "
        "= EXCLUDED.denominator, source = EXCLUDED.source WHERE (x.numerator, x.denominator, "
        "x.source) IS DISTINCT FROM (EXCLUDED.numerator, EXCLUDED.denominator, "
        "EXCLUDED.source)",
        1, p, &t->splits);
    if (!e)
        e = upsert_touched(
            db,
            "INSERT INTO dividends AS x (ticker, date, amount, source) "
            "SELECT ticker, date, a, $1 FROM ingest_stage_actions WHERE kind = 'dividend' "
            "ON CONFLICT (ticker, date) DO UPDATE SET amount = EXCLUDED.amount, source = "
            "EXCLUDED.source WHERE (x.amount, x.source) IS DISTINCT FROM (EXCLUDED.amount, "
            "EXCLUDED.source)",
            1, p, &t->dividends);
    return e;
}

/* {"NVDA","TSM"}: a text[] literal with every element quoted. */
static char *array_literal(char **items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 2 * strlen(items[i]) + 3;
    char *out = malloc(len), *o = out;
    if (!out)
        return NULL;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *c = items[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

as_err load_news(PGconn *db, const struct news_set *s, const char *feed,
                 const char *source_default, struct ingest_target *t)
{
    as_err e = stage_ensure(db, "ingest_stage_news",
                            "CREATE TEMP TABLE ingest_stage_news (url text, source text, "
                            "published_at timestamptz, title text, summary text, body text, "
                            "language text, tickers text[]) ON COMMIT DELETE ROWS");
    if (!e)
        e = db_copy_begin(db, "COPY ingest_stage_news FROM STDIN");
    if (e)
        return e;
    struct db_copybuf b = {0};
    for (size_t i = 0; i < s->n && !e; i++) {
        const struct news_item *it = &s->items[i];
        char when[40];
        time_t tt = (time_t)it->published;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S+00", &tm);
        char *tk = array_literal(it->tickers, it->ntickers);
        if (!tk) {
            e = as_fail(AS_ERR_NOMEM, "out of memory staging news");
            break;
        }
        if ((e = db_copybuf_field(&b, it->url, 0)) ||
            (e = db_copybuf_field(&b, it->source ? it->source : source_default, 0)) ||
            (e = db_copybuf_field(&b, when, 0)) ||
            (e = db_copybuf_field(&b, it->title ? it->title : "", 0)) ||
            (e = db_copybuf_field(&b, it->summary, 0)) || (e = db_copybuf_field(&b, it->body, 0)) ||
            (e = db_copybuf_field(&b, it->language, 0)) || (e = db_copybuf_field(&b, tk, 1))) {
            free(tk);
            break;
        }
        free(tk);
        if (b.len >= FLUSH_BYTES)
            e = db_copybuf_flush(db, &b);
    }
    e = copy_finish(db, &b, e);
    db_copybuf_free(&b);
    if (e)
        return e;
    /* An article already stored from another feed is left as that feed
     * wrote it: two feeds with different summaries would otherwise rewrite
     * each other on every run. */
    const char *p[] = {feed};
    return upsert_counted(
        db, "SELECT count(*) FROM ingest_stage_news s JOIN news n USING (url)",
        "INSERT INTO news AS n (url, source, published_at, title, summary, body, language, "
        "tickers, feed) SELECT url, source, published_at, title, summary, body, language, "
        "tickers, $1 FROM ingest_stage_news "
        "ON CONFLICT (url) DO UPDATE SET source = EXCLUDED.source, published_at = "
        "EXCLUDED.published_at, title = EXCLUDED.title, summary = EXCLUDED.summary, body = "
        "EXCLUDED.body, language = EXCLUDED.language, tickers = EXCLUDED.tickers, ingested_at "
        "= now() "
        "WHERE n.feed IS NOT DISTINCT FROM EXCLUDED.feed AND (n.source, n.published_at, "
        "n.title, n.summary, n.body, n.language, n.tickers) IS DISTINCT FROM "
        "(EXCLUDED.source, EXCLUDED.published_at, EXCLUDED.title, EXCLUDED.summary, "
        "EXCLUDED.body, EXCLUDED.language, EXCLUDED.tickers)",
        1, p, (long long)s->n, &t->inserted, &t->updated, &t->unchanged);
}

as_err load_run_open(PGconn *db, long long *id, const char *kind, const char *source,
                     const char *target, const char *started_at)
{
    const char *p[] = {kind, source, target, started_at};
    return count_one(db,
                     "INSERT INTO ingest_runs (kind, source, target, started_at, status) "
                     "VALUES ($1, $2, $3, $4::timestamptz, 'running') RETURNING id",
                     4, p, id);
}

as_err load_run_ok(PGconn *db, long long id, long long rows)
{
    char ids[32], rs[32];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(rs, sizeof rs, "%lld", rows > 2147483647LL ? 2147483647LL : rows);
    const char *p[] = {ids, rs};
    return db_query(db, NULL,
                    "UPDATE ingest_runs SET status = 'ok', rows = $2, finished_at = "
                    "clock_timestamp() WHERE id = $1",
                    2, p);
}

as_err load_run_failed(PGconn *db, long long id, const char *error)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[] = {ids, error};
    return db_query(db, NULL,
                    "UPDATE ingest_runs SET status = 'failed', rows = 0, error = $2, "
                    "finished_at = clock_timestamp() WHERE id = $1",
                    2, p);
}
