/*
 * same_json.h: JSON equality for checking Jolt output, the one copy shared
 * by tests/unit/test_jolt.c, bench/jolt.c and tools/jolt-conformance.
 * same_json: objects compare unordered, arrays in order, and an integer
 * never equals a real (1 != 1.0). same_json_ordered: the same, but member
 * order is significant too, as it is to an ERP reading the serialized body
 * ({"a":1,"b":2} != {"b":2,"a":1}); this is what "equal to Java's output"
 * means for the Jolt engine.
 * Independent of engines/jolt on purpose: a test's oracle is not the code
 * under test. Header-only (static inline).
 */
#ifndef FF_SAME_JSON_H
#define FF_SAME_JSON_H

#include <jansson.h>
#include <string.h>

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

/* 1 if a and b are equal with member order and number kind significant
 * (NULL equals only NULL), else 0. */
static inline int same_json_ordered(const json_t *a, const json_t *b)
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
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia), ib = json_object_iter_next((json_t *)b, ib))
            if (strcmp(json_object_iter_key(ia), json_object_iter_key(ib)) ||
                !same_json_ordered(json_object_iter_value(ia), json_object_iter_value(ib)))
                return 0;
        return !ia && !ib;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_json_ordered(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

#endif
