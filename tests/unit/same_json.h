/*
 * same_json.h: JSON equality for checking Jolt output, the one copy shared
 * by tests/unit/test_jolt.c and bench/jolt.c. Objects compare unordered,
 * arrays in order, and an integer never equals a real (1 != 1.0).
 * Independent of engines/jolt on purpose: a test's oracle is not the code
 * under test. Header-only (static inline).
 */
#ifndef FF_SAME_JSON_H
#define FF_SAME_JSON_H

#include <jansson.h>

/* 1 if a and b are equal as above (NULL equals only NULL), else 0. */
static inline int same_json(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_real(a))
        return json_real_value(a) == json_real_value(b);
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) if (!same_json(v, json_object_get(b, k))) return 0;
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_json(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

#endif
