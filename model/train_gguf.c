/*
 * train_gguf.c -- GGUF v3 writer for trained models and the matching loader.
 *
 * Writer layout (GGUF spec): magic "GGUF", version 3, tensor count, kv
 * count, the key/values, the tensor infos (name, dims with ne[0] the
 * contiguous one, type F32 = 0, offset in the data section), zero padding
 * to general.alignment = 32, then the tensors, each padded to 32 bytes.
 * Everything little-endian, as on every machine this runs on.
 */
#include "model/train_gguf.h"
#include "model/gguf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN 32

typedef struct wtensor {
    char name[64];
    const float *data;
    uint64_t ne[2];
    int n_dims;
} wtensor;

typedef struct writer {
    FILE *f;
    int ok;
} writer;

static void w_bytes(writer *w, const void *p, size_t n)
{
    if (w->ok && n && fwrite(p, 1, n, w->f) != n)
        w->ok = 0;
}
static void w_u32(writer *w, uint32_t v) { w_bytes(w, &v, 4); }
static void w_u64(writer *w, uint64_t v) { w_bytes(w, &v, 8); }
static void w_str(writer *w, const char *s, size_t n)
{
    w_u64(w, n);
    w_bytes(w, s, n);
}
static void w_key(writer *w, const char *key, uint32_t type)
{
    w_str(w, key, strlen(key));
    w_u32(w, type);
}
static void kv_u32(writer *w, const char *key, uint32_t v)
{
    w_key(w, key, GGUF_TYPE_UINT32);
    w_u32(w, v);
}
static void kv_f32(writer *w, const char *key, float v)
{
    w_key(w, key, GGUF_TYPE_FLOAT32);
    w_bytes(w, &v, 4);
}
static void kv_str(writer *w, const char *key, const char *s)
{
    w_key(w, key, GGUF_TYPE_STRING);
    w_str(w, s, strlen(s));
}
static void kv_bool(writer *w, const char *key, int v)
{
    uint8_t b = (uint8_t)!!v;
    w_key(w, key, GGUF_TYPE_BOOL);
    w_bytes(w, &b, 1);
}
static void w_pad(writer *w, long at)
{
    static const char zero[ALIGN] = {0};
    w_bytes(w, zero, (size_t)((ALIGN - at % ALIGN) % ALIGN));
}

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
                       const char *name, const train_meta *meta, int n_meta)
{
    const train_config *c = &m->c;
    if (v->n_tokens != c->vocab)
        return as_fail(AS_ERR_USAGE, "'%s': vocabulary has %d tokens, model %d", path,
                       v->n_tokens, c->vocab);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return as_fail(AS_ERR_IO, "'%s': path too long", path);
    wtensor *t = calloc((size_t)c->n_layers * 9 + 3, sizeof *t);
    if (!t)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
    int nt = tensors_list(t, m);
    as_err e = AS_OK;
    writer w = {fopen(tmp, "wb"), 1};
    if (!w.f) {
        free(t);
        return as_fail(AS_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    }
    w_bytes(&w, "GGUF", 4);
    w_u32(&w, 3);
    w_u64(&w, (uint64_t)nt);
    w_u64(&w, (uint64_t)(22 + n_meta));
    kv_str(&w, "general.architecture", "llama");
    kv_str(&w, "general.name", name);
    kv_u32(&w, "general.alignment", ALIGN);
    kv_u32(&w, "llama.context_length", (uint32_t)c->ctx);
    kv_u32(&w, "llama.embedding_length", (uint32_t)c->dim);
    kv_u32(&w, "llama.block_count", (uint32_t)c->n_layers);
    kv_u32(&w, "llama.feed_forward_length", (uint32_t)c->ffn_dim);
    kv_u32(&w, "llama.attention.head_count", (uint32_t)c->n_heads);
    kv_u32(&w, "llama.attention.head_count_kv", (uint32_t)c->n_heads);
    kv_u32(&w, "llama.rope.dimension_count", (uint32_t)(c->dim / c->n_heads));
    kv_f32(&w, "llama.rope.freq_base", c->rope_base);
    kv_f32(&w, "llama.attention.layer_norm_rms_epsilon", c->norm_eps);
    kv_u32(&w, "llama.vocab_size", (uint32_t)c->vocab);
    kv_str(&w, "tokenizer.ggml.model", "gpt2");
    kv_str(&w, "tokenizer.ggml.pre", "gpt-2");
    w_key(&w, "tokenizer.ggml.tokens", GGUF_TYPE_ARRAY);
    w_u32(&w, GGUF_TYPE_STRING);
    w_u64(&w, (uint64_t)v->n_tokens);
    for (int i = 0; i < v->n_tokens && !e; i++) {
        char *s = bpe_token_string(v, i);
        if (!s)
            e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
        else
            w_str(&w, s, strlen(s));
        free(s);
    }
    w_key(&w, "tokenizer.ggml.token_type", GGUF_TYPE_ARRAY);
    w_u32(&w, GGUF_TYPE_INT32);
    w_u64(&w, (uint64_t)v->n_tokens);
    for (int i = 0; i < v->n_tokens; i++) /* 1 normal, 3 control (llama_token_type) */
        w_u32(&w, i == v->eot || i == v->sep ? 3u : 1u);
    w_key(&w, "tokenizer.ggml.merges", GGUF_TYPE_ARRAY);
    w_u32(&w, GGUF_TYPE_STRING);
    w_u64(&w, (uint64_t)v->n_merges);
    for (int i = 0; i < v->n_merges && !e; i++) {
        char *s = bpe_merge_string(v, i);
        if (!s)
            e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
        else
            w_str(&w, s, strlen(s));
        free(s);
    }
    kv_u32(&w, "tokenizer.ggml.bos_token_id", (uint32_t)v->eot);
    kv_u32(&w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eot);
    kv_bool(&w, "tokenizer.ggml.add_bos_token", 0);
    kv_bool(&w, "tokenizer.ggml.add_eos_token", 0);
    for (int i = 0; i < n_meta; i++) {
        if (meta[i].type == TRAIN_META_STR)
            kv_str(&w, meta[i].key, meta[i].s);
        else if (meta[i].type == TRAIN_META_U32)
            kv_u32(&w, meta[i].key, meta[i].u);
        else
            kv_f32(&w, meta[i].key, meta[i].f);
    }
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) {
        w_str(&w, t[i].name, strlen(t[i].name));
        w_u32(&w, (uint32_t)t[i].n_dims);
        for (int d = 0; d < t[i].n_dims; d++)
            w_u64(&w, t[i].ne[d]);
        w_u32(&w, GGML_TYPE_F32);
        w_u64(&w, off);
        uint64_t bytes = t[i].ne[0] * t[i].ne[1] * 4;
        off += (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }
    w_pad(&w, ftell(w.f));
    for (int i = 0; i < nt; i++) {
        size_t bytes = (size_t)(t[i].ne[0] * t[i].ne[1] * 4);
        w_bytes(&w, t[i].data, bytes);
        w_pad(&w, (long)bytes);
    }
    if (fclose(w.f) != 0)
        w.ok = 0;
    if (!e && !w.ok)
        e = as_fail(AS_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    if (!e && rename(tmp, path) != 0)
        e = as_fail(AS_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    if (e)
        unlink(tmp);
    free(t);
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

static as_err vocab_load(bpe_vocab **v, const gguf_file *g)
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
    if ((e = vocab_load(&v, g)))
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
