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
    double *zsum; /* (ngroups, L1) sum of unit-norm centred residual vectors
                   * of the current event date's firms */
    int *zcnt;    /* (ngroups) firms summed into zsum for the current date */
    double *zpair;/* (ngroups) over event dates: |zsum|^2 - zcnt, the sum of
                   * the residual correlations of the pairs sharing a date */
    double *ucnt; /* (ngroups, T) firms with a rank at the position */
    double *usum; /* (ngroups, T) sum of Corrado-Zivney standardized ranks */
    int *gmap;    /* (nevents, ESTUDY_GROUPS_PER_EVENT) group ids or -1 */
    /* compat estudy only (NULL otherwise): its tests rank and correlate
     * the residuals themselves. */
    double *resid; /* (nevents, L1) estimation residuals by position, NAN missing */
    const estudy_event *events; /* (nevents) for the weekend rule */
    int kstata;    /* estudy's k: regressors besides the intercept (1 for HMM) */
} estudy_acc;

/*
 * Positions of the non-NAN values of v[0..n_all) in ascending order of v:
 * k[j] low 32 bits = position (high bits: the sort key, for the sort's own
 * use).  Returns how many.  k and tmp: n_all entries each (estudy_rank.c).
 */
int estudy_sort_positions(uint64_t *k, uint64_t *tmp, const double *v, int n_all);

/* Average ranks K (1-based, ties averaged) of the non-NAN values of
 * v[0..n_all) into K, NAN where v is NAN; returns how many values took a
 * rank.  k and tmp as above. */
int estudy_ranks_average(double *K, const double *v, int n_all, uint64_t *k, uint64_t *tmp);

/* Corrado & Zivney (1992) standardized ranks K/(n+1) - 1/2 of v into u,
 * NAN where v is NAN, ties averaged; k and tmp as above. */
void estudy_ranks_standardized(double *u, const double *v, int n_all, uint64_t *k,
                               uint64_t *tmp);

/* One cell of a group's results. */
static inline void estudy_group_set(estudy_group *g, int w, estudy_test t, double stat,
                                    double p, int n)
{
    g->stat[w][t] = stat;
    g->p[w][t] = p;
    g->nobs[w][t] = n;
}

/* Fill r->groups[*].stat/p/nobs/estimate/rbar from the firm results. */
as_err estudy_groups_test(estudy_result *r, const estudy_acc *acc);

/*
 * compat estudy: overwrite group g's rbar, estimate and the slots estudy
 * has tests for with estudy.ado 2.1.2's formulas (estudy_compat.c), from
 * its member firm-events members[0..nm) (status ok).  Slots: csect_t ->
 * Norm, patell, bmp, kp_patell -> ADJPatell, kp_bmp -> KP, corrado_rank ->
 * GRANK, wilcoxon; gen_sign (no estudy test) is left as computed.
 */
as_err estudy_compat_group(estudy_result *r, const estudy_acc *acc, estudy_group *g,
                           const int *members, int nm);

#endif
