/*
 * train_layers.h -- forward and backward kernels of the Llama decoder, for
 * training (llm.c style): embedding, RMSNorm, matmul, RoPE, causal
 * attention, SwiGLU, softmax cross-entropy, top-k distillation KL.
 *
 * Shapes: N = B * T rows (B sequences of T positions, row n is position
 * n % T of sequence n / T), C model width, OC output width, NH heads of HD
 * = C / NH dims, F feed-forward width, V vocabulary.  Weights are (out, in)
 * row-major, as GGUF stores them (ne[0] = in).  Every backward ADDS into
 * its weight gradients and, where noted, into its input gradient, so a
 * residual stream can accumulate; the caller zeroes gradients per step.
 * matmul has a BLAS version (cblas_sgemm) and the plain-loop reference the
 * tests compare it with.  RoPE rotates pairs (2i, 2i+1) of each head with
 * angle pos * base^(-2i/HD), computed as the engine does (a running float
 * product), so a trained model decodes the same in model/transformer.c.
 * This file holds no model layout (model/train.h) and no optimizer.
 */
#ifndef AS_TRAIN_LAYERS_H
#define AS_TRAIN_LAYERS_H

#include <stdint.h>

/* out (N,C) = wte[tokens] */
void embed_forward(float *out, const int32_t *tokens, const float *wte, int N, int C);
/* dwte (V,C) += scatter of dout (N,C) */
void embed_backward(float *dwte, const float *dout, const int32_t *tokens, int N, int C);

/* out (N,C) = x * rstd * w, rstd (N) saved for backward */
void rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C,
                     float eps);
/* dx (N,C) += ..., dw (C) += ... */
void rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                      const float *rstd, int N, int C);

/* out (N,OC) = x (N,C) W^T, W (OC,C) */
void matmul_forward(float *out, const float *x, const float *w, int N, int C, int OC);
void matmul_forward_ref(float *out, const float *x, const float *w, int N, int C, int OC);
/* dx (N,C) += dout W; dw (OC,C) += dout^T x.  dx may be NULL. */
void matmul_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                     int N, int C, int OC);
void matmul_backward_ref(float *dx, float *dw, const float *dout, const float *x,
                         const float *w, int N, int C, int OC);

/* In place on x (N, NH*HD) with positions n % T; inverse = 1 rotates back,
 * which is the backward of the forward rotation. */
void rope_apply_train(float *x, int N, int T, int NH, int HD, float base, int inverse);

/* out (N,C) = causal softmax(q k^T / sqrt(HD)) v per sequence and head;
 * att (B,NH,T,T) saves the probabilities. */
void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH);
/* dq, dk, dv (N,C) += ...; datt (T) scratch */
void attention_backward(float *dq, float *dk, float *dv, float *datt, const float *dout,
                        const float *att, const float *q, const float *k, const float *v, int B,
                        int T, int C, int NH);

/* out (n) = silu(g) * u */
void swiglu_forward(float *out, const float *g, const float *u, long n);
/* dg, du (n) = ... (overwritten, not added) */
void swiglu_backward(float *dg, float *du, const float *dout, const float *g, const float *u,
                     long n);

/*
 * Mean cross-entropy over the rows with weight[n] > 0 (weight NULL: all).
 * logits (N,V) are turned into probabilities in place; returns the loss;
 * when dlogits is not NULL it gets d loss / d logits (may alias logits).
 */
float crossentropy_forward_backward(float *dlogits, float *logits, const int32_t *targets,
                                    const float *weight, int N, int V);

/*
 * Top-k knowledge distillation (Hinton et al. 2015, "Distilling the
 * knowledge in a neural network"): row n's teacher distribution is known
 * only on its k most likely tokens, ids (N,k) with probabilities p (N,k)
 * taken at temperature temp, plus the rest mass r = 1 - sum p as one more
 * outcome; the student's q = softmax(logits / temp) is coarsened to the
 * same k + 1 outcomes (q of each id, and the sum of q over all other
 * tokens), and the loss is
 *     temp^2 * sum_n w_n KL(p || q) / sum_n w_n
 * over the rows with weight w_n > 0 (the temp^2 keeps the gradient's size
 * independent of temp, as Hinton et al. prescribe).  Coarsening never
 * raises a KL (log-sum inequality), so this is a lower bound of the full
 * KL that is exact when the teacher's rest mass is 0, and it stays a
 * divergence between two proper distributions, unlike a top-k sum that
 * drops the rest.  d loss / d logits_j = temp * q_j (1 - P(j) / Q(j)),
 * P(j), Q(j) the teacher's and student's mass on j's outcome: q_j - p_j
 * for a top-k token, q_j (1 - r / Q_rest) for any other.  Returns the mean
 * KL (without the temp^2); when dlogits is not NULL it gets scale times
 * the loss's gradient ADDED.  ids of a row must be distinct; scratch has
 * room for V floats.
 */
float kl_topk_forward_backward(float *dlogits, float *scratch, const float *logits,
                               const int32_t *ids, const float *p, const float *weight, int N,
                               int V, int k, float temp, float scale);

#endif
