/*
 * train_loop.c -- train_loop_run() and train_loop_eval() (see
 * train_loop.h).
 *
 * Memory: one (B, T) set of token, target and weight arrays per call (and
 * the soft targets' (B, T, k) ids and probabilities), T the model's
 * context; the order is a copy of which.  Nothing else is
 * allocated per step (the model keeps its activation arena).
 */
#include "model/train_loop.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct batch_buf {
    int32_t *tok, *tgt; /* (B, T) */
    float *wt;          /* (B, T) */
    int k;              /* soft targets per position, 0: none */
    int32_t *sid;       /* (B, T, k) */
    float *sp;          /* (B, T, k) */
    float *sw;          /* (B, T) */
} batch_buf;

static as_err batch_new(batch_buf *b, int B, int T, int k)
{
    size_t n = (size_t)B * T;
    b->tok = malloc(sizeof *b->tok * n);
    b->tgt = malloc(sizeof *b->tgt * n);
    b->wt = malloc(sizeof *b->wt * n);
    b->k = k;
    if (k) {
        b->sid = malloc(sizeof *b->sid * n * k);
        b->sp = malloc(sizeof *b->sp * n * k);
        b->sw = malloc(sizeof *b->sw * n);
    }
    if (!b->tok || !b->tgt || !b->wt || (k && (!b->sid || !b->sp || !b->sw)))
        return as_fail(AS_ERR_NOMEM, "trainer: out of memory for a batch of %d x %d", B, T);
    return AS_OK;
}

static void batch_free(batch_buf *b)
{
    free(b->tok);
    free(b->tgt);
    free(b->wt);
    free(b->sid);
    free(b->sp);
    free(b->sw);
}

/* Rows b of the batch from docs[rows[b]], trimmed to the longest: returns
 * T, the document tokens in *tokens. */
static int batch_fill(batch_buf *bb, const train_doc *docs, const int *rows, int B, int32_t pad,
                      long *tokens)
{
    int Tb = 2;
    for (int b = 0; b < B; b++)
        if (docs[rows[b]].n_ids - 1 > Tb)
            Tb = docs[rows[b]].n_ids - 1;
    *tokens = 0;
    for (int b = 0; b < B; b++) {
        const train_doc *d = &docs[rows[b]];
        for (int t = 0; t < Tb; t++) {
            int in = t < d->n_ids - 1, counted = in && t + 1 >= d->loss_from;
            bb->tok[b * Tb + t] = in ? d->ids[t] : pad;
            bb->tgt[b * Tb + t] = in ? d->ids[t + 1] : pad;
            bb->wt[b * Tb + t] = counted ? 1.0f : 0.0f;
            if (!bb->k)
                continue;
            size_t at = ((size_t)b * Tb + t) * bb->k;
            int soft = counted && d->soft_ids;
            bb->sw[b * Tb + t] = soft ? 1.0f : 0.0f;
            for (int j = 0; j < bb->k; j++) {
                size_t from = (size_t)(t + 1 - d->loss_from) * bb->k + j;
                bb->sid[at + j] = soft ? d->soft_ids[from] : pad;
                bb->sp[at + j] = soft ? d->soft_p[from] : 0.0f;
            }
        }
        *tokens += d->n_ids - 1;
    }
    return Tb;
}

static as_err docs_check(const train_model *m, const train_doc *docs, const int *which, int n)
{
    for (int i = 0; i < n; i++) {
        const train_doc *d = &docs[which[i]];
        if (d->n_ids < 2 || d->n_ids - 1 > m->c.ctx || d->loss_from < 1)
            return as_fail(AS_ERR_RANGE, "trainer: document %d has %d tokens (context %d)",
                           which[i], d->n_ids, m->c.ctx);
    }
    return AS_OK;
}

as_err train_loop_run(train_loop_report *r, train_model *m, const train_doc *docs,
                      const int *which, int n, const train_loop_opts *o)
{
    memset(r, 0, sizeof *r);
    if (n < 1)
        return as_fail(AS_ERR_USAGE, "trainer: no documents to train on");
    as_err e = docs_check(m, docs, which, n);
    if (e)
        return e;
    int B = o->batch;
    batch_buf bb = {0};
    int *order = malloc(sizeof *order * (size_t)n), *rows = malloc(sizeof *rows * (size_t)B);
    if (!order || !rows) {
        e = as_fail(AS_ERR_NOMEM, "trainer: out of memory");
        goto cleanup;
    }
    memcpy(order, which, sizeof *order * (size_t)n);
    uint64_t rs = o->seed;
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)(sm64(&rs) % (uint64_t)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    if ((e = batch_new(&bb, B, m->c.ctx, o->soft_k)))
        goto cleanup;
    int step = 0;
    if (o->checkpoint && o->resume && access(o->checkpoint, R_OK) == 0 &&
        (e = train_checkpoint_load(m, &step, o->checkpoint)))
        goto cleanup;
    double t0 = now_s();
    for (; step < o->steps; step++) {
        for (int b = 0; b < B; b++)
            rows[b] = order[((long)step * B + b) % n];
        long tokens;
        int Tb = batch_fill(&bb, docs, rows, B, o->pad, &tokens);
        r->tokens_seen += tokens;
        train_soft soft = {o->soft_k, bb.sid, bb.sp, bb.sw, o->soft_weight, o->soft_temp};
        if ((e = train_forward_soft(m, bb.tok, bb.tgt, bb.wt, o->soft_k ? &soft : NULL, B, Tb)))
            goto cleanup;
        train_zero_grad(m);
        train_backward(m);
        train_clip_grad(m, o->clip);
        float lr = train_lr(step, o->warmup, o->steps, o->lr, o->lr_min);
        train_adamw(m, lr, 0.9f, 0.95f, 1e-8f, o->weight_decay, step);
        r->final_loss = m->loss;
        r->final_ce = m->loss_ce;
        r->final_kl = m->loss_kl;
        double el = now_s() - t0;
        r->tok_per_s = el > 0 ? r->tokens_seen / el : 0;
        if (o->progress)
            o->progress(o->progress_ctx, step + 1, o->steps, m->loss, lr, r->tok_per_s);
        if (o->checkpoint && o->checkpoint_every > 0 && (step + 1) % o->checkpoint_every == 0 &&
            (e = train_checkpoint_save(m, step + 1, o->checkpoint)))
            goto cleanup;
    }
    r->steps_done = step;
    r->seconds = now_s() - t0;
cleanup:
    batch_free(&bb);
    free(order);
    free(rows);
    return e;
}

as_err train_loop_eval(double *loss, double *kl, long *n_targets, train_model *m,
                       const train_doc *docs, const int *which, int n, const train_loop_opts *o)
{
    *loss = 0;
    *n_targets = 0;
    if (kl)
        *kl = 0;
    as_err e = docs_check(m, docs, which, n);
    if (e)
        return e;
    batch_buf bb = {0};
    double sum = 0, sum_kl = 0, w_kl = 0;
    long counted = 0;
    if ((e = batch_new(&bb, o->batch, m->c.ctx, o->soft_k)))
        goto cleanup;
    for (int at = 0; at < n; at += o->batch) {
        int B = n - at < o->batch ? n - at : o->batch;
        long tokens;
        int Tb = batch_fill(&bb, docs, which + at, B, o->pad, &tokens);
        double w = 0, ws = 0;
        for (long i = 0; i < (long)B * Tb; i++) {
            w += bb.wt[i];
            ws += o->soft_k ? bb.sw[i] : 0;
        }
        if (w <= 0)
            continue;
        train_soft soft = {o->soft_k, bb.sid, bb.sp, bb.sw, o->soft_weight, o->soft_temp};
        if ((e = train_forward_soft(m, bb.tok, bb.tgt, bb.wt, ws > 0 ? &soft : NULL, B, Tb)))
            goto cleanup;
        /* each part is a mean over its own weights */
        sum += (double)m->loss_ce * w;
        sum_kl += (double)m->loss_kl * ws;
        w_kl += ws;
        counted += (long)w;
    }
    *loss = counted ? sum / counted : 0;
    *n_targets = counted;
    if (kl)
        *kl = w_kl > 0 ? sum_kl / w_kl : 0;
cleanup:
    batch_free(&bb);
    return e;
}
