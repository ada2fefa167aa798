/*
 * el_eval.c: the evaluator core — values, coercions, rendering, the walk
 * over el_node trees, multi-attribute reduction and the public el_eval().
 *
 * Each node evaluates to an el_val. A call first evaluates its subject and
 * all its arguments, then hands them to the function's implementation
 * (el_fn_*.c), which fills `out`. Values own their strings; every path frees
 * what it evaluated. Nothing here writes to the compiled tree, so one
 * compiled expression can be evaluated from several threads at once.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el_fn.h"
#include "xalloc.h"

void el_val_release(el_val *v)
{
    if (v->t == V_STR) free(v->s);
    memset(v, 0, sizeof(*v));
    v->t = V_NULL;
}

void el_val_str(el_val *v, const char *s, size_t n)
{
    v->t = V_STR;
    v->s = xmalloc(n + 1);
    memcpy(v->s, s, n);
    v->s[n] = 0;
    v->n = n;
}

void el_val_take(el_val *v, strbuf *sb)
{
    v->t = V_STR;
    v->s = strbuf_detach(sb, &v->n);
}

/* Java's Double.toString: shortest round-trip digits, plain notation for
 * 1e-3 <= |d| < 1e7, else d.dddE[-]n. */
void el_java_double(double d, strbuf *out)
{
    if (isnan(d)) { strbuf_addstr(out, "NaN"); return; }
    if (isinf(d)) { strbuf_addstr(out, d < 0 ? "-Infinity" : "Infinity"); return; }
    if (d == 0) { strbuf_addstr(out, signbit(d) ? "-0.0" : "0.0"); return; }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d) break;
    }
    /* buf: [-]D[.DDD]e[+-]XX */
    char digits[32];
    int nd = 0, neg = 0;
    const char *q = buf;
    if (*q == '-') { neg = 1; q++; }
    for (; *q && *q != 'e'; q++)
        if (isdigit((unsigned char)*q)) digits[nd++] = *q;
    int exp = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    if (neg) strbuf_addch(out, '-');
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (exp >= 0) {
            for (int k = 0; k <= exp; k++) strbuf_addch(out, k < nd ? digits[k] : '0');
            strbuf_addch(out, '.');
            if (nd > exp + 1) strbuf_add(out, digits + exp + 1, (size_t)(nd - exp - 1));
            else strbuf_addch(out, '0');
        } else {
            strbuf_addstr(out, "0.");
            for (int k = 0; k < -exp - 1; k++) strbuf_addch(out, '0');
            strbuf_add(out, digits, (size_t)nd);
        }
    } else {
        strbuf_addch(out, digits[0]);
        strbuf_addch(out, '.');
        if (nd > 1) strbuf_add(out, digits + 1, (size_t)(nd - 1));
        else strbuf_addch(out, '0');
        strbuf_addf(out, "E%d", exp);
    }
}

void el_val_render(const el_val *v, strbuf *out)
{
    switch (v->t) {
    case V_NULL: break;
    case V_STR: strbuf_add(out, v->s, v->n); break;
    case V_BOOL: strbuf_addstr(out, v->i ? "true" : "false"); break;
    case V_WHOLE: strbuf_addf(out, "%lld", v->i); break;
    case V_DEC: el_java_double(v->d, out); break;
    case V_DATE: el_date_tostring(v->i, out); break;
    case V_INST: el_instant_tostring(v->i, out); break;
    }
}

void el_val_to_str(el_val *v)
{
    if (v->t == V_STR || v->t == V_NULL) return;
    strbuf sb = STRBUF_INIT;
    el_val_render(v, &sb);
    el_val_take(v, &sb);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Java Double.valueOf grammar (decimal, hex float with p exponent, Infinity,
 * NaN; optional sign; surrounding whitespace allowed). */
int el_parse_decimal_text(const char *s, double *d)
{
    while (*s && (unsigned char)*s <= ' ') s++;
    size_t n = strlen(s);
    while (n && (unsigned char)s[n - 1] <= ' ') n--;
    if (!n) return -1;
    char buf[512];
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    const char *p = buf;
    int neg = 0;
    if (*p == '+' || *p == '-') { neg = *p == '-'; p++; }
    if (!strcmp(p, "Infinity")) { *d = neg ? -INFINITY : INFINITY; return 0; }
    if (!strcmp(p, "NaN")) { *d = NAN; return 0; }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        /* hex float: needs a p exponent */
        const char *q = p + 2;
        int digits = 0;
        while (hexval((unsigned char)*q) >= 0) { q++; digits++; }
        if (*q == '.') { q++; while (hexval((unsigned char)*q) >= 0) { q++; digits++; } }
        if (!digits || (*q != 'p' && *q != 'P')) return -1;
        q++;
        if (*q == '+' || *q == '-') q++;
        if (!isdigit((unsigned char)*q)) return -1;
        while (isdigit((unsigned char)*q)) q++;
        if (*q && !((*q == 'd' || *q == 'D' || *q == 'f' || *q == 'F') && !q[1])) return -1;
        *d = strtod(buf, NULL);
        return 0;
    }
    const char *q = p;
    int digits = 0;
    while (isdigit((unsigned char)*q)) { q++; digits++; }
    if (*q == '.') { q++; while (isdigit((unsigned char)*q)) { q++; digits++; } }
    if (!digits) return -1;
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-') q++;
        if (!isdigit((unsigned char)*q)) return -1;
        while (isdigit((unsigned char)*q)) q++;
    }
    if (*q && !((*q == 'd' || *q == 'D' || *q == 'f' || *q == 'F') && !q[1])) return -1;
    *d = strtod(buf, NULL);
    return 0;
}

/* Whole numbers ([+-]digits, or Long.decode-style hex) first, then decimals. */
int el_parse_number_text(const char *s, int *is_dec, long long *i, double *d)
{
    while (*s && (unsigned char)*s <= ' ') s++;
    size_t n = strlen(s);
    while (n && (unsigned char)s[n - 1] <= ' ') n--;
    if (!n) return -1;
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') { neg = *p == '-'; p++; }
    size_t rest = n - (size_t)(p - s);
    int base = 10;
    if (rest > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) { base = 16; p += 2; rest -= 2; }
    else if (rest > 1 && p[0] == '#') { base = 16; p++; rest--; }
    size_t k = 0;
    while (k < rest && (base == 16 ? hexval((unsigned char)p[k]) >= 0 : isdigit((unsigned char)p[k]))) k++;
    if (k == rest && k > 0) {
        unsigned long long acc = 0;
        int over = 0;
        for (size_t j = 0; j < k; j++) {
            int dv = hexval((unsigned char)p[j]);
            if (acc > (ULLONG_MAX - (unsigned)dv) / (unsigned)base) over = 1;
            acc = acc * (unsigned)base + (unsigned)dv;
        }
        if (!over && (neg ? acc <= (unsigned long long)LLONG_MAX + 1ULL : acc <= (unsigned long long)LLONG_MAX)) {
            *is_dec = 0;
            *i = neg ? (long long)(0ULL - acc) : (long long)acc;
            return 0;
        }
        if (base == 16) return -1;
    }
    char tmp[512];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (el_parse_decimal_text(tmp, d) == 0) { *is_dec = 1; return 0; }
    return -1;
}

int el_to_number(const el_val *v, int *is_dec, long long *i, double *d)
{
    switch (v->t) {
    case V_WHOLE: *is_dec = 0; *i = v->i; return 0;
    case V_DEC: *is_dec = 1; *d = v->d; return 0;
    case V_DATE: *is_dec = 0; *i = v->i; return 0;
    case V_INST: *is_dec = 0; *i = v->i >= 0 ? v->i / 1000000 : -((-v->i + 999999) / 1000000); return 0;
    case V_STR: {
        if (el_parse_number_text(v->s, is_dec, i, d) == 0) return 0;
        long long ms;
        if (el_date_from_string(v->s, &ms) == 0) { *is_dec = 0; *i = ms; return 0; }
        return -1;
    }
    default: return -1;
    }
}

static int eval_multi(el_ctx *c, const el_node *n, el_val *out);

int el_eval_node(el_ctx *c, const el_node *n, el_val *out)
{
    memset(out, 0, sizeof(*out));
    out->t = V_NULL;
    switch (n->kind) {
    case N_STR: el_val_str(out, n->s, n->n); return 0;
    case N_TMPL: {
        strbuf sb = STRBUF_INIT;
        if (el_eval_template(c, n->tmpl, &sb) < 0) { strbuf_release(&sb); return -1; }
        el_val_take(out, &sb);
        return 0;
    }
    case N_WHOLE: out->t = V_WHOLE; out->i = n->i; return 0;
    case N_DEC: out->t = V_DEC; out->d = n->d; return 0;
    case N_BOOL: out->t = V_BOOL; out->i = n->i; return 0;
    case N_NULL: return 0;
    case N_ELEM:
        if (c->elem) {
            *out = *c->elem;
            if (out->t == V_STR) el_val_str(out, c->elem->s, c->elem->n);
        }
        return 0;
    case N_ATTR: {
        el_val name;
        if (el_eval_node(c, n->name, &name) < 0) return -1;
        el_val_to_str(&name);
        if (name.t == V_STR && c->a) {
            const char *v = attrs_get(c->a, name.s);
            if (v) el_val_str(out, v, strlen(v));
        }
        el_val_release(&name);
        return 0;
    }
    case N_MULTI: return eval_multi(c, n, out);
    case N_CALL: {
        if (++c->depth > 400) { c->depth--; strbuf_seterr(c->err, "expression nested too deeply"); return -1; }
        el_val subj = { .t = V_NULL };
        el_val argv[8];
        el_val *args = n->nargs <= 8 ? argv : xcalloc((size_t)n->nargs, sizeof(el_val));
        int rc = 0, na = 0;
        if (n->subj && el_eval_node(c, n->subj, &subj) < 0) rc = -1;
        for (; rc == 0 && na < n->nargs; na++)
            if (el_eval_node(c, n->args[na], &args[na]) < 0) { rc = -1; break; }
        if (rc == 0) rc = el_fns[n->fn].impl(c, n, &subj, args, out);
        el_val_release(&subj);
        for (int k = 0; k < na && k < n->nargs; k++) el_val_release(&args[k]);
        if (args != argv) free(args);
        c->depth--;
        if (rc < 0) el_val_release(out);
        return rc;
    }
    }
    return 0;
}

/* ---- multi-attribute subjects ---- */

static void push(el_val **vs, int *nv, el_val v)
{
    *vs = xrealloc(*vs, sizeof(el_val) * (size_t)(*nv + 1));
    (*vs)[(*nv)++] = v;
}

static int eval_multi(el_ctx *c, const el_node *n, el_val *out)
{
    const char *name = el_fns[n->fn].name;
    int any = name[1] == 'n';
    el_val *elems = NULL;
    int ne = 0, rc = 0;
    el_val *args = xcalloc((size_t)n->nargs + 1, sizeof(el_val));
    for (int k = 0; k < n->nargs; k++)
        if (el_eval_node(c, n->args[k], &args[k]) < 0) { rc = -1; goto done; }
    for (int k = 0; k < n->nargs; k++) el_val_to_str(&args[k]);
    if (strstr(name, "Delineated")) {
        if (args[0].t == V_STR && args[1].t == V_STR) {
            const char *s = args[0].s, *d = args[1].s;
            size_t dl = args[1].n;
            /* Java String.split(Pattern.quote(d)): trailing empty strings dropped */
            el_val *parts = NULL;
            int np = 0;
            if (args[0].n == 0) {
                /* "".split(x) gives [""] */
                el_val v = { .t = V_NULL };
                el_val_str(&v, "", 0);
                push(&parts, &np, v);
            } else if (dl == 0) {
                for (size_t k = 0; k < args[0].n; k++) { el_val v = { .t = V_NULL }; el_val_str(&v, s + k, 1); push(&parts, &np, v); }
            } else {
                const char *p = s, *end = s + args[0].n;
                for (;;) {
                    const char *q = memmem(p, (size_t)(end - p), d, dl);
                    el_val v = { .t = V_NULL };
                    if (!q) { el_val_str(&v, p, (size_t)(end - p)); push(&parts, &np, v); break; }
                    el_val_str(&v, p, (size_t)(q - p));
                    push(&parts, &np, v);
                    p = q + dl;
                }
                while (np > 0 && parts[np - 1].n == 0) el_val_release(&parts[--np]);
            }
            elems = parts;
            ne = np;
        }
    } else if (strstr(name, "Matching")) {
        el_re **res = xcalloc((size_t)n->nargs + 1, sizeof(el_re *));
        for (int k = 0; k < n->nargs; k++) {
            if (args[k].t != V_STR) continue;
            res[k] = el_re_compile(args[k].s, args[k].n, c->err);
            if (!res[k]) { rc = -1; break; }
        }
        for (size_t ai = 0; rc == 0 && c->a && ai < c->a->n; ai++) {
            const char *key = c->a->keys[ai];
            for (int k = 0; k < n->nargs; k++) {
                if (!res[k]) continue;
                int m = el_re_match(res[k], key, strlen(key), 1);
                if (m < 0) { rc = -1; strbuf_seterr(c->err, "regex match failed"); break; }
                if (m) {
                    el_val v = { .t = V_NULL };
                    if (c->a->vals[ai]) el_val_str(&v, c->a->vals[ai], strlen(c->a->vals[ai]));
                    push(&elems, &ne, v);
                    break;
                }
            }
        }
        for (int k = 0; k < n->nargs; k++) el_re_free(res[k]);
        free(res);
        if (rc < 0) goto done;
    } else {
        for (int k = 0; k < n->nargs; k++) {
            el_val v = { .t = V_NULL };
            if (args[k].t == V_STR && c->a) {
                const char *s = attrs_get(c->a, args[k].s);
                if (s) el_val_str(&v, s, strlen(s));
            }
            push(&elems, &ne, v);
        }
    }

    {
        const char *red = n->red >= 0 ? el_fns[n->red].name : NULL;
        strbuf sep = STRBUF_INIT, joined = STRBUF_INIT;
        if (red && !strcmp(red, "join") && n->redarg) {
            el_val sv;
            if (el_eval_node(c, n->redarg, &sv) < 0) { rc = -1; goto done; }
            el_val_render(&sv, &sep);
            el_val_release(&sv);
        }
        long long count = 0;
        int result = any ? 0 : 1;
        const el_val *save = c->elem;
        for (int k = 0; k < ne; k++) {
            el_val r = { .t = V_NULL };
            c->elem = &elems[k];
            if (n->chain) {
                if (el_eval_node(c, n->chain, &r) < 0) { rc = -1; break; }
            } else {
                r = elems[k];
                if (r.t == V_STR) el_val_str(&r, elems[k].s, elems[k].n);
            }
            if (red && !strcmp(red, "join")) {
                if (k) strbuf_add(&joined, sep.buf, sep.len);
                el_val_render(&r, &joined);
            } else if (red) {
                if (r.t != V_NULL && !(r.t == V_BOOL && !r.i)) count++;
            } else {
                int b = r.t == V_BOOL ? (int)r.i : (r.t == V_STR && !strcasecmp(r.s, "true"));
                if (any && b) result = 1;
                if (!any && !b) result = 0;
            }
            el_val_release(&r);
        }
        c->elem = save;
        if (rc == 0) {
            if (red && !strcmp(red, "join")) el_val_take(out, &joined);
            else if (red) { out->t = V_WHOLE; out->i = count; }
            else { out->t = V_BOOL; out->i = result; }
        }
        strbuf_release(&sep);
        strbuf_release(&joined);
    }
done:
    for (int k = 0; k < ne; k++) el_val_release(&elems[k]);
    free(elems);
    for (int k = 0; k < n->nargs; k++) el_val_release(&args[k]);
    free(args);
    return rc;
}

int el_eval_template(el_ctx *c, const el_expr *e, strbuf *out)
{
    for (int i = 0; i < e->nparts; i++) {
        const el_part *p = &e->parts[i];
        if (!p->node) { strbuf_add(out, p->text, p->len); continue; }
        el_val v;
        if (el_eval_node(c, p->node, &v) < 0) return -1;
        el_val_render(&v, out);
        el_val_release(&v);
    }
    return 0;
}

int el_eval(const el_expr *e, const attrs *a, strbuf *out, strbuf *err)
{
    if (!e) { strbuf_seterr(err, "no expression"); return -1; }
    el_ctx c = { a, err, NULL, 0 };
    size_t start = out->len;
    if (el_eval_template(&c, e, out) < 0) {
        strbuf_setlen(out, start);
        if (err && !err->len) strbuf_setf(err, "evaluation failed");
        return -1;
    }
    return 0;
}
