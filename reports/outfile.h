/*
 * outfile.h -- the temporary-name-then-rename discipline for every file the
 * reports stage writes (workbooks, CSV/JSON exports, outbox messages).
 *
 * A writer asks outfile_tmpname() for "<dir>/.<base>.tmp-<pid>" in the SAME
 * directory as the final path (rename(2) is atomic only within one file
 * system), writes there, then outfile_commit() fsyncs the file, renames it
 * over the final name and fsyncs the directory; on any failure the writer
 * calls outfile_discard().  Readers therefore see the old file or the whole
 * new one, never a half-written one.  Not here: what goes into the file.
 */
#ifndef AS_OUTFILE_H
#define AS_OUTFILE_H

#include <stddef.h>

#include "common/error.h"

/* Write the temporary name for path into out (len bytes). AS_ERR_RANGE
 * when it does not fit. */
as_err outfile_tmpname(char *out, size_t len, const char *path);

/* fsync tmp, rename it to path, fsync the directory.  On failure tmp is
 * removed and the error names path. */
as_err outfile_commit(const char *tmp, const char *path);

/* mkdir -p dir (mode 0755). */
as_err outfile_mkdirs(const char *dir);

/* Copy the file src to dst through a temporary name (a workbook into the
 * outbox). */
as_err outfile_copy(const char *src, const char *dst);

/* Remove the temporary files in dir that a killed writer left behind:
 * ".<name>.tmp-<pid>" whose pid is no longer running.  *removed = how
 * many (may be NULL). */
as_err outfile_sweep(const char *dir, int *removed);

/* Remove tmp if it exists; never fails loudly (used on error paths). */
void outfile_discard(const char *tmp);

#endif
