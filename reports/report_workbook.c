/*
 * report_workbook.c -- the seven sheets of the event workbook (see
 * report_workbook.h), one function each: report_add_summary(),
 * report_add_events(), ... called in sheet order by
 * report_workbook_write().
 *
 * Units in cells: returns and abnormal returns as fractions with a percent
 * format (-0.16968 shows as -16.97%), market values in USD billions with a
 * "bn" format, t statistics and p-values as plain numbers.  A missing value
 * (NAN) is a blank cell, never a zero.
 *
 * Memory: the workbook and everything libxlsxwriter allocates are freed by
 * workbook_close(); the chart data tables live in cells of the Charts sheet
 * so the charts are native Excel charts that recalculate.
 */
#include "reports/report_workbook.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "analytics/calendar.h"
#include "reports/outfile.h"
#include "reports/xlsxutil.h"

const char *const report_sheet_names[7] = {"Summary", "Events", "Impact", "Groups",
                                           "Charts",  "Data",   "Method"};

enum { S_SUMMARY, S_EVENTS, S_IMPACT, S_GROUPS, S_CHARTS, S_DATA, S_METHOD };

struct wb {
    lxw_workbook *wb;
    lxw_worksheet *ws[7];
    const char *path;
    const struct report_data *d;
    lxw_format *bold, *title, *wrap, *pct, *bn, *num2, *num3, *num1, *dt, *link, *red, *green,
        *hdr;
    lxw_error err; /* first libxlsxwriter error, reported at the end */
};

static void keep(struct wb *w, lxw_error e)
{
    if (e && !w->err)
        w->err = e;
}

/* A number, or a blank cell for NAN (a missing value is not a zero). */
static void num(struct wb *w, lxw_worksheet *ws, int r, int c, double v, lxw_format *f)
{
    if (isfinite(v))
        keep(w, worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, v, f));
    else
        keep(w, worksheet_write_blank(ws, (lxw_row_t)r, (lxw_col_t)c, f));
}

static void text(struct wb *w, lxw_worksheet *ws, int r, int c, const char *s, lxw_format *f)
{
    keep(w, xlsx_write_text(ws, (lxw_row_t)r, (lxw_col_t)c, s ? s : "", f));
}

static const char *stars(double p)
{
    if (!isfinite(p))
        return "";
    return p < 0.01 ? "***" : p < 0.05 ? "**" : p < 0.10 ? "*" : "";
}

static void formats_add(struct wb *w)
{
    lxw_workbook *b = w->wb;
    w->bold = workbook_add_format(b);
    format_set_bold(w->bold);
    w->hdr = workbook_add_format(b);
    format_set_bold(w->hdr);
    format_set_text_wrap(w->hdr);
    format_set_align(w->hdr, LXW_ALIGN_VERTICAL_TOP);
    w->title = workbook_add_format(b);
    format_set_bold(w->title);
    format_set_font_size(w->title, 14);
    w->wrap = workbook_add_format(b);
    format_set_text_wrap(w->wrap);
    format_set_align(w->wrap, LXW_ALIGN_VERTICAL_TOP);
    w->pct = workbook_add_format(b);
    format_set_num_format(w->pct, "0.00%");
    w->bn = workbook_add_format(b);
    format_set_num_format(w->bn, "#,##0.0\" bn\";-#,##0.0\" bn\"");
    w->num1 = workbook_add_format(b);
    format_set_num_format(w->num1, "0.0");
    w->num2 = workbook_add_format(b);
    format_set_num_format(w->num2, "0.00");
    w->num3 = workbook_add_format(b);
    format_set_num_format(w->num3, "0.000");
    w->dt = workbook_add_format(b);
    format_set_num_format(w->dt, "yyyy-mm-dd hh:mm");
    w->link = workbook_add_format(b);
    format_set_underline(w->link, LXW_UNDERLINE_SINGLE);
    format_set_font_color(w->link, LXW_COLOR_BLUE);
    w->red = workbook_add_format(b);
    format_set_font_color(w->red, 0x9C0006);
    format_set_bg_color(w->red, 0xFFC7CE);
    w->green = workbook_add_format(b);
    format_set_font_color(w->green, 0x006100);
    format_set_bg_color(w->green, 0xC6EFCE);
}

/* Red below zero, green above, over one column's data rows. */
static void red_green(struct wb *w, lxw_worksheet *ws, int r0, int r1, int c)
{
    if (r1 < r0)
        return;
    lxw_conditional_format neg = {.type = LXW_CONDITIONAL_TYPE_CELL,
                                  .criteria = LXW_CONDITIONAL_CRITERIA_LESS_THAN,
                                  .value = 0, .format = w->red};
    lxw_conditional_format pos = {.type = LXW_CONDITIONAL_TYPE_CELL,
                                  .criteria = LXW_CONDITIONAL_CRITERIA_GREATER_THAN,
                                  .value = 0, .format = w->green};
    keep(w, worksheet_conditional_format_range(ws, (lxw_row_t)r0, (lxw_col_t)c, (lxw_row_t)r1,
                                               (lxw_col_t)c, &neg));
    keep(w, worksheet_conditional_format_range(ws, (lxw_row_t)r0, (lxw_col_t)c, (lxw_row_t)r1,
                                               (lxw_col_t)c, &pos));
}

static double mv_day0(const struct report_data *d, int i)
{
    return d->st.firms[i].mv_change_bn;
}

/* Day-0 AR t statistic from its forecast-error corrected SD. */
static double ar0_t(const struct report_data *d, int i)
{
    double sd = d->stocks[i].ar0_sd;
    return sd > 0 ? report_ar(d, i, 0) / sd : NAN;
}

/* ---- Summary ----------------------------------------------------------- */

static void report_add_summary(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_SUMMARY];
    worksheet_set_column(ws, 0, 0, 44, NULL);
    worksheet_set_column(ws, 1, 1, 16, NULL);
    worksheet_set_column(ws, 2, 7, 14, NULL);
    char buf[512];
    snprintf(buf, sizeof buf, "Aftershock event report: %s", d->date);
    text(w, ws, 0, 0, buf, w->title);
    text(w, ws, 1, 0, d->title, NULL);
    char head[128];
    if (!d->summary_model[0])
        snprintf(head, sizeof head, "Narrative (none stored)");
    else if (d->narrative_fallback)
        snprintf(head, sizeof head, "Narrative (narrator fallback text)");
    else
        snprintf(head, sizeof head, "Narrative (model %.64s)", d->summary_model);
    text(w, ws, 3, 0, head, w->bold);
    keep(w, worksheet_merge_range(ws, 4, 0, 17, 7, "", w->wrap));
    text(w, ws, 4, 0, d->narrative, w->wrap);

    int r = 19;
    text(w, ws, r, 0, "Key figures", w->bold);
    text(w, ws, r, 1, "Value", w->bold);
    text(w, ws, r, 2, "Detail", w->bold);
    r++;
    int fall = -1;
    double total_mv = 0;
    int n_mv = 0, n_sig = 0, n_ar = 0;
    for (int i = 0; i < d->nstocks; i++) {
        if (isfinite(d->stocks[i].ret0) && (fall < 0 || d->stocks[i].ret0 < d->stocks[fall].ret0))
            fall = i;
        double mv = mv_day0(d, i);
        if (isfinite(mv)) {
            total_mv += mv;
            n_mv++;
        }
        double t = ar0_t(d, i);
        if (isfinite(t)) {
            n_ar++;
            /* Two-sided 5% with the normal critical value, as the fact sheet's
             * fact_sig_level() does. */
            if (fabs(t) >= 1.96)
                n_sig++;
        }
    }
    int lost = -1;
    for (int i = 0; i < d->nstocks; i++)
        if (isfinite(mv_day0(d, i)) && (lost < 0 || mv_day0(d, i) < mv_day0(d, lost)))
            lost = i;
    if (fall >= 0) {
        snprintf(buf, sizeof buf, "Biggest fall, day 0: %s (%s)", d->stocks[fall].ticker,
                 d->stocks[fall].name);
        text(w, ws, r, 0, buf, NULL);
        num(w, ws, r, 1, d->stocks[fall].ret0, w->pct);
        snprintf(buf, sizeof buf, "abnormal %.2f%% (t = %.2f), close %.2f -> %.2f",
                 100 * report_ar(d, fall, 0), ar0_t(d, fall), d->stocks[fall].close_prev,
                 d->stocks[fall].close0);
        text(w, ws, r++, 2, buf, NULL);
    }
    if (lost >= 0) {
        snprintf(buf, sizeof buf, "Largest market-value change, day 0: %s", d->stocks[lost].ticker);
        text(w, ws, r, 0, buf, NULL);
        num(w, ws, r, 1, mv_day0(d, lost), w->bn);
        snprintf(buf, sizeof buf, "USD billions; return %.2f%%", 100 * d->stocks[lost].ret0);
        text(w, ws, r++, 2, buf, NULL);
    }
    snprintf(buf, sizeof buf, "Market value change, day 0: all %d stocks with share counts", n_mv);
    text(w, ws, r, 0, buf, NULL);
    num(w, ws, r++, 1, n_mv ? total_mv : NAN, w->bn);
    snprintf(buf, sizeof buf, "Market return, day 0 (%s)", d->market);
    text(w, ws, r, 0, buf, NULL);
    num(w, ws, r++, 1, d->market_ret0, w->pct);
    text(w, ws, r, 0, "Stocks with a significant day-0 abnormal return (5%)", NULL);
    num(w, ws, r, 1, n_sig, NULL);
    snprintf(buf, sizeof buf, "of %d, |t| >= 1.96", n_ar);
    text(w, ws, r++, 2, buf, NULL);

    /* Every sector, in a block of its own under the key figures: a cap
     * would drop the sectors that sort last. */
    r++;
    text(w, ws, r, 0, "Sector averages, day 0", w->bold);
    text(w, ws, r, 1, "Abnormal return", w->bold);
    text(w, ws, r++, 2, "Stocks", w->bold);
    for (int s = 0; s < d->nsectors; s++) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < d->nstocks; i++) {
            double ar = report_ar(d, i, 0);
            if (d->stocks[i].sector_idx == s && isfinite(ar)) {
                sum += ar;
                n++;
            }
        }
        text(w, ws, r, 0, d->sectors[s], NULL);
        num(w, ws, r, 1, n ? sum / n : NAN, w->pct);
        num(w, ws, r++, 2, n, NULL);
    }
    r++;
    text(w, ws, r++, 0, "Flags", w->bold);
    if (d->nflags == 0)
        text(w, ws, r++, 0, "none", NULL);
    for (int i = 0; i < d->nflags; i++)
        text(w, ws, r++, 0, d->flags[i], NULL);
}

/* ---- Events ------------------------------------------------------------ */

static int utc_parse(lxw_datetime *out, time_t *t, const char *s)
{
    if (!s || xlsx_datetime_parse(out, s) != 0)
        return -1;
    struct tm tm = {.tm_year = out->year - 1900, .tm_mon = out->month - 1, .tm_mday = out->day,
                    .tm_hour = out->hour, .tm_min = out->min, .tm_sec = (int)out->sec};
    *t = timegm(&tm);
    return 0;
}

static void report_add_events(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_EVENTS];
    static const char *const head[] = {"Published (UTC)", "Published (New York)", "Source",
                                       "Headline", "Relevance", "Novelty", "Score"};
    static const double widths[] = {17, 20, 18, 90, 10, 10, 10};
    for (int c = 0; c < 7; c++) {
        text(w, ws, 0, c, head[c], w->hdr);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL);
    }
    for (int i = 0; i < d->nstories; i++) {
        const struct report_story *s = &d->stories[i];
        int r = i + 1;
        lxw_datetime utc;
        time_t t;
        if (utc_parse(&utc, &t, s->published) == 0) {
            keep(w, worksheet_write_datetime(ws, (lxw_row_t)r, 0, &utc, w->dt));
            struct tm ny;
            if (calendar_ny_local(&ny, t) == AS_OK) {
                lxw_datetime nyd = {ny.tm_year + 1900, (uint8_t)(ny.tm_mon + 1), (uint8_t)ny.tm_mday,
                                    (uint8_t)ny.tm_hour, (uint8_t)ny.tm_min, ny.tm_sec};
                keep(w, worksheet_write_datetime(ws, (lxw_row_t)r, 1, &nyd, w->dt));
            }
        } else {
            text(w, ws, r, 0, s->published, NULL);
        }
        text(w, ws, r, 2, s->source, NULL);
        /* The link first, then the headline over it as a string: the
         * documented libxlsxwriter way to show text of our choosing, and
         * the headline can never turn into a formula.  A URL libxlsxwriter
         * rejects (too long, unknown scheme) leaves the plain headline. */
        if (s->url && worksheet_write_url(ws, (lxw_row_t)r, 3, s->url, w->link) == LXW_NO_ERROR)
            text(w, ws, r, 3, s->title, w->link);
        else
            text(w, ws, r, 3, s->title, NULL);
        num(w, ws, r, 4, s->relevance, w->num1);
        num(w, ws, r, 5, s->novelty, w->num1);
        num(w, ws, r, 6, s->score, w->num1);
    }
    worksheet_freeze_panes(ws, 1, 0);
    keep(w, worksheet_autofilter(ws, 0, 0, (lxw_row_t)(d->nstories), 6));
}

/* ---- Impact ------------------------------------------------------------ */

#define IMPACT_FIXED 8 /* Ticker .. AR day 0 p */
#define IMPACT_PER_WIN 6

static void report_add_impact(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_IMPACT];
    int nw = d->st.nwin;
    int ncols = IMPACT_FIXED + IMPACT_PER_WIN * nw;
    char (*names)[48] = calloc((size_t)ncols, sizeof *names);
    lxw_table_column *cols = calloc((size_t)ncols, sizeof *cols);
    lxw_table_column **colp = calloc((size_t)ncols + 1, sizeof *colp);
    if (!names || !cols || !colp) {
        keep(w, LXW_ERROR_MEMORY_MALLOC_FAILED);
        goto done;
    }
    static const char *const fixed[IMPACT_FIXED] = {
        "Ticker", "Name", "Sector", "Return day 0", "AR day 0", "t AR day 0", "p AR day 0",
        "MV change day 0 ($bn)"};
    lxw_format *fixed_fmt[IMPACT_FIXED] = {NULL, NULL, NULL, w->pct, w->pct, w->num2, w->num3, w->bn};
    for (int c = 0; c < IMPACT_FIXED; c++) {
        snprintf(names[c], sizeof names[c], "%s", fixed[c]);
        cols[c].format = fixed_fmt[c];
    }
    for (int k = 0; k < nw; k++) {
        int a = d->st.windows[k].start, b = d->st.windows[k].end;
        int c = IMPACT_FIXED + IMPACT_PER_WIN * k;
        snprintf(names[c], sizeof names[c], "CAR [%d,%d]", a, b);
        snprintf(names[c + 1], sizeof names[c + 1], "t [%d,%d]", a, b);
        snprintf(names[c + 2], sizeof names[c + 2], "p [%d,%d]", a, b);
        snprintf(names[c + 3], sizeof names[c + 3], "Sig [%d,%d]", a, b);
        snprintf(names[c + 4], sizeof names[c + 4], "BHAR [%d,%d]", a, b);
        snprintf(names[c + 5], sizeof names[c + 5], "MV change [%d,%d] ($bn)", a, b);
        cols[c].format = w->pct;
        cols[c + 1].format = w->num2;
        cols[c + 2].format = w->num3;
        cols[c + 4].format = w->pct;
        cols[c + 5].format = w->bn;
    }
    for (int c = 0; c < ncols; c++) {
        cols[c].header = names[c];
        cols[c].header_format = w->hdr;
        colp[c] = &cols[c];
    }
    for (int i = 0; i < d->nstocks; i++) {
        int r = i + 1;
        const struct report_stock *s = &d->stocks[i];
        text(w, ws, r, 0, s->ticker, NULL);
        text(w, ws, r, 1, s->name, NULL);
        text(w, ws, r, 2, s->sector, NULL);
        num(w, ws, r, 3, s->ret0, w->pct);
        num(w, ws, r, 4, report_ar(d, i, 0), w->pct);
        double t = ar0_t(d, i);
        num(w, ws, r, 5, t, w->num2);
        /* The day-0 p-value is the [0,0] window's when configured; else
         * blank rather than a second convention. */
        const study_db_firm *f = &d->st.firms[i];
        int w00 = report_window(d, 0, 0);
        num(w, ws, r, 6, w00 >= 0 ? f->car_p[w00] : NAN, w->num3);
        num(w, ws, r, 7, mv_day0(d, i), w->bn);
        for (int k = 0; k < nw; k++) {
            int c = IMPACT_FIXED + IMPACT_PER_WIN * k;
            num(w, ws, r, c, f->car[k], w->pct);
            num(w, ws, r, c + 1, f->car_t[k], w->num2);
            num(w, ws, r, c + 2, f->car_p[k], w->num3);
            text(w, ws, r, c + 3, stars(f->car_p[k]), NULL);
            num(w, ws, r, c + 4, f->bhar[k], w->pct);
            num(w, ws, r, c + 5, f->mv_window_bn[k], w->bn);
        }
    }
    lxw_table_options opt = {.name = "Impact", .style_type = LXW_TABLE_STYLE_TYPE_MEDIUM,
                             .style_type_number = 2, .columns = colp};
    keep(w, worksheet_add_table(ws, 0, 0, (lxw_row_t)d->nstocks, (lxw_col_t)(ncols - 1), &opt));
    for (int c = 3; c < ncols; c++)
        if (cols[c].format == w->pct || cols[c].format == w->bn)
            red_green(w, ws, 1, d->nstocks, c);
    worksheet_set_row(ws, 0, 30, NULL);
    worksheet_freeze_panes(ws, 1, 1);
    worksheet_set_column(ws, 0, 0, 9, NULL);
    worksheet_set_column(ws, 1, 1, 30, NULL);
    worksheet_set_column(ws, 2, 2, 18, NULL);
    worksheet_set_column(ws, 3, (lxw_col_t)(ncols - 1), 12, NULL);
done:
    free(names);
    free(cols);
    free(colp);
}

/* ---- Groups ------------------------------------------------------------ */

static void report_add_groups(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_GROUPS];
    static const char *const head[] = {"Group", "Window", "Test", "CAAR", "Statistic",
                                       "p-value", "Sig", "N", "Avg. residual correlation"};
    static const char *const test_label[ESTUDY_NTESTS] = {
        "Cross-sectional t (Brown & Warner 1985)", "Patell Z (1976)",
        "BMP (Boehmer, Musumeci & Poulsen 1991)", "Adjusted Patell (Kolari & Pynnonen 2010)",
        "Adjusted BMP (Kolari & Pynnonen 2010)", "Rank (Corrado 1989)",
        "Generalized sign (Cowan 1992)", "Wilcoxon signed rank (1945)"};
    /* a study stored with --compat estudy has Stata estudy's tests in these
     * slots, under its names (analytics/estudy_compat.c) */
    static const char *const estudy_label[ESTUDY_NTESTS] = {
        "Norm test (estudy)", "Patell Z (estudy)", "BMP (estudy, normal p)",
        "ADJPatell (estudy)", "KP (estudy, normal p)",
        "Generalized rank GRANK (Kolari & Pynnonen 2011)", "Generalized sign (estudy)",
        "Wilcoxon (estudy)"};
    int compat = 0;
    for (int j = 0; j < d->st.ntests && !compat; j++)
        compat = strcmp(d->st.tests[j].test,
                        estudy_test_name_compat(ESTUDY_TEST_CSECT_T, ESTUDY_COMPAT_STATA_ESTUDY)) == 0;
    const estudy_compat cc = compat ? ESTUDY_COMPAT_STATA_ESTUDY : ESTUDY_COMPAT_NATIVE;
    static const double widths[] = {28, 10, 42, 10, 10, 10, 6, 6, 14};
    for (int c = 0; c < 9; c++) {
        text(w, ws, 0, c, head[c], w->hdr);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL);
    }
    int r = 1;
    for (int g = 0; g < d->ngroups; g++) {
        const char *grp = d->groups[g].name, *name;
        if (strcmp(grp, "all") == 0)
            name = "All stocks";
        else if (strncmp(grp, "sector:", 7) == 0)
            name = grp + 7;
        else
            continue; /* "event:<date>": one date here, the same as "all" */
        for (int k = 0; k < d->st.nwin; k++) {
            char win[32];
            snprintf(win, sizeof win, "[%d,%d]", d->st.windows[k].start, d->st.windows[k].end);
            for (int t = 0; t < ESTUDY_NTESTS; t++) {
                const study_db_test *x = NULL;
                for (int j = 0; j < d->st.ntests && !x; j++)
                    if (d->st.tests[j].window == k && strcmp(d->st.tests[j].grp, grp) == 0 &&
                        strcmp(d->st.tests[j].test, estudy_test_name_compat((estudy_test)t, cc)) == 0)
                        x = &d->st.tests[j];
                if (!x)
                    continue;
                text(w, ws, r, 0, name, NULL);
                text(w, ws, r, 1, win, NULL);
                text(w, ws, r, 2, (compat ? estudy_label : test_label)[t], NULL);
                num(w, ws, r, 3, x->estimate, w->pct);
                num(w, ws, r, 4, x->statistic, w->num2);
                num(w, ws, r, 5, x->p, w->num3);
                text(w, ws, r, 6, stars(x->p), NULL);
                num(w, ws, r, 7, x->n, NULL);
                num(w, ws, r, 8, d->groups[g].rbar, w->num3);
                r++;
            }
        }
    }
    red_green(w, ws, 1, r - 1, 3);
    worksheet_freeze_panes(ws, 1, 0);
    keep(w, worksheet_autofilter(ws, 0, 0, (lxw_row_t)(r - 1), 8));
}

/* ---- Charts ------------------------------------------------------------ */

/* "=Charts!$B$3:$B$23" for column c, rows r0..r1 (0-based). */
static void ref(char *out, size_t len, const char *sheet, int r0, int r1, int c)
{
    char a[16], b[16];
    lxw_rowcol_to_cell_abs(a, (lxw_row_t)r0, (lxw_col_t)c, 1, 1);
    lxw_rowcol_to_cell_abs(b, (lxw_row_t)r1, (lxw_col_t)c, 1, 1);
    snprintf(out, len, "=%s!%s:%s", sheet, a, b);
}

static void report_add_charts(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_CHARTS];
    char cat[64], val[64];
    int lo = d->path_lo, hi = d->path_hi;
    int ndays = hi - lo + 1;

    /* 1. Average CAR path by sector: cumulative AR from day -10. */
    char head0[96];
    snprintf(head0, sizeof head0, "Average CAR path by sector, days %d..%+d", lo, hi);
    text(w, ws, 0, 0, head0, w->bold);
    text(w, ws, 1, 0, "Day", w->hdr);
    for (int s = 0; s < d->nsectors; s++)
        text(w, ws, 1, 1 + s, d->sectors[s], w->hdr);
    for (int t = 0; t < ndays; t++) {
        num(w, ws, 2 + t, 0, lo + t, NULL);
        for (int s = 0; s < d->nsectors; s++) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < d->nstocks; i++) {
                if (d->stocks[i].sector_idx != s || strcmp(d->st.firms[i].status, "ok") != 0)
                    continue;
                double car = 0;
                for (int x = lo; x <= lo + t; x++)
                    car += report_ar(d, i, x);
                if (isfinite(car)) {
                    sum += car;
                    n++;
                }
            }
            num(w, ws, 2 + t, 1 + s, n ? sum / n : NAN, w->pct);
        }
    }
    lxw_chart *line = workbook_add_chart(w->wb, LXW_CHART_LINE);
    ref(cat, sizeof cat, "Charts", 2, 1 + ndays, 0);
    for (int s = 0; s < d->nsectors; s++) {
        ref(val, sizeof val, "Charts", 2, 1 + ndays, 1 + s);
        lxw_chart_series *se = chart_add_series(line, cat, val);
        char name[64];
        lxw_rowcol_to_cell_abs(name, 1, (lxw_col_t)(1 + s), 1, 1);
        char nref[80];
        snprintf(nref, sizeof nref, "=Charts!%s", name);
        chart_series_set_name(se, nref);
    }
    chart_title_set_name(line, "Average CAR by sector");
    chart_axis_set_name(line->x_axis, "Trading day relative to the event");
    chart_axis_set_num_format(line->y_axis, "0%");
    keep(w, worksheet_insert_chart(ws, 0, 8, line));

    /* 2. Day-0 abnormal return by stock, sorted. */
    int r0 = 2 + ndays + 2;
    text(w, ws, r0, 0, "Day-0 abnormal return by stock", w->bold);
    text(w, ws, r0 + 1, 0, "Ticker", w->hdr);
    text(w, ws, r0 + 1, 1, "AR day 0", w->hdr);
    int *order = malloc(((size_t)d->nstocks + 1) * sizeof *order);
    int n = 0;
    for (int i = 0; order && i < d->nstocks; i++) {
        if (isnan(report_ar(d, i, 0)))
            continue;
        int j = n++;
        while (j > 0 && report_ar(d, order[j - 1], 0) > report_ar(d, i, 0)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int j = 0; j < n; j++) {
        text(w, ws, r0 + 2 + j, 0, d->stocks[order[j]].ticker, NULL);
        num(w, ws, r0 + 2 + j, 1, report_ar(d, order[j], 0), w->pct);
    }
    free(order);
    if (n > 0) {
        lxw_chart *bar = workbook_add_chart(w->wb, LXW_CHART_BAR);
        ref(cat, sizeof cat, "Charts", r0 + 2, r0 + 1 + n, 0);
        ref(val, sizeof val, "Charts", r0 + 2, r0 + 1 + n, 1);
        lxw_chart_series *se = chart_add_series(bar, cat, val);
        chart_series_set_name(se, "AR day 0");
        chart_title_set_name(bar, "Day-0 abnormal return by stock");
        chart_axis_set_num_format(bar->x_axis, "0%");
        chart_legend_set_position(bar, LXW_CHART_LEGEND_NONE);
        keep(w, worksheet_insert_chart(ws, (lxw_row_t)(r0), 8, bar));
    }

    /* 3. The biggest mover against the market, indexed to 100 on day -10. */
    int big = report_biggest_mover(d);
    int r1 = r0 + 2 + n + 2;
    if (big >= 0) {
        char head[96];
        snprintf(head, sizeof head, "%s and %s, adjusted close indexed to 100 on day %d",
                 d->stocks[big].ticker, d->market, lo);
        text(w, ws, r1, 0, head, w->bold);
        text(w, ws, r1 + 1, 0, "Day", w->hdr);
        text(w, ws, r1 + 1, 1, d->stocks[big].ticker, w->hdr);
        text(w, ws, r1 + 1, 2, d->market, w->hdr);
        const double *ps = d->adj + (size_t)d->stocks[big].series * (size_t)d->ndates;
        const double *pm = d->adj + (size_t)d->market_series * (size_t)d->ndates;
        int base = 0;
        while (base < d->ndates && d->days[base] < lo)
            base++;
        for (int t = 0; t < ndays; t++) {
            int x = base + t;
            int ok = x < d->ndates && d->days[x] == lo + t;
            num(w, ws, r1 + 2 + t, 0, lo + t, NULL);
            num(w, ws, r1 + 2 + t, 1, ok ? 100 * ps[x] / ps[base] : NAN, w->num1);
            num(w, ws, r1 + 2 + t, 2, ok ? 100 * pm[x] / pm[base] : NAN, w->num1);
        }
        lxw_chart *px = workbook_add_chart(w->wb, LXW_CHART_LINE);
        ref(cat, sizeof cat, "Charts", r1 + 2, r1 + 1 + ndays, 0);
        for (int c = 1; c <= 2; c++) {
            ref(val, sizeof val, "Charts", r1 + 2, r1 + 1 + ndays, c);
            lxw_chart_series *se = chart_add_series(px, cat, val);
            chart_series_set_name(se, c == 1 ? d->stocks[big].ticker : d->market);
        }
        snprintf(head, sizeof head, "%s vs %s (day %d = 100)", d->stocks[big].ticker, d->market, lo);
        chart_title_set_name(px, head);
        chart_axis_set_name(px->x_axis, "Trading day relative to the event");
        keep(w, worksheet_insert_chart(ws, (lxw_row_t)r1, 8, px));
    }
    worksheet_set_column(ws, 0, 0, 12, NULL);
    worksheet_set_column(ws, 1, 6, 14, NULL);
}

/* ---- Data -------------------------------------------------------------- */

static void report_add_data(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_DATA];
    text(w, ws, 0, 0, "Date", w->hdr);
    text(w, ws, 0, 1, "Day", w->hdr);
    for (int s = 0; s < d->nseries; s++)
        text(w, ws, 0, 2 + s, d->series[s], w->hdr);
    lxw_format *date = workbook_add_format(w->wb);
    format_set_num_format(date, "yyyy-mm-dd");
    int r = 1;
    for (int t = 0; t < d->ndates; t++, r++) {
        int y, m, dd;
        calendar_civil_from_days(&y, &m, &dd, d->dates[t]);
        lxw_datetime dt = {y, (uint8_t)m, (uint8_t)dd, 0, 0, 0};
        keep(w, worksheet_write_datetime(ws, (lxw_row_t)r, 0, &dt, date));
        num(w, ws, r, 1, d->days[t], NULL);
        for (int s = 0; s < d->nseries; s++)
            num(w, ws, r, 2 + s, d->ret[(size_t)s * (size_t)d->ndates + (size_t)t], w->pct);
    }
    worksheet_set_column(ws, 0, 0, 11, NULL);
    worksheet_set_column(ws, 1, 1, 6, NULL);
    worksheet_set_column(ws, 2, (lxw_col_t)(1 + d->nseries), 9, NULL);
    worksheet_freeze_panes(ws, 1, 2);
    keep(w, worksheet_autofilter(ws, 0, 0, (lxw_row_t)(r - 1), (lxw_col_t)(1 + d->nseries)));
}

/* ---- Method ------------------------------------------------------------ */

static void report_add_method(struct wb *w)
{
    const struct report_data *d = w->d;
    lxw_worksheet *ws = w->ws[S_METHOD];
    char windows[256] = "", est[64], lx[32];
    for (int k = 0; k < d->st.nwin; k++) {
        size_t l = strlen(windows);
        snprintf(windows + l, sizeof windows - l, "%s[%d,%d]", k ? " " : "",
                 d->st.windows[k].start, d->st.windows[k].end);
    }
    snprintf(est, sizeof est, "[%d,%d] trading days, at least %d observations", d->est_start,
             d->est_end, d->min_est_obs);
    snprintf(lx, sizeof lx, "libxlsxwriter %s", LXW_VERSION);
    const char *sm = d->st.model ? d->st.model : "";
    const char *model = strcmp(sm, "market") == 0            ? "Market model, OLS (MacKinlay 1997)"
                        : strcmp(sm, "market-adjusted") == 0 ? "Market-adjusted returns"
                        : strcmp(sm, "mean-adjusted") == 0   ? "Mean-adjusted returns"
                                                             : "Multi-factor model, OLS";
    char study[64], summ[128];
    snprintf(study, sizeof study, "studies.id = %lld (aftershock study --event %s)", d->st.id,
             d->date);
    if (!d->summary_model[0])
        snprintf(summ, sizeof summ, "none stored");
    else if (strcmp(d->summary_model, "narrator") == 0)
        snprintf(summ, sizeof summ, "Narrator fallback (model/narrator.c), seed 1: no model file");
    else
        snprintf(summ, sizeof summ, "Model '%.64s', guarded%s", d->summary_model,
                 d->narrative_fallback ? "; narrator text where it failed the guard" : "");
    const char *rows[][2] = {
        {"Event day 0", d->date},
        {"Stored study", study},
        {"Model", model},
        {"Market proxy", d->market},
        {"Estimation window", est},
        {"Event windows", windows},
        {"Returns", strcmp(d->return_type, "log") == 0
                        ? "Log daily returns of adjusted closes; a missing day is bridged (multi-day return)"
                        : "Simple daily returns of adjusted closes; a missing day is bridged (multi-day return)"},
        {"Calendar", "Dates any studied series traded; day 0 must be a session of the market proxy"},
        {"Abnormal return", "AR = R - (alpha + beta Rm) with alpha, beta from the estimation window"},
        {"Variance", "Residual variance with divisor M - p (p = 2 parameters of the market model); CAR variance forecast-error corrected (MacKinlay 1997 eq. 15)"},
        {"Tests", "Cross-sectional t; Patell; BMP; Kolari-Pynnonen adjusted Patell and BMP; Corrado rank; Cowan generalized sign; Wilcoxon"},
        {"Significance", "*** p < 0.01, ** p < 0.05, * p < 0.10 (two-sided)"},
        {"BHAR", "Buy-and-hold return minus the model's buy-and-hold normal return over the window"},
        {"Market value", "Shares outstanding (latest on or before day 0) x change in the traded close, USD billions"},
        {"Price sources", d->sources},
        {"News", d->stories_scored ? "Detected event stories (aftershock events detect)"
                                   : "News table, 7 days up to day 0's close, unscored"},
        {"Summary text", summ},
        {"aftershock", d->version ? d->version : "unknown"},
        {"Writer", lx},
        {"PostgreSQL", d->server_version},
        {"Generated (UTC)", d->generated_utc},
        {"Command line", d->command_line ? d->command_line : ""},
    };
    text(w, ws, 0, 0, "Item", w->hdr);
    text(w, ws, 0, 1, "Value", w->hdr);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        text(w, ws, (int)i + 1, 0, rows[i][0], w->bold);
        text(w, ws, (int)i + 1, 1, rows[i][1], w->wrap);
    }
    worksheet_set_column(ws, 0, 0, 20, NULL);
    worksheet_set_column(ws, 1, 1, 100, NULL);
}

as_err report_workbook_write(const char *path, const struct report_data *d)
{
    char tmp[4096];
    as_err e = outfile_tmpname(tmp, sizeof tmp, path);
    if (e)
        return e;
    /* Create the file first: libxlsxwriter only opens it in
     * workbook_close() and prints its own message when that fails. */
    FILE *probe = fopen(tmp, "w");
    if (!probe)
        return as_fail(AS_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    fclose(probe);
    struct wb w = {.path = path, .d = d};
    w.wb = workbook_new(tmp);
    if (!w.wb) {
        outfile_discard(tmp);
        return as_fail(AS_ERR_IO, "cannot create '%s'", path);
    }
    char title[128], comments[512];
    snprintf(title, sizeof title, "Aftershock event report %s", d->date);
    snprintf(comments, sizeof comments, "Generated by aftershock %s at %s UTC",
             d->version ? d->version : "", d->generated_utc);
    lxw_doc_properties props = {
        .title = title, .subject = (char *)d->title, .author = "aftershock",
        .company = "Aftershock", .category = "Event study",
        .keywords = "event study, abnormal returns, AI efficiency", .comments = comments,
        .status = d->narrative_fallback ? "narrator fallback text" : "final",
    };
    workbook_set_properties(w.wb, &props);
    formats_add(&w);
    for (int s = 0; s < 7; s++)
        if (!(w.ws[s] = workbook_add_worksheet(w.wb, report_sheet_names[s])))
            keep(&w, LXW_ERROR_MEMORY_MALLOC_FAILED);
    if (!w.err) {
        report_add_summary(&w);
        report_add_events(&w);
        report_add_impact(&w);
        report_add_groups(&w);
        report_add_charts(&w);
        report_add_data(&w);
        report_add_method(&w);
    }
    lxw_error closed = workbook_close(w.wb);
    if (w.err || closed) {
        outfile_discard(tmp);
        return xlsx_check(w.err ? w.err : closed, path, "cannot write workbook");
    }
    return outfile_commit(tmp, path);
}
