/*
 * train_lm.c -- train_lm_run(): corpus, split, tokenizer, windows, the
 * shared training loop, held-out loss, GGUF (see train_lm.h).
 *
 * Memory: the corpus texts, each document's ids and the window list are
 * owned here and freed before returning; windows point into the ids.
 * Deterministic as distill is (model/distill.c): the same corpus bytes and
 * options give the same file except the two timing keys.
 */
#include "model/train_lm.h"
#include "common/sha256.h"
#include "model/bpe_train.h"
#include "model/train_gguf.h"
#include "model/train_loop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void train_lm_opts_default(train_lm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->heldout_pct = 10;
    o->vocab = 1024;
    o->model = (train_config){.dim = 64, .n_layers = 2, .n_heads = 4, .ffn_dim = 172,
                              .ctx = 256, .tied = 1, .rope_base = 10000.0f, .norm_eps = 1e-5f};
    o->steps = 500;
    o->batch = 8;
    o->warmup = 25;
    o->lr = 3e-3f;
    o->lr_min = 3e-4f;
    o->weight_decay = 0.01f;
    o->clip = 1.0f;
    o->seed = 1;
    o->checkpoint_every = 100;
}

typedef struct lm_ids {
    int32_t *ids;
    int n, cap;
    int loss_from;
} lm_ids;

static as_err doc_encode(lm_ids *d, const train_text *t, const bpe_vocab *v)
{
    as_err e = bpe_ids_push(&d->ids, &d->n, &d->cap, v->eot);
    if (!e && t->prompt && !(e = bpe_encode(&d->ids, &d->n, &d->cap, v, t->prompt,
                                            strlen(t->prompt))))
        e = bpe_ids_push(&d->ids, &d->n, &d->cap, v->sep);
    d->loss_from = d->n;
    if (!e)
        e = bpe_encode(&d->ids, &d->n, &d->cap, v, t->text, strlen(t->text));
    if (!e)
        e = bpe_ids_push(&d->ids, &d->n, &d->cap, v->eot);
    if (!t->prompt)
        d->loss_from = 1; /* a text document: every token after BOS */
    return e;
}

typedef struct seqs {
    train_doc *s;
    int n, cap;
} seqs;

/* The training sequences of one document: whole, or (text) its windows. */
static as_err seqs_add(seqs *q, const lm_ids *d, int ctx, int whole_only, int *skipped)
{
    if (d->n - 1 > ctx && whole_only) {
        (*skipped)++;
        return AS_OK;
    }
    for (int s = 0; s < d->n - 1; s += ctx) {
        if (q->n == q->cap) {
            int c = q->cap ? q->cap * 2 : 256;
            train_doc *p = realloc(q->s, sizeof *p * (size_t)c);
            if (!p)
                return as_fail(AS_ERR_NOMEM, "train: out of memory");
            q->s = p;
            q->cap = c;
        }
        int len = d->n - s < ctx + 1 ? d->n - s : ctx + 1;
        q->s[q->n++] =
            (train_doc){.ids = d->ids + s, .n_ids = len, .loss_from = s ? 1 : d->loss_from};
    }
    return AS_OK;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

as_err train_lm_run(train_lm_report *r, const train_lm_opts *o)
{
    memset(r, 0, sizeof *r);
    r->heldout_loss = r->heldout_loss_before = NAN;
    train_corpus c = {0};
    bpe_vocab *v = NULL;
    train_model *m = NULL;
    lm_ids *ids = NULL;
    seqs q = {0};
    const char **texts = NULL;
    size_t *lens = NULL;
    int *which = NULL;
    as_err e = train_corpus_read(&c, o->corpus, o->format);
    if (e)
        return e;
    if ((e = sha256_file_hex(r->sha256, o->corpus)))
        goto cleanup;
    r->format = c.format;
    r->n_docs = c.n;
    int held = o->heldout_pct > 0 ? c.n * o->heldout_pct / 100 : 0;
    if (o->heldout_pct > 0 && held < 1)
        held = 1;
    if (c.n - held < 1) {
        e = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': %d document(s), too few to hold "
                    "%d%% out and train on the rest", o->corpus, c.docs[c.n - 1].line,
                    c.format == TRAIN_CORPUS_JSONL ? "prompt" : "text", c.n, o->heldout_pct);
        goto cleanup;
    }
    r->n_train_docs = c.n - held;
    r->n_heldout_docs = held;

    /* the tokenizer learns from the training documents only */
    texts = malloc(sizeof *texts * (size_t)r->n_train_docs * 2);
    lens = malloc(sizeof *lens * (size_t)r->n_train_docs * 2);
    ids = calloc((size_t)c.n, sizeof *ids);
    if (!texts || !lens || !ids) {
        e = as_fail(AS_ERR_NOMEM, "train: out of memory");
        goto cleanup;
    }
    int nt = 0;
    for (int i = 0; i < r->n_train_docs; i++) {
        if (c.docs[i].prompt) {
            texts[nt] = c.docs[i].prompt;
            lens[nt++] = strlen(c.docs[i].prompt);
        }
        texts[nt] = c.docs[i].text;
        lens[nt++] = strlen(c.docs[i].text);
    }
    if ((e = bpe_train(&v, texts, lens, nt, o->vocab)))
        goto cleanup;
    r->vocab = v->n_tokens;
    int whole = c.format == TRAIN_CORPUS_JSONL, first_held = 0;
    for (int i = 0; i < c.n && !e; i++) {
        if (i == r->n_train_docs)
            first_held = q.n;
        if (!(e = doc_encode(&ids[i], &c.docs[i], v)))
            e = seqs_add(&q, &ids[i], o->model.ctx, whole, &r->n_skipped);
    }
    if (e)
        goto cleanup;
    if (!held)
        first_held = q.n;
    r->n_train_seqs = first_held;
    r->n_heldout_seqs = q.n - first_held;
    if (!r->n_train_seqs) {
        e = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'prompt': every training document is "
                    "longer than the context of %d tokens", o->corpus, c.docs[0].line,
                    o->model.ctx);
        goto cleanup;
    }
    which = malloc(sizeof *which * (size_t)q.n);
    if (!which) {
        e = as_fail(AS_ERR_NOMEM, "train: out of memory");
        goto cleanup;
    }
    for (int i = 0; i < q.n; i++) {
        which[i] = i;
        if (i < first_held)
            r->train_tokens += q.s[i].n_ids;
    }
    train_config mc = o->model;
    mc.vocab = v->n_tokens;
    if ((e = train_model_new(&m, &mc, o->seed)))
        goto cleanup;
    train_loop_opts lo = {
        .steps = o->steps, .batch = o->batch, .warmup = o->warmup, .lr = o->lr,
        .lr_min = o->lr_min, .weight_decay = o->weight_decay, .clip = o->clip,
        .seed = o->seed, .pad = v->eot, .checkpoint = o->checkpoint,
        .checkpoint_every = o->checkpoint_every, .resume = o->resume,
        .progress = o->progress, .progress_ctx = o->progress_ctx,
    };
    long n_held = 0;
    if (r->n_heldout_seqs &&
        (e = train_loop_eval(&r->heldout_loss_before, NULL, &n_held, m, q.s, which + first_held,
                             r->n_heldout_seqs, &lo)))
        goto cleanup;
    train_loop_report lr;
    if ((e = train_loop_run(&lr, m, q.s, which, first_held, &lo)))
        goto cleanup;
    r->steps_done = lr.steps_done;
    r->tokens_seen = lr.tokens_seen;
    r->seconds = lr.seconds;
    r->tok_per_s = lr.tok_per_s;
    r->final_loss = lr.final_loss;
    if (r->n_heldout_seqs &&
        (e = train_loop_eval(&r->heldout_loss, NULL, &r->heldout_targets, m, q.s,
                             which + first_held, r->n_heldout_seqs, &lo)))
        goto cleanup;

    char shape[96];
    snprintf(shape, sizeof shape, "dim %d, layers %d, heads %d, ffn %d, ctx %d, vocab %d",
             mc.dim, mc.n_layers, mc.n_heads, mc.ffn_dim, mc.ctx, mc.vocab);
    train_meta meta[] = {
        {.key = "aftershock.corpus", .type = TRAIN_META_STR, .s = base_name(o->corpus)},
        {.key = "aftershock.corpus_sha256", .type = TRAIN_META_STR, .s = r->sha256},
        {.key = "aftershock.corpus_format", .type = TRAIN_META_STR,
         .s = train_corpus_format_name(c.format)},
        {.key = "aftershock.shape", .type = TRAIN_META_STR, .s = shape},
        {.key = "aftershock.corpus_docs", .type = TRAIN_META_U32, .u = (uint32_t)r->n_docs},
        {.key = "aftershock.train_docs", .type = TRAIN_META_U32, .u = (uint32_t)r->n_train_docs},
        {.key = "aftershock.heldout_docs", .type = TRAIN_META_U32,
         .u = (uint32_t)r->n_heldout_docs},
        {.key = "aftershock.heldout_pct", .type = TRAIN_META_U32, .u = (uint32_t)o->heldout_pct},
        {.key = "aftershock.skipped_docs", .type = TRAIN_META_U32, .u = (uint32_t)r->n_skipped},
        {.key = "aftershock.train_sequences", .type = TRAIN_META_U32,
         .u = (uint32_t)r->n_train_seqs},
        {.key = "aftershock.corpus_tokens", .type = TRAIN_META_U32, .u = (uint32_t)r->train_tokens},
        {.key = "aftershock.steps", .type = TRAIN_META_U32, .u = (uint32_t)r->steps_done},
        {.key = "aftershock.batch", .type = TRAIN_META_U32, .u = (uint32_t)o->batch},
        {.key = "aftershock.seed", .type = TRAIN_META_U32, .u = (uint32_t)o->seed},
        {.key = "aftershock.final_loss", .type = TRAIN_META_F32, .f = r->final_loss},
        {.key = "aftershock.train_tokens", .type = TRAIN_META_U32, .u = (uint32_t)r->tokens_seen},
        /* the only keys that differ between two runs */
        {.key = "aftershock.train_seconds", .type = TRAIN_META_F32, .f = (float)r->seconds},
        {.key = "aftershock.train_tokens_per_s", .type = TRAIN_META_F32,
         .f = (float)r->tok_per_s},
        /* last: the held-out keys, left out without a held-out split */
        {.key = "aftershock.heldout_tokens", .type = TRAIN_META_U32,
         .u = (uint32_t)r->heldout_targets},
        {.key = "aftershock.heldout_loss_initial", .type = TRAIN_META_F32,
         .f = (float)r->heldout_loss_before},
        {.key = "aftershock.heldout_loss", .type = TRAIN_META_F32, .f = (float)r->heldout_loss},
    };
    enum { N_META = sizeof meta / sizeof meta[0] };
    e = train_gguf_save(o->out, m, v, "aftershock-lm", 1, meta,
                        r->n_heldout_seqs ? N_META : N_META - 3);
cleanup:
    if (ids)
        for (int i = 0; i < c.n; i++)
            free(ids[i].ids);
    free(ids);
    free(q.s);
    free(texts);
    free(lens);
    free(which);
    train_model_free(m);
    bpe_vocab_free(v);
    train_corpus_free(&c);
    return e;
}
