/*
 * parse_alphavantage.c -- Alpha Vantage TIME_SERIES_DAILY and
 * TIME_SERIES_DAILY_ADJUSTED JSON to price (and, for _ADJUSTED, dividend and
 * split) rows.
 *
 * Shape: {"Meta Data": {"2. Symbol": ...}, "Time Series (Daily)": {
 * "2025-01-27": {"1. open": "124.8000", ...}}}, values as strings.  DAILY
 * has 1..5 = open high low close volume; _ADJUSTED has 5. adjusted close,
 * 6. volume, 7. dividend amount, 8. split coefficient.  Alpha Vantage
 * answers HTTP 200 with {"Note": ...}, {"Information": ...} or
 * {"Error Message": ...} when rate-limited or refused: those are source
 * failures carrying its sentence.  An intraday answer ("Time Series (1min)")
 * is refused: it is not daily data.
 */
#include "ingest/jsondoc.h"
#include "ingest/parse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static as_err field_num(const json_t *bar, const char *date, const char *key, int required,
                        const char *src, double *out)
{
    const json_t *v = json_object_get(bar, key);
    if (!v && !required) {
        *out = NAN;
        return AS_OK;
    }
    if (!json_is_string(v) || jsondoc_number(v, out))
        return as_fail(AS_ERR_PARSE, "%s: field 'Time Series (Daily).%s.%s': expected a "
                       "number in a string", src, date, key);
    return AS_OK;
}

as_err parse_alphavantage(struct price_set *out, const char *buf, size_t len, const char *src,
                          const char *ticker)
{
    json_t *doc;
    as_err e = jsondoc_load(&doc, buf, len, src);
    if (e)
        return e;
    static const char *refusals[] = {"Error Message", "Note", "Information"};
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const char *msg = jsondoc_str(doc, refusals[i]);
        if (msg) {
            e = as_fail(AS_ERR_SOURCE, "%s: Alpha Vantage refused (%s): %s", src, refusals[i], msg);
            goto done;
        }
    }
    const char *sym = jsondoc_str(json_object_get(doc, "Meta Data"), "2. Symbol");
    if (sym)
        ticker = sym;
    if (!ticker) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'Meta Data.2. Symbol': missing and no ticker given",
                    src);
        goto done;
    }
    const json_t *series = json_object_get(doc, "Time Series (Daily)");
    if (!json_is_object(series)) {
        const char *key;
        const json_t *v;
        json_object_foreach(doc, key, v) {
            if (strncmp(key, "Time Series", 11) == 0) {
                e = as_fail(AS_ERR_SOURCE, "%s: field '%s': not daily data (use "
                            "function=TIME_SERIES_DAILY or _ADJUSTED)", src, key);
                goto done;
            }
        }
        e = as_fail(AS_ERR_PARSE, "%s: field 'Time Series (Daily)': missing", src);
        goto done;
    }
    const char *date;
    const json_t *bar;
    json_object_foreach((json_t *)series, date, bar) {
        struct price_row r = {.volume = -1};
        int y, m, d;
        if (!date_parse_ymd(date, strlen(date), &y, &m, &d) || strlen(date) != 10) {
            e = as_fail(AS_ERR_PARSE, "%s: field 'Time Series (Daily).%s': expected a "
                        "YYYY-MM-DD key", src, date);
            goto done;
        }
        snprintf(r.ticker, sizeof r.ticker, "%s", ticker);
        memcpy(r.date, date, 11);
        int adjusted = json_object_get(bar, "5. adjusted close") != NULL;
        double vol, div, split;
        if ((e = field_num(bar, date, "1. open", 1, src, &r.open)) ||
            (e = field_num(bar, date, "2. high", 1, src, &r.high)) ||
            (e = field_num(bar, date, "3. low", 1, src, &r.low)) ||
            (e = field_num(bar, date, "4. close", 1, src, &r.close)) ||
            (e = field_num(bar, date, adjusted ? "6. volume" : "5. volume", 1, src, &vol)) ||
            (e = field_num(bar, date, "5. adjusted close", 0, src, &r.adj_close)) ||
            (e = field_num(bar, date, "7. dividend amount", 0, src, &div)) ||
            (e = field_num(bar, date, "8. split coefficient", 0, src, &split)))
            goto done;
        r.volume = llround(vol);
        if ((e = price_set_add(out, &r, src, -1)))
            goto done;
        if (isfinite(div) && div > 0) {
            struct dividend_row dr = {.amount = div};
            memcpy(dr.ticker, r.ticker, sizeof dr.ticker);
            memcpy(dr.date, r.date, sizeof dr.date);
            if ((e = price_set_add_dividend(out, &dr)))
                goto done;
        }
        /* Alpha Vantage writes the ratio as one coefficient: 4.0 for 4:1. */
        if (isfinite(split) && split > 0 && split != 1.0) {
            struct split_row sr = {.numerator = split, .denominator = 1.0};
            memcpy(sr.ticker, r.ticker, sizeof sr.ticker);
            memcpy(sr.date, r.date, sizeof sr.date);
            if ((e = price_set_add_split(out, &sr)))
                goto done;
        }
    }
done:
    json_decref(doc);
    return e;
}
