-- 050_summaries_narrator.sql -- summaries written without a model: when the
-- distilled model file is absent, `aftershock summarize --event` and the
-- nightly run store the narrator's paragraphs as model 'narrator' with
-- fallback = true and attempts = 0 (no generation was made), so the 1..2
-- range of 040 widens to 0..2.  The constraint keeps its name.

ALTER TABLE summaries DROP CONSTRAINT summaries_attempts_check;
ALTER TABLE summaries ADD CONSTRAINT summaries_attempts_check CHECK (attempts BETWEEN 0 AND 2);
COMMENT ON COLUMN summaries.attempts IS 'Model generations made (a failing first text is regenerated once); 0 when no model file existed and the narrator wrote the text.';
