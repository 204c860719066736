/*
 * qgemm_k_tile.h -- the tile walk of qgemm_k.c's x86 kernels, included once
 * per instruction set with these set (a C template; not a public header):
 *   K_NAME(x)      x with this variant's suffix
 *   K_FN           the target attribute of the entry points
 *   K_TFN          the same, plus always_inline, for the tile helpers
 *   KV, KF         the integer and float vector types
 *   KC             chunks per super-block: 256 / lanes of bytes in KV
 *   K_RM, K_RN     the tile: weight rows x activation rows
 *   K_ROW          the per-row, per-super-block unpacked scales (a struct)
 *   K_PREP4/6(p, b)        fill a K_ROW from a Q4_K / Q6_K block
 *   K_CHUNK4/6(w, s, p, b, c)  chunk c's weights as unsigned bytes (Q4_K
 *                  0..15, Q6_K 0..63, in element order) and the int16
 *                  scale of each pair of them
 *   K_DOT(acc, w, x, s)    acc + int32 lanes of sum s * (w . x) over pairs:
 *                  maddubs then madd + add (AVX2) or vpdpwssd (VNNI); the
 *                  pair sums stay within int16 (2 * 63 * 127 = 16002)
 *   K_LOADX(p), K_ZERO(), K_FZERO(), K_WIDEN(ymm int) -> KV (zero upper),
 *   K_CVT, K_MUL, K_FMADD, K_FMSUB, K_SET1F, K_HSUM
 *   K_PF           bytes ahead to prefetch the weights in the first tile of
 *                  a row strip, 0 for none
 * Per super-block each weight row's scales are unpacked once and each of its
 * chunks once for the tile's K_RN activation rows; the int32 sums of each
 * pair are folded into float accumulators after the block (model/qgemm_k.h
 * has the formulas), so the float work is per super-block, not per chunk.
 */

K_TFN void K_NAME(ktile)(float *out, size_t ldo, const char *w, size_t rb, const blk_q8_K *act,
                         int nb, int q6, int rm, int rn, int pf)
{
    KF acc[K_RM][K_RN];
#pragma GCC unroll 4
    for (int i = 0; i < rm; i++)
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++)
            acc[i][j] = K_FZERO();
    const size_t bb = q6 ? sizeof(blk_q6_K) : sizeof(blk_q4_K);
    for (int k = 0; k < nb; k++) {
        K_ROW p[K_RM];
        KV sumi[K_RM][K_RN];
        if (pf)
#pragma GCC unroll 4
            for (int i = 0; i < rm; i++)
                _mm_prefetch(w + (size_t)i * rb + (size_t)k * bb + K_PF, _MM_HINT_T0);
#pragma GCC unroll 4
        for (int i = 0; i < rm; i++) {
            const char *blk = w + (size_t)i * rb + (size_t)k * bb;
            if (q6)
                K_PREP6(&p[i], (const blk_q6_K *)blk);
            else
                K_PREP4(&p[i], (const blk_q4_K *)blk);
#pragma GCC unroll 4
            for (int j = 0; j < rn; j++)
                sumi[i][j] = K_ZERO();
        }
#pragma GCC unroll 8
        for (int c = 0; c < KC; c++) {
#pragma GCC unroll 4
            for (int i = 0; i < rm; i++) {
                const char *blk = w + (size_t)i * rb + (size_t)k * bb;
                KV q, s;
                if (q6)
                    K_CHUNK6(q, s, &p[i], (const blk_q6_K *)blk, c);
                else
                    K_CHUNK4(q, s, &p[i], (const blk_q4_K *)blk, c);
#pragma GCC unroll 4
                for (int j = 0; j < rn; j++)
                    sumi[i][j] = K_DOT(sumi[i][j], q, K_LOADX(act[(size_t)j * nb + k].qs + c * (QK_K / KC)), s);
            }
        }
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++) {
            const blk_q8_K *x = &act[(size_t)j * nb + k];
            __m256i bs = _mm256_loadu_si256((const __m256i *)x->bsums);
            KF dx = K_SET1F(x->d);
#pragma GCC unroll 4
            for (int i = 0; i < rm; i++) {
                if (q6) {
                    /* sum_g sc_g (q . x - 32 bsum_g), exact in int32 */
                    __m256i o = _mm256_slli_epi32(_mm256_madd_epi16(bs, p[i].o), 5);
                    KV v = K_SUB(sumi[i][j], K_WIDEN(o));
                    acc[i][j] = K_FMADD(K_MUL(p[i].d, dx), K_CVT(v), acc[i][j]);
                } else {
                    /* d sum_j sc_j q . x - dmin sum_j m_j (bsum_2j + bsum_2j+1) */
                    KV m = K_WIDEN(_mm256_madd_epi16(bs, p[i].o));
                    KF t = K_FMSUB(p[i].d, K_CVT(sumi[i][j]), K_MUL(p[i].dmin, K_CVT(m)));
                    acc[i][j] = K_FMADD(dx, t, acc[i][j]);
                }
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < rm; i++)
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++)
            out[(size_t)j * ldo + i] = K_HSUM(acc[i][j]);
}

#undef K_CASE
#define K_CASE(RM, RN)                                                                       \
    case RM * 8 + RN:                                                                        \
        K_NAME(ktile)(out, ldo, w, rb, act, nb, q6, RM, RN, pf);                             \
        return;

K_TFN void K_NAME(ktile_any)(float *out, size_t ldo, const char *w, size_t rb,
                             const blk_q8_K *act, int nb, int q6, int rm, int rn, int pf)
{
    switch (rm * 8 + rn) {
    K_TILE_CASES
    default:
        return; /* rm in 1..K_RM, rn in 1..K_RN by construction */
    }
}

K_TFN void K_NAME(krows)(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                         const blk_q8_K *act, int nb, int B, int q6)
{
    for (long r = r0; r < r1; r += K_RM) {
        int rm = r1 - r < K_RM ? (int)(r1 - r) : K_RM;
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        for (int b = 0; b < B; b += K_RN) {
            int rn = B - b < K_RN ? B - b : K_RN;
            K_NAME(ktile_any)(out + (size_t)b * ldo + r, ldo, wr, row_bytes, act + (size_t)b * nb,
                              nb, q6, rm, rn, K_PF && b == 0);
        }
    }
}

K_FN static void K_NAME(qgemm_q4_K)(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_K *act, int nb, int B)
{
    K_NAME(krows)(out, ldo, w, row_bytes, r0, r1, act, nb, B, 0);
}

K_FN static void K_NAME(qgemm_q6_K)(float *out, size_t ldo, const void *w, size_t row_bytes,
                                    long r0, long r1, const blk_q8_K *act, int nb, int B)
{
    K_NAME(krows)(out, ldo, w, row_bytes, r0, r1, act, nb, B, 1);
}
