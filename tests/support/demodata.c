/*
 * demodata.c -- see demodata.h.  Owns nothing after returning.
 */
#include "tests/support/demodata.h"

#include <stdio.h>

#include "ingest/ingest.h"
#include "ingest/reference.h"
#include "tests/support/testdb.h"

static const char *const tickers[] = {"NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "MSFT",
                                      "GOOGL", "META", "AMZN", "ORCL", "VST", "CEG", "SMCI",
                                      "ARM", "SPY", "QQQ", "SOXX", "SMH", "XLK", "XLU"};

/* Local files: no per-host politeness gap, all in parallel. */
static struct http_opts file_http(void)
{
    struct http_opts h = http_opts_default();
    h.host_interval_ms = 0;
    h.max_parallel = 8;
    return h;
}

int demodata_load(PGconn *db)
{
    long long changed;
    if (reference_load_securities(db, testdb_src_path("data/securities.csv"), &changed) ||
        reference_load_shares(db, testdb_src_path("data/shares_outstanding.csv"), &changed)) {
        fprintf(stderr, "demodata: %s\n", as_last_error());
        return -1;
    }
    char url[4200];
    snprintf(url, sizeof url, "file://%s", testdb_src_path("data/prices/{ticker}.csv"));
    struct ingest_prices_opts po = {.source = PRICE_SRC_CSV, .tickers = tickers,
                                    .ntickers = sizeof tickers / sizeof tickers[0],
                                    .url_template = url, .http = file_http()};
    struct ingest_report rep;
    as_err e = ingest_prices(db, &po, &rep);
    ingest_report_free(&rep);
    if (e) {
        fprintf(stderr, "demodata: prices: %s\n", as_last_error());
        return -1;
    }
    char rss[4200], json[4200];
    snprintf(rss, sizeof rss, "file://%s", testdb_src_path("data/news/deepseek-2025-01.rss"));
    snprintf(json, sizeof json, "file://%s", testdb_src_path("data/news/deepseek-2025-01.json"));
    const char *feeds[2][1] = {{rss}, {json}};
    enum news_source kinds[2] = {NEWS_SRC_RSS, NEWS_SRC_JSON};
    for (int i = 0; i < 2; i++) {
        struct ingest_news_opts no = {.source = kinds[i], .urls = feeds[i], .nurls = 1,
                                      .http = file_http()};
        e = ingest_news(db, &no, &rep);
        ingest_report_free(&rep);
        if (e) {
            fprintf(stderr, "demodata: news: %s\n", as_last_error());
            return -1;
        }
    }
    return 0;
}
