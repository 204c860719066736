/*
 * test_train_model.c -- the training loop as a whole: a tiny corpus trains
 * below a stated loss, the KV-cached decoder gives the trainer's own
 * logits, a run resumed from a checkpoint is bit-identical to an
 * uninterrupted one, the schedule has the shape it promises, and the
 * shared loop (model/train_loop.h) with soft targets reaches the optimum
 * of its cross-entropy + KL mixture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/train.h"
#include "model/train_loop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char corpus[] = "aftershock measures how stocks moved beyond the market. ";

static train_config tiny_config(void)
{
    return (train_config){.vocab = 128, .dim = 32, .n_layers = 2, .n_heads = 4, .ffn_dim = 64,
                          .ctx = 32, .tied = 1, .rope_base = 10000.0f, .norm_eps = 1e-5f};
}

/* B sequences of T bytes starting at offsets step*7 + b*13 of the repeated
 * sentence; targets are the next bytes. */
static void batch_fill(int32_t *tok, int32_t *tgt, int step, int B, int T)
{
    int n = (int)strlen(corpus);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int at = (step * 7 + b * 13 + t) % n;
            tok[b * T + t] = (unsigned char)corpus[at];
            tgt[b * T + t] = (unsigned char)corpus[(at + 1) % n];
        }
}

static float train_steps(train_model *m, int from, int to, int total)
{
    enum { B = 4, T = 32 };
    int32_t tok[B * T], tgt[B * T];
    float loss = 0;
    for (int s = from; s < to; s++) {
        batch_fill(tok, tgt, s, B, T);
        assert_int_equal(train_forward(m, tok, tgt, NULL, B, T), AS_OK);
        loss = m->loss;
        train_zero_grad(m);
        train_backward(m);
        train_clip_grad(m, 1.0f);
        train_adamw(m, train_lr(s, 10, total, 1e-2f, 1e-3f), 0.9f, 0.95f, 1e-8f, 0.01f, s);
    }
    return loss;
}

/* The sentence is periodic (56 bytes), so once the model has seen it the
 * next byte is determined by the last few: loss must fall from ln 128 =
 * 4.85 to below 0.1 within 150 steps (observed: 0.063). */
static void test_tiny_corpus_learns(void **state)
{
    (void)state;
    train_config c = tiny_config();
    train_model *m;
    assert_int_equal(train_model_new(&m, &c, 1), AS_OK);
    float first = train_steps(m, 0, 1, 150);
    assert_float_equal(first, logf(128), 0.1);
    float last = train_steps(m, 1, 150, 150);
    print_message("tiny corpus: loss %.4f -> %.4f after 150 steps\n", first, last);
    assert_true(last < 0.1f);
    train_model_free(m);
}

/* Prefill all at once, then one by one: the cached decoder must give the
 * logits of the full forward.  Both sum the same float products in a
 * different order: 1e-4. */
static void test_decoder_matches_forward(void **state)
{
    (void)state;
    train_config c = tiny_config();
    c.tied = 0;
    train_model *m;
    assert_int_equal(train_model_new(&m, &c, 3), AS_OK);
    train_steps(m, 0, 20, 20);
    enum { T = 12 };
    int32_t tok[T];
    for (int i = 0; i < T; i++)
        tok[i] = (unsigned char)corpus[i];
    assert_int_equal(train_forward(m, tok, NULL, NULL, 1, T), AS_OK);
    train_decoder *d;
    assert_int_equal(train_decoder_new(&d, m, 2, T), AS_OK);
    int pos[T], seq[T];
    for (int i = 0; i < T; i++)
        pos[i] = i, seq[i] = 1;
    assert_int_equal(train_decode(d, tok, pos, seq, 8), AS_OK); /* prefill 8 */
    for (int i = 0; i < 8; i++)
        for (int v = 0; v < c.vocab; v++)
            assert_float_equal(d->logits[i * c.vocab + v], m->a.logits[i * c.vocab + v], 1e-4);
    for (int i = 8; i < T; i++) { /* then one at a time */
        assert_int_equal(train_decode(d, &tok[i], &pos[i], &seq[i], 1), AS_OK);
        for (int v = 0; v < c.vocab; v++)
            assert_float_equal(d->logits[v], m->a.logits[i * c.vocab + v], 1e-4);
    }
    int bad = 99;
    assert_int_equal(train_decode(d, tok, pos, &bad, 1), AS_ERR_RANGE);
    train_decoder_free(d);
    train_model_free(m);
}

static void test_checkpoint_resume_identical(void **state)
{
    (void)state;
    train_config c = tiny_config();
    train_model *a, *b;
    assert_int_equal(train_model_new(&a, &c, 5), AS_OK);
    assert_int_equal(train_model_new(&b, &c, 5), AS_OK);
    train_steps(a, 0, 30, 30);
    train_steps(b, 0, 12, 30);
    char path[256];
    const char *tmp = getenv("AS_TEST_TMP");
    snprintf(path, sizeof path, "%s/ckpt-%ld.bin", tmp ? tmp : "/tmp", (long)getpid());
    assert_int_equal(train_checkpoint_save(b, 12, path), AS_OK);
    train_model_free(b);
    assert_int_equal(train_model_new(&b, &c, 999), AS_OK); /* other init, overwritten */
    int step = 0;
    assert_int_equal(train_checkpoint_load(b, &step, path), AS_OK);
    assert_int_equal(step, 12);
    train_steps(b, step, 30, 30);
    assert_memory_equal(a->params, b->params, a->n_params * sizeof(float));
    /* another shape is refused with the field named */
    train_config c2 = c;
    c2.dim = 16;
    train_model *o;
    assert_int_equal(train_model_new(&o, &c2, 1), AS_OK);
    assert_int_equal(train_checkpoint_load(o, &step, path), AS_ERR_FORMAT);
    assert_non_null(strstr(as_last_error(), "field 'config'"));
    train_model_free(o);
    unlink(path);
    train_model_free(a);
    train_model_free(b);
}

static void test_schedule_shape(void **state)
{
    (void)state;
    assert_float_equal(train_lr(0, 10, 100, 1.0f, 0.1f), 0.1f, 1e-7);
    assert_float_equal(train_lr(9, 10, 100, 1.0f, 0.1f), 1.0f, 1e-7);
    assert_float_equal(train_lr(55, 10, 100, 1.0f, 0.1f), 0.55f, 1e-6); /* cosine midpoint */
    assert_float_equal(train_lr(100, 10, 100, 1.0f, 0.1f), 0.1f, 1e-7);
    train_config bad = tiny_config();
    bad.n_heads = 5;
    train_model *m;
    assert_int_equal(train_model_new(&m, &bad, 1), AS_ERR_USAGE);
    assert_non_null(strstr(as_last_error(), "'n_heads'"));
}

/* One document <0> -> 5 whose teacher puts half its mass on 5 and half on
 * 7.  The loss (1 - w) (-ln q5) + w KL(p || q) (temperature 1) is least,
 * by a Lagrange multiplier on q5 + q7 = 1 (no other token lowers it), at
 * q5 = 1 - w/2, q7 = w/2: for w = 0.5, q = (0.75, 0.25); for w = 0 all on
 * 5.  300 AdamW steps without weight decay get within 0.02 of it. */
static void soft_optimum(float w, float want5, float want7)
{
    train_config c = {.vocab = 16, .dim = 16, .n_layers = 1, .n_heads = 2, .ffn_dim = 32,
                      .ctx = 8, .tied = 0, .rope_base = 10000.0f, .norm_eps = 1e-5f};
    train_model *m;
    assert_int_equal(train_model_new(&m, &c, 11), AS_OK);
    static const int32_t ids[2] = {0, 5}, top[2] = {5, 7};
    static const float p[2] = {0.5f, 0.5f};
    train_doc d = {.ids = ids, .n_ids = 2, .loss_from = 1, .soft_ids = top, .soft_p = p};
    int which = 0;
    train_loop_opts o = {.steps = 300, .batch = 1, .warmup = 10, .lr = 1e-2f, .lr_min = 1e-3f,
                         .clip = 1.0f, .seed = 1, .pad = 0, .soft_k = 2, .soft_weight = w,
                         .soft_temp = 1.0f};
    train_loop_report r;
    assert_int_equal(train_loop_run(&r, m, &d, &which, 1, &o), AS_OK);
    assert_int_equal(train_forward(m, ids, NULL, NULL, 1, 1), AS_OK);
    double mx = m->a.logits[0], sum = 0, q[16];
    for (int v = 1; v < 16; v++)
        mx = m->a.logits[v] > mx ? m->a.logits[v] : mx;
    for (int v = 0; v < 16; v++)
        sum += q[v] = exp(m->a.logits[v] - mx);
    print_message("weight %.1f: q5 %.4f q7 %.4f (optimum %.2f %.2f), final KL %.4f\n", (double)w,
                  q[5] / sum, q[7] / sum, (double)want5, (double)want7, (double)r.final_kl);
    assert_float_equal(q[5] / sum, want5, 0.02);
    assert_float_equal(q[7] / sum, want7, 0.02);
    /* the held-out measure of the same document: the parts as trained */
    double ce, kl;
    long n;
    assert_int_equal(train_loop_eval(&ce, &kl, &n, m, &d, &which, 1, &o), AS_OK);
    assert_int_equal(n, 1);
    assert_float_equal(ce, -log(q[5] / sum), 1e-4);
    /* the teacher's rest mass is 0, so only its two tokens enter the KL */
    double q5 = q[5] / sum, q7 = q[7] / sum;
    assert_float_equal(kl, 0.5 * log(0.5 / q5) + 0.5 * log(0.5 / q7), 1e-4);
    train_model_free(m);
}

static void test_soft_targets_reach_the_mixture_optimum(void **state)
{
    (void)state;
    soft_optimum(0.5f, 0.75f, 0.25f);
    soft_optimum(1.0f, 0.5f, 0.5f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_corpus_learns),
        cmocka_unit_test(test_decoder_matches_forward),
        cmocka_unit_test(test_checkpoint_resume_identical),
        cmocka_unit_test(test_schedule_shape),
        cmocka_unit_test(test_soft_targets_reach_the_mixture_optimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
