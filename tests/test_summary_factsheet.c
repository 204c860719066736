/*
 * test_summary_factsheet.c -- the fact-sheet text form: a written sheet parses
 * back to the same sheet, bad input names the source, line and field, and
 * the per-stock prompt holds only that stock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/distill_facts.h"
#include "model/factsheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fixture_read(const char *name)
{
    const char *src = getenv("AS_SRC_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The fixture without its comment lines is exactly what the writer prints. */
static void test_fixture_round_trip(void **state)
{
    (void)state;
    char *text = fixture_read("facts_nvda_2025-01-27.txt");
    factsheet fs;
    assert_int_equal(factsheet_parse(&fs, text, "fixture"), AS_OK);
    assert_string_equal(fs.date, "2025-01-27");
    assert_int_equal(fs.n_stocks, 3);
    assert_int_equal(fs.n_sectors, 2);
    assert_int_equal(fs.stocks[0].n_win, 2);
    assert_true(fs.stocks[0].ret0 == -16.97);
    assert_true(fs.stocks[0].mv_bn == -589.0);
    assert_int_equal(fs.stocks[0].win[1].to, 5);
    char *out = factsheet_write(&fs);
    const char *body = strstr(text, "facts v1");
    assert_string_equal(out, body);
    free(out);
    factsheet_clear(&fs);
    free(text);
}

/* 300 random sheets: write, parse, write again gives the same bytes and the
 * same numbers (the struct holds the printed precision after normalize). */
static void test_random_round_trip(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        factsheet a, b;
        assert_int_equal(distill_random_sheet(&a, seed, 8), AS_OK);
        char *t1 = factsheet_write(&a);
        assert_int_equal(factsheet_parse(&b, t1, "random"), AS_OK);
        char *t2 = factsheet_write(&b);
        assert_string_equal(t1, t2);
        assert_int_equal(a.n_stocks, b.n_stocks);
        for (int i = 0; i < a.n_stocks; i++) {
            assert_true(a.stocks[i].ar0 == b.stocks[i].ar0);
            assert_true(a.stocks[i].mv_bn == b.stocks[i].mv_bn);
        }
        free(t1);
        free(t2);
        factsheet_clear(&a);
        factsheet_clear(&b);
    }
}

static void expect_error(const char *text, const char *message)
{
    factsheet fs;
    assert_int_equal(factsheet_parse(&fs, text, "bad.facts"), AS_ERR_PARSE);
    assert_string_equal(as_last_error(), message);
    assert_int_equal(fs.n_stocks, 0);
    assert_null(fs.stocks);
}

static void test_errors_name_line_and_field(void **state)
{
    (void)state;
    expect_error("facts v2\n", "'bad.facts': line 1: field 'header': expected 'facts v1'");
    expect_error("facts v1\nevent date=2025-01-27 | t\nmarket ticker=SPY ret0=abc\n",
                 "'bad.facts': line 3: field 'ret0': expected a number");
    expect_error("facts v1\nevent date=2025-1-27 | t\n",
                 "'bad.facts': line 2: field 'date': expected YYYY-MM-DD");
    expect_error("facts v1\nevent date=2025-01-27 | t\nmarket ticker=SPY ret0=1\n"
                 "car ticker=NVDA win=-1,1 car=1 t=1\n",
                 "'bad.facts': line 4: field 'ticker': no stock line before this car line");
    expect_error("facts v1\nevent date=2025-01-27 | t\nmarket ticker=SPY ret0=1\n"
                 "stock ticker=NVDA sector=S ret0=1 ar0=1 t0=1 nest=250\n",
                 "'bad.facts': line 4: field 'mv': missing");
    expect_error("facts v1\nevent date=2025-01-27 | t\n",
                 "'bad.facts': line 2: field 'market': missing record");
    expect_error("facts v1\nevent date=2025-01-27 | t\nmarket ticker=SPY ret0=1\nfoo x=1\n",
                 "'bad.facts': line 4: field 'foo': unknown record (expected event, head, "
                 "market, sector, stock, car)");
}

static void test_stock_prompt_has_one_stock(void **state)
{
    (void)state;
    char *text = fixture_read("facts_nvda_2025-01-27.txt");
    factsheet fs;
    assert_int_equal(factsheet_parse(&fs, text, "fixture"), AS_OK);
    char *p = factsheet_write_stock(&fs, 2);
    assert_non_null(strstr(p, "stock ticker=CEG"));
    assert_non_null(strstr(p, "sector name=Power"));
    assert_null(strstr(p, "NVDA"));
    assert_null(strstr(p, "Semiconductors"));
    assert_null(factsheet_write_stock(&fs, 3));
    free(p);
    factsheet_clear(&fs);
    free(text);
}

/* Two-sided normal critical values 1.645 / 1.960 / 2.576 (any statistics
 * table). */
static void test_sig_levels(void **state)
{
    (void)state;
    assert_int_equal(fact_sig_level(-6.21), 1);
    assert_int_equal(fact_sig_level(2.0), 5);
    assert_int_equal(fact_sig_level(-1.70), 10);
    assert_int_equal(fact_sig_level(1.60), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_round_trip),
        cmocka_unit_test(test_random_round_trip),
        cmocka_unit_test(test_errors_name_line_and_field),
        cmocka_unit_test(test_stock_prompt_has_one_stock),
        cmocka_unit_test(test_sig_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
