/*
 * test_ingest_prices.c -- the price parsers on the real provider samples in
 * tests/fixtures/ingest/ (see PROVENANCE.md there).
 *
 * Expected values were read from the same files by pandas 1.5 / Python's
 * json module (peers that share no code with ours), then rounded the way
 * the contract says (OHLC to 4 decimals, adj_close to 6).  Prices are
 * compared with a tolerance of 5e-7: both sides are the same rounded
 * decimal, so only the binary representation may differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"
#include "ingest/parse.h"
#include "ingest/url.h"
#include "tests/support/ingest_fixture.h"

#define PRICE_TOL 5e-7

typedef as_err (*parser_fn)(struct price_set *, const char *, size_t, const char *,
                            const char *);

static as_err run_parser(struct price_set *s, parser_fn fn, const char *fixture,
                         const char *ticker)
{
    size_t len;
    char *buf = ingest_fixture_read(fixture, &len);
    assert_non_null(buf);
    memset(s, 0, sizeof *s);
    as_err e = fn(s, buf, len, fixture, ticker);
    if (!e)
        e = price_set_finish(s, NULL, NULL);
    free(buf);
    return e;
}

static const struct price_row *find_row(const struct price_set *s, const char *ticker,
                                        const char *date)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->rows[i].date, date) == 0 && strcmp(s->rows[i].ticker, ticker) == 0)
            return &s->rows[i];
    return NULL;
}

static void expect_row(const struct price_set *s, const char *ticker, const char *date,
                       double o, double h, double l, double c, double adj, long long vol)
{
    const struct price_row *r = find_row(s, ticker, date);
    assert_non_null(r);
    assert_float_equal(r->open, o, PRICE_TOL);
    assert_float_equal(r->high, h, PRICE_TOL);
    assert_float_equal(r->low, l, PRICE_TOL);
    assert_float_equal(r->close, c, PRICE_TOL);
    if (isnan(adj))
        assert_true(isnan(r->adj_close));
    else
        assert_float_equal(r->adj_close, adj, PRICE_TOL);
    assert_int_equal(r->volume, vol);
}

static void test_yahoo_nvda_split(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_yahoo_chart, "yahoo_chart_NVDA.json", NULL),
                     AS_OK);
    assert_int_equal(s.n, 252); /* len(chart.result[0].timestamp), no null bars */
    assert_int_equal(s.skipped, 0);
    /* First bar: timestamp 1612189800 = 2021-02-01 09:30 New York. */
    expect_row(&s, "NVDA", "2021-02-01", 13.0533, 13.2708, 12.9028, 13.237, 13.203491,
               217204000);
    /* Split day: pre-split bars are already divided by 4 (split-adjusted). */
    expect_row(&s, "NVDA", "2021-07-20", 18.73, 18.838, 18.164, 18.612, 18.575544, 434687000);
    assert_int_equal(s.nsplits, 1);
    assert_string_equal(s.splits[0].ticker, "NVDA");
    assert_string_equal(s.splits[0].date, "2021-07-20");
    assert_float_equal(s.splits[0].numerator, 4.0, 0);
    assert_float_equal(s.splits[0].denominator, 1.0, 0);
    assert_int_equal(s.ndivs, 0); /* the request asked for events=split only */
    price_set_free(&s);
}

static void test_yahoo_aapl_one_bar(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_yahoo_chart, "yahoo_chart_AAPL.json", NULL), AS_OK);
    assert_int_equal(s.n, 1);
    /* 1577975400 = 2020-01-02 09:30 New York. */
    assert_string_equal(s.rows[0].date, "2020-01-02");
    assert_float_equal(s.rows[0].close, 75.0875, PRICE_TOL);
    assert_float_equal(s.rows[0].adj_close, 72.716072, PRICE_TOL); /* 72.71607208251953 */
    assert_int_equal(s.rows[0].volume, 135480400);
    price_set_free(&s);
}

static void test_yahoo_truncated_and_html(void **state)
{
    (void)state;
    size_t len;
    char *buf = ingest_fixture_read("yahoo_chart_NVDA.json", &len);
    assert_non_null(buf);
    struct price_set s = {0};
    /* Cut mid-document, as a dropped connection would. */
    as_err e = parse_yahoo_chart(&s, buf, len / 2, "yahoo NVDA", "NVDA");
    assert_int_equal(e, AS_ERR_PARSE);
    assert_non_null(strstr(as_last_error(), "yahoo NVDA: line "));
    assert_non_null(strstr(as_last_error(), "offset"));
    price_set_free(&s);
    free(buf);

    const char *html = "<!DOCTYPE html>\n<html><head><title>Yahoo! - 502 Bad Gateway</title>"
                       "</head><body>Will be right back</body></html>\n";
    e = parse_yahoo_chart(&s, html, strlen(html), "yahoo NVDA", "NVDA");
    assert_int_equal(e, AS_ERR_SOURCE);
    assert_string_equal(as_last_error(), "yahoo NVDA: offset 0: expected JSON, got an HTML "
                        "page (title 'Yahoo! - 502 Bad Gateway')");
    const char *refused = "{\"chart\":{\"result\":null,\"error\":{\"code\":\"Not Found\","
                          "\"description\":\"No data found, symbol may be delisted\"}}}";
    e = parse_yahoo_chart(&s, refused, strlen(refused), "yahoo XXXX", "XXXX");
    assert_int_equal(e, AS_ERR_SOURCE);
    assert_string_equal(as_last_error(), "yahoo XXXX: Yahoo refused: Not Found: No data found, "
                        "symbol may be delisted");
    assert_int_equal(s.n, 0);
    price_set_free(&s);
}

static void test_stooq_english_drops_snapshots(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_price_csv, "stooq_nvda_us_d.csv", "NVDA"), AS_OK);
    /* 6315 data rows; pandas finds 12 whose close or open lies outside
     * [low, high] (the 2025-02 intraday snapshots, last one 2025-03-03). */
    assert_int_equal(s.n, 6315 - 12);
    assert_int_equal(s.skipped, 12);
    assert_non_null(s.warning);
    assert_non_null(strstr(s.warning, "stooq_nvda_us_d.csv: line "));
    assert_null(find_row(&s, "NVDA", "2025-03-03"));
    assert_string_equal(s.rows[s.n - 1].date, "2025-02-24");
    /* Fractional early volume 70416405.361298 rounds to the nearest share. */
    expect_row(&s, "NVDA", "2000-01-24", 0.0883, 0.0883, 0.0812, 0.0817, NAN, 70416405);
    expect_row(&s, "NVDA", "2025-01-27", 124.8, 128.4, 116.7, 118.42, NAN, 818830895);
    price_set_free(&s);
}

static void test_stooq_polish_headers(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_price_csv, "stooq_spx_d_polish.csv", "^SPX"), AS_OK);
    assert_int_equal(s.n, 2735);
    expect_row(&s, "^SPX", "2025-01-27", 5969.04, 6017.17, 5962.92, 6012.28, NAN, 4121065675);
    price_set_free(&s);
}

static void test_plain_yahoo_csv_any_column_order(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_price_csv, "plain_yahoo_NVDA.csv", "NVDA"), AS_OK);
    assert_int_equal(s.n, 1256);
    /* Date,Adj Close,Close,High,Low,Open,Volume: float32 artefacts
     * 118.41999816894531 -> 118.42 (the published close). */
    expect_row(&s, "NVDA", "2025-01-27", 124.8, 128.4, 116.7, 118.42, 118.38121, 818830900);
    expect_row(&s, "NVDA", "2025-01-24", 148.37, 148.97, 141.88, 142.62, 142.573288, 234657600);
    price_set_free(&s);
}

static void test_long_panel(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_price_csv, "panel_long_2025-01-21_31.csv", NULL),
                     AS_OK);
    assert_int_equal(s.n, 198); /* 9 sessions x 22 tickers */
    expect_row(&s, "NVDA", "2025-01-27", 124.8, 128.4, 116.7, 118.42, 118.38121, 818830900);
    assert_non_null(find_row(&s, "^GSPC", "2025-01-27"));
    /* Sorted by ticker then date. */
    for (size_t i = 1; i < s.n; i++) {
        int c = strcmp(s.rows[i - 1].ticker, s.rows[i].ticker);
        assert_true(c < 0 || (c == 0 && strcmp(s.rows[i - 1].date, s.rows[i].date) < 0));
    }
    price_set_free(&s);
}

static void test_yfinance_download_multiheader(void **state)
{
    (void)state;
    struct price_set s;
    /* No ticker argument: the "Ticker,NVDA,..." header row supplies it. */
    assert_int_equal(run_parser(&s, parse_price_csv, "yf_download_NVDA.csv", NULL), AS_OK);
    assert_int_equal(s.n, 1542);
    expect_row(&s, "NVDA", "2025-01-27", 124.7659, 128.3649, 116.6681, 118.3876, NAN, 818830900);
    price_set_free(&s);
}

static void test_yfinance_history_events(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_price_csv, "yf_history_NVDA.csv", "NVDA"), AS_OK);
    assert_int_equal(s.n, 2515);
    /* "2025-01-27 00:00:00-05:00": the date part is the exchange date. */
    expect_row(&s, "NVDA", "2025-01-27", 124.7885, 128.3882, 116.6893, 118.4091, NAN, 818830900);
    assert_int_equal(s.nsplits, 2); /* pandas: Stock Splits != 0 on two days */
    assert_string_equal(s.splits[0].date, "2021-07-20");
    assert_float_equal(s.splits[0].numerator, 4.0, 0);
    assert_string_equal(s.splits[1].date, "2024-06-10");
    assert_float_equal(s.splits[1].numerator, 10.0, 0);
    assert_int_equal(s.ndivs, 40);
    assert_string_equal(s.divs[s.ndivs - 1].date, "2025-03-12");
    assert_float_equal(s.divs[s.ndivs - 1].amount, 0.01, 1e-12);
    price_set_free(&s);
}

static void test_csv_errors_name_line_and_field(void **state)
{
    (void)state;
    struct price_set s = {0};
    const char *bad = "Date,Open,High,Low,Close,Volume\n"
                      "2025-01-24,148.37,148.97,141.88,142.62,234657600\n"
                      "2025-01-27,124.8,128.4,116.7,11B.42,818830900\n";
    assert_int_equal(parse_price_csv(&s, bad, strlen(bad), "nvda.csv", "NVDA"), AS_ERR_PARSE);
    assert_string_equal(as_last_error(), "nvda.csv: line 3: field 'close': '11B.42' is not a "
                        "number");
    price_set_free(&s);
    const char *cut = "Date,Open,High,Low,Close,Volume\n"
                      "2025-01-24,148.37,148.97,141.88,142.62,234657600\n"
                      "2025-01-27,124.8,128.4";
    assert_int_equal(parse_price_csv(&s, cut, strlen(cut), "nvda.csv", "NVDA"), AS_ERR_PARSE);
    assert_string_equal(as_last_error(), "nvda.csv: line 3: expected 6 fields, got 3 "
                        "(truncated file?)");
    price_set_free(&s);
    const char *baddate = "Date,Close\n2025-13-01,1\n";
    assert_int_equal(parse_price_csv(&s, baddate, strlen(baddate), "x.csv", "X"), AS_ERR_PARSE);
    assert_string_equal(as_last_error(), "x.csv: line 2: field 'date': '2025-13-01' is not a "
                        "YYYY-MM-DD date");
    price_set_free(&s);
    const char *noticker = "Date,Close\n2025-01-02,1\n";
    assert_int_equal(parse_price_csv(&s, noticker, strlen(noticker), "x.csv", NULL), AS_ERR_PARSE);
    assert_non_null(strstr(as_last_error(), "field 'ticker'"));
    price_set_free(&s);
}

static void test_alphavantage_daily(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_alphavantage, "alphavantage_daily_NVDA_2025-01.json",
                                NULL), AS_OK);
    assert_int_equal(s.n, 9);
    assert_string_equal(s.rows[0].date, "2025-01-21"); /* newest-first input, sorted output */
    expect_row(&s, "NVDA", "2025-01-27", 124.8, 128.4, 116.7, 118.42, NAN, 818830900);
    price_set_free(&s);
    assert_int_equal(run_parser(&s, parse_alphavantage,
                                "alphavantage_daily_adjusted_NVDA_2025-01.json", NULL), AS_OK);
    expect_row(&s, "NVDA", "2025-01-27", 124.8, 128.4, 116.7, 118.42, 118.38121, 818830900);
    assert_int_equal(s.nsplits, 0); /* coefficient 1.0 is no split */
    assert_int_equal(s.ndivs, 0);
    price_set_free(&s);
}

static void test_alphavantage_refusals(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_alphavantage, "alphavantage_note_ratelimit.json",
                                "NVDA"), AS_ERR_SOURCE);
    assert_non_null(strstr(as_last_error(), "alphavantage_note_ratelimit.json: Alpha Vantage "
                           "refused (Note): Thank you for using Alpha Vantage! Our standard "
                           "API call frequency is 5 calls per minute"));
    price_set_free(&s);
    assert_int_equal(run_parser(&s, parse_alphavantage, "alphavantage_information_ratelimit.json",
                                "NVDA"), AS_ERR_SOURCE);
    assert_non_null(strstr(as_last_error(), "refused (Information)"));
    price_set_free(&s);
    /* The real intraday answer: the right shape, the wrong granularity. */
    assert_int_equal(run_parser(&s, parse_alphavantage, "alphavantage_intraday_MSFT.json", NULL),
                     AS_ERR_SOURCE);
    assert_string_equal(as_last_error(), "alphavantage_intraday_MSFT.json: field 'Time Series "
                        "(1min)': not daily data (use function=TIME_SERIES_DAILY or _ADJUSTED)");
    price_set_free(&s);
}

static void test_polygon_new_york_dates(void **state)
{
    (void)state;
    struct price_set s;
    assert_int_equal(run_parser(&s, parse_polygon, "polygon_aggs_AAPL_2005.json", NULL), AS_OK);
    assert_int_equal(s.n, 2);
    /* t = 1112331600000 is 2005-04-01 00:00 EST; 1112587200000 is
     * 2005-04-04 00:00 EDT (DST began 2005-04-03): the UTC hour differs,
     * the New York date is the session date (Python zoneinfo agrees). */
    expect_row(&s, "AAPL", "2005-04-01", 1.5032, 1.5064, 1.4489, 1.4604, NAN, 642646396);
    expect_row(&s, "AAPL", "2005-04-04", 1.4639, 1.4754, 1.4343, 1.4675, NAN, 578172308);
    price_set_free(&s);
    assert_int_equal(run_parser(&s, parse_polygon, "polygon_grouped_2005.json", NULL), AS_OK);
    assert_int_equal(s.n, 1);
    expect_row(&s, "GIK", "2020-10-14", 9.99, 10.02, 9.9, 10.02, NAN, 895345);
    price_set_free(&s);
    const char *err = "{\"status\":\"ERROR\",\"request_id\":\"x\",\"error\":\"Unknown API Key\"}";
    memset(&s, 0, sizeof s);
    assert_int_equal(parse_polygon(&s, err, strlen(err), "polygon AAPL", "AAPL"), AS_ERR_SOURCE);
    assert_string_equal(as_last_error(), "polygon AAPL: Polygon answered status 'ERROR': Unknown "
                        "API Key");
    price_set_free(&s);
}

static void test_finish_filters_and_dedupes(void **state)
{
    (void)state;
    struct price_set s = {0};
    struct price_row r = {.ticker = "X", .open = 1, .high = 2, .low = 0.5, .close = 1.5,
                          .adj_close = NAN, .volume = 10};
    const char *dates[] = {"2025-01-03", "2025-01-02", "2025-01-03", "2025-01-06", "2024-12-31"};
    for (size_t i = 0; i < 5; i++) {
        memcpy(r.date, dates[i], 11);
        r.close = 1.0 + (double)i / 10; /* the second 2025-01-03 differs */
        assert_int_equal(price_set_add(&s, &r, "t", (long)i), AS_OK);
    }
    assert_int_equal(price_set_finish(&s, "2025-01-01", "2025-01-05"), AS_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rows[0].date, "2025-01-02");
    assert_string_equal(s.rows[1].date, "2025-01-03");
    assert_float_equal(s.rows[1].close, 1.2, PRICE_TOL); /* the later one won */
    assert_int_equal(s.skipped, 1);
    price_set_free(&s);
}

/* Stooq's URL for a ticker and the name it is stored under.  Stooq's own
 * download links are s=nvda.us for Nvidia (its file is nvda_us_d.csv, the
 * fixture above) and s=^spx for the S&P 500 (spx_d.csv); US listings are
 * stored plain, as Yahoo's answers store them (NVDA). */
static void test_stooq_symbols(void **state)
{
    (void)state;
    static const struct {
        enum price_source src;
        const char *given, *ticker, *symbol, *url;
    } cases[] = {
        {PRICE_SRC_STOOQ, "NVDA", "NVDA", "nvda.us", "https://stooq.com/q/d/l/?s=nvda.us&i=d"},
        {PRICE_SRC_STOOQ, "NVDA.US", "NVDA", "nvda.us", "https://stooq.com/q/d/l/?s=nvda.us&i=d"},
        {PRICE_SRC_STOOQ, "nvda.us", "nvda", "nvda.us", "https://stooq.com/q/d/l/?s=nvda.us&i=d"},
        {PRICE_SRC_STOOQ, "SAP.DE", "SAP.DE", "sap.de", "https://stooq.com/q/d/l/?s=sap.de&i=d"},
        {PRICE_SRC_STOOQ, "^SPX", "^SPX", "^spx", "https://stooq.com/q/d/l/?s=^spx&i=d"},
        {PRICE_SRC_STOOQ, "BRK-B", "BRK-B", "brk-b.us", "https://stooq.com/q/d/l/?s=brk-b.us&i=d"},
        /* not a market suffix: US gets one */
        {PRICE_SRC_STOOQ, "A.USD", "A.USD", "a.usd.us", "https://stooq.com/q/d/l/?s=a.usd.us&i=d"},
        {PRICE_SRC_YAHOO, "NVDA.US", "NVDA.US", "NVDA.US", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char ticker[TICKER_MAX], symbol[TICKER_MAX + 4];
        price_source_symbol(cases[i].src, cases[i].given, ticker, sizeof ticker, symbol,
                            sizeof symbol);
        assert_string_equal(ticker, cases[i].ticker);
        assert_string_equal(symbol, cases[i].symbol);
        if (!cases[i].url)
            continue;
        char *url;
        struct url_vars v = {.ticker = ticker, .symbol = symbol};
        assert_int_equal(url_expand(&url, price_source_default_url(cases[i].src), &v), AS_OK);
        assert_string_equal(url, cases[i].url);
        free(url);
    }
}

/* decimal_parse against glibc's strtod (correctly rounded, shares no code
 * with it), bit for bit: random decimals of 1..15 digits with 0..15 of them
 * after the point, signs, and the edge forms (leading zeros are not
 * significant; 22 places after the point is the most 10^k stays exact). */
static void test_decimal_parse_matches_strtod(void **state)
{
    (void)state;
    static const char *const edge[] = {"0", "-0", "+7", "5.", ".5", "-.5", "0.0001",
                                       "000123.4500", "999999999999999", "0.999999999999999",
                                       "0.0000000000000000000001", "-00.000123456789012345",
                                       "118.42", "5969.04"};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        double v;
        assert_int_equal(decimal_parse(edge[i], strlen(edge[i]), &v), 1);
        double w = strtod(edge[i], NULL);
        assert_memory_equal(&v, &w, sizeof v);
    }
    static const char *const not_plain[] = {"", "-", "+", ".", "1e5", "1.2.3", "12a", " 1",
                                            "1234567890123456", "0.00000000000000000000001",
                                            "nan", "inf", "0x10"};
    for (size_t i = 0; i < sizeof not_plain / sizeof not_plain[0]; i++) {
        double v;
        assert_int_equal(decimal_parse(not_plain[i], strlen(not_plain[i]), &v), 0);
    }
    unsigned seed = 20250127;
    for (int i = 0; i < 200000; i++) {
        char buf[40];
        int digits = 1 + rand_r(&seed) % 15, point = rand_r(&seed) % (digits + 1), k = 0;
        if (rand_r(&seed) % 4 == 0)
            buf[k++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == digits - point && point > 0)
                buf[k++] = '.';
            buf[k++] = (char)('0' + rand_r(&seed) % 10);
        }
        buf[k] = '\0';
        double v;
        assert_int_equal(decimal_parse(buf, (size_t)k, &v), 1);
        double w = strtod(buf, NULL);
        if (memcmp(&v, &w, sizeof v) != 0)
            fail_msg("'%s': %.17g, strtod %.17g", buf, v, w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yahoo_nvda_split),
        cmocka_unit_test(test_yahoo_aapl_one_bar),
        cmocka_unit_test(test_yahoo_truncated_and_html),
        cmocka_unit_test(test_stooq_english_drops_snapshots),
        cmocka_unit_test(test_stooq_polish_headers),
        cmocka_unit_test(test_stooq_symbols),
        cmocka_unit_test(test_decimal_parse_matches_strtod),
        cmocka_unit_test(test_plain_yahoo_csv_any_column_order),
        cmocka_unit_test(test_long_panel),
        cmocka_unit_test(test_yfinance_download_multiheader),
        cmocka_unit_test(test_yfinance_history_events),
        cmocka_unit_test(test_csv_errors_name_line_and_field),
        cmocka_unit_test(test_alphavantage_daily),
        cmocka_unit_test(test_alphavantage_refusals),
        cmocka_unit_test(test_polygon_new_york_dates),
        cmocka_unit_test(test_finish_filters_and_dedupes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
