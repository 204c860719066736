/*
 * file.h -- reading a whole local file into memory.
 *
 * One helper for the loaders that parse a file as a whole (fact sheets,
 * training corpora, the hash of a model file): it reads with stdio, checks
 * every read, and reports a failure as AS_ERR_IO naming the file.  It does
 * not parse and does not map: large binary files (GGUF) go through
 * model/gguf.h instead.
 */
#ifndef AS_FILE_H
#define AS_FILE_H

#include "common/error.h"

#include <stddef.h>

/* *out: the bytes of path plus a terminating NUL (heap, caller frees);
 * *len: the byte count, NUL excluded (len may be NULL).  On failure *out is
 * NULL and as_fail names the file and the reason. */
as_err file_read_all(char **out, size_t *len, const char *path);

#endif
