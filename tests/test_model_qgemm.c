/*
 * test_model_qgemm.c -- the integer matrix x matrix kernel (model/qgemm.h)
 * and the activation quantizer it eats: the reference against hand-worked
 * blocks and against a double-precision product of the dequantized
 * operands, the AVX2 tiles against the reference on every tile edge, and
 * matmul_n (several matrices, one quantization, two threads) against the
 * plain-loop path.  No shared data needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/matmul.h"
#include "model/qgemm.h"

#include <math.h>
#include <stdio.h>
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

/* The AVX2 quantizer must give the reference's bits: same product x * id,
 * same round-half-to-even.  Values on exact .5 steps are included. */
static void test_act_q8_same_bits(void **st)
{
    (void)st;
    enum { N = 4864 };
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = frand() * (i % 7 ? 1.0f : 100.0f);
    for (int i = 0; i < 32; i++) /* block 0: amax 127, so x * id = x: ties at k + 0.5 */
        x[i] = i == 0 ? 127.0f : (float)(i - 16) + 0.5f;
    for (int i = 32; i < 64; i++) /* block 1: all zero, scale 0 */
        x[i] = 0;
    static blk_q8_act a[N / QK], b[N / QK];
    quant_act_q8(a, x, N);
    quant_act_q8_ref(b, x, N);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(b[0].qs[1], -14); /* -14.5 rounds to even -14 */
    assert_int_equal(b[0].qs[2], -14); /* -13.5 rounds to even -14 */
    assert_true(b[1].d == 0.0f);
}

/* One block each, worked by hand.  Q8_0: d = 1 (half 0x3C00), qs = 1..32;
 * activation d = 0.5, qs all 2: sum 2 * (1 + ... + 32) = 1056, times 0.5.
 * Q4_0: d = 2 (0x4000), every byte 0x9F: low nibble 15 -> +7 (elements
 * 0..15), high nibble 9 -> +1 (16..31); activation d = 0.25, qs = 3 for
 * 0..15 and -4 for 16..31: 16 * 21 - 16 * 4 = 272, times 2 * 0.25. */
static void test_ref_by_hand(void **st)
{
    (void)st;
    blk_q8_0 w8 = {.d = 0x3C00};
    for (int j = 0; j < QK; j++)
        w8.qs[j] = (int8_t)(j + 1);
    blk_q8_act x = {.d = 0.5f};
    memset(x.qs, 2, sizeof x.qs);
    float out;
    qgemm_ref(GGML_TYPE_Q8_0)(&out, 1, &w8, sizeof w8, 0, 1, &x, 1, 1);
    assert_true(out == 528.0f);
    blk_q4_0 w4 = {.d = 0x4000};
    memset(w4.qs, 0x9F, sizeof w4.qs);
    x.d = 0.25f;
    for (int j = 0; j < QK; j++)
        x.qs[j] = (int8_t)(j < 16 ? 3 : -4);
    qgemm_ref(GGML_TYPE_Q4_0)(&out, 1, &w4, sizeof w4, 0, 1, &x, 1, 1);
    assert_true(out == 136.0f);
    /* Q5_0: the same nibbles, qh 0x0000FFFF sets the fifth bit of elements
     * 0..15 only: 15 | 16 = 31 -> +15 (0..15), 9 -> -7 (16..31); against the
     * same activation: 16 * 45 + 16 * 28 = 1168, times 2 * 0.25 */
    blk_q5_0 w5 = {.d = 0x4000, .qh = {0xFF, 0xFF, 0, 0}};
    memset(w5.qs, 0x9F, sizeof w5.qs);
    qgemm_ref(GGML_TYPE_Q5_0)(&out, 1, &w5, sizeof w5, 0, 1, &x, 1, 1);
    assert_true(out == 584.0f);
    assert_null(qgemm_ref(GGML_TYPE_F32));
    assert_null(qgemm_fast(GGML_TYPE_F16));
}

typedef struct operands {
    ggml_type t;
    int rows, cols, B;
    size_t row_bytes;
    unsigned char *w; /* (rows, row_bytes) */
    blk_q8_act *act;  /* (B, cols / QK) */
    float *x;         /* (B, cols) the floats act was made from */
} operands;

static void operands_make(operands *o, ggml_type t, int rows, int cols, int B)
{
    o->t = t;
    o->rows = rows;
    o->cols = cols;
    o->B = B;
    o->row_bytes = ggml_row_size(t, (uint64_t)cols);
    o->w = malloc((size_t)rows * o->row_bytes);
    o->act = malloc((size_t)B * (cols / QK) * sizeof *o->act);
    o->x = malloc((size_t)B * cols * sizeof(float));
    float *row = malloc((size_t)cols * sizeof(float));
    assert_non_null(o->w);
    assert_non_null(o->act);
    assert_non_null(o->x);
    assert_non_null(row);
    for (int r = 0; r < rows; r++) {
        for (int i = 0; i < cols; i++)
            row[i] = frand();
        quant_quantize_row(o->w + (size_t)r * o->row_bytes, row, t, cols);
    }
    for (size_t i = 0; i < (size_t)B * cols; i++)
        o->x[i] = frand();
    for (int b = 0; b < B; b++)
        quant_act_q8_ref(o->act + (size_t)b * (cols / QK), o->x + (size_t)b * cols, cols);
    free(row);
}

static void operands_free(operands *o)
{
    free(o->w);
    free(o->act);
    free(o->x);
}

/* Reference against a double-precision dot of the dequantized operands.
 * Each block's int32 sum is exact and its scale product d_w * d_x is one
 * float rounding (2^-24 relative); the float running sum adds ~nb roundings
 * of the partial sums.  Bound: 1e-6 * sum |terms| covers both for nb <= 152
 * (152 * 2^-24 = 9e-6 of the largest partial sum is the worst case; the
 * observed error is far below, and a wrong nibble order or scale gives
 * errors of order 1). */
static void test_ref_vs_double(void **st)
{
    (void)st;
    static const ggml_type types[3] = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q5_0};
    for (int ti = 0; ti < 3; ti++) {
        operands o;
        operands_make(&o, types[ti], 5, 4864, 3);
        float *out = malloc((size_t)o.B * o.rows * sizeof(float));
        float *wd = malloc((size_t)o.cols * sizeof(float));
        assert_non_null(out);
        assert_non_null(wd);
        qgemm_ref(o.t)(out, (size_t)o.rows, o.w, o.row_bytes, 0, o.rows, o.act, o.cols / QK, o.B);
        for (int r = 0; r < o.rows; r++) {
            quant_dequant_row(wd, o.w + (size_t)r * o.row_bytes, o.t, o.cols);
            for (int b = 0; b < o.B; b++) {
                const blk_q8_act *a = o.act + (size_t)b * (o.cols / QK);
                double want = 0, mag = 0;
                for (int i = 0; i < o.cols; i++) {
                    double term = (double)wd[i] * a[i / QK].d * a[i / QK].qs[i % QK];
                    want += term;
                    mag += fabs(term);
                }
                double got = out[(size_t)b * o.rows + r];
                if (fabs(got - want) > 1e-6 * mag)
                    fail_msg("%s row %d col %d: ref %.7f double %.7f", ggml_type_name(o.t), r, b,
                             got, want);
            }
        }
        free(out);
        free(wd);
        operands_free(&o);
    }
}

/* Every variant this CPU runs (AVX2, AVX-VNNI, AVX-512) against the
 * reference for row counts and batch sizes that hit every tile shape (4 x 3
 * and all the edges), block counts odd and even (the AVX-512 tiles take
 * blocks in pairs; an odd last block is a half-empty pair) and row
 * sub-ranges that start off a tile boundary.  Only the float summation
 * order differs (8 or 16 lanes then a horizontal add), bounded as above by
 * 1e-6 of the sum of |terms|;
 * we use the scale of the output itself, 1e-5 * (|ref| + 1), which holds
 * with margin at these sizes and still fails on any misplaced block. */
static void test_fast_vs_ref(void **st)
{
    (void)st;
    static const ggml_type types[3] = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q5_0};
    static const int shapes[][3] = { /* rows, cols, B */
        {1, 32, 1}, {3, 64, 2}, {4, 576, 3}, {5, 576, 4}, {13, 1536, 7}, {64, 96, 32}, {7, 896, 5},
        {6, 160, 3},
        /* AMX tiles: full 16-row strips with a row tail, batches of 4..16 (the
         * smallest tile batch), 17 and 35 (a partial second and third tile) */
        {40, 576, 4}, {35, 1536, 17}, {48, 96, 16}, {33, 64, 35},
        /* single-token decode: 8-row AVX-512 tiles and their 1..7-row tails */
        {21, 576, 1}, {8, 96, 1},
    };
    int ran = 0;
    for (int variant = QGEMM_AVX2; variant < QGEMM_N_ISA; variant++)
    for (int ti = 0; ti < 3; ti++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            operands o;
            operands_make(&o, types[ti], shapes[si][0], shapes[si][1], shapes[si][2]);
            size_t n = (size_t)o.B * o.rows;
            float *ref = malloc(n * sizeof(float)), *fast = malloc(n * sizeof(float));
            assert_non_null(ref);
            assert_non_null(fast);
            for (long r0 = 0; r0 < 3 && r0 < o.rows; r0++) {
                for (size_t i = 0; i < n; i++)
                    ref[i] = fast[i] = -12345.0f; /* rows outside [r0, rows) stay untouched */
                int nb = o.cols / QK;
                qgemm_fn fn = qgemm_isa_fn(o.t, (qgemm_isa)variant);
                if (!fn)
                    continue; /* this CPU lacks the variant */
                ran += o.t == GGML_TYPE_Q8_0 && si == 0 && r0 == 0;
                qgemm_ref(o.t)(ref, (size_t)o.rows, o.w, o.row_bytes, r0, o.rows, o.act, nb, o.B);
                fn(fast, (size_t)o.rows, o.w, o.row_bytes, r0, o.rows, o.act, nb, o.B);
                for (size_t i = 0; i < n; i++) {
                    int row = (int)(i % (size_t)o.rows);
                    if (row < r0 && (ref[i] != -12345.0f || fast[i] != -12345.0f))
                        fail_msg("%s: row %d below r0 %ld was written", ggml_type_name(o.t), row, r0);
                    if (fabsf(ref[i] - fast[i]) > 1e-5f * (fabsf(ref[i]) + 1))
                        fail_msg("%s %s %dx%d B=%d r0=%ld out %zu: ref %.7f fast %.7f",
                                 qgemm_isa_name((qgemm_isa)variant), ggml_type_name(o.t), o.rows,
                                 o.cols, o.B, r0, i, ref[i], fast[i]);
                }
            }
            free(ref);
            free(fast);
            operands_free(&o);
        }
    print_message("qgemm variants tested against the reference: %d (fast: %s)\n", ran,
                  qgemm_fast_name());
}

/* matmul_n on Q, K, V-like matrices of different heights (so the work units
 * straddle matrices), two threads, against the same matrices one by one on
 * the plain-loop path; 1e-5 relative as above. */
static void test_matmul_n_threads(void **st)
{
    (void)st;
    enum { COLS = 256, B = 9 };
    static const int rows[3] = {64, 13, 30};
    operands o[3];
    for (int i = 0; i < 3; i++)
        operands_make(&o[i], i == 1 ? GGML_TYPE_Q4_0 : GGML_TYPE_Q8_0, rows[i], COLS, B);
    qmat w[3];
    const qmat *wp[3];
    float *got[3], *want[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (qmat){o[i].t, rows[i], COLS, o[i].row_bytes, o[i].w, NULL, 0};
        wp[i] = &w[i];
        got[i] = malloc((size_t)B * rows[i] * sizeof(float));
        want[i] = malloc((size_t)B * rows[i] * sizeof(float));
        assert_non_null(got[i]);
        assert_non_null(want[i]);
    }
    matmul_ctx fast = {0}, ref = {0};
    assert_int_equal(pool_new(&fast.pool, 2), AS_OK);
    fast.act = malloc(matmul_act_bytes(B, COLS));
    ref.act = malloc(matmul_act_bytes(B, COLS));
    assert_non_null(fast.act);
    assert_non_null(ref.act);
    ref.use_ref = 1;
    matmul_n(got, o[0].x, wp, 3, B, &fast);
    for (int i = 0; i < 3; i++)
        matmul(want[i], o[0].x, &w[i], B, &ref);
    for (int i = 0; i < 3; i++)
        for (size_t k = 0; k < (size_t)B * rows[i]; k++)
            if (fabsf(got[i][k] - want[i][k]) > 1e-5f * (fabsf(want[i][k]) + 1))
                fail_msg("matrix %d out %zu: matmul_n %.7f ref %.7f", i, k, got[i][k], want[i][k]);
    for (int i = 0; i < 3; i++) {
        free(got[i]);
        free(want[i]);
        operands_free(&o[i]);
    }
    free(fast.act);
    free(ref.act);
    pool_free(fast.pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_q8_same_bits),
        cmocka_unit_test(test_ref_by_hand),
        cmocka_unit_test(test_ref_vs_double),
        cmocka_unit_test(test_fast_vs_ref),
        cmocka_unit_test(test_matmul_n_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
