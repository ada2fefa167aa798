/*
 * el_json.c: jsonPath(), jsonPathDelete/Set/Add/Put() and isJson().
 *
 * A small JsonPath subset over jansson values: $ root, .name and ['name']
 * children, [n] indexes (negative from the end), [*] and .* wildcards, ..name
 * deep scan and [?(@.field <op> literal)] filters. A path without wildcards,
 * deep scans or filters is "definite" and yields a single value; otherwise
 * the result is a list (one element is rendered on its own, as NiFi does for
 * its scalar results). Strings render raw, other values as compact JSON.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "el_fn.h"
#include "xalloc.h"
#include "jsontext.h"

enum { SEG_CHILD, SEG_INDEX, SEG_WILD, SEG_DEEP, SEG_FILTER };

typedef struct seg {
    int kind;
    char *name;       /* SEG_CHILD / SEG_DEEP (NULL = any) */
    long idx;
    char *fkey;       /* filter: @.fkey op fval */
    char op[3];
    json_t *fval;     /* NULL: existence test */
} seg;

typedef struct jpath {
    seg *s;
    int n;
    int definite;
} jpath;

static void jp_release(jpath *p)
{
    for (int i = 0; i < p->n; i++) { free(p->s[i].name); free(p->s[i].fkey); if (p->s[i].fval) json_decref(p->s[i].fval); }
    free(p->s);
    p->s = NULL;
    p->n = 0;
}

static seg *add_seg(jpath *p, int kind)
{
    p->s = xrealloc(p->s, sizeof(seg) * (size_t)(p->n + 1));
    seg *s = &p->s[p->n++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    return s;
}

static int jp_parse(const char *path, jpath *p, strbuf *err)
{
    memset(p, 0, sizeof(*p));
    p->definite = 1;
    const char *c = path;
    while (*c == ' ') c++;
    if (*c != '$') { strbuf_seterr(err, "invalid JSON path '%s': must start with $", path); return -1; }
    c++;
    while (*c) {
        if (c[0] == '.' && c[1] == '.') {
            c += 2;
            p->definite = 0;
            if (*c == '*') { add_seg(p, SEG_DEEP); c++; continue; }
            if (*c == '[') { add_seg(p, SEG_DEEP); continue; }
            const char *st = c;
            while (*c && *c != '.' && *c != '[') c++;
            if (c == st) { strbuf_seterr(err, "invalid JSON path '%s': path must not end with a '.' or '..'", path); jp_release(p); return -1; }
            seg *s = add_seg(p, SEG_DEEP);
            s->name = strndup(st, (size_t)(c - st));
        } else if (*c == '.') {
            c++;
            if (*c == '*') { add_seg(p, SEG_WILD); p->definite = 0; c++; continue; }
            const char *st = c;
            while (*c && *c != '.' && *c != '[') c++;
            if (c == st) { strbuf_seterr(err, "invalid JSON path '%s': path must not end with a '.'", path); jp_release(p); return -1; }
            seg *s = add_seg(p, SEG_CHILD);
            s->name = strndup(st, (size_t)(c - st));
        } else if (*c == '[') {
            c++;
            while (*c == ' ') c++;
            if (*c == '\'' || *c == '"') {
                char q = *c++;
                const char *st = c;
                while (*c && *c != q) c++;
                if (!*c) goto bad;
                seg *s = add_seg(p, SEG_CHILD);
                s->name = strndup(st, (size_t)(c - st));
                c++;
            } else if (*c == '*') {
                add_seg(p, SEG_WILD);
                p->definite = 0;
                c++;
            } else if (*c == '?') {
                c++;
                if (*c != '(') goto bad;
                c++;
                while (*c == ' ') c++;
                if (c[0] != '@' || c[1] != '.') goto bad;
                c += 2;
                const char *st = c;
                while (*c && (isalnum((unsigned char)*c) || *c == '_' || *c == '-')) c++;
                seg *s = add_seg(p, SEG_FILTER);
                p->definite = 0;
                s->fkey = strndup(st, (size_t)(c - st));
                while (*c == ' ') c++;
                if (*c == ')') { c++; }
                else {
                    int k = 0;
                    while (k < 2 && *c && strchr("=!<>", *c)) s->op[k++] = *c++;
                    if (!k) goto bad;
                    while (*c == ' ') c++;
                    if (*c == '\'' || *c == '"') {
                        char q = *c++;
                        const char *vs = c;
                        while (*c && *c != q) c++;
                        if (!*c) goto bad;
                        s->fval = json_stringn(vs, (size_t)(c - vs));
                        c++;
                    } else {
                        const char *vs = c;
                        while (*c && *c != ')' && *c != ' ') c++;
                        s->fval = jsontext_parse(vs, (size_t)(c - vs), NULL);
                        if (!s->fval) goto bad;
                    }
                    while (*c == ' ') c++;
                    if (*c != ')') goto bad;
                    c++;
                }
            } else {
                char *end;
                long v = strtol(c, &end, 10);
                if (end == c) goto bad;
                seg *s = add_seg(p, SEG_INDEX);
                s->idx = v;
                c = end;
            }
            while (*c == ' ') c++;
            if (*c != ']') goto bad;
            c++;
        } else {
            goto bad;
        }
    }
    return 0;
bad:
    strbuf_seterr(err, "invalid JSON path '%s'", path);
    jp_release(p);
    return -1;
}

typedef struct hit { json_t *parent; const char *key; long idx; json_t *val; } hit;
typedef struct hits { hit *h; int n; } hits;

static void add_hit(hits *hs, json_t *parent, const char *key, long idx, json_t *val)
{
    hs->h = xrealloc(hs->h, sizeof(hit) * (size_t)(hs->n + 1));
    hs->h[hs->n++] = (hit){ parent, key, idx, val };
}

static int filter_ok(const seg *s, json_t *el)
{
    if (!json_is_object(el)) return 0;
    json_t *v = json_object_get(el, s->fkey);
    if (!v) return 0;
    if (!s->fval) return 1;
    int cmp;
    if (json_is_number(v) && json_is_number(s->fval)) {
        double a = json_number_value(v), b = json_number_value(s->fval);
        cmp = a < b ? -1 : a > b;
    } else if (json_is_string(v) && json_is_string(s->fval)) {
        cmp = strcmp(json_string_value(v), json_string_value(s->fval));
    } else {
        cmp = json_equal(v, s->fval) ? 0 : 2;
    }
    if (!strcmp(s->op, "==")) return cmp == 0;
    if (!strcmp(s->op, "!=")) return cmp != 0;
    if (cmp == 2) return 0;
    if (!strcmp(s->op, "<")) return cmp < 0;
    if (!strcmp(s->op, "<=")) return cmp <= 0;
    if (!strcmp(s->op, ">")) return cmp > 0;
    if (!strcmp(s->op, ">=")) return cmp >= 0;
    return 0;
}

static void deep(json_t *parent, const char *key, long idx, json_t *v, const seg *s, hits *out)
{
    if (!s->name) add_hit(out, parent, key, idx, v);
    if (json_is_object(v)) {
        const char *k; json_t *c;
        json_object_foreach(v, k, c) {
            if (s->name && !strcmp(k, s->name)) add_hit(out, v, k, -1, c);
            deep(v, k, -1, c, s, out);
        }
    } else if (json_is_array(v)) {
        size_t i; json_t *c;
        json_array_foreach(v, i, c) deep(v, NULL, (long)i, c, s, out);
    }
}

/* Walks the path; hits are the matched values with their parents. */
static void jp_walk(const jpath *p, json_t *root, hits *out)
{
    hits cur = { NULL, 0 };
    add_hit(&cur, NULL, NULL, -1, root);
    for (int i = 0; i < p->n; i++) {
        const seg *s = &p->s[i];
        hits nx = { NULL, 0 };
        for (int k = 0; k < cur.n; k++) {
            json_t *v = cur.h[k].val;
            switch (s->kind) {
            case SEG_CHILD:
                if (json_is_object(v)) {
                    json_t *c = json_object_get(v, s->name);
                    if (c) {
                        const char *key = NULL; json_t *cv; const char *kk;
                        json_object_foreach(v, kk, cv) if (cv == c) key = kk;
                        add_hit(&nx, v, key, -1, c);
                    }
                }
                break;
            case SEG_INDEX:
                if (json_is_array(v)) {
                    long idx = s->idx < 0 ? (long)json_array_size(v) + s->idx : s->idx;
                    if (idx >= 0 && (size_t)idx < json_array_size(v)) add_hit(&nx, v, NULL, idx, json_array_get(v, (size_t)idx));
                }
                break;
            case SEG_WILD:
                if (json_is_object(v)) { const char *kk; json_t *cv; json_object_foreach(v, kk, cv) add_hit(&nx, v, kk, -1, cv); }
                else if (json_is_array(v)) { size_t ii; json_t *cv; json_array_foreach(v, ii, cv) add_hit(&nx, v, NULL, (long)ii, cv); }
                break;
            case SEG_DEEP:
                deep(cur.h[k].parent, cur.h[k].key, cur.h[k].idx, v, s, &nx);
                break;
            case SEG_FILTER:
                if (json_is_array(v)) { size_t ii; json_t *cv; json_array_foreach(v, ii, cv) if (filter_ok(s, cv)) add_hit(&nx, v, NULL, (long)ii, cv); }
                else if (filter_ok(s, v)) add_hit(&nx, cur.h[k].parent, cur.h[k].key, cur.h[k].idx, v);
                break;
            }
        }
        free(cur.h);
        cur = nx;
    }
    *out = cur;
}

int el_check_jsonpath(const el_node *call, strbuf *err)
{
    const el_node *a = call->args[0];
    if (a->kind != N_STR) return 0;
    jpath p;
    if (jp_parse(a->s, &p, err) < 0) return -1;
    int rc = 0;
    if (p.n && p.s[p.n - 1].kind == SEG_DEEP && !p.s[p.n - 1].name) {
        strbuf_seterr(err, "invalid JSON path '%s': path must not end with a '.' or '..'", a->s);
        rc = -1;
    }
    jp_release(&p);
    return rc;
}

static void render_json(json_t *v, strbuf *out)
{
    if (json_is_string(v)) strbuf_add(out, json_string_value(v), json_string_length(v));
    else if (json_is_null(v)) ;
    else jsontext_dump(v, out, 0);
}

static json_t *load_subject(el_ctx *c, el_val *s, const char *fn)
{
    if (!el_s(s)) { strbuf_seterr(c->err, "%s(): the subject is null, not JSON", fn); return NULL; }
    strbuf e = STRBUF_INIT;
    json_t *j = jsontext_parse(s->s, s->n, &e);
    if (!j) strbuf_seterr(c->err, "%s(): the subject is not valid JSON: %s", fn, e.buf);
    strbuf_release(&e);
    return j;
}

int el_fn_jsonPath(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n;
    json_t *root = load_subject(c, s, "jsonPath");
    if (!root) return -1;
    jpath p;
    const char *path = el_s(&a[0]);
    if (!path || jp_parse(path, &p, c->err) < 0) { json_decref(root); if (!path) strbuf_seterr(c->err, "jsonPath(): null path"); return -1; }
    hits h;
    jp_walk(&p, root, &h);
    strbuf sb = STRBUF_INIT;
    if (p.definite) {
        if (h.n) {
            json_t *v = h.h[0].val;
            if (json_is_array(v) && json_array_size(v) == 1) v = json_array_get(v, 0);
            render_json(v, &sb);
        }
    } else if (h.n == 1) {
        render_json(h.h[0].val, &sb);
    } else {
        json_t *arr = json_array();
        for (int i = 0; i < h.n; i++) json_array_append(arr, h.h[i].val);
        jsontext_dump(arr, &sb, 0);
        json_decref(arr);
    }
    free(h.h);
    jp_release(&p);
    json_decref(root);
    el_val_take(out, &sb);
    return 0;
}

static json_t *arg_json(el_val *v)
{
    switch (v->t) {
    case V_NULL: return json_null();
    case V_BOOL: return json_boolean(v->i);
    case V_WHOLE: return json_integer(v->i);
    case V_DEC: return json_real(v->d);
    default: el_val_to_str(v); return json_stringn(v->s, v->n);
    }
}

static int modify(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out, int op)
{
    const char *fn = el_fns[n->fn].name;
    json_t *root = load_subject(c, s, fn);
    if (!root) return -1;
    jpath p;
    const char *path = el_s(&a[0]);
    if (!path || jp_parse(path, &p, c->err) < 0) { json_decref(root); if (!path) strbuf_seterr(c->err, "%s(): null path", fn); return -1; }
    hits h;
    jp_walk(&p, root, &h);
    int ok = 1;
    for (int i = h.n; i-- > 0;) {
        hit *x = &h.h[i];
        switch (op) {
        case 0: /* delete */
            if (x->parent && json_is_object(x->parent) && x->key) json_object_del(x->parent, x->key);
            else if (x->parent && json_is_array(x->parent)) json_array_remove(x->parent, (size_t)x->idx);
            break;
        case 1: /* set */
            if (x->parent && json_is_object(x->parent) && x->key) json_object_set_new(x->parent, x->key, arg_json(&a[1]));
            else if (x->parent && json_is_array(x->parent)) json_array_set_new(x->parent, (size_t)x->idx, arg_json(&a[1]));
            break;
        case 2: /* add */
            if (json_is_array(x->val)) json_array_append_new(x->val, arg_json(&a[1]));
            else ok = 0;
            break;
        case 3: /* put */
            if (json_is_object(x->val)) { el_s(&a[1]); json_object_set_new(x->val, a[1].s ? a[1].s : "null", arg_json(&a[2])); }
            else ok = 0;
            break;
        }
    }
    free(h.h);
    jp_release(&p);
    strbuf sb = STRBUF_INIT;
    if (ok) jsontext_dump(root, &sb, 0);
    json_decref(root);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_jsonPathDelete(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return modify(c, n, s, a, out, 0); }
int el_fn_jsonPathSet(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return modify(c, n, s, a, out, 1); }
int el_fn_jsonPathAdd(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return modify(c, n, s, a, out, 2); }
int el_fn_jsonPathPut(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return modify(c, n, s, a, out, 3); }

int el_fn_isJson(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    out->t = V_BOOL;
    out->i = 0;
    if (!el_s(s)) return 0;
    const char *p = s->s;
    while (*p && isspace((unsigned char)*p)) p++;
    if (*p != '{' && *p != '[') return 0;
    json_t *j = json_loadb(s->s, s->n, JSON_DECODE_ANY, NULL);
    if (j) { out->i = 1; json_decref(j); }
    return 0;
}
