/*
 * jsontext.c: JSON text in and out. See jsontext.h.
 *
 * The reader is a recursive-descent parser over the caller's bytes that
 * builds values directly: jansson's, or through a jsontext_builder the
 * caller's own (the jansson one is just the default builder). Comments are skipped where whitespace is
 * (no copy of the text is made). Strings without escapes are handed to
 * jansson straight from the input (json_stringn_nocheck, and object keys to
 * json_object_setn_new_nocheck), after we validated their UTF-8 ourselves;
 * strings with escapes are decoded into one scratch buffer. Positions are
 * only turned into "line L column C" (C counts characters, 1-based) when an
 * error is reported, so the happy path never tracks lines.
 *
 * Semantics follow what jansson's json_loadb(JSON_DECODE_ANY|JSON_ALLOW_NUL)
 * accepted, with two documented differences: an integer that does not fit
 * json_int_t becomes a real (jansson refused it; Jackson makes a BigInteger),
 * and nesting deeper than JSONTEXT_MAX_DEPTH is an error (jansson: 2048).
 * A real that overflows a double ("1e400") is still an error, as is a NUL
 * byte in an object key; "\u0000" in a string value is kept. Duplicate keys:
 * the last value wins, at the position of the first (jansson's behaviour).
 *
 * Checking without building is the scan_* half of the reader: scan_str
 * validates a string (escapes included) without decoding it, scan_number a
 * number (strtod only when its magnitude could overflow a double), and
 * scan_value/scan_container a value, allocating nothing. parse_str is
 * scan_str plus decoding the strings that have escapes; the containers a
 * shallow parse leaves out go through scan_value, and so do the values a
 * filtered parse's filter says it does not need. jsontext_minify is
 * scan_value with `out` set: skip_ws then copies the input between runs of
 * whitespace and comments to out (room for all of the input is reserved
 * once), so a compact document is copied with one memcpy at the end.
 *
 * The writer appends to a strbuf through an inline reserve-then-copy helper,
 * copies runs of plain string bytes at once, formats integers by hand and
 * finds the shortest round-tripping form of most doubles without printf
 * (see jsontext_dump_real).
 */
#include "jsontext.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------- reader */

typedef struct parser {
    const char *start, *p, *end;
    strbuf *err;
    strbuf scratch; /* decoded escaped strings */
    int depth;
    int build_depth; /* containers nested deeper are validated, not built (0: no limit) */
    const char *pick;  /* jsontext_parse_pick: the top-level member built deeper, or NULL */
    int pick_depth;    /* ... to this build depth */
    const char *const *pick_fields; /* ... keeping only these members of its objects at that depth (NULL: all) */
    int in_pick;       /* parsing the picked member's value */
    int failed;
    /* jsontext_minify only */
    strbuf *out;       /* where the text goes (room for all of it reserved); NULL otherwise */
    const char *run;   /* the input from here on is not copied to out yet */
    jsontext_top *top; /* the caller's, or NULL */
    int top_real;      /* a top-level number is a real (jsontext_parse would make it one) */
    /* jsontext_parse_filtered only */
    jsontext_filter_fn filter; /* NULL otherwise */
    /* what the values are made of: jansson's (jansson_builder) or the caller's */
    const jsontext_builder *b;
    void *bctx;
    void *filter_ctx;
    const void *fnode; /* the filter's node for the value being parsed */
} parser;

/* Byte classes for string scanning: 0 plain, 1 '"', 2 '\\', 3 control,
 * 4 first byte of a multi-byte UTF-8 sequence (or invalid). */
static const unsigned char str_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* Reports msg at position at (first error wins). Returns NULL for chaining. */
static void *fail_at(parser *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail_at(parser *ps, const char *at, const char *fmt, ...)
{
    if (ps->failed)
        return NULL;
    ps->failed = 1;
    if (!ps->err)
        return NULL;
    int line = 1, col = 1;
    for (const char *q = ps->start; q < at; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    strbuf_setf(ps->err, "line %d column %d: %s", line, col, msg.buf);
    strbuf_release(&msg);
    return NULL;
}

/* Describes the byte at p for an error message ("'x'", "byte 0x01", "end of input"). */
static const char *what(parser *ps, const char *p, char buf[16])
{
    if (p >= ps->end)
        return "end of input";
    unsigned char c = (unsigned char)*p;
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static inline uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Nonzero when some byte of w is zero (the classic bit trick). */
#define HAS_ZERO(w) (((w) - ONES) & ~(w) & HIGHS)

static const unsigned char is_ws[256] = { ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1 };

/* The first byte at or after p (before end) that is not whitespace, or end. */
static inline const char *ws_end(const char *p, const char *end)
{
#if defined(__SSE2__)
    /* 16 bytes at a time: a newline and its indentation in one step */
    const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n'), tab = _mm_set1_epi8('\t'),
                  cr = _mm_set1_epi8('\r');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        __m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, nl)),
                                  _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, cr)));
        unsigned other = ~(unsigned)_mm_movemask_epi8(ws) & 0xFFFFu;
        if (other)
            return p + __builtin_ctz(other);
        p += 16;
    }
#else
    while (end - p >= 8 && load8(p) == 0x2020202020202020ULL)
        p += 8; /* indentation */
#endif
    while (p < end && is_ws[(unsigned char)*p])
        p++;
    return p;
}

/* Moves p over plain string bytes (none is '"', '\\', a control byte or
 * >= 0x80) a block at a time while a whole block is left before end; it may
 * stop before the first byte that is not plain (the caller's byte loop
 * goes on from there). */
static inline const char *plain_run(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        /* signed compare: bytes >= 0x80 are negative, below 0x20 too */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)), _mm_cmplt_epi8(x, ctl));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#else
    while (end - p >= 8) {
        uint64_t w = load8(p);
        if (HAS_ZERO(w ^ (ONES * '"')) | HAS_ZERO(w ^ (ONES * '\\')) | ((w - ONES * 0x20) & ~w & HIGHS) |
            (w & HIGHS))
            break;
        p += 8;
    }
#endif
    return p;
}

/* Minify: copies the input not copied yet, up to upto, to out (room reserved). */
static inline void flush_run(parser *ps, const char *upto)
{
    size_t n = (size_t)(upto - ps->run);
    memcpy(ps->out->buf + ps->out->len, ps->run, n);
    ps->out->len += n;
}

/* Skips whitespace and comments. Returns 0, or -1 on an unterminated comment.
 * When minifying, what came before the skipped run is copied to out first. */
static int skip_ws_slow(parser *ps)
{
    const char *p = ps->p, *end = ps->end, *from = p;
    for (;;) {
        p = ws_end(p, end);
        if (p + 1 >= end || *p != '/')
            break;
        if (p[1] == '/') {
            p += 2;
            while (p < end && *p != '\n')
                p++;
        } else if (p[1] == '*') {
            const char *c = p;
            p += 2;
            while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
                p++;
            if (p + 1 >= end) {
                fail_at(ps, c, "unterminated comment");
                return -1;
            }
            p += 2;
        } else {
            break;
        }
    }
    if (ps->out && p != from) {
        flush_run(ps, from);
        ps->run = p;
    }
    ps->p = p;
    return 0;
}

static inline int skip_ws(parser *ps)
{
    const char *p = ps->p;
    if (p < ps->end && (unsigned char)*p > ' ' && *p != '/')
        return 0;
    /* one space before a token (after ':' in pretty text): no call */
    if (!ps->out && ps->end - p >= 2 && *p == ' ' && (unsigned char)p[1] > ' ' && p[1] != '/') {
        ps->p = p + 1;
        return 0;
    }
    return skip_ws_slow(ps);
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* > U+10FFFF */
    } else
        return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Writes the UTF-8 encoding of cp (at most U+10FFFF) to u; returns its length. */
static size_t utf8_encode(unsigned cp, char u[4])
{
    if (cp < 0x80) {
        u[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (char)(0xF0 | cp >> 18);
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

enum { ESC_OK, ESC_END, ESC_HEX, ESC_SURROGATE, ESC_BAD };

/* Decodes the escape at *pp (just after the backslash) into *cp and moves
 * *pp past it. Returns ESC_OK, or what is wrong (*cp then holds the unpaired
 * surrogate for ESC_SURROGATE). */
static int escape_decode(const char **pp, const char *end, unsigned *cp)
{
    const char *p = *pp;
    unsigned lo;
    if (p >= end)
        return ESC_END;
    switch (*p++) {
    case '"': *cp = '"'; break;
    case '\\': *cp = '\\'; break;
    case '/': *cp = '/'; break;
    case 'b': *cp = '\b'; break;
    case 'f': *cp = '\f'; break;
    case 'n': *cp = '\n'; break;
    case 'r': *cp = '\r'; break;
    case 't': *cp = '\t'; break;
    case 'u':
        if (hex4(p, end, cp))
            return ESC_HEX;
        p += 4;
        if (*cp >= 0xDC00 && *cp <= 0xDFFF)
            return ESC_SURROGATE;
        if (*cp >= 0xD800 && *cp <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return ESC_SURROGATE;
            p += 6;
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        break;
    default:
        return ESC_BAD;
    }
    *pp = p;
    return ESC_OK;
}

/* Checks the escape at p (just after the backslash): its code point in *cp.
 * Returns the position after it, or NULL with the error set. */
static const char *escape_at(parser *ps, const char *p, unsigned *cp)
{
    const char *bs = p - 1;
    char b[16];
    switch (escape_decode(&p, ps->end, cp)) {
    case ESC_OK:
        return p;
    case ESC_END:
        return fail_at(ps, p, "unterminated string"), NULL;
    case ESC_HEX:
        return fail_at(ps, bs, "invalid \\u escape"), NULL;
    case ESC_SURROGATE:
        return fail_at(ps, bs, "unpaired surrogate \\u%04X", *cp), NULL;
    default:
        return fail_at(ps, bs, "invalid escape: %s after '\\'", what(ps, bs + 1, b)), NULL;
    }
}

/* Decodes the raw text of a valid string (between its quotes) into dst, at
 * most cap bytes. Returns the decoded length, or (size_t)-1 when it would be
 * longer than cap. The decoding is never longer than the raw text. */
static size_t decode_into(const char *s, size_t n, char *dst, size_t cap)
{
    const char *end = s + n;
    size_t o = 0;
    while (s < end) {
        const char *bs = memchr(s, '\\', (size_t)(end - s));
        size_t k = (size_t)((bs ? bs : end) - s);
        if (k > cap - o)
            return (size_t)-1;
        memcpy(dst + o, s, k);
        o += k;
        if (!bs)
            break;
        unsigned cp = 0;
        s = bs + 1;
        escape_decode(&s, end, &cp); /* valid: checked by scan_str */
        char u[4];
        k = utf8_encode(cp, u);
        if (k > cap - o)
            return (size_t)-1;
        memcpy(dst + o, u, k);
        o += k;
    }
    return o;
}

/* Checks the string whose opening quote is at ps->p and moves past it,
 * without decoding it. *s and *n: its raw text between the quotes; *esc:
 * whether it has escapes; *nul: whether one of them is "\u0000". 0 or -1. */
static int scan_str(parser *ps, const char **s, size_t *n, int *esc, int *nul)
{
    const char *p = ps->p + 1, *end = ps->end;
    int e = 0, z = 0;
    for (;;) {
        p = plain_run(p, end);
        while (p < end && !str_class[(unsigned char)*p])
            p++;
        if (p >= end) {
            fail_at(ps, ps->p, "unterminated string");
            return -1;
        }
        switch (str_class[(unsigned char)*p]) {
        case 1: /* closing quote */
            *s = ps->p + 1;
            *n = (size_t)(p - *s);
            *esc = e;
            *nul = z;
            ps->p = p + 1;
            return 0;
        case 2: { /* backslash */
            unsigned cp;
            p = escape_at(ps, p + 1, &cp);
            if (!p)
                return -1;
            e = 1;
            z |= cp == 0;
            break;
        }
        case 3:
            fail_at(ps, p, "control character 0x%02x in string", (unsigned char)*p);
            return -1;
        default: {
            size_t k = utf8_len((const unsigned char *)p, (const unsigned char *)end);
            if (!k) {
                fail_at(ps, p, "invalid UTF-8 in string");
                return -1;
            }
            p += k;
        }
        }
    }
}

/* Parses the string whose opening quote is at ps->p. On success *s and *n point
 * either into the input or into ps->scratch (valid until the next string).
 * *escaped tells which. Returns 0 or -1. */
static int parse_str(parser *ps, const char **s, size_t *n, int *escaped)
{
    /* the common case inline: plain bytes up to the closing quote */
    const char *q = plain_run(ps->p + 1, ps->end);
    while (q < ps->end && !str_class[(unsigned char)*q])
        q++;
    if (q < ps->end && *q == '"') {
        *s = ps->p + 1;
        *n = (size_t)(q - *s);
        *escaped = 0;
        ps->p = q + 1;
        return 0;
    }
    int nul;
    if (scan_str(ps, s, n, escaped, &nul))
        return -1;
    if (*escaped) {
        strbuf_reset(&ps->scratch);
        strbuf_grow(&ps->scratch, *n);
        *n = decode_into(*s, *n, ps->scratch.buf, *n);
        ps->scratch.len = *n;
        ps->scratch.buf[*n] = '\0';
        *s = ps->scratch.buf;
    }
    return 0;
}

/* Checks the syntax of the number at ps->p. Returns its end (ps->p is not
 * moved), or NULL with the error set. *int_end: where its integer digits end
 * (they start after the optional '-'); *exp: its exponent's first sign or
 * digit, or NULL; *is_real: it has a fraction or an exponent. */
static inline const char *number_end(parser *ps, const char **int_end, const char **exp, int *is_real)
{
    const char *p = ps->p, *end = ps->end, *tok = p;
    *exp = NULL;
    *is_real = 0;
    if (*p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return fail_at(ps, tok, "invalid number"), NULL;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return fail_at(ps, tok, "invalid number: leading zero"), NULL;
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    *int_end = p;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail_at(ps, tok, "invalid number: digit expected after '.'"), NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *is_real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        *exp = p;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail_at(ps, tok, "invalid number: digit expected in exponent"), NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *is_real = 1;
    }
    return p;
}

/* The integer of the digits [digits, int_end), negated when neg, into *out
 * when it fits json_int_t: 0; -1 when it does not. */
static inline int int_value(const char *digits, const char *int_end, int neg, json_int_t *out)
{
    if (int_end - digits <= 18) {
        /* at most 18 digits: cannot overflow 64 bits */
        long long v = 0;
        for (const char *q = digits; q < int_end; q++)
            v = v * 10 + (*q - '0');
        *out = neg ? -v : v;
        return 0;
    }
    unsigned long long v = 0, lim = neg ? (unsigned long long)INT64_MAX + 1 : INT64_MAX;
    for (const char *q = digits; q < int_end; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
    return 0;
}

/* The number text tok (len bytes, checked by number_end) as a double when
 * that is exact without strtod, Clinger's fast path: the digits make an
 * integer of at most 2^53 and the decimal exponent is within +-22, so both
 * operands of one multiply or divide are exact doubles and IEEE rounds the
 * result correctly, to what strtod gives. Prices ("1234.56") are like
 * that. 0 when it does not apply. */
static int fast_double(const char *tok, size_t len, double *out)
{
    static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    const char *p = tok, *end = tok + len;
    int neg = *p == '-';
    p += neg;
    unsigned long long m = 0;
    int digits = 0, frac = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++)
        m = m * 10 + (unsigned)(*p - '0');
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++, frac++)
            m = m * 10 + (unsigned)(*p - '0');
    long e = -frac;
    if (p < end) { /* the exponent */
        p++;
        int eneg = *p == '-';
        p += *p == '-' || *p == '+';
        long x = 0;
        for (; p < end && x < 1000; p++)
            x = x * 10 + (*p - '0');
        if (p < end)
            return 0;
        e += eneg ? -x : x;
    }
    if (digits > 19 || m > (1ULL << 53) || e < -22 || e > 22)
        return 0;
    double d = (double)m;
    d = e < 0 ? d / pow10[-e] : d * pow10[e];
    *out = neg ? -d : d;
    return 1;
}

/* strtod of the number text tok (len bytes); *overflow when it is beyond a double. */
static double to_double(const char *tok, size_t len, int *overflow)
{
    double fast;
    *overflow = 0;
    if (fast_double(tok, len, &fast))
        return fast;
    char small[64], *buf = small;
    if (len >= sizeof small)
        buf = xmalloc(len + 1);
    memcpy(buf, tok, len);
    buf[len] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    *overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
    if (buf != small)
        free(buf);
    return d;
}

static void *parse_number(parser *ps)
{
    const char *tok = ps->p, *digits = tok + (*tok == '-'), *int_end, *exp;
    int is_real, overflow;
    json_int_t iv;
    const char *p = number_end(ps, &int_end, &exp, &is_real);
    if (!p)
        return NULL;
    if (!is_real && int_value(digits, int_end, *tok == '-', &iv) == 0) {
        ps->p = p;
        return ps->b->integer(ps->bctx, iv);
    }
    /* a real, or an integer too big for json_int_t: a real too (see the top of the file) */
    double d = to_double(tok, (size_t)(p - tok), &overflow);
    if (overflow)
        return fail_at(ps, tok, "real number overflow");
    ps->p = p;
    return ps->b->real(ps->bctx, d);
}

/* Checks the number at ps->p as parse_number does, without making it, and
 * moves past it. 0 or -1. */
static int scan_number(parser *ps)
{
    const char *tok = ps->p, *digits = tok + (*tok == '-'), *int_end, *exp;
    int is_real, overflow;
    json_int_t iv;
    const char *p = number_end(ps, &int_end, &exp, &is_real);
    if (!p)
        return -1;
    /* |value| < 10^(integer digits + exponent): at most 10^308 < DBL_MAX
     * cannot overflow, so strtod is only asked about the others */
    long e10 = 0;
    if (exp) {
        const char *q = exp + (*exp == '+' || *exp == '-');
        for (; q < p && e10 < 100000; q++)
            e10 = e10 * 10 + (*q - '0');
        if (*exp == '-')
            e10 = -e10;
    }
    if ((int_end - digits) + e10 > 308) {
        to_double(tok, (size_t)(p - tok), &overflow);
        if (overflow) {
            fail_at(ps, tok, "real number overflow");
            return -1;
        }
    }
    if (ps->depth == 0)
        ps->top_real = is_real || int_value(digits, int_end, *tok == '-', &iv) < 0;
    ps->p = p;
    return 0;
}

#define JSONTEXT_MAX_DEPTH 512

static void *parse_value(parser *ps);

/* After a member of the container opened at open and closed by close:
 * consumes ',' (returns 1, the next item follows, whitespace skipped) or
 * close (returns 0). -1 on error: trailing comma, anything else. */
static int after_item(parser *ps, char close, const char *open)
{
    const char *kind = close == '}' ? "object" : "array";
    char b[16];
    if (skip_ws(ps))
        return -1;
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        if (skip_ws(ps))
            return -1;
        if (ps->p < ps->end && *ps->p == close) {
            fail_at(ps, ps->p, "trailing comma in %s", kind);
            return -1;
        }
        return 1;
    }
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return 0;
    }
    if (ps->p >= ps->end)
        fail_at(ps, ps->p, "unterminated %s (opened at offset %zu)", kind, (size_t)(open - ps->start));
    else
        fail_at(ps, ps->p, "',' or '%c' expected, got %s", close, what(ps, ps->p, b));
    return -1;
}

static int scan_value(parser *ps);
static int skip_value(parser *ps);

/* Whether the key (klen bytes) is one of the NULL-terminated names. */
static int wanted(const char *const *names, const char *k, size_t klen)
{
    for (; *names; names++)
        if (strlen(*names) == klen && memcmp(*names, k, klen) == 0)
            return 1;
    return 0;
}

static void *parse_object(parser *ps)
{
    const char *open = ps->p++;
    void *obj = ps->b->object(ps->bctx);
    if (skip_ws(ps))
        goto fail;
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"') {
            char b[16];
            fail_at(ps, ps->p, "string key expected, got %s", what(ps, ps->p, b));
            goto fail;
        }
        const char *kat = ps->p, *k;
        size_t klen;
        int esc;
        char *kcopy = NULL;
        if (parse_str(ps, &k, &klen, &esc))
            goto fail;
        if (esc) {
            if (memchr(k, '\0', klen)) {
                fail_at(ps, kat, "NUL byte in object key not supported");
                goto fail;
            }
            kcopy = xmalloc(klen + 1);
            memcpy(kcopy, k, klen);
            k = kcopy;
        }
        if (skip_ws(ps) || ps->p >= ps->end || *ps->p != ':') {
            char b[16];
            fail_at(ps, ps->p, "':' expected after object key, got %s", what(ps, ps->p, b));
            free(kcopy);
            goto fail;
        }
        ps->p++;
        const void *node = ps->fnode;
        if (ps->filter && node != JSONTEXT_BUILD_ALL)
            ps->fnode = ps->filter(node, k, klen, 0, ps->filter_ctx);
        if ((ps->filter && !ps->fnode) ||
            (ps->in_pick && ps->pick_fields && ps->depth == ps->pick_depth && !wanted(ps->pick_fields, k, klen))) {
            /* a member the caller does not need: checked, not built */
            free(kcopy);
            if (skip_ws(ps) || skip_value(ps) < 0)
                goto fail;
        } else {
            int saved = ps->build_depth, saved_in = ps->in_pick;
            if (ps->pick && ps->depth == 1 && strlen(ps->pick) == klen && memcmp(ps->pick, k, klen) == 0) {
                ps->build_depth = ps->pick_depth;
                ps->in_pick = 1;
            }
            void *v = skip_ws(ps) ? NULL : parse_value(ps);
            ps->build_depth = saved;
            ps->in_pick = saved_in;
            if (!v) {
                free(kcopy);
                goto fail;
            }
            ps->b->set(ps->bctx, obj, k, klen, !kcopy, v);
            free(kcopy);
        }
        ps->fnode = node;
        int more = after_item(ps, '}', open);
        if (more < 0)
            goto fail;
        if (!more)
            return obj;
    }
fail:
    ps->b->drop(ps->bctx, obj);
    return NULL;
}

static void *parse_array(parser *ps)
{
    const char *open = ps->p++;
    void *arr = ps->b->array(ps->bctx);
    if (skip_ws(ps))
        goto fail;
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }
    const void *node = ps->fnode;
    for (size_t i = 0;; i++) {
        void *v;
        if (ps->filter && node != JSONTEXT_BUILD_ALL)
            ps->fnode = ps->filter(node, NULL, 0, i, ps->filter_ctx);
        if (ps->filter && !ps->fnode) /* null keeps the later elements' positions */
            v = skip_value(ps) < 0 ? NULL : ps->b->literal(ps->bctx, JSON_NULL);
        else
            v = parse_value(ps);
        ps->fnode = node;
        if (!v)
            goto fail;
        ps->b->append(ps->bctx, arr, v);
        int more = after_item(ps, ']', open);
        if (more < 0)
            goto fail;
        if (!more)
            return arr;
    }
fail:
    ps->b->drop(ps->bctx, arr);
    return NULL;
}

/* Checks the literal word (n bytes) at ps->p and moves past it; 0 or -1. */
static int parse_literal(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) {
        fail_at(ps, ps->p, "invalid literal (expected '%s')", word);
        return -1;
    }
    ps->p += n;
    return 0;
}

/* Minify: notes a top-level key (raw text k, n bytes; esc: it has escapes)
 * that is one of the keys the caller looks for. */
static void note_top_key(jsontext_top *top, const char *k, size_t n, int esc)
{
    char buf[JSONTEXT_TOP_KEY_MAX];
    if (esc) {
        n = decode_into(k, n, buf, sizeof buf);
        if (n == (size_t)-1)
            return; /* longer than any key looked for */
        k = buf;
    }
    for (unsigned i = 0; i < 32 && top->keys[i]; i++)
        if (strlen(top->keys[i]) == n && memcmp(top->keys[i], k, n) == 0)
            top->found |= 1u << i;
}


/* Checks the container at ps->p without building it and moves past it:
 * the checks and errors of parse_value. 0 or -1. */
static int scan_container(parser *ps)
{
    const char *open = ps->p;
    char close = *open == '{' ? '}' : ']';
    if (ps->depth >= JSONTEXT_MAX_DEPTH) {
        fail_at(ps, open, "nesting deeper than %d levels", JSONTEXT_MAX_DEPTH);
        return -1;
    }
    ps->p++;
    ps->depth++;
    int rc = -1;
    if (skip_ws(ps))
        goto out;
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        rc = 0;
        goto out;
    }
    for (;;) {
        if (close == '}') {
            const char *kat = ps->p, *k;
            size_t klen;
            int esc, nul;
            char b[16];
            if (ps->p >= ps->end || *ps->p != '"') {
                fail_at(ps, ps->p, "string key expected, got %s", what(ps, ps->p, b));
                goto out;
            }
            if (scan_str(ps, &k, &klen, &esc, &nul))
                goto out;
            /* (the shallow parse never refused these in the parts it skips;
             * the filtered one does, as jsontext_parse would) */
            if (nul && (ps->out || ps->filter)) {
                fail_at(ps, kat, "NUL byte in object key not supported");
                goto out;
            }
            if (ps->depth == 1 && ps->top && ps->top->keys)
                note_top_key(ps->top, k, klen, esc);
            if (skip_ws(ps) || ps->p >= ps->end || *ps->p != ':') {
                fail_at(ps, ps->p, "':' expected after object key, got %s", what(ps, ps->p, b));
                goto out;
            }
            ps->p++;
            if (skip_ws(ps))
                goto out;
        }
        if (scan_value(ps) < 0)
            goto out;
        int more = after_item(ps, close, open);
        if (more < 0)
            goto out;
        if (!more) {
            rc = 0;
            goto out;
        }
    }
out:
    ps->depth--;
    return rc;
}

/* Checks the value at ps->p (whitespace already skipped) without building
 * it, allocating nothing, and moves past it: for jsontext_minify and the
 * containers a shallow parse leaves out. 0, or -1 with the error set. */
static int scan_value(parser *ps)
{
    if (ps->p >= ps->end) {
        fail_at(ps, ps->p, "value expected, got end of input");
        return -1;
    }
    switch (*ps->p) {
    case '{':
    case '[':
        return scan_container(ps);
    case '"': {
        const char *s;
        size_t n;
        int esc, nul;
        return scan_str(ps, &s, &n, &esc, &nul);
    }
    case 't':
        return parse_literal(ps, "true", 4);
    case 'f':
        return parse_literal(ps, "false", 5);
    case 'n':
        return parse_literal(ps, "null", 4);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return scan_number(ps);
    default: {
        char b[16];
        fail_at(ps, ps->p, "value expected, got %s", what(ps, ps->p, b));
        return -1;
    }
    }
}

/* ---- the fast check of the parts a parse leaves out ----
 *
 * skip_fast goes over a value in one loop (an explicit stack instead of
 * recursion, no error reporting, no position keeping), accepting exactly
 * what scan_value accepts or giving up: it returns NULL for any error and
 * for what it leaves to scan_value (comments, numbers with an exponent or
 * hundreds of digits, nesting near the depth limit). skip_value then runs
 * scan_value from the same place, which decides and reports the error as
 * the full parse would. */

/* Whitespace (no comments: a '/' stops it, and then the caller gives up). */
static inline const char *fast_ws(const char *p, const char *end)
{
    if (p < end && (unsigned char)*p > ' ')
        return p;
    return ws_end(p, end);
}

/* The string at p (its opening quote); its end, or NULL. key: a NUL
 * escape makes it give up (keys may not hold one). */
static const char *fast_str(const char *p, const char *end, int key)
{
    p++;
    for (;;) {
        p = plain_run(p, end);
        while (p < end && !str_class[(unsigned char)*p])
            p++;
        if (p >= end)
            return NULL;
        switch (str_class[(unsigned char)*p]) {
        case 1:
            return p + 1;
        case 2: {
            unsigned cp;
            p++;
            if (escape_decode(&p, end, &cp) != ESC_OK || (key && cp == 0))
                return NULL;
            break;
        }
        case 3:
            return NULL;
        default: {
            size_t k = utf8_len((const unsigned char *)p, (const unsigned char *)end);
            if (!k)
                return NULL;
            p += k;
        }
        }
    }
}

/* The number at p; its end, or NULL (also for an exponent or more than 300
 * integer digits: whether those overflow a double is scan_number's call). */
static inline const char *fast_num(const char *p, const char *end)
{
    if (*p == '-')
        p++;
    const char *digits = p;
    if (p >= end || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p - digits > 300)
        return NULL;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
        return NULL; /* an exponent; a digit after a leading zero */
    return p;
}

#define FAST_STACK 64

static const char *skip_fast(const char *p, const char *end, int depth)
{
    char open[FAST_STACK]; /* '{' or '[' of each container we are in */
    int sp = 0;
    for (;;) {
        /* a value at p, whitespace skipped */
        if (p >= end)
            return NULL;
        switch (*p) {
        case '{':
        case '[':
            if (sp == FAST_STACK || depth + sp + 1 >= JSONTEXT_MAX_DEPTH)
                return NULL;
            open[sp++] = *p++;
            p = fast_ws(p, end);
            if (p < end && *p == (open[sp - 1] == '{' ? '}' : ']')) {
                p++;
                sp--;
                break;
            }
            if (open[sp - 1] == '[')
                continue;
            goto key;
        case '"':
            p = fast_str(p, end, 0);
            break;
        case 't':
            p = end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
            break;
        case 'f':
            p = end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
            break;
        case 'n':
            p = end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
            break;
        default:
            p = fast_num(p, end);
            break;
        }
        /* after a value: the end of it all, ',' or the container's close */
        for (;;) {
            if (!p)
                return NULL;
            if (sp == 0)
                return p;
            p = fast_ws(p, end);
            if (p >= end)
                return NULL;
            if (*p == (open[sp - 1] == '{' ? '}' : ']')) {
                p++;
                sp--;
                continue;
            }
            if (*p != ',')
                return NULL;
            p = fast_ws(p + 1, end);
            break;
        }
        if (open[sp - 1] == '[')
            continue;
    key:
        if (p >= end || *p != '"')
            return NULL;
        p = fast_str(p, end, 1);
        if (!p)
            return NULL;
        p = fast_ws(p, end);
        if (p >= end || *p != ':')
            return NULL;
        p = fast_ws(p + 1, end);
    }
}

/* Checks the value at ps->p (whitespace skipped) without building it, as
 * scan_value does (same errors), fast where it can. Not for minifying. */
static int skip_value(parser *ps)
{
    const char *q = ps->out ? NULL : skip_fast(ps->p, ps->end, ps->depth);
    if (q) {
        ps->p = q;
        return 0;
    }
    return scan_value(ps);
}

/* Parses the value at ps->p (whitespace already skipped). */
static void *parse_value(parser *ps)
{
    if (ps->p >= ps->end)
        return fail_at(ps, ps->p, "value expected, got end of input");
    switch (*ps->p) {
    case '{':
    case '[': {
        if (ps->depth >= JSONTEXT_MAX_DEPTH)
            return fail_at(ps, ps->p, "nesting deeper than %d levels", JSONTEXT_MAX_DEPTH);
        if (ps->build_depth && ps->depth >= ps->build_depth)
            return skip_value(ps) < 0 ? NULL : ps->b->literal(ps->bctx, JSON_NULL);
        ps->depth++;
        void *v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
        ps->depth--;
        return v;
    }
    case '"': {
        const char *s;
        size_t n;
        int esc;
        if (parse_str(ps, &s, &n, &esc))
            return NULL;
        return ps->b->string(ps->bctx, s, n, !esc);
    }
    case 't':
        return parse_literal(ps, "true", 4) ? NULL : ps->b->literal(ps->bctx, JSON_TRUE);
    case 'f':
        return parse_literal(ps, "false", 5) ? NULL : ps->b->literal(ps->bctx, JSON_FALSE);
    case 'n':
        return parse_literal(ps, "null", 4) ? NULL : ps->b->literal(ps->bctx, JSON_NULL);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return parse_number(ps);
    default: {
        char b[16];
        return fail_at(ps, ps->p, "value expected, got %s", what(ps, ps->p, b));
    }
    }
}

/* ---- jansson values: what jsontext_parse makes ---- */

static void *jb_object(void *ctx)
{
    (void)ctx;
    return json_object();
}

static void jb_set(void *ctx, void *obj, const char *key, size_t klen, int in_text, void *v)
{
    (void)ctx;
    (void)in_text;
    json_object_setn_new_nocheck(obj, key, klen, v);
}

static void *jb_array(void *ctx)
{
    (void)ctx;
    return json_array();
}

static void jb_append(void *ctx, void *arr, void *v)
{
    (void)ctx;
    json_array_append_new(arr, v);
}

static void *jb_string(void *ctx, const char *s, size_t n, int in_text)
{
    (void)ctx;
    (void)in_text;
    return json_stringn_nocheck(s, n);
}

static void *jb_integer(void *ctx, json_int_t v)
{
    (void)ctx;
    return json_integer(v);
}

static void *jb_real(void *ctx, double d)
{
    (void)ctx;
    return json_real(d);
}

static void *jb_literal(void *ctx, json_type t)
{
    (void)ctx;
    /* jansson's singletons: nothing is allocated */
    return t == JSON_TRUE ? json_true() : t == JSON_FALSE ? json_false() : json_null();
}

static void jb_drop(void *ctx, void *v)
{
    (void)ctx;
    json_decref(v);
}

static const jsontext_builder jansson_builder = { jb_object, jb_set,  jb_array,   jb_append, jb_string,
                                                  jb_integer, jb_real, jb_literal, jb_drop };

/* One value and nothing after it, with the parser set up by the caller
 * (whose scratch buffer this releases; b NULL: jansson values). The new
 * value, or NULL. */
static void *parse_doc(parser *ps)
{
    void *v = NULL;
    if (!ps->b)
        ps->b = &jansson_builder;
    if (!skip_ws(ps))
        v = parse_value(ps);
    if (v && (skip_ws(ps) || ps->p < ps->end)) {
        char b[16];
        fail_at(ps, ps->p, "end of input expected after the value, got %s", what(ps, ps->p, b));
        ps->b->drop(ps->bctx, v);
        v = NULL;
    }
    strbuf_release(&ps->scratch);
    return v;
}

static json_t *parse_text(const char *text, size_t len, int build_depth, const char *pick, int pick_depth,
                          const char *const *pick_fields, strbuf *err)
{
    parser ps = { .start = text, .p = text, .end = text + len, .err = err, .scratch = STRBUF_INIT,
                  .build_depth = build_depth, .pick = pick, .pick_depth = pick_depth, .pick_fields = pick_fields };
    return parse_doc(&ps);
}

json_t *jsontext_parse(const char *text, size_t len, strbuf *err)
{
    return parse_text(text, len, 0, NULL, 0, NULL, err);
}

json_t *jsontext_parse_filtered(const char *text, size_t len, jsontext_filter_fn filter, const void *root, void *ctx,
                                strbuf *err)
{
    return jsontext_parse_into(text, len, NULL, NULL, filter, root, ctx, err);
}

void *jsontext_parse_into(const char *text, size_t len, const jsontext_builder *b, void *bctx,
                          jsontext_filter_fn filter, const void *root, void *fctx, strbuf *err)
{
    parser ps = { .start = text, .p = text, .end = text + len, .err = err, .scratch = STRBUF_INIT,
                  .b = b, .bctx = bctx, .filter = filter, .filter_ctx = fctx,
                  .fnode = root ? root : JSONTEXT_BUILD_ALL };
    return parse_doc(&ps);
}

json_t *jsontext_parse_shallow(const char *text, size_t len, int depth, strbuf *err)
{
    return parse_text(text, len, depth > 0 ? depth : 1, NULL, 0, NULL, err);
}

json_t *jsontext_parse_pick(const char *text, size_t len, int depth, const char *key, int key_depth,
                            const char *const *fields, strbuf *err)
{
    return parse_text(text, len, depth > 0 ? depth : 1, key, key_depth > 0 ? key_depth : 1, fields, err);
}

int jsontext_minify(const char *text, size_t len, strbuf *out, jsontext_top *top, strbuf *err)
{
    size_t old = out->len;
    parser ps = { .start = text, .p = text, .end = text + len, .err = err, .scratch = STRBUF_INIT,
                  .out = out, .run = text, .top = top };
    int rc = -1;
    strbuf_grow(out, len); /* the minified text is never longer */
    if (top)
        top->found = 0;
    const char *first = skip_ws(&ps) ? NULL : ps.p; /* the top value's first byte */
    if (first && !scan_value(&ps)) {
        if (skip_ws(&ps) || ps.p < ps.end) {
            char b[16];
            fail_at(&ps, ps.p, "end of input expected after the value, got %s", what(&ps, ps.p, b));
        } else {
            rc = 0;
            if (top) {
                switch (*first) {
                case '{': top->type = JSON_OBJECT; break;
                case '[': top->type = JSON_ARRAY; break;
                case '"': top->type = JSON_STRING; break;
                case 't': top->type = JSON_TRUE; break;
                case 'f': top->type = JSON_FALSE; break;
                case 'n': top->type = JSON_NULL; break;
                default: top->type = ps.top_real ? JSON_REAL : JSON_INTEGER;
                }
            }
        }
    }
    if (rc == 0) {
        flush_run(&ps, ps.p);
        out->buf[out->len] = '\0';
    } else {
        out->len = old;
        out->buf[old] = '\0';
        if (top)
            top->found = 0;
    }
    return rc;
}

json_t *jsontext_load_file(const char *path, strbuf *err)
{
    strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0) {
        strbuf_seterr(err, "%s: cannot read file", path);
        strbuf_release(&sb);
        return NULL;
    }
    strbuf e = STRBUF_INIT;
    json_t *v = jsontext_parse(sb.buf, sb.len, &e);
    if (!v)
        strbuf_seterr(err, "%s: %s", path, e.buf);
    strbuf_release(&e);
    strbuf_release(&sb);
    return v;
}

/* ---------------------------------------------------------------- writer */

/* Makes room for n more bytes (plus the NUL) and returns where they go. */
static inline char *reserve(strbuf *out, size_t n)
{
    if (out->len + n + 1 > out->alloc)
        strbuf_grow(out, n);
    return out->buf + out->len;
}

static inline void put(strbuf *out, const char *s, size_t n)
{
    memcpy(reserve(out, n), s, n);
    out->len += n;
    out->buf[out->len] = '\0';
}

static inline void put_ch(strbuf *out, char c)
{
    *reserve(out, 1) = c;
    out->buf[++out->len] = '\0';
}

/* Writes the decimal digits of v (no sign) ending just before end; returns the start. */
static char *utoa_rev(unsigned long long v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void put_int(strbuf *out, json_int_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    char *s = utoa_rev(u, e);
    if (v < 0)
        *--s = '-';
    put(out, s, (size_t)(e - s));
}

/* Moves p over bytes the writer copies as they are (none is '"', '\\' or
 * a control byte) a block at a time while a whole block is left before
 * end; it may stop early, the caller's byte loop goes on from there. */
static inline const char *unescaped_run(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        /* unsigned x <= 0x1F: min(x, 0x1F) == x */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
                                   _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    return p;
}

/* The bytes put_str escapes: '"', '\\' and the control bytes. */
static const unsigned char escaped_byte[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

/* The first byte of [s, end) that put_str escapes, or end. */
static inline const char *first_escaped(const char *s, const char *end)
{
    const char *p = unescaped_run(s, end);
    while (p < end && !escaped_byte[(unsigned char)*p])
        p++; /* the tail shorter than a block */
    return p;
}

int jsontext_plain(const char *s, size_t n)
{
    return first_escaped(s, s + n) == s + n;
}

/* Appends "..." with JSON escaping. The usual string has nothing to
 * escape: found so with one scan, it goes out with one copy; otherwise runs
 * of plain bytes are copied at once, from the first byte to escape on. */
static void put_str(strbuf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const char *end = s + n, *run = s;
    const char *first = first_escaped(s, end);
    if (first == end) {
        char *d = reserve(out, n + 2);
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        out->len += n + 2;
        out->buf[out->len] = '\0';
        return;
    }
    put_ch(out, '"');
    for (const char *p = first; p < end; p++) {
        p = first_escaped(p, end);
        if (p == end)
            break;
        unsigned char c = (unsigned char)*p;
        put(out, run, (size_t)(p - run));
        run = p + 1;
        char e[6] = { '\\', 0, '0', '0', hex[c >> 4], hex[c & 15] };
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default: e[1] = 'u'; put(out, e, 6); continue;
        }
        put(out, e, 2);
    }
    put(out, run, (size_t)(end - run));
    put_ch(out, '"');
}

/* For the doubles the fast path does not settle: the shortest "%.Pg" that
 * reads back to d (P from `from` up), laid out in plain notation when the
 * first digit's decimal exponent is in [-5, 16), as the fast path does. */
static void real_by_printf(double d, int from, strbuf *out)
{
    char tmp[400], e[40];
    int prec = from;
    for (; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    if (prec > 17)
        prec = 17;
    snprintf(e, sizeof e, "%.*e", prec - 1, d);
    int x = atoi(strchr(e, 'e') + 1);
    if (x >= -5 && x < 16) {
        int dec = prec - 1 - x;
        snprintf(tmp, sizeof tmp, "%.*f", dec > 0 ? dec : 0, d);
        /* %.Nf may keep zeros %g would drop */
        if (strchr(tmp, '.')) {
            size_t n = strlen(tmp);
            while (n > 0 && tmp[n - 1] == '0')
                tmp[--n] = '\0';
            if (tmp[n - 1] == '.')
                tmp[--n] = '\0';
        }
    }
    strbuf_addstr(out, tmp);
    if (!strpbrk(tmp, ".eEn"))
        strbuf_addstr(out, ".0");
}

/*
 * Shortest round-tripping text of d, as printf's "%.Pg" with the smallest
 * working P writes it, plus ".0" when that has no '.' or exponent.
 *
 * Fast path: find the fewest fraction digits k (0..22) such that the integer
 * m = round(|d| * 10^k) < 10^15 gives back d as m / 10^k. m and 10^k are
 * exact doubles, so the IEEE division is the correctly rounded value of the
 * decimal m·10^-k - exactly what strtod would return. With at most 15
 * significant digits that decimal is the only one of its length that maps
 * to d (DBL_DIG), so it is the one "%.Pg" prints. The digits are then laid
 * out in plain notation when the first digit's exponent X is in [-5, 16)
 * ("100.0", "0.00001", "25000000000.0": what a user expects to read), and
 * as "1.5e+20" / "1e-06" outside it. Every double
 * in [1e-5, 1e15) with a <= 15 digit form is settled here; the others go
 * through the printf loop (from 16 digits when in that range).
 */
void jsontext_dump_real(double d, strbuf *out)
{
    static const double p10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    if (!isfinite(d)) {
        strbuf_addstr(out, "null");
        return;
    }
    if (d == 0) {
        strbuf_addstr(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    double a = fabs(d);
    int k = 0;
    unsigned long long m = 0;
    for (; k <= 22; k++) {
        double x = a * p10[k];
        if (x >= 1e15)
            break;
        m = (unsigned long long)(x + 0.5);
        if ((double)m / p10[k] == a)
            break;
    }
    if (k > 22 || a * p10[k] >= 1e15 || m == 0) {
        real_by_printf(d, a >= 1e-5 && a < 1e15 ? 16 : 1, out);
        return;
    }
    char dig[24], *de = dig + sizeof dig;
    char *ds = utoa_rev(m, de);
    int len = (int)(de - ds);
    int x = len - 1 - k; /* decimal exponent of the first digit */
    while (de[-1] == '0')
        de--;
    int P = (int)(de - ds); /* significant digits */
    char buf[48], *b = buf;
    if (d < 0)
        *b++ = '-';
    if (x < -5 || x >= 16) {
        *b++ = ds[0];
        if (P > 1) {
            *b++ = '.';
            memcpy(b, ds + 1, (size_t)(P - 1));
            b += P - 1;
        }
        *b++ = 'e';
        *b++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            *b++ = (char)('0' + ax / 100);
        *b++ = (char)('0' + ax / 10 % 10);
        *b++ = (char)('0' + ax % 10);
    } else if (x >= 0) {
        /* the integer part is the first x+1 digits, padded with zeros when
         * there are fewer significant digits; the rest follow the '.' */
        int ip = P < x + 1 ? P : x + 1;
        memcpy(b, ds, (size_t)ip);
        b += ip;
        for (int i = ip; i < x + 1; i++)
            *b++ = '0';
        *b++ = '.';
        if (P > x + 1) {
            memcpy(b, ds + x + 1, (size_t)(P - x - 1));
            b += P - x - 1;
        } else {
            *b++ = '0';
        }
    } else {
        *b++ = '0';
        *b++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *b++ = '0';
        memcpy(b, ds, (size_t)P);
        b += P;
    }
    put(out, buf, (size_t)(b - buf));
}

static void indent(strbuf *out, int flags, int depth)
{
    if (!(flags & JSONTEXT_PRETTY))
        return;
    char *p = reserve(out, 1 + 2 * (size_t)depth);
    *p++ = '\n';
    memset(p, ' ', 2 * (size_t)depth);
    out->len += 1 + 2 * (size_t)depth;
    out->buf[out->len] = '\0';
}

static void dump(const json_t *v, strbuf *out, int flags, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        int first = 1;
        put_ch(out, '{');
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                put_ch(out, ',');
            first = 0;
            indent(out, flags, depth + 1);
            put_str(out, json_object_iter_key(it), json_object_iter_key_len(it));
            if (flags & JSONTEXT_PRETTY)
                put(out, ": ", 2);
            else
                put_ch(out, ':');
            dump(json_object_iter_value(it), out, flags, depth + 1);
        }
        if (!first)
            indent(out, flags, depth);
        put_ch(out, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        put_ch(out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                put_ch(out, ',');
            indent(out, flags, depth + 1);
            dump(json_array_get(v, i), out, flags, depth + 1);
        }
        if (n)
            indent(out, flags, depth);
        put_ch(out, ']');
        break;
    }
    case JSON_STRING:
        put_str(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_int(out, json_integer_value(v));
        break;
    case JSON_REAL:
        jsontext_dump_real(json_real_value(v), out);
        break;
    case JSON_TRUE:
        put(out, "true", 4);
        break;
    case JSON_FALSE:
        put(out, "false", 5);
        break;
    case JSON_NULL:
        put(out, "null", 4);
        break;
    }
}

void jsontext_dump_string(const char *s, size_t n, strbuf *out)
{
    put_str(out, s, n);
}

void jsontext_dump_integer(json_int_t v, strbuf *out)
{
    put_int(out, v);
}

int jsontext_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t k = utf8_len(p, end);
        if (!k)
            return 0;
        p += k;
    }
    return 1;
}

void jsontext_dump(const json_t *v, strbuf *out, int flags)
{
    if (!v) {
        strbuf_addstr(out, "null");
        return;
    }
    dump(v, out, flags, 0);
}
