/*
 * jolt_sort.c: the "sort" operation (Java's Sortr).
 *
 * Returns a copy of the input in which every object's keys are ordered:
 * keys starting with '~' first, then the rest, each group in Java
 * String.compareTo order (UTF-16 code units, which for ASCII is byte order).
 * Arrays keep their element order; objects inside them are sorted too. Sort
 * takes no spec (any spec given is ignored, as in Java).
 */
#include "jolt_int.h"

#include <stdlib.h>
#include <string.h>

/* next UTF-16 code unit of a UTF-8 string; *pending holds a low surrogate */
static int next_unit(const unsigned char **s, int *pending)
{
    if (*pending) {
        int u = *pending;
        *pending = 0;
        return u;
    }
    const unsigned char *p = *s;
    if (!*p)
        return -1;
    unsigned cp;
    int n;
    if (p[0] < 0x80) {
        cp = p[0];
        n = 1;
    } else if ((p[0] & 0xE0) == 0xC0 && p[1]) {
        cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
        n = 2;
    } else if ((p[0] & 0xF0) == 0xE0 && p[1] && p[2]) {
        cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        n = 3;
    } else if ((p[0] & 0xF8) == 0xF0 && p[1] && p[2] && p[3]) {
        cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
        n = 4;
    } else {
        cp = p[0];
        n = 1;
    }
    *s = p + n;
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *pending = 0xDC00 + (int)(cp & 0x3FF);
        return 0xD800 + (int)(cp >> 10);
    }
    return (int)cp;
}

static int java_compare(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    int px = 0, py = 0;
    for (;;) {
        int ux = next_unit(&x, &px), uy = next_unit(&y, &py);
        if (ux != uy)
            return ux < uy ? -1 : 1;
        if (ux < 0)
            return 0;
    }
}

static int key_cmp(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    int ta = a[0] == '~', tb = b[0] == '~';
    if (ta != tb)
        return ta ? -1 : 1;
    return java_compare(a, b);
}

static json_t *sort_value(const json_t *v)
{
    if (json_is_object(v)) {
        size_t n, i;
        const char **keys = jolt_object_keys(v, &n);
        qsort(keys, n, sizeof *keys, key_cmp);
        json_t *out = json_object();
        for (i = 0; i < n; i++)
            json_object_set_new(out, keys[i], sort_value(json_object_get(v, keys[i])));
        free(keys);
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(out, sort_value(x));
        return out;
    }
    return jolt_copy(v);
}

static json_t *sort_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    (void)err;
    (void)impl;
    (void)context;
    return sort_value(input);
}

static void sort_free(void *impl)
{
    (void)impl;
}

int jolt_sort_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    (void)spec;
    (void)p;
    (void)err;
    static const char marker = 0;
    op->name = "sort";
    op->impl = (void *)&marker;
    op->apply = sort_apply;
    op->free_impl = sort_free;
    return 0;
}
