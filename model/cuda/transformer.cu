/*
 * transformer.cu -- the Llama/Qwen2 forward pass of model/transformer.c on
 * an NVIDIA GPU: the body of libaftershock_cuda.so, reached only through the
 * function table of model/backend_cuda.h.
 *
 * Weights are copied to the device once and dequantized there (F32 stays
 * F32, BF16 widens to F32 exactly, F16 and the quantized types become F16);
 * the matrix products are cuBLAS calls on them with float accumulation, the
 * rest are the kernels below, named as their CPU counterparts in
 * transformer.c and quant.c (embed, rmsnorm, rope_apply, add_bias,
 * attention_units, matmul, quant_act_q8, quant_dequant_row, ...).  The KV cache is half precision in the CPU layout.  The
 * numerics follow the CPU path where it is cheap to: the mean square of
 * RMSNorm and the softmax sum in double, q and the probabilities rounded to
 * half before their products, RoPE's cos/sin computed on the host with the
 * CPU's formula.  Every CUDA and cuBLAS call and every launch is checked;
 * a failure is AS_ERR_CUDA naming this file and line.  One stream and one
 * cuBLAS handle per run; the forward call returns after the logits are on
 * the host.
 */
extern "C" {
#include "model/backend_cuda.h"
#include "model/quant.h"
}

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cuda/quant.cuh"

static const cuda_host *host; /* set by device_open, before anything else */

static as_err cuda_fail(const char *file, int line, const char *call, const char *why)
{
    return host->fail(AS_ERR_CUDA, "CUDA: %s:%d: %s: %s", file, line, call, why);
}

#define CUDA_CHECK(call)                                                              \
    do {                                                                              \
        cudaError_t err_ = (call);                                                    \
        if (err_ != cudaSuccess)                                                      \
            return cuda_fail(__FILE__, __LINE__, #call, cudaGetErrorString(err_));    \
    } while (0)

#define CUBLAS_CHECK(call)                                                            \
    do {                                                                              \
        cublasStatus_t st_ = (call);                                                  \
        if (st_ != CUBLAS_STATUS_SUCCESS)                                             \
            return cuda_fail(__FILE__, __LINE__, #call, cublasGetStatusString(st_));  \
    } while (0)

/* After every <<<launch>>>: configuration errors show up here. */
#define LAUNCH_CHECK(name)                                                            \
    do {                                                                              \
        cudaError_t err_ = cudaGetLastError();                                        \
        if (err_ != cudaSuccess)                                                      \
            return cuda_fail(__FILE__, __LINE__, "launch of " name,                   \
                             cudaGetErrorString(err_));                               \
    } while (0)

#define THREADS 256

static unsigned blocks_for(size_t n)
{
    return (unsigned)((n + THREADS - 1) / THREADS);
}

/* ---- device weights ------------------------------------------------------- */

typedef struct dmat {
    int rows, cols;
    cudaDataType_t dtype; /* CUDA_R_32F or CUDA_R_16F */
    int q8_act;           /* Q8_0/Q4_0/Q5_0 in the file: activations go through Q8 */
    void *data;           /* (rows, cols) on the device */
    int owned;            /* 0 when it aliases the raw embedding */
} dmat;

typedef struct dlayer {
    const float *attn_norm, *ffn_norm; /* (dim), inside cuda_weights.params */
    const float *bq, *bk, *bv;         /* (q_dim), (kv_dim), (kv_dim); NULL without bias */
    dmat wq, wk, wv, wo, w_gate, w_up, w_down;
} dlayer;

struct cuda_weights {
    model_config c;
    int embd_type;        /* ggml_type of token_embd in the file */
    size_t embd_row_bytes;
    uint8_t *embd;        /* (vocab, embd_row_bytes) token_embd as in the file */
    dmat output;          /* (vocab, dim); aliases embd when tied and F32/F16 */
    float *params;        /* (n_params) device copy of model.params */
    const float *output_norm; /* (dim) */
    dlayer *layers;       /* (n_layers) host array of device pointers */
};

/* dst (n elements of T) = src (n elements of type t, whole units). */
template <typename T>
__global__ void quant_dequant_row(T *dst, const uint8_t *src, int t, size_t n_units)
{
    size_t u = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (u < n_units)
        dequant_unit(dst + u * unit_elems(t), src + u * unit_bytes(t), t);
}

/* Device copy of host bytes; *out is device memory the caller frees. */
static as_err upload(void **out, const void *src, size_t bytes)
{
    *out = NULL;
    CUDA_CHECK(cudaMalloc(out, bytes));
    CUDA_CHECK(cudaMemcpy(*out, src, bytes, cudaMemcpyHostToDevice));
    return AS_OK;
}

/* Matrix q into d: F32 and BF16 as floats, everything else as halves.
 * raw (may be NULL) is q's file bytes already on the device. */
static as_err dmat_load(dmat *d, const qmat *q, const void *raw)
{
    d->rows = q->rows;
    d->cols = q->cols;
    d->dtype = q->type == GGML_TYPE_F32 || q->type == GGML_TYPE_BF16 ? CUDA_R_32F : CUDA_R_16F;
    d->q8_act = q->type == GGML_TYPE_Q8_0 || q->type == GGML_TYPE_Q4_0 || q->type == GGML_TYPE_Q5_0;
    size_t n = (size_t)q->rows * q->cols, bytes = (size_t)q->rows * q->row_bytes;
    if (raw && (q->type == GGML_TYPE_F32 || q->type == GGML_TYPE_F16)) {
        d->data = (void *)raw; /* already in the compute type */
        return AS_OK;
    }
    if (!raw && q->type == GGML_TYPE_F32) {
        d->owned = 1;
        return upload(&d->data, q->data, bytes);
    }
    void *tmp = NULL;
    if (!raw) {
        as_err e = upload(&tmp, q->data, bytes);
        if (e) {
            cudaFree(tmp);
            return e;
        }
    }
    d->owned = 1;
    size_t units = n / unit_elems(q->type);
    cudaError_t err = cudaMalloc(&d->data, n * (d->dtype == CUDA_R_32F ? 4 : 2));
    if (err == cudaSuccess) {
        const uint8_t *src = (const uint8_t *)(raw ? raw : tmp);
        if (d->dtype == CUDA_R_32F)
            quant_dequant_row<float><<<blocks_for(units), THREADS>>>((float *)d->data, src, q->type, units);
        else
            quant_dequant_row<__half><<<blocks_for(units), THREADS>>>((__half *)d->data, src, q->type, units);
        err = cudaGetLastError();
        if (err == cudaSuccess)
            err = cudaDeviceSynchronize();
    }
    cudaFree(tmp);
    if (err != cudaSuccess)
        return cuda_fail(__FILE__, __LINE__, "quant_dequant_row", cudaGetErrorString(err));
    return AS_OK;
}

static void dmat_free(dmat *d)
{
    if (d->owned)
        cudaFree(d->data);
    d->data = NULL;
}

/* A device pointer for host vector v, which lives inside m->params. */
static as_err param_at(const float **out, const float *v, const model *m, const float *dparams,
                       size_t n_params)
{
    *out = NULL;
    if (!v)
        return AS_OK;
    if (v < m->params || v >= m->params + n_params)
        return host->fail(AS_ERR_CUDA, "CUDA: a norm or bias vector of '%s' is outside the "
                          "parameter arena", m->name);
    *out = dparams + (v - m->params);
    return AS_OK;
}

static void weights_free(cuda_weights *w)
{
    if (!w)
        return;
    for (int l = 0; w->layers && l < w->c.n_layers; l++) {
        dlayer *L = &w->layers[l];
        dmat *mats[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
            dmat_free(mats[i]);
    }
    free(w->layers);
    dmat_free(&w->output);
    cudaFree(w->embd);
    cudaFree(w->params);
    free(w);
}

static as_err weights_fill(cuda_weights *w, const model *m)
{
    const model_config *c = &m->c;
    int q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    w->c = *c;
    if (!unit_elems(m->w.token_embd.type) || !unit_elems(m->w.output.type))
        return host->fail(AS_ERR_UNSUPPORTED, "CUDA: '%s': embedding tensor type %d", m->name,
                          (int)m->w.token_embd.type);
    w->embd_type = m->w.token_embd.type;
    w->embd_row_bytes = m->w.token_embd.row_bytes;
    as_err e = upload((void **)&w->embd, m->w.token_embd.data,
                      (size_t)c->vocab_size * w->embd_row_bytes);
    if (e)
        return e;
    if ((e = dmat_load(&w->output, &m->w.output, c->tied_output ? w->embd : NULL)))
        return e;
    /* the same size table as weights_read in transformer.c */
    size_t per_layer = 2 * (size_t)c->dim + (c->has_qkv_bias ? (size_t)q_dim + 2 * (size_t)kv_dim : 0);
    size_t n_params = per_layer * (size_t)c->n_layers + (size_t)c->dim;
    if ((e = upload((void **)&w->params, m->params, n_params * sizeof(float))))
        return e;
    if ((e = param_at(&w->output_norm, m->w.output_norm, m, w->params, n_params)))
        return e;
    w->layers = (dlayer *)calloc((size_t)c->n_layers, sizeof *w->layers);
    if (!w->layers)
        return host->fail(AS_ERR_NOMEM, "out of memory");
    for (int l = 0; l < c->n_layers; l++) {
        const layer_weights *H = &m->w.layers[l];
        dlayer *L = &w->layers[l];
        const qmat *q[] = {&H->wq, &H->wk, &H->wv, &H->wo, &H->w_gate, &H->w_up, &H->w_down};
        dmat *d[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
            if (!unit_elems(q[i]->type))
                return host->fail(AS_ERR_UNSUPPORTED, "CUDA: '%s': layer %d: tensor type %d",
                                  m->name, l, (int)q[i]->type);
            if ((e = dmat_load(d[i], q[i], NULL)))
                return e;
        }
        if ((e = param_at(&L->attn_norm, H->attn_norm, m, w->params, n_params)) ||
            (e = param_at(&L->ffn_norm, H->ffn_norm, m, w->params, n_params)) ||
            (e = param_at(&L->bq, H->bq, m, w->params, n_params)) ||
            (e = param_at(&L->bk, H->bk, m, w->params, n_params)) ||
            (e = param_at(&L->bv, H->bv, m, w->params, n_params)))
            return e;
    }
    /* cudaMemcpy from pageable memory may return before its DMA lands, and
     * the runs use non-blocking streams: finish every copy here */
    CUDA_CHECK(cudaDeviceSynchronize());
    return AS_OK;
}

static as_err weights_upload(cuda_weights **out, const model *m)
{
    *out = NULL;
    cuda_weights *w = (cuda_weights *)calloc(1, sizeof *w);
    if (!w)
        return host->fail(AS_ERR_NOMEM, "out of memory");
    as_err e = weights_fill(w, m);
    if (e) {
        weights_free(w);
        return e;
    }
    *out = w;
    return AS_OK;
}

/* ---- run state -------------------------------------------------------------- */

struct cuda_run {
    const cuda_weights *w;
    int n_seq, n_ctx, max_batch;
    cudaStream_t stream;
    cublasHandle_t blas;
    /* device activations, one allocation carved by a size table */
    float *x;        /* (max_batch, dim) residual stream */
    float *xb;       /* (max_batch, max(dim, q_dim)) normed input / attention out */
    float *xb2;      /* (max_batch, dim) projection output */
    float *q;        /* (max_batch, q_dim) */
    float *k;        /* (max_batch, kv_dim) */
    float *v;        /* (max_batch, kv_dim) */
    float *hb;       /* (max_batch, ffn_dim) gate, then silu(gate) * up */
    float *hb2;      /* (max_batch, ffn_dim) up */
    float *logits;   /* (max_batch, vocab) */
    float *arena;
    __half *xh;      /* (max_batch, max_cols) activations rounded for F16 products */
    __half *key_cache;   /* (n_seq, n_layers, n_ctx, kv_dim) */
    __half *value_cache; /* (n_seq, n_layers, n_ctx, kv_dim) */
    /* per-call inputs, staged in pinned host memory and copied in one go:
     * ints (4, max_batch) tokens, pos, seq, wanted rows; then floats
     * (max_batch, rope_dim) cos/sin pairs */
    void *stage_h, *stage_d;
    size_t att_shared; /* dynamic shared memory of attention_units, bytes */
};

static void run_free(cuda_run *r)
{
    if (!r)
        return;
    if (r->blas)
        cublasDestroy(r->blas);
    if (r->stream)
        cudaStreamDestroy(r->stream);
    cudaFree(r->arena);
    cudaFree(r->xh);
    cudaFree(r->key_cache);
    cudaFree(r->value_cache);
    cudaFree(r->stage_d);
    cudaFreeHost(r->stage_h);
    free(r);
}

static size_t stage_bytes(const cuda_run *r)
{
    return (size_t)r->max_batch * (4 * sizeof(int) + r->w->c.rope_dim * sizeof(float));
}

__global__ void attention_units(float *out, const float *q, const __half *key_cache,
                                const __half *value_cache, const int *pos, const int *seq,
                                int layer, int n_layers, int n_ctx, int n_heads, int n_kv_heads,
                                int hd, float scale);

static as_err run_fill(cuda_run *r)
{
    const model_config *c = &r->w->c;
    size_t B = (size_t)r->max_batch, q_dim = (size_t)c->n_heads * c->head_dim;
    size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    size_t xb_dim = q_dim > (size_t)c->dim ? q_dim : (size_t)c->dim;
    size_t max_cols = xb_dim > (size_t)c->ffn_dim ? xb_dim : (size_t)c->ffn_dim;
    CUDA_CHECK(cudaStreamCreateWithFlags(&r->stream, cudaStreamNonBlocking));
    CUBLAS_CHECK(cublasCreate(&r->blas));
    CUBLAS_CHECK(cublasSetStream(r->blas, r->stream));
    /* no TF32: F32 weights keep F32 products, as the CPU reference */
    CUBLAS_CHECK(cublasSetMathMode(r->blas, CUBLAS_DEFAULT_MATH));
    struct { float **p; size_t n; } table[] = {
        {&r->x, B * c->dim},      {&r->xb, B * xb_dim},     {&r->xb2, B * c->dim},
        {&r->q, B * q_dim},       {&r->k, B * kv_dim},      {&r->v, B * kv_dim},
        {&r->hb, B * c->ffn_dim}, {&r->hb2, B * c->ffn_dim}, {&r->logits, B * c->vocab_size},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        total += (table[i].n + 63) & ~(size_t)63; /* 256-byte aligned slices */
    CUDA_CHECK(cudaMalloc(&r->arena, total * sizeof(float)));
    float *p = r->arena;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        *table[i].p = p;
        p += (table[i].n + 63) & ~(size_t)63;
    }
    size_t cache = (size_t)r->n_seq * c->n_layers * r->n_ctx * kv_dim;
    CUDA_CHECK(cudaMalloc(&r->xh, B * max_cols * sizeof(__half)));
    CUDA_CHECK(cudaMalloc(&r->key_cache, cache * sizeof(__half)));
    CUDA_CHECK(cudaMalloc(&r->value_cache, cache * sizeof(__half)));
    /* on the run's stream: a non-blocking stream does not wait for the
     * legacy default stream */
    CUDA_CHECK(cudaMemsetAsync(r->key_cache, 0, cache * sizeof(__half), r->stream));
    CUDA_CHECK(cudaMemsetAsync(r->value_cache, 0, cache * sizeof(__half), r->stream));
    CUDA_CHECK(cudaMalloc(&r->stage_d, stage_bytes(r)));
    CUDA_CHECK(cudaMallocHost(&r->stage_h, stage_bytes(r)));
    /* attention keeps q and the scores of the whole context in shared memory */
    r->att_shared = ((size_t)c->head_dim + r->n_ctx) * sizeof(float);
    int dev, max_shared;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    if (r->att_shared + 1024 > (size_t)max_shared)
        return host->fail(AS_ERR_RANGE, "CUDA: a context of %d positions needs %zu bytes of "
                          "shared memory in attention; this device has %d per block",
                          r->n_ctx, r->att_shared, max_shared);
    CUDA_CHECK(cudaFuncSetAttribute(attention_units, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    (int)r->att_shared));
    return AS_OK;
}

static as_err run_new(cuda_run **out, const cuda_weights *w, int n_seq, int n_ctx, int max_batch)
{
    *out = NULL;
    cuda_run *r = (cuda_run *)calloc(1, sizeof *r);
    if (!r)
        return host->fail(AS_ERR_NOMEM, "out of memory");
    r->w = w;
    r->n_seq = n_seq;
    r->n_ctx = n_ctx;
    r->max_batch = max_batch;
    as_err e = run_fill(r);
    if (e) {
        run_free(r);
        return e;
    }
    *out = r;
    return AS_OK;
}

/* ---- kernels, named as in transformer.c ------------------------------------ */

static __device__ float warp_sum(float v)
{
    for (int o = 16; o; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ double warp_sum_d(double v)
{
    for (int o = 16; o; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ float warp_max(float v)
{
    for (int o = 16; o; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* Sum of v over the block (blockDim.x a multiple of 32, at most 1024). */
static __device__ double block_sum_d(double v)
{
    __shared__ double part[32];
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = warp_sum_d(v);
    if (lane == 0)
        part[warp] = v;
    __syncthreads();
    v = threadIdx.x < blockDim.x / 32 ? part[threadIdx.x] : 0.0;
    if (warp == 0)
        v = warp_sum_d(v);
    if (threadIdx.x == 0)
        part[0] = v;
    __syncthreads();
    v = part[0];
    __syncthreads();
    return v;
}

static __device__ float block_max(float v)
{
    __shared__ float part[32];
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = warp_max(v);
    if (lane == 0)
        part[warp] = v;
    __syncthreads();
    v = threadIdx.x < blockDim.x / 32 ? part[threadIdx.x] : -INFINITY;
    if (warp == 0)
        v = warp_max(v);
    if (threadIdx.x == 0)
        part[0] = v;
    __syncthreads();
    v = part[0];
    __syncthreads();
    return v;
}

/* x (n, dim) = rows tokens[i] of the embedding, dequantized; one block per item. */
__global__ void embed(float *x, const uint8_t *embd, size_t row_bytes, int type, int dim,
                      const int *tokens)
{
    const uint8_t *row = embd + (size_t)tokens[blockIdx.x] * row_bytes;
    float *out = x + (size_t)blockIdx.x * dim;
    int per = unit_elems(type), nb = unit_bytes(type);
    for (int u = threadIdx.x; u < dim / per; u += blockDim.x)
        dequant_unit(out + (size_t)u * per, row + (size_t)u * nb, type);
}

/* out row i = x row rows[i] (rows NULL: i) / rms * w; one block per row.
 * The mean square in double as ggml_compute_forward_rms_norm. */
__global__ void rmsnorm(float *out, const float *x, const float *w, const int *rows, int n,
                        float eps)
{
    const float *xi = x + (size_t)(rows ? rows[blockIdx.x] : blockIdx.x) * n;
    float *o = out + (size_t)blockIdx.x * n;
    double ss = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x)
        ss += (double)xi[j] * xi[j];
    ss = block_sum_d(ss);
    float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int j = threadIdx.x; j < n; j += blockDim.x)
        o[j] = __fmul_rn(__fmul_rn(xi[j], scale), w[j]);
}

__global__ void to_half(__half *dst, const float *src, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        dst[i] = __float2half_rn(src[i]);
}

/* dst (n_blocks * QK halves) = x quantized per block of 32 as quant_act_q8
 * in quant.c (scale amax/127 rounded to half, round half to even), then
 * multiplied back.  d * q needs at most 19 bits, so the half keeps it to
 * 2^-11; the sums then follow the CPU's integer dots of Q8_0/Q4_0/Q5_0 weights
 * to about 1e-3 of their size, where unquantized activations drift by 1e-2
 * (measured on stories260K-Q8_0: 3.5e-3 against 3.3e-2 on dots of size 10). */
__global__ void quant_act_q8(__half *dst, const float *x, size_t n_blocks)
{
    size_t u = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (u >= n_blocks)
        return;
    const float *xb = x + u * QK;
    float amax = 0;
    for (int j = 0; j < QK; j++)
        amax = fmaxf(amax, fabsf(xb[j]));
    float id = amax != 0.0f ? __fdiv_rn(127.0f, amax) : 0.0f;
    float d = __half2float(__float2half_rn(__fdiv_rn(amax, 127.0f)));
    for (int j = 0; j < QK; j++)
        dst[u * QK + j] = __float2half_rn(__fmul_rn(d, rintf(__fmul_rn(xb[j], id))));
}

__global__ void add_bias(float *x, const float *bias, int B, int n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < (size_t)B * n)
        x[i] = __fadd_rn(x[i], bias[i % n]);
}

/* Rotate the rope_dim leading dims of each head of v (B, n_heads * hd) by
 * the item's table t (B, rope_dim: cos, sin per pair); one thread per pair. */
__global__ void rope_apply(float *v, const float *t, int B, int n_heads, int hd, int rope_dim,
                           int neox)
{
    int half = rope_dim / 2;
    size_t u = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (u >= (size_t)B * n_heads * half)
        return;
    int j = (int)(u % half), h = (int)(u / half % n_heads), i = (int)(u / half / n_heads);
    float *x = v + ((size_t)i * n_heads + h) * hd;
    const float *ti = t + (size_t)i * rope_dim;
    int i0 = neox ? j : 2 * j, i1 = neox ? j + half : 2 * j + 1;
    float a = x[i0], b = x[i1], co = ti[2 * j], si = ti[2 * j + 1];
    x[i0] = __fsub_rn(__fmul_rn(a, co), __fmul_rn(b, si));
    x[i1] = __fadd_rn(__fmul_rn(a, si), __fmul_rn(b, co));
}

/* Write k and v (B, kv_dim) into the half caches at each item's place. */
__global__ void kv_store(__half *key_cache, __half *value_cache, const float *k, const float *v,
                         const int *pos, const int *seq, int B, int layer, int n_layers,
                         int n_ctx, int kv_dim)
{
    size_t u = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (u >= (size_t)B * kv_dim)
        return;
    int i = (int)(u / kv_dim), x = (int)(u % kv_dim);
    size_t at = (((size_t)seq[i] * n_layers + layer) * n_ctx + pos[i]) * kv_dim + x;
    key_cache[at] = __float2half_rn(k[u]);
    value_cache[at] = __float2half_rn(v[u]);
}

/* One block per (item, head): softmax(q . K^T / sqrt(d)) . V over the item's
 * sequence up to its position.  Dynamic shared memory: q rounded to half
 * (hd floats), then the scores (n_ctx floats).  A warp per position for the
 * dot products, a thread per output dim for the weighted sum. */
__global__ void attention_units(float *out, const float *q, const __half *key_cache,
                                const __half *value_cache, const int *pos, const int *seq,
                                int layer, int n_layers, int n_ctx, int n_heads, int n_kv_heads,
                                int hd, float scale)
{
    extern __shared__ float sh[];
    float *qh = sh, *att = sh + hd;
    int i = blockIdx.x, h = blockIdx.y, p = pos[i];
    int kv_dim = n_kv_heads * hd, group = n_heads / n_kv_heads;
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;
    size_t base = ((size_t)seq[i] * n_layers + layer) * n_ctx * kv_dim + (size_t)(h / group) * hd;
    const float *qi = q + ((size_t)i * n_heads + h) * hd;
    for (int x = threadIdx.x; x < hd; x += blockDim.x)
        qh[x] = __half2float(__float2half_rn(qi[x]));
    __syncthreads();
    float mx = -INFINITY;
    for (int t = warp; t <= p; t += n_warps) {
        const __half *k = key_cache + base + (size_t)t * kv_dim;
        float d = 0;
        for (int x = lane; x < hd; x += 32)
            d += qh[x] * __half2float(k[x]);
        d = __fmul_rn(warp_sum(d), scale);
        if (lane == 0)
            att[t] = d;
        mx = fmaxf(mx, d);
    }
    mx = block_max(mx); /* its barriers also publish att */
    double sum = 0;
    for (int t = threadIdx.x; t <= p; t += blockDim.x) {
        att[t] = expf(att[t] - mx);
        sum += att[t];
    }
    float inv = (float)(1.0 / block_sum_d(sum));
    for (int t = threadIdx.x; t <= p; t += blockDim.x)
        att[t] = __half2float(__float2half_rn(__fmul_rn(att[t], inv)));
    __syncthreads();
    float *o = out + ((size_t)i * n_heads + h) * hd;
    for (int x = threadIdx.x; x < hd; x += blockDim.x) {
        float acc = 0;
        for (int t = 0; t <= p; t++)
            acc += att[t] * __half2float(value_cache[base + (size_t)t * kv_dim + x]);
        o[x] = acc;
    }
}

/* hb = silu(hb) * hb2 (SwiGLU), n elements */
__global__ void swiglu(float *hb, const float *hb2, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float g = hb[i];
        hb[i] = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), hb2[i]);
    }
}

/* x += y, n elements: the residual connection */
__global__ void residual_add(float *x, const float *y, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] = __fadd_rn(x[i], y[i]);
}

/* ---- forward ------------------------------------------------------------------ */

/* out (B, w->rows) = x (B, w->cols) . w^T.  Row-major W (rows, cols) is the
 * column-major (cols, rows) matrix, hence op T on it; x and out likewise. */
static as_err matmul(float *out, const float *x, const dmat *w, int B, cuda_run *r)
{
    const float one = 1.0f, zero = 0.0f;
    if (w->dtype == CUDA_R_32F) {
        CUBLAS_CHECK(cublasSgemm(r->blas, CUBLAS_OP_T, CUBLAS_OP_N, w->rows, B, w->cols, &one,
                                 (const float *)w->data, w->cols, x, w->cols, &zero, out,
                                 w->rows));
        return AS_OK;
    }
    /* F16 weights: activations rounded to half as ggml does (through Q8
     * first where the CPU dots Q8 blocks), float sums */
    size_t n = (size_t)B * w->cols;
    if (w->q8_act) {
        quant_act_q8<<<blocks_for(n / QK), THREADS, 0, r->stream>>>(r->xh, x, n / QK);
        LAUNCH_CHECK("quant_act_q8");
    } else {
        to_half<<<blocks_for(n), THREADS, 0, r->stream>>>(r->xh, x, n);
        LAUNCH_CHECK("to_half");
    }
    CUBLAS_CHECK(cublasGemmEx(r->blas, CUBLAS_OP_T, CUBLAS_OP_N, w->rows, B, w->cols, &one,
                              w->data, CUDA_R_16F, w->cols, r->xh, CUDA_R_16F, w->cols, &zero,
                              out, CUDA_R_32F, w->rows, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return AS_OK;
}

static as_err attention_block(cuda_run *r, int n, int l, const int *pos, const int *seq,
                              const float *rope)
{
    const model_config *c = &r->w->c;
    const dlayer *L = &r->w->layers[l];
    int q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    cudaStream_t st = r->stream;
    rmsnorm<<<n, THREADS, 0, st>>>(r->xb, r->x, L->attn_norm, NULL, c->dim, c->norm_eps);
    LAUNCH_CHECK("rmsnorm");
    as_err e;
    if ((e = matmul(r->q, r->xb, &L->wq, n, r)) || (e = matmul(r->k, r->xb, &L->wk, n, r)) ||
        (e = matmul(r->v, r->xb, &L->wv, n, r)))
        return e;
    if (L->bq) {
        add_bias<<<blocks_for((size_t)n * q_dim), THREADS, 0, st>>>(r->q, L->bq, n, q_dim);
        LAUNCH_CHECK("add_bias");
        add_bias<<<blocks_for((size_t)n * kv_dim), THREADS, 0, st>>>(r->k, L->bk, n, kv_dim);
        LAUNCH_CHECK("add_bias");
        add_bias<<<blocks_for((size_t)n * kv_dim), THREADS, 0, st>>>(r->v, L->bv, n, kv_dim);
        LAUNCH_CHECK("add_bias");
    }
    int half = c->rope_dim / 2;
    if (half > 0) {
        rope_apply<<<blocks_for((size_t)n * c->n_heads * half), THREADS, 0, st>>>(
            r->q, rope, n, c->n_heads, c->head_dim, c->rope_dim, c->rope_neox);
        LAUNCH_CHECK("rope_apply");
        rope_apply<<<blocks_for((size_t)n * c->n_kv_heads * half), THREADS, 0, st>>>(
            r->k, rope, n, c->n_kv_heads, c->head_dim, c->rope_dim, c->rope_neox);
        LAUNCH_CHECK("rope_apply");
    }
    kv_store<<<blocks_for((size_t)n * kv_dim), THREADS, 0, st>>>(
        r->key_cache, r->value_cache, r->k, r->v, pos, seq, n, l, c->n_layers, r->n_ctx, kv_dim);
    LAUNCH_CHECK("kv_store");
    dim3 grid((unsigned)n, (unsigned)c->n_heads); /* items on x: up to 65536 of them */
    attention_units<<<grid, 128, r->att_shared, st>>>(
        r->xb, r->q, r->key_cache, r->value_cache, pos, seq, l, c->n_layers, r->n_ctx,
        c->n_heads, c->n_kv_heads, c->head_dim, 1.0f / sqrtf((float)c->head_dim));
    LAUNCH_CHECK("attention_units");
    if ((e = matmul(r->xb2, r->xb, &L->wo, n, r)))
        return e;
    residual_add<<<blocks_for((size_t)n * c->dim), THREADS, 0, st>>>(r->x, r->xb2,
                                                                      (size_t)n * c->dim);
    LAUNCH_CHECK("residual_add");
    return AS_OK;
}

static as_err ffn_block(cuda_run *r, int n, int l)
{
    const model_config *c = &r->w->c;
    const dlayer *L = &r->w->layers[l];
    cudaStream_t st = r->stream;
    rmsnorm<<<n, THREADS, 0, st>>>(r->xb, r->x, L->ffn_norm, NULL, c->dim, c->norm_eps);
    LAUNCH_CHECK("rmsnorm");
    as_err e;
    if ((e = matmul(r->hb, r->xb, &L->w_gate, n, r)) || (e = matmul(r->hb2, r->xb, &L->w_up, n, r)))
        return e;
    size_t nf = (size_t)n * c->ffn_dim;
    swiglu<<<blocks_for(nf), THREADS, 0, st>>>(r->hb, r->hb2, nf);
    LAUNCH_CHECK("swiglu");
    if ((e = matmul(r->xb2, r->hb, &L->w_down, n, r)))
        return e;
    residual_add<<<blocks_for((size_t)n * c->dim), THREADS, 0, st>>>(r->x, r->xb2,
                                                                      (size_t)n * c->dim);
    LAUNCH_CHECK("residual_add");
    return AS_OK;
}

/* Final norm of the wanted rows (device list rows, n_out of them), gathered
 * into xb, then the projection to the vocabulary. */
static as_err output_logits(cuda_run *r, const int *rows, int n_out)
{
    const model_config *c = &r->w->c;
    rmsnorm<<<n_out, THREADS, 0, r->stream>>>(r->xb, r->x, r->w->output_norm, rows, c->dim,
                                             c->norm_eps);
    LAUNCH_CHECK("rmsnorm");
    return matmul(r->logits, r->xb, &r->w->output, n_out, r);
}

/* cos/sin of each rotated pair for each item, exactly as rope_tables in
 * transformer.c (host libm), so both paths rotate by the same floats. */
static void rope_tables(float *t, const model_batch *b, const model_config *c)
{
    float step = powf(c->rope_theta, -2.0f / c->rope_dim);
    for (int i = 0; i < b->n; i++) {
        float *ti = t + (size_t)i * c->rope_dim, theta = (float)b->pos[i];
        for (int j = 0; j < c->rope_dim / 2; j++) {
            ti[2 * j] = cosf(theta);
            ti[2 * j + 1] = sinf(theta);
            theta *= step;
        }
    }
}

static as_err forward(float *logits, int *n_out, cuda_run *r, const model_batch *b)
{
    const model_config *c = &r->w->c;
    int n = b->n, B = r->max_batch, n_rows = 0;
    *n_out = 0;
    int *tok = (int *)r->stage_h, *pos = tok + B, *seq = pos + B, *rows = seq + B;
    for (int i = 0; i < n; i++) {
        tok[i] = b->tokens[i];
        pos[i] = b->pos[i];
        seq[i] = b->seq[i];
        if (b->want ? b->want[i] : i == n - 1)
            rows[n_rows++] = i;
    }
    float *rope_h = (float *)(rows + B);
    rope_tables(rope_h, b, c);
    const int *tok_d = (const int *)r->stage_d, *pos_d = tok_d + B, *seq_d = pos_d + B;
    const int *rows_d = seq_d + B;
    const float *rope_d = (const float *)(rows_d + B);
    size_t bytes = 4 * (size_t)B * sizeof(int) + (size_t)n * c->rope_dim * sizeof(float);
    CUDA_CHECK(cudaMemcpyAsync(r->stage_d, r->stage_h, bytes, cudaMemcpyHostToDevice, r->stream));
    embed<<<n, 32, 0, r->stream>>>(r->x, r->w->embd, r->w->embd_row_bytes, r->w->embd_type,
                                   c->dim, tok_d);
    LAUNCH_CHECK("embed");
    as_err e;
    for (int l = 0; l < c->n_layers; l++)
        if ((e = attention_block(r, n, l, pos_d, seq_d, rope_d)) || (e = ffn_block(r, n, l)))
            return e;
    if (n_rows > 0) {
        if ((e = output_logits(r, rows_d, n_rows)))
            return e;
        CUDA_CHECK(cudaMemcpyAsync(logits, r->logits, (size_t)n_rows * c->vocab_size * sizeof(float),
                                   cudaMemcpyDeviceToHost, r->stream));
    }
    /* also keeps the staging buffer from being overwritten by the next call
     * while the copy above is in flight */
    CUDA_CHECK(cudaStreamSynchronize(r->stream));
    *n_out = n_rows;
    return AS_OK;
}

/* ---- the table -------------------------------------------------------------- */

static as_err device_open(char *name, size_t cap, const cuda_host *h)
{
    host = h;
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess)
        return host->fail(AS_ERR_CUDA, "no CUDA device: cudaGetDeviceCount: %s",
                          cudaGetErrorString(err));
    if (n == 0)
        return host->fail(AS_ERR_CUDA, "no CUDA device: the driver reports none");
    CUDA_CHECK(cudaSetDevice(0));
    cudaDeviceProp p;
    CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
    snprintf(name, cap, "%s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor,
             (double)p.totalGlobalMem / (1 << 30));
    return AS_OK;
}

static const cuda_backend table = {
    CUDA_BACKEND_ABI, sizeof(model), sizeof(model_batch),
    device_open, weights_upload, weights_free, run_new, run_free, forward,
};

extern "C" __attribute__((visibility("default"))) const cuda_backend *as_cuda_backend(void)
{
    return &table;
}
