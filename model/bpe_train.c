/*
 * bpe_train.c -- pre-tokenizer, merge learning, encoder, decoder and GGUF
 * strings for byte-level BPE (see bpe_train.h).
 *
 * Training works on the distinct pre-tokens ("words") with their counts.
 * Each round counts adjacent symbol pairs over all words into a hash table,
 * takes the most frequent, and rewrites the words that contain it.  With a
 * few thousand distinct words and 2-4k merges this is seconds, so the
 * simple full recount is kept instead of llm.c/tiktoken-style incremental
 * pair bookkeeping.
 */
#include "model/bpe_train.h"
#include "model/slots.h"

#include <stdlib.h>
#include <string.h>

/* ---- GPT-2 byte <-> unicode ---------------------------------------------- */

static int byte_printable(int b)
{
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* The code point GPT-2 uses for byte b. */
static int byte_to_cp(int b)
{
    if (byte_printable(b))
        return b;
    int n = 0;
    for (int i = 0; i < b; i++)
        n += !byte_printable(i);
    return 256 + n;
}

static int cp_to_byte(int cp)
{
    for (int b = 0; b < 256; b++)
        if (byte_to_cp(b) == cp)
            return b;
    return -1;
}

static int utf8_put(char *out, int cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
}

/* ---- pre-tokenizer --------------------------------------------------------- */

enum { CL_SPACE, CL_LETTER, CL_DIGIT, CL_OTHER };

static int char_class(unsigned char c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
        return CL_SPACE;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80)
        return CL_LETTER;
    if (c >= '0' && c <= '9')
        return CL_DIGIT;
    return CL_OTHER;
}

/* Length of the pre-token at s[i..len). */
static size_t pretok_next(const char *s, size_t i, size_t len)
{
    static const char *const contr[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    if (s[i] == '\'')
        for (int k = 0; k < 7; k++) {
            size_t n = strlen(contr[k]);
            if (i + n <= len && memcmp(s + i, contr[k], n) == 0)
                return n;
        }
    size_t j = i;
    if (s[i] == ' ' && i + 1 < len && char_class((unsigned char)s[i + 1]) != CL_SPACE)
        j = i + 1;
    int cl = char_class((unsigned char)s[j]);
    if (cl != CL_SPACE) {
        size_t k = j + 1;
        while (k < len && char_class((unsigned char)s[k]) == cl)
            k++;
        return k - i;
    }
    size_t k = i;
    while (k < len && char_class((unsigned char)s[k]) == CL_SPACE)
        k++;
    if (k < len && k - i > 1)
        return k - i - 1; /* \s+(?!\S): the last blank goes with the next word */
    return k - i;
}

/* Start of the first slot token (model/slots.h) in s[i..len), or len. */
static size_t slot_next(const char *s, size_t i, size_t len)
{
    for (; i < len; i++) {
        size_t n = s[i] == '<' ? slot_span(s + i, len - i) : 0;
        if (n && slot_find(s + i, n) >= 0)
            return i;
    }
    return len;
}

/* ---- pair table ------------------------------------------------------------ */

static uint64_t pair_key(int32_t a, int32_t b)
{
    return ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1; /* 0 marks empty */
}

static size_t pair_slot(const uint64_t *keys, size_t cap, uint64_t key)
{
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
    while (keys[h] && keys[h] != key)
        h = (h + 1) & (cap - 1);
    return h;
}

static int32_t pair_rank_of(const bpe_vocab *v, int32_t a, int32_t b)
{
    if (!v->pair_cap)
        return -1;
    size_t h = pair_slot(v->pair_keys, v->pair_cap, pair_key(a, b));
    return v->pair_keys[h] ? v->pair_rank[h] : -1;
}

static as_err vocab_index_merges(bpe_vocab *v)
{
    size_t cap = 64;
    while (cap < (size_t)v->n_merges * 2 + 2)
        cap *= 2;
    v->pair_keys = calloc(cap, sizeof *v->pair_keys);
    v->pair_rank = calloc(cap, sizeof *v->pair_rank);
    if (!v->pair_keys || !v->pair_rank)
        return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    v->pair_cap = cap;
    for (int i = 0; i < v->n_merges; i++) {
        uint64_t key = pair_key(v->merge_pair[2 * i], v->merge_pair[2 * i + 1]);
        size_t h = pair_slot(v->pair_keys, cap, key);
        if (!v->pair_keys[h]) { /* a repeated merge keeps its first (lowest) rank */
            v->pair_keys[h] = key;
            v->pair_rank[h] = i;
        }
    }
    return AS_OK;
}

void bpe_vocab_free(bpe_vocab *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n_tokens; i++)
        free(v->raw[i]);
    free(v->raw);
    free(v->raw_len);
    free(v->merge_pair);
    free(v->merge_id);
    free(v->pair_keys);
    free(v->pair_rank);
    free(v);
}

static int32_t token_find(const bpe_vocab *v, const char *raw, int len)
{
    for (int i = v->n_tokens - 1; i >= 0; i--)
        if (v->raw_len[i] == len && memcmp(v->raw[i], raw, (size_t)len) == 0)
            return i;
    return -1;
}

static as_err token_add(bpe_vocab *v, const char *raw, int len, int cap)
{
    if (v->n_tokens >= cap)
        return as_fail(AS_ERR_RANGE, "bpe: more than %d tokens", cap);
    char *p = malloc((size_t)len + 1);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    memcpy(p, raw, (size_t)len);
    p[len] = '\0';
    v->raw[v->n_tokens] = p;
    v->raw_len[v->n_tokens++] = len;
    return AS_OK;
}

static bpe_vocab *vocab_alloc(int cap)
{
    bpe_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    for (int k = 0; k < SLOT_COUNT; k++)
        v->slots[k] = -1;
    v->raw = calloc((size_t)cap, sizeof *v->raw);
    v->raw_len = calloc((size_t)cap, sizeof *v->raw_len);
    v->merge_pair = calloc((size_t)cap * 2, sizeof *v->merge_pair);
    v->merge_id = calloc((size_t)cap, sizeof *v->merge_id);
    if (!v->raw || !v->raw_len || !v->merge_pair || !v->merge_id) {
        bpe_vocab_free(v);
        return NULL;
    }
    return v;
}

/* ---- training ---------------------------------------------------------------- */

typedef struct word {
    int32_t *sym;
    int n;
    long count;
} word;

typedef struct word_set {
    word *w;
    int n, cap;
    /* hash of the raw word bytes -> index, for counting */
    int32_t *slot;
    size_t slot_cap;
    const char **text;
    int *len;
} word_set;

static uint64_t bytes_hash(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
    return h;
}

static as_err words_grow(word_set *ws)
{
    int cap = ws->cap ? ws->cap * 2 : 4096;
    word *w = realloc(ws->w, (size_t)cap * sizeof *w);
    const char **t = w ? realloc(ws->text, (size_t)cap * sizeof *t) : NULL;
    if (w)
        ws->w = w;
    if (t)
        ws->text = t;
    int *l = t ? realloc(ws->len, (size_t)cap * sizeof *l) : NULL;
    if (!l)
        return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    ws->len = l;
    ws->cap = cap;
    size_t scap = (size_t)cap * 2;
    int32_t *slot = malloc(scap * sizeof *slot);
    if (!slot)
        return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    for (size_t i = 0; i < scap; i++)
        slot[i] = -1;
    for (int i = 0; i < ws->n; i++) {
        size_t h = bytes_hash(ws->text[i], (size_t)ws->len[i]) & (scap - 1);
        while (slot[h] >= 0)
            h = (h + 1) & (scap - 1);
        slot[h] = i;
    }
    free(ws->slot);
    ws->slot = slot;
    ws->slot_cap = scap;
    return AS_OK;
}

static as_err words_add(word_set *ws, const char *s, int len)
{
    if (ws->slot_cap) {
        size_t h = bytes_hash(s, (size_t)len) & (ws->slot_cap - 1);
        for (; ws->slot[h] >= 0; h = (h + 1) & (ws->slot_cap - 1)) {
            int i = ws->slot[h];
            if (ws->len[i] == len && memcmp(ws->text[i], s, (size_t)len) == 0) {
                ws->w[i].count++;
                return AS_OK;
            }
        }
    }
    as_err e;
    if (ws->n * 2 >= ws->cap && (e = words_grow(ws)) != AS_OK)
        return e;
    word w = {malloc((size_t)len * sizeof(int32_t)), len, 1};
    if (!w.sym)
        return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    for (int i = 0; i < len; i++)
        w.sym[i] = (unsigned char)s[i];
    ws->w[ws->n] = w;
    ws->text[ws->n] = s;
    ws->len[ws->n] = len;
    size_t h = bytes_hash(s, (size_t)len) & (ws->slot_cap - 1);
    while (ws->slot[h] >= 0)
        h = (h + 1) & (ws->slot_cap - 1);
    ws->slot[h] = ws->n++;
    return AS_OK;
}

static void words_free(word_set *ws)
{
    for (int i = 0; i < ws->n; i++)
        free(ws->w[i].sym);
    free(ws->w);
    free(ws->text);
    free(ws->len);
    free(ws->slot);
}

/* The most frequent adjacent pair; 0 when no pair is left. */
static int best_pair(const word_set *ws, uint64_t *keys, long *counts, size_t cap, int32_t *a,
                     int32_t *b)
{
    memset(keys, 0, cap * sizeof *keys);
    long best = 0;
    uint64_t best_key = 0;
    for (int i = 0; i < ws->n; i++) {
        const word *w = &ws->w[i];
        for (int j = 0; j + 1 < w->n; j++) {
            uint64_t key = pair_key(w->sym[j], w->sym[j + 1]);
            size_t h = pair_slot(keys, cap, key);
            if (!keys[h]) {
                keys[h] = key;
                counts[h] = 0;
            }
            counts[h] += w->count;
            if (counts[h] > best || (counts[h] == best && key < best_key)) {
                best = counts[h];
                best_key = key;
            }
        }
    }
    if (!best)
        return 0;
    *a = (int32_t)((best_key - 1) >> 32);
    *b = (int32_t)((best_key - 1) & 0xFFFFFFFFu);
    return 1;
}

as_err bpe_train(bpe_vocab **out, const char *const *docs, const size_t *lens, int n_docs,
                 int vocab_size)
{
    *out = NULL;
    if (vocab_size < 258 + SLOT_COUNT || vocab_size > 65536)
        return as_fail(AS_ERR_USAGE, "bpe: vocabulary size %d not in [%d, 65536]", vocab_size,
                       258 + SLOT_COUNT);
    as_err e = AS_OK;
    word_set ws = {0};
    uint64_t *keys = NULL;
    long *counts = NULL;
    bpe_vocab *v = vocab_alloc(vocab_size);
    if (!v)
        return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    for (int d = 0; d < n_docs && !e; d++)
        for (size_t i = 0; i < lens[d] && !e;) {
            size_t end = slot_next(docs[d], i, lens[d]), n;
            for (; i < end && !e; i += n) { /* slot tokens take no part in merges */
                n = pretok_next(docs[d], i, end);
                e = words_add(&ws, docs[d] + i, (int)n);
            }
            if (i < lens[d])
                i += slot_span(docs[d] + i, lens[d] - i);
        }
    for (int b = 0; b < 256 && !e; b++) {
        char c = (char)b;
        e = token_add(v, &c, 1, vocab_size);
    }
    size_t cap = 1 << 16;
    while (cap < (size_t)ws.n * 16)
        cap *= 2;
    keys = malloc(cap * sizeof *keys);
    counts = malloc(cap * sizeof *counts);
    if (!e && (!keys || !counts))
        e = as_fail(AS_ERR_NOMEM, "bpe: out of memory");
    int32_t a, b;
    while (!e && v->n_tokens < vocab_size - 2 - SLOT_COUNT && best_pair(&ws, keys, counts, cap, &a, &b)) {
        char buf[512];
        int la = v->raw_len[a], lb = v->raw_len[b];
        if (la + lb > (int)sizeof buf)
            break; /* longer tokens than any summary needs: stop merging */
        memcpy(buf, v->raw[a], (size_t)la);
        memcpy(buf + la, v->raw[b], (size_t)lb);
        int32_t id = token_find(v, buf, la + lb);
        if (id < 0) {
            id = v->n_tokens;
            e = token_add(v, buf, la + lb, vocab_size);
        }
        v->merge_pair[2 * v->n_merges] = a;
        v->merge_pair[2 * v->n_merges + 1] = b;
        v->merge_id[v->n_merges++] = id;
        for (int i = 0; i < ws.n; i++) { /* rewrite the words, left to right */
            word *w = &ws.w[i];
            int o = 0;
            for (int j = 0; j < w->n; j++) {
                if (j + 1 < w->n && w->sym[j] == a && w->sym[j + 1] == b) {
                    w->sym[o++] = id;
                    j++;
                } else {
                    w->sym[o++] = w->sym[j];
                }
            }
            w->n = o;
        }
    }
    if (!e)
        e = token_add(v, "<|endoftext|>", 13, vocab_size);
    if (!e)
        e = token_add(v, "<|summary|>", 11, vocab_size);
    v->eot = v->n_tokens - 2;
    v->sep = v->n_tokens - 1;
    for (int k = 0; k < SLOT_COUNT && !e; k++) {
        v->slots[k] = v->n_tokens;
        e = token_add(v, slot_token((slot_id)k), (int)strlen(slot_token((slot_id)k)), vocab_size);
    }
    if (!e)
        e = vocab_index_merges(v);
    free(keys);
    free(counts);
    words_free(&ws);
    if (e) {
        bpe_vocab_free(v);
        return e;
    }
    *out = v;
    return AS_OK;
}

/* ---- GGUF strings ------------------------------------------------------------ */

int bpe_is_special(const bpe_vocab *v, int id)
{
    if (id == v->eot || id == v->sep)
        return 1;
    for (int k = 0; k < SLOT_COUNT; k++)
        if (v->slots[k] == id)
            return 1;
    return 0;
}

char *bpe_token_string(const bpe_vocab *v, int id)
{
    if (id < 0 || id >= v->n_tokens)
        return NULL;
    int special = bpe_is_special(v, id);
    char *s = malloc((size_t)v->raw_len[id] * 2 + 1);
    if (!s)
        return NULL;
    int o = 0;
    for (int i = 0; i < v->raw_len[id]; i++) {
        if (special)
            s[o++] = v->raw[id][i];
        else
            o += utf8_put(s + o, byte_to_cp((unsigned char)v->raw[id][i]));
    }
    s[o] = '\0';
    return s;
}

char *bpe_merge_string(const bpe_vocab *v, int i)
{
    char *a = bpe_token_string(v, v->merge_pair[2 * i]);
    char *b = bpe_token_string(v, v->merge_pair[2 * i + 1]);
    char *s = a && b ? malloc(strlen(a) + strlen(b) + 2) : NULL;
    if (s) {
        strcpy(s, a);
        strcat(s, " ");
        strcat(s, b);
    }
    free(a);
    free(b);
    return s;
}

/* Raw bytes of a GGUF token string; -1 when a code point is not a byte. */
static int string_to_raw(char *out, const char *s, size_t n)
{
    int o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        int cp;
        if (c < 0x80) {
            cp = c;
            i++;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < n) {
            cp = ((c & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F);
            i += 2;
        } else {
            return -1;
        }
        int b = cp_to_byte(cp);
        if (b < 0)
            return -1;
        out[o++] = (char)b;
    }
    return o;
}

as_err bpe_vocab_from_strings(bpe_vocab **out, const char *const *tokens, const size_t *tok_lens,
                              int n_tokens, const char *const *merges, const size_t *merge_lens,
                              int n_merges, const char *source)
{
    *out = NULL;
    as_err e = AS_OK;
    bpe_vocab *v = vocab_alloc(n_tokens > n_merges ? n_tokens : n_merges);
    char *buf = malloc(1024);
    if (!v || !buf) {
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", source);
        goto cleanup;
    }
    v->eot = v->sep = -1;
    for (int i = 0; i < n_tokens && !e; i++) {
        if (tok_lens[i] == 13 && memcmp(tokens[i], "<|endoftext|>", 13) == 0)
            v->eot = i;
        if (tok_lens[i] == 11 && memcmp(tokens[i], "<|summary|>", 11) == 0)
            v->sep = i;
        int k = slot_find(tokens[i], tok_lens[i]);
        if (k >= 0)
            v->slots[k] = i;
        int n = tok_lens[i] < 1024 ? string_to_raw(buf, tokens[i], tok_lens[i]) : -1;
        if (v->eot == i || v->sep == i || k >= 0) {
            n = (int)tok_lens[i];
            memcpy(buf, tokens[i], (size_t)n);
        }
        if (n < 0)
            e = as_fail(AS_ERR_FORMAT, "'%s': field 'tokenizer.ggml.tokens': token %d is not "
                        "byte-level BPE text", source, i);
        else
            e = token_add(v, buf, n, n_tokens);
    }
    for (int i = 0; i < n_merges && !e; i++) {
        const char *sp = memchr(merges[i], ' ', merge_lens[i]);
        int la = sp ? string_to_raw(buf, merges[i], (size_t)(sp - merges[i])) : -1;
        int lb = la >= 0 && merge_lens[i] < 1024
                     ? string_to_raw(buf + la, sp + 1, merge_lens[i] - (size_t)(sp - merges[i]) - 1)
                     : -1;
        int32_t a = la > 0 ? token_find(v, buf, la) : -1;
        int32_t b = lb > 0 ? token_find(v, buf + la, lb) : -1;
        int32_t id = a >= 0 && b >= 0 ? token_find(v, buf, la + lb) : -1;
        if (id < 0) {
            e = as_fail(AS_ERR_FORMAT, "'%s': field 'tokenizer.ggml.merges': merge %d names "
                        "tokens not in the vocabulary", source, i);
            break;
        }
        v->merge_pair[2 * i] = a;
        v->merge_pair[2 * i + 1] = b;
        v->merge_id[i] = id;
        v->n_merges++;
    }
    if (!e && (v->eot < 0 || v->sep < 0))
        e = as_fail(AS_ERR_FORMAT, "'%s': field 'tokenizer.ggml.tokens': no <|endoftext|> or "
                    "<|summary|> token", source);
    if (!e)
        e = vocab_index_merges(v);
cleanup:
    free(buf);
    if (e) {
        bpe_vocab_free(v);
        return e;
    }
    *out = v;
    return AS_OK;
}

/* ---- encode / decode ------------------------------------------------------------ */

as_err bpe_ids_push(int32_t **ids, int *n, int *cap, int32_t id)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 256;
        int32_t *p = realloc(*ids, (size_t)c * sizeof *p);
        if (!p)
            return as_fail(AS_ERR_NOMEM, "bpe: out of memory");
        *ids = p;
        *cap = c;
    }
    (*ids)[(*n)++] = id;
    return AS_OK;
}

static as_err encode_plain(int32_t **ids, int *n, int *cap, const bpe_vocab *v, const char *text,
                           size_t len);

as_err bpe_encode(int32_t **ids, int *n, int *cap, const bpe_vocab *v, const char *text,
                  size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t end = v->slots[0] >= 0 ? slot_next(text, i, len) : len;
        as_err e = encode_plain(ids, n, cap, v, text + i, end - i);
        if (e || end == len)
            return e;
        size_t sl = slot_span(text + end, len - end);
        if ((e = bpe_ids_push(ids, n, cap, v->slots[slot_find(text + end, sl)])))
            return e;
        i = end + sl;
    }
    return AS_OK;
}

/* Ids of text that holds no slot token: pre-tokenize, then merge by rank. */
static as_err encode_plain(int32_t **ids, int *n, int *cap, const bpe_vocab *v, const char *text,
                           size_t len)
{
    int32_t sym[512];
    for (size_t i = 0; i < len;) {
        size_t w = pretok_next(text, i, len);
        size_t done = 0;
        while (done < w) { /* words longer than sym[] are cut, as no merge spans that far */
            int ns = 0;
            for (; done < w && ns < (int)(sizeof sym / sizeof sym[0]); done++)
                sym[ns++] = (unsigned char)text[i + done];
            for (;;) { /* apply the lowest-ranked merge until none applies */
                int best = -1, at = -1;
                for (int j = 0; j + 1 < ns; j++) {
                    int32_t r = pair_rank_of(v, sym[j], sym[j + 1]);
                    if (r >= 0 && (best < 0 || r < best)) {
                        best = r;
                        at = j;
                    }
                }
                if (best < 0)
                    break;
                int32_t a = sym[at], b = sym[at + 1], id = v->merge_id[best];
                int o = 0;
                for (int j = 0; j < ns; j++) {
                    if (j + 1 < ns && sym[j] == a && sym[j + 1] == b) {
                        sym[o++] = id;
                        j++;
                    } else {
                        sym[o++] = sym[j];
                    }
                }
                ns = o;
            }
            for (int j = 0; j < ns; j++) {
                as_err e = bpe_ids_push(ids, n, cap, sym[j]);
                if (e)
                    return e;
            }
        }
        i += w;
    }
    return AS_OK;
}

char *bpe_decode(const bpe_vocab *v, const int32_t *ids, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < v->n_tokens && ids[i] != v->eot && ids[i] != v->sep)
            len += (size_t)v->raw_len[ids[i]];
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < v->n_tokens && ids[i] != v->eot && ids[i] != v->sep) {
            memcpy(s + o, v->raw[ids[i]], (size_t)v->raw_len[ids[i]]);
            o += (size_t)v->raw_len[ids[i]];
        }
    s[o] = '\0';
    return s;
}
