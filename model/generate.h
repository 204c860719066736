/*
 * generate.h -- the decoding loop: prefill each prompt, then decode all
 * sequences together, one token per sequence per step, so every step is a
 * matrix-matrix product over the live sequences (batched generation).
 *
 * A sequence stops at an end-of-generation token (is_eog), after a stop
 * string (of at most GEN_STOP_MAX bytes) appears in its text (piece gives
 * each token's bytes), or after n_predict tokens.  Each sequence has its own
 * sampler seeded with seed + its index, so a sequence's output does not
 * depend on its neighbours.  This file does not tokenize: prompts are ids,
 * and text comes back through piece.
 */
#ifndef AS_GENERATE_H
#define AS_GENERATE_H

#include "model/sampler.h"
#include "model/transformer.h"

#include <stddef.h>

#define GEN_STOP_MAX 255 /* longest stop string, in bytes */

typedef struct gen_params {
    int n_predict;
    sampler_params sampling;
    const char *const *stop;  /* (n_stop) stop strings, or NULL */
    int n_stop;
    /* token id -> its bytes (for stop strings); NULL disables stop strings */
    const char *(*piece)(void *ctx, int id, size_t *len);
    /* 1 when id ends generation; NULL: only the model's EOS does */
    int (*is_eog)(void *ctx, int id);
    void *ctx;
} gen_params;

/*
 * Generate for n_seq prompts (prompts[i] has n_prompt[i] >= 1 ids) on state s
 * (s->n_seq >= n_seq, n_ctx large enough for prompt + n_predict).  out is
 * (n_seq, n_predict) ids written by the caller's buffer, n_out[i] how many
 * sequence i produced (a stop token is included, a stop string's tokens are).
 */
as_err generate_batch(int *out, int *n_out, model_state *s, const int *const *prompts,
                      const int *n_prompt, int n_seq, const gen_params *p);

#endif
