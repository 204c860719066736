/*
 * slots_grammar.c -- the sentence forms the narrator writes, with slot
 * tokens in place of values, and the check that a generated (slotted)
 * paragraph uses only those forms (see slots.h).
 *
 * Why: the guard checks every number against the stock's facts, but by
 * value only.  A student that writes "the abnormal return was <|car1|>%"
 * states a true number in the wrong role, and the guard cannot tell.  Every sentence form the narrator has is a form in which
 * each slot plays its own role, so a paragraph made only of such forms says
 * nothing the narrator could not have said about this stock.
 *
 * Owns one process-wide set of forms, built once (pthread_once) by running
 * the narrator in slot mode over seeded random sheets (distill_facts.h);
 * never freed.  Units: a text is cut after every ". " and around the slots
 * that render whole sentences (significance, peers, caveats); each piece, trimmed
 * and without its optional market-value slot, is one form.
 */
#include "model/slots.h"

#include "model/distill_facts.h"
#include "model/narrator.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Sheets whose paragraphs define the forms: every phrasing choice of the
 * narrator appears thousands of times in them (tests/test_summary_slots.c
 * checks that paragraphs of other seeds use no form outside the set). */
#define GRAMMAR_SHEETS 3000
#define GRAMMAR_SEED0 0x5107A11ull

static struct {
    char **slot; /* open addressing, power-of-two size */
    size_t cap, n;
    int ok;
} forms;
static pthread_once_t forms_once = PTHREAD_ONCE_INIT;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
    return h;
}

/* The slot index of the form s[0..n), or of the empty place it would take. */
static size_t forms_find(const char *s, size_t n)
{
    size_t i = (size_t)fnv(s, n) & (forms.cap - 1);
    while (forms.slot[i] && (strlen(forms.slot[i]) != n || memcmp(forms.slot[i], s, n) != 0))
        i = (i + 1) & (forms.cap - 1);
    return i;
}

static int forms_add(const char *s, size_t n)
{
    if (2 * (forms.n + 1) > forms.cap) {
        size_t cap = forms.cap ? forms.cap * 2 : 4096;
        char **old = forms.slot;
        size_t old_cap = forms.cap;
        if (!(forms.slot = calloc(cap, sizeof *forms.slot))) {
            forms.slot = old;
            return -1;
        }
        forms.cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                forms.slot[forms_find(old[i], strlen(old[i]))] = old[i];
        free(old);
    }
    size_t i = forms_find(s, n);
    if (forms.slot[i])
        return 0;
    if (!(forms.slot[i] = strndup(s, n)))
        return -1;
    forms.n++;
    return 0;
}

/* Whether the slot token at s (length n) renders a whole sentence. */
static int sentence_slot(const char *s, size_t n)
{
    int id = slot_find(s, n);
    return id == SLOT_SIG_A || id == SLOT_SIG_B || id == SLOT_SIG_C || id == SLOT_PEERS_A ||
           id == SLOT_PEERS_B || id == SLOT_PEERS_C || id == SLOT_CAVEATS_A ||
           id == SLOT_CAVEATS_B;
}

/* Cut text into forms and call fn on each (trimmed, non-empty) until it
 * returns non-zero; returns that value, else 0. */
static int forms_each(const char *text, int (*fn)(const char *s, size_t n, void *arg), void *arg)
{
    size_t len = strlen(text), start = 0;
    for (size_t i = 0; i <= len; i++) {
        size_t cut = 0, next = 0;
        if (i == len) {
            cut = i, next = i;
        } else if (text[i] == '.' && (i + 1 == len || text[i + 1] == ' ')) {
            cut = i + 1, next = i + 1;
        } else if (text[i] == '<') {
            size_t n = slot_span(text + i, len - i);
            if (n && sentence_slot(text + i, n)) {
                int r = 0;
                while (start < i && text[start] == ' ')
                    start++;
                size_t end = i;
                while (end > start && text[end - 1] == ' ')
                    end--;
                if (end > start && (r = fn(text + start, end - start, arg)))
                    return r;
                if ((r = fn(text + i, n, arg)))
                    return r;
                start = i + n;
                i += n - 1;
                continue;
            }
        }
        if (!cut)
            continue;
        while (start < cut && text[start] == ' ')
            start++;
        size_t end = cut;
        while (end > start && text[end - 1] == ' ')
            end--;
        if (end > start) {
            int r = fn(text + start, end - start, arg);
            if (r)
                return r;
        }
        start = next;
    }
    return 0;
}

/* A form without its market-value slots: that clause is optional (none
 * under $0.1bn, slots.c), so "<|ticker|> shares <|move_b|> on <|date|>."
 * with and without it is one form, and rare combinations need no
 * sheet of their own.  Returns the key's length, 0 if it does not fit. */
static size_t form_key(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t sl = s[i] == '<' ? slot_span(s + i, n - i) : 0;
        if (sl) {
            int id = slot_find(s + i, sl);
            if (id == SLOT_MV_A || id == SLOT_MV_B || id == SLOT_MV_C) {
                i += sl;
                continue;
            }
        } else {
            sl = 1;
        }
        if (k + sl >= cap)
            return 0;
        memcpy(out + k, s + i, sl);
        k += sl;
        i += sl;
    }
    out[k] = '\0';
    return k;
}

static int add_one(const char *s, size_t n, void *arg)
{
    (void)arg;
    char key[2048];
    size_t k = form_key(key, sizeof key, s, n);
    return k && forms_add(key, k) ? -1 : 0;
}

static void forms_build(void)
{
    for (uint64_t k = 0; k < GRAMMAR_SHEETS; k++) {
        factsheet fs;
        uint64_t seed = GRAMMAR_SEED0 + k;
        if (distill_random_sheet(&fs, seed, 6) != AS_OK)
            return;
        for (int i = 0; i < fs.n_stocks; i++) {
            char *t = NULL;
            int r = narrator_write_slots(&t, &fs, i, seed) == AS_OK ? forms_each(t, add_one, NULL)
                                                                   : -1;
            free(t);
            if (r) {
                factsheet_clear(&fs);
                return;
            }
        }
        factsheet_clear(&fs);
    }
    forms.ok = 1;
}

struct unknown {
    int n;
    char *first;
    size_t len;
};

static int check_one(const char *s, size_t n, void *arg)
{
    struct unknown *u = arg;
    char key[2048];
    size_t k = form_key(key, sizeof key, s, n);
    if (k && forms.slot[forms_find(key, k)])
        return 0;
    if (u->n++ == 0 && u->len)
        snprintf(u->first, u->len, "%.*s", (int)(n > 120 ? 120 : n), s);
    return 0;
}

int slots_unknown_sentences(const char *slotted, char *first, size_t len)
{
    pthread_once(&forms_once, forms_build);
    if (len)
        first[0] = '\0';
    if (!forms.ok)
        return -1;
    struct unknown u = {0, first, len};
    forms_each(slotted, check_one, &u);
    return u.n;
}
