/*
 * sampler.c -- token selection (see sampler.h).
 *
 * Order as in llama.cpp's common sampler chain: top-k, then temperature
 * softmax, then top-p on the sorted probabilities, then a draw.  The
 * generator is xorshift64* (Vigna 2016): small, fast and reproducible across
 * machines, which is all a sampler needs.
 */
#include "model/sampler.h"

#include <math.h>
#include <stdlib.h>

typedef struct prob_id {
    float p;
    int id;
} prob_id;

struct sampler {
    int n;
    sampler_params p;
    uint64_t rng;
    prob_id *cand; /* (n) */
};

as_err sampler_new(sampler **out, int vocab_size, const sampler_params *p)
{
    *out = NULL;
    if (vocab_size < 1)
        return as_fail(AS_ERR_RANGE, "sampler: vocabulary size %d", vocab_size);
    if (p->top_p <= 0 || isnan(p->temp))
        return as_fail(AS_ERR_USAGE, "sampler: top-p must be > 0 and temperature a number");
    sampler *s = calloc(1, sizeof *s);
    if (!s || !(s->cand = malloc((size_t)vocab_size * sizeof *s->cand))) {
        free(s);
        return as_fail(AS_ERR_NOMEM, "out of memory for the sampler");
    }
    s->n = vocab_size;
    s->p = *p;
    s->rng = p->seed ? p->seed : 0x9E3779B97F4A7C15ull; /* xorshift must not start at 0 */
    *out = s;
    return AS_OK;
}

void sampler_free(sampler *s)
{
    if (s)
        free(s->cand);
    free(s);
}

int sampler_argmax(const float *logits, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    return best;
}

static float rng_uniform(sampler *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return (float)((s->rng * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0f; /* [0, 1) */
}

static int prob_desc(const void *a, const void *b)
{
    const prob_id *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? 1 : -1;
    return x->id - y->id;
}

int sampler_sample(sampler *s, const float *logits)
{
    if (s->p.temp <= 0)
        return sampler_argmax(logits, s->n);
    int n = s->n, k = s->p.top_k > 0 && s->p.top_k < n ? s->p.top_k : n;
    if (k < n) {
        /* Only the k largest can survive top-k, so sort just the logits at
         * or above the k-th largest value (ties included): the first k of
         * that sort are the first k of a sort of the whole vocabulary.  For
         * the 1.5k-token summary model the full sort was a third of
         * decoding. */
        float top[64], thr;
        if (k <= 64) {
            int m = 0; /* top[0..m) descending */
            for (int i = 0; i < n; i++) {
                float v = logits[i];
                if (m == k && !(v > top[k - 1]))
                    continue;
                int j = m < k ? m++ : k - 1;
                while (j > 0 && top[j - 1] < v) {
                    top[j] = top[j - 1];
                    j--;
                }
                top[j] = v;
            }
            thr = top[k - 1];
        } else {
            thr = -INFINITY;
        }
        int c = 0;
        for (int i = 0; i < n; i++)
            if (logits[i] >= thr)
                s->cand[c++] = (prob_id){logits[i], i};
        qsort(s->cand, (size_t)c, sizeof *s->cand, prob_desc);
    } else {
        for (int i = 0; i < n; i++)
            s->cand[i] = (prob_id){logits[i], i};
        qsort(s->cand, (size_t)n, sizeof *s->cand, prob_desc);
    }
    n = k;
    float max = s->cand[0].p;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        s->cand[i].p = expf((s->cand[i].p - max) / s->p.temp);
        sum += s->cand[i].p;
    }
    if (s->p.top_p < 1) {
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += s->cand[i].p / sum;
            if (cum >= s->p.top_p) {
                n = i + 1;
                break;
            }
        }
        sum = 0;
        for (int i = 0; i < n; i++)
            sum += s->cand[i].p;
    }
    double r = rng_uniform(s) * sum, cum = 0;
    for (int i = 0; i < n; i++) {
        cum += s->cand[i].p;
        if (r < cum)
            return s->cand[i].id;
    }
    return s->cand[n - 1].id;
}
