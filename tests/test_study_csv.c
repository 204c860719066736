/*
 * test_study_csv.c -- the study loader's number cells against strtod.
 *
 * estudy_csv.c parses plain decimals on an exact fast path (Clinger 1990)
 * and leaves everything else to strtod; the two must agree bit for bit.
 * A wide CSV of random cells in the spellings study inputs use (%.8g,
 * %.17g, %e, fixed, integers, a leading '+', exponents at and past the
 * fast path's +-22, more digits than 2^53 holds) is loaded and every value
 * compared with strtod of the same text.  Also: a 3,000-column header (the
 * hashed name table) keeps every column in order and still refuses a
 * repeated name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/estudy.h"
#include "analytics/estudy_csv.h"

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void cell(char *out, size_t n, uint64_t *s)
{
    double r = (double)(rng_next(s) >> 11) / 9007199254740992.0 - 0.5;
    int ex = (int)(rng_next(s) % 60) - 30;
    double v = r * pow(10.0, ex);
    switch (rng_next(s) % 9) {
    case 0: snprintf(out, n, "%.8g", v); break;
    case 1: snprintf(out, n, "%.17g", v); break;
    case 2: snprintf(out, n, "%.6e", v); break;
    case 3: snprintf(out, n, "%.10f", r); break;
    case 4: snprintf(out, n, "%lld", (long long)(rng_next(s) % 100000000000ULL) - 50000000000LL); break;
    case 5: snprintf(out, n, "+%.9g", fabs(v)); break;
    case 6: snprintf(out, n, "%llue%d", (unsigned long long)(rng_next(s) % 9007199254740993ULL),
                     (int)(rng_next(s) % 49) - 24); break;
    case 7: snprintf(out, n, "%llu.%llu", (unsigned long long)(rng_next(s) % 1000000000ULL),
                     (unsigned long long)rng_next(s)); break; /* > 2^53 digits */
    default: snprintf(out, n, "%.15g", r); break;
    }
}

static void test_numbers_match_strtod(void **state)
{
    (void)state;
    enum { COLS = 40, ROWS = 500 };
    char path[] = "/tmp/test_study_csv.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    static char cells[ROWS][COLS][48];
    uint64_t s = 1990;
    fprintf(f, "date");
    for (int j = 0; j < COLS; j++)
        fprintf(f, ",C%d", j);
    fprintf(f, "\n");
    for (int i = 0; i < ROWS; i++) {
        int32_t day = 18000 + i;
        char d[11];
        estudy_date_format(d, day);
        fprintf(f, "%s", d);
        for (int j = 0; j < COLS; j++) {
            cell(cells[i][j], sizeof cells[i][j], &s);
            fprintf(f, ",%s", cells[i][j]);
        }
        fprintf(f, "\n");
    }
    assert_int_equal(fclose(f), 0);
    estudy_panel p;
    int nfac;
    if (estudy_csv_load_panel(&p, path, 1, 0, NULL, &nfac))
        fail_msg("%s", as_last_error());
    unlink(path);
    assert_int_equal(p.ndates, ROWS);
    for (int j = 0; j < COLS; j++) {
        char name[16];
        snprintf(name, sizeof name, "C%d", j);
        int sj = estudy_panel_find(&p, name);
        assert_int_equal(sj, j);
        for (int i = 0; i < ROWS; i++) {
            double want = strtod(cells[i][j], NULL), got = p.ret[(size_t)sj * p.ndates + i];
            if (memcmp(&want, &got, sizeof got) != 0)
                fail_msg("'%s': got %.17g, strtod %.17g", cells[i][j], got, want);
        }
    }
    estudy_panel_free(&p);
}

static void test_wide_header(void **state)
{
    (void)state;
    enum { COLS = 3000 };
    for (int dup = 0; dup < 2; dup++) {
        char path[] = "/tmp/test_study_csv.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        assert_non_null(f);
        fprintf(f, "date");
        for (int j = 0; j < COLS; j++)
            fprintf(f, ",T%d", dup && j == COLS - 1 ? 17 : j);
        fprintf(f, "\n2024-01-02");
        for (int j = 0; j < COLS; j++)
            fprintf(f, ",%d", j);
        fprintf(f, "\n");
        assert_int_equal(fclose(f), 0);
        estudy_panel p;
        int nfac;
        as_err err = estudy_csv_load_panel(&p, path, 1, 0, NULL, &nfac);
        unlink(path);
        if (dup) {
            assert_int_equal(err, AS_ERR_PARSE);
            assert_non_null(strstr(as_last_error(), "field 'T17': the column name appears twice"));
            continue;
        }
        assert_int_equal(err, AS_OK);
        assert_int_equal(p.nseries, COLS);
        for (int j = 0; j < COLS; j++) {
            char name[16];
            snprintf(name, sizeof name, "T%d", j);
            assert_string_equal(p.names[j], name);
            assert_true(p.ret[j] == j);
        }
        estudy_panel_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_match_strtod),
        cmocka_unit_test(test_wide_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
