/*
 * test_model_quant.c -- every fast kernel against its plain-loop reference,
 * quantizers against hand-computed blocks, Q4_K / Q6_K / BF16 blocks packed
 * by hand against ggml's dequantization formulas (and the Q4_K / Q6_K ones
 * through the integer kernels against exact sums), half/bfloat conversion
 * against known bit patterns, and the random-weight Llama models of ../shared
 * against llama.cpp's logits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/qgemm.h"
#include "model/qgemm_k.h"
#include "model/quant.h"
#include "model/sampler.h"
#include "model/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng = 88172645463325252ull;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)(rng >> 40) / 16777216.0f * 2 - 1;
}

static void test_half_bits(void **st)
{
    (void)st;
    /* IEEE 754 binary16 patterns: 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff,
     * smallest subnormal 2^-24 = 0x0001, 1/3 rounds to 0x3555 */
    assert_int_equal(f32_to_fp16(1.0f), 0x3c00);
    assert_int_equal(f32_to_fp16(-2.0f), 0xc000);
    assert_int_equal(f32_to_fp16(65504.0f), 0x7bff);
    assert_int_equal(f32_to_fp16(0x1p-24f), 0x0001);
    assert_int_equal(f32_to_fp16(1.0f / 3), 0x3555);
    assert_int_equal(f32_to_fp16(1e6f), 0x7c00);
    assert_true(fp16_to_f32(0x0001) == 0x1p-24f);
    assert_true(fp16_to_f32(0x3555) == 0.333251953125f);
    for (uint32_t h = 0; h < 0x7c00; h++) /* every finite positive half round-trips */
        assert_int_equal(f32_to_fp16(fp16_to_f32((uint16_t)h)), h);
    assert_int_equal(f32_to_bf16(1.0f), 0x3f80);
    assert_true(bf16_to_f32(0x3f80) == 1.0f);
    assert_int_equal(f32_to_bf16(1.00390625f), 0x3f80); /* tie rounds to even */
}

/* The vector rounding to half against f32_to_fp16, bit for bit: every
 * half's neighbourhood (the half itself, the ties just above it, values a
 * float ulp either side of the tie) in normal and subnormal range, scaled
 * by a = 1 and by a factor that is not a power of two. */
static void test_scale_round_f16_same_bits(void **st)
{
    (void)st;
    enum { N = 4 * 0x7bff };
    static float x[N], a[N], b[N];
    for (uint32_t h = 0; h < 0x7bff; h++) {
        float lo = fp16_to_f32((uint16_t)h), hi = fp16_to_f32((uint16_t)(h + 1));
        float tie = lo + (hi - lo) / 2;
        x[4 * h] = lo;
        x[4 * h + 1] = tie;
        x[4 * h + 2] = nextafterf(tie, 0);
        x[4 * h + 3] = -nextafterf(tie, INFINITY);
    }
    static const float scales[2] = {1.0f, 0.37f};
    for (int si = 0; si < 2; si++) {
        memcpy(a, x, sizeof x);
        memcpy(b, x, sizeof x);
        quant_scale_round_f16(1)(a, scales[si], N - 3); /* odd length: the tail too */
        quant_scale_round_f16(0)(b, scales[si], N - 3);
        for (int i = 0; i < N; i++)
            if (memcmp(&a[i], &b[i], 4))
                fail_msg("x %.9g * %g: fast %.9g ref %.9g", x[i], scales[si], a[i], b[i]);
    }
}

/* The attention kernels over a half cache (both variants) against the same
 * sums in double over the halves' exact values: rows stride halves apart,
 * head sizes 8 (stories260K), 24 (the built-in model), 32, 40, 64 and 17 (a
 * tail),
 * 1..40 positions.  Tolerance: float sums of n products of |q| < 1,
 * |k| < 2 (and of len terms for values) are within n * 2^-23 * sum|terms|
 * of the exact sum; 1e-5 * (sum|terms| + 1) is above that for n <= 64. */
static void test_attention_kernels(void **st)
{
    (void)st;
    enum { MAXN = 64, MAXT = 40, STRIDE = 3 * MAXN };
    static uint16_t kv[MAXT * STRIDE];
    float q[MAXN], p[MAXT], att[MAXT], y[MAXN];
    uint32_t r = 12345;
    for (int i = 0; i < MAXT * STRIDE; i++) {
        r = r * 1664525u + 1013904223u;
        kv[i] = f32_to_fp16(((float)(r >> 8) / 16777216.0f - 0.5f) * 4);
    }
    static const int ns[6] = {8, 24, 64, 17, 40, 32};
    for (int fast = 0; fast < 2; fast++)
        for (int ni = 0; ni < 6; ni++)
            for (int len = 1; len <= MAXT; len += 13) {
                int n = ns[ni];
                for (int i = 0; i < n; i++)
                    q[i] = (float)((i * 37) % 19 - 9) / 10;
                for (int t = 0; t < len; t++)
                    p[t] = 1.0f / (float)(t + 2);
                quant_scores_f16(fast)(att, kv + 5, STRIDE, q, n, len, 0.125f);
                for (int t = 0; t < len; t++) {
                    double e = 0, mag = 0;
                    for (int i = 0; i < n; i++) {
                        double term = (double)fp16_to_f32(kv[5 + t * STRIDE + i]) * q[i];
                        e += term;
                        mag += fabs(term);
                    }
                    e *= 0.125;
                    if (fabs(att[t] - e) > 1e-5 * (mag + 1))
                        fail_msg("scores fast=%d n=%d t=%d: %.9g, exact %.9g", fast, n, t, att[t], e);
                }
                /* the fast variant is the per-position kernels bit for bit */
                for (int t = 0; fast && t < len; t++) {
                    float one = quant_dot_fast(GGML_TYPE_F16)(kv + 5 + t * STRIDE, q, n) * 0.125f;
                    if (memcmp(&one, &att[t], sizeof one))
                        fail_msg("scores n=%d t=%d: %.9g, per position %.9g", n, t, att[t], one);
                }
                float y1[MAXN];
                for (int i = 0; i < n; i++)
                    y[i] = y1[i] = 0.5f;
                quant_values_f16(fast)(y, p, kv + 7, STRIDE, n, len);
                for (int t = 0; fast && t < len; t++)
                    quant_axpy_f16(1)(y1, p[t], kv + 7 + t * STRIDE, n);
                if (fast && memcmp(y, y1, (size_t)n * sizeof(float)))
                    fail_msg("values n=%d len=%d differ from the per-position kernel", n, len);
                for (int i = 0; i < n; i++) {
                    double e = 0.5, mag = 0.5;
                    for (int t = 0; t < len; t++) {
                        double term = (double)p[t] * fp16_to_f32(kv[7 + t * STRIDE + i]);
                        e += term;
                        mag += fabs(term);
                    }
                    if (fabs(y[i] - e) > 1e-5 * (mag + 1))
                        fail_msg("values fast=%d n=%d len=%d i=%d: %.9g, exact %.9g", fast, n, len,
                                 i, y[i], e);
                }
            }
}

static void test_q8_0_block_by_hand(void **st)
{
    (void)st;
    float x[32];
    for (int i = 0; i < 32; i++)
        x[i] = (float)(i - 16) / 4; /* amax 4 -> d = 4/127 */
    blk_q8_0 b;
    quant_quantize_row(&b, x, GGML_TYPE_Q8_0, 32);
    assert_int_equal(b.d, f32_to_fp16(4.0f / 127));
    assert_int_equal(b.qs[0], -127);
    assert_int_equal(b.qs[16], 0);
    assert_int_equal(b.qs[24], 64); /* 2 * 127/4 = 63.5 -> 64 (roundf away from 0) */
    blk_q4_0 c;
    quant_quantize_row(&c, x, GGML_TYPE_Q4_0, 32);
    /* ggml: max-magnitude value -4 maps to -8, d = -4/-8 = 0.5; x[0] -> 0 */
    assert_true(fp16_to_f32(c.d) == 0.5f);
    assert_int_equal(c.qs[0] & 0xF, 0);
    float y[32];
    quant_dequant_row(y, &c, GGML_TYPE_Q4_0, 32);
    for (int i = 0; i < 32; i++) /* Q4_0 with d 0.5 is exact on a 0.25 grid to 0.25 */
        assert_true(fabsf(y[i] - x[i]) <= 0.25f + 1e-6f);
}

/* A Q5_0 block packed by hand, read with ggml's dequantize_row_q5_0
 * (llama.cpp c392e509), restated per element: with qh the 32-bit
 * little-endian word, element j < 16 is d * ((qs[j] & 0xF | bit j of qh
 * << 4) - 16) and element j + 16 is d * ((qs[j] >> 4 | bit j + 16 << 4) -
 * 16).  Here d = 0.5, qs[j] = j | (15 - j) << 4, qh = 0xA5A5F00F: elements
 * 0..3 and 12..15 have the fifth bit, 4..11 not; 16..31 follow 0xA5A5
 * (bits 16, 18, 21, 23, 24, 26, 29, 31).  Then our quantizer on values
 * that sit on the grid of d = 1/4: it must give the exact values back, the
 * largest magnitude (-4) at -16. */
static void test_q5_0_by_hand(void **st)
{
    (void)st;
    blk_q5_0 b = {.d = 0x3800, .qh = {0x0F, 0xF0, 0xA5, 0xA5}};
    for (int j = 0; j < 16; j++)
        b.qs[j] = (uint8_t)(j | (15 - j) << 4);
    float y[32];
    quant_dequant_row(y, &b, GGML_TYPE_Q5_0, 32);
    uint32_t qh = 0xA5A5F00Fu;
    for (int j = 0; j < 16; j++) {
        int lo = j + (int)((qh >> j) & 1) * 16 - 16, hi = (15 - j) + (int)((qh >> (j + 16)) & 1) * 16 - 16;
        if (y[j] != 0.5f * (float)lo || y[j + 16] != 0.5f * (float)hi)
            fail_msg("Q5_0 element %d / %d: %g / %g, want %g / %g", j, j + 16, y[j], y[j + 16],
                     0.5f * lo, 0.5f * hi);
    }
    assert_true(y[0] == 0.0f);  /* 0 | 16 - 16 */
    assert_true(y[4] == -6.0f); /* 4 - 16 */
    assert_true(y[16] == 7.5f); /* 15 | 16 - 16 */
    assert_true(y[17] == -1.0f); /* 14 - 16 */
    float x[32];
    for (int i = 0; i < 32; i++)
        x[i] = (float)((i * 7) % 32 - 16) / 4; /* -4 .. 3.75 on the 1/4 grid */
    blk_q5_0 c;
    quant_quantize_row(&c, x, GGML_TYPE_Q5_0, 32);
    assert_true(fp16_to_f32(c.d) == 0.25f); /* -4 / -16 */
    quant_dequant_row(y, &c, GGML_TYPE_Q5_0, 32);
    for (int i = 0; i < 32; i++)
        if (y[i] != x[i])
            fail_msg("Q5_0 round trip element %d: %g -> %g", i, x[i], y[i]);
}

/* ---- K-quant and BF16 blocks built by hand ------------------------------
 * These check our dequantization against ggml's published formulas rather
 * than against our own quantizer.  The formulas, read from ggml-quants.c
 * (llama.cpp c392e509: dequantize_row_q4_K with get_scale_min_k4, and
 * dequantize_row_q6_K), restated here by element rather than by loop:
 *
 * Q4_K, 144 bytes per 256 elements: element e lies in sub-block s = e / 32,
 * which has a 6-bit scale sc[s] and a 6-bit min m[s]; e has a 4-bit q[e]:
 *     y[e] = fp16(d) * sc[s] * q[e] - fp16(dmin) * m[s]
 *   q[e]: byte qs[32 * (s / 2) + e % 32], low nibble for even s, high for odd
 *   s < 4:  sc[s] = low 6 bits of scales[s], m[s] = low 6 bits of scales[s + 4]
 *   s >= 4: low 4 bits of sc[s] in the low nibble of scales[s + 4], of m[s]
 *           in its high nibble; the top 2 bits of sc[s] are the top 2 bits of
 *           scales[s - 4], those of m[s] the top 2 bits of scales[s]
 * Q6_K, 210 bytes per 256 elements: 16 sub-blocks of 16 with a signed 8-bit
 * scale; e has a 6-bit q[e] stored with an offset of 32:
 *     y[e] = fp16(d) * scales[e / 16] * (q[e] - 32)
 *   with h = e / 128, k = (e % 128) / 32, l = e % 32: the low 4 bits of q[e]
 *   in ql[64 h + 32 (k % 2) + l] (low nibble for k < 2, high for k >= 2),
 *   the high 2 bits in qh[32 h + l] at bits 2k and 2k + 1
 *
 * The blocks are packed below bit by bit from those positions (not by our
 * quantizer), and the expected values computed in integers: every d and
 * dmin is a half whose value is an integer over 4096, so y[e] * 4096 is an
 * integer below 2^24 and float arithmetic in any order gives it exactly. */

/* Set width bits of bytes[at] starting at bit shift to v. */
static void put_bits(uint8_t *bytes, int at, int shift, int width, unsigned v)
{
    unsigned mask = ((1u << width) - 1) << shift;
    bytes[at] = (uint8_t)((bytes[at] & ~mask) | ((v << shift) & mask));
}

typedef struct q4k_hand {
    uint16_t d, dmin; /* half bits */
    int d4096, dmin4096; /* their values times 4096, worked out by hand */
    int sc[8], m[8];
    int q[256];
} q4k_hand;

static void q4k_pack(blk_q4_K *b, const q4k_hand *h)
{
    memset(b, 0, sizeof *b);
    b->d = h->d;
    b->dmin = h->dmin;
    for (int s = 0; s < 8; s++) {
        if (s < 4) {
            put_bits(b->scales, s, 0, 6, (unsigned)h->sc[s]);
            put_bits(b->scales, s + 4, 0, 6, (unsigned)h->m[s]);
        } else {
            put_bits(b->scales, s + 4, 0, 4, (unsigned)h->sc[s] & 15);
            put_bits(b->scales, s + 4, 4, 4, (unsigned)h->m[s] & 15);
            put_bits(b->scales, s - 4, 6, 2, (unsigned)h->sc[s] >> 4);
            put_bits(b->scales, s, 6, 2, (unsigned)h->m[s] >> 4);
        }
    }
    for (int e = 0; e < 256; e++) {
        int s = e / 32;
        put_bits(b->qs, 32 * (s / 2) + e % 32, s % 2 ? 4 : 0, 4, (unsigned)h->q[e]);
    }
}

static double q4k_value(const q4k_hand *h, int e)
{
    int s = e / 32;
    return (double)(h->d4096 * h->sc[s] * h->q[e] - h->dmin4096 * h->m[s]) / 4096;
}

typedef struct q6k_hand {
    uint16_t d;
    int d4096;
    int scales[16];
    int q[256]; /* 0..63, stored value (offset 32 included) */
} q6k_hand;

static void q6k_pack(blk_q6_K *b, const q6k_hand *h)
{
    memset(b, 0, sizeof *b);
    b->d = h->d;
    for (int i = 0; i < 16; i++)
        b->scales[i] = (int8_t)h->scales[i];
    for (int e = 0; e < 256; e++) {
        int hh = e / 128, k = (e % 128) / 32, l = e % 32;
        put_bits(b->ql, 64 * hh + 32 * (k % 2) + l, k < 2 ? 0 : 4, 4, (unsigned)h->q[e] & 15);
        put_bits(b->qh, 32 * hh + l, 2 * k, 2, (unsigned)h->q[e] >> 4);
    }
}

static double q6k_value(const q6k_hand *h, int e)
{
    return (double)(h->d4096 * h->scales[e / 16] * (h->q[e] - 32)) / 4096;
}

/* A known activation vector: multiples of 1/8 in [-0.5, 0.5]. */
static float known_x(int i)
{
    return (float)((i * 5) % 9 - 4) / 8;
}

/* The dot of w (n expected weights) with known_x by both kernels, against
 * a double sum.  Tolerance: recursive float summation of n products errs by
 * at most n * 2^-24 * sum |w x| (Higham, Accuracy and Stability of Numerical
 * Algorithms, 2002, eq. 3.5); the AVX2 kernels sum in 8 lanes, which only
 * shortens the chains. */
static void check_known_dot(ggml_type t, const void *blocks, const double *w, int n)
{
    float x[512];
    double want = 0, abs_sum = 0;
    for (int i = 0; i < n; i++) {
        x[i] = known_x(i);
        want += w[i] * x[i];
        abs_sum += fabs(w[i] * x[i]);
    }
    double tol = n * 0x1p-24 * abs_sum;
    float ref = quant_dot_ref(t)(blocks, x, n), fast = quant_dot_fast(t)(blocks, x, n);
    if (fabs(ref - want) > tol || fabs(fast - want) > tol)
        fail_msg("%s dot (%s): ref %.6f fast %.6f, want %.6f within %.2g", ggml_type_name(t),
                 quant_fast_name(), ref, fast, want, tol);
}

/* The same hand-built blocks through the integer path (model/qgemm_k.h):
 * activations that quantize to Q8_K exactly -- integers in [-127, 127]
 * with 127 in every block, so d = 1, 127 / amax = 1 and the bytes are the
 * integers themselves (checked) -- against the exact sum of w * x in double
 * (w has 12 fraction bits, x is an integer: every product and partial sum
 * is exact), for the plain reference and every SIMD variant this CPU runs.
 * Tolerance: the kernels' integer sums are exact and their float work is a
 * few roundings per super-block term plus the additions, bounded as in
 * test_model_qgemm_k by (3 nb + 25) 2^-24 times mag = sum over e of
 * |x_e| times the magnitudes the kernels carry apart (mag_w below). */
static int known_xi(int i)
{
    return i % 256 == 0 ? 127 : ((i * 5) % 9 - 4) * 31;
}

static void check_known_int_dot(ggml_type t, const void *blocks, const double *w,
                                const double *mag_w, int n)
{
    float x[512];
    double want = 0, mag = 0;
    for (int i = 0; i < n; i++) {
        x[i] = (float)known_xi(i);
        want += w[i] * x[i];
        mag += mag_w[i] * fabs((double)x[i]);
    }
    blk_q8_K a[2];
    quant_act_q8_K(a, x, n);
    for (int k = 0; k < n / QK_K; k++) {
        assert_true(a[k].d == 1.0f);
        for (int l = 0; l < QK_K; l++)
            assert_int_equal(a[k].qs[l], known_xi(k * QK_K + l));
    }
    double tol = (3.0 * (n / QK_K) + 25) * 0x1p-24 * mag;
    for (int v = QGEMM_REF; v < QGEMM_N_ISA; v++) {
        qgemm_k_fn fn = qgemm_k_isa_fn(t, (qgemm_isa)v);
        if (!fn)
            continue;
        float got;
        fn(&got, 1, blocks, ggml_row_size(t, (uint64_t)n), 0, 1, a, n / QK_K, 1);
        if (fabs(got - want) > tol)
            fail_msg("%s integer dot (%s): %.9g, want %.9g within %.2g", ggml_type_name(t),
                     qgemm_isa_name((qgemm_isa)v), got, want, tol);
    }
}

static void test_q4_K_by_hand(void **st)
{
    (void)st;
    /* half 0x3555 = 2^-2 * (1 + 0x155/1024) = 1365/4096; 0x3266 = 2^-3 *
     * (1 + 0x266/1024) = 819/4096; 0x3a00 = 0.75 = 3072/4096; 0x3400 = 0.25.
     * The scales and mins of sub-blocks 4..7 use their top two bits (48 =
     * 0b110000, 33, 62, 47, 50, 31 = 0b011111), which is where a wrong
     * unpacking of the 12 scale bytes shows. */
    static q4k_hand h[2] = {
        {0x3555, 0x3266, 1365, 819, {1, 17, 63, 40, 5, 48, 33, 62}, {0, 3, 21, 63, 16, 47, 50, 31}, {0}},
        {0x3a00, 0x3400, 3072, 1024, {62, 33, 48, 5, 40, 63, 17, 1}, {31, 50, 47, 16, 63, 21, 3, 0}, {0}},
    };
    for (int e = 0; e < 256; e++) {
        h[0].q[e] = (7 * e + e / 32) % 16;
        h[1].q[e] = (5 * e + 3) % 16;
    }
    for (int b = 0; b < 2; b++) {
        assert_true(fp16_to_f32(h[b].d) * 4096 == h[b].d4096);
        assert_true(fp16_to_f32(h[b].dmin) * 4096 == h[b].dmin4096);
    }
    blk_q4_K blk[2];
    q4k_pack(&blk[0], &h[0]);
    q4k_pack(&blk[1], &h[1]);
    float y[512];
    double w[512];
    quant_dequant_row(y, blk, GGML_TYPE_Q4_K, 512);
    for (int i = 0; i < 512; i++) {
        w[i] = q4k_value(&h[i / 256], i % 256);
        if (y[i] != w[i])
            fail_msg("Q4_K element %d: %.9g, formula gives %.9g", i, y[i], w[i]);
    }
    /* a few by hand, block 0:
     * e 37: s 1, q (259 + 1) % 16 = 4: (1365*17*4 - 819*3)/4096 = 90363/4096
     * e 130: s 4, q 914 % 16 = 2: (1365*5*2 - 819*16)/4096 = 546/4096
     * e 200: s 6, q 1406 % 16 = 14: (1365*33*14 - 819*50)/4096 = 143.96484375
     * e 255: s 7, q 1792 % 16 = 0: -819*31/4096 = -6.198486328125 */
    assert_true(y[37] == 22.061279296875f);
    assert_true(y[130] == 0.13330078125f);
    assert_true(y[200] == 143.96484375f);
    assert_true(y[255] == -6.198486328125f);
    check_known_dot(GGML_TYPE_Q4_K, blk, w, 512);
    double mag_w[512]; /* the scale part d sc q and the min part dmin m */
    for (int i = 0; i < 512; i++) {
        const q4k_hand *hb = &h[i / 256];
        int e = i % 256, sb = e / 32;
        mag_w[i] = (double)(hb->d4096 * hb->sc[sb] * hb->q[e] + hb->dmin4096 * hb->m[sb]) / 4096;
    }
    check_known_int_dot(GGML_TYPE_Q4_K, blk, w, mag_w, 512);
}

static void test_q6_K_by_hand(void **st)
{
    (void)st;
    /* d: 0x3555 = 1365/4096 (above) and 0x2c00 = 2^-4 = 256/4096.  The
     * scales are signed and reach both ends of int8. */
    static q6k_hand h[2] = {
        {0x3555, 1365, {1, -1, 127, -128, 5, -7, 64, 33, -100, 2, 90, -3, 17, -64, 100, 8}, {0}},
        {0x2c00, 256, {0}, {0}},
    };
    for (int i = 0; i < 16; i++)
        h[1].scales[i] = (i * 37) % 256 - 128;
    for (int e = 0; e < 256; e++) {
        h[0].q[e] = (11 * e + 5) % 64;
        h[1].q[e] = (13 * e + e / 64) % 64;
    }
    for (int b = 0; b < 2; b++)
        assert_true(fp16_to_f32(h[b].d) * 4096 == h[b].d4096);
    blk_q6_K blk[2];
    q6k_pack(&blk[0], &h[0]);
    q6k_pack(&blk[1], &h[1]);
    float y[512];
    double w[512];
    quant_dequant_row(y, blk, GGML_TYPE_Q6_K, 512);
    for (int i = 0; i < 512; i++) {
        w[i] = q6k_value(&h[i / 256], i % 256);
        if (y[i] != w[i])
            fail_msg("Q6_K element %d: %.9g, formula gives %.9g", i, y[i], w[i]);
    }
    /* by hand, block 0: e 0: scale 1, q 5: 1365*(5-32)/4096 = -8.997802734375;
     * e 50: scale[3] -128, q 555 % 64 = 43: 1365*-128*11/4096 = -469.21875;
     * e 140: scale[8] -100, q 1545 % 64 = 9: 1365*-100*-23/4096 = 766.4794921875;
     * e 255: scale[15] 8, q 2810 % 64 = 58: 1365*8*26/4096 = 69.31640625 */
    assert_true(y[0] == -8.997802734375f);
    assert_true(y[50] == -469.21875f);
    assert_true(y[140] == 766.4794921875f);
    assert_true(y[255] == 69.31640625f);
    check_known_dot(GGML_TYPE_Q6_K, blk, w, 512);
    double mag_w[512]; /* |d sc| q and |d sc| 32, q the stored 0..63 */
    for (int i = 0; i < 512; i++) {
        const q6k_hand *hb = &h[i / 256];
        int e = i % 256;
        mag_w[i] = fabs((double)hb->d4096 * hb->scales[e / 16]) * (hb->q[e] + 32) / 4096;
    }
    check_known_int_dot(GGML_TYPE_Q6_K, blk, w, mag_w, 512);
}

static void test_bf16_by_hand(void **st)
{
    (void)st;
    /* bfloat16 is the top half of an IEEE single: sign, 8-bit exponent
     * (bias 127), 7-bit mantissa.  By hand:
     *   0x3f80 = 2^0 = 1;  0xc0a0 = -2^2 * (1 + 32/128) = -5;
     *   0x4049 = 2^1 * (1 + 73/128) = 3.140625;  0x3e20 = 2^-3 * 1.25 = 0.15625;
     *   0x0001 = the smallest subnormal 2^-126 * 2^-7 = 2^-133;
     *   0x7f7f = 2^127 * (1 + 127/128), the largest finite;  0xff80 = -inf;
     *   0x8000 = -0 */
    static const uint16_t bits[8] = {0x3f80, 0xc0a0, 0x4049, 0x3e20, 0x0001, 0x7f7f, 0xff80, 0x8000};
    static const float want[8] = {1.0f, -5.0f, 3.140625f, 0.15625f, 0x1p-133f, 0x1.fep127f,
                                  -INFINITY, -0.0f};
    float y[8];
    quant_dequant_row(y, bits, GGML_TYPE_BF16, 8);
    for (int i = 0; i < 8; i++)
        if (memcmp(&y[i], &want[i], 4) != 0) /* bits, so -0 is not 0 */
            fail_msg("BF16 0x%04x: %g, want %g", bits[i], y[i], want[i]);
    /* rounding to bf16, by hand: pi lies between 3.140625 (0x4049) and
     * 3.15625 (0x404a), nearer the first; 1 + 1.5/128 is a tie between
     * 0x3f81 (odd) and 0x3f82 (even) and goes to the even one */
    assert_int_equal(f32_to_bf16(3.14159265f), 0x4049);
    assert_int_equal(f32_to_bf16(-5.0f), 0xc0a0);
    assert_int_equal(f32_to_bf16(1.01171875f), 0x3f82);
    /* dot over 20 elements (two 8-lane steps and a tail of 4): the group
     * (1, -5, 3.140625, 0.15625) . (1, 2, 0.5, -4) = 1 - 10 + 1.5703125 -
     * 0.625 = -8.0546875, five times: -40.2734375.  Every partial sum is a
     * short binary fraction, exact in float in any order, so equality. */
    uint16_t w[20];
    float x[20];
    static const float xg[4] = {1, 2, 0.5f, -4};
    for (int i = 0; i < 20; i++) {
        w[i] = bits[i % 4];
        x[i] = xg[i % 4];
    }
    assert_true(quant_dot_ref(GGML_TYPE_BF16)(w, x, 20) == -40.2734375f);
    assert_true(quant_dot_fast(GGML_TYPE_BF16)(w, x, 20) == -40.2734375f);
}

/* Quantize random rows, dequantize, and require the error a format of that
 * many bits allows; then every dot kernel (fast and reference) must agree
 * with a double-precision dot of the dequantized operands. */
static void check_type(ggml_type t, float max_rel_err)
{
    enum { N = 1024 };
    float x[N], w[N], wd[N], xd[N];
    for (int i = 0; i < N; i++) {
        w[i] = frand();
        x[i] = frand();
    }
    unsigned char wq[N * 4];
    quant_quantize_row(wq, w, t, N);
    quant_dequant_row(wd, wq, t, N);
    for (int i = 0; i < N; i++)
        if (fabsf(wd[i] - w[i]) > max_rel_err)
            fail_msg("%s: element %d: %g -> %g", ggml_type_name(t), i, w[i], wd[i]);
    blk_q8_act act[N / QK];
    const void *a = x;
    if (quant_wants_q8(t)) {
        quant_act_q8(act, x, N);
        for (int b = 0; b < N / QK; b++)
            for (int j = 0; j < QK; j++)
                xd[b * QK + j] = act[b].d * act[b].qs[j];
        a = act;
    } else {
        memcpy(xd, x, sizeof x);
    }
    double want = 0;
    for (int i = 0; i < N; i++)
        want += (double)wd[i] * xd[i];
    /* Q8_0 / Q4_0 rows are dotted by the integer tile kernel (a 1 x 1 tile) */
    float ref, fast;
    if (quant_wants_q8(t)) {
        qgemm_ref(t)(&ref, 1, wq, ggml_row_size(t, N), 0, 1, act, N / QK, 1);
        qgemm_fast(t)(&fast, 1, wq, ggml_row_size(t, N), 0, 1, act, N / QK, 1);
    } else {
        ref = quant_dot_ref(t)(wq, a, N);
        fast = quant_dot_fast(t)(wq, a, N);
    }
    /* float sums of 1024 products of size <= 1: a few ulp of the partial
     * sums, 1e-3 absolute is generous and still catches any layout error */
    if (fabs(ref - want) > 1e-3 || fabs(fast - want) > 1e-3)
        fail_msg("%s (%s): ref %.6f fast %.6f double %.6f", ggml_type_name(t), quant_fast_name(),
                 ref, fast, want);
}

static void test_kernels_vs_reference(void **st)
{
    (void)st;
    /* error bounds: half ulp at |x|<=1 is 2^-11; bf16 2^-8; Q8_0 d/2 with
     * d = 1/127; Q4_0 one full step d = 1/8 (ggml maps the largest magnitude
     * to -8, so +8 clips to +7 on the other side), plus the half-rounded scale;
     * Q4_K 4-bit steps on a range <= 2 with 6-bit scales; Q6_K 6-bit */
    check_type(GGML_TYPE_F32, 0);
    check_type(GGML_TYPE_F16, 1.0f / 2048);
    check_type(GGML_TYPE_BF16, 1.0f / 256);
    check_type(GGML_TYPE_Q8_0, 0.5f / 127 + 1e-3f);
    check_type(GGML_TYPE_Q4_0, 1.0f / 8 * 1.01f + 1e-3f);
    check_type(GGML_TYPE_Q5_0, 1.0f / 16 * 1.01f + 1e-3f); /* the same with 5 bits: -16..15 */
    check_type(GGML_TYPE_Q4_K, 0.1f);
    check_type(GGML_TYPE_Q6_K, 0.04f);
}

/* llama.cpp's logits for the random-weight Q8_0/Q4_0 models, step 0, from
 * reference-outputs.md.  Their top-1/top-2 gaps are as small as 0.01, so
 * only logits are compared, with the 2e-2 quantized tolerance given there
 * plus 5e-3 for our dot-product summation order. */
static void check_random_model(const char *rel, const int *ids, const float *logits)
{
    const char *sd = getenv("AS_SHARED_DIR");
    char path[1200];
    snprintf(path, sizeof path, "%s/models/%s", sd ? sd : "../shared", rel);
    if (access(path, R_OK) != 0) {
        printf("skip: %s not found\n", path);
        skip();
    }
    model *m;
    assert_int_equal(model_open(&m, path), AS_OK);
    model_state *s;
    assert_int_equal(model_state_new(&s, m, 1, 16, 8, 2, 0), AS_OK);
    int tok[5] = {1, 15043, 590, 1024, 338}, pos[5] = {0, 1, 2, 3, 4}, seq[5] = {0}, n;
    model_batch b = {5, tok, pos, seq, NULL};
    assert_int_equal(model_forward(s, &b, &n), AS_OK);
    for (int k = 0; k < 5; k++)
        if (fabsf(s->logits[ids[k]] - logits[k]) > 2.5e-2f)
            fail_msg("%s: id %d logit %.5f, llama.cpp %.5f", rel, ids[k], s->logits[ids[k]],
                     logits[k]);
    model_state_free(s);
    model_close(m);
}

static void test_random_llama_q8_0(void **st)
{
    (void)st;
    static const int ids[5] = {7821, 27707, 28424, 14697, 14560};
    static const float lg[5] = {1.33622f, 1.27361f, 1.25984f, 1.22238f, 1.16355f};
    check_random_model("derived/rand-tiny-llama-256x4-Q8_0.gguf", ids, lg);
}

static void test_random_llama_q4_0(void **st)
{
    (void)st;
    static const int ids[5] = {7821, 14697, 27707, 13128, 1348};
    static const float lg[5] = {1.39703f, 1.24482f, 1.20855f, 1.19238f, 1.17513f};
    check_random_model("derived/rand-tiny-llama-256x4-Q4_0.gguf", ids, lg);
}

static void test_tiny_random_f16(void **st)
{
    (void)st;
    /* llama-2-tiny-random (F16, 1 layer); same tolerance, same reason */
    static const int ids[5] = {30960, 17064, 15946, 12481, 13302};
    static const float lg[5] = {0.22647f, 0.21244f, 0.21098f, 0.20362f, 0.20061f};
    check_random_model("llama-2-tiny-random.gguf", ids, lg);
}

static void test_sampler(void **st)
{
    (void)st;
    float logits[6] = {1, 3, 3, 0, -1, 2};
    assert_int_equal(sampler_argmax(logits, 6), 1); /* tie -> lower id */
    sampler_params p = {.temp = 1.0f, .top_k = 2, .top_p = 1.0f, .seed = 7};
    sampler *s;
    assert_int_equal(sampler_new(&s, 6, &p), AS_OK);
    int seen[6] = {0};
    for (int i = 0; i < 2000; i++)
        seen[sampler_sample(s, logits)]++;
    sampler_free(s);
    /* top-k 2 keeps ids 1 and 2 (equal logits): each ~1000 of 2000 draws;
     * 5 sigma of a binomial(2000, 0.5) is 112 */
    assert_int_equal(seen[1] + seen[2], 2000);
    assert_true(abs(seen[1] - 1000) < 112);
    p = (sampler_params){.temp = 1.0f, .top_k = 0, .top_p = 0.5f, .seed = 7};
    assert_int_equal(sampler_new(&s, 6, &p), AS_OK);
    /* softmax: ids 1,2 each e^3/Z = 0.387 of the mass: top-p 0.5 keeps both */
    for (int i = 0; i < 200; i++) {
        int id = sampler_sample(s, logits);
        assert_true(id == 1 || id == 2);
    }
    sampler_free(s);
}

static const float *cmp_logits;

/* descending logit, then ascending id: the sampler's order */
static int by_logit_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    if (cmp_logits[x] != cmp_logits[y])
        return cmp_logits[x] < cmp_logits[y] ? 1 : -1;
    return x - y;
}

/* Top-k by partial selection draws exactly what the full sort draws: the
 * reference is the full-sort path (top_k 0) on the same row with every
 * token outside the top k set to -inf (probability 0), same seed.  Logits
 * are small integers, so ties straddle the k-th place. */
static void test_sampler_topk_partial(void **st)
{
    (void)st;
    enum { N = 997, K = 40 };
    static float lg[N], masked[N];
    static int idx[N];
    uint64_t r = 12345;
    for (int row = 0; row < 8; row++) {
        for (int i = 0; i < N; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            lg[i] = (float)((r >> 33) % 23) * 0.5f - 5.0f;
            idx[i] = i;
        }
        cmp_logits = lg;
        qsort(idx, N, sizeof idx[0], by_logit_desc);
        for (int i = 0; i < N; i++)
            masked[i] = -INFINITY;
        for (int i = 0; i < K; i++)
            masked[idx[i]] = lg[idx[i]];
        sampler_params pa = {.temp = 0.7f, .top_k = K, .top_p = 0.95f, .seed = (uint64_t)row};
        sampler_params pb = pa;
        pb.top_k = 0;
        sampler *a, *b;
        assert_int_equal(sampler_new(&a, N, &pa), AS_OK);
        assert_int_equal(sampler_new(&b, N, &pb), AS_OK);
        for (int d = 0; d < 300; d++)
            assert_int_equal(sampler_sample(a, lg), sampler_sample(b, masked));
        sampler_free(a);
        sampler_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_bits),
        cmocka_unit_test(test_scale_round_f16_same_bits),
        cmocka_unit_test(test_attention_kernels),
        cmocka_unit_test(test_q8_0_block_by_hand),
        cmocka_unit_test(test_q5_0_by_hand),
        cmocka_unit_test(test_q4_K_by_hand),
        cmocka_unit_test(test_q6_K_by_hand),
        cmocka_unit_test(test_bf16_by_hand),
        cmocka_unit_test(test_kernels_vs_reference),
        cmocka_unit_test(test_random_llama_q8_0),
        cmocka_unit_test(test_random_llama_q4_0),
        cmocka_unit_test(test_tiny_random_f16),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_sampler_topk_partial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
