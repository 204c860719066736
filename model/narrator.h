/*
 * narrator.h -- the deterministic teacher: analyst-style paragraphs written
 * from a fact sheet by a seeded grammar.
 *
 * Every number the narrator prints is a fact-sheet value at the sheet's own
 * precision, every direction word follows the sign of the value it
 * describes, and every ticker and date comes from the sheet, so its text
 * passes the guard (model/guard.h) by construction.  That makes it both the
 * teacher the student model is distilled from and the fallback when a
 * generated summary fails the guard.  The seed chooses among phrasings only;
 * the same (sheet, stock, seed) always gives the same bytes.  It is not the
 * neural model (model/distill.h) and it does not read the database.
 */
#ifndef AS_NARRATOR_H
#define AS_NARRATOR_H

#include "common/error.h"
#include "model/factsheet.h"

#include <stdint.h>

/* Magnitude classes of a day-0 move, by |return| in percent: >= 10 extreme,
 * >= 5 large, >= 2 clear, >= 0.5 small, else flat.  The verbs of each class
 * are listed in slots.c and recognised by the guard. */
typedef enum narrator_mag {
    NARRATOR_FLAT,
    NARRATOR_SMALL,
    NARRATOR_CLEAR,
    NARRATOR_LARGE,
    NARRATOR_EXTREME,
} narrator_mag;

narrator_mag narrator_magnitude(double pct);

/* When the narrator adds its caveats, and so when the guard lets a
 * paragraph carry them: an estimation window under NARRATOR_SHORT_EST
 * trading days ("... less reliable"), and a clear move in the market's
 * direction whose abnormal part is under half the raw return ("the broad
 * market ... explains most of the move"). */
#define NARRATOR_SHORT_EST 120
int narrator_caveat_short_window(const fact_stock *s);
int narrator_caveat_market(const factsheet *fs, const fact_stock *s);

/* The paragraph about stock (index into fs->stocks).  *out is a heap string,
 * caller frees.  AS_ERR_RANGE for a bad index, AS_ERR_NOMEM. */
as_err narrator_write(char **out, const factsheet *fs, int stock, uint64_t seed);

/* The same paragraph with every fact-sheet value left as its slot token
 * (model/slots.h): slots_fill() of it gives narrator_write()'s bytes.  This
 * is the distillation corpus's summary. */
as_err narrator_write_slots(char **out, const factsheet *fs, int stock, uint64_t seed);

#endif
