/*
 * test_events_calendar.c -- civil dates, New York time from tzdata, and the
 * alignment of a publication instant to the first session it can move.
 *
 * References: day numbers from Python's datetime.date arithmetic; UTC offsets
 * from the published US rule for 2025 (EST = UTC-5 until 2025-03-09 02:00,
 * EDT = UTC-4 after); sessions from the SPY dates in
 * tests/fixtures/spy_sessions_2024-11_2025-03.txt (2024-12-25, 2025-01-09
 * and 2025-01-20 are absent: NYSE closed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/calendar.h"

static trading_calendar cal;

static time_t iso_utc(const char *s)
{
    struct tm tm = {0};
    char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    assert_non_null(end);
    return timegm(&tm);
}

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("AS_SRC_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/spy_sessions_2024-11_2025-03.txt",
             src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int days[512];
    size_t n = 0;
    char line[512];
    while (fgets(line, sizeof line, f) && n < 512) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (calendar_parse_date(&days[n++], line) != AS_OK)
            return -1;
    }
    fclose(f);
    return calendar_from_days(&cal, days, n) == AS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    calendar_free(&cal);
    return 0;
}

static void test_civil_days(void **state)
{
    (void)state;
    assert_int_equal(calendar_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(calendar_days_from_civil(2025, 1, 27), 20115); /* Python date diff */
    assert_int_equal(calendar_days_from_civil(2000, 3, 1), 11017);  /* after a 400-leap day */
    assert_int_equal(calendar_days_from_civil(1969, 12, 31), -1);
    int y, m, d;
    calendar_civil_from_days(&y, &m, &d, 20115);
    assert_int_equal(y * 10000 + m * 100 + d, 20250127);
    char buf[11];
    calendar_format_date(buf, calendar_days_from_civil(2024, 2, 29));
    assert_string_equal(buf, "2024-02-29");
}

static void test_parse_date_errors(void **state)
{
    (void)state;
    int d;
    assert_int_equal(calendar_parse_date(&d, "2025-01-27"), AS_OK);
    assert_int_equal(d, 20115);
    assert_int_equal(calendar_parse_date(&d, "2025-02-30"), AS_ERR_PARSE);
    assert_string_equal(as_last_error(), "'2025-02-30': expected a date YYYY-MM-DD");
    assert_int_equal(calendar_parse_date(&d, "2025-1-27"), AS_ERR_PARSE);
    assert_int_equal(calendar_parse_date(&d, "2025-01-27x"), AS_ERR_PARSE);
    assert_int_equal(calendar_parse_date(&d, ""), AS_ERR_PARSE);
}

static void test_ny_local_dst_from_tzdata(void **state)
{
    (void)state;
    setenv("TZ", "Asia/Tokyo", 1); /* the helper must put it back */
    tzset();
    struct tm lt;
    assert_int_equal(calendar_ny_local(&lt, iso_utc("2025-01-27T14:30:00Z")), AS_OK);
    assert_int_equal(lt.tm_hour * 60 + lt.tm_min, 9 * 60 + 30); /* EST, UTC-5 */
    assert_string_equal(lt.tm_zone, "EST");
    assert_int_equal(calendar_ny_local(&lt, iso_utc("2025-03-10T13:30:00Z")), AS_OK);
    assert_int_equal(lt.tm_hour * 60 + lt.tm_min, 9 * 60 + 30); /* EDT, UTC-4 */
    assert_string_equal(lt.tm_zone, "EDT");
    assert_string_equal(getenv("TZ"), "Asia/Tokyo");
    unsetenv("TZ");
    tzset();
}

static void session_expect(const char *utc, const char *want)
{
    int day;
    assert_int_equal(calendar_session_for(&day, &cal, iso_utc(utc)), AS_OK);
    char buf[11];
    calendar_format_date(buf, day);
    if (strcmp(buf, want) != 0)
        fail_msg("%s -> %s, want %s", utc, buf, want);
}

static void test_session_alignment(void **state)
{
    (void)state;
    /* DeepSeek-R1, date-only 2025-01-20 (00:00Z = Sunday 19:00 New York);
     * Monday 01-20 is Martin Luther King Jr. Day -> Tuesday 01-21 */
    session_expect("2025-01-20T00:00:00Z", "2025-01-21");
    /* during the holiday itself */
    session_expect("2025-01-20T15:00:00Z", "2025-01-21");
    /* Sunday evening before the rout -> Monday 01-27 */
    session_expect("2025-01-26T23:00:00Z", "2025-01-27");
    /* 15:59 New York is before the close, 16:00 is not */
    session_expect("2025-01-27T20:59:00Z", "2025-01-27");
    session_expect("2025-01-27T21:00:00Z", "2025-01-28");
    /* Friday after the close -> Monday */
    session_expect("2025-01-24T22:00:00Z", "2025-01-27");
    /* Christmas Eve after the close -> 12-26 (12-25 closed) */
    session_expect("2024-12-24T22:00:00Z", "2024-12-26");
    /* 2025-01-09, national day of mourning for President Carter: closed */
    session_expect("2025-01-08T21:30:00Z", "2025-01-10");
    /* 20:30Z is 15:30 EST on Friday 03-07 but 16:30 EDT on Monday 03-10:
     * the same UTC clock time falls on different sides of the close */
    session_expect("2025-03-07T20:30:00Z", "2025-03-07");
    session_expect("2025-03-10T20:30:00Z", "2025-03-11");
}

static void test_session_outside_calendar(void **state)
{
    (void)state;
    int day;
    assert_int_equal(calendar_session_for(&day, &cal, iso_utc("2025-03-31T21:00:00Z")),
                     AS_ERR_NOT_FOUND);
    assert_string_equal(as_last_error(), "trading day 2025-04-01 is outside the price calendar "
                                         "(2024-11-01..2025-03-31)");
    assert_int_equal(calendar_session_for(&day, &cal, iso_utc("2024-08-08T16:00:00Z")),
                     AS_ERR_NOT_FOUND);
}

static void test_calendar_sorts_and_dedups(void **state)
{
    (void)state;
    int days[] = {5, 3, 5, 1, 3};
    trading_calendar c;
    assert_int_equal(calendar_from_days(&c, days, 5), AS_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.days[0], 1);
    assert_int_equal(c.days[1], 3);
    assert_int_equal(c.days[2], 5);
    calendar_free(&c);
    assert_int_equal(calendar_from_days(&c, days, 0), AS_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_days),
        cmocka_unit_test(test_parse_date_errors),
        cmocka_unit_test(test_ny_local_dst_from_tzdata),
        cmocka_unit_test(test_session_alignment),
        cmocka_unit_test(test_session_outside_calendar),
        cmocka_unit_test(test_calendar_sorts_and_dedups),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
