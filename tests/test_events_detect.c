/*
 * test_events_detect.c -- announcement scoring and clustering on the
 * labelled set tests/fixtures/labelled_news.tsv (114 items: the 26 real
 * DeepSeek headlines of ../shared/data/news, copied with provenance, plus
 * items we wrote; labelling rule in labelled_news.md) and on the held-out
 * set labelled_news_holdout.tsv (24 items never used to tune the lexicon).
 *
 * The labels are the reference: they were assigned by reading each item, not
 * by running the scorer.  Precision and recall are printed for the whole set
 * and for the real items alone, and must both reach 0.85 (in-sample: the
 * lexicon was written while reading these items).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/announce.h"
#include "analytics/calendar.h"
#include "analytics/cluster.h"

#define MAX_ITEMS 128

typedef struct labelled {
    news_item item[MAX_ITEMS];
    int label[MAX_ITEMS];
    int real[MAX_ITEMS];
    char *key[MAX_ITEMS];
    char *line[MAX_ITEMS]; /* owned line buffers the fields point into */
    size_t n;
} labelled;

static labelled set, holdout, holdout2;
static lexicon *lex;
static trading_calendar cal;

static const char *src_dir(void)
{
    const char *d = getenv("AS_SRC_DIR");
    return d ? d : ".";
}

static time_t iso_utc(const char *s)
{
    struct tm tm = {0};
    char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    assert_non_null(end);
    assert_int_equal(*end, '\0');
    return timegm(&tm);
}

/* Split a TSV line into exactly n fields (in place). */
static void tsv_split(char *line, char **f, int n)
{
    line[strcspn(line, "\n")] = '\0';
    for (int i = 0; i < n; i++) {
        f[i] = line;
        char *tab = strchr(line, '\t');
        if (i < n - 1) {
            assert_non_null(tab);
            *tab = '\0';
            line = tab + 1;
        } else {
            assert_null(tab);
        }
    }
}

static void set_load(labelled *set_out, const char *name)
{
    labelled *ls = set_out;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", src_dir(), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&buf, &cap, f) >= 0) {
        if (lineno++ == 0)
            continue; /* header */
        assert_true(ls->n < MAX_ITEMS);
        size_t i = ls->n++;
        ls->line[i] = strdup(buf);
        char *fld[9];
        tsv_split(ls->line[i], fld, 9);
        ls->key[i] = fld[0];
        ls->label[i] = strcmp(fld[1], "1") == 0;
        ls->real[i] = strcmp(fld[8], "real") == 0;
        ls->item[i] = (news_item){
            .id = (long long)i + 1,
            .published_at = iso_utc(fld[2]),
            .language = fld[3],
            .source = fld[4],
            .url = fld[5],
            .title = fld[6],
            .summary = fld[7],
        };
    }
    free(buf);
    fclose(f);
}

static void calendar_load(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/spy_sessions_2024-11_2025-03.txt", src_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int days[512];
    size_t n = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        assert_int_equal(calendar_parse_date(&days[n], line), AS_OK);
        n++;
    }
    fclose(f);
    assert_int_equal(calendar_from_days(&cal, days, n), AS_OK);
}

static int setup(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/lexicon", src_dir());
    if (lexicon_load(&lex, dir) != AS_OK) {
        fprintf(stderr, "lexicon: %s\n", as_last_error());
        return -1;
    }
    set_load(&set, "labelled_news.tsv");
    set_load(&holdout, "labelled_news_holdout.tsv");
    set_load(&holdout2, "labelled_news_holdout2.tsv");
    calendar_load();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lexicon_free(lex);
    calendar_free(&cal);
    for (size_t i = 0; i < set.n; i++)
        free(set.line[i]);
    for (size_t i = 0; i < holdout.n; i++)
        free(holdout.line[i]);
    for (size_t i = 0; i < holdout2.n; i++)
        free(holdout2.line[i]);
    return 0;
}

static size_t key_index(const char *key)
{
    for (size_t i = 0; i < set.n; i++)
        if (strcmp(set.key[i], key) == 0)
            return i;
    fail_msg("no item %s", key);
    return 0;
}

static void test_labelled_set_shape(void **state)
{
    (void)state;
    size_t pos = 0, real = 0;
    for (size_t i = 0; i < set.n; i++) {
        pos += (size_t)set.label[i];
        real += (size_t)set.real[i];
    }
    assert_int_equal(set.n, 114);
    assert_int_equal(real, 26); /* every real headline of ../shared/data/news */
    assert_true(set.n - pos >= pos); /* at least as many negatives as positives */
}

static void precision_recall(const labelled *ls, int real_only, const char *what,
                             double *precision, double *recall)
{
    int tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < ls->n; i++) {
        if (real_only && !ls->real[i])
            continue;
        announce_result r;
        assert_int_equal(announce_score(&r, &ls->item[i], lex, ANNOUNCE_THRESHOLD), AS_OK);
        if (r.is_announcement != ls->label[i])
            printf("  miss %s label %d score %.0f: %s\n", ls->key[i], ls->label[i], r.score,
                   ls->item[i].title);
        tp += r.is_announcement && ls->label[i];
        fp += r.is_announcement && !ls->label[i];
        fn += !r.is_announcement && ls->label[i];
        announce_result_free(&r);
    }
    *precision = tp + fp ? (double)tp / (tp + fp) : 0;
    *recall = tp + fn ? (double)tp / (tp + fn) : 0;
    printf("%s: tp %d fp %d fn %d precision %.3f recall %.3f\n", what, tp, fp, fn, *precision,
           *recall);
}

static void test_precision_recall(void **state)
{
    (void)state;
    double p, r;
    precision_recall(&set, 0, "all items", &p, &r);
    /* stated thresholds: both >= 0.85 on the whole set and on the real items */
    assert_true(p >= 0.85);
    assert_true(r >= 0.85);
    precision_recall(&set, 1, "real items", &p, &r);
    assert_true(p >= 0.85);
    assert_true(r >= 0.85);
}

/* labelled_news_holdout.tsv: 24 items (12 positive) written after the
 * lexicon (v3) was frozen and never used to tune it.  Out of sample the
 * lexicon has been precise but misses unseen wordings: v1 scored precision
 * 1.00, recall 0.42 on its held-out items (h01-h24) and v2 precision 1.00,
 * recall 0.17 on its own (g01-g24); both sets then joined the tuning set.
 * The floors here, precision >= 0.70 and recall >= 0.33, were fixed before
 * the first run on these items: a regression guard, not a target.  v3:
 * precision 1.00, recall 0.50.  v4 was written after reading v3's misses
 * here (and on the tuning set), so its 0.83 on this set is in sample; the
 * out-of-sample figure is held-out set 2's below. */
static void test_precision_recall_holdout(void **state)
{
    (void)state;
    double p, r;
    assert_int_equal(holdout.n, 24);
    precision_recall(&holdout, 0, "held-out items", &p, &r);
    assert_true(p >= 0.70);
    assert_true(r >= 0.33);
}

/* labelled_news_holdout2.tsv: 24 items (12 positive, m01-m12; negatives
 * m13-m24), written and committed before lexicon v4, never used to tune it.
 * (The first held-out set's misses were read while writing v4, so that set
 * is no longer out of sample; this one is.)  Lexicon v3 scored it precision
 * 1.00, recall 0.25 (3 of 12); the floors are that baseline: a regression
 * guard, not a target.  v4: precision 1.00, recall 0.58 (7 of 12). */
static void test_precision_recall_holdout2(void **state)
{
    (void)state;
    double p, r;
    assert_int_equal(holdout2.n, 24);
    precision_recall(&holdout2, 0, "held-out set 2", &p, &r);
    assert_true(p >= 0.70);
    assert_true(r >= 0.25);
}

static int term_has(const announce_result *r, const char *term)
{
    for (size_t i = 0; i < r->n_terms; i++)
        if (strcmp(r->terms[i], term) == 0)
            return 1;
    return 0;
}

static const announce_ticker *ticker_of(const announce_result *r, const char *t)
{
    for (size_t i = 0; i < r->n_tickers; i++)
        if (strcmp(r->tickers[i].ticker, t) == 0)
            return &r->tickers[i];
    return NULL;
}

/* CNBC, r07: "Nvidia drops nearly 17% as China's cheaper AI model DeepSeek
 * sparks global tech sell-off".  By hand from the lexicon: cheaper ai 35 +
 * cheaper 20 + ai model 10 + sell off 15 + DeepSeek 40 + NVIDIA 0 = 120,
 * clamped to 100. */
static void test_score_cnbc_by_hand(void **state)
{
    (void)state;
    announce_result r;
    assert_int_equal(announce_score(&r, &set.item[key_index("r07")], lex, ANNOUNCE_THRESHOLD),
                     AS_OK);
    assert_float_equal(r.score, 100.0, 1e-12); /* sum of integers: exact */
    assert_int_equal(r.n_terms, 6);
    assert_true(term_has(&r, "en:cheaper ai"));
    assert_true(term_has(&r, "en:cheaper"));
    assert_true(term_has(&r, "en:ai model"));
    assert_true(term_has(&r, "en:sell off"));
    assert_true(term_has(&r, "entity:DeepSeek"));
    assert_true(term_has(&r, "entity:NVIDIA"));
    assert_true(r.is_announcement);
    assert_int_equal(r.direction, -1);
    const announce_ticker *t = ticker_of(&r, "NVDA");
    assert_non_null(t);
    assert_int_equal(t->relevance, 100); /* named in the title */
    assert_int_equal(t->direction, -1);
    announce_result_free(&r);
}

/* Reuters on power names, r10: plummet* 15 + demand doubts 20 + DeepSeek 40 +
 * power stocks 5 = 80; VST and CEG appear by symbol in the summary (60) and
 * through the group in the title (40): 60 wins. */
static void test_score_power_by_hand(void **state)
{
    (void)state;
    announce_result r;
    assert_int_equal(announce_score(&r, &set.item[key_index("r10")], lex, ANNOUNCE_THRESHOLD),
                     AS_OK);
    assert_float_equal(r.score, 80.0, 1e-12);
    for (int k = 0; k < 2; k++) {
        const announce_ticker *t = ticker_of(&r, k ? "CEG" : "VST");
        assert_non_null(t);
        assert_int_equal(t->relevance, 60);
        assert_int_equal(t->direction, -1);
    }
    announce_result_free(&r);
}

/* The DeepSeek-R1 seed, r01, in Chinese with an English gloss, and our Polish
 * translation w06: both are announcements on Chinese / Polish terms. */
static void test_score_chinese_and_polish(void **state)
{
    (void)state;
    announce_result r;
    assert_int_equal(announce_score(&r, &set.item[key_index("r01")], lex, ANNOUNCE_THRESHOLD),
                     AS_OK);
    assert_true(r.is_announcement);
    assert_true(term_has(&r, "zh:开源"));
    assert_true(term_has(&r, "zh:模型权重"));
    announce_result_free(&r);
    assert_int_equal(announce_score(&r, &set.item[key_index("w06")], lex, ANNOUNCE_THRESHOLD),
                     AS_OK);
    assert_true(r.is_announcement);
    assert_true(term_has(&r, "pl:otwart* wag*"));
    assert_true(term_has(&r, "pl:licencj* mit"));
    announce_result_free(&r);
    /* a Polish earnings story is not */
    assert_int_equal(announce_score(&r, &set.item[key_index("w35")], lex, ANNOUNCE_THRESHOLD),
                     AS_OK);
    assert_false(r.is_announcement);
    assert_int_equal(r.direction, 0);
    for (size_t i = 0; i < r.n_tickers; i++)
        assert_int_equal(r.tickers[i].direction, 0);
    announce_result_free(&r);
}

static int event_has(const news_event *e, const news_item *items, long long id)
{
    for (size_t k = 0; k < e->n_stories; k++)
        if (items[e->stories[k]].id == id)
            return 1;
    return 0;
}

static void day_expect(int day, const char *want)
{
    char buf[11];
    calendar_format_date(buf, day);
    assert_string_equal(buf, want);
}

/* Clustering the 26 real items: R1 (Monday 2025-01-20, a market holiday) is
 * its own event on session 2025-01-21; the market rout of 2025-01-27 gathers
 * the DeepSeek coverage of 01-27..01-29. */
static void test_cluster_real_items(void **state)
{
    (void)state;
    news_item items[26];
    announce_result res[26];
    size_t n = 0;
    for (size_t i = 0; i < set.n; i++)
        if (set.real[i])
            items[n++] = set.item[i];
    assert_int_equal(n, 26);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(announce_score(&res[i], &items[i], lex, ANNOUNCE_THRESHOLD), AS_OK);
    news_event *ev;
    size_t n_ev;
    cluster_params p = CLUSTER_PARAMS_DEFAULT;
    assert_int_equal(cluster_build(&ev, &n_ev, items, res, n, lex, &cal, &p), AS_OK);
    long long r01 = set.item[key_index("r01")].id, r03 = set.item[key_index("r03")].id;
    const news_event *r1 = NULL, *rout = NULL;
    for (size_t e = 0; e < n_ev; e++) {
        printf("event %zu: session ", e);
        char buf[11];
        calendar_format_date(buf, ev[e].session_day);
        printf("%s, %zu stories, score %.0f, first: %s\n", buf, ev[e].n_stories, ev[e].score,
               items[ev[e].stories[0]].title);
        if (event_has(&ev[e], items, r01))
            r1 = &ev[e];
        if (!rout || ev[e].n_stories > rout->n_stories)
            rout = &ev[e];
    }
    assert_non_null(r1);
    assert_int_equal(r1->n_stories, 1);
    day_expect(r1->session_day, "2025-01-21");
    assert_float_equal(r1->novelty[0], 100.0, 1e-12);

    day_expect(rout->session_day, "2025-01-27");
    assert_int_equal(items[rout->stories[0]].id, r03); /* earliest, then file order */
    assert_int_equal(rout->n_stories, 14);
    assert_float_equal(rout->novelty[0], 100.0, 1e-12);
    for (size_t k = 1; k < rout->n_stories; k++)
        assert_true(rout->novelty[k] < rout->novelty[k - 1]);
    /* r08 (2025-01-27T16:08Z) is the 7th story (k = 6), 16.1333 h after the
     * first: 100 * 0.5^(16.1333/24) * 0.9^6 = 33.35001272757726 (Python,
     * same formula); 1e-9 covers pow()'s last-bit differences. */
    for (size_t k = 0; k < rout->n_stories; k++)
        if (items[rout->stories[k]].id == set.item[key_index("r08")].id) {
            assert_int_equal(k, 6);
            assert_float_equal(rout->novelty[k], 33.35001272757726, 1e-9);
        }
    /* r16 (2025-01-27T21:56Z = 16:56 New York) is after the close: its own
     * session is 01-28 although its event's is 01-27 */
    for (size_t k = 0; k < rout->n_stories; k++)
        if (items[rout->stories[k]].id == set.item[key_index("r16")].id)
            day_expect(rout->session[k], "2025-01-28");
    cluster_free(ev, n_ev);
    for (size_t i = 0; i < n; i++)
        announce_result_free(&res[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelled_set_shape),
        cmocka_unit_test(test_precision_recall),
        cmocka_unit_test(test_precision_recall_holdout),
        cmocka_unit_test(test_precision_recall_holdout2),
        cmocka_unit_test(test_score_cnbc_by_hand),
        cmocka_unit_test(test_score_power_by_hand),
        cmocka_unit_test(test_score_chinese_and_polish),
        cmocka_unit_test(test_cluster_real_items),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
