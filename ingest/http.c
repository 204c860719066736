/*
 * http.c -- a batch of GETs over libcurl's multi interface (see http.h for
 * the contract).
 *
 * One loop owns everything: jobs wait in "pending" until their earliest
 * start time (backoff) has passed, their host's slot is free (rate limit)
 * and fewer than max_parallel transfers run; finished transfers are judged
 * (success, retry later, or give up) as curl reports them.  No threads: the
 * multi handle multiplexes the sockets, curl_multi_poll sleeps until a
 * socket is ready, the next timed start or the next progress tick is due.
 * The caller hears from inside this loop (opts.notify): each job as it
 * finishes, so it can parse one answer while the others still download,
 * and a tick while transfers run, so a progress line moves during a long
 * download instead of after it.
 *
 * Retries: on HTTP 408, 425, 429, 500, 502, 503, 504 and on transport
 * errors that a second try can cure (refused or timed-out connects, resets,
 * empty replies, bodies shorter than Content-Length).  Not on DNS failure
 * (a typo in a host name will not heal) nor on 4xx answers.  Delay: the
 * server's Retry-After if it sent one, else base * 2^(attempt-1) with
 * "equal jitter" (half fixed, half random) so that parallel clients do not
 * retry in lockstep, capped at backoff_max_ms.  A Retry-After is honoured
 * up to retry_after_max_ms; one asking for longer fails the job at once
 * with an error that says so: waiting less than asked would only earn
 * another 429, and waiting an hour inside a nightly run is not ours to
 * decide quietly.
 *
 * Messages never contain the URL (it may carry an API key): only the job's
 * label and curl's error text, which names at most the host.
 */
#include "ingest/http.h"
#include "ingest/url.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct http_opts http_opts_default(void)
{
    struct http_opts o = {
        .max_parallel = 4,
        .host_interval_ms = 250,
        .connect_timeout_ms = 10000,
        .total_timeout_ms = 120000,
        .low_speed_bytes = 1,
        .low_speed_time_s = 30,
        .max_attempts = 4,
        .backoff_base_ms = 500,
        .backoff_max_ms = 60000,
        .retry_after_max_ms = 120000,
        .max_body_bytes = (size_t)512 << 20,
        .tick_ms = 200,
    };
    return o;
}

long http_retry_after_ms(const char *value, long long now_unix)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    char *end;
    long secs = strtol(value, &end, 10);
    if (end != value) {
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (*end == '\0' && secs >= 0)
            return secs > 86400 ? 86400000L : secs * 1000L;
    }
    time_t when = curl_getdate(value, NULL); /* IMF-fixdate and the older forms */
    if (when == (time_t)-1)
        return -1;
    long long d = (long long)when - now_unix;
    return d <= 0 ? 0 : (d > 86400 ? 86400000L : (long)(d * 1000));
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

enum job_state { JOB_PENDING, JOB_ACTIVE, JOB_DONE };

struct job_run {
    struct http_job *job;
    enum job_state state;
    CURL *easy;
    long long not_before; /* ms, monotonic */
    char host[256];
    size_t cap;
    int too_big;
    char curl_err[CURL_ERROR_SIZE];
    size_t max_body;
    long long *bytes; /* the batch's received-bytes counter */
};

struct host_slot {
    char host[256];
    long long next_start;
};

static size_t body_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct job_run *r = arg;
    struct http_job *j = r->job;
    size_t n = size * nmemb;
    if (j->len + n > r->max_body) {
        r->too_big = 1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (j->len + n + 1 > r->cap) {
        size_t nc = r->cap ? r->cap : 16384;
        while (nc < j->len + n + 1)
            nc *= 2;
        char *p = realloc(j->body, nc);
        if (!p)
            return 0;
        j->body = p;
        r->cap = nc;
    }
    memcpy(j->body + j->len, data, n);
    j->len += n;
    j->body[j->len] = '\0';
    *r->bytes += (long long)n;
    return n;
}

static void host_of(char out[256], const char *url)
{
    out[0] = '\0';
    CURLU *u = curl_url();
    char *h = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h)
        snprintf(out, 256, "%s", h);
    curl_free(h);
    curl_url_cleanup(u);
}

static struct host_slot *slot_for(struct host_slot *slots, size_t *nslots, const char *host)
{
    for (size_t i = 0; i < *nslots; i++)
        if (strcmp(slots[i].host, host) == 0)
            return &slots[i];
    struct host_slot *s = &slots[(*nslots)++];
    snprintf(s->host, sizeof s->host, "%s", host);
    s->next_start = 0;
    return s;
}

static CURL *easy_new(struct job_run *r, const struct http_opts *o)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, r->job->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl was built with */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->total_timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->low_speed_time_s);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "aftershock/0.1 (+libcurl)");
    return e;
}

static int status_retryable(long s)
{
    return s == 408 || s == 425 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static int curl_retryable(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static long backoff_ms(const struct http_opts *o, int attempt, unsigned *seed)
{
    long d = o->backoff_base_ms;
    for (int i = 1; i < attempt && d < o->backoff_max_ms; i++)
        d *= 2;
    if (d > o->backoff_max_ms)
        d = o->backoff_max_ms;
    long half = d / 2;
    return half + (half > 0 ? (long)(rand_r(seed) % (half + 1)) : 0);
}

/* Judge a finished transfer: done (ok or failed) or back to pending. */
static void transfer_done(struct job_run *r, CURLcode rc, const struct http_opts *o,
                          unsigned *seed)
{
    struct http_job *j = r->job;
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    j->status = status;
    int file = strncasecmp(j->url, "file:", 5) == 0;
    int ok = rc == CURLE_OK && (file || (status >= 200 && status < 300));
    if (ok) {
        j->error[0] = '\0'; /* an earlier attempt's failure no longer matters */
        if (!j->body) { /* an empty answer still gets a buffer */
            j->body = calloc(1, 1);
            if (!j->body) {
                j->err = as_fail(AS_ERR_NOMEM, "%s: out of memory", j->label);
                snprintf(j->error, sizeof j->error, "%s", as_last_error());
            }
        }
        r->state = JOB_DONE;
        return;
    }
    int retry = (rc == CURLE_OK && status_retryable(status)) || (rc != CURLE_OK && curl_retryable(rc));
    long delay = -1;
    if (retry && rc == CURLE_OK) {
        struct curl_header *h = NULL;
        if (curl_easy_header(r->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h)
            delay = http_retry_after_ms(h->value, (long long)time(NULL));
    }
    int too_long = delay > o->retry_after_max_ms && j->attempts < o->max_attempts;
    if (too_long)
        snprintf(j->error, sizeof j->error,
                 "%s: HTTP %ld with Retry-After %ld s, longer than the %ld s allowed "
                 "(--retry-after-max, ingest.retry_after_max); not retried",
                 j->label, status, (delay + 999) / 1000, o->retry_after_max_ms / 1000);
    else if (rc == CURLE_OK)
        snprintf(j->error, sizeof j->error, "%s: HTTP %ld", j->label, status);
    else if (r->too_big)
        snprintf(j->error, sizeof j->error, "%s: response larger than %zu bytes", j->label,
                 r->max_body);
    else {
        /* curl names the file or host it failed on; a key can hide there
         * (file:///keys/{apikey}.json), so mask it like a URL. */
        char *text = url_mask(r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc), j->secret);
        snprintf(j->error, sizeof j->error, "%s: %s", j->label, text ? text : "transfer failed");
        free(text);
    }
    free(j->body);
    j->body = NULL;
    j->len = 0;
    r->cap = 0;
    if (retry && !too_long && j->attempts < o->max_attempts) {
        r->state = JOB_PENDING;
        r->not_before = now_ms() + (delay >= 0 ? delay : backoff_ms(o, j->attempts, seed));
        return;
    }
    if (retry && !too_long && j->attempts > 1) {
        size_t n = strlen(j->error);
        snprintf(j->error + n, sizeof j->error - n, " (gave up after %d attempts)", j->attempts);
    }
    j->err = file && rc != CURLE_OK ? AS_ERR_IO : AS_ERR_HTTP;
    r->state = JOB_DONE;
}

as_err http_fetch_all(struct http_job *jobs, size_t njobs, const struct http_opts *o)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return as_fail(AS_ERR_HTTP, "cannot initialise libcurl: %s",
                       curl_easy_strerror(curl_init_rc));
    if (njobs == 0)
        return AS_OK;
    as_err e = AS_OK;
    struct job_run *runs = calloc(njobs, sizeof *runs);
    struct host_slot *slots = calloc(njobs, sizeof *slots);
    size_t nslots = 0;
    CURLM *multi = curl_multi_init();
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (!runs || !slots || !multi) {
        e = as_fail(AS_ERR_NOMEM, "cannot set up %zu HTTP transfers", njobs);
        goto done;
    }
    struct http_progress prog = {.done = 0, .total = njobs, .bytes = 0};
    for (size_t i = 0; i < njobs; i++) {
        runs[i].job = &jobs[i];
        runs[i].max_body = o->max_body_bytes;
        runs[i].bytes = &prog.bytes;
        host_of(runs[i].host, jobs[i].url);
        jobs[i].body = NULL;
        jobs[i].len = 0;
        jobs[i].status = 0;
        jobs[i].attempts = 0;
        jobs[i].err = AS_OK;
        jobs[i].error[0] = '\0';
    }
    size_t remaining = njobs;
    int active = 0;
    long long tick = o->notify && o->tick_ms > 0 ? o->tick_ms : 0;
    long long next_tick = now_ms() + tick;
    while (remaining > 0) {
        long long now = now_ms();
        for (size_t i = 0; i < njobs && active < o->max_parallel; i++) {
            struct job_run *r = &runs[i];
            if (r->state != JOB_PENDING)
                continue;
            struct host_slot *s = slot_for(slots, &nslots, r->host);
            long long due = r->not_before > s->next_start ? r->not_before : s->next_start;
            if (due > now)
                continue;
            r->easy = easy_new(r, o);
            if (!r->easy || curl_multi_add_handle(multi, r->easy) != CURLM_OK) {
                e = as_fail(AS_ERR_NOMEM, "cannot start an HTTP transfer");
                goto done;
            }
            r->curl_err[0] = '\0';
            r->too_big = 0;
            r->job->attempts++;
            r->state = JOB_ACTIVE;
            /* file:// has no host: no reason to space those out. */
            s->next_start = r->host[0] ? now + o->host_interval_ms : 0;
            active++;
        }
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct job_run *r;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            CURLcode rc = m->data.result;
            transfer_done(r, rc, o, &seed);
            curl_multi_remove_handle(multi, r->easy);
            curl_easy_cleanup(r->easy);
            r->easy = NULL;
            active--;
            if (r->state == JOB_DONE) {
                remaining--;
                prog.done = njobs - remaining;
                if (o->notify)
                    o->notify(o->notify_arg, r->job, &prog);
            }
        }
        if (remaining == 0)
            break;
        if (tick && now_ms() >= next_tick) {
            o->notify(o->notify_arg, NULL, &prog);
            next_tick = now_ms() + tick;
        }
        /* Sleep until the next pending start is due (computed after the
         * completions above, which may have scheduled retries), or until
         * curl sees socket activity. */
        now = now_ms();
        long long wait = active > 0 ? 100 : 1000;
        for (size_t i = 0; i < njobs; i++) {
            if (runs[i].state != JOB_PENDING)
                continue;
            struct host_slot *s = slot_for(slots, &nslots, runs[i].host);
            long long due = runs[i].not_before > s->next_start ? runs[i].not_before : s->next_start;
            if (active >= o->max_parallel)
                break; /* nothing can start before a transfer ends */
            if (due - now < wait)
                wait = due - now;
        }
        if (tick && next_tick - now < wait)
            wait = next_tick - now;
        if (wait < 0)
            wait = 0;
        curl_multi_poll(multi, NULL, 0, (int)wait, NULL);
    }
done:
    for (size_t i = 0; runs && i < njobs; i++) {
        if (runs[i].easy) {
            curl_multi_remove_handle(multi, runs[i].easy);
            curl_easy_cleanup(runs[i].easy);
        }
    }
    if (multi)
        curl_multi_cleanup(multi);
    free(runs);
    free(slots);
    return e;
}

void http_job_clear(struct http_job *job)
{
    free(job->body);
    job->body = NULL;
    job->len = 0;
}
