/*
 * study_db_store.c -- writes one event study into the tables of
 * sql/010_study.sql in a single transaction.
 *
 * The study's identity is the md5 of a canonical text of its settings
 * (studies.study_key).  INSERT ... ON CONFLICT keeps the id of an earlier
 * run with the same key; its child rows are deleted and written again with
 * COPY, so a re-run leaves identical rows and no duplicates, and any error
 * rolls the whole study back.  Numbers travel as %.17g text (exact round
 * trip); NAN is SQL NULL.  Not here: reading inputs (study_db.c).
 */
#include "analytics/study_db_impl.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *model_name(estudy_model m)
{
    switch (m) {
    case ESTUDY_MODEL_MARKET: return "market";
    case ESTUDY_MODEL_MARKET_ADJUSTED: return "market-adjusted";
    case ESTUDY_MODEL_MEAN_ADJUSTED: return "mean-adjusted";
    case ESTUDY_MODEL_FACTOR: return "factor";
    }
    return "?";
}

/* Growable text for the canonical key; heap, freed by the caller. */
typedef struct text {
    char *s;
    size_t len, cap;
    int oom;
} text;

static void text_add(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t nc = (t->len + n + 1) * 2;
        char *ns = realloc(t->s, nc);
        if (!ns) {
            t->oom = 1;
            return;
        }
        t->s = ns;
        t->cap = nc;
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

/*
 * The settings that make two runs the same study, as text; its md5 is the
 * key.  The tickers are sorted (the firm list is), so --tickers B,A and
 * A,B are one study.  A thin-trading beta adds ";beta=NAME" at the end; an
 * OLS study's text has no beta field, as before the option existed, so
 * studies stored then keep their keys and a re-run replaces them.
 */
static as_err key_text(char **out, const study_db_run *run, const study_db_opts *o)
{
    const estudy_config *c = &o->cfg;
    text t = {0};
    char buf[128];
    snprintf(buf, sizeof buf, "event=%s;market=%s;model=%s;estimation=%d:%d;windows=",
             o->event_date, o->market ? o->market : "", model_name(c->model), c->est_start,
             c->est_end);
    text_add(&t, buf);
    for (int w = 0; w < c->nwindows; w++) {
        snprintf(buf, sizeof buf, "%s%d:%d", w ? "," : "", c->windows[w].start,
                 c->windows[w].end);
        text_add(&t, buf);
    }
    snprintf(buf, sizeof buf, ";returns=%s;compat=%s;min_obs=%d;tickers=",
             c->log_returns ? "log" : "simple",
             c->compat == ESTUDY_COMPAT_STATA_ESTUDY ? "estudy" : "native", c->min_est_obs);
    text_add(&t, buf);
    for (int e = 0; e < run->nevents; e++) {
        text_add(&t, e ? "," : "");
        text_add(&t, run->panel.names[run->events[e].firm]);
    }
    if (c->beta != ESTUDY_BETA_OLS) {
        char name[16];
        text_add(&t, ";beta=");
        text_add(&t, estudy_beta_name(c, name, sizeof name));
    }
    if (t.oom) {
        free(t.s);
        return as_fail(AS_ERR_NOMEM, "study: no memory");
    }
    *out = t.s;
    return AS_OK;
}

static as_err params_json(char **out, const study_db_opts *o, const char *key)
{
    const estudy_config *c = &o->cfg;
    json_t *win = json_array();
    for (int w = 0; w < c->nwindows; w++)
        json_array_append_new(win, json_pack("[i,i]", c->windows[w].start, c->windows[w].end));
    char bname[16];
    json_t *j = json_pack("{s:s,s:s?,s:s,s:s,s:[i,i],s:o,s:s,s:s,s:i,s:[i,i],s:b,s:s}",
                          "event_date", o->event_date, "market", o->market, "model",
                          model_name(c->model), "beta", estudy_beta_name(c, bname, sizeof bname),
                          "estimation", c->est_start, c->est_end,
                          "windows", win, "return_type", c->log_returns ? "log" : "simple",
                          "compat", c->compat == ESTUDY_COMPAT_STATA_ESTUDY ? "estudy" : "native",
                          "min_est_obs", c->min_est_obs, "ar_path", c->path_start, c->path_end,
                          "all_stocks", o->all, "key_text", key);
    *out = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return *out ? AS_OK : as_fail(AS_ERR_NOMEM, "study: no memory for the parameters");
}

/* Insert or update the studies row; writes its id. */
static as_err study_upsert(long long *id, PGconn *db, const study_db_run *run,
                           const study_db_opts *o, const char *key, const char *params)
{
    const estudy_config *c = &o->cfg;
    char d0[11], es[16], ee[16], mo[16], nf[16], nok[16];
    estudy_date_format(d0, run->panel.dates[run->events[0].t0]);
    snprintf(es, sizeof es, "%d", c->est_start);
    snprintf(ee, sizeof ee, "%d", c->est_end);
    snprintf(mo, sizeof mo, "%d", c->min_est_obs);
    snprintf(nf, sizeof nf, "%d", run->nevents);
    int ok = 0;
    for (int e = 0; e < run->nevents; e++)
        ok += run->res.firm[e].status == ESTUDY_OK;
    snprintf(nok, sizeof nok, "%d", ok);
    const char *wins[ESTUDY_MAX_WINDOWS];
    char wbuf[ESTUDY_MAX_WINDOWS][32];
    for (int w = 0; w < c->nwindows; w++) {
        snprintf(wbuf[w], sizeof wbuf[w], "%d:%d", c->windows[w].start, c->windows[w].end);
        wins[w] = wbuf[w];
    }
    const char **tick = malloc((size_t)run->nevents * sizeof *tick);
    if (!tick)
        return as_fail(AS_ERR_NOMEM, "study: no memory");
    for (int e = 0; e < run->nevents; e++)
        tick[e] = run->panel.names[run->events[e].firm];
    char *warr = study_db_text_array(wins, c->nwindows);
    char *tarr = study_db_text_array(tick, run->nevents);
    free(tick);
    as_err err = AS_OK;
    PGresult *r = NULL;
    if (!warr || !tarr) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto cleanup;
    }
    char bname[16];
    const char *p[16] = {key, o->event_date, d0, o->market, model_name(c->model), es, ee, warr,
                         c->log_returns ? "log" : "simple",
                         c->compat == ESTUDY_COMPAT_STATA_ESTUDY ? "estudy" : "native", mo, tarr,
                         params, nf, nok, estudy_beta_name(c, bname, sizeof bname)};
    err = db_query(db, &r,
                   "INSERT INTO studies (study_key, event_date, day0_date, market, model,"
                   " est_start, est_end, windows, return_type, compat, min_est_obs, tickers,"
                   " parameters, n_firms, n_ok, beta_method)"
                   " VALUES (md5($1), $2::date, $3::date, $4, $5, $6::int, $7::int, $8::text[],"
                   " $9, $10, $11::int, $12::text[], $13::jsonb, $14::int, $15::int, $16)"
                   " ON CONFLICT (study_key) DO UPDATE SET day0_date = EXCLUDED.day0_date,"
                   " parameters = EXCLUDED.parameters, n_firms = EXCLUDED.n_firms,"
                   " n_ok = EXCLUDED.n_ok, created_at = now()"
                   " RETURNING id",
                   16, p);
    if (!err)
        *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
cleanup:
    PQclear(r);
    free(warr);
    free(tarr);
    return err;
}

/* One COPY: begin, rows through the buffer (flushed every 1 MB), end. */
typedef struct copy {
    PGconn *db;
    struct db_copybuf b;
    as_err err;
} copy;

static void copy_row(copy *c, const char *const *v, int n)
{
    for (int k = 0; k < n && !c->err; k++)
        c->err = db_copybuf_field(&c->b, v[k], k == n - 1);
    if (!c->err && c->b.len > (1u << 20))
        c->err = db_copybuf_flush(c->db, &c->b);
}

static as_err copy_finish(copy *c)
{
    if (!c->err && c->b.len)
        c->err = db_copybuf_flush(c->db, &c->b);
    as_err e = db_copy_end(c->db, c->err ? "study: a row failed" : NULL);
    db_copybuf_free(&c->b);
    return c->err ? c->err : e;
}

static as_err copy_firms(PGconn *db, const char *sid, const study_db_run *run,
                         const study_db_inputs *in)
{
    const estudy_result *r = &run->res;
    const estudy_panel *P = &run->panel;
    copy c = {.db = db};
    if ((c.err = db_copy_begin(db, "COPY study_firms (study_id, ticker, sector, status, alpha,"
                                   " beta, sigma, n_est, n_est_missing, n_est_zero,"
                                   " n_event_missing, day0_return, ar_day0, ar_day0_sd,"
                                   " close_before, close_day0, mv_change_bn, shares,"
                                   " shares_as_of) FROM STDIN")))
        return c.err;
    for (int e = 0; e < r->nevents && !c.err; e++) {
        const estudy_event *ev = &run->events[e];
        const estudy_firm *f = &r->firm[e];
        size_t row = (size_t)ev->firm * P->ndates;
        int t0 = ev->t0, d0 = -r->span_start;
        double ret = P->ret[row + t0];
        if (in->o->cfg.log_returns)
            ret = expm1(ret); /* the column is a simple return */
        double before = t0 > 0 ? P->price[row + t0 - 1] : NAN, after = P->price[row + t0];
        double mv = in->shares[e] > 0 ? (double)in->shares[e] * (after - before) / 1e9 : NAN;
        char nb[10][32], ni[4][16], sh[24];
        snprintf(ni[0], 16, "%d", f->n_est);
        snprintf(ni[1], 16, "%d", f->n_est_missing);
        snprintf(ni[2], 16, "%d", f->n_est_zero);
        snprintf(ni[3], 16, "%d", f->n_event_missing);
        snprintf(sh, sizeof sh, "%lld", in->shares[e]);
        int has_d0 = d0 >= 0 && d0 < r->span;
        const char *v[19] = {
            sid, P->names[ev->firm], in->sector_of[e], estudy_status_name(f->status),
            study_db_num(nb[0], f->alpha), study_db_num(nb[1], f->beta),
            study_db_num(nb[2], sqrt(f->sigma2)), ni[0], ni[1], ni[2], ni[3],
            study_db_num(nb[3], ret),
            study_db_num(nb[4], has_d0 ? r->ar[(size_t)e * r->span + d0] : NAN),
            study_db_num(nb[5], has_d0 ? r->ar_sd[(size_t)e * r->span + d0] : NAN),
            study_db_num(nb[6], before), study_db_num(nb[7], after), study_db_num(nb[8], mv),
            in->shares[e] > 0 ? sh : NULL, in->shares_as_of[e][0] ? in->shares_as_of[e] : NULL};
        copy_row(&c, v, 19);
    }
    return copy_finish(&c);
}

static as_err copy_windows(PGconn *db, const char *sid, const study_db_run *run)
{
    const estudy_result *r = &run->res;
    copy c = {.db = db};
    if ((c.err = db_copy_begin(db, "COPY study_firm_windows (study_id, ticker, window_start,"
                                   " window_end, car, car_sd, car_t, car_p, bhar, mv_change_bn)"
                                   " FROM STDIN")))
        return c.err;
    for (int e = 0; e < r->nevents && !c.err; e++)
        for (int w = 0; w < r->nwin; w++) {
            size_t k = (size_t)e * r->nwin + w;
            char nb[6][32], ws[16], we[16];
            snprintf(ws, sizeof ws, "%d", r->windows[w].start);
            snprintf(we, sizeof we, "%d", r->windows[w].end);
            const char *v[10] = {sid, run->panel.names[run->events[e].firm], ws, we,
                                 study_db_num(nb[0], r->car[k]), study_db_num(nb[1], r->car_sd[k]),
                                 study_db_num(nb[2], r->car_t[k]), study_db_num(nb[3], r->car_p[k]),
                                 study_db_num(nb[4], r->bhar[k]),
                                 study_db_num(nb[5], r->mv_change[k])};
            copy_row(&c, v, 10);
        }
    return copy_finish(&c);
}

/* The AR path; car cumulates from the path's first day, a missing AR adds 0. */
static as_err copy_ar(PGconn *db, const char *sid, const study_db_run *run)
{
    const estudy_result *r = &run->res;
    const estudy_panel *P = &run->panel;
    copy c = {.db = db};
    if ((c.err = db_copy_begin(db, "COPY study_ar (study_id, ticker, day, date, ret, ar, ar_sd,"
                                   " car) FROM STDIN")))
        return c.err;
    for (int e = 0; e < r->nevents && !c.err; e++) {
        const estudy_event *ev = &run->events[e];
        double cum = 0;
        for (int d = 0; d < r->span; d++) {
            int t = ev->t0 + r->span_start + d;
            if (t < 0 || t >= P->ndates)
                continue;
            double a = r->ar[(size_t)e * r->span + d];
            if (!isnan(a))
                cum += a;
            char nb[4][32], day[16], date[11];
            snprintf(day, sizeof day, "%d", r->span_start + d);
            estudy_date_format(date, P->dates[t]);
            const char *v[8] = {sid, P->names[ev->firm], day, date,
                                study_db_num(nb[0], P->ret[(size_t)ev->firm * P->ndates + t]),
                                study_db_num(nb[1], a),
                                study_db_num(nb[2], r->ar_sd[(size_t)e * r->span + d]),
                                study_db_num(nb[3], r->firm[e].status == ESTUDY_OK ? cum : NAN)};
            copy_row(&c, v, 8);
        }
    }
    return copy_finish(&c);
}

static as_err copy_tests(PGconn *db, const char *sid, const study_db_run *run)
{
    const estudy_result *r = &run->res;
    copy c = {.db = db};
    if ((c.err = db_copy_begin(db, "COPY study_tests (study_id, grp, test, window_start,"
                                   " window_end, estimate, statistic, p_value, n, kp_rbar)"
                                   " FROM STDIN")))
        return c.err;
    for (int g = 0; g < r->ngroups && !c.err; g++)
        for (int w = 0; w < r->nwin; w++)
            for (int t = 0; t < ESTUDY_NTESTS; t++) {
                const estudy_group *G = &r->groups[g];
                char nb[4][32], ws[16], we[16], n[16];
                snprintf(ws, sizeof ws, "%d", r->windows[w].start);
                snprintf(we, sizeof we, "%d", r->windows[w].end);
                snprintf(n, sizeof n, "%d", G->nobs[w][t]);
                const char *v[10] = {sid, G->name, estudy_result_test_name(r, (estudy_test)t),
                                     ws, we, study_db_num(nb[0], G->estimate[w]),
                                     study_db_num(nb[1], G->stat[w][t]),
                                     study_db_num(nb[2], G->p[w][t]), n,
                                     study_db_num(nb[3], G->rbar)};
                copy_row(&c, v, 10);
            }
    return copy_finish(&c);
}

/* Estimation window start through the last event day, firms and market. */
static as_err copy_returns(PGconn *db, const char *sid, const study_db_run *run,
                           const study_db_inputs *in)
{
    const estudy_result *r = &run->res;
    const estudy_panel *P = &run->panel;
    int t0 = run->events[0].t0;
    int a = t0 + in->o->cfg.est_start, b = t0 + r->span_start + r->span - 1;
    a = a < 0 ? 0 : a;
    b = b >= P->ndates ? P->ndates - 1 : b;
    copy c = {.db = db};
    if ((c.err = db_copy_begin(db, "COPY study_returns (study_id, ticker, role, date, day,"
                                   " adj_close, close, ret) FROM STDIN")))
        return c.err;
    for (int s = 0; s < P->nseries && !c.err; s++)
        for (int t = a; t <= b; t++) {
            size_t k = (size_t)s * P->ndates + t;
            char nb[3][32], day[16], date[11];
            snprintf(day, sizeof day, "%d", t - t0);
            estudy_date_format(date, P->dates[t]);
            const char *v[8] = {sid, P->names[s], s < run->nevents ? "firm" : "market", date, day,
                                study_db_num(nb[0], in->adj[k]), study_db_num(nb[1], P->price[k]),
                                study_db_num(nb[2], P->ret[k])};
            copy_row(&c, v, 8);
        }
    return copy_finish(&c);
}

as_err study_db_store(study_db_run *run, PGconn *db, const study_db_inputs *in)
{
    char *key = NULL, *params = NULL, sid[24];
    long long id = 0;
    int began = 0;
    as_err err;
    if (run->nevents < 1)
        return as_fail(AS_ERR_USAGE, "study: no firms to store");
    if ((err = key_text(&key, run, in->o)) || (err = params_json(&params, in->o, key)))
        goto cleanup;
    if ((err = db_begin(db)))
        goto cleanup;
    began = 1;
    if ((err = study_upsert(&id, db, run, in->o, key, params)))
        goto cleanup;
    snprintf(sid, sizeof sid, "%lld", id);
    const char *p[1] = {sid};
    /* study_firm_windows and study_ar go with study_firms (ON DELETE CASCADE). */
    if ((err = db_query(db, NULL, "DELETE FROM study_firms WHERE study_id = $1::bigint", 1, p)) ||
        (err = db_query(db, NULL, "DELETE FROM study_tests WHERE study_id = $1::bigint", 1, p)) ||
        (err = db_query(db, NULL, "DELETE FROM study_returns WHERE study_id = $1::bigint", 1,
                        p)))
        goto cleanup;
    if ((err = copy_firms(db, sid, run, in)) || (err = copy_windows(db, sid, run)) ||
        (err = copy_ar(db, sid, run)) || (err = copy_tests(db, sid, run)) ||
        (err = copy_returns(db, sid, run, in)))
        goto cleanup;
    if (!(err = db_commit(db)))
        run->study_id = id;
cleanup:
    if (err && began)
        db_rollback(db);
    free(key);
    free(params);
    return err;
}
