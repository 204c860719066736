/*
 * transformer.h -- the Llama / Qwen2 decoder: configuration, weights and the
 * per-run state, laid out as in llama2.c (config, weights, state structs).
 *
 * A model is read-only after model_open() and may be shared by several
 * states.  A state holds the activations for up to max_batch tokens per
 * forward call and the KV cache of n_seq independent sequences of up to
 * n_ctx positions.  One forward call takes a batch of (token, position,
 * sequence) items: a prompt prefill is one sequence at consecutive positions,
 * batched decoding is one item per sequence.  The model does not tokenize or
 * sample (model/tokenizer.h, model/sampler.h) and does not loop over steps
 * (model/generate.h).
 */
#ifndef AS_TRANSFORMER_H
#define AS_TRANSFORMER_H

#include "model/gguf.h"
#include "model/matmul.h"
#include "model/pool.h"

typedef enum model_arch { MODEL_ARCH_LLAMA, MODEL_ARCH_QWEN2 } model_arch;

typedef struct model_config {
    model_arch arch;
    int dim;          /* embedding width */
    int n_layers;
    int n_heads;
    int n_kv_heads;   /* < n_heads: grouped-query attention */
    int head_dim;
    int ffn_dim;
    int vocab_size;
    int ctx_len;      /* training context, the cap for n_ctx */
    int rope_dim;     /* leading dims of each head that are rotated */
    int rope_neox;    /* 1: pairs (i, i + rope_dim/2); 0: pairs (2i, 2i+1) */
    float rope_theta;
    float norm_eps;
    int has_qkv_bias;
    int tied_output;  /* output projection shares token_embd */
    int bos_id, eos_id; /* -1 when absent */
} model_config;

typedef struct layer_weights {
    float *attn_norm;    /* (dim) */
    qmat wq;             /* (n_heads * head_dim, dim) */
    qmat wk;             /* (n_kv_heads * head_dim, dim) */
    qmat wv;             /* (n_kv_heads * head_dim, dim) */
    qmat wo;             /* (dim, n_heads * head_dim) */
    float *bq, *bk, *bv; /* (q_dim), (kv_dim), (kv_dim); NULL without bias */
    float *ffn_norm;     /* (dim) */
    qmat w_gate;         /* (ffn_dim, dim) */
    qmat w_up;           /* (ffn_dim, dim) */
    qmat w_down;         /* (dim, ffn_dim) */
} layer_weights;

typedef struct model_weights {
    qmat token_embd;     /* (vocab, dim) */
    float *output_norm;  /* (dim) */
    qmat output;         /* (vocab, dim); same data as token_embd when tied */
    layer_weights *layers; /* (n_layers) */
} model_weights;

typedef struct model {
    model_config c;
    model_weights w;
    gguf_file *file;     /* owns the mapping the qmats point into */
    float *params;       /* one arena for the norm and bias vectors */
    float *packed;       /* one arena for the k-major copies of small F32 matrices
                          * (qmat.packed; gemm_f32.h), or NULL */
    char *chat_template; /* tokenizer.chat_template or NULL; heap */
    char *name;          /* general.name or the file name; heap */
} model;

/* Load path.  *out is a new model; model_close frees it. */
as_err model_open(model **out, const char *path);
void model_close(model *m);

/* Parameter count and weight bytes read per decoded token (all matrices,
 * the output projection once, not the embedding lookup). */
uint64_t model_param_count(const model *m);
uint64_t model_weight_bytes(const model *m);

typedef struct model_state {
    const model *m;
    int n_seq, n_ctx, max_batch;
    /* activations, one allocation carved by a size table */
    float *x;        /* (max_batch, dim) residual stream */
    float *xb;       /* (max_batch, max(dim, q_dim)) normed input / attention out */
    float *xb2;      /* (max_batch, dim) projection output */
    float *q;        /* (max_batch, q_dim) */
    float *k;        /* (max_batch, kv_dim) */
    float *v;        /* (max_batch, kv_dim) */
    float *hb;       /* (max_batch, ffn_dim) gate, then silu(gate) * up */
    float *hb2;      /* (max_batch, ffn_dim) up */
    float *att;      /* (n_threads, n_ctx) attention scores per thread */
    float *rope;     /* (max_batch, rope_dim) cos, sin interleaved per item */
    float *logits;   /* (max_batch, vocab) rows for the items that asked */
    float *arena;
    /* KV cache in half precision, llama.cpp's default cache type: it halves
     * the memory and keeps our logits within 1e-4 of llama.cpp's */
    uint16_t *key_cache;   /* (n_seq, n_layers, n_ctx, kv_dim) */
    uint16_t *value_cache; /* (n_seq, n_layers, n_ctx, kv_dim) */
    matmul_ctx mm;
    pool *pool;
    /* device side of a state made by cuda_state_new (model/backend_cuda.h):
     * then model_forward runs there and only logits is used here; else NULL */
    struct cuda_state *cuda;
} model_state;

/* A state for n_seq sequences of n_ctx positions (n_ctx <= ctx_len), up to
 * max_batch items per forward, n_threads threads.  use_ref selects the
 * plain-loop kernels (tests).  model_state_free frees it. */
as_err model_state_new(model_state **out, const model *m, int n_seq, int n_ctx,
                       int max_batch, int n_threads, int use_ref);
void model_state_free(model_state *s);

typedef struct model_batch {
    int n;
    const int *tokens;   /* (n) */
    const int *pos;      /* (n) position of each item in its sequence */
    const int *seq;      /* (n) sequence of each item */
    const char *want;    /* (n) 1: return logits for this item; NULL: last only */
} model_batch;

/* Run the batch; every earlier position of each item's sequence must be in
 * the cache already or earlier in the batch.  Logits of the wanted items,
 * in batch order, are rows of s->logits; *n_out is their count. */
as_err model_forward(model_state *s, const model_batch *b, int *n_out);

#endif
