/*
 * outfile.c -- temporary name, fsync, rename, fsync the directory (see
 * outfile.h for why).  Owns no memory beyond the caller's buffers.
 */
#include "reports/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

as_err outfile_tmpname(char *out, size_t len, const char *path)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    if (!*base)
        return as_fail(AS_ERR_USAGE, "'%s': output path names a directory, not a file", path);
    int n = snprintf(out, len, "%.*s.%s.tmp-%ld", dirlen, path, base, (long)getpid());
    if (n < 0 || (size_t)n >= len)
        return as_fail(AS_ERR_RANGE, "'%s': path too long", path);
    return AS_OK;
}

/* fsync a path opened read-only: enough for both a file and a directory. */
static int path_sync(const char *path, int dir)
{
    int fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

as_err outfile_commit(const char *tmp, const char *path)
{
    if (path_sync(tmp, 0) != 0) {
        as_err e = as_fail(AS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return e;
    }
    if (rename(tmp, path) != 0) {
        as_err e = as_fail(AS_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        return e;
    }
    /* The rename is durable only once the directory entry is on disk;
     * dirname() may modify its argument, hence the copy. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    path_sync(dirname(dir), 1);
    return AS_OK;
}

void outfile_discard(const char *tmp)
{
    if (tmp && tmp[0])
        unlink(tmp);
}
