/*
 * announce_match.c -- the text side of announcement scoring: normalising a
 * headline or a lexicon pattern to one comparable form, and counting where a
 * pattern occurs.
 *
 * Owns only pure functions over UTF-8 strings.  It is not a tokenizer and not
 * a stemmer: Polish inflection is handled by the lexicon's trailing '*'
 * ("tańsz*" matches tańszy, tańszego, ...), and Chinese, which has no spaces,
 * by dropping the word-boundary test next to non-Latin characters.
 *
 * Invariant: a pattern and the text it is matched against went through the
 * same announce_normalise() with the same keep_case, so both sides agree on
 * case, dashes, quotes and spacing; a '*' in a pattern ends a word.
 */
#include "analytics/announce.h"

#include <stdlib.h>
#include <string.h>

/* Decode one code point at s; returns the byte length (an invalid byte is
 * taken as itself, length 1, so no input is ever rejected here). */
static int utf8_decode(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        return 2;
    }
    if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
              (s[3] & 0x3Fu);
        return 4;
    }
    *cp = s[0];
    return 1;
}

static int utf8_encode(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Lower case for ASCII, Latin-1 and Latin Extended-A, which covers Polish
 * (Ą Ć Ę Ł Ń Ó Ś Ź Ż) and the Western European names in financial news.
 * Extended-A alternates upper/lower, with the parity flipping in two runs. */
static unsigned cp_lower(unsigned c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1u) ? c + 1 : c;
    return c;
}

static int cp_is_space(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           c == 0xA0 || c == 0x3000;
}

static int cp_is_dash(unsigned c)
{
    return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

/* Letters and digits that form words with their neighbours: ASCII and the
 * Latin blocks.  CJK characters are deliberately not word characters, so a
 * pattern may match inside a run of Chinese text. */
static int cp_is_word(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

char *announce_normalise(const char *text, int keep_case)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1); /* every mapping keeps or shrinks the length */
    if (!out)
        return NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;
    int pending_space = 0;
    while (*s) {
        unsigned c;
        int len = utf8_decode(s, &c);
        if (cp_is_space(c) || cp_is_dash(c)) {
            pending_space = o > 0;
            s += len;
            continue;
        }
        if (pending_space) {
            out[o++] = ' ';
            pending_space = 0;
        }
        if (c == 0x2018 || c == 0x2019 || c == 0x201B || c == 0x2032)
            out[o++] = '\'';
        else if (c == 0x201C || c == 0x201D)
            out[o++] = '"';
        else if (keep_case || c > 0x17F || (len == 1 && c >= 0x80))
            for (int i = 0; i < len; i++) /* copied as is, invalid bytes included */
                out[o++] = (char)s[i];
        else
            o += (size_t)utf8_encode(out + o, cp_lower(c));
        s += len;
    }
    out[o] = '\0';
    return out;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Match pattern p at t; returns the end of the match in t or NULL. */
static const char *match_at(const char *t, const char *p)
{
    while (*p) {
        if (*p == '*') {
            /* the rest of the word; greedy is exact because the loader only
             * accepts '*' at the end of a word of the pattern */
            unsigned c;
            int len;
            while (*t && (len = utf8_decode((const unsigned char *)t, &c), cp_is_word(c)))
                t += len;
            p++;
            continue;
        }
        if (*p == '#') {
            /* a number: digits, with ',' or '.' only between digits
             * ("2,048", "5.6", "0.14") */
            if (!is_digit(*t))
                return NULL;
            while (is_digit(*t) || ((*t == ',' || *t == '.') && is_digit(t[1])))
                t++;
            p++;
            continue;
        }
        if (*p != *t)
            return NULL;
        p++;
        t++;
    }
    return t;
}

/* Is the code point that ends just before t (t > start) a word character? */
static int word_before(const char *start, const char *t)
{
    if (t == start)
        return 0;
    const char *b = t - 1;
    while (b > start && ((unsigned char)*b & 0xC0) == 0x80)
        b--;
    unsigned c;
    utf8_decode((const unsigned char *)b, &c);
    return cp_is_word(c);
}

static int word_at(const char *t)
{
    unsigned c;
    if (!*t)
        return 0;
    utf8_decode((const unsigned char *)t, &c);
    return cp_is_word(c);
}

int announce_count(const char *text, const char *pattern)
{
    size_t plen = strlen(pattern);
    if (plen == 0)
        return 0;
    int first_word = pattern[0] == '#' || word_at(pattern);
    int star = pattern[plen - 1] == '*';
    int last_word = !star && (pattern[plen - 1] == '#' || word_before(pattern, pattern + plen));
    int count = 0;
    const char *t = text;
    while (*t) {
        if (((unsigned char)*t & 0xC0) == 0x80 || (first_word && word_before(text, t))) {
            t++;
            continue;
        }
        const char *end = match_at(t, pattern);
        if (end && end > t && !(last_word && word_at(end))) {
            count++;
            t = end;
        } else {
            t++;
        }
    }
    return count;
}
