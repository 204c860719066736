/*
 * train.c -- model layout, forward/backward as lists of layer calls,
 * AdamW, schedule, checkpoints and the KV-cached decoder (see train.h).
 *
 * Memory: train_model owns four parameter-shaped arenas (params, grads, m,
 * v) and one activation arena, re-sized when (B, T) grows.  The decoder
 * owns its caches and scratch and borrows the model.
 */
#include "model/train.h"
#include "model/train_layers.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void train_param_sizes(size_t sizes[TP_COUNT], const train_config *c)
{
    size_t V = (size_t)c->vocab, C = (size_t)c->dim, L = (size_t)c->n_layers,
           F = (size_t)c->ffn_dim;
    sizes[TP_WTE] = V * C;
    sizes[TP_ATTN_NORM] = L * C;
    sizes[TP_WQ] = L * C * C;
    sizes[TP_WK] = L * C * C;
    sizes[TP_WV] = L * C * C;
    sizes[TP_WO] = L * C * C;
    sizes[TP_FFN_NORM] = L * C;
    sizes[TP_WGATE] = L * F * C;
    sizes[TP_WUP] = L * F * C;
    sizes[TP_WDOWN] = L * C * F;
    sizes[TP_OUT_NORM] = C;
    sizes[TP_WOUT] = c->tied ? 0 : V * C;
}

static as_err config_check(const train_config *c)
{
    const char *bad = c->vocab < 2 || c->vocab > 1 << 20   ? "vocab"
                      : c->dim < 2 || c->dim > 8192         ? "dim"
                      : c->n_layers < 1 || c->n_layers > 64 ? "n_layers"
                      : c->n_heads < 1 || c->dim % c->n_heads || (c->dim / c->n_heads) % 2
                          ? "n_heads"
                      : c->ffn_dim < 1 || c->ffn_dim > 65536 ? "ffn_dim"
                      : c->ctx < 2 || c->ctx > 65536         ? "ctx"
                      : !(c->rope_base > 1.0f)               ? "rope_base"
                      : !(c->norm_eps > 0.0f)                ? "norm_eps"
                                                             : NULL;
    if (bad)
        return as_fail(AS_ERR_USAGE, "model config: field '%s' out of range (dim %d, heads %d)",
                       bad, c->dim, c->n_heads);
    return AS_OK;
}

/* splitmix64 + Box-Muller: the initial weights depend on the seed only. */
static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float randn(uint64_t *s)
{
    double u = ((sm64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double v = (sm64(s) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

as_err train_model_new(train_model **out, const train_config *c, uint64_t seed)
{
    *out = NULL;
    as_err e = config_check(c);
    if (e)
        return e;
    train_model *m = calloc(1, sizeof *m);
    if (!m)
        return as_fail(AS_ERR_NOMEM, "trainer: out of memory");
    m->c = *c;
    train_param_sizes(m->sizes, c);
    for (int i = 0; i < TP_COUNT; i++)
        m->n_params += m->sizes[i];
    m->params = calloc(m->n_params, sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    m->m = calloc(m->n_params, sizeof(float));
    m->v = calloc(m->n_params, sizeof(float));
    if (!m->params || !m->grads || !m->m || !m->v) {
        size_t n = m->n_params;
        train_model_free(m);
        return as_fail(AS_ERR_NOMEM, "trainer: out of memory for %zu parameters", n);
    }
    size_t off = 0;
    for (int i = 0; i < TP_COUNT; i++) {
        m->p[i] = m->params + off;
        m->g[i] = m->grads + off;
        off += m->sizes[i];
    }
    uint64_t s = seed;
    float proj = 0.02f / sqrtf(2.0f * c->n_layers);
    for (int i = 0; i < TP_COUNT; i++) {
        int norm = i == TP_ATTN_NORM || i == TP_FFN_NORM || i == TP_OUT_NORM;
        float sd = i == TP_WO || i == TP_WDOWN ? proj : 0.02f;
        for (size_t j = 0; j < m->sizes[i]; j++)
            m->p[i][j] = norm ? 1.0f : sd * randn(&s);
    }
    *out = m;
    return AS_OK;
}

void train_model_free(train_model *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->grads);
    free(m->m);
    free(m->v);
    free(m->a.arena);
    free(m);
}

static as_err acts_ensure(train_model *m, int B, int T, int soft)
{
    train_acts *a = &m->a;
    if (a->arena && a->B == B && a->T == T && a->soft == soft)
        return AS_OK;
    size_t N = (size_t)B * T, C = (size_t)m->c.dim, L = (size_t)m->c.n_layers,
           F = (size_t)m->c.ffn_dim, V = (size_t)m->c.vocab, NH = (size_t)m->c.n_heads;
    struct {
        float **p;
        size_t n;
    } table[] = {
        {&a->encoded, N * C}, {&a->ln1, L * N * C},  {&a->ln1_rstd, L * N},
        {&a->q, L * N * C},   {&a->k, L * N * C},    {&a->v, L * N * C},
        {&a->att, L * B * NH * T * T},               {&a->atty, L * N * C},
        {&a->res1, L * N * C}, {&a->ln2, L * N * C}, {&a->ln2_rstd, L * N},
        {&a->hg, L * N * F},  {&a->hu, L * N * F},   {&a->hh, L * N * F},
        {&a->res2, L * N * C}, {&a->lnf, N * C},     {&a->lnf_rstd, N},
        {&a->logits, N * V},  {&a->dres, N * C},     {&a->dln, N * C},
        {&a->dtmp, N * C},    {&a->dq, N * C},       {&a->dk, N * C},
        {&a->dv, N * C},      {&a->dhh, N * F},      {&a->dhg, N * F},
        {&a->dhu, N * F},     {&a->datt, (size_t)T},
        {&a->dsoft, soft ? N * V : 0}, {&a->kl_row, soft ? V : 0},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        total += table[i].n;
    /* T changes nearly every step (batches are trimmed to their longest
     * document): a fresh allocation each time cost a quarter of the step in
     * page faults, so the arena is only re-carved, and grown when needed.
     * Every activation is written before it is read, so reuse changes no
     * result. */
    if (total > a->arena_cap) {
        float *p = malloc(total * sizeof(float));
        if (!p)
            return as_fail(AS_ERR_NOMEM, "trainer: out of memory for activations (B %d, T %d)",
                           B, T);
        free(a->arena);
        a->arena = p;
        a->arena_cap = total;
    }
    float *arena = a->arena;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        *table[i].p = arena;
        arena += table[i].n;
    }
    a->B = B;
    a->T = T;
    a->soft = soft;
    return AS_OK;
}

as_err train_forward(train_model *m, const int32_t *tokens, const int32_t *targets,
                     const float *weights, int B, int T)
{
    return train_forward_soft(m, tokens, targets, weights, NULL, B, T);
}

as_err train_forward_soft(train_model *m, const int32_t *tokens, const int32_t *targets,
                          const float *weights, const train_soft *soft, int B, int T)
{
    const train_config *c = &m->c;
    if (soft && (!targets || soft->k < 1 || soft->k > c->vocab || !(soft->temp > 0) ||
                 !(soft->weight >= 0 && soft->weight <= 1)))
        return as_fail(AS_ERR_USAGE, "trainer: soft targets need targets, 1 <= k <= vocab, "
                       "temp > 0 and a weight in [0, 1]");
    if (soft)
        for (long i = 0; i < (long)B * T * soft->k; i++)
            if (soft->ids[i] < 0 || soft->ids[i] >= c->vocab)
                return as_fail(AS_ERR_RANGE, "trainer: soft target %ld out of the vocabulary", i);
    if (T > c->ctx || B < 1 || T < 1)
        return as_fail(AS_ERR_RANGE, "trainer: batch %dx%d exceeds context %d", B, T, c->ctx);
    for (long i = 0; i < (long)B * T; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab || (targets && (targets[i] < 0 ||
                                                                   targets[i] >= c->vocab)))
            return as_fail(AS_ERR_RANGE, "trainer: token %ld out of the vocabulary", i);
    as_err e = acts_ensure(m, B, T, soft != NULL);
    if (e)
        return e;
    train_acts *a = &m->a;
    int N = B * T, C = c->dim, F = c->ffn_dim, V = c->vocab, NH = c->n_heads;
    size_t NC = (size_t)N * C, NF = (size_t)N * F;
    m->tokens = tokens;
    m->targets = targets;
    m->weights = weights;

    embed_forward(a->encoded, tokens, m->p[TP_WTE], N, C);
    for (int l = 0; l < c->n_layers; l++) {
        const float *x = l == 0 ? a->encoded : a->res2 + (l - 1) * NC;
        float *ln1 = a->ln1 + l * NC, *q = a->q + l * NC, *k = a->k + l * NC, *v = a->v + l * NC;
        float *atty = a->atty + l * NC, *res1 = a->res1 + l * NC, *ln2 = a->ln2 + l * NC;
        float *hg = a->hg + l * NF, *hu = a->hu + l * NF, *hh = a->hh + l * NF;
        float *res2 = a->res2 + l * NC;
        size_t CC = (size_t)C * C, FC = (size_t)F * C;

        rmsnorm_forward(ln1, a->ln1_rstd + (size_t)l * N, x, m->p[TP_ATTN_NORM] + l * C, N, C,
                        c->norm_eps);
        matmul_forward(q, ln1, m->p[TP_WQ] + l * CC, N, C, C);
        matmul_forward(k, ln1, m->p[TP_WK] + l * CC, N, C, C);
        matmul_forward(v, ln1, m->p[TP_WV] + l * CC, N, C, C);
        rope_apply_train(q, N, T, NH, C / NH, c->rope_base, 0);
        rope_apply_train(k, N, T, NH, C / NH, c->rope_base, 0);
        attention_forward(atty, a->att + (size_t)l * B * NH * T * T, q, k, v, B, T, C, NH);
        matmul_forward(res1, atty, m->p[TP_WO] + l * CC, N, C, C);
        for (size_t i = 0; i < NC; i++)
            res1[i] += x[i];
        rmsnorm_forward(ln2, a->ln2_rstd + (size_t)l * N, res1, m->p[TP_FFN_NORM] + l * C, N, C,
                        c->norm_eps);
        matmul_forward(hg, ln2, m->p[TP_WGATE] + l * FC, N, C, F);
        matmul_forward(hu, ln2, m->p[TP_WUP] + l * FC, N, C, F);
        swiglu_forward(hh, hg, hu, (long)NF);
        matmul_forward(res2, hh, m->p[TP_WDOWN] + l * FC, N, F, C);
        for (size_t i = 0; i < NC; i++)
            res2[i] += res1[i];
    }
    rmsnorm_forward(a->lnf, a->lnf_rstd, a->res2 + (c->n_layers - 1) * NC, m->p[TP_OUT_NORM], N,
                    C, c->norm_eps);
    matmul_forward(a->logits, a->lnf, c->tied ? m->p[TP_WTE] : m->p[TP_WOUT], N, C, V);
    m->loss_kl = 0.0f;
    if (soft) { /* before the cross-entropy turns the logits into its gradient */
        memset(a->dsoft, 0, (size_t)N * V * sizeof(float));
        m->loss_kl = kl_topk_forward_backward(a->dsoft, a->kl_row, a->logits, soft->ids, soft->p,
                                              soft->row_w, N, V, soft->k, soft->temp, 1.0f);
    }
    m->loss_ce = targets ? crossentropy_forward_backward(a->logits, a->logits, targets, weights,
                                                         N, V)
                         : 0.0f;
    m->loss = m->loss_ce;
    if (soft) {
        float w = soft->weight, t2 = soft->temp * soft->temp;
        for (size_t i = 0; i < (size_t)N * V; i++)
            a->logits[i] = (1.0f - w) * a->logits[i] + w * a->dsoft[i];
        m->loss = (1.0f - w) * m->loss_ce + w * t2 * m->loss_kl;
    }
    return AS_OK;
}

void train_backward(train_model *m)
{
    const train_config *c = &m->c;
    train_acts *a = &m->a;
    int B = a->B, T = a->T, N = B * T, C = c->dim, F = c->ffn_dim, V = c->vocab,
        NH = c->n_heads;
    size_t NC = (size_t)N * C, NF = (size_t)N * F, CC = (size_t)C * C, FC = (size_t)F * C;

    memset(a->dres, 0, NC * sizeof(float));
    memset(a->dln, 0, NC * sizeof(float));
    matmul_backward(a->dln, c->tied ? m->g[TP_WTE] : m->g[TP_WOUT], a->logits, a->lnf,
                    c->tied ? m->p[TP_WTE] : m->p[TP_WOUT], N, C, V);
    rmsnorm_backward(a->dres, m->g[TP_OUT_NORM], a->dln, a->res2 + (c->n_layers - 1) * NC,
                     m->p[TP_OUT_NORM], a->lnf_rstd, N, C);
    for (int l = c->n_layers - 1; l >= 0; l--) {
        const float *x = l == 0 ? a->encoded : a->res2 + (l - 1) * NC;
        /* res2 = res1 + hh Wdown^T: dres flows on unchanged */
        memset(a->dhh, 0, NF * sizeof(float));
        matmul_backward(a->dhh, m->g[TP_WDOWN] + l * FC, a->dres, a->hh + l * NF,
                        m->p[TP_WDOWN] + l * FC, N, F, C);
        swiglu_backward(a->dhg, a->dhu, a->dhh, a->hg + l * NF, a->hu + l * NF, (long)NF);
        memset(a->dln, 0, NC * sizeof(float));
        matmul_backward(a->dln, m->g[TP_WGATE] + l * FC, a->dhg, a->ln2 + l * NC,
                        m->p[TP_WGATE] + l * FC, N, C, F);
        matmul_backward(a->dln, m->g[TP_WUP] + l * FC, a->dhu, a->ln2 + l * NC,
                        m->p[TP_WUP] + l * FC, N, C, F);
        rmsnorm_backward(a->dres, m->g[TP_FFN_NORM] + l * C, a->dln, a->res1 + l * NC,
                         m->p[TP_FFN_NORM] + l * C, a->ln2_rstd + (size_t)l * N, N, C);
        /* res1 = x + atty Wo^T */
        memset(a->dtmp, 0, NC * sizeof(float));
        matmul_backward(a->dtmp, m->g[TP_WO] + l * CC, a->dres, a->atty + l * NC,
                        m->p[TP_WO] + l * CC, N, C, C);
        memset(a->dq, 0, NC * sizeof(float));
        memset(a->dk, 0, NC * sizeof(float));
        memset(a->dv, 0, NC * sizeof(float));
        attention_backward(a->dq, a->dk, a->dv, a->datt, a->dtmp,
                           a->att + (size_t)l * B * NH * T * T, a->q + l * NC, a->k + l * NC,
                           a->v + l * NC, B, T, C, NH);
        rope_apply_train(a->dq, N, T, NH, C / NH, c->rope_base, 1);
        rope_apply_train(a->dk, N, T, NH, C / NH, c->rope_base, 1);
        memset(a->dln, 0, NC * sizeof(float));
        matmul_backward(a->dln, m->g[TP_WQ] + l * CC, a->dq, a->ln1 + l * NC,
                        m->p[TP_WQ] + l * CC, N, C, C);
        matmul_backward(a->dln, m->g[TP_WK] + l * CC, a->dk, a->ln1 + l * NC,
                        m->p[TP_WK] + l * CC, N, C, C);
        matmul_backward(a->dln, m->g[TP_WV] + l * CC, a->dv, a->ln1 + l * NC,
                        m->p[TP_WV] + l * CC, N, C, C);
        rmsnorm_backward(a->dres, m->g[TP_ATTN_NORM] + l * C, a->dln, x,
                         m->p[TP_ATTN_NORM] + l * C, a->ln1_rstd + (size_t)l * N, N, C);
    }
    embed_backward(m->g[TP_WTE], a->dres, m->tokens, N, C);
}

void train_zero_grad(train_model *m)
{
    memset(m->grads, 0, m->n_params * sizeof(float));
}

float train_clip_grad(train_model *m, float max_norm)
{
    double ss = 0;
    for (size_t i = 0; i < m->n_params; i++)
        ss += (double)m->grads[i] * m->grads[i];
    float norm = (float)sqrt(ss);
    if (norm > max_norm && norm > 0) {
        float s = max_norm / norm;
        for (size_t i = 0; i < m->n_params; i++)
            m->grads[i] *= s;
    }
    return norm;
}

void train_adamw(train_model *m, float lr, float beta1, float beta2, float eps, float wd,
                 int step)
{
    float c1 = 1.0f - powf(beta1, (float)(step + 1)), c2 = 1.0f - powf(beta2, (float)(step + 1));
    for (int t = 0; t < TP_COUNT; t++) {
        int decay = !(t == TP_ATTN_NORM || t == TP_FFN_NORM || t == TP_OUT_NORM);
        size_t off = (size_t)(m->p[t] - m->params);
        for (size_t j = 0; j < m->sizes[t]; j++) {
            size_t i = off + j;
            float g = m->grads[i];
            m->m[i] = beta1 * m->m[i] + (1.0f - beta1) * g;
            m->v[i] = beta2 * m->v[i] + (1.0f - beta2) * g * g;
            float mh = m->m[i] / c1, vh = m->v[i] / c2;
            m->params[i] -= lr * (mh / (sqrtf(vh) + eps) + (decay ? wd * m->params[i] : 0.0f));
        }
    }
}

float train_lr(int step, int warmup, int total, float lr_max, float lr_min)
{
    if (step < warmup)
        return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total)
        return lr_min;
    float r = (float)(step - warmup) / (float)(total - warmup > 0 ? total - warmup : 1);
    return lr_min + 0.5f * (lr_max - lr_min) * (1.0f + cosf(3.14159265358979f * r));
}

/* ---- checkpoints ---------------------------------------------------------- */

#define CKPT_MAGIC 0x4B435341u /* "ASCK" little-endian */
#define CKPT_VERSION 1u

as_err train_checkpoint_save(const train_model *m, int step, const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return as_fail(AS_ERR_IO, "'%s': path too long", path);
    as_err e = AS_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    uint32_t head[3] = {CKPT_MAGIC, CKPT_VERSION, (uint32_t)step};
    uint64_t n = m->n_params;
    int ok = fwrite(head, sizeof head, 1, f) == 1 && fwrite(&m->c, sizeof m->c, 1, f) == 1 &&
             fwrite(&n, sizeof n, 1, f) == 1 &&
             fwrite(m->params, sizeof(float), n, f) == n &&
             fwrite(m->m, sizeof(float), n, f) == n && fwrite(m->v, sizeof(float), n, f) == n;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok) {
        e = as_fail(AS_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (rename(tmp, path) != 0)
        e = as_fail(AS_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
cleanup:
    if (e)
        unlink(tmp);
    return e;
}

as_err train_checkpoint_load(train_model *m, int *step, const char *path)
{
    as_err e = AS_OK;
    FILE *f = fopen(path, "rb");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    uint32_t head[3];
    train_config c;
    uint64_t n;
    if (fread(head, sizeof head, 1, f) != 1 || head[0] != CKPT_MAGIC || head[1] != CKPT_VERSION) {
        e = as_fail(AS_ERR_FORMAT, "'%s': offset 0: field 'magic': not an aftershock checkpoint",
                    path);
        goto cleanup;
    }
    if (fread(&c, sizeof c, 1, f) != 1 || memcmp(&c, &m->c, sizeof c) != 0) {
        e = as_fail(AS_ERR_FORMAT, "'%s': field 'config': the checkpoint is of another model shape",
                    path);
        goto cleanup;
    }
    if (fread(&n, sizeof n, 1, f) != 1 || n != m->n_params ||
        fread(m->params, sizeof(float), n, f) != n || fread(m->m, sizeof(float), n, f) != n ||
        fread(m->v, sizeof(float), n, f) != n) {
        e = as_fail(AS_ERR_FORMAT, "'%s': field 'params': truncated checkpoint", path);
        goto cleanup;
    }
    *step = (int)head[2];
cleanup:
    fclose(f);
    return e;
}

/* ---- KV-cached decoder ---------------------------------------------------- */

as_err train_decoder_new(train_decoder **out, const train_model *m, int n_seq, int max_items)
{
    *out = NULL;
    const train_config *c = &m->c;
    train_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return as_fail(AS_ERR_NOMEM, "decoder: out of memory");
    d->m = m;
    d->n_seq = n_seq;
    d->max_items = max_items;
    size_t cache = (size_t)n_seq * c->n_layers * c->ctx * c->dim;
    size_t I = (size_t)max_items, C = (size_t)c->dim, F = (size_t)c->ffn_dim;
    d->kc = malloc(cache * sizeof(float));
    d->vc = malloc(cache * sizeof(float));
    size_t total = 7 * I * C + 2 * I * F + (size_t)c->ctx + I + I * c->vocab;
    d->arena = malloc(total * sizeof(float));
    if (!d->kc || !d->vc || !d->arena) {
        train_decoder_free(d);
        return as_fail(AS_ERR_NOMEM, "decoder: out of memory for %d sequences", n_seq);
    }
    float *p = d->arena;
    float **views[] = {&d->x, &d->xb, &d->q, &d->k, &d->v, &d->att_out, &d->tmp};
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        *views[i] = p;
        p += I * C;
    }
    d->hg = p;
    p += I * F;
    d->hu = p;
    p += I * F;
    d->scores = p;
    p += c->ctx;
    d->rstd = p;
    p += I;
    d->logits = p;
    *out = d;
    return AS_OK;
}

void train_decoder_free(train_decoder *d)
{
    if (!d)
        return;
    free(d->kc);
    free(d->vc);
    free(d->arena);
    free(d);
}

/* RoPE of one row at position pos (same angles as rope_apply_train). */
static void rope_row(float *x, int pos, int NH, int HD, float base)
{
    float step = powf(base, -2.0f / HD), theta = (float)pos;
    for (int j = 0; j < HD / 2; j++) {
        float co = cosf(theta), si = sinf(theta);
        for (int h = 0; h < NH; h++) {
            float *p = x + (size_t)h * HD + 2 * j;
            float a = p[0], b = p[1];
            p[0] = a * co - b * si;
            p[1] = a * si + b * co;
        }
        theta *= step;
    }
}

as_err train_decode(train_decoder *d, const int32_t *tokens, const int *pos, const int *seq,
                    int n)
{
    const train_model *m = d->m;
    const train_config *c = &m->c;
    if (n < 1 || n > d->max_items)
        return as_fail(AS_ERR_RANGE, "decoder: %d items (at most %d)", n, d->max_items);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab || pos[i] < 0 || pos[i] >= c->ctx ||
            seq[i] < 0 || seq[i] >= d->n_seq)
            return as_fail(AS_ERR_RANGE, "decoder: item %d (token %d, pos %d, seq %d) out of range",
                           i, tokens[i], pos[i], seq[i]);
    int C = c->dim, F = c->ffn_dim, NH = c->n_heads, HD = C / NH;
    size_t CC = (size_t)C * C, FC = (size_t)F * C, NC = (size_t)n * C;
    float *rstd = d->rstd;
    float scale = 1.0f / sqrtf((float)HD);
    embed_forward(d->x, tokens, m->p[TP_WTE], n, C);
    for (int l = 0; l < c->n_layers; l++) {
        rmsnorm_forward(d->xb, rstd, d->x, m->p[TP_ATTN_NORM] + l * C, n, C, c->norm_eps);
        matmul_forward(d->q, d->xb, m->p[TP_WQ] + l * CC, n, C, C);
        matmul_forward(d->k, d->xb, m->p[TP_WK] + l * CC, n, C, C);
        matmul_forward(d->v, d->xb, m->p[TP_WV] + l * CC, n, C, C);
        for (int i = 0; i < n; i++) {
            rope_row(d->q + (size_t)i * C, pos[i], NH, HD, c->rope_base);
            rope_row(d->k + (size_t)i * C, pos[i], NH, HD, c->rope_base);
            size_t at = (((size_t)seq[i] * c->n_layers + l) * c->ctx + pos[i]) * C;
            memcpy(d->kc + at, d->k + (size_t)i * C, (size_t)C * sizeof(float));
            memcpy(d->vc + at, d->v + (size_t)i * C, (size_t)C * sizeof(float));
        }
        for (int i = 0; i < n; i++) {
            const float *kbase = d->kc + ((size_t)seq[i] * c->n_layers + l) * c->ctx * C;
            const float *vbase = d->vc + ((size_t)seq[i] * c->n_layers + l) * c->ctx * C;
            for (int h = 0; h < NH; h++) {
                const float *qh = d->q + (size_t)i * C + h * HD;
                float mx = -INFINITY;
                for (int t = 0; t <= pos[i]; t++) {
                    const float *kt = kbase + (size_t)t * C + h * HD;
                    float s = 0;
                    for (int j = 0; j < HD; j++)
                        s += qh[j] * kt[j];
                    d->scores[t] = s * scale;
                    mx = d->scores[t] > mx ? d->scores[t] : mx;
                }
                double sum = 0;
                for (int t = 0; t <= pos[i]; t++) {
                    d->scores[t] = expf(d->scores[t] - mx);
                    sum += d->scores[t];
                }
                float *o = d->att_out + (size_t)i * C + h * HD;
                memset(o, 0, (size_t)HD * sizeof(float));
                for (int t = 0; t <= pos[i]; t++) {
                    float w = (float)(d->scores[t] / sum);
                    const float *vt = vbase + (size_t)t * C + h * HD;
                    for (int j = 0; j < HD; j++)
                        o[j] += w * vt[j];
                }
            }
        }
        matmul_forward(d->tmp, d->att_out, m->p[TP_WO] + l * CC, n, C, C);
        for (size_t i = 0; i < NC; i++)
            d->x[i] += d->tmp[i];
        rmsnorm_forward(d->xb, rstd, d->x, m->p[TP_FFN_NORM] + l * C, n, C, c->norm_eps);
        matmul_forward(d->hg, d->xb, m->p[TP_WGATE] + l * FC, n, C, F);
        matmul_forward(d->hu, d->xb, m->p[TP_WUP] + l * FC, n, C, F);
        swiglu_forward(d->hg, d->hg, d->hu, (long)n * F);
        matmul_forward(d->tmp, d->hg, m->p[TP_WDOWN] + l * FC, n, F, C);
        for (size_t i = 0; i < NC; i++)
            d->x[i] += d->tmp[i];
    }
    rmsnorm_forward(d->xb, rstd, d->x, m->p[TP_OUT_NORM], n, C, c->norm_eps);
    matmul_forward(d->logits, d->xb, c->tied ? m->p[TP_WTE] : m->p[TP_WOUT], n, C, c->vocab);
    return AS_OK;
}
