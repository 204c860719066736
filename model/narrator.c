/*
 * narrator.c -- the seeded grammar behind narrator_write().
 *
 * A paragraph is a fixed sequence of slots: lead (date, ticker, verb,
 * magnitude, market value), market comparison with the abnormal return and
 * its t, significance, peers, cumulative windows, attribution to the top
 * headline, caveats.  Each slot has a few phrasings; a splitmix64 stream
 * seeded from (seed, ticker, date) picks one, so neighbouring stocks read
 * differently while a rerun gives the same bytes.  Numbers are printed at
 * the fact sheet's precision (percent and t with two decimals, USD billions
 * with one), signs either explicit ("-15.10%") or carried by a direction
 * word that agrees with the sign ("fell 16.97%"): the guard relies on that.
 */
#include "model/narrator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *const verbs_down[5][3] = {
    {"was little changed", "barely moved", "held steady"},
    {"slipped", "eased", "edged down"},
    {"fell", "dropped", "declined"},
    {"slumped", "tumbled", "sank"},
    {"plunged", "collapsed", "crashed"},
};
static const char *const verbs_up[5][3] = {
    {"was little changed", "barely moved", "held steady"},
    {"edged up", "ticked up", "firmed"},
    {"rose", "gained", "advanced"},
    {"jumped", "climbed", "rallied"},
    {"soared", "surged", "rocketed"},
};

static const char *const months[12] = {"January", "February", "March",     "April",
                                       "May",     "June",     "July",      "August",
                                       "September", "October", "November", "December"};

/* "2025-01-27" in one of three spellings the guard reads back. */
static void put_date(FILE *f, const char *iso, int style)
{
    int y = (iso[0] - '0') * 1000 + (iso[1] - '0') * 100 + (iso[2] - '0') * 10 + (iso[3] - '0');
    int m = (iso[5] - '0') * 10 + (iso[6] - '0');
    int d = (iso[8] - '0') * 10 + (iso[9] - '0');
    if (style == 0 || m < 1 || m > 12)
        fputs(iso, f);
    else if (style == 1)
        fprintf(f, "%d %s %d", d, months[m - 1], y);
    else
        fprintf(f, "%s %d, %d", months[m - 1], d, y);
}

static void put_window(FILE *f, const fact_window *w)
{
    fputc('[', f);
    fprintf(f, w->from > 0 ? "+%d" : "%d", w->from);
    fputc(',', f);
    fprintf(f, w->to > 0 ? "+%d" : "%d", w->to);
    fputc(']', f);
}

/* A move with its sign carried by the verb: "fell 16.97%", or, when flat,
 * "was little changed at -0.23%" with the sign explicit. */
static void put_move(FILE *f, double pct, uint64_t *rs)
{
    narrator_mag m = narrator_magnitude(pct);
    int k = pick(rs, 3);
    if (m == NARRATOR_FLAT) {
        fprintf(f, "%s at %.2f%%", verbs_down[0][k], pct);
        return;
    }
    fprintf(f, "%s %.2f%%", pct < 0 ? verbs_down[m][k] : verbs_up[m][k], fabs(pct));
}

static void put_sig(FILE *f, double t, const char *what, uint64_t *rs)
{
    int lvl = fact_sig_level(t);
    if (lvl) {
        static const char *const fmt[3] = {
            " %s is statistically significant at the %d%% level.",
            " At the %2$d%% level, %1$s is statistically significant.",
            " %s passes a test at the %d%% significance level.",
        };
        char cap[64];
        snprintf(cap, sizeof cap, "%s", what);
        int k = pick(rs, 3);
        if (k != 1)
            cap[0] = (char)(cap[0] - 'a' + 'A');
        fprintf(f, fmt[k], cap, lvl);
    } else {
        static const char *const txt[3] = {
            " That abnormal return is not statistically significant, so it may be noise.",
            " The abnormal return is not statistically significant.",
            " Statistically, the abnormal return cannot be told apart from zero.",
        };
        fputs(txt[pick(rs, 3)], f);
    }
}

static void put_lead(FILE *f, const factsheet *fs, const fact_stock *s, uint64_t *rs)
{
    int ds = pick(rs, 3);
    switch (pick(rs, 3)) {
    case 0:
        fputs("On ", f);
        put_date(f, fs->date, ds);
        fprintf(f, ", %s ", s->ticker);
        break;
    case 1:
        fprintf(f, "%s shares ", s->ticker);
        put_move(f, s->ret0, rs);
        fputs(" on ", f);
        put_date(f, fs->date, ds);
        goto mv;
    default:
        fprintf(f, "On the event day, ");
        put_date(f, fs->date, ds);
        fprintf(f, ", %s ", s->ticker);
        break;
    }
    put_move(f, s->ret0, rs);
mv:
    if (fabs(s->mv_bn) >= 0.1) {
        static const char *const down[3] = {", wiping out about $%.1fbn of market value",
                                            ", erasing roughly $%.1fbn in market value",
                                            ", shedding about $%.1fbn of market value"};
        static const char *const up[3] = {", adding about $%.1fbn of market value",
                                          ", adding roughly $%.1fbn in market value",
                                          ", gaining about $%.1fbn of market value"};
        fprintf(f, (s->mv_bn < 0 ? down : up)[pick(rs, 3)], fabs(s->mv_bn));
    }
    fputs(".", f);
}

static void put_market(FILE *f, const factsheet *fs, const fact_stock *s, uint64_t *rs)
{
    switch (pick(rs, 3)) {
    case 0:
        fprintf(f, " The market (%s) ", fs->market);
        put_move(f, fs->market_ret0, rs);
        fprintf(f, ", leaving an abnormal return of %.2f%% (t = %.2f).", s->ar0, s->t0);
        break;
    case 1:
        fprintf(f, " After adjusting for the market, which ");
        put_move(f, fs->market_ret0, rs);
        fprintf(f, " (%s), the abnormal return was %.2f%% (t = %.2f).", fs->market, s->ar0,
                s->t0);
        break;
    default:
        fprintf(f, " Against a market move of %.2f%% in %s, the abnormal return was %.2f%% "
                   "(t = %.2f).",
                fs->market_ret0, fs->market, s->ar0, s->t0);
        break;
    }
    put_sig(f, s->t0, "the abnormal return", rs);
}

static void put_peers(FILE *f, const factsheet *fs, const fact_stock *s, uint64_t *rs)
{
    const fact_sector *sec = factsheet_find_sector(fs, s->sector);
    if (!sec || sec->n < 2)
        return;
    const char *cmp = s->ar0 < sec->mean_ar0 ? "worse" : "better";
    switch (pick(rs, 3)) {
    case 0:
        fprintf(f, " Across the %d %s stocks in the study the average abnormal return was "
                   "%.2f%%, so %s did %s than its peers.",
                sec->n, sec->name, sec->mean_ar0, s->ticker, cmp);
        break;
    case 1:
        fprintf(f, " %s peers (%d stocks) averaged an abnormal return of %.2f%%; %s fared %s.",
                sec->name, sec->n, sec->mean_ar0, s->ticker, cmp);
        break;
    default:
        fprintf(f, " Compared with the %s group, whose %d stocks averaged %.2f%%, %s did %s.",
                sec->name, sec->n, sec->mean_ar0, s->ticker, cmp);
        break;
    }
}

static void put_windows(FILE *f, const fact_stock *s, uint64_t *rs)
{
    for (int i = 0; i < s->n_win && i < 2; i++) {
        const fact_window *w = &s->win[i];
        if (pick(rs, 2)) {
            fputs(" Over the ", f);
            put_window(f, w);
            fprintf(f, " window the cumulative abnormal return was %.2f%% (t = %.2f).", w->car,
                    w->t);
        } else {
            fputs(" The cumulative abnormal return over ", f);
            put_window(f, w);
            fprintf(f, " was %.2f%% (t = %.2f)", w->car, w->t);
            fputs(fact_sig_level(w->t) ? ", a significant result." : ", not significant.", f);
        }
    }
}

static void put_attribution(FILE *f, const factsheet *fs, uint64_t *rs)
{
    if (fs->n_heads == 0)
        return;
    const fact_headline *h = &fs->heads[0];
    switch (pick(rs, 3)) {
    case 0:
        fprintf(f, " The move followed the headline \"%s\" (%s, ", h->text, h->source);
        put_date(f, h->date, 0);
        fputs(").", f);
        break;
    case 1:
        fprintf(f, " It came as %s reported \"%s\".", h->source, h->text);
        break;
    default:
        fprintf(f, " The trigger was the news \"%s\" (%s).", h->text, h->source);
        break;
    }
}

static void put_caveats(FILE *f, const factsheet *fs, const fact_stock *s, uint64_t *rs)
{
    if (s->n_est < 120)
        fprintf(f, " The estimation window has only %d trading days, so these estimates are "
                   "less reliable.",
                s->n_est);
    /* The market explains most of the move when the raw return and the market
     * moved the same way and the abnormal part is under half the raw one. */
    if (narrator_magnitude(s->ret0) >= NARRATOR_CLEAR && (s->ret0 < 0) == (fs->market_ret0 < 0) &&
        fabs(s->ar0) < fabs(s->ret0) / 2) {
        static const char *const txt[2] = {
            " Much of the move reflects the market rather than news specific to %s.",
            " The broad market, not %s itself, explains most of the move.",
        };
        fprintf(f, txt[pick(rs, 2)], s->ticker);
    }
}

as_err narrator_write(char **out, const factsheet *fs, int stock, uint64_t seed)
{
    *out = NULL;
    if (stock < 0 || stock >= fs->n_stocks)
        return as_fail(AS_ERR_RANGE, "narrator: stock %d out of range (%d stocks)", stock,
                       fs->n_stocks);
    const fact_stock *s = &fs->stocks[stock];
    uint64_t rs = hash_str(hash_str(0xCBF29CE484222325ull ^ seed, s->ticker), fs->date);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return as_fail(AS_ERR_NOMEM, "narrator: out of memory");
    put_lead(f, fs, s, &rs);
    put_market(f, fs, s, &rs);
    put_peers(f, fs, s, &rs);
    put_windows(f, s, &rs);
    put_attribution(f, fs, &rs);
    put_caveats(f, fs, s, &rs);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return as_fail(AS_ERR_NOMEM, "narrator: out of memory");
    }
    *out = buf;
    return AS_OK;
}
