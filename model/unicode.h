/*
 * unicode.h -- the little Unicode the tokenizers need: UTF-8 decoding that
 * treats broken input the way llama.cpp does, and the codepoint classes of
 * the pre-tokenizer regexes (\p{L}, \p{N}, \s).
 *
 * Classes come from model/unicode_table.c, generated from Debian's
 * unicode-data (Unicode 15.0) by model/unicode_gen.py; nothing here reads
 * files at run time.  This is not a regex engine, and it knows nothing of
 * normalisation or case beyond ASCII.
 */
#ifndef AS_UNICODE_H
#define AS_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Class bits of a codepoint; 0 means "other" (punctuation, symbols, marks,
 * controls, unassigned). */
enum {
    UNICODE_LETTER = 1,      /* General_Category L* */
    UNICODE_NUMBER = 2,      /* General_Category N* */
    UNICODE_WHITESPACE = 4,  /* White_Space property */
};

/* Class bits of cp (any value; beyond U+10FFFF gives 0). */
unsigned unicode_cpt_class(uint32_t cp);

/*
 * Decode the codepoint at s[*pos] (len bytes in all) and advance *pos.
 * As llama.cpp's unicode_cpts_from_utf8: a bad lead byte, a missing or bad
 * continuation byte gives U+FFFD and skips one byte; overlong forms and
 * surrogates are accepted as they decode.  Values beyond U+10FFFF, which
 * llama.cpp cannot encode back, give U+FFFD too.
 */
uint32_t unicode_utf8_next(const char *s, size_t len, size_t *pos);

/* Write cp as UTF-8 into out (room for 4 bytes); returns the byte count. */
size_t unicode_utf8_put(char *out, uint32_t cp);

/* Bytes of the UTF-8 sequence a lead byte announces, from its top four bits
 * only (1 for a stray continuation byte), as llama.cpp's unicode_len_utf8. */
size_t unicode_utf8_len(unsigned char lead);

/* The generated tables (model/unicode_table.c). */
extern const uint32_t unicode_class_runs[];
extern const size_t unicode_class_runs_n;
extern const uint32_t unicode_whitespace[];
extern const size_t unicode_whitespace_n;

#endif
