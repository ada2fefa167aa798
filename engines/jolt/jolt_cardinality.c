/*
 * jolt_cardinality.c: the "cardinality" operation (Java's
 * CardinalityTransform).
 *
 * Keys are matched like shift keys (literals first, then computed keys in
 * shift's priority order); a leaf value "ONE" turns a list into its first
 * element (null when empty), "MANY" wraps a non-list value into a one-element
 * list (null becomes []); as Java removes and re-puts the key for that
 * wrap, the wrapped key moves to the end of its object. An "@" leaf inside
 * an object applies to the object's own value before its children run, and,
 * as in Java, the children then see the adjusted value (or nothing, when "@"
 * made no change). Works on a deep copy of the input.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

enum { C_ONE = 1, C_MANY = 2 };

typedef struct cnode cnode;
struct cnode {
    jolt_pe *pe;
    int leaf;
    int rel;
    cnode *special; /* "@" leaf */
    int nlit, ncomp;
    cnode **lit, **comp;
};

typedef struct card_spec {
    cnode *root;
} card_spec;

static void cnode_free(cnode *n)
{
    if (!n)
        return;
    jolt_pe_free(n->pe);
    cnode_free(n->special);
    for (int i = 0; i < n->ncomp; i++)
        cnode_free(n->comp[i]);
    for (int i = 0; i < n->nlit; i++)
        cnode_free(n->lit[i]);
    free(n->lit);
    free(n->comp);
    free(n);
}

static int comp_cmp(const void *a, const void *b)
{
    return jolt_pe_cmp((*(cnode *const *)a)->pe, (*(cnode *const *)b)->pe, PE_AMP);
}

static cnode *cnode_compile(const char *key, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    strbuf msg = STRBUF_INIT;
    jolt_pe *pe = jolt_pe_parse(key, &msg);
    if (!pe) {
        jolt_cpath_err(p, err, "%s", msg.buf);
        strbuf_release(&msg);
        return NULL;
    }
    strbuf_release(&msg);
    if (pe->kind != PE_LITERAL && pe->kind != PE_AT && pe->kind != PE_AMP && pe->kind != PE_STAR_ALL &&
        pe->kind != PE_STAR_SINGLE && pe->kind != PE_STAR_DOUBLE && pe->kind != PE_STAR_REGEX) {
        jolt_cpath_err(p, err, "'%s' is not a valid cardinality key", key);
        jolt_pe_free(pe);
        return NULL;
    }
    cnode *n = xcalloc(1, sizeof *n);
    n->pe = pe;
    if (json_is_object(spec)) {
        if (pe->kind == PE_AT) {
            jolt_cpath_err(p, err, "'@' cardinality key can not have children");
            goto fail;
        }
        size_t cnt = json_object_size(spec);
        if (!cnt) {
            jolt_cpath_err(p, err, "cardinality spec with empty {} as value is not valid");
            goto fail;
        }
        n->lit = calloc(cnt, sizeof *n->lit);
        n->comp = calloc(cnt, sizeof *n->comp);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)spec, k, v) {
            size_t m = jolt_cpath_push_key(p, k);
            cnode *c = cnode_compile(k, v, p, err);
            if (!c) {
                jolt_cpath_pop(p, m);
                goto fail;
            }
            int dup = (n->special && !strcmp(n->special->pe->canon, c->pe->canon));
            for (int i = 0; i < n->nlit && !dup; i++)
                dup = !strcmp(n->lit[i]->pe->canon, c->pe->canon);
            for (int i = 0; i < n->ncomp && !dup; i++)
                dup = !strcmp(n->comp[i]->pe->canon, c->pe->canon);
            if (dup) {
                jolt_cpath_err(p, err, "duplicate canonical cardinality key '%s'", c->pe->canon);
                cnode_free(c);
                jolt_cpath_pop(p, m);
                goto fail;
            }
            jolt_cpath_pop(p, m);
            if (c->pe->kind == PE_LITERAL)
                n->lit[n->nlit++] = c;
            else if (c->pe->kind == PE_AT)
                n->special = c;
            else
                n->comp[n->ncomp++] = c;
        }
        qsort(n->comp, (size_t)n->ncomp, sizeof *n->comp, comp_cmp);
        return n;
    }
    n->leaf = 1;
    if (json_is_string(spec) && !strcmp(json_string_value(spec), "ONE"))
        n->rel = C_ONE;
    else if (json_is_string(spec) && !strcmp(json_string_value(spec), "MANY"))
        n->rel = C_MANY;
    else {
        jolt_cpath_err(p, err, "invalid cardinality type: must be \"ONE\" or \"MANY\"");
        goto fail;
    }
    return n;
fail:
    cnode_free(n);
    return NULL;
}

typedef struct crun {
    jolt_walk w;
} crun;

/* Replaces parent[key] (or parent[idx]); takes the reference to v. */
static void parent_put(json_t *parent, const char *key, long idx, json_t *v)
{
    if (json_is_object(parent))
        json_object_set_new(parent, key, v);
    else if (json_is_array(parent) && idx >= 0 && (size_t)idx < json_array_size(parent))
        json_array_set_new(parent, (size_t)idx, v);
    else
        json_decref(v);
}

/* Returns the adjusted value (borrowed from parent), or NULL when no work was done. */
static json_t *adjust(const cnode *n, const char *key, long idx, json_t *input, json_t *parent)
{
    json_t *ret = NULL;
    if (n->rel == C_MANY) {
        if (json_is_array(input)) {
            ret = input;
        } else if (!input || json_is_null(input)) {
            ret = json_array();
            parent_put(parent, key, idx, ret);
        } else {
            ret = json_array();
            json_array_append(ret, input);
            /* Java removes the key and puts it back: in an object the
             * wrapped value moves to the end (ret holds input meanwhile) */
            if (json_is_object(parent))
                json_object_del(parent, key);
            parent_put(parent, key, idx, ret);
        }
    } else if (json_is_array(input)) {
        ret = json_array_size(input) ? json_incref(json_array_get(input, 0)) : json_null();
        parent_put(parent, key, idx, ret);
        if (json_is_null(ret))
            ret = NULL;
    }
    return ret;
}

static int node_apply(crun *r, const cnode *n, const char *key, long idx, json_t *input, json_t *parent);

static void apply_key(crun *r, const cnode *n, const char *key, long idx, json_t *sub, json_t *parent)
{
    for (int i = 0; i < n->nlit; i++)
        if (!strcmp(n->lit[i]->pe->raw, key)) {
            node_apply(r, n->lit[i], key, idx, sub, parent);
            return;
        }
    for (int i = 0; i < n->ncomp; i++)
        if (node_apply(r, n->comp[i], key, idx, sub, parent))
            return;
}

static void process(crun *r, const cnode *n, json_t *input)
{
    if (json_is_object(input)) {
        size_t cnt = json_object_size(input), i = 0;
        char **keys = xcalloc(cnt + 1, sizeof *keys);
        const char *k;
        json_t *v;
        json_object_foreach(input, k, v) keys[i++] = strdup(k);
        for (size_t j = 0; j < i; j++) {
            json_t *sub = json_object_get(input, keys[j]);
            if (sub)
                apply_key(r, n, keys[j], -1, sub, input);
            free(keys[j]);
        }
        free(keys);
    } else if (json_is_array(input)) {
        char buf[32];
        for (size_t i = 0; i < json_array_size(input); i++) {
            snprintf(buf, sizeof buf, "%zu", i);
            apply_key(r, n, buf, (long)i, json_array_get(input, i), input);
        }
    }
    /* scalars: Java would match their text against leaf keys and then fail
     * to adjust a non-container parent; nothing to do */
}

static int node_apply(crun *r, const cnode *n, const char *key, long idx, json_t *input, json_t *parent)
{
    jolt_match own;
    jolt_match_init(&own, key);
    int mr = jolt_pe_match(n->pe, key, &r->w, &own);
    if (!mr) {
        jolt_match_release(&own);
        return 0;
    }
    jolt_match *m = &own;
    jolt_step *par = jolt_walk_from_end(&r->w, 0);
    if (mr == 2 && par)
        m = par->m;
    jolt_walk_push(&r->w, input, m);
    if (n->leaf) {
        json_t *ret = adjust(n, key, idx, input, parent);
        (void)ret;
    } else {
        json_t *data = input;
        json_t *hold = NULL;
        if (n->special) {
            data = adjust(n->special, key, idx, input, parent);
            hold = data ? json_incref(data) : NULL;
        }
        process(r, n, data);
        json_decref(hold);
    }
    jolt_walk_pop(&r->w);
    jolt_match_release(&own);
    return 1;
}

static json_t *card_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    (void)context;
    (void)err; /* Java ignores references above the root here */
    const card_spec *s = impl;
    json_t *wrap = json_object();
    json_object_set_new(wrap, "root", input ? json_deep_copy(input) : json_null());
    crun r;
    memset(&r, 0, sizeof r);
    jolt_match root;
    jolt_match_init(&root, "root");
    jolt_walk_push(&r.w, json_object_get(wrap, "root"), &root);
    node_apply(&r, s->root, "root", -1, json_object_get(wrap, "root"), wrap);
    jolt_walk_release(&r.w);
    jolt_match_release(&root);
    json_t *res = json_incref(json_object_get(wrap, "root"));
    json_decref(wrap);
    return res;
}

static void card_free(void *impl)
{
    card_spec *s = impl;
    cnode_free(s->root);
    free(s);
}

int jolt_cardinality_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    if (!json_is_object(spec))
        return jolt_cpath_err(p, err, "cardinality spec must be an object");
    cnode *root = cnode_compile("root", spec, p, err);
    if (!root)
        return -1;
    card_spec *s = xcalloc(1, sizeof *s);
    s->root = root;
    op->name = "cardinality";
    op->impl = s;
    op->apply = card_apply;
    op->free_impl = card_free;
    return 0;
}
