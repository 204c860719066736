/*
 * estudy_rank.c -- ordering for the rank tests: the positions of a series'
 * values in ascending order, average ranks, and Corrado-Zivney standardized
 * ranks.  Used per firm-event for the Corrado (1989) test (estudy_run.c),
 * per group and window for the Wilcoxon signed-rank test (estudy_tests.c)
 * and for estudy's GRANK (estudy_compat.c).
 *
 * It owns no memory: callers pass the scratch.  It is not a statistic; the
 * tests that use the ranks live with the other tests.  Invariant: NANs take
 * no rank; equal values are adjacent after the sort, so callers can give
 * ties their average rank.
 */
#include "analytics/estudy_impl.h"

#include <math.h>
#include <string.h>

/* Order-preserving unsigned image of v rounded to float: the sort key. */
static uint32_t rank_key(double v)
{
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u & 0x80000000u ? ~u : u | 0x80000000u;
}

/*
 * Sort the positions of v's n_all values, NANs left out, into k (returns
 * how many): k[j] = key << 32 | position.  A least-significant-digit radix
 * sort on the float key's top bytes (a pass skipped when every key shares
 * that byte), then insertion sort on the double values, which only moves
 * values whose sorted key bytes tie.  This runs once per firm-event over
 * estimation + event days; qsort_r with a comparator call per comparison
 * was 40% of a 250,000 firm-event study.
 *
 * How many bytes: the top two (sign, exponent, 7 mantissa bits: 128
 * buckets per binade) leave a few hundred values with few ties, so short
 * series take two passes and the insertion sort finishes them (half the
 * sort time of four passes there); long series (Wilcoxon over a whole
 * sample) take all four, where ties in 16 bits would make the insertion
 * sort quadratic.  The order of distinct values is the same either way.
 * tmp: n_all entries.
 */
int estudy_sort_positions(uint64_t *k, uint64_t *tmp, const double *v, int n_all)
{
    uint32_t cnt[4][256];
    int lo = n_all <= 1024 ? 2 : 0; /* first key byte sorted on */
    memset(cnt[lo], 0, (size_t)(4 - lo) * sizeof cnt[0]);
    int n = 0;
    for (int i = 0; i < n_all; i++) {
        if (isnan(v[i]))
            continue;
        uint32_t key = rank_key(v[i]);
        k[n++] = (uint64_t)key << 32 | (uint32_t)i;
        cnt[3][key >> 24]++;
        cnt[2][(key >> 16) & 0xff]++;
        if (lo == 0) {
            cnt[1][(key >> 8) & 0xff]++;
            cnt[0][key & 0xff]++;
        }
    }
    uint64_t *src = k, *dst = tmp;
    for (int b = lo; b < 4 && n > 0; b++) {
        int shift = 32 + 8 * b;
        if (cnt[b][(src[0] >> shift) & 0xff] == (uint32_t)n)
            continue;
        uint32_t pos = 0;
        for (int d = 0; d < 256; d++) {
            uint32_t c = cnt[b][d];
            cnt[b][d] = pos;
            pos += c;
        }
        for (int j = 0; j < n; j++)
            dst[cnt[b][(src[j] >> shift) & 0xff]++] = src[j];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != k)
        memcpy(k, src, (size_t)n * sizeof *k);
    for (int j = 1; j < n; j++) {
        uint64_t x = k[j];
        double xv = v[(uint32_t)x];
        int i = j;
        while (i > 0 && v[(uint32_t)k[i - 1]] > xv) {
            k[i] = k[i - 1];
            i--;
        }
        k[i] = x;
    }
    return n;
}

int estudy_ranks_average(double *K, const double *v, int n_all, uint64_t *k, uint64_t *tmp)
{
    for (int i = 0; i < n_all; i++)
        K[i] = NAN;
    int n = estudy_sort_positions(k, tmp, v, n_all);
    for (int i = 0; i < n;) {
        double vi = v[(uint32_t)k[i]];
        int j = i;
        while (j + 1 < n && v[(uint32_t)k[j + 1]] == vi)
            j++;
        double rank = (i + j) / 2.0 + 1.0;
        for (int m = i; m <= j; m++)
            K[(uint32_t)k[m]] = rank;
        i = j + 1;
    }
    return n;
}

/* Corrado & Zivney (1992) standardized ranks U = K/(n+1) - 1/2 of the
 * non-missing values of v (length n_all), written into u (NAN where v is
 * NAN).  Ties get their average rank (Corrado 1989, fn. 4).  k and tmp are
 * scratch of n_all entries each. */
void estudy_ranks_standardized(double *u, const double *v, int n_all, uint64_t *k,
                               uint64_t *tmp)
{
    int n = estudy_ranks_average(u, v, n_all, k, tmp);
    for (int i = 0; i < n_all; i++)
        u[i] = u[i] / (n + 1.0) - 0.5; /* NAN stays NAN */
}
