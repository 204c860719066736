/*
 * test_summarize_event.c -- `aftershock summarize --event D` on the bundled
 * demo data in a throwaway database: the fact sheet is built from the
 * stored study (run first when none is stored, and only then), the command
 * stores one guarded row per stock in summaries, and without --model it
 * uses the committed built-in model.  Every stored text is re-checked by
 * the guard against the per-stock fact sheet stored beside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/db.h"
#include "model/distill.h"
#include "model/factsheet_db.h"
#include "model/guard.h"
#include "tests/support/demodata.h"
#include "tests/support/testdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char conninfo[4096];
static PGconn *db;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(conninfo, sizeof conninfo, "summarize_event") <= 0)
        return 0;
    if (db_connect(&db, conninfo, 0) != AS_OK || demodata_load(db) != 0) {
        fprintf(stderr, "setup: %s\n", as_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(db);
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

#define NEED_DB()                                                                        \
    do {                                                                                 \
        if (!db) {                                                                       \
            printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");          \
            skip();                                                                      \
        }                                                                                \
    } while (0)

static long count(const char *sql)
{
    PGresult *r;
    assert_int_equal(db_query(db, &r, sql, 0, NULL), AS_OK);
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

/* Runs first: no study of the day is stored, so one is run; the second load
 * finds it and runs nothing. */
static void test_sheet_from_study(void **state)
{
    (void)state;
    NEED_DB();
    assert_int_equal(count("SELECT count(*) FROM studies WHERE event_date = '2025-01-27'"), 0);
    factsheet fs;
    factsheet_db_info info;
    assert_int_equal(factsheet_load_event(&fs, &info, db, "2025-01-27"), AS_OK);
    assert_true(info.ran_study);
    assert_true(info.study_id > 0);
    assert_string_equal(fs.date, "2025-01-27");
    assert_string_equal(fs.market, "SPY");
    assert_true(fs.n_heads > 0);
    assert_int_equal(fs.n_stocks + info.n_left_out, info.n_firms);
    int nvda = -1;
    for (int i = 0; i < fs.n_stocks; i++) {
        if (strcmp(fs.stocks[i].ticker, "NVDA") == 0)
            nvda = i;
        /* a t statistic has the sign of its abnormal return */
        assert_true(fs.stocks[i].ar0 * fs.stocks[i].t0 >= 0);
        assert_non_null(factsheet_find_sector(&fs, fs.stocks[i].sector));
    }
    assert_true(nvda >= 0);
    /* 118.42 / 142.62 - 1 = -16.968 % (../shared/data/PUBLISHED_RESULTS.md A3),
     * printed to two decimals */
    assert_float_equal(fs.stocks[nvda].ret0, -16.97, 0.005);
    assert_true(fs.stocks[nvda].ar0 < -5);
    /* the sheet is valid text form: it parses back to the same stocks */
    char *text = factsheet_write(&fs);
    assert_non_null(text);
    factsheet back;
    assert_int_equal(factsheet_parse(&back, text, "sheet"), AS_OK);
    assert_int_equal(back.n_stocks, fs.n_stocks);
    assert_float_equal(back.stocks[nvda].ar0, fs.stocks[nvda].ar0, 0);
    factsheet_clear(&back);
    free(text);
    long long id = info.study_id;
    factsheet_clear(&fs);

    assert_int_equal(factsheet_load_event(&fs, &info, db, "2025-01-27"), AS_OK);
    assert_false(info.ran_study);
    assert_int_equal(info.study_id, id);
    assert_int_equal(count("SELECT count(*) FROM studies WHERE event_date = '2025-01-27'"), 1);
    factsheet_clear(&fs);
}

/* Every row of the day and model: its text passes the guard against the
 * per-stock sheet stored with it; a fallback was regenerated first.
 * Returns the number of rows, *raw the rows that passed as generated. */
static int rows_check(const char *model, int *raw)
{
    const char *p[] = {model};
    PGresult *r;
    assert_int_equal(db_query(db, &r,
                              "SELECT ticker, summary, facts, raw_pass, attempts, fallback "
                              "FROM summaries WHERE event_date = '2025-01-27' AND model = $1 "
                              "ORDER BY ticker",
                              1, p),
                     AS_OK);
    int n = PQntuples(r);
    *raw = 0;
    for (int i = 0; i < n; i++) {
        factsheet fs;
        assert_int_equal(factsheet_parse(&fs, PQgetvalue(r, i, 2), "summaries.facts"), AS_OK);
        assert_int_equal(fs.n_stocks, 1);
        assert_string_equal(fs.stocks[0].ticker, PQgetvalue(r, i, 0));
        guard_report g;
        if (!guard_check(&g, PQgetvalue(r, i, 1), &fs, 0))
            print_message("%s: stored text fails the guard: %s\n", PQgetvalue(r, i, 0),
                          PQgetvalue(r, i, 1));
        assert_true(guard_check(&g, PQgetvalue(r, i, 1), &fs, 0));
        int raw_pass = PQgetvalue(r, i, 3)[0] == 't';
        int fallback = PQgetvalue(r, i, 5)[0] == 't';
        *raw += raw_pass;
        assert_int_equal(strtol(PQgetvalue(r, i, 4), NULL, 10), raw_pass ? 1 : 2);
        assert_false(raw_pass && fallback);
        factsheet_clear(&fs);
    }
    PQclear(r);
    return n;
}

static int run_cli(const char *args, const char *out)
{
    const char *bin = getenv("AFTERSHOCK_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' summarize --event 2025-01-27 %s >'%s' 2>&1",
             bin ? bin : "./aftershock", args, out);
    setenv("DATABASE_URL", conninfo, 1);
    int rc = system(cmd);
    if (rc != 0) {
        char show[4200];
        snprintf(show, sizeof show, "cat '%s'", out);
        if (system(show) != 0)
            print_message("cannot show %s\n", out);
    }
    return rc;
}

/* --model FILE: an untrained toy student (so most summaries fall back); a
 * second run replaces the rows rather than adding to them. */
static void test_cli_event_with_model(void **state)
{
    (void)state;
    NEED_DB();
    distill_opts o;
    distill_opts_default(&o);
    o.n_facts = 12;
    o.heldout_pct = 20;
    o.n_eval = 1;
    o.vocab = 400;
    o.model.dim = 16;
    o.model.n_layers = 1;
    o.model.n_heads = 2;
    o.model.ffn_dim = 32;
    o.steps = 2;
    o.warmup = 1;
    o.batch = 2;
    const char *tmp = getenv("AS_TEST_TMP");
    char path[512], out[600], args[700];
    snprintf(path, sizeof path, "%s/sumev-%ld.gguf", tmp ? tmp : "/tmp", (long)getpid());
    snprintf(out, sizeof out, "%s.out", path);
    o.out = path;
    distill_report rep;
    assert_int_equal(distill_run(&rep, &o), AS_OK);
    snprintf(args, sizeof args, "--model '%s' -t 1", path);
    assert_int_equal(run_cli(args, out), 0);
    factsheet fs;
    factsheet_db_info info;
    assert_int_equal(factsheet_load_event(&fs, &info, db, "2025-01-27"), AS_OK);
    int raw;
    assert_int_equal(rows_check("aftershock-summary", &raw), fs.n_stocks);
    assert_int_equal(run_cli(args, out), 0);
    assert_int_equal(count("SELECT count(*) FROM summaries WHERE event_date = '2025-01-27'"),
                     fs.n_stocks);
    factsheet_clear(&fs);
    unlink(path);
    unlink(out);
}

/* No --model: the committed built-in model, found beside the executable. */
static void test_cli_event_builtin_model(void **state)
{
    (void)state;
    NEED_DB();
    const char *src = getenv("AS_SRC_DIR");
    char path[1024], out[1100];
    snprintf(path, sizeof path, "%s/model/weights/aftershock-summary.gguf", src ? src : ".");
    if (access(path, R_OK) != 0) {
        printf("skip: %s not found (build it with `make model`)\n", path);
        skip();
    }
    const char *tmp = getenv("AS_TEST_TMP");
    snprintf(out, sizeof out, "%s/sumev-builtin-%ld.out", tmp ? tmp : "/tmp", (long)getpid());
    unsetenv("AFTERSHOCK_MODEL");
    assert_int_equal(db_exec(db, "DELETE FROM summaries"), AS_OK);
    assert_int_equal(run_cli("-t 1", out), 0);
    factsheet fs;
    factsheet_db_info info;
    assert_int_equal(factsheet_load_event(&fs, &info, db, "2025-01-27"), AS_OK);
    int raw;
    assert_int_equal(rows_check("aftershock-summary", &raw), fs.n_stocks);
    print_message("built-in model on 2025-01-27: %d stocks, %d passed the guard as generated\n",
                  fs.n_stocks, raw);
    factsheet_clear(&fs);
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sheet_from_study),
        cmocka_unit_test(test_cli_event_with_model),
        cmocka_unit_test(test_cli_event_builtin_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
