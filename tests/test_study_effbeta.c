/*
 * test_study_effbeta.c -- the efficiency beta (file mode) against an
 * independent statsmodels computation.
 *
 * Inputs: tests/fixtures/study/deepseek_prices.csv (real adjusted closes,
 * see test_study_reference.c) and efficiency_scores.csv, the number of the
 * 26 real DeepSeek headlines of ../shared/data/news/deepseek_headlines_2025-01.csv
 * per trading session.  efficiency_expected.csv was written by
 *   /usr/bin/python3 tests/support/effbeta_reference.py \
 *     tests/fixtures/study/deepseek_prices.csv \
 *     ../shared/data/news/deepseek_headlines_2025-01.csv \
 *     tests/fixtures/study/efficiency_scores.csv \
 *     tests/fixtures/study/efficiency_expected.csv
 * (statsmodels 0.13.5 OLS twice: market model, then AR on score; Debian 12).
 * Period 2025-01-02..2025-02-28, market SPY, estimation [-250,-11].
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

static void check_close(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

static void test_effbeta_vs_statsmodels(void **state)
{
    (void)state;
    estudy_panel panel;
    int nfac;
    assert_int_equal(estudy_csv_load_panel(&panel, FIX "deepseek_prices.csv", 0, 0, NULL, &nfac),
                     AS_OK);
    double *score;
    assert_int_equal(estudy_csv_load_scores(&score, FIX "efficiency_scores.csv", &panel), AS_OK);
    int32_t d0, d1;
    assert_int_equal(estudy_date_parse(&d0, "2025-01-02", 10), AS_OK);
    assert_int_equal(estudy_date_parse(&d1, "2025-02-28", 10), AS_OK);
    int from = estudy_panel_date_index(&panel, d0), to = estudy_panel_date_index(&panel, d1);
    assert_true(from > 0 && to > from);
    estudy_config cfg;
    estudy_config_default(&cfg);
    int market = estudy_panel_find(&panel, "SPY");

    struct csv_reader cr;
    assert_int_equal(csv_open(&cr, FIX "efficiency_expected.csv"), AS_OK);
    assert_int_equal(csv_next(&cr), 1); /* header ticker,beta,t,p_value,n */
    int checked = 0;
    while (csv_next(&cr) == 1) {
        int firm = estudy_panel_find(&panel, cr.fields[0]);
        assert_true(firm >= 0);
        estudy_effbeta eb;
        assert_int_equal(estudy_efficiency_beta(&eb, &panel, firm, market, score, from, to, &cfg),
                         AS_OK);
        assert_int_equal(eb.status, ESTUDY_OK);
        char what[64];
        /* Closed-form slope vs statsmodels' pinv: double rounding only;
         * 1e-9 relative is far above it and far below any formula slip
         * (a wrong df alone moves t by ~3%). */
        snprintf(what, sizeof what, "%s beta", cr.fields[0]);
        check_close(eb.beta, strtod(cr.fields[1], NULL), 1e-9, what);
        snprintf(what, sizeof what, "%s t", cr.fields[0]);
        check_close(eb.t, strtod(cr.fields[2], NULL), 1e-9, what);
        /* p: our incomplete beta vs scipy's cephes, ~1e-12; 1e-7 leaves room. */
        snprintf(what, sizeof what, "%s p", cr.fields[0]);
        check_close(eb.p, strtod(cr.fields[3], NULL), 1e-7, what);
        assert_int_equal(eb.n, (int)strtol(cr.fields[4], NULL, 10));
        checked++;
    }
    csv_close(&cr);
    assert_int_equal(checked, 8);
    free(score);
    estudy_panel_free(&panel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_effbeta_vs_statsmodels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
