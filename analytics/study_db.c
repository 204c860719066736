/*
 * study_db.c -- the event study's inputs from PostgreSQL: which firms
 * (--tickers or every stock), their sectors and share counts, and a panel of
 * adjusted closes (returns) and traded closes (market values) around the
 * event; then estudy_run() and the store (study_db_store.c).  Also the
 * efficiency beta against v_daily_announcement_score.
 *
 * It owns the calendar rule of the database mode: the panel's dates are the
 * dates any loaded series traded, fetched with a calendar-day margin wide
 * enough for the estimation window (1.5 calendar days per trading day plus
 * 20 days covers weekends and holidays with room), and day 0 is the first
 * date on or after the event date, as in file mode.  Missing adj_close is a
 * missing price (mixing in an unadjusted close would invent a return at a
 * split).  It is not the engine and not the SQL schema (sql/010_study.sql).
 */
#include "analytics/study_db.h"
#include "analytics/study_db_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *study_db_text_array(const char *const *v, int n)
{
    size_t len = 3;
    for (int i = 0; i < n; i++)
        len += 2 * strlen(v[i]) + 3;
    char *s = malloc(len);
    if (!s)
        return NULL;
    size_t k = 0;
    s[k++] = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            s[k++] = ',';
        s[k++] = '"';
        for (const char *c = v[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                s[k++] = '\\';
            s[k++] = *c;
        }
        s[k++] = '"';
    }
    s[k++] = '}';
    s[k] = '\0';
    return s;
}

const char *study_db_num(char buf[32], double v)
{
    if (!isfinite(v))
        return NULL;
    snprintf(buf, 32, "%.17g", v); /* 17 digits: the double round-trips */
    return buf;
}

/* The firms of a study, sorted by ticker.  Heap strings; firms_free(). */
typedef struct firm_list {
    int n;
    char **ticker;
    char **sector; /* NULL entries where securities has none */
} firm_list;

static void firms_free(firm_list *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->ticker[i]);
        free(f->sector[i]);
    }
    free(f->ticker);
    free(f->sector);
    memset(f, 0, sizeof *f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Check the tickers before any query, so the message names the option. */
static as_err tickers_check(const study_db_opts *o)
{
    if (o->ntickers < 1)
        return as_fail(AS_ERR_USAGE, "--tickers: no ticker given (or use --all)");
    for (int i = 0; i < o->ntickers; i++) {
        const char *t = o->tickers[i];
        if (!t[0])
            return as_fail(AS_ERR_USAGE, "--tickers: empty ticker at position %d", i + 1);
        if (o->market && strcmp(t, o->market) == 0)
            return as_fail(AS_ERR_USAGE, "--tickers: '%s' is the market proxy", t);
        for (int j = 0; j < i; j++)
            if (strcmp(t, o->tickers[j]) == 0)
                return as_fail(AS_ERR_USAGE, "--tickers: '%s' is given twice", t);
    }
    return AS_OK;
}

/* Firms in strcmp order (COLLATE "C"), which the bsearch look-ups rely on. */
static as_err firms_resolve(firm_list *out, PGconn *db, const study_db_opts *o)
{
    memset(out, 0, sizeof *out);
    PGresult *r = NULL;
    char *arr = NULL;
    as_err err;
    if (o->all) {
        const char *p[1] = {o->market};
        err = db_query(db, &r,
                       "SELECT ticker, sector FROM securities WHERE kind = 'stock'"
                       " AND ticker IS DISTINCT FROM $1 ORDER BY ticker COLLATE \"C\"",
                       1, p);
        if (err)
            goto cleanup;
        if (PQntuples(r) == 0) {
            err = as_fail(AS_ERR_NOT_FOUND, "every stock (--all): table securities has no stocks "
                          "(load them with `aftershock demo` or the securities list)");
            goto cleanup;
        }
    } else {
        if ((err = tickers_check(o)))
            goto cleanup;
        arr = study_db_text_array(o->tickers, o->ntickers);
        if (!arr) {
            err = as_fail(AS_ERR_NOMEM, "study: no memory");
            goto cleanup;
        }
        const char *p[1] = {arr};
        err = db_query(db, &r,
                       "SELECT t.ticker, s.sector, s.ticker IS NULL, t.i"
                       " FROM unnest($1::text[]) WITH ORDINALITY AS t(ticker, i)"
                       " LEFT JOIN securities s ON s.ticker = t.ticker"
                       " ORDER BY t.ticker COLLATE \"C\"",
                       1, p);
        if (err)
            goto cleanup;
        /* Report the first unknown ticker in the order the user gave them. */
        int bad = -1;
        long bad_pos = 0;
        for (int i = 0; i < PQntuples(r); i++) {
            long pos = strtol(PQgetvalue(r, i, 3), NULL, 10);
            if (strcmp(PQgetvalue(r, i, 2), "t") == 0 && (bad < 0 || pos < bad_pos)) {
                bad = i;
                bad_pos = pos;
            }
        }
        if (bad >= 0) {
            err = as_fail(AS_ERR_NOT_FOUND, "--tickers: '%s' is not in table securities",
                          PQgetvalue(r, bad, 0));
            goto cleanup;
        }
    }
    int n = PQntuples(r);
    out->ticker = calloc((size_t)n, sizeof *out->ticker);
    out->sector = calloc((size_t)n, sizeof *out->sector);
    if (!out->ticker || !out->sector) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    out->n = n;
    for (int i = 0; i < n && !err; i++) {
        out->ticker[i] = strdup(PQgetvalue(r, i, 0));
        if (!PQgetisnull(r, i, 1))
            out->sector[i] = strdup(PQgetvalue(r, i, 1));
        if (!out->ticker[i] || (!PQgetisnull(r, i, 1) && !out->sector[i]))
            err = as_fail(AS_ERR_NOMEM, "study: no memory");
    }
cleanup:
    PQclear(r);
    free(arr);
    if (err)
        firms_free(out);
    return err;
}

typedef struct name_idx {
    const char *name;
    int idx;
} name_idx;

static int cmp_name_idx(const void *a, const void *b)
{
    return strcmp(((const name_idx *)a)->name, ((const name_idx *)b)->name);
}

/*
 * Panel of series names[0..n) over [lo, hi] (days since 1970): returns from
 * adj_close, panel price = traded close, *adj = adj_close (heap, caller
 * frees).  A listed series without any price in the range is an error
 * naming `what[i]` (the option it came from); NULL what[i] lets it pass.
 */
static as_err panel_load(estudy_panel *p, double **adj, PGconn *db, const char *const *names,
                         const char *const *what, int n, int32_t lo, int32_t hi, int flags)
{
    memset(p, 0, sizeof *p);
    *adj = NULL;
    char dlo[11], dhi[11];
    estudy_date_format(dlo, lo);
    estudy_date_format(dhi, hi);
    char *arr = study_db_text_array(names, n);
    name_idx *ix = malloc((size_t)n * sizeof *ix);
    int *have = calloc((size_t)n, sizeof *have);
    PGresult *r = NULL;
    as_err err = AS_OK;
    if (!arr || !ix || !have) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    const char *prm[3] = {arr, dlo, dhi};
    err = db_query(db, &r,
                   "SELECT ticker, date - DATE '1970-01-01', adj_close, close FROM prices"
                   " WHERE ticker = ANY($1::text[]) AND date BETWEEN $2::date AND $3::date"
                   " ORDER BY date",
                   3, prm);
    if (err)
        goto cleanup;
    int rows = PQntuples(r), nd = 0;
    for (int i = 0; i < rows; i++)
        if (i == 0 || strcmp(PQgetvalue(r, i, 1), PQgetvalue(r, i - 1, 1)) != 0)
            nd++;
    if ((err = estudy_panel_alloc(p, nd, n, 1)))
        goto cleanup;
    size_t cells = (size_t)nd * (size_t)n;
    *adj = malloc((cells ? cells : 1) * sizeof **adj);
    if (!*adj) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    for (size_t k = 0; k < (size_t)nd * n; k++)
        (*adj)[k] = NAN;
    for (int i = 0; i < n; i++) {
        ix[i].name = names[i];
        ix[i].idx = i;
        if (!(p->names[i] = strdup(names[i]))) {
            err = as_fail(AS_ERR_NOMEM, "study: no memory");
            goto cleanup;
        }
    }
    qsort(ix, (size_t)n, sizeof *ix, cmp_name_idx);
    int t = -1;
    for (int i = 0; i < rows; i++) {
        if (i == 0 || strcmp(PQgetvalue(r, i, 1), PQgetvalue(r, i - 1, 1)) != 0)
            p->dates[++t] = (int32_t)strtol(PQgetvalue(r, i, 1), NULL, 10);
        name_idx key = {.name = PQgetvalue(r, i, 0)};
        const name_idx *hit = bsearch(&key, ix, (size_t)n, sizeof *ix, cmp_name_idx);
        if (!hit)
            continue;
        size_t k = (size_t)hit->idx * nd + t;
        /* float8 text output round-trips exactly (extra_float_digits default). */
        if (!PQgetisnull(r, i, 2))
            (*adj)[k] = strtod(PQgetvalue(r, i, 2), NULL);
        if (!PQgetisnull(r, i, 3))
            p->price[k] = strtod(PQgetvalue(r, i, 3), NULL);
        have[hit->idx] = 1;
    }
    for (int i = 0; i < n; i++)
        if (!have[i] && what[i]) {
            err = as_fail(AS_ERR_NOT_FOUND, "%s: '%s' has no prices between %s and %s", what[i],
                          names[i], dlo, dhi);
            goto cleanup;
        }
    /* Returns from the adjusted closes, then the panel keeps traded closes
     * for market values (as file mode does with adj_close and close). */
    double *close = p->price;
    p->price = *adj;
    err = estudy_returns_from_prices(p, flags);
    p->price = close;
cleanup:
    PQclear(r);
    free(arr);
    free(ix);
    free(have);
    if (err) {
        estudy_panel_free(p);
        free(*adj);
        *adj = NULL;
    }
    return err;
}

/* ESTUDY_RET_* for the configuration: log returns, and estudy's returns
 * of adjacent sessions only with compat estudy. */
static int ret_flags(const estudy_config *cfg)
{
    return (cfg->log_returns ? ESTUDY_RET_LOG : 0) |
           (cfg->compat == ESTUDY_COMPAT_STATA_ESTUDY ? ESTUDY_RET_NO_GAPS : 0);
}

/* Calendar days to fetch for `days` trading days (see the file comment). */
static int32_t margin_days(int days)
{
    return days > 0 ? days * 3 / 2 + 20 : 20;
}

/* Firms + market as one name list with the option each came from. */
static as_err series_names(const char ***names, const char ***what, int *n,
                           const firm_list *f, const study_db_opts *o)
{
    *n = f->n + (o->market ? 1 : 0);
    *names = malloc((size_t)*n * sizeof **names);
    *what = malloc((size_t)*n * sizeof **what);
    if (!*names || !*what) {
        free(*names);
        free(*what);
        return as_fail(AS_ERR_NOMEM, "study: no memory");
    }
    for (int i = 0; i < f->n; i++) {
        (*names)[i] = f->ticker[i];
        (*what)[i] = o->all ? NULL : "--tickers";
    }
    if (o->market) {
        (*names)[f->n] = o->market;
        (*what)[f->n] = "--market";
    }
    return AS_OK;
}

static as_err opts_check(const study_db_opts *o)
{
    if (!o->market && o->cfg.model != ESTUDY_MODEL_MEAN_ADJUSTED)
        return as_fail(AS_ERR_USAGE, "study: --market is needed by the %s model",
                       o->cfg.model == ESTUDY_MODEL_MARKET_ADJUSTED ? "market-adjusted"
                                                                    : "market");
    if (o->cfg.model == ESTUDY_MODEL_FACTOR)
        return as_fail(AS_ERR_UNSUPPORTED, "--model factor: the database holds no factor "
                       "series; use file mode with --factors");
    return AS_OK;
}

void study_db_run_free(study_db_run *run)
{
    estudy_result_free(&run->res);
    estudy_panel_free(&run->panel);
    for (int i = 0; i < run->nsectors; i++)
        free(run->sectors[i]);
    free(run->sectors);
    free(run->events);
    memset(run, 0, sizeof *run);
}

/* Latest share count on or before the event date, per firm. */
static as_err shares_load(double *shares, long long *count, char (*as_of)[11], PGconn *db,
                          const firm_list *f, const char *event_date)
{
    char *arr = study_db_text_array((const char *const *)f->ticker, f->n);
    if (!arr)
        return as_fail(AS_ERR_NOMEM, "study: no memory");
    const char *p[2] = {arr, event_date};
    PGresult *r;
    as_err err = db_query(db, &r,
                          "SELECT DISTINCT ON (ticker) ticker, shares, as_of"
                          " FROM shares_outstanding WHERE ticker = ANY($1::text[])"
                          " AND as_of <= $2::date ORDER BY ticker, as_of DESC",
                          2, p);
    free(arr);
    if (err)
        return err;
    for (int i = 0; i < f->n; i++) {
        shares[i] = NAN;
        count[i] = 0;
        as_of[i][0] = '\0';
    }
    for (int k = 0; k < PQntuples(r); k++) {
        const char **hit = bsearch(&(const char *){PQgetvalue(r, k, 0)}, f->ticker,
                                   (size_t)f->n, sizeof *f->ticker, cmp_str);
        if (!hit)
            continue;
        int i = (int)((char **)hit - f->ticker);
        count[i] = strtoll(PQgetvalue(r, k, 1), NULL, 10);
        shares[i] = (double)count[i];
        snprintf(as_of[i], 11, "%s", PQgetvalue(r, k, 2));
    }
    PQclear(r);
    return AS_OK;
}

as_err study_run_db(study_db_run *out, PGconn *db, const study_db_opts *o)
{
    memset(out, 0, sizeof *out);
    firm_list f = {0};
    const char **names = NULL, **what = NULL, **sector_of = NULL;
    double *adj = NULL, *shares = NULL;
    long long *count = NULL;
    char(*as_of)[11] = NULL;
    int nnames = 0;
    int32_t day;
    as_err err;

    if ((err = opts_check(o)))
        return err;
    if (!o->event_date || estudy_date_parse(&day, o->event_date, strlen(o->event_date)))
        return as_fail(AS_ERR_USAGE, "--event: '%s' is not a date (YYYY-MM-DD)",
                       o->event_date ? o->event_date : "");
    estudy_config cfg = o->cfg;
    /* The chart's path: -10..+10, cut where the estimation window ends. */
    cfg.path_start = -STUDY_DB_PATH_DAYS;
    cfg.path_end = STUDY_DB_PATH_DAYS;
    if (cfg.est_end >= cfg.path_start)
        cfg.path_start = cfg.est_end + 1;
    int lo = cfg.path_start, hi = cfg.path_end;
    for (int w = 0; w < cfg.nwindows; w++) {
        lo = cfg.windows[w].start < lo ? cfg.windows[w].start : lo;
        hi = cfg.windows[w].end > hi ? cfg.windows[w].end : hi;
    }
    int before = -(cfg.est_start < lo ? cfg.est_start : lo);

    if ((err = firms_resolve(&f, db, o)))
        goto cleanup;
    if ((err = series_names(&names, &what, &nnames, &f, o)))
        goto cleanup;
    if ((err = panel_load(&out->panel, &adj, db, names, what, nnames, day - margin_days(before),
                          day + margin_days(hi), ret_flags(&cfg))))
        goto cleanup;
    int t0, no_day0;
    as_err day_err = estudy_day0(&t0, &no_day0, &out->panel, day, cfg.compat);
    if (day_err == AS_ERR_RANGE) {
        err = as_fail(AS_ERR_RANGE, "--event %s: no prices on or after that date",
                      o->event_date);
        goto cleanup;
    }
    if (day_err) {
        err = as_fail(AS_ERR_RANGE, "--event %s: not a trading day in the prices (--compat "
                      "estudy takes a session, or a weekend before one, as Stata estudy does)",
                      o->event_date);
        goto cleanup;
    }
    /* The path stops where the data does: for the latest session (the
     * nightly run's usual day 0) the days after it do not exist yet, and a
     * path into them would leave every firm outside the data. */
    if (cfg.path_end > out->panel.ndates - 1 - t0)
        cfg.path_end = out->panel.ndates - 1 - t0;

    shares = malloc((size_t)f.n * sizeof *shares);
    count = malloc((size_t)f.n * sizeof *count);
    as_of = malloc((size_t)f.n * sizeof *as_of);
    sector_of = calloc((size_t)f.n, sizeof *sector_of);
    out->events = calloc((size_t)f.n, sizeof *out->events);
    out->sectors = calloc((size_t)f.n, sizeof *out->sectors);
    if (!shares || !count || !as_of || !sector_of || !out->events || !out->sectors) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    if ((err = shares_load(shares, count, as_of, db, &f, o->event_date)))
        goto cleanup;
    for (int i = 0; i < f.n; i++) {
        estudy_event *ev = &out->events[i];
        ev->firm = i;
        ev->t0 = t0;
        ev->no_day0 = no_day0;
        ev->shares = shares[i];
        ev->sector = -1;
        sector_of[i] = f.sector[i];
        if (!f.sector[i])
            continue;
        for (int s = 0; s < out->nsectors && ev->sector < 0; s++)
            if (strcmp(out->sectors[s], f.sector[i]) == 0)
                ev->sector = s;
        if (ev->sector < 0) {
            if (!(out->sectors[out->nsectors] = strdup(f.sector[i]))) {
                err = as_fail(AS_ERR_NOMEM, "study: no memory");
                goto cleanup;
            }
            ev->sector = out->nsectors++;
        }
    }
    out->nevents = f.n;
    int market = o->market ? f.n : -1;
    if ((err = estudy_run(&out->res, &out->panel, out->events, out->nevents, &cfg, market, NULL,
                          0, (const char *const *)out->sectors, out->nsectors)))
        goto cleanup;
    study_db_opts stored = *o;
    stored.cfg = cfg;
    study_db_inputs in = {.o = &stored, .adj = adj, .shares = count, .shares_as_of = as_of,
                          .sector_of = sector_of};
    err = study_db_store(out, db, &in);

cleanup:
    firms_free(&f);
    free(names);
    free(what);
    free(adj);
    free(shares);
    free(count);
    free(as_of);
    free(sector_of);
    if (err)
        study_db_run_free(out);
    return err;
}

/* The announcement score of every panel date (0 where the view has none). */
static as_err scores_load(double *score, PGconn *db, const estudy_panel *p)
{
    PGresult *r;
    as_err err = db_query(db, &r,
                          "SELECT to_regclass('public.v_daily_announcement_score') IS NULL",
                          0, NULL);
    if (err)
        return err;
    int absent = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (absent)
        return as_fail(AS_ERR_NOT_FOUND,
                       "--efficiency: view v_daily_announcement_score does not exist (it comes "
                       "with the events migration sql/020_events.sql; run `aftershock db "
                       "migrate` with a build that has it, then `aftershock events detect`)");
    char dlo[11], dhi[11];
    estudy_date_format(dlo, p->dates[0]);
    estudy_date_format(dhi, p->dates[p->ndates - 1]);
    const char *prm[2] = {dlo, dhi};
    if ((err = db_query(db, &r,
                        "SELECT session_date - DATE '1970-01-01', score"
                        " FROM v_daily_announcement_score"
                        " WHERE session_date BETWEEN $1::date AND $2::date",
                        2, prm)))
        return err;
    for (int t = 0; t < p->ndates; t++)
        score[t] = 0.0;
    for (int i = 0; i < PQntuples(r); i++) {
        int t = estudy_panel_date_index(p, (int32_t)strtol(PQgetvalue(r, i, 0), NULL, 10));
        if (t >= 0 && !PQgetisnull(r, i, 1))
            score[t] = strtod(PQgetvalue(r, i, 1), NULL);
    }
    PQclear(r);
    return AS_OK;
}

static as_err efficiency_store(PGconn *db, const study_db_opts *o, const char *from,
                               const char *to, const estudy_panel *p,
                               const estudy_effbeta *eff, int neff)
{
    char es[16], ee[16], *arr = NULL;
    snprintf(es, sizeof es, "%d", o->cfg.est_start);
    snprintf(ee, sizeof ee, "%d", o->cfg.est_end);
    struct db_copybuf b = {0};
    as_err err = db_begin(db);
    if (err)
        return err;
    arr = study_db_text_array((const char *const *)p->names, neff);
    if (!arr) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    const char *prm[6] = {from, to, o->market, es, ee, arr};
    if ((err = db_query(db, NULL,
                        "DELETE FROM study_efficiency WHERE period_from = $1::date"
                        " AND period_to = $2::date AND market = $3 AND est_start = $4::int"
                        " AND est_end = $5::int AND ticker = ANY($6::text[])",
                        6, prm)))
        goto cleanup;
    if ((err = db_copy_begin(db, "COPY study_efficiency (period_from, period_to, market,"
                                 " est_start, est_end, ticker, status, beta, t, p_value, n)"
                                 " FROM STDIN")))
        goto cleanup;
    for (int i = 0; i < neff && !err; i++) {
        char nb[3][32], cnt[16];
        snprintf(cnt, sizeof cnt, "%d", eff[i].n);
        const char *v[11] = {from, to, o->market, es, ee, p->names[i],
                             estudy_status_name(eff[i].status), study_db_num(nb[0], eff[i].beta),
                             study_db_num(nb[1], eff[i].t), study_db_num(nb[2], eff[i].p), cnt};
        for (int k = 0; k < 11 && !err; k++)
            err = db_copybuf_field(&b, v[k], k == 10);
    }
    if (!err)
        err = db_copybuf_flush(db, &b);
    as_err e2 = db_copy_end(db, err ? "study: efficiency rows failed" : NULL);
    err = err ? err : e2;
    if (!err)
        err = db_commit(db);
cleanup:
    if (err)
        db_rollback(db);
    db_copybuf_free(&b);
    free(arr);
    return err;
}

as_err study_efficiency_db(estudy_panel *panel, estudy_effbeta **eff, int **eff_firm,
                           int *neff, PGconn *db, const study_db_opts *o, const char *from,
                           const char *to)
{
    memset(panel, 0, sizeof *panel);
    *eff = NULL;
    *eff_firm = NULL;
    *neff = 0;
    firm_list f = {0};
    const char **names = NULL, **what = NULL;
    double *adj = NULL, *score = NULL;
    int nnames = 0;
    int32_t d0, d1;
    as_err err;
    if (!o->market)
        return as_fail(AS_ERR_USAGE, "--efficiency: needs --market (the market model)");
    if (!from || estudy_date_parse(&d0, from, strlen(from)))
        return as_fail(AS_ERR_USAGE, "--from: '%s' is not a date (YYYY-MM-DD)", from ? from : "");
    if (!to || estudy_date_parse(&d1, to, strlen(to)))
        return as_fail(AS_ERR_USAGE, "--to: '%s' is not a date (YYYY-MM-DD)", to ? to : "");
    if (d1 < d0)
        return as_fail(AS_ERR_USAGE, "--from %s is after --to %s", from, to);
    if ((err = firms_resolve(&f, db, o)))
        goto cleanup;
    if ((err = series_names(&names, &what, &nnames, &f, o)))
        goto cleanup;
    int before = o->cfg.est_start < 0 ? -o->cfg.est_start : 0;
    if ((err = panel_load(panel, &adj, db, names, what, nnames, d0 - margin_days(before), d1,
                          ret_flags(&o->cfg))))
        goto cleanup;
    int t_from = -1, t_to = -1;
    for (int t = 0; t < panel->ndates; t++) {
        if (t_from < 0 && panel->dates[t] >= d0)
            t_from = t;
        if (panel->dates[t] <= d1)
            t_to = t;
    }
    if (t_from < 0 || t_to < t_from) {
        err = as_fail(AS_ERR_RANGE, "--from %s --to %s: no trading days in prices", from, to);
        goto cleanup;
    }
    score = malloc((size_t)panel->ndates * sizeof *score);
    *eff = calloc((size_t)f.n, sizeof **eff);
    *eff_firm = malloc((size_t)f.n * sizeof **eff_firm);
    if (!score || !*eff || !*eff_firm) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    if ((err = scores_load(score, db, panel)))
        goto cleanup;
    for (int i = 0; i < f.n && !err; i++) {
        (*eff_firm)[i] = i;
        err = estudy_efficiency_beta(&(*eff)[i], panel, i, f.n, score, t_from, t_to, &o->cfg);
    }
    if (err)
        goto cleanup;
    *neff = f.n;
    err = efficiency_store(db, o, from, to, panel, *eff, f.n);
cleanup:
    firms_free(&f);
    free(names);
    free(what);
    free(adj);
    free(score);
    if (err) {
        estudy_panel_free(panel);
        free(*eff);
        free(*eff_firm);
        *eff = NULL;
        *eff_firm = NULL;
        *neff = 0;
    }
    return err;
}
