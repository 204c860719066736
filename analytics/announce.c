/*
 * announce.c -- scores one news item against the lexicon: the score, the
 * matched terms, the tickers it concerns with their relevance and direction.
 *
 * Owns the scoring rules below; the words and weights are the lexicon's.  It
 * is not the clustering (cluster.c) and reads nothing but its arguments.
 *
 * Score: each lexicon phrase and each entity found in the title or summary
 * adds its weight once (repeating a word does not inflate the score; negative
 * weights mark ordinary business news such as earnings), and the sum is
 * clamped to 0..100.  Every language's phrases are tried on every item,
 * because real items mix languages (the DeepSeek-R1 seed is Chinese with an
 * English gloss) and a declared language is often wrong.
 *
 * Relevance of a ticker (0..100), the highest that applies:
 *   company named in the title                      100
 *   company named in the summary only               60, +10 per further
 *                                                   mention, at most 90
 *   sector group named in the title ("chip stocks") 40
 *   sector group named in the summary only          30
 * Direction: an announcement (score >= threshold) says AI got cheaper, which
 * lowers the compute and power needed per unit of AI; each ticker takes the
 * sign its exposure.lex line gives (negative for NVDA AVGO TSM ASML AMD MU
 * SMCI ARM VST CEG ...).  Items below the threshold carry direction 0.
 */
#include "analytics/announce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL_TITLE 100
#define REL_SUMMARY 60
#define REL_SUMMARY_STEP 10
#define REL_SUMMARY_MAX 90
#define REL_GROUP_TITLE 40
#define REL_GROUP_SUMMARY 30

/* The four normalised forms of an item's text. */
typedef struct item_text {
    char *title_ci, *title_cs, *summary_ci, *summary_cs;
} item_text;

static void item_text_free(item_text *t)
{
    free(t->title_ci);
    free(t->title_cs);
    free(t->summary_ci);
    free(t->summary_cs);
}

static as_err item_text_make(item_text *t, const news_item *item)
{
    const char *summary = item->summary ? item->summary : "";
    t->title_ci = announce_normalise(item->title, 0);
    t->title_cs = announce_normalise(item->title, 1);
    t->summary_ci = announce_normalise(summary, 0);
    t->summary_cs = announce_normalise(summary, 1);
    if (!t->title_ci || !t->title_cs || !t->summary_ci || !t->summary_cs)
        return as_fail(AS_ERR_NOMEM, "news %lld: out of memory", item->id);
    return AS_OK;
}

static int count_in(const char *ci, const char *cs, const lex_pattern *p)
{
    return announce_count(p->case_sensitive ? cs : ci, p->text);
}

static as_err term_add(announce_result *r, size_t *cap, const char *prefix, const char *text)
{
    if (r->n_terms == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        char **p = realloc(r->terms, nc * sizeof *p);
        if (!p)
            return as_fail(AS_ERR_NOMEM, "scoring: out of memory");
        r->terms = p;
        *cap = nc;
    }
    size_t len = strlen(prefix) + strlen(text) + 2;
    if (!(r->terms[r->n_terms] = malloc(len)))
        return as_fail(AS_ERR_NOMEM, "scoring: out of memory");
    snprintf(r->terms[r->n_terms], len, "%s:%s", prefix, text);
    r->n_terms++;
    return AS_OK;
}

static as_err index_add(size_t **arr, size_t *n, size_t value)
{
    size_t *p = realloc(*arr, (*n + 1) * sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "scoring: out of memory");
    p[(*n)++] = value;
    *arr = p;
    return AS_OK;
}

/* Raise ticker's relevance to at least rel, adding it when new. */
static as_err ticker_raise(announce_result *r, const char *ticker, int rel)
{
    for (size_t i = 0; i < r->n_tickers; i++)
        if (strcmp(r->tickers[i].ticker, ticker) == 0) {
            if (rel > r->tickers[i].relevance)
                r->tickers[i].relevance = rel;
            return AS_OK;
        }
    announce_ticker *p = realloc(r->tickers, (r->n_tickers + 1) * sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "scoring: out of memory");
    r->tickers = p;
    if (!(p[r->n_tickers].ticker = strdup(ticker)))
        return as_fail(AS_ERR_NOMEM, "scoring: out of memory");
    p[r->n_tickers].relevance = rel;
    p[r->n_tickers].direction = 0;
    r->n_tickers++;
    return AS_OK;
}

static int relevance_of(enum lex_kind kind, int in_title, int in_summary)
{
    if (kind == LEX_GROUP)
        return in_title ? REL_GROUP_TITLE : REL_GROUP_SUMMARY;
    if (in_title)
        return REL_TITLE;
    int rel = REL_SUMMARY + REL_SUMMARY_STEP * (in_summary - 1);
    return rel > REL_SUMMARY_MAX ? REL_SUMMARY_MAX : rel;
}

as_err announce_score(announce_result *out, const news_item *item, const lexicon *lex,
                      double threshold)
{
    memset(out, 0, sizeof *out);
    item_text t = {0};
    size_t term_cap = 0;
    double sum = 0;
    as_err err = item_text_make(&t, item);
    for (size_t i = 0; !err && i < lex->n_phrases; i++) {
        const lex_phrase *p = &lex->phrases[i];
        if (count_in(t.title_ci, t.title_cs, &p->pat) + count_in(t.summary_ci, t.summary_cs, &p->pat) == 0)
            continue;
        sum += p->weight;
        err = term_add(out, &term_cap, p->lang, p->pat.text);
        if (!err)
            err = index_add(&out->phrases, &out->n_phrases, i);
    }
    for (size_t i = 0; !err && i < lex->n_entities; i++) {
        const lex_entity *e = &lex->entities[i];
        int in_title = 0, in_summary = 0;
        for (size_t j = 0; j < e->n_aliases; j++) {
            in_title += count_in(t.title_ci, t.title_cs, &e->aliases[j]);
            in_summary += count_in(t.summary_ci, t.summary_cs, &e->aliases[j]);
        }
        if (in_title + in_summary == 0)
            continue;
        sum += e->weight;
        err = term_add(out, &term_cap, "entity", e->name);
        if (!err)
            err = index_add(&out->entities, &out->n_entities, i);
        int rel = relevance_of(e->kind, in_title, in_summary);
        for (size_t k = 0; !err && k < e->n_tickers; k++)
            err = ticker_raise(out, e->tickers[k], rel);
    }
    if (err) {
        announce_result_free(out);
        goto done;
    }
    out->score = sum < 0 ? 0 : sum > 100 ? 100 : sum;
    out->is_announcement = out->score >= threshold;
    out->direction = out->is_announcement ? -1 : 0;
    for (size_t i = 0; i < out->n_tickers; i++)
        out->tickers[i].direction =
            out->is_announcement ? lexicon_exposure(lex, out->tickers[i].ticker) : 0;
done:
    item_text_free(&t);
    return err;
}

void announce_result_free(announce_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_terms; i++)
        free(r->terms[i]);
    free(r->terms);
    free(r->entities);
    free(r->phrases);
    for (size_t i = 0; i < r->n_tickers; i++)
        free(r->tickers[i].ticker);
    free(r->tickers);
    memset(r, 0, sizeof *r);
}
