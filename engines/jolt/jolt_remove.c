/*
 * jolt_remove.c: the "remove" operation (Java's Removr).
 *
 * Spec keys are literals or star patterns ("*", "a*", "a*b*c"), with "a|b"
 * sugar for several keys; a key whose value is "" removes the matching
 * entries, a key whose value is an object descends into the matching
 * entries. On arrays a literal key is an index and "*" means every index;
 * indexes collected at one level are removed together, highest first, so
 * removing [0] and [2] removes what the user meant. Works on a deep copy of
 * the input.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct rnode rnode;
struct rnode {
    jolt_pe *pe;
    int leaf;
    int nchild;
    rnode **child;
};

typedef struct remove_spec {
    rnode *root;
} remove_spec;

static void rnode_free(rnode *n)
{
    if (!n)
        return;
    jolt_pe_free(n->pe);
    for (int i = 0; i < n->nchild; i++)
        rnode_free(n->child[i]);
    free(n->child);
    free(n);
}

static jolt_pe *remove_pe(const char *key)
{
    jolt_pe *pe = xcalloc(1, sizeof *pe);
    pe->raw = strdup(key);
    pe->canon = strdup(key);
    int stars = 0;
    for (const char *c = key; *c; c++)
        stars += *c == '*';
    if (!strcmp(key, "*")) {
        pe->kind = PE_STAR_ALL;
        return pe;
    }
    if (stars == 0) {
        pe->kind = PE_LITERAL;
        return pe;
    }
    pe->kind = stars == 1 ? PE_STAR_SINGLE : stars == 2 ? PE_STAR_DOUBLE : PE_STAR_REGEX;
    pe->parts = calloc((size_t)stars + 1, sizeof *pe->parts);
    const char *s = key;
    for (int i = 0; i <= stars; i++) {
        const char *e = strchr(s, '*');
        if (!e)
            e = s + strlen(s);
        pe->parts[pe->nparts++] = strndup(s, (size_t)(e - s));
        s = *e ? e + 1 : e;
    }
    return pe;
}

static rnode *rnode_compile(const char *key, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    rnode *n = xcalloc(1, sizeof *n);
    n->pe = remove_pe(key);
    if (json_is_object(spec)) {
        size_t cap = 1;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)spec, k, v) {
            cap++;
            for (const char *c = k; *c; c++)
                cap += *c == '|';
        }
        n->child = calloc(cap, sizeof *n->child);
        json_object_foreach((json_t *)spec, k, v) {
            size_t m = jolt_cpath_push_key(p, k);
            const char *s = k;
            for (;;) {
                const char *bar = strchr(s, '|');
                size_t len = bar ? (size_t)(bar - s) : strlen(s);
                char *one = strndup(s, len);
                rnode *c = rnode_compile(one, v, p, err);
                free(one);
                if (!c) {
                    jolt_cpath_pop(p, m);
                    rnode_free(n);
                    return NULL;
                }
                n->child[n->nchild++] = c;
                if (!bar)
                    break;
                s = bar + 1;
            }
            jolt_cpath_pop(p, m);
        }
        return n;
    }
    if (json_is_string(spec)) {
        const char *s = json_string_value(spec);
        for (; *s; s++)
            if ((unsigned char)*s > ' ')
                break;
        if (!*s) {
            n->leaf = 1;
            return n;
        }
    }
    jolt_cpath_err(p, err, "remove spec values must be \"\" or an object");
    rnode_free(n);
    return NULL;
}

static int key_matches(const jolt_pe *pe, const char *key)
{
    jolt_match m;
    if (pe->kind == PE_LITERAL)
        return !strcmp(pe->raw, key);
    return jolt_pe_star_match(pe, key, &m);
}

static void apply_node(const rnode *n, json_t *container, char *mark);

/* applies n's children to one matched value */
static void descend(const rnode *n, json_t *sub)
{
    if (json_is_object(sub)) {
        for (int i = 0; i < n->nchild; i++)
            apply_node(n->child[i], sub, NULL);
    } else if (json_is_array(sub)) {
        size_t len = json_array_size(sub);
        char *mark = xcalloc(len + 1, 1);
        for (int i = 0; i < n->nchild; i++)
            apply_node(n->child[i], sub, mark);
        for (size_t i = len; i-- > 0;)
            if (mark[i])
                json_array_remove(sub, i);
        free(mark);
    }
}

/* On an object: removes or descends. On an array: marks indexes (leaf) or descends. */
static void apply_node(const rnode *n, json_t *container, char *mark)
{
    if (json_is_object(container)) {
        size_t cnt, i = 0;
        const char **keys = jolt_object_keys(container, &cnt);
        for (size_t j = 0; j < cnt; j++)
            if (key_matches(n->pe, keys[j]))
                keys[i++] = keys[j];
        for (size_t j = 0; j < i; j++) {
            if (n->leaf)
                json_object_del(container, keys[j]);
            else
                descend(n, json_object_get(container, keys[j]));
        }
        free(keys);
    } else if (json_is_array(container)) {
        size_t len = json_array_size(container);
        if (n->pe->kind == PE_LITERAL) {
            long idx;
            if (jolt_parse_int(n->pe->raw, strlen(n->pe->raw), &idx) || idx < 0 || (size_t)idx >= len)
                return;
            if (n->leaf) {
                if (mark)
                    mark[idx] = 1;
            } else {
                descend(n, json_array_get(container, (size_t)idx));
            }
        } else if (n->pe->kind == PE_STAR_ALL) {
            for (size_t i = 0; i < len; i++) {
                if (n->leaf) {
                    if (mark)
                        mark[i] = 1;
                } else {
                    descend(n, json_array_get(container, i));
                }
            }
        }
    }
}

static json_t *remove_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    (void)err;
    (void)context;
    const remove_spec *s = impl;
    json_t *out = input ? json_deep_copy(input) : json_null();
    descend(s->root, out);
    return out;
}

static void remove_free(void *impl)
{
    remove_spec *s = impl;
    rnode_free(s->root);
    free(s);
}

int jolt_remove_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    if (!json_is_object(spec))
        return jolt_cpath_err(p, err, "remove spec must be an object");
    rnode *root = rnode_compile("root", spec, p, err);
    if (!root)
        return -1;
    remove_spec *s = xcalloc(1, sizeof *s);
    s->root = root;
    op->name = "remove";
    op->impl = s;
    op->apply = remove_apply;
    op->free_impl = remove_free;
    return 0;
}
