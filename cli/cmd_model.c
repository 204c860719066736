/*
 * cmd_model.c -- `aftershock model info|tokenize|run|bench|synth`: the
 * command-line face of the transformer engine in model/ (`model distill`
 * and `model train` are cli/cmd_model_train.c).
 *
 * It parses options, opens files and prints; the work is in model/
 * (transformer, tokenizer, generate, synth).  Results go to stdout, messages
 * through msg.h.  None of the subcommands touches the database.
 */
#include "cli/cli.h"
#include "common/error.h"
#include "common/msg.h"
#include "model/backend_cuda.h"
#include "model/chat.h"
#include "model/generate.h"
#include "model/synth.h"
#include "model/qgemm.h"
#include "model/tokenizer.h"
#include "model/transformer.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void model_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock model info FILE\n"
            "       aftershock model tokenize FILE TEXT [--no-bos]\n"
            "       aftershock model run FILE -p PROMPT [-n N] [--temp T] [--top-k K] [--top-p P]\n"
            "                            [--seed S] [-t N] [--device cpu|cuda] [--ids] [--chat]\n"
            "                            [--stop STR]\n"
            "       aftershock model bench FILE [--pp 128] [--tg 64] [--batch B] [-t N] [--reps R]\n"
            "                            [--device cpu|cuda]\n"
            "       aftershock model synth --arch llama|qwen2 --dim D --layers L --heads H\n"
            "                            --kv-heads K --ffn F --vocab V --type T [--seed S] -o FILE\n"
            "                            (T a tensor type, or Q4_K_M for llama-quantize's mix)\n"
            "       aftershock model distill [--teacher narrator|FILE] [--facts N] -o FILE (-h)\n"
            "       aftershock model train --corpus FILE -o FILE [--steps N] ... (see -h)\n"
            "\n"
            "Runs Llama- and Qwen2-family GGUF models (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K,\n"
            "Q6_K) on the CPU, or for run and bench with --device cuda on an NVIDIA GPU through\n"
            "libaftershock_cuda.so (built when nvcc is present; AFTERSHOCK_CUDA_LIB names\n"
            "another copy).  `run --ids` prints prompt_ids and generated_ids lines.\n"
            "exit codes: 0 ok, 1 failure (bad file, ...), 2 usage\n");
}

static int usage_error(const char *msg)
{
    as_error("model: %s (see `aftershock model -h`)", msg);
    return AS_EXIT_USAGE;
}

static int model_info(const char *path)
{
    model *m;
    as_err e = model_open(&m, path);
    if (e)
        return as_error_last(e);
    const model_config *c = &m->c;
    printf("file: %s\nname: %s\narchitecture: %s\n", path, m->name,
           c->arch == MODEL_ARCH_QWEN2 ? "qwen2" : "llama");
    printf("gguf version: %u\ntensors: %llu\nparameters: %llu\n", m->file->version,
           (unsigned long long)m->file->n_tensors, (unsigned long long)model_param_count(m));
    printf("dim: %d\nlayers: %d\nheads: %d\nkv heads: %d\nhead dim: %d\nffn: %d\nvocab: %d\n"
           "context: %d\n", c->dim, c->n_layers, c->n_heads, c->n_kv_heads, c->head_dim,
           c->ffn_dim, c->vocab_size, c->ctx_len);
    printf("rope: %s, theta %g, %d dims\nrms eps: %g\nqkv bias: %s\ntied output: %s\n",
           c->rope_neox ? "neox" : "normal", c->rope_theta, c->rope_dim, c->norm_eps,
           c->has_qkv_bias ? "yes" : "no", c->tied_output ? "yes" : "no");
    /* tensor types, counted */
    int counts[64] = {0};
    for (uint64_t i = 0; i < m->file->n_tensors; i++)
        if (m->file->tensors[i].type < 64)
            counts[m->file->tensors[i].type]++;
    printf("types:");
    for (int t = 0; t < 64; t++)
        if (counts[t])
            printf(" %s=%d", ggml_type_name((ggml_type)t), counts[t]);
    printf("\nweight bytes per token: %llu\n", (unsigned long long)model_weight_bytes(m));
    tokenizer *tk;
    if (tokenizer_new_from_gguf(&tk, m->file) == AS_OK) {
        printf("tokenizer: %s (pre %s), %d tokens, bos %d, eos %d\n", tokenizer_kind_name(tk),
               tokenizer_pre_name(tk), tokenizer_n_vocab(tk), tokenizer_bos(tk),
               tokenizer_eos(tk));
        tokenizer_free(tk);
    } else {
        printf("tokenizer: none usable (%s)\n", as_last_error());
    }
    printf("chat template: %s\n", chat_kind_name(chat_detect(m->chat_template)));
    /* every key/value, with what the file says of its training (general.*,
     * aftershock.*); the vocabulary arrays are summed up on the tokenizer line */
    printf("metadata (tokenizer.ggml.* arrays left out):\n");
    for (uint64_t i = 0; i < m->file->n_kv; i++) {
        const gguf_kv *kv = &m->file->kv[i];
        static const char vocab[] = "tokenizer.ggml.";
        if (kv->type == GGUF_TYPE_ARRAY && kv->key.len > strlen(vocab) &&
            memcmp(kv->key.ptr, vocab, strlen(vocab)) == 0)
            continue;
        char key[256], val[512];
        gguf_kv key_kv = {.type = GGUF_TYPE_STRING, .str = kv->key};
        printf("  %s: %s\n", gguf_kv_format(key, sizeof key, &key_kv, 200),
               gguf_kv_format(val, sizeof val, kv, 200));
    }
    model_close(m);
    return AS_EXIT_OK;
}

/* Encode text; *ids is heap (caller frees). */
static as_err text_encode(int32_t **ids, int *n, const tokenizer *tk, const char *text,
                          unsigned flags)
{
    int cap = (int)strlen(text) + 8;
    *ids = malloc((size_t)cap * sizeof **ids);
    if (!*ids)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    as_err e = tokenizer_encode(*ids, cap, n, tk, text, strlen(text), flags);
    if (e == AS_ERR_RANGE) {
        int32_t *more = realloc(*ids, (size_t)*n * sizeof **ids);
        if (!more)
            return as_fail(AS_ERR_NOMEM, "out of memory");
        *ids = more;
        e = tokenizer_encode(*ids, *n, n, tk, text, strlen(text), flags);
    }
    return e;
}

static int model_tokenize(const char *path, const char *text, int no_bos)
{
    gguf_file *g;
    as_err e = gguf_open(&g, path);
    if (e)
        return as_error_last(e);
    tokenizer *tk = NULL;
    int32_t *ids = NULL;
    int n = 0;
    e = tokenizer_new_from_gguf(&tk, g);
    if (!e)
        e = text_encode(&ids, &n, tk, text,
                        (no_bos ? 0 : TOKENIZER_ADD_SPECIAL) | TOKENIZER_PARSE_SPECIAL);
    if (!e) {
        for (int i = 0; i < n; i++)
            printf("%s%d", i ? " " : "", ids[i]);
        printf("\n");
    }
    free(ids);
    tokenizer_free(tk);
    gguf_close(g);
    return e ? as_error_last(e) : AS_EXIT_OK;
}

static const char *piece_cb(void *ctx, int id, size_t *len)
{
    return tokenizer_decode_piece(len, ctx, id, 0);
}

static int eog_cb(void *ctx, int id)
{
    return tokenizer_is_eog(ctx, id);
}

typedef struct run_opts {
    const char *prompt;
    long n, threads, top_k;
    double temp, top_p;
    long seed;
    int ids, chat, cuda;
    const char *stop[8];
    int n_stop;
} run_opts;

/* A state on the CPU, or with use_cuda on the GPU: then *cm is the device
 * copy of m, to close after model_state_free(*s). */
static as_err state_open(model_state **s, cuda_model **cm, const model *m, int use_cuda,
                         int n_seq, int n_ctx, int max_batch, int threads)
{
    *cm = NULL;
    if (!use_cuda)
        return model_state_new(s, m, n_seq, n_ctx, max_batch, threads, 0);
    as_err e = cuda_model_open(cm, m);
    return e ? e : cuda_state_new(s, *cm, n_seq, n_ctx, max_batch);
}

static int model_run(const char *path, const run_opts *o)
{
    model *m = NULL;
    cuda_model *cm = NULL;
    tokenizer *tk = NULL;
    model_state *s = NULL;
    int32_t *ids = NULL;
    int *out = NULL, n_ids = 0, n_out = 0;
    char *chat_text = NULL;
    as_err e = model_open(&m, path);
    if (!e)
        e = tokenizer_new_from_gguf(&tk, m->file);
    const char *prompt = o->prompt;
    if (!e && o->chat) {
        chat_kind k = chat_detect(m->chat_template);
        if (k == CHAT_NONE)
            as_warn("model '%s' has no chat template we know; using the plain prompt", path);
        chat_msg msg = {"user", o->prompt};
        e = chat_format(&chat_text, k, &msg, 1, 1);
        prompt = chat_text;
    }
    if (!e)
        e = text_encode(&ids, &n_ids, tk, prompt, TOKENIZER_ADD_SPECIAL | TOKENIZER_PARSE_SPECIAL);
    if (!e && n_ids == 0)
        e = as_fail(AS_ERR_USAGE, "the prompt encodes to no tokens");
    int n_ctx = n_ids + (int)o->n;
    if (!e && n_ctx > m->c.ctx_len)
        e = as_fail(AS_ERR_USAGE, "prompt (%d tokens) + %ld exceeds the context of %d", n_ids,
                    o->n, m->c.ctx_len);
    if (!e)
        e = state_open(&s, &cm, m, o->cuda, 1, n_ctx, n_ids < 256 ? n_ids : 256, (int)o->threads);
    if (!e && !(out = malloc((size_t)(o->n + 1) * sizeof *out)))
        e = as_fail(AS_ERR_NOMEM, "out of memory");
    if (!e) {
        gen_params gp = {
            .n_predict = (int)o->n,
            .sampling = {(float)o->temp, (int)o->top_k, (float)o->top_p, (uint64_t)o->seed},
            .stop = o->stop, .n_stop = o->n_stop,
            .piece = piece_cb, .is_eog = eog_cb, .ctx = tk,
        };
        const int *pp = ids;
        e = generate_batch(out, &n_out, s, &pp, &n_ids, 1, &gp);
    }
    if (!e) {
        if (o->ids) {
            printf("prompt_ids:");
            for (int i = 0; i < n_ids; i++)
                printf(" %d", ids[i]);
            printf("\ngenerated_ids:");
            for (int i = 0; i < n_out; i++)
                printf(" %d", out[i]);
            printf("\n");
        } else {
            for (int i = 0; i < n_out; i++) {
                size_t len;
                const char *p = tokenizer_decode_piece(&len, tk, out[i], 0);
                fwrite(p, 1, len, stdout);
            }
            printf("\n");
        }
    }
    free(out);
    free(ids);
    free(chat_text);
    model_state_free(s);
    cuda_model_close(cm);
    tokenizer_free(tk);
    model_close(m);
    return e ? as_error_last(e) : AS_EXIT_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process, every thread: on a shared machine the
 * wall clock counts the slices other programs take, this does not (spin
 * waits of our own pool are counted, so it is never flattering). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, dbl_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Prefill pp tokens, then decode tg steps of `batch` sequences; reps times. */
static int model_bench(const char *path, long pp, long tg, long batch, long threads, long reps,
                       int use_cuda)
{
    model *m;
    as_err e = model_open(&m, path);
    if (e)
        return as_error_last(e);
    model_state *s = NULL;
    cuda_model *cm = NULL;
    int n_ctx = (int)(pp + tg + 1);
    int max_batch = (int)(pp > batch ? pp : batch);
    e = state_open(&s, &cm, m, use_cuda, (int)batch, n_ctx, max_batch, (int)threads);
    int *tok = malloc((size_t)max_batch * sizeof *tok), *pos = malloc((size_t)max_batch * sizeof *pos);
    int *seq = malloc((size_t)max_batch * sizeof *seq);
    char *want = malloc((size_t)max_batch);
    double *pp_rate = calloc((size_t)reps, sizeof(double)), *tg_rate = calloc((size_t)reps, sizeof(double));
    double *pp_cpu = calloc((size_t)reps, sizeof(double)), *tg_cpu = calloc((size_t)reps, sizeof(double));
    if (!e && (!tok || !pos || !seq || !want || !pp_rate || !tg_rate || !pp_cpu || !tg_cpu))
        e = as_fail(AS_ERR_NOMEM, "out of memory");
    uint64_t r = 12345;
    for (long rep = 0; rep < reps && !e; rep++) {
        int got;
        if (pp > 0) {
            for (int i = 0; i < pp; i++) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                tok[i] = (int)((r >> 33) % (uint64_t)m->c.vocab_size);
                pos[i] = i;
                seq[i] = 0;
            }
            model_batch b = {(int)pp, tok, pos, seq, NULL};
            double t0 = now_s(), c0 = cpu_s();
            e = model_forward(s, &b, &got);
            pp_rate[rep] = pp / (now_s() - t0);
            pp_cpu[rep] = pp / (cpu_s() - c0);
        }
        double t0 = now_s(), c0 = cpu_s();
        for (long step = 0; step < tg && !e; step++) {
            for (int i = 0; i < batch; i++) {
                tok[i] = (int)((step * 7 + i) % m->c.vocab_size);
                pos[i] = (int)(pp + step);
                seq[i] = i;
                want[i] = 1;
            }
            model_batch b = {(int)batch, tok, pos, seq, want};
            e = model_forward(s, &b, &got);
        }
        tg_rate[rep] = (double)tg * batch / (now_s() - t0);
        tg_cpu[rep] = (double)tg * batch / (cpu_s() - c0);
    }
    if (!e) {
        printf("model: %s (%s, %.1f MiB of weights read per token)\n", m->name, path,
               model_weight_bytes(m) / 1048576.0);
        if (cm)
            printf("device: cuda, %s, reps: %ld (median)\n", cm->device, reps);
        else
            printf("threads: %ld, kernels: %s, qgemm %s, reps: %ld (median)\n", threads,
                   quant_fast_name(), qgemm_fast_name(), reps);
        if (pp > 0)
            printf("pp%ld: %.2f tokens/s (%.2f per CPU-second)\n", pp, median(pp_rate, (int)reps),
                   median(pp_cpu, (int)reps));
        printf("tg%ld (batch %ld): %.2f tokens/s (%.2f per CPU-second)\n", tg, batch,
               median(tg_rate, (int)reps), median(tg_cpu, (int)reps));
    }
    free(tok);
    free(pos);
    free(seq);
    free(want);
    free(pp_rate);
    free(tg_rate);
    free(pp_cpu);
    free(tg_cpu);
    model_state_free(s);
    cuda_model_close(cm);
    model_close(m);
    return e ? as_error_last(e) : AS_EXIT_OK;
}

static int long_opt(const char *name, const char *arg, long lo, long hi, long *out)
{
    return cli_parse_int(name, arg, lo, hi, out) == 0;
}

int cmd_model(cli_ctx *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "distill") == 0) /* options of its own */
        return cmd_model_distill(ctx, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return cmd_model_train(ctx, argc - 1, argv + 1);
    if (argc < 2 || cli_wants_help(argc, argv)) {
        model_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? AS_EXIT_USAGE : cli_finish(AS_EXIT_OK);
    }
    const char *sub = argv[1];
    enum { O_TEMP = 256, O_SEED, O_DEVICE, O_IDS, O_NOBOS, O_PP, O_TG, O_BATCH, O_ARCH, O_DIM,
           O_LAYERS, O_HEADS, O_KVH, O_FFN, O_VOCAB, O_TYPE, O_TOPK, O_TOPP, O_CHAT, O_STOP,
           O_REPS };
    static const struct option opts[] = {
        {"prompt", required_argument, 0, 'p'}, {"n", required_argument, 0, 'n'},
        {"threads", required_argument, 0, 't'}, {"temp", required_argument, 0, O_TEMP},
        {"seed", required_argument, 0, O_SEED}, {"device", required_argument, 0, O_DEVICE},
        {"ids", no_argument, 0, O_IDS}, {"no-bos", no_argument, 0, O_NOBOS},
        {"pp", required_argument, 0, O_PP}, {"tg", required_argument, 0, O_TG},
        {"batch", required_argument, 0, O_BATCH}, {"arch", required_argument, 0, O_ARCH},
        {"dim", required_argument, 0, O_DIM}, {"layers", required_argument, 0, O_LAYERS},
        {"heads", required_argument, 0, O_HEADS}, {"kv-heads", required_argument, 0, O_KVH},
        {"ffn", required_argument, 0, O_FFN}, {"vocab", required_argument, 0, O_VOCAB},
        {"type", required_argument, 0, O_TYPE}, {"top-k", required_argument, 0, O_TOPK},
        {"top-p", required_argument, 0, O_TOPP}, {"chat", no_argument, 0, O_CHAT},
        {"stop", required_argument, 0, O_STOP}, {"reps", required_argument, 0, O_REPS},
        {"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    run_opts ro = {.n = 64, .threads = 2, .top_p = 1.0, .seed = 42};
    long pp = 128, tg = 64, batch = 1, reps = 5;
    synth_params sp = {.arch = MODEL_ARCH_LLAMA, .type = GGML_TYPE_F32, .seed = 42};
    long v;
    int no_bos = 0, have_arch = 0;
    const char *device = "cpu", *output = NULL;
    optind = 2;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":p:n:t:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'p': ro.prompt = optarg; break;
        case 'n': if (!long_opt("-n", optarg, 0, 1 << 20, &ro.n)) return AS_EXIT_USAGE; break;
        case 't':
            if (!long_opt("-t", optarg, 1, 256, &ro.threads)) return AS_EXIT_USAGE;
            break;
        case 'o': output = optarg; break;
        case O_TEMP: if (cli_parse_double("--temp", optarg, &ro.temp)) return AS_EXIT_USAGE; break;
        case O_TOPP:
            if (cli_parse_double("--top-p", optarg, &ro.top_p) || ro.top_p <= 0 || ro.top_p > 1)
                return usage_error("--top-p must be in (0, 1]");
            break;
        case O_TOPK: if (!long_opt("--top-k", optarg, 0, 1 << 24, &ro.top_k)) return AS_EXIT_USAGE; break;
        case O_SEED: if (!long_opt("--seed", optarg, 0, 0x7fffffff, &ro.seed)) return AS_EXIT_USAGE; break;
        case O_DEVICE: device = optarg; break;
        case O_IDS: ro.ids = 1; break;
        case O_CHAT: ro.chat = 1; break;
        case O_STOP:
            if (ro.n_stop == 8) return usage_error("at most 8 --stop strings");
            if (strlen(optarg) > GEN_STOP_MAX) {
                as_error("model: a --stop string is at most %d bytes (see `aftershock model -h`)",
                         GEN_STOP_MAX);
                return AS_EXIT_USAGE;
            }
            ro.stop[ro.n_stop++] = optarg;
            break;
        case O_NOBOS: no_bos = 1; break;
        case O_PP: if (!long_opt("--pp", optarg, 0, 8192, &pp)) return AS_EXIT_USAGE; break;
        case O_TG: if (!long_opt("--tg", optarg, 1, 8192, &tg)) return AS_EXIT_USAGE; break;
        case O_BATCH: if (!long_opt("--batch", optarg, 1, 512, &batch)) return AS_EXIT_USAGE; break;
        case O_REPS: if (!long_opt("--reps", optarg, 1, 100, &reps)) return AS_EXIT_USAGE; break;
        case O_ARCH:
            if (strcmp(optarg, "llama") == 0) sp.arch = MODEL_ARCH_LLAMA;
            else if (strcmp(optarg, "qwen2") == 0) sp.arch = MODEL_ARCH_QWEN2;
            else return usage_error("--arch must be llama or qwen2");
            have_arch = 1;
            break;
        case O_DIM: if (!long_opt("--dim", optarg, 8, 65536, &v)) return AS_EXIT_USAGE; sp.dim = (int)v; break;
        case O_LAYERS: if (!long_opt("--layers", optarg, 1, 1024, &v)) return AS_EXIT_USAGE; sp.n_layers = (int)v; break;
        case O_HEADS: if (!long_opt("--heads", optarg, 1, 4096, &v)) return AS_EXIT_USAGE; sp.n_heads = (int)v; break;
        case O_KVH: if (!long_opt("--kv-heads", optarg, 1, 4096, &v)) return AS_EXIT_USAGE; sp.n_kv_heads = (int)v; break;
        case O_FFN: if (!long_opt("--ffn", optarg, 1, 1 << 18, &v)) return AS_EXIT_USAGE; sp.ffn_dim = (int)v; break;
        case O_VOCAB: if (!long_opt("--vocab", optarg, 300, 1 << 24, &v)) return AS_EXIT_USAGE; sp.vocab_size = (int)v; break;
        case O_TYPE: {
            /* Q4_K_M is llama-quantize's mix of types, not a tensor type */
            int t = strcmp(optarg, "Q4_K_M") == 0 ? GGML_TYPE_Q4_K : ggml_type_parse(optarg);
            if (t < 0) return usage_error("--type: unknown tensor type");
            sp.type = (ggml_type)t;
            sp.q4_k_m = strcmp(optarg, "Q4_K_M") == 0;
            break;
        }
        case ':': as_error("model: option '%s' needs a value", argv[optind - 1]); return AS_EXIT_USAGE;
        default: as_error("model: unknown option '%s'", argv[optind - 1]); return AS_EXIT_USAGE;
        }
    }
    int npos = argc - optind;
    char **pos = argv + optind;
    if (strcmp(device, "cpu") != 0 && strcmp(device, "cuda") != 0)
        return usage_error("--device must be cpu or cuda");
    ro.cuda = strcmp(device, "cuda") == 0;
    if (ro.cuda && strcmp(sub, "run") != 0 && strcmp(sub, "bench") != 0)
        return usage_error("--device applies to run and bench");
    if (strcmp(sub, "info") == 0) {
        if (npos != 1) return usage_error("info needs FILE");
        return cli_finish(model_info(pos[0]));
    }
    if (strcmp(sub, "tokenize") == 0) {
        if (npos != 2) return usage_error("tokenize needs FILE and TEXT");
        return cli_finish(model_tokenize(pos[0], pos[1], no_bos));
    }
    if (strcmp(sub, "run") == 0) {
        if (npos != 1 || !ro.prompt) return usage_error("run needs FILE and -p PROMPT");
        ro.seed = ro.seed ? ro.seed : 42;
        return cli_finish(model_run(pos[0], &ro));
    }
    if (strcmp(sub, "bench") == 0) {
        if (npos != 1) return usage_error("bench needs FILE");
        return cli_finish(model_bench(pos[0], pp, tg, batch, ro.threads, reps, ro.cuda));
    }
    if (strcmp(sub, "synth") == 0) {
        if (npos != 0 || !output || !have_arch || !sp.dim || !sp.n_layers || !sp.n_heads ||
            !sp.n_kv_heads || !sp.ffn_dim || !sp.vocab_size)
            return usage_error("synth needs --arch --dim --layers --heads --kv-heads --ffn "
                               "--vocab --type and -o FILE");
        as_err e = synth_write(&sp, output);
        if (e)
            return as_error_last(e);
        as_note("wrote '%s'", output);
        return cli_finish(AS_EXIT_OK);
    }
    return usage_error("unknown subcommand (info, tokenize, run, bench, synth, distill, train)");
}
