/*
 * mail.h -- distribution of a finished report: to the outbox folder, or by
 * SMTP to the configured recipients.
 *
 * Outbox (no smtp.url): the workbook is copied into the folder and a plain
 * text message (From, To, Subject, Date, Attachment headers, then the
 * summary) is written beside it with the same stem, each under a temporary
 * name and renamed, the message last, so a tool watching for *.txt never
 * sees a message without its workbook.
 *
 * SMTP (smtp.url = smtp://host[:port] or smtps://host[:port]): libcurl
 * builds a MIME message with its curl_mime_* API -- the summary as the
 * text/plain body, the workbook attached (base64 by curl) -- and sends it,
 * with STARTTLS per smtp.starttls and AUTH when smtp.user is set.  A failed
 * attempt is retried (smtp.retries attempts in all, with a growing pause);
 * when all fail, mail_send() returns AS_ERR_MAIL naming the server, the
 * attempts and the last reason.  Nothing is ever dropped silently.
 */
#ifndef AS_MAIL_H
#define AS_MAIL_H

#include "common/error.h"

struct mail_opts {
    const char *smtp_url;   /* "" or NULL: outbox */
    const char *user, *password;
    const char *from;
    const char *to;         /* comma-separated addresses */
    const char *starttls;   /* "try", "require" or "off" */
    int attempts;           /* >= 1 */
    int backoff_ms;         /* pause before the 2nd attempt; doubles after */
    long timeout_s;         /* one SMTP transfer */
    const char *outbox;     /* folder for outbox delivery */
};

/* Fill o from the settings (smtp.*, report.outbox, default
 * $AFTERSHOCK_HOME/outbox).  The strings belong to the config module;
 * outbox to a static buffer. */
as_err mail_opts_from_config(struct mail_opts *o);

struct mail_msg {
    const char *subject;    /* ASCII (it becomes a header verbatim) */
    const char *body;       /* UTF-8 text */
    const char *attachment; /* path of the workbook, or NULL */
    const char *stem;       /* outbox file stem, e.g. "aftershock-2025-01-27" */
};

struct mail_result {
    int attempts;           /* SMTP attempts made (0 for the outbox) */
    char where[4096];       /* outbox message path, or the masked server URL */
};

as_err mail_send(const struct mail_opts *o, const struct mail_msg *m, struct mail_result *r);

#endif
