/*
 * test_db.c -- the database layer against a real throwaway cluster:
 * migrations apply once, every table and column is documented, the analyst
 * role reads but cannot write, COPY escaping round-trips, advisory locks
 * exclude a second holder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/migrations.h"
#include "tests/support/testdb.h"

static char conninfo[4096];

static int setup(void **state)
{
    (void)state;
    int r = testdb_create(conninfo, sizeof conninfo, "test_db");
    return r < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

#define NEED_DB()                                                                    \
    do {                                                                             \
        if (!conninfo[0]) {                                                          \
            printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");      \
            skip();                                                                  \
        }                                                                            \
    } while (0)

static PGconn *connect_or_fail(unsigned flags)
{
    PGconn *c = NULL;
    as_err e = db_connect(&c, conninfo, flags);
    if (e)
        fail_msg("db_connect: %s", as_last_error());
    return c;
}

static void test_migrations_apply_once(void **state)
{
    (void)state;
    NEED_DB();
    PGconn *c = connect_or_fail(DB_CONNECT_NO_MIGRATE);
    int applied = -1;
    assert_int_equal(db_migrate(c, &applied), AS_OK);
    assert_int_equal(applied, migrations_count);
    assert_int_equal(db_migrate(c, &applied), AS_OK);
    assert_int_equal(applied, 0);
    PGresult *r;
    assert_int_equal(db_query(c, &r, "SELECT count(*) FROM schema_migrations", 0, NULL), AS_OK);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), migrations_count);
    PQclear(r);
    db_close(c);
}

static void test_everything_documented(void **state)
{
    (void)state;
    NEED_DB();
    PGconn *c = connect_or_fail(0);
    PGresult *r;
    /* Tables, partitioned tables and views that are not partitions. */
    assert_int_equal(db_query(c, &r,
                              "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m') "
                              "AND NOT c.relispartition AND obj_description(c.oid, 'pg_class') IS NULL",
                              0, NULL),
                     AS_OK);
    for (int i = 0; i < PQntuples(r); i++)
        printf("undocumented table: %s\n", PQgetvalue(r, i, 0));
    assert_int_equal(PQntuples(r), 0);
    PQclear(r);
    assert_int_equal(db_query(c, &r,
                              "SELECT c.relname || '.' || a.attname FROM pg_attribute a "
                              "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = 'public' AND c.relkind IN ('r','p') AND NOT c.relispartition "
                              "AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL",
                              0, NULL),
                     AS_OK);
    for (int i = 0; i < PQntuples(r); i++)
        printf("undocumented column: %s\n", PQgetvalue(r, i, 0));
    assert_int_equal(PQntuples(r), 0);
    PQclear(r);
    db_close(c);
}

static void test_analyst_reads_but_cannot_write(void **state)
{
    (void)state;
    NEED_DB();
    PGconn *c = connect_or_fail(0);
    assert_int_equal(db_exec(c, "INSERT INTO securities (ticker, name) VALUES ('NVDA', 'NVIDIA')"
                                " ON CONFLICT DO NOTHING"),
                     AS_OK);
    assert_int_equal(db_begin(c), AS_OK);
    assert_int_equal(db_exec(c, "SET LOCAL ROLE analyst"), AS_OK);
    PGresult *r;
    assert_int_equal(db_query(c, &r, "SELECT name FROM securities WHERE ticker = 'NVDA'", 0, NULL), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "NVIDIA");
    PQclear(r);
    assert_int_equal(db_exec(c, "DELETE FROM securities"), AS_ERR_DB);
    assert_non_null(strstr(as_last_error(), "permission denied"));
    db_rollback(c);
    db_close(c);
}

static void test_copy_escapes_round_trip(void **state)
{
    (void)state;
    NEED_DB();
    PGconn *c = connect_or_fail(0);
    assert_int_equal(db_exec(c, "CREATE TEMP TABLE t (a text, b text)"), AS_OK);
    struct db_copybuf b = {0};
    const char *tricky = "tab\there\nnew line \\ back\rslash";
    assert_int_equal(db_copy_begin(c, "COPY t (a, b) FROM STDIN"), AS_OK);
    assert_int_equal(db_copybuf_field(&b, tricky, 0), AS_OK);
    assert_int_equal(db_copybuf_field(&b, NULL, 1), AS_OK);
    assert_int_equal(db_copybuf_flush(c, &b), AS_OK);
    assert_int_equal(db_copy_end(c, NULL), AS_OK);
    db_copybuf_free(&b);
    PGresult *r;
    assert_int_equal(db_query(c, &r, "SELECT a, b IS NULL FROM t", 0, NULL), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), tricky);
    assert_string_equal(PQgetvalue(r, 0, 1), "t");
    PQclear(r);
    /* A malformed COPY reports the server's message and leaves nothing. */
    assert_int_equal(db_exec(c, "CREATE TEMP TABLE n (x integer)"), AS_OK);
    assert_int_equal(db_copy_begin(c, "COPY n FROM STDIN"), AS_OK);
    assert_int_equal(db_copy_put(c, "1\nnot-a-number\n", 15), AS_OK);
    assert_int_equal(db_copy_end(c, NULL), AS_ERR_DB);
    assert_non_null(strstr(as_last_error(), "invalid input syntax"));
    assert_int_equal(db_query(c, &r, "SELECT count(*) FROM n", 0, NULL), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    db_close(c);
}

static void test_advisory_lock_excludes(void **state)
{
    (void)state;
    NEED_DB();
    PGconn *a = connect_or_fail(0), *b = connect_or_fail(0);
    assert_int_equal(db_lock_try(a, 42), AS_OK);
    assert_int_equal(db_lock_try(b, 42), AS_ERR_LOCKED);
    assert_int_equal(db_unlock(a, 42), AS_OK);
    assert_int_equal(db_lock_try(b, 42), AS_OK);
    db_close(a);
    db_close(b);
}

static void test_unreachable_is_exit_3(void **state)
{
    (void)state;
    PGconn *c = NULL;
    as_err e = db_connect(&c, "host=/nonexistent-aftershock-socket-dir dbname=x connect_timeout=2", 0);
    assert_int_equal(e, AS_ERR_DB_CONNECT);
    assert_int_equal(as_exit_code(e), 3);
    assert_non_null(strstr(as_last_error(), "cannot connect to the database (--db)"));
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_apply_once),
        cmocka_unit_test(test_everything_documented),
        cmocka_unit_test(test_analyst_reads_but_cannot_write),
        cmocka_unit_test(test_copy_escapes_round_trip),
        cmocka_unit_test(test_advisory_lock_excludes),
        cmocka_unit_test(test_unreachable_is_exit_3),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
