/*
 * gemm_f32.c -- small F32 products on k-major packed weights (see
 * gemm_f32.h).  The AVX-512 kernel's tile is 32 outputs (two zmm of the
 * packed row) by 6 batch rows: 12 accumulators, and per k two weight loads
 * and six broadcasts for twelve fused multiply-adds.
 */
#include "model/gemm_f32.h"

#include <math.h>
#include <string.h>

int gemm_f32_ld(int rows)
{
    return (rows + 15) / 16 * 16;
}

size_t gemm_f32_packed_floats(int rows, int cols)
{
    return (size_t)cols * (size_t)gemm_f32_ld(rows);
}

void gemm_f32_pack(float *dst, const float *w, int rows, int cols)
{
    int ld = gemm_f32_ld(rows);
    memset(dst, 0, gemm_f32_packed_floats(rows, cols) * sizeof(float));
    for (int n = 0; n < rows; n++)
        for (int k = 0; k < cols; k++)
            dst[(size_t)k * ld + n] = w[(size_t)n * cols + k];
}

void gemm_f32_rows_ref(float *out, size_t ldo, const float *x, int B, int K, const float *wt,
                       int ld, int n0, int n1)
{
    for (int b = 0; b < B; b++)
        for (int n = n0; n < n1; n++) {
            float s = 0;
            for (int k = 0; k < K; k++)
                s = fmaf(x[(size_t)b * K + k], wt[(size_t)k * ld + n], s);
            out[(size_t)b * ldo + n] = s;
        }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define GF_FN __attribute__((target("avx512f")))
#define GF_TILE static inline __attribute__((always_inline, target("avx512f")))
#define GF_RB 6 /* batch rows per tile */

int gemm_f32_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

static __mmask16 lanes(int left)
{
    return left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
}

/* outputs [n, n + 32) of batch rows [0, nb) (nb <= GF_RB), masks m0, m1
 * for the two halves: loads and stores stay inside [n0, n1) and the
 * packed matrix */
GF_TILE void gf_tile(float *out, size_t ldo, const float *x, int K, const float *wt, int ld, int n,
                     __mmask16 m0, __mmask16 m1, int nb)
{
    __m512 acc[GF_RB][2];
#pragma GCC unroll 6
    for (int i = 0; i < GF_RB; i++)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *w = wt + (size_t)k * ld + n;
        __m512 w0 = _mm512_maskz_loadu_ps(m0, w), w1 = _mm512_maskz_loadu_ps(m1, w + 16);
#pragma GCC unroll 6
        for (int i = 0; i < GF_RB; i++)
            if (i < nb) {
                __m512 xv = _mm512_set1_ps(x[(size_t)i * K + k]);
                acc[i][0] = _mm512_fmadd_ps(xv, w0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(xv, w1, acc[i][1]);
            }
    }
#pragma GCC unroll 6
    for (int i = 0; i < GF_RB; i++)
        if (i < nb) {
            _mm512_mask_storeu_ps(out + (size_t)i * ldo + n, m0, acc[i][0]);
            _mm512_mask_storeu_ps(out + (size_t)i * ldo + n + 16, m1, acc[i][1]);
        }
}

GF_FN void gemm_f32_rows(float *out, size_t ldo, const float *x, int B, int K, const float *wt,
                         int ld, int n0, int n1)
{
    for (int n = n0; n < n1; n += 32) {
        __mmask16 m0 = lanes(n1 - n), m1 = lanes(n1 - n - 16);
        int b = 0;
        for (; b + GF_RB <= B; b += GF_RB) /* whole tiles: nb a constant */
            gf_tile(out + (size_t)b * ldo, ldo, x + (size_t)b * K, K, wt, ld, n, m0, m1, GF_RB);
        if (b < B)
            gf_tile(out + (size_t)b * ldo, ldo, x + (size_t)b * K, K, wt, ld, n, m0, m1, B - b);
    }
}
#else
int gemm_f32_usable(void)
{
    return 0;
}

/* never picked: matmul.c packs only where gemm_f32_usable() */
void gemm_f32_rows(float *out, size_t ldo, const float *x, int B, int K, const float *wt, int ld,
                   int n0, int n1)
{
    gemm_f32_rows_ref(out, ldo, x, B, K, wt, ld, n0, n1);
}
#endif
