/*
 * test_study_db.c -- the event study's database mode on the bundled demo
 * data, in a database of its own inside the throwaway cluster.
 *
 * The demo data are loaded by the real `aftershock demo` (the ingest code,
 * data/), then `study --event 2025-01-27` runs through study_run_db().
 * Checks: published numbers (../shared/data/PUBLISHED_RESULTS.md A1-A4,
 * A15: NVDA 142.62 -> 118.42 = -16.968%, $589bn), the per-firm values of
 * 2025-01-27 against statsmodels (tests/fixtures/study/deepseek_expected.csv,
 * see test_study_reference.c; the demo's adjusted closes are the same real
 * series), re-run idempotence, a bad --tickers writing nothing, the
 * read-back loader, the efficiency beta against statsmodels
 * (efficiency_expected.csv, see test_study_effbeta.c), --compat estudy's
 * event-date rule and test names, and --beta's own study (key, column,
 * stored betas; the values themselves are checked in test_study_beta.c).
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

#include "analytics/study_db.h"
#include "common/csv.h"
#include "common/db.h"
#include "tests/support/testdb.h"

#define FIX "tests/fixtures/study/"

typedef struct fixture {
    char conninfo[2048];
    PGconn *db;
} fixture;

/* Run the binary with --db; output (stdout+stderr) into out; exit code. */
static int run_cli(char *out, size_t cap, const fixture *f, const char *args)
{
    const char *bin = getenv("AFTERSHOCK_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -q --db \"%s\" %s 2>&1", bin ? bin : "./aftershock",
             f->conninfo, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
    static fixture f;
    static char out[1 << 16];
    int r = testdb_create(f.conninfo, sizeof f.conninfo, "test_study_db");
    if (r < 0)
        return -1;
    *state = &f;
    if (r == 0)
        return 0; /* each test skips with the reason */
    char args[1024];
    snprintf(args, sizeof args, "demo --data %s", testdb_src_path("data"));
    if (run_cli(out, sizeof out, &f, args) != 0) {
        fprintf(stderr, "aftershock demo failed:\n%s\n", out);
        return -1;
    }
    if (db_connect(&f.db, f.conninfo, 0) != AS_OK) {
        fprintf(stderr, "connect: %s\n", as_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f && f->db) {
        db_close(f->db);
        testdb_drop(f->conninfo);
    }
    return 0;
}

#define NEED_DB(f)                                                                   \
    do {                                                                             \
        if (!(f)->db) {                                                              \
            printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");      \
            skip();                                                                  \
        }                                                                            \
    } while (0)

/* One-value query as a string (static buffer), "" for NULL. */
static const char *q1(PGconn *db, const char *sql)
{
    static char buf[4096];
    PGresult *r;
    if (db_query(db, &r, sql, 0, NULL) != AS_OK)
        fail_msg("query failed: %s: %s", sql, as_last_error());
    if (PQntuples(r) < 1)
        fail_msg("no rows: %s", sql);
    snprintf(buf, sizeof buf, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return buf;
}

static double q1d(PGconn *db, const char *sql)
{
    return strtod(q1(db, sql), NULL);
}

/* The default study of the DeepSeek shock over every demo stock. */
static long long study_default(fixture *f)
{
    study_db_opts o = {.event_date = "2025-01-27", .all = 1, .market = "SPY"};
    estudy_config_default(&o.cfg);
    study_db_run run;
    if (study_run_db(&run, f->db, &o) != AS_OK)
        fail_msg("study_run_db: %s", as_last_error());
    long long id = run.study_id;
    assert_int_equal(run.nevents, 15);
    study_db_run_free(&run);
    return id;
}

static void test_demo_published(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    long long id = study_default(f);
    char sql[512];
    /* -16.968% from the adjusted closes: 118.42/142.62 - 1 = -0.169682 (A1-A3);
     * 5e-6 absolute covers adj_close's 6 decimals. */
    snprintf(sql, sizeof sql, "SELECT day0_return FROM v_event_impact WHERE study_id = %lld"
             " AND ticker = 'NVDA'", id);
    double r0 = q1d(f->db, sql);
    if (fabs(r0 - (118.42 / 142.62 - 1.0)) > 5e-6)
        fail_msg("NVDA day-0 return %.6f", r0);
    /* Abnormal return significant at 1%. */
    snprintf(sql, sizeof sql, "SELECT ar_0_0 < -0.10 AND p_0_0 < 0.01 AND stars_0_0 = '***'"
             " FROM v_event_impact WHERE study_id = %lld AND ticker = 'NVDA'", id);
    assert_string_equal(q1(f->db, sql), "t");
    /* Market value: within 1% of the published $589bn (A4); shares 24,490
     * million (data/shares_outstanding.csv, 10-Q cover). */
    snprintf(sql, sizeof sql, "SELECT mv_change_bn FROM v_event_impact WHERE study_id = %lld"
             " AND ticker = 'NVDA'", id);
    double mv = q1d(f->db, sql);
    if (fabs(-mv - 589.0) / 589.0 >= 0.01)
        fail_msg("NVDA market value change %.2f $bn", mv);
    /* VST and CEG (A15: -28%, -21%) are the two biggest day-0 AR losers. */
    snprintf(sql, sizeof sql, "SELECT string_agg(ticker, ',' ORDER BY ticker) FROM"
             " (SELECT ticker FROM v_event_impact WHERE study_id = %lld"
             " ORDER BY ar_0_0 LIMIT 3) x", id);
    const char *top3 = q1(f->db, sql);
    if (!strstr(top3, "CEG") || !strstr(top3, "VST"))
        fail_msg("three biggest losers: %s", top3);
    /* Sector view: Semiconductors lost the most market value on day 0. */
    snprintf(sql, sizeof sql, "SELECT sector FROM v_sector_impact WHERE study_id = %lld"
             " ORDER BY mv_change_bn_0_0 LIMIT 1", id);
    assert_string_equal(q1(f->db, sql), "Semiconductors");
    /* The AR path covers -10..+10 for every firm, and its CAR steps by the AR. */
    snprintf(sql, sizeof sql, "SELECT count(*) = 15 * 21 AND min(day) = -10 AND max(day) = 10"
             " FROM v_car_path WHERE study_id = %lld", id);
    assert_string_equal(q1(f->db, sql), "t");
    snprintf(sql, sizeof sql, "SELECT max(abs(c.car - p.car - c.ar)) < 1e-15 FROM v_car_path c"
             " JOIN v_car_path p ON p.study_id = c.study_id AND p.ticker = c.ticker"
             " AND p.day = c.day - 1 WHERE c.study_id = %lld", id);
    assert_string_equal(q1(f->db, sql), "t");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM v_study_tests WHERE study_id = %lld"
             " AND grp = 'all' AND window_start = 0 AND window_end = 0", id);
    assert_string_equal(q1(f->db, sql), "8");
}

/* Per-firm values of 2025-01-27 against statsmodels (deepseek_expected.csv). */
static void test_demo_vs_statsmodels(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    long long id = study_default(f);
    struct csv_reader cr;
    assert_int_equal(csv_open(&cr, FIX "deepseek_expected.csv"), AS_OK);
    assert_int_equal(csv_next(&cr), 1);
    int checked = 0;
    while (csv_next(&cr) == 1) {
        const char *kind = cr.fields[0], *key = cr.fields[1], *name = cr.fields[4];
        const char *at = strchr(key, '@');
        if (!at || strcmp(at + 1, "2025-01-27") != 0 || strcmp(kind, "test") == 0 ||
            strcmp(kind, "group") == 0 || strcmp(name, "mv_change_bn") == 0)
            continue; /* groups differ (15 firms here); share counts differ by firm */
        char tick[16], sql[512];
        snprintf(tick, sizeof tick, "%.*s", (int)(at - key), key);
        const char *w0 = cr.fields[2], *w1 = cr.fields[3];
        if (strcmp(kind, "firm") == 0)
            snprintf(sql, sizeof sql, "SELECT %s FROM study_firms WHERE study_id = %lld"
                     " AND ticker = '%s'",
                     strcmp(name, "sigma2") == 0 ? "sigma * sigma" : name, id, tick);
        else if (strcmp(kind, "ar") == 0)
            snprintf(sql, sizeof sql, "SELECT ar FROM study_ar WHERE study_id = %lld"
                     " AND ticker = '%s' AND day = %s", id, tick, w0);
        else
            snprintf(sql, sizeof sql, "SELECT %s FROM study_firm_windows WHERE study_id = %lld"
                     " AND ticker = '%s' AND window_start = %s AND window_end = %s",
                     name, id, tick, w0, w1);
        double got = q1d(f->db, sql), want = strtod(cr.fields[5], NULL);
        /* Same tolerances as test_study_reference.c: normal equations vs
         * statsmodels' pinv, double rounding; %.17g text round-trips, so
         * the database adds nothing.  alpha is tiny: 1e-7 relative. */
        double rel = strcmp(name, "alpha") == 0 || strcmp(kind, "window") == 0 ? 1e-7 : 1e-9;
        if (!(fabs(got - want) <= 1e-13 + rel * fabs(want)))
            fail_msg("%s %s [%s,%s] %s: got %.12g, want %.12g", kind, tick, w0, w1, name, got,
                     want);
        checked++;
    }
    csv_close(&cr);
    /* 8 firms of 2025-01-27: 3 model values, 16 ARs, 4 windows x 5 values. */
    assert_int_equal(checked, 8 * (3 + 16 + 20));
}

/* md5 of every stored row of a study in a fixed order, and the row counts. */
static char *study_digest(PGconn *db, long long id)
{
    char sql[1536];
    snprintf(sql, sizeof sql,
             "SELECT md5(concat_ws('|',"
             " (SELECT string_agg(x::text, ';' ORDER BY x.ticker) FROM study_firms x"
             "  WHERE study_id = %lld),"
             " (SELECT string_agg(x::text, ';' ORDER BY x.ticker, x.window_start, x.window_end)"
             "  FROM study_firm_windows x WHERE study_id = %lld),"
             " (SELECT string_agg(x::text, ';' ORDER BY x.ticker, x.day) FROM study_ar x"
             "  WHERE study_id = %lld),"
             " (SELECT string_agg(x::text, ';' ORDER BY x.grp, x.test, x.window_start,"
             "  x.window_end) FROM study_tests x WHERE study_id = %lld),"
             " (SELECT string_agg(x::text, ';' ORDER BY x.ticker, x.date) FROM study_returns x"
             "  WHERE study_id = %lld)))"
             " || ' ' || (SELECT count(*) FROM studies) || ' ' || (SELECT count(*) FROM study_firms)"
             " || ' ' || (SELECT count(*) FROM study_ar) || ' ' || (SELECT count(*) FROM study_returns)",
             id, id, id, id, id);
    char *d = strdup(q1(db, sql));
    assert_non_null(d);
    return d;
}

static void test_rerun_identical(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    long long id1 = study_default(f);
    char *d1 = study_digest(f->db, id1);
    long long id2 = study_default(f);
    char *d2 = study_digest(f->db, id2);
    assert_true(id1 == id2);
    assert_string_equal(d1, d2);
    free(d1);
    free(d2);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM studies WHERE event_date = '2025-01-27'");
    assert_string_equal(q1(f->db, sql), "1");
}

static const char *counts(PGconn *db)
{
    return q1(db, "SELECT (SELECT count(*) FROM studies) || ',' || (SELECT count(*) FROM"
                  " study_firms) || ',' || (SELECT count(*) FROM study_firm_windows) || ',' ||"
                  " (SELECT count(*) FROM study_ar) || ',' || (SELECT count(*) FROM study_tests)"
                  " || ',' || (SELECT count(*) FROM study_returns)");
}

static void test_cli_and_bad_tickers(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    static char out[1 << 16];
    (void)study_default(f);
    char before[256];
    snprintf(before, sizeof before, "%s", counts(f->db));

    assert_int_equal(run_cli(out, sizeof out, f, "study --event 2025-01-27 --tickers NVDA,XYZ"), 1);
    if (!strstr(out, "aftershock: error: --tickers: 'XYZ' is not in table securities"))
        fail_msg("got: %s", out);
    assert_string_equal(counts(f->db), before);

    /* Known to securities but without prices: named with the date range. */
    assert_int_equal(db_exec(f->db, "INSERT INTO securities (ticker, name, kind) VALUES"
                                    " ('NOPX', 'No prices Inc.', 'etf')"),
                     AS_OK);
    assert_int_equal(run_cli(out, sizeof out, f, "study --event 2025-01-27 --tickers NVDA,NOPX"),
                     1);
    if (!strstr(out, "aftershock: error: --tickers: 'NOPX' has no prices between "))
        fail_msg("got: %s", out);
    assert_string_equal(counts(f->db), before);

    assert_int_equal(run_cli(out, sizeof out, f, "study --event 2025-01-27 --tickers NVDA,,AMD"),
                     2);
    if (!strstr(out, "--tickers: empty ticker at position 2"))
        fail_msg("got: %s", out);
    assert_int_equal(run_cli(out, sizeof out, f, "study --event 2025-13-01 --tickers NVDA"), 2);
    if (!strstr(out, "--event: '2025-13-01' is not a date (YYYY-MM-DD)"))
        fail_msg("got: %s", out);
    assert_string_equal(counts(f->db), before);

    /* A good run prints file mode's CSV and adds one study of 2 firms. */
    assert_int_equal(run_cli(out, sizeof out, f, "study --event 2025-01-27 --tickers vst,nvda"
                                                 " --window 0:0 --format csv"),
                     0);
    if (!strstr(out, "# firms\nticker,event_date,window_start,window_end,car,car_sd,car_t,") ||
        !strstr(out, "\nNVDA,2025-01-27,0,0,-0.133275804") || !strstr(out, "\nall,csect_t,0,0,"))
        fail_msg("got: %s", out);
    assert_string_equal(q1(f->db, "SELECT count(*) FROM studies WHERE tickers = '{NVDA,VST}'"),
                        "1");
}

static void test_loader(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    long long id = study_default(f), found;
    /* The latest study of the date is the default one just (re)run. */
    assert_int_equal(study_db_find(&found, f->db, "2025-01-27"), AS_OK);
    assert_true(found == id);
    assert_int_equal(study_db_find(&found, f->db, "2019-01-02"), AS_ERR_NOT_FOUND);
    study_db_study s;
    assert_int_equal(study_db_load(&s, f->db, id), AS_OK);
    assert_int_equal(s.nfirms, 15);
    assert_int_equal(s.nwin, 4);
    assert_int_equal(s.path_start, -10);
    assert_int_equal(s.path_len, 21);
    assert_string_equal(s.day0_date, "2025-01-27");
    assert_string_equal(s.market, "SPY");
    /* all + 4 sectors (Semiconductors, Cloud & software, Power, Servers), 4 windows, 8 tests */
    assert_int_equal(s.ntests, 5 * 4 * 8);
    const study_db_firm *nv = NULL;
    for (int i = 0; i < s.nfirms; i++)
        if (strcmp(s.firms[i].ticker, "NVDA") == 0)
            nv = &s.firms[i];
    assert_non_null(nv);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT ar_0_0 FROM v_event_impact WHERE study_id = %lld AND"
             " ticker = 'NVDA'", id);
    /* Same stored double read twice: exact. */
    assert_true(nv->car[0] == q1d(f->db, sql));
    assert_true(nv->path_ar[10] == nv->ar_day0);
    assert_true(fabs(nv->path_car[10] - nv->path_car[9] - nv->ar_day0) < 1e-15);
    assert_string_equal(nv->sector, "Semiconductors");
    study_db_study_free(&s);
}

static void test_efficiency_db(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    static const char *tick[] = {"AMD", "AVGO", "CEG", "MSFT", "MU", "NVDA", "TSM", "VST"};
    study_db_opts o = {.tickers = tick, .ntickers = 8, .market = "SPY"};
    estudy_config_default(&o.cfg);
    estudy_panel p;
    estudy_effbeta *eff;
    int *eff_firm, n;
    if (strcmp(q1(f->db, "SELECT to_regclass('v_daily_announcement_score') IS NULL"), "t") == 0) {
        assert_int_equal(study_efficiency_db(&p, &eff, &eff_firm, &n, f->db, &o, "2025-01-02",
                                             "2025-02-28"),
                         AS_ERR_NOT_FOUND);
        assert_non_null(strstr(as_last_error(), "view v_daily_announcement_score does not exist"));
    }
    /* The fixture's scores (headline counts, see test_study_effbeta.c) stand
     * in for the events engine's view, with the view's column types. */
    assert_int_equal(db_exec(f->db,
                             "CREATE OR REPLACE VIEW v_daily_announcement_score AS"
                             " SELECT d::date AS session_date, s::double precision AS score"
                             " FROM (VALUES ('2025-01-21', 2), ('2025-01-27', 12),"
                             " ('2025-01-28', 9), ('2025-01-29', 1), ('2025-02-03', 1),"
                             " ('2025-02-11', 1)) v(d, s)"),
                     AS_OK);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(study_efficiency_db(&p, &eff, &eff_firm, &n, f->db, &o, "2025-01-02",
                                             "2025-02-28"),
                         AS_OK);
        assert_int_equal(n, 8);
        free(eff);
        free(eff_firm);
        estudy_panel_free(&p);
    }
    /* Run twice: replaced, not duplicated. */
    assert_string_equal(q1(f->db, "SELECT count(*) FROM study_efficiency"), "8");
    struct csv_reader cr;
    assert_int_equal(csv_open(&cr, FIX "efficiency_expected.csv"), AS_OK);
    assert_int_equal(csv_next(&cr), 1);
    int checked = 0;
    while (csv_next(&cr) == 1) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT beta || ' ' || t || ' ' || n FROM study_efficiency"
                 " WHERE ticker = '%s' AND status = 'ok'", cr.fields[0]);
        const char *row = q1(f->db, sql);
        char *end;
        double beta = strtod(row, &end), t = strtod(end, &end);
        long nn = strtol(end, NULL, 10);
        /* statsmodels vs closed-form OLS on the same adjusted closes: 1e-9. */
        double wb = strtod(cr.fields[1], NULL), wt = strtod(cr.fields[2], NULL);
        if (fabs(beta - wb) > 1e-9 * fabs(wb) || fabs(t - wt) > 1e-9 * fabs(wt))
            fail_msg("%s: beta %.12g t %.12g, want %.12g %.12g", cr.fields[0], beta, t, wb, wt);
        assert_int_equal(nn, strtol(cr.fields[4], NULL, 10));
        checked++;
    }
    csv_close(&cr);
    assert_int_equal(checked, 8);
}

/*
 * --compat estudy in database mode: the event-date rule of Stata estudy
 * (estudy.ado 2.1.2; see test_study_compat.c for the formulas, checked in
 * file mode).  Saturday 2025-01-25 becomes Monday 01-27 as day +1, so
 * every firm's [0,0] window is empty and its [-1,1] covers Friday and
 * Monday; Monday 2025-01-20 (Martin Luther King Day) is refused.  The
 * stored group tests carry estudy's names in the two slots it changes.
 */
static void test_compat_db(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    study_db_opts o = {.event_date = "2025-01-25", .all = 1, .market = "SPY"};
    estudy_config_default(&o.cfg);
    o.cfg.compat = ESTUDY_COMPAT_STATA_ESTUDY;
    o.cfg.log_returns = 1;
    study_db_run run;
    if (study_run_db(&run, f->db, &o) != AS_OK)
        fail_msg("study_run_db: %s", as_last_error());
    char d[11], sql[512];
    estudy_date_format(d, run.panel.dates[run.events[0].t0]);
    assert_string_equal(d, "2025-01-27");
    int w00 = -1, w11 = -1;
    for (int w = 0; w < run.res.nwin; w++) {
        if (run.res.windows[w].start == 0 && run.res.windows[w].end == 0)
            w00 = w;
        if (run.res.windows[w].start == -1 && run.res.windows[w].end == 1)
            w11 = w;
    }
    assert_true(w00 >= 0 && w11 >= 0);
    for (int e = 0; e < run.nevents; e++) {
        assert_int_equal(run.events[e].no_day0, 1);
        if (run.res.firm[e].status != ESTUDY_OK)
            continue;
        size_t k = (size_t)e * run.res.nwin;
        /* [0,0] empty; [-1,1] = AR(Friday) + AR(Monday), the path's days
         * -1 and 0 */
        assert_true(isnan(run.res.car[k + w00]));
        double *ar = run.res.ar + (size_t)e * run.res.span - run.res.span_start;
        if (fabs(run.res.car[k + w11] - (ar[-1] + ar[0])) > 1e-15)
            fail_msg("[-1,1]: %.17g, ARs %.17g + %.17g", run.res.car[k + w11], ar[-1], ar[0]);
    }
    snprintf(sql, sizeof sql, "SELECT count(*) FILTER (WHERE test IN ('norm', 'grank')) || ',' || "
             "count(*) FILTER (WHERE test IN ('csect_t', 'corrado_rank')) FROM study_tests "
             "WHERE study_id = %lld", run.study_id);
    char want[32];
    snprintf(want, sizeof want, "%d,0", 2 * run.res.ngroups * run.res.nwin);
    assert_string_equal(q1(f->db, sql), want);
    study_db_run_free(&run);

    o.event_date = "2025-01-20";
    assert_int_equal(study_run_db(&run, f->db, &o), AS_ERR_RANGE);
    assert_string_equal(as_last_error(), "--event 2025-01-20: not a trading day in the prices "
                        "(--compat estudy takes a session, or a weekend before one, as Stata "
                        "estudy does)");
}

/* A thin-trading beta is a study of its own: its key text names the
 * method, an OLS study's does not (keys stored before --beta existed stay
 * valid); studies.beta_method and parameters say it; the stored betas are
 * the engine's to the last bit; a re-run keeps the id. */
static void test_beta_db(void **state)
{
    fixture *f = *state;
    NEED_DB(f);
    static char out[1 << 16];
    char sql[512], want[64];
    long long ols = study_default(f);
    study_db_opts o = {.event_date = "2025-01-27", .all = 1, .market = "SPY"};
    estudy_config_default(&o.cfg);
    o.cfg.beta = ESTUDY_BETA_SCHOLES_WILLIAMS;
    study_db_run run;
    if (study_run_db(&run, f->db, &o) != AS_OK)
        fail_msg("study_run_db: %s", as_last_error());
    long long sw = run.study_id;
    assert_true(sw != ols);
    snprintf(sql, sizeof sql, "SELECT beta_method || ',' || (parameters->>'beta') || ',' || "
             "(parameters->>'key_text' LIKE '%%;beta=scholes-williams') FROM studies "
             "WHERE id = %lld", sw);
    assert_string_equal(q1(f->db, sql), "scholes-williams,scholes-williams,true");
    snprintf(sql, sizeof sql, "SELECT beta_method || ',' || (parameters->>'beta') || ',' || "
             "(parameters->>'key_text' LIKE '%%beta%%') FROM studies WHERE id = %lld", ols);
    assert_string_equal(q1(f->db, sql), "ols,ols,false");
    int nok = 0;
    for (int e = 0; e < run.nevents; e++) {
        if (run.res.firm[e].status != ESTUDY_OK)
            continue;
        snprintf(sql, sizeof sql, "SELECT beta FROM study_firms WHERE study_id = %lld AND "
                 "ticker = '%s'", sw, run.panel.names[run.events[e].firm]);
        assert_true(q1d(f->db, sql) == run.res.firm[e].beta); /* %.17g round trip */
        nok++;
    }
    assert_true(nok > 10);
    study_db_run_free(&run);
    if (study_run_db(&run, f->db, &o) != AS_OK)
        fail_msg("study_run_db: %s", as_last_error());
    assert_true(run.study_id == sw);
    study_db_run_free(&run);

    assert_int_equal(run_cli(out, sizeof out, f, "study --event 2025-01-27 --tickers NVDA,VST"
                                                 " --beta dimson:2 --format json"),
                     0);
    if (!strstr(out, "\"beta_method\": \"dimson:2\""))
        fail_msg("got: %s", out);
    snprintf(want, sizeof want, "1");
    assert_string_equal(q1(f->db, "SELECT count(*) FROM studies WHERE beta_method = 'dimson:2'"
                                  " AND tickers = '{NVDA,VST}'"),
                        want);
    assert_int_equal(run_cli(out, sizeof out, f, "study --efficiency --from 2025-01-02 --to "
                                                 "2025-02-28 --beta scholes-williams"),
                     2);
    if (!strstr(out, "--beta: the efficiency beta's market model is OLS"))
        fail_msg("got: %s", out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_published),
        cmocka_unit_test(test_demo_vs_statsmodels),
        cmocka_unit_test(test_rerun_identical),
        cmocka_unit_test(test_cli_and_bad_tickers),
        cmocka_unit_test(test_loader),
        cmocka_unit_test(test_efficiency_db),
        cmocka_unit_test(test_compat_db),
        cmocka_unit_test(test_beta_db),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
