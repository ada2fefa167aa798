/*
 * cmd_map.c: `flowctl map --spec SPEC.json --input INPUT.json [--context CTX.json]`.
 *
 * Loads the Jolt spec, the input and the optional context through jsontext
 * (comments allowed), compiles the spec once, applies it and prints the result
 * as pretty JSON on stdout. Any spec, input or transform error goes to stderr
 * with exit status 1.
 */
#include <stdio.h>
#include <string.h>

#include "jolt.h"
#include "jsontext.h"
#include "strbuf.h"

int cmd_map(int argc, char **argv);

static void map_usage(void)
{
    fprintf(stderr, "usage: flowctl map --spec SPEC.json --input INPUT.json [--context CTX.json]\n");
}

int cmd_map(int argc, char **argv)
{
    const char *spec_path = NULL, *input_path = NULL, *ctx_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (!strcmp(a, "--spec"))
            dst = &spec_path;
        else if (!strcmp(a, "--input"))
            dst = &input_path;
        else if (!strcmp(a, "--context"))
            dst = &ctx_path;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            map_usage();
            return 0;
        } else {
            fprintf(stderr, "map: unknown argument '%s'\n", a);
            map_usage();
            return 1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "map: %s needs a value\n", a);
            return 1;
        }
        *dst = argv[++i];
    }
    if (!spec_path || !input_path) {
        map_usage();
        return 1;
    }

    int rc = 1;
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    json_t *spec = NULL, *input = NULL, *ctx = NULL, *res = NULL;
    jolt_spec *js = NULL;

    spec = jsontext_load_file(spec_path, &err);
    if (!spec) {
        fprintf(stderr, "map: spec: %s\n", err.buf);
        goto done;
    }
    js = jolt_compile(spec, &err);
    if (!js) {
        fprintf(stderr, "map: spec error: %s\n", err.buf);
        goto done;
    }
    input = jsontext_load_file(input_path, &err);
    if (!input) {
        fprintf(stderr, "map: input: %s\n", err.buf);
        goto done;
    }
    if (ctx_path) {
        ctx = jsontext_load_file(ctx_path, &err);
        if (!ctx) {
            fprintf(stderr, "map: context: %s\n", err.buf);
            goto done;
        }
    }
    res = jolt_apply(js, input, ctx, &err);
    if (!res) {
        fprintf(stderr, "map: transform error: %s\n", err.buf);
        goto done;
    }
    jsontext_dump(res, &out, JSONTEXT_PRETTY);
    fwrite(out.buf, 1, out.len, stdout);
    if (!out.len || out.buf[out.len - 1] != '\n')
        fputc('\n', stdout);
    rc = 0;
done:
    json_decref(res);
    json_decref(ctx);
    json_decref(input);
    json_decref(spec);
    jolt_free(js);
    strbuf_release(&out);
    strbuf_release(&err);
    return rc;
}
