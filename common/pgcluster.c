/*
 * pgcluster.c -- initdb, pg_ctl start/stop/status for the embedded cluster.
 *
 * Owns the directory layout described in pgcluster.h and the rule that the
 * server never runs as root: when we are root every PostgreSQL program is
 * run through run_as_server(), a fork that drops to the server user before
 * exec.  Not here: connecting, migrations (db.c).
 *
 * Invariants: pgdata and run/ belong to the server user; the home directory
 * is traversable (0711) so that user can reach them; start is serialised by
 * an flock on home/.lock so two nightly jobs cannot initdb twice.
 */
#include "common/pgcluster.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG_PORT "5432" /* only names the socket file; nothing listens on TCP */
#define PG_DBNAME "aftershock"
#define PG_SUPERUSER "aftershock"

/* Kept well under PATH_MAX so every path built from them fits. */
static char home[1024];
static char bindir[1024];

const char *pgcluster_home(void)
{
    if (home[0])
        return home;
    const char *env = getenv("AFTERSHOCK_HOME");
    if (env && env[0]) {
        snprintf(home, sizeof home, "%s", env);
    } else if (geteuid() == 0) {
        snprintf(home, sizeof home, "/var/lib/aftershock");
    } else {
        const char *xdg = getenv("XDG_DATA_HOME");
        const char *h = getenv("HOME");
        if (xdg && xdg[0])
            snprintf(home, sizeof home, "%s/aftershock", xdg);
        else
            snprintf(home, sizeof home, "%s/.local/share/aftershock", h && h[0] ? h : ".");
    }
    return home;
}

const char *pgcluster_bindir(void)
{
    if (!bindir[0]) {
        const char *env = getenv("AFTERSHOCK_PG_BINDIR");
        snprintf(bindir, sizeof bindir, "%s", env && env[0] ? env : "/usr/lib/postgresql/15/bin");
    }
    return bindir;
}

static void path_join(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", pgcluster_home(), name);
}

/* The user the server runs as: ourselves, or AFTERSHOCK_PG_USER when root. */
static as_err server_user(uid_t *uid, gid_t *gid)
{
    if (geteuid() != 0) {
        *uid = geteuid();
        *gid = getegid();
        return AS_OK;
    }
    const char *name = getenv("AFTERSHOCK_PG_USER");
    if (!name || !name[0])
        name = "postgres";
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return as_fail(AS_ERR_DB_CONNECT,
                       "running as root, but there is no user '%s' to run PostgreSQL as "
                       "(install postgresql-15, which creates it, or set AFTERSHOCK_PG_USER)",
                       name);
    if (pw->pw_uid == 0)
        return as_fail(AS_ERR_DB_CONNECT, "AFTERSHOCK_PG_USER '%s' is root; PostgreSQL refuses to run as root", name);
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return AS_OK;
}

/*
 * Run argv (argv[0] a full path) as the server user, stdout/stderr to
 * log_path (appended) or inherited when NULL.  Returns the exit status, or
 * -1 when it could not run.
 */
static int run_as_server(char *const argv[], const char *log_path)
{
    uid_t uid;
    gid_t gid;
    if (server_user(&uid, &gid) != AS_OK)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (log_path) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
            struct stat st;
            if (fd >= 0) {
                /* The log must stay writable by the server after we drop
                 * privileges; /dev/null and friends are left alone. */
                if (geteuid() == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                    fchown(fd, uid, gid) != 0)
                    _exit(126);
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                close(fd);
            }
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        if (geteuid() == 0) {
            if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
                _exit(126);
            struct passwd *pw = getpwuid(uid);
            if (pw)
                setenv("HOME", pw->pw_dir, 1);
        }
        /* The server must not inherit our libpq settings. */
        unsetenv("PGHOST");
        unsetenv("PGPORT");
        unsetenv("PGDATA");
        if (chdir("/") != 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return -1;
}

static as_err dir_make(const char *path, mode_t mode, int for_server)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return as_fail(AS_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    if (chmod(path, mode) != 0)
        return as_fail(AS_ERR_IO, "cannot set mode of '%s': %s", path, strerror(errno));
    if (for_server && geteuid() == 0) {
        uid_t uid;
        gid_t gid;
        as_err e = server_user(&uid, &gid);
        if (e)
            return e;
        if (chown(path, uid, gid) != 0)
            return as_fail(AS_ERR_IO, "cannot give '%s' to the server user: %s", path, strerror(errno));
    }
    return AS_OK;
}

/* mkdir -p for the home directory's parents (ours, default mode). */
static as_err dir_make_parents(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return as_fail(AS_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        *p = '/';
    }
    return AS_OK;
}

/* As root, check that the server user can reach home (every parent must be
 * searchable by it), so we fail with a hint rather than a cryptic initdb. */
static as_err home_check_reachable(void)
{
    if (geteuid() != 0)
        return AS_OK;
    char *argv[] = {"/usr/bin/test", "-x", (char *)pgcluster_home(), NULL};
    if (run_as_server(argv, NULL) != 0)
        return as_fail(AS_ERR_DB_CONNECT,
                       "the PostgreSQL server user cannot reach '%s' (a parent directory is "
                       "private); set AFTERSHOCK_HOME to a directory under /var/lib or /srv",
                       pgcluster_home());
    return AS_OK;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static as_err cluster_init(void)
{
    char pgdata[PATH_MAX], rund[PATH_MAX], logp[PATH_MAX], conf[PATH_MAX + 32], initdb[PATH_MAX];
    path_join(pgdata, sizeof pgdata, "pgdata");
    path_join(rund, sizeof rund, "run");
    path_join(logp, sizeof logp, "postgres.log");
    snprintf(initdb, sizeof initdb, "%s/initdb", pgcluster_bindir());
    if (access(initdb, X_OK) != 0)
        return as_fail(AS_ERR_DB_CONNECT,
                       "'%s' not found: install Debian's postgresql-15 (make deps) or set "
                       "AFTERSHOCK_PG_BINDIR", initdb);
    as_err e = dir_make(pgdata, 0700, 1);
    if (e)
        return e;
    char *argv[] = {initdb, "-D", pgdata, "-U", PG_SUPERUSER, "--auth=trust",
                    "-E", "UTF8", "--no-locale", NULL};
    int rc = run_as_server(argv, logp);
    if (rc != 0)
        return as_fail(AS_ERR_DB_CONNECT, "initdb failed (exit %d); see '%s'", rc, logp);

    snprintf(conf, sizeof conf, "%s/postgresql.conf", pgdata);
    FILE *f = fopen(conf, "a");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot open '%s': %s", conf, strerror(errno));
    fprintf(f,
            "\n# added by aftershock: unix socket only, in a private directory\n"
            "listen_addresses = ''\n"
            "unix_socket_directories = '%s'\n"
            "unix_socket_permissions = 0700\n"
            "port = " PG_PORT "\n"
            "max_connections = 50\n"
            "shared_buffers = 128MB\n"
            "timezone = 'UTC'\n"
            "log_timezone = 'UTC'\n",
            rund);
    const char *fast = getenv("AFTERSHOCK_PG_FAST");
    if (fast && strcmp(fast, "1") == 0)
        fprintf(f, "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
    if (fclose(f) != 0)
        return as_fail(AS_ERR_IO, "cannot write '%s': %s", conf, strerror(errno));
    return AS_OK;
}

int pgcluster_running(const char **detail)
{
    char pgdata[PATH_MAX], ver[PATH_MAX + 32], pgctl[PATH_MAX];
    static char msg[PATH_MAX + 64];
    path_join(pgdata, sizeof pgdata, "pgdata");
    snprintf(ver, sizeof ver, "%s/PG_VERSION", pgdata);
    if (!file_exists(ver)) {
        snprintf(msg, sizeof msg, "no cluster at %s", pgdata);
        if (detail)
            *detail = msg;
        return 0;
    }
    snprintf(pgctl, sizeof pgctl, "%s/pg_ctl", pgcluster_bindir());
    char *argv[] = {pgctl, "-D", pgdata, "status", NULL};
    int rc = run_as_server(argv, "/dev/null");
    snprintf(msg, sizeof msg, "%s at %s", rc == 0 ? "running" : "stopped", pgdata);
    if (detail)
        *detail = msg;
    return rc == 0;
}

/* Open the home lock; returns the fd (>= 0) holding an exclusive flock. */
static int home_lock(void)
{
    char lockp[PATH_MAX];
    path_join(lockp, sizeof lockp, ".lock");
    int fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

as_err pgcluster_start(void)
{
    char pgdata[PATH_MAX], rund[PATH_MAX], logp[PATH_MAX], ver[PATH_MAX + 32], pgctl[PATH_MAX];
    as_err e = dir_make_parents(pgcluster_home());
    if (e)
        return e;
    /* 0711: the server user may pass through to its own directories, nobody may list. */
    if ((e = dir_make(pgcluster_home(), 0711, 0)))
        return e;
    if ((e = home_check_reachable()))
        return e;
    int lock = home_lock();
    if (lock < 0)
        return as_fail(AS_ERR_IO, "cannot lock '%s/.lock': %s", pgcluster_home(), strerror(errno));

    path_join(pgdata, sizeof pgdata, "pgdata");
    path_join(rund, sizeof rund, "run");
    path_join(logp, sizeof logp, "postgres.log");
    snprintf(ver, sizeof ver, "%s/PG_VERSION", pgdata);
    if (!file_exists(ver) && (e = cluster_init()))
        goto out;
    if ((e = dir_make(rund, 0700, 1)))
        goto out;
    if (!pgcluster_running(NULL)) {
        snprintf(pgctl, sizeof pgctl, "%s/pg_ctl", pgcluster_bindir());
        char *argv[] = {pgctl, "-D", pgdata, "-l", logp, "-w", "-t", "60", "start", NULL};
        int rc = run_as_server(argv, logp);
        if (rc != 0) {
            e = as_fail(AS_ERR_DB_CONNECT, "the embedded PostgreSQL did not start (pg_ctl exit %d); see '%s'",
                        rc, logp);
            goto out;
        }
    }
    /* The database itself: probe with psql, create it when the probe fails. */
    char psql[PATH_MAX], createdb[PATH_MAX];
    snprintf(psql, sizeof psql, "%s/psql", pgcluster_bindir());
    snprintf(createdb, sizeof createdb, "%s/createdb", pgcluster_bindir());
    char *probe[] = {psql, "-h", rund, "-p", PG_PORT, "-U", PG_SUPERUSER, "-d", PG_DBNAME,
                     "-Atqc", "SELECT 1", NULL};
    int have = run_as_server(probe, "/dev/null") == 0;
    if (!have) {
        char *argv[] = {createdb, "-h", rund, "-p", PG_PORT, "-U", PG_SUPERUSER, PG_DBNAME, NULL};
        int rc = run_as_server(argv, logp);
        if (rc != 0) {
            e = as_fail(AS_ERR_DB_CONNECT, "cannot create database '%s' (exit %d); see '%s'", PG_DBNAME, rc, logp);
            goto out;
        }
    }
    e = AS_OK;
out:
    close(lock);
    return e;
}

as_err pgcluster_stop(void)
{
    char pgdata[PATH_MAX], logp[PATH_MAX], pgctl[PATH_MAX];
    if (!pgcluster_running(NULL))
        return AS_OK;
    path_join(pgdata, sizeof pgdata, "pgdata");
    path_join(logp, sizeof logp, "postgres.log");
    snprintf(pgctl, sizeof pgctl, "%s/pg_ctl", pgcluster_bindir());
    char *argv[] = {pgctl, "-D", pgdata, "-m", "fast", "-w", "-t", "60", "stop", NULL};
    int rc = run_as_server(argv, logp);
    if (rc != 0)
        return as_fail(AS_ERR_DB_CONNECT, "pg_ctl stop failed (exit %d); see '%s'", rc, logp);
    return AS_OK;
}

as_err pgcluster_conninfo(char *buf, size_t len)
{
    char rund[PATH_MAX];
    path_join(rund, sizeof rund, "run");
    /* Single quotes protect a home path with spaces; backslash-escape quotes. */
    char esc[2 * PATH_MAX];
    size_t j = 0;
    for (const char *p = rund; *p && j + 2 < sizeof esc; p++) {
        if (*p == '\'' || *p == '\\')
            esc[j++] = '\\';
        esc[j++] = *p;
    }
    esc[j] = '\0';
    int n = snprintf(buf, len, "host='%s' port=" PG_PORT " user=" PG_SUPERUSER " dbname=" PG_DBNAME, esc);
    if (n < 0 || (size_t)n >= len)
        return as_fail(AS_ERR_RANGE, "embedded cluster path too long");
    return AS_OK;
}

as_err pgcluster_url(char *buf, size_t len)
{
    char rund[PATH_MAX];
    path_join(rund, sizeof rund, "run");
    char enc[3 * PATH_MAX];
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)rund; *p && j + 4 < sizeof enc; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            enc[j++] = (char)*p;
        else
            j += (size_t)snprintf(enc + j, 4, "%%%02X", *p);
    }
    enc[j] = '\0';
    int n = snprintf(buf, len, "postgresql://" PG_SUPERUSER "@/" PG_DBNAME "?host=%s&port=" PG_PORT, enc);
    if (n < 0 || (size_t)n >= len)
        return as_fail(AS_ERR_RANGE, "embedded cluster path too long");
    return AS_OK;
}
