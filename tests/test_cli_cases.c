/*
 * test_cli_cases.c -- data-driven command-line cases, one file each in
 * tests/cases/NAME.case (the curl tests/data habit):
 *
 *   # one line saying what the case checks
 *   cmd: aftershock config --config tests/fixtures/bad.conf
 *   exit: 1
 *   stderr: <the exact, complete stderr>          (optional, repeatable lines)
 *   stdout-has: <a substring stdout must contain> (optional, repeatable)
 *   stderr-has: <a substring stderr must contain> (optional, repeatable)
 *   stdout-lacks: <a substring stdout must not contain> (optional)
 *   needs: <a path under the shared folder> (optional, repeatable)
 *
 * `aftershock` in cmd runs the binary under test ($AFTERSHOCK_BIN); the
 * command runs from the source tree with /bin/sh, so VAR=value prefixes and
 * pipes work; no database is needed unless the case sets one up itself.
 * A case that reads shared data (models/stories260K.gguf) names it with
 * needs: and refers to it as "$AS_SHARED_DIR/models/..."; when the file is
 * absent the case is skipped with the reason, as the C tests skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/testdb.h"

struct tcase {
    char path[1024];
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    fclose(f);
    return buf;
}

static void run_case(void **state)
{
    const struct tcase *tc = *state;
    char *text = slurp(tc->path);
    char cmd[2048] = "", want_stderr[8192] = "";
    int want_exit = 0, have_stderr = 0;
    char *has[32], *err_has[32], *lacks[32], *needs[8];
    int nhas = 0, nerr = 0, nlack = 0, nneed = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "cmd: ", 5) == 0)
            snprintf(cmd, sizeof cmd, "%s", line + 5);
        else if (strncmp(line, "exit: ", 6) == 0)
            want_exit = (int)strtol(line + 6, NULL, 10);
        else if (strncmp(line, "stderr: ", 8) == 0) {
            strncat(want_stderr, line + 8, sizeof want_stderr - strlen(want_stderr) - 2);
            strcat(want_stderr, "\n");
            have_stderr = 1;
        } else if (strncmp(line, "stdout-has: ", 12) == 0 && nhas < 32)
            has[nhas++] = line + 12;
        else if (strncmp(line, "stderr-has: ", 12) == 0 && nerr < 32)
            err_has[nerr++] = line + 12;
        else if (strncmp(line, "stdout-lacks: ", 14) == 0 && nlack < 32)
            lacks[nlack++] = line + 14;
        else if (strncmp(line, "needs: ", 7) == 0 && nneed < 8)
            needs[nneed++] = line + 7;
    }
    assert_true(cmd[0] != '\0');
    for (int i = 0; i < nneed; i++)
        if (!testdb_shared_path(needs[i])) {
            printf("skip: %s: %s/%s not found (set AS_SHARED_DIR to the shared folder)\n",
                   tc->path, getenv("AS_SHARED_DIR"), needs[i]);
            free(text);
            skip();
        }
    const char *bin = getenv("AFTERSHOCK_BIN");
    char full[4096], outp[64], errp[64];
    snprintf(outp, sizeof outp, "/tmp/as-case-%d.out", getpid());
    snprintf(errp, sizeof errp, "/tmp/as-case-%d.err", getpid());
    /* `aftershock` inside cmd is a shell function running the binary under
     * test; cmd runs in a subshell so that a pipeline or a list of commands
     * sends all its output to the files and reads /dev/null as a whole. */
    snprintf(full, sizeof full, "cd '%s' && aftershock() { \"%s\" \"$@\"; } && ( %s ) >%s 2>%s </dev/null",
             testdb_src_path("."), bin ? bin : "./aftershock", cmd, outp, errp);
    int st = system(full);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *out = slurp(outp), *err = slurp(errp);
    unlink(outp);
    unlink(errp);
    if (code != want_exit)
        fail_msg("%s: exit %d, want %d; stderr:\n%s", tc->path, code, want_exit, err);
    if (have_stderr && strcmp(err, want_stderr) != 0)
        fail_msg("%s: stderr differs\n got: %s\nwant: %s", tc->path, err, want_stderr);
    for (int i = 0; i < nhas; i++)
        if (!strstr(out, has[i]))
            fail_msg("%s: stdout lacks '%s'; stdout:\n%s", tc->path, has[i], out);
    for (int i = 0; i < nerr; i++)
        if (!strstr(err, err_has[i]))
            fail_msg("%s: stderr lacks '%s'; stderr:\n%s", tc->path, err_has[i], err);
    for (int i = 0; i < nlack; i++)
        if (strstr(out, lacks[i]))
            fail_msg("%s: stdout must not contain '%s'", tc->path, lacks[i]);
    free(out);
    free(err);
    free(text);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct tcase *)a)->path, ((const struct tcase *)b)->path);
}

int main(void)
{
    /* the commands (run from the source tree) and the needs: check look in
     * the same shared folder: ../shared beside the source tree by default */
    const char *sh = getenv("AS_SHARED_DIR");
    if (!sh || !sh[0])
        setenv("AS_SHARED_DIR", testdb_src_path("../shared"), 1);
    const char *dir = testdb_src_path("tests/cases");
    char dirpath[512];
    snprintf(dirpath, sizeof dirpath, "%s", dir);
    DIR *d = opendir(dirpath);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dirpath);
        return 1;
    }
    struct tcase *cases = calloc(512, sizeof *cases);
    struct CMUnitTest *tests = calloc(512, sizeof *tests);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 512) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".case") == 0)
            snprintf(cases[n++].path, sizeof cases[0].path, "%s/%s", dirpath, de->d_name);
    }
    closedir(d);
    qsort(cases, (size_t)n, sizeof *cases, name_cmp);
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(cases[i].path, '/') + 1;
        tests[i].name = base;
        tests[i].test_func = run_case;
        tests[i].initial_state = &cases[i];
    }
    int rc = _cmocka_run_group_tests("cli_cases", tests, (size_t)n, NULL, NULL);
    free(tests);
    free(cases);
    return rc;
}
