/*
 * test_study_pooled.c -- groups that pool firm-events of different event
 * dates (file mode allows one date per firm), by hand through the command
 * line: the Kolari-Pynnonen correlation counts only pairs that share day 0,
 * and the sector market-value sums are kept per event date.
 *
 * Why (README, "The event study"): the residuals of two firm-events with
 * different day 0 are series of different calendar days, so their
 * correlation in event time is not the cross-correlation KP (2010) adjust
 * for; events on different dates are taken as independent, which makes the
 * correlation matrix block-diagonal, one block per date, and KP's
 * Var(sum SCAR) = n (1 + (n - 1) rbar) holds with rbar the mean over all
 * n (n - 1) ordered pairs, the cross-date ones at 0.  A sector's firms on
 * different dates lost or gained their market value at different times, so
 * adding them mixes two events.
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

#define U (1.0 / 128)

static const char *tmp(const char *name)
{
    static char path[6][512];
    static int slot;
    const char *dir = getenv("AS_TEST_TMP");
    char *p = path[slot++ % 6];
    snprintf(p, 512, "%s/pooled_%d_%s", dir && dir[0] ? dir : "/tmp", (int)getpid(), name);
    return p;
}

/* Run `aftershock study ARGS`; stdout into the returned heap string. */
static char *run(const char *args)
{
    const char *bin = getenv("AFTERSHOCK_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s study %s 2>/dev/null", bin ? bin : testdb_src_path("aftershock"),
             args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("'%s' failed (status %d):\n%s", cmd, st, out);
    return out;
}

static void check(double got, double want, double abs_tol, const char *what)
{
    if (!(fabs(got - want) <= abs_tol))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

static json_t *find(json_t *arr, const char *key, const char *val)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (strcmp(json_string_value(json_object_get(v, key)), val) == 0)
            return v;
    }
    fail_msg("no %s = %s", key, val);
    return NULL;
}

static double stat_of(json_t *doc, const char *group, const char *test, int w0)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "tests"), i, t) {
        if (strcmp(json_string_value(json_object_get(t, "group")), group) == 0 &&
            strcmp(json_string_value(json_object_get(t, "test")), test) == 0 &&
            json_integer_value(json_object_get(t, "window_start")) == w0)
            return json_number_value(json_object_get(t, "statistic"));
    }
    fail_msg("no %s %s", group, test);
    return NAN;
}

/*
 * Market-adjusted model (AR = R - Rm, Rm = 0.5 u every day), estimation
 * [-6,-2], windows [0,0] [-1,1].  Fourteen days 2024-04-01..14; A and B
 * have day 0 on 04-08 (index 7, estimation indexes 1..5), C and D on 04-13
 * (index 12, estimation 6..10).  Sectors: S1 = {A, C}, S2 = {B, D}.
 * Estimation ARs (u):  A  1 -1  2 -2  0     B -1  1 -2  1  1
 *                      C  4  2 -4 -2  0     D  0  2 -1 -1  0
 * all with mean 0, sums of squares 10, 8, 40, 6, so
 *   rho_AB = -8/sqrt(80) = -0.894427191,  rho_CD = 10/sqrt(240) = 0.645497224.
 * rbar:  event:2024-04-08  -0.894427191        event:2024-04-13  0.645497224
 *        all (n = 4)       (2 rho_AB + 2 rho_CD)/(4 * 3) = -0.041488328
 *        sector:S1, S2     0: each pairs two dates (in event time the
 *                          correlations would be -0.1 and 0.433, and "all"
 *                          +0.0082)
 * so in S1 and S2 the KP factor sqrt((1 - 0)/(1 + 0)) is 1: kp_patell =
 * patell and kp_bmp = bmp exactly.
 * Tolerance 1e-12: exact inputs, one square root.
 */
static void test_kp_rbar_per_date(void **state)
{
    (void)state;
    static const double est[4][5] = {
        {1, -1, 2, -2, 0}, {-1, 1, -2, 1, 1}, {4, 2, -4, -2, 0}, {0, 2, -1, -1, 0}};
    static const double ev[4][3] = {{0.5, 3, 1.5}, {0.5, 4, -1.5}, {-0.5, -1.5, -1}, {1, 2, 0.5}};
    static const char *const name[4] = {"A", "B", "C", "D"};
    const char *rpath = tmp("returns.csv"), *epath = tmp("events.csv");
    FILE *f = fopen(rpath, "w");
    assert_non_null(f);
    fputs("date,ticker,return\n", f);
    for (int t = 0; t < 14; t++) {
        fprintf(f, "2024-04-%02d,MKT,%.17g\n", t + 1, 0.5 * U);
        for (int i = 0; i < 4; i++) {
            int e0 = i < 2 ? 1 : 6; /* first estimation index */
            double ar = 0.25;       /* outside the estimation and event days */
            if (t >= e0 && t < e0 + 5)
                ar = est[i][t - e0];
            else if (t >= e0 + 5 && t < e0 + 8)
                ar = ev[i][t - e0 - 5];
            fprintf(f, "2024-04-%02d,%s,%.17g\n", t + 1, name[i], (ar + 0.5) * U);
        }
    }
    assert_int_equal(fclose(f), 0);
    f = fopen(epath, "w");
    assert_non_null(f);
    fputs("ticker,event_date,sector\nA,2024-04-08,S1\nB,2024-04-08,S2\n"
          "C,2024-04-13,S1\nD,2024-04-13,S2\n", f);
    assert_int_equal(fclose(f), 0);

    char args[2048];
    snprintf(args, sizeof args, "--prices '%s' --returns --events '%s' --market MKT "
             "--model market-adjusted --estimation -6:-2 --window 0:0 --window -1:1 "
             "--min-obs 5 --format json", rpath, epath);
    char *out = run(args);
    json_error_t err;
    json_t *doc = json_loads(out, 0, &err);
    if (!doc)
        fail_msg("JSON: %s", err.text);
    json_t *groups = json_object_get(doc, "groups");
    double rab = -8 / sqrt(80.0), rcd = 10 / sqrt(240.0);
#define RBAR(g) json_number_value(json_object_get(find(groups, "group", g), "kp_rbar"))
    check(RBAR("event:2024-04-08"), rab, 1e-12, "rbar event:2024-04-08");
    check(RBAR("event:2024-04-13"), rcd, 1e-12, "rbar event:2024-04-13");
    check(RBAR("all"), (2 * rab + 2 * rcd) / 12, 1e-12, "rbar all");
    check(RBAR("sector:S1"), 0, 1e-12, "rbar sector:S1");
    check(RBAR("sector:S2"), 0, 1e-12, "rbar sector:S2");
#undef RBAR
    const char *sec[2] = {"sector:S1", "sector:S2"};
    for (int s = 0; s < 2; s++)
        for (int w = 0; w < 2; w++) {
            int w0 = w ? -1 : 0;
            double pat = stat_of(doc, sec[s], "patell", w0);
            double bmp = stat_of(doc, sec[s], "bmp", w0);
            check(stat_of(doc, sec[s], "kp_patell", w0), pat, 1e-12 * fabs(pat), sec[s]);
            check(stat_of(doc, sec[s], "kp_bmp", w0), bmp, 1e-12 * fabs(bmp), sec[s]);
        }
    json_decref(doc);
    free(out);
    unlink(rpath);
    unlink(epath);
}

/*
 * Sector market values by hand.  Prices on 2024-04-01..14 (index 0..13):
 *   A  ... P5 11.5  P6 12  P7 13  P8 12.5 ...  day 0 04-08 (index 7), 1e9 shares
 *   B  ... P5 23    P6 22  P7 20  P8 21   ...  day 0 04-08, 2e9 shares
 *   C  ... P10 34   P11 33 P12 31 P13 32       day 0 04-13 (index 12), 5e8 shares
 * MV change = shares x (close at the window's end - close before it) / 1e9:
 *   [0,0]:  A 1 x (13 - 12) = 1,   B 2 x (20 - 22) = -4,  C 0.5 x (31 - 33) = -1
 *   [-1,1]: A 1 x (12.5 - 11.5) = 1, B 2 x (21 - 23) = -4, C 0.5 x (32 - 34) = -1
 * Sector S holds all three: 04-08 sums to 1 - 4 = -3 (n 2) in both windows,
 * 04-13 to -1 (n 1); one line each, never -4 over the two dates.
 */
static void test_sector_mv_per_date(void **state)
{
    (void)state;
    static const double px[4][14] = {
        {100, 101, 100, 102, 101, 103, 102, 104, 103, 105, 104, 106, 105, 107},
        {10, 11, 10.5, 11, 12, 11.5, 12, 13, 12.5, 13, 14, 13.5, 14, 15},
        {20, 21, 22, 21, 22, 23, 22, 20, 21, 22, 23, 22, 23, 24},
        {30, 31, 30, 31, 32, 31, 32, 33, 32, 33, 34, 33, 31, 32}};
    static const char *const name[4] = {"MKT", "A", "B", "C"};
    const char *ppath = tmp("prices.csv"), *epath = tmp("mv_events.csv");
    FILE *f = fopen(ppath, "w");
    assert_non_null(f);
    fputs("date,ticker,price\n", f);
    for (int t = 0; t < 14; t++)
        for (int i = 0; i < 4; i++)
            fprintf(f, "2024-04-%02d,%s,%g\n", t + 1, name[i], px[i][t]);
    assert_int_equal(fclose(f), 0);
    f = fopen(epath, "w");
    assert_non_null(f);
    fputs("ticker,event_date,sector,shares\nA,2024-04-08,S,1000000000\n"
          "B,2024-04-08,S,2000000000\nC,2024-04-13,S,500000000\n", f);
    assert_int_equal(fclose(f), 0);
    char args[2048];
    snprintf(args, sizeof args, "--prices '%s' --events '%s' --market MKT --model "
             "market-adjusted --estimation -6:-2 --window 0:0 --window -1:1 --min-obs 5 "
             "--format csv", ppath, epath);
    char *out = run(args);
    const char *want = "\n# sectors\nsector,event_date,window_start,window_end,n,mv_change_bn\n"
                       "S,2024-04-08,0,0,2,-3\nS,2024-04-08,-1,1,2,-3\n"
                       "S,2024-04-13,0,0,1,-1\nS,2024-04-13,-1,1,1,-1\n";
    if (!strstr(out, want))
        fail_msg("want:%s\ngot:\n%s", want, out);
    free(out);
    unlink(ppath);
    unlink(epath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kp_rbar_per_date),
        cmocka_unit_test(test_sector_mv_per_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
