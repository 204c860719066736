/*
 * events.h -- `events detect` and `events list` against the database: news
 * and the trading calendar in, announcements and events out
 * (sql/020_events.sql).
 *
 * The scoring (announce.h), the calendar (calendar.h) and the clustering
 * (cluster.h) work on plain arrays; this layer only reads their inputs from
 * PostgreSQL and writes their outputs back, in one transaction, rewriting
 * only rows whose values changed.  It prints nothing.
 */
#ifndef AS_EVENTS_H
#define AS_EVENTS_H

#include <libpq-fe.h>

#include "analytics/announce.h"
#include "analytics/cluster.h"
#include "common/error.h"

typedef struct events_options {
    const char *market;   /* ticker whose price dates are the calendar (SPY) */
    const char *from;     /* first UTC publication date, "YYYY-MM-DD", or NULL */
    const char *to;       /* last UTC publication date (inclusive), or NULL */
    double threshold;     /* announcement threshold, 0..100 */
    cluster_params cluster;
} events_options;

typedef struct events_summary {
    long n_news;             /* items read in the (widened) range */
    long n_announcements;    /* items at or above the threshold */
    long n_events;           /* events formed */
    long n_outside_calendar; /* events whose session lies outside the prices */
    long rows_changed;       /* rows inserted or deleted (0 for a re-run) */
} events_summary;

/* Score, cluster and store the news published in [from, to], widened to
 * whole events: the range grows to take in every stored event it touches
 * (and any the join window could chain to it), so a run over part of the
 * news gives the same rows as a run over all of it. */
as_err events_detect(events_summary *out, PGconn *conn, const events_options *o,
                     const lexicon *lex);

/* Events whose session lies in [from, to] (either may be NULL), ordered by
 * session and first publication: columns id, session_date,
 * first_published_at (UTC, ISO 8601), score, n_stories, direction, tickers
 * (comma-separated), title.  *out is the caller's to PQclear(). */
as_err events_list(PGresult **out, PGconn *conn, const char *from, const char *to);

#endif
