/*
 * ingest.c -- one ingest run: build the URLs, fetch them all (http.c),
 * parse each answer with its provider's parser and load it (load.c) in a
 * transaction of its own, recording every target in ingest_runs.
 *
 * Owns the run's policy: which parser a source uses, the default
 * endpoints, where API keys come from, and the rule that a failing target
 * rolls back only itself (its failure record is written after the rollback
 * so it survives).  Not the CLI (cli/cmd_ingest.c prints the report) and
 * not the parsing or SQL details.
 */
#include "ingest/ingest.h"

#include "common/db.h"
#include "ingest/load.h"
#include "ingest/parse.h"
#include "ingest/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *price_names[] = {"yahoo", "stooq", "alphavantage", "polygon", "csv"};
static const char *news_names[] = {"rss", "atom", "gdelt", "newsapi", "json"};

int price_source_from_name(const char *name)
{
    for (int i = 0; i < (int)(sizeof price_names / sizeof price_names[0]); i++)
        if (strcmp(name, price_names[i]) == 0)
            return i;
    return -1;
}

int news_source_from_name(const char *name)
{
    for (int i = 0; i < (int)(sizeof news_names / sizeof news_names[0]); i++)
        if (strcmp(name, news_names[i]) == 0)
            return i;
    return -1;
}

const char *price_source_name(enum price_source s) { return price_names[s]; }
const char *news_source_name(enum news_source s) { return news_names[s]; }

const char *price_source_default_url(enum price_source s)
{
    switch (s) {
    case PRICE_SRC_YAHOO:
        return "https://query2.finance.yahoo.com/v8/finance/chart/{ticker}?period1={from_unix}"
               "&period2={to_unix}&interval=1d&events=div%7Csplit";
    case PRICE_SRC_STOOQ:
        return "https://stooq.com/q/d/l/?s={symbol}&i=d";
    case PRICE_SRC_ALPHAVANTAGE:
        return "https://www.alphavantage.co/query?function=TIME_SERIES_DAILY&symbol={ticker}"
               "&outputsize=full&apikey={apikey}";
    case PRICE_SRC_POLYGON:
        return "https://api.polygon.io/v2/aggs/ticker/{ticker}/range/1/day/{from}/{to}"
               "?adjusted=false&sort=asc&limit=50000&apiKey={apikey}";
    case PRICE_SRC_CSV:
        return NULL;
    }
    return NULL;
}

void price_source_symbol(enum price_source s, const char *given, char *ticker, size_t tsize,
                         char *symbol, size_t ssize)
{
    snprintf(ticker, tsize, "%s", given);
    snprintf(symbol, ssize, "%s", given);
    if (s != PRICE_SRC_STOOQ)
        return;
    static const char *const markets[] = {".us", ".uk", ".de", ".jp", ".hk", ".hu"};
    size_t n = strlen(given);
    int market = -1;
    for (int i = 0; i < (int)(sizeof markets / sizeof markets[0]) && market < 0; i++)
        if (n > 3 && strcasecmp(given + n - 3, markets[i]) == 0)
            market = i;
    for (char *c = symbol; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (market == 0 && n - 3 < tsize)
        ticker[n - 3] = '\0';
    else if (market < 0 && given[0] != '^' && n < ssize)
        snprintf(symbol + n, ssize - n, ".us");
}

static const char *price_key_env(enum price_source s)
{
    return s == PRICE_SRC_ALPHAVANTAGE ? "ALPHAVANTAGE_API_KEY"
           : s == PRICE_SRC_POLYGON    ? "POLYGON_API_KEY"
                                       : NULL;
}

void ingest_report_free(struct ingest_report *rep)
{
    for (size_t i = 0; i < rep->ntargets; i++) {
        free(rep->targets[i].target);
        free(rep->targets[i].error);
        free(rep->targets[i].warning);
    }
    free(rep->targets);
    memset(rep, 0, sizeof *rep);
}

static as_err report_init(struct ingest_report *rep, const char *kind, const char *source,
                          size_t n)
{
    memset(rep, 0, sizeof *rep);
    rep->kind = kind;
    rep->source = source;
    rep->targets = calloc(n ? n : 1, sizeof *rep->targets);
    if (!rep->targets)
        return as_fail(AS_ERR_NOMEM, "out of memory for the ingest report");
    rep->ntargets = n;
    return AS_OK;
}

static int date_ok(const char *s)
{
    int y, m, d;
    return !s || (strlen(s) == 10 && date_parse_ymd(s, 10, &y, &m, &d));
}

/* "YYYY-MM-DD" -> unix seconds at 00:00 UTC plus shift, as text. */
static void unix_text(char out[24], const char *date, long long shift)
{
    int y, m, d;
    long long t = 0;
    if (date_parse_ymd(date, 10, &y, &m, &d))
        t = days_from_civil(y, m, d) * 86400;
    snprintf(out, 24, "%lld", t + shift);
}

static void utc_now_text(char out[32])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S+00", &tm);
}

/* A heap copy of the current as_fail() detail, never NULL unless OOM. */
static char *error_copy(as_err e)
{
    const char *m = as_last_error();
    return strdup(m[0] ? m : as_strerror(e));
}

/*
 * Load one parsed target in its own transaction, with its ingest_runs
 * record.  `parse_err` != AS_OK means the fetch or parse already failed:
 * only the failure is recorded.  Returns AS_ERR_DB_CONNECT when the
 * database went away (the run cannot go on), else AS_OK; the target's own
 * outcome is in t.
 */
static as_err target_finish(PGconn *db, struct ingest_target *t, const char *kind,
                            const char *source, const char *started, as_err parse_err,
                            const struct price_set *ps, const struct news_set *ns,
                            const char *feed)
{
    long long run_id;
    as_err e = load_run_open(db, &run_id, kind, source, t->target, started);
    if (e && e != AS_ERR_DB_CONNECT) {
        free(t->error);
        t->err = e;
        t->error = error_copy(e);
        return AS_OK;
    }
    if (e)
        return e;
    if (parse_err) {
        t->err = parse_err;
        e = load_run_failed(db, run_id, t->error ? t->error : as_strerror(parse_err));
        return e == AS_ERR_DB_CONNECT ? e : AS_OK;
    }
    e = db_begin(db);
    if (!e)
        e = ps ? load_prices(db, ps, source, t) : load_news(db, ns, feed, source, t);
    if (!e)
        e = load_run_ok(db, run_id, t->inserted + t->updated);
    if (!e)
        e = db_commit(db);
    if (e) {
        t->err = e;
        t->error = error_copy(e);
        t->inserted = t->updated = t->unchanged = t->splits = t->dividends = 0;
        db_rollback(db);
        as_err e2 = load_run_failed(db, run_id, t->error ? t->error : as_strerror(e));
        if (e == AS_ERR_DB_CONNECT || e2 == AS_ERR_DB_CONNECT)
            return AS_ERR_DB_CONNECT;
    }
    return AS_OK;
}

/* Session settings for large loads, set outside any transaction.  A bigger
 * temp_buffers keeps a staging table of 1M rows (~100 MB) in memory; it can
 * only be set before the session first touches a temporary table, so a
 * refusal is ignored: the load still works, only slower. */
static void session_prepare(PGconn *db)
{
    PGresult *r = PQexec(db, "SET temp_buffers = '256MB'");
    PQclear(r);
}

static as_err price_parse(enum price_source s, struct price_set *out, const char *buf,
                          size_t len, const char *src, const char *ticker)
{
    switch (s) {
    case PRICE_SRC_YAHOO: return parse_yahoo_chart(out, buf, len, src, ticker);
    case PRICE_SRC_ALPHAVANTAGE: return parse_alphavantage(out, buf, len, src, ticker);
    case PRICE_SRC_POLYGON: return parse_polygon(out, buf, len, src, ticker);
    case PRICE_SRC_STOOQ:
    case PRICE_SRC_CSV: return parse_price_csv(out, buf, len, src, ticker);
    }
    return as_fail(AS_ERR_USAGE, "unknown price source");
}

struct ticker_names {
    char name[TICKER_MAX];       /* as stored: NVDA */
    char symbol[TICKER_MAX + 4]; /* as the provider calls it: nvda.us */
};

/* Keep only rows of the requested tickers (one document, many tickers). */
static void price_set_keep(struct price_set *s, const struct ticker_names *tickers, size_t n)
{
    if (n == 0)
        return;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (strcasecmp(s->rows[i].ticker, tickers[j].name) == 0) {
                s->rows[k++] = s->rows[i];
                break;
            }
        }
    }
    s->n = k;
}

static void progress(void (*fn)(void *, const struct ingest_progress *), void *arg,
                     const char *phase, size_t done, size_t total, long long rows,
                     long long bytes)
{
    struct ingest_progress p = {.phase = phase, .done = done, .total = total, .rows = rows,
                                .bytes = bytes};
    if (fn)
        fn(arg, &p);
}

/* What the transfer loop's callbacks need: each finished answer is parsed
 * at once (the body freed), so rows count up while the rest download. */
struct prices_fetch {
    const struct ingest_prices_opts *o;
    struct http_job *jobs;            /* (njobs) */
    struct ingest_target *targets;    /* (njobs) */
    struct price_set *sets;           /* (njobs) the parsed answers */
    const struct ticker_names *tk;    /* (o->ntickers) */
    char **labels;                    /* (njobs) */
    int per_ticker;
    long long rows, bytes;
};

/* The transfer's outcome into t: 1 when there is a body to parse, 0 when
 * the transfer failed (t->err and t->error say why). */
static int target_take_job(struct ingest_target *t, const struct http_job *job)
{
    t->attempts = job->attempts;
    t->err = job->err;
    if (t->err)
        t->error = strdup(job->error);
    return !t->err;
}

/* After the parse: the parser's counts into t, a parse failure's message,
 * and the rows of a loaded answer into *rows. */
static void target_take_set(struct ingest_target *t, long long n, long long skipped,
                            const char *warning, long long *rows)
{
    if (t->err && !t->error)
        t->error = error_copy(t->err);
    t->parsed = n;
    t->skipped = skipped;
    t->warning = warning ? strdup(warning) : NULL;
    if (!t->err)
        *rows += n;
}

/* http notify: parse a finished job into its set (t->err and t->error say
 * why it failed, if it did), then report. */
static void prices_fetched(void *arg, struct http_job *job, const struct http_progress *p)
{
    struct prices_fetch *f = arg;
    const struct ingest_prices_opts *o = f->o;
    f->bytes = p->bytes;
    if (job) {
        size_t i = (size_t)(job - f->jobs);
        struct ingest_target *t = &f->targets[i];
        struct price_set *s = &f->sets[i];
        if (target_take_job(t, job)) {
            const char *deflt = f->per_ticker ? f->tk[i].name
                                : (o->ntickers == 1 ? f->tk[0].name : NULL);
            as_clear_error();
            t->err = price_parse(o->source, s, job->body, job->len, f->labels[i], deflt);
            if (!t->err) {
                if (!f->per_ticker)
                    price_set_keep(s, f->tk, o->ntickers);
                t->err = price_set_finish(s, o->from, o->to);
            }
        }
        http_job_clear(job);
        target_take_set(t, (long long)s->n, s->skipped, s->warning, &f->rows);
    }
    progress(o->progress, o->progress_arg, "fetching", p->done, p->total, f->rows, p->bytes);
}

as_err ingest_prices(PGconn *db, const struct ingest_prices_opts *o, struct ingest_report *rep)
{
    const char *src_name = price_source_name(o->source);
    const char *tmpl = o->url_template ? o->url_template : price_source_default_url(o->source);
    int per_ticker = tmpl && (strstr(tmpl, "{ticker}") || strstr(tmpl, "{symbol}"));
    size_t njobs = per_ticker ? o->ntickers : 1;
    as_err e = report_init(rep, "prices", src_name, njobs);
    if (e)
        return e;
    if (!tmpl)
        return as_fail(AS_ERR_USAGE, "source '%s' needs --base-url (a file:// or http(s) URL "
                       "template)", src_name);
    if (per_ticker && o->ntickers == 0)
        return as_fail(AS_ERR_USAGE, "source '%s': no tickers given", src_name);
    if (!date_ok(o->from) || !date_ok(o->to))
        return as_fail(AS_ERR_USAGE, "--from/--to: expected YYYY-MM-DD, got '%s'",
                       !date_ok(o->from) ? o->from : o->to);
    for (size_t i = 0; i < o->ntickers; i++) {
        const char *t = o->tickers[i];
        size_t n = strlen(t);
        int bad = n == 0 || n >= TICKER_MAX;
        for (size_t k = 0; k < n && !bad; k++)
            bad = !isalnum((unsigned char)t[k]) && !strchr("^.-=", t[k]);
        if (bad)
            return as_fail(AS_ERR_USAGE, "'%s' is not a ticker symbol", t);
    }
    const char *key = o->apikey;
    const char *env = price_key_env(o->source);
    if ((!key || !*key) && env)
        key = getenv(env);
    if (strstr(tmpl, "{apikey}") && (!key || !*key))
        return as_fail(AS_ERR_USAGE, "source '%s' needs an API key: set %s or the config file's "
                       "key", src_name, env ? env : "the key");

    /* Default period: everything up to today.  Yahoo's period2 is
     * exclusive, so it gets the day after --to. */
    char today[11], from_unix[24], to_unix[24];
    time_t now = time(NULL);
    ny_date(today, (long long)now);
    const char *from = o->from ? o->from : "1990-01-01";
    const char *to = o->to ? o->to : today;
    unix_text(from_unix, from, 0);
    unix_text(to_unix, to, 86400);

    struct http_job *jobs = calloc(njobs, sizeof *jobs);
    char **labels = calloc(njobs, sizeof *labels);
    char **urls = calloc(njobs, sizeof *urls);
    /* (ntickers): each ticker's stored name and its provider symbol */
    struct ticker_names *tk = calloc(o->ntickers ? o->ntickers : 1, sizeof *tk);
    struct prices_fetch f = {0};
    long long rows = 0;
    if (!jobs || !labels || !urls || !tk) {
        e = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < o->ntickers; i++)
        price_source_symbol(o->source, o->tickers[i], tk[i].name, sizeof tk[i].name,
                            tk[i].symbol, sizeof tk[i].symbol);
    for (size_t i = 0; i < njobs; i++) {
        struct url_vars v = {.ticker = per_ticker ? tk[i].name : NULL,
                             .symbol = per_ticker ? tk[i].symbol : NULL, .from = from, .to = to,
                             .from_unix = from_unix, .to_unix = to_unix, .apikey = key};
        if ((e = url_expand(&urls[i], tmpl, &v)))
            goto done;
        char *masked = url_mask(urls[i], key);
        rep->targets[i].target = per_ticker ? strdup(tk[i].name) : masked;
        size_t ln = strlen(src_name) + strlen(masked ? masked : "") + TICKER_MAX + 4;
        labels[i] = malloc(ln);
        if (!rep->targets[i].target || !labels[i]) {
            if (per_ticker)
                free(masked);
            e = as_fail(AS_ERR_NOMEM, "out of memory");
            goto done;
        }
        snprintf(labels[i], ln, "%s %s", src_name, per_ticker ? tk[i].name : masked);
        if (per_ticker)
            free(masked);
        jobs[i].url = urls[i];
        jobs[i].label = labels[i];
        jobs[i].secret = key;
    }
    char started[32];
    utc_now_text(started);
    session_prepare(db);
    f.o = o;
    f.jobs = jobs;
    f.targets = rep->targets;
    f.tk = tk;
    f.labels = labels;
    f.per_ticker = per_ticker;
    if (!(f.sets = calloc(njobs, sizeof *f.sets))) {
        e = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    struct http_opts http = o->http;
    http.notify = prices_fetched;
    http.notify_arg = &f;
    if ((e = http_fetch_all(jobs, njobs, &http)))
        goto done;
    for (size_t i = 0; i < njobs; i++) {
        struct ingest_target *t = &rep->targets[i];
        e = target_finish(db, t, "prices", src_name, started, t->err, &f.sets[i], NULL, NULL);
        price_set_free(&f.sets[i]);
        if (e)
            goto done;
        if (t->err)
            rep->nfailed++;
        rows += t->inserted + t->updated + t->unchanged;
        progress(o->progress, o->progress_arg, "loading", i + 1, njobs, rows, f.bytes);
    }
done:
    for (size_t i = 0; jobs && i < njobs; i++) {
        http_job_clear(&jobs[i]);
        free(labels[i]);
        free(urls[i]);
        if (f.sets)
            price_set_free(&f.sets[i]);
    }
    free(jobs);
    free(labels);
    free(urls);
    free(tk);
    free(f.sets);
    if (!e && rep->nfailed)
        e = as_fail(AS_ERR_SOURCE, "%zu of %zu %s targets failed", rep->nfailed, rep->ntargets,
                    src_name);
    return e;
}

static as_err news_parse(enum news_source s, struct news_set *out, const char *buf, size_t len,
                         const char *src)
{
    switch (s) {
    case NEWS_SRC_RSS:
    case NEWS_SRC_ATOM: return parse_feed(out, buf, len, src);
    case NEWS_SRC_GDELT: return parse_gdelt(out, buf, len, src);
    case NEWS_SRC_NEWSAPI: return parse_newsapi(out, buf, len, src);
    case NEWS_SRC_JSON: return parse_news_json(out, buf, len, src);
    }
    return as_fail(AS_ERR_USAGE, "unknown news source");
}

struct news_fetch {
    const struct ingest_news_opts *o;
    struct http_job *jobs;         /* (nurls) */
    struct ingest_target *targets; /* (nurls) */
    struct news_set *sets;         /* (nurls) the parsed answers */
    char **labels;                 /* (nurls) */
    long long rows, bytes;
};

/* http notify for news, as prices_fetched. */
static void news_fetched(void *arg, struct http_job *job, const struct http_progress *p)
{
    struct news_fetch *f = arg;
    const struct ingest_news_opts *o = f->o;
    f->bytes = p->bytes;
    if (job) {
        size_t i = (size_t)(job - f->jobs);
        struct ingest_target *t = &f->targets[i];
        struct news_set *s = &f->sets[i];
        if (target_take_job(t, job)) {
            as_clear_error();
            t->err = news_parse(o->source, s, job->body, job->len, f->labels[i]);
        }
        http_job_clear(job);
        target_take_set(t, (long long)s->n, s->skipped, s->warning, &f->rows);
    }
    progress(o->progress, o->progress_arg, "fetching", p->done, p->total, f->rows, p->bytes);
}

as_err ingest_news(PGconn *db, const struct ingest_news_opts *o, struct ingest_report *rep)
{
    const char *src_name = news_source_name(o->source);
    as_err e = report_init(rep, "news", src_name, o->nurls);
    if (e)
        return e;
    if (o->nurls == 0)
        return as_fail(AS_ERR_USAGE, "news source '%s': no URLs given", src_name);
    const char *key = o->apikey;
    if ((!key || !*key) && o->source == NEWS_SRC_NEWSAPI)
        key = getenv("NEWSAPI_KEY");
    struct http_job *jobs = calloc(o->nurls, sizeof *jobs);
    char **labels = calloc(o->nurls, sizeof *labels);
    char **urls = calloc(o->nurls, sizeof *urls);
    struct news_fetch f = {.o = o, .jobs = jobs, .targets = rep->targets, .labels = labels};
    long long rows = 0;
    if (!jobs || !labels || !urls) {
        e = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < o->nurls; i++) {
        if (strstr(o->urls[i], "{apikey}") && (!key || !*key)) {
            e = as_fail(AS_ERR_USAGE, "news URL %zu needs an API key: set NEWSAPI_KEY", i + 1);
            goto done;
        }
        struct url_vars v = {.apikey = key};
        if ((e = url_expand(&urls[i], o->urls[i], &v)))
            goto done;
        char *masked = url_mask(urls[i], key);
        size_t ln = strlen(src_name) + strlen(masked ? masked : "") + 2;
        labels[i] = malloc(ln);
        rep->targets[i].target = masked;
        if (!masked || !labels[i]) {
            e = as_fail(AS_ERR_NOMEM, "out of memory");
            goto done;
        }
        snprintf(labels[i], ln, "%s %s", src_name, masked);
        jobs[i].url = urls[i];
        jobs[i].label = labels[i];
        jobs[i].secret = key;
    }
    char started[32];
    utc_now_text(started);
    session_prepare(db);
    if (!(f.sets = calloc(o->nurls, sizeof *f.sets))) {
        e = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    struct http_opts http = o->http;
    http.notify = news_fetched;
    http.notify_arg = &f;
    if ((e = http_fetch_all(jobs, o->nurls, &http)))
        goto done;
    for (size_t i = 0; i < o->nurls; i++) {
        struct ingest_target *t = &rep->targets[i];
        e = target_finish(db, t, "news", src_name, started, t->err, NULL, &f.sets[i], t->target);
        news_set_free(&f.sets[i]);
        if (e)
            goto done;
        if (t->err)
            rep->nfailed++;
        rows += t->inserted + t->updated + t->unchanged;
        progress(o->progress, o->progress_arg, "loading", i + 1, o->nurls, rows, f.bytes);
    }
done:
    for (size_t i = 0; jobs && i < o->nurls; i++) {
        http_job_clear(&jobs[i]);
        free(labels[i]);
        free(urls[i]);
        if (f.sets)
            news_set_free(&f.sets[i]);
    }
    free(jobs);
    free(labels);
    free(urls);
    free(f.sets);
    if (!e && rep->nfailed)
        e = as_fail(AS_ERR_SOURCE, "%zu of %zu %s feeds failed", rep->nfailed, rep->ntargets,
                    src_name);
    return e;
}
