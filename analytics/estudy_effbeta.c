/*
 * estudy_effbeta.c -- the "efficiency beta": which stocks react most to
 * AI-efficiency announcements.  For one stock, the market-model abnormal
 * return of each day in [from, to] is regressed on that day's announcement
 * score:  AR_t = a + b score_t + u_t.
 *
 * The market model is estimated once, on the estimation window counted back
 * from `from` (cfg->est_start .. cfg->est_end), so announcement days inside
 * the period do not contaminate the normal-return model.  b's standard
 * error is the classical OLS one with divisor n - 2 (two parameters); t
 * follows Student t with n - 2 df.  Not the event study itself.
 */
#include "analytics/estudy.h"

#include <math.h>
#include <stdlib.h>

as_err estudy_efficiency_beta(estudy_effbeta *out, const estudy_panel *panel,
                              int firm, int market, const double *score,
                              int from, int to, const estudy_config *cfg)
{
    out->beta = out->t = out->p = NAN;
    out->n = 0;
    out->status = ESTUDY_SKIP_RANGE;
    int s0 = from + cfg->est_start, L1 = cfg->est_end - cfg->est_start + 1;
    if (s0 < 0 || from > to || to >= panel->ndates)
        return AS_OK;
    const double *y = panel->ret + (size_t)firm * panel->ndates;
    const double *rm = panel->ret + (size_t)market * panel->ndates;
    int np = to - from + 1;
    double *X = malloc((size_t)(2 * L1 + L1 + 3 * np) * sizeof *X);
    if (!X)
        return as_fail(AS_ERR_NOMEM, "efficiency beta: no memory");
    double *Y = X + 2 * L1, *Z = Y + L1, *A = Z + np, *W = A + np;
    int M = 0;
    for (int k = 0; k < L1; k++) {
        int t = s0 + k;
        if (isnan(y[t]) || isnan(rm[t]))
            continue;
        Y[M] = y[t];
        X[M] = 1.0;
        X[L1 + M] = rm[t];
        M++;
    }
    /* Compact the second column next to the first for the column-major call. */
    for (int k = 0; k < M; k++)
        X[M + k] = X[L1 + k];
    double B[2], V[4];
    as_err err = AS_OK;
    out->status = ESTUDY_SKIP_FEW_OBS;
    if (M < cfg->min_est_obs || M < 4)
        goto cleanup;
    err = estudy_ols_batch(B, V, X, Y, M, 2, 1);
    if (err == AS_ERR_NUMERIC) {
        out->status = ESTUDY_SKIP_SINGULAR;
        err = AS_OK;
        goto cleanup;
    }
    if (err)
        goto cleanup;
    int n = 0;
    for (int t = from; t <= to; t++) {
        if (isnan(y[t]) || isnan(rm[t]))
            continue;
        A[n] = y[t] - B[0] - B[1] * rm[t];
        Z[n] = score[t];
        n++;
    }
    out->n = n;
    if (n < 3)
        goto cleanup;
    double zm = 0, am = 0;
    for (int i = 0; i < n; i++) {
        zm += Z[i];
        am += A[i];
    }
    zm /= n;
    am /= n;
    double szz = 0, sza = 0;
    for (int i = 0; i < n; i++) {
        W[i] = Z[i] - zm;
        szz += W[i] * W[i];
        sza += W[i] * (A[i] - am);
    }
    if (!(szz > 0)) { /* no announcement variation in the period */
        out->status = ESTUDY_SKIP_SINGULAR;
        goto cleanup;
    }
    double b = sza / szz, a = am - b * zm, sse = 0;
    for (int i = 0; i < n; i++) {
        double u = A[i] - a - b * Z[i];
        sse += u * u;
    }
    double se = sqrt(sse / (n - 2) / szz);
    out->beta = b;
    out->t = b / se;
    out->p = estudy_t_sf2(out->t, n - 2);
    out->status = ESTUDY_OK;
cleanup:
    free(X);
    return err;
}
