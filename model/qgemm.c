/*
 * qgemm.c -- Q8_0 / Q4_0 weights x Q8 activations, many rows by many
 * columns (see qgemm.h).
 *
 * The AVX2 kernel works on tiles of QG_RM weight rows by QG_RN activation
 * rows, 12 float accumulators that stay in registers for the whole row; a
 * weight block is unpacked once and used for QG_RN activation rows, an
 * activation block for QG_RM weight rows.  This is the shape of llamafile's
 * tinyBLAS_Q0_AVX in llama.cpp (4 x 3 with 16 vector registers).  Signed x
 * signed bytes go through maddubs by taking |w| and moving w's sign onto x
 * (the ggml trick; |w|, |x| <= 127 keeps the int16 pair sums from
 * saturating).  Row order of the sums is the same as the reference; only
 * the float summation order inside a row differs (8 lanes, then a
 * horizontal add), so the two agree to float rounding.
 */
#include "model/qgemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define QGEMM_X86 1
#else
#define QGEMM_X86 0
#endif

/* ---- plain-loop reference ------------------------------------------------ */

/* Weight block k of row r as 32 signed values and its scale. */
static float ref_block(int8_t *q, const void *w, size_t row_bytes, long r, int k, int q4)
{
    const char *row = (const char *)w + (size_t)r * row_bytes;
    if (q4) {
        const blk_q4_0 *a = (const blk_q4_0 *)row + k;
        for (int j = 0; j < QK / 2; j++) {
            q[j] = (int8_t)((a->qs[j] & 0xF) - 8);
            q[j + QK / 2] = (int8_t)((a->qs[j] >> 4) - 8);
        }
        return fp16_to_f32(a->d);
    }
    const blk_q8_0 *a = (const blk_q8_0 *)row + k;
    for (int j = 0; j < QK; j++)
        q[j] = a->qs[j];
    return fp16_to_f32(a->d);
}

static void qgemm_ref_any(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                          long r1, const blk_q8_act *act, int nb, int B, int q4)
{
    int8_t q[QK];
    for (long r = r0; r < r1; r++)
        for (int b = 0; b < B; b++) {
            const blk_q8_act *x = act + (size_t)b * nb;
            float s = 0;
            for (int k = 0; k < nb; k++) {
                float d = ref_block(q, w, row_bytes, r, k, q4);
                int sum = 0;
                for (int j = 0; j < QK; j++)
                    sum += q[j] * x[k].qs[j];
                s += d * x[k].d * (float)sum;
            }
            out[(size_t)b * ldo + r] = s;
        }
}

static void qgemm_q8_0_ref(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_act *act, int nb, int B)
{
    qgemm_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, 0);
}

static void qgemm_q4_0_ref(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_act *act, int nb, int B)
{
    qgemm_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, 1);
}

qgemm_fn qgemm_ref(ggml_type t)
{
    return t == GGML_TYPE_Q8_0 ? qgemm_q8_0_ref : t == GGML_TYPE_Q4_0 ? qgemm_q4_0_ref : NULL;
}

/* ---- AVX2 ------------------------------------------------------------------ */
#if QGEMM_X86
#define QG_RM 4 /* weight rows per tile */
#define QG_RN 3 /* activation rows per tile */
#define AVX2_FN __attribute__((target("avx2,fma,f16c")))
/* always inlined with constant rm, rn so every tile shape is unrolled and
 * its accumulators get registers */
#define TILE_FN static inline __attribute__((always_inline, target("avx2,fma,f16c")))

TILE_FN float tile_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Weight block as 32 signed bytes; *d its scale. */
TILE_FN __m256i tile_wblock(float *d, const char *row, int k, int q4)
{
    if (q4) {
        const blk_q4_0 *a = (const blk_q4_0 *)row + k;
        __m128i raw = _mm_loadu_si128((const __m128i *)a->qs);
        /* low nibbles are elements 0..15, high nibbles 16..31 */
        __m256i q = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
        *d = _cvtsh_ss(a->d);
        return _mm256_sub_epi8(_mm256_and_si256(q, _mm256_set1_epi8(0xF)), _mm256_set1_epi8(8));
    }
    const blk_q8_0 *a = (const blk_q8_0 *)row + k;
    *d = _cvtsh_ss(a->d);
    return _mm256_loadu_si256((const __m256i *)a->qs);
}

TILE_FN void tile(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_act *act,
                  int nb, int q4, int rm, int rn)
{
    __m256 acc[QG_RM][QG_RN];
    #pragma GCC unroll 4
    for (int i = 0; i < rm; i++)
        #pragma GCC unroll 4
        for (int j = 0; j < rn; j++)
            acc[i][j] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    for (int k = 0; k < nb; k++) {
        __m256i x[QG_RN];
        float dx[QG_RN];
        #pragma GCC unroll 4
        for (int j = 0; j < rn; j++) {
            x[j] = _mm256_loadu_si256((const __m256i *)act[(size_t)j * nb + k].qs);
            dx[j] = act[(size_t)j * nb + k].d;
        }
        #pragma GCC unroll 4
        for (int i = 0; i < rm; i++) {
            float dw;
            __m256i q = tile_wblock(&dw, w + (size_t)i * rb, k, q4);
            __m256i aq = _mm256_sign_epi8(q, q);
            #pragma GCC unroll 4
            for (int j = 0; j < rn; j++) {
                __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(aq, _mm256_sign_epi8(x[j], q)),
                                              ones);
                acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx[j]), _mm256_cvtepi32_ps(p),
                                            acc[i][j]);
            }
        }
    }
    #pragma GCC unroll 4
    for (int i = 0; i < rm; i++)
        #pragma GCC unroll 4
        for (int j = 0; j < rn; j++)
            out[(size_t)j * ldo + i] = tile_hsum(acc[i][j]);
}

#define TILE_CASE(RM, RN)                                                                    \
    case RM * 4 + RN:                                                                        \
        tile(out, ldo, w, rb, act, nb, q4, RM, RN);                                          \
        return;

TILE_FN void tile_any(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_act *act,
                      int nb, int q4, int rm, int rn)
{
    switch (rm * 4 + rn) {
    TILE_CASE(1, 1) TILE_CASE(1, 2) TILE_CASE(1, 3)
    TILE_CASE(2, 1) TILE_CASE(2, 2) TILE_CASE(2, 3)
    TILE_CASE(3, 1) TILE_CASE(3, 2) TILE_CASE(3, 3)
    TILE_CASE(4, 1) TILE_CASE(4, 2) TILE_CASE(4, 3)
    default:
        return; /* rm in 1..QG_RM, rn in 1..QG_RN by construction */
    }
}

TILE_FN void qgemm_avx2(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                        long r1, const blk_q8_act *act, int nb, int B, int q4)
{
    for (long r = r0; r < r1; r += QG_RM) {
        int rm = r1 - r < QG_RM ? (int)(r1 - r) : QG_RM;
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        for (int b = 0; b < B; b += QG_RN) {
            int rn = B - b < QG_RN ? B - b : QG_RN;
            tile_any(out + (size_t)b * ldo + r, ldo, wr, row_bytes, act + (size_t)b * nb, nb, q4,
                     rm, rn);
        }
    }
}

AVX2_FN static void qgemm_q8_0_avx2(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    qgemm_avx2(out, ldo, w, row_bytes, r0, r1, act, nb, B, 0);
}

AVX2_FN static void qgemm_q4_0_avx2(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    qgemm_avx2(out, ldo, w, row_bytes, r0, r1, act, nb, B, 1);
}

qgemm_fn qgemm_fast(ggml_type t)
{
    if (!quant_has_avx2())
        return qgemm_ref(t);
    return t == GGML_TYPE_Q8_0 ? qgemm_q8_0_avx2 : t == GGML_TYPE_Q4_0 ? qgemm_q4_0_avx2 : NULL;
}
#else
qgemm_fn qgemm_fast(ggml_type t)
{
    return qgemm_ref(t);
}
#endif
