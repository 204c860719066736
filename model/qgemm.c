/*
 * qgemm.c -- Q8_0 / Q4_0 / Q5_0 weights x Q8 activations, many rows by many
 * columns (see qgemm.h).
 *
 * The x86 kernels (model/qgemm_tile.h on ymm registers, built once for
 * AVX2 and once for AVX-VNNI, and a zmm variant for AVX-512 VNNI below;
 * the widest the CPU has is picked at run time) work on tiles of 4 weight
 * rows by 3 activation rows, 12 float accumulators that stay in registers
 * for the whole row; a weight block is unpacked once and used for QG_RN activation rows, an
 * activation block for QG_RM weight rows.  This is the shape of llamafile's
 * tinyBLAS_Q0_AVX in llama.cpp (4 x 3 with 16 vector registers).  Signed x
 * signed bytes go through maddubs by taking |w| and moving w's sign onto x
 * (the ggml trick; |w|, |x| <= 127 keeps the int16 pair sums from
 * saturating); the VNNI variants sum in int32 and use unsigned weights
 * with an offset instead.  Row order of the sums is the same as the
 * reference; only the float summation order inside a row differs (8 or 16
 * lanes, then a horizontal add), so they agree to float rounding.
 */
#include "model/qgemm.h"

#include "model/qgemm_amx.h"

#if defined(__x86_64__)
#include "model/qgemm_q5.h"

#include <immintrin.h>
#define QGEMM_X86 1
#else
#define QGEMM_X86 0
#endif

/* ---- plain-loop reference ------------------------------------------------ */

/* Weight block k of row r as 32 signed values and its scale. */
static float ref_block(int8_t *q, const void *w, size_t row_bytes, long r, int k, int kind)
{
    const char *row = (const char *)w + (size_t)r * row_bytes;
    if (kind == QW_Q5_0) {
        const blk_q5_0 *a = (const blk_q5_0 *)row + k;
        uint32_t qh = (uint32_t)a->qh[0] | (uint32_t)a->qh[1] << 8 | (uint32_t)a->qh[2] << 16 |
                      (uint32_t)a->qh[3] << 24;
        for (int j = 0; j < QK / 2; j++) {
            q[j] = (int8_t)(((a->qs[j] & 0xF) | ((qh >> j) & 1) << 4) - 16);
            q[j + QK / 2] = (int8_t)(((a->qs[j] >> 4) | ((qh >> (j + QK / 2)) & 1) << 4) - 16);
        }
        return fp16_to_f32(a->d);
    }
    if (kind == QW_Q4_0) {
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
                          long r1, const blk_q8_act *act, int nb, int B, int kind)
{
    int8_t q[QK];
    for (long r = r0; r < r1; r++)
        for (int b = 0; b < B; b++) {
            const blk_q8_act *x = act + (size_t)b * nb;
            float s = 0;
            for (int k = 0; k < nb; k++) {
                float d = ref_block(q, w, row_bytes, r, k, kind);
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
    qgemm_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q8_0);
}

static void qgemm_q4_0_ref(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_act *act, int nb, int B)
{
    qgemm_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q4_0);
}

static void qgemm_q5_0_ref(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_act *act, int nb, int B)
{
    qgemm_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q5_0);
}

qgemm_fn qgemm_ref(ggml_type t)
{
    switch (t) {
    case GGML_TYPE_Q8_0: return qgemm_q8_0_ref;
    case GGML_TYPE_Q4_0: return qgemm_q4_0_ref;
    case GGML_TYPE_Q5_0: return qgemm_q5_0_ref;
    default: return NULL;
    }
}

/* ---- x86: AVX2, AVX-VNNI and AVX-512 VNNI, picked at run time ----------- */
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

/* the AVX-VNNI variant: vpdpbusd on 256-bit registers (the VEX encoding,
 * for CPUs with AVX-VNNI and no AVX-512, such as Intel's Alder Lake), one
 * instruction for maddubs + madd, summing in int32 so unsigned weights
 * (w + offset) cannot saturate */
#define QG_TARGET "avx2,fma,f16c,avxvnni"
#define QG_NAME(x) x##_avxvnni
#define QG_FN __attribute__((target(QG_TARGET)))
#define TILE_FN static inline __attribute__((always_inline, target(QG_TARGET)))
#define QG_IDOT(u, s, c) _mm256_dpbusd_avx_epi32(c, u, s)
#define QG_UNSIGNED 1
#include "model/qgemm_tile.h"

/* ---- the AVX-512 variant: zmm registers, two blocks per instruction -----
 *
 * The same tile walk as qgemm_tile.h, with each 512-bit register holding a
 * pair of blocks, k in the low half and k + 1 in the high half: one
 * vpdpbusd then does 64 multiply-adds where the ymm variant does 32, and
 * the float work per pair (convert, scale product, fused add) is shared by
 * both blocks, since the two halves are only summed at the end.  The scale
 * vectors carry block k's scale in the low 8 lanes and k + 1's in the high
 * 8.  An odd last block is a pair whose high half is zero in both operands
 * (loaded as zero, never read past the row).  Weights are unsigned with an
 * offset as in the AVX-VNNI variant.  On Zen 4/5 and recent Intel cores a
 * 512-bit vpdpbusd issues at the ymm rate, so prefill and batched decode
 * (compute-bound) gain up to 2x; decode is memory-bound either way. */
#define Z_TARGET "avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512dq,avx512vnni"
#define ZF static inline __attribute__((always_inline, target(Z_TARGET)))
#define Z_RM 4 /* weight rows per tile */
#define Z_RN 3 /* activation rows per tile: 12 accumulators + 9 operands */
/* weight rows per tile when there is one activation row (single-token
 * decode): the activation's per-block work (load, scale, offset sum) is
 * shared by 8 rows instead of 4; 8 accumulators still leave room.  A
 * 500 MB Q8_0 matrix streamed by one thread: 12.7 -> 13.3 GB/s, against
 * 16.3 GB/s for a plain AVX-512 read of the same bytes (Xeon, 2026-12-04) */
#define Z_RM1 8
/* Bytes ahead of the current block that the first tile of a row strip asks
 * for: that tile streams the strip from memory (single-token decode does
 * nothing else), the strip's later tiles find it in cache.  The hardware
 * prefetcher alone leaves a core's stream at ~11 GB/s here; 4-16 KiB ahead
 * gave 1.3-1.5x on a 59 MiB matrix (bench/qgemm_bench.c, Zen 5).  The hint
 * is T1 (into L2): against T0, Qwen2.5-0.5B decode on 2 threads went
 * 47.4-48.1 -> 48.9-50.0 tokens/s (Q8_0) and 62.5-64.8 -> 63.9-65.5 (Q4_0),
 * Xeon, 2026-12-04.  Reading past the end of the weights is harmless: a
 * prefetch never faults. */
#ifndef Z_PREFETCH /* -DZ_PREFETCH=N to try others: 2-16 KiB were within 3 % on the Xeon */
#define Z_PREFETCH 8192
#endif

ZF __m512i z_halves(const void *lo, const void *hi, int two)
{
    __m256i a = _mm256_loadu_si256((const __m256i *)lo);
    return two ? _mm512_inserti64x4(_mm512_castsi256_si512(a), _mm256_loadu_si256((const __m256i *)hi), 1)
               : _mm512_zextsi256_si512(a);
}

/* Blocks k and k + 1 (two = 1) or k alone of a weight row: unsigned values
 * (Q8_0: w ^ 0x80 = w + 128; Q4_0: the nibble, offset 8; Q5_0: offset 16)
 * and the pair's scales as [d_k x 8, d_k+1 x 8]. */
ZF __m512i z_wpair(__m512 *d, const char *row, int k, int kind, int two)
{
    uint16_t h0, h1 = 0;
    __m512i q;
    if (kind != QW_Q8_0) {
        const size_t bs = kind == QW_Q4_0 ? sizeof(blk_q4_0) : sizeof(blk_q5_0);
        const char *a0 = row + (size_t)k * bs, *a1 = a0 + bs;
        const size_t qs = kind == QW_Q4_0 ? offsetof(blk_q4_0, qs) : offsetof(blk_q5_0, qs);
        __m128i r0 = _mm_loadu_si128((const __m128i *)(a0 + qs));
        __m128i r1 = two ? _mm_loadu_si128((const __m128i *)(a1 + qs)) : _mm_setzero_si128();
        /* 128-bit lanes [r0, r0, r1, r1], the odd ones shifted down a
         * nibble: low nibbles are elements 0..15 of a block, high 16..31 */
        __m512i r = _mm512_castsi256_si512(_mm256_set_m128i(r1, r0));
        r = _mm512_shuffle_i64x2(r, r, 0x50);
        const long long s4 = 0x0004000400040004LL; /* 4 in every 16-bit lane */
        r = _mm512_srlv_epi16(r, _mm512_set_epi64(s4, s4, 0, 0, s4, s4, 0, 0));
        q = _mm512_and_si512(r, _mm512_set1_epi8(0xF));
        if (kind == QW_Q5_0) { /* the fifth bits: bit i of the pair's qh words is byte i's */
            uint32_t b0, b1 = 0;
            memcpy(&b0, ((const blk_q5_0 *)a0)->qh, 4);
            if (two)
                memcpy(&b1, ((const blk_q5_0 *)a1)->qh, 4);
            __mmask64 m = _cvtu64_mask64((uint64_t)b0 | (uint64_t)b1 << 32);
            q = _mm512_or_si512(q, _mm512_maskz_mov_epi8(m, _mm512_set1_epi8(0x10)));
        }
        memcpy(&h0, a0, 2); /* d leads both block types */
        if (two)
            memcpy(&h1, a1, 2);
    } else {
        const blk_q8_0 *a = (const blk_q8_0 *)row + k;
        q = _mm512_xor_si512(z_halves(a[0].qs, a[1].qs, two), _mm512_set1_epi8((char)0x80));
        if (!two) /* the zero high half must stay zero: it meets zero x anyway */
            q = _mm512_zextsi256_si512(_mm512_castsi512_si256(q));
        h0 = a[0].d;
        if (two)
            h1 = a[1].d;
    }
    __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)h0 | (uint32_t)h1 << 16)));
    *d = _mm512_permutexvar_ps(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
                               _mm512_castps128_ps512(f));
    return q;
}

ZF float z_hsum(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

ZF void z_tile(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_act *act, int nb,
               int kind, int rm, int rn, int pf)
{
    const size_t bs = kind == QW_Q8_0 ? sizeof(blk_q8_0) : kind == QW_Q4_0 ? sizeof(blk_q4_0)
                                                                           : sizeof(blk_q5_0);
    const char off = kind == QW_Q8_0 ? (char)0x80 : kind == QW_Q4_0 ? 8 : 16;
    __m512 acc[Z_RM1][Z_RN];
#pragma GCC unroll 8
    for (int i = 0; i < rm; i++)
#pragma GCC unroll 8
        for (int j = 0; j < rn; j++)
            acc[i][j] = _mm512_setzero_ps();
    for (int k = 0; k < nb; k += 2) {
        int two = k + 1 < nb;
        __m512i x[Z_RN], c[Z_RN];
        __m512 dx[Z_RN];
#pragma GCC unroll 8
        for (int j = 0; j < rn; j++) {
            const blk_q8_act *a = act + (size_t)j * nb + k;
            if (two) {
                x[j] = z_halves(a[0].qs, a[1].qs, 1);
                dx[j] = _mm512_insertf32x8(_mm512_set1_ps(a[0].d), _mm256_set1_ps(a[1].d), 1);
            } else {
                x[j] = z_halves(a[0].qs, NULL, 0);
                dx[j] = _mm512_zextps256_ps512(_mm256_set1_ps(a[0].d));
            }
            /* u = w + off: u . x - off * sum(x) = w . x */
            c[j] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                    _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                                        _mm512_set1_epi8(off), x[j]));
        }
        /* a Q8_0 pair is 68 bytes, more than a line: one prefetch per
         * pair skipped every 16th line, which the loads then waited for
         * (two: 13.4 -> 14.6 GB/s streaming 500 MB on one thread) */
        if (pf)
#pragma GCC unroll 8
            for (int i = 0; i < rm; i++) {
                const char *ahead = w + (size_t)i * rb + (size_t)k * bs + Z_PREFETCH;
                _mm_prefetch(ahead, _MM_HINT_T1);
                if (2 * bs > 64) /* a pair over one line (Q8_0) */
                    _mm_prefetch(ahead + 64, _MM_HINT_T1);
            }
#pragma GCC unroll 8
        for (int i = 0; i < rm; i++) {
            __m512 dw;
            __m512i q = two ? z_wpair(&dw, w + (size_t)i * rb, k, kind, 1)
                            : z_wpair(&dw, w + (size_t)i * rb, k, kind, 0);
#pragma GCC unroll 8
            for (int j = 0; j < rn; j++) {
                __m512i p = _mm512_dpbusd_epi32(c[j], q, x[j]);
                acc[i][j] = _mm512_fmadd_ps(_mm512_mul_ps(dw, dx[j]), _mm512_cvtepi32_ps(p), acc[i][j]);
            }
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < rm; i++)
#pragma GCC unroll 8
        for (int j = 0; j < rn; j++)
            out[(size_t)j * ldo + i] = z_hsum(acc[i][j]);
}

#define Z_CASE(RM, RN)                                                                     \
    case RM * 4 + RN:                                                                      \
        z_tile(out, ldo, w, rb, act, nb, kind, RM, RN, pf);                               \
        return;

ZF void z_tile_any(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_act *act,
                   int nb, int kind, int rm, int rn, int pf)
{
    switch (rm * 4 + rn) {
    Z_CASE(1, 1) Z_CASE(1, 2) Z_CASE(1, 3)
    Z_CASE(2, 1) Z_CASE(2, 2) Z_CASE(2, 3)
    Z_CASE(3, 1) Z_CASE(3, 2) Z_CASE(3, 3)
    Z_CASE(4, 1) Z_CASE(4, 2) Z_CASE(4, 3)
    Z_CASE(5, 1) Z_CASE(6, 1) Z_CASE(7, 1) Z_CASE(8, 1)
    default:
        return; /* rm in 1..Z_RM (1..Z_RM1 when rn = 1), rn in 1..Z_RN by construction */
    }
}

ZF void z_rows(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
               const blk_q8_act *act, int nb, int B, int kind)
{
    const int RM = B == 1 ? Z_RM1 : Z_RM;
    for (long r = r0; r < r1; r += RM) {
        int rm = r1 - r < RM ? (int)(r1 - r) : RM;
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        for (int b = 0; b < B; b += Z_RN) {
            int rn = B - b < Z_RN ? B - b : Z_RN;
            z_tile_any(out + (size_t)b * ldo + r, ldo, wr, row_bytes, act + (size_t)b * nb, nb,
                       kind, rm, rn, b == 0);
        }
    }
}

__attribute__((target(Z_TARGET))) static void qgemm_q8_0_avx512(float *out, size_t ldo,
    const void *w, size_t row_bytes, long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    z_rows(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q8_0);
}

__attribute__((target(Z_TARGET))) static void qgemm_q4_0_avx512(float *out, size_t ldo,
    const void *w, size_t row_bytes, long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    z_rows(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q4_0);
}

__attribute__((target(Z_TARGET))) static void qgemm_q5_0_avx512(float *out, size_t ldo,
    const void *w, size_t row_bytes, long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    z_rows(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q5_0);
}

static int cpu_has(qgemm_isa isa)
{
    __builtin_cpu_init();
    switch (isa) {
    case QGEMM_REF:
        return 1;
    case QGEMM_AVX2:
        return quant_has_avx2();
    case QGEMM_AVX_VNNI:
        return quant_has_avx2() && __builtin_cpu_supports("avxvnni");
    case QGEMM_AVX512:
        return quant_has_avx2() && __builtin_cpu_supports("avx512vnni") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq");
    case QGEMM_AMX:
        return qgemm_amx_usable();
    }
    return 0;
}

qgemm_fn qgemm_isa_fn(ggml_type t, qgemm_isa isa)
{
    if (!cpu_has(isa) || !qgemm_ref(t))
        return NULL;
    static const qgemm_fn fns[][3] = { /* Q8_0, Q4_0, Q5_0 */
        [QGEMM_AVX2] = {qgemm_q8_0_avx2, qgemm_q4_0_avx2, qgemm_q5_0_avx2},
        [QGEMM_AVX_VNNI] = {qgemm_q8_0_avxvnni, qgemm_q4_0_avxvnni, qgemm_q5_0_avxvnni},
        [QGEMM_AVX512] = {qgemm_q8_0_avx512, qgemm_q4_0_avx512, qgemm_q5_0_avx512},
        [QGEMM_AMX] = {qgemm_amx_q8_0, qgemm_amx_q4_0, qgemm_amx_q5_0},
    };
    if (isa == QGEMM_REF)
        return qgemm_ref(t);
    return fns[isa][t == GGML_TYPE_Q8_0 ? QW_Q8_0 : t == GGML_TYPE_Q4_0 ? QW_Q4_0 : QW_Q5_0];
}

/* The widest this CPU runs: AVX-512 halves the instructions of AVX-VNNI,
 * which takes two off each block pair of AVX2 (bench/qgemm_bench.c). */
static qgemm_isa best_isa(void)
{
    static const qgemm_isa order[] = {QGEMM_AMX, QGEMM_AVX512, QGEMM_AVX_VNNI, QGEMM_AVX2};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (cpu_has(order[i]))
            return order[i];
    return QGEMM_REF;
}
#else
static int cpu_has(qgemm_isa isa)
{
    return isa == QGEMM_REF;
}

qgemm_fn qgemm_isa_fn(ggml_type t, qgemm_isa isa)
{
    return isa == QGEMM_REF ? qgemm_ref(t) : NULL;
}

static qgemm_isa best_isa(void)
{
    return QGEMM_REF;
}
#endif

qgemm_fn qgemm_fast(ggml_type t)
{
    return qgemm_isa_fn(t, best_isa());
}

const char *qgemm_isa_name(qgemm_isa isa)
{
    switch (isa) {
    case QGEMM_REF: return "portable";
    case QGEMM_AVX2: return "avx2";
    case QGEMM_AVX_VNNI: return "avx-vnni";
    case QGEMM_AVX512: return "avx512-vnni";
    case QGEMM_AMX: return "amx-int8";
    }
    return "?";
}

const char *qgemm_fast_name(void)
{
    return qgemm_isa_name(best_isa());
}

int qgemm_isa_available(qgemm_isa isa)
{
    return cpu_has(isa);
}

qgemm_isa qgemm_best_isa(void)
{
    return best_isa();
}
