/*
 * events_db.c -- the database side of events detection: reads the trading
 * calendar and the news, runs scoring and clustering, and stores
 * announcements, events and the calendar (sql/020_events.sql).
 *
 * Owns the SQL of those tables and the transaction.  It is not the scorer,
 * the clusterer or the printer.  Invariants:
 *   - everything happens in one transaction under an advisory lock, so a
 *     failure or a concurrent run leaves the tables as they were;
 *   - results go to temporary tables first and are merged: a row is deleted
 *     only when no identical row was computed, and inserted only when absent,
 *     so re-running on unchanged news rewrites nothing (same xmin);
 *   - event ids are the news id of the first story, hence stable.
 */
#include "analytics/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/calendar.h"
#include "common/db.h"

#define EVENTS_LOCK_KEY 0x6576656e7473LL /* "events" */

/* The news read for one run; items borrow their strings from res. */
typedef struct news_rows {
    PGresult *res;
    news_item *items; /* (n) */
    size_t n;
} news_rows;

static as_err calendar_read(trading_calendar *cal, PGconn *conn, const char *market)
{
    PGresult *r = NULL;
    const char *params[] = {market};
    as_err err = db_query(conn, &r,
                          "SELECT date - DATE '1970-01-01' FROM prices WHERE ticker = $1 "
                          "ORDER BY date",
                          1, params);
    if (err)
        return err;
    int n = PQntuples(r);
    int *days = malloc((size_t)(n ? n : 1) * sizeof *days);
    if (!days) {
        err = as_fail(AS_ERR_NOMEM, "events: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        days[i] = (int)strtol(PQgetvalue(r, i, 0), NULL, 10); /* integer from the server */
    if (n == 0)
        err = as_fail(AS_ERR_NOT_FOUND,
                      "no prices for market ticker '%s': the trading calendar is the set of its "
                      "price dates (ingest its prices first, or choose --market)",
                      market);
    else
        err = calendar_from_days(cal, days, (size_t)n);
done:
    free(days);
    PQclear(r);
    return err;
}

/* Widen [from, to] (UTC dates, either NULL = open) to instants that cover
 * every stored event the range touches and every event those could have
 * joined, so that an incremental run re-clusters whole events and reaches
 * the same result as a run over all news.  Fixpoint: take in any event whose
 * latest story is within the join window before the lower bound, or whose
 * first story is within the window after the upper bound, until nothing
 * changes.  *lo and *hi (heap strings or NULL) are the caller's to free. */
static as_err range_widen(char **lo, char **hi, PGconn *conn, const events_options *o)
{
    static const char *const lo_sql =
        "SELECT least($1::timestamptz, min(first_published_at)) FROM events "
        "WHERE last_published_at >= $1::timestamptz - make_interval(secs => $2::float8)";
    static const char *const hi_sql =
        "SELECT greatest($1::timestamptz, max(last_published_at) + interval '1 second') "
        "FROM events WHERE first_published_at < $1::timestamptz + make_interval(secs => $2::float8)";
    char window[40];
    snprintf(window, sizeof window, "%.17g", o->cluster.window_hours * 3600.0);
    as_err err = AS_OK;
    *lo = *hi = NULL;
    for (int side = 0; side < 2 && !err; side++) {
        const char *date = side ? o->to : o->from;
        char **bound = side ? hi : lo;
        if (!date)
            continue;
        char start[64];
        /* lower bound inclusive at 00:00 UTC, upper bound exclusive the day after */
        snprintf(start, sizeof start, "%s 00:00:00+00", date);
        if (side) {
            int day;
            if ((err = calendar_parse_date(&day, date)))
                break;
            char next[11];
            calendar_format_date(next, day + 1);
            snprintf(start, sizeof start, "%s 00:00:00+00", next);
        }
        if (!(*bound = strdup(start))) {
            err = as_fail(AS_ERR_NOMEM, "events: out of memory");
            break;
        }
        for (;;) {
            PGresult *r = NULL;
            const char *params[] = {*bound, window};
            if ((err = db_query(conn, &r, side ? hi_sql : lo_sql, 2, params)))
                break;
            int same = strcmp(PQgetvalue(r, 0, 0), *bound) == 0;
            char *next = same ? NULL : strdup(PQgetvalue(r, 0, 0));
            PQclear(r);
            if (same)
                break;
            if (!next) {
                err = as_fail(AS_ERR_NOMEM, "events: out of memory");
                break;
            }
            free(*bound);
            *bound = next;
        }
    }
    return err;
}

/* News published in [lo, hi) (instants as text; NULL = open). */
static as_err news_read(news_rows *out, PGconn *conn, const char *lo, const char *hi)
{
    const char *params[] = {lo, hi};
    as_err err = db_query(
        conn, &out->res,
        "SELECT id, title, summary, source, url, floor(extract(epoch FROM published_at))::bigint, "
        "language FROM news "
        "WHERE ($1::timestamptz IS NULL OR published_at >= $1::timestamptz) "
        "AND ($2::timestamptz IS NULL OR published_at < $2::timestamptz) "
        "ORDER BY published_at, id",
        2, params);
    if (err)
        return err;
    PGresult *r = out->res;
    out->n = (size_t)PQntuples(r);
    out->items = calloc(out->n ? out->n : 1, sizeof *out->items);
    if (!out->items)
        return as_fail(AS_ERR_NOMEM, "events: out of memory");
    for (size_t i = 0; i < out->n; i++) {
        int row = (int)i;
        news_item *it = &out->items[i];
        it->id = strtoll(PQgetvalue(r, row, 0), NULL, 10); /* bigint from the server */
        it->title = PQgetvalue(r, row, 1);
        it->summary = PQgetisnull(r, row, 2) ? NULL : PQgetvalue(r, row, 2);
        it->source = PQgetvalue(r, row, 3);
        it->url = PQgetvalue(r, row, 4);
        it->published_at = (time_t)strtoll(PQgetvalue(r, row, 5), NULL, 10);
        it->language = PQgetisnull(r, row, 6) ? NULL : PQgetvalue(r, row, 6);
    }
    return AS_OK;
}

/* ---- COPY text fields ---------------------------------------------------- */

static as_err field_ll(struct db_copybuf *b, long long v, int last)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    return db_copybuf_field(b, s, last);
}

/* %.17g round-trips a double exactly, which the merge's equality needs. */
static as_err field_double(struct db_copybuf *b, double v, int last)
{
    char s[40];
    snprintf(s, sizeof s, "%.17g", v);
    return db_copybuf_field(b, s, last);
}

static as_err field_time(struct db_copybuf *b, time_t t, int last)
{
    struct tm tm;
    char s[40];
    gmtime_r(&t, &tm);
    strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S+00", &tm);
    return db_copybuf_field(b, s, last);
}

static as_err field_day(struct db_copybuf *b, int day, int last)
{
    char s[11];
    if (day == CLUSTER_NO_SESSION)
        return db_copybuf_field(b, NULL, last);
    calendar_format_date(s, day);
    return db_copybuf_field(b, s, last);
}

/* A text[] literal {"a","b"}, each element quoted with " and \ escaped. */
static as_err field_array(struct db_copybuf *b, char *const *elems, size_t n, int last)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return as_fail(AS_ERR_NOMEM, "events: out of memory");
    fputc('{', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\"" : "\"", f);
        for (const char *p = elems[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                fputc('\\', f);
            fputc(*p, f);
        }
        fputc('"', f);
    }
    fputc('}', f);
    as_err err = fclose(f) == 0 ? db_copybuf_field(b, s, last)
                                : as_fail(AS_ERR_NOMEM, "events: out of memory");
    free(s);
    return err;
}

static as_err copy_into(PGconn *conn, const char *table, struct db_copybuf *b)
{
    char sql[128];
    snprintf(sql, sizeof sql, "COPY %s FROM STDIN", table);
    as_err err = db_copy_begin(conn, sql);
    if (!err)
        err = db_copybuf_flush(conn, b);
    if (!err)
        return db_copy_end(conn, NULL);
    db_copy_end(conn, "events: copy failed");
    return err;
}

/* ---- rows of each table -------------------------------------------------- */

static as_err rows_scope(struct db_copybuf *b, const news_rows *nr)
{
    as_err err = AS_OK;
    for (size_t i = 0; !err && i < nr->n; i++)
        err = field_ll(b, nr->items[i].id, 1);
    return err;
}

static as_err rows_calendar(struct db_copybuf *b, const trading_calendar *cal)
{
    as_err err = AS_OK;
    for (size_t i = 0; !err && i < cal->n; i++)
        err = field_day(b, cal->days[i], 1);
    return err;
}

static as_err rows_exposure(struct db_copybuf *b, const lexicon *lex)
{
    as_err err = AS_OK;
    for (size_t i = 0; !err && i < lex->n_exposure; i++) {
        err = db_copybuf_field(b, lex->exposure[i].ticker, 0);
        if (!err)
            err = field_ll(b, lex->exposure[i].direction, 0);
        if (!err)
            err = db_copybuf_field(b, lex->exposure[i].reason, 1);
    }
    return err;
}

static int string_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entity names (lexicon order) and sorted distinct tickers of ev. */
static as_err event_terms(char ***names, size_t *n_names, char ***tickers, size_t *n_tickers,
                          const news_event *ev, const announce_result *res, const lexicon *lex)
{
    size_t cap = 0;
    for (size_t k = 0; k < ev->n_stories; k++)
        cap += res[ev->stories[k]].n_tickers;
    *names = malloc((lex->n_entities ? lex->n_entities : 1) * sizeof **names);
    *tickers = malloc((cap ? cap : 1) * sizeof **tickers);
    *n_names = *n_tickers = 0;
    if (!*names || !*tickers)
        return as_fail(AS_ERR_NOMEM, "events: out of memory");
    for (size_t e = 0; e < lex->n_entities; e++) {
        int named = 0;
        for (size_t k = 0; k < ev->n_stories && !named; k++) {
            const announce_result *r = &res[ev->stories[k]];
            for (size_t j = 0; j < r->n_entities && !named; j++)
                named = r->entities[j] == e;
        }
        if (named)
            (*names)[(*n_names)++] = lex->entities[e].name;
    }
    for (size_t k = 0; k < ev->n_stories; k++) {
        const announce_result *r = &res[ev->stories[k]];
        for (size_t j = 0; j < r->n_tickers; j++)
            (*tickers)[(*n_tickers)++] = r->tickers[j].ticker;
    }
    qsort(*tickers, *n_tickers, sizeof **tickers, string_compare);
    size_t u = 0;
    for (size_t i = 0; i < *n_tickers; i++)
        if (u == 0 || strcmp((*tickers)[i], (*tickers)[u - 1]) != 0)
            (*tickers)[u++] = (*tickers)[i];
    *n_tickers = u;
    return AS_OK;
}

static as_err rows_events(struct db_copybuf *ev_b, struct db_copybuf *st_b, const news_rows *nr,
                          const announce_result *res, const news_event *ev, size_t n_ev,
                          const lexicon *lex)
{
    as_err err = AS_OK;
    for (size_t e = 0; !err && e < n_ev; e++) {
        const news_event *x = &ev[e];
        const news_item *seed = &nr->items[x->stories[0]];
        char **names = NULL, **tickers = NULL;
        size_t n_names, n_tickers;
        err = event_terms(&names, &n_names, &tickers, &n_tickers, x, res, lex);
        if (!err)
            err = field_ll(ev_b, seed->id, 0);
        if (!err)
            err = field_day(ev_b, x->session_day, 0);
        if (!err)
            err = field_time(ev_b, x->first_published, 0);
        if (!err)
            err = field_time(ev_b, x->last_published, 0);
        if (!err)
            err = db_copybuf_field(ev_b, seed->title, 0);
        if (!err)
            err = field_double(ev_b, x->score, 0);
        if (!err)
            err = field_ll(ev_b, (long long)x->n_stories, 0);
        if (!err)
            err = field_array(ev_b, names, n_names, 0);
        if (!err)
            err = field_array(ev_b, tickers, n_tickers, 0);
        if (!err)
            err = field_ll(ev_b, -1, 1); /* clustered items are announcements */
        free(names);
        free(tickers);
        for (size_t k = 0; !err && k < x->n_stories; k++) {
            err = field_ll(st_b, nr->items[x->stories[k]].id, 0);
            if (!err)
                err = field_ll(st_b, seed->id, 0);
            if (!err)
                err = field_ll(st_b, (long long)k, 1);
        }
    }
    return err;
}

static as_err rows_announcements(struct db_copybuf *an_b, struct db_copybuf *tk_b,
                                 const news_rows *nr, const announce_result *res,
                                 const double *novelty, const trading_calendar *cal)
{
    as_err err = AS_OK;
    for (size_t i = 0; !err && i < nr->n; i++) {
        const announce_result *r = &res[i];
        long long id = nr->items[i].id;
        int day;
        if (calendar_session_for(&day, cal, nr->items[i].published_at) != AS_OK)
            day = CLUSTER_NO_SESSION;
        err = field_ll(an_b, id, 0);
        if (!err)
            err = field_double(an_b, r->score, 0);
        if (!err)
            err = db_copybuf_field(an_b, r->is_announcement ? "t" : "f", 0);
        if (!err)
            err = field_ll(an_b, r->direction, 0);
        if (!err)
            err = novelty[i] < 0 ? db_copybuf_field(an_b, NULL, 0)
                                 : field_double(an_b, novelty[i], 0);
        if (!err)
            err = field_day(an_b, day, 0);
        if (!err)
            err = field_array(an_b, r->terms, r->n_terms, 1);
        for (size_t j = 0; !err && j < r->n_tickers; j++) {
            err = field_ll(tk_b, id, 0);
            if (!err)
                err = db_copybuf_field(tk_b, r->tickers[j].ticker, 0);
            if (!err)
                err = field_ll(tk_b, r->tickers[j].relevance, 0);
            if (!err)
                err = field_ll(tk_b, r->tickers[j].direction, 1);
        }
    }
    return err;
}

/* ---- merge ---------------------------------------------------------------- */

static as_err sql_count(long *changed, PGconn *conn, const char *sql)
{
    PGresult *r = NULL;
    as_err err = db_query(conn, &r, sql, 0, NULL);
    if (!err)
        *changed += strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return err;
}

/* Make table's rows within scope (a condition on alias x) equal to
 * tmp_<table>: delete what was not computed again, insert what is new. */
static as_err table_merge(long *changed, PGconn *conn, const char *table, const char *scope)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "DELETE FROM %s x WHERE (%s) AND NOT EXISTS "
             "(SELECT 1 FROM tmp_%s t WHERE ROW(t.*) IS NOT DISTINCT FROM ROW(x.*))",
             table, scope, table);
    as_err err = sql_count(changed, conn, sql);
    if (err)
        return err;
    snprintf(sql, sizeof sql, "INSERT INTO %s SELECT * FROM tmp_%s EXCEPT SELECT * FROM %s",
             table, table, table);
    return sql_count(changed, conn, sql);
}

static const char *const merge_tables[][2] = {
    /* parents before children, so inserts find their keys */
    {"event_calendar", "true"},
    {"event_exposure", "true"},
    {"events", "x.id IN (SELECT news_id FROM tmp_scope)"},
    {"event_stories", "x.news_id IN (SELECT news_id FROM tmp_scope)"},
    {"announcements", "x.news_id IN (SELECT news_id FROM tmp_scope)"},
    {"announcement_tickers", "x.news_id IN (SELECT news_id FROM tmp_scope)"},
};

static as_err store(long *changed, PGconn *conn, const news_rows *nr, const announce_result *res,
                    const news_event *ev, size_t n_ev, const double *novelty,
                    const trading_calendar *cal, const lexicon *lex)
{
    struct db_copybuf b[7] = {{0}}; /* scope, then merge_tables order */
    as_err err = db_exec(conn,
                         "CREATE TEMP TABLE tmp_scope (news_id bigint) ON COMMIT DROP;"
                         "CREATE TEMP TABLE tmp_event_calendar (LIKE event_calendar) ON COMMIT DROP;"
                         "CREATE TEMP TABLE tmp_event_exposure (LIKE event_exposure) ON COMMIT DROP;"
                         "CREATE TEMP TABLE tmp_events (LIKE events) ON COMMIT DROP;"
                         "CREATE TEMP TABLE tmp_event_stories (LIKE event_stories) ON COMMIT DROP;"
                         "CREATE TEMP TABLE tmp_announcements (LIKE announcements) ON COMMIT DROP;"
                         "CREATE TEMP TABLE tmp_announcement_tickers (LIKE announcement_tickers) "
                         "ON COMMIT DROP");
    if (!err)
        err = rows_scope(&b[0], nr);
    if (!err)
        err = rows_calendar(&b[1], cal);
    if (!err)
        err = rows_exposure(&b[2], lex);
    if (!err)
        err = rows_events(&b[3], &b[4], nr, res, ev, n_ev, lex);
    if (!err)
        err = rows_announcements(&b[5], &b[6], nr, res, novelty, cal);
    if (!err)
        err = copy_into(conn, "tmp_scope", &b[0]);
    for (size_t t = 0; !err && t < 6; t++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "tmp_%s", merge_tables[t][0]);
        err = copy_into(conn, tmp, &b[t + 1]);
    }
    for (size_t t = 0; !err && t < 6; t++)
        err = table_merge(changed, conn, merge_tables[t][0], merge_tables[t][1]);
    for (size_t t = 0; t < 7; t++)
        db_copybuf_free(&b[t]);
    return err;
}

as_err events_detect(events_summary *out, PGconn *conn, const events_options *o,
                     const lexicon *lex)
{
    memset(out, 0, sizeof *out);
    trading_calendar cal = {0};
    news_rows nr = {0};
    announce_result *res = NULL;
    news_event *ev = NULL;
    size_t n_ev = 0, n_scored = 0;
    double *novelty = NULL;
    char *lo = NULL, *hi = NULL;
    int locked = 0;
    as_err err = db_lock_try(conn, EVENTS_LOCK_KEY);
    if (err)
        goto done;
    locked = 1;
    if ((err = db_begin(conn)))
        goto done;
    if ((err = calendar_read(&cal, conn, o->market)) ||
        (err = range_widen(&lo, &hi, conn, o)) || (err = news_read(&nr, conn, lo, hi)))
        goto done;
    res = calloc(nr.n ? nr.n : 1, sizeof *res);
    novelty = malloc((nr.n ? nr.n : 1) * sizeof *novelty);
    if (!res || !novelty) {
        err = as_fail(AS_ERR_NOMEM, "events: out of memory");
        goto done;
    }
    for (; n_scored < nr.n; n_scored++) {
        if ((err = announce_score(&res[n_scored], &nr.items[n_scored], lex, o->threshold)))
            goto done;
        novelty[n_scored] = -1; /* not in an event */
        out->n_announcements += res[n_scored].is_announcement;
    }
    if ((err = cluster_build(&ev, &n_ev, nr.items, res, nr.n, lex, &cal, &o->cluster)))
        goto done;
    for (size_t e = 0; e < n_ev; e++) {
        for (size_t k = 0; k < ev[e].n_stories; k++)
            novelty[ev[e].stories[k]] = ev[e].novelty[k];
        out->n_outside_calendar += ev[e].session_day == CLUSTER_NO_SESSION;
    }
    out->n_news = (long)nr.n;
    out->n_events = (long)n_ev;
    if ((err = store(&out->rows_changed, conn, &nr, res, ev, n_ev, novelty, &cal, lex)))
        goto done;
    err = db_commit(conn);
done:
    if (err)
        db_rollback(conn);
    if (locked)
        db_unlock(conn, EVENTS_LOCK_KEY);
    cluster_free(ev, n_ev);
    for (size_t i = 0; i < n_scored; i++)
        announce_result_free(&res[i]);
    free(res);
    free(novelty);
    free(lo);
    free(hi);
    free(nr.items);
    PQclear(nr.res);
    calendar_free(&cal);
    return err;
}

as_err events_list(PGresult **out, PGconn *conn, const char *from, const char *to)
{
    const char *params[] = {from, to};
    return db_query(
        conn, out,
        "SELECT e.id, e.session_date, "
        "to_char(e.first_published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "e.score, e.n_stories, e.direction, array_to_string(e.tickers, ','), e.title "
        "FROM events e "
        "WHERE ($1::date IS NULL OR e.session_date >= $1::date) "
        "AND ($2::date IS NULL OR e.session_date <= $2::date) "
        "ORDER BY e.session_date NULLS LAST, e.first_published_at, e.id",
        2, params);
}
