/*
 * msg.c -- stderr helpers: error/warning/note lines and a terminal progress
 * line.  Nothing else in the program writes to stderr directly.
 */
#include "common/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int quiet;
static int progress_shown;

static void vemit(const char *kind, const char *fmt, va_list ap)
{
    if (progress_shown)
        as_progress_end();
    fputs("aftershock: ", stderr);
    if (kind)
        fputs(kind, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void as_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit("error: ", fmt, ap);
    va_end(ap);
}

void as_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit("warning: ", fmt, ap);
    va_end(ap);
}

void as_note(const char *fmt, ...)
{
    va_list ap;
    if (quiet)
        return;
    va_start(ap, fmt);
    vemit(NULL, fmt, ap);
    va_end(ap);
}

int as_error_last(as_err err)
{
    const char *detail = as_last_error();
    as_error("%s", detail[0] ? detail : as_strerror(err));
    return as_exit_code(err);
}

void as_set_quiet(int q) { quiet = q; }

void as_progress(const char *fmt, ...)
{
    va_list ap;
    if (quiet || !isatty(STDERR_FILENO))
        return;
    fputs("\r\033[Kaftershock: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    progress_shown = 1;
}

void as_progress_end(void)
{
    if (!progress_shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    progress_shown = 0;
}
