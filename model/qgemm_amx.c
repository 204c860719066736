/*
 * qgemm_amx.c -- Q8_0 / Q4_0 / Q5_0 weights x Q8 activations on AMX-INT8 tiles
 * (see qgemm_amx.h).  The reference is qgemm.c's plain loop; the tests hold
 * this variant to it like the others.
 *
 * One tdpbssd multiplies a 16 x 32 tile of signed weight bytes (16 rows,
 * one Q block) by 32 x 16 signed activation bytes (16 rows of the batch)
 * into 16 x 16 exact int32 dots, 8,192 multiply-adds in one instruction
 * where the AVX-512 kernel does 64.  Each block has its own pair of
 * scales, so the int32 tile is stored after every block and folded into
 * 16 float accumulators (one zmm per weight row, a lane per activation
 * row): acc[m] += float(dot) * (d_w[m] * d_x), ggml's arithmetic in the
 * reference's order (blocks in sequence).  Layouts:
 *  - weights, the A operand: a Q8_0 block's 32 bytes are loaded straight
 *    from the file's rows (stride row_bytes); Q4_0 and Q5_0 strips of 16 rows are
 *    unpacked once to signed bytes and reused for every batch tile;
 *  - activations, the B operand, which tdpbssd wants as 4-byte groups of
 *    16 rows side by side: built once per call as panels (act_panel).
 * While a strip is prepared the next one is prefetched (a prefetch past
 * the end of the weights never faults).  Scratch memory is one buffer per
 * thread, kept for the thread's life.
 * Batches under AMX_MIN_B rows, the rows past the last full strip, and
 * any call whose scratch cannot be allocated go to the AVX-512 kernel.
 */
#include "model/qgemm_amx.h"

#include "model/qgemm.h"

#if defined(__x86_64__) && defined(__linux__)
#include "model/qgemm_q5.h"

#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_M 16    /* weight rows per tile: rows of A and C */
#define AMX_N 16    /* activation rows per tile: columns of C */
#define AMX_MIN_B 4 /* below this the AVX-512 tiles waste less (bench/qgemm_bench.c) */

/* Linux's arch_prctl request for the tile data state (asm/prctl.h) */
#define AMX_ARCH_REQ_XCOMP_PERM 0x1023
#define AMX_XFEATURE_XTILEDATA 18

/* ldtilecfg's 64-byte operand (palette 1) */
typedef struct amx_cfg {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_cfg;

/* Block k of AMX_N activation rows as tdpbssd's B operand: row r holds
 * bytes 4r..4r+3 of each of the 16 activation rows in turn; d their
 * scales (0 for rows past the batch, whose bytes are 0). */
typedef struct act_panel {
    int8_t q[QK / 4][AMX_N * 4];
    float d[AMX_N];
} act_panel; /* 576 bytes, a multiple of 64 */

/* ---- availability ---------------------------------------------------------- */

static int amx_ok;
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;

static void amx_probe(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return;
    if (!(d & 1u << 24) || !(d & 1u << 25)) /* AMX-TILE, AMX-INT8 */
        return;
    if (!qgemm_isa_available(QGEMM_AVX512)) /* the folds and the fallback use it */
        return;
    if (syscall(SYS_arch_prctl, AMX_ARCH_REQ_XCOMP_PERM, AMX_XFEATURE_XTILEDATA) != 0)
        return;
    amx_ok = 1;
}

int qgemm_amx_usable(void)
{
    pthread_once(&amx_once, amx_probe);
    return amx_ok;
}

/* ---- per-thread scratch ------------------------------------------------------ */

typedef struct amx_scratch {
    void *buf;
    size_t cap;
} amx_scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_free(void *p)
{
    amx_scratch *s = p;
    free(s->buf);
    free(s);
}

static void scratch_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's buffer of at least bytes bytes, 64-aligned; NULL when
 * out of memory (the caller then takes the AVX-512 path). */
static void *scratch_get(size_t bytes)
{
    pthread_once(&scratch_once, scratch_init);
    if (!scratch_key_ok)
        return NULL;
    amx_scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->cap < bytes) {
        free(s->buf);
        size_t n = (bytes + 63) / 64 * 64;
        s->buf = aligned_alloc(64, n);
        s->cap = s->buf ? n : 0;
    }
    return s->buf;
}

/* ---- the kernel ---------------------------------------------------------- */

#define AMX_TARGET "avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512dq,amx-tile,amx-int8"
#define AF static inline __attribute__((always_inline, target(AMX_TARGET)))

/* panels[t * nb + k]: block k of activation rows 16t..16t+15 */
AF void amx_panels(act_panel *panels, const blk_q8_act *act, int nb, int B)
{
    const int stride = (int)((size_t)nb * sizeof(blk_q8_act));
    const __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32(stride));
    for (int t = 0; t * AMX_N < B; t++) {
        int nv = B - t * AMX_N < AMX_N ? B - t * AMX_N : AMX_N;
        for (int k = 0; k < nb; k++) {
            act_panel *p = panels + (size_t)t * nb + k;
            const char *base = (const char *)(act + (size_t)t * AMX_N * nb + k);
            if (nv == AMX_N) {
                _mm512_store_ps(p->d, _mm512_i32gather_ps(idx, base + offsetof(blk_q8_act, d), 1));
                for (int r = 0; r < QK / 4; r++)
                    _mm512_store_si512((__m512i *)p->q[r],
                                       _mm512_i32gather_epi32(idx, base + offsetof(blk_q8_act, qs) + 4 * r, 1));
                continue;
            }
            memset(p, 0, sizeof *p);
            for (int n = 0; n < nv; n++) {
                const blk_q8_act *x = (const blk_q8_act *)(base + (size_t)n * stride);
                p->d[n] = x->d;
                for (int r = 0; r < QK / 4; r++)
                    memcpy(&p->q[r][4 * n], x->qs + 4 * r, 4);
            }
        }
    }
}

/* Q4_0 or Q5_0 rows r..r+15 as signed bytes, ua[(k * 16 + m) * 32 + i] =
 * weight i of block k of row r + m (Q4_0: nibble - 8, low nibbles are
 * 0..15, high 16..31; Q5_0: the same nibbles with the fifth bit, - 16) */
AF void amx_unpack(int8_t *ua, const char *w, size_t row_bytes, int kind)
{
    const char *next = w + AMX_M * row_bytes; /* the next strip, asked for ahead */
    const __m128i mask = _mm_set1_epi8(0xF);
    const size_t bs = kind == QW_Q4_0 ? sizeof(blk_q4_0) : sizeof(blk_q5_0);
    const __m256i off = _mm256_set1_epi8(kind == QW_Q4_0 ? 8 : 16);
    size_t nb = row_bytes / bs;
    for (int m = 0; m < AMX_M; m++) {
        const char *row = w + (size_t)m * row_bytes;
        for (size_t k = 0; k < nb; k++) {
            if (k % 4 == 0) /* 72 or 88 bytes of blocks: a line or two */
                _mm_prefetch(next + (size_t)m * row_bytes + k * bs, _MM_HINT_T0);
            __m256i u;
            if (kind == QW_Q4_0) {
                __m128i raw = _mm_loadu_si128((const __m128i *)((const blk_q4_0 *)row)[k].qs);
                __m128i lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
                u = _mm256_set_m128i(hi, lo);
            } else {
                u = q5_0_bytes((const blk_q5_0 *)row + k);
            }
            _mm256_store_si256((__m256i *)(ua + (k * AMX_M + m) * QK), _mm256_sub_epi8(u, off));
        }
    }
}

/* acc[m] += float(c[m][n]) * (dw[m] * dx[n]) over the 16 lanes n */
AF void amx_fold(__m512 *acc, const int32_t *c, const float *dx, const float *dw)
{
    __m512 dxv = _mm512_load_ps(dx);
#pragma GCC unroll 16
    for (int m = 0; m < AMX_M; m++)
        acc[m] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(dw[m]), dxv),
                                 _mm512_cvtepi32_ps(_mm512_load_si512((const __m512i *)(c + m * AMX_N))),
                                 acc[m]);
}

__attribute__((target(AMX_TARGET))) static void amx_rows(float *out, size_t ldo, const void *w,
                                                         size_t row_bytes, long r0, long r1,
                                                         const blk_q8_act *act, int nb, int B, int kind)
{
    static const ggml_type types[] = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q5_0};
    qgemm_fn avx512 = qgemm_isa_fn(types[kind], QGEMM_AVX512);
    int packed = kind != QW_Q8_0; /* unpacked to bytes per strip; Q8_0 is read in place */
    size_t bs = kind == QW_Q4_0 ? sizeof(blk_q4_0) : sizeof(blk_q5_0);
    long full = (r1 - r0) / AMX_M * AMX_M;
    int T = (B + AMX_N - 1) / AMX_N;
    size_t panel_bytes = (size_t)T * nb * sizeof(act_panel);
    size_t dw_bytes = (size_t)nb * AMX_M * sizeof(float);
    size_t ua_bytes = packed ? (size_t)nb * AMX_M * QK : 0;
    size_t c_bytes = 4 * AMX_M * AMX_N * sizeof(int32_t) + AMX_M * AMX_N * sizeof(float);
    char *buf = B >= AMX_MIN_B && full > 0 ? scratch_get(panel_bytes + dw_bytes + ua_bytes + c_bytes)
                                           : NULL;
    if (!buf) {
        avx512(out, ldo, w, row_bytes, r0, r1, act, nb, B);
        return;
    }
    act_panel *panels = (act_panel *)buf;
    float *dw = (float *)(buf + panel_bytes);                     /* (nb, 16) */
    int8_t *ua = (int8_t *)(buf + panel_bytes + dw_bytes);       /* (nb, 16, 32) */
    int32_t *cb = (int32_t *)(buf + panel_bytes + dw_bytes + ua_bytes); /* (2, 2, 16, 16) */
    float *tmp = (float *)(cb + 4 * AMX_M * AMX_N);              /* (16, 16) */
    amx_panels(panels, act, nb, B);

    /* tiles 0, 3: A (16 rows of one block); 1, 4: B (panel); 2, 5: C,
     * blocks k and k + 1 */
    amx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int i = 0; i < 6; i += 3) {
        cfg.rows[i] = AMX_M;
        cfg.colsb[i] = QK;
        cfg.rows[i + 1] = QK / 4;
        cfg.colsb[i + 1] = AMX_N * 4;
        cfg.rows[i + 2] = AMX_M;
        cfg.colsb[i + 2] = AMX_N * 4;
    }
    _tile_loadconfig(&cfg);
    const __m512i col = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32(AMX_N));
    for (long r = r0; r < r0 + full; r += AMX_M) {
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        /* A for block k: its first byte and the stride between rows */
        const char *a0;
        size_t astride, astep;
        if (packed) {
            amx_unpack(ua, wr, row_bytes, kind);
            for (int m = 0; m < AMX_M; m++)
                for (int k = 0; k < nb; k++) { /* d leads both block types */
                    uint16_t h;
                    memcpy(&h, wr + (size_t)m * row_bytes + (size_t)k * bs, 2);
                    dw[k * AMX_M + m] = _cvtsh_ss(h);
                }
            a0 = (const char *)ua;
            astride = QK;
            astep = (size_t)AMX_M * QK;
        } else {
            for (int m = 0; m < AMX_M; m++)
                for (int k = 0; k < nb; k++) {
                    const char *b = wr + (size_t)m * row_bytes + (size_t)k * sizeof(blk_q8_0);
                    /* the next strip's block k, each a line or two ahead
                     * of the tile loads that will read it */
                    _mm_prefetch(b + AMX_M * row_bytes, _MM_HINT_T0);
                    dw[k * AMX_M + m] = _cvtsh_ss(((const blk_q8_0 *)b)->d);
                }
            a0 = wr + offsetof(blk_q8_0, qs);
            astride = row_bytes;
            astep = sizeof(blk_q8_0);
        }
        for (int t = 0; t < T; t++) {
            const act_panel *p = panels + (size_t)t * nb;
            __m512 acc[AMX_M];
#pragma GCC unroll 16
            for (int m = 0; m < AMX_M; m++)
                acc[m] = _mm512_setzero_ps();
            /* block pairs, folded one pair late: the int32 tiles of pair
             * k go to one buffer pair while the previous pair's, stored an
             * iteration ago, are read back, so the vector loads do not
             * wait on the tile stores just issued (they did: a third of
             * the kernel's time) */
            int prev = -1, cur = 0;
            for (int k = 0; k < nb; k += 2) {
                int two = k + 1 < nb;
                int32_t *d = cb + cur * 2 * AMX_M * AMX_N;
                _tile_loadd(0, a0 + (size_t)k * astep, astride);
                _tile_loadd(1, p[k].q, AMX_N * 4);
                _tile_zero(2);
                _tile_dpbssd(2, 0, 1);
                if (two) {
                    _tile_loadd(3, a0 + (size_t)(k + 1) * astep, astride);
                    _tile_loadd(4, p[k + 1].q, AMX_N * 4);
                    _tile_zero(5);
                    _tile_dpbssd(5, 3, 4);
                }
                _tile_stored(2, d, AMX_N * 4);
                if (two)
                    _tile_stored(5, d + AMX_M * AMX_N, AMX_N * 4);
                if (prev >= 0) {
                    const int32_t *e = cb + (cur ^ 1) * 2 * AMX_M * AMX_N;
                    amx_fold(acc, e, p[prev].d, dw + (size_t)prev * AMX_M);
                    amx_fold(acc, e + AMX_M * AMX_N, p[prev + 1].d, dw + (size_t)(prev + 1) * AMX_M);
                }
                prev = k;
                cur ^= 1;
            }
            {
                const int32_t *e = cb + (cur ^ 1) * 2 * AMX_M * AMX_N;
                amx_fold(acc, e, p[prev].d, dw + (size_t)prev * AMX_M);
                if (prev + 1 < nb)
                    amx_fold(acc, e + AMX_M * AMX_N, p[prev + 1].d, dw + (size_t)(prev + 1) * AMX_M);
            }
            /* acc[m] lane n is out[row r + m, batch row 16t + n]: transpose */
#pragma GCC unroll 16
            for (int m = 0; m < AMX_M; m++)
                _mm512_store_ps(tmp + m * AMX_N, acc[m]);
            int nv = B - t * AMX_N < AMX_N ? B - t * AMX_N : AMX_N;
            for (int n = 0; n < nv; n++)
                _mm512_storeu_ps(out + (size_t)(t * AMX_N + n) * ldo + r,
                                 _mm512_i32gather_ps(col, tmp + n, 4));
        }
    }
    _tile_release();
    if (r0 + full < r1)
        avx512(out, ldo, w, row_bytes, r0 + full, r1, act, nb, B);
}

void qgemm_amx_q8_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B)
{
    amx_rows(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q8_0);
}

void qgemm_amx_q4_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B)
{
    amx_rows(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q4_0);
}

void qgemm_amx_q5_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B)
{
    amx_rows(out, ldo, w, row_bytes, r0, r1, act, nb, B, QW_Q5_0);
}
#else
int qgemm_amx_usable(void)
{
    return 0;
}

/* never picked: qgemm.c offers QGEMM_AMX only where qgemm_amx_usable() */
void qgemm_amx_q8_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B)
{
    qgemm_ref(GGML_TYPE_Q8_0)(out, ldo, w, row_bytes, r0, r1, act, nb, B);
}

void qgemm_amx_q4_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B)
{
    qgemm_ref(GGML_TYPE_Q4_0)(out, ldo, w, row_bytes, r0, r1, act, nb, B);
}

void qgemm_amx_q5_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B)
{
    qgemm_ref(GGML_TYPE_Q5_0)(out, ldo, w, row_bytes, r0, r1, act, nb, B);
}
#endif
