/*
 * url.h -- the three things ingest does to URLs: canonicalise news links so
 * duplicates collapse, expand source URL templates, and mask API keys before
 * a URL reaches a human.
 *
 * Canonical form (url_canonical), chosen so that links that reach the same
 * article compare equal and links that might not do not:
 *   - scheme and host lower-cased; default port (:80 for http, :443 for
 *     https) dropped; user-info dropped;
 *   - fragment (#...) dropped;
 *   - tracking parameters dropped: utm_*, fbclid, gclid, dclid, msclkid,
 *     mc_cid, mc_eid, igshid, yclid, _ga, ref_src, cmpid; the remaining
 *     parameters keep their order (order can matter to a server);
 *   - an empty path becomes "/"; a trailing slash on a longer path is
 *     removed ("/a/b/" == "/a/b"), because news sites serve both and
 *     almost none serve different pages for them;
 *   - percent-escapes and path case are left alone (paths are
 *     case-sensitive).
 * Not a URL parser for anything else; it rejects text without "scheme://".
 */
#ifndef AS_URL_H
#define AS_URL_H

#include "common/error.h"

/* *out = canonical form of url (heap; caller frees).  AS_ERR_PARSE when url
 * has no scheme://host. */
as_err url_canonical(char **out, const char *url);

struct url_vars {
    const char *ticker, *symbol, *from, *to, *from_unix, *to_unix, *apikey;
};

/* Replace {ticker} {symbol} {from} {to} {from_unix} {to_unix} {apikey} in tmpl
 * (values are percent-encoded; NULL values expand to "").  *out is heap;
 * caller frees.  AS_ERR_USAGE for an unknown {placeholder}. */
as_err url_expand(char **out, const char *tmpl, const struct url_vars *v);

/* Copy of url with the value of every apikey/api_key/apiKey/token/key
 * query parameter, and any user:password, replaced by "***"; also any
 * occurrence of `secret` itself (when not NULL or empty).  Heap. */
char *url_mask(const char *url, const char *secret);

#endif
