/*
 * timeconv.c -- calendar arithmetic and the time formats providers send.
 *
 * Owns: civil date <-> day number (Howard Hinnant's algorithms, proleptic
 * Gregorian), the New York trading date of a UTC instant, and parsers for
 * RFC 3339 (Atom, NewsAPI) and RFC 822 (RSS pubDate).
 *
 * Not here: the system time zone database.  Daily bars only need New York,
 * whose rules are short and fixed by law, so they are written out below
 * rather than depending on TZ and localtime_r (process-global state, and a
 * tzdata package a minimal container may lack).  Rules: EST = UTC-5, EDT =
 * UTC-4; 2007 on: second Sunday of March to first Sunday of November;
 * 1987-2006: first Sunday of April to last Sunday of October; before 1987:
 * last Sunday of April to last Sunday of October (the 1974-75 energy-crisis
 * years are not special-cased).  Transitions at 02:00 local time.
 */
#include "ingest/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int date_parse_ymd(const char *s, size_t len, int *y, int *m, int *d)
{
    if (len < 10)
        return 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return 0;
        } else if (!isdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

/* Day number of the n-th (n >= 1) or, with n = -1, last Sunday of y-m. */
static long long sunday_of(int y, int m, int n)
{
    if (n < 0) {
        long long last = days_from_civil(y, m, days_in_month(y, m));
        long long wd = ((last + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
        return last - wd;
    }
    long long first = days_from_civil(y, m, 1);
    long long wd = ((first + 4) % 7 + 7) % 7;
    return first + (7 - wd) % 7 + 7 * (n - 1);
}

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int ny_is_dst(long long unix_utc)
{
    int y, m, d;
    civil_from_days(floor_div(unix_utc - 5 * 3600, 86400), &y, &m, &d);
    long long start, end;
    if (y >= 2007) {
        start = sunday_of(y, 3, 2);
        end = sunday_of(y, 11, 1);
    } else if (y >= 1987) {
        start = sunday_of(y, 4, 1);
        end = sunday_of(y, 10, -1);
    } else {
        start = sunday_of(y, 4, -1);
        end = sunday_of(y, 10, -1);
    }
    /* 02:00 EST = 07:00 UTC at the start; 02:00 EDT = 06:00 UTC at the end. */
    long long s = start * 86400 + 7 * 3600, e = end * 86400 + 6 * 3600;
    return unix_utc >= s && unix_utc < e;
}

void ny_date(char out[11], long long unix_utc)
{
    long long local = unix_utc - (ny_is_dst(unix_utc) ? 4 : 5) * 3600LL;
    int y, m, d;
    civil_from_days(floor_div(local, 86400), &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int hms_valid(int hh, int mi, int ss)
{
    return hh >= 0 && hh <= 23 && mi >= 0 && mi <= 59 && ss >= 0 && ss <= 60;
}

int time_parse_rfc3339(const char *s, long long *out)
{
    int y, m, d, hh, mi, ss = 0;
    while (isspace((unsigned char)*s))
        s++;
    if (!date_parse_ymd(s, strlen(s), &y, &m, &d))
        return -1;
    s += 10;
    if (*s != 'T' && *s != 't' && *s != ' ')
        return -1;
    s++;
    if (digits(s, 2, &hh) || s[2] != ':' || digits(s + 3, 2, &mi))
        return -1;
    s += 5;
    if (*s == ':') {
        if (digits(s + 1, 2, &ss))
            return -1;
        s += 3;
        if (*s == '.' || *s == ',') /* fractions of a second: dropped */
            for (s++; isdigit((unsigned char)*s); s++)
                ;
    }
    if (!hms_valid(hh, mi, ss))
        return -1;
    long long off = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int oh, om;
        int sign = *s == '-' ? -1 : 1;
        s++;
        if (digits(s, 2, &oh))
            return -1;
        s += 2;
        if (*s == ':')
            s++;
        if (digits(s, 2, &om))
            return -1;
        s += 2;
        off = sign * (oh * 3600LL + om * 60LL);
    } else {
        return -1; /* a time without a zone is ambiguous: refuse it */
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return -1;
    *out = days_from_civil(y, m, d) * 86400 + hh * 3600LL + mi * 60LL + ss - off;
    return 0;
}

int time_parse_rfc822(const char *s, long long *out)
{
    static const char *months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
    static const struct {
        const char *name;
        int hours;
    } zones[] = {{"GMT", 0}, {"UT", 0}, {"UTC", 0}, {"Z", 0}, {"EST", -5}, {"EDT", -4},
                 {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    while (isspace((unsigned char)*s))
        s++;
    /* Optional day name: "Mon," */
    const char *comma = strchr(s, ',');
    if (comma && comma - s <= 9)
        s = comma + 1;
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    long d = strtol(s, &end, 10);
    if (end == s || d < 1 || d > 31)
        return -1;
    s = end;
    while (isspace((unsigned char)*s))
        s++;
    int m = 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(s, months[i], 3) == 0)
            m = i + 1;
    if (!m)
        return -1;
    while (*s && !isspace((unsigned char)*s))
        s++;
    long y = strtol(s, &end, 10);
    if (end == s)
        return -1;
    if (end - s <= 3) /* RFC 822 two-digit years; RFC 1123 made them four */
        y += y < 50 ? 2000 : 1900;
    s = end;
    int hh, mi, ss = 0;
    while (isspace((unsigned char)*s))
        s++;
    if (digits(s, 2, &hh) || s[2] != ':' || digits(s + 3, 2, &mi))
        return -1;
    s += 5;
    if (*s == ':') {
        if (digits(s + 1, 2, &ss))
            return -1;
        s += 3;
    }
    if (!hms_valid(hh, mi, ss) || d > days_in_month((int)y, m))
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    long long off = 0;
    if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, oh, om;
        if (digits(s + 1, 2, &oh) || digits(s + 3, 2, &om))
            return -1;
        off = sign * (oh * 3600LL + om * 60LL);
        s += 5;
    } else if (*s) {
        size_t n = 0;
        while (isalpha((unsigned char)s[n]))
            n++;
        size_t i;
        for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
            if (strlen(zones[i].name) == n && strncasecmp(s, zones[i].name, n) == 0)
                break;
        if (i == sizeof zones / sizeof zones[0])
            return -1;
        off = zones[i].hours * 3600LL;
        s += n;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return -1;
    *out = days_from_civil((int)y, m, (int)d) * 86400 + hh * 3600LL + mi * 60LL + ss - off;
    return 0;
}
