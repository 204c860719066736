/*
 * nightly.h -- the nightly run: ingest -> detect events -> study ->
 * summarize -> report -> distribute, for one trading day, recorded step by
 * step in the `runs` table (sql/030_runs.sql).
 *
 * One run at a time: a PostgreSQL advisory lock (NIGHTLY_LOCK_KEY) is held
 * for the whole run; a second run fails at once with AS_ERR_LOCKED.  A step
 * whose row says 'ok' (or 'skipped') is not run again, so re-running a
 * finished date changes nothing; a step that failed, or was interrupted by
 * a crash, runs again -- a re-run resumes where the last one stopped.  Each
 * step's own writes are one transaction (events, the study, the summaries)
 * or a temporary file renamed (the workbook, the mail), so an interrupted
 * step leaves the previous state and its re-run duplicates nothing.
 * Outputs are per date (report.dir/aftershock-DATE.xlsx, the outbox's
 * aftershock-DATE.*), so other dates' outputs are never touched;
 * temporary files of a killed run are swept at the next start.
 *
 * A date the market proxy has no price for (weekend, holiday, not
 * published yet) records study, summarize and report as 'skipped' and
 * delivers nothing.  Such a date counts as finished once the market has a
 * later session in the database (it was a holiday); until then a re-run
 * does every step again, so a run made before the day's prices were out
 * does not keep the day from being reported.  The summary model is model.file, else the built-in
 * NIGHTLY_MODEL_DEFAULT; when that file is absent the narrator writes the
 * summaries, stored and shown as such (reports/event_summary.h).  Nothing
 * here prints: progress goes through the optional callback.
 */
#ifndef AS_NIGHTLY_H
#define AS_NIGHTLY_H

#include <libpq-fe.h>

#include "common/error.h"
#include "reports/mail.h"

#define NIGHTLY_LOCK_KEY 0x4146544e49474854LL /* "AFTNIGHT" */
#define NIGHTLY_MODEL_DEFAULT "model/weights/aftershock-summary.gguf"

/* Every NULL/0 field falls back to the setting named beside it. */
struct nightly_opts {
    const char *date;            /* YYYY-MM-DD; NULL: the last weekday in New York */
    const char *tickers;         /* ingest.tickers (space-separated) */
    const char *price_source;    /* ingest.price_source */
    const char *price_url;       /* ingest.price_url */
    const char *news_feeds;      /* ingest.news_feeds ("rss URL json URL") */
    const char *securities_file; /* securities.file ("" = skip) */
    const char *shares_file;     /* securities.shares_file ("" = skip) */
    int lookback_days;           /* ingest.lookback_days */
    const char *report_dir;      /* report.dir, else $AFTERSHOCK_HOME/reports */
    const char *lexicon_dir;     /* announcement lexicon (data/lexicon) */
    const char *model_path;      /* model.file, else NIGHTLY_MODEL_DEFAULT */
    int threads;                 /* summary model threads; 0: 2 */
    const struct mail_opts *mail;/* NULL: mail_opts_from_config() */
    const char *command_line, *version; /* for the workbook's Method sheet */
    /* Called at each step's start and end (what = "start", "ok", "skipped",
     * "failed", "done before"); may be NULL. */
    void (*progress)(void *arg, const char *step, const char *what, const char *detail);
    void *progress_arg;
};

struct nightly_result {
    char date[11];
    char workbook[4096];  /* the workbook's path ("" when none) */
    char delivered[4096]; /* outbox message or masked SMTP URL */
    int steps_run, steps_skipped;
    char failed_step[16]; /* "" unless a step failed */
};

/* Run (see above).  On failure the error names the step and the reason;
 * r says which step failed. */
as_err nightly_run(PGconn *db, const struct nightly_opts *o, struct nightly_result *r);

/* The exit code for a run that returned e with result r: as_exit_code(e),
 * except that a step failing on a bad setting (AS_ERR_USAGE: study.model =
 * factor, an empty smtp.to) is a failed run, 1, not a usage error -- the
 * command line was fine.  So: 1 a step failed or the lock is held, 2 a bad
 * command line, 3 database unreachable, 4 a data source failed. */
int nightly_exit_code(as_err e, const struct nightly_result *r);

/*
 * ingest.news_feeds: `source URL` pairs separated by whitespace.  A comma
 * that ends a word separates too, so the `rss A, json B` form still reads
 * as two feeds, but a comma inside a URL does not (NewsAPI's
 * domains=reuters.com,ft.com stays whole); a URL that must end with a comma
 * writes it as %2C.  URLs cannot hold whitespace (RFC 3986), so nothing
 * needs quoting.  Splits buf in place into at most max pairs (kinds[i] a
 * known news source, urls[i]), *n of them.  AS_ERR_USAGE naming the setting
 * for an unknown source, a source without a URL, or more than max pairs.
 */
as_err nightly_feeds_parse(char *buf, const char **kinds, const char **urls, int max, int *n);

#endif
