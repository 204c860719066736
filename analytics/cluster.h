/*
 * cluster.h -- grouping scored announcements into events, with novelty and
 * the trading session each story and event first affects.
 *
 * Rules (cluster.c has the reasons):
 *   - only items at or above the announcement threshold are clustered;
 *   - stories are taken in publication order (ties: input order);
 *   - a story joins an open event whose latest story is at most window_hours
 *     older and which shares an AI lab with it (DeepSeek, OpenAI, ...); a
 *     story that names no lab joins one sharing a company or sector entity,
 *     or at least two matched phrases; among several, the one sharing the
 *     most terms, then the most recent; otherwise it starts a new event;
 *   - novelty of the k-th story (k = 0 for the first) published h hours after
 *     the first: 100 * 0.5^(h / half_life_hours) * rank_decay^k, so the first
 *     story is 100 and both later and repeated coverage decay;
 *   - an event's session is its first story's (calendar_session_for).
 */
#ifndef AS_CLUSTER_H
#define AS_CLUSTER_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "analytics/announce.h"
#include "analytics/calendar.h"
#include "common/error.h"

#define CLUSTER_NO_SESSION INT_MIN /* the story lies outside the price calendar */

typedef struct cluster_params {
    double window_hours;    /* join window after an event's latest story */
    double half_life_hours; /* novelty halves every this many hours */
    double rank_decay;      /* novelty factor per earlier story in the event */
} cluster_params;

#define CLUSTER_PARAMS_DEFAULT ((cluster_params){72.0, 24.0, 0.9})

typedef struct news_event {
    size_t *stories;   /* (n_stories) indices into items, publication order */
    double *novelty;   /* (n_stories) 0..100 */
    int *session;      /* (n_stories) session day or CLUSTER_NO_SESSION */
    size_t n_stories;
    int session_day;   /* the first story's session, or CLUSTER_NO_SESSION */
    double score;      /* highest story score */
    time_t first_published, last_published;
} news_event;

/* Cluster items[0..n) scored in res[0..n).  *out (n_out events, in order of
 * their first story) is the caller's: cluster_free(). */
as_err cluster_build(news_event **out, size_t *n_out, const news_item *items,
                     const announce_result *res, size_t n, const lexicon *lex,
                     const trading_calendar *cal, const cluster_params *p);
void cluster_free(news_event *events, size_t n);

#endif
