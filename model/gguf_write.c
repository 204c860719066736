/*
 * gguf_write.c -- GGUF v3 writer (see gguf_write.h).
 *
 * The header (magic, counts, key/values, tensor infos) is assembled in one
 * growing buffer; tensor data follows, each tensor padded to the 32-byte
 * default alignment.  Writing goes to "<path>.tmp.<pid>" and is renamed over
 * path only after everything, including fsync, succeeded.
 */
#include "model/gguf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GGUF_WRITE_ALIGN 32

typedef struct wtensor {
    char *name;
    ggml_type type;
    int n_dims;
    uint64_t ne[GGUF_MAX_DIMS];
    size_t nbytes;
    const void *data;
    void *owned;
} wtensor;

struct gguf_writer {
    unsigned char *kv;   /* serialized key/values */
    size_t kv_len, kv_cap;
    uint64_t n_kv;
    wtensor *t;
    size_t n_t, cap_t;
    as_err err;
};

gguf_writer *gguf_writer_new(void)
{
    return calloc(1, sizeof(gguf_writer));
}

void gguf_writer_free(gguf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_t; i++) {
        free(w->t[i].name);
        free(w->t[i].owned);
    }
    free(w->t);
    free(w->kv);
    free(w);
}

static void put(gguf_writer *w, const void *p, size_t n)
{
    if (w->err || n == 0)
        return;
    if (w->kv_len + n > w->kv_cap) {
        size_t cap = w->kv_cap ? w->kv_cap : 4096;
        while (cap < w->kv_len + n)
            cap *= 2;
        unsigned char *nb = realloc(w->kv, cap);
        if (!nb) {
            w->err = as_fail(AS_ERR_NOMEM, "out of memory building a GGUF header");
            return;
        }
        w->kv = nb;
        w->kv_cap = cap;
    }
    memcpy(w->kv + w->kv_len, p, n);
    w->kv_len += n;
}

static void put_u32(gguf_writer *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(gguf_writer *w, uint64_t v) { put(w, &v, 8); }

static void put_str(gguf_writer *w, const char *s)
{
    size_t n = strlen(s);
    put_u64(w, n);
    put(w, s, n);
}

static void key_start(gguf_writer *w, const char *key, gguf_type t)
{
    put_str(w, key);
    put_u32(w, t);
    w->n_kv++;
}

void gguf_writer_add_str(gguf_writer *w, const char *key, const char *val)
{
    key_start(w, key, GGUF_TYPE_STRING);
    put_str(w, val);
}

void gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t val)
{
    key_start(w, key, GGUF_TYPE_UINT32);
    put_u32(w, val);
}

void gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t val)
{
    key_start(w, key, GGUF_TYPE_INT32);
    put(w, &val, 4);
}

void gguf_writer_add_f32(gguf_writer *w, const char *key, float val)
{
    key_start(w, key, GGUF_TYPE_FLOAT32);
    put(w, &val, 4);
}

void gguf_writer_add_bool(gguf_writer *w, const char *key, int val)
{
    unsigned char b = val != 0;
    key_start(w, key, GGUF_TYPE_BOOL);
    put(w, &b, 1);
}

void gguf_writer_add_arr_str(gguf_writer *w, const char *key, const char *const *vals, size_t n)
{
    key_start(w, key, GGUF_TYPE_ARRAY);
    put_u32(w, GGUF_TYPE_STRING);
    put_u64(w, n);
    for (size_t i = 0; i < n; i++)
        put_str(w, vals[i]);
}

void gguf_writer_add_arr_f32(gguf_writer *w, const char *key, const float *vals, size_t n)
{
    key_start(w, key, GGUF_TYPE_ARRAY);
    put_u32(w, GGUF_TYPE_FLOAT32);
    put_u64(w, n);
    put(w, vals, n * 4);
}

void gguf_writer_add_arr_i32(gguf_writer *w, const char *key, const int32_t *vals, size_t n)
{
    key_start(w, key, GGUF_TYPE_ARRAY);
    put_u32(w, GGUF_TYPE_INT32);
    put_u64(w, n);
    put(w, vals, n * 4);
}

void gguf_writer_add_tensor_owned(gguf_writer *w, const char *name, ggml_type type,
                                  int n_dims, const uint64_t *ne, void *data)
{
    gguf_writer_add_tensor(w, name, type, n_dims, ne, data);
    if (!w->err)
        w->t[w->n_t - 1].owned = data;
    else
        free(data);
}

void gguf_writer_add_tensor(gguf_writer *w, const char *name, ggml_type type, int n_dims,
                            const uint64_t *ne, const void *data)
{
    if (w->err)
        return;
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS || !ggml_type_block(type) ||
        ne[0] % ggml_type_block(type)) {
        w->err = as_fail(AS_ERR_USAGE, "GGUF writer: tensor '%s': bad shape or type", name);
        return;
    }
    if (w->n_t == w->cap_t) {
        size_t cap = w->cap_t ? 2 * w->cap_t : 64;
        wtensor *nt = realloc(w->t, cap * sizeof *nt);
        if (!nt) {
            w->err = as_fail(AS_ERR_NOMEM, "out of memory building a GGUF file");
            return;
        }
        w->t = nt;
        w->cap_t = cap;
    }
    wtensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name))) {
        w->err = as_fail(AS_ERR_NOMEM, "out of memory building a GGUF file");
        return;
    }
    t->type = type;
    t->n_dims = n_dims;
    size_t rows = 1;
    for (int d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = d < n_dims ? ne[d] : 1;
        if (d > 0)
            rows *= t->ne[d];
    }
    t->nbytes = ggml_row_size(type, t->ne[0]) * rows;
    t->data = data;
    w->n_t++;
}

static size_t pad_to(size_t n)
{
    return (n + GGUF_WRITE_ALIGN - 1) / GGUF_WRITE_ALIGN * GGUF_WRITE_ALIGN;
}

as_err gguf_writer_write(gguf_writer *w, const char *path)
{
    if (w->err)
        return w->err;
    /* header: magic, version, counts, then the serialized key/values */
    gguf_writer *h = gguf_writer_new();
    if (!h)
        return as_fail(AS_ERR_NOMEM, "out of memory writing '%s'", path);
    put(h, "GGUF", 4);
    put_u32(h, 3);
    put_u64(h, w->n_t);
    put_u64(h, w->n_kv);
    put(h, w->kv, w->kv_len);
    size_t off = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        put_str(h, w->t[i].name);
        put_u32(h, (uint32_t)w->t[i].n_dims);
        for (int d = 0; d < w->t[i].n_dims; d++)
            put_u64(h, w->t[i].ne[d]);
        put_u32(h, w->t[i].type);
        put_u64(h, off);
        off = pad_to(off + w->t[i].nbytes);
    }
    static const unsigned char zeros[GGUF_WRITE_ALIGN];
    put(h, zeros, pad_to(h->kv_len) - h->kv_len);
    as_err e = h->err;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = e ? NULL : fopen(tmp, "wb");
    if (!e && !f)
        e = as_fail(AS_ERR_IO, "'%s': cannot create: %s", tmp, strerror(errno));
    if (f) {
        int ok = fwrite(h->kv, 1, h->kv_len, f) == h->kv_len;
        for (size_t i = 0; i < w->n_t && ok; i++) {
            size_t n = w->t[i].nbytes;
            ok = fwrite(w->t[i].data, 1, n, f) == n &&
                 fwrite(zeros, 1, pad_to(n) - n, f) == pad_to(n) - n;
        }
        ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) {
            e = as_fail(AS_ERR_IO, "'%s': cannot write: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    gguf_writer_free(h);
    return e;
}
