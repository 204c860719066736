/*
 * cluster.c -- turns scored stories into events (rules in cluster.h).
 *
 * Owns the event array and the per-event sets of terms used to decide
 * membership.  It is not the scorer and not the database writer: it reads
 * items, their announce_result and the calendar, and returns plain arrays.
 *
 * Why these rules: coverage of one announcement arrives over days (DeepSeek
 * R1 on 2025-01-20; the market reaction stories from 2025-01-27 to 01-29), so
 * membership chains from the latest story, not the first.  A lab name is the
 * strongest sign that two stories are about the same development, so when a
 * story names a lab it must share one; NVIDIA, on the other hand, appears in
 * coverage of every AI development and alone would merge unrelated events.
 * The 72 h window splits the R1 release (last story 2025-01-21) from the
 * market rout of 2025-01-27, which the study needs as two events.
 */
#include "analytics/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct open_event {
    unsigned char *entity; /* (lex->n_entities) 1 when a member named it */
    unsigned char *phrase; /* (lex->n_phrases) */
} open_event;

struct order_key {
    time_t t;
    size_t i;
};

static int order_compare(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* How strongly story r fits event o; 0 means it may not join. */
static int fit_score(const announce_result *r, const open_event *o, const lexicon *lex)
{
    int labs_named = 0, labs_shared = 0, others_shared = 0, phrases_shared = 0;
    for (size_t k = 0; k < r->n_entities; k++) {
        size_t e = r->entities[k];
        if (lex->entities[e].kind == LEX_LAB) {
            labs_named++;
            labs_shared += o->entity[e];
        } else {
            others_shared += o->entity[e];
        }
    }
    for (size_t k = 0; k < r->n_phrases; k++)
        phrases_shared += o->phrase[r->phrases[k]];
    if (labs_named ? labs_shared == 0 : (others_shared == 0 && phrases_shared < 2))
        return 0;
    return labs_shared + others_shared + phrases_shared;
}

static as_err event_append(news_event *ev, open_event *o, size_t item, const news_item *items,
                           const announce_result *r, const trading_calendar *cal,
                           const cluster_params *p)
{
    size_t k = ev->n_stories;
    size_t *s = realloc(ev->stories, (k + 1) * sizeof *s);
    if (s)
        ev->stories = s;
    double *nv = realloc(ev->novelty, (k + 1) * sizeof *nv);
    if (nv)
        ev->novelty = nv;
    int *se = realloc(ev->session, (k + 1) * sizeof *se);
    if (se)
        ev->session = se;
    if (!s || !nv || !se)
        return as_fail(AS_ERR_NOMEM, "clustering: out of memory");
    time_t t = items[item].published_at;
    if (k == 0) {
        ev->first_published = t;
        ev->score = r->score;
    }
    ev->last_published = t;
    if (r->score > ev->score)
        ev->score = r->score;
    double hours = difftime(t, ev->first_published) / 3600.0;
    ev->stories[k] = item;
    ev->novelty[k] = 100.0 * pow(0.5, hours / p->half_life_hours) * pow(p->rank_decay, (double)k);
    if (calendar_session_for(&ev->session[k], cal, t) != AS_OK)
        ev->session[k] = CLUSTER_NO_SESSION;
    if (k == 0)
        ev->session_day = ev->session[0];
    ev->n_stories = k + 1;
    for (size_t j = 0; j < r->n_entities; j++)
        o->entity[r->entities[j]] = 1;
    for (size_t j = 0; j < r->n_phrases; j++)
        o->phrase[r->phrases[j]] = 1;
    return AS_OK;
}

as_err cluster_build(news_event **out, size_t *n_out, const news_item *items,
                     const announce_result *res, size_t n, const lexicon *lex,
                     const trading_calendar *cal, const cluster_params *p)
{
    *out = NULL;
    *n_out = 0;
    struct order_key *order = malloc((n ? n : 1) * sizeof *order);
    news_event *ev = calloc(n ? n : 1, sizeof *ev); /* at most one event per story */
    open_event *open = calloc(n ? n : 1, sizeof *open);
    size_t m = 0, n_ev = 0;
    as_err err = AS_OK;
    if (!order || !ev || !open) {
        err = as_fail(AS_ERR_NOMEM, "clustering: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (res[i].is_announcement)
            order[m++] = (struct order_key){items[i].published_at, i};
    qsort(order, m, sizeof *order, order_compare);
    for (size_t k = 0; k < m && !err; k++) {
        size_t i = order[k].i;
        size_t best = n_ev;
        int best_fit = 0;
        for (size_t e = 0; e < n_ev; e++) {
            if (difftime(order[k].t, ev[e].last_published) > p->window_hours * 3600.0)
                continue;
            int fit = fit_score(&res[i], &open[e], lex);
            /* ">=": on a tie the later-opened event wins, and events are
             * opened in time order, so that is the more recent one */
            if (fit > 0 && fit >= best_fit) {
                best = e;
                best_fit = fit;
            }
        }
        if (best == n_ev) {
            open[n_ev].entity = calloc(lex->n_entities ? lex->n_entities : 1, 1);
            open[n_ev].phrase = calloc(lex->n_phrases ? lex->n_phrases : 1, 1);
            n_ev++;
            if (!open[best].entity || !open[best].phrase) {
                err = as_fail(AS_ERR_NOMEM, "clustering: out of memory");
                break;
            }
        }
        err = event_append(&ev[best], &open[best], i, items, &res[i], cal, p);
    }
done:
    for (size_t e = 0; open && e < n_ev; e++) {
        free(open[e].entity);
        free(open[e].phrase);
    }
    free(open);
    free(order);
    if (err) {
        cluster_free(ev, n_ev);
        return err;
    }
    *out = ev;
    *n_out = n_ev;
    return AS_OK;
}

void cluster_free(news_event *events, size_t n)
{
    if (!events)
        return;
    for (size_t i = 0; i < n; i++) {
        free(events[i].stories);
        free(events[i].novelty);
        free(events[i].session);
    }
    free(events);
}
