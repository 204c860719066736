/*
 * report_data.h -- everything the event workbook shows, gathered from the
 * database in one place so the sheets (report_workbook.c) never run SQL.
 *
 * report_data_load() reads the study stored for the event date
 * (study_db_find/study_db_load: `aftershock study --event D` or the nightly
 * run's study step wrote it), the prices and returns it used
 * (study_returns), the news behind the event (the events tables when
 * `aftershock events detect` has filled them, else the news of the week
 * before, unscored, flagged) and the stored summaries (`aftershock
 * summarize --event D`), flagged when they are the narrator's text.  It
 * computes no statistic: the workbook, the SQL views and the summaries
 * quote the same stored numbers.  A date without a stored study is
 * AS_ERR_NOT_FOUND with a message naming the command that makes one.
 *
 * Memory: report_data_free() frees everything the struct points to.
 */
#ifndef AS_REPORT_DATA_H
#define AS_REPORT_DATA_H

#include <libpq-fe.h>
#include <math.h>

#include "analytics/study_db.h"
#include "common/error.h"

#define REPORT_MAX_FLAGS 16
#define REPORT_PATH_DAYS 10 /* the CAR path chart spans [-10, +10] at most */

struct report_opts {
    const char *date;        /* event day 0, YYYY-MM-DD (a trading day) */
    const char *command_line;/* for the Method sheet */
    const char *version;     /* aftershock version, for the Method sheet */
};

struct report_stock {
    char ticker[16];
    char name[96];
    char sector[64];         /* "Other" when the security has none */
    int sector_idx;          /* index into sectors */
    int series;              /* index into the returns table */
    double shares;           /* NAN when unknown */
    double ret0;             /* day-0 return as the study used it */
    double ar0_sd;           /* forecast-error corrected SD of the day-0 AR */
    double close0, close_prev; /* closes as traded, day 0 and day -1 */
};

struct report_story {
    char *published;         /* "YYYY-MM-DD HH:MM:SS" UTC; heap */
    char *source, *title, *url; /* heap, url may be NULL */
    double relevance, novelty, score; /* NAN when unscored */
};

struct report_group {
    char *name;              /* study_tests.grp: "all", "sector:NAME"; heap */
    double rbar;             /* Kolari-Pynnonen average residual correlation */
};

struct report_data {
    char date[11];
    char market[16];
    char title[256];         /* the event in one line: date and report_top_story()'s headline */
    study_db_study st;       /* the stored study; stocks[i] is st.firms[i] */
    int est_start, est_end, min_est_obs;
    char return_type[8];     /* simple or log */
    int path_lo, path_hi;    /* the chart's days: [max(-10, path start), path end] */
    double market_ret0;
    struct report_stock *stocks; /* (nstocks) == st.nfirms */
    int nstocks;
    char **sectors;          /* (nsectors) heap */
    int nsectors;
    struct report_group *groups; /* (ngroups) */
    int ngroups;
    /* The returns the study used, estimation window on (study_returns):
     * firms in stocks order, then the market. */
    int ndates, nseries, market_series;
    int32_t *dates;          /* (ndates) days since 1970-01-01 */
    int *days;               /* (ndates) trading day relative to day 0 */
    double *ret, *adj;       /* (nseries, ndates) NAN missing */
    char **series;           /* (nseries) tickers, heap */
    struct report_story *stories; /* (nstories) */
    int nstories;
    int stories_scored;      /* 1 when they come from the events tables */
    char *narrative;         /* heap; "" when no summary is stored */
    int narrative_fallback;  /* 1: narrator text, not a model's */
    char summary_model[64];  /* summaries.model used, "" when none */
    char *flags[REPORT_MAX_FLAGS]; /* heap sentences */
    int nflags;
    char *sources;           /* price providers, e.g. "csv, yahoo"; heap */
    char server_version[32];
    char generated_utc[32];  /* "YYYY-MM-DD HH:MM:SS" */
    const char *command_line, *version;
};

as_err report_data_load(struct report_data *out, PGconn *db, const struct report_opts *o);
void report_data_free(struct report_data *d);

/* Abnormal return of stock i on relative day rel, NAN outside the stored path. */
static inline double report_ar(const struct report_data *d, int i, int rel)
{
    int k = rel - d->st.path_start;
    return k >= 0 && k < d->st.path_len ? d->st.firms[i].path_ar[k] : NAN;
}

/* The index of window [a, b] in the stored study, or -1. */
int report_window(const struct report_data *d, int a, int b);

/* The stock with the largest |day-0 abnormal return| (ties: the first), or
 * -1 when none has one. */
int report_biggest_mover(const struct report_data *d);

/* The event's main story: the scored story with the highest score (ties:
 * the highest relevance to a stock, then the earliest), or -1 when the
 * stories are unscored (no detected event).
 * Its headline is the event's one-line title, and so the mail subject. */
int report_top_story(const struct report_data *d);

#endif
