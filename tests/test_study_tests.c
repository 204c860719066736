/*
 * test_study_tests.c -- every group statistic of the event study
 * (analytics/estudy_tests.c) and the per-firm CAR standard deviation on
 * small cases whose values were worked out independently:
 *
 *   by hand (test_hand_group_tests, test_hand_car_sd): three firms, a
 *   five-day estimation window, the arithmetic written in the comments;
 *   values are multiples of u = 1/128 so every return, sum and tie is exact
 *   in binary and the hand value is the engine's value up to rounding of the
 *   final square roots and tails;
 *
 *   by the papers' formulas in numpy/scipy (test_formulas_negative_rbar,
 *   test_formulas_positive_rbar): tests/support/study_tests_check.py, an
 *   SVD least squares and the matrix form of each statistic (it shares no
 *   code with the engine nor with tests/support/study_reference.py), run at
 *   test time on a synthetic market-model panel written here, one with
 *   residuals loading with opposite signs on a common factor (average
 *   cross-correlation below 0: the Kolari-Pynnonen factor must exceed 1,
 *   not be clipped) and one with the same sign.
 *
 * Papers: Brown & Warner (1985) cross-sectional t; Patell (1976) Z;
 * Boehmer, Musumeci & Poulsen (1991) BMP; Kolari & Pynnonen (2010, RFS 23)
 * adjusted Patell and BMP; Corrado (1989), Corrado & Zivney (1992) and
 * Campbell & Wasley (1993) rank test; Cowan (1992) generalized sign;
 * Wilcoxon (1945) signed rank; MacKinlay (1997, JEL 35) eq. 15 for the
 * CAR variance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/estudy.h"
#include "tests/support/testdb.h"

#define U (1.0 / 128) /* exact in binary: sums and ties stay exact */

static void check(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want) + 1e-300))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

/* A panel of nd days: series 0 is the market, then nf firms; ret (nf + 1,
 * nd) row-major, in units of u. */
static void panel_build(estudy_panel *p, int nd, int nf, const double *ret, double unit)
{
    assert_int_equal(estudy_panel_alloc(p, nd, nf + 1, 0), AS_OK);
    for (int t = 0; t < nd; t++)
        p->dates[t] = 20000 + t;
    for (int s = 0; s <= nf; s++) {
        char name[16];
        snprintf(name, sizeof name, s ? "F%d" : "MKT", s - 1);
        p->names[s] = strdup(name);
        for (int t = 0; t < nd; t++)
            p->ret[(size_t)s * nd + t] = ret[(size_t)s * nd + t] * unit;
    }
}

/*
 * Hand case.  Market-adjusted model (AR = R - Rm), so no estimation error:
 * the engine's sigma^2 is the sample variance of the estimation ARs
 * (divisor M - 1 = 4), Var(CAR) = sigma^2 L, and SCAR_i = CAR_i / sd is
 * t(4)-distributed (Patell variance df/(df-2) = 4/2 = 2).  Day 0 is day
 * index 6; estimation [-6,-2] (5 days), windows [0,0] and [-1,1].
 * ARs in units of u:
 *
 *        estimation (5 days)      day -1   day 0   day +1
 *   A    1  -1   2  -2   0         0.5      3       1.5
 *   B   -1   1  -2   2   0         0.5      4      -1.5
 *   C    4   2  -4  -2   0        -0.5     -1.5    -1
 *
 * Estimation: every mean is 0; sum of squares A 10, B 10, C 40, so
 * sigma^2 = 2.5, 2.5, 10 (u^2).  Correlations: rho_AB = -10/10 = -1,
 * rho_AC = (4-2-8+4)/sqrt(10*40) = -0.1, rho_BC = +0.1, so
 * rbar = (-1 - 0.1 + 0.1)/3 = -1/3 and the Kolari-Pynnonen factor is
 * sqrt((1 - rbar)/(1 + 2 rbar)) = sqrt((4/3)/(1/3)) = 2 (a negative
 * correlation makes the adjusted statistics larger; it is not clipped).
 * Share of positive estimation ARs: 2/5 for each firm, phat = 0.4.
 *
 * Window [0,0] (L = 1): CAR = 3, 4, -1.5; SD = sqrt 2.5, sqrt 2.5, sqrt 10;
 * SCAR = 1.8973666, 2.5298221, -0.4743416 (sum 3.9528471).
 *   csect_t  mean 11/6, SD sqrt(((7/6)^2+(13/6)^2+(20/6)^2)/2) = sqrt(618/72)
 *            = 2.9297326: t = (11/6) sqrt 3 / 2.9297326 = 1.0838622, t(2).
 *   patell   3.9528471 / sqrt(3 * 2) = 1.6137431, N(0,1).
 *   bmp      mean SCAR 1.3176157, SD 1.5837719: 1.3176157 sqrt 3 / 1.5837719
 *            = 1.4409760, t(2).
 *   kp_*     x 2: 3.2274861 (N), 2.8819521 (t(2)).
 *   corrado  each firm ranks its 5 estimation and 3 event ARs, U = K/9 - 1/2:
 *              A  5 2 7 1 3 | 4 8 6     B  3 6 1 7 4 | 5 8 2
 *              C  8 7 1 2 6 | 5 3 4
 *            mean K per day: 16/3 5 3 10/3 13/3 | 14/3 19/3 4, so
 *            54 Ubar = 5 3 -9 -7 -1 | 1 11 -3; sum of squares 296/54^2,
 *            S_U = sqrt(296/8)/54 = sqrt 37/54; T = 11/sqrt 37 = 1.8083889.
 *   gen_sign w = 2 positive CARs: (2 - 3*0.4)/sqrt(3*0.4*0.6) = 0.9428090.
 *   wilcoxon |CAR| ranks 1.5->1 (-), 3->2 (+), 4->3 (+): W+ = 5, mean 3,
 *            variance 3*4*7/24 = 3.5: z = 2/sqrt 3.5 = 1.0690450.
 * Window [-1,1] (L = 3): CAR = 5, 3, -3; SD = sqrt 7.5, sqrt 7.5, sqrt 30;
 * SCAR = 1.8257419, 1.0954451, -0.5477226.
 *   csect_t  mean 5/3, SD sqrt(52/3) = 4.1633320: t = 0.6933752.
 *   patell   2.3734644 / sqrt 6 = 0.9689628;  kp_patell 1.9379256.
 *   bmp      mean 0.7911548, SD 1.2156388: 1.1272430;  kp_bmp 2.2544859.
 *   corrado  (1 + 11 - 3)/54 / (sqrt 3 sqrt 37 / 54) = 9/sqrt 111 = 0.8542422.
 *   gen_sign as above, 0.9428090.
 *   wilcoxon |3| twice: ranks 1.5, 1.5, and 3 for 5; W+ = 3 + 1.5 = 4.5; the
 *            tie correction (2^3 - 2)/48 = 0.125 makes the variance 3.375:
 *            z = 1.5/sqrt 3.375 = 0.8164966.
 * The p-values are the two-sided tails of the distribution named (scipy
 * 1.10.1 evaluated them for the closed forms above).
 *
 * Tolerance 1e-9 relative: the inputs are exact, so the engine differs
 * from the closed forms only by rounding (~1e-15) and its incomplete-beta
 * t tail (~1e-12 against scipy's); a formula slip moves values by > 1e-3.
 */
static void test_hand_group_tests(void **state)
{
    (void)state;
    static const double ret[4 * 8] = {
        /* MKT: anything; the model subtracts it */
        1, 0, -1, 2, 1, 0.5, -2, 1,
        /* A, B, C: the ARs above plus the market */
        1 + 1, -1 + 0, 2 - 1, -2 + 2, 0 + 1, 0.5 + 0.5, 3 - 2, 1.5 + 1,
        -1 + 1, 1 + 0, -2 - 1, 2 + 2, 0 + 1, 0.5 + 0.5, 4 - 2, -1.5 + 1,
        4 + 1, 2 + 0, -4 - 1, -2 + 2, 0 + 1, -0.5 + 0.5, -1.5 - 2, -1 + 1,
    };
    estudy_panel p;
    panel_build(&p, 8, 3, ret, U);
    estudy_event ev[3];
    for (int i = 0; i < 3; i++)
        ev[i] = (estudy_event){.firm = 1 + i, .t0 = 6, .sector = -1, .shares = NAN};
    estudy_config cfg;
    estudy_config_default(&cfg);
    cfg.model = ESTUDY_MODEL_MARKET_ADJUSTED;
    cfg.est_start = -6;
    cfg.est_end = -2;
    cfg.min_est_obs = 5;
    cfg.nwindows = 2;
    cfg.windows[0] = (estudy_window){0, 0};
    cfg.windows[1] = (estudy_window){-1, 1};
    estudy_result r;
    assert_int_equal(estudy_run(&r, &p, ev, 3, &cfg, 0, NULL, 0, NULL, 0), AS_OK);
    assert_int_equal(r.ngroups, 1);
    const estudy_group *g = &r.groups[0];
    assert_int_equal(g->n, 3);
    check(g->rbar, -1.0 / 3, 1e-12, "rbar");

    static const double car[2][3] = {{3, 4, -1.5}, {5, 3, -3}};
    static const double sd[2][3] = {{1.5811388300841898, 1.5811388300841898, 3.1622776601683795},
                                    {2.7386127875258306, 2.7386127875258306, 5.477225575051661}};
    for (int w = 0; w < 2; w++)
        for (int e = 0; e < 3; e++) {
            size_t k = (size_t)e * r.nwin + w;
            check(r.car[k], car[w][e] * U, 1e-12, "CAR");
            check(r.car_sd[k], sd[w][e] * U, 1e-12, "CAR sd");
        }
    for (int e = 0; e < 3; e++) {
        assert_int_equal(r.firm[e].status, ESTUDY_OK);
        assert_int_equal(r.firm[e].n_est, 5);
        assert_int_equal(r.firm[e].df, 4);
        check(r.firm[e].pos_frac, 0.4, 1e-15, "phat");
    }

    /* {statistic, p} per test, in estudy_test order. */
    static const double want[2][ESTUDY_NTESTS][2] = {
        {{1.0838622059807224, 0.39169861002973594},
         {1.6137430609197572, 0.10658316957488753},
         {1.4409760442605872, 0.28629666307510193},
         {3.2274861218395143, 0.0012488309880884225},
         {2.8819520885211745, 0.10226303574182333},
         {1.8083888603589302, 0.07054600045686604},
         {0.9428090415820635, 0.3457785861511603},
         {1.0690449676496976, 0.28504940740261275}},
        {{0.6933752452815363, 0.5597745468371882},
         {0.968962790249909, 0.3325637549003464},
         {1.127242960381356, 0.3766977080690006},
         {1.937925580499818, 0.0526323025657406},
         {2.254485920762712, 0.152874223813603},
         {0.8542421961772492, 0.3929708076289561},
         {0.9428090415820635, 0.3457785861511603},
         {0.816496580927726, 0.4142161782425252}},
    };
    for (int w = 0; w < 2; w++) {
        check(g->estimate[w], (car[w][0] + car[w][1] + car[w][2]) / 3 * U, 1e-12, "CAAR");
        for (int t = 0; t < ESTUDY_NTESTS; t++) {
            char what[64];
            snprintf(what, sizeof what, "[%d,%d] %s", r.windows[w].start, r.windows[w].end,
                     estudy_test_name((estudy_test)t));
            check(g->stat[w][t], want[w][t][0], 1e-9, what);
            strcat(what, " p");
            check(g->p[w][t], want[w][t][1], 1e-9, what);
            assert_int_equal(g->nobs[w][t], 3);
        }
    }
    estudy_result_free(&r);
    estudy_panel_free(&p);
}

/*
 * MacKinlay (1997) eq. 15 by hand.  Market model, estimation [-5,-1] with
 * market returns m = -2 -1 0 1 2 (u) and firm returns
 * R = 0.5 + 2 m + e, e = 1 -2 0 2 -1: e sums to 0 and is orthogonal to m,
 * so OLS gives alpha = 0.5 u, beta = 2 exactly and SSR = 10 u^2;
 * sigma^2 = SSR / (M - 2) = 10/3 u^2.  X'X = diag(5, 10 u^2), so
 * (X'X)^-1 = diag(0.2, 0.1/u^2).
 * Event days 0 and 1: m = 1, 3 and R = 0.5 + 2 + 2 = 4.5, 0.5 + 6 - 1 = 5.5,
 * so AR = 2, -1 (u).
 *   day 0: Var(AR) = sigma^2 (1 + x'Vx), x = (1, u): 10/3 (1 + 0.2 + 0.1)
 *          = 13/3 u^2.   day 1: x = (1, 3u): 10/3 (1 + 0.2 + 0.9) = 7 u^2.
 *   [0,0]: CAR = 2 u, SD = sqrt(13/3) u = 2.0816660 u, t = 0.9607689.
 *   [0,1]: CAR = 1 u; s = (2, 4u), s'Vs = 0.8 + 1.6 = 2.4, so
 *          Var(CAR) = 10/3 (2 + 2.4) = 44/3 u^2, SD = 3.8297084 u,
 *          t = 0.2611165, p = 0.8109020 (t with M - 2 = 3 df; scipy).
 *   Without the correction the variance would be 10/3 * 2 = 20/3.
 * Tolerance 1e-10 relative: OLS on exact inputs, double rounding only.
 */
static void test_hand_car_sd(void **state)
{
    (void)state;
    static const double ret[2 * 7] = {
        -2, -1, 0, 1, 2, 1, 3,
        0.5 - 4 + 1, 0.5 - 2 - 2, 0.5 + 0 + 0, 0.5 + 2 + 2, 0.5 + 4 - 1, 4.5, 5.5,
    };
    estudy_panel p;
    panel_build(&p, 7, 1, ret, U);
    estudy_event ev = {.firm = 1, .t0 = 5, .sector = -1, .shares = NAN};
    estudy_config cfg;
    estudy_config_default(&cfg);
    cfg.est_start = -5;
    cfg.est_end = -1;
    cfg.min_est_obs = 5;
    cfg.nwindows = 2;
    cfg.windows[0] = (estudy_window){0, 0};
    cfg.windows[1] = (estudy_window){0, 1};
    estudy_result r;
    assert_int_equal(estudy_run(&r, &p, &ev, 1, &cfg, 0, NULL, 0, NULL, 0), AS_OK);
    assert_int_equal(r.firm[0].status, ESTUDY_OK);
    check(r.firm[0].alpha, 0.5 * U, 1e-12, "alpha");
    check(r.firm[0].beta, 2.0, 1e-12, "beta");
    check(r.firm[0].sigma2, 10.0 / 3 * U * U, 1e-12, "sigma2");
    assert_int_equal(r.firm[0].df, 3);
    check(r.ar[0], 2 * U, 1e-10, "AR day 0");
    check(r.ar[1], -1 * U, 1e-10, "AR day 1");
    check(r.ar_sd[0], sqrt(13.0 / 3) * U, 1e-10, "SD AR day 0");
    check(r.ar_sd[1], sqrt(7.0) * U, 1e-10, "SD AR day 1");
    check(r.car[0], 2 * U, 1e-10, "CAR [0,0]");
    check(r.car_sd[0], sqrt(13.0 / 3) * U, 1e-10, "CAR sd [0,0]");
    check(r.car_t[0], 2 / sqrt(13.0 / 3), 1e-10, "t [0,0]");
    check(r.car[1], 1 * U, 1e-10, "CAR [0,1]");
    check(r.car_sd[1], sqrt(44.0 / 3) * U, 1e-10, "CAR sd [0,1]");
    check(r.car_t[1], 0.26111648393354675, 1e-10, "t [0,1]");
    check(r.car_p[1], 0.8109019924921688, 1e-9, "p [0,1]");
    estudy_result_free(&r);
    estudy_panel_free(&p);
}

/* xorshift64* and Box-Muller: a fixed, portable pseudo-random panel. */
static double rng_gauss(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        u[i] = ((double)((*s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

/*
 * The engine and study_tests_check.py on one synthetic market-model panel:
 * nf firms, R = a + b Rm + c_i f + e (f a common factor the market does
 * not carry, so residuals correlate with sign c_i c_j), plus an event-day
 * shock.  Estimation [-60,-11], windows [0,0] [-2,2] [0,3].  Returns rbar.
 */
static double compare_with_formulas(const double *load, int nf, uint64_t seed)
{
    enum { ND = 80, T0 = 70 };
    double *ret = malloc((size_t)(nf + 1) * ND * sizeof *ret);
    assert_non_null(ret);
    uint64_t s = seed;
    double f[ND];
    for (int t = 0; t < ND; t++) {
        ret[t] = 0.01 * rng_gauss(&s);
        f[t] = 0.01 * rng_gauss(&s);
    }
    for (int i = 0; i < nf; i++)
        for (int t = 0; t < ND; t++) {
            double e = 0.004 * (1 + i) * rng_gauss(&s);
            double shock = t >= T0 - 2 && t <= T0 + 3 ? 0.01 * (i % 3 - 0.7) : 0;
            ret[(size_t)(i + 1) * ND + t] =
                0.0003 * i + (0.6 + 0.2 * i) * ret[t] + load[i] * f[t] + e + shock;
        }
    estudy_panel p;
    panel_build(&p, ND, nf, ret, 1.0);

    char path[] = "/tmp/test_study_tests.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    fprintf(out, "date,MKT");
    for (int i = 0; i < nf; i++)
        fprintf(out, ",F%d", i);
    fputc('\n', out);
    for (int t = 0; t < ND; t++) {
        fprintf(out, "%d", t);
        for (int sr = 0; sr <= nf; sr++)
            fprintf(out, ",%.17g", p.ret[(size_t)sr * ND + t]);
        fputc('\n', out);
    }
    assert_int_equal(fclose(out), 0);

    estudy_event ev[8];
    for (int i = 0; i < nf; i++)
        ev[i] = (estudy_event){.firm = 1 + i, .t0 = T0, .sector = -1, .shares = NAN};
    estudy_config cfg;
    estudy_config_default(&cfg);
    cfg.est_start = -60;
    cfg.est_end = -11;
    cfg.min_est_obs = 30;
    cfg.nwindows = 3;
    cfg.windows[0] = (estudy_window){0, 0};
    cfg.windows[1] = (estudy_window){-2, 2};
    cfg.windows[2] = (estudy_window){0, 3};
    estudy_result r;
    assert_int_equal(estudy_run(&r, &p, ev, nf, &cfg, 0, NULL, 0, NULL, 0), AS_OK);

    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s' '%s' %d -60 -11 0:0 -2:2 0:3",
             testdb_src_path("tests/support/study_tests_check.py"), path, T0);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    json_error_t jerr;
    json_t *doc = json_loadf(pp, 0, &jerr);
    int rc = pclose(pp);
    unlink(path);
    if (!doc || rc != 0)
        fail_msg("study_tests_check.py failed (rc %d): %s", rc, doc ? "" : jerr.text);

    const estudy_group *g = &r.groups[0];
    double rbar = json_number_value(json_object_get(doc, "rbar"));
    /* sum-of-unit-vectors identity vs numpy.corrcoef over the residual
     * matrix: OLS residuals differ by ~1e-16, the correlations by less. */
    check(g->rbar, rbar, 1e-10, "rbar");
    json_t *firms = json_object_get(doc, "firms");
    for (int e = 0; e < nf; e++)
        for (int w = 0; w < r.nwin; w++) {
            json_t *fe = json_array_get(firms, (size_t)e);
            size_t k = (size_t)e * r.nwin + w;
            /* Cholesky normal equations vs SVD least squares on a
             * well-conditioned 50 x 2 design: agreement to ~1e-13. */
            check(r.car[k], json_number_value(json_array_get(json_object_get(fe, "car"), w)),
                  1e-9, "CAR");
            check(r.car_sd[k],
                  json_number_value(json_array_get(json_object_get(fe, "car_sd"), w)), 1e-9,
                  "CAR sd");
        }
    json_t *tests = json_object_get(doc, "tests");
    for (int w = 0; w < r.nwin; w++)
        for (int t = 0; t < ESTUDY_NTESTS; t++) {
            json_t *v = json_object_get(json_array_get(tests, (size_t)w),
                                        estudy_test_name((estudy_test)t));
            assert_non_null(v);
            char what[64];
            snprintf(what, sizeof what, "[%d,%d] %s", r.windows[w].start, r.windows[w].end,
                     estudy_test_name((estudy_test)t));
            /* Statistics: double rounding of the inputs above; 1e-9.
             * p-values: our tails vs scipy's cephes, 1e-8. */
            check(g->stat[w][t], json_number_value(json_array_get(v, 0)), 1e-9, what);
            strcat(what, " p");
            check(g->p[w][t], json_number_value(json_array_get(v, 1)), 1e-8, what);
            assert_int_equal(g->nobs[w][t], (int)json_integer_value(json_array_get(v, 2)));
        }
    json_decref(doc);
    estudy_result_free(&r);
    estudy_panel_free(&p);
    free(ret);
    return rbar;
}

static void test_formulas_negative_rbar(void **state)
{
    (void)state;
    /* two firms load +1.5, two -1.5: four of six pairs correlate negatively */
    static const double load[4] = {1.5, 1.5, -1.5, -1.5};
    double rbar = compare_with_formulas(load, 4, 1976);
    assert_true(rbar < -0.1);
}

static void test_formulas_positive_rbar(void **state)
{
    (void)state;
    static const double load[5] = {0.8, 1.0, 1.2, 0.6, 0.9};
    double rbar = compare_with_formulas(load, 5, 2010);
    assert_true(rbar > 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_group_tests),
        cmocka_unit_test(test_hand_car_sd),
        cmocka_unit_test(test_formulas_negative_rbar),
        cmocka_unit_test(test_formulas_positive_rbar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
