/*
 * calendar.c -- session dates from the price data and the one place that asks
 * tzdata for New York time.
 *
 * Owns: the trading_calendar array, civil-date arithmetic, the NYSE close
 * of a session (calendar_close_minute) and the TZ-switching helper
 * calendar_ny_local().  It is not a holiday list and knows no DST rule:
 * sessions are whatever dates the market ticker traded, and UTC offsets
 * come from /usr/share/zoneinfo via localtime_r().  The early closes are
 * the one calendar fact the prices cannot tell (a half day has a close
 * like any other), so their rule is written here.
 *
 * calendar_ny_local() changes the process-wide TZ variable for the length of
 * one localtime_r() call.  A mutex serialises callers of this helper, but any
 * other thread that reads TZ or calls localtime() meanwhile would see New York
 * time: the program calls it from one thread only, which is why this simple
 * form is acceptable.
 */
#include "analytics/calendar.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NY_CLOSE_MINUTE (16 * 60)       /* NYSE regular close, 16:00 local */
#define NY_EARLY_CLOSE_MINUTE (13 * 60) /* its early closes, 13:00 local */

static int day_compare(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

as_err calendar_from_days(trading_calendar *out, const int *days, size_t n)
{
    out->days = NULL;
    out->n = 0;
    if (n == 0)
        return as_fail(AS_ERR_NOT_FOUND, "trading calendar: no session dates");
    int *d = malloc(n * sizeof *d);
    if (!d)
        return as_fail(AS_ERR_NOMEM, "trading calendar: out of memory");
    memcpy(d, days, n * sizeof *d);
    qsort(d, n, sizeof *d, day_compare);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (d[i] != d[k - 1])
            d[k++] = d[i];
    out->days = d;
    out->n = k;
    return AS_OK;
}

void calendar_free(trading_calendar *cal)
{
    if (!cal)
        return;
    free(cal->days);
    cal->days = NULL;
    cal->n = 0;
}

/* Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil. */
int calendar_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Hinnant, civil_from_days. */
void calendar_civil_from_days(int *year, int *month, int *day, int z)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    const int d = doy - (153 * mp + 2) / 5 + 1;
    const int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

as_err calendar_parse_date(int *out_days, const char *s)
{
    char *end;
    long y = strtol(s, &end, 10);
    if (end != s + 4 || *end != '-')
        goto bad;
    const char *p = end + 1;
    long m = strtol(p, &end, 10);
    if (end != p + 2 || *end != '-')
        goto bad;
    p = end + 1;
    long d = strtol(p, &end, 10);
    if (end != p + 2 || *end || m < 1 || m > 12 || d < 1 || d > 31)
        goto bad;
    int days = calendar_days_from_civil((int)y, (int)m, (int)d);
    int yy, mm, dd;
    calendar_civil_from_days(&yy, &mm, &dd, days);
    if (mm != m) /* 2025-02-30 and friends */
        goto bad;
    *out_days = days;
    return AS_OK;
bad:
    return as_fail(AS_ERR_PARSE, "'%s': expected a date YYYY-MM-DD", s);
}

void calendar_format_date(char *buf, int days)
{
    int y, m, d;
    calendar_civil_from_days(&y, &m, &d, days);
    /* The modulos only tell the compiler the widths; the values fit already. */
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

/*
 * NYSE's early closes at 1:00 p.m. Eastern (NYSE Group's holiday and early
 * closing calendars: "Each market will close early at 1:00 p.m. ... on
 * Monday, July 3, 2023, Wednesday, July 3, 2024, and Thursday, July 3,
 * 2025", "Friday, November 24, 2023, Friday, November 29, 2024, and Friday,
 * November 28, 2025", Christmas Eve 2024 and 2025, the Friday after
 * Thanksgiving 2026; no July early close in 2026, when Friday July 3 is the
 * observed holiday, none on Sunday December 24, 2023).  The three rules of
 * calendar.h give exactly those dates.
 */
int calendar_close_minute(int day)
{
    int y, m, d;
    calendar_civil_from_days(&y, &m, &d, day);
    int wday = ((day % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday: 0 = Sunday */
    int mon_to_thu = wday >= 1 && wday <= 4;
    if ((m == 7 && d == 3 && mon_to_thu) || (m == 12 && d == 24 && mon_to_thu))
        return NY_EARLY_CLOSE_MINUTE;
    /* The fourth Thursday falls on the 22nd to the 28th: its Friday on the
     * 23rd to the 29th. */
    if (m == 11 && wday == 5 && d >= 23 && d <= 29)
        return NY_EARLY_CLOSE_MINUTE;
    return NY_CLOSE_MINUTE;
}

void calendar_close_text(char out[6], const char *date)
{
    int day, m = NY_CLOSE_MINUTE;
    if (date && calendar_parse_date(&day, date) == AS_OK)
        m = calendar_close_minute(day);
    unsigned um = (unsigned)m % (24 * 60); /* a minute of the day */
    snprintf(out, 6, "%02u:%02u", um / 60, um % 60);
}

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

as_err calendar_ny_local(struct tm *out, time_t t)
{
    as_err err = AS_OK;
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    if (old && !saved) {
        err = as_fail(AS_ERR_NOMEM, "New York time: out of memory");
        goto done;
    }
    setenv("TZ", "America/New_York", 1);
    tzset();
    if (!localtime_r(&t, out))
        err = as_fail(AS_ERR_RANGE, "New York time: instant %lld out of range", (long long)t);
    /* Without the tzdata file glibc silently falls back to UTC; the zone
     * abbreviation is the cheap way to notice. */
    else if (!out->tm_zone || (strcmp(out->tm_zone, "EST") && strcmp(out->tm_zone, "EDT")))
        err = as_fail(AS_ERR_NOT_FOUND, "New York time: tzdata for America/New_York is missing "
                                        "(install the Debian package tzdata)");
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
done:
    free(saved);
    pthread_mutex_unlock(&tz_lock);
    return err;
}

as_err calendar_session_for(int *out_day, const trading_calendar *cal, time_t t)
{
    struct tm lt;
    as_err err = calendar_ny_local(&lt, t);
    if (err)
        return err;
    int day = calendar_days_from_civil(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
    /* At or after the close the story moves the next session.  Whether the
     * day is a session does not matter: if it is not, the next session
     * after it is the answer either way. */
    if (lt.tm_hour * 60 + lt.tm_min >= calendar_close_minute(day))
        day++;
    char want[11], first[11], last[11];
    calendar_format_date(want, day);
    if (cal->n == 0 || day < cal->days[0] || day > cal->days[cal->n - 1]) {
        calendar_format_date(first, cal->n ? cal->days[0] : 0);
        calendar_format_date(last, cal->n ? cal->days[cal->n - 1] : 0);
        return as_fail(AS_ERR_NOT_FOUND, "trading day %s is outside the price calendar (%s..%s)",
                       want, first, last);
    }
    size_t lo = 0, hi = cal->n; /* first index with days[i] >= day */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->days[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out_day = cal->days[lo];
    return AS_OK;
}
