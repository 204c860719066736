/*
 * bpe_train.h -- byte-level BPE vocabulary training (GPT-2 style) for the
 * distilled model, and the encoder/decoder the trainer uses.
 *
 * Text is split by the GPT-2 pre-tokenizer (tokenizer.ggml.pre = "gpt-2",
 * which the engine's tokenizer supports): contractions, an optional space
 * plus a run of letters, of digits, or of other symbols, then whitespace
 * runs.  Bytes >= 0x80 count as letters: exact for the ASCII text the
 * narrator writes, an approximation of the Unicode classes otherwise.
 * Merges are learned greedily by pair frequency (Sennrich et al. 2016), ties
 * broken by the smaller (left, right) id so training is deterministic.
 * Ids: 0..255 the bytes (in byte order), then one id per merge, then the
 * special tokens <|endoftext|> (BOS and EOS) and <|summary|> (separates the
 * fact sheet from the summary), then the slot tokens of model/slots.h in
 * slot order ("<|ticker|>", ...: values the summary states, filled from the
 * fact sheet after generation).  Special tokens are never split nor merged:
 * the encoder cuts slot tokens out of the text before pre-tokenizing.  Token and merge strings for GGUF use GPT-2's
 * byte-to-unicode mapping.  The engine's own tokenizer (model/tokenizer.h)
 * is the one used at inference; this encoder gives the same ids on ASCII.
 */
#ifndef AS_BPE_TRAIN_H
#define AS_BPE_TRAIN_H

#include "common/error.h"
#include "model/slots.h"

#include <stddef.h>
#include <stdint.h>

typedef struct bpe_vocab {
    int n_tokens;
    char **raw;            /* (n_tokens) raw bytes of each token, heap */
    int *raw_len;          /* (n_tokens) */
    int n_merges;
    int32_t *merge_pair;   /* (n_merges, 2) left, right ids; rank = index */
    int32_t *merge_id;     /* (n_merges) resulting token id */
    int32_t eot, sep;      /* <|endoftext|>, <|summary|> */
    int32_t slots[SLOT_COUNT]; /* id of each slot token; -1 in a vocabulary without slots */
    uint64_t *pair_keys;   /* open-addressing table (left, right) -> rank */
    int32_t *pair_rank;
    size_t pair_cap;
} bpe_vocab;

/* Learn a vocabulary of vocab_size tokens (>= 258 + SLOT_COUNT: the bytes,
 * the two specials and the slot tokens) from n_docs texts.  *out: bpe_vocab_free frees. */
as_err bpe_train(bpe_vocab **out, const char *const *docs, const size_t *lens, int n_docs,
                 int vocab_size);

/* Rebuild from GGUF-style strings (tokens in byte-to-unicode form, merges
 * "left right"); source names the file in messages. */
as_err bpe_vocab_from_strings(bpe_vocab **out, const char *const *tokens, const size_t *tok_lens,
                              int n_tokens, const char *const *merges, const size_t *merge_lens,
                              int n_merges, const char *source);
void bpe_vocab_free(bpe_vocab *v);

/* Append one id to *ids (heap array of *cap, *n used; grown as needed). */
as_err bpe_ids_push(int32_t **ids, int *n, int *cap, int32_t id);

/* Append the ids of text to *ids (heap array of *cap; grown as needed). */
as_err bpe_encode(int32_t **ids, int *n, int *cap, const bpe_vocab *v, const char *text,
                  size_t len);

/* 1 when id is <|endoftext|>, <|summary|> or a slot token. */
int bpe_is_special(const bpe_vocab *v, int id);

/* The bytes of ids, <|endoftext|> and <|summary|> dropped, slot tokens kept
 * as their text: heap string, caller frees; NULL when
 * out of memory. */
char *bpe_decode(const bpe_vocab *v, const int32_t *ids, int n);

/* GGUF form of token id / merge i: heap nul-terminated strings. */
char *bpe_token_string(const bpe_vocab *v, int id);
char *bpe_merge_string(const bpe_vocab *v, int i);

#endif
