/*
 * fuzz_jsontext.c: libFuzzer target for common/jsontext. The input bytes are
 * parsed; when they parse, the value is dumped (compact and pretty), both
 * texts are parsed again and must give a value equal to the first
 * (json_equal), and dumping that again must give the same text. Nothing may
 * crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strbuf err = STRBUF_INIT;
    json_t *v = jsontext_parse((const char *)data, size, &err);
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
