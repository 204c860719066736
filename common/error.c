/*
 * error.c -- names of the error codes, their exit codes, and the per-thread
 * detail message set by as_fail().
 *
 * The switches have no default case on purpose: adding a code to as_err
 * without naming it here is a compile error under -Wall -Werror.
 */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[2048];

const char *as_strerror(as_err err)
{
    switch (err) {
    case AS_OK: return "success";
    case AS_ERR_NOMEM: return "out of memory";
    case AS_ERR_IO: return "input/output error";
    case AS_ERR_PARSE: return "malformed input";
    case AS_ERR_USAGE: return "invalid usage";
    case AS_ERR_DB: return "database error";
    case AS_ERR_DB_CONNECT: return "database unreachable";
    case AS_ERR_HTTP: return "HTTP transfer failed";
    case AS_ERR_SOURCE: return "data source failed";
    case AS_ERR_RANGE: return "value out of range";
    case AS_ERR_FORMAT: return "invalid file format";
    case AS_ERR_UNSUPPORTED: return "unsupported";
    case AS_ERR_NUMERIC: return "numerical failure";
    case AS_ERR_NOT_FOUND: return "not found";
    case AS_ERR_CUDA: return "CUDA error";
    case AS_ERR_MAIL: return "mail delivery failed";
    case AS_ERR_LOCKED: return "locked by another run";
    }
    return "unknown error";
}

int as_exit_code(as_err err)
{
    switch (err) {
    case AS_OK: return AS_EXIT_OK;
    case AS_ERR_USAGE: return AS_EXIT_USAGE;
    case AS_ERR_DB_CONNECT: return AS_EXIT_DB;
    case AS_ERR_HTTP:
    case AS_ERR_SOURCE: return AS_EXIT_SOURCE;
    case AS_ERR_NOMEM:
    case AS_ERR_IO:
    case AS_ERR_PARSE:
    case AS_ERR_DB:
    case AS_ERR_RANGE:
    case AS_ERR_FORMAT:
    case AS_ERR_UNSUPPORTED:
    case AS_ERR_NUMERIC:
    case AS_ERR_NOT_FOUND:
    case AS_ERR_CUDA:
    case AS_ERR_MAIL:
    case AS_ERR_LOCKED: return AS_EXIT_FAILURE;
    }
    return AS_EXIT_FAILURE;
}

as_err as_fail(as_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return err;
}

as_err as_fail_context(as_err err, const char *fmt, ...)
{
    /* Build "<prefix>: <old detail>" in a larger buffer, then keep what fits:
     * a long detail loses its tail, never its beginning. */
    char joined[sizeof last_error + 512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, 512, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n > 511)
        n = 511;
    const char *rest = last_error[0] ? last_error : as_strerror(err);
    size_t rlen = strlen(rest);
    joined[n] = ':';
    joined[n + 1] = ' ';
    memcpy(joined + n + 2, rest, rlen + 1);
    size_t len = strlen(joined);
    if (len >= sizeof last_error)
        len = sizeof last_error - 1;
    memcpy(last_error, joined, len);
    last_error[len] = '\0';
    return err;
}

const char *as_last_error(void) { return last_error; }

void as_clear_error(void) { last_error[0] = '\0'; }
