/*
 * test_study_compat.c -- `aftershock study --compat estudy` against Stata
 * estudy's formulas (estudy.ado 2.1.2, 16 Sep 2021, and its help file
 * SJ21-4 st0532_3; Pacicco, Vena & Venegoni 2018, 2021) worked
 * independently in numpy/pandas/scipy by tests/support/estudy_check.py at
 * test time (Stata itself is not available here).  What the switch changes
 * is listed in README.md ("The event study"); every item is checked here:
 *
 *   per firm   log returns of adjacent sessions only (no return across a
 *              missing price), residual variance r(Var) with divisor M - 1,
 *              the CAR variance of each model (single index with the
 *              index's own moments, historical mean, market-adjusted,
 *              multi-factor), t with M - k - 1 df, the estimation-day count;
 *   per group  CAAR as sum ln(mean exp AR), Norm (in the csect_t slot),
 *              Patell with (M - 2)/(M - 4), ADJPatell = Patell /
 *              sqrt(1 + (n-1) rho) and KP = BMP sqrt((1-rho)/(1+(n-1) rho))
 *              with rho the mean pairwise correlation, normal p-values for
 *              BMP and KP, estudy's Wilcoxon, GRANK (in the corrado_rank
 *              slot), all on the groups all, event:DATE and sector:NAME;
 *   dates      a weekend date's Monday is day +1 and there is no day 0; a
 *              weekday holiday is refused.
 *
 * Data: tests/fixtures/study/deepseek_prices.csv and deepseek_events.csv
 * (real, see test_study_reference.c), and the same prices with three rows
 * removed (MU 2024-12-10 in the estimation window, MU 2025-01-29 in the
 * event window, SPY 2024-11-15: the index's own moments then differ from
 * the firms') with events on a Saturday and a Sunday.
 *
 * Tolerances: both sides solve the same OLS in double (Cholesky here, SVD
 * there) and sum the same series, 1e-9 relative + 1e-13; p-values 1e-8
 * (our incomplete beta and erfc against scipy's).  A convention slip (the
 * other KP form, a t p-value, M for N_m) moves values by 1e-4 or more.
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
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/testdb.h"

#define FIX "tests/fixtures/study/"
#define WINDOWS "0:0 -1:1 -5:5 0:10"

static void check(double got, double want, double rel, double abs_tol, const char *what)
{
    if (!(fabs(got - want) <= abs_tol + rel * fabs(want)))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

/* JSON number or NAN for null. */
static double num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *bin(void)
{
    const char *b = getenv("AFTERSHOCK_BIN");
    return b ? b : testdb_src_path("aftershock");
}

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

/* `aftershock study` on prices/events with the default windows, JSON. */
static json_t *study(const char *prices, const char *events, const char *extra)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s study --prices '%s' --events '%s' --market SPY "
             "--estimation -250:-11 %s --format json 2>/dev/null", bin(), prices, events, extra);
    return run_json(cmd);
}

static const char *tmp_file(const char *name)
{
    static char path[4][512];
    static int slot;
    const char *dir = getenv("AS_TEST_TMP");
    char *p = path[slot++ % 4];
    snprintf(p, 512, "%s/compat_%d_%s", dir && dir[0] ? dir : "/tmp", (int)getpid(), name);
    return p;
}

static const char *write_file(const char *name, const char *content)
{
    const char *p = tmp_file(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* The group test row (group, test, window) of a study's JSON, or NULL. */
static json_t *test_row(json_t *doc, const char *group, const char *test, int w0, int w1)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "tests"), i, t) {
        if (strcmp(json_string_value(json_object_get(t, "group")), group) == 0 &&
            strcmp(json_string_value(json_object_get(t, "test")), test) == 0 &&
            json_integer_value(json_object_get(t, "window_start")) == w0 &&
            json_integer_value(json_object_get(t, "window_end")) == w1)
            return t;
    }
    return NULL;
}

static json_t *firm_row(json_t *doc, const char *ticker, const char *day0)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(doc, "firms"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "ticker")), ticker) == 0 &&
            strcmp(json_string_value(json_object_get(f, "event_date")), day0) == 0)
            return f;
    }
    return NULL;
}

/* Everything the reference computes for estudy's model `model` (SIM, MAM,
 * HMM, MFM:FACTORS) against `--compat estudy` with the matching options
 * `args`; prices "returns:PATH" for a returns file.  Returns the number of
 * values compared. */
static int compare_with_estudy(const char *model, const char *prices, const char *events,
                               const char *args)
{
    char cli[1200];
    const char *path = strncmp(prices, "returns:", 8) == 0 ? prices + 8 : prices;
    snprintf(cli, sizeof cli, "--compat estudy %s%s", args, path != prices ? " --returns" : "");
    json_t *ours = study(path, events, cli);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s' '%s' SPY -250:-11 " WINDOWS,
             testdb_src_path("tests/support/estudy_check.py"), model, prices, events);
    json_t *want = run_json(cmd);
    static const int win[4][2] = {{0, 0}, {-1, 1}, {-5, 5}, {0, 10}};
    int checked = 0;
    char what[256];

    const char *key;
    json_t *wf;
    json_object_foreach(json_object_get(want, "firms"), key, wf) {
        char ticker[16], day0[16];
        assert_int_equal(sscanf(key, "%15[^@]@%15s", ticker, day0), 2);
        json_t *f = firm_row(ours, ticker, day0);
        if (!f)
            fail_msg("%s: no firm row", key);
        assert_string_equal(json_string_value(json_object_get(f, "status")), "ok");
        assert_int_equal(json_integer_value(json_object_get(f, "n_est")),
                         json_integer_value(json_object_get(wf, "n_est")));
        static const char *const col[4] = {"car", "car_sd", "car_t", "car_p"};
        for (int w = 0; w < 4; w++)
            for (int c = 0; c < 4; c++) {
                double want_v = num(json_array_get(json_object_get(wf, col[c]), (size_t)w));
                double got =
                    num(json_object_get(json_array_get(json_object_get(f, "windows"), (size_t)w),
                                        col[c]));
                snprintf(what, sizeof what, "%s [%d,%d] %s", key, win[w][0], win[w][1], col[c]);
                if (isnan(want_v)) { /* an empty window: a weekend event's [0,0] */
                    if (!isnan(got))
                        fail_msg("%s: got %.15g, want missing", what, got);
                    continue;
                }
                check(got, want_v, c == 3 ? 1e-8 : 1e-9, 1e-13, what);
                checked++;
            }
    }

    const char *gname;
    json_t *wg;
    json_object_foreach(json_object_get(want, "groups"), gname, wg) {
        size_t i;
        json_t *g;
        double rbar = NAN;
        int found = 0;
        json_array_foreach(json_object_get(ours, "groups"), i, g) {
            if (strcmp(json_string_value(json_object_get(g, "group")), gname) == 0) {
                rbar = num(json_object_get(g, "kp_rbar"));
                found = 1;
            }
        }
        if (!found)
            fail_msg("group %s missing", gname);
        snprintf(what, sizeof what, "%s rho", gname);
        double want_r = num(json_object_get(wg, "rbar"));
        if (isnan(want_r))
            assert_true(isnan(rbar));
        else
            check(rbar, want_r, 1e-9, 1e-13, what);
        for (int w = 0; w < 4; w++) {
            json_t *ww = json_array_get(json_object_get(wg, "windows"), (size_t)w);
            const char *tn;
            json_t *tv;
            json_object_foreach(ww, tn, tv) {
                json_t *row = test_row(ours, gname, strcmp(tn, "estimate") ? tn : "patell",
                                       win[w][0], win[w][1]);
                if (!row)
                    fail_msg("%s %s [%d,%d]: no row", gname, tn, win[w][0], win[w][1]);
                snprintf(what, sizeof what, "%s [%d,%d] %s", gname, win[w][0], win[w][1], tn);
                if (strcmp(tn, "estimate") == 0) {
                    double e = num(tv), got = num(json_object_get(row, "estimate"));
                    if (isnan(e))
                        assert_true(isnan(got));
                    else
                        check(got, e, 1e-9, 1e-13, what);
                    continue;
                }
                check(num(json_object_get(row, "statistic")), num(json_array_get(tv, 0)), 1e-9,
                      1e-13, what);
                strcat(what, " p");
                check(num(json_object_get(row, "p_value")), num(json_array_get(tv, 1)), 1e-8,
                      1e-15, what);
                checked += 2;
            }
        }
    }
    json_decref(ours);
    json_decref(want);
    return checked;
}

static void test_compat_matches_estudy(void **state)
{
    (void)state;
    char prices[1024], events[1024]; /* testdb_src_path reuses 4 buffers */
    snprintf(prices, sizeof prices, "%s", testdb_src_path(FIX "deepseek_prices.csv"));
    snprintf(events, sizeof events, "%s", testdb_src_path(FIX "deepseek_events.csv"));
    /* 11 firm-events x 4 windows x 4 columns, 5 groups with tests */
    assert_true(compare_with_estudy("SIM", prices, events, "") > 176 + 200);
    assert_true(compare_with_estudy("MAM", prices, events, "--model market-adjusted") > 376);
    assert_true(compare_with_estudy("HMM", prices, events, "--model mean-adjusted") > 376);
}

/* The multi-factor model on returns (no `price` option): the Python
 * eventstudy package's GAFAM returns with French's SMB and HML (see
 * test_study_models.c), index list SPY SMB HML. */
static void test_compat_factor_model(void **state)
{
    (void)state;
    char model[1100], prices[1100], args[1200], events[1024];
    snprintf(events, sizeof events, "%s", testdb_src_path(FIX "gafam_events.csv"));
    snprintf(model, sizeof model, "MFM:%s", testdb_src_path(FIX "ff_smb_hml_2017-2019.csv"));
    snprintf(prices, sizeof prices, "returns:%s",
             testdb_src_path("tests/fixtures/peers/pyeventstudy_gafam/input_returns_GAFAM.csv"));
    snprintf(args, sizeof args, "--model factor --factors '%s'",
             testdb_src_path(FIX "ff_smb_hml_2017-2019.csv"));
    assert_true(compare_with_estudy(model, prices, events, args) > 96 + 20);
}

static void test_compat_gaps_and_weekends(void **state)
{
    (void)state;
    /* the fixture without three rows; grep -v keeps everything else */
    const char *prices = tmp_file("gap_prices.csv");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "grep -v '^2024-12-10,MU,\\|^2025-01-29,MU,\\|^2024-11-15,SPY,' "
             "'%s' > '%s'", testdb_src_path(FIX "deepseek_prices.csv"), prices);
    assert_int_equal(system(cmd), 0);
    const char *events = write_file("weekend_events.csv",
                                    "ticker,event_date,sector\n"
                                    "NVDA,2025-01-25,Semiconductors\n" /* Saturday */
                                    "MU,2025-01-26,Semiconductors\n"   /* Sunday */
                                    "CEG,2024-08-03,Power\n"           /* Saturday */
                                    "VST,2025-01-27,Power\n"
                                    "AMD,2025-01-27,Semiconductors\n");
    assert_true(compare_with_estudy("SIM", prices, events, "") > 60);

    /* By hand from the gaps: MU's estimation window [-250,-11] before
     * 2025-01-27 holds 240 sessions; estudy loses the return of 2024-12-10
     * (no price) and of 12-11 (no previous price), and SPY's of 11-15 and
     * 11-18, so M = 236, where the native multi-day returns keep 12-11 and
     * 11-18: 238.  In the event window MU misses 01-29 and 01-30 (2 days;
     * native: 01-29 only). */
    json_t *c = study(prices, events, "--compat estudy"), *nat = study(prices, events, "");
    json_t *mu_c = firm_row(c, "MU", "2025-01-27"), *mu_n = firm_row(nat, "MU", "2025-01-27");
    assert_int_equal(json_integer_value(json_object_get(mu_c, "n_est")), 236);
    assert_int_equal(json_integer_value(json_object_get(mu_n, "n_est")), 238);
    assert_int_equal(json_integer_value(json_object_get(mu_c, "n_event_missing")), 2);
    assert_int_equal(json_integer_value(json_object_get(mu_n, "n_event_missing")), 1);
    json_decref(c);
    json_decref(nat);
    unlink(prices);
    unlink(events);
}

/*
 * The weekend rule by hand: an event dated Saturday 2025-01-25 is, for
 * estudy, day -1 = Friday 01-24, day +1 = Monday 01-27, no day 0.  So its
 * [0,0] window is empty, its [-1,1] is Friday + Monday, which is the [-1,0]
 * window of the same firm dated Monday (same estimation window: days -250
 * .. -11 count back from the Monday either way), and its [0,10] is the
 * Monday event's [0,9].  A weekday holiday (2025-01-20, Martin Luther King
 * Day) is refused, naming the line; native mode moves it to the 21st.
 */
static void test_compat_event_dates(void **state)
{
    (void)state;
    char prices[1024];
    snprintf(prices, sizeof prices, "%s", testdb_src_path(FIX "deepseek_prices.csv"));
    const char *events = write_file("sat_events.csv", "ticker,event_date\n"
                                                      "NVDA,2025-01-25\nNVDA,2025-01-27\n");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s study --prices '%s' --events '%s' --market SPY --compat estudy "
             "--window 0:0 --window -1:1 --window -1:0 --window 0:10 --window 0:9 --format json "
             "2>/dev/null", bin(), prices, events);
    json_t *doc = run_json(cmd);
    json_t *firms = json_object_get(doc, "firms");
    assert_int_equal(json_array_size(firms), 2);
    json_t *sat = json_object_get(json_array_get(firms, 0), "windows");
    json_t *mon = json_object_get(json_array_get(firms, 1), "windows");
#define CAR(f, w) num(json_object_get(json_array_get((f), (w)), "car"))
    assert_true(isnan(CAR(sat, 0)));
    assert_false(isnan(CAR(mon, 0)));
    /* the same sums of the same ARs: equal up to the order of addition */
    check(CAR(sat, 1), CAR(mon, 2), 1e-12, 1e-15, "Saturday [-1,1] = Monday [-1,0]");
    check(CAR(sat, 3), CAR(mon, 4), 1e-12, 1e-15, "Saturday [0,10] = Monday [0,9]");
#undef CAR
    json_decref(doc);

    const char *hol = write_file("holiday.csv", "ticker,event_date\nNVDA,2025-01-20\n");
    char out[4096];
    snprintf(cmd, sizeof cmd, "%s study --prices '%s' --events '%s' --market SPY --compat estudy "
             "2>&1", bin(), prices, hol);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    char want[1024];
    snprintf(want, sizeof want, "aftershock: error: '%s': line 2: field 'event_date': 2025-01-20 "
             "is not a trading day in the prices (--compat estudy takes a session, or a weekend "
             "before one, as Stata estudy does)", hol);
    if (!strstr(out, want))
        fail_msg("got: %s", out);
    snprintf(cmd, sizeof cmd, "%s study --prices '%s' --events '%s' --market SPY 2>&1 >/dev/null",
             bin(), prices, hol);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_non_null(strstr(out, "1 event date(s) were not trading days and moved to the next "
                                "session"));
    unlink(events);
    unlink(hol);
}

/* What the switch changes is visible: slot names, and values that differ
 * from the native ones by more than rounding on the same data. */
static void test_compat_differs_from_native(void **state)
{
    (void)state;
    char prices[1024], events[1024];
    snprintf(prices, sizeof prices, "%s", testdb_src_path(FIX "deepseek_prices.csv"));
    snprintf(events, sizeof events, "%s", testdb_src_path(FIX "deepseek_events.csv"));
    json_t *c = study(prices, events, "--compat estudy"), *nat = study(prices, events, "");
    assert_non_null(test_row(c, "all", "norm", -1, 1));
    assert_non_null(test_row(c, "all", "grank", -1, 1));
    assert_null(test_row(c, "all", "csect_t", -1, 1));
    assert_null(test_row(c, "all", "corrado_rank", -1, 1));
    assert_non_null(test_row(nat, "all", "csect_t", -1, 1));
    assert_non_null(test_row(nat, "all", "corrado_rank", -1, 1));
    static const char *const same_name[] = {"patell", "bmp", "kp_patell", "kp_bmp", "wilcoxon"};
    for (size_t i = 0; i < sizeof same_name / sizeof same_name[0]; i++) {
        json_t *a = test_row(c, "all", same_name[i], -1, 1);
        json_t *b = test_row(nat, "all", same_name[i], -1, 1);
        double da = num(json_object_get(a, "statistic")), db = num(json_object_get(b, "statistic"));
        if (!(fabs(da - db) > 1e-4 * fabs(db)))
            fail_msg("%s: compat %.10g and native %.10g do not differ", same_name[i], da, db);
    }
    json_decref(c);
    json_decref(nat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compat_matches_estudy),
        cmocka_unit_test(test_compat_factor_model),
        cmocka_unit_test(test_compat_gaps_and_weekends),
        cmocka_unit_test(test_compat_event_dates),
        cmocka_unit_test(test_compat_differs_from_native),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
