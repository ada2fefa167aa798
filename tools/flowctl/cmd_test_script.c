/*
 * cmd_test_script.c: `flowctl test-script --script FILE --input JSON_FILE
 * [--attr k=v ...] [--timeout S]`, the product's "Script Testing" panel on
 * the command line.
 *
 * Compiles the script through pyscript (NiFi/Jython form or plain
 * transform form), runs it once on the input file's bytes with the given
 * attributes, and prints one pretty JSON object:
 *
 *   {"result_data": <output parsed as JSON if valid, else the text>,
 *    "attributes": {... the attributes after the run ...},
 *    "relationship": "success" | "failure"}
 *
 * plus "error": "<one-line reason>" on failure and "dropped": true when the
 * script removed the record (session.remove(), or transform() returned None).
 * Exit status: 0 success, 1 failure, 2 usage, file or compile error (the
 * message on stderr; a syntax error names the line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "flowctl.h"
#include "jsontext.h"
#include "pyscript.h"
#include "strbuf.h"

int cmd_test_script(int argc, char **argv);

static void test_script_usage(void)
{
    fprintf(stderr, "usage: flowctl test-script --script FILE --input JSON_FILE "
                    "[--attr k=v ...] [--timeout S]\n");
}

/* A JSON string value from bytes that may not be UTF-8 (never fails). */
static json_t *json_text(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    if (v)
        return v;
    strbuf sb = STRBUF_INIT; /* invalid UTF-8: keep it readable as Latin-1 */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            strbuf_addch(&sb, c);
        } else {
            strbuf_addch(&sb, 0xc0 | (c >> 6));
            strbuf_addch(&sb, 0x80 | (c & 0x3f));
        }
    }
    v = json_stringn(sb.buf, sb.len);
    strbuf_release(&sb);
    return v ? v : json_string("");
}

int cmd_test_script(int argc, char **argv)
{
    const char *script_path = NULL, *input_path = NULL;
    double timeout = 0;
    attrs a = ATTRS_INIT;
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            test_script_usage();
            attrs_release(&a);
            return 0;
        }
        if (strcmp(arg, "--script") && strcmp(arg, "--input") && strcmp(arg, "--attr") &&
            strcmp(arg, "--timeout")) {
            fprintf(stderr, "test-script: unknown argument '%s'\n", arg);
            test_script_usage();
            attrs_release(&a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "test-script: %s needs a value\n", arg);
            attrs_release(&a);
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(arg, "--script")) {
            script_path = val;
        } else if (!strcmp(arg, "--input")) {
            input_path = val;
        } else if (!strcmp(arg, "--timeout")) {
            char *end;
            timeout = strtod(val, &end);
            if (*end || timeout <= 0) {
                fprintf(stderr, "test-script: --timeout wants a positive number of seconds\n");
                attrs_release(&a);
                return 2;
            }
        } else {
            if (flowctl_kv(&a, val, "test-script: --attr") < 0) {
                attrs_release(&a);
                return 2;
            }
        }
    }
    if (!script_path || !input_path) {
        test_script_usage();
        attrs_release(&a);
        return 2;
    }

    strbuf src = STRBUF_INIT, input = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript *s = NULL;
    if (strbuf_read_file(&src, script_path) != 0) {
        fprintf(stderr, "test-script: cannot read %s\n", script_path);
        goto done;
    }
    if (strbuf_read_file(&input, input_path) != 0) {
        fprintf(stderr, "test-script: cannot read %s\n", input_path);
        goto done;
    }
    if (pyscript_global_init(&err) != 0) {
        fprintf(stderr, "test-script: %s\n", err.buf);
        goto done;
    }
    s = pyscript_compile(script_path, src.buf, &err);
    if (!s) {
        fprintf(stderr, "test-script: %s\n", err.buf);
        goto done;
    }
    pyscript_opts opts = {timeout, 0};
    int res = pyscript_run(s, input.buf, input.len, &a, &opts, &out, &err);

    json_t *doc = json_object();
    json_t *data = res == PYSCRIPT_DROPPED ? json_null() : jsontext_parse(out.buf, out.len, NULL);
    if (!data)
        data = json_text(out.buf, out.len);
    json_object_set_new(doc, "result_data", data);
    json_t *ja = json_object();
    for (size_t i = 0; i < a.n; i++)
        json_object_set_new(ja, a.keys[i], json_text(a.vals[i], strlen(a.vals[i])));
    json_object_set_new(doc, "attributes", ja);
    json_object_set_new(doc, "relationship",
                        json_string(res == PYSCRIPT_FAILURE ? "failure" : "success"));
    if (res == PYSCRIPT_DROPPED)
        json_object_set_new(doc, "dropped", json_true());
    if (res == PYSCRIPT_FAILURE)
        json_object_set_new(doc, "error", json_text(err.buf, err.len));
    strbuf text = STRBUF_INIT;
    jsontext_dump(doc, &text, JSONTEXT_PRETTY);
    json_decref(doc);
    fwrite(text.buf, 1, text.len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    strbuf_release(&text);
    rc = res == PYSCRIPT_FAILURE ? 1 : 0;
done:
    pyscript_free(s);
    attrs_release(&a);
    strbuf_release(&src);
    strbuf_release(&input);
    strbuf_release(&out);
    strbuf_release(&err);
    return rc;
}
