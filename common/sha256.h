/*
 * sha256.h -- SHA-256 (FIPS 180-4) of a buffer or a file, as lower-case hex.
 *
 * For provenance only: the GGUF metadata of a trained model records the
 * hash of its corpus or teacher file, so a reader can tell which file it
 * was made from (the same digest `sha256sum` prints).  Not a MAC and not
 * constant-time; nothing here is secret.
 */
#ifndef AS_SHA256_H
#define AS_SHA256_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t n_bytes;
    unsigned char buf[64];
    size_t n_buf;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* 32 bytes of digest into out; c is spent. */
void sha256_final(unsigned char out[32], sha256_ctx *c);

/* hex (65 bytes: 64 digits and a NUL) of len bytes at data. */
void sha256_hex(char hex[65], const void *data, size_t len);

/* hex of the file at path, read in blocks; AS_ERR_IO naming the file. */
as_err sha256_file_hex(char hex[65], const char *path);

#endif
