/*
 * sqlout.c -- the four sinks of `aftershock sql` (xlsx, csv, json, aligned
 * table) and sql_export(), which wires a sink to sql_run() and a file.
 *
 * Each sink keeps only what one row needs, except the text table, which
 * holds its first TABLE_PEEK rows to size the columns (psql holds them all)
 * and prints the rest as they come with those widths.  Memory: every sink
 * frees what it allocated in its end or in sink_free, whichever runs.
 */
#include "reports/sqlout.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "reports/outfile.h"
#include "reports/xlsxutil.h"

#define TABLE_PEEK 1000
#define XLSX_MAX_WIDTH 60

int sql_format_from_name(const char *name)
{
    static const char *const names[] = {"table", "csv", "json", "xlsx"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* ---- common state ------------------------------------------------------ */

struct out {
    enum sql_format format;
    FILE *f;             /* text formats */
    const char *path;    /* final name, for messages ("standard output") */
    const char *tmp;     /* xlsx: the temporary file libxlsxwriter writes */
    const struct sql_column *cols;
    int ncols;
    /* xlsx */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *date, *datetime;
    lxw_row_t row;
    int sheet_no;
    int *width;          /* (ncols) display width of the current sheet */
    const char *query;
    /* table */
    char **peek;         /* (TABLE_PEEK * ncols) strings, NULL = SQL NULL */
    int npeek;
    int peek_done;
};

static as_err write_failed(const struct out *o)
{
    return as_fail(AS_ERR_IO, "cannot write '%s': %s", o->path, strerror(errno));
}

static int type_is_number(enum sql_type t)
{
    return t == SQL_TYPE_INTEGER || t == SQL_TYPE_NUMERIC;
}

/* ---- CSV (RFC 4180; NULL is an empty field, as psql's csv format) ----- */

static int csv_field(FILE *f, const char *s)
{
    if (!s)
        return 0;
    if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!s[0] || s[strlen(s) - 1] != ' '))
        return fputs(s, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (; *s; s++)
        if ((*s == '"' && fputc('"', f) == EOF) || fputc(*s, f) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

static as_err csv_begin(void *self, const struct sql_column *cols, int ncols)
{
    struct out *o = self;
    for (int c = 0; c < ncols; c++)
        if ((c && fputc(',', o->f) == EOF) || csv_field(o->f, cols[c].name))
            return write_failed(o);
    return fputs("\r\n", o->f) < 0 ? write_failed(o) : AS_OK;
}

static as_err csv_row(void *self, const char *const *v, int ncols)
{
    struct out *o = self;
    for (int c = 0; c < ncols; c++)
        if ((c && fputc(',', o->f) == EOF) || csv_field(o->f, v[c]))
            return write_failed(o);
    return fputs("\r\n", o->f) < 0 ? write_failed(o) : AS_OK;
}

static as_err text_end(void *self, long long nrows)
{
    (void)nrows;
    struct out *o = self;
    return fflush(o->f) != 0 || ferror(o->f) ? write_failed(o) : AS_OK;
}

/* ---- JSON: one array of objects, numbers and booleans typed ------------ */

static int json_string(FILE *f, const char *s)
{
    if (fputc('"', f) == EOF)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int r;
        if (*p == '"' || *p == '\\')
            r = fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            r = fputs("\\n", f);
        else if (*p == '\r')
            r = fputs("\\r", f);
        else if (*p == '\t')
            r = fputs("\\t", f);
        else if (*p < 0x20)
            r = fprintf(f, "\\u%04x", *p);
        else
            r = fputc(*p, f) == EOF ? -1 : 0;
        if (r < 0)
            return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

/* PostgreSQL prints NaN and Infinity for numeric/float; JSON has no such
 * numbers, so they become strings. */
static int json_number_ok(const char *s)
{
    return strcmp(s, "NaN") != 0 && strstr(s, "Infinity") == NULL;
}

static as_err json_begin(void *self, const struct sql_column *cols, int ncols)
{
    struct out *o = self;
    o->cols = cols;
    o->ncols = ncols;
    return fputs("[", o->f) < 0 ? write_failed(o) : AS_OK;
}

static as_err json_row(void *self, const char *const *v, int ncols)
{
    struct out *o = self;
    FILE *f = o->f;
    if (fputs(o->row ? ",\n {" : "\n {", f) < 0)
        return write_failed(o);
    o->row++;
    for (int c = 0; c < ncols; c++) {
        enum sql_type t = o->cols[c].type;
        int r = (c && fputs(", ", f) < 0) || json_string(f, o->cols[c].name) ||
                fputs(": ", f) < 0;
        if (r)
            return write_failed(o);
        if (!v[c])
            r = fputs("null", f) < 0;
        else if (t == SQL_TYPE_BOOLEAN)
            r = fputs(v[c][0] == 't' ? "true" : "false", f) < 0;
        else if (type_is_number(t) && json_number_ok(v[c]))
            r = fputs(v[c], f) < 0;
        else
            r = json_string(f, v[c]);
        if (r)
            return write_failed(o);
    }
    return fputc('}', f) == EOF ? write_failed(o) : AS_OK;
}

static as_err json_end(void *self, long long nrows)
{
    struct out *o = self;
    if (fputs(nrows ? "\n]\n" : "]\n", o->f) < 0)
        return write_failed(o);
    return text_end(self, nrows);
}

/* ---- aligned text table, psql style ------------------------------------ */

static as_err table_begin(void *self, const struct sql_column *cols, int ncols)
{
    struct out *o = self;
    o->cols = cols;
    o->ncols = ncols;
    o->peek = calloc((size_t)TABLE_PEEK * (size_t)(ncols ? ncols : 1), sizeof *o->peek);
    o->width = calloc((size_t)ncols + 1, sizeof *o->width);
    if (!o->peek || !o->width)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    for (int c = 0; c < ncols; c++)
        o->width[c] = xlsx_text_width(cols[c].name);
    return AS_OK;
}

static int table_cell(FILE *f, const char *s, int width, int right)
{
    const char *v = s ? s : "";
    int pad = width - xlsx_text_width(v);
    if (pad < 0)
        pad = 0;
    if (right)
        return fprintf(f, "%*s%s", pad, "", v) < 0 ? -1 : 0;
    return fprintf(f, "%s%*s", v, pad, "") < 0 ? -1 : 0;
}

static int table_line(struct out *o, const char *const *v)
{
    for (int c = 0; c < o->ncols; c++) {
        if (c && fputs(" | ", o->f) < 0)
            return -1;
        int last = c == o->ncols - 1;
        int right = v != NULL && type_is_number(o->cols[c].type);
        const char *s = v ? v[c] : o->cols[c].name;
        /* The last column is not padded, so lines carry no trailing blanks. */
        if (last && !right) {
            if (s && fputs(s, o->f) < 0)
                return -1;
        } else if (table_cell(o->f, s, o->width[c], right)) {
            return -1;
        }
    }
    return fputc('\n', o->f) == EOF ? -1 : 0;
}

/* Print the header and the rows held so far, then free them. */
static as_err table_flush_peek(struct out *o)
{
    o->peek_done = 1;
    int r = table_line(o, NULL);
    for (int c = 0; !r && c < o->ncols; c++) {
        if (c && fputs("-+-", o->f) < 0)
            r = -1;
        for (int i = 0; !r && i < o->width[c]; i++)
            if (fputc('-', o->f) == EOF)
                r = -1;
    }
    if (!r && fputc('\n', o->f) == EOF)
        r = -1;
    for (int i = 0; !r && i < o->npeek; i++)
        r = table_line(o, (const char *const *)&o->peek[(size_t)i * (size_t)o->ncols]);
    for (size_t i = 0; i < (size_t)o->npeek * (size_t)o->ncols; i++)
        free(o->peek[i]);
    o->npeek = 0;
    return r ? write_failed(o) : AS_OK;
}

static as_err table_row(void *self, const char *const *v, int ncols)
{
    struct out *o = self;
    if (o->peek_done)
        return table_line(o, v) ? write_failed(o) : AS_OK;
    char **slot = &o->peek[(size_t)o->npeek * (size_t)ncols];
    for (int c = 0; c < ncols; c++) {
        slot[c] = v[c] ? strdup(v[c]) : NULL;
        if (v[c] && !slot[c])
            return as_fail(AS_ERR_NOMEM, "out of memory");
        int w = v[c] ? xlsx_text_width(v[c]) : 0;
        if (w > o->width[c])
            o->width[c] = w;
    }
    if (++o->npeek == TABLE_PEEK)
        return table_flush_peek(o);
    return AS_OK;
}

static as_err table_end(void *self, long long nrows)
{
    struct out *o = self;
    as_err e = o->peek_done ? AS_OK : table_flush_peek(o);
    if (e)
        return e;
    if (fprintf(o->f, "(%lld row%s)\n", nrows, nrows == 1 ? "" : "s") < 0)
        return write_failed(o);
    return text_end(self, nrows);
}

/* ---- Excel ------------------------------------------------------------- */

static as_err xlsx_sheet_start(struct out *o)
{
    char name[32];
    o->sheet_no++;
    if (o->sheet_no == 1)
        snprintf(name, sizeof name, "Result");
    else
        snprintf(name, sizeof name, "Result (%d)", o->sheet_no);
    o->ws = workbook_add_worksheet(o->wb, name);
    if (!o->ws)
        return as_fail(AS_ERR_IO, "'%s': cannot add sheet '%s'", o->path, name);
    for (int c = 0; c < o->ncols; c++) {
        o->width[c] = xlsx_text_width(o->cols[c].name);
        as_err e = xlsx_check(xlsx_write_text(o->ws, 0, (lxw_col_t)c, o->cols[c].name, o->bold),
                              o->path, "header");
        if (e)
            return e;
    }
    worksheet_freeze_panes(o->ws, 1, 0);
    o->row = 1;
    return AS_OK;
}

/* Widths and the filter are known only after the sheet's last row; in
 * constant_memory mode libxlsxwriter still accepts both at that point
 * because they live outside the streamed row data. */
static as_err xlsx_sheet_finish(struct out *o)
{
    for (int c = 0; c < o->ncols; c++) {
        int w = o->width[c] + 2 < 8 ? 8 : o->width[c] + 2;
        worksheet_set_column(o->ws, (lxw_col_t)c, (lxw_col_t)c, w > XLSX_MAX_WIDTH ? XLSX_MAX_WIDTH : w,
                             NULL);
    }
    if (o->ncols > 0)
        return xlsx_check(worksheet_autofilter(o->ws, 0, 0, o->row - 1, (lxw_col_t)(o->ncols - 1)),
                          o->path, "autofilter");
    return AS_OK;
}

static as_err xlsx_begin(void *self, const struct sql_column *cols, int ncols)
{
    struct out *o = self;
    o->cols = cols;
    o->ncols = ncols;
    if (ncols > LXW_COL_MAX)
        return as_fail(AS_ERR_RANGE, "'%s': %d columns, more than a sheet holds (%d)", o->path,
                       ncols, LXW_COL_MAX);
    o->width = calloc((size_t)ncols + 1, sizeof *o->width);
    if (!o->width)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    /* Create the file first: libxlsxwriter only opens it in
     * workbook_close() and prints its own message when that fails. */
    FILE *probe = fopen(o->tmp, "w");
    if (!probe)
        return as_fail(AS_ERR_IO, "cannot create '%s': %s", o->path, strerror(errno));
    fclose(probe);
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE, .use_zip64 = LXW_TRUE};
    o->wb = workbook_new_opt(o->tmp, &opts);
    if (!o->wb)
        return as_fail(AS_ERR_IO, "cannot create '%s'", o->path);
    lxw_doc_properties props = {
        .title = "aftershock sql",
        .comments = (char *)o->query,
        .author = "aftershock",
    };
    workbook_set_properties(o->wb, &props);
    o->bold = workbook_add_format(o->wb);
    format_set_bold(o->bold);
    o->date = workbook_add_format(o->wb);
    format_set_num_format(o->date, "yyyy-mm-dd");
    o->datetime = workbook_add_format(o->wb);
    format_set_num_format(o->datetime, "yyyy-mm-dd hh:mm:ss");
    return xlsx_sheet_start(o);
}

/* Integers beyond 2^53 lose digits as doubles; Excel shows them as text. */
static lxw_error xlsx_integer(struct out *o, lxw_col_t c, const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || llabs(v) > (1LL << 53))
        return xlsx_write_text(o->ws, o->row, c, s, NULL);
    return worksheet_write_number(o->ws, o->row, c, (double)v, NULL);
}

static lxw_error xlsx_numeric(struct out *o, lxw_col_t c, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return xlsx_write_text(o->ws, o->row, c, s, NULL);
    return worksheet_write_number(o->ws, o->row, c, v, NULL);
}

static lxw_error xlsx_datetime(struct out *o, lxw_col_t c, const char *s, int with_time)
{
    lxw_datetime dt;
    if (xlsx_datetime_parse(&dt, s) != 0)
        return xlsx_write_text(o->ws, o->row, c, s, NULL);
    return worksheet_write_datetime(o->ws, o->row, c, &dt, with_time ? o->datetime : o->date);
}

static as_err xlsx_row(void *self, const char *const *v, int ncols)
{
    struct out *o = self;
    if (o->row > LXW_ROW_MAX - 1) {
        as_err e = xlsx_sheet_finish(o);
        if (e || (e = xlsx_sheet_start(o)))
            return e;
    }
    for (int c = 0; c < ncols; c++) {
        if (!v[c])
            continue; /* NULL: a blank cell */
        lxw_col_t col = (lxw_col_t)c;
        lxw_error err;
        int w;
        switch (o->cols[c].type) {
        case SQL_TYPE_INTEGER:
            err = xlsx_integer(o, col, v[c]);
            w = (int)strlen(v[c]);
            break;
        case SQL_TYPE_NUMERIC:
            err = xlsx_numeric(o, col, v[c]);
            w = (int)strlen(v[c]);
            if (w > 12)
                w = 12; /* Excel's General format shows about 11 digits */
            break;
        case SQL_TYPE_BOOLEAN:
            err = worksheet_write_boolean(o->ws, o->row, col, v[c][0] == 't', NULL);
            w = 5;
            break;
        case SQL_TYPE_DATE:
            err = xlsx_datetime(o, col, v[c], 0);
            w = 10;
            break;
        case SQL_TYPE_TIMESTAMP:
        case SQL_TYPE_TIMESTAMPTZ:
            err = xlsx_datetime(o, col, v[c], 1);
            w = 19;
            break;
        case SQL_TYPE_TEXT:
        default:
            err = xlsx_write_text(o->ws, o->row, col, v[c], NULL);
            w = xlsx_text_width(v[c]);
            break;
        }
        if (err)
            return as_fail(AS_ERR_IO, "'%s': row %u, column '%s': %s", o->path,
                           (unsigned)o->row, o->cols[c].name, lxw_strerror(err));
        if (w > o->width[c])
            o->width[c] = w;
    }
    o->row++;
    return AS_OK;
}

static as_err xlsx_end(void *self, long long nrows)
{
    (void)nrows;
    struct out *o = self;
    as_err e = xlsx_sheet_finish(o);
    lxw_error err = workbook_close(o->wb);
    o->wb = NULL;
    return e ? e : xlsx_check(err, o->path, "cannot write workbook");
}

/* ---- wiring ------------------------------------------------------------ */

static void out_free(struct out *o)
{
    if (o->wb)
        workbook_close(o->wb); /* error path: the temporary file is discarded */
    if (o->peek)
        for (size_t i = 0; i < (size_t)o->npeek * (size_t)o->ncols; i++)
            free(o->peek[i]);
    free(o->peek);
    free(o->width);
}

as_err sql_export(PGconn *db, const struct sql_run_opts *q, enum sql_format f,
                  const char *path, FILE *out, long long *nrows)
{
    struct out o = {.format = f, .f = out, .path = path ? path : "standard output",
                    .query = q->query};
    struct sql_sink sink = {.self = &o};
    char tmp[4096] = "";
    as_err e = AS_OK;
    *nrows = 0;
    switch (f) {
    case SQL_FORMAT_TABLE:
        sink.begin = table_begin, sink.row = table_row, sink.end = table_end;
        break;
    case SQL_FORMAT_CSV:
        sink.begin = csv_begin, sink.row = csv_row, sink.end = text_end;
        break;
    case SQL_FORMAT_JSON:
        sink.begin = json_begin, sink.row = json_row, sink.end = json_end;
        break;
    case SQL_FORMAT_XLSX:
        sink.begin = xlsx_begin, sink.row = xlsx_row, sink.end = xlsx_end;
        if (!path)
            return as_fail(AS_ERR_USAGE, "sql: Excel output needs a file (-o FILE.xlsx)");
        break;
    }
    if (path) {
        if ((e = outfile_tmpname(tmp, sizeof tmp, path)))
            return e;
        o.tmp = tmp;
        if (f != SQL_FORMAT_XLSX && !(o.f = fopen(tmp, "w")))
            return as_fail(AS_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    }
    e = sql_run(db, q, &sink, nrows);
    out_free(&o);
    if (path && f != SQL_FORMAT_XLSX && fclose(o.f) != 0 && !e)
        e = as_fail(AS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (path && !e)
        e = outfile_commit(tmp, path);
    else if (path)
        outfile_discard(tmp);
    return e;
}
