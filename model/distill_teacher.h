/*
 * distill_teacher.h -- a GGUF model the engine runs as the teacher of
 * `aftershock model distill --teacher FILE.gguf`: its summaries of fact
 * sheets, checked as the summarizer checks any model's, and, when its
 * tokenizer can be the student's, its top-k next-token probabilities at
 * every summary position.
 *
 * Two kinds of teacher:
 *   summary  an Aftershock summary model (aftershock.teacher metadata and
 *            the <|summary|> token, e.g. model/weights/aftershock-
 *            summary.gguf): prompted exactly as the summarizer prompts it,
 *            <|endoftext|> factsheet_write_stock() <|summary|>
 *            (model/guard_summarize.h), greedy until <|endoftext|>; its
 *            text keeps the slot tokens, which is what the student learns;
 *   plain    any other model (a Llama or Qwen instruct GGUF): an
 *            instruction prompt holding the stock's fact sheet, in the
 *            file's chat template when it has one we know (model/chat.h),
 *            else as plain text; greedy, at most max_tokens tokens, up to
 *            its end-of-generation token or a blank line; its plain text is
 *            the summary.
 * Either summary must pass slots_fill_check() (model/slots.h), exactly as
 * guard_summarize_sheet() requires of a generated summary before it keeps
 * it; one that does not is reported as failed and the caller drops it, so
 * the student never learns a misquoting teacher (an unfinished summary,
 * cut by the context, fails too).  A teacher's vocabulary is shared with
 * the student when it is a byte-level BPE the trainer's encoder speaks
 * (tokenizer.ggml.model "gpt2", pre "gpt-2", with <|endoftext|> and
 * <|summary|>: a summary teacher made by this project); then each summary
 * also carries the teacher's ids (prompt and summary, as the teacher saw
 * them) and, at each position that predicts a summary token or the closing
 * <|endoftext|>, the k most likely tokens and their probabilities at
 * temperature temp, computed by the engine on the teacher's own greedy
 * sequence (teacher forcing).  The teacher does not train anything
 * (model/distill.h does).
 */
#ifndef AS_DISTILL_TEACHER_H
#define AS_DISTILL_TEACHER_H

#include "common/error.h"
#include "model/bpe_train.h"
#include "model/factsheet.h"

#include <stdint.h>

typedef struct teacher_opts {
    int k;            /* top-k recorded with a shared vocabulary; 0: none */
    float temp;       /* temperature of the recorded probabilities */
    int max_tokens;   /* a plain teacher's summary, at most */
    int threads;
} teacher_opts;

typedef struct distill_teacher distill_teacher;

/* Load path; AS_ERR_* from the engine naming the file when it cannot run
 * it.  distill_teacher_close frees. */
as_err distill_teacher_open(distill_teacher **out, const char *path, const teacher_opts *o);
void distill_teacher_close(distill_teacher *t);

int distill_teacher_is_summary_model(const distill_teacher *t);
/* "summary" or "plain". */
const char *distill_teacher_kind(const distill_teacher *t);
/* general.name of the teacher. */
const char *distill_teacher_model_name(const distill_teacher *t);
/* The shared vocabulary, or NULL; owned by the teacher unless taken:
 * distill_teacher_take_vocab hands it to the caller (bpe_vocab_free). */
const bpe_vocab *distill_teacher_vocab(const distill_teacher *t);
bpe_vocab *distill_teacher_take_vocab(distill_teacher *t);
/* The file's base name and sha256 (hex). */
const char *distill_teacher_file(const distill_teacher *t);
const char *distill_teacher_sha256(const distill_teacher *t);

typedef struct teacher_summary {
    char *text;       /* what the student learns: slot tokens kept (summary) or plain; heap */
    char *filled;     /* the text with its slots filled: what it says; heap */
    int pass;         /* passed slots_fill_check */
    int too_long;     /* the prompt did not fit the teacher's context: no text */
    /* with a shared vocabulary and k > 0, on a passing summary: */
    int32_t *ids;     /* (n_ids) <|endoftext|> prompt <|summary|> summary <|endoftext|> */
    int n_ids, n_prompt; /* n_prompt: ids up to and including <|summary|> */
    int32_t *top_ids; /* (n_ids - n_prompt, k) */
    float *top_p;     /* (n_ids - n_prompt, k) */
} teacher_summary;

/* Summaries of n stocks: out[i] for sheets[i]'s stock stocks[i], decoded
 * in batches.  On error every out[i] is freed. */
as_err distill_teacher_write(teacher_summary *out, distill_teacher *t,
                             const factsheet *const *sheets, const int *stocks, int n);
void teacher_summary_free(teacher_summary *s);

#endif
