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
#include "flowctl.h"
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
        const char *kv = NULL;
        if (strcmp(argv[i], "--attr") == 0 || strcmp(argv[i], "-a") == 0) {
            if (i + 1 >= argc) { attrs_release(&a); return usage(); }
            kv = argv[++i];
        } else if (strncmp(argv[i], "--attr=", 7) == 0) {
            kv = argv[i] + 7;
        }
        if (kv) {
            if (flowctl_kv(&a, kv, "flowctl el: --attr") < 0) { attrs_release(&a); return 1; }
        } else if (!text) {
            text = argv[i];
        } else {
            attrs_release(&a);
            return usage();
        }
    }
    if (!text) { attrs_release(&a); return usage(); }

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
    attrs_release(&a);
    return rc;
}
