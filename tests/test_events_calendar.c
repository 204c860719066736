/*
 * test_events_calendar.c -- civil dates, New York time from tzdata, and the
 * alignment of a publication instant to the first session it can move.
 *
 * References: day numbers from Python's datetime.date arithmetic; UTC offsets
 * from the published US rule for 2025 (EST = UTC-5 until 2025-03-09 02:00,
 * EDT = UTC-4 after); sessions from the SPY dates in
 * tests/fixtures/spy_sessions_2024-11_2025-03.txt (2024-12-25, 2025-01-09
 * and 2025-01-20 are absent: NYSE closed).
 *
 * Early closes: the 13:00 closes NYSE Group published in its holiday and
 * early-closing calendars (announcements of 2021-12-27, 2022-12-21 and
 * 2024-11-08): July 3, 2023 (Mon), 2024 (Wed), 2025 (Thu); November 24,
 * 2023, 29, 2024, 28, 2025, 27, 2026 (Fridays after Thanksgiving);
 * December 24, 2024 (Tue) and 2025 (Wed); none in July 2026 (Friday July 3
 * is the observed holiday) nor on Sunday December 24, 2023.  December 24,
 * 2026 (a Thursday) is the rule's: the stored copy of NYSE's 2025-12-23
 * announcement is cut before that footnote.  Sessions for the alignment
 * around them: the SPY dates of data/prices/SPY.csv (real, 2023-01-03 ..
 * 2025-06-30), then the weekdays of 2025-07-01 .. 2025-12-31 less NYSE's
 * published 2025 holidays of that half (July 4, September 1, November 27,
 * December 25).  UTC offsets at the DST edges from the published US rule
 * (second Sunday of March 02:00 EST -> EDT, first Sunday of November 02:00
 * EDT -> EST).
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

static void session_expect_in(const trading_calendar *c, const char *utc, const char *want)
{
    int day;
    assert_int_equal(calendar_session_for(&day, c, iso_utc(utc)), AS_OK);
    char buf[11];
    calendar_format_date(buf, day);
    if (strcmp(buf, want) != 0)
        fail_msg("%s -> %s, want %s", utc, buf, want);
}

static void session_expect(const char *utc, const char *want)
{
    session_expect_in(&cal, utc, want);
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

/* Every day of 2023-2026: 13:00 on NYSE's early closes (file comment),
 * 16:00 on every other, the early closes' neighbours included. */
static void test_close_minute_2023_2026(void **state)
{
    (void)state;
    static const char *const early[] = {"2023-07-03", "2023-11-24", "2024-07-03", "2024-11-29",
                                        "2024-12-24", "2025-07-03", "2025-11-28", "2025-12-24",
                                        "2026-11-27", "2026-12-24"};
    int first = calendar_days_from_civil(2023, 1, 1), last = calendar_days_from_civil(2026, 12, 31);
    int n_early = 0;
    for (int d = first; d <= last; d++) {
        char buf[11];
        calendar_format_date(buf, d);
        int want = 16 * 60;
        for (size_t i = 0; i < sizeof early / sizeof early[0]; i++)
            if (strcmp(buf, early[i]) == 0)
                want = 13 * 60;
        n_early += want == 13 * 60;
        if (calendar_close_minute(d) != want)
            fail_msg("%s: close at minute %d, want %d", buf, calendar_close_minute(d), want);
    }
    assert_int_equal(n_early, 10);
    /* the same as text, for the SQL that takes a day's news up to its close */
    char hhmm[6];
    calendar_close_text(hhmm, "2024-11-29");
    assert_string_equal(hhmm, "13:00");
    calendar_close_text(hhmm, "2024-12-02");
    assert_string_equal(hhmm, "16:00");
    calendar_close_text(hhmm, "2025-07-03");
    assert_string_equal(hhmm, "13:00");
    calendar_close_text(hhmm, "not a date");
    assert_string_equal(hhmm, "16:00");
}

/* The sessions of the file comment: SPY's real dates, then 2025's second
 * half from NYSE's holiday list. */
static void long_calendar(trading_calendar *out)
{
    const char *src = getenv("AS_SRC_DIR");
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/data/prices/SPY.csv", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int *days = malloc(1024 * sizeof *days);
    assert_non_null(days);
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < 1024) {
        if (strncmp(line, "Date", 4) == 0)
            continue;
        line[10] = '\0';
        assert_int_equal(calendar_parse_date(&days[n++], line), AS_OK);
    }
    fclose(f);
    assert_true(n > 600);
    static const char *const closed[] = {"2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"};
    for (int d = calendar_days_from_civil(2025, 7, 1); d <= calendar_days_from_civil(2025, 12, 31);
         d++) {
        int wday = ((d % 7) + 11) % 7; /* 1970-01-01 was a Thursday */
        char buf[11];
        calendar_format_date(buf, d);
        int open = wday >= 1 && wday <= 5;
        for (size_t i = 0; i < 4; i++)
            open &= strcmp(buf, closed[i]) != 0;
        if (open && n < 1024)
            days[n++] = d;
    }
    assert_int_equal(calendar_from_days(out, days, n), AS_OK);
    free(days);
}

static void test_early_close_alignment(void **state)
{
    (void)state;
    trading_calendar c;
    long_calendar(&c);
    /* The day after Thanksgiving 2024 closes at 13:00 EST (18:00Z): a
     * story at 14:00 moves Monday's session; at 12:59 that Friday's. */
    session_expect_in(&c, "2024-11-29T19:00:00Z", "2024-12-02");
    session_expect_in(&c, "2024-11-29T18:00:00Z", "2024-12-02");
    session_expect_in(&c, "2024-11-29T17:59:00Z", "2024-11-29");
    /* its neighbours close at 16:00; Thanksgiving itself rolls to the half
     * day, which it precedes */
    session_expect_in(&c, "2024-11-27T20:59:00Z", "2024-11-27");
    session_expect_in(&c, "2024-11-27T21:00:00Z", "2024-11-29");
    session_expect_in(&c, "2024-11-28T19:00:00Z", "2024-11-29");
    session_expect_in(&c, "2024-12-02T20:30:00Z", "2024-12-02");
    session_expect_in(&c, "2023-11-24T17:59:00Z", "2023-11-24");
    session_expect_in(&c, "2023-11-24T18:00:00Z", "2023-11-27");
    session_expect_in(&c, "2025-11-28T19:00:00Z", "2025-12-01");
    session_expect_in(&c, "2025-11-26T20:00:00Z", "2025-11-26");
    /* July 3 closes at 13:00 EDT (17:00Z); Independence Day is closed */
    session_expect_in(&c, "2023-07-03T16:59:00Z", "2023-07-03");
    session_expect_in(&c, "2023-07-03T17:30:00Z", "2023-07-05");
    session_expect_in(&c, "2023-06-30T19:00:00Z", "2023-06-30");
    session_expect_in(&c, "2024-07-03T17:00:00Z", "2024-07-05");
    session_expect_in(&c, "2024-07-02T19:30:00Z", "2024-07-02");
    session_expect_in(&c, "2024-07-05T19:30:00Z", "2024-07-05");
    session_expect_in(&c, "2025-07-03T16:59:00Z", "2025-07-03");
    session_expect_in(&c, "2025-07-03T17:00:00Z", "2025-07-07");
    /* Christmas Eve 13:00 EST (18:00Z); 2023's fell on a Sunday, so its
     * Friday the 22nd closed at 16:00 */
    session_expect_in(&c, "2024-12-24T17:59:00Z", "2024-12-24");
    session_expect_in(&c, "2024-12-24T18:00:00Z", "2024-12-26");
    session_expect_in(&c, "2024-12-23T20:00:00Z", "2024-12-23");
    session_expect_in(&c, "2025-12-24T18:30:00Z", "2025-12-26");
    session_expect_in(&c, "2023-12-22T20:30:00Z", "2023-12-22");
    calendar_free(&c);
}

/* The close is New York's 16:00 on both sides of each DST change: 20:59Z
 * vs 21:00Z in EST, 19:59Z vs 20:00Z in EDT; stories on the switch nights
 * themselves (a Sunday) go to the Monday. */
static void test_close_at_dst_edges(void **state)
{
    (void)state;
    trading_calendar c;
    long_calendar(&c);
    session_expect_in(&c, "2024-03-08T20:59:00Z", "2024-03-08"); /* Fri 15:59 EST */
    session_expect_in(&c, "2024-03-08T21:00:00Z", "2024-03-11"); /* Fri 16:00 EST */
    session_expect_in(&c, "2024-03-10T07:30:00Z", "2024-03-11"); /* Sun 03:30 EDT */
    session_expect_in(&c, "2024-03-11T19:59:00Z", "2024-03-11"); /* Mon 15:59 EDT */
    session_expect_in(&c, "2024-03-11T20:00:00Z", "2024-03-12"); /* Mon 16:00 EDT */
    session_expect_in(&c, "2024-11-01T19:59:00Z", "2024-11-01"); /* Fri 15:59 EDT */
    session_expect_in(&c, "2024-11-01T20:00:00Z", "2024-11-04"); /* Fri 16:00 EDT */
    session_expect_in(&c, "2024-11-03T05:30:00Z", "2024-11-04"); /* Sun 01:30 EDT */
    session_expect_in(&c, "2024-11-03T06:30:00Z", "2024-11-04"); /* Sun 01:30 EST */
    session_expect_in(&c, "2024-11-04T20:59:00Z", "2024-11-04"); /* Mon 15:59 EST */
    session_expect_in(&c, "2024-11-04T21:00:00Z", "2024-11-05"); /* Mon 16:00 EST */
    session_expect_in(&c, "2023-03-10T20:59:00Z", "2023-03-10");
    session_expect_in(&c, "2023-03-13T20:00:00Z", "2023-03-14");
    session_expect_in(&c, "2023-11-03T19:59:00Z", "2023-11-03");
    session_expect_in(&c, "2023-11-06T21:00:00Z", "2023-11-07");
    calendar_free(&c);
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
        cmocka_unit_test(test_close_minute_2023_2026),
        cmocka_unit_test(test_early_close_alignment),
        cmocka_unit_test(test_close_at_dst_edges),
        cmocka_unit_test(test_session_outside_calendar),
        cmocka_unit_test(test_calendar_sorts_and_dedups),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
