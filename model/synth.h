/*
 * synth.h -- write a random-weight Llama or Qwen2 GGUF of any shape, with a
 * small but usable SentencePiece-style vocabulary and a chat template in its
 * metadata, for benchmarks at real model sizes and for round-trip tests.
 *
 * Weights are drawn from a seeded generator (same seed, same file), scaled
 * like an initialised network (std 0.02, norms 1), then quantized to the
 * requested type with model/quant.h (or to the Q4_K_M mix, which is what
 * users download).  Embeddings are tied, as in SmolLM2 and
 * Qwen2.5; qwen2 files get QKV biases.  The text such a model writes is
 * noise: this is not a trained model.
 */
#ifndef AS_SYNTH_H
#define AS_SYNTH_H

#include "model/gguf.h"
#include "model/transformer.h"

typedef struct synth_params {
    model_arch arch;
    int dim, n_layers, n_heads, n_kv_heads, ffn_dim, vocab_size;
    ggml_type type;      /* for the 2-D tensors (Q4_0: the embedding is Q8_0, as
                          * llama-quantize writes it); norms and biases stay F32 */
    uint64_t seed;
    int q4_k_m;          /* 1: ignore type and mix Q4_K, Q6_K and fallbacks per
                          * tensor as llama-quantize's Q4_K_M does (synth.c) */
} synth_params;

/* Check p and write the file atomically (temporary name, then rename). */
as_err synth_write(const synth_params *p, const char *path);

#endif
