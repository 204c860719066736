/*
 * ingest_fixture.c -- reads the recorded provider answers the ingest tests
 * feed to parsers and to the loopback HTTP server.  Test code only.
 */
#include "tests/support/ingest_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
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

/* The read end of the server's stdout stays open while it runs: closing it
 * early would kill the server with SIGPIPE on its next write. */
static int server_out = -1;

pid_t faultserver_start(int *port)
{
    char *dir = ingest_fixture_path("");
    const char *root = getenv("AS_SRC_DIR");
    char script[4096];
    snprintf(script, sizeof script, "%s/tests/support/faultserver.py", root && *root ? root : ".");
    int fd[2];
    if (!dir || pipe(fd) != 0) {
        free(dir);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/usr/bin/python3", "python3", script, dir, (char *)NULL);
        _exit(127);
    }
    free(dir);
    close(fd[1]);
    char buf[32] = "";
    ssize_t n = 0;
    while (pid > 0 && (size_t)n < sizeof buf - 1 && !memchr(buf, '\n', (size_t)n)) {
        ssize_t k = read(fd[0], buf + n, sizeof buf - 1 - (size_t)n);
        if (k <= 0)
            break;
        n += k;
    }
    server_out = fd[0];
    char *end;
    long p = n > 0 ? strtol(buf, &end, 10) : 0;
    if (pid < 0 || n <= 0 || p <= 0 || p > 65535) {
        fprintf(stderr, "faultserver: did not start (python3 %s)\n", script);
        if (pid > 0)
            faultserver_stop(pid);
        return -1;
    }
    *port = (int)p;
    return pid;
}

void faultserver_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (server_out >= 0)
        close(server_out);
    server_out = -1;
}
