/*
 * test_nightly_run.c -- reports/nightly.c against a throwaway database with
 * the bundled demo data: the six steps for a date, twice, give one set of
 * outputs and leave the runs rows and files untouched, and the workbook
 * shows NVDA's day-0 return and the stored summary; a second run is locked
 * out; a failed distribute exits with the step and reason, leaves the other
 * date's outputs alone and resumes at that step; `aftershock nightly` with
 * a broken summary model fails naming the step and the file, and the
 * re-run resumes at summarize; a bad setting (study.model = factor, an
 * empty smtp.to) fails the run with exit 1, not the usage code 2; a run
 * killed (SIGKILL) in the middle of its study step is completed by the
 * next run with no duplicate rows, no broken workbook and no temporary
 * files; a Saturday is skipped; the last session
 * of the data is studied over the windows it has; a day run before its
 * prices were out is redone in full by the next run.  Workbooks are read
 * back by openpyxl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/db.h"
#include "model/distill.h"
#include "reports/event_summary.h"
#include "reports/nightly.h"
#include "reports/report_data.h"
#include "reports/report_workbook.h"
#include "tests/support/demodata.h"
#include "tests/support/testdb.h"
#include "tests/support/xlsxread.h"

static char conninfo[4096];
static char tmpdir[1024], reports[1200], outbox[1200], price_url[4200], lexicon[4200];
static PGconn *db;
static struct mail_opts outbox_mail;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(conninfo, sizeof conninfo, "test_nightly") <= 0)
        return 0;
    if (db_connect(&db, conninfo, 0) != AS_OK || demodata_load(db) != 0) {
        fprintf(stderr, "setup: %s\n", as_last_error());
        return -1;
    }
    const char *t = getenv("AS_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/nightly-%d", t && t[0] ? t : "/tmp", (int)getpid());
    snprintf(reports, sizeof reports, "%s/reports", tmpdir);
    snprintf(outbox, sizeof outbox, "%s/outbox", tmpdir);
    snprintf(price_url, sizeof price_url, "file://%s", testdb_src_path("data/prices/{ticker}.csv"));
    snprintf(lexicon, sizeof lexicon, "%s", testdb_src_path("data/lexicon"));
    outbox_mail = (struct mail_opts){.from = "aftershock@localhost", .to = "", .starttls = "try",
                                     .attempts = 1, .outbox = outbox};
    return mkdir(tmpdir, 0755);
}

static int teardown(void **state)
{
    (void)state;
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

/* Options for a run on date: the data is loaded already, so the ingest
 * step fetches one ticker (and the market proxy) to stay quick.  No
 * summary model file: the narrator writes the summaries. */
static struct nightly_opts opts(const char *date, const struct mail_opts *mail)
{
    return (struct nightly_opts){
        .date = date, .tickers = "NVDA", .price_source = "csv", .price_url = price_url,
        .news_feeds = "", .securities_file = "", .shares_file = "", .lookback_days = 30,
        .report_dir = reports, .mail = mail, .command_line = "test", .version = "test",
        .lexicon_dir = lexicon, .model_path = "/nonexistent/aftershock-summary.gguf",
    };
}

/* The runs rows of date as one string, xmin included: any rewrite of a row
 * changes its xmin even when the values are the same. */
static char *runs_snapshot(const char *date)
{
    PGresult *r;
    const char *p[] = {date};
    if (db_query(db, &r,
                 "SELECT string_agg(concat_ws('|', xmin, step, status, attempts, started_at, "
                 "finished_at, rows, detail, error), E'\\n' ORDER BY seq) FROM runs "
                 "WHERE run_date = $1::date",
                 1, p) != AS_OK)
        return strdup("(query failed)");
    char *s = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

static long long count_of(const char *sql, const char *date)
{
    PGresult *r;
    const char *p[] = {date};
    if (db_query(db, &r, sql, date ? 1 : 0, date ? p : NULL) != AS_OK)
        return -1;
    long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

/* Files in dir whose name contains needle. */
static int files_matching(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, needle))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void stat_or_fail(const char *path, struct stat *st)
{
    if (stat(path, st) != 0)
        fail_msg("missing '%s'", path);
}

static void test_same_date_twice(void **state)
{
    (void)state;
    NEED_DB();
    struct nightly_opts o = opts("2025-01-27", &outbox_mail);
    struct nightly_result r;
    as_err e = nightly_run(db, &o, &r);
    if (e)
        fail_msg("nightly_run: %s", as_last_error());
    assert_int_equal(r.steps_run, 6);
    char *before = runs_snapshot("2025-01-27");
    struct stat book1, mail1;
    char msg[1400];
    snprintf(msg, sizeof msg, "%s/aftershock-2025-01-27.txt", outbox);
    stat_or_fail(r.workbook, &book1);
    stat_or_fail(msg, &mail1);

    assert_int_equal(nightly_run(db, &o, &r), AS_OK);
    assert_int_equal(r.steps_run, 0);
    assert_int_equal(r.steps_skipped, 6);
    char *after = runs_snapshot("2025-01-27");
    assert_string_equal(before, after);
    struct stat book2, mail2;
    stat_or_fail(r.workbook, &book2);
    stat_or_fail(msg, &mail2);
    assert_true(book1.st_ino == book2.st_ino && book1.st_mtime == book2.st_mtime);
    assert_true(mail1.st_ino == mail2.st_ino && mail1.st_mtime == mail2.st_mtime);
    assert_int_equal(files_matching(outbox, "2025-01-27"), 2); /* .txt and .xlsx */
    /* The subject is the event's top-scoring story (ties: the most relevant
     * to a stock, then the earliest), not its first one. */
    PGresult *top;
    assert_int_equal(db_query(db, &top, "SELECT title FROM v_event_stories v WHERE event_session = "
                                        "'2025-01-27' ORDER BY score DESC, (SELECT "
                                        "max(t.relevance) FROM announcement_tickers t WHERE "
                                        "t.news_id = v.news_id) DESC NULLS LAST, published_at, "
                                        "rank LIMIT 1", 0, NULL),
                     AS_OK);
    char want[1200], line[1200] = "";
    snprintf(want, sizeof want, "Subject: Aftershock 2025-01-27: %s\n", PQgetvalue(top, 0, 0));
    PQclear(top);
    FILE *mf = fopen(msg, "r");
    assert_non_null(mf);
    while (fgets(line, sizeof line, mf) && strncmp(line, "Subject: ", 9) != 0)
        ;
    fclose(mf);
    assert_string_equal(line, want);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date", "2025-01-27"), 6);
    /* One study and one summary per stock for the date, however often run. */
    assert_int_equal(count_of("SELECT count(*) FROM studies WHERE event_date = $1::date", "2025-01-27"), 1);
    assert_int_equal(count_of("SELECT count(*) - count(DISTINCT ticker) FROM summaries "
                              "WHERE event_date = $1::date", "2025-01-27"), 0);
    free(before);
    free(after);

    /* The workbook, read back: NVDA's day-0 return is the published
     * 118.42 / 142.62 - 1 = -16.968 % (PUBLISHED_RESULTS.md A3; 1e-5 covers
     * the published rounding of the adjusted closes), and the Summary sheet
     * carries the stored summary text, flagged as the narrator's. */
    if (!xlsx_reader_available()) {
        printf("skip: /usr/bin/python3 with openpyxl is not installed\n");
        skip();
    }
    json_t *doc = xlsx_read(r.workbook, -1);
    assert_non_null(doc);
    int row = xlsx_find_row(doc, "Impact", 0, "NVDA");
    int col = xlsx_find_col(doc, "Impact", 0, "Return day 0");
    assert_true(row > 0 && col >= 0);
    double ret0 = json_number_value(json_object_get(xlsx_cell(doc, "Impact", row, col), "v"));
    assert_true(fabs(ret0 - (118.42 / 142.62 - 1)) < 1e-5);
    assert_string_equal(json_string_value(json_object_get(xlsx_cell(doc, "Summary", 3, 0), "v")),
                        "Narrative (narrator fallback text)");
    PGresult *res;
    assert_int_equal(db_query(db, &res, "SELECT summary FROM summaries WHERE event_date = "
                                        "'2025-01-27' AND ticker = 'VST' AND model = 'narrator'",
                              0, NULL),
                     AS_OK);
    assert_int_equal(PQntuples(res), 1);
    const char *narr = json_string_value(json_object_get(xlsx_cell(doc, "Summary", 4, 0), "v"));
    assert_non_null(narr);
    assert_true(strncmp(narr, PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0))) == 0);
    PQclear(res);
    int flagged = 0;
    for (int i = 20; i < 60; i++) {
        const char *v = json_string_value(json_object_get(xlsx_cell(doc, "Summary", i, 0), "v"));
        flagged |= v && strstr(v, "narrator's fallback") != NULL;
    }
    assert_true(flagged);
    json_decref(doc);
}

static void test_one_run_at_a_time(void **state)
{
    (void)state;
    NEED_DB();
    PGconn *other;
    assert_int_equal(db_connect(&other, conninfo, DB_CONNECT_NO_MIGRATE), AS_OK);
    assert_int_equal(db_lock_try(other, NIGHTLY_LOCK_KEY), AS_OK);
    struct nightly_opts o = opts("2025-01-27", &outbox_mail);
    struct nightly_result r;
    assert_int_equal(nightly_run(db, &o, &r), AS_ERR_LOCKED);
    assert_non_null(strstr(as_last_error(), "another nightly run is in progress"));
    /* Released explicitly: a closed session's locks go only when the
     * server has finished with it, which can lag behind the close. */
    assert_int_equal(db_unlock(other, NIGHTLY_LOCK_KEY), AS_OK);
    db_close(other);
}

static void test_failure_then_resume(void **state)
{
    (void)state;
    NEED_DB();
    char old[1400];
    snprintf(old, sizeof old, "%s/aftershock-2025-01-27.xlsx", reports);
    struct stat st_old1, st_old2;
    stat_or_fail(old, &st_old1);
    /* Nobody listens on port 1 of the loopback. */
    struct mail_opts smtp = {.smtp_url = "smtp://127.0.0.1:1", .from = "a@example.org",
                             .to = "b@example.org", .starttls = "try", .attempts = 1,
                             .timeout_s = 10, .outbox = outbox};
    struct nightly_opts o = opts("2025-01-28", &smtp);
    struct nightly_result r;
    as_err e = nightly_run(db, &o, &r);
    assert_int_equal(e, AS_ERR_MAIL);
    assert_string_equal(r.failed_step, "distribute");
    assert_non_null(strstr(as_last_error(), "nightly 2025-01-28: step 'distribute' failed: mail to"));
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date "
                              "AND status = 'failed' AND step = 'distribute' AND error LIKE 'mail to %'",
                              "2025-01-28"),
                     1);
    /* Yesterday's outputs are untouched. */
    stat_or_fail(old, &st_old2);
    assert_true(st_old1.st_ino == st_old2.st_ino && st_old1.st_mtime == st_old2.st_mtime);

    /* Resume: only distribute runs, now to the outbox. */
    o.mail = &outbox_mail;
    e = nightly_run(db, &o, &r);
    if (e)
        fail_msg("resume: %s", as_last_error());
    assert_int_equal(r.steps_skipped, 5);
    assert_int_equal(r.steps_run, 1);
    assert_int_equal(count_of("SELECT attempts FROM runs WHERE run_date = $1::date AND step = 'distribute'",
                              "2025-01-28"),
                     2);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND status = 'ok'",
                              "2025-01-28"),
                     6);
}

static void test_summaries_by_a_model(void **state)
{
    (void)state;
    NEED_DB();
    /* With a model file the summaries are the model's, guarded, under its
     * name, and the workbook tells them from the narrator's.  A toy
     * distillation (as in test_summary_model.c) stands in for the built-in
     * model; being untrained, it mostly fails the guard, so fallback
     * counts are compared with the rows, not assumed. */
    distill_opts o;
    distill_opts_default(&o);
    o.n_facts = 12;
    o.heldout_pct = 20;
    o.n_eval = 3;
    o.vocab = 400;
    o.model.dim = 16;
    o.model.n_layers = 1;
    o.model.n_heads = 2;
    o.model.ffn_dim = 32;
    o.steps = 3;
    o.warmup = 1;
    o.batch = 2;
    char path[1300];
    snprintf(path, sizeof path, "%s/toy.gguf", tmpdir);
    o.out = path;
    distill_report dr;
    assert_int_equal(distill_run(&dr, &o), AS_OK);
    /* 2025-01-28 has its study from test_failure_then_resume. */
    struct event_summary_result sr;
    as_err e = event_summarize(&sr, db, "2025-01-28", path, 1);
    if (e)
        fail_msg("event_summarize: %s", as_last_error());
    assert_int_equal(sr.n, 15);
    assert_string_not_equal(sr.model, EVENT_SUMMARY_NARRATOR);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) * 1000 + sum(fallback::int) FROM summaries WHERE event_date = $1::date "
             "AND model = '%s' AND teacher = 'narrator' AND attempts BETWEEN 1 AND 2",
             sr.model);
    assert_int_equal(count_of(sql, "2025-01-28"), 15 * 1000 + sr.fallback);

    struct report_opts ro = {.date = "2025-01-28"};
    struct report_data d;
    assert_int_equal(report_data_load(&d, db, &ro), AS_OK);
    assert_string_equal(d.summary_model, sr.model);
    PGresult *r;
    const char *p[] = {sr.model};
    assert_int_equal(db_query(db, &r,
                              "SELECT s.summary, s.fallback FROM summaries s JOIN v_event_impact v "
                              "ON v.ticker = s.ticker AND v.event_date = s.event_date AND v.latest "
                              "WHERE s.event_date = '2025-01-28' AND s.model = $1 "
                              "ORDER BY abs(v.ar_0_0) DESC LIMIT 1",
                              1, p),
                     AS_OK);
    assert_int_equal(PQntuples(r), 1);
    assert_true(strncmp(d.narrative, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0))) == 0);
    if (PQgetvalue(r, 0, 1)[0] == 't')
        assert_true(d.narrative_fallback);
    PQclear(r);
    report_data_free(&d);
}

/* Run the binary with extra environment; returns the exit code, output in
 * out (heap: stdout, then stderr). */
static int cli_run(const char *env, const char *args, char **out)
{
    char cmd[16384];
    const char *bin = getenv("AFTERSHOCK_BIN");
    snprintf(cmd, sizeof cmd,
             "env -u NEWSAPI_KEY AFTERSHOCK_INGEST_TICKERS=NVDA AFTERSHOCK_INGEST_PRICE_SOURCE=csv "
             "AFTERSHOCK_INGEST_PRICE_URL='%s' AFTERSHOCK_INGEST_NEWS_FEEDS= "
             "AFTERSHOCK_INGEST_LOOKBACK_DAYS=30 AFTERSHOCK_REPORT_DIR='%s' "
             "AFTERSHOCK_REPORT_OUTBOX='%s' AFTERSHOCK_LEXICON='%s' %s '%s' -q --db '%s' %s 2>&1",
             price_url, reports, outbox, lexicon, env, bin ? bin : "./aftershock", conninfo, args);
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

static void test_failed_step_resumes_cli(void **state)
{
    (void)state;
    NEED_DB();
    /* A model file that is not a GGUF: summarize fails, naming itself and
     * the file; report and distribute do not run. */
    char bad[1300], env[1400], *out;
    snprintf(bad, sizeof bad, "%s/broken.gguf", tmpdir);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("not a model", f);
    fclose(f);
    snprintf(env, sizeof env, "AFTERSHOCK_MODEL_FILE='%s'", bad);
    int rc = cli_run(env, "nightly --date 2025-01-30", &out);
    if (rc != 1 || !strstr(out, "aftershock: error: nightly 2025-01-30: step 'summarize' failed: ") ||
        !strstr(out, "broken.gguf"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND status = 'ok'",
                              "2025-01-30"),
                     3);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND "
                              "step = 'summarize' AND status = 'failed' AND error LIKE '%broken.gguf%'",
                              "2025-01-30"),
                     1);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND "
                              "step IN ('report', 'distribute')", "2025-01-30"),
                     0);
    assert_int_equal(files_matching(reports, "2025-01-30"), 0);

    /* Without the broken file the re-run starts at summarize and prints the
     * workbook's path. */
    snprintf(env, sizeof env, "AFTERSHOCK_MODEL_FILE='%s/none.gguf'", tmpdir);
    rc = cli_run(env, "nightly --date 2025-01-30", &out);
    char book[1400];
    snprintf(book, sizeof book, "%s/aftershock-2025-01-30.xlsx\n", reports);
    if (rc != 0 || strcmp(out, book) != 0)
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND status = 'ok'",
                              "2025-01-30"),
                     6);
    assert_int_equal(count_of("SELECT attempts FROM runs WHERE run_date = $1::date AND step = 'summarize'",
                              "2025-01-30"),
                     2);
    assert_int_equal(count_of("SELECT max(attempts) FROM runs WHERE run_date = $1::date AND "
                              "step IN ('ingest', 'detect', 'study')", "2025-01-30"),
                     1);
}

static void test_bad_setting_exits_1(void **state)
{
    (void)state;
    NEED_DB();
    /* A setting a step cannot use fails the run: exit 1 with the step and
     * the setting, not 2 (usage), since the command line is fine.  First
     * the study step (no factor series in the database)... */
    char *out;
    int rc = cli_run("AFTERSHOCK_STUDY_MODEL=factor", "nightly --date 2025-02-04", &out);
    if (rc != 1 || !strstr(out, "aftershock: error: nightly 2025-02-04: step 'study' failed: "
                                "setting study.model (AFTERSHOCK_STUDY_MODEL): 'factor': the "
                                "nightly run supports market, market-adjusted or mean-adjusted"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    /* ... a thin-trading beta the study step cannot parse ... */
    rc = cli_run("AFTERSHOCK_STUDY_BETA=dimson:0", "nightly --date 2025-02-04", &out);
    if (rc != 1 || !strstr(out, "aftershock: error: nightly 2025-02-04: step 'study' failed: "
                                "setting study.beta (AFTERSHOCK_STUDY_BETA): 'dimson:0': "
                                "Dimson's leads and lags K must be 1 to 10 (dimson:K)"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    /* ... then distribute: an SMTP server but no recipient (nothing listens
     * on port 9, and nothing is sent: the recipient check comes first). */
    rc = cli_run("AFTERSHOCK_SMTP_URL=smtp://127.0.0.1:9", "nightly --date 2025-02-04", &out);
    if (rc != 1 || !strstr(out, "aftershock: error: nightly 2025-02-04: step 'distribute' failed: "
                                "smtp.to is empty: no recipient for the report"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND "
                              "status = 'ok'", "2025-02-04"),
                     5);
    /* A bad command line is still a usage error, and the outbox run
     * completes the date. */
    rc = cli_run("", "nightly --date 2025-02-31", &out);
    if (rc != 2 || !strstr(out, "nightly: --date '2025-02-31': expected YYYY-MM-DD"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    rc = cli_run("", "nightly --date 2025-02-04", &out);
    if (rc != 0)
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND "
                              "status = 'ok'", "2025-02-04"),
                     6);
}

static void test_news_key_from_settings(void **state)
{
    (void)state;
    NEED_DB();
    /* A NewsAPI feed whose URL carries {apikey}: here a file:// path with
     * the key as a folder name, so the right key is the only way in. */
    char dir[1300], feed[1500], env[2000], *out;
    snprintf(dir, sizeof dir, "%s/KEY123", tmpdir);
    assert_int_equal(mkdir(dir, 0755), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/feed.json'",
             testdb_src_path("data/news/deepseek-2025-01.json"), dir);
    assert_int_equal(system(cmd), 0);
    snprintf(feed, sizeof feed, "newsapi file://%s/{apikey}/feed.json", tmpdir);

    snprintf(env, sizeof env, "AFTERSHOCK_INGEST_NEWS_FEEDS='%s'", feed);
    int rc = cli_run(env, "nightly --date 2025-01-31", &out);
    if (rc == 0 || !strstr(out, "nightly 2025-01-31: step 'ingest' failed: news URL 1 needs an "
                                "API key"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);

    snprintf(env, sizeof env, "AFTERSHOCK_INGEST_NEWS_FEEDS='%s' AFTERSHOCK_INGEST_NEWSAPI_KEY=KEY123",
             feed);
    rc = cli_run(env, "nightly --date 2025-01-31", &out);
    if (rc != 0 || strstr(out, "KEY123"))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND status = 'ok' "
                              "AND (detail IS NULL OR detail NOT LIKE '%KEY123%')",
                              "2025-01-31"),
                     6);
    assert_int_equal(count_of("SELECT attempts FROM runs WHERE run_date = $1::date AND step = 'ingest'",
                              "2025-01-31"),
                     2);
}

/* ingest.news_feeds splits at whitespace and at a comma ending a word, never
 * inside a URL (nightly.h); each expectation below is that rule applied by
 * hand. */
static void test_feeds_setting_parse(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int n;
        const char *want; /* "kind url|kind url", or the exact error */
    } cases[] = {
        {"rss file:///a/x.xml json file:///b/y,z.json", 2,
         "rss file:///a/x.xml|json file:///b/y,z.json"},
        {"rss https://e.com/ai.xml, newsapi https://n.org/v2/everything?q=AI&domains=a.com,b.com",
         2, "rss https://e.com/ai.xml|newsapi https://n.org/v2/everything?q=AI&domains=a.com,b.com"},
        {"  gdelt\thttps://g.org/doc?query=x&mode=ArtList ,  atom https://a.org/f,  ", 2,
         "gdelt https://g.org/doc?query=x&mode=ArtList|atom https://a.org/f"},
        {"json https://h/x%2C", 1, "json https://h/x%2C"},
        {"", 0, ""},
        {"rss", -1, "setting ingest.news_feeds: source 'rss' has no URL"},
        {"rss https://a/x,json https://b/y", -1,
         "setting ingest.news_feeds: unknown source 'https://b/y' (expected `source URL` pairs: "
         "rss, atom, gdelt, newsapi, json)"},
        {"web https://a/x", -1,
         "setting ingest.news_feeds: unknown source 'web' (expected `source URL` pairs: rss, "
         "atom, gdelt, newsapi, json)"},
        {"rss a rss b rss c", -1, "setting ingest.news_feeds: more than 2 feeds"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[512], got[1024] = "";
        snprintf(buf, sizeof buf, "%s", cases[i].value);
        const char *kinds[2], *urls[2];
        int n = -2;
        as_err e = nightly_feeds_parse(buf, kinds, urls, 2, &n);
        if (cases[i].n < 0) {
            assert_int_equal(e, AS_ERR_USAGE);
            assert_string_equal(as_last_error(), cases[i].want);
            continue;
        }
        assert_int_equal(e, AS_OK);
        assert_int_equal(n, cases[i].n);
        for (int k = 0; k < n; k++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%s%s %s", k ? "|" : "", kinds[k], urls[k]);
        }
        assert_string_equal(got, cases[i].want);
    }
}

/* The nightly run loads a feed whose URL holds a comma: the bundled news
 * under file names with commas, given in both forms the setting allows. */
static void test_feed_url_with_comma(void **state)
{
    (void)state;
    NEED_DB();
    char cmd[4096], feeds[2600];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/deep,seek.rss' && cp '%s' '%s/deep,seek.json'",
             testdb_src_path("data/news/deepseek-2025-01.rss"), tmpdir,
             testdb_src_path("data/news/deepseek-2025-01.json"), tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(feeds, sizeof feeds, "rss file://%s/deep,seek.rss, json file://%s/deep,seek.json",
             tmpdir, tmpdir);
    struct nightly_opts o = opts("2025-01-24", &outbox_mail);
    o.news_feeds = feeds;
    struct nightly_result r;
    if (nightly_run(db, &o, &r) != AS_OK)
        fail_msg("nightly_run: %s", as_last_error());
    char sql[3000];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM ingest_runs WHERE kind = 'news' AND status = 'ok' AND "
             "target IN ('file://%s/deep,seek.rss', 'file://%s/deep,seek.json')",
             tmpdir, tmpdir);
    assert_int_equal(count_of(sql, NULL), 2);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND step = "
                              "'ingest' AND status = 'ok' AND detail LIKE '%news: 2 feeds%'",
                              "2025-01-24"),
                     1);
}

static void test_killed_then_rerun(void **state)
{
    (void)state;
    NEED_DB();
    /* Hold a lock the study step needs (it reads shares_outstanding), so
     * the child is reliably inside that step when it is killed. */
    PGconn *blocker;
    assert_int_equal(db_connect(&blocker, conninfo, DB_CONNECT_NO_MIGRATE), AS_OK);
    assert_int_equal(db_exec(blocker, "BEGIN; LOCK TABLE shares_outstanding IN ACCESS EXCLUSIVE MODE"),
                     AS_OK);
    pid_t pid = fork();
    if (pid == 0) {
        PGconn *c;
        if (db_connect(&c, conninfo, DB_CONNECT_NO_MIGRATE) != AS_OK)
            _exit(2);
        struct nightly_opts o = opts("2025-01-29", &outbox_mail);
        struct nightly_result r;
        nightly_run(c, &o, &r);
        _exit(1); /* never reached while the blocker holds the lock */
    }
    int running = 0;
    for (int i = 0; i < 3000 && !running; i++) {
        running = count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND step = 'study' "
                           "AND status = 'running'",
                           "2025-01-29") == 1;
        if (!running) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(running);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    db_exec(blocker, "ROLLBACK");
    db_close(blocker);
    /* The killed client's server session holds the run lock until it
     * notices the closed socket, which it does once its blocked query
     * proceeds; wait for that, as an operator re-running by hand would. */
    int held = 1;
    for (int i = 0; i < 1000 && held; i++) {
        held = count_of("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", NULL) > 0;
        if (held) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    assert_false(held);

    char book[1400], stale[1400];
    snprintf(book, sizeof book, "%s/aftershock-2025-01-29.xlsx", reports);
    assert_int_not_equal(access(book, F_OK), 0); /* no half-written workbook */
    /* What a writer killed mid-file leaves: its temporary file. */
    snprintf(stale, sizeof stale, "%s/.aftershock-2025-01-29.xlsx.tmp-%d", reports, (int)pid);
    FILE *f = fopen(stale, "w");
    assert_non_null(f);
    fputs("PK half a zip", f);
    fclose(f);

    struct nightly_opts o = opts("2025-01-29", &outbox_mail);
    struct nightly_result r;
    as_err e = nightly_run(db, &o, &r);
    if (e)
        fail_msg("rerun: %s", as_last_error());
    assert_int_equal(r.steps_skipped, 2); /* ingest and detect finished before the kill */
    assert_int_equal(r.steps_run, 4);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date", "2025-01-29"), 6);
    assert_int_equal(count_of("SELECT attempts FROM runs WHERE run_date = $1::date AND step = 'study'",
                              "2025-01-29"),
                     2);
    /* No duplicate rows anywhere the run wrote. */
    assert_int_equal(count_of("SELECT count(*) - count(DISTINCT (ticker, date)) FROM prices", NULL), 0);
    assert_int_equal(count_of("SELECT count(*) - count(DISTINCT url) FROM news", NULL), 0);
    assert_int_equal(count_of("SELECT count(*) FROM studies WHERE event_date = $1::date", "2025-01-29"), 1);
    assert_int_equal(count_of("SELECT count(*) - count(DISTINCT ticker) FROM summaries "
                              "WHERE event_date = $1::date", "2025-01-29"), 0);
    assert_int_equal(files_matching(reports, ".tmp-"), 0);
    assert_int_equal(files_matching(outbox, ".tmp-"), 0);
    assert_int_equal(files_matching(outbox, "2025-01-29"), 2);
    if (!xlsx_reader_available()) {
        printf("skip: /usr/bin/python3 with openpyxl is not installed\n");
        skip();
    }
    json_t *doc = xlsx_read(book, 2);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "sheets")), 7);
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "sheets"), 0)),
                        report_sheet_names[0]);
    json_decref(doc);
}

static void test_saturday_skipped(void **state)
{
    (void)state;
    NEED_DB();
    struct nightly_opts o = opts("2025-01-25", &outbox_mail);
    struct nightly_result r;
    as_err e = nightly_run(db, &o, &r);
    if (e)
        fail_msg("nightly_run: %s", as_last_error());
    assert_string_equal(r.workbook, "");
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND step IN "
                              "('study', 'summarize', 'report') AND status = 'skipped' "
                              "AND detail LIKE 'no price of SPY on 2025-01-25%'",
                              "2025-01-25"),
                     3);
    assert_int_equal(count_of("SELECT count(*) FROM studies WHERE event_date = $1::date", "2025-01-25"), 0);
    assert_int_equal(files_matching(outbox, "2025-01-25"), 0);
}

static void test_latest_session(void **state)
{
    (void)state;
    NEED_DB();
    /* The last day of the bundled prices has no session after it: only
     * the [0,0] window can be studied, the others are named, and the
     * workbook says so. */
    struct nightly_opts o = opts("2025-06-30", &outbox_mail);
    struct nightly_result r;
    as_err e = nightly_run(db, &o, &r);
    if (e)
        fail_msg("nightly_run: %s", as_last_error());
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND step = 'study' "
                              "AND status = 'ok' AND detail LIKE '%15 with results; windows without "
                              "data yet: [-1,1] [-5,5] [0,10]'",
                              "2025-06-30"),
                     1);
    assert_int_equal(count_of("SELECT count(*) FROM study_firm_windows w JOIN studies s ON s.id = "
                              "w.study_id WHERE s.event_date = $1::date AND w.car IS NOT NULL",
                              "2025-06-30"),
                     15);
    if (!xlsx_reader_available()) {
        printf("skip: /usr/bin/python3 with openpyxl is not installed\n");
        skip();
    }
    json_t *doc = xlsx_read(r.workbook, -1);
    assert_non_null(doc);
    int flagged = 0;
    for (int i = 20; i < 60; i++) {
        const char *v = json_string_value(json_object_get(xlsx_cell(doc, "Summary", i, 0), "v"));
        flagged += v && strncmp(v, "Window [", 8) == 0 && strstr(v, "is not in the stored study");
    }
    assert_int_equal(flagged, 3);
    json_decref(doc);
}

/* Copy the bundled prices of ticker up to (not including) date into dir. */
static void prices_until(const char *dir, const char *ticker, const char *date)
{
    char src[1200], dst[1400], line[512];
    snprintf(src, sizeof src, "%s/%s.csv", testdb_src_path("data/prices"), ticker);
    snprintf(dst, sizeof dst, "%s/%s.csv", dir, ticker);
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    int first = 1;
    while (fgets(line, sizeof line, in))
        if (first-- > 0 || strncmp(line, date, 10) < 0)
            fputs(line, out);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_not_published_yet(void **state)
{
    (void)state;
    NEED_DB();
    /* Monday 2025-02-03 as a run in its morning sees it: no prices from
     * that day on (the bundled files cut there).  Runs last: it removes
     * the later prices from the shared database. */
    assert_int_equal(db_exec(db, "DELETE FROM prices WHERE date >= '2025-02-03'"), AS_OK);
    char early[1200], early_url[1300];
    snprintf(early, sizeof early, "%s/early", tmpdir);
    assert_int_equal(mkdir(early, 0755), 0);
    prices_until(early, "NVDA", "2025-02-03");
    prices_until(early, "SPY", "2025-02-03");
    snprintf(early_url, sizeof early_url, "file://%s/{ticker}.csv", early);
    struct nightly_opts o = opts("2025-02-03", &outbox_mail);
    o.price_url = early_url;
    struct nightly_result r;
    assert_int_equal(nightly_run(db, &o, &r), AS_OK);
    assert_string_equal(r.workbook, "");
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND status = 'skipped'",
                              "2025-02-03"),
                     3);
    assert_int_equal(files_matching(reports, "2025-02-03"), 0);

    /* The evening run: the day's prices are out.  The skipped date is not
     * finished (the market has no later session), so every step runs
     * again, ingest included, and the day is reported. */
    o.price_url = price_url;
    as_err e = nightly_run(db, &o, &r);
    if (e)
        fail_msg("evening run: %s", as_last_error());
    assert_int_equal(r.steps_run, 6);
    assert_int_equal(count_of("SELECT count(*) FROM runs WHERE run_date = $1::date AND status = 'ok'",
                              "2025-02-03"),
                     6);
    assert_int_equal(count_of("SELECT attempts FROM runs WHERE run_date = $1::date AND step = 'ingest'",
                              "2025-02-03"),
                     2);
    assert_int_equal(files_matching(reports, "aftershock-2025-02-03.xlsx"), 1);

    /* Now it is finished: a re-run changes nothing. */
    char *before = runs_snapshot("2025-02-03");
    assert_int_equal(nightly_run(db, &o, &r), AS_OK);
    assert_int_equal(r.steps_run, 0);
    char *after = runs_snapshot("2025-02-03");
    assert_string_equal(before, after);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_date_twice),
        cmocka_unit_test(test_one_run_at_a_time),
        cmocka_unit_test(test_failure_then_resume),
        cmocka_unit_test(test_summaries_by_a_model),
        cmocka_unit_test(test_failed_step_resumes_cli),
        cmocka_unit_test(test_bad_setting_exits_1),
        cmocka_unit_test(test_news_key_from_settings),
        cmocka_unit_test(test_feeds_setting_parse),
        cmocka_unit_test(test_feed_url_with_comma),
        cmocka_unit_test(test_killed_then_rerun),
        cmocka_unit_test(test_saturday_skipped),
        cmocka_unit_test(test_latest_session),
        cmocka_unit_test(test_not_published_yet), /* last: deletes prices */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
