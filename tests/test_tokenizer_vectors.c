/*
 * test_tokenizer_vectors.c -- the tokenizers against llama.cpp's own
 * outputs: every case of ../shared/models/vocab/ggml-vocab-*.gguf.inp/.out
 * (llama.cpp's test-tokenizer-0 files: inputs separated by a
 * "\n__ggml_vocab_test__\n" line, one line of space-separated ids per
 * input, encoded without BOS and without parsing special tokens), and the
 * prompt ids llama.cpp printed in ../shared/models/reference-outputs.md.
 * Each case is also decoded back and must give its input again.
 * Ids are integers: they must match exactly, no tolerance.
 * Skips, saying why, when ../shared (AS_SHARED_DIR) is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/gguf.h"
#include "model/tokenizer.h"
#include "model/tokenizer_impl.h"

static char models_dir[4096];

static int shared_present(void)
{
    const char *s = getenv("AS_SHARED_DIR");
    struct stat st;
    snprintf(models_dir, sizeof models_dir, "%s/models", s && *s ? s : "../shared");
    return stat(models_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

#define NEED_SHARED()                                                                  \
    do {                                                                               \
        if (!shared_present()) {                                                       \
            printf("skip: %s absent (set AS_SHARED_DIR to the shared data)\n", models_dir); \
            skip();                                                                    \
        }                                                                              \
    } while (0)

/* Whole file as a heap buffer (caller frees); *len its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static tokenizer *load(const char *rel)
{
    char path[4200];
    gguf_file *g;
    tokenizer *t;
    snprintf(path, sizeof path, "%s/%s", models_dir, rel);
    as_err e = gguf_open(&g, path);
    if (e != AS_OK)
        fail_msg("%s: %s", path, as_last_error());
    e = tokenizer_new_from_gguf(&t, g);
    if (e != AS_OK)
        fail_msg("%s: %s", path, as_last_error());
    gguf_close(g);
    return t;
}

static void run_vectors(const char *name)
{
    char rel[256], path[4400];
    size_t inp_len, out_len;
    static const char sep[] = "\n__ggml_vocab_test__\n";
    NEED_SHARED();
    int32_t *ids = malloc(65536 * sizeof *ids);
    char *text_back = malloc(65536);
    int round_trip_failed = 0;
    assert_non_null(ids);
    assert_non_null(text_back);
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf", name);
    tokenizer *t = load(rel);
    snprintf(path, sizeof path, "%s/%s.inp", models_dir, rel);
    char *inp = slurp(path, &inp_len);
    snprintf(path, sizeof path, "%s/%s.out", models_dir, rel);
    char *out = slurp(path, &out_len);

    int cases = 0, passed = 0;
    char *in_at = inp, *out_at = out;
    char *next;
    while ((next = strstr(in_at, sep)) != NULL) {
        size_t len = (size_t)(next - in_at);
        char *eol = strchr(out_at, '\n');
        assert_non_null(eol);   /* as many output lines as inputs */
        *eol = '\0';

        int n = 0;
        as_err e = tokenizer_encode(ids, 65536, &n, t, in_at, len, 0);
        assert_int_equal(e, AS_OK);

        int ok = 1, k = 0;
        char *p = out_at, *end;
        for (;;) {
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            if (k >= n || ids[k] != v)
                ok = 0;
            k++;
            p = end;
        }
        assert_true(*p == '\0');   /* nothing but ids on the line */
        if (k != n)
            ok = 0;
        /* and back: the pieces spell the input again, byte for byte (the
         * inputs are valid UTF-8 and every byte has a token) */
        size_t dlen = 0;
        assert_int_equal(tokenizer_decode(text_back, 65536, &dlen, t, ids, n, 0), AS_OK);
        if (dlen != len || memcmp(text_back, in_at, len) != 0) {
            printf("%s case %d: decodes to '%s'\n", name, cases + 1, text_back);
            round_trip_failed++;
        }
        cases++;
        passed += ok;
        if (!ok) {
            printf("%s case %d: input '%.*s'\n  expected:%s\n  got:     ", name, cases, (int)len, in_at,
                   out_at);
            for (int i = 0; i < n; i++)
                printf(" %d", ids[i]);
            printf("\n");
        }
        in_at = next + sizeof sep - 1;
        out_at = eol + 1;
    }
    assert_true(*in_at == '\0');   /* the file ends with a separator */
    assert_true(*out_at == '\0');  /* no output line left over */
    printf("%s: %d/%d cases match llama.cpp\n", name, passed, cases);
    assert_true(cases > 40);
    assert_int_equal(passed, cases);
    assert_int_equal(round_trip_failed, 0);
    free(text_back);
    free(inp);
    free(out);
    free(ids);
    tokenizer_free(t);
}

static void test_vectors_llama_spm(void **state)
{
    (void)state;
    run_vectors("llama-spm");
}

static void test_vectors_gpt2(void **state)
{
    (void)state;
    run_vectors("gpt-2");
}

static void test_vectors_llama_bpe(void **state)
{
    (void)state;
    run_vectors("llama-bpe");
}

static void test_vectors_qwen2(void **state)
{
    (void)state;
    run_vectors("qwen2");
}

/* Encode text with BOS as the vocabulary asks and special tokens parsed, as
 * llama-tokenize and the greedy-ids helper do, and compare. */
static void check_prompt(const char *rel, const char *text, const int32_t *want, int n_want)
{
    int32_t ids[256];
    int n = 0;
    tokenizer *t = load(rel);
    as_err e = tokenizer_encode(ids, 256, &n, t, text, strlen(text),
                                TOKENIZER_ADD_SPECIAL | TOKENIZER_PARSE_SPECIAL);
    assert_int_equal(e, AS_OK);
    assert_int_equal(n, n_want);
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
    tokenizer_free(t);
}

#define CHECK_PROMPT(rel, text, ...)                                                   \
    do {                                                                               \
        static const int32_t w_[] = {__VA_ARGS__};                                     \
        check_prompt(rel, text, w_, (int)(sizeof w_ / sizeof w_[0]));                  \
    } while (0)

/* The "Tokenizer references" block of reference-outputs.md. */
static void test_reference_hello(void **state)
{
    (void)state;
    NEED_SHARED();
    const char *s = "Hello world! Once upon a time, there was a little girl named Lily.";
    CHECK_PROMPT("vocab/ggml-vocab-llama-spm.gguf", s, 1, 15043, 3186, 29991, 9038, 2501, 263, 931,
                 29892, 727, 471, 263, 2217, 7826, 4257, 365, 2354, 29889);
    CHECK_PROMPT("vocab/ggml-vocab-llama-bpe.gguf", s, 128000, 9906, 1917, 0, 9843, 5304, 264, 892, 11,
                 1070, 574, 264, 2697, 3828, 7086, 48390, 13);
    CHECK_PROMPT("vocab/ggml-vocab-qwen2.gguf", s, 9707, 1879, 0, 9646, 5193, 264, 882, 11, 1052, 572,
                 264, 2632, 3743, 6941, 47290, 13);
    CHECK_PROMPT("vocab/ggml-vocab-gpt-2.gguf", s, 15496, 995, 0, 4874, 2402, 257, 640, 11, 612, 373,
                 257, 1310, 2576, 3706, 20037, 13);
    CHECK_PROMPT("stories260K.gguf", s, 1, 346, 306, 414, 263, 304, 341, 443, 403, 407, 261, 378, 432,
                 383, 286, 261, 376, 298, 315, 421, 395, 317, 426);
}

/* The prompt_tokens lines of the greedy generations in reference-outputs.md. */
static void test_reference_prompts(void **state)
{
    (void)state;
    NEED_SHARED();
    CHECK_PROMPT("stories260K.gguf", "Once upon a time", 1, 403, 407, 261, 378);
    CHECK_PROMPT("llama-2-tiny-random.gguf", "Hello my name is", 1, 15043, 590, 1024, 338);
    CHECK_PROMPT("stories260K.gguf",
                 "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
                 "park. One day, she saw a big, red ball. Lily wanted to",
                 1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401,
                 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358,
                 394, 261, 370, 432, 352, 266, 268, 388, 426, 317, 391, 266, 267);
}

/* SPM merges word by word when the vocabulary allows it (spm_word_split in
 * tokenizer_impl.h); llama.cpp runs one queue over the whole text.  Both
 * must give the same ids: every test input at once, and the inputs glued
 * together many times (spaces, newlines, CJK, emoji, byte fallback). */
static void test_spm_word_split_same_ids(void **state)
{
    (void)state;
    char path[4400];
    size_t len;
    NEED_SHARED();
    tokenizer *t = load("vocab/ggml-vocab-llama-spm.gguf");
    assert_true(t->spm_word_split);   /* Llama 2's vocabulary allows it */
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-llama-spm.gguf.inp", models_dir);
    char *inp = slurp(path, &len);
    size_t big_len = 20 * len;
    char *big = malloc(big_len);
    assert_non_null(big);
    for (int i = 0; i < 20; i++)
        memcpy(big + (size_t)i * len, inp, len);
    int max = (int)big_len + 16, n_split = 0, n_whole = 0;
    int32_t *a = malloc((size_t)max * sizeof *a), *b = malloc((size_t)max * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(tokenizer_encode(a, max, &n_split, t, big, big_len, TOKENIZER_ADD_SPECIAL), AS_OK);
    t->spm_word_split = 0;
    assert_int_equal(tokenizer_encode(b, max, &n_whole, t, big, big_len, TOKENIZER_ADD_SPECIAL), AS_OK);
    assert_int_equal(n_split, n_whole);
    assert_memory_equal(a, b, (size_t)n_split * sizeof *a);
    printf("llama-spm: %zu bytes, %d ids, the same word by word and whole\n", big_len, n_split);
    free(a);
    free(b);
    free(big);
    free(inp);
    tokenizer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_llama_spm),
        cmocka_unit_test(test_vectors_gpt2),
        cmocka_unit_test(test_vectors_llama_bpe),
        cmocka_unit_test(test_vectors_qwen2),
        cmocka_unit_test(test_reference_hello),
        cmocka_unit_test(test_reference_prompts),
        cmocka_unit_test(test_spm_word_split_same_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
