/*
 * tokenizer.c -- building a tokenizer from arrays, cutting special tokens
 * out of the text, BOS/EOS, and decoding ids back to bytes.
 *
 * Owns every allocation of struct tokenizer (tokenizer_impl.h); the input
 * arrays are copied.  Encoding of plain text runs is delegated to
 * tokenizer_spm.c and tokenizer_bpe.c; the GGUF keys are read in
 * tokenizer_gguf.c.  Defaults and corner cases follow llama.cpp's
 * llama_vocab (commit c392e50, the one ../shared/models was checked with),
 * because its outputs are the reference.
 */
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

#include <stdlib.h>
#include <string.h>

/* ---- merge queue ------------------------------------------------------- */

static int bigram_before(const tok_bigram *x, const tok_bigram *y)
{
    return x->key < y->key || (x->key == y->key && x->left < y->left);
}

as_err tok_heap_push(tok_heap *h, tok_bigram e)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        tok_bigram *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!bigram_before(&e, &h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = e;
    return AS_OK;
}

tok_bigram tok_heap_pop(tok_heap *h)
{
    tok_bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && bigram_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!bigram_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}

/* ---- interned strings -------------------------------------------------- */

static uint64_t str_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return h ^ (h >> 32);
}

int32_t tok_lookup(const tokenizer *t, const char *text, size_t len)
{
    size_t i = (size_t)str_hash(text, len) & t->str_mask;
    for (;; i = (i + 1) & t->str_mask) {
        int32_t id = t->str_slots[i];
        if (id < 0)
            return -1;
        if (t->len[id] == len && memcmp(t->text + t->off[id], text, len) == 0)
            return id;
    }
}

/* Append a string to the arena and give it the next id (not yet hashed). */
static as_err string_add(tokenizer *t, const char *p, size_t n, int32_t *id)
{
    if (n > UINT32_MAX || t->text_used + n > UINT32_MAX)
        return as_fail(AS_ERR_FORMAT, "tokenizer: vocabulary text too large");
    if (t->text_used + n > t->text_cap) {
        size_t cap = t->text_cap ? t->text_cap : 4096;
        while (cap < t->text_used + n)
            cap *= 2;
        char *x = realloc(t->text, cap);
        if (!x)
            return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        t->text = x;
        t->text_cap = cap;
    }
    if (t->n_strings == t->strings_cap) {
        int32_t cap = t->strings_cap ? 2 * t->strings_cap : 1024;
        uint32_t *o = realloc(t->off, (size_t)cap * sizeof *o);
        if (o)
            t->off = o;
        uint32_t *l = realloc(t->len, (size_t)cap * sizeof *l);
        if (l)
            t->len = l;
        if (!o || !l)
            return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        t->strings_cap = cap;
    }
    if (n)
        memcpy(t->text + t->text_used, p, n);
    t->off[t->n_strings] = (uint32_t)t->text_used;
    t->len[t->n_strings] = (uint32_t)n;
    t->text_used += n;
    *id = t->n_strings++;
    return AS_OK;
}

/* Make id the owner of its text in the hash (a later duplicate wins). */
static void string_hash(tokenizer *t, int32_t id)
{
    const char *p = t->text + t->off[id];
    size_t n = t->len[id];
    size_t i = (size_t)str_hash(p, n) & t->str_mask;
    for (;; i = (i + 1) & t->str_mask) {
        int32_t o = t->str_slots[i];
        if (o < 0 || (t->len[o] == n && memcmp(t->text + t->off[o], p, n) == 0)) {
            t->str_slots[i] = id;
            return;
        }
    }
}

/* The id of p[0..n), adding it as a non-token string when new. */
static as_err string_intern(tokenizer *t, const char *p, size_t n, int32_t *id)
{
    *id = tok_lookup(t, p, n);
    if (*id >= 0)
        return AS_OK;
    as_err err = string_add(t, p, n, id);
    if (err == AS_OK)
        string_hash(t, *id);
    return err;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1024;
    while (p < n)
        p *= 2;
    return p;
}

/* ---- building ---------------------------------------------------------- */

static as_err merges_build(tokenizer *t, const tokenizer_desc *d)
{
    as_err err = AS_OK;
    char *cat = NULL;
    size_t cat_cap = 0;

    t->merge_mask = pow2_at_least(2 * d->n_merges + 1) - 1;
    t->merge_slots = malloc((t->merge_mask + 1) * sizeof *t->merge_slots);
    if (!t->merge_slots)
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i <= t->merge_mask; i++)
        t->merge_slots[i].a = -1;

    for (size_t r = 0; r < d->n_merges; r++) {
        const char *m = d->merges[r].ptr;
        size_t n = d->merges[r].len;
        /* llama.cpp splits at the first space after the first byte */
        const char *sp = n > 1 ? memchr(m + 1, ' ', n - 1) : NULL;
        if (!sp) {
            err = as_fail(AS_ERR_FORMAT, "'%s': tokenizer.ggml.merges[%zu]: '%.*s' is not \"left right\"",
                          d->source, r, (int)(n > 60 ? 60 : n), m);
            goto done;
        }
        size_t ln = (size_t)(sp - m), rn = n - ln - 1;
        if (cat_cap < ln + rn) {
            char *c = realloc(cat, ln + rn);
            if (!c) {
                err = as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
                goto done;
            }
            cat = c;
            cat_cap = ln + rn;
        }
        memcpy(cat, m, ln);
        memcpy(cat + ln, sp + 1, rn);
        int32_t a, b, res;
        if ((err = string_intern(t, m, ln, &a)) != AS_OK ||
            (err = string_intern(t, sp + 1, rn, &b)) != AS_OK ||
            (err = string_intern(t, cat, ln + rn, &res)) != AS_OK)
            goto done;
        uint64_t hsh = ((uint64_t)(uint32_t)a * 0x9e3779b97f4a7c15ull) ^
                       ((uint64_t)(uint32_t)b * 0xc2b2ae3d27d4eb4full);
        size_t i = (size_t)(hsh ^ (hsh >> 29)) & t->merge_mask;
        for (;; i = (i + 1) & t->merge_mask) {
            tok_merge_slot *s = &t->merge_slots[i];
            if (s->a == a && s->b == b)
                break;   /* a repeated pair keeps its first (lowest) rank */
            if (s->a < 0) {
                s->a = a;
                s->b = b;
                s->rank = (int32_t)r;
                s->result = res;
                break;
            }
        }
    }
done:
    free(cat);
    return err;
}

/* Append bytes to the piece arena. */
static as_err piece_put(tokenizer *t, size_t *used, size_t *cap, const char *p, size_t n)
{
    if (*used + n > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *used + n)
            c *= 2;
        char *x = realloc(t->pieces, c);
        if (!x)
            return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        t->pieces = x;
        *cap = c;
    }
    memcpy(t->pieces + *used, p, n);
    *used += n;
    return AS_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The bytes each token decodes to (llama.cpp's token_to_piece). */
static as_err pieces_build(tokenizer *t, const tokenizer_desc *d)
{
    as_err err = AS_OK;
    size_t used = 0, cap = 0;
    int16_t rev[0x144];   /* byte-level character -> byte */

    t->piece_off = malloc((size_t)t->n_vocab * sizeof *t->piece_off);
    t->piece_len = malloc((size_t)t->n_vocab * sizeof *t->piece_len);
    if (!t->piece_off || !t->piece_len)
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i < sizeof rev / sizeof rev[0]; i++)
        rev[i] = -1;
    for (int b = 0; b < 256; b++) {
        char u[4];
        size_t ul = tok_byte_to_utf8(u, (unsigned char)b);
        size_t pos = 0;
        rev[unicode_utf8_next(u, ul, &pos)] = (int16_t)b;
    }

    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *s = t->text + t->off[id];
        size_t n = t->len[id];
        int ty = t->type[id];
        t->piece_off[id] = (uint32_t)used;
        if (ty == TOKEN_TYPE_CONTROL || ty == TOKEN_TYPE_UNKNOWN || ty == TOKEN_TYPE_USER_DEFINED) {
            err = piece_put(t, &used, &cap, s, n);
        } else if (ty == TOKEN_TYPE_NORMAL && t->kind == TOK_SPM) {
            for (size_t i = 0; i < n && err == AS_OK; i++) {
                if (i + 2 < n && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                    err = piece_put(t, &used, &cap, " ", 1);
                    i += 2;
                } else {
                    err = piece_put(t, &used, &cap, s + i, 1);
                }
            }
        } else if (ty == TOKEN_TYPE_BYTE && t->kind == TOK_SPM) {
            int hi = n == 6 ? hex_digit(s[3]) : -1, lo = n == 6 ? hex_digit(s[4]) : -1;
            if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>' || hi < 0 || lo < 0) {
                err = as_fail(AS_ERR_FORMAT, "'%s': tokenizer.ggml.tokens[%d]: byte token '%.*s' is not <0xXX>",
                              d->source, (int)id, (int)(n > 40 ? 40 : n), s);
            } else {
                char byte = (char)(hi * 16 + lo);
                err = piece_put(t, &used, &cap, &byte, 1);
            }
        } else if (ty == TOKEN_TYPE_NORMAL) {
            for (size_t pos = 0; pos < n && err == AS_OK;) {
                uint32_t cp = unicode_utf8_next(s, n, &pos);
                if (cp < sizeof rev / sizeof rev[0] && rev[cp] >= 0) {
                    char byte = (char)rev[cp];
                    err = piece_put(t, &used, &cap, &byte, 1);
                } else {
                    /* not byte-level text: llama.cpp's llama_decode_text
                     * marks it the same way */
                    char u[4], hex[16];
                    size_t ul = unicode_utf8_put(u, cp), hl = 0;
                    for (size_t j = 0; j < ul; j++) {
                        static const char digits[] = "0123456789abcdef";
                        hex[hl++] = digits[(unsigned char)u[j] >> 4];
                        hex[hl++] = digits[(unsigned char)u[j] & 15];
                    }
                    if ((err = piece_put(t, &used, &cap, "[UNK_BYTE_0x", 12)) == AS_OK &&
                        (err = piece_put(t, &used, &cap, hex, hl)) == AS_OK &&
                        (err = piece_put(t, &used, &cap, s, n)) == AS_OK)
                        err = piece_put(t, &used, &cap, "]", 1);
                }
            }
        }
        /* UNUSED and UNDEFINED tokens decode to nothing, as in llama.cpp. */
        if (err != AS_OK)
            return err;
        if (used > UINT32_MAX)
            return as_fail(AS_ERR_FORMAT, "'%s': decoded vocabulary too large", d->source);
        t->piece_len[id] = (uint32_t)(used - t->piece_off[id]);
    }
    return AS_OK;
}

static int special_cmp_len_desc(const void *x, const void *y, void *arg)
{
    const tokenizer *t = arg;
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    if (t->len[a] != t->len[b])
        return t->len[a] > t->len[b] ? -1 : 1;
    return a < b ? -1 : a > b;   /* llama.cpp leaves ties unordered; ids keep it stable */
}

static as_err specials_build(tokenizer *t)
{
    t->special = malloc((size_t)t->n_vocab * sizeof *t->special);
    if (!t->special)
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    for (int32_t id = 0; id < t->n_vocab; id++) {
        int ty = t->type[id];
        if ((ty == TOKEN_TYPE_CONTROL || ty == TOKEN_TYPE_USER_DEFINED || ty == TOKEN_TYPE_UNKNOWN) &&
            t->len[id] > 0)
            t->special[t->n_special++] = id;
    }
    qsort_r(t->special, (size_t)t->n_special, sizeof *t->special, special_cmp_len_desc, t);
    return AS_OK;
}

static void eog_build(tokenizer *t)
{
    /* the terminators llama.cpp adds to its end-of-generation set by text */
    static const char *const names[] = {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|eom_id|>", "<EOT>", "_<EOT>",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int32_t id = tok_lookup(t, names[i], strlen(names[i]));
        if (id >= 0 && id < t->n_vocab)
            t->eog[id] = 1;
    }
    int32_t ids[3] = {t->eos, t->eot, t->eom};
    for (int i = 0; i < 3; i++)
        if (ids[i] >= 0)
            t->eog[ids[i]] = 1;
}

/* See spm_word_split in tokenizer_impl.h. */
static int spm_words_independent(const tokenizer *t)
{
    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *p = t->text + t->off[id], *end = p + t->len[id];
        for (const char *q = p + 1; q + 3 <= end; q++) {
            q = memmem(q, (size_t)(end - q), "\xe2\x96\x81", 3);
            if (!q)
                break;
            if (q - p < 3 || memcmp(q - 3, "\xe2\x96\x81", 3) != 0)
                return 0;
        }
    }
    return 1;
}

static as_err check_id(const tokenizer_desc *d, const char *field, int32_t id)
{
    if (id < -1 || (id >= 0 && (size_t)id >= d->n_tokens))
        return as_fail(AS_ERR_FORMAT, "'%s': %s: id %d is outside the vocabulary of %zu tokens",
                       d->source, field, (int)id, d->n_tokens);
    return AS_OK;
}

static as_err kind_pick(tokenizer *t, const tokenizer_desc *d)
{
    if (!d->model)
        return as_fail(AS_ERR_FORMAT, "'%s': tokenizer.ggml.model is missing", d->source);
    if (strcmp(d->model, "llama") == 0) {
        t->kind = TOK_SPM;
        t->pre = TOK_PRE_NONE;
        t->add_bos = 1;
        t->add_space_prefix = 1;
        return AS_OK;
    }
    if (strcmp(d->model, "gpt2") != 0)
        return as_fail(AS_ERR_UNSUPPORTED, "'%s': tokenizer.ggml.model '%s': only 'llama' and 'gpt2' are supported",
                       d->source, d->model);
    t->kind = TOK_BPE;
    const char *p = d->pre ? d->pre : "";
    if (strcmp(p, "gpt-2") == 0) {
        t->pre = TOK_PRE_GPT2;
    } else if (strcmp(p, "llama-bpe") == 0 || strcmp(p, "llama3") == 0 ||
               strcmp(p, "llama-v3") == 0 || strcmp(p, "falcon3") == 0) {
        t->pre = TOK_PRE_LLAMA3;
        t->ignore_merges = 1;
        t->add_bos = 1;
    } else if (strcmp(p, "qwen2") == 0 || strcmp(p, "deepseek-r1-qwen") == 0) {
        t->pre = TOK_PRE_QWEN2;
    } else {
        return as_fail(AS_ERR_UNSUPPORTED,
                       "'%s': tokenizer.ggml.pre '%s': supported are gpt-2, llama-bpe and qwen2",
                       d->source, p);
    }
    return AS_OK;
}

as_err tokenizer_new(tokenizer **out, const tokenizer_desc *d)
{
    as_err err;
    tokenizer *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    if ((err = kind_pick(t, d)) != AS_OK)
        goto fail;
    if (d->n_tokens == 0 || d->n_tokens > INT32_MAX / 4) {
        err = as_fail(AS_ERR_FORMAT, "'%s': tokenizer.ggml.tokens: %zu tokens", d->source, d->n_tokens);
        goto fail;
    }
    if ((err = check_id(d, "tokenizer.ggml.bos_token_id", d->bos_id)) != AS_OK ||
        (err = check_id(d, "tokenizer.ggml.eos_token_id", d->eos_id)) != AS_OK ||
        (err = check_id(d, "tokenizer.ggml.unknown_token_id", d->unk_id)) != AS_OK ||
        (err = check_id(d, "tokenizer.ggml.eot_token_id", d->eot_id)) != AS_OK ||
        (err = check_id(d, "tokenizer.ggml.eom_token_id", d->eom_id)) != AS_OK ||
        (err = check_id(d, "tokenizer.ggml.padding_token_id", d->pad_id)) != AS_OK)
        goto fail;
    t->n_vocab = (int32_t)d->n_tokens;
    t->bos = d->bos_id;
    t->eos = d->eos_id;
    t->unk = d->unk_id;
    t->eot = d->eot_id;
    t->eom = d->eom_id;
    t->pad = d->pad_id;
    if (d->add_bos >= 0)
        t->add_bos = d->add_bos != 0;
    if (d->add_eos >= 0)
        t->add_eos = d->add_eos != 0;
    if (d->add_space_prefix >= 0)
        t->add_space_prefix = d->add_space_prefix != 0;
    if ((t->add_bos && t->bos < 0) || (t->add_eos && t->eos < 0)) {
        err = as_fail(AS_ERR_FORMAT, "'%s': the vocabulary asks for %s but has no %s id", d->source,
                      t->add_bos && t->bos < 0 ? "BOS" : "EOS",
                      t->add_bos && t->bos < 0 ? "tokenizer.ggml.bos_token_id" : "tokenizer.ggml.eos_token_id");
        goto fail;
    }

    t->score = malloc(d->n_tokens * sizeof *t->score);
    t->type = malloc(d->n_tokens * sizeof *t->type);
    t->eog = calloc(d->n_tokens, 1);
    t->str_mask = pow2_at_least(2 * (d->n_tokens + 2 * d->n_merges) + 1) - 1;
    t->str_slots = malloc((t->str_mask + 1) * sizeof *t->str_slots);
    if (!t->score || !t->type || !t->eog || !t->str_slots) {
        err = as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        goto fail;
    }
    memset(t->str_slots, 0xff, (t->str_mask + 1) * sizeof *t->str_slots);
    for (size_t i = 0; i < d->n_tokens; i++) {
        int32_t id;
        if ((err = string_add(t, d->tokens[i].ptr, d->tokens[i].len, &id)) != AS_OK)
            goto fail;
        string_hash(t, id);
        t->score[i] = d->scores ? d->scores[i] : 0.0f;
        int ty = d->types ? d->types[i] : TOKEN_TYPE_NORMAL;
        t->type[i] = (ty >= TOKEN_TYPE_NORMAL && ty <= TOKEN_TYPE_BYTE) ? ty : TOKEN_TYPE_UNDEFINED;
    }
    if (t->kind == TOK_BPE && d->n_merges > 0 && (err = merges_build(t, d)) != AS_OK)
        goto fail;

    for (int b = 0; b < 256; b++) {
        char s[8];
        size_t n;
        int32_t id = -1;
        if (t->kind == TOK_SPM) {
            static const char hex[] = "0123456789ABCDEF";
            char tmp[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
            id = tok_lookup(t, tmp, 6);
            if (id < 0 || id >= t->n_vocab) {
                s[0] = (char)b;
                id = tok_lookup(t, s, 1);
            }
        } else {
            n = tok_byte_to_utf8(s, (unsigned char)b);
            id = tok_lookup(t, s, n);
        }
        t->byte_token[b] = (id >= 0 && id < t->n_vocab) ? id : -1;
    }
    if (t->kind == TOK_SPM)
        t->spm_word_split = spm_words_independent(t);
    if ((err = specials_build(t)) != AS_OK || (err = pieces_build(t, d)) != AS_OK)
        goto fail;
    eog_build(t);
    *out = t;
    return AS_OK;
fail:
    tokenizer_free(t);
    return err;
}

void tokenizer_free(tokenizer *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->off);
    free(t->len);
    free(t->str_slots);
    free(t->score);
    free(t->type);
    free(t->eog);
    free(t->merge_slots);
    free(t->special);
    free(t->pieces);
    free(t->piece_off);
    free(t->piece_len);
    free(t);
}

/* ---- encoding ---------------------------------------------------------- */

typedef struct fragment {
    int32_t token;            /* -1: raw text text[off..off+len) */
    size_t off, len;
} fragment;

/*
 * Cut special tokens out of the text, longest first, as llama.cpp's
 * tokenizer_st_partition: each token splits every raw fragment at each of
 * its occurrences.  Control and unknown tokens only with parse_special;
 * user-defined tokens always.  *out is a heap array the caller frees.
 */
static as_err partition(fragment **out, size_t *n_out, const tokenizer *t, const char *text,
                        size_t len, int parse_special)
{
    size_t n = 1;
    fragment *f = malloc(sizeof *f), *g = NULL;
    if (!f)
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    f[0] = (fragment){-1, 0, len};
    for (int32_t k = 0; k < t->n_special; k++) {
        int32_t id = t->special[k];
        int ty = t->type[id];
        if (!parse_special && (ty == TOKEN_TYPE_CONTROL || ty == TOKEN_TYPE_UNKNOWN))
            continue;
        const char *tt = t->text + t->off[id];
        size_t tl = t->len[id];
        /* count the pieces first so one allocation fits the new list */
        size_t need = 0;
        for (size_t i = 0; i < n; i++) {
            need++;
            if (f[i].token >= 0)
                continue;
            const char *p = text + f[i].off, *end = p + f[i].len;
            while ((p = memmem(p, (size_t)(end - p), tt, tl)) != NULL) {
                need += 2;
                p += tl;
            }
        }
        if (need == n)
            continue;
        g = malloc(need * sizeof *g);
        if (!g) {
            free(f);
            return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (f[i].token >= 0) {
                g[m++] = f[i];
                continue;
            }
            size_t at = f[i].off, end = f[i].off + f[i].len;
            const char *p;
            while ((p = memmem(text + at, end - at, tt, tl)) != NULL) {
                size_t pos = (size_t)(p - text);
                if (pos > at)
                    g[m++] = (fragment){-1, at, pos - at};
                g[m++] = (fragment){id, pos, tl};
                at = pos + tl;
            }
            if (at < end)
                g[m++] = (fragment){-1, at, end - at};
        }
        free(f);
        f = g;
        g = NULL;
        n = m;
    }
    *out = f;
    *n_out = n;
    return AS_OK;
}

as_err tokenizer_encode(int32_t *ids, int max_ids, int *n_ids, const tokenizer *t,
                        const char *text, size_t len, unsigned flags)
{
    as_err err = AS_OK;
    fragment *f = NULL;
    size_t nf = 0;
    int add_special = (flags & TOKENIZER_ADD_SPECIAL) != 0;
    tok_out o = {ids, max_ids < 0 ? 0 : max_ids, 0};

    *n_ids = 0;
    if (len > 0 && (err = partition(&f, &nf, t, text, len, (flags & TOKENIZER_PARSE_SPECIAL) != 0)) != AS_OK)
        return err;
    if (add_special && t->add_bos)
        tok_out_push(&o, t->bos);
    /* SPM puts a "▁" in front of the text and after each special token */
    int prev_special = 1;
    for (size_t i = 0; i < nf && err == AS_OK; i++) {
        if (f[i].token >= 0) {
            tok_out_push(&o, f[i].token);
            prev_special = 1;
        } else if (t->kind == TOK_SPM) {
            err = tok_spm_encode(&o, t, text + f[i].off, f[i].len, t->add_space_prefix && prev_special);
            prev_special = 0;
        } else {
            err = tok_bpe_encode(&o, t, text + f[i].off, f[i].len);
        }
    }
    free(f);
    if (err != AS_OK)
        return err;
    if (add_special && t->add_eos)
        tok_out_push(&o, t->eos);
    *n_ids = o.n;
    if (o.n > o.max)
        return as_fail(AS_ERR_RANGE, "tokenizer: the text needs %d tokens, room for %d", o.n, o.max);
    return AS_OK;
}

/* ---- decoding and facts ------------------------------------------------ */

const char *tokenizer_decode_piece(size_t *len, const tokenizer *t, int32_t id, unsigned flags)
{
    *len = 0;
    if (id < 0 || id >= t->n_vocab)
        return "";
    int ty = t->type[id];
    if (!(flags & TOKENIZER_PARSE_SPECIAL) && (ty == TOKEN_TYPE_CONTROL || ty == TOKEN_TYPE_UNKNOWN))
        return "";
    *len = t->piece_len[id];
    return t->pieces ? t->pieces + t->piece_off[id] : "";
}

as_err tokenizer_decode(char *buf, size_t cap, size_t *len, const tokenizer *t,
                        const int32_t *ids, int n_ids, unsigned flags)
{
    size_t used = 0;
    /* llama.cpp's detokenize: the space SPM put in front of the first word
     * goes again, taken off the first token only (whatever it is), and not
     * at all when a BOS is dropped first. */
    int strip = t->add_space_prefix;
    if ((flags & TOKENIZER_ADD_SPECIAL) && t->add_bos && n_ids > 0 && ids[0] == t->bos) {
        strip = 0;
        ids++;
        n_ids--;
    }
    if ((flags & TOKENIZER_ADD_SPECIAL) && t->add_eos && n_ids > 0 && ids[n_ids - 1] == t->eos)
        n_ids--;
    for (int i = 0; i < n_ids; i++) {
        size_t pl;
        const char *p = tokenizer_decode_piece(&pl, t, ids[i], flags);
        if (strip && pl > 0 && p[0] == ' ') {
            p++;
            pl--;
        }
        strip = 0;
        if (used + pl < cap)
            memcpy(buf + used, p, pl);
        used += pl;
    }
    *len = used;
    if (used < cap) {
        buf[used] = '\0';
        return AS_OK;
    }
    if (cap > 0)
        buf[0] = '\0';
    return as_fail(AS_ERR_RANGE, "tokenizer: decoded text needs %zu bytes, room for %zu", used + 1, cap);
}

int32_t tokenizer_n_vocab(const tokenizer *t) { return t->n_vocab; }
int32_t tokenizer_bos(const tokenizer *t) { return t->bos; }
int32_t tokenizer_eos(const tokenizer *t) { return t->eos; }
int tokenizer_adds_bos(const tokenizer *t) { return t->add_bos; }

int tokenizer_is_eog(const tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab && t->eog[id];
}

const char *tokenizer_token_text(size_t *len, const tokenizer *t, int32_t id)
{
    if (id < 0 || id >= t->n_vocab) {
        *len = 0;
        return "";
    }
    *len = t->len[id];
    return t->text + t->off[id];
}

int tokenizer_token_type(const tokenizer *t, int32_t id)
{
    return (id >= 0 && id < t->n_vocab) ? t->type[id] : TOKEN_TYPE_UNDEFINED;
}

int32_t tokenizer_find(const tokenizer *t, const char *text, size_t len)
{
    int32_t id = tok_lookup(t, text, len);
    return id < t->n_vocab ? id : -1;
}

const char *tokenizer_kind_name(const tokenizer *t)
{
    return t->kind == TOK_SPM ? "spm" : "bpe";
}

const char *tokenizer_pre_name(const tokenizer *t)
{
    switch (t->pre) {
    case TOK_PRE_GPT2:
        return "gpt-2";
    case TOK_PRE_LLAMA3:
        return "llama-bpe";
    case TOK_PRE_QWEN2:
        return "qwen2";
    case TOK_PRE_NONE:
        break;
    }
    return "default";
}
