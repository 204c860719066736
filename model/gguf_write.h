/*
 * gguf_write.h -- build a GGUF v3 file in memory order and write it
 * atomically (temporary name in the same folder, fsync, rename), so a reader
 * never sees a half-written model.
 *
 * Usage:
 *     gguf_writer *w = gguf_writer_new();
 *     gguf_writer_add_str(w, "general.architecture", "llama");
 *     gguf_writer_add_u32(w, "llama.block_count", 2);
 *     gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", toks, n);
 *     gguf_writer_add_tensor(w, "token_embd.weight", GGML_TYPE_F32, 2, ne, data);
 *     e = gguf_writer_write(w, "out.gguf");
 *     gguf_writer_free(w);
 * The writer copies keys, strings and arrays; tensor data is only referenced
 * (the caller keeps it alive until gguf_writer_write returns) unless added
 * with gguf_writer_add_tensor_owned, which takes a malloc'd buffer.
 * Errors while adding are remembered and returned by gguf_writer_write.
 * It does not read GGUF (model/gguf.h) nor quantize (model/quant.h).
 */
#ifndef AS_GGUF_WRITE_H
#define AS_GGUF_WRITE_H

#include "model/gguf.h"

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_new(void); /* NULL when out of memory */
void gguf_writer_free(gguf_writer *w);

void gguf_writer_add_str(gguf_writer *w, const char *key, const char *val);
void gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t val);
void gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t val);
void gguf_writer_add_f32(gguf_writer *w, const char *key, float val);
void gguf_writer_add_bool(gguf_writer *w, const char *key, int val);
void gguf_writer_add_arr_str(gguf_writer *w, const char *key, const char *const *vals, size_t n);
void gguf_writer_add_arr_f32(gguf_writer *w, const char *key, const float *vals, size_t n);
void gguf_writer_add_arr_i32(gguf_writer *w, const char *key, const int32_t *vals, size_t n);

/* ne[0] is the contiguous dimension; data holds ggml_row_size(type, ne[0])
 * * ne[1] * ... bytes. */
void gguf_writer_add_tensor(gguf_writer *w, const char *name, ggml_type type, int n_dims,
                            const uint64_t *ne, const void *data);
void gguf_writer_add_tensor_owned(gguf_writer *w, const char *name, ggml_type type,
                                  int n_dims, const uint64_t *ne, void *data);

as_err gguf_writer_write(gguf_writer *w, const char *path);

#endif
