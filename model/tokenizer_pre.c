/*
 * tokenizer_pre.c -- the pre-tokenizers of byte-level BPE: split text into
 * the words that merges never cross, by hand instead of with a regex engine.
 *
 *   gpt-2:     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *   llama-bpe: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *              | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *   qwen2:     the same with \p{N} instead of \p{N}{1,3}
 *
 * Each branch below is one alternative of the regex, tried in order, as
 * llama.cpp's unicode_regex_split_custom_gpt2/_llama3 do (qwen2 goes through
 * std::regex there; the leftmost-first semantics are the same).  Works on
 * codepoint indices; knows nothing of bytes or merges.
 */
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

/* Class of position i, or OUT (no class bit and not "other") past the end:
 * the gpt-2 rules treat the end of text as neither punctuation nor space. */
#define OUT 0x80u
#define CLS(i) ((i) < n ? cls[i] : OUT)
#define CPT(i) ((i) < n ? cps[i] : 0xffffffffu)
#define IS_L(c) ((c) & UNICODE_LETTER)
#define IS_N(c) ((c) & UNICODE_NUMBER)
#define IS_WS(c) ((c) & UNICODE_WHITESPACE)
/* [^\s\p{L}\p{N}] and not past the end */
#define IS_OTHER(c) (!((c) & (UNICODE_LETTER | UNICODE_NUMBER | UNICODE_WHITESPACE | OUT)))

static uint32_t ascii_lower(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Length of a contraction ('s 't 're 've 'm 'll 'd) at pos, or 0. */
static size_t contraction(const uint32_t *cps, size_t n, size_t pos, int any_case)
{
    if (cps[pos] != '\'' || pos + 1 >= n)
        return 0;
    uint32_t c1 = any_case ? ascii_lower(cps[pos + 1]) : cps[pos + 1];
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
        return 2;
    if (pos + 2 >= n)
        return 0;
    uint32_t c2 = any_case ? ascii_lower(cps[pos + 2]) : cps[pos + 2];
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
        return 3;
    return 0;
}

static size_t split_gpt2(size_t *lens, const uint32_t *cps, const unsigned char *cls, size_t n)
{
    size_t nw = 0, pos = 0;
    while (pos < n) {
        size_t start = pos;
        size_t k = contraction(cps, n, pos, 0);
        if (k) {
            lens[nw++] = k;
            pos += k;
            continue;
        }
        int sp = cps[pos] == ' ';
        unsigned c2 = sp ? CLS(pos + 1) : cls[pos];
        if (IS_L(c2) && !(c2 & OUT)) {              /* ?\p{L}+ */
            pos += sp;
            while (pos < n && IS_L(cls[pos]))
                pos++;
        } else if (IS_N(c2) && !(c2 & OUT)) {       /* ?\p{N}+ */
            pos += sp;
            while (pos < n && IS_N(cls[pos]))
                pos++;
        } else if (IS_OTHER(c2)) {                  /* ?[^\s\p{L}\p{N}]+ */
            pos += sp;
            while (IS_OTHER(CLS(pos)))
                pos++;
        } else {
            size_t ws = 0;
            while (pos + ws < n && IS_WS(cls[pos + ws]))
                ws++;
            if (ws > 1 && pos + ws < n)             /* \s+(?!\S) */
                pos += ws - 1;
            else if (ws > 0)                        /* \s+ */
                pos += ws;
            else
                pos++;
        }
        lens[nw++] = pos - start;
    }
    return nw;
}

static size_t split_llama3(size_t *lens, const uint32_t *cps, const unsigned char *cls, size_t n,
                           size_t max_digits)
{
    size_t nw = 0, pos = 0;
    while (pos < n) {
        size_t start = pos;
        uint32_t c = cps[pos];
        unsigned f = cls[pos];
        size_t k = contraction(cps, n, pos, 1);
        if (k) {
            lens[nw++] = k;
            pos += k;
            continue;
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!(c == '\r' || c == '\n' || IS_N(f)) &&
            (IS_L(f) || (pos + 1 < n && IS_L(cls[pos + 1])))) {
            pos++;
            while (pos < n && IS_L(cls[pos]))
                pos++;
            lens[nw++] = pos - start;
            continue;
        }
        /* \p{N}{1,max_digits}: a long number becomes several words */
        if (IS_N(f)) {
            while (pos < n && IS_N(cls[pos]) && pos - start < max_digits)
                pos++;
            lens[nw++] = pos - start;
            continue;
        }
        /* ?[^\s\p{L}\p{N}]+[\r\n]* */
        unsigned f2 = c == ' ' ? CLS(pos + 1) : f;
        if (IS_OTHER(f2)) {
            pos += c == ' ';
            while (IS_OTHER(CLS(pos)))
                pos++;
            while (CPT(pos) == '\r' || CPT(pos) == '\n')
                pos++;
            lens[nw++] = pos - start;
            continue;
        }
        size_t ws = 0, last_rn = 0;
        while (pos + ws < n && IS_WS(cls[pos + ws])) {
            if (cps[pos + ws] == '\r' || cps[pos + ws] == '\n')
                last_rn = pos + ws + 1;
            ws++;
        }
        if (last_rn > 0)                            /* \s*[\r\n]+ */
            pos = last_rn;
        else if (ws > 1 && pos + ws < n)            /* \s+(?!\S) */
            pos += ws - 1;
        else if (ws > 0)                            /* \s+ */
            pos += ws;
        else
            pos++;
        lens[nw++] = pos - start;
    }
    return nw;
}

size_t tok_pre_split(size_t *lens, enum tok_pre pre, const uint32_t *cps,
                     const unsigned char *cls, size_t n)
{
    switch (pre) {
    case TOK_PRE_GPT2:
        return split_gpt2(lens, cps, cls, n);
    case TOK_PRE_LLAMA3:
        return split_llama3(lens, cps, cls, n, 3);
    case TOK_PRE_QWEN2:
        return split_llama3(lens, cps, cls, n, 1);
    case TOK_PRE_NONE:
        break;
    }
    /* No pre-tokenizer: the whole run is one word. */
    if (n == 0)
        return 0;
    lens[0] = n;
    return 1;
}
