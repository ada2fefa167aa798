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
 * identity, so the order of the keys it adds changes from one JVM run to
 * the next; spec order is our fixed choice.) A default is written only
 * where the value is missing or null, as a fresh copy; a subtree of the
 * wrong type (array vs
 * object) in the input wins and is left alone.
 *
 * The caller's value is never modified, but it is not deep-copied either:
 * containers are copied on write. A container is changed in place only when
 * this step owns it exclusively (refcount 1, reached from a parent it owns
 * exclusively); otherwise it is replaced by a shallow copy first (whose
 * children, now shared, are in turn copied only if a default is written
 * below them). In a chain the previous step's output is handed over with
 * its reference (default_apply_owned), so a fresh shift output is usually
 * defaulted in place with no copy at all.
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

static void apply_children(const dkey *k, json_t *defaultee);

/* Copy on write: returns v if this step may change it (sole owner),
 * otherwise a shallow copy that replaces v in its (exclusively owned) parent.
 * Scalars are returned as is: defaults never change them in place. Borrowed. */
static json_t *own_in_map(json_t *map, const char *key, json_t *v)
{
    if (!(json_is_object(v) || json_is_array(v)) || v->refcount == 1)
        return v;
    json_t *c = json_copy(v);
    json_object_set_new(map, key, c);
    return c;
}

static json_t *own_in_list(json_t *list, size_t idx, json_t *v)
{
    if (!(json_is_object(v) || json_is_array(v)) || v->refcount == 1)
        return v;
    json_t *c = json_copy(v);
    json_array_set_new(list, idx, c);
    return c;
}

static json_t *new_container(const dkey *k)
{
    return k->array_output ? json_array() : json_object();
}

static void apply_map_literal(const dkey *k, const char *key, json_t *map)
{
    json_t *v = json_object_get(map, key);
    if (!k->child) {
        if (!v || json_is_null(v))
            json_object_set_new(map, key, jolt_copy(k->literal));
    } else {
        if (!v || json_is_null(v)) {
            v = new_container(k);
            json_object_set_new(map, key, v);
        } else {
            v = own_in_map(map, key, v);
        }
        apply_children(k, v);
    }
}

static void apply_list_literal(const dkey *k, long idx, json_t *list)
{
    if (idx < 0 || (size_t)idx >= json_array_size(list))
        return;
    json_t *v = json_array_get(list, (size_t)idx);
    if (!k->child) {
        if (!v || json_is_null(v))
            json_array_set_new(list, (size_t)idx, jolt_copy(k->literal));
    } else {
        if (!v || json_is_null(v)) {
            v = new_container(k);
            json_array_set_new(list, (size_t)idx, v);
        } else {
            v = own_in_list(list, (size_t)idx, v);
        }
        apply_children(k, v);
    }
}

static void apply_child(const dkey *k, json_t *container, int as_array)
{
    if (!as_array) {
        if (!json_is_object(container))
            return;
        if (k->op == D_LITERAL) {
            apply_map_literal(k, k->keys[0], container);
        } else if (k->op == D_OR) {
            for (int i = 0; i < k->nkeys; i++)
                if (json_object_get(container, k->keys[i]))
                    apply_map_literal(k, k->keys[i], container);
        } else {
            /* snapshot the keys: applying may not add keys, but be safe */
            size_t n = json_object_size(container), i = 0;
            const char **keys = calloc(n + 1, sizeof *keys);
            const char *ck;
            json_t *cv;
            json_object_foreach(container, ck, cv) keys[i++] = ck;
            for (size_t j = 0; j < i; j++)
                apply_map_literal(k, keys[j], container);
            free(keys);
        }
    } else {
        if (!json_is_array(container))
            return;
        if (k->op == D_LITERAL) {
            apply_list_literal(k, k->keyint, container);
        } else if (k->op == D_OR) {
            for (int i = 0; i < k->nkeys; i++)
                if (k->ints[i] >= 0 && (size_t)k->ints[i] < json_array_size(container))
                    apply_list_literal(k, k->ints[i], container);
        } else {
            size_t n = json_array_size(container);
            for (size_t i = 0; i < n; i++)
                apply_list_literal(k, (long)i, container);
        }
    }
}

#define MAX_DEFAULT_ARRAY (1 << 20)

static void apply_children(const dkey *k, json_t *defaultee)
{
    if (!defaultee || !k->child)
        return;
    if (k->array_output && json_is_array(defaultee)) {
        long want = k->out_size < MAX_DEFAULT_ARRAY ? k->out_size : MAX_DEFAULT_ARRAY;
        while ((long)json_array_size(defaultee) <= want)
            json_array_append_new(defaultee, json_null());
    }
    for (int i = 0; i < k->nchild; i++)
        apply_child(k->child[i], defaultee, k->array_output);
}

/* input: a reference this step takes over (its value is changed in place
 * only where the step is its sole owner). Returns a new reference. */
static json_t *default_apply_owned(const void *impl, json_t *input, const json_t *context, strbuf *err)
{
    (void)err;
    (void)context;
    const default_spec *s = impl;
    json_t *out;
    if (!input || json_is_null(input)) {
        json_decref(input);
        out = json_object();
    } else if ((json_is_object(input) || json_is_array(input)) && input->refcount != 1) {
        out = json_copy(input); /* shallow: children are copied on write */
        json_decref(input);
    } else {
        out = input;
    }
    if (json_is_array(out)) {
        if (s->array_root)
            apply_children(s->array_root, out);
    } else {
        apply_children(s->map_root, out);
    }
    return out;
}

/* input: borrowed, never modified. Returns a new reference. */
static json_t *default_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    return default_apply_owned(impl, input ? json_incref((json_t *)input) : NULL, context, err);
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
    op->apply_owned = default_apply_owned;
    op->free_impl = default_free;
    return 0;
}
