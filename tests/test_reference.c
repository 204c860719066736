/*
 * test_reference.c -- securities and shares-outstanding CSV loading against a
 * throwaway database: quoted names, idempotent re-load, and a bad row that
 * names file, line and field and loads nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/db.h"
#include "ingest/reference.h"
#include "tests/support/testdb.h"

static char conninfo[4096];
static PGconn *db;

static int setup(void **state)
{
    (void)state;
    int r = testdb_create(conninfo, sizeof conninfo, "test_reference");
    if (r < 0)
        return -1;
    if (r == 1 && db_connect(&db, conninfo, 0) != AS_OK)
        return -1;
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

static const char *write_tmp(const char *text)
{
    static char path[4][64];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 64, "/tmp/as-ref-XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return p;
}

static long long count(const char *sql)
{
    PGresult *r;
    assert_int_equal(db_query(db, &r, sql, 0, NULL), AS_OK);
    long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

#define NEED_DB()                                                               \
    do {                                                                        \
        if (!db) {                                                              \
            printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n"); \
            skip();                                                             \
        }                                                                       \
    } while (0)

static void test_load_idempotent(void **state)
{
    (void)state;
    NEED_DB();
    const char *sec = write_tmp("ticker,name,exchange,sector,industry,currency,kind\n"
                                "NVDA,NVIDIA Corporation,NASDAQ,Semiconductors,GPUs,USD,stock\n"
                                "GOOGL,\"Alphabet Inc., Class A\",NASDAQ,Cloud & software,Internet,USD,stock\n"
                                "SPY,SPDR S&P 500 ETF Trust,NYSE Arca,Market,,USD,etf\n");
    const char *shr = write_tmp("ticker,as_of,shares,source\nNVDA,2024-11-15,24490000000,10-Q\n");
    long long changed;
    assert_int_equal(reference_load_securities(db, sec, &changed), AS_OK);
    assert_int_equal(changed, 3);
    assert_int_equal(reference_load_shares(db, shr, &changed), AS_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(reference_load_securities(db, sec, &changed), AS_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(reference_load_shares(db, shr, &changed), AS_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(count("SELECT count(*) FROM securities WHERE name = 'Alphabet Inc., Class A'"), 1);
    assert_int_equal(count("SELECT shares FROM shares_outstanding WHERE ticker = 'NVDA'"), 24490000000LL);
    assert_int_equal(count("SELECT count(*) FROM securities WHERE industry IS NULL"), 1);
    unlink(sec);
    unlink(shr);
}

static void test_bad_row_loads_nothing(void **state)
{
    (void)state;
    NEED_DB();
    const char *sec = write_tmp("ticker,name,kind\nAMD,Advanced Micro Devices,stock\nMU,Micron,bond\n");
    long long changed = -1;
    char want[256];
    assert_int_equal(reference_load_securities(db, sec, &changed), AS_ERR_PARSE);
    snprintf(want, sizeof want, "'%s': line 3: field 'kind': 'bond' is not stock, etf or index", sec);
    assert_string_equal(as_last_error(), want);
    assert_int_equal(changed, 0);
    assert_int_equal(count("SELECT count(*) FROM securities WHERE ticker = 'AMD'"), 0);

    const char *shr = write_tmp("ticker,as_of,shares,source\nNVDA,2025-01-24,-5,x\n");
    assert_int_equal(reference_load_shares(db, shr, &changed), AS_ERR_PARSE);
    snprintf(want, sizeof want, "'%s': line 2: field 'shares': '-5' is not a positive integer", shr);
    assert_string_equal(as_last_error(), want);
    unlink(sec);
    unlink(shr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_idempotent),
        cmocka_unit_test(test_bad_row_loads_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
