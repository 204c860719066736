/*
 * estudy_write.h -- the event study's results as text: an aligned table for
 * people, CSV with documented sections for programs, JSON for both.
 *
 * CSV sections, each introduced by a line "# <name>" and its own header:
 *   # firms   ticker,event_date,window_start,window_end,car,car_sd,car_t,
 *             car_p,bhar,mv_change_bn,n_est,n_est_missing,n_est_zero,
 *             n_event_missing,status
 *             (the first nine columns are the contract of issue 3; the rest
 *             report market value and missing/thin-trading counts)
 *   # tests   group,test,window_start,window_end,estimate,statistic,p_value,n
 *             test in csect_t patell bmp kp_patell kp_bmp corrado_rank
 *             gen_sign wilcoxon; estimate is the group's CAAR
 *   # sectors sector,event_date,window_start,window_end,n,mv_change_bn
 *             one line per sector, event date and window where the sector
 *             has firm-events (when sectors are known); n = firms with a
 *             market value, sums never cross event dates
 *   # efficiency ticker,beta,t,p_value,n                    (with --scores)
 * Sections are separated by one empty line.
 */
#ifndef AS_ESTUDY_WRITE_H
#define AS_ESTUDY_WRITE_H

#include <stdio.h>

#include "analytics/estudy.h"

typedef enum estudy_format {
    ESTUDY_FORMAT_TABLE = 0,
    ESTUDY_FORMAT_CSV,
    ESTUDY_FORMAT_JSON,
} estudy_format;

typedef struct estudy_report {
    const estudy_result *r;
    const estudy_panel *panel;
    const estudy_event *events;
    const char *const *sectors;
    int nsectors;
    const estudy_effbeta *eff; /* (neff) or NULL */
    const int *eff_firm;       /* (neff) series index of each */
    int neff;
} estudy_report;

/* Write rep to out.  AS_ERR_IO when out fails (full disk, closed pipe). */
as_err estudy_write(FILE *out, estudy_format fmt, const estudy_report *rep);

#endif
