/*
 * train_corpus.c -- reading the two corpus formats of train_corpus.h.
 *
 * The file is read whole (common/file.h) and checked byte by byte before
 * anything is kept: NUL bytes and invalid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF) are reported with their
 * line, since the BPE trainer would learn them as they are.  JSON lines go
 * through jansson, which checks UTF-8 and escapes itself.
 */
#include "model/train_corpus.h"
#include "common/file.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *train_corpus_format_name(train_corpus_format f)
{
    switch (f) {
    case TRAIN_CORPUS_AUTO: return "auto";
    case TRAIN_CORPUS_TEXT: return "text";
    case TRAIN_CORPUS_JSONL: return "jsonl";
    }
    return "?";
}

int train_corpus_format_parse(const char *s)
{
    if (strcmp(s, "text") == 0)
        return TRAIN_CORPUS_TEXT;
    if (strcmp(s, "jsonl") == 0)
        return TRAIN_CORPUS_JSONL;
    if (strcmp(s, "auto") == 0)
        return TRAIN_CORPUS_AUTO;
    return -1;
}

void train_corpus_free(train_corpus *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->docs[i].prompt);
        free(c->docs[i].text);
    }
    free(c->docs);
    memset(c, 0, sizeof *c);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return len;
}

/* NUL bytes and invalid UTF-8, with the line they are on. */
static as_err bytes_check(const char *buf, size_t len, const char *path)
{
    int line = 1;
    for (size_t i = 0; i < len;) {
        const unsigned char *p = (const unsigned char *)buf + i;
        if (*p == '\0')
            return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'text': a NUL byte", path, line);
        size_t k = utf8_seq(p, len - i);
        if (!k)
            return as_fail(AS_ERR_PARSE, "'%s': line %d: field 'text': not UTF-8 (byte 0x%02x)",
                           path, line, *p);
        line += *p == '\n';
        i += k;
    }
    return AS_OK;
}

static as_err doc_push(train_corpus *c, int *cap, char *prompt, char *text, int line)
{
    if (c->n == *cap) {
        int nc = *cap ? *cap * 2 : 256;
        train_text *p = realloc(c->docs, sizeof *p * (size_t)nc);
        if (!p) {
            free(prompt);
            free(text);
            return as_fail(AS_ERR_NOMEM, "corpus: out of memory");
        }
        c->docs = p;
        *cap = nc;
    }
    c->docs[c->n++] = (train_text){prompt, text, line};
    return AS_OK;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* Keep the document out[0..n) (its buffer shrunk to fit). */
static as_err doc_flush(train_corpus *c, int *cap, char *out, size_t n, int line)
{
    out[n] = '\0';
    char *fit = realloc(out, n + 1);
    return doc_push(c, cap, NULL, fit ? fit : out, line);
}

static as_err read_text(train_corpus *c, int *cap, char *buf, size_t len)
{
    /* walk the lines; a document runs from its first non-blank line to the
     * line before the next blank one */
    char *out = NULL;
    size_t on = 0;
    int first = 0, line = 1;
    as_err e = AS_OK;
    for (size_t at = 0; at <= len && !e; line++) {
        char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - buf) : len, ll = end - at;
        if (ll && buf[at + ll - 1] == '\r')
            ll--;
        if (blank(buf + at, ll)) {
            if (out) {
                e = doc_flush(c, cap, out, on, first);
                out = NULL;
            }
        } else {
            if (!out) {
                out = malloc(len + 1); /* at most the rest of the file */
                on = 0;
                first = line;
                if (!out)
                    e = as_fail(AS_ERR_NOMEM, "corpus: out of memory");
            } else {
                out[on++] = '\n';
            }
            if (out) {
                memcpy(out + on, buf + at, ll);
                on += ll;
            }
        }
        if (!nl)
            break;
        at = end + 1;
    }
    if (!e && out) {
        e = doc_flush(c, cap, out, on, first);
        out = NULL;
    }
    free(out);
    return e;
}

/* The string member key of o, copied; the error names the field. */
static as_err member_str(char **out, json_t *o, const char *key, const char *path, int line)
{
    *out = NULL;
    json_t *v = json_object_get(o, key);
    if (!v)
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': missing", path, line, key);
    if (!json_is_string(v))
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': expected a string", path, line,
                       key);
    if (json_string_length(v) == 0)
        return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': empty", path, line, key);
    if (!(*out = strdup(json_string_value(v))))
        return as_fail(AS_ERR_NOMEM, "corpus: out of memory");
    return AS_OK;
}

static as_err read_jsonl(train_corpus *c, int *cap, const char *buf, size_t len, const char *path)
{
    as_err e = AS_OK;
    int line = 1;
    for (size_t at = 0; at < len && !e; line++) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (!blank(buf + at, end - at)) {
            json_error_t err;
            json_t *o = json_loadb(buf + at, end - at, JSON_REJECT_DUPLICATES, &err);
            char *prompt = NULL, *text = NULL;
            if (!o)
                e = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'json': %s", path, line, err.text);
            else if (!json_is_object(o))
                e = as_fail(AS_ERR_PARSE, "'%s': line %d: field 'json': expected an object "
                            "{\"prompt\": ..., \"completion\": ...}", path, line);
            else if (!(e = member_str(&prompt, o, "prompt", path, line)) &&
                     !(e = member_str(&text, o, "completion", path, line))) {
                e = doc_push(c, cap, prompt, text, line);
                prompt = text = NULL;
            }
            free(prompt);
            free(text);
            json_decref(o);
        }
        at = end + 1;
    }
    return e;
}

as_err train_corpus_read(train_corpus *c, const char *path, train_corpus_format format)
{
    memset(c, 0, sizeof *c);
    if (format == TRAIN_CORPUS_AUTO) {
        size_t l = strlen(path);
        format = l > 6 && strcmp(path + l - 6, ".jsonl") == 0 ? TRAIN_CORPUS_JSONL
                                                              : TRAIN_CORPUS_TEXT;
    }
    char *buf;
    size_t len;
    as_err e = file_read_all(&buf, &len, path);
    if (e)
        return e;
    int cap = 0;
    c->format = format;
    if (!(e = bytes_check(buf, len, path)))
        e = format == TRAIN_CORPUS_JSONL ? read_jsonl(c, &cap, buf, len, path)
                                         : read_text(c, &cap, buf, len);
    free(buf);
    if (!e && c->n == 0)
        e = as_fail(AS_ERR_PARSE, "'%s': line 1: field '%s': no document in the file", path,
                    format == TRAIN_CORPUS_JSONL ? "prompt" : "text");
    if (e)
        train_corpus_free(c);
    return e;
}
