/* Unit tests: jsontext (the JSON reader and writer). */
#include "jsontext.h"
#include "strbuf.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Parses in (strlen) and returns the compact dump, or "ERR: <message>". */
static char *rt(const char *in)
{
    static char buf[4096];
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    json_t *v = jsontext_parse(in, strlen(in), &err);
    if (v)
        jsontext_dump(v, &out, 0);
    else
        strbuf_addf(&out, "ERR: %s", err.buf);
    snprintf(buf, sizeof buf, "%s", out.buf);
    json_decref(v);
    strbuf_release(&err);
    strbuf_release(&out);
    return buf;
}

static void test_values(void)
{
    CHECK_STR(rt("null"), "null");
    CHECK_STR(rt("true"), "true");
    CHECK_STR(rt(" false "), "false");
    CHECK_STR(rt("0"), "0");
    CHECK_STR(rt("-0"), "0");
    CHECK_STR(rt("-0.0"), "-0.0");
    CHECK_STR(rt("42"), "42");
    CHECK_STR(rt("-17"), "-17");
    CHECK_STR(rt("3.0"), "3.0");
    CHECK_STR(rt("1E2"), "100.0"); /* plain notation in [1e-5, 1e16) */
    CHECK_STR(rt("1e3"), "1000.0");
    CHECK_STR(rt("1e16"), "1e+16");
    CHECK_STR(rt("1.5e-6"), "1.5e-06");
    CHECK_STR(rt("2.5e-3"), "0.0025");
    CHECK_STR(rt("1e-7"), "1e-07");
    CHECK_STR(rt("123456789012345678"), "123456789012345678");
    CHECK_STR(rt("9223372036854775807"), "9223372036854775807");
    CHECK_STR(rt("-9223372036854775808"), "-9223372036854775808");
    CHECK_STR(rt("\"\""), "\"\"");
    CHECK_STR(rt("\"h\\u00e9llo \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\""), "\"h\xc3\xa9llo \\\"q\\\" \\\\ / \\b\\f\\n\\r\\t\"");
    CHECK_STR(rt("[]"), "[]");
    CHECK_STR(rt("{}"), "{}");
    CHECK_STR(rt("[1,\"a\",null,[true,{}],{\"x\":[]}]"), "[1,\"a\",null,[true,{}],{\"x\":[]}]");
    /* key order kept; duplicate keys: last value wins at the first position */
    CHECK_STR(rt("{\"b\":1,\"a\":2,\"b\":3}"), "{\"b\":3,\"a\":2}");
    json_t *v = jsontext_parse("[3, 3.0]", 8, NULL);
    CHECK(json_is_integer(json_array_get(v, 0)));
    CHECK(json_is_real(json_array_get(v, 1)));
    json_decref(v);
    /* pretty */
    v = jsontext_parse("{\"a\":[1,2],\"b\":{}}", 18, NULL);
    strbuf out = STRBUF_INIT;
    jsontext_dump(v, &out, JSONTEXT_PRETTY);
    CHECK_STR(out.buf, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
    json_decref(v);
    strbuf_reset(&out);
    jsontext_dump(NULL, &out, 0);
    CHECK_STR(out.buf, "null");
    strbuf_release(&out);
}

static void test_nesting(void)
{
    strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 512; i++)
        strbuf_addstr(&sb, "[{\"k\":");
    strbuf_addstr(&sb, "1");
    for (int i = 0; i < 512; i++)
        strbuf_addstr(&sb, "}]");
    strbuf err = STRBUF_INIT;
    json_t *v = jsontext_parse(sb.buf, sb.len, &err);
    CHECK(v == NULL); /* 1024 levels */
    CHECK(strstr(err.buf, "nesting deeper than 512") != NULL);
    strbuf_reset(&sb);
    for (int i = 0; i < 512; i++)
        strbuf_addch(&sb, '[');
    for (int i = 0; i < 512; i++)
        strbuf_addch(&sb, ']');
    v = jsontext_parse(sb.buf, sb.len, &err);
    CHECK(v != NULL); /* exactly 512 is fine */
    json_decref(v);
    /* a million '[' must fail cleanly, not overflow the stack */
    strbuf_reset(&sb);
    for (int i = 0; i < 1000000; i++)
        strbuf_addch(&sb, '[');
    v = jsontext_parse(sb.buf, sb.len, &err);
    CHECK(v == NULL);
    CHECK_STR(err.buf, "line 1 column 513: nesting deeper than 512 levels");
    strbuf_release(&sb);
    strbuf_release(&err);
}

static void test_comments(void)
{
    CHECK_STR(rt("// lead\n/* block */ {/*a*/\"a\"/*b*/:/*c*/1/*d*/,//e\n\"b\"://f\n[/*g*/2/*h*/,3//i\n]}// tail"),
              "{\"a\":1,\"b\":[2,3]}");
    CHECK_STR(rt("{\"url\":\"http://x//y/*z*/\"}"), "{\"url\":\"http://x//y/*z*/\"}");
    CHECK_STR(rt("/**/1/***/"), "1");
    CHECK_STR(rt("1 // no newline at end"), "1");
    CHECK_STR(rt("/* a\n b */\n\n  x"), "ERR: line 4 column 3: value expected, got 'x'");
    CHECK_STR(rt("[1] /* open"), "ERR: line 1 column 5: unterminated comment");
    CHECK_STR(rt("[1] / 2"), "ERR: line 1 column 5: end of input expected after the value, got '/'");
}

static void test_errors(void)
{
    CHECK_STR(rt(""), "ERR: line 1 column 1: value expected, got end of input");
    CHECK_STR(rt("  \n "), "ERR: line 2 column 2: value expected, got end of input");
    CHECK_STR(rt("{\"a\":"), "ERR: line 1 column 6: value expected, got end of input");
    CHECK_STR(rt("{\"a\" 1}"), "ERR: line 1 column 6: ':' expected after object key, got '1'");
    CHECK_STR(rt("{a:1}"), "ERR: line 1 column 2: string key expected, got 'a'");
    CHECK_STR(rt("{'a':1}"), "ERR: line 1 column 2: string key expected, got '''");
    CHECK_STR(rt("['a']"), "ERR: line 1 column 2: value expected, got '''");
    CHECK_STR(rt("{\"a\":1,}"), "ERR: line 1 column 8: trailing comma in object");
    CHECK_STR(rt("[1,\n 2,\n]"), "ERR: line 3 column 1: trailing comma in array");
    CHECK_STR(rt("[1 2]"), "ERR: line 1 column 4: ',' or ']' expected, got '2'");
    CHECK_STR(rt("{\"a\":1 \"b\":2}"), "ERR: line 1 column 8: ',' or '}' expected, got '\"'");
    CHECK_STR(rt("[1"), "ERR: line 1 column 3: unterminated array (opened at offset 0)");
    CHECK_STR(rt(" {\"a\":1"), "ERR: line 1 column 8: unterminated object (opened at offset 1)");
    CHECK_STR(rt("1 2"), "ERR: line 1 column 3: end of input expected after the value, got '2'");
    CHECK_STR(rt("tru"), "ERR: line 1 column 1: invalid literal (expected 'true')");
    CHECK_STR(rt("nul"), "ERR: line 1 column 1: invalid literal (expected 'null')");
    CHECK_STR(rt("falsey"), "ERR: line 1 column 6: end of input expected after the value, got 'y'");
    CHECK_STR(rt("01"), "ERR: line 1 column 1: invalid number: leading zero");
    CHECK_STR(rt("-01"), "ERR: line 1 column 1: invalid number: leading zero");
    CHECK_STR(rt("-"), "ERR: line 1 column 1: invalid number");
    CHECK_STR(rt("+1"), "ERR: line 1 column 1: value expected, got '+'");
    CHECK_STR(rt(".5"), "ERR: line 1 column 1: value expected, got '.'");
    CHECK_STR(rt("1."), "ERR: line 1 column 1: invalid number: digit expected after '.'");
    CHECK_STR(rt("1e+"), "ERR: line 1 column 1: invalid number: digit expected in exponent");
    CHECK_STR(rt("NaN"), "ERR: line 1 column 1: value expected, got 'N'");
    CHECK_STR(rt("\"abc"), "ERR: line 1 column 1: unterminated string");
    CHECK_STR(rt("[\"a\nb\"]"), "ERR: line 1 column 4: control character 0x0a in string");
    CHECK_STR(rt("\"\\x\""), "ERR: line 1 column 2: invalid escape: 'x' after '\\'");
    CHECK_STR(rt("\"\\u12\""), "ERR: line 1 column 2: invalid \\u escape");
    CHECK_STR(rt("\"\\u12G4\""), "ERR: line 1 column 2: invalid \\u escape");
    CHECK_STR(rt("\"\\"), "ERR: line 1 column 3: unterminated string");
    /* columns count characters, not bytes */
    CHECK_STR(rt("[\"\xc3\xa9\xc3\xa9\", x]"), "ERR: line 1 column 8: value expected, got 'x'");
    /* raw NUL byte */
    strbuf err = STRBUF_INIT;
    CHECK(jsontext_parse("[1,\0]", 5, &err) == NULL);
    CHECK_STR(err.buf, "line 1 column 4: value expected, got byte 0x00");
    CHECK(jsontext_parse("{\"a\":", 5, NULL) == NULL); /* err may be NULL */
    strbuf_release(&err);
}

static void test_unicode(void)
{
    CHECK_STR(rt("\"\\u00e9\\u20AC\""), "\"\xc3\xa9\xe2\x82\xac\"");
    CHECK_STR(rt("\"\\uD83D\\uDE00\""), "\"\xf0\x9f\x98\x80\"");
    CHECK_STR(rt("\"\xf0\x9f\x98\x80 raw\""), "\"\xf0\x9f\x98\x80 raw\"");
    CHECK_STR(rt("\"\\uD83D\""), "ERR: line 1 column 2: unpaired surrogate \\uD83D");
    CHECK_STR(rt("\"\\uD83Dx\""), "ERR: line 1 column 2: unpaired surrogate \\uD83D");
    CHECK_STR(rt("\"\\uD83D\\u0041\""), "ERR: line 1 column 2: unpaired surrogate \\uD83D");
    CHECK_STR(rt("\"ab\\uDE00\""), "ERR: line 1 column 4: unpaired surrogate \\uDE00");
    /* \u0000 is kept in values, refused in keys */
    json_t *v = jsontext_parse("\"a\\u0000b\"", 10, NULL);
    CHECK_INT(json_string_length(v), 3);
    json_decref(v);
    CHECK_STR(rt("\"a\\u0000b\""), "\"a\\u0000b\"");
    CHECK_STR(rt("{\"a\\u0000\":1}"), "ERR: line 1 column 2: NUL byte in object key not supported");
    /* escaped keys are decoded (and do not clash with the value's decoding) */
    CHECK_STR(rt("{\"k\\u0065y\":\"v\\u0061l\"}"), "{\"key\":\"val\"}");
    /* invalid UTF-8: stray continuation, overlong, surrogate, > U+10FFFF, truncated */
    CHECK_STR(rt("\"a\x80\""), "ERR: line 1 column 3: invalid UTF-8 in string");
    CHECK_STR(rt("\"\xc0\xaf\""), "ERR: line 1 column 2: invalid UTF-8 in string");
    CHECK_STR(rt("\"\xe0\x80\xaf\""), "ERR: line 1 column 2: invalid UTF-8 in string");
    CHECK_STR(rt("\"\xed\xa0\x80\""), "ERR: line 1 column 2: invalid UTF-8 in string");
    CHECK_STR(rt("\"\xf4\x90\x80\x80\""), "ERR: line 1 column 2: invalid UTF-8 in string");
    CHECK_STR(rt("\"\xe2\x82\""), "ERR: line 1 column 2: invalid UTF-8 in string");
    CHECK_STR(rt("{\"\xff\":1}"), "ERR: line 1 column 3: invalid UTF-8 in string");
    /* long strings take the 8-bytes-at-a-time path */
    CHECK_STR(rt("\"0123456789abcdef0123456789\\\"abcdef\xc3\xa9xyz\""),
              "\"0123456789abcdef0123456789\\\"abcdef\xc3\xa9xyz\"");
    CHECK_STR(rt("\"0123456789abcdef\x01xyz\""), "ERR: line 1 column 18: control character 0x01 in string");
}

static void test_numbers(void)
{
    /* integers beyond json_int_t become reals (jansson refused them) */
    json_t *v = jsontext_parse("9223372036854775808", 19, NULL);
    CHECK(json_is_real(v) && json_real_value(v) == 9223372036854775808.0);
    json_decref(v);
    v = jsontext_parse("-9223372036854775809", 20, NULL);
    CHECK(json_is_real(v) && json_real_value(v) == -9223372036854775808.0);
    json_decref(v);
    CHECK_STR(rt("123456789012345678901234567890"), "1.2345678901234568e+29");
    CHECK_STR(rt("1e400"), "ERR: line 1 column 1: real number overflow");
    CHECK_STR(rt("[-1e400]"), "ERR: line 1 column 2: real number overflow");
    CHECK_STR(rt("1e-400"), "0.0"); /* underflow is not an error (as in jansson) */
    /* a long token takes the malloc'd strtod path */
    strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "0.");
    for (int i = 0; i < 100; i++)
        strbuf_addch(&sb, '1');
    CHECK_STR(rt(sb.buf), "0.1111111111111111");
    strbuf_release(&sb);
    CHECK_STR(rt("[0.1,0.2,0.30000000000000004,1e21,1e22,1e23,-1.5e-300,5e-324,1.7976931348623157e308]"),
              "[0.1,0.2,0.30000000000000004,1e+21,1e+22,1e+23,-1.5e-300,5e-324,1.7976931348623157e+308]");
    CHECK_STR(rt("[1234.56,899.0,12.5,100.0,0.0001,0.00001,123456789012345.0,1234567890123456.0]"),
              "[1234.56,899.0,12.5,100.0,0.0001,0.00001,123456789012345.0,1234567890123456.0]");
}

/* The reference formatter: the first "%.Pg" that reads back, laid out with
 * "%.Nf" when the first digit's exponent is in [-5, 16), ".0" added when it
 * looks like an integer. */
static void old_real(double d, strbuf *out)
{
    char tmp[400], e[40];
    int prec = 0;
    if (!isfinite(d)) {
        strbuf_addstr(out, "null");
        return;
    }
    do
        snprintf(tmp, sizeof tmp, "%.*g", ++prec, d);
    while (prec < 17 && strtod(tmp, NULL) != d);
    snprintf(e, sizeof e, "%.*e", prec - 1, d);
    int x = atoi(strchr(e, 'e') + 1);
    if (x >= -5 && x < 16) {
        int dec = prec - 1 - x;
        snprintf(tmp, sizeof tmp, "%.*f", dec > 0 ? dec : 0, d);
        if (strchr(tmp, '.')) {
            size_t n = strlen(tmp);
            while (tmp[n - 1] == '0')
                tmp[--n] = '\0';
            if (tmp[n - 1] == '.')
                tmp[--n] = '\0';
        }
    }
    strbuf_addf(out, "%s%s", tmp, strpbrk(tmp, ".eEn") ? "" : ".0");
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Reals are read to the same double as strtod reads them, bit for bit:
 * random decimals around the edges of the reader's fast path (digits up to
 * 2^53 and beyond, exponents within +-22 and beyond) and a few chosen
 * ones. */
static void test_real_read(void)
{
    static const char *const chosen[] = { "9007199254740992.0", "9007199254740993.0", "9007199254740993e1",
                                          "1e22", "1e23", "4.35679e-22", "-0.0", "0.1e-22", "123456789012345678e-5",
                                          "8.98846567431158e307", "2.2250738585072011e-308", "1.5e+3", "7E-10" };
    strbuf t = STRBUF_INIT;
    int bad = 0;
    uint64_t seed = 0x9E3779B97F4A7C15ULL; /* its own: the other tests' documents stay as they were */
#define NEXT() (seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17)
    for (int i = 0; i < 200000 && bad < 5; i++) {
        strbuf_reset(&t);
        if (i < (int)(sizeof chosen / sizeof *chosen)) {
            strbuf_addstr(&t, chosen[i]);
        } else {
            uint64_t r = NEXT();
            if (r & 1)
                strbuf_addch(&t, '-');
            int ndig = 1 + (int)((r >> 1) % 20), point = (int)((r >> 6) % (unsigned)(ndig + 1));
            strbuf_addch(&t, (char)('1' + (r >> 11) % 9));
            for (int d = 1; d < ndig; d++) {
                if (d == point)
                    strbuf_addch(&t, '.');
                strbuf_addch(&t, (char)('0' + NEXT() % 10));
            }
            if ((r >> 16) % 3 == 0)
                strbuf_addf(&t, "e%d", (int)((r >> 20) % 61) - 30);
        }
        json_t *v = jsontext_parse(t.buf, t.len, NULL);
        double want = strtod(t.buf, NULL);
        int same = v && (json_is_real(v) ? memcmp(&(double){ json_real_value(v) }, &want, sizeof want) == 0
                                         : (double)json_integer_value(v) == want);
        if (!same) {
            bad++;
            fprintf(stderr, "    %s: read %.17g, strtod %.17g\n", t.buf, v ? json_number_value(v) : 0.0, want);
        }
        json_decref(v);
    }
#undef NEXT
    CHECK_INT(bad, 0);
    strbuf_release(&t);
}

static void test_real_format(void)
{
    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    int bad = 0;
    for (int i = 0; i < 300000 && bad < 5; i++) {
        double d;
        switch (i % 4) {
        case 0: { /* any bit pattern */
            uint64_t u = next();
            memcpy(&d, &u, 8);
            break;
        }
        case 1: /* short decimals, all magnitudes */
            d = (double)(next() % 100000) / pow(10, (double)(next() % 30)) * pow(10, (double)(next() % 30));
            break;
        case 2: /* money-like */
            d = (double)(next() % 10000000) / 100.0;
            break;
        default: /* integers and their neighbours */
            d = nextafter((double)(next() % 1000000000000000000ULL), (next() & 1) ? INFINITY : 0);
            if (next() & 1)
                d = -d;
        }
        strbuf_reset(&a);
        strbuf_reset(&b);
        jsontext_dump_real(d, &a);
        old_real(d, &b);
        if (strcmp(a.buf, b.buf)) {
            bad++;
            fprintf(stderr, "real %.17g: got %s want %s\n", d, a.buf, b.buf);
        }
        /* and it reads back to the same double */
        json_t *v = jsontext_parse(a.buf, a.len, NULL);
        if (isfinite(d) && !(v && json_is_real(v) && json_real_value(v) == d))
            bad++;
        json_decref(v);
    }
    CHECK_INT(bad, 0);
    strbuf_reset(&a);
    jsontext_dump_real(NAN, &a);
    CHECK_STR(a.buf, "null");
    strbuf_release(&a);
    strbuf_release(&b);
}

/* Checks a parse's result (v, or the error in err) dumps as want; takes v. */
static void check_parsed(json_t *v, strbuf *err, const char *want)
{
    strbuf out = STRBUF_INIT;
    if (v)
        jsontext_dump(v, &out, 0);
    else
        strbuf_addf(&out, "ERR: %s", err->buf);
    CHECK_STR(out.buf, want);
    json_decref(v);
    strbuf_release(err);
    strbuf_release(&out);
}

/* The shallow parse: deep containers are checked, not built. */
static void shallow(const char *in, int depth, const char *want)
{
    strbuf err = STRBUF_INIT;
    check_parsed(jsontext_parse_shallow(in, strlen(in), depth, &err), &err, want);
}

static void test_shallow(void)
{
    const char *order = "{\"pk\":7,\"number\":\"A\",\"customer\":{\"name\":\"x\",\"address\":{\"city\":\"y\"}},"
                        "\"orderitem_set\":[{\"pk\":71,\"product\":{\"sku\":\"S\",\"tags\":[1,2]}},{\"pk\":72}]}";
    shallow(order, 3, "{\"pk\":7,\"number\":\"A\",\"customer\":{\"name\":\"x\",\"address\":{\"city\":\"y\"}},"
                      "\"orderitem_set\":[{\"pk\":71,\"product\":null},{\"pk\":72}]}");
    shallow(order, 2, "{\"pk\":7,\"number\":\"A\",\"customer\":{\"name\":\"x\",\"address\":null},"
                      "\"orderitem_set\":[null,null]}");
    shallow(order, 1, "{\"pk\":7,\"number\":\"A\",\"customer\":null,\"orderitem_set\":null}");
    shallow("[[[1]],2]", 2, "[[null],2]");
    /* an error inside a skipped part still fails, with the same message and
     * place as the full parse gives */
    const char *bad[] = { "{\"a\":{\"b\":[1,}}", "{\"a\":{\"b\" 1}}", "{\"a\":{}} x", "{\"a\":[\"\\q\"]}",
                          "{\"a\":{\"b\":tru}}", "{\"a\":[01]}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT;
        json_t *a = jsontext_parse(bad[i], strlen(bad[i]), &e1);
        json_t *b = jsontext_parse_shallow(bad[i], strlen(bad[i]), 1, &e2);
        CHECK(a == NULL && b == NULL);
        CHECK_STR(e2.buf, e1.buf);
        strbuf_release(&e1);
        strbuf_release(&e2);
    }
}

/* The pick parse: top-level scalars plus one member built deeper. */
static void pick_fields(const char *in, int depth, const char *key, int key_depth, const char *const *fields,
                        const char *want)
{
    strbuf err = STRBUF_INIT;
    check_parsed(jsontext_parse_pick(in, strlen(in), depth, key, key_depth, fields, &err), &err, want);
}

static void pick(const char *in, int depth, const char *key, int key_depth, const char *want)
{
    pick_fields(in, depth, key, key_depth, NULL, want);
}

static void test_pick(void)
{
    const char *order = "{\"pk\":7,\"number\":\"A\",\"customer\":{\"name\":\"x\",\"address\":{\"city\":\"y\"}},"
                        "\"orderitem_set\":[{\"pk\":71,\"product\":{\"sku\":\"S\",\"tags\":[1,2]}},{\"pk\":72}]}";
    /* the writer's view: scalars, and the items with their scalars */
    pick(order, 1, "orderitem_set", 3,
         "{\"pk\":7,\"number\":\"A\",\"customer\":null,\"orderitem_set\":[{\"pk\":71,\"product\":null},{\"pk\":72}]}");
    pick(order, 1, "orderitem_set", 0, "{\"pk\":7,\"number\":\"A\",\"customer\":null,\"orderitem_set\":null}");
    pick(order, 2, "customer", 4,
         "{\"pk\":7,\"number\":\"A\",\"customer\":{\"name\":\"x\",\"address\":{\"city\":\"y\"}},"
         "\"orderitem_set\":[null,null]}");
    /* no such member: the shallow parse */
    pick(order, 1, "nothing", 9, "{\"pk\":7,\"number\":\"A\",\"customer\":null,\"orderitem_set\":null}");
    /* only a top-level member is picked, and keys are compared decoded */
    pick("{\"a\":{\"items\":[1]},\"it\\u0065ms\":[[2]]}", 1, "items", 3, "{\"a\":null,\"items\":[[2]]}");
    /* a top-level array has no members to pick */
    pick("[{\"items\":[1]}]", 1, "items", 3, "[null]");
    /* errors in the parts left out still fail, as in the full parse */
    pick("{\"items\":[1],\"b\":{\"c\":[1,]}}", 1, "items", 3,
         "ERR: line 1 column 26: trailing comma in array");

    /* only the named members of the picked list's objects: the writer's
     * item pks, the reader's list ids (escaped keys compared decoded) */
    const char *pk[] = { "pk", NULL }, *ids[] = { "pk", "id", NULL };
    pick_fields(order, 1, "orderitem_set", 3, pk,
                "{\"pk\":7,\"number\":\"A\",\"customer\":null,\"orderitem_set\":[{\"pk\":71},{\"pk\":72}]}");
    pick_fields("{\"count\":2,\"results\":[{\"id\":1,\"name\":\"x\",\"p\\u006b\":5},{\"name\":\"y\"}]}", 2,
                "results", 3, ids, "{\"count\":2,\"results\":[{\"id\":1,\"pk\":5},{}]}");
    /* only the objects at level key_depth are filtered */
    pick_fields("{\"r\":[{\"pk\":1,\"x\":{\"pk\":2,\"y\":3}}]}", 1, "r", 4, pk,
                "{\"r\":[{\"pk\":1,\"x\":{\"pk\":2}}]}");
    /* errors in a member left out still fail, as in the full parse */
    pick_fields("{\"orderitem_set\":[{\"pk\":1,\"x\":[1,]}]}", 1, "orderitem_set", 3, pk,
                "ERR: line 1 column 34: trailing comma in array");
    pick_fields("{\"orderitem_set\":[{\"pk\":1,\"x\" 2}]}", 1, "orderitem_set", 3, pk,
                "ERR: line 1 column 31: ':' expected after object key, got '2'");
    pick("{\"orderitem_set\":[{\"pk\":1,\"x\":[1,]}]}", 0, NULL, 0, "ERR: line 1 column 34: trailing comma in array");
}

/* A filter for the filtered parse: a node is a NULL-terminated list of
 * "key" (built whole) or "key>" (its members filtered by the next node);
 * "#n" names array element n. */
typedef struct fnode {
    const char *keys[6];
    const struct fnode *sub;
} fnode;

static const void *test_filter(const void *node, const char *key, size_t klen, size_t index, void *ctx)
{
    const fnode *n = node;
    char buf[32];
    int *calls = ctx;
    (*calls)++;
    if (!key) {
        klen = (size_t)snprintf(buf, sizeof buf, "#%zu", index);
        key = buf;
    }
    for (int i = 0; n->keys[i]; i++) {
        size_t l = strlen(n->keys[i]);
        int deeper = n->keys[i][l - 1] == '>';
        if (l - (size_t)deeper == klen && !memcmp(n->keys[i], key, klen))
            return deeper ? (const void *)n->sub : JSONTEXT_BUILD_ALL;
    }
    return NULL;
}

static void filtered(const char *in, const fnode *root, const char *want)
{
    strbuf err = STRBUF_INIT;
    int calls = 0;
    check_parsed(jsontext_parse_filtered(in, strlen(in), test_filter, root, &calls, &err), &err, want);
}

static void test_filtered(void)
{
    const char *order = "{\"pk\":7,\"number\":\"A\",\"customer\":{\"name\":\"x\",\"address\":{\"city\":\"y\"}},"
                        "\"items\":[{\"pk\":71,\"product\":{\"sku\":\"S\",\"tags\":[1,2]}},{\"pk\":72}]}";
    fnode item = { { "product", NULL }, NULL };
    fnode items = { { "#1", "#0>", NULL }, &item };
    fnode root = { { "number", "items>", NULL }, &items };
    /* members not asked for are left out; array elements keep their places */
    filtered(order, &root, "{\"number\":\"A\",\"items\":[{\"product\":{\"sku\":\"S\",\"tags\":[1,2]}},{\"pk\":72}]}");
    fnode none = { { NULL }, NULL };
    filtered(order, &none, "{}");
    filtered("[1,[2],{\"a\":3}]", &none, "[null,null,null]");
    /* NULL root: everything, and the filter is never asked */
    int calls = 0;
    json_t *v = jsontext_parse_filtered(order, strlen(order), test_filter, NULL, &calls, NULL);
    CHECK(v && json_object_size(v) == 4 && calls == 0);
    json_decref(v);
    /* a scalar top value, and keys compared decoded */
    filtered("5", &none, "5");
    fnode esc = { { "items", NULL }, NULL };
    filtered("{\"it\\u0065ms\":[1],\"x\":2}", &esc, "{\"items\":[1]}");
    /* the parts left out are checked as the full parse checks them: same
     * message, same place, NUL keys included */
    const char *bad[] = { "{\"a\":{\"b\":[1,}}", "{\"a\":{\"b\" 1}}", "{\"a\":{}} x", "{\"a\":[\"\\q\"]}",
                          "{\"a\":{\"b\":tru}}", "{\"a\":[01]}", "{\"a\":{\"\\u0000\":1}}", "{\"a\":1e999}",
                          "{\"a\":\"\xff\"}", "[1,2,]" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT;
        json_t *a = jsontext_parse(bad[i], strlen(bad[i]), &e1);
        json_t *b = jsontext_parse_filtered(bad[i], strlen(bad[i]), test_filter, &none, &calls, &e2);
        CHECK(a == NULL && b == NULL);
        CHECK_STR(e2.buf, e1.buf);
        strbuf_release(&e1);
        strbuf_release(&e2);
    }
}

/* Nesting around the depth limit inside parts a filtered parse leaves out:
 * the same verdict and message as the full parse. */
static void test_filtered_depth(void)
{
    static const fnode none = { { NULL }, NULL };
    for (int n = 500; n < 520; n++) {
        strbuf doc = STRBUF_INIT, e1 = STRBUF_INIT, e2 = STRBUF_INIT;
        int calls = 0;
        strbuf_addstr(&doc, "{\"a\":");
        for (int i = 0; i < n; i++)
            strbuf_addch(&doc, i % 2 ? '[' : '{'), i % 2 ? (void)0 : strbuf_addstr(&doc, "\"k\":");
        for (int i = n - 1; i >= 0; i--)
            strbuf_addch(&doc, i % 2 ? ']' : '}');
        strbuf_addch(&doc, '}');
        json_t *v = jsontext_parse(doc.buf, doc.len, &e1);
        json_t *f = jsontext_parse_filtered(doc.buf, doc.len, test_filter, &none, &calls, &e2);
        CHECK((v == NULL) == (f == NULL));
        CHECK_STR(e2.buf, e1.buf);
        json_decref(v);
        json_decref(f);
        strbuf_release(&doc);
        strbuf_release(&e1);
        strbuf_release(&e2);
    }
}

/* Strings and whitespace of every length around the 16-byte blocks the
 * scanner and the writer look at, with the special byte at each place. */
static void test_block_edges(void)
{
    const char *specials[] = { "\\\"", "\\n", "\xc3\xa9", "\\u00e9" };
    for (int len = 0; len < 40; len++) {
        for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
            for (int at = 0; at <= len; at += (len > 8 ? 7 : 1)) {
                strbuf in = STRBUF_INIT, want = STRBUF_INIT, err = STRBUF_INIT, out = STRBUF_INIT;
                strbuf_addch(&in, '"');
                strbuf_addch(&want, '"');
                for (int i = 0; i < len; i++) {
                    if (i == at) {
                        strbuf_addstr(&in, specials[k]);
                        strbuf_addstr(&want, k == 3 ? "\xc3\xa9" : specials[k]);
                    }
                    strbuf_addch(&in, (char)('a' + i % 26));
                    strbuf_addch(&want, (char)('a' + i % 26));
                }
                strbuf_addch(&in, '"');
                strbuf_addch(&want, '"');
                /* whitespace runs of every length before and after */
                strbuf pad = STRBUF_INIT;
                for (int i = 0; i < len; i++)
                    strbuf_addch(&pad, " \n\t\r"[i % 4]);
                strbuf doc = STRBUF_INIT;
                strbuf_addf(&doc, "%s[%s%s]%s", pad.buf, in.buf, pad.buf, pad.buf);
                json_t *v = jsontext_parse(doc.buf, doc.len, &err);
                CHECK(v != NULL);
                if (v)
                    jsontext_dump(json_array_get(v, 0), &out, 0);
                CHECK_STR(out.buf, want.buf);
                json_decref(v);
                /* a control byte inside is refused wherever it is */
                strbuf_setlen(&in, in.len - 1);
                strbuf_addstr(&in, "\x01\"");
                v = jsontext_parse(in.buf, in.len, NULL);
                CHECK(v == NULL);
                strbuf_release(&in);
                strbuf_release(&want);
                strbuf_release(&err);
                strbuf_release(&out);
                strbuf_release(&pad);
                strbuf_release(&doc);
            }
        }
    }
}

static void test_roundtrip_text(void)
{
    const char *doc = "{\"id\":\"SO-1\",\"n\":3,\"x\":-2.5,\"ok\":true,\"nil\":null,\"items\":[{\"q\":1,\"tags\":[\"a\",\"b\"]}],"
                      "\"s\":\"tab\\there \\u0001 \\\"quoted\\\" caf\xc3\xa9\"}";
    CHECK_STR(rt(doc), doc);
    strbuf err = STRBUF_INIT;
    json_t *v = jsontext_parse(doc, strlen(doc), &err), *w;
    strbuf out = STRBUF_INIT;
    jsontext_dump(v, &out, JSONTEXT_PRETTY);
    w = jsontext_parse(out.buf, out.len, &err);
    CHECK(w && json_equal(v, w));
    json_decref(v);
    json_decref(w);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* ------------------------------------------------------------ minify */

/* Minifies in (n bytes) and returns the text, or "ERR: <message>". */
static char *mini_n(const char *in, size_t n)
{
    static char buf[4096];
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    if (jsontext_minify(in, n, &out, NULL, &err) == 0)
        snprintf(buf, sizeof buf, "%s", out.buf);
    else
        snprintf(buf, sizeof buf, "ERR: %s", err.buf);
    strbuf_release(&err);
    strbuf_release(&out);
    return buf;
}

static char *mini(const char *in)
{
    return mini_n(in, strlen(in));
}

/* in (n bytes) is valid: its minified text parses to the value in parses to,
 * is its own minified text, and has no whitespace outside strings. */
static int same_value(const char *in, size_t n)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT, again = STRBUF_INIT;
    json_t *a = jsontext_parse(in, n, &err);
    int ok = a && jsontext_minify(in, n, &out, NULL, &err) == 0;
    json_t *b = ok ? jsontext_parse(out.buf, out.len, &err) : NULL;
    ok = ok && b && json_equal(a, b) && jsontext_minify(out.buf, out.len, &again, NULL, &err) == 0 &&
         again.len == out.len && memcmp(again.buf, out.buf, out.len) == 0;
    int in_str = 0;
    for (size_t i = 0; ok && i < out.len; i++) {
        char c = out.buf[i];
        if (in_str && c == '\\')
            i++;
        else if (c == '"')
            in_str = !in_str;
        else if (!in_str && (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '/'))
            ok = 0;
    }
    if (!ok)
        fprintf(stderr, "    not the same value: %.*s -> %s\n", (int)n, in, out.buf);
    json_decref(a);
    json_decref(b);
    strbuf_release(&err);
    strbuf_release(&out);
    strbuf_release(&again);
    return ok;
}

static void test_minify(void)
{
    static const char *docs[] = {
        "null", "true", " false ", "0", "-0", "-0.0", "42", "3.0", "1E2", "1e16", "1.5e-6", "2.50",
        "123456789012345678", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "123456789012345678901234567890", "1e-400", "1.7976931348623157e308", "\"\"",
        "\"h\\u00e9llo \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"", "\"\\uD83D\\uDE00\"", "\"\xf0\x9f\x98\x80 raw\"",
        "\"a\\u0000b\"", "{\"k\\u0065y\":\"v\\u0061l\"}", "[]", "{}", " [ ] ", "{ }",
        "[1,\"a\",null,[true,{}],{\"x\":[]}]", "{\"b\":1,\"a\":2,\"b\":3}",
        "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}",
        "// lead\n/* block */ {/*a*/\"a\"/*b*/:/*c*/1/*d*/,//e\n\"b\"://f\n[/*g*/2/*h*/,3//i\n]}// tail",
        "{\"url\":\"http://x//y/*z*/\"}", "/**/1/***/", "1 // no newline at end",
        "\"0123456789abcdef0123456789\\\"abcdef\xc3\xa9xyz\"",
        "[0.1,0.2,0.30000000000000004,1e21,1e22,1e23,-1.5e-300,5e-324,1.7976931348623157e308]",
        "{\"id\":\"SO-1\",\"n\":3,\"x\":-2.5,\"ok\":true,\"nil\":null,\"items\":[{\"q\":1,\"tags\":[\"a\",\"b\"]}],"
        "\"s\":\"tab\\there \\u0001 \\\"quoted\\\" caf\xc3\xa9\"}",
        "\t{ \"pk\" : 7 ,\r\n \"lines\" : [ { \"sku\" : \"A B\" , \"q\" : 1.50 } , { } ] } \n",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        CHECK(same_value(docs[i], strlen(docs[i])));
    /* whitespace and comments go, strings and numbers stay as written */
    CHECK_STR(mini("\t{ \"pk\" : 7 ,\r\n \"lines\" : [ { \"sku\" : \"A B\" , \"q\" : 1.50 } , { } ] } \n"),
              "{\"pk\":7,\"lines\":[{\"sku\":\"A B\",\"q\":1.50},{}]}");
    CHECK_STR(mini("// lead\n/* block */ {/*a*/\"a\"/*b*/:/*c*/1/*d*/,//e\n\"b\"://f\n[/*g*/2/*h*/,3//i\n]}// tail"),
              "{\"a\":1,\"b\":[2,3]}");
    CHECK_STR(mini("{\"url\": \"http://x//y/*z*/ \\u00e9\\/\"}"), "{\"url\":\"http://x//y/*z*/ \\u00e9\\/\"}");
    CHECK_STR(mini("[1E2, -0, 2.50e+1]"), "[1E2,-0,2.50e+1]");
    CHECK_STR(mini("  \"x\"  "), "\"x\"");
    CHECK_STR(mini("/**/1/***/"), "1");
    /* appends to what out holds */
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addstr(&out, "keep:");
    CHECK_INT(jsontext_minify(" [ 1 ] ", 7, &out, NULL, &err), 0);
    CHECK_STR(out.buf, "keep:[1]");
    CHECK_INT(out.len, 8);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* Every input jsontext_parse refuses, minify refuses with the same message,
 * leaving out as it was. */
static void test_minify_errors(void)
{
    static const char *bad[] = {
        "", "  \n ", "{\"a\":", "{\"a\" 1}", "{a:1}", "{'a':1}", "['a']", "{\"a\":1,}", "[1,\n 2,\n]", "[1 2]",
        "{\"a\":1 \"b\":2}", "[1", " {\"a\":1", "1 2", "tru", "nul", "falsey", "01", "-01", "-", "+1", ".5", "1.",
        "1e+", "NaN", "\"abc", "[\"a\nb\"]", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\", "[\"\xc3\xa9\xc3\xa9\", x]",
        "/* a\n b */\n\n  x", "[1] /* open", "[1] / 2", "\"\\uD83D\"", "\"\\uD83Dx\"", "\"\\uD83D\\u0041\"",
        "\"ab\\uDE00\"", "{\"a\\u0000\":1}", "{\"b\":[{\"a\\u0000\":1}]}", "\"a\x80\"", "\"\xc0\xaf\"",
        "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "{\"\xff\":1}",
        "\"0123456789abcdef\x01xyz\"", "1e400", "[-1e400]", "[1,2", "{\"a\":{\"b\":[1,}}", "{\"a\":[01]}",
        "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
        "901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456"
        "78901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "0.5e309", "{\"a\\u0000b\":1} // NUL key first",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT, out = STRBUF_INIT;
        strbuf_addstr(&out, "keep");
        json_t *v = jsontext_parse(bad[i], strlen(bad[i]), &e1);
        CHECK(v == NULL);
        CHECK_INT(jsontext_minify(bad[i], strlen(bad[i]), &out, NULL, &e2), -1);
        CHECK_STR(e2.buf, e1.buf);
        CHECK_STR(out.buf, "keep");
        json_decref(v);
        strbuf_release(&e1);
        strbuf_release(&e2);
        strbuf_release(&out);
    }
    CHECK_STR(mini_n("[1,\0]", 5), "ERR: line 1 column 4: value expected, got byte 0x00");
    CHECK_STR(mini("1e400"), "ERR: line 1 column 1: real number overflow");
    CHECK_STR(mini("{\"a\\u0000\":1}"), "ERR: line 1 column 2: NUL byte in object key not supported");
    /* near the limit: fine */
    CHECK_STR(mini("[9e307,1e308,-1.7976931348623157e308,1.5e308,0.000001e313,1e-99999999999]"),
              "[9e307,1e308,-1.7976931348623157e308,1.5e308,0.000001e313,1e-99999999999]");
    /* around DBL_MAX, where only strtod can tell */
    CHECK_STR(mini("[2e308]"), "ERR: line 1 column 2: real number overflow");
    CHECK_STR(mini("17976931348623159e292"), "ERR: line 1 column 1: real number overflow");
    CHECK_STR(mini("17976931348623157e292"), "17976931348623157e292");
    strbuf big = STRBUF_INIT;
    strbuf_addch(&big, '1');
    for (int i = 0; i < 308; i++)
        strbuf_addch(&big, '0');
    CHECK(same_value(big.buf, big.len)); /* 1e308 as an integer */
    strbuf_addch(&big, '0');
    CHECK_STR(mini(big.buf), "ERR: line 1 column 1: real number overflow");
    strbuf_release(&big);
    strbuf out = STRBUF_INIT;
    CHECK_INT(jsontext_minify("{\"a\":", 5, &out, NULL, NULL), -1); /* err may be NULL */
    CHECK_INT(out.len, 0);
    strbuf_release(&out);
}

static void test_minify_nesting(void)
{
    strbuf sb = STRBUF_INIT, err = STRBUF_INIT, out = STRBUF_INIT;
    for (int i = 0; i < 512; i++)
        strbuf_addstr(&sb, "[{\"k\" :");
    strbuf_addstr(&sb, "1");
    for (int i = 0; i < 512; i++)
        strbuf_addstr(&sb, "}]");
    CHECK_INT(jsontext_minify(sb.buf, sb.len, &out, NULL, &err), -1); /* 1024 levels */
    CHECK_STR(err.buf, "line 1 column 1793: nesting deeper than 512 levels"); /* the 513th: the 257th '[' */
    strbuf_reset(&sb);
    for (int i = 0; i < 512; i++)
        strbuf_addstr(&sb, "[ ");
    for (int i = 0; i < 512; i++)
        strbuf_addstr(&sb, "] ");
    CHECK_INT(jsontext_minify(sb.buf, sb.len, &out, NULL, &err), 0); /* exactly 512 is fine */
    CHECK_INT(out.len, 1024);
    strbuf_reset(&sb);
    for (int i = 0; i < 1000000; i++)
        strbuf_addch(&sb, '[');
    CHECK_INT(jsontext_minify(sb.buf, sb.len, &out, NULL, &err), -1);
    CHECK_STR(err.buf, "line 1 column 513: nesting deeper than 512 levels");
    CHECK_INT(out.len, 1024);
    strbuf_release(&sb);
    strbuf_release(&err);
    strbuf_release(&out);
}

/* Minifies in and returns "<type> <found bits>", or "ERR". */
static char *top_of(const char *in)
{
    static const char *const keys[] = { "orderitem_set", "discountitem_set", NULL };
    static char buf[64];
    strbuf out = STRBUF_INIT;
    jsontext_top top = { keys, JSON_NULL, 99 };
    if (jsontext_minify(in, strlen(in), &out, &top, NULL) == 0)
        snprintf(buf, sizeof buf, "%d %u", (int)top.type, top.found);
    else
        snprintf(buf, sizeof buf, "ERR %u", top.found);
    strbuf_release(&out);
    return buf;
}

static void test_minify_top(void)
{
    char want[32];
#define TYPE(t, found) (snprintf(want, sizeof want, "%d %u", (int)(t), (unsigned)(found)), want)
    CHECK_STR(top_of("{}"), TYPE(JSON_OBJECT, 0));
    CHECK_STR(top_of(" {\"pk\":1,\"x\":{\"orderitem_set\":[]}} "), TYPE(JSON_OBJECT, 0)); /* nested: not top-level */
    CHECK_STR(top_of("{\"orderitem_set\":null}"), TYPE(JSON_OBJECT, 1));
    CHECK_STR(top_of("{\"a\":1, \"discountitem_set\" : [] }"), TYPE(JSON_OBJECT, 2));
    CHECK_STR(top_of("{\"discountitem_set\":1,\"orderitem_set\":2}"), TYPE(JSON_OBJECT, 3));
    CHECK_STR(top_of("{\"orderitem\\u005fset\":1}"), TYPE(JSON_OBJECT, 1)); /* escapes decoded */
    CHECK_STR(top_of("{\"orderitem_se\":1,\"orderitem_sets\":2,\"Orderitem_set\":3}"), TYPE(JSON_OBJECT, 0));
    CHECK_STR(top_of("{\"\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061"
                     "\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061"
                     "\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061"
                     "\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061"
                     "\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061\\u0061"
                     "\\u00e9\\u00e9\\u00e9\":1}"),
              TYPE(JSON_OBJECT, 0)); /* decodes past the key buffer */
    CHECK_STR(top_of("[{\"orderitem_set\":1}]"), TYPE(JSON_ARRAY, 0));
    CHECK_STR(top_of("\"orderitem_set\""), TYPE(JSON_STRING, 0));
    CHECK_STR(top_of("true"), TYPE(JSON_TRUE, 0));
    CHECK_STR(top_of("false"), TYPE(JSON_FALSE, 0));
    CHECK_STR(top_of("null"), TYPE(JSON_NULL, 0));
    CHECK_STR(top_of("-12"), TYPE(JSON_INTEGER, 0));
    CHECK_STR(top_of("9223372036854775807"), TYPE(JSON_INTEGER, 0));
    CHECK_STR(top_of("9223372036854775808"), TYPE(JSON_REAL, 0)); /* as jsontext_parse makes it */
    CHECK_STR(top_of("1.0"), TYPE(JSON_REAL, 0));
    CHECK_STR(top_of("[1.5]"), TYPE(JSON_ARRAY, 0));
    CHECK_STR(top_of("{\"orderitem_set\":1,}"), "ERR 0");
#undef TYPE
    /* keys may be NULL */
    jsontext_top top = { NULL, JSON_NULL, 0 };
    strbuf out = STRBUF_INIT;
    CHECK_INT(jsontext_minify("{\"a\":1}", 7, &out, &top, NULL), 0);
    CHECK(top.type == JSON_OBJECT && top.found == 0);
    strbuf_release(&out);
}

/* Random documents with random whitespace and comments, then random byte
 * edits of them: minify and parse agree on every one (same value when
 * valid, same message when not). */
static void gen(strbuf *sb, int depth)
{
    static const char *ws[] = { "", "", "", " ", "\n  ", "\t", "/*c*/", "// c\n", "\r\n" };
    static const char *atoms[] = { "0", "-1", "12.50", "1e3", "-2.5E-3", "true", "false", "null", "\"\"", "\"s p\"",
                                   "\"\\u00e9\\n\\\"\"", "\"\xc3\xa9\xe2\x82\xac\"", "\"\\uD83D\\uDE00\"",
                                   "98765432109876543210", "\"a\\u0000b\"" };
    strbuf_addstr(sb, ws[next() % 9]);
    unsigned r = (unsigned)(next() % 10);
    if (depth < 6 && r < 2) {
        int n = (int)(next() % 4);
        strbuf_addch(sb, '[');
        for (int i = 0; i < n; i++) {
            if (i)
                strbuf_addch(sb, ',');
            gen(sb, depth + 1);
        }
        strbuf_addstr(sb, ws[next() % 9]);
        strbuf_addch(sb, ']');
    } else if (depth < 6 && r < 4) {
        int n = (int)(next() % 4);
        strbuf_addch(sb, '{');
        for (int i = 0; i < n; i++) {
            if (i)
                strbuf_addch(sb, ',');
            strbuf_addstr(sb, ws[next() % 9]);
            strbuf_addf(sb, "\"k%d\\u0041\"", (int)(next() % 5));
            strbuf_addstr(sb, ws[next() % 9]);
            strbuf_addch(sb, ':');
            gen(sb, depth + 1);
        }
        strbuf_addstr(sb, ws[next() % 9]);
        strbuf_addch(sb, '}');
    } else {
        strbuf_addstr(sb, atoms[next() % 15]);
    }
    strbuf_addstr(sb, ws[next() % 9]);
}

/* One to three random edits of doc: a byte replaced by one that matters to
 * the grammar, or the text cut short. */
static void edit_randomly(strbuf *doc)
{
    static const char edits[] = "{}[]\",:\\/*\n 0-.eEu\x80\xc3\x01tfn";
    for (int k = (int)(next() % 3); k >= 0 && doc->len; k--) {
        size_t at = (size_t)(next() % doc->len);
        char ch = edits[next() % (sizeof edits - 1)];
        if (next() & 1)
            doc->buf[at] = ch;
        else
            strbuf_setlen(doc, at); /* truncate */
    }
}

static void test_minify_random(void)
{
    strbuf doc = STRBUF_INIT, e1 = STRBUF_INIT, e2 = STRBUF_INIT, out = STRBUF_INIT;
    int bad = 0, valid = 0, invalid = 0;
    for (int i = 0; i < 20000 && bad < 5; i++) {
        strbuf_reset(&doc);
        gen(&doc, 0);
        if (i % 2)
            edit_randomly(&doc);
        strbuf_reset(&e1);
        strbuf_reset(&e2);
        strbuf_reset(&out);
        json_t *v = jsontext_parse(doc.buf, doc.len, &e1);
        int rc = jsontext_minify(doc.buf, doc.len, &out, NULL, &e2);
        if (v) {
            valid++;
            if (rc != 0 || !same_value(doc.buf, doc.len))
                bad++;
        } else {
            invalid++;
            if (rc != -1 || strcmp(e1.buf, e2.buf) || out.len)
                bad++;
        }
        if (bad && (v != NULL) != (rc == 0))
            fprintf(stderr, "    disagree on %s: parse %s, minify %s\n", doc.buf, e1.buf, e2.buf);
        json_decref(v);
    }
    CHECK_INT(bad, 0);
    CHECK(valid > 5000 && invalid > 2000);
    strbuf_release(&doc);
    strbuf_release(&e1);
    strbuf_release(&e2);
    strbuf_release(&out);
}

/* Random documents, valid and edited: the parses that build only part of a
 * document (shallow, and filtered with nothing wanted, where every value
 * goes through the fast check) accept exactly what the full parse accepts
 * and fail with its message. */
static void test_skip_random(void)
{
    strbuf doc = STRBUF_INIT, e1 = STRBUF_INIT, e2 = STRBUF_INIT, e3 = STRBUF_INIT;
    int bad = 0, valid = 0, invalid = 0, calls = 0;
    static const fnode none = { { NULL }, NULL };
    for (int i = 0; i < 20000 && bad < 5; i++) {
        strbuf_reset(&doc);
        strbuf_addstr(&doc, "{\"k\":");
        gen(&doc, 0);
        strbuf_addch(&doc, '}');
        if (i % 2)
            edit_randomly(&doc);
        strbuf_reset(&e1);
        strbuf_reset(&e2);
        strbuf_reset(&e3);
        json_t *v = jsontext_parse(doc.buf, doc.len, &e1);
        json_t *f = jsontext_parse_filtered(doc.buf, doc.len, test_filter, &none, &calls, &e2);
        json_t *sh = jsontext_parse_shallow(doc.buf, doc.len, 1, &e3);
        if (v) {
            valid++;
            bad += !f;
        } else {
            invalid++;
            bad += f || strcmp(e1.buf, e2.buf);
            /* the shallow parse does not refuse NUL keys in what it skips */
            bad += sh && !strstr(e1.buf, "NUL byte");
            bad += !sh && strcmp(e1.buf, e3.buf);
        }
        if (bad)
            fprintf(stderr, "    disagree on %s: parse %s, filtered %s, shallow %s\n", doc.buf, e1.buf, e2.buf, e3.buf);
        json_decref(v);
        json_decref(f);
        json_decref(sh);
    }
    CHECK_INT(bad, 0);
    CHECK(valid > 5000 && invalid > 2000);
    strbuf_release(&doc);
    strbuf_release(&e1);
    strbuf_release(&e2);
    strbuf_release(&e3);
}

int main(void)
{
    RUN(test_values);
    RUN(test_nesting);
    RUN(test_comments);
    RUN(test_errors);
    RUN(test_unicode);
    RUN(test_numbers);
    RUN(test_real_read);
    RUN(test_real_format);
    RUN(test_roundtrip_text);
    RUN(test_shallow);
    RUN(test_pick);
    RUN(test_filtered);
    RUN(test_filtered_depth);
    RUN(test_block_edges);
    RUN(test_minify);
    RUN(test_minify_errors);
    RUN(test_minify_nesting);
    RUN(test_minify_top);
    RUN(test_minify_random);
    RUN(test_skip_random);
    return unit_done();
}
