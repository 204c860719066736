/*
 * cmd_model_train.c -- `aftershock model distill`: distil the narrator into
 * the built-in summary model (model/distill.h) and print the figures.
 *
 * Options only; the corpus, training loop and scoring live in model/.  The
 * progress line (step, loss, learning rate, tokens/s) is drawn on a
 * terminal through as_progress; the closing figures go to stdout.  Works
 * without a database; -h works without anything.
 */
#include "cli/cli.h"
#include "common/error.h"
#include "common/msg.h"
#include "model/distill.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void distill_usage(FILE *out)
{
    fprintf(out,
            "usage: aftershock model distill [--teacher narrator] [--facts N] -o FILE.gguf\n"
            "           [--steps N] [--batch N] [--lr X] [--seed N] [--vocab N]\n"
            "           [--dim N] [--layers N] [--heads N] [--ffn N] [--ctx N]\n"
            "           [--eval N] [--real-facts DIR] [--checkpoint FILE [--resume]]\n"
            "\n"
            "Generates N random but plausible event studies as fact sheets (and reads\n"
            "real ones with --real-facts), has the\n"
            "teacher write a summary for every stock, learns a byte-level BPE\n"
            "vocabulary, trains a Llama-architecture student on prompt -> summary, and\n"
            "writes it as GGUF with the held-out scores in its metadata (5%% of the\n"
            "sheets are held out).  Defaults are those of `make model`.\n"
            "\n"
            "  --teacher narrator   the built-in narrator (the only teacher supported)\n"
            "  --facts N            fact sheets to generate (default 2000)\n"
            "  --eval N             held-out summaries to score (default 256)\n"
            "  --real-facts DIR     also train on the real fact sheets DIR/*.txt (make model:\n"
            "                       data/factsheets, the demo data's studies) and score the\n"
            "                       student on them (aftershock.real_* in the metadata)\n"
            "  --checkpoint FILE    save every 100 steps; --resume continues from it\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage\n");
}

static void progress_draw(void *ctx, int step, int steps, float loss, float lr,
                          double tok_per_s)
{
    (void)ctx;
    as_progress("distill step %d/%d  loss %.4f  lr %.2e  %.0f tokens/s", step, steps, loss,
                (double)lr, tok_per_s);
}

int cmd_model_distill(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        distill_usage(stdout);
        return cli_finish(AS_EXIT_OK);
    }
    enum { O_TEACHER = 256, O_FACTS, O_STEPS, O_BATCH, O_LR, O_SEED, O_VOCAB, O_DIM, O_LAYERS,
           O_HEADS, O_FFN, O_CTX, O_EVAL, O_CKPT, O_RESUME, O_REAL };
    static const struct option opts[] = {
        {"teacher", required_argument, 0, O_TEACHER}, {"facts", required_argument, 0, O_FACTS},
        {"steps", required_argument, 0, O_STEPS},     {"batch", required_argument, 0, O_BATCH},
        {"lr", required_argument, 0, O_LR},           {"seed", required_argument, 0, O_SEED},
        {"vocab", required_argument, 0, O_VOCAB},     {"dim", required_argument, 0, O_DIM},
        {"layers", required_argument, 0, O_LAYERS},   {"heads", required_argument, 0, O_HEADS},
        {"ffn", required_argument, 0, O_FFN},         {"ctx", required_argument, 0, O_CTX},
        {"eval", required_argument, 0, O_EVAL},       {"checkpoint", required_argument, 0, O_CKPT},
        {"resume", no_argument, 0, O_RESUME},         {"output", required_argument, 0, 'o'},
        {"real-facts", required_argument, 0, O_REAL},
        {0, 0, 0, 0}};
    distill_opts o;
    distill_opts_default(&o);
    long v;
    double d;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_TEACHER:
            if (strcmp(optarg, "narrator") != 0) {
                as_error("model distill: --teacher '%s': only the narrator is supported as a "
                         "teacher in this build", optarg);
                return AS_EXIT_USAGE;
            }
            break;
        case O_FACTS:
            if (cli_parse_int("--facts", optarg, 2, 1000000, &v)) return AS_EXIT_USAGE;
            o.n_facts = (int)v;
            break;
        case O_STEPS:
            if (cli_parse_int("--steps", optarg, 1, 10000000, &v)) return AS_EXIT_USAGE;
            o.steps = (int)v;
            if (o.warmup > o.steps / 10)
                o.warmup = o.steps / 10 > 0 ? o.steps / 10 : 1;
            break;
        case O_BATCH:
            if (cli_parse_int("--batch", optarg, 1, 1024, &v)) return AS_EXIT_USAGE;
            o.batch = (int)v;
            break;
        case O_LR:
            if (cli_parse_double("--lr", optarg, &d)) return AS_EXIT_USAGE;
            if (!(d > 0 && d < 1)) {
                as_error("--lr: '%s' is not in (0, 1)", optarg);
                return AS_EXIT_USAGE;
            }
            o.lr = (float)d;
            o.lr_min = (float)d / 10;
            break;
        case O_SEED:
            if (cli_parse_int("--seed", optarg, 0, 0x7fffffff, &v)) return AS_EXIT_USAGE;
            o.seed = (uint64_t)v;
            break;
        case O_VOCAB:
            if (cli_parse_int("--vocab", optarg, 258, 65536, &v)) return AS_EXIT_USAGE;
            o.vocab = (int)v;
            break;
        case O_DIM:
            if (cli_parse_int("--dim", optarg, 8, 4096, &v)) return AS_EXIT_USAGE;
            o.model.dim = (int)v;
            break;
        case O_LAYERS:
            if (cli_parse_int("--layers", optarg, 1, 64, &v)) return AS_EXIT_USAGE;
            o.model.n_layers = (int)v;
            break;
        case O_HEADS:
            if (cli_parse_int("--heads", optarg, 1, 256, &v)) return AS_EXIT_USAGE;
            o.model.n_heads = (int)v;
            break;
        case O_FFN:
            if (cli_parse_int("--ffn", optarg, 1, 65536, &v)) return AS_EXIT_USAGE;
            o.model.ffn_dim = (int)v;
            break;
        case O_CTX:
            if (cli_parse_int("--ctx", optarg, 64, 8192, &v)) return AS_EXIT_USAGE;
            o.model.ctx = (int)v;
            break;
        case O_EVAL:
            if (cli_parse_int("--eval", optarg, 1, 100000, &v)) return AS_EXIT_USAGE;
            o.n_eval = (int)v;
            break;
        case O_CKPT: o.checkpoint = optarg; break;
        case O_RESUME: o.resume = 1; break;
        case O_REAL: o.real_facts = optarg; break;
        case ':':
            as_error("model distill: option '%s' needs a value", argv[optind - 1]);
            return AS_EXIT_USAGE;
        default:
            as_error("model distill: unknown option '%s'", argv[optind - 1]);
            return AS_EXIT_USAGE;
        }
    }
    if (!o.out || optind != argc) {
        as_error("model distill: needs -o FILE.gguf and no other arguments");
        distill_usage(stderr);
        return AS_EXIT_USAGE;
    }
    if (o.resume && !o.checkpoint) {
        as_error("model distill: --resume needs --checkpoint FILE");
        return AS_EXIT_USAGE;
    }
    if (!ctx->quiet)
        o.progress = progress_draw;
    distill_report r;
    as_err e = distill_run(&r, &o);
    as_progress_end();
    if (e)
        return as_error_last(e);
    printf("corpus: %d sheets, %d training documents (%d longer than ctx skipped), "
           "%ld tokens\n",
           o.n_facts, r.n_train_docs, r.n_skipped, r.train_tokens);
    printf("training: %d steps, final loss %.4f, %.1f s, %.0f tokens/s\n", r.steps_done,
           (double)r.final_loss, r.seconds, r.tok_per_s);
    printf("held-out (%d summaries): ROUGE-L %.3f, guard pass %.1f%%, numbers faithful "
           "%.1f%%\n",
           r.heldout.n, r.heldout.rouge_l, 100 * r.heldout.pass_rate,
           100 * r.heldout.num_faithful);
    if (r.n_real_sheets)
        printf("real sheets (%d sheets, %d documents trained on, %d summaries scored): ROUGE-L "
               "%.3f, guard pass %.1f%%, numbers faithful %.1f%%\n",
               r.n_real_sheets, r.n_real_docs, r.real.n, r.real.rouge_l, 100 * r.real.pass_rate,
               100 * r.real.num_faithful);
    printf("wrote %s\n", o.out);
    return cli_finish(AS_EXIT_OK);
}
