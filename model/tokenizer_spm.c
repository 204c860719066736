/*
 * tokenizer_spm.c -- SentencePiece-style encoding as llama.cpp's
 * llm_tokenizer_spm does it: spaces become "▁" (U+2581), a "▁" goes in front
 * when the vocabulary asks (add_space_prefix), the text is cut into UTF-8
 * characters, and the adjacent pair whose concatenation is the token with
 * the highest score is merged until no pair is a token.  A piece that is no
 * token comes out as <0xXX> byte tokens.
 *
 * Symbols are slices of one escaped buffer, so a pair's text is the slice
 * from the left start to the right end: one hash lookup, no copying.
 * llama.cpp runs one queue over the whole text; we run one per word where
 * that provably gives the same ids (tokenizer_impl.h), which keeps the
 * queue small and the encoder linear in practice.
 * Owns nothing beyond the call.
 */
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct spm_sym {
    size_t start, n;          /* bytes of the escaped text; n == 0: merged away */
    int32_t prev, next;
} spm_sym;

static as_err try_bigram(tok_heap *h, const tokenizer *t, const char *buf,
                         const spm_sym *s, int32_t left, int32_t right)
{
    if (left < 0 || right < 0)
        return AS_OK;
    size_t size = s[left].n + s[right].n;
    int32_t id = tok_lookup(t, buf + s[left].start, size);
    if (id < 0 || id >= t->n_vocab)
        return AS_OK;
    tok_bigram e = {-(double)t->score[id], left, right, (int32_t)size, 0};
    return tok_heap_push(h, e);
}

static int is_space(const char *buf, const spm_sym *x)
{
    return x->n == 3 && memcmp(buf + x->start, "\xe2\x96\x81", 3) == 0;
}

/* Merge symbols s[w0..w1) by score and emit their tokens. */
static as_err merge_word(tok_out *o, const tokenizer *t, const char *buf, spm_sym *s, size_t w0,
                         size_t w1, tok_heap *h)
{
    as_err err;
    for (size_t i = w0; i < w1; i++) {
        s[i].prev = i == w0 ? -1 : (int32_t)i - 1;
        s[i].next = i + 1 == w1 ? -1 : (int32_t)i + 1;
    }
    h->n = 0;
    for (size_t i = w0 + 1; i < w1; i++)
        if ((err = try_bigram(h, t, buf, s, (int32_t)i - 1, (int32_t)i)) != AS_OK)
            return err;
    while (h->n > 0) {
        tok_bigram e = tok_heap_pop(h);
        spm_sym *l = &s[e.left], *r = &s[e.right];
        /* stale: one side was merged since (llama.cpp checks the same way) */
        if (l->n == 0 || r->n == 0 || l->n + r->n != (size_t)e.a)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = e.left;
        if ((err = try_bigram(h, t, buf, s, l->prev, e.left)) != AS_OK ||
            (err = try_bigram(h, t, buf, s, e.left, l->next)) != AS_OK)
            return err;
    }
    for (int32_t i = (int32_t)w0; i != -1; i = s[i].next) {
        int32_t id = tok_lookup(t, buf + s[i].start, s[i].n);
        if (id >= 0 && id < t->n_vocab) {
            tok_out_push(o, id);
            continue;
        }
        for (size_t j = 0; j < s[i].n; j++) {
            int32_t b = t->byte_token[(unsigned char)buf[s[i].start + j]];
            if (b < 0)
                return as_fail(AS_ERR_FORMAT, "tokenizer: vocabulary has no <0x%02X> byte token",
                               (unsigned char)buf[s[i].start + j]);
            tok_out_push(o, b);
        }
    }
    return AS_OK;
}

as_err tok_spm_encode(tok_out *o, const tokenizer *t, const char *text, size_t len,
                      int space_prefix)
{
    static const char sp[3] = {'\xe2', '\x96', '\x81'};   /* U+2581 "▁" */
    as_err err = AS_OK;
    char *buf = NULL;
    spm_sym *s = NULL;
    tok_heap h = {0};
    size_t n = 0, nsym = 0;

    buf = malloc(3 * (len + 1));
    if (!buf) {
        err = as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        goto done;
    }
    if (space_prefix) {
        memcpy(buf, sp, 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(buf + n, sp, 3);
            n += 3;
        } else {
            buf[n++] = text[i];
        }
    }
    if (n == 0)
        goto done;

    s = malloc(n * sizeof *s);
    if (!s) {
        err = as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        goto done;
    }
    for (size_t off = 0; off < n; nsym++) {
        size_t cl = unicode_utf8_len((unsigned char)buf[off]);
        if (cl > n - off)
            cl = n - off;
        s[nsym].start = off;
        s[nsym].n = cl;
        off += cl;
    }
    /* Cut before each "▁" that follows something else, when the vocabulary
     * allows (see spm_word_split in tokenizer_impl.h): each word then has
     * a small queue of its own, and the result is the same. */
    for (size_t w0 = 0, w1; w0 < nsym; w0 = w1) {
        for (w1 = w0 + 1; w1 < nsym; w1++) {
            if (t->spm_word_split && is_space(buf, &s[w1]) && !is_space(buf, &s[w1 - 1]))
                break;
        }
        if ((err = merge_word(o, t, buf, s, w0, w1, &h)) != AS_OK)
            goto done;
    }
done:
    free(h.v);
    free(s);
    free(buf);
    return err;
}
