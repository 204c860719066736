/*
 * test_study_gaps.c -- missing returns and thin trading, by hand: what the
 * event study drops, what it counts, which n each statistic uses and what
 * status and notes it reports (analytics/estudy_run.c, cli/cmd_study.c).
 *
 * Through the command line's file mode with a returns file (long,
 * date,ticker,return; a missing row is a missing return) and, for the
 * prices path, estudy_returns_from_prices() directly.  Values are multiples
 * of u = 1/128, exact in binary and in the CSV's decimals.
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
#include <sys/wait.h>
#include <unistd.h>

#include "analytics/estudy.h"
#include "tests/support/testdb.h"

#define U (1.0 / 128)

static void check(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[3][1 << 16];
    static int slot;
    char *b = buf[slot++ % 3];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

/* The CSV line of the firms section that starts with `prefix`. */
static const char *line_of(const char *csv, const char *prefix)
{
    char key[128];
    snprintf(key, sizeof key, "\n%s", prefix);
    const char *p = strstr(csv, key);
    if (!p)
        fail_msg("no line '%s' in:\n%s", prefix, csv);
    return p + 1;
}

/*
 * Ten days 2024-03-01..10, day 0 = 03-09 (index 8), estimation [-8,-2]
 * (indexes 0..6, L1 = 7 days), windows [0,0] and [-1,1], --min-obs 5,
 * market model.  Returns in u:
 *
 *   index    0     1     2     3     4     5     6  |  7     8     9
 *   MKT     -2     5    -1     0    -3     1     2  |  1    -1     3
 *   A      -2.5    .   -3.5   0.5    .    4.5   3.5 | 4.5    .    5.5
 *   B      -1.5    0    -1     0   -2.5   1.5   2.5 |  2    -3     1
 *   C        1     .    -1     .     2     .    -2  | 0.5   1.5  -0.5
 *
 * A (thin): the rows where A has no return are dropped from its own
 * regression, never filled: M = 5 rows, market -2 -1 0 1 2, and A = 0.5 +
 * 2 m + e with e = 1 -2 0 2 -1 (sum 0, orthogonal to m), so alpha = 0.5 u,
 * beta = 2, SSR = 10 u^2, sigma^2 = 10/3 u^2 on M - 2 = 3 df; the market's
 * 5 and -3 on A's missing days do not enter.  n_est 5, n_est_missing 2.
 * Day 0 is missing: n_event_missing 1 (days -1..1 of the windows' span).
 *   [0,0]: no AR, so no CAR, SD, t, p, BHAR (empty cells); still "ok".
 *   [-1,1]: L = 2 days present (-1 and +1): AR = 4.5 - 0.5 - 2 = 2 and
 *     5.5 - 0.5 - 6 = -1, CAR = 1 u = 0.0078125; X'X = diag(5, 10 u^2),
 *     s = (2, (1 + 3) u), s'(X'X)^-1 s = 0.8 + 1.6 = 2.4, Var = 10/3 (2 +
 *     2.4) u^2 = 44/3 u^2, SD = 0.0299195971 (MacKinlay 1997 eq. 15 over
 *     the days present), t = 1/sqrt(44/3) = 0.2611164839, p (t, 3 df) =
 *     0.8109019925 (scipy 1.10.1); BHAR = (1 + 4.5u)(1 + 5.5u) - (1 +
 *     2.5u)(1 + 6.5u) = u + 8.5 u^2 = 0.008331298828125.
 * B (complete, two exact zero returns in the estimation window):
 *   n_est 7, n_est_zero 2 -- counted as thin trading, not dropped.
 * C: 4 returns in the estimation window < --min-obs 5: status "too few
 *   estimation days", n_est 4, n_est_missing 3, every number empty; it is
 *   counted in the warning and in no group.
 * Group "all": [0,0] has one CAR (B): n = 1; [-1,1] two (A, B): n = 2.
 * Notes: missing returns 2 + 1 (A) + 3 (C) = 6 firm-days; zero returns 2.
 */
static void test_thin_firm_by_hand(void **state)
{
    (void)state;
    static const double m[10] = {-2, 5, -1, 0, -3, 1, 2, 1, -1, 3};
    static const double a[10] = {-2.5, NAN, -3.5, 0.5, NAN, 4.5, 3.5, 4.5, NAN, 5.5};
    static const double b[10] = {-1.5, 0, -1, 0, -2.5, 1.5, 2.5, 2, -3, 1};
    static const double c[10] = {1, NAN, -1, NAN, 2, NAN, -2, 0.5, 1.5, -0.5};
    const char *dir = getenv("AS_TEST_TMP");
    char rpath[512], epath[512], opath[512], npath[512];
    snprintf(rpath, sizeof rpath, "%s/gaps_%d_returns.csv", dir ? dir : "/tmp", (int)getpid());
    snprintf(epath, sizeof epath, "%s/gaps_%d_events.csv", dir ? dir : "/tmp", (int)getpid());
    snprintf(opath, sizeof opath, "%s/gaps_%d_out.csv", dir ? dir : "/tmp", (int)getpid());
    snprintf(npath, sizeof npath, "%s/gaps_%d_notes.txt", dir ? dir : "/tmp", (int)getpid());
    FILE *f = fopen(rpath, "w");
    assert_non_null(f);
    fputs("date,ticker,return\n", f);
    static const char *const name[4] = {"MKT", "A", "B", "C"};
    const double *col[4] = {m, a, b, c};
    for (int t = 0; t < 10; t++)
        for (int s = 0; s < 4; s++)
            if (!isnan(col[s][t]))
                fprintf(f, "2024-03-%02d,%s,%.17g\n", t + 1, name[s], col[s][t] * U);
    assert_int_equal(fclose(f), 0);
    f = fopen(epath, "w");
    assert_non_null(f);
    fputs("ticker,event_date\nA,2024-03-09\nB,2024-03-09\nC,2024-03-09\n", f);
    assert_int_equal(fclose(f), 0);

    const char *bin = getenv("AFTERSHOCK_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s study --prices '%s' --returns --events '%s' --market MKT "
             "--estimation -8:-2 --window 0:0 --window -1:1 --min-obs 5 --format csv "
             ">'%s' 2>'%s'", bin ? bin : testdb_src_path("aftershock"), rpath, epath, opath,
             npath);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    const char *csv = slurp(opath), *notes = slurp(npath);

    assert_non_null(strstr(csv, "\nA,2024-03-09,0,0,,,,,,,5,2,0,1,ok\n"));
    double car, sd, t, p, bhar;
    int n_est, n_miss, n_zero, n_ev;
    char status[32];
    const char *la = line_of(csv, "A,2024-03-09,-1,1,");
    assert_int_equal(sscanf(la, "A,2024-03-09,-1,1,%lf,%lf,%lf,%lf,%lf,,%d,%d,%d,%d,%31[^\n]",
                            &car, &sd, &t, &p, &bhar, &n_est, &n_miss, &n_zero, &n_ev, status),
                     10);
    /* The CSV prints 10 significant digits: 1e-9 relative. */
    check(car, U, 1e-9, "A CAR [-1,1]");
    check(sd, sqrt(44.0 / 3) * U, 1e-9, "A SD [-1,1]");
    check(t, 1 / sqrt(44.0 / 3), 1e-9, "A t [-1,1]");
    check(p, 0.8109019924921688, 1e-9, "A p [-1,1]");
    check(bhar, U + 8.5 * U * U, 1e-9, "A BHAR [-1,1]");
    assert_int_equal(n_est, 5);
    assert_int_equal(n_miss, 2);
    assert_int_equal(n_zero, 0);
    assert_int_equal(n_ev, 1);
    assert_string_equal(status, "ok");

    const char *lb = line_of(csv, "B,2024-03-09,0,0,");
    assert_non_null(strstr(lb, ",7,0,2,0,ok\n"));
    assert_non_null(strstr(csv, "\nC,2024-03-09,0,0,,,,,,,4,3,0,0,too few estimation days\n"));
    assert_non_null(strstr(csv, "\nC,2024-03-09,-1,1,,,,,,,4,3,0,0,too few estimation days\n"));

    /* n of every test row of group all: 1 on [0,0], 2 on [-1,1] (Wilcoxon:
     * both CARs are non-zero). */
    static const char *const tests[] = {"csect_t", "patell", "bmp", "kp_patell", "kp_bmp",
                                        "corrado_rank", "gen_sign", "wilcoxon"};
    for (int i = 0; i < 8; i++)
        for (int w = 0; w < 2; w++) {
            char key[64];
            snprintf(key, sizeof key, "all,%s,%s,", tests[i], w ? "-1,1" : "0,0");
            const char *l = line_of(csv, key);
            const char *end = strchr(l, '\n'), *last = end;
            while (last > l && last[-1] != ',')
                last--;
            if ((int)strtol(last, NULL, 10) != (w ? 2 : 1))
                fail_msg("%.*s: n should be %d", (int)(end - l), l, w ? 2 : 1);
        }
    assert_non_null(strstr(notes, "aftershock: warning: 1 of 3 firm-events have no result "
                                  "(see the status column)"));
    assert_non_null(strstr(notes, "aftershock: missing returns: 6 firm-days; zero returns "
                                  "(thin trading): 2 firm-days"));
    unlink(rpath);
    unlink(epath);
    unlink(opath);
    unlink(npath);
}

/*
 * Returns from prices over a gap, by hand: prices 100, (none), 110, 121.
 * Native: the return of day 2 is taken over the gap from the last price,
 * 110/100 - 1 = 0.1 (one multi-day return; the gap day itself has none),
 * day 3 = 121/110 - 1 = 0.1.  Stata estudy's convention (ESTUDY_RET_NO_GAPS,
 * used by --compat estudy): day 2 has no previous price either, so only
 * day 3 has a return, ln(121/110).
 */
static void test_returns_over_gap(void **state)
{
    (void)state;
    estudy_panel p;
    assert_int_equal(estudy_panel_alloc(&p, 4, 1, 1), AS_OK);
    p.names[0] = strdup("X");
    static const double px[4] = {100, NAN, 110, 121};
    for (int t = 0; t < 4; t++) {
        p.dates[t] = 19800 + t;
        p.price[t] = px[t];
    }
    assert_int_equal(estudy_returns_from_prices(&p, 0), AS_OK);
    assert_true(isnan(p.ret[0]) && isnan(p.ret[1]));
    check(p.ret[2], 0.1, 1e-15, "multi-day return");
    check(p.ret[3], 0.1, 1e-15, "next return");
    assert_int_equal(estudy_returns_from_prices(&p, ESTUDY_RET_LOG | ESTUDY_RET_NO_GAPS), AS_OK);
    assert_true(isnan(p.ret[0]) && isnan(p.ret[1]) && isnan(p.ret[2]));
    check(p.ret[3], log(1.1), 1e-15, "estudy: log return of adjacent sessions");
    estudy_panel_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thin_firm_by_hand),
        cmocka_unit_test(test_returns_over_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
