/*
 * test_ingest_load.c -- ingest end to end: a loopback HTTP server that
 * serves the real Yahoo answers and misbehaves on demand
 * (tests/support/faultserver.py), the throwaway PostgreSQL of tests/run.sh,
 * and ingest_prices()/ingest_news() between them.
 *
 * The reference is a clean run: every fault must either heal by retrying
 * (and leave exactly the clean run's rows) or fail its own target only
 * (and leave exactly the clean run minus that target), with the failure in
 * ingest_runs.  Database contents are compared as md5 of every row's text
 * in key order, computed by PostgreSQL.  Retry delays are 20 ms here
 * (backoff_base_ms) so the whole file runs in seconds; what waits is what
 * is being timed: the Retry-After cases (1-2 s), the slow answer behind the
 * progress test (3 s) and the per-host spacing (0.4-0.7 s a request).
 * `aftershock ingest` itself runs as AFTERSHOCK_BIN (tests/run.sh sets it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/db.h"
#include "ingest/http.h"
#include "ingest/ingest.h"
#include "ingest/url.h"
#include "tests/support/ingest_fixture.h"
#include "tests/support/testdb.h"

static char conninfo[2048];
static PGconn *db;
static pid_t server = -1;
static int port;
static char clean_md5[64], aapl_only_md5[64];
static int tag_seq;
static const char *skip_reason;

static char *query_text(const char *sql)
{
    PGresult *r;
    if (db_query(db, &r, sql, 0, NULL) != AS_OK) {
        fprintf(stderr, "query failed: %s\n", as_last_error());
        return NULL;
    }
    char *v = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* md5 of prices + splits + dividends, every column but ingested_at. */
static void snapshot(char out[64])
{
    char *v = query_text(
        "SELECT md5(coalesce((SELECT string_agg(concat_ws('|', ticker, date, open, high, low, "
        "close, adj_close, volume, source), ',' ORDER BY ticker, date) FROM prices), '') || '#' "
        "|| coalesce((SELECT string_agg(concat_ws('|', ticker, date, numerator, denominator, "
        "source), ',' ORDER BY ticker, date) FROM splits), '') || '#' || coalesce((SELECT "
        "string_agg(concat_ws('|', ticker, date, amount, source), ',' ORDER BY ticker, date) "
        "FROM dividends), ''))");
    assert_non_null(v);
    snprintf(out, 64, "%s", v);
    free(v);
}

static void tables_empty(void)
{
    /* DELETE, not TRUNCATE: truncating 47 partitions costs ~0.3 s each time. */
    assert_int_equal(db_exec(db, "DELETE FROM prices; DELETE FROM splits; DELETE FROM dividends"),
                     AS_OK);
}

static struct http_opts fast_http(void)
{
    struct http_opts h = http_opts_default();
    h.host_interval_ms = 0;
    h.connect_timeout_ms = 1000;
    h.total_timeout_ms = 1000; /* the "slow" fault answers after 3 s */
    h.low_speed_time_s = 1;
    h.max_attempts = 3;
    h.backoff_base_ms = 20;
    h.backoff_max_ms = 2000;
    return h;
}

/* Ingest NVDA and AAPL from the fault server; NVDA suffers `mode` for the
 * first n requests (-1: always). */
static as_err run_yahoo(const char *mode, int n, struct ingest_report *rep)
{
    static const char *tickers[] = {"NVDA", "AAPL"};
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "http://127.0.0.1:%d/t%d/%s/%d/NVDA/yahoo_chart_{ticker}.json",
             port, ++tag_seq, mode, n);
    struct ingest_prices_opts o = {.source = PRICE_SRC_YAHOO, .tickers = tickers, .ntickers = 2,
                                   .url_template = tmpl, .http = fast_http()};
    return ingest_prices(db, &o, rep);
}

static int group_setup(void **state)
{
    (void)state;
    int rc = testdb_create(conninfo, sizeof conninfo, "ingest_load");
    if (rc == 0) {
        skip_reason = "AS_TEST_DB is not set (run through tests/run.sh)";
        return 0;
    }
    if (rc < 0 || db_connect(&db, conninfo, DB_CONNECT_NO_START) != AS_OK) {
        fprintf(stderr, "cannot set up the test database: %s\n", as_last_error());
        return -1;
    }
    server = faultserver_start(&port);
    if (server < 0)
        return -1;
    /* The references: a clean run, and the same without NVDA. */
    struct ingest_report rep;
    tables_empty();
    if (run_yahoo("ok", 0, &rep) != AS_OK) {
        fprintf(stderr, "clean run failed: %s\n", as_last_error());
        return -1;
    }
    ingest_report_free(&rep);
    snapshot(clean_md5);
    db_exec(db, "DELETE FROM prices WHERE ticker = 'NVDA'; DELETE FROM splits WHERE ticker = "
                "'NVDA'");
    snapshot(aapl_only_md5);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    faultserver_stop(server);
    if (db)
        db_close(db);
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

#define NEED_DB()                                          \
    do {                                                   \
        if (skip_reason) {                                 \
            fprintf(stderr, "skipped: %s\n", skip_reason); \
            skip();                                        \
        }                                                  \
    } while (0)

static void test_clean_run_twice_changes_nothing(void **state)
{
    (void)state;
    NEED_DB();
    struct ingest_report rep;
    tables_empty();
    assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
    assert_int_equal(rep.nfailed, 0);
    assert_int_equal(rep.targets[0].inserted, 252); /* bars in the NVDA answer */
    assert_int_equal(rep.targets[0].splits, 1);     /* 2021-07-20 4:1 */
    assert_int_equal(rep.targets[1].inserted, 1);
    ingest_report_free(&rep);
    char first[64], second[64];
    snapshot(first);
    assert_string_equal(first, clean_md5);
    /* Values as PostgreSQL prints them (shortest round-trip float8): the
     * split-day bar of the Yahoo answer, rounded per the schema contract;
     * pandas read the same JSON as 18.729999542236328 ... 434687000. */
    char *bar = query_text("SELECT concat_ws(' ', open, high, low, close, adj_close, volume, "
                           "source) FROM prices WHERE ticker = 'NVDA' AND date = '2021-07-20'");
    assert_string_equal(bar, "18.73 18.838 18.164 18.612 18.575544 434687000 yahoo");
    free(bar);
    bar = query_text("SELECT concat_ws(' ', date, close, adj_close) FROM prices WHERE ticker = "
                     "'AAPL'");
    assert_string_equal(bar, "2020-01-02 75.0875 72.716072"); /* adjclose 72.71607208251953 */
    free(bar);
    char *t1 = query_text("SELECT max(ingested_at)::text || count(*) FROM prices");

    assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
    assert_int_equal(rep.targets[0].inserted, 0);
    assert_int_equal(rep.targets[0].updated, 0);
    assert_int_equal(rep.targets[0].unchanged, 252);
    assert_int_equal(rep.targets[0].splits, 0);
    assert_int_equal(rep.targets[1].unchanged, 1);
    ingest_report_free(&rep);
    snapshot(second);
    assert_string_equal(second, first);
    char *t2 = query_text("SELECT max(ingested_at)::text || count(*) FROM prices");
    assert_string_equal(t1, t2); /* ingested_at untouched by an identical re-run */
    free(t1);
    free(t2);
    char *rows = query_text("SELECT string_agg(rows::text, ',' ORDER BY id) FROM (SELECT id, "
                            "rows FROM ingest_runs WHERE status = 'ok' ORDER BY id DESC LIMIT "
                            "2) x");
    assert_string_equal(rows, "0,0");
    free(rows);

    /* A changed value is an update, and only that row's ingested_at moves. */
    assert_int_equal(db_exec(db, "UPDATE prices SET close = 1 WHERE ticker = 'NVDA' AND date = "
                                 "'2021-07-20'"), AS_OK);
    assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
    assert_int_equal(rep.targets[0].updated, 1);
    assert_int_equal(rep.targets[0].unchanged, 251);
    ingest_report_free(&rep);
    snapshot(second);
    assert_string_equal(second, clean_md5);

    /* Some bars stored, some not (a gap inside the range): the staged upsert
     * path, whose counts come from the stored keys. */
    assert_int_equal(db_exec(db, "DELETE FROM prices WHERE ticker = 'NVDA' AND date BETWEEN "
                                 "'2021-07-01' AND '2021-07-31'"), AS_OK);
    char *gap = query_text("SELECT 252 - count(*) FROM prices WHERE ticker = 'NVDA'");
    assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
    assert_int_equal(rep.targets[0].inserted, atoi(gap));
    assert_true(atoi(gap) > 15);
    assert_int_equal(rep.targets[0].updated, 0);
    assert_int_equal(rep.targets[0].unchanged, 252 - atoi(gap));
    free(gap);
    ingest_report_free(&rep);
    snapshot(second);
    assert_string_equal(second, clean_md5);
}

/* A re-run where a fraction of the stored rows differ and some are
 * missing, as after a provider re-adjusts part of a history: of NVDA's 252
 * bars (numbered 1..252 by date), the 25 with number % 10 == 0 get a wrong
 * adj_close and the 25 with number % 10 == 5 are deleted, so the run must
 * insert 25, update 25 and leave 252 - 50 = 202 alone, touch ingested_at
 * of those 50 only, and end equal to the clean run. */
static void test_changed_fraction(void **state)
{
    (void)state;
    NEED_DB();
    struct ingest_report rep;
    tables_empty();
    assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
    ingest_report_free(&rep);
    assert_int_equal(db_exec(db,
                             "UPDATE prices SET ingested_at = '2000-01-01 00:00+00';"
                             "WITH n AS (SELECT date, row_number() OVER (ORDER BY date) AS k "
                             "FROM prices WHERE ticker = 'NVDA') "
                             "UPDATE prices p SET adj_close = p.adj_close * 2 FROM n "
                             "WHERE p.ticker = 'NVDA' AND p.date = n.date AND n.k % 10 = 0;"
                             "WITH n AS (SELECT date, row_number() OVER (ORDER BY date) AS k "
                             "FROM prices WHERE ticker = 'NVDA') "
                             "DELETE FROM prices p USING n "
                             "WHERE p.ticker = 'NVDA' AND p.date = n.date AND n.k % 10 = 5"),
                     AS_OK);
    assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
    assert_int_equal(rep.targets[0].inserted, 25);
    assert_int_equal(rep.targets[0].updated, 25);
    assert_int_equal(rep.targets[0].unchanged, 202);
    assert_int_equal(rep.targets[1].inserted, 0);
    assert_int_equal(rep.targets[1].updated, 0);
    assert_int_equal(rep.targets[1].unchanged, 1);
    ingest_report_free(&rep);
    char now[64];
    snapshot(now);
    assert_string_equal(now, clean_md5);
    char *v = query_text("SELECT count(*) FILTER (WHERE ingested_at > '2000-01-01 00:00+00') "
                         "|| ' ' || count(*) FROM prices WHERE ticker = 'NVDA'");
    assert_string_equal(v, "50 252");
    free(v);
    v = query_text("SELECT rows FROM ingest_runs WHERE target = 'NVDA' ORDER BY id DESC LIMIT 1");
    assert_string_equal(v, "50");
    free(v);
}

/* Stooq through the default URL's {symbol}: NVDA.US and NVDA both fetch
 * Stooq's nvda.us (here a file of that name holding the recorded answer)
 * and both store NVDA, so the second run changes nothing.  January 2025 of
 * the fixture has 20 bars (grep -c ^2025-01); 2025-01-27 closed at 118.42. */
static void test_stooq_symbol_stored_plain(void **state)
{
    (void)state;
    NEED_DB();
    const char *t = getenv("AS_TEST_TMP");
    char dir[1024], path[1100], tmpl[1200];
    snprintf(dir, sizeof dir, "%s/stooq-%d", t && t[0] ? t : "/tmp", (int)getpid());
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/nvda.us.csv", dir);
    size_t len;
    char *body = ingest_fixture_read("stooq_nvda_us_d.csv", &len);
    assert_non_null(body);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(body, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(body);
    snprintf(tmpl, sizeof tmpl, "file://%s/{symbol}.csv", dir);
    tables_empty();
    static const char *given[] = {"NVDA.US", "NVDA"};
    for (int run = 0; run < 2; run++) {
        struct ingest_prices_opts o = {.source = PRICE_SRC_STOOQ, .tickers = given + run,
                                       .ntickers = 1, .from = "2025-01-01", .to = "2025-01-31",
                                       .url_template = tmpl, .http = fast_http()};
        struct ingest_report rep;
        as_err e = ingest_prices(db, &o, &rep);
        if (e)
            fprintf(stderr, "stooq %s: %s\n", given[run], as_last_error());
        assert_int_equal(e, AS_OK);
        assert_string_equal(rep.targets[0].target, "NVDA");
        assert_int_equal(rep.targets[0].inserted, run ? 0 : 20);
        assert_int_equal(rep.targets[0].unchanged, run ? 20 : 0);
        ingest_report_free(&rep);
    }
    char *v = query_text("SELECT string_agg(DISTINCT ticker, ',') || ' ' || count(*) || ' ' || "
                         "max(close) FILTER (WHERE date = '2025-01-27') FROM prices");
    assert_string_equal(v, "NVDA 20 118.42");
    free(v);
    unlink(path);
    rmdir(dir);
}

/* Run `aftershock ARGS...` (AFTERSHOCK_BIN, as tests/run.sh sets it) with
 * stdout and stderr on a pseudo-terminal (pty) or a pipe, collecting up to
 * outlen - 1 bytes of what it prints into out.  *seen_ms: milliseconds
 * after the start at which `needle` first appeared (-1: never); *end_ms:
 * when the program closed its output.  Returns its exit status, -1 when it
 * could not run. */
static int cli_run(const char *const *args, int pty, char *out, size_t outlen,
                   const char *needle, long *seen_ms, long *end_ms)
{
    const char *bin = getenv("AFTERSHOCK_BIN");
    if (!bin || !bin[0])
        bin = "./aftershock";
    const char *argv[32] = {bin};
    size_t n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    int fd = -1, pfd[2] = {-1, -1};
    pid_t pid;
    if (pty) {
        pid = forkpty(&fd, NULL, NULL, NULL);
    } else {
        if (pipe(pfd) != 0)
            return -1;
        pid = fork();
        if (pid == 0) {
            dup2(pfd[1], 1);
            dup2(pfd[1], 2);
            close(pfd[0]);
            close(pfd[1]);
        }
        fd = pfd[0];
    }
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (!pty)
        close(pfd[1]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    size_t len = 0;
    *seen_ms = -1;
    for (;;) {
        char buf[4096];
        ssize_t k = read(fd, buf, sizeof buf); /* a pty reads EIO once the child is gone */
        if (k <= 0)
            break;
        size_t take = (size_t)k < outlen - 1 - len ? (size_t)k : outlen - 1 - len;
        memcpy(out + len, buf, take);
        len += take;
        out[len] = '\0';
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (*seen_ms < 0 && needle && strstr(out, needle))
            *seen_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    *end_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    out[len] = '\0';
    close(fd);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* The progress line moves while answers download: NVDA's answer takes the
 * server 3 s (mode slow), AAPL's comes at once, so on a terminal the line
 * "fetching 1/2, 1 rows" (AAPL's one bar parsed) must show well before the
 * run ends, and the end must come after those 3 s.  Without a terminal
 * nothing of it is printed. */
static void test_progress_during_downloads(void **state)
{
    (void)state;
    NEED_DB();
    char tmpl[256], out[16384];
    tables_empty();
    snprintf(tmpl, sizeof tmpl, "http://127.0.0.1:%d/t%d/slow/1/NVDA/yahoo_chart_{ticker}.json",
             port, ++tag_seq);
    const char *args[] = {"--db", conninfo, "ingest", "prices", "--source", "yahoo",
                          "--base-url", tmpl, "--timeout", "20", "NVDA", "AAPL", NULL};
    long seen, end;
    int rc = cli_run(args, 1, out, sizeof out, "fetching 1/2, 1 rows", &seen, &end);
    if (rc != 0 || seen < 0)
        fprintf(stderr, "exit %d, output:\n%s\n", rc, out);
    assert_int_equal(rc, 0);
    assert_true(seen >= 0);
    assert_true(end >= 2900);       /* NVDA really was the last to arrive */
    assert_true(seen < end - 1000); /* and the line showed while it was awaited */
    assert_non_null(strstr(out, "\r\033[Kaftershock: ingest prices: fetching 1/2, 1 rows, "));
    assert_non_null(strstr(out, "loading 2/2, 253 rows"));
    assert_non_null(strstr(out, "NVDA         yahoo    inserted 252"));

    snprintf(tmpl, sizeof tmpl, "http://127.0.0.1:%d/t%d/ok/0/NVDA/yahoo_chart_{ticker}.json",
             port, ++tag_seq);
    rc = cli_run(args, 0, out, sizeof out, NULL, &seen, &end);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "NVDA         yahoo    inserted 0, updated 0, unchanged 252"));
    assert_null(strstr(out, "fetching"));
    assert_null(strstr(out, "\r"));
}

/* Milliseconds between the second and third requests of `tag` as the
 * fault server saw them arrive (its /_times/TAG answer); -1 when unknown. */
static double arrival_gap_ms(const char *tag)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_times/%s", port, tag);
    struct http_job j = {.url = url, .label = "fault server times"};
    struct http_opts h = fast_http();
    if (http_fetch_all(&j, 1, &h) != AS_OK || j.err) {
        http_job_clear(&j);
        return -1;
    }
    char *p = j.body, *end;
    double t[3];
    int n = 0;
    for (; n < 3; n++, p = end) {
        t[n] = strtod(p, &end);
        if (end == p)
            break;
    }
    double gap = n == 3 ? t[2] - t[1] : -1;
    fprintf(stderr, "%s: requests arrived %.1f ms apart\n", tag, gap);
    http_job_clear(&j);
    return gap;
}

static void test_faults_that_heal(void **state)
{
    (void)state;
    NEED_DB();
    static const struct {
        const char *mode;
        int n;
        int min_ms; /* the wait the server asked for, at least */
    } cases[] = {{"429", 1, 990}, {"429date", 1, 990}, {"500", 1, 0}, {"503", 2, 0},
                 {"slow", 1, 900}, {"reset", 1, 0}, {"truncate", 1, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ingest_report rep;
        tables_empty();
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        as_err e = run_yahoo(cases[i].mode, cases[i].n, &rep);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        if (e != AS_OK)
            fprintf(stderr, "mode %s: %s\n", cases[i].mode, as_last_error());
        assert_int_equal(e, AS_OK);
        assert_int_equal(rep.targets[0].attempts, cases[i].n + 1);
        assert_int_equal(rep.targets[1].attempts, 1);
        /* Retry-After must be honoured although our own backoff is 20 ms:
         * "1" is 1000 ms; the HTTP-date, two seconds ahead in whole seconds,
         * 1000 or 2000 ms by our clock (990: both clocks here count whole
         * milliseconds).  The slow fault must be cut at the 1 s timeout, not
         * wait 3 s. */
        assert_true(ms >= cases[i].min_ms);
        if (strcmp(cases[i].mode, "slow") == 0)
            assert_true(ms < 2900);
        ingest_report_free(&rep);
        char now[64];
        snapshot(now);
        assert_string_equal(now, clean_md5);
    }
}

static void test_gzip_and_host_spacing(void **state)
{
    (void)state;
    NEED_DB();
    /* gzip: curl decodes what it advertised in Accept-Encoding. */
    struct ingest_report rep;
    tables_empty();
    assert_int_equal(run_yahoo("gzip", -1, &rep), AS_OK);
    assert_int_equal(rep.targets[0].attempts, 1);
    ingest_report_free(&rep);
    char now[64];
    snapshot(now);
    assert_string_equal(now, clean_md5);

    /* Per-host spacing, where the server sees it: requests to one host
     * host_interval_ms apart at least.  Three requests for the same file
     * (AAPL's answer, three tickers in the query), measured between the
     * second and the third: those two both travel on the connection the
     * first one opened, so their arrivals trail their starts equally.
     * Less 15 ms for what is left of that (scheduling on a busy machine). */
    static const char *tickers[] = {"A1", "A2", "A3"};
    char tmpl[256], tag[32];
    snprintf(tag, sizeof tag, "t%d", ++tag_seq);
    snprintf(tmpl, sizeof tmpl,
             "http://127.0.0.1:%d/%s/ok/0/-/yahoo_chart_AAPL.json?s={ticker}", port, tag);
    struct ingest_prices_opts o = {.source = PRICE_SRC_YAHOO, .tickers = tickers, .ntickers = 3,
                                   .url_template = tmpl, .http = fast_http()};
    o.http.host_interval_ms = 400;
    assert_int_equal(ingest_prices(db, &o, &rep), AS_OK);
    ingest_report_free(&rep);
    assert_true(arrival_gap_ms(tag) >= 400 - 15);
}

/* The same through `aftershock ingest`: the --host-interval-ms option, and
 * the ingest.host_interval_ms setting (from its environment variable). */
static void test_host_interval_setting(void **state)
{
    (void)state;
    NEED_DB();
    char tmpl[256], tag[32], out[16384];
    long seen, end;
    for (int via_option = 1; via_option >= 0; via_option--) {
        snprintf(tag, sizeof tag, "t%d", ++tag_seq);
        snprintf(tmpl, sizeof tmpl,
                 "http://127.0.0.1:%d/%s/ok/0/-/yahoo_chart_AAPL.json?s={ticker}", port, tag);
        const char *args[] = {"--db", conninfo, "ingest", "prices", "--source", "yahoo",
                              "--base-url", tmpl, "A1", "A2", "A3", NULL, NULL, NULL};
        if (via_option) {
            args[8] = "--host-interval-ms";
            args[9] = "700";
            args[10] = "A1";
            args[11] = "A2";
            args[12] = "A3";
        }
        setenv("AFTERSHOCK_INGEST_HOST_INTERVAL_MS", via_option ? "100" : "600", 1);
        int rc = cli_run(args, 0, out, sizeof out, NULL, &seen, &end);
        unsetenv("AFTERSHOCK_INGEST_HOST_INTERVAL_MS");
        if (rc != 0)
            fprintf(stderr, "exit %d:\n%s\n", rc, out);
        assert_int_equal(rc, 0);
        double gap = arrival_gap_ms(tag);
        assert_true(gap >= (via_option ? 700 : 600) - 15); /* tolerance as above */
        if (via_option)
            assert_true(gap < 100 + 700); /* the option, not the setting, decided */
    }
}

/* `aftershock ingest` with one of two sources failing: the other loads,
 * the failure is printed, and the exit code is 4 (a data source failed). */
static void test_cli_exit_4_when_one_source_fails(void **state)
{
    (void)state;
    NEED_DB();
    tables_empty();
    char tmpl[256], out[16384];
    snprintf(tmpl, sizeof tmpl, "http://127.0.0.1:%d/t%d/500/-1/NVDA/yahoo_chart_{ticker}.json",
             port, ++tag_seq);
    const char *args[] = {"--db", conninfo, "ingest", "prices", "--source", "yahoo",
                          "--base-url", tmpl, "--retries", "1", "--backoff-ms", "10",
                          "--host-interval-ms", "0", "NVDA", "AAPL", NULL};
    long seen, end;
    int rc = cli_run(args, 0, out, sizeof out, NULL, &seen, &end);
    if (rc != 4)
        fprintf(stderr, "exit %d:\n%s\n", rc, out);
    assert_int_equal(rc, 4);
    assert_non_null(strstr(out, "aftershock: error: yahoo NVDA: HTTP 500 (gave up after 2 "
                                "attempts)\n"));
    assert_non_null(strstr(out, "NVDA         yahoo    FAILED\n"));
    assert_non_null(strstr(out, "AAPL         yahoo    inserted 1, updated 0, unchanged 0\n"));
    char *v = query_text("SELECT string_agg(ticker, ',' ORDER BY ticker) FROM prices");
    assert_string_equal(v, "AAPL");
    free(v);
}

/* A Retry-After past the cap is not waited for, nor cut short: the source
 * fails at once and says why; the other source loads. */
static void test_retry_after_cap(void **state)
{
    (void)state;
    NEED_DB();
    static const char *tickers[] = {"NVDA", "AAPL"};
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "http://127.0.0.1:%d/t%d/429long/-1/NVDA/yahoo_chart_{ticker}.json",
             port, ++tag_seq);
    struct ingest_prices_opts o = {.source = PRICE_SRC_YAHOO, .tickers = tickers, .ntickers = 2,
                                   .url_template = tmpl, .http = fast_http()};
    o.http.retry_after_max_ms = 5000;
    struct ingest_report rep;
    tables_empty();
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(ingest_prices(db, &o, &rep), AS_ERR_SOURCE);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    assert_true(ms < 3000); /* neither 3600 s nor the 5 s cap */
    assert_int_equal(rep.targets[0].attempts, 1);
    assert_string_equal(rep.targets[0].error,
                        "yahoo NVDA: HTTP 429 with Retry-After 3600 s, longer than the 5 s "
                        "allowed (--retry-after-max, ingest.retry_after_max); not retried");
    assert_int_equal(rep.targets[1].err, AS_OK);
    assert_int_equal(rep.targets[1].inserted, 1);
    ingest_report_free(&rep);
    char now[64];
    snapshot(now);
    assert_string_equal(now, aapl_only_md5);
}

static void test_faults_that_fail_one_source(void **state)
{
    (void)state;
    NEED_DB();
    static const struct {
        const char *mode;
        const char *error; /* exact text, after "yahoo NVDA: " */
    } cases[] = {
        {"500", "HTTP 500 (gave up after 3 attempts)"},
        {"503", "HTTP 503 (gave up after 3 attempts)"},
        {"html", "offset 0: expected JSON, got an HTML page (title 'Service Unavailable - Zero "
                 "size object')"},
        {"invalid", NULL},
        {"truncate", NULL},
        {"reset", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int populated = 0; populated < 2; populated++) {
            struct ingest_report rep;
            tables_empty();
            if (populated) { /* a failing re-run must not disturb yesterday's rows */
                assert_int_equal(run_yahoo("ok", 0, &rep), AS_OK);
                ingest_report_free(&rep);
            }
            assert_int_equal(run_yahoo(cases[i].mode, -1, &rep), AS_ERR_SOURCE);
            assert_int_equal(rep.nfailed, 1);
            assert_int_not_equal(rep.targets[0].err, AS_OK);
            assert_int_equal(rep.targets[1].err, AS_OK);
            const char *msg = rep.targets[0].error;
            assert_non_null(msg);
            assert_true(strncmp(msg, "yahoo NVDA: ", 12) == 0);
            if (cases[i].error)
                assert_string_equal(msg + 12, cases[i].error);
            else if (strcmp(cases[i].mode, "invalid") == 0)
                assert_non_null(strstr(msg, "invalid JSON"));
            else
                assert_non_null(strstr(msg, "(gave up after 3 attempts)"));
            char now[64];
            snapshot(now);
            assert_string_equal(now, populated ? clean_md5 : aapl_only_md5);
            /* The failure survived the rollback, word for word. */
            char *err = query_text("SELECT status || ': ' || error FROM ingest_runs WHERE "
                                   "target = 'NVDA' ORDER BY id DESC LIMIT 1");
            char want[600];
            snprintf(want, sizeof want, "failed: %s", msg);
            assert_string_equal(err, want);
            free(err);
            ingest_report_free(&rep);
        }
    }
}

static void test_news_feeds_load_once(void **state)
{
    (void)state;
    NEED_DB();
    char *rss = ingest_fixture_path("news/deepseek_rss.xml");
    char *gd = ingest_fixture_path("news/deepseek_gdelt_artlist.json");
    char u1[4200], u2[4200], u3[300];
    snprintf(u1, sizeof u1, "file://%s", rss);
    snprintf(u2, sizeof u2, "file://%s", gd);
    snprintf(u3, sizeof u3, "http://127.0.0.1:%d/n/html/-1/deepseek/news/deepseek_rss.xml", port);
    free(rss);
    free(gd);
    assert_int_equal(db_exec(db, "TRUNCATE news CASCADE"), AS_OK);
    const char *urls[] = {u1, u2, u3};
    struct ingest_news_opts o = {.source = NEWS_SRC_RSS, .urls = urls, .nurls = 1,
                                 .http = fast_http()};
    struct ingest_report rep;
    for (int run = 0; run < 2; run++) {
        assert_int_equal(ingest_news(db, &o, &rep), AS_OK);
        assert_int_equal(rep.targets[0].inserted, run ? 0 : 26);
        assert_int_equal(rep.targets[0].unchanged, run ? 26 : 0);
        assert_int_equal(rep.targets[0].skipped, 1); /* the utm_ duplicate */
        ingest_report_free(&rep);
    }
    /* GDELT's eight are the same articles as eight RSS items: no new rows. */
    o.source = NEWS_SRC_GDELT;
    o.urls = urls + 1;
    assert_int_equal(ingest_news(db, &o, &rep), AS_OK);
    assert_int_equal(rep.targets[0].inserted, 0);
    assert_int_equal(rep.targets[0].unchanged, 8);
    ingest_report_free(&rep);
    /* An HTML page where a feed should be fails that feed alone. */
    o.source = NEWS_SRC_RSS;
    o.urls = urls + 2;
    assert_int_equal(ingest_news(db, &o, &rep), AS_ERR_SOURCE);
    assert_non_null(strstr(rep.targets[0].error, "expected an RSS or Atom feed, got an HTML"));
    ingest_report_free(&rep);
    char *v = query_text("SELECT count(*) || ' ' || (SELECT language || ' ' || published_at AT "
                         "TIME ZONE 'UTC' FROM news WHERE url = "
                         "'http://51haodu.com/t/Q1lISn!YWkVjaQ==') FROM news");
    assert_string_equal(v, "26 zh 2025-01-20 00:00:00");
    free(v);
}

static void test_api_key_never_shown(void **state)
{
    (void)state;
    NEED_DB();
    static const char *tickers[] = {"NVDA"};
    struct ingest_prices_opts o = {
        .source = PRICE_SRC_ALPHAVANTAGE, .tickers = tickers, .ntickers = 1,
        .url_template = "file:///nonexistent-dir/{ticker}-{apikey}.json?apikey={apikey}",
        .apikey = "K3YS3CR3T", .http = fast_http()};
    struct ingest_report rep;
    assert_int_equal(ingest_prices(db, &o, &rep), AS_ERR_SOURCE);
    assert_non_null(rep.targets[0].error);
    assert_null(strstr(rep.targets[0].error, "K3YS3CR3T"));
    assert_null(strstr(as_last_error(), "K3YS3CR3T"));
    ingest_report_free(&rep);
    char *v = query_text("SELECT count(*) FROM ingest_runs WHERE target LIKE '%K3YS3CR3T%' OR "
                         "error LIKE '%K3YS3CR3T%'");
    assert_string_equal(v, "0");
    free(v);
    /* The masked URL keeps the rest, so a reader can still tell which call failed. */
    char *tk = url_mask("file:///d/NVDA-K3YS3CR3T.json?apikey=K3YS3CR3T", "K3YS3CR3T");
    assert_string_equal(tk, "file:///d/NVDA-***.json?apikey=***");
    free(tk);
}

static void test_retry_after_values(void **state)
{
    (void)state;
    /* RFC 9110 10.2.3: delay-seconds or an HTTP-date. */
    assert_int_equal(http_retry_after_ms("120", 0), 120000);
    assert_int_equal(http_retry_after_ms(" 0 ", 0), 0);
    /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 (RFC 9110's example). */
    assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111772), 5000);
    assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111999), 0);
    assert_int_equal(http_retry_after_ms("soon", 0), -1);
    assert_int_equal(http_retry_after_ms("-5", 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after_values),
        cmocka_unit_test(test_clean_run_twice_changes_nothing),
        cmocka_unit_test(test_changed_fraction),
        cmocka_unit_test(test_stooq_symbol_stored_plain),
        cmocka_unit_test(test_faults_that_heal),
        cmocka_unit_test(test_gzip_and_host_spacing),
        cmocka_unit_test(test_progress_during_downloads),
        cmocka_unit_test(test_host_interval_setting),
        cmocka_unit_test(test_cli_exit_4_when_one_source_fails),
        cmocka_unit_test(test_retry_after_cap),
        cmocka_unit_test(test_faults_that_fail_one_source),
        cmocka_unit_test(test_news_feeds_load_once),
        cmocka_unit_test(test_api_key_never_shown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
