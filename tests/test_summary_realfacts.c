/*
 * test_summary_realfacts.c -- the committed real fact sheets
 * (the files data/factsheets/DATE.txt, the distillation corpus's real studies) are what
 * the project's code makes from the bundled demo data: the demo data
 * loaded into a throwaway database through the real ingest code, the
 * news of the week up to 2025-01-27 scored and clustered as the demo's
 * nightly run does (events_detect from 2025-01-20), then each file's
 * session built by factsheet_load_event() (its study run first) and
 * written in the text form must equal the file byte for byte.  A change
 * in the study, the detection or the sheet format that moves a number
 * shows here; data/tools/factsheets.sh rewrites the files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "analytics/events.h"
#include "common/db.h"
#include "common/file.h"
#include "model/factsheet.h"
#include "model/factsheet_db.h"
#include "tests/support/demodata.h"
#include "tests/support/testdb.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char conninfo[4096];
static PGconn *db;

static int setup(void **state)
{
    (void)state;
    if (testdb_create(conninfo, sizeof conninfo, "realfacts") <= 0)
        return 0;
    if (db_connect(&db, conninfo, 0) != AS_OK || demodata_load(db) != 0) {
        fprintf(stderr, "setup: %s\n", as_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(db);
    if (conninfo[0])
        testdb_drop(conninfo);
    return 0;
}

static void test_sheets_match_the_code(void **state)
{
    (void)state;
    if (!db) {
        printf("skip: AS_TEST_DB is not set (run through tests/run.sh)\n");
        skip();
    }
    lexicon *lex;
    assert_int_equal(lexicon_load(&lex, testdb_src_path("data/lexicon")), AS_OK);
    events_options eo = {.market = "SPY", .from = "2025-01-20", .to = "2025-01-27",
                         .threshold = ANNOUNCE_THRESHOLD, .cluster = CLUSTER_PARAMS_DEFAULT};
    events_summary es;
    assert_int_equal(events_detect(&es, db, &eo, lex), AS_OK);
    lexicon_free(lex);
    const char *dir = testdb_src_path("data/factsheets");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l != 14 || strcmp(de->d_name + 10, ".txt") != 0)
            continue;
        char date[11], path[2048];
        memcpy(date, de->d_name, 10);
        date[10] = '\0';
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *want;
        assert_int_equal(file_read_all(&want, NULL, path), AS_OK);
        factsheet fs;
        factsheet_db_info info;
        if (factsheet_load_event(&fs, &info, db, date) != AS_OK)
            fail_msg("%s: %s", date, as_last_error());
        char *got = factsheet_write(&fs);
        assert_non_null(got);
        if (strcmp(got, want) != 0)
            fail_msg("%s differs from what the code makes now:\n%s\n(rerun "
                     "data/tools/factsheets.sh if the change is meant)", path, got);
        /* and the file parses back to the sheet it came from */
        factsheet back;
        assert_int_equal(factsheet_parse(&back, want, path), AS_OK);
        assert_int_equal(back.n_stocks, fs.n_stocks);
        assert_string_equal(back.date, date);
        factsheet_clear(&back);
        factsheet_clear(&fs);
        free(got);
        free(want);
        n++;
    }
    closedir(d);
    /* the seven sessions data/tools/factsheets.sh lists */
    assert_int_equal(n, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sheets_match_the_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
