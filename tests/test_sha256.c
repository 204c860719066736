/*
 * test_sha256.c -- SHA-256 against the FIPS 180-4 example vectors ("abc",
 * the two-block 448-bit message, one million 'a'), the empty message and a
 * 823-byte message whose padding spills into an extra block, with the
 * digests computed by Python's hashlib (written below); incremental
 * updates of odd sizes give the one-shot digest; a file's digest is what
 * coreutils' sha256sum prints for it (the committed built-in model).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_vectors(void **state)
{
    (void)state;
    char hex[65];
    sha256_hex(hex, "abc", 3);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex(hex, "", 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(hex, two, strlen(two));
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    sha256_hex(hex, a, 1000000);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* hashlib.sha256(bytes(range(256)) * 3 + b'x' * 55): 823 bytes, 823 % 64 = 55
 * leaves no room for the length, so the padding takes a block of its own;
 * fed 1, 7, 64, 100, ... bytes at a time. */
static void test_incremental(void **state)
{
    (void)state;
    unsigned char msg[823];
    for (int i = 0; i < 768; i++)
        msg[i] = (unsigned char)(i % 256);
    memset(msg + 768, 'x', 55);
    const char *want = "1d099a857037971bbd4c2e0a22e35939ef393d1831523e67d125d194e77ee949";
    char hex[65];
    sha256_hex(hex, msg, sizeof msg);
    assert_string_equal(hex, want);
    static const size_t steps[] = {1, 7, 64, 100, 3, 200};
    sha256_ctx c;
    sha256_init(&c);
    size_t at = 0;
    for (int k = 0; at < sizeof msg; k++) {
        size_t n = steps[k % 6] < sizeof msg - at ? steps[k % 6] : sizeof msg - at;
        sha256_update(&c, msg + at, n);
        at += n;
    }
    unsigned char d[32];
    sha256_final(d, &c);
    for (int i = 0; i < 32; i++) {
        char two[3];
        snprintf(two, sizeof two, "%02x", d[i]);
        assert_memory_equal(two, want + 2 * i, 2);
    }
}

static void test_file(void **state)
{
    (void)state;
    const char *src = getenv("AS_SRC_DIR");
    char path[1024], hex[65];
    snprintf(path, sizeof path, "%s/model/weights/aftershock-summary.gguf", src ? src : ".");
    char want[65], cmd[1200];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(want, sizeof want, f));
    pclose(f);
    assert_int_equal(sha256_file_hex(hex, path), AS_OK);
    assert_string_equal(hex, want);
    assert_int_equal(sha256_file_hex(hex, "/nonexistent/x"), AS_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
