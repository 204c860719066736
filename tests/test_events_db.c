/*
 * test_events_db.c -- `events detect` against a real throwaway PostgreSQL
 * (AS_TEST_DB, started by tests/run.sh; skipped when unset).
 *
 * Loads the SPY session dates of tests/fixtures/spy_sessions_2024-11_2025-03.txt
 * as prices and the 26 real items of tests/fixtures/labelled_news.tsv as
 * news, then checks the stored events against the alignment worked out by
 * hand in test_events_calendar.c (R1 -> 2025-01-21, the rout -> 2025-01-27),
 * that a re-run rewrites no row (same xmin), that a failing run leaves the
 * tables as they were, and the view the study engine relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/events.h"
#include "common/db.h"
#include "tests/support/testdb.h"

static char conninfo[4096];
static PGconn *conn;
static lexicon *lex;

#define NEED_DB()                                                                    \
    do {                                                                             \
        if (!conn) {                                                                 \
            printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");      \
            skip();                                                                  \
        }                                                                            \
    } while (0)

static void exec_ok(const char *sql, int n, const char *const *params)
{
    PGresult *r = NULL;
    if (db_query(conn, &r, sql, n, params) != AS_OK)
        fail_msg("%s: %s", sql, as_last_error());
    PQclear(r);
}

/* The single value of a one-row, one-column query, as a heap string. */
static char *query_value(const char *sql)
{
    PGresult *r = NULL;
    if (db_query(conn, &r, sql, 0, NULL) != AS_OK)
        fail_msg("%s: %s", sql, as_last_error());
    assert_int_equal(PQntuples(r), 1);
    char *v = strdup(PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void value_expect(const char *sql, const char *want)
{
    char *v = query_value(sql);
    if (strcmp(v, want) != 0)
        fail_msg("%s -> '%s', want '%s'", sql, v, want);
    free(v);
}

static void fixtures_load(void)
{
    FILE *f = fopen(testdb_src_path("tests/fixtures/spy_sessions_2024-11_2025-03.txt"), "r");
    assert_non_null(f);
    char line[512];
    exec_ok("BEGIN", 0, NULL);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        const char *p[] = {line};
        exec_ok("INSERT INTO prices (ticker, date, close, source) VALUES ('SPY', $1, 1, 'test')",
                1, p);
    }
    fclose(f);
    f = fopen(testdb_src_path("tests/fixtures/labelled_news.tsv"), "r");
    assert_non_null(f);
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&buf, &cap, f) >= 0) {
        if (lineno++ == 0)
            continue;
        buf[strcspn(buf, "\n")] = '\0';
        char *fld[9], *s = buf;
        for (int i = 0; i < 9; i++) {
            fld[i] = s;
            s = strchr(s, '\t');
            if (s)
                *s++ = '\0';
            else
                assert_int_equal(i, 8);
        }
        if (strcmp(fld[8], "real") != 0)
            continue;
        /* key, published, language, source, url, title, summary */
        const char *p[] = {fld[0], fld[2], fld[3], fld[4], fld[5], fld[6], fld[7]};
        exec_ok("INSERT INTO news (url, source, published_at, title, summary, language, feed) "
                "VALUES ($5, $4, $2, $6, NULLIF($7, ''), $3, $1)",
                7, p);
    }
    free(buf);
    fclose(f);
    exec_ok("COMMIT", 0, NULL);
}

static int setup(void **state)
{
    (void)state;
    if (lexicon_load(&lex, testdb_src_path("data/lexicon")) != AS_OK) {
        fprintf(stderr, "lexicon: %s\n", as_last_error());
        return -1;
    }
    int r = testdb_create(conninfo, sizeof conninfo, "test_events");
    if (r <= 0)
        return r < 0 ? -1 : 0;
    if (db_connect(&conn, conninfo, 0) != AS_OK) {
        fprintf(stderr, "db_connect: %s\n", as_last_error());
        return -1;
    }
    fixtures_load();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lexicon_free(lex);
    if (conn)
        db_close(conn);
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

static events_options options(void)
{
    return (events_options){.market = "SPY", .threshold = ANNOUNCE_THRESHOLD,
                            .cluster = CLUSTER_PARAMS_DEFAULT};
}

/* Row versions of every table detect writes: equal strings = nothing rewritten. */
static char *xmins(void)
{
    return query_value(
        "SELECT (SELECT string_agg(xmin::text, ',' ORDER BY id) FROM events) || '|' || "
        "(SELECT string_agg(xmin::text, ',' ORDER BY news_id) FROM announcements) || '|' || "
        "(SELECT string_agg(xmin::text, ',' ORDER BY news_id) FROM event_stories) || '|' || "
        "(SELECT string_agg(xmin::text, ',' ORDER BY news_id, ticker) FROM announcement_tickers) "
        "|| '|' || (SELECT string_agg(xmin::text, ',' ORDER BY session_date) FROM event_calendar)");
}

static void test_detect_aligns_and_is_idempotent(void **state)
{
    (void)state;
    NEED_DB();
    events_options o = options();
    events_summary s;
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    assert_int_equal(s.n_news, 26);
    assert_int_equal(s.n_announcements, 18); /* every real positive, as in test_events_detect */
    assert_int_equal(s.n_events, 5);
    assert_int_equal(s.n_outside_calendar, 0);
    assert_true(s.rows_changed > 0);

    /* R1: news item r01 (feed holds the fixture key) */
    value_expect("SELECT e.session_date FROM events e JOIN news n ON n.id = e.id "
                 "WHERE n.feed = 'r01'",
                 "2025-01-21");
    value_expect("SELECT session_date || ' ' || n_stories || ' ' || score FROM events "
                 "ORDER BY n_stories DESC LIMIT 1",
                 "2025-01-27 14 100");
    value_expect("SELECT count(*) FROM events WHERE direction = -1", "5");
    /* the view: one row per session; R1 and rout days at full strength */
    value_expect("SELECT count(*) FROM v_daily_announcement_score", "101");
    value_expect("SELECT score FROM v_daily_announcement_score WHERE session_date = '2025-01-21'",
                 "100");
    value_expect("SELECT score FROM v_daily_announcement_score WHERE session_date = '2025-01-27'",
                 "100");
    value_expect("SELECT score FROM v_daily_announcement_score WHERE session_date = '2025-01-22'",
                 "0");
    /* a non-announcement is stored with its score, no novelty, direction 0 */
    value_expect("SELECT a.is_announcement || ' ' || coalesce(a.novelty::text, 'NULL') || ' ' || "
                 "a.direction FROM announcements a JOIN news n ON n.id = a.news_id "
                 "WHERE n.feed = 'r09'",
                 "false NULL 0");
    value_expect("SELECT string_agg(t.ticker || ':' || t.relevance || ':' || t.direction, ' ' "
                 "ORDER BY t.ticker) FROM announcement_tickers t JOIN news n ON n.id = t.news_id "
                 "WHERE n.feed = 'r10'",
                 "CEG:60:-1 VST:60:-1");

    char *before = xmins();
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    assert_int_equal(s.rows_changed, 0);
    char *after = xmins();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_failed_run_leaves_tables(void **state)
{
    (void)state;
    NEED_DB();
    events_options o = options();
    events_summary s;
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    char *before = xmins();
    o.market = "NOPE";
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_ERR_NOT_FOUND);
    assert_non_null(strstr(as_last_error(), "no prices for market ticker 'NOPE'"));
    char *after = xmins();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_edit_rewrites_only_that_item(void **state)
{
    (void)state;
    NEED_DB();
    events_options o = options();
    events_summary s;
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    /* r26 (2025-02-11, its own event) loses its DeepSeek mention: no longer
     * an announcement, so its event disappears */
    exec_ok("UPDATE news SET title = 'Reviewing winners and losers since late January' "
            "WHERE feed = 'r26'",
            0, NULL);
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    assert_int_equal(s.n_events, 4);
    /* deleted: its event, event_stories row (cascade, not counted) and
     * announcement; inserted: the new announcement = 3 counted changes */
    assert_int_equal(s.rows_changed, 3);
    value_expect("SELECT count(*) FROM events WHERE session_date = '2025-02-11'", "0");
    value_expect("SELECT score FROM v_daily_announcement_score WHERE session_date = '2025-02-11'",
                 "0");
}

static void test_range_limits_scope(void **state)
{
    (void)state;
    NEED_DB();
    events_options o = options();
    o.from = "2025-01-20";
    o.to = "2025-01-21";
    events_summary s;
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    assert_int_equal(s.n_news, 2);
    assert_int_equal(s.rows_changed, 0); /* same results as the full run */
    PGresult *r = NULL;
    assert_int_equal(events_list(&r, conn, "2025-01-21", "2025-01-21"), AS_OK);
    assert_int_equal(PQntuples(r), 2);
    assert_string_equal(PQgetvalue(r, 0, 1), "2025-01-21");
    PQclear(r);
    /* a nightly-style run over 2025-01-28 alone widens to the whole rout
     * event (first story 01-27, last 01-29) and so changes nothing, where a
     * run limited to that day would have split the event */
    o.from = o.to = "2025-01-28";
    char *before = xmins();
    assert_int_equal(events_detect(&s, conn, &o, lex), AS_OK);
    assert_int_equal(s.rows_changed, 0);
    assert_true(s.n_news >= 14);
    char *after = xmins();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_analyst_reads(void **state)
{
    (void)state;
    NEED_DB();
    value_expect("SELECT bool_and(has_table_privilege('analyst', t, 'SELECT')) FROM "
                 "unnest(ARRAY['events', 'event_stories', 'announcements', "
                 "'announcement_tickers', 'event_calendar', 'event_exposure', "
                 "'v_daily_announcement_score', 'v_event_stories']) t",
                 "t");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_aligns_and_is_idempotent),
        cmocka_unit_test(test_failed_run_leaves_tables),
        cmocka_unit_test(test_edit_rewrites_only_that_item),
        cmocka_unit_test(test_range_limits_scope),
        cmocka_unit_test(test_analyst_reads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
