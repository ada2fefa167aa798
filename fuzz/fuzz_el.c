/*
 * fuzz_el: libFuzzer target over the NiFi EL parser and evaluator.
 *
 * The input is the expression text (NUL bytes cut it short). It is compiled
 * both as a template and strictly; when it compiles it is evaluated against
 * a fixed attribute map holding numbers, dates, JSON, regex-ish text and a
 * nested expression (for evaluateELString). Any crash or sanitizer report is
 * a bug; errors are fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "el.h"
#include "strbuf.h"

static attrs fz_attrs;
static int fz_ready;

static void setup(void)
{
    attrs_init(&fz_attrs);
    attrs_set(&fz_attrs, "abc", "xyz");
    attrs_set(&fz_attrs, "n", "42");
    attrs_set(&fz_attrs, "d", "10.5");
    attrs_set(&fz_attrs, "ms", "1403620278642");
    attrs_set(&fz_attrs, "date", "2013/11/18 10:22:27.678");
    attrs_set(&fz_attrs, "json", "{\"a\":[1,2,{\"b\":\"c\"}],\"s\":\"t\"}");
    attrs_set(&fz_attrs, "list", "a,b,,c");
    attrs_set(&fz_attrs, "el", "${abc:toUpper()}");
    attrs_set(&fz_attrs, "http.query.param.sku", "SKU-1");
    attrs_set(&fz_attrs, "empty", "");
    setenv("TZ", "Europe/Kiev", 1);
    fz_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fz_ready) setup();
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    int col = 0;
    el_expr *e = el_compile(text, &err, &col);
    if (e) {
        (void)el_is_literal(e);
        if (el_eval(e, &fz_attrs, &out, &err) < 0 && !err.len) abort();
        el_free(e);
    } else if (col <= 0 || !err.len) {
        abort(); /* a syntax error always carries a column and a message */
    }
    strbuf_reset(&err);
    e = el_compile_ex(text, EL_STRICT, &err, &col);
    el_free(e);
    strbuf_release(&err);
    strbuf_release(&out);
    free(text);
    return 0;
}
