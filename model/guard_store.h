/*
 * guard_store.h -- guarded summaries into the summaries table
 * (sql/040_summaries.sql), all stocks of a sheet in one transaction.
 *
 * A re-run for the same event, stock and model replaces the row.  Either
 * every row of the sheet is written or none is (rollback on any error).
 * It does not generate or check anything (model/guard_summarize.h).
 */
#ifndef AS_GUARD_STORE_H
#define AS_GUARD_STORE_H

#include "common/error.h"
#include "model/factsheet.h"
#include "model/guard_summarize.h"

#include <libpq-fe.h>

as_err summaries_store(PGconn *conn, const factsheet *fs, const summary *sums,
                       const char *model, const char *teacher);

#endif
