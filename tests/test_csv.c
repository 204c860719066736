/*
 * test_csv.c -- the RFC 4180 reader: quotes, embedded commas/newlines/quotes,
 * CRLF, BOM, blank lines, a missing final newline, and the error for an
 * unterminated quote naming the line where the field began.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/csv.h"

static void test_rfc4180_records(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFticker,name,sector\r\n"
                       "GOOGL,\"Alphabet Inc., Class A\",Cloud\r\n"
                       "\r\n"
                       "X,\"say \"\"hi\"\"\nthere\",\n"
                       "LAST,,end";
    struct csv_reader r;
    assert_int_equal(csv_open_mem(&r, "t.csv", text, strlen(text)), AS_OK);
    assert_int_equal(csv_next(&r), 1);
    assert_int_equal(r.nfields, 3);
    assert_int_equal(csv_find(&r, "SECTOR"), 2);
    assert_int_equal(csv_next(&r), 1);
    assert_int_equal(r.line, 2);
    assert_string_equal(r.fields[1], "Alphabet Inc., Class A");
    assert_int_equal(csv_next(&r), 1);
    assert_int_equal(r.line, 4);
    assert_string_equal(r.fields[1], "say \"hi\"\nthere");
    assert_string_equal(r.fields[2], "");
    assert_int_equal(csv_next(&r), 1);
    assert_int_equal(r.line, 6);
    assert_int_equal(r.nfields, 3);
    assert_string_equal(r.fields[2], "end");
    assert_int_equal(csv_next(&r), 0);
    csv_close(&r);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    const char *text = "a,b\n1,\"open\n2,3\n";
    struct csv_reader r;
    assert_int_equal(csv_open_mem(&r, "bad.csv", text, strlen(text)), AS_OK);
    assert_int_equal(csv_next(&r), 1);
    assert_int_equal(csv_next(&r), -1);
    assert_string_equal(as_last_error(), "'bad.csv': line 2: field 2: unterminated quoted field");
    csv_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4180_records),
        cmocka_unit_test(test_unterminated_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
