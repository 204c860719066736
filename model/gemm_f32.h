/*
 * gemm_f32.h -- batched products with small F32 weight matrices, the
 * weights packed once, k-major.
 *
 * OpenBLAS packs both operands on every sgemm call. For the tiny models,
 * stories260K and the built-in summary model (matrices of 64 to 1,471 rows
 * by 64 to 256 columns), that packing and its C = 0 pass cost as much as
 * the product itself. Here the weights are transposed once, at model load,
 * into rows of ld = rows rounded up to 16 floats, one per input feature.
 * Then each product is broadcast-and-FMA tiles with no per-call copying:
 * 1.3 to 2.0x OpenBLAS's sgemm at batch 32 on those shapes.  A single
 * token takes this path too: 32 outputs per broadcast beat a horizontal
 * sum per row dot (stories260K decode, one thread: 37k -> 55k tokens/s).
 *
 * Each output is the sum over k in order of one fused multiply-add per
 * term, and the plain loop gemm_f32_rows_ref does the same. The fast
 * kernel needs AVX-512F (gemm_f32_usable); elsewhere matmul.c keeps to
 * sgemm. Owns no memory.
 */
#ifndef AS_GEMM_F32_H
#define AS_GEMM_F32_H

#include <stddef.h>

/* Matrices up to this many elements are packed (4 MiB of floats); larger
 * ones go to sgemm, whose packing is then a small part of the call.  A
 * model packs only when all its copies fit in GEMM_F32_MAX_TOTAL floats
 * (32 MiB): the copies are memory on top of the file's mapping, worth it
 * for the tiny models (1 to 2 MiB), not for a 135M-parameter F32 file. */
#define GEMM_F32_MAX_ELEMS (1L << 20)
#define GEMM_F32_MAX_TOTAL ((size_t)1 << 23)

/* 1 when this CPU runs gemm_f32_rows (AVX-512F). */
int gemm_f32_usable(void);
/* The row length of a packed (rows, cols) matrix, and its size in floats. */
int gemm_f32_ld(int rows);
size_t gemm_f32_packed_floats(int rows, int cols);
/* dst (cols, ld) = w (rows, cols) transposed, the pad columns zero. */
void gemm_f32_pack(float *dst, const float *w, int rows, int cols);
/* out[b * ldo + n] = sum over k of x[b * K + k] * W[n][k], for n in
 * [n0, n1) and b in [0, B); wt: W packed by gemm_f32_pack (ld floats a row). */
void gemm_f32_rows(float *out, size_t ldo, const float *x, int B, int K, const float *wt, int ld,
                   int n0, int n1);
void gemm_f32_rows_ref(float *out, size_t ldo, const float *x, int B, int K, const float *wt,
                       int ld, int n0, int n1);

#endif
