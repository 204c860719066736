-- 001_core.sql -- the core schema: securities, prices, corporate actions,
-- news and the ingest log.  Applied once by `aftershock db migrate` (and on
-- first connect), inside a transaction, recorded in schema_migrations.
--
-- Conventions: tickers are upper-case provider symbols ('NVDA', '^GSPC');
-- dates are exchange trading dates (America/New_York); times are timestamptz
-- (stored UTC).  OHLC prices are in the security's currency, rounded to 4
-- decimals at ingest because providers send float32 artefacts (118.419998 is
-- the 118.42 the exchange printed); adj_close keeps 6.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst') THEN
        CREATE ROLE analyst NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE analyst IS 'Read-only role for ad-hoc SQL: SELECT on every table and view, nothing else. Grant it to a login role with GRANT analyst TO alice.';

CREATE TABLE securities (
    ticker   text PRIMARY KEY CHECK (ticker = upper(ticker) AND ticker <> ''),
    name     text,
    exchange text,
    sector   text,
    industry text,
    currency text NOT NULL DEFAULT 'USD',
    kind     text NOT NULL DEFAULT 'stock' CHECK (kind IN ('stock', 'etf', 'index'))
);
COMMENT ON TABLE securities IS 'One row per instrument Aftershock knows: stocks, ETFs and indices.';
COMMENT ON COLUMN securities.ticker IS 'Provider symbol, upper case (NVDA, SPY, ^GSPC).';
COMMENT ON COLUMN securities.name IS 'Company or fund name.';
COMMENT ON COLUMN securities.exchange IS 'Primary listing (NASDAQ, NYSE, NYSE Arca, index).';
COMMENT ON COLUMN securities.sector IS 'Sector used for group statistics (Semiconductors, Power, Cloud & software, ...).';
COMMENT ON COLUMN securities.industry IS 'Finer industry label.';
COMMENT ON COLUMN securities.currency IS 'ISO 4217 currency of the prices.';
COMMENT ON COLUMN securities.kind IS 'stock, etf or index; market proxies are usually etf or index.';

CREATE TABLE shares_outstanding (
    ticker text NOT NULL REFERENCES securities (ticker),
    as_of  date NOT NULL,
    shares bigint NOT NULL CHECK (shares > 0),
    source text NOT NULL,
    PRIMARY KEY (ticker, as_of)
);
COMMENT ON TABLE shares_outstanding IS 'Shares outstanding as reported on a date; market value = shares x price using the latest as_of on or before the price date.';
COMMENT ON COLUMN shares_outstanding.ticker IS 'Security.';
COMMENT ON COLUMN shares_outstanding.as_of IS 'Date the figure refers to (cover page or balance-sheet date of the filing).';
COMMENT ON COLUMN shares_outstanding.shares IS 'Number of shares outstanding (for ADRs: ADR-equivalent shares).';
COMMENT ON COLUMN shares_outstanding.source IS 'Where the figure came from (filing, data vendor).';

CREATE TABLE prices (
    ticker      text NOT NULL,
    date        date NOT NULL,
    open        double precision,
    high        double precision,
    low         double precision,
    close       double precision NOT NULL,
    adj_close   double precision,
    volume      bigint,
    source      text NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticker, date)
) PARTITION BY RANGE (date);
COMMENT ON TABLE prices IS 'Daily bars, one row per ticker and trading date; partitioned by year (prices_YYYY).';
COMMENT ON COLUMN prices.ticker IS 'Security (upper case).';
COMMENT ON COLUMN prices.date IS 'Trading date on the security''s exchange (America/New_York for US listings).';
COMMENT ON COLUMN prices.open IS 'Opening price as traded (split-adjusted only where the provider adjusts), 4 decimals.';
COMMENT ON COLUMN prices.high IS 'Session high, 4 decimals.';
COMMENT ON COLUMN prices.low IS 'Session low, 4 decimals.';
COMMENT ON COLUMN prices.close IS 'Closing price as traded, 4 decimals: NVDA 2025-01-27 is 118.42.';
COMMENT ON COLUMN prices.adj_close IS 'Close adjusted for splits and dividends (provider''s adjclose); returns for event studies use this column.';
COMMENT ON COLUMN prices.volume IS 'Shares traded in the session.';
COMMENT ON COLUMN prices.source IS 'Provider the row came from: yahoo, stooq, alphavantage, polygon, csv.';
COMMENT ON COLUMN prices.ingested_at IS 'When this row last changed; a re-run that brings identical values leaves it untouched.';

DO $$
BEGIN
    FOR y IN 1990..2035 LOOP
        EXECUTE format('CREATE TABLE prices_%s PARTITION OF prices FOR VALUES FROM (%L) TO (%L)',
                       y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
        EXECUTE format('COMMENT ON TABLE prices_%s IS %L', y, 'Daily prices of ' || y || ' (partition of prices).');
    END LOOP;
END
$$;
CREATE TABLE prices_other PARTITION OF prices DEFAULT;
COMMENT ON TABLE prices_other IS 'Daily prices outside 1990..2035 (default partition of prices).';

CREATE TABLE splits (
    ticker      text NOT NULL,
    date        date NOT NULL,
    numerator   double precision NOT NULL CHECK (numerator > 0),
    denominator double precision NOT NULL CHECK (denominator > 0),
    source      text NOT NULL,
    PRIMARY KEY (ticker, date)
);
COMMENT ON TABLE splits IS 'Stock splits: numerator-for-denominator (NVDA 2021-07-20 is 4 for 1).';
COMMENT ON COLUMN splits.ticker IS 'Security.';
COMMENT ON COLUMN splits.date IS 'Ex-date of the split.';
COMMENT ON COLUMN splits.numerator IS 'New shares per denominator old shares.';
COMMENT ON COLUMN splits.denominator IS 'Old shares.';
COMMENT ON COLUMN splits.source IS 'Provider.';

CREATE TABLE dividends (
    ticker text NOT NULL,
    date   date NOT NULL,
    amount double precision NOT NULL CHECK (amount >= 0),
    source text NOT NULL,
    PRIMARY KEY (ticker, date)
);
COMMENT ON TABLE dividends IS 'Cash dividends per share.';
COMMENT ON COLUMN dividends.ticker IS 'Security.';
COMMENT ON COLUMN dividends.date IS 'Ex-dividend date.';
COMMENT ON COLUMN dividends.amount IS 'Cash amount per share, in the security''s currency.';
COMMENT ON COLUMN dividends.source IS 'Provider.';

CREATE TABLE news (
    id           bigserial PRIMARY KEY,
    url          text NOT NULL UNIQUE,
    source       text NOT NULL,
    published_at timestamptz NOT NULL,
    title        text NOT NULL,
    summary      text,
    body         text,
    language     text,
    tickers      text[] NOT NULL DEFAULT '{}',
    feed         text,
    ingested_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_published_at_idx ON news (published_at);
COMMENT ON TABLE news IS 'News items from feeds and news APIs, one row per canonical URL.';
COMMENT ON COLUMN news.id IS 'Surrogate key.';
COMMENT ON COLUMN news.url IS 'Canonical URL (lower-case host, no fragment, no tracking parameters); the deduplication key.';
COMMENT ON COLUMN news.source IS 'Publisher (Reuters, CNBC, DeepSeek, ...).';
COMMENT ON COLUMN news.published_at IS 'Publication time (stored UTC); feeds without a time get 00:00 UTC.';
COMMENT ON COLUMN news.title IS 'Headline as published.';
COMMENT ON COLUMN news.summary IS 'Lead or description from the feed.';
COMMENT ON COLUMN news.body IS 'Full text when the source provides it.';
COMMENT ON COLUMN news.language IS 'ISO 639-1 language of the headline (en, pl, zh, ...).';
COMMENT ON COLUMN news.tickers IS 'Tickers the source or our tagger says the item mentions.';
COMMENT ON COLUMN news.feed IS 'Feed or API the row came from (URL with secrets removed).';
COMMENT ON COLUMN news.ingested_at IS 'When the row last changed.';

CREATE TABLE ingest_runs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('prices', 'news')),
    source      text NOT NULL,
    target      text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    rows        integer,
    status      text NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    error       text
);
COMMENT ON TABLE ingest_runs IS 'One row per source and target of every ingest: what was loaded, when, how many rows, and why it failed.';
COMMENT ON COLUMN ingest_runs.id IS 'Surrogate key.';
COMMENT ON COLUMN ingest_runs.kind IS 'prices or news.';
COMMENT ON COLUMN ingest_runs.source IS 'Provider (yahoo, stooq, rss, ...).';
COMMENT ON COLUMN ingest_runs.target IS 'Ticker or feed URL (secrets removed).';
COMMENT ON COLUMN ingest_runs.started_at IS 'Start of the transfer.';
COMMENT ON COLUMN ingest_runs.finished_at IS 'End of the load (commit or rollback).';
COMMENT ON COLUMN ingest_runs.rows IS 'Rows inserted or changed (0 for an identical re-run).';
COMMENT ON COLUMN ingest_runs.status IS 'running, ok or failed.';
COMMENT ON COLUMN ingest_runs.error IS 'The failure as printed to the user (source, line, field).';

CREATE VIEW v_prices_daily AS
SELECT p.ticker, s.name, s.sector, p.date, p.close, p.adj_close, p.volume,
       p.adj_close / lag(p.adj_close) OVER w - 1 AS return
FROM prices p
LEFT JOIN securities s USING (ticker)
WINDOW w AS (PARTITION BY p.ticker ORDER BY p.date);
COMMENT ON VIEW v_prices_daily IS 'Daily prices with sector and the simple return from adjusted closes (NULL on a ticker''s first day).';

GRANT USAGE ON SCHEMA public TO analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO analyst;
