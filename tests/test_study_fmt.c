/*
 * test_study_fmt.c -- estudy_fmt_g10() against glibc's snprintf("%.10g"),
 * the formatter it replaces in the study's CSV output: byte-for-byte equal
 * on random values over twenty decades, on numbers with few digits, on
 * exact ties at the tenth digit (glibc rounds them half to even) and next
 * to every power of ten where the exponent changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analytics/estudy_fmt.h"

static int check(double v)
{
    char want[64], got[32];
    snprintf(want, sizeof want, "%.10g", v);
    int n = estudy_fmt_g10(got, v);
    if (strcmp(got, want) != 0 || n != (int)strlen(want)) {
        print_error("%.17g: got '%s' (%d), snprintf '%s'\n", v, got, n, want);
        return 1;
    }
    return 0;
}

/* xorshift64*: reproducible doubles without depending on libc's rand(). */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void test_random_magnitudes(void **state)
{
    (void)state;
    uint64_t s = 20250127;
    int bad = 0;
    for (int i = 0; i < 1000000 && bad < 10; i++) {
        /* log-uniform over 1e-8 .. 1e12 with a random sign: both paths and
         * every exponent the short path takes */
        double u = (double)(rng_next(&s) >> 11) / 9007199254740992.0;
        double v = pow(10.0, -8.0 + 20.0 * u);
        bad += check(rng_next(&s) & 1 ? -v : v);
        /* raw bit patterns: any finite double */
        uint64_t bits = rng_next(&s);
        double w;
        memcpy(&w, &bits, sizeof w);
        if (isfinite(w))
            bad += check(w);
    }
    assert_int_equal(bad, 0);
}

static void test_short_decimals_and_ties(void **state)
{
    (void)state;
    int bad = 0;
    /* few digits: 0.001 .. 99.999 in steps of 0.001 (inexact in binary) */
    for (int i = -100000; i <= 100000; i++)
        bad += check(i / 1000.0);
    /* exact ties at the tenth significant digit: n + 0.5 with ten integer
     * digits, and quarters one decade down */
    for (double b = 1234567890.0; b < 1234567990.0; b += 1.0)
        bad += check(b + 0.5);
    for (double b = 123456789.0; b < 123456889.0; b += 1.0) {
        bad += check(b + 0.25);
        bad += check(b + 0.75);
        bad += check(b + 0.05);
    }
    /* decimal ties that are not binary ties: the double nearest to
     * 1.2345678905 lies a hair above or below the tie, and the scaled
     * product rounds onto it; only the fma error term decides */
    for (int i = 0; i < 20000; i++) {
        double n = 1234567890.0 + 7 * i + 0.5;
        bad += check(n / 1e9) + check(n / 1e12) + check(-n / 1e13) + check(n / 1e5);
    }
    /* around powers of ten, where log10 and the rounding change decade */
    for (int e = -6; e <= 11; e++) {
        double p = pow(10.0, e);
        double v = p;
        for (int k = 0; k < 50; k++, v = nextafter(v, 0))
            bad += check(v);
        v = p;
        for (int k = 0; k < 50; k++, v = nextafter(v, INFINITY))
            bad += check(v);
        bad += check(p * (1 - 4e-11));
        bad += check(p * (1 - 6e-11));
        bad += check(-p * (1 - 5e-11));
    }
    bad += check(0.0) + check(-0.0) + check(INFINITY) + check(-INFINITY) + check(NAN);
    bad += check(9.9999999995) + check(9.99999999949) + check(0.00099999999996);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_magnitudes),
        cmocka_unit_test(test_short_decimals_and_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
