/*
 * test_demo.c -- `aftershock demo` end to end against a fresh database in the
 * throwaway cluster: the bundled data loads through the ingest code, NVDA's
 * 2025-01-27 close is 118.42 (the published official close), and a second
 * run changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/db.h"
#include "tests/support/testdb.h"

static char conninfo[4096];

static int setup(void **state)
{
    (void)state;
    return testdb_create(conninfo, sizeof conninfo, "test_demo") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

/* Run the demo; returns its exit code and its stdout (heap). */
static int demo_run(char **out)
{
    char cmd[8192];
    const char *bin = getenv("AFTERSHOCK_BIN");
    snprintf(cmd, sizeof cmd, "\"%s\" -q --db \"%s\" demo --data '%s' 2>&1", bin ? bin : "./aftershock",
             conninfo, testdb_src_path("data"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0;
    FILE *m = open_memstream(out, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, n, m);
    fclose(m);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_demo_loads_and_is_idempotent(void **state)
{
    (void)state;
    if (!conninfo[0]) {
        printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");
        skip();
    }
    char *out;
    int rc = demo_run(&out);
    if (rc != 0)
        fail_msg("demo exit %d:\n%s", rc, out);
    assert_non_null(strstr(out, "prices  csv       22 targets: 13181 new, 0 changed, 0 unchanged rows"));
    assert_non_null(strstr(out, "26 news items"));
    assert_non_null(strstr(out, "NVDA close 2025-01-24 142.62 -> 2025-01-27 118.42 (-16.968 %)"));
    free(out);

    rc = demo_run(&out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "prices  csv       22 targets: 0 new, 0 changed, 13181 unchanged rows"));
    assert_non_null(strstr(out, "securities: 0 rows changed"));
    free(out);

    PGconn *db;
    assert_int_equal(db_connect(&db, conninfo, 0), AS_OK);
    PGresult *r;
    assert_int_equal(db_query(db, &r,
                              "SELECT close, (SELECT count(*) FROM prices), (SELECT count(*) FROM news),"
                              " (SELECT count(*) FROM ingest_runs WHERE status = 'ok')"
                              " FROM prices WHERE ticker = 'NVDA' AND date = '2025-01-27'",
                              0, NULL),
                     AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "118.42");
    assert_string_equal(PQgetvalue(r, 0, 1), "13181");
    assert_string_equal(PQgetvalue(r, 0, 2), "26");
    /* 22 tickers + 2 feeds, twice. */
    assert_string_equal(PQgetvalue(r, 0, 3), "48");
    PQclear(r);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_loads_and_is_idempotent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
