/*
 * ingest_fixture.h -- test helper: read a file from tests/fixtures/ingest/
 * (under $AS_SRC_DIR, default the current directory) into memory, and run
 * the loopback fault server over those files.
 */
#ifndef AS_INGEST_FIXTURE_H
#define AS_INGEST_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

/* The whole file, NUL-terminated, heap (caller frees); NULL if unreadable. */
char *ingest_fixture_read(const char *name, size_t *len);

/* Absolute path of a fixture, heap (caller frees). */
char *ingest_fixture_path(const char *name);

/* Start tests/support/faultserver.py on tests/fixtures/ingest (loopback,
 * port 0); *port is the port it bound.  Returns its pid, or -1 (reason
 * printed) when python3 or the script cannot run. */
pid_t faultserver_start(int *port);
void faultserver_stop(pid_t pid);

#endif
