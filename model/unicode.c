/*
 * unicode.c -- codepoint classes and UTF-8 decoding for the tokenizers.
 *
 * Owns no state: the class table is the generated run-length array in
 * unicode_table.c, searched by bisection (about 1,500 runs, 11 steps);
 * ASCII, most of real text, is answered by comparisons before that.  See
 * unicode.h for what it is not.
 */
#include "model/unicode.h"

static unsigned class_from_runs(uint32_t cp)
{
    size_t lo = 0, hi = unicode_class_runs_n;   /* runs[lo].start <= cp */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((unicode_class_runs[mid] >> 2) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return unicode_class_runs[lo] & 3u;
}

static int is_whitespace(uint32_t cp)
{
    /* 25 entries: a linear scan is as fast as anything cleverer. */
    for (size_t i = 0; i < unicode_whitespace_n; i++)
        if (unicode_whitespace[i] == cp)
            return 1;
    return 0;
}

unsigned unicode_cpt_class(uint32_t cp)
{
    if (cp < 128) {
        /* ASCII is most of real text; answer it without the tables. */
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
            return UNICODE_LETTER;
        if (cp >= '0' && cp <= '9')
            return UNICODE_NUMBER;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0d))
            return UNICODE_WHITESPACE;
        return 0;
    }
    if (cp > 0x10ffff)
        return 0;
    unsigned c = class_from_runs(cp);
    if (c == 0 && is_whitespace(cp))
        c = UNICODE_WHITESPACE;
    return c;
}

size_t unicode_utf8_len(unsigned char lead)
{
    static const unsigned char len_by_high_nibble[16] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4,
    };
    return len_by_high_nibble[lead >> 4];
}

uint32_t unicode_utf8_next(const char *s, size_t len, size_t *pos)
{
    const unsigned char *p = (const unsigned char *)s + *pos;
    size_t left = len - *pos;
    unsigned char b = p[0];
    size_t n;
    uint32_t cp;

    if (!(b & 0x80)) {
        *pos += 1;
        return b;
    }
    if (!(b & 0x40))
        goto bad;              /* continuation byte as a lead */
    if (!(b & 0x20)) {
        n = 2;
        cp = b & 0x1f;
    } else if (!(b & 0x10)) {
        n = 3;
        cp = b & 0x0f;
    } else if (!(b & 0x08)) {
        n = 4;
        cp = b & 0x07;
    } else {
        goto bad;
    }
    if (left < n)
        goto bad;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            goto bad;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp > 0x10ffff)
        goto bad;
    *pos += n;
    return cp;
bad:
    *pos += 1;
    return 0xfffd;
}

size_t unicode_utf8_put(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp <= 0x7f) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp <= 0x7ff) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp <= 0xffff) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}
