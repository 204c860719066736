/*
 * test_model_vecmath.c -- the softmax exponentials and SwiGLU (model/
 * vecmath.h), both variants, against the same formulas in double through
 * libm's exp: every value within a few float ulps, sums within float
 * summation error, and the row's maximum mapped to exactly 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/vecmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* distance in float steps between a and the double e rounded to float */
static long ulps(float a, double e)
{
    float b = (float)e;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t oa = ia < 0 ? -(int64_t)(ia & 0x7fffffff) : ia;
    int64_t ob = ib < 0 ? -(int64_t)(ib & 0x7fffffff) : ib;
    return (long)llabs(oa - ob);
}

static uint32_t rng = 2463534242u;
static float urand(float lo, float hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return lo + (hi - lo) * (float)(rng >> 8) / 16777216.0f;
}

/* glibc gives libmvec's functions 4 ulps; this sweep measures 2 */
#define EXP_ULPS 4

/* arguments from -87 (exp near FLT_MIN) to 0 in rows of 8 and 9 (a vector
 * and a tail element), the first element 0 so that the maximum is known */
static void test_softmax_exp_sweep(void **st)
{
    (void)st;
    for (int fast = 0; fast < 2; fast++) {
        long worst = 0;
        for (double v = -87; v < 0; v += 0.0013) {
            for (int n = 8; n <= 9; n++) {
                float x[9], in[9];
                x[0] = 0;
                for (int j = 1; j < n; j++)
                    x[j] = (float)(v - j * 1e-4);
                memcpy(in, x, sizeof x);
                double sum = vec_softmax_exp(fast)(x, n), exact = 0, mag = 0;
                if (x[0] != 1.0f)
                    fail_msg("fast=%d: exp of the maximum is %.9g, not 1", fast, x[0]);
                for (int j = 0; j < n; j++) {
                    double e = exp((double)in[j]);
                    long u = ulps(x[j], e);
                    worst = u > worst ? u : worst;
                    if (u > (fast ? EXP_ULPS : 1))
                        fail_msg("fast=%d: exp(%.9g) = %.9g, %ld ulps from %.9g", fast, in[j], x[j],
                                 u, e);
                    exact += x[j];
                    mag += x[j];
                }
                if (fabs(sum - exact) > n * ldexp(1, -24) * mag)
                    fail_msg("fast=%d n=%d: sum %.17g, values add to %.17g", fast, n, sum, exact);
            }
        }
        print_message("softmax exp, fast=%d: at most %ld ulps from exp in double\n", fast, worst);
    }
}

/* rows of 1..70 random scores: the two variants agree value by value */
static void test_softmax_exp_rows(void **st)
{
    (void)st;
    for (int n = 1; n <= 70; n++) {
        float a[70], b[70];
        for (int j = 0; j < n; j++)
            a[j] = b[j] = urand(-12, 9);
        double sa = vec_softmax_exp(0)(a, n), sb = vec_softmax_exp(1)(b, n);
        for (int j = 0; j < n; j++)
            if (ulps(b[j], a[j]) > EXP_ULPS + 1)
                fail_msg("n=%d j=%d: fast %.9g, plain %.9g", n, j, b[j], a[j]);
        if (fabs(sa - sb) > 1e-6 * sa)
            fail_msg("n=%d: sums %.17g and %.17g", n, sa, sb);
    }
}

/* silu(g) * up over g in [-87, 87] (and beyond, where exp(-g) overflows and
 * the result is a signed zero) against the formula in double */
static void test_swiglu(void **st)
{
    (void)st;
    enum { N = 13 };
    for (int fast = 0; fast < 2; fast++) {
        long worst = 0;
        for (double v = -100; v < 100; v += 0.0107) {
            float g[N], up[N], in[N];
            for (int j = 0; j < N; j++) {
                g[j] = in[j] = (float)(v + j * 1e-3);
                up[j] = urand(-2, 2);
            }
            vec_swiglu(fast)(g, up, N);
            for (int j = 0; j < N; j++) {
                double e = (double)in[j] / (1.0 + exp(-(double)in[j])) * up[j];
                if (in[j] < -88.5f) { /* exp(-g) past FLT_MAX: the float formula gives 0 */
                    if (fabs(g[j]) > 1e-30)
                        fail_msg("fast=%d: swiglu(%.9g, %.9g) = %.9g, exact %.3g", fast, in[j],
                                 up[j], g[j], e);
                    continue;
                }
                long u = ulps(g[j], e);
                worst = u > worst ? u : worst;
                if (u > EXP_ULPS + 3) /* exp's error, and three roundings */
                    fail_msg("fast=%d: swiglu(%.9g, %.9g) = %.9g, %ld ulps from %.9g", fast, in[j],
                             up[j], g[j], u, e);
            }
        }
        print_message("swiglu, fast=%d: at most %ld ulps from the formula in double\n", fast, worst);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_exp_sweep),
        cmocka_unit_test(test_softmax_exp_rows),
        cmocka_unit_test(test_swiglu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
