/*
 * load.h -- parsed rows into PostgreSQL: COPY into TEMP staging tables, then
 * upsert into the real tables, counting what changed.  Internal to ingest/.
 *
 * The load_* functions run inside the caller's transaction and neither
 * begin, commit nor roll back; ingest.c owns the transaction per target and
 * the ingest_runs bookkeeping (load_run_*), so that a failed target's record
 * is written after its rollback.
 */
#ifndef AS_LOAD_H
#define AS_LOAD_H

#include <libpq-fe.h>

#include "common/error.h"
#include "ingest/ingest.h"
#include "ingest/parse.h"

/* Upsert prices, splits and dividends of s with prices.source = source;
 * fills t->inserted/updated/unchanged/splits/dividends. */
as_err load_prices(PGconn *db, const struct price_set *s, const char *source,
                   struct ingest_target *t);

/* Upsert news items; feed = the masked URL they came from; source_default
 * names the publisher when an item has none. */
as_err load_news(PGconn *db, const struct news_set *s, const char *feed,
                 const char *source_default, struct ingest_target *t);

/* ingest_runs: open a 'running' row (autocommit) and get its id; close it
 * as 'ok' (inside the target's transaction) or 'failed' (after rollback). */
as_err load_run_open(PGconn *db, long long *id, const char *kind, const char *source,
                     const char *target, const char *started_at);
as_err load_run_ok(PGconn *db, long long id, long long rows);
as_err load_run_failed(PGconn *db, long long id, const char *error);

#endif
