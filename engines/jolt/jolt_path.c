/*
 * jolt_path.c: the path elements of Jolt keys, modelled on Java's
 * PathElementBuilder / SpecStringParser / *PathElement classes.
 *
 * A spec key ("rating-*", "&(1,2)", "@(2,a.b)", "[#2]", "$1", "#lit") is
 * parsed once into a jolt_pe. During a walk, a jolt_walk stack records, per
 * level, the input subtree and the matched key with its star captures, so
 * references (&n, $n, #n, @n) can be evaluated against it. The parsing rules
 * (escapes, the order in which a key is classified, the sugar of "@a.b" and
 * "a[1]") follow the Java library closely, because users rely on its exact
 * behaviour.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- walk ---- */

void jolt_walk_grow(jolt_walk *w)
{
    int cap = w->cap ? w->cap * 2 : 16;
    if (w->own) {
        w->st = xrealloc(w->st, (size_t)cap * sizeof *w->st);
    } else { /* out of the caller's room (or none yet) */
        jolt_step *st = xmalloc((size_t)cap * sizeof *st);
        if (w->n)
            memcpy(st, w->st, (size_t)w->n * sizeof *st);
        w->st = st;
        w->own = 1;
    }
    w->cap = cap;
}

void jolt_walk_release(jolt_walk *w)
{
    if (w->own)
        free(w->st);
    w->st = NULL;
    w->n = w->cap = 0;
    w->own = 0;
}

/* Records the first reference failure of a walk (see jolt_walk.fail). The
 * walk is the applying thread's own; the const in the evaluators' signatures
 * only says they do not move it. Returns -1 for the callers' convenience. */
static int walk_fail(const jolt_walk *w, const char *msg)
{
    jolt_walk *mw = (jolt_walk *)w;
    if (!mw->fail)
        mw->fail = msg;
    return -1;
}

#define FAIL_ROOT "reference above the root of the input"
#define FAIL_GROUP "reference to a capture group the key does not have"



/* Points *s / *len at capture group g of m (borrowed); -1 when out of range. */
static int match_group_span(const jolt_match *m, int g, const char **s, size_t *len)
{
    if (g == 0) {
        *s = m->key;
        *len = m->klen != (size_t)-1 ? m->klen : strlen(m->key);
        return 0;
    }
    if (g > m->ng)
        return -1;
    *s = m->g[g - 1];
    *len = m->gl[g - 1];
    return 0;
}

int jolt_match_group(const jolt_match *m, int g, strbuf *out)
{
    const char *s;
    size_t len;
    if (match_group_span(m, g, &s, &len))
        return -1;
    strbuf_add(out, s, len);
    return 0;
}

int jolt_int_value(const json_t *v)
{
    if (json_is_integer(v))
        return (int)(unsigned int)json_integer_value(v);
    double d = json_real_value(v);
    if (isnan(d))
        return 0;
    if (d >= 2147483647.0)
        return INT_MAX;
    if (d <= -2147483648.0)
        return INT_MIN;
    return (int)d;
}

/* ---- parsing helpers ---- */

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* "\@pants" -> "pants": drops escaped characters */
static char *remove_escaped_values(const char *k)
{
    strbuf sb = STRBUF_INIT;
    int prev = 0;
    for (; *k; k++) {
        if (*k == '\\') {
            prev = !prev;
        } else {
            if (!prev)
                strbuf_addch(&sb, *k);
            prev = 0;
        }
    }
    return strbuf_detach(&sb, NULL);
}

/* "\@pants" -> "@pants": drops the escape characters */
static char *remove_escape_chars(const char *k)
{
    strbuf sb = STRBUF_INIT;
    int prev = 0;
    for (; *k; k++) {
        if (*k == '\\') {
            if (prev) {
                strbuf_addch(&sb, '\\');
                prev = 0;
            } else {
                prev = 1;
            }
        } else {
            strbuf_addch(&sb, *k);
            prev = 0;
        }
    }
    return strbuf_detach(&sb, NULL);
}

/* Java Integer.parseInt on a whole string */
static int parse_int_str(const char *s, long *out)
{
    return jolt_parse_int(s, strlen(s), out);
}

/* "&", "&2", "&(1,2)", "&(3)" (token is the first character) */
static int parse_ref(const char *s, char token, jolt_ref *r, strbuf *msg)
{
    r->path = r->group = 0;
    if (!*s || *s != token) {
        strbuf_addf(msg, "invalid reference '%s'", s);
        return -1;
    }
    const char *meat = s + 1;
    size_t ml = strlen(meat);
    long a = 0, b = 0;
    if (ml == 0)
        return 0;
    if (ml >= 3 && meat[0] == '(' && meat[ml - 1] == ')') {
        char *in = xstrndup(meat + 1, ml - 2);
        char *comma = strchr(in, ',');
        int rc = 0;
        if (comma) {
            *comma = '\0';
            if (strchr(comma + 1, ','))
                rc = -1;
            else if (parse_int_str(in, &a) || parse_int_str(comma + 1, &b))
                rc = -1;
        } else if (parse_int_str(in, &a)) {
            rc = -1;
        }
        free(in);
        if (rc) {
            strbuf_addf(msg, "unable to parse '%c' reference '%s'", token, s);
            return -1;
        }
    } else if (parse_int_str(meat, &a)) {
        strbuf_addf(msg, "unable to parse '%c' reference '%s'", token, s);
        return -1;
    }
    if (a < 0 || b < 0) {
        strbuf_addf(msg, "reference '%s' can not have a negative value", s);
        return -1;
    }
    r->path = (int)a;
    r->group = (int)b;
    return 0;
}

static void ref_canon(strbuf *sb, char token, const jolt_ref *r)
{
    strbuf_addf(sb, "%c(%d,%d)", token, r->path, r->group);
}

static jolt_pe *pe_new(int kind, const char *raw)
{
    jolt_pe *pe = xcalloc(1, sizeof *pe);
    pe->kind = kind;
    pe->raw = xstrdup(raw);
    return pe;
}

void jolt_pe_free(jolt_pe *pe)
{
    if (!pe)
        return;
    free(pe->raw);
    free(pe->canon);
    for (int i = 0; i < pe->nparts; i++)
        free(pe->parts[i]);
    free(pe->parts);
    for (int i = 0; i < pe->ntok; i++)
        free(pe->toks[i].lit);
    free(pe->toks);
    free(pe->lit);
    jolt_path_free(pe->sub);
    jolt_pe_free(pe->tpe);
    free(pe);
}

void jolt_path_free(jolt_path *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        jolt_pe_free(p->el[i]);
    free(p->el);
    free(p);
}

static jolt_pe *parse_transpose(const char *key, strbuf *msg);

static jolt_pe *parse_amp(const char *key, strbuf *msg)
{
    jolt_pe *pe = pe_new(PE_AMP, key);
    strbuf lit = STRBUF_INIT, canon = STRBUF_INIT;
    size_t n = strlen(key);
    pe->toks = xcalloc(n + 1, sizeof *pe->toks);
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (c == '&') {
            if (lit.len) {
                strbuf_add(&canon, lit.buf, lit.len);
                pe->toks[pe->ntok++].lit = strbuf_detach(&lit, NULL);
            }
            size_t end = 0;
            const char *rest = key + i + 1;
            while (rest[end] && (isdigit((unsigned char)rest[end]) || rest[end] == '(' ||
                                 rest[end] == ')' || rest[end] == ','))
                end++;
            char *rs = xstrndup(key + i, end + 1);
            jolt_amptok *t = &pe->toks[pe->ntok];
            int rc = parse_ref(rs, '&', &t->ref, msg);
            free(rs);
            if (rc) {
                strbuf_release(&lit);
                strbuf_release(&canon);
                jolt_pe_free(pe);
                return NULL;
            }
            ref_canon(&canon, '&', &t->ref);
            pe->ntok++;
            i += end;
        } else {
            strbuf_addch(&lit, c);
        }
    }
    if (lit.len) {
        strbuf_add(&canon, lit.buf, lit.len);
        pe->toks[pe->ntok++].lit = strbuf_detach(&lit, NULL);
    }
    strbuf_release(&lit);
    pe->canon = strbuf_detach(&canon, NULL);
    return pe;
}

static int nonneg_int(const char *s, long *out)
{
    long v;
    if (parse_int_str(s, &v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

static jolt_pe *parse_array(const char *key, strbuf *msg)
{
    size_t n = strlen(key);
    if (n < 2 || key[0] != '[' || key[n - 1] != ']') {
        strbuf_addf(msg, "invalid array key '%s'", key);
        return NULL;
    }
    jolt_pe *pe = pe_new(PE_ARRAY, key);
    strbuf canon = STRBUF_INIT;
    if (n == 2) {
        pe->arr = ARR_AUTO;
        strbuf_addstr(&canon, "[]");
    } else {
        char *meat = xstrndup(key + 1, n - 2);
        int rc = 0;
        strbuf_addch(&canon, '[');
        if (meat[0] == '&') {
            pe->arr = ARR_REF;
            rc = parse_ref(meat, '&', &pe->ref, msg);
            ref_canon(&canon, '&', &pe->ref);
        } else if (meat[0] == '#') {
            pe->arr = ARR_HASH;
            rc = parse_ref(meat, '#', &pe->ref, msg);
            strbuf_addf(&canon, "#(%d,%d)", pe->ref.path, pe->ref.group);
        } else if (meat[0] == '@') {
            pe->arr = ARR_TRANSPOSE;
            pe->tpe = parse_transpose(meat, msg);
            if (!pe->tpe)
                rc = -1;
            else
                strbuf_addstr(&canon, pe->tpe->canon);
        } else if (nonneg_int(meat, &pe->index) == 0) {
            pe->arr = ARR_EXPLICIT;
            strbuf_addstr(&canon, meat);
        } else {
            strbuf_addf(msg, "bad explicit array index '%s' in key '%s'", meat, key);
            rc = -1;
        }
        strbuf_addch(&canon, ']');
        free(meat);
        if (rc) {
            strbuf_release(&canon);
            jolt_pe_free(pe);
            return NULL;
        }
    }
    pe->canon = strbuf_detach(&canon, NULL);
    return pe;
}

static jolt_pe *parse_transpose(const char *key, strbuf *msg)
{
    size_t n = strlen(key);
    if (n < 2) {
        strbuf_addf(msg, "'@' transpose key '%s' is too short", key);
        return NULL;
    }
    if (key[0] != '@') {
        strbuf_addf(msg, "transpose key '%s' must start with '@'", key);
        return NULL;
    }
    const char *meat0 = key + 1;
    if (strchr(meat0, '@')) {
        strbuf_addf(msg, "'@' path element '%s' can not contain a nested '@'", key);
        return NULL;
    }
    if (strchr(meat0, '*') || strstr(meat0, "[]")) {
        strbuf_addf(msg, "'@' path element '%s' can not contain '*' or '[]'", key);
        return NULL;
    }
    char *meat;
    if (meat0[0] == '(') {
        size_t ml = strlen(meat0);
        if (meat0[ml - 1] != ')') {
            strbuf_addf(msg, "unbalanced parenthesis in '%s'", key);
            return NULL;
        }
        meat = xstrndup(meat0 + 1, ml >= 2 ? ml - 2 : 0);
    } else {
        meat = xstrdup(meat0);
    }
    jolt_pe *pe = pe_new(PE_TRANSPOSE, key);
    const char *sub = NULL;
    if (meat[0] && isdigit((unsigned char)meat[0])) {
        size_t i = 0;
        long up = 0;
        while (meat[i] && isdigit((unsigned char)meat[i])) {
            up = up * 10 + (meat[i] - '0');
            if (up > INT_MAX)
                break;
            i++;
        }
        if (up > INT_MAX || (meat[i] && meat[i] != ',')) {
            strbuf_addf(msg, "'@' path element with non/mixed numeric key '%s'", key);
            free(meat);
            jolt_pe_free(pe);
            return NULL;
        }
        pe->up = (int)up;
        if (meat[i] == ',')
            sub = meat + i + 1;
    } else {
        pe->up = 0;
        sub = meat;
    }
    strbuf canon = STRBUF_INIT;
    strbuf_addf(&canon, "@(%d,", pe->up);
    if (sub && *sub) {
        pe->sub = jolt_path_parse_rhs(sub, msg);
        if (!pe->sub) {
            free(meat);
            strbuf_release(&canon);
            jolt_pe_free(pe);
            return NULL;
        }
        for (int i = 0; i < pe->sub->n; i++) {
            if (i)
                strbuf_addch(&canon, '.');
            strbuf_addstr(&canon, pe->sub->el[i]->canon);
        }
    }
    strbuf_addch(&canon, ')');
    pe->canon = strbuf_detach(&canon, NULL);
    free(meat);
    return pe;
}

static jolt_pe *parse_stars(const char *key, int stars)
{
    jolt_pe *pe = pe_new(stars == 1 ? PE_STAR_SINGLE : stars == 2 ? PE_STAR_DOUBLE : PE_STAR_REGEX, key);
    pe->canon = xstrdup(key);
    pe->parts = xcalloc((size_t)stars + 1, sizeof *pe->parts);
    const char *s = key;
    for (int i = 0; i <= stars; i++) {
        const char *e = strchr(s, '*');
        if (!e)
            e = s + strlen(s);
        pe->parts[pe->nparts++] = xstrndup(s, (size_t)(e - s));
        s = *e ? e + 1 : e;
    }
    return pe;
}

jolt_pe *jolt_pe_parse(const char *orig, strbuf *msg)
{
    char *inspect, *elem;
    if (strchr(orig, '\\')) {
        inspect = remove_escaped_values(orig);
        elem = remove_escape_chars(orig);
    } else {
        inspect = xstrdup(orig);
        elem = xstrdup(orig);
    }
    jolt_pe *pe = NULL;
    if (!strcmp(inspect, "@")) {
        pe = pe_new(PE_AT, elem);
        pe->canon = xstrdup("@");
    } else if (!strcmp(inspect, "*")) {
        pe = pe_new(PE_STAR_ALL, elem);
        pe->canon = xstrdup("*");
    } else if (inspect[0] == '[') {
        if (count_char(inspect, '[') != 1 || count_char(inspect, ']') != 1)
            strbuf_addf(msg, "invalid key '%s' has too many [] references", orig);
        else
            pe = parse_array(elem, msg);
    } else if (inspect[0] == '@' || strstr(inspect, "@(")) {
        pe = parse_transpose(orig, msg);
    } else if (strchr(inspect, '@')) {
        strbuf_addf(msg, "invalid key '%s' can not have an @ other than at the front", orig);
    } else if (strchr(inspect, '$')) {
        pe = pe_new(PE_DOLLAR, elem);
        if (parse_ref(elem, '$', &pe->ref, msg)) {
            jolt_pe_free(pe);
            pe = NULL;
        } else {
            strbuf c = STRBUF_INIT;
            ref_canon(&c, '$', &pe->ref);
            pe->canon = strbuf_detach(&c, NULL);
        }
    } else if (strchr(inspect, '[')) {
        if (count_char(inspect, '[') != 1 || count_char(inspect, ']') != 1)
            strbuf_addf(msg, "invalid key '%s' has too many [] references", orig);
        else
            pe = parse_array(elem, msg);
    } else if (strchr(inspect, '&')) {
        if (strchr(inspect, '*'))
            strbuf_addf(msg, "invalid key '%s': can't mix * with &", orig);
        else
            pe = parse_amp(elem, msg);
    } else if (strchr(inspect, '*')) {
        pe = parse_stars(elem, count_char(inspect, '*'));
    } else if (strchr(inspect, '#')) {
        size_t n = strlen(elem);
        if (elem[0] != '#') {
            strbuf_addf(msg, "'#' key '%s' should start with a #", orig);
        } else if (n <= 1) {
            strbuf_addf(msg, "'#' key '%s' is too short", orig);
        } else if (elem[1] == '(') {
            if (elem[n - 1] != ')') {
                strbuf_addf(msg, "'#' key '%s' has mismatched parens", orig);
            } else {
                pe = pe_new(PE_HASH, elem);
                pe->lit = xstrndup(elem + 2, n - 3);
            }
        } else {
            pe = pe_new(PE_HASH, elem);
            pe->lit = xstrdup(elem + 1);
        }
        if (pe) {
            strbuf c = STRBUF_INIT;
            strbuf_addf(&c, "#(%s)", pe->lit);
            pe->canon = strbuf_detach(&c, NULL);
        }
    } else {
        pe = pe_new(PE_LITERAL, elem);
        pe->canon = xstrdup(elem);
    }
    free(inspect);
    free(elem);
    return pe;
}

/* Java SpecStringParser.parseAtPathElement, after the '@' was seen. */
static int parse_at_element(const char *s, size_t *pos, strbuf *sb, const char *ref, strbuf *msg)
{
    size_t n = strlen(s);
    if (*pos >= n)
        return 0;
    char c = s[(*pos)++];
    int parens = 0, count = 0;
    size_t start = sb->len;
    if (c == '(') {
        parens = 1;
        count = 1;
    } else if (c == '.') {
        strbuf_addf(msg, "unable to parse dot notation, invalid '@' element: %s", ref);
        return -1;
    }
    strbuf_addch(sb, c);
    while (*pos < n) {
        c = s[(*pos)++];
        strbuf_addch(sb, c);
        if (parens) {
            if (c == '(') {
                strbuf_addf(msg, "unable to parse dot notation, too many open parens '(': %s", ref);
                return -1;
            } else if (c == ')') {
                count--;
            }
            if (count == 0)
                return 0;
        } else if (c == '.') {
            /* "@abc.def" -> "@(abc)" and leave "def" */
            strbuf_setlen(sb, sb->len - 1);
            char *word = xstrndup(sb->buf + start, sb->len - start);
            strbuf_setlen(sb, start);
            strbuf_addf(sb, "(%s)", word);
            free(word);
            return 0;
        }
    }
    if (parens && count != 0) {
        strbuf_addf(msg, "unbalanced parenthesis in '@()' element: %s", ref);
        return -1;
    }
    return 0;
}

static void add_piece(char ***v, int *n, int *cap, strbuf *sb)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = xrealloc(*v, (size_t)*cap * sizeof **v);
    }
    (*v)[(*n)++] = strbuf_detach(sb, NULL);
}

/* Java SpecStringParser.parseDotNotation (iterative form). */
static int split_dot_notation(const char *s, const char *ref, char ***out, int *nout, strbuf *msg)
{
    char **v = NULL;
    int n = 0, cap = 0;
    size_t len = strlen(s), pos = 0;
    strbuf sb = STRBUF_INIT;
    int prev_esc = 0;
    while (pos < len) {
        char c = s[pos++];
        int cur_esc = (c == '\\' && !prev_esc);
        if (prev_esc && c != '.' && c != '\\') {
            strbuf_addch(&sb, '\\');
            strbuf_addch(&sb, c);
        } else if (c == '@') {
            strbuf_addch(&sb, '@');
            if (parse_at_element(s, &pos, &sb, ref, msg)) {
                strbuf_release(&sb);
                for (int i = 0; i < n; i++)
                    free(v[i]);
                free(v);
                return -1;
            }
            int part_of_array = strchr(sb.buf, '[') && !strchr(sb.buf, ']');
            if (!part_of_array)
                add_piece(&v, &n, &cap, &sb);
        } else if (c == '.') {
            if (prev_esc) {
                strbuf_addch(&sb, '.');
            } else {
                if (sb.len)
                    add_piece(&v, &n, &cap, &sb);
                prev_esc = 0;
                continue;
            }
        } else if (!cur_esc) {
            strbuf_addch(&sb, c);
        }
        prev_esc = cur_esc;
    }
    if (sb.len)
        add_piece(&v, &n, &cap, &sb);
    strbuf_release(&sb);
    *out = v;
    *nout = n;
    return 0;
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

jolt_path *jolt_path_parse_rhs(const char *dot, strbuf *msg)
{
    if ((strchr(dot, '*') && !strstr(dot, "\\*")) || (strchr(dot, '$') && !strstr(dot, "\\$"))) {
        strbuf_addf(msg, "output path can not contain '*' or '$': %s", dot);
        return NULL;
    }
    jolt_path *p = xcalloc(1, sizeof *p);
    if (is_blank(dot))
        return p;
    /* fixLeadingBracketSugar: "a[1]" -> "a.[1]" */
    strbuf fixed = STRBUF_INIT;
    size_t n = strlen(dot);
    if (n) {
        strbuf_addch(&fixed, dot[0]);
        for (size_t i = 1; i < n; i++) {
            char prev = dot[i - 1], cur = dot[i];
            if (cur == '[' && prev != '\\' && prev != '@' && prev != '.')
                strbuf_addch(&fixed, '.');
            strbuf_addch(&fixed, cur);
        }
    }
    char **pieces = NULL;
    int np = 0;
    if (split_dot_notation(fixed.buf, dot, &pieces, &np, msg)) {
        strbuf_release(&fixed);
        free(p);
        return NULL;
    }
    strbuf_release(&fixed);
    p->el = xcalloc((size_t)np, sizeof *p->el);
    int rc = 0;
    for (int i = 0; i < np; i++) {
        if (rc)
            continue;
        jolt_pe *pe = jolt_pe_parse(pieces[i], msg);
        if (!pe) {
            rc = -1;
            continue;
        }
        if (pe->kind == PE_AT) {
            strbuf_addf(msg, "'.@.' is not valid on the right hand side: %s", dot);
            jolt_pe_free(pe);
            rc = -1;
            continue;
        }
        if (pe->kind != PE_LITERAL && pe->kind != PE_AMP && pe->kind != PE_ARRAY &&
            pe->kind != PE_TRANSPOSE) {
            strbuf_addf(msg, "'%s' is not a valid output key in '%s'", pieces[i], dot);
            jolt_pe_free(pe);
            rc = -1;
            continue;
        }
        p->el[p->n++] = pe;
    }
    for (int i = 0; i < np; i++)
        free(pieces[i]);
    free(pieces);
    if (rc) {
        jolt_path_free(p);
        return NULL;
    }
    return p;
}

/* ---- matching ---- */

/* reluctant "(.+?)" matching with anchors */
static int regex_match(const char *key, char *const *parts, int nparts, int pi, jolt_match *m)
{
    size_t pl = strlen(parts[pi]);
    if (strncmp(key, parts[pi], pl))
        return 0;
    key += pl;
    if (pi == nparts - 1)
        return *key == '\0';
    size_t kl = strlen(key);
    for (size_t take = 1; take <= kl; take++) {
        int gi = m->ng;
        if (gi >= JOLT_MAXG)
            return 0;
        m->g[gi] = key;
        m->gl[gi] = take;
        m->ng++;
        if (regex_match(key + take, parts, nparts, pi + 1, m))
            return 1;
        m->ng = gi;
    }
    return 0;
}

int jolt_pe_star_match(const jolt_pe *pe, const char *key, jolt_match *m)
{
    size_t kl = strlen(key);
    switch (pe->kind) {
    case PE_LITERAL:
        return strcmp(pe->raw, key) == 0;
    case PE_STAR_ALL:
        /* Java keeps the whole key as the one capture too */
        m->ng = 1;
        m->g[0] = key;
        m->gl[0] = kl;
        return 1;
    case PE_STAR_SINGLE: {
        const char *pre = pe->parts[0], *suf = pe->parts[1];
        size_t pl = strlen(pre), sl = strlen(suf);
        if (kl <= pl + sl || strncmp(key, pre, pl) || strcmp(key + kl - sl, suf))
            return 0;
        m->ng = 1;
        m->g[0] = key + pl;
        m->gl[0] = kl - pl - sl;
        return 1;
    }
    case PE_STAR_DOUBLE: {
        const char *pre = pe->parts[0], *mid = pe->parts[1], *suf = pe->parts[2];
        size_t pl = strlen(pre), ml = strlen(mid), sl = strlen(suf);
        if (kl < pl + sl || strncmp(key, pre, pl) || strcmp(key + kl - sl, suf))
            return 0;
        /* Java finMidIndex: look for mid in key[pl+1, kl-sl-1) */
        long start = (long)pl + 1, end = (long)kl - (long)sl - 1;
        if (start >= end)
            return 0;
        long found = -1;
        for (long i = start; i + (long)ml <= end; i++)
            if (!strncmp(key + i, mid, ml)) {
                found = i;
                break;
            }
        if (found < 0)
            return 0;
        m->ng = 2;
        m->g[0] = key + pl;
        m->gl[0] = (size_t)found - pl;
        m->g[1] = key + found + ml;
        m->gl[1] = kl - sl - (size_t)found - ml;
        return 1;
    }
    case PE_STAR_REGEX:
        m->ng = 0;
        return regex_match(key, pe->parts, pe->nparts, 0, m);
    default:
        return 0;
    }
}

static int eval_amp(const jolt_pe *pe, const jolt_walk *w, strbuf *out)
{
    for (int i = 0; i < pe->ntok; i++) {
        const jolt_amptok *t = &pe->toks[i];
        if (t->lit) {
            strbuf_addstr(out, t->lit);
        } else {
            jolt_step *st = jolt_walk_from_end(w, t->ref.path);
            if (!st)
                return walk_fail(w, FAIL_ROOT);
            if (jolt_match_group(st->m, t->ref.group, out))
                return walk_fail(w, FAIL_GROUP);
        }
    }
    return 0;
}

int jolt_transpose_data(const jolt_pe *pe, const jolt_walk *w, const json_t **out)
{
    jolt_step *st = jolt_walk_from_end(w, pe->up);
    if (!st) {
        walk_fail(w, FAIL_ROOT);
        return 0;
    }
    if (!pe->sub) {
        *out = st->tree;
        return 1;
    }
    return jolt_path_read(pe->sub, st->tree, w, out);
}

/* appends a non-negative int string, or -1 */
static int add_nonneg(strbuf *out, const char *s, size_t len)
{
    long v;
    if (jolt_parse_int(s, len, &v) || v < 0)
        return -1;
    strbuf_add(out, s, len);
    return 0;
}

int jolt_pe_eval(const jolt_pe *pe, const jolt_walk *w, strbuf *out)
{
    switch (pe->kind) {
    case PE_LITERAL:
        strbuf_addstr(out, pe->raw);
        return 0;
    case PE_AMP:
        return eval_amp(pe, w, out);
    case PE_DOLLAR: {
        jolt_step *st = jolt_walk_from_end(w, pe->ref.path);
        if (!st)
            return walk_fail(w, FAIL_ROOT);
        if (jolt_match_group(st->m, pe->ref.group, out))
            return walk_fail(w, FAIL_GROUP);
        return 0;
    }
    case PE_TRANSPOSE: {
        const json_t *d;
        if (!jolt_transpose_data(pe, w, &d) || !d)
            return -1;
        if (json_is_number(d)) {
            strbuf_addf(out, "%d", jolt_int_value(d));
            return 0;
        }
        if (json_is_boolean(d)) {
            strbuf_addstr(out, json_is_true(d) ? "true" : "false");
            return 0;
        }
        if (!json_is_string(d))
            return -1;
        strbuf_add(out, json_string_value(d), json_string_length(d));
        return 0;
    }
    case PE_ARRAY:
        switch (pe->arr) {
        case ARR_AUTO:
            strbuf_addstr(out, "[]");
            return 0;
        case ARR_EXPLICIT:
            strbuf_addf(out, "%ld", pe->index);
            return 0;
        case ARR_HASH: {
            jolt_step *st = jolt_walk_from_end(w, pe->ref.path);
            if (!st)
                return walk_fail(w, FAIL_ROOT);
            strbuf_addf(out, "%d", st->m->hash);
            return 0;
        }
        case ARR_TRANSPOSE: {
            strbuf tmp = STRBUF_INIT;
            int rc = jolt_pe_eval(pe->tpe, w, &tmp);
            if (rc == 0)
                rc = add_nonneg(out, tmp.buf, tmp.len);
            strbuf_release(&tmp);
            return rc;
        }
        case ARR_REF: {
            /* [&n]: the captured text itself, checked in place (no copy) */
            jolt_step *st = jolt_walk_from_end(w, pe->ref.path);
            const char *gs;
            size_t gl;
            if (!st)
                return walk_fail(w, FAIL_ROOT);
            if (match_group_span(st->m, pe->ref.group, &gs, &gl))
                return walk_fail(w, FAIL_GROUP);
            return add_nonneg(out, gs, gl);
        }
        }
        return -1;
    default:
        return -1;
    }
}

int jolt_pe_eval_span(const jolt_pe *pe, const jolt_walk *w, const char **s, size_t *len)
{
    const jolt_ref *ref;
    if (pe->kind == PE_AMP && pe->ntok == 1 && !pe->toks[0].lit)
        ref = &pe->toks[0].ref;
    else if (pe->kind == PE_DOLLAR)
        ref = &pe->ref;
    else
        return 0;
    jolt_step *st = jolt_walk_from_end(w, ref->path);
    if (!st)
        return walk_fail(w, FAIL_ROOT);
    if (match_group_span(st->m, ref->group, s, len))
        return walk_fail(w, FAIL_GROUP);
    return ref->group == 0 && st->m->kstable ? 2 : 1;
}

int jolt_pe_eval_index(const jolt_pe *pe, const jolt_walk *w, strbuf *scratch, long *idx)
{
    const char *gs;
    size_t gl;
    switch (pe->arr) {
    case ARR_EXPLICIT:
        *idx = pe->index;
        return pe->index < 0 || pe->index > INT_MAX ? -1 : 0;
    case ARR_HASH: {
        jolt_step *st = jolt_walk_from_end(w, pe->ref.path);
        if (!st)
            return walk_fail(w, FAIL_ROOT);
        *idx = st->m->hash;
        return *idx < 0 ? -1 : 0;
    }
    case ARR_REF: {
        jolt_step *st = jolt_walk_from_end(w, pe->ref.path);
        if (!st)
            return walk_fail(w, FAIL_ROOT);
        if (pe->ref.group == 0) {
            /* the common "[&n]" of an array's element: its key is a short
             * decimal index, read once per match (every write below that
             * element asks again) */
            if (st->kidx == -2) {
                const char *k = st->m->key;
                long v = 0;
                int i = 0;
                while (i < 9 && k[i] >= '0' && k[i] <= '9')
                    v = v * 10 + (k[i++] - '0');
                st->kidx = i && !k[i] ? v : -1;
            }
            if (st->kidx >= 0) {
                *idx = st->kidx;
                return 0;
            }
        }
        if (match_group_span(st->m, pe->ref.group, &gs, &gl))
            return walk_fail(w, FAIL_GROUP);
        break;
    }
    case ARR_TRANSPOSE:
        strbuf_reset(scratch);
        if (jolt_pe_eval(pe->tpe, w, scratch))
            return -1;
        gs = scratch->buf;
        gl = scratch->len;
        break;
    default:
        return -1;
    }
    return jolt_parse_int(gs, gl, idx) || *idx < 0 ? -1 : 0;
}

int jolt_pe_match(const jolt_pe *pe, const char *key, const jolt_walk *w, jolt_match *m)
{
    switch (pe->kind) {
    case PE_LITERAL:
    case PE_STAR_ALL:
    case PE_STAR_SINGLE:
    case PE_STAR_DOUBLE:
    case PE_STAR_REGEX:
        if (!jolt_pe_star_match(pe, key, m))
            return 0;
        m->key = key;
        return 1;
    case PE_AMP:
    case PE_ARRAY: {
        strbuf_reset(&m->own);
        if (jolt_pe_eval(pe, w, &m->own) || strcmp(m->own.buf, key))
            return 0;
        m->key = m->own.buf;
        m->ng = 0;
        return 1;
    }
    case PE_DOLLAR:
        strbuf_reset(&m->own);
        if (jolt_pe_eval(pe, w, &m->own))
            return 0;
        m->key = m->own.buf;
        m->ng = 0;
        return 1;
    case PE_HASH:
        m->key = pe->lit;
        m->ng = 0;
        return 1;
    case PE_AT:
    case PE_TRANSPOSE:
        return 2;
    }
    return 0;
}

int jolt_path_read(const jolt_path *p, const json_t *tree, const jolt_walk *w, const json_t **out)
{
    const json_t *cur = tree;
    strbuf key = STRBUF_INIT;
    int found = 1;
    for (int i = 0; i < p->n && found; i++) {
        const jolt_pe *pe = p->el[i];
        strbuf_reset(&key);
        if (jolt_pe_eval(pe, w, &key)) {
            found = 0;
            break;
        }
        if (!cur) {
            found = 0;
            break;
        }
        if (pe->kind == PE_ARRAY) {
            long idx;
            if (!json_is_array(cur) || jolt_parse_int(key.buf, key.len, &idx) || idx < 0 ||
                (size_t)idx >= json_array_size(cur)) {
                found = 0;
                break;
            }
            cur = json_array_get(cur, (size_t)idx);
        } else {
            if (!json_is_object(cur)) {
                found = 0;
                break;
            }
            json_t *sub = json_object_get(cur, key.buf);
            if (!sub) {
                found = 0;
                break;
            }
            cur = sub;
        }
    }
    strbuf_release(&key);
    if (found)
        *out = cur;
    return found;
}

static int pe_class(int kind, int first)
{
    if (kind == first)
        return 1;
    switch (kind) {
    case PE_STAR_REGEX:
        return 2;
    case PE_STAR_DOUBLE:
        return 3;
    case PE_STAR_SINGLE:
        return 4;
    case PE_STAR_ALL:
        return 5;
    default:
        return 6;
    }
}

int jolt_pe_cmp(const jolt_pe *x, const jolt_pe *y, int first)
{
    int ca = pe_class(x->kind, first), cb = pe_class(y->kind, first);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    size_t la = strlen(x->canon), lb = strlen(y->canon);
    if (la != lb)
        return la > lb ? -1 : 1;
    return strcmp(x->canon, y->canon);
}
