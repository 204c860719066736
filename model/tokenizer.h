/*
 * tokenizer.h -- text <-> token ids for the vocabularies a GGUF file carries.
 *
 * Two families, chosen by tokenizer.ggml.model the way llama.cpp chooses:
 *   "llama"  SentencePiece-style: merges driven by token scores, "▁" for
 *            spaces and a leading "▁", <0xXX> byte fallback;
 *   "gpt2"   byte-level BPE: a pre-tokenizer picked by tokenizer.ggml.pre
 *            ("gpt-2", "llama-bpe", "qwen2" and their llama.cpp aliases)
 *            splits the text, then merges by rank from tokenizer.ggml.merges.
 * Special tokens (token_type CONTROL / USER_DEFINED / UNKNOWN) are cut out of
 * the text first; BOS/EOS are added as the vocabulary asks.  The output is
 * meant to match llama.cpp's llama_tokenize() id for id.
 *
 * A tokenizer owns copies of everything it uses: the gguf_file (or arrays) it
 * was built from may be closed right after.  It is immutable once built, so
 * any number of threads may encode and decode with one tokenizer at a time.
 * This file is not the chat template (model/chat.h) nor generation.
 */
#ifndef AS_TOKENIZER_H
#define AS_TOKENIZER_H

#include "common/error.h"
#include "model/gguf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tokenizer tokenizer;

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
enum {
    TOKEN_TYPE_UNDEFINED = 0,
    TOKEN_TYPE_NORMAL = 1,
    TOKEN_TYPE_UNKNOWN = 2,
    TOKEN_TYPE_CONTROL = 3,
    TOKEN_TYPE_USER_DEFINED = 4,
    TOKEN_TYPE_UNUSED = 5,
    TOKEN_TYPE_BYTE = 6,
};

/* Flags of tokenizer_encode / tokenizer_decode. */
enum {
    /* encode: add BOS (and EOS) when the vocabulary asks for them;
     * decode: drop that BOS/EOS again. */
    TOKENIZER_ADD_SPECIAL = 1u << 0,
    /* encode: text such as "<|im_start|>" becomes its control token instead
     * of being spelled out (user-defined tokens are always matched, as in
     * llama.cpp); decode: control tokens are rendered as their text. */
    TOKENIZER_PARSE_SPECIAL = 1u << 1,
};

/*
 * Everything a tokenizer is built from, as arrays (what the GGUF keys hold).
 * Strings are views, not nul-terminated.  Ids are -1 when absent.
 * add_bos/add_eos/add_space_prefix are -1 for "the family's default"
 * (SPM: BOS yes, EOS no, space prefix yes; BPE: llama-bpe adds BOS, the
 * others add nothing).
 */
typedef struct tokenizer_desc {
    const char *source;        /* file name for error messages */
    const char *model;         /* "llama" or "gpt2" */
    const char *pre;           /* tokenizer.ggml.pre, or NULL */
    size_t n_tokens;
    const gguf_str *tokens;    /* (n_tokens) */
    const float *scores;       /* (n_tokens) or NULL (all 0) */
    const int32_t *types;      /* (n_tokens) or NULL (all NORMAL) */
    size_t n_merges;
    const gguf_str *merges;    /* (n_merges) "left right", rank = index */
    int32_t bos_id, eos_id, unk_id, eot_id, eom_id, pad_id;
    int add_bos, add_eos, add_space_prefix;
} tokenizer_desc;

/* Build from arrays.  On success *out is a new tokenizer (tokenizer_free).
 * Bad input (unknown model or pre, ids out of range, a malformed merge)
 * gives AS_ERR_FORMAT / AS_ERR_UNSUPPORTED with as_fail naming the source
 * and the field. */
as_err tokenizer_new(tokenizer **out, const tokenizer_desc *d);

/* Build from the tokenizer.ggml.* keys of an open GGUF file. */
as_err tokenizer_new_from_gguf(tokenizer **out, const gguf_file *g);

void tokenizer_free(tokenizer *t);

/*
 * Encode len bytes of text (any bytes; invalid UTF-8 is handled as llama.cpp
 * does).  Writes at most max_ids ids and sets *n_ids to the number the text
 * needs; returns AS_ERR_RANGE (ids partly written) when that exceeds max_ids,
 * so a caller can retry with a bigger buffer.
 */
as_err tokenizer_encode(int32_t *ids, int max_ids, int *n_ids, const tokenizer *t,
                        const char *text, size_t len, unsigned flags);

/*
 * The bytes token id stands for (byte tokens give one raw byte, "▁" becomes
 * a space, byte-level BPE text is mapped back to bytes).  Control/unknown
 * tokens give "" unless flags has TOKENIZER_PARSE_SPECIAL.  Returns a pointer
 * owned by the tokenizer (not nul-terminated, length in *len); an id out of
 * range gives "".
 */
const char *tokenizer_decode_piece(size_t *len, const tokenizer *t, int32_t id, unsigned flags);

/*
 * Concatenate the pieces of ids into buf (cap bytes, nul-terminated when it
 * fits).  SPM drops the space its encoder put in front of the first word.
 * *len is the length needed; AS_ERR_RANGE when it does not fit.
 */
as_err tokenizer_decode(char *buf, size_t cap, size_t *len, const tokenizer *t,
                        const int32_t *ids, int n_ids, unsigned flags);

/* Vocabulary facts. */
int32_t tokenizer_n_vocab(const tokenizer *t);
int32_t tokenizer_bos(const tokenizer *t);   /* -1 if none */
int32_t tokenizer_eos(const tokenizer *t);   /* -1 if none */
int tokenizer_adds_bos(const tokenizer *t);
/* True for tokens that end generation: EOS, EOT, EOM and the usual chat
 * terminators (<|im_end|>, <|eot_id|>, <|endoftext|>, ...) present. */
int tokenizer_is_eog(const tokenizer *t, int32_t id);
/* The stored text of a token (e.g. "▁Hello", "Ġworld"); "" out of range. */
const char *tokenizer_token_text(size_t *len, const tokenizer *t, int32_t id);
int tokenizer_token_type(const tokenizer *t, int32_t id);
/* The id whose text is exactly text[0..len), or -1. */
int32_t tokenizer_find(const tokenizer *t, const char *text, size_t len);
/* "spm" or "bpe". */
const char *tokenizer_kind_name(const tokenizer *t);
/* Pre-tokenizer name ("default", "gpt-2", "llama-bpe", "qwen2"). */
const char *tokenizer_pre_name(const tokenizer *t);

#endif
