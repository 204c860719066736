/*
 * parse_yahoo.c -- Yahoo Finance v8 chart JSON (/v8/finance/chart/T) to
 * price, split and dividend rows.
 *
 * Shape: chart.result[0] has meta (symbol, exchangeTimezoneName,
 * gmtoffset), timestamp[] (session open, unix seconds), indicators.quote[0]
 * with open/high/low/close/volume arrays parallel to timestamp, and
 * indicators.adjclose[0].adjclose; events.splits / events.dividends are
 * objects keyed by timestamp.  chart.error is Yahoo's refusal.
 *
 * Yahoo's daily OHLC are split-adjusted (not dividend-adjusted): after the
 * NVDA 4:1 split of 2021-07-20 the earlier bars are divided by 4.  We store
 * them as sent; the split row lets analytics undo it if ever needed.
 * Null bars (Yahoo sends them for halted days) are dropped by the row rule.
 */
#include "ingest/jsondoc.h"
#include "ingest/parse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void bar_date(char out[11], long long ts, int new_york, long long gmtoffset)
{
    if (new_york) {
        ny_date(out, ts);
        return;
    }
    long long local = ts + gmtoffset, day = local / 86400 - (local % 86400 < 0);
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static as_err series_get(const json_t *obj, const char *key, size_t n, const char *src,
                         const char *path, const json_t **out)
{
    const json_t *a = json_object_get(obj, key);
    *out = a;
    if (!a)
        return AS_OK;
    if (!json_is_array(a) || json_array_size(a) != n)
        return as_fail(AS_ERR_PARSE, "%s: field '%s.%s': expected an array of %zu values", src,
                       path, key, n);
    return AS_OK;
}

static as_err value_at(const json_t *arr, size_t i, const char *src, const char *path,
                       const char *key, double *out)
{
    if (!arr) {
        *out = NAN;
        return AS_OK;
    }
    const json_t *v = json_array_get(arr, i);
    if (jsondoc_number(v, out) || (json_is_string(v)))
        return as_fail(AS_ERR_PARSE, "%s: field '%s.%s[%zu]': expected a number or null", src,
                       path, key, i);
    return AS_OK;
}

static as_err events_read(struct price_set *out, const json_t *events, const char *ticker,
                          int ny, long long gmtoffset, const char *src)
{
    const char *key;
    const json_t *ev;
    json_object_foreach((json_t *)json_object_get(events, "splits"), key, ev) {
        const json_t *date = json_object_get(ev, "date");
        double num, den;
        if (!json_is_integer(date) || jsondoc_number(json_object_get(ev, "numerator"), &num) ||
            jsondoc_number(json_object_get(ev, "denominator"), &den) || !(num > 0) || !(den > 0))
            return as_fail(AS_ERR_PARSE, "%s: field 'events.splits.%s': expected date, "
                           "numerator and denominator", src, key);
        struct split_row r = {.numerator = num, .denominator = den};
        snprintf(r.ticker, sizeof r.ticker, "%s", ticker);
        bar_date(r.date, json_integer_value(date), ny, gmtoffset);
        as_err e = price_set_add_split(out, &r);
        if (e)
            return e;
    }
    json_object_foreach((json_t *)json_object_get(events, "dividends"), key, ev) {
        const json_t *date = json_object_get(ev, "date");
        double amount;
        if (!json_is_integer(date) || jsondoc_number(json_object_get(ev, "amount"), &amount) ||
            !isfinite(amount))
            return as_fail(AS_ERR_PARSE, "%s: field 'events.dividends.%s': expected date "
                           "and amount", src, key);
        struct dividend_row r = {.amount = amount};
        snprintf(r.ticker, sizeof r.ticker, "%s", ticker);
        bar_date(r.date, json_integer_value(date), ny, gmtoffset);
        as_err e = price_set_add_dividend(out, &r);
        if (e)
            return e;
    }
    return AS_OK;
}

as_err parse_yahoo_chart(struct price_set *out, const char *buf, size_t len, const char *src,
                         const char *ticker)
{
    json_t *doc;
    as_err e = jsondoc_load(&doc, buf, len, src);
    if (e)
        return e;
    const json_t *chart = json_object_get(doc, "chart");
    const json_t *err = json_object_get(chart, "error");
    const json_t *result = json_array_get(json_object_get(chart, "result"), 0);
    if (err && !json_is_null(err)) {
        const char *code = jsondoc_str(err, "code"), *desc = jsondoc_str(err, "description");
        e = as_fail(AS_ERR_SOURCE, "%s: Yahoo refused: %s%s%s", src, code ? code : "error",
                    desc ? ": " : "", desc ? desc : "");
        goto done;
    }
    if (!json_is_object(result)) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'chart.result[0]': missing; not a v8 chart answer",
                    src);
        goto done;
    }
    const json_t *meta = json_object_get(result, "meta");
    const char *sym = jsondoc_str(meta, "symbol");
    if (sym)
        ticker = sym;
    if (!ticker) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'meta.symbol': missing and no ticker given", src);
        goto done;
    }
    const char *tz = jsondoc_str(meta, "exchangeTimezoneName");
    int ny = !tz || strcmp(tz, "America/New_York") == 0;
    long long gmtoffset = json_integer_value(json_object_get(meta, "gmtoffset"));

    const json_t *ts = json_object_get(result, "timestamp");
    size_t n = json_array_size(ts);
    if (ts && !json_is_array(ts)) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'chart.result[0].timestamp': expected an array", src);
        goto done;
    }
    const json_t *ind = json_object_get(result, "indicators");
    const json_t *quote = json_array_get(json_object_get(ind, "quote"), 0);
    const json_t *adj = json_array_get(json_object_get(ind, "adjclose"), 0);
    if (n > 0 && !json_is_object(quote)) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'indicators.quote[0]': missing", src);
        goto done;
    }
    const json_t *o, *h, *l, *c, *v, *a;
    const char *qp = "indicators.quote[0]";
    if ((e = series_get(quote, "open", n, src, qp, &o)) || (e = series_get(quote, "high", n, src, qp, &h)) ||
        (e = series_get(quote, "low", n, src, qp, &l)) || (e = series_get(quote, "close", n, src, qp, &c)) ||
        (e = series_get(quote, "volume", n, src, qp, &v)) ||
        (e = series_get(adj, "adjclose", n, src, "indicators.adjclose[0]", &a)))
        goto done;
    if (n > 0 && !c) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'indicators.quote[0].close': missing", src);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(ts, i);
        if (!json_is_integer(t)) {
            e = as_fail(AS_ERR_PARSE, "%s: field 'timestamp[%zu]': expected an integer", src, i);
            goto done;
        }
        struct price_row r = {.volume = -1};
        snprintf(r.ticker, sizeof r.ticker, "%s", ticker);
        bar_date(r.date, json_integer_value(t), ny, gmtoffset);
        double vol;
        if ((e = value_at(o, i, src, qp, "open", &r.open)) ||
            (e = value_at(h, i, src, qp, "high", &r.high)) ||
            (e = value_at(l, i, src, qp, "low", &r.low)) ||
            (e = value_at(c, i, src, qp, "close", &r.close)) ||
            (e = value_at(v, i, src, qp, "volume", &vol)) ||
            (e = value_at(a, i, src, "indicators.adjclose[0]", "adjclose", &r.adj_close)))
            goto done;
        if (isfinite(vol))
            r.volume = llround(vol);
        if ((e = price_set_add(out, &r, src, -1))) /* JSON has no lines */
            goto done;
    }
    e = events_read(out, json_object_get(result, "events"), ticker, ny, gmtoffset, src);
done:
    json_decref(doc);
    return e;
}
