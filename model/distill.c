/*
 * distill.c -- corpus building and held-out scoring behind distill_run()
 * (see distill.h); the training loop is model/train_loop.c, shared with
 * `model train`.
 *
 * Determinism: sheets come from fixed seeds, the BPE trainer breaks ties by
 * id, the document order is a seeded Fisher-Yates shuffle, batch k takes
 * documents k*B.. of that order (wrapping), and the model is float32 with
 * OpenBLAS at a fixed thread count; so a run, or a run resumed from its
 * checkpoint, gives the same bytes -- except the two timing keys
 * (aftershock.train_seconds, aftershock.train_tokens_per_s), which record
 * this machine's speed as the issue asks.  They are F32, so the file's
 * layout does not move: two builds differ in at most those 8 bytes
 * (tests/model_repro.sh checks exactly that).  Memory: the corpus (texts and ids) is owned
 * here and freed before returning.
 */
#include "model/distill.h"
#include "common/file.h"
#include "model/distill_facts.h"
#include "model/distill_teacher.h"
#include "model/guard.h"
#include "model/narrator.h"
#include "model/slots.h"
#include "model/train_gguf.h"
#include "model/train_loop.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void distill_opts_default(distill_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_facts = 2000;
    /* up to 12 stocks a sheet, so a sector holds as many as the demo's (7) */
    o->max_stocks = 12;
    o->heldout_pct = 5;
    o->n_eval = 256;
    o->vocab = 2048;
    /* sized for the CPU budget of `make model` on 2 shared cores: one
     * OpenBLAS thread needs about 0.3 s of CPU a step (1,800 tokens of
     * batch 8), so 2400 steps (about 1.5 epochs of the 12,400 documents)
     * take about 12 minutes with a core to itself and about 18 when other
     * work leaves it 70 % of one (measured 2026-12-04, Intel Xeon) */
    o->model = (train_config){.dim = 96, .n_layers = 3, .n_heads = 4, .ffn_dim = 256,
                              .ctx = 384, .tied = 1, .rope_base = 10000.0f, .norm_eps = 1e-5f};
    o->steps = 2400;
    o->batch = 8;
    o->warmup = 90;
    o->lr = 4e-3f;
    o->lr_min = 4e-4f;
    o->weight_decay = 0.01f;
    o->clip = 1.0f;
    o->seed = 20250127;
    o->checkpoint_every = 100;
    o->kl_k = 8;
    o->kl_weight = 0.5f;
    o->kl_temp = 1.0f;
    o->teacher_tokens = 200;
    o->threads = 2;
}

/* ---- ROUGE-L ----------------------------------------------------------------- */

static int words_split(const char **w, int *wl, int cap, const char *s)
{
    int n = 0;
    while (*s && n < cap) {
        while (*s == ' ' || *s == '\n' || *s == '\t')
            s++;
        if (!*s)
            break;
        const char *e = s;
        while (*e && *e != ' ' && *e != '\n' && *e != '\t')
            e++;
        w[n] = s;
        wl[n++] = (int)(e - s);
        s = e;
    }
    return n;
}

double distill_rouge_l(const char *cand, const char *ref)
{
    enum { MAXW = 512 };
    static _Thread_local const char *a[MAXW], *b[MAXW];
    static _Thread_local int al[MAXW], bl[MAXW], row[MAXW + 1], prev[MAXW + 1];
    int n = words_split(a, al, MAXW, cand), m = words_split(b, bl, MAXW, ref);
    if (!n || !m)
        return n == m ? 1.0 : 0.0;
    memset(prev, 0, sizeof(int) * (size_t)(m + 1));
    for (int i = 1; i <= n; i++) {
        row[0] = 0;
        for (int j = 1; j <= m; j++) {
            int same = al[i - 1] == bl[j - 1] && memcmp(a[i - 1], b[j - 1], (size_t)al[i - 1]) == 0;
            row[j] = same ? prev[j - 1] + 1 : (row[j - 1] > prev[j] ? row[j - 1] : prev[j]);
        }
        memcpy(prev, row, sizeof(int) * (size_t)(m + 1));
    }
    double lcs = prev[m];
    if (lcs == 0)
        return 0.0;
    double p = lcs / n, r = lcs / m;
    return 2 * p * r / (p + r);
}

/* ---- corpus ------------------------------------------------------------------ */

typedef struct doc {
    char *prompt, *summary;
    int32_t *ids;   /* BOS prompt SEP summary EOS */
    int n_ids, n_prompt; /* n_prompt: ids up to and including SEP */
    /* a neural teacher's documents only: */
    char *ref;      /* what the teacher said, slots filled: the scores' reference */
    int32_t *top_ids; /* (n_ids - n_prompt, k) its top-k, with a shared vocabulary */
    float *top_p;
    const factsheet *fs; /* the sheet and stock, where the sheet is kept for scoring */
    int stock;
} doc;

typedef struct corpus {
    doc *d;
    int n, cap;
} corpus;

static void corpus_free(corpus *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->d[i].prompt);
        free(c->d[i].summary);
        free(c->d[i].ids);
        free(c->d[i].ref);
        free(c->d[i].top_ids);
        free(c->d[i].top_p);
    }
    free(c->d);
    memset(c, 0, sizeof *c);
}

static as_err corpus_grow(corpus *c)
{
    if (c->n < c->cap)
        return AS_OK;
    int cap = c->cap ? c->cap * 2 : 1024;
    doc *p = realloc(c->d, (size_t)cap * sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "distill: out of memory");
    c->d = p;
    c->cap = cap;
    return AS_OK;
}

/* The narrator's documents of one sheet: one per stock, phrasing drawn
 * from seed. */
static as_err corpus_add_sheet(corpus *c, const factsheet *fs, uint64_t seed)
{
    for (int i = 0; i < fs->n_stocks; i++) {
        as_err e = corpus_grow(c);
        if (e)
            return e;
        doc d = {0};
        d.prompt = factsheet_write_stock(fs, i);
        e = d.prompt ? narrator_write_slots(&d.summary, fs, i, seed)
                     : as_fail(AS_ERR_NOMEM, "distill: out of memory");
        if (e) {
            free(d.prompt);
            return e;
        }
        c->d[c->n++] = d;
    }
    return AS_OK;
}

/* Documents of the random sheets first..last (inclusive seeds). */
static as_err corpus_add_sheets(corpus *c, uint64_t first, uint64_t last, int max_stocks)
{
    for (uint64_t seed = first; seed <= last; seed++) {
        factsheet fs;
        as_err e = distill_random_sheet(&fs, seed, max_stocks);
        if (!e)
            e = corpus_add_sheet(c, &fs, seed);
        factsheet_clear(&fs);
        if (e)
            return e;
    }
    return AS_OK;
}

/* ---- a neural teacher's corpus ---------------------------------------------------- */

typedef struct teach_count {
    int written, failed, too_long; /* summaries asked for; failing the check; not fitting */
} teach_count;

/* The teacher's documents of stocks[0..n) of sheets (sheet[i], stock[i]):
 * those passing the summarizer's check; keep_fs: the sheets outlive the
 * corpus's use, so each document may point at its sheet. */
static as_err corpus_add_teacher(corpus *c, teach_count *tc, distill_teacher *t,
                                 const factsheet *const *sheet, const int *stock, int n,
                                 int keep_fs)
{
    enum { CHUNK = 64 };
    teacher_summary out[CHUNK];
    as_err e = AS_OK;
    for (int at = 0; at < n && !e; at += CHUNK) {
        int k = n - at < CHUNK ? n - at : CHUNK;
        if ((e = distill_teacher_write(out, t, sheet + at, stock + at, k)))
            break;
        for (int j = 0; j < k; j++) {
            teacher_summary *s = &out[j];
            tc->written++;
            tc->too_long += s->too_long;
            tc->failed += !s->too_long && !s->pass;
            if (e || !s->pass || (e = corpus_grow(c))) {
                teacher_summary_free(s);
                continue;
            }
            doc d = {.summary = s->text, .ref = s->filled, .ids = s->ids, .n_ids = s->n_ids,
                     .n_prompt = s->n_prompt, .top_ids = s->top_ids, .top_p = s->top_p,
                     .fs = keep_fs ? sheet[at + j] : NULL, .stock = stock[at + j]};
            memset(s, 0, sizeof *s); /* handed to the document */
            if (!(d.prompt = factsheet_write_stock(sheet[at + j], stock[at + j]))) {
                e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
                free(d.summary), free(d.ref), free(d.ids), free(d.top_ids), free(d.top_p);
                continue;
            }
            c->d[c->n++] = d;
        }
    }
    return e;
}

/* Every stock of sheets[0..n), at most max_items of them. */
static as_err corpus_add_teacher_sheets(corpus *c, teach_count *tc, distill_teacher *t,
                                        const factsheet *sheets, int n, int max_items,
                                        int keep_fs)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += sheets[i].n_stocks;
    if (total > max_items)
        total = max_items;
    const factsheet **sp = malloc(sizeof *sp * (size_t)(total + 1));
    int *st = malloc(sizeof *st * (size_t)(total + 1)), k = 0;
    as_err e = sp && st ? AS_OK : as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (int i = 0; i < n && k < total && !e; i++)
        for (int j = 0; j < sheets[i].n_stocks && k < total; j++) {
            sp[k] = &sheets[i];
            st[k++] = j;
        }
    if (!e)
        e = corpus_add_teacher(c, tc, t, sp, st, k, keep_fs);
    free(sp);
    free(st);
    return e;
}

/* The teacher's documents of the random sheets first..last, 32 sheets at
 * a time (the sheets are not kept); o's teacher_progress after each. */
static as_err corpus_add_teacher_random(corpus *c, teach_count *tc, distill_teacher *t,
                                        uint64_t first, uint64_t last, const distill_opts *o)
{
    int max_stocks = o->max_stocks;
    enum { SHEETS = 32 };
    factsheet fs[SHEETS];
    as_err e = AS_OK;
    for (uint64_t seed = first; seed <= last && !e;) {
        int n = 0;
        while (n < SHEETS && seed <= last && !e)
            if (!(e = distill_random_sheet(&fs[n], seed++, max_stocks)))
                n++;
        if (!e)
            e = corpus_add_teacher_sheets(c, tc, t, fs, n, 1 << 30, 0);
        for (int i = 0; i < n; i++)
            factsheet_clear(&fs[i]);
        if (!e && o->teacher_progress)
            o->teacher_progress(o->progress_ctx, (int)(seed - first), (int)(last - first + 1));
    }
    return e;
}

static as_err doc_encode(doc *d, const bpe_vocab *v)
{
    int cap = 0;
    as_err e;
    d->n_ids = 0;
    if ((e = bpe_ids_push(&d->ids, &d->n_ids, &cap, v->eot)) ||
        (e = bpe_encode(&d->ids, &d->n_ids, &cap, v, d->prompt, strlen(d->prompt))) ||
        (e = bpe_ids_push(&d->ids, &d->n_ids, &cap, v->sep)))
        return e;
    d->n_prompt = d->n_ids;
    if ((e = bpe_encode(&d->ids, &d->n_ids, &cap, v, d->summary, strlen(d->summary))) ||
        (e = bpe_ids_push(&d->ids, &d->n_ids, &cap, v->eot)))
        return e;
    return AS_OK;
}

/* ---- generation ---------------------------------------------------------------- */

as_err distill_generate(char **out, const train_model *m, const bpe_vocab *v,
                        const char *const *prompts, int n)
{
    const train_config *c = &m->c;
    as_err e = AS_OK;
    train_decoder *d = NULL;
    int32_t **seqs = calloc((size_t)n, sizeof *seqs);
    int *len = calloc((size_t)n, sizeof *len), *live = calloc((size_t)n, sizeof *live);
    int32_t *tok = malloc(sizeof(int32_t) * (size_t)(n > c->ctx ? n : c->ctx));
    int *pos = malloc(sizeof(int) * (size_t)(n > c->ctx ? n : c->ctx));
    int *seq = malloc(sizeof(int) * (size_t)(n > c->ctx ? n : c->ctx));
    int *idx = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        out[i] = NULL;
    if (!seqs || !len || !live || !tok || !pos || !seq || !idx) {
        e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
        goto cleanup;
    }
    if ((e = train_decoder_new(&d, m, n, n > c->ctx ? n : c->ctx)))
        goto cleanup;
    /* prefill each prompt; its last logits give the first summary token */
    for (int i = 0; i < n && !e; i++) {
        int cap = 0;
        seqs[i] = malloc(sizeof(int32_t) * (size_t)c->ctx);
        if (!seqs[i]) {
            e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
            break;
        }
        cap = c->ctx;
        seqs[i][len[i]++] = v->eot;
        e = bpe_encode(&seqs[i], &len[i], &cap, v, prompts[i], strlen(prompts[i]));
        if (e)
            break;
        if (len[i] + 2 > c->ctx) {
            e = as_fail(AS_ERR_RANGE, "distill: prompt %d has %d tokens, context %d", i, len[i],
                        c->ctx);
            break;
        }
        seqs[i][len[i]++] = v->sep;
        for (int t = 0; t < len[i]; t++)
            pos[t] = t, seq[t] = i;
        if ((e = train_decode(d, seqs[i], pos, seq, len[i])))
            break;
        const float *lg = d->logits + (size_t)(len[i] - 1) * c->vocab;
        int best = 0;
        for (int k = 1; k < c->vocab; k++)
            if (lg[k] > lg[best])
                best = k;
        seqs[i][len[i]++] = best;
        live[i] = best != v->eot && len[i] < c->ctx;
    }
    /* then one token per live sequence per step, all sequences together */
    while (!e) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (live[i]) {
                tok[k] = seqs[i][len[i] - 1];
                pos[k] = len[i] - 1;
                seq[k] = i;
                idx[k++] = i;
            }
        if (!k)
            break;
        if ((e = train_decode(d, tok, pos, seq, k)))
            break;
        for (int j = 0; j < k; j++) {
            const float *lg = d->logits + (size_t)j * c->vocab;
            int best = 0;
            for (int t = 1; t < c->vocab; t++)
                if (lg[t] > lg[best])
                    best = t;
            int i = idx[j];
            seqs[i][len[i]++] = best;
            live[i] = best != v->eot && len[i] < c->ctx;
        }
    }
    for (int i = 0; i < n && !e; i++) {
        int start = 0;
        while (start < len[i] && seqs[i][start] != v->sep)
            start++;
        out[i] = bpe_decode(v, seqs[i] + start, len[i] - start);
        if (!out[i])
            e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
    }
cleanup:
    if (e)
        for (int i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    if (seqs)
        for (int i = 0; i < n; i++)
            free(seqs[i]);
    free(seqs);
    free(len);
    free(live);
    free(tok);
    free(pos);
    free(seq);
    free(idx);
    train_decoder_free(d);
    return e;
}

/* ---- real sheets ----------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void distill_sheets_free(factsheet *sheets, int n)
{
    for (int i = 0; sheets && i < n; i++)
        factsheet_clear(&sheets[i]);
    free(sheets);
}

as_err distill_real_sheets(factsheet **out, int *n_out, const char *dir)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return as_fail(AS_ERR_IO, "--real-facts: cannot open '%s': %s", dir, strerror(errno));
    as_err e = AS_OK;
    char **names = NULL;
    int n = 0, cap = 0;
    factsheet *sheets = NULL;
    for (struct dirent *de; (de = readdir(d)) != NULL && !e;) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0 || de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(names, sizeof *p * (size_t)cap);
            if (!p) {
                e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(de->d_name)))
            e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
        else
            n++;
    }
    closedir(d);
    if (!e && n == 0)
        e = as_fail(AS_ERR_NOT_FOUND, "--real-facts: '%s' holds no fact sheet (*.txt)", dir);
    if (!e) {
        qsort(names, (size_t)n, sizeof *names, name_cmp);
        sheets = calloc((size_t)n, sizeof *sheets);
        if (!sheets)
            e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
    }
    for (int i = 0; i < n && !e; i++) {
        char path[4096], *text = NULL;
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path) {
            e = as_fail(AS_ERR_IO, "'%s/%s': path too long", dir, names[i]);
            break;
        }
        if (!(e = file_read_all(&text, NULL, path)))
            e = factsheet_parse(&sheets[i], text, path);
        free(text);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (e) {
        distill_sheets_free(sheets, n);
        return e;
    }
    *out = sheets;
    *n_out = n;
    return AS_OK;
}

uint64_t distill_real_seed(const factsheet *fs)
{
    uint64_t v = 0;
    for (const char *p = fs->date; *p; p++)
        if (*p >= '0' && *p <= '9')
            v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

/* ---- scoring -------------------------------------------------------------------- */

static void heldout_range(const distill_opts *o, uint64_t *first, uint64_t *last)
{
    int held = o->n_facts * o->heldout_pct / 100;
    if (held < 1)
        held = 1;
    *first = (uint64_t)(o->n_facts - held + 1);
    *last = (uint64_t)o->n_facts;
}

/* One summary to score: the student writes for fs's stock, the reference is
 * what the teacher wrote (plain text, slots filled). */
typedef struct score_item {
    const factsheet *fs;
    int stock;
    const char *ref;
} score_item;

/* Score items in order, CHUNK prompts decoded together; the items of one
 * sheet are never split across chunks unless the sheet alone exceeds one
 * (the batches, hence the floats, are those the scores were always made
 * with).  A prompt that does not fit the student's context is not scored. */
static as_err score_items(distill_scores *s, const train_model *m, const bpe_vocab *v,
                          const score_item *items, int n)
{
    memset(s, 0, sizeof *s);
    enum { CHUNK = 32 };
    const char *prompts[CHUNK];
    char *gen[CHUNK];
    int which[CHUNK];
    long nums = 0, nums_bad = 0;
    int passed = 0;
    double rouge = 0;
    as_err e = AS_OK;
    for (int at = 0; at < n && !e;) {
        int k = 0;
        memset(gen, 0, sizeof gen);
        while (at < n && k < CHUNK && !e) {
            const factsheet *f = items[at].fs;
            if (k && (at == 0 || items[at - 1].fs != f) && k + f->n_stocks > CHUNK)
                break;
            char *p = factsheet_write_stock(f, items[at].stock);
            int32_t *ids = NULL;
            int nid = 0, cap = 0;
            if (!p) {
                e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
                break;
            }
            if ((e = bpe_encode(&ids, &nid, &cap, v, p, strlen(p)))) {
                free(p);
                free(ids);
                break;
            }
            free(ids);
            if (nid + 3 > m->c.ctx) {
                free(p);
                at++;
                continue;
            }
            prompts[k] = p;
            which[k++] = at++;
        }
        if (!e && k)
            e = distill_generate(gen, m, v, prompts, k);
        for (int j = 0; j < k && !e; j++) {
            const score_item *it = &items[which[j]];
            guard_report g;
            char *filled = NULL;
            int pass;
            /* scored as the summarizer sees it: slots filled, then guarded */
            e = slots_fill_check(&pass, &g, &filled, gen[j], it->fs, it->stock);
            if (e)
                break;
            passed += pass;
            nums += g.n_numbers;
            nums_bad += g.n_bad_numbers;
            rouge += distill_rouge_l(filled, it->ref);
            s->n++;
            free(filled);
        }
        for (int j = 0; j < k; j++) {
            free((char *)prompts[j]);
            free(gen[j]);
        }
    }
    if (s->n) {
        s->rouge_l = rouge / s->n;
        s->pass_rate = (double)passed / s->n;
        s->num_faithful = nums ? 1.0 - (double)nums_bad / nums : 1.0;
    }
    return e;
}

/* Items for every stock of sheets[0..n) with the narrator's text as the
 * reference (seeds[i] its phrasing seed), at most max_items; *refs holds
 * the references (free each, then the array). */
static as_err narrator_items(score_item **items, char ***refs, int *n_items,
                             const factsheet *sheets, const uint64_t *seeds, int n, int max_items)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += sheets[i].n_stocks;
    if (total > max_items)
        total = max_items;
    *items = calloc((size_t)total + 1, sizeof **items);
    *refs = calloc((size_t)total + 1, sizeof **refs);
    *n_items = 0;
    if (!*items || !*refs)
        return as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (int i = 0; i < n && *n_items < total; i++)
        for (int j = 0; j < sheets[i].n_stocks && *n_items < total; j++) {
            as_err e = narrator_write(&(*refs)[*n_items], &sheets[i], j, seeds[i]);
            if (e)
                return e;
            (*items)[*n_items] = (score_item){&sheets[i], j, (*refs)[*n_items]};
            (*n_items)++;
        }
    return AS_OK;
}

static void refs_free(char **refs, int n)
{
    for (int i = 0; refs && i < n; i++)
        free(refs[i]);
    free(refs);
}

/* Score the student on sheets with the narrator as the teacher. */
static as_err score_narrator(distill_scores *s, const train_model *m, const bpe_vocab *v,
                             const factsheet *sheets, const uint64_t *seeds, int n, int max_items)
{
    score_item *items = NULL;
    char **refs = NULL;
    int n_items = 0;
    as_err e = narrator_items(&items, &refs, &n_items, sheets, seeds, n, max_items);
    if (!e)
        e = score_items(s, m, v, items, n_items);
    else
        memset(s, 0, sizeof *s);
    refs_free(refs, n_items);
    free(items);
    return e;
}

as_err distill_score(distill_scores *s, const train_model *m, const bpe_vocab *v,
                     const distill_opts *o)
{
    memset(s, 0, sizeof *s);
    uint64_t first, last;
    heldout_range(o, &first, &last);
    int n = (int)(last - first + 1);
    factsheet *sheets = calloc((size_t)n, sizeof *sheets);
    uint64_t *seeds = calloc((size_t)n, sizeof *seeds);
    as_err e = sheets && seeds ? AS_OK : as_fail(AS_ERR_NOMEM, "distill: out of memory");
    int got = 0, docs = 0;
    /* the first n_eval documents of the held-out sheets, in seed order */
    for (uint64_t seed = first; seed <= last && docs < o->n_eval && !e; seed++) {
        if ((e = distill_random_sheet(&sheets[got], seed, o->max_stocks)))
            break;
        seeds[got] = seed;
        docs += sheets[got++].n_stocks;
    }
    if (!e)
        e = score_narrator(s, m, v, sheets, seeds, got, o->n_eval);
    distill_sheets_free(sheets, got);
    free(seeds);
    return e;
}

as_err distill_score_real(distill_scores *s, const train_model *m, const bpe_vocab *v,
                          const char *dir)
{
    memset(s, 0, sizeof *s);
    factsheet *sheets = NULL;
    int n = 0;
    as_err e = distill_real_sheets(&sheets, &n, dir);
    uint64_t *seeds = e ? NULL : calloc((size_t)n, sizeof *seeds);
    if (!e && !seeds)
        e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (int i = 0; i < n && !e; i++)
        seeds[i] = distill_real_seed(&sheets[i]);
    if (!e)
        e = score_narrator(s, m, v, sheets, seeds, n, 1 << 30);
    distill_sheets_free(sheets, n);
    free(seeds);
    return e;
}

/* ---- training ------------------------------------------------------------------- */

/* A neural teacher's share of distill_run: its documents of the training
 * sheets (random, then real) into c, of the held-out sheets into held (the
 * sheets kept in *held_sheets for scoring), and the counts. */
static as_err teacher_corpora(corpus *c, corpus *held, factsheet **held_sheets, int *n_held,
                              distill_report *r, distill_teacher *t, const distill_opts *o,
                              uint64_t hfirst, uint64_t hlast, const factsheet *real, int n_real,
                              int *first_real)
{
    teach_count tc = {0}, th = {0};
    as_err e = corpus_add_teacher_random(c, &tc, t, 1, hfirst - 1, o);
    *first_real = c->n;
    if (!e && n_real)
        e = corpus_add_teacher_sheets(c, &tc, t, real, n_real, 1 << 30, 1);
    r->n_teacher_written = tc.written;
    r->n_teacher_failed = tc.failed;
    r->n_teacher_too_long = tc.too_long;
    if (!e && c->n == 0)
        e = as_fail(AS_ERR_UNSUPPORTED, "distill: no teacher summary passed the guard: '%s' "
                    "(%s teacher) wrote %d, %d failed the summarizer's check, %d did not fit "
                    "its context; nothing to train on",
                    distill_teacher_file(t), distill_teacher_kind(t), tc.written, tc.failed,
                    tc.too_long);
    if (e)
        return e;
    /* the held-out documents scored: the first n_eval of the held-out
     * sheets in seed order, as distill_score() takes them */
    int n = (int)(hlast - hfirst + 1), docs = 0;
    *held_sheets = calloc((size_t)n, sizeof **held_sheets);
    *n_held = 0;
    if (!*held_sheets)
        return as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (uint64_t seed = hfirst; seed <= hlast && !e; seed++) {
        if ((e = distill_random_sheet(&(*held_sheets)[*n_held], seed, o->max_stocks)))
            break;
        r->n_heldout_docs += (*held_sheets)[*n_held].n_stocks;
        if (docs < o->n_eval)
            docs += (*held_sheets)[(*n_held)++].n_stocks;
        else
            factsheet_clear(&(*held_sheets)[*n_held]);
    }
    if (!e)
        e = corpus_add_teacher_sheets(held, &th, t, *held_sheets, *n_held, o->n_eval, 1);
    r->n_heldout_teacher_failed = th.failed + th.too_long;
    return e;
}

/* Items of the documents docs[0..n) that fit the student (a teacher's own
 * text as the reference). */
static as_err teacher_items(score_item **items, int *n_items, const doc *docs, int n)
{
    *items = calloc((size_t)n + 1, sizeof **items);
    *n_items = 0;
    if (!*items)
        return as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (int i = 0; i < n; i++)
        if (docs[i].fs)
            (*items)[(*n_items)++] = (score_item){docs[i].fs, docs[i].stock, docs[i].ref};
    return AS_OK;
}

static as_err score_teacher(distill_scores *s, const train_model *m, const bpe_vocab *v,
                            const doc *docs, int n)
{
    score_item *items;
    int n_items;
    as_err e = teacher_items(&items, &n_items, docs, n);
    if (!e)
        e = score_items(s, m, v, items, n_items);
    free(items);
    return e;
}

/* train_doc views of c's documents (soft targets when they have them). */
static as_err train_docs_of(train_doc **out, const corpus *c)
{
    *out = malloc(sizeof **out * (size_t)(c->n + 1));
    if (!*out)
        return as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (int i = 0; i < c->n; i++)
        (*out)[i] = (train_doc){.ids = c->d[i].ids, .n_ids = c->d[i].n_ids,
                                .loss_from = c->d[i].n_prompt, .soft_ids = c->d[i].top_ids,
                                .soft_p = c->d[i].top_p};
    return AS_OK;
}

/* Teacher-forced KL and cross-entropy of the student on held's documents
 * that fit its context. */
static as_err heldout_kl(double *kl, double *ce, train_model *m, const corpus *held,
                         const train_loop_opts *lo)
{
    train_doc *td = NULL;
    int *which = malloc(sizeof *which * (size_t)(held->n + 1)), n = 0;
    as_err e = which ? train_docs_of(&td, held) : as_fail(AS_ERR_NOMEM, "distill: out of memory");
    for (int i = 0; i < held->n && !e; i++)
        if (held->d[i].ids && held->d[i].n_ids - 1 <= m->c.ctx)
            which[n++] = i;
    long targets;
    *kl = *ce = 0;
    if (!e && n)
        e = train_loop_eval(ce, kl, &targets, m, td, which, n, lo);
    free(td);
    free(which);
    return e;
}

static void meta_add(train_meta *meta, int *n, train_meta m)
{
    meta[(*n)++] = m;
}

as_err distill_run(distill_report *r, const distill_opts *o)
{
    memset(r, 0, sizeof *r);
    as_err e = AS_OK;
    corpus c = {0}, held = {0};
    bpe_vocab *v = NULL;
    train_model *m = NULL;
    distill_teacher *t = NULL;
    int *train_docs = NULL;
    train_doc *tdocs = NULL;
    char **texts = NULL;
    size_t *lens = NULL;
    factsheet *real = NULL, *held_sheets = NULL;
    int n_real = 0, n_held_sheets = 0, first_real = 0;
    uint64_t hfirst, hlast;
    heldout_range(o, &hfirst, &hlast);
    if (o->n_facts < 2 || hfirst < 2)
        return as_fail(AS_ERR_USAGE, "distill: --facts %d leaves nothing to train on",
                       o->n_facts);
    /* the real sheets are trained on, after the random ones (the order is
     * shuffled by the loop); their scores are a check, not a held-out figure */
    if (o->real_facts && (e = distill_real_sheets(&real, &n_real, o->real_facts)))
        goto cleanup;
    r->n_real_sheets = n_real;
    if (o->teacher) {
        teacher_opts to = {.k = o->kl_k, .temp = o->kl_temp, .max_tokens = o->teacher_tokens,
                           .threads = o->threads};
        if ((e = distill_teacher_open(&t, o->teacher, &to)) ||
            (e = teacher_corpora(&c, &held, &held_sheets, &n_held_sheets, r, t, o, hfirst, hlast,
                                 real, n_real, &first_real)))
            goto cleanup;
        v = distill_teacher_take_vocab(t); /* NULL: the student learns its own */
        r->vocab_from_teacher = v != NULL;
        /* the teacher's distributions exist with a shared vocabulary and k > 0:
         * the held-out KL is then measured, and trained on unless weight 0 */
        r->kl_measured = v != NULL && o->kl_k > 0;
        r->kl_used = r->kl_measured && o->kl_weight > 0;
    } else {
        if ((e = corpus_add_sheets(&c, 1, hfirst - 1, o->max_stocks)))
            goto cleanup;
        first_real = c.n;
        for (int i = 0; i < n_real && !e; i++)
            e = corpus_add_sheet(&c, &real[i], distill_real_seed(&real[i]));
        if (e)
            goto cleanup;
    }
    r->n_train_docs = c.n;

    if (!v) {
        /* the tokenizer learns from the training documents only */
        texts = malloc(sizeof *texts * (size_t)c.n * 2);
        lens = malloc(sizeof *lens * (size_t)c.n * 2);
        if (!texts || !lens) {
            e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
            goto cleanup;
        }
        for (int i = 0; i < c.n; i++) {
            texts[2 * i] = c.d[i].prompt;
            lens[2 * i] = strlen(c.d[i].prompt);
            texts[2 * i + 1] = c.d[i].summary;
            lens[2 * i + 1] = strlen(c.d[i].summary);
        }
        if ((e = bpe_train(&v, (const char *const *)texts, lens, 2 * c.n, o->vocab)))
            goto cleanup;
    }
    train_docs = malloc(sizeof *train_docs * (size_t)c.n);
    if (!train_docs) {
        e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
        goto cleanup;
    }
    int n_train = 0;
    for (int i = 0; i < c.n && !e; i++) {
        /* a shared vocabulary's documents are the teacher's own ids */
        if (!r->vocab_from_teacher && (e = doc_encode(&c.d[i], v)))
            break;
        if (c.d[i].n_ids - 1 > o->model.ctx) {
            r->n_skipped++;
            continue;
        }
        r->n_real_docs += i >= first_real;
        r->train_tokens += c.d[i].n_ids;
        train_docs[n_train++] = i;
    }
    if (e)
        goto cleanup;
    if (!n_train) {
        e = as_fail(AS_ERR_USAGE, "distill: every document is longer than ctx %d",
                    o->model.ctx);
        goto cleanup;
    }
    train_config mc = o->model;
    mc.vocab = v->n_tokens;
    if ((e = train_model_new(&m, &mc, o->seed)) || (e = train_docs_of(&tdocs, &c)))
        goto cleanup;
    train_loop_opts lo = {
        .steps = o->steps, .batch = o->batch, .warmup = o->warmup, .lr = o->lr,
        .lr_min = o->lr_min, .weight_decay = o->weight_decay, .clip = o->clip,
        .seed = o->seed, .pad = v->eot, .checkpoint = o->checkpoint,
        .checkpoint_every = o->checkpoint_every, .resume = o->resume,
        .soft_k = r->kl_used ? o->kl_k : 0, .soft_weight = o->kl_weight, .soft_temp = o->kl_temp,
        .progress = o->progress, .progress_ctx = o->progress_ctx,
    };
    train_loop_opts lo_eval = lo;
    lo_eval.soft_k = r->kl_measured ? o->kl_k : 0;
    if (r->kl_measured && (e = heldout_kl(&r->heldout_kl_initial, &r->heldout_ce_initial, m,
                                          &held, &lo_eval)))
        goto cleanup;
    train_loop_report lr;
    if ((e = train_loop_run(&lr, m, tdocs, train_docs, n_train, &lo)))
        goto cleanup;
    r->steps_done = lr.steps_done;
    r->tokens_seen = lr.tokens_seen;
    r->seconds = lr.seconds;
    r->tok_per_s = lr.tok_per_s;
    r->final_loss = lr.final_loss;

    if (t) {
        /* against what the teacher wrote, on the documents it passed */
        if ((e = score_teacher(&r->heldout, m, v, held.d, held.n)) ||
            (n_real && (e = score_teacher(&r->real, m, v, c.d + first_real, c.n - first_real))) ||
            (r->kl_measured && (e = heldout_kl(&r->heldout_kl, &r->heldout_ce, m, &held,
                                               &lo_eval))))
            goto cleanup;
    } else {
        if ((e = distill_score(&r->heldout, m, v, o)))
            goto cleanup;
        if (n_real) {
            uint64_t *seeds = calloc((size_t)n_real, sizeof *seeds);
            if (!seeds) {
                e = as_fail(AS_ERR_NOMEM, "distill: out of memory");
                goto cleanup;
            }
            for (int i = 0; i < n_real; i++)
                seeds[i] = distill_real_seed(&real[i]);
            e = score_narrator(&r->real, m, v, real, seeds, n_real, 1 << 30);
            free(seeds);
            if (e)
                goto cleanup;
        }
        corpus hc = {0};
        if ((e = corpus_add_sheets(&hc, hfirst, hlast, o->max_stocks)))
            goto cleanup;
        r->n_heldout_docs = hc.n;
        corpus_free(&hc);
    }
    r->n_docs = r->n_train_docs + r->n_heldout_docs;
    char shape[96];
    snprintf(shape, sizeof shape, "dim %d, layers %d, heads %d, ffn %d, ctx %d, vocab %d",
             mc.dim, mc.n_layers, mc.n_heads, mc.ffn_dim, mc.ctx, mc.vocab);
    train_meta meta[64];
    int nm = 0;
    meta_add(meta, &nm, (train_meta){.key = "aftershock.teacher", .type = TRAIN_META_STR,
                                     .s = t ? distill_teacher_file(t) : "narrator"});
    train_meta base[] = {
        {.key = "aftershock.shape", .type = TRAIN_META_STR, .s = shape},
        {.key = "aftershock.corpus_sheets", .type = TRAIN_META_U32, .u = (uint32_t)(hfirst - 1)},
        {.key = "aftershock.corpus_docs", .type = TRAIN_META_U32, .u = (uint32_t)r->n_train_docs},
        {.key = "aftershock.corpus_tokens", .type = TRAIN_META_U32, .u = (uint32_t)r->train_tokens},
        {.key = "aftershock.heldout_first_seed", .type = TRAIN_META_U32, .u = (uint32_t)hfirst},
        {.key = "aftershock.heldout_sheets", .type = TRAIN_META_U32,
         .u = (uint32_t)(hlast - hfirst + 1)},
        {.key = "aftershock.heldout_docs_scored", .type = TRAIN_META_U32, .u = (uint32_t)r->heldout.n},
        {.key = "aftershock.max_stocks", .type = TRAIN_META_U32, .u = (uint32_t)o->max_stocks},
        {.key = "aftershock.facts", .type = TRAIN_META_U32, .u = (uint32_t)o->n_facts},
        {.key = "aftershock.heldout_pct", .type = TRAIN_META_U32, .u = (uint32_t)o->heldout_pct},
        {.key = "aftershock.steps", .type = TRAIN_META_U32, .u = (uint32_t)r->steps_done},
        {.key = "aftershock.batch", .type = TRAIN_META_U32, .u = (uint32_t)o->batch},
        {.key = "aftershock.seed", .type = TRAIN_META_U32, .u = (uint32_t)o->seed},
        {.key = "aftershock.final_loss", .type = TRAIN_META_F32, .f = r->final_loss},
        {.key = "aftershock.heldout_rouge_l", .type = TRAIN_META_F32,
         .f = (float)r->heldout.rouge_l},
        {.key = "aftershock.heldout_guard_pass", .type = TRAIN_META_F32,
         .f = (float)r->heldout.pass_rate},
        {.key = "aftershock.heldout_num_faithful", .type = TRAIN_META_F32,
         .f = (float)r->heldout.num_faithful},
        {.key = "aftershock.train_tokens", .type = TRAIN_META_U32, .u = (uint32_t)r->tokens_seen},
        /* the only keys that differ between two builds (see the top comment) */
        {.key = "aftershock.train_seconds", .type = TRAIN_META_F32, .f = (float)r->seconds},
        {.key = "aftershock.train_tokens_per_s", .type = TRAIN_META_F32,
         .f = (float)r->tok_per_s},
        {.key = "aftershock.kl", .type = TRAIN_META_U32, .u = (uint32_t)r->kl_used},
    };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        meta_add(meta, &nm, base[i]);
    if (n_real) { /* the real sheets' keys only when there were some */
        train_meta rm[] = {
            {.key = "aftershock.real_facts", .type = TRAIN_META_STR, .s = o->real_facts},
            {.key = "aftershock.real_sheets", .type = TRAIN_META_U32, .u = (uint32_t)n_real},
            {.key = "aftershock.real_docs", .type = TRAIN_META_U32, .u = (uint32_t)r->n_real_docs},
            {.key = "aftershock.real_docs_scored", .type = TRAIN_META_U32,
             .u = (uint32_t)r->real.n},
            {.key = "aftershock.real_rouge_l", .type = TRAIN_META_F32, .f = (float)r->real.rouge_l},
            {.key = "aftershock.real_guard_pass", .type = TRAIN_META_F32,
             .f = (float)r->real.pass_rate},
            {.key = "aftershock.real_num_faithful", .type = TRAIN_META_F32,
             .f = (float)r->real.num_faithful},
        };
        for (size_t i = 0; i < sizeof rm / sizeof rm[0]; i++)
            meta_add(meta, &nm, rm[i]);
    }
    if (t) { /* a neural teacher: which file, what it gave, how it was used */
        train_meta tm[] = {
            {.key = "aftershock.teacher_sha256", .type = TRAIN_META_STR,
             .s = distill_teacher_sha256(t)},
            {.key = "aftershock.teacher_kind", .type = TRAIN_META_STR,
             .s = distill_teacher_kind(t)},
            {.key = "aftershock.teacher_model", .type = TRAIN_META_STR,
             .s = distill_teacher_model_name(t)},
            {.key = "aftershock.teacher_summaries", .type = TRAIN_META_U32,
             .u = (uint32_t)r->n_teacher_written},
            {.key = "aftershock.teacher_failed_guard", .type = TRAIN_META_U32,
             .u = (uint32_t)r->n_teacher_failed},
            {.key = "aftershock.teacher_too_long", .type = TRAIN_META_U32,
             .u = (uint32_t)r->n_teacher_too_long},
            {.key = "aftershock.heldout_teacher_failed", .type = TRAIN_META_U32,
             .u = (uint32_t)r->n_heldout_teacher_failed},
            {.key = "aftershock.vocab_from_teacher", .type = TRAIN_META_U32,
             .u = (uint32_t)r->vocab_from_teacher},
        };
        for (size_t i = 0; i < sizeof tm / sizeof tm[0]; i++)
            meta_add(meta, &nm, tm[i]);
    }
    if (r->kl_measured) {
        train_meta km[] = {
            {.key = "aftershock.kl_k", .type = TRAIN_META_U32, .u = (uint32_t)o->kl_k},
            {.key = "aftershock.kl_weight", .type = TRAIN_META_F32, .f = o->kl_weight},
            {.key = "aftershock.kl_temp", .type = TRAIN_META_F32, .f = o->kl_temp},
            {.key = "aftershock.heldout_kl_initial", .type = TRAIN_META_F32,
             .f = (float)r->heldout_kl_initial},
            {.key = "aftershock.heldout_kl", .type = TRAIN_META_F32, .f = (float)r->heldout_kl},
            {.key = "aftershock.heldout_ce", .type = TRAIN_META_F32, .f = (float)r->heldout_ce},
        };
        for (size_t i = 0; i < sizeof km / sizeof km[0]; i++)
            meta_add(meta, &nm, km[i]);
    }
    e = train_gguf_save(o->out, m, v, "aftershock-summary", 0, meta, nm);
cleanup:
    distill_teacher_close(t);
    distill_sheets_free(real, n_real);
    distill_sheets_free(held_sheets, n_held_sheets);
    free(texts);
    free(lens);
    free(train_docs);
    free(tdocs);
    train_model_free(m);
    bpe_vocab_free(v);
    corpus_free(&held);
    corpus_free(&c);
    return e;
}
