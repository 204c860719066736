/*
 * csv.c -- the RFC 4180 record reader declared in csv.h.
 *
 * One pass over an owned buffer; a record's fields are unescaped into a
 * growing scratch buffer so quoted fields with "" and newlines come out as
 * plain strings.  An unterminated quote is an error naming the line where
 * the field began.
 */
#include "common/csv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

as_err csv_open_mem(struct csv_reader *r, const char *name, const char *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->buf = malloc(len + 1);
    if (!r->buf)
        return as_fail(AS_ERR_NOMEM, "'%s': out of memory", name);
    memcpy(r->buf, buf, len);
    r->buf[len] = '\0';
    r->len = len;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    r->next_line = 1;
    return AS_OK;
}

/* The buffer takes the reader's whole input.  A regular file is read once
 * into a block of its size (a 34 MB study input was copied twice through a
 * growing memory stream, a tenth of the run); a pipe or other stream of
 * unknown size grows the block by doubling. */
as_err csv_open(struct csv_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    as_err e = AS_OK;
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
                     ? (size_t)st.st_size + 1
                     : 65536;
    size_t n = 0, k;
    char *data = malloc(cap);
    if (!data)
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
    while (!e && (k = fread(data + n, 1, cap - 1 - n, f)) > 0) {
        n += k;
        if (n == cap - 1) {
            char *g = realloc(data, cap * 2);
            if (!g) {
                e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
                break;
            }
            data = g;
            cap *= 2;
        }
    }
    if (!e && ferror(f))
        e = as_fail(AS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (e) {
        free(data);
        return e;
    }
    data[n] = '\0';
    r->buf = data;
    r->len = n;
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    r->next_line = 1;
    return AS_OK;
}

void csv_close(struct csv_reader *r)
{
    free(r->buf);
    free(r->fields);
    free(r->rec);
    memset(r, 0, sizeof *r);
}

static int field_push(struct csv_reader *r, size_t start)
{
    if (r->nfields == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        char **p = realloc(r->fields, cap * sizeof *p);
        if (!p)
            return -1;
        r->fields = p;
        r->cap = cap;
    }
    /* Store offsets now; turned into pointers once rec stops moving. */
    r->fields[r->nfields++] = (char *)(uintptr_t)start;
    return 0;
}

int csv_next(struct csv_reader *r)
{
    /* Skip blank lines between records. */
    while (r->pos < r->len && (r->buf[r->pos] == '\n' || r->buf[r->pos] == '\r')) {
        if (r->buf[r->pos] == '\n')
            r->next_line++;
        r->pos++;
    }
    if (r->pos >= r->len)
        return 0;
    r->line = r->next_line;
    r->nfields = 0;
    if (r->rec_cap < r->len - r->pos + 1) {
        char *p = realloc(r->rec, r->len - r->pos + 1);
        if (!p) {
            as_fail(AS_ERR_NOMEM, "'%s': out of memory", r->name);
            return -1;
        }
        r->rec = p;
        r->rec_cap = r->len - r->pos + 1;
    }
    size_t out = 0;
    if (field_push(r, 0) != 0)
        goto nomem;
    for (;;) {
        char c = r->pos < r->len ? r->buf[r->pos] : '\n';
        if (c == '"' && (out == 0 || r->rec[out - 1] == '\0')) {
            int qline = r->next_line;
            r->pos++;
            for (;;) {
                if (r->pos >= r->len) {
                    as_fail(AS_ERR_PARSE, "'%s': line %d: field %zu: unterminated quoted field",
                            r->name, qline, r->nfields);
                    return -1;
                }
                char q = r->buf[r->pos++];
                if (q == '"') {
                    if (r->pos < r->len && r->buf[r->pos] == '"') {
                        r->rec[out++] = '"';
                        r->pos++;
                        continue;
                    }
                    break;
                }
                if (q == '\n')
                    r->next_line++;
                r->rec[out++] = q;
            }
            continue;
        }
        if (c == ',') {
            r->rec[out++] = '\0';
            r->pos++;
            if (field_push(r, out) != 0)
                goto nomem;
            continue;
        }
        if (c == '\r' || c == '\n') {
            r->rec[out++] = '\0';
            if (r->pos < r->len && c == '\r')
                r->pos++;
            if (r->pos < r->len && r->buf[r->pos] == '\n')
                r->pos++;
            r->next_line++;
            break;
        }
        r->rec[out++] = c;
        r->pos++;
    }
    for (size_t i = 0; i < r->nfields; i++)
        r->fields[i] = r->rec + (uintptr_t)r->fields[i];
    return 1;
nomem:
    as_fail(AS_ERR_NOMEM, "'%s': out of memory", r->name);
    return -1;
}

int csv_find(const struct csv_reader *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcasecmp(r->fields[i], name) == 0)
            return (int)i;
    return -1;
}
