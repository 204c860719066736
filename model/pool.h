/*
 * pool.h -- a tiny fork-join thread pool for the model's parallel loops.
 *
 * pool_run(p, fn, ctx, n) cuts [0, n) into a few contiguous chunks and
 * calls fn(ctx, lo, hi, thread) on each, from whichever thread claims it
 * first (thread 0 is the caller; the index picks per-thread scratch), and
 * returns when all are done.  Claiming rather than assigning slices matters
 * on a shared machine: when a worker is not scheduled, the caller takes its
 * chunks instead of waiting a time slice for it.  Workers spin briefly
 * between jobs (a decode step issues hundreds of short jobs, and a
 * condition-variable wake-up per job would cost more than the work) and
 * then sleep, so an idle pool burns no CPU.  It owns its threads; it is not
 * a general task queue.
 */
#ifndef AS_POOL_H
#define AS_POOL_H

#include "common/error.h"

typedef struct pool pool;
typedef void (*pool_fn)(void *ctx, long lo, long hi, int thread);

/* A pool of n_threads (>= 1; 1 means everything runs on the caller). */
as_err pool_new(pool **out, int n_threads);
void pool_free(pool *p);
int pool_threads(const pool *p);
void pool_run(pool *p, pool_fn fn, void *ctx, long n);

/* pool_run for a job of about `work` multiply-adds: below POOL_MIN_WORK the
 * caller runs it alone, since waking and joining a worker (microseconds,
 * far more when the machine is oversubscribed) costs more than it saves. */
#define POOL_MIN_WORK (1L << 17)
void pool_run_work(pool *p, pool_fn fn, void *ctx, long n, double work);

#endif
