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
 *   K_W4/6(b, c)   chunk c's weights as unsigned bytes (Q4_K 0..15, Q6_K
 *                  0..63), in element order
 *   K_S4/6(s1, s2, p, c)  the int16 scales K_DOT2 wants for chunks c, c + 1
 *   K_DOT2(acc, q1, x1, q2, x2, s1, s2)  acc + int32 lanes of the scaled
 *                  dots of two chunks.  AVX2: per chunk maddubs (pair sums
 *                  within int16: 2 * 63 * 127 = 16002), then madd with that
 *                  chunk's scales, then add.  VNNI: per chunk vpdpbusd from
 *                  zero (sums of 4 products, |.| <= 4 * 63 * 127 = 32004,
 *                  so packssdw packs both chunks into int16 exactly), then
 *                  one vpdpwssd with scales in the packed order: three
 *                  instructions for two chunks where maddubs + vpdpwssd
 *                  take four, and on zmm they all compete for one port
 *   K_FOLD(acc, sumi, p, dx, x)  acc + the super-block's float terms:
 *                  d dx sumi - sum_g v_g dsums_g over the 16 groups, v_g
 *                  the K_ROW's offset multipliers (Q4_K dmin m_(g/2), Q6_K
 *                  32 d sc_g), dsums the activation block's d * bsums
 *   K_LOADX(p), K_ZERO(), K_FZERO(), K_SET1F, K_HSUM
 *   K_PF           bytes ahead to prefetch the weights in the first tile of
 *                  a row strip, 0 for none
 * Per super-block each weight row's scales are unpacked once and each of its
 * chunks once for the tile's K_RN activation rows; the int32 sums of each
 * pair are folded into float accumulators after the block (model/qgemm_k.h
 * has the formulas), so the float work is per super-block, not per chunk.
 * The Q4_K min and Q6_K offset terms are folded as floats from the
 * activations' dsums: on zmm every integer multiply and conversion
 * competes for one port with the integer dots, the fused multiply-adds
 * need not.
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
        if (pf) /* every cache line of the block: 3 for Q4_K, 4 for Q6_K */
#pragma GCC unroll 4
            for (int i = 0; i < rm; i++)
#pragma GCC unroll 4
                for (size_t off = 0; off < bb; off += 64)
                    _mm_prefetch(w + (size_t)i * rb + (size_t)k * bb + off + K_PF, _MM_HINT_T0);
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
#pragma GCC unroll 4
        for (int c = 0; c < KC; c += 2) {
#pragma GCC unroll 4
            for (int i = 0; i < rm; i++) {
                const char *blk = w + (size_t)i * rb + (size_t)k * bb;
                KV q1, q2, s1, s2;
                if (q6) {
                    q1 = K_W6((const blk_q6_K *)blk, c);
                    q2 = K_W6((const blk_q6_K *)blk, c + 1);
                    K_S6(s1, s2, &p[i], c);
                } else {
                    q1 = K_W4((const blk_q4_K *)blk, c);
                    q2 = K_W4((const blk_q4_K *)blk, c + 1);
                    K_S4(s1, s2, &p[i], c);
                }
#pragma GCC unroll 4
                for (int j = 0; j < rn; j++) {
                    const int8_t *x = act[(size_t)j * nb + k].qs + c * (QK_K / KC);
                    sumi[i][j] = K_DOT2(sumi[i][j], q1, K_LOADX(x), q2, K_LOADX(x + QK_K / KC), s1, s2);
                }
            }
        }
#pragma GCC unroll 4
        for (int j = 0; j < rn; j++) {
            const blk_q8_K *x = &act[(size_t)j * nb + k];
            KF dx = K_SET1F(x->d);
#pragma GCC unroll 4
            for (int i = 0; i < rm; i++)
                acc[i][j] = K_FOLD(acc[i][j], sumi[i][j], &p[i], dx, x);
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
