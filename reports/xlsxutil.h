/*
 * xlsxutil.h -- small pieces every libxlsxwriter writer here shares: error
 * mapping, PostgreSQL date/time text to Excel datetimes, display widths and
 * the one safe way to write outside text.
 *
 * Why xlsx_write_text exists: worksheet_write_string() always stores a
 * string, but it fails on text over Excel's 32,767-character cell limit;
 * this truncates at a UTF-8 boundary instead of losing the row.  Text from
 * outside (headlines, query results) never goes through a formula or URL
 * writer, so "=HYPERLINK(...)" stays text.
 */
#ifndef AS_XLSXUTIL_H
#define AS_XLSXUTIL_H

#include <xlsxwriter.h>

#include "common/error.h"

/* AS_OK for LXW_NO_ERROR, else AS_ERR_IO naming path and what was done. */
as_err xlsx_check(lxw_error err, const char *path, const char *what);

/* Parse "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.ffffff][+TZ]" (DateStyle ISO;
 * a zone suffix is dropped: callers ask the server for UTC).  Returns -1
 * for what Excel cannot show as a date (BC, infinity, year < 1900). */
int xlsx_datetime_parse(lxw_datetime *out, const char *s);

/* Characters (UTF-8 code points) in s: a column-width estimate. */
int xlsx_text_width(const char *s);

/* Write s as a string cell, truncated to Excel's limit if needed. */
lxw_error xlsx_write_text(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s,
                          lxw_format *fmt);

#endif
