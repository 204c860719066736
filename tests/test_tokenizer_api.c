/*
 * test_tokenizer_api.c -- the tokenizer on small vocabularies built by hand
 * through tokenizer_new(), where every expected id below is worked out by
 * hand from the rules of llama.cpp's llm_tokenizer_spm / llm_tokenizer_bpe
 * (the working is in the comments), plus the errors bad input must give.
 * Needs no files.  The real vocabularies are in test_tokenizer_vectors.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer.h"
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

#define S(lit) ((gguf_str){lit, sizeof(lit) - 1})

/* ---- a SentencePiece vocabulary ----------------------------------------
 * 0 <unk>, 1 <s>, 2 </s>, 3+b <0xBB> for every byte b (3..258), then
 * 259 "▁" -5, 260 "a" -5, 261 "b" -5, 262 "ab" -1, 263 "▁a" -2,
 * 264 "▁b" -1, 265 "<tool>" (user-defined), 266 "▁ab" -3. */
#define SPM_N 267
static gguf_str spm_tokens[SPM_N];
static float spm_scores[SPM_N];
static int32_t spm_types[SPM_N];
static char spm_bytes[256][7];

static tokenizer *spm_new(int with_ab_prefix)
{
    spm_tokens[0] = S("<unk>");
    spm_types[0] = TOKEN_TYPE_UNKNOWN;
    spm_tokens[1] = S("<s>");
    spm_types[1] = TOKEN_TYPE_CONTROL;
    spm_tokens[2] = S("</s>");
    spm_types[2] = TOKEN_TYPE_CONTROL;
    for (int b = 0; b < 256; b++) {
        snprintf(spm_bytes[b], sizeof spm_bytes[b], "<0x%02X>", b);
        spm_tokens[3 + b] = (gguf_str){spm_bytes[b], 6};
        spm_types[3 + b] = TOKEN_TYPE_BYTE;
    }
    static const struct { gguf_str s; float score; int type; } rest[] = {
        {{"\xe2\x96\x81", 3}, -5, TOKEN_TYPE_NORMAL},   {{"a", 1}, -5, TOKEN_TYPE_NORMAL},
        {{"b", 1}, -5, TOKEN_TYPE_NORMAL},              {{"ab", 2}, -1, TOKEN_TYPE_NORMAL},
        {{"\xe2\x96\x81" "a", 4}, -2, TOKEN_TYPE_NORMAL}, {{"\xe2\x96\x81" "b", 4}, -1, TOKEN_TYPE_NORMAL},
        {{"<tool>", 6}, 0, TOKEN_TYPE_USER_DEFINED},     {{"\xe2\x96\x81" "ab", 5}, -3, TOKEN_TYPE_NORMAL},
    };
    for (int i = 0; i < 8; i++) {
        spm_tokens[259 + i] = rest[i].s;
        spm_scores[259 + i] = rest[i].score;
        spm_types[259 + i] = rest[i].type;
    }
    tokenizer_desc d = {
        .source = "hand-spm", .model = "llama", .n_tokens = with_ab_prefix ? SPM_N : SPM_N - 1,
        .tokens = spm_tokens, .scores = spm_scores, .types = spm_types,
        .bos_id = 1, .eos_id = 2, .unk_id = 0, .eot_id = -1, .eom_id = -1, .pad_id = -1,
        .add_bos = -1, .add_eos = -1, .add_space_prefix = -1,
    };
    tokenizer *t = NULL;
    assert_int_equal(tokenizer_new(&t, &d), AS_OK);
    return t;
}

static void expect_ids(const tokenizer *t, const char *text, unsigned flags, const int32_t *want, int n_want)
{
    int32_t ids[64];
    int n = -1;
    assert_int_equal(tokenizer_encode(ids, 64, &n, t, text, strlen(text), flags), AS_OK);
    if (n != n_want) {
        printf("'%s': got %d ids:", text, n);
        for (int i = 0; i < n; i++)
            printf(" %d", ids[i]);
        printf("\n");
    }
    assert_int_equal(n, n_want);
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
}

#define EXPECT(t, text, flags, ...)                                                    \
    do {                                                                               \
        static const int32_t w_[] = {__VA_ARGS__};                                     \
        expect_ids(t, text, flags, w_, (int)(sizeof w_ / sizeof w_[0]));               \
    } while (0)

static void test_spm_merges_by_score(void **state)
{
    (void)state;
    tokenizer *t = spm_new(1);
    /* "ab" -> "▁ab": pairs "▁a" (-2) and "ab" (-1); "ab" wins, then "▁"+"ab"
     * = "▁ab" (-3) is a token and merges: [BOS, 266]. */
    EXPECT(t, "ab", TOKENIZER_ADD_SPECIAL, 1, 266);
    /* "ba" -> "▁ba": "▁b" (-1) merges, "▁ba" is no token: [264, 260]. */
    EXPECT(t, "ba", 0, 264, 260);
    tokenizer_free(t);

    t = spm_new(0);   /* without "▁ab" the merge stops at [▁][ab] */
    EXPECT(t, "ab", 0, 259, 262);
    tokenizer_free(t);
}

static void test_spm_byte_fallback(void **state)
{
    (void)state;
    tokenizer *t = spm_new(1);
    /* "d" is no token: "▁" then <0x64> = 3 + 100 */
    EXPECT(t, "d", 0, 259, 103);
    /* "é" = C3 A9: one symbol, no token, so two byte tokens 3+0xC3, 3+0xA9 */
    EXPECT(t, "\xc3\xa9", 0, 259, 198, 172);
    /* empty text: nothing, or just BOS */
    EXPECT(t, "", TOKENIZER_ADD_SPECIAL, 1);
    tokenizer_free(t);
}

static void test_spm_special_tokens(void **state)
{
    (void)state;
    tokenizer *t = spm_new(1);
    /* parsed: each raw piece after a special token gets its own "▁" */
    EXPECT(t, "a<s>b", TOKENIZER_ADD_SPECIAL | TOKENIZER_PARSE_SPECIAL, 1, 263, 1, 264);
    /* not parsed: "<", "s", ">" are no tokens -> bytes 3+0x3C, 3+0x73, 3+0x3E */
    EXPECT(t, "a<s>b", 0, 263, 63, 118, 65, 261);
    /* user-defined tokens are cut out even without PARSE_SPECIAL */
    EXPECT(t, "a<tool>", 0, 263, 265);
    tokenizer_free(t);
}

static void test_spm_decode(void **state)
{
    (void)state;
    tokenizer *t = spm_new(1);
    char buf[64];
    size_t len;
    static const int32_t ids[] = {1, 263, 1, 264, 103, 198, 172};
    /* BOS dropped, then no space is stripped: " a" + " b" + "d" + "é" */
    assert_int_equal(tokenizer_decode(buf, sizeof buf, &len, t, ids, 7, TOKENIZER_ADD_SPECIAL), AS_OK);
    assert_string_equal(buf, " a b" "d" "\xc3\xa9");
    /* control tokens rendered on request; the first piece loses its space */
    assert_int_equal(tokenizer_decode(buf, sizeof buf, &len, t, ids + 1, 3, TOKENIZER_PARSE_SPECIAL), AS_OK);
    assert_string_equal(buf, "a<s> b");
    /* too small: AS_ERR_RANGE and the size needed */
    assert_int_equal(tokenizer_decode(buf, 3, &len, t, ids + 1, 3, TOKENIZER_PARSE_SPECIAL), AS_ERR_RANGE);
    assert_int_equal(len, 6);
    size_t pl;
    const char *p = tokenizer_decode_piece(&pl, t, 1, 0);
    assert_int_equal(pl, 0);
    p = tokenizer_decode_piece(&pl, t, 3 + 0x41, 0);
    assert_int_equal(pl, 1);
    assert_int_equal(p[0], 'A');
    assert_true(tokenizer_is_eog(t, 2));
    assert_false(tokenizer_is_eog(t, 1));
    assert_int_equal(tokenizer_find(t, "ab", 2), 262);
    assert_int_equal(tokenizer_find(t, "zz", 2), -1);
    tokenizer_free(t);
}

static void test_encode_buffer_too_small(void **state)
{
    (void)state;
    tokenizer *t = spm_new(1);
    int32_t ids[2];
    int n = 0;
    /* [BOS, 259, 198, 172] needs 4 */
    assert_int_equal(tokenizer_encode(ids, 2, &n, t, "\xc3\xa9", 2, TOKENIZER_ADD_SPECIAL), AS_ERR_RANGE);
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 259);
    tokenizer_free(t);
}

/* ---- a byte-level BPE vocabulary -----------------------------------------
 * ids 0..255: the character GPT-2's bytes_to_unicode gives byte b (so "a"
 * is 97 and "Ġ", the space, is 32); 256 "ab", 257 "Ġa", 258 "Ġab",
 * 259 "ĠĠ", 260 "<|end|>" (control).  Merges by rank:
 * 0 "a b", 1 "Ġ a", 2 "Ġ ab", 3 "Ġ Ġ". */
#define BPE_N 261
static gguf_str bpe_tokens[BPE_N];
static int32_t bpe_types[BPE_N];
static char bpe_chars[256][4];

static tokenizer *bpe_new(const char *pre, const gguf_str *merges, size_t n_merges)
{
    for (int b = 0; b < 256; b++) {
        size_t n = tok_byte_to_utf8(bpe_chars[b], (unsigned char)b);
        bpe_tokens[b] = (gguf_str){bpe_chars[b], n};
        bpe_types[b] = TOKEN_TYPE_NORMAL;
    }
    bpe_tokens[256] = S("ab");
    bpe_tokens[257] = S("\xc4\xa0" "a");
    bpe_tokens[258] = S("\xc4\xa0" "ab");
    bpe_tokens[259] = S("\xc4\xa0\xc4\xa0");
    bpe_tokens[260] = S("<|end|>");
    for (int i = 256; i < BPE_N; i++)
        bpe_types[i] = i == 260 ? TOKEN_TYPE_CONTROL : TOKEN_TYPE_NORMAL;
    tokenizer_desc d = {
        .source = "hand-bpe", .model = "gpt2", .pre = pre, .n_tokens = BPE_N, .tokens = bpe_tokens,
        .types = bpe_types, .n_merges = n_merges, .merges = merges,
        .bos_id = -1, .eos_id = 260, .unk_id = -1, .eot_id = -1, .eom_id = -1, .pad_id = -1,
        .add_bos = -1, .add_eos = -1, .add_space_prefix = -1,
    };
    tokenizer *t = NULL;
    assert_int_equal(tokenizer_new(&t, &d), AS_OK);
    return t;
}

static const gguf_str bpe_merges[] = {
    {"a b", 3}, {"\xc4\xa0 a", 4}, {"\xc4\xa0 ab", 5}, {"\xc4\xa0 \xc4\xa0", 5},
};

static void test_bpe_merges_by_rank(void **state)
{
    (void)state;
    tokenizer *t = bpe_new("gpt-2", bpe_merges, 4);
    /* " ab" is one word "Ġab": pairs (Ġ,a) rank 1 and (a,b) rank 0; "ab"
     * first, then (Ġ,ab) rank 2 -> 258 */
    EXPECT(t, " ab", 0, 258);
    /* "a  b": words "a", " ", " b" (\s+(?!\S) leaves the last space to the
     * word after it), so the two spaces never meet as "ĠĠ" */
    EXPECT(t, "a  b", 0, 97, 32, 32, 98);
    /* at the end of the text both spaces are one word: "ĠĠ" -> 259 */
    EXPECT(t, "a  ", 0, 97, 259);
    /* control token parsed or spelled out ("<", "|", "end", "|", ">" are
     * one gpt-2 word of punctuation then letters: "<|", "end", "|>") */
    EXPECT(t, "ab<|end|>", TOKENIZER_PARSE_SPECIAL, 256, 260);
    EXPECT(t, "<|end|>", 0, '<', '|', 'e', 'n', 'd', '|', '>');
    size_t len;
    char buf[32];
    static const int32_t ids[] = {258, 32, 260};
    assert_int_equal(tokenizer_decode(buf, sizeof buf, &len, t, ids, 3, 0), AS_OK);
    assert_string_equal(buf, " ab ");   /* control token hidden, no space stripped */
    assert_true(tokenizer_is_eog(t, 260));
    tokenizer_free(t);
}

static void test_bpe_no_merges_gives_chars(void **state)
{
    (void)state;
    tokenizer *t = bpe_new("qwen2", NULL, 0);
    /* "é" = C3 A9 -> characters of bytes 0xC3 and 0xA9, ids 0xC3 and 0xA9 */
    EXPECT(t, "\xc3\xa9", 0, 0xc3, 0xa9);
    /* a lone continuation byte is broken UTF-8: U+FFFD = EF BF BD */
    EXPECT(t, "\x80", 0, 0xef, 0xbf, 0xbd);
    tokenizer_free(t);
}

/* Word lengths (in codepoints) of the three pre-tokenizers, by hand from
 * their regexes (see tokenizer_pre.c). */
static void check_split(enum tok_pre pre, const char *text, const size_t *want, size_t n_want)
{
    uint32_t cps[64];
    unsigned char cls[64];
    size_t lens[64], n = 0;
    for (size_t i = 0; text[i]; i++, n++) {
        cps[n] = (unsigned char)text[i];   /* ASCII only here */
        cls[n] = (unsigned char)unicode_cpt_class(cps[n]);
    }
    size_t nw = tok_pre_split(lens, pre, cps, cls, n);
    assert_int_equal(nw, n_want);
    for (size_t i = 0; i < nw; i++)
        assert_int_equal(lens[i], want[i]);
}

#define SPLIT(pre, text, ...)                                                          \
    do {                                                                               \
        static const size_t w_[] = {__VA_ARGS__};                                      \
        check_split(pre, text, w_, sizeof w_ / sizeof w_[0]);                          \
    } while (0)

static void test_pre_tokenizers(void **state)
{
    (void)state;
    /* gpt-2: "I" "'ve" " 12345" "!!" "\n\n" ; numbers are not cut */
    SPLIT(TOK_PRE_GPT2, "I've 12345!!\n\n", 1, 3, 6, 2, 2);
    /* gpt-2 contractions are lower case only: "'VE" is "'" then "VE" */
    SPLIT(TOK_PRE_GPT2, "I'VE", 1, 1, 2);
    /* llama-bpe: case-insensitive contractions, numbers in threes,
     * "!!\n\n" keeps its newlines */
    SPLIT(TOK_PRE_LLAMA3, "I'VE 12345!!\n\n", 1, 3, 1, 3, 2, 4);
    /* qwen2: one digit per word */
    SPLIT(TOK_PRE_QWEN2, "x 123", 1, 1, 1, 1, 1);
    /* llama-bpe: a non-letter in front of letters joins them ("$abc");
     * spaces up to the last newline are one word, " x" the next */
    SPLIT(TOK_PRE_LLAMA3, "$abc  \n x", 4, 3, 2);
}

/* ---- bad input --------------------------------------------------------- */

static void test_bad_descriptions(void **state)
{
    (void)state;
    tokenizer *t = (tokenizer *)1;
    static const gguf_str toks[] = {{"a", 1}, {"b", 1}};
    tokenizer_desc d = {
        .source = "x.gguf", .model = "bert", .n_tokens = 2, .tokens = toks,
        .bos_id = -1, .eos_id = -1, .unk_id = -1, .eot_id = -1, .eom_id = -1, .pad_id = -1,
        .add_bos = -1, .add_eos = -1, .add_space_prefix = -1,
    };
    assert_int_equal(tokenizer_new(&t, &d), AS_ERR_UNSUPPORTED);
    assert_null(t);
    assert_non_null(strstr(as_last_error(), "'x.gguf': tokenizer.ggml.model 'bert'"));

    d.model = "gpt2";
    d.pre = "falcon";
    assert_int_equal(tokenizer_new(&t, &d), AS_ERR_UNSUPPORTED);
    assert_non_null(strstr(as_last_error(), "tokenizer.ggml.pre 'falcon'"));

    static const gguf_str bad_merge[] = {{"a b", 3}, {"ab", 2}};
    d.pre = "gpt-2";
    d.merges = bad_merge;
    d.n_merges = 2;
    assert_int_equal(tokenizer_new(&t, &d), AS_ERR_FORMAT);
    assert_string_equal(as_last_error(), "'x.gguf': tokenizer.ggml.merges[1]: 'ab' is not \"left right\"");

    d.n_merges = 1;
    d.eos_id = 2;
    assert_int_equal(tokenizer_new(&t, &d), AS_ERR_FORMAT);
    assert_string_equal(as_last_error(),
                        "'x.gguf': tokenizer.ggml.eos_token_id: id 2 is outside the vocabulary of 2 tokens");

    /* SPM asks for BOS by default; without an id that is an error */
    d.model = "llama";
    d.eos_id = -1;
    assert_int_equal(tokenizer_new(&t, &d), AS_ERR_FORMAT);
    assert_non_null(strstr(as_last_error(), "asks for BOS"));

    static const gguf_str bytetok[] = {{"<0xZZ>", 6}, {"<s>", 3}};
    static const int32_t types[] = {TOKEN_TYPE_BYTE, TOKEN_TYPE_CONTROL};
    d.tokens = bytetok;
    d.types = types;
    d.bos_id = 1;
    assert_int_equal(tokenizer_new(&t, &d), AS_ERR_FORMAT);
    assert_string_equal(as_last_error(), "'x.gguf': tokenizer.ggml.tokens[0]: byte token '<0xZZ>' is not <0xXX>");
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spm_merges_by_score),
        cmocka_unit_test(test_spm_byte_fallback),
        cmocka_unit_test(test_spm_special_tokens),
        cmocka_unit_test(test_spm_decode),
        cmocka_unit_test(test_encode_buffer_too_small),
        cmocka_unit_test(test_bpe_merges_by_rank),
        cmocka_unit_test(test_bpe_no_merges_gives_chars),
        cmocka_unit_test(test_pre_tokenizers),
        cmocka_unit_test(test_bad_descriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
