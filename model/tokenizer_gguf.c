/*
 * tokenizer_gguf.c -- a tokenizer from the tokenizer.ggml.* keys of a GGUF
 * file: gathers the arrays and flags into a tokenizer_desc and hands it to
 * tokenizer_new(), which copies what it keeps, so the file may be closed
 * afterwards.  Missing optional keys take llama.cpp's defaults; a special
 * token id outside the vocabulary (4294967295 is common for "none") is
 * ignored as llama.cpp ignores it.  Knows nothing of encoding.
 */
#include "model/tokenizer.h"

#include <stdlib.h>
#include <string.h>

/* *id from key when present and inside the vocabulary; else unchanged. */
static as_err special_id(int32_t *id, const gguf_file *g, const char *key, size_t n_tokens)
{
    uint32_t v;
    as_err err = gguf_get_u32(g, key, &v);
    if (err == AS_ERR_NOT_FOUND)
        return AS_OK;
    if (err != AS_OK)
        return err;
    if (v < n_tokens)
        *id = (int32_t)v;
    return AS_OK;
}

/* *flag (0/1) from a bool key when present; else unchanged (-1 = default). */
static as_err flag_key(int *flag, const gguf_file *g, const char *key)
{
    int v;
    as_err err = gguf_get_bool(g, key, &v);
    if (err == AS_ERR_NOT_FOUND)
        return AS_OK;
    if (err == AS_OK)
        *flag = v != 0;
    return err;
}

as_err tokenizer_new_from_gguf(tokenizer **out, const gguf_file *g)
{
    as_err err;
    char *model = NULL, *pre = NULL;
    gguf_str *tokens = NULL, *merges = NULL;
    float *scores = NULL;
    int32_t *types = NULL;
    size_t n_tokens = 0, n_merges = 0, n;
    tokenizer_desc d;

    *out = NULL;
    memset(&d, 0, sizeof d);
    d.source = g->path;
    d.bos_id = d.eos_id = d.unk_id = d.eot_id = d.eom_id = d.pad_id = -1;
    d.add_bos = d.add_eos = d.add_space_prefix = -1;

    if ((err = gguf_get_strdup(g, "tokenizer.ggml.model", &model)) != AS_OK)
        goto done;
    err = gguf_get_strdup(g, "tokenizer.ggml.pre", &pre);
    if (err != AS_OK && err != AS_ERR_NOT_FOUND)
        goto done;
    if ((err = gguf_arr_strings(&tokens, &n_tokens, g, "tokenizer.ggml.tokens")) != AS_OK)
        goto done;
    err = gguf_arr_f32(&scores, &n, g, "tokenizer.ggml.scores");
    if (err == AS_OK && n != n_tokens) {
        err = as_fail(AS_ERR_FORMAT, "'%s': tokenizer.ggml.scores: %zu values for %zu tokens", g->path, n,
                      n_tokens);
        goto done;
    }
    if (err != AS_OK && err != AS_ERR_NOT_FOUND)
        goto done;
    err = gguf_arr_i32(&types, &n, g, "tokenizer.ggml.token_type");
    if (err == AS_OK && n != n_tokens) {
        err = as_fail(AS_ERR_FORMAT, "'%s': tokenizer.ggml.token_type: %zu values for %zu tokens", g->path,
                      n, n_tokens);
        goto done;
    }
    if (err != AS_OK && err != AS_ERR_NOT_FOUND)
        goto done;
    err = gguf_arr_strings(&merges, &n_merges, g, "tokenizer.ggml.merges");
    if (err != AS_OK && err != AS_ERR_NOT_FOUND)
        goto done;

    if (strcmp(model, "llama") == 0 && n_tokens > 2) {
        /* llama.cpp's SentencePiece defaults */
        d.unk_id = 0;
        d.bos_id = 1;
        d.eos_id = 2;
    }
    if ((err = special_id(&d.bos_id, g, "tokenizer.ggml.bos_token_id", n_tokens)) != AS_OK ||
        (err = special_id(&d.eos_id, g, "tokenizer.ggml.eos_token_id", n_tokens)) != AS_OK ||
        (err = special_id(&d.unk_id, g, "tokenizer.ggml.unknown_token_id", n_tokens)) != AS_OK ||
        (err = special_id(&d.eot_id, g, "tokenizer.ggml.eot_token_id", n_tokens)) != AS_OK ||
        (err = special_id(&d.eom_id, g, "tokenizer.ggml.eom_token_id", n_tokens)) != AS_OK ||
        (err = special_id(&d.pad_id, g, "tokenizer.ggml.padding_token_id", n_tokens)) != AS_OK ||
        (err = flag_key(&d.add_bos, g, "tokenizer.ggml.add_bos_token")) != AS_OK ||
        (err = flag_key(&d.add_eos, g, "tokenizer.ggml.add_eos_token")) != AS_OK ||
        (err = flag_key(&d.add_space_prefix, g, "tokenizer.ggml.add_space_prefix")) != AS_OK)
        goto done;

    d.model = model;
    d.pre = pre;
    d.n_tokens = n_tokens;
    d.tokens = tokens;
    d.scores = scores;
    d.types = types;
    d.n_merges = n_merges;
    d.merges = merges;
    err = tokenizer_new(out, &d);
done:
    free(model);
    free(pre);
    free(tokens);
    free(merges);
    free(scores);
    free(types);
    return err;
}
