/*
 * test_sql_export.c -- `aftershock sql`'s engine (reports/sqlrun.c and
 * sqlout.c) against the throwaway cluster: typed Excel cells and NULLs read
 * back by openpyxl, CSV and JSON read back by independent parsers (Python's
 * csv module via the expected RFC 4180 text, jansson), a rejected write, a
 * rejected privilege, a statement timeout, and a failed query that leaves
 * the previous file untouched.  Queries run as the analyst login
 * (sql_connect(): aftershock_analyst), and every way out of the analyst
 * role -- set_config('role'), set_config('session_authorization'), SET
 * ROLE, RESET ROLE, server files, a revoked table, a write -- fails; a
 * superuser login, or one that could become a writer, is refused before
 * the query runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/db.h"
#include "reports/sqlout.h"
#include "tests/support/testdb.h"
#include "tests/support/xlsxread.h"

static char conninfo[4096];
static char tmpdir[1024];
static PGconn *db;  /* the owner's connection (the cluster's superuser): set-up and checks */
static PGconn *adb; /* the analyst login's, which every query runs on */
/* Cluster-wide roles of this program (pid in the name): a writer role and
 * a login that may become it. */
static char writer[64], sneaky[64];

static int setup(void **state)
{
    (void)state;
    if (testdb_create(conninfo, sizeof conninfo, "test_sql") <= 0)
        return 0;
    if (db_connect(&db, conninfo, 0) != AS_OK) {
        fprintf(stderr, "db_connect: %s\n", as_last_error());
        return -1;
    }
    const char *t = getenv("AS_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/sql-%d", t && t[0] ? t : "/tmp", (int)getpid());
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmpdir);
    if (system(cmd) != 0)
        return -1;
    /* A table of every type the writer distinguishes.  Made by the owner; analyst reads it through the default
     * privileges 001_core.sql sets.  The second row is NULL but for its text,
     * which keeps the row visible to the reader. */
    if (db_exec(db,
                   "CREATE TABLE t_types (i int, b bigint, big bigint, n numeric, f float8, "
                   "  ok boolean, d date, ts timestamp, tz timestamptz, s text);"
                   "INSERT INTO t_types VALUES (42, 7, 9007199254740993, 1.25, -0.5, true, "
                   "  '2025-01-27', '2025-01-27 09:30:00', '2025-01-27 14:30:15+00', "
                   "  '=HYPERLINK(\"http://evil\",\"x\")'),"
                   "  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'only text');"
                   "CREATE TABLE t_secret (x int); REVOKE ALL ON t_secret FROM analyst;"
                   "CREATE SEQUENCE t_seq;") != AS_OK)
        return -1;
    snprintf(writer, sizeof writer, "t_writer_%d", (int)getpid());
    snprintf(sneaky, sizeof sneaky, "t_sneaky_%d", (int)getpid());
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE ROLE %s NOLOGIN; GRANT INSERT ON t_types TO %s;"
             "CREATE ROLE %s LOGIN NOINHERIT; GRANT analyst TO %s; GRANT %s TO %s",
             writer, writer, sneaky, sneaky, writer, sneaky);
    if (db_exec(db, sql) != AS_OK)
        return -1;
    if (sql_connect(&adb, conninfo) != AS_OK) {
        fprintf(stderr, "sql_connect: %s\n", as_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(adb);
    if (db && writer[0]) {
        /* DROP OWNED takes the grants in this database with it. */
        char sql[512];
        snprintf(sql, sizeof sql, "DROP OWNED BY %s, %s; DROP ROLE IF EXISTS %s, %s", sneaky,
                 writer, sneaky, writer);
        db_exec(db, sql);
    }
    db_close(db);
    if (conninfo[0])
        testdb_drop(conninfo);
    if (tmpdir[0]) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            return -1;
    }
    return 0;
}

#define NEED_DB()                                                                   \
    do {                                                                            \
        if (!db) {                                                                  \
            printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");     \
            skip();                                                                 \
        }                                                                           \
    } while (0)

/* The string at key of j, or "(missing)", so a failed lookup is reported
 * as a mismatch rather than crashing the comparison. */
static const char *str(json_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j, key));
    return v ? v : "(missing)";
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        fputc(ch, m);
    fclose(m);
    fclose(f);
    return buf;
}

/* Files in tmpdir whose name contains ".tmp-": leftovers of a failed write. */
static int tmp_leftovers(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-"))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_xlsx_types_and_nulls(void **state)
{
    (void)state;
    NEED_DB();
    if (!xlsx_reader_available()) {
        printf("skip: /usr/bin/python3 with openpyxl is not installed\n");
        skip();
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/types.xlsx", tmpdir);
    struct sql_run_opts q = {.query = "SELECT * FROM t_types ORDER BY i NULLS LAST",
                             .timeout_s = 60};
    long long rows = -1;
    assert_int_equal(sql_export(adb, &q, SQL_FORMAT_XLSX, path, NULL, &rows), AS_OK);
    assert_int_equal(rows, 2);
    json_t *doc = xlsx_read(path, -1);
    assert_non_null(doc);
    json_t *sheet = json_object_get(json_object_get(doc, "sheet"), "Result");
    assert_string_equal(str(sheet, "freeze"), "A2");
    assert_string_equal(str(sheet, "autofilter"), "A1:J3");

    /* Header: bold text. */
    json_t *h = xlsx_cell(doc, "Result", 0, 0);
    assert_string_equal(str(h, "v"), "i");
    assert_true(json_is_true(json_object_get(h, "bold")));

    /* Expected values are the literals inserted above; numbers compare
     * exactly because each is a short binary fraction or a small integer. */
    struct {
        int col;
        const char *type;
        double num;
        const char *text;
    } want[] = {
        {0, "n", 42, NULL},
        {1, "n", 7, NULL},
        /* 2^53 + 1 has no double: written as text so no digit is lost */
        {2, "s", 0, "9007199254740993"},
        {3, "n", 1.25, NULL},
        {4, "n", -0.5, NULL},
        {6, "d", 0, "2025-01-27T00:00:00"},
        {7, "d", 0, "2025-01-27T09:30:00"},
        /* timestamptz arrives in UTC (the guard sets TimeZone) */
        {8, "d", 0, "2025-01-27T14:30:15"},
        /* outside text stays text, never a formula */
        {9, "s", 0, "=HYPERLINK(\"http://evil\",\"x\")"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *c = xlsx_cell(doc, "Result", 1, want[i].col);
        assert_string_equal(str(c, "t"), want[i].type);
        if (want[i].text)
            assert_string_equal(str(c, "v"), want[i].text);
        else
            assert_true(json_number_value(json_object_get(c, "v")) == want[i].num);
    }
    json_t *okc = xlsx_cell(doc, "Result", 1, 5);
    assert_string_equal(str(okc, "t"), "b");
    assert_true(json_is_true(json_object_get(okc, "v")));
    assert_string_equal(str(xlsx_cell(doc, "Result", 1, 6), "fmt"),
                        "yyyy-mm-dd");
    /* Every NULL is a blank cell. */
    for (int c = 0; c < 9; c++)
        assert_string_equal(str(xlsx_cell(doc, "Result", 2, c), "t"),
                            "null");
    json_decref(doc);
    assert_int_equal(tmp_leftovers(), 0);
}

static void test_params_csv(void **state)
{
    (void)state;
    NEED_DB();
    char path[1200];
    snprintf(path, sizeof path, "%s/p.csv", tmpdir);
    const char *params[] = {"a,\"b\"", "3"};
    struct sql_run_opts q = {.query = "SELECT $1::text AS s, $2::int + 1 AS n, NULL::text AS z",
                             .params = params, .nparams = 2, .timeout_s = 60};
    long long rows;
    assert_int_equal(sql_export(adb, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_OK);
    char *text = slurp(path);
    assert_non_null(text);
    /* RFC 4180 by hand: the field with a comma and quotes is quoted and its
     * quotes doubled; NULL is an empty field (psql --csv does the same). */
    assert_string_equal(text, "s,n,z\r\n\"a,\"\"b\"\"\",4,\r\n");
    free(text);
}

static void test_json_typed(void **state)
{
    (void)state;
    NEED_DB();
    char path[1200];
    snprintf(path, sizeof path, "%s/t.json", tmpdir);
    struct sql_run_opts q = {.query = "SELECT i, n, ok, d, s FROM t_types ORDER BY i NULLS LAST",
                             .timeout_s = 60};
    long long rows;
    assert_int_equal(sql_export(adb, &q, SQL_FORMAT_JSON, path, NULL, &rows), AS_OK);
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    assert_non_null(doc);
    assert_int_equal(json_array_size(doc), 2);
    json_t *r0 = json_array_get(doc, 0);
    assert_int_equal(json_integer_value(json_object_get(r0, "i")), 42);
    assert_true(json_real_value(json_object_get(r0, "n")) == 1.25);
    assert_true(json_is_true(json_object_get(r0, "ok")));
    assert_string_equal(str(r0, "d"), "2025-01-27");
    assert_string_equal(str(r0, "s"),
                        "=HYPERLINK(\"http://evil\",\"x\")");
    assert_true(json_is_null(json_object_get(json_array_get(doc, 1), "i")));
    json_decref(doc);
}

static void test_write_rejected(void **state)
{
    (void)state;
    NEED_DB();
    const char *writes[] = {
        "INSERT INTO t_types (i) VALUES (1) RETURNING i",
        "WITH d AS (DELETE FROM t_types RETURNING i) SELECT * FROM d",
        "SELECT nextval('t_seq')",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/w%zu.xlsx", tmpdir, i);
        struct sql_run_opts q = {.query = writes[i], .timeout_s = 60};
        long long rows;
        assert_int_equal(sql_export(adb, &q, SQL_FORMAT_XLSX, path, NULL, &rows), AS_ERR_DB);
        assert_non_null(strstr(as_last_error(), "read-only"));
        assert_null(fopen(path, "r"));
    }
    PGresult *r;
    assert_int_equal(db_query(db, &r, "SELECT count(*) FROM t_types", 0, NULL), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
    /* The role, not only the transaction, limits what a query reaches. */
    struct sql_run_opts q = {.query = "SELECT * FROM t_secret", .timeout_s = 60};
    long long rows;
    assert_int_equal(sql_export(adb, &q, SQL_FORMAT_CSV, NULL, stdout, &rows), AS_ERR_DB);
    assert_non_null(strstr(as_last_error(), "read-only role 'analyst'"));
    assert_int_equal(tmp_leftovers(), 0);
}

static void test_timeout(void **state)
{
    (void)state;
    NEED_DB();
    struct sql_run_opts q = {.query = "SELECT pg_sleep(5)", .timeout_s = 1};
    long long rows;
    assert_int_equal(sql_export(adb, &q, SQL_FORMAT_CSV, NULL, stdout, &rows), AS_ERR_DB);
    assert_non_null(strstr(as_last_error(), "1 s statement timeout"));
    /* The connection is usable again afterwards. */
    PGresult *r;
    assert_int_equal(db_query(adb, &r, "SELECT 1", 0, NULL), AS_OK);
    PQclear(r);
}

static void test_failure_keeps_old_file(void **state)
{
    (void)state;
    NEED_DB();
    char path[1200];
    snprintf(path, sizeof path, "%s/keep.csv", tmpdir);
    struct sql_run_opts good = {.query = "SELECT 1 AS one", .timeout_s = 60};
    long long rows;
    assert_int_equal(sql_export(adb, &good, SQL_FORMAT_CSV, path, NULL, &rows), AS_OK);
    /* Rows stream out before the error at g = 5000: the file must not
     * change. */
    struct sql_run_opts bad = {.query = "SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g",
                               .timeout_s = 60};
    assert_int_equal(sql_export(adb, &bad, SQL_FORMAT_CSV, path, NULL, &rows), AS_ERR_DB);
    assert_non_null(strstr(as_last_error(), "division by zero"));
    assert_true(rows > 0);
    char *text = slurp(path);
    assert_string_equal(text, "one\r\n1\r\n");
    free(text);
    snprintf(path, sizeof path, "%s/keep.xlsx", tmpdir);
    assert_int_equal(sql_export(adb, &bad, SQL_FORMAT_XLSX, path, NULL, &rows), AS_ERR_DB);
    assert_null(fopen(path, "r"));
    assert_int_equal(tmp_leftovers(), 0);
}

static void test_runs_as_analyst_login(void **state)
{
    (void)state;
    NEED_DB();
    /* An ordinary SELECT: logged in as the migration's login, acting as
     * analyst. */
    char path[1200];
    snprintf(path, sizeof path, "%s/who.csv", tmpdir);
    struct sql_run_opts q = {.query = "SELECT session_user AS login, current_user AS acting, "
                                      "count(*) AS n FROM t_types",
                             .timeout_s = 60};
    long long rows;
    assert_int_equal(sql_export(adb, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_OK);
    char *text = slurp(path);
    assert_non_null(text);
    assert_string_equal(text, "login,acting,n\r\naftershock_analyst,analyst,2\r\n");
    free(text);
}

/* Every way out of the analyst role fails with its own message, writes no
 * file and changes nothing. */
static void test_role_escapes_fail(void **state)
{
    (void)state;
    NEED_DB();
    char su[160], sql[5][512];
    /* The owner of the test database is the cluster's superuser. */
    snprintf(su, sizeof su, "%s", PQuser(db));
    snprintf(sql[0], sizeof sql[0],
             "SELECT set_config('role', '%s', true), "
             "query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')", su);
    snprintf(sql[1], sizeof sql[1], "SELECT set_config('session_authorization', '%s', true)", su);
    snprintf(sql[2], sizeof sql[2], "SET ROLE %s", su);
    snprintf(sql[3], sizeof sql[3],
             "SELECT set_config('role', '%s', true), query_to_xml('select pg_reload_conf()', "
             "true, true, '')", su);
    snprintf(sql[4], sizeof sql[4], "SELECT set_config('role', '%s', true), "
             "query_to_xml('insert into t_types (i) values (3) returning i', true, true, '')", su);
    const struct {
        const char *query;
        as_err err;
        const char *msg;
    } escapes[] = {
        {sql[0], AS_ERR_DB, "read-only role 'analyst': permission denied to set role"},
        {sql[1], AS_ERR_DB, "read-only role 'analyst': permission denied to set session authorization"},
        {sql[2], AS_ERR_DB, "read-only role 'analyst': permission denied to set role"},
        {sql[3], AS_ERR_DB, "read-only role 'analyst': permission denied to set role"},
        {sql[4], AS_ERR_DB, "read-only role 'analyst': permission denied to set role"},
        /* Back to the session user: it has analyst's rights and no more. */
        {"SELECT set_config('role', 'none', true), "
         "query_to_xml('select * from t_secret', true, true, '')",
         AS_ERR_DB, "read-only role 'analyst': permission denied for table t_secret"},
        {"SELECT set_config('role', 'none', true), "
         "query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')",
         AS_ERR_DB, "read-only role 'analyst': permission denied for function pg_read_file"},
        {"SELECT set_config('role', 'none', true), "
         "query_to_xml('select nextval(''t_seq'')', true, true, '')",
         AS_ERR_DB, "read-only role 'analyst': permission denied for sequence t_seq"},
        {"RESET ROLE", AS_ERR_USAGE, "the statement returns no rows"},
        {"SELECT pg_read_file('/etc/passwd')", AS_ERR_DB,
         "read-only role 'analyst': permission denied for function pg_read_file"},
        {"SELECT pg_reload_conf()", AS_ERR_DB,
         "read-only role 'analyst': permission denied for function pg_reload_conf"},
        {"SELECT * FROM t_secret", AS_ERR_DB,
         "read-only role 'analyst': permission denied for table t_secret"},
        {"UPDATE t_types SET i = 0 RETURNING i", AS_ERR_DB,
         "the query tries to write, and aftershock sql is read-only"},
        /* COPY to the client is no way round either (it used to hang). */
        {"COPY t_types TO STDOUT", AS_ERR_USAGE, "COPY is not run by aftershock sql"},
        {"COPY t_types FROM STDIN", AS_ERR_DB,
         "read-only role 'analyst': permission denied for table t_types"},
        {"COPY t_types TO '/tmp/aftershock-copy-test'", AS_ERR_DB,
         "read-only role 'analyst': must be superuser or have privileges of the "
         "pg_write_server_files role"},
    };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/escape%zu.csv", tmpdir, i);
        struct sql_run_opts q = {.query = escapes[i].query, .timeout_s = 60};
        long long rows;
        as_err e = sql_export(adb, &q, SQL_FORMAT_CSV, path, NULL, &rows);
        if (e != escapes[i].err || !strstr(as_last_error(), escapes[i].msg))
            fail_msg("%s: got %d '%s', want %d '%s'", escapes[i].query, e, as_last_error(),
                     escapes[i].err, escapes[i].msg);
        assert_null(fopen(path, "r"));
    }
    PGresult *r;
    assert_int_equal(db_query(db, &r, "SELECT count(*), count(*) FILTER (WHERE i = 0) FROM t_types",
                              0, NULL), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "2");
    assert_string_equal(PQgetvalue(r, 0, 1), "0");
    PQclear(r);
    /* The analyst connection is still the analyst's. */
    assert_int_equal(db_query(adb, &r, "SELECT session_user, current_user", 0, NULL), AS_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "aftershock_analyst");
    assert_string_equal(PQgetvalue(r, 0, 1), "aftershock_analyst");
    PQclear(r);
    assert_int_equal(tmp_leftovers(), 0);
}

/* A login with more than analyst's rights is refused before the query
 * runs: never a silent fall-back to the privileged connection. */
static void test_privileged_login_refused(void **state)
{
    (void)state;
    NEED_DB();
    char path[1200], want[512];
    snprintf(path, sizeof path, "%s/refused.csv", tmpdir);
    struct sql_run_opts q = {.query = "SELECT 1 AS one", .timeout_s = 60};
    long long rows = -1;
    /* The owner's connection: a superuser. */
    assert_int_equal(sql_export(db, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_ERR_USAGE);
    snprintf(want, sizeof want, "refusing to run the query as the database login '%s': it is a "
             "superuser; aftershock sql needs a login with no rights beyond the read-only role "
             "'analyst'", PQuser(db));
    if (!strstr(as_last_error(), want))
        fail_msg("got '%s'", as_last_error());
    assert_int_equal(rows, 0);
    assert_null(fopen(path, "r"));

    /* sql.user naming the superuser: connected as it, then refused. */
    PGconn *c;
    assert_int_equal(config_set("sql.user", PQuser(db)), AS_OK);
    assert_int_equal(sql_connect(&c, conninfo), AS_OK);
    assert_int_equal(config_set("sql.user", "aftershock_analyst"), AS_OK);
    assert_int_equal(sql_export(c, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_ERR_USAGE);
    assert_non_null(strstr(as_last_error(), "it is a superuser"));
    db_close(c);
    /* sql.url is taken as is: the superuser's conninfo is refused too. */
    assert_int_equal(config_set("sql.url", conninfo), AS_OK);
    assert_int_equal(sql_connect(&c, NULL), AS_OK);
    assert_int_equal(config_set("sql.url", ""), AS_OK);
    assert_int_equal(sql_export(c, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_ERR_USAGE);
    assert_non_null(strstr(as_last_error(), "it is a superuser"));
    assert_null(fopen(path, "r"));
    db_close(c);

    /* A member of analyst that may also SET ROLE to a writer (NOINHERIT:
     * it holds the writer's rights only once it switches)... */
    assert_int_equal(db_connect_as(&c, conninfo, NULL, sneaky, DB_CONNECT_NO_MIGRATE), AS_OK);
    assert_int_equal(sql_export(c, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_ERR_USAGE);
    snprintf(want, sizeof want, "login '%s': it can become role '%s', which can write to t_types",
             sneaky, writer);
    if (!strstr(as_last_error(), want))
        fail_msg("got '%s'", as_last_error());
    assert_null(fopen(path, "r"));
    /* ... and once it inherits them, the login itself can write. */
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER ROLE %s INHERIT", sneaky);
    assert_int_equal(db_exec(db, sql), AS_OK);
    assert_int_equal(sql_export(c, &q, SQL_FORMAT_CSV, path, NULL, &rows), AS_ERR_USAGE);
    snprintf(want, sizeof want, "login '%s': it can write to t_types", sneaky);
    if (!strstr(as_last_error(), want))
        fail_msg("got '%s'", as_last_error());
    assert_null(fopen(path, "r"));
    db_close(c);
    assert_int_equal(tmp_leftovers(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlsx_types_and_nulls),
        cmocka_unit_test(test_params_csv),
        cmocka_unit_test(test_json_typed),
        cmocka_unit_test(test_write_rejected),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_failure_keeps_old_file),
        cmocka_unit_test(test_runs_as_analyst_login),
        cmocka_unit_test(test_role_escapes_fail),
        cmocka_unit_test(test_privileged_login_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
