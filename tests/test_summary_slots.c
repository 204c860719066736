/*
 * test_summary_slots.c -- delexicalised narrator text and slot filling: on
 * thousands of seeded sheets the narrator's paragraph with slot tokens,
 * filled from the sheet, is byte for byte the paragraph it writes directly,
 * and states no digit of its own; filled values are checked by hand on the
 * fixture tests/fixtures/facts_nvda_2025-01-27.txt; a clause that does not
 * apply (market value under $0.1bn, peers of a one-stock sector, caveats)
 * renders empty; a slot the stock lacks or an unknown one is left in the
 * text, counted, and fails the guard.
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
#include "model/slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static factsheet fx; /* NVDA (two windows, peers), AVGO (no window), CEG (no peers) */

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

/* 2,000 sheets (the size of the `make model` corpus, about 7,000 paragraphs):
 * fill(slotted) == narrator text, and every slot is met somewhere. */
static void test_round_trip_many_sheets(void **state)
{
    (void)state;
    int seen[SLOT_COUNT] = {0}, n = 0;
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        factsheet fs;
        assert_int_equal(distill_random_sheet(&fs, seed, 6), AS_OK);
        for (int i = 0; i < fs.n_stocks; i++) {
            char *plain, *slotted, *filled;
            int bad = -1;
            assert_int_equal(narrator_write(&plain, &fs, i, seed), AS_OK);
            assert_int_equal(narrator_write_slots(&slotted, &fs, i, seed), AS_OK);
            /* every value, headline included, comes from a slot */
            for (const char *p = slotted; *p; p++) {
                size_t sl = slot_span(p, strlen(p));
                if (sl) { /* slot names may hold digits ("<|car1|>") */
                    p += sl - 1;
                    continue;
                }
                if (*p >= '0' && *p <= '9') {
                    print_message("seed %lu stock %d: digit in '%s'\n", (unsigned long)seed, i,
                                  slotted);
                    fail();
                }
            }
            assert_int_equal(slots_fill(&filled, &bad, slotted, &fs, i), AS_OK);
            assert_int_equal(bad, 0);
            assert_string_equal(filled, plain);
            for (int k = 0; k < SLOT_COUNT; k++)
                seen[k] += strstr(slotted, slot_token((slot_id)k)) != NULL;
            int pass;
            guard_report g;
            char *again;
            assert_int_equal(slots_fill_check(&pass, &g, &again, slotted, &fs, i), AS_OK);
            if (!pass)
                print_message("seed %lu stock %d: %s\n", (unsigned long)seed, i, g.first_bad);
            assert_true(pass);
            free(again);
            free(plain);
            free(slotted);
            free(filled);
            n++;
        }
        factsheet_clear(&fs);
    }
    assert_true(n > 5000);
    for (int k = 0; k < SLOT_COUNT; k++) {
        if (!seen[k])
            print_message("slot %s never used\n", slot_token((slot_id)k));
        assert_true(seen[k] > 0);
    }
}

static char *fill(const char *text, int stock, int *bad)
{
    char *out;
    assert_int_equal(slots_fill(&out, bad, text, &fx, stock), AS_OK);
    return out;
}

/* Values by hand from the fixture, in the narrator's formats. */
static void test_fill_by_hand(void **state)
{
    (void)state;
    int bad;
    char *s = fill("<|ticker|> shares <|move_a|> on <|date_dmy|><|mv_b|>. <|sig_b|>", 0, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, "NVDA shares plunged 16.97% on 27 January 2025, erasing roughly "
                           "$589.0bn in market value. At the 1% level, the abnormal return is "
                           "statistically significant.");
    free(s);
    s = fill("On <|date_mdy|> (<|date|>) <|market|> <|mkt_move_c|>, <|mkt_ret|>%: AR <|ar0|>% "
             "(t = <|t0|>);<|peers_b|> <|win1|> <|car1|>% (t = <|car1_t|>), <|car1_sig|>; <|win2|> "
             "<|car2|>% (t = <|car2_t|>), <|car2_sig|>. \"<|headline|>\" (<|source|>, "
             "<|head_date|>).<|caveats_a|>",
             0, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, "On January 27, 2025 (2025-01-27) SPY edged down 1.46%, -1.46%: AR "
                           "-14.72% (t = -6.21); Semiconductors peers (2 stocks) averaged an "
                           "abnormal return of -13.50%; NVDA fared worse. [-1,+1] -14.20% "
                           "(t = -3.40), a significant result; [0,+5] -9.80% "
                           "(t = -1.70), a significant result. \"Nasdaq drops 3% as China's "
                           "DeepSeek AI model hits tech shares\" (Reuters, 2025-01-27).");
    free(s);
    /* Caveats: none for NVDA (250 days, mostly abnormal); CEG's 90 days. */
    s = fill("<|caveats_b|>", 2, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, " The estimation window has only 90 trading days, so these estimates "
                           "are less reliable.");
    free(s);
    s = fill("<|caveats_a|>", 0, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, "");
    free(s);
    /* Peers: the other two phrasings for NVDA; none for CEG, alone in its sector. */
    s = fill("<|peers_a|>|<|peers_c|>|<|peers_a|><|peers_b|><|peers_c|>", 0, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, " Across the 2 Semiconductors stocks in the study the average abnormal "
                           "return was -13.50%, so NVDA did worse than its peers.| Compared with "
                           "the Semiconductors group, whose 2 stocks averaged -13.50%, NVDA did "
                           "worse.| Across the 2 Semiconductors stocks in the study the average "
                           "abnormal return was -13.50%, so NVDA did worse than its peers. "
                           "Semiconductors peers (2 stocks) averaged an abnormal return of "
                           "-13.50%; NVDA fared worse. Compared with the Semiconductors group, "
                           "whose 2 stocks averaged -13.50%, NVDA did worse.");
    free(s);
    s = fill("<|ticker|> <|move_a|>.<|peers_a|><|peers_b|><|peers_c|>", 2, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, "CEG plunged 20.85%.");
    free(s);
    /* Market value: none stated under $0.1bn, the phrase's slot renders empty. */
    factsheet small;
    assert_int_equal(distill_random_sheet(&small, 1, 1), AS_OK);
    small.stocks[0].mv_bn = 0.04;
    assert_int_equal(slots_fill(&s, &bad, "<|mv_a|>|<|mv_b|>|<|mv_c|>.", &small, 0), AS_OK);
    assert_int_equal(bad, 0);
    assert_string_equal(s, "||.");
    free(s);
    small.stocks[0].mv_bn = -0.1;
    assert_int_equal(slots_fill(&s, &bad, "<|mv_c|>.", &small, 0), AS_OK);
    assert_string_equal(s, ", shedding about $0.1bn of market value.");
    free(s);
    factsheet_clear(&small);
}

/* A slot the stock has no value for, or no slot at all, stays in the text,
 * is counted, and the summary fails the guard: never a crash, never a
 * made-up value. */
static void test_bad_slot_fails(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int stock, bad;
    } cases[] = {
        {"<|ticker|> <|move_a|>. Over <|win1|> the CAR was <|car1|>%.", 1, 2}, /* AVGO: no window */
        {"<|ticker|> <|move_a|>. Over <|win2|> the CAR was <|car2|>%.", 1, 2},
        {"<|ticker|> <|move_a|>, <|nosuch|>.", 0, 1},
        {"<|ticker|> <|move_a|>. <|summary|>", 0, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int bad, pass = 1;
        char *s = fill(cases[k].text, cases[k].stock, &bad);
        assert_int_equal(bad, cases[k].bad);
        assert_non_null(strstr(s, "<|")); /* left as written */
        free(s);
        guard_report g;
        assert_int_equal(slots_fill_check(&pass, &g, &s, cases[k].text, &fx, cases[k].stock),
                         AS_OK);
        assert_false(pass);
        assert_true(g.n_bad_numbers >= cases[k].bad);
        free(s);
    }
    /* text that merely looks like markup is not a slot and passes through */
    int bad;
    char *s = fill("a <| b |> c <|A|> <|", 0, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(s, "a <| b |> c <|A|> <|");
    free(s);
}

/* The narrator's sentence forms: paragraphs of sheets the forms were not
 * built from use none outside them; a true value in the wrong role (a CAR
 * as the day-0 abnormal return; the student once wrote the sector's mean
 * there, before the peers sentence became one slot) and a stuttered slot
 * are not forms. */
static void test_sentence_forms(void **state)
{
    (void)state;
    char first[128];
    int paragraphs = 0;
    for (uint64_t seed = 900001; seed <= 901000; seed++) {
        factsheet fs;
        assert_int_equal(distill_random_sheet(&fs, seed, 6), AS_OK);
        for (int i = 0; i < fs.n_stocks; i++) {
            char *t;
            assert_int_equal(narrator_write_slots(&t, &fs, i, seed), AS_OK);
            int n = slots_unknown_sentences(t, first, sizeof first);
            if (n)
                print_message("seed %llu stock %d: '%s'\n", (unsigned long long)seed, i, first);
            assert_int_equal(n, 0);
            free(t);
            paragraphs++;
        }
        factsheet_clear(&fs);
    }
    assert_true(paragraphs > 2000);
    assert_int_equal(slots_unknown_sentences("Against a market move of <|mkt_ret|>% in <|market|>, "
                                             "the abnormal return was <|car1|>%.",
                                             first, sizeof first), 1);
    assert_int_equal(slots_unknown_sentences("On <|date|>, <|ticker|> <|move_a|><|mv_a|>. "
                                             "Over the <|win1|> <|win1|> window the cumulative "
                                             "abnormal return was <|car1|>% (t = <|car1_t|>).",
                                             first, sizeof first), 1);
    assert_string_equal(first, "Over the <|win1|> <|win1|> window the cumulative abnormal return "
                               "was <|car1|>% (t = <|car1_t|>).");
    /* and through the check the summarizer uses: it fails, naming the form */
    int pass;
    guard_report g;
    char *filled;
    assert_int_equal(slots_fill_check(&pass, &g, &filled,
                                      "Against a market move of <|mkt_ret|>% in <|market|>, the "
                                      "abnormal return was <|car1|>%.", &fx, 0), AS_OK);
    assert_false(pass);
    assert_non_null(strstr(g.first_bad, "not a sentence the narrator writes"));
    free(filled);
    /* A plain-text paragraph (a student of a plain-text teacher) is not
     * held to the narrator's forms, only to the guard: its own true wording
     * passes, a wrong value in it still fails. */
    assert_int_equal(slots_fill_check(&pass, &g, &filled,
                                      "Nvidia's shares (NVDA) sank 16.97% on 2025-01-27; beyond "
                                      "what the market explains, that is an abnormal return of "
                                      "-14.72%.", &fx, 0), AS_OK);
    assert_true(pass);
    free(filled);
    assert_int_equal(slots_fill_check(&pass, &g, &filled,
                                      "Nvidia's shares (NVDA) sank 16.97% on 2025-01-27; beyond "
                                      "what the market explains, that is an abnormal return of "
                                      "-15.72%.", &fx, 0), AS_OK);
    assert_false(pass);
    free(filled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_many_sheets),
        cmocka_unit_test(test_fill_by_hand),
        cmocka_unit_test(test_bad_slot_fails),
        cmocka_unit_test(test_sentence_forms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
