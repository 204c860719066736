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
#include "model/guard_store.h"
#include "model/guard_summarize.h"
#include "model/narrator.h"

/* The market's day-0 return (decimal) from study_returns, NAN if absent. */
static as_err market_ret0(double *out, PGconn *db, long long study_id)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", study_id);
    const char *p[] = {sid};
    PGresult *r;
    as_err e = db_query(db, &r,
                        "SELECT ret FROM study_returns WHERE study_id = $1::bigint "
                        "AND role = 'market' AND day = 0",
                        1, p);
    if (e)
        return e;
    *out = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtod(PQgetvalue(r, 0, 0), NULL) : NAN;
    PQclear(r);
    return AS_OK;
}

/* Headlines: the detected event's stories of day 0, else the news of the
 * week up to day 0's close in New York. */
static as_err heads_load(factsheet *fs, PGconn *db, const char *day0)
{
    const char *p[] = {day0};
    PGresult *r;
    as_err e = db_query(db, &r,
                        "SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), source, "
                        "  title FROM v_event_stories WHERE event_session = $1::date "
                        "ORDER BY published_at, rank LIMIT 4",
                        1, p);
    if (e)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        e = db_query(db, &r,
                     "SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), source, title "
                     "FROM news WHERE published_at >= ($1::date - 7)::timestamp AT TIME ZONE "
                     "'America/New_York' AND published_at < ($1::date + time '16:00') AT TIME "
                     "ZONE 'America/New_York' ORDER BY published_at, id LIMIT 4",
                     1, p);
        if (e)
            return e;
    }
    for (int i = 0; i < PQntuples(r) && fs->n_heads < FACT_MAX_HEAD; i++) {
        fact_headline *h = &fs->heads[fs->n_heads++];
        const char *src = PQgetisnull(r, i, 1) ? "news" : PQgetvalue(r, i, 1);
        snprintf(h->date, sizeof h->date, "%s", PQgetvalue(r, i, 0));
        snprintf(h->source, sizeof h->source, "%.*s", (int)strcspn(src, " "), src);
        snprintf(h->text, sizeof h->text, "%s", PQgetvalue(r, i, 2));
    }
    PQclear(r);
    return AS_OK;
}

static void name_first_word(char *out, size_t len, const char *s)
{
    snprintf(out, len, "%.*s", (int)strcspn(s ? s : "Other", " "), s ? s : "Other");
}

as_err event_facts_load(factsheet *fs, PGconn *db, const study_db_study *st)
{
    memset(fs, 0, sizeof *fs);
    snprintf(fs->date, sizeof fs->date, "%s", st->day0_date);
    snprintf(fs->market, sizeof fs->market, "%s", st->market ? st->market : "none");
    double m0;
    as_err e = market_ret0(&m0, db, st->id);
    if (!e)
        e = heads_load(fs, db, st->day0_date);
    if (e)
        return e;
    fs->market_ret0 = 100 * m0;
    /* The title: the event's first headline, else the biggest day-0 move. */
    int big = -1;
    for (int i = 0; i < st->nfirms; i++)
        if (isfinite(st->firms[i].ar_day0) &&
            (big < 0 || fabs(st->firms[i].ar_day0) > fabs(st->firms[big].ar_day0)))
            big = i;
    if (fs->n_heads)
        snprintf(fs->title, sizeof fs->title, "%s", fs->heads[0].text);
    else if (big >= 0)
        snprintf(fs->title, sizeof fs->title, "%s %s %+.2f%%", st->day0_date,
                 st->firms[big].ticker, 100 * st->firms[big].day0_return);
    else
        snprintf(fs->title, sizeof fs->title, "%s", st->day0_date);

    int w00 = -1;
    for (int w = 0; w < st->nwin; w++)
        if (st->windows[w].start == 0 && st->windows[w].end == 0)
            w00 = w;
    /* Sectors in ticker order of first appearance, each with its mean AR. */
    for (int i = 0; !e && i < st->nfirms; i++) {
        fact_sector sec = {0};
        name_first_word(sec.name, sizeof sec.name, st->firms[i].sector);
        if (factsheet_find_sector(fs, sec.name))
            continue;
        double sum = 0;
        for (int j = 0; j < st->nfirms; j++) {
            char other[FACT_NAME];
            name_first_word(other, sizeof other, st->firms[j].sector);
            if (strcmp(other, sec.name) == 0 && isfinite(st->firms[j].ar_day0)) {
                sum += st->firms[j].ar_day0;
                sec.n++;
            }
        }
        if (sec.n) {
            sec.mean_ar0 = 100 * sum / sec.n;
            e = factsheet_add_sector(fs, &sec);
        }
    }
    for (int i = 0; !e && i < st->nfirms; i++) {
        const study_db_firm *f = &st->firms[i];
        if (!isfinite(f->ar_day0))
            continue;
        fact_stock s = {0};
        snprintf(s.ticker, sizeof s.ticker, "%s", f->ticker);
        name_first_word(s.sector, sizeof s.sector, f->sector);
        s.ret0 = 100 * f->day0_return;
        s.ar0 = 100 * f->ar_day0;
        /* The day-0 t is the [0,0] window's CAR t: the same forecast-error
         * corrected SD (MacKinlay 1997 eq. 15 with one day). */
        s.t0 = w00 >= 0 && isfinite(f->car_t[w00]) ? f->car_t[w00] : 0;
        s.mv_bn = isfinite(f->mv_change_bn) ? f->mv_change_bn : 0;
        s.n_est = f->n_est;
        for (int w = 0; w < st->nwin && s.n_win < FACT_MAX_WIN; w++)
            if (isfinite(f->car[w]))
                s.win[s.n_win++] = (fact_window){st->windows[w].start, st->windows[w].end,
                                                 100 * f->car[w], f->car_t[w]};
        e = factsheet_add_stock(fs, &s);
    }
    if (e)
        factsheet_clear(fs);
    else
        factsheet_normalize(fs);
    return e;
}

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
    long long id;
    study_db_study st = {0};
    factsheet fs = {0};
    summary *sums = NULL;
    guard_summarizer *gs = NULL;
    as_err e = study_db_find(&id, db, date);
    if (!e)
        e = study_db_load(&st, db, id);
    if (!e)
        e = event_facts_load(&fs, db, &st);
    if (e)
        goto done;
    if (fs.n_stocks == 0) {
        e = as_fail(AS_ERR_NOT_FOUND, "summarize %s: study %lld has no stock with a day-0 "
                                      "abnormal return", date, id);
        goto done;
    }
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
    study_db_study_free(&st);
    return e;
}
