/*
 * qgemm_q5.h -- a Q5_0 block as 32 unsigned bytes for the x86 tile kernels
 * (qgemm_tile.h's AVX2 and AVX-VNNI variants, qgemm.c's AVX-512 one and
 * qgemm_amx.c), which include it; not a public header.
 *
 * Byte i is nibble i (low nibbles are elements 0..15, high ones 16..31, as
 * in Q4_0) with bit i of qh as its fifth bit: the element plus 16.  The 32
 * bits of qh are spread so that byte i holds byte i / 8 of qh, and each
 * byte is kept where its own bit, 1 << (i % 8), is set.
 */
#ifndef AS_QGEMM_Q5_H
#define AS_QGEMM_Q5_H

#include "model/quant.h"

#include <immintrin.h>
#include <string.h>

static inline __attribute__((always_inline, target("avx2"))) __m256i q5_0_bytes(const blk_q5_0 *a)
{
    uint32_t h;
    memcpy(&h, a->qh, 4);
    __m128i raw = _mm_loadu_si128((const __m128i *)a->qs);
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0xF));
    __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)h),
                                    _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
                                                      0x0101010101010101LL, 0));
    const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    b = _mm256_cmpeq_epi8(_mm256_and_si256(b, sel), sel);
    return _mm256_or_si256(q, _mm256_and_si256(b, _mm256_set1_epi8(0x10)));
}

#endif
