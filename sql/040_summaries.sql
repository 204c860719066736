-- 040_summaries.sql -- the guarded per-stock summaries written by
-- `aftershock summarize` (model/guard_summarize.h), one row per event day,
-- stock and model.  A row records which model wrote the text, which teacher
-- that model was distilled from, whether the text passed the guard as first
-- generated (raw faithfulness) and whether the narrator's text had to be
-- used instead (fallback).  Re-running replaces the row.

CREATE TABLE summaries (
    event_date    date NOT NULL,
    ticker        text NOT NULL,
    model         text NOT NULL,
    teacher       text NOT NULL,
    summary       text NOT NULL,
    raw_pass      boolean NOT NULL,
    attempts      smallint NOT NULL CHECK (attempts BETWEEN 1 AND 2),
    fallback      boolean NOT NULL,
    n_numbers     integer NOT NULL CHECK (n_numbers >= 0),
    n_bad_numbers integer NOT NULL CHECK (n_bad_numbers BETWEEN 0 AND n_numbers),
    facts         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_date, ticker, model)
);
COMMENT ON TABLE summaries IS 'Analyst-style paragraph per stock and event, written by the distilled model and checked by the guard; the narrator''s text when the model failed twice.';
COMMENT ON COLUMN summaries.event_date IS 'Event day 0 of the fact sheet.';
COMMENT ON COLUMN summaries.ticker IS 'Stock the paragraph is about.';
COMMENT ON COLUMN summaries.model IS 'general.name of the GGUF model that generated the text.';
COMMENT ON COLUMN summaries.teacher IS 'Teacher the model was distilled from (aftershock.teacher), e.g. narrator.';
COMMENT ON COLUMN summaries.summary IS 'The paragraph kept: every number, ticker, date and direction matches the fact sheet.';
COMMENT ON COLUMN summaries.raw_pass IS 'True when the first generated text passed the guard unchanged.';
COMMENT ON COLUMN summaries.attempts IS 'Model generations made (a failing first text is regenerated once).';
COMMENT ON COLUMN summaries.fallback IS 'True when both generations failed the guard and the narrator''s text was stored.';
COMMENT ON COLUMN summaries.n_numbers IS 'Numbers stated in the first generated text.';
COMMENT ON COLUMN summaries.n_bad_numbers IS 'Of those, numbers that matched no fact (before the guard).';
COMMENT ON COLUMN summaries.created_at IS 'When the row was written (re-runs update it).';
COMMENT ON COLUMN summaries.facts IS 'The per-stock fact sheet (the model''s prompt) the summary was checked against.';
GRANT SELECT ON summaries TO analyst;
