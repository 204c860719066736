/*
 * quant.cuh -- device versions of model/quant.c's dequantization: one ggml
 * block (or one element of the plain float types) of each supported tensor
 * type to floats, for the load-time conversion and the embedding lookup.
 *
 * The formulas are quant_dequant_row's, operation for operation; products
 * use __fmul_rn and sums __fadd_rn/__fsub_rn so nvcc does not contract them
 * into FMAs and the floats are the CPU's bit for bit.  Blocks are read byte
 * by byte: the 34- and 18-byte blocks leave the half scales 2-byte aligned
 * only, and the tensor's copy on the device keeps the file's packing.  This
 * header owns nothing and launches nothing.
 */
#ifndef AS_CUDA_QUANT_CUH
#define AS_CUDA_QUANT_CUH

#include <cuda_fp16.h>
#include <stdint.h>

/* Elements and bytes of one unit of type t (a ggml block, or one element of
 * F32/F16/BF16); 0 for a type this engine does not run. */
static __host__ __device__ inline int unit_elems(int t)
{
    switch (t) {
    case GGML_TYPE_F32: case GGML_TYPE_F16: case GGML_TYPE_BF16: return 1;
    case GGML_TYPE_Q8_0: case GGML_TYPE_Q4_0: case GGML_TYPE_Q5_0: return QK;
    case GGML_TYPE_Q4_K: case GGML_TYPE_Q6_K: return QK_K;
    default: return 0;
    }
}

static __host__ __device__ inline int unit_bytes(int t)
{
    switch (t) {
    case GGML_TYPE_F32: return 4;
    case GGML_TYPE_F16: case GGML_TYPE_BF16: return 2;
    case GGML_TYPE_Q8_0: return (int)sizeof(blk_q8_0);
    case GGML_TYPE_Q4_0: return (int)sizeof(blk_q4_0);
    case GGML_TYPE_Q5_0: return (int)sizeof(blk_q5_0);
    case GGML_TYPE_Q4_K: return (int)sizeof(blk_q4_K);
    case GGML_TYPE_Q6_K: return (int)sizeof(blk_q6_K);
    default: return 0;
    }
}

static __device__ inline float half_at(const uint8_t *p)
{
    return __half2float(__ushort_as_half((unsigned short)(p[0] | p[1] << 8)));
}

/* ggml's get_scale_min_k4, as q4k_scale_min in quant.c */
static __device__ inline void q4k_scale_min(int j, const uint8_t *q, int *d, int *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

static __device__ inline void store(float *y, float v) { *y = v; }
static __device__ inline void store(__half *y, float v) { *y = __float2half_rn(v); }

/* y (unit_elems(t) values) = unit x of type t; T is float or __half. */
template <typename T>
static __device__ void dequant_unit(T *y, const uint8_t *x, int t)
{
    switch (t) {
    case GGML_TYPE_F32: {
        uint32_t bits = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 |
                        (uint32_t)x[3] << 24;
        store(y, __uint_as_float(bits));
        return;
    }
    case GGML_TYPE_F16:
        store(y, half_at(x));
        return;
    case GGML_TYPE_BF16:
        store(y, __uint_as_float((uint32_t)(x[0] | x[1] << 8) << 16));
        return;
    case GGML_TYPE_Q8_0: {
        float d = half_at(x);
        const int8_t *qs = (const int8_t *)(x + 2);
        for (int j = 0; j < QK; j++)
            store(y + j, __fmul_rn(d, (float)qs[j]));
        return;
    }
    case GGML_TYPE_Q4_0: {
        float d = half_at(x);
        const uint8_t *qs = x + 2;
        for (int j = 0; j < QK / 2; j++) {
            store(y + j, __fmul_rn(d, (float)((qs[j] & 0xF) - 8)));
            store(y + j + QK / 2, __fmul_rn(d, (float)((qs[j] >> 4) - 8)));
        }
        return;
    }
    case GGML_TYPE_Q5_0: {
        float d = half_at(x);
        uint32_t qh = (uint32_t)x[2] | (uint32_t)x[3] << 8 | (uint32_t)x[4] << 16 |
                      (uint32_t)x[5] << 24;
        const uint8_t *qs = x + 6;
        for (int j = 0; j < QK / 2; j++) {
            int lo = (qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
            int hi = (qs[j] >> 4) | (int)((qh >> (j + QK / 2)) & 1) << 4;
            store(y + j, __fmul_rn(d, (float)(lo - 16)));
            store(y + j + QK / 2, __fmul_rn(d, (float)(hi - 16)));
        }
        return;
    }
    case GGML_TYPE_Q4_K: {
        float d = half_at(x), dmin = half_at(x + 2);
        const uint8_t *scales = x + 4, *q = x + 16;
        for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
            int sc, m;
            q4k_scale_min(is, scales, &sc, &m);
            float d1 = __fmul_rn(d, (float)sc), m1 = __fmul_rn(dmin, (float)m);
            q4k_scale_min(is + 1, scales, &sc, &m);
            float d2 = __fmul_rn(d, (float)sc), m2 = __fmul_rn(dmin, (float)m);
            for (int l = 0; l < 32; l++)
                store(y + j + l, __fsub_rn(__fmul_rn(d1, (float)(q[l] & 0xF)), m1));
            for (int l = 0; l < 32; l++)
                store(y + j + 32 + l, __fsub_rn(__fmul_rn(d2, (float)(q[l] >> 4)), m2));
        }
        return;
    }
    case GGML_TYPE_Q6_K: {
        const uint8_t *ql = x, *qh = x + QK_K / 2;
        const int8_t *sc = (const int8_t *)(x + QK_K / 2 + QK_K / 4);
        float d = half_at(x + QK_K / 2 + QK_K / 4 + QK_K / 16);
        for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                /* quant.c: d * sc[is] * q1, evaluated left to right */
                store(y + n + l, __fmul_rn(__fmul_rn(d, (float)sc[is]), (float)q1));
                store(y + n + l + 32, __fmul_rn(__fmul_rn(d, (float)sc[is + 2]), (float)q2));
                store(y + n + l + 64, __fmul_rn(__fmul_rn(d, (float)sc[is + 4]), (float)q3));
                store(y + n + l + 96, __fmul_rn(__fmul_rn(d, (float)sc[is + 6]), (float)q4));
            }
        }
        return;
    }
    default:
        return;
    }
}

#endif
