-- 030_runs.sql -- the nightly run's log: one row per trading date and step
-- (ingest, report, distribute; detect, study and summarize are reserved for
-- the stages that will record themselves here), written by
-- reports/nightly.c.  A step that is 'ok' is never run again for its date,
-- which makes a re-run of a finished date change nothing; a 'failed' or
-- interrupted ('running' with no live run holding the lock) step is where a
-- re-run resumes.

CREATE TABLE runs (
    run_date    date NOT NULL,
    step        text NOT NULL CHECK (step IN ('ingest', 'detect', 'study', 'summarize',
                                              'report', 'distribute')),
    seq         smallint NOT NULL CHECK (seq > 0),
    status      text NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    rows        bigint,
    detail      text,
    error       text,
    attempts    integer NOT NULL DEFAULT 1 CHECK (attempts > 0),
    PRIMARY KEY (run_date, step)
);
COMMENT ON TABLE runs IS 'Nightly pipeline log: one row per trading date and step, updated in place when a failed step is retried.';
COMMENT ON COLUMN runs.run_date IS 'The trading date (event day 0) the nightly run was for.';
COMMENT ON COLUMN runs.step IS 'Pipeline step: ingest, detect, study, summarize, report or distribute.';
COMMENT ON COLUMN runs.seq IS 'Position of the step in the pipeline (1 = first).';
COMMENT ON COLUMN runs.status IS 'running (or interrupted), ok, failed, or skipped (nothing to do, e.g. not a trading day).';
COMMENT ON COLUMN runs.started_at IS 'Start of the latest attempt.';
COMMENT ON COLUMN runs.finished_at IS 'End of the latest attempt; NULL while running or after a crash.';
COMMENT ON COLUMN runs.rows IS 'Rows the step produced: price and news rows loaded (ingest), stocks studied (report), delivery attempts (distribute).';
COMMENT ON COLUMN runs.detail IS 'What the step made: counts, the workbook path, the outbox file or masked SMTP server.';
COMMENT ON COLUMN runs.error IS 'Why the latest attempt failed, as printed to the user; NULL when it did not.';
COMMENT ON COLUMN runs.attempts IS 'Attempts of this step for this date (1 + retries by later runs).';

CREATE VIEW v_runs AS
SELECT run_date, seq, step, status, attempts, started_at, finished_at,
       round(extract(epoch FROM finished_at - started_at)::numeric, 3) AS seconds,
       rows, detail, error
FROM runs
ORDER BY run_date DESC, seq;
COMMENT ON VIEW v_runs IS 'The nightly log, newest date first, with each step''s duration in seconds.';

GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;
