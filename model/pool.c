/*
 * pool.c -- fork-join pool (see pool.h).
 *
 * A job is published as one 64-bit word, `claim` = generation (32 bits) |
 * chunk count (16) | next unclaimed chunk (16); a thread takes a chunk by a
 * compare-and-swap that also checks the generation, so a worker that wakes
 * late cannot take a chunk of a job that is over, and fn/ctx/total are only
 * read by a thread holding a chunk of the live job (the caller does not
 * return, nor rewrite them, before every chunk is done).  Workers spin on
 * the generation for a while, then sleep on a condition variable; the
 * publisher always takes the mutex before its broadcast, and a worker
 * re-checks the generation under the mutex before sleeping, so no wake-up
 * is lost.
 */
#include "model/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define POOL_SPINS 200000
#define POOL_CHUNKS_PER_THREAD 4 /* enough to rebalance, few enough to stay contiguous */
#define POOL_WAIT_SPINS 2000     /* caller's pauses before it yields to a late worker */

struct pool {
    int n;
    pthread_t *threads;       /* (n - 1) workers */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint generation;
    _Atomic uint64_t claim;   /* generation << 32 | chunks << 16 | next chunk */
    atomic_long done;         /* chunks finished in the live job */
    atomic_int quit;
    pool_fn fn;
    void *ctx;
    long total;
};

typedef struct worker_arg {
    pool *p;
    int index;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#else
    sched_yield();
#endif
}

/* Run chunks of job `gen` until none is left to claim. */
static void chunks_run(pool *p, unsigned gen, int index)
{
    uint64_t cur = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        unsigned chunks = (unsigned)(cur >> 16) & 0xffff, next = (unsigned)cur & 0xffff;
        if ((unsigned)(cur >> 32) != gen || next >= chunks)
            return;
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &cur, cur + 1,
                                                   memory_order_acq_rel, memory_order_acquire))
            continue;
        long lo = p->total * next / chunks, hi = p->total * (next + 1) / chunks;
        if (lo < hi)
            p->fn(p->ctx, lo, hi, index);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
        cur = atomic_load_explicit(&p->claim, memory_order_acquire);
    }
}

static void *worker_main(void *arg)
{
    worker_arg wa = *(worker_arg *)arg;
    free(arg);
    pool *p = wa.p;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen) {
            if (++spins < POOL_SPINS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
            if (atomic_load(&p->quit))
                return NULL;
        }
        seen = g;
        if (atomic_load(&p->quit))
            return NULL;
        chunks_run(p, g, wa.index);
    }
}

as_err pool_new(pool **out, int n_threads)
{
    *out = NULL;
    if (n_threads < 1 || n_threads > 256)
        return as_fail(AS_ERR_USAGE, "thread count %d out of range [1, 256]", n_threads);
    pool *p = calloc(1, sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "out of memory for the thread pool");
    p->n = 1; /* the threads that exist, for pool_free on a partial start */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    if (!p->threads) {
        pool_free(p);
        return as_fail(AS_ERR_NOMEM, "out of memory for the thread pool");
    }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) {
            wa->p = p;
            wa->index = i;
        }
        if (!wa || pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
            free(wa);
            pool_free(p);
            return as_fail(AS_ERR_NOMEM, "cannot start thread %d of the pool", i);
        }
        p->n = i + 1;
    }
    p->n = n_threads;
    *out = p;
    return AS_OK;
}

void pool_free(pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->threads[i - 1], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}

int pool_threads(const pool *p)
{
    return p ? p->n : 1;
}

void pool_run(pool *p, pool_fn fn, void *ctx, long n)
{
    if (!p || p->n == 1 || n < 2) {
        if (n > 0)
            fn(ctx, 0, n, 0);
        return;
    }
    long chunks = (long)p->n * POOL_CHUNKS_PER_THREAD;
    chunks = chunks < n ? chunks : n;
    p->fn = fn;
    p->ctx = ctx;
    p->total = n;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    unsigned gen = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->claim, (uint64_t)gen << 32 | (uint64_t)chunks << 16,
                          memory_order_release);
    atomic_store_explicit(&p->generation, gen, memory_order_release);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    chunks_run(p, gen, 0);
    for (int spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < chunks; spins++) {
        if (spins < POOL_WAIT_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
}

void pool_run_work(pool *p, pool_fn fn, void *ctx, long n, double work)
{
    if (work < POOL_MIN_WORK) {
        if (n > 0)
            fn(ctx, 0, n, 0);
        return;
    }
    pool_run(p, fn, ctx, n);
}
