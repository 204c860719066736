/*
 * guard_summarize.h -- summaries that never misquote: generate with a GGUF
 * model on the engine, check with the guard, regenerate once, fall back to
 * the narrator.
 *
 * One summarizer holds a loaded model (model/transformer.h), its tokenizer
 * and a state for up to n_seq sequences; guard_summarize_sheet() writes one
 * summary per stock of a fact sheet, all stocks decoded together (batched
 * generation, model/generate.h).  The prompt of a stock is
 *     <|endoftext|> factsheet_write_stock() <|summary|>
 * as the distilled model was trained (model/distill.h).  The model writes
 * slot tokens for the facts ("<|ticker|> <|move_a|> ..."); they are filled
 * from the sheet with the narrator's formatting (model/slots.h) and the
 * guard then checks the filled text as it checks any text; a slot the stock
 * has no value for fails the attempt.  Attempt 1 is greedy; a summary that fails the guard is regenerated with temperature
 * 0.7 (attempt 2); if that fails too the narrator's paragraph is used and
 * the summary is flagged.  The flags are what the summaries table stores.
 * It does not open the database.
 */
#ifndef AS_GUARD_SUMMARIZE_H
#define AS_GUARD_SUMMARIZE_H

#include "common/error.h"
#include "model/factsheet.h"

#include <stdint.h>

typedef struct summary {
    char *text;            /* heap, the summary kept */
    int raw_pass;          /* attempt 1, slots filled, passed the guard */
    int attempts;          /* model attempts made: 1 or 2 */
    int fallback;          /* 1: text is the narrator's */
    int n_numbers, n_bad_numbers; /* of attempt 1, before the guard */
} summary;

typedef struct guard_summarizer guard_summarizer;

/* Load path for up to n_seq stocks per sheet on n_threads threads. */
as_err guard_summarizer_open(guard_summarizer **out, const char *path, int n_seq, int n_threads);
void guard_summarizer_close(guard_summarizer *s);
/* general.name of the model and its aftershock.teacher ("narrator", or "" if
 * the file does not say). */
const char *guard_summarizer_model(const guard_summarizer *s);
const char *guard_summarizer_teacher(const guard_summarizer *s);

/* out has fs->n_stocks entries; free each text with summary_free. */
as_err guard_summarize_sheet(summary *out, guard_summarizer *s, const factsheet *fs,
                             uint64_t seed);
void summary_free(summary *s);

#endif
