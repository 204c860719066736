/*
 * test_config.c -- aftershock.conf parsing, precedence (default < file <
 * environment), errors naming file and line, and masking of secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_precedence_and_masking(void **state)
{
    (void)state;
    char path[] = "/tmp/aftershock-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "# demo\n[study]\nmarket = QQQ\nwindows = \"0:0 -1:1\"\n\n[smtp]\n"
                     "url = smtps://desk:s3cret@mail.example.com:465\npassword = s3cret\n");
    setenv("AFTERSHOCK_STUDY_MODEL", "market-adjusted", 1);
    setenv("POLYGON_API_KEY", "pk_live_123", 1);
    assert_int_equal(config_load(path), AS_OK);
    assert_string_equal(config_get("study.market"), "QQQ");
    assert_string_equal(config_get("study.windows"), "0:0 -1:1");
    assert_string_equal(config_get("study.model"), "market-adjusted");
    assert_string_equal(config_origin("study.model"), "AFTERSHOCK_STUDY_MODEL");
    assert_string_equal(config_get("ingest.polygon_key"), "pk_live_123");
    assert_string_equal(config_get("study.estimation"), "-250:-11");
    assert_string_equal(config_origin("study.estimation"), "default");
    assert_null(config_get("no.such.key"));

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    config_print(out);
    fclose(out);
    assert_null(strstr(buf, "s3cret"));
    assert_null(strstr(buf, "pk_live_123"));
    assert_non_null(strstr(buf, "smtps://desk:***@mail.example.com:465"));
    free(buf);
    unlink(path);
}

static void test_mask_url_query_keys(void **state)
{
    (void)state;
    char *m = config_mask_url("https://www.alphavantage.co/query?function=TIME_SERIES_DAILY&symbol=NVDA&apikey=ABC123");
    assert_string_equal(m, "https://www.alphavantage.co/query?function=TIME_SERIES_DAILY&symbol=NVDA&apikey=***");
    free(m);
    m = config_mask_url("https://api.polygon.io/v2/aggs?apiKey=xyz&adjusted=true");
    assert_string_equal(m, "https://api.polygon.io/v2/aggs?apiKey=***&adjusted=true");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence_and_masking),
        cmocka_unit_test(test_mask_url_query_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
