/*
 * jolt.c: the public face of the Jolt engine: compiling a chain (or a single
 * operation) into an immutable jolt_spec, applying it, and the small helpers
 * every operation shares (error paths, Java's toString of scalars, Java
 * equality, value copies).
 *
 * A jolt_spec is an array of compiled operations. Applying runs them in
 * order, each step reading the previous step's output, with the values of
 * one apply in one arena (jolt_val.c, freed at the end): shift builds its
 * output there and default fills its defaults in there, so a shift then
 * default chain builds no jansson value until the end; the other steps
 * take and give jansson trees. A compiled spec holds no per-apply state and
 * can be shared between threads.
 *
 * jolt_apply_text goes from JSON text to JSON text. When the first step
 * can say which parts of its input it may read (jolt_op.need: a shift
 * without "@" keys or transposes), the reader builds only those and checks
 * the rest without building it, straight into arena values (no jansson
 * value at all on that path); the output is written from the arena
 * values, and is the one jolt_apply gives on the whole input.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

struct jolt_spec {
    int n;
    jolt_op *ops;
    jolt_keydom *dom; /* the steps' interned keys */
};

/* ---- compile-time error paths ---- */

size_t jolt_cpath_push_key(jolt_cpath *p, const char *key)
{
    size_t old = p->path.len;
    if (p->path.len)
        strbuf_addch(&p->path, '.');
    strbuf_addstr(&p->path, key);
    return old;
}

size_t jolt_cpath_push_index(jolt_cpath *p, size_t i)
{
    size_t old = p->path.len;
    strbuf_addf(&p->path, "[%zu]", i);
    return old;
}

void jolt_cpath_pop(jolt_cpath *p, size_t len)
{
    strbuf_setlen(&p->path, len);
}

int jolt_cpath_err(const jolt_cpath *p, strbuf *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    strbuf_reset(err);
    if (p && p->path.len) {
        strbuf_add(err, p->path.buf, p->path.len);
        strbuf_addstr(err, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(err, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- Java value helpers ---- */

void jolt_java_double(double d, strbuf *out)
{
    if (isnan(d)) {
        strbuf_addstr(out, "NaN");
        return;
    }
    if (isinf(d)) {
        strbuf_addstr(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (d == 0) {
        strbuf_addstr(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* shortest digits that round-trip */
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf = [-]D[.DDD]e[+-]XX */
    char digits[32];
    int nd = 0, neg = 0;
    const char *s = buf;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[nd++] = *s;
    int exp10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        strbuf_addch(out, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp10 >= 0) {
            for (int i = 0; i <= exp10; i++)
                strbuf_addch(out, i < nd ? digits[i] : '0');
            strbuf_addch(out, '.');
            if (nd > exp10 + 1)
                strbuf_add(out, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
            else
                strbuf_addch(out, '0');
        } else {
            strbuf_addstr(out, "0.");
            for (int i = 0; i < -exp10 - 1; i++)
                strbuf_addch(out, '0');
            strbuf_add(out, digits, (size_t)nd);
        }
    } else {
        strbuf_addch(out, digits[0]);
        strbuf_addch(out, '.');
        if (nd > 1)
            strbuf_add(out, digits + 1, (size_t)(nd - 1));
        else
            strbuf_addch(out, '0');
        strbuf_addf(out, "E%d", exp10);
    }
}

void jolt_java_tostring(const json_t *v, strbuf *out)
{
    if (!v) {
        strbuf_addstr(out, "null");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        strbuf_add(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        strbuf_addf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        jolt_java_double(json_real_value(v), out);
        break;
    case JSON_TRUE:
        strbuf_addstr(out, "true");
        break;
    case JSON_FALSE:
        strbuf_addstr(out, "false");
        break;
    case JSON_NULL:
        strbuf_addstr(out, "null");
        break;
    case JSON_OBJECT: {
        /* Java's AbstractMap.toString: {k=v, k2=v2} */
        const char *k;
        json_t *x;
        int first = 1;
        strbuf_addch(out, '{');
        json_object_foreach((json_t *)v, k, x) {
            if (!first)
                strbuf_addstr(out, ", ");
            first = 0;
            strbuf_addstr(out, k);
            strbuf_addch(out, '=');
            jolt_java_tostring(x, out);
        }
        strbuf_addch(out, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        strbuf_addch(out, '[');
        json_array_foreach(v, i, x) {
            if (i)
                strbuf_addstr(out, ", ");
            jolt_java_tostring(x, out);
        }
        strbuf_addch(out, ']');
        break;
    }
    }
}

int jolt_equal(const json_t *a, const json_t *b)
{
    if (a == b)
        return 1;
    if (!a || !b)
        return 0;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)a, k, x) {
            json_t *y = json_object_get(b, k);
            if (!y || !jolt_equal(x, y))
                return 0;
        }
        return 1;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!jolt_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    case JSON_REAL:
        return json_real_value(a) == json_real_value(b);
    default:
        return json_equal((json_t *)a, (json_t *)b);
    }
}

json_t *jolt_copy(const json_t *v)
{
    if (!v)
        return json_null();
    if (json_is_object(v) || json_is_array(v))
        return json_deep_copy(v);
    return json_incref((json_t *)v);
}

int jolt_parse_int(const char *s, size_t len, long *out)
{
    size_t i = 0;
    int neg = 0;
    if (len == 0)
        return -1;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1)
            return -1;
    }
    long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
        if (v > (long long)INT_MAX + 1)
            return -1;
    }
    if (neg)
        v = -v;
    if (v > INT_MAX || v < INT_MIN)
        return -1;
    *out = (long)v;
    return 0;
}

/* ---- compile / apply ---- */

static int compile_one(jolt_op *op, const char *name, const json_t *spec, int has_spec,
                       jolt_cpath *p, strbuf *err)
{
    memset(op, 0, sizeof *op);
    if (!strcmp(name, "sort"))
        return jolt_sort_compile(op, spec, p, err);
    static const char *const named[] = {"shift", "default", "remove", "cardinality",
                                        "modify-overwrite-beta", "modify-default-beta",
                                        "modify-define-beta"};
    int known = 0;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(name, named[i]))
            known = 1;
    if (!known)
        return jolt_cpath_err(p, err, "unknown operation '%s'", name);
    if (!has_spec || !spec)
        return jolt_cpath_err(p, err, "operation '%s' needs a spec", name);
    size_t mark = jolt_cpath_push_key(p, "spec");
    int rc;
    if (!strcmp(name, "shift"))
        rc = jolt_shift_compile(op, spec, p, err);
    else if (!strcmp(name, "default"))
        rc = jolt_default_compile(op, spec, p, err);
    else if (!strcmp(name, "remove"))
        rc = jolt_remove_compile(op, spec, p, err);
    else if (!strcmp(name, "cardinality"))
        rc = jolt_cardinality_compile(op, spec, p, err);
    else if (!strcmp(name, "modify-overwrite-beta"))
        rc = jolt_modify_compile(op, 0, spec, p, err);
    else if (!strcmp(name, "modify-default-beta"))
        rc = jolt_modify_compile(op, 1, spec, p, err);
    else
        rc = jolt_modify_compile(op, 2, spec, p, err);
    jolt_cpath_pop(p, mark);
    return rc;
}

/* A spec for n steps; p's steps intern their keys in its table. */
static jolt_spec *spec_new(int n, jolt_cpath *p)
{
    jolt_spec *s = xcalloc(1, sizeof *s);
    s->ops = xcalloc((size_t)(n ? n : 1), sizeof *s->ops);
    s->n = 0;
    s->dom = p->dom = jolt_keydom_new();
    return s;
}

jolt_spec *jolt_compile_op(const char *operation, const json_t *spec, strbuf *err)
{
    jolt_cpath p = {STRBUF_INIT, NULL};
    jolt_spec *s = spec_new(1, &p);
    /* jolt_compile_op passes the spec itself, so the error path starts at it */
    jolt_op *op = &s->ops[0];
    int rc;
    if (!operation) {
        rc = jolt_cpath_err(&p, err, "missing operation");
    } else if (!strcmp(operation, "sort")) {
        rc = jolt_sort_compile(op, spec, &p, err);
    } else if (!spec) {
        rc = jolt_cpath_err(&p, err, "operation '%s' needs a spec", operation);
    } else if (!strcmp(operation, "shift")) {
        rc = jolt_shift_compile(op, spec, &p, err);
    } else if (!strcmp(operation, "default")) {
        rc = jolt_default_compile(op, spec, &p, err);
    } else if (!strcmp(operation, "remove")) {
        rc = jolt_remove_compile(op, spec, &p, err);
    } else if (!strcmp(operation, "cardinality")) {
        rc = jolt_cardinality_compile(op, spec, &p, err);
    } else if (!strcmp(operation, "modify-overwrite-beta")) {
        rc = jolt_modify_compile(op, 0, spec, &p, err);
    } else if (!strcmp(operation, "modify-default-beta")) {
        rc = jolt_modify_compile(op, 1, spec, &p, err);
    } else if (!strcmp(operation, "modify-define-beta")) {
        rc = jolt_modify_compile(op, 2, spec, &p, err);
    } else {
        rc = jolt_cpath_err(&p, err, "unknown operation '%s'", operation);
    }
    strbuf_release(&p.path);
    if (rc) {
        jolt_free(s);
        return NULL;
    }
    s->n = 1;
    return s;
}

static int compile_entry(jolt_spec *s, const json_t *entry, jolt_cpath *p, strbuf *err)
{
    if (!json_is_object(entry))
        return jolt_cpath_err(p, err, "chain entry must be an object with \"operation\"");
    json_t *opv = json_object_get(entry, "operation");
    if (!opv)
        return jolt_cpath_err(p, err, "chain entry has no \"operation\"");
    if (!json_is_string(opv)) {
        size_t m = jolt_cpath_push_key(p, "operation");
        jolt_cpath_err(p, err, "\"operation\" must be a string");
        jolt_cpath_pop(p, m);
        return -1;
    }
    json_t *spec = json_object_get(entry, "spec");
    if (compile_one(&s->ops[s->n], json_string_value(opv), spec, spec != NULL, p, err))
        return -1;
    s->n++;
    return 0;
}

jolt_spec *jolt_compile(const json_t *spec, strbuf *err)
{
    jolt_cpath p = {STRBUF_INIT, NULL};
    jolt_spec *s = NULL;
    if (!spec) {
        jolt_cpath_err(&p, err, "spec is null");
        goto out;
    }
    if (json_is_array(spec)) {
        size_t n = json_array_size(spec);
        if (n == 0) {
            jolt_cpath_err(&p, err, "chain spec is empty");
            goto out;
        }
        s = spec_new((int)n, &p);
        for (size_t i = 0; i < n; i++) {
            size_t m = jolt_cpath_push_index(&p, i);
            int rc = compile_entry(s, json_array_get(spec, i), &p, err);
            jolt_cpath_pop(&p, m);
            if (rc) {
                jolt_free(s);
                s = NULL;
                goto out;
            }
        }
    } else if (json_is_object(spec)) {
        s = spec_new(1, &p);
        if (compile_entry(s, spec, &p, err)) {
            jolt_free(s);
            s = NULL;
        }
    } else {
        jolt_cpath_err(&p, err, "chain spec must be an array of {\"operation\", \"spec\"} objects");
    }
out:
    strbuf_release(&p.path);
    return s;
}

int jolt_steps(const jolt_spec *s)
{
    return s ? s->n : 0;
}

/* Runs steps [from, to) of s on input (borrowed; NULL is json null) with
 * the values in a: steps that build in the arena hand their output on as
 * it is, the others get and give jansson trees. Returns the result (owned
 * by a), or NULL with err. */
static jolt_val *run_steps(const jolt_spec *s, int from, int to, jolt_val *cur, const json_t *context,
                           jolt_arena *a, strbuf *err)
{
    for (int i = from; i < to; i++) {
        const jolt_op *op = &s->ops[i];
        if (op->on_val) {
            if (op->on_val(op->impl, &cur, context, a, err))
                return NULL;
            continue;
        }
        if (op->to_val && (op->need || cur->kind == JV_JSON)) {
            /* it reads arena values as they are */
            cur = op->to_val(op->impl, cur, context, a, err);
            if (!cur)
                return NULL;
            continue;
        }
        /* a jansson input (borrowed by the step: a value taken over as it
         * is needs no copy); the arena keeps it while values point into it */
        json_t *in = cur->kind == JV_JSON ? json_incref((json_t *)cur->json) : jolt_val_to_json(cur);
        jolt_arena_hold(a, in);
        if (op->to_val) {
            cur = op->to_val(op->impl, jolt_val_json(a, in, 0), context, a, err);
        } else {
            json_t *next = op->apply(op->impl, in, context, err);
            jolt_arena_hold(a, next);
            cur = next ? jolt_val_json(a, next, 1) : NULL;
        }
        if (!cur)
            return NULL; /* err says where in the spec */
    }
    return cur;
}

/* Checks a chain range; 0, or -1 with err. */
static int check_range(const jolt_spec *s, int from, int to, strbuf *err)
{
    if (!s) {
        strbuf_seterr(err, "no spec");
        return -1;
    }
    if (from < 0 || to > s->n || to <= from) {
        strbuf_seterr(err, "bad chain range [%d, %d) for %d steps", from, to, s->n);
        return -1;
    }
    return 0;
}

json_t *jolt_apply_range(const jolt_spec *s, int from, int to, const json_t *input,
                         const json_t *context, strbuf *err)
{
    if (check_range(s, from, to, err))
        return NULL;
    jolt_arena *a = jolt_arena_new();
    jolt_val *v = run_steps(s, from, to, jolt_val_json(a, input, 1), context, a, err);
    json_t *res = v ? jolt_val_to_json(v) : NULL;
    jolt_arena_free(a);
    return res;
}

json_t *jolt_apply(const jolt_spec *s, const json_t *input, const json_t *context, strbuf *err)
{
    return jolt_apply_range(s, 0, s ? s->n : 0, input, context, err);
}

int jolt_apply_text(const jolt_spec *s, const char *text, size_t len, const json_t *context, strbuf *out,
                    strbuf *err)
{
    if (check_range(s, 0, s ? s->n : 0, err))
        return -1;
    /* Build only what the first step can read: a shift reads the values its
     * keys match, the rest of the input is checked and dropped. */
    const jolt_op *first = &s->ops[0];
    jolt_arena *a = jolt_arena_new();
    jolt_val *v;
    if (first->need) {
        /* straight into arena values: no jansson tree at all */
        v = jolt_val_parse(a, text, len, first->need, first->need_root, err);
    } else {
        json_t *in = jsontext_parse(text, len, err);
        jolt_arena_hold(a, in);
        v = in ? jolt_val_json(a, in, 1) : NULL;
    }
    if (v)
        v = run_steps(s, 0, s->n, v, context, a, err);
    if (v)
        jolt_val_dump(v, out); /* straight from the arena: no jansson tree */
    jolt_arena_free(a);
    return v ? 0 : -1;
}

struct jolt_doc {
    jolt_arena *a;
    jolt_val *v;
};

/* A document of v, taking a over; with v NULL (an error) a is freed and
 * there is none. */
static jolt_doc *doc_new(jolt_arena *a, jolt_val *v)
{
    if (!v) {
        jolt_arena_free(a);
        return NULL;
    }
    jolt_doc *d = jolt_arena_alloc(a, sizeof *d); /* goes with the arena */
    d->a = a;
    d->v = v;
    return d;
}

jolt_doc *jolt_doc_parse(const char *text, size_t len, strbuf *err)
{
    jolt_arena *a = jolt_arena_new();
    return doc_new(a, jolt_val_parse(a, text, len, NULL, NULL, err));
}

jolt_doc *jolt_apply_doc(const jolt_spec *s, const jolt_doc *in, const json_t *context, strbuf *err)
{
    if (check_range(s, 0, s ? s->n : 0, err))
        return NULL;
    jolt_arena *a = jolt_arena_new();
    /* taken over as it is: a step that writes into it copies (in stays) */
    return doc_new(a, run_steps(s, 0, s->n, jolt_val_take(a, in->v), context, a, err));
}

void jolt_doc_dump(const jolt_doc *d, strbuf *out)
{
    jolt_val_dump(d->v, out);
}

json_t *jolt_doc_json(const jolt_doc *d)
{
    return jolt_val_to_json(d->v);
}

void jolt_doc_free(jolt_doc *d)
{
    if (!d)
        return;
    jolt_arena_free(d->a);
}

void jolt_free(jolt_spec *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        if (s->ops[i].free_impl && s->ops[i].impl)
            s->ops[i].free_impl(s->ops[i].impl);
    free(s->ops);
    jolt_keydom_free(s->dom);
    free(s);
}

const char **jolt_object_keys(const json_t *obj, size_t *n)
{
    size_t i = 0;
    const char **keys = xcalloc(json_object_size(obj) + 1, sizeof *keys);
    for (void *it = json_object_iter((json_t *)obj); it; it = json_object_iter_next((json_t *)obj, it))
        keys[i++] = json_object_iter_key(it);
    *n = i;
    return keys;
}
