/*
 * jolt_modify.c: the modify-overwrite-beta / modify-default-beta /
 * modify-define-beta operations (Java's Modifier with OVERWRITR, DEFAULTR,
 * DEFINR).
 *
 * The spec walks the input like shift does (literal keys, stars, explicit
 * array indexes "[2]"), but writes in place: a leaf's right hand side is a
 * literal, an "@(n,path)" lookup in the input, a "^path" lookup in the
 * context, a "=function(args)" call, or a list of those of which the first
 * that yields a value wins. Whether a write happens depends on the mode:
 * overwrite always, default only over a missing or null value, define only
 * where the key is missing. A key may override the mode with a "+", "~" or
 * "_" prefix, and a "?" suffix applies it only when the key exists. Missing
 * objects and arrays on the way are created (subject to the same mode), and
 * arrays are padded with nulls up to the largest explicit index.
 *
 * Function arguments are split on top-level commas (not inside "@( )" or
 * '...' quotes) and parsed once, at compile time.
 */
#include "jolt_int.h"
#include "xalloc.h"
#include "jolt_fn.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { M_OVERWRITE, M_DEFAULT, M_DEFINE };
enum { DT_RUNTIME, DT_MAP, DT_LIST };
enum { X_ALL_LITERALS, X_COMPUTED, X_CONFLICT, X_BOTH };
enum { A_LIT, A_SELF, A_CTX };

typedef struct marg {
    int kind;
    json_t *lit; /* may be json null */
    jolt_pe *tpe;
    jolt_path *ctx;
} marg;

typedef struct meval {
    int is_fn;
    jolt_stock_fn stock;
    jolt_fn extra;
    void *xctx;
    int nargs;
    marg *args;
} meval;

typedef struct mnode mnode;
struct mnode {
    jolt_pe *pe;
    char *litkey; /* key in the parent's literal table */
    int mode, check, leaf;
    int neval;
    meval *evals;
    int nlit, ncomp;
    mnode **lit, **comp;
    int dtype;
    long max_idx;
    int strategy;
};

typedef struct modify_spec {
    mnode *root;
    int mode;
} modify_spec;

static void marg_release(marg *a)
{
    json_decref(a->lit);
    jolt_pe_free(a->tpe);
    jolt_path_free(a->ctx);
}

static void mnode_free(mnode *n)
{
    if (!n)
        return;
    jolt_pe_free(n->pe);
    free(n->litkey);
    for (int i = 0; i < n->neval; i++) {
        for (int j = 0; j < n->evals[i].nargs; j++)
            marg_release(&n->evals[i].args[j]);
        free(n->evals[i].args);
    }
    free(n->evals);
    for (int i = 0; i < n->nlit; i++)
        mnode_free(n->lit[i]);
    for (int i = 0; i < n->ncomp; i++)
        mnode_free(n->comp[i]);
    free(n->lit);
    free(n->comp);
    free(n);
}

static const char *MODE_NAMES[] = {"OVERWRITR", "DEFAULTR", "DEFINER"};

/* ---- compile ---- */

static int build_arg(marg *a, const char *s, int for_function, jolt_cpath *p, strbuf *err)
{
    memset(a, 0, sizeof *a);
    strbuf msg = STRBUF_INIT;
    if (s[0] == '^') {
        a->kind = A_CTX;
        a->ctx = jolt_path_parse_rhs(s + 1, &msg);
        if (!a->ctx)
            goto bad;
        return 0;
    }
    if (s[0] == '@') {
        a->kind = A_SELF;
        jolt_path *pp = jolt_path_parse_rhs(s, &msg);
        if (!pp)
            goto bad;
        if (pp->n == 0 || pp->el[pp->n - 1]->kind != PE_TRANSPOSE) {
            jolt_path_free(pp);
            strbuf_addf(&msg, "expected an @ path element in '%s'", s);
            goto bad;
        }
        a->tpe = pp->el[pp->n - 1];
        pp->el[pp->n - 1] = NULL;
        pp->n--;
        jolt_path_free(pp);
        return 0;
    }
    a->kind = A_LIT;
    if (!for_function) {
        a->lit = json_string(s);
        if (!a->lit)
            a->lit = json_stringn_nocheck(s, strlen(s));
        return 0;
    }
    size_t n = strlen(s);
    if (n == 0) {
        a->lit = json_null();
    } else if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') {
        a->lit = json_stringn(s + 1, n - 2);
    } else if (!strcasecmp(s, "true") || !strcasecmp(s, "false")) {
        a->lit = json_boolean(!strcasecmp(s, "true"));
    } else {
        json_t *str = json_string(s);
        static jolt_stock_fn to_num;
        (void)to_num;
        /* Objects.toNumber on the text: int, long, then double */
        long iv;
        char *end;
        if (jolt_parse_int(s, n, &iv) == 0) {
            a->lit = json_integer(iv);
        } else {
            int digits = n > 0;
            for (size_t i = (s[0] == '-' || s[0] == '+'); i < n && digits; i++)
                digits = isdigit((unsigned char)s[i]);
            if (digits && n > (size_t)(s[0] == '-' || s[0] == '+')) {
                a->lit = json_integer(strtoll(s, NULL, 10));
            } else {
                double d = strtod(s, &end);
                while (*end == 'd' || *end == 'D' || *end == 'f' || *end == 'F')
                    end++;
                if (end != s && !*end && strncasecmp(s, "0x", 2) && !isspace((unsigned char)s[0]))
                    a->lit = json_real(d);
            }
        }
        if (!a->lit)
            a->lit = str ? json_incref(str) : json_stringn_nocheck(s, n);
        json_decref(str);
    }
    if (!a->lit)
        a->lit = json_null();
    return 0;
bad:
    jolt_cpath_err(p, err, "%s", msg.buf);
    strbuf_release(&msg);
    return -1;
}

/* "fn(a, @(1,b), 'c,d')" -> name + args, split on top-level commas */
static int split_fn_args(const char *s, char **name, char ***args, int *nargs)
{
    const char *open = strchr(s, '(');
    size_t n = strlen(s);
    *name = strndup(s, open ? (size_t)(open - s) : n);
    *args = NULL;
    *nargs = 0;
    if (!open)
        return 0;
    const char *body = open + 1;
    size_t bl = (s + n) - body;
    if (bl && body[bl - 1] == ')')
        bl--;
    /* trim */
    size_t k = 0;
    while (k < bl && isspace((unsigned char)body[k]))
        k++;
    if (k == bl)
        return 0;
    int depth = 0, quote = 0;
    size_t start = 0;
    char **v = NULL;
    int cnt = 0;
    for (size_t i = 0; i <= bl; i++) {
        char c = i < bl ? body[i] : ',';
        if (i < bl) {
            if (c == '\'')
                quote = !quote;
            else if (!quote && c == '(')
                depth++;
            else if (!quote && c == ')')
                depth--;
        }
        if ((c == ',' && !quote && depth <= 0) || i == bl) {
            size_t a = start, b = i;
            while (a < b && isspace((unsigned char)body[a]))
                a++;
            while (b > a && isspace((unsigned char)body[b - 1]))
                b--;
            v = realloc(v, (size_t)(cnt + 1) * sizeof *v);
            v[cnt++] = strndup(body + a, b - a);
            start = i + 1;
        }
    }
    *args = v;
    *nargs = cnt;
    return 0;
}

static int build_eval(meval *e, const json_t *rhs, jolt_cpath *p, strbuf *err)
{
    memset(e, 0, sizeof *e);
    if (!json_is_string(rhs)) {
        e->nargs = 1;
        e->args = calloc(1, sizeof *e->args);
        e->args[0].kind = A_LIT;
        e->args[0].lit = json_deep_copy(rhs);
        return 0;
    }
    const char *s = json_string_value(rhs);
    if (s[0] != '=') {
        e->nargs = 1;
        e->args = calloc(1, sizeof *e->args);
        return build_arg(&e->args[0], s, 0, p, err);
    }
    e->is_fn = 1;
    size_t n = strlen(s);
    char *name;
    char **args = NULL;
    int nargs = 0;
    if (!strchr(s, '(') && !(n && s[n - 1] == ')')) {
        name = strdup(s + 1);
    } else {
        split_fn_args(s + 1, &name, &args, &nargs);
    }
    e->stock = jolt_lookup_stock(name);
    if (!e->stock)
        e->extra = jolt_lookup_extra(name, &e->xctx);
    free(name);
    e->args = calloc((size_t)nargs + 1, sizeof *e->args);
    int rc = 0;
    for (int i = 0; i < nargs; i++) {
        if (!rc && build_arg(&e->args[i], args[i], 1, p, err) == 0)
            e->nargs++;
        else
            rc = -1;
        free(args[i]);
    }
    free(args);
    return rc;
}

static int comp_cmp(const void *a, const void *b)
{
    return jolt_pe_cmp((*(mnode *const *)a)->pe, (*(mnode *const *)b)->pe, PE_ARRAY);
}

static mnode *mnode_compile(const char *key, const json_t *rhs, int mode, jolt_cpath *p, strbuf *err)
{
    mnode *n = xcalloc(1, sizeof *n);
    n->mode = mode;
    n->max_idx = -1;
    char *k = strdup(key);
    size_t kl = strlen(k);
    if (kl && (k[0] == '+' || k[0] == '~' || k[0] == '_')) {
        n->mode = k[0] == '+' ? M_OVERWRITE : k[0] == '~' ? M_DEFAULT : M_DEFINE;
        memmove(k, k + 1, kl);
        kl--;
    }
    if (strlen(key) > 1 && key[strlen(key) - 1] == '?' && !(kl >= 2 && k[kl - 2] == '\\')) {
        n->check = 1;
        if (kl)
            k[--kl] = '\0';
    }
    strbuf msg = STRBUF_INIT;
    n->pe = jolt_pe_parse(k, &msg);
    free(k);
    if (!n->pe) {
        jolt_cpath_err(p, err, "%s", msg.buf);
        strbuf_release(&msg);
        goto fail;
    }
    strbuf_release(&msg);
    int kind = n->pe->kind;
    if (kind != PE_LITERAL && kind != PE_ARRAY && kind != PE_STAR_ALL && kind != PE_STAR_SINGLE &&
        kind != PE_STAR_DOUBLE && kind != PE_STAR_REGEX) {
        jolt_cpath_err(p, err, "%s cannot have key '%s'", MODE_NAMES[mode], key);
        goto fail;
    }
    if (kind == PE_ARRAY && n->pe->arr != ARR_EXPLICIT) {
        jolt_cpath_err(p, err, "%s only supports explicit array indexes, not '%s'", MODE_NAMES[mode], key);
        goto fail;
    }
    if (kind == PE_ARRAY) {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", n->pe->index);
        n->litkey = strdup(buf);
    } else {
        n->litkey = strdup(n->pe->raw);
    }

    if (json_is_object(rhs) && json_object_size(rhs) > 0) {
        size_t cnt = json_object_size(rhs);
        n->lit = calloc(cnt, sizeof *n->lit);
        n->comp = calloc(cnt, sizeof *n->comp);
        int map_at = -1, arr_at = -1, i = 0;
        const char *ck;
        json_t *cv;
        json_object_foreach((json_t *)rhs, ck, cv) {
            size_t m = jolt_cpath_push_key(p, ck);
            mnode *c = mnode_compile(ck, cv, mode, p, err);
            if (!c) {
                jolt_cpath_pop(p, m);
                goto fail;
            }
            /* "~x", "+x", "_x" and "x?" all name the key x: Java rejects
             * two keys of one canonical form at load */
            int dup = 0;
            for (int j = 0; j < n->nlit && !dup; j++)
                dup = !strcmp(n->lit[j]->pe->canon, c->pe->canon);
            for (int j = 0; j < n->ncomp && !dup; j++)
                dup = !strcmp(n->comp[j]->pe->canon, c->pe->canon);
            if (dup) {
                jolt_cpath_err(p, err, "duplicate canonical key '%s'", c->pe->canon);
                mnode_free(c);
                jolt_cpath_pop(p, m);
                goto fail;
            }
            if (c->pe->kind == PE_LITERAL) {
                map_at = i;
                n->lit[n->nlit++] = c;
            } else if (c->pe->kind == PE_ARRAY) {
                arr_at = i;
                if (!c->check && c->pe->index > n->max_idx)
                    n->max_idx = c->pe->index;
                n->lit[n->nlit++] = c;
            } else {
                if (c->pe->kind != PE_STAR_ALL)
                    map_at = i;
                n->comp[n->ncomp++] = c;
            }
            if (map_at > -1 && arr_at > -1) {
                jolt_cpath_err(p, err, "%s cannot mix array indexes and map keys in one object", MODE_NAMES[mode]);
                jolt_cpath_pop(p, m);
                goto fail;
            }
            jolt_cpath_pop(p, m);
            i++;
        }
        n->dtype = arr_at > -1 ? DT_LIST : map_at > -1 ? DT_MAP : DT_RUNTIME;
        qsort(n->comp, (size_t)n->ncomp, sizeof *n->comp, comp_cmp);
        if (n->ncomp == 0)
            n->strategy = X_ALL_LITERALS;
        else if (n->nlit == 0)
            n->strategy = X_COMPUTED;
        else if (n->mode == M_DEFINE && n->dtype == DT_LIST)
            n->strategy = X_CONFLICT;
        else
            n->strategy = X_BOTH;
        return n;
    }
    n->leaf = 1;
    if (json_is_array(rhs) && json_array_size(rhs) > 0) {
        n->evals = calloc(json_array_size(rhs), sizeof *n->evals);
        for (size_t i = 0; i < json_array_size(rhs); i++) {
            size_t m = jolt_cpath_push_index(p, i);
            int rc = build_eval(&n->evals[n->neval], json_array_get(rhs, i), p, err);
            n->neval++;
            jolt_cpath_pop(p, m);
            if (rc)
                goto fail;
        }
    } else {
        n->evals = calloc(1, sizeof *n->evals);
        n->neval = 1;
        if (build_eval(&n->evals[0], rhs, p, err))
            goto fail;
    }
    return n;
fail:
    mnode_free(n);
    return NULL;
}

/* ---- apply ---- */

typedef struct mrun {
    jolt_walk w;
    const json_t *ctx;
} mrun;

/* 1 with *out (borrowed or NULL for null) when the argument has a value */
static int eval_arg(mrun *r, const marg *a, const json_t **out)
{
    switch (a->kind) {
    case A_LIT:
        *out = a->lit;
        return 1;
    case A_SELF:
        return jolt_transpose_data(a->tpe, &r->w, out);
    case A_CTX:
        if (!r->ctx) {
            /* Java wraps even a null context: a bare "^" finds it (null),
             * any path below it finds nothing */
            if (a->ctx->n == 0) {
                *out = NULL;
                return 1;
            }
            return 0;
        }
        return jolt_path_read(a->ctx, r->ctx, &r->w, out);
    }
    return 0;
}

static json_t *call_fn(const meval *e, json_t **args, int n)
{
    if (e->stock)
        return e->stock(args, n);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append(arr, args[i] ? args[i] : json_null());
    json_t *r = e->extra(arr, e->xctx);
    json_decref(arr);
    return r;
}

/* squashNulls / recursivelySquashNulls of one container of the tree being
 * modified (the argument "@(n,path)" or the key's own value): Java changes
 * that container itself and writes it, the same object, as the result, so
 * every place that holds it shows the change. We do the same: squash in
 * place and return a new reference to it (the tree then shares it). Returns
 * 0 when this does not apply (other functions, context or literal
 * arguments, scalars), 1 with *res otherwise (*res NULL: no value, Java's
 * answer for an empty list). */
static int squash_in_tree(mrun *r, const meval *e, json_t *input, json_t **res)
{
    int kind = e->stock ? jolt_squash_kind(e->stock) : 0;
    const json_t *v = NULL;
    if (!kind)
        return 0;
    if (e->nargs == 1 && e->args[0].kind == A_SELF) {
        if (!eval_arg(r, &e->args[0], &v))
            return 0;
    } else if (e->nargs == 0) {
        v = input;
    }
    if (!v || !(json_is_array(v) || json_is_object(v)))
        return 0;
    *res = NULL;
    if (json_is_array(v) && json_array_size(v) == 0)
        return 1;
    jolt_squash_in_place((json_t *)v, kind == 2);
    *res = json_incref((json_t *)v);
    return 1;
}

/* Returns a new reference, or NULL for no value. input NULL = absent. */
static json_t *evaluate(mrun *r, const meval *e, json_t *input)
{
    const json_t *v;
    json_t *sq;
    if (squash_in_tree(r, e, input, &sq))
        return sq;
    if (!e->is_fn)
        return eval_arg(r, &e->args[0], &v) ? jolt_copy(v) : NULL;
    if (!e->stock && !e->extra) /* unknown function: Java evaluates the first argument */
        return (e->nargs > 0 && eval_arg(r, &e->args[0], &v)) ? jolt_copy(v) : NULL;
    if (e->nargs == 1) {
        if (eval_arg(r, &e->args[0], &v)) {
            json_t *a = (json_t *)(v ? v : json_null());
            return call_fn(e, &a, 1);
        }
        return call_fn(e, NULL, 0);
    }
    if (e->nargs > 1) {
        json_t **args = calloc((size_t)e->nargs, sizeof *args);
        for (int i = 0; i < e->nargs; i++) {
            if (!eval_arg(r, &e->args[i], &v) || !v)
                v = json_null();
            args[i] = (json_t *)v;
        }
        json_t *res = call_fn(e, args, e->nargs);
        free(args);
        return res;
    }
    if (input) {
        json_t *a = (json_t *)input;
        return call_fn(e, &a, 1);
    }
    return call_fn(e, NULL, 0);
}

static int applicable_map(int mode, const json_t *map, const char *key)
{
    json_t *v = json_object_get(map, key);
    if (mode == M_DEFAULT)
        return !v || json_is_null(v);
    if (mode == M_DEFINE)
        return !v;
    return 1;
}

static int applicable_list(int mode, const json_t *list, long idx, long orig)
{
    if (idx < 0 || orig < 0 || (size_t)idx >= json_array_size(list))
        return 0;
    json_t *v = json_array_get(list, (size_t)idx);
    if (mode == M_DEFAULT)
        return json_is_null(v);
    if (mode == M_DEFINE)
        return idx >= orig && json_is_null(v);
    return 1;
}

/* Writes v (taking the reference) into parent at key per mode; 1 when written */
static int set_data(json_t *parent, const char *key, long orig, json_t *v, int mode)
{
    if (json_is_object(parent)) {
        if (applicable_map(mode, parent, key)) {
            json_object_set_new(parent, key, v);
            return 1;
        }
    } else if (json_is_array(parent)) {
        long idx;
        if (!jolt_parse_int(key, strlen(key), &idx) && applicable_list(mode, parent, idx, orig)) {
            json_array_set_new(parent, (size_t)idx, v);
            return 1;
        }
    }
    json_decref(v);
    return 0;
}

static int node_apply(mrun *r, const mnode *n, const char *key, json_t *input);

static void apply_computed(mrun *r, const mnode *n, const char *key, json_t *sub)
{
    for (int i = 0; i < n->ncomp; i++)
        if (node_apply(r, n->comp[i], key, sub))
            break;
}

static void all_literals(mrun *r, const mnode *n, json_t *input)
{
    for (int i = 0; i < n->nlit; i++) {
        const char *k = n->lit[i]->litkey;
        if (json_is_object(input)) {
            node_apply(r, n->lit[i], k, json_object_get(input, k));
        } else {
            long idx;
            if (jolt_parse_int(k, strlen(k), &idx))
                continue;
            json_t *sub = (idx >= 0 && (size_t)idx < json_array_size(input)) ? json_array_get(input, (size_t)idx) : NULL;
            node_apply(r, n->lit[i], k, sub);
        }
    }
}

static const mnode *find_lit(const mnode *n, const char *k)
{
    for (int i = 0; i < n->nlit; i++)
        if (!strcmp(n->lit[i]->litkey, k))
            return n->lit[i];
    return NULL;
}

static void each_key(mrun *r, const mnode *n, json_t *input, int conflict)
{
    if (json_is_object(input)) {
        size_t cnt = json_object_size(input), i = 0;
        char **keys = calloc(cnt + 1, sizeof *keys);
        const char *k;
        json_t *v;
        json_object_foreach(input, k, v) keys[i++] = strdup(k);
        for (size_t j = 0; j < i; j++) {
            json_t *sub = json_object_get(input, keys[j]);
            const mnode *lit = conflict ? find_lit(n, keys[j]) : NULL;
            if (lit)
                node_apply(r, lit, keys[j], sub);
            else if (sub || !conflict)
                apply_computed(r, n, keys[j], sub);
            free(keys[j]);
        }
        free(keys);
    } else if (json_is_array(input)) {
        char buf[32];
        for (size_t i = 0; i < json_array_size(input); i++) {
            snprintf(buf, sizeof buf, "%zu", i);
            const mnode *lit = conflict ? find_lit(n, buf) : NULL;
            if (lit)
                node_apply(r, lit, buf, json_array_get(input, i));
            else
                apply_computed(r, n, buf, json_array_get(input, i));
        }
    }
}

static void process(mrun *r, const mnode *n, json_t *input)
{
    if (!json_is_object(input) && !json_is_array(input))
        return;
    switch (n->strategy) {
    case X_ALL_LITERALS:
        all_literals(r, n, input);
        break;
    case X_COMPUTED:
        each_key(r, n, input, 0);
        break;
    case X_CONFLICT:
        each_key(r, n, input, 1);
        break;
    case X_BOTH:
        all_literals(r, n, input);
        each_key(r, n, input, 0);
        break;
    }
}

#define MAX_MODIFY_PAD (1 << 20)

static void composite_apply(mrun *r, const mnode *n, const char *key, json_t *input, jolt_match *m)
{
    int isnull = !input || json_is_null(input);
    if (n->dtype == DT_RUNTIME && isnull)
        return;
    if (n->dtype == DT_MAP && !isnull && !json_is_object(input))
        return;
    if (n->dtype == DT_LIST && !isnull && !json_is_array(input))
        return;
    jolt_step *par = jolt_walk_from_end(&r->w, 0);
    if (isnull) {
        input = NULL;
        json_t *parent = par ? (json_t *)par->tree : NULL;
        json_t *c = n->dtype == DT_LIST ? json_array() : json_object();
        json_t *keep = c;
        if (parent && set_data(parent, key, par->m->orig, c, n->mode))
            input = keep;
    }
    if (json_is_array(input)) {
        m->orig = (long)json_array_size(input);
        if (n->dtype == DT_LIST) {
            long want = n->max_idx < MAX_MODIFY_PAD ? n->max_idx : MAX_MODIFY_PAD;
            while ((long)json_array_size(input) <= want)
                json_array_append_new(input, json_null());
        }
    }
    jolt_walk_push(&r->w, input, m);
    process(r, n, input);
    jolt_walk_pop(&r->w);
}

static void leaf_apply(mrun *r, const mnode *n, const char *key, json_t *input, jolt_match *m)
{
    jolt_step *par = jolt_walk_from_end(&r->w, 0);
    json_t *parent = par ? (json_t *)par->tree : NULL;
    long orig = par ? par->m->orig : -1;
    jolt_walk_push(&r->w, input, m);
    json_t *v = NULL;
    for (int i = 0; i < n->neval && !v; i++)
        v = evaluate(r, &n->evals[i], input);
    jolt_walk_pop(&r->w);
    /* a value shared with the tree (squash_in_tree) must not become its own
     * descendant: write a copy when it is the parent or above it */
    for (int i = 0; v && i < r->w.n; i++) {
        if (r->w.st[i].tree == v) {
            json_t *c = json_deep_copy(v);
            json_decref(v);
            v = c;
            break;
        }
    }
    if (v && parent)
        set_data(parent, key, orig, v, n->mode);
    else
        json_decref(v);
}

static int node_apply(mrun *r, const mnode *n, const char *key, json_t *input)
{
    jolt_match m;
    jolt_match_init(&m, key);
    int ok;
    if (n->pe->kind == PE_ARRAY)
        ok = !strcmp(n->litkey, key);
    else
        ok = jolt_pe_star_match(n->pe, key, &m);
    if (!ok) {
        jolt_match_release(&m);
        return 0;
    }
    m.key = key;
    if (!n->check || (input && !json_is_null(input))) {
        if (n->leaf)
            leaf_apply(r, n, key, input, &m);
        else
            composite_apply(r, n, key, input, &m);
    }
    jolt_match_release(&m);
    return 1;
}

static json_t *modify_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    (void)err;
    const modify_spec *s = impl;
    json_t *out = input ? json_deep_copy(input) : json_null();
    mrun r;
    memset(&r, 0, sizeof r);
    r.ctx = context;
    jolt_match root;
    jolt_match_init(&root, "root");
    jolt_walk_push(&r.w, out, &root);
    node_apply(&r, s->root, "root", out);
    jolt_walk_release(&r.w);
    jolt_match_release(&root);
    return out;
}

static void modify_free(void *impl)
{
    modify_spec *s = impl;
    mnode_free(s->root);
    free(s);
}

int jolt_modify_compile(jolt_op *op, int mode, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    if (!json_is_object(spec))
        return jolt_cpath_err(p, err, "modify spec must be an object");
    mnode *root = mnode_compile("root", spec, mode, p, err);
    if (!root)
        return -1;
    modify_spec *s = xcalloc(1, sizeof *s);
    s->root = root;
    s->mode = mode;
    op->name = mode == 0 ? "modify-overwrite-beta" : mode == 1 ? "modify-default-beta" : "modify-define-beta";
    op->impl = s;
    op->apply = modify_apply;
    op->free_impl = modify_free;
    return 0;
}
