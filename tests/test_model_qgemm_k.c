/*
 * test_model_qgemm_k.c -- the K-quant integer kernels (model/qgemm_k.h) and
 * the Q8_K activation quantizer they eat: the quantizer's AVX2 loop against
 * its plain one bit for bit and against a hand-worked block; the plain
 * reference against a double-precision product of the dequantized operands
 * (quant_dequant_row, which test_model_quant checks against hand-built
 * blocks); every SIMD variant this CPU runs against the reference on
 * quantized rows, on blocks of random bytes (every scale bit pattern) and
 * on blocks at the integer extremes, for every tile edge; and matmul_n
 * over Q4_K and Q6_K matrices on two threads against the plain path.  No
 * shared data needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/matmul.h"
#include "model/qgemm_k.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnext(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static float frand(void)
{
    return (float)(rnext() >> 40) / 16777216.0f * 2 - 1;
}

/* The AVX2 quantizer gives the plain loop's bits (same x * (127 / amax),
 * same round-half-to-even, same sums); ties and an all-zero block included.
 * By hand, block 0: x[0] = -127, x[i] = i - 128 + 0.5 for i in 1..253 (up
 * to 125.5), x[254] = x[255] = 0; amax 127, so d = 1, id = 1 and the bytes
 * are x rounded half to even: group 0 is -127, -126, -126, -124, -124, ...,
 * -114, -114, -112 (x[15] = -112.5), summing to -127 - 2 * 840 - 112 =
 * -1919. */
static void test_act_q8_K_same_bits(void **st)
{
    (void)st;
    enum { N = 4864 };
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = frand() * (i % 7 ? 1.0f : 100.0f);
    for (int i = 0; i < 256; i++)
        x[i] = i == 0 ? -127.0f : i < 254 ? (float)(i - 128) + 0.5f : 0.0f;
    for (int i = 256; i < 512; i++) /* block 1: all zero, scale 0 */
        x[i] = 0;
    static blk_q8_K a[N / QK_K], b[N / QK_K];
    quant_act_q8_K(a, x, N);
    quant_act_q8_K_ref(b, x, N);
    assert_memory_equal(a, b, sizeof a);
    assert_true(b[0].d == 1.0f);
    assert_int_equal(b[0].qs[0], -127);
    assert_int_equal(b[0].qs[1], -126);   /* -126.5 rounds to even */
    assert_int_equal(b[0].qs[2], -126);   /* -125.5 rounds to even */
    assert_int_equal(b[0].qs[253], 126);  /* 125.5 rounds to even */
    assert_int_equal(b[0].bsums[0], -1919);
    assert_true(b[1].d == 0.0f);
    for (int g = 0; g < 16; g++)
        assert_int_equal(b[1].bsums[g], 0);
    /* every block's sums are the sums of its bytes, dsums those times d */
    for (int k = 0; k < N / QK_K; k++)
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int l = 0; l < 16; l++)
                s += b[k].qs[16 * g + l];
            assert_int_equal(b[k].bsums[g], s);
            assert_true(b[k].dsums[g] == b[k].d * (float)s);
        }
}

/* Per element e of a weight row, m_e >= 0 such that the integer terms the
 * kernels form before any float rounding sum, in absolute value, to at
 * most sum_e m_e |x_e| (x_e the dequantized activation).  Q4_K: w = a - b
 * with a = d sc q, b = dmin m; the kernels carry the a and b parts apart, so
 * m = |a| + |b|, with -b read off a copy of the block whose quants are 0.
 * Q6_K: w = s (q - 32), s = d sc; the kernels carry s q and 32 s apart,
 * so m = |s| (q + 32) = |w + 32 s| + 32 |s|, with s read off a copy whose
 * quants are all 33 (nibbles 1, bit pairs 2: ql bytes 0x11, qh bytes 0xAA).
 * Dequantization is test_model_quant's hand-checked quant_dequant_row. */
static void k_mag(double *m, ggml_type t, const void *row, int cols)
{
    float *w = malloc((size_t)cols * sizeof *w), *p = malloc((size_t)cols * sizeof *p);
    size_t bytes = ggml_row_size(t, (uint64_t)cols);
    unsigned char *c = malloc(bytes);
    assert_non_null(w);
    assert_non_null(p);
    assert_non_null(c);
    memcpy(c, row, bytes);
    for (int k = 0; k < cols / QK_K; k++)
        if (t == GGML_TYPE_Q4_K) {
            memset(((blk_q4_K *)c)[k].qs, 0, QK_K / 2);
        } else {
            memset(((blk_q6_K *)c)[k].ql, 0x11, QK_K / 2);
            memset(((blk_q6_K *)c)[k].qh, 0xAA, QK_K / 4);
        }
    quant_dequant_row(w, row, t, cols);
    quant_dequant_row(p, c, t, cols);
    for (int e = 0; e < cols; e++)
        m[e] = t == GGML_TYPE_Q4_K ? fabs((double)w[e] - p[e]) + fabs((double)p[e])
                                   : fabs((double)w[e] + 32.0 * p[e]) + 32.0 * fabs((double)p[e]);
    free(w);
    free(p);
    free(c);
}

/* The bound two float evaluations of one output may differ by.  Each adds
 * terms of total magnitude <= mag (as k_mag), with a few roundings per term
 * (int -> float conversion, the scale products, the fused add) and one per
 * addition: the reference adds one term per super-block in a row; a fast
 * variant adds two per super-block (the scaled int32 sum, then the offset
 * term from the activations' dsums) in each of 8 or 16 lanes, then the
 * lanes in a tree of 3 or 4 levels.  Recursive summation errs by at most
 * (n - 1) u sum |terms| (Higham, Accuracy and Stability of Numerical
 * Algorithms, 2002, eq. 4.4); with u = 2^-24 the two together stay below
 * (3 nb + 25) u mag, which also bounds either against the exact value.  A
 * wrong nibble, scale or sum is an error of order mag, not of order u. */
static double k_tol(int nb, double mag)
{
    return (3.0 * nb + 25) * 0x1p-24 * mag;
}

typedef struct operands {
    ggml_type t;
    int rows, cols, B;
    size_t row_bytes;
    unsigned char *w; /* (rows, row_bytes) */
    blk_q8_K *act;    /* (B, cols / QK_K) */
    float *x;         /* (B, cols) the floats act was made from */
    double *mag;      /* (rows, cols) k_mag of each row */
} operands;

enum { W_QUANTIZED, W_RANDOM_BYTES, W_EXTREME };

/* Weights quantized from uniform floats (what synth writes), or blocks of
 * random bytes with random half scales in [-0.01, 0.01] (every bit pattern
 * of the packed 6-bit scales and of Q6_K's int8 scales), or every block at
 * the integer extremes (Q4_K: q 15, scales and mins 63; Q6_K: q 63,
 * scales -128), which with activations of +-127 give the largest int32 sums
 * the kernels can meet. */
static void operands_make(operands *o, ggml_type t, int rows, int cols, int B, int kind)
{
    o->t = t;
    o->rows = rows;
    o->cols = cols;
    o->B = B;
    o->row_bytes = ggml_row_size(t, (uint64_t)cols);
    o->w = malloc((size_t)rows * o->row_bytes);
    o->act = malloc((size_t)B * (cols / QK_K) * sizeof *o->act);
    o->x = malloc((size_t)B * cols * sizeof(float));
    o->mag = malloc((size_t)rows * cols * sizeof(double));
    float *row = malloc((size_t)cols * sizeof(float));
    assert_non_null(o->w);
    assert_non_null(o->act);
    assert_non_null(o->x);
    assert_non_null(o->mag);
    assert_non_null(row);
    for (int r = 0; r < rows; r++) {
        unsigned char *wr = o->w + (size_t)r * o->row_bytes;
        if (kind == W_QUANTIZED) {
            for (int i = 0; i < cols; i++)
                row[i] = frand();
            quant_quantize_row(wr, row, t, cols);
        } else {
            for (size_t i = 0; i < o->row_bytes; i++)
                wr[i] = kind == W_EXTREME ? 0xFF : (unsigned char)(rnext() >> 56);
            for (int k = 0; k < cols / QK_K; k++) {
                uint16_t d = f32_to_fp16(kind == W_EXTREME ? 0x1p-12f : frand() * 0.01f);
                if (t == GGML_TYPE_Q4_K) {
                    blk_q4_K *b = (blk_q4_K *)wr + k;
                    b->d = d;
                    b->dmin = f32_to_fp16(kind == W_EXTREME ? 0x1p-13f : frand() * 0.01f);
                } else {
                    blk_q6_K *b = (blk_q6_K *)wr + k;
                    b->d = d;
                    if (kind == W_EXTREME)
                        memset(b->scales, 0x80, sizeof b->scales); /* -128 */
                }
            }
        }
        k_mag(o->mag + (size_t)r * cols, t, wr, cols);
    }
    for (size_t i = 0; i < (size_t)B * cols; i++)
        o->x[i] = kind == W_EXTREME ? (i % 2 ? 127.0f : -127.0f) * (float)(i / cols + 1) : frand();
    for (int b = 0; b < B; b++)
        quant_act_q8_K_ref(o->act + (size_t)b * (cols / QK_K), o->x + (size_t)b * cols, cols);
    free(row);
}

static void operands_free(operands *o)
{
    free(o->w);
    free(o->act);
    free(o->x);
    free(o->mag);
}

/* mag of output (r, b): sum_e m_e |dx qs_e|, in double */
static double out_mag(const operands *o, int r, int b)
{
    const blk_q8_K *a = o->act + (size_t)b * (o->cols / QK_K);
    double mag = 0;
    for (int e = 0; e < o->cols; e++)
        mag += o->mag[(size_t)r * o->cols + e] * fabs((double)a[e / QK_K].d * a[e / QK_K].qs[e % QK_K]);
    return mag;
}

/* The reference against the double-precision dot of the dequantized
 * weights with the dequantized activations (d * qs), within k_tol. */
static void test_ref_vs_double(void **st)
{
    (void)st;
    static const ggml_type types[2] = {GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
    for (int ti = 0; ti < 2; ti++)
        for (int kind = W_QUANTIZED; kind <= W_EXTREME; kind++) {
            operands o;
            operands_make(&o, types[ti], 5, 4864, 3, kind);
            int nb = o.cols / QK_K;
            float *out = malloc((size_t)o.B * o.rows * sizeof(float));
            float *wd = malloc((size_t)o.cols * sizeof(float));
            assert_non_null(out);
            assert_non_null(wd);
            qgemm_k_ref(o.t)(out, (size_t)o.rows, o.w, o.row_bytes, 0, o.rows, o.act, nb, o.B);
            for (int r = 0; r < o.rows; r++) {
                quant_dequant_row(wd, o.w + (size_t)r * o.row_bytes, o.t, o.cols);
                for (int b = 0; b < o.B; b++) {
                    const blk_q8_K *a = o.act + (size_t)b * nb;
                    double want = 0;
                    for (int i = 0; i < o.cols; i++)
                        want += (double)wd[i] * a[i / QK_K].d * a[i / QK_K].qs[i % QK_K];
                    double got = out[(size_t)b * o.rows + r], tol = k_tol(nb, out_mag(&o, r, b));
                    if (fabs(got - want) > tol)
                        fail_msg("%s kind %d row %d col %d: ref %.9g double %.9g (tol %.3g)",
                                 ggml_type_name(o.t), kind, r, b, got, want, tol);
                }
            }
            free(out);
            free(wd);
            operands_free(&o);
        }
}

/* By hand, the extreme blocks with x = +-127 alternating (d 1, bytes +-127,
 * every group's sum 0): Q6_K q 63, scales -128, d 2^-12: each group is
 * -128 * (63 * (8 * 127 - 8 * 127) - 32 * 0) = 0, so the dot is 0; with x =
 * 127 everywhere instead it is 16 groups * -128 * (16 * 127 * (63 - 32)) *
 * 2^-12 = -129007616 / 4096 = -31496, exact in float.  Q4_K q 15, scales
 * and mins 63, d 2^-12, dmin 2^-13, x = 127: 8 * 63 * (32 * 15 * 127) *
 * 2^-12 - 8 * 63 * (32 * 127) * 2^-13 = 7500.9375 - 250.03125 = 7250.90625
 * (both products exact in float; so is their difference). */
static void test_ref_extreme_by_hand(void **st)
{
    (void)st;
    static float x[QK_K];
    blk_q8_K a;
    for (int i = 0; i < QK_K; i++)
        x[i] = 127;
    quant_act_q8_K_ref(&a, x, QK_K);
    assert_true(a.d == 1.0f);
    assert_int_equal(a.bsums[5], 16 * 127);
    blk_q6_K w6;
    memset(&w6, 0xFF, sizeof w6);
    memset(w6.scales, 0x80, sizeof w6.scales);
    w6.d = f32_to_fp16(0x1p-12f);
    blk_q4_K w4;
    memset(&w4, 0xFF, sizeof w4);
    w4.d = f32_to_fp16(0x1p-12f);
    w4.dmin = f32_to_fp16(0x1p-13f);
    float out;
    qgemm_k_ref(GGML_TYPE_Q6_K)(&out, 1, &w6, sizeof w6, 0, 1, &a, 1, 1);
    assert_true(out == -31496.0f);
    qgemm_k_ref(GGML_TYPE_Q4_K)(&out, 1, &w4, sizeof w4, 0, 1, &a, 1, 1);
    assert_true(out == 7250.90625f);
    for (int v = QGEMM_AVX2; v < QGEMM_N_ISA; v++) {
        qgemm_k_fn f6 = qgemm_k_isa_fn(GGML_TYPE_Q6_K, (qgemm_isa)v);
        qgemm_k_fn f4 = qgemm_k_isa_fn(GGML_TYPE_Q4_K, (qgemm_isa)v);
        if (!f6)
            continue;
        /* the lane sums are integers below 2^24 times powers of two: exact */
        f6(&out, 1, &w6, sizeof w6, 0, 1, &a, 1, 1);
        assert_true(out == -31496.0f);
        f4(&out, 1, &w4, sizeof w4, 0, 1, &a, 1, 1);
        assert_true(out == 7250.90625f);
    }
    for (int i = 0; i < QK_K; i++)
        x[i] = i % 2 ? 127.0f : -127.0f;
    quant_act_q8_K_ref(&a, x, QK_K);
    qgemm_k_ref(GGML_TYPE_Q6_K)(&out, 1, &w6, sizeof w6, 0, 1, &a, 1, 1);
    assert_true(out == 0.0f);
    assert_null(qgemm_k_ref(GGML_TYPE_Q8_0));
    assert_null(qgemm_k_fast(GGML_TYPE_F32));
}

/* Every variant this CPU runs against the reference, within k_tol: row
 * counts and batch sizes that hit every tile shape and edge (ymm tiles are
 * 2 x 3, zmm 2 x 4), one to 19 super-blocks, row sub-ranges that start off
 * a tile boundary, and rows outside the range left untouched. */
static void test_fast_vs_ref(void **st)
{
    (void)st;
    static const ggml_type types[2] = {GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
    static const int shapes[][3] = { /* rows, cols, B */
        {1, 256, 1}, {2, 512, 2}, {3, 256, 3}, {4, 768, 4}, {5, 1536, 5}, {7, 256, 7},
        {13, 512, 9}, {6, 1280, 8}, {9, 4864, 3},
    };
    int ran = 0;
    for (int variant = QGEMM_AVX2; variant < QGEMM_N_ISA; variant++)
        for (int ti = 0; ti < 2; ti++)
            for (int kind = W_QUANTIZED; kind <= W_EXTREME; kind++)
                for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
                    qgemm_k_fn fn = qgemm_k_isa_fn(types[ti], (qgemm_isa)variant);
                    if (!fn)
                        continue; /* this CPU lacks the variant */
                    operands o;
                    operands_make(&o, types[ti], shapes[si][0], shapes[si][1], shapes[si][2], kind);
                    int nb = o.cols / QK_K;
                    size_t n = (size_t)o.B * o.rows;
                    float *ref = malloc(n * sizeof(float)), *fast = malloc(n * sizeof(float));
                    assert_non_null(ref);
                    assert_non_null(fast);
                    for (long r0 = 0; r0 < 3 && r0 < o.rows; r0++) {
                        for (size_t i = 0; i < n; i++)
                            ref[i] = fast[i] = -12345.0f;
                        qgemm_k_ref(o.t)(ref, (size_t)o.rows, o.w, o.row_bytes, r0, o.rows, o.act, nb, o.B);
                        fn(fast, (size_t)o.rows, o.w, o.row_bytes, r0, o.rows, o.act, nb, o.B);
                        for (size_t i = 0; i < n; i++) {
                            int row = (int)(i % (size_t)o.rows), b = (int)(i / (size_t)o.rows);
                            if (row < r0) {
                                if (fast[i] != -12345.0f)
                                    fail_msg("%s: row %d below r0 %ld was written",
                                             qgemm_isa_name((qgemm_isa)variant), row, r0);
                                continue;
                            }
                            double tol = k_tol(nb, out_mag(&o, row, b));
                            if (fabs((double)ref[i] - fast[i]) > tol)
                                fail_msg("%s %s kind %d %dx%d B=%d r0=%ld out %zu: ref %.9g fast %.9g (tol %.3g)",
                                         qgemm_isa_name((qgemm_isa)variant), ggml_type_name(o.t), kind,
                                         o.rows, o.cols, o.B, r0, i, ref[i], fast[i], tol);
                        }
                    }
                    ran += si == 0 && kind == W_QUANTIZED && ti == 0;
                    free(ref);
                    free(fast);
                    operands_free(&o);
                }
    print_message("qgemm_k variants tested against the reference: %d (fast: %s)\n", ran,
                  qgemm_fast_name());
}

/* matmul_n on Q, K, V-like matrices (Q4_K, Q4_K, Q6_K, as a Q4_K_M file's
 * layers with a Q6_K attn_v) of different heights, two threads, against
 * the same matrices one by one on the plain-loop path, within k_tol (both
 * quantize x to the same bits).  Then the float-activation path on the
 * same matrices: it differs from the Q8_K one by the activation rounding,
 * at most sum_e |w_e| dx / 2 per output (each byte is x / dx rounded to
 * nearest), plus the float error of both (k_tol and 1e-6 of sum |w x|). */
static void test_matmul_n_threads(void **st)
{
    (void)st;
    enum { COLS = 512, B = 9 };
    static const int rows[3] = {64, 13, 30};
    operands o[3];
    for (int i = 0; i < 3; i++)
        operands_make(&o[i], i == 2 ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K, rows[i], COLS, B, W_QUANTIZED);
    qmat w[3];
    const qmat *wp[3];
    float *got[3], *want[3], *flt[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (qmat){o[i].t, rows[i], COLS, o[i].row_bytes, o[i].w, NULL, 0};
        wp[i] = &w[i];
        got[i] = malloc((size_t)B * rows[i] * sizeof(float));
        want[i] = malloc((size_t)B * rows[i] * sizeof(float));
        flt[i] = malloc((size_t)B * rows[i] * sizeof(float));
        assert_non_null(got[i]);
        assert_non_null(want[i]);
        assert_non_null(flt[i]);
    }
    matmul_ctx fast = {0}, ref = {0}, fl = {0};
    assert_int_equal(pool_new(&fast.pool, 2), AS_OK);
    fast.act = malloc(matmul_act_bytes(B, COLS));
    ref.act = malloc(matmul_act_bytes(B, COLS));
    assert_non_null(fast.act);
    assert_non_null(ref.act);
    ref.use_ref = 1;
    fl = fast;
    fl.float_act = 1;
    fl.max_cols = COLS;
    fl.tiles = malloc(matmul_tile_floats(2, COLS) * sizeof(float));
    assert_non_null(fl.tiles);
    matmul_n(got, o[0].x, wp, 3, B, &fast);
    for (int i = 0; i < 3; i++)
        matmul(want[i], o[0].x, &w[i], B, &ref);
    matmul_n(flt, o[0].x, wp, 3, B, &fl);
    float wd[COLS];
    for (int i = 0; i < 3; i++)
        for (int r = 0; r < rows[i]; r++) {
            quant_dequant_row(wd, o[i].w + (size_t)r * o[i].row_bytes, o[i].t, COLS);
            for (int b = 0; b < B; b++) {
                /* o[0]'s activations are the ones x was quantized to */
                const float *x = o[0].x + (size_t)b * COLS;
                const blk_q8_K *a = o[0].act + (size_t)b * (COLS / QK_K);
                double mag = 0, round = 0, wx = 0;
                for (int e = 0; e < COLS; e++) {
                    mag += o[i].mag[(size_t)r * COLS + e] * fabs((double)a[e / QK_K].d * a[e / QK_K].qs[e % QK_K]);
                    round += fabs((double)wd[e]) * a[e / QK_K].d / 2;
                    wx += fabs((double)wd[e] * x[e]);
                }
                size_t k = (size_t)b * rows[i] + r;
                double tol = k_tol(COLS / QK_K, mag);
                if (fabs((double)got[i][k] - want[i][k]) > tol)
                    fail_msg("matrix %d out %zu: matmul_n %.9g ref %.9g", i, k, got[i][k], want[i][k]);
                if (fabs((double)flt[i][k] - want[i][k]) > round + tol + 1e-6 * wx)
                    fail_msg("matrix %d out %zu: float activations %.9g, Q8_K %.9g, bound %.3g", i,
                             k, flt[i][k], want[i][k], round + tol + 1e-6 * wx);
            }
        }
    for (int i = 0; i < 3; i++) {
        free(got[i]);
        free(want[i]);
        free(flt[i]);
        operands_free(&o[i]);
    }
    free(fast.act);
    free(ref.act);
    free(fl.tiles);
    pool_free(fast.pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_q8_K_same_bits),
        cmocka_unit_test(test_ref_vs_double),
        cmocka_unit_test(test_ref_extreme_by_hand),
        cmocka_unit_test(test_fast_vs_ref),
        cmocka_unit_test(test_matmul_n_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
