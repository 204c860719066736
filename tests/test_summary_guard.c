/*
 * test_summary_guard.c -- the guard and the narrator together: narrator text
 * always passes, planted errors (number, ticker, direction, date, window,
 * quote, level) are caught, and the number formats analysts write are read
 * the same way.  Expected values are written by hand from the fixture
 * tests/fixtures/facts_nvda_2025-01-27.txt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/distill_facts.h"
#include "model/factsheet.h"
#include "model/guard.h"
#include "model/narrator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static factsheet fx;

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("AS_SRC_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/facts_nvda_2025-01-27.txt", src ? src : ".");
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return factsheet_parse(&fx, buf, path) == AS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    factsheet_clear(&fx);
    return 0;
}

static int passes(const char *text, int stock)
{
    guard_report r;
    int ok = guard_check(&r, text, &fx, stock);
    if (!ok)
        print_message("guard: %s\n", r.first_bad);
    return ok;
}

/* NVDA is stock 0 of the fixture. */
static void test_formats_accepted(void **state)
{
    (void)state;
    assert_true(passes("NVDA fell 16.97% on 2025-01-27.", 0));
    assert_true(passes("NVDA: \xE2\x88\x92" "16.97 % on 27 January 2025.", 0));
    assert_true(passes("NVDA closed 16.97 % lower on January 27, 2025.", 0));
    assert_true(passes("NVDA was down 17% and the abnormal return was -14.72%.", 0));
    assert_true(passes("It lost about $589bn, or 589.0 billion dollars of value.", 0));
    assert_true(passes("The CAR over [-1,+1] was -14.20% (t = -3.40), significant at the 1% "
                       "level.", 0));
    assert_true(passes("The market (SPY) fell 1.46%; the 2 Semiconductors stocks averaged "
                       "-13.50%.", 0));
    assert_true(passes("Reuters wrote \"Nasdaq drops 3% as China's DeepSeek AI model hits tech "
                       "shares\".", 0));
    assert_true(passes("The shares plunged.", 0));
}

static void test_planted_number_caught(void **state)
{
    (void)state;
    guard_report r;
    assert_int_equal(guard_check(&r, "NVDA fell 16.79% on 2025-01-27.", &fx, 0), 0);
    assert_int_equal(r.n_bad, 1);
    assert_int_equal(r.n_bad_numbers, 1);
    assert_string_equal(r.first_bad, "'16.79%': no fact with this value and sign");
    assert_false(passes("It lost about $598bn of value.", 0));
    assert_false(passes("The CAR was -14.20% (t = -3.04).", 0));
    /* AVGO's return is in the sheet but not in NVDA's facts */
    assert_false(passes("NVDA fell 17.40%.", 0));
    assert_true(passes("NVDA fell 17.40%.", -1));
}

static void test_planted_ticker_caught(void **state)
{
    (void)state;
    guard_report r;
    assert_int_equal(guard_check(&r, "AMD fell 16.97% on 2025-01-27.", &fx, 0), 0);
    assert_string_equal(r.first_bad, "'AMD': ticker not in the fact sheet");
    assert_false(passes("NVDA fell more than AVGO.", 0)); /* AVGO is not in NVDA's prompt */
    /* Symbols with punctuation: an index "^GSPC" is written "^GSPC" or
     * "GSPC", a share class "BRK.B" as "BRK.B"; a part is not another symbol. */
    factsheet fs = {0};
    snprintf(fs.date, sizeof fs.date, "2025-01-27");
    snprintf(fs.market, sizeof fs.market, "^GSPC");
    fs.market_ret0 = -1.46;
    fact_stock s = {.ret0 = -1.2, .ar0 = 0.1, .t0 = 0.1, .n_est = 240};
    snprintf(s.ticker, sizeof s.ticker, "BRK.B");
    snprintf(s.sector, sizeof s.sector, "Financials");
    assert_int_equal(factsheet_add_stock(&fs, &s), AS_OK);
    assert_true(guard_check(&r, "BRK.B fell 1.20% while the market (^GSPC) fell 1.46%.", &fs, 0));
    assert_true(guard_check(&r, "GSPC fell 1.46%.", &fs, 0));
    assert_false(guard_check(&r, "BRKB fell 1.20%.", &fs, 0));
    assert_string_equal(r.first_bad, "'BRKB': ticker not in the fact sheet");
    factsheet_clear(&fs);
}

static void test_planted_direction_caught(void **state)
{
    (void)state;
    guard_report r;
    assert_int_equal(guard_check(&r, "NVDA rose 16.97% on 2025-01-27.", &fx, 0), 0);
    assert_string_equal(r.first_bad, "'16.97%': no fact with this value and sign");
    assert_false(passes("NVDA closed 16.97% higher.", 0));
    assert_false(passes("The market (SPY) gained 1.46%.", 0));
    assert_false(passes("The abnormal return was 14.72%... no: +14.72%.", 0));
    assert_int_equal(guard_check(&r, "The shares soared.", &fx, 0), 0);
    assert_string_equal(r.first_bad, "'soared': direction disagrees with the day-0 return");
}

static void test_other_claims_caught(void **state)
{
    (void)state;
    assert_false(passes("On 28 January 2025 NVDA fell 16.97%.", 0));
    assert_false(passes("Over [0,+1] the CAR was -14.20%.", 0));
    assert_false(passes("Reuters wrote \"Nasdaq drops 4% on DeepSeek\".", 0));
    assert_false(passes("It is significant at the 5% level.", 0)); /* t's give 1% and 10% */
    assert_false(passes("Reuters wrote \"Nasdaq drops", 0));
}

/* A caveat is a claim: NVDA's 250-day window is not short, and its
 * abnormal return (-14.72%) is most of its move; CEG's window (90 days) is. */
static void test_planted_caveat_caught(void **state)
{
    (void)state;
    guard_report r;
    assert_int_equal(guard_check(&r, "The estimation window has only 250 trading days, so these "
                                     "estimates are less reliable.", &fx, 0), 0);
    assert_string_equal(r.first_bad, "'estimation window has only': caveat of a short "
                                     "estimation window the stock does not have");
    assert_false(passes("The broad market, not NVDA itself, explains most of the move.", 0));
    assert_false(passes("Much of the move reflects the market rather than news specific to NVDA.",
                        0));
    assert_true(passes("The estimation window has only 90 trading days, so these estimates are "
                       "less reliable.", 2));
}

/* Half a character or a control byte from a byte-level model: a correct
 * sentence around it does not make it pass. */
static void test_malformed_text_caught(void **state)
{
    (void)state;
    guard_report r;
    assert_int_equal(guard_check(&r, "NVDA fell 16.97% \xA5 on 2025-01-27.", &fx, 0), 0);
    assert_string_equal(r.first_bad, "byte 17 (0xa5): not printable UTF-8 text");
    assert_false(passes("NVDA fell 16.97%\x15 on 2025-01-27.", 0));
    assert_false(passes("NVDA fell 16.97% \xE2\x88 on 2025-01-27.", 0));
    assert_false(passes("NVDA fell 16.97% \xEF\xBF\xBD on 2025-01-27.", 0)); /* U+FFFD */
    assert_true(passes("NVDA fell 16.97%\non 2025-01-27.", 0));
}

/* The narrator is the fallback: its text must pass for every stock of
 * every sheet.  2000 random sheets, about 9000 paragraphs, every seed. */
static void test_narrator_always_passes(void **state)
{
    (void)state;
    int n = 0;
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        factsheet fs;
        assert_int_equal(distill_random_sheet(&fs, seed, 8), AS_OK);
        for (int i = 0; i < fs.n_stocks; i++) {
            char *text;
            assert_int_equal(narrator_write(&text, &fs, i, seed), AS_OK);
            guard_report r;
            if (!guard_check(&r, text, &fs, i))
                fail_msg("seed %llu stock %d: %s\n%s", (unsigned long long)seed, i, r.first_bad,
                         text);
            assert_true(r.n_numbers >= 4);
            free(text);
            n++;
        }
        factsheet_clear(&fs);
    }
    assert_true(n > 4000);
}

static void test_narrator_deterministic_and_varied(void **state)
{
    (void)state;
    char *a, *b, *c;
    assert_int_equal(narrator_write(&a, &fx, 0, 1), AS_OK);
    assert_int_equal(narrator_write(&b, &fx, 0, 1), AS_OK);
    assert_string_equal(a, b);
    int differs = 0;
    for (uint64_t seed = 2; seed < 10; seed++) {
        assert_int_equal(narrator_write(&c, &fx, 0, seed), AS_OK);
        differs |= strcmp(a, c) != 0;
        /* -16.97% is an extreme fall: one of the three extreme verbs */
        assert_true(strstr(c, "plunged 16.97%") || strstr(c, "collapsed 16.97%") ||
                    strstr(c, "crashed 16.97%"));
        assert_non_null(strstr(c, "$589.0bn"));
        assert_non_null(strstr(c, "-14.72%"));
        assert_null(strstr(c, "only")); /* 250 estimation days: no thin-data caveat */
        free(c);
    }
    assert_true(differs);
    assert_int_equal(narrator_write(&c, &fx, 2, 1), AS_OK); /* CEG: 90 estimation days */
    assert_non_null(strstr(c, "only 90 trading days"));
    free(c);
    free(a);
    free(b);
    assert_int_equal(narrator_write(&c, &fx, 3, 1), AS_ERR_RANGE);
}

static void test_magnitude_thresholds(void **state)
{
    (void)state;
    assert_int_equal(narrator_magnitude(-16.97), NARRATOR_EXTREME);
    assert_int_equal(narrator_magnitude(10.0), NARRATOR_EXTREME);
    assert_int_equal(narrator_magnitude(-9.99), NARRATOR_LARGE);
    assert_int_equal(narrator_magnitude(2.0), NARRATOR_CLEAR);
    assert_int_equal(narrator_magnitude(-0.5), NARRATOR_SMALL);
    assert_int_equal(narrator_magnitude(0.49), NARRATOR_FLAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_accepted),
        cmocka_unit_test(test_planted_number_caught),
        cmocka_unit_test(test_planted_ticker_caught),
        cmocka_unit_test(test_planted_direction_caught),
        cmocka_unit_test(test_other_claims_caught),
        cmocka_unit_test(test_planted_caveat_caught),
        cmocka_unit_test(test_malformed_text_caught),
        cmocka_unit_test(test_narrator_always_passes),
        cmocka_unit_test(test_narrator_deterministic_and_varied),
        cmocka_unit_test(test_magnitude_thresholds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
