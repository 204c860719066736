/*
 * announce.h -- scoring news items as "AI-efficiency announcements".
 *
 * An announcement is a story that reports AI getting cheaper or faster to
 * train or run (distillation, open-weight rivals matching frontier models,
 * API price cuts, "2,048 H800s for $5.6M"), or that names such a development
 * as the cause of a market move.  The score is transparent: the sum of the
 * weights of the lexicon phrases and entities found in the title and summary,
 * clamped to 0..100; every matched term is reported.  The lexicon lives in
 * data/lexicon/ (format in data/lexicon/README.md) and is read at run time.
 *
 * This header covers three files: announce_lexicon.c (loading the lexicon),
 * announce_match.c (text normalisation and pattern matching) and announce.c
 * (scoring, ticker relevance and direction).  It works on plain arrays of
 * news_item and knows nothing about the database; clustering into events is
 * cluster.h.
 */
#ifndef AS_ANNOUNCE_H
#define AS_ANNOUNCE_H

#include <stddef.h>
#include <time.h>

#include "common/error.h"

/* Score at or above which an item counts as an announcement (0..100). */
#define ANNOUNCE_THRESHOLD 50.0

/* One news item; every string is borrowed from the caller, UTF-8. */
typedef struct news_item {
    long long id;          /* news.id, or any caller key */
    const char *title;     /* required */
    const char *summary;   /* may be NULL */
    const char *source;    /* may be NULL */
    const char *url;       /* may be NULL */
    time_t published_at;   /* UTC, seconds since the epoch */
    const char *language;  /* "en", "pl", "zh", ... informative only */
} news_item;

/* ---- lexicon (announce_lexicon.c) -------------------------------------- */

typedef struct lex_pattern {
    char *text;         /* normalised pattern; owned */
    int case_sensitive; /* written with a leading '=' in the file */
} lex_pattern;

typedef struct lex_phrase {
    lex_pattern pat;
    double weight; /* points added once when the phrase occurs; may be < 0 */
    char lang[8];  /* from the file name phrases.<lang>.lex */
} lex_phrase;

enum lex_kind {
    LEX_LAB = 0,     /* an AI developer with no listed stock (DeepSeek) */
    LEX_COMPANY = 1, /* one listed company (NVIDIA -> NVDA) */
    LEX_GROUP = 2,   /* a sector phrase standing for several tickers */
};

typedef struct lex_entity {
    char *name;          /* display name; owned */
    enum lex_kind kind;
    double weight;       /* points added once when any alias occurs */
    char **tickers;      /* (n_tickers) owned strings */
    size_t n_tickers;
    lex_pattern *aliases; /* (n_aliases) */
    size_t n_aliases;
} lex_entity;

typedef struct lex_exposure {
    char *ticker;  /* owned */
    int direction; /* -1, 0, +1: sign of the move an efficiency gain implies */
    char *reason;  /* owned; why, in one line */
} lex_exposure;

typedef struct lexicon {
    lex_phrase *phrases;     /* (n_phrases) */
    size_t n_phrases;
    lex_entity *entities;    /* (n_entities) */
    size_t n_entities;
    lex_exposure *exposure;  /* (n_exposure) */
    size_t n_exposure;
} lexicon;

/* Read dir/phrases.*.lex, dir/entities.lex and dir/exposure.lex.  Errors name
 * 'file': line N: field 'F'.  On success *out is the caller's, lexicon_free(). */
as_err lexicon_load(lexicon **out, const char *dir);
void lexicon_free(lexicon *lex);

/* Exposure direction of ticker, 0 when the lexicon does not list it. */
int lexicon_exposure(const lexicon *lex, const char *ticker);

/* ---- matching (announce_match.c) --------------------------------------- */

/* Normalise UTF-8 text for matching: Latin letters to lower case (unless
 * keep_case), dashes to spaces, typographic quotes to ASCII, whitespace runs
 * to one space.  Returns a heap string the caller frees, or NULL (no memory). */
char *announce_normalise(const char *text, int keep_case);

/* Occurrences of pattern p in normalised text (see README for the syntax:
 * '*' ending a word extends it to the end of the text's word, '#' matches a
 * number). */
int announce_count(const char *text, const char *pattern);

/* ---- scoring (announce.c) ---------------------------------------------- */

typedef struct announce_ticker {
    char *ticker;   /* owned */
    int relevance;  /* 0..100, rule in announce.c */
    int direction;  /* -1, 0, +1; 0 unless the item is an announcement */
} announce_ticker;

typedef struct announce_result {
    double score;            /* 0..100 */
    int is_announcement;     /* score >= threshold */
    int direction;           /* for the hardware and power names: -1 when an
                                announcement, else 0 */
    char **terms;            /* (n_terms) "en:distill*", "entity:DeepSeek"; owned */
    size_t n_terms;
    size_t *entities;        /* (n_entities) indices into lexicon.entities */
    size_t n_entities;
    size_t *phrases;         /* (n_phrases) indices into lexicon.phrases */
    size_t n_phrases;
    announce_ticker *tickers; /* (n_tickers) mentioned tickers, relevance > 0 */
    size_t n_tickers;
} announce_result;

/* Score one item against lex with the given threshold.  On success *out holds
 * heap data the caller releases with announce_result_free(). */
as_err announce_score(announce_result *out, const news_item *item, const lexicon *lex,
                      double threshold);
void announce_result_free(announce_result *r);

#endif
