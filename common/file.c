/*
 * file.c -- file_read_all() (see file.h).
 *
 * Grows a heap buffer by doubling; a read error (not end of file) fails
 * rather than returning a short file.
 */
#include "common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

as_err file_read_all(char **out, size_t *len, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    as_err e = AS_OK;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 == cap) {
            char *p = cap > ((size_t)-1) / 2 ? NULL : realloc(buf, cap * 2);
            if (!p)
                break;
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf || n + 1 == cap)
        e = as_fail(AS_ERR_NOMEM, "'%s': out of memory reading it", path);
    else if (ferror(f))
        e = as_fail(AS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (e) {
        free(buf);
        return e;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return AS_OK;
}
