/*
 * qgemm_k_bench.c -- the K-quant integer kernels (model/qgemm_k.h) against
 * the path Q4_K / Q6_K weights took before them, in one process, one
 * thread.  Columns: each SIMD variant this CPU runs on activations
 * quantized beforehand (the kernel alone); `int`, the whole matmul() call
 * as the engine makes it now (quantizing the activations to Q8_K, then the
 * fastest variant); `float`, matmul() with float_act set, the old path:
 * dequantize + FMA row dots below MATMUL_GEMM_MIN rows, dequantized 64-row
 * tiles through OpenBLAS sgemm from there.  The columns run back to back
 * inside each repetition, so a loaded machine slows them alike; medians of
 * REPS repetitions of this thread's CPU time (a shared 2-core machine
 * deschedules the thread for whole slices, which the wall clock would
 * count).  Prints GOPS (2 x rows x cols x batch per second) and int/float.
 *
 * Shapes: the K-quant-compatible matrices of SmolLM2-135M (576 x 1536,
 * ffn_down: its other matrices have 576 columns, not a multiple of 256) and
 * Qwen2.5-0.5B (896 x 4864, ffn_down, likewise), DeepSeek-R1-Distill-
 * Qwen-1.5B's ffn_gate / ffn_up (8960 x 1536), at batch 1 (decode), 32
 * (batched decode) and 128 (prefill), and a decode-only 65536 x 1536 larger
 * than the last-level cache, which streams from memory.  Not part of the
 * library; usage: qgemm_k_bench [REPS].
 */
#include "model/matmul.h"
#include "model/qgemm_k.h"

#include "bench/cpu_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)(rng >> 40) / 16777216.0f * 2 - 1;
}

/* columns: the variants QGEMM_AVX2 .. QGEMM_AVX512, then int, then float */
#define COL_INT QGEMM_N_ISA
#define COL_FLOAT (QGEMM_N_ISA + 1)
#define N_COL (QGEMM_N_ISA + 2)

int main(int argc, char **argv)
{
    int reps = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
    if (reps < 1 || reps > 1000)
        reps = 5;
    matmul_init();
    static const int shapes[][2] = {{576, 1536}, {896, 4864}, {8960, 1536}, {65536, 1536}};
    static const int batches[] = {1, 32, 128};
    static const ggml_type types[] = {GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
    pool *p;
    if (pool_new(&p, 1) != AS_OK)
        return 1;
    printf("qgemm_k, 1 thread, GOPS per CPU-second, median of %d; fast = %s\n", reps,
           qgemm_fast_name());
    printf("%-5s %-11s %4s", "type", "rows x cols", "B");
    for (int v = QGEMM_AVX2; v < QGEMM_N_ISA; v++)
        printf(" %11s", qgemm_isa_name((qgemm_isa)v));
    printf(" %8s %8s %9s\n", "int", "float", "int/float");
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
            for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
                ggml_type t = types[ti];
                int rows = shapes[si][0], cols = shapes[si][1], B = batches[bi], nb = cols / QK_K;
                if (rows > 16384 && B > 1)
                    continue;
                size_t rb = ggml_row_size(t, (uint64_t)cols);
                char *w = malloc((size_t)rows * rb);
                float *row = malloc((size_t)cols * sizeof(float));
                float *x = malloc((size_t)B * cols * sizeof(float));
                float *out = malloc((size_t)B * rows * sizeof(float));
                blk_q8_K *act = malloc((size_t)B * nb * sizeof *act);
                matmul_ctx m = {.pool = p, .max_cols = cols};
                m.act = malloc(matmul_act_bytes(B, cols));
                m.tiles = malloc(matmul_tile_floats(1, cols) * sizeof(float));
                if (!w || !row || !x || !out || !act || !m.act || !m.tiles)
                    return 1;
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++)
                        row[c] = frand();
                    quant_quantize_row(w + (size_t)r * rb, row, t, cols);
                }
                for (size_t i = 0; i < (size_t)B * cols; i++)
                    x[i] = frand();
                for (int b = 0; b < B; b++)
                    quant_act_q8_K(act + (size_t)b * nb, x + (size_t)b * cols, cols);
                qmat wm = {t, rows, cols, rb, w, NULL, 0};
                qgemm_k_fn fn[QGEMM_N_ISA] = {0};
                for (int v = QGEMM_AVX2; v < QGEMM_N_ISA; v++)
                    fn[v] = qgemm_k_isa_fn(t, (qgemm_isa)v);
                double ops = 2.0 * rows * cols * B, *g[N_COL];
                /* enough calls per timing to last ~20 ms at ~50 GOPS */
                int inner = (int)(1e9 / ops) + 1;
                for (int v = 0; v < N_COL; v++)
                    g[v] = calloc((size_t)reps, sizeof(double));
                for (int rep = 0; rep < reps; rep++)
                    for (int v = QGEMM_AVX2; v < N_COL; v++) {
                        if (v < QGEMM_N_ISA && !fn[v])
                            continue;
                        /* the old path at B = 1 runs ~1 GOPS: fewer calls */
                        int n_it = v == COL_FLOAT && B < MATMUL_GEMM_MIN ? (inner + 9) / 10 : inner;
                        m.float_act = v == COL_FLOAT;
                        double t0 = now_s();
                        for (int it = 0; it < n_it; it++) {
                            if (v < QGEMM_N_ISA)
                                fn[v](out, (size_t)rows, w, rb, 0, rows, act, nb, B);
                            else
                                matmul(out, x, &wm, B, &m);
                        }
                        g[v][rep] = ops * n_it / (now_s() - t0) * 1e-9;
                    }
                double med[N_COL];
                for (int v = 0; v < N_COL; v++) {
                    qsort(g[v], (size_t)reps, sizeof(double), dbl_cmp);
                    med[v] = g[v][reps / 2];
                    free(g[v]);
                }
                printf("%-5s %5dx%-5d %4d", ggml_type_name(t), rows, cols, B);
                for (int v = QGEMM_AVX2; v < QGEMM_N_ISA; v++)
                    if (fn[v])
                        printf(" %11.1f", med[v]);
                    else
                        printf(" %11s", "-");
                printf(" %8.1f %8.1f %9.2f\n", med[COL_INT], med[COL_FLOAT],
                       med[COL_INT] / med[COL_FLOAT]);
                fflush(stdout);
                free(w);
                free(row);
                free(x);
                free(out);
                free(act);
                free(m.act);
                free(m.tiles);
            }
    pool_free(p);
    return 0;
}
