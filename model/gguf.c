/*
 * gguf.c -- the GGUF v2/v3 reader: mmap, header, metadata, tensor infos.
 *
 * Every read goes through a cursor that checks the remaining length first,
 * and every count is checked against what the remaining bytes could possibly
 * hold before anything is allocated, so a hostile header cannot make us
 * allocate terabytes or read past the mapping.  Tensor extents are checked
 * with overflow-safe arithmetic against the data section.  Values are read
 * with memcpy because GGUF packs them without alignment.  Little-endian files
 * only (a big-endian file shows up as an absurd version and is refused).
 * This file owns the mapping and the index; it does not interpret models.
 */
#include "model/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ggml refuses more; a larger alignment is a hostile file, not a model. */
#define GGUF_MAX_ALIGNMENT (1u << 20)

typedef struct cursor {
    const uint8_t *base;
    size_t size;
    size_t pos;
    const char *path;
} cursor;

static as_err cur_need(cursor *c, size_t n, const char *what)
{
    if (n > c->size - c->pos)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: truncated while reading %s "
                       "(need %zu bytes, %zu left)", c->path, c->pos, what, n,
                       c->size - c->pos);
    return AS_OK;
}

static as_err cur_read(cursor *c, void *dst, size_t n, const char *what)
{
    as_err e = cur_need(c, n, what);
    if (e)
        return e;
    memcpy(dst, c->base + c->pos, n);
    c->pos += n;
    return AS_OK;
}

static as_err cur_str(cursor *c, gguf_str *out, const char *what)
{
    uint64_t len;
    as_err e = cur_read(c, &len, 8, what);
    if (e)
        return e;
    if (len > c->size - c->pos)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: %s: string length %llu "
                       "runs past the end of the file", c->path, c->pos - 8, what,
                       (unsigned long long)len);
    out->ptr = (const char *)c->base + c->pos;
    out->len = (size_t)len;
    c->pos += (size_t)len;
    return AS_OK;
}

/* Size of a fixed-width metadata type; 0 for string/array/unknown. */
static size_t gguf_scalar_size(gguf_type t)
{
    switch (t) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
    case GGUF_TYPE_STRING: case GGUF_TYPE_ARRAY: return 0;
    }
    return 0;
}

const char *gguf_type_name(gguf_type t)
{
    switch (t) {
    case GGUF_TYPE_UINT8: return "u8";
    case GGUF_TYPE_INT8: return "i8";
    case GGUF_TYPE_UINT16: return "u16";
    case GGUF_TYPE_INT16: return "i16";
    case GGUF_TYPE_UINT32: return "u32";
    case GGUF_TYPE_INT32: return "i32";
    case GGUF_TYPE_FLOAT32: return "f32";
    case GGUF_TYPE_BOOL: return "bool";
    case GGUF_TYPE_STRING: return "str";
    case GGUF_TYPE_ARRAY: return "arr";
    case GGUF_TYPE_UINT64: return "u64";
    case GGUF_TYPE_INT64: return "i64";
    case GGUF_TYPE_FLOAT64: return "f64";
    }
    return "?";
}

/* Block layouts as in ggml-common.h: elements per block, bytes per block. */
size_t ggml_type_block(ggml_type t)
{
    switch (t) {
    case GGML_TYPE_F32: case GGML_TYPE_F16: case GGML_TYPE_BF16: return 1;
    case GGML_TYPE_Q4_0: case GGML_TYPE_Q4_1: case GGML_TYPE_Q5_0:
    case GGML_TYPE_Q5_1: case GGML_TYPE_Q8_0: case GGML_TYPE_Q8_1: return 32;
    case GGML_TYPE_Q2_K: case GGML_TYPE_Q3_K: case GGML_TYPE_Q4_K:
    case GGML_TYPE_Q5_K: case GGML_TYPE_Q6_K: case GGML_TYPE_Q8_K: return 256;
    }
    return 0;
}

size_t ggml_type_size(ggml_type t)
{
    switch (t) {
    case GGML_TYPE_F32: return 4;
    case GGML_TYPE_F16: case GGML_TYPE_BF16: return 2;
    case GGML_TYPE_Q4_0: return 18;
    case GGML_TYPE_Q4_1: return 20;
    case GGML_TYPE_Q5_0: return 22;
    case GGML_TYPE_Q5_1: return 24;
    case GGML_TYPE_Q8_0: return 34;
    case GGML_TYPE_Q8_1: return 36;
    case GGML_TYPE_Q2_K: return 84;
    case GGML_TYPE_Q3_K: return 110;
    case GGML_TYPE_Q4_K: return 144;
    case GGML_TYPE_Q5_K: return 176;
    case GGML_TYPE_Q6_K: return 210;
    case GGML_TYPE_Q8_K: return 292;
    }
    return 0;
}

const char *ggml_type_name(ggml_type t)
{
    switch (t) {
    case GGML_TYPE_F32: return "F32";
    case GGML_TYPE_F16: return "F16";
    case GGML_TYPE_BF16: return "BF16";
    case GGML_TYPE_Q4_0: return "Q4_0";
    case GGML_TYPE_Q4_1: return "Q4_1";
    case GGML_TYPE_Q5_0: return "Q5_0";
    case GGML_TYPE_Q5_1: return "Q5_1";
    case GGML_TYPE_Q8_0: return "Q8_0";
    case GGML_TYPE_Q8_1: return "Q8_1";
    case GGML_TYPE_Q2_K: return "Q2_K";
    case GGML_TYPE_Q3_K: return "Q3_K";
    case GGML_TYPE_Q4_K: return "Q4_K";
    case GGML_TYPE_Q5_K: return "Q5_K";
    case GGML_TYPE_Q6_K: return "Q6_K";
    case GGML_TYPE_Q8_K: return "Q8_K";
    }
    return "?";
}

int ggml_type_parse(const char *name)
{
    static const ggml_type all[] = {
        GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
        GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q8_1, GGML_TYPE_Q2_K,
        GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_Q8_K,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(name, ggml_type_name(all[i])) == 0)
            return (int)all[i];
    return -1;
}

size_t ggml_row_size(ggml_type t, uint64_t n)
{
    size_t blk = ggml_type_block(t);
    return blk ? (size_t)(n / blk) * ggml_type_size(t) : 0;
}

int gguf_str_eq(gguf_str s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && memcmp(s.ptr, c, n) == 0;
}

static as_err kv_parse(cursor *c, gguf_kv *kv, uint64_t index)
{
    as_err e = cur_str(c, &kv->key, "metadata key");
    if (e)
        return e;
    uint32_t type;
    size_t at = c->pos;
    if ((e = cur_read(c, &type, 4, "metadata type")))
        return e;
    kv->type = (gguf_type)type;
    if (type > GGUF_TYPE_FLOAT64)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: metadata %llu '%.*s': unknown "
                       "value type %u", c->path, at, (unsigned long long)index,
                       (int)kv->key.len, kv->key.ptr, type);
    if (type == GGUF_TYPE_STRING)
        return cur_str(c, &kv->str, "metadata string value");
    if (type != GGUF_TYPE_ARRAY) {
        size_t n = gguf_scalar_size(kv->type);
        if ((e = cur_need(c, n, "metadata value")))
            return e;
        kv->val = c->base + c->pos;
        c->pos += n;
        return AS_OK;
    }
    uint32_t at_type;
    uint64_t n;
    if ((e = cur_read(c, &at_type, 4, "array element type")) ||
        (e = cur_read(c, &n, 8, "array length")))
        return e;
    kv->arr_type = (gguf_type)at_type;
    kv->arr_n = n;
    kv->arr = c->base + c->pos;
    if (at_type == GGUF_TYPE_ARRAY || at_type > GGUF_TYPE_FLOAT64)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: metadata '%.*s': array of "
                       "unsupported element type %u", c->path, at, (int)kv->key.len,
                       kv->key.ptr, at_type);
    if (at_type == GGUF_TYPE_STRING) {
        /* each string needs at least its 8-byte length */
        if (n > (c->size - c->pos) / 8)
            return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: metadata '%.*s': %llu "
                           "strings cannot fit in the file", c->path, at,
                           (int)kv->key.len, kv->key.ptr, (unsigned long long)n);
        for (uint64_t i = 0; i < n; i++) {
            gguf_str s;
            if ((e = cur_str(c, &s, "array string")))
                return e;
        }
        return AS_OK;
    }
    size_t es = gguf_scalar_size(kv->arr_type);
    if (n > (c->size - c->pos) / es)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: metadata '%.*s': %llu elements "
                       "of %s run past the end of the file", c->path, at,
                       (int)kv->key.len, kv->key.ptr, (unsigned long long)n,
                       gguf_type_name(kv->arr_type));
    c->pos += (size_t)n * es;
    return AS_OK;
}

static as_err tensor_parse(cursor *c, gguf_tensor *t, gguf_str *name, uint64_t index)
{
    size_t at = c->pos;
    as_err e = cur_str(c, name, "tensor name");
    if (e)
        return e;
    if ((e = cur_read(c, &t->n_dims, 4, "tensor dimension count")))
        return e;
    if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: tensor %llu '%.*s': %u "
                       "dimensions (1..%d allowed)", c->path, at, (unsigned long long)index,
                       (int)name->len, name->ptr, t->n_dims, GGUF_MAX_DIMS);
    for (int d = 0; d < GGUF_MAX_DIMS; d++)
        t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++)
        if ((e = cur_read(c, &t->ne[d], 8, "tensor shape")))
            return e;
    uint32_t type;
    if ((e = cur_read(c, &type, 4, "tensor type")) ||
        (e = cur_read(c, &t->offset, 8, "tensor offset")))
        return e;
    t->type = (ggml_type)type;
    size_t blk = ggml_type_block(t->type);
    if (blk == 0)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: tensor '%.*s': unknown tensor "
                       "type %u", c->path, at, (int)name->len, name->ptr, type);
    /* Cap each dimension and the product at 2^52 elements, far above any
     * model yet small enough that byte counts cannot overflow 64 bits. */
    uint64_t n = 1;
    for (int d = 0; d < GGUF_MAX_DIMS; d++) {
        if (t->ne[d] == 0 || t->ne[d] > (1ull << 52) || n > (1ull << 52) / t->ne[d])
            return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: tensor '%.*s': dimension %d "
                           "is %llu (zero or out of range)", c->path, at, (int)name->len,
                           name->ptr, d, (unsigned long long)t->ne[d]);
        n *= t->ne[d];
    }
    if (t->ne[0] % blk)
        return as_fail(AS_ERR_FORMAT, "'%s': offset %zu: tensor '%.*s': row length %llu "
                       "is not a multiple of the %s block size %zu", c->path, at,
                       (int)name->len, name->ptr, (unsigned long long)t->ne[0],
                       ggml_type_name(t->type), blk);
    t->n_elements = n;
    t->nbytes = (size_t)(n / blk) * ggml_type_size(t->type);
    return AS_OK;
}

/* Parse the mapped bytes of g (map/size/path set). */
static as_err gguf_parse(gguf_file *g)
{
    cursor c = {g->map, g->size, 0, g->path};
    char magic[4];
    as_err e = cur_read(&c, magic, 4, "magic");
    if (e)
        return e;
    if (memcmp(magic, "GGUF", 4) != 0)
        return as_fail(AS_ERR_FORMAT, "'%s': offset 0: bad magic (not a GGUF file)", g->path);
    if ((e = cur_read(&c, &g->version, 4, "version")))
        return e;
    if (g->version != 2 && g->version != 3)
        return as_fail(g->version == 1 ? AS_ERR_UNSUPPORTED : AS_ERR_FORMAT,
                       "'%s': offset 4: GGUF version %u (only 2 and 3 are read; a "
                       "big-endian file also shows up here)", g->path, g->version);
    if ((e = cur_read(&c, &g->n_tensors, 8, "tensor count")) ||
        (e = cur_read(&c, &g->n_kv, 8, "metadata count")))
        return e;
    /* A key/value takes at least 8+1+4+1 bytes, a tensor info at least 8+4+8+4+8. */
    if (g->n_kv > (c.size - c.pos) / 14 || g->n_tensors > (c.size - c.pos) / 32)
        return as_fail(AS_ERR_FORMAT, "'%s': offset 8: absurd counts (%llu tensors, %llu "
                       "metadata) for a %zu-byte file", g->path,
                       (unsigned long long)g->n_tensors, (unsigned long long)g->n_kv, g->size);
    g->kv = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    gguf_str *names = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *names);
    if (!g->kv || !g->tensors || !names) {
        free(names);
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory indexing the file", g->path);
    }
    for (uint64_t i = 0; i < g->n_kv && !e; i++)
        e = kv_parse(&c, &g->kv[i], i);
    g->alignment = 32;
    const gguf_kv *al = e ? NULL : gguf_find(g, "general.alignment");
    if (al) {
        uint32_t a;
        if (al->type != GGUF_TYPE_UINT32 && al->type != GGUF_TYPE_INT32)
            e = as_fail(AS_ERR_FORMAT, "'%s': general.alignment has type %s (u32 expected)",
                        g->path, gguf_type_name(al->type));
        else if (memcpy(&a, al->val, 4), a == 0 || (a & (a - 1)) || a > GGUF_MAX_ALIGNMENT)
            e = as_fail(AS_ERR_FORMAT, "'%s': general.alignment %u is not a power of two "
                        "up to %u", g->path, a, GGUF_MAX_ALIGNMENT);
        else
            g->alignment = a;
    }
    size_t name_bytes = 0;
    for (uint64_t i = 0; i < g->n_tensors && !e; i++) {
        e = tensor_parse(&c, &g->tensors[i], &names[i], i);
        name_bytes += names[i].len + 1;
    }
    if (!e) {
        size_t pad = (g->alignment - c.pos % g->alignment) % g->alignment;
        if (pad > c.size - c.pos && g->n_tensors)
            e = as_fail(AS_ERR_FORMAT, "'%s': truncated before the tensor data", g->path);
        g->data_offset = c.pos + (pad <= c.size - c.pos ? pad : c.size - c.pos);
    }
    if (!e && !(g->names = malloc(name_bytes ? name_bytes : 1)))
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory indexing the file", g->path);
    size_t data_size = g->size - g->data_offset, np = 0;
    for (uint64_t i = 0; i < g->n_tensors && !e; i++) {
        gguf_tensor *t = &g->tensors[i];
        memcpy(g->names + np, names[i].ptr, names[i].len);
        g->names[np + names[i].len] = '\0';
        t->name = g->names + np;
        np += names[i].len + 1;
        if (t->offset % g->alignment)
            e = as_fail(AS_ERR_FORMAT, "'%s': tensor '%s': offset %llu is not aligned to %zu",
                        g->path, t->name, (unsigned long long)t->offset, g->alignment);
        else if (t->offset > data_size || t->nbytes > data_size - t->offset)
            e = as_fail(AS_ERR_FORMAT, "'%s': tensor '%s': data [%llu, +%zu) lies outside "
                        "the %zu-byte data section (truncated file?)", g->path, t->name,
                        (unsigned long long)t->offset, t->nbytes, data_size);
        else
            t->data = g->map + g->data_offset + t->offset;
    }
    for (uint64_t i = 0; i < g->n_tensors && !e; i++)
        for (uint64_t j = 0; j < i && !e; j++)
            if (strcmp(g->tensors[i].name, g->tensors[j].name) == 0)
                e = as_fail(AS_ERR_FORMAT, "'%s': tensor name '%s' appears twice", g->path,
                            g->tensors[i].name);
    free(names);
    return e;
}

as_err gguf_open(gguf_file **out, const char *path)
{
    *out = NULL;
    gguf_file *g = calloc(1, sizeof *g);
    as_err e = AS_OK;
    int fd = -1;
    if (!g || !(g->path = strdup(path))) {
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
        goto done;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        e = as_fail(errno == ENOENT ? AS_ERR_NOT_FOUND : AS_ERR_IO, "'%s': cannot open: %s",
                    path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 24) {
        e = as_fail(AS_ERR_FORMAT, "'%s': %s", path, S_ISREG(st.st_mode)
                    ? "too short for a GGUF header (truncated?)" : "not a regular file");
        goto done;
    }
    g->size = (size_t)st.st_size;
    void *m = mmap(NULL, g->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        e = as_fail(AS_ERR_IO, "'%s': cannot map: %s", path, strerror(errno));
        goto done;
    }
    g->map = m;
    e = gguf_parse(g);
done:
    if (fd >= 0)
        close(fd);
    if (e)
        gguf_close(g);
    else
        *out = g;
    return e;
}

void gguf_close(gguf_file *g)
{
    if (!g)
        return;
    if (g->map)
        munmap((void *)g->map, g->size);
    free(g->kv);
    free(g->tensors);
    free(g->names);
    free(g->path);
    free(g);
}

const gguf_kv *gguf_find(const gguf_file *g, const char *key)
{
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (gguf_str_eq(g->kv[i].key, key))
            return &g->kv[i];
    return NULL;
}

const gguf_tensor *gguf_tensor_find(const gguf_file *g, const char *name)
{
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return &g->tensors[i];
    return NULL;
}

static as_err kv_lookup(const gguf_file *g, const char *key, const gguf_kv **out)
{
    *out = gguf_find(g, key);
    if (!*out)
        return as_fail(AS_ERR_NOT_FOUND, "'%s': metadata key '%s' is missing", g->path, key);
    return AS_OK;
}

/* Read an integer of any width as int64 (uint64 above INT64_MAX refused). */
static int kv_int(const gguf_kv *kv, int64_t *v)
{
    const uint8_t *p = kv->val;
    switch (kv->type) {
    case GGUF_TYPE_UINT8: *v = p[0]; return 1;
    case GGUF_TYPE_INT8: *v = (int8_t)p[0]; return 1;
    case GGUF_TYPE_BOOL: return 0;
    case GGUF_TYPE_UINT16: { uint16_t x; memcpy(&x, p, 2); *v = x; return 1; }
    case GGUF_TYPE_INT16: { int16_t x; memcpy(&x, p, 2); *v = x; return 1; }
    case GGUF_TYPE_UINT32: { uint32_t x; memcpy(&x, p, 4); *v = x; return 1; }
    case GGUF_TYPE_INT32: { int32_t x; memcpy(&x, p, 4); *v = x; return 1; }
    case GGUF_TYPE_UINT64: { uint64_t x; memcpy(&x, p, 8); *v = (int64_t)x; return x <= INT64_MAX; }
    case GGUF_TYPE_INT64: { int64_t x; memcpy(&x, p, 8); *v = x; return 1; }
    case GGUF_TYPE_FLOAT32: case GGUF_TYPE_FLOAT64: case GGUF_TYPE_STRING:
    case GGUF_TYPE_ARRAY: return 0;
    }
    return 0;
}

static as_err get_int(const gguf_file *g, const char *key, int64_t lo, int64_t hi, int64_t *v)
{
    const gguf_kv *kv;
    as_err e = kv_lookup(g, key, &kv);
    if (e)
        return e;
    if (!kv_int(kv, v))
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' has type %s (integer expected)",
                       g->path, key, gguf_type_name(kv->type));
    if (*v < lo || *v > hi)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' = %lld is out of range",
                       g->path, key, (long long)*v);
    return AS_OK;
}

as_err gguf_get_u32(const gguf_file *g, const char *key, uint32_t *out)
{
    int64_t v;
    as_err e = get_int(g, key, 0, UINT32_MAX, &v);
    if (!e)
        *out = (uint32_t)v;
    return e;
}

as_err gguf_get_i32(const gguf_file *g, const char *key, int32_t *out)
{
    int64_t v;
    as_err e = get_int(g, key, INT32_MIN, INT32_MAX, &v);
    if (!e)
        *out = (int32_t)v;
    return e;
}

as_err gguf_get_f32(const gguf_file *g, const char *key, float *out)
{
    const gguf_kv *kv;
    as_err e = kv_lookup(g, key, &kv);
    if (e)
        return e;
    int64_t v;
    if (kv->type == GGUF_TYPE_FLOAT32) {
        memcpy(out, kv->val, 4);
    } else if (kv->type == GGUF_TYPE_FLOAT64) {
        double d;
        memcpy(&d, kv->val, 8);
        *out = (float)d;
    } else if (kv_int(kv, &v)) {
        *out = (float)v;
    } else {
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' has type %s (number expected)",
                       g->path, key, gguf_type_name(kv->type));
    }
    return AS_OK;
}

as_err gguf_get_bool(const gguf_file *g, const char *key, int *out)
{
    const gguf_kv *kv;
    as_err e = kv_lookup(g, key, &kv);
    if (e)
        return e;
    if (kv->type != GGUF_TYPE_BOOL)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' has type %s (bool expected)",
                       g->path, key, gguf_type_name(kv->type));
    *out = kv->val[0] != 0;
    return AS_OK;
}

as_err gguf_get_str(const gguf_file *g, const char *key, gguf_str *out)
{
    const gguf_kv *kv;
    as_err e = kv_lookup(g, key, &kv);
    if (e)
        return e;
    if (kv->type != GGUF_TYPE_STRING)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' has type %s (string expected)",
                       g->path, key, gguf_type_name(kv->type));
    *out = kv->str;
    return AS_OK;
}

as_err gguf_get_strdup(const gguf_file *g, const char *key, char **out)
{
    gguf_str s;
    as_err e = gguf_get_str(g, key, &s);
    if (e)
        return e;
    *out = strndup(s.ptr, s.len);
    return *out ? AS_OK : as_fail(AS_ERR_NOMEM, "out of memory");
}

as_err gguf_get_arr(const gguf_file *g, const char *key, gguf_type *type, uint64_t *n)
{
    const gguf_kv *kv;
    as_err e = kv_lookup(g, key, &kv);
    if (e)
        return e;
    if (kv->type != GGUF_TYPE_ARRAY)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' has type %s (array expected)",
                       g->path, key, gguf_type_name(kv->type));
    *type = kv->arr_type;
    *n = kv->arr_n;
    return AS_OK;
}

as_err gguf_arr_raw(const gguf_file *g, const char *key, gguf_type want,
                    const void **data, uint64_t *n)
{
    gguf_type t;
    as_err e = gguf_get_arr(g, key, &t, n);
    if (e)
        return e;
    if (t != want || t == GGUF_TYPE_STRING)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' is an array of %s (%s expected)",
                       g->path, key, gguf_type_name(t), gguf_type_name(want));
    *data = gguf_find(g, key)->arr;
    return AS_OK;
}

as_err gguf_arr_strings(gguf_str **out, size_t *n, const gguf_file *g, const char *key)
{
    *out = NULL;
    gguf_type t;
    uint64_t cnt;
    as_err e = gguf_get_arr(g, key, &t, &cnt);
    if (e)
        return e;
    if (t != GGUF_TYPE_STRING)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' is an array of %s (strings "
                       "expected)", g->path, key, gguf_type_name(t));
    gguf_str *s = malloc((cnt ? cnt : 1) * sizeof *s);
    if (!s)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory for '%s'", g->path, key);
    /* The strings were bounds-checked by kv_parse; walk them again. */
    const gguf_kv *kv = gguf_find(g, key);
    cursor c = {g->map, g->size, (size_t)(kv->arr - g->map), g->path};
    for (uint64_t i = 0; i < cnt; i++)
        cur_str(&c, &s[i], "array string");
    *out = s;
    *n = (size_t)cnt;
    return AS_OK;
}

as_err gguf_arr_f32(float **out, size_t *n, const gguf_file *g, const char *key)
{
    const void *raw;
    uint64_t cnt;
    *out = NULL;
    as_err e = gguf_arr_raw(g, key, GGUF_TYPE_FLOAT32, &raw, &cnt);
    if (e)
        return e;
    float *v = malloc((cnt ? cnt : 1) * sizeof *v);
    if (!v)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory for '%s'", g->path, key);
    memcpy(v, raw, (size_t)cnt * 4);
    *out = v;
    *n = (size_t)cnt;
    return AS_OK;
}

as_err gguf_arr_i32(int32_t **out, size_t *n, const gguf_file *g, const char *key)
{
    gguf_type t;
    uint64_t cnt;
    *out = NULL;
    as_err e = gguf_get_arr(g, key, &t, &cnt);
    if (e)
        return e;
    if (t != GGUF_TYPE_INT32 && t != GGUF_TYPE_UINT32)
        return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s' is an array of %s (i32 expected)",
                       g->path, key, gguf_type_name(t));
    const uint8_t *raw = gguf_find(g, key)->arr;
    int32_t *v = malloc((cnt ? cnt : 1) * sizeof *v);
    if (!v)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory for '%s'", g->path, key);
    for (uint64_t i = 0; i < cnt; i++) {
        uint32_t x;
        memcpy(&x, raw + 4 * i, 4);
        if (t == GGUF_TYPE_UINT32 && x > INT32_MAX) {
            free(v);
            return as_fail(AS_ERR_FORMAT, "'%s': metadata '%s'[%llu] = %u does not fit i32",
                           g->path, key, (unsigned long long)i, x);
        }
        v[i] = (int32_t)x;
    }
    *out = v;
    *n = (size_t)cnt;
    return AS_OK;
}

/* Append to out (cap bytes, *len used); output past cap is dropped. */
static void text_add(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

/* The fewest significant digits (of 1..17) that read back to v, as a
 * float when f32: 0.1f prints as 0.1, not 0.100000001; whole numbers in
 * full (10000, not 1e+04). */
static void text_add_real(char *out, size_t cap, size_t *len, double v, int f32)
{
    char b[40];
    if (fabs(v) < 0x1p53 && v == trunc(v)) {
        text_add(out, cap, len, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (f32 ? strtof(b, NULL) == (float)v : strtod(b, NULL) == v)
            break;
    }
    text_add(out, cap, len, "%s", b);
}

char *gguf_kv_format(char *out, size_t cap, const gguf_kv *kv, size_t max_str)
{
    size_t len = 0;
    const uint8_t *p = kv->val;
    int64_t iv;
    if (cap == 0)
        return out;
    out[0] = '\0';
    switch (kv->type) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16:
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_INT64:
        kv_int(kv, &iv);
        text_add(out, cap, &len, "%lld", (long long)iv);
        break;
    case GGUF_TYPE_UINT64: {
        uint64_t x;
        memcpy(&x, p, 8); /* kv_int refuses values above INT64_MAX */
        text_add(out, cap, &len, "%llu", (unsigned long long)x);
        break;
    }
    case GGUF_TYPE_FLOAT32: {
        float f;
        memcpy(&f, p, 4);
        text_add_real(out, cap, &len, f, 1);
        break;
    }
    case GGUF_TYPE_FLOAT64: {
        double d;
        memcpy(&d, p, 8);
        text_add_real(out, cap, &len, d, 0);
        break;
    }
    case GGUF_TYPE_BOOL:
        text_add(out, cap, &len, "%s", p[0] ? "true" : "false");
        break;
    case GGUF_TYPE_STRING: {
        size_t n = kv->str.len;
        const unsigned char *s = (const unsigned char *)kv->str.ptr;
        if (n > max_str) {
            n = max_str;
            while (n > 0 && (s[n] & 0xC0) == 0x80) /* not inside a UTF-8 character */
                n--;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = s[i];
            if (c == '\\') text_add(out, cap, &len, "\\\\");
            else if (c == '\n') text_add(out, cap, &len, "\\n");
            else if (c == '\t') text_add(out, cap, &len, "\\t");
            else if (c == '\r') text_add(out, cap, &len, "\\r");
            else if (c < 0x20 || c == 0x7f) text_add(out, cap, &len, "\\x%02x", c);
            else text_add(out, cap, &len, "%c", c);
        }
        if (n < kv->str.len)
            text_add(out, cap, &len, "... (%zu bytes)", kv->str.len);
        break;
    }
    case GGUF_TYPE_ARRAY:
        text_add(out, cap, &len, "array of %llu %s", (unsigned long long)kv->arr_n,
                 gguf_type_name(kv->arr_type));
        break;
    }
    return out;
}
