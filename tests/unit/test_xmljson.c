/*
 * test_xmljson.c: unit tests of engines/xml (XML to JSON conversion).
 *
 * The main check is the golden corpus under tests/xml/<case>/ (override the
 * directory with XMLJSON_CORPUS): input.xml, an optional options.json (the
 * xmljson_options_from_json keys), and either expected.json, compared in
 * order (member order is document order; integers and reals differ), or an
 * error file whose every line must occur in the error message. The expected
 * files were written by hand from docs/xml.md's rules, not produced by this
 * code. The binary runs from the checkout's root (as scripts/run-tests.sh
 * does).
 *
 * Then what the corpus cannot say: the options reader, the text helper,
 * NULL options and error buffers, input without a NUL, no file access
 * (external entities, external DTDs, XInclude), limits found inside entity
 * content, the first error being the one told, and conversions from several
 * threads at once.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsontext.h"
#include "xmljson.h"
#include "unit.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dump(const json_t *v)
{
    strbuf sb = STRBUF_INIT;
    if (v)
        jsontext_dump(v, &sb, 0);
    else
        strbuf_addstr(&sb, "(null)");
    return strbuf_detach(&sb, NULL);
}

/* Runs one corpus case; returns 1 if it passed. */
static int run_case(const char *dir, const char *name)
{
    strbuf path = STRBUF_INIT, input = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
    int ok = 0;
    xmljson_options opt;
    xmljson_options_init(&opt);
    json_t *got = NULL, *want = NULL;

    strbuf_setf(&path, "%s/%s/input.xml", dir, name);
    if (strbuf_read_file(&input, path.buf)) {
        fprintf(stderr, "case %s: cannot read %s\n", name, path.buf);
        goto out;
    }
    int opt_rc = 0;
    strbuf_setf(&path, "%s/%s/options.json", dir, name);
    if (access(path.buf, F_OK) == 0) {
        json_t *o = jsontext_load_file(path.buf, &err);
        if (!o) {
            fprintf(stderr, "case %s: %s\n", name, err.buf);
            goto out;
        }
        opt_rc = xmljson_options_from_json(&opt, o, &err);
        json_decref(o);
    }
    if (opt_rc == 0)
        got = xmljson_convert(input.buf, input.len, &opt, &err);

    strbuf_setf(&path, "%s/%s/expected.json", dir, name);
    if (access(path.buf, F_OK) == 0) {
        strbuf perr = STRBUF_INIT;
        want = jsontext_load_file(path.buf, &perr);
        if (!want)
            fprintf(stderr, "case %s: bad expected.json: %s\n", name, perr.buf);
        strbuf_release(&perr);
        char *g = dump(got), *w = dump(want);
        ok = got && want && !strcmp(g, w);
        if (!ok)
            fprintf(stderr, "case %s:\n    got:  %s%s%s\n    want: %s\n", name, g, got ? "" : "  error: ", got ? "" : err.buf,
                    w);
        free(g);
        free(w);
        goto out;
    }
    strbuf_setf(&path, "%s/%s/error", dir, name);
    if (strbuf_read_file(&text, path.buf)) {
        fprintf(stderr, "case %s: neither expected.json nor error\n", name);
        goto out;
    }
    ok = got == NULL;
    char *save = NULL;
    for (char *line = strtok_r(text.buf, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save))
        if (!strstr(err.buf, line))
            ok = 0;
    if (!ok) {
        char *g = dump(got);
        fprintf(stderr, "case %s: want an error, got %s, error \"%s\"\n", name, g, err.buf);
        free(g);
    }
out:
    json_decref(got);
    json_decref(want);
    xmljson_options_release(&opt);
    strbuf_release(&path);
    strbuf_release(&input);
    strbuf_release(&text);
    strbuf_release(&err);
    return ok;
}

static void test_corpus(void)
{
    const char *dir = getenv("XMLJSON_CORPUS");
    if (!dir)
        dir = "tests/xml";
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    char *names[512];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 512)
        if (de->d_name[0] != '.')
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    int passed = 0;
    for (int i = 0; i < n; i++) {
        int ok = run_case(dir, names[i]);
        CHECK(ok);
        passed += ok;
        free(names[i]);
    }
    printf("corpus: %d of %d cases passed\n", passed, n);
    CHECK(n >= 40); /* the corpus is there, not silently empty */
}

/* Converts a NUL-terminated text with options (may be NULL); returns the
 * compact JSON or "ERR: message" (static buffer). */
static const char *conv(const char *xml, const xmljson_options *opt)
{
    static char buf[8192];
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    if (xmljson_convert_text(xml, strlen(xml), opt, &out, 0, &err))
        strbuf_setf(&out, "ERR: %s", err.buf);
    snprintf(buf, sizeof buf, "%s", out.buf);
    strbuf_release(&out);
    strbuf_release(&err);
    return buf;
}

static void test_options(void)
{
    xmljson_options opt;
    xmljson_options_init(&opt);
    CHECK_INT(opt.convention, XMLJSON_NIFI);
    CHECK_INT(opt.records_as_array, 0);
    CHECK_INT(opt.attributes, 1);
    CHECK_INT(opt.infer_types, 0);
    CHECK(opt.attribute_prefix == NULL && opt.content_field == NULL && opt.always_array == NULL);
    CHECK(opt.max_bytes == XMLJSON_DEFAULT_MAX_BYTES);
    CHECK_INT(opt.max_depth, XMLJSON_DEFAULT_MAX_DEPTH);

    strbuf err = STRBUF_INIT;
    static const char *const bad[][2] = {
        { "{\"convenshun\": \"nifi\"}", "unknown option \"convenshun\"" },
        { "{\"convention\": \"badgerfish\"}", "convention" },
        { "{\"records_as_array\": \"yes\"}", "records_as_array: expected true or false" },
        { "{\"always_array\": \"a.b\"}", "always_array: expected an array" },
        { "{\"always_array\": [\"a.b\", 3]}", "always_array[1]" },
        { "{\"max_depth\": 0}", "max_depth: expected an integer" },
        { "{\"content_field\": 1}", "content_field: expected a string" },
        { "[]", "expected an object" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *o = jsontext_parse(bad[i][0], strlen(bad[i][0]), NULL);
        strbuf_reset(&err);
        CHECK_INT(xmljson_options_from_json(&opt, o, &err), -1);
        if (!strstr(err.buf, bad[i][1]))
            CHECK_STR(err.buf, bad[i][1]);
        xmljson_options_release(&opt);
        json_decref(o);
    }

    /* the strings are copies: the options outlive their JSON */
    const char *good = "{\"convention\": \"prefixed\", \"attribute_prefix\": \"@\", \"content_field\": \"txt\","
                       " \"always_array\": [\"r.i\"], \"infer_types\": true}";
    json_t *o = jsontext_parse(good, strlen(good), NULL);
    CHECK_INT(xmljson_options_from_json(&opt, o, &err), 0);
    json_decref(o);
    CHECK_STR(conv("<r><i n=\"1\">x</i></r>", &opt), "{\"r\":{\"i\":[{\"@n\":1,\"txt\":\"x\"}]}}");
    xmljson_options_release(&opt);
    CHECK(opt.always_array == NULL && opt.convention == XMLJSON_NIFI);
    CHECK_INT(xmljson_options_from_json(&opt, NULL, &err), 0);
    xmljson_options_release(&opt);
    strbuf_release(&err);
}

static void test_text_and_nulls(void)
{
    CHECK_STR(conv("<a x=\"1\"><b>2</b></a>", NULL), "{\"x\":\"1\",\"b\":\"2\"}");
    strbuf out = STRBUF_INIT;
    strbuf_addstr(&out, "kept:");
    CHECK_INT(xmljson_convert_text("<a><b>2</b></a>", 15, NULL, &out, JSONTEXT_PRETTY, NULL), 0);
    CHECK(strncmp(out.buf, "kept:{", 6) == 0 && strchr(out.buf, '\n') != NULL);
    size_t before = out.len;
    CHECK_INT(xmljson_convert_text("<a>", 3, NULL, &out, 0, NULL), -1); /* NULL err is fine */
    CHECK(out.len == before);                                           /* out unchanged */
    strbuf_release(&out);

    /* the input need not be NUL-terminated: only len bytes are read */
    const char buf[] = { '<', 'a', '>', '1', '<', '/', 'a', '>', '<', 'x' };
    json_t *v = xmljson_convert(buf, sizeof buf - 2, NULL, NULL);
    char *s = dump(v);
    CHECK_STR(s, "{\"value\":\"1\"}");
    free(s);
    json_decref(v);
}

static void test_inference_edges(void)
{
    xmljson_options opt;
    xmljson_options_init(&opt);
    opt.infer_types = 1;
    CHECK_STR(conv("<r><a>-0</a><b>0.0</b><c>-</c><d>1.5e3</d><e>True</e><f>yes</f><g>-007</g><h>1,5</h></r>", &opt),
              "{\"a\":0,\"b\":0.0,\"c\":\"-\",\"d\":\"1.5e3\",\"e\":true,\"f\":\"yes\",\"g\":\"-007\",\"h\":\"1,5\"}");
    /* 15 digits across the point is the limit */
    CHECK_STR(conv("<r><a>-999999999999999</a><b>-9999999999999999</b></r>", &opt),
              "{\"a\":-999999999999999,\"b\":\"-9999999999999999\"}");
    /* the content field and attributes are inferred too, names never */
    CHECK_STR(conv("<r><n k=\"007\" v=\"7\">8</n></r>", &opt), "{\"n\":{\"k\":\"007\",\"v\":7,\"value\":8}}");
}

static char tmpdir[] = "/tmp/xmljson-test-XXXXXX";

static void test_no_file_access(void)
{
    CHECK(mkdtemp(tmpdir) != NULL);
    strbuf path = STRBUF_INIT, xml = STRBUF_INIT;
    strbuf_setf(&path, "%s/secret.txt", tmpdir);
    FILE *f = fopen(path.buf, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("TOPSECRET", f);
        fclose(f);
    }
    /* an external entity */
    strbuf_setf(&xml, "<!DOCTYPE r [<!ENTITY s SYSTEM \"file://%s\">]>\n<r>&s;</r>", path.buf);
    const char *r = conv(xml.buf, NULL);
    CHECK(strstr(r, "ERR: line 2, column ") == r);
    CHECK(strstr(r, "external entity 's'") != NULL);
    CHECK(strstr(r, "TOPSECRET") == NULL);
    /* a parameter entity in the internal subset pointing at a file */
    strbuf_setf(&xml, "<!DOCTYPE r [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>\n<r>x</r>", path.buf);
    r = conv(xml.buf, NULL);
    CHECK(strstr(r, "TOPSECRET") == NULL);
    /* an external DTD declaring an entity */
    strbuf_setf(&path, "%s/r.dtd", tmpdir);
    f = fopen(path.buf, "w");
    if (f) {
        fputs("<!ENTITY s \"TOPSECRET\">", f);
        fclose(f);
    }
    strbuf_setf(&xml, "<!DOCTYPE r SYSTEM \"%s\">\n<r>&s;</r>", path.buf);
    r = conv(xml.buf, NULL);
    CHECK(strncmp(r, "ERR: ", 5) == 0);
    CHECK(strstr(r, "TOPSECRET") == NULL);
    /* XInclude is not processed: the include element stays an element */
    strbuf_setf(&xml, "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"file://%s/secret.txt\" "
                      "parse=\"text\"/></r>",
                tmpdir);
    r = conv(xml.buf, NULL);
    CHECK(strstr(r, "{\"include\":{\"href\":\"file://") == r);
    CHECK(strstr(r, "TOPSECRET") == NULL);
    strbuf_setf(&path, "%s/secret.txt", tmpdir);
    unlink(path.buf);
    strbuf_setf(&path, "%s/r.dtd", tmpdir);
    unlink(path.buf);
    rmdir(tmpdir);
    strbuf_release(&path);
    strbuf_release(&xml);
}

static void test_limits(void)
{
    /* the default depth is 100: 100 levels pass, 101 fail with a position */
    strbuf xml = STRBUF_INIT;
    for (int depth = 100; depth <= 101; depth++) {
        strbuf_reset(&xml);
        for (int i = 0; i < depth; i++)
            strbuf_addstr(&xml, "<e>");
        strbuf_addstr(&xml, "x");
        for (int i = 0; i < depth; i++)
            strbuf_addstr(&xml, "</e>");
        const char *r = conv(xml.buf, NULL);
        if (depth == 100)
            CHECK(strncmp(r, "{\"e\":", 5) == 0);
        else
            CHECK(strstr(r, "ERR: line 1, column ") == r && strstr(r, "deeper than 100"));
    }
    /* nesting and node counts hidden in entity content are still counted */
    xmljson_options opt;
    xmljson_options_init(&opt);
    opt.max_depth = 3;
    CHECK_STR(conv("<!DOCTYPE r [<!ENTITY d \"<b><c>x</c></b>\">]>\n<r>\n<a>&d;</a></r>", &opt),
              "ERR: line 3: elements nested deeper than 3");
    xmljson_options_init(&opt);
    opt.max_nodes = 10;
    CHECK_STR(conv("<!DOCTYPE r [<!ENTITY d \"<b/><b/><b/>\">]>\n<r>&d;&d;&d;&d;</r>", &opt),
              "ERR: line 2: more than 10 nodes (elements and attributes, entities expanded)");
    /* expanded text counts against max_bytes */
    xmljson_options_init(&opt);
    opt.max_bytes = 200;
    CHECK_STR(conv("<!DOCTYPE r [<!ENTITY t \"0123456789012345678901234567890123456789\">]>\n"
                   "<r>&t;&t;&t;&t;&t;&t;</r>",
                   &opt),
              "ERR: line 2: text larger than the limit of 200 bytes (entities expanded)");
    /* a large flat document within the limits converts */
    strbuf_reset(&xml);
    strbuf_addstr(&xml, "<r>");
    for (int i = 0; i < 50000; i++)
        strbuf_addf(&xml, "<i n=\"%d\">v</i>", i);
    strbuf_addstr(&xml, "</r>");
    json_t *v = xmljson_convert(xml.buf, xml.len, NULL, NULL);
    CHECK(v && json_array_size(json_object_get(v, "i")) == 50000);
    json_decref(v);
    strbuf_release(&xml);
}

static void test_first_error(void)
{
    /* libxml2 reports more errors after the first; the first is told */
    CHECK_STR(conv("<a>\n<b></a>\n", NULL),
              "ERR: line 2, column 8: not well-formed XML: Opening and ending tag mismatch: b line 2 and a");
    /* an undeclared namespace prefix is tolerated; the prefix is dropped */
    CHECK_STR(conv("<r><x:a>1</x:a></r>", NULL), "{\"a\":\"1\"}");
}

/* Threads convert the same documents at once and must agree with the
 * single-threaded answers (libxml2 state is per call). */
static const char *thread_docs[] = {
    "<Orders><Order id=\"1\"><Line>A</Line><Line>B</Line></Order><Order id=\"2\"/></Orders>",
    "<r>\n<n>ab\xff</n></r>",
    "<!DOCTYPE r [<!ENTITY e \"Acme\">]><r><m>&e;</m></r>",
    "<r><a>1</a>",
};
static char *thread_want[4];

static void *thread_main(void *arg)
{
    long bad = 0;
    (void)arg;
    for (int round = 0; round < 300; round++) {
        for (int i = 0; i < 4; i++) {
            strbuf out = STRBUF_INIT, err = STRBUF_INIT;
            if (xmljson_convert_text(thread_docs[i], strlen(thread_docs[i]), NULL, &out, 0, &err))
                strbuf_setf(&out, "ERR: %s", err.buf);
            bad += strcmp(out.buf, thread_want[i]) != 0;
            strbuf_release(&out);
            strbuf_release(&err);
        }
    }
    return (void *)bad;
}

static void test_threads(void)
{
    for (int i = 0; i < 4; i++)
        thread_want[i] = strdup(conv(thread_docs[i], NULL));
    CHECK(strstr(thread_want[1], "ERR: line 2, column 6: invalid UTF-8") == thread_want[1]);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, thread_main, NULL);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    CHECK_INT(bad, 0);
    for (int i = 0; i < 4; i++)
        free(thread_want[i]);
}

int main(void)
{
    RUN(test_corpus);
    RUN(test_options);
    RUN(test_text_and_nulls);
    RUN(test_inference_edges);
    RUN(test_no_file_access);
    RUN(test_limits);
    RUN(test_first_error);
    RUN(test_threads);
    return unit_done();
}
