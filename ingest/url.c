/*
 * url.c -- canonical news URLs, source URL templates, and API-key masking
 * (the rules are in url.h).
 *
 * Owns only the strings it returns.  Deliberately small: it splits a URL
 * into scheme, authority, path, query and fragment by the first ':' '/' '?'
 * '#' as RFC 3986 appendix B does, and never decodes percent-escapes, so
 * it cannot turn one URL into a different resource.
 */
#include "ingest/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->len + n + 1) * 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static int tracking_param(const char *k, size_t n)
{
    static const char *names[] = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
                                  "igshid", "yclid", "_ga", "ref_src", "cmpid"};
    if (n >= 4 && strncasecmp(k, "utm_", 4) == 0)
        return 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(k, names[i], n) == 0)
            return 1;
    return 0;
}

as_err url_canonical(char **out, const char *url)
{
    *out = NULL;
    while (isspace((unsigned char)*url))
        url++;
    size_t ulen = strlen(url);
    while (ulen && isspace((unsigned char)url[ulen - 1]))
        ulen--;
    const char *colon = memchr(url, ':', ulen);
    if (!colon || colon == url || colon + 3 > url + ulen || colon[1] != '/' || colon[2] != '/')
        return as_fail(AS_ERR_PARSE, "'%.*s' is not an absolute URL (scheme://host/...)",
                       (int)(ulen > 200 ? 200 : ulen), url);
    for (const char *c = url; c < colon; c++)
        if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
            return as_fail(AS_ERR_PARSE, "'%.*s' has an invalid URL scheme",
                           (int)(ulen > 200 ? 200 : ulen), url);
    const char *end = url + ulen;
    const char *frag = memchr(url, '#', ulen);
    if (frag)
        end = frag;
    const char *auth = colon + 3;
    const char *auth_end = auth;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?')
        auth_end++;
    const char *path = auth_end, *path_end = path;
    while (path_end < end && *path_end != '?')
        path_end++;
    const char *query = path_end < end ? path_end + 1 : NULL;

    struct sbuf b = {0};
    for (const char *c = url; c < colon; c++) {
        char l = (char)tolower((unsigned char)*c);
        sb_add(&b, &l, 1);
    }
    sb_str(&b, "://");
    const char *at = NULL;
    for (const char *c = auth; c < auth_end; c++)
        if (*c == '@')
            at = c;
    const char *host = at ? at + 1 : auth;
    const char *port = NULL;
    /* The port colon is the last ':' not inside an IPv6 [literal]. */
    for (const char *c = host; c < auth_end; c++) {
        if (*c == ']')
            port = NULL;
        else if (*c == ':')
            port = c;
    }
    const char *host_end = port ? port : auth_end;
    if (host_end == host) {
        free(b.p);
        return as_fail(AS_ERR_PARSE, "'%.*s' has no host", (int)(ulen > 200 ? 200 : ulen), url);
    }
    for (const char *c = host; c < host_end; c++) {
        char l = (char)tolower((unsigned char)*c);
        sb_add(&b, &l, 1);
    }
    if (port && port + 1 < auth_end) {
        size_t plen = (size_t)(auth_end - port - 1);
        int is_default = (strncmp(b.p, "http:", 5) == 0 && plen == 2 && !strncmp(port + 1, "80", 2)) ||
                         (strncmp(b.p, "https:", 6) == 0 && plen == 3 && !strncmp(port + 1, "443", 3));
        if (!is_default)
            sb_add(&b, port, (size_t)(auth_end - port));
    }
    size_t plen = (size_t)(path_end - path);
    if (plen == 0)
        sb_str(&b, "/");
    else if (plen > 1 && path[plen - 1] == '/')
        sb_add(&b, path, plen - 1);
    else
        sb_add(&b, path, plen);
    if (query) {
        int first = 1;
        const char *q = query;
        while (q < end) {
            const char *amp = q;
            while (amp < end && *amp != '&')
                amp++;
            const char *eq = q;
            while (eq < amp && *eq != '=')
                eq++;
            if (amp > q && !tracking_param(q, (size_t)(eq - q))) {
                sb_str(&b, first ? "?" : "&");
                sb_add(&b, q, (size_t)(amp - q));
                first = 0;
            }
            q = amp < end ? amp + 1 : end;
        }
    }
    if (b.oom || !b.p) {
        free(b.p);
        return as_fail(AS_ERR_NOMEM, "out of memory canonicalising a URL");
    }
    *out = b.p;
    return AS_OK;
}

static void sb_encoded(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '^') {
            sb_add(b, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_add(b, e, 3);
        }
    }
}

as_err url_expand(char **out, const char *tmpl, const struct url_vars *v)
{
    static const char *names[] = {"ticker", "symbol", "from", "to", "from_unix", "to_unix",
                                  "apikey"};
    const char *vals[] = {v->ticker, v->symbol, v->from, v->to, v->from_unix, v->to_unix,
                          v->apikey};
    struct sbuf b = {0};
    *out = NULL;
    const char *p = tmpl;
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            sb_str(&b, p);
            break;
        }
        sb_add(&b, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        size_t i, n = close ? (size_t)(close - open - 1) : 0;
        for (i = 0; close && i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i]) == n && strncmp(open + 1, names[i], n) == 0)
                break;
        if (!close || i == sizeof names / sizeof names[0]) {
            free(b.p);
            return as_fail(AS_ERR_USAGE, "URL template: unknown placeholder '%.*s' (known: "
                           "{ticker} {symbol} {from} {to} {from_unix} {to_unix} {apikey})",
                           close ? (int)(close - open + 1) : (int)strlen(open), open);
        }
        /* Ticker symbols such as ^GSPC keep '^' readable; the rest of the
         * values are percent-encoded so a key cannot break the query. */
        sb_encoded(&b, vals[i]);
        p = close + 1;
    }
    if (!b.p)
        sb_str(&b, "");
    if (b.oom) {
        free(b.p);
        return as_fail(AS_ERR_NOMEM, "out of memory expanding a URL template");
    }
    *out = b.p;
    return AS_OK;
}

static int secret_param(const char *k, size_t n)
{
    static const char *names[] = {"apikey", "api_key", "apiKey", "token", "key", "access_token",
                                  "password"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(k, names[i], n) == 0)
            return 1;
    return 0;
}

char *url_mask(const char *url, const char *secret)
{
    struct sbuf b = {0};
    const char *p = url;
    /* user:password@ in the authority. */
    const char *scheme = strstr(url, "://");
    if (scheme) {
        const char *auth = scheme + 3, *e = auth;
        while (*e && *e != '/' && *e != '?' && *e != '#')
            e++;
        const char *at = NULL;
        for (const char *c = auth; c < e; c++)
            if (*c == '@')
                at = c;
        if (at) {
            sb_add(&b, url, (size_t)(auth - url));
            sb_str(&b, "***@");
            p = at + 1;
        }
    }
    while (*p) {
        if (*p == '?' || *p == '&') {
            sb_add(&b, p, 1);
            p++;
            const char *eq = p;
            while (*eq && *eq != '=' && *eq != '&' && *eq != '#')
                eq++;
            if (*eq == '=' && secret_param(p, (size_t)(eq - p))) {
                sb_add(&b, p, (size_t)(eq - p + 1));
                sb_str(&b, "***");
                p = eq + 1;
                while (*p && *p != '&' && *p != '#')
                    p++;
            }
            continue;
        }
        if (secret && *secret && strncmp(p, secret, strlen(secret)) == 0) {
            sb_str(&b, "***");
            p += strlen(secret);
            continue;
        }
        sb_add(&b, p, 1);
        p++;
    }
    if (!b.p)
        sb_str(&b, "");
    if (b.oom) {
        free(b.p);
        return strdup("(URL hidden)");
    }
    return b.p;
}
