/*
 * estudy_impl.h -- what estudy_run.c hands to estudy_tests.c: the per-group
 * accumulators filled while firms are processed, so the group tests never
 * need the (firm x day) estimation residuals kept in memory.
 * Internal to analytics/estudy_*.c; not an API.
 */
#ifndef AS_ESTUDY_IMPL_H
#define AS_ESTUDY_IMPL_H

#include "analytics/estudy.h"

#define ESTUDY_GROUPS_PER_EVENT 3 /* all, its event date, its sector */

typedef struct estudy_acc {
    int L1;       /* estimation positions (est_end - est_start + 1) */
    int T;        /* rank positions: L1 estimation days + span event days */
    double *zsum; /* (ngroups, L1) sum of unit-norm centred residual vectors */
    double *ucnt; /* (ngroups, T) firms with a rank at the position */
    double *usum; /* (ngroups, T) sum of Corrado-Zivney standardized ranks */
    int *gmap;    /* (nevents, ESTUDY_GROUPS_PER_EVENT) group ids or -1 */
} estudy_acc;

/* Fill r->groups[*].stat/p/nobs/estimate/rbar from the firm results. */
as_err estudy_groups_test(estudy_result *r, const estudy_acc *acc);

#endif
