/*
 * http.h -- fetch many URLs at once with libcurl's multi interface.
 *
 * http_fetch_all() runs a batch of GETs with a concurrency limit, a minimum
 * interval between request starts to the same host, connect/total/low-speed
 * timeouts, and retries with exponential backoff and jitter on 429, 5xx and
 * transport errors, honouring Retry-After (seconds or HTTP-date) up to a
 * cap past which the job fails at once.  gzip and
 * deflate are accepted; TLS peers and host names are always verified.
 * file:// URLs go through the same path (no retries needed, same errors).
 *
 * It owns the bodies it returns (http_job_clear frees them) and nothing else.
 * It does not interpret bodies: a 200 with an HTML page is a success here and
 * a parse error for the caller.  Errors name the job's label, never its URL,
 * because URLs may carry API keys.
 */
#ifndef AS_HTTP_H
#define AS_HTTP_H

#include <stddef.h>

#include "common/error.h"

struct http_job;

/* Where a batch stands, for a progress line. */
struct http_progress {
    size_t done, total; /* jobs finished for good (ok or failed), of the batch */
    long long bytes;    /* body bytes received so far, retried attempts included */
};

struct http_opts {
    int max_parallel;          /* transfers in flight at once */
    long host_interval_ms;     /* minimum gap between starts to one host */
    long connect_timeout_ms;
    long total_timeout_ms;     /* whole transfer, per attempt */
    long low_speed_bytes;      /* abort when slower than this ... */
    long low_speed_time_s;     /* ... for this long */
    int max_attempts;          /* 1 = no retry */
    long backoff_base_ms;      /* first retry waits about this long */
    long backoff_max_ms;       /* cap for our own backoff */
    long retry_after_max_ms;   /* longest Retry-After honoured; a server asking
                                * for more fails the job at once, saying so */
    size_t max_body_bytes;     /* refuse larger bodies (memory guard) */
    /* Called from inside the transfer loop, on the caller's thread: with
     * the job once it is finished for good (its outcome filled in; the
     * callee may consume the body and http_job_clear() it), and with job
     * NULL every tick_ms while transfers are under way.  NULL: no calls. */
    void (*notify)(void *arg, struct http_job *job, const struct http_progress *p);
    void *notify_arg;
    long tick_ms;
};

/* The production defaults: 4 parallel, 250 ms per host, 10 s connect, 120 s
 * total, 4 attempts, 500 ms base backoff capped at 60 s, Retry-After up to
 * 120 s, 512 MiB bodies, no notify (ticks every 200 ms once one is set). */
struct http_opts http_opts_default(void);

struct http_job {
    const char *url;   /* in: may contain an API key; never printed */
    const char *label; /* in: what errors call it ("yahoo NVDA"), not NULL */
    const char *secret; /* in: API key to mask in curl's error texts, or NULL */
    /* out: */
    char *body;        /* heap, NUL-terminated, len bytes; NULL on failure */
    size_t len;
    long status;       /* last HTTP status (0 for file:// or no answer) */
    int attempts;
    as_err err;        /* AS_OK, or AS_ERR_HTTP / AS_ERR_IO with error */
    char error[512];
};

/*
 * Run every job to completion (success or exhausted retries).  Returns AS_OK
 * when the batch ran, even if some jobs failed (look at jobs[i].err);
 * AS_ERR_NOMEM or AS_ERR_HTTP only when curl itself cannot be set up.
 */
as_err http_fetch_all(struct http_job *jobs, size_t njobs,
                      const struct http_opts *o);

void http_job_clear(struct http_job *job); /* frees body, keeps url/label */

/* Parse a Retry-After value (delta seconds or an HTTP-date) into a delay in
 * milliseconds from now_unix; -1 when it is neither. */
long http_retry_after_ms(const char *value, long long now_unix);

#endif
