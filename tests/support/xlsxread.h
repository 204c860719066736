/*
 * xlsxread.h -- read a workbook back through the independent reader
 * (tests/support/xlsx_dump.py, python3-openpyxl) as a jansson document.
 *
 * xlsx_read() returns NULL, with the reason printed, when /usr/bin/python3
 * or openpyxl is missing or the file cannot be read; tests skip() on a
 * missing reader and fail on an unreadable file (xlsx_reader_available()).
 * Cell helpers index the "rows" arrays the script prints.
 */
#ifndef AS_XLSXREAD_H
#define AS_XLSXREAD_H

#include <jansson.h>

int xlsx_reader_available(void);

/* Caller json_decref()s.  max_rows < 0: every row. */
json_t *xlsx_read(const char *path, int max_rows);

/* The cell object at (row, col) of sheet (0-based), or NULL. */
json_t *xlsx_cell(json_t *doc, const char *sheet, int row, int col);

/* Index of the first row whose column col is the string s, or -1. */
int xlsx_find_row(json_t *doc, const char *sheet, int col, const char *s);

/* Index of the column whose header (row hdr_row) is s, or -1. */
int xlsx_find_col(json_t *doc, const char *sheet, int hdr_row, const char *s);

#endif
