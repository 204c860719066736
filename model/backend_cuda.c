/*
 * backend_cuda.c -- find, load and check the CUDA shared object, and wrap
 * its function table as cuda_model / model_state (see backend_cuda.h).
 *
 * It owns the dlopen handle for the life of the process: the CUDA runtime
 * registers exit handlers when it starts, so unloading it would leave them
 * pointing at unmapped code.  Nothing here includes a CUDA header or links
 * a CUDA library; the shared object is checked by ABI number and struct
 * sizes, so a stale build is refused with a message instead of misreading
 * the model.  Every failure is AS_ERR_CUDA with the file and the reason.
 */
#include "model/backend_cuda.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static const cuda_backend *loaded; /* guarded by load_mu */
static const cuda_host host = {as_fail};

/* Directory of the running program into out (cap bytes); 0 if unknown. */
static int exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0)
        return 0;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    return 1;
}

/* First existing candidate path into out; 0 when none exists.  The
 * candidates cover ./aftershock (build/), the test programs in build/tests/
 * (../) and an installed copy beside the program. */
static int lib_find(char *out, size_t cap, char *tried, size_t tried_cap)
{
    const char *env = getenv("AFTERSHOCK_CUDA_LIB");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        snprintf(tried, tried_cap, "'%s' (AFTERSHOCK_CUDA_LIB)", env);
        return access(out, F_OK) == 0;
    }
    char dir[1024];
    if (!exe_dir(dir, sizeof dir)) {
        snprintf(tried, tried_cap, "(the program's directory is unknown)");
        return 0;
    }
    static const char *const rel[] = {"/build/", "/../", "/"};
    tried[0] = '\0';
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(out, cap, "%s%s%s", dir, rel[i], CUDA_BACKEND_LIB);
        size_t len = strlen(tried);
        snprintf(tried + len, tried_cap - len, "%s'%s'", i ? ", " : "", out);
        if (access(out, F_OK) == 0)
            return 1;
    }
    return 0;
}

static as_err backend_load(const cuda_backend **out)
{
    char path[1100], tried[3600];
    if (!lib_find(path, sizeof path, tried, sizeof tried))
        return as_fail(AS_ERR_CUDA, "CUDA backend library missing: no %s at %s; it is built "
                       "when nvcc is present (make CUDA=1)", CUDA_BACKEND_LIB, tried);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return as_fail(AS_ERR_CUDA, "cannot load the CUDA backend '%s': %s", path, dlerror());
    cuda_backend_fn get = (cuda_backend_fn)dlsym(h, CUDA_BACKEND_SYMBOL);
    const cuda_backend *be = get ? get() : NULL;
    if (!be) {
        dlclose(h);
        return as_fail(AS_ERR_CUDA, "'%s': symbol '%s' missing: not an aftershock CUDA "
                       "backend", path, CUDA_BACKEND_SYMBOL);
    }
    if (be->abi != CUDA_BACKEND_ABI || be->model_bytes != sizeof(model) ||
        be->batch_bytes != sizeof(model_batch)) {
        as_err e = as_fail(AS_ERR_CUDA, "'%s' was built from another version of aftershock "
                           "(ABI %d, model %zu bytes; this program: ABI %d, %zu bytes); "
                           "rebuild it", path, be->abi, be->model_bytes, CUDA_BACKEND_ABI,
                           sizeof(model));
        dlclose(h);
        return e;
    }
    *out = be;
    return AS_OK;
}

/* The loaded table into *be, and the device opened. */
static as_err backend_open(const cuda_backend **be, char *name, size_t cap)
{
    pthread_mutex_lock(&load_mu);
    as_err e = loaded ? AS_OK : backend_load(&loaded);
    *be = loaded;
    pthread_mutex_unlock(&load_mu);
    return e ? e : (*be)->device_open(name, cap, &host);
}

as_err cuda_device_probe(char *name, size_t cap)
{
    const cuda_backend *be;
    return backend_open(&be, name, cap);
}

as_err cuda_model_open(cuda_model **out, const model *m)
{
    *out = NULL;
    cuda_model *cm = calloc(1, sizeof *cm);
    if (!cm)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    cm->m = m;
    as_err e = backend_open(&cm->be, cm->device, sizeof cm->device);
    if (!e)
        e = cm->be->weights_upload(&cm->w, m);
    if (e) {
        free(cm);
        return e;
    }
    *out = cm;
    return AS_OK;
}

void cuda_model_close(cuda_model *cm)
{
    if (!cm)
        return;
    cm->be->weights_free(cm->w);
    free(cm);
}

as_err cuda_state_new(model_state **out, cuda_model *cm, int n_seq, int n_ctx, int max_batch)
{
    *out = NULL;
    const model_config *c = &cm->m->c;
    if (n_seq < 1 || n_ctx < 1 || n_ctx > c->ctx_len || max_batch < 1 || max_batch > 65536)
        return as_fail(AS_ERR_RANGE, "state of %d sequences x %d positions, batch %d: out of "
                       "range (context length is %d)", n_seq, n_ctx, max_batch, c->ctx_len);
    model_state *s = calloc(1, sizeof *s);
    cuda_state *cs = calloc(1, sizeof *cs);
    float *logits = malloc((size_t)max_batch * c->vocab_size * sizeof(float));
    as_err e = AS_OK;
    if (!s || !cs || !logits) {
        e = as_fail(AS_ERR_NOMEM, "out of memory for the model state");
        goto done;
    }
    cs->be = cm->be;
    cs->logits = logits;
    logits = NULL;
    if ((e = cm->be->run_new(&cs->run, cm->w, n_seq, n_ctx, max_batch)))
        goto done;
    s->m = cm->m;
    s->n_seq = n_seq;
    s->n_ctx = n_ctx;
    s->max_batch = max_batch;
    s->logits = cs->logits;
    s->cuda = cs;
    *out = s;
    s = NULL;
    cs = NULL;
done:
    free(logits);
    cuda_state_free(cs);
    free(s);
    return e;
}

as_err cuda_state_forward(model_state *s, const model_batch *b, int *n_out)
{
    return s->cuda->be->forward(s->logits, n_out, s->cuda->run, b);
}

void cuda_state_free(cuda_state *cs)
{
    if (!cs)
        return;
    if (cs->run)
        cs->be->run_free(cs->run);
    free(cs->logits);
    free(cs);
}
