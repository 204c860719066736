/*
 * test_summary_store.c -- guarded summaries into the summaries table of a
 * throwaway database: rows read back equal what was stored, a re-run
 * replaces rather than duplicates, and a failing row rolls the whole sheet
 * back.  The summaries stored are the narrator's (a fallback, flags set by
 * hand), so no model file is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/db.h"
#include "model/guard_store.h"
#include "model/narrator.h"
#include "tests/support/testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char conninfo[1024];
static factsheet fx;

static int setup(void **state)
{
    (void)state;
    FILE *f = fopen(testdb_src_path("tests/fixtures/facts_nvda_2025-01-27.txt"), "rb");
    if (!f)
        return -1;
    char buf[8192];
    buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
    fclose(f);
    if (factsheet_parse(&fx, buf, "fixture") != AS_OK)
        return -1;
    if (!testdb_create(conninfo, sizeof conninfo, "summary_store"))
        conninfo[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (conninfo[0])
        testdb_drop(conninfo);
    factsheet_clear(&fx);
    return 0;
}

static long count_rows(PGconn *c, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM summaries WHERE %s", where);
    PGresult *r;
    assert_int_equal(db_query(c, &r, sql, 0, NULL), AS_OK);
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

static void test_store_and_replace(void **state)
{
    (void)state;
    if (!conninfo[0]) {
        printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");
        skip();
    }
    PGconn *c;
    assert_int_equal(db_connect(&c, conninfo, 0), AS_OK);
    summary s[3] = {0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(narrator_write(&s[i].text, &fx, i, 1), AS_OK);
        s[i] = (summary){s[i].text, 0, 2, 1, 5, i};
    }
    assert_int_equal(summaries_store(c, &fx, s, "aftershock-summary", "narrator"), AS_OK);
    assert_int_equal(count_rows(c, "event_date = '2025-01-27' AND fallback AND NOT raw_pass"), 3);
    PGresult *r;
    const char *p[1] = {"NVDA"};
    assert_int_equal(db_query(c, &r, "SELECT summary, n_bad_numbers, facts FROM summaries "
                                     "WHERE ticker = $1", 1, p), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), s[0].text);
    assert_string_equal(PQgetvalue(r, 0, 1), "0");
    assert_non_null(strstr(PQgetvalue(r, 0, 2), "stock ticker=NVDA"));
    PQclear(r);
    /* a re-run replaces */
    s[0].raw_pass = 1;
    s[0].fallback = 0;
    s[0].attempts = 1;
    assert_int_equal(summaries_store(c, &fx, s, "aftershock-summary", "narrator"), AS_OK);
    assert_int_equal(count_rows(c, "true"), 3);
    assert_int_equal(count_rows(c, "raw_pass"), 1);
    /* a bad row (more bad numbers than numbers) rolls back the whole sheet */
    s[1].n_bad_numbers = 99;
    assert_int_equal(summaries_store(c, &fx, s, "other-model", "narrator"), AS_ERR_DB);
    assert_non_null(strstr(as_last_error(), "stock 'AVGO'"));
    assert_int_equal(count_rows(c, "model = 'other-model'"), 0);
    for (int i = 0; i < 3; i++)
        summary_free(&s[i]);
    db_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_and_replace),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
