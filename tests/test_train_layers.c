/*
 * test_train_layers.c -- every layer's backward against central finite
 * differences of its own forward, the BLAS matmul against the plain-loop
 * reference, and the whole model's gradient against finite differences of
 * its loss.
 *
 * Finite differences in float32: with step h the truncation error is
 * O(h^2) and the rounding error about 1e-7 * |L| / h.  For the small
 * kernels (|L| ~ 10) h = 1e-2 keeps both near 1e-4, hence the tolerance
 * 2e-3 absolute + 2e-2 relative.  The whole-model check uses weights of
 * s.d. 0.1 (not 0.02) so the gradients are well above that noise, and
 * h = 3e-3 because its loss is more curved (checked: the differences
 * converge to the backward values as h goes 1e-1, 1e-2, 1e-3).  The
 * top-k distillation KL is checked the same way, at temperatures 1 and 2,
 * alone and mixed with the cross-entropy in the whole model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/train.h"
#include "model/train_layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs = 42;

static float urand(void)
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rs >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static float *rvec(size_t n)
{
    float *p = malloc(n * sizeof(float));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = urand();
    return p;
}

static float *zvec(size_t n)
{
    float *p = calloc(n, sizeof(float));
    assert_non_null(p);
    return p;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static void expect_close(double num, double ana, const char *what, size_t i)
{
    double tol = 2e-3 + 2e-2 * fabs(num);
    if (fabs(num - ana) > tol)
        fail_msg("%s[%zu]: finite difference %.6f, backward %.6f", what, i, num, ana);
}

/* ---- per-layer checks: L = sum(forward(x) * R), backward(dout = R) ------- */

typedef struct fd_case {
    float *x;
    size_t n;
    const float *grad;
    const char *name;
} fd_case;

/* Checks grad of every element of x (up to 64 of them) by central
 * differences of loss_fn. */
static void fd_check(fd_case c, double (*loss_fn)(void *), void *ctx)
{
    const float h = 1e-2f;
    size_t stride = c.n > 64 ? c.n / 64 : 1;
    for (size_t i = 0; i < c.n; i += stride) {
        float keep = c.x[i];
        c.x[i] = keep + h;
        double lp = loss_fn(ctx);
        c.x[i] = keep - h;
        double lm = loss_fn(ctx);
        c.x[i] = keep;
        expect_close((lp - lm) / (2 * h), c.grad[i], c.name, i);
    }
}

enum { N = 6, C = 8, OC = 5, F = 12, B = 2, T = 3, NH = 2, V = 7 };

typedef struct rms_ctx {
    float *x, *w, *r, *out, *rstd;
} rms_ctx;

static double rms_loss(void *p)
{
    rms_ctx *c = p;
    rmsnorm_forward(c->out, c->rstd, c->x, c->w, N, C, 1e-5f);
    return dot(c->out, c->r, N * C);
}

static void test_rmsnorm_backward(void **state)
{
    (void)state;
    rms_ctx c = {rvec(N * C), rvec(C), rvec(N * C), zvec(N * C), zvec(N)};
    float *dx = zvec(N * C), *dw = zvec(C);
    rms_loss(&c);
    rmsnorm_backward(dx, dw, c.r, c.x, c.w, c.rstd, N, C);
    fd_check((fd_case){c.x, N * C, dx, "rmsnorm dx"}, rms_loss, &c);
    fd_check((fd_case){c.w, C, dw, "rmsnorm dw"}, rms_loss, &c);
    free(c.x), free(c.w), free(c.r), free(c.out), free(c.rstd), free(dx), free(dw);
}

typedef struct mm_ctx {
    float *x, *w, *r, *out;
} mm_ctx;

static double mm_loss(void *p)
{
    mm_ctx *c = p;
    matmul_forward_ref(c->out, c->x, c->w, N, C, OC);
    return dot(c->out, c->r, N * OC);
}

static void test_matmul_backward_and_blas(void **state)
{
    (void)state;
    mm_ctx c = {rvec(N * C), rvec(OC * C), rvec(N * OC), zvec(N * OC)};
    float *dx = zvec(N * C), *dw = zvec(OC * C), *dx2 = zvec(N * C), *dw2 = zvec(OC * C);
    float *o2 = zvec(N * OC);
    matmul_backward_ref(dx, dw, c.r, c.x, c.w, N, C, OC);
    fd_check((fd_case){c.x, N * C, dx, "matmul dx"}, mm_loss, &c);
    fd_check((fd_case){c.w, OC * C, dw, "matmul dw"}, mm_loss, &c);
    /* sgemm against the loops: same sums in another order, float32 */
    mm_loss(&c);
    matmul_forward(o2, c.x, c.w, N, C, OC);
    for (int i = 0; i < N * OC; i++)
        assert_float_equal(o2[i], c.out[i], 1e-5);
    matmul_backward(dx2, dw2, c.r, c.x, c.w, N, C, OC);
    for (int i = 0; i < N * C; i++)
        assert_float_equal(dx2[i], dx[i], 1e-5);
    for (int i = 0; i < OC * C; i++)
        assert_float_equal(dw2[i], dw[i], 1e-5);
    free(c.x), free(c.w), free(c.r), free(c.out), free(dx), free(dw), free(dx2), free(dw2);
    free(o2);
}

typedef struct rope_ctx {
    float *x, *r, *tmp;
} rope_ctx;

static double rope_loss(void *p)
{
    rope_ctx *c = p;
    memcpy(c->tmp, c->x, N * C * sizeof(float));
    rope_apply_train(c->tmp, N, T, NH, C / NH, 10000.0f, 0);
    return dot(c->tmp, c->r, N * C);
}

static void test_rope_backward(void **state)
{
    (void)state;
    rope_ctx c = {rvec(N * C), rvec(N * C), zvec(N * C)};
    float *dx = zvec(N * C);
    memcpy(dx, c.r, N * C * sizeof(float));
    rope_apply_train(dx, N, T, NH, C / NH, 10000.0f, 1);
    fd_check((fd_case){c.x, N * C, dx, "rope dx"}, rope_loss, &c);
    /* position 0 is not rotated; position 1 pair 0 turns by exactly 1 rad */
    float v[C] = {1, 0, 0, 0, 0, 0, 0, 0};
    float row[2 * C] = {0};
    memcpy(row + C, v, sizeof v);
    rope_apply_train(row, 2, 2, NH, C / NH, 10000.0f, 0);
    assert_float_equal(row[C], cosf(1.0f), 1e-6);
    assert_float_equal(row[C + 1], sinf(1.0f), 1e-6);
    free(c.x), free(c.r), free(c.tmp), free(dx);
}

typedef struct att_ctx {
    float *q, *k, *v, *r, *out, *att;
} att_ctx;

static double att_loss(void *p)
{
    att_ctx *c = p;
    attention_forward(c->out, c->att, c->q, c->k, c->v, B, T, C, NH);
    return dot(c->out, c->r, N * C);
}

static void test_attention_backward(void **state)
{
    (void)state;
    att_ctx c = {rvec(N * C), rvec(N * C), rvec(N * C), rvec(N * C), zvec(N * C),
                 zvec(B * NH * T * T)};
    for (int i = 0; i < N * C; i++) { /* sharper attention than uniform */
        c.q[i] *= 2;
        c.k[i] *= 2;
    }
    float *dq = zvec(N * C), *dk = zvec(N * C), *dv = zvec(N * C), *datt = zvec(T);
    att_loss(&c);
    attention_backward(dq, dk, dv, datt, c.r, c.att, c.q, c.k, c.v, B, T, C, NH);
    fd_check((fd_case){c.q, N * C, dq, "attention dq"}, att_loss, &c);
    fd_check((fd_case){c.k, N * C, dk, "attention dk"}, att_loss, &c);
    fd_check((fd_case){c.v, N * C, dv, "attention dv"}, att_loss, &c);
    /* causality: the first position attends only to itself */
    assert_float_equal(c.att[0], 1.0f, 1e-6);
    assert_float_equal(c.att[1], 0.0f, 0);
    free(c.q), free(c.k), free(c.v), free(c.r), free(c.out), free(c.att);
    free(dq), free(dk), free(dv), free(datt);
}

typedef struct glu_ctx {
    float *g, *u, *r, *out;
} glu_ctx;

static double glu_loss(void *p)
{
    glu_ctx *c = p;
    swiglu_forward(c->out, c->g, c->u, N * F);
    return dot(c->out, c->r, N * F);
}

static void test_swiglu_backward(void **state)
{
    (void)state;
    glu_ctx c = {rvec(N * F), rvec(N * F), rvec(N * F), zvec(N * F)};
    float *dg = zvec(N * F), *du = zvec(N * F);
    swiglu_backward(dg, du, c.r, c.g, c.u, N * F);
    fd_check((fd_case){c.g, N * F, dg, "swiglu dg"}, glu_loss, &c);
    fd_check((fd_case){c.u, N * F, du, "swiglu du"}, glu_loss, &c);
    free(c.g), free(c.u), free(c.r), free(c.out), free(dg), free(du);
}

typedef struct ce_ctx {
    float *logits, *tmp, *w;
    int32_t *tg;
} ce_ctx;

static double ce_loss(void *p)
{
    ce_ctx *c = p;
    memcpy(c->tmp, c->logits, N * V * sizeof(float));
    return crossentropy_forward_backward(NULL, c->tmp, c->tg, c->w, N, V);
}

static void test_crossentropy_backward(void **state)
{
    (void)state;
    int32_t tg[N] = {0, 3, 6, 1, 2, 5};
    float w[N] = {1, 0, 1, 1, 0.5f, 1};
    ce_ctx c = {rvec(N * V), zvec(N * V), w, tg};
    float *d = zvec(N * V);
    memcpy(d, c.logits, N * V * sizeof(float));
    crossentropy_forward_backward(d, d, tg, w, N, V);
    fd_check((fd_case){c.logits, N * V, d, "crossentropy dlogits"}, ce_loss, &c);
    /* uniform logits: loss is ln V whatever the targets (hand calculation) */
    float u[N * V] = {0};
    assert_float_equal(crossentropy_forward_backward(NULL, u, tg, NULL, N, V), logf(V), 1e-6);
    free(c.logits), free(c.tmp), free(d);
}

typedef struct kl_ctx {
    float *logits, *scratch, *w, *p;
    int32_t *ids;
    int k;
    float temp;
} kl_ctx;

static double kl_loss(void *p)
{
    kl_ctx *c = p;
    float t2 = c->temp * c->temp;
    return t2 * kl_topk_forward_backward(NULL, c->scratch, c->logits, c->ids, c->p, c->w, N, V,
                                         c->k, c->temp, 1.0f);
}

/* Teacher rows: k distinct ids, probabilities summing to 0.9 (rest 0.1),
 * one row with the whole mass on its top-k (rest 0) and one at weight 0. */
static void kl_case(float temp)
{
    enum { K = 3 };
    int32_t ids[N * K] = {0, 3, 6, 1, 2, 5, 4, 0, 2, 6, 5, 1, 3, 4, 0, 2, 1, 6};
    float p[N * K], w[N] = {1, 0.5f, 1, 0, 1, 2};
    for (int n = 0; n < N; n++) {
        float a = 0.3f + 0.08f * n, b = 0.9f - a;
        p[n * K] = a * 0.7f, p[n * K + 1] = a * 0.3f, p[n * K + 2] = b;
    }
    p[4 * K] = 0.6f, p[4 * K + 1] = 0.3f, p[4 * K + 2] = 0.1f; /* sums to 1: no rest */
    kl_ctx c = {rvec(N * V), zvec(V), w, p, ids, K, temp};
    float *d = zvec(N * V);
    kl_topk_forward_backward(d, c.scratch, c.logits, ids, p, w, N, V, K, temp, 1.0f);
    fd_check((fd_case){c.logits, N * V, d, "kl dlogits"}, kl_loss, &c);
    /* scale multiplies, and the gradient is added, not stored */
    float *d2 = zvec(N * V);
    for (int i = 0; i < N * V; i++)
        d2[i] = 1.0f;
    kl_topk_forward_backward(d2, c.scratch, c.logits, ids, p, w, N, V, K, temp, 0.5f);
    for (int i = 0; i < N * V; i++)
        assert_float_equal(d2[i], 1.0f + 0.5f * d[i], 1e-6);
    free(c.logits), free(c.scratch), free(d), free(d2);
}

static void test_kl_topk_backward(void **state)
{
    (void)state;
    kl_case(1.0f);
    kl_case(2.0f);
}

/* By hand: V = 3, logits (0, ln 2, 0) give q = (1/4, 1/2, 1/4).  A teacher
 * with p(token 1) = 0.5 and rest 0.5 matches the coarsened student (q 1/2,
 * rest 1/2): KL 0.  With p(token 0) = 0.5: q(0) = 1/4, rest 3/4, KL = 0.5
 * ln(0.5/0.25) + 0.5 ln(0.5/0.75) = 0.5 ln(4/3) = 0.1438410362. */
static void test_kl_topk_by_hand(void **state)
{
    (void)state;
    float l[3] = {0, logf(2.0f), 0}, scratch[3], w = 1, p = 0.5f;
    int32_t one = 1, zero = 0;
    assert_float_equal(kl_topk_forward_backward(NULL, scratch, l, &one, &p, &w, 1, 3, 1, 1.0f,
                                                1.0f),
                       0.0, 1e-7);
    assert_float_equal(kl_topk_forward_backward(NULL, scratch, l, &zero, &p, &w, 1, 3, 1, 1.0f,
                                                1.0f),
                       0.5 * log(4.0 / 3.0), 1e-6);
    /* the gradient there: q - p = -1/4 on token 0; the others q_j (1 - r / Q_rest)
     * = q_j (1 - 0.5 / 0.75) = q_j / 3: 1/6 and 1/12 (sums to 0, as a softmax's must) */
    float d[3] = {0};
    kl_topk_forward_backward(d, scratch, l, &zero, &p, &w, 1, 3, 1, 1.0f, 1.0f);
    assert_float_equal(d[0], -0.25, 1e-6);
    assert_float_equal(d[1], 1.0 / 6.0, 1e-6);
    assert_float_equal(d[2], 1.0 / 12.0, 1e-6);
}

/* ---- whole model ------------------------------------------------------- */

static void model_fd(int tied, int soft_on)
{
    train_config cfg = {.vocab = 11, .dim = 8, .n_layers = 2, .n_heads = 2, .ffn_dim = 12,
                        .ctx = 8, .tied = tied, .rope_base = 10000.0f, .norm_eps = 1e-5f};
    train_model *m;
    assert_int_equal(train_model_new(&m, &cfg, 7), AS_OK);
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] = m->params[i] * 5.0f + (m->params[i] == 1.0f ? 0.1f * urand() : 0.0f);
    int32_t tok[2 * 5] = {1, 4, 2, 9, 3, 0, 10, 5, 5, 7};
    int32_t tgt[2 * 5] = {4, 2, 9, 3, 8, 10, 5, 5, 7, 1};
    float wt[2 * 5] = {1, 1, 1, 0, 1, 1, 1, 1, 1, 0.5f};
    /* soft targets: top-2 of a made-up teacher at temperature 2, weight 0.6 */
    int32_t sid[2 * 5 * 2];
    float sp[2 * 5 * 2], sw[2 * 5] = {1, 1, 0, 1, 1, 1, 0, 1, 1, 1};
    for (int i = 0; i < 10; i++) {
        sid[2 * i] = tgt[i];
        sid[2 * i + 1] = (tgt[i] + 3) % 11;
        sp[2 * i] = 0.6f;
        sp[2 * i + 1] = 0.25f;
    }
    train_soft soft = {.k = 2, .ids = sid, .p = sp, .row_w = sw, .weight = 0.6f, .temp = 2.0f};
    const train_soft *sf = soft_on ? &soft : NULL;
    assert_int_equal(train_forward_soft(m, tok, tgt, wt, sf, 2, 5), AS_OK);
    if (soft_on) /* the parts and their mix, as train.h states it */
        assert_float_equal(m->loss, 0.4f * m->loss_ce + 0.6f * 4.0f * m->loss_kl, 1e-5);
    train_zero_grad(m);
    train_backward(m);
    float *grad = malloc(m->n_params * sizeof(float));
    memcpy(grad, m->grads, m->n_params * sizeof(float));
    const float h = 3e-3f;
    for (int t = 0; t < TP_COUNT; t++) {
        for (size_t j = 0; j < m->sizes[t]; j += 1 + m->sizes[t] / 12) {
            float *p = &m->p[t][j];
            float keep = *p;
            *p = keep + h;
            train_forward_soft(m, tok, tgt, wt, sf, 2, 5);
            double lp = m->loss;
            *p = keep - h;
            train_forward_soft(m, tok, tgt, wt, sf, 2, 5);
            double lm = m->loss;
            *p = keep;
            double num = (lp - lm) / (2 * h);
            double ana = grad[&m->p[t][j] - m->params];
            if (fabs(num - ana) > 2e-3 + 3e-2 * fabs(num))
                fail_msg("tensor %d elem %zu (tied %d, soft %d): finite difference %.6f, "
                         "backward %.6f", t, j, tied, soft_on, num, ana);
        }
    }
    free(grad);
    train_model_free(m);
}

static void test_model_backward_untied(void **state)
{
    (void)state;
    model_fd(0, 0);
}

static void test_model_backward_tied(void **state)
{
    (void)state;
    model_fd(1, 0);
}

static void test_model_backward_soft_targets(void **state)
{
    (void)state;
    model_fd(0, 1);
    model_fd(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsnorm_backward),
        cmocka_unit_test(test_matmul_backward_and_blas),
        cmocka_unit_test(test_rope_backward),
        cmocka_unit_test(test_attention_backward),
        cmocka_unit_test(test_swiglu_backward),
        cmocka_unit_test(test_crossentropy_backward),
        cmocka_unit_test(test_model_backward_untied),
        cmocka_unit_test(test_model_backward_tied),
        cmocka_unit_test(test_kl_topk_backward),
        cmocka_unit_test(test_kl_topk_by_hand),
        cmocka_unit_test(test_model_backward_soft_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
