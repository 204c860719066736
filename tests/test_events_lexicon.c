/*
 * test_events_lexicon.c -- the lexicon file format and the pattern matcher.
 *
 * Matching cases are worked by hand from the rules in data/lexicon/README.md;
 * every malformed lexicon must fail with the exact 'file': line N: field 'F'
 * message a user would read, and the shipped lexicon must load.
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

#include "analytics/announce.h"

static char dir[512];

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("AS_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/lexXXXXXX", tmp ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"phrases.en.lex", "phrases.pl.lex", "entities.lex", "exposure.lex"};
    char path[600];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

static void file_put(const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static const char *good_phrases = "# comment\n\n30 | distill*\n25 | $#m\n";
static const char *good_entities = "DeepSeek | lab | 40 | - | deepseek; =R1\n"
                                   "NVIDIA | company | 0 | NVDA | nvidi*; =NVDA\n";
static const char *good_exposure = "NVDA | negative | sells GPUs\n";

static void lexicon_expect_error(const char *name, const char *text, const char *msg_tail)
{
    file_put("phrases.en.lex", good_phrases);
    file_put("entities.lex", good_entities);
    file_put("exposure.lex", good_exposure);
    file_put(name, text);
    lexicon *lex = NULL;
    assert_int_equal(lexicon_load(&lex, dir), AS_ERR_PARSE);
    assert_null(lex);
    char want[1024];
    snprintf(want, sizeof want, "'%s/%s': %s", dir, name, msg_tail);
    assert_string_equal(as_last_error(), want);
}

static void test_bad_lexicon_lines(void **state)
{
    (void)state;
    lexicon_expect_error("phrases.en.lex", "# c\n30 | ok\nabc | cheaper ai\n",
                         "line 3: field 'weight': expected a number between -100 and 100");
    lexicon_expect_error("phrases.en.lex", "150 | cheaper ai\n",
                         "line 1: field 'weight': expected a number between -100 and 100");
    lexicon_expect_error("phrases.en.lex", "30 cheaper ai\n",
                         "line 1: expected 2 fields separated by '|' (weight | phrase), found 1");
    lexicon_expect_error("phrases.en.lex", "30 | che*aper\n",
                         "line 1: field 'phrase': '*' must end a word");
    lexicon_expect_error("phrases.en.lex", "30 | *\n",
                         "line 1: field 'phrase': '*' must follow the start of a word");
    lexicon_expect_error("entities.lex", "X | lab | 1 | -\n",
                         "line 1: expected 5 fields separated by '|' "
                         "(name | kind | weight | tickers | aliases), found 4");
    lexicon_expect_error("entities.lex", "X | firm | 1 | - | x\n",
                         "line 1: field 'kind': expected lab, company or group");
    lexicon_expect_error("entities.lex", "X | company | 1 | AA BB | x\n",
                         "line 1: field 'tickers': a company has exactly one ticker");
    lexicon_expect_error("entities.lex", "X | company | 1 | nvda | x\n",
                         "line 1: field 'tickers': expected upper-case ticker symbols or '-'");
    lexicon_expect_error("entities.lex", "X | lab | 1 | - |  ; \n",
                         "line 1: field 'aliases': at least one alias is required");
    lexicon_expect_error("exposure.lex", "NVDA | down | x\n",
                         "line 1: field 'direction': expected negative, positive or neutral");
    lexicon_expect_error("exposure.lex", "NVDA | negative | x\nNVDA | neutral | y\n",
                         "line 2: field 'ticker': ticker listed twice");
}

static void test_missing_files(void **state)
{
    (void)state;
    lexicon *lex;
    assert_int_equal(lexicon_load(&lex, "/nonexistent-lexicon"), AS_ERR_IO);
    teardown(NULL);
    assert_int_equal(setup(NULL), 0);
    file_put("entities.lex", good_entities);
    assert_int_equal(lexicon_load(&lex, dir), AS_ERR_NOT_FOUND); /* no phrases.*.lex */
}

static void test_good_lexicon(void **state)
{
    (void)state;
    file_put("phrases.en.lex", good_phrases);
    file_put("phrases.pl.lex", "30 | tańsz* model*\n");
    file_put("entities.lex", good_entities);
    file_put("exposure.lex", good_exposure);
    lexicon *lex;
    assert_int_equal(lexicon_load(&lex, dir), AS_OK);
    assert_int_equal(lex->n_phrases, 3);
    assert_string_equal(lex->phrases[0].lang, "en"); /* files in name order */
    assert_string_equal(lex->phrases[2].lang, "pl");
    assert_int_equal(lex->n_entities, 2);
    assert_int_equal(lex->entities[0].n_aliases, 2);
    assert_true(lex->entities[0].aliases[1].case_sensitive);
    assert_int_equal(lexicon_exposure(lex, "NVDA"), -1);
    assert_int_equal(lexicon_exposure(lex, "MSFT"), 0);
    lexicon_free(lex);
}

static void test_shipped_lexicon_loads(void **state)
{
    (void)state;
    const char *src = getenv("AS_SRC_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/lexicon", src ? src : ".");
    lexicon *lex;
    assert_int_equal(lexicon_load(&lex, path), AS_OK);
    int langs = 0;
    for (size_t i = 0; i < lex->n_phrases; i++)
        langs |= strcmp(lex->phrases[i].lang, "en") == 0 ? 1
                 : strcmp(lex->phrases[i].lang, "pl") == 0 ? 2
                                                            : 0;
    assert_int_equal(langs, 3); /* English and Polish at least */
    const char *neg[] = {"NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "SMCI", "ARM", "VST", "CEG"};
    for (size_t i = 0; i < sizeof neg / sizeof neg[0]; i++)
        assert_int_equal(lexicon_exposure(lex, neg[i]), -1);
    lexicon_free(lex);
}

static int count(const char *text, const char *pattern)
{
    char *t = announce_normalise(text, 0), *p = announce_normalise(pattern, 0);
    int n = announce_count(t, p);
    free(t);
    free(p);
    return n;
}

static void test_normalise(void **state)
{
    (void)state;
    char *s = announce_normalise("  Sell-Off\u2014NOW \u2019s  ĄĆĘŁŃÓŚŹŻ\tÉ  ", 0);
    assert_string_equal(s, "sell off now 's ąćęłńóśźż é");
    free(s);
    s = announce_normalise("ARM Holdings", 1);
    assert_string_equal(s, "ARM Holdings");
    free(s);
}

static void test_match_rules(void **state)
{
    (void)state;
    assert_int_equal(count("trained on 2,048 H800s for $5.6M", "# h800*"), 1);
    assert_int_equal(count("trained on 2,048 H800s for $5.6M", "$#m"), 1);
    assert_int_equal(count("$5.6 million", "$#m"), 0); /* "m" must end the word */
    assert_int_equal(count("Nvidia's fall; NVIDII spadek", "nvidi*"), 2);
    assert_int_equal(count("tańszego modelu i tańsze modele", "tańsz* model*"), 2);
    assert_int_equal(count("pharmacy arms", "arm"), 0); /* word boundaries */
    assert_int_equal(count("the open-source model", "open source*"), 1);
    assert_int_equal(count("并同步开源模型权重", "开源"), 1); /* no boundary in CJK */
    assert_int_equal(count("sell-off, sell off, selloff", "sell off"), 2);
    char *t = announce_normalise("Arm and arm", 1);
    assert_int_equal(announce_count(t, "Arm"), 1); /* '=' aliases keep case */
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_lexicon_lines),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_good_lexicon),
        cmocka_unit_test(test_shipped_lexicon_loads),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_match_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
