/*
 * estudy_fmt.c -- "%.10g" without printf (see estudy_fmt.h).
 *
 * Short path, for a decimal exponent X in -4..9 (every CAR, SD, t and most
 * p-values): scale |v| by 10^(9 - X), an exactly representable power for
 * 9 - X in 0..13, so that the product has ten digits before the point.
 * fma() gives the product's rounding error, hi + lo is a * 10^k exactly,
 * and rounding that exact value to an integer, ties to even, is what glibc
 * does with the exact decimal expansion of v.  Everything else (zero,
 * infinities, NaN, tiny p-values, huge numbers) goes to snprintf.
 */
#include "analytics/estudy_fmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const double pow10_exact[14] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,
                                       1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13};

/*
 * Nearest integer to hi + lo, ties to even, where hi + lo is exact and
 * |lo| <= ulp(hi) / 2.  Only an apparent tie of hi can be decided by lo:
 * any other distance to the half is at least one ulp of hi.
 */
static double round_exact(double hi, double lo)
{
    double r = nearbyint(hi);
    double d = hi - r; /* exact: both below 2^53, r an integer next to hi */
    if (d == 0.5 && lo > 0)
        r += 1.0;
    else if (d == -0.5 && lo < 0)
        r -= 1.0;
    return r;
}

int estudy_fmt_g10(char out[32], double v)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e10))
        return snprintf(out, 32, "%.10g", v);
    /* log10 can land one off next to a power of ten: the exact product
     * decides the exponent. */
    int x = (int)floor(log10(a));
    double n;
    for (;;) {
        int k = 9 - x;
        if (k < 0 || k > 13)
            return snprintf(out, 32, "%.10g", v);
        double hi = a * pow10_exact[k], lo = fma(a, pow10_exact[k], -hi);
        if (hi < 1e9 || (hi == 1e9 && lo < 0)) {
            x--;
            continue;
        }
        if (hi > 1e10 || (hi == 1e10 && lo >= 0)) {
            x++;
            continue;
        }
        n = round_exact(hi, lo);
        break;
    }
    if (n == 1e10) { /* 9.9999999995 rounds up to the next decade */
        n = 1e9;
        x++;
    }
    if (x > 9)
        return snprintf(out, 32, "%.10g", v);
    char dig[10];
    uint64_t N = (uint64_t)n;
    for (int i = 9; i >= 0; i--) {
        dig[i] = (char)('0' + N % 10);
        N /= 10;
    }
    /* %g: fixed notation with 9 - X decimals, trailing zeros and a bare
     * point removed. */
    int last = 9;
    while (last > (x > 0 ? x : 0) && dig[last] == '0')
        last--;
    char *o = out;
    if (signbit(v))
        *o++ = '-';
    if (x >= 0) {
        memcpy(o, dig, (size_t)x + 1);
        o += x + 1;
        if (last > x) {
            *o++ = '.';
            memcpy(o, dig + x + 1, (size_t)(last - x));
            o += last - x;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)last + 1);
        o += last + 1;
    }
    *o = '\0';
    return (int)(o - out);
}
