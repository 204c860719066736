/*
 * xlsx_bench.c -- our side of bench/xlsx_bench.sh: write one sheet of
 * ROWS x 10 cells the way `aftershock sql -o x.xlsx` does (libxlsxwriter in
 * constant_memory mode, strings through xlsx_write_text, dates as Excel
 * dates with a format) and print the seconds it took.
 *
 *   build/bench/xlsx_bench OUT.xlsx ROWS
 *
 * The columns, identical in bench/xlsx_bench.py: id (integer), 4 numbers,
 * 3 strings, 2 dates.  The timing covers workbook creation to close (the
 * zip is written at close), as the Python side's does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xlsxwriter.h>

#include "reports/xlsxutil.h"

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: xlsx_bench OUT.xlsx ROWS\n");
        return 2;
    }
    char *end;
    long rows = strtol(argv[2], &end, 10);
    if (*end || rows <= 0 || rows >= 1048576) {
        fprintf(stderr, "xlsx_bench: ROWS must be in 1..1048575\n");
        return 2;
    }
    double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE};
    lxw_workbook *wb = workbook_new_opt(argv[1], &opts);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Result");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd");
    static const char *const head[10] = {"id", "a", "b", "c", "d", "s1", "s2", "s3", "d1", "d2"};
    for (int c = 0; c < 10; c++)
        xlsx_write_text(ws, 0, (lxw_col_t)c, head[c], bold);
    char buf[64];
    for (long r = 1; r <= rows; r++) {
        lxw_row_t row = (lxw_row_t)r;
        worksheet_write_number(ws, row, 0, (double)r, NULL);
        for (int c = 1; c <= 4; c++)
            worksheet_write_number(ws, row, (lxw_col_t)c, (double)r * c * 0.25, NULL);
        for (int c = 5; c <= 7; c++) {
            snprintf(buf, sizeof buf, "row %ld col %d", r, c);
            xlsx_write_text(ws, row, (lxw_col_t)c, buf, NULL);
        }
        for (int c = 8; c <= 9; c++) {
            lxw_datetime dt = {2020 + (int)(r % 5), (uint8_t)(1 + r % 12), (uint8_t)(1 + r % 28), 0, 0, 0};
            worksheet_write_datetime(ws, row, (lxw_col_t)c, &dt, date);
        }
    }
    worksheet_autofilter(ws, 0, 0, (lxw_row_t)rows, 9);
    lxw_error err = workbook_close(wb);
    double t1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    if (err) {
        fprintf(stderr, "xlsx_bench: %s\n", lxw_strerror(err));
        return 1;
    }
    printf("%.4f %.4f\n", t1 - t0, c1 - c0);
    return 0;
}
