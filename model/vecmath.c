/*
 * vecmath.c -- softmax exponentials and SwiGLU, plain and vector (see
 * vecmath.h).  The vector variants are compiled with target attributes, as
 * quant.c's are, and chosen only on CPUs with AVX2 and FMA; glibc's
 * libmvec (linked through -lm) provides the 8-lane expf.
 */
#include "model/vecmath.h"

#include "model/quant.h"

#include <math.h>

static double softmax_exp_ref(float *x, int64_t n)
{
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        max = x[i] > max ? x[i] : max;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    return sum;
}

static void swiglu_ref(float *g, const float *up, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * up[i];
}

#if defined(__x86_64__) && defined(__GLIBC__)
#include <immintrin.h>
#define VEC_X86 1
#define VEC_FN __attribute__((target("avx2,fma")))

/* libmvec's AVX2 expf, by its vector-ABI name (glibc >= 2.22) */
VEC_FN __m256 _ZGVdN8v_expf(__m256 x);

VEC_FN static float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

VEC_FN static double softmax_exp_avx2(float *x, int64_t n)
{
    int64_t nv = n / 8 * 8, i = 0;
    float max = -INFINITY;
    if (nv) { /* max is exact in any order */
        __m256 m = _mm256_loadu_ps(x);
        for (i = 8; i < nv; i += 8)
            m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        max = _mm_cvtss_f32(h);
    }
    for (i = nv; i < n; i++)
        max = x[i] > max ? x[i] : max;
    __m256 vm = _mm256_set1_ps(max);
    double sum = 0;
    for (i = 0; i < nv; i += 8) {
        __m256 e = _ZGVdN8v_expf(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(x + i, e);
        sum += hsum8(e);
    }
    for (; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    return sum;
}

VEC_FN static void swiglu_avx2(float *g, const float *up, int64_t n)
{
    const __m256 one = _mm256_set1_ps(1.0f), neg = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(g + i);
        __m256 e = _ZGVdN8v_expf(_mm256_xor_ps(v, neg));
        __m256 s = _mm256_div_ps(v, _mm256_add_ps(one, e));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
    }
    swiglu_ref(g + i, up + i, n - i);
}
#else
#define VEC_X86 0
#endif

vec_softmax_exp_fn vec_softmax_exp(int fast)
{
#if VEC_X86
    if (fast && quant_has_avx2())
        return softmax_exp_avx2;
#endif
    (void)fast;
    return softmax_exp_ref;
}

vec_swiglu_fn vec_swiglu(int fast)
{
#if VEC_X86
    if (fast && quant_has_avx2())
        return swiglu_avx2;
#endif
    (void)fast;
    return swiglu_ref;
}
