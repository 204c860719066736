/*
 * estudy_compat.c -- the group statistics of Stata estudy for
 * `--compat estudy`: what estudy.ado 2.1.2 (16 Sep 2021; Pacicco, Vena &
 * Venegoni 2018, Stata Journal 18(2); 2021, SJ 21(1)) computes for a
 * varlist, formula by formula from the ado's own arithmetic, where it
 * differs from the native statistics of estudy_tests.c.  Its help file
 * (SJ21-4 st0532_3) names the tests; the ado fixes their conventions.
 *
 * Owns: estudy's CAAR, its average cross-correlation, its Norm, ADJPatell,
 * GRANK and Wilcoxon statistics and its BMP and KP p-values.  Reads the
 * per-firm results (estimated with estudy's per-firm conventions in
 * estudy_run.c) and the estimation residuals kept in estudy_acc.resid.
 * Patell is the native formula, which with estudy's df_t (estudy_run.c)
 * is the ado's; it is only blanked, as all of estudy's group statistics,
 * for a group of one (estudy shows none for a single security).  The
 * generalized sign test is not estudy's and stays as estudy_tests.c made it.
 *
 * Where estudy counts every security of the varlist (its n, its Patell
 * variance sum), these count the firm-events with a CAR in the window:
 * the same whenever every firm has data.
 */
#include "analytics/estudy_impl.h"

#include <math.h>
#include <stdlib.h>

/*
 * estudy's rho_Kolari: `corr` of every pair of AR series over the
 * estimation window (each pair on the days both have, Pearson), then
 * mean(select(vech(C), vech(C) :< 1)) -- the mean of the pairwise
 * correlations below 1 (missing ones and exact 1s left out).  In event
 * time: for firms with different event dates estudy aligns the series on
 * day 0, and so does this.  O(n^2 L1), as in the ado.
 */
static double pairwise_rbar(const estudy_acc *acc, const int *members, int nm)
{
    int L1 = acc->L1;
    double sum = 0;
    long npair = 0;
    for (int a = 0; a < nm; a++) {
        const double *x = acc->resid + (size_t)members[a] * L1;
        for (int b = a + 1; b < nm; b++) {
            const double *y = acc->resid + (size_t)members[b] * L1;
            double mx = 0, my = 0;
            int n = 0;
            for (int k = 0; k < L1; k++)
                if (!isnan(x[k]) && !isnan(y[k])) {
                    mx += x[k];
                    my += y[k];
                    n++;
                }
            if (n < 2)
                continue;
            mx /= n;
            my /= n;
            double sxy = 0, sxx = 0, syy = 0;
            for (int k = 0; k < L1; k++)
                if (!isnan(x[k]) && !isnan(y[k])) {
                    sxy += (x[k] - mx) * (y[k] - my);
                    sxx += (x[k] - mx) * (x[k] - mx);
                    syy += (y[k] - my) * (y[k] - my);
                }
            double rho = sxy / sqrt(sxx * syy);
            if (rho < 1) { /* false for NAN */
                sum += rho;
                npair++;
            }
        }
    }
    return npair ? sum / npair : NAN;
}

/* AR of firm-event e on estudy's day d (NAN when none): with the weekend
 * rule estudy's days 1, 2, ... are the engine's 0, 1, ... and day 0 is
 * empty. */
static double ar_on_day(const estudy_result *r, const estudy_acc *acc, int e, int d)
{
    if (acc->events[e].no_day0) {
        if (d == 0)
            return NAN;
        d -= d > 0;
    }
    int i = d - r->span_start;
    return i >= 0 && i < r->span ? r->ar[(size_t)e * r->span + i] : NAN;
}

as_err estudy_compat_group(estudy_result *r, const estudy_acc *acc, estudy_group *g,
                           const int *members, int nm)
{
    int L1 = acc->L1, k_st = acc->kstata;
    /* scratch: values, ranks (L1 + 1 each), sort keys 2 (L1 + 1), the
     * rank sums and counts per position (L1 + 1 each), window members */
    size_t T = (size_t)L1 + 1;
    double *v = malloc((4 * T + (size_t)(nm ? nm : 1)) * sizeof *v);
    uint64_t *keys = malloc(2 * T * sizeof *keys);
    if (!v || !keys) {
        free(v);
        free(keys);
        return as_fail(AS_ERR_NOMEM, "event study: no memory for estudy's group tests");
    }
    double *K = v + T, *usum = v + 2 * T, *ucnt = v + 3 * T, *scar = v + 4 * T;

    g->rbar = nm > 1 ? pairwise_rbar(acc, members, nm) : NAN;
    double rb = g->rbar;

    /* Norm's degrees of freedom: estudy's m_ret of the group series
     * ln(mean exp AR), i.e. estimation days where some member has an AR. */
    int m_grp = 0;
    for (int t = 0; t < L1; t++) {
        int any = 0;
        for (int i = 0; i < nm && !any; i++)
            any = !isnan(acc->resid[(size_t)members[i] * L1 + t]);
        m_grp += any;
    }

    for (int w = 0; w < r->nwin; w++) {
        /* estudy's CAAR: sum over the window's days of ln(mean_i exp(AR_it))
         * over the firms with an AR that day (egen rowmean). */
        double caar = 0;
        int days = 0;
        for (int d = r->windows[w].start; d <= r->windows[w].end; d++) {
            double s = 0;
            int c = 0;
            for (int i = 0; i < nm; i++) {
                double a = ar_on_day(r, acc, members[i], d);
                if (!isnan(a)) {
                    s += exp(a);
                    c++;
                }
            }
            if (c) {
                caar += log(s / c);
                days++;
            }
        }
        g->estimate[w] = days ? caar : NAN;

        int n = 0;
        double varsum = 0, ssum = 0;
        for (int i = 0; i < nm; i++) {
            size_t k = (size_t)members[i] * r->nwin + w;
            if (isnan(r->car[k]))
                continue;
            scar[n++] = r->scar[k];
            ssum += r->scar[k];
            varsum += r->car_sd[k] * r->car_sd[k];
        }
        /* estudy reports group statistics only for more than one security */
        if (n < 2) {
            static const estudy_test own[] = {ESTUDY_TEST_CSECT_T, ESTUDY_TEST_PATELL,
                                              ESTUDY_TEST_BMP, ESTUDY_TEST_KP_PATELL,
                                              ESTUDY_TEST_KP_BMP, ESTUDY_TEST_CORRADO_RANK,
                                              ESTUDY_TEST_WILCOXON};
            for (size_t t = 0; t < sizeof own / sizeof own[0]; t++)
                estudy_group_set(g, w, own[t], NAN, NAN, n);
            continue;
        }

        /* Norm (its default test): CAAR / sqrt(sum Var(CAR_i) / n^2)
         * (MacKinlay 1997 eq. 18 as the ado cites it), Student t with
         * m - k - 1 df. */
        double zn = g->estimate[w] / sqrt(varsum / ((double)n * n));
        estudy_group_set(g, w, ESTUDY_TEST_CSECT_T, zn, estudy_t_sf2(zn, m_grp - k_st - 1), n);

        /* BMP and KP: the native statistics (KP 2010 eqs. 6-7: sqrt n
         * mean SCAR / sd, sd divisor n - 1), but normal p-values:
         * 2*(1-normal(abs(zbmp))).  KP multiplies by
         * sqrt((1 - rho)/(1 + (n - 1) rho)). */
        double bmp = g->stat[w][ESTUDY_TEST_BMP];
        estudy_group_set(g, w, ESTUDY_TEST_BMP, bmp, estudy_norm_sf2(bmp), n);
        double den = 1.0 + (n - 1) * rb;
        double kp = n > 1 && den > 0 ? bmp * sqrt((1.0 - rb) / den) : NAN;
        estudy_group_set(g, w, ESTUDY_TEST_KP_BMP, kp, estudy_norm_sf2(kp), n);

        /* ADJPatell: the Patell Z divided by sqrt(1 + (n - 1) rho) (the
         * ado's "KP 2010 eq. 13"), not KP's sqrt((1 - rho)/(1 + (n - 1)
         * rho)) factor; normal p. */
        double zp = g->stat[w][ESTUDY_TEST_PATELL];
        double adj = n > 1 && den > 0 ? zp / sqrt(den) : NAN;
        estudy_group_set(g, w, ESTUDY_TEST_KP_PATELL, adj, estudy_norm_sf2(adj), n);

        /* Wilcoxon as the ado computes it: for each firm, the rank of |CAR|
         * among its own |AR| of the estimation window and |CAR| (average
         * ranks, egen rank), summed over the firms with CAR >= 0; then
         * (W - n(n+1)/4) / sqrt(n(n+1)(2n+1)/24) (Sprent & Smeeton 2001
         * eq. 2.1, no tie correction), normal p. */
        double W = 0;
        for (int i = 0; i < nm; i++) {
            int e = members[i];
            double car = r->car[(size_t)e * r->nwin + w];
            if (isnan(car) || car < 0)
                continue;
            const double *res = acc->resid + (size_t)e * L1;
            double a = fabs(car);
            int less = 0, eq = 0;
            for (int t = 0; t < L1; t++) {
                double x = fabs(res[t]); /* NAN compares false */
                less += x < a;
                eq += x == a;
            }
            W += less + 1 + eq / 2.0;
        }
        double wz = (W - n * (n + 1.0) / 4.0) /
                    sqrt(n * (n + 1.0) * (2.0 * n + 1.0) / 24.0);
        estudy_group_set(g, w, ESTUDY_TEST_WILCOXON, wz, estudy_norm_sf2(wz), n);

        /* GRANK, Kolari & Pynnonen (2011) as the ado computes it: SAR_t =
         * AR_t / sqrt(r(Var)) over the estimation window, the window's
         * SCAR_i / sd(SCAR) (cross-sectional sd, divisor n - 1) as one
         * more "cumulative day" after it; per firm U = rank/(L1 + 1) - 1/2
         * over those values (ties averaged); Ubar_t the mean over firms;
         * S = sqrt(sum_t (n_t / n) Ubar_t^2 / L1); Z = Ubar_cum / S;
         * t = Z sqrt((L1 - 2)/(L1 - 1 - Z^2)) with L1 - 1 df.  (KP 2011
         * write T + 1, T and T - 1 for the ado's L1 + 1, L1, L1 - 1.) */
        estudy_group_set(g, w, ESTUDY_TEST_CORRADO_RANK, NAN, NAN, n);
        double smean = ssum / n, ss = 0;
        for (int i = 0; i < n; i++)
            ss += (scar[i] - smean) * (scar[i] - smean);
        double csd = sqrt(ss / (n - 1));
        if (!(csd > 0))
            continue;
        for (size_t t = 0; t < T; t++)
            usum[t] = ucnt[t] = 0;
        for (int i = 0; i < nm; i++) {
            int e = members[i];
            size_t k = (size_t)e * r->nwin + w;
            if (isnan(r->car[k]))
                continue;
            const double *res = acc->resid + (size_t)e * L1;
            double sd = sqrt(r->firm[e].sigma2);
            for (int t = 0; t < L1; t++)
                v[t] = res[t] / sd;
            v[L1] = r->scar[k] / csd;
            estudy_ranks_average(K, v, (int)T, keys, keys + T);
            for (size_t t = 0; t < T; t++)
                if (!isnan(K[t])) {
                    usum[t] += K[t] / (L1 + 1.0) - 0.5;
                    ucnt[t] += 1;
                }
        }
        double s2 = 0;
        for (size_t t = 0; t < T; t++)
            if (ucnt[t] > 0) {
                double ub = usum[t] / ucnt[t];
                s2 += ucnt[t] / n * ub * ub;
            }
        double z = usum[L1] / ucnt[L1] / sqrt(s2 / L1);
        double tg = z * sqrt((L1 - 2.0) / (L1 - 1.0 - z * z));
        estudy_group_set(g, w, ESTUDY_TEST_CORRADO_RANK, tg, estudy_t_sf2(tg, L1 - 1.0), n);
    }
    free(v);
    free(keys);
    return AS_OK;
}
