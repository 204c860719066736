/*
 * cmd_model_train.c -- `aftershock model distill` (the built-in summary
 * model, model/distill.h) and `aftershock model train` (a language model
 * from a corpus file, model/train_lm.h): options in, figures out.
 *
 * Options only; corpora, the training loop and scoring live in model/.  The
 * trainer's options (shape, steps, batch, learning rate, seed, vocabulary,
 * checkpoint) are parsed in one place for both.  The progress line (step,
 * loss, learning rate, tokens/s) is drawn on a terminal through
 * as_progress; the closing figures go to stdout.  Works without a
 * database; -h works without anything.
 */
#include "cli/cli.h"
#include "common/error.h"
#include "common/msg.h"
#include "model/distill.h"
#include "model/train_lm.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void distill_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock model distill [--teacher narrator|FILE.gguf] [--facts N]\n"
            "           -o FILE.gguf [--steps N] [--batch N] [--lr X] [--seed N] [--vocab N]\n"
            "           [--dim N] [--layers N] [--heads N] [--ffn N] [--ctx N]\n"
            "           [--eval N] [--real-facts DIR] [--checkpoint FILE [--resume]]\n"
            "           [--kl-k K] [--kl-weight W] [--kl-temp T] [--teacher-tokens N] [-t N]\n"
            "\n"
            "Generates N random but plausible event studies as fact sheets (and reads\n"
            "real ones with --real-facts), has the teacher write a summary for every\n"
            "stock, learns a byte-level BPE vocabulary, trains a Llama-architecture\n"
            "student on prompt -> summary, and writes it as GGUF with the held-out\n"
            "scores in its metadata (5%% of the sheets are held out).  Defaults are\n"
            "those of `make model`.\n"
            "\n"
            "  --teacher narrator   the built-in narrator (default), correct by construction\n"
            "  --teacher FILE.gguf  any model the engine runs: an Aftershock summary model is\n"
            "                       prompted as the summarizer prompts it; any other gets an\n"
            "                       instruction prompt in its chat template and its plain\n"
            "                       text is the summary (at most --teacher-tokens, default\n"
            "                       200).  Summaries failing the summarizer's guard are\n"
            "                       dropped and counted.  When the teacher's tokenizer is a\n"
            "                       byte-level BPE the trainer speaks (an Aftershock model),\n"
            "                       the student takes it and also learns the teacher's top-K\n"
            "                       probabilities: loss (1-W) CE + W T^2 KL (Hinton et al.\n"
            "                       2015), --kl-k 8, --kl-weight 0.5, --kl-temp 1 by default;\n"
            "                       --kl-k 0 learns the text only.  -t: engine threads (2)\n"
            "  --facts N            fact sheets to generate (default 2000)\n"
            "  --eval N             held-out summaries to score (default 256)\n"
            "  --real-facts DIR     also train on the real fact sheets DIR/*.txt (make model:\n"
            "                       data/factsheets, the demo data's studies) and score the\n"
            "                       student on them (aftershock.real_* in the metadata)\n"
            "  --checkpoint FILE    save every 100 steps; --resume continues from it\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage\n");
}

static void train_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock model train --corpus FILE -o FILE.gguf [--format text|jsonl]\n"
            "           [--heldout PCT] [--steps N] [--batch N] [--lr X] [--seed N]\n"
            "           [--vocab N] [--dim N] [--layers N] [--heads N] [--ffn N] [--ctx N]\n"
            "           [--checkpoint FILE [--resume]]\n"
            "\n"
            "Trains a Llama-architecture language model on a corpus with the project's\n"
            "trainer: a byte-level BPE vocabulary learned from the training documents,\n"
            "the last PCT%% of the documents held out (their loss is reported before\n"
            "and after training), GGUF out that `aftershock model run` loads.\n"
            "\n"
            "  --corpus FILE   text: documents separated by blank lines, every token\n"
            "                  learned; jsonl: one {\"prompt\": ..., \"completion\": ...}\n"
            "                  object per line, the completion learned.  The format\n"
            "                  follows the name (.jsonl) unless --format says\n"
            "  --heldout PCT   documents held out, from the end of the file (default 10;\n"
            "                  0: none)\n"
            "  defaults: --vocab 1024 --dim 64 --layers 2 --heads 4 --ffn 172 --ctx 256\n"
            "            --steps 500 --batch 8 --lr 3e-3 --seed 1\n"
            "\n"
            "exit codes: 0 ok, 1 failure (bad corpus: file, line and field named), 2 usage\n");
}

static void progress_draw(void *ctx, int step, int steps, float loss, float lr,
                          double tok_per_s)
{
    as_progress("%s step %d/%d  loss %.4f  lr %.2e  %.0f tokens/s", (const char *)ctx, step,
                steps, loss, (double)lr, tok_per_s);
}

static void teacher_draw(void *ctx, int done, int total)
{
    (void)ctx;
    as_progress("distill teacher: %d/%d sheets summarized", done, total);
}

/* The trainer's options, shared by distill and train. */
enum { O_STEPS = 256, O_BATCH, O_LR, O_SEED, O_VOCAB, O_DIM, O_LAYERS, O_HEADS, O_FFN, O_CTX,
       O_CKPT, O_RESUME, O_FIRST_OWN };
#define TRAINER_OPTIONS                                                                    \
    {"steps", required_argument, 0, O_STEPS}, {"batch", required_argument, 0, O_BATCH},   \
    {"lr", required_argument, 0, O_LR}, {"seed", required_argument, 0, O_SEED},           \
    {"vocab", required_argument, 0, O_VOCAB}, {"dim", required_argument, 0, O_DIM},       \
    {"layers", required_argument, 0, O_LAYERS}, {"heads", required_argument, 0, O_HEADS}, \
    {"ffn", required_argument, 0, O_FFN}, {"ctx", required_argument, 0, O_CTX},           \
    {"checkpoint", required_argument, 0, O_CKPT}, {"resume", no_argument, 0, O_RESUME},   \
    {"output", required_argument, 0, 'o'}

typedef struct trainer_args {
    train_config *model;
    int *steps, *batch, *warmup, *vocab, *resume;
    float *lr, *lr_min;
    uint64_t *seed;
    const char **checkpoint, **out;
} trainer_args;

/* 1: c was a trainer option (parsed), 0: not one, -1: a bad value (reported). */
static int trainer_option(const trainer_args *t, int c, const char *arg)
{
    long v;
    double d;
    switch (c) {
    case 'o': *t->out = arg; return 1;
    case O_STEPS:
        if (cli_parse_int("--steps", arg, 1, 10000000, &v)) return -1;
        *t->steps = (int)v;
        if (*t->warmup > *t->steps / 10)
            *t->warmup = *t->steps / 10 > 0 ? *t->steps / 10 : 1;
        return 1;
    case O_BATCH:
        if (cli_parse_int("--batch", arg, 1, 1024, &v)) return -1;
        *t->batch = (int)v;
        return 1;
    case O_LR:
        if (cli_parse_double("--lr", arg, &d)) return -1;
        if (!(d > 0 && d < 1)) {
            as_error("--lr: '%s' is not in (0, 1)", arg);
            return -1;
        }
        *t->lr = (float)d;
        *t->lr_min = (float)d / 10;
        return 1;
    case O_SEED:
        if (cli_parse_int("--seed", arg, 0, 0x7fffffff, &v)) return -1;
        *t->seed = (uint64_t)v;
        return 1;
    case O_VOCAB:
        if (cli_parse_int("--vocab", arg, 258 + SLOT_COUNT, 65536, &v)) return -1;
        *t->vocab = (int)v;
        return 1;
    case O_DIM:
        if (cli_parse_int("--dim", arg, 8, 4096, &v)) return -1;
        t->model->dim = (int)v;
        return 1;
    case O_LAYERS:
        if (cli_parse_int("--layers", arg, 1, 64, &v)) return -1;
        t->model->n_layers = (int)v;
        return 1;
    case O_HEADS:
        if (cli_parse_int("--heads", arg, 1, 256, &v)) return -1;
        t->model->n_heads = (int)v;
        return 1;
    case O_FFN:
        if (cli_parse_int("--ffn", arg, 1, 65536, &v)) return -1;
        t->model->ffn_dim = (int)v;
        return 1;
    case O_CTX:
        if (cli_parse_int("--ctx", arg, 64, 8192, &v)) return -1;
        t->model->ctx = (int)v;
        return 1;
    case O_CKPT: *t->checkpoint = arg; return 1;
    case O_RESUME: *t->resume = 1; return 1;
    }
    return 0;
}

/* The common checks after parsing; 0 ok, else the exit code. */
static int trainer_finish_args(const char *cmd, const trainer_args *t, int optind_, int argc,
                               void (*usage)(FILE *))
{
    if (!*t->out || optind_ != argc) {
        as_error("model %s: needs -o FILE.gguf and no other arguments", cmd);
        usage(stderr);
        return AS_EXIT_USAGE;
    }
    if (*t->resume && !*t->checkpoint) {
        as_error("model %s: --resume needs --checkpoint FILE", cmd);
        return AS_EXIT_USAGE;
    }
    return 0;
}

static int bad_option(const char *cmd, int c, char **argv)
{
    if (c == ':')
        as_error("model %s: option '%s' needs a value", cmd, argv[optind - 1]);
    else
        as_error("model %s: unknown option '%s'", cmd, argv[optind - 1]);
    return AS_EXIT_USAGE;
}

int cmd_model_distill(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        distill_usage(stdout);
        return cli_finish(AS_EXIT_OK);
    }
    enum { O_TEACHER = O_FIRST_OWN, O_FACTS, O_EVAL, O_REAL, O_KLK, O_KLW, O_KLT, O_TTOK };
    static const struct option opts[] = {
        TRAINER_OPTIONS,
        {"teacher", required_argument, 0, O_TEACHER}, {"facts", required_argument, 0, O_FACTS},
        {"eval", required_argument, 0, O_EVAL},       {"real-facts", required_argument, 0, O_REAL},
        {"kl-k", required_argument, 0, O_KLK},        {"kl-weight", required_argument, 0, O_KLW},
        {"kl-temp", required_argument, 0, O_KLT},
        {"teacher-tokens", required_argument, 0, O_TTOK},
        {"threads", required_argument, 0, 't'},       {0, 0, 0, 0}};
    distill_opts o;
    distill_opts_default(&o);
    trainer_args t = {&o.model, &o.steps, &o.batch, &o.warmup, &o.vocab, &o.resume,
                      &o.lr, &o.lr_min, &o.seed, &o.checkpoint, &o.out};
    long v;
    double d;
    int c, k;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:t:", opts, NULL)) != -1) {
        if ((k = trainer_option(&t, c, optarg)) != 0) {
            if (k < 0)
                return AS_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case O_TEACHER: o.teacher = strcmp(optarg, "narrator") == 0 ? NULL : optarg; break;
        case O_KLK:
            if (cli_parse_int("--kl-k", optarg, 0, 256, &v)) return AS_EXIT_USAGE;
            o.kl_k = (int)v;
            break;
        case O_KLW:
            if (cli_parse_double("--kl-weight", optarg, &d)) return AS_EXIT_USAGE;
            if (!(d >= 0 && d <= 1)) {
                as_error("--kl-weight: '%s' is not in [0, 1]", optarg);
                return AS_EXIT_USAGE;
            }
            o.kl_weight = (float)d;
            break;
        case O_KLT:
            if (cli_parse_double("--kl-temp", optarg, &d)) return AS_EXIT_USAGE;
            if (!(d > 0 && d <= 100)) {
                as_error("--kl-temp: '%s' is not in (0, 100]", optarg);
                return AS_EXIT_USAGE;
            }
            o.kl_temp = (float)d;
            break;
        case O_TTOK:
            if (cli_parse_int("--teacher-tokens", optarg, 16, 4096, &v)) return AS_EXIT_USAGE;
            o.teacher_tokens = (int)v;
            break;
        case 't':
            if (cli_parse_int("-t", optarg, 1, 256, &v)) return AS_EXIT_USAGE;
            o.threads = (int)v;
            break;
        case O_FACTS:
            if (cli_parse_int("--facts", optarg, 2, 1000000, &v)) return AS_EXIT_USAGE;
            o.n_facts = (int)v;
            break;
        case O_EVAL:
            if (cli_parse_int("--eval", optarg, 1, 100000, &v)) return AS_EXIT_USAGE;
            o.n_eval = (int)v;
            break;
        case O_REAL: o.real_facts = optarg; break;
        default: return bad_option("distill", c, argv);
        }
    }
    if ((k = trainer_finish_args("distill", &t, optind, argc, distill_usage)))
        return k;
    if (!ctx->quiet) {
        o.progress = progress_draw;
        o.teacher_progress = teacher_draw;
        o.progress_ctx = "distill";
    }
    distill_report r;
    as_err e = distill_run(&r, &o);
    as_progress_end();
    if (e)
        return as_error_last(e);
    if (o.teacher)
        printf("teacher: %s: %d summaries written for the training sheets, %d failed the "
               "guard and %d did not fit its context (dropped); %d of the held-out ones "
               "dropped; %s\n",
               o.teacher, r.n_teacher_written, r.n_teacher_failed, r.n_teacher_too_long,
               r.n_heldout_teacher_failed,
               r.kl_used ? "its vocabulary and top-k probabilities taken (KL)"
               : r.vocab_from_teacher ? "its vocabulary taken, text only (--kl-k 0 or "
                                        "--kl-weight 0)"
                                      : "text only (its tokenizer is not one the trainer uses)");
    printf("corpus: %d sheets, %d training documents (%d longer than ctx skipped), "
           "%ld tokens\n",
           o.n_facts, r.n_train_docs, r.n_skipped, r.train_tokens);
    printf("training: %d steps, final loss %.4f, %.1f s, %.0f tokens/s\n", r.steps_done,
           (double)r.final_loss, r.seconds, r.tok_per_s);
    printf("held-out (%d summaries): ROUGE-L %.3f, guard pass %.1f%%, numbers faithful "
           "%.1f%%\n",
           r.heldout.n, r.heldout.rouge_l, 100 * r.heldout.pass_rate,
           100 * r.heldout.num_faithful);
    if (r.kl_measured)
        printf("held-out KL(teacher || student), top-%d at T %g: %.4f before training, %.4f "
               "after; cross-entropy of the teacher's tokens %.4f -> %.4f\n",
               o.kl_k, (double)o.kl_temp, r.heldout_kl_initial, r.heldout_kl,
               r.heldout_ce_initial, r.heldout_ce);
    if (r.n_real_sheets)
        printf("real sheets (%d sheets, %d documents trained on, %d summaries scored): ROUGE-L "
               "%.3f, guard pass %.1f%%, numbers faithful %.1f%%\n",
               r.n_real_sheets, r.n_real_docs, r.real.n, r.real.rouge_l, 100 * r.real.pass_rate,
               100 * r.real.num_faithful);
    printf("wrote %s\n", o.out);
    return cli_finish(AS_EXIT_OK);
}

int cmd_model_train(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        train_usage(stdout);
        return cli_finish(AS_EXIT_OK);
    }
    enum { O_CORPUS = O_FIRST_OWN, O_FORMAT, O_HELDOUT };
    static const struct option opts[] = {
        TRAINER_OPTIONS,
        {"corpus", required_argument, 0, O_CORPUS}, {"format", required_argument, 0, O_FORMAT},
        {"heldout", required_argument, 0, O_HELDOUT}, {0, 0, 0, 0}};
    train_lm_opts o;
    train_lm_opts_default(&o);
    trainer_args t = {&o.model, &o.steps, &o.batch, &o.warmup, &o.vocab, &o.resume,
                      &o.lr, &o.lr_min, &o.seed, &o.checkpoint, &o.out};
    long v;
    int c, k;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        if ((k = trainer_option(&t, c, optarg)) != 0) {
            if (k < 0)
                return AS_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case O_CORPUS: o.corpus = optarg; break;
        case O_FORMAT:
            if ((k = train_corpus_format_parse(optarg)) < 0) {
                as_error("model train: --format '%s': expected text or jsonl", optarg);
                return AS_EXIT_USAGE;
            }
            o.format = (train_corpus_format)k;
            break;
        case O_HELDOUT:
            if (cli_parse_int("--heldout", optarg, 0, 50, &v)) return AS_EXIT_USAGE;
            o.heldout_pct = (int)v;
            break;
        default: return bad_option("train", c, argv);
        }
    }
    if (!o.corpus) {
        as_error("model train: needs --corpus FILE");
        train_usage(stderr);
        return AS_EXIT_USAGE;
    }
    if ((k = trainer_finish_args("train", &t, optind, argc, train_usage)))
        return k;
    if (!ctx->quiet) {
        o.progress = progress_draw;
        o.progress_ctx = "train";
    }
    train_lm_report r;
    as_err e = train_lm_run(&r, &o);
    as_progress_end();
    if (e)
        return as_error_last(e);
    printf("corpus: %s (%s, sha256 %.12s...), %d documents: %d train (%d sequences, %ld "
           "tokens), %d held out; %d longer than ctx skipped\n",
           o.corpus, train_corpus_format_name(r.format), r.sha256, r.n_docs, r.n_train_docs,
           r.n_train_seqs, r.train_tokens, r.n_heldout_docs, r.n_skipped);
    printf("vocabulary: %d tokens (byte-level BPE)\n", r.vocab);
    printf("training: %d steps, final loss %.4f, %.1f s, %.0f tokens/s\n", r.steps_done,
           (double)r.final_loss, r.seconds, r.tok_per_s);
    if (!isnan(r.heldout_loss))
        printf("held-out loss: %.4f before training, %.4f after (%ld target tokens)\n",
               r.heldout_loss_before, r.heldout_loss, r.heldout_targets);
    printf("wrote %s\n", o.out);
    return cli_finish(AS_EXIT_OK);
}
