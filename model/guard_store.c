/*
 * guard_store.c -- INSERT ... ON CONFLICT of the guarded summaries (see
 * guard_store.h).  Parameters travel as text, so no value is ever spliced
 * into the SQL.
 */
#include "model/guard_store.h"
#include "common/db.h"

#include <stdio.h>
#include <stdlib.h>

static const char upsert_sql[] =
    "INSERT INTO summaries (event_date, ticker, model, teacher, summary, raw_pass, attempts, "
    "fallback, n_numbers, n_bad_numbers, facts) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
    "ON CONFLICT (event_date, ticker, model) DO UPDATE SET teacher = EXCLUDED.teacher, "
    "summary = EXCLUDED.summary, raw_pass = EXCLUDED.raw_pass, attempts = EXCLUDED.attempts, "
    "fallback = EXCLUDED.fallback, n_numbers = EXCLUDED.n_numbers, "
    "n_bad_numbers = EXCLUDED.n_bad_numbers, facts = EXCLUDED.facts, created_at = now()";

as_err summaries_store(PGconn *conn, const factsheet *fs, const summary *sums,
                       const char *model, const char *teacher)
{
    as_err e = db_begin(conn);
    if (e)
        return e;
    for (int i = 0; i < fs->n_stocks && !e; i++) {
        char attempts[16], nn[16], nb[16];
        snprintf(attempts, sizeof attempts, "%d", sums[i].attempts);
        snprintf(nn, sizeof nn, "%d", sums[i].n_numbers);
        snprintf(nb, sizeof nb, "%d", sums[i].n_bad_numbers);
        char *facts = factsheet_write_stock(fs, i);
        if (!facts) {
            e = as_fail(AS_ERR_NOMEM, "summaries: out of memory");
            break;
        }
        const char *p[11] = {fs->date, fs->stocks[i].ticker, model, teacher, sums[i].text,
                             sums[i].raw_pass ? "true" : "false", attempts,
                             sums[i].fallback ? "true" : "false", nn, nb, facts};
        e = db_query(conn, NULL, upsert_sql, 11, p);
        free(facts);
        if (e)
            as_fail_context(e, "summaries: stock '%s'", fs->stocks[i].ticker);
    }
    if (e) {
        db_rollback(conn);
        return e;
    }
    return db_commit(conn);
}
