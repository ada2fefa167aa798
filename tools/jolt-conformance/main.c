/*
 * jolt-conformance: runs the upstream Jolt fixture corpus (bazaarvoice/jolt
 * jolt-core/src/test/resources/json, see its README.md) against engines/jolt.
 *
 *   jolt-conformance [-v] [--java RUN] CORPUS_DIR [CASE_DIR...]
 *
 * Each folder is run the way its Java test class runs it: the transform, the
 * comparator (Diffy, ArrayOrderObliviousDiffy, plus the key-order check for
 * sort), the three modifiers for modifier fixtures, and the expected spec
 * failures. Prints "folder: P/T passed" per folder and a final
 * "jolt conformance: P passed, F failed" line; exit status 1 on any failure.
 * Fixtures that only a Java class can run are reported as skipped.
 *
 * With --java RUN (the Java library's driver, ../shared/bench/jolt-java/run)
 * every case is also run through Java and compared with our output, member
 * order and number kind significant (java.c); CASE_DIRs (a bench case:
 * spec.json and input.json) are compared too. Differences are printed as
 * JAVA-DIFF blocks and counted on a "jolt vs java:" line; they do not change
 * the pass count or the exit status.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "java.h"
#include "jolt.h"
#include "jsontext.h"
#include "strbuf.h"

static int verbose;
static int total_pass, total_fail;

typedef struct folder_stat {
    const char *name;
    int pass, total, skipped;
} folder_stat;

/* ---- comparators ---- */

static int scalar_eq(const json_t *e, const json_t *a)
{
    if (json_typeof(e) != json_typeof(a))
        return 0;
    if (json_is_real(e))
        return json_real_value(e) == json_real_value(a);
    return json_equal((json_t *)e, (json_t *)a);
}

static int diffy(const json_t *e, const json_t *a, int aood);

static int aood_list(const json_t *e, const json_t *a)
{
    size_t ne = json_array_size(e), na = json_array_size(a);
    char *used = calloc(na + 1, 1);
    int ok = 1;
    for (size_t i = 0; i < ne && ok; i++) {
        json_t *x = json_array_get(e, i);
        if (json_is_null(x))
            continue;
        int found = 0;
        for (size_t j = 0; j < na; j++) {
            if (!used[j] && diffy(x, json_array_get(a, j), 1)) {
                used[j] = 1;
                found = 1;
                break;
            }
        }
        if (!found)
            ok = 0;
    }
    for (size_t j = 0; j < na && ok; j++)
        if (!used[j] && !json_is_null(json_array_get(a, j)))
            ok = 0;
    free(used);
    return ok;
}

static int diffy(const json_t *e, const json_t *a, int aood)
{
    if (!e)
        e = json_null();
    if (!a)
        a = json_null();
    if (json_is_object(e)) {
        if (!json_is_object(a))
            return 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)e, k, v) {
            json_t *av = json_object_get(a, k);
            if (!diffy(v, av, aood))
                return 0;
        }
        json_object_foreach((json_t *)a, k, v) {
            if (!json_object_get(e, k))
                return 0;
        }
        return 1;
    }
    if (json_is_array(e)) {
        if (!json_is_array(a))
            return 0;
        if (aood)
            return aood_list(e, a);
        if (json_array_size(e) != json_array_size(a))
            return 0;
        for (size_t i = 0; i < json_array_size(e); i++)
            if (!diffy(json_array_get(e, i), json_array_get(a, i), 0))
                return 0;
        return 1;
    }
    return scalar_eq(e, a);
}

static int key_order(const json_t *e, const json_t *a)
{
    if (json_is_object(e) && json_is_object(a)) {
        void *ie = json_object_iter((json_t *)e), *ia = json_object_iter((json_t *)a);
        while (ie && ia) {
            if (strcmp(json_object_iter_key(ie), json_object_iter_key(ia)))
                return 0;
            if (!key_order(json_object_iter_value(ie), json_object_iter_value(ia)))
                return 0;
            ie = json_object_iter_next((json_t *)e, ie);
            ia = json_object_iter_next((json_t *)a, ia);
        }
        return !ie && !ia;
    }
    if (json_is_array(e) && json_is_array(a)) {
        size_t n = json_array_size(e) < json_array_size(a) ? json_array_size(e) : json_array_size(a);
        for (size_t i = 0; i < n; i++)
            if (!key_order(json_array_get(e, i), json_array_get(a, i)))
                return 0;
    }
    return 1;
}

/* ---- bookkeeping ---- */

static void record(folder_stat *fs, const char *file, int ok, const char *hint_fmt, const json_t *exp,
                   const json_t *act)
{
    fs->total++;
    if (ok) {
        fs->pass++;
        total_pass++;
        return;
    }
    total_fail++;
    if (!verbose)
        return;
    fprintf(stderr, "FAIL %s/%s: %s\n", fs->name, file, hint_fmt ? hint_fmt : "mismatch");
    if (exp || act) {
        strbuf sb = STRBUF_INIT;
        if (exp) {
            jsontext_dump(exp, &sb, 0);
            fprintf(stderr, "  expected: %.2000s\n", sb.buf);
            strbuf_reset(&sb);
        }
        if (act) {
            jsontext_dump(act, &sb, 0);
            fprintf(stderr, "  actual:   %.2000s\n", sb.buf);
        }
        strbuf_release(&sb);
    }
}

static void print_stat(const folder_stat *fs)
{
    if (fs->skipped)
        printf("%s: %d/%d passed (%d skipped: Java-only)\n", fs->name, fs->pass, fs->total, fs->skipped);
    else
        printf("%s: %d/%d passed\n", fs->name, fs->pass, fs->total);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted list of *.json files in dir; returns count */
static int list_json(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    int n = 0;
    if (!d) {
        *out = NULL;
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json")) {
            v = realloc(v, (size_t)(n + 1) * sizeof *v);
            v[n++] = strdup(de->d_name);
        }
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static json_t *load(const char *dir, const char *file)
{
    strbuf path = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", dir, file);
    json_t *v = jsontext_load_file(path.buf, &err);
    if (!v && verbose)
        fprintf(stderr, "cannot load %s: %s\n", path.buf, err.buf);
    strbuf_release(&path);
    strbuf_release(&err);
    return v;
}

/* load() for a fixture: one that does not load is recorded as a failure. */
static json_t *load_fixture(folder_stat *fs, const char *dir, const char *file)
{
    json_t *doc = load(dir, file);
    if (!doc)
        record(fs, file, 0, "unreadable fixture", NULL, NULL);
    return doc;
}

/* Calls fn with each of the n fixtures files of dir that loads; doc is
 * borrowed for the call. */
typedef void (*fixture_fn)(folder_stat *fs, const char *file, const json_t *doc, const void *arg);

static void each_file(const char *dir, const char *const *files, int n, folder_stat *fs, fixture_fn fn,
                      const void *arg)
{
    for (int i = 0; i < n; i++) {
        json_t *doc = load_fixture(fs, dir, files[i]);
        if (!doc)
            continue;
        fn(fs, files[i], doc, arg);
        json_decref(doc);
    }
}

/* each_file() over every fixture of root/sub (its .json files in name order). */
static void each_fixture(const char *root, const char *sub, folder_stat *fs, fixture_fn fn, const void *arg)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/%s", root, sub);
    char **files;
    int n = list_json(dir.buf, &files);
    each_file(dir.buf, (const char *const *)files, n, fs, fn, arg);
    free_list(files, n);
    strbuf_release(&dir);
}

/* Whether jolt_apply_text on input's text gives what jolt_apply gave (out,
 * or NULL and its error message err): the same text, or the same error. */
static int text_path_agrees(const jolt_spec *s, const json_t *input, const json_t *ctx, const json_t *out,
                            const char *err)
{
    strbuf in = STRBUF_INIT, got = STRBUF_INIT, want = STRBUF_INIT, terr = STRBUF_INIT;
    json_t *null_in = input ? NULL : json_null();
    jsontext_dump(input ? input : null_in, &in, JSONTEXT_PRETTY);
    int rc = jolt_apply_text(s, in.buf, in.len, ctx, &got, &terr);
    int same;
    if (out) {
        jsontext_dump(out, &want, 0);
        same = rc == 0 && !strcmp(got.buf, want.buf);
    } else {
        same = rc != 0 && !strcmp(terr.buf, err);
    }
    json_decref(null_in);
    strbuf_release(&in);
    strbuf_release(&got);
    strbuf_release(&want);
    strbuf_release(&terr);
    return same;
}

/* Runs op on input and compares; mode 0 Diffy, 1 AOOD, 2 Diffy + key order.
 * The text path (jolt_apply_text) must agree with jolt_apply too. */
static void run_case(folder_stat *fs, const char *file, const char *op, const json_t *spec,
                     const json_t *input, const json_t *ctx, const json_t *expected, int mode)
{
    strbuf err = STRBUF_INIT;
    jolt_spec *s = op ? jolt_compile_op(op, spec, &err) : jolt_compile(spec, &err);
    if (!s) {
        javadiff_case(fs->name, file, op, spec, input, NULL, NULL, 2);
        strbuf hint = STRBUF_INIT;
        strbuf_addf(&hint, "spec error: %s", err.buf);
        record(fs, file, 0, hint.buf, NULL, NULL);
        strbuf_release(&hint);
        strbuf_release(&err);
        return;
    }
    json_t *out = jolt_apply(s, input, ctx, &err);
    if (ctx && javadiff_active()) {
        /* the Java driver takes no context: compare both without it */
        json_t *plain = jolt_apply(s, input, NULL, NULL);
        javadiff_case(fs->name, file, op, spec, input, NULL, plain, plain ? 0 : 3);
        json_decref(plain);
    } else {
        javadiff_case(fs->name, file, op, spec, input, ctx, out, out ? 0 : 3);
    }
    int ok = out && diffy(expected, out, mode == 1);
    if (ok && mode == 2)
        ok = key_order(expected, out);
    int text_ok = text_path_agrees(s, input, ctx, out, err.buf);
    record(fs, file, ok && text_ok,
           !text_ok ? "jolt_apply_text differs from jolt_apply"
           : out    ? (mode == 2 ? "mismatch (diffy or key order)" : "mismatch")
                    : err.buf,
           expected, out);
    json_decref(out);
    jolt_free(s);
    strbuf_release(&err);
}

static void expect_spec_fail(folder_stat *fs, const char *file, const char *op, const json_t *spec)
{
    strbuf err = STRBUF_INIT;
    jolt_spec *s = op ? jolt_compile_op(op, spec, &err) : jolt_compile(spec, &err);
    if (javadiff_active()) {
        /* Java runs the spec on a null input; so do we when it compiles */
        json_t *out = s ? jolt_apply(s, NULL, NULL, &err) : NULL;
        javadiff_case(fs->name, file, op, spec, NULL, NULL, out, !s ? 2 : out ? 0 : 3);
        json_decref(out);
    }
    record(fs, file, s == NULL, "expected a spec error, compiled fine", NULL, NULL);
    jolt_free(s);
    strbuf_release(&err);
}

/* ---- folders ---- */

typedef struct simple_arg {
    const char *op;
    const char *fail_file;   /* the one fixture whose spec must not compile, or NULL */
} simple_arg;

static void simple_fixture(folder_stat *fs, const char *file, const json_t *doc, const void *arg)
{
    const char *op = ((const simple_arg *)arg)->op, *fail_file = ((const simple_arg *)arg)->fail_file;
    json_t *spec = json_object_get(doc, "spec");
    if (fail_file && !strcmp(file, fail_file)) {
        expect_spec_fail(fs, file, op, spec);
    } else if (!strcmp(file, "__deepCopyTest.json")) {
        /* transform, mutate the result, transform a fresh input again */
        strbuf err = STRBUF_INIT;
        jolt_spec *s = jolt_compile_op(op, spec, &err);
        int ok = 0;
        json_t *in = json_object_get(doc, "input"), *exp = json_object_get(doc, "expected");
        json_t *out2 = NULL;
        if (s) {
            json_t *out1 = jolt_apply(s, in, NULL, &err);
            javadiff_case(fs->name, file, op, spec, in, NULL, out1, out1 ? 0 : 3);
            json_t *arr = json_object_get(out1, "array"), *map = json_object_get(out1, "map");
            if (json_is_array(arr))
                json_array_append_new(arr, json_string("a"));
            if (json_is_object(map))
                json_object_set_new(map, "c", json_string("c"));
            json_t *fresh = json_deep_copy(in);
            out2 = jolt_apply(s, fresh, NULL, &err);
            ok = out1 && out2 && diffy(exp, out2, 0);
            json_decref(fresh);
            json_decref(out1);
        }
        record(fs, file, ok, s ? "mismatch" : err.buf, exp, out2);
        json_decref(out2);
        jolt_free(s);
        strbuf_release(&err);
    } else {
        run_case(fs, file, op, spec, json_object_get(doc, "input"), NULL,
                 json_object_get(doc, "expected"), 0);
    }
}

static void simple_folder(const char *root, const char *name, const char *op, const char *fail_file,
                          folder_stat *fs)
{
    simple_arg arg = { op, fail_file };
    each_fixture(root, name, fs, simple_fixture, &arg);
}

static const char *const MOD_OPS[3] = {"modify-overwrite-beta", "modify-default-beta", "modify-define-beta"};
static const char *const MOD_KEYS[3] = {"OVERWRITR", "DEFAULTR", "DEFINR"};

static void modifier_top_fixture(folder_stat *fs, const char *file, const json_t *doc, const void *arg)
{
    (void)arg;
    for (int m = 0; m < 3; m++) {
        json_t *exp = json_object_get(doc, MOD_KEYS[m]);
        if (!exp)
            continue;
        strbuf label = STRBUF_INIT;
        strbuf_addf(&label, "%s[%s]", file, MOD_KEYS[m]);
        run_case(fs, label.buf, MOD_OPS[m], json_object_get(doc, "spec"), json_object_get(doc, "input"),
                 json_object_get(doc, "context"), exp, 1);
        strbuf_release(&label);
    }
}

static void modifier_top(const char *root, folder_stat *fs)
{
    each_fixture(root, "modifier", fs, modifier_top_fixture, NULL);
}

static void modifier_function_fixture(folder_stat *fs, const char *file, const json_t *doc, const void *arg)
{
    (void)arg;
    int m = 0, mode = 1;
    if (!strcmp(file, "labelsLookupTest.json"))
        m = 1;
    if (!strcmp(file, "squashNullsTests.json") || !strcmp(file, "deleteDuplicatesTests.json"))
        mode = 0;
    run_case(fs, file, MOD_OPS[m], json_object_get(doc, "spec"), json_object_get(doc, "input"),
             json_object_get(doc, "context"), json_object_get(doc, MOD_KEYS[m]), mode);
}

static void modifier_functions(const char *root, folder_stat *fs)
{
    each_fixture(root, "modifier/functions", fs, modifier_function_fixture, NULL);
}

static void modifier_validation(const char *root, folder_stat *fs)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/modifier/validation", root);
    json_t *doc = load_fixture(fs, dir.buf, "specThatShouldFail.json");
    if (doc) {
        for (size_t i = 0; i < json_array_size(doc); i++) {
            for (int m = 0; m < 3; m++) {
                strbuf label = STRBUF_INIT;
                strbuf_addf(&label, "specThatShouldFail.json[%zu][%s]", i, MOD_KEYS[m]);
                expect_spec_fail(fs, label.buf, MOD_OPS[m], json_array_get(doc, i));
                strbuf_release(&label);
            }
        }
    }
    json_decref(doc);
    strbuf_release(&dir);
}

static void sortr(const char *root, folder_stat *fs)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/sortr/simple", root);
    json_t *in = load(dir.buf, "input.json"), *out = load(dir.buf, "output.json");
    if (in && out)
        run_case(fs, "input.json", "sort", NULL, in, NULL, out, 2);
    else
        record(fs, "input.json", 0, "unreadable fixture", NULL, NULL);
    json_decref(in);
    json_decref(out);
    strbuf_release(&dir);
}

static void chainr_fixture(folder_stat *fs, const char *file, const json_t *doc, const void *arg)
{
    (void)arg;
    run_case(fs, file, NULL, json_object_get(doc, "spec"), json_object_get(doc, "input"), NULL,
             json_object_get(doc, "expected"), strcmp(file, "firstSample.json") ? 0 : 2);
}

static void chainr_integration(const char *root, folder_stat *fs)
{
    each_fixture(root, "chainr/integration", fs, chainr_fixture, NULL);
}

static void chainr_context(const char *root, folder_stat *fs)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/chainr/context", root);
    json_t *doc = load_fixture(fs, dir.buf, "spec_with_context.json");
    if (!doc) {
        strbuf_release(&dir);
        return;
    }
    /* steps 3 and 4 are Java classes: check the stock steps 1 and 2 */
    json_t *chain = json_array();
    json_t *spec = json_object_get(doc, "spec");
    for (size_t i = 0; i < json_array_size(spec) && i < 2; i++)
        json_array_append(chain, json_array_get(spec, i));
    json_t *tests = json_object_get(doc, "tests");
    for (size_t i = 0; i < json_array_size(tests); i++) {
        json_t *t = json_array_get(tests, i);
        json_t *exp = json_deep_copy(json_object_get(t, "expected"));
        json_object_del(exp, "c");
        json_object_del(exp, "d");
        strbuf label = STRBUF_INIT;
        strbuf_addf(&label, "spec_with_context.json[%zu] (steps 1-2)", i);
        run_case(fs, label.buf, NULL, chain, json_object_get(t, "input"), json_object_get(t, "context"), exp, 0);
        strbuf_release(&label);
        json_decref(exp);
        fs->skipped++;
    }
    json_decref(chain);
    json_decref(doc);
    strbuf_release(&dir);
}

static void chainr_increments(const char *root, folder_stat *fs)
{
    strbuf dir = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&dir, "%s/chainr/increments", root);
    json_t *spec = load(dir.buf, "spec.json");
    jolt_spec *s = spec ? jolt_compile(spec, &err) : NULL;
    static const int pairs[][2] = {{0, 1}, {0, 3}, {1, 3}, {1, 4}};
    static const int bad[][2] = {{0, 0}, {-2, 2}, {0, -2}, {1, 10000}};
    json_t *empty = json_object();
    for (size_t i = 0; i < 10; i++)
        javadiff_skip(); /* chain ranges: the Java driver runs whole chains */
    for (size_t i = 0; i < 4; i++) {
        char file[32];
        snprintf(file, sizeof file, "%d-%d.json", pairs[i][0], pairs[i][1]);
        json_t *exp = load(dir.buf, file);
        json_t *out = s ? jolt_apply_range(s, pairs[i][0], pairs[i][1], empty, NULL, &err) : NULL;
        record(fs, file, out && exp && diffy(exp, out, 0), "mismatch", exp, out);
        json_decref(out);
        /* the "first `to` steps" form: from 0 */
        if (pairs[i][0] == 0) {
            char label[48];
            snprintf(label, sizeof label, "%s (first %d steps)", file, pairs[i][1]);
            out = s ? jolt_apply_range(s, 0, pairs[i][1], empty, NULL, &err) : NULL;
            record(fs, label, out && exp && diffy(exp, out, 0), "mismatch", exp, out);
            json_decref(out);
        }
        json_decref(exp);
    }
    for (size_t i = 0; i < 4; i++) {
        char label[48];
        snprintf(label, sizeof label, "range (%d,%d) must fail", bad[i][0], bad[i][1]);
        json_t *out = s ? jolt_apply_range(s, bad[i][0], bad[i][1], empty, NULL, &err) : NULL;
        record(fs, label, s && !out, "expected a transform error", NULL, out);
        json_decref(out);
    }
    json_decref(empty);
    jolt_free(s);
    json_decref(spec);
    strbuf_release(&err);
    strbuf_release(&dir);
}

static void spec_fail_fixture(folder_stat *fs, const char *file, const json_t *doc, const void *arg)
{
    (void)arg;
    expect_spec_fail(fs, file, NULL, doc);
}

static void chainr_fail_folder(const char *root, const char *name, const char *const *files, int nfiles,
                               folder_stat *fs)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/%s", root, name);
    each_file(dir.buf, files, nfiles, fs, spec_fail_fixture, NULL);
    strbuf_release(&dir);
}

/* test-only label functions of labelsLookupTest (ModifierTest injects them) */
static json_t *label_fn(const json_t *args, void *ctx)
{
    int want_max = ctx != NULL;
    const json_t *map = json_array_get(args, 0);
    if (!json_is_object(map))
        return NULL;
    long best = want_max ? INT_MIN : INT_MAX;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v) {
        char *end;
        long x = strtol(k, &end, 10);
        if (!*k || *end || x > INT_MAX || x < INT_MIN)
            continue;
        if (want_max ? x > best : x < best)
            best = x;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", best);
    json_t *r = json_object_get(map, buf);
    return r ? json_incref(r) : NULL;
}

/* A bench case directory (spec.json, input.json) through both engines. */
static void java_case_dir(const char *dir)
{
    json_t *spec = load(dir, "spec.json"), *in = load(dir, "input.json");
    if (!spec || !in) {
        fprintf(stderr, "jolt-conformance: cannot load %s/{spec,input}.json\n", dir);
        javadiff_skip();
    } else {
        strbuf err = STRBUF_INIT;
        jolt_spec *s = jolt_compile(spec, &err);
        json_t *out = s ? jolt_apply(s, in, NULL, &err) : NULL;
        javadiff_case(dir, "spec.json", NULL, spec, in, NULL, out, !s ? 2 : out ? 0 : 3);
        json_decref(out);
        jolt_free(s);
        strbuf_release(&err);
    }
    json_decref(spec);
    json_decref(in);
}

int main(int argc, char **argv)
{
    const char *root = NULL, *java = NULL;
    const char **cases = calloc((size_t)argc, sizeof *cases);
    int ncases = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (!strcmp(argv[i], "--java") && i + 1 < argc)
            java = argv[++i];
        else if (!root)
            root = argv[i];
        else
            cases[ncases++] = argv[i];
    }
    if (!root || (ncases && !java)) {
        fprintf(stderr, "usage: jolt-conformance [-v] [--java RUN] CORPUS_DIR [CASE_DIR...]\n");
        return 2;
    }
    if (java && javadiff_init(java))
        return 2;
    jolt_register_function("minLabelComputation", label_fn, NULL);
    jolt_register_function("maxLabelComputation", label_fn, (void *)1);

    folder_stat fs[16];
    int nf = 0;
#define FOLDER(n) (fs[nf] = (folder_stat){n, 0, 0, 0}, &fs[nf++])

    simple_folder(root, "shiftr", "shift", NULL, FOLDER("shiftr"));
    folder_stat *d = FOLDER("defaultr");
    simple_folder(root, "defaultr", "default", NULL, d);
    {
        /* not backed by a file: a Defaultr key with a star and a prefix */
        json_t *bad = json_pack("{s:s}", "tuna*", "marlin");
        expect_spec_fail(d, "(inline) {\"tuna*\": \"marlin\"}", "default", bad);
        json_decref(bad);
    }
    simple_folder(root, "removr", "remove", "negativeTestCases.json", FOLDER("removr"));
    simple_folder(root, "cardinality", "cardinality", "failCardinalityType.json", FOLDER("cardinality"));
    modifier_top(root, FOLDER("modifier"));
    modifier_functions(root, FOLDER("modifier/functions"));
    modifier_validation(root, FOLDER("modifier/validation"));
    sortr(root, FOLDER("sortr/simple"));
    chainr_integration(root, FOLDER("chainr/integration"));
    chainr_context(root, FOLDER("chainr/context"));
    chainr_increments(root, FOLDER("chainr/increments"));
    static const char *const specformat[] = {"bad_spec_arrayClassName.json", "bad_spec_ClassName.json",
                                             "bad_spec_NonTransformClass.json", "bad_spec_empty.json"};
    chainr_fail_folder(root, "chainr/specformat", specformat, 4, FOLDER("chainr/specformat"));
    static const char *const specloading[] = {"bad_spec_SpecTransform.json"};
    folder_stat *sl = FOLDER("chainr/specloading");
    chainr_fail_folder(root, "chainr/specloading", specloading, 1, sl);
    static const char *const transforms[] = {"bad_transform_loadsExplodingTransform.json"};
    folder_stat *tr = FOLDER("chainr/transforms");
    chainr_fail_folder(root, "chainr/transforms", transforms, 1, tr);
    tr->skipped = 1; /* loadsGoodTransform needs the Java class */

    for (int i = 0; i < nf; i++)
        print_stat(&fs[i]);
    printf("jolt conformance: %d passed, %d failed\n", total_pass, total_fail);
    for (int i = 0; i < ncases; i++)
        java_case_dir(cases[i]);
    javadiff_finish();
    free(cases);
    return total_fail ? 1 : 0;
}
