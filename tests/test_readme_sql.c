/*
 * test_readme_sql.c -- the example queries of README.md's "Schema for
 * analysts" stay correct: every SQL statement of the indented block after
 * "Queries to paste into" is run through `aftershock sql`'s engine
 * (sql_connect, sql_export) as the analyst login against a throwaway
 * database with the bundled demo data, its events detected and the study of
 * 2025-01-27 stored.  Each must run and return rows.  Then the date is
 * studied again with other settings, and each query's output must be the
 * same, byte for byte, as once the first study is deleted: what a query
 * shows may not depend on older studies of the date, which a query on a
 * study view without `AND latest` would include (or, under a LIMIT, mix in).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/announce.h"
#include "analytics/events.h"
#include "analytics/study_db.h"
#include "common/db.h"
#include "reports/sqlout.h"
#include "tests/support/demodata.h"
#include "tests/support/testdb.h"

#define MAX_QUERIES 32

static char conninfo[4096];
static PGconn *db;  /* the owner's: loading and the second study */
static PGconn *adb; /* the analyst login's, as `aftershock sql` runs them */

static int setup(void **state)
{
    (void)state;
    if (testdb_create(conninfo, sizeof conninfo, "test_readme") <= 0)
        return 0;
    if (db_connect(&db, conninfo, 0) != AS_OK || demodata_load(db) != 0) {
        fprintf(stderr, "setup: %s\n", as_last_error());
        return -1;
    }
    /* What the nightly run stores for the date: events, then the study
     * with the default settings. */
    lexicon *lex;
    if (lexicon_load(&lex, testdb_src_path("data/lexicon")) != AS_OK) {
        fprintf(stderr, "setup: %s\n", as_last_error());
        return -1;
    }
    events_options eo = {.market = "SPY", .from = "2025-01-01", .to = "2025-02-14",
                         .threshold = ANNOUNCE_THRESHOLD, .cluster = CLUSTER_PARAMS_DEFAULT};
    events_summary es;
    as_err e = events_detect(&es, db, &eo, lex);
    lexicon_free(lex);
    study_db_opts so = {.event_date = "2025-01-27", .all = 1, .market = "SPY"};
    estudy_config_default(&so.cfg);
    study_db_run sr;
    if (e || (e = study_run_db(&sr, db, &so)) != AS_OK) {
        fprintf(stderr, "setup: %s\n", as_last_error());
        return -1;
    }
    study_db_run_free(&sr);
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
    db_close(db);
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

/* The statements of README's example block: the lines indented by four
 * spaces after the "Queries to paste into" paragraph, up to the next
 * heading, "--" comment lines dropped, each statement ending at a line that
 * ends with ';'.  Returns how many (heap strings in q), -1 when the README
 * or the block is missing. */
static int readme_queries(char *q[MAX_QUERIES])
{
    FILE *f = fopen(testdb_src_path("README.md"), "r");
    if (!f)
        return -1;
    char line[4096];
    int in = 0, n = 0;
    char *cur = NULL;
    size_t len = 0;
    FILE *m = NULL;
    while (fgets(line, sizeof line, f)) {
        if (!in) {
            in = strncmp(line, "Queries to paste into", 21) == 0;
            continue;
        }
        if (strncmp(line, "## ", 3) == 0)
            break;
        if (strncmp(line, "    ", 4) != 0 || strncmp(line + 4, "--", 2) == 0)
            continue;
        if (!m && !(m = open_memstream(&cur, &len)))
            break;
        fputs(line + 4, m);
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == ' '))
            l--;
        if (l && line[l - 1] == ';') {
            fclose(m);
            m = NULL;
            if (n == MAX_QUERIES) {
                free(cur);
                break;
            }
            q[n++] = cur;
            cur = NULL;
        }
    }
    if (m) { /* a statement without its ';' */
        fclose(m);
        free(cur);
        n = -1;
    }
    fclose(f);
    return in ? n : -1;
}

/* The query's output as CSV (heap; *rows rows), through sql_export. */
static char *output_of(const char *query, long long *rows)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    struct sql_run_opts o = {.query = query, .timeout_s = 60};
    as_err e = sql_export(adb, &o, SQL_FORMAT_CSV, NULL, out, rows);
    fclose(out);
    if (e)
        fail_msg("README query failed: %s\n%s", as_last_error(), query);
    return text;
}

static long long count_of(const char *sql)
{
    PGresult *r;
    if (db_query(db, &r, sql, 0, NULL) != AS_OK)
        fail_msg("%s: %s", sql, as_last_error());
    long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

static void test_readme_queries(void **state)
{
    (void)state;
    if (!db) {
        printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");
        skip();
    }
    char *q[MAX_QUERIES];
    int n = readme_queries(q);
    /* The block holds 8 statements today; fewer than 5 means the
     * extraction lost its way. */
    if (n < 5)
        fail_msg("README.md: found %d example statements after \"Queries to paste into\"", n);
    long long rows;
    for (int i = 0; i < n; i++) {
        free(output_of(q[i], &rows));
        if (rows < 1)
            fail_msg("README query returns no rows on the demo data:\n%s", q[i]);
    }

    /* The same date studied again with another estimation window: the
     * study views now hold two studies of 2025-01-27, the new one latest. */
    long long first = count_of("SELECT id FROM studies WHERE event_date = '2025-01-27'");
    study_db_opts so = {.event_date = "2025-01-27", .all = 1, .market = "SPY"};
    estudy_config_default(&so.cfg);
    so.cfg.est_start = -200;
    study_db_run sr;
    if (study_run_db(&sr, db, &so) != AS_OK)
        fail_msg("second study: %s", as_last_error());
    study_db_run_free(&sr);
    assert_int_equal(count_of("SELECT count(*) FROM studies WHERE event_date = '2025-01-27'"), 2);
    assert_int_equal(count_of("SELECT count(*) FROM v_event_impact WHERE event_date = '2025-01-27'"),
                     2 * count_of("SELECT count(*) FROM v_event_impact WHERE "
                                  "event_date = '2025-01-27' AND latest"));
    char *two[MAX_QUERIES];
    for (int i = 0; i < n; i++)
        two[i] = output_of(q[i], &rows);
    /* Without the older study every query must show the same. */
    char del[128];
    snprintf(del, sizeof del, "DELETE FROM studies WHERE id = %lld", first);
    assert_int_equal(db_exec(db, del), AS_OK);
    assert_int_equal(count_of("SELECT count(*) FROM studies WHERE event_date = '2025-01-27'"), 1);
    for (int i = 0; i < n; i++) {
        char *one = output_of(q[i], &rows);
        if (strcmp(one, two[i]) != 0)
            fail_msg("README query shows the older study of the date too (AND latest?):\n%s\n"
                     "with both studies:\n%s\nwith the latest only:\n%s", q[i], two[i], one);
        free(one);
        free(two[i]);
        free(q[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_queries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
