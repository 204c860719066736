/*
 * price_set.c -- the growable set of price, split and dividend rows every
 * price parser fills, with the rounding and validation rule applied on the
 * way in and the date filter, sort and de-duplication applied at the end.
 *
 * Owns the arrays and the warning string (price_set_free releases them).
 * Not a parser and not a loader: it never sees bytes from the network and
 * never talks to the database.
 *
 * Validation rule (documented in parse.h): a row needs a positive close;
 * open, high and low, when present, must be positive, low <= high, and both
 * open and close must lie within [low, high] after rounding.  A row breaking
 * it is dropped and counted, not fatal: a provider that appends one bad
 * intraday snapshot (Stooq) should not cost the whole history.
 */
#include "ingest/parse.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double price_round4(double v)
{
    return isfinite(v) ? round(v * 1e4) / 1e4 : v;
}

double price_round6(double v)
{
    return isfinite(v) ? round(v * 1e6) / 1e6 : v;
}

void price_set_free(struct price_set *s)
{
    free(s->rows);
    free(s->splits);
    free(s->divs);
    free(s->warning);
    memset(s, 0, sizeof *s);
}

static as_err grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return AS_OK;
    size_t nc = *cap ? *cap * 2 : 256;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "out of memory growing a price set to %zu rows", need);
    *arr = p;
    *cap = nc;
    return AS_OK;
}

static void skip_note(struct price_set *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void skip_note(struct price_set *s, const char *fmt, ...)
{
    s->skipped++;
    if (s->warning)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->warning = strdup(buf); /* a lost note under OOM is not worth failing for */
}

/* The reason r breaks the rule, or NULL. */
static const char *row_problem(const struct price_row *r)
{
    const double eps = 1e-9;
    if (!isfinite(r->close))
        return "no close";
    if (r->close <= 0)
        return "close is not positive";
    if ((isfinite(r->open) && r->open <= 0) || (isfinite(r->high) && r->high <= 0) ||
        (isfinite(r->low) && r->low <= 0))
        return "a price is not positive";
    if (isfinite(r->low) && isfinite(r->high) && r->low > r->high + eps)
        return "low above high";
    if (isfinite(r->low) && r->close < r->low - eps)
        return "close below low";
    if (isfinite(r->high) && r->close > r->high + eps)
        return "close above high";
    if (isfinite(r->open) && isfinite(r->low) && r->open < r->low - eps)
        return "open below low";
    if (isfinite(r->open) && isfinite(r->high) && r->open > r->high + eps)
        return "open above high";
    return NULL;
}

/* Tickers are stored upper-case (the schema's convention): "nvda" from a
 * command line and "NVDA" from a provider are one security. */
static void ticker_upper(char *t)
{
    for (; *t; t++)
        *t = (char)toupper((unsigned char)*t);
}

as_err price_set_add(struct price_set *s, const struct price_row *in,
                     const char *src, long line)
{
    struct price_row r = *in;
    ticker_upper(r.ticker);
    r.open = price_round4(r.open);
    r.high = price_round4(r.high);
    r.low = price_round4(r.low);
    r.close = price_round4(r.close);
    r.adj_close = price_round6(r.adj_close);
    const char *why = row_problem(&r);
    if (why) {
        char where[32] = "";
        if (line >= 0)
            snprintf(where, sizeof where, "line %ld: ", line);
        skip_note(s, "%s: %s%s %s dropped: %s (open %g high %g low %g close %g)", src, where,
                  r.ticker, r.date, why, r.open, r.high, r.low, r.close);
        return AS_OK;
    }
    as_err e = grow((void **)&s->rows, &s->cap, s->n + 1, sizeof *s->rows);
    if (e)
        return e;
    s->rows[s->n++] = r;
    return AS_OK;
}

as_err price_set_add_split(struct price_set *s, const struct split_row *r)
{
    as_err e = grow((void **)&s->splits, &s->capsplits, s->nsplits + 1, sizeof *s->splits);
    if (e)
        return e;
    s->splits[s->nsplits] = *r;
    ticker_upper(s->splits[s->nsplits++].ticker);
    return AS_OK;
}

as_err price_set_add_dividend(struct price_set *s, const struct dividend_row *r)
{
    as_err e = grow((void **)&s->divs, &s->capdivs, s->ndivs + 1, sizeof *s->divs);
    if (e)
        return e;
    struct dividend_row d = *r;
    ticker_upper(d.ticker);
    d.amount = price_round6(d.amount);
    s->divs[s->ndivs++] = d;
    return AS_OK;
}

/* ticker then date: the leading fields of all three row kinds. */
static int key_cmp(const void *a, const void *b)
{
    int c = strcmp((const char *)a, (const char *)b);
    if (c)
        return c;
    return strcmp((const char *)a + TICKER_MAX, (const char *)b + TICKER_MAX);
}

static int in_range(const char *date, const char *from, const char *to)
{
    return (!from || strcmp(date, from) >= 0) && (!to || strcmp(date, to) <= 0);
}

static int same_price(const struct price_row *a, const struct price_row *b)
{
    /* Bitwise equality: NANs compare equal, which is what "same row" means. */
    return memcmp(&a->open, &b->open, 5 * sizeof(double)) == 0 && a->volume == b->volume;
}

struct sort_ctx {
    const char *base;
    size_t elem;
};

/* Stable order: key, then position, so "the last one wins" is well defined. */
static int idx_cmp(const void *a, const void *b, void *arg)
{
    const struct sort_ctx *c = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int r = key_cmp(c->base + i * c->elem, c->base + j * c->elem);
    return r ? r : (i > j) - (i < j);
}

/* Filter by date, sort stably by key and keep the last row of each key.
 * Works on any array whose elements start with ticker[TICKER_MAX] then
 * date[11].  *n is updated. */
static as_err finish_array(void *arr, size_t *n, size_t elem, const char *from,
                           const char *to, int (*same)(const void *, const void *),
                           long long *conflicts)
{
    char *base = arr;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (!in_range(base + i * elem + TICKER_MAX, from, to))
            continue;
        if (k != i)
            memcpy(base + k * elem, base + i * elem, elem);
        k++;
    }
    *n = k;
    size_t sorted_upto = 1;
    while (sorted_upto < k &&
           key_cmp(base + (sorted_upto - 1) * elem, base + sorted_upto * elem) < 0)
        sorted_upto++;
    if (sorted_upto >= k) /* already in order without duplicates: the usual case */
        return AS_OK;
    size_t *idx = malloc(k * sizeof *idx);
    char *sorted = malloc(k * elem);
    as_err e = AS_OK;
    if (!idx || !sorted) {
        e = as_fail(AS_ERR_NOMEM, "out of memory sorting %zu rows", k);
        goto done;
    }
    for (size_t i = 0; i < k; i++)
        idx[i] = i;
    struct sort_ctx c = {base, elem};
    qsort_r(idx, k, sizeof *idx, idx_cmp, &c);
    size_t out = 0;
    for (size_t i = 0; i < k; i++) {
        const char *row = base + idx[i] * elem;
        if (out > 0 && key_cmp(sorted + (out - 1) * elem, row) == 0) {
            if (!same || !same(sorted + (out - 1) * elem, row))
                (*conflicts)++;
            memcpy(sorted + (out - 1) * elem, row, elem);
            continue;
        }
        memcpy(sorted + out * elem, row, elem);
        out++;
    }
    memcpy(base, sorted, out * elem);
    *n = out;
done:
    free(idx);
    free(sorted);
    return e;
}

static int same_price_v(const void *a, const void *b) { return same_price(a, b); }

as_err price_set_finish(struct price_set *s, const char *from, const char *to)
{
    long long conflicts = 0, ignored = 0;
    as_err e = finish_array(s->rows, &s->n, sizeof *s->rows, from, to, same_price_v, &conflicts);
    if (!e)
        e = finish_array(s->splits, &s->nsplits, sizeof *s->splits, from, to, NULL, &ignored);
    if (!e)
        e = finish_array(s->divs, &s->ndivs, sizeof *s->divs, from, to, NULL, &ignored);
    if (conflicts && !s->warning) {
        char buf[160];
        snprintf(buf, sizeof buf, "%lld dates were given twice with different values; "
                 "the last one was kept", conflicts);
        s->warning = strdup(buf);
    }
    s->skipped += conflicts;
    return e;
}
