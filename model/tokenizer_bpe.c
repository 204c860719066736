/*
 * tokenizer_bpe.c -- byte-level BPE encoding as llama.cpp's
 * llm_tokenizer_bpe does it: decode the text to codepoints (broken UTF-8
 * becomes U+FFFD), split it into words with the pre-tokenizer, spell each
 * word's UTF-8 bytes with GPT-2's byte-to-character map, then merge the
 * adjacent pair with the lowest rank in tokenizer.ggml.merges until none is
 * left.  A final piece that is no token falls back to single-byte tokens.
 *
 * Symbols carry interned string ids (tokenizer_impl.h), so a merge is one
 * lookup of an (id, id) pair.  Owns nothing beyond the call.
 */
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct bpe_sym {
    size_t start, n;          /* bytes of the mapped word; n == 0: merged away */
    int32_t sid;              /* interned id of the text, -1 if none */
    int32_t prev, next;
} bpe_sym;

size_t tok_byte_to_utf8(char *out, unsigned char b)
{
    uint32_t cp;
    /* bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the
     * other 68 take U+0100.. in byte order. */
    if ((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae) {
        cp = b;
    } else {
        uint32_t k = 0;
        for (unsigned x = 0; x < b; x++)
            if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || x >= 0xae))
                k++;
        cp = 256 + k;
    }
    return unicode_utf8_put(out, cp);
}

static const tok_merge_slot *merge_find(const tokenizer *t, int32_t a, int32_t b)
{
    if (!t->merge_mask || a < 0 || b < 0)
        return NULL;
    uint64_t hsh = ((uint64_t)(uint32_t)a * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)(uint32_t)b * 0xc2b2ae3d27d4eb4full);
    size_t i = (size_t)(hsh ^ (hsh >> 29)) & t->merge_mask;
    for (;; i = (i + 1) & t->merge_mask) {
        const tok_merge_slot *m = &t->merge_slots[i];
        if (m->a < 0)
            return NULL;
        if (m->a == a && m->b == b)
            return m;
    }
}

static as_err add_bigram(tok_heap *h, const tokenizer *t, const bpe_sym *s, int32_t left,
                         int32_t right)
{
    if (left < 0 || right < 0)
        return AS_OK;
    const tok_merge_slot *m = merge_find(t, s[left].sid, s[right].sid);
    if (!m)
        return AS_OK;
    tok_bigram e = {(double)m->rank, left, right, s[left].sid, s[right].sid};
    return tok_heap_push(h, e);
}

/* Merge one mapped word w[0..n) and emit its tokens. */
static as_err bpe_word(tok_out *o, const tokenizer *t, const char *w, size_t n, bpe_sym **sp,
                       size_t *scap, tok_heap *h)
{
    if (n == 0)
        return AS_OK;
    if (t->ignore_merges) {
        int32_t id = tok_lookup(t, w, n);
        if (id >= 0 && id < t->n_vocab) {
            tok_out_push(o, id);
            return AS_OK;
        }
    }
    if (*scap < n) {
        bpe_sym *ns = realloc(*sp, n * sizeof *ns);
        if (!ns)
            return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        *sp = ns;
        *scap = n;
    }
    bpe_sym *s = *sp;
    size_t nsym = 0;
    for (size_t off = 0; off < n; nsym++) {
        size_t cl = unicode_utf8_len((unsigned char)w[off]);
        if (cl > n - off)
            cl = n - off;
        s[nsym].start = off;
        s[nsym].n = cl;
        s[nsym].sid = tok_lookup(t, w + off, cl);
        s[nsym].prev = (int32_t)nsym - 1;
        off += cl;
        s[nsym].next = off == n ? -1 : (int32_t)nsym + 1;
    }
    h->n = 0;
    as_err err;
    for (size_t i = 1; i < nsym; i++)
        if ((err = add_bigram(h, t, s, (int32_t)i - 1, (int32_t)i)) != AS_OK)
            return err;
    while (h->n > 0) {
        tok_bigram e = tok_heap_pop(h);
        bpe_sym *l = &s[e.left], *r = &s[e.right];
        /* stale: a side was merged or grew since the pair was queued */
        if (l->n == 0 || r->n == 0 || l->sid != e.a || r->sid != e.b)
            continue;
        l->n += r->n;
        l->sid = merge_find(t, e.a, e.b)->result;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = e.left;
        if ((err = add_bigram(h, t, s, l->prev, e.left)) != AS_OK ||
            (err = add_bigram(h, t, s, e.left, l->next)) != AS_OK)
            return err;
    }
    for (int32_t i = 0; i != -1; i = s[i].next) {
        if (s[i].sid >= 0 && s[i].sid < t->n_vocab) {
            tok_out_push(o, s[i].sid);
            continue;
        }
        /* llama.cpp: each byte of the piece's text that is itself a token;
         * the others are dropped. */
        for (size_t j = 0; j < s[i].n; j++) {
            int32_t id = tok_lookup(t, w + s[i].start + j, 1);
            if (id >= 0 && id < t->n_vocab)
                tok_out_push(o, id);
        }
    }
    return AS_OK;
}

as_err tok_bpe_encode(tok_out *o, const tokenizer *t, const char *text, size_t len)
{
    as_err err = AS_OK;
    uint32_t *cps = NULL;
    unsigned char *cls = NULL;
    size_t *lens = NULL;
    char *w = NULL;
    bpe_sym *s = NULL;
    size_t scap = 0, n = 0;
    tok_heap h = {0};
    char map[256][2];
    unsigned char maplen[256];

    if (len == 0)
        return AS_OK;
    cps = malloc(len * sizeof *cps);
    cls = malloc(len);
    lens = malloc(len * sizeof *lens);
    w = malloc(len * 4 * 2);   /* a codepoint: <= 4 bytes, each mapped to <= 2 */
    if (!cps || !cls || !lens || !w) {
        err = as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
        goto done;
    }
    for (int b = 0; b < 256; b++)
        maplen[b] = (unsigned char)tok_byte_to_utf8(map[b], (unsigned char)b);
    for (size_t pos = 0; pos < len; n++) {
        cps[n] = unicode_utf8_next(text, len, &pos);
        cls[n] = (unsigned char)unicode_cpt_class(cps[n]);
    }
    size_t nw = tok_pre_split(lens, t->pre, cps, cls, n);
    size_t at = 0;
    for (size_t k = 0; k < nw; k++) {
        size_t wn = 0;
        for (size_t i = at; i < at + lens[k]; i++) {
            char u[4];
            size_t ul = unicode_utf8_put(u, cps[i]);
            for (size_t j = 0; j < ul; j++) {
                unsigned char b = (unsigned char)u[j];
                memcpy(w + wn, map[b], maplen[b]);
                wn += maplen[b];
            }
        }
        at += lens[k];
        if ((err = bpe_word(o, t, w, wn, &s, &scap, &h)) != AS_OK)
            goto done;
    }
done:
    free(h.v);
    free(s);
    free(w);
    free(lens);
    free(cls);
    free(cps);
    return err;
}
