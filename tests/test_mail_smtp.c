/*
 * test_mail_smtp.c -- reports/mail.c against a real SMTP server on loopback
 * (python3-aiosmtpd, tests/support/smtp_sink.py) and the outbox folder.
 *
 * The received message is parsed by Python's email package
 * (tests/support/eml_extract.py), an independent MIME reader; the decoded
 * attachment must equal the sent file byte for byte.  Retries are checked
 * with a server that answers 451 to the first messages, failures with one
 * that never accepts and with a closed port, AUTH with right and wrong
 * passwords.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/mail.h"
#include "tests/support/testdb.h"

static char tmpdir[1024];
static char attachment[1200];

struct sink {
    pid_t pid;
    int stdin_fd;
    int port;
    char dir[1200];
};

static int have_aiosmtpd(void)
{
    return access("/usr/bin/python3", X_OK) == 0 &&
           system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") == 0;
}

/* Start smtp_sink.py with extra arguments; 0 on success. */
static int sink_start(struct sink *s, const char *name, const char *arg1, const char *arg2)
{
    snprintf(s->dir, sizeof s->dir, "%s/%s", tmpdir, name);
    mkdir(s->dir, 0755);
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return -1;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2); /* aiosmtpd warns about AUTH without TLS */
        const char *script = testdb_src_path("tests/support/smtp_sink.py");
        execl("/usr/bin/python3", "python3", script, s->dir, arg1, arg2, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    s->stdin_fd = in[1];
    FILE *f = fdopen(out[0], "r");
    char line[64] = "";
    int ok = f && fgets(line, sizeof line, f) && sscanf(line, "PORT %d", &s->port) == 1;
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static void sink_stop(struct sink *s)
{
    close(s->stdin_fd); /* the script stops when stdin closes */
    int st;
    waitpid(s->pid, &st, 0);
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int eq = fa && fb;
    while (eq) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb)
            eq = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return eq;
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("AS_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/mail-%d", t && t[0] ? t : "/tmp", (int)getpid());
    if (mkdir(tmpdir, 0755) != 0)
        return -1;
    /* 100 kB of every byte value: base64 must carry all of them, and the
     * size spans many 76-character lines. */
    snprintf(attachment, sizeof attachment, "%s/impact report.xlsx", tmpdir);
    FILE *f = fopen(attachment, "wb");
    if (!f)
        return -1;
    unsigned x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245u + 12345u;
        fputc((int)(x >> 16) & 0xff, f);
    }
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct mail_opts opts_for(const struct sink *s, char *url, size_t len)
{
    snprintf(url, len, "smtp://127.0.0.1:%d", s->port);
    struct mail_opts o = {
        .smtp_url = url, .from = "aftershock@example.org",
        .to = "analyst@example.org, desk@example.org", .starttls = "try",
        .attempts = 3, .backoff_ms = 50, .timeout_s = 20,
    };
    return o;
}

static const struct mail_msg msg = {
    .subject = "Aftershock 2025-01-27: NVDA -16.97%",
    .body = "NVDA fell 16.97% on 2025-01-27.\nMarket value lost: $589bn.\n",
    .attachment = attachment,
    .stem = "aftershock-2025-01-27",
};

#define NEED_SMTP()                                                                  \
    do {                                                                             \
        if (!have_aiosmtpd()) {                                                      \
            printf("skip: /usr/bin/python3 with aiosmtpd is not installed\n");       \
            skip();                                                                  \
        }                                                                            \
    } while (0)

/* Parse <dir>/<k>.eml with eml_extract.py; caller json_decref()s. */
static json_t *eml_read(const char *dir, int k)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s/%d.eml' '%s'",
             testdb_src_path("tests/support/eml_extract.py"), dir, k, dir);
    FILE *p = popen(cmd, "r");
    json_error_t err;
    json_t *doc = p ? json_loadf(p, 0, &err) : NULL;
    if (p)
        pclose(p);
    return doc;
}

static void test_smtp_delivers_attachment_intact(void **state)
{
    (void)state;
    NEED_SMTP();
    struct sink s;
    assert_int_equal(sink_start(&s, "ok", NULL, NULL), 0);
    char url[128];
    struct mail_opts o = opts_for(&s, url, sizeof url);
    struct mail_result r;
    as_err e = mail_send(&o, &msg, &r);
    sink_stop(&s);
    if (e)
        fail_msg("mail_send: %s", as_last_error());
    assert_int_equal(r.attempts, 1);
    json_t *doc = eml_read(s.dir, 1);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "subject")), msg.subject);
    assert_string_equal(json_string_value(json_object_get(doc, "content_type")), "multipart/mixed");
    /* The body survives quoted-printable encoding; email's reader may end
     * it with its own line break, hence the prefix comparison. */
    const char *body = json_string_value(json_object_get(doc, "body"));
    assert_non_null(body);
    assert_memory_equal(body, msg.body, strlen(msg.body));
    json_t *att = json_array_get(json_object_get(doc, "attachments"), 0);
    assert_non_null(att);
    assert_string_equal(json_string_value(json_object_get(att, "filename")), "impact report.xlsx");
    assert_string_equal(json_string_value(json_object_get(att, "content_type")),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_true(files_equal(json_string_value(json_object_get(att, "path")), attachment));
    json_decref(doc);
    /* Both envelope recipients, one message. */
    char rcpt[1400];
    snprintf(rcpt, sizeof rcpt, "%s/1.rcpt", s.dir);
    FILE *f = fopen(rcpt, "r");
    assert_non_null(f);
    char buf[256] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, "analyst@example.org\ndesk@example.org\n");
}

static void test_smtp_retries_transient_failure(void **state)
{
    (void)state;
    NEED_SMTP();
    struct sink s;
    assert_int_equal(sink_start(&s, "retry", "--fail-first", "2"), 0);
    char url[128];
    struct mail_opts o = opts_for(&s, url, sizeof url);
    struct mail_result r;
    as_err e = mail_send(&o, &msg, &r);
    sink_stop(&s);
    if (e)
        fail_msg("mail_send: %s", as_last_error());
    assert_int_equal(r.attempts, 3);
    char path[1400];
    snprintf(path, sizeof path, "%s/1.eml", s.dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/2.eml", s.dir);
    assert_int_not_equal(access(path, R_OK), 0); /* delivered exactly once */
}

static void test_smtp_failure_reported(void **state)
{
    (void)state;
    NEED_SMTP();
    struct sink s;
    assert_int_equal(sink_start(&s, "fail", "--fail-first", "99"), 0);
    char url[128];
    struct mail_opts o = opts_for(&s, url, sizeof url);
    o.attempts = 2;
    struct mail_result r;
    as_err e = mail_send(&o, &msg, &r);
    sink_stop(&s);
    assert_int_equal(e, AS_ERR_MAIL);
    assert_int_equal(r.attempts, 2);
    assert_non_null(strstr(as_last_error(), "failed after 2 attempts"));
    assert_non_null(strstr(as_last_error(), "451"));
    /* A port nobody listens on: the sink above has stopped. */
    e = mail_send(&o, &msg, &r);
    assert_int_equal(e, AS_ERR_MAIL);
    assert_non_null(strstr(as_last_error(), url + 7));
}

static void test_smtp_auth(void **state)
{
    (void)state;
    NEED_SMTP();
    struct sink s;
    assert_int_equal(sink_start(&s, "auth", "--auth", "report:s3cret"), 0);
    char url[128];
    struct mail_opts o = opts_for(&s, url, sizeof url);
    o.user = "report";
    o.password = "wrong";
    o.attempts = 1;
    struct mail_result r;
    assert_int_equal(mail_send(&o, &msg, &r), AS_ERR_MAIL);
    assert_non_null(strstr(as_last_error(), "535"));
    assert_null(strstr(as_last_error(), "wrong")); /* the password is never shown */
    o.password = "s3cret";
    as_err e = mail_send(&o, &msg, &r);
    sink_stop(&s);
    if (e)
        fail_msg("mail_send: %s", as_last_error());
    char path[1400];
    snprintf(path, sizeof path, "%s/1.eml", s.dir);
    assert_int_equal(access(path, R_OK), 0);
}

static void test_outbox(void **state)
{
    (void)state;
    char outbox[1200];
    snprintf(outbox, sizeof outbox, "%s/outbox/nested", tmpdir);
    struct mail_opts o = {.from = "aftershock@localhost", .to = "", .starttls = "try",
                          .attempts = 1, .outbox = outbox};
    struct mail_result r;
    assert_int_equal(mail_send(&o, &msg, &r), AS_OK);
    char path[1400];
    snprintf(path, sizeof path, "%s/aftershock-2025-01-27.xlsx", outbox);
    assert_true(files_equal(path, attachment));
    snprintf(path, sizeof path, "%s/aftershock-2025-01-27.txt", outbox);
    assert_string_equal(r.where, path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "Subject: Aftershock 2025-01-27: NVDA -16.97%\n"));
    assert_non_null(strstr(buf, "Attachment: aftershock-2025-01-27.xlsx\n"));
    assert_non_null(strstr(buf, "\n\nNVDA fell 16.97% on 2025-01-27.\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_delivers_attachment_intact),
        cmocka_unit_test(test_smtp_retries_transient_failure),
        cmocka_unit_test(test_smtp_failure_reported),
        cmocka_unit_test(test_smtp_auth),
        cmocka_unit_test(test_outbox),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
