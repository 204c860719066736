/*
 * xlsxutil.c -- see xlsxutil.h.  Stateless; owns no memory beyond one
 * temporary copy in xlsx_write_text for over-long text.
 */
#include "reports/xlsxutil.h"

#include <stdlib.h>
#include <string.h>

/* Excel's limit on the characters of one cell (libxlsxwriter checks it but
 * does not export the constant). */
#define XLSX_TEXT_MAX 32767

as_err xlsx_check(lxw_error err, const char *path, const char *what)
{
    if (err == LXW_NO_ERROR)
        return AS_OK;
    return as_fail(AS_ERR_IO, "'%s': %s: %s", path, what, lxw_strerror(err));
}

/* n digits at s into *v; 0 when they are all digits. */
static int digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int xlsx_datetime_parse(lxw_datetime *out, const char *s)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    memset(out, 0, sizeof *out);
    if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d))
        return -1;
    /* Excel's calendar starts in 1900; PostgreSQL years above 9999 carry a
     * fifth digit and fail the '-' check above. */
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || strstr(s, "BC"))
        return -1;
    double frac = 0;
    const char *p = s + 10;
    if (*p == ' ' || *p == 'T') {
        if (strlen(p) < 9 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi) ||
            p[6] != ':' || digits(p + 7, 2, &se))
            return -1;
        p += 9;
        if (*p == '.') {
            double scale = 0.1;
            for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
                frac += (*p - '0') * scale;
        }
        if (*p && *p != '+' && *p != '-' && *p != 'Z')
            return -1;
    } else if (*p) {
        return -1;
    }
    out->year = y;
    out->month = (uint8_t)mo;
    out->day = (uint8_t)d;
    out->hour = (uint8_t)h;
    out->min = (uint8_t)mi;
    out->sec = se + frac;
    return 0;
}

int xlsx_text_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

lxw_error xlsx_write_text(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s,
                          lxw_format *fmt)
{
    size_t n = strlen(s);
    if (n <= XLSX_TEXT_MAX)
        return worksheet_write_string(ws, row, col, s, fmt);
    size_t cut = XLSX_TEXT_MAX;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char *copy = malloc(cut + 1);
    if (!copy)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    memcpy(copy, s, cut);
    copy[cut] = '\0';
    lxw_error err = worksheet_write_string(ws, row, col, copy, fmt);
    free(copy);
    return err;
}
