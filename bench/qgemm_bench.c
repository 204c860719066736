/*
 * qgemm_bench.c -- the integer tile kernels (model/qgemm.h: Q8_0, Q4_0, Q5_0) against their
 * peers in one process, one thread: every variant this CPU runs, and
 * OpenBLAS sgemm on the same product in floats (the weights dequantized
 * beforehand, so sgemm does only the arithmetic).  The variants run
 * back to back inside each repetition, so a loaded machine slows them
 * alike and the ratios stay readable; medians of REPS repetitions.
 *
 * Shapes are the matrices of SmolLM2-135M (576 -> 1536, 1536 -> 576) and
 * Qwen2.5-0.5B (896 -> 4864) at batch 1 (decode), 32 (batched decode) and
 * 128 (prefill).  Time is this thread's CPU time, not the wall clock: on a
 * shared 2-core machine the thread is descheduled for whole slices, which
 * the wall clock would count and the CPU clock does not.  Prints GOPS (2 x rows x cols x batch per second) and the
 * ratio of each variant to sgemm.  Not part of the library; usage:
 * qgemm_bench [REPS].
 */
#include "model/matmul.h"
#include "model/qgemm.h"

#include <cblas.h>
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

#define N_VAR (QGEMM_N_ISA) /* the SIMD variants, then sgemm in the reference's slot */

int main(int argc, char **argv)
{
    int reps = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 7;
    if (reps < 1 || reps > 1000)
        reps = 7;
    openblas_set_num_threads(1);
    /* rows, cols; the last, 59 MiB in Q8_0, is a decode-only shape larger than
     * the last-level cache: the weights stream from memory as in decode */
    static const int shapes[][2] = {{1536, 576}, {576, 1536}, {4864, 896}, {65536, 896}};
    static const int batches[] = {1, 32, 128};
    static const ggml_type types[] = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q5_0};
    printf("qgemm variants, 1 thread, GOPS, median of %d; fast = %s\n", reps, qgemm_fast_name());
    printf("%-5s %-11s %5s", "type", "rows x cols", "B");
    for (int v = 1; v < N_VAR; v++)
        printf(" %11s", qgemm_isa_name((qgemm_isa)v));
    printf(" %11s %8s %8s\n", "sgemm", "fast/sg", "fast/avx2");
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
            for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
                ggml_type t = types[ti];
                int rows = shapes[si][0], cols = shapes[si][1], B = batches[bi], nb = cols / QK;
                if (rows > 8192 && B > 1)
                    continue;
                size_t rb = ggml_row_size(t, (uint64_t)cols);
                char *w = malloc((size_t)rows * rb);
                float *wf = malloc((size_t)rows * cols * sizeof(float));
                float *x = malloc((size_t)B * cols * sizeof(float));
                float *out = malloc((size_t)B * rows * sizeof(float));
                blk_q8_act *act = malloc((size_t)B * nb * sizeof *act);
                if (!w || !wf || !x || !out || !act)
                    return 1;
                for (size_t i = 0; i < (size_t)rows * cols; i++)
                    wf[i] = frand();
                for (int r = 0; r < rows; r++)
                    quant_quantize_row(w + (size_t)r * rb, wf + (size_t)r * cols, t, cols);
                for (int r = 0; r < rows; r++)
                    quant_dequant_row(wf + (size_t)r * cols, w + (size_t)r * rb, t, cols);
                for (size_t i = 0; i < (size_t)B * cols; i++)
                    x[i] = frand();
                for (int b = 0; b < B; b++)
                    quant_act_q8(act + (size_t)b * nb, x + (size_t)b * cols, cols);
                qgemm_fn fn[N_VAR];
                for (int v = 1; v < N_VAR; v++)
                    fn[v] = qgemm_isa_fn(t, (qgemm_isa)v);
                double ops = 2.0 * rows * cols * B, *g[N_VAR];
                /* enough calls per timing to last ~20 ms at ~50 GOPS */
                int inner = (int)(1e9 / ops) + 1;
                for (int v = 0; v < N_VAR; v++)
                    g[v] = calloc((size_t)reps, sizeof(double));
                for (int rep = 0; rep < reps; rep++)
                    for (int v = 0; v < N_VAR; v++) {
                        double t0 = now_s();
                        for (int it = 0; it < inner; it++) {
                            if (v > 0 && fn[v])
                                fn[v](out, (size_t)rows, w, rb, 0, rows, act, nb, B);
                            else if (v == 0)
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, rows, cols,
                                            1.0f, x, cols, wf, cols, 0.0f, out, rows);
                        }
                        g[v][rep] = ops * inner / (now_s() - t0) * 1e-9;
                    }
                double med[N_VAR];
                for (int v = 0; v < N_VAR; v++) {
                    qsort(g[v], (size_t)reps, sizeof(double), dbl_cmp);
                    med[v] = g[v][reps / 2];
                    free(g[v]);
                }
                double fast = 0;
                printf("%-5s %5dx%-5d %5d", ggml_type_name(t), rows, cols, B);
                for (int v = 1; v < N_VAR; v++) {
                    if (fn[v])
                        printf(" %11.1f", med[v]);
                    else
                        printf(" %11s", "-");
                    if (fn[v] == qgemm_fast(t))
                        fast = med[v];
                }
                printf(" %11.1f %8.2f %8.2f\n", med[0], fast / med[0], fast / med[QGEMM_AVX2]);
                free(w);
                free(wf);
                free(x);
                free(out);
                free(act);
            }
    return 0;
}
