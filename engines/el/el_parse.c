/*
 * el_parse.c: NiFi EL template and expression parser.
 *
 * A template is scanned for runs of '$' followed by '{' with a matching '}'
 * (quotes inside the expression are respected); each "$$" in the run becomes
 * "$" and an odd leftover '$' starts an expression. A "${" without a closing
 * brace stays literal text (strict mode, used for compile checks, rejects it).
 *
 * Expressions are parsed by hand (recursive descent) straight into el_node
 * trees: subject (attribute name, quoted name, embedded ${...}, subjectless
 * or multi-attribute function) followed by ':fn(args)' calls. Function names,
 * argument counts, subject rules and some literal arguments (durations, time
 * zones, JSON paths) are checked here, so those errors surface at compile
 * time with a column, as NiFi's compiler reports them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el_fn.h"
#include "xalloc.h"

typedef struct parser {
    const char *s;
    size_t pos, lim;
    int base;       /* column of s[0] minus 1 */
    strbuf *err;
    int *col;
    int depth;
} parser;

static el_expr *compile_tmpl(const char *text, size_t len, int strict, int base, strbuf *err, int *col, int depth);

static el_node *new_node(int kind, int col)
{
    el_node *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->col = col;
    n->red = -1;
    return n;
}

void el_node_free(el_node *n)
{
    if (!n) return;
    free(n->s);
    el_free(n->tmpl);
    el_node_free(n->name);
    el_node_free(n->subj);
    for (int i = 0; i < n->nargs; i++) el_node_free(n->args[i]);
    free(n->args);
    el_node_free(n->chain);
    el_node_free(n->redarg);
    free(n);
}

void el_free(el_expr *e)
{
    if (!e) return;
    for (int i = 0; i < e->nparts; i++) {
        free(e->parts[i].text);
        el_node_free(e->parts[i].node);
    }
    free(e->parts);
    free(e);
}

int el_is_literal(const el_expr *e)
{
    return e ? e->literal : 1;
}

static int perr(parser *p, size_t at, const char *fmt, const char *arg)
{
    int col = p->base + (int)at + 1;
    if (p->err && !p->err->len) {
        strbuf_setf(p->err, "column %d: ", col);
        strbuf_addf(p->err, fmt, arg ? arg : "");
    }
    if (p->col && !*p->col) *p->col = col;
    return -1;
}

/* Index of the '}' closing the expression whose body starts at i, or -1. */
static long find_close(const char *s, size_t i, size_t lim)
{
    int depth = 1;
    char q = 0;
    for (; i < lim; i++) {
        char c = s[i];
        if (q) {
            if (c == '\\' && i + 1 < lim) { i++; continue; }
            if (c == q) q = 0;
            continue;
        }
        if (c == '\'' || c == '"') q = c;
        else if (c == '{') depth++;
        else if (c == '}') { if (--depth == 0) return (long)i; }
    }
    return -1;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->lim) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') { p->pos++; continue; }
        if (c == '#' && !(p->pos + 1 < p->lim && p->s[p->pos + 1] == '{')) {
            while (p->pos < p->lim && p->s[p->pos] != '\n') p->pos++;
            continue;
        }
        break;
    }
}

static int is_name_char(int c)
{
    if (c == '$' || c == '{' || c == '}' || c == '(' || c == ')' || c == '[' || c == ']' || c == ',' ||
        c == ':' || c == ';' || c == '/' || c == '*' || c == '\'' || c == '"' || c == '#')
        return 0;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0) return 0;
    return 1;
}

static el_node *parse_expr(parser *p);

/* Parses a quoted string literal at p->pos into N_STR or N_TMPL. */
static el_node *parse_string(parser *p)
{
    size_t start = p->pos;
    char q = p->s[p->pos++];
    strbuf sb = STRBUF_INIT;
    while (p->pos < p->lim && p->s[p->pos] != q) {
        char c = p->s[p->pos];
        if (c == '\\' && p->pos + 1 < p->lim) {
            char d = p->s[p->pos + 1];
            switch (d) {
            case '\'': case '"': case '\\': strbuf_addch(&sb, d); break;
            case 'n': strbuf_addch(&sb, '\n'); break;
            case 'r': strbuf_addch(&sb, '\r'); break;
            case 't': strbuf_addch(&sb, '\t'); break;
            default: strbuf_addch(&sb, '\\'); strbuf_addch(&sb, d); break;
            }
            p->pos += 2;
            continue;
        }
        strbuf_addch(&sb, c);
        p->pos++;
    }
    if (p->pos >= p->lim) {
        strbuf_release(&sb);
        perr(p, start, "unterminated string literal", NULL);
        return NULL;
    }
    p->pos++;
    int col = p->base + (int)start + 1;
    if (memmem(sb.buf, sb.len, "${", 2)) {
        el_expr *t = compile_tmpl(sb.buf, sb.len, 0, col, p->err, p->col, p->depth + 1);
        strbuf_release(&sb);
        if (!t) return NULL;
        el_node *n = new_node(N_TMPL, col);
        n->tmpl = t;
        return n;
    }
    el_node *n = new_node(N_STR, col);
    n->n = sb.len;
    n->s = strbuf_detach(&sb, NULL);
    return n;
}

/* ${...} at p->pos (pointing at '$'): parses the inner expression. */
static el_node *parse_embedded(parser *p)
{
    size_t at = p->pos;
    long close = find_close(p->s, p->pos + 2, p->lim);
    if (close < 0) { perr(p, at, "expected '}'", NULL); return NULL; }
    size_t savelim = p->lim;
    p->pos += 2;
    p->lim = (size_t)close;
    p->depth++;
    el_node *n = parse_expr(p);
    p->depth--;
    if (n) {
        skip_ws(p);
        if (p->pos != p->lim) { perr(p, p->pos, "unexpected '%s'", (char[]){p->s[p->pos], 0}); el_node_free(n); n = NULL; }
    }
    p->lim = savelim;
    p->pos = (size_t)close + 1;
    return n;
}

static el_node *parse_number(parser *p)
{
    size_t st = p->pos;
    size_t i = p->pos;
    int dec = 0;
    if (i < p->lim && (p->s[i] == '+' || p->s[i] == '-')) i++;
    size_t digits = 0;
    while (i < p->lim && isdigit((unsigned char)p->s[i])) { i++; digits++; }
    if (i < p->lim && p->s[i] == '.') {
        dec = 1; i++;
        while (i < p->lim && isdigit((unsigned char)p->s[i])) { i++; digits++; }
    }
    if (!digits) { perr(p, st, "expected a number", NULL); return NULL; }
    if (i < p->lim && (p->s[i] == 'e' || p->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->lim && (p->s[j] == '+' || p->s[j] == '-')) j++;
        if (j < p->lim && isdigit((unsigned char)p->s[j])) {
            dec = 1;
            while (j < p->lim && isdigit((unsigned char)p->s[j])) j++;
            i = j;
        }
    }
    el_node *n = new_node(dec ? N_DEC : N_WHOLE, p->base + (int)st + 1);
    n->n = i - st;
    n->s = strndup(p->s + st, n->n);
    if (dec) n->d = strtod(n->s, NULL);
    else {
        long long v;
        int isd; double d;
        if (el_parse_number_text(n->s, &isd, &v, &d) == 0 && !isd) n->i = v;
        else { n->kind = N_DEC; n->d = strtod(n->s, NULL); }
    }
    p->pos = i;
    return n;
}

static int fn_ret(int fn) { return el_fns[fn].ret; }

static int is_multi_fn(const char *name)
{
    return !strcmp(name, "anyAttribute") || !strcmp(name, "allAttributes") ||
           !strcmp(name, "anyMatchingAttribute") || !strcmp(name, "allMatchingAttributes") ||
           !strcmp(name, "anyDelineatedValue") || !strcmp(name, "allDelineatedValues");
}

/* Parses "name(args)" at p->pos; fills fn and args of a new N_CALL node. */
static el_node *parse_call(parser *p, el_node *subj)
{
    size_t st = p->pos;
    while (p->pos < p->lim && is_name_char((unsigned char)p->s[p->pos])) p->pos++;
    if (p->pos == st) { perr(p, st, "expected a function name", NULL); el_node_free(subj); return NULL; }
    char name[64];
    size_t nl = p->pos - st;
    if (nl >= sizeof(name)) nl = sizeof(name) - 1;
    memcpy(name, p->s + st, nl);
    name[nl] = 0;
    int fn = el_fns_find(p->s + st, p->pos - st);
    if (fn < 0) { perr(p, st, "unknown function '%s'", name); el_node_free(subj); return NULL; }
    skip_ws(p);
    if (p->pos >= p->lim || p->s[p->pos] != '(') { perr(p, p->pos, "expected '(' after %s", name); el_node_free(subj); return NULL; }
    p->pos++;
    el_node *n = new_node(N_CALL, p->base + (int)st + 1);
    n->fn = fn;
    n->subj = subj;
    skip_ws(p);
    if (p->pos < p->lim && p->s[p->pos] == ')') {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (p->pos >= p->lim) { perr(p, p->pos, "expected ')'", NULL); el_node_free(n); return NULL; }
            char c = p->s[p->pos];
            el_node *a = NULL;
            if (c == '\'' || c == '"') a = parse_string(p);
            else if (c == '$' && p->pos + 1 < p->lim && p->s[p->pos + 1] == '{') a = parse_embedded(p);
            else if (isdigit((unsigned char)c) || c == '.' || c == '+' || c == '-') a = parse_number(p);
            else if (is_name_char((unsigned char)c)) {
                size_t is = p->pos;
                while (p->pos < p->lim && is_name_char((unsigned char)p->s[p->pos])) p->pos++;
                size_t il = p->pos - is;
                if ((il == 4 && !memcmp(p->s + is, "true", 4)) || (il == 5 && !memcmp(p->s + is, "false", 5))) {
                    a = new_node(N_BOOL, p->base + (int)is + 1);
                    a->i = il == 4;
                } else if (il == 4 && !memcmp(p->s + is, "null", 4)) {
                    a = new_node(N_NULL, p->base + (int)is + 1);
                } else {
                    skip_ws(p);
                    if (p->pos < p->lim && p->s[p->pos] == '(') {
                        p->pos = is;
                        a = parse_expr(p);
                    } else {
                        char nm[64];
                        size_t k = il < 63 ? il : 63;
                        memcpy(nm, p->s + is, k); nm[k] = 0;
                        perr(p, is, "unexpected '%s' (attribute names as arguments need ${...})", nm);
                    }
                }
            } else {
                perr(p, p->pos, "unexpected '%s' in argument list", (char[]){c, 0});
            }
            if (!a) { el_node_free(n); return NULL; }
            n->args = xrealloc(n->args, sizeof(*n->args) * (size_t)(n->nargs + 1));
            n->args[n->nargs++] = a;
            skip_ws(p);
            if (p->pos < p->lim && p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->pos < p->lim && p->s[p->pos] == ')') { p->pos++; break; }
            perr(p, p->pos, "expected ')'", NULL);
            el_node_free(n);
            return NULL;
        }
    }
    const el_fn *f = &el_fns[fn];
    if (n->nargs < f->min || (f->max >= 0 && n->nargs > f->max)) {
        char msg[160];
        if (f->min == f->max) snprintf(msg, sizeof msg, "%s() takes %d argument%s, got %d", f->name, f->min, f->min == 1 ? "" : "s", n->nargs);
        else if (f->max < 0) snprintf(msg, sizeof msg, "%s() takes at least %d argument%s, got %d", f->name, f->min, f->min == 1 ? "" : "s", n->nargs);
        else snprintf(msg, sizeof msg, "%s() takes %d to %d arguments, got %d", f->name, f->min, f->max, n->nargs);
        perr(p, st, "%s", msg);
        el_node_free(n);
        return NULL;
    }
    if (subj && f->subj == SUBJ_NONE) { perr(p, st, "%s() does not take a subject", name); el_node_free(n); return NULL; }
    if (!subj && f->subj == SUBJ_REQ) { perr(p, st, "%s() needs a subject", name); el_node_free(n); return NULL; }
    if (f->check) {
        strbuf m = STRBUF_INIT;
        if (f->check(n, &m) < 0) {
            perr(p, st, "%s", m.buf);
            strbuf_release(&m);
            el_node_free(n);
            return NULL;
        }
        strbuf_release(&m);
    }
    return n;
}

static el_node *parse_expr(parser *p)
{
    if (p->depth > 200) { perr(p, p->pos, "expression nested too deeply", NULL); return NULL; }
    skip_ws(p);
    if (p->pos >= p->lim) { perr(p, p->pos, "expected an attribute name or function", NULL); return NULL; }
    char c = p->s[p->pos];
    el_node *subj = NULL;
    el_node *multi = NULL;
    size_t st = p->pos;
    if (c == '$' && p->pos + 1 < p->lim && p->s[p->pos + 1] == '{') {
        el_node *inner = parse_embedded(p);
        if (!inner) return NULL;
        subj = new_node(N_ATTR, p->base + (int)st + 1);
        subj->name = inner;
    } else if (c == '\'' || c == '"') {
        el_node *nm = parse_string(p);
        if (!nm) return NULL;
        subj = new_node(N_ATTR, p->base + (int)st + 1);
        subj->name = nm;
    } else if (is_name_char((unsigned char)c)) {
        size_t i = p->pos;
        while (i < p->lim && is_name_char((unsigned char)p->s[i])) i++;
        size_t save = p->pos;
        p->pos = i;
        skip_ws(p);
        if (p->pos < p->lim && p->s[p->pos] == '(') {
            p->pos = save;
            char nm[64];
            size_t k = i - save < 63 ? i - save : 63;
            memcpy(nm, p->s + save, k); nm[k] = 0;
            subj = parse_call(p, NULL);
            if (!subj) return NULL;
            if (is_multi_fn(nm)) {
                subj->kind = N_MULTI;
                multi = subj;
                subj = new_node(N_ELEM, multi->col);
            }
        } else {
            if (isdigit((unsigned char)c)) return perr(p, st, "attribute name must not start with a digit (quote it)", NULL), (el_node *)NULL;
            subj = new_node(N_ATTR, p->base + (int)st + 1);
            subj->name = new_node(N_STR, subj->col);
            subj->name->n = i - save;
            subj->name->s = strndup(p->s + save, i - save);
            p->pos = i;
        }
    } else {
        perr(p, st, "unexpected '%s'", (char[]){c, 0});
        return NULL;
    }
    int reduced = 0;
    int count_fn = el_fns_index("count"), join_fn = el_fns_index("join");
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->lim || p->s[p->pos] != ':') break;
        size_t colon = p->pos;
        p->pos++;
        skip_ws(p);
        if (reduced) { perr(p, colon, "no function may follow count() or join()", NULL); el_node_free(subj); el_node_free(multi); return NULL; }
        el_node *call = parse_call(p, subj);
        if (!call) { el_node_free(multi); return NULL; }
        subj = call;
        if (multi && (call->fn == count_fn || call->fn == join_fn)) reduced = 1;
    }
    if (multi) {
        if (reduced) {
            /* peel the reducer off the chain */
            el_node *red = subj;
            multi->red = red->fn;
            if (red->nargs) { multi->redarg = red->args[0]; red->nargs = 0; }
            subj = red->subj;
            red->subj = NULL;
            el_node_free(red);
        } else if (subj->kind != N_CALL || fn_ret(subj->fn) != R_BOOL) {
            perr(p, st, "%s", "a multi-attribute expression must end in a boolean function, count() or join()");
            el_node_free(subj);
            el_node_free(multi);
            return NULL;
        }
        multi->chain = subj;
        return multi;
    }
    return subj;
}

static void add_part(el_expr *e, char *text, size_t len, el_node *node)
{
    e->parts = xrealloc(e->parts, sizeof(*e->parts) * (size_t)(e->nparts + 1));
    e->parts[e->nparts].text = text;
    e->parts[e->nparts].len = len;
    e->parts[e->nparts].node = node;
    e->nparts++;
}

static void flush_lit(el_expr *e, strbuf *lit)
{
    if (!lit->len) return;
    size_t n = lit->len;
    add_part(e, strbuf_detach(lit, NULL), n, NULL);
}

static el_expr *compile_tmpl(const char *text, size_t len, int strict, int base, strbuf *err, int *col, int depth)
{
    el_expr *e = xcalloc(1, sizeof(*e));
    e->literal = 1;
    strbuf lit = STRBUF_INIT;
    size_t i = 0;
    if (depth > 100) {
        strbuf_seterr(err, "column %d: expression nested too deeply", base + 1);
        if (col) *col = base + 1;
        free(e);
        return NULL;
    }
    while (i < len) {
        if (text[i] != '$') { strbuf_addch(&lit, text[i++]); continue; }
        size_t j = i;
        while (j < len && text[j] == '$') j++;
        size_t nd = j - i;
        if (j < len && text[j] == '{') {
            long close = find_close(text, j + 1, len);
            if (close >= 0) {
                for (size_t k = 0; k < nd / 2; k++) strbuf_addch(&lit, '$');
                if (nd % 2) {
                    parser p = { text, j + 1, (size_t)close, base, err, col, depth };
                    el_node *n = parse_expr(&p);
                    if (n) {
                        skip_ws(&p);
                        if (p.pos != p.lim) {
                            perr(&p, p.pos, "unexpected '%s'", (char[]){text[p.pos], 0});
                            el_node_free(n);
                            n = NULL;
                        }
                    }
                    if (!n) { strbuf_release(&lit); el_free(e); return NULL; }
                    flush_lit(e, &lit);
                    add_part(e, NULL, 0, n);
                    e->literal = 0;
                } else {
                    strbuf_add(&lit, text + j, (size_t)close + 1 - j);
                }
                i = (size_t)close + 1;
                continue;
            } else if (strict && nd % 2) {
                strbuf_seterr(err, "column %d: expected '}' to close the expression", base + (int)len + 1);
                if (col) *col = base + (int)len + 1;
                strbuf_release(&lit);
                el_free(e);
                return NULL;
            }
        }
        strbuf_add(&lit, text + i, nd);
        i = j;
    }
    flush_lit(e, &lit);
    return e;
}

el_expr *el_compile_ex(const char *text, int flags, strbuf *err, int *err_col)
{
    int strict = flags & EL_STRICT;
    if (err_col) *err_col = 0;
    if (err) strbuf_reset(err);
    if (!text) text = "";
    return compile_tmpl(text, strlen(text), strict, 0, err, err_col, 0);
}

el_expr *el_compile(const char *text, strbuf *err, int *err_col)
{
    return el_compile_ex(text, 0, err, err_col);
}
