/*
 * test_train_gguf.c -- the GGUF export of a trained model and its BPE
 * vocabulary: the engine's reader (model/gguf.h, an independent parser)
 * sees llama.cpp's names, shapes and keys; loading the file back gives the
 * same weights, the same vocabulary and the same logits; slot tokens stay
 * whole from the BPE trainer to the engine's tokenizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/bpe_train.h"
#include "model/gguf.h"
#include "model/slots.h"
#include "model/tokenizer.h"
#include "model/train.h"
#include "model/train_gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *docs[] = {
    "NVDA plunged 16.97% on 2025-01-27, wiping out about $589.0bn of market value.",
    "The market (SPY) fell 1.46%, leaving an abnormal return of -14.72% (t = -6.21).",
    "AVGO tumbled 17.40%; it's the DeepSeek shock, and the shares haven't recovered.\n\n",
};

static void path_make(char *out, size_t cap, const char *name)
{
    const char *tmp = getenv("AS_TEST_TMP");
    snprintf(out, cap, "%s/%s-%ld.gguf", tmp ? tmp : "/tmp", name, (long)getpid());
}

static void test_bpe_round_trip(void **state)
{
    (void)state;
    size_t lens[3] = {strlen(docs[0]), strlen(docs[1]), strlen(docs[2])};
    bpe_vocab *v;
    assert_int_equal(bpe_train(&v, docs, lens, 3, 300), AS_OK);
    assert_int_equal(v->n_tokens, 300);
    for (int d = 0; d < 3; d++) {
        int32_t *ids = NULL;
        int n = 0, cap = 0;
        assert_int_equal(bpe_encode(&ids, &n, &cap, v, docs[d], lens[d]), AS_OK);
        assert_true(n < (int)lens[d]); /* merges were learned and used */
        char *back = bpe_decode(v, ids, n);
        assert_string_equal(back, docs[d]);
        free(back);
        free(ids);
    }
    /* GPT-2's byte-to-unicode: space is U+0120 "Ġ", newline U+010A "Ċ" */
    char *s = bpe_token_string(v, ' ');
    assert_string_equal(s, "\xC4\xA0");
    free(s);
    s = bpe_token_string(v, '\n');
    assert_string_equal(s, "\xC4\x8A");
    free(s);
    bpe_vocab *small;
    assert_int_equal(bpe_train(&small, docs, lens, 3, 100), AS_ERR_USAGE);
    assert_null(small);
    bpe_vocab_free(v);
}

/* Slot tokens (model/slots.h) are single special tokens: never split, never
 * part of a merge, kept as text by the decoder; in the GGUF they are control
 * tokens, so the engine's tokenizer renders them only when asked and never
 * makes one out of prompt text. */
static void test_bpe_slot_tokens(void **state)
{
    (void)state;
    static const char *sdocs[] = {
        "<|ticker|> shares <|move_a|> on <|date|><|mv_b|>. The market (<|market|>) "
        "<|mkt_move_c|>, leaving an abnormal return of <|ar0|>% (t = <|t0|>).",
        "On <|date_mdy|>, <|ticker|> <|move_b|>. <|sig_a|> The trigger was the news "
        "\"<|headline|>\" (<|source|>).",
    };
    size_t lens[2] = {strlen(sdocs[0]), strlen(sdocs[1])};
    bpe_vocab *v;
    assert_int_equal(bpe_train(&v, sdocs, lens, 2, 300 + SLOT_COUNT), AS_OK);
    for (int k = 0; k < SLOT_COUNT; k++) {
        int32_t id = v->slots[k];
        assert_true(id >= 0 && bpe_is_special(v, id));
        assert_int_equal(v->raw_len[id], (int)strlen(slot_token((slot_id)k)));
    }
    for (int i = 0; i < v->n_merges; i++) /* no merge makes or uses a slot's text */
        for (int j = 0; j < 3; j++) {
            int32_t id = j < 2 ? v->merge_pair[2 * i + j] : v->merge_id[i];
            assert_null(memmem(v->raw[id], (size_t)v->raw_len[id], "<|", 2));
        }
    int32_t *ids = NULL;
    int n = 0, cap = 0;
    assert_int_equal(bpe_encode(&ids, &n, &cap, v, sdocs[1], lens[1]), AS_OK);
    int n_slots = 0, first = -1;
    for (int i = 0; i < n; i++)
        if (bpe_is_special(v, ids[i]) && n_slots++ == 0)
            first = ids[i];
    assert_int_equal(n_slots, 6);
    assert_int_equal(first, v->slots[SLOT_DATE_MDY]);
    char *back = bpe_decode(v, ids, n);
    assert_string_equal(back, sdocs[1]);
    free(back);
    free(ids);

    train_config c = {.vocab = v->n_tokens, .dim = 16, .n_layers = 1, .n_heads = 2,
                      .ffn_dim = 32, .ctx = 64, .tied = 1, .rope_base = 10000.0f,
                      .norm_eps = 1e-5f};
    train_model *m;
    assert_int_equal(train_model_new(&m, &c, 5), AS_OK);
    char path[512];
    path_make(path, sizeof path, "slots");
    assert_int_equal(train_gguf_save(path, m, v, "test", 0, NULL, 0), AS_OK);
    train_model *m2;
    bpe_vocab *v2;
    assert_int_equal(train_gguf_load(&m2, &v2, path), AS_OK);
    assert_memory_equal(v2->slots, v->slots, sizeof v->slots);
    gguf_file *g;
    tokenizer *tk;
    assert_int_equal(gguf_open(&g, path), AS_OK);
    assert_int_equal(tokenizer_new_from_gguf(&tk, g), AS_OK);
    int32_t t = v->slots[SLOT_TICKER];
    assert_int_equal(tokenizer_token_type(tk, t), TOKEN_TYPE_CONTROL);
    char buf[64];
    size_t len = 0;
    assert_int_equal(tokenizer_decode(buf, sizeof buf, &len, tk, &t, 1, TOKENIZER_PARSE_SPECIAL),
                     AS_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "<|ticker|>", 10);
    int32_t enc[32];
    int got = 0;
    assert_int_equal(tokenizer_encode(enc, 32, &got, tk, "<|ticker|>", 10, 0), AS_OK);
    for (int i = 0; i < got; i++)
        assert_int_not_equal(enc[i], t);
    tokenizer_free(tk);
    gguf_close(g);
    unlink(path);
    train_model_free(m);
    train_model_free(m2);
    bpe_vocab_free(v);
    bpe_vocab_free(v2);
}

static void export_check(int tied)
{
    size_t lens[3] = {strlen(docs[0]), strlen(docs[1]), strlen(docs[2])};
    bpe_vocab *v;
    assert_int_equal(bpe_train(&v, docs, lens, 3, 320), AS_OK);
    train_config c = {.vocab = v->n_tokens, .dim = 16, .n_layers = 2, .n_heads = 2,
                      .ffn_dim = 40, .ctx = 64, .tied = tied, .rope_base = 10000.0f,
                      .norm_eps = 1e-5f};
    train_model *m;
    assert_int_equal(train_model_new(&m, &c, 11), AS_OK);
    char path[512];
    path_make(path, sizeof path, tied ? "tied" : "untied");
    train_meta meta[] = {
        {.key = "aftershock.teacher", .type = TRAIN_META_STR, .s = "narrator"},
        {.key = "aftershock.corpus_docs", .type = TRAIN_META_U32, .u = 3},
        {.key = "aftershock.heldout_rouge_l", .type = TRAIN_META_F32, .f = 0.75f},
    };
    assert_int_equal(train_gguf_save(path, m, v, "test", 0, meta, 3), AS_OK);

    gguf_file *g;
    assert_int_equal(gguf_open(&g, path), AS_OK);
    assert_int_equal(g->n_tensors, 2 * 9 + 2 + (tied ? 0 : 1));
    const gguf_tensor *t = gguf_tensor_find(g, "blk.1.ffn_down.weight");
    assert_non_null(t);
    assert_int_equal(t->ne[0], 40); /* ne[0] is the input width */
    assert_int_equal(t->ne[1], 16);
    t = gguf_tensor_find(g, "token_embd.weight");
    assert_int_equal(t->ne[0], 16);
    assert_int_equal(t->ne[1], v->n_tokens);
    assert_true(memcmp(t->data, m->p[TP_WTE], t->nbytes) == 0);
    assert_int_equal(gguf_tensor_find(g, "output.weight") == NULL, tied);
    uint32_t u;
    assert_int_equal(gguf_get_u32(g, "llama.rope.dimension_count", &u), AS_OK);
    assert_int_equal(u, 8);
    assert_int_equal(gguf_get_u32(g, "aftershock.corpus_docs", &u), AS_OK);
    assert_int_equal(u, 3);
    gguf_str s;
    assert_int_equal(gguf_get_str(g, "tokenizer.ggml.pre", &s), AS_OK);
    assert_true(gguf_str_eq(s, "gpt-2"));
    gguf_close(g);

    train_model *m2;
    bpe_vocab *v2;
    assert_int_equal(train_gguf_load(&m2, &v2, path), AS_OK);
    assert_int_equal(m2->c.tied, tied);
    assert_int_equal(m2->n_params, m->n_params);
    assert_memory_equal(m2->params, m->params, m->n_params * sizeof(float));
    assert_int_equal(v2->n_tokens, v->n_tokens);
    assert_int_equal(v2->n_merges, v->n_merges);
    assert_int_equal(v2->sep, v->sep);
    int32_t *a = NULL, *b = NULL;
    int na = 0, nb = 0, ca = 0, cb = 0;
    assert_int_equal(bpe_encode(&a, &na, &ca, v, docs[2], lens[2]), AS_OK);
    assert_int_equal(bpe_encode(&b, &nb, &cb, v2, docs[2], lens[2]), AS_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    free(a);
    free(b);
    unlink(path);
    train_model_free(m);
    train_model_free(m2);
    bpe_vocab_free(v);
    bpe_vocab_free(v2);
}

static void test_export_untied(void **state)
{
    (void)state;
    export_check(0);
}

static void test_export_tied(void **state)
{
    (void)state;
    export_check(1);
}

static void test_load_refuses_other_files(void **state)
{
    (void)state;
    const char *shared = getenv("AS_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/models/stories260K.gguf", shared ? shared : "../shared");
    if (access(path, R_OK) != 0) {
        printf("skip: %s not found (set AS_SHARED_DIR to the shared folder)\n", path);
        skip();
    }
    /* stories260K has 4 kv heads for 8 heads: grouped-query, not trainable here */
    train_model *m;
    bpe_vocab *v;
    assert_int_equal(train_gguf_load(&m, &v, path), AS_ERR_UNSUPPORTED);
    assert_non_null(strstr(as_last_error(), "head_count_kv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe_round_trip),
        cmocka_unit_test(test_bpe_slot_tokens),
        cmocka_unit_test(test_export_untied),
        cmocka_unit_test(test_export_tied),
        cmocka_unit_test(test_load_refuses_other_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
