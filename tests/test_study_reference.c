/*
 * test_study_reference.c -- the event-study engine against independent
 * computations on real data.
 *
 * tests/fixtures/study/deepseek_prices.csv is a subset of
 * ../shared/data/prices/panel/deepseek_panel_ohlcv_2023-01-03_2025-06-30.csv
 * (columns date,ticker,adj_close,close; NVDA AVGO TSM AMD MU MSFT VST CEG
 * SPY; 2023-01-03..2025-03-31; provenance in ../shared/data/PROVENANCE.md,
 * section 5).  deepseek_expected.csv was written by
 *   /usr/bin/python3 tests/support/study_reference.py \
 *     tests/fixtures/study/deepseek_prices.csv \
 *     tests/fixtures/study/deepseek_events.csv \
 *     tests/fixtures/study/deepseek_expected.csv
 * i.e. statsmodels OLS, numpy.corrcoef, scipy ranks and tails (scipy 1.10.1,
 * statsmodels 0.13.5, Debian 12).  Also: the BLAS/LAPACK OLS against its
 * plain-loop reference, and the p-value functions against scipy values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/estudy.h"
#include "analytics/estudy_csv.h"
#include "common/csv.h"

#define FIX "tests/fixtures/study/"

static int close_to(double got, double want, double rel, double abs_tol)
{
    if (isnan(want))
        return isnan(got);
    return fabs(got - want) <= abs_tol + rel * fabs(want);
}

#define ASSERT_CLOSE(got, want, rel, abs_tol, what)                                    \
    do {                                                                              \
        if (!close_to((got), (want), (rel), (abs_tol)))                               \
            fail_msg("%s: got %.12g, want %.12g", (what), (double)(got), (double)(want)); \
    } while (0)

typedef struct fixture {
    estudy_panel panel;
    estudy_event *events;
    int nevents, nsectors;
    char **sectors;
    estudy_result r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    int nfac, moved;
    if (estudy_csv_load_panel(&f->panel, FIX "deepseek_prices.csv", 0, 0, NULL, &nfac) ||
        estudy_csv_load_events(&f->events, &f->nevents, &f->sectors, &f->nsectors, &moved,
                               FIX "deepseek_events.csv", &f->panel, ESTUDY_COMPAT_NATIVE)) {
        fprintf(stderr, "fixture: %s\n", as_last_error());
        free(f);
        return -1;
    }
    estudy_config cfg;
    estudy_config_default(&cfg);
    if (estudy_run(&f->r, &f->panel, f->events, f->nevents, &cfg,
                   estudy_panel_find(&f->panel, "SPY"), NULL, 0,
                   (const char *const *)f->sectors, f->nsectors)) {
        fprintf(stderr, "run: %s\n", as_last_error());
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    estudy_result_free(&f->r);
    estudy_panel_free(&f->panel);
    estudy_csv_free_sectors(f->sectors, f->nsectors);
    free(f->events);
    free(f);
    return 0;
}

static int event_index(const fixture *f, const char *key)
{
    for (int e = 0; e < f->nevents; e++) {
        char k[64], d[11];
        estudy_date_format(d, f->panel.dates[f->events[e].t0]);
        snprintf(k, sizeof k, "%s@%s", f->panel.names[f->events[e].firm], d);
        if (strcmp(k, key) == 0)
            return e;
    }
    return -1;
}

static int window_index(const estudy_result *r, int w0, int w1)
{
    for (int w = 0; w < r->nwin; w++)
        if (r->windows[w].start == w0 && r->windows[w].end == w1)
            return w;
    return -1;
}

static void test_against_statsmodels(void **state)
{
    fixture *f = *state;
    const estudy_result *r = &f->r;
    struct csv_reader cr;
    assert_int_equal(csv_open(&cr, FIX "deepseek_expected.csv"), AS_OK);
    assert_int_equal(csv_next(&cr), 1); /* header */
    int checked = 0;
    while (csv_next(&cr) == 1) {
        const char *kind = cr.fields[0], *key = cr.fields[1], *name = cr.fields[4];
        int w0 = atoi(cr.fields[2]), w1 = atoi(cr.fields[3]); /* fixture: trusted ints */
        double want = cr.fields[5][0] ? strtod(cr.fields[5], NULL) : NAN;
        char what[160];
        snprintf(what, sizeof what, "%s %s [%d,%d] %s", kind, key, w0, w1, name);
        if (strcmp(kind, "firm") == 0 || strcmp(kind, "ar") == 0 || strcmp(kind, "window") == 0) {
            int e = event_index(f, key);
            assert_true(e >= 0);
            assert_int_equal(r->firm[e].status, ESTUDY_OK);
            /* Normal equations vs statsmodels' pinv/QR: both double, well
             * conditioned design; 1e-9 relative covers the rounding. */
            if (strcmp(name, "alpha") == 0)
                ASSERT_CLOSE(r->firm[e].alpha, want, 1e-7, 1e-12, what);
            else if (strcmp(name, "beta") == 0)
                ASSERT_CLOSE(r->firm[e].beta, want, 1e-9, 0, what);
            else if (strcmp(name, "sigma2") == 0)
                ASSERT_CLOSE(r->firm[e].sigma2, want, 1e-9, 0, what);
            else if (strcmp(kind, "ar") == 0)
                ASSERT_CLOSE(r->ar[(size_t)e * r->span + (w0 - r->span_start)], want, 1e-9,
                             1e-13, what);
            else {
                int w = window_index(r, w0, w1);
                size_t k = (size_t)e * r->nwin + w;
                double got = strcmp(name, "car") == 0      ? r->car[k]
                             : strcmp(name, "car_sd") == 0 ? r->car_sd[k]
                             : strcmp(name, "car_t") == 0  ? r->car_t[k]
                             : strcmp(name, "car_p") == 0  ? r->car_p[k]
                             : strcmp(name, "bhar") == 0   ? r->bhar[k]
                                                           : r->mv_change[k];
                /* p-values: incomplete beta continued fraction vs scipy's
                 * cephes, agree to ~1e-12 relative; 1e-7 leaves room. */
                ASSERT_CLOSE(got, want, 1e-7, 1e-13, what);
            }
        } else {
            const estudy_group *g = NULL;
            for (int i = 0; i < r->ngroups; i++)
                if (strcmp(r->groups[i].name, key) == 0)
                    g = &r->groups[i];
            if (!g)
                fail_msg("group %s missing", key);
            if (strcmp(name, "rbar") == 0) {
                /* sum-of-unit-vectors identity vs numpy.corrcoef */
                ASSERT_CLOSE(g->rbar, want, 1e-9, 1e-12, what);
            } else {
                int w = window_index(r, w0, w1);
                if (strcmp(name, "estimate") == 0) {
                    ASSERT_CLOSE(g->estimate[w], want, 1e-9, 1e-14, what);
                } else {
                    char tn[32];
                    const char *dot = strchr(name, '.');
                    snprintf(tn, sizeof tn, "%.*s", (int)(dot - name), name);
                    int t = 0;
                    while (t < ESTUDY_NTESTS && strcmp(estudy_test_name((estudy_test)t), tn))
                        t++;
                    assert_true(t < ESTUDY_NTESTS);
                    double got = strcmp(dot, ".stat") == 0 ? g->stat[w][t] : g->p[w][t];
                    if (strcmp(dot, ".stat") == 0 && isnan(want))
                        continue; /* scipy's wilcoxon reports W, not z: p compared */
                    ASSERT_CLOSE(got, want, 1e-7, 1e-14, what);
                }
            }
        }
        checked++;
    }
    csv_close(&cr);
    assert_true(checked > 800);
}

static void test_ols_batch_matches_loop(void **state)
{
    fixture *f = *state;
    int spy = estudy_panel_find(&f->panel, "SPY"), n = 240, p = 2, nrhs = 4;
    const char *names[] = {"NVDA", "VST", "MSFT", "CEG"};
    double X[2 * 240], Y[4 * 240], B[8], V[4], b[2], Vr[4];
    int s0 = 300;
    for (int k = 0; k < n; k++) {
        X[k] = 1.0;
        X[n + k] = f->panel.ret[(size_t)spy * f->panel.ndates + s0 + k];
        for (int j = 0; j < nrhs; j++)
            Y[j * n + k] = f->panel.ret[(size_t)estudy_panel_find(&f->panel, names[j]) *
                                            f->panel.ndates + s0 + k];
    }
    assert_int_equal(estudy_ols_batch(B, V, X, Y, n, p, nrhs), AS_OK);
    for (int j = 0; j < nrhs; j++) {
        assert_int_equal(estudy_ols_ref(b, Vr, X, Y + j * n, n, p), AS_OK);
        /* Cholesky vs Gauss-Jordan on the same normal equations. */
        for (int i = 0; i < p; i++)
            ASSERT_CLOSE(B[j * p + i], b[i], 1e-10, 1e-14, names[j]);
    }
    for (int i = 0; i < 4; i++)
        ASSERT_CLOSE(V[i], Vr[i], 1e-10, 0, "(X'X)^-1");
}

static void test_pvalues_match_scipy(void **state)
{
    (void)state;
    /* scipy 1.10.1: 2*stats.t.sf(|t|, df) and 2*stats.norm.sf(|z|). */
    ASSERT_CLOSE(estudy_t_sf2(2.0, 10), 0.07338803477074039, 1e-10, 0, "t 2 df10");
    ASSERT_CLOSE(estudy_t_sf2(-5.06, 238), 8.385325916691213e-07, 1e-9, 0, "t -5.06 df238");
    ASSERT_CLOSE(estudy_t_sf2(0.5, 3), 0.651447964848151, 1e-10, 0, "t 0.5 df3");
    ASSERT_CLOSE(estudy_t_sf2(30, 5), 7.718648620496047e-07, 1e-9, 0, "t 30 df5");
    ASSERT_CLOSE(estudy_norm_sf2(1.959963984540054), 0.05, 1e-12, 0, "z 1.96");
    ASSERT_CLOSE(estudy_norm_sf2(-4.0), 6.334248366623973e-05, 1e-12, 0, "z -4");
    ASSERT_CLOSE(estudy_norm_sf2(0.1), 0.920344325445942, 1e-12, 0, "z 0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_statsmodels),
        cmocka_unit_test(test_ols_batch_matches_loop),
        cmocka_unit_test(test_pvalues_match_scipy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
