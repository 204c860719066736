/*
 * study_db_load.c -- reads a stored event study back (studies, study_firms,
 * study_firm_windows, study_ar, study_tests) into a study_db_study for the
 * reports and the nightly run.  Read-only; it computes nothing, so what a
 * report shows is exactly what `aftershock study --event` stored.  SQL NULL
 * reads as NAN.  Not here: running or storing a study (study_db.c,
 * study_db_store.c).
 */
#include "analytics/study_db.h"
#include "analytics/study_db_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NAN : strtod(PQgetvalue(r, row, col), NULL);
}

static int inum(const PGresult *r, int row, int col)
{
    return (int)strtol(PQgetvalue(r, row, col), NULL, 10);
}

/* Heap copy of a cell, NULL for SQL NULL; *oom set when strdup fails. */
static char *str(const PGresult *r, int row, int col, int *oom)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    char *s = strdup(PQgetvalue(r, row, col));
    *oom |= !s;
    return s;
}

as_err study_db_find(long long *study_id, PGconn *db, const char *event_date)
{
    const char *p[1] = {event_date};
    PGresult *r;
    as_err err = db_query(db, &r,
                          "SELECT id FROM studies WHERE event_date = $1::date"
                          " ORDER BY created_at DESC, id DESC LIMIT 1",
                          1, p);
    if (err)
        return err;
    if (PQntuples(r) == 0)
        err = as_fail(AS_ERR_NOT_FOUND, "no study of event date %s in table studies "
                      "(run `aftershock study --event %s`)", event_date, event_date);
    else
        *study_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return err;
}

void study_db_study_free(study_db_study *s)
{
    for (int i = 0; s->firms && i < s->nfirms; i++) {
        free(s->firms[i].ticker);
        free(s->firms[i].sector);
        free(s->firms[i].status);
    }
    free(s->path_block);
    free(s->firms);
    for (int i = 0; s->tests && i < s->ntests; i++) {
        free(s->tests[i].grp);
        free(s->tests[i].test);
    }
    free(s->tests);
    free(s->market);
    free(s->model);
    memset(s, 0, sizeof *s);
}

static int window_index(const study_db_study *s, int start, int end)
{
    for (int w = 0; w < s->nwin; w++)
        if (s->windows[w].start == start && s->windows[w].end == end)
            return w;
    return -1;
}

/* Child rows come in ticker order, as the firms do: the index of ticker
 * at or after firm i, or nfirms when it is not there. */
static int firm_seek(const study_db_study *s, int i, const char *ticker)
{
    while (i < s->nfirms && strcmp(s->firms[i].ticker, ticker) != 0)
        i++;
    return i;
}

as_err study_db_load(study_db_study *out, PGconn *db, long long study_id)
{
    memset(out, 0, sizeof *out);
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", study_id);
    const char *p[1] = {sid};
    PGresult *r = NULL;
    int oom = 0;
    as_err err = db_query(db, &r,
                          "SELECT event_date, day0_date, market, model,"
                          " (SELECT string_agg(w, ' ') FROM unnest(windows) AS w),"
                          " coalesce((parameters->'ar_path'->>0)::int, 0),"
                          " coalesce((parameters->'ar_path'->>1)::int, -1)"
                          " FROM studies WHERE id = $1::bigint",
                          1, p);
    if (err)
        goto cleanup;
    if (PQntuples(r) == 0) {
        err = as_fail(AS_ERR_NOT_FOUND, "study %s: no such id in table studies", sid);
        goto cleanup;
    }
    out->id = study_id;
    snprintf(out->event_date, sizeof out->event_date, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->day0_date, sizeof out->day0_date, "%s", PQgetvalue(r, 0, 1));
    out->market = str(r, 0, 2, &oom);
    out->model = str(r, 0, 3, &oom);
    for (char *w = PQgetvalue(r, 0, 4), *end; *w && out->nwin < ESTUDY_MAX_WINDOWS;) {
        out->windows[out->nwin].start = (int)strtol(w, &end, 10);
        out->windows[out->nwin].end = (int)strtol(end + 1, &end, 10);
        out->nwin++;
        w = *end ? end + 1 : end;
    }
    out->path_start = inum(r, 0, 5);
    int path_end = inum(r, 0, 6);
    out->path_len = path_end >= out->path_start ? path_end - out->path_start + 1 : 0;
    PQclear(r);
    r = NULL;

    err = db_query(db, &r,
                   "SELECT ticker, sector, status, alpha, beta, sigma, day0_return, ar_day0,"
                   " mv_change_bn, n_est, n_est_missing, n_est_zero, n_event_missing"
                   " FROM study_firms WHERE study_id = $1::bigint ORDER BY ticker COLLATE \"C\"",
                   1, p);
    if (err)
        goto cleanup;
    int nf = PQntuples(r);
    out->firms = calloc((size_t)(nf ? nf : 1), sizeof *out->firms);
    size_t cells = (size_t)nf * (size_t)out->path_len;
    size_t ncell = cells ? 2 * cells : 1;
    double *path = out->path_block = malloc(ncell * sizeof *path);
    if (!out->firms || !path) {
        err = as_fail(AS_ERR_NOMEM, "study %s: no memory", sid);
        goto cleanup;
    }
    out->nfirms = nf;
    for (size_t k = 0; k < 2 * cells; k++)
        path[k] = NAN;
    for (int i = 0; i < nf; i++) {
        study_db_firm *f = &out->firms[i];
        f->ticker = str(r, i, 0, &oom);
        f->sector = str(r, i, 1, &oom);
        f->status = str(r, i, 2, &oom);
        f->alpha = num(r, i, 3);
        f->beta = num(r, i, 4);
        f->sigma = num(r, i, 5);
        f->day0_return = num(r, i, 6);
        f->ar_day0 = num(r, i, 7);
        f->mv_change_bn = num(r, i, 8);
        f->n_est = inum(r, i, 9);
        f->n_est_missing = inum(r, i, 10);
        f->n_est_zero = inum(r, i, 11);
        f->n_event_missing = inum(r, i, 12);
        f->path_ar = path + (size_t)i * out->path_len;
        f->path_car = path + cells + (size_t)i * out->path_len;
        for (int w = 0; w < ESTUDY_MAX_WINDOWS; w++)
            f->car[w] = f->car_t[w] = f->car_p[w] = f->bhar[w] = f->mv_window_bn[w] = NAN;
    }
    PQclear(r);
    r = NULL;

    err = db_query(db, &r,
                   "SELECT ticker, window_start, window_end, car, car_t, car_p, bhar, mv_change_bn"
                   " FROM study_firm_windows WHERE study_id = $1::bigint"
                   " ORDER BY ticker COLLATE \"C\"",
                   1, p);
    if (err)
        goto cleanup;
    for (int k = 0, i = 0; k < PQntuples(r); k++) {
        i = firm_seek(out, i, PQgetvalue(r, k, 0));
        int w = window_index(out, inum(r, k, 1), inum(r, k, 2));
        if (i == nf || w < 0) {
            err = as_fail(AS_ERR_DB, "study %s: window row %s [%s,%s] matches no firm or window",
                          sid, PQgetvalue(r, k, 0), PQgetvalue(r, k, 1), PQgetvalue(r, k, 2));
            goto cleanup;
        }
        study_db_firm *f = &out->firms[i];
        f->car[w] = num(r, k, 3);
        f->car_t[w] = num(r, k, 4);
        f->car_p[w] = num(r, k, 5);
        f->bhar[w] = num(r, k, 6);
        f->mv_window_bn[w] = num(r, k, 7);
    }
    PQclear(r);
    r = NULL;

    err = db_query(db, &r,
                   "SELECT ticker, day, ar, car FROM study_ar WHERE study_id = $1::bigint"
                   " ORDER BY ticker COLLATE \"C\", day",
                   1, p);
    if (err)
        goto cleanup;
    for (int k = 0, i = 0; k < PQntuples(r); k++) {
        i = firm_seek(out, i, PQgetvalue(r, k, 0));
        int d = inum(r, k, 1) - out->path_start;
        if (i == nf || d < 0 || d >= out->path_len) {
            err = as_fail(AS_ERR_DB, "study %s: AR row %s day %s matches no firm or path day",
                          sid, PQgetvalue(r, k, 0), PQgetvalue(r, k, 1));
            goto cleanup;
        }
        out->firms[i].path_ar[d] = num(r, k, 2);
        out->firms[i].path_car[d] = num(r, k, 3);
    }
    PQclear(r);
    r = NULL;

    err = db_query(db, &r,
                   "SELECT grp, test, window_start, window_end, estimate, statistic, p_value, n"
                   " FROM study_tests WHERE study_id = $1::bigint"
                   " ORDER BY grp COLLATE \"C\", window_start, window_end, test COLLATE \"C\"",
                   1, p);
    if (err)
        goto cleanup;
    int nt = PQntuples(r);
    out->tests = calloc((size_t)(nt ? nt : 1), sizeof *out->tests);
    if (!out->tests) {
        err = as_fail(AS_ERR_NOMEM, "study %s: no memory", sid);
        goto cleanup;
    }
    out->ntests = nt;
    for (int k = 0; k < nt; k++) {
        study_db_test *t = &out->tests[k];
        t->grp = str(r, k, 0, &oom);
        t->test = str(r, k, 1, &oom);
        t->window = window_index(out, inum(r, k, 2), inum(r, k, 3));
        t->estimate = num(r, k, 4);
        t->statistic = num(r, k, 5);
        t->p = num(r, k, 6);
        t->n = inum(r, k, 7);
    }
    if (oom)
        err = as_fail(AS_ERR_NOMEM, "study %s: no memory", sid);
cleanup:
    PQclear(r);
    if (err)
        study_db_study_free(out);
    return err;
}
