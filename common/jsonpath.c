/*
 * jsonpath.c: reading a dotted path ("a.b.0.c") in a JSON value, and an
 * id's text. See jsonpath.h.
 */
#include "jsonpath.h"

#include <stdlib.h>
#include <string.h>

int jsonpath_id_text(const json_t *v, strbuf *out)
{
    if (json_is_integer(v))
        strbuf_setf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        strbuf_setf(out, "%s", json_string_value(v));
    else
        return -1;
    return 0;
}

json_t *jsonpath_get(json_t *v, const char *path)
{
    if (!path || !*path)
        return v;
    const char *s = path;
    char seg[256];
    while (v && *s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, s, n);
        seg[n] = '\0';
        if (json_is_object(v)) {
            v = json_object_get(v, seg);
        } else if (json_is_array(v)) {
            char *end;
            long i = strtol(seg, &end, 10);
            v = (*end || n == 0) ? NULL : json_array_get(v, (size_t)i);
        } else {
            v = NULL;
        }
        s += n;
        if (*s == '.')
            s++;
    }
    return v;
}
