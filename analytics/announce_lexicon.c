/*
 * announce_lexicon.c -- loading data/lexicon/: weighted phrases per language,
 * entities with their aliases and tickers, and the exposure direction of each
 * ticker.
 *
 * Owns the lexicon structure and its parser.  It is not the scorer (announce.c)
 * and holds no words itself: every phrase, weight and alias is data, read at
 * run time, so an analyst can audit or tune the scoring without a rebuild.
 *
 * Format (full description in data/lexicon/README.md): UTF-8 lines, '#'
 * starts a comment line, blank lines are skipped, fields are separated by '|'
 * and trimmed.  Any malformed line fails the whole load with
 * "'<file>': line N: field '<name>': <what is wrong>"; nothing half-loaded is
 * returned.
 */
#include "analytics/announce.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEX_MAX_FIELDS 8
#define LEX_WEIGHT_LIMIT 100.0

/* One line split into trimmed fields; points into the line buffer. */
typedef struct lex_line {
    const char *path;
    int lineno;
    char *field[LEX_MAX_FIELDS];
    int n;
} lex_line;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Split buf at '|'.  Returns 0 for a blank or comment line, 1 for a record,
 * or -1 (as_fail) when the field count differs from want. */
static int line_split(lex_line *ln, char *buf, int want, const char *layout)
{
    char *s = trim(buf);
    if (*s == '\0' || *s == '#')
        return 0;
    ln->n = 0;
    for (;;) {
        char *bar = strchr(s, '|');
        if (bar)
            *bar = '\0';
        if (ln->n < LEX_MAX_FIELDS)
            ln->field[ln->n] = trim(s);
        ln->n++;
        if (!bar)
            break;
        s = bar + 1;
    }
    if (ln->n != want) {
        as_fail(AS_ERR_PARSE, "'%s': line %d: expected %d fields separated by '|' (%s), found %d",
                ln->path, ln->lineno, want, layout, ln->n);
        return -1;
    }
    return 1;
}

static as_err field_fail(const lex_line *ln, const char *field, const char *what)
{
    return as_fail(AS_ERR_PARSE, "'%s': line %d: field '%s': %s", ln->path, ln->lineno, field,
                   what);
}

static as_err weight_parse(double *out, const lex_line *ln, int i)
{
    char *end;
    errno = 0;
    double w = strtod(ln->field[i], &end);
    if (errno || end == ln->field[i] || *end || w < -LEX_WEIGHT_LIMIT || w > LEX_WEIGHT_LIMIT)
        return field_fail(ln, "weight", "expected a number between -100 and 100");
    *out = w;
    return AS_OK;
}

/* Normalise one pattern as written in the file ('=' prefix: case kept). */
static as_err pattern_parse(lex_pattern *out, const lex_line *ln, const char *field,
                            const char *text)
{
    int cs = text[0] == '=';
    if (cs)
        text++;
    out->case_sensitive = cs;
    out->text = announce_normalise(text, cs);
    if (!out->text)
        return as_fail(AS_ERR_NOMEM, "'%s': line %d: out of memory", ln->path, ln->lineno);
    as_err err = AS_OK;
    if (out->text[0] == '\0')
        err = field_fail(ln, field, "empty pattern");
    for (const char *s = out->text; !err && *s; s++) {
        if (*s != '*')
            continue;
        if (s == out->text || s[-1] == ' ')
            err = field_fail(ln, field, "'*' must follow the start of a word");
        else if (s[1] != '\0' && s[1] != ' ')
            err = field_fail(ln, field, "'*' must end a word");
    }
    if (err) {
        free(out->text);
        out->text = NULL;
    }
    return err;
}

static int ticker_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 15)
        return 0;
    for (; *t; t++)
        if (!((*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '.' || *t == '^' ||
              *t == '-'))
            return 0;
    return 1;
}

/* Grow *arr (element size sz) so that it holds at least n + 1 elements. */
static as_err grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return AS_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, nc * sz);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "lexicon: out of memory");
    *arr = p;
    *cap = nc;
    return AS_OK;
}

/* Read path line by line; calls fn(lex, ln, buf) on every line. */
typedef as_err (*line_fn)(lexicon *lex, lex_line *ln, char *buf, void *arg);

static as_err file_each_line(lexicon *lex, const char *path, line_fn fn, void *arg)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return as_fail(AS_ERR_IO, "'%s': cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    lex_line ln = {.path = path};
    as_err err = AS_OK;
    while (getline(&buf, &cap, f) >= 0) {
        ln.lineno++;
        err = fn(lex, &ln, buf, arg);
        if (err)
            break;
    }
    if (!err && ferror(f))
        err = as_fail(AS_ERR_IO, "'%s': read error", path);
    free(buf);
    fclose(f);
    return err;
}

struct phrase_arg {
    const char *lang;
    size_t cap;
};

static as_err phrase_line(lexicon *lex, lex_line *ln, char *buf, void *arg)
{
    struct phrase_arg *pa = arg;
    int r = line_split(ln, buf, 2, "weight | phrase");
    if (r <= 0)
        return r < 0 ? AS_ERR_PARSE : AS_OK;
    if (grow((void **)&lex->phrases, &pa->cap, lex->n_phrases, sizeof *lex->phrases))
        return AS_ERR_NOMEM;
    lex_phrase *p = &lex->phrases[lex->n_phrases];
    memset(p, 0, sizeof *p);
    as_err err = weight_parse(&p->weight, ln, 0);
    if (!err)
        err = pattern_parse(&p->pat, ln, "phrase", ln->field[1]);
    if (err)
        return err;
    snprintf(p->lang, sizeof p->lang, "%s", pa->lang);
    lex->n_phrases++;
    return AS_OK;
}

static as_err entity_kind_parse(enum lex_kind *out, const lex_line *ln)
{
    const char *k = ln->field[1];
    if (strcmp(k, "lab") == 0)
        *out = LEX_LAB;
    else if (strcmp(k, "company") == 0)
        *out = LEX_COMPANY;
    else if (strcmp(k, "group") == 0)
        *out = LEX_GROUP;
    else
        return field_fail(ln, "kind", "expected lab, company or group");
    return AS_OK;
}

/* Fill e->tickers from the space-separated list ("-" for none). */
static as_err entity_tickers_parse(lex_entity *e, const lex_line *ln)
{
    char *list = ln->field[3];
    if (strcmp(list, "-") == 0)
        return AS_OK;
    size_t cap = 0;
    for (char *save = NULL, *tok = strtok_r(list, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        if (!ticker_valid(tok))
            return field_fail(ln, "tickers", "expected upper-case ticker symbols or '-'");
        if (grow((void **)&e->tickers, &cap, e->n_tickers, sizeof *e->tickers))
            return AS_ERR_NOMEM;
        if (!(e->tickers[e->n_tickers] = strdup(tok)))
            return as_fail(AS_ERR_NOMEM, "lexicon: out of memory");
        e->n_tickers++;
    }
    return AS_OK;
}

static as_err entity_aliases_parse(lex_entity *e, const lex_line *ln)
{
    size_t cap = 0;
    for (char *save = NULL, *tok = strtok_r(ln->field[4], ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        char *a = trim(tok);
        if (*a == '\0')
            continue;
        if (grow((void **)&e->aliases, &cap, e->n_aliases, sizeof *e->aliases))
            return AS_ERR_NOMEM;
        as_err err = pattern_parse(&e->aliases[e->n_aliases], ln, "aliases", a);
        if (err)
            return err;
        e->n_aliases++;
    }
    if (e->n_aliases == 0)
        return field_fail(ln, "aliases", "at least one alias is required");
    return AS_OK;
}

static as_err entity_line(lexicon *lex, lex_line *ln, char *buf, void *arg)
{
    size_t *cap = arg;
    int r = line_split(ln, buf, 5, "name | kind | weight | tickers | aliases");
    if (r <= 0)
        return r < 0 ? AS_ERR_PARSE : AS_OK;
    if (grow((void **)&lex->entities, cap, lex->n_entities, sizeof *lex->entities))
        return AS_ERR_NOMEM;
    lex_entity *e = &lex->entities[lex->n_entities];
    memset(e, 0, sizeof *e);
    lex->n_entities++; /* counted now so that lexicon_free() sees partial work */
    if (ln->field[0][0] == '\0')
        return field_fail(ln, "name", "empty name");
    if (!(e->name = strdup(ln->field[0])))
        return as_fail(AS_ERR_NOMEM, "lexicon: out of memory");
    as_err err = entity_kind_parse(&e->kind, ln);
    if (!err)
        err = weight_parse(&e->weight, ln, 2);
    if (!err)
        err = entity_tickers_parse(e, ln);
    if (!err && e->kind == LEX_LAB && e->n_tickers)
        err = field_fail(ln, "tickers", "a lab has no ticker ('-')");
    if (!err && e->kind == LEX_COMPANY && e->n_tickers != 1)
        err = field_fail(ln, "tickers", "a company has exactly one ticker");
    if (!err && e->kind == LEX_GROUP && e->n_tickers < 1)
        err = field_fail(ln, "tickers", "a group needs at least one ticker");
    if (!err)
        err = entity_aliases_parse(e, ln);
    return err;
}

static as_err exposure_line(lexicon *lex, lex_line *ln, char *buf, void *arg)
{
    size_t *cap = arg;
    int r = line_split(ln, buf, 3, "ticker | direction | reason");
    if (r <= 0)
        return r < 0 ? AS_ERR_PARSE : AS_OK;
    const char *t = ln->field[0], *d = ln->field[1];
    if (!ticker_valid(t))
        return field_fail(ln, "ticker", "expected an upper-case ticker symbol");
    for (size_t i = 0; i < lex->n_exposure; i++)
        if (strcmp(lex->exposure[i].ticker, t) == 0)
            return field_fail(ln, "ticker", "ticker listed twice");
    int dir;
    if (strcmp(d, "negative") == 0)
        dir = -1;
    else if (strcmp(d, "positive") == 0)
        dir = 1;
    else if (strcmp(d, "neutral") == 0)
        dir = 0;
    else
        return field_fail(ln, "direction", "expected negative, positive or neutral");
    if (ln->field[2][0] == '\0')
        return field_fail(ln, "reason", "say why (the reason is part of the documentation)");
    if (grow((void **)&lex->exposure, cap, lex->n_exposure, sizeof *lex->exposure))
        return AS_ERR_NOMEM;
    lex_exposure *x = &lex->exposure[lex->n_exposure];
    x->ticker = strdup(t);
    x->reason = strdup(ln->field[2]);
    x->direction = dir;
    lex->n_exposure++; /* counted now so that lexicon_free() sees partial work */
    if (!x->ticker || !x->reason)
        return as_fail(AS_ERR_NOMEM, "lexicon: out of memory");
    return AS_OK;
}

static int name_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every dir/phrases.<lang>.lex, in name order so that results do not
 * depend on readdir()'s order. */
static as_err phrases_load(lexicon *lex, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return as_fail(AS_ERR_IO, "lexicon '%s': cannot open directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    as_err err = AS_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, "phrases.", 8) || len < 13 || strcmp(de->d_name + len - 4, ".lex"))
            continue;
        if ((err = grow((void **)&names, &cap, n, sizeof *names)))
            goto done;
        if (!(names[n] = strdup(de->d_name))) {
            err = as_fail(AS_ERR_NOMEM, "lexicon: out of memory");
            goto done;
        }
        n++;
    }
    if (n == 0) {
        err = as_fail(AS_ERR_NOT_FOUND, "lexicon '%s': no phrases.<lang>.lex file", dir);
        goto done;
    }
    qsort(names, n, sizeof *names, name_compare);
    struct phrase_arg pa = {0};
    for (size_t i = 0; i < n && !err; i++) {
        char lang[8];
        size_t ll = strlen(names[i]) - 12; /* between "phrases." and ".lex" */
        if (ll >= sizeof lang) {
            err = as_fail(AS_ERR_PARSE, "lexicon '%s/%s': language code longer than 7 bytes", dir,
                          names[i]);
            break;
        }
        memcpy(lang, names[i] + 8, ll);
        lang[ll] = '\0';
        pa.lang = lang;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        err = file_each_line(lex, path, phrase_line, &pa);
    }
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return err;
}

as_err lexicon_load(lexicon **out, const char *dir)
{
    *out = NULL;
    lexicon *lex = calloc(1, sizeof *lex);
    if (!lex)
        return as_fail(AS_ERR_NOMEM, "lexicon: out of memory");
    char path[4096];
    size_t ecap = 0, xcap = 0;
    as_err err = phrases_load(lex, dir);
    if (!err) {
        snprintf(path, sizeof path, "%s/entities.lex", dir);
        err = file_each_line(lex, path, entity_line, &ecap);
    }
    if (!err) {
        snprintf(path, sizeof path, "%s/exposure.lex", dir);
        err = file_each_line(lex, path, exposure_line, &xcap);
    }
    if (err) {
        lexicon_free(lex);
        return err;
    }
    *out = lex;
    return AS_OK;
}

void lexicon_free(lexicon *lex)
{
    if (!lex)
        return;
    for (size_t i = 0; i < lex->n_phrases; i++)
        free(lex->phrases[i].pat.text);
    free(lex->phrases);
    for (size_t i = 0; i < lex->n_entities; i++) {
        lex_entity *e = &lex->entities[i];
        free(e->name);
        for (size_t j = 0; j < e->n_tickers; j++)
            free(e->tickers[j]);
        free(e->tickers);
        for (size_t j = 0; j < e->n_aliases; j++)
            free(e->aliases[j].text);
        free(e->aliases);
    }
    free(lex->entities);
    for (size_t i = 0; i < lex->n_exposure; i++) {
        free(lex->exposure[i].ticker);
        free(lex->exposure[i].reason);
    }
    free(lex->exposure);
    free(lex);
}

int lexicon_exposure(const lexicon *lex, const char *ticker)
{
    for (size_t i = 0; i < lex->n_exposure; i++)
        if (strcmp(lex->exposure[i].ticker, ticker) == 0)
            return lex->exposure[i].direction;
    return 0;
}
