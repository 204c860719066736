/*
 * reference.h -- reference data: the securities list (name, exchange,
 * sector, industry, currency, kind) and shares outstanding by date, loaded
 * from CSV files into `securities` and `shares_outstanding`.
 *
 * Each file loads in one transaction: a bad row (named by file, line and
 * field) loads nothing.  Loading the same file twice changes nothing.
 */
#ifndef AS_REFERENCE_H
#define AS_REFERENCE_H

#include <libpq-fe.h>

#include "common/error.h"

/* CSV header: ticker,name,exchange,sector,industry,currency,kind */
as_err reference_load_securities(PGconn *db, const char *path, long long *changed);

/* CSV header: ticker,as_of,shares,source (tickers must be in securities). */
as_err reference_load_shares(PGconn *db, const char *path, long long *changed);

#endif
