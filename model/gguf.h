/*
 * gguf.h -- read-only view of a GGUF v2/v3 file (the llama.cpp model format).
 *
 * gguf_open() maps the file, checks every length, count, offset and shape
 * against the file size before anything points into it, and builds an index
 * of the metadata key/values and tensor infos.  All gguf_str views and tensor
 * data pointers point INTO the mapping: they live until gguf_close().
 * This file does not know what a model is (see model/transformer.h) nor how
 * to write GGUF (model/gguf_write.h).  Hostile files give AS_ERR_FORMAT (or
 * AS_ERR_UNSUPPORTED for a valid file we do not handle) with a message naming
 * the file, the byte offset and the field; they never crash or read out of
 * bounds.
 *
 * Usage:
 *     gguf_file *g;
 *     if ((e = gguf_open(&g, "m.gguf")) != AS_OK) return e;   // as_fail set
 *     uint32_t n_layer;
 *     e = gguf_get_u32(g, "llama.block_count", &n_layer);      // any int width
 *     gguf_str *toks; size_t n;
 *     e = gguf_arr_strings(&toks, &n, g, "tokenizer.ggml.tokens"); // free(toks)
 *     float *scores; e = gguf_arr_f32(&scores, &n, g, "tokenizer.ggml.scores");
 *     const gguf_tensor *t = gguf_tensor_find(g, "token_embd.weight");
 *     gguf_close(g);
 * Array elements in the file are not aligned (they follow variable-length
 * strings), so numeric arrays are handed out as aligned heap copies rather
 * than pointers into the map; gguf_arr_raw() gives the raw bytes for readers
 * that memcpy.
 */
#ifndef AS_GGUF_H
#define AS_GGUF_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

/* Metadata value types, numbered as in the GGUF specification. */
typedef enum gguf_type {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
} gguf_type;

/* Tensor element types, numbered as ggml's enum ggml_type. */
typedef enum ggml_type {
    GGML_TYPE_F32 = 0,
    GGML_TYPE_F16 = 1,
    GGML_TYPE_Q4_0 = 2,
    GGML_TYPE_Q4_1 = 3,
    GGML_TYPE_Q5_0 = 6,
    GGML_TYPE_Q5_1 = 7,
    GGML_TYPE_Q8_0 = 8,
    GGML_TYPE_Q8_1 = 9,
    GGML_TYPE_Q2_K = 10,
    GGML_TYPE_Q3_K = 11,
    GGML_TYPE_Q4_K = 12,
    GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14,
    GGML_TYPE_Q8_K = 15,
    GGML_TYPE_BF16 = 30,
} ggml_type;

/* A string inside the mapping: NOT nul-terminated. */
typedef struct gguf_str {
    const char *ptr;
    size_t len;
} gguf_str;

typedef struct gguf_kv {
    gguf_str key;
    gguf_type type;
    const uint8_t *val;   /* scalar value bytes (unaligned) for scalar types */
    gguf_str str;         /* for GGUF_TYPE_STRING */
    gguf_type arr_type;   /* for GGUF_TYPE_ARRAY: element type */
    uint64_t arr_n;       /* for GGUF_TYPE_ARRAY: element count */
    const uint8_t *arr;   /* for GGUF_TYPE_ARRAY: first element (unaligned) */
} gguf_kv;

#define GGUF_MAX_DIMS 4

typedef struct gguf_tensor {
    const char *name;     /* nul-terminated copy, owned by the gguf_file */
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS]; /* ne[0] is the contiguous dimension; unused = 1 */
    ggml_type type;
    uint64_t offset;      /* relative to the start of the data section */
    uint64_t n_elements;
    size_t nbytes;
    const void *data;     /* inside the mapping, aligned to the file's alignment */
} gguf_tensor;

typedef struct gguf_file {
    char *path;           /* heap copy, for messages */
    const uint8_t *map;   /* (size) the whole file, read-only */
    size_t size;
    uint32_t version;
    size_t alignment;     /* general.alignment, default 32 */
    size_t data_offset;   /* start of the tensor data section */
    uint64_t n_kv;
    gguf_kv *kv;          /* (n_kv) */
    uint64_t n_tensors;
    gguf_tensor *tensors; /* (n_tensors) */
    char *names;          /* backing store of the tensor names */
} gguf_file;

/* Map and index path.  On success *out is a new gguf_file (gguf_close frees). */
as_err gguf_open(gguf_file **out, const char *path);
void gguf_close(gguf_file *g);

/* Element block size and bytes per block of a tensor type; 0 if unknown. */
size_t ggml_type_block(ggml_type t);
size_t ggml_type_size(ggml_type t);
/* "F32", "Q4_K", ...; "?" for an unknown number. */
const char *ggml_type_name(ggml_type t);
/* Parse "Q8_0" etc. (case-insensitive); returns -1 when unknown. */
int ggml_type_parse(const char *name);
/* Bytes of one row of n elements of type t (n must be a block multiple). */
size_t ggml_row_size(ggml_type t, uint64_t n);
const char *gguf_type_name(gguf_type t);

/* The key/value for key, or NULL. */
const gguf_kv *gguf_find(const gguf_file *g, const char *key);

/* Typed getters.  AS_ERR_NOT_FOUND when the key is absent, AS_ERR_FORMAT
 * when it has an incompatible type or a value out of range (as_fail set in
 * both cases).  The integer getters accept any integer width and signedness;
 * gguf_get_f32 also accepts float64 and integers. */
as_err gguf_get_u32(const gguf_file *g, const char *key, uint32_t *out);
as_err gguf_get_i32(const gguf_file *g, const char *key, int32_t *out);
as_err gguf_get_f32(const gguf_file *g, const char *key, float *out);
as_err gguf_get_bool(const gguf_file *g, const char *key, int *out);
as_err gguf_get_str(const gguf_file *g, const char *key, gguf_str *out);
/* Same, as a heap nul-terminated copy; caller frees. */
as_err gguf_get_strdup(const gguf_file *g, const char *key, char **out);

/* Array metadata: element type and count. */
as_err gguf_get_arr(const gguf_file *g, const char *key, gguf_type *type, uint64_t *n);
/* Raw bytes of a numeric array (elements packed, unaligned); points into the map. */
as_err gguf_arr_raw(const gguf_file *g, const char *key, gguf_type want,
                    const void **data, uint64_t *n);
/* String array as views into the map.  *out is one heap array; caller frees it. */
as_err gguf_arr_strings(gguf_str **out, size_t *n, const gguf_file *g, const char *key);
/* Numeric arrays as aligned heap copies; caller frees.  f32 accepts FLOAT32
 * only; i32 accepts INT32 and UINT32 values that fit. */
as_err gguf_arr_f32(float **out, size_t *n, const gguf_file *g, const char *key);
as_err gguf_arr_i32(int32_t **out, size_t *n, const gguf_file *g, const char *key);

/* kv's value as one line of text in out (cap bytes, always terminated):
 * integers in decimal, floats in the fewest digits that read back to the
 * same value, bools as true/false, strings with \\, \n, \t, \r and other
 * control bytes escaped and cut after max_str bytes (at a UTF-8 character
 * boundary) with "... (N bytes)", arrays as "array of N TYPE".  Returns out. */
char *gguf_kv_format(char *out, size_t cap, const gguf_kv *kv, size_t max_str);

/* The tensor called name, or NULL. */
const gguf_tensor *gguf_tensor_find(const gguf_file *g, const char *name);

/* Compare a view with a C string. */
int gguf_str_eq(gguf_str s, const char *c);

#endif
