/*
 * estudy_fmt.h -- the one number format of the event study's CSV output,
 * "%.10g", written without printf.
 *
 * A 250,000 firm-event study prints six million numbers; glibc's printf
 * spends most of its time in multi-precision arithmetic that ten
 * significant digits of a double do not need.  estudy_fmt_g10() writes the
 * same bytes as snprintf("%.10g") (tests/test_study_fmt.c compares them on
 * millions of values); it falls back to snprintf where its exact short path
 * does not apply (exponent outside -4..9, zero, infinities).
 * Not a general printf: one precision, one conversion.
 */
#ifndef AS_ESTUDY_FMT_H
#define AS_ESTUDY_FMT_H

/* Write v as "%.10g" into out (NUL-terminated); returns the length. */
int estudy_fmt_g10(char out[32], double v);

#endif
