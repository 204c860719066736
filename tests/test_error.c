/*
 * test_error.c -- the error enum: every code has a name and an exit code
 * from the documented set, and as_fail() keeps the detail a user will read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"

static void test_every_code_named(void **state)
{
    (void)state;
    for (int e = AS_OK; e <= AS_ERR_LOCKED; e++) {
        assert_string_not_equal(as_strerror((as_err)e), "unknown error");
        int code = as_exit_code((as_err)e);
        assert_true(code >= 0 && code <= 4);
    }
}

static void test_exit_codes_documented(void **state)
{
    (void)state;
    assert_int_equal(as_exit_code(AS_OK), 0);
    assert_int_equal(as_exit_code(AS_ERR_PARSE), 1);
    assert_int_equal(as_exit_code(AS_ERR_USAGE), 2);
    assert_int_equal(as_exit_code(AS_ERR_DB_CONNECT), 3);
    assert_int_equal(as_exit_code(AS_ERR_SOURCE), 4);
    assert_int_equal(as_exit_code(AS_ERR_HTTP), 4);
}

static void test_fail_keeps_detail(void **state)
{
    (void)state;
    as_err e = as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': expected a number",
                       "nvda.csv", 3, "close");
    assert_int_equal(e, AS_ERR_PARSE);
    assert_string_equal(as_last_error(),
                        "'nvda.csv': line 3: field 'close': expected a number");
    as_fail_context(e, "ingest prices");
    assert_string_equal(as_last_error(),
                        "ingest prices: 'nvda.csv': line 3: field 'close': expected a number");
    as_clear_error();
    assert_string_equal(as_last_error(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_named),
        cmocka_unit_test(test_exit_codes_documented),
        cmocka_unit_test(test_fail_keeps_detail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
