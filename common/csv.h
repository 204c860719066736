/*
 * csv.h -- an RFC 4180 record reader for the CSV files aftershock reads
 * itself (reference data, study inputs, lexicons): quoted fields with
 * embedded commas, quotes and newlines, CRLF or LF, a UTF-8 BOM skipped.
 *
 * It reads a whole file or buffer into memory and hands out one record at a
 * time; fields are NUL-terminated strings owned by the reader, valid until
 * the next csv_next().  Errors carry the source name and line.  Provider
 * price formats have their own parsers in ingest/; this is not one of them.
 */
#ifndef AS_CSV_H
#define AS_CSV_H

#include <stddef.h>

#include "common/error.h"

struct csv_reader {
    char name[512];  /* file name or source label, for messages */
    char *buf;       /* owned copy of the input */
    size_t len, pos;
    int line;        /* line on which the current record starts (1-based) */
    int next_line;
    char **fields;   /* nfields pointers into rec */
    size_t nfields, cap;
    char *rec;       /* unescaped current record */
    size_t rec_cap;
};

as_err csv_open(struct csv_reader *r, const char *path);
as_err csv_open_mem(struct csv_reader *r, const char *name, const char *buf, size_t len);
void csv_close(struct csv_reader *r);

/* Read the next record: 1 = a record, 0 = end of input, -1 = error
 * (recorded with as_fail, AS_ERR_PARSE).  Blank lines are skipped. */
int csv_next(struct csv_reader *r);

/* Index of header name in the current record (case-insensitive), or -1. */
int csv_find(const struct csv_reader *r, const char *name);

#endif
