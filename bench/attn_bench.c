/*
 * attn_bench.c -- the attention kernels over a half KV cache (model/quant.h:
 * quant_scores_f16, quant_values_f16) and the softmax exponentials
 * (model/vecmath.h: vec_softmax_exp), fast variant against the plain loops
 * in one process, one thread, for the head sizes of stories260K (8), the
 * built-in summary model (24) and SmolLM2 / Qwen2.5 (64), over 300
 * positions of a cache whose rows are 96 halves apart.  The variants run
 * back to back inside each repetition, so a loaded machine slows them
 * alike; medians of REPS repetitions of this thread's CPU time.  Prints
 * ns per position and plain / fast.  Not part of the library; usage:
 * attn_bench [REPS].
 */
#include "model/quant.h"
#include "model/vecmath.h"

#include "bench/cpu_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LEN = 300, STRIDE = 96, INNER = 2000, MAXREPS = 51 };

int main(int argc, char **argv)
{
    int reps = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 7;
    reps = reps < 1 ? 1 : reps > MAXREPS ? MAXREPS : reps;
    static uint16_t kv[LEN * STRIDE];
    static float q[64], att[LEN], p[LEN], y[64];
    uint32_t r = 1;
    for (int i = 0; i < LEN * STRIDE; i++) {
        r = r * 1664525u + 1013904223u;
        kv[i] = f32_to_fp16(((float)(r >> 8) / 16777216.0f - 0.5f) * 4);
    }
    for (int i = 0; i < 64; i++)
        q[i] = (float)((i * 37) % 19 - 9) / 10;
    for (int t = 0; t < LEN; t++)
        p[t] = 1.0f / (float)(t + 2);
    printf("attention kernels, 1 thread, ns per position over %d positions, median of %d; fast = %s\n",
           LEN, reps, quant_fast_name());
    printf("%-8s %5s %10s %10s %8s\n", "kernel", "head", "plain", "fast", "ratio");
    static const int heads[3] = {8, 24, 64};
    double sink = 0;
    for (int h = 0; h < 3; h++) {
        int n = heads[h];
        for (int k = 0; k < 3; k++) { /* scores, values, softmax exp */
            if (k == 2 && h > 0)
                continue; /* the exponentials do not depend on the head */
            double ts[2][MAXREPS];
            for (int rep = 0; rep < reps; rep++)
                for (int fast = 0; fast < 2; fast++) {
                    double t0 = now_s();
                    for (int i = 0; i < INNER; i++) {
                        if (k == 0)
                            quant_scores_f16(fast)(att, kv, STRIDE, q, n, LEN, 0.125f);
                        else if (k == 1)
                            quant_values_f16(fast)(y, p, kv, STRIDE, n, LEN);
                        else {
                            for (int t = 0; t < LEN; t++)
                                att[t] = (float)(t % 37) * -0.25f;
                            sink += vec_softmax_exp(fast)(att, LEN);
                        }
                    }
                    ts[fast][rep] = (now_s() - t0) / INNER / LEN * 1e9;
                    sink += att[7] + y[3];
                }
            qsort(ts[0], (size_t)reps, sizeof(double), dbl_cmp);
            qsort(ts[1], (size_t)reps, sizeof(double), dbl_cmp);
            double a = ts[0][reps / 2], b = ts[1][reps / 2];
            static const char *const names[3] = {"scores", "values", "softexp"};
            printf("%-8s %5d %10.2f %10.2f %8.2f\n", names[k], k == 2 ? 0 : n, a, b, a / b);
        }
    }
    return sink == 12345.678 ? 1 : 0; /* keeps the work observable */
}
