/*
 * fuzz_jsontext.c: libFuzzer target for common/jsontext. The input bytes are
 * parsed; when they parse, the value is dumped (compact and pretty), both
 * texts are parsed again and must give a value equal to the first
 * (json_equal), and dumping that again must give the same text. The
 * validate-only scanner must agree with the parser: jsontext_minify accepts
 * exactly what jsontext_parse accepts, with the same error, and its output
 * parses to the same value; jsontext_parse_pick accepts the same inputs
 * (and a "\u0000" key in the parts it leaves out).
 * Nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

/* minify and pick against the parse's verdict v (NULL: rejected with err). */
static void check_scanner(const char *text, size_t size, const json_t *v, const strbuf *err)
{
    strbuf m = STRBUF_INIT, merr = STRBUF_INIT, perr = STRBUF_INIT;
    int rc = jsontext_minify(text, size, &m, NULL, &merr);
    if ((rc == 0) != (v != NULL) || (!v && strcmp(merr.buf, err->buf)))
        abort();
    if (v) {
        json_t *w = jsontext_parse(m.buf, m.len, &perr);
        if (!w || !json_equal(v, w))
            abort();
        json_decref(w);
    }
    /* the pick parse only builds part of it: a "\u0000" key, which only a
     * built object cannot hold, may pass in the parts it skips */
    json_t *p = jsontext_parse_pick(text, size, 1, "a", 3, NULL, &perr);
    if ((v && !p) || (!v && p && !strstr(err->buf, "NUL byte in object key")))
        abort();
    json_decref(p);
    static const char *const fields[] = { "b", NULL };
    p = jsontext_parse_pick(text, size, 1, "a", 3, fields, &perr);
    if ((v && !p) || (!v && p && !strstr(err->buf, "NUL byte in object key")))
        abort();
    json_decref(p);
    strbuf_release(&m);
    strbuf_release(&merr);
    strbuf_release(&perr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strbuf err = STRBUF_INIT;
    json_t *v = jsontext_parse((const char *)data, size, &err);
    check_scanner((const char *)data, size, v, &err);
    if (!v) {
        if (strncmp(err.buf, "line ", 5))
            abort(); /* every error carries its position */
        strbuf_release(&err);
        return 0;
    }
    for (int flags = 0; flags <= JSONTEXT_PRETTY; flags++) {
        strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        jsontext_dump(v, &a, flags);
        json_t *w = jsontext_parse(a.buf, a.len, &err);
        if (!w || !json_equal(v, w)) {
            fprintf(stderr, "reparse failed: %s\n%s\n", err.buf, a.buf);
            abort();
        }
        jsontext_dump(w, &b, flags);
        if (a.len != b.len || memcmp(a.buf, b.buf, a.len))
            abort();
        json_decref(w);
        strbuf_release(&a);
        strbuf_release(&b);
    }
    json_decref(v);
    strbuf_release(&err);
    return 0;
}
