/*
 * test_study_models.c -- the normal-return models other than the default
 * market model, run through the file mode of the command line
 * (`aftershock study --prices FILE --events FILE --market T [--model M]
 * [--log] [--returns --factors FILE] --format json`), against statsmodels
 * OLS on the same files (tests/support/study_models_check.py, run at test
 * time): every AR of days -5..+10 and, per window, CAR, its SD, t, p and
 * BHAR.
 *
 * Data (real):
 *   tests/fixtures/study/deepseek_prices.csv, deepseek_events.csv -- adjusted
 *     closes of eight AI names and SPY, 2023-2025, 11 firm-events on two
 *     dates (see test_study_reference.c): market-adjusted, mean-adjusted, and
 *     the market model on log returns (--log).
 *   tests/fixtures/peers/pyeventstudy_gafam/input_returns_GAFAM.csv (simple
 *     daily returns of the Python eventstudy package's example, see
 *     PROVENANCE.md) with tests/fixtures/study/gafam_events.csv (six of that
 *     package's 10-K dates, 2018-2019) and the Fama-French-like factor file
 *     tests/fixtures/study/ff_smb_hml_2017-2019.csv: the SMB and HML columns
 *     of Kenneth French's daily 3-factor file as that package ships it
 *     (input_famafrench_3f_daily_from1999.csv), 2017-01-03..2019-09-30,
 *     divided by 100 to decimals ("%.4f" of the percent value / 100: exact),
 *     dates kept as YYYYMMDD -- the multi-factor model R ~ 1 + SPY + SMB + HML.
 *
 * Tolerances: the engine solves the normal equations by Cholesky, statsmodels
 * by pinv (SVD); both in double on designs with condition numbers below 1e4,
 * so ARs and CARs agree to ~1e-13 absolute; asserted 1e-9 relative + 1e-12.
 * p-values: our incomplete beta against scipy's cephes, 1e-8 relative.
 * Any convention slip (a divisor M - 1 for M - p, a missing forecast-error
 * term, simple for log returns) moves values by 1e-3 or more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/testdb.h"

#define FIX "tests/fixtures/study/"
#define GAFAM "tests/fixtures/peers/pyeventstudy_gafam/input_returns_GAFAM.csv"

static void check(double got, double want, double rel, double abs_tol, const char *what)
{
    if (!(fabs(got - want) <= abs_tol + rel * fabs(want)))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

/* Run cmd, parse its stdout as JSON; fails the test on a non-zero exit. */
static json_t *run_json(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t err;
    json_t *doc = json_loadf(p, JSON_DISABLE_EOF_CHECK, &err);
    int rc = pclose(p);
    if (!doc || rc != 0)
        fail_msg("'%s' failed (status %d)%s%s", cmd, rc, doc ? "" : ": ", doc ? "" : err.text);
    return doc;
}

/*
 * One model: `aftershock study ARGS [--factors FACTORS] --format json` against
 * study_models_check.py MODEL PRICES EVENTS MARKET [FACTORS].  Returns the
 * number of firm-events compared.
 */
static int compare_model(const char *model, const char *prices, const char *events,
                         const char *factors, const char *args)
{
    const char *bin = getenv("AFTERSHOCK_BIN");
    char cmd[4096], fac[1100] = "";
    if (factors)
        snprintf(fac, sizeof fac, "--factors '%s'", testdb_src_path(factors));
    snprintf(cmd, sizeof cmd, "%s study --prices '%s' --events '%s' --market SPY %s %s "
             "--format json 2>/dev/null", bin ? bin : testdb_src_path("aftershock"),
             testdb_src_path(prices), testdb_src_path(events), args, fac);
    json_t *ours = run_json(cmd);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' %s '%s' '%s' SPY %s",
             testdb_src_path("tests/support/study_models_check.py"), model,
             testdb_src_path(prices), testdb_src_path(events),
             factors ? testdb_src_path(factors) : "");
    json_t *want = run_json(cmd);

    json_t *firms = json_object_get(ours, "firms");
    size_t i;
    json_t *f;
    int n = 0;
    json_array_foreach(firms, i, f) {
        char key[64], what[160];
        snprintf(key, sizeof key, "%s@%s", json_string_value(json_object_get(f, "ticker")),
                 json_string_value(json_object_get(f, "event_date")));
        json_t *w = json_object_get(want, key);
        if (!w)
            fail_msg("%s: %s missing from statsmodels' results", model, key);
        assert_string_equal(json_string_value(json_object_get(f, "status")), "ok");
        assert_int_equal(json_integer_value(json_object_get(f, "ar_first_day")), -5);
        json_t *ar = json_object_get(f, "ar"), *war = json_object_get(w, "ar");
        assert_int_equal(json_array_size(ar), 16);
        assert_int_equal(json_array_size(war), 16);
        for (size_t d = 0; d < 16; d++) {
            snprintf(what, sizeof what, "%s %s AR day %d", model, key, (int)d - 5);
            check(json_number_value(json_array_get(ar, d)),
                  json_number_value(json_array_get(war, d)), 1e-9, 1e-12, what);
        }
        static const char *const col[5] = {"car", "car_sd", "car_t", "car_p", "bhar"};
        json_t *wins = json_object_get(f, "windows"), *wwins = json_object_get(w, "windows");
        assert_int_equal(json_array_size(wins), 4);
        for (size_t k = 0; k < 4; k++) {
            json_t *ow = json_array_get(wins, k), *ww = json_array_get(wwins, k);
            for (int c = 0; c < 5; c++) {
                snprintf(what, sizeof what, "%s %s [%d,%d] %s", model, key,
                         (int)json_integer_value(json_object_get(ow, "window_start")),
                         (int)json_integer_value(json_object_get(ow, "window_end")), col[c]);
                check(json_number_value(json_object_get(ow, col[c])),
                      json_number_value(json_array_get(ww, (size_t)c)), c == 3 ? 1e-8 : 1e-9,
                      1e-12, what);
            }
        }
        n++;
    }
    json_decref(ours);
    json_decref(want);
    return n;
}

static void test_market_adjusted(void **state)
{
    (void)state;
    assert_int_equal(compare_model("market-adjusted", FIX "deepseek_prices.csv",
                                   FIX "deepseek_events.csv", NULL, "--model market-adjusted"),
                     11);
}

static void test_mean_adjusted(void **state)
{
    (void)state;
    assert_int_equal(compare_model("mean-adjusted", FIX "deepseek_prices.csv",
                                   FIX "deepseek_events.csv", NULL, "--model mean-adjusted"),
                     11);
}

static void test_market_model_log_returns(void **state)
{
    (void)state;
    assert_int_equal(compare_model("market-log", FIX "deepseek_prices.csv",
                                   FIX "deepseek_events.csv", NULL, "--log"),
                     11);
}

static void test_factor_model(void **state)
{
    (void)state;
    assert_int_equal(compare_model("factor", GAFAM, FIX "gafam_events.csv",
                                   FIX "ff_smb_hml_2017-2019.csv",
                                   "--returns --model factor"),
                     6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_market_adjusted),
        cmocka_unit_test(test_mean_adjusted),
        cmocka_unit_test(test_market_model_log_returns),
        cmocka_unit_test(test_factor_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
