/*
 * estudy_ols.c -- ordinary least squares for many firms sharing one design
 * matrix: the fast kernel (OpenBLAS dsyrk/dgemm + LAPACK Cholesky, one
 * factorisation and one solve for the whole batch) and, beside it, the
 * plain-loop reference the tests compare it with.
 *
 * Normal equations are fine here: the design is [1, Rm, factors] over a few
 * hundred days, condition numbers stay far below 1e8, and the batch solve is
 * what makes 5,000 firms per event cheap.  Not the place for weighting, GLS
 * or missing-value handling: callers pass complete rows.
 */
#include "analytics/estudy.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

as_err estudy_ols_batch(double *B, double *XtXinv, const double *X,
                        const double *Y, int n, int p, int nrhs)
{
    if (p <= 0 || n < p)
        return as_fail(AS_ERR_NUMERIC, "OLS: %d observations for %d regressors", n, p);
    /* X'X (upper triangle) and X'Y, then Cholesky once for all firms. */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, p, n, 1.0, X, n, 0.0, XtXinv, p);
    if (nrhs > 0)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, nrhs, n, 1.0, X, n,
                    Y, n, 0.0, B, p);
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', p, XtXinv, p);
    if (info != 0)
        return as_fail(AS_ERR_NUMERIC, "OLS: regressors are collinear (dpotrf %d)",
                       (int)info);
    /* Reject near-singular designs (a constant market column): the Cholesky
     * diagonal ratio squared bounds the condition number from below. */
    double dmax = 0, dmin = INFINITY;
    for (int j = 0; j < p; j++) {
        double d = fabs(XtXinv[j * p + j]);
        dmax = d > dmax ? d : dmax;
        dmin = d < dmin ? d : dmin;
    }
    if (!(dmin > dmax * 1e-7))
        return as_fail(AS_ERR_NUMERIC, "OLS: regressors are nearly collinear");
    if (nrhs > 0) {
        info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', p, nrhs, XtXinv, p, B, p);
        if (info != 0)
            return as_fail(AS_ERR_NUMERIC, "OLS: dpotrs failed (%d)", (int)info);
    }
    info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'U', p, XtXinv, p);
    if (info != 0)
        return as_fail(AS_ERR_NUMERIC, "OLS: dpotri failed (%d)", (int)info);
    for (int j = 0; j < p; j++)
        for (int i = j + 1; i < p; i++)
            XtXinv[j * p + i] = XtXinv[i * p + j];
    return AS_OK;
}

as_err estudy_ols_ref(double *b, double *XtXinv, const double *X,
                      const double *y, int n, int p)
{
    if (p <= 0 || p > 16 || n < p)
        return as_fail(AS_ERR_NUMERIC, "OLS: %d observations for %d regressors", n, p);
    double a[16][32];
    double xty[16];
    for (int i = 0; i < p; i++) {
        xty[i] = 0;
        for (int t = 0; t < n; t++)
            xty[i] += X[i * n + t] * y[t];
        for (int j = 0; j < p; j++) {
            double s = 0;
            for (int t = 0; t < n; t++)
                s += X[i * n + t] * X[j * n + t];
            a[i][j] = s;
            a[i][p + j] = i == j;
        }
    }
    /* Gauss-Jordan with partial pivoting on [X'X | I]. */
    for (int c = 0; c < p; c++) {
        int piv = c;
        for (int r = c + 1; r < p; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c]))
                piv = r;
        if (fabs(a[piv][c]) < 1e-300)
            return as_fail(AS_ERR_NUMERIC, "OLS: singular X'X");
        if (piv != c)
            for (int k = 0; k < 2 * p; k++) {
                double tmp = a[c][k];
                a[c][k] = a[piv][k];
                a[piv][k] = tmp;
            }
        double inv = 1.0 / a[c][c];
        for (int k = 0; k < 2 * p; k++)
            a[c][k] *= inv;
        for (int r = 0; r < p; r++) {
            if (r == c)
                continue;
            double f = a[r][c];
            for (int k = 0; k < 2 * p; k++)
                a[r][k] -= f * a[c][k];
        }
    }
    for (int i = 0; i < p; i++) {
        b[i] = 0;
        for (int j = 0; j < p; j++) {
            XtXinv[j * p + i] = a[i][p + j];
            b[i] += a[i][p + j] * xty[j];
        }
    }
    return AS_OK;
}
