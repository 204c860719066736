/*
 * calendar.h -- trading sessions and New York wall-clock time.
 *
 * A trading_calendar is the sorted set of session dates implied by the price
 * data (the dates present for the market ticker), held as days since
 * 1970-01-01.  It is not a holiday table: a date missing from the prices is
 * simply not a session, which is how NYSE holidays (2025-01-20, Martin Luther
 * King Jr. Day) drop out.  New York time comes from tzdata through the C
 * library (calendar_ny_local); no DST rule is written here.
 *
 * calendar_session_for() answers "which is the first session a story
 * published at t could move?": a story at or after that day's New York
 * close (calendar_close_minute: 16:00, 13:00 on NYSE's early-close days)
 * belongs to the next calendar day, and any day that is not a session rolls
 * forward to the next one.
 */
#ifndef AS_CALENDAR_H
#define AS_CALENDAR_H

#include <stddef.h>
#include <time.h>

#include "common/error.h"

typedef struct trading_calendar {
    int *days; /* (n) days since 1970-01-01, ascending, unique; owned */
    size_t n;
} trading_calendar;

/* Copy, sort and de-duplicate days[0..n).  Caller calendar_free()s. */
as_err calendar_from_days(trading_calendar *out, const int *days, size_t n);
void calendar_free(trading_calendar *cal);

/* Proleptic Gregorian date <-> days since 1970-01-01 (H. Hinnant's
 * days_from_civil / civil_from_days; exact for any int year). */
int calendar_days_from_civil(int year, int month, int day);
void calendar_civil_from_days(int *year, int *month, int *day, int days);

/* "YYYY-MM-DD" -> days; AS_ERR_PARSE naming the text when malformed. */
as_err calendar_parse_date(int *out_days, const char *s);
/* days -> "YYYY-MM-DD" into buf (at least 11 bytes). */
void calendar_format_date(char *buf, int days);

/* Broken-down America/New_York local time of the UTC instant t. */
as_err calendar_ny_local(struct tm *out, time_t t);

/*
 * Minutes after New York midnight at which the NYSE session of `day` (days
 * since 1970-01-01) closes: 780 (13:00) on the early-close days of NYSE's
 * published holiday calendars, 960 (16:00) on every other day.  The early
 * closes, a rule of the date alone:
 *   - July 3 on a Monday to Thursday (the day before Independence Day; a
 *     Friday July 3 is itself the holiday, observed for a Saturday July 4);
 *   - the Friday after Thanksgiving (the fourth Thursday of November);
 *   - December 24 on a Monday to Thursday (a Friday December 24 is the
 *     holiday observed for a Saturday Christmas).
 * The answer for a date that is not a session means nothing (callers ask
 * only of sessions).  Exchange closures decided at short notice, and early
 * closes other than these three, are not known here.
 */
int calendar_close_minute(int day);

/* The close of session date (YYYY-MM-DD) as "HH:MM" New York time, for SQL
 * that takes the day's news up to the close; "16:00" when date is not a
 * date (the query then fails on it anyway). */
void calendar_close_text(char out[6], const char *date);

/* First session on or after the New York trading day of t (see above).
 * AS_ERR_NOT_FOUND when that day lies outside the calendar's range. */
as_err calendar_session_for(int *out_day, const trading_calendar *cal, time_t t);

#endif
