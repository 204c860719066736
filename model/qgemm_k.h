/*
 * qgemm_k.h -- integer matrix x matrix product of Q4_K / Q6_K weight rows
 * (what Q4_K_M files hold) with many activation rows quantized to Q8_K
 * super-blocks (quant_act_q8_K), on the CPU: the K-quant twin of qgemm.h.
 *
 * Per 256-element super-block the arithmetic is ggml's vec_dot_q4_K_q8_K /
 * q6_K_q8_K, all in exact int32:
 *   Q4_K  w = d sc_j q - dmin m_j (q 0..15; 6-bit sc_j, m_j per 32):
 *         dx (d sum_j sc_j sum q.x  -  dmin sum_j m_j (bsum_2j + bsum_2j+1))
 *   Q6_K  w = d sc_g (q - 32) (q 0..63; int8 sc_g per 16):
 *         dx d (sum_g sc_g sum q.x  -  32 sum_g sc_g bsum_g)
 * so the weights' offsets cost a dot of 8 or 16 scales with the sums the
 * activation quantizer stored, not a pass over the bytes; the float work is
 * one or two products per super-block.  The kernels tile several weight
 * rows by several activation rows, so a weight super-block is unpacked once
 * for several activation rows (prefill, batched decode).  qgemm_k_ref is the
 * plain loop the fast variants are held to: they differ from it only in the
 * order float terms are added.  Owns no memory and does not thread;
 * matmul.c splits the rows across the pool.
 */
#ifndef AS_QGEMM_K_H
#define AS_QGEMM_K_H

#include "model/qgemm.h"

/*
 * out[b * ldo + r] = dot(weight row r, activation row b) for r in [r0, r1)
 * and b in [0, B).  w: rows of row_bytes bytes in type t (Q4_K or Q6_K);
 * act: (B, nb) Q8_K blocks, nb = cols / QK_K.
 */
typedef void (*qgemm_k_fn)(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_K *act, int nb, int B);

/* Kernels for weight type t, or NULL when t is not Q4_K / Q6_K: the plain
 * loops, the best this CPU runs, and variant isa (the same instruction sets
 * as qgemm.h's; NULL also when this CPU lacks it). */
qgemm_k_fn qgemm_k_ref(ggml_type t);
qgemm_k_fn qgemm_k_fast(ggml_type t);
qgemm_k_fn qgemm_k_isa_fn(ggml_type t, qgemm_isa isa);

#endif
