/*
 * cpu_time.h -- the timing the C kernel benches share (qgemm_bench,
 * qgemm_k_bench, attn_bench): this thread's CPU time, which a shared
 * 2-core machine's lost time slices do not inflate as they do the wall
 * clock, and the median of a repetition's samples.  Header-only; not part
 * of the library.
 */
#ifndef AS_BENCH_CPU_TIME_H
#define AS_BENCH_CPU_TIME_H

#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
