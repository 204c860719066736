/*
 * slots.c -- slot tokens, the narrator's formatting of each fact-sheet value
 * and the filling of slots (see slots.h).
 *
 * The formats are the fact sheet's precision: percent and t with two
 * decimals, USD billions with one; a move carries its sign in a direction
 * word that agrees with it ("fell 16.97%"), or explicitly when flat ("was
 * little changed at -0.23%").  The guard (model/guard.c) recognises every
 * verb listed here.
 */
#include "model/slots.h"
#include "model/narrator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const slot_tokens[SLOT_COUNT] = {
    [SLOT_TICKER] = "<|ticker|>",         [SLOT_DATE] = "<|date|>",
    [SLOT_DATE_DMY] = "<|date_dmy|>",     [SLOT_DATE_MDY] = "<|date_mdy|>",
    [SLOT_MOVE_A] = "<|move_a|>",         [SLOT_MOVE_B] = "<|move_b|>",
    [SLOT_MOVE_C] = "<|move_c|>",         [SLOT_MV_A] = "<|mv_a|>",
    [SLOT_MV_B] = "<|mv_b|>",             [SLOT_MV_C] = "<|mv_c|>",
    [SLOT_MARKET] = "<|market|>",         [SLOT_MKT_MOVE_A] = "<|mkt_move_a|>",
    [SLOT_MKT_MOVE_B] = "<|mkt_move_b|>", [SLOT_MKT_MOVE_C] = "<|mkt_move_c|>",
    [SLOT_MKT_RET] = "<|mkt_ret|>",       [SLOT_AR0] = "<|ar0|>",
    [SLOT_T0] = "<|t0|>",                 [SLOT_SIG_A] = "<|sig_a|>",
    [SLOT_SIG_B] = "<|sig_b|>",           [SLOT_SIG_C] = "<|sig_c|>",
    [SLOT_PEERS_A] = "<|peers_a|>",       [SLOT_PEERS_B] = "<|peers_b|>",
    [SLOT_PEERS_C] = "<|peers_c|>",
    [SLOT_WIN1] = "<|win1|>",             [SLOT_CAR1] = "<|car1|>",
    [SLOT_CAR1_T] = "<|car1_t|>",         [SLOT_CAR1_SIG] = "<|car1_sig|>",
    [SLOT_WIN2] = "<|win2|>",             [SLOT_CAR2] = "<|car2|>",
    [SLOT_CAR2_T] = "<|car2_t|>",         [SLOT_CAR2_SIG] = "<|car2_sig|>",
    [SLOT_HEADLINE] = "<|headline|>",     [SLOT_SOURCE] = "<|source|>",
    [SLOT_HEAD_DATE] = "<|head_date|>",   [SLOT_CAVEATS_A] = "<|caveats_a|>",
    [SLOT_CAVEATS_B] = "<|caveats_b|>",
};

const char *slot_token(slot_id id)
{
    return id >= 0 && id < SLOT_COUNT ? slot_tokens[id] : "";
}

int slot_find(const char *s, size_t len)
{
    for (int i = 0; i < SLOT_COUNT; i++)
        if (strlen(slot_tokens[i]) == len && memcmp(slot_tokens[i], s, len) == 0)
            return i;
    return -1;
}

size_t slot_span(const char *s, size_t len)
{
    if (len < 5 || s[0] != '<' || s[1] != '|')
        return 0;
    size_t i = 2;
    while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    if (i == 2 || i + 1 >= len || s[i] != '|' || s[i + 1] != '>')
        return 0;
    return i + 2;
}

/* ---- the narrator's formats ---------------------------------------------------- */

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

/* A move in phrasing k: "fell 16.97%", or, when flat, "was little changed
 * at -0.23%" with the sign explicit. */
static void put_move(FILE *f, double pct, int k)
{
    narrator_mag m = narrator_magnitude(pct);
    if (m == NARRATOR_FLAT) {
        fprintf(f, "%s at %.2f%%", verbs_down[0][k], pct);
        return;
    }
    fprintf(f, "%s %.2f%%", pct < 0 ? verbs_down[m][k] : verbs_up[m][k], fabs(pct));
}

/* The market-value clause in phrasing k; none under $0.1bn. */
static int put_mv(FILE *f, double bn, int k)
{
    static const char *const down[3] = {", wiping out about $%.1fbn of market value",
                                        ", erasing roughly $%.1fbn in market value",
                                        ", shedding about $%.1fbn of market value"};
    static const char *const up[3] = {", adding about $%.1fbn of market value",
                                      ", adding roughly $%.1fbn in market value",
                                      ", gaining about $%.1fbn of market value"};
    if (fabs(bn) >= 0.1) /* under $0.1bn the narrator states no market value */
        fprintf(f, (bn < 0 ? down : up)[k], fabs(bn));
    return 1;
}

/* The sentence on the day-0 abnormal return's significance, phrasing k. */
static void put_sig(FILE *f, double t, int k)
{
    static const char *const sig[3] = {
        "The abnormal return is statistically significant at the %d%% level.",
        "At the %d%% level, the abnormal return is statistically significant.",
        "The abnormal return passes a test at the %d%% significance level.",
    };
    static const char *const not_sig[3] = {
        "That abnormal return is not statistically significant, so it may be noise.",
        "The abnormal return is not statistically significant.",
        "Statistically, the abnormal return cannot be told apart from zero.",
    };
    int lvl = fact_sig_level(t);
    if (lvl)
        fprintf(f, sig[k], lvl);
    else
        fputs(not_sig[k], f);
}

/* The caveats that apply to s, each a sentence with its leading space, in
 * phrasing k; nothing when none applies (narrator.h says when). */
static void put_caveats(FILE *f, const factsheet *fs, const fact_stock *s, int k)
{
    if (narrator_caveat_short_window(s))
        fprintf(f, " The estimation window has only %d trading days, so these estimates are "
                   "less reliable.", s->n_est);
    if (narrator_caveat_market(fs, s)) {
        if (k == 0)
            fprintf(f, " Much of the move reflects the market rather than news specific to %s.",
                    s->ticker);
        else
            fprintf(f, " The broad market, not %s itself, explains most of the move.",
                    s->ticker);
    }
}

/* The sector of s when it has peers to compare with (two stocks or more). */
static const fact_sector *peers_of(const factsheet *fs, const fact_stock *s)
{
    const fact_sector *sec = factsheet_find_sector(fs, s->sector);
    return sec && sec->n >= 2 ? sec : NULL;
}

/* The sentence comparing s with its sector's mean abnormal return, with its
 * leading space, in phrasing k; nothing without peers. */
static void put_peers(FILE *f, const fact_stock *s, const fact_sector *sec, int k)
{
    if (!sec)
        return;
    const char *cmp = s->ar0 < sec->mean_ar0 ? "worse" : "better";
    if (k == 0)
        fprintf(f, " Across the %d %s stocks in the study the average abnormal return was "
                   "%.2f%%, so %s did %s than its peers.", sec->n, sec->name, sec->mean_ar0,
                s->ticker, cmp);
    else if (k == 1)
        fprintf(f, " %s peers (%d stocks) averaged an abnormal return of %.2f%%; %s fared %s.",
                sec->name, sec->n, sec->mean_ar0, s->ticker, cmp);
    else
        fprintf(f, " Compared with the %s group, whose %d stocks averaged %.2f%%, %s did %s.",
                sec->name, sec->n, sec->mean_ar0, s->ticker, cmp);
}

/* switch without default: the compiler names a slot left without a format */
int slot_render(FILE *f, slot_id id, const factsheet *fs, int stock)
{
    if (stock < 0 || stock >= fs->n_stocks)
        return 0;
    const fact_stock *s = &fs->stocks[stock];
    const fact_sector *sec = peers_of(fs, s);
    const fact_window *w1 = s->n_win > 0 ? &s->win[0] : NULL;
    const fact_window *w2 = s->n_win > 1 ? &s->win[1] : NULL;
    const fact_headline *h = fs->n_heads > 0 ? &fs->heads[0] : NULL;
    switch (id) {
    case SLOT_TICKER:
        fputs(s->ticker, f);
        return 1;
    case SLOT_DATE:
    case SLOT_DATE_DMY:
    case SLOT_DATE_MDY:
        put_date(f, fs->date, (int)(id - SLOT_DATE));
        return 1;
    case SLOT_MOVE_A:
    case SLOT_MOVE_B:
    case SLOT_MOVE_C:
        put_move(f, s->ret0, (int)(id - SLOT_MOVE_A));
        return 1;
    case SLOT_MV_A:
    case SLOT_MV_B:
    case SLOT_MV_C:
        return put_mv(f, s->mv_bn, (int)(id - SLOT_MV_A));
    case SLOT_MARKET:
        fputs(fs->market, f);
        return 1;
    case SLOT_MKT_MOVE_A:
    case SLOT_MKT_MOVE_B:
    case SLOT_MKT_MOVE_C:
        put_move(f, fs->market_ret0, (int)(id - SLOT_MKT_MOVE_A));
        return 1;
    case SLOT_MKT_RET:
        fprintf(f, "%.2f", fs->market_ret0);
        return 1;
    case SLOT_AR0:
        fprintf(f, "%.2f", s->ar0);
        return 1;
    case SLOT_T0:
        fprintf(f, "%.2f", s->t0);
        return 1;
    case SLOT_SIG_A:
    case SLOT_SIG_B:
    case SLOT_SIG_C:
        put_sig(f, s->t0, (int)(id - SLOT_SIG_A));
        return 1;
    case SLOT_PEERS_A:
    case SLOT_PEERS_B:
    case SLOT_PEERS_C:
        put_peers(f, s, sec, (int)(id - SLOT_PEERS_A));
        return 1;
    case SLOT_WIN1:
    case SLOT_WIN2: {
        const fact_window *w = id == SLOT_WIN1 ? w1 : w2;
        if (w)
            put_window(f, w);
        return w != NULL;
    }
    case SLOT_CAR1:
    case SLOT_CAR2: {
        const fact_window *w = id == SLOT_CAR1 ? w1 : w2;
        if (w)
            fprintf(f, "%.2f", w->car);
        return w != NULL;
    }
    case SLOT_CAR1_T:
    case SLOT_CAR2_T: {
        const fact_window *w = id == SLOT_CAR1_T ? w1 : w2;
        if (w)
            fprintf(f, "%.2f", w->t);
        return w != NULL;
    }
    case SLOT_CAR1_SIG:
    case SLOT_CAR2_SIG: {
        const fact_window *w = id == SLOT_CAR1_SIG ? w1 : w2;
        if (w)
            fputs(fact_sig_level(w->t) ? "a significant result" : "not significant", f);
        return w != NULL;
    }
    case SLOT_HEADLINE:
        if (h)
            fputs(h->text, f);
        return h != NULL;
    case SLOT_SOURCE:
        if (h)
            fputs(h->source, f);
        return h != NULL;
    case SLOT_HEAD_DATE:
        if (h)
            put_date(f, h->date, 0);
        return h != NULL;
    case SLOT_CAVEATS_A:
    case SLOT_CAVEATS_B:
        put_caveats(f, fs, s, (int)(id - SLOT_CAVEATS_A));
        return 1;
    case SLOT_COUNT:
        return 0;
    }
    return 0;
}

as_err slots_fill(char **out, int *n_bad, const char *text, const factsheet *fs, int stock)
{
    *out = NULL;
    *n_bad = 0;
    char *buf = NULL;
    size_t cap = 0;
    FILE *f = open_memstream(&buf, &cap);
    if (!f)
        return as_fail(AS_ERR_NOMEM, "slots: out of memory");
    size_t len = strlen(text);
    for (size_t i = 0; i < len;) {
        size_t n = text[i] == '<' ? slot_span(text + i, len - i) : 0;
        if (!n) {
            fputc(text[i++], f);
            continue;
        }
        int id = slot_find(text + i, n);
        if (id < 0 || !slot_render(f, (slot_id)id, fs, stock)) {
            fwrite(text + i, 1, n, f);
            ++*n_bad;
        }
        i += n;
    }
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return as_fail(AS_ERR_NOMEM, "slots: out of memory");
    }
    *out = buf;
    return AS_OK;
}

/* Whether text holds at least one known slot token. */
static int has_slot(const char *text)
{
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        size_t n = text[i] == '<' ? slot_span(text + i, len - i) : 0;
        if (n && slot_find(text + i, n) >= 0)
            return 1;
    }
    return 0;
}

as_err slots_fill_check(int *pass, guard_report *g, char **filled, const char *text,
                        const factsheet *fs, int stock)
{
    int n_bad;
    *pass = 0;
    as_err e = slots_fill(filled, &n_bad, text, fs, stock);
    if (e)
        return e;
    int ok = guard_check(g, *filled, fs, stock);
    if (n_bad) {
        if (!g->n_bad)
            snprintf(g->first_bad, sizeof g->first_bad, "%d slot(s) the stock has no value for",
                     n_bad);
        g->n_claims += n_bad;
        g->n_numbers += n_bad;
        g->n_bad += n_bad;
        g->n_bad_numbers += n_bad;
    }
    /* A slotted text (a student of the narrator's delexicalised corpus)
     * must use only the narrator's sentence forms: a true value in the
     * wrong role (slots_grammar.c) fails here.  A text without slot tokens
     * (a model taught by a plain-text teacher, or the teacher itself) has
     * its own wording, and the guard's check of every value is what holds it. */
    char form[128];
    int n_odd = has_slot(text) ? slots_unknown_sentences(text, form, sizeof form) : 0;
    if (n_odd < 0)
        return as_fail(AS_ERR_NOMEM, "slots: out of memory building the narrator's forms");
    if (n_odd) {
        if (!g->n_bad)
            snprintf(g->first_bad, sizeof g->first_bad, "'%.100s': not a sentence the narrator "
                     "writes", form);
        g->n_claims += n_odd;
        g->n_bad += n_odd;
    }
    *pass = ok && !n_bad && !n_odd && g->n_numbers > 0;
    return AS_OK;
}
