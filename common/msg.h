/*
 * msg.h -- the only way aftershock talks to the user on stderr.
 *
 * Every line starts with the program name: "aftershock: error: ...",
 * "aftershock: warning: ...", "aftershock: ...".  Results go to stdout, never
 * through these.  as_error_last() prints the detail recorded by as_fail().
 * as_progress() draws a one-line progress bar only when stderr is a terminal.
 */
#ifndef AS_MSG_H
#define AS_MSG_H

#include "common/error.h"

void as_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void as_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void as_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "aftershock: error: <detail of err>" and return as_exit_code(err). */
int as_error_last(as_err err);

/* Suppress as_note() (for --quiet). */
void as_set_quiet(int quiet);

/* Progress line, e.g. "ingest prices 12/21 tickers, 13181 rows, 5400 rows/s";
 * drawn with \r on a terminal, silent otherwise.  as_progress_end() clears it. */
void as_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void as_progress_end(void);

#endif
