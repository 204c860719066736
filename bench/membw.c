/*
 * membw.c -- main-memory bandwidth of this machine, STREAM-style: the triad
 * a[i] = b[i] + s * c[i] (McCalpin's STREAM, counted as 3 x 8 bytes per
 * element, write-allocate traffic not counted, as STREAM does) and a
 * read-only sum, which is what single-token decode does to the weights.
 *
 * Arrays of 2^23 doubles (64 MiB) each, or twice the last-level cache if
 * that is larger (sysconf's L3 size: the Xeon VM of 2026-12-04 reports
 * 480 MiB, which 64 MiB arrays fit in, so they measured the cache, 50 GB/s
 * read, not the memory, 32 GB/s), split across T threads by contiguous ranges as the model
 * splits weight rows; each kernel runs R times and the median is printed in
 * GB/s (1e9 bytes).  Each kernel is also timed by the process's CPU clock
 * divided by T (read_gbs_cpu): bytes per CPU-second of each thread, which
 * other programs' time slices on a shared machine do not dilute, the peer
 * of `model bench`'s per-CPU-second decode rate.  Built and run by
 * bench/model_bench.sh, not part of the library; usage: membw [THREADS] [REPS].
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long N = 1L << 23; /* doubles per array */

static double *a, *b, *c;
static double partial[64];

typedef struct range { long lo, hi; int id, kind; } range;

static void *work(void *arg)
{
    range *r = arg;
    if (r->kind == 0) {
        for (long i = r->lo; i < r->hi; i++)
            a[i] = b[i] + 3.0 * c[i];
    } else {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0; /* four chains so adds do not limit */
        for (long i = r->lo; i < r->hi; i += 4) {
            s0 += b[i];
            s1 += b[i + 1];
            s2 += b[i + 2];
            s3 += b[i + 3];
        }
        partial[r->id] = s0 + s1 + s2 + s3;
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Wall seconds of one pass; *cpu gets the CPU seconds per thread. */
static double run(int threads, int kind, double *cpu)
{
    pthread_t tid[64];
    range r[64];
    double t0 = now_s(), c0 = cpu_now_s();
    for (int t = 0; t < threads; t++) {
        /* multiples of 4 so the read loop's 4-wide steps stay inside */
        r[t] = (range){N * t / threads & ~3L, N * (t + 1) / threads & ~3L, t, kind};
        if (t > 0 && pthread_create(&tid[t], NULL, work, &r[t]) != 0) {
            fprintf(stderr, "membw: cannot start thread %d\n", t);
            exit(1);
        }
    }
    work(&r[0]);
    for (int t = 1; t < threads; t++)
        pthread_join(tid[t], NULL);
    *cpu = (cpu_now_s() - c0) / threads;
    return now_s() - t0;
}

static int cmp(const void *x, const void *y)
{
    double u = *(const double *)x, v = *(const double *)y;
    return (u > v) - (u < v);
}

int main(int argc, char **argv)
{
    char *end;
    long threads = argc > 1 ? strtol(argv[1], &end, 10) : 2;
    if (argc > 1 && (*end || threads < 1 || threads > 64)) {
        fprintf(stderr, "membw: THREADS must be 1..64, got '%s'\n", argv[1]);
        return 2;
    }
    long reps = argc > 2 ? strtol(argv[2], &end, 10) : 9;
    if (argc > 2 && (*end || reps < 1 || reps > 1000)) {
        fprintf(stderr, "membw: REPS must be 1..1000, got '%s'\n", argv[2]);
        return 2;
    }
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0 && 2 * l3 / (long)sizeof(double) > N)
        N = 2 * l3 / (long)sizeof(double) / 4 * 4;
    a = malloc(N * sizeof *a);
    b = malloc(N * sizeof *b);
    c = malloc(N * sizeof *c);
    double *t = malloc((size_t)reps * sizeof *t), *tc = malloc((size_t)reps * sizeof *tc);
    if (!a || !b || !c || !t || !tc) {
        fprintf(stderr, "membw: out of memory\n");
        return 1;
    }
    for (long i = 0; i < N; i++) { /* touch every page before timing */
        a[i] = 0;
        b[i] = 1;
        c[i] = 2;
    }
    static const char *name[2] = {"triad", "read"};
    const double bytes[2] = {3.0 * 8 * N, 1.0 * 8 * N};
    for (int kind = 0; kind < 2; kind++) {
        for (long i = 0; i < reps; i++)
            t[i] = run((int)threads, kind, &tc[i]);
        qsort(t, (size_t)reps, sizeof *t, cmp);
        qsort(tc, (size_t)reps, sizeof *tc, cmp);
        printf("%s_gbs %.2f\n", name[kind], bytes[kind] / t[reps / 2] / 1e9);
        printf("%s_gbs_cpu %.2f\n", name[kind], bytes[kind] / tc[reps / 2] / 1e9);
    }
    /* print a result of the sums so the reads cannot be optimised away */
    double s = 0;
    for (long i = 0; i < threads; i++)
        s += partial[i];
    fprintf(stderr, "membw: %ld threads, %ld reps, median, arrays of %.0f MiB; checksum %.0f\n",
            threads, reps, N * 8.0 / 1048576, s);
    free(a);
    free(b);
    free(c);
    free(t);
    free(tc);
    return 0;
}
