/*
 * jolt_functions.c: the stock modifier functions ("=toUpper", "=intSum",
 * ...) of Java Jolt's Strings, Math, Lists and Objects classes, plus the
 * table of user-registered extra functions.
 *
 * Java's argument conventions are kept: a function receives either no
 * argument, one (a list argument is spread by list functions), or several;
 * "single" functions map over a list keeping elements they cannot convert;
 * "arg-driven" functions take a leading special argument (a separator, an
 * index) and only run when it has the right type. Java's Integer (32-bit)
 * and Long are told apart by range, Double by the JSON real type. NULL as a
 * result means Optional.empty(): nothing is written.
 */
#include "jolt_int.h"
#include "xalloc.h"
#include "jolt_fn.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* ---- Java number model ---- */

static int is_int32(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= INT_MIN && json_integer_value(v) <= INT_MAX;
}

static int is_long(const json_t *v)
{
    return json_is_integer(v) && !is_int32(v);
}

/* Objects.toNumber: numbers as is, strings parsed as int, long, double */
static json_t *to_number(const json_t *v)
{
    if (json_is_number(v))
        return json_incref((json_t *)v);
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    long iv;
    if (jolt_parse_int(s, n, &iv) == 0)
        return json_integer(iv);
    /* Long.parseLong */
    if (n > 0) {
        size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        int ok = i < n;
        for (size_t j = i; j < n && ok; j++)
            ok = isdigit((unsigned char)s[j]);
        if (ok) {
            errno = 0;
            long long ll = strtoll(s, NULL, 10);
            if (errno == 0)
                return json_integer(ll);
        }
    }
    /* Double.parseDouble (trims whitespace, accepts a trailing d/f) */
    char *end;
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    if (!n)
        return NULL;
    if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
        return NULL;
    double d = strtod(s, &end);
    if (end == s)
        return NULL;
    while (*end == 'd' || *end == 'D' || *end == 'f' || *end == 'F')
        end++;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return NULL;
    return json_real(d);
}

static double dbl(const json_t *v)
{
    return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

static long long lng(const json_t *v)
{
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    double d = json_real_value(v);
    if (isnan(d))
        return 0;
    if (d >= 9.2233720368547758e18)
        return LLONG_MAX;
    if (d <= -9.2233720368547758e18)
        return LLONG_MIN;
    return (long long)d;
}

/* ---- dispatch shapes ---- */

typedef json_t *(*single_fn)(const json_t *a);
typedef json_t *(*list_fn)(const json_t *list);

static json_t *args_list(json_t **a, int n)
{
    json_t *l = json_array();
    for (int i = 0; i < n; i++)
        json_array_append(l, a[i] ? a[i] : json_null());
    return l;
}

static json_t *base_apply(json_t **a, int n, single_fn single, list_fn list)
{
    if (n == 0)
        return NULL;
    if (n == 1) {
        if (json_is_array(a[0]))
            return json_array_size(a[0]) ? list(a[0]) : NULL;
        if (!a[0] || json_is_null(a[0]))
            return NULL;
        return single(a[0]);
    }
    json_t *l = args_list(a, n);
    json_t *r = list(l);
    json_decref(l);
    return r;
}



static json_t *map_single(const json_t *list, single_fn f)
{
    json_t *out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        json_t *r = f(x);
        json_array_append_new(out, r ? r : json_incref(x));
    }
    return out;
}

#define SINGLE_FUNCTION(name, fn)                                                                                \
    static json_t *name##_list(const json_t *l)                                                              \
    {                                                                                                        \
        return map_single(l, fn);                                                                            \
    }                                                                                                        \
    static json_t *name(json_t **a, int n)                                                                   \
    {                                                                                                        \
        return base_apply(a, n, fn, name##_list);                                                            \
    }

static json_t *no_single(const json_t *a)
{
    (void)a;
    return NULL;
}

#define LIST_FUNCTION(name, fn)                                                                                  \
    static json_t *name(json_t **a, int n)                                                                   \
    {                                                                                                        \
        return base_apply(a, n, no_single, fn);                                                              \
    }

/* ArgDrivenFunction: special arg type check 's' string, 'i' Integer */
typedef json_t *(*ad_single)(const json_t *special, const json_t *arg);
typedef json_t *(*ad_list)(const json_t *special, json_t **args, int n);

static json_t *arg_driven(json_t **a, int n, char type, ad_single single, ad_list list)
{
    json_t **spread = NULL;
    if (n == 1 && json_is_array(a[0])) {
        size_t m = json_array_size(a[0]);
        spread = calloc(m + 1, sizeof *spread);
        for (size_t i = 0; i < m; i++)
            spread[i] = json_array_get(a[0], i);
        a = spread;
        n = (int)m;
    }
    json_t *r = NULL;
    if (n >= 2 && ((type == 's' && json_is_string(a[0])) || (type == 'i' && is_int32(a[0])))) {
        if (n == 2) {
            if (json_is_array(a[1])) {
                size_t m = json_array_size(a[1]);
                json_t **el = calloc(m + 1, sizeof *el);
                for (size_t i = 0; i < m; i++)
                    el[i] = json_array_get(a[1], i);
                r = list(a[0], el, (int)m);
                free(el);
            } else {
                r = single ? single(a[0], a[1]) : NULL;
            }
        } else {
            r = list(a[0], a + 1, n - 1);
        }
    }
    free(spread);
    return r;
}

/* ---- Function's own: noop, isPresent, notNull, isNull ---- */

static json_t *f_noop(json_t **a, int n)
{
    (void)a;
    (void)n;
    return NULL;
}

static json_t *f_is_present(json_t **a, int n)
{
    return n ? jolt_copy(a[0]) : NULL;
}

static json_t *f_not_null(json_t **a, int n)
{
    return (n && a[0] && !json_is_null(a[0])) ? jolt_copy(a[0]) : NULL;
}

static json_t *f_is_null(json_t **a, int n)
{
    return (n && (!a[0] || json_is_null(a[0]))) ? json_null() : NULL;
}

/* ---- Strings ---- */

/* toLowerCase / toUpperCase (ASCII, as the C locale does). */
static json_t *change_case(const json_t *a, int (*conv)(int))
{
    if (!json_is_string(a))
        return NULL;
    char *s = strndup(json_string_value(a), json_string_length(a));
    for (char *c = s; *c; c++)
        *c = (char)conv((unsigned char)*c);
    json_t *r = json_string(s);
    free(s);
    return r;
}

static json_t *s_lower(const json_t *a)
{
    return change_case(a, tolower);
}

static json_t *s_upper(const json_t *a)
{
    return change_case(a, toupper);
}

static json_t *s_trim(const json_t *a)
{
    if (!json_is_string(a))
        return NULL;
    const char *s = json_string_value(a);
    size_t n = json_string_length(a);
    while (n && (unsigned char)*s <= ' ') {
        s++;
        n--;
    }
    while (n && (unsigned char)s[n - 1] <= ' ')
        n--;
    return json_stringn(s, n);
}

SINGLE_FUNCTION(f_to_lower, s_lower)
SINGLE_FUNCTION(f_to_upper, s_upper)
SINGLE_FUNCTION(f_trim, s_trim)

static json_t *l_concat(const json_t *l)
{
    strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) {
        if (!json_is_null(x))
            jolt_java_tostring(x, &sb);
    }
    json_t *r = json_stringn(sb.buf, sb.len);
    strbuf_release(&sb);
    return r;
}
LIST_FUNCTION(f_concat, l_concat)

static json_t *l_substring(const json_t *l)
{
    if (json_array_size(l) != 3)
        return NULL;
    json_t *s = json_array_get(l, 0), *a = json_array_get(l, 1), *b = json_array_get(l, 2);
    if (!json_is_string(s) || !is_int32(a) || !is_int32(b))
        return NULL;
    long start = (long)json_integer_value(a), end = (long)json_integer_value(b);
    long len = (long)json_string_length(s);
    if (start >= end || start < 0 || end < 1 || end > len)
        return NULL;
    return json_stringn(json_string_value(s) + start, (size_t)(end - start));
}
LIST_FUNCTION(f_substring, l_substring)

static json_t *ad_join(const json_t *sep, json_t **args, int n)
{
    strbuf sb = STRBUF_INIT, one = STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        if (!args[i] || json_is_null(args[i]))
            continue;
        strbuf_reset(&one);
        jolt_java_tostring(args[i], &one);
        if (!one.len)
            continue;
        strbuf_add(&sb, one.buf, one.len);
        if (i < n - 1)
            strbuf_add(&sb, json_string_value(sep), json_string_length(sep));
    }
    json_t *r = json_stringn(sb.buf, sb.len);
    strbuf_release(&sb);
    strbuf_release(&one);
    return r;
}

static json_t *f_join(json_t **a, int n)
{
    return arg_driven(a, n, 's', NULL, ad_join);
}

/* Java regex -> POSIX ERE for the common escapes */
static char *java_regex(const char *re)
{
    strbuf sb = STRBUF_INIT;
    for (const char *c = re; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            switch (*c) {
            case 's': strbuf_addstr(&sb, "[[:space:]]"); break;
            case 'S': strbuf_addstr(&sb, "[^[:space:]]"); break;
            case 'd': strbuf_addstr(&sb, "[0-9]"); break;
            case 'D': strbuf_addstr(&sb, "[^0-9]"); break;
            case 'w': strbuf_addstr(&sb, "[A-Za-z0-9_]"); break;
            case 'W': strbuf_addstr(&sb, "[^A-Za-z0-9_]"); break;
            case 't': strbuf_addch(&sb, '\t'); break;
            case 'n': strbuf_addch(&sb, '\n'); break;
            default:
                strbuf_addch(&sb, '\\');
                strbuf_addch(&sb, *c);
            }
        } else {
            strbuf_addch(&sb, *c);
        }
    }
    return strbuf_detach(&sb, NULL);
}

static json_t *ad_split_single(const json_t *sep, const json_t *src)
{
    if (!json_is_string(src))
        return NULL;
    char *re = java_regex(json_string_value(sep));
    regex_t rx;
    int rc = regcomp(&rx, re, REG_EXTENDED);
    free(re);
    if (rc)
        return NULL;
    const char *s = json_string_value(src);
    size_t len = strlen(s);
    json_t *out = json_array();
    if (len == 0) {
        /* "".split(x) is [""] */
        json_array_append_new(out, json_string(""));
        regfree(&rx);
        return out;
    }
    size_t pos = 0, piece = 0;
    regmatch_t m;
    while (pos <= len && regexec(&rx, s + pos, 1, &m, pos ? REG_NOTBOL : 0) == 0) {
        size_t ms = pos + (size_t)m.rm_so, me = pos + (size_t)m.rm_eo;
        if (me == ms) {
            /* zero-width match: split between characters, never at 0 */
            if (ms >= len)
                break;
            if (ms > 0) {
                json_array_append_new(out, json_stringn(s + piece, ms - piece));
                piece = ms;
            }
            pos = ms + 1;
            continue;
        }
        if (!(ms == 0 && me > 0 && piece == 0 && 0)) /* Java keeps a leading "" for a non-empty match */
            json_array_append_new(out, json_stringn(s + piece, ms - piece));
        piece = me;
        pos = me;
    }
    json_array_append_new(out, json_stringn(s + piece, len - piece));
    regfree(&rx);
    /* trailing empty strings are removed */
    while (json_array_size(out) > 1 && json_string_length(json_array_get(out, json_array_size(out) - 1)) == 0)
        json_array_remove(out, json_array_size(out) - 1);
    if (json_array_size(out) == 1 && json_string_length(json_array_get(out, 0)) == 0 && len > 0) {
        json_array_clear(out);
    }
    return out;
}

static json_t *ad_split_list(const json_t *sep, json_t **args, int n)
{
    json_t *out = json_array();
    for (int i = 0; i < n; i++) {
        json_t *r = ad_split_single(sep, args[i]);
        json_array_append_new(out, r ? r : jolt_copy(args[i]));
    }
    return out;
}

static json_t *f_split(json_t **a, int n)
{
    return arg_driven(a, n, 's', ad_split_single, ad_split_list);
}

static json_t *pad(int left, const json_t *src, json_t **args, int n)
{
    if (n < 2 || !is_int32(args[0]) || !json_is_string(args[1]))
        return NULL;
    long width = (long)json_integer_value(args[0]);
    if (width <= 0 || width > 500 || json_string_length(args[1]) != 1)
        return NULL;
    size_t sl = json_string_length(src);
    if ((size_t)width <= sl)
        return json_incref((json_t *)src);
    strbuf sb = STRBUF_INIT;
    char c = json_string_value(args[1])[0];
    if (!left)
        strbuf_add(&sb, json_string_value(src), sl);
    for (size_t i = sl; i < (size_t)width; i++)
        strbuf_addch(&sb, c);
    if (left)
        strbuf_add(&sb, json_string_value(src), sl);
    json_t *r = json_stringn(sb.buf, sb.len);
    strbuf_release(&sb);
    return r;
}

static json_t *ad_lpad(const json_t *s, json_t **a, int n) { return pad(1, s, a, n); }
static json_t *ad_rpad(const json_t *s, json_t **a, int n) { return pad(0, s, a, n); }
static json_t *f_left_pad(json_t **a, int n) { return arg_driven(a, n, 's', NULL, ad_lpad); }
static json_t *f_right_pad(json_t **a, int n) { return arg_driven(a, n, 's', NULL, ad_rpad); }

/* ---- Math ---- */

static json_t *minmax(const json_t *l, int want_max)
{
    int found = 0;
    int mi = want_max ? INT_MIN : INT_MAX;
    double md = want_max ? -1.7976931348623157e308 : 1.7976931348623157e308;
    long long ml = want_max ? LLONG_MIN : LLONG_MAX;
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) {
        json_t *num = NULL;
        if (json_is_number(x))
            num = json_incref(x);
        else if (json_is_string(x))
            num = to_number(x);
        if (!num)
            continue;
        found = 1;
        if (is_int32(num)) {
            int v = (int)json_integer_value(num);
            mi = want_max ? (v > mi ? v : mi) : (v < mi ? v : mi);
        } else if (json_is_real(num)) {
            double v = json_real_value(num);
            if (isnan(v) || isnan(md))
                md = NAN;
            else
                md = want_max ? (v > md ? v : md) : (v < md ? v : md);
        } else {
            long long v = json_integer_value(num);
            ml = want_max ? (v > ml ? v : ml) : (v < ml ? v : ml);
        }
        json_decref(num);
    }
    if (!found)
        return NULL;
    long long mdl = isnan(md) ? 0 : (md >= 9.2233720368547758e18 ? LLONG_MAX : md <= -9.2233720368547758e18 ? LLONG_MIN : (long long)md);
    if (want_max) {
        if ((long long)mi >= mdl && (long long)mi >= ml)
            return json_integer(mi);
        if (ml >= mdl)
            return json_integer(ml);
        return json_real(md);
    }
    if ((long long)mi <= mdl && (long long)mi <= ml)
        return json_integer(mi);
    if (ml <= mdl)
        return json_integer(ml);
    return json_real(md);
}

static json_t *l_max(const json_t *l) { return minmax(l, 1); }
static json_t *l_min(const json_t *l) { return minmax(l, 0); }
static json_t *s_num_self(const json_t *a) { return json_is_number(a) ? json_incref((json_t *)a) : NULL; }
static json_t *f_max(json_t **a, int n) { return base_apply(a, n, s_num_self, l_max); }
static json_t *f_min(json_t **a, int n) { return base_apply(a, n, s_num_self, l_min); }

static json_t *s_abs(const json_t *a)
{
    json_t *num = NULL;
    if (json_is_number(a))
        num = json_incref((json_t *)a);
    else if (json_is_string(a))
        num = to_number(a);
    if (!num)
        return NULL;
    json_t *r;
    if (json_is_real(num))
        r = json_real(fabs(json_real_value(num)));
    else if (is_int32(num)) {
        int v = (int)json_integer_value(num);
        r = json_integer(v == INT_MIN ? v : (v < 0 ? -v : v));
    } else {
        long long v = json_integer_value(num);
        r = json_integer(v == LLONG_MIN ? v : (v < 0 ? -v : v));
    }
    json_decref(num);
    return r;
}
SINGLE_FUNCTION(f_abs, s_abs)

static json_t *l_avg(const json_t *l)
{
    double sum = 0;
    int cnt = 0;
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) {
        json_t *num = to_number(x);
        if (num) {
            sum += dbl(num);
            cnt++;
            json_decref(num);
        }
    }
    return cnt ? json_real(sum / cnt) : NULL;
}
LIST_FUNCTION(f_avg, l_avg)

static json_t *l_int_sum(const json_t *l)
{
    unsigned int sum = 0;
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) {
        json_t *num = to_number(x);
        if (num) {
            sum += (unsigned int)(json_is_integer(num) ? (int)(unsigned int)json_integer_value(num) : jolt_int_value(num));
            json_decref(num);
        }
    }
    return json_integer((int)sum);
}
static json_t *l_long_sum(const json_t *l)
{
    unsigned long long sum = 0;
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) {
        json_t *num = to_number(x);
        if (num) {
            sum += (unsigned long long)lng(num);
            json_decref(num);
        }
    }
    return json_integer((long long)sum);
}
static json_t *l_double_sum(const json_t *l)
{
    double sum = 0;
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) {
        json_t *num = to_number(x);
        if (num) {
            sum += dbl(num);
            json_decref(num);
        }
    }
    return json_real(sum);
}
LIST_FUNCTION(f_int_sum, l_int_sum)
LIST_FUNCTION(f_long_sum, l_long_sum)
LIST_FUNCTION(f_double_sum, l_double_sum)

static json_t *l_int_sub(const json_t *l)
{
    if (json_array_size(l) != 2 || !is_int32(json_array_get(l, 0)) || !is_int32(json_array_get(l, 1)))
        return NULL;
    return json_integer((int)((unsigned int)json_integer_value(json_array_get(l, 0)) -
                              (unsigned int)json_integer_value(json_array_get(l, 1))));
}
static json_t *l_long_sub(const json_t *l)
{
    if (json_array_size(l) != 2 || !is_long(json_array_get(l, 0)) || !is_long(json_array_get(l, 1)))
        return NULL;
    return json_integer((long long)((unsigned long long)json_integer_value(json_array_get(l, 0)) -
                                    (unsigned long long)json_integer_value(json_array_get(l, 1))));
}
static json_t *l_double_sub(const json_t *l)
{
    if (json_array_size(l) != 2 || !json_is_real(json_array_get(l, 0)) || !json_is_real(json_array_get(l, 1)))
        return NULL;
    return json_real(json_real_value(json_array_get(l, 0)) - json_real_value(json_array_get(l, 1)));
}
LIST_FUNCTION(f_int_subtract, l_int_sub)
LIST_FUNCTION(f_long_subtract, l_long_sub)
LIST_FUNCTION(f_double_subtract, l_double_sub)

static int divide(json_t **args, int n, double *out)
{
    if (n != 2)
        return -1;
    json_t *a = to_number(args[0]), *b = to_number(args[1]);
    int rc = -1;
    if (a && b && dbl(b) != 0) {
        *out = dbl(a) / dbl(b);
        rc = 0;
    }
    json_decref(a);
    json_decref(b);
    return rc;
}

static json_t *l_divide(const json_t *l)
{
    json_t *args[2] = {json_array_get(l, 0), json_array_get(l, 1)};
    double d;
    if (json_array_size(l) != 2 || divide(args, 2, &d))
        return NULL;
    return json_real(d);
}
LIST_FUNCTION(f_divide, l_divide)

static json_t *ad_div_round(const json_t *digits, json_t **args, int n)
{
    double d;
    if (divide(args, n, &d) || isnan(d) || isinf(d))
        return NULL;
    /* BigDecimal(double).setScale(digits, HALF_UP): exact decimal expansion */
    long dg = (long)json_integer_value(digits);
    if (dg < 0 || dg > 300)
        return NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%.*f", (int)dg + 30, d);
    /* round half up on the decimal string */
    char *dot = strchr(buf, '.');
    size_t keep = (size_t)(dot - buf) + (dg ? (size_t)dg + 1 : 0);
    char next = dot[dg + 1];
    int up = next >= '5';
    buf[keep] = '\0';
    double r = strtod(buf, NULL);
    if (up) {
        double inc = pow(10.0, (double)-dg);
        r = r < 0 || buf[0] == '-' ? r - inc : r + inc;
        snprintf(buf, sizeof buf, "%.*f", (int)dg, r);
        r = strtod(buf, NULL);
    }
    return json_real(r);
}

static json_t *f_divide_and_round(json_t **a, int n)
{
    return arg_driven(a, n, 'i', NULL, ad_div_round);
}

/* ---- Objects ---- */

/* toInteger / toLong / toDouble: Objects.toNumber, then intValue ('i'),
 * longValue ('l') or doubleValue ('d'). NULL when a is not a number. */
static json_t *to_number_as(const json_t *a, char as)
{
    json_t *num = to_number(a);
    if (!num)
        return NULL;
    json_t *r = as == 'd' ? json_real(dbl(num)) : json_integer(as == 'i' ? jolt_int_value(num) : lng(num));
    json_decref(num);
    return r;
}
static json_t *s_to_integer(const json_t *a)
{
    return to_number_as(a, 'i');
}
static json_t *s_to_long(const json_t *a)
{
    return to_number_as(a, 'l');
}
static json_t *s_to_double(const json_t *a)
{
    return to_number_as(a, 'd');
}
static json_t *s_to_boolean(const json_t *a)
{
    if (json_is_boolean(a))
        return json_incref((json_t *)a);
    if (json_is_string(a)) {
        if (!strcasecmp(json_string_value(a), "true"))
            return json_true();
        if (!strcasecmp(json_string_value(a), "false"))
            return json_false();
    }
    return NULL;
}
static json_t *s_to_string(const json_t *a)
{
    strbuf sb = STRBUF_INIT;
    jolt_java_tostring(a, &sb);
    json_t *r = json_stringn(sb.buf, sb.len);
    strbuf_release(&sb);
    return r;
}
SINGLE_FUNCTION(f_to_integer, s_to_integer)
SINGLE_FUNCTION(f_to_long, s_to_long)
SINGLE_FUNCTION(f_to_double, s_to_double)
SINGLE_FUNCTION(f_to_boolean, s_to_boolean)
SINGLE_FUNCTION(f_to_string, s_to_string)

static json_t *f_size(json_t **a, int n)
{
    if (n == 0)
        return NULL;
    if (n > 1)
        return json_integer(n);
    if (json_is_array(a[0]))
        return json_integer((json_int_t)json_array_size(a[0]));
    if (json_is_string(a[0])) {
        /* Java length: UTF-16 code units */
        const unsigned char *s = (const unsigned char *)json_string_value(a[0]);
        long cnt = 0;
        for (size_t i = 0; i < json_string_length(a[0]); i++) {
            if ((s[i] & 0xC0) != 0x80)
                cnt += (s[i] >= 0xF0) ? 2 : 1;
        }
        return json_integer(cnt);
    }
    if (json_is_object(a[0]))
        return json_integer((json_int_t)json_object_size(a[0]));
    return NULL;
}

static void squash(json_t *v, int recursive)
{
    if (json_is_array(v)) {
        for (size_t i = json_array_size(v); i-- > 0;)
            if (json_is_null(json_array_get(v, i)))
                json_array_remove(v, i);
        if (recursive) {
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x) squash(x, 1);
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, x) {
            if (json_is_null(x))
                json_object_del(v, k);
        }
        if (recursive) {
            json_object_foreach(v, k, x) squash(x, 1);
        }
    }
}

/* SquashFunction: one argument is squashed itself, several as a list */
static json_t *squash_apply(json_t **a, int n, int mode)
{
    if (n == 0)
        return NULL;
    json_t *v;
    if (n == 1) {
        if (!a[0] || json_is_null(a[0]))
            return NULL;
        /* Java's BaseFunction: an empty list argument has no value */
        if (json_is_array(a[0]) && json_array_size(a[0]) == 0)
            return NULL;
        v = jolt_copy(a[0]);
    } else {
        json_t *l = args_list(a, n);
        v = json_deep_copy(l);
        json_decref(l);
    }
    if (mode == 2) {
        if (json_is_array(v)) {
            json_t *out = json_array();
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x) {
                int dup = 0;
                for (size_t j = 0; j < json_array_size(out) && !dup; j++)
                    dup = jolt_equal(json_array_get(out, j), x);
                if (!dup)
                    json_array_append(out, x);
            }
            json_decref(v);
            return out;
        }
        return v;
    }
    squash(v, mode == 1);
    return v;
}
static json_t *f_squash_nulls(json_t **a, int n) { return squash_apply(a, n, 0); }
static json_t *f_rsquash_nulls(json_t **a, int n) { return squash_apply(a, n, 1); }
static json_t *f_squash_dups(json_t **a, int n) { return squash_apply(a, n, 2); }

/* ---- Lists ---- */

static json_t *l_first(const json_t *l)
{
    return json_array_size(l) ? jolt_copy(json_array_get(l, 0)) : NULL;
}
static json_t *l_last(const json_t *l)
{
    size_t n = json_array_size(l);
    return n ? jolt_copy(json_array_get(l, n - 1)) : NULL;
}
LIST_FUNCTION(f_first_element, l_first)
LIST_FUNCTION(f_last_element, l_last)

static json_t *ad_element_at(const json_t *idx, json_t **args, int n)
{
    long i = (long)json_integer_value(idx);
    if (i >= 0 && i < n)
        return jolt_copy(args[i] ? args[i] : json_null());
    return NULL;
}
static json_t *f_element_at(json_t **a, int n)
{
    return arg_driven(a, n, 'i', NULL, ad_element_at);
}

static json_t *l_to_list(const json_t *l) { return jolt_copy(l); }
static json_t *s_to_list(const json_t *a)
{
    json_t *l = json_array();
    json_array_append_new(l, jolt_copy(a));
    return l;
}
static json_t *f_to_list(json_t **a, int n) { return base_apply(a, n, s_to_list, l_to_list); }

static int sort_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    if (json_is_string(a))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_boolean(a))
        return (int)json_is_true(a) - (int)json_is_true(b);
    double x = dbl(a), y = dbl(b);
    return x < y ? -1 : x > y ? 1 : 0;
}
static json_t *l_sort(const json_t *l)
{
    size_t n = json_array_size(l);
    if (!n)
        return json_array();
    json_t *first = json_array_get(l, 0);
    /* Arrays.sort needs mutually comparable elements of one class */
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(l, i);
        int same = json_is_string(first)   ? json_is_string(x)
                   : json_is_boolean(first) ? json_is_boolean(x)
                   : json_is_real(first)    ? json_is_real(x)
                   : json_is_integer(first) ? json_is_integer(x)
                                            : 0;
        if (!same)
            return NULL;
    }
    json_t **v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(l, i);
    qsort(v, n, sizeof *v, sort_cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}
static json_t *s_sort_self(const json_t *a) { return jolt_copy(a); }
static json_t *f_sort(json_t **a, int n) { return base_apply(a, n, s_sort_self, l_sort); }

/* ---- table ---- */

static const struct {
    const char *name;
    jolt_stock_fn fn;
} STOCK[] = {
    {"noop", f_noop}, {"isPresent", f_is_present}, {"notNull", f_not_null}, {"isNull", f_is_null},
    {"toLower", f_to_lower}, {"toUpper", f_to_upper}, {"concat", f_concat}, {"join", f_join},
    {"split", f_split}, {"substring", f_substring}, {"trim", f_trim}, {"leftPad", f_left_pad},
    {"rightPad", f_right_pad}, {"min", f_min}, {"max", f_max}, {"abs", f_abs}, {"avg", f_avg},
    {"intSum", f_int_sum}, {"doubleSum", f_double_sum}, {"longSum", f_long_sum},
    {"intSubtract", f_int_subtract}, {"doubleSubtract", f_double_subtract},
    {"longSubtract", f_long_subtract}, {"divide", f_divide}, {"divideAndRound", f_divide_and_round},
    {"toInteger", f_to_integer}, {"toDouble", f_to_double}, {"toLong", f_to_long},
    {"toBoolean", f_to_boolean}, {"toString", f_to_string}, {"size", f_size},
    {"squashNulls", f_squash_nulls}, {"recursivelySquashNulls", f_rsquash_nulls},
    {"squashDuplicates", f_squash_dups}, {"firstElement", f_first_element},
    {"lastElement", f_last_element}, {"elementAt", f_element_at}, {"toList", f_to_list}, {"sort", f_sort},
};

int jolt_squash_kind(jolt_stock_fn f)
{
    return f == f_squash_nulls ? 1 : f == f_rsquash_nulls ? 2 : 0;
}

void jolt_squash_in_place(json_t *v, int recursive)
{
    squash(v, recursive);
}

jolt_stock_fn jolt_lookup_stock(const char *name)
{
    for (size_t i = 0; i < sizeof STOCK / sizeof STOCK[0]; i++)
        if (!strcmp(STOCK[i].name, name))
            return STOCK[i].fn;
    return NULL;
}

/* ---- registered extras ---- */

typedef struct extra_fn {
    char *name;
    jolt_fn fn;
    void *ctx;
} extra_fn;

static pthread_mutex_t extra_lock = PTHREAD_MUTEX_INITIALIZER;
static extra_fn *extras;
static int nextras;

void jolt_register_function(const char *name, jolt_fn fn, void *ctx)
{
    if (!name)
        return;
    pthread_mutex_lock(&extra_lock);
    for (int i = 0; i < nextras; i++) {
        if (!strcmp(extras[i].name, name)) {
            extras[i].fn = fn;
            extras[i].ctx = ctx;
            pthread_mutex_unlock(&extra_lock);
            return;
        }
    }
    extra_fn *n = xrealloc(extras, (size_t)(nextras + 1) * sizeof *extras);
    extras = n;
    extras[nextras].name = strdup(name);
    extras[nextras].fn = fn;
    extras[nextras].ctx = ctx;
    nextras++;
    pthread_mutex_unlock(&extra_lock);
}

jolt_fn jolt_lookup_extra(const char *name, void **ctx)
{
    jolt_fn fn = NULL;
    pthread_mutex_lock(&extra_lock);
    for (int i = 0; i < nextras; i++)
        if (!strcmp(extras[i].name, name)) {
            fn = extras[i].fn;
            *ctx = extras[i].ctx;
        }
    pthread_mutex_unlock(&extra_lock);
    return fn;
}
