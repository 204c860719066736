/*
 * factsheet_db.h -- the fact sheet of an event day built from the database:
 * the latest stored study of that date (analytics/study_db.h), run first
 * with the configured settings when none is stored, plus the market's day-0
 * return and the headlines behind the event.
 *
 * Headlines come from the events tables when `aftershock events detect` has
 * scored stories for the date, else from the news of the week up to day 0's
 * close (as the report does, reports/report_data.c).  Firms without a day-0
 * abnormal return (status other than ok) are left out of the sheet: the
 * summaries state only what the study measured.  The sheet is normalized
 * (model/factsheet.h), so it is exactly what its text form says.
 * Not here: generating or checking summaries (model/guard_summarize.h).
 */
#ifndef AS_FACTSHEET_DB_H
#define AS_FACTSHEET_DB_H

#include "common/error.h"
#include "model/factsheet.h"

#include <libpq-fe.h>

typedef struct factsheet_db_info {
    long long study_id;   /* studies.id the sheet was built from */
    int ran_study;        /* 1: no study was stored, one was run and stored */
    int n_firms;          /* firms in the study */
    int n_left_out;       /* of those, firms without a day-0 result */
    int stories_scored;   /* 1: headlines from the events tables */
} factsheet_db_info;

/* Fill *fs (factsheet_clear frees) for event_date "YYYY-MM-DD".  A study is
 * run only when none of that date is stored; its settings come from the
 * study.* configuration keys and it covers every stock. */
as_err factsheet_load_event(factsheet *fs, factsheet_db_info *info, PGconn *db,
                            const char *event_date);

#endif
