/*
 * matmul.h -- out = x . W^T for a weight matrix in any supported tensor type,
 * on the CPU, for a batch of activation rows.
 *
 * Small batches (decode) go row by row through the quant.h dot kernels:
 * there the weights are read once per step and memory bandwidth is the
 * limit.  Batches of MATMUL_GEMM_MIN rows or more (prefill, batched decode)
 * go through OpenBLAS sgemm, on tiles of weight rows dequantized to floats
 * in per-thread scratch, so the dequantization is paid once per tile and the
 * multiply runs at BLAS speed.  Work is split across the pool by weight rows;
 * OpenBLAS itself is kept single-threaded (matmul_init) so its threads do
 * not fight ours on a small machine.  The caller owns all buffers.
 */
#ifndef AS_MATMUL_H
#define AS_MATMUL_H

#include "model/pool.h"
#include "model/quant.h"

#include <stddef.h>

#define MATMUL_GEMM_MIN 8   /* batch rows from which sgemm beats row dots */
#define MATMUL_TILE 64      /* weight rows dequantized per sgemm call */

typedef struct qmat {
    ggml_type type;
    int rows, cols;        /* rows = output features, cols = input features */
    size_t row_bytes;
    const void *data;      /* (rows, row_bytes) inside the GGUF mapping */
} qmat;

typedef struct matmul_ctx {
    pool *pool;
    int use_ref;           /* 1: plain-loop dots only, no BLAS (tests) */
    blk_q8_act *act;       /* (matmul_act_bytes) activation scratch */
    float *tiles;          /* (n_threads, MATMUL_TILE * max_cols) scratch */
    int max_cols;
} matmul_ctx;

/* Make OpenBLAS single-threaded; call once before threading ourselves. */
void matmul_init(void);

/* Scratch sizes in floats/bytes for matmul_ctx buffers. */
size_t matmul_act_bytes(int max_batch, int max_cols);
size_t matmul_tile_floats(int n_threads, int max_cols);

/* out (B, w->rows) = x (B, w->cols) . w^T */
void matmul(float *out, const float *x, const qmat *w, int B, matmul_ctx *m);

#endif
