/*
 * factsheet.c -- fact sheet struct, text serializer and parser.
 *
 * Text grammar (one record per line, fields in this order, single spaces):
 *
 *   facts v1
 *   event date=YYYY-MM-DD | TITLE
 *   head date=YYYY-MM-DD src=SOURCE | HEADLINE          (0..4 lines)
 *   market ticker=SPY ret0=-1.46
 *   sector name=NAME n=INT ar0=PCT                     (0..n lines)
 *   stock ticker=T sector=NAME ret0=PCT ar0=PCT t0=T mv=BN nest=INT
 *   car ticker=T win=FROM,TO car=PCT t=T               (after its stock)
 *
 * PCT and T have two decimals, BN one decimal.  Blank lines and lines
 * starting with '#' are ignored.  Free text never contains a newline; the
 * serializer replaces control characters by spaces so a title cannot break
 * the line structure.  Memory: the sheet owns its sectors and stocks arrays.
 */
#include "model/factsheet.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fact_sig_level(double t)
{
    double a = fabs(t);
    if (a >= 2.576)
        return 1;
    if (a >= 1.960)
        return 5;
    if (a >= 1.645)
        return 10;
    return 0;
}

static double round_to(double v, int decimals)
{
    double s = decimals == 1 ? 10.0 : 100.0;
    double r = round(v * s) / s;
    return r == 0.0 ? 0.0 : r; /* no "-0.00" */
}

void factsheet_normalize(factsheet *fs)
{
    fs->market_ret0 = round_to(fs->market_ret0, 2);
    for (int i = 0; i < fs->n_sectors; i++)
        fs->sectors[i].mean_ar0 = round_to(fs->sectors[i].mean_ar0, 2);
    for (int i = 0; i < fs->n_stocks; i++) {
        fact_stock *s = &fs->stocks[i];
        s->ret0 = round_to(s->ret0, 2);
        s->ar0 = round_to(s->ar0, 2);
        s->t0 = round_to(s->t0, 2);
        s->mv_bn = round_to(s->mv_bn, 1);
        for (int w = 0; w < s->n_win; w++) {
            s->win[w].car = round_to(s->win[w].car, 2);
            s->win[w].t = round_to(s->win[w].t, 2);
        }
    }
}

as_err factsheet_add_stock(factsheet *fs, const fact_stock *s)
{
    fact_stock *p = realloc(fs->stocks, (size_t)(fs->n_stocks + 1) * sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "fact sheet: out of memory");
    fs->stocks = p;
    fs->stocks[fs->n_stocks++] = *s;
    return AS_OK;
}

as_err factsheet_add_sector(factsheet *fs, const fact_sector *s)
{
    fact_sector *p = realloc(fs->sectors, (size_t)(fs->n_sectors + 1) * sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "fact sheet: out of memory");
    fs->sectors = p;
    fs->sectors[fs->n_sectors++] = *s;
    return AS_OK;
}

const fact_sector *factsheet_find_sector(const factsheet *fs, const char *name)
{
    for (int i = 0; i < fs->n_sectors; i++)
        if (strcmp(fs->sectors[i].name, name) == 0)
            return &fs->sectors[i];
    return NULL;
}

void factsheet_clear(factsheet *fs)
{
    free(fs->sectors);
    free(fs->stocks);
    memset(fs, 0, sizeof *fs);
}

/* ---- writer --------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

/* Free text on one line: control characters become spaces. */
static void sb_text(sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        sb_printf(b, "%c", c < 0x20 || c == 0x7f ? ' ' : (char)c);
    }
}

static char *sb_finish(sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static void write_header(sbuf *b, const factsheet *fs, int max_heads)
{
    sb_printf(b, "facts v1\nevent date=%s | ", fs->date);
    sb_text(b, fs->title);
    sb_printf(b, "\n");
    for (int i = 0; i < fs->n_heads && i < max_heads; i++) {
        sb_printf(b, "head date=%s src=%s | ", fs->heads[i].date, fs->heads[i].source);
        sb_text(b, fs->heads[i].text);
        sb_printf(b, "\n");
    }
    sb_printf(b, "market ticker=%s ret0=%.2f\n", fs->market, fs->market_ret0);
}

static void write_sector(sbuf *b, const fact_sector *s)
{
    sb_printf(b, "sector name=%s n=%d ar0=%.2f\n", s->name, s->n, s->mean_ar0);
}

static void write_stock(sbuf *b, const fact_stock *s)
{
    sb_printf(b, "stock ticker=%s sector=%s ret0=%.2f ar0=%.2f t0=%.2f mv=%.1f nest=%d\n",
              s->ticker, s->sector, s->ret0, s->ar0, s->t0, s->mv_bn, s->n_est);
    for (int w = 0; w < s->n_win; w++)
        sb_printf(b, "car ticker=%s win=%d,%d car=%.2f t=%.2f\n", s->ticker, s->win[w].from,
                  s->win[w].to, s->win[w].car, s->win[w].t);
}

char *factsheet_write(const factsheet *fs)
{
    sbuf b = {0};
    write_header(&b, fs, FACT_MAX_HEAD);
    for (int i = 0; i < fs->n_sectors; i++)
        write_sector(&b, &fs->sectors[i]);
    for (int i = 0; i < fs->n_stocks; i++)
        write_stock(&b, &fs->stocks[i]);
    return sb_finish(&b);
}

char *factsheet_write_stock(const factsheet *fs, int stock)
{
    if (stock < 0 || stock >= fs->n_stocks)
        return NULL;
    sbuf b = {0};
    write_header(&b, fs, 1);
    const fact_sector *sec = factsheet_find_sector(fs, fs->stocks[stock].sector);
    if (sec)
        write_sector(&b, sec);
    write_stock(&b, &fs->stocks[stock]);
    return sb_finish(&b);
}

/* ---- parser --------------------------------------------------------------- */

typedef struct lexer {
    const char *source;
    int line;
    char *p;        /* the current line, modified in place */
    char *text;     /* free text after " | ", or NULL */
} lexer;

static as_err lx_fail(const lexer *lx, const char *field, const char *what)
{
    return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': %s", lx->source, lx->line, field,
                   what);
}

/* Next "key=value" field: the key must be key. */
static as_err lx_field(char **val, lexer *lx, const char *key)
{
    while (*lx->p == ' ')
        lx->p++;
    size_t kl = strlen(key);
    if (strncmp(lx->p, key, kl) != 0 || lx->p[kl] != '=')
        return lx_fail(lx, key, "missing");
    char *v = lx->p + kl + 1;
    char *end = strchr(v, ' ');
    if (end) {
        *end = '\0';
        lx->p = end + 1;
    } else {
        lx->p = v + strlen(v);
    }
    if (!*v)
        return lx_fail(lx, key, "empty value");
    *val = v;
    return AS_OK;
}

static as_err lx_double(double *out, lexer *lx, const char *key)
{
    char *v, *end;
    as_err e = lx_field(&v, lx, key);
    if (e)
        return e;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d))
        return lx_fail(lx, key, "expected a number");
    *out = d;
    return AS_OK;
}

static as_err lx_int(int *out, lexer *lx, const char *key, long lo, long hi)
{
    char *v, *end;
    as_err e = lx_field(&v, lx, key);
    if (e)
        return e;
    errno = 0;
    long d = strtol(v, &end, 10);
    if (errno || end == v || *end || d < lo || d > hi)
        return lx_fail(lx, key, "expected an integer in range");
    *out = (int)d;
    return AS_OK;
}

static as_err lx_word(char *dst, size_t cap, lexer *lx, const char *key)
{
    char *v;
    as_err e = lx_field(&v, lx, key);
    if (e)
        return e;
    if (strlen(v) >= cap)
        return lx_fail(lx, key, "too long");
    memcpy(dst, v, strlen(v) + 1);
    return AS_OK;
}

static as_err lx_date(char *dst, lexer *lx, const char *key)
{
    char d[16];
    as_err e = lx_word(d, sizeof d, lx, key);
    if (e)
        return e;
    int ok = strlen(d) == 10 && d[4] == '-' && d[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            ok = 0;
    if (!ok)
        return lx_fail(lx, key, "expected YYYY-MM-DD");
    memcpy(dst, d, 11);
    return AS_OK;
}

static as_err lx_text(char *dst, size_t cap, lexer *lx)
{
    if (!lx->text)
        return lx_fail(lx, "text", "missing ' | ' before the text");
    if (strlen(lx->text) >= cap)
        return lx_fail(lx, "text", "too long");
    memcpy(dst, lx->text, strlen(lx->text) + 1);
    return AS_OK;
}

static as_err lx_end(lexer *lx)
{
    while (*lx->p == ' ')
        lx->p++;
    if (*lx->p)
        return lx_fail(lx, lx->p, "unexpected field");
    return AS_OK;
}

static as_err parse_stock(factsheet *fs, lexer *lx)
{
    fact_stock s = {0};
    as_err e;
    if ((e = lx_word(s.ticker, sizeof s.ticker, lx, "ticker")) ||
        (e = lx_word(s.sector, sizeof s.sector, lx, "sector")) ||
        (e = lx_double(&s.ret0, lx, "ret0")) || (e = lx_double(&s.ar0, lx, "ar0")) ||
        (e = lx_double(&s.t0, lx, "t0")) || (e = lx_double(&s.mv_bn, lx, "mv")) ||
        (e = lx_int(&s.n_est, lx, "nest", 0, 100000)) || (e = lx_end(lx)))
        return e;
    for (int i = 0; i < fs->n_stocks; i++)
        if (strcmp(fs->stocks[i].ticker, s.ticker) == 0)
            return lx_fail(lx, "ticker", "stock listed twice");
    return factsheet_add_stock(fs, &s);
}

static as_err parse_car(factsheet *fs, lexer *lx)
{
    char ticker[FACT_TICKER], win[32];
    fact_window w = {0};
    as_err e;
    if ((e = lx_word(ticker, sizeof ticker, lx, "ticker")) ||
        (e = lx_word(win, sizeof win, lx, "win")) || (e = lx_double(&w.car, lx, "car")) ||
        (e = lx_double(&w.t, lx, "t")) || (e = lx_end(lx)))
        return e;
    char *end, *end2;
    errno = 0;
    long a = strtol(win, &end, 10);
    if (errno || end == win || *end != ',')
        return lx_fail(lx, "win", "expected FROM,TO");
    long b = strtol(end + 1, &end2, 10);
    if (errno || end2 == end + 1 || *end2 || a > b || a < -250 || b > 250)
        return lx_fail(lx, "win", "expected FROM,TO with FROM <= TO");
    w.from = (int)a;
    w.to = (int)b;
    fact_stock *s = NULL;
    for (int i = 0; i < fs->n_stocks; i++)
        if (strcmp(fs->stocks[i].ticker, ticker) == 0)
            s = &fs->stocks[i];
    if (!s)
        return lx_fail(lx, "ticker", "no stock line before this car line");
    if (s->n_win == FACT_MAX_WIN)
        return lx_fail(lx, "win", "more than 4 windows");
    s->win[s->n_win++] = w;
    return AS_OK;
}

static as_err parse_line(factsheet *fs, lexer *lx, int *seen_event, int *seen_market)
{
    char *bar = strstr(lx->p, " | ");
    if (bar) {
        *bar = '\0';
        lx->text = bar + 3;
    }
    char *sp = strchr(lx->p, ' ');
    char *kind = lx->p;
    if (sp) {
        *sp = '\0';
        lx->p = sp + 1;
    } else {
        lx->p += strlen(lx->p);
    }
    as_err e;
    if (strcmp(kind, "event") == 0) {
        if ((e = lx_date(fs->date, lx, "date")) || (e = lx_end(lx)) ||
            (e = lx_text(fs->title, sizeof fs->title, lx)))
            return e;
        *seen_event = 1;
        return AS_OK;
    }
    if (strcmp(kind, "head") == 0) {
        if (fs->n_heads == FACT_MAX_HEAD)
            return lx_fail(lx, "head", "more than 4 headlines");
        fact_headline *h = &fs->heads[fs->n_heads];
        if ((e = lx_date(h->date, lx, "date")) ||
            (e = lx_word(h->source, sizeof h->source, lx, "src")) || (e = lx_end(lx)) ||
            (e = lx_text(h->text, sizeof h->text, lx)))
            return e;
        fs->n_heads++;
        return AS_OK;
    }
    if (lx->text)
        return lx_fail(lx, kind, "this record takes no ' | ' text");
    if (strcmp(kind, "market") == 0) {
        if ((e = lx_word(fs->market, sizeof fs->market, lx, "ticker")) ||
            (e = lx_double(&fs->market_ret0, lx, "ret0")) || (e = lx_end(lx)))
            return e;
        *seen_market = 1;
        return AS_OK;
    }
    if (strcmp(kind, "sector") == 0) {
        fact_sector s = {0};
        if ((e = lx_word(s.name, sizeof s.name, lx, "name")) ||
            (e = lx_int(&s.n, lx, "n", 0, 100000)) || (e = lx_double(&s.mean_ar0, lx, "ar0")) ||
            (e = lx_end(lx)))
            return e;
        return factsheet_add_sector(fs, &s);
    }
    if (strcmp(kind, "stock") == 0)
        return parse_stock(fs, lx);
    if (strcmp(kind, "car") == 0)
        return parse_car(fs, lx);
    return lx_fail(lx, kind, "unknown record (expected event, head, market, sector, stock, car)");
}

as_err factsheet_parse(factsheet *fs, const char *text, const char *source)
{
    memset(fs, 0, sizeof *fs);
    char *copy = strdup(text);
    if (!copy)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory", source);
    as_err e = AS_OK;
    lexer lx = {.source = source};
    int seen_header = 0, seen_event = 0, seen_market = 0;
    char *line = copy;
    for (char *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else if (!*line)
            break; /* after the final newline: not a line */
        lx.line++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        if (!*line || *line == '#')
            continue;
        if (!seen_header) {
            if (strcmp(line, "facts v1") != 0) {
                e = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'header': expected 'facts v1'",
                            source, lx.line);
                goto cleanup;
            }
            seen_header = 1;
            continue;
        }
        lx.p = line;
        lx.text = NULL;
        if ((e = parse_line(fs, &lx, &seen_event, &seen_market)) != AS_OK)
            goto cleanup;
    }
    if (!seen_header || !seen_event || !seen_market)
        e = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': missing record", source, lx.line,
                    !seen_header ? "header" : !seen_event ? "event" : "market");
cleanup:
    free(copy);
    if (e)
        factsheet_clear(fs);
    return e;
}
