/*
 * quant.h -- tensor element formats: half/bfloat conversion, the ggml block
 * layouts (Q8_0, Q4_0, Q5_0, Q4_K, Q6_K), dequantization, quantization and
 * the row dot products the CPU matmul is built from.
 *
 * Every dot product has a plain-loop reference (quant_dot_ref) beside the
 * AVX2/FMA/F16C version (quant_dot_fast picks it at run time with
 * __builtin_cpu_supports, else falls back to the reference); tests compare
 * the two.  Weights of type Q8_0, Q4_0 and Q5_0 are multiplied by activations
 * quantized to our own Q8 block (quant_act_q8: the scale is rounded to half
 * precision like ggml's, but kept as a float so the kernels need not convert
 * it) in model/qgemm.h, not here; all other types are dotted against plain
 * floats.  This file owns no memory and knows nothing of models.
 */
#ifndef AS_QUANT_H
#define AS_QUANT_H

#include "model/gguf.h"

#include <stdint.h>

#define QK 32    /* elements per Q8_0 / Q4_0 / Q5_0 block */
#define QK_K 256 /* elements per K-quant super-block */

typedef struct blk_q8_0 { uint16_t d; int8_t qs[QK]; } blk_q8_0;        /* 34 bytes */
typedef struct blk_q4_0 { uint16_t d; uint8_t qs[QK / 2]; } blk_q4_0;   /* 18 bytes */
/* Q5_0: the low 4 bits as in Q4_0, bit j of qh (little-endian) the fifth
 * bit of element j; value = (low | high << 4) - 16 */
typedef struct blk_q5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } blk_q5_0; /* 22 bytes */
typedef struct blk_q4_K {
    uint16_t d, dmin;
    uint8_t scales[12]; /* 8 six-bit scales and 8 six-bit mins, packed */
    uint8_t qs[QK_K / 2];
} blk_q4_K;                                                             /* 144 bytes */
typedef struct blk_q6_K {
    uint8_t ql[QK_K / 2]; /* low 4 bits */
    uint8_t qh[QK_K / 4]; /* high 2 bits */
    int8_t scales[QK_K / 16];
    uint16_t d;
} blk_q6_K;                                                             /* 210 bytes */
/* Activation block for integer dots: float scale, 32 signed bytes. */
typedef struct blk_q8_act { float d; int8_t qs[QK]; } blk_q8_act;
/* Activation super-block for the K-quant integer dots: ggml's block_q8_K
 * (float scale, 256 signed bytes, the sum of each 16 of them: the Q4_K min
 * and Q6_K offset terms need only those sums, not the bytes), then the
 * sums times the scale as floats, which the SIMD kernels fold in with one
 * fused multiply-add per 16 lanes instead of converting per weight row. */
typedef struct blk_q8_K {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
    float dsums[QK_K / 16]; /* d * bsums[g], rounded once */
} blk_q8_K;                                                             /* 356 bytes */

float fp16_to_f32(uint16_t h);
uint16_t f32_to_fp16(float f);          /* round to nearest even */
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);          /* round to nearest even */

/* Whether this library can compute with weights of type t. */
int quant_supported(ggml_type t);

/* dst (n floats) = src (n elements of type t); n a multiple of the block. */
void quant_dequant_row(float *dst, const void *src, ggml_type t, int64_t n);
/* dst (ggml_row_size(t, n) bytes) = src quantized to t (any supported type). */
void quant_quantize_row(void *dst, const float *src, ggml_type t, int64_t n);

/* Does a row of type t want Q8 activations (quant_act_q8) or floats? */
int quant_wants_q8(ggml_type t);
/* dst (n/QK blocks) = x quantized per block of 32 with a float scale;
 * AVX2 when the CPU has it.  quant_act_q8_ref is the plain loop: the two
 * give the same bits (same product, same round-half-to-even). */
void quant_act_q8(blk_q8_act *dst, const float *x, int64_t n);
void quant_act_q8_ref(blk_q8_act *dst, const float *x, int64_t n);
/* Does a row of type t want Q8_K activations (quant_act_q8_K)?  Q4_K, Q6_K. */
int quant_wants_q8_K(ggml_type t);
/* dst (n/QK_K super-blocks) = x quantized per 256 with a float scale
 * amax / 127 (not rounded to half: ggml's Q8_K keeps a float too), round
 * half to even, and the 16 sums (and their products with the scale).  AVX2
 * when the CPU has it; the plain loop gives the same bits (same product
 * x * (127 / amax), same rounding). */
void quant_act_q8_K(blk_q8_K *dst, const float *x, int64_t n);
void quant_act_q8_K_ref(blk_q8_K *dst, const float *x, int64_t n);

/* Dot product of one weight row (n elements of type t) with floats; NULL
 * for the types that want Q8 activations (those go through qgemm.h). */
typedef float (*quant_dot_fn)(const void *w, const void *x, int64_t n);
quant_dot_fn quant_dot_ref(ggml_type t);
quant_dot_fn quant_dot_fast(ggml_type t);
/* y (n) += a * x (n halves): the value side of attention over a half KV
 * cache.  fast 0 gives the plain loop, 1 the AVX2 one where the CPU has it. */
typedef void (*quant_axpy_fn)(float *y, float a, const uint16_t *x, int64_t n);
quant_axpy_fn quant_axpy_f16(int fast);
/* Attention over a half KV cache for one (item, head), len positions
 * whose rows are stride halves apart: scores att[t] = dot(k row t, q) *
 * scale (q of n floats); values y (n) += p[t] * v row t, t in order.  The
 * same arithmetic as quant_dot_fast(GGML_TYPE_F16) and quant_axpy_f16 per
 * position, without a call per position (heads of 8 make the call the
 * larger part).  fast as for quant_axpy_f16. */
typedef void (*quant_scores_fn)(float *att, const uint16_t *k, size_t stride, const float *q,
                                int64_t n, int64_t len, float scale);
typedef void (*quant_values_fn)(float *y, const float *p, const uint16_t *v, size_t stride,
                                int64_t n, int64_t len);
quant_scores_fn quant_scores_f16(int fast);
quant_values_fn quant_values_f16(int fast);
/* x (n) = half(x * a) as floats: the rounding a half KV cache's kernels
 * put on q and on the attention probabilities.  fast as above; the two
 * give the same bits on finite values. */
typedef void (*quant_scale_round_fn)(float *x, float a, int64_t n);
quant_scale_round_fn quant_scale_round_f16(int fast);
/* Name of the fast kernel set chosen on this CPU ("avx2" or "portable"). */
const char *quant_fast_name(void);
/* 1 when the CPU has AVX2, FMA and F16C (the fast kernels' baseline). */
int quant_has_avx2(void);

#endif
