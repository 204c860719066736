/*
 * nightly.c -- the nightly pipeline and its log in `runs` (see nightly.h).
 *
 * Owns: the advisory lock for the length of nightly_run(), the runs rows of
 * its date, and the per-date outputs (report.dir/aftershock-DATE.xlsx and
 * .txt, the summary the distribute step mails).  The work of each step is
 * the engine's own: events_detect(), study_run_db(), event_summarize(),
 * report_data_load() + report_workbook_write(), mail_send().  Each step is
 * one function taking the run's context; step_run() wraps it with the
 * bookkeeping: skip when done, mark running (committed at once, so a crash
 * leaves the row saying so), then ok/skipped/failed with rows, detail and
 * the error.
 *
 * Why the summary text is a file: a re-run that resumes at distribute has
 * nothing in memory from the report step of the earlier run.
 */
#include "reports/nightly.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/calendar.h"
#include "analytics/events.h"
#include "analytics/study_db.h"
#include "common/config.h"
#include "common/db.h"
#include "common/pgcluster.h"
#include "ingest/ingest.h"
#include "ingest/reference.h"
#include "reports/event_summary.h"
#include "reports/outfile.h"
#include "reports/report_data.h"
#include "reports/report_workbook.h"

#define MAX_TICKERS 256
#define MAX_FEEDS 32

struct run {
    PGconn *db;
    const struct nightly_opts *o;
    struct nightly_result *r;
    char report_dir[4096];
    char summary[4200];   /* report_dir/aftershock-DATE.txt */
    const char *market;
    int no_session;       /* the market has no price on the date */
    int redo;             /* run every step again: see date_pending() */
    long long rows;       /* set by a step for its runs row */
    char detail[4200];
};

typedef as_err (*step_fn)(struct run *run);

static const char *opt_or(const char *v, const char *key)
{
    return v ? v : config_get(key);
}

static void progress(struct run *run, const char *step, const char *what, const char *detail)
{
    if (run->o->progress)
        run->o->progress(run->o->progress_arg, step, what, detail);
}

/* ---- ingest ------------------------------------------------------------ */

/* Split s at spaces and commas into out (pointers into buf). */
static int words_split(char *buf, const char **out, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " ,\t", &save); t && n < max; t = strtok_r(NULL, " ,\t", &save))
        out[n++] = t;
    return n;
}

as_err nightly_feeds_parse(char *buf, const char **kinds, const char **urls, int max, int *n)
{
    *n = 0;
    int k = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        size_t len = strlen(w);
        while (len && w[len - 1] == ',')
            w[--len] = '\0';
        if (!len) /* a comma standing alone */
            continue;
        if (k % 2 == 0) {
            if (news_source_from_name(w) < 0)
                return as_fail(AS_ERR_USAGE, "setting ingest.news_feeds: unknown source '%s' "
                               "(expected `source URL` pairs: rss, atom, gdelt, newsapi, json)",
                               w);
            if (k / 2 >= max)
                return as_fail(AS_ERR_USAGE, "setting ingest.news_feeds: more than %d feeds",
                               max);
            kinds[k / 2] = w;
        } else {
            urls[k / 2] = w;
        }
        k++;
    }
    if (k % 2)
        return as_fail(AS_ERR_USAGE, "setting ingest.news_feeds: source '%s' has no URL",
                       kinds[k / 2]);
    *n = k / 2;
    return AS_OK;
}

static void report_sum(const struct ingest_report *rep, long long *ins, long long *upd,
                       long long *same, char *failed, size_t flen)
{
    for (size_t i = 0; i < rep->ntargets; i++) {
        const struct ingest_target *t = &rep->targets[i];
        if (t->err) {
            size_t l = strlen(failed);
            snprintf(failed + l, flen - l, "%s%s %s: %s", l ? "; " : "", rep->kind, t->target,
                     t->error ? t->error : as_strerror(t->err));
            continue;
        }
        *ins += t->inserted;
        *upd += t->updated;
        *same += t->unchanged;
    }
}

/* A whole-number setting in [lo, hi]; the error names it and its origin. */
static as_err setting_long(long *out, const char *key, long lo, long hi)
{
    const char *s = config_get(key);
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || errno || v < lo || v > hi)
        return as_fail(AS_ERR_USAGE, "setting %s (%s): '%s' is not a whole number from %ld to %ld",
                       key, config_origin(key), s, lo, hi);
    *out = v;
    return AS_OK;
}

/* The ingest.* transfer settings, as `aftershock ingest` applies them. */
static as_err http_from_settings(struct http_opts *h)
{
    long concurrency, timeout, retries, interval, retry_after_max;
    as_err e;
    if ((e = setting_long(&concurrency, "ingest.concurrency", 1, 64)) ||
        (e = setting_long(&timeout, "ingest.timeout", 1, 3600)) ||
        (e = setting_long(&retries, "ingest.retries", 0, 20)) ||
        (e = setting_long(&interval, "ingest.host_interval_ms", 0, 600000)) ||
        (e = setting_long(&retry_after_max, "ingest.retry_after_max", 0, 86400)))
        return e;
    *h = http_opts_default();
    h->max_parallel = (int)concurrency;
    h->total_timeout_ms = timeout * 1000;
    h->max_attempts = (int)retries + 1;
    h->host_interval_ms = interval;
    h->retry_after_max_ms = retry_after_max * 1000;
    return AS_OK;
}

static as_err step_ingest(struct run *run)
{
    const struct nightly_opts *o = run->o;
    long long changed, ins = 0, upd = 0, same = 0;
    char failed[2048] = "";
    as_err e;
    const char *sec = opt_or(o->securities_file, "securities.file");
    const char *shares = opt_or(o->shares_file, "securities.shares_file");
    if (sec[0] && (e = reference_load_securities(run->db, sec, &changed)))
        return e;
    if (shares[0] && (e = reference_load_shares(run->db, shares, &changed)))
        return e;

    /* Prices: the configured tickers plus the market proxy, from
     * lookback_days before the date on. */
    char tbuf[4096];
    snprintf(tbuf, sizeof tbuf, "%s %s", opt_or(o->tickers, "ingest.tickers"), run->market);
    const char *tickers[MAX_TICKERS];
    int nt = words_split(tbuf, tickers, MAX_TICKERS);
    int last = nt - 1; /* the market proxy, dropped when already listed */
    for (int i = 0; i < last; i++)
        if (strcmp(tickers[i], tickers[last]) == 0) {
            nt--;
            break;
        }
    long lookback = o->lookback_days;
    if (lookback <= 0 && (e = setting_long(&lookback, "ingest.lookback_days", 1, 100000)))
        return e;
    struct http_opts http;
    if ((e = http_from_settings(&http)))
        return e;
    int day;
    calendar_parse_date(&day, run->r->date);
    char from[11];
    calendar_format_date(from, day - (int)lookback);
    const char *src_name = opt_or(o->price_source, "ingest.price_source");
    int src = price_source_from_name(src_name);
    if (src < 0)
        return as_fail(AS_ERR_USAGE, "setting ingest.price_source: unknown source '%s'", src_name);
    const char *url = opt_or(o->price_url, "ingest.price_url");
    const char *key = src == PRICE_SRC_ALPHAVANTAGE ? config_get("ingest.alphavantage_key")
                      : src == PRICE_SRC_POLYGON    ? config_get("ingest.polygon_key")
                                                    : NULL;
    struct ingest_prices_opts po = {
        .source = (enum price_source)src, .tickers = tickers, .ntickers = (size_t)nt,
        /* Open end: for a past date the days after it feed the event
         * windows that end after day 0. */
        .from = from, .to = NULL, .url_template = url[0] ? url : NULL,
        .apikey = key, .http = http,
    };
    /* Local files need no politeness gap between requests. */
    if (url[0] && strncmp(url, "file://", 7) == 0)
        po.http.host_interval_ms = 0;
    struct ingest_report rep;
    as_err pe = ingest_prices(run->db, &po, &rep);
    report_sum(&rep, &ins, &upd, &same, failed, sizeof failed);
    ingest_report_free(&rep);
    if (pe && pe != AS_ERR_SOURCE)
        return pe;
    long long pins = ins, pupd = upd;

    /* News: "source URL" pairs (nightly_feeds_parse). */
    char fbuf[8192];
    snprintf(fbuf, sizeof fbuf, "%s", opt_or(o->news_feeds, "ingest.news_feeds"));
    const char *kinds[MAX_FEEDS], *furls[MAX_FEEDS];
    int nfeeds;
    if ((e = nightly_feeds_parse(fbuf, kinds, furls, MAX_FEEDS, &nfeeds)))
        return e;
    as_err ne = AS_OK;
    for (int i = 0; i < nfeeds; i++) {
        const char *urls[1] = {furls[i]};
        struct ingest_news_opts no = {.source = (enum news_source)news_source_from_name(kinds[i]),
                                      .urls = urls, .nurls = 1,
                                      .apikey = config_get("ingest.newsapi_key"), .http = http};
        as_err e1 = ingest_news(run->db, &no, &rep);
        report_sum(&rep, &ins, &upd, &same, failed, sizeof failed);
        ingest_report_free(&rep);
        if (e1 && e1 != AS_ERR_SOURCE)
            return e1;
        if (e1)
            ne = e1;
    }
    run->rows = ins + upd;
    snprintf(run->detail, sizeof run->detail,
             "prices: %d tickers from %s, %lld new, %lld changed; news: %d feed%s, %lld new, "
             "%lld changed; %lld rows unchanged",
             nt, from, pins, pupd, nfeeds, nfeeds == 1 ? "" : "s", ins - pins, upd - pupd, same);
    if (pe || ne)
        return as_fail(AS_ERR_SOURCE, "%s", failed);
    return AS_OK;
}

/* ---- the trading session ----------------------------------------------- */

/* Sets run->no_session (and the detail saying why) when the market proxy
 * has no price on the date: a holiday, a weekend, or not published yet.
 * The steps from study on are then 'skipped', not failed. */
static as_err session_check(struct run *run)
{
    PGresult *res;
    const char *p[] = {run->market, run->r->date};
    as_err e = db_query(run->db, &res, "SELECT 1 FROM prices WHERE ticker = $1 AND date = $2::date",
                        2, p);
    if (e)
        return e;
    run->no_session = PQntuples(res) == 0;
    PQclear(res);
    if (run->no_session)
        snprintf(run->detail, sizeof run->detail,
                 "no price of %s on %s: not a trading day, or not published yet", run->market,
                 run->r->date);
    return AS_OK;
}

/* ---- detect ------------------------------------------------------------ */

/* Score and cluster the news of the week up to the date; events_detect()
 * widens the range to whole events by itself. */
static as_err step_detect(struct run *run)
{
    lexicon *lex;
    as_err e = lexicon_load(&lex, run->o->lexicon_dir ? run->o->lexicon_dir : "data/lexicon");
    if (e)
        return e;
    int day;
    calendar_parse_date(&day, run->r->date);
    char from[11];
    calendar_format_date(from, day - 7);
    events_options eo = {.market = run->market, .from = from, .to = run->r->date,
                         .threshold = ANNOUNCE_THRESHOLD, .cluster = CLUSTER_PARAMS_DEFAULT};
    events_summary es;
    e = events_detect(&es, run->db, &eo, lex);
    lexicon_free(lex);
    if (e)
        return e;
    run->rows = es.rows_changed;
    snprintf(run->detail, sizeof run->detail,
             "%ld news items from %s scored, %ld announcements, %ld events, %ld rows changed",
             es.n_news, from, es.n_announcements, es.n_events, es.rows_changed);
    return AS_OK;
}

/* ---- study ------------------------------------------------------------- */

/* The study settings (study.*) into cfg; windows that end after the
 * sessions there are data for are dropped (the latest date has none after
 * it) and listed in dropped. */
static as_err study_config(estudy_config *cfg, int days_after, char *dropped, size_t dlen)
{
    estudy_config_default(cfg);
    const char *model = config_get("study.model");
    if (strcmp(model, "market") == 0)
        cfg->model = ESTUDY_MODEL_MARKET;
    else if (strcmp(model, "market-adjusted") == 0)
        cfg->model = ESTUDY_MODEL_MARKET_ADJUSTED;
    else if (strcmp(model, "mean-adjusted") == 0)
        cfg->model = ESTUDY_MODEL_MEAN_ADJUSTED;
    else
        return as_fail(AS_ERR_USAGE, "setting study.model (%s): '%s': the nightly run supports "
                                     "market, market-adjusted or mean-adjusted",
                       config_origin("study.model"), model);
    const char *ret = config_get("study.returns");
    if (strcmp(ret, "simple") != 0 && strcmp(ret, "log") != 0)
        return as_fail(AS_ERR_USAGE, "setting study.returns (%s): '%s' is not simple or log",
                       config_origin("study.returns"), ret);
    cfg->log_returns = strcmp(ret, "log") == 0;
    char opt[320];
    snprintf(opt, sizeof opt, "setting study.beta (%s)", config_origin("study.beta"));
    as_err e = estudy_beta_parse(cfg, opt, config_get("study.beta"));
    if (e)
        return e;
    if (cfg->beta != ESTUDY_BETA_OLS && cfg->model != ESTUDY_MODEL_MARKET)
        return as_fail(AS_ERR_USAGE, "%s: '%s' is a market-model option; study.model is '%s'",
                       opt, config_get("study.beta"), model);
    estudy_window est;
    if ((e = estudy_window_parse(&est, "study.estimation", config_get("study.estimation"))))
        return e;
    cfg->est_start = est.start;
    cfg->est_end = est.end;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", config_get("study.windows"));
    cfg->nwindows = 0;
    dropped[0] = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        estudy_window w;
        if ((e = estudy_window_parse(&w, "study.windows", tok)))
            return e;
        if (w.end > days_after) {
            size_t l = strlen(dropped);
            snprintf(dropped + l, dlen - l, "%s[%d,%d]", l ? " " : "", w.start, w.end);
            continue;
        }
        if (cfg->nwindows == ESTUDY_MAX_WINDOWS)
            return as_fail(AS_ERR_USAGE, "setting study.windows: at most %d windows",
                           ESTUDY_MAX_WINDOWS);
        cfg->windows[cfg->nwindows++] = w;
    }
    if (cfg->nwindows == 0)
        return as_fail(AS_ERR_USAGE, "setting study.windows (%s): no window ends by day %d, "
                                     "the last with data", config_origin("study.windows"),
                       days_after);
    return AS_OK;
}

static as_err step_study(struct run *run)
{
    as_err e = session_check(run);
    if (e || run->no_session)
        return e;
    /* Sessions of the market after the date, up to the path's 10. */
    PGresult *res;
    const char *p[] = {run->market, run->r->date};
    if ((e = db_query(run->db, &res,
                      "SELECT count(*) FROM (SELECT 1 FROM prices WHERE ticker = $1 "
                      "AND date > $2::date ORDER BY date LIMIT 10) s",
                      2, p)))
        return e;
    int days_after = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    char dropped[256];
    study_db_opts so = {.event_date = run->r->date, .all = 1, .market = run->market};
    if ((e = study_config(&so.cfg, days_after, dropped, sizeof dropped)))
        return e;
    study_db_run sr;
    if ((e = study_run_db(&sr, run->db, &so)))
        return e;
    int ok = 0;
    for (int i = 0; i < sr.nevents; i++)
        ok += sr.res.firm[i].status == ESTUDY_OK;
    run->rows = sr.nevents;
    snprintf(run->detail, sizeof run->detail, "study %lld: %d firms, %d with results%s%s",
             sr.study_id, sr.nevents, ok, dropped[0] ? "; windows without data yet: " : "",
             dropped);
    study_db_run_free(&sr);
    return AS_OK;
}

/* ---- summarize --------------------------------------------------------- */

static as_err step_summarize(struct run *run)
{
    as_err e = session_check(run);
    if (e || run->no_session)
        return e;
    const char *model = run->o->model_path;
    if (!model)
        model = config_get("model.file")[0] ? config_get("model.file") : NIGHTLY_MODEL_DEFAULT;
    struct event_summary_result sr;
    int threads = run->o->threads > 0 ? run->o->threads : 2;
    if ((e = event_summarize(&sr, run->db, run->r->date, model, threads)))
        return e;
    run->rows = sr.n;
    if (strcmp(sr.model, EVENT_SUMMARY_NARRATOR) == 0)
        snprintf(run->detail, sizeof run->detail,
                 "%d summaries by the narrator (fallback: no model file '%s')", sr.n, model);
    else
        snprintf(run->detail, sizeof run->detail, "%d summaries by model '%s', %d narrator "
                 "fallbacks", sr.n, sr.model, sr.fallback);
    return AS_OK;
}

/* ---- report ------------------------------------------------------------ */

/* The mail body: the event line, the narrative and the flags. */
static as_err summary_write(const char *path, const struct report_data *d, const char *book)
{
    char tmp[4300];
    as_err e = outfile_tmpname(tmp, sizeof tmp, path);
    if (e)
        return e;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    const char *base = strrchr(book, '/');
    int bad = fprintf(f, "%s\n\n%s%s\n\n", d->title, d->narrative,
                      d->narrative_fallback ? "\n\n(Text written by the narrator, the fallback: "
                                              "see the flags.)"
                                            : "") < 0;
    if (!bad && d->nflags)
        bad = fputs("Flags:\n", f) < 0;
    for (int i = 0; !bad && i < d->nflags; i++)
        bad = fprintf(f, "- %s\n", d->flags[i]) < 0;
    if (!bad)
        bad = fprintf(f, "\nWorkbook: %s\n", base ? base + 1 : book) < 0;
    if (fclose(f) != 0 || bad) {
        e = as_fail(AS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        outfile_discard(tmp);
        return e;
    }
    return outfile_commit(tmp, path);
}

static as_err step_report(struct run *run)
{
    as_err e = session_check(run);
    if (e || run->no_session)
        return e;
    if ((e = outfile_mkdirs(run->report_dir)) || (e = outfile_sweep(run->report_dir, NULL)))
        return e;
    struct report_opts ro = {.date = run->r->date, .command_line = run->o->command_line, .version = run->o->version};
    struct report_data d;
    if ((e = report_data_load(&d, run->db, &ro)))
        return e;
    e = report_workbook_write(run->r->workbook, &d);
    if (!e)
        e = summary_write(run->summary, &d, run->r->workbook);
    run->rows = d.nstocks;
    report_data_free(&d);
    snprintf(run->detail, sizeof run->detail, "%s", run->r->workbook);
    return e;
}

/* ---- distribute -------------------------------------------------------- */

static char *file_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            fwrite(chunk, 1, n, m);
        fclose(m);
    }
    fclose(f);
    return buf;
}

static as_err step_distribute(struct run *run)
{
    struct mail_opts cfg;
    const struct mail_opts *mo = run->o->mail;
    as_err e;
    if (!mo) {
        if ((e = mail_opts_from_config(&cfg)))
            return e;
        mo = &cfg;
    }
    char *body = file_read(run->summary);
    if (!body)
        return as_fail(AS_ERR_IO, "cannot read the report summary '%s': %s (re-run the report "
                                  "step: delete its runs row)", run->summary, strerror(errno));
    /* The subject is a header: its first line of the summary, ASCII only. */
    char subject[200];
    snprintf(subject, sizeof subject, "Aftershock %.*s", (int)strcspn(body, "\n"), body);
    for (char *s = subject; *s; s++)
        if ((unsigned char)*s >= 0x80)
            *s = '?';
    char stem[32];
    snprintf(stem, sizeof stem, "aftershock-%s", run->r->date);
    if (!(mo->smtp_url && mo->smtp_url[0]))
        outfile_sweep(mo->outbox, NULL);
    struct mail_msg msg = {.subject = subject, .body = body, .attachment = run->r->workbook,
                           .stem = stem};
    struct mail_result mr;
    e = mail_send(mo, &msg, &mr);
    free(body);
    run->rows = mr.attempts;
    snprintf(run->r->delivered, sizeof run->r->delivered, "%s", mr.where);
    snprintf(run->detail, sizeof run->detail, "%s", mr.where);
    return e;
}

/* ---- bookkeeping ------------------------------------------------------- */

/* The status of (date, step), or "" when it has no row. */
static as_err step_status(struct run *run, const char *step, char *status, size_t len)
{
    PGresult *res;
    const char *p[] = {run->r->date, step};
    as_err e = db_query(run->db, &res, "SELECT status FROM runs WHERE run_date = $1 AND step = $2",
                        2, p);
    if (e)
        return e;
    snprintf(status, len, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return AS_OK;
}

static as_err step_run(struct run *run, const char *step, int seq, step_fn fn)
{
    char status[16], seqs[8], rows[32];
    as_err e = step_status(run, step, status, sizeof status);
    if (e)
        return e;
    if (!run->redo && (strcmp(status, "ok") == 0 || strcmp(status, "skipped") == 0)) {
        run->r->steps_skipped++;
        progress(run, step, "done before", status);
        return AS_OK;
    }
    snprintf(seqs, sizeof seqs, "%d", seq);
    const char *pb[] = {run->r->date, step, seqs};
    /* Committed at once (no transaction around it): a crash from here on
     * leaves 'running' behind, which the next run treats as not done. */
    if ((e = db_query(run->db, NULL,
                      "INSERT INTO runs (run_date, step, seq, status, started_at) "
                      "VALUES ($1, $2, $3, 'running', clock_timestamp()) "
                      "ON CONFLICT (run_date, step) DO UPDATE SET status = 'running', "
                      "  started_at = clock_timestamp(), finished_at = NULL, rows = NULL, "
                      "  detail = NULL, error = NULL, attempts = runs.attempts + 1",
                      3, pb)))
        return e;
    progress(run, step, "start", NULL);
    run->rows = -1;
    run->detail[0] = '\0';
    run->no_session = 0;
    as_clear_error();
    as_err se = fn(run);
    char error[2048] = "";
    if (se)
        snprintf(error, sizeof error, "%s", as_last_error()[0] ? as_last_error() : as_strerror(se));
    const char *final = se ? "failed" : run->no_session ? "skipped" : "ok";
    snprintf(rows, sizeof rows, "%lld", run->rows);
    const char *pe[] = {run->r->date, step, final, run->rows >= 0 ? rows : NULL,
                        run->detail[0] ? run->detail : NULL, se ? error : NULL};
    e = db_query(run->db, NULL,
                 "UPDATE runs SET status = $3, finished_at = clock_timestamp(), rows = $4, "
                 "  detail = $5, error = $6 WHERE run_date = $1 AND step = $2",
                 6, pe);
    progress(run, step, final, se ? error : run->detail);
    if (se) {
        snprintf(run->r->failed_step, sizeof run->r->failed_step, "%s", step);
        return as_fail(se, "nightly %s: step '%s' failed: %s", run->r->date, step, error);
    }
    run->r->steps_run++;
    return e;
}

/* A date whose steps were skipped for want of a session is finished only
 * when the market has a later session in the database: then it was a
 * holiday.  Until then its prices may just not have been published when it
 * ran (a run in the morning of the day itself), so the next run does every
 * step again -- ingest and detect rewrite only what changed. */
static as_err date_pending(struct run *run, int *pending)
{
    PGresult *res;
    const char *p[] = {run->r->date, run->market};
    as_err e = db_query(run->db, &res,
                        "SELECT EXISTS (SELECT 1 FROM runs WHERE run_date = $1::date "
                        "  AND status = 'skipped') "
                        "AND NOT EXISTS (SELECT 1 FROM prices WHERE ticker = $2 "
                        "  AND date >= $1::date)",
                        2, p);
    if (e)
        return e;
    *pending = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return AS_OK;
}

/* The last weekday on or before today in New York (holidays are found
 * later: the report step skips a date the market has no price for). */
static as_err date_default(char out[11])
{
    struct tm ny;
    as_err e = calendar_ny_local(&ny, time(NULL));
    if (e)
        return e;
    int day = calendar_days_from_civil(ny.tm_year + 1900, ny.tm_mon + 1, ny.tm_mday);
    /* 1970-01-01 was a Thursday: day % 7 == 2 is Saturday, 3 is Sunday. */
    while (((day % 7) + 7) % 7 == 2 || ((day % 7) + 7) % 7 == 3)
        day--;
    calendar_format_date(out, day);
    return AS_OK;
}

int nightly_exit_code(as_err e, const struct nightly_result *r)
{
    if (e == AS_ERR_USAGE && r->failed_step[0])
        return AS_EXIT_FAILURE;
    return as_exit_code(e);
}

as_err nightly_run(PGconn *db, const struct nightly_opts *o, struct nightly_result *r)
{
    memset(r, 0, sizeof *r);
    struct run run = {.db = db, .o = o, .r = r, .market = config_get("study.market")};
    as_err e;
    int day;
    if (o->date) {
        if (strlen(o->date) != 10 || calendar_parse_date(&day, o->date) != AS_OK)
            return as_fail(AS_ERR_USAGE, "nightly: --date '%s': expected YYYY-MM-DD", o->date);
        snprintf(r->date, sizeof r->date, "%s", o->date);
    } else if ((e = date_default(r->date))) {
        return e;
    }
    const char *dir = o->report_dir ? o->report_dir : config_get("report.dir");
    if (dir[0])
        snprintf(run.report_dir, sizeof run.report_dir, "%s", dir);
    else
        snprintf(run.report_dir, sizeof run.report_dir, "%s/reports", pgcluster_home());
    snprintf(r->workbook, sizeof r->workbook, "%.4000s/aftershock-%s.xlsx", run.report_dir, r->date);
    snprintf(run.summary, sizeof run.summary, "%.4000s/aftershock-%s.txt", run.report_dir, r->date);

    if ((e = db_lock_try(db, NIGHTLY_LOCK_KEY)))
        return e == AS_ERR_LOCKED
                   ? as_fail(e, "nightly: another nightly run is in progress (advisory lock "
                                "%lld is held); try again when it has finished",
                             NIGHTLY_LOCK_KEY)
                   : e;
    if ((e = date_pending(&run, &run.redo))) {
        db_unlock(db, NIGHTLY_LOCK_KEY);
        return e;
    }
    static const struct {
        const char *name;
        step_fn fn;
    } steps[] = {{"ingest", step_ingest},       {"detect", step_detect},
                 {"study", step_study},         {"summarize", step_summarize},
                 {"report", step_report},       {"distribute", step_distribute}};
    for (size_t i = 0; !e && i < sizeof steps / sizeof steps[0]; i++) {
        /* Nothing to deliver for a date without a session. */
        if (strcmp(steps[i].name, "distribute") == 0) {
            char st[16];
            if ((e = step_status(&run, "report", st, sizeof st)))
                break;
            if (strcmp(st, "skipped") == 0) {
                r->workbook[0] = '\0';
                break;
            }
        }
        e = step_run(&run, steps[i].name, (int)i + 1, steps[i].fn);
    }
    db_unlock(db, NIGHTLY_LOCK_KEY);
    return e;
}
