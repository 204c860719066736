/*
 * estudy_panel.c -- the engine's input container and the small conversions
 * around it: panel allocation and look-up, returns from prices, dates,
 * windows and the default configuration.
 *
 * It owns the estudy_panel memory layout (series-major, NAN for missing).
 * It is not a file parser (estudy_csv.c) and not the estimation
 * (estudy_run.c).  Invariant: dates strictly ascending; every array the
 * panel points to is freed by estudy_panel_free().
 */
#include "analytics/estudy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void estudy_config_default(estudy_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->model = ESTUDY_MODEL_MARKET;
    cfg->compat = ESTUDY_COMPAT_NATIVE;
    cfg->est_start = -250;
    cfg->est_end = -11;
    /* 100 of 240 days: fewer leaves the residual variance too noisy for the
     * standardized tests to mean anything; estudy warns below 50. */
    cfg->min_est_obs = 100;
    cfg->beta = ESTUDY_BETA_OLS;
    cfg->beta_lags = 1;
    static const estudy_window def[] = {{0, 0}, {-1, 1}, {-5, 5}, {0, 10}};
    cfg->nwindows = 4;
    memcpy(cfg->windows, def, sizeof def);
    cfg->path_start = 0;
    cfg->path_end = -1;
}

as_err estudy_window_parse(estudy_window *out, const char *opt, const char *s)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (errno || end == s || *end != ':')
        return as_fail(AS_ERR_USAGE, "%s: '%s' is not START:END (e.g. -1:1)", opt, s);
    const char *s2 = end + 1;
    long b = strtol(s2, &end, 10);
    if (errno || end == s2 || *end)
        return as_fail(AS_ERR_USAGE, "%s: '%s' is not START:END (e.g. -1:1)", opt, s);
    if (a > b || a < -5000 || b > 5000)
        return as_fail(AS_ERR_USAGE, "%s: '%s': need START <= END within +-5000 days",
                       opt, s);
    out->start = (int)a;
    out->end = (int)b;
    return AS_OK;
}

as_err estudy_panel_alloc(estudy_panel *p, int ndates, int nseries, int with_price)
{
    memset(p, 0, sizeof *p);
    p->ndates = ndates;
    p->nseries = nseries;
    size_t cells = (size_t)ndates * (size_t)nseries;
    p->dates = calloc((size_t)ndates ? (size_t)ndates : 1, sizeof *p->dates);
    p->names = calloc((size_t)nseries ? (size_t)nseries : 1, sizeof *p->names);
    p->ret = malloc((cells ? cells : 1) * sizeof *p->ret);
    if (with_price)
        p->price = malloc((cells ? cells : 1) * sizeof *p->price);
    if (!p->dates || !p->names || !p->ret || (with_price && !p->price)) {
        estudy_panel_free(p);
        return as_fail(AS_ERR_NOMEM, "event study: no memory for a %d x %d panel",
                       ndates, nseries);
    }
    for (size_t i = 0; i < cells; i++) {
        p->ret[i] = NAN;
        if (p->price)
            p->price[i] = NAN;
    }
    return AS_OK;
}

void estudy_panel_free(estudy_panel *p)
{
    if (p->names)
        for (int i = 0; i < p->nseries; i++)
            free(p->names[i]);
    free(p->names);
    free(p->dates);
    free(p->ret);
    free(p->price);
    memset(p, 0, sizeof *p);
}

int estudy_panel_find(const estudy_panel *p, const char *name)
{
    for (int i = 0; i < p->nseries; i++)
        if (p->names[i] && strcmp(p->names[i], name) == 0)
            return i;
    return -1;
}

int estudy_panel_date_index(const estudy_panel *p, int32_t day)
{
    int lo = 0, hi = p->ndates - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (p->dates[mid] == day)
            return mid;
        if (p->dates[mid] < day)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

as_err estudy_returns_from_prices(estudy_panel *p, int flags)
{
    int log_returns = flags & ESTUDY_RET_LOG, gaps = !(flags & ESTUDY_RET_NO_GAPS);
    if (!p->price)
        return as_fail(AS_ERR_USAGE, "event study: returns from prices need prices");
    for (int s = 0; s < p->nseries; s++) {
        const double *px = p->price + (size_t)s * p->ndates;
        double *r = p->ret + (size_t)s * p->ndates;
        double last = NAN;
        for (int t = 0; t < p->ndates; t++) {
            r[t] = NAN;
            if (isnan(px[t])) {
                if (!gaps) /* estudy: the next return has no previous price */
                    last = NAN;
                continue;
            }
            if (!(px[t] > 0)) {
                char d[11];
                estudy_date_format(d, p->dates[t]);
                return as_fail(AS_ERR_PARSE,
                               "series '%s': date %s: field 'price': %g is not positive",
                               p->names[s], d, px[t]);
            }
            /* Multi-day return over a gap: the price move is real, only its
             * day is unknown; dropping it would understate the CAR. */
            if (!isnan(last))
                r[t] = log_returns ? log(px[t] / last) : px[t] / last - 1.0;
            last = px[t];
        }
    }
    return AS_OK;
}

as_err estudy_day0(int *t0, int *no_day0, const estudy_panel *p, int32_t day,
                   estudy_compat compat)
{
    *no_day0 = 0;
    int lo = 0, hi = p->ndates; /* first session >= day */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (p->dates[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    *t0 = lo;
    if (lo >= p->ndates)
        return AS_ERR_RANGE;
    if (compat != ESTUDY_COMPAT_STATA_ESTUDY || p->dates[lo] == day)
        return AS_OK;
    /* estudy.ado 2.1.2: dow() 0 = Sunday, 6 = Saturday; 1970-01-01 was a
     * Thursday.  The weekend day becomes "the first Monday after" (+1 or
     * +2 calendar days), which must be in the data, and day +1. */
    int dow = (int)(((day % 7) + 7 + 4) % 7);
    if (dow != 0 && dow != 6)
        return AS_ERR_NOT_FOUND;
    if (p->dates[lo] != day + (dow == 0 ? 1 : 2))
        return AS_ERR_NOT_FOUND;
    *no_day0 = 1;
    return AS_OK;
}

/* Days from civil date, H. Hinnant's algorithm (public domain): exact for
 * the proleptic Gregorian calendar, no time zone involved. */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

as_err estudy_date_parse(int32_t *out, const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return AS_ERR_PARSE;
    int v[3] = {0, 0, 0};
    const int from[3] = {0, 5, 8}, n[3] = {4, 2, 2};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < n[k]; i++) {
            char c = s[from[k] + i];
            if (c < '0' || c > '9')
                return AS_ERR_PARSE;
            v[k] = v[k] * 10 + (c - '0');
        }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1])
        return AS_ERR_PARSE;
    int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] == 2 && v[2] == 29 && !leap)
        return AS_ERR_PARSE;
    *out = days_from_civil(v[0], v[1], v[2]);
    return AS_OK;
}

void estudy_date_format(char out[11], int32_t day)
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 13u,
             (unsigned)d % 32u);
}

const char *estudy_test_name(estudy_test t)
{
    switch (t) {
    case ESTUDY_TEST_CSECT_T: return "csect_t";
    case ESTUDY_TEST_PATELL: return "patell";
    case ESTUDY_TEST_BMP: return "bmp";
    case ESTUDY_TEST_KP_PATELL: return "kp_patell";
    case ESTUDY_TEST_KP_BMP: return "kp_bmp";
    case ESTUDY_TEST_CORRADO_RANK: return "corrado_rank";
    case ESTUDY_TEST_GEN_SIGN: return "gen_sign";
    case ESTUDY_TEST_WILCOXON: return "wilcoxon";
    case ESTUDY_NTESTS: break;
    }
    return "?";
}

const char *estudy_test_name_compat(estudy_test t, estudy_compat c)
{
    if (c == ESTUDY_COMPAT_STATA_ESTUDY && t == ESTUDY_TEST_CSECT_T)
        return "norm";
    if (c == ESTUDY_COMPAT_STATA_ESTUDY && t == ESTUDY_TEST_CORRADO_RANK)
        return "grank";
    return estudy_test_name(t);
}

const char *estudy_result_test_name(const estudy_result *r, estudy_test t)
{
    return estudy_test_name_compat(t, r->compat);
}

const char *estudy_status_name(estudy_status s)
{
    switch (s) {
    case ESTUDY_OK: return "ok";
    case ESTUDY_SKIP_RANGE: return "window outside data";
    case ESTUDY_SKIP_FEW_OBS: return "too few estimation days";
    case ESTUDY_SKIP_SINGULAR: return "singular regressors";
    case ESTUDY_SKIP_NO_MARKET: return "no market returns";
    }
    return "?";
}
