-- 050_nightly.sql -- what the six-step nightly run (reports/nightly.c) needs
-- beyond 030 and 040.
--
-- Summaries written without a model: when the distilled model file is
-- absent, `aftershock summarize --event` and the nightly run store the
-- narrator's paragraphs as model 'narrator' with fallback = true and
-- attempts = 0 (no generation was made), so the 1..2 range of 040 widens to
-- 0..2.  The constraint keeps its name.
--
-- The runs table now has a row for each of the six steps (030 reserved
-- detect, study and summarize); its comments say what each step counts.

ALTER TABLE summaries DROP CONSTRAINT summaries_attempts_check;
ALTER TABLE summaries ADD CONSTRAINT summaries_attempts_check CHECK (attempts BETWEEN 0 AND 2);
COMMENT ON COLUMN summaries.attempts IS 'Model generations made (a failing first text is regenerated once); 0 when no model file existed and the narrator wrote the text.';

COMMENT ON TABLE runs IS 'Nightly pipeline log: one row per trading date and step (ingest, detect, study, summarize, report, distribute), updated in place when a failed step is retried.';
COMMENT ON COLUMN runs.status IS 'running (or interrupted), ok, failed, or skipped (nothing to do: study, summarize and report on a date without a session of the market proxy).';
COMMENT ON COLUMN runs.rows IS 'Rows the step produced: price and news rows loaded (ingest), event rows changed (detect), firms studied (study), summaries stored (summarize), stocks in the workbook (report), delivery attempts (distribute).';
COMMENT ON COLUMN runs.detail IS 'What the step made: counts, the study id, the summary model, the workbook path, the outbox file or masked SMTP server.';
