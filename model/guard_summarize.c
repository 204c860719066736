/*
 * guard_summarize.c -- generate, guard, regenerate, fall back (see
 * guard_summarize.h).
 *
 * Memory: the summarizer owns the model, tokenizer and state; the per-sheet
 * prompt and output buffers are allocated per call and freed before it
 * returns; each summary's text is handed to the caller.
 */
#include "model/guard_summarize.h"
#include "model/generate.h"
#include "model/guard.h"
#include "model/narrator.h"
#include "model/slots.h"
#include "model/tokenizer.h"
#include "model/transformer.h"

#include <stdlib.h>
#include <string.h>

struct guard_summarizer {
    model *m;
    tokenizer *tk;
    model_state *st;
    int n_seq;
    int32_t eot, sep;
    char *teacher;
};

as_err guard_summarizer_open(guard_summarizer **out, const char *path, int n_seq, int n_threads)
{
    *out = NULL;
    guard_summarizer *s = calloc(1, sizeof *s);
    if (!s)
        return as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
    as_err e = model_open(&s->m, path);
    if (!e)
        e = tokenizer_new_from_gguf(&s->tk, s->m->file);
    if (!e) {
        s->eot = tokenizer_find(s->tk, "<|endoftext|>", 13);
        s->sep = tokenizer_find(s->tk, "<|summary|>", 11);
        if (s->eot < 0 || s->sep < 0)
            e = as_fail(AS_ERR_UNSUPPORTED, "'%s': field 'tokenizer.ggml.tokens': no "
                        "<|summary|> token; not a model made by `aftershock model distill`",
                        path);
    }
    if (!e && gguf_find(s->m->file, "aftershock.teacher"))
        e = gguf_get_strdup(s->m->file, "aftershock.teacher", &s->teacher);
    if (!e) {
        s->n_seq = n_seq;
        e = model_state_new(&s->st, s->m, n_seq, s->m->c.ctx_len, 256, n_threads, 0);
    }
    if (e) {
        guard_summarizer_close(s);
        return e;
    }
    *out = s;
    return AS_OK;
}

void guard_summarizer_close(guard_summarizer *s)
{
    if (!s)
        return;
    model_state_free(s->st);
    tokenizer_free(s->tk);
    model_close(s->m);
    free(s->teacher);
    free(s);
}

const char *guard_summarizer_model(const guard_summarizer *s)
{
    return s->m->name;
}

const char *guard_summarizer_teacher(const guard_summarizer *s)
{
    return s->teacher ? s->teacher : "";
}

void summary_free(summary *s)
{
    free(s->text);
    s->text = NULL;
}

static int eog_cb(void *ctx, int id)
{
    return id == ((const guard_summarizer *)ctx)->eot;
}

/* Generate for the stocks listed in which[0..n) (all at once); texts[k] gets
 * the decoded summary of which[k]. */
static as_err generate_some(char **texts, guard_summarizer *s, int *const *prompts,
                            const int *n_prompt, const int *which, int n, float temp,
                            uint64_t seed)
{
    int longest = 0;
    const int **pp = malloc(sizeof *pp * (size_t)n);
    int *np = malloc(sizeof *np * (size_t)n), *n_out = malloc(sizeof *n_out * (size_t)n);
    int *out = NULL;
    as_err e = AS_OK;
    if (!pp || !np || !n_out) {
        e = as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
        goto cleanup;
    }
    for (int k = 0; k < n; k++) {
        pp[k] = prompts[which[k]];
        np[k] = n_prompt[which[k]];
        longest = np[k] > longest ? np[k] : longest;
    }
    int n_predict = s->st->n_ctx - longest;
    if (n_predict < 16) {
        e = as_fail(AS_ERR_RANGE, "summarizer: a prompt of %d tokens leaves no room in the "
                    "context of %d", longest, s->st->n_ctx);
        goto cleanup;
    }
    out = malloc(sizeof *out * (size_t)n * (size_t)n_predict);
    if (!out) {
        e = as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
        goto cleanup;
    }
    gen_params gp = {.n_predict = n_predict,
                     .sampling = {.temp = temp, .top_k = 40, .top_p = 0.95f, .seed = seed},
                     .is_eog = eog_cb,
                     .ctx = s};
    if ((e = generate_batch(out, n_out, s->st, pp, np, n, &gp)))
        goto cleanup;
    for (int k = 0; k < n && !e; k++) {
        size_t len = 0;
        const int32_t *ids = out + (size_t)k * n_predict;
        int m = n_out[k];
        if (m > 0 && ids[m - 1] == s->eot)
            m--;
        /* special tokens as text: the slot tokens are filled in afterwards */
        tokenizer_decode(NULL, 0, &len, s->tk, ids, m, TOKENIZER_PARSE_SPECIAL);
        texts[k] = malloc(len + 1);
        if (!texts[k] ||
            tokenizer_decode(texts[k], len + 1, &len, s->tk, ids, m, TOKENIZER_PARSE_SPECIAL))
            e = as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
    }
cleanup:
    free(pp);
    free(np);
    free(n_out);
    free(out);
    return e;
}

as_err guard_summarize_sheet(summary *out, guard_summarizer *s, const factsheet *fs,
                             uint64_t seed)
{
    int n = fs->n_stocks;
    if (n > s->n_seq)
        return as_fail(AS_ERR_RANGE, "summarizer: %d stocks, opened for %d", n, s->n_seq);
    memset(out, 0, sizeof *out * (size_t)n);
    as_err e = AS_OK;
    int **prompts = calloc((size_t)n, sizeof *prompts);
    int *n_prompt = calloc((size_t)n, sizeof *n_prompt), *which = calloc((size_t)n, sizeof(int));
    char **texts = calloc((size_t)n, sizeof *texts);
    if (!prompts || !n_prompt || !which || !texts) {
        e = as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n && !e; i++) {
        char *p = factsheet_write_stock(fs, i);
        int cap = s->st->n_ctx, got = 0;
        prompts[i] = malloc(sizeof(int) * (size_t)cap);
        if (!p || !prompts[i]) {
            free(p);
            e = as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
            break;
        }
        prompts[i][0] = s->eot;
        e = tokenizer_encode(prompts[i] + 1, cap - 2, &got, s->tk, p, strlen(p), 0);
        free(p);
        if (e == AS_ERR_RANGE)
            e = as_fail(AS_ERR_RANGE, "summarizer: the fact sheet of '%s' does not fit the "
                        "model's context of %d tokens", fs->stocks[i].ticker, cap);
        if (e)
            break;
        prompts[i][1 + got] = s->sep;
        n_prompt[i] = got + 2;
        which[i] = i;
    }
    if (!e)
        e = generate_some(texts, s, prompts, n_prompt, which, n, 0.0f, seed);
    int n_retry = 0;
    for (int i = 0; i < n && !e; i++) {
        guard_report g;
        char *filled = NULL;
        out[i].attempts = 1;
        if ((e = slots_fill_check(&out[i].raw_pass, &g, &filled, texts[i], fs, i)))
            break;
        out[i].n_numbers = g.n_numbers;
        out[i].n_bad_numbers = g.n_bad_numbers;
        if (out[i].raw_pass)
            out[i].text = filled;
        else {
            free(filled);
            which[n_retry++] = i;
        }
    }
    if (!e && n_retry) {
        char **again = calloc((size_t)n_retry, sizeof *again);
        if (!again)
            e = as_fail(AS_ERR_NOMEM, "summarizer: out of memory");
        if (!e)
            e = generate_some(again, s, prompts, n_prompt, which, n_retry, 0.7f, seed + 1);
        for (int k = 0; k < n_retry && !e; k++) {
            int i = which[k];
            guard_report g;
            char *filled = NULL;
            int pass;
            out[i].attempts = 2;
            if ((e = slots_fill_check(&pass, &g, &filled, again[k], fs, i)))
                break;
            if (pass) {
                out[i].text = filled;
            } else {
                free(filled);
                out[i].fallback = 1;
                e = narrator_write(&out[i].text, fs, i, seed);
            }
        }
        for (int k = 0; again && k < n_retry; k++)
            free(again[k]);
        free(again);
    }
cleanup:
    for (int i = 0; i < n; i++) {
        if (prompts)
            free(prompts[i]);
        if (texts)
            free(texts[i]);
        if (e)
            summary_free(&out[i]);
    }
    free(prompts);
    free(n_prompt);
    free(which);
    free(texts);
    return e;
}
