/*
 * ingest_fixture.c -- reads the recorded provider answers the ingest tests
 * feed to parsers and to the loopback HTTP server.  Test code only.
 */
#include "tests/support/ingest_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *ingest_fixture_path(const char *name)
{
    const char *root = getenv("AS_SRC_DIR");
    char cwd[4096];
    if (!root || !*root)
        root = getcwd(cwd, sizeof cwd) ? cwd : ".";
    size_t n = strlen(root) + strlen(name) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/tests/fixtures/ingest/%s", root, name);
    return p;
}

char *ingest_fixture_read(const char *name, size_t *len)
{
    char *path = ingest_fixture_path(name), *buf = NULL;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f)
        goto done;
    if (fseek(f, 0, SEEK_END) != 0)
        goto done;
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto done;
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
done:
    if (f)
        fclose(f);
    free(path);
    return buf;
}
