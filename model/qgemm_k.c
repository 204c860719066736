/*
 * qgemm_k.c -- Q4_K / Q6_K weights x Q8_K activations, many rows by many
 * columns (see qgemm_k.h).
 *
 * The x86 kernels share one tile walk (model/qgemm_k_tile.h), built three
 * times: on ymm registers with maddubs + madd (AVX2) and with vpdpbusd +
 * packssdw + vpdpwssd (AVX-VNNI), and on zmm registers with the latter
 * (AVX-512 VNNI and BW), where a chunk is 64 bytes and Q6_K's 64-byte ql
 * half needs no shuffling (its low nibbles are elements 0..63 in order, its
 * high nibbles 64..127).  What differs per width is below: how a chunk of
 * weights becomes unsigned bytes and how each int16 sum gets its
 * sub-block's scale.  The byte products take the weights as they are
 * stored (unsigned) and the activations signed, so no sign trick is
 * needed: the Q4_K mins and the Q6_K offset of 32 come in through the
 * activation sums instead.  All integer sums are exact; the fast variants
 * add the float terms in 8 or 16 lanes where the reference adds one per
 * super-block, and fold the offset terms in as floats.
 */
#include "model/qgemm_k.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define QGEMM_K_X86 1
#else
#define QGEMM_K_X86 0
#endif

/* ---- plain-loop reference ------------------------------------------------ */

/* ggml's get_scale_min_k4 for sub-block j of a Q4_K block: 6-bit scale and
 * min, j < 4 in the low bits of bytes j and j + 4, j >= 4 split between a
 * nibble of byte j + 4 and the top two bits of bytes j - 4 and j. */
static void ref_q4_K_scale_min(int j, const uint8_t *q, int *sc, int *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* dx (d sum_j sc_j sum q.x - dmin sum_j m_j (bsum_2j + bsum_2j+1)) */
static float ref_q4_K_block(const blk_q4_K *a, const blk_q8_K *x)
{
    int sumi = 0, summ = 0;
    for (int j = 0; j < 8; j++) {
        int sc, m, dot = 0;
        ref_q4_K_scale_min(j, a->scales, &sc, &m);
        /* sub-block j: the low nibbles of qs[32 (j/2) ...] for even j, the
         * high ones for odd j */
        for (int l = 0; l < 32; l++) {
            int b = a->qs[32 * (j / 2) + l];
            dot += (j % 2 ? b >> 4 : b & 0xF) * x->qs[32 * j + l];
        }
        sumi += sc * dot;
        summ += m * (x->bsums[2 * j] + x->bsums[2 * j + 1]);
    }
    return x->d * (fp16_to_f32(a->d) * (float)sumi - fp16_to_f32(a->dmin) * (float)summ);
}

/* dx d sum_g sc_g (sum q.x - 32 bsum_g) over the 16 groups of 16 */
static float ref_q6_K_block(const blk_q6_K *a, const blk_q8_K *x)
{
    int dot[16] = {0};
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = a->ql + 64 * h, *qh = a->qh + 32 * h;
        for (int l = 0; l < 32; l++) {
            int e = 128 * h + l;
            int q[4] = {
                (ql[l] & 0xF) | ((qh[l] & 3) << 4),
                (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4),
                (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4),
                (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4),
            };
            for (int c = 0; c < 4; c++)
                dot[(e + 32 * c) / 16] += q[c] * x->qs[e + 32 * c];
        }
    }
    int sumi = 0;
    for (int g = 0; g < 16; g++)
        sumi += a->scales[g] * (dot[g] - 32 * x->bsums[g]);
    return x->d * (fp16_to_f32(a->d) * (float)sumi);
}

static void qgemm_k_ref_any(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                            long r1, const blk_q8_K *act, int nb, int B, int q6)
{
    for (long r = r0; r < r1; r++) {
        const char *row = (const char *)w + (size_t)r * row_bytes;
        for (int b = 0; b < B; b++) {
            const blk_q8_K *x = act + (size_t)b * nb;
            float s = 0;
            for (int k = 0; k < nb; k++)
                s += q6 ? ref_q6_K_block((const blk_q6_K *)row + k, &x[k])
                        : ref_q4_K_block((const blk_q4_K *)row + k, &x[k]);
            out[(size_t)b * ldo + r] = s;
        }
    }
}

static void qgemm_q4_K_ref(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_K *act, int nb, int B)
{
    qgemm_k_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, 0);
}

static void qgemm_q6_K_ref(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                           long r1, const blk_q8_K *act, int nb, int B)
{
    qgemm_k_ref_any(out, ldo, w, row_bytes, r0, r1, act, nb, B, 1);
}

qgemm_k_fn qgemm_k_ref(ggml_type t)
{
    return t == GGML_TYPE_Q4_K ? qgemm_q4_K_ref : t == GGML_TYPE_Q6_K ? qgemm_q6_K_ref : NULL;
}

#if QGEMM_K_X86
/* ---- x86: the pieces each width needs ------------------------------------ */

/* A Q4_K block's 8 scales then 8 mins as bytes, from the 12 packed bytes
 * read as three little-endian words A, B, C (the reference's formula, four
 * bytes at a time): scales 0..3 = A & 63, mins 0..3 = B & 63, scales 4..7 =
 * C's low nibbles | A's top two bits << 4, mins 4..7 = C's high nibbles |
 * B's top two bits << 4. */
static inline void q4_K_scales_mins(uint8_t out[16], const uint8_t *packed)
{
    uint32_t a, b, c, u[4];
    memcpy(&a, packed, 4);
    memcpy(&b, packed + 4, 4);
    memcpy(&c, packed + 8, 4);
    u[0] = a & 0x3f3f3f3fu;
    u[1] = (c & 0x0f0f0f0fu) | (((a >> 6) & 0x03030303u) << 4);
    u[2] = b & 0x3f3f3f3fu;
    u[3] = ((c >> 4) & 0x0f0f0f0fu) | (((b >> 6) & 0x03030303u) << 4);
    memcpy(out, u, 16);
}

#define Y_TARGET "avx2,fma,f16c"
#define YF static inline __attribute__((always_inline, target(Y_TARGET)))

/* ymm: a chunk is 32 elements, one Q4_K sub-block or two Q6_K groups. */
typedef struct y_row {
    __m256i s;      /* Q4_K: the 8 scales as int16, in both halves; Q6_K: the
                     * 16 int8 scales, in both halves */
    __m256 d;       /* the block's d, broadcast */
    __m256 v0, v1;  /* offset multipliers of groups 0-7, 8-15 (K_FOLD) */
} y_row;

YF void y_prep4(y_row *p, const blk_q4_K *b)
{
    uint8_t sm[16];
    q4_K_scales_mins(sm, b->scales);
    __m128i v = _mm_loadu_si128((const __m128i *)sm);
    __m128i m = _mm_srli_si128(v, 8);
    m = _mm_unpacklo_epi8(m, m); /* m_0, m_0, m_1, m_1, ...: one per group */
    __m256 dmin = _mm256_set1_ps(_cvtsh_ss(b->dmin));
    p->s = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(v));
    p->d = _mm256_set1_ps(_cvtsh_ss(b->d));
    p->v0 = _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(m)));
    p->v1 = _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(m, 8))));
}

YF void y_prep6(y_row *p, const blk_q6_K *b)
{
    __m128i v = _mm_loadu_si128((const __m128i *)b->scales);
    float d = _cvtsh_ss(b->d);
    __m256 d32 = _mm256_set1_ps(32 * d); /* exact: a power of two */
    p->s = _mm256_broadcastsi128_si256(v);
    p->d = _mm256_set1_ps(d);
    p->v0 = _mm256_mul_ps(d32, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)));
    p->v1 = _mm256_mul_ps(d32, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8))));
}

/* Q4_K chunk c = sub-block c: nibbles of qs[32 (c/2) ...], low for even c */
YF __m256i y_w4(const blk_q4_K *b, int c)
{
    __m256i raw = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * (c / 2)));
    return _mm256_and_si256(c % 2 ? _mm256_srli_epi16(raw, 4) : raw, _mm256_set1_epi8(0xF));
}

/* Q6_K chunk c (elements 32c..32c+31) of half h = c / 4: low 4 bits from a
 * nibble of ql, bits 4-5 from a bit pair of qh, both picked by c % 4 */
YF __m256i y_w6(const blk_q6_K *b, int c)
{
    int h = c / 4, cc = c % 4;
    __m256i ql = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32 * (cc % 2)));
    __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
    __m256i lo = _mm256_and_si256(cc < 2 ? ql : _mm256_srli_epi16(ql, 4), _mm256_set1_epi8(0xF));
    __m256i hb = cc == 0 ? _mm256_slli_epi16(qh, 4) : cc == 1 ? _mm256_slli_epi16(qh, 2)
               : cc == 2 ? qh : _mm256_srli_epi16(qh, 2);
    return _mm256_or_si256(lo, _mm256_and_si256(hb, _mm256_set1_epi8(0x30)));
}

/* The int16 scales for maddubs's pair sums of chunk c (AVX2): Q4_K every
 * lane sub-block c (bytes 2c, 2c + 1 of each half of p->s); Q6_K lanes 0-7
 * group 2c, 8-15 group 2c + 1. */
YF __m256i y_s4(const y_row *p, int c)
{
    return _mm256_shuffle_epi8(p->s, _mm256_set1_epi16((short)((2 * c + 1) << 8 | 2 * c)));
}

YF __m256i y_s6(const y_row *p, int c)
{
    __m128i sel = _mm_set_epi64x((long long)(2 * c + 1) * 0x0101010101010101LL,
                                 (long long)(2 * c) * 0x0101010101010101LL);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(_mm256_castsi256_si128(p->s), sel));
}

/* The int16 scales for chunks c, c + 1 packed as y_dot2_vnni packs them:
 * in each 128-bit half, int16 lanes 0-3 hold sums of 4 products of chunk c
 * (int32 lanes 4L..4L+3 of its vpdpbusd, L the half), lanes 4-7 those of
 * chunk c + 1.  Q4_K: sub-blocks c and c + 1 whatever the half; Q6_K: 4
 * int32 lanes are one group of 16, so groups 2c + L and 2c + 2 + L. */
YF __m256i y_s4p(const y_row *p, int c)
{
    short lo = (short)((2 * c + 1) << 8 | 2 * c), hi = (short)((2 * c + 3) << 8 | (2 * c + 2));
    return _mm256_shuffle_epi8(p->s, _mm256_setr_epi16(lo, lo, lo, lo, hi, hi, hi, hi,
                                                       lo, lo, lo, lo, hi, hi, hi, hi));
}

YF __m256i y_s6p(const y_row *p, int c)
{
    char a = (char)(2 * c), b = (char)(2 * c + 2), e = (char)(2 * c + 1), f = (char)(2 * c + 3);
    __m128i sel = _mm_setr_epi8(a, a, a, a, b, b, b, b, e, e, e, e, f, f, f, f);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(_mm256_castsi256_si128(p->s), sel));
}

YF float y_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#define K_ROW y_row
#define KV __m256i
#define KF __m256
#define KC 8
#define K_PREP4(p, b) y_prep4(p, b)
#define K_PREP6(p, b) y_prep6(p, b)
#define K_W4(b, c) y_w4(b, c)
#define K_W6(b, c) y_w6(b, c)
#define K_LOADX(ptr) _mm256_loadu_si256((const __m256i *)(ptr))
#define K_ZERO() _mm256_setzero_si256()
#define K_FZERO() _mm256_setzero_ps()
#define K_FOLD(acc, sumi, p, dx, x)                                                          \
    _mm256_fnmadd_ps((p)->v1, _mm256_loadu_ps((x)->dsums + 8),                               \
                     _mm256_fnmadd_ps((p)->v0, _mm256_loadu_ps((x)->dsums),                  \
                                      _mm256_fmadd_ps(_mm256_mul_ps((p)->d, dx),             \
                                                      _mm256_cvtepi32_ps(sumi), acc)))
#define K_SET1F(x) _mm256_set1_ps(x)
#define K_HSUM(v) y_hsum(v)
#define K_PF 0
/* 2 x 3: 6 int32 sums + 6 float accumulators + a chunk and its scales fill
 * the 16 ymm registers */
#define K_RM 2
#define K_RN 3
#define K_TILE_CASES K_CASE(1, 1) K_CASE(1, 2) K_CASE(1, 3) K_CASE(2, 1) K_CASE(2, 2) K_CASE(2, 3)

/* AVX2: madd the int16 pair sums with the scales, then add */
#define K_NAME(x) x##_avx2
#define K_FN __attribute__((target(Y_TARGET)))
#define K_TFN static inline __attribute__((always_inline, target(Y_TARGET)))
#define K_S4(s1, s2, p, c) ((s1) = y_s4(p, c), (s2) = y_s4(p, (c) + 1))
#define K_S6(s1, s2, p, c) ((s1) = y_s6(p, c), (s2) = y_s6(p, (c) + 1))
#define K_DOT2(acc, q1, x1, q2, x2, s1, s2)                                                    \
    _mm256_add_epi32(_mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(q1, x1), s1)), \
                     _mm256_madd_epi16(_mm256_maddubs_epi16(q2, x2), s2))
#include "model/qgemm_k_tile.h"
#undef K_NAME
#undef K_FN
#undef K_TFN
#undef K_S4
#undef K_S6
#undef K_DOT2

/* AVX-VNNI: vpdpwssd does the madd and the add */
#define YV_TARGET "avx2,fma,f16c,avxvnni"
#define K_NAME(x) x##_avxvnni
#define K_FN __attribute__((target(YV_TARGET)))
#define K_TFN static inline __attribute__((always_inline, target(YV_TARGET)))
#define K_S4(s1, s2, p, c) ((s1) = (s2) = y_s4p(p, c))
#define K_S6(s1, s2, p, c) ((s1) = (s2) = y_s6p(p, c))
#define K_DOT2(acc, q1, x1, q2, x2, s1, s2)                                                    \
    _mm256_dpwssd_avx_epi32(acc, _mm256_packs_epi32(                                         \
        _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), q1, x1),                              \
        _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), q2, x2)), s1)
#include "model/qgemm_k_tile.h"
#undef K_NAME
#undef K_FN
#undef K_TFN
#undef K_S4
#undef K_S6
#undef K_DOT2
#undef K_ROW
#undef KV
#undef KF
#undef KC
#undef K_PREP4
#undef K_PREP6
#undef K_W4
#undef K_W6
#undef K_LOADX
#undef K_ZERO
#undef K_FZERO
#undef K_SET1F
#undef K_FOLD
#undef K_HSUM
#undef K_PF
#undef K_RM
#undef K_RN
#undef K_TILE_CASES

/* ---- zmm: a chunk is 64 elements, two Q4_K sub-blocks or four Q6_K groups */
#define Z_TARGET "avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512dq,avx512vnni"
#define ZF static inline __attribute__((always_inline, target(Z_TARGET)))

typedef struct z_row {
    __m512i s;      /* the scales as int16 in the low lanes (8 for Q4_K, 16
                     * for Q6_K), for vpermw */
    __m512 d;       /* the block's d, broadcast */
    __m512 v;       /* offset multipliers of the 16 groups (K_FOLD) */
} z_row;

ZF void z_prep4(z_row *p, const blk_q4_K *b)
{
    uint8_t sm[16];
    q4_K_scales_mins(sm, b->scales);
    __m128i v = _mm_loadu_si128((const __m128i *)sm);
    __m128i m = _mm_srli_si128(v, 8);
    m = _mm_unpacklo_epi8(m, m); /* m_0, m_0, m_1, m_1, ...: one per group */
    p->s = _mm512_zextsi128_si512(_mm_cvtepu8_epi16(v));
    p->d = _mm512_set1_ps(_cvtsh_ss(b->d));
    p->v = _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(b->dmin)),
                         _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(m)));
}

ZF void z_prep6(z_row *p, const blk_q6_K *b)
{
    __m128i v = _mm_loadu_si128((const __m128i *)b->scales);
    float d = _cvtsh_ss(b->d);
    p->s = _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(v));
    p->d = _mm512_set1_ps(d);
    p->v = _mm512_mul_ps(_mm512_set1_ps(32 * d), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)));
}

/* vpermw indices and vpsrlvw / vpsllvw counts, loaded from memory: built
 * with set1 / inserts they cost two or three instructions a chunk inside
 * the loop, where the compiler leaves them. */
#define R4(v) v, v, v, v
#define R8(v) R4(v), R4(v)
#define R16(v) R8(v), R8(v)
#define P4(a) R4(a), R4(a + 2)
#define P6(a) R4(a), R4(a + 4)
static const _Alignas(64) struct {
    uint16_t perm4[2][32]; /* Q4_K chunks c, c + 1 = 2 * index (z_s4p) */
    uint16_t perm6[2][32]; /* Q6_K chunks c, c + 1 (z_s6p) */
    uint16_t shift[3][32]; /* counts for the low 16 lanes, then the high 16 */
} z_consts = {
    {{P4(0), P4(0), P4(1), P4(1)}, {P4(4), P4(4), P4(5), P4(5)}},
    {{P6(0), P6(1), P6(2), P6(3)}, {P6(8), P6(9), P6(10), P6(11)}},
    {{R16(0), R16(4)}, {R16(4), R16(2)}, {R16(0), R16(2)}},
};
#undef R4
#undef R8
#undef R16
#undef P4
#undef P6

ZF __m512i z_const(const uint16_t *v)
{
    return _mm512_load_si512((const void *)v);
}

/* Q4_K chunk c: the 32 bytes qs[32c ...] twice, the low copy's low nibbles
 * (sub-block 2c) and the high copy's high nibbles (2c + 1) */
ZF __m512i z_w4(const blk_q4_K *b, int c)
{
    __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qs + 32 * c)));
    return _mm512_and_si512(_mm512_srlv_epi16(raw, z_const(z_consts.shift[0])), _mm512_set1_epi8(0xF));
}

/* Q6_K chunk c: half h = c / 2; the 64 bytes of ql are elements 0..63 of
 * the half in their low nibbles and 64..127 in their high ones; the 32 bytes
 * of qh, twice, give bits 4-5 from bit pairs 0, 1 (even c: shifted up 4
 * and 2) or 2, 3 (odd c: shifted down 0 and 2) */
ZF __m512i z_w6(const blk_q6_K *b, int c)
{
    int h = c / 2;
    __m512i ql = _mm512_loadu_si512((const void *)(b->ql + 64 * h));
    __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32 * h)));
    __m512i lo, hb;
    if (c % 2 == 0) {
        lo = ql;
        hb = _mm512_sllv_epi16(qh, z_const(z_consts.shift[1]));
    } else {
        lo = _mm512_srli_epi16(ql, 4);
        hb = _mm512_srlv_epi16(qh, z_const(z_consts.shift[2]));
    }
    /* (lo & 0x0F) | (hb & 0x30) as one vpternlogd: bits of lo where the
     * mask 0x0F is set, of hb elsewhere, then the 0x3F mask */
    return _mm512_and_si512(_mm512_ternarylogic_epi32(lo, hb, _mm512_set1_epi8(0xF), 0xE4),
                            _mm512_set1_epi8(0x3F));
}

/* The int16 scales for chunks c, c + 1 in z_dot2's packing: int16 lane
 * 8L + m (L the 128-bit lane) holds for m < 4 the sum of 4 products in
 * int32 lane 4L + m of chunk c's vpdpbusd, for m >= 4 lane 4L + m - 4 of
 * chunk c + 1's.  An int32 lane t of a Q4_K chunk lies in sub-block 2c + t /
 * 8, of a Q6_K chunk in group 4c + t / 4. */
ZF __m512i z_s4p(const z_row *p, int c)
{
    return _mm512_permutexvar_epi16(z_const(z_consts.perm4[c / 2]), p->s);
}

ZF __m512i z_s6p(const z_row *p, int c)
{
    return _mm512_permutexvar_epi16(z_const(z_consts.perm6[c / 2]), p->s);
}

#define K_ROW z_row
#define KV __m512i
#define KF __m512
#define KC 4
#define K_PREP4(p, b) z_prep4(p, b)
#define K_PREP6(p, b) z_prep6(p, b)
#define K_W4(b, c) z_w4(b, c)
#define K_W6(b, c) z_w6(b, c)
#define K_S4(s1, s2, p, c) ((s1) = (s2) = z_s4p(p, c))
#define K_S6(s1, s2, p, c) ((s1) = (s2) = z_s6p(p, c))
#define K_LOADX(ptr) _mm512_loadu_si512((const void *)(ptr))
#define K_ZERO() _mm512_setzero_si512()
#define K_FZERO() _mm512_setzero_ps()
#define K_FOLD(acc, sumi, p, dx, x)                                                          \
    _mm512_fnmadd_ps((p)->v, _mm512_loadu_ps((x)->dsums),                                    \
                     _mm512_fmadd_ps(_mm512_mul_ps((p)->d, dx), _mm512_cvtepi32_ps(sumi), acc))
#define K_SET1F(x) _mm512_set1_ps(x)
#define K_HSUM(v) _mm512_reduce_add_ps(v)
/* as qgemm.c's Z_PREFETCH: the first tile of a row strip streams it */
#define K_PF 8192
/* 2 x 4: 8 int32 sums + 8 float accumulators + chunk, scales and the
 * unpacking temporaries stay within the 32 zmm registers */
#define K_RM 2
#define K_RN 4
#define K_TILE_CASES K_CASE(1, 1) K_CASE(1, 2) K_CASE(1, 3) K_CASE(1, 4) \
                     K_CASE(2, 1) K_CASE(2, 2) K_CASE(2, 3) K_CASE(2, 4)
#define K_NAME(x) x##_avx512
#define K_FN __attribute__((target(Z_TARGET)))
#define K_TFN static inline __attribute__((always_inline, target(Z_TARGET)))
#define K_DOT2(acc, q1, x1, q2, x2, s1, s2)                                                    \
    _mm512_dpwssd_epi32(acc, _mm512_packs_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), q1, x1), \
                                                _mm512_dpbusd_epi32(_mm512_setzero_si512(), q2, x2)), s1)
#include "model/qgemm_k_tile.h"

qgemm_k_fn qgemm_k_isa_fn(ggml_type t, qgemm_isa isa)
{
    if (!qgemm_isa_available(isa) || !quant_wants_q8_K(t))
        return NULL;
    int q6 = t == GGML_TYPE_Q6_K;
    switch (isa) {
    case QGEMM_REF:
        return qgemm_k_ref(t);
    case QGEMM_AVX2:
        return q6 ? qgemm_q6_K_avx2 : qgemm_q4_K_avx2;
    case QGEMM_AVX_VNNI:
        return q6 ? qgemm_q6_K_avxvnni : qgemm_q4_K_avxvnni;
    case QGEMM_AVX512:
    case QGEMM_AMX: /* no tile path for the K-quants */
        return q6 ? qgemm_q6_K_avx512 : qgemm_q4_K_avx512;
    }
    return NULL;
}
#else
qgemm_k_fn qgemm_k_isa_fn(ggml_type t, qgemm_isa isa)
{
    return isa == QGEMM_REF ? qgemm_k_ref(t) : NULL;
}
#endif

qgemm_k_fn qgemm_k_fast(ggml_type t)
{
    return qgemm_k_isa_fn(t, qgemm_best_isa());
}
