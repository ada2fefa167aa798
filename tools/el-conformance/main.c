/*
 * el-conformance: runs the NiFi EL conformance corpus against engines/el.
 *
 *   el-conformance CORPUS_DIR [-v]
 *
 * Reads CORPUS_DIR/cases.jsonl and CORPUS_DIR/guide-examples.jsonl (one JSON
 * case per line, format in the corpus README). A "compile" mode case only
 * checks that the text compiles (strictly: an unclosed ${ is an error) or is
 * rejected. Other cases are compiled as templates and evaluated against
 * their attributes (a null attribute is absent) under TZ=default_tz when the
 * case pins one; the rendered text must equal `expected`, or, for
 * expect_error cases, compiling or evaluating must fail. Nondeterministic
 * cases carry the value NiFi's test asserts (a length, a zero), so they are
 * compared like the others. Prints counts per category and a final line
 * "el conformance: P passed, F failed"; exit status 1 when anything failed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "el.h"
#include "strbuf.h"

#define MAXCAT 16

static struct { char name[32]; int pass, fail; } cats[MAXCAT];
static int ncats;

static void count(const char *cat, int ok)
{
    int i;
    for (i = 0; i < ncats; i++)
        if (!strcmp(cats[i].name, cat)) break;
    if (i == ncats) {
        if (ncats == MAXCAT) i = MAXCAT - 1;
        else { snprintf(cats[i].name, sizeof cats[i].name, "%s", cat); ncats++; }
    }
    if (ok) cats[i].pass++; else cats[i].fail++;
}

static int run_case(json_t *c, int verbose)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *expr = json_string_value(json_object_get(c, "expr"));
    const char *expected = json_string_value(json_object_get(c, "expected"));
    const char *mode = json_string_value(json_object_get(c, "mode"));
    const char *tz = json_string_value(json_object_get(c, "default_tz"));
    const char *phase = json_string_value(json_object_get(c, "error_phase"));
    int expect_error = json_is_true(json_object_get(c, "expect_error"));
    if (!id) id = "?";
    if (!expr) expr = "";

    char *old_tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    if (tz) setenv("TZ", tz, 1);

    attrs a = ATTRS_INIT;
    json_t *ja = json_object_get(c, "attrs");
    const char *k;
    json_t *v;
    json_object_foreach(ja, k, v) {
        if (json_is_string(v)) attrs_setn(&a, k, json_string_value(v), json_string_length(v));
    }

    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    int col = 0, ok;
    const char *got_phase = NULL;
    if (mode && !strcmp(mode, "compile")) {
        el_expr *e = el_compile_ex(expr, EL_STRICT, &err, &col);
        ok = expect_error ? e == NULL : e != NULL;
        if (!e) got_phase = "compile";
        el_free(e);
    } else {
        el_expr *e = el_compile(expr, &err, &col);
        if (!e) {
            got_phase = "compile";
            ok = expect_error;
        } else if (el_eval(e, &a, &out, &err) < 0) {
            got_phase = "evaluate";
            ok = expect_error;
        } else {
            ok = !expect_error && expected && strcmp(out.buf, expected) == 0;
        }
        el_free(e);
    }
    if (verbose && !ok) {
        printf("FAIL %s: %s\n", id, expr);
        if (expect_error) printf("    want: error (%s)\n", phase ? phase : "?");
        else printf("    want: %s\n", expected ? expected : "(compiles)");
        if (got_phase) printf("    got:  %s error: %s\n", got_phase, err.buf);
        else printf("    got:  %s\n", mode ? "(compiles)" : out.buf);
    } else if (verbose > 1 && ok && expect_error && phase && got_phase && strcmp(phase, got_phase)) {
        printf("note %s: rejected at %s, NiFi at %s\n", id, got_phase, phase);
    }
    strbuf_release(&err);
    strbuf_release(&out);
    attrs_release(&a);
    if (tz) {
        if (old_tz) setenv("TZ", old_tz, 1); else unsetenv("TZ");
    }
    free(old_tz);
    return ok;
}

static int run_file(const char *dir, const char *name, int verbose, int *pass, int *fail)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "el-conformance: cannot open %s\n", path); return -1; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n <= 1) continue;
        json_error_t je;
        json_t *c = json_loadb(line, (size_t)n, 0, &je);
        if (!c) { fprintf(stderr, "%s:%d: %s\n", path, lineno, je.text); continue; }
        const char *cat = json_string_value(json_object_get(c, "category"));
        int ok = run_case(c, verbose);
        count(cat ? cat : "other", ok);
        if (ok) (*pass)++; else (*fail)++;
        json_decref(c);
    }
    free(line);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) verbose++;
        else if (!strcmp(argv[i], "-vv")) verbose += 2;
        else if (!dir) dir = argv[i];
        else { fprintf(stderr, "usage: el-conformance CORPUS_DIR [-v]\n"); return 2; }
    }
    if (!dir) { fprintf(stderr, "usage: el-conformance CORPUS_DIR [-v]\n"); return 2; }
    int pass = 0, fail = 0;
    if (run_file(dir, "cases.jsonl", verbose, &pass, &fail) < 0) return 2;
    run_file(dir, "guide-examples.jsonl", verbose, &pass, &fail);
    for (int i = 0; i < ncats; i++)
        printf("  %-12s %4d passed, %3d failed\n", cats[i].name, cats[i].pass, cats[i].fail);
    printf("el conformance: %d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}
