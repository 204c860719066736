/*
 * distill.h -- distillation of the narrator into a small Llama model:
 * corpus, tokenizer, training loop, held-out scores, GGUF with metadata.
 *
 * A corpus document is one (fact sheet, stock) pair rendered as
 *     <|endoftext|> PROMPT <|summary|> SUMMARY <|endoftext|>
 * where PROMPT is factsheet_write_stock() and SUMMARY the teacher's text
 * delexicalised: narrator_write_slots(), every fact-sheet value (ticker,
 * dates, moves, AR, t, CARs, peers, headline...) a slot token of
 * model/slots.h that the summarizer fills from the sheet after generation;
 * the loss counts only the SUMMARY tokens and the closing <|endoftext|>.
 * Fact sheets come from distill_random_sheet() (seeds 1..n_facts); the
 * last heldout_pct percent of the sheets are never trained on and give the
 * held-out scores.  Real sheets (real_facts: a folder of fact-sheet files,
 * data/factsheets/ from the demo data's studies) are added to the training
 * documents, every one of them, with the narrator's phrasing seeded by the
 * sheet's date; the student is scored on them too ("real" scores), as a
 * check that it handles real studies, not as a held-out figure.  Scores are
 * all on the student's greedy summary with its slots
 * filled (slots_fill_check(), as the summarizer does before its guard):
 * ROUGE-L F1 against the teacher's plain text (Lin 2004, longest common
 * subsequence over words), the share of summaries that pass the guard as
 * generated (and state at least one number; a slot the stock lacks fails),
 * and the share of numbers in them that match the facts ("raw
 * faithfulness", before any regeneration or fallback; an unfilled slot
 * counts as a wrong number).
 * The teacher is the narrator, or a GGUF model on the engine (teacher:
 * model/distill_teacher.h): its summaries of the same sheets are the
 * corpus, every one failing the summarizer's check dropped and counted,
 * and the scores' reference is what it wrote (slots filled).  When its
 * vocabulary can be the student's, the student takes it instead of
 * learning a BPE, trains on the teacher's own ids and, with kl_k > 0 and
 * kl_weight > 0, on its top-kl_k probabilities (loss (1 - w) CE + w T^2
 * KL, model/train.h); the held-out KL of student against teacher is then
 * measured before and after training.
 */
#ifndef AS_DISTILL_H
#define AS_DISTILL_H

#include "common/error.h"
#include "model/bpe_train.h"
#include "model/factsheet.h"
#include "model/train.h"

typedef struct distill_opts {
    int n_facts;          /* fact sheets generated */
    int max_stocks;       /* stocks per sheet, at most */
    int heldout_pct;      /* percent of sheets held out */
    int n_eval;           /* held-out documents scored, at most */
    const char *real_facts; /* folder of real fact sheets (*.txt), or NULL */
    const char *teacher;  /* a GGUF teacher (model/distill_teacher.h); NULL: the narrator */
    int kl_k;             /* top-k of a teacher sharing the vocabulary; 0: text only */
    float kl_weight;      /* of the KL term against the cross-entropy (train.h) */
    float kl_temp;        /* temperature of the teacher's and student's distributions */
    int teacher_tokens;   /* a plain teacher's summary, at most */
    int threads;          /* the teacher's engine threads */
    int vocab;            /* BPE vocabulary size asked for */
    train_config model;   /* vocab and ctx are filled in by distill_run */
    int steps, batch, warmup;
    float lr, lr_min, weight_decay, clip;
    uint64_t seed;
    const char *checkpoint;  /* NULL: none */
    int checkpoint_every;
    int resume;              /* continue from the checkpoint when present */
    const char *out;         /* GGUF path */
    /* called every step; the CLI draws a progress line with it */
    void (*progress)(void *ctx, int step, int steps, float loss, float lr, double tok_per_s);
    /* a neural teacher's progress over the training sheets; NULL: none */
    void (*teacher_progress)(void *ctx, int sheets_done, int sheets);
    void *progress_ctx;
} distill_opts;

/* Defaults of `make model`: dim 96, 3 layers, 4 heads, ffn 256, ctx 384,
 * vocab 2048, 2000 fact sheets of up to 12 stocks, 2400 steps of batch 8;
 * see distill.c. */
void distill_opts_default(distill_opts *o);

typedef struct distill_scores {
    int n;                 /* documents scored */
    double rouge_l;        /* mean ROUGE-L F1 against the teacher */
    double pass_rate;      /* share passing the guard as generated */
    double num_faithful;   /* share of numbers matching the facts */
} distill_scores;

typedef struct distill_report {
    int n_docs, n_train_docs, n_heldout_docs, n_skipped; /* skipped: longer than ctx */
    long train_tokens;     /* summary+prompt tokens of the training documents */
    int steps_done;
    long tokens_seen;      /* document tokens (padding excluded) of the steps run here */
    double seconds, tok_per_s;
    float final_loss;
    distill_scores heldout;
    int n_real_sheets, n_real_docs; /* real sheets read, their documents trained on */
    distill_scores real;   /* on the real sheets' documents (trained on) */
    /* a neural teacher: summaries written for the training sheets (random
     * and real), those failing the summarizer's check (dropped), those
     * whose prompt did not fit its context; held-out ones dropped */
    int n_teacher_written, n_teacher_failed, n_teacher_too_long, n_heldout_teacher_failed;
    int vocab_from_teacher;
    int kl_measured;       /* the teacher's top-k were recorded (shared vocabulary, k > 0) */
    int kl_used;           /* and trained on (kl_weight > 0) */
    /* teacher-forced, on the held-out documents, before and after training:
     * mean KL(teacher || student) at kl_temp, and cross-entropy of the
     * teacher's tokens */
    double heldout_kl_initial, heldout_kl, heldout_ce_initial, heldout_ce;
} distill_report;

as_err distill_run(distill_report *r, const distill_opts *o);

/* ROUGE-L F1 over whitespace-separated words. */
double distill_rouge_l(const char *cand, const char *ref);

/* Greedy summaries of the given stocks' prompts with the model: out[i] is a
 * heap string (caller frees each).  Batched over the prompts. */
as_err distill_generate(char **out, const train_model *m, const bpe_vocab *v,
                        const char *const *prompts, int n);

/* Score the student on held-out sheets: seeds first_seed.. of the random
 * generator, at most n_eval documents. */
as_err distill_score(distill_scores *s, const train_model *m, const bpe_vocab *v,
                     const distill_opts *o);

/* Score on the real fact sheets of dir (as distill_run does with
 * real_facts): every stock whose prompt fits the student's context. */
as_err distill_score_real(distill_scores *s, const train_model *m, const bpe_vocab *v,
                          const char *dir);

/* The fact sheets DIR/NAME.txt in name order, each parsed (an error names the
 * file, line and field); free with distill_sheets_free. */
as_err distill_real_sheets(factsheet **sheets, int *n, const char *dir);
void distill_sheets_free(factsheet *sheets, int n);
/* The narrator's phrasing seed of a real sheet: its date as YYYYMMDD. */
uint64_t distill_real_seed(const factsheet *fs);

#endif
