/*
 * cmd_el: `flowctl el 'EXPRESSION' [--attr k=v ...]` evaluates one NiFi
 * Expression Language template against the given attributes and prints the
 * result. A syntax error is printed with its column to stderr (exit 1); an
 * evaluation error likewise.
 */
#include <stdio.h>
#include <string.h>

#include "attrs.h"
#include "el.h"
#include "strbuf.h"

int cmd_el(int argc, char **argv);

static int usage(void)
{
    fprintf(stderr, "usage: flowctl el 'EXPRESSION' [--attr k=v ...]\n");
    return 1;
}

int cmd_el(int argc, char **argv)
{
    const char *text = NULL;
    attrs a = ATTRS_INIT;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--attr") == 0 || strcmp(argv[i], "-a") == 0) {
            if (i + 1 >= argc) { attrs_free(&a); return usage(); }
            const char *kv = argv[++i];
            const char *eq = strchr(kv, '=');
            if (!eq) { fprintf(stderr, "flowctl el: --attr wants k=v, got '%s'\n", kv); attrs_free(&a); return 1; }
            strbuf k = STRBUF_INIT;
            strbuf_add(&k, kv, (size_t)(eq - kv));
            attrs_set(&a, k.buf, eq + 1);
            strbuf_release(&k);
        } else if (strncmp(argv[i], "--attr=", 7) == 0) {
            const char *kv = argv[i] + 7;
            const char *eq = strchr(kv, '=');
            if (!eq) { fprintf(stderr, "flowctl el: --attr wants k=v, got '%s'\n", kv); attrs_free(&a); return 1; }
            strbuf k = STRBUF_INIT;
            strbuf_add(&k, kv, (size_t)(eq - kv));
            attrs_set(&a, k.buf, eq + 1);
            strbuf_release(&k);
        } else if (!text) {
            text = argv[i];
        } else {
            attrs_free(&a);
            return usage();
        }
    }
    if (!text) { attrs_free(&a); return usage(); }

    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    int col = 0;
    el_expr *e = el_compile(text, &err, &col);
    if (!e) {
        fprintf(stderr, "flowctl el: %s\n", err.buf);
    } else if (el_eval(e, &a, &out, &err) < 0) {
        fprintf(stderr, "flowctl el: %s\n", err.buf);
    } else {
        fwrite(out.buf, 1, out.len, stdout);
        fputc('\n', stdout);
        rc = 0;
    }
    el_free(e);
    strbuf_release(&err);
    strbuf_release(&out);
    attrs_free(&a);
    return rc;
}
