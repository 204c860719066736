/*
 * parse_feed.c -- RSS 2.0 and Atom 1.0 news feeds to news items, via libxml2.
 *
 * RSS: rss/channel/item with title, link (or a permalink guid),
 * description, content:encoded, pubDate (RFC 822) or dc:date (RFC 3339),
 * source, dc:language; the channel's language and title are the defaults.
 * Atom: feed/entry with title, link[@rel=alternate or none]/@href, summary,
 * content, published or updated (RFC 3339), xml:lang inherited from feed.
 *
 * The XML is parsed with no network access and without substituting
 * entities (XML_PARSE_NONET, no XML_PARSE_NOENT), so a hostile feed cannot
 * make us fetch or expand anything.  Owns nothing past the call.  An item
 * without a link or a date is skipped and counted, not fatal: one bad item
 * should not cost the feed.  HTML in descriptions is kept as sent.
 */
#include "ingest/parse.h"
#include "ingest/url.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (name_is(c, name))
            return c;
    return NULL;
}

/* Trimmed text of a node, heap, or NULL when empty. */
static char *text_of(const xmlNode *n)
{
    if (!n)
        return NULL;
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return NULL;
    const char *s = (const char *)t;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = len ? strndup(s, len) : NULL;
    xmlFree(t);
    return out;
}

static char *lower_dup(const char *s)
{
    if (!s || !*s)
        return NULL;
    char *o = strdup(s);
    for (char *p = o; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return o;
}

static void skip_note(struct news_set *out, const char *src, long line, const char *why)
{
    out->skipped++;
    if (out->warning)
        return;
    char buf[512];
    snprintf(buf, sizeof buf, "%s: line %ld: item skipped: %s", src, line, why);
    out->warning = strdup(buf);
}

/* Finish one item: canonical URL, ticker scan, add.  Takes ownership of
 * raw_url and of it's strings. */
static as_err item_finish(struct news_set *out, struct news_item *it, char *raw_url,
                          int have_time, const char *src, long line)
{
    as_err e = AS_OK;
    if (!raw_url) {
        skip_note(out, src, line, "no link");
        goto drop;
    }
    if (!have_time) {
        skip_note(out, src, line, "no valid publication date");
        goto drop;
    }
    if (url_canonical(&it->url, raw_url)) {
        skip_note(out, src, line, "link is not an absolute URL");
        goto drop;
    }
    if ((e = news_find_tickers(it, it->title)) || (e = news_find_tickers(it, it->summary)))
        goto drop;
    free(raw_url);
    return news_set_add(out, it);
drop:
    free(raw_url);
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
    return e;
}

static as_err rss_read(struct news_set *out, const xmlNode *channel, const char *src)
{
    char *feed_lang = text_of(child(channel, "language"));
    char *feed_title = text_of(child(channel, "title"));
    as_err e = AS_OK;
    for (const xmlNode *n = channel->children; n && !e; n = n->next) {
        if (!name_is(n, "item"))
            continue;
        struct news_item it = {0};
        char *link = text_of(child(n, "link"));
        if (!link) {
            const xmlNode *guid = child(n, "guid");
            xmlChar *perma = guid ? xmlGetProp(guid, (const xmlChar *)"isPermaLink") : NULL;
            char *g = text_of(guid);
            if (g && (!perma || strcmp((const char *)perma, "false") != 0) && strstr(g, "://"))
                link = g;
            else
                free(g);
            xmlFree(perma);
        }
        it.title = text_of(child(n, "title"));
        it.summary = text_of(child(n, "description"));
        it.body = text_of(child(n, "encoded")); /* content:encoded */
        char *lang = text_of(child(n, "language")); /* dc:language */
        it.language = lower_dup(lang ? lang : feed_lang);
        free(lang);
        it.source = text_of(child(n, "source"));
        if (!it.source && feed_title)
            it.source = strdup(feed_title);
        int have_time = 0;
        char *date = text_of(child(n, "pubDate"));
        if (date)
            have_time = time_parse_rfc822(date, &it.published) == 0;
        else if ((date = text_of(child(n, "date")))) /* dc:date */
            have_time = time_parse_rfc3339(date, &it.published) == 0;
        free(date);
        e = item_finish(out, &it, link, have_time, src, (long)xmlGetLineNo(n));
    }
    free(feed_lang);
    free(feed_title);
    return e;
}

static char *lang_of(const xmlNode *n)
{
    for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
        xmlChar *l = xmlNodeGetLang(n);
        if (l) {
            char *o = lower_dup((const char *)l);
            xmlFree(l);
            return o;
        }
    }
    return NULL;
}

static as_err atom_read(struct news_set *out, const xmlNode *feed, const char *src)
{
    char *feed_title = text_of(child(feed, "title"));
    as_err e = AS_OK;
    for (const xmlNode *n = feed->children; n && !e; n = n->next) {
        if (!name_is(n, "entry"))
            continue;
        struct news_item it = {0};
        char *link = NULL;
        for (const xmlNode *c = n->children; c && !link; c = c->next) {
            if (!name_is(c, "link"))
                continue;
            xmlChar *rel = xmlGetProp(c, (const xmlChar *)"rel");
            xmlChar *href = xmlGetProp(c, (const xmlChar *)"href");
            if (href && (!rel || strcmp((const char *)rel, "alternate") == 0))
                link = strdup((const char *)href);
            xmlFree(rel);
            xmlFree(href);
        }
        it.title = text_of(child(n, "title"));
        it.summary = text_of(child(n, "summary"));
        it.body = text_of(child(n, "content"));
        it.language = lang_of(n);
        const xmlNode *srcnode = child(n, "source");
        it.source = text_of(child(srcnode, "title"));
        if (!it.source && feed_title)
            it.source = strdup(feed_title);
        char *date = text_of(child(n, "published"));
        if (!date)
            date = text_of(child(n, "updated"));
        int have_time = date && time_parse_rfc3339(date, &it.published) == 0;
        free(date);
        e = item_finish(out, &it, link, have_time, src, (long)xmlGetLineNo(n));
    }
    free(feed_title);
    return e;
}

as_err parse_feed(struct news_set *out, const char *buf, size_t len, const char *src)
{
    if (len > (size_t)0x7fffffff)
        return as_fail(AS_ERR_SOURCE, "%s: feed larger than 2 GiB", src);
    as_err e = parse_reject_html(buf, len, src, "an RSS or Atom feed");
    if (e)
        return e;
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx)
        return as_fail(AS_ERR_NOMEM, "%s: cannot create an XML parser", src);
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, buf, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *x = xmlCtxtGetLastError(ctx);
        char msg[200] = "not well-formed XML";
        if (x && x->message) {
            snprintf(msg, sizeof msg, "%s", x->message);
            size_t n = strlen(msg);
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
        }
        e = as_fail(len ? AS_ERR_PARSE : AS_ERR_SOURCE, "%s: line %d: invalid XML: %s", src,
                    x ? x->line : 0, len ? msg : "empty response");
        goto done;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (root && name_is(root, "rss")) {
        const xmlNode *channel = child(root, "channel");
        if (!channel)
            e = as_fail(AS_ERR_PARSE, "%s: line %ld: field 'channel': missing in <rss>", src,
                        (long)xmlGetLineNo(root));
        else
            e = rss_read(out, channel, src);
    } else if (root && name_is(root, "feed")) {
        e = atom_read(out, root, src);
    } else {
        e = as_fail(AS_ERR_SOURCE, "%s: line %ld: root element <%s> is neither <rss> nor <feed>",
                    src, root ? (long)xmlGetLineNo(root) : 0L,
                    root ? (const char *)root->name : "(none)");
    }
done:
    if (doc)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    return e;
}
