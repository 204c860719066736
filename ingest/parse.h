/*
 * parse.h -- provider parsers: one memory buffer in, rows out.
 *
 * Every parser is pure: no I/O, no database, no globals.  It appends to a
 * price_set or news_set that the caller owns (price_set_free/news_set_free).
 * `src` names the document in messages ("yahoo NVDA", "file.csv").
 *
 * Two kinds of trouble, deliberately different:
 *  - a document that is malformed, truncated, not the expected format (HTML
 *    instead of JSON) or a provider's refusal (rate-limit "Note") fails the
 *    whole document: AS_ERR_PARSE or AS_ERR_SOURCE via as_fail() naming src,
 *    the line (CSV/XML) or byte offset (JSON) and the field;
 *  - a well-formed row whose values contradict each other is dropped and
 *    counted in `skipped`, with the first reason kept in `warning`.  The rule
 *    (price_row_check): close and open must lie within [low, high] and every
 *    price must be positive.  Stooq's NVDA file ends with intraday snapshots
 *    whose close is below the low; this rule drops them.
 *
 * Prices are rounded at parse time: open/high/low/close to 4 decimals (the
 * providers send float32 artefacts such as 118.419998 for 118.42), adj_close
 * to 6.  Dates are exchange-local trading dates, YYYY-MM-DD.  News times are
 * UTC unix seconds.
 */
#ifndef AS_PARSE_H
#define AS_PARSE_H

#include <stddef.h>

#include "common/error.h"

#define TICKER_MAX 24

struct price_row {
    char ticker[TICKER_MAX];
    char date[11];                /* YYYY-MM-DD */
    double open, high, low, close; /* NAN when the source lacks it */
    double adj_close;              /* NAN when the source lacks it */
    long long volume;              /* -1 when the source lacks it */
};

struct split_row {
    char ticker[TICKER_MAX];
    char date[11];
    double numerator, denominator; /* 4:1 split: 4, 1 */
};

struct dividend_row {
    char ticker[TICKER_MAX];
    char date[11];
    double amount; /* per share, in the listing currency */
};

struct price_set {
    struct price_row *rows;
    size_t n, cap;
    struct split_row *splits;
    size_t nsplits, capsplits;
    struct dividend_row *divs;
    size_t ndivs, capdivs;
    long long skipped; /* rows dropped by price_row_check */
    char *warning;     /* first reason, heap, or NULL */
};

void price_set_free(struct price_set *s);

/* Keep rows with from <= date <= to (either may be NULL), sort by
 * (ticker, date) and drop exact duplicates; a date given twice with
 * different values keeps the last one and counts as skipped. */
as_err price_set_finish(struct price_set *s, const char *from, const char *to);

/* Round, validate and append one row (see the rule above).  Returns AS_OK
 * also when the row was dropped.  line: for the note, -1 when not a text
 * line (JSON). */
as_err price_set_add(struct price_set *s, const struct price_row *r,
                     const char *src, long line);
as_err price_set_add_split(struct price_set *s, const struct split_row *r);
as_err price_set_add_dividend(struct price_set *s, const struct dividend_row *r);

/* Yahoo v8 chart JSON: timestamps (exchange-local session open, converted
 * with the exchange's gmtoffset history via America/New_York rules),
 * indicators.quote[0], indicators.adjclose[0], events.splits/dividends.
 * ticker: used when meta.symbol is absent. */
as_err parse_yahoo_chart(struct price_set *out, const char *buf, size_t len,
                         const char *src, const char *ticker);

/* Alpha Vantage TIME_SERIES_DAILY / _ADJUSTED JSON ("Time Series (Daily)");
 * a "Note", "Information" or "Error Message" answer is AS_ERR_SOURCE. */
as_err parse_alphavantage(struct price_set *out, const char *buf, size_t len,
                          const char *src, const char *ticker);

/* Polygon /v2/aggs JSON: results[].t is ms UTC, mapped to the New York
 * trading date; results[].T overrides ticker (grouped daily). */
as_err parse_polygon(struct price_set *out, const char *buf, size_t len,
                     const char *src, const char *ticker);

/*
 * CSV with a header row, columns found by name (case-insensitive):
 *   date|data|datetime, open|otwarcie, high|najwyzszy, low|najnizszy,
 *   close|zamkniecie, adj close|adj_close|adjclose, volume|wolumen,
 *   ticker|symbol (long layout), dividends, stock splits.
 * This covers Stooq (English and Polish headers), Yahoo's CSV download,
 * the long date,ticker,... panel, yfinance's `download` layout (three header
 * rows Price/Ticker/Date; the Ticker row supplies the symbol) and
 * `Ticker.history` (tz-aware timestamps: the date part is the exchange date;
 * non-zero Dividends / Stock Splits become dividend and split rows).
 * ticker: used when the file has no ticker column or row; NULL then means
 * AS_ERR_PARSE.
 */
as_err parse_price_csv(struct price_set *out, const char *buf, size_t len,
                       const char *src, const char *ticker);

/* ---- news ---- */

struct news_item {
    char *url;          /* canonical (url_canonical), heap */
    char *title, *summary, *body, *language, *source; /* heap or NULL */
    long long published; /* unix seconds UTC */
    char **tickers;     /* ntickers heap strings */
    size_t ntickers;
};

struct news_set {
    struct news_item *items;
    size_t n, cap;
    long long skipped; /* items without URL/date, or duplicate URLs */
    char *warning;
};

void news_set_free(struct news_set *s);

/* Take ownership of *it (its strings move into the set; *it is zeroed).
 * A second item with the same canonical URL is dropped and counted. */
as_err news_set_add(struct news_set *s, struct news_item *it);

/* RSS 2.0 or Atom 1.0 via libxml2 (no network, no entity expansion).  RSS
 * pubDate is RFC 822; Atom updated/published RFC 3339.  Language from
 * <language> (RSS channel) or xml:lang (Atom), lower-cased. */
as_err parse_feed(struct news_set *out, const char *buf, size_t len,
                  const char *src);

/* GDELT DOC 2.0 ArtList JSON: articles[] {url, title, seendate
 * "20250127T143000Z", domain, language "English"} (language mapped to
 * ISO 639-1 where known). */
as_err parse_gdelt(struct news_set *out, const char *buf, size_t len,
                   const char *src);

/* NewsAPI /v2/everything: {status, articles[] {source{name}, title,
 * description, content, url, publishedAt}}; status "error" is
 * AS_ERR_SOURCE with its message. */
as_err parse_newsapi(struct news_set *out, const char *buf, size_t len,
                     const char *src);

/*
 * The simple JSON news layout (`--source json`): either a NewsAPI-shaped
 * object, or an array of objects with
 *   url (required), title (required), published_at (required, RFC 3339 or
 *   YYYY-MM-DD meaning 00:00 UTC), source, summary, body, language,
 *   tickers (array of strings).
 */
as_err parse_news_json(struct news_set *out, const char *buf, size_t len,
                       const char *src);

/* Tickers mentioned in text: cashtags ($NVDA) and exchange prefixes
 * (NASDAQ: NVDA, NYSE:TSM).  Appends to it->tickers without duplicates. */
as_err news_find_tickers(struct news_item *it, const char *text);

/* ---- helpers shared by the parsers, exposed for tests ---- */

/* Round to 4 / 6 decimals, half away from zero. */
double price_round4(double v);
double price_round6(double v);

/* UTC unix seconds -> New York calendar date (US Eastern rules since 1967,
 * DST per the 1987 and 2007 US rules). */
void ny_date(char out[11], long long unix_utc);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long long days_from_civil(int y, int m, int d);
void civil_from_days(long long z, int *y, int *m, int *d);

/* A plain decimal of len bytes at p ("-12.3456": sign, at most 15
 * significant digits and 22 after the point, no exponent or spaces) -> 1
 * with *out the same double strtod gives; 0 when the text is not of that
 * form (the caller falls back to strtod). */
int decimal_parse(const char *p, size_t len, double *out);

/* "2025-01-27" -> 1 with *y *m *d set, 0 when not a valid date. */
int date_parse_ymd(const char *s, size_t len, int *y, int *m, int *d);

/* RFC 3339 / ISO 8601 ("2025-01-27T14:30:00Z", "+01:00", fractions) and
 * RFC 822 ("Mon, 27 Jan 2025 14:30:00 GMT", "+0100", "EST") -> unix UTC.
 * Return 0 on success, -1 when the text is not such a time. */
int time_parse_rfc3339(const char *s, long long *out);
int time_parse_rfc822(const char *s, long long *out);

/* When buf looks like HTML (after whitespace: '<!doctype', '<html', ...),
 * record AS_ERR_SOURCE "src: offset 0: expected JSON, got an HTML page
 * (<title>)" and return it; otherwise AS_OK. */
as_err parse_reject_html(const char *buf, size_t len, const char *src,
                         const char *expected);

#endif
