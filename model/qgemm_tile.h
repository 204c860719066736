/*
 * qgemm_tile.h -- the body of qgemm.c's x86 tile kernel, included once per
 * instruction set with these macros set (a C template; not a public header):
 *   QG_NAME(x)   the name x with this variant's suffix
 *   QG_FN        the target attribute of the variant's entry points
 *   TILE_FN      the same, plus always_inline, for the tile helpers
 *   QG_IDOT(u, s, c) c + 8 int32 lanes, each the sum of 4 products of
 *                unsigned bytes u and signed bytes s (maddubs + madd on AVX2,
 *                one vpdpbusd with AVX-VNNI: the same integers either way)
 *   QG_UNSIGNED  0: |w| . sign(x, w), ggml's trick, needed where maddubs's
 *                int16 pair sums would saturate (AVX2); 1: (w + offset) . x
 *                minus offset * sum(x), two instructions fewer per pair,
 *                for vpdpbusd which sums in int32
 * QG_RM x QG_RN is the tile: 4 x 3 keeps 12 accumulators in 16 registers.
 */
#define QG_RM 4 /* weight rows per tile */
#define QG_RN 3 /* activation rows per tile */

TILE_FN float QG_NAME(tile_hsum)(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Weight block k of a row as 32 bytes, *d its scale.  Signed values
 * (Q4_0 nibble - 8, Q5_0 five bits - 16) for the sign-trick path; with
 * QG_UNSIGNED the values plus an offset that makes them unsigned bytes
 * (Q4_0: the nibble itself, offset 8; Q5_0: the five bits, offset 16;
 * Q8_0: w ^ 0x80 = w + 128, offset 128). */
TILE_FN __m256i QG_NAME(tile_wblock)(float *d, const char *row, int k, int kind)
{
    if (kind == QW_Q5_0) {
        const blk_q5_0 *a = (const blk_q5_0 *)row + k;
        __m256i q = q5_0_bytes(a);
        *d = _cvtsh_ss(a->d);
        return QG_UNSIGNED ? q : _mm256_sub_epi8(q, _mm256_set1_epi8(16));
    }
    if (kind == QW_Q4_0) {
        const blk_q4_0 *a = (const blk_q4_0 *)row + k;
        __m128i raw = _mm_loadu_si128((const __m128i *)a->qs);
        /* low nibbles are elements 0..15, high nibbles 16..31 */
        __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw),
                                     _mm256_set1_epi8(0xF));
        *d = _cvtsh_ss(a->d);
        return QG_UNSIGNED ? q : _mm256_sub_epi8(q, _mm256_set1_epi8(8));
    }
    const blk_q8_0 *a = (const blk_q8_0 *)row + k;
    *d = _cvtsh_ss(a->d);
    __m256i q = _mm256_loadu_si256((const __m256i *)a->qs);
    return QG_UNSIGNED ? _mm256_xor_si256(q, _mm256_set1_epi8((char)0x80)) : q;
}

TILE_FN void QG_NAME(tile)(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_act *act,
                           int nb, int kind, int rm, int rn)
{
    const char off = kind == QW_Q8_0 ? (char)0x80 : kind == QW_Q4_0 ? 8 : 16;
    __m256 acc[QG_RM][QG_RN];
#pragma GCC unroll 4
    for (int i = 0; i < rm; i++)
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++)
            acc[i][j] = _mm256_setzero_ps();
    for (int k = 0; k < nb; k++) {
        __m256i x[QG_RN], c[QG_RN];
        __m256 dx[QG_RN];
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++) {
            x[j] = _mm256_loadu_si256((const __m256i *)act[(size_t)j * nb + k].qs);
            dx[j] = _mm256_broadcast_ss(&act[(size_t)j * nb + k].d);
            /* unsigned weights u = w + off: u . x - off * sum(x) = w . x, so
             * the dot starts from lanes that sum to -off * sum(x) (only
             * the lanes' total matters, they are added up at the end) */
            c[j] = QG_UNSIGNED ? _mm256_sub_epi32(_mm256_setzero_si256(),
                                                  QG_IDOT(_mm256_set1_epi8(off),
                                                          x[j], _mm256_setzero_si256()))
                               : _mm256_setzero_si256();
        }
#pragma GCC unroll 4
        for (int i = 0; i < rm; i++) {
            float dw;
            __m256i q = QG_NAME(tile_wblock)(&dw, w + (size_t)i * rb, k, kind);
            __m256i aq = QG_UNSIGNED ? q : _mm256_sign_epi8(q, q);
            __m256 dwv = _mm256_set1_ps(dw); /* one vector product per pair, not mul + broadcast */
#pragma GCC unroll 4
            for (int j = 0; j < rn; j++) {
                __m256i p = QG_IDOT(aq, QG_UNSIGNED ? x[j] : _mm256_sign_epi8(x[j], q), c[j]);
                acc[i][j] = _mm256_fmadd_ps(_mm256_mul_ps(dwv, dx[j]), _mm256_cvtepi32_ps(p),
                                            acc[i][j]);
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < rm; i++)
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++)
            out[(size_t)j * ldo + i] = QG_NAME(tile_hsum)(acc[i][j]);
}

#undef TILE_CASE
#define TILE_CASE(RM, RN)                                                                    \
    case RM * 4 + RN:                                                                        \
        QG_NAME(tile)(out, ldo, w, rb, act, nb, kind, RM, RN);                               \
        return;

TILE_FN void QG_NAME(tile_any)(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_act *act,
                      int nb, int kind, int rm, int rn)
{
    switch (rm * 4 + rn) {
    TILE_CASE(1, 1) TILE_CASE(1, 2) TILE_CASE(1, 3)
    TILE_CASE(2, 1) TILE_CASE(2, 2) TILE_CASE(2, 3)
    TILE_CASE(3, 1) TILE_CASE(3, 2) TILE_CASE(3, 3)
    TILE_CASE(4, 1) TILE_CASE(4, 2) TILE_CASE(4, 3)
    default:
        return; /* rm in 1..QG_RM, rn in 1..QG_RN by construction */
    }
}

TILE_FN void QG_NAME(qgemm_rows)(float *out, size_t ldo, const void *w, size_t row_bytes, long r0,
                        long r1, const blk_q8_act *act, int nb, int B, int kind)
{
    for (long r = r0; r < r1; r += QG_RM) {
        int rm = r1 - r < QG_RM ? (int)(r1 - r) : QG_RM;
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        for (int b = 0; b < B; b += QG_RN) {
            int rn = B - b < QG_RN ? B - b : QG_RN;
            QG_NAME(tile_any)(out + (size_t)b * ldo + r, ldo, wr, row_bytes, act + (size_t)b * nb, nb, kind,
                     rm, rn);
        }
    }
}

QG_FN static void QG_NAME(qgemm_q8_0)(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    QG_NAME(qgemm_rows)(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q8_0);
}

QG_FN static void QG_NAME(qgemm_q4_0)(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    QG_NAME(qgemm_rows)(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q4_0);
}

QG_FN static void QG_NAME(qgemm_q5_0)(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_act *act, int nb, int B)
{
    QG_NAME(qgemm_rows)(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q5_0);
}

#undef QG_RM
#undef QG_RN
