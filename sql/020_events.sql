-- 020_events.sql -- AI-efficiency announcements and the events they form,
-- written by `aftershock events detect` (analytics/events_db.c).
--
-- announcements: one row per scored news item (every item in the detected
-- range, announcement or not, so the scoring can be audited);
-- announcement_tickers: the tickers an item names, with relevance and
-- direction; events and event_stories: clusters of announcements aligned to
-- the first trading session they could move; event_calendar: the sessions
-- (dates of the market ticker's prices) the last run aligned to;
-- event_exposure: the direction rule per ticker, from data/lexicon/exposure.lex.
-- A detect run rewrites only rows whose values changed, so re-running it on
-- the same news leaves every row, and its xmin, as it was.

CREATE TABLE event_calendar (
    session_date date PRIMARY KEY
);
COMMENT ON TABLE event_calendar IS 'Trading sessions used by the last events detect: the dates present in prices for its market ticker (SPY by default). NYSE holidays are absent because the market did not trade.';
COMMENT ON COLUMN event_calendar.session_date IS 'A trading date of the market ticker.';

CREATE TABLE event_exposure (
    ticker    text PRIMARY KEY,
    direction smallint NOT NULL CHECK (direction IN (-1, 0, 1)),
    reason    text NOT NULL
);
COMMENT ON TABLE event_exposure IS 'Sign of the move an AI-efficiency announcement implies for each ticker (data/lexicon/exposure.lex): cheaper AI lowers the compute, memory, servers and power needed per unit of AI.';
COMMENT ON COLUMN event_exposure.ticker IS 'Security.';
COMMENT ON COLUMN event_exposure.direction IS '-1 negative (hardware, power: NVDA AVGO TSM ASML AMD MU SMCI ARM VST CEG ...), +1 positive, 0 neutral.';
COMMENT ON COLUMN event_exposure.reason IS 'Why, in one line.';

CREATE TABLE events (
    id                 bigint PRIMARY KEY,
    session_date       date,
    first_published_at timestamptz NOT NULL,
    last_published_at  timestamptz NOT NULL,
    title              text NOT NULL,
    score              double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
    n_stories          integer NOT NULL CHECK (n_stories > 0),
    entities           text[] NOT NULL,
    tickers            text[] NOT NULL,
    direction          smallint NOT NULL CHECK (direction IN (-1, 0, 1))
);
CREATE INDEX events_session_date_idx ON events (session_date);
COMMENT ON TABLE events IS 'AI-efficiency events: announcements clustered by time (a story joins an event whose latest story is at most 72 h older) and shared AI labs, companies or phrases (analytics/cluster.h).';
COMMENT ON COLUMN events.id IS 'news.id of the event''s first story: stable across re-runs.';
COMMENT ON COLUMN events.session_date IS 'First trading session the event could move: the first story''s New York date, the next day from 16:00 New York, rolled forward over weekends and holidays to a date in event_calendar; NULL when outside the price calendar.';
COMMENT ON COLUMN events.first_published_at IS 'Publication time of the first story.';
COMMENT ON COLUMN events.last_published_at IS 'Publication time of the latest story.';
COMMENT ON COLUMN events.title IS 'Headline of the first story.';
COMMENT ON COLUMN events.score IS 'Highest announcement score among its stories, 0..100.';
COMMENT ON COLUMN events.n_stories IS 'Number of stories (rows in event_stories).';
COMMENT ON COLUMN events.entities IS 'Lexicon entities (labs, companies, sector groups) its stories name, in lexicon order.';
COMMENT ON COLUMN events.tickers IS 'Tickers its stories name, sorted.';
COMMENT ON COLUMN events.direction IS 'Direction for the hardware and power names: -1 (an efficiency gain lowers their demand).';

CREATE TABLE event_stories (
    news_id  bigint PRIMARY KEY REFERENCES news (id) ON DELETE CASCADE,
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    rank     integer NOT NULL CHECK (rank >= 0),
    UNIQUE (event_id, rank)
);
COMMENT ON TABLE event_stories IS 'Which stories make up each event; a story belongs to at most one event.';
COMMENT ON COLUMN event_stories.news_id IS 'The story.';
COMMENT ON COLUMN event_stories.event_id IS 'Its event.';
COMMENT ON COLUMN event_stories.rank IS 'Position in publication order within the event, 0 for the first story.';

CREATE TABLE announcements (
    news_id         bigint PRIMARY KEY REFERENCES news (id) ON DELETE CASCADE,
    score           double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
    is_announcement boolean NOT NULL,
    direction       smallint NOT NULL CHECK (direction IN (-1, 0, 1)),
    novelty         double precision CHECK (novelty BETWEEN 0 AND 100),
    session_date    date,
    matched_terms   text[] NOT NULL
);
COMMENT ON TABLE announcements IS 'Every news item scored for "AI-efficiency announcement" by the lexicon in data/lexicon (score = sum of the weights of the matched phrases and entities, clamped to 0..100).';
COMMENT ON COLUMN announcements.news_id IS 'The news item.';
COMMENT ON COLUMN announcements.score IS 'Announcement score 0..100.';
COMMENT ON COLUMN announcements.is_announcement IS 'score >= the threshold of the run (50 by default).';
COMMENT ON COLUMN announcements.direction IS 'For the hardware and power names: -1 when an announcement, else 0.';
COMMENT ON COLUMN announcements.novelty IS 'Within its event: 100 * 0.5^(hours after the first story / 24) * 0.9^rank; 100 for the first story; NULL when not in an event.';
COMMENT ON COLUMN announcements.session_date IS 'First trading session this item could move (same rule as events.session_date); NULL outside the price calendar.';
COMMENT ON COLUMN announcements.matched_terms IS 'Lexicon terms found: "<lang>:<phrase>" and "entity:<name>".';

CREATE TABLE announcement_tickers (
    news_id   bigint NOT NULL REFERENCES announcements (news_id) ON DELETE CASCADE,
    ticker    text NOT NULL,
    relevance smallint NOT NULL CHECK (relevance BETWEEN 0 AND 100),
    direction smallint NOT NULL CHECK (direction IN (-1, 0, 1)),
    PRIMARY KEY (news_id, ticker)
);
COMMENT ON TABLE announcement_tickers IS 'Tickers a news item names (through the lexicon''s company and sector aliases).';
COMMENT ON COLUMN announcement_tickers.news_id IS 'The news item.';
COMMENT ON COLUMN announcement_tickers.ticker IS 'Security.';
COMMENT ON COLUMN announcement_tickers.relevance IS '0..100: named in the title 100; in the summary only 60 (+10 per further mention, at most 90); through a sector group 40 (title) or 30 (summary).';
COMMENT ON COLUMN announcement_tickers.direction IS 'The ticker''s event_exposure direction when the item is an announcement, else 0.';

CREATE VIEW v_daily_announcement_score AS
SELECT c.session_date,
       coalesce(max(a.score * a.novelty / 100.0), 0)::double precision AS score
FROM event_calendar c
LEFT JOIN announcements a ON a.session_date = c.session_date AND a.novelty IS NOT NULL
GROUP BY c.session_date;
COMMENT ON VIEW v_daily_announcement_score IS 'One row per trading session of event_calendar: the strongest novelty-weighted announcement score (score * novelty / 100) among the event stories aligned to that session, 0 when there is none. The regressor of the efficiency beta.';

CREATE VIEW v_event_stories AS
SELECT e.id AS event_id, e.session_date AS event_session, s.rank, n.id AS news_id,
       n.published_at, a.session_date, a.score, a.novelty, n.source, n.title, n.url
FROM events e
JOIN event_stories s ON s.event_id = e.id
JOIN news n ON n.id = s.news_id
JOIN announcements a ON a.news_id = s.news_id;
COMMENT ON VIEW v_event_stories IS 'Each event''s stories in order, with their own session, score and novelty.';

GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;
