/*
 * outfile.c -- temporary name, fsync, rename, fsync the directory (see
 * outfile.h for why).  Owns no memory beyond the caller's buffers.
 */
#include "reports/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

as_err outfile_mkdirs(const char *dir)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return as_fail(AS_ERR_RANGE, "'%s': path too long", dir);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return as_fail(AS_ERR_IO, "cannot create directory '%s': %s", buf, strerror(errno));
        *p = saved;
        if (!saved)
            break;
    }
    return AS_OK;
}

as_err outfile_copy(const char *src, const char *dst)
{
    char tmp[4096];
    as_err e = outfile_tmpname(tmp, sizeof tmp, dst);
    if (e)
        return e;
    FILE *in = fopen(src, "rb");
    if (!in)
        return as_fail(AS_ERR_IO, "cannot open '%s': %s", src, strerror(errno));
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        e = as_fail(AS_ERR_IO, "cannot create '%s': %s", dst, strerror(errno));
        fclose(in);
        return e;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        if (fwrite(chunk, 1, n, out) != n) {
            e = as_fail(AS_ERR_IO, "cannot write '%s': %s", dst, strerror(errno));
            break;
        }
    if (!e && ferror(in))
        e = as_fail(AS_ERR_IO, "cannot read '%s'", src);
    fclose(in);
    if (fclose(out) != 0 && !e)
        e = as_fail(AS_ERR_IO, "cannot write '%s': %s", dst, strerror(errno));
    if (e) {
        outfile_discard(tmp);
        return e;
    }
    return outfile_commit(tmp, dst);
}

as_err outfile_sweep(const char *dir, int *removed)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (removed)
            *removed = 0;
        return errno == ENOENT ? AS_OK
                               : as_fail(AS_ERR_IO, "cannot read directory '%s': %s", dir, strerror(errno));
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *t = e->d_name[0] == '.' ? strstr(e->d_name, ".tmp-") : NULL;
        if (!t)
            continue;
        char *end;
        long pid = strtol(t + 5, &end, 10);
        /* Only our own pattern, and only when its writer is gone. */
        if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            n++;
    }
    closedir(d);
    if (removed)
        *removed = n;
    return AS_OK;
}
