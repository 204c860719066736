/*
 * estudy_impl.h -- what estudy_run.c hands to estudy_tests.c: the per-group
 * accumulators filled while firms are processed, so the group tests never
 * need the (firm x day) estimation residuals kept in memory.
 * Internal to analytics/estudy_*.c; not an API.
 */
#ifndef AS_ESTUDY_IMPL_H
#define AS_ESTUDY_IMPL_H

#include "analytics/estudy.h"

#include <stdint.h>

#define ESTUDY_GROUPS_PER_EVENT 3 /* all, its event date, its sector */

typedef struct estudy_acc {
    int L1;       /* estimation positions (est_end - est_start + 1) */
    int T;        /* rank positions: L1 estimation days + span event days */
    double *zsum; /* (ngroups, L1) sum of unit-norm centred residual vectors */
    double *ucnt; /* (ngroups, T) firms with a rank at the position */
    double *usum; /* (ngroups, T) sum of Corrado-Zivney standardized ranks */
    int *gmap;    /* (nevents, ESTUDY_GROUPS_PER_EVENT) group ids or -1 */
} estudy_acc;

/*
 * Positions of the non-NAN values of v[0..n_all) in ascending order of v:
 * k[j] low 32 bits = position (high bits: the sort key, for the sort's own
 * use).  Returns how many.  k and tmp: n_all entries each (estudy_rank.c).
 */
int estudy_sort_positions(uint64_t *k, uint64_t *tmp, const double *v, int n_all);

/* Corrado & Zivney (1992) standardized ranks K/(n+1) - 1/2 of v into u,
 * NAN where v is NAN, ties averaged; k and tmp as above. */
void estudy_ranks_standardized(double *u, const double *v, int n_all, uint64_t *k,
                               uint64_t *tmp);

/* Fill r->groups[*].stat/p/nobs/estimate/rbar from the firm results. */
as_err estudy_groups_test(estudy_result *r, const estudy_acc *acc);

#endif
