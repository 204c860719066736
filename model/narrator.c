/*
 * narrator.c -- the seeded grammar behind narrator_write().
 *
 * A paragraph is a fixed sequence of parts: lead (date, ticker, verb,
 * magnitude, market value), market comparison with the abnormal return and
 * its t, significance, peers, cumulative windows, attribution to the top
 * headline, caveats.  Each part has a few phrasings; a splitmix64 stream
 * seeded from (seed, ticker, date) picks one, so neighbouring stocks read
 * differently while a rerun gives the same bytes.  Every value goes through
 * one slot of model/slots.h, printed by slot_render() (the fact sheet's
 * precision; signs explicit, "-15.10%", or carried by a direction word that
 * agrees with the sign, "fell 16.97%": the guard relies on that) or, for the
 * distillation corpus, left as the slot's token.  The phrasing stream is
 * drawn identically either way, so the two forms always correspond.
 */
#include "model/narrator.h"
#include "model/slots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

narrator_mag narrator_magnitude(double pct)
{
    double a = fabs(pct);
    if (a >= 10.0)
        return NARRATOR_EXTREME;
    if (a >= 5.0)
        return NARRATOR_LARGE;
    if (a >= 2.0)
        return NARRATOR_CLEAR;
    if (a >= 0.5)
        return NARRATOR_SMALL;
    return NARRATOR_FLAT;
}

/* splitmix64 (Steele, Lea & Flood 2014): tiny, well mixed, reproducible. */
static uint64_t mix_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int pick(uint64_t *s, int n)
{
    return (int)(mix_next(s) % (uint64_t)n);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001B3ull; /* FNV-1a */
    return h;
}

/* One paragraph being written: where, about what, and whether values are
 * printed or left as slot tokens. */
typedef struct narr {
    FILE *f;
    const factsheet *fs;
    int stock;
    int delex;      /* 1: slot tokens instead of values */
    uint64_t rs;    /* phrasing stream */
} narr;

static void put_slot(narr *n, slot_id id)
{
    if (n->delex)
        fputs(slot_token(id), n->f);
    else
        slot_render(n->f, id, n->fs, n->stock);
}

/* A slot in three phrasings (first, first + 1, first + 2): the phrasing is
 * drawn here, the words and numbers are the slot's. */
static void put_phrased(narr *n, slot_id first)
{
    put_slot(n, (slot_id)(first + pick(&n->rs, 3)));
}

static void put_lead(narr *n)
{
    FILE *f = n->f;
    const fact_stock *s = &n->fs->stocks[n->stock];
    slot_id date = (slot_id)(SLOT_DATE + pick(&n->rs, 3));
    switch (pick(&n->rs, 3)) {
    case 0:
        fputs("On ", f);
        put_slot(n, date);
        fputs(", ", f);
        put_slot(n, SLOT_TICKER);
        fputc(' ', f);
        break;
    case 1:
        put_slot(n, SLOT_TICKER);
        fputs(" shares ", f);
        put_phrased(n, SLOT_MOVE_A);
        fputs(" on ", f);
        put_slot(n, date);
        goto mv;
    default:
        fputs("On the event day, ", f);
        put_slot(n, date);
        fputs(", ", f);
        put_slot(n, SLOT_TICKER);
        fputc(' ', f);
        break;
    }
    put_phrased(n, SLOT_MOVE_A);
mv:
    /* the market-value slot is always written (empty under $0.1bn, slots.c);
     * its phrasing is drawn only when it says something */
    if (fabs(s->mv_bn) >= 0.1)
        put_phrased(n, SLOT_MV_A);
    else
        put_slot(n, SLOT_MV_A);
    fputs(".", f);
}

static void put_market(narr *n)
{
    FILE *f = n->f;
    switch (pick(&n->rs, 3)) {
    case 0:
        fputs(" The market (", f);
        put_slot(n, SLOT_MARKET);
        fputs(") ", f);
        put_phrased(n, SLOT_MKT_MOVE_A);
        fputs(", leaving an abnormal return of ", f);
        put_slot(n, SLOT_AR0);
        fputs("% (t = ", f);
        put_slot(n, SLOT_T0);
        fputs(").", f);
        break;
    case 1:
        fputs(" After adjusting for the market, which ", f);
        put_phrased(n, SLOT_MKT_MOVE_A);
        fputs(" (", f);
        put_slot(n, SLOT_MARKET);
        fputs("), the abnormal return was ", f);
        put_slot(n, SLOT_AR0);
        fputs("% (t = ", f);
        put_slot(n, SLOT_T0);
        fputs(").", f);
        break;
    default:
        fputs(" Against a market move of ", f);
        put_slot(n, SLOT_MKT_RET);
        fputs("% in ", f);
        put_slot(n, SLOT_MARKET);
        fputs(", the abnormal return was ", f);
        put_slot(n, SLOT_AR0);
        fputs("% (t = ", f);
        put_slot(n, SLOT_T0);
        fputs(").", f);
        break;
    }
    /* one phrasing draw whether or not t0 is significant */
    fputc(' ', f);
    put_phrased(n, SLOT_SIG_A);
}

/* The peers sentence: one slot (slots.c) that is empty for a sector with
 * fewer than two stocks; its phrasing is drawn only when it applies. */
static void put_peers(narr *n)
{
    const fact_stock *s = &n->fs->stocks[n->stock];
    const fact_sector *sec = factsheet_find_sector(n->fs, s->sector);
    int k = sec && sec->n >= 2 ? pick(&n->rs, 3) : 0;
    put_slot(n, (slot_id)(SLOT_PEERS_A + k));
}

static void put_windows(narr *n)
{
    static const slot_id win[2] = {SLOT_WIN1, SLOT_WIN2}, car[2] = {SLOT_CAR1, SLOT_CAR2},
                         t[2] = {SLOT_CAR1_T, SLOT_CAR2_T}, sig[2] = {SLOT_CAR1_SIG, SLOT_CAR2_SIG};
    FILE *f = n->f;
    const fact_stock *s = &n->fs->stocks[n->stock];
    for (int i = 0; i < s->n_win && i < 2; i++) {
        if (pick(&n->rs, 2)) {
            fputs(" Over the ", f);
            put_slot(n, win[i]);
            fputs(" window the cumulative abnormal return was ", f);
            put_slot(n, car[i]);
            fputs("% (t = ", f);
            put_slot(n, t[i]);
            fputs(").", f);
        } else {
            fputs(" The cumulative abnormal return over ", f);
            put_slot(n, win[i]);
            fputs(" was ", f);
            put_slot(n, car[i]);
            fputs("% (t = ", f);
            put_slot(n, t[i]);
            fputs("), ", f);
            put_slot(n, sig[i]);
            fputs(".", f);
        }
    }
}

static void put_attribution(narr *n)
{
    FILE *f = n->f;
    if (n->fs->n_heads == 0)
        return;
    switch (pick(&n->rs, 3)) {
    case 0:
        fputs(" The move followed the headline \"", f);
        put_slot(n, SLOT_HEADLINE);
        fputs("\" (", f);
        put_slot(n, SLOT_SOURCE);
        fputs(", ", f);
        put_slot(n, SLOT_HEAD_DATE);
        fputs(").", f);
        break;
    case 1:
        fputs(" It came as ", f);
        put_slot(n, SLOT_SOURCE);
        fputs(" reported \"", f);
        put_slot(n, SLOT_HEADLINE);
        fputs("\".", f);
        break;
    default:
        fputs(" The trigger was the news \"", f);
        put_slot(n, SLOT_HEADLINE);
        fputs("\" (", f);
        put_slot(n, SLOT_SOURCE);
        fputs(").", f);
        break;
    }
}

int narrator_caveat_short_window(const fact_stock *s)
{
    return s->n_est < NARRATOR_SHORT_EST;
}

/* The market explains most of the move when the raw return and the market
 * moved the same way and the abnormal part is under half the raw one. */
int narrator_caveat_market(const factsheet *fs, const fact_stock *s)
{
    return narrator_magnitude(s->ret0) >= NARRATOR_CLEAR &&
           (s->ret0 < 0) == (fs->market_ret0 < 0) && fabs(s->ar0) < fabs(s->ret0) / 2;
}

/* The closing caveats: one slot that renders those that apply (slots.c);
 * the market caveat's phrasing is drawn only when it applies. */
static void put_caveats(narr *n)
{
    const fact_stock *s = &n->fs->stocks[n->stock];
    int k = narrator_caveat_market(n->fs, s) ? pick(&n->rs, 2) : 0;
    put_slot(n, k ? SLOT_CAVEATS_B : SLOT_CAVEATS_A);
}

static as_err write_paragraph(char **out, const factsheet *fs, int stock, uint64_t seed,
                              int delex)
{
    *out = NULL;
    if (stock < 0 || stock >= fs->n_stocks)
        return as_fail(AS_ERR_RANGE, "narrator: stock %d out of range (%d stocks)", stock,
                       fs->n_stocks);
    const fact_stock *s = &fs->stocks[stock];
    char *buf = NULL;
    size_t len = 0;
    narr n = {.f = open_memstream(&buf, &len), .fs = fs, .stock = stock, .delex = delex,
              .rs = hash_str(hash_str(0xCBF29CE484222325ull ^ seed, s->ticker), fs->date)};
    if (!n.f)
        return as_fail(AS_ERR_NOMEM, "narrator: out of memory");
    put_lead(&n);
    put_market(&n);
    put_peers(&n);
    put_windows(&n);
    put_attribution(&n);
    put_caveats(&n);
    if (fclose(n.f) != 0 || !buf) {
        free(buf);
        return as_fail(AS_ERR_NOMEM, "narrator: out of memory");
    }
    *out = buf;
    return AS_OK;
}

as_err narrator_write(char **out, const factsheet *fs, int stock, uint64_t seed)
{
    return write_paragraph(out, fs, stock, seed, 0);
}

as_err narrator_write_slots(char **out, const factsheet *fs, int stock, uint64_t seed)
{
    return write_paragraph(out, fs, stock, seed, 1);
}
