/*
 * train_lm.h -- `aftershock model train`: a Llama-architecture language
 * model trained from a corpus file with the project's trainer, written as
 * GGUF the engine runs.
 *
 * The corpus (model/train_corpus.h) is split in file order: the last
 * heldout_pct percent of its documents (at least one, when heldout_pct >
 * 0) are held out, the rest train.  A byte-level BPE vocabulary is learned
 * from the training documents only (model/bpe_train.h), each document
 * becomes <|endoftext|> TEXT <|endoftext|> (text) or <|endoftext|> PROMPT
 * <|summary|> COMPLETION <|endoftext|> (jsonl), and the loop of
 * model/train_loop.h trains on them.  A text document longer than the
 * context is cut into consecutive windows of ctx + 1 tokens that overlap
 * by one (every token is a target exactly once); a jsonl document must fit
 * whole and is skipped (and counted) otherwise.  The held-out loss (mean
 * cross-entropy per target token, nats) is measured before and after
 * training.  The GGUF records the corpus file name, its sha256, format,
 * sizes, the options and the losses under aftershock.* keys, and asks the
 * engine's tokenizer to add <|endoftext|> before a prompt, so `aftershock
 * model run FILE -p TEXT` continues TEXT as the model learned documents
 * to start.
 */
#ifndef AS_TRAIN_LM_H
#define AS_TRAIN_LM_H

#include "common/error.h"
#include "model/train.h"
#include "model/train_corpus.h"

typedef struct train_lm_opts {
    const char *corpus;          /* file */
    train_corpus_format format;  /* AUTO: by the file name */
    int heldout_pct;             /* 0..50 */
    int vocab;                   /* BPE vocabulary size asked for */
    train_config model;          /* vocab is filled in */
    int steps, batch, warmup;
    float lr, lr_min, weight_decay, clip;
    uint64_t seed;
    const char *checkpoint;      /* NULL: none */
    int checkpoint_every;
    int resume;
    const char *out;             /* GGUF path */
    void (*progress)(void *ctx, int step, int steps, float loss, float lr, double tok_per_s);
    void *progress_ctx;
} train_lm_opts;

/* dim 64, 2 layers, 4 heads, ffn 172, ctx 256, vocab 1024, 500 steps of
 * batch 8, lr 3e-3 (warm-up 25, cosine to 3e-4), 10% held out. */
void train_lm_opts_default(train_lm_opts *o);

typedef struct train_lm_report {
    train_corpus_format format;
    int n_docs, n_train_docs, n_heldout_docs;
    int n_train_seqs, n_heldout_seqs; /* after cutting long text documents */
    int n_skipped;                    /* jsonl documents longer than the context */
    long train_tokens, heldout_targets;
    int vocab;                        /* tokens in the learned vocabulary */
    int steps_done;
    long tokens_seen;
    double seconds, tok_per_s;
    float final_loss;
    double heldout_loss_before, heldout_loss; /* NAN without a held-out split */
    char sha256[65];                  /* of the corpus file */
} train_lm_report;

as_err train_lm_run(train_lm_report *r, const train_lm_opts *o);

#endif
