/*
 * testdb.h -- a fresh database per test program inside the throwaway cluster
 * that tests/run.sh starts (its URL is in AS_TEST_DB).
 *
 * testdb_create() makes database "<prefix>_<pid>" and writes a conninfo for
 * it; tests pass that to db_connect() as --db would.  Returns 0 when
 * AS_TEST_DB is unset, so the caller can skip() with a reason.
 */
#ifndef AS_TESTDB_H
#define AS_TESTDB_H

#include <stddef.h>

int testdb_create(char *conninfo, size_t len, const char *prefix);
void testdb_drop(const char *conninfo);

/* Path of a file under the source tree / ../shared, for fixtures. */
const char *testdb_src_path(const char *rel);
const char *testdb_shared_path(const char *rel); /* NULL when ../shared is absent */

#endif
