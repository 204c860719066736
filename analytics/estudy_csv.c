/*
 * estudy_csv.c -- reads the event study's file-mode inputs into an
 * estudy_panel, an event list and a score series.
 *
 * Owns the long/wide detection and the cell conversions; records come from
 * common/csv.h.  Every error names the file, the 1-based line and the
 * field (column header), so a user can fix the cell.
 */
#include "analytics/estudy_csv.h"
#include "common/csv.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int field_is(const char *f, const char *name)
{
    return strcasecmp(f, name) == 0;
}

static as_err parse_date(int32_t *out, const char *f, const struct csv_reader *cf,
                         const char *col)
{
    size_t len = strlen(f);
    char tmp[11];
    if (len == 8) { /* YYYYMMDD, as the Fama-French files */
        memcpy(tmp, f, 4);
        tmp[4] = '-';
        memcpy(tmp + 5, f + 4, 2);
        tmp[7] = '-';
        memcpy(tmp + 8, f + 6, 2);
        if (estudy_date_parse(out, tmp, 10) == AS_OK)
            return AS_OK;
    } else if (estudy_date_parse(out, f, len) == AS_OK) {
        return AS_OK;
    }
    return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': '%.40s' is not a date "
                   "(YYYY-MM-DD)", cf->name, cf->line, col, f);
}

/*
 * Clinger's (1990) exact fast path: a plain decimal whose digits fit an
 * integer m <= 2^53 and whose power of ten |e| <= 22 is exactly m * 10^e
 * or m / 10^-e in one correctly rounded operation, which is what strtod
 * returns.  Anything else (more digits, hex, inf, junk) returns 0 and
 * takes strtod.  Study inputs are millions of such cells.
 */
static int parse_fast(double *out, const char *p)
{
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    uint64_t m = 0;
    int e = 0, any = 0;
    for (; *p >= '0' && *p <= '9'; p++, any = 1) {
        if (m >= (1ULL << 53) / 10)
            return 0;
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, any = 1, e--) {
            if (m >= (1ULL << 53) / 10)
                return 0;
            m = m * 10 + (uint64_t)(*p - '0');
        }
    if (!any)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int es = *p == '-' ? -1 : 1, x = 0;
        if (*p == '-' || *p == '+')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        for (; *p >= '0' && *p <= '9'; p++)
            if (x < 1000)
                x = x * 10 + (*p - '0');
        e += es * x;
    }
    while (*p == ' ')
        p++;
    if (*p || e < -22 || e > 22)
        return 0;
    double v = e < 0 ? (double)m / p10[-e] : (double)m * p10[e];
    *out = neg ? -v : v;
    return 1;
}

/* Empty, NA, NaN, null -> NAN (missing); otherwise a finite number. */
static as_err parse_num(double *out, const char *f, const struct csv_reader *cf,
                        const char *col)
{
    while (*f == ' ')
        f++;
    /* The missing-value spellings all start with a letter or are "." */
    if (!*f || ((*f >= 'A' || *f == '.') &&
                (field_is(f, "NA") || field_is(f, "NaN") || field_is(f, "null") ||
                 field_is(f, ".")))) {
        *out = NAN;
        return AS_OK;
    }
    if (parse_fast(out, f))
        return AS_OK;
    char *end;
    errno = 0;
    double v = strtod(f, &end);
    while (*end == ' ')
        end++;
    if (errno || end == f || *end || !isfinite(v))
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': '%.40s' is not a number",
                       cf->name, cf->line, col, f);
    *out = v;
    return AS_OK;
}

/* Growable arrays for the long format. */
typedef struct row {
    int32_t date;
    int ticker;
    double v, close;
} row;

/* A wide file's cells, line by line: vals[line * ncol + (j - 1)] is the
 * cell of column j (colid[j] its series).  Eight bytes a cell instead of a
 * 24-byte row: a 5,000-column file is millions of cells. */
typedef struct wide_block {
    int32_t *dates; /* (nlines) */
    double *vals;   /* (nlines, ncol) */
    int *colid;     /* (ncol + 1) series of column j, [0] unused */
    int ncol;
    size_t nlines, cap;
} wide_block;

static void wide_free(wide_block *w)
{
    free(w->dates);
    free(w->vals);
    free(w->colid);
    memset(w, 0, sizeof *w);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Interned names: v[i] is name i; slot is an open-addressing hash of the
 * indexes (-1 empty), so a 5,000-column header or a long file's ticker
 * column costs one probe per name, not a scan of all names so far. */
typedef struct names {
    char **v;
    int n, cap;
    int *slot;  /* (nslot) name index or -1; nslot a power of two >= 2 cap */
    int nslot;
} names;

static unsigned names_hash(const char *f)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *f; f++)
        h = (h ^ (unsigned char)*f) * 16777619u;
    return h;
}

static int names_intern(names *nm, const char *f)
{
    unsigned mask = (unsigned)nm->nslot - 1, h = names_hash(f);
    if (nm->nslot) {
        for (unsigned i = h & mask; nm->slot[i] >= 0; i = (i + 1) & mask)
            if (strcmp(nm->v[nm->slot[i]], f) == 0)
                return nm->slot[i];
    }
    if (nm->n == nm->cap) {
        int nc = nm->cap ? nm->cap * 2 : 64;
        char **nv = realloc(nm->v, (size_t)nc * sizeof *nv);
        if (!nv)
            return -1;
        nm->v = nv;
        nm->cap = nc;
        int *ns = malloc(2 * (size_t)nc * sizeof *ns);
        if (!ns)
            return -1;
        free(nm->slot);
        nm->slot = ns;
        nm->nslot = 2 * nc;
        mask = (unsigned)nm->nslot - 1;
        for (int i = 0; i < nm->nslot; i++)
            ns[i] = -1;
        for (int k = 0; k < nm->n; k++) {
            unsigned i = names_hash(nm->v[k]) & mask;
            while (ns[i] >= 0)
                i = (i + 1) & mask;
            ns[i] = k;
        }
    }
    nm->v[nm->n] = strdup(f);
    if (!nm->v[nm->n])
        return -1;
    unsigned i = h & mask;
    while (nm->slot[i] >= 0)
        i = (i + 1) & mask;
    nm->slot[i] = nm->n;
    return nm->n++;
}

static void names_free(names *nm)
{
    for (int i = 0; i < nm->n; i++)
        free(nm->v[i]);
    free(nm->v);
    free(nm->slot);
    memset(nm, 0, sizeof *nm);
}

/*
 * Read prices/returns (and the factor file) into temporary storage -- a long
 * file as rows (date, ticker, value, close), a wide file as a block of cells
 * per line -- then lay the panel out on the price file's calendar.
 */
as_err estudy_csv_load_panel(estudy_panel *out, const char *prices_path, int is_returns,
                             int ret_flags, const char *factors_path, int *nfactor_cols)
{
    memset(out, 0, sizeof *out);
    *nfactor_cols = 0;
    struct csv_reader cf;
    int cf_open = 0;
    names tick = {0}, cols = {0};
    row *rows = NULL;
    int32_t *dates = NULL;
    int *colid = NULL;
    double *closes = NULL;
    size_t nrows = 0, rcap = 0;
    wide_block wide[2] = {{0}};
    int nfile_series = 0;
    as_err err = AS_OK;

    for (int file = 0; file < 2; file++) {
        const char *path = file == 0 ? prices_path : factors_path;
        if (!path)
            continue;
        if ((err = csv_open(&cf, path)))
            goto cleanup;
        cf_open = 1;
        int rc = csv_next(&cf);
        int nh = rc == 1 ? (int)cf.nfields : 0;
        if (rc < 0) {
            err = AS_ERR_PARSE;
            goto cleanup;
        }
        if (nh <= 1 || !field_is(cf.fields[0], "date")) {
            err = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'date': the header must start "
                          "with 'date' and name at least one more column", path, cf.line);
            goto cleanup;
        }
        int c_tick = -1, c_val = -1, c_close = -1;
        if (file == 0) {
            c_tick = csv_find(&cf, "ticker");
            if (is_returns) {
                c_val = csv_find(&cf, "return");
            } else {
                c_val = csv_find(&cf, "adj_close");
                if (c_val < 0)
                    c_val = csv_find(&cf, "price");
                c_close = csv_find(&cf, "close");
                if (c_val < 0) {
                    c_val = c_close;
                    c_close = -1;
                }
            }
        }
        int longfmt = c_tick >= 0;
        if (longfmt && c_val < 0) {
            err = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': long format needs a "
                          "'%s' column", path, cf.line, is_returns ? "return" : "price",
                          is_returns ? "return" : "price', 'adj_close' or 'close");
            goto cleanup;
        }
        names_free(&cols);
        free(colid);
        colid = malloc((size_t)nh * sizeof *colid);
        if (!colid) {
            err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
            goto cleanup;
        }
        for (int j = 0; j < nh; j++) {
            /* column names kept for messages (header j is cols.v[j]) */
            if (cols.n == cols.cap) {
                int nc = cols.cap ? cols.cap * 2 : 16;
                char **nv = realloc(cols.v, (size_t)nc * sizeof *nv);
                if (!nv) {
                    err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                    goto cleanup;
                }
                cols.v = nv;
                cols.cap = nc;
            }
            cols.v[cols.n] = strdup(cf.fields[j]);
            if (!cols.v[cols.n++]) {
                err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                goto cleanup;
            }
            if (longfmt || j == 0)
                continue;
            colid[j] = names_intern(&tick, cf.fields[j]);
            if (colid[j] < 0) {
                err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                goto cleanup;
            }
            if (colid[j] < nfile_series || (colid[j] < tick.n - 1)) {
                err = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': the column name "
                              "appears twice or repeats a price series", path, cf.line,
                              cf.fields[j]);
                goto cleanup;
            }
        }
        if (!longfmt) {
            wide[file].colid = colid;
            wide[file].ncol = nh - 1;
            colid = NULL;
        }
        while ((rc = csv_next(&cf)) == 1) {
            if ((int)cf.nfields != nh) {
                err = as_fail(AS_ERR_PARSE, "'%s': line %d: %zu fields, the header has %d",
                              path, cf.line, cf.nfields, nh);
                goto cleanup;
            }
            int32_t d;
            if ((err = parse_date(&d, cf.fields[0], &cf, "date")))
                goto cleanup;
            if (!longfmt) {
                wide_block *w = &wide[file];
                if (w->nlines == w->cap) {
                    size_t nc = w->cap ? w->cap * 2 : 1024;
                    int32_t *nd = realloc(w->dates, nc * sizeof *nd);
                    if (nd)
                        w->dates = nd;
                    double *nv = nd ? realloc(w->vals, nc * (size_t)(nh - 1) * sizeof *nv) : NULL;
                    if (!nv) {
                        err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                        goto cleanup;
                    }
                    w->vals = nv;
                    w->cap = nc;
                }
                double *cell = w->vals + w->nlines * (size_t)(nh - 1);
                for (int j = 1; j < nh; j++) {
                    double *v = &cell[j - 1];
                    if ((err = parse_num(v, cf.fields[j], &cf, cols.v[j])))
                        goto cleanup;
                    if (!is_returns && file == 0 && !isnan(*v) && !(*v > 0)) {
                        err = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': price %g is "
                                      "not positive", path, cf.line, cols.v[j], *v);
                        goto cleanup;
                    }
                }
                w->dates[w->nlines++] = d;
                continue;
            }
            {
                int j = c_val;
                row rw = {.date = d, .close = NAN};
                if ((err = parse_num(&rw.v, cf.fields[j], &cf, cols.v[j])))
                    goto cleanup;
                if (!cf.fields[c_tick][0]) {
                    err = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'ticker': empty",
                                  path, cf.line);
                    goto cleanup;
                }
                rw.ticker = names_intern(&tick, cf.fields[c_tick]);
                if (c_close >= 0 &&
                    (err = parse_num(&rw.close, cf.fields[c_close], &cf, cols.v[c_close])))
                    goto cleanup;
                if (rw.ticker < 0) {
                    err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                    goto cleanup;
                }
                if (!is_returns && file == 0 && !isnan(rw.v) && !(rw.v > 0)) {
                    err = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': price %g is "
                                  "not positive", path, cf.line, cols.v[j], rw.v);
                    goto cleanup;
                }
                if (nrows == rcap) {
                    size_t nc = rcap ? rcap * 2 : 4096;
                    row *nr = realloc(rows, nc * sizeof *nr);
                    if (!nr) {
                        err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                        goto cleanup;
                    }
                    rows = nr;
                    rcap = nc;
                }
                rows[nrows++] = rw;
            }
        }
        if (rc < 0) {
            err = AS_ERR_PARSE;
            goto cleanup;
        }
        csv_close(&cf);
        cf_open = 0;
        if (file == 0)
            nfile_series = tick.n;
        else
            *nfactor_cols = tick.n - nfile_series;
    }
    if (nfile_series == 0 || nrows + wide[0].nlines + wide[1].nlines == 0) {
        err = as_fail(AS_ERR_PARSE, "'%s': no data rows", prices_path);
        goto cleanup;
    }
    /* The calendar is the price file's dates; factor rows elsewhere drop. */
    size_t nd = 0;
    dates = malloc((nrows + wide[0].nlines + 1) * sizeof *dates);
    if (!dates) {
        err = as_fail(AS_ERR_NOMEM, "'%s': no memory", prices_path);
        goto cleanup;
    }
    /* A wide file repeats each date across its columns: keep one of each
     * run before sorting, or a 5,000-column file sorts millions of dates. */
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].ticker < nfile_series && (nd == 0 || dates[nd - 1] != rows[i].date))
            dates[nd++] = rows[i].date;
    for (size_t i = 0; i < wide[0].nlines; i++)
        dates[nd++] = wide[0].dates[i];
    qsort(dates, nd, sizeof *dates, cmp_i32);
    size_t u = 0;
    for (size_t i = 0; i < nd; i++)
        if (u == 0 || dates[i] != dates[u - 1])
            dates[u++] = dates[i];
    if ((err = estudy_panel_alloc(out, (int)u, tick.n, !is_returns)))
        goto cleanup;
    memcpy(out->dates, dates, u * sizeof *dates);
    for (int s = 0; s < tick.n; s++) {
        out->names[s] = tick.v[s];
        tick.v[s] = NULL;
    }
    int have_close = 0;
    for (size_t i = 0; i < nrows; i++)
        have_close |= !isnan(rows[i].close);
    size_t cells = (size_t)out->ndates * out->nseries;
    if (have_close) {
        closes = malloc(cells * sizeof *closes);
        if (!closes) {
            err = as_fail(AS_ERR_NOMEM, "'%s': no memory", prices_path);
            goto cleanup;
        }
        for (size_t i = 0; i < cells; i++)
            closes[i] = NAN;
    }
    int t = -1;
    for (size_t i = 0; i < nrows; i++) {
        /* rows of one line share their date: look it up once per run */
        if (i == 0 || rows[i].date != rows[i - 1].date)
            t = estudy_panel_date_index(out, rows[i].date);
        if (t < 0)
            continue;
        size_t k = (size_t)rows[i].ticker * out->ndates + t;
        int is_factor = rows[i].ticker >= nfile_series;
        double *dst = is_returns || is_factor ? out->ret : out->price;
        if (!isnan(dst[k])) {
            char d[11];
            estudy_date_format(d, rows[i].date);
            err = as_fail(AS_ERR_PARSE, "'%s': series '%s': date %s appears twice",
                          is_factor ? factors_path : prices_path, out->names[rows[i].ticker], d);
            goto cleanup;
        }
        dst[k] = rows[i].v;
        if (closes)
            closes[k] = rows[i].close;
    }
    for (int fi = 0; fi < 2; fi++) {
        const wide_block *w = &wide[fi];
        for (size_t i = 0; i < w->nlines; i++) {
            t = estudy_panel_date_index(out, w->dates[i]);
            if (t < 0)
                continue;
            const double *cell = w->vals + i * (size_t)w->ncol;
            for (int c = 0; c < w->ncol; c++) {
                int sid = w->colid[c + 1];
                size_t k = (size_t)sid * out->ndates + t;
                int is_factor = sid >= nfile_series;
                double *dst = is_returns || is_factor ? out->ret : out->price;
                if (!isnan(dst[k])) {
                    char d[11];
                    estudy_date_format(d, w->dates[i]);
                    err = as_fail(AS_ERR_PARSE, "'%s': series '%s': date %s appears twice",
                                  fi ? factors_path : prices_path, out->names[sid], d);
                    goto cleanup;
                }
                dst[k] = cell[c];
            }
        }
    }
    if (!is_returns) {
        /* Only the price file's series are prices; factor columns are
         * already returns and stay as loaded. */
        int saved = out->nseries;
        out->nseries = nfile_series;
        err = estudy_returns_from_prices(out, ret_flags);
        out->nseries = saved;
        if (closes && !err) /* market value from the traded close */
            memcpy(out->price, closes, cells * sizeof *closes);
    }

cleanup:
    if (cf_open)
        csv_close(&cf);
    free(rows);
    wide_free(&wide[0]);
    wide_free(&wide[1]);
    free(dates);
    free(colid);
    free(closes);
    names_free(&tick);
    names_free(&cols);
    if (err)
        estudy_panel_free(out);
    return err;
}

void estudy_csv_free_sectors(char **sectors, int nsectors)
{
    for (int i = 0; i < nsectors; i++)
        free(sectors[i]);
    free(sectors);
}

/* Series indexes sorted by name, so 250,000 event rows over 5,000 tickers
 * are looked up in log time. */
static const estudy_panel *sort_panel;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(sort_panel->names[*(const int *)a], sort_panel->names[*(const int *)b]);
}

static int find_sorted(const int *idx, const estudy_panel *p, const char *name)
{
    int lo = 0, hi = p->nseries - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(p->names[idx[mid]], name);
        if (c == 0)
            return idx[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

as_err estudy_csv_load_events(estudy_event **events, int *nevents, char ***sectors,
                              int *nsectors, int *nmoved, const char *path,
                              const estudy_panel *panel, estudy_compat compat)
{
    *events = NULL;
    *nevents = *nsectors = *nmoved = 0;
    *sectors = NULL;
    struct csv_reader cf;
    names sec = {0};
    estudy_event *ev = NULL;
    int n = 0, cap = 0;
    int *idx = malloc((size_t)(panel->nseries ? panel->nseries : 1) * sizeof *idx);
    if (!idx)
        return as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
    for (int i = 0; i < panel->nseries; i++)
        idx[i] = i;
    sort_panel = panel;
    qsort(idx, (size_t)panel->nseries, sizeof *idx, cmp_name);
    as_err err = csv_open(&cf, path);
    if (err) {
        free(idx);
        return err;
    }
    int rc = csv_next(&cf);
    if (rc < 0) {
        err = AS_ERR_PARSE;
        goto cleanup;
    }
    int nh = rc == 1 ? (int)cf.nfields : 0;
    int c_tick = csv_find(&cf, "ticker"), c_date = csv_find(&cf, "event_date");
    int c_sec = csv_find(&cf, "sector"), c_sh = csv_find(&cf, "shares");
    if (c_tick < 0 || c_date < 0) {
        err = as_fail(AS_ERR_PARSE, "'%s': line 1: field '%s': the header needs "
                      "'ticker,event_date'", path, c_tick < 0 ? "ticker" : "event_date");
        goto cleanup;
    }
    while ((rc = csv_next(&cf)) == 1) {
        if ((int)cf.nfields != nh) {
            err = as_fail(AS_ERR_PARSE, "'%s': line %d: %zu fields, the header has %d", path,
                          cf.line, cf.nfields, nh);
            goto cleanup;
        }
        const char *tk = cf.fields[c_tick];
        int firm = find_sorted(idx, panel, tk);
        if (firm < 0) {
            err = as_fail(AS_ERR_NOT_FOUND, "'%s': line %d: field 'ticker': '%.64s' has no "
                          "prices", path, cf.line, tk);
            goto cleanup;
        }
        int32_t d;
        if ((err = parse_date(&d, cf.fields[c_date], &cf, "event_date")))
            goto cleanup;
        int lo, no_day0;
        as_err day_err = estudy_day0(&lo, &no_day0, panel, d, compat);
        if (day_err == AS_ERR_RANGE) {
            err = as_fail(AS_ERR_RANGE, "'%s': line %d: field 'event_date': %s is after "
                          "the last price date", path, cf.line, cf.fields[c_date]);
            goto cleanup;
        }
        if (day_err) {
            err = as_fail(AS_ERR_RANGE, "'%s': line %d: field 'event_date': %s is not a "
                          "trading day in the prices (--compat estudy takes a session, or a "
                          "weekend before one, as Stata estudy does)", path, cf.line,
                          cf.fields[c_date]);
            goto cleanup;
        }
        *nmoved += panel->dates[lo] != d;
        if (n == cap) {
            int nc = cap ? cap * 2 : 256;
            estudy_event *ne = realloc(ev, (size_t)nc * sizeof *ne);
            if (!ne) {
                err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                goto cleanup;
            }
            ev = ne;
            cap = nc;
        }
        estudy_event e = {.firm = firm, .t0 = lo, .sector = -1, .shares = NAN,
                          .no_day0 = no_day0};
        if (c_sec >= 0 && cf.fields[c_sec][0]) {
            e.sector = names_intern(&sec, cf.fields[c_sec]);
            if (e.sector < 0) {
                err = as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
                goto cleanup;
            }
        }
        if (c_sh >= 0) {
            if ((err = parse_num(&e.shares, cf.fields[c_sh], &cf, "shares")))
                goto cleanup;
            if (!isnan(e.shares) && !(e.shares > 0)) {
                err = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'shares': must be "
                              "positive", path, cf.line);
                goto cleanup;
            }
        }
        ev[n++] = e;
    }
    if (rc < 0) {
        err = AS_ERR_PARSE;
        goto cleanup;
    }
    if (n == 0) {
        err = as_fail(AS_ERR_PARSE, "'%s': no events", path);
        goto cleanup;
    }
    *events = ev;
    *nevents = n;
    *sectors = sec.v;
    *nsectors = sec.n;
    ev = NULL;
    free(sec.slot);
    memset(&sec, 0, sizeof sec);

cleanup:
    csv_close(&cf);
    free(idx);
    free(ev);
    names_free(&sec);
    return err;
}

as_err estudy_csv_load_scores(double **score, const char *path, const estudy_panel *panel)
{
    struct csv_reader cf;
    *score = NULL;
    as_err err = csv_open(&cf, path);
    if (err)
        return err;
    double *s = calloc((size_t)(panel->ndates ? panel->ndates : 1), sizeof *s);
    if (!s) {
        csv_close(&cf);
        return as_fail(AS_ERR_NOMEM, "'%s': no memory", path);
    }
    int rc = csv_next(&cf);
    if (rc != 1 || cf.nfields != 2 || !field_is(cf.fields[0], "date") ||
        !field_is(cf.fields[1], "score")) {
        err = rc < 0 ? AS_ERR_PARSE
                     : as_fail(AS_ERR_PARSE, "'%s': line 1: field 'date': the header must "
                               "be 'date,score'", path);
        goto cleanup;
    }
    while ((rc = csv_next(&cf)) == 1) {
        if (cf.nfields != 2) {
            err = as_fail(AS_ERR_PARSE, "'%s': line %d: %zu fields, the header has 2", path,
                          cf.line, cf.nfields);
            goto cleanup;
        }
        int32_t d;
        double v;
        if ((err = parse_date(&d, cf.fields[0], &cf, "date")) ||
            (err = parse_num(&v, cf.fields[1], &cf, "score")))
            goto cleanup;
        int t = estudy_panel_date_index(panel, d);
        /* Scores on non-trading days belong to the next session; the events
         * engine aligns them already, so anything else is outside the data. */
        if (t >= 0 && !isnan(v))
            s[t] += v;
    }
    if (rc < 0)
        err = AS_ERR_PARSE;
cleanup:
    csv_close(&cf);
    if (err)
        free(s);
    else
        *score = s;
    return err;
}
