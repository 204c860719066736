/*
 * pgcluster.h -- the embedded PostgreSQL cluster aftershock manages itself.
 *
 * Layout under $AFTERSHOCK_HOME (default ~/.local/share/aftershock, or
 * /var/lib/aftershock for root, whose home the server user cannot enter):
 *   pgdata/        the data directory (initdb), owned by the server user
 *   run/           the unix-socket directory, mode 0700: the only way in
 *   postgres.log   the server log
 * The server listens on no TCP address.  Authentication is `trust` on that
 * socket, which only the server user and root can open.  As root the server
 * runs as an unprivileged user (AFTERSHOCK_PG_USER, default "postgres")
 * because PostgreSQL refuses to run as root.  Binaries come from Debian's
 * postgresql-15 (AFTERSHOCK_PG_BINDIR overrides /usr/lib/postgresql/15/bin).
 * AFTERSHOCK_PG_FAST=1 turns fsync off (throwaway test clusters only).
 */
#ifndef AS_PGCLUSTER_H
#define AS_PGCLUSTER_H

#include <stddef.h>

#include "common/error.h"

/* The home directory in use (static buffer). */
const char *pgcluster_home(void);

/* initdb when needed, then start when not running; waits until it accepts
 * connections and the "aftershock" database exists.  Safe to call from
 * several processes at once (a lock file serialises them). */
as_err pgcluster_start(void);
as_err pgcluster_stop(void);

/* 1 running, 0 stopped or not created; *detail describes it (static). */
int pgcluster_running(const char **detail);

/* libpq conninfo / postgresql:// URI of the embedded database. */
as_err pgcluster_conninfo(char *buf, size_t len);
as_err pgcluster_url(char *buf, size_t len);

/* Directory holding psql and friends, for `aftershock db psql`. */
const char *pgcluster_bindir(void);

#endif
