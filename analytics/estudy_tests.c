/*
 * estudy_tests.c -- the group statistics: for every group (all, each event
 * date, each sector) and every window, the eight tests of issue 3 on the
 * firms' CARs.  Reads the per-firm results and the accumulators estudy_run.c
 * filled; writes estudy_group.  Not the per-firm statistics (estudy_run.c).
 *
 * The estimate of every test row is the group's CAAR (mean CAR); the
 * statistic and p-value are the test's own.  Divisors are written next to
 * each formula.  N is the number of firm-events with a CAR in the window.
 * With compat estudy, estudy_compat.c then overwrites the slots where Stata
 * estudy computes something else.
 */
#include "analytics/estudy_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Wilcoxon (1945) signed-rank test of median CAR = 0, normal approximation
 * without continuity correction; zeros dropped (Wilcoxon's convention), ties
 * get average ranks and the variance its tie correction:
 *   Var(W+) = n(n+1)(2n+1)/24 - sum(t^3 - t)/48.
 * v (n) is compacted in place; a (n doubles) and k, tmp (n each) are
 * scratch.  Returns z; *nused = non-zero values.
 */
static double wilcoxon_z(double *v, int n, double *a, uint64_t *k, uint64_t *tmp,
                         int *nused)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (v[i] != 0.0)
            v[m++] = v[i];
    *nused = m;
    if (m == 0)
        return NAN;
    for (int i = 0; i < m; i++)
        a[i] = fabs(v[i]);
    estudy_sort_positions(k, tmp, a, m);
    double wplus = 0, ties = 0;
    for (int i = 0; i < m;) {
        double ai = a[(uint32_t)k[i]];
        int j = i;
        while (j + 1 < m && a[(uint32_t)k[j + 1]] == ai)
            j++;
        double rank = (i + j) / 2.0 + 1.0, t = j - i + 1;
        for (int q = i; q <= j; q++)
            if (v[(uint32_t)k[q]] > 0)
                wplus += rank;
        ties += t * t * t - t;
        i = j + 1;
    }
    double mean = m * (m + 1.0) / 4.0;
    double var = m * (m + 1.0) * (2.0 * m + 1.0) / 24.0 - ties / 48.0;
    return var > 0 ? (wplus - mean) / sqrt(var) : NAN;
}

as_err estudy_groups_test(estudy_result *r, const estudy_acc *acc)
{
    int ne = r->nevents;
    size_t cap = (size_t)(ne ? ne : 1);
    int *members = malloc(cap * sizeof *members);
    double *buf = malloc(2 * cap * sizeof *buf);
    uint64_t *keys = malloc(2 * cap * sizeof *keys);
    as_err err = AS_OK;
    if (!members || !buf || !keys) {
        err = as_fail(AS_ERR_NOMEM, "event study: no memory for group tests");
        goto cleanup;
    }
    for (int gi = 0; gi < r->ngroups; gi++) {
        estudy_group *g = &r->groups[gi];
        int nm = 0;
        for (int e = 0; e < ne; e++) {
            if (r->firm[e].status != ESTUDY_OK)
                continue;
            const int *m = acc->gmap + (size_t)e * ESTUDY_GROUPS_PER_EVENT;
            if (m[0] == gi || m[1] == gi || m[2] == gi)
                members[nm++] = e;
        }
        g->n = nm;
        /* Kolari & Pynnonen (2010) eq. (9): average off-diagonal correlation
         * of the estimation residuals = (|sum z_i|^2 - n) / (n (n - 1)) for
         * unit-norm centred z_i.  Not clipped at 0: a negative average
         * correlation makes the adjusted statistics larger, as it should.
         * A group pooling several event dates averages over all its n(n-1)
         * ordered pairs with the pairs of different dates at 0 (see
         * acc_fold_date in estudy_run.c): Var(sum SCAR) = n (1 + (n-1) rbar)
         * for a block-diagonal correlation, one block per date. */
        g->rbar = nm > 1 ? acc->zpair[gi] / ((double)nm * (nm - 1)) : NAN;

        const double *us = acc->usum + (size_t)gi * acc->T;
        const double *uc = acc->ucnt + (size_t)gi * acc->T;
        /* Corrado (1989) eq. 6 / Campbell & Wasley (1993) eq. 9: S_U over
         * every day of estimation + event span, divisor T (days with ranks). */
        double su = 0;
        int tdays = 0;
        for (int k = 0; k < acc->T; k++)
            if (uc[k] > 0) {
                double ub = us[k] / uc[k];
                su += ub * ub;
                tdays++;
            }
        su = tdays ? sqrt(su / tdays) : NAN;

        for (int w = 0; w < r->nwin; w++) {
            int n = 0;
            double sum = 0, sum2 = 0, ssum = 0, ssum2 = 0, vsum = 0, psum = 0;
            int npos = 0;
            for (int i = 0; i < nm; i++) {
                int e = members[i];
                size_t k = (size_t)e * r->nwin + w;
                double car = r->car[k];
                if (isnan(car))
                    continue;
                double sc = r->scar[k];
                int df = r->firm[e].df_t;
                buf[n++] = car;
                sum += car;
                sum2 += car * car;
                ssum += sc;
                ssum2 += sc * sc;
                /* Patell (1976): SCAR_i ~ t(df_i), Var = df/(df-2). */
                vsum += df > 2 ? (double)df / (df - 2) : NAN;
                psum += r->firm[e].pos_frac;
                npos += car > 0;
            }
            for (int t = 0; t < ESTUDY_NTESTS; t++)
                estudy_group_set(g, w, (estudy_test)t, NAN, NAN, n);
            g->estimate[w] = n ? sum / n : NAN;
            if (n == 0)
                continue;
            double mean = sum / n, smean = ssum / n;
            double kp = NAN;
            if (n > 1 && !isnan(g->rbar)) {
                double den = 1.0 + (n - 1) * g->rbar;
                if (den > 0)
                    kp = sqrt((1.0 - g->rbar) / den); /* KP 2010 eq. (11) */
            }
            if (n > 1) {
                /* Cross-sectional t (Brown & Warner 1985): SD divisor n - 1. */
                double sd = sqrt((sum2 - n * mean * mean) / (n - 1));
                double t = mean / (sd / sqrt(n));
                estudy_group_set(g, w, ESTUDY_TEST_CSECT_T, t, estudy_t_sf2(t, n - 1), n);
                /* BMP (1991) eq. (8): mean SCAR over its cross-sectional SE,
                 * SD divisor n - 1, t with n - 1 df. */
                double ssd = sqrt((ssum2 - n * smean * smean) / (n - 1));
                double bmp = smean / (ssd / sqrt(n));
                estudy_group_set(g, w, ESTUDY_TEST_BMP, bmp, estudy_t_sf2(bmp, n - 1), n);
                estudy_group_set(g, w, ESTUDY_TEST_KP_BMP, bmp * kp,
                                 estudy_t_sf2(bmp * kp, n - 1), n);
            }
            /* Patell (1976): Z = sum SCAR / sqrt(sum df/(df-2)), N(0,1). */
            double z = ssum / sqrt(vsum);
            estudy_group_set(g, w, ESTUDY_TEST_PATELL, z, estudy_norm_sf2(z), n);
            estudy_group_set(g, w, ESTUDY_TEST_KP_PATELL, z * kp, estudy_norm_sf2(z * kp), n);

            /* Corrado rank over the window's days (Campbell & Wasley 1993):
             * T = sum_t Ubar_t / (sqrt(L) S_U), N(0,1). */
            int d0 = acc->L1 + r->windows[w].start - r->span_start;
            int d1 = acc->L1 + r->windows[w].end - r->span_start;
            double usum_w = 0;
            int L = 0;
            for (int k = d0; k <= d1; k++)
                if (uc[k] > 0) {
                    usum_w += us[k] / uc[k];
                    L++;
                }
            if (L > 0 && su > 0) {
                double tr = usum_w / (sqrt(L) * su);
                estudy_group_set(g, w, ESTUDY_TEST_CORRADO_RANK, tr, estudy_norm_sf2(tr), n);
            }
            /* Cowan (1992) generalized sign: phat = mean share of positive
             * estimation ARs; Z = (w - n phat) / sqrt(n phat (1 - phat)). */
            double ph = psum / n;
            if (ph > 0 && ph < 1) {
                double gz = (npos - n * ph) / sqrt(n * ph * (1.0 - ph));
                estudy_group_set(g, w, ESTUDY_TEST_GEN_SIGN, gz, estudy_norm_sf2(gz), n);
            }
            int nw;
            double wz = wilcoxon_z(buf, n, buf + cap, keys, keys + cap, &nw);
            estudy_group_set(g, w, ESTUDY_TEST_WILCOXON, wz, estudy_norm_sf2(wz), nw);
        }
        if (r->compat == ESTUDY_COMPAT_STATA_ESTUDY &&
            (err = estudy_compat_group(r, acc, g, members, nm)))
            goto cleanup;
    }
cleanup:
    free(members);
    free(buf);
    free(keys);
    return err;
}
