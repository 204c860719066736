/*
 * xlsxread.c -- runs tests/support/xlsx_dump.py and parses its JSON (see
 * xlsxread.h).  Owns nothing after returning: the document is the caller's.
 */
#include "tests/support/xlsxread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/testdb.h"

int xlsx_reader_available(void)
{
    return access("/usr/bin/python3", X_OK) == 0 &&
           system("/usr/bin/python3 -c 'import openpyxl' >/dev/null 2>&1") == 0;
}

json_t *xlsx_read(const char *path, int max_rows)
{
    char cmd[8192];
    if (max_rows >= 0)
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' --max-rows %d",
                 testdb_src_path("tests/support/xlsx_dump.py"), path, max_rows);
    else
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'",
                 testdb_src_path("tests/support/xlsx_dump.py"), path);
    FILE *p = popen(cmd, "r");
    if (!p) {
        fprintf(stderr, "xlsx_read: cannot run %s\n", cmd);
        return NULL;
    }
    json_error_t err;
    json_t *doc = json_loadf(p, 0, &err);
    int rc = pclose(p);
    if (!doc || rc != 0) {
        fprintf(stderr, "xlsx_read: '%s': reader exit %d, JSON: %s\n", path, rc,
                doc ? "ok" : err.text);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static json_t *sheet_rows(json_t *doc, const char *sheet)
{
    return json_object_get(json_object_get(json_object_get(doc, "sheet"), sheet), "rows");
}

json_t *xlsx_cell(json_t *doc, const char *sheet, int row, int col)
{
    return json_array_get(json_array_get(sheet_rows(doc, sheet), (size_t)row), (size_t)col);
}

int xlsx_find_row(json_t *doc, const char *sheet, int col, const char *s)
{
    json_t *rows = sheet_rows(doc, sheet);
    for (size_t r = 0; r < json_array_size(rows); r++) {
        json_t *v = json_object_get(json_array_get(json_array_get(rows, r), (size_t)col), "v");
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return (int)r;
    }
    return -1;
}

int xlsx_find_col(json_t *doc, const char *sheet, int hdr_row, const char *s)
{
    json_t *row = json_array_get(sheet_rows(doc, sheet), (size_t)hdr_row);
    for (size_t c = 0; c < json_array_size(row); c++) {
        json_t *v = json_object_get(json_array_get(row, c), "v");
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return (int)c;
    }
    return -1;
}
