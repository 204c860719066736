/*
 * qgemm.c -- Q8_0 / Q4_0 weights x Q8 activations, many rows by many
 * columns (see qgemm.h).
 *
 * The x86 kernel (model/qgemm_tile.h, built once for AVX2 and once for
 * AVX-512 VNNI, picked at run time) works on tiles of QG_RM weight rows by
 * QG_RN activation rows, 12 float accumulators that stay in registers for
 * the whole row; a
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

/* ---- x86: AVX2, and AVX-512 VNNI where the CPU has it ----------------- */
#if QGEMM_X86
/* the AVX2 variant */
#define QG_NAME(x) x##_avx2
#define QG_FN __attribute__((target("avx2,fma,f16c")))
/* always inlined with constant rm, rn so every tile shape is unrolled and
 * its accumulators get registers */
#define TILE_FN static inline __attribute__((always_inline, target("avx2,fma,f16c")))
#define QG_IDOT(u, s, c) \
    _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)))
#define QG_UNSIGNED 0
#include "model/qgemm_tile.h"
#undef QG_NAME
#undef QG_FN
#undef TILE_FN
#undef QG_IDOT
#undef QG_UNSIGNED

/* the VNNI variant: vpdpbusd on 256-bit registers (AVX512VL encoding), one
 * instruction for maddubs + madd, summing in int32 so unsigned weights
 * (w + offset) cannot saturate; 32 vector registers hold the tile */
#define QG_TARGET "avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni"
#define QG_NAME(x) x##_vnni
#define QG_FN __attribute__((target(QG_TARGET)))
#define TILE_FN static inline __attribute__((always_inline, target(QG_TARGET)))
#define QG_IDOT(u, s, c) _mm256_dpbusd_epi32(c, u, s)
#define QG_UNSIGNED 1
#include "model/qgemm_tile.h"

static int cpu_has_vnni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw");
}

qgemm_fn qgemm_avx2(ggml_type t)
{
    if (!quant_has_avx2())
        return NULL;
    return t == GGML_TYPE_Q8_0 ? qgemm_q8_0_avx2 : t == GGML_TYPE_Q4_0 ? qgemm_q4_0_avx2 : NULL;
}

qgemm_fn qgemm_fast(ggml_type t)
{
    if (quant_has_avx2() && cpu_has_vnni())
        return t == GGML_TYPE_Q8_0 ? qgemm_q8_0_vnni : t == GGML_TYPE_Q4_0 ? qgemm_q4_0_vnni : NULL;
    return quant_has_avx2() ? qgemm_avx2(t) : qgemm_ref(t);
}

const char *qgemm_fast_name(void)
{
    return !quant_has_avx2() ? "portable" : cpu_has_vnni() ? "avx512-vnni" : "avx2";
}
#else
qgemm_fn qgemm_avx2(ggml_type t)
{
    (void)t;
    return NULL;
}

qgemm_fn qgemm_fast(ggml_type t)
{
    return qgemm_ref(t);
}

const char *qgemm_fast_name(void)
{
    return "portable";
}
#endif
