/*
 * test_model_synth.c -- round trip synth -> GGUF writer -> reader -> forward,
 * the fast path (AVX2 dots, sgemm tiles, 2 threads) against the plain-loop
 * reference on the same file, batched generation against one sequence at a
 * time, the synthetic vocabulary through the tokenizer, and chat templates.
 * No shared data needed: every file is made here under AS_TEST_TMP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/chat.h"
#include "model/gguf.h"
#include "model/generate.h"
#include "model/quant.h"
#include "model/synth.h"
#include "model/tokenizer.h"
#include "model/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmp_dir[1024];

static void synth_file(char *path, size_t cap, model_arch arch, ggml_type t)
{
    snprintf(path, cap, "%s/synth-%d-%s.gguf", tmp_dir, (int)arch, ggml_type_name(t));
    synth_params p = {arch, 64, 2, 4, 2, 128, 512, t, 7, 0};
    if (synth_write(&p, path) != AS_OK)
        fail_msg("synth_write: %s", as_last_error());
}

/* Logits of a 12-token prompt on the reference and the fast path agree.
 * For float types they differ only in summation order (dots vs sgemm), so
 * 1e-3 is ample at logits of size ~1.  For Q8_0/Q4_0 the reference dots use
 * Q8-quantized activations and the sgemm path float ones: the difference
 * llama.cpp's reference-outputs.md puts at ~0.015, hence 2e-2. */
static void check_paths(model_arch arch, ggml_type t)
{
    char path[1200];
    synth_file(path, sizeof path, arch, t);
    model *m;
    assert_int_equal(model_open(&m, path), AS_OK);
    assert_int_equal(m->c.arch, arch);
    assert_int_equal(m->c.dim, 64);
    assert_int_equal(m->c.n_kv_heads, 2);
    assert_int_equal(m->c.vocab_size, 512);
    assert_int_equal(m->c.tied_output, 1);
    assert_int_equal(m->c.has_qkv_bias, arch == MODEL_ARCH_QWEN2);
    model_state *a, *b;
    assert_int_equal(model_state_new(&a, m, 1, 32, 16, 1, 1), AS_OK);
    assert_int_equal(model_state_new(&b, m, 1, 32, 16, 2, 0), AS_OK);
    int tok[12], pos[12], seq[12] = {0}, na, nb;
    for (int i = 0; i < 12; i++) {
        tok[i] = (i * 37 + 5) % 512;
        pos[i] = i;
    }
    model_batch bt = {12, tok, pos, seq, NULL};
    assert_int_equal(model_forward(a, &bt, &na), AS_OK);
    assert_int_equal(model_forward(b, &bt, &nb), AS_OK);
    float tol = quant_wants_q8(t) ? 2e-2f : 1e-3f;
    for (int v = 0; v < 512; v++)
        if (fabsf(a->logits[v] - b->logits[v]) > tol)
            fail_msg("%s: logit %d: ref %.6f fast %.6f", path, v, a->logits[v], b->logits[v]);
    model_state_free(a);
    model_state_free(b);
    model_close(m);
}

static void test_llama_q8_0(void **st) { (void)st; check_paths(MODEL_ARCH_LLAMA, GGML_TYPE_Q8_0); }
static void test_llama_q4_0(void **st) { (void)st; check_paths(MODEL_ARCH_LLAMA, GGML_TYPE_Q4_0); }
static void test_qwen2_q5_0(void **st) { (void)st; check_paths(MODEL_ARCH_QWEN2, GGML_TYPE_Q5_0); }
static void test_qwen2_f32(void **st) { (void)st; check_paths(MODEL_ARCH_QWEN2, GGML_TYPE_F32); }
static void test_qwen2_bf16(void **st) { (void)st; check_paths(MODEL_ARCH_QWEN2, GGML_TYPE_BF16); }
static void test_llama_f16(void **st) { (void)st; check_paths(MODEL_ARCH_LLAMA, GGML_TYPE_F16); }

/* Q4_K and Q6_K need rows of 256: a wider model. */
static void test_kquants(void **st)
{
    (void)st;
    for (int k = 0; k < 2; k++) {
        ggml_type t = k ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
        char path[1200];
        snprintf(path, sizeof path, "%s/synth-k%d.gguf", tmp_dir, k);
        synth_params p = {MODEL_ARCH_LLAMA, 256, 1, 4, 4, 512, 512, t, 3, 0};
        assert_int_equal(synth_write(&p, path), AS_OK);
        model *m;
        assert_int_equal(model_open(&m, path), AS_OK);
        assert_int_equal(m->w.layers[0].wq.type, t);
        model_state *a, *b;
        assert_int_equal(model_state_new(&a, m, 1, 8, 8, 1, 1), AS_OK);
        assert_int_equal(model_state_new(&b, m, 1, 8, 8, 2, 0), AS_OK);
        int tok[3] = {1, 300, 301}, pos[3] = {0, 1, 2}, seq[3] = {0}, n;
        model_batch bt = {3, tok, pos, seq, NULL};
        assert_int_equal(model_forward(a, &bt, &n), AS_OK);
        assert_int_equal(model_forward(b, &bt, &n), AS_OK);
        for (int v = 0; v < 512; v++)
            assert_float_equal(a->logits[v], b->logits[v], 1e-3);
        model_state_free(a);
        model_state_free(b);
        model_close(m);
    }
}

/* Logits of a 12-token prompt, and the largest |difference| from base. */
static float *prompt_logits(model *m, int n_threads, int use_ref, int float_act)
{
    model_state *s;
    assert_int_equal(model_state_new(&s, m, 1, 32, 16, n_threads, use_ref), AS_OK);
    s->mm.float_act = float_act;
    int tok[12], pos[12], seq[12] = {0}, n;
    for (int i = 0; i < 12; i++) {
        tok[i] = (i * 37 + 5) % m->c.vocab_size;
        pos[i] = i;
    }
    model_batch bt = {12, tok, pos, seq, NULL};
    assert_int_equal(model_forward(s, &bt, &n), AS_OK);
    float *out = malloc((size_t)m->c.vocab_size * sizeof *out);
    assert_non_null(out);
    memcpy(out, s->logits, (size_t)m->c.vocab_size * sizeof *out);
    model_state_free(s);
    return out;
}

static float max_diff(const float *a, const float *b, int n)
{
    float d = 0;
    for (int i = 0; i < n; i++)
        d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

/* The Q4_K_M mix, as llama-quantize writes it, on two shapes: every width
 * a multiple of 256 (as DeepSeek-R1-Distill-Qwen-1.5B), and dim 96 (as
 * Qwen2.5-0.5B's 896, not a multiple of 256), where only ffn_down stays a
 * K-quant and the rest falls back.  Types by hand from use_more_bits over 8
 * layers: n/8 = 1, so layers 0 and 7 and those with (l - 1) % 3 == 2, 3 and
 * 6, get Q6_K (Q8_0 when the width is not a multiple of 256) for attn_v and
 * ffn_down; the tied embedding is Q6_K (Q8_0); the rest Q4_K (Q5_0).
 * Logits: the fast path (SIMD kernels, 2 threads) against the plain loops,
 * both on Q8_K activations, and against float activations (matmul's
 * float_act, the dequantize + FMA path).  Each Q8_K byte is a float rounded
 * to a step of amax / 127 of its block: an rms error of step / sqrt(12),
 * about 0.7 % of the block's rms when amax is about 3 rms.  The float path
 * lacks that rounding; the two integer paths differ only in float
 * summation order (relative 1e-6, test_model_qgemm_k), but a difference of
 * an ulp now and then moves an activation across a rounding boundary, an
 * error of one step.  Either way the logits carry errors of that kind from
 * about 4 L + 1 = 33 quantized matmul inputs: summed as independent ones,
 * 0.7 % x sqrt(33) = 4 % of the logits' rms, and the largest of 512 within
 * about 4 of those: 0.15 rms.  Measured over six seeds: 0.02 - 0.05 rms.  A
 * wrong scale, nibble or block moves logits by their whole rms. */
static void test_q4_k_m(void **st)
{
    (void)st;
    static const int dims[2] = {256, 96};
    for (int k = 0; k < 2; k++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/synth-q4km-%d.gguf", tmp_dir, dims[k]);
        synth_params p = {MODEL_ARCH_QWEN2, dims[k], 8, dims[k] / 32, 1, 512, 512,
                          GGML_TYPE_Q4_K, 5, 1};
        if (synth_write(&p, path) != AS_OK)
            fail_msg("synth_write: %s", as_last_error());
        model *m;
        assert_int_equal(model_open(&m, path), AS_OK);
        int wide = dims[k] % 256 == 0;
        ggml_type six = wide ? GGML_TYPE_Q6_K : GGML_TYPE_Q8_0;
        ggml_type four = wide ? GGML_TYPE_Q4_K : GGML_TYPE_Q5_0; /* llama-quantize's fallback */
        assert_int_equal(gguf_tensor_find(m->file, "token_embd.weight")->type, six);
        for (int l = 0; l < 8; l++) {
            int more = l == 0 || l == 3 || l == 6 || l == 7;
            assert_int_equal(m->w.layers[l].wv.type, more ? six : four);
            assert_int_equal(m->w.layers[l].wq.type, four);
            /* ffn_down has 512 columns: a K-quant on both shapes */
            assert_int_equal(m->w.layers[l].w_down.type, more ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K);
        }
        float *ref = prompt_logits(m, 1, 1, 0), *fast = prompt_logits(m, 2, 0, 0);
        float *flt = prompt_logits(m, 2, 0, 1);
        int nv = m->c.vocab_size;
        double ss = 0;
        for (int v = 0; v < nv; v++)
            ss += (double)ref[v] * ref[v];
        float rms = (float)sqrt(ss / nv), tol = 0.15f * rms;
        float d_fast = max_diff(ref, fast, nv), d_flt = max_diff(fast, flt, nv);
        print_message("Q4_K_M dim %d: logit rms %.3f, |fast - ref| <= %.3g, |Q8_K - float "
                      "activations| <= %.3g (tolerance %.3g)\n", dims[k], rms, d_fast, d_flt, tol);
        assert_true(rms > 0.1f); /* a model that says something */
        if (d_fast > tol)
            fail_msg("dim %d: fast and reference logits differ by %g", dims[k], d_fast);
        if (d_flt > tol)
            fail_msg("dim %d: Q8_K and float activations differ by %g", dims[k], d_flt);
        free(ref);
        free(fast);
        free(flt);
        model_close(m);
    }
}

/* Three prompts generated together must give what each gives alone. */
static void test_batched_equals_single(void **st)
{
    (void)st;
    char path[1200];
    synth_file(path, sizeof path, MODEL_ARCH_QWEN2, GGML_TYPE_F32);
    model *m;
    assert_int_equal(model_open(&m, path), AS_OK);
    static const int p0[] = {1, 50, 60, 70}, p1[] = {1, 400}, p2[] = {1, 9, 8, 7, 6, 5, 4};
    const int *prompts[3] = {p0, p1, p2};
    int n_prompt[3] = {4, 2, 7};
    gen_params gp = {.n_predict = 10, .sampling = {.temp = 0, .top_p = 1}};
    int together[30], n_together[3];
    model_state *s;
    assert_int_equal(model_state_new(&s, m, 3, 32, 8, 2, 0), AS_OK);
    assert_int_equal(generate_batch(together, n_together, s, prompts, n_prompt, 3, &gp), AS_OK);
    model_state_free(s);
    for (int i = 0; i < 3; i++) {
        int alone[10], n_alone;
        assert_int_equal(model_state_new(&s, m, 1, 32, 8, 1, 0), AS_OK);
        assert_int_equal(generate_batch(alone, &n_alone, s, &prompts[i], &n_prompt[i], 1, &gp),
                         AS_OK);
        model_state_free(s);
        assert_int_equal(n_alone, n_together[i]);
        for (int k = 0; k < n_alone; k++)
            assert_int_equal(alone[k], together[i * 10 + k]);
    }
    model_close(m);
}

static void test_synth_tokenizer_and_chat(void **st)
{
    (void)st;
    char path[1200];
    synth_file(path, sizeof path, MODEL_ARCH_QWEN2, GGML_TYPE_Q8_0);
    model *m;
    assert_int_equal(model_open(&m, path), AS_OK);
    assert_int_equal(chat_detect(m->chat_template), CHAT_CHATML);
    tokenizer *tk;
    if (tokenizer_new_from_gguf(&tk, m->file) != AS_OK)
        fail_msg("tokenizer: %s", as_last_error());
    chat_msg msg = {"user", "hi there"};
    char *text;
    assert_int_equal(chat_format(&text, CHAT_CHATML, &msg, 1, 1), AS_OK);
    assert_string_equal(text, "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n");
    int32_t ids[128];
    int n;
    assert_int_equal(tokenizer_encode(ids, 128, &n, tk, text, strlen(text),
                                      TOKENIZER_ADD_SPECIAL | TOKENIZER_PARSE_SPECIAL), AS_OK);
    assert_int_equal(ids[0], 1);                                     /* BOS */
    assert_int_equal(ids[1], tokenizer_find(tk, "<|im_start|>", 12)); /* control token */
    char back[256];
    size_t len;
    assert_int_equal(tokenizer_decode(back, sizeof back, &len, tk, ids, n,
                                      TOKENIZER_ADD_SPECIAL | TOKENIZER_PARSE_SPECIAL), AS_OK);
    /* SPM puts its space prefix before text that follows a control token,
     * as llama.cpp does, so compare without spaces */
    char *a = back, *b = text;
    while (*a || *b) {
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        assert_int_equal(*a, *b);
        if (*a) { a++; b++; }
    }
    free(text);
    /* "tea" by hand: the qwen2 synth vocabulary is <unk> <s> </s>, 256 byte
     * tokens (3..258), <|im_start|> <|im_end|> (259, 260), "▁" (261), then
     * each letter string w of "etaoinshrdlucmfwypvbgkjqxz" as w and "▁"w,
     * by length, at scores falling with the id: "t" (letter 1) is 264 and
     * "▁t" 265; two-letter words start at 314, "ea" (e 0, a 2: word 2) at
     * 318 and "te" (word 26) at 366, "▁te" 367.  SPM merges the
     * best-scoring pair first: ▁ t e a -> ▁t e a (265 beats 318 and 366)
     * -> ▁t ea (318 beats 367); "▁tea" is not in the vocabulary */
    assert_int_equal(tokenizer_encode(ids, 128, &n, tk, "tea", 3, TOKENIZER_ADD_SPECIAL), AS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 265);
    assert_int_equal(ids[2], 318);
    tokenizer_free(tk);
    model_close(m);
    chat_msg two[2] = {{"system", " Be brief. "}, {"user", "Why?"}};
    assert_int_equal(chat_format(&text, CHAT_LLAMA3, two, 2, 1), AS_OK);
    assert_string_equal(text, "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                              "<|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|>"
                              "<|start_header_id|>assistant<|end_header_id|>\n\n");
    free(text);
}

/* Templates and their expected renderings from llama.cpp's
 * tests/test-chat-template.cpp (c392e509): Meta's Llama 3 template and
 * OpenHermes-2.5's ChatML one, over its six-message conversation, with the
 * generation prompt.  Llama 3 trims each message, ChatML does not. */
static void test_chat_detect_templates(void **st)
{
    (void)st;
    static const char llama3[] =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
        "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] "
        "| trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content "
        "%}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>"
        "\n\n' }}";
    static const char chatml[] =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|im_start|>assistant\\n' }}{% endif %}";
    static const char mistral[] =
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
        "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% endfor %}";
    static const chat_msg conv[6] = {
        {"system", "You are a helpful assistant"}, {"user", "Hello"},
        {"assistant", "Hi there"}, {"user", "Who are you"},
        {"assistant", "   I am an assistant   "}, {"user", "Another question"},
    };
    assert_int_equal(chat_detect(llama3), CHAT_LLAMA3);
    assert_int_equal(chat_detect(chatml), CHAT_CHATML);
    assert_int_equal(chat_detect(mistral), CHAT_NONE);
    assert_int_equal(chat_detect(NULL), CHAT_NONE);
    assert_string_equal(chat_kind_name(CHAT_LLAMA3), "llama3");
    char *text;
    assert_int_equal(chat_format(&text, chat_detect(llama3), conv, 6, 1), AS_OK);
    assert_string_equal(text,
        "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
    free(text);
    assert_int_equal(chat_format(&text, chat_detect(chatml), conv, 6, 1), AS_OK);
    assert_string_equal(text,
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello"
        "<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are "
        "you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n"
        "<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n");
    free(text);

    /* detected from the file: a llama synth carries a Llama 3 template in
     * tokenizer.chat_template, and model_open hands it over */
    char path[1200];
    synth_file(path, sizeof path, MODEL_ARCH_LLAMA, GGML_TYPE_F32);
    model *m;
    assert_int_equal(model_open(&m, path), AS_OK);
    assert_non_null(m->chat_template);
    assert_int_equal(chat_detect(m->chat_template), CHAT_LLAMA3);
    model_close(m);
}

static void test_synth_rejects_bad_shape(void **st)
{
    (void)st;
    synth_params p = {MODEL_ARCH_LLAMA, 100, 1, 3, 3, 64, 512, GGML_TYPE_F32, 1, 0};
    char path[1200];
    snprintf(path, sizeof path, "%s/bad.gguf", tmp_dir);
    assert_int_equal(synth_write(&p, path), AS_ERR_USAGE); /* 3 heads do not divide 100 */
    p = (synth_params){MODEL_ARCH_LLAMA, 48, 1, 2, 2, 64, 512, GGML_TYPE_Q8_0, 1, 0};
    assert_int_equal(synth_write(&p, path), AS_ERR_USAGE); /* 48 not a multiple of 32 */
    FILE *f = fopen(path, "rb");
    assert_null(f); /* nothing half-written */
}

int main(void)
{
    const char *t = getenv("AS_TEST_TMP");
    snprintf(tmp_dir, sizeof tmp_dir, "%s", t ? t : "/tmp");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama_q8_0),
        cmocka_unit_test(test_llama_q4_0),
        cmocka_unit_test(test_qwen2_q5_0),
        cmocka_unit_test(test_qwen2_f32),
        cmocka_unit_test(test_qwen2_bf16),
        cmocka_unit_test(test_llama_f16),
        cmocka_unit_test(test_kquants),
        cmocka_unit_test(test_q4_k_m),
        cmocka_unit_test(test_batched_equals_single),
        cmocka_unit_test(test_synth_tokenizer_and_chat),
        cmocka_unit_test(test_chat_detect_templates),
        cmocka_unit_test(test_synth_rejects_bad_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
