/*
 * estudy_dist.c -- the two distribution functions the tests need: the
 * two-sided p-values of the standard normal and of Student's t.
 *
 * Normal: erfc from libm.  Student t: the regularized incomplete beta
 * function, I_x(a, b) with x = df/(df + t^2), a = df/2, b = 1/2, evaluated
 * by its continued fraction with the modified Lentz method (Lentz 1976;
 * Abramowitz & Stegun 26.5.8 for the fraction, 26.7.1 for the t relation).
 * Not a general statistics library: only what the p-values use.
 */
#include "analytics/estudy.h"

#include <math.h>

double estudy_norm_sf2(double z)
{
    if (isnan(z))
        return NAN;
    return erfc(fabs(z) / sqrt(2.0));
}

/* Continued fraction of I_x(a,b) (A&S 26.5.8), valid for x < (a+1)/(a+b+2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 400; m++) {
        int m2 = 2 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps)
            break;
    }
    return h;
}

static double beta_reg(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    /* log B(a, b) once per (a, b): a study asks a million p-values with
     * the same degrees of freedom.  Thread-local, so callers may thread. */
    static _Thread_local double ca = NAN, cb = NAN, clb;
    if (a != ca || b != cb) {
        clb = lgamma(a + b) - lgamma(a) - lgamma(b);
        ca = a;
        cb = b;
    }
    double lbt = clb + a * log(x) + b * log1p(-x);
    double bt = exp(lbt);
    if (x < (a + 1.0) / (a + b + 2.0))
        return bt * beta_cf(a, b, x) / a;
    return 1.0 - bt * beta_cf(b, a, 1.0 - x) / b;
}

double estudy_t_sf2(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return 0.0;
    /* P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2)  (A&S 26.7.1) */
    return beta_reg(df / 2.0, 0.5, df / (df + t * t));
}
