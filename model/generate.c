/*
 * generate.c -- prefill and batched decode (see generate.h).
 *
 * Prompts are prefilled one sequence at a time in chunks of the state's
 * max_batch (a prompt's tokens are one long matrix-matrix product); decode
 * steps then carry one item per live sequence.  Stop strings are matched
 * byte by byte as each token's text arrives, against a rolling tail of the
 * sequence's text that always holds the GEN_STOP_MAX - 1 bytes before the
 * newest, so a stop string is seen at the byte that completes it wherever
 * it falls, however long the text or the tokens.
 */
#include "model/generate.h"

#include <stdlib.h>
#include <string.h>

#define GEN_TAIL (2 * GEN_STOP_MAX)

typedef struct seq_state {
    sampler *smp;
    int pos;       /* next position */
    int last;      /* last sampled token */
    int done;
    char tail[GEN_TAIL];
    size_t tail_len;
} seq_state;

/* Append the token's text to the tail; 1 when a stop string ends at one of
 * its bytes (the bytes after it no longer matter: the sequence is done). */
static int stop_check(seq_state *q, const gen_params *p, int id)
{
    if (!p->piece || p->n_stop == 0)
        return 0;
    size_t n;
    const char *s = p->piece(p->ctx, id, &n);
    for (size_t i = 0; i < n; i++) {
        if (q->tail_len == GEN_TAIL) {
            /* keep what a stop string ending at a later byte can reach */
            memmove(q->tail, q->tail + GEN_TAIL - (GEN_STOP_MAX - 1), GEN_STOP_MAX - 1);
            q->tail_len = GEN_STOP_MAX - 1;
        }
        q->tail[q->tail_len++] = s[i];
        for (int k = 0; k < p->n_stop; k++) {
            size_t len = strlen(p->stop[k]);
            if (len && len <= q->tail_len &&
                memcmp(q->tail + q->tail_len - len, p->stop[k], len) == 0)
                return 1;
        }
    }
    return 0;
}

static int is_end(const gen_params *p, const model_state *s, int id)
{
    return p->is_eog ? p->is_eog(p->ctx, id) : id == s->m->c.eos_id;
}

as_err generate_batch(int *out, int *n_out, model_state *s, const int *const *prompts,
                      const int *n_prompt, int n_seq, const gen_params *p)
{
    if (n_seq < 1 || n_seq > s->n_seq || p->n_predict < 0)
        return as_fail(AS_ERR_RANGE, "generate: %d sequences for a state of %d", n_seq,
                       s->n_seq);
    for (int k = 0; k < p->n_stop; k++)
        if (strlen(p->stop[k]) > GEN_STOP_MAX)
            return as_fail(AS_ERR_RANGE, "generate: stop string %d is %zu bytes long (at most "
                           "%d)", k + 1, strlen(p->stop[k]), GEN_STOP_MAX);
    for (int i = 0; i < n_seq; i++)
        if (n_prompt[i] < 1 || n_prompt[i] + p->n_predict > s->n_ctx)
            return as_fail(AS_ERR_RANGE, "generate: prompt %d has %d tokens; with %d to "
                           "predict it must fit the context of %d", i, n_prompt[i],
                           p->n_predict, s->n_ctx);
    int vocab = s->m->c.vocab_size, B = s->max_batch;
    seq_state *q = calloc((size_t)n_seq, sizeof *q);
    int *tok = malloc((size_t)B * sizeof *tok), *pos = malloc((size_t)B * sizeof *pos);
    int *seq = malloc((size_t)B * sizeof *seq), *who = malloc((size_t)B * sizeof *who);
    char *want = malloc((size_t)B);
    as_err e = AS_OK;
    if (!q || !tok || !pos || !seq || !who || !want) {
        e = as_fail(AS_ERR_NOMEM, "generate: out of memory");
        goto done;
    }
    for (int i = 0; i < n_seq && !e; i++) {
        sampler_params sp = p->sampling;
        sp.seed += (uint64_t)i;
        e = sampler_new(&q[i].smp, vocab, &sp);
        n_out[i] = 0;
    }
    /* prefill, one sequence at a time */
    for (int i = 0; i < n_seq && !e && p->n_predict > 0; i++) {
        for (int at = 0; at < n_prompt[i] && !e; at += B) {
            int n = n_prompt[i] - at < B ? n_prompt[i] - at : B, got;
            for (int k = 0; k < n; k++) {
                tok[k] = prompts[i][at + k];
                pos[k] = at + k;
                seq[k] = i;
            }
            model_batch b = {n, tok, pos, seq, NULL};
            e = model_forward(s, &b, &got);
        }
        if (e)
            break;
        int id = sampler_sample(q[i].smp, s->logits);
        out[(size_t)i * p->n_predict] = id;
        n_out[i] = 1;
        q[i].last = id;
        q[i].pos = n_prompt[i];
        q[i].done = is_end(p, s, id) || stop_check(&q[i], p, id) || p->n_predict == 1;
    }
    /* decode all live sequences together */
    while (!e) {
        int n = 0;
        for (int i = 0; i < n_seq; i++) {
            if (q[i].done || n == B)
                continue;
            tok[n] = q[i].last;
            pos[n] = q[i].pos;
            seq[n] = i;
            want[n] = 1;
            who[n++] = i;
        }
        if (n == 0)
            break;
        int got;
        model_batch b = {n, tok, pos, seq, want};
        if ((e = model_forward(s, &b, &got)))
            break;
        for (int k = 0; k < n; k++) {
            seq_state *x = &q[who[k]];
            int id = sampler_sample(x->smp, s->logits + (size_t)k * vocab);
            out[(size_t)who[k] * p->n_predict + n_out[who[k]]++] = id;
            x->last = id;
            x->pos++;
            x->done = is_end(p, s, id) || stop_check(x, p, id) ||
                      n_out[who[k]] == p->n_predict;
        }
    }
done:
    for (int i = 0; q && i < n_seq; i++)
        sampler_free(q[i].smp);
    free(q);
    free(tok);
    free(pos);
    free(seq);
    free(who);
    free(want);
    return e;
}
