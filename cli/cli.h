/*
 * cli.h -- what the subcommands share: the context main() prepares and the
 * signature of a command.  Subcommands parse their own options and call into
 * ingest/, analytics/, model/ and reports/; they hold no business logic.
 */
#ifndef AS_CLI_H
#define AS_CLI_H

#include <stdio.h>

typedef struct cli_ctx {
    const char *db_opt;       /* --db given anywhere on the line, or NULL */
    const char *config_path;  /* --config FILE, or NULL for the default */
    int quiet;                /* -q: no notes, no progress */
} cli_ctx;

typedef int (*cli_cmd_fn)(cli_ctx *ctx, int argc, char **argv);

/* True when argv (after the command name) asks for help. */
int cli_wants_help(int argc, char **argv);

/* Flush stdout and report a write error (full disk, closed pipe) as exit 1. */
int cli_finish(int code);

/* Parse a decimal integer / double with range checks; on failure print a usage
 * error naming opt and return -1. */
int cli_parse_int(const char *opt, const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *opt, const char *s, double *out);

/* "aftershock ARGS..." as typed (argv after the program name), for the
 * Method sheet and the runs log; heap, caller frees; NULL when out of memory. */
char *cli_command_line(int argc, char **argv);

/* The announcement lexicon's folder: opt, $AFTERSHOCK_LEXICON,
 * ./data/lexicon, or data/lexicon beside (or above, for build-san/) the
 * binary; buf (len bytes) may hold the answer.  Defined in cmd_events.c. */
const char *cli_lexicon_dir(const char *opt, char *buf, size_t len);

/* rel (a path inside the source tree, e.g. the built-in model) as found
 * from the working directory, else beside the binary, else one level up
 * (build-san/): buf, or NULL when none is readable. */
const char *cli_source_file(const char *rel, char *buf, size_t len);

/* Subcommands (one file each in cli/). */
int cmd_help(cli_ctx *ctx, int argc, char **argv);
int cmd_db(cli_ctx *ctx, int argc, char **argv);
int cmd_ingest(cli_ctx *ctx, int argc, char **argv);
int cmd_demo(cli_ctx *ctx, int argc, char **argv);
int cmd_study(cli_ctx *ctx, int argc, char **argv);
int cmd_events(cli_ctx *ctx, int argc, char **argv);
int cmd_model(cli_ctx *ctx, int argc, char **argv);
/* `model distill` and `model train`, in cli/cmd_model_train.c; argv[0] is
 * "distill" / "train". */
int cmd_model_distill(cli_ctx *ctx, int argc, char **argv);
int cmd_model_train(cli_ctx *ctx, int argc, char **argv);
int cmd_summarize(cli_ctx *ctx, int argc, char **argv);
int cmd_report(cli_ctx *ctx, int argc, char **argv);
int cmd_sql(cli_ctx *ctx, int argc, char **argv);
int cmd_nightly(cli_ctx *ctx, int argc, char **argv);
int cmd_config(cli_ctx *ctx, int argc, char **argv);

#endif
