/*
 * report_data.c -- the one place the event workbook reads the database (see
 * report_data.h): the stored study, the returns it used, the news behind
 * the event, the stored summaries and the flags that say what is missing.
 *
 * Owns: every allocation hanging off struct report_data.  Not here: any
 * statistic (analytics/study_db.c computed and stored them), formatting of
 * cells (report_workbook.c) or delivery (mail.c).
 *
 * Conventions: stocks are the stored study's firms in the same (ticker)
 * order, so stocks[i] is st.firms[i]; the narrative is the stored summaries
 * of the three largest day-0 moves, in that order.
 */
#include "reports/report_data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/calendar.h"
#include "common/config.h"
#include "common/db.h"

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


static as_err stories_load(struct report_data *d, PGconn *db);
static as_err method_facts(struct report_data *d, PGconn *db);

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int report_window(const struct report_data *d, int a, int b)
{
    for (int w = 0; w < d->st.nwin; w++)
        if (d->st.windows[w].start == a && d->st.windows[w].end == b)
            return w;
    return -1;
}

/* The study's settings the loader does not carry, the stocks' names,
 * closes and share counts, and the sectors. */
static as_err stocks_load(struct report_data *d, PGconn *db)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", d->st.id);
    const char *p[] = {sid};
    PGresult *r;
    as_err e = q(db, &r,
                 "SELECT est_start, est_end, min_est_obs, return_type FROM studies "
                 "WHERE id = $1::bigint",
                 1, p);
    if (e)
        return e;
    d->est_start = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    d->est_end = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
    d->min_est_obs = (int)strtol(PQgetvalue(r, 0, 2), NULL, 10);
    snprintf(d->return_type, sizeof d->return_type, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    if ((e = q(db, &r,
               "SELECT f.ticker, coalesce(s.name, ''), f.ar_day0_sd, f.close_before, "
               "  f.close_day0, f.shares FROM study_firms f "
               "LEFT JOIN securities s ON s.ticker = f.ticker "
               "WHERE f.study_id = $1::bigint ORDER BY f.ticker COLLATE \"C\"",
               1, p)))
        return e;
    int n = PQntuples(r);
    d->stocks = calloc((size_t)n + 1, sizeof *d->stocks);
    d->sectors = calloc((size_t)n + 1, sizeof *d->sectors);
    if (!d->stocks || !d->sectors) {
        PQclear(r);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    if (n != d->st.nfirms) {
        PQclear(r);
        return as_fail(AS_ERR_DB, "report: study %s: %d firm rows, %d loaded", sid, n,
                       d->st.nfirms);
    }
    char missing[512] = "";
    for (int i = 0; i < n; i++) {
        const study_db_firm *f = &d->st.firms[i];
        struct report_stock *s = &d->stocks[i];
        snprintf(s->ticker, sizeof s->ticker, "%s", f->ticker);
        snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, i, 1));
        snprintf(s->sector, sizeof s->sector, "%s", f->sector && f->sector[0] ? f->sector : "Other");
        s->ar0_sd = num_or_nan(r, i, 2);
        s->close_prev = num_or_nan(r, i, 3);
        s->close0 = num_or_nan(r, i, 4);
        s->shares = num_or_nan(r, i, 5);
        s->ret0 = f->day0_return;
        s->series = -1;
        int k = 0;
        while (k < d->nsectors && strcmp(d->sectors[k], s->sector) != 0)
            k++;
        if (k == d->nsectors && !(d->sectors[d->nsectors++] = strdup(s->sector))) {
            PQclear(r);
            return as_fail(AS_ERR_NOMEM, "out of memory");
        }
        s->sector_idx = k;
        if (isnan(s->shares))
            flag_add(d, "No shares outstanding for %s on or before %s: market-value change blank",
                     s->ticker, d->date);
        if (strcmp(f->status, "ok") != 0) {
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, "%s%s (%s)", l ? ", " : "", f->ticker,
                     f->status);
        }
    }
    d->nstocks = n;
    PQclear(r);
    if (missing[0])
        flag_add(d, "No abnormal returns: %s", missing);
    return AS_OK;
}

/* study_returns into the (series, date) tables: firms, then the market. */
static as_err returns_load(struct report_data *d, PGconn *db)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", d->st.id);
    const char *p[] = {sid};
    PGresult *r;
    as_err e = q(db, &r,
                 "SELECT (date - DATE '1970-01-01')::int, min(day) FROM study_returns "
                 "WHERE study_id = $1::bigint GROUP BY date ORDER BY date",
                 1, p);
    if (e)
        return e;
    d->ndates = PQntuples(r);
    d->nseries = d->nstocks + 1;
    d->market_series = d->nstocks;
    size_t cells = (size_t)d->ndates * (size_t)d->nseries;
    d->dates = malloc(((size_t)d->ndates + 1) * sizeof *d->dates);
    d->days = malloc(((size_t)d->ndates + 1) * sizeof *d->days);
    d->ret = malloc((cells + 1) * sizeof *d->ret);
    d->adj = malloc((cells + 1) * sizeof *d->adj);
    d->series = calloc((size_t)d->nseries, sizeof *d->series);
    if (!d->dates || !d->days || !d->ret || !d->adj || !d->series) {
        PQclear(r);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    for (int t = 0; t < d->ndates; t++) {
        d->dates[t] = (int32_t)strtol(PQgetvalue(r, t, 0), NULL, 10);
        d->days[t] = (int)strtol(PQgetvalue(r, t, 1), NULL, 10);
    }
    PQclear(r);
    for (size_t k = 0; k < cells; k++)
        d->ret[k] = d->adj[k] = NAN;
    for (int i = 0; i < d->nseries; i++) {
        d->series[i] = strdup(i < d->nstocks ? d->stocks[i].ticker : d->market);
        if (!d->series[i])
            return as_fail(AS_ERR_NOMEM, "out of memory");
        if (i < d->nstocks)
            d->stocks[i].series = i;
    }
    if ((e = q(db, &r,
               "SELECT ticker, role, (date - DATE '1970-01-01')::int, adj_close, ret "
               "FROM study_returns WHERE study_id = $1::bigint ORDER BY date",
               1, p)))
        return e;
    /* The firms' tickers are in C order (study_db_load), so bsearch works
     * on the series names of the firms. */
    for (int k = 0, t = 0; k < PQntuples(r); k++) {
        int32_t day = (int32_t)strtol(PQgetvalue(r, k, 2), NULL, 10);
        while (t < d->ndates && d->dates[t] < day)
            t++;
        if (t == d->ndates)
            break;
        int s;
        if (strcmp(PQgetvalue(r, k, 1), "market") == 0) {
            s = d->market_series;
        } else {
            const char *key = PQgetvalue(r, k, 0);
            char **hit = bsearch(&key, d->series, (size_t)d->nstocks, sizeof *d->series, str_cmp);
            if (!hit)
                continue;
            s = (int)(hit - d->series);
        }
        size_t x = (size_t)s * (size_t)d->ndates + (size_t)t;
        d->adj[x] = num_or_nan(r, k, 3);
        d->ret[x] = num_or_nan(r, k, 4);
        if (s == d->market_series && d->days[t] == 0)
            d->market_ret0 = d->ret[x];
    }
    PQclear(r);
    return AS_OK;
}

/* Average residual correlation per group, for the Groups sheet. */
static as_err groups_load(struct report_data *d, PGconn *db)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", d->st.id);
    const char *p[] = {sid};
    PGresult *r;
    as_err e = q(db, &r,
                 "SELECT grp, max(kp_rbar) FROM study_tests WHERE study_id = $1::bigint "
                 "GROUP BY grp ORDER BY grp <> 'all', grp COLLATE \"C\"",
                 1, p);
    if (e)
        return e;
    int n = PQntuples(r);
    d->groups = calloc((size_t)n + 1, sizeof *d->groups);
    for (int i = 0; d->groups && i < n; i++) {
        d->groups[i].name = dup_or_null(r, i, 0);
        d->groups[i].rbar = num_or_nan(r, i, 1);
        d->ngroups++;
        if (!d->groups[i].name)
            break;
    }
    PQclear(r);
    if (!d->groups || (n && !d->groups[d->ngroups - 1].name))
        return as_fail(AS_ERR_NOMEM, "out of memory");
    return AS_OK;
}

/* The stored summaries of the latest model that wrote any for this date:
 * the paragraphs of the three largest day-0 moves. */
static as_err narrative_load(struct report_data *d, PGconn *db)
{
    const char *p[] = {d->date};
    PGresult *r;
    as_err e = q(db, &r,
                 "SELECT ticker, summary, fallback, model FROM summaries "
                 "WHERE event_date = $1::date AND model = (SELECT model FROM summaries "
                 "  WHERE event_date = $1::date ORDER BY created_at DESC, model LIMIT 1)",
                 1, p);
    if (e)
        return e;
    int n = PQntuples(r);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        PQclear(r);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    /* |day-0 AR| of each summarized stock; the three largest are told. */
    double *mag = malloc(((size_t)n + 1) * sizeof *mag);
    if (!mag) {
        fclose(m);
        free(text);
        PQclear(r);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        int i = 0;
        while (i < d->nstocks && strcmp(d->stocks[i].ticker, PQgetvalue(r, k, 0)) != 0)
            i++;
        mag[k] = i < d->nstocks ? fabs(report_ar(d, i, 0)) : NAN;
    }
    int nused = 0, fallback = 0;
    for (; nused < 3; nused++) {
        int best = -1;
        for (int k = 0; k < n; k++)
            if (isfinite(mag[k]) && (best < 0 || mag[k] > mag[best]))
                best = k;
        if (best < 0)
            break;
        mag[best] = NAN;
        fprintf(m, "%s%s", nused ? "\n\n" : "", PQgetvalue(r, best, 1));
        fallback |= PQgetvalue(r, best, 2)[0] == 't';
    }
    free(mag);
    fclose(m);
    if (n)
        snprintf(d->summary_model, sizeof d->summary_model, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    if (!text)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    d->narrative = text;
    if (nused == 0) {
        flag_add(d, "No summary is stored for %s (run `aftershock summarize --event %s`)",
                 d->date, d->date);
    } else if (strcmp(d->summary_model, "narrator") == 0) {
        d->narrative_fallback = 1;
        flag_add(d, "Summary text is the narrator's fallback: no summary model file was "
                    "present when the summaries were written");
    } else if (fallback) {
        d->narrative_fallback = 1;
        flag_add(d, "Summary text is partly the narrator's fallback: model '%s' failed the "
                    "guard twice for some stocks", d->summary_model);
    }
    return AS_OK;
}

/* Flag each configured window (study.windows) the stored study lacks: the
 * nightly run leaves out those that end after the last session with data. */
static void windows_flag(struct report_data *d)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", config_get("study.windows"));
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        estudy_window w;
        if (estudy_window_parse(&w, "study.windows", tok) != AS_OK) {
            as_clear_error();
            continue; /* the study step reports a bad setting */
        }
        if (report_window(d, w.start, w.end) < 0)
            flag_add(d, "Window [%d,%d] is not in the stored study: no data that far after "
                        "day 0 yet, or the study ran with other windows", w.start, w.end);
    }
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

int report_top_story(const struct report_data *d)
{
    if (!d->stories_scored)
        return -1;
    int best = -1;
    for (int i = 0; i < d->nstories; i++) {
        /* The highest score; among equal scores the story most relevant to a
         * stock (it names one), then the earliest: the stories are in
         * publication order and only a strictly better one replaces it.
         * model/factsheet_db.c orders the fact sheet's headlines the same way. */
        const struct report_story *s = &d->stories[i], *b = best < 0 ? NULL : &d->stories[best];
        if (isnan(s->score))
            continue;
        double rel = isnan(s->relevance) ? -1 : s->relevance;
        if (!b || s->score > b->score ||
            (s->score == b->score && rel > (isnan(b->relevance) ? -1 : b->relevance)))
            best = i;
    }
    return best;
}

/* News behind the event: the events tables when detection has run for this
 * date, else the news published in the 7 days up to day 0's close. */
static as_err stories_load(struct report_data *d, PGconn *db)
{
    PGresult *r;
    const char *p[] = {d->date};
    char close[6]; /* 16:00, or 13:00 on an early-close day */
    calendar_close_text(close, d->date);
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
              "  AND published_at < ($1::date + $2::time) AT TIME ZONE 'America/New_York' "
              "ORDER BY published_at, id",
              2, (const char *[]){d->date, close});
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
    for (int i = 0; i < d->nseries; i++)
        fprintf(m, "%s\"%s\"", i ? "," : "", d->series[i]);
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
    long long id;
    as_err e;
    int day;
    if (!o->date || strlen(o->date) != 10 || calendar_parse_date(&day, o->date) != AS_OK) {
        e = as_fail(AS_ERR_USAGE, "report: --event '%s': expected a date YYYY-MM-DD",
                    o->date ? o->date : "");
        goto done;
    }
    snprintf(d->date, sizeof d->date, "%s", o->date);
    d->command_line = o->command_line;
    d->version = o->version;
    if ((e = study_db_find(&id, db, d->date))) {
        if (e == AS_ERR_NOT_FOUND)
            as_fail(e, "report %s: no study is stored for this date: run `aftershock study "
                       "--event %s` (or `aftershock nightly --date %s`) first",
                    d->date, d->date, d->date);
        goto done;
    }
    if ((e = study_db_load(&d->st, db, id)))
        goto done;
    if (strcmp(d->st.day0_date, d->date) != 0) {
        e = as_fail(AS_ERR_NOT_FOUND, "report %s: not a trading day (the stored study's day 0 "
                                      "is %s); report on %s", d->date, d->st.day0_date,
                    d->st.day0_date);
        goto done;
    }
    snprintf(d->market, sizeof d->market, "%s", d->st.market ? d->st.market : "none");
    d->market_ret0 = NAN;
    d->path_lo = d->st.path_start > -REPORT_PATH_DAYS ? d->st.path_start : -REPORT_PATH_DAYS;
    d->path_hi = d->st.path_start + d->st.path_len - 1;
    if (d->path_hi > REPORT_PATH_DAYS)
        d->path_hi = REPORT_PATH_DAYS;
    if ((e = stocks_load(d, db)) || (e = returns_load(d, db)) || (e = groups_load(d, db)) ||
        (e = stories_load(d, db)))
        goto done;
    windows_flag(d);
    int big = report_biggest_mover(d);
    int top = report_top_story(d);
    if (top >= 0)
        snprintf(d->title, sizeof d->title, "%s: %s", d->date, d->stories[top].title);
    else if (big >= 0)
        snprintf(d->title, sizeof d->title, "%s: %s %+.2f%% (abnormal %+.2f%%), %s %+.2f%%",
                 d->date, d->stocks[big].ticker, 100 * d->stocks[big].ret0,
                 100 * report_ar(d, big, 0), d->market, 100 * d->market_ret0);
    else
        snprintf(d->title, sizeof d->title, "%s: %s %+.2f%%", d->date, d->market,
                 100 * d->market_ret0);
    if ((e = narrative_load(d, db)) || (e = method_facts(d, db)))
        goto done;
done:
    if (e)
        report_data_free(d);
    return e;
}

void report_data_free(struct report_data *d)
{
    study_db_study_free(&d->st);
    free(d->stocks);
    for (int s = 0; d->sectors && s < d->nsectors; s++)
        free(d->sectors[s]);
    free(d->sectors);
    for (int g = 0; d->groups && g < d->ngroups; g++)
        free(d->groups[g].name);
    free(d->groups);
    free(d->dates);
    free(d->days);
    free(d->ret);
    free(d->adj);
    for (int i = 0; d->series && i < d->nseries; i++)
        free(d->series[i]);
    free(d->series);
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
