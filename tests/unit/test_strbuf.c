/* Unit tests: strbuf, attrs, jsontext. */
#include "attrs.h"
#include "jsontext.h"
#include "strbuf.h"
#include "unit.h"

#include <stdlib.h>

static void test_strbuf_basics(void)
{
    strbuf sb = STRBUF_INIT;
    CHECK_STR(sb.buf, "");
    for (int i = 0; i < 1000; i++)
        strbuf_addch(&sb, 'a' + i % 26);
    CHECK_INT(sb.len, 1000);
    strbuf_reset(&sb);
    strbuf_addf(&sb, "%s-%d", "order", 42);
    CHECK_STR(sb.buf, "order-42");
    strbuf_add_json_escaped(&sb, "\"\n\x01", 3);
    CHECK_STR(sb.buf, "order-42\\\"\\n\\u0001");
    strbuf_reset(&sb);
    strbuf_add_urlencoded(&sb, "a b&c/é", 8);
    CHECK_STR(sb.buf, "a%20b%26c%2F%C3%A9");
    strbuf_setf(&sb, "  x y \n");
    strbuf_trim(&sb);
    CHECK_STR(sb.buf, "x y");
    size_t n;
    char *d = strbuf_detach(&sb, &n);
    CHECK_STR(d, "x y");
    CHECK_INT(n, 3);
    CHECK_STR(sb.buf, "");
    free(d);
    strbuf_release(&sb);
}

static void test_insert(void)
{
    strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "redis down");
    strbuf_insertstr(&sb, 0, "lease: ");
    CHECK_STR(sb.buf, "lease: redis down");
    strbuf_insertstr(&sb, 5, " of ORD-1");
    CHECK_STR(sb.buf, "lease of ORD-1: redis down");
    strbuf_insertstr(&sb, 999, "!");   /* past the end: appended */
    CHECK_STR(sb.buf, "lease of ORD-1: redis down!");
    CHECK_INT(sb.len, strlen(sb.buf));
    strbuf_release(&sb);
}

static void test_base64(void)
{
    /* RFC 4648 section 10 */
    const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    for (int i = 0; i < 7; i++) {
        strbuf sb = STRBUF_INIT;
        strbuf_add_base64(&sb, in[i], strlen(in[i]));
        CHECK_STR(sb.buf, want[i]);
        strbuf_release(&sb);
    }
    strbuf sb = STRBUF_INIT;
    strbuf_add_base64(&sb, "\xff\xfe\x00", 3);
    CHECK_STR(sb.buf, "//4A");
    strbuf_release(&sb);
}

static void test_attrs(void)
{
    attrs a = ATTRS_INIT, b = ATTRS_INIT;
    attrs_set(&a, "token.omnitron", "abc");
    attrs_set(&a, "log.x", "1");
    attrs_set(&a, "token.omnitron", "def");
    CHECK_INT(a.n, 2);
    CHECK_STR(attrs_get(&a, "token.omnitron"), "def");
    CHECK(attrs_get(&a, "missing") == NULL);
    attrs_copy(&b, &a);
    attrs_set(&a, "log.x", NULL);
    CHECK_INT(a.n, 1);
    CHECK_STR(attrs_get(&b, "log.x"), "1");
    CHECK_STR(b.keys[0], "token.omnitron");
    attrs_release(&a);
    attrs_release(&b);
}

static void roundtrip(const char *in, const char *want)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    json_t *v = jsontext_parse(in, strlen(in), &err);
    CHECK(v != NULL);
    jsontext_dump(v, &out, 0);
    CHECK_STR(out.buf, want);
    json_decref(v);
    strbuf_release(&err);
    strbuf_release(&out);
}

static void test_jsontext(void)
{
    roundtrip("{\"b\":1,\"a\":3.0,\"c\":0.1}", "{\"b\":1,\"a\":3.0,\"c\":0.1}");
    roundtrip("// c\n{\"url\":\"http://x//y\", /* k */ \"n\": [1, 2.5e10, -0.000123]} // end",
              "{\"url\":\"http://x//y\",\"n\":[1,25000000000.0,-0.000123]}");
    roundtrip("\"a\\u0000b\"", "\"a\\u0000b\"");
    strbuf err = STRBUF_INIT;
    CHECK(jsontext_parse("{\"a\":", 5, &err) == NULL);
    CHECK(strstr(err.buf, "line 1") != NULL);
    strbuf_release(&err);
}

int main(void)
{
    RUN(test_strbuf_basics);
    RUN(test_insert);
    RUN(test_base64);
    RUN(test_attrs);
    RUN(test_jsontext);
    return unit_done();
}
