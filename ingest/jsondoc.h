/*
 * jsondoc.h -- loading a provider's JSON answer with errors a user can act
 * on, shared by the JSON price and news parsers.  Internal to ingest/.
 */
#ifndef AS_JSONDOC_H
#define AS_JSONDOC_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

/* Parse buf as one JSON value.  Empty input and HTML pages are
 * AS_ERR_SOURCE; malformed or truncated JSON is AS_ERR_PARSE naming src,
 * line, column and byte offset.  *out is a new reference; caller decrefs. */
as_err jsondoc_load(json_t **out, const char *buf, size_t len, const char *src);

/* A JSON number, or a string holding one ("86.4900", Alpha Vantage), as a
 * double; NAN for null or absent.  -1 when v is of another type or the string
 * is not a number. */
int jsondoc_number(const json_t *v, double *out);

/* The string member key of obj, or NULL. */
const char *jsondoc_str(const json_t *obj, const char *key);

#endif
