/* Fuzz target: envelope_decode on arbitrary bytes must never crash or leak;
 * what decodes must encode and decode again to the same fields. */
#include <stdint.h>
#include <string.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope e, f;
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    envelope_init(&e);
    envelope_init(&f);
    if (envelope_decode(&e, data, size, &err) == 0) {
        envelope_encode(&e, &out);
        if (envelope_decode(&f, out.buf, out.len, &err) != 0 || strcmp(e.flow, f.flow) ||
            e.body.len != f.body.len || e.attrs.n != f.attrs.n || e.attempt != f.attempt)
            __builtin_trap();
    }
    envelope_release(&e);
    envelope_release(&f);
    strbuf_release(&err);
    strbuf_release(&out);
    return 0;
}
