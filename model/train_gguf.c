/*
 * train_gguf.c -- a trained model to GGUF through the engine's writer
 * (model/gguf_write.h), and back through its reader (model/gguf.h).
 *
 * The tensor list (tensors_list) is the one place that maps the trainer's
 * arenas to llama.cpp's names and shapes; save and load both walk it.
 */
#include "model/train_gguf.h"
#include "model/gguf.h"
#include "model/gguf_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wtensor {
    char name[64];
    const float *data;
    uint64_t ne[2];
    int n_dims;
} wtensor;

static int tensors_list(wtensor *t, const train_model *m)
{
    const train_config *c = &m->c;
    size_t C = (size_t)c->dim, F = (size_t)c->ffn_dim, CC = C * C, FC = F * C;
    int n = 0;
    t[n++] = (wtensor){"token_embd.weight", m->p[TP_WTE], {C, (uint64_t)c->vocab}, 2};
    for (int l = 0; l < c->n_layers; l++) {
        struct {
            const char *nm;
            const float *p;
            uint64_t a, b;
            int dims;
        } L[] = {
            {"attn_norm", m->p[TP_ATTN_NORM] + l * C, C, 1, 1},
            {"attn_q", m->p[TP_WQ] + l * CC, C, C, 2},
            {"attn_k", m->p[TP_WK] + l * CC, C, C, 2},
            {"attn_v", m->p[TP_WV] + l * CC, C, C, 2},
            {"attn_output", m->p[TP_WO] + l * CC, C, C, 2},
            {"ffn_norm", m->p[TP_FFN_NORM] + l * C, C, 1, 1},
            {"ffn_gate", m->p[TP_WGATE] + l * FC, C, F, 2},
            {"ffn_up", m->p[TP_WUP] + l * FC, C, F, 2},
            {"ffn_down", m->p[TP_WDOWN] + l * FC, F, C, 2},
        };
        for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
            snprintf(t[n].name, sizeof t[n].name, "blk.%d.%s.weight", l, L[i].nm);
            t[n].data = L[i].p;
            t[n].ne[0] = L[i].a;
            t[n].ne[1] = L[i].b;
            t[n].n_dims = L[i].dims;
            n++;
        }
    }
    t[n++] = (wtensor){"output_norm.weight", m->p[TP_OUT_NORM], {C, 1}, 1};
    if (!c->tied)
        t[n++] = (wtensor){"output.weight", m->p[TP_WOUT], {C, (uint64_t)c->vocab}, 2};
    return n;
}

as_err train_gguf_save(const char *path, const train_model *m, const bpe_vocab *v,
                       const char *name, int add_bos, const train_meta *meta, int n_meta)
{
    const train_config *c = &m->c;
    if (v->n_tokens != c->vocab)
        return as_fail(AS_ERR_USAGE, "'%s': vocabulary has %d tokens, model %d", path,
                       v->n_tokens, c->vocab);
    as_err e = AS_OK;
    gguf_writer *w = gguf_writer_new();
    wtensor *t = calloc((size_t)c->n_layers * 9 + 3, sizeof *t);
    char **toks = calloc((size_t)v->n_tokens, sizeof *toks);
    char **merges = calloc((size_t)v->n_merges + 1, sizeof *merges);
    int32_t *types = calloc((size_t)v->n_tokens, sizeof *types);
    if (!w || !t || !toks || !merges || !types) {
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
        goto cleanup;
    }
    for (int i = 0; i < v->n_tokens; i++) {
        toks[i] = bpe_token_string(v, i);
        types[i] = bpe_is_special(v, i) ? 3 : 1; /* control / normal (llama_token_type) */
    }
    for (int i = 0; i < v->n_merges; i++)
        merges[i] = bpe_merge_string(v, i);
    for (int i = 0; i < v->n_tokens; i++)
        if (!toks[i])
            e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
    for (int i = 0; i < v->n_merges; i++)
        if (!merges[i])
            e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
    if (e)
        goto cleanup;
    gguf_writer_add_str(w, "general.architecture", "llama");
    gguf_writer_add_str(w, "general.name", name);
    gguf_writer_add_u32(w, "llama.context_length", (uint32_t)c->ctx);
    gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)c->dim);
    gguf_writer_add_u32(w, "llama.block_count", (uint32_t)c->n_layers);
    gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)c->ffn_dim);
    gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)c->n_heads);
    gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)c->n_heads);
    gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)(c->dim / c->n_heads));
    gguf_writer_add_f32(w, "llama.rope.freq_base", c->rope_base);
    gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", c->norm_eps);
    gguf_writer_add_u32(w, "llama.vocab_size", (uint32_t)c->vocab);
    gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_add_str(w, "tokenizer.ggml.pre", "gpt-2");
    gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks,
                            (size_t)v->n_tokens);
    gguf_writer_add_arr_i32(w, "tokenizer.ggml.token_type", types, (size_t)v->n_tokens);
    gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", (const char *const *)merges,
                            (size_t)v->n_merges);
    gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)v->eot);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eot);
    gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", add_bos != 0);
    gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", 0);
    for (int i = 0; i < n_meta; i++) {
        if (meta[i].type == TRAIN_META_STR)
            gguf_writer_add_str(w, meta[i].key, meta[i].s);
        else if (meta[i].type == TRAIN_META_U32)
            gguf_writer_add_u32(w, meta[i].key, meta[i].u);
        else
            gguf_writer_add_f32(w, meta[i].key, meta[i].f);
    }
    int nt = tensors_list(t, m);
    for (int i = 0; i < nt; i++)
        gguf_writer_add_tensor(w, t[i].name, GGML_TYPE_F32, t[i].n_dims, t[i].ne, t[i].data);
    e = gguf_writer_write(w, path);
cleanup:
    if (toks)
        for (int i = 0; i < v->n_tokens; i++)
            free(toks[i]);
    if (merges)
        for (int i = 0; i < v->n_merges; i++)
            free(merges[i]);
    free(toks);
    free(merges);
    free(types);
    free(t);
    gguf_writer_free(w);
    return e;
}

static as_err need_u32(const gguf_file *g, const char *key, int *out)
{
    uint32_t u;
    as_err e = gguf_get_u32(g, key, &u);
    if (!e)
        *out = (int)u;
    return e;
}

static as_err tensor_copy(float *dst, const gguf_file *g, const char *name, uint64_t n)
{
    const gguf_tensor *t = gguf_tensor_find(g, name);
    if (!t)
        return as_fail(AS_ERR_FORMAT, "'%s': tensor '%s' missing", g->path, name);
    if (t->type != GGML_TYPE_F32 || t->n_elements != n)
        return as_fail(AS_ERR_UNSUPPORTED, "'%s': tensor '%s': expected F32 with %llu elements",
                       g->path, name, (unsigned long long)n);
    memcpy(dst, t->data, n * sizeof(float));
    return AS_OK;
}

as_err train_gguf_vocab(bpe_vocab **v, const gguf_file *g)
{
    gguf_str *toks = NULL, *merges = NULL;
    size_t nt = 0, nm = 0;
    const char **tp = NULL, **mp = NULL;
    size_t *tl = NULL, *ml = NULL;
    as_err e = gguf_arr_strings(&toks, &nt, g, "tokenizer.ggml.tokens");
    if (!e)
        e = gguf_arr_strings(&merges, &nm, g, "tokenizer.ggml.merges");
    if (!e) {
        tp = malloc((nt + 1) * sizeof *tp);
        tl = malloc((nt + 1) * sizeof *tl);
        mp = malloc((nm + 1) * sizeof *mp);
        ml = malloc((nm + 1) * sizeof *ml);
        if (!tp || !tl || !mp || !ml)
            e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", g->path);
    }
    if (!e) {
        for (size_t i = 0; i < nt; i++)
            tp[i] = toks[i].ptr, tl[i] = toks[i].len;
        for (size_t i = 0; i < nm; i++)
            mp[i] = merges[i].ptr, ml[i] = merges[i].len;
        e = bpe_vocab_from_strings(v, tp, tl, (int)nt, mp, ml, (int)nm, g->path);
    }
    free(toks);
    free(merges);
    free(tp);
    free(tl);
    free(mp);
    free(ml);
    return e;
}

as_err train_gguf_load(train_model **out, bpe_vocab **vout, const char *path)
{
    *out = NULL;
    *vout = NULL;
    gguf_file *g;
    as_err e = gguf_open(&g, path);
    if (e)
        return e;
    train_model *m = NULL;
    bpe_vocab *v = NULL;
    train_config c = {0};
    int kv = 0, rope = 0;
    gguf_str arch;
    if ((e = gguf_get_str(g, "general.architecture", &arch)))
        goto cleanup;
    if (!gguf_str_eq(arch, "llama")) {
        e = as_fail(AS_ERR_UNSUPPORTED, "'%s': field 'general.architecture': only llama", path);
        goto cleanup;
    }
    if ((e = need_u32(g, "llama.context_length", &c.ctx)) ||
        (e = need_u32(g, "llama.embedding_length", &c.dim)) ||
        (e = need_u32(g, "llama.block_count", &c.n_layers)) ||
        (e = need_u32(g, "llama.feed_forward_length", &c.ffn_dim)) ||
        (e = need_u32(g, "llama.attention.head_count", &c.n_heads)) ||
        (e = need_u32(g, "llama.attention.head_count_kv", &kv)) ||
        (e = gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &c.norm_eps)))
        goto cleanup;
    /* optional keys, with llama.cpp's defaults */
    rope = c.n_heads > 0 ? c.dim / c.n_heads : 0;
    c.rope_base = 10000.0f;
    if ((gguf_find(g, "llama.rope.dimension_count") &&
         (e = need_u32(g, "llama.rope.dimension_count", &rope))) ||
        (gguf_find(g, "llama.rope.freq_base") &&
         (e = gguf_get_f32(g, "llama.rope.freq_base", &c.rope_base))))
        goto cleanup;
    if (kv != c.n_heads || c.n_heads <= 0 || rope != c.dim / c.n_heads) {
        e = as_fail(AS_ERR_UNSUPPORTED, "'%s': field 'llama.attention.head_count_kv': the "
                    "trainer needs head_count_kv = head_count and full-width RoPE", path);
        goto cleanup;
    }
    if ((e = train_gguf_vocab(&v, g)))
        goto cleanup;
    c.vocab = v->n_tokens;
    c.tied = gguf_tensor_find(g, "output.weight") == NULL;
    if ((e = train_model_new(&m, &c, 0)))
        goto cleanup;
    wtensor *t = calloc((size_t)c.n_layers * 9 + 3, sizeof *t);
    if (!t) {
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
        goto cleanup;
    }
    int nt = tensors_list(t, m);
    for (int i = 0; i < nt && !e; i++)
        e = tensor_copy((float *)t[i].data, g, t[i].name, t[i].ne[0] * t[i].ne[1]);
    free(t);
cleanup:
    gguf_close(g);
    if (e) {
        train_model_free(m);
        bpe_vocab_free(v);
        return e;
    }
    *out = m;
    *vout = v;
    return AS_OK;
}
