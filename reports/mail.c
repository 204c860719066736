/*
 * mail.c -- outbox and SMTP delivery (see mail.h for the contract).
 *
 * Owns: the libcurl easy handle, MIME tree and header lists of one attempt,
 * all freed before the next attempt.  Not here: what the summary says (the
 * nightly run and the report build it) or the workbook itself.
 *
 * Why a fresh handle per attempt: a failed SMTP conversation can leave the
 * connection in any state; a new handle reconnects from scratch.
 */
#include "reports/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/pgcluster.h"
#include "reports/outfile.h"

#define XLSX_MIME "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

as_err mail_opts_from_config(struct mail_opts *o)
{
    static char outbox[4096];
    const char *ob = config_get("report.outbox");
    if (ob && ob[0])
        snprintf(outbox, sizeof outbox, "%s", ob);
    else
        snprintf(outbox, sizeof outbox, "%s/outbox", pgcluster_home());
    memset(o, 0, sizeof *o);
    o->smtp_url = config_get("smtp.url");
    o->user = config_get("smtp.user");
    o->password = config_get("smtp.password");
    o->from = config_get("smtp.from");
    o->to = config_get("smtp.to");
    o->starttls = config_get("smtp.starttls");
    o->outbox = outbox;
    o->backoff_ms = 2000;
    o->timeout_s = 120;
    char *end;
    const char *n = config_get("smtp.retries");
    long v = strtol(n, &end, 10);
    if (end == n || *end || v < 1 || v > 100)
        return as_fail(AS_ERR_USAGE, "setting smtp.retries (%s): '%s' is not an integer in [1, 100]",
                       config_origin("smtp.retries"), n);
    o->attempts = (int)v;
    if (strcmp(o->starttls, "try") != 0 && strcmp(o->starttls, "require") != 0 &&
        strcmp(o->starttls, "off") != 0)
        return as_fail(AS_ERR_USAGE, "setting smtp.starttls (%s): '%s' is not try, require or off",
                       config_origin("smtp.starttls"), o->starttls);
    return AS_OK;
}

/* RFC 5322 date, always in UTC so the text does not depend on the host. */
static void date_rfc5322(char *out, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- outbox ------------------------------------------------------------ */

static as_err outbox_deliver(const struct mail_opts *o, const struct mail_msg *m,
                             struct mail_result *r)
{
    as_err e = outfile_mkdirs(o->outbox);
    if (e)
        return e;
    char xlsx[4096] = "", txt[4096], tmp[4200], date[64];
    if (m->attachment) {
        snprintf(xlsx, sizeof xlsx, "%s/%s.xlsx", o->outbox, m->stem);
        if ((e = outfile_copy(m->attachment, xlsx)))
            return e;
    }
    snprintf(txt, sizeof txt, "%s/%s.txt", o->outbox, m->stem);
    if ((e = outfile_tmpname(tmp, sizeof tmp, txt)))
        return e;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return as_fail(AS_ERR_IO, "cannot create '%s': %s", txt, strerror(errno));
    date_rfc5322(date, sizeof date);
    int bad = fprintf(f, "From: %s\nTo: %s\nSubject: %s\nDate: %s\n", o->from ? o->from : "",
                      o->to && o->to[0] ? o->to : "(outbox)", m->subject, date) < 0;
    if (!bad && m->attachment)
        bad = fprintf(f, "Attachment: %s.xlsx\n", m->stem) < 0;
    if (!bad)
        bad = fprintf(f, "\n%s\n", m->body) < 0;
    if (fclose(f) != 0 || bad) {
        e = as_fail(AS_ERR_IO, "cannot write '%s': %s", txt, strerror(errno));
        outfile_discard(tmp);
        return e;
    }
    if ((e = outfile_commit(tmp, txt)))
        return e;
    r->attempts = 0;
    snprintf(r->where, sizeof r->where, "%s", txt);
    return AS_OK;
}

/* ---- SMTP -------------------------------------------------------------- */

/* "a@x, b@y" -> a list of "<a@x>", "<b@y>".  NULL on allocation failure;
 * *n = addresses. */
static struct curl_slist *rcpt_list(const char *to, int *n)
{
    struct curl_slist *list = NULL;
    *n = 0;
    const char *p = to;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            char addr[512];
            snprintf(addr, sizeof addr, "<%.*s>", (int)(len < 500 ? len : 500), p);
            struct curl_slist *next = curl_slist_append(list, addr);
            if (!next) {
                curl_slist_free_all(list);
                return NULL;
            }
            list = next;
            (*n)++;
        }
        p += strcspn(p, ",");
    }
    return list;
}

/* One SMTP attempt; on failure writes the reason into why. */
static int smtp_attempt(const struct mail_opts *o, const struct mail_msg *m,
                        struct curl_slist *rcpt, char *why, size_t whylen)
{
    char errbuf[CURL_ERROR_SIZE] = "", from[512], date[64], line[1024];
    struct curl_slist *headers = NULL;
    curl_mime *mime = NULL;
    int ok = 0;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, whylen, "cannot create a libcurl handle");
        return 0;
    }
    snprintf(from, sizeof from, "<%s>", o->from);
    date_rfc5322(date, sizeof date);
    const char *hdr[4][2] = {{"From", o->from}, {"To", o->to}, {"Subject", m->subject},
                             {"Date", date}};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "%s: %s", hdr[i][0], hdr[i][1]);
        /* A line break inside a value would start a header of its own. */
        for (char *p = line; *p; p++)
            if (*p == '\r' || *p == '\n')
                *p = ' ';
        struct curl_slist *next = curl_slist_append(headers, line);
        if (!next) {
            snprintf(why, whylen, "out of memory");
            goto done;
        }
        headers = next;
    }
    mime = curl_mime_init(c);
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_data(part, m->body, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    if (m->attachment) {
        part = curl_mime_addpart(mime);
        if (curl_mime_filedata(part, m->attachment) != CURLE_OK) {
            snprintf(why, whylen, "cannot read attachment '%s'", m->attachment);
            goto done;
        }
        curl_mime_filename(part, base_name(m->attachment));
        curl_mime_type(part, XLSX_MIME);
        curl_mime_encoder(part, "base64");
    }
    long ssl = strcmp(o->starttls, "require") == 0 ? CURLUSESSL_ALL
               : strcmp(o->starttls, "off") == 0   ? CURLUSESSL_NONE
                                                   : CURLUSESSL_TRY;
    curl_easy_setopt(c, CURLOPT_URL, o->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_USE_SSL, ssl);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (o->user && o->user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        ok = 1;
    } else {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (code)
            snprintf(why, whylen, "%s (server replied %ld)", errbuf[0] ? errbuf : curl_easy_strerror(rc),
                     code);
        else
            snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
done:
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return ok;
}

static as_err smtp_deliver(const struct mail_opts *o, const struct mail_msg *m,
                           struct mail_result *r)
{
    char *masked = config_mask_url(o->smtp_url);
    snprintf(r->where, sizeof r->where, "%s", masked ? masked : "(smtp server)");
    free(masked);
    if (strncmp(o->smtp_url, "smtp://", 7) != 0 && strncmp(o->smtp_url, "smtps://", 8) != 0)
        return as_fail(AS_ERR_USAGE, "smtp.url '%s': expected smtp://host[:port] or smtps://host[:port]",
                       r->where);
    int nrcpt;
    struct curl_slist *rcpt = rcpt_list(o->to ? o->to : "", &nrcpt);
    if (nrcpt == 0) {
        curl_slist_free_all(rcpt);
        return as_fail(AS_ERR_USAGE, "smtp.to is empty: no recipient for the report");
    }
    char why[CURL_ERROR_SIZE + 128] = "";
    int delay = o->backoff_ms;
    as_err e = AS_ERR_MAIL;
    for (r->attempts = 1; r->attempts <= o->attempts; r->attempts++) {
        if (smtp_attempt(o, m, rcpt, why, sizeof why)) {
            e = AS_OK;
            break;
        }
        if (r->attempts < o->attempts && delay > 0) {
            struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            delay *= 2;
        }
    }
    curl_slist_free_all(rcpt);
    if (e) {
        r->attempts = o->attempts;
        return as_fail(AS_ERR_MAIL, "mail to %s via '%s' failed after %d attempt%s: %s", o->to,
                       r->where, o->attempts, o->attempts == 1 ? "" : "s", why);
    }
    return AS_OK;
}

as_err mail_send(const struct mail_opts *o, const struct mail_msg *m, struct mail_result *r)
{
    memset(r, 0, sizeof *r);
    if (o->smtp_url && o->smtp_url[0])
        return smtp_deliver(o, m, r);
    return outbox_deliver(o, m, r);
}
