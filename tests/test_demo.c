/*
 * test_demo.c -- `aftershock demo` end to end against a fresh database in the
 * throwaway cluster: the nightly run for 2025-01-27 on the bundled data runs
 * its six steps, NVDA's 2025-01-27 close is 118.42 (the published official
 * close), the workbook's path comes last and the file is in the outbox, and
 * a second run finds every step done and changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/db.h"
#include "tests/support/testdb.h"

static char conninfo[4096];
static char home[1024];

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("AS_TEST_TMP");
    snprintf(home, sizeof home, "%s/demo-%d", t && t[0] ? t : "/tmp", (int)getpid());
    if (mkdir(home, 0755) != 0)
        return -1;
    return testdb_create(conninfo, sizeof conninfo, "test_demo") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (conninfo[0])
        testdb_drop(conninfo);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run the demo; returns its exit code and its stdout (heap). */
static int demo_run(char **out)
{
    char cmd[8192];
    const char *bin = getenv("AFTERSHOCK_BIN");
    /* Its own AFTERSHOCK_HOME: the reports and the outbox land there. */
    snprintf(cmd, sizeof cmd,
             "AFTERSHOCK_HOME='%s' AFTERSHOCK_REPORT_DIR= AFTERSHOCK_REPORT_OUTBOX= "
             "AFTERSHOCK_SMTP_URL=smtp://127.0.0.1:1 \"%s\" -q --db \"%s\" demo --data '%s' 2>&1",
             home, bin ? bin : "./aftershock", conninfo, testdb_src_path("data"));
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
    assert_non_null(strstr(out, "ingest     ok: prices: 22 tickers from 2022-11-19, 13181 new, 0 "
                                "changed; news: 2 feeds, 26 new, 0 changed"));
    assert_non_null(strstr(out, "\nstudy      ok: study "));
    assert_non_null(strstr(out, "\nsummarize  ok: 15 summaries"));
    assert_non_null(strstr(out, "26 news items"));
    assert_non_null(strstr(out, "NVDA close 2025-01-24 142.62 -> 2025-01-27 118.42 (-16.968 %)"));
    /* The workbook's path is the last line; the demo delivers to the
     * outbox even with smtp.url set. */
    char want[1400], mail[1400];
    snprintf(want, sizeof want, "\nworkbook: %s/reports/aftershock-2025-01-27.xlsx\n", home);
    const char *tail = strstr(out, want);
    assert_non_null(tail);
    assert_int_equal(tail[strlen(want)], '\0');
    snprintf(mail, sizeof mail, "%s/outbox/aftershock-2025-01-27.xlsx", home);
    assert_int_equal(access(mail, R_OK), 0);
    free(out);

    rc = demo_run(&out);
    assert_int_equal(rc, 0);
    static const char *const steps[] = {"ingest", "detect", "study", "summarize", "report",
                                        "distribute"};
    for (int i = 0; i < 6; i++) {
        char line[64];
        snprintf(line, sizeof line, "%-10s done before: ok\n", steps[i]);
        if (!strstr(out, line))
            fail_msg("no '%s' in:\n%s", line, out);
    }
    assert_non_null(strstr(out, "NVDA close 2025-01-24 142.62 -> 2025-01-27 118.42 (-16.968 %)"));
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
    /* 22 tickers + 2 feeds, once: the second run did not ingest again. */
    assert_string_equal(PQgetvalue(r, 0, 3), "24");
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
