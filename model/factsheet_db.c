/*
 * factsheet_db.c -- fact sheet of an event day from the stored study, the
 * market's prices and the news (see factsheet_db.h).
 *
 * Units follow model/factsheet.h: the study stores fractions, the sheet
 * percent; market values are already USD billions.  Memory: the loaded
 * study and every PGresult are freed before returning; the sheet's arrays
 * belong to the caller.
 */
#include "model/factsheet_db.h"
#include "analytics/calendar.h"
#include "analytics/study_db.h"
#include "common/config.h"
#include "common/db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Study settings from the configuration, as `aftershock report` reads them
 * (reports/report_data.c); the factor model needs factor series, which a
 * summary run does not name, so it is refused. */
static as_err study_opts_from_config(study_db_opts *o, const char *event_date)
{
    memset(o, 0, sizeof *o);
    o->event_date = event_date;
    o->all = 1;
    o->market = config_get("study.market");
    estudy_config_default(&o->cfg);
    const char *model = config_get("study.model");
    if (strcmp(model, "market") == 0)
        o->cfg.model = ESTUDY_MODEL_MARKET;
    else if (strcmp(model, "market-adjusted") == 0)
        o->cfg.model = ESTUDY_MODEL_MARKET_ADJUSTED;
    else if (strcmp(model, "mean-adjusted") == 0)
        o->cfg.model = ESTUDY_MODEL_MEAN_ADJUSTED;
    else
        return as_fail(AS_ERR_USAGE, "study.model '%s': summarize runs the market, "
                       "market-adjusted or mean-adjusted model; run `aftershock study "
                       "--event %s` first for another", model, event_date);
    estudy_window est;
    as_err e = estudy_window_parse(&est, "study.estimation", config_get("study.estimation"));
    if (e)
        return e;
    o->cfg.est_start = est.start;
    o->cfg.est_end = est.end;
    o->cfg.log_returns = strcmp(config_get("study.returns"), "log") == 0;
    if ((e = estudy_beta_parse(&o->cfg, "study.beta", config_get("study.beta"))))
        return e;
    if (o->cfg.beta != ESTUDY_BETA_OLS && o->cfg.model != ESTUDY_MODEL_MARKET)
        return as_fail(AS_ERR_USAGE, "study.beta '%s' is a market-model option; study.model "
                       "is '%s'", config_get("study.beta"), model);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", config_get("study.windows"));
    o->cfg.nwindows = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        if (o->cfg.nwindows == ESTUDY_MAX_WINDOWS)
            return as_fail(AS_ERR_USAGE, "study.windows: at most %d windows",
                           ESTUDY_MAX_WINDOWS);
        if ((e = estudy_window_parse(&o->cfg.windows[o->cfg.nwindows], "study.windows", tok)))
            return e;
        o->cfg.nwindows++;
    }
    if (!o->cfg.nwindows)
        return as_fail(AS_ERR_USAGE, "study.windows: no window given");
    return AS_OK;
}

/* The market proxy's simple return on day 0 from adjusted closes, percent;
 * NAN when either close is missing. */
static as_err market_ret0(double *out, PGconn *db, const char *market, const char *day0)
{
    *out = NAN;
    if (!market)
        return AS_OK;
    const char *p[] = {market, day0};
    PGresult *r;
    as_err e = db_query(db, &r,
                        "SELECT to_char(date, 'YYYY-MM-DD'), adj_close FROM prices "
                        "WHERE ticker = $1 AND date <= $2::date AND adj_close IS NOT NULL "
                        "ORDER BY date DESC LIMIT 2",
                        2, p);
    if (e)
        return as_fail_context(e, "summarize: market '%s'", market);
    if (PQntuples(r) == 2 && strcmp(PQgetvalue(r, 0, 0), day0) == 0) {
        double a = strtod(PQgetvalue(r, 0, 1), NULL), b = strtod(PQgetvalue(r, 1, 1), NULL);
        if (b > 0)
            *out = 100 * (a / b - 1);
    }
    PQclear(r);
    return AS_OK;
}

/* Up to FACT_MAX_HEAD headlines behind the event: the detected event's
 * stories in their order, else the latest news up to day 0's close (the
 * day's own stories rather than the start of the week's). */
static as_err headlines_load(factsheet *fs, int *scored, PGconn *db, const char *day0)
{
    char close[6]; /* 16:00, or 13:00 on an early-close day */
    calendar_close_text(close, day0);
    const char *p[] = {day0};
    PGresult *r;
    *scored = 0;
    as_err e = db_query(db, &r, "SELECT to_regclass('public.v_event_stories') IS NOT NULL", 0,
                        NULL);
    if (e)
        return e;
    int have_events = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (have_events) {
        if ((e = db_query(db, &r,
                          "SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
                          "  source, title FROM v_event_stories v WHERE event_session = $1::date "
                          /* the event's top stories: score, then the most relevant
                           * to a stock, then the earliest (the workbook's title
                           * story, reports/report_data.c, is the same first one) */
                          "ORDER BY score DESC, (SELECT max(t.relevance) FROM announcement_tickers t "
                          "  WHERE t.news_id = v.news_id) DESC NULLS LAST, published_at, rank "
                          "LIMIT 4",
                          1, p)))
            return e;
        *scored = PQntuples(r) > 0;
        if (!*scored)
            PQclear(r);
    }
    if (!*scored &&
        (e = db_query(db, &r,
                      "SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), source, "
                      "  title FROM news "
                      "WHERE published_at >= ($1::date - 7)::timestamp AT TIME ZONE "
                      "  'America/New_York' "
                      "  AND published_at < ($1::date + $2::time) AT TIME ZONE "
                      "  'America/New_York' "
                      "ORDER BY published_at DESC, id DESC LIMIT 4",
                      2, (const char *[]){p[0], close})))
        return e;
    for (int i = 0; i < PQntuples(r) && fs->n_heads < FACT_MAX_HEAD; i++) {
        fact_headline *h = &fs->heads[fs->n_heads++];
        const char *src = PQgetisnull(r, i, 1) ? "news" : PQgetvalue(r, i, 1);
        snprintf(h->date, sizeof h->date, "%s", PQgetvalue(r, i, 0));
        /* the text form has no spaces in a source: "Financial Times" -> "Financial" */
        snprintf(h->source, sizeof h->source, "%.*s", (int)strcspn(src, " "), src);
        /* nor line breaks in free text */
        snprintf(h->text, sizeof h->text, "%s", PQgetvalue(r, i, 2));
        for (char *c = h->text; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
    }
    PQclear(r);
    return AS_OK;
}

/* "Cloud & software" -> "Cloud"; NULL -> "Unclassified". */
static void sector_name(char *out, size_t n, const char *s)
{
    if (!s || !*s)
        s = "Unclassified";
    snprintf(out, n, "%.*s", (int)strcspn(s, " "), s);
}

static as_err sheet_build(factsheet *fs, factsheet_db_info *info, const study_db_study *st)
{
    as_err e = AS_OK;
    int w00 = -1; /* the [0, 0] window, whose t is day 0's */
    for (int w = 0; w < st->nwin; w++)
        if (st->windows[w].start == 0 && st->windows[w].end == 0)
            w00 = w;
    for (int i = 0; i < st->nfirms && !e; i++) {
        const study_db_firm *f = &st->firms[i];
        if (strcmp(f->status, "ok") != 0 || isnan(f->ar_day0) || isnan(f->day0_return)) {
            info->n_left_out++;
            continue;
        }
        fact_stock s = {0};
        snprintf(s.ticker, sizeof s.ticker, "%s", f->ticker);
        sector_name(s.sector, sizeof s.sector, f->sector);
        s.ret0 = 100 * f->day0_return;
        s.ar0 = 100 * f->ar_day0;
        /* day 0's t: the [0,0] CAR's when that window is stored, else AR over
         * the estimation residual SD (MacKinlay 1997, eq. 8 without the
         * prediction-error term) */
        if (w00 >= 0 && !isnan(f->car_t[w00]))
            s.t0 = f->car_t[w00];
        else
            s.t0 = f->sigma > 0 ? f->ar_day0 / f->sigma : 0;
        s.mv_bn = isnan(f->mv_change_bn) ? 0 : f->mv_change_bn;
        s.n_est = f->n_est;
        for (int w = 0; w < st->nwin && s.n_win < FACT_MAX_WIN; w++) {
            if (w == w00 || isnan(f->car[w]) || isnan(f->car_t[w]))
                continue;
            s.win[s.n_win++] = (fact_window){st->windows[w].start, st->windows[w].end,
                                             100 * f->car[w], f->car_t[w]};
        }
        e = factsheet_add_stock(fs, &s);
    }
    /* sector aggregates: equal-weighted mean day-0 AR of the firms kept */
    for (int i = 0; i < fs->n_stocks && !e; i++) {
        if (factsheet_find_sector(fs, fs->stocks[i].sector))
            continue;
        fact_sector sec = {0};
        snprintf(sec.name, sizeof sec.name, "%s", fs->stocks[i].sector);
        double sum = 0;
        for (int j = i; j < fs->n_stocks; j++)
            if (strcmp(fs->stocks[j].sector, sec.name) == 0) {
                sum += fs->stocks[j].ar0;
                sec.n++;
            }
        sec.mean_ar0 = sum / sec.n;
        e = factsheet_add_sector(fs, &sec);
    }
    return e;
}

as_err factsheet_load_event(factsheet *fs, factsheet_db_info *info, PGconn *db,
                            const char *event_date)
{
    memset(fs, 0, sizeof *fs);
    memset(info, 0, sizeof *info);
    int day;
    if (strlen(event_date) != 10 || calendar_parse_date(&day, event_date) != AS_OK)
        return as_fail(AS_ERR_USAGE, "summarize: --event '%s': expected a date YYYY-MM-DD",
                       event_date);
    study_db_study st = {0};
    as_err e = study_db_find(&info->study_id, db, event_date);
    if (e == AS_ERR_NOT_FOUND) {
        study_db_opts o;
        study_db_run run = {0};
        if (!(e = study_opts_from_config(&o, event_date)) &&
            !(e = study_run_db(&run, db, &o))) {
            info->study_id = run.study_id;
            info->ran_study = 1;
        }
        study_db_run_free(&run);
    }
    if (e || (e = study_db_load(&st, db, info->study_id)))
        goto done;
    info->n_firms = st.nfirms;
    snprintf(fs->date, sizeof fs->date, "%s", st.day0_date);
    snprintf(fs->market, sizeof fs->market, "%s", st.market ? st.market : "none");
    if ((e = market_ret0(&fs->market_ret0, db, st.market, st.day0_date)))
        goto done;
    if (isnan(fs->market_ret0) && st.market) {
        e = as_fail(AS_ERR_NOT_FOUND, "summarize: market '%s' has no adjusted close on %s "
                    "or the session before", st.market, st.day0_date);
        goto done;
    }
    if (isnan(fs->market_ret0))
        fs->market_ret0 = 0; /* mean-adjusted study without a market: the sheet says "none" */
    if ((e = headlines_load(fs, &info->stories_scored, db, st.day0_date)) ||
        (e = sheet_build(fs, info, &st)))
        goto done;
    if (!fs->n_stocks) {
        e = as_fail(AS_ERR_NOT_FOUND, "summarize: study %lld of %s has no firm with a day-0 "
                    "result (see `aftershock study --event %s`)", info->study_id, event_date,
                    event_date);
        goto done;
    }
    /* the event in one line: the first story the sheet cites, else a plain
     * statement without numbers (a number here would be one the guard cannot
     * tie to a fact) */
    if (fs->n_heads)
        snprintf(fs->title, sizeof fs->title, "%s", fs->heads[0].text);
    else
        snprintf(fs->title, sizeof fs->title, "Stock moves with no news in the database");
    factsheet_normalize(fs);
done:
    study_db_study_free(&st);
    if (e)
        factsheet_clear(fs);
    return e;
}
