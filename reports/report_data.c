/*
 * report_data.c -- the one place the event workbook reads the database (see
 * report_data.h): universe, prices, the study, the news behind the event,
 * the narrative and the flags that say what is missing.
 *
 * Owns: every allocation hanging off struct report_data.  Not here: any
 * formatting of cells (workbook.c) or delivery (mail.c).
 *
 * Conventions: day 0 is the event date, which must be a session of the
 * market proxy; the calendar is the market proxy's dates (so an exchange
 * holiday is simply not a day); returns are simple returns of adjusted
 * closes (estudy_returns_from_prices); market-value changes use the closes
 * as traded times the latest share count on or before day 0.
 */
#include "reports/report_data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/db.h"
#include "model/factsheet.h"
#include "model/narrator.h"

static void flag_add(struct report_data *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void flag_add(struct report_data *d, const char *fmt, ...)
{
    if (d->nflags == REPORT_MAX_FLAGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) >= 0)
        d->flags[d->nflags++] = s;
    va_end(ap);
}

static as_err model_parse(estudy_model *out, const char *s)
{
    static const struct {
        const char *name;
        estudy_model m;
    } models[] = {{"market", ESTUDY_MODEL_MARKET},
                  {"market-adjusted", ESTUDY_MODEL_MARKET_ADJUSTED},
                  {"mean-adjusted", ESTUDY_MODEL_MEAN_ADJUSTED}};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (strcmp(s, models[i].name) == 0) {
            *out = models[i].m;
            return AS_OK;
        }
    return as_fail(AS_ERR_USAGE, "study.model '%s': the report supports market, "
                                 "market-adjusted or mean-adjusted", s);
}

/* Settings (or the caller's overrides) into the study configuration. */
static as_err config_fill(struct report_data *d, const struct report_opts *o)
{
    estudy_config_default(&d->cfg);
    as_err e = model_parse(&d->cfg.model, o->model ? o->model : config_get("study.model"));
    if (e)
        return e;
    estudy_window est;
    if ((e = estudy_window_parse(&est, "study.estimation",
                                 o->estimation ? o->estimation : config_get("study.estimation"))))
        return e;
    d->cfg.est_start = est.start;
    d->cfg.est_end = est.end;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", o->windows ? o->windows : config_get("study.windows"));
    d->cfg.nwindows = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        if (d->cfg.nwindows == ESTUDY_MAX_WINDOWS - 1)
            return as_fail(AS_ERR_USAGE, "study.windows: at most %d windows",
                           ESTUDY_MAX_WINDOWS - 1);
        if ((e = estudy_window_parse(&d->cfg.windows[d->cfg.nwindows], "study.windows", tok)))
            return e;
        d->cfg.nwindows++;
    }
    if (d->cfg.nwindows == 0)
        return as_fail(AS_ERR_USAGE, "study.windows: no window given");
    return AS_OK;
}

/* Query with text parameters; the caller PQclear()s *r. */
static as_err q(PGconn *db, PGresult **r, const char *sql, int n, const char *const *p)
{
    as_err e = db_query(db, r, sql, n, p);
    return e ? as_fail_context(e, "report") : AS_OK;
}

static double num_or_nan(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NAN;
    char *end;
    double v = strtod(PQgetvalue(r, row, col), &end);
    return *end ? NAN : v;
}

static char *dup_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* The market's calendar around day 0, and the stock universe. */
static as_err universe_load(struct report_data *d, PGconn *db, double **close)
{
    PGresult *r = NULL;
    as_err e;
    /* Enough calendar days for the estimation window (5 sessions a week,
     * plus holidays) and the 10 days after. */
    char back[16], fwd[16] = "20";
    snprintf(back, sizeof back, "%d", (-d->cfg.est_start) * 7 / 5 + 40);
    const char *pm[] = {d->market, d->date, back, fwd};
    if ((e = q(db, &r,
               "SELECT (date - DATE '1970-01-01')::int FROM prices WHERE ticker = $1 "
               "AND date BETWEEN $2::date - $3::int AND $2::date + $4::int "
               "AND adj_close IS NOT NULL ORDER BY date",
               4, pm)))
        return e;
    int ndates = PQntuples(r);
    int32_t day0;
    estudy_date_parse(&day0, d->date, 10);
    int32_t *dates = malloc(((size_t)ndates + 1) * sizeof *dates);
    if (!dates) {
        PQclear(r);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    d->t0 = -1;
    for (int i = 0; i < ndates; i++) {
        dates[i] = (int32_t)strtol(PQgetvalue(r, i, 0), NULL, 10);
        if (dates[i] == day0)
            d->t0 = i;
    }
    PQclear(r);
    if (d->t0 < 0) {
        free(dates);
        return as_fail(AS_ERR_NOT_FOUND,
                       "report: no price of the market proxy '%s' on %s: not a trading day, "
                       "or its prices are not ingested", d->market, d->date);
    }
    /* Keep at most 10 sessions after day 0: later data has no use here. */
    if (ndates > d->t0 + REPORT_PATH_DAYS + 1)
        ndates = d->t0 + REPORT_PATH_DAYS + 1;
    d->days_after = ndates - 1 - d->t0;

    const char *ps[] = {d->date, d->market};
    if ((e = q(db, &r,
               "SELECT s.ticker, coalesce(s.name, ''), coalesce(nullif(s.sector, ''), 'Other'), "
               "  (SELECT so.shares FROM shares_outstanding so WHERE so.ticker = s.ticker "
               "   AND so.as_of <= $1::date ORDER BY so.as_of DESC LIMIT 1), "
               "  EXISTS (SELECT 1 FROM prices p WHERE p.ticker = s.ticker AND p.date = $1::date) "
               "FROM securities s WHERE s.kind = 'stock' AND s.ticker <> $2 ORDER BY s.ticker",
               2, ps))) {
        free(dates);
        return e;
    }
    int n = PQntuples(r);
    d->stocks = calloc((size_t)n + 1, sizeof *d->stocks);
    char missing[512] = "";
    for (int i = 0; d->stocks && i < n; i++) {
        if (PQgetvalue(r, i, 4)[0] != 't') {
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, "%s%s", l ? ", " : "", PQgetvalue(r, i, 0));
            continue;
        }
        struct report_stock *s = &d->stocks[d->nstocks++];
        snprintf(s->ticker, sizeof s->ticker, "%s", PQgetvalue(r, i, 0));
        snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, i, 1));
        snprintf(s->sector, sizeof s->sector, "%s", PQgetvalue(r, i, 2));
        s->shares = num_or_nan(r, i, 3);
        if (isnan(s->shares))
            flag_add(d, "No shares outstanding for %s on or before %s: market-value change blank",
                     s->ticker, d->date);
    }
    PQclear(r);
    if (missing[0])
        flag_add(d, "Left out, no price on %s: %s", d->date, missing);
    if (!d->stocks || d->nstocks == 0) {
        free(dates);
        return d->stocks ? as_fail(AS_ERR_NOT_FOUND, "report: no stock has a price on %s "
                                                     "(securities of kind 'stock')", d->date)
                         : as_fail(AS_ERR_NOMEM, "out of memory");
    }

    /* The panel: one series per stock, the market last. */
    if ((e = estudy_panel_alloc(&d->panel, ndates, d->nstocks + 1, 1))) {
        free(dates);
        return e;
    }
    memcpy(d->panel.dates, dates, (size_t)ndates * sizeof *dates);
    free(dates);
    d->market_series = d->nstocks;
    for (int i = 0; i <= d->nstocks; i++) {
        d->panel.names[i] = strdup(i < d->nstocks ? d->stocks[i].ticker : d->market);
        if (!d->panel.names[i])
            return as_fail(AS_ERR_NOMEM, "out of memory");
        if (i < d->nstocks)
            d->stocks[i].series = i;
    }
    size_t cells = (size_t)ndates * (size_t)(d->nstocks + 1);
    *close = malloc(cells * sizeof **close);
    if (!*close)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < cells; i++)
        (*close)[i] = NAN;
    return AS_OK;
}

/* Adjusted closes into the panel (for returns), traded closes into close. */
static as_err prices_load(struct report_data *d, PGconn *db, double *close)
{
    char from[11], to[11];
    estudy_date_format(from, d->panel.dates[0]);
    estudy_date_format(to, d->panel.dates[d->panel.ndates - 1]);
    const char *p[] = {from, to};
    PGresult *r;
    as_err e = q(db, &r,
                 "SELECT ticker, (date - DATE '1970-01-01')::int, adj_close, close FROM prices "
                 "WHERE date BETWEEN $1::date AND $2::date ORDER BY ticker, date",
                 2, p);
    if (e)
        return e;
    for (int i = 0; i < PQntuples(r); i++) {
        int s = estudy_panel_find(&d->panel, PQgetvalue(r, i, 0));
        int t = s < 0 ? -1
                      : estudy_panel_date_index(&d->panel,
                                                (int32_t)strtol(PQgetvalue(r, i, 1), NULL, 10));
        if (t < 0)
            continue; /* not in the universe, or not a session of the market */
        size_t k = (size_t)s * (size_t)d->panel.ndates + (size_t)t;
        double adj = num_or_nan(r, i, 2);
        d->panel.price[k] = isnan(adj) ? num_or_nan(r, i, 3) : adj;
        close[k] = num_or_nan(r, i, 3);
    }
    PQclear(r);
    return AS_OK;
}

/* Observable windows first, then the hidden path window [-10, +k]. */
static void windows_fit(struct report_data *d)
{
    estudy_config *c = &d->cfg;
    int n = 0;
    for (int w = 0; w < c->nwindows; w++) {
        if (c->windows[w].end > d->days_after) {
            flag_add(d, "Window [%d,%d] not shown: only %d trading day%s of data after day 0",
                     c->windows[w].start, c->windows[w].end, d->days_after,
                     d->days_after == 1 ? "" : "s");
            continue;
        }
        c->windows[n++] = c->windows[w];
    }
    c->nwindows = n;
    d->nwin_shown = n;
    c->windows[c->nwindows++] = (estudy_window){-REPORT_PATH_DAYS, d->days_after};
}

static as_err study_run_all(struct report_data *d)
{
    as_err e = estudy_returns_from_prices(&d->panel, 0);
    if (e)
        return as_fail_context(e, "report");
    /* Sectors in order of first appearance (the universe is sorted). */
    d->sectors = calloc((size_t)d->nstocks + 1, sizeof *d->sectors);
    d->events = calloc((size_t)d->nstocks + 1, sizeof *d->events);
    if (!d->sectors || !d->events)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < d->nstocks; i++) {
        int s = 0;
        while (s < d->nsectors && strcmp(d->sectors[s], d->stocks[i].sector) != 0)
            s++;
        if (s == d->nsectors && !(d->sectors[d->nsectors++] = strdup(d->stocks[i].sector)))
            return as_fail(AS_ERR_NOMEM, "out of memory");
        d->events[i] = (estudy_event){.firm = i, .t0 = d->t0, .sector = s,
                                      .shares = d->stocks[i].shares};
        d->stocks[i].event = i;
    }
    e = estudy_run(&d->res, &d->panel, d->events, d->nstocks, &d->cfg, d->market_series, NULL, 0,
                   (const char *const *)d->sectors, d->nsectors);
    if (e)
        return as_fail_context(e, "report: event study");
    d->market_ret0 = d->panel.ret[(size_t)d->market_series * (size_t)d->panel.ndates + (size_t)d->t0];
    for (int i = 0; i < d->nstocks; i++) {
        d->stocks[i].ret0 = d->panel.ret[(size_t)i * (size_t)d->panel.ndates + (size_t)d->t0];
        if (d->res.firm[i].status != ESTUDY_OK)
            flag_add(d, "%s has no abnormal returns: %s", d->stocks[i].ticker,
                     estudy_status_name(d->res.firm[i].status));
    }
    return AS_OK;
}

/* News behind the event: the events tables when detection has run for this
 * date, else the news published in the 7 days up to day 0's close. */
static as_err stories_load(struct report_data *d, PGconn *db)
{
    PGresult *r;
    const char *p[] = {d->date};
    as_err e = q(db, &r, "SELECT to_regclass('public.v_event_stories') IS NOT NULL", 0, NULL);
    if (e)
        return e;
    int have_events = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (have_events) {
        e = q(db, &r,
              "SELECT to_char(v.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
              "  v.source, v.title, v.url, "
              "  (SELECT max(t.relevance) FROM announcement_tickers t WHERE t.news_id = v.news_id), "
              "  v.novelty, v.score "
              "FROM v_event_stories v WHERE v.event_session = $1::date "
              "ORDER BY v.published_at, v.rank",
              1, p);
        if (e)
            return e;
        d->stories_scored = PQntuples(r) > 0;
        if (!d->stories_scored)
            PQclear(r);
    }
    if (!d->stories_scored) {
        e = q(db, &r,
              "SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), source, "
              "  title, url, NULL, NULL, NULL FROM news "
              "WHERE published_at >= ($1::date - 7)::timestamp AT TIME ZONE 'America/New_York' "
              "  AND published_at < ($1::date + time '16:00') AT TIME ZONE 'America/New_York' "
              "ORDER BY published_at, id",
              1, p);
        if (e)
            return e;
        flag_add(d, "%s", have_events
                              ? "No detected event on this date: Events lists the week's news, unscored"
                              : "Event detection has not run: Events lists the week's news, unscored");
    }
    int n = PQntuples(r);
    d->stories = calloc((size_t)n + 1, sizeof *d->stories);
    for (int i = 0; d->stories && i < n; i++) {
        struct report_story *s = &d->stories[d->nstories++];
        s->published = dup_or_null(r, i, 0);
        s->source = dup_or_null(r, i, 1);
        s->title = dup_or_null(r, i, 2);
        s->url = dup_or_null(r, i, 3);
        s->relevance = num_or_nan(r, i, 4);
        s->novelty = num_or_nan(r, i, 5);
        s->score = num_or_nan(r, i, 6);
    }
    PQclear(r);
    if (!d->stories)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    if (n == 0)
        flag_add(d, "No news in the database for the week up to %s", d->date);
    return AS_OK;
}

int report_biggest_mover(const struct report_data *d)
{
    int best = -1;
    double bv = -1;
    for (int i = 0; i < d->nstocks; i++) {
        double ar = report_ar(d, i, 0);
        if (!isnan(ar) && fabs(ar) > bv) {
            bv = fabs(ar);
            best = i;
        }
    }
    return best;
}

/* The fact sheet of the narrator: percent, t, $bn, as model/factsheet.h
 * defines them.  Sector names lose everything from the first space (the
 * sheet's text form has no spaces in names): "Cloud & software" -> "Cloud". */
static as_err facts_build(factsheet *fs, const struct report_data *d)
{
    memset(fs, 0, sizeof *fs);
    snprintf(fs->date, sizeof fs->date, "%s", d->date);
    snprintf(fs->title, sizeof fs->title, "%.*s", (int)sizeof fs->title - 1, d->title);
    snprintf(fs->market, sizeof fs->market, "%s", d->market);
    fs->market_ret0 = 100 * d->market_ret0;
    for (int i = 0; i < d->nstories && fs->n_heads < FACT_MAX_HEAD; i++) {
        fact_headline *h = &fs->heads[fs->n_heads++];
        snprintf(h->date, sizeof h->date, "%.10s", d->stories[i].published ? d->stories[i].published : "");
        snprintf(h->source, sizeof h->source, "%.*s",
                 (int)strcspn(d->stories[i].source ? d->stories[i].source : "news", " "),
                 d->stories[i].source ? d->stories[i].source : "news");
        snprintf(h->text, sizeof h->text, "%s", d->stories[i].title ? d->stories[i].title : "");
    }
    as_err e = AS_OK;
    for (int s = 0; !e && s < d->nsectors; s++) {
        fact_sector fsec = {0};
        snprintf(fsec.name, sizeof fsec.name, "%.*s", (int)strcspn(d->sectors[s], " "), d->sectors[s]);
        double sum = 0;
        for (int i = 0; i < d->nstocks; i++) {
            double ar = report_ar(d, i, 0);
            if (d->events[i].sector == s && !isnan(ar)) {
                sum += ar;
                fsec.n++;
            }
        }
        if (fsec.n) {
            fsec.mean_ar0 = 100 * sum / fsec.n;
            e = factsheet_add_sector(fs, &fsec);
        }
    }
    for (int i = 0; !e && i < d->nstocks; i++) {
        size_t e0 = (size_t)d->stocks[i].event;
        double ar0 = report_ar(d, i, 0);
        double sd0 = d->res.ar_sd[e0 * (size_t)d->res.span + (size_t)(0 - d->res.span_start)];
        if (isnan(ar0))
            continue;
        fact_stock st = {0};
        snprintf(st.ticker, sizeof st.ticker, "%s", d->stocks[i].ticker);
        snprintf(st.sector, sizeof st.sector, "%.*s", (int)strcspn(d->stocks[i].sector, " "),
                 d->stocks[i].sector);
        st.ret0 = 100 * d->stocks[i].ret0;
        st.ar0 = 100 * ar0;
        st.t0 = sd0 > 0 ? ar0 / sd0 : 0;
        double mv = NAN;
        for (int w = 0; w < d->nwin_shown; w++)
            if (d->cfg.windows[w].start == 0 && d->cfg.windows[w].end == 0)
                mv = d->res.mv_change[report_k(d, i, w)];
        st.mv_bn = isnan(mv) ? 0 : mv;
        st.n_est = d->res.firm[e0].n_est;
        for (int w = 0; w < d->nwin_shown && st.n_win < FACT_MAX_WIN; w++) {
            size_t k = report_k(d, i, w);
            if (isnan(d->res.car[k]))
                continue;
            st.win[st.n_win++] = (fact_window){d->cfg.windows[w].start, d->cfg.windows[w].end,
                                               100 * d->res.car[k], d->res.car_t[k]};
        }
        e = factsheet_add_stock(fs, &st);
    }
    if (!e)
        factsheet_normalize(fs);
    return e;
}

/* Narrator paragraphs for the three largest day-0 moves, seed 1 so the same
 * data always gives the same words. */
static as_err narrative_write(struct report_data *d)
{
    factsheet fs;
    as_err e = facts_build(&fs, d);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        factsheet_clear(&fs);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    int used[3] = {-1, -1, -1};
    for (int round = 0; !e && round < 3 && round < fs.n_stocks; round++) {
        int best = -1;
        for (int i = 0; i < fs.n_stocks; i++) {
            if (i == used[0] || i == used[1])
                continue;
            if (best < 0 || fabs(fs.stocks[i].ar0) > fabs(fs.stocks[best].ar0))
                best = i;
        }
        used[round] = best;
        char *para = NULL;
        e = narrator_write(&para, &fs, best, 1);
        if (!e)
            fprintf(m, "%s%s", round ? "\n\n" : "", para);
        free(para);
    }
    fclose(m);
    factsheet_clear(&fs);
    if (e) {
        free(text);
        return as_fail_context(e, "report: narrator");
    }
    d->narrative = text;
    d->narrative_fallback = 1;
    flag_add(d, "Summary text is the narrator's fallback (no model summary is stored for this date)");
    return AS_OK;
}

static as_err method_facts(struct report_data *d, PGconn *db)
{
    PGresult *r;
    as_err e;
    /* Build the ticker array literal from the panel's names. */
    char *arr = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&arr, &len);
    if (!m)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    fputc('{', m);
    for (int i = 0; i < d->panel.nseries; i++)
        fprintf(m, "%s\"%s\"", i ? "," : "", d->panel.names[i]);
    fputc('}', m);
    fclose(m);
    const char *p[] = {arr};
    e = q(db, &r,
          "SELECT coalesce(string_agg(DISTINCT source, ', '), 'none'), "
          "  current_setting('server_version') FROM prices WHERE ticker = ANY($1::text[])",
          1, p);
    free(arr);
    if (e)
        return e;
    d->sources = strdup(PQgetvalue(r, 0, 0));
    snprintf(d->server_version, sizeof d->server_version, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(d->generated_utc, sizeof d->generated_utc, "%Y-%m-%d %H:%M:%S", &tm);
    return d->sources ? AS_OK : as_fail(AS_ERR_NOMEM, "out of memory");
}

as_err report_data_load(struct report_data *out, PGconn *db, const struct report_opts *o)
{
    struct report_data *d = out;
    memset(d, 0, sizeof *d);
    double *close = NULL;
    int32_t day;
    as_err e;
    if (!o->date || strlen(o->date) != 10 || estudy_date_parse(&day, o->date, 10) != AS_OK) {
        e = as_fail(AS_ERR_USAGE, "report: --event '%s': expected a date YYYY-MM-DD",
                    o->date ? o->date : "");
        goto done;
    }
    snprintf(d->date, sizeof d->date, "%s", o->date);
    snprintf(d->market, sizeof d->market, "%s", o->market ? o->market : config_get("study.market"));
    d->command_line = o->command_line;
    d->version = o->version;
    if ((e = config_fill(d, o)) || (e = universe_load(d, db, &close)) ||
        (e = prices_load(d, db, close)))
        goto done;
    windows_fit(d);
    if ((e = study_run_all(d)))
        goto done;
    /* Market-value changes are about traded prices: the engine read them
     * from panel.price, so swap the traded closes in and recompute them
     * from the returns it already has. */
    for (int i = 0; i < d->nstocks; i++) {
        size_t b = (size_t)i * (size_t)d->panel.ndates;
        d->stocks[i].close0 = close[b + (size_t)d->t0];
        d->stocks[i].close_prev = d->t0 > 0 ? close[b + (size_t)d->t0 - 1] : NAN;
        for (int w = 0; w < d->res.nwin; w++) {
            size_t k = report_k(d, i, w);
            int ta = d->t0 + d->res.windows[w].start - 1, tb = d->t0 + d->res.windows[w].end;
            d->res.mv_change[k] = NAN;
            if (!isnan(d->stocks[i].shares) && ta >= 0 && tb < d->panel.ndates &&
                !isnan(close[b + (size_t)ta]) && !isnan(close[b + (size_t)tb]))
                d->res.mv_change[k] = d->stocks[i].shares * (close[b + (size_t)tb] - close[b + (size_t)ta]) / 1e9;
        }
    }
    if ((e = stories_load(d, db)))
        goto done;
    int big = report_biggest_mover(d);
    if (d->stories_scored && d->nstories)
        snprintf(d->title, sizeof d->title, "%s: %s", d->date, d->stories[0].title);
    else if (big >= 0)
        snprintf(d->title, sizeof d->title, "%s: %s %+.2f%% (abnormal %+.2f%%), %s %+.2f%%",
                 d->date, d->stocks[big].ticker, 100 * d->stocks[big].ret0,
                 100 * report_ar(d, big, 0),
                 d->market, 100 * d->market_ret0);
    else
        snprintf(d->title, sizeof d->title, "%s: %s %+.2f%%", d->date, d->market,
                 100 * d->market_ret0);
    if ((e = narrative_write(d)) || (e = method_facts(d, db)))
        goto done;
done:
    free(close);
    if (e)
        report_data_free(d);
    return e;
}

void report_data_free(struct report_data *d)
{
    estudy_result_free(&d->res);
    estudy_panel_free(&d->panel);
    free(d->events);
    free(d->stocks);
    if (d->sectors)
        for (int s = 0; s < d->nsectors; s++)
            free(d->sectors[s]);
    free(d->sectors);
    for (int i = 0; d->stories && i < d->nstories; i++) {
        free(d->stories[i].published);
        free(d->stories[i].source);
        free(d->stories[i].title);
        free(d->stories[i].url);
    }
    free(d->stories);
    free(d->narrative);
    for (int i = 0; i < d->nflags; i++)
        free(d->flags[i]);
    free(d->sources);
    memset(d, 0, sizeof *d);
}
