/*
 * event_summary.c -- stored study -> fact sheet -> summaries rows (see
 * event_summary.h).
 *
 * Owns nothing beyond a call: the fact sheet and the summaries are freed
 * before returning.  Units follow model/factsheet.h: percent for returns,
 * USD billions for market values; sector names lose everything from their
 * first space because the sheet's text form has no spaces in names
 * ("Cloud & software" -> "Cloud").
 */
#include "reports/event_summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/db.h"
#include "model/factsheet_db.h"
#include "model/guard_store.h"
#include "model/guard_summarize.h"
#include "model/narrator.h"

/* The narrator's paragraph per stock, seed 1: the same data, the same words. */
static as_err narrator_sheet(summary *out, const factsheet *fs)
{
    for (int i = 0; i < fs->n_stocks; i++) {
        as_err e = narrator_write(&out[i].text, fs, i, 1);
        if (e)
            return e;
        out[i].fallback = 1;
    }
    return AS_OK;
}

as_err event_summarize(struct event_summary_result *out, PGconn *db, const char *date,
                       const char *model_path, int threads)
{
    memset(out, 0, sizeof *out);
    factsheet fs = {0};
    factsheet_db_info info;
    summary *sums = NULL;
    guard_summarizer *gs = NULL;
    as_err e = factsheet_load_event(&fs, &info, db, date);
    if (e)
        goto done;
    if (!(sums = calloc((size_t)fs.n_stocks, sizeof *sums))) {
        e = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (access(model_path, F_OK) == 0) {
        /* A model file that exists but does not load is an error, not a
         * reason to fall back quietly. */
        if ((e = guard_summarizer_open(&gs, model_path, fs.n_stocks, threads)) ||
            (e = guard_summarize_sheet(sums, gs, &fs, 1)))
            goto done;
        snprintf(out->model, sizeof out->model, "%s", guard_summarizer_model(gs));
        e = summaries_store(db, &fs, sums, guard_summarizer_model(gs),
                            guard_summarizer_teacher(gs));
    } else {
        snprintf(out->model, sizeof out->model, "%s", EVENT_SUMMARY_NARRATOR);
        if (!(e = narrator_sheet(sums, &fs)))
            e = summaries_store(db, &fs, sums, EVENT_SUMMARY_NARRATOR, EVENT_SUMMARY_NARRATOR);
    }
    if (!e) {
        out->n = fs.n_stocks;
        for (int i = 0; i < fs.n_stocks; i++)
            out->fallback += sums[i].fallback;
    }
done:
    for (int i = 0; sums && i < fs.n_stocks; i++)
        summary_free(&sums[i]);
    free(sums);
    guard_summarizer_close(gs);
    factsheet_clear(&fs);
    return e;
}
