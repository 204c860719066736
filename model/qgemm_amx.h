/*
 * qgemm_amx.h -- the Q8_0 / Q4_0 / Q5_0 x Q8 product of qgemm.h on Intel AMX tiles
 * (AMX-INT8: Sapphire Rapids and later Xeons), for prefill and batched
 * decode.  Same contract as qgemm_fn; qgemm.c picks it as the variant
 * QGEMM_AMX when the CPU has it and Linux grants the process the tile
 * state.  Batches too small to fill a tile, and the last rows that do not
 * fill one, go to the AVX-512 kernel.
 */
#ifndef AS_QGEMM_AMX_H
#define AS_QGEMM_AMX_H

#include "model/quant.h"

#include <stddef.h>

/* 1 when this CPU has AMX-TILE and AMX-INT8 and arch_prctl granted
 * XTILEDATA to the process (asked once; the answer is cached). */
int qgemm_amx_usable(void);

void qgemm_amx_q8_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B);
void qgemm_amx_q4_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B);
void qgemm_amx_q5_0(float *out, size_t ldo, const void *w, size_t row_bytes, long r0, long r1,
                    const blk_q8_act *act, int nb, int B);

#endif
