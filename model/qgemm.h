/*
 * qgemm.h -- integer matrix x matrix product of Q8_0 / Q4_0 / Q5_0 weight rows with
 * many activation rows quantized to Q8 blocks (quant_act_q8), on the CPU.
 *
 * This is the kernel under prefill and batched decode (and single-token
 * decode, where it is a 4-row dot product): the activations are quantized
 * once per step, then each weight block is loaded once and multiplied with
 * the matching block of several activation rows while it sits in registers,
 * so a step over B sequences reads the weights once instead of B times.
 * The arithmetic per block is ggml's vec_dot_q8_0_q8_0 / q4_0_q8_0 / q5_0_q8_0: an exact
 * int32 dot of the 32 quants, times the two scales, summed in float.
 * qgemm_ref is the plain-loop version the tests hold the fast one to.  It
 * owns no memory and does not thread; matmul.c splits weight rows across
 * the pool and calls this on each slice.
 */
#ifndef AS_QGEMM_H
#define AS_QGEMM_H

#include "model/quant.h"

#include <stddef.h>

/* The weight kinds of the tile kernels, as qgemm.c, qgemm_tile.h and
 * qgemm_amx.c pass them: Q8_0 (unsigned as w ^ 0x80 = w + 128), Q4_0 (the
 * nibble, offset 8) and Q5_0 (nibble | fifth bit << 4, offset 16). */
enum { QW_Q8_0, QW_Q4_0, QW_Q5_0 };

/*
 * out[b * ldo + r] = dot(weight row r, activation row b) for r in [r0, r1)
 * and b in [0, B).  w: rows of row_bytes bytes in type t (Q8_0, Q4_0, Q5_0);
 * act: (B, nb) Q8 blocks, nb = cols / QK.
 */
typedef void (*qgemm_fn)(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                         long r1, const blk_q8_act *act, int nb, int B);

/* The kernel variants, plainest first. */
typedef enum qgemm_isa {
    QGEMM_REF,      /* plain loops, any CPU */
    QGEMM_AVX2,     /* ymm, maddubs + madd (ggml's sign trick) */
    QGEMM_AVX_VNNI, /* ymm, VEX vpdpbusd (AVX-VNNI) */
    QGEMM_AVX512,   /* zmm, two blocks per vpdpbusd (AVX-512 VNNI, BW, DQ, VL) */
    QGEMM_AMX,      /* AMX-INT8 tiles for batches (qgemm_amx.h), AVX-512 for the rest;
                     * the K-quant kernels have no tile path and run AVX-512 here */
} qgemm_isa;
#define QGEMM_N_ISA 5

/* Kernels for weight type t, or NULL when t is not Q8_0 / Q4_0 / Q5_0: the plain
 * loops, the best this CPU runs, and variant isa (NULL also when this CPU
 * lacks it; tests and bench/qgemm_bench.c run every variant it has). */
qgemm_fn qgemm_ref(ggml_type t);
qgemm_fn qgemm_fast(ggml_type t);
qgemm_fn qgemm_isa_fn(ggml_type t, qgemm_isa isa);
/* "portable", "avx2", "avx-vnni", "avx512-vnni", "amx-int8"; the second: what
 * qgemm_fast picks on this CPU. */
const char *qgemm_isa_name(qgemm_isa isa);
const char *qgemm_fast_name(void);
/* Whether this CPU runs variant isa, and the variant qgemm_fast picks
 * (model/qgemm_k.h's kernels come in the same variants). */
int qgemm_isa_available(qgemm_isa isa);
qgemm_isa qgemm_best_isa(void);

#endif
