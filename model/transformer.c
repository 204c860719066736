/*
 * transformer.c -- load a Llama/Qwen2 GGUF and run its forward pass on the
 * CPU (see transformer.h).
 *
 * Matrices stay in the GGUF mapping in their file type; the small 1-D
 * tensors (norms, biases) are converted to floats in one arena.  The forward
 * pass is the llama2.c list: embed, then per layer attention block and
 * feed-forward block, then final norm and output projection, with every
 * step written for a batch of items.  RoPE follows ggml: the normal mode
 * rotates adjacent pairs (the llama converter permutes Q/K rows for it), the
 * NeoX mode used by qwen2 rotates (i, i + n/2).
 */
#include "model/transformer.h"
#include "model/backend_cuda.h"
#include "model/gemm_f32.h"
#include "model/quant.h"
#include "model/vecmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static as_err meta_u32(const gguf_file *g, const char *arch, const char *key, int required,
                       int dflt, int *out)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    uint32_t v;
    as_err e = gguf_get_u32(g, full, &v);
    if (e == AS_ERR_NOT_FOUND && !required) {
        *out = dflt;
        return AS_OK;
    }
    if (e)
        return e;
    if (v > (1u << 24))
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' = %u is out of range", g->path,
                       full, v);
    *out = (int)v;
    return AS_OK;
}

static as_err meta_f32(const gguf_file *g, const char *arch, const char *key, float dflt,
                       float *out)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    as_err e = gguf_get_f32(g, full, out);
    if (e == AS_ERR_NOT_FOUND) {
        *out = dflt;
        return AS_OK;
    }
    return e;
}

static as_err config_read(model_config *c, const gguf_file *g)
{
    gguf_str a;
    as_err e = gguf_get_str(g, "general.architecture", &a);
    if (e)
        return e;
    char arch[32];
    if (gguf_str_eq(a, "llama")) {
        c->arch = MODEL_ARCH_LLAMA;
    } else if (gguf_str_eq(a, "qwen2")) {
        c->arch = MODEL_ARCH_QWEN2;
    } else {
        return as_fail(AS_ERR_UNSUPPORTED, "'%s': architecture '%.*s' (llama and qwen2 are "
                       "supported)", g->path, (int)(a.len > 40 ? 40 : a.len), a.ptr);
    }
    snprintf(arch, sizeof arch, "%.*s", (int)a.len, a.ptr);
    if ((e = meta_u32(g, arch, "embedding_length", 1, 0, &c->dim)) ||
        (e = meta_u32(g, arch, "block_count", 1, 0, &c->n_layers)) ||
        (e = meta_u32(g, arch, "feed_forward_length", 1, 0, &c->ffn_dim)) ||
        (e = meta_u32(g, arch, "attention.head_count", 1, 0, &c->n_heads)) ||
        (e = meta_u32(g, arch, "attention.head_count_kv", 0, c->n_heads, &c->n_kv_heads)) ||
        (e = meta_u32(g, arch, "context_length", 0, 2048, &c->ctx_len)))
        return e;
    if (c->dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 ||
        c->ffn_dim <= 0 || c->n_heads % c->n_kv_heads || c->ctx_len <= 0 || c->n_layers > 4096)
        return as_fail(AS_ERR_FORMAT, "'%s': inconsistent hyper-parameters (dim %d, layers "
                       "%d, heads %d/%d, ffn %d, ctx %d)", g->path, c->dim, c->n_layers,
                       c->n_heads, c->n_kv_heads, c->ffn_dim, c->ctx_len);
    if ((e = meta_u32(g, arch, "attention.key_length", 0, c->dim / c->n_heads, &c->head_dim)) ||
        (e = meta_u32(g, arch, "rope.dimension_count", 0, c->head_dim, &c->rope_dim)) ||
        (e = meta_f32(g, arch, "rope.freq_base", 10000.0f, &c->rope_theta)) ||
        (e = meta_f32(g, arch, "attention.layer_norm_rms_epsilon", 1e-5f, &c->norm_eps)))
        return e;
    if (c->head_dim <= 0 || c->head_dim > 512 || c->rope_dim > c->head_dim || c->rope_dim % 2 || c->head_dim % 2)
        return as_fail(AS_ERR_FORMAT, "'%s': head_dim %d / rope dims %d are inconsistent",
                       g->path, c->head_dim, c->rope_dim);
    c->rope_neox = c->arch == MODEL_ARCH_QWEN2;
    int32_t id;
    c->bos_id = gguf_get_i32(g, "tokenizer.ggml.bos_token_id", &id) == AS_OK ? id : -1;
    c->eos_id = gguf_get_i32(g, "tokenizer.ggml.eos_token_id", &id) == AS_OK ? id : -1;
    as_clear_error();
    return AS_OK;
}

/* Find name and check its shape is (ne0, ne1) (ne1 = 1 for vectors). */
static as_err tensor_get(const gguf_tensor **out, const gguf_file *g, const char *name,
                         int ne0, int ne1, int required)
{
    const gguf_tensor *t = gguf_tensor_find(g, name);
    *out = t;
    if (!t)
        return required ? as_fail(AS_ERR_FORMAT, "'%s': tensor '%s' is missing", g->path, name)
                        : AS_OK;
    if (t->ne[0] != (uint64_t)ne0 || t->ne[1] != (uint64_t)ne1 || t->ne[2] != 1 || t->ne[3] != 1)
        return as_fail(AS_ERR_FORMAT, "'%s': tensor '%s' has shape [%llu, %llu, %llu, %llu], "
                       "expected [%d, %d]", g->path, name, (unsigned long long)t->ne[0],
                       (unsigned long long)t->ne[1], (unsigned long long)t->ne[2],
                       (unsigned long long)t->ne[3], ne0, ne1);
    if (!quant_supported(t->type))
        return as_fail(AS_ERR_UNSUPPORTED, "'%s': tensor '%s' has type %s (supported: F32, "
                       "F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K)", g->path, name,
                       ggml_type_name(t->type));
    return AS_OK;
}

static as_err mat_get(qmat *q, const gguf_file *g, const char *name, int cols, int rows)
{
    const gguf_tensor *t;
    as_err e = tensor_get(&t, g, name, cols, rows, 1);
    if (e)
        return e;
    q->type = t->type;
    q->rows = rows;
    q->cols = cols;
    q->row_bytes = ggml_row_size(t->type, (uint64_t)cols);
    q->data = t->data;
    /* F32 rows are read as floats and F16 as halves by the kernels */
    if ((uintptr_t)t->data % 4)
        return as_fail(AS_ERR_FORMAT, "'%s': tensor '%s' data is not 4-byte aligned", g->path,
                       name);
    return AS_OK;
}

/* Vector tensor into the float arena at *cursor (n floats). */
static as_err vec_get(float **out, float **cursor, const gguf_file *g, const char *name, int n,
                      int required)
{
    const gguf_tensor *t;
    *out = NULL;
    as_err e = tensor_get(&t, g, name, n, 1, required);
    if (e || !t)
        return e;
    quant_dequant_row(*cursor, t->data, t->type, n);
    *out = *cursor;
    *cursor += n;
    return AS_OK;
}

static as_err weights_read(model *m)
{
    const gguf_file *g = m->file;
    model_config *c = &m->c;
    int q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    const gguf_tensor *emb = gguf_tensor_find(g, "token_embd.weight");
    if (!emb || emb->ne[0] != (uint64_t)c->dim || emb->ne[1] > (1u << 24))
        return as_fail(AS_ERR_FORMAT, "'%s': tensor 'token_embd.weight' is missing or not "
                       "[%d, vocab]", g->path, c->dim);
    c->vocab_size = (int)emb->ne[1];
    as_err e = mat_get(&m->w.token_embd, g, "token_embd.weight", c->dim, c->vocab_size);
    if (e)
        return e;
    c->has_qkv_bias = gguf_tensor_find(g, "blk.0.attn_q.bias") != NULL;
    c->tied_output = gguf_tensor_find(g, "output.weight") == NULL;
    if (c->tied_output)
        m->w.output = m->w.token_embd;
    else if ((e = mat_get(&m->w.output, g, "output.weight", c->dim, c->vocab_size)))
        return e;

    /* size table of the float arena: per layer 2 norms + 3 biases, + final norm */
    size_t per_layer = 2 * (size_t)c->dim + (c->has_qkv_bias ? (size_t)q_dim + 2 * (size_t)kv_dim : 0);
    size_t n_params = per_layer * (size_t)c->n_layers + (size_t)c->dim;
    m->params = malloc(n_params * sizeof(float));
    m->w.layers = calloc((size_t)c->n_layers, sizeof *m->w.layers);
    if (!m->params || !m->w.layers)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory for the weights", g->path);
    float *cur = m->params;
    if ((e = vec_get(&m->w.output_norm, &cur, g, "output_norm.weight", c->dim, 1)))
        return e;
    for (int l = 0; l < c->n_layers && !e; l++) {
        layer_weights *L = &m->w.layers[l];
        char n[9][64];
        static const char *suffix[9] = {"attn_norm.weight", "attn_q.weight", "attn_k.weight",
                                        "attn_v.weight", "attn_output.weight", "ffn_norm.weight",
                                        "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"};
        for (int i = 0; i < 9; i++)
            snprintf(n[i], sizeof n[i], "blk.%d.%s", l, suffix[i]);
        if ((e = vec_get(&L->attn_norm, &cur, g, n[0], c->dim, 1)) ||
            (e = mat_get(&L->wq, g, n[1], c->dim, q_dim)) ||
            (e = mat_get(&L->wk, g, n[2], c->dim, kv_dim)) ||
            (e = mat_get(&L->wv, g, n[3], c->dim, kv_dim)) ||
            (e = mat_get(&L->wo, g, n[4], q_dim, c->dim)) ||
            (e = vec_get(&L->ffn_norm, &cur, g, n[5], c->dim, 1)) ||
            (e = mat_get(&L->w_gate, g, n[6], c->dim, c->ffn_dim)) ||
            (e = mat_get(&L->w_up, g, n[7], c->dim, c->ffn_dim)) ||
            (e = mat_get(&L->w_down, g, n[8], c->ffn_dim, c->dim)))
            break;
        if (c->has_qkv_bias) {
            snprintf(n[0], sizeof n[0], "blk.%d.attn_q.bias", l);
            snprintf(n[1], sizeof n[1], "blk.%d.attn_k.bias", l);
            snprintf(n[2], sizeof n[2], "blk.%d.attn_v.bias", l);
            if ((e = vec_get(&L->bq, &cur, g, n[0], q_dim, 1)) ||
                (e = vec_get(&L->bk, &cur, g, n[1], kv_dim, 1)) ||
                (e = vec_get(&L->bv, &cur, g, n[2], kv_dim, 1)))
                break;
        }
    }
    return e;
}

/* The k-major copies of the F32 matrices small enough for gemm_f32.h, in
 * one arena (m->packed), where this CPU runs that kernel and the copies
 * fit in GEMM_F32_MAX_TOTAL.  Two passes over the matrices: sizes with
 * arena NULL, then the copies.  Without the memory the model runs on row
 * dots and sgemm as before. */
static size_t weights_pack_pass(model *m, float *arena)
{
    size_t total = 0;
    for (int l = 0; l <= m->c.n_layers; l++) {
        layer_weights *L = l < m->c.n_layers ? &m->w.layers[l] : NULL;
        qmat *mats[7] = {&m->w.output};
        int n = 1;
        if (L) {
            qmat *per[7] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
            memcpy(mats, per, sizeof per);
            n = 7;
        }
        for (int i = 0; i < n; i++) {
            qmat *q = mats[i];
            if (q->type != GGML_TYPE_F32 || (long)q->rows * q->cols > GEMM_F32_MAX_ELEMS)
                continue;
            if (arena) {
                gemm_f32_pack(arena + total, q->data, q->rows, q->cols);
                q->packed = arena + total;
                q->packed_ld = gemm_f32_ld(q->rows);
            }
            total += gemm_f32_packed_floats(q->rows, q->cols);
        }
    }
    return total;
}

static void weights_pack(model *m)
{
    size_t total = gemm_f32_usable() ? weights_pack_pass(m, NULL) : 0;
    if (total == 0 || total > GEMM_F32_MAX_TOTAL)
        return;
    m->packed = aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64);
    if (m->packed)
        weights_pack_pass(m, m->packed);
}

as_err model_open(model **out, const char *path)
{
    *out = NULL;
    model *m = calloc(1, sizeof *m);
    if (!m)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    as_err e = gguf_open(&m->file, path);
    if (!e)
        e = config_read(&m->c, m->file);
    if (!e)
        e = weights_read(m);
    if (!e) {
        if (gguf_get_strdup(m->file, "tokenizer.chat_template", &m->chat_template) != AS_OK)
            m->chat_template = NULL;
        if (gguf_get_strdup(m->file, "general.name", &m->name) != AS_OK) {
            const char *slash = strrchr(path, '/');
            m->name = strdup(slash ? slash + 1 : path);
        }
        as_clear_error();
        if (!m->name)
            e = as_fail(AS_ERR_NOMEM, "out of memory");
    }
    if (e) {
        model_close(m);
        return e;
    }
    weights_pack(m);
    matmul_init();
    *out = m;
    return AS_OK;
}

void model_close(model *m)
{
    if (!m)
        return;
    gguf_close(m->file);
    free(m->params);
    free(m->packed);
    free(m->w.layers);
    free(m->chat_template);
    free(m->name);
    free(m);
}

static uint64_t qmat_bytes(const qmat *q)
{
    return (uint64_t)q->rows * q->row_bytes;
}

uint64_t model_weight_bytes(const model *m)
{
    uint64_t b = qmat_bytes(&m->w.output);
    for (int l = 0; l < m->c.n_layers; l++) {
        const layer_weights *L = &m->w.layers[l];
        b += qmat_bytes(&L->wq) + qmat_bytes(&L->wk) + qmat_bytes(&L->wv) + qmat_bytes(&L->wo) +
             qmat_bytes(&L->w_gate) + qmat_bytes(&L->w_up) + qmat_bytes(&L->w_down);
    }
    return b;
}

uint64_t model_param_count(const model *m)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < m->file->n_tensors; i++)
        n += m->file->tensors[i].n_elements;
    return n;
}

/* ---- state ---------------------------------------------------------------- */

as_err model_state_new(model_state **out, const model *m, int n_seq, int n_ctx,
                       int max_batch, int n_threads, int use_ref)
{
    *out = NULL;
    const model_config *c = &m->c;
    if (n_seq < 1 || n_ctx < 1 || n_ctx > c->ctx_len || max_batch < 1 || max_batch > 65536)
        return as_fail(AS_ERR_RANGE, "state of %d sequences x %d positions, batch %d: out of "
                       "range (context length is %d)", n_seq, n_ctx, max_batch, c->ctx_len);
    model_state *s = calloc(1, sizeof *s);
    if (!s)
        return as_fail(AS_ERR_NOMEM, "out of memory for the model state");
    s->m = m;
    s->n_seq = n_seq;
    s->n_ctx = n_ctx;
    s->max_batch = max_batch;
    as_err e = pool_new(&s->pool, n_threads);
    if (e) {
        free(s);
        return e;
    }
    size_t B = (size_t)max_batch, q_dim = (size_t)c->n_heads * c->head_dim;
    size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    size_t xb_dim = q_dim > (size_t)c->dim ? q_dim : (size_t)c->dim;
    int max_cols = c->dim > c->ffn_dim ? c->dim : c->ffn_dim;
    max_cols = max_cols > (int)q_dim ? max_cols : (int)q_dim;
    /* size table: where each activation lives in the arena, in floats */
    struct { float **p; size_t n; } table[] = {
        {&s->x, B * c->dim},         {&s->xb, B * xb_dim},       {&s->xb2, B * c->dim},
        {&s->q, B * q_dim},          {&s->k, B * kv_dim},        {&s->v, B * kv_dim},
        {&s->hb, B * c->ffn_dim},    {&s->hb2, B * c->ffn_dim},
        {&s->att, (size_t)n_threads * n_ctx},                    {&s->rope, B * c->rope_dim},
        {&s->logits, B * c->vocab_size},
        {&s->mm.tiles, matmul_tile_floats(n_threads, max_cols)},
        {(float **)&s->mm.act, matmul_act_bytes(max_batch, max_cols) / sizeof(float) + 1},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        total += (table[i].n + 15) & ~(size_t)15; /* 64-byte aligned slices */
    size_t cache = (size_t)n_seq * c->n_layers * n_ctx * kv_dim;
    s->arena = aligned_alloc(64, total * sizeof(float));
    s->key_cache = calloc(cache, sizeof(uint16_t));
    s->value_cache = calloc(cache, sizeof(uint16_t));
    if (!s->arena || !s->key_cache || !s->value_cache) {
        model_state_free(s);
        return as_fail(AS_ERR_NOMEM, "out of memory for the model state (%zu MiB of KV cache)",
                       2 * cache * sizeof(uint16_t) >> 20);
    }
    float *p = s->arena;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        *table[i].p = p;
        p += (table[i].n + 15) & ~(size_t)15;
    }
    s->mm.pool = s->pool;
    s->mm.use_ref = use_ref;
    s->mm.max_cols = max_cols;
    *out = s;
    return AS_OK;
}

void model_state_free(model_state *s)
{
    if (!s)
        return;
    cuda_state_free(s->cuda);
    pool_free(s->pool);
    free(s->arena);
    free(s->key_cache);
    free(s->value_cache);
    free(s);
}

/* ---- layers ----------------------------------------------------------------- */

/* out (n) = x / rms(x) * w; the mean of squares accumulates in double as in
 * ggml_compute_forward_rms_norm. */
static void rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

static void embed(model_state *s, const model_batch *b)
{
    const qmat *e = &s->m->w.token_embd;
    for (int i = 0; i < b->n; i++)
        quant_dequant_row(s->x + (size_t)i * e->cols,
                          (const char *)e->data + (size_t)b->tokens[i] * e->row_bytes, e->type,
                          e->cols);
}

/* cos/sin of each rotated pair for each item; theta as ggml computes it, a
 * running product of base^(-2/n) in float. */
static void rope_tables(model_state *s, const model_batch *b)
{
    const model_config *c = &s->m->c;
    float step = powf(c->rope_theta, -2.0f / c->rope_dim);
    for (int i = 0; i < b->n; i++) {
        float *t = s->rope + (size_t)i * c->rope_dim, theta = (float)b->pos[i];
        for (int j = 0; j < c->rope_dim / 2; j++) {
            t[2 * j] = cosf(theta);
            t[2 * j + 1] = sinf(theta);
            theta *= step;
        }
    }
}

static void rope_apply(float *v, int n_heads, const float *t, const model_config *c)
{
    int half = c->rope_dim / 2;
    for (int h = 0; h < n_heads; h++) {
        float *x = v + (size_t)h * c->head_dim;
        for (int j = 0; j < half; j++) {
            int i0 = c->rope_neox ? j : 2 * j, i1 = c->rope_neox ? j + half : 2 * j + 1;
            float a = x[i0], bb = x[i1], co = t[2 * j], si = t[2 * j + 1];
            x[i0] = a * co - bb * si;
            x[i1] = a * si + bb * co;
        }
    }
}

static void add_bias(float *x, const float *bias, int B, int n)
{
    for (int i = 0; i < B; i++)
        for (int j = 0; j < n; j++)
            x[(size_t)i * n + j] += bias[j];
}

typedef struct attn_job {
    model_state *s;
    const model_batch *b;
    int layer;
} attn_job;

/* One unit = one (item, head): softmax(q . K^T / sqrt(d)) . V over the
 * item's sequence up to its position.  As in ggml with a half cache, q and
 * the probabilities are rounded to half before their products; the products
 * go through the F16 dot and axpy kernels of quant.h (plain loops when the
 * state asked for the reference path). */
static void attention_units(void *arg, long lo, long hi, int thread)
{
    attn_job *j = arg;
    model_state *s = j->s;
    const model_config *c = &s->m->c;
    int hd = c->head_dim, kv_dim = c->n_kv_heads * hd, group = c->n_heads / c->n_kv_heads;
    float *att = s->att + (size_t)thread * s->n_ctx;
    float scale = 1.0f / sqrtf((float)hd), qh[512];
    quant_scores_fn scores = quant_scores_f16(!s->mm.use_ref);
    quant_values_fn values = quant_values_f16(!s->mm.use_ref);
    quant_scale_round_fn round_f16 = quant_scale_round_f16(!s->mm.use_ref);
    vec_softmax_exp_fn softmax_exp = vec_softmax_exp(!s->mm.use_ref);
    for (long u = lo; u < hi; u++) {
        int i = (int)(u / c->n_heads), h = (int)(u % c->n_heads);
        int pos = j->b->pos[i];
        size_t base = ((size_t)j->b->seq[i] * c->n_layers + j->layer) * s->n_ctx * kv_dim +
                      (size_t)(h / group) * hd;
        const float *q = s->q + (size_t)i * c->n_heads * hd + (size_t)h * hd;
        memcpy(qh, q, (size_t)hd * sizeof(float));
        round_f16(qh, 1.0f, hd);
        scores(att, s->key_cache + base, (size_t)kv_dim, qh, hd, pos + 1, scale);
        double sum = softmax_exp(att, pos + 1);
        round_f16(att, (float)(1.0 / sum), pos + 1);
        float *out = s->xb + (size_t)i * c->n_heads * hd + (size_t)h * hd;
        memset(out, 0, (size_t)hd * sizeof(float));
        values(out, att, s->value_cache + base, (size_t)kv_dim, hd, pos + 1);
    }
}

static void attention_block(model_state *s, const model_batch *b, int l)
{
    const model_config *c = &s->m->c;
    const layer_weights *L = &s->m->w.layers[l];
    int n = b->n, dim = c->dim, q_dim = c->n_heads * c->head_dim;
    int kv_dim = c->n_kv_heads * c->head_dim;
    for (int i = 0; i < n; i++)
        rmsnorm(s->xb + (size_t)i * dim, s->x + (size_t)i * dim, L->attn_norm, dim, c->norm_eps);
    float *qkv_out[3] = {s->q, s->k, s->v};
    const qmat *qkv[3] = {&L->wq, &L->wk, &L->wv};
    matmul_n(qkv_out, s->xb, qkv, 3, n, &s->mm);
    if (L->bq) {
        add_bias(s->q, L->bq, n, q_dim);
        add_bias(s->k, L->bk, n, kv_dim);
        add_bias(s->v, L->bv, n, kv_dim);
    }
    for (int i = 0; i < n; i++) {
        const float *t = s->rope + (size_t)i * c->rope_dim;
        rope_apply(s->q + (size_t)i * q_dim, c->n_heads, t, c);
        rope_apply(s->k + (size_t)i * kv_dim, c->n_kv_heads, t, c);
        size_t at = (((size_t)b->seq[i] * c->n_layers + l) * s->n_ctx + b->pos[i]) * kv_dim;
        for (int x = 0; x < kv_dim; x++) {
            s->key_cache[at + x] = f32_to_fp16(s->k[(size_t)i * kv_dim + x]);
            s->value_cache[at + x] = f32_to_fp16(s->v[(size_t)i * kv_dim + x]);
        }
    }
    attn_job j = {s, b, l};
    /* q . k and p . v over each item's positions */
    double work = 0;
    for (int i = 0; i < n; i++)
        work += 2.0 * (b->pos[i] + 1) * c->n_heads * c->head_dim;
    pool_run_work(s->pool, attention_units, &j, (long)n * c->n_heads, work);
    matmul(s->xb2, s->xb, &L->wo, n, &s->mm);
    for (size_t i = 0; i < (size_t)n * dim; i++)
        s->x[i] += s->xb2[i];
}

typedef struct swiglu_job {
    float *h;        /* (n, ffn_dim) gate in, silu(gate) * up out */
    const float *up; /* (n, ffn_dim) */
    int ffn_dim;
    vec_swiglu_fn fn;
} swiglu_job;

/* rows [lo, hi) of hb = silu(gate) * up */
static void swiglu_rows(void *arg, long lo, long hi, int thread)
{
    (void)thread;
    swiglu_job *j = arg;
    size_t at = (size_t)lo * j->ffn_dim;
    j->fn(j->h + at, j->up + at, (int64_t)(hi - lo) * j->ffn_dim);
}

static void ffn_block(model_state *s, int n, int l)
{
    const model_config *c = &s->m->c;
    const layer_weights *L = &s->m->w.layers[l];
    int dim = c->dim;
    for (int i = 0; i < n; i++)
        rmsnorm(s->xb + (size_t)i * dim, s->x + (size_t)i * dim, L->ffn_norm, dim, c->norm_eps);
    float *gu_out[2] = {s->hb, s->hb2};
    const qmat *gu[2] = {&L->w_gate, &L->w_up};
    matmul_n(gu_out, s->xb, gu, 2, n, &s->mm);
    /* an expf costs about as much as 16 multiply-adds: prefill and batches
     * share it across the pool, a decode row stays on this thread */
    swiglu_job sj = {s->hb, s->hb2, c->ffn_dim, vec_swiglu(!s->mm.use_ref)};
    pool_run_work(s->pool, swiglu_rows, &sj, n, 16.0 * n * c->ffn_dim);
    matmul(s->xb2, s->hb, &L->w_down, n, &s->mm);
    for (size_t i = 0; i < (size_t)n * dim; i++)
        s->x[i] += s->xb2[i];
}

/* Final norm of the wanted items, gathered into xb, then the projection. */
static int output_logits(model_state *s, const model_batch *b)
{
    const model_config *c = &s->m->c;
    int n_out = 0;
    for (int i = 0; i < b->n; i++) {
        if (b->want ? !b->want[i] : i != b->n - 1)
            continue;
        rmsnorm(s->xb + (size_t)n_out * c->dim, s->x + (size_t)i * c->dim, s->m->w.output_norm,
                c->dim, c->norm_eps);
        n_out++;
    }
    matmul(s->logits, s->xb, &s->m->w.output, n_out, &s->mm);
    return n_out;
}

as_err model_forward(model_state *s, const model_batch *b, int *n_out)
{
    const model_config *c = &s->m->c;
    *n_out = 0;
    if (b->n < 1 || b->n > s->max_batch)
        return as_fail(AS_ERR_RANGE, "batch of %d items (1..%d allowed)", b->n, s->max_batch);
    for (int i = 0; i < b->n; i++) {
        if (b->tokens[i] < 0 || b->tokens[i] >= c->vocab_size)
            return as_fail(AS_ERR_RANGE, "token id %d at batch item %d is outside the "
                           "vocabulary [0, %d)", b->tokens[i], i, c->vocab_size);
        if (b->pos[i] < 0 || b->pos[i] >= s->n_ctx)
            return as_fail(AS_ERR_RANGE, "position %d at batch item %d is outside the "
                           "context [0, %d)", b->pos[i], i, s->n_ctx);
        if (b->seq[i] < 0 || b->seq[i] >= s->n_seq)
            return as_fail(AS_ERR_RANGE, "sequence %d at batch item %d is outside [0, %d)",
                           b->seq[i], i, s->n_seq);
    }
    if (s->cuda)
        return cuda_state_forward(s, b, n_out);
    embed(s, b);
    rope_tables(s, b);
    for (int l = 0; l < c->n_layers; l++) {
        attention_block(s, b, l);
        ffn_block(s, b->n, l);
    }
    *n_out = output_logits(s, b);
    return AS_OK;
}
