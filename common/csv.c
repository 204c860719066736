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

as_err csv_open(struct csv_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *data = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&data, &n);
    char chunk[65536];
    size_t k;
    as_err e = AS_OK;
    if (!m)
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
    while (!e && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fwrite(chunk, 1, k, m) != k)
            e = as_fail(AS_ERR_NOMEM, "'%s': out of memory", path);
    if (!e && ferror(f))
        e = as_fail(AS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (m)
        fclose(m);
    if (!e)
        e = csv_open_mem(r, path, data ? data : "", n);
    free(data);
    return e;
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
