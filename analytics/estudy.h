/*
 * estudy.h -- the event-study engine: abnormal returns, CARs and the group
 * tests, over plain arrays.  No files, no database, no printing here: the
 * loaders (estudy_csv.c, study_db.c) fill an estudy_panel, estudy_run()
 * turns panel + events + config into an estudy_result, the writers and the
 * DB store read the result.
 *
 * Time is in trading days: an event at date index t0 has its estimation
 * window at t0+est_start .. t0+est_end and its event windows at t0+w.start ..
 * t0+w.end, all counted on the panel's own calendar (the union of dates the
 * data has), never in calendar days.
 *
 * Conventions (each formula cites its source where it is computed):
 *   native  -- residual variance with divisor M - p (p regressors including
 *              the intercept; CLM 1997 eq. 4.4.10), forecast-error corrected
 *              CAR variance (MacKinlay 1997 eq. 15; CLM 1997 eq. 4.4.14).
 *   estudy  -- Stata estudy's published conventions (Pacicco, Vena & Venegoni
 *              2018, 2021; estudy.ado 2.1.2): per firm in estudy_run.c, its
 *              group tests in estudy_compat.c, its returns and event dates
 *              in estudy_panel.c.
 *   --beta  the market model's slope for thinly traded stocks: Scholes &
 *              Williams (1977) or Dimson (1979) in estudy_thin.c, residual
 *              divisor M - 2, forecast-error term from the estimator's own
 *              weights W'W in place of (X'X)^-1 (estudy_run.c).
 */
#ifndef AS_ESTUDY_H
#define AS_ESTUDY_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define ESTUDY_MAX_WINDOWS 16
#define ESTUDY_MAX_FACTORS 8

typedef enum estudy_model {
    ESTUDY_MODEL_MARKET = 0,     /* R = a + b Rm + e, OLS */
    ESTUDY_MODEL_MARKET_ADJUSTED, /* AR = R - Rm */
    ESTUDY_MODEL_MEAN_ADJUSTED,  /* AR = R - mean(R over estimation) */
    ESTUDY_MODEL_FACTOR,         /* R = a + b Rm + sum c_k F_k + e, OLS */
} estudy_model;

typedef enum estudy_compat {
    ESTUDY_COMPAT_NATIVE = 0,
    ESTUDY_COMPAT_STATA_ESTUDY,
} estudy_compat;

/* The market model's slope for thinly traded stocks (estudy_thin.c). */
typedef enum estudy_beta {
    ESTUDY_BETA_OLS = 0,          /* the OLS slope on Rm_t */
    ESTUDY_BETA_SCHOLES_WILLIAMS, /* Scholes & Williams (1977) */
    ESTUDY_BETA_DIMSON,           /* Dimson (1979), beta_lags leads and lags */
} estudy_beta;

#define ESTUDY_MAX_BETA_LAGS 10

typedef struct estudy_window {
    int start, end; /* trading days relative to the event, inclusive */
} estudy_window;

typedef struct estudy_config {
    estudy_model model;
    estudy_compat compat;
    estudy_beta beta;         /* market model only; default OLS */
    int beta_lags;            /* Dimson's K (1..ESTUDY_MAX_BETA_LAGS); 1 otherwise */
    int est_start, est_end;   /* estimation window, default -250 .. -11 */
    int min_est_obs;          /* fewer usable estimation days: firm skipped */
    int log_returns;          /* panel returns are log returns (BHAR converts) */
    int nwindows;
    estudy_window windows[ESTUDY_MAX_WINDOWS];
    /* Extra days of the AR path kept for the CAR chart (the database mode
     * keeps -10..+10).  They widen the span of r->ar but enter no window,
     * test, rank or missing count, so statistics do not depend on them.
     * Empty when path_start > path_end (the default). */
    int path_start, path_end;
} estudy_config;

/* Defaults of issue 3: estimation [-250,-11], windows [0,0] [-1,1] [-5,5]
 * [0,10], market model, native conventions, at least 100 estimation days. */
void estudy_config_default(estudy_config *cfg);

/* Parse "-250:-11" (or "-1:1") into a window; AS_ERR_USAGE naming opt. */
as_err estudy_window_parse(estudy_window *out, const char *opt, const char *s);

/* Parse "ols", "scholes-williams", "dimson" or "dimson:K" (K leads and lags,
 * 1..ESTUDY_MAX_BETA_LAGS; "dimson" is "dimson:1") into cfg->beta and
 * cfg->beta_lags; AS_ERR_USAGE naming opt (the option or setting). */
as_err estudy_beta_parse(estudy_config *cfg, const char *opt, const char *s);

/* The canonical name of cfg's beta: "ols", "scholes-williams", "dimson:K".
 * A static string or buf (at least 16 bytes). */
const char *estudy_beta_name(const estudy_config *cfg, char *buf, size_t len);

/*
 * A panel: nseries return series on one calendar of ndates trading days.
 * ret is series-major so one firm's estimation window is contiguous.
 * price (optional, same shape) is the unadjusted or adjusted close used for
 * market-value changes; NULL when the input had returns only.
 * Memory: estudy_panel_free() frees everything the panel points to.
 */
typedef struct estudy_panel {
    int ndates, nseries;
    int32_t *dates;   /* (ndates) days since 1970-01-01, strictly ascending */
    char **names;     /* (nseries) tickers, heap strings */
    double *ret;      /* (nseries, ndates) simple or log returns; NAN = missing */
    double *price;    /* (nseries, ndates) or NULL; NAN = missing */
} estudy_panel;

as_err estudy_panel_alloc(estudy_panel *p, int ndates, int nseries, int with_price);
void estudy_panel_free(estudy_panel *p);
int estudy_panel_find(const estudy_panel *p, const char *name); /* -1 if absent */
int estudy_panel_date_index(const estudy_panel *p, int32_t day); /* -1 if absent */

/* Flags of estudy_returns_from_prices() and estudy_csv_load_panel(). */
#define ESTUDY_RET_LOG 1     /* ln(P_t / P_last) instead of P_t / P_last - 1 */
#define ESTUDY_RET_NO_GAPS 2 /* Stata estudy: ln(P_t / P_t-1) of adjacent
                              * sessions only, no return across a gap */

/*
 * Returns from prices: simple P_t/P_{t-1} - 1, or log ln(P_t/P_{t-1}) with
 * ESTUDY_RET_LOG.  A missing price makes the return ending there missing,
 * and the next return is taken over the gap from the last observed price
 * ("multi-day", as estudy2's multi_day = TRUE), so a non-trading day does
 * not lose two returns -- unless ESTUDY_RET_NO_GAPS, where that next return
 * is missing too (estudy.ado's ln(p/p[_n-1])).  Non-positive prices are an
 * AS_ERR_PARSE naming the series/date.
 */
as_err estudy_returns_from_prices(estudy_panel *p, int flags);

typedef struct estudy_event {
    int firm;          /* series index in the panel */
    int t0;            /* date index of day 0 */
    int sector;        /* index into the sector name list, -1 = none */
    double shares;     /* shares outstanding, NAN when unknown */
    int no_day0;       /* estudy's weekend rule (estudy_day0): t0 is day +1,
                        * the event has no day 0; only with compat estudy */
} estudy_event;

/*
 * Day 0 of an event dated `day` (days since 1970-01-01) on p's calendar.
 * Native: the first session on or after the date (a weekend or holiday
 * moves to the next session, which is day 0).  compat estudy, as
 * estudy.ado 2.1.2 and its help file: a session is day 0; a Saturday or
 * Sunday is replaced by the Monday after it, which estudy counts as day +1
 * (the Friday is day -1, there is no day 0: *no_day0 = 1), and that Monday
 * must be a session; any other date that is not a session (a weekday
 * holiday) is refused.  Writes *t0, *no_day0.  Returns AS_OK, AS_ERR_RANGE
 * (after the last session) or AS_ERR_NOT_FOUND (estudy refuses the date),
 * without a message: the caller names the source.
 */
as_err estudy_day0(int *t0, int *no_day0, const estudy_panel *p, int32_t day,
                   estudy_compat compat);

/* One test of one group over one window. */
typedef enum estudy_test {
    ESTUDY_TEST_CSECT_T = 0, /* cross-sectional t (Brown & Warner 1985) */
    ESTUDY_TEST_PATELL,      /* Patell (1976) Z */
    ESTUDY_TEST_BMP,         /* Boehmer, Musumeci & Poulsen (1991) */
    ESTUDY_TEST_KP_PATELL,   /* Kolari & Pynnonen (2010) adjusted Patell */
    ESTUDY_TEST_KP_BMP,      /* Kolari & Pynnonen (2010) adjusted BMP */
    ESTUDY_TEST_CORRADO_RANK,/* Corrado (1989), Campbell & Wasley (1993) */
    ESTUDY_TEST_GEN_SIGN,    /* Cowan (1992) generalized sign */
    ESTUDY_TEST_WILCOXON,    /* Wilcoxon (1945) signed rank on CARs */
    ESTUDY_NTESTS
} estudy_test;

const char *estudy_test_name(estudy_test t); /* "csect_t", "patell", ... */

/* Why a firm-event has no result. */
typedef enum estudy_status {
    ESTUDY_OK = 0,
    ESTUDY_SKIP_RANGE,     /* estimation or event window outside the data */
    ESTUDY_SKIP_FEW_OBS,   /* fewer than min_est_obs usable estimation days */
    ESTUDY_SKIP_SINGULAR,  /* regressors collinear in the estimation window */
    ESTUDY_SKIP_NO_MARKET, /* market/factor returns missing on every day */
} estudy_status;

const char *estudy_status_name(estudy_status s);

typedef struct estudy_firm {
    estudy_status status;
    int n_est;          /* estimation days used */
    int n_est_missing;  /* estimation days with a missing firm return */
    int n_est_zero;     /* estimation days with a return of exactly 0 (thin trading) */
    int n_event_missing;/* days of the windows' span with a missing AR */
    int df;             /* degrees of freedom of sigma2 */
    int df_t;           /* degrees of freedom of car_t (and of the Patell
                         * variance df_t / (df_t - 2)); = df when native,
                         * M - k - 1 with compat estudy */
    double alpha, beta; /* intercept and market slope (NAN where not estimated) */
    double sigma2;      /* residual variance, divisor per the convention */
    double pos_frac;    /* share of estimation ARs > 0 (Cowan 1992) */
} estudy_firm;

typedef struct estudy_group {
    char name[96];      /* "all", "event:2025-01-27", "sector:Semiconductors" */
    int n;              /* firm-events with a result */
    double rbar;        /* Kolari-Pynnonen average residual cross-correlation */
    double estimate[ESTUDY_MAX_WINDOWS];                 /* CAAR */
    double stat[ESTUDY_MAX_WINDOWS][ESTUDY_NTESTS];
    double p[ESTUDY_MAX_WINDOWS][ESTUDY_NTESTS];         /* two-sided */
    int nobs[ESTUDY_MAX_WINDOWS][ESTUDY_NTESTS];
} estudy_group;

/*
 * The result.  Per firm-event arrays are indexed [e * span + d] for days
 * d = 0 .. span-1 meaning relative day span_start + d, and [e * nwin + w]
 * for windows.  Memory: one block per kind, estudy_result_free() frees all.
 */
typedef struct estudy_result {
    int nevents, nwin, span, span_start, p; /* p = regressors incl. intercept */
    estudy_compat compat;
    estudy_beta beta;   /* how coef's slope was estimated (cfg->beta) */
    int beta_lags;
    estudy_window windows[ESTUDY_MAX_WINDOWS];
    estudy_firm *firm;  /* (nevents) */
    double *coef;       /* (nevents, p) coefficients, intercept first (with a
                         * thin-trading beta: alpha*, beta* of estudy_thin.c) */
    double *ar;         /* (nevents, span) abnormal returns, NAN missing */
    double *ar_sd;      /* (nevents, span) forecast-error corrected SD of AR */
    double *car, *car_sd, *car_t, *car_p, *bhar, *scar, *mv_change;
                        /* (nevents, nwin); mv_change in $bn, NAN unknown */
    int ngroups;
    estudy_group *groups; /* (ngroups): "all", each event date, each sector */
} estudy_result;

void estudy_result_free(estudy_result *r);

/* The name of test slot t in r's output: estudy_test_name(t), except that
 * with compat estudy two slots hold estudy's own tests: "norm" (its default
 * test) in place of csect_t and "grank" (Kolari & Pynnonen 2011) in place
 * of corrado_rank. */
const char *estudy_result_test_name(const estudy_result *r, estudy_test t);
/* The same for a study run with compat c (a stored study's results). */
const char *estudy_test_name_compat(estudy_test t, estudy_compat c);

/*
 * Run the study.  market is the series index of the market proxy (ignored by
 * mean-adjusted), factors the series indexes of extra regressors (factor
 * model).  sectors names the sector indexes used in events (may be NULL when
 * no event has a sector).  Firm-events that cannot be estimated get a status
 * and NAN results; they are counted, never dropped silently.
 */
as_err estudy_run(estudy_result *out, const estudy_panel *panel,
                  const estudy_event *events, int nevents,
                  const estudy_config *cfg, int market,
                  const int *factors, int nfactors,
                  const char *const *sectors, int nsectors);

/* ---- pieces exposed for tests and for the efficiency beta ------------- */

/*
 * OLS of y on X by the normal equations through LAPACK (dposv), for nrhs
 * right-hand sides at once: X (n, p) column-major, Y (n, nrhs) column-major.
 * Writes B (p, nrhs) and XtXinv (p, p).  AS_ERR_NUMERIC when X'X is singular.
 */
as_err estudy_ols_batch(double *B, double *XtXinv, const double *X,
                        const double *Y, int n, int p, int nrhs);

/*
 * Thin-trading betas (estudy_thin.c) as a linear map of the firm's
 * estimation returns: (alpha*, beta*) = W' y.  xl (M, nl) column-major
 * holds the market's returns Rm_{t+j-K} in column j, j = 0 .. nl-1, nl =
 * 2K+1 (K = 1 for Scholes-Williams), on the M estimation rows used.
 * Writes W (M, 2): column 0 the intercept's weights, column 1 the slope's.
 * AS_ERR_NUMERIC when the market columns are degenerate (no variance,
 * collinear, or Scholes-Williams' 1 + 2 rho_m <= 0).
 */
as_err estudy_thin_weights(double *W, const double *xl, int M, estudy_beta method, int K);

/* The plain-loop reference of estudy_ols_batch for one right-hand side
 * (Gauss-Jordan on X'X); tests compare the two. */
as_err estudy_ols_ref(double *b, double *XtXinv, const double *X,
                      const double *y, int n, int p);

/* Distribution functions (estudy_dist.c). */
double estudy_norm_sf2(double z);          /* two-sided normal p-value */
double estudy_t_sf2(double t, double df);  /* two-sided Student t p-value */

/*
 * Efficiency beta: OLS of the daily abnormal return on the day's
 * AI-efficiency announcement score, AR_t = a + b score_t + u_t, over days
 * [from, to] (date indexes, inclusive).  AR from the market model estimated
 * on the estimation window relative to `from`.  Days without a score count
 * as score 0.  Writes b, its t statistic (OLS SE, divisor n - 2) and n.
 */
typedef struct estudy_effbeta {
    double beta, t, p;
    int n;
    estudy_status status;
} estudy_effbeta;

as_err estudy_efficiency_beta(estudy_effbeta *out, const estudy_panel *panel,
                              int firm, int market, const double *score,
                              int from, int to, const estudy_config *cfg);

/* "YYYY-MM-DD" <-> days since 1970-01-01. */
as_err estudy_date_parse(int32_t *out, const char *s, size_t len);
void estudy_date_format(char out[11], int32_t day);

#endif
