/*
 * test_train_lm.c -- `aftershock model train` end to end on the tiny
 * corpora of tests/fixtures/corpus: a text corpus trains below a stated
 * loss and `aftershock model run` on the written GGUF continues one of its
 * documents; the metadata names the corpus and carries its sha256 as
 * coreutils' sha256sum computes it; documents longer than the context are
 * cut into windows; a jsonl corpus's held-out loss falls with training;
 * the corpus reader's two formats and its errors (file, line, field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/gguf.h"
#include "model/train_corpus.h"
#include "model/train_lm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *src_path(char *buf, size_t len, const char *rel)
{
    const char *src = getenv("AS_SRC_DIR");
    snprintf(buf, len, "%s/%s", src ? src : ".", rel);
    return buf;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
    const char *tmp = getenv("AS_TEST_TMP");
    snprintf(buf, len, "%s/%s-%ld", tmp ? tmp : "/tmp", name, (long)getpid());
}

/* The first line a shell command prints (without its newline). */
static void run_line(char *out, size_t len, const char *cmd)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    out[0] = '\0';
    if (!fgets(out, (int)len, f))
        out[0] = '\0';
    pclose(f);
    out[strcspn(out, "\n")] = '\0';
}

static void small_opts(train_lm_opts *o)
{
    train_lm_opts_default(o);
    o->vocab = 400;
    o->model.dim = 32;
    o->model.n_layers = 2;
    o->model.n_heads = 2;
    o->model.ffn_dim = 64;
    o->model.ctx = 64;
    o->steps = 150;
    o->warmup = 15;
    o->lr = 1e-2f;
    o->lr_min = 1e-3f;
}

static void test_text_corpus_trains_and_runs(void **state)
{
    (void)state;
    char corpus[1024], out[1024], cmd[4096], line[4096];
    train_lm_opts o;
    small_opts(&o);
    o.corpus = src_path(corpus, sizeof corpus, "tests/fixtures/corpus/tiny.txt");
    tmp_path(out, sizeof out, "lm.gguf");
    o.out = out;
    train_lm_report r;
    assert_int_equal(train_lm_run(&r, &o), AS_OK);
    /* ten paragraphs, 10% held out: the last one */
    assert_int_equal(r.format, TRAIN_CORPUS_TEXT);
    assert_int_equal(r.n_docs, 10);
    assert_int_equal(r.n_train_docs, 9);
    assert_int_equal(r.n_heldout_docs, 1);
    /* some documents are longer than ctx 64: cut into windows, none lost */
    assert_true(r.n_train_seqs > r.n_train_docs);
    assert_int_equal(r.n_skipped, 0);
    assert_int_equal(r.steps_done, 150);
    /* From ln 400 = 5.99 nats at the start, 150 steps of 8 sequences (about
     * 90 passes over 558 tokens) memorise the nine paragraphs: the last
     * batch's loss was 0.05 when this was written; 0.3 leaves room for
     * another BLAS's rounding and still means the text is learned. */
    print_message("final loss %.4f, held-out %.3f -> %.3f\n", (double)r.final_loss,
                  r.heldout_loss_before, r.heldout_loss);
    assert_true(r.final_loss < 0.3f);
    assert_true(isfinite(r.heldout_loss) && isfinite(r.heldout_loss_before));

    gguf_file *g;
    assert_int_equal(gguf_open(&g, out), AS_OK);
    gguf_str s;
    assert_int_equal(gguf_get_str(g, "aftershock.corpus", &s), AS_OK);
    assert_true(gguf_str_eq(s, "tiny.txt"));
    assert_int_equal(gguf_get_str(g, "aftershock.corpus_format", &s), AS_OK);
    assert_true(gguf_str_eq(s, "text"));
    char want[128];
    snprintf(cmd, sizeof cmd, "sha256sum '%s' | cut -d' ' -f1", corpus);
    run_line(want, sizeof want, cmd);
    assert_int_equal(gguf_get_str(g, "aftershock.corpus_sha256", &s), AS_OK);
    assert_true(gguf_str_eq(s, want));
    uint32_t u;
    assert_int_equal(gguf_get_u32(g, "aftershock.train_sequences", &u), AS_OK);
    assert_int_equal((int)u, r.n_train_seqs);
    float f;
    assert_int_equal(gguf_get_f32(g, "aftershock.heldout_loss", &f), AS_OK);
    assert_float_equal(f, r.heldout_loss, 1e-6);
    gguf_close(g);

    /* the engine runs it: greedy continuation of the first paragraph */
    const char *bin = getenv("AFTERSHOCK_BIN");
    snprintf(cmd, sizeof cmd, "'%s' model run '%s' -p 'The market model regresses' -n 12 -t 1",
             bin ? bin : "./aftershock", out);
    run_line(line, sizeof line, cmd);
    print_message("model run: '%s'\n", line);
    assert_non_null(strstr(line, "each stock's daily return"));
    unlink(out);
}

/* Every paragraph is held out or not by position alone; with --heldout 0
 * the file has no held-out keys. */
static void test_no_heldout(void **state)
{
    (void)state;
    char corpus[1024], out[1024];
    train_lm_opts o;
    small_opts(&o);
    o.steps = 2;
    o.heldout_pct = 0;
    o.corpus = src_path(corpus, sizeof corpus, "tests/fixtures/corpus/tiny.txt");
    tmp_path(out, sizeof out, "lm0.gguf");
    o.out = out;
    train_lm_report r;
    assert_int_equal(train_lm_run(&r, &o), AS_OK);
    assert_int_equal(r.n_train_docs, 10);
    assert_true(isnan(r.heldout_loss));
    gguf_file *g;
    assert_int_equal(gguf_open(&g, out), AS_OK);
    assert_null(gguf_find(g, "aftershock.heldout_loss"));
    assert_non_null(gguf_find(g, "aftershock.train_seconds"));
    gguf_close(g);
    unlink(out);
}

/* The completions share their form ("TICKER fell|rose X% on the day."), so
 * the held-out one's loss must fall from the untrained model's (5.8 nats
 * when this was written) by more than 0.2 (it fell to 5.3). */
static void test_jsonl_heldout_loss_falls(void **state)
{
    (void)state;
    char corpus[1024], out[1024];
    train_lm_opts o;
    small_opts(&o);
    o.vocab = 320;
    o.model.dim = 32;
    o.model.n_layers = 1;
    o.heldout_pct = 25;
    o.lr = 3e-3f;
    o.lr_min = 3e-4f;
    o.corpus = src_path(corpus, sizeof corpus, "tests/fixtures/corpus/tiny.jsonl");
    tmp_path(out, sizeof out, "lmj.gguf");
    o.out = out;
    train_lm_report r;
    assert_int_equal(train_lm_run(&r, &o), AS_OK);
    assert_int_equal(r.format, TRAIN_CORPUS_JSONL);
    assert_int_equal(r.n_docs, 4);
    assert_int_equal(r.n_heldout_docs, 1);
    print_message("jsonl held-out loss %.3f -> %.3f over %ld targets\n", r.heldout_loss_before,
                  r.heldout_loss, r.heldout_targets);
    /* "AMZN rose 0.24% on the day." and the closing <|endoftext|> */
    assert_true(r.heldout_targets > 5 && r.heldout_targets < 30);
    assert_true(r.heldout_loss < r.heldout_loss_before - 0.2);
    unlink(out);
}

static void test_corpus_formats(void **state)
{
    (void)state;
    char path[1024];
    train_corpus c;
    assert_int_equal(train_corpus_read(&c, src_path(path, sizeof path,
                                                    "tests/fixtures/corpus/tiny.txt"),
                                       TRAIN_CORPUS_AUTO),
                     AS_OK);
    assert_int_equal(c.format, TRAIN_CORPUS_TEXT);
    assert_int_equal(c.n, 10);
    assert_null(c.docs[0].prompt);
    assert_string_equal(c.docs[0].text,
                        "The market model regresses each stock's daily return on the index "
                        "return\nover an estimation window that ends ten sessions before the "
                        "event.");
    assert_int_equal(c.docs[1].line, 4);
    train_corpus_free(&c);
    assert_int_equal(train_corpus_read(&c, src_path(path, sizeof path,
                                                    "tests/fixtures/corpus/tiny.jsonl"),
                                       TRAIN_CORPUS_AUTO),
                     AS_OK);
    assert_int_equal(c.format, TRAIN_CORPUS_JSONL);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.docs[2].prompt, "ticker=META ret0=1.91");
    assert_string_equal(c.docs[2].text, "META rose 1.91% on the day.");
    assert_int_equal(c.docs[2].line, 4); /* the blank line 3 is skipped */
    train_corpus_free(&c);
    /* the same file read as text: one paragraph of four lines */
    assert_int_equal(train_corpus_read(&c, path, TRAIN_CORPUS_TEXT), AS_OK);
    assert_int_equal(c.n, 2);
    train_corpus_free(&c);

    /* CRLF line ends and blank lines of spaces */
    char tmp[1024];
    tmp_path(tmp, sizeof tmp, "crlf.txt");
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    fputs("a b\r\nc d\r\n \t\r\n\r\ne f\r\n", f);
    fclose(f);
    assert_int_equal(train_corpus_read(&c, tmp, TRAIN_CORPUS_AUTO), AS_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.docs[0].text, "a b\nc d");
    assert_string_equal(c.docs[1].text, "e f");
    assert_int_equal(c.docs[1].line, 5);
    train_corpus_free(&c);
    /* a UTF-16 surrogate (U+D800 written as 0xED 0xA0 0x80) is not UTF-8 */
    f = fopen(tmp, "wb");
    assert_non_null(f);
    fputs("ok\n\xed\xa0\x80\n", f);
    fclose(f);
    assert_int_equal(train_corpus_read(&c, tmp, TRAIN_CORPUS_AUTO), AS_ERR_PARSE);
    assert_non_null(strstr(as_last_error(), "line 2: field 'text': not UTF-8 (byte 0xed)"));
    unlink(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_formats),
        cmocka_unit_test(test_text_corpus_trains_and_runs),
        cmocka_unit_test(test_no_heldout),
        cmocka_unit_test(test_jsonl_heldout_loss_falls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
