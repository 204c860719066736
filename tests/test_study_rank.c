/*
 * test_study_rank.c -- the rank sort behind the Corrado and Wilcoxon tests
 * (analytics/estudy_rank.c) against the definition of the average rank,
 * counted by a plain double loop: rank(x) = 1 + #{y < x} + (#{y == x} - 1)/2
 * over the non-NAN values.  Inputs are built to hit every path: NANs, exact
 * ties, -0.0 beside 0.0, values closer than float precision (the radix key
 * ties and the insertion pass must order them), and a byte of the key that
 * every value shares (a skipped pass), series short enough for the
 * two-byte radix and long enough for the four-byte one.  Exact equality:
 * ranks are halves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "analytics/estudy_impl.h"

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static void check_case(const double *v, int n)
{
    double *u = malloc((size_t)n * sizeof *u);
    uint64_t *k = malloc(2 * (size_t)n * sizeof *k);
    assert_non_null(u);
    assert_non_null(k);
    estudy_ranks_standardized(u, v, n, k, k + n);
    int m = 0;
    for (int i = 0; i < n; i++)
        m += !isnan(v[i]);
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            assert_true(isnan(u[i]));
            continue;
        }
        int less = 0, eq = 0;
        for (int j = 0; j < n; j++) {
            less += v[j] < v[i];
            eq += v[j] == v[i];
        }
        double want = (1.0 + less + (eq - 1) / 2.0) / (m + 1.0) - 0.5;
        if (u[i] != want)
            fail_msg("value %d (%.17g): rank %g, want %g", i, v[i], u[i], want);
    }
    free(u);
    free(k);
}

static void test_ranks_match_definition(void **state)
{
    (void)state;
    uint64_t s = 1989;
    for (int c = 0; c < 300; c++) {
        /* every tenth case past 1,024 values: the four-byte radix path */
        int n = c % 10 == 9 ? 1025 + (int)(rng_next(&s) % 1500) : 1 + (int)(rng_next(&s) % 600);
        double *v = malloc((size_t)n * sizeof *v);
        assert_non_null(v);
        for (int i = 0; i < n; i++) {
            double r = rng_unit(&s);
            switch (c % 5) {
            case 0: v[i] = 0.02 * (r - 0.5); break;             /* residual-like */
            case 1: v[i] = floor(r * 7) - 3; break;             /* heavy ties */
            case 2: v[i] = 1.0 + (double)(rng_next(&s) % 64) * 1e-12; break; /* below float */
            case 3: v[i] = r < 0.2 ? NAN : r < 0.3 ? -0.0 : r < 0.4 ? 0.0 : r - 0.7; break;
            default: v[i] = (r - 0.5) * pow(10.0, (double)(rng_next(&s) % 40) - 20); break;
            }
        }
        check_case(v, n);
        free(v);
    }
}

static void test_positions_ascending(void **state)
{
    (void)state;
    double v[] = {3.5, NAN, -1.0, 2.0, -1.0, 1e-300, -1e300, 0.0};
    uint64_t k[16];
    int n = estudy_sort_positions(k, k + 8, v, 8);
    /* by hand: -1e300 (6), -1.0 (2, 4 in either order), 0.0 (7), 1e-300 (5),
     * 2.0 (3), 3.5 (0); the NAN at 1 left out */
    assert_int_equal(n, 7);
    int want[] = {6, -1, -1, 7, 5, 3, 0};
    for (int j = 0; j < 7; j++)
        if (want[j] >= 0)
            assert_int_equal((int)(uint32_t)k[j], want[j]);
    assert_true((uint32_t)k[1] + (uint32_t)k[2] == 6 && (uint32_t)k[1] != (uint32_t)k[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_match_definition),
        cmocka_unit_test(test_positions_ascending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
