/*
 * test_tokenizer_unicode.c -- the codepoint classes and UTF-8 decoding the
 * pre-tokenizers use.  The classes are checked for every codepoint against
 * the Unicode Character Database itself (/usr/share/unicode/UnicodeData.txt
 * and PropList.txt, read here independently of model/unicode_gen.py; skipped
 * with a message when Debian's unicode-data is not installed), and at a few
 * codepoints whose category is known by hand.  The decoder is checked on
 * broken input against what llama.cpp's unicode_cpts_from_utf8 returns
 * (worked out from its source: U+FFFD per bad byte).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/unicode.h"

#define UCD "/usr/share/unicode"

static void test_known_codepoints(void **state)
{
    (void)state;
    assert_int_equal(unicode_cpt_class('A'), UNICODE_LETTER);
    assert_int_equal(unicode_cpt_class('7'), UNICODE_NUMBER);
    assert_int_equal(unicode_cpt_class('\t'), UNICODE_WHITESPACE);
    assert_int_equal(unicode_cpt_class('!'), 0);
    assert_int_equal(unicode_cpt_class(0x00e9), UNICODE_LETTER);     /* é, Ll */
    assert_int_equal(unicode_cpt_class(0x0663), UNICODE_NUMBER);     /* Arabic-Indic three, Nd */
    assert_int_equal(unicode_cpt_class(0x2164), UNICODE_NUMBER);     /* Roman numeral five, Nl */
    assert_int_equal(unicode_cpt_class(0x00bd), UNICODE_NUMBER);     /* ½, No */
    assert_int_equal(unicode_cpt_class(0x4e00), UNICODE_LETTER);     /* inside a <CJK, First>..<Last> range */
    assert_int_equal(unicode_cpt_class(0xac01), UNICODE_LETTER);     /* inside the Hangul range */
    assert_int_equal(unicode_cpt_class(0x0085), UNICODE_WHITESPACE); /* NEL: Cc but White_Space */
    assert_int_equal(unicode_cpt_class(0x00a0), UNICODE_WHITESPACE);
    assert_int_equal(unicode_cpt_class(0x3000), UNICODE_WHITESPACE);
    assert_int_equal(unicode_cpt_class(0x2581), 0);                  /* ▁, So */
    assert_int_equal(unicode_cpt_class(0x0301), 0);                  /* combining acute, Mn */
    assert_int_equal(unicode_cpt_class(0x1f600), 0);                 /* emoji, So */
    assert_int_equal(unicode_cpt_class(0x10ffff), 0);                /* unassigned */
    assert_int_equal(unicode_cpt_class(0x110000), 0);                /* beyond Unicode */
    assert_int_equal(unicode_cpt_class(0x001c), 0);                  /* not White_Space (Python's isspace says yes) */
}

static void test_every_codepoint_against_ucd(void **state)
{
    (void)state;
    FILE *f = fopen(UCD "/UnicodeData.txt", "r");
    FILE *p = fopen(UCD "/PropList.txt", "r");
    if (!f || !p) {
        printf("skip: " UCD " absent (Debian package unicode-data)\n");
        if (f)
            fclose(f);
        if (p)
            fclose(p);
        skip();
    }
    unsigned char *want = calloc(0x110000, 1);
    assert_non_null(want);
    char line[512];
    long first = -1;
    while (fgets(line, sizeof line, f)) {
        char *end;
        long cp = strtol(line, &end, 16);
        assert_true(*end == ';' && cp >= 0 && cp < 0x110000);
        char *name = end + 1, *cat = strchr(name, ';');
        assert_non_null(cat);
        cat++;
        unsigned c = cat[0] == 'L' ? UNICODE_LETTER : cat[0] == 'N' ? UNICODE_NUMBER : 0;
        if (strstr(name, ", First>;") != NULL) {   /* the range runs to the next line */
            first = cp;
            continue;
        }
        long lo = strstr(name, ", Last>;") && first >= 0 ? first : cp;
        first = -1;
        for (long x = lo; x <= cp; x++)
            want[x] = (unsigned char)c;
    }
    while (fgets(line, sizeof line, p)) {
        if (!strstr(line, "; White_Space"))
            continue;
        char *end;
        long lo = strtol(line, &end, 16), hi = lo;
        if (end[0] == '.' && end[1] == '.')
            hi = strtol(end + 2, &end, 16);
        for (long x = lo; x <= hi; x++)
            want[x] |= UNICODE_WHITESPACE;
    }
    fclose(f);
    fclose(p);
    long bad = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (unicode_cpt_class(cp) != want[cp]) {
            if (bad < 5)
                printf("U+%04X: class %u, UCD says %u\n", cp, unicode_cpt_class(cp), want[cp]);
            bad++;
        }
    }
    free(want);
    assert_int_equal(bad, 0);
}

static void decode_all(const char *s, size_t len, const uint32_t *want, size_t n_want)
{
    size_t pos = 0, n = 0;
    while (pos < len) {
        uint32_t cp = unicode_utf8_next(s, len, &pos);
        assert_true(n < n_want);
        assert_int_equal(cp, want[n]);
        n++;
    }
    assert_int_equal(n, n_want);
}

#define DECODE(lit, ...)                                                               \
    do {                                                                               \
        static const uint32_t w_[] = {__VA_ARGS__};                                    \
        decode_all(lit, sizeof(lit) - 1, w_, sizeof w_ / sizeof w_[0]);                \
    } while (0)

static void test_utf8_decoding(void **state)
{
    (void)state;
    DECODE("a\xc3\xa9\xe2\x96\x81\xf0\x9f\x98\x80", 'a', 0xe9, 0x2581, 0x1f600);
    DECODE("\x80z", 0xfffd, 'z');                 /* stray continuation byte */
    DECODE("\xc3", 0xfffd);                       /* truncated at the end */
    DECODE("\xe2\x96z", 0xfffd, 0xfffd, 'z');     /* bad continuation: one byte at a time */
    DECODE("\xed\xa0\x80", 0xd800);               /* a surrogate decodes as llama.cpp's does */
    DECODE("\xf8\x88\x80\x80\x80", 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0xfffd);
    char buf[4];
    assert_int_equal(unicode_utf8_put(buf, 0x1f600), 4);
    assert_memory_equal(buf, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(unicode_utf8_put(buf, 0x2581), 3);
    assert_memory_equal(buf, "\xe2\x96\x81", 3);
    assert_int_equal(unicode_utf8_len(0xe2), 3);
    assert_int_equal(unicode_utf8_len(0x80), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_codepoints),
        cmocka_unit_test(test_every_codepoint_against_ucd),
        cmocka_unit_test(test_utf8_decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
