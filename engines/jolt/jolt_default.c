/*
 * jolt_default.c: the "default" operation (Java's Defaultr).
 *
 * The spec compiles into a tree of keys. A key is a literal ("a"), an OR
 * ("a|b": only the listed keys that already exist), or "*" (every existing
 * key); a key ending in "[]" says its value is an array, whose children are
 * then array indexes ("0", "1|3", "*") and whose largest literal index sizes
 * the array. Children apply in Java's precedence: literals, then ORs (fewer
 * alternatives first), then "*"; within a class in spec order. (Java sorts
 * the same classes but keeps its keys in a HashSet of objects hashed by
 * identity, so the order of the keys it adds follows the JVM's identity
 * hashes; with constant ones, -XX:hashCode=2, it is this spec order, and
 * the differential conformance checks it so.) A default is written only
 * where the value is missing or null, as a fresh copy; a subtree of the
 * wrong type (array vs object) in the input wins and is left alone.
 *
 * The step works on arena values (jolt_val.c). The caller's value is never
 * modified, but it is not deep-copied either: a container is turned into
 * an arena container (its members still the caller's values) only when
 * defaults go in below it, one level at a time. In a chain the previous
 * step's output is handed over as it is, so a shift's output is defaulted
 * in place with no copy at all.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

enum { D_LITERAL, D_OR, D_STAR };

typedef struct dkey dkey;
struct dkey {
    int op;
    int array_output;
    char *raw;
    int nkeys;
    char **keys;
    size_t *klens; /* strlen of each of keys */
    /* a map key's keys as interned in the chain's table (dom), so that a
     * lookup in an object a shift made compares pointers; NULL for array
     * keys */
    const char **ikeys;
    const jolt_keydom *dom;
    long *ints;
    long keyint;
    int nchild;
    dkey **child;
    json_t *literal;
    long out_size;
};

typedef struct default_spec {
    dkey *map_root;
    dkey *array_root; /* NULL when the spec has non-index top keys */
} default_spec;

static void dkey_free(dkey *k)
{
    if (!k)
        return;
    free(k->raw);
    for (int i = 0; i < k->nkeys; i++)
        free(k->keys[i]);
    free(k->keys);
    free(k->klens);
    free(k->ikeys);
    free(k->ints);
    for (int i = 0; i < k->nchild; i++)
        dkey_free(k->child[i]);
    free(k->child);
    json_decref(k->literal);
    free(k);
}

static int prec(const dkey *k)
{
    return k->op == D_LITERAL ? 0 : k->op == D_OR ? 1 : 2;
}

static int dkey_cmp(const void *a, const void *b)
{
    const dkey *x = *(dkey *const *)a, *y = *(dkey *const *)b;
    if (prec(x) != prec(y))
        return prec(x) < prec(y) ? -1 : 1;
    if (x->op == D_OR) {
        if (x->nkeys != y->nkeys)
            return x->nkeys < y->nkeys ? -1 : 1;
        return strcmp(x->raw, y->raw);
    }
    return 0;
}

static char *remove_all(const char *s, const char *pat)
{
    strbuf sb = STRBUF_INIT;
    size_t pl = strlen(pat);
    while (*s) {
        if (!strncmp(s, pat, pl)) {
            s += pl;
            continue;
        }
        strbuf_addch(&sb, *s++);
    }
    return strbuf_detach(&sb, NULL);
}

static dkey *dkey_compile(const char *json_key, const json_t *spec, int is_array_key, jolt_cpath *p,
                          strbuf *err)
{
    dkey *k = xcalloc(1, sizeof *k);
    size_t kl = strlen(json_key);
    if (kl >= 2 && !strcmp(json_key + kl - 2, "[]")) {
        k->array_output = 1;
        k->raw = remove_all(json_key, "[]");
    } else {
        k->raw = strdup(json_key);
    }
    k->keyint = -1;
    k->out_size = -1;
    if (strchr(k->raw, '*')) {
        if (strcmp(k->raw, "*")) {
            jolt_cpath_err(p, err, "default key '%s' is invalid: * keys can only contain *", json_key);
            goto fail;
        }
        k->op = D_STAR;
    } else if (strchr(k->raw, '|')) {
        k->op = D_OR;
        const char *s = k->raw;
        int cap = 1;
        for (const char *c = s; *c; c++)
            cap += *c == '|';
        k->keys = calloc((size_t)cap, sizeof *k->keys);
        k->ints = calloc((size_t)cap, sizeof *k->ints);
        for (;;) {
            const char *bar = strchr(s, '|');
            size_t len = bar ? (size_t)(bar - s) : strlen(s);
            /* Java's String.split drops trailing empty strings */
            k->keys[k->nkeys++] = strndup(s, len);
            if (!bar)
                break;
            s = bar + 1;
        }
        while (k->nkeys > 0 && !k->keys[k->nkeys - 1][0])
            free(k->keys[--k->nkeys]);
        if (is_array_key) {
            for (int i = 0; i < k->nkeys; i++)
                if (jolt_parse_int(k->keys[i], strlen(k->keys[i]), &k->ints[i])) {
                    jolt_cpath_err(p, err, "array default key '%s' is not an integer", k->keys[i]);
                    goto fail;
                }
        }
    } else {
        k->op = D_LITERAL;
        k->nkeys = 1;
        k->keys = calloc(1, sizeof *k->keys);
        k->keys[0] = strdup(k->raw);
        if (is_array_key) {
            if (jolt_parse_int(k->raw, strlen(k->raw), &k->keyint)) {
                jolt_cpath_err(p, err, "array default key '%s' is not an integer", k->raw);
                goto fail;
            }
        }
    }
    k->klens = xcalloc((size_t)k->nkeys + 1, sizeof *k->klens);
    for (int i = 0; i < k->nkeys; i++)
        k->klens[i] = strlen(k->keys[i]);
    if (!is_array_key && k->nkeys) {
        k->dom = p->dom;
        k->ikeys = xcalloc((size_t)k->nkeys, sizeof *k->ikeys);
        for (int i = 0; i < k->nkeys; i++)
            k->ikeys[i] = jolt_keydom_intern(p->dom, k->keys[i]);
    }
    if (json_is_object(spec)) {
        k->child = calloc(json_object_size(spec) + 1, sizeof *k->child);
        const char *ck;
        json_t *cv;
        json_object_foreach((json_t *)spec, ck, cv) {
            size_t m = jolt_cpath_push_key(p, ck);
            dkey *c = dkey_compile(ck, cv, k->array_output, p, err);
            jolt_cpath_pop(p, m);
            if (!c)
                goto fail;
            k->child[k->nchild++] = c;
            if (k->array_output && c->keyint > k->out_size)
                k->out_size = c->keyint;
        }
        /* stable precedence sort: literals, ORs, star */
        for (int i = 1; i < k->nchild; i++) {
            dkey *x = k->child[i];
            int j = i - 1;
            while (j >= 0 && dkey_cmp(&k->child[j], &x) > 0) {
                k->child[j + 1] = k->child[j];
                j--;
            }
            k->child[j + 1] = x;
        }
    } else {
        k->literal = json_incref((json_t *)spec);
    }
    return k;
fail:
    dkey_free(k);
    return NULL;
}

static void apply_children(jolt_arena *a, const dkey *k, jolt_val *defaultee);

static jolt_val *new_container(jolt_arena *a, const dkey *k)
{
    return jolt_val_new(a, k->array_output ? JV_ARR : JV_OBJ);
}

/* The default for a missing (or null) slot: a copy of the spec's literal
 * (made when the output becomes jansson), or a new container for k's
 * children. */
static jolt_val *fill(jolt_arena *a, const dkey *k)
{
    if (!k->child)
        return jolt_val_json(a, k->literal, 0);
    jolt_val *v = new_container(a, k);
    apply_children(a, k, v);
    return v;
}

/* key: one of k's ikeys (interned: 1), or a key map has already (from a
 * "*": 0). */
static void apply_map_literal(jolt_arena *a, const dkey *k, const char *key, size_t klen, jolt_val *map,
                              int interned)
{
    int fresh;
    /* one lookup: a new member is filled here */
    jolt_val **slot = interned ? jolt_val_slot_in(a, map, key, klen, k->dom, &fresh)
                               : jolt_val_slot(a, map, key, klen, JOLT_KEY_STABLE, &fresh);
    if (fresh || jolt_val_is_null(*slot))
        *slot = fill(a, k); /* fill makes its own values: map and slot stay where they are */
    else if (k->child)
        apply_children(a, k, *slot);
}

static void apply_list_literal(jolt_arena *a, const dkey *k, long idx, jolt_val *list)
{
    if (idx < 0 || (size_t)idx >= list->n)
        return;
    jolt_val *v = list->a[idx];
    if (jolt_val_is_null(v))
        list->a[idx] = fill(a, k);
    else if (k->child)
        apply_children(a, k, v);
}

/* container: owned by the arena, in arena form (jolt_val_own'ed). */
static void apply_child(jolt_arena *a, const dkey *k, jolt_val *container, int as_array)
{
    if (!as_array) {
        if (container->kind != JV_OBJ)
            return;
        if (k->op == D_LITERAL) {
            apply_map_literal(a, k, k->ikeys[0], k->klens[0], container, 1);
        } else if (k->op == D_OR) {
            for (int i = 0; i < k->nkeys; i++)
                if (jolt_val_get(container, k->ikeys[i], k->klens[i]))
                    apply_map_literal(a, k, k->ikeys[i], k->klens[i], container, 1);
        } else {
            /* every key there now (applying adds none: it only fills
             * slots that exist) */
            for (size_t i = 0; i < container->n; i++)
                apply_map_literal(a, k, container->m[i].key, container->m[i].klen, container, 0);
        }
    } else {
        if (container->kind != JV_ARR)
            return;
        if (k->op == D_LITERAL) {
            apply_list_literal(a, k, k->keyint, container);
        } else if (k->op == D_OR) {
            for (int i = 0; i < k->nkeys; i++)
                apply_list_literal(a, k, k->ints[i], container);
        } else {
            size_t n = container->n;
            for (size_t i = 0; i < n; i++)
                apply_list_literal(a, k, (long)i, container);
        }
    }
}

#define MAX_DEFAULT_ARRAY (1 << 20)

static void apply_children(jolt_arena *a, const dkey *k, jolt_val *defaultee)
{
    if (!defaultee || !k->child)
        return;
    /* defaults go in below: a container of the input's becomes ours (the
     * input itself is never changed) */
    if (!(k->array_output ? jolt_val_is_array(defaultee) : jolt_val_is_object(defaultee)))
        return;
    jolt_val_own(a, defaultee);
    if (k->array_output) {
        long want = k->out_size < MAX_DEFAULT_ARRAY ? k->out_size : MAX_DEFAULT_ARRAY;
        while ((long)defaultee->n <= want)
            jolt_val_append(a, defaultee, jolt_val_json(a, json_null(), 1));
    }
    for (int i = 0; i < k->nchild; i++)
        apply_child(a, k->child[i], defaultee, k->array_output);
}

/* Fills the defaults into *v (arena form; a null or missing input becomes
 * an empty object). Always 0. */
static int default_on_val(const void *impl, jolt_val **v, const json_t *context, jolt_arena *a, strbuf *err)
{
    (void)err;
    (void)context;
    const default_spec *s = impl;
    if (!*v || jolt_val_is_null(*v))
        *v = jolt_val_new(a, JV_OBJ);
    if (jolt_val_is_array(*v)) {
        if (s->array_root)
            apply_children(a, s->array_root, *v);
    } else {
        apply_children(a, s->map_root, *v);
    }
    return 0;
}

/* input: borrowed, never modified. Returns a new reference. */
static json_t *default_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    jolt_arena *a = jolt_arena_new();
    jolt_val *v = jolt_val_json(a, input, 1);
    default_on_val(impl, &v, context, a, err);
    json_t *res = jolt_val_to_json(v);
    jolt_arena_free(a);
    return res;
}

static void default_free(void *impl)
{
    default_spec *s = impl;
    dkey_free(s->map_root);
    dkey_free(s->array_root);
    free(s);
}

int jolt_default_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    if (!json_is_object(spec))
        return jolt_cpath_err(p, err, "default spec must be an object");
    dkey *root = dkey_compile("root", spec, 0, p, err);
    if (!root)
        return -1;
    default_spec *s = xcalloc(1, sizeof *s);
    s->map_root = root;
    s->array_root = dkey_compile("root[]", spec, 0, p, NULL);
    op->name = "default";
    op->impl = s;
    op->apply = default_apply;
    op->on_val = default_on_val;
    op->free_impl = default_free;
    return 0;
}
