/*
 * synth.c -- random-weight GGUF files (see synth.h).
 *
 * The vocabulary: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, the
 * chat control tokens of the template, then "▁" and letter strings in order
 * of length, with decreasing scores, so every piece can be built by the SPM
 * merges from two shorter ones.  Normal deviates come from the sum of four
 * uniforms (Irwin-Hall), plenty for benchmark weights.
 */
#include "model/synth.h"

#include "model/gguf_write.h"
#include "model/quant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char chatml_template[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}";
static const char llama3_template[] =
    "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}";

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* Approximately normal with standard deviation std. */
static float rng_normal(uint64_t *s, float std)
{
    float sum = 0;
    for (int i = 0; i < 4; i++)
        sum += (float)(rng_next(s) >> 40) / 16777216.0f;
    return (sum - 2.0f) * 1.7320508f * std; /* Irwin-Hall(4) has variance 1/3 */
}

/* A rows x cols matrix of type t filled with N(0, std); heap, caller frees. */
static void *matrix_random(ggml_type t, int rows, int cols, float std, uint64_t *rng)
{
    size_t rb = ggml_row_size(t, (uint64_t)cols);
    char *out = malloc(rb * (size_t)rows);
    float *row = malloc((size_t)cols * sizeof *row);
    if (!out || !row) {
        free(out);
        free(row);
        return NULL;
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            row[c] = rng_normal(rng, std);
        quant_quantize_row(out + (size_t)r * rb, row, t, cols);
    }
    free(row);
    return out;
}

/* The tensor roles the Q4_K_M mix tells apart. */
typedef enum synth_role { ROLE_EMBD, ROLE_ATTN_V, ROLE_FFN_DOWN, ROLE_OTHER } synth_role;

/* llama-quantize's rule for the tensors it gives more bits (llama.cpp
 * src/llama-quant.cpp, use_more_bits): the first and last eighth of the
 * layers and every third one between. */
static int use_more_bits(int layer, int n_layers)
{
    return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

/* The type of a 2-D tensor with cols columns.  Plain: p->type, except the
 * Q4_0 or Q5_0 embedding (Q8_0: llama-quantize's output type falls back
 * to it at these widths).  Q4_K_M, as llama-quantize writes it for a model
 * with tied embeddings: the embedding (which is also the output) Q6_K,
 * attn_v and ffn_down Q6_K in use_more_bits layers, everything else Q4_K;
 * where cols is not a multiple of 256, Q6_K falls back to Q8_0 and Q4_K
 * to Q5_0, as there.  Qwen2.5-0.5B (dim 896) is such a model: only its
 * ffn_down is K-quant. */
static ggml_type tensor_type(const synth_params *p, synth_role role, int layer, int cols)
{
    if (!p->q4_k_m)
        return role == ROLE_EMBD && (p->type == GGML_TYPE_Q4_0 || p->type == GGML_TYPE_Q5_0)
                   ? GGML_TYPE_Q8_0 : p->type;
    int six = role == ROLE_EMBD ||
              ((role == ROLE_ATTN_V || role == ROLE_FFN_DOWN) && use_more_bits(layer, p->n_layers));
    if (cols % QK_K)
        return six ? GGML_TYPE_Q8_0 : GGML_TYPE_Q5_0;
    return six ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
}

static float *vector_fill(int n, float mean, float std, uint64_t *rng)
{
    float *v = malloc((size_t)n * sizeof *v);
    if (v)
        for (int i = 0; i < n; i++)
            v[i] = mean + (std > 0 ? rng_normal(rng, std) : 0);
    return v;
}

/* Vocabulary strings (heap, caller frees each and the array). */
static char **vocab_build(int n, const char *const *control, int n_control, int **types_out,
                          float **scores_out)
{
    char **tok = calloc((size_t)n, sizeof *tok);
    int *types = malloc((size_t)n * sizeof *types);
    float *scores = malloc((size_t)n * sizeof *scores);
    if (!tok || !types || !scores)
        goto fail;
    static const char letters[] = "etaoinshrdlucmfwypvbgkjqxz";
    int i = 0;
    tok[i] = strdup("<unk>"); types[i] = 2; scores[i++] = 0;
    tok[i] = strdup("<s>"); types[i] = 3; scores[i++] = 0;
    tok[i] = strdup("</s>"); types[i] = 3; scores[i++] = 0;
    for (int b = 0; b < 256; b++) {
        char buf[8];
        snprintf(buf, sizeof buf, "<0x%02X>", b);
        tok[i] = strdup(buf);
        types[i] = 6;
        scores[i++] = 0;
    }
    for (int c = 0; c < n_control; c++) {
        tok[i] = strdup(control[c]);
        types[i] = 3;
        scores[i++] = 0;
    }
    /* strings over letters by increasing length, each alone and after "▁" */
    int idx[8] = {0}, len = 1;
    tok[i] = strdup("\xe2\x96\x81");
    types[i] = 1;
    scores[i] = -(float)i;
    i++;
    while (i < n) {
        char word[16];
        for (int k = 0; k < len; k++)
            word[k] = letters[idx[k]];
        word[len] = '\0';
        for (int pre = 0; pre < 2 && i < n; pre++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%s%s", pre ? "\xe2\x96\x81" : "", word);
            tok[i] = strdup(buf);
            types[i] = 1;
            scores[i] = -(float)i;
            i++;
        }
        int k = len - 1;
        while (k >= 0 && ++idx[k] == 26)
            idx[k--] = 0;
        if (k < 0)
            len++;
    }
    for (int j = 0; j < n; j++)
        if (!tok[j])
            goto fail;
    *types_out = types;
    *scores_out = scores;
    return tok;
fail:
    for (int j = 0; tok && j < n; j++)
        free(tok[j]);
    free(tok);
    free(types);
    free(scores);
    return NULL;
}

as_err synth_write(const synth_params *p, const char *path)
{
    int q_dim = p->n_heads > 0 ? p->dim / p->n_heads * p->n_heads : 0;
    size_t blk = ggml_type_block(p->type);
    if (p->dim < 8 || p->n_layers < 1 || p->n_heads < 1 || p->n_kv_heads < 1 ||
        p->n_heads % p->n_kv_heads || p->dim % p->n_heads || (p->dim / p->n_heads) % 2 ||
        p->ffn_dim < 1 || p->vocab_size < 300 || p->vocab_size > (1 << 24) ||
        p->dim > (1 << 16) || p->ffn_dim > (1 << 18) || p->n_layers > 1024)
        return as_fail(AS_ERR_USAGE, "synth: shape dim %d, layers %d, heads %d/%d, ffn %d, "
                       "vocab %d is not valid (heads must divide dim into even head sizes, "
                       "kv-heads divide heads, vocab >= 300)", p->dim, p->n_layers,
                       p->n_heads, p->n_kv_heads, p->ffn_dim, p->vocab_size);
    if (p->q4_k_m) {
        /* the fallbacks are 32-element types */
        if (p->dim % QK || p->ffn_dim % QK)
            return as_fail(AS_ERR_USAGE, "synth: type Q4_K_M needs dim and ffn to be multiples "
                           "of %d", QK);
    } else if (!quant_supported(p->type)) {
        return as_fail(AS_ERR_USAGE, "synth: type %s is not one this engine runs (F32, F16, "
                       "BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K, or the Q4_K_M mix)",
                       ggml_type_name(p->type));
    } else if (p->dim % (int)blk || p->ffn_dim % (int)blk) {
        return as_fail(AS_ERR_USAGE, "synth: type %s needs dim and ffn to be multiples of %zu",
                       ggml_type_name(p->type), blk);
    }
    int head_dim = p->dim / p->n_heads, kv_dim = p->n_kv_heads * head_dim;
    int qwen = p->arch == MODEL_ARCH_QWEN2;
    const char *arch = qwen ? "qwen2" : "llama";
    static const char *const chatml[] = {"<|im_start|>", "<|im_end|>"};
    static const char *const llama3[] = {"<|start_header_id|>", "<|end_header_id|>",
                                         "<|eot_id|>"};
    int *types = NULL;
    float *scores = NULL;
    char **tok = vocab_build(p->vocab_size, qwen ? chatml : llama3, qwen ? 2 : 3, &types,
                             &scores);
    gguf_writer *w = gguf_writer_new();
    as_err e = AS_OK;
    if (!tok || !w) {
        e = as_fail(AS_ERR_NOMEM, "synth: out of memory");
        goto done;
    }
    char key[128], name[64];
#define KEY(k) (snprintf(key, sizeof key, "%s.%s", arch, k), key)
    gguf_writer_add_str(w, "general.architecture", arch);
    snprintf(name, sizeof name, "synth-%s-%dx%d-%s", arch, p->dim, p->n_layers,
             p->q4_k_m ? "Q4_K_M" : ggml_type_name(p->type));
    gguf_writer_add_str(w, "general.name", name);
    gguf_writer_add_u32(w, KEY("context_length"), 4096);
    gguf_writer_add_u32(w, KEY("embedding_length"), (uint32_t)p->dim);
    gguf_writer_add_u32(w, KEY("block_count"), (uint32_t)p->n_layers);
    gguf_writer_add_u32(w, KEY("feed_forward_length"), (uint32_t)p->ffn_dim);
    gguf_writer_add_u32(w, KEY("attention.head_count"), (uint32_t)p->n_heads);
    gguf_writer_add_u32(w, KEY("attention.head_count_kv"), (uint32_t)p->n_kv_heads);
    gguf_writer_add_f32(w, KEY("attention.layer_norm_rms_epsilon"), qwen ? 1e-6f : 1e-5f);
    gguf_writer_add_f32(w, KEY("rope.freq_base"), qwen ? 1000000.0f : 10000.0f);
#undef KEY
    gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
    gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok,
                            (size_t)p->vocab_size);
    gguf_writer_add_arr_f32(w, "tokenizer.ggml.scores", scores, (size_t)p->vocab_size);
    gguf_writer_add_arr_i32(w, "tokenizer.ggml.token_type", types, (size_t)p->vocab_size);
    gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 2);
    gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", 1);
    gguf_writer_add_str(w, "tokenizer.chat_template", qwen ? chatml_template : llama3_template);

    uint64_t rng = p->seed ? p->seed : 42;
    uint64_t ne[2];
#define MAT_T(nm, type, rows, cols, std)                                               \
    do {                                                                               \
        void *d_ = matrix_random(type, rows, cols, std, &rng);                         \
        if (!d_) {                                                                     \
            e = as_fail(AS_ERR_NOMEM, "synth: out of memory");                         \
            goto done;                                                                 \
        }                                                                              \
        ne[0] = (uint64_t)(cols);                                                      \
        ne[1] = (uint64_t)(rows);                                                      \
        gguf_writer_add_tensor_owned(w, nm, type, 2, ne, d_);                          \
    } while (0)
#define MAT(nm, role, rows, cols, std) MAT_T(nm, tensor_type(p, role, l, cols), rows, cols, std)
#define VEC(nm, n, mean, std)                                                          \
    do {                                                                               \
        float *v_ = vector_fill(n, mean, std, &rng);                                   \
        if (!v_) {                                                                     \
            e = as_fail(AS_ERR_NOMEM, "synth: out of memory");                         \
            goto done;                                                                 \
        }                                                                              \
        ne[0] = (uint64_t)(n);                                                         \
        gguf_writer_add_tensor_owned(w, nm, GGML_TYPE_F32, 1, ne, v_);                 \
    } while (0)
    /* Q4_0 files keep the tied embedding (the output projection) in Q8_0,
     * as llama-quantize's Q4_0 files of SmolLM2-135M and Qwen2.5-0.5B shape
     * do: their sizes in reference-outputs.md (86.42 and 330.17 MiB) only
     * add up that way, and a benchmark must read the same bytes per token */
    MAT_T("token_embd.weight", tensor_type(p, ROLE_EMBD, 0, p->dim), p->vocab_size, p->dim, 0.05f);
    VEC("output_norm.weight", p->dim, 1.0f, 0);
    for (int l = 0; l < p->n_layers; l++) {
        char t[64];
#define NM(s) (snprintf(t, sizeof t, "blk.%d.%s", l, s), t)
        VEC(NM("attn_norm.weight"), p->dim, 1.0f, 0);
        MAT(NM("attn_q.weight"), ROLE_OTHER, q_dim, p->dim, 0.02f);
        MAT(NM("attn_k.weight"), ROLE_OTHER, kv_dim, p->dim, 0.02f);
        MAT(NM("attn_v.weight"), ROLE_ATTN_V, kv_dim, p->dim, 0.02f);
        if (qwen) {
            VEC(NM("attn_q.bias"), q_dim, 0, 0.05f);
            VEC(NM("attn_k.bias"), kv_dim, 0, 0.05f);
            VEC(NM("attn_v.bias"), kv_dim, 0, 0.05f);
        }
        MAT(NM("attn_output.weight"), ROLE_OTHER, p->dim, q_dim, 0.02f);
        VEC(NM("ffn_norm.weight"), p->dim, 1.0f, 0);
        MAT(NM("ffn_gate.weight"), ROLE_OTHER, p->ffn_dim, p->dim, 0.02f);
        MAT(NM("ffn_up.weight"), ROLE_OTHER, p->ffn_dim, p->dim, 0.02f);
        MAT(NM("ffn_down.weight"), ROLE_FFN_DOWN, p->dim, p->ffn_dim, 0.02f);
#undef NM
    }
#undef MAT
#undef MAT_T
#undef VEC
    e = gguf_writer_write(w, path);
done:
    for (int j = 0; tok && j < p->vocab_size; j++)
        free(tok[j]);
    free(tok);
    free(types);
    free(scores);
    gguf_writer_free(w);
    return e;
}
