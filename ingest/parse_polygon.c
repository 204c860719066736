/*
 * parse_polygon.c -- Polygon.io aggregates JSON (/v2/aggs/ticker/T/range/1/
 * day/FROM/TO, grouped daily, prev) to price rows.
 *
 * Shape: {"ticker": T, "status": "OK"|"DELAYED"|"ERROR", "results": [{"o",
 * "h", "l", "c", "v", "vw", "t", "n", optional "T"}]}.  t is the start of
 * the bar in milliseconds UTC; for daily bars that is midnight in New York,
 * so the trading date is the New York date of t (the UTC date would be
 * right only by luck of the offset).  Polygon has no unadjusted/adjusted
 * pair in one answer: adjusted=true answers are stored as close with no
 * adj_close, as sent.  status "ERROR" / "NOT_AUTHORIZED" is a source failure.
 */
#include "ingest/jsondoc.h"
#include "ingest/parse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static as_err bar_num(const json_t *bar, size_t i, const char *key, int required,
                      const char *src, double *out)
{
    const json_t *v = json_object_get(bar, key);
    if ((!v && required) || (v && !json_is_number(v)) || jsondoc_number(v, out))
        return as_fail(AS_ERR_PARSE, "%s: field 'results[%zu].%s': expected a number", src, i,
                       key);
    return AS_OK;
}

as_err parse_polygon(struct price_set *out, const char *buf, size_t len, const char *src,
                     const char *ticker)
{
    json_t *doc;
    as_err e = jsondoc_load(&doc, buf, len, src);
    if (e)
        return e;
    const char *status = jsondoc_str(doc, "status");
    if (status && strcmp(status, "OK") != 0 && strcmp(status, "DELAYED") != 0) {
        const char *msg = jsondoc_str(doc, "error");
        if (!msg)
            msg = jsondoc_str(doc, "message");
        e = as_fail(AS_ERR_SOURCE, "%s: Polygon answered status '%s'%s%s", src, status,
                    msg ? ": " : "", msg ? msg : "");
        goto done;
    }
    const char *sym = jsondoc_str(doc, "ticker");
    if (sym)
        ticker = sym;
    const json_t *results = json_object_get(doc, "results");
    if (results && !json_is_array(results)) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'results': expected an array", src);
        goto done;
    }
    if (!results && !status) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'results': missing; not an aggregates answer", src);
        goto done;
    }
    size_t i;
    const json_t *bar;
    json_array_foreach(results, i, bar) {
        const char *t_sym = jsondoc_str(bar, "T");
        const char *tk = t_sym ? t_sym : ticker;
        if (!tk) {
            e = as_fail(AS_ERR_PARSE, "%s: field 'results[%zu].T': missing and no ticker given",
                        src, i);
            goto done;
        }
        const json_t *t = json_object_get(bar, "t");
        if (!json_is_integer(t)) {
            e = as_fail(AS_ERR_PARSE, "%s: field 'results[%zu].t': expected integer "
                        "milliseconds", src, i);
            goto done;
        }
        struct price_row r = {.adj_close = NAN, .volume = -1};
        snprintf(r.ticker, sizeof r.ticker, "%s", tk);
        long long ms = json_integer_value(t);
        ny_date(r.date, ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        double vol;
        if ((e = bar_num(bar, i, "o", 1, src, &r.open)) ||
            (e = bar_num(bar, i, "h", 1, src, &r.high)) ||
            (e = bar_num(bar, i, "l", 1, src, &r.low)) ||
            (e = bar_num(bar, i, "c", 1, src, &r.close)) ||
            (e = bar_num(bar, i, "v", 0, src, &vol)))
            goto done;
        if (isfinite(vol))
            r.volume = llround(vol);
        if ((e = price_set_add(out, &r, src, -1)))
            goto done;
    }
done:
    json_decref(doc);
    return e;
}
