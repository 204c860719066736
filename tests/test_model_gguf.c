/*
 * test_model_gguf.c -- the GGUF reader on real files from ../shared/models, on
 * hostile copies made here by corrupting them byte by byte (and valid copies
 * with a tensor type the engine cannot compute), and on a v2 file made from a
 * v3 one.
 *
 * Expected values come from ../shared/models/PROVENANCE.md (written from
 * gguf-py's dump of the same files): stories260K is GGUF v3, 48 F32 tensors,
 * n_embd 64, 5 layers, 8 heads, 4 kv heads, vocab 512.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/gguf.h"
#include "model/gguf_write.h"
#include "model/synth.h"
#include "model/transformer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char shared_dir[1024];
static char tmp_dir[1024];

static int shared_path(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/models/%s", shared_dir, rel);
    return access(out, R_OK) == 0;
}

#define NEED_SHARED(buf, rel)                                                        \
    do {                                                                             \
        if (!shared_path(buf, sizeof buf, rel)) {                                    \
            printf("skip: %s not found (set AS_SHARED_DIR to the shared folder)\n", buf); \
            skip();                                                                  \
        }                                                                            \
    } while (0)

static unsigned char *file_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void file_write(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_stories_metadata(void **state)
{
    (void)state;
    char path[1200];
    NEED_SHARED(path, "stories260K.gguf");
    gguf_file *g;
    assert_int_equal(gguf_open(&g, path), AS_OK);
    assert_int_equal(g->version, 3);
    assert_int_equal(g->n_tensors, 48);
    uint32_t u;
    assert_int_equal(gguf_get_u32(g, "llama.embedding_length", &u), AS_OK);
    assert_int_equal(u, 64);
    assert_int_equal(gguf_get_u32(g, "llama.block_count", &u), AS_OK);
    assert_int_equal(u, 5);
    assert_int_equal(gguf_get_u32(g, "llama.attention.head_count", &u), AS_OK);
    assert_int_equal(u, 8);
    assert_int_equal(gguf_get_u32(g, "llama.attention.head_count_kv", &u), AS_OK);
    assert_int_equal(u, 4);
    float eps;
    assert_int_equal(gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &eps), AS_OK);
    assert_float_equal(eps, 1e-5f, 1e-12f);
    gguf_str s;
    assert_int_equal(gguf_get_str(g, "general.architecture", &s), AS_OK);
    assert_true(gguf_str_eq(s, "llama"));
    assert_int_equal(gguf_get_u32(g, "no.such.key", &u), AS_ERR_NOT_FOUND);
    assert_int_equal(gguf_get_u32(g, "general.architecture", &u), AS_ERR_FORMAT);

    gguf_str *toks;
    size_t n;
    assert_int_equal(gguf_arr_strings(&toks, &n, g, "tokenizer.ggml.tokens"), AS_OK);
    assert_int_equal(n, 512);
    /* SPM vocab of llama2.c: 0 <unk>, 1 <s>, 2 </s>, 3.. byte tokens */
    assert_true(gguf_str_eq(toks[1], "<s>"));
    assert_true(gguf_str_eq(toks[3], "<0x00>"));
    free(toks);
    float *scores;
    assert_int_equal(gguf_arr_f32(&scores, &n, g, "tokenizer.ggml.scores"), AS_OK);
    assert_int_equal(n, 512);
    free(scores);
    int32_t *types;
    assert_int_equal(gguf_arr_i32(&types, &n, g, "tokenizer.ggml.token_type"), AS_OK);
    assert_int_equal(types[1], 3); /* CONTROL */
    free(types);

    const gguf_tensor *t = gguf_tensor_find(g, "token_embd.weight");
    assert_non_null(t);
    assert_int_equal(t->type, GGML_TYPE_F32);
    assert_int_equal(t->ne[0], 64);
    assert_int_equal(t->ne[1], 512);
    assert_int_equal(t->nbytes, 64 * 512 * 4);
    gguf_close(g);
}

static void test_derived_types(void **state)
{
    (void)state;
    static const struct { const char *file; ggml_type type; } cases[] = {
        {"derived/stories260K-F16.gguf", GGML_TYPE_F16},
        {"derived/stories260K-Q8_0.gguf", GGML_TYPE_Q8_0},
        {"derived/stories260K-Q4_0.gguf", GGML_TYPE_Q4_0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1200];
        NEED_SHARED(path, cases[i].file);
        gguf_file *g;
        assert_int_equal(gguf_open(&g, path), AS_OK);
        const gguf_tensor *t = gguf_tensor_find(g, "blk.0.attn_q.weight");
        assert_non_null(t);
        assert_int_equal(t->type, cases[i].type);
        assert_int_equal(t->nbytes, ggml_row_size(t->type, 64) * 64);
        gguf_close(g);
    }
}

/* Open a corrupted copy and require a clean AS_ERR_FORMAT whose message
 * names the file. */
static void expect_format_error(const unsigned char *buf, size_t n, const char *needle)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/hostile.gguf", tmp_dir);
    file_write(path, buf, n);
    gguf_file *g = NULL;
    as_err e = gguf_open(&g, path);
    if (e != AS_ERR_FORMAT)
        fail_msg("expected AS_ERR_FORMAT, got %d (%s) for %s", e, as_last_error(), needle);
    assert_null(g);
    assert_non_null(strstr(as_last_error(), "hostile.gguf"));
    if (needle && !strstr(as_last_error(), needle))
        fail_msg("message '%s' lacks '%s'", as_last_error(), needle);
}

/* Offset of the tensor info of name: the 8-byte length before its name. */
static size_t tensor_info_at(const unsigned char *buf, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 8; i + len <= n; i++)
        if (memcmp(buf + i, name, len) == 0 && buf[i - 8] == len && buf[i + len] <= 4)
            return i - 8;
    fail_msg("tensor info '%s' not found", name);
    return 0;
}

static void test_hostile(void **state)
{
    (void)state;
    char path[1200];
    NEED_SHARED(path, "stories260K.gguf");
    size_t n;
    unsigned char *orig = file_read(path, &n);
    unsigned char *buf = malloc(n);
    assert_non_null(buf);

    memcpy(buf, orig, n);
    buf[0] = 'X';
    expect_format_error(buf, n, "bad magic");

    memcpy(buf, orig, n);
    buf[4] = 0x7f; /* version */
    expect_format_error(buf, n, "version");

    memcpy(buf, orig, n);
    memset(buf + 8, 0xff, 8); /* tensor count 2^64-1 */
    expect_format_error(buf, n, "absurd counts");

    memcpy(buf, orig, n);
    memset(buf + 16, 0x7f, 8); /* metadata count */
    expect_format_error(buf, n, "absurd counts");

    /* first metadata key length made huge */
    memcpy(buf, orig, n);
    memset(buf + 24, 0xee, 8);
    expect_format_error(buf, n, "string length");

    size_t ti = tensor_info_at(orig, n, "token_embd.weight");
    size_t after_name = ti + 8 + strlen("token_embd.weight");
    /* layout: n_dims u32, ne[2] u64, type u32, offset u64 */
    memcpy(buf, orig, n);
    buf[after_name] = 9;
    expect_format_error(buf, n, "dimensions");

    memcpy(buf, orig, n);
    buf[after_name + 4 + 16] = 77;
    expect_format_error(buf, n, "unknown tensor type 77");

    memcpy(buf, orig, n);
    memset(buf + after_name + 4 + 8, 0x40, 8); /* ne[1] enormous */
    expect_format_error(buf, n, "out of range");

    memcpy(buf, orig, n);
    memset(buf + after_name + 4, 0, 8); /* ne[0] = 0 */
    expect_format_error(buf, n, "dimension 0");

    memcpy(buf, orig, n);
    buf[after_name + 4 + 16] = GGML_TYPE_Q8_0;
    buf[after_name + 4] = 33; /* row 33 not a multiple of 32 */
    expect_format_error(buf, n, "block size");

    memcpy(buf, orig, n);
    memset(buf + after_name + 4 + 16 + 4, 0, 8);
    buf[after_name + 4 + 16 + 4 + 5] = 0x10; /* offset far past the end */
    expect_format_error(buf, n, "outside");

    memcpy(buf, orig, n);
    buf[after_name + 4 + 16 + 4] |= 1; /* misaligned offset */
    expect_format_error(buf, n, "aligned");

    /* Valid but unsupported: a tensor of a ggml type we can parse but not
     * compute with (Q4_1, Q5_1 and Q8_1, 32-element blocks: a row of 64 is a
     * whole number of them, and their bytes fit in the F32 data).  The
     * file opens, the model does not: AS_ERR_UNSUPPORTED naming the file,
     * the tensor and the type. */
    static const ggml_type unsupported[3] = {GGML_TYPE_Q4_1, GGML_TYPE_Q5_1, GGML_TYPE_Q8_1};
    static const char *const victims[2] = {"token_embd.weight", "blk.2.attn_v.weight"};
    for (int u = 0; u < 3; u++)
        for (int v = 0; v < 2; v++) {
            size_t at = tensor_info_at(orig, n, victims[v]) + 8 + strlen(victims[v]);
            memcpy(buf, orig, n);
            buf[at + 4 + 16] = (unsigned char)unsupported[u];
            char hp[1200], want[128];
            snprintf(hp, sizeof hp, "%s/hostile.gguf", tmp_dir);
            file_write(hp, buf, n);
            gguf_file *g;
            assert_int_equal(gguf_open(&g, hp), AS_OK);
            const gguf_tensor *t = gguf_tensor_find(g, victims[v]);
            assert_int_equal(t->type, unsupported[u]);
            assert_int_equal(t->nbytes, ggml_row_size(unsupported[u], t->ne[0]) * t->ne[1]);
            gguf_close(g);
            model *m = NULL;
            as_err e = model_open(&m, hp);
            if (e != AS_ERR_UNSUPPORTED)
                fail_msg("%s as %s: model_open gave %d (%s)", victims[v],
                         ggml_type_name(unsupported[u]), e, as_last_error());
            assert_null(m);
            snprintf(want, sizeof want, "tensor '%s' has type %s", victims[v],
                     ggml_type_name(unsupported[u]));
            if (!strstr(as_last_error(), "hostile.gguf") || !strstr(as_last_error(), want))
                fail_msg("message '%s' lacks the file or '%s'", as_last_error(), want);
        }

    /* Truncation at every point of the header and at a few points in the
     * data: a clean error each time, never a crash (ASan checks the reads). */
    for (size_t cut = 24; cut < n; cut += (cut < ti + 4096 ? 7 : 50021))
        expect_format_error(orig, cut, NULL);
    free(buf);
    free(orig);
}

/* GGUF v2 against v3.  ggml's docs/gguf.md: version 3 "introduces
 * big-endian support" and nothing else; v2 (llama.cpp PR #2821) had made
 * every count, length and dimension 64-bit, which v3 kept.  A little-endian
 * v3 file with its version field set to 2 is therefore a v2 file, byte for
 * byte the same after offset 8, and must load to the same model: the same
 * metadata, tensors, and bit-identical logits.  Version 1 (32-bit counts)
 * is refused as unsupported. */
static void test_gguf_v2(void **state)
{
    (void)state;
    char v3[1200], v2[1200];
    snprintf(v3, sizeof v3, "%s/v3.gguf", tmp_dir);
    snprintf(v2, sizeof v2, "%s/v2.gguf", tmp_dir);
    synth_params sp = {MODEL_ARCH_QWEN2, 64, 2, 4, 2, 128, 512, GGML_TYPE_Q8_0, 5, 0};
    assert_int_equal(synth_write(&sp, v3), AS_OK);
    size_t n;
    unsigned char *buf = file_read(v3, &n);
    static const unsigned char le3[4] = {3, 0, 0, 0}, le2[4] = {2, 0, 0, 0};
    assert_memory_equal(buf + 4, le3, 4); /* our writer's version, little-endian */
    memcpy(buf + 4, le2, 4);
    file_write(v2, buf, n);

    gguf_file *a, *b;
    assert_int_equal(gguf_open(&a, v3), AS_OK);
    assert_int_equal(gguf_open(&b, v2), AS_OK);
    assert_int_equal(a->version, 3);
    assert_int_equal(b->version, 2);
    assert_int_equal(b->n_kv, a->n_kv);
    assert_int_equal(b->n_tensors, a->n_tensors);
    assert_int_equal(b->data_offset, a->data_offset);
    for (uint64_t i = 0; i < a->n_tensors; i++) {
        assert_string_equal(b->tensors[i].name, a->tensors[i].name);
        assert_int_equal(b->tensors[i].type, a->tensors[i].type);
        assert_int_equal(b->tensors[i].offset, a->tensors[i].offset);
    }
    gguf_close(a);
    gguf_close(b);

    model *m[2];
    model_state *st[2];
    const char *paths[2] = {v3, v2};
    int tok[4] = {1, 300, 301, 302}, pos[4] = {0, 1, 2, 3}, seq[4] = {0}, got;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(model_open(&m[k], paths[k]), AS_OK);
        assert_int_equal(model_state_new(&st[k], m[k], 1, 8, 4, 1, 0), AS_OK);
        model_batch bt = {4, tok, pos, seq, NULL};
        assert_int_equal(model_forward(st[k], &bt, &got), AS_OK);
    }
    assert_int_equal(m[1]->file->version, 2);
    assert_memory_equal(st[0]->logits, st[1]->logits, 512 * sizeof(float));
    for (int k = 0; k < 2; k++) {
        model_state_free(st[k]);
        model_close(m[k]);
    }

    buf[4] = 1;
    file_write(v2, buf, n);
    gguf_file *g = NULL;
    assert_int_equal(gguf_open(&g, v2), AS_ERR_UNSUPPORTED);
    assert_null(g);
    assert_non_null(strstr(as_last_error(), "GGUF version 1"));
    free(buf);
    unlink(v2);
    unlink(v3);
}

/* gguf_kv_format on values written here, each worked out by hand. */
static void test_kv_format(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof path, "%s/kv-format.gguf", tmp_dir);
    gguf_writer *w = gguf_writer_new();
    assert_non_null(w);
    static const char *const strs[3] = {"a", "b", "c"};
    static const float fl[2] = {1, 2};
    gguf_writer_add_str(w, "s.escapes", "tab\tnl\ncr\rback\\bell\x07" "del\x7f" " caf\xc3\xa9");
    gguf_writer_add_str(w, "s.long", "\xc3\xa9\xc3\xa9\xc3\xa9"); /* 6 bytes: e-acute x3 */
    gguf_writer_add_u32(w, "n.u32", 4294967295u);
    gguf_writer_add_i32(w, "n.i32", -7);
    gguf_writer_add_f32(w, "n.tenth", 0.1f);
    gguf_writer_add_f32(w, "n.eps", 1e-5f);
    gguf_writer_add_f32(w, "n.whole", 10000.0f);
    gguf_writer_add_f32(w, "n.third", 1.0f / 3);
    gguf_writer_add_bool(w, "b.yes", 1);
    gguf_writer_add_arr_str(w, "a.str", strs, 3);
    gguf_writer_add_arr_f32(w, "a.f32", fl, 2);
    assert_int_equal(gguf_writer_write(w, path), AS_OK);
    gguf_writer_free(w);
    gguf_file *g;
    assert_int_equal(gguf_open(&g, path), AS_OK);
    char b[256];
    static const struct { const char *key; size_t max; const char *want; } cases[] = {
        {"s.escapes", 200, "tab\\tnl\\ncr\\rback\\\\bell\\x07del\\x7f caf\xc3\xa9"},
        /* cut after 3 bytes would split the second character: back to 2 */
        {"s.long", 3, "\xc3\xa9... (6 bytes)"},
        {"s.long", 6, "\xc3\xa9\xc3\xa9\xc3\xa9"},
        {"n.u32", 200, "4294967295"},
        {"n.i32", 200, "-7"},
        /* 0.1f is 0.100000001490116..., whose shortest reading is 0.1; 1e-5f
         * likewise; 1/3 as a float is 0.3333333432..., and 0.3333333 reads
         * as the float below it (0.3333333135...), so 8 digits */
        {"n.tenth", 200, "0.1"},
        {"n.eps", 200, "1e-05"},
        {"n.whole", 200, "10000"},
        {"n.third", 200, "0.33333334"},
        {"b.yes", 200, "true"},
        {"a.str", 200, "array of 3 str"},
        {"a.f32", 200, "array of 2 f32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const gguf_kv *kv = gguf_find(g, cases[i].key);
        assert_non_null(kv);
        if (strcmp(gguf_kv_format(b, sizeof b, kv, cases[i].max), cases[i].want) != 0)
            fail_msg("%s: '%s', want '%s'", cases[i].key, b, cases[i].want);
    }
    /* a small buffer gets a terminated prefix */
    assert_string_equal(gguf_kv_format(b, 5, gguf_find(g, "n.u32"), 200), "4294");
    gguf_close(g);
    unlink(path);
}

static void test_missing_file(void **state)
{
    (void)state;
    gguf_file *g;
    assert_int_equal(gguf_open(&g, "/nonexistent/x.gguf"), AS_ERR_NOT_FOUND);
    assert_non_null(strstr(as_last_error(), "/nonexistent/x.gguf"));
}

static void test_type_table(void **state)
{
    (void)state;
    /* sizes from ggml-common.h static_asserts: block_q4_0 = 2+16, block_q8_0 =
     * 2+32, block_q4_K = 2*2+12+128, block_q6_K = 128+64+16+2 */
    assert_int_equal(ggml_type_size(GGML_TYPE_Q4_0), 18);
    assert_int_equal(ggml_type_size(GGML_TYPE_Q8_0), 34);
    assert_int_equal(ggml_type_size(GGML_TYPE_Q4_K), 144);
    assert_int_equal(ggml_type_size(GGML_TYPE_Q6_K), 210);
    assert_int_equal(ggml_type_parse("q4_k"), GGML_TYPE_Q4_K);
    assert_int_equal(ggml_type_parse("BF16"), GGML_TYPE_BF16);
    assert_int_equal(ggml_type_parse("Q9"), -1);
}

int main(void)
{
    const char *s = getenv("AS_SHARED_DIR");
    snprintf(shared_dir, sizeof shared_dir, "%s", s ? s : "../shared");
    const char *t = getenv("AS_TEST_TMP");
    snprintf(tmp_dir, sizeof tmp_dir, "%s", t ? t : "/tmp");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stories_metadata),
        cmocka_unit_test(test_derived_types),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_gguf_v2),
        cmocka_unit_test(test_kv_format),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_type_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
