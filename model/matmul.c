/*
 * matmul.c -- batched matrix multiply over quantized weights (see matmul.h).
 *
 * Three paths: integer tiles for Q8_0 / Q4_0 / Q5_0 (qgemm, Q8 activations) and
 * for Q4_K / Q6_K (qgemm_k, Q8_K activations), and for the other types row
 * dots for small batches or dequantized tiles through sgemm for large ones,
 * except that small F32 matrices the model packed at load go to gemm_f32.h
 * at every batch size.  All split the weight rows across the pool.  The float paths agree to
 * float rounding; the integer paths compute what llama.cpp's CPU backend
 * computes (quantized activations, int32 block dots).
 */
#include "model/matmul.h"

#include "model/gemm_f32.h"
#include "model/qgemm.h"
#include "model/qgemm_k.h"

#include <cblas.h>
#include <string.h>

/* OpenBLAS's pthread build starts its worker threads when it loads,
 * before main, and after each call they spin in sched_yield for about
 * 2^28 cycles before they sleep.  Setting one thread later does not stop
 * them, and on 2 cores they take half the machine from our pool: a short
 * run (stories260K prefill) ran 3x slower than with OPENBLAS_NUM_THREADS=1
 * in the environment.  blas_thread_shutdown_ is the call OpenBLAS's own
 * fork handler makes; it joins the workers, and OpenBLAS starts them again
 * by itself if a caller later asks it for threads (estudy_run does).
 * Weak, so another BLAS without it still links. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void matmul_init(void)
{
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_)
        blas_thread_shutdown_();
}

size_t matmul_act_bytes(int max_batch, int max_cols)
{
    /* Q8 or Q8_K blocks, or a rounded float copy for F16 weights */
    size_t q8 = (size_t)(max_cols / QK + 1) * sizeof(blk_q8_act);
    size_t q8k = (size_t)(max_cols / QK_K + 1) * sizeof(blk_q8_K);
    size_t f = (size_t)max_cols * sizeof(float);
    size_t most = q8 > f ? q8 : f;
    return (size_t)max_batch * (q8k > most ? q8k : most);
}

size_t matmul_tile_floats(int n_threads, int max_cols)
{
    return (size_t)n_threads * MATMUL_TILE * (size_t)max_cols;
}

typedef struct mm_job {
    float *out;
    const float *x;
    const void *act;       /* x as Q8 blocks, or x itself */
    size_t act_stride;     /* bytes between activation rows */
    const qmat *w;
    int B;
    quant_dot_fn dot;
    matmul_ctx *m;
} mm_job;

static void mm_dots(void *arg, long lo, long hi, int thread)
{
    (void)thread;
    mm_job *j = arg;
    const qmat *w = j->w;
    for (long r = lo; r < hi; r++) {
        const void *row = (const char *)w->data + (size_t)r * w->row_bytes;
        for (int b = 0; b < j->B; b++)
            j->out[(size_t)b * w->rows + r] =
                j->dot(row, (const char *)j->act + (size_t)b * j->act_stride, w->cols);
    }
}

static void mm_gemm(void *arg, long lo, long hi, int thread)
{
    mm_job *j = arg;
    const qmat *w = j->w;
    float *tile = j->m->tiles + (size_t)thread * MATMUL_TILE * (size_t)j->m->max_cols;
    if (w->packed) { /* small F32: the packed copy, no per-call packing */
        long r0 = lo * MATMUL_TILE, r1 = hi * MATMUL_TILE < w->rows ? hi * MATMUL_TILE : w->rows;
        gemm_f32_rows(j->out, (size_t)w->rows, j->x, j->B, w->cols, w->packed, w->packed_ld,
                      (int)r0, (int)r1);
        return;
    }
    if (w->type == GGML_TYPE_F32) {
        /* nothing to dequantize: one call for the whole slice, so sgemm
         * packs the activations once, not once per tile (which was 20 % of
         * a batched step of the built-in model) */
        long r0 = lo * MATMUL_TILE, r1 = hi * MATMUL_TILE < w->rows ? hi * MATMUL_TILE : w->rows;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->B, (int)(r1 - r0), w->cols, 1.0f,
                    j->x, w->cols, (const float *)((const char *)w->data + (size_t)r0 * w->row_bytes),
                    w->cols, 0.0f, j->out + r0, w->rows);
        return;
    }
    for (long t = lo; t < hi; t++) {
        int r0 = (int)t * MATMUL_TILE;
        int nr = w->rows - r0 < MATMUL_TILE ? w->rows - r0 : MATMUL_TILE;
        for (int r = 0; r < nr; r++)
            quant_dequant_row(tile + (size_t)r * w->cols,
                              (const char *)w->data + (size_t)(r0 + r) * w->row_bytes, w->type,
                              w->cols);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->B, nr, w->cols, 1.0f,
                    j->x, w->cols, tile, w->cols, 0.0f, j->out + r0, w->rows);
    }
}

/* Integer paths: units of a few weight rows, numbered across all the
 * job's matrices so one fork-join covers them and each thread gets an equal
 * share of rows (and so of weight bytes when the types agree).  kq: the
 * matrices are Q4_K / Q6_K and act holds Q8_K blocks, else Q8_0 / Q4_0 / Q5_0
 * and Q8 blocks.  A unit is 16 rows for those, the height of an AMX
 * tile (qgemm_amx.c), so a slice is whole tiles but for a matrix's last
 * rows, and 4 (the K-quant tile's multiple) for Q4_K / Q6_K. */
#define QGEMM_UNIT_Q8 16
#define QGEMM_UNIT_K 4

typedef struct q_job {
    float *const *out;
    const qmat *const *w;
    qgemm_fn fn[MATMUL_MAX_N];
    qgemm_k_fn kfn[MATMUL_MAX_N];
    long first[MATMUL_MAX_N + 1]; /* first unit of each matrix; first[n] = total */
    int n, B, kq, unit;
    const void *act;
} q_job;

static void q_units(void *arg, long lo, long hi, int thread)
{
    (void)thread;
    q_job *j = arg;
    int nb = j->w[0]->cols / (j->kq ? QK_K : QK);
    for (int i = 0; i < j->n && lo < hi; i++) {
        long a = lo > j->first[i] ? lo : j->first[i];
        long b = hi < j->first[i + 1] ? hi : j->first[i + 1];
        if (a >= b)
            continue;
        const qmat *w = j->w[i];
        long r0 = (a - j->first[i]) * j->unit, r1 = (b - j->first[i]) * j->unit;
        r1 = r1 < w->rows ? r1 : w->rows;
        if (j->kq)
            j->kfn[i](j->out[i], (size_t)w->rows, w->data, w->row_bytes, r0, r1, j->act, nb, j->B);
        else
            j->fn[i](j->out[i], (size_t)w->rows, w->data, w->row_bytes, r0, r1, j->act, nb, j->B);
    }
}

typedef struct act_job {
    void *dst;
    const float *x;
    int cols, use_ref, kq;
} act_job;

static void act_rows(void *arg, long lo, long hi, int thread)
{
    (void)thread;
    act_job *j = arg;
    for (long b = lo; b < hi; b++) {
        const float *x = j->x + (size_t)b * j->cols;
        if (j->kq)
            (j->use_ref ? quant_act_q8_K_ref : quant_act_q8_K)(
                (blk_q8_K *)j->dst + (size_t)b * (j->cols / QK_K), x, j->cols);
        else
            (j->use_ref ? quant_act_q8_ref : quant_act_q8)(
                (blk_q8_act *)j->dst + (size_t)b * (j->cols / QK), x, j->cols);
    }
}

static void matmul_q8(float *const *out, const float *x, const qmat *const *w, int n, int B,
                      int kq, matmul_ctx *m)
{
    q_job j = {.out = out, .w = w, .n = n, .B = B, .kq = kq, .act = m->act,
               .unit = kq ? QGEMM_UNIT_K : QGEMM_UNIT_Q8};
    for (int i = 0; i < n; i++) {
        if (kq)
            j.kfn[i] = m->use_ref ? qgemm_k_ref(w[i]->type) : qgemm_k_fast(w[i]->type);
        else
            j.fn[i] = m->use_ref ? qgemm_ref(w[i]->type) : qgemm_fast(w[i]->type);
        j.first[i + 1] = j.first[i] + (w[i]->rows + j.unit - 1) / j.unit;
    }
    act_job a = {m->act, x, w[0]->cols, m->use_ref, kq};
    /* a decode row is quantized faster than the threads wake */
    if (B >= 8)
        pool_run(m->pool, act_rows, &a, B);
    else
        act_rows(&a, 0, B, 0);
    double work = 0;
    for (int i = 0; i < n; i++)
        work += (double)w[i]->rows * w[i]->cols * B;
    pool_run_work(m->pool, q_units, &j, j.first[n], work);
}

/* Which integer path a matrix takes: 0 Q8, 1 Q8_K, -1 none (floats). */
static int int_path(const qmat *w, const matmul_ctx *m)
{
    if (quant_wants_q8(w->type))
        return 0;
    if (quant_wants_q8_K(w->type) && !m->float_act)
        return 1;
    return -1;
}

void matmul_n(float *const *out, const float *x, const qmat *const *w, int n, int B,
              matmul_ctx *m)
{
    /* one quantization of x serves the matrices only when they all take
     * the same kind of blocks (a Q8_0 matrix beside Q4_K ones goes alone) */
    int path = int_path(w[0], m), same = 1;
    for (int i = 1; i < n; i++)
        same &= int_path(w[i], m) == path;
    if (path >= 0 && same) {
        matmul_q8(out, x, w, n, B, path, m);
        return;
    }
    for (int i = 0; i < n; i++)
        matmul(out[i], x, w[i], B, m);
}

void matmul(float *out, const float *x, const qmat *w, int B, matmul_ctx *m)
{
    int path = int_path(w, m);
    if (path >= 0) {
        matmul_q8(&out, x, &w, 1, B, path, m);
        return;
    }
    mm_job j = {.out = out, .x = x, .w = w, .B = B, .m = m};
    if (!m->use_ref && (B >= MATMUL_GEMM_MIN || w->packed)) {
        long n_tiles = (w->rows + MATMUL_TILE - 1) / MATMUL_TILE;
        pool_run_work(m->pool, mm_gemm, &j, n_tiles, (double)w->rows * w->cols * B);
        return;
    }
    j.dot = m->use_ref ? quant_dot_ref(w->type) : quant_dot_fast(w->type);
    if (w->type == GGML_TYPE_F16) {
        /* ggml dots F16 weights with activations converted to F16; doing
         * the same keeps F16 models within 1e-4 of llama.cpp */
        float *xr = (float *)m->act;
        for (size_t i = 0; i < (size_t)B * w->cols; i++)
            xr[i] = fp16_to_f32(f32_to_fp16(x[i]));
        j.act = xr;
        j.act_stride = (size_t)w->cols * sizeof(float);
    } else {
        j.act = x;
        j.act_stride = (size_t)w->cols * sizeof(float);
    }
    pool_run_work(m->pool, mm_dots, &j, w->rows, (double)w->rows * w->cols * B);
}
