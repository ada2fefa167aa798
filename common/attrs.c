/*
 * attrs.c: insertion-ordered string map, linear scan. See attrs.h.
 */
#include "attrs.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static long find(const attrs *a, const char *key)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->keys[i], key) == 0)
            return (long)i;
    return -1;
}

void attrs_init(attrs *a)
{
    memset(a, 0, sizeof *a);
}

void attrs_release(attrs *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->keys[i]);
        free(a->vals[i]);
    }
    free(a->keys);
    free(a->vals);
    attrs_init(a);
}

const char *attrs_get(const attrs *a, const char *key)
{
    long i = find(a, key);
    return i < 0 ? NULL : a->vals[i];
}

void attrs_setn(attrs *a, const char *key, const char *val, size_t vlen)
{
    long i = find(a, key);
    if (i >= 0) {
        free(a->vals[i]);
        a->vals[i] = xstrndup(val, vlen);
        return;
    }
    if (a->n == a->alloc) {
        a->alloc = a->alloc ? a->alloc * 2 : 8;
        a->keys = xrealloc(a->keys, a->alloc * sizeof *a->keys);
        a->vals = xrealloc(a->vals, a->alloc * sizeof *a->vals);
    }
    a->keys[a->n] = xstrndup(key, strlen(key));
    a->vals[a->n] = xstrndup(val, vlen);
    a->n++;
}

void attrs_set(attrs *a, const char *key, const char *val)
{
    if (!val) {
        attrs_remove(a, key);
        return;
    }
    attrs_setn(a, key, val, strlen(val));
}

void attrs_remove(attrs *a, const char *key)
{
    long i = find(a, key);
    if (i < 0)
        return;
    free(a->keys[i]);
    free(a->vals[i]);
    memmove(a->keys + i, a->keys + i + 1, (a->n - (size_t)i - 1) * sizeof *a->keys);
    memmove(a->vals + i, a->vals + i + 1, (a->n - (size_t)i - 1) * sizeof *a->vals);
    a->n--;
}

void attrs_merge(attrs *dst, const attrs *src)
{
    for (size_t i = 0; i < src->n; i++)
        attrs_set(dst, src->keys[i], src->vals[i]);
}

void attrs_copy(attrs *dst, const attrs *src)
{
    attrs_release(dst);
    attrs_merge(dst, src);
}
