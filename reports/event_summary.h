/*
 * event_summary.h -- the summaries of one event, from the study stored for
 * its date (analytics/study_db.h) to rows of the summaries table
 * (sql/040_summaries.sql): the nightly run's summarize step.
 *
 * The fact sheet is model/factsheet_db.h's, built from the stored study
 * (study_firms, study_firm_windows) as for `aftershock summarize --event D`,
 * so the text, the workbook and the SQL views quote the same values.
 * event_summarize() writes one paragraph per stock with the distilled
 * model through the guard (model/guard_summarize.h); when the model file does not exist it
 * stores the narrator's paragraphs instead, as model 'narrator' with
 * fallback = true and attempts = 0, so every reader can tell.  All rows of
 * the event go in one transaction (model/guard_store.h).
 */
#ifndef AS_EVENT_SUMMARY_H
#define AS_EVENT_SUMMARY_H

#include <libpq-fe.h>

#include "common/error.h"
#include "model/factsheet.h"

/* The model name stored when no model file exists. */
#define EVENT_SUMMARY_NARRATOR "narrator"

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
