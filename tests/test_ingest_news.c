/*
 * test_ingest_news.c -- news parsers (RSS, Atom, GDELT, NewsAPI, simple
 * JSON), canonical URLs, ticker mentions, and the time and URL helpers.
 *
 * The feeds in tests/fixtures/ingest/news/ carry the 26 real DeepSeek-week
 * headlines (see PROVENANCE.md).  Expected unix times come from Python's
 * datetime / email.utils and New York dates from zoneinfo, not from our
 * code.  Times are integers: compared exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ingest/parse.h"
#include "ingest/url.h"
#include "tests/support/ingest_fixture.h"

typedef as_err (*news_fn)(struct news_set *, const char *, size_t, const char *);

static as_err run_news(struct news_set *s, news_fn fn, const char *fixture)
{
    size_t len;
    char *buf = ingest_fixture_read(fixture, &len);
    assert_non_null(buf);
    memset(s, 0, sizeof *s);
    as_err e = fn(s, buf, len, fixture);
    free(buf);
    return e;
}

static const struct news_item *find_url(const struct news_set *s, const char *url)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].url, url) == 0)
            return &s->items[i];
    return NULL;
}

static void test_rss_all_headlines_deduped(void **state)
{
    (void)state;
    struct news_set s;
    assert_int_equal(run_news(&s, parse_feed, "news/deepseek_rss.xml"), AS_OK);
    /* 27 <item>s: the 26 headlines plus Reuters again as
     * HTTPS://WWW.Reuters.com:443/...?utm_source=rss&utm_medium=feed#comments */
    assert_int_equal(s.n, 26);
    assert_int_equal(s.skipped, 1);
    assert_non_null(strstr(s.warning, "duplicate URL https://www.reuters.com/technology/"));
    const struct news_item *seed = find_url(&s, "http://51haodu.com/t/Q1lISn!YWkVjaQ==");
    assert_non_null(seed);
    assert_string_equal(seed->language, "zh");
    assert_int_equal(seed->published, 1737331200); /* 2025-01-20T00:00:00Z */
    assert_non_null(strstr(seed->title, "DeepSeek-R1"));
    assert_string_equal(seed->source, "DeepSeek (official announcement, reposted)");
    const struct news_item *yt = find_url(&s, "https://www.youtube.com/watch?v=-2k1rcRzsLA");
    assert_non_null(yt);
    assert_int_equal(yt->published, 1737487137); /* Tue, 21 Jan 2025 19:18:57 GMT */
    assert_string_equal(yt->language, "en");
    news_set_free(&s);
}

static void test_atom(void **state)
{
    (void)state;
    struct news_set s;
    assert_int_equal(run_news(&s, parse_feed, "news/deepseek_atom.xml"), AS_OK);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.items[0].language, "zh"); /* entry xml:lang */
    assert_string_equal(s.items[1].language, "en"); /* inherited from <feed> */
    /* 2025-01-26T19:00:00-05:00 is 2025-01-27T00:00:00Z. */
    assert_int_equal(s.items[5].published, 1737936000);
    news_set_free(&s);
}

static void test_feed_errors(void **state)
{
    (void)state;
    struct news_set s = {0};
    const char *cut = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>\n<item><title>x"
                      "</title>\n<link>https://a.example/x</li";
    assert_int_equal(parse_feed(&s, cut, strlen(cut), "feed.xml"), AS_ERR_PARSE);
    assert_non_null(strstr(as_last_error(), "feed.xml: line 4: invalid XML: "));
    const char *html = "<html><head><title>403 Forbidden</title></head></html>";
    assert_int_equal(parse_feed(&s, html, strlen(html), "feed.xml"), AS_ERR_SOURCE);
    assert_string_equal(as_last_error(), "feed.xml: offset 0: expected an RSS or Atom feed, got "
                        "an HTML page (title '403 Forbidden')");
    const char *nodate = "<rss><channel><item><title>t</title><link>https://a.example/1</link>"
                         "</item><item><link>https://a.example/2</link><pubDate>Mon, 27 Jan "
                         "2025 14:30:00 GMT</pubDate></item></channel></rss>";
    assert_int_equal(parse_feed(&s, nodate, strlen(nodate), "feed.xml"), AS_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.skipped, 1);
    assert_string_equal(s.warning, "feed.xml: line 1: item skipped: no valid publication date");
    news_set_free(&s);
}

static void test_gdelt(void **state)
{
    (void)state;
    struct news_set s;
    assert_int_equal(run_news(&s, parse_gdelt, "news/deepseek_gdelt_artlist.json"), AS_OK);
    assert_int_equal(s.n, 8);
    assert_string_equal(s.items[0].language, "en"); /* "English" */
    assert_string_equal(s.items[0].source, "web-origin.lbkrs.com");
    assert_int_equal(s.items[0].published, 1737936000); /* seendate 20250127T000000Z */
    news_set_free(&s);
    const char *bad = "{\"articles\": [{\"url\": \"https://a.example/\", \"seendate\": \"2025\"}]}";
    memset(&s, 0, sizeof s);
    assert_int_equal(parse_gdelt(&s, bad, strlen(bad), "gdelt"), AS_OK);
    assert_int_equal(s.n, 0);
    assert_string_equal(s.warning, "gdelt: field 'articles[0]': item skipped: seendate is not "
                        "YYYYMMDDTHHMMSSZ");
    news_set_free(&s);
}

static void test_newsapi(void **state)
{
    (void)state;
    struct news_set s;
    assert_int_equal(run_news(&s, parse_newsapi, "news/deepseek_newsapi.json"), AS_OK);
    assert_int_equal(s.n, 8);
    const struct news_item *smol = find_url(&s, "https://news.smol.ai/issues/25-01-27-ainews-"
                                            "deepseek-1-on-us-app-store-nvidia-stock-tanks-"
                                            "17percent");
    assert_non_null(smol); /* trailing slash removed by the canonical form */
    assert_int_equal(smol->published, 1738042112); /* 2025-01-28T05:28:32Z */
    assert_string_equal(smol->source, "smol.ai AINews");
    news_set_free(&s);
    assert_int_equal(run_news(&s, parse_newsapi, "news/newsapi_error_ratelimited.json"),
                     AS_ERR_SOURCE);
    assert_non_null(strstr(as_last_error(), "NewsAPI answered status 'error' (rateLimited): You "
                           "have made too many requests"));
    news_set_free(&s);
}

static void test_simple_json(void **state)
{
    (void)state;
    struct news_set s;
    assert_int_equal(run_news(&s, parse_news_json, "news/deepseek_simple.json"), AS_OK);
    assert_int_equal(s.n, 26);
    assert_string_equal(s.items[0].language, "zh");
    assert_int_equal(s.items[0].published, 1737331200); /* "2025-01-20" = 00:00 UTC */
    news_set_free(&s);
    /* The NewsAPI shape is accepted by --source json too. */
    assert_int_equal(run_news(&s, parse_news_json, "news/deepseek_newsapi.json"), AS_OK);
    assert_int_equal(s.n, 8);
    news_set_free(&s);
    const char *bad = "[{\"url\": \"https://a.example/1\", \"title\": \"t\", \"published_at\": "
                      "\"yesterday\"}]";
    memset(&s, 0, sizeof s);
    assert_int_equal(parse_news_json(&s, bad, strlen(bad), "n.json"), AS_ERR_PARSE);
    assert_string_equal(as_last_error(), "n.json: field '[0].published_at': expected an RFC 3339 "
                        "time or YYYY-MM-DD");
    news_set_free(&s);
}

static void test_url_canonical(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"HTTPS://WWW.Reuters.com:443/technology/x/?utm_source=rss&id=7&fbclid=abc#top",
         "https://www.reuters.com/technology/x?id=7"},
        {"http://Example.COM", "http://example.com/"},
        {"http://example.com:80/A/B/", "http://example.com/A/B"},
        {"http://example.com:8080/", "http://example.com:8080/"},
        {"https://user:pw@example.com/p?utm_medium=x", "https://example.com/p"},
        {"https://example.com/p?b=2&a=1", "https://example.com/p?b=2&a=1"},
        {"  https://[2001:DB8::1]:443/x  ", "https://[2001:db8::1]/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out;
        assert_int_equal(url_canonical(&out, cases[i].in), AS_OK);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
    char *out;
    assert_int_equal(url_canonical(&out, "www.example.com/x"), AS_ERR_PARSE);
    assert_int_equal(url_canonical(&out, "mailto:x@example.com"), AS_ERR_PARSE);
}

static void test_url_expand_and_mask(void **state)
{
    (void)state;
    struct url_vars v = {.ticker = "^GSPC", .from = "2025-01-01", .to = "2025-01-31",
                         .apikey = "S3CR&T"};
    char *out;
    assert_int_equal(url_expand(&out, "https://h/q?s={ticker}&f={from}&t={to}&apikey={apikey}",
                                &v), AS_OK);
    assert_string_equal(out, "https://h/q?s=^GSPC&f=2025-01-01&t=2025-01-31&apikey=S3CR%26T");
    char *masked = url_mask(out, "S3CR%26T");
    assert_string_equal(masked, "https://h/q?s=^GSPC&f=2025-01-01&t=2025-01-31&apikey=***");
    free(masked);
    free(out);
    masked = url_mask("https://api.polygon.io/v2/aggs/X?adjusted=true&apiKey=abc123&x=1", NULL);
    assert_string_equal(masked, "https://api.polygon.io/v2/aggs/X?adjusted=true&apiKey=***&x=1");
    free(masked);
    masked = url_mask("https://h/path/abc123/x", "abc123"); /* a key in the path */
    assert_string_equal(masked, "https://h/path/***/x");
    free(masked);
    assert_int_equal(url_expand(&out, "https://h/{tickr}", &v), AS_ERR_USAGE);
    assert_non_null(strstr(as_last_error(), "unknown placeholder '{tickr}'"));
}

static void test_tickers_mentioned(void **state)
{
    (void)state;
    struct news_item it = {0};
    assert_int_equal(news_find_tickers(&it, "Nvidia (NASDAQ: NVDA) fell; $TSM and $AVGO too; "
                                       "training cost $5.6M; NYSE:ORCL flat; $NVDA again"),
                     AS_OK);
    assert_int_equal(it.ntickers, 4);
    assert_string_equal(it.tickers[0], "NVDA");
    assert_string_equal(it.tickers[1], "TSM");
    assert_string_equal(it.tickers[2], "AVGO");
    assert_string_equal(it.tickers[3], "ORCL");
    for (size_t i = 0; i < it.ntickers; i++)
        free(it.tickers[i]);
    free(it.tickers);
}

static void test_times(void **state)
{
    (void)state;
    /* Python email.utils.parsedate_to_datetime / datetime.fromisoformat. */
    static const struct {
        const char *s;
        long long t;
    } r822[] = {{"Mon, 27 Jan 2025 14:30:00 GMT", 1737988200},
                {"Mon, 27 Jan 2025 09:30:00 -0500", 1737988200},
                {"27 Jan 25 09:30 EST", 1737988200},
                {"Tue, 28 Jan 2025 01:15:07 +0100", 1738023307}},
      r3339[] = {{"2025-01-27T14:30:00Z", 1737988200},
                 {"2025-01-27T15:30:00.123+01:00", 1737988200},
                 {"2025-01-27T09:30:00-05:00", 1737988200}};
    long long t;
    for (size_t i = 0; i < sizeof r822 / sizeof r822[0]; i++) {
        assert_int_equal(time_parse_rfc822(r822[i].s, &t), 0);
        assert_int_equal(t, r822[i].t);
    }
    for (size_t i = 0; i < sizeof r3339 / sizeof r3339[0]; i++) {
        assert_int_equal(time_parse_rfc3339(r3339[i].s, &t), 0);
        assert_int_equal(t, r3339[i].t);
    }
    assert_int_equal(time_parse_rfc3339("2025-01-27T14:30:00", &t), -1); /* no zone */
    assert_int_equal(time_parse_rfc822("Mon, 32 Jan 2025 14:30:00 GMT", &t), -1);

    /* zoneinfo('America/New_York') dates of instants at 04:30 UTC, the hour
     * where EST and EDT disagree on the date; covers both DST rule sets. */
    static const struct {
        long long t;
        const char *date;
    } ny[] = {
        {1751344200LL, "2025-07-01"}, /* 2025-07-01 04:30 UTC */
        {1738038600LL, "2025-01-27"}, /* 2025-01-28 04:30 UTC */
        {1162441800LL, "2006-11-01"}, /* 2006-11-02 04:30 UTC */
        {1142829000LL, "2006-03-19"}, /* 2006-03-20 04:30 UTC */
        {1174365000LL, "2007-03-20"}, /* 2007-03-20 04:30 UTC */
        {796883400LL, "1995-04-03"},  /* 1995-04-03 04:30 UTC */
        {325053000LL, "1980-04-19"},  /* 1980-04-20 04:30 UTC */
        {1741494600LL, "2025-03-08"}, /* 2025-03-09 04:30 UTC */
        {1741581000LL, "2025-03-10"}, /* 2025-03-10 04:30 UTC */
        {1730608200LL, "2024-11-03"}, /* 2024-11-03 04:30 UTC */
        {1730694600LL, "2024-11-03"}, /* 2024-11-04 04:30 UTC */
    };
    for (size_t i = 0; i < sizeof ny / sizeof ny[0]; i++) {
        char d[11];
        ny_date(d, ny[i].t);
        assert_string_equal(d, ny[i].date);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss_all_headlines_deduped),
        cmocka_unit_test(test_atom),
        cmocka_unit_test(test_feed_errors),
        cmocka_unit_test(test_gdelt),
        cmocka_unit_test(test_newsapi),
        cmocka_unit_test(test_simple_json),
        cmocka_unit_test(test_url_canonical),
        cmocka_unit_test(test_url_expand_and_mask),
        cmocka_unit_test(test_tickers_mentioned),
        cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
