/*
 * guard.h -- checks that a generated summary states only what its fact
 * sheet says.
 *
 * The guard reads a summary as a list of claims and checks each against the
 * facts of one stock (its values, the market, its sector, the headlines):
 *   numbers    with unit (%, $..bn / billion, plain) and sign, the sign taken
 *              from an explicit -, +, U+2212 or from a direction word next to
 *              it ("fell 13.20%", "13.20 % lower"); a shown value with d
 *              decimals matches a fact within half a unit of its last digit;
 *   tickers    every upper-case word of 2-6 letters not in a short list of
 *              acronyms (AI, US, ...) must be the stock, the market index or
 *              a headline's source ("AP", "FT");
 *   dates      ISO, "27 January 2025", "January 27, 2025": event or headline;
 *   windows    "[-1,+1]": one of the stock's CAR windows;
 *   levels     "at the 5% level": the level of one of the stock's t values;
 *   quotes     text in double quotes must be a headline or the event title;
 *   directions a direction word with no number of its own must agree with
 *              the sign of the stock's day-0 return;
 *   text       the whole summary must be printable UTF-8 (no broken byte
 *              sequence, no control character but tab and newline).
 * It does not judge style, grammar or whether a comparison is sensible.
 */
#ifndef AS_GUARD_H
#define AS_GUARD_H

#include "model/factsheet.h"

typedef struct guard_report {
    int n_claims;         /* claims found (numbers, tickers, dates, ...) */
    int n_numbers;        /* of which numbers */
    int n_bad;            /* claims that do not match */
    int n_bad_numbers;    /* of which numbers */
    char first_bad[160];  /* the first failing claim, quoted, with the reason */
} guard_report;

/* Check text against the facts of fs->stocks[stock] (stock < 0: any stock
 * of the sheet).  Fills *r; returns 1 when every claim matches, else 0. */
int guard_check(guard_report *r, const char *text, const factsheet *fs, int stock);

#endif
