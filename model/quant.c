/*
 * quant.c -- block formats, conversions and row dot products (see quant.h).
 *
 * Layouts and dequantization formulas follow ggml-quants.c (llama.cpp
 * c392e509), so a tensor written by llama-quantize reads back to the same
 * floats.  The quantizers for Q8_0, Q4_0 and Q5_0 are ggml's reference ones; the
 * Q4_K and Q6_K quantizers are simple min/max ones (ggml searches for better
 * scales): enough for synthetic benchmark models and round-trip tests, not
 * for shipping quality.  The AVX2 kernels are compiled with target
 * attributes so the rest of the build keeps the baseline x86-64 ISA.
 */
#include "model/quant.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define QUANT_X86 1
#else
#define QUANT_X86 0
#endif

_Static_assert(sizeof(blk_q8_0) == 34, "block_q8_0 layout");
_Static_assert(sizeof(blk_q4_0) == 18, "block_q4_0 layout");
_Static_assert(sizeof(blk_q5_0) == 22, "block_q5_0 layout");
_Static_assert(sizeof(blk_q4_K) == 144, "block_q4_K layout");
_Static_assert(sizeof(blk_q6_K) == 210, "block_q6_K layout");
_Static_assert(sizeof(blk_q8_K) == 356, "block_q8_K layout and dsums");

float fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        /* zero or subnormal: value = man * 2^-24, exact in float */
        float f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t f32_to_fp16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or nan */
        return sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0);
    if (ax >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return sign | 0x7c00;
    if (ax < 0x38800000u) {
        /* subnormal half: scale into integer units of 2^-24, round to even */
        float a;
        memcpy(&a, &ax, 4);
        return sign | (uint16_t)lrintf(a * 0x1p24f);
    }
    uint32_t r = ax + 0xfff + ((ax >> 13) & 1); /* round to nearest even */
    return sign | (uint16_t)((r - 0x38000000u) >> 13);
}

float bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 64); /* keep nan a nan */
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

int quant_supported(ggml_type t)
{
    switch (t) {
    case GGML_TYPE_F32: case GGML_TYPE_F16: case GGML_TYPE_BF16: case GGML_TYPE_Q8_0:
    case GGML_TYPE_Q4_0: case GGML_TYPE_Q5_0: case GGML_TYPE_Q4_K: case GGML_TYPE_Q6_K:
        return 1;
    default:
        return 0;
    }
}

int quant_wants_q8(ggml_type t)
{
    return t == GGML_TYPE_Q8_0 || t == GGML_TYPE_Q4_0 || t == GGML_TYPE_Q5_0;
}

int quant_wants_q8_K(ggml_type t)
{
    return t == GGML_TYPE_Q4_K || t == GGML_TYPE_Q6_K;
}

/* ggml's get_scale_min_k4: the j-th 6-bit scale and min of a Q4_K block. */
static void q4k_scale_min(int j, const uint8_t *q, uint8_t *d, uint8_t *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

static void dequant_q4_K_block(float *y, const blk_q4_K *b)
{
    float d = fp16_to_f32(b->d), dmin = fp16_to_f32(b->dmin);
    const uint8_t *q = b->qs;
    for (int j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
        uint8_t sc, m;
        q4k_scale_min(is, b->scales, &sc, &m);
        float d1 = d * sc, m1 = dmin * m;
        q4k_scale_min(is + 1, b->scales, &sc, &m);
        float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++)
            y[j + l] = d1 * (q[l] & 0xF) - m1;
        for (int l = 0; l < 32; l++)
            y[j + 32 + l] = d2 * (q[l] >> 4) - m2;
    }
}

static void dequant_q6_K_block(float *y, const blk_q6_K *b)
{
    float d = fp16_to_f32(b->d);
    const uint8_t *ql = b->ql, *qh = b->qh;
    const int8_t *sc = b->scales;
    for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8) {
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[n + l] = d * sc[is] * q1;
            y[n + l + 32] = d * sc[is + 2] * q2;
            y[n + l + 64] = d * sc[is + 4] * q3;
            y[n + l + 96] = d * sc[is + 6] * q4;
        }
    }
}

void quant_dequant_row(float *dst, const void *src, ggml_type t, int64_t n)
{
    switch (t) {
    case GGML_TYPE_F32:
        memcpy(dst, src, (size_t)n * 4);
        return;
    case GGML_TYPE_F16: {
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = fp16_to_f32(s[i]);
        return;
    }
    case GGML_TYPE_BF16: {
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = bf16_to_f32(s[i]);
        return;
    }
    case GGML_TYPE_Q8_0: {
        const blk_q8_0 *b = src;
        for (int64_t i = 0; i < n / QK; i++) {
            float d = fp16_to_f32(b[i].d);
            for (int j = 0; j < QK; j++)
                dst[i * QK + j] = d * b[i].qs[j];
        }
        return;
    }
    case GGML_TYPE_Q4_0: {
        const blk_q4_0 *b = src;
        for (int64_t i = 0; i < n / QK; i++) {
            float d = fp16_to_f32(b[i].d);
            for (int j = 0; j < QK / 2; j++) {
                dst[i * QK + j] = d * ((b[i].qs[j] & 0xF) - 8);
                dst[i * QK + j + QK / 2] = d * ((b[i].qs[j] >> 4) - 8);
            }
        }
        return;
    }
    case GGML_TYPE_Q5_0: {
        const blk_q5_0 *b = src;
        for (int64_t i = 0; i < n / QK; i++) {
            float d = fp16_to_f32(b[i].d);
            uint32_t qh = (uint32_t)b[i].qh[0] | (uint32_t)b[i].qh[1] << 8 |
                          (uint32_t)b[i].qh[2] << 16 | (uint32_t)b[i].qh[3] << 24;
            for (int j = 0; j < QK / 2; j++) {
                int lo = (b[i].qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
                int hi = (b[i].qs[j] >> 4) | (int)((qh >> (j + QK / 2)) & 1) << 4;
                dst[i * QK + j] = d * (lo - 16);
                dst[i * QK + j + QK / 2] = d * (hi - 16);
            }
        }
        return;
    }
    case GGML_TYPE_Q4_K:
        for (int64_t i = 0; i < n / QK_K; i++)
            dequant_q4_K_block(dst + i * QK_K, (const blk_q4_K *)src + i);
        return;
    case GGML_TYPE_Q6_K:
        for (int64_t i = 0; i < n / QK_K; i++)
            dequant_q6_K_block(dst + i * QK_K, (const blk_q6_K *)src + i);
        return;
    default:
        /* callers check quant_supported() first; leave dst defined anyway */
        memset(dst, 0, (size_t)n * 4);
        return;
    }
}

static void quantize_q8_0(blk_q8_0 *y, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0;
        for (int j = 0; j < QK; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127, id = d ? 1 / d : 0;
        y[i].d = f32_to_fp16(d);
        for (int j = 0; j < QK; j++)
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

/* The block's value of largest magnitude, with its sign (the first of
 * equal magnitudes), which ggml's Q4_0 and Q5_0 quantizers map to the most
 * negative level. */
static float block_signed_max(const float *x)
{
    float amax = 0, max = 0;
    for (int j = 0; j < QK; j++)
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    return max;
}

static void quantize_q4_0(blk_q4_0 *y, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        /* ggml: the signed value of largest magnitude maps to -8 */
        float d = block_signed_max(x) / -8, id = d ? 1 / d : 0;
        y[i].d = f32_to_fp16(d);
        for (int j = 0; j < QK / 2; j++) {
            int a = (int)(x[j] * id + 8.5f), b = (int)(x[j + QK / 2] * id + 8.5f);
            a = a > 15 ? 15 : a;
            b = b > 15 ? 15 : b;
            y[i].qs[j] = (uint8_t)(a | (b << 4));
        }
    }
}

/* ggml's quantize_row_q5_0_ref: the signed value of largest magnitude
 * maps to -16, the rest round to nearest (+16.5 then truncate), capped at 31 */
static void quantize_q5_0(blk_q5_0 *y, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float d = block_signed_max(x) / -16, id = d ? 1 / d : 0;
        y[i].d = f32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int a = (int)(x[j] * id + 16.5f), b = (int)(x[j + QK / 2] * id + 16.5f);
            a = a > 31 ? 31 : a;
            b = b > 31 ? 31 : b;
            y[i].qs[j] = (uint8_t)((a & 0xF) | (b & 0xF) << 4);
            qh |= (uint32_t)(a >> 4) << j | (uint32_t)(b >> 4) << (j + QK / 2);
        }
        for (int j = 0; j < 4; j++)
            y[i].qh[j] = (uint8_t)(qh >> (8 * j));
    }
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void quantize_q4_K(blk_q4_K *y, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float scale[8], min[8], smax = 0, mmax = 0;
        for (int s = 0; s < 8; s++) {
            float lo = 0, hi = 0; /* the min is stored negated, so keep lo <= 0 */
            for (int l = 0; l < 32; l++) {
                lo = fminf(lo, x[s * 32 + l]);
                hi = fmaxf(hi, x[s * 32 + l]);
            }
            scale[s] = (hi - lo) / 15;
            min[s] = -lo;
            smax = fmaxf(smax, scale[s]);
            mmax = fmaxf(mmax, min[s]);
        }
        float d = smax / 63, dmin = mmax / 63;
        y[i].d = f32_to_fp16(d);
        y[i].dmin = f32_to_fp16(dmin);
        d = fp16_to_f32(y[i].d);
        dmin = fp16_to_f32(y[i].dmin);
        uint8_t sc[8], m[8];
        for (int s = 0; s < 8; s++) {
            sc[s] = (uint8_t)clampi(d ? (int)lrintf(scale[s] / d) : 0, 0, 63);
            m[s] = (uint8_t)clampi(dmin ? (int)lrintf(min[s] / dmin) : 0, 0, 63);
        }
        for (int j = 0; j < 4; j++) {
            y[i].scales[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
            y[i].scales[j + 4] = (uint8_t)((m[j] & 63) | ((m[j + 4] >> 4) << 6));
            y[i].scales[j + 8] = (uint8_t)((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
        }
        uint8_t L[QK_K];
        for (int s = 0; s < 8; s++) {
            float ds = d * sc[s], ms = dmin * m[s];
            for (int l = 0; l < 32; l++)
                L[s * 32 + l] = (uint8_t)clampi(ds ? (int)lrintf((x[s * 32 + l] + ms) / ds) : 0, 0, 15);
        }
        for (int j = 0; j < QK_K / 64; j++)
            for (int l = 0; l < 32; l++)
                y[i].qs[j * 32 + l] = (uint8_t)(L[j * 64 + l] | (L[j * 64 + 32 + l] << 4));
    }
}

static void quantize_q6_K(blk_q6_K *y, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float scale[16], smax = 0;
        for (int s = 0; s < 16; s++) {
            float amax = 0;
            for (int l = 0; l < 16; l++)
                amax = fmaxf(amax, fabsf(x[s * 16 + l]));
            scale[s] = amax / 31;
            smax = fmaxf(smax, scale[s]);
        }
        float d = smax / 127;
        y[i].d = f32_to_fp16(d);
        d = fp16_to_f32(y[i].d);
        uint8_t L[QK_K];
        for (int s = 0; s < 16; s++) {
            int sc = clampi(d ? (int)lrintf(scale[s] / d) : 0, -128, 127);
            y[i].scales[s] = (int8_t)sc;
            float ds = d * sc;
            for (int l = 0; l < 16; l++)
                L[s * 16 + l] = (uint8_t)(clampi(ds ? (int)lrintf(x[s * 16 + l] / ds) : 0, -32, 31) + 32);
        }
        for (int c = 0; c < 2; c++)
            for (int l = 0; l < 32; l++) {
                const uint8_t *Lc = L + c * 128;
                y[i].ql[c * 64 + l] = (uint8_t)((Lc[l] & 0xF) | ((Lc[l + 64] & 0xF) << 4));
                y[i].ql[c * 64 + l + 32] = (uint8_t)((Lc[l + 32] & 0xF) | ((Lc[l + 96] & 0xF) << 4));
                y[i].qh[c * 32 + l] = (uint8_t)((Lc[l] >> 4) | ((Lc[l + 32] >> 4) << 2) |
                                                ((Lc[l + 64] >> 4) << 4) | ((Lc[l + 96] >> 4) << 6));
            }
    }
}

void quant_quantize_row(void *dst, const float *src, ggml_type t, int64_t n)
{
    switch (t) {
    case GGML_TYPE_F32:
        memcpy(dst, src, (size_t)n * 4);
        return;
    case GGML_TYPE_F16:
        for (int64_t i = 0; i < n; i++)
            ((uint16_t *)dst)[i] = f32_to_fp16(src[i]);
        return;
    case GGML_TYPE_BF16:
        for (int64_t i = 0; i < n; i++)
            ((uint16_t *)dst)[i] = f32_to_bf16(src[i]);
        return;
    case GGML_TYPE_Q8_0: quantize_q8_0(dst, src, n); return;
    case GGML_TYPE_Q4_0: quantize_q4_0(dst, src, n); return;
    case GGML_TYPE_Q5_0: quantize_q5_0(dst, src, n); return;
    case GGML_TYPE_Q4_K: quantize_q4_K(dst, src, n); return;
    case GGML_TYPE_Q6_K: quantize_q6_K(dst, src, n); return;
    default:
        memset(dst, 0, ggml_row_size(t, (uint64_t)n));
        return;
    }
}

void quant_act_q8_ref(blk_q8_act *dst, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0;
        for (int j = 0; j < QK; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        /* as ggml's quantize_row_q8_0: id = 127/amax, round half to even,
         * and the scale rounded to half precision (it is stored as a float
         * only to spare the kernels a conversion) */
        float id = amax ? 127.0f / amax : 0;
        dst[i].d = fp16_to_f32(f32_to_fp16(amax / 127));
        for (int j = 0; j < QK; j++)
            dst[i].qs[j] = (int8_t)lrintf(x[j] * id);
    }
}

/* The 16 sums of a Q8_K block's bytes, exact in int16 (|sum| <= 16 * 127),
 * and their products with d; both quantizers use this loop, the kernels'
 * cost is elsewhere. */
static void q8_K_sums(blk_q8_K *b)
{
    for (int g = 0; g < QK_K / 16; g++) {
        int s = 0;
        for (int l = 0; l < 16; l++)
            s += b->qs[g * 16 + l];
        b->bsums[g] = (int16_t)s;
        b->dsums[g] = b->d * (float)s;
    }
}

void quant_act_q8_K_ref(blk_q8_K *dst, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float amax = 0;
        for (int j = 0; j < QK_K; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        /* |x * id| <= 127 up to one rounding, so lrintf stays in int8 */
        float id = amax ? 127.0f / amax : 0;
        dst[i].d = amax / 127;
        for (int j = 0; j < QK_K; j++)
            dst[i].qs[j] = (int8_t)lrintf(x[j] * id);
        q8_K_sums(&dst[i]);
    }
}

/* ---- plain-loop reference dot products ---------------------------------- */

static float dot_f32_ref(const void *w, const void *x, int64_t n)
{
    const float *a = w, *b = x;
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static float dot_f16_ref(const void *w, const void *x, int64_t n)
{
    const uint16_t *a = w;
    const float *b = x;
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s += fp16_to_f32(a[i]) * b[i];
    return s;
}

static float dot_bf16_ref(const void *w, const void *x, int64_t n)
{
    const uint16_t *a = w;
    const float *b = x;
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s += bf16_to_f32(a[i]) * b[i];
    return s;
}

static float dot_q4_K_ref(const void *w, const void *x, int64_t n)
{
    const blk_q4_K *a = w;
    const float *b = x;
    float s = 0, y[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++) {
        dequant_q4_K_block(y, &a[i]);
        for (int j = 0; j < QK_K; j++)
            s += y[j] * b[i * QK_K + j];
    }
    return s;
}

static float dot_q6_K_ref(const void *w, const void *x, int64_t n)
{
    const blk_q6_K *a = w;
    const float *b = x;
    float s = 0, y[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++) {
        dequant_q6_K_block(y, &a[i]);
        for (int j = 0; j < QK_K; j++)
            s += y[j] * b[i * QK_K + j];
    }
    return s;
}

static void axpy_f16_ref(float *y, float a, const uint16_t *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += a * fp16_to_f32(x[i]);
}

static void scores_f16_ref(float *att, const uint16_t *k, size_t stride, const float *q, int64_t n,
                           int64_t len, float scale)
{
    for (int64_t t = 0; t < len; t++)
        att[t] = dot_f16_ref(k + (size_t)t * stride, q, n) * scale;
}

static void values_f16_ref(float *y, const float *p, const uint16_t *v, size_t stride, int64_t n,
                           int64_t len)
{
    for (int64_t t = 0; t < len; t++)
        axpy_f16_ref(y, p[t], v + (size_t)t * stride, n);
}

static void scale_round_f16_ref(float *x, float a, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = fp16_to_f32(f32_to_fp16(x[i] * a));
}

quant_dot_fn quant_dot_ref(ggml_type t)
{
    switch (t) {
    case GGML_TYPE_F32: return dot_f32_ref;
    case GGML_TYPE_F16: return dot_f16_ref;
    case GGML_TYPE_BF16: return dot_bf16_ref;
    case GGML_TYPE_Q4_K: return dot_q4_K_ref;
    case GGML_TYPE_Q6_K: return dot_q6_K_ref;
    default: return NULL;
    }
}

/* ---- AVX2 / FMA / F16C kernels ------------------------------------------ */
#if QUANT_X86
#define AVX2_FN __attribute__((target("avx2,fma,f16c")))
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

AVX2_FN static float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_FN static float dot_f32_avx2(const void *w, const void *x, int64_t n)
{
    const float *a = w, *b = x;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    float s = hsum8(_mm256_add_ps(s0, s1));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

AVX2_FN static float dot_f16_avx2(const void *w, const void *x, int64_t n)
{
    const uint16_t *a = w;
    const float *b = x;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i + 8)));
        s0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(b + i + 8), s1);
    }
    float s = hsum8(_mm256_add_ps(s0, s1));
    /* the tail in order, as ggml's vec_dot_f16 leftover loop does: heads of
     * 8 (stories260K) are all tail, and their logits follow that order */
    for (; i < n; i++)
        s += _cvtsh_ss(a[i]) * b[i];
    return s;
}

AVX2_FN static void axpy_f16_avx2(float *y, float a, const uint16_t *x, int64_t n)
{
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, xv, _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++)
        y[i] += a * fp16_to_f32(x[i]);
}

/* The per-position kernels above over all positions, bit for bit (the
 * test holds them to it).  Scores: dot_f16_avx2's vector part as it is,
 * its in-order tail (up to 15 elements: all of a head of 8, the last 8 of
 * a head of 24) with the products made 8 at a time (the same roundings)
 * and then added in order.  Eight positions at a time, the horizontal
 * work runs across positions: their eight partial-sum vectors and eight
 * tail-product vectors are transposed, so lane t of each holds position
 * t's value, and the adds of hsum8's tree and of the tail are vertical
 * adds in the same order, one instruction for eight positions.  Values:
 * for heads of 8..64 in multiples of 8 the output stays in registers
 * across positions, the same fused multiply-add per element and position
 * in the same order as axpy_f16_avx2, one load and store of y per head
 * instead of one per position. */
AVX2_INLINE void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* hsum8 of eight vectors at once, lane t = hsum8(v[t]) bit for bit: the
 * same tree, ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), built with
 * 14 shuffles instead of a 24-shuffle transpose.  Positions are paired
 * (t, t + 4) so that the last step leaves them in order. */
AVX2_INLINE __m256 hsum8x8(const __m256 v[8])
{
    __m256 h[4], g[2];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) /* [t: l0+l4 .. l3+l7 | t+4: the same] */
        h[i] = _mm256_add_ps(_mm256_permute2f128_ps(v[i], v[i + 4], 0x20),
                             _mm256_permute2f128_ps(v[i], v[i + 4], 0x31));
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) /* [t: s0+s2, s1+s3, t+1: .. | t+4, t+5] */
        g[i] = _mm256_add_ps(_mm256_shuffle_ps(h[2 * i], h[2 * i + 1], 0x44),
                             _mm256_shuffle_ps(h[2 * i], h[2 * i + 1], 0xee));
    return _mm256_add_ps(_mm256_shuffle_ps(g[0], g[1], 0x88), _mm256_shuffle_ps(g[0], g[1], 0xdd));
}

/* dot_f16_avx2's vector part for one position: the vector hsum8 reduces */
AVX2_INLINE __m256 scores_vec(const uint16_t *a, const float *q, int64_t nv)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    for (int64_t i = 0; i < nv; i += 16) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i + 8)));
        s0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(q + i), s0);
        s1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(q + i + 8), s1);
    }
    return _mm256_add_ps(s0, s1);
}

/* scores_f16_avx2's positions eight at a time (tail: the head has a last
 * 8 elements past its 16-wide part, qt their q); returns the positions done */
AVX2_INLINE int64_t scores_blocks8(float *att, const uint16_t *k, size_t stride, const float *q,
                                   int64_t nv, int tail, __m256 qt, int64_t len, float scale)
{
    const __m256 vs = _mm256_set1_ps(scale);
    int64_t t = 0;
    for (; t + 8 <= len; t += 8) {
        __m256 v[8], p[8], sum = _mm256_setzero_ps();
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const uint16_t *a = k + (size_t)(t + j) * stride;
            v[j] = scores_vec(a, q, nv);
            p[j] = tail ? _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + nv))), qt)
                        : _mm256_setzero_ps();
        }
        if (nv) /* with no vector part hsum8 adds zeros: sum stays 0 */
            sum = hsum8x8(v);
        if (tail) {
            transpose8(p);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                sum = _mm256_add_ps(sum, p[i]);
        }
        _mm256_storeu_ps(att + t, _mm256_mul_ps(sum, vs));
    }
    return t;
}

AVX2_FN static void scores_f16_avx2(float *att, const uint16_t *k, size_t stride, const float *q,
                                    int64_t n, int64_t len, float scale)
{
    int64_t nv = n / 16 * 16, nt = n - nv;
    if (nt % 8) { /* a tail that is not whole vectors: the plain kernel */
        for (int64_t t = 0; t < len; t++)
            att[t] = dot_f16_avx2(k + (size_t)t * stride, q, n) * scale;
        return;
    }
    __m256 qt = nt ? _mm256_loadu_ps(q + nv) : _mm256_setzero_ps();
    int64_t t = nt ? scores_blocks8(att, k, stride, q, nv, 1, qt, len, scale)
                   : scores_blocks8(att, k, stride, q, nv, 0, qt, len, scale);
    for (; t < len; t++) {
        const uint16_t *a = k + (size_t)t * stride;
        float sum = hsum8(scores_vec(a, q, nv));
        if (nt) {
            float pr[8];
            _mm256_storeu_ps(pr, _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + nv))), qt));
            for (int i = 0; i < 8; i++)
                sum += pr[i];
        }
        att[t] = sum * scale;
    }
}

/* y (8 nc) += p[t] * v row t over t, y in nc registers; always inlined
 * with a constant nc so that the loops over c unroll and acc stays in
 * registers (left to itself GCC kept it in memory, a store-to-load chain
 * per position: 3.2 ns a position for heads of 24) */
AVX2_INLINE void values_reg(float *y, const float *p, const uint16_t *v, size_t stride,
                            int64_t len, int nc)
{
    __m256 acc[8];
#pragma GCC unroll 8
    for (int c = 0; c < nc; c++)
        acc[c] = _mm256_loadu_ps(y + 8 * c);
    for (int64_t t = 0; t < len; t++) {
        const uint16_t *x = v + (size_t)t * stride;
        __m256 va = _mm256_set1_ps(p[t]);
#pragma GCC unroll 8
        for (int c = 0; c < nc; c++)
            acc[c] = _mm256_fmadd_ps(va, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + 8 * c))), acc[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < nc; c++)
        _mm256_storeu_ps(y + 8 * c, acc[c]);
}

AVX2_FN static void values_f16_avx2(float *y, const float *p, const uint16_t *v, size_t stride,
                                    int64_t n, int64_t len)
{
    switch (n) {
    case 8: values_reg(y, p, v, stride, len, 1); return;
    case 16: values_reg(y, p, v, stride, len, 2); return;
    case 24: values_reg(y, p, v, stride, len, 3); return;
    case 32: values_reg(y, p, v, stride, len, 4); return;
    case 48: values_reg(y, p, v, stride, len, 6); return;
    case 64: values_reg(y, p, v, stride, len, 8); return;
    default:
        for (int64_t t = 0; t < len; t++)
            axpy_f16_avx2(y, p[t], v + (size_t)t * stride, n);
    }
}

/* vcvtps2ph with round-to-nearest-even is f32_to_fp16 bit for bit on
 * finite values, subnormal halves included (tested) */
AVX2_FN static void scale_round_f16_avx2(float *x, float a, int64_t n)
{
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(x + i), va),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(x + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++)
        x[i] = _cvtsh_ss(_cvtss_sh(x[i] * a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

AVX2_FN static float dot_bf16_avx2(const void *w, const void *x, int64_t n)
{
    const uint16_t *a = w;
    const float *b = x;
    __m256 s0 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256 wf = _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
        s0 = _mm256_fmadd_ps(wf, _mm256_loadu_ps(b + i), s0);
    }
    float s = hsum8(s0);
    for (; i < n; i++)
        s += bf16_to_f32(a[i]) * b[i];
    return s;
}

AVX2_FN static float dot_q4_K_avx2(const void *w, const void *x, int64_t n)
{
    const blk_q4_K *a = w;
    const float *b = x;
    float y[QK_K];
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK_K; i++) {
        dequant_q4_K_block(y, &a[i]);
        for (int j = 0; j < QK_K; j += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(y + j), _mm256_loadu_ps(b + i * QK_K + j), acc);
    }
    return hsum8(acc);
}

AVX2_FN static float dot_q6_K_avx2(const void *w, const void *x, int64_t n)
{
    const blk_q6_K *a = w;
    const float *b = x;
    float y[QK_K];
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK_K; i++) {
        dequant_q6_K_block(y, &a[i]);
        for (int j = 0; j < QK_K; j += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(y + j), _mm256_loadu_ps(b + i * QK_K + j), acc);
    }
    return hsum8(acc);
}

/* ggml's AVX2 quantize_row_q8_0: max |x| by lanes, multiply by 127/amax,
 * round to nearest even, pack to bytes; the same operations as the plain
 * loop, so the same bits. */
AVX2_FN static void act_q8_avx2(blk_q8_act *dst, const float *x, int64_t n)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
        }
        __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float amax = _mm_cvtss_f32(m4), id = amax ? 127.0f / amax : 0;
        dst[i].d = fp16_to_f32(f32_to_fp16(amax / 127));
        __m256 mul = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++)
            q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], mul),
                                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        /* packs interleave 128-bit lanes; the permute puts bytes back in order */
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)dst[i].qs, p);
    }
}

/* quant_act_q8_K_ref with 8 lanes: the same max, product and rounding. */
AVX2_FN static void act_q8_K_avx2(blk_q8_K *dst, const float *x, int64_t n)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < QK_K; k += 8)
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + k)));
        __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float amax = _mm_cvtss_f32(m4), id = amax ? 127.0f / amax : 0;
        dst[i].d = amax / 127;
        __m256 mul = _mm256_set1_ps(id);
        for (int k = 0; k < QK_K; k += 32) {
            __m256i q[4];
            for (int v = 0; v < 4; v++)
                q[v] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8 * v), mul),
                                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(dst[i].qs + k), p);
        }
        q8_K_sums(&dst[i]);
    }
}

static int cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
}
#else
static int cpu_has_avx2(void)
{
    return 0;
}
#endif

int quant_has_avx2(void)
{
    return cpu_has_avx2();
}

void quant_act_q8(blk_q8_act *dst, const float *x, int64_t n)
{
#if QUANT_X86
    if (quant_has_avx2()) {
        act_q8_avx2(dst, x, n);
        return;
    }
#endif
    quant_act_q8_ref(dst, x, n);
}

void quant_act_q8_K(blk_q8_K *dst, const float *x, int64_t n)
{
#if QUANT_X86
    if (quant_has_avx2()) {
        act_q8_K_avx2(dst, x, n);
        return;
    }
#endif
    quant_act_q8_K_ref(dst, x, n);
}

quant_axpy_fn quant_axpy_f16(int fast)
{
#if QUANT_X86
    if (fast && cpu_has_avx2())
        return axpy_f16_avx2;
#endif
    (void)fast;
    return axpy_f16_ref;
}

quant_scores_fn quant_scores_f16(int fast)
{
#if QUANT_X86
    if (fast && cpu_has_avx2())
        return scores_f16_avx2;
#endif
    (void)fast;
    return scores_f16_ref;
}

quant_values_fn quant_values_f16(int fast)
{
#if QUANT_X86
    if (fast && cpu_has_avx2())
        return values_f16_avx2;
#endif
    (void)fast;
    return values_f16_ref;
}

quant_scale_round_fn quant_scale_round_f16(int fast)
{
#if QUANT_X86
    if (fast && cpu_has_avx2())
        return scale_round_f16_avx2;
#endif
    (void)fast;
    return scale_round_f16_ref;
}

const char *quant_fast_name(void)
{
    return cpu_has_avx2() ? "avx2" : "portable";
}

quant_dot_fn quant_dot_fast(ggml_type t)
{
#if QUANT_X86
    if (cpu_has_avx2()) {
        switch (t) {
        case GGML_TYPE_F32: return dot_f32_avx2;
        case GGML_TYPE_F16: return dot_f16_avx2;
        case GGML_TYPE_BF16: return dot_bf16_avx2;
        case GGML_TYPE_Q4_K: return dot_q4_K_avx2;
        case GGML_TYPE_Q6_K: return dot_q6_K_avx2;
        default: return NULL;
        }
    }
#endif
    return quant_dot_ref(t);
}
