/*
 * distill_teacher.c -- running a GGUF teacher on fact sheets (see
 * distill_teacher.h).
 *
 * The engine does the work: model/transformer.h for the weights and the
 * KV cache, model/generate.h for batched greedy decoding, model/chat.h for
 * a plain teacher's prompt, model/tokenizer.h for its text.  Stocks are
 * decoded n_seq at a time; each summary passing the check is then run
 * once more through the engine on its own sequence, every position wanted,
 * to read the teacher's distribution where the student will learn it.
 * Memory: the teacher owns the model, tokenizer, state and vocabulary;
 * the prompts and outputs of a batch are freed before the call returns.
 */
#include "model/distill_teacher.h"
#include "common/sha256.h"
#include "model/chat.h"
#include "model/generate.h"
#include "model/gguf.h"
#include "model/guard.h"
#include "model/slots.h"
#include "model/tokenizer.h"
#include "model/train_gguf.h"
#include "model/transformer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct distill_teacher {
    model *m;
    tokenizer *tk;
    model_state *st;
    teacher_opts o;
    int summary_model;
    int32_t eot, sep;      /* of a summary teacher */
    chat_kind chat;
    bpe_vocab *vocab;      /* shared with the student, or NULL */
    char file[256];
    char sha256[65];
};

enum { MAX_BATCH = 256 };

as_err distill_teacher_open(distill_teacher **out, const char *path, const teacher_opts *o)
{
    *out = NULL;
    distill_teacher *t = calloc(1, sizeof *t);
    if (!t)
        return as_fail(AS_ERR_NOMEM, "teacher: out of memory");
    t->o = *o;
    const char *base = strrchr(path, '/');
    snprintf(t->file, sizeof t->file, "%s", base ? base + 1 : path);
    as_err e = sha256_file_hex(t->sha256, path);
    if (!e)
        e = model_open(&t->m, path);
    if (!e)
        e = tokenizer_new_from_gguf(&t->tk, t->m->file);
    if (e)
        goto fail;
    t->eot = tokenizer_find(t->tk, "<|endoftext|>", 13);
    t->sep = tokenizer_find(t->tk, "<|summary|>", 11);
    t->summary_model = gguf_find(t->m->file, "aftershock.teacher") && t->eot >= 0 && t->sep >= 0;
    t->chat = chat_detect(t->m->chat_template);
    gguf_str km, kp;
    if (t->summary_model && o->k > 0 &&
        gguf_get_str(t->m->file, "tokenizer.ggml.model", &km) == AS_OK && gguf_str_eq(km, "gpt2") &&
        gguf_get_str(t->m->file, "tokenizer.ggml.pre", &kp) == AS_OK && gguf_str_eq(kp, "gpt-2")) {
        /* the trainer's encoder must read the file's vocabulary as the
         * engine does; anything it cannot is no shared vocabulary, not an
         * error: the student then learns a BPE of its own */
        if (train_gguf_vocab(&t->vocab, t->m->file) != AS_OK ||
            t->vocab->n_tokens != t->m->c.vocab_size || t->vocab->eot != t->eot ||
            t->vocab->sep != t->sep) {
            bpe_vocab_free(t->vocab);
            t->vocab = NULL;
            as_clear_error();
        }
    }
    /* a summary teacher's whole context; a plain one's capped, since an
     * instruct model's KV cache over its full context would be large */
    int n_seq = t->summary_model ? 16 : 4;
    int n_ctx = t->m->c.ctx_len < 1024 || t->summary_model ? t->m->c.ctx_len : 1024;
    if ((e = model_state_new(&t->st, t->m, n_seq, n_ctx, MAX_BATCH,
                             o->threads > 0 ? o->threads : 1, 0)))
        goto fail;
    *out = t;
    return AS_OK;
fail:
    distill_teacher_close(t);
    return as_fail_context(e, "distill: --teacher");
}

void distill_teacher_close(distill_teacher *t)
{
    if (!t)
        return;
    model_state_free(t->st);
    tokenizer_free(t->tk);
    model_close(t->m);
    bpe_vocab_free(t->vocab);
    free(t);
}

int distill_teacher_is_summary_model(const distill_teacher *t)
{
    return t->summary_model;
}

const char *distill_teacher_kind(const distill_teacher *t)
{
    return t->summary_model ? "summary" : "plain";
}

const char *distill_teacher_model_name(const distill_teacher *t)
{
    return t->m->name;
}

const bpe_vocab *distill_teacher_vocab(const distill_teacher *t)
{
    return t->vocab;
}

bpe_vocab *distill_teacher_take_vocab(distill_teacher *t)
{
    bpe_vocab *v = t->vocab;
    t->vocab = NULL;
    return v;
}

const char *distill_teacher_file(const distill_teacher *t)
{
    return t->file;
}

const char *distill_teacher_sha256(const distill_teacher *t)
{
    return t->sha256;
}

void teacher_summary_free(teacher_summary *s)
{
    free(s->text);
    free(s->filled);
    free(s->ids);
    free(s->top_ids);
    free(s->top_p);
    memset(s, 0, sizeof *s);
}

/* ---- prompts ------------------------------------------------------------------ */

static const char SYSTEM[] =
    "You are a financial analyst. Write one short paragraph in plain English on how the stock "
    "in the facts moved on the event day. Quote only numbers, tickers and dates that appear in "
    "the facts, with their signs.";

/* The prompt text of a plain teacher for one stock: heap, caller frees. */
static as_err plain_prompt(char **out, const distill_teacher *t, const factsheet *fs, int stock)
{
    *out = NULL;
    char *facts = factsheet_write_stock(fs, stock), *user = NULL;
    if (!facts)
        return as_fail(AS_ERR_NOMEM, "teacher: out of memory");
    int n = asprintf(&user,
                     "Facts, one record per line (ret0: day-0 return in percent; ar0: abnormal "
                     "return in percent, t0 its t statistic; mv: market-value change in USD "
                     "billions; car: cumulative abnormal return over the trading days win, t its "
                     "t statistic):\n%s\nWrite the paragraph about %s.%s",
                     facts, fs->stocks[stock].ticker, t->chat == CHAT_NONE ? "\n\nParagraph:" : "");
    free(facts);
    if (n < 0)
        return as_fail(AS_ERR_NOMEM, "teacher: out of memory");
    chat_msg msgs[2] = {{"system", SYSTEM}, {"user", user}};
    as_err e = chat_format(out, t->chat, msgs, 2, 1);
    free(user);
    return e;
}

/* The prompt ids of one stock into ids (cap); *n their count; too_long
 * when they leave fewer than 16 positions of the state's context. */
static as_err prompt_ids(int *ids, int cap, int *n, int *too_long, const distill_teacher *t,
                         const factsheet *fs, int stock)
{
    *too_long = 0;
    int got = 0;
    as_err e;
    if (t->summary_model) {
        char *p = factsheet_write_stock(fs, stock);
        if (!p)
            return as_fail(AS_ERR_NOMEM, "teacher: out of memory");
        ids[0] = t->eot;
        e = tokenizer_encode(ids + 1, cap - 2, &got, t->tk, p, strlen(p), 0);
        free(p);
        if (!e) {
            ids[1 + got] = t->sep;
            got += 2;
        }
    } else {
        char *p = NULL;
        if ((e = plain_prompt(&p, t, fs, stock)))
            return e;
        e = tokenizer_encode(ids, cap, &got, t->tk, p, strlen(p),
                             TOKENIZER_ADD_SPECIAL | TOKENIZER_PARSE_SPECIAL);
        free(p);
    }
    if (e == AS_ERR_RANGE) {
        as_clear_error();
        *too_long = 1;
        return AS_OK;
    }
    if (e)
        return e;
    *n = got;
    *too_long = got + 16 > t->st->n_ctx;
    return AS_OK;
}

/* ---- generation ----------------------------------------------------------------- */

static const char *piece_cb(void *ctx, int id, size_t *len)
{
    return tokenizer_decode_piece(len, ((const distill_teacher *)ctx)->tk, id, 0);
}

static int eog_cb(void *ctx, int id)
{
    const distill_teacher *t = ctx;
    return t->summary_model ? id == t->eot : tokenizer_is_eog(t->tk, id);
}

/* Heap text of ids (special tokens as text for a summary teacher, whose
 * slot tokens are its words; dropped for a plain one). */
static char *ids_text(const distill_teacher *t, const int32_t *ids, int n)
{
    unsigned flags = t->summary_model ? TOKENIZER_PARSE_SPECIAL : 0;
    size_t len = 0;
    tokenizer_decode(NULL, 0, &len, t->tk, ids, n, flags);
    char *s = malloc(len + 1);
    if (s && tokenizer_decode(s, len + 1, &len, t->tk, ids, n, flags) != AS_OK) {
        free(s);
        s = NULL;
    }
    return s;
}

/* A plain teacher's paragraph: up to its first blank line, trimmed. */
static void plain_trim(char *s)
{
    char *cut = strstr(s, "\n\n");
    if (cut)
        *cut = '\0';
    char *b = s;
    while (*b == ' ' || *b == '\n' || *b == '\t' || *b == '\r')
        b++;
    size_t n = strlen(b);
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\n' || b[n - 1] == '\t' || b[n - 1] == '\r'))
        n--;
    memmove(s, b, n);
    s[n] = '\0';
}

/* The teacher's top-k at temperature temp at positions n_prompt-1 ..
 * n_ids-2 of its own sequence ids (those predicting ids[n_prompt..]). */
static as_err top_k_record(teacher_summary *s, distill_teacher *t)
{
    int k = t->o.k, rows = s->n_ids - s->n_prompt, V = t->m->c.vocab_size;
    if (k > V)
        return as_fail(AS_ERR_USAGE, "teacher '%s': top-%d of a vocabulary of %d tokens",
                       t->file, k, V);
    s->top_ids = malloc(sizeof *s->top_ids * (size_t)rows * k);
    s->top_p = malloc(sizeof *s->top_p * (size_t)rows * k);
    int tok[MAX_BATCH], pos[MAX_BATCH], seq[MAX_BATCH];
    char want[MAX_BATCH];
    if (!s->top_ids || !s->top_p)
        return as_fail(AS_ERR_NOMEM, "teacher: out of memory");
    int row = 0;
    double inv_t = 1.0 / t->o.temp;
    for (int at = 0; at < s->n_ids - 1; at += MAX_BATCH) {
        int n = s->n_ids - 1 - at < MAX_BATCH ? s->n_ids - 1 - at : MAX_BATCH, got;
        for (int i = 0; i < n; i++) {
            tok[i] = s->ids[at + i];
            pos[i] = at + i;
            seq[i] = 0;
            want[i] = at + i >= s->n_prompt - 1;
        }
        model_batch b = {n, tok, pos, seq, want};
        as_err e = model_forward(t->st, &b, &got);
        if (e)
            return e;
        for (int j = 0; j < got; j++, row++) {
            const float *l = t->st->logits + (size_t)j * V;
            int32_t *id = s->top_ids + (size_t)row * k;
            float *p = s->top_p + (size_t)row * k;
            /* the k largest logits, kept sorted (k is small) */
            int have = 0;
            for (int v = 0; v < V; v++) {
                if (have == k && l[v] <= l[id[k - 1]])
                    continue;
                int at2 = have < k ? have++ : k - 1;
                while (at2 > 0 && l[id[at2 - 1]] < l[v]) {
                    id[at2] = id[at2 - 1];
                    at2--;
                }
                id[at2] = v;
            }
            double mx = l[id[0]], sum = 0;
            for (int v = 0; v < V; v++)
                sum += exp((l[v] - mx) * inv_t);
            for (int i = 0; i < k; i++)
                p[i] = (float)(exp((l[id[i]] - mx) * inv_t) / sum);
        }
    }
    if (row != rows)
        return as_fail(AS_ERR_RANGE, "teacher: %d positions read, %d wanted", row, rows);
    return AS_OK;
}

/* Items which[0..n) (n <= n_seq) of the batch, prompts ready. */
static as_err write_group(teacher_summary *out, distill_teacher *t,
                          const factsheet *const *sheets, const int *stocks, int *const *prompts,
                          const int *n_prompt, const int *which, int n)
{
    int longest = 0;
    const int *pp[64];
    int np[64], n_out[64];
    for (int i = 0; i < n; i++) {
        pp[i] = prompts[which[i]];
        np[i] = n_prompt[which[i]];
        longest = np[i] > longest ? np[i] : longest;
    }
    int room = t->st->n_ctx - longest;
    int n_predict = t->summary_model || room < t->o.max_tokens ? room : t->o.max_tokens;
    int *gen = malloc(sizeof *gen * (size_t)n * n_predict);
    if (!gen)
        return as_fail(AS_ERR_NOMEM, "teacher: out of memory");
    static const char *const stop[] = {"\n\n"};
    gen_params gp = {.n_predict = n_predict, .sampling = {.temp = 0.0f, .top_k = 0, .top_p = 1.0f},
                     .stop = t->summary_model ? NULL : stop, .n_stop = t->summary_model ? 0 : 1,
                     .piece = piece_cb, .is_eog = eog_cb, .ctx = t};
    as_err e = generate_batch(gen, n_out, t->st, pp, np, n, &gp);
    for (int i = 0; i < n && !e; i++) {
        teacher_summary *s = &out[which[i]];
        const int *g = gen + (size_t)i * n_predict;
        int m = n_out[i], finished = m > 0 && eog_cb(t, g[m - 1]);
        if (finished)
            m--;
        if (!(s->text = ids_text(t, g, m))) {
            e = as_fail(AS_ERR_NOMEM, "teacher: out of memory");
            break;
        }
        if (!t->summary_model) {
            plain_trim(s->text);
            finished = 1; /* a paragraph ends at a blank line or the token limit */
        }
        guard_report rep;
        int pass = 0;
        const factsheet *fs = sheets[which[i]];
        if ((e = slots_fill_check(&pass, &rep, &s->filled, s->text, fs, stocks[which[i]])))
            break;
        s->pass = pass && finished;
        if (!s->pass || !t->vocab || t->o.k < 1)
            continue;
        s->n_prompt = np[i];
        s->n_ids = np[i] + n_out[i];
        if (!(s->ids = malloc(sizeof *s->ids * (size_t)s->n_ids))) {
            e = as_fail(AS_ERR_NOMEM, "teacher: out of memory");
            break;
        }
        for (int j = 0; j < np[i]; j++)
            s->ids[j] = pp[i][j];
        for (int j = 0; j < n_out[i]; j++)
            s->ids[np[i] + j] = g[j];
        e = top_k_record(s, t);
    }
    free(gen);
    return e;
}

as_err distill_teacher_write(teacher_summary *out, distill_teacher *t,
                             const factsheet *const *sheets, const int *stocks, int n)
{
    memset(out, 0, sizeof *out * (size_t)n);
    as_err e = AS_OK;
    int cap = t->st->n_ctx, n_seq = t->st->n_seq < 64 ? t->st->n_seq : 64;
    int **prompts = calloc((size_t)n, sizeof *prompts);
    int *n_prompt = calloc((size_t)n, sizeof *n_prompt);
    int which[64];
    if (!prompts || !n_prompt) {
        e = as_fail(AS_ERR_NOMEM, "teacher: out of memory");
        goto cleanup;
    }
    for (int at = 0; at < n && !e;) {
        int k = 0;
        for (; at < n && k < n_seq && !e; at++) {
            if (!(prompts[at] = malloc(sizeof **prompts * (size_t)cap))) {
                e = as_fail(AS_ERR_NOMEM, "teacher: out of memory");
                break;
            }
            int too_long = 0;
            e = prompt_ids(prompts[at], cap, &n_prompt[at], &too_long, t, sheets[at], stocks[at]);
            out[at].too_long = too_long;
            if (!e && !too_long)
                which[k++] = at;
        }
        if (!e && k)
            e = write_group(out, t, sheets, stocks, prompts, n_prompt, which, k);
    }
cleanup:
    for (int i = 0; prompts && i < n; i++)
        free(prompts[i]);
    free(prompts);
    free(n_prompt);
    if (e)
        for (int i = 0; i < n; i++)
            teacher_summary_free(&out[i]);
    return e;
}
