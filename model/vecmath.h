/*
 * vecmath.h -- the forward pass's elementwise math over float rows: the
 * softmax exponentials of attention and SwiGLU's silu(gate) * up.
 *
 * Each has a plain loop (libm's expf, one element at a time: the
 * reference the tests and `use_ref` states use) and a fast variant that
 * takes its exponentials eight at a time from glibc's libmvec
 * (_ZGVdN8v_expf, AVX2; within 2 ulps of exp in double on [-87, 0],
 * test_model_vecmath), as ggml's soft_max and silu take theirs from its
 * own vector expf.
 */
#ifndef AS_VECMATH_H
#define AS_VECMATH_H

#include <stdint.h>

/* x (n >= 1) = exp(x - max(x)); returns the sum of the new values.  The
 * plain loop adds them one at a time in double; the fast one adds each
 * group of eight in float (hsum8's tree) and the groups in double, in
 * order, as ggml_vec_soft_max_f32 does. */
typedef double (*vec_softmax_exp_fn)(float *x, int64_t n);
vec_softmax_exp_fn vec_softmax_exp(int fast);

/* g (n) = g / (1 + exp(-g)) * up: SwiGLU, silu of the gate times the up
 * projection, the formula of both variants. */
typedef void (*vec_swiglu_fn)(float *g, const float *up, int64_t n);
vec_swiglu_fn vec_swiglu(int fast);

#endif
