/*
 * test_train_engine.c -- what the trainer exports is what the engine runs:
 * the engine's forward (model/transformer.h) on the exported GGUF gives the
 * trainer's logits, and the engine's tokenizer (model/tokenizer.h, built
 * from the file's tokenizer.ggml.* keys) gives the trainer's BPE ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/bpe_train.h"
#include "model/distill_facts.h"
#include "model/narrator.h"
#include "model/tokenizer.h"
#include "model/train.h"
#include "model/train_gguf.h"
#include "model/transformer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N_DOCS = 40 };
static char *docs[N_DOCS];
static size_t lens[N_DOCS];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < N_DOCS; i++) {
        factsheet fs;
        if (distill_random_sheet(&fs, (uint64_t)i + 1, 3) != AS_OK)
            return -1;
        char *p = factsheet_write_stock(&fs, 0), *s;
        if (!p || narrator_write(&s, &fs, 0, (uint64_t)i) != AS_OK)
            return -1;
        size_t n = strlen(p) + strlen(s) + 1;
        docs[i] = malloc(n);
        snprintf(docs[i], n, "%s%s", p, s);
        lens[i] = strlen(docs[i]);
        free(p);
        free(s);
        factsheet_clear(&fs);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_DOCS; i++)
        free(docs[i]);
    return 0;
}

static void engine_parity(int tied)
{
    bpe_vocab *v;
    assert_int_equal(bpe_train(&v, (const char *const *)docs, lens, N_DOCS, 600), AS_OK);
    train_config c = {.vocab = v->n_tokens, .dim = 32, .n_layers = 2, .n_heads = 4,
                      .ffn_dim = 88, .ctx = 64, .tied = tied, .rope_base = 10000.0f,
                      .norm_eps = 1e-5f};
    train_model *m;
    assert_int_equal(train_model_new(&m, &c, 21), AS_OK);
    /* a few real steps so the weights are not just the initial noise */
    int32_t *ids = NULL;
    int n = 0, cap = 0;
    assert_int_equal(bpe_encode(&ids, &n, &cap, v, docs[0], lens[0]), AS_OK);
    assert_true(n > 33);
    for (int s = 0; s < 5; s++) {
        assert_int_equal(train_forward(m, ids, ids + 1, NULL, 1, 32), AS_OK);
        train_zero_grad(m);
        train_backward(m);
        train_adamw(m, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.0f, s);
    }
    assert_int_equal(train_forward(m, ids, NULL, NULL, 1, 32), AS_OK);

    char path[512];
    const char *tmp = getenv("AS_TEST_TMP");
    snprintf(path, sizeof path, "%s/engine-%d-%ld.gguf", tmp ? tmp : "/tmp", tied, (long)getpid());
    assert_int_equal(train_gguf_save(path, m, v, "parity", 0, NULL, 0), AS_OK);
    model *em;
    assert_int_equal(model_open(&em, path), AS_OK);
    assert_int_equal(em->c.tied_output, tied);
    model_state *st;
    assert_int_equal(model_state_new(&st, em, 1, 32, 32, 1, 0), AS_OK);
    int pos[32], seq[32];
    char want[32];
    for (int i = 0; i < 32; i++)
        pos[i] = i, seq[i] = 0, want[i] = 1;
    model_batch b = {32, ids, pos, seq, want};
    int n_out;
    assert_int_equal(model_forward(st, &b, &n_out), AS_OK);
    assert_int_equal(n_out, 32);
    /* same float32 operations in another order (sgemm blocking, the
     * engine's own kernels): the bound, 1e-4 */
    double worst = 0;
    for (int i = 0; i < 32 * c.vocab; i++) {
        double d = st->logits[i] - m->a.logits[i];
        worst = d > worst ? d : -d > worst ? -d : worst;
    }
    print_message("engine vs trainer (tied %d): max |logit difference| %.2e\n", tied, worst);
    assert_true(worst < 1e-4);

    /* the engine's tokenizer from the same file: same ids on every doc */
    gguf_file *g;
    tokenizer *tk;
    assert_int_equal(gguf_open(&g, path), AS_OK);
    assert_int_equal(tokenizer_new_from_gguf(&tk, g), AS_OK);
    gguf_close(g);
    for (int d = 0; d < N_DOCS; d++) {
        int32_t eng[2048];
        int ne;
        n = 0;
        assert_int_equal(bpe_encode(&ids, &n, &cap, v, docs[d], lens[d]), AS_OK);
        assert_int_equal(tokenizer_encode(eng, 2048, &ne, tk, docs[d], lens[d], 0), AS_OK);
        assert_int_equal(ne, n);
        assert_memory_equal(eng, ids, (size_t)n * sizeof(int32_t));
    }
    tokenizer_free(tk);
    model_state_free(st);
    model_close(em);
    unlink(path);
    free(ids);
    train_model_free(m);
    bpe_vocab_free(v);
}

static void test_engine_parity_untied(void **state)
{
    (void)state;
    engine_parity(0);
}

static void test_engine_parity_tied(void **state)
{
    (void)state;
    engine_parity(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_parity_untied),
        cmocka_unit_test(test_engine_parity_tied),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
