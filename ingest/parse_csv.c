/*
 * parse_csv.c -- daily price CSV in the layouts providers and tools write,
 * to price, split and dividend rows.  Columns are found by header name (see
 * parse.h for the list), so one reader covers Stooq (English and Polish
 * headers), Yahoo's download CSV, the long date,ticker,... panel and both
 * yfinance layouts.
 *
 * yfinance `download` writes three header rows: "Price,Close,High,...",
 * "Ticker,NVDA,NVDA,..." and "Date,,,...".  Each column then belongs to a
 * (field, ticker) pair, so a multi-ticker download yields one row per ticker
 * per line.  `Ticker.history` writes "2025-01-27 00:00:00-05:00": the date
 * part is already the exchange-local date, so the time and offset are
 * dropped rather than converted (converting to UTC would move every bar to
 * the day before for exchanges east of Greenwich).
 *
 * Fields may be quoted (RFC 4180).  A line with fewer fields than the header
 * is an error (it is how a truncated download usually ends).  Not a general
 * CSV library: it knows only what a price file needs.
 */
#include "ingest/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSV_MAX_COLS 256
#define CSV_MAX_TICKERS 64

enum col_kind { COL_IGNORE, COL_DATE, COL_OPEN, COL_HIGH, COL_LOW, COL_CLOSE, COL_ADJ,
                COL_VOLUME, COL_TICKER, COL_DIVIDENDS, COL_SPLITS, COL_KINDS };

static const char *kind_name[COL_KINDS] = {"", "date", "open", "high", "low", "close",
                                           "adj close", "volume", "ticker", "dividends",
                                           "stock splits"};

static const struct {
    const char *name;
    enum col_kind kind;
} col_names[] = {
    {"date", COL_DATE}, {"data", COL_DATE}, {"datetime", COL_DATE},
    {"open", COL_OPEN}, {"otwarcie", COL_OPEN},
    {"high", COL_HIGH}, {"najwyzszy", COL_HIGH},
    {"low", COL_LOW}, {"najnizszy", COL_LOW},
    {"close", COL_CLOSE}, {"zamkniecie", COL_CLOSE},
    {"adj close", COL_ADJ}, {"adj_close", COL_ADJ}, {"adjclose", COL_ADJ},
    {"adjusted close", COL_ADJ},
    {"volume", COL_VOLUME}, {"wolumen", COL_VOLUME},
    {"ticker", COL_TICKER}, {"symbol", COL_TICKER},
    {"dividends", COL_DIVIDENDS}, {"stock splits", COL_SPLITS},
};

struct field {
    const char *p;
    size_t len;
};

/* One parsed line; quoted fields are unescaped into scratch. */
struct line {
    struct field f[CSV_MAX_COLS];
    int n;
    char *scratch;
    size_t scap;
};

/* Split the line [p, end) into fields.  Returns -1 when it has too many,
 * -2 when out of memory.  Scratch is sized for the whole line up front, so
 * the fields already pointing into it never move. */
static int line_split(struct line *ln, const char *p, const char *end)
{
    ln->n = 0;
    size_t used = 0;
    if ((size_t)(end - p) + 1 > ln->scap) {
        char *ns = realloc(ln->scratch, (size_t)(end - p) + 1);
        if (!ns)
            return -2;
        ln->scratch = ns;
        ln->scap = (size_t)(end - p) + 1;
    }
    for (;;) {
        if (ln->n == CSV_MAX_COLS)
            return -1;
        struct field *f = &ln->f[ln->n++];
        if (p < end && *p == '"') {
            /* Quoted: copy into scratch, turning "" into ". */
            char *o = ln->scratch + used;
            f->p = o;
            p++;
            while (p < end) {
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
            f->len = (size_t)(o - f->p);
            used += f->len;
            while (p < end && *p != ',')
                p++;
        } else {
            const char *s = p;
            while (p < end && *p != ',')
                p++;
            f->p = s;
            f->len = (size_t)(p - s);
        }
        if (p >= end)
            return 0;
        p++; /* the comma */
    }
}

static void field_trim(struct field *f)
{
    while (f->len && isspace((unsigned char)f->p[0])) {
        f->p++;
        f->len--;
    }
    while (f->len && isspace((unsigned char)f->p[f->len - 1]))
        f->len--;
}

static enum col_kind kind_of(struct field f)
{
    field_trim(&f);
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++)
        if (strlen(col_names[i].name) == f.len && strncasecmp(col_names[i].name, f.p, f.len) == 0)
            return col_names[i].kind;
    return COL_IGNORE;
}

/* Plain decimals without strtod, which was a quarter of a 1M-row load's
 * client time.  The significant digits make an integer m < 10^15 < 2^53
 * and the divisor 10^k (k <= 22) is exact too, so m / 10^k is one
 * correctly rounded division: the double nearest the decimal, which is
 * what strtod returns (Clinger's fast path). */
int decimal_parse(const char *p, size_t len, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *end = p + len;
    int neg = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+'))
        p++;
    long long m = 0;
    int digits = 0, significant = 0, frac = -1;
    for (; p < end; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
            if ((m > 0 || *p != '0') && ++significant > 15)
                return 0;
            m = m * 10 + (*p - '0');
            if (frac >= 0 && ++frac > 22)
                return 0;
        } else if (*p == '.' && frac < 0) {
            frac = 0;
        } else {
            return 0;
        }
    }
    if (digits == 0)
        return 0;
    double v = (double)m / pow10[frac > 0 ? frac : 0];
    *out = neg ? -v : v;
    return 1;
}

/* NAN for an empty field; -1 when it is not a number. */
static int field_number(struct field f, double *out)
{
    field_trim(&f);
    if (f.len == 0) {
        *out = NAN;
        return 0;
    }
    if (decimal_parse(f.p, f.len, out))
        return 0;
    char tmp[64];
    if (f.len >= sizeof tmp)
        return -1;
    memcpy(tmp, f.p, f.len);
    tmp[f.len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end || errno == ERANGE)
        return -1;
    if (isnan(v)) /* "nan"/"NaN" written by pandas means missing */
        v = NAN;
    *out = v;
    return 0;
}

struct layout {
    int col_kind[CSV_MAX_COLS];
    int col_ticker[CSV_MAX_COLS]; /* index into tickers, -1: the row's own */
    int ncols;
    char tickers[CSV_MAX_TICKERS][TICKER_MAX];
    int ntickers;
    int date_col, ticker_col;
};

/* Next line [*p, *eol) from pos; returns 0 at the end.  Handles \r\n. */
static int line_next(const char **pos, const char *end, const char **p, const char **eol)
{
    if (*pos >= end)
        return 0;
    *p = *pos;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    *pos = nl ? nl + 1 : end;
    *eol = nl ? nl : end;
    if (*eol > *p && (*eol)[-1] == '\r')
        (*eol)--;
    return 1;
}

static as_err fail_field(const char *src, long line, const char *field, struct field f,
                         const char *what)
{
    field_trim(&f);
    int shown = f.len > 40 ? 40 : (int)f.len;
    return as_fail(AS_ERR_PARSE, "%s: line %ld: field '%s': '%.*s' is not %s", src, line, field,
                   shown, f.p, what);
}

/* Emit the rows of one data line. */
static as_err line_rows(struct price_set *out, const struct layout *L, const struct line *ln,
                        const char *src, long lineno, const char *deflt)
{
    struct field df = ln->f[L->date_col];
    field_trim(&df);
    int y, m, d;
    if (!date_parse_ymd(df.p, df.len, &y, &m, &d) ||
        (df.len > 10 && df.p[10] != ' ' && df.p[10] != 'T'))
        return fail_field(src, lineno, "date", df, "a YYYY-MM-DD date");
    const char *row_ticker = deflt;
    char own[TICKER_MAX];
    if (L->ticker_col >= 0) {
        struct field tf = ln->f[L->ticker_col];
        field_trim(&tf);
        if (tf.len == 0 || tf.len >= TICKER_MAX)
            return fail_field(src, lineno, "ticker", tf, "a ticker symbol");
        memcpy(own, tf.p, tf.len);
        own[tf.len] = '\0';
        row_ticker = own;
    }
    int nt = L->ntickers ? L->ntickers : 1;
    for (int t = 0; t < nt; t++) {
        const char *tk = L->ntickers ? L->tickers[t] : row_ticker;
        double v[COL_KINDS];
        for (int k = 0; k < COL_KINDS; k++)
            v[k] = NAN;
        for (int c = 0; c < L->ncols; c++) {
            int k = L->col_kind[c];
            if (k == COL_IGNORE || k == COL_DATE || k == COL_TICKER)
                continue;
            if (L->ntickers && L->col_ticker[c] != t)
                continue;
            if (field_number(ln->f[c], &v[k]))
                return fail_field(src, lineno, kind_name[k], ln->f[c], "a number");
        }
        /* A multi-ticker download leaves a ticker's cells empty before its
         * listing: nothing to report for that ticker on that line. */
        if (L->ntickers > 1 && isnan(v[COL_CLOSE]) && isnan(v[COL_OPEN]))
            continue;
        struct price_row r = {.open = v[COL_OPEN], .high = v[COL_HIGH], .low = v[COL_LOW],
                              .close = v[COL_CLOSE], .adj_close = v[COL_ADJ],
                              .volume = isfinite(v[COL_VOLUME]) ? llround(v[COL_VOLUME]) : -1};
        size_t tl = strnlen(tk, sizeof r.ticker - 1);
        memcpy(r.ticker, tk, tl);
        r.ticker[tl] = '\0';
        memcpy(r.date, df.p, 10);
        r.date[10] = '\0';
        as_err e = price_set_add(out, &r, src, lineno);
        if (e)
            return e;
        if (isfinite(v[COL_DIVIDENDS]) && v[COL_DIVIDENDS] != 0) {
            struct dividend_row dr = {.amount = v[COL_DIVIDENDS]};
            memcpy(dr.ticker, r.ticker, sizeof dr.ticker);
            memcpy(dr.date, r.date, sizeof dr.date);
            if ((e = price_set_add_dividend(out, &dr)))
                return e;
        }
        /* yfinance writes the split ratio as one number: 4.0 for 4:1. */
        if (isfinite(v[COL_SPLITS]) && v[COL_SPLITS] != 0) {
            struct split_row sr = {.numerator = v[COL_SPLITS], .denominator = 1};
            memcpy(sr.ticker, r.ticker, sizeof sr.ticker);
            memcpy(sr.date, r.date, sizeof sr.date);
            if ((e = price_set_add_split(out, &sr)))
                return e;
        }
    }
    return AS_OK;
}

/* Read the header row(s) into L.  *lineno is the last header line. */
static as_err header_read(struct layout *L, struct line *ln, const char **pos, const char *end,
                          const char *src, long *lineno, const char *deflt)
{
    const char *p, *eol;
    do {
        if (!line_next(pos, end, &p, &eol))
            return as_fail(AS_ERR_PARSE, "%s: line %ld: no header row (empty file)", src,
                           *lineno + 1);
        ++*lineno;
    } while (p == eol);
    if (*lineno == 1 && eol - p >= 3 && (unsigned char)p[0] == 0xEF)
        p += 3; /* UTF-8 byte order mark */
    if (line_split(ln, p, eol))
        return as_fail(AS_ERR_PARSE, "%s: line %ld: more than %d columns", src, *lineno,
                       CSV_MAX_COLS);
    if (eol > p && *p == '<')
        return as_fail(AS_ERR_SOURCE, "%s: line %ld: expected a CSV header, got HTML or XML",
                       src, *lineno);
    L->ncols = ln->n;
    L->date_col = L->ticker_col = -1;
    L->ntickers = 0;
    struct field first = ln->f[0];
    field_trim(&first);
    int yf_multi = first.len == 5 && strncasecmp(first.p, "Price", 5) == 0;
    for (int c = 0; c < ln->n; c++) {
        L->col_kind[c] = (yf_multi && c == 0) ? COL_DATE : kind_of(ln->f[c]);
        L->col_ticker[c] = -1;
        if (L->col_kind[c] == COL_DATE && L->date_col < 0)
            L->date_col = c;
        else if (L->col_kind[c] == COL_DATE)
            L->col_kind[c] = COL_IGNORE;
        if (L->col_kind[c] == COL_TICKER)
            L->ticker_col = c;
    }
    if (yf_multi) {
        /* Row 2 names each column's ticker; row 3 is "Date,,,," */
        if (!line_next(pos, end, &p, &eol) || (++*lineno, line_split(ln, p, eol)) ||
            ln->n != L->ncols || kind_of(ln->f[0]) != COL_TICKER)
            return as_fail(AS_ERR_PARSE, "%s: line %ld: expected the yfinance 'Ticker,...' "
                           "header row", src, *lineno);
        for (int c = 1; c < ln->n; c++) {
            struct field f = ln->f[c];
            field_trim(&f);
            if (f.len == 0 || f.len >= TICKER_MAX)
                return fail_field(src, *lineno, "ticker", f, "a ticker symbol");
            int t;
            for (t = 0; t < L->ntickers; t++)
                if (strlen(L->tickers[t]) == f.len && memcmp(L->tickers[t], f.p, f.len) == 0)
                    break;
            if (t == L->ntickers) {
                if (t == CSV_MAX_TICKERS)
                    return as_fail(AS_ERR_PARSE, "%s: line %ld: more than %d tickers", src,
                                   *lineno, CSV_MAX_TICKERS);
                memcpy(L->tickers[t], f.p, f.len);
                L->tickers[t][f.len] = '\0';
                L->ntickers++;
            }
            L->col_ticker[c] = t;
        }
        if (!line_next(pos, end, &p, &eol) || (++*lineno, line_split(ln, p, eol)) ||
            kind_of(ln->f[0]) != COL_DATE)
            return as_fail(AS_ERR_PARSE, "%s: line %ld: expected the yfinance 'Date,,,' header "
                           "row", src, *lineno);
    }
    if (L->date_col < 0)
        return as_fail(AS_ERR_PARSE, "%s: line 1: field 'date': no Date/Data column in the "
                       "header", src);
    int has_close = 0;
    for (int c = 0; c < L->ncols; c++)
        has_close |= L->col_kind[c] == COL_CLOSE;
    if (!has_close)
        return as_fail(AS_ERR_PARSE, "%s: line 1: field 'close': no Close/Zamkniecie column in "
                       "the header", src);
    if (L->ticker_col < 0 && !L->ntickers && !deflt)
        return as_fail(AS_ERR_PARSE, "%s: line 1: field 'ticker': the file has no ticker "
                       "column and no ticker was given", src);
    return AS_OK;
}

as_err parse_price_csv(struct price_set *out, const char *buf, size_t len, const char *src,
                       const char *ticker)
{
    struct layout L;
    struct line ln = {0};
    const char *pos = buf, *end = buf + len, *p, *eol;
    long lineno = 0;
    as_err e = header_read(&L, &ln, &pos, end, src, &lineno, ticker);
    while (!e && line_next(&pos, end, &p, &eol)) {
        lineno++;
        if (p == eol)
            continue;
        int rc = line_split(&ln, p, eol);
        if (rc == -2) {
            e = as_fail(AS_ERR_NOMEM, "%s: line %ld: out of memory", src, lineno);
            break;
        }
        if (rc || ln.n != L.ncols) {
            e = as_fail(AS_ERR_PARSE, "%s: line %ld: expected %d fields, got %s%d%s", src, lineno,
                        L.ncols, rc ? "more than " : "", rc ? CSV_MAX_COLS : ln.n,
                        pos >= end && eol == end ? " (truncated file?)" : "");
            break;
        }
        e = line_rows(out, &L, &ln, src, lineno, ticker);
    }
    free(ln.scratch);
    return e;
}
