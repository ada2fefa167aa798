/*
 * el_fn_string.c: NiFi EL string, boolean and searching functions.
 *
 * Every function gets its evaluated subject and arguments (owned by the
 * caller) and writes a fresh value into `out`. Null subjects propagate as
 * NiFi does: most string functions return null, the boolean tests return
 * false. Offsets are byte offsets (the corpus is ASCII; multi-byte text is
 * kept intact but indexed by bytes).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "el_fn.h"
#include "xalloc.h"

const char *el_s(el_val *v)
{
    el_val_to_str(v);
    return v->t == V_STR ? v->s : NULL;
}

int el_truthy(const el_val *v)
{
    if (v->t == V_BOOL) return (int)v->i;
    if (v->t == V_STR) return !strcasecmp(v->s, "true");
    return 0;
}

int el_arg_long(el_ctx *c, el_val *v, const char *fn, long long *out)
{
    int dec; long long i; double d;
    if (el_to_number(v, &dec, &i, &d) < 0) {
        strbuf_seterr(c->err, "%s(): argument '%s' is not a number", fn, v->t == V_STR ? v->s : "null");
        return -1;
    }
    *out = dec ? el_d2l(d) : i;
    return 0;
}

static void set_bool(el_val *out, int b) { out->t = V_BOOL; out->i = b != 0; }

static int java_ws(int c) { return (unsigned char)c <= ' '; }

/* ---- string ---- */

int el_fn_toUpper(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    el_val_str(out, s->s, s->n);
    for (size_t i = 0; i < out->n; i++) out->s[i] = (char)toupper((unsigned char)out->s[i]);
    return 0;
}

int el_fn_toLower(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    el_val_str(out, s->s, s->n);
    for (size_t i = 0; i < out->n; i++) out->s[i] = (char)tolower((unsigned char)out->s[i]);
    return 0;
}

int el_fn_trim(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    size_t b = 0, e = s->n;
    while (b < e && java_ws(s->s[b])) b++;
    while (e > b && java_ws(s->s[e - 1])) e--;
    el_val_str(out, s->s + b, e - b);
    return 0;
}

int el_fn_toString(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    el_val_str(out, s->s, s->n);
    return 0;
}

int el_fn_length(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    out->t = V_WHOLE;
    if (!el_s(s)) { out->i = 0; return 0; }
    /* count UTF-16 code units like Java */
    long long len = 0;
    for (size_t i = 0; i < s->n; i++) {
        unsigned char ch = (unsigned char)s->s[i];
        if ((ch & 0xC0) == 0x80) continue;
        len += ch >= 0xF0 ? 2 : 1;
    }
    out->i = len;
    return 0;
}

int el_fn_substring(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    long long st, en;
    if (!el_s(s)) return 0;
    if (el_arg_long(c, &a[0], "substring", &st) < 0) return -1;
    en = (long long)s->n;
    if (n->nargs > 1 && el_arg_long(c, &a[1], "substring", &en) < 0) return -1;
    if (st < 0 || en > (long long)s->n || st > en) { el_val_str(out, "", 0); return 0; }
    el_val_str(out, s->s + st, (size_t)(en - st));
    return 0;
}

static const char *find_last(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn > hn) return NULL;
    for (size_t i = hn - nn + 1; i-- > 0;)
        if (!memcmp(h + i, nd, nn)) return h + i;
    return NULL;
}

static int substr_common(el_val *s, el_val *a, el_val *out, int after, int last)
{
    const char *x = el_s(&a[0]);
    if (!el_s(s)) return 0;
    if (!x || !a[0].n) { el_val_str(out, s->s, s->n); return 0; }
    const char *p = last ? find_last(s->s, s->n, x, a[0].n) : memmem(s->s, s->n, x, a[0].n);
    if (!p) {
        el_val_str(out, s->s, s->n);
        return 0;
    }
    if (after) el_val_str(out, p + a[0].n, s->n - (size_t)(p - s->s) - a[0].n);
    else el_val_str(out, s->s, (size_t)(p - s->s));
    return 0;
}

int el_fn_substringBefore(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; return substr_common(s, a, out, 0, 0); }
int el_fn_substringBeforeLast(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; return substr_common(s, a, out, 0, 1); }
int el_fn_substringAfter(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; return substr_common(s, a, out, 1, 0); }
int el_fn_substringAfterLast(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; return substr_common(s, a, out, 1, 1); }

int el_fn_append(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    strbuf sb = STRBUF_INIT;
    el_val_render(s, &sb);
    el_val_render(&a[0], &sb);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_prepend(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    strbuf sb = STRBUF_INIT;
    el_val_render(&a[0], &sb);
    el_val_render(s, &sb);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_replace(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (!el_s(s)) return 0;
    const char *x = el_s(&a[0]), *y = el_s(&a[1]);
    if (!x || !y) { el_val_str(out, s->s, s->n); return 0; }
    strbuf sb = STRBUF_INIT;
    if (!a[0].n) {
        /* Java: "abc".replace("", "-") = "-a-b-c-" */
        for (size_t i = 0; i < s->n; i++) { strbuf_add(&sb, y, a[1].n); strbuf_addch(&sb, s->s[i]); }
        strbuf_add(&sb, y, a[1].n);
    } else {
        const char *p = s->s, *end = s->s + s->n;
        for (;;) {
            const char *q = memmem(p, (size_t)(end - p), x, a[0].n);
            if (!q) { strbuf_add(&sb, p, (size_t)(end - p)); break; }
            strbuf_add(&sb, p, (size_t)(q - p));
            strbuf_add(&sb, y, a[1].n);
            p = q + a[0].n;
        }
    }
    el_val_take(out, &sb);
    return 0;
}

static int regex_replace(el_ctx *c, el_val *s, el_val *a, el_val *out, int all)
{
    if (!el_s(s)) return 0;
    const char *x = el_s(&a[0]), *y = el_s(&a[1]);
    if (!x || !y) { el_val_str(out, s->s, s->n); return 0; }
    el_re *re = el_re_compile(x, a[0].n, c->err);
    if (!re) return -1;
    strbuf sb = STRBUF_INIT;
    int rc = el_re_replace(re, s->s, s->n, y, a[1].n, all, &sb, c->err);
    el_re_free(re);
    if (rc < 0) { strbuf_release(&sb); return -1; }
    el_val_take(out, &sb);
    return 0;
}

int el_fn_replaceAll(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return regex_replace(c, s, a, out, 1); }
int el_fn_replaceFirst(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return regex_replace(c, s, a, out, 0); }

static void copy_val(el_val *dst, const el_val *src)
{
    *dst = *src;
    if (src->t == V_STR) el_val_str(dst, src->s, src->n);
}

int el_fn_replaceNull(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    copy_val(out, s->t == V_NULL ? &a[0] : s);
    return 0;
}

static int is_blank(el_val *v)
{
    if (!el_s(v)) return 1;
    for (size_t i = 0; i < v->n; i++) if (!java_ws(v->s[i])) return 0;
    return 1;
}

int el_fn_replaceEmpty(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    copy_val(out, is_blank(s) ? &a[0] : s);
    return 0;
}

int el_fn_replaceByPattern(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n;
    if (!el_s(s)) return 0;
    const char *spec = el_s(&a[0]);
    if (spec && a[0].n) {
        const char *p = spec;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            const char *colon = memchr(p, ':', len);
            if (colon) {
                const char *ps = p, *pe = colon;
                while (ps < pe && java_ws(*ps)) ps++;
                while (pe > ps && java_ws(pe[-1])) pe--;
                const char *rs = colon + 1, *re_ = p + len;
                while (rs < re_ && java_ws(*rs)) rs++;
                while (re_ > rs && java_ws(re_[-1])) re_--;
                el_re *re = el_re_compile(ps, (size_t)(pe - ps), c->err);
                if (!re) return -1;
                int m = el_re_match(re, s->s, s->n, 1);
                el_re_free(re);
                if (m > 0) { el_val_str(out, rs, (size_t)(re_ - rs)); return 0; }
            }
            if (!comma) break;
            p = comma + 1;
        }
    }
    el_val_str(out, s->s, s->n);
    return 0;
}

static int pad(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out, int left)
{
    long long want;
    if (!el_s(s)) return 0;
    if (el_arg_long(c, &a[0], left ? "padLeft" : "padRight", &want) < 0) return -1;
    const char *pd = "_";
    size_t pl = 1;
    if (n->nargs > 1) {
        pd = el_s(&a[1]);
        if (!pd) return 0;
        pl = a[1].n;
    }
    if (want <= (long long)s->n || want > 2147483647LL || !pl || want > 100000000) { el_val_str(out, s->s, s->n); return 0; }
    strbuf sb = STRBUF_INIT;
    size_t need = (size_t)want - s->n;
    if (!left) strbuf_add(&sb, s->s, s->n);
    for (size_t i = 0; i < need; i++) strbuf_addch(&sb, pd[i % pl]);
    if (left) strbuf_add(&sb, s->s, s->n);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_padLeft(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return pad(c, n, s, a, out, 1); }
int el_fn_padRight(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return pad(c, n, s, a, out, 0); }

int el_fn_repeat(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    long long mn, mx;
    if (!el_s(s)) return 0;
    if (el_arg_long(c, &a[0], "repeat", &mn) < 0) return -1;
    mx = mn;
    if (n->nargs > 1 && el_arg_long(c, &a[1], "repeat", &mx) < 0) return -1;
    if (mn <= 0) { strbuf_seterr(c->err, "repeat(): the number of repeats must be positive, got %lld", mn); return -1; }
    if (mx < mn) { strbuf_seterr(c->err, "repeat(): maximum %lld is less than minimum %lld", mx, mn); return -1; }
    long long times = mn;
    if (mx > mn) {
        unsigned long long r;
        el_random_bytes(&r, sizeof r);
        times = mn + (long long)(r % (unsigned long long)(mx - mn + 1));
    }
    if (s->n && (unsigned long long)times * s->n > 256ULL * 1024 * 1024) { strbuf_seterr(c->err, "repeat(): result too large"); return -1; }
    strbuf sb = STRBUF_INIT;
    for (long long i = 0; i < times; i++) strbuf_add(&sb, s->s, s->n);
    el_val_take(out, &sb);
    return 0;
}

/* NiFi's getDelimitedField(index, delimiter=',', quote='"', escape='\\', strip=false) */
int el_fn_getDelimitedField(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    long long idx;
    if (!el_s(s)) return 0;
    if (el_arg_long(c, &a[0], "getDelimitedField", &idx) < 0) return -1;
    if (idx < 1) { strbuf_seterr(c->err, "getDelimitedField(): index must be 1 or greater, got %lld", idx); return -1; }
    char delim = ',', quote = '"', esc = '\\';
    int strip = 0;
    if (n->nargs > 1) { const char *d = el_s(&a[1]); if (!d || a[1].n != 1) { strbuf_seterr(c->err, "getDelimitedField(): the delimiter must be one character"); return -1; } delim = d[0]; }
    if (n->nargs > 2) { const char *d = el_s(&a[2]); if (!d || a[2].n != 1) { strbuf_seterr(c->err, "getDelimitedField(): the quote must be one character"); return -1; } quote = d[0]; }
    if (n->nargs > 3) { const char *d = el_s(&a[3]); if (!d || a[3].n != 1) { strbuf_seterr(c->err, "getDelimitedField(): the escape must be one character"); return -1; } esc = d[0]; }
    if (n->nargs > 4) strip = el_truthy(&a[4]);
    long long field = 1;
    int inq = 0, escaped = 0;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        char ch = s->s[i];
        if (escaped) {
            escaped = 0;
            if (field == idx) { if (!strip) strbuf_addch(&sb, esc); strbuf_addch(&sb, ch); }
            continue;
        }
        if (ch == esc) { escaped = 1; continue; }
        if (ch == quote) {
            inq = !inq;
            if (field == idx && !strip) strbuf_addch(&sb, ch);
            continue;
        }
        if (ch == delim && !inq) {
            if (field == idx) break;
            field++;
            continue;
        }
        if (field == idx) strbuf_addch(&sb, ch);
    }
    if (escaped && field == idx && !strip) strbuf_addch(&sb, esc);
    el_val_take(out, &sb);
    return 0;
}

/* splits s by literal sep (Java split semantics not applied: keeps empties) */
static char **split_lit(const char *s, size_t n, const char *sep, size_t sl, size_t **lens, int *cnt)
{
    char **parts = NULL;
    *lens = NULL;
    *cnt = 0;
    const char *p = s, *end = s + n;
    for (;;) {
        const char *q = sl ? memmem(p, (size_t)(end - p), sep, sl) : NULL;
        const char *e = q ? q : end;
        parts = xrealloc(parts, sizeof(char *) * (size_t)(*cnt + 1));
        *lens = xrealloc(*lens, sizeof(size_t) * (size_t)(*cnt + 1));
        parts[*cnt] = (char *)p;
        (*lens)[*cnt] = (size_t)(e - p);
        (*cnt)++;
        if (!q) break;
        p = q + sl;
    }
    return parts;
}

int el_fn_unique(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (!el_s(s)) return 0;
    const char *sep = el_s(&a[0]);
    if (!sep || !a[0].n || !s->n) { el_val_str(out, s->s, s->n); return 0; }
    size_t *lens; int cnt;
    char **parts = split_lit(s->s, s->n, sep, a[0].n, &lens, &cnt);
    strbuf sb = STRBUF_INIT;
    int first = 1;
    for (int i = 0; i < cnt; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            if (lens[j] == lens[i] && !memcmp(parts[j], parts[i], lens[i])) { dup = 1; break; }
        if (dup) continue;
        if (!first) strbuf_add(&sb, sep, a[0].n);
        strbuf_add(&sb, parts[i], lens[i]);
        first = 0;
    }
    free(parts); free(lens);
    el_val_take(out, &sb);
    return 0;
}

static int delim_list(el_val *s, el_val *a, el_val *out, int compact)
{
    if (!el_s(s)) return 0;
    const char *sep = el_s(&a[0]);
    size_t sl = a[0].n;
    if (!sep || !sl) { el_val_str(out, s->s, s->n); return 0; }
    if (!compact) {
        /* strip leading and trailing delimiters */
        const char *b = s->s, *e = s->s + s->n;
        while ((size_t)(e - b) >= sl && !memcmp(b, sep, sl)) b += sl;
        while ((size_t)(e - b) >= sl && !memcmp(e - sl, sep, sl)) e -= sl;
        el_val_str(out, b, (size_t)(e - b));
        return 0;
    }
    size_t *lens; int cnt;
    char **parts = split_lit(s->s, s->n, sep, sl, &lens, &cnt);
    strbuf sb = STRBUF_INIT;
    int first = 1;
    for (int i = 0; i < cnt; i++) {
        if (!lens[i]) continue;
        if (!first) strbuf_add(&sb, sep, sl);
        strbuf_add(&sb, parts[i], lens[i]);
        first = 0;
    }
    free(parts); free(lens);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_compactDelimitedList(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; return delim_list(s, a, out, 1); }
int el_fn_trimDelimitedList(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; return delim_list(s, a, out, 0); }

int el_fn_evaluateELString(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n; (void)a;
    if (!el_s(s)) return 0;
    if (c->depth > 50) { strbuf_seterr(c->err, "evaluateELString(): nested too deeply"); return -1; }
    strbuf e = STRBUF_INIT;
    el_expr *x = el_compile(s->s, &e, NULL);
    if (!x) { strbuf_seterr(c->err, "evaluateELString(): %s", e.buf); strbuf_release(&e); return -1; }
    strbuf_release(&e);
    strbuf sb = STRBUF_INIT;
    c->depth += 10;
    int rc = el_eval_template(c, x, &sb);
    c->depth -= 10;
    el_free(x);
    if (rc < 0) { strbuf_release(&sb); return -1; }
    el_val_take(out, &sb);
    return 0;
}

/* ---- boolean ---- */

int el_fn_isNull(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; set_bool(out, s->t == V_NULL); return 0; }
int el_fn_notNull(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; set_bool(out, s->t != V_NULL); return 0; }
int el_fn_isEmpty(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; set_bool(out, is_blank(s)); return 0; }

int el_fn_equals(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (s->t == V_NULL || a[0].t == V_NULL) { set_bool(out, s->t == V_NULL && a[0].t == V_NULL && 0); return 0; }
    if ((s->t == V_WHOLE || s->t == V_DEC) && (a[0].t == V_WHOLE || a[0].t == V_DEC) && s->t != a[0].t) {
        double x = s->t == V_WHOLE ? (double)s->i : s->d, y = a[0].t == V_WHOLE ? (double)a[0].i : a[0].d;
        set_bool(out, x == y);
        return 0;
    }
    el_s(s); el_s(&a[0]);
    set_bool(out, s->n == a[0].n && !memcmp(s->s, a[0].s, s->n));
    return 0;
}

int el_fn_equalsIgnoreCase(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (!el_s(s) || !el_s(&a[0])) { set_bool(out, 0); return 0; }
    set_bool(out, s->n == a[0].n && !strncasecmp(s->s, a[0].s, s->n));
    return 0;
}

static int compare(el_ctx *c, el_val *s, el_val *a, el_val *out, int op)
{
    (void)c;
    int d1, d2; long long i1, i2; double f1, f2;
    if (s->t == V_NULL || a->t == V_NULL || el_to_number(s, &d1, &i1, &f1) < 0 || el_to_number(a, &d2, &i2, &f2) < 0) {
        set_bool(out, 0);
        return 0;
    }
    int cmp;
    if (!d1 && !d2) cmp = i1 < i2 ? -1 : i1 > i2;
    else {
        double x = d1 ? f1 : (double)i1, y = d2 ? f2 : (double)i2;
        if (x != x || y != y) { set_bool(out, 0); return 0; }
        cmp = x < y ? -1 : x > y;
    }
    switch (op) {
    case 0: set_bool(out, cmp > 0); break;
    case 1: set_bool(out, cmp >= 0); break;
    case 2: set_bool(out, cmp < 0); break;
    default: set_bool(out, cmp <= 0); break;
    }
    return 0;
}

int el_fn_gt(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return compare(c, s, a, out, 0); }
int el_fn_ge(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return compare(c, s, a, out, 1); }
int el_fn_lt(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return compare(c, s, a, out, 2); }
int el_fn_le(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return compare(c, s, a, out, 3); }

int el_fn_and(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; set_bool(out, el_truthy(s) && el_truthy(&a[0])); return 0; }
int el_fn_or(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; set_bool(out, el_truthy(s) || el_truthy(&a[0])); return 0; }
int el_fn_not(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (s->t == V_NULL) return 0;
    set_bool(out, !el_truthy(s));
    return 0;
}

int el_fn_ifElse(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    int b = s->t == V_BOOL ? (int)s->i : (s->t == V_STR && !strcasecmp(s->s, "true"));
    copy_val(out, b ? &a[0] : &a[1]);
    el_val_to_str(out);
    return 0;
}

/* ---- searching ---- */

int el_fn_startsWith(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (!el_s(s) || !el_s(&a[0])) { set_bool(out, 0); return 0; }
    set_bool(out, a[0].n <= s->n && !memcmp(s->s, a[0].s, a[0].n));
    return 0;
}

int el_fn_endsWith(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (!el_s(s) || !el_s(&a[0])) { set_bool(out, 0); return 0; }
    set_bool(out, a[0].n <= s->n && !memcmp(s->s + s->n - a[0].n, a[0].s, a[0].n));
    return 0;
}

int el_fn_contains(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    if (!el_s(s) || !el_s(&a[0])) { set_bool(out, 0); return 0; }
    set_bool(out, a[0].n == 0 || memmem(s->s, s->n, a[0].s, a[0].n) != NULL);
    return 0;
}

int el_fn_in(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c;
    if (!el_s(s)) { set_bool(out, 0); return 0; }
    for (int i = 0; i < n->nargs; i++) {
        if (el_s(&a[i]) && a[i].n == s->n && !memcmp(a[i].s, s->s, s->n)) { set_bool(out, 1); return 0; }
    }
    set_bool(out, 0);
    return 0;
}

static int re_test(el_ctx *c, el_val *s, el_val *a, el_val *out, int full)
{
    if (!el_s(s) || !el_s(&a[0])) { set_bool(out, 0); return 0; }
    el_re *re = el_re_compile(a[0].s, a[0].n, c->err);
    if (!re) return -1;
    int m = el_re_match(re, s->s, s->n, full);
    el_re_free(re);
    if (m < 0) { strbuf_seterr(c->err, "regular expression match failed"); return -1; }
    set_bool(out, m);
    return 0;
}

int el_fn_find(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return re_test(c, s, a, out, 0); }
int el_fn_matches(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return re_test(c, s, a, out, 1); }

int el_fn_indexOf(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    out->t = V_WHOLE;
    out->i = -1;
    if (!el_s(s) || !el_s(&a[0])) return 0;
    const char *p = memmem(s->s, s->n, a[0].s, a[0].n);
    if (p) out->i = p - s->s;
    return 0;
}

int el_fn_lastIndexOf(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n;
    out->t = V_WHOLE;
    out->i = -1;
    if (!el_s(s) || !el_s(&a[0])) return 0;
    const char *p = find_last(s->s, s->n, a[0].s, a[0].n);
    if (p) out->i = p - s->s;
    return 0;
}
