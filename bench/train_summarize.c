/*
 * train_summarize.c -- guarded summaries per second for many stocks: the
 * built-in model on the engine with batched decoding (all stocks of a sheet
 * decoded together) against the same engine one stock at a time, in the
 * same process on the same prompts.  Prints the medians and their ratio,
 * and the wall time for one 500-stock sheet (the goal: < 30 s).
 *
 * The sheet is built from random studies (model/distill_facts.h) with the
 * tickers renamed AAAA, AAAB, ... so 500 distinct stocks exist.
 * usage: train_summarize MODEL.gguf [N_STOCKS=500] [THREADS=2]
 */
#include "model/distill_facts.h"
#include "model/guard_summarize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process, all threads: on a shared machine the
 * wall time says how busy the neighbours were, this says what the work
 * cost. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int sheet_build(factsheet *big, int n)
{
    if (distill_random_sheet(big, 1, 1) != AS_OK)
        return -1;
    free(big->stocks);
    big->stocks = NULL;
    big->n_stocks = 0;
    for (uint64_t seed = 2; big->n_stocks < n; seed++) {
        factsheet fs;
        if (distill_random_sheet(&fs, seed, 8) != AS_OK)
            return -1;
        for (int i = 0; i < fs.n_stocks && big->n_stocks < n; i++) {
            fact_stock s = fs.stocks[i];
            int k = big->n_stocks;
            snprintf(s.ticker, sizeof s.ticker, "%c%c%c%c", 'A' + k / 17576 % 26,
                     'A' + k / 676 % 26, 'A' + k / 26 % 26, 'A' + k % 26);
            /* sector aggregates of the big sheet are those of the first
             * sheet's sectors only: keep the stock's sector if present */
            if (!factsheet_find_sector(big, s.sector))
                snprintf(s.sector, sizeof s.sector, "%s", big->sectors[0].name);
            if (factsheet_add_stock(big, &s) != AS_OK)
                return -1;
        }
        factsheet_clear(&fs);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: train_summarize MODEL.gguf [N_STOCKS] [THREADS]\n");
        return 2;
    }
    int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 500;
    int threads = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2;
    if (n < 1 || threads < 1)
        return 2;
    factsheet big = {0};
    if (sheet_build(&big, n)) {
        fprintf(stderr, "cannot build the sheet\n");
        return 1;
    }
    guard_summarizer *gs;
    if (guard_summarizer_open(&gs, argv[1], n, threads) != AS_OK) {
        fprintf(stderr, "%s\n", as_last_error());
        return 1;
    }
    summary *out = calloc((size_t)n, sizeof *out);
    double t0 = now_s(), c0 = cpu_s();
    if (guard_summarize_sheet(out, gs, &big, 1) != AS_OK) {
        fprintf(stderr, "%s\n", as_last_error());
        return 1;
    }
    double batched_all = now_s() - t0, batched_cpu = cpu_s() - c0;
    int raw = 0, fallback = 0;
    for (int i = 0; i < n; i++) {
        raw += out[i].raw_pass;
        fallback += out[i].fallback;
        summary_free(&out[i]);
    }
    printf("%d stocks batched: %.2f s (%.1f summaries/s), %.2f s of CPU on %d threads; %d "
           "passed as generated, %d regenerated, %d narrator fallbacks\n",
           n, batched_all, n / batched_all, batched_cpu, threads, raw, n - raw - fallback,
           fallback);

    /* 16 stocks, 3 runs each: batched sheet vs one sheet per stock */
    enum { K = 16, REPS = 3 };
    factsheet small = big;
    small.n_stocks = K < n ? K : n;
    double tb[REPS], ts[REPS];
    for (int r = 0; r < REPS; r++) {
        t0 = now_s();
        guard_summarize_sheet(out, gs, &small, 1);
        tb[r] = now_s() - t0;
        for (int i = 0; i < small.n_stocks; i++)
            summary_free(&out[i]);
        t0 = now_s();
        for (int i = 0; i < small.n_stocks; i++) {
            factsheet one = big;
            one.stocks = &big.stocks[i];
            one.n_stocks = 1;
            guard_summarize_sheet(out, gs, &one, 1);
            summary_free(&out[0]);
        }
        ts[r] = now_s() - t0;
    }
    qsort(tb, REPS, sizeof tb[0], cmp_double);
    qsort(ts, REPS, sizeof ts[0], cmp_double);
    printf("%d stocks, median of %d: batched %.2f s, one at a time %.2f s, ratio %.2fx\n",
           small.n_stocks, REPS, tb[REPS / 2], ts[REPS / 2], ts[REPS / 2] / tb[REPS / 2]);
    free(out);
    guard_summarizer_close(gs);
    factsheet_clear(&big);
    return 0;
}
