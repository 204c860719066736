/*
 * matmul.c -- batched matrix multiply over quantized weights (see matmul.h).
 *
 * Two paths, same result to float rounding: row dots for small batches,
 * dequantized tiles through sgemm for large ones.  Both split the weight
 * rows across the pool, so each thread reads a disjoint part of the matrix.
 */
#include "model/matmul.h"

#include <cblas.h>
#include <string.h>

void matmul_init(void)
{
    openblas_set_num_threads(1);
}

size_t matmul_act_bytes(int max_batch, int max_cols)
{
    /* Q8 blocks, or a rounded float copy for F16 weights */
    size_t q8 = (size_t)(max_cols / QK + 1) * sizeof(blk_q8_act);
    size_t f = (size_t)max_cols * sizeof(float);
    return (size_t)max_batch * (q8 > f ? q8 : f);
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
    for (long t = lo; t < hi; t++) {
        int r0 = (int)t * MATMUL_TILE;
        int nr = w->rows - r0 < MATMUL_TILE ? w->rows - r0 : MATMUL_TILE;
        const float *wt;
        if (w->type == GGML_TYPE_F32) {
            wt = (const float *)((const char *)w->data + (size_t)r0 * w->row_bytes);
        } else {
            for (int r = 0; r < nr; r++)
                quant_dequant_row(tile + (size_t)r * w->cols,
                                  (const char *)w->data + (size_t)(r0 + r) * w->row_bytes,
                                  w->type, w->cols);
            wt = tile;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->B, nr, w->cols, 1.0f,
                    j->x, w->cols, wt, w->cols, 0.0f, j->out + r0, w->rows);
    }
}

void matmul(float *out, const float *x, const qmat *w, int B, matmul_ctx *m)
{
    mm_job j = {.out = out, .x = x, .w = w, .B = B, .m = m};
    if (!m->use_ref && B >= MATMUL_GEMM_MIN) {
        long n_tiles = (w->rows + MATMUL_TILE - 1) / MATMUL_TILE;
        pool_run(m->pool, mm_gemm, &j, n_tiles);
        return;
    }
    j.dot = m->use_ref ? quant_dot_ref(w->type) : quant_dot_fast(w->type);
    if (quant_wants_q8(w->type)) {
        size_t nb = (size_t)w->cols / QK;
        for (int b = 0; b < B; b++)
            quant_act_q8(m->act + (size_t)b * nb, x + (size_t)b * w->cols, w->cols);
        j.act = m->act;
        j.act_stride = nb * sizeof(blk_q8_act);
    } else if (w->type == GGML_TYPE_F16) {
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
    pool_run(m->pool, mm_dots, &j, w->rows);
}
