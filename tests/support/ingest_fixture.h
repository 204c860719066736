/*
 * ingest_fixture.h -- test helper: read a file from tests/fixtures/ingest/
 * (under $AS_SRC_DIR, default the current directory) into memory.
 */
#ifndef AS_INGEST_FIXTURE_H
#define AS_INGEST_FIXTURE_H

#include <stddef.h>

/* The whole file, NUL-terminated, heap (caller frees); NULL if unreadable. */
char *ingest_fixture_read(const char *name, size_t *len);

/* Absolute path of a fixture, heap (caller frees). */
char *ingest_fixture_path(const char *name);

#endif
