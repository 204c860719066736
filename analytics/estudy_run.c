/*
 * estudy_run.c -- from a panel and a list of firm-events to abnormal
 * returns, CARs and their standard deviations, BHARs and market-value
 * changes; then hands the group accumulators to estudy_tests.c.
 *
 * Firm-events are processed in batches that share day 0: one design matrix
 * per batch, one X'Y dgemm and one Cholesky solve for every firm whose
 * estimation window is complete, one dgemm for all their residuals and
 * event-window ARs.  Firms with gaps get the same code with their own rows.
 *
 * Variance conventions (written next to each formula below):
 *   native  sigma^2 = sum e^2 / (M - p)                 CLM 1997 eq. 4.4.10
 *           Var(CAR) = sigma^2 (L + s' (X'X)^-1 s)      MacKinlay 1997 eq. 15
 *                      s = sum of regressor rows over the window's days
 *           t -> Student t with M - p degrees of freedom
 *   thin-trading beta (--beta scholes-williams|dimson[:K], market model,
 *   native only; estudy_thin.c): (alpha*, beta*) = W' y, linear in the
 *   firm's estimation returns y given the market's, and
 *           e_t = R_t - alpha* - beta* Rm_t, sigma^2 = sum e^2 / (M - 2)
 *           Var(AR_t) = sigma^2 (1 + x_t' W'W x_t),  x_t = (1, Rm_t)
 *           Var(CAR)  = sigma^2 (L + s' W'W s)
 *           t -> Student t with M - 2 degrees of freedom
 *      MacKinlay's forecast-error term for the estimator actually used:
 *      with iid disturbances of variance sigma^2 (his assumption too),
 *      Cov(alpha*, beta*) = sigma^2 W'W, which is sigma^2 (X'X)^-1 when W
 *      is OLS's X (X'X)^-1.  Its rows need Rm_{t-K} .. Rm_{t+K} as well.
 *   estudy  sigma^2 = r(Var) of the residuals = sum (e - ebar)^2 / (M - 1)
 *           SIM: Var(CAR) = sigma^2 (L + L^2/M + (sum (Rm_t - Rmbar))^2 /
 *                (N_m * r(Var) of Rm))    HMM: sigma^2 L (1 + L/M)
 *           MAM, MFM: sigma^2 L;  t -> Student t with M - k - 1 df
 *           (estudy.ado 2.1.2, Pacicco, Vena & Venegoni 2018, 2021; note the
 *           N_m, not N_m - 1, in the SIM correction denominator, and that
 *           Rmbar, r(Var) of Rm and N_m are the index's own over its
 *           estimation days while the sum runs over the window's days with
 *           an index return: reproduced.)  A weekend event (no_day0) has
 *           estudy's days: its windows' days >= 1 are sessions t0 + d - 1.
 * Not here: file parsing, group statistics, output.
 */
#include "analytics/estudy.h"
#include "analytics/estudy_impl.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Scratch for one batch, carved from one allocation (see batch_alloc). */
typedef struct batch {
    int L1, span, p, cap;
    double *xe;   /* (L1, p) estimation regressors, column-major */
    double *xv;   /* (span, p) event regressors, zero rows where missing */
    int *xmask;   /* (L1) 1 when every regressor is present that day */
    int *vmask;   /* (span) same for event days */
    double *xc;   /* (L1, p) compacted rows of the current set */
    double *yc;   /* (L1, cap) compacted firm returns -> residuals */
    double *yv;   /* (span, cap) event returns -> abnormal returns */
    double *rv;   /* (span, cap) event returns kept for BHAR */
    double *B;    /* (p, cap) coefficients */
    double *V;    /* (p, p) (X'X)^-1 */
    int *rows;    /* (L1) estimation positions of the compact rows */
    double *work; /* (L1 + span) scratch for ranks */
    int nl;       /* thin-trading beta: market leads and lags 2K+1, else 0 */
    double *xl;   /* (L1, nl) Rm_{t+j-K} of each estimation day, column j */
    double *xlc;  /* (L1, nl) compacted rows of the current set */
    double *W;    /* (L1, 2) weights of (alpha*, beta*) (estudy_thin.c) */
    uint64_t *srt; /* (2 (L1 + span)) sort keys for ranks */
} batch;

typedef struct run {
    estudy_result *r;
    const estudy_panel *panel;
    const estudy_event *events;
    const estudy_config *cfg;
    estudy_acc acc;
    int market;
    const int *factors;
    int nfactors;
    int pstata; /* estudy's k + 1: regressors it counts for the t df */
    int K;      /* leads and lags of a thin-trading beta (cfg->beta) */
    int wlo, whi; /* the windows' days as indexes into the AR span: only these
                   * are ranked and counted (cfg->path_* may widen the span) */
} run;

static double *batch_carve(char **cur, size_t n)
{
    double *p = (double *)*cur;
    *cur += n * sizeof(double);
    return p;
}

static int *batch_carve_i(char **cur, size_t n)
{
    int *p = (int *)*cur;
    *cur += ((n * sizeof(int) + 7) / 8) * 8;
    return p;
}

static as_err batch_alloc(batch *b, void **block, int L1, int span, int p, int cap, int nl)
{
    int pp = p > 0 ? p : 1;
    size_t nd = (size_t)L1 * pp + (size_t)span * pp + (size_t)L1 * pp +
                (size_t)L1 * cap + 2 * (size_t)span * cap + (size_t)pp * cap +
                (size_t)pp * pp + (size_t)(L1 + span) + 2 * (size_t)L1 * nl +
                2 * (size_t)L1;
    size_t ni = (size_t)L1 + span + L1 + 32;
    size_t nr = 2 * (size_t)(L1 + span);
    *block = malloc(nd * sizeof(double) + nr * sizeof(uint64_t) + ni * sizeof(int) + 64);
    if (!*block)
        return as_fail(AS_ERR_NOMEM, "event study: no memory for a batch of %d firms", cap);
    char *cur = *block;
    b->L1 = L1;
    b->span = span;
    b->p = p;
    b->cap = cap;
    b->xe = batch_carve(&cur, (size_t)L1 * pp);
    b->xv = batch_carve(&cur, (size_t)span * pp);
    b->xc = batch_carve(&cur, (size_t)L1 * pp);
    b->yc = batch_carve(&cur, (size_t)L1 * cap);
    b->yv = batch_carve(&cur, (size_t)span * cap);
    b->rv = batch_carve(&cur, (size_t)span * cap);
    b->B = batch_carve(&cur, (size_t)pp * cap);
    b->V = batch_carve(&cur, (size_t)pp * pp);
    b->work = batch_carve(&cur, (size_t)(L1 + span));
    b->nl = nl;
    b->xl = batch_carve(&cur, (size_t)L1 * nl);
    b->xlc = batch_carve(&cur, (size_t)L1 * nl);
    b->W = batch_carve(&cur, 2 * (size_t)L1);
    b->srt = (uint64_t *)cur;
    cur += nr * sizeof(uint64_t);
    b->xmask = batch_carve_i(&cur, (size_t)L1);
    b->vmask = batch_carve_i(&cur, (size_t)span);
    b->rows = batch_carve_i(&cur, (size_t)L1);
    return AS_OK;
}

/* Regressor value j (0 = intercept, 1 = market, 2.. = factors) at date t. */
static double regressor(const run *R, int j, int t)
{
    const estudy_panel *P = R->panel;
    if (R->cfg->model == ESTUDY_MODEL_MEAN_ADJUSTED || j == 0)
        return 1.0;
    int s = j == 1 ? R->market : R->factors[j - 2];
    return P->ret[(size_t)s * P->ndates + t];
}

/* Design rows for estimation (from date s0) and event span (from e0). */
static void batch_design(batch *b, const run *R, int s0, int e0)
{
    const estudy_panel *P = R->panel;
    const double *rm = R->market >= 0 ? P->ret + (size_t)R->market * P->ndates : NULL;
    for (int k = 0; k < b->L1; k++) {
        int ok = 1;
        for (int j = 0; j < b->p; j++) {
            double v = regressor(R, j, s0 + k);
            ok &= !isnan(v);
            b->xe[j * b->L1 + k] = v;
        }
        if (b->p == 0) /* market-adjusted: only the market must be there */
            ok = !isnan(rm[s0 + k]);
        /* A thin-trading beta needs the market's leads and lags too; they
         * may lie outside the window (day est_start - K .. est_end + K). */
        for (int j = 0; j < b->nl; j++) {
            int t = s0 + k + j - R->K;
            double v = t >= 0 && t < P->ndates ? rm[t] : NAN;
            ok &= !isnan(v);
            b->xl[(size_t)j * b->L1 + k] = v;
        }
        b->xmask[k] = ok;
    }
    for (int d = 0; d < b->span; d++) {
        int ok = 1;
        for (int j = 0; j < b->p; j++) {
            double v = regressor(R, j, e0 + d);
            ok &= !isnan(v);
            b->xv[j * b->span + d] = v;
        }
        if (b->p == 0)
            ok = !isnan(rm[e0 + d]);
        if (!ok)
            for (int j = 0; j < b->p; j++)
                b->xv[j * b->span + d] = 0.0;
        b->vmask[d] = ok;
    }
}

/*
 * Everything per firm once its residuals (compact, rows[] positions, M of
 * them) and event ARs are known.  coef NULL for market-adjusted.
 */
static void firm_finish(const run *R, batch *b, int e, const double *resid, int M,
                        const double *ar_ev, const double *ret_ev, const double *coef)
{
    estudy_result *r = R->r;
    const estudy_config *cfg = R->cfg;
    const estudy_panel *P = R->panel;
    const estudy_event *ev = &R->events[e];
    estudy_firm *f = &r->firm[e];
    int p = b->p, L1 = b->L1, span = b->span;

    double mean = 0, ss0 = 0, ssc = 0;
    int pos = 0;
    for (int k = 0; k < M; k++) {
        mean += resid[k];
        ss0 += resid[k] * resid[k];
        pos += resid[k] > 0;
    }
    mean /= M;
    for (int k = 0; k < M; k++)
        ssc += (resid[k] - mean) * (resid[k] - mean);
    f->n_est = M;
    f->pos_frac = (double)pos / M;
    int compat = cfg->compat == ESTUDY_COMPAT_STATA_ESTUDY;
    if (compat) {
        /* estudy: `summarize` of the residuals, r(Var) divides by M - 1;
         * its t (and its Patell variance) use M - k - 1 */
        f->df = M - 1;
        f->sigma2 = ssc / (M - 1);
        f->df_t = M - R->pstata;
    } else if (p > 0) {
        /* OLS: M - p (CLM 1997 eq. 4.4.10), residual mean is 0 */
        f->df = f->df_t = M - p;
        f->sigma2 = ss0 / (M - p);
    } else {
        /* market-adjusted: no parameters, the mean is estimated: M - 1 */
        f->df = f->df_t = M - 1;
        f->sigma2 = ssc / (M - 1);
    }
    if (coef) {
        for (int j = 0; j < p; j++)
            r->coef[(size_t)e * r->p + j] = coef[j];
        f->alpha = coef[0];
        f->beta = p > 1 ? coef[1] : NAN;
    }
    double s2 = f->sigma2;

    /* estudy's SIM correction takes the market's moments with `summarize`
     * over the market's own estimation days (r(mean), r(Var) with divisor
     * N_m - 1, r(N) = N_m), not over the firm's rows: they differ when the
     * firm has gaps. */
    double rm_mean = 0, rm_var = 0;
    int n_m = 0;
    if (compat && cfg->model == ESTUDY_MODEL_MARKET) {
        for (int k = 0; k < L1; k++)
            if (b->xmask[k]) {
                rm_mean += b->xe[L1 + k];
                n_m++;
            }
        rm_mean /= n_m;
        for (int k = 0; k < L1; k++)
            if (b->xmask[k]) {
                double d = b->xe[L1 + k] - rm_mean;
                rm_var += d * d;
            }
        rm_var /= n_m - 1;
    }

    /* Daily ARs and their forecast-error corrected SD (Patell 1976 eq. 5:
     * Var(AR_t) = sigma^2 (1 + x_t' (X'X)^-1 x_t)). */
    f->n_event_missing = 0;
    for (int d = 0; d < span; d++) {
        double a = ar_ev[d];
        r->ar[(size_t)e * span + d] = a;
        if (isnan(a)) {
            f->n_event_missing += d >= R->wlo && d <= R->whi;
            r->ar_sd[(size_t)e * span + d] = NAN;
            continue;
        }
        double q = 0;
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
                q += b->xv[i * span + d] * b->V[j * p + i] * b->xv[j * span + d];
        r->ar_sd[(size_t)e * span + d] = sqrt(s2 * (1.0 + q));
    }

    for (int w = 0; w < r->nwin; w++) {
        /* estudy's weekend rule: its days 1, 2, ... are sessions t0, t0+1,
         * ..., its day 0 does not exist, negative days are unchanged. */
        int ws = r->windows[w].start, we = r->windows[w].end;
        if (ev->no_day0) {
            ws -= ws > 0;
            we -= we >= 0;
        }
        int d0 = ws - r->span_start, d1 = we - r->span_start;
        double car = 0, sv[ESTUDY_MAX_FACTORS + 2] = {0}, rm_dev = 0;
        double bh_r = 1, bh_n = 1;
        int L = 0;
        for (int d = d0; d <= d1; d++) {
            /* estudy sums Rm - mean over every window day with a market
             * return, whether or not the firm has one */
            if (compat && p > 1 && b->vmask[d])
                rm_dev += b->xv[span + d] - rm_mean;
            double a = ar_ev[d];
            if (isnan(a))
                continue;
            L++;
            car += a;
            for (int j = 0; j < p; j++)
                sv[j] += b->xv[j * span + d];
            /* BHAR in simple-return space (Barber & Lyon 1997):
             * prod(1+R) - prod(1+R_normal), R_normal = R - AR. */
            double rr = ret_ev[d], rn = ret_ev[d] - a;
            if (cfg->log_returns) {
                rr = exp(rr) - 1.0;
                rn = exp(rn) - 1.0;
            }
            bh_r *= 1.0 + rr;
            bh_n *= 1.0 + rn;
        }
        size_t k = (size_t)e * r->nwin + w;
        if (L == 0) {
            r->car[k] = r->car_sd[k] = r->car_t[k] = r->car_p[k] = NAN;
            r->bhar[k] = r->scar[k] = NAN;
        } else {
            double var;
            if (compat) {
                if (cfg->model == ESTUDY_MODEL_MARKET)
                    var = s2 * (L + (double)L * L / M + rm_dev * rm_dev / (n_m * rm_var));
                else if (cfg->model == ESTUDY_MODEL_MEAN_ADJUSTED)
                    var = s2 * L * (1.0 + (double)L / M);
                else
                    var = s2 * L;
            } else {
                /* MacKinlay 1997 eq. 15 summed over the window:
                 * gamma' sigma^2 (I + X*(X'X)^-1 X*') gamma. */
                double q = 0;
                for (int i = 0; i < p; i++)
                    for (int j = 0; j < p; j++)
                        q += sv[i] * b->V[j * p + i] * sv[j];
                var = s2 * (L + q);
            }
            r->car[k] = car;
            r->car_sd[k] = sqrt(var);
            r->car_t[k] = car / r->car_sd[k];
            r->car_p[k] = estudy_t_sf2(r->car_t[k], f->df_t);
            r->scar[k] = r->car_t[k];
            r->bhar[k] = bh_r - bh_n;
        }
        /* Market value: shares x (close at window end - close before the
         * window), in $bn. */
        r->mv_change[k] = NAN;
        int ta = ev->t0 + ws - 1, tb = ev->t0 + we;
        if (P->price && !isnan(ev->shares) && ta >= 0 && tb < P->ndates) {
            const double *px = P->price + (size_t)ev->firm * P->ndates;
            if (!isnan(px[ta]) && !isnan(px[tb]))
                r->mv_change[k] = ev->shares * (px[tb] - px[ta]) / 1e9;
        }
    }

    /* estudy's group tests (estudy_compat.c) need the residuals themselves:
     * pairwise correlations, ranks within the estimation window. */
    if (R->acc.resid) {
        double *res = R->acc.resid + (size_t)e * L1;
        for (int k = 0; k < L1; k++)
            res[k] = NAN;
        for (int k = 0; k < M; k++)
            res[b->rows[k]] = resid[k];
    }

    /* Kolari & Pynnonen (2010): unit-norm centred residual vectors of the
     * firms sharing this day 0; the sum of their pairwise correlations
     * comes from the sum of the vectors (acc_fold_date). */
    const int *g = R->acc.gmap + (size_t)e * ESTUDY_GROUPS_PER_EVENT;
    double norm = ssc > 0 ? 1.0 / sqrt(ssc) : 0.0;
    for (int gi = 0; gi < ESTUDY_GROUPS_PER_EVENT; gi++) {
        if (g[gi] < 0)
            continue;
        double *zs = R->acc.zsum + (size_t)g[gi] * L1;
        for (int k = 0; k < M; k++)
            zs[b->rows[k]] += (resid[k] - mean) * norm;
        R->acc.zcnt[g[gi]]++;
    }

    /* Corrado (1989) ranks over estimation + event span. */
    double *v = b->work;
    for (int k = 0; k < L1; k++)
        v[k] = NAN;
    for (int k = 0; k < M; k++)
        v[b->rows[k]] = resid[k];
    for (int d = 0; d < span; d++)
        v[L1 + d] = d >= R->wlo && d <= R->whi ? ar_ev[d] : NAN;
    double u[L1 + span];
    estudy_ranks_standardized(u, v, L1 + span, b->srt, b->srt + L1 + span);
    for (int gi = 0; gi < ESTUDY_GROUPS_PER_EVENT; gi++) {
        if (g[gi] < 0)
            continue;
        double *us = R->acc.usum + (size_t)g[gi] * R->acc.T;
        double *uc = R->acc.ucnt + (size_t)g[gi] * R->acc.T;
        for (int k = 0; k < L1 + span; k++)
            if (!isnan(u[k])) {
                us[k] += u[k];
                uc[k] += 1;
            }
    }
    f->status = ESTUDY_OK;
}

/*
 * Estimate the firms list[0..n) that share the estimation rows mask (1 =
 * usable) and finish each.  For n > 1 this is the batched path.
 */
static as_err set_estimate(const run *R, batch *b, const int *list, int n,
                           const int *mask, int s0, int e0)
{
    const estudy_panel *P = R->panel;
    int L1 = b->L1, span = b->span, p = b->p;
    int M = 0;
    for (int k = 0; k < L1; k++)
        if (mask[k])
            b->rows[M++] = k;
    /* Dimson's regression has 2K + 2 coefficients: keep 2 residual df. */
    if (M < R->cfg->min_est_obs || M <= p + 2 || (b->nl && M <= b->nl + 2)) {
        for (int i = 0; i < n; i++) {
            R->r->firm[list[i]].status = ESTUDY_SKIP_FEW_OBS;
            R->r->firm[list[i]].n_est = M;
        }
        return AS_OK;
    }
    const double *rm = R->market >= 0 ? P->ret + (size_t)R->market * P->ndates : NULL;
    for (int j = 0; j < p; j++)
        for (int k = 0; k < M; k++)
            b->xc[j * M + k] = b->xe[j * L1 + b->rows[k]];
    for (int i = 0; i < n; i++) {
        const double *y = P->ret + (size_t)R->events[list[i]].firm * P->ndates;
        for (int k = 0; k < M; k++) {
            double v = y[s0 + b->rows[k]];
            if (p == 0)
                v -= rm[s0 + b->rows[k]];
            b->yc[(size_t)i * M + k] = v;
        }
        for (int d = 0; d < span; d++) {
            double v = y[e0 + d];
            b->rv[(size_t)i * span + d] = v;
            if (!b->vmask[d])
                v = NAN;
            else if (p == 0)
                v -= rm[e0 + d];
            b->yv[(size_t)i * span + d] = v;
        }
    }
    if (b->nl) {
        /* Thin-trading beta: (alpha*, beta*) = W' y for every firm of the
         * set and, in place of (X'X)^-1, W' W, the covariance of the
         * estimator per unit residual variance (estudy_thin.c, README). */
        for (int j = 0; j < b->nl; j++)
            for (int k = 0; k < M; k++)
                b->xlc[(size_t)j * M + k] = b->xl[(size_t)j * L1 + b->rows[k]];
        as_err err = estudy_thin_weights(b->W, b->xlc, M, R->cfg->beta, R->K);
        if (err == AS_ERR_NUMERIC) {
            for (int i = 0; i < n; i++)
                R->r->firm[list[i]].status = ESTUDY_SKIP_SINGULAR;
            return AS_OK;
        }
        if (err)
            return err;
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, 2, n, M, 1.0, b->W, M, b->yc, M,
                    0.0, b->B, 2);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, 2, 2, M, 1.0, b->W, M, b->W, M,
                    0.0, b->V, 2);
    }
    if (p > 0) {
        as_err err = b->nl ? AS_OK : estudy_ols_batch(b->B, b->V, b->xc, b->yc, M, p, n);
        if (err == AS_ERR_NUMERIC) {
            for (int i = 0; i < n; i++)
                R->r->firm[list[i]].status = ESTUDY_SKIP_SINGULAR;
            return AS_OK;
        }
        if (err)
            return err;
        /* Residuals and event ARs for the whole set: Y - X B, two dgemms. */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, n, p, -1.0, b->xc, M,
                    b->B, p, 1.0, b->yc, M);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, span, n, p, -1.0, b->xv,
                    span, b->B, p, 1.0, b->yv, span);
    }
    for (int i = 0; i < n; i++)
        firm_finish(R, b, list[i], b->yc + (size_t)i * M, M, b->yv + (size_t)i * span,
                    b->rv + (size_t)i * span, p > 0 ? b->B + (size_t)i * p : NULL);
    return AS_OK;
}

/*
 * After the firms of one event date: |sum z_i|^2 - n is the sum over the
 * ordered pairs i != j of that date of corr(e_i, e_j) (unit-norm centred
 * z_i), added to the group's pair sum; zsum starts again at 0 for the next
 * date.  Pairs of firm-events with different day 0 add nothing: their
 * estimation residuals are series of different calendar days, whose
 * correlation is not the cross-correlation Kolari & Pynnonen (2010) correct
 * for, and events on different dates are taken as cross-sectionally
 * independent (so a group of one date gets KP's rbar exactly).
 */
static void acc_fold_date(estudy_acc *acc, int ngroups)
{
    for (int g = 0; g < ngroups; g++) {
        if (!acc->zcnt[g])
            continue;
        double *zs = acc->zsum + (size_t)g * acc->L1, zz = 0;
        for (int k = 0; k < acc->L1; k++) {
            zz += zs[k] * zs[k];
            zs[k] = 0;
        }
        acc->zpair[g] += zz - acc->zcnt[g];
        acc->zcnt[g] = 0;
    }
}

static as_err batch_run(const run *R, batch *b, const int *list, int n, int t0,
                        int *incomplete, int *mask)
{
    const estudy_panel *P = R->panel;
    const estudy_config *cfg = R->cfg;
    int s0 = t0 + cfg->est_start, e0 = t0 + R->r->span_start;
    if (s0 < 0 || e0 + b->span > P->ndates) {
        for (int i = 0; i < n; i++)
            R->r->firm[list[i]].status = ESTUDY_SKIP_RANGE;
        return AS_OK;
    }
    batch_design(b, R, s0, e0);
    int nx = 0;
    for (int k = 0; k < b->L1; k++)
        nx += b->xmask[k];
    if (nx == 0 && cfg->model != ESTUDY_MODEL_MEAN_ADJUSTED) {
        for (int i = 0; i < n; i++)
            R->r->firm[list[i]].status = ESTUDY_SKIP_NO_MARKET;
        return AS_OK;
    }
    /* Split: firms with every estimation day present share one solve. */
    int nc = 0, ni = 0;
    int *complete = incomplete + n;
    for (int i = 0; i < n; i++) {
        const double *y = P->ret + (size_t)R->events[list[i]].firm * P->ndates + s0;
        estudy_firm *f = &R->r->firm[list[i]];
        int miss = 0, zero = 0, gap = 0;
        for (int k = 0; k < b->L1; k++) {
            int m = isnan(y[k]);
            miss += m;
            zero += y[k] == 0.0;
            gap |= m & b->xmask[k];
        }
        f->n_est_missing = miss;
        f->n_est_zero = zero;
        int full = !gap;
        if (full)
            complete[nc++] = list[i];
        else
            incomplete[ni++] = list[i];
    }
    for (int start = 0; start < nc; start += b->cap) {
        int m = nc - start < b->cap ? nc - start : b->cap;
        as_err err = set_estimate(R, b, complete + start, m, b->xmask, s0, e0);
        if (err)
            return err;
    }
    for (int i = 0; i < ni; i++) {
        const double *y = P->ret + (size_t)R->events[incomplete[i]].firm * P->ndates + s0;
        for (int k = 0; k < b->L1; k++)
            mask[k] = b->xmask[k] && !isnan(y[k]);
        as_err err = set_estimate(R, b, &incomplete[i], 1, mask, s0, e0);
        if (err)
            return err;
    }
    return AS_OK;
}

/*
 * Heap block for a result array, freed with free().  Arrays past a few MB
 * are 2 MB aligned and marked for transparent huge pages: a 250,000
 * firm-event result is 120 MB written once, and 4 KB page faults on it
 * were a tenth of the run.  Only a hint: where the kernel declines, the
 * memory is the same.
 */
static void *result_alloc(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < 2 * huge)
        return malloc(bytes ? bytes : 1);
    size_t len = (bytes + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, len);
    if (p)
        madvise(p, len, MADV_HUGEPAGE);
    return p;
}

void estudy_result_free(estudy_result *r)
{
    free(r->firm);
    free(r->coef);
    free(r->ar);
    free(r->car);
    free(r->groups);
    memset(r, 0, sizeof *r);
}

static int cmp_by_t0(const void *a, const void *b, void *ctx)
{
    const estudy_event *ev = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    if (ev[x].t0 != ev[y].t0)
        return (ev[x].t0 > ev[y].t0) - (ev[x].t0 < ev[y].t0);
    return (x > y) - (x < y);
}

/* Groups: "all", one per distinct day 0, one per sector used. */
static as_err groups_build(estudy_result *r, int *gmap, const estudy_panel *P,
                           const estudy_event *ev, int n, const int *order,
                           const char *const *sectors, int nsectors)
{
    int ndays = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || ev[order[i]].t0 != ev[order[i - 1]].t0)
            ndays++;
    /* With one event date its group would repeat "all": left out. */
    int nday_groups = ndays > 1 ? ndays : 0;
    r->ngroups = 1 + nday_groups + nsectors;
    r->groups = calloc((size_t)r->ngroups, sizeof *r->groups);
    if (!r->groups)
        return as_fail(AS_ERR_NOMEM, "event study: no memory for groups");
    snprintf(r->groups[0].name, sizeof r->groups[0].name, "all");
    int g = 0;
    for (int i = 0; i < n; i++) {
        int e = order[i];
        if (nday_groups && (i == 0 || ev[e].t0 != ev[order[i - 1]].t0)) {
            g++;
            char d[11];
            estudy_date_format(d, P->dates[ev[e].t0]);
            snprintf(r->groups[g].name, sizeof r->groups[g].name, "event:%s", d);
        }
        int *m = gmap + (size_t)e * ESTUDY_GROUPS_PER_EVENT;
        m[0] = 0;
        m[1] = nday_groups ? g : -1;
        m[2] = ev[e].sector >= 0 && ev[e].sector < nsectors ? 1 + nday_groups + ev[e].sector
                                                             : -1;
    }
    for (int s = 0; s < nsectors; s++)
        snprintf(r->groups[1 + nday_groups + s].name, sizeof r->groups[0].name, "sector:%s",
                 sectors[s]);
    return AS_OK;
}

as_err estudy_run(estudy_result *out, const estudy_panel *panel,
                  const estudy_event *events, int nevents,
                  const estudy_config *cfg, int market,
                  const int *factors, int nfactors,
                  const char *const *sectors, int nsectors)
{
    memset(out, 0, sizeof *out);
    if (cfg->nwindows < 1 || cfg->nwindows > ESTUDY_MAX_WINDOWS)
        return as_fail(AS_ERR_USAGE, "event study: need 1 to %d event windows",
                       ESTUDY_MAX_WINDOWS);
    if (nfactors < 0 || nfactors > ESTUDY_MAX_FACTORS)
        return as_fail(AS_ERR_USAGE, "event study: at most %d factors", ESTUDY_MAX_FACTORS);
    if (cfg->model == ESTUDY_MODEL_FACTOR && nfactors == 0)
        return as_fail(AS_ERR_USAGE, "event study: the factor model needs --factors");
    if (cfg->model != ESTUDY_MODEL_MEAN_ADJUSTED && (market < 0 || market >= panel->nseries))
        return as_fail(AS_ERR_USAGE, "event study: no market series");
    int thin = cfg->beta != ESTUDY_BETA_OLS;
    if (thin && cfg->model != ESTUDY_MODEL_MARKET)
        return as_fail(AS_ERR_USAGE, "event study: a Scholes-Williams or Dimson beta is a "
                                     "market-model option (--model market)");
    if (thin && cfg->compat == ESTUDY_COMPAT_STATA_ESTUDY)
        return as_fail(AS_ERR_USAGE, "event study: Stata estudy has no thin-trading beta; "
                                     "--compat estudy takes --beta ols");
    if (thin && (cfg->beta_lags < 1 || cfg->beta_lags > ESTUDY_MAX_BETA_LAGS))
        return as_fail(AS_ERR_USAGE, "event study: Dimson's leads and lags must be 1 to %d",
                       ESTUDY_MAX_BETA_LAGS);
    int lo = cfg->windows[0].start, hi = cfg->windows[0].end;
    for (int w = 1; w < cfg->nwindows; w++) {
        lo = cfg->windows[w].start < lo ? cfg->windows[w].start : lo;
        hi = cfg->windows[w].end > hi ? cfg->windows[w].end : hi;
    }
    int wlo = lo, whi = hi;
    if (cfg->path_start <= cfg->path_end) {
        lo = cfg->path_start < lo ? cfg->path_start : lo;
        hi = cfg->path_end > hi ? cfg->path_end : hi;
    }
    if (cfg->est_end >= lo || cfg->est_start > cfg->est_end)
        return as_fail(AS_ERR_USAGE,
                       "event study: estimation window %d:%d must end before the first "
                       "event day %d", cfg->est_start, cfg->est_end, lo);
    for (int i = 0; i < nevents; i++)
        if (events[i].firm < 0 || events[i].firm >= panel->nseries || events[i].t0 < 0 ||
            events[i].t0 >= panel->ndates)
            return as_fail(AS_ERR_RANGE, "event study: event %d is outside the panel", i);

    int p;
    switch (cfg->model) {
    case ESTUDY_MODEL_MARKET: p = 2; break;
    case ESTUDY_MODEL_FACTOR: p = 2 + nfactors; break;
    case ESTUDY_MODEL_MEAN_ADJUSTED: p = 1; break;
    case ESTUDY_MODEL_MARKET_ADJUSTED: p = 0; break;
    default: return as_fail(AS_ERR_USAGE, "event study: unknown model");
    }
    estudy_result *r = out;
    r->nevents = nevents;
    r->nwin = cfg->nwindows;
    memcpy(r->windows, cfg->windows, sizeof r->windows);
    r->span_start = lo;
    r->span = hi - lo + 1;
    r->p = p;
    r->compat = cfg->compat;
    r->beta = cfg->beta;
    r->beta_lags = cfg->beta_lags;
    int L1 = cfg->est_end - cfg->est_start + 1;
    size_t ne = (size_t)(nevents ? nevents : 1);
    size_t nw = ne * r->nwin, ns = ne * r->span;

    run R = {.r = r, .panel = panel, .events = events, .cfg = cfg, .market = market,
             .factors = factors, .nfactors = nfactors,
             .pstata = cfg->model == ESTUDY_MODEL_FACTOR ? 2 + nfactors : 2,
             .K = cfg->beta == ESTUDY_BETA_DIMSON ? cfg->beta_lags : 1,
             .wlo = wlo - lo, .whi = whi - lo};
    batch b;
    void *block = NULL;
    int *order = NULL, *iwork = NULL;
    int blas_threads = 0;
    as_err err = AS_OK;

    r->firm = calloc(ne, sizeof *r->firm);
    r->coef = malloc(ne * (size_t)(p ? p : 1) * sizeof *r->coef);
    r->ar = result_alloc(2 * ns * sizeof *r->ar);
    r->car = result_alloc(7 * nw * sizeof *r->car);
    order = malloc(ne * sizeof *order);
    iwork = malloc((2 * ne + (size_t)L1) * sizeof *iwork);
    R.acc.L1 = L1;
    R.acc.T = L1 + r->span;
    R.acc.gmap = malloc(ne * ESTUDY_GROUPS_PER_EVENT * sizeof *R.acc.gmap);
    if (!r->firm || !r->coef || !r->ar || !r->car || !order || !iwork || !R.acc.gmap) {
        err = as_fail(AS_ERR_NOMEM, "event study: no memory for %d firm-events", nevents);
        goto cleanup;
    }
    r->ar_sd = r->ar + ns;
    r->car_sd = r->car + nw;
    r->car_t = r->car + 2 * nw;
    r->car_p = r->car + 3 * nw;
    r->bhar = r->car + 4 * nw;
    r->scar = r->car + 5 * nw;
    r->mv_change = r->car + 6 * nw;
    for (size_t i = 0; i < ne * (size_t)(p ? p : 1); i++)
        r->coef[i] = NAN;
    for (size_t i = 0; i < 2 * ns; i++)
        r->ar[i] = NAN;
    for (size_t i = 0; i < 7 * nw; i++)
        r->car[i] = NAN;
    for (int i = 0; i < nevents; i++) {
        order[i] = i;
        r->firm[i].alpha = r->firm[i].beta = r->firm[i].sigma2 = NAN;
        r->firm[i].pos_frac = NAN;
        r->firm[i].status = ESTUDY_SKIP_RANGE;
    }
    qsort_r(order, (size_t)nevents, sizeof *order, cmp_by_t0, (void *)events);
    err = groups_build(r, R.acc.gmap, panel, events, nevents, order, sectors, nsectors);
    if (err)
        goto cleanup;
    R.acc.zsum = calloc((size_t)r->ngroups * (L1 + 1) + 2 * (size_t)r->ngroups * R.acc.T,
                        sizeof(double));
    R.acc.zcnt = calloc((size_t)r->ngroups, sizeof *R.acc.zcnt);
    if (!R.acc.zsum || !R.acc.zcnt) {
        err = as_fail(AS_ERR_NOMEM, "event study: no memory for group accumulators");
        goto cleanup;
    }
    R.acc.usum = R.acc.zsum + (size_t)r->ngroups * L1;
    R.acc.ucnt = R.acc.usum + (size_t)r->ngroups * R.acc.T;
    R.acc.zpair = R.acc.ucnt + (size_t)r->ngroups * R.acc.T;
    R.acc.events = events;
    R.acc.kstata = R.pstata - 1;
    if (cfg->compat == ESTUDY_COMPAT_STATA_ESTUDY &&
        !(R.acc.resid = malloc(ne * (size_t)L1 * sizeof *R.acc.resid))) {
        err = as_fail(AS_ERR_NOMEM, "event study: no memory for %d residual series", nevents);
        goto cleanup;
    }
    if (R.acc.resid)
        for (size_t i = 0; i < ne * (size_t)L1; i++)
            R.acc.resid[i] = NAN; /* firm-events never estimated stay missing */

    /* The batch width bounds the scratch (L1 x cap doubles): 4096 firms is
     * 8 MB at L1 = 240 and already one dgemm wide enough for OpenBLAS. */
    int cap = nevents < 4096 ? (nevents > 0 ? nevents : 1) : 4096;
    err = batch_alloc(&b, &block, L1, r->span, p, cap, thin ? 2 * R.K + 1 : 0);
    if (err)
        goto cleanup;
    int *mask = iwork + 2 * ne;
    /* Many small solves (p regressors, a few hundred rows): OpenBLAS's own
     * threads only spin against each other and this loop on a small
     * machine, so run them single-threaded and restore the setting after. */
    blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (int i = 0; i < nevents;) {
        int j = i;
        while (j < nevents && events[order[j]].t0 == events[order[i]].t0)
            j++;
        err = batch_run(&R, &b, order + i, j - i, events[order[i]].t0, iwork, mask);
        if (err)
            goto cleanup;
        acc_fold_date(&R.acc, r->ngroups);
        i = j;
    }
    err = estudy_groups_test(r, &R.acc);

cleanup:
    if (blas_threads > 0)
        openblas_set_num_threads(blas_threads);
    free(block);
    free(order);
    free(iwork);
    free(R.acc.gmap);
    free(R.acc.zsum);
    free(R.acc.zcnt);
    free(R.acc.resid);
    if (err)
        estudy_result_free(r);
    return err;
}
