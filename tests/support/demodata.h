/*
 * demodata.h -- load the bundled demo data set (data/: prices of 21
 * tickers, the DeepSeek news feeds, securities and share counts) into a
 * test database through the real ingest code (file:// URLs), as
 * `aftershock demo` does.  Returns 0 on success, printing the reason
 * otherwise.  A few hundred milliseconds.
 */
#ifndef AS_DEMODATA_H
#define AS_DEMODATA_H

#include <libpq-fe.h>

int demodata_load(PGconn *db);

#endif
