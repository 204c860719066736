/*
 * estudy_write.c -- formats an estudy_result as table, CSV or JSON (layout
 * documented in estudy_write.h).  Reads the result, computes nothing but
 * the market-value sums per sector and event date.  Numbers are printed with %.10g so a
 * reader gets every digit that matters; NAN prints as an empty CSV cell,
 * "-" in the table and null in JSON.
 */
#include "analytics/estudy_write.h"
#include "analytics/estudy_fmt.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Market-value change per sector, event date and window: a sector's firms
 * on different dates moved at different times and on different news, so
 * their changes are summed per date, never across dates.  days: the
 * distinct day-0 indexes, ascending; mv, n: (nsectors, ndays, nwin) the
 * sum ($bn) and the firms with a value; nev: (nsectors, ndays) the sector's
 * firm-events that day (a cell is printed when it has any).  One heap
 * block in *block; caller frees it.
 */
typedef struct sector_sums {
    int ndays;
    int *days, *n, *nev;
    double *mv;
} sector_sums;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static as_err sector_sums_build(sector_sums *ss, void **block, const estudy_report *rep)
{
    const estudy_result *r = rep->r;
    size_t ne = (size_t)(r->nevents ? r->nevents : 1);
    int *days = malloc(ne * sizeof *days);
    if (!days)
        return as_fail(AS_ERR_NOMEM, "event study: no memory for the report");
    int nd = 0;
    for (int e = 0; e < r->nevents; e++)
        days[nd++] = rep->events[e].t0;
    qsort(days, (size_t)nd, sizeof *days, cmp_int);
    int u = 0;
    for (int i = 0; i < nd; i++)
        if (u == 0 || days[i] != days[u - 1])
            days[u++] = days[i];
    size_t cells = (size_t)rep->nsectors * u * r->nwin, pairs = (size_t)rep->nsectors * u;
    *block = malloc((cells ? cells : 1) * (sizeof(double) + sizeof(int)) +
                    (pairs + (size_t)u + 1) * sizeof(int));
    if (!*block) {
        free(days);
        return as_fail(AS_ERR_NOMEM, "event study: no memory for the report");
    }
    ss->ndays = u;
    ss->mv = *block;
    ss->n = (int *)(ss->mv + (cells ? cells : 1));
    ss->nev = ss->n + (cells ? cells : 1);
    ss->days = ss->nev + pairs;
    memcpy(ss->days, days, (size_t)u * sizeof *days);
    free(days);
    for (size_t i = 0; i < cells; i++) {
        ss->mv[i] = 0;
        ss->n[i] = 0;
    }
    for (size_t i = 0; i < pairs; i++)
        ss->nev[i] = 0;
    for (int e = 0; e < r->nevents; e++) {
        int s = rep->events[e].sector;
        if (s < 0)
            continue;
        const int *hit = bsearch(&rep->events[e].t0, ss->days, (size_t)u, sizeof *ss->days,
                                 cmp_int);
        size_t sd = (size_t)s * u + (size_t)(hit - ss->days);
        ss->nev[sd]++;
        for (int w = 0; w < r->nwin; w++) {
            double v = r->mv_change[(size_t)e * r->nwin + w];
            if (!isnan(v)) {
                ss->mv[sd * r->nwin + w] += v;
                ss->n[sd * r->nwin + w]++;
            }
        }
    }
    return AS_OK;
}

/* The CSV's cells are built in a line buffer and written once per line:
 * one million firm rows make per-cell fprintf the cost of the whole run. */
static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_int(char *o, int v)
{
    char tmp[12];
    int n = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *o++ = '-';
    while (n)
        *o++ = tmp[--n];
    return o;
}

/* "%.10g" (estudy_fmt.c), an empty cell for NAN, then sep. */
static char *put_num(char *o, double v, char sep)
{
    if (!isnan(v))
        o += estudy_fmt_g10(o, v);
    *o++ = sep;
    return o;
}

static void csv_num(FILE *out, double v, int last)
{
    char buf[40];
    char *o = put_num(buf, v, last ? '\n' : ',');
    fwrite(buf, 1, (size_t)(o - buf), out);
}

static void write_csv(FILE *out, const estudy_report *rep, const sector_sums *ss)
{
    const estudy_result *r = rep->r;
    fprintf(out, "# firms\nticker,event_date,window_start,window_end,car,car_sd,car_t,"
                 "car_p,bhar,mv_change_bn,n_est,n_est_missing,n_est_zero,n_event_missing,"
                 "status\n");
    /* The part after the ticker: date (10), 2 + 4 ints (12 each), 6 numbers
     * (32 each), the status name and separators fit in 512 bytes. */
    char line[512];
    for (int e = 0; e < r->nevents; e++) {
        const estudy_event *ev = &rep->events[e];
        const estudy_firm *f = &r->firm[e];
        char d[11];
        estudy_date_format(d, rep->panel->dates[ev->t0]);
        for (int w = 0; w < r->nwin; w++) {
            size_t k = (size_t)e * r->nwin + w;
            fputs(rep->panel->names[ev->firm], out);
            char *o = line;
            *o++ = ',';
            o = put_str(o, d);
            *o++ = ',';
            o = put_int(o, r->windows[w].start);
            *o++ = ',';
            o = put_int(o, r->windows[w].end);
            *o++ = ',';
            o = put_num(o, r->car[k], ',');
            o = put_num(o, r->car_sd[k], ',');
            o = put_num(o, r->car_t[k], ',');
            o = put_num(o, r->car_p[k], ',');
            o = put_num(o, r->bhar[k], ',');
            o = put_num(o, r->mv_change[k], ',');
            o = put_int(o, f->n_est);
            *o++ = ',';
            o = put_int(o, f->n_est_missing);
            *o++ = ',';
            o = put_int(o, f->n_est_zero);
            *o++ = ',';
            o = put_int(o, f->n_event_missing);
            *o++ = ',';
            o = put_str(o, estudy_status_name(f->status));
            *o++ = '\n';
            fwrite(line, 1, (size_t)(o - line), out);
        }
    }
    fprintf(out, "\n# tests\ngroup,test,window_start,window_end,estimate,statistic,p_value,n\n");
    for (int g = 0; g < r->ngroups; g++)
        for (int w = 0; w < r->nwin; w++)
            for (int t = 0; t < ESTUDY_NTESTS; t++) {
                const estudy_group *G = &r->groups[g];
                fprintf(out, "%s,%s,%d,%d,", G->name,
                        estudy_result_test_name(r, (estudy_test)t), r->windows[w].start,
                        r->windows[w].end);
                csv_num(out, G->estimate[w], 0);
                csv_num(out, G->stat[w][t], 0);
                csv_num(out, G->p[w][t], 0);
                fprintf(out, "%d\n", G->nobs[w][t]);
            }
    if (rep->nsectors) {
        fprintf(out, "\n# sectors\nsector,event_date,window_start,window_end,n,mv_change_bn\n");
        for (int s = 0; s < rep->nsectors; s++)
            for (int d = 0; d < ss->ndays; d++) {
                size_t sd = (size_t)s * ss->ndays + d;
                if (!ss->nev[sd])
                    continue;
                char day[11];
                estudy_date_format(day, rep->panel->dates[ss->days[d]]);
                for (int w = 0; w < r->nwin; w++) {
                    size_t k = sd * r->nwin + w;
                    fprintf(out, "%s,%s,%d,%d,%d,", rep->sectors[s], day, r->windows[w].start,
                            r->windows[w].end, ss->n[k]);
                    csv_num(out, ss->n[k] ? ss->mv[k] : NAN, 1);
                }
            }
    }
    if (rep->neff) {
        fprintf(out, "\n# efficiency\nticker,beta,t,p_value,n\n");
        for (int i = 0; i < rep->neff; i++) {
            fprintf(out, "%s,", rep->panel->names[rep->eff_firm[i]]);
            csv_num(out, rep->eff[i].beta, 0);
            csv_num(out, rep->eff[i].t, 0);
            csv_num(out, rep->eff[i].p, 0);
            fprintf(out, "%d\n", rep->eff[i].n);
        }
    }
}

static void tab_num(FILE *out, const char *fmt, double v, int width)
{
    if (isnan(v))
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, fmt, width, v);
}

static void write_table(FILE *out, const estudy_report *rep, const sector_sums *ss)
{
    const estudy_result *r = rep->r;
    if (r->nevents) /* an efficiency-only report has no firm-events */
        fprintf(out, "%-8s %-10s %8s %9s %9s %8s %8s %9s %10s  %s\n", "ticker", "day0",
                "window", "CAR%", "SD%", "t", "p", "BHAR%", "dMV $bn", "est/miss/zero");
    for (int e = 0; e < r->nevents; e++) {
        const estudy_event *ev = &rep->events[e];
        const estudy_firm *f = &r->firm[e];
        char d[11];
        estudy_date_format(d, rep->panel->dates[ev->t0]);
        for (int w = 0; w < r->nwin; w++) {
            size_t k = (size_t)e * r->nwin + w;
            char win[24];
            snprintf(win, sizeof win, "[%d,%d]", r->windows[w].start, r->windows[w].end);
            fprintf(out, "%-8s %-10s %8s ", rep->panel->names[ev->firm], d, win);
            tab_num(out, "%*.3f", 100 * r->car[k], 9);
            tab_num(out, " %*.3f", 100 * r->car_sd[k], 9);
            tab_num(out, " %*.2f", r->car_t[k], 8);
            tab_num(out, " %*.4f", r->car_p[k], 8);
            tab_num(out, " %*.3f", 100 * r->bhar[k], 9);
            tab_num(out, " %*.2f", r->mv_change[k], 10);
            fprintf(out, "  %d/%d/%d%s%s\n", f->n_est, f->n_est_missing, f->n_est_zero,
                    f->status == ESTUDY_OK ? "" : "  ",
                    f->status == ESTUDY_OK ? "" : estudy_status_name(f->status));
        }
    }
    for (int g = 0; g < r->ngroups; g++) {
        const estudy_group *G = &r->groups[g];
        fprintf(out, "\ngroup %s: %d firm-events, KP average residual correlation %.4f\n",
                G->name, G->n, G->rbar);
        fprintf(out, "  %-8s %9s", "window", "CAAR%");
        for (int t = 0; t < ESTUDY_NTESTS; t++)
            fprintf(out, " %13s", estudy_result_test_name(r, (estudy_test)t));
        fputc('\n', out);
        for (int w = 0; w < r->nwin; w++) {
            char win[24];
            snprintf(win, sizeof win, "[%d,%d]", r->windows[w].start, r->windows[w].end);
            fprintf(out, "  %-8s ", win);
            tab_num(out, "%*.3f", 100 * G->estimate[w], 9);
            for (int t = 0; t < ESTUDY_NTESTS; t++) {
                if (isnan(G->stat[w][t]))
                    fprintf(out, " %13s", "-");
                else
                    fprintf(out, " %6.2f(%.3f)", G->stat[w][t], G->p[w][t]);
            }
            fputc('\n', out);
        }
    }
    if (rep->nsectors) {
        fprintf(out, "\nmarket-value change by sector and event date ($bn)\n");
        for (int s = 0; s < rep->nsectors; s++)
            for (int d = 0; d < ss->ndays; d++) {
                size_t sd = (size_t)s * ss->ndays + d;
                if (!ss->nev[sd])
                    continue;
                char day[11];
                estudy_date_format(day, rep->panel->dates[ss->days[d]]);
                fprintf(out, "  %-24s %s", rep->sectors[s], day);
                for (int w = 0; w < r->nwin; w++)
                    if (ss->n[sd * r->nwin + w])
                        fprintf(out, "  [%d,%d] %9.2f", r->windows[w].start, r->windows[w].end,
                                ss->mv[sd * r->nwin + w]);
                fputc('\n', out);
            }
    }
    if (rep->neff) {
        fprintf(out, "\nefficiency beta (AR on announcement score)\n");
        for (int i = 0; i < rep->neff; i++) {
            fprintf(out, "  %-8s", rep->panel->names[rep->eff_firm[i]]);
            tab_num(out, " beta %*.6f", rep->eff[i].beta, 10);
            tab_num(out, "  t %*.2f", rep->eff[i].t, 7);
            tab_num(out, "  p %*.4f", rep->eff[i].p, 7);
            fprintf(out, "  n %d\n", rep->eff[i].n);
        }
    }
}

static json_t *jnum(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static as_err write_json(FILE *out, const estudy_report *rep, const sector_sums *ss)
{
    const estudy_result *r = rep->r;
    json_t *root = json_object(), *firms = json_array(), *tests = json_array();
    json_t *sectors = json_array(), *eff = json_array(), *groups = json_array();
    json_object_set_new(root, "firms", firms);
    json_object_set_new(root, "groups", groups);
    json_object_set_new(root, "tests", tests);
    json_object_set_new(root, "sectors", sectors);
    json_object_set_new(root, "efficiency", eff);
    char bname[16];
    json_object_set_new(root, "beta_method",
                        json_string(estudy_beta_name(&(estudy_config){.beta = r->beta,
                                                                      .beta_lags = r->beta_lags},
                                                     bname, sizeof bname)));
    for (int e = 0; e < r->nevents; e++) {
        const estudy_event *ev = &rep->events[e];
        const estudy_firm *f = &r->firm[e];
        char d[11];
        estudy_date_format(d, rep->panel->dates[ev->t0]);
        json_t *ar = json_array();
        for (int k = 0; k < r->span; k++)
            json_array_append_new(ar, jnum(r->ar[(size_t)e * r->span + k]));
        json_t *wins = json_array();
        for (int w = 0; w < r->nwin; w++) {
            size_t k = (size_t)e * r->nwin + w;
            json_array_append_new(
                wins, json_pack("{s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "window_start",
                                r->windows[w].start, "window_end", r->windows[w].end, "car",
                                jnum(r->car[k]), "car_sd", jnum(r->car_sd[k]), "car_t",
                                jnum(r->car_t[k]), "car_p", jnum(r->car_p[k]), "bhar",
                                jnum(r->bhar[k]), "mv_change_bn", jnum(r->mv_change[k])));
        }
        json_array_append_new(
            firms, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:i,s:i,s:i,s:i,s:i,s:o,s:o}",
                             "ticker", rep->panel->names[ev->firm], "event_date", d,
                             "status", estudy_status_name(f->status), "alpha", jnum(f->alpha),
                             "beta", jnum(f->beta), "sigma2", jnum(f->sigma2), "n_est",
                             f->n_est, "n_est_missing", f->n_est_missing, "n_est_zero",
                             f->n_est_zero, "n_event_missing", f->n_event_missing,
                             "ar_first_day", r->span_start, "ar", ar, "windows", wins));
    }
    for (int g = 0; g < r->ngroups; g++)
        json_array_append_new(groups, json_pack("{s:s,s:i,s:o}", "group", r->groups[g].name,
                                                "n", r->groups[g].n, "kp_rbar",
                                                jnum(r->groups[g].rbar)));
    for (int g = 0; g < r->ngroups; g++)
        for (int w = 0; w < r->nwin; w++)
            for (int t = 0; t < ESTUDY_NTESTS; t++) {
                const estudy_group *G = &r->groups[g];
                json_array_append_new(
                    tests, json_pack("{s:s,s:s,s:i,s:i,s:o,s:o,s:o,s:i}", "group", G->name,
                                     "test", estudy_result_test_name(r, (estudy_test)t),
                                     "window_start", r->windows[w].start, "window_end",
                                     r->windows[w].end, "estimate", jnum(G->estimate[w]),
                                     "statistic",
                                     jnum(G->stat[w][t]), "p_value", jnum(G->p[w][t]), "n",
                                     G->nobs[w][t]));
            }
    for (int s = 0; s < rep->nsectors; s++)
        for (int d = 0; d < ss->ndays; d++) {
            size_t sd = (size_t)s * ss->ndays + d;
            if (!ss->nev[sd])
                continue;
            char day[11];
            estudy_date_format(day, rep->panel->dates[ss->days[d]]);
            for (int w = 0; w < r->nwin; w++) {
                size_t k = sd * r->nwin + w;
                json_array_append_new(
                    sectors, json_pack("{s:s,s:s,s:i,s:i,s:i,s:o}", "sector", rep->sectors[s],
                                       "event_date", day, "window_start", r->windows[w].start,
                                       "window_end", r->windows[w].end, "n", ss->n[k],
                                       "mv_change_bn", ss->n[k] ? jnum(ss->mv[k]) : json_null()));
            }
        }
    for (int i = 0; i < rep->neff; i++)
        json_array_append_new(
            eff, json_pack("{s:s,s:o,s:o,s:o,s:i}", "ticker",
                           rep->panel->names[rep->eff_firm[i]], "beta", jnum(rep->eff[i].beta),
                           "t", jnum(rep->eff[i].t), "p_value", jnum(rep->eff[i].p), "n",
                           rep->eff[i].n));
    int rc = json_dumpf(root, out, JSON_INDENT(1) | JSON_REAL_PRECISION(12));
    fputc('\n', out);
    json_decref(root);
    return rc ? as_fail(AS_ERR_IO, "cannot write the JSON result") : AS_OK;
}

as_err estudy_write(FILE *out, estudy_format fmt, const estudy_report *rep)
{
    sector_sums ss;
    void *block = NULL;
    as_err err = sector_sums_build(&ss, &block, rep);
    if (err)
        return err;
    switch (fmt) {
    case ESTUDY_FORMAT_CSV: write_csv(out, rep, &ss); break;
    case ESTUDY_FORMAT_TABLE: write_table(out, rep, &ss); break;
    case ESTUDY_FORMAT_JSON: err = write_json(out, rep, &ss); break;
    }
    if (!err && ferror(out))
        err = as_fail(AS_ERR_IO, "cannot write the event-study result");
    free(block);
    return err;
}
