/*
 * estudy_csv.h -- file-mode inputs of the event study: prices or returns
 * (long or wide CSV), factor columns, the event list, announcement scores.
 * Every malformed cell is an AS_ERR_PARSE naming file, line and field.
 */
#ifndef AS_ESTUDY_CSV_H
#define AS_ESTUDY_CSV_H

#include "analytics/estudy.h"

/*
 * Load a panel.  prices_path is either long (a header with `date`,
 * `ticker` and one of `return` (with is_returns), `adj_close`, `price`,
 * `close`) or wide (`date,TICK1,TICK2,...`).  For long files with both
 * adj_close and close, returns come from adj_close and market values from
 * close (the price traders saw).  With is_returns the cells are returns and
 * panel->price stays NULL.  factors_path (or NULL) is wide `date,F1,...`;
 * its columns become extra series, aligned on the price calendar.  Dates
 * are YYYY-MM-DD or YYYYMMDD.  ret_flags: ESTUDY_RET_* for returns computed
 * from prices (ignored with is_returns).  Caller estudy_panel_free()s.
 */
as_err estudy_csv_load_panel(estudy_panel *out, const char *prices_path, int is_returns,
                             int ret_flags, const char *factors_path, int *nfactor_cols);

/*
 * Load `ticker,event_date[,sector][,shares]`.  Day 0 per estudy_day0(): a
 * date that is not a trading day of the panel moves to the next one (as
 * after a weekend); with compat estudy, estudy's rule (a weekend date's
 * Monday is day +1, a weekday holiday is an error naming the line).
 * *nmoved counts the dates moved.  Sectors are interned into *sectors (heap
 * array of heap strings, *nsectors).  *events is a heap array; caller frees
 * it and the sectors with estudy_csv_free_sectors().
 */
as_err estudy_csv_load_events(estudy_event **events, int *nevents, char ***sectors,
                              int *nsectors, int *nmoved, const char *path,
                              const estudy_panel *panel, estudy_compat compat);
void estudy_csv_free_sectors(char **sectors, int nsectors);

/* Load `date,score` onto the panel calendar: score (ndates), 0 where the
 * file has no row (no announcement that day).  Caller frees *score. */
as_err estudy_csv_load_scores(double **score, const char *path, const estudy_panel *panel);

#endif
