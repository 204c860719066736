/*
 * sqlout.h -- `aftershock sql` output: the streamed result of sql_run()
 * written as an Excel sheet, CSV, JSON or an aligned text table.
 *
 * sql_export() picks the sink, runs the query and, when writing a file,
 * writes it under a temporary name and renames it only after the last row
 * (outfile.h): a failed or timed-out query leaves no file, and an old file
 * of the same name stays as it was.
 *
 * Excel: typed cells (integer and numeric as numbers, date and timestamp as
 * Excel dates with a date format, boolean as TRUE/FALSE, everything else as
 * text, never as a formula; NULL blank), a bold frozen header, column widths
 * from the data, an autofilter; libxlsxwriter's constant_memory mode keeps
 * one row in memory.  More rows than a sheet holds (1,048,575 under the
 * header) continue on a sheet "Result (2)" and so on.
 */
#ifndef AS_SQLOUT_H
#define AS_SQLOUT_H

#include <stdio.h>

#include "reports/sqlrun.h"

enum sql_format {
    SQL_FORMAT_TABLE = 0,
    SQL_FORMAT_CSV,
    SQL_FORMAT_JSON,
    SQL_FORMAT_XLSX,
};

/* "table", "csv", "json", "xlsx" -> format; -1 when unknown. */
int sql_format_from_name(const char *name);

/* Run q and write the result in format f to path (temporary name, then
 * rename), or to out when path is NULL (xlsx needs a path).
 * *nrows = rows written. */
as_err sql_export(PGconn *db, const struct sql_run_opts *q, enum sql_format f,
                  const char *path, FILE *out, long long *nrows);

#endif
