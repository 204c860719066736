/*
 * report_data.h -- everything the event workbook shows, gathered from the
 * database in one place so the sheets (workbook.c) never run SQL.
 *
 * report_data_load() reads the study universe (securities of kind 'stock'
 * with prices, and the market proxy), builds the return panel from
 * adjusted closes and runs the event study through the engine's library
 * API (analytics/estudy.h) for day 0 = the event date; it reads the news
 * behind the event (from the events tables when `aftershock events detect`
 * has filled them, else the news of the week before, unscored, flagged),
 * and writes the Summary narrative with the narrator (model/narrator.h),
 * flagged as fallback text because no model summary is read yet.
 *
 * Why the study is computed here: the study's results tables are not in
 * the schema yet; when they are, only this file changes.
 * Memory: report_data_free() frees everything the struct points to.
 */
#ifndef AS_REPORT_DATA_H
#define AS_REPORT_DATA_H

#include <libpq-fe.h>

#include "analytics/estudy.h"
#include "common/error.h"

#define REPORT_MAX_FLAGS 16
#define REPORT_PATH_DAYS 10 /* the CAR path chart spans [-10, +10] */

struct report_opts {
    const char *date;        /* event day 0, YYYY-MM-DD (a trading day) */
    const char *market;      /* market proxy ticker; NULL = study.market */
    const char *model;       /* NULL = study.model */
    const char *estimation;  /* "-250:-11"; NULL = study.estimation */
    const char *windows;     /* "0:0 -1:1 ..."; NULL = study.windows */
    const char *command_line;/* for the Method sheet */
    const char *version;     /* aftershock version, for the Method sheet */
};

struct report_stock {
    char ticker[16];
    char name[96];
    char sector[64];
    int series;              /* index in the panel */
    int event;               /* index in the study's events/results */
    double shares;           /* NAN when unknown */
    double ret0;             /* day-0 simple return (adjusted closes) */
    double close0, close_prev; /* closes as traded, day 0 and day -1 */
};

struct report_story {
    char *published;         /* "YYYY-MM-DD HH:MM:SS" UTC; heap */
    char *source, *title, *url; /* heap, url may be NULL */
    double relevance, novelty, score; /* NAN when unscored */
};

struct report_data {
    char date[11];
    char market[16];
    char title[256];         /* the event in one line */
    estudy_config cfg;       /* windows: the observable configured ones,
                              * then the hidden [-10, +k] path window */
    int nwin_shown;          /* windows of cfg shown on Impact and Groups */
    estudy_panel panel;
    estudy_event *events;    /* (nstocks) */
    estudy_result res;
    int market_series, t0;
    double market_ret0;
    int days_after;          /* trading days of data after day 0 (<= 10) */
    struct report_stock *stocks; /* (nstocks) */
    int nstocks;
    char **sectors;          /* (nsectors) heap */
    int nsectors;
    struct report_story *stories; /* (nstories) */
    int nstories;
    int stories_scored;      /* 1 when they come from the events tables */
    char *narrative;         /* heap */
    int narrative_fallback;  /* 1: narrator text, not a model summary */
    char *flags[REPORT_MAX_FLAGS]; /* heap sentences */
    int nflags;
    char *sources;           /* price providers, e.g. "csv, yahoo"; heap */
    char server_version[32];
    char generated_utc[32];  /* "YYYY-MM-DD HH:MM:SS" */
    const char *command_line, *version;
};

as_err report_data_load(struct report_data *out, PGconn *db, const struct report_opts *o);
void report_data_free(struct report_data *d);

/* The results row of stock i for window w, as the engine indexes it. */
static inline size_t report_k(const struct report_data *d, int i, int w)
{
    return (size_t)d->stocks[i].event * (size_t)d->res.nwin + (size_t)w;
}

/* Abnormal return of stock i on relative day rel (inside the study's span). */
static inline double report_ar(const struct report_data *d, int i, int rel)
{
    return d->res.ar[(size_t)d->stocks[i].event * (size_t)d->res.span +
                     (size_t)(rel - d->res.span_start)];
}

/* The stock with the largest |day-0 abnormal return| (ties: the first), or
 * -1 when none has one. */
int report_biggest_mover(const struct report_data *d);

#endif
