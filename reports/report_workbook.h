/*
 * report_workbook.h -- the event workbook analysts open: sheets Summary,
 * Events, Impact, Groups, Charts, Data and Method, written with
 * libxlsxwriter from a loaded struct report_data.
 *
 * The file is written under a temporary name in the destination folder and
 * renamed when complete (outfile.h), so a failed run leaves no broken file
 * and an earlier workbook of the same name stays as it was.  Text from
 * outside (headlines, sources, names) is always written as a string, never
 * as a formula.  Not here: queries (report_data.c) or delivery (mail.c).
 */
#ifndef AS_REPORT_WORKBOOK_H
#define AS_REPORT_WORKBOOK_H

#include "common/error.h"
#include "reports/report_data.h"

/* Sheet names, in order (tests and the nightly run refer to them). */
extern const char *const report_sheet_names[7];

as_err report_workbook_write(const char *path, const struct report_data *d);

#endif
