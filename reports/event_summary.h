/*
 * event_summary.h -- the summaries of one event, from the study stored for
 * its date (analytics/study_db.h) to rows of the summaries table
 * (sql/040_summaries.sql): the step `aftershock summarize --event D` and the
 * nightly run share.
 *
 * event_facts_load() turns the stored study into the fact sheet the model
 * and the narrator write from (model/factsheet.h): every number comes from
 * study_firms, study_firm_windows and study_returns, so the text, the
 * workbook and the SQL views quote the same values.  event_summarize() then
 * writes one paragraph per stock with the distilled model through the
 * guard (model/guard_summarize.h); when the model file does not exist it
 * stores the narrator's paragraphs instead, as model 'narrator' with
 * fallback = true and attempts = 0, so every reader can tell.  All rows of
 * the event go in one transaction (model/guard_store.h).
 */
#ifndef AS_EVENT_SUMMARY_H
#define AS_EVENT_SUMMARY_H

#include <libpq-fe.h>

#include "analytics/study_db.h"
#include "common/error.h"
#include "model/factsheet.h"

/* The model name stored when no model file exists. */
#define EVENT_SUMMARY_NARRATOR "narrator"

/* The fact sheet of a stored study: stocks with a result, sectors, the
 * market's day-0 return, up to FACT_MAX_HEAD headlines of the event (the
 * detected event's stories, else the week's news).  Caller
 * factsheet_clear()s. */
as_err event_facts_load(factsheet *fs, PGconn *db, const study_db_study *st);

struct event_summary_result {
    int n;              /* summaries stored */
    int fallback;       /* of them, the narrator's text */
    char model[64];     /* summaries.model of the rows */
};

/* Summarize the latest stored study of date and store the rows (see
 * above).  model_path: a GGUF file; when it does not exist, the narrator. */
as_err event_summarize(struct event_summary_result *out, PGconn *db, const char *date,
                       const char *model_path, int threads);

#endif
