/*
 * matmul.h -- out = x . W^T for a weight matrix in any supported tensor type,
 * on the CPU, for a batch of activation rows.
 *
 * Q8_0, Q4_0 and Q5_0 weights (the types models are run in) take the integer
 * path for every batch size: the activations are quantized to Q8 blocks
 * once, then model/qgemm.h multiplies tiles of weight rows by tiles of
 * activation rows, so decode (B = 1) streams the weights once and prefill
 * or batched decode reuses each weight block across the batch.  Q4_K and
 * Q6_K weights (Q4_K_M files) do the same with Q8_K super-blocks and
 * model/qgemm_k.h, unless float_act asks for float activations.  Other types
 * go row by row through the quant.h dot kernels for small batches and,
 * from MATMUL_GEMM_MIN rows, through OpenBLAS sgemm on tiles of weight rows
 * dequantized to floats in per-thread scratch; an F32 matrix with a packed
 * copy (qmat.packed, small models: gemm_f32.h) uses that at every batch
 * size instead.  Work is split across the
 * pool by weight rows, so each thread reads a disjoint part of the matrix;
 * OpenBLAS itself is kept single-threaded (matmul_init) so its threads do
 * not fight ours on a small machine.  matmul_n runs several matrices that
 * share one input (Q, K, V; gate, up) as one job: one quantization of the
 * input and one fork-join instead of several.  The caller owns all buffers.
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
    const float *packed;   /* F32 only, or NULL: (cols, packed_ld) k-major copy for
                            * gemm_f32.h, owned by the model */
    int packed_ld;
} qmat;

typedef struct matmul_ctx {
    pool *pool;
    int use_ref;           /* 1: plain-loop dots only, no BLAS (tests) */
    int float_act;         /* 1: Q4_K / Q6_K weights dot float activations
                            * (dequantize + FMA, sgemm from MATMUL_GEMM_MIN
                            * rows), the path before qgemm_k: tests measure
                            * what Q8_K activations cost against it, and
                            * bench/qgemm_k_bench.c its speed */
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

#define MATMUL_MAX_N 4 /* matrices per matmul_n call */

/* out[i] (B, w[i]->rows) = x (B, cols) . w[i]^T for i < n (<= MATMUL_MAX_N);
 * every w[i] has the same cols. */
void matmul_n(float *const *out, const float *x, const qmat *const *w, int n, int B,
              matmul_ctx *m);

#endif
