/*
 * train.h -- the trainable Llama decoder: config, parameters, gradients,
 * AdamW state, activations; forward, backward, optimizer step, learning
 * rate schedule, checkpoints, and a KV-cached decoder for evaluation.
 *
 * Layout follows llm.c: every parameter tensor is a slice of one arena
 * carved by a size table (train_param_sizes), gradients and the two AdamW
 * moments are arenas of the same shape, activations one arena carved for
 * (B, T) on each new shape and grown only when a shape needs more.  The architecture is exactly what the engine runs for
 * general.architecture = "llama": token embedding, per layer RMSNorm ->
 * Q/K/V (no bias, n_kv_heads = n_heads) -> RoPE (pairs 2i, 2i+1) -> causal
 * attention -> output projection -> residual -> RMSNorm -> SwiGLU -> down
 * projection -> residual, final RMSNorm, output projection (tied to the
 * embedding or not).  Everything is float32 and deterministic: the same
 * seed and data give the same bytes (OpenBLAS sgemm is deterministic for a
 * fixed thread count, OPENBLAS_NUM_THREADS, which `make model` sets).
 * Tokenizing, data and the GGUF file live elsewhere (model/bpe_train.h,
 * model/distill.h, model/train_gguf.h).
 */
#ifndef AS_TRAIN_H
#define AS_TRAIN_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct train_config {
    int vocab;
    int dim;       /* C */
    int n_layers;  /* L */
    int n_heads;   /* NH; head_dim = dim / n_heads */
    int ffn_dim;   /* F */
    int ctx;       /* the longest sequence, llama.context_length */
    int tied;      /* 1: output projection is the token embedding */
    float rope_base;
    float norm_eps;
} train_config;

enum {
    TP_WTE,       /* (V, C) */
    TP_ATTN_NORM, /* (L, C) */
    TP_WQ,        /* (L, C, C) */
    TP_WK,        /* (L, C, C) */
    TP_WV,        /* (L, C, C) */
    TP_WO,        /* (L, C, C) */
    TP_FFN_NORM,  /* (L, C) */
    TP_WGATE,     /* (L, F, C) */
    TP_WUP,       /* (L, F, C) */
    TP_WDOWN,     /* (L, C, F) */
    TP_OUT_NORM,  /* (C) */
    TP_WOUT,      /* (V, C); 0 elements when tied */
    TP_COUNT
};

typedef struct train_acts {
    int B, T;
    float *encoded;   /* (N, C) */
    float *ln1;       /* (L, N, C) */
    float *ln1_rstd;  /* (L, N) */
    float *q, *k, *v; /* (L, N, C) after RoPE (q, k) */
    float *att;       /* (L, B, NH, T, T) */
    float *atty;      /* (L, N, C) */
    float *res1;      /* (L, N, C) */
    float *ln2;       /* (L, N, C) */
    float *ln2_rstd;  /* (L, N) */
    float *hg, *hu;   /* (L, N, F) */
    float *hh;        /* (L, N, F) */
    float *res2;      /* (L, N, C) */
    float *lnf;       /* (N, C) */
    float *lnf_rstd;  /* (N) */
    float *logits;    /* (N, V); probabilities, then d loss / d logits */
    /* backward scratch */
    float *dres, *dln, *dtmp;   /* (N, C) */
    float *dq, *dk, *dv;        /* (N, C) */
    float *dhh, *dhg, *dhu;     /* (N, F) */
    float *datt;                /* (T) */
    float *dsoft;               /* (N, V) the KL term's gradient; only with soft targets */
    float *kl_row;              /* (V) scratch of the KL term */
    int soft;                   /* the arena was carved with dsoft */
    float *arena;
    size_t arena_cap;           /* floats allocated; reused while a shape fits */
} train_acts;

typedef struct train_model {
    train_config c;
    size_t sizes[TP_COUNT];
    float *p[TP_COUNT];   /* views into params */
    float *g[TP_COUNT];   /* views into grads */
    size_t n_params;
    float *params, *grads, *m, *v;
    train_acts a;
    const int32_t *tokens;   /* the last forward's inputs (B*T), borrowed */
    const int32_t *targets;
    const float *weights;
    float loss;             /* of the last forward: (1 - w) CE + w temp^2 KL */
    float loss_ce, loss_kl; /* its parts: mean CE, mean KL (0 without soft targets) */
} train_model;

/*
 * Soft targets for distillation: at each of the B*T positions the
 * teacher's k most likely next tokens and their probabilities at
 * temperature temp (train_layers.h, kl_topk_forward_backward), with their
 * own per-position weight (0: no teacher distribution there).  The loss
 * becomes (1 - weight) * CE(targets) + weight * temp^2 * KL(teacher ||
 * student), the mix of Hinton et al. 2015 with its temp^2 factor.
 */
typedef struct train_soft {
    int k;
    const int32_t *ids;   /* (B*T, k) */
    const float *p;       /* (B*T, k) */
    const float *row_w;   /* (B*T) */
    float weight;         /* of the KL term, in [0, 1] */
    float temp;           /* > 0 */
} train_soft;

/* Element count of each tensor for c. */
void train_param_sizes(size_t sizes[TP_COUNT], const train_config *c);

/* A model with weights drawn from seed (normal, s.d. 0.02; the output and
 * down projections scaled by 1/sqrt(2L) as in GPT-2; norms 1).  Checks the
 * config (AS_ERR_USAGE naming the field).  train_model_free frees. */
as_err train_model_new(train_model **out, const train_config *c, uint64_t seed);
void train_model_free(train_model *m);

/* Forward over tokens (B, T) with next-token targets (B, T) and per-token
 * loss weights (B, T) or NULL; returns the mean weighted loss (also in
 * m->loss).  targets NULL: logits only (m->a.logits, raw, not softmaxed).
 * The arrays are borrowed until train_backward. */
as_err train_forward(train_model *m, const int32_t *tokens, const int32_t *targets,
                     const float *weights, int B, int T);
/* The same with soft targets (soft NULL: train_forward); needs targets.
 * Borrowed like the rest until train_backward. */
as_err train_forward_soft(train_model *m, const int32_t *tokens, const int32_t *targets,
                          const float *weights, const train_soft *soft, int B, int T);
/* Gradients of the last forward (with targets) into m->grads (added). */
void train_backward(train_model *m);
void train_zero_grad(train_model *m);
/* Scale gradients so their global L2 norm is at most max_norm; returns the
 * norm before clipping. */
float train_clip_grad(train_model *m, float max_norm);
/* One AdamW step (Loshchilov & Hutter 2019), bias-corrected, t = step + 1;
 * weight decay on matrices and the embedding only, not on norm weights. */
void train_adamw(train_model *m, float lr, float beta1, float beta2, float eps, float wd,
                 int step);
/* Linear warm-up to lr_max over warmup steps, then cosine to lr_min at
 * total steps. */
float train_lr(int step, int warmup, int total, float lr_max, float lr_min);

/* Checkpoint: config, step, parameters and AdamW moments; written to a
 * temporary name and renamed.  Load checks the config matches c. */
as_err train_checkpoint_save(const train_model *m, int step, const char *path);
as_err train_checkpoint_load(train_model *m, int *step, const char *path);

/*
 * KV-cached decoding for evaluation and generation without the engine.
 * One state holds n_seq sequences of up to ctx positions.  train_decode
 * runs n items (token, pos, seq); every earlier position of each item's
 * sequence must be in the cache or earlier in the same call.  Logits of
 * every item are rows of s->logits (n, V).
 */
typedef struct train_decoder {
    const train_model *m;
    int n_seq, max_items;
    float *kc, *vc;        /* (n_seq, L, ctx, C) */
    float *x, *xb, *q, *k, *v, *att_out, *tmp; /* (max_items, C) */
    float *hg, *hu;        /* (max_items, F) */
    float *scores;         /* (ctx) */
    float *rstd;           /* (max_items) */
    float *logits;         /* (max_items, V) */
    float *arena;
} train_decoder;

as_err train_decoder_new(train_decoder **out, const train_model *m, int n_seq, int max_items);
void train_decoder_free(train_decoder *d);
as_err train_decode(train_decoder *d, const int32_t *tokens, const int *pos, const int *seq,
                    int n);

#endif
