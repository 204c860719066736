/*
 * train_corpus.h -- the corpus file of `aftershock model train`: documents
 * to train a language model on, in one of two documented formats.
 *
 *   text   plain UTF-8 text; documents are separated by one or more blank
 *          lines (empty, or spaces and tabs only); the lines of a document
 *          are joined with "\n" (a CR before the line end is dropped).  The
 *          model learns every token of a document.
 *   jsonl  one JSON object per line, {"prompt": "...", "completion": "..."}
 *          (other members are ignored; blank lines are skipped).  A
 *          document is prompt <|summary|> completion, the format of the
 *          distilled summary model (model/distill.h), and the model learns
 *          the completion only.
 *
 * The format follows the file name (".jsonl": jsonl, anything else: text)
 * unless one is asked for.  Bad input -- not UTF-8, a NUL byte, a line that
 * is not a JSON object, a member missing, not a string or empty, no
 * document at all -- fails with AS_ERR_PARSE naming the file, the line and
 * the field.  Reading only: tokenizing and training are model/train_lm.h.
 */
#ifndef AS_TRAIN_CORPUS_H
#define AS_TRAIN_CORPUS_H

#include "common/error.h"

typedef enum train_corpus_format {
    TRAIN_CORPUS_AUTO,
    TRAIN_CORPUS_TEXT,
    TRAIN_CORPUS_JSONL,
} train_corpus_format;

typedef struct train_text {
    char *prompt;  /* heap; NULL in a text corpus */
    char *text;    /* heap: the document (text) or the completion (jsonl) */
    int line;      /* first line of the document in the file */
} train_text;

typedef struct train_corpus {
    train_corpus_format format; /* TEXT or JSONL, never AUTO */
    int n;
    train_text *docs;           /* (n) heap */
} train_corpus;

/* Read path (format AUTO: by its name).  On success *c is filled
 * (train_corpus_free frees); on failure it is empty. */
as_err train_corpus_read(train_corpus *c, const char *path, train_corpus_format format);
void train_corpus_free(train_corpus *c);

/* "text" or "jsonl"; -1 from parse for anything else. */
const char *train_corpus_format_name(train_corpus_format f);
int train_corpus_format_parse(const char *s);

#endif
