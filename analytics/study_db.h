/*
 * study_db.h -- the event study against PostgreSQL: inputs from prices,
 * securities and shares_outstanding, results into the tables of
 * sql/010_study.sql, and the loader the reports read them back with.
 *
 * study_run_db() reads adj_close (returns) and close (market values) for the
 * firms and the market proxy, runs estudy_run() unchanged, and stores the
 * study in ONE transaction: a study with the same settings (studies.study_key)
 * keeps its id and has its rows replaced, so a re-run duplicates nothing and
 * a failed run leaves the previous results as they were.  Bad input (an
 * unknown ticker, no prices around the event) is an as_fail() naming the
 * option and the value, before anything is written.
 *
 * Not here: the engine (estudy_run.c), printing (estudy_write.c), options
 * (cli/cmd_study.c).
 */
#ifndef AS_STUDY_DB_H
#define AS_STUDY_DB_H

#include <libpq-fe.h>

#include "analytics/estudy.h"
#include "common/error.h"

/* The AR path kept in study_ar for the CAR chart: days -10..+10 (wider when
 * a window is; cut at est_end + 1 when the estimation window ends later). */
#define STUDY_DB_PATH_DAYS 10

typedef struct study_db_opts {
    const char *event_date;     /* "YYYY-MM-DD"; a non-trading day moves to the next session */
    const char *const *tickers; /* (ntickers) firms; ignored with all */
    int ntickers;
    int all;                    /* every securities row with kind = 'stock' */
    const char *market;         /* market proxy ticker; NULL only for mean-adjusted */
    estudy_config cfg;          /* windows, estimation, model, compat, log returns */
} study_db_opts;

/*
 * A study as run: the engine's inputs and result, for printing with
 * estudy_write().  Memory: everything is owned here; study_db_run_free().
 */
typedef struct study_db_run {
    long long study_id;
    estudy_panel panel;   /* firms first (in ticker order), the market last */
    estudy_event *events; /* (nevents) one per firm */
    int nevents;
    char **sectors;       /* (nsectors) distinct sectors of the firms */
    int nsectors;
    estudy_result res;
} study_db_run;

/* Run and store the study (see above).  out->study_id is the studies.id. */
as_err study_run_db(study_db_run *out, PGconn *db, const study_db_opts *o);
void study_db_run_free(study_db_run *run);

/*
 * Efficiency beta of each firm over [from, to] against
 * v_daily_announcement_score (sql/020_events.sql), stored in
 * study_efficiency (replacing the same period, market, estimation and
 * ticker).  AS_ERR_NOT_FOUND with a message naming the view when the events
 * migration is absent.  *panel receives the loaded panel (caller
 * estudy_panel_free()s), *eff and *eff_firm heap arrays of *neff entries
 * (caller frees), in the shape estudy_report takes.
 */
as_err study_efficiency_db(estudy_panel *panel, estudy_effbeta **eff, int **eff_firm,
                           int *neff, PGconn *db, const study_db_opts *o, const char *from,
                           const char *to);

/* ---- read back (reports) ---------------------------------------------- */

typedef struct study_db_firm {
    char *ticker, *sector, *status; /* heap strings; sector may be NULL */
    double alpha, beta, sigma, day0_return, ar_day0, mv_change_bn;
    int n_est, n_est_missing, n_est_zero, n_event_missing;
    double car[ESTUDY_MAX_WINDOWS], car_t[ESTUDY_MAX_WINDOWS], car_p[ESTUDY_MAX_WINDOWS];
    double bhar[ESTUDY_MAX_WINDOWS], mv_window_bn[ESTUDY_MAX_WINDOWS];
    double *path_ar, *path_car; /* (path_len) from day path_start; NAN missing */
} study_db_firm;

typedef struct study_db_test {
    char *grp, *test; /* heap strings */
    int window;       /* index into windows[] */
    double estimate, statistic, p;
    int n;
} study_db_test;

typedef struct study_db_study {
    long long id;
    char event_date[11], day0_date[11];
    char *market, *model;  /* heap; market NULL for mean-adjusted */
    int nwin;
    estudy_window windows[ESTUDY_MAX_WINDOWS];
    int path_start, path_len;
    int nfirms;
    study_db_firm *firms;  /* (nfirms) in ticker order */
    int ntests;
    study_db_test *tests;  /* (ntests) by group, window, test */
} study_db_study;

/* The id of the latest study of event_date (any settings); AS_ERR_NOT_FOUND. */
as_err study_db_find(long long *study_id, PGconn *db, const char *event_date);

/* Load a stored study.  Caller study_db_study_free()s. */
as_err study_db_load(study_db_study *out, PGconn *db, long long study_id);
void study_db_study_free(study_db_study *s);

#endif
