/*
 * cmd_config.c -- `aftershock config`: print the effective settings, where
 * each came from, with secrets masked.
 */
#include "cli/cli.h"
#include "common/config.h"
#include "common/msg.h"

int cmd_config(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: aftershock [--config FILE] config\n"
               "\n"
               "Prints every setting with its effective value and origin (default, file:line\n"
               "or environment variable); passwords and API keys are masked.\n"
               "File: --config, $AFTERSHOCK_CONFIG, $AFTERSHOCK_HOME/aftershock.conf,\n"
               "/etc/aftershock.conf.  Environment: AFTERSHOCK_<SECTION>_<KEY>, e.g.\n"
               "AFTERSHOCK_SMTP_URL; API keys also from ALPHAVANTAGE_API_KEY,\n"
               "POLYGON_API_KEY, NEWSAPI_KEY.\n");
        return AS_EXIT_OK;
    }
    if (argc != 1) {
        as_error("config takes no arguments");
        return AS_EXIT_USAGE;
    }
    as_err e = config_load(ctx->config_path);
    if (e)
        return as_error_last(e);
    config_print(stdout);
    return AS_EXIT_OK;
}
