/*
 * news_set.c -- the set of news items the feed and JSON parsers fill, with
 * de-duplication by canonical URL, and the ticker-mention scan.
 *
 * Owns every string of every item (news_set_free releases them).  Not a
 * relevance filter: deciding which article is an AI-efficiency
 * announcement is analytics' job (events detection); here we only keep what
 * the feed says plus the tickers the text names explicitly.
 *
 * Duplicate URLs are found with a linear scan per add: feeds hold tens to
 * hundreds of items, where a hash table would only add code.
 */
#include "ingest/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void item_free(struct news_item *it)
{
    free(it->url);
    free(it->title);
    free(it->summary);
    free(it->body);
    free(it->language);
    free(it->source);
    for (size_t i = 0; i < it->ntickers; i++)
        free(it->tickers[i]);
    free(it->tickers);
    memset(it, 0, sizeof *it);
}

void news_set_free(struct news_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        item_free(&s->items[i]);
    free(s->items);
    free(s->warning);
    memset(s, 0, sizeof *s);
}

as_err news_set_add(struct news_set *s, struct news_item *it)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->items[i].url, it->url) == 0) {
            s->skipped++;
            if (!s->warning) {
                char buf[600];
                snprintf(buf, sizeof buf, "duplicate URL %.500s: kept the first item", it->url);
                s->warning = strdup(buf);
            }
            item_free(it);
            return AS_OK;
        }
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 32;
        struct news_item *p = realloc(s->items, nc * sizeof *p);
        if (!p) {
            item_free(it);
            return as_fail(AS_ERR_NOMEM, "out of memory growing a news set");
        }
        s->items = p;
        s->cap = nc;
    }
    s->items[s->n++] = *it;
    memset(it, 0, sizeof *it);
    return AS_OK;
}

static as_err ticker_add(struct news_item *it, const char *sym, size_t n)
{
    for (size_t i = 0; i < it->ntickers; i++)
        if (strlen(it->tickers[i]) == n && strncmp(it->tickers[i], sym, n) == 0)
            return AS_OK;
    char **p = realloc(it->tickers, (it->ntickers + 1) * sizeof *p);
    if (!p)
        return as_fail(AS_ERR_NOMEM, "out of memory adding a ticker");
    it->tickers = p;
    if (!(p[it->ntickers] = strndup(sym, n)))
        return as_fail(AS_ERR_NOMEM, "out of memory adding a ticker");
    it->ntickers++;
    return AS_OK;
}

/* Length of an upper-case symbol (A-Z, then A-Z . -) at s, 1..6, else 0. */
static size_t symbol_len(const char *s)
{
    size_t n = 0;
    while (n < 7 && (isupper((unsigned char)s[n]) || (n > 0 && (s[n] == '.' || s[n] == '-') &&
                                                      isupper((unsigned char)s[n + 1]))))
        n++;
    if (n == 0 || n > 6 || isalnum((unsigned char)s[n]))
        return 0;
    return n;
}

as_err news_find_tickers(struct news_item *it, const char *text)
{
    static const char *exchanges[] = {"NASDAQ:", "NYSE:", "NYSEARCA:", "AMEX:", "Nasdaq:"};
    if (!text)
        return AS_OK;
    for (const char *p = text; *p; p++) {
        const char *sym = NULL;
        /* $NVDA, but not $5.6M or US$ amounts. */
        if (*p == '$' && (p == text || !isalnum((unsigned char)p[-1])))
            sym = p + 1;
        for (size_t i = 0; !sym && i < sizeof exchanges / sizeof exchanges[0]; i++) {
            size_t n = strlen(exchanges[i]);
            if (strncmp(p, exchanges[i], n) == 0 && (p == text || !isalnum((unsigned char)p[-1]))) {
                sym = p + n;
                while (*sym == ' ')
                    sym++;
            }
        }
        if (!sym)
            continue;
        size_t n = symbol_len(sym);
        if (n) {
            as_err e = ticker_add(it, sym, n);
            if (e)
                return e;
        }
    }
    return AS_OK;
}
