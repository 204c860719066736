/*
 * config.h -- aftershock.conf and its environment overrides.
 *
 * The file is INI-style: `[section]` headers and `key = value` lines, `#`
 * comments.  Every setting has a dotted name ("smtp.url"), a default and a
 * one-line description in the table in config.c; an unknown section or key
 * is an error naming the file and line.  Precedence, lowest first: default,
 * file, environment variable AFTERSHOCK_<SECTION>_<KEY> (upper case, dots
 * and dashes as underscores), then the provider's own variable where one is
 * customary (ALPHAVANTAGE_API_KEY, POLYGON_API_KEY, NEWSAPI_KEY).
 *
 * The file: --config FILE, else $AFTERSHOCK_CONFIG, else
 * $AFTERSHOCK_HOME/aftershock.conf, else /etc/aftershock.conf; a missing
 * default file is fine, a missing named file is an error.
 */
#ifndef AS_CONFIG_H
#define AS_CONFIG_H

#include <stdio.h>

#include "common/error.h"

/* Load once per process; later calls are no-ops.  path NULL = search. */
as_err config_load(const char *path);

/* Effective value ("" when unset and no default); never NULL for a known
 * key.  Asking for an unknown key is a programming error: returns NULL. */
const char *config_get(const char *key);

/* Where the value came from: "default", "FILE:LINE" or the variable name. */
const char *config_origin(const char *key);

/* The file that was read, or NULL. */
const char *config_path(void);

/* Override a value for this process (tests, command-line options). */
as_err config_set(const char *key, const char *value);

/* Print every setting as `key = value  # origin`, secrets masked. */
void config_print(FILE *out);

/* Mask credentials in a URL ("smtps://u:pw@h" -> "smtps://u:***@h") and
 * API-key query parameters (apikey=, apiKey=, api_key=, token=). Heap
 * string; caller frees. */
char *config_mask_url(const char *url);

#endif
