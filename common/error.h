/*
 * error.h -- the one error enum of aftershock, and the last-error detail.
 *
 * Library code (ingest/, analytics/, model/, reports/) never prints and never
 * exits: it returns an as_err and, for anything the user must read, records a
 * sentence with as_fail() naming the file or source, the line and the field.
 * Only the subcommands in cli/ print (via msg.h) and choose an exit code with
 * as_exit_code().  The numbers are stable: they may appear in logs and in the
 * ingest_runs table.
 */
#ifndef AS_ERROR_H
#define AS_ERROR_H

typedef enum as_err {
    AS_OK = 0,
    AS_ERR_NOMEM = 1,        /* allocation failed */
    AS_ERR_IO = 2,           /* reading or writing a local file */
    AS_ERR_PARSE = 3,        /* malformed input: file/source, line, field */
    AS_ERR_USAGE = 4,        /* bad command-line or configuration value */
    AS_ERR_DB = 5,           /* a query or COPY failed */
    AS_ERR_DB_CONNECT = 6,   /* the database cannot be reached or started */
    AS_ERR_HTTP = 7,         /* transport failure or HTTP error status */
    AS_ERR_SOURCE = 8,       /* a data source answered with unusable data */
    AS_ERR_RANGE = 9,        /* a value or index out of its allowed range */
    AS_ERR_FORMAT = 10,      /* a binary file (GGUF, ...) is broken */
    AS_ERR_UNSUPPORTED = 11, /* a valid input we deliberately do not handle */
    AS_ERR_NUMERIC = 12,     /* singular system, too few observations */
    AS_ERR_NOT_FOUND = 13,   /* a named thing (event, ticker, file) is absent */
    AS_ERR_CUDA = 14,        /* a CUDA or cuBLAS call failed */
    AS_ERR_MAIL = 15,        /* SMTP delivery failed */
    AS_ERR_LOCKED = 16,      /* another run holds the lock */
} as_err;

/* Fixed process exit codes, documented in `aftershock help`. */
enum {
    AS_EXIT_OK = 0,
    AS_EXIT_FAILURE = 1,
    AS_EXIT_USAGE = 2,
    AS_EXIT_DB = 3,
    AS_EXIT_SOURCE = 4,
};

/* Short English name of a code; never NULL. */
const char *as_strerror(as_err err);

/* The exit code a subcommand should use for err. */
int as_exit_code(as_err err);

/*
 * Record a detailed message for err (printf-style) and return err, so a
 * failing function can write `return as_fail(AS_ERR_PARSE, "'%s': line %d:
 * field '%s': expected a number", path, line, field);`.  The message is kept
 * per thread until the next as_fail() or as_clear_error().
 */
as_err as_fail(as_err err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the current detail with more context ("ingest 'NVDA': ..."). */
as_err as_fail_context(as_err err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The detail recorded by the last as_fail() on this thread, or "" if none. */
const char *as_last_error(void);
void as_clear_error(void);

#endif
