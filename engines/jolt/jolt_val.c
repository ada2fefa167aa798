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
 * jolt_apply_text reads its input straight into these values too
 * (jolt_val_parse: a jsontext_builder, so the reader's checks and errors
 * are jsontext_parse's), scalars included (JV_STR, JV_INT...; a string
 * written without escapes points into the text and is written back as it
 * was). The steps read inputs through jolt_in_*, which take either form;
 * what an output takes over from an arena input is a JV_REF (copied on
 * write like JV_JSON) or, for a scalar, the scalar itself: scalars are
 * never changed once made.
 *
 * An object knows whether none of its keys needs escaping in JSON text
 * (jolt_val.plain: keys read from the text without escapes, a spec's
 * interned keys), and then the writer copies its keys as they are.
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

/* Each thread keeps its last arena, with the largest of its chunks (up to
 * SPARE_MAX), for the next one: an apply then usually allocates nothing
 * from malloc at all, and does not hand malloc 8 KB blocks back each time
 * (which made glibc consolidate its free lists on every apply). The spare
 * is a thread-local pointer (no call to reach it); a pthread key, set once
 * per thread, frees it when the thread ends. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static __thread jolt_arena *spare;
static __thread int spare_registered;

static void arena_destroy(jolt_arena *a)
{
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a->held);
    free(a);
}

static void spare_release(void *unused)
{
    (void)unused;
    if (spare)
        arena_destroy(spare);
    spare = NULL;
}

static void spare_init(void)
{
    pthread_key_create(&spare_key, spare_release);
}

jolt_arena *jolt_arena_new(void)
{
    jolt_arena *a = spare;
    if (!a)
        return xcalloc(1, sizeof(jolt_arena));
    spare = NULL;
    if (a->head) {
        a->head->used = 0;
        a->head->next = NULL;
    }
    return a;
}

void jolt_arena_free(jolt_arena *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nheld; i++)
        json_decref(a->held[i]);
    a->nheld = 0;
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
    if (keep)
        keep->next = NULL;
    a->head = keep;
    if (spare) /* one a nested arena left */
        arena_destroy(spare);
    if (!spare_registered) {
        pthread_once(&spare_once, spare_init);
        pthread_setspecific(spare_key, &spare_registered); /* any non-NULL value: the destructor runs */
        spare_registered = 1;
    }
    spare = a;
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
    x->plain = kind == JV_OBJ; /* no key yet */
    return x;
}

#define deref jolt_val_deref

int jolt_val_is_null(const jolt_val *v)
{
    return v->kind == JV_NULL || (v->kind == JV_JSON && json_is_null(v->json));
}

int jolt_val_is_object_any(const jolt_val *v)
{
    v = deref(v);
    return v->kind == JV_OBJ || (v->kind == JV_JSON && json_is_object(v->json));
}

int jolt_val_is_array_any(const jolt_val *v)
{
    v = deref(v);
    return v->kind == JV_ARR || (v->kind == JV_JSON && json_is_array(v->json));
}

/* Makes room for one more item in an arena container (arena memory: the
 * old block is left behind when it grows). */
static void grow(jolt_arena *a, jolt_val *v)
{
    if (v->n < v->cap)
        return;
    size_t cap = v->cap ? v->cap * 2 : v->kind == JV_OBJ ? 8 : 4;
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

#define INDEX_FROM JOLT_INDEX_FROM

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
static inline long find(const jolt_val *o, const char *key, size_t klen)
{
    if (o->index) {
        size_t mask = o->icap - 1;
        for (size_t i = key_hash(key, klen) & mask; o->index[i]; i = (i + 1) & mask) {
            const jolt_member *m = &o->m[o->index[i] - 1];
            if (jolt_member_is(m, key, klen))
                return (long)o->index[i] - 1;
        }
        return -1;
    }
    for (size_t i = 0; i < o->n; i++)
        if (jolt_member_is(&o->m[i], key, klen))
            return (long)i;
    return -1;
}

/* Appends a member known to be new (its key of no known dom, see
 * jolt_val_slot_in; plain: it has nothing to escape). */
static inline void add_member(jolt_arena *a, jolt_val *o, const char *key, size_t klen, jolt_val *v, int plain)
{
    o->kdom = NULL;
    o->plain &= plain;
    if (o->n == o->cap)
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

void jolt_val_own_copy(jolt_arena *a, jolt_val *v)
{
    if (v->kind == JV_REF) {
        /* a copy of the arena container's item list, items taken over */
        const jolt_val *r = deref(v);
        if (r->kind == JV_JSON) {
            v->kind = JV_JSON;
            v->json = r->json;
            v->share = 0;
        } else {
            v->kind = r->kind;
            v->plain = r->plain;
            v->n = v->cap = 0;
            v->m = NULL;
            v->a = NULL;
            v->index = NULL;
            for (size_t i = 0; i < r->n; i++) {
                if (r->kind == JV_OBJ)
                    add_member(a, v, r->m[i].key, r->m[i].klen, jolt_val_take(a, r->m[i].val), 1);
                else
                    jolt_val_append(a, v, jolt_val_take(a, r->a[i]));
            }
            return;
        }
    }
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
                       jolt_val_json(a, json_object_iter_value(it), v->share), 0);
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
    return jolt_val_add(a, obj, key, klen, stable_key, v);
}

/* A key for a member: key itself when stable (see jolt_val_set), else
 * checked as jansson checks keys and copied into the arena; NULL when it
 * is not UTF-8. */
static const char *member_key(jolt_arena *a, const char *key, size_t klen, int stable)
{
    if (stable)
        return key;
    if (!jsontext_utf8_valid(key, klen))
        return NULL;
    char *k = jolt_arena_alloc(a, klen + 1);
    memcpy(k, key, klen);
    k[klen] = '\0';
    return k;
}

int jolt_val_add(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, int stable_key, jolt_val *v)
{
    if (!(key = member_key(a, key, klen, stable_key)))
        return -1;
    add_member(a, obj, key, klen, v, (stable_key & JOLT_KEY_PLAIN) != 0);
    return 0;
}


jolt_val **jolt_val_slot(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, int stable_key, int *fresh)
{
    long i = find(obj, key, klen);
    if (i >= 0) {
        *fresh = 0;
        return &obj->m[i].val;
    }
    if (!(key = member_key(a, key, klen, stable_key)))
        return NULL;
    add_member(a, obj, key, klen, NULL, (stable_key & JOLT_KEY_PLAIN) != 0);
    *fresh = 1;
    return &obj->m[obj->n - 1].val;
}

jolt_keydom *jolt_keydom_new(void)
{
    jolt_keydom *d = xcalloc(1, sizeof *d);
    d->plain = 1;
    return d;
}

void jolt_keydom_free(jolt_keydom *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nkeys; i++)
        free(d->keys[i]);
    free(d->keys);
    free(d);
}

const char *jolt_keydom_intern(jolt_keydom *d, const char *key)
{
    for (size_t i = 0; i < d->nkeys; i++)
        if (!strcmp(d->keys[i], key))
            return d->keys[i];
    if (!jsontext_plain(key, strlen(key)))
        d->plain = 0;
    d->keys = xrealloc(d->keys, (d->nkeys + 1) * sizeof *d->keys);
    return d->keys[d->nkeys++] = xstrdup(key);
}

jolt_val **jolt_val_slot_in_any(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, const jolt_keydom *dom,
                                int *fresh)
{
    if (obj->n && obj->kdom != dom)
        return jolt_val_slot(a, obj, key, klen, JOLT_KEY_STABLE | (dom->plain ? JOLT_KEY_PLAIN : 0), fresh);
    if (!obj->index) {
        /* every key there is interned in dom: the same text is the same pointer */
        for (size_t i = 0; i < obj->n; i++)
            if (obj->m[i].key == key) {
                *fresh = 0;
                return &obj->m[i].val;
            }
    } else {
        long i = find(obj, key, klen);
        if (i >= 0) {
            *fresh = 0;
            return &obj->m[i].val;
        }
    }
    add_member(a, obj, key, klen, NULL, dom->plain);
    obj->kdom = dom;
    *fresh = 1;
    return &obj->m[obj->n - 1].val;
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

/* copy: below a JV_REF, where everything is the input's: nothing shared */
static json_t *to_json(const jolt_val *v, int copy)
{
    switch (v->kind) {
    case JV_OBJ: {
        json_t *o = json_object();
        for (size_t i = 0; i < v->n; i++)
            json_object_setn_new_nocheck(o, v->m[i].key, v->m[i].klen, to_json(v->m[i].val, copy));
        return o;
    }
    case JV_ARR: {
        json_t *arr = json_array();
        for (size_t i = 0; i < v->n; i++)
            json_array_append_new(arr, to_json(v->a[i], copy));
        return arr;
    }
    case JV_REF:
        return to_json(v->ref, 1);
    case JV_STR:
        return json_stringn_nocheck(v->str, v->n);
    case JV_INT:
        return json_integer(v->i);
    case JV_REAL:
        return json_real(v->d);
    case JV_TRUE:
        return json_true();
    case JV_FALSE:
        return json_false();
    case JV_NULL:
        return json_null();
    default:
        return v->share && !copy ? json_incref((json_t *)v->json) : jolt_copy(v->json);
    }
}

json_t *jolt_val_to_json(const jolt_val *v)
{
    /* a container passed through untouched is still a value of its own at
     * the top (a shallow copy), as the jansson steps returned it */
    if (v->kind == JV_JSON && v->share && (json_is_object(v->json) || json_is_array(v->json)))
        return json_copy((json_t *)v->json);
    return to_json(v, 0);
}

void jolt_val_dump(const jolt_val *v, strbuf *out)
{
    switch (v->kind) {
    case JV_OBJ: {
        int plain = v->plain; /* keys with nothing to escape: written as they are */
        strbuf_addch(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            const jolt_member *m = &v->m[i];
            if (plain) {
                strbuf_grow(out, m->klen + 4);
                char *d = out->buf + out->len;
                size_t o = 0;
                if (i)
                    d[o++] = ',';
                d[o++] = '"';
                memcpy(d + o, m->key, m->klen);
                o += m->klen;
                d[o++] = '"';
                d[o++] = ':';
                out->len += o;
                out->buf[out->len] = '\0';
            } else {
                if (i)
                    strbuf_addch(out, ',');
                jsontext_dump_string(m->key, m->klen, out);
                strbuf_addch(out, ':');
            }
            jolt_val_dump(m->val, out);
        }
        strbuf_addch(out, '}');
        break;
    }
    case JV_ARR:
        strbuf_addch(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                strbuf_addch(out, ',');
            jolt_val_dump(v->a[i], out);
        }
        strbuf_addch(out, ']');
        break;
    case JV_REF:
        jolt_val_dump(v->ref, out);
        break;
    case JV_STR:
        if (v->plain) { /* nothing to escape: the text as it was */
            strbuf_grow(out, v->n + 2);
            out->buf[out->len++] = '"';
            memcpy(out->buf + out->len, v->str, v->n);
            out->len += v->n;
            out->buf[out->len++] = '"';
            out->buf[out->len] = '\0';
        } else {
            jsontext_dump_string(v->str, v->n, out);
        }
        break;
    case JV_INT:
        jsontext_dump_integer(v->i, out);
        break;
    case JV_REAL:
        jsontext_dump_real(v->d, out);
        break;
    case JV_TRUE:
        strbuf_addstr(out, "true");
        break;
    case JV_FALSE:
        strbuf_addstr(out, "false");
        break;
    case JV_NULL:
        strbuf_addstr(out, "null");
        break;
    default:
        jsontext_dump(v->json, out, 0);
        break;
    }
}

/* ---- reading inputs ---- */

json_type jolt_in_type(const jolt_val *v)
{
    v = deref(v);
    switch (v->kind) {
    case JV_OBJ: return JSON_OBJECT;
    case JV_ARR: return JSON_ARRAY;
    case JV_STR: return JSON_STRING;
    case JV_INT: return JSON_INTEGER;
    case JV_REAL: return JSON_REAL;
    case JV_TRUE: return JSON_TRUE;
    case JV_FALSE: return JSON_FALSE;
    case JV_NULL: return JSON_NULL;
    default: return json_typeof(v->json);
    }
}

size_t jolt_in_size(const jolt_val *v)
{
    v = deref(v);
    if (v->kind == JV_OBJ || v->kind == JV_ARR)
        return v->n;
    if (v->kind == JV_JSON)
        return json_is_object(v->json) ? json_object_size(v->json) : json_array_size(v->json);
    return 0;
}

const jolt_val *jolt_in_get_any(jolt_arena *a, const jolt_val *obj, const char *key, size_t klen)
{
    obj = deref(obj);
    if (obj->kind == JV_OBJ)
        return jolt_val_get(obj, key, klen);
    if (obj->kind != JV_JSON)
        return NULL;
    json_t *c = json_object_getn(obj->json, key, klen);
    return c ? jolt_val_json(a, c, obj->share) : NULL;
}

const jolt_val *jolt_in_at(jolt_arena *a, const jolt_val *arr, size_t i)
{
    arr = deref(arr);
    if (arr->kind == JV_ARR)
        return i < arr->n ? arr->a[i] : NULL;
    if (arr->kind != JV_JSON)
        return NULL;
    json_t *c = json_array_get(arr->json, i);
    return c ? jolt_val_json(a, c, arr->share) : NULL;
}

int jolt_in_next(jolt_arena *a, const jolt_val *obj, jolt_in_iter *it, const char **key, size_t *klen,
                 const jolt_val **val)
{
    obj = deref(obj);
    if (obj->kind == JV_OBJ) {
        if (it->i >= obj->n)
            return 0;
        *key = obj->m[it->i].key;
        *klen = obj->m[it->i].klen;
        *val = obj->m[it->i].val;
        it->i++;
        return 1;
    }
    if (obj->kind != JV_JSON)
        return 0;
    it->it = it->started ? json_object_iter_next((json_t *)obj->json, it->it) : json_object_iter((json_t *)obj->json);
    it->started = 1;
    if (!it->it)
        return 0;
    *key = json_object_iter_key(it->it);
    *klen = strlen(*key); /* as a C string, as the engine reads keys (a jansson key may hold a NUL) */
    *val = jolt_val_json(a, json_object_iter_value(it->it), obj->share);
    return 1;
}

const json_t *jolt_in_json(const jolt_val *v)
{
    v = deref(v);
    return v->kind == JV_JSON ? v->json : NULL;
}

void jolt_in_tostring(const jolt_val *v, strbuf *out)
{
    v = deref(v);
    if (v->kind == JV_JSON) {
        jolt_java_tostring(v->json, out);
        return;
    }
    json_t *j = to_json(v, 1); /* scalars, rarely: no second formatter */
    jolt_java_tostring(j, out);
    json_decref(j);
}

jolt_val *jolt_val_take_any(jolt_arena *a, const jolt_val *v)
{
    switch (v->kind) {
    case JV_JSON:
        return jolt_val_json(a, v->json, 0);
    case JV_OBJ:
    case JV_ARR:
    case JV_REF: {
        jolt_val *r = jolt_val_new(a, JV_REF);
        r->ref = deref(v);
        return r;
    }
    default:
        return (jolt_val *)v; /* scalars are never changed */
    }
}

/* ---- the reader's builder: arena values straight from the text ---- */

static void *ab_object(void *ctx)
{
    return jolt_val_new(ctx, JV_OBJ);
}

static void ab_set(void *ctx, void *obj, const char *key, size_t klen, int in_text, void *v)
{
    jolt_val *o = obj;
    /* a duplicate key is rare: looked for only when a key with the same
     * length and end bytes came before (kmask) */
    uint32_t bit = 1u << ((klen + (klen ? (unsigned char)key[0] * 3u + (unsigned char)key[klen - 1] : 0)) & 31);
    if (o->kmask & bit) {
        long i = find(o, key, klen);
        if (i >= 0) { /* the last value, at the first place */
            o->m[i].val = v;
            return;
        }
    }
    o->kmask |= bit;
    char *k;
    if (in_text) {
        /* in jolt_val_parse's copy of the text, which the reader has read
         * past: its closing quote becomes the NUL the engine reads keys up to */
        k = (char *)key;
    } else { /* decoded escapes, in the reader's scratch */
        k = jolt_arena_alloc(ctx, klen + 1);
        memcpy(k, key, klen);
    }
    k[klen] = '\0';
    add_member(ctx, o, k, klen, v, in_text); /* text without escapes has nothing to escape */
}

static void *ab_array(void *ctx)
{
    return jolt_val_new(ctx, JV_ARR);
}

static void ab_append(void *ctx, void *arr, void *v)
{
    jolt_val_append(ctx, arr, v);
}

static void *ab_string(void *ctx, const char *s, size_t n, int in_text)
{
    jolt_val *v = jolt_val_new(ctx, JV_STR);
    if (!in_text) { /* decoded escapes: the reader's scratch, copied */
        char *c = jolt_arena_alloc(ctx, n + 1);
        memcpy(c, s, n);
        c[n] = '\0';
        s = c;
    }
    v->str = s;
    v->n = n;
    v->plain = in_text;
    return v;
}

static void *ab_integer(void *ctx, json_int_t i)
{
    jolt_val *v = jolt_val_new(ctx, JV_INT);
    v->i = i;
    return v;
}

static void *ab_real(void *ctx, double d)
{
    jolt_val *v = jolt_val_new(ctx, JV_REAL);
    v->d = d;
    return v;
}

static void *ab_literal(void *ctx, json_type t)
{
    return jolt_val_new(ctx, t == JSON_TRUE ? JV_TRUE : t == JSON_FALSE ? JV_FALSE : JV_NULL);
}

static void ab_drop(void *ctx, void *v)
{
    (void)ctx;
    (void)v; /* the arena's */
}

static const jsontext_builder arena_builder = { ab_object, ab_set,  ab_array,   ab_append, ab_string,
                                                ab_integer, ab_real, ab_literal, ab_drop };

jolt_val *jolt_val_parse(jolt_arena *a, const char *text, size_t len, jsontext_filter_fn filter, const void *root,
                         strbuf *err)
{
    /* read from a copy in the arena: strings point into it, and keys are
     * ended in place (ab_set) */
    char *copy = jolt_arena_alloc(a, len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    return jsontext_parse_into(copy, len, &arena_builder, a, filter, root, NULL, err);
}
