/*
 * estudy_thin.c -- the market model's slope for thinly traded stocks.  A
 * stock that does not trade every day reports stale closes: its return
 * catches up with the market a day or more late, the OLS slope on the same
 * day's market return is biased toward zero and the slopes on lagged market
 * returns are not (Scholes & Williams 1977; Dimson 1979).  Two corrections,
 * each written as a linear map W of the firm's estimation returns y onto
 * (alpha*, beta*) = W' y, so that estudy_run.c batches them like OLS and
 * takes the forecast-error correction from W' W (see there and README).
 *
 *   Scholes & Williams (1977, eq. 11 and 13), on the M estimation rows on
 *   which R_t, Rm_{t-1}, Rm_t and Rm_{t+1} all exist (one common sample):
 *     b_k    = OLS slope of R_t on Rm_{t+k}, k = -1, 0, +1 (each a simple
 *              regression with its own intercept)
 *     rho_m  = first-order autocorrelation of the market: the Pearson
 *              correlation of Rm_{t-1} and Rm_t over the rows
 *     beta*  = (b_-1 + b_0 + b_+1) / (1 + 2 rho_m)
 *     alpha* = mean(R_t) - beta* mean(Rm_t)                  (SW eq. 13)
 *   Dimson (1979, eq. 11, "aggregated coefficients"), K leads and lags:
 *     R_t = a + sum_{k=-K..K} b_k Rm_{t+k} + u_t by OLS on the rows where
 *     all 2K + 1 market returns exist;  beta* = sum_k b_k;
 *     alpha* = mean(R_t) - beta* mean(Rm_t), SW's intercept (Dimson
 *     estimates the slope only), so the normal return is alpha* + beta* Rm_t
 *     for both, event days included: no lead market return enters an AR.
 * Conditional on the market's returns both are linear in y; the weights are
 * computed here once per set of rows and shared by every firm with those
 * rows.  Not here: the rows, the ARs and their variance (estudy_run.c).
 */
#include "analytics/estudy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

as_err estudy_beta_parse(estudy_config *cfg, const char *opt, const char *s)
{
    if (strcmp(s, "ols") == 0) {
        cfg->beta = ESTUDY_BETA_OLS;
        cfg->beta_lags = 1;
        return AS_OK;
    }
    if (strcmp(s, "scholes-williams") == 0) {
        cfg->beta = ESTUDY_BETA_SCHOLES_WILLIAMS;
        cfg->beta_lags = 1;
        return AS_OK;
    }
    if (strncmp(s, "dimson", 6) == 0 && (s[6] == '\0' || s[6] == ':')) {
        long k = 1;
        if (s[6] == ':') {
            char *end;
            k = strtol(s + 7, &end, 10);
            if (end == s + 7 || *end || k < 1 || k > ESTUDY_MAX_BETA_LAGS)
                return as_fail(AS_ERR_USAGE, "%s: '%s': Dimson's leads and lags K must be "
                               "1 to %d (dimson:K)", opt, s, ESTUDY_MAX_BETA_LAGS);
        }
        cfg->beta = ESTUDY_BETA_DIMSON;
        cfg->beta_lags = (int)k;
        return AS_OK;
    }
    return as_fail(AS_ERR_USAGE, "%s: '%s' is not ols, scholes-williams or dimson[:K]", opt, s);
}

const char *estudy_beta_name(const estudy_config *cfg, char *buf, size_t len)
{
    switch (cfg->beta) {
    case ESTUDY_BETA_OLS: return "ols";
    case ESTUDY_BETA_SCHOLES_WILLIAMS: return "scholes-williams";
    case ESTUDY_BETA_DIMSON:
        snprintf(buf, len, "dimson:%d", cfg->beta_lags);
        return buf;
    }
    return "?";
}

/* Column j of xl: the market's return at lag/lead j - K on the M rows. */
static const double *col(const double *xl, int M, int j)
{
    return xl + (size_t)j * M;
}

static double mean_of(const double *x, int M)
{
    double s = 0;
    for (int t = 0; t < M; t++)
        s += x[t];
    return s / M;
}

/* SW: w_t = sum_k (Rm_{t+k} - m_k) / S_k / (1 + 2 rho_m), the slope
 * b_k = sum_t (Rm_{t+k} - m_k) R_t / S_k being linear in R (the sum of the
 * centred regressor is 0, so R's own mean drops out). */
static as_err sw_weights(double *wb, const double *xl, int M)
{
    double m[3], S[3];
    for (int j = 0; j < 3; j++) {
        const double *x = col(xl, M, j);
        m[j] = mean_of(x, M);
        S[j] = 0;
        for (int t = 0; t < M; t++)
            S[j] += (x[t] - m[j]) * (x[t] - m[j]);
        if (!(S[j] > 0))
            return as_fail(AS_ERR_NUMERIC, "Scholes-Williams beta: the market does not vary");
    }
    double c01 = 0;
    const double *xm1 = col(xl, M, 0), *x0 = col(xl, M, 1);
    for (int t = 0; t < M; t++)
        c01 += (xm1[t] - m[0]) * (x0[t] - m[1]);
    double rho = c01 / sqrt(S[0] * S[1]);
    double den = 1.0 + 2.0 * rho;
    /* rho_m <= -1/2 makes the estimator meaningless (a market that
     * reverses every day); daily index returns are near 0 to 0.3. */
    if (!(den > 1e-6))
        return as_fail(AS_ERR_NUMERIC, "Scholes-Williams beta: 1 + 2 rho_m = %g", den);
    for (int t = 0; t < M; t++) {
        double w = 0;
        for (int j = 0; j < 3; j++)
            w += (col(xl, M, j)[t] - m[j]) / S[j];
        wb[t] = w / den;
    }
    return AS_OK;
}

/* Dimson: beta* = c' (Z'Z)^-1 Z' y with Z = [1, Rm_{t-K} .. Rm_{t+K}] and
 * c = (0, 1, ..., 1), so w = Z u with u = (Z'Z)^-1 c. */
static as_err dimson_weights(double *wb, const double *xl, int M, int K)
{
    int nl = 2 * K + 1, q = nl + 1;
    double *Z = malloc(((size_t)M * q + (size_t)q * q) * sizeof *Z);
    if (!Z)
        return as_fail(AS_ERR_NOMEM, "Dimson beta: no memory for %d rows", M);
    double *V = Z + (size_t)M * q;
    for (int t = 0; t < M; t++)
        Z[t] = 1.0;
    memcpy(Z + M, xl, (size_t)M * nl * sizeof *Z);
    as_err err = estudy_ols_batch(NULL, V, Z, NULL, M, q, 0);
    if (!err) {
        double u[2 * ESTUDY_MAX_BETA_LAGS + 2];
        for (int i = 0; i < q; i++) {
            u[i] = 0;
            for (int j = 1; j < q; j++)
                u[i] += V[(size_t)j * q + i];
        }
        for (int t = 0; t < M; t++) {
            double w = 0;
            for (int i = 0; i < q; i++)
                w += Z[(size_t)i * M + t] * u[i];
            wb[t] = w;
        }
    }
    free(Z);
    return err;
}

as_err estudy_thin_weights(double *W, const double *xl, int M, estudy_beta method, int K)
{
    double *wa = W, *wb = W + M;
    as_err err = AS_OK;
    switch (method) {
    case ESTUDY_BETA_SCHOLES_WILLIAMS:
        K = 1;
        err = sw_weights(wb, xl, M);
        break;
    case ESTUDY_BETA_DIMSON: err = dimson_weights(wb, xl, M, K); break;
    case ESTUDY_BETA_OLS: return as_fail(AS_ERR_USAGE, "thin-trading weights: not an OLS beta");
    }
    if (err)
        return err;
    /* alpha* = mean(R) - beta* mean(Rm_t): weights 1/M - w_t mean(Rm_t),
     * Rm_t being column K. */
    double m0 = mean_of(col(xl, M, K), M);
    for (int t = 0; t < M; t++)
        wa[t] = 1.0 / M - wb[t] * m0;
    return AS_OK;
}
