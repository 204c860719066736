/*
 * sampler.h -- pick the next token from a row of logits: greedy, or random
 * with temperature, top-k and top-p (nucleus), from a seeded generator so a
 * run can be repeated exactly.
 *
 * The sampler owns a scratch array of (id, prob) pairs sized to the
 * vocabulary; it keeps no other state than the generator.  It is not a
 * grammar or repetition-penalty engine.
 */
#ifndef AS_SAMPLER_H
#define AS_SAMPLER_H

#include "common/error.h"

#include <stdint.h>

typedef struct sampler_params {
    float temp;      /* <= 0: greedy */
    int top_k;       /* <= 0: no limit */
    float top_p;     /* >= 1: no limit */
    uint64_t seed;
} sampler_params;

typedef struct sampler sampler;

as_err sampler_new(sampler **out, int vocab_size, const sampler_params *p);
void sampler_free(sampler *s);
/* Next token for logits (vocab_size); logits are not modified. */
int sampler_sample(sampler *s, const float *logits);
/* Index of the largest value; ties go to the lower id, as in llama.cpp. */
int sampler_argmax(const float *logits, int n);

#endif
