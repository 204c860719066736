/*
 * train_loop.h -- the training loop that `model distill` and `model train`
 * share: documents in, a trained model out, with the schedule, clipping,
 * AdamW, checkpoints and the progress callback; and the mean loss of a set
 * of documents without training (held-out loss).
 *
 * A document is a token sequence BOS ... EOS and the index loss_from of
 * its first target that counts: a distillation document counts its
 * summary and closing EOS (loss_from = the index after <|summary|>), a
 * plain text document all its tokens after BOS (loss_from = 1).  A batch
 * takes B documents of the seeded order, padded with pad at weight 0, and
 * is trimmed to its longest document.  The order is a Fisher-Yates
 * shuffle of the documents given, drawn with splitmix64 from seed, and
 * step k takes documents k*B .. k*B+B-1 of it (wrapping); so the same
 * documents, options and seed give the same model bytes, and a run resumed
 * from its checkpoint gives what an uninterrupted one does (the step is in
 * the checkpoint; the order is recomputed).  With soft_k > 0 a document
 * may carry its teacher's top-k distribution at each counted target, and
 * the loss mixes the KL against it with the cross-entropy (train.h,
 * train_soft); a document without one trains on its tokens only.  The
 * documents are borrowed.
 * This file does not tokenize, build corpora nor write GGUF.
 */
#ifndef AS_TRAIN_LOOP_H
#define AS_TRAIN_LOOP_H

#include "common/error.h"
#include "model/train.h"

#include <stdint.h>

typedef struct train_doc {
    const int32_t *ids;   /* (n_ids) BOS ... EOS */
    int n_ids;            /* at most ctx + 1: inputs are ids[0..n_ids-2] */
    int loss_from;        /* targets ids[loss_from..n_ids-1] count, loss_from >= 1 */
    const int32_t *soft_ids; /* (n_ids - loss_from, soft_k) teacher's top-k, or NULL */
    const float *soft_p;     /* (n_ids - loss_from, soft_k) their probabilities */
} train_doc;

typedef struct train_loop_opts {
    int steps, batch, warmup;
    float lr, lr_min, weight_decay, clip;
    uint64_t seed;           /* of the document order */
    int32_t pad;             /* id filling a batch's short rows (at weight 0) */
    const char *checkpoint;  /* NULL: none */
    int checkpoint_every;
    int resume;              /* continue from the checkpoint when present */
    int soft_k;              /* 0: cross-entropy only */
    float soft_weight, soft_temp; /* the KL term's weight and temperature */
    /* called every step; the CLI draws a progress line with it */
    void (*progress)(void *ctx, int step, int steps, float loss, float lr, double tok_per_s);
    void *progress_ctx;
} train_loop_opts;

typedef struct train_loop_report {
    int steps_done;
    long tokens_seen;      /* document tokens (padding excluded) of the steps run here */
    double seconds, tok_per_s;
    float final_loss;      /* of the last step's batch */
    float final_ce, final_kl; /* its parts (train_model loss_ce, loss_kl) */
} train_loop_report;

/* Train m on docs[which[0..n)] for o->steps steps (from the checkpoint's
 * step with o->resume).  Every document must fit m's context. */
as_err train_loop_run(train_loop_report *r, train_model *m, const train_doc *docs,
                      const int *which, int n, const train_loop_opts *o);

/* Mean cross-entropy per counted target over docs[which[0..n)], o->batch
 * documents at a time, the model unchanged; *n_targets the targets
 * counted.  With o->soft_k, *kl is the mean KL (at o->soft_temp, without
 * its temp^2) over the targets that have a teacher distribution, else 0;
 * kl may be NULL. */
as_err train_loop_eval(double *loss, double *kl, long *n_targets, train_model *m,
                       const train_doc *docs, const int *which, int n, const train_loop_opts *o);

#endif
