/*
 * parse_news_json.c -- the JSON news sources: GDELT DOC 2.0 ArtList, NewsAPI
 * /v2/everything, and aftershock's simple array layout (parse.h).
 *
 * GDELT: {"articles": [{"url", "title", "seendate": "20250127T143000Z",
 * "domain", "language": "English", "sourcecountry"}]}; GDELT names
 * languages in English, mapped here to ISO 639-1 for the ones we meet
 * (others kept lower-cased).  NewsAPI: {"status": "ok"|"error", "code",
 * "message", "articles": [{"source": {"name"}, "title", "description",
 * "content", "url", "publishedAt"}]}.
 *
 * Items missing the URL or the time are skipped and counted (a feed with
 * one broken item is still a feed); a document of the wrong shape fails.
 * Owns nothing past the call.
 */
#include "ingest/jsondoc.h"
#include "ingest/parse.h"
#include "ingest/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static void skip_note(struct news_set *out, const char *src, const char *field, size_t i,
                      const char *why)
{
    out->skipped++;
    if (out->warning)
        return;
    char buf[512];
    snprintf(buf, sizeof buf, "%s: field '%s[%zu]': item skipped: %s", src, field, i, why);
    out->warning = strdup(buf);
}

static void item_clear(struct news_item *it)
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

/* Canonicalise, scan tickers, add; on a skip the item is cleared. */
static as_err item_add(struct news_set *out, struct news_item *it, const char *raw_url,
                       const char *src, const char *arr, size_t i)
{
    if (!raw_url || !*raw_url) {
        skip_note(out, src, arr, i, "no url");
        item_clear(it);
        return AS_OK;
    }
    if (url_canonical(&it->url, raw_url)) {
        skip_note(out, src, arr, i, "url is not an absolute URL");
        item_clear(it);
        return AS_OK;
    }
    as_err e;
    if ((e = news_find_tickers(it, it->title)) || (e = news_find_tickers(it, it->summary))) {
        item_clear(it);
        return e;
    }
    return news_set_add(out, it);
}

static char *gdelt_language(const char *name)
{
    static const struct {
        const char *name, *code;
    } map[] = {{"english", "en"}, {"chinese", "zh"}, {"polish", "pl"}, {"german", "de"},
               {"french", "fr"}, {"spanish", "es"}, {"japanese", "ja"}, {"korean", "ko"},
               {"russian", "ru"}, {"italian", "it"}, {"portuguese", "pt"}, {"dutch", "nl"}};
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(name, map[i].name) == 0)
            return strdup(map[i].code);
    char *o = strdup(name);
    for (char *p = o; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return o;
}

/* "20250127T143000Z" -> unix seconds; -1 when malformed. */
static int gdelt_time(const char *s, long long *out)
{
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    char iso[32];
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s, s + 4, s + 6, s + 9, s + 11,
             s + 13);
    return time_parse_rfc3339(iso, out);
}

as_err parse_gdelt(struct news_set *out, const char *buf, size_t len, const char *src)
{
    json_t *doc;
    as_err e = jsondoc_load(&doc, buf, len, src);
    if (e)
        return e;
    const json_t *arts = json_object_get(doc, "articles");
    if (!json_is_object(doc)) {
        e = as_fail(AS_ERR_PARSE, "%s: offset 0: expected a JSON object with 'articles'", src);
        goto done;
    }
    /* GDELT answers an empty object when nothing matched. */
    if (arts && !json_is_array(arts)) {
        e = as_fail(AS_ERR_PARSE, "%s: field 'articles': expected an array", src);
        goto done;
    }
    size_t i;
    const json_t *a;
    json_array_foreach(arts, i, a) {
        struct news_item it = {0};
        if (gdelt_time(jsondoc_str(a, "seendate"), &it.published)) {
            skip_note(out, src, "articles", i, "seendate is not YYYYMMDDTHHMMSSZ");
            continue;
        }
        it.title = dup_or_null(jsondoc_str(a, "title"));
        it.language = gdelt_language(jsondoc_str(a, "language"));
        it.source = dup_or_null(jsondoc_str(a, "domain"));
        if ((e = item_add(out, &it, jsondoc_str(a, "url"), src, "articles", i)))
            goto done;
    }
done:
    json_decref(doc);
    return e;
}

static as_err newsapi_articles(struct news_set *out, const json_t *doc, const char *src)
{
    const char *status = jsondoc_str(doc, "status");
    if (status && strcmp(status, "ok") != 0) {
        const char *code = jsondoc_str(doc, "code"), *msg = jsondoc_str(doc, "message");
        return as_fail(AS_ERR_SOURCE, "%s: NewsAPI answered status '%s' (%s): %s", src, status,
                       code ? code : "no code", msg ? msg : "no message");
    }
    const json_t *arts = json_object_get(doc, "articles");
    if (!json_is_array(arts))
        return as_fail(AS_ERR_PARSE, "%s: field 'articles': expected an array", src);
    size_t i;
    const json_t *a;
    json_array_foreach(arts, i, a) {
        struct news_item it = {0};
        const char *when = jsondoc_str(a, "publishedAt");
        if (!when || time_parse_rfc3339(when, &it.published)) {
            skip_note(out, src, "articles", i, "publishedAt is not an RFC 3339 time");
            continue;
        }
        it.title = dup_or_null(jsondoc_str(a, "title"));
        it.summary = dup_or_null(jsondoc_str(a, "description"));
        it.body = dup_or_null(jsondoc_str(a, "content"));
        it.source = dup_or_null(jsondoc_str(json_object_get(a, "source"), "name"));
        it.language = dup_or_null(jsondoc_str(a, "language"));
        as_err e = item_add(out, &it, jsondoc_str(a, "url"), src, "articles", i);
        if (e)
            return e;
    }
    return AS_OK;
}

as_err parse_newsapi(struct news_set *out, const char *buf, size_t len, const char *src)
{
    json_t *doc;
    as_err e = jsondoc_load(&doc, buf, len, src);
    if (e)
        return e;
    e = newsapi_articles(out, doc, src);
    json_decref(doc);
    return e;
}

static as_err simple_item(struct news_set *out, const json_t *a, size_t i, const char *src)
{
    struct news_item it = {0};
    const char *when = jsondoc_str(a, "published_at");
    int y, m, d;
    if (!json_is_object(a))
        return as_fail(AS_ERR_PARSE, "%s: field '[%zu]': expected an object", src, i);
    if (when && strlen(when) == 10 && date_parse_ymd(when, 10, &y, &m, &d))
        it.published = days_from_civil(y, m, d) * 86400;
    else if (!when || time_parse_rfc3339(when, &it.published))
        return as_fail(AS_ERR_PARSE, "%s: field '[%zu].published_at': expected an RFC 3339 "
                       "time or YYYY-MM-DD", src, i);
    if (!jsondoc_str(a, "url") || !jsondoc_str(a, "title"))
        return as_fail(AS_ERR_PARSE, "%s: field '[%zu].%s': required string missing", src, i,
                       jsondoc_str(a, "url") ? "title" : "url");
    it.title = dup_or_null(jsondoc_str(a, "title"));
    it.summary = dup_or_null(jsondoc_str(a, "summary"));
    it.body = dup_or_null(jsondoc_str(a, "body"));
    it.source = dup_or_null(jsondoc_str(a, "source"));
    it.language = dup_or_null(jsondoc_str(a, "language"));
    const json_t *tk = json_object_get(a, "tickers"), *t;
    size_t k;
    if (tk && !json_is_array(tk)) {
        item_clear(&it);
        return as_fail(AS_ERR_PARSE, "%s: field '[%zu].tickers': expected an array of strings",
                       src, i);
    }
    json_array_foreach(tk, k, t) {
        char **p = json_is_string(t) ? realloc(it.tickers, (it.ntickers + 1) * sizeof *p) : NULL;
        if (!p) {
            item_clear(&it);
            return json_is_string(t)
                       ? as_fail(AS_ERR_NOMEM, "out of memory")
                       : as_fail(AS_ERR_PARSE, "%s: field '[%zu].tickers[%zu]': expected a "
                                 "string", src, i, k);
        }
        it.tickers = p;
        if (!(p[it.ntickers] = strdup(json_string_value(t)))) {
            item_clear(&it);
            return as_fail(AS_ERR_NOMEM, "out of memory");
        }
        it.ntickers++;
    }
    char *canon;
    if (url_canonical(&canon, jsondoc_str(a, "url"))) {
        item_clear(&it);
        return as_fail(AS_ERR_PARSE, "%s: field '[%zu].url': not an absolute URL", src, i);
    }
    free(canon);
    return item_add(out, &it, jsondoc_str(a, "url"), src, "", i);
}

as_err parse_news_json(struct news_set *out, const char *buf, size_t len, const char *src)
{
    json_t *doc;
    as_err e = jsondoc_load(&doc, buf, len, src);
    if (e)
        return e;
    if (json_is_object(doc)) {
        e = newsapi_articles(out, doc, src);
    } else if (json_is_array(doc)) {
        size_t i;
        const json_t *a;
        json_array_foreach(doc, i, a) {
            if ((e = simple_item(out, a, i, src)))
                break;
        }
    } else {
        e = as_fail(AS_ERR_PARSE, "%s: offset 0: expected a JSON array of news items or a "
                    "NewsAPI object", src);
    }
    json_decref(doc);
    return e;
}
