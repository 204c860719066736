/*
 * backend_cuda.h -- running the transformer on an NVIDIA GPU through the
 * optional shared object libaftershock_cuda.so (built from model/cuda/).
 *
 * The main binary, the tests and the sanitizer build never link CUDA: the
 * loader here dlopen()s the shared object only when a caller asks for the
 * GPU and reaches it through one function table, cuda_backend, returned by
 * its one exported symbol.  A machine without the library, the CUDA runtime
 * or a device gets AS_ERR_CUDA naming the reason; everything else still runs.
 *
 * A cuda_model holds the weights on the device, dequantized once at load
 * (F32 stays F32, BF16 widens to F32, F16 and the quantized types become F16
 * for cuBLAS); it borrows the host model, which must outlive it.  A state
 * from cuda_state_new is an ordinary model_state whose model_forward runs on
 * the device and leaves the logits in s->logits, so generate.h and the
 * benchmarks work unchanged.  This file does not hold kernels.
 */
#ifndef AS_BACKEND_CUDA_H
#define AS_BACKEND_CUDA_H

#include "model/transformer.h"

#include <stddef.h>

/* Bump when this table or the structs it passes (model, model_batch) change. */
#define CUDA_BACKEND_ABI 1
#define CUDA_BACKEND_SYMBOL "as_cuda_backend"
#define CUDA_BACKEND_LIB "libaftershock_cuda.so"

typedef struct cuda_weights cuda_weights; /* device weights, the .so's */
typedef struct cuda_run cuda_run;         /* device activations and KV cache */

/* What the shared object calls back into: the error recorder, so its
 * messages reach as_last_error() of the program that loaded it. */
typedef struct cuda_host {
    as_err (*fail)(as_err err, const char *fmt, ...);
} cuda_host;

typedef struct cuda_backend {
    int abi;             /* CUDA_BACKEND_ABI the .so was built with */
    size_t model_bytes;  /* sizeof(model), sizeof(model_batch) there */
    size_t batch_bytes;
    /* Select device 0 and write its name (cap bytes); AS_ERR_CUDA with
     * "no CUDA device" when there is none or no usable driver. */
    as_err (*device_open)(char *name, size_t cap, const cuda_host *host);
    /* Copy and dequantize m's weights to the device. */
    as_err (*weights_upload)(cuda_weights **out, const model *m);
    void (*weights_free)(cuda_weights *w);
    as_err (*run_new)(cuda_run **out, const cuda_weights *w, int n_seq, int n_ctx,
                      int max_batch);
    void (*run_free)(cuda_run *r);
    /* logits (n_out, vocab) of the wanted items, copied to the host; the
     * batch is already checked against the run's limits */
    as_err (*forward)(float *logits, int *n_out, cuda_run *r, const model_batch *b);
} cuda_backend;

typedef const cuda_backend *(*cuda_backend_fn)(void);

typedef struct cuda_model {
    const cuda_backend *be;
    cuda_weights *w;
    const model *m;      /* borrowed */
    char device[160];    /* the GPU's name, for reports */
} cuda_model;

/* The device side of a model_state made by cuda_state_new. */
typedef struct cuda_state {
    const cuda_backend *be;
    cuda_run *run;
    float *logits;       /* (max_batch, vocab) host copy; s->logits points here */
} cuda_state;

/* Load the backend (once per process, see cuda_model_open) and open the
 * device, writing its name (cap bytes): whether --device cuda can work. */
as_err cuda_device_probe(char *name, size_t cap);

/*
 * Load the backend (once per process; AFTERSHOCK_CUDA_LIB names the file,
 * else it is looked for beside the program: ./build/, ../, ./), open the
 * device and upload m.  *out is new; cuda_model_close frees it.
 */
as_err cuda_model_open(cuda_model **out, const model *m);
void cuda_model_close(cuda_model *cm);

/* A model_state on the device; the same limits as model_state_new.
 * model_state_free frees it, before cuda_model_close. */
as_err cuda_state_new(model_state **out, cuda_model *cm, int n_seq, int n_ctx, int max_batch);

/* For transformer.c: the device forward of a checked batch, and the free. */
as_err cuda_state_forward(model_state *s, const model_batch *b, int *n_out);
void cuda_state_free(cuda_state *cs);

#endif
