/*
 * guard.c -- claim extraction and matching for guard_check().
 *
 * Two passes.  The scanner cuts the text into tokens: words, numbers (value,
 * decimals shown, explicit sign, unit), dates, CAR windows, quoted spans and
 * clause boundaries (. , ; ! ?).  The checker then gives each number the
 * sign of an explicit sign, else of a trailing "lower"/"higher", else of the
 * nearest direction word before it in the same clause (that word is then
 * "used"), and compares it with the facts of the same unit.  Direction words
 * left unused must agree with the stock's own day-0 move.  Matching is by
 * value, not by subject: a summary that swaps the market's and the stock's
 * return with correct signs passes (a known limit, stated in guard.h's
 * terms as "numbers ... match a fact").
 */
#include "model/guard.h"
#include "model/narrator.h"
#include "model/unicode.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tkind { T_WORD, T_NUM, T_BOUND, T_DATE, T_WIN, T_QUOTE, T_LEVEL } tkind;
typedef enum tunit { U_PLAIN, U_PCT, U_BN } tunit;

typedef struct tok {
    tkind k;
    const char *s;  /* start in the text */
    int len;
    double v;       /* T_NUM, T_LEVEL: absolute value shown */
    int dec;        /* decimals shown */
    int sign;       /* -1, +1 explicit; 0 none */
    int after_dir;  /* sign of a trailing "lower"/"higher"; 0 none */
    tunit unit;
    int from, to;   /* T_WIN */
    char date[11];  /* T_DATE, ISO */
    int dir;        /* T_WORD: -1 down word, +1 up word, 0 none */
    int used;
} tok;

typedef struct toks {
    tok *t;
    int n, cap;
    int oom;
} toks;

static void toks_push(toks *ts, tok t)
{
    if (ts->oom)
        return;
    if (ts->n == ts->cap) {
        int cap = ts->cap ? ts->cap * 2 : 64;
        tok *p = realloc(ts->t, (size_t)cap * sizeof *p);
        if (!p) {
            ts->oom = 1;
            return;
        }
        ts->t = p;
        ts->cap = cap;
    }
    ts->t[ts->n++] = t;
}

static const char *const months[12] = {"january", "february", "march",     "april",
                                       "may",     "june",     "july",      "august",
                                       "september", "october", "november", "december"};
static const char *const months3[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};

/* Month number (1..12) of the word at s (len letters), or 0. */
static int month_of(const char *s, int len)
{
    char w[16];
    if (len <= 0 || len >= (int)sizeof w)
        return 0;
    for (int i = 0; i < len; i++)
        w[i] = (char)tolower((unsigned char)s[i]);
    w[len] = '\0';
    for (int m = 0; m < 12; m++)
        if (strcmp(w, months[m]) == 0 || strcmp(w, months3[m]) == 0)
            return m + 1;
    return 0;
}

static const char *const dir_down[] = {"fell",     "fall",    "falls",    "dropped", "drops",
                                       "declined", "slipped", "eased",    "down",    "slumped",
                                       "tumbled",  "sank",    "plunged",  "collapsed", "crashed",
                                       "lost",     "losing",  "lower",    "wiping",  "erasing",
                                       "shedding", "shed",    NULL};
static const char *const dir_up[] = {"rose",    "rise",    "rises",    "gained",  "advanced",
                                     "up",      "firmed",  "jumped",   "climbed", "rallied",
                                     "soared",  "surged",  "rocketed", "higher",  "adding",
                                     "added",   "gaining", NULL};

static int word_is(const char *s, int len, const char *const *list)
{
    for (; *list; list++)
        if ((int)strlen(*list) == len && strncasecmp(s, *list, (size_t)len) == 0)
            return 1;
    return 0;
}

static int word_dir(const char *s, int len)
{
    return word_is(s, len, dir_down) ? -1 : word_is(s, len, dir_up) ? 1 : 0;
}

/* Digits at p: value, count of digits and of decimals; returns chars used. */
static int scan_digits(const char *p, double *v, int *dec)
{
    const char *q = p;
    double x = 0;
    while (isdigit((unsigned char)*q))
        x = x * 10 + (*q++ - '0');
    if (q == p)
        return 0;
    *dec = 0;
    if (*q == '.' && isdigit((unsigned char)q[1])) {
        double f = 0.1;
        q++;
        while (isdigit((unsigned char)*q)) {
            x += (*q++ - '0') * f;
            f /= 10;
            (*dec)++;
        }
    }
    *v = x;
    return (int)(q - p);
}

static int digits_n(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return !isdigit((unsigned char)p[n]);
}

static int year4(const char *p)
{
    return (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
}

static void iso_set(char *out, int y, int m, int d)
{
    /* callers pass digits only: y < 10000, m <= 12, d < 100 */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

/* "[-1,+1]" at p; returns chars used or 0. */
static int scan_window(const char *p, int *from, int *to)
{
    char *end;
    if (*p != '[')
        return 0;
    long a = strtol(p + 1, &end, 10);
    if (end == p + 1 || *end != ',')
        return 0;
    const char *q = end + 1;
    while (*q == ' ')
        q++;
    long b = strtol(q, &end, 10);
    if (end == q || *end != ']')
        return 0;
    *from = (int)a;
    *to = (int)b;
    return (int)(end + 1 - p);
}

/* Length of a sign at p: '-', '+', or U+2212 (3 bytes); 0 if none. */
static int sign_len(const char *p, int *sign)
{
    if (*p == '-' || *p == '+') {
        *sign = *p == '-' ? -1 : 1;
        return 1;
    }
    if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x88 && (unsigned char)p[2] == 0x92) {
        *sign = -1;
        return 3;
    }
    return 0;
}

/* A number, date or level starting at p (prev: the char before p). */
static int scan_number(toks *ts, const char *p, char prev)
{
    tok t = {.k = T_NUM, .s = p};
    const char *q = p;
    if (isalnum((unsigned char)prev))
        return 0;
    int sl = sign_len(q, &t.sign);
    q += sl;
    int dollar = 0;
    if (*q == '$') {
        dollar = 1;
        q++;
    }
    if (!isdigit((unsigned char)*q))
        return 0;
    if (!sl && !dollar && digits_n(q, 4) && q[4] == '-' && digits_n(q + 5, 2) && q[7] == '-' &&
        digits_n(q + 8, 2)) {
        tok d = {.k = T_DATE, .s = p, .len = 10};
        memcpy(d.date, q, 10);
        d.date[10] = '\0';
        toks_push(ts, d);
        return 10;
    }
    if (!sl && !dollar && (digits_n(q, 1) || digits_n(q, 2))) {
        /* "27 January 2025" */
        int dl = isdigit((unsigned char)q[1]) ? 2 : 1;
        const char *w = q + dl;
        if (*w == ' ') {
            const char *we = w + 1;
            while (isalpha((unsigned char)*we))
                we++;
            int m = month_of(w + 1, (int)(we - w - 1));
            if (m && *we == ' ' && digits_n(we + 1, 4)) {
                tok d = {.k = T_DATE, .s = p, .len = (int)(we + 5 - p)};
                int day = dl == 2 ? (q[0] - '0') * 10 + (q[1] - '0') : q[0] - '0';
                iso_set(d.date, year4(we + 1), m, day);
                toks_push(ts, d);
                return d.len;
            }
        }
    }
    int used = scan_digits(q, &t.v, &t.dec);
    q += used;
    if (*q == '%' || (*q == ' ' && q[1] == '%')) {
        t.unit = U_PCT;
        q += *q == '%' ? 1 : 2;
        if (strncmp(q, " level", 6) == 0 || strncmp(q, " significance level", 19) == 0) {
            t.k = T_LEVEL;
        }
    } else if (strncmp(q, "bn", 2) == 0 && !isalpha((unsigned char)q[2])) {
        t.unit = U_BN;
        q += 2;
    } else if (strncmp(q, " billion", 8) == 0 && !isalpha((unsigned char)q[8])) {
        t.unit = U_BN;
        q += 8;
    } else if (dollar) {
        t.unit = U_BN;
    } else if (isalpha((unsigned char)*q)) {
        return 0; /* "3rd", "R1"-like: not a quantity */
    }
    if (strncmp(q, " lower", 6) == 0 && !isalpha((unsigned char)q[6]))
        t.after_dir = -1;
    else if (strncmp(q, " higher", 7) == 0 && !isalpha((unsigned char)q[7]))
        t.after_dir = 1;
    t.len = (int)(q - p);
    toks_push(ts, t);
    return t.len;
}

/* Tokenize text into ts; a quote without its closing mark is one bad claim
 * reported through *bad. */
static void scan(toks *ts, const char *text, const char **bad)
{
    const char *p = text;
    while (*p) {
        char prev = p == text ? ' ' : p[-1];
        if (*p == '"') {
            const char *e = strchr(p + 1, '"');
            if (!e) {
                *bad = p;
                return;
            }
            toks_push(ts, (tok){.k = T_QUOTE, .s = p + 1, .len = (int)(e - p - 1)});
            p = e + 1;
            continue;
        }
        if (*p == '[') {
            tok w = {.k = T_WIN, .s = p};
            int n = scan_window(p, &w.from, &w.to);
            if (n) {
                w.len = n;
                toks_push(ts, w);
                p += n;
                continue;
            }
        }
        int n = scan_number(ts, p, prev);
        if (n) {
            p += n;
            continue;
        }
        if (isalpha((unsigned char)*p)) {
            const char *e = p;
            while (isalnum((unsigned char)*e))
                e++;
            int len = (int)(e - p);
            int m = month_of(p, len);
            /* "January 27, 2025" */
            if (m && e[0] == ' ' && isdigit((unsigned char)e[1])) {
                int dl = isdigit((unsigned char)e[2]) ? 2 : 1;
                const char *y = e + 1 + dl;
                if (y[0] == ',' && y[1] == ' ' && digits_n(y + 2, 4)) {
                    tok d = {.k = T_DATE, .s = p, .len = (int)(y + 6 - p)};
                    int day = dl == 2 ? (e[1] - '0') * 10 + (e[2] - '0') : e[1] - '0';
                    iso_set(d.date, year4(y + 2), m, day);
                    toks_push(ts, d);
                    p = y + 6;
                    continue;
                }
            }
            toks_push(ts, (tok){.k = T_WORD, .s = p, .len = len, .dir = word_dir(p, len)});
            p = e;
            continue;
        }
        if (strchr(".,;!?", *p) && !(*p == '.' && isdigit((unsigned char)p[1])))
            toks_push(ts, (tok){.k = T_BOUND, .s = p, .len = 1});
        p++;
    }
}

/* ---- facts ---------------------------------------------------------------- */

#define MAX_FACTS 64

typedef struct facts {
    double pct[MAX_FACTS];
    int n_pct;
    double bn[MAX_FACTS];
    int n_bn;
    double plain[MAX_FACTS];
    int n_plain;
    int level[MAX_FACTS];
    int n_level;
} facts;

static void add(double *a, int *n, double v)
{
    if (*n < MAX_FACTS)
        a[(*n)++] = v;
}

static void facts_of_stock(facts *f, const factsheet *fs, const fact_stock *s)
{
    add(f->pct, &f->n_pct, s->ret0);
    add(f->pct, &f->n_pct, s->ar0);
    add(f->bn, &f->n_bn, s->mv_bn);
    add(f->plain, &f->n_plain, s->t0);
    add(f->plain, &f->n_plain, s->n_est);
    if (fact_sig_level(s->t0) && f->n_level < MAX_FACTS)
        f->level[f->n_level++] = fact_sig_level(s->t0);
    for (int w = 0; w < s->n_win; w++) {
        add(f->pct, &f->n_pct, s->win[w].car);
        add(f->plain, &f->n_plain, s->win[w].t);
        if (fact_sig_level(s->win[w].t) && f->n_level < MAX_FACTS)
            f->level[f->n_level++] = fact_sig_level(s->win[w].t);
    }
    const fact_sector *sec = factsheet_find_sector(fs, s->sector);
    if (sec) {
        add(f->pct, &f->n_pct, sec->mean_ar0);
        add(f->plain, &f->n_plain, sec->n);
    }
}

/* A value shown with dec decimals matches a fact within half its last unit
 * (the fact rounded to the shown precision); 1e-9 absorbs binary rounding. */
static int match(const double *a, int n, double v, int dec, int use_abs)
{
    double tol = 0.5 * pow(10.0, -dec) + 1e-9;
    for (int i = 0; i < n; i++)
        if (fabs((use_abs ? fabs(a[i]) : a[i]) - v) <= tol)
            return 1;
    return 0;
}

/* ---- checker -------------------------------------------------------------- */

static const char *const acronyms[] = {"AI", "US", "USD", "CEO", "EU", "GDP", "IPO", "ETF",
                                       "CAR", "AR", "UK", "LLM", "GPU", "CPU", "OK", NULL};

static int is_ticker_like(const tok *t)
{
    if (t->len < 2 || t->len > 6)
        return 0;
    for (int i = 0; i < t->len; i++)
        if (!isupper((unsigned char)t->s[i]))
            return 0;
    return !word_is(t->s, t->len, acronyms);
}

static void bad(guard_report *r, const tok *t, const char *why)
{
    r->n_bad++;
    if (t->k == T_NUM)
        r->n_bad_numbers++;
    if (!r->first_bad[0])
        snprintf(r->first_bad, sizeof r->first_bad, "'%.*s': %s", t->len > 80 ? 80 : t->len,
                 t->s, why);
}

/* Whether the word t is symbol k or one of its alphanumeric parts: the
 * text's words never hold punctuation, so an index "^GSPC" is read as
 * "GSPC" and a share class "BRK.B" as "BRK" and "B". */
static int symbol_has(const char *k, const tok *t)
{
    for (const char *p = k; *p;) {
        size_t n = 0;
        while (p[n] && isalnum((unsigned char)p[n]))
            n++;
        if ((int)n == t->len && strncmp(p, t->s, n) == 0)
            return 1;
        p += n ? n : 1;
    }
    return 0;
}

static int ticker_known(const factsheet *fs, int stock, const tok *t)
{
    if (symbol_has(fs->market, t))
        return 1;
    for (int i = 0; i < fs->n_heads; i++) /* sources such as "AP", "FT" */
        if ((int)strlen(fs->heads[i].source) == t->len &&
            strncmp(fs->heads[i].source, t->s, (size_t)t->len) == 0)
            return 1;
    for (int i = 0; i < fs->n_stocks; i++) {
        if (stock >= 0 && i != stock)
            continue;
        if (symbol_has(fs->stocks[i].ticker, t))
            return 1;
    }
    return 0;
}

static int window_known(const factsheet *fs, int stock, const tok *t)
{
    for (int i = 0; i < fs->n_stocks; i++) {
        if (stock >= 0 && i != stock)
            continue;
        for (int w = 0; w < fs->stocks[i].n_win; w++)
            if (fs->stocks[i].win[w].from == t->from && fs->stocks[i].win[w].to == t->to)
                return 1;
    }
    return 0;
}

static int quote_known(const factsheet *fs, const tok *t)
{
    if ((int)strlen(fs->title) == t->len && strncmp(fs->title, t->s, (size_t)t->len) == 0)
        return 1;
    for (int i = 0; i < fs->n_heads; i++)
        if ((int)strlen(fs->heads[i].text) == t->len &&
            strncmp(fs->heads[i].text, t->s, (size_t)t->len) == 0)
            return 1;
    return 0;
}

static int date_known(const factsheet *fs, const tok *t)
{
    if (strcmp(fs->date, t->date) == 0)
        return 1;
    for (int i = 0; i < fs->n_heads; i++)
        if (strcmp(fs->heads[i].date, t->date) == 0)
            return 1;
    return 0;
}

/* The sign a number's context gives it; marks the direction word used. */
static int number_sign(toks *ts, int i)
{
    tok *t = &ts->t[i];
    if (t->sign)
        return t->sign;
    if (t->after_dir)
        return t->after_dir;
    for (int j = i - 1, words = 0; j >= 0 && words < 6; j--) {
        tok *u = &ts->t[j];
        if (u->k == T_BOUND || u->k == T_NUM || u->k == T_QUOTE)
            break;
        if (u->k != T_WORD)
            continue;
        words++;
        if (u->dir) {
            u->used = 1;
            return u->dir;
        }
    }
    return 0;
}

static void check_number(guard_report *r, toks *ts, int i, const facts *f)
{
    tok *t = &ts->t[i];
    r->n_numbers++;
    int sign = number_sign(ts, i);
    double v = sign < 0 ? -t->v : t->v;
    int ok;
    switch (t->unit) {
    case U_PCT:
        ok = match(f->pct, f->n_pct, sign ? v : t->v, t->dec, !sign);
        break;
    case U_BN:
        ok = match(f->bn, f->n_bn, sign ? v : t->v, t->dec, !sign);
        break;
    case U_PLAIN:
    default:
        /* t statistics carry their sign explicitly; counts are positive */
        ok = match(f->plain, f->n_plain, v, t->dec, 0);
        break;
    }
    if (!ok)
        bad(r, t, sign ? "no fact with this value and sign" : "no fact with this value");
}

/* The first byte of text that is not printable UTF-8 (a bad sequence,
 * U+FFFD, a control character other than tab and newline), or NULL.  A byte
 * model that has not learned a character can emit half of one; such text is
 * no paragraph, and the database refuses it. */
static const char *text_malformed(const char *text)
{
    size_t len = strlen(text), pos = 0;
    while (pos < len) {
        size_t at = pos;
        uint32_t cp = unicode_utf8_next(text, len, &pos);
        if (cp == 0xFFFD || (cp < 0x20 && cp != '\n' && cp != '\t') ||
            (cp >= 0x7F && cp < 0xA0))
            return text + at;
    }
    return NULL;
}

int guard_check(guard_report *r, const char *text, const factsheet *fs, int stock)
{
    memset(r, 0, sizeof *r);
    const char *mal = text_malformed(text);
    if (mal) {
        r->n_claims = r->n_bad = 1;
        snprintf(r->first_bad, sizeof r->first_bad,
                 "byte %ld (0x%02x): not printable UTF-8 text", (long)(mal - text),
                 (unsigned)(unsigned char)*mal);
        return 0;
    }
    toks ts = {0};
    const char *unterminated = NULL;
    scan(&ts, text, &unterminated);
    if (ts.oom) {
        r->n_bad = 1;
        snprintf(r->first_bad, sizeof r->first_bad, "out of memory");
        free(ts.t);
        return 0;
    }
    if (unterminated) {
        tok q = {.k = T_QUOTE, .s = unterminated, .len = (int)strlen(unterminated)};
        r->n_claims++;
        bad(r, &q, "quote without its closing mark");
    }
    facts f = {0};
    add(f.pct, &f.n_pct, fs->market_ret0);
    for (int i = 0; i < fs->n_stocks; i++)
        if (stock < 0 || i == stock)
            facts_of_stock(&f, fs, &fs->stocks[i]);
    for (int i = 0; i < ts.n; i++) {
        tok *t = &ts.t[i];
        switch (t->k) {
        case T_NUM:
            r->n_claims++;
            check_number(r, &ts, i, &f);
            break;
        case T_LEVEL: {
            r->n_claims++;
            int ok = 0;
            for (int k = 0; k < f.n_level; k++)
                ok |= fabs(f.level[k] - t->v) < 1e-9;
            if (!ok)
                bad(r, t, "no t statistic significant at this level");
            break;
        }
        case T_DATE:
            r->n_claims++;
            if (!date_known(fs, t))
                bad(r, t, "not the event date or a headline date");
            break;
        case T_WIN:
            r->n_claims++;
            if (!window_known(fs, stock, t))
                bad(r, t, "no such CAR window");
            break;
        case T_QUOTE:
            r->n_claims++;
            if (!quote_known(fs, t))
                bad(r, t, "not a headline or the event title");
            break;
        case T_WORD:
            if (is_ticker_like(t)) {
                r->n_claims++;
                if (!ticker_known(fs, stock, t))
                    bad(r, t, "ticker not in the fact sheet");
            }
            break;
        case T_BOUND:
            break;
        }
    }
    /* The narrator's caveats are claims too: one the facts do not call for
     * (a short estimation window, a market-driven move) is a false
     * statement, whatever its numbers. */
    static const struct {
        const char *phrase;
        int which; /* 0 short window, 1 market-driven */
    } caveats[] = {
        {"estimation window has only", 0},
        {"less reliable", 0},
        {"reflects the market rather than", 1},
        {"explains most of the move", 1},
    };
    for (size_t c = 0; c < sizeof caveats / sizeof caveats[0]; c++) {
        const char *at = strcasestr(text, caveats[c].phrase);
        if (!at)
            continue;
        int ok = 0;
        for (int i = 0; i < fs->n_stocks && !ok; i++)
            if (stock < 0 || i == stock)
                ok = caveats[c].which == 0 ? narrator_caveat_short_window(&fs->stocks[i])
                                           : narrator_caveat_market(fs, &fs->stocks[i]);
        r->n_claims++;
        if (!ok) {
            tok t = {.k = T_WORD, .s = at, .len = (int)strlen(caveats[c].phrase)};
            bad(r, &t, caveats[c].which == 0 ? "caveat of a short estimation window the "
                                               "stock does not have"
                                             : "caveat of a market-driven move the facts do "
                                               "not show");
        }
    }
    /* Direction words without a number of their own speak of the stock's move. */
    if (stock >= 0 && fabs(fs->stocks[stock].ret0) >= 0.005) {
        int want = fs->stocks[stock].ret0 < 0 ? -1 : 1;
        for (int i = 0; i < ts.n; i++) {
            tok *t = &ts.t[i];
            if (t->k != T_WORD || !t->dir || t->used)
                continue;
            r->n_claims++;
            if (t->dir != want)
                bad(r, t, "direction disagrees with the day-0 return");
        }
    }
    free(ts.t);
    return r->n_bad == 0;
}
