/*
 * fuzz_receiver: libFuzzer target over the receiver's parsing of what a
 * pusher sends: the login's form body (receiver_form_field, the fields
 * username and password, percent-decoding) and a pushed body's JSON check
 * (jsontext_minify, what decides between 400 and publishing). Any crash or
 * sanitizer report is a bug; a refusal is fine. The first input byte picks
 * the target, the rest is the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "receiver.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    strbuf body = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_add(&body, data + 1, size - 1);
    if (data[0] & 1) {
        /* a form body: NUL ends it as it ends a C string */
        if (receiver_form_field(body.buf, "username", &out) == 1 && out.len > size)
            abort();   /* decoding never grows a value */
        receiver_form_field(body.buf, "password", &out);
    } else {
        if (jsontext_minify(body.buf, body.len, &out, NULL, &err) == 0 && out.len > body.len)
            abort();   /* minifying never grows a document */
    }
    strbuf_release(&body);
    strbuf_release(&out);
    strbuf_release(&err);
    return 0;
}
