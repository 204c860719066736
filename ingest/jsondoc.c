/*
 * jsondoc.c -- JSON loading for the provider parsers: tells an HTML error
 * page, an empty body and truncated JSON apart, and says where it broke.
 *
 * Owns nothing beyond the json_t it hands out.  Not a schema checker: each
 * parser checks its own fields.
 */
#include "ingest/jsondoc.h"
#include "ingest/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

as_err parse_reject_html(const char *buf, size_t len, const char *src, const char *expected)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        i = 3; /* UTF-8 byte order mark */
    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i >= len || buf[i] != '<')
        return AS_OK;
    const char *p = buf + i;
    size_t rest = len - i;
    if (!(rest >= 9 && strncasecmp(p, "<!doctype", 9) == 0) &&
        !(rest >= 5 && strncasecmp(p, "<html", 5) == 0) &&
        !(rest >= 5 && strncasecmp(p, "<head", 5) == 0) &&
        !(rest >= 5 && strncasecmp(p, "<body", 5) == 0))
        return AS_OK;
    /* Quote the page's <title> (first 80 bytes): it usually says what went
     * wrong ("503 Service Unavailable", "Just a moment..."). */
    char title[81] = "";
    const char *t = memmem(p, rest, "<title>", 7);
    if (!t)
        t = memmem(p, rest, "<TITLE>", 7);
    if (t) {
        t += 7;
        size_t k = 0;
        while (t < buf + len && *t != '<' && k < sizeof title - 1) {
            title[k++] = (*t == '\n' || *t == '\r' || *t == '\t') ? ' ' : *t;
            t++;
        }
        title[k] = '\0';
    }
    return as_fail(AS_ERR_SOURCE, "%s: offset %zu: expected %s, got an HTML page%s%s%s", src,
                   i, expected, title[0] ? " (title '" : "", title, title[0] ? "')" : "");
}

as_err jsondoc_load(json_t **out, const char *buf, size_t len, const char *src)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i == len)
        return as_fail(AS_ERR_SOURCE, "%s: offset 0: empty response, expected JSON", src);
    as_err e = parse_reject_html(buf, len, src, "JSON");
    if (e)
        return e;
    json_error_t err;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!doc)
        return as_fail(AS_ERR_PARSE, "%s: line %d, column %d (offset %d): invalid JSON: %s",
                       src, err.line, err.column, err.position, err.text);
    *out = doc;
    return AS_OK;
}

int jsondoc_number(const json_t *v, double *out)
{
    if (!v || json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || *end || errno)
            return -1;
        *out = d;
        return 0;
    }
    return -1;
}

const char *jsondoc_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
