/*
 * distill_facts.h -- randomized but plausible event studies, as fact sheets,
 * for the distillation corpus and for property tests of the narrator and
 * the guard.
 *
 * The generator draws a market move, sector shocks and stock-specific
 * shocks, and derives the rest the way a market-model event study would
 * (MacKinlay 1997): AR = R - beta * R_m (intercept folded in), t = AR / s
 * with s the estimation-window residual standard deviation, CAR over L days
 * with variance L * s^2, market-value change = R * capitalisation, sector
 * aggregates as equal-weighted means of the drawn stocks.  The numbers are
 * invented, not history; tickers and headline templates are real names so
 * the student learns the vocabulary it will meet.  Same seed, same sheet.
 */
#ifndef AS_DISTILL_FACTS_H
#define AS_DISTILL_FACTS_H

#include "common/error.h"
#include "model/factsheet.h"

#include <stdint.h>

/* Fill *fs (factsheet_clear frees) with a random study of 1..max_stocks
 * stocks drawn from seed. */
as_err distill_random_sheet(factsheet *fs, uint64_t seed, int max_stocks);

#endif
