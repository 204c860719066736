/*
 * train_layers.c -- the kernels declared in train_layers.h.
 *
 * Gradients follow llm.c (Karpathy, train_gpt2.c) adapted to the Llama
 * blocks: RMSNorm (Zhang & Sennrich 2019) instead of LayerNorm, SwiGLU
 * (Shazeer 2020) instead of GELU, rotary embeddings (Su et al. 2021).
 * Reductions over a row use double accumulators: the trainer's forward must
 * agree with the engine's to 1e-4, and the engine's RMSNorm sums in double.
 */
#include "model/train_layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void embed_forward(float *out, const int32_t *tokens, const float *wte, int N, int C)
{
    for (int n = 0; n < N; n++)
        memcpy(out + (size_t)n * C, wte + (size_t)tokens[n] * C, (size_t)C * sizeof(float));
}

void embed_backward(float *dwte, const float *dout, const int32_t *tokens, int N, int C)
{
    for (int n = 0; n < N; n++) {
        float *d = dwte + (size_t)tokens[n] * C;
        const float *g = dout + (size_t)n * C;
        for (int i = 0; i < C; i++)
            d[i] += g[i];
    }
}

void rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C,
                     float eps)
{
    for (int n = 0; n < N; n++) {
        const float *xn = x + (size_t)n * C;
        float *on = out + (size_t)n * C;
        double ss = 0;
        for (int i = 0; i < C; i++)
            ss += (double)xn[i] * xn[i];
        float r = 1.0f / sqrtf((float)(ss / C) + eps);
        rstd[n] = r;
        for (int i = 0; i < C; i++)
            on[i] = xn[i] * r * w[i];
    }
}

/* y_i = x_i r w_i with r = (mean x^2 + eps)^-1/2, so
 * dx_i = r w_i dy_i - x_i r^3 / C * sum_j dy_j w_j x_j. */
void rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                      const float *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *xn = x + (size_t)n * C, *dy = dout + (size_t)n * C;
        float *dxn = dx + (size_t)n * C;
        float r = rstd[n];
        double dot = 0;
        for (int i = 0; i < C; i++)
            dot += (double)dy[i] * w[i] * xn[i];
        float c = (float)(dot * r * r * r / C);
        for (int i = 0; i < C; i++) {
            dxn[i] += r * w[i] * dy[i] - xn[i] * c;
            dw[i] += dy[i] * xn[i] * r;
        }
    }
}

void matmul_forward(float *out, const float *x, const float *w, int N, int C, int OC)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, x, C, w, C, 0.0f, out,
                OC);
}

void matmul_forward_ref(float *out, const float *x, const float *w, int N, int C, int OC)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = 0;
            for (int i = 0; i < C; i++)
                s += (double)x[(size_t)n * C + i] * w[(size_t)o * C + i];
            out[(size_t)n * OC + o] = (float)s;
        }
}

void matmul_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                     int N, int C, int OC)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, w, C,
                    1.0f, dx, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, x, C, 1.0f,
                dw, C);
}

void matmul_backward_ref(float *dx, float *dw, const float *dout, const float *x,
                         const float *w, int N, int C, int OC)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            float g = dout[(size_t)n * OC + o];
            for (int i = 0; i < C; i++) {
                if (dx)
                    dx[(size_t)n * C + i] += g * w[(size_t)o * C + i];
                dw[(size_t)o * C + i] += g * x[(size_t)n * C + i];
            }
        }
}

void rope_apply_train(float *x, int N, int T, int NH, int HD, float base, int inverse)
{
    float step = powf(base, -2.0f / HD);
    for (int n = 0; n < N; n++) {
        float theta = (float)(n % T);
        float *row = x + (size_t)n * NH * HD;
        for (int j = 0; j < HD / 2; j++) {
            float co = cosf(theta), si = inverse ? -sinf(theta) : sinf(theta);
            for (int h = 0; h < NH; h++) {
                float *p = row + (size_t)h * HD + 2 * j;
                float a = p[0], b = p[1];
                p[0] = a * co - b * si;
                p[1] = a * si + b * co;
            }
            theta *= step;
        }
    }
}

void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH)
{
    int HD = C / NH;
    float scale = 1.0f / sqrtf((float)HD);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *qt = q + ((size_t)b * T + t) * C + h * HD;
                float *a = att + (((size_t)b * NH + h) * T + t) * T;
                float mx = -INFINITY;
                for (int t2 = 0; t2 <= t; t2++) {
                    const float *kt = k + ((size_t)b * T + t2) * C + h * HD;
                    float s = 0;
                    for (int i = 0; i < HD; i++)
                        s += qt[i] * kt[i];
                    a[t2] = s * scale;
                    if (a[t2] > mx)
                        mx = a[t2];
                }
                double sum = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    a[t2] = expf(a[t2] - mx);
                    sum += a[t2];
                }
                float inv = (float)(1.0 / sum);
                for (int t2 = 0; t2 < T; t2++)
                    a[t2] = t2 <= t ? a[t2] * inv : 0.0f;
                float *o = out + ((size_t)b * T + t) * C + h * HD;
                memset(o, 0, (size_t)HD * sizeof(float));
                for (int t2 = 0; t2 <= t; t2++) {
                    const float *vt = v + ((size_t)b * T + t2) * C + h * HD;
                    for (int i = 0; i < HD; i++)
                        o[i] += a[t2] * vt[i];
                }
            }
}

void attention_backward(float *dq, float *dk, float *dv, float *datt, const float *dout,
                        const float *att, const float *q, const float *k, const float *v, int B,
                        int T, int C, int NH)
{
    int HD = C / NH;
    float scale = 1.0f / sqrtf((float)HD);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *a = att + (((size_t)b * NH + h) * T + t) * T;
                const float *go = dout + ((size_t)b * T + t) * C + h * HD;
                /* through out = att v */
                double sum = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    const float *vt = v + ((size_t)b * T + t2) * C + h * HD;
                    float *dvt = dv + ((size_t)b * T + t2) * C + h * HD;
                    float s = 0;
                    for (int i = 0; i < HD; i++) {
                        s += go[i] * vt[i];
                        dvt[i] += a[t2] * go[i];
                    }
                    datt[t2] = s;
                    sum += (double)a[t2] * s;
                }
                /* through the softmax, then the scaled dot products */
                const float *qt = q + ((size_t)b * T + t) * C + h * HD;
                float *dqt = dq + ((size_t)b * T + t) * C + h * HD;
                for (int t2 = 0; t2 <= t; t2++) {
                    float g = a[t2] * (datt[t2] - (float)sum) * scale;
                    const float *kt = k + ((size_t)b * T + t2) * C + h * HD;
                    float *dkt = dk + ((size_t)b * T + t2) * C + h * HD;
                    for (int i = 0; i < HD; i++) {
                        dqt[i] += g * kt[i];
                        dkt[i] += g * qt[i];
                    }
                }
            }
}

void swiglu_forward(float *out, const float *g, const float *u, long n)
{
    for (long i = 0; i < n; i++)
        out[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

/* silu(g) = g s(g), silu'(g) = s(g) (1 + g (1 - s(g))), s the logistic. */
void swiglu_backward(float *dg, float *du, const float *dout, const float *g, const float *u,
                     long n)
{
    for (long i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + expf(-g[i]));
        dg[i] = dout[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
        du[i] = dout[i] * g[i] * s;
    }
}

float crossentropy_forward_backward(float *dlogits, float *logits, const int32_t *targets,
                                    const float *weight, int N, int V)
{
    double wsum = 0, loss = 0;
    for (int n = 0; n < N; n++)
        wsum += weight ? weight[n] : 1.0f;
    if (wsum <= 0)
        wsum = 1;
    for (int n = 0; n < N; n++) {
        float *l = logits + (size_t)n * V;
        float w = weight ? weight[n] : 1.0f;
        float mx = l[0];
        for (int i = 1; i < V; i++)
            if (l[i] > mx)
                mx = l[i];
        double sum = 0;
        for (int i = 0; i < V; i++) {
            l[i] = expf(l[i] - mx);
            sum += l[i];
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < V; i++)
            l[i] *= inv;
        if (w > 0)
            loss -= w * log(fmax(l[targets[n]], 1e-30));
        if (dlogits) {
            float *d = dlogits + (size_t)n * V;
            float c = (float)(w / wsum);
            for (int i = 0; i < V; i++)
                d[i] = (l[i] - (i == targets[n])) * c;
        }
    }
    return (float)(loss / wsum);
}

float kl_topk_forward_backward(float *dlogits, float *scratch, const float *logits,
                               const int32_t *ids, const float *p, const float *weight, int N,
                               int V, int k, float temp, float scale)
{
    double wsum = 0, kl = 0;
    for (int n = 0; n < N; n++)
        wsum += weight[n] > 0 ? weight[n] : 0;
    if (wsum <= 0)
        return 0.0f;
    float inv_t = 1.0f / temp;
    for (int n = 0; n < N; n++) {
        if (!(weight[n] > 0))
            continue;
        const float *l = logits + (size_t)n * V;
        const int32_t *id = ids + (size_t)n * k;
        const float *pn = p + (size_t)n * k;
        float mx = l[0];
        for (int i = 1; i < V; i++)
            if (l[i] > mx)
                mx = l[i];
        double sum = 0, top = 0, ptop = 0;
        for (int i = 0; i < V; i++) {
            scratch[i] = expf((l[i] - mx) * inv_t);
            sum += scratch[i];
        }
        for (int j = 0; j < k; j++)
            top += scratch[id[j]];
        /* the rest as S - (sum over the top) in double, not 1 - a float sum */
        double q_rest = (sum - top) / sum, row = 0;
        for (int j = 0; j < k; j++) {
            double q = scratch[id[j]] / sum;
            ptop += pn[j];
            if (pn[j] > 0)
                row += pn[j] * log(pn[j] / fmax(q, 1e-30));
        }
        double r = ptop < 1 ? 1 - ptop : 0;
        if (r > 0)
            row += r * log(r / fmax(q_rest, 1e-30));
        kl += weight[n] * row;
        if (dlogits) {
            float *d = dlogits + (size_t)n * V;
            double c = scale * temp * weight[n] / wsum;
            double rest_f = 1 - r / fmax(q_rest, 1e-30);
            float cr = (float)(c * rest_f / sum);
            for (int i = 0; i < V; i++)
                d[i] += cr * scratch[i];
            /* the top-k tokens: q_j - p_j instead of the rest's term */
            for (int j = 0; j < k; j++) {
                double q = scratch[id[j]] / sum;
                d[id[j]] += (float)(c * (q - pn[j]) - (double)cr * scratch[id[j]]);
            }
        }
    }
    return (float)(kl / wsum);
}
