/*
 * ingest.h -- the public face of the ingest stage: outside world -> database.
 *
 * ingest_prices() and ingest_news() are what `aftershock ingest`, `aftershock
 * demo` and the nightly run call.  Each fetches one document per target (a
 * ticker for the price APIs, a URL for feeds and files) over HTTP(S) or
 * file://, parses it with the provider's parser (ingest/parse.h) and loads it
 * into PostgreSQL: COPY into a TEMP staging table, then INSERT ... ON CONFLICT
 * DO UPDATE ... WHERE the row really differs, in ONE transaction per target.
 * A target that fails commits nothing of itself; the other targets of the run
 * still load.  Every target gets a row in ingest_runs, also when it failed
 * (the failure is written after the rollback).
 *
 * This is not the place for the connection, the schema or the CLI: those are
 * common/db.h, sql/ and cli/cmd_ingest.c.  Nothing here prints or exits.
 * API keys come from the environment (ALPHAVANTAGE_API_KEY, POLYGON_API_KEY,
 * NEWSAPI_KEY) or the caller, and never appear in a report or an error: every
 * URL kept for humans is masked (see url_mask()).
 */
#ifndef AS_INGEST_H
#define AS_INGEST_H

#include <libpq-fe.h>
#include <stddef.h>

#include "common/error.h"
#include "ingest/http.h"

enum price_source {
    PRICE_SRC_YAHOO,        /* query2.finance.yahoo.com /v8/finance/chart JSON */
    PRICE_SRC_STOOQ,        /* stooq.com daily CSV, English or Polish headers */
    PRICE_SRC_ALPHAVANTAGE, /* TIME_SERIES_DAILY[_ADJUSTED] JSON */
    PRICE_SRC_POLYGON,      /* /v2/aggs/ticker/T/range/1/day JSON */
    PRICE_SRC_CSV,          /* plain, long and yfinance CSV layouts */
};

enum news_source {
    NEWS_SRC_RSS,     /* RSS 2.0 (also accepts Atom: the root element decides) */
    NEWS_SRC_ATOM,    /* Atom 1.0 (also accepts RSS) */
    NEWS_SRC_GDELT,   /* GDELT DOC 2.0 mode=ArtList format=json */
    NEWS_SRC_NEWSAPI, /* NewsAPI /v2/everything */
    NEWS_SRC_JSON,    /* NewsAPI-shaped, or the simple array in parse.h */
};

/* "yahoo" -> PRICE_SRC_YAHOO ...; -1 when unknown. */
int price_source_from_name(const char *name);
int news_source_from_name(const char *name);
const char *price_source_name(enum price_source s);
const char *news_source_name(enum news_source s);

/* The real endpoint of each provider, with {ticker} {symbol} {from} {to}
 * {apikey} placeholders ({from}/{to} as YYYY-MM-DD; Yahoo's as unix seconds
 * are {from_unix} {to_unix}).  CSV has none: it needs --base-url. */
const char *price_source_default_url(enum price_source s);

/*
 * A ticker as the user typed it, split into the name prices stores it
 * under (`ticker`, the {ticker} of a URL template) and the provider's own
 * symbol for it (`symbol`, the {symbol}).  Stooq names US listings with a
 * market suffix, `nvda.us`, and indices with a caret, `^spx`: NVDA and
 * NVDA.US both become ticker NVDA, symbol nvda.us (US listings are stored
 * plain, as every other source stores them); a ticker that carries another
 * of Stooq's market suffixes (.UK .DE .JP .HK .HU) or is an index keeps it
 * (SAP.DE: ticker SAP.DE, symbol sap.de; ^SPX: ^SPX, ^spx).  For every
 * other source both are the ticker as typed.  ticker holds tsize bytes,
 * symbol ssize; a value that does not fit is cut.
 */
void price_source_symbol(enum price_source s, const char *given, char *ticker, size_t tsize,
                         char *symbol, size_t ssize);

/* A progress report: while the answers download (each parsed as it
 * arrives), then while the parsed targets load. */
struct ingest_progress {
    const char *phase;  /* "fetching", then "loading" */
    size_t done, total; /* targets fetched (or loaded) so far, of total */
    long long rows;     /* rows parsed (fetching) or loaded (loading) so far */
    long long bytes;    /* bytes received so far */
};

struct ingest_prices_opts {
    enum price_source source;
    const char *const *tickers; /* ntickers symbols; for csv without {ticker}
                                 * in the template: a filter, may be empty */
    size_t ntickers;
    const char *from, *to;      /* YYYY-MM-DD inclusive, or NULL (open end) */
    const char *url_template;   /* NULL: price_source_default_url() */
    const char *apikey;         /* NULL: the provider's environment variable */
    struct http_opts http;      /* http_opts_default() then adjust */
    /* For a progress line, may be NULL: called from inside the transfers
     * (each answer as it arrives, and every http.tick_ms), then after each
     * target loads. */
    void (*progress)(void *arg, const struct ingest_progress *p);
    void *progress_arg;
};

struct ingest_news_opts {
    enum news_source source;
    const char *const *urls; /* nurls feeds / API URLs / file:// paths */
    size_t nurls;
    const char *apikey;      /* NewsAPI: NULL = $NEWSAPI_KEY, put in {apikey} */
    struct http_opts http;
    void (*progress)(void *arg, const struct ingest_progress *p); /* as for prices */
    void *progress_arg;
};

/* What happened to one target (one fetched document). */
struct ingest_target {
    char *target;        /* ticker, or the masked URL; heap, report owns */
    as_err err;          /* AS_OK when loaded */
    char *error;         /* detail (source, line/offset, field); NULL if ok */
    long long parsed;    /* rows the parser produced (after --from/--to) */
    long long inserted;  /* new rows */
    long long updated;   /* rows whose values changed */
    long long unchanged; /* rows already present with the same values */
    long long skipped;   /* rows dropped by validation, see warning */
    char *warning;       /* first validation note, or NULL; heap */
    long long splits, dividends; /* corporate-action rows inserted or changed */
    int attempts;        /* HTTP attempts it took */
};

struct ingest_report {
    const char *kind;   /* "prices" or "news" */
    const char *source; /* provider name */
    struct ingest_target *targets;
    size_t ntargets;
    size_t nfailed;
};

/*
 * Fetch, parse and load.  Returns AS_OK when every target loaded,
 * AS_ERR_SOURCE when at least one target failed (the others are committed;
 * rep says which), or another code when the run itself could not proceed
 * (bad options: AS_ERR_USAGE; database: AS_ERR_DB).  rep is filled in every
 * case; free it with ingest_report_free().
 */
as_err ingest_prices(PGconn *db, const struct ingest_prices_opts *o,
                     struct ingest_report *rep);
as_err ingest_news(PGconn *db, const struct ingest_news_opts *o,
                   struct ingest_report *rep);

void ingest_report_free(struct ingest_report *rep);

#endif
