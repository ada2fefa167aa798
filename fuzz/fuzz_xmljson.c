/*
 * fuzz_xmljson.c: libFuzzer target for engines/xml (XML to JSON).
 *
 * The first input byte picks the options (convention, records as array,
 * type inference, attributes, an attribute prefix, always_array paths with
 * and without "*"); the rest is the document. Limits are kept small so a run
 * explores shapes, not sizes. Every conversion must either fail with a
 * message that starts with "line " or give the promised shape (an array for
 * nifi records, else an object; prefixed: an object with one key) whose
 * compact text parses back to an equal value. Nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "xmljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    static const char *const paths[] = { "*.*", "r.a.*", "r", NULL };
    xmljson_options opt;
    xmljson_options_init(&opt);
    opt.convention = (sel & 1) ? XMLJSON_PREFIXED : XMLJSON_NIFI;
    opt.records_as_array = (sel >> 1) & 1;
    opt.infer_types = (sel >> 2) & 1;
    opt.attributes = !((sel >> 3) & 1);
    opt.attribute_prefix = (sel >> 4) & 1 ? "a" : NULL; /* may collide with element names */
    opt.content_field = (sel >> 5) & 1 ? "" : NULL;
    opt.always_array = (sel >> 6) & 1 ? paths : NULL;
    opt.max_bytes = 1 << 16;
    opt.max_depth = 40;
    opt.max_nodes = 20000;

    strbuf err = STRBUF_INIT, text = STRBUF_INIT, err2 = STRBUF_INIT;
    json_t *v = xmljson_convert((const char *)data + 1, size - 1, &opt, &err);
    if (!v) {
        if (strncmp(err.buf, "line ", 5)) {
            fprintf(stderr, "error without a position: %s\n", err.buf);
            abort();
        }
    } else {
        if (opt.convention == XMLJSON_NIFI && opt.records_as_array ? !json_is_array(v) : !json_is_object(v))
            abort();
        if (opt.convention == XMLJSON_PREFIXED && json_object_size(v) != 1)
            abort();
        jsontext_dump(v, &text, 0);
        json_t *w = jsontext_parse(text.buf, text.len, &err2);
        if (!w || !json_equal(v, w)) {
            fprintf(stderr, "reparse failed: %s\n%s\n", err2.buf, text.buf);
            abort();
        }
        json_decref(w);
        json_decref(v);
    }
    strbuf_release(&err);
    strbuf_release(&err2);
    strbuf_release(&text);
    return 0;
}
