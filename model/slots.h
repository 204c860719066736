/*
 * slots.h -- the fact-sheet values a summary states, each with a slot token
 * that stands for it in the distillation corpus (delexicalisation, as in
 * data-to-text NLG), and the filling of those slots from a fact sheet.
 *
 * The narrator writes every value through slot_render(), so a paragraph it
 * writes with slot tokens and then filled by slots_fill() is byte for byte
 * the paragraph it writes directly.  The student model learns to emit the
 * tokens ("<|ticker|> <|move_b|> on <|date_mdy|> ...") instead of copying
 * digits from its prompt; guard_summarize() fills them from the fact sheet
 * with the narrator's formatting before the guard reads the text, and the
 * guard checks the filled text exactly as it checks any other.  A move
 * (direction word plus number), a market-value phrase and the sentence on
 * the abnormal return's significance are one slot each, in three phrasings,
 * because their words must agree with the sign, size or significance of the
 * value.  A clause whose presence depends on the facts is one slot whose
 * text is empty when it does not apply, so the model never decides from a
 * number whether the clause is due: the market-value phrase (none under
 * $0.1bn), the sentence comparing the stock with its sector's peers (none
 * for a sector with fewer than two stocks in the study) and the closing
 * caveats (a short estimation window, a move the market explains).  A slot
 * the stock does not have (a second CAR window it lacks) or a token that is
 * not a slot ("<|summary|>") cannot be filled: it stays in the text as
 * written and is counted, and the caller treats the summary as failing the
 * guard.  Slot tokens are special tokens of the BPE vocabulary (never split,
 * model/bpe_train.h), spelled "<|name|>".
 */
#ifndef AS_SLOTS_H
#define AS_SLOTS_H

#include "common/error.h"
#include "model/factsheet.h"
#include "model/guard.h"

#include <stddef.h>
#include <stdio.h>

/* Stable order: the slot tokens get consecutive vocabulary ids in it. */
typedef enum slot_id {
    SLOT_TICKER,
    SLOT_DATE,         /* event day, ISO */
    SLOT_DATE_DMY,     /* "27 January 2025" */
    SLOT_DATE_MDY,     /* "January 27, 2025" */
    SLOT_MOVE_A,       /* the stock's day-0 move, "fell 16.97%", phrasing a/b/c */
    SLOT_MOVE_B,
    SLOT_MOVE_C,
    SLOT_MV_A,         /* ", wiping out about $1.2bn of market value", a/b/c */
    SLOT_MV_B,
    SLOT_MV_C,
    SLOT_MARKET,       /* market index ticker */
    SLOT_MKT_MOVE_A,   /* the market's day-0 move, a/b/c */
    SLOT_MKT_MOVE_B,
    SLOT_MKT_MOVE_C,
    SLOT_MKT_RET,      /* market return, signed */
    SLOT_AR0,
    SLOT_T0,
    SLOT_SIG_A,        /* the sentence on t0's significance, a/b/c */
    SLOT_SIG_B,
    SLOT_SIG_C,
    SLOT_PEERS_A,      /* the sentence comparing the stock with its sector, a/b/c */
    SLOT_PEERS_B,
    SLOT_PEERS_C,
    SLOT_WIN1,         /* "[-1,+1]" */
    SLOT_CAR1,
    SLOT_CAR1_T,
    SLOT_CAR1_SIG,     /* "a significant result" / "not significant" */
    SLOT_WIN2,
    SLOT_CAR2,
    SLOT_CAR2_T,
    SLOT_CAR2_SIG,
    SLOT_HEADLINE,     /* top headline's text */
    SLOT_SOURCE,
    SLOT_HEAD_DATE,
    SLOT_CAVEATS_A,    /* the caveats that apply, possibly none, phrasing a/b */
    SLOT_CAVEATS_B,
    SLOT_COUNT
} slot_id;

/* "<|ticker|>" etc.: the token's text. */
const char *slot_token(slot_id id);

/* The slot whose token is exactly s[0..len), or -1. */
int slot_find(const char *s, size_t len);

/* Length of the slot-shaped token "<|name|>" (name of [a-z0-9_]) at s, or 0. */
size_t slot_span(const char *s, size_t len);

/* Write slot id's value for fs->stocks[stock] as the narrator prints it.
 * Returns 1, or 0 (nothing written) when the stock has no such value. */
int slot_render(FILE *f, slot_id id, const factsheet *fs, int stock);

/* Fill the slot tokens of text for fs->stocks[stock]: *out a heap string
 * (caller frees); *n_bad the slot-shaped tokens left unfilled (unknown, or
 * a value the stock lacks).  AS_ERR_NOMEM only. */
as_err slots_fill(char **out, int *n_bad, const char *text, const factsheet *fs, int stock);

/* How many sentences of a slotted text are not among the narrator's sentence
 * forms (slots_grammar.c), the first of them copied into first (len bytes);
 * -1 when the forms could not be built (out of memory). */
int slots_unknown_sentences(const char *slotted, char *first, size_t len);

/* What guard_summarize() and the held-out scores do with a generated text:
 * fill its slots, then guard the filled text (model/guard.h).  *pass is 1
 * when no slot was left unfilled, every sentence is one of the narrator's
 * forms (checked when the text holds a slot token: a plain-text model's
 * wording is its own), every claim matches and the text states
 * at least one number; an unfilled slot counts in *g as a claim and a
 * number that failed.  *filled: heap, caller frees.  AS_ERR_NOMEM only. */
as_err slots_fill_check(int *pass, guard_report *g, char **filled, const char *text,
                        const factsheet *fs, int stock);

#endif
