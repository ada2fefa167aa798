/*
 * fuzz_jolt.c: libFuzzer target for engines/jolt. The input bytes are split
 * at the first "\n---\n" (or in half when absent) into a spec and an input
 * document; both are parsed, the spec is compiled as a chain and as each
 * single operation, and applied. Nothing may crash or leak.
 */
#include <stdint.h>
#include <string.h>

#include "jolt.h"
#include "jsontext.h"

static const char *const OPS[] = {"shift", "default", "remove", "cardinality", "sort",
                                  "modify-overwrite-beta", "modify-default-beta", "modify-define-beta"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *sep = size >= 5 ? memmem(s, size, "\n---\n", 5) : NULL;
    size_t a = sep ? (size_t)(sep - s) : size / 2;
    size_t b_off = sep ? a + 5 : a;
    json_t *spec = jsontext_parse(s, a, NULL);
    json_t *input = jsontext_parse(s + b_off, size - b_off, NULL);
    if (spec) {
        jolt_spec *js = jolt_compile(spec, NULL);
        if (js) {
            json_decref(jolt_apply(js, input, input, NULL));
            jolt_free(js);
        }
        for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
            js = jolt_compile_op(OPS[i], spec, NULL);
            if (js) {
                json_decref(jolt_apply(js, input, input, NULL));
                jolt_free(js);
            }
        }
    }
    json_decref(spec);
    json_decref(input);
    return 0;
}
