/*
 * el_fn_math.c: NiFi EL math, coercion, encoding and subjectless functions.
 *
 * Arithmetic follows Java: whole numbers are 64-bit and wrap on overflow,
 * a decimal operand makes the result a double, whole division by zero is an
 * error, and an operand that is not a number makes the result null (as
 * NiFi's implicit cast to a number does). math('fn', x) looks the
 * java.lang.Math method up by name and by the operand types (long or
 * double), so math('sqrt') on a whole number fails just as NiFi's
 * reflective lookup does. urlDecode and base64Decode read the decoded bytes
 * as UTF-8 the way Java does: a malformed sequence becomes U+FFFD.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "el_fn.h"

void el_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r <= 0) { for (size_t i = 0; i < n; i++) p[i] = (unsigned char)rand(); return; }
        p += r;
        n -= (size_t)r;
    }
}

static int num(el_ctx *c, el_val *v, const char *fn, int *dec, long long *i, double *d)
{
    if (el_to_number(v, dec, i, d) < 0) {
        strbuf_seterr(c->err, "%s(): cannot convert '%s' to a number", fn, v->t == V_STR ? v->s : "null");
        return -1;
    }
    return 0;
}

static int arith(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out, int op)
{
    const char *fn = el_fns[n->fn].name;
    int d1, d2; long long i1, i2; double f1, f2;
    if (s->t == V_NULL) return 0;
    if (a[0].t == V_NULL) return 0;
    /* NiFi casts both operands to a number, and text that is no number
     * casts to null: the result is null, not an error. */
    if (el_to_number(s, &d1, &i1, &f1) < 0 || el_to_number(&a[0], &d2, &i2, &f2) < 0) return 0;
    if (!d1 && !d2) {
        unsigned long long x = (unsigned long long)i1, y = (unsigned long long)i2;
        out->t = V_WHOLE;
        switch (op) {
        case 0: out->i = (long long)(x + y); break;
        case 1: out->i = (long long)(x - y); break;
        case 2: out->i = (long long)(x * y); break;
        case 3:
        case 4:
            if (i2 == 0) { strbuf_seterr(c->err, "%s(): / by zero", fn); return -1; }
            if (i2 == -1) out->i = op == 3 ? (long long)(0ULL - x) : 0;
            else out->i = op == 3 ? i1 / i2 : i1 % i2;
            break;
        }
        return 0;
    }
    double x = d1 ? f1 : (double)i1, y = d2 ? f2 : (double)i2;
    out->t = V_DEC;
    switch (op) {
    case 0: out->d = x + y; break;
    case 1: out->d = x - y; break;
    case 2: out->d = x * y; break;
    case 3: out->d = x / y; break;
    case 4: out->d = fmod(x, y); break;
    }
    return 0;
}

int el_fn_plus(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return arith(c, n, s, a, out, 0); }
int el_fn_minus(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return arith(c, n, s, a, out, 1); }
int el_fn_multiply(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return arith(c, n, s, a, out, 2); }
int el_fn_divide(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return arith(c, n, s, a, out, 3); }
int el_fn_mod(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return arith(c, n, s, a, out, 4); }

long long el_d2l(double d)
{
    if (d != d) return 0;
    if (d >= 9.2233720368547758e18) return LLONG_MAX;
    if (d <= -9.2233720368547758e18) return LLONG_MIN;
    return (long long)d;
}

int el_fn_toNumber(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    int dec; long long i; double d;
    if (s->t == V_NULL) return 0;
    if (el_to_number(s, &dec, &i, &d) < 0) return 0;
    out->t = V_WHOLE;
    out->i = dec ? el_d2l(d) : i;
    return 0;
}

int el_fn_toDecimal(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    int dec; long long i; double d;
    if (s->t == V_NULL) return 0;
    if (el_to_number(s, &dec, &i, &d) < 0) return 0;
    out->t = V_DEC;
    out->d = dec ? d : (double)i;
    return 0;
}

int el_fn_toRadix(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    int dec; long long i; double d;
    long long radix, width = 0;
    if (s->t == V_NULL) return 0;
    if (num(c, s, "toRadix", &dec, &i, &d) < 0) return -1;
    if (dec) i = el_d2l(d);
    if (el_arg_long(c, &a[0], "toRadix", &radix) < 0) return -1;
    if (n->nargs > 1 && el_arg_long(c, &a[1], "toRadix", &width) < 0) return -1;
    if (radix < 2 || radix > 36) radix = 10;
    char buf[80];
    int k = 0;
    unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
    do { int dg = (int)(u % (unsigned long long)radix); buf[k++] = (char)(dg < 10 ? '0' + dg : 'a' + dg - 10); u /= (unsigned long long)radix; } while (u);
    strbuf sb = STRBUF_INIT;
    if (i < 0) strbuf_addch(&sb, '-');
    for (long long p = k; p < width && p < 1000; p++) strbuf_addch(&sb, '0');
    while (k) strbuf_addch(&sb, buf[--k]);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_fromRadix(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n;
    long long radix;
    if (!el_s(s)) return 0;
    if (el_arg_long(c, &a[0], "fromRadix", &radix) < 0) return -1;
    if (radix < 2 || radix > 36) { strbuf_seterr(c->err, "fromRadix(): radix %lld out of range", radix); return -1; }
    const char *p = s->s;
    int neg = 0;
    if (*p == '-' || *p == '+') { neg = *p == '-'; p++; }
    if (!*p) { strbuf_seterr(c->err, "fromRadix(): '%s' is not a number in radix %lld", s->s, radix); return -1; }
    unsigned long long acc = 0;
    for (; *p; p++) {
        int dv = isdigit((unsigned char)*p) ? *p - '0' : isalpha((unsigned char)*p) ? tolower((unsigned char)*p) - 'a' + 10 : 99;
        if (dv >= radix) { strbuf_seterr(c->err, "fromRadix(): '%s' is not a number in radix %lld", s->s, radix); return -1; }
        acc = acc * (unsigned long long)radix + (unsigned long long)dv;
    }
    out->t = V_WHOLE;
    out->i = neg ? (long long)(0ULL - acc) : (long long)acc;
    return 0;
}

/* java.lang.Math by reflection: signature codes L long, D double, I int */
typedef struct { const char *name; const char *sig; } jmath;
static const jmath jm[] = {
    { "abs", "L" }, { "abs", "D" }, { "negateExact", "L" }, { "incrementExact", "L" }, { "decrementExact", "L" },
    { "max", "LL" }, { "max", "DD" }, { "min", "LL" }, { "min", "DD" },
    { "addExact", "LL" }, { "subtractExact", "LL" }, { "multiplyExact", "LL" }, { "floorDiv", "LL" }, { "floorMod", "LL" },
    { "pow", "DD" }, { "atan2", "DD" }, { "hypot", "DD" }, { "IEEEremainder", "DD" }, { "copySign", "DD" }, { "nextAfter", "DD" },
    { "scalb", "DI" },
    { "sqrt", "D" }, { "cbrt", "D" }, { "sin", "D" }, { "cos", "D" }, { "tan", "D" }, { "asin", "D" }, { "acos", "D" },
    { "atan", "D" }, { "sinh", "D" }, { "cosh", "D" }, { "tanh", "D" }, { "exp", "D" }, { "expm1", "D" }, { "log", "D" },
    { "log10", "D" }, { "log1p", "D" }, { "ceil", "D" }, { "floor", "D" }, { "rint", "D" }, { "round", "D" },
    { "signum", "D" }, { "toDegrees", "D" }, { "toRadians", "D" }, { "ulp", "D" }, { "nextUp", "D" }, { "nextDown", "D" },
    { "getExponent", "D" }, { "random", "" }, { NULL, NULL }
};

static double jround(double x) { return floor(x + 0.5); }

int el_fn_math(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    const char *name = el_s(&a[0]);
    int has_subj = n->subj != NULL;
    int d1 = 0, d2 = 0;
    long long i1 = 0, i2 = 0;
    double f1 = 0, f2 = 0;
    if (!name) { strbuf_seterr(c->err, "math(): no function name"); return -1; }
    if (has_subj) {
        if (s->t == V_NULL) return 0;
        if (num(c, s, "math", &d1, &i1, &f1) < 0) return -1;
    }
    int nargs = has_subj + (n->nargs > 1);
    if (n->nargs > 1) {
        if (a[1].t == V_NULL) return 0;
        if (num(c, &a[1], "math", &d2, &i2, &f2) < 0) return -1;
    }
    char want[3] = { 0 };
    if (has_subj) want[0] = d1 ? 'D' : 'L';
    if (n->nargs > 1) want[has_subj] = d2 ? 'D' : 'L';
    const jmath *m = NULL;
    for (int k = 0; jm[k].name; k++) {
        if (strcmp(jm[k].name, name) || (int)strlen(jm[k].sig) != nargs) continue;
        int ok = 1;
        for (int j = 0; j < nargs; j++) {
            char sg = jm[k].sig[j];
            if (sg == want[j]) continue;
            if (sg == 'I' && want[j] == 'L') continue; /* NiFi retries with an int */
            ok = 0;
        }
        if (ok) { m = &jm[k]; break; }
    }
    if (!m) {
        strbuf_seterr(c->err, "math(): no java.lang.Math method %s(%s%s%s)", name,
                      nargs > 0 ? (want[0] == 'D' ? "double" : "long") : "", nargs > 1 ? ", " : "",
                      nargs > 1 ? (want[1] == 'D' ? "double" : "long") : "");
        return -1;
    }
    double x = d1 ? f1 : (double)i1, y = d2 ? f2 : (double)i2;
    if (!has_subj) { x = y; i1 = i2; }
    const char *nm = m->name;
    if (!strcmp(m->sig, "")) {
        unsigned long long r;
        el_random_bytes(&r, sizeof r);
        out->t = V_DEC;
        out->d = (double)(r >> 11) / 9007199254740992.0;
        return 0;
    }
    if (m->sig[0] == 'L') {
        out->t = V_WHOLE;
        unsigned long long ux = (unsigned long long)i1, uy = (unsigned long long)i2;
        if (!strcmp(nm, "abs")) out->i = i1 < 0 ? (long long)(0ULL - ux) : i1;
        else if (!strcmp(nm, "negateExact")) out->i = (long long)(0ULL - ux);
        else if (!strcmp(nm, "incrementExact")) out->i = (long long)(ux + 1);
        else if (!strcmp(nm, "decrementExact")) out->i = (long long)(ux - 1);
        else if (!strcmp(nm, "max")) out->i = i1 > i2 ? i1 : i2;
        else if (!strcmp(nm, "min")) out->i = i1 < i2 ? i1 : i2;
        else if (!strcmp(nm, "addExact")) out->i = (long long)(ux + uy);
        else if (!strcmp(nm, "subtractExact")) out->i = (long long)(ux - uy);
        else if (!strcmp(nm, "multiplyExact")) out->i = (long long)(ux * uy);
        else if (!strcmp(nm, "floorDiv") || !strcmp(nm, "floorMod")) {
            if (!i2) { strbuf_seterr(c->err, "math(): / by zero"); return -1; }
            if (i2 == -1) { out->i = !strcmp(nm, "floorDiv") ? (long long)(0ULL - ux) : 0; return 0; }
            long long q = i1 / i2, r = i1 % i2;
            if (r != 0 && ((r < 0) != (i2 < 0))) { q--; r += i2; }
            out->i = !strcmp(nm, "floorDiv") ? q : r;
        }
        return 0;
    }
    out->t = V_DEC;
    if (!strcmp(m->sig, "DD") || !strcmp(m->sig, "DI")) {
        if (!strcmp(nm, "pow")) out->d = pow(x, y);
        else if (!strcmp(nm, "max")) out->d = (x != x || y != y) ? NAN : (x > y ? x : y);
        else if (!strcmp(nm, "min")) out->d = (x != x || y != y) ? NAN : (x < y ? x : y);
        else if (!strcmp(nm, "atan2")) out->d = atan2(x, y);
        else if (!strcmp(nm, "hypot")) out->d = hypot(x, y);
        else if (!strcmp(nm, "IEEEremainder")) out->d = remainder(x, y);
        else if (!strcmp(nm, "copySign")) out->d = copysign(x, y);
        else if (!strcmp(nm, "nextAfter")) out->d = nextafter(x, y);
        else if (!strcmp(nm, "scalb")) out->d = scalbn(x, (int)i2);
        return 0;
    }
    if (!strcmp(nm, "abs")) out->d = fabs(x);
    else if (!strcmp(nm, "sqrt")) out->d = sqrt(x);
    else if (!strcmp(nm, "cbrt")) out->d = cbrt(x);
    else if (!strcmp(nm, "sin")) out->d = sin(x);
    else if (!strcmp(nm, "cos")) out->d = cos(x);
    else if (!strcmp(nm, "tan")) out->d = tan(x);
    else if (!strcmp(nm, "asin")) out->d = asin(x);
    else if (!strcmp(nm, "acos")) out->d = acos(x);
    else if (!strcmp(nm, "atan")) out->d = atan(x);
    else if (!strcmp(nm, "sinh")) out->d = sinh(x);
    else if (!strcmp(nm, "cosh")) out->d = cosh(x);
    else if (!strcmp(nm, "tanh")) out->d = tanh(x);
    else if (!strcmp(nm, "exp")) out->d = exp(x);
    else if (!strcmp(nm, "expm1")) out->d = expm1(x);
    else if (!strcmp(nm, "log")) out->d = log(x);
    else if (!strcmp(nm, "log10")) out->d = log10(x);
    else if (!strcmp(nm, "log1p")) out->d = log1p(x);
    else if (!strcmp(nm, "ceil")) out->d = ceil(x);
    else if (!strcmp(nm, "floor")) out->d = floor(x);
    else if (!strcmp(nm, "rint")) out->d = nearbyint(x);
    else if (!strcmp(nm, "round")) { out->t = V_WHOLE; out->i = el_d2l(jround(x)); }
    else if (!strcmp(nm, "signum")) out->d = x > 0 ? 1.0 : x < 0 ? -1.0 : x;
    else if (!strcmp(nm, "toDegrees")) out->d = x * 180.0 / M_PI;
    else if (!strcmp(nm, "toRadians")) out->d = x / 180.0 * M_PI;
    else if (!strcmp(nm, "ulp")) out->d = nextafter(fabs(x), INFINITY) - fabs(x);
    else if (!strcmp(nm, "nextUp")) out->d = nextafter(x, INFINITY);
    else if (!strcmp(nm, "nextDown")) out->d = nextafter(x, -INFINITY);
    else if (!strcmp(nm, "getExponent")) { out->t = V_WHOLE; out->i = x == 0 ? -1023 : ilogb(x); }
    return 0;
}

/* ---- encoding ---- */

int el_fn_urlEncode(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    static const char hex[] = "0123456789ABCDEF";
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        unsigned char ch = (unsigned char)s->s[i];
        if (isalnum(ch) || ch == '.' || ch == '-' || ch == '*' || ch == '_') strbuf_addch(&sb, ch);
        else if (ch == ' ') strbuf_addch(&sb, '+');
        else { strbuf_addch(&sb, '%'); strbuf_addch(&sb, hex[ch >> 4]); strbuf_addch(&sb, hex[ch & 15]); }
    }
    el_val_take(out, &sb);
    return 0;
}

static int hx(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Takes decoded bytes into out as Java's new String(bytes, UTF_8) would
 * read them: well-formed UTF-8 is kept, and each maximal ill-formed
 * subpart (a stray byte, or the valid start of a cut-off sequence) becomes
 * U+FFFD. Frees raw. */
static void take_utf8_text(el_val *out, strbuf *raw)
{
    const unsigned char *p = (const unsigned char *)raw->buf;
    size_t n = raw->len, i = 0;
    strbuf sb = STRBUF_INIT;
    while (i < n) {
        unsigned b = p[i], lo = 0x80, hi = 0xBF;
        size_t need;
        if (b < 0x80) { strbuf_addch(&sb, (int)b); i++; continue; }
        if (b >= 0xC2 && b <= 0xDF) need = 1;
        else if (b >= 0xE0 && b <= 0xEF) { need = 2; if (b == 0xE0) lo = 0xA0; if (b == 0xED) hi = 0x9F; }
        else if (b >= 0xF0 && b <= 0xF4) { need = 3; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
        else { strbuf_add(&sb, "\xEF\xBF\xBD", 3); i++; continue; }
        size_t k = 1;
        while (k <= need && i + k < n && p[i + k] >= lo && p[i + k] <= hi) { lo = 0x80; hi = 0xBF; k++; }
        if (k == need + 1) strbuf_add(&sb, (const char *)p + i, k);
        else strbuf_add(&sb, "\xEF\xBF\xBD", 3);
        i += k;
    }
    strbuf_release(raw);
    el_val_take(out, &sb);
}

int el_fn_urlDecode(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n; (void)a;
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        char ch = s->s[i];
        if (ch == '+') strbuf_addch(&sb, ' ');
        else if (ch == '%') {
            if (i + 2 >= s->n + 0 && i + 2 > s->n - 1 + 1) { strbuf_release(&sb); strbuf_seterr(c->err, "urlDecode(): incomplete escape at the end of '%s'", s->s); return -1; }
            int h = hx((unsigned char)s->s[i + 1]), l = hx((unsigned char)s->s[i + 2]);
            if (h < 0 || l < 0) { strbuf_release(&sb); strbuf_seterr(c->err, "urlDecode(): illegal hex characters in escape (%%) pattern in '%s'", s->s); return -1; }
            strbuf_addch(&sb, h * 16 + l);
            i += 2;
        } else strbuf_addch(&sb, ch);
    }
    take_utf8_text(out, &sb);
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int el_fn_base64Encode(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    strbuf_add_base64(&sb, s->s, s->n);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_base64Decode(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n; (void)a;
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < s->n; i++) {
        char ch = s->s[i];
        if (ch == '=') break;
        const char *q = ch ? strchr(b64, ch) : NULL;
        if (!q) {
            if (ch == '-' ) q = b64 + 62; else if (ch == '_') q = b64 + 63;
            else { strbuf_release(&sb); strbuf_seterr(c->err, "base64Decode(): illegal base64 character '%c'", ch); return -1; }
        }
        acc = (acc << 6) | (unsigned)(q - b64);
        bits += 6;
        if (bits >= 8) { bits -= 8; strbuf_addch(&sb, (int)((acc >> bits) & 0xFF)); }
    }
    take_utf8_text(out, &sb);
    return 0;
}

/* decodes one UTF-8 code point; returns bytes consumed */
static int utf8_dec(const unsigned char *p, size_t n, unsigned *cp)
{
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    int len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
    if (len == 1 || (size_t)len > n) { *cp = p[0]; return 1; }
    unsigned v = p[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) { *cp = p[0]; return 1; }
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return len;
}

static void utf8_enc(strbuf *sb, unsigned cp)
{
    if (cp < 0x80) strbuf_addch(sb, (int)cp);
    else if (cp < 0x800) { strbuf_addch(sb, (int)(0xC0 | cp >> 6)); strbuf_addch(sb, (int)(0x80 | (cp & 63))); }
    else if (cp < 0x10000) { strbuf_addch(sb, (int)(0xE0 | cp >> 12)); strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 63))); strbuf_addch(sb, (int)(0x80 | (cp & 63))); }
    else { strbuf_addch(sb, (int)(0xF0 | cp >> 18)); strbuf_addch(sb, (int)(0x80 | ((cp >> 12) & 63))); strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 63))); strbuf_addch(sb, (int)(0x80 | (cp & 63))); }
}

int el_fn_escapeJson(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    const unsigned char *p = (const unsigned char *)s->s;
    for (size_t i = 0; i < s->n;) {
        unsigned cp;
        int k = utf8_dec(p + i, s->n - i, &cp);
        i += (size_t)k;
        switch (cp) {
        case '"': strbuf_addstr(&sb, "\\\""); break;
        case '\\': strbuf_addstr(&sb, "\\\\"); break;
        case '/': strbuf_addstr(&sb, "\\/"); break;
        case '\b': strbuf_addstr(&sb, "\\b"); break;
        case '\f': strbuf_addstr(&sb, "\\f"); break;
        case '\n': strbuf_addstr(&sb, "\\n"); break;
        case '\r': strbuf_addstr(&sb, "\\r"); break;
        case '\t': strbuf_addstr(&sb, "\\t"); break;
        default:
            if (cp < 32 || (cp > 0x7e && cp < 0x10000)) strbuf_addf(&sb, "\\u%04X", cp);
            else if (cp >= 0x10000) { unsigned v = cp - 0x10000; strbuf_addf(&sb, "\\u%04X\\u%04X", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)); }
            else strbuf_addch(&sb, (int)cp);
        }
    }
    el_val_take(out, &sb);
    return 0;
}

int el_fn_unescapeJson(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        char ch = s->s[i];
        if (ch != '\\' || i + 1 >= s->n) { strbuf_addch(&sb, ch); continue; }
        char d = s->s[++i];
        switch (d) {
        case 'n': strbuf_addch(&sb, '\n'); break;
        case 't': strbuf_addch(&sb, '\t'); break;
        case 'r': strbuf_addch(&sb, '\r'); break;
        case 'b': strbuf_addch(&sb, '\b'); break;
        case 'f': strbuf_addch(&sb, '\f'); break;
        case 'u':
            if (i + 4 < s->n && hx((unsigned char)s->s[i + 1]) >= 0 && hx((unsigned char)s->s[i + 2]) >= 0 && hx((unsigned char)s->s[i + 3]) >= 0 && hx((unsigned char)s->s[i + 4]) >= 0) {
                unsigned cp = (unsigned)(hx((unsigned char)s->s[i + 1]) << 12 | hx((unsigned char)s->s[i + 2]) << 8 | hx((unsigned char)s->s[i + 3]) << 4 | hx((unsigned char)s->s[i + 4]));
                i += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < s->n && s->s[i + 1] == '\\' && s->s[i + 2] == 'u') {
                    int ok = 1; unsigned lo = 0;
                    for (int k = 3; k < 7; k++) { int h = hx((unsigned char)s->s[i + (size_t)k]); if (h < 0) ok = 0; else lo = lo << 4 | (unsigned)h; }
                    if (ok && lo >= 0xDC00 && lo < 0xE000) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); i += 6; }
                }
                utf8_enc(&sb, cp);
            } else strbuf_addch(&sb, 'u');
            break;
        default: strbuf_addch(&sb, d); break;
        }
    }
    el_val_take(out, &sb);
    return 0;
}

int el_fn_escapeXml(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        switch (s->s[i]) {
        case '&': strbuf_addstr(&sb, "&amp;"); break;
        case '<': strbuf_addstr(&sb, "&lt;"); break;
        case '>': strbuf_addstr(&sb, "&gt;"); break;
        case '"': strbuf_addstr(&sb, "&quot;"); break;
        case '\'': strbuf_addstr(&sb, "&apos;"); break;
        default: strbuf_addch(&sb, s->s[i]);
        }
    }
    el_val_take(out, &sb);
    return 0;
}

/* HTML 4 entities (HTML 3.2 is the ISO-8859-1 part plus the four basics) */
static const struct { const char *name; unsigned cp; int html3; } ents[] = {
    {"quot",34,1},{"amp",38,1},{"lt",60,1},{"gt",62,1},
    {"nbsp",160,1},{"iexcl",161,1},{"cent",162,1},{"pound",163,1},{"curren",164,1},{"yen",165,1},{"brvbar",166,1},{"sect",167,1},
    {"uml",168,1},{"copy",169,1},{"ordf",170,1},{"laquo",171,1},{"not",172,1},{"shy",173,1},{"reg",174,1},{"macr",175,1},
    {"deg",176,1},{"plusmn",177,1},{"sup2",178,1},{"sup3",179,1},{"acute",180,1},{"micro",181,1},{"para",182,1},{"middot",183,1},
    {"cedil",184,1},{"sup1",185,1},{"ordm",186,1},{"raquo",187,1},{"frac14",188,1},{"frac12",189,1},{"frac34",190,1},{"iquest",191,1},
    {"Agrave",192,1},{"Aacute",193,1},{"Acirc",194,1},{"Atilde",195,1},{"Auml",196,1},{"Aring",197,1},{"AElig",198,1},{"Ccedil",199,1},
    {"Egrave",200,1},{"Eacute",201,1},{"Ecirc",202,1},{"Euml",203,1},{"Igrave",204,1},{"Iacute",205,1},{"Icirc",206,1},{"Iuml",207,1},
    {"ETH",208,1},{"Ntilde",209,1},{"Ograve",210,1},{"Oacute",211,1},{"Ocirc",212,1},{"Otilde",213,1},{"Ouml",214,1},{"times",215,1},
    {"Oslash",216,1},{"Ugrave",217,1},{"Uacute",218,1},{"Ucirc",219,1},{"Uuml",220,1},{"Yacute",221,1},{"THORN",222,1},{"szlig",223,1},
    {"agrave",224,1},{"aacute",225,1},{"acirc",226,1},{"atilde",227,1},{"auml",228,1},{"aring",229,1},{"aelig",230,1},{"ccedil",231,1},
    {"egrave",232,1},{"eacute",233,1},{"ecirc",234,1},{"euml",235,1},{"igrave",236,1},{"iacute",237,1},{"icirc",238,1},{"iuml",239,1},
    {"eth",240,1},{"ntilde",241,1},{"ograve",242,1},{"oacute",243,1},{"ocirc",244,1},{"otilde",245,1},{"ouml",246,1},{"divide",247,1},
    {"oslash",248,1},{"ugrave",249,1},{"uacute",250,1},{"ucirc",251,1},{"uuml",252,1},{"yacute",253,1},{"thorn",254,1},{"yuml",255,1},
    {"fnof",402,0},{"Alpha",913,0},{"Beta",914,0},{"Gamma",915,0},{"Delta",916,0},{"Epsilon",917,0},{"Zeta",918,0},{"Eta",919,0},
    {"Theta",920,0},{"Iota",921,0},{"Kappa",922,0},{"Lambda",923,0},{"Mu",924,0},{"Nu",925,0},{"Xi",926,0},{"Omicron",927,0},
    {"Pi",928,0},{"Rho",929,0},{"Sigma",931,0},{"Tau",932,0},{"Upsilon",933,0},{"Phi",934,0},{"Chi",935,0},{"Psi",936,0},
    {"Omega",937,0},{"alpha",945,0},{"beta",946,0},{"gamma",947,0},{"delta",948,0},{"epsilon",949,0},{"zeta",950,0},{"eta",951,0},
    {"theta",952,0},{"iota",953,0},{"kappa",954,0},{"lambda",955,0},{"mu",956,0},{"nu",957,0},{"xi",958,0},{"omicron",959,0},
    {"pi",960,0},{"rho",961,0},{"sigmaf",962,0},{"sigma",963,0},{"tau",964,0},{"upsilon",965,0},{"phi",966,0},{"chi",967,0},
    {"psi",968,0},{"omega",969,0},{"thetasym",977,0},{"upsih",978,0},{"piv",982,0},{"bull",8226,0},{"hellip",8230,0},{"prime",8242,0},
    {"Prime",8243,0},{"oline",8254,0},{"frasl",8260,0},{"weierp",8472,0},{"image",8465,0},{"real",8476,0},{"trade",8482,0},
    {"alefsym",8501,0},{"larr",8592,0},{"uarr",8593,0},{"rarr",8594,0},{"darr",8595,0},{"harr",8596,0},{"crarr",8629,0},
    {"lArr",8656,0},{"uArr",8657,0},{"rArr",8658,0},{"dArr",8659,0},{"hArr",8660,0},{"forall",8704,0},{"part",8706,0},
    {"exist",8707,0},{"empty",8709,0},{"nabla",8711,0},{"isin",8712,0},{"notin",8713,0},{"ni",8715,0},{"prod",8719,0},
    {"sum",8721,0},{"minus",8722,0},{"lowast",8727,0},{"radic",8730,0},{"prop",8733,0},{"infin",8734,0},{"ang",8736,0},
    {"and",8743,0},{"or",8744,0},{"cap",8745,0},{"cup",8746,0},{"int",8747,0},{"there4",8756,0},{"sim",8764,0},{"cong",8773,0},
    {"asymp",8776,0},{"ne",8800,0},{"equiv",8801,0},{"le",8804,0},{"ge",8805,0},{"sub",8834,0},{"sup",8835,0},{"nsub",8836,0},
    {"sube",8838,0},{"supe",8839,0},{"oplus",8853,0},{"otimes",8855,0},{"perp",8869,0},{"sdot",8901,0},{"lceil",8968,0},
    {"rceil",8969,0},{"lfloor",8970,0},{"rfloor",8971,0},{"lang",9001,0},{"rang",9002,0},{"loz",9674,0},{"spades",9824,0},
    {"clubs",9827,0},{"hearts",9829,0},{"diams",9830,0},{"OElig",338,0},{"oelig",339,0},{"Scaron",352,0},{"scaron",353,0},
    {"Yuml",376,0},{"circ",710,0},{"tilde",732,0},{"ensp",8194,0},{"emsp",8195,0},{"thinsp",8201,0},{"zwnj",8204,0},
    {"zwj",8205,0},{"lrm",8206,0},{"rlm",8207,0},{"ndash",8211,0},{"mdash",8212,0},{"lsquo",8216,0},{"rsquo",8217,0},
    {"sbquo",8218,0},{"ldquo",8220,0},{"rdquo",8221,0},{"bdquo",8222,0},{"dagger",8224,0},{"Dagger",8225,0},{"permil",8240,0},
    {"lsaquo",8249,0},{"rsaquo",8250,0},{"euro",8364,0},{NULL,0,0}
};

static int html_escape(el_val *s, el_val *out, int html3)
{
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    const unsigned char *p = (const unsigned char *)s->s;
    for (size_t i = 0; i < s->n;) {
        unsigned cp;
        int k = utf8_dec(p + i, s->n - i, &cp);
        const char *name = NULL;
        for (int e = 0; ents[e].name; e++)
            if (ents[e].cp == cp && (!html3 || ents[e].html3)) { name = ents[e].name; break; }
        if (name) strbuf_addf(&sb, "&%s;", name);
        else strbuf_add(&sb, s->s + i, (size_t)k);
        i += (size_t)k;
    }
    el_val_take(out, &sb);
    return 0;
}

static int html_unescape(el_val *s, el_val *out, int html3, int xml)
{
    if (!el_s(s)) return 0;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        if (s->s[i] != '&') { strbuf_addch(&sb, s->s[i]); continue; }
        const char *semi = memchr(s->s + i, ';', s->n - i);
        if (!semi || semi - (s->s + i) > 12) { strbuf_addch(&sb, '&'); continue; }
        size_t nl = (size_t)(semi - (s->s + i) - 1);
        const char *nm = s->s + i + 1;
        int done = 0;
        if (nl > 1 && nm[0] == '#') {
            unsigned cp = 0; int ok = 1;
            if (nm[1] == 'x' || nm[1] == 'X') { for (size_t k = 2; k < nl; k++) { int h = hx((unsigned char)nm[k]); if (h < 0) ok = 0; else cp = cp * 16 + (unsigned)h; } ok = ok && nl > 2; }
            else for (size_t k = 1; k < nl; k++) { if (!isdigit((unsigned char)nm[k])) ok = 0; else cp = cp * 10 + (unsigned)(nm[k] - '0'); }
            if (ok && cp < 0x110000) { utf8_enc(&sb, cp); done = 1; }
        } else if (xml) {
            if (nl == 4 && !memcmp(nm, "apos", 4)) { strbuf_addch(&sb, '\''); done = 1; }
            for (int e = 0; !done && e < 4; e++)
                if (strlen(ents[e].name) == nl && !memcmp(ents[e].name, nm, nl)) { strbuf_addch(&sb, (int)ents[e].cp); done = 1; }
        } else {
            for (int e = 0; ents[e].name; e++)
                if ((!html3 || ents[e].html3) && strlen(ents[e].name) == nl && !memcmp(ents[e].name, nm, nl)) { utf8_enc(&sb, ents[e].cp); done = 1; break; }
        }
        if (done) i = (size_t)(semi - s->s);
        else strbuf_addch(&sb, '&');
    }
    el_val_take(out, &sb);
    return 0;
}

int el_fn_unescapeXml(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; return html_unescape(s, out, 0, 1); }
int el_fn_escapeHtml3(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; return html_escape(s, out, 1); }
int el_fn_escapeHtml4(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; return html_escape(s, out, 0); }
int el_fn_unescapeHtml3(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; return html_unescape(s, out, 1, 0); }
int el_fn_unescapeHtml4(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)a; return html_unescape(s, out, 0, 0); }

int el_fn_escapeCsv(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    if (!strpbrk(s->s, ",\"\r\n")) { el_val_str(out, s->s, s->n); return 0; }
    strbuf sb = STRBUF_INIT;
    strbuf_addch(&sb, '"');
    for (size_t i = 0; i < s->n; i++) { if (s->s[i] == '"') strbuf_addch(&sb, '"'); strbuf_addch(&sb, s->s[i]); }
    strbuf_addch(&sb, '"');
    el_val_take(out, &sb);
    return 0;
}

int el_fn_unescapeCsv(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (!el_s(s)) return 0;
    if (s->n < 2 || s->s[0] != '"' || s->s[s->n - 1] != '"') { el_val_str(out, s->s, s->n); return 0; }
    const char *b = s->s + 1;
    size_t len = s->n - 2;
    if (!memchr(b, ',', len) && !memchr(b, '"', len) && !memchr(b, '\n', len) && !memchr(b, '\r', len)) { el_val_str(out, s->s, s->n); return 0; }
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < len; i++) {
        strbuf_addch(&sb, b[i]);
        if (b[i] == '"' && i + 1 < len && b[i + 1] == '"') i++;
    }
    el_val_take(out, &sb);
    return 0;
}

static void hexout(strbuf *sb, const unsigned char *d, int n)
{
    for (int i = 0; i < n; i++) strbuf_addf(sb, "%02x", d[i]);
}

int el_fn_hash(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n;
    const char *algo = el_s(&a[0]);
    if (!algo) { strbuf_seterr(c->err, "hash(): no algorithm"); return -1; }
    if (!el_s(s)) return 0;
    unsigned char d[64];
    int len = el_hash(algo, s->s, s->n, d);
    if (len < 0) { strbuf_seterr(c->err, "hash(): %s MessageDigest not available", algo); return -1; }
    strbuf sb = STRBUF_INIT;
    hexout(&sb, d, len);
    el_val_take(out, &sb);
    return 0;
}

static int parse_uuid(const char *s, unsigned char *u)
{
    int k = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-') continue;
        int h = hx((unsigned char)*p), l = p[1] ? hx((unsigned char)p[1]) : -1;
        if (h < 0 || l < 0 || k >= 16) return -1;
        u[k++] = (unsigned char)(h * 16 + l);
        p++;
    }
    return k == 16 ? 0 : -1;
}

static void fmt_uuid(strbuf *sb, const unsigned char *u)
{
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) strbuf_addch(sb, '-');
        strbuf_addf(sb, "%02x", u[i]);
    }
}

static int name_uuid(el_ctx *c, el_val *s, el_val *a, el_val *out, int ver)
{
    if (!el_s(s)) return 0;
    const char *ns = el_s(&a[0]);
    strbuf buf = STRBUF_INIT;
    unsigned char u[16] = { 0 };  /* a null namespace is the nil UUID */
    if (ns && a[0].n && parse_uuid(ns, u) < 0) { strbuf_seterr(c->err, "UUID%d(): '%s' is not a UUID", ver, ns); return -1; }
    strbuf_add(&buf, u, 16);
    strbuf_add(&buf, s->s, s->n);
    unsigned char d[64];
    el_hash(ver == 3 ? "MD5" : "SHA-1", buf.buf, buf.len, d);
    strbuf_release(&buf);
    d[6] = (unsigned char)((d[6] & 0x0f) | (ver << 4));
    d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
    strbuf sb = STRBUF_INIT;
    fmt_uuid(&sb, d);
    el_val_take(out, &sb);
    return 0;
}

int el_fn_UUID3(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return name_uuid(c, s, a, out, 3); }
int el_fn_UUID5(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)n; return name_uuid(c, s, a, out, 5); }

/* ---- subjectless ---- */

int el_fn_literal(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)s;
    const el_node *arg = n->args[0];
    if (arg->kind == N_WHOLE || arg->kind == N_DEC) { el_val_str(out, arg->s, arg->n); return 0; }
    *out = a[0];
    if (a[0].t == V_STR) el_val_str(out, a[0].s, a[0].n);
    return 0;
}

int el_fn_UUID(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    unsigned char u[16];
    el_random_bytes(u, 16);
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    strbuf sb = STRBUF_INIT;
    fmt_uuid(&sb, u);
    el_val_take(out, &sb);
    return 0;
}

static atomic_llong next_int;

int el_fn_nextInt(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    out->t = V_WHOLE;
    out->i = atomic_fetch_add(&next_int, 1);
    return 0;
}

int el_fn_random(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    unsigned long long r;
    el_random_bytes(&r, sizeof r);
    out->t = V_WHOLE;
    out->i = (long long)(r >> 1);
    return 0;
}

int el_fn_hostname(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    char h[256];
    if (gethostname(h, sizeof h) < 0) strcpy(h, "localhost");
    h[sizeof h - 1] = 0;
    el_val_str(out, h, strlen(h));
    return 0;
}

int el_fn_ip(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    el_val_str(out, "127.0.0.1", 9);
    return 0;
}

int el_fn_thread(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    el_val_str(out, "main", 4);
    return 0;
}

int el_fn_getStateValue(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a; (void)out;
    return 0;
}

/* java.net.URI quoting of the parts given to the 7-argument constructor */
static void uri_quote(strbuf *sb, const char *p, const char *extra)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch) || strchr("_-!.~'()*", ch) || strchr(extra, ch) || ch >= 0x80) strbuf_addch(sb, ch);
        else { strbuf_addch(sb, '%'); strbuf_addch(sb, hex[ch >> 4]); strbuf_addch(sb, hex[ch & 15]); }
    }
}

int el_fn_getUri(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)n; (void)s;
    const char *scheme = el_s(&a[0]), *user = el_s(&a[1]), *host = el_s(&a[2]);
    const char *path = el_s(&a[4]), *query = el_s(&a[5]), *frag = el_s(&a[6]);
    long long port = -1;
    if (a[3].t != V_NULL) {
        int dec; double d;
        if (el_to_number(&a[3], &dec, &port, &d) < 0 || dec) { strbuf_seterr(c->err, "getUri(): port '%s' is not a number", a[3].t == V_STR ? a[3].s : "?"); return -1; }
    }
    strbuf sb = STRBUF_INIT;
    if (scheme) { strbuf_addstr(&sb, scheme); strbuf_addch(&sb, ':'); }
    if (host) {
        strbuf_addstr(&sb, "//");
        if (user) { uri_quote(&sb, user, ";:&=+$,"); strbuf_addch(&sb, '@'); }
        strbuf_addstr(&sb, host);
        if (port != -1) strbuf_addf(&sb, ":%lld", port);
    }
    if (path) uri_quote(&sb, path, ";:@&=+$,/");
    if (query) { strbuf_addch(&sb, '?'); uri_quote(&sb, query, ";/?:@&=+$,[]"); }
    if (frag) { strbuf_addch(&sb, '#'); uri_quote(&sb, frag, ";/?:@&=+$,[]"); }
    el_val_take(out, &sb);
    return 0;
}

/* join/count on a single value (multi-attribute subjects reduce in el_eval.c) */
int el_fn_join(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    if (s->t == V_NULL) return 0;
    *out = *s;
    if (s->t == V_STR) el_val_str(out, s->s, s->n);
    return 0;
}

int el_fn_count(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)a;
    out->t = V_WHOLE;
    out->i = s->t != V_NULL && !(s->t == V_BOOL && !s->i);
    return 0;
}

/* multi-attribute functions are evaluated by el_eval.c; these are never called */
int el_fn_anyAttribute(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)s; (void)a; (void)out; return 0; }
int el_fn_allAttributes(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)s; (void)a; (void)out; return 0; }
int el_fn_anyMatchingAttribute(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)s; (void)a; (void)out; return 0; }
int el_fn_allMatchingAttributes(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)s; (void)a; (void)out; return 0; }
int el_fn_anyDelineatedValue(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)s; (void)a; (void)out; return 0; }
int el_fn_allDelineatedValues(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { (void)c; (void)n; (void)s; (void)a; (void)out; return 0; }
