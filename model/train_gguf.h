/*
 * train_gguf.h -- a trained model and its BPE vocabulary to and from a GGUF
 * v3 file (llama architecture, F32 tensors) that the engine loads.
 *
 * Tensor names and metadata keys are llama.cpp's: token_embd.weight,
 * blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,
 * ffn_up,ffn_down}.weight, output_norm.weight, output.weight (absent when
 * tied), llama.* hyper-parameters, tokenizer.ggml.* with model "gpt2" and
 * pre "gpt-2".  Extra metadata (corpus size, teacher, held-out scores) is
 * passed as key/value pairs and written under the keys given.  Writing goes
 * through the engine's writer (model/gguf_write.h: temporary name, fsync,
 * rename), reading through model/gguf.h.
 */
#ifndef AS_TRAIN_GGUF_H
#define AS_TRAIN_GGUF_H

#include "common/error.h"
#include "model/bpe_train.h"
#include "model/gguf.h"
#include "model/train.h"

typedef enum train_meta_type { TRAIN_META_STR, TRAIN_META_U32, TRAIN_META_F32 } train_meta_type;

typedef struct train_meta {
    const char *key;
    train_meta_type type;
    const char *s;
    uint32_t u;
    float f;
} train_meta;

/* add_bos: tokenizer.ggml.add_bos_token, so the engine's tokenizer puts
 * <|endoftext|> before a prompt (a plain language model from `model
 * train`); the summary model's prompts carry it themselves (0). */
as_err train_gguf_save(const char *path, const train_model *m, const bpe_vocab *v,
                       const char *name, int add_bos, const train_meta *meta, int n_meta);

/* Load a file written by train_gguf_save (or any llama-architecture F32
 * GGUF with n_kv_heads = n_heads and a gpt2 vocabulary with the two
 * specials).  *m and *v: train_model_free / bpe_vocab_free. */
as_err train_gguf_load(train_model **m, bpe_vocab **v, const char *path);

/* The vocabulary alone, from the tokenizer.ggml.* keys of an open file
 * (a byte-level BPE with <|endoftext|> and <|summary|>, as
 * bpe_vocab_from_strings requires). */
as_err train_gguf_vocab(bpe_vocab **v, const gguf_file *g);

#endif
