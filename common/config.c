/*
 * config.c -- the table of settings, the aftershock.conf reader and the
 * environment overrides (see config.h for the rules).
 *
 * Owns: the list of every setting aftershock understands, with defaults and
 * descriptions (printed by `aftershock config`), and secret masking.  Not
 * here: interpreting values (the stages parse windows, lists and URLs).
 */
#include "common/config.h"
#include "common/pgcluster.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct setting {
    const char *key;
    const char *def;
    int secret;
    const char *env_alias; /* a provider's customary variable, or NULL */
    const char *help;
    char *value;           /* heap, when set by file/env/config_set */
    char origin[320];
};

static struct setting settings[] = {
    {"ingest.tickers", "NVDA AVGO TSM ASML AMD MU MSFT GOOGL META AMZN ORCL VST CEG SMCI ARM SPY QQQ SOXX SMH XLK XLU", 0, NULL,
     "tickers the nightly run ingests and studies (market proxies included)", NULL, ""},
    {"ingest.price_source", "yahoo", 0, NULL, "yahoo, stooq, alphavantage, polygon or csv", NULL, ""},
    {"ingest.price_url", "", 0, NULL, "URL template overriding the source's endpoint ({ticker} {symbol} {from} {to} {apikey})", NULL, ""},
    {"ingest.news_feeds", "", 0, NULL, "news sources as `source URL` pairs separated by spaces (rss, atom, gdelt, newsapi, json); a comma ending a URL also separates, one inside it is kept", NULL, ""},
    {"ingest.lookback_days", "400", 0, NULL, "calendar days of prices the nightly run fetches (covers the estimation window)", NULL, ""},
    {"ingest.concurrency", "4", 0, NULL, "parallel HTTP transfers", NULL, ""},
    {"ingest.timeout", "30", 0, NULL, "seconds before one HTTP transfer is abandoned", NULL, ""},
    {"ingest.retries", "4", 0, NULL, "retries on 429/5xx/transport errors, with exponential backoff", NULL, ""},
    {"ingest.host_interval_ms", "250", 0, NULL, "milliseconds between the starts of two requests to one host", NULL, ""},
    {"ingest.retry_after_max", "120", 0, NULL, "longest Retry-After (seconds) a server may ask for; a longer one fails that source", NULL, ""},
    {"ingest.alphavantage_key", "", 1, "ALPHAVANTAGE_API_KEY", "Alpha Vantage API key", NULL, ""},
    {"ingest.polygon_key", "", 1, "POLYGON_API_KEY", "Polygon API key", NULL, ""},
    {"ingest.newsapi_key", "", 1, "NEWSAPI_KEY", "NewsAPI key", NULL, ""},
    {"securities.file", "", 0, NULL, "CSV ticker,name,exchange,sector,industry,currency,kind loaded into securities", NULL, ""},
    {"securities.shares_file", "", 0, NULL, "CSV ticker,as_of,shares,source loaded into shares_outstanding by the nightly run", NULL, ""},
    {"study.market", "SPY", 0, NULL, "market proxy ticker for the market model", NULL, ""},
    {"study.model", "market", 0, NULL, "market, market-adjusted, mean-adjusted or factor", NULL, ""},
    {"study.estimation", "-250:-11", 0, NULL, "estimation window in trading days relative to the event", NULL, ""},
    {"study.windows", "0:0 -1:1 -5:5 0:10", 0, NULL, "event windows (CAR) in trading days", NULL, ""},
    {"study.returns", "simple", 0, NULL, "simple or log returns from adjusted closes", NULL, ""},
    {"study.beta", "ols", 0, NULL, "market-model slope: ols, scholes-williams or dimson[:K] (thinly traded stocks)", NULL, ""},
    {"report.dir", "", 0, NULL, "where workbooks are written (default $AFTERSHOCK_HOME/reports)", NULL, ""},
    {"report.outbox", "", 0, NULL, "outbox folder used when no SMTP server is configured (default $AFTERSHOCK_HOME/outbox)", NULL, ""},
    {"smtp.url", "", 0, NULL, "smtp:// or smtps:// server URL; empty = deliver to the outbox", NULL, ""},
    {"smtp.user", "", 0, NULL, "SMTP login", NULL, ""},
    {"smtp.password", "", 1, NULL, "SMTP password", NULL, ""},
    {"smtp.from", "aftershock@localhost", 0, NULL, "sender address", NULL, ""},
    {"smtp.to", "", 0, NULL, "recipients, comma separated", NULL, ""},
    {"smtp.starttls", "try", 0, NULL, "try, require or off (smtp:// only)", NULL, ""},
    {"smtp.retries", "3", 0, NULL, "delivery attempts before the run fails", NULL, ""},
    {"sql.user", "aftershock_analyst", 0, NULL, "login `aftershock sql` queries as, in place of the database connection's user (a member of analyst with no other rights; password from PGPASSWORD or ~/.pgpass)", NULL, ""},
    {"sql.url", "", 0, NULL, "conninfo or postgresql:// URI `aftershock sql` connects to instead (sql.user unused; no migrations)", NULL, ""},
    {"model.file", "", 0, NULL, "GGUF summary model (default: the built-in model)", NULL, ""},
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

static int loaded;
static char loaded_path[1200];

static struct setting *setting_find(const char *key)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

static as_err setting_store(struct setting *s, const char *value, const char *origin)
{
    char *v = strdup(value);
    if (!v)
        return as_fail(AS_ERR_NOMEM, "out of memory");
    free(s->value);
    s->value = v;
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    return AS_OK;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static as_err file_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot open config '%s': %s", path, strerror(errno));
    char line[4096], section[128] = "";
    int lineno = 0;
    as_err e = AS_OK;
    while (!e && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1]) {
                e = as_fail(AS_ERR_PARSE, "'%s': line %d: malformed section header", path, lineno);
                break;
            }
            *end = '\0';
            snprintf(section, sizeof section, "%s", trim(s + 1));
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            e = as_fail(AS_ERR_PARSE, "'%s': line %d: expected `key = value`", path, lineno);
            break;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v[vl - 1] = '\0';
            v++;
        }
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", section, section[0] ? "." : "", k);
        struct setting *st = setting_find(key);
        if (!st) {
            e = as_fail(AS_ERR_PARSE, "'%s': line %d: unknown setting '%s' (see `aftershock config`)",
                        path, lineno, key);
            break;
        }
        char origin[300];
        snprintf(origin, sizeof origin, "%.280s:%d", path, lineno);
        e = setting_store(st, v, origin);
    }
    fclose(f);
    return e;
}

static void env_name(char *out, size_t len, const char *key)
{
    size_t j = (size_t)snprintf(out, len, "AFTERSHOCK_");
    for (const char *p = key; *p && j + 1 < len; p++)
        out[j++] = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
    out[j] = '\0';
}

as_err config_load(const char *path)
{
    if (loaded)
        return AS_OK;
    loaded = 1;
    char def[1100];
    const char *file = path;
    /* A file named by --config or AFTERSHOCK_CONFIG must exist; the default
     * locations are only read when present. */
    if (!file && getenv("AFTERSHOCK_CONFIG") && getenv("AFTERSHOCK_CONFIG")[0])
        file = getenv("AFTERSHOCK_CONFIG");
    if (!file) {
        snprintf(def, sizeof def, "%s/aftershock.conf", pgcluster_home());
        if (access(def, R_OK) == 0)
            file = def;
        else if (access("/etc/aftershock.conf", R_OK) == 0)
            file = "/etc/aftershock.conf";
    }
    if (file) {
        as_err e = file_read(file);
        if (e)
            return e;
        snprintf(loaded_path, sizeof loaded_path, "%s", file);
    }
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char name[128];
        env_name(name, sizeof name, settings[i].key);
        const char *v = getenv(name);
        const char *origin = name;
        if ((!v || !v[0]) && settings[i].env_alias) {
            v = getenv(settings[i].env_alias);
            origin = settings[i].env_alias;
        }
        if (v && v[0]) {
            as_err e = setting_store(&settings[i], v, origin);
            if (e)
                return e;
        }
    }
    return AS_OK;
}

const char *config_get(const char *key)
{
    struct setting *s = setting_find(key);
    if (!s)
        return NULL;
    return s->value ? s->value : s->def;
}

const char *config_origin(const char *key)
{
    struct setting *s = setting_find(key);
    if (!s)
        return NULL;
    return s->value ? s->origin : "default";
}

const char *config_path(void) { return loaded_path[0] ? loaded_path : NULL; }

as_err config_set(const char *key, const char *value)
{
    struct setting *s = setting_find(key);
    if (!s)
        return as_fail(AS_ERR_USAGE, "unknown setting '%s'", key);
    return setting_store(s, value, "command line");
}

char *config_mask_url(const char *url)
{
    size_t n = strlen(url);
    char *out = malloc(n + 8 * 4 + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && (!slash || at < slash) && colon && colon < at) {
        memcpy(out, url, (size_t)(colon + 1 - url));
        j = (size_t)(colon + 1 - url);
        memcpy(out + j, "***", 3);
        j += 3;
        url = at;
    }
    /* Query parameters that carry keys: keep the name, hide the value. */
    static const char *const names[] = {"apikey=", "apiKey=", "api_key=", "token=", "password="};
    while (*url) {
        int masked = 0;
        if (url[0] == '?' || url[0] == '&') {
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
                size_t ln = strlen(names[k]);
                if (strncmp(url + 1, names[k], ln) == 0) {
                    out[j++] = url[0];
                    memcpy(out + j, names[k], ln);
                    j += ln;
                    memcpy(out + j, "***", 3);
                    j += 3;
                    url += 1 + ln;
                    while (*url && *url != '&' && *url != '#')
                        url++;
                    masked = 1;
                    break;
                }
            }
        }
        if (!masked)
            out[j++] = *url++;
    }
    out[j] = '\0';
    return out;
}

void config_print(FILE *out)
{
    fprintf(out, "# effective settings (config file: %s)\n", config_path() ? config_path() : "none");
    char section[64] = "";
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        const char *dot = strchr(s->key, '.');
        int sl = (int)(dot - s->key);
        if ((int)strlen(section) != sl || strncmp(section, s->key, (size_t)sl) != 0) {
            snprintf(section, sizeof section, "%.*s", sl, s->key);
            fprintf(out, "\n[%s]\n", section);
        }
        const char *v = s->value ? s->value : s->def;
        char *shown = NULL;
        if (s->secret && v[0])
            v = "********";
        else if (strstr(v, "://") && (shown = config_mask_url(v)))
            v = shown;
        fprintf(out, "# %s\n%s = %s    # %s\n", s->help, dot + 1, v, s->value ? s->origin : "default");
        free(shown);
    }
}
