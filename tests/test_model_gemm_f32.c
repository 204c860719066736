/*
 * test_model_gemm_f32.c -- the packed small-F32 product (model/gemm_f32.h):
 * the layout gemm_f32_pack writes, the plain loop against a double sum of
 * the same products, and the AVX-512 kernel against the plain loop, bit for
 * bit (both add one fused multiply-add per k, in order), on shapes that hit
 * every tile edge: rows around multiples of 16 and 32, batches around
 * multiples of 6, output ranges that start inside the matrix, and outputs
 * outside the range left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/gemm_f32.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)(rng >> 40) / 16777216.0f * 2 - 1;
}

static void test_pack_layout(void **st)
{
    (void)st;
    enum { R = 19, C = 5 };
    float w[R * C];
    for (int i = 0; i < R * C; i++)
        w[i] = (float)i;
    int ld = gemm_f32_ld(R);
    assert_int_equal(ld, 32);
    assert_int_equal(gemm_f32_packed_floats(R, C), (size_t)C * 32);
    float *p = malloc(gemm_f32_packed_floats(R, C) * sizeof(float));
    assert_non_null(p);
    memset(p, 0xFF, gemm_f32_packed_floats(R, C) * sizeof(float));
    gemm_f32_pack(p, w, R, C);
    for (int k = 0; k < C; k++)
        for (int n = 0; n < ld; n++)
            if (p[k * ld + n] != (n < R ? w[n * C + k] : 0.0f))
                fail_msg("packed[%d][%d] = %g", k, n, p[k * ld + n]);
    free(p);
}

/* rows, cols, batch rows, first output */
static const int shapes[][4] = {
    {1, 1, 1, 0},    {15, 7, 5, 0},   {16, 64, 6, 0},   {17, 64, 7, 0},  {33, 96, 13, 16},
    {64, 64, 32, 0}, {172, 64, 32, 64}, {64, 172, 12, 0}, {512, 64, 32, 0}, {96, 256, 1, 32},
    {1471, 96, 9, 1408},
};

static void test_ref_vs_double(void **st)
{
    (void)st;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int R = shapes[si][0], K = shapes[si][1], B = shapes[si][2];
        float *w = malloc((size_t)R * K * sizeof(float)), *x = malloc((size_t)B * K * sizeof(float));
        float *p = malloc(gemm_f32_packed_floats(R, K) * sizeof(float));
        float *out = malloc((size_t)B * R * sizeof(float));
        assert_non_null(w);
        assert_non_null(x);
        assert_non_null(p);
        assert_non_null(out);
        for (int i = 0; i < R * K; i++)
            w[i] = frand();
        for (int i = 0; i < B * K; i++)
            x[i] = frand();
        gemm_f32_pack(p, w, R, K);
        gemm_f32_rows_ref(out, (size_t)R, x, B, K, p, gemm_f32_ld(R), 0, R);
        /* a chain of K fused multiply-adds rounds K times, each within 2^-24
         * of its partial sum, so within K 2^-24 sum |terms| of the exact sum */
        for (int b = 0; b < B; b++)
            for (int n = 0; n < R; n++) {
                double e = 0, mag = 0;
                for (int k = 0; k < K; k++) {
                    double t = (double)x[b * K + k] * w[n * K + k];
                    e += t;
                    mag += fabs(t);
                }
                if (fabs(out[b * R + n] - e) > K * ldexp(1, -24) * mag + 1e-30)
                    fail_msg("%dx%d B=%d: out[%d][%d] = %.9g, exact %.9g", R, K, B, b, n,
                             out[b * R + n], e);
            }
        free(w);
        free(x);
        free(p);
        free(out);
    }
}

static void test_fast_vs_ref(void **st)
{
    (void)st;
    if (!gemm_f32_usable()) {
        print_message("skip: this CPU lacks AVX-512F, which the packed kernel needs\n");
        return;
    }
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int R = shapes[si][0], K = shapes[si][1], B = shapes[si][2], n0 = shapes[si][3];
        size_t n = (size_t)B * R;
        float *w = malloc((size_t)R * K * sizeof(float)), *x = malloc((size_t)B * K * sizeof(float));
        float *p = malloc(gemm_f32_packed_floats(R, K) * sizeof(float));
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
        assert_non_null(w);
        assert_non_null(x);
        assert_non_null(p);
        assert_non_null(a);
        assert_non_null(b);
        for (int i = 0; i < R * K; i++)
            w[i] = frand();
        for (int i = 0; i < B * K; i++)
            x[i] = frand();
        gemm_f32_pack(p, w, R, K);
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] = -12345.0f; /* outputs below n0 stay untouched */
        gemm_f32_rows_ref(a, (size_t)R, x, B, K, p, gemm_f32_ld(R), n0, R);
        gemm_f32_rows(b, (size_t)R, x, B, K, p, gemm_f32_ld(R), n0, R);
        for (size_t i = 0; i < n; i++) {
            int col = (int)(i % (size_t)R);
            if (col < n0 && b[i] != -12345.0f)
                fail_msg("%dx%d B=%d: output %d below n0 %d was written", R, K, B, col, n0);
            if (memcmp(&a[i], &b[i], sizeof(float)))
                fail_msg("%dx%d B=%d n0=%d: out %zu: plain %.9g, fast %.9g", R, K, B, n0, i, a[i],
                         b[i]);
        }
        free(w);
        free(x);
        free(p);
        free(a);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_layout),
        cmocka_unit_test(test_ref_vs_double),
        cmocka_unit_test(test_fast_vs_ref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
