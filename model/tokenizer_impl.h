/*
 * tokenizer_impl.h -- the inside of a tokenizer, shared by tokenizer.c
 * (building, special tokens, decoding), tokenizer_spm.c, tokenizer_bpe.c and
 * tokenizer_pre.c.  Not for callers outside model/tokenizer*.c.
 *
 * Strings are interned: ids 0..n_vocab-1 are the tokens themselves, ids
 * from n_vocab up are strings that only the BPE merges mention.  A BPE
 * symbol is then an int, and a merge is a lookup of the pair (left id, right
 * id) in merge_slots, so the merge loop never hashes text.  When two tokens
 * share one text the later id owns it, as in llama.cpp's token_to_id map.
 */
#ifndef AS_TOKENIZER_IMPL_H
#define AS_TOKENIZER_IMPL_H

#include "model/tokenizer.h"

enum tok_kind { TOK_SPM = 1, TOK_BPE = 2 };
enum tok_pre { TOK_PRE_NONE = 0, TOK_PRE_GPT2, TOK_PRE_LLAMA3, TOK_PRE_QWEN2 };

typedef struct tok_merge_slot {
    int32_t a, b;          /* interned ids of left and right; a == -1: empty */
    int32_t rank;          /* line of the merge in tokenizer.ggml.merges */
    int32_t result;        /* interned id of left+right */
} tok_merge_slot;

struct tokenizer {
    enum tok_kind kind;
    enum tok_pre pre;
    int32_t n_vocab;

    /* interned strings: text[off[i] .. off[i]+len[i]) */
    char *text;
    size_t text_used, text_cap;
    uint32_t *off, *len;      /* (n_strings) */
    int32_t n_strings, strings_cap;
    int32_t *str_slots;       /* open addressing: string id, -1 empty */
    size_t str_mask;

    float *score;             /* (n_vocab) */
    int32_t *type;            /* (n_vocab) TOKEN_TYPE_* */
    uint8_t *eog;             /* (n_vocab) 1 for end-of-generation tokens */

    tok_merge_slot *merge_slots;
    size_t merge_mask;        /* 0 when there are no merges */

    int32_t bos, eos, unk, eot, eom, pad;
    int add_bos, add_eos, add_space_prefix;
    int ignore_merges;        /* llama-bpe: a word that is a token stays whole */
    /* SPM: no token has a "▁" right after another character.  Every merged
     * symbol is a token, so then no symbol can span the point before a "▁"
     * that follows a non-"▁" symbol, and the text may be merged word by word
     * with the same result as one queue over all of it. */
    int spm_word_split;

    int32_t *special;         /* token ids cut out before tokenizing, longest first */
    int32_t n_special;

    int32_t byte_token[256];  /* SPM: <0xXX>; BPE: the mapped character; -1 */

    char *pieces;             /* decoded bytes of every token */
    uint32_t *piece_off, *piece_len;   /* (n_vocab) */
};

/* Growable output: ids beyond max are counted, not written. */
typedef struct tok_out {
    int32_t *ids;
    int max;
    int n;
} tok_out;

static inline void tok_out_push(tok_out *o, int32_t id)
{
    if (o->n < o->max)
        o->ids[o->n] = id;
    o->n++;
}

/*
 * The merge queue of SPM and BPE: smallest key first, then smallest left
 * index, which is the order llama.cpp's priority queues pop in (SPM keys are
 * minus the score, BPE keys the rank).  a and b are what the entry expects
 * to find when it is popped, to recognise stale entries.
 */
typedef struct tok_bigram {
    double key;
    int32_t left, right;
    int32_t a, b;
} tok_bigram;

typedef struct tok_heap {
    tok_bigram *v;
    size_t n, cap;
} tok_heap;

as_err tok_heap_push(tok_heap *h, tok_bigram e);
tok_bigram tok_heap_pop(tok_heap *h);   /* h->n must be > 0 */

/* The interned id of text[0..len), or -1. */
int32_t tok_lookup(const tokenizer *t, const char *text, size_t len);

/* SPM: tokenize one run of raw text (no special tokens in it). */
as_err tok_spm_encode(tok_out *o, const tokenizer *t, const char *text, size_t len,
                      int space_prefix);

/* BPE: pre-tokenize and merge one run of raw text. */
as_err tok_bpe_encode(tok_out *o, const tokenizer *t, const char *text, size_t len);

/*
 * Pre-tokenizer: split n codepoints (classes in cls, from unicode_cpt_class)
 * into words; writes each word's codepoint count to lens (room for n) and
 * returns the number of words.
 */
size_t tok_pre_split(size_t *lens, enum tok_pre pre, const uint32_t *cps,
                     const unsigned char *cls, size_t n);

/* GPT-2's bytes_to_unicode(): the character byte b stands for in byte-level
 * BPE text, as UTF-8 (1-2 bytes) in out; returns its length. */
size_t tok_byte_to_utf8(char *out, unsigned char b);

#endif
