/*
 * jolt_val.c: the engine's own values, in an arena, for the output a chain
 * builds while it runs.
 *
 * Building a jansson tree member by member costs a malloc, a hash and a
 * key copy for each member, and the tree is freed member by member again.
 * The steps that build output (shift, default) build jolt_vals instead:
 * objects are arrays of members in insertion order (looked up by a linear
 * scan while small, through an open-addressing index of member positions
 * once they grow), arrays are arrays of pointers, and everything lives in
 * one arena freed at once when the apply is over. What the output takes
 * over from an input or a spec unchanged is not copied at all: a JV_JSON
 * value points at the jansson value (borrowed: the arena holds a reference
 * to each input it borrows from, see jolt_arena_hold). Only when a step
 * has to write inside such a container is it turned into an arena
 * container in place (jolt_val_own), its members still pointing at the
 * jansson children: copy on write, one level at a time.
 *
 * At the end the result is written out as JSON text directly
 * (jolt_val_dump) or turned into a jansson tree (jolt_val_to_json). There a
 * JV_JSON value is either copied (containers deep, as jolt_copy does: the
 * value came from the caller's input, which the output must not share) or
 * shared with a reference (values the chain itself made, and the caller's
 * input where a step passed it through: Java's Defaultr does not copy it
 * either). Member order, integer vs real and everything else the jansson
 * path gave are kept: the values are the same, only where they live
 * differs.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

/* ---- the arena ---- */

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    max_align_t data[]; /* size bytes */
} chunk;

struct jolt_arena {
    chunk *head;
    json_t **held; /* references released with the arena */
    size_t nheld, capheld;
};

#define CHUNK_MIN 8192
#define SPARE_MAX (256 * 1024)

/* Each thread keeps the largest chunk of its last arena (up to SPARE_MAX)
 * for the next one: an apply then usually allocates nothing but the arena
 * header from malloc, and does not hand malloc 8 KB blocks back each time
 * (which made glibc consolidate its free lists on every apply). Freed when
 * the thread ends. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_init(void)
{
    pthread_key_create(&spare_key, free);
}

jolt_arena *jolt_arena_new(void)
{
    jolt_arena *a = xcalloc(1, sizeof(jolt_arena));
    pthread_once(&spare_once, spare_init);
    chunk *c = pthread_getspecific(spare_key);
    if (c) {
        pthread_setspecific(spare_key, NULL);
        c->used = 0;
        c->next = NULL;
        a->head = c;
    }
    return a;
}

void jolt_arena_free(jolt_arena *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nheld; i++)
        json_decref(a->held[i]);
    free(a->held);
    chunk *keep = NULL;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (c->size <= SPARE_MAX && (!keep || c->size > keep->size)) {
            free(keep);
            keep = c;
        } else {
            free(c);
        }
    }
    if (keep) {
        free(pthread_getspecific(spare_key)); /* one a nested arena left */
        pthread_setspecific(spare_key, keep);
    }
    free(a);
}

void *jolt_arena_alloc(jolt_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (c && c->size * 2 > size && c->size < (1u << 20))
            size = c->size * 2; /* grow with the output */
        c = xmalloc(sizeof(chunk) + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

void jolt_arena_hold(jolt_arena *a, json_t *v)
{
    if (!v)
        return;
    if (a->nheld == a->capheld) {
        a->capheld = a->capheld ? a->capheld * 2 : 8;
        a->held = xrealloc(a->held, a->capheld * sizeof *a->held);
    }
    a->held[a->nheld++] = v;
}

/* ---- values ---- */

jolt_val *jolt_val_json(jolt_arena *a, const json_t *v, int share)
{
    jolt_val *x = jolt_arena_alloc(a, sizeof *x);
    memset(x, 0, sizeof *x);
    x->kind = JV_JSON;
    x->share = share;
    x->json = v ? v : json_null();
    return x;
}

jolt_val *jolt_val_new(jolt_arena *a, int kind)
{
    jolt_val *x = jolt_arena_alloc(a, sizeof *x);
    memset(x, 0, sizeof *x);
    x->kind = kind;
    return x;
}

int jolt_val_is_null(const jolt_val *v)
{
    return v->kind == JV_JSON && json_is_null(v->json);
}

int jolt_val_is_object(const jolt_val *v)
{
    return v->kind == JV_OBJ || (v->kind == JV_JSON && json_is_object(v->json));
}

int jolt_val_is_array(const jolt_val *v)
{
    return v->kind == JV_ARR || (v->kind == JV_JSON && json_is_array(v->json));
}

/* Makes room for one more item in an arena container (arena memory: the
 * old block is left behind when it grows). */
static void grow(jolt_arena *a, jolt_val *v)
{
    if (v->n < v->cap)
        return;
    size_t cap = v->cap ? v->cap * 2 : 4;
    if (v->kind == JV_OBJ) {
        jolt_member *m = jolt_arena_alloc(a, cap * sizeof *m);
        if (v->n)
            memcpy(m, v->m, v->n * sizeof *m);
        v->m = m;
    } else {
        jolt_val **items = jolt_arena_alloc(a, cap * sizeof *items);
        if (v->n)
            memcpy(items, v->a, v->n * sizeof *items);
        v->a = items;
    }
    v->cap = cap;
}

/* FNV-1a, for the member index */
static uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

#define INDEX_FROM 16 /* members from which an object keeps an index */

static void index_put(jolt_val *o, size_t pos)
{
    size_t mask = o->icap - 1, i = key_hash(o->m[pos].key, o->m[pos].klen) & mask;
    while (o->index[i])
        i = (i + 1) & mask;
    o->index[i] = (uint32_t)pos + 1;
}

/* (Re)builds the index of a grown object: load at most one half. */
static void index_build(jolt_arena *a, jolt_val *o)
{
    size_t cap = 32;
    while (cap < 2 * (o->n + 1))
        cap *= 2;
    o->index = jolt_arena_alloc(a, cap * sizeof *o->index);
    memset(o->index, 0, cap * sizeof *o->index);
    o->icap = cap;
    for (size_t i = 0; i < o->n; i++)
        index_put(o, i);
}

/* Position of key in an arena object, or -1. */
static long find(const jolt_val *o, const char *key, size_t klen)
{
    if (o->index) {
        size_t mask = o->icap - 1;
        for (size_t i = key_hash(key, klen) & mask; o->index[i]; i = (i + 1) & mask) {
            const jolt_member *m = &o->m[o->index[i] - 1];
            if (m->klen == klen && !memcmp(m->key, key, klen))
                return (long)o->index[i] - 1;
        }
        return -1;
    }
    for (size_t i = 0; i < o->n; i++)
        if (o->m[i].klen == klen && (!klen || o->m[i].key[0] == key[0]) && !memcmp(o->m[i].key, key, klen))
            return (long)i;
    return -1;
}

/* Appends a member known to be new. */
static void add_member(jolt_arena *a, jolt_val *o, const char *key, size_t klen, jolt_val *v)
{
    grow(a, o);
    o->m[o->n].key = key;
    o->m[o->n].klen = klen;
    o->m[o->n].val = v;
    o->n++;
    if (o->index && 2 * (o->n + 1) > o->icap)
        index_build(a, o);
    else if (o->index)
        index_put(o, o->n - 1);
    else if (o->n >= INDEX_FROM)
        index_build(a, o);
}

void jolt_val_own(jolt_arena *a, jolt_val *v)
{
    if (v->kind != JV_JSON)
        return;
    const json_t *j = v->json;
    if (json_is_object(j)) {
        v->kind = JV_OBJ;
        v->n = v->cap = 0;
        v->m = NULL;
        /* jansson keeps keys unique: no lookup needed (the key text lives
         * as long as the borrowed object) */
        for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it))
            add_member(a, v, json_object_iter_key(it), json_object_iter_key_len(it),
                       jolt_val_json(a, json_object_iter_value(it), v->share));
    } else if (json_is_array(j)) {
        size_t n = json_array_size(j);
        v->kind = JV_ARR;
        v->n = 0;
        v->cap = n;
        v->a = n ? jolt_arena_alloc(a, n * sizeof *v->a) : NULL;
        for (size_t i = 0; i < n; i++)
            v->a[v->n++] = jolt_val_json(a, json_array_get(j, i), v->share);
    }
}

jolt_val *jolt_val_get(const jolt_val *obj, const char *key, size_t klen)
{
    long i = find(obj, key, klen);
    return i < 0 ? NULL : obj->m[i].val;
}

int jolt_val_set(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, int stable_key, jolt_val *v)
{
    long i = find(obj, key, klen);
    if (i >= 0) {
        obj->m[i].val = v; /* in place: the member keeps its position */
        return 0;
    }
    if (!stable_key) {
        /* a computed key: checked as jansson checks keys, and copied */
        if (!jsontext_utf8_valid(key, klen))
            return -1;
        char *k = jolt_arena_alloc(a, klen + 1);
        memcpy(k, key, klen);
        k[klen] = '\0';
        key = k;
    }
    add_member(a, obj, key, klen, v);
    return 0;
}

void jolt_val_append(jolt_arena *a, jolt_val *arr, jolt_val *v)
{
    grow(a, arr);
    arr->a[arr->n++] = v;
}

int jolt_val_put(jolt_arena *a, jolt_val *arr, long idx, jolt_val *v, long max_pad)
{
    if (idx < 0 || idx > max_pad)
        return -1;
    while (arr->n <= (size_t)idx)
        jolt_val_append(a, arr, jolt_val_json(a, json_null(), 1));
    arr->a[idx] = v;
    return 0;
}

/* ---- out of the arena ---- */

static json_t *to_json(const jolt_val *v)
{
    switch (v->kind) {
    case JV_OBJ: {
        json_t *o = json_object();
        for (size_t i = 0; i < v->n; i++)
            json_object_setn_new_nocheck(o, v->m[i].key, v->m[i].klen, to_json(v->m[i].val));
        return o;
    }
    case JV_ARR: {
        json_t *arr = json_array();
        for (size_t i = 0; i < v->n; i++)
            json_array_append_new(arr, to_json(v->a[i]));
        return arr;
    }
    default:
        return v->share ? json_incref((json_t *)v->json) : jolt_copy(v->json);
    }
}

json_t *jolt_val_to_json(const jolt_val *v)
{
    /* a container passed through untouched is still a value of its own at
     * the top (a shallow copy), as the jansson steps returned it */
    if (v->kind == JV_JSON && v->share && (json_is_object(v->json) || json_is_array(v->json)))
        return json_copy((json_t *)v->json);
    return to_json(v);
}

void jolt_val_dump(const jolt_val *v, strbuf *out)
{
    switch (v->kind) {
    case JV_OBJ:
        strbuf_addch(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                strbuf_addch(out, ',');
            jsontext_dump_string(v->m[i].key, v->m[i].klen, out);
            strbuf_addch(out, ':');
            jolt_val_dump(v->m[i].val, out);
        }
        strbuf_addch(out, '}');
        break;
    case JV_ARR:
        strbuf_addch(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                strbuf_addch(out, ',');
            jolt_val_dump(v->a[i], out);
        }
        strbuf_addch(out, ']');
        break;
    default:
        jsontext_dump(v->json, out, 0);
        break;
    }
}
