/*
 * test_study_demo.c -- the DeepSeek demo numbers and the command line.
 *
 * Published values (../shared/data/PUBLISHED_RESULTS.md, A1-A4, A15):
 * NVDA closed 142.62 -> 118.42 on 2025-01-27 (-16.968%), a $589bn one-day
 * loss of market value; power names (VST, CEG) fell 20-30%.  Shares: NVDA
 * 24,490 million as of 2024-11-15 (10-Q cover, data/shares_outstanding.csv
 * on main, "verified").  Data: tests/fixtures/study/ (see
 * test_study_reference.c for provenance).  The CLI cases run the built
 * binary ($AFTERSHOCK_BIN) on broken inputs and check the exact message.
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

#include "analytics/estudy.h"
#include "analytics/estudy_csv.h"

#define FIX "tests/fixtures/study/"

static void test_nvda_demo(void **state)
{
    (void)state;
    estudy_panel panel;
    estudy_event *ev;
    char **sectors;
    int nev, nsec, moved, nfac;
    assert_int_equal(estudy_csv_load_panel(&panel, FIX "deepseek_prices.csv", 0, 0, NULL, &nfac),
                     AS_OK);
    assert_int_equal(estudy_csv_load_events(&ev, &nev, &sectors, &nsec, &moved,
                                            FIX "deepseek_events.csv", &panel,
                                            ESTUDY_COMPAT_NATIVE),
                     AS_OK);
    estudy_config cfg;
    estudy_config_default(&cfg);
    estudy_result r;
    assert_int_equal(estudy_run(&r, &panel, ev, nev, &cfg, estudy_panel_find(&panel, "SPY"),
                                NULL, 0, (const char *const *)sectors, nsec),
                     AS_OK);
    int nvda = estudy_panel_find(&panel, "NVDA"), e0 = -1;
    int32_t day;
    assert_int_equal(estudy_date_parse(&day, "2025-01-27", 10), AS_OK);
    int t0 = estudy_panel_date_index(&panel, day);
    for (int e = 0; e < nev; e++)
        if (ev[e].firm == nvda && ev[e].t0 == t0)
            e0 = e;
    assert_true(e0 >= 0);
    /* Raw close-to-close return from the traded closes: -16.968% (A3);
     * 5e-6 absolute covers the 6-decimal float32 artefacts of the file. */
    const double *px = panel.price + (size_t)nvda * panel.ndates;
    assert_true(fabs(px[t0] / px[t0 - 1] - 1.0 - (-0.16968)) < 5e-6);
    /* Large negative abnormal return, significant at 1%. */
    size_t k = (size_t)e0 * r.nwin + 0; /* window [0,0] */
    assert_true(r.car[k] < -0.10);
    assert_true(r.car_p[k] < 0.01);
    /* Market value: within 1% of the published $589bn (A4). */
    assert_true(fabs(-r.mv_change[k] - 589.0) / 589.0 < 0.01);
    /* VST and CEG among the three biggest day-0 losers, and the two
     * largest semis (NVDA, AVGO) in the five biggest, of the 2025 events. */
    int order[16], n = 0;
    for (int e = 0; e < nev; e++)
        if (ev[e].t0 == t0)
            order[n++] = e;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (r.car[(size_t)order[j] * r.nwin] < r.car[(size_t)order[i] * r.nwin]) {
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
    int rank[4] = {-1, -1, -1, -1};
    const char *want[4] = {"VST", "CEG", "NVDA", "AVGO"};
    for (int i = 0; i < n; i++)
        for (int w = 0; w < 4; w++)
            if (strcmp(panel.names[ev[order[i]].firm], want[w]) == 0)
                rank[w] = i;
    assert_true(rank[0] >= 0 && rank[0] < 3);
    assert_true(rank[1] >= 0 && rank[1] < 3);
    assert_true(rank[2] >= 0 && rank[2] < 5);
    assert_true(rank[3] >= 0 && rank[3] < 5);
    estudy_result_free(&r);
    estudy_panel_free(&panel);
    estudy_csv_free_sectors(sectors, nsec);
    free(ev);
}

/* Run the binary, capture stderr+stdout into out; returns the exit code. */
static int run_cli(char *out, size_t cap, const char *args)
{
    const char *bin = getenv("AFTERSHOCK_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s study %s 2>&1", bin ? bin : "./aftershock", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *tmp_path(const char *name, const char *content)
{
    static char path[4][512];
    static int slot;
    const char *dir = getenv("AS_TEST_TMP");
    char *p = path[slot++ % 4];
    snprintf(p, 512, "%s/study_%s", dir ? dir : "/tmp", name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return p;
}

static void test_cli_errors(void **state)
{
    (void)state;
    char out[8192], args[2048];
    const char *prices = tmp_path("bad_prices.csv", "date,ticker,adj_close\n"
                                                    "2025-01-02,NVDA,138.3\n"
                                                    "2025-01-03,NVDA,14x.0\n");
    const char *events = tmp_path("events.csv", "ticker,event_date\nNVDA,2025-01-03\n");
    snprintf(args, sizeof args, "--prices %s --events %s --market SPY", prices, events);
    assert_int_equal(run_cli(out, sizeof out, args), 1);
    char want[1024];
    snprintf(want, sizeof want, "aftershock: error: '%s': line 3: field 'adj_close': '14x.0' "
             "is not a number", prices);
    if (!strstr(out, want))
        fail_msg("got: %s", out);

    snprintf(args, sizeof args, "--prices %s --events %s --market SPY", FIX "deepseek_prices.csv",
             tmp_path("ev2.csv", "ticker,event_date\nNVDA,2025-01-27\nXYZ,2025-01-27\n"));
    assert_int_equal(run_cli(out, sizeof out, args), 1);
    if (!strstr(out, "line 3: field 'ticker': 'XYZ' has no prices"))
        fail_msg("got: %s", out);

    assert_int_equal(run_cli(out, sizeof out, "--window 3:1"), 2);
    if (!strstr(out, "--window: '3:1': need START <= END"))
        fail_msg("got: %s", out);
    assert_int_equal(run_cli(out, sizeof out, "-h"), 0);
    assert_non_null(strstr(out, "usage: aftershock study"));
}

static void test_cli_csv_sections(void **state)
{
    (void)state;
    static char out[1 << 16];
    char args[1024];
    snprintf(args, sizeof args, "--prices %s --events %s --market SPY --format csv "
             "--window 0:0", FIX "deepseek_prices.csv", FIX "deepseek_events.csv");
    assert_int_equal(run_cli(out, sizeof out, args), 0);
    assert_non_null(strstr(out, "# firms\nticker,event_date,window_start,window_end,car,car_sd,"
                                "car_t,car_p,bhar,"));
    assert_non_null(strstr(out, "\n# tests\ngroup,test,window_start,window_end,estimate,"
                                "statistic,p_value,n\n"));
    const char *names[] = {"csect_t", "patell", "bmp", "kp_patell", "kp_bmp", "corrado_rank",
                           "gen_sign", "wilcoxon"};
    for (int i = 0; i < 8; i++) {
        char line[64];
        snprintf(line, sizeof line, "\nall,%s,0,0,", names[i]);
        assert_non_null(strstr(out, line));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvda_demo),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_csv_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
