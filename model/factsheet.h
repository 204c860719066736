/*
 * factsheet.h -- the facts a summary may state: the prompt of the summary
 * model, its C struct, serializer and parser.
 *
 * A fact sheet holds one event study in the units a reader sees: returns in
 * percent (two decimals), t statistics (two decimals), market-value changes
 * in USD billions (one decimal).  The text form is line-oriented, one record
 * per line, "key=value" fields separated by single spaces, free text after
 * " | " at the end of a line; see factsheet_write() for the grammar.  The
 * serializer prints exactly the precision the struct is meant to carry, so a
 * parse of a written sheet gives the same sheet back (round trip), and the
 * guard (model/guard.h) compares summaries against these printed values.
 * This file is not the study (analytics/) nor the paragraph writer
 * (model/narrator.h); it does not touch the database.
 */
#ifndef AS_FACTSHEET_H
#define AS_FACTSHEET_H

#include "common/error.h"

#include <stddef.h>

#define FACT_MAX_WIN 4
#define FACT_MAX_HEAD 4
#define FACT_TICKER 16
#define FACT_NAME 40
#define FACT_TEXT 200

/* Cumulative abnormal return over trading days [from, to] around day 0. */
typedef struct fact_window {
    int from, to;
    double car;       /* percent */
    double t;         /* t statistic of the CAR */
} fact_window;

typedef struct fact_stock {
    char ticker[FACT_TICKER];
    char sector[FACT_NAME];   /* no spaces: "Semiconductors", "Cloud" */
    double ret0;              /* raw day-0 return, percent */
    double ar0;               /* day-0 abnormal return, percent */
    double t0;                /* t statistic of ar0 */
    double mv_bn;             /* day-0 market-value change, USD billions */
    int n_est;                /* estimation-window trading days */
    int n_win;
    fact_window win[FACT_MAX_WIN];
} fact_stock;

/* Equal-weighted mean day-0 abnormal return of the stocks of one sector. */
typedef struct fact_sector {
    char name[FACT_NAME];
    int n;
    double mean_ar0;          /* percent */
} fact_sector;

typedef struct fact_headline {
    char date[11];            /* YYYY-MM-DD */
    char source[FACT_NAME];   /* no spaces: "Reuters", "CNBC" */
    char text[FACT_TEXT];
} fact_headline;

typedef struct factsheet {
    char date[11];            /* event day 0, YYYY-MM-DD */
    char title[FACT_TEXT];
    char market[FACT_TICKER]; /* market index ticker, e.g. "SPY" */
    double market_ret0;       /* percent */
    int n_heads;
    fact_headline heads[FACT_MAX_HEAD];
    int n_sectors;
    fact_sector *sectors;     /* (n_sectors) heap, owned */
    int n_stocks;
    fact_stock *stocks;       /* (n_stocks) heap, owned */
} factsheet;

/* Significance of a t statistic, two-sided normal critical values
 * 1.645 / 1.960 / 2.576: returns 10, 5, 1 (the level in percent) or 0. */
int fact_sig_level(double t);

/* Round a value to the precision the text form carries (so a sheet built in
 * memory and one parsed from text hold identical numbers). */
void factsheet_normalize(factsheet *fs);

/* Append a stock / sector (copied); AS_ERR_NOMEM on failure. */
as_err factsheet_add_stock(factsheet *fs, const fact_stock *s);
as_err factsheet_add_sector(factsheet *fs, const fact_sector *s);
const fact_sector *factsheet_find_sector(const factsheet *fs, const char *name);

/* Free the heap arrays and zero the struct. */
void factsheet_clear(factsheet *fs);

/*
 * The text form.  Full sheet (factsheet_write) or the prompt of one stock
 * (factsheet_write_stock: event, the top headline only -- the one summaries
 * cite, kept short because it is the model's context --, market, that
 * stock's sector and that stock).  Returns a heap string (caller frees) or NULL when out of
 * memory.
 */
char *factsheet_write(const factsheet *fs);
char *factsheet_write_stock(const factsheet *fs, int stock);

/* Parse the text form; source names the input in messages.  On success *fs
 * is filled (factsheet_clear frees); on failure *fs is empty and as_fail
 * names the source, the line and the field. */
as_err factsheet_parse(factsheet *fs, const char *text, const char *source);

#endif
