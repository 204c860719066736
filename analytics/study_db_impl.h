/*
 * study_db_impl.h -- what study_db.c (inputs, run) shares with
 * study_db_store.c (the writing transaction) and study_db_load.c.
 * Internal to analytics/study_db*.c; not an API.
 */
#ifndef AS_STUDY_DB_IMPL_H
#define AS_STUDY_DB_IMPL_H

#include "analytics/study_db.h"
#include "common/db.h"

/* What the store needs beside the run: the prices as read. */
typedef struct study_db_inputs {
    const study_db_opts *o;
    const double *adj;          /* (nseries, ndates) prices.adj_close, NAN missing */
    const long long *shares;    /* (nevents) shares outstanding, 0 when unknown */
    char (*shares_as_of)[11];   /* (nevents) "" when unknown */
    const char *const *sector_of; /* (nevents) sector name or NULL */
} study_db_inputs;

/* Insert or replace the study and all its rows in one transaction; writes
 * run->study_id.  Rolls back and leaves the database as it was on error. */
as_err study_db_store(study_db_run *run, PGconn *db, const study_db_inputs *in);

/* A PostgreSQL text[] literal of v (each element quoted). Heap; caller frees. */
char *study_db_text_array(const char *const *v, int n);

/* "%.17g", or NULL for NAN/inf (COPY's \N), into buf. */
const char *study_db_num(char buf[32], double v);

#endif
