/*
 * test_jolt.c: unit tests of engines/jolt (the Jolt transform engine).
 *
 * Each case is an inline (operation, spec, input, expected) quadruple in
 * JSON text, compared with int/double-aware equality (key order ignored by
 * OP, significant for ORD: the Java parity cases, whose expectations were
 * checked against the Java library itself).
 * Also covers compile errors with their spec paths, chains and ranges,
 * reuse of a compiled spec (no "#2" state leak), registered functions and
 * concurrent applies from several threads.
 */
#include <pthread.h>
#include <string.h>

#include "jolt.h"
#include "jolt_int.h"
#include "jsontext.h"
#include "same_json.h"
#include "unit.h"

static json_t *J(const char *text)
{
    strbuf err = STRBUF_INIT;
    json_t *v = jsontext_parse(text, strlen(text), &err);
    if (!v)
        fprintf(stderr, "bad test json: %s: %s\n", err.buf, text);
    strbuf_release(&err);
    return v;
}

static char *dump(const json_t *v)
{
    strbuf sb = STRBUF_INIT;
    if (v)
        jsontext_dump(v, &sb, 0);
    else
        strbuf_addstr(&sb, "(null)");
    return strbuf_detach(&sb, NULL);
}

static void check_op_as(int ordered, const char *op, const char *spec, const char *input, const char *ctx,
                        const char *want, int line)
{
    json_t *s = J(spec), *in = J(input), *c = ctx ? J(ctx) : NULL, *w = J(want);
    strbuf err = STRBUF_INIT;
    jolt_spec *js = op ? jolt_compile_op(op, s, &err) : jolt_compile(s, &err);
    json_t *out = js ? jolt_apply(js, in, c, &err) : NULL;
    int ok = out && (ordered ? same_json_ordered(w, out) : same_json(w, out));
    if (ok) {
        unit_passed++;
    } else {
        char *g = dump(out);
        unit_failed++;
        fprintf(stderr, "FAIL %s: line %d: %s\n    got:  %s\n    want: %s\n", unit_current, line,
                err.len ? err.buf : "", g, want);
        free(g);
    }
    json_decref(out);
    jolt_free(js);
    json_decref(s);
    json_decref(in);
    json_decref(c);
    json_decref(w);
    strbuf_release(&err);
}
#define OP(op, spec, in, want) check_op_as(0, op, spec, in, NULL, want, __LINE__)
#define OPC(op, spec, in, ctx, want) check_op_as(0, op, spec, in, ctx, want, __LINE__)
/* member order and number kind significant */
#define ORD(op, spec, in, want) check_op_as(1, op, spec, in, NULL, want, __LINE__)

/* The spec compiles but applying it fails, with err_part in the message. */
static void check_apply_fails(const char *op, const char *spec, const char *input, const char *err_part, int line)
{
    json_t *s = J(spec), *in = J(input);
    strbuf err = STRBUF_INIT;
    jolt_spec *js = op ? jolt_compile_op(op, s, &err) : jolt_compile(s, &err);
    json_t *out = js ? jolt_apply(js, in, NULL, &err) : NULL;
    if (js && !out && strstr(err.buf, err_part)) {
        unit_passed++;
    } else {
        char *g = dump(out);
        unit_failed++;
        fprintf(stderr, "FAIL %s: line %d: want a transform error containing '%s', got %s '%s'\n", unit_current,
                line, err_part, js ? g : "(spec error)", err.buf);
        free(g);
    }
    json_decref(out);
    jolt_free(js);
    json_decref(s);
    json_decref(in);
    strbuf_release(&err);
}
#define APPLY_FAILS(op, spec, in, part) check_apply_fails(op, spec, in, part, __LINE__)

static void check_bad(const char *op, const char *spec, const char *err_part, int line)
{
    json_t *s = J(spec);
    strbuf err = STRBUF_INIT;
    jolt_spec *js = op ? jolt_compile_op(op, s, &err) : jolt_compile(s, &err);
    if (!js && (!err_part || strstr(err.buf, err_part))) {
        unit_passed++;
    } else {
        unit_failed++;
        fprintf(stderr, "FAIL %s: line %d: want spec error containing '%s', got '%s'\n", unit_current, line,
                err_part ? err_part : "", js ? "(compiled)" : err.buf);
    }
    jolt_free(js);
    json_decref(s);
    strbuf_release(&err);
}
#define BAD(op, spec, part) check_bad(op, spec, part, __LINE__)

static void test_shift_basics(void)
{
    OP("shift", "{\"a\":\"b\"}", "{\"a\":1}", "{\"b\":1}");
    OP("shift", "{\"a\":\"\"}", "{\"a\":[1]}", "[1]");
    OP("shift", "{\"a\":[\"x\",\"y.z\"]}", "{\"a\":2.5}", "{\"x\":2.5,\"y\":{\"z\":2.5}}");
    OP("shift", "{\"*\":\"out.&\"}", "{\"p\":1,\"q\":true}", "{\"out\":{\"p\":1,\"q\":true}}");
    OP("shift", "{\"rating-*\":\"r.&(0,1)\"}", "{\"rating-a\":1,\"other\":2}", "{\"r\":{\"a\":1}}");
    OP("shift", "{\"a*c*e\":\"&(0,2)-&(0,1)\"}", "{\"abcde\":1}", "{\"d-b\":1}");
    OP("shift", "{\"a|b\":\"x\"}", "{\"a\":1,\"b\":2}", "{\"x\":[1,2]}");
    OP("shift", "{\"*\":{\"$\":\"keys[]\"}}", "{\"k1\":{},\"k2\":{}}", "{\"keys\":[\"k1\",\"k2\"]}");
    OP("shift", "{\"a\":{\"#lit\":\"x\"}}", "{\"a\":5}", "{\"x\":\"lit\"}");
    OP("shift", "{\"a\":{\"@\":\"copy\",\"b\":\"b\"}}", "{\"a\":{\"b\":1}}", "{\"copy\":{\"b\":1},\"b\":1}");
    OP("shift", "{\"author\":\"@(1,book)\"}", "{\"author\":\"Hawking\",\"book\":\"Time\"}",
       "{\"Time\":\"Hawking\"}");
    OP("shift", "{\"@author\":\"@book\"}", "{\"author\":\"Hawking\",\"book\":\"Time\"}", "{\"Time\":\"Hawking\"}");
    OP("shift", "{\"items\":{\"*\":{\"id\":\"ids[&1]\"}}}", "{\"items\":[{\"id\":7},{\"id\":8}]}",
       "{\"ids\":[7,8]}");
    OP("shift", "{\"items\":{\"*\":{\"id\":\"out[#2].i\"}}}", "{\"items\":{\"x\":{\"id\":7},\"y\":{\"id\":8}}}",
       "{\"out\":[{\"i\":7},{\"i\":8}]}");
    OP("shift", "{\"a\":\"x[2]\"}", "{\"a\":1}", "{\"x\":[null,null,1]}");
    OP("shift", "{\"a\\\\.b\":\"x\\\\.y\"}", "{\"a.b\":1}", "{\"x.y\":1}");
    OP("shift", "{\"\\\\@a\":\"b\"}", "{\"@a\":1}", "{\"b\":1}");
    OP("shift", "{\"on\":{\"true\":{\"#yes\":\"flag\"}}}", "{\"on\":true}", "{\"flag\":\"yes\"}");
    OP("shift", "{\"a\":\"x\",\"b\":\"x\"}", "{\"a\":[1],\"b\":2}", "{\"x\":[1,2]}");
    OP("shift", "{\"n\":\"x.@(1,k)\"}", "{\"n\":1,\"k\":3.9}", "{\"x\":{\"3\":1}}");
    OP("shift", "{\"missing\":\"x\"}", "{\"a\":1}", "null");
    /* literal beats star, longer star first */
    OP("shift", "{\"ab\":\"lit\",\"a*\":\"short\",\"ab*\":\"long\"}", "{\"ab\":1,\"abc\":2,\"ax\":3}",
       "{\"lit\":1,\"long\":2,\"short\":3}");
}

static void test_shift_errors(void)
{
    BAD("shift", "{\"a\":{}}", "empty");
    BAD("shift", "{\"a\":\"b.*\"}", "can not contain");
    BAD("shift", "{\"a\":5}", "right hand side");
    BAD("shift", "{\"@\":{\"a\":\"b\"}}", "can not have children");
    BAD("shift", "{\"a|a\":\"b\"}", "duplicate");
    BAD("shift", "{\"a&*\":\"b\"}", "mix");
    BAD(NULL, "[{\"operation\":\"shift\",\"spec\":{\"a\":\"x\"}},{\"operation\":\"shift\",\"spec\":{\"items\":{\"*\":{\"@(2,x\":\"y\"}}}}]",
        "[1].spec.items.*.@(2,x: ");
}

static void test_default(void)
{
    OP("default", "{\"a\":1,\"b\":{\"c\":2}}", "{\"a\":5}", "{\"a\":5,\"b\":{\"c\":2}}");
    OP("default", "{\"a\":1}", "{\"a\":null}", "{\"a\":1}");
    OP("default", "{\"*\":{\"x\":0}}", "{\"p\":{},\"q\":{\"x\":9}}", "{\"p\":{\"x\":0},\"q\":{\"x\":9}}");
    OP("default", "{\"a|b\":{\"x\":0}}", "{\"a\":{}}", "{\"a\":{\"x\":0}}");
    OP("default", "{\"list[]\":{\"1\":\"z\",\"*\":{}}}", "{}", "{\"list\":[{},\"z\"]}");
    OP("default", "{\"list[]\":{\"*\":{\"k\":1}}}", "{\"list\":[{},{\"k\":2}]}", "{\"list\":[{\"k\":1},{\"k\":2}]}");
    OP("default", "{\"a\":{\"b\":1}}", "{\"a\":[1]}", "{\"a\":[1]}");
    BAD("default", "{\"tuna*\":\"marlin\"}", "tuna*");
}

static void test_remove(void)
{
    OP("remove", "{\"a\":\"\",\"b\":{\"c\":\"\"}}", "{\"a\":1,\"b\":{\"c\":2,\"d\":3}}", "{\"b\":{\"d\":3}}");
    OP("remove", "{\"x*\":\"\"}", "{\"x1\":1,\"x2\":2,\"y\":3}", "{\"y\":3}");
    OP("remove", "{\"l\":{\"0\":\"\",\"2\":\"\"}}", "{\"l\":[1,2,3,4]}", "{\"l\":[2,4]}");
    OP("remove", "{\"l\":{\"*\":{\"a\":\"\"}}}", "{\"l\":[{\"a\":1,\"b\":2}]}", "{\"l\":[{\"b\":2}]}");
    BAD("remove", "{\"a\":\"eh?\"}", "remove spec");
}

static void test_cardinality(void)
{
    OP("cardinality", "{\"a\":\"ONE\",\"b\":\"MANY\",\"c\":\"MANY\"}", "{\"a\":[1,2],\"b\":3,\"c\":null}",
       "{\"a\":1,\"b\":[3],\"c\":[]}");
    OP("cardinality", "{\"*\":{\"@\":\"ONE\",\"x\":\"MANY\"}}", "{\"k\":[{\"x\":1}]}", "{\"k\":{\"x\":[1]}}");
    BAD("cardinality", "{\"a\":\"pants\"}", "ONE");
    BAD("cardinality", "{\"a\":\"one\"}", "ONE");
}

static void test_sort(void)
{
    json_t *in = J("{\"b\":1,\"~z\":2,\"a\":{\"d\":1,\"c\":2},\"\":0,\"l\":[{\"y\":1,\"x\":2}]}");
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    jolt_spec *s = jolt_compile_op("sort", NULL, &err);
    json_t *r = jolt_apply(s, in, NULL, &err);
    jsontext_dump(r, &out, 0);
    CHECK_STR(out.buf, "{\"~z\":2,\"\":0,\"a\":{\"c\":2,\"d\":1},\"b\":1,\"l\":[{\"x\":2,\"y\":1}]}");
    json_decref(r);
    jolt_free(s);
    json_decref(in);
    strbuf_release(&err);
    strbuf_release(&out);
}

static void test_modify(void)
{
    OP("modify-overwrite-beta", "{\"a\":\"=toUpper\",\"b\":\"=concat(@(1,a),'-',@(1,n))\"}", "{\"a\":\"x\",\"n\":2.0}",
       "{\"a\":\"X\",\"b\":\"X-2.0\",\"n\":2.0}");
    OP("modify-default-beta", "{\"a\":\"new\",\"b\":\"new\"}", "{\"a\":\"old\",\"b\":null}", "{\"a\":\"old\",\"b\":\"new\"}");
    OP("modify-define-beta", "{\"a\":\"new\",\"b\":\"new\"}", "{\"b\":null}", "{\"a\":\"new\",\"b\":null}");
    OPC("modify-overwrite-beta", "{\"x\":\"^ctx.v\"}", "{}", "{\"ctx\":{\"v\":[1]}}", "{\"x\":[1]}");
    OP("modify-overwrite-beta", "{\"l\":{\"[1]\":\"b\"}}", "{}", "{\"l\":[null,\"b\"]}");
    OP("modify-overwrite-beta", "{\"a?\":\"set\",\"b?\":\"set\"}", "{\"a\":1}", "{\"a\":\"set\"}");
    OP("modify-overwrite-beta", "{\"*\":\"=toString\"}", "{\"i\":1,\"d\":1.5,\"b\":true}",
       "{\"i\":\"1\",\"d\":\"1.5\",\"b\":\"true\"}");
    OP("modify-overwrite-beta", "{\"x\":[\"=notNull(@(1,n))\",\"fallback\"]}", "{\"n\":null}", "{\"n\":null,\"x\":\"fallback\"}");
    BAD("modify-overwrite-beta", "{\"a\":{\"[0]\":1,\"b\":2}}", "mix");
    BAD("modify-define-beta", "{\"&\":1}", "cannot");
}

static void test_functions(void)
{
    const char *op = "modify-overwrite-beta";
    OP(op, "{\"r\":\"=min(3,1.5,'2')\"}", "{}", "{\"r\":1.5}");
    OP(op, "{\"r\":\"=max(3,1.5,'7')\"}", "{}", "{\"r\":7}");
    OP(op, "{\"r\":\"=abs(-3)\",\"d\":\"=abs(-2.5)\"}", "{}", "{\"r\":3,\"d\":2.5}");
    OP(op, "{\"r\":\"=avg(1,2)\"}", "{}", "{\"r\":1.5}");
    OP(op, "{\"i\":\"=intSum(1,'2',3.9)\",\"d\":\"=doubleSum(1,2)\",\"l\":\"=longSum(1,2)\"}", "{}",
       "{\"i\":6,\"d\":3.0,\"l\":3}");
    OP(op, "{\"i\":\"=intSubtract(5,2)\",\"d\":\"=doubleSubtract(5.0,2.0)\",\"x\":\"=intSubtract(5.0,2)\"}", "{}",
       "{\"i\":3,\"d\":3.0}");
    OP(op, "{\"d\":\"=divide(1,4)\",\"z\":\"=divide(1,0)\",\"r\":\"=divideAndRound(2,2,3)\"}", "{}",
       "{\"d\":0.25,\"r\":0.67}");
    OP(op, "{\"s\":\"=substring(@(1,t),1,3)\",\"t\":\"=trim\"}", "{\"t\":\"  abcd \"}", "{\"s\":\" a\",\"t\":\"abcd\"}");
    OP(op, "{\"j\":\"=join('-',@(1,l))\",\"p\":\"=leftPad(@(1,n),5,'0')\",\"q\":\"=rightPad('ab',4,'.')\"}",
       "{\"l\":[\"a\",\"\",\"b\"],\"n\":\"42\"}", "{\"l\":[\"a\",\"\",\"b\"],\"n\":\"42\",\"j\":\"a-b\",\"p\":\"00042\",\"q\":\"ab..\"}");
    OP(op, "{\"s\":\"=split(',',@(1,t))\",\"w\":\"=split('\\\\s+',@(1,u))\"}", "{\"t\":\"a,b,,\",\"u\":\"x  y\"}",
       "{\"t\":\"a,b,,\",\"u\":\"x  y\",\"s\":[\"a\",\"b\"],\"w\":[\"x\",\"y\"]}");
    OP(op, "{\"f\":\"=firstElement(@(1,l))\",\"g\":\"=lastElement(@(1,l))\",\"e\":\"=elementAt(1,@(1,l))\",\"s\":\"=size(@(1,l))\"}",
       "{\"l\":[3,1,2]}", "{\"l\":[3,1,2],\"f\":3,\"g\":2,\"e\":1,\"s\":3}");
    OP(op, "{\"t\":\"=toList(@(1,v))\",\"o\":\"=sort(@(1,l))\"}", "{\"v\":1,\"l\":[\"b\",\"a\"]}",
       "{\"v\":1,\"l\":[\"b\",\"a\"],\"t\":[1],\"o\":[\"a\",\"b\"]}");
    OP(op, "{\"i\":\"=toInteger\",\"d\":\"=toDouble\",\"l\":\"=toLong\",\"b\":\"=toBoolean\"}",
       "{\"i\":\"7\",\"d\":\"2\",\"l\":3.7,\"b\":\"TRUE\"}", "{\"i\":7,\"d\":2.0,\"l\":3,\"b\":true}");
    OP(op, "{\"l\":\"=squashNulls\",\"m\":\"=recursivelySquashNulls\"}", "{\"l\":[1,null,2],\"m\":{\"a\":null,\"b\":{\"c\":null}}}",
       "{\"l\":[1,2],\"m\":{\"b\":{}}}");
    OP(op, "{\"a\":\"=isPresent\",\"b\":\"=isNull\",\"c\":\"=noop\",\"d\":\"=toLower('ABC')\"}",
       "{\"b\":null,\"c\":1}", "{\"b\":null,\"c\":1,\"d\":\"abc\"}");
    OP(op, "{\"c\":\"=concat('a, b',@(1,x),'')\"}", "{\"x\":\"!\"}", "{\"x\":\"!\",\"c\":\"a, b!\"}");
}

static json_t *twice(const json_t *args, void *ctx)
{
    (void)ctx;
    json_t *a = json_array_get(args, 0);
    return json_is_integer(a) ? json_integer(2 * json_integer_value(a)) : NULL;
}

static void test_registered(void)
{
    jolt_register_function("twice", twice, NULL);
    OP("modify-overwrite-beta", "{\"a\":\"=twice\",\"b\":\"=twice(@(1,a))\"}", "{\"a\":4}", "{\"a\":8,\"b\":16}");
}

/* Differences from the Java library found by jolt-conformance --java; each
 * expectation is Java's own output for the case. */
static void test_java_parity(void)
{
    /* cardinality MANY: Java removes the key and puts the list back, so a
     * wrapped value moves to the end; a list already there stays put */
    ORD("cardinality", "{\"a\":\"MANY\",\"c\":\"MANY\"}", "{\"a\":1,\"b\":2,\"c\":[3]}",
        "{\"b\":2,\"c\":[3],\"a\":[1]}");
    ORD("cardinality", "{\"a\":\"ONE\",\"n\":\"MANY\"}", "{\"a\":[1,2],\"n\":null,\"z\":0}",
        "{\"a\":1,\"n\":[],\"z\":0}");
    /* default: new keys after the existing ones, in spec order (literals,
     * then ORs, then "*"): Java's output with constant identity hashes
     * (-XX:hashCode=2). With the JVM's usual ones Java's order follows the
     * identity hash codes of its spec objects ("a" before "z" in one run of
     * the driver), see tools/jolt-conformance/java.c. */
    ORD("default", "{\"z\":1,\"a\":2,\"m\":{\"y\":1,\"b\":2}}", "{\"m\":{\"c\":0},\"k\":0}",
        "{\"m\":{\"c\":0,\"y\":1,\"b\":2},\"k\":0,\"z\":1,\"a\":2}");
    /* squashNulls / recursivelySquashNulls change the referenced value
     * itself: both places show the squashed value, and a later write into
     * one shows in the other */
    ORD("modify-overwrite-beta", "{\"a\":\"=squashNulls(@(1,b))\",\"b\":{\"q\":1}}",
        "{\"b\":{\"x\":null,\"y\":1}}", "{\"b\":{\"y\":1,\"q\":1},\"a\":{\"y\":1,\"q\":1}}");
    ORD("modify-overwrite-beta", "{\"a\":\"=recursivelySquashNulls(@(1,b))\"}",
        "{\"b\":{\"x\":null,\"y\":{\"z\":null,\"w\":[null,2]}}}",
        "{\"b\":{\"y\":{\"w\":[2]}},\"a\":{\"y\":{\"w\":[2]}}}");
    ORD("modify-overwrite-beta", "{\"a\":\"=squashNulls(@(1,c))\"}", "{\"b\":{\"x\":null},\"c\":[1,null]}",
        "{\"b\":{\"x\":null},\"c\":[1],\"a\":[1]}");
    /* an empty list has no value: nothing is written */
    ORD("modify-overwrite-beta", "{\"a\":\"=squashNulls(@(1,c))\"}", "{\"c\":[]}", "{\"c\":[]}");
    /* a value that would contain itself is written as a copy (Java loops) */
    ORD("modify-overwrite-beta", "{\"x\":{\"a\":\"=squashNulls(@(2,))\"}}", "{\"x\":{},\"n\":null}",
        "{\"x\":{\"a\":{\"x\":{}}}}");
    /* shift references above the root or to a missing capture group make
     * Java's transform throw: the apply fails, naming the spec key */
    APPLY_FAILS("shift", "{\"a\":{\"$(3)\":\"x\"}}", "{\"a\":{\"b\":1}}", "a.$(3): reference above the root");
    APPLY_FAILS("shift", "{\"a\":{\"$(1,2)\":\"x\"}}", "{\"a\":{\"b\":1}}", "a.$(1,2): reference to a capture group");
    APPLY_FAILS(NULL, "[{\"operation\":\"shift\",\"spec\":{\"a\":{\"*\":\"x[#4]\"}}}]", "{\"a\":{\"b\":1}}",
                "[0].spec.a.*: reference above the root");
    APPLY_FAILS("shift", "{\"a\":{\"@(4,a)\":\"y\"}}", "{\"a\":{\"b\":1}}", "a.@(4,a)");
    /* the same references one level lower are fine */
    ORD("shift", "{\"a\":{\"$(2)\":\"x\"}}", "{\"a\":{\"b\":1}}", "{\"x\":\"root\"}");
    /* ...and the modifiers yield no value there, as Java does */
    ORD("modify-overwrite-beta", "{\"a\":\"@(5,x)\"}", "{\"x\":1}", "{\"x\":1}");
    /* with no context, a bare "^" still finds it: null is written */
    ORD("modify-overwrite-beta", "{\"c\":\"^\",\"d\":\"^a\"}", "{\"x\":1}", "{\"x\":1,\"c\":null}");
    /* two modifier keys of one canonical form are rejected at load */
    BAD("modify-overwrite-beta", "{\"~x\":\"a\",\"x\":\"b\"}", "x: duplicate canonical key 'x'");
    BAD("modify-default-beta", "{\"+x\":\"a\",\"x\":\"b\"}", "duplicate canonical key");
    BAD("modify-define-beta", "{\"x?\":\"a\",\"_x\":\"b\"}", "duplicate canonical key");
}

static void test_chain_and_range(void)
{
    const char *chain = "[{\"operation\":\"shift\",\"spec\":{\"a\":\"b\"}},"
                        "{\"operation\":\"default\",\"spec\":{\"c\":1}},"
                        "{\"operation\":\"remove\",\"spec\":{\"c\":\"\"}}]";
    OP(NULL, chain, "{\"a\":1}", "{\"b\":1}");
    OP(NULL, "{\"operation\":\"default\",\"spec\":{\"c\":1}}", "{}", "{\"c\":1}");
    json_t *s = J(chain), *in = J("{\"a\":1}");
    strbuf err = STRBUF_INIT;
    jolt_spec *js = jolt_compile(s, &err);
    CHECK_INT(jolt_steps(js), 3);
    json_t *r = jolt_apply_range(js, 0, 2, in, NULL, &err);
    char *d = dump(r);
    CHECK_STR(d, "{\"b\":1,\"c\":1}");
    free(d);
    json_decref(r);
    CHECK(jolt_apply_range(js, 0, 0, in, NULL, &err) == NULL);
    CHECK(jolt_apply_range(js, -2, 2, in, NULL, &err) == NULL);
    CHECK(jolt_apply_range(js, 1, 10000, in, NULL, &err) == NULL);
    jolt_free(js);
    json_decref(s);
    json_decref(in);
    strbuf_release(&err);
    BAD(NULL, "[]", "empty");
    BAD(NULL, "[{\"operation\":\"pants\"}]", "[0]: unknown operation");
    BAD(NULL, "[{\"operation\":[\"shift\"]}]", "operation");
    BAD(NULL, "[{\"operation\":\"shift\"}]", "needs a spec");
    BAD(NULL, "\"foo\"", NULL);
}

/* jolt_apply_text on input gives the text of jolt_apply's output, or its
 * error; want (when not NULL) is that text. */
static void check_text(const char *op, const char *spec, const char *input, const char *want, int line)
{
    json_t *s = J(spec), *in = jsontext_parse(input, strlen(input), NULL);
    strbuf err = STRBUF_INIT, terr = STRBUF_INIT, got = STRBUF_INIT, direct = STRBUF_INIT;
    jolt_spec *js = op ? jolt_compile_op(op, s, &err) : jolt_compile(s, &err);
    json_t *out = js && in ? jolt_apply(js, in, NULL, &err) : NULL;
    if (out)
        jsontext_dump(out, &direct, 0);
    else if (!in)
        jsontext_parse(input, strlen(input), &err); /* the syntax error */
    int rc = js ? jolt_apply_text(js, input, strlen(input), NULL, &got, &terr) : -1;
    int ok = js && (out ? rc == 0 && !strcmp(got.buf, direct.buf) : rc == -1 && !strcmp(terr.buf, err.buf));
    if (want)
        ok = ok && !strcmp(out ? got.buf : terr.buf, want);
    if (ok) {
        unit_passed++;
    } else {
        unit_failed++;
        fprintf(stderr, "FAIL %s: line %d: text path gave %s '%s', jolt_apply '%s' '%s', want '%s'\n", unit_current,
                line, rc ? "error" : "", rc ? terr.buf : got.buf, direct.buf, err.buf, want ? want : "");
    }
    json_decref(out);
    jolt_free(js);
    json_decref(s);
    json_decref(in);
    strbuf_release(&err);
    strbuf_release(&terr);
    strbuf_release(&got);
    strbuf_release(&direct);
}
#define TEXT(op, spec, in, want) check_text(op, spec, in, want, __LINE__)

static void test_apply_text(void)
{
    const char *order = "{\"id\":\"A\",\"skip\":{\"big\":[1,2,{\"x\":\"y\"}]},\"items\":[{\"sku\":\"s1\",\"q\":1,"
                        "\"img\":[\"u\"]},{\"sku\":\"s2\",\"q\":2.5}],\"tags\":[\"a\",\"b\"]}";
    /* a shift reading part of its input: the rest is checked, not built */
    TEXT("shift", "{\"id\":\"o.id\",\"items\":{\"*\":{\"sku\":\"l[&1].sku\",\"q\":\"l[&1].qty\"}},\"tags\":\"t\"}",
         order, "{\"o\":{\"id\":\"A\"},\"l\":[{\"sku\":\"s1\",\"qty\":1},{\"sku\":\"s2\",\"qty\":2.5}],\"t\":[\"a\",\"b\"]}");
    /* stars, &, $ and # keys, several keys matching one value */
    TEXT("shift", "{\"i*\":{\"0\":{\"$\":\"k\",\"#x\":\"h\",\"*\":\"v.&\"}},\"*s\":\"star\",\"tags\":\"t\"}", order, NULL);
    TEXT("shift", "{\"*\":{\"*\":{\"sku|q\":\"m.&2.&1.&\"}}}", order, NULL);
    /* array elements by literal index, "00" too (Java's parseInt) */
    TEXT("shift", "{\"items\":{\"1\":{\"q\":\"second\"},\"00\":{\"sku\":\"first\"}}}", order,
         "{\"second\":2.5,\"first\":\"s1\"}");
    TEXT("shift", "{\"00\":\"x\",\"2\":\"y\"}", "[5,6,7]", "{\"x\":5,\"y\":7}");
    /* "@" and "@(n,path)" read around the matched values: built whole */
    TEXT("shift", "{\"items\":{\"*\":{\"@(2,id)\":\"l[&1].order\",\"@\":\"all[]\"}}}", order, NULL);
    TEXT("shift", "{\"items\":{\"*\":{\"sku\":\"bysku.@(1,q)\"}}}", order, NULL);
    /* a scalar where the spec has an object, and a scalar input */
    TEXT("shift", "{\"id\":{\"A\":{\"$\":\"was\"}}}", order, "{\"was\":\"A\"}");
    TEXT("shift", "{\"a\":\"b\"}", "7", "null");
    /* chains: only the first step's needs count */
    TEXT(NULL, "[{\"operation\":\"shift\",\"spec\":{\"id\":\"id\"}},{\"operation\":\"default\",\"spec\":{\"d\":[1]}}]",
         order, "{\"id\":\"A\",\"d\":[1]}");
    TEXT(NULL, "[{\"operation\":\"default\",\"spec\":{\"id\":1}},{\"operation\":\"remove\",\"spec\":{\"skip\":\"\"}}]",
         order, NULL);
    /* keys with something to escape, from the input (escaped or raw), the
     * spec's output paths, default's keys and a passed-through object: the
     * text path writes plain keys as they are and must escape the rest */
    const char *odd = "{\"q\\\"k\":1,\"t\\tab\":2,\"u\\u00e9\":3,\"plain\":{\"in\\nner\":4,\"ok\":5},\"s/\":6}";
    TEXT("shift", "{\"*\":\"out.&\",\"plain\":\"p\"}", odd, NULL);
    TEXT("shift", "{\"q\\\"k\":\"a\\\"b.c\\\\d\",\"plain\":{\"ok\":\"x\\ty\"}}", odd,
         "{\"a\\\"b\":{\"cd\":1},\"x\\ty\":5}"); /* "\\d" in a path is "d" */
    TEXT(NULL,
         "[{\"operation\":\"shift\",\"spec\":{\"plain\":\"p\",\"s/\":\"s\"}},"
         "{\"operation\":\"default\",\"spec\":{\"p\":{\"ne\\\"w\":1},\"n\\u0001\":2}}]",
         odd, "{\"p\":{\"in\\nner\":4,\"ok\":5,\"ne\\\"w\":1},\"s\":6,\"n\\u0001\":2}");
    /* errors: syntax anywhere (in the parts not built too), apply errors */
    TEXT("shift", "{\"id\":\"x\"}", "{\"id\":1,\"other\":[1,2,]}", "line 1 column 22: trailing comma in array");
    TEXT("shift", "{\"id\":\"x\"}", "{\"id\":1,\"other\":{\"\\u0000\":1}}", NULL);
    TEXT("shift", "{\"id\":\"x\"}", "{\"id\":1} 2", NULL);
    TEXT("shift", "{\"a\":{\"$(3)\":\"x\"}}", "{\"a\":{\"k\":1}}", "a.$(3): reference above the root of the input");
    TEXT("shift", "{\"id\":\"x\"}", "", NULL);
}

/* The engine's arena values (jolt_val.c) on their own. */
static void test_arena_values(void)
{
    jolt_arena *a = jolt_arena_new();
    /* an object past the size where it keeps an index: order of insertion,
     * a replaced member keeps its place, lookups hit and miss */
    jolt_val *o = jolt_val_new(a, JV_OBJ);
    char key[16];
    for (int i = 0; i < 200; i++) {
        int n = snprintf(key, sizeof key, "k%d", (i * 7) % 200);
        json_t *iv = json_integer(i);
        jolt_arena_hold(a, iv); /* released with the arena */
        CHECK_INT(jolt_val_set(a, o, key, (size_t)n, 0, jolt_val_json(a, iv, 1)), 0);
    }
    CHECK_INT(o->n, 200);
    json_t *str = json_string("three");
    jolt_arena_hold(a, str);
    jolt_val *three = jolt_val_json(a, str, 1);
    CHECK_INT(jolt_val_set(a, o, "k21", 3, 1, three), 0);
    CHECK_INT(o->n, 200);
    CHECK(jolt_val_get(o, "k21", 3) == three && !strcmp(o->m[3].key, "k21"));
    CHECK(jolt_val_get(o, "k200", 4) == NULL && jolt_val_get(o, "k", 1) == NULL);
    int found = 0;
    for (int i = 0; i < 200; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        found += jolt_val_get(o, key, (size_t)n) != NULL;
    }
    CHECK_INT(found, 200);
    /* a computed key that is not UTF-8 is refused, as jansson refuses it */
    CHECK_INT(jolt_val_set(a, o, "\xff", 1, 0, three), -1);
    /* the jansson tree and the text say the same, in the same order */
    json_t *j = jolt_val_to_json(o);
    strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;
    jsontext_dump(j, &t1, 0);
    jolt_val_dump(o, &t2);
    CHECK_STR(t2.buf, t1.buf);
    const char *head = "{\"k0\":0,\"k7\":1,\"k14\":2,\"k21\":\"three\",";
    CHECK(!strncmp(t1.buf, head, strlen(head)));
    json_decref(j);
    /* arrays: padding with nulls, an index too far refused */
    jolt_val *arr = jolt_val_new(a, JV_ARR);
    CHECK_INT(jolt_val_put(a, arr, 3, three, 10), 0);
    CHECK_INT(jolt_val_put(a, arr, 11, three, 10), -1);
    CHECK_INT(jolt_val_put(a, arr, -1, three, 10), -1);
    strbuf_reset(&t2);
    jolt_val_dump(arr, &t2);
    CHECK_STR(t2.buf, "[null,null,null,\"three\"]");
    /* copy on write: owning a borrowed container leaves the jansson value
     * alone; converting copies what must not be shared */
    json_t *in = J("{\"x\":{\"y\":[1,2.0]},\"z\":true}");
    jolt_val *v = jolt_val_json(a, in, 0);
    jolt_val_own(a, v);
    CHECK(v->kind == JV_OBJ && v->n == 2);
    jolt_val *x = jolt_val_get(v, "x", 1);
    jolt_val_own(a, x);
    jolt_val_set(a, x, "new", 3, 1, jolt_val_json(a, NULL, 1));
    json_t *back = jolt_val_to_json(v);
    char *d = dump(back);
    CHECK_STR(d, "{\"x\":{\"y\":[1,2.0],\"new\":null},\"z\":true}");
    free(d);
    d = dump(in);
    CHECK_STR(d, "{\"x\":{\"y\":[1,2.0]},\"z\":true}");
    free(d);
    CHECK(json_object_get(json_object_get(back, "x"), "y") != json_object_get(json_object_get(in, "x"), "y"));
    json_decref(back);
    /* shared: a container passed through is a copy of its own at the top,
     * with its members shared */
    jolt_val *s = jolt_val_json(a, in, 1);
    back = jolt_val_to_json(s);
    CHECK(back != in && json_object_get(back, "x") == json_object_get(in, "x"));
    json_decref(back);
    json_decref(in);
    strbuf_release(&t1);
    strbuf_release(&t2);
    jolt_arena_free(a);
}

/* Text read straight into arena values writes out as the jansson reader's
 * tree does (member order, duplicates, integer vs real, escapes), and
 * malformed text fails with the same message. */
static void test_arena_parse(void)
{
    const char *docs[] = {
        "{\"b\":1,\"a\":[1,2.0,-0,-0.0,1E2,1e-7,123456789012345678901234,9223372036854775807],\"b\":3}",
        "[\"plain\",\"esc \\\" \\\\ \\/ \\n \\u00e9 \\ud83d\\ude00\",\"\\u0000in\",\"\xc3\xa9t\xc3\xa9\",true,false,null,{}]",
        "  {\"k\\u0065y\" : { \"deep\" : [ [ [ [ {\"x\":\"y\"} ] ] ] ] } }  ",
        "/* comment */ {\"a\": 1 // line\n}",
        "\"top\"", "42", "-1.5", "null",
        "{\"a\":[1,}", "{\"a\" 1}", "[1] x", "{\"\\u0000\":1}", "\"\\ud800\"", "[01]", "1e400", "", "{\"a\":\"\x01\"}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT, t1 = STRBUF_INIT, t2 = STRBUF_INIT;
        json_t *j = jsontext_parse(docs[i], strlen(docs[i]), &e1);
        jolt_arena *a = jolt_arena_new();
        jolt_val *v = jolt_val_parse(a, docs[i], strlen(docs[i]), NULL, NULL, &e2);
        CHECK((j == NULL) == (v == NULL));
        if (j && v) {
            jsontext_dump(j, &t1, 0);
            jolt_val_dump(v, &t2);
            CHECK_STR(t2.buf, t1.buf);
            /* and to a jansson tree: the same again, kinds included */
            json_t *back = jolt_val_to_json(v);
            CHECK(same_json_ordered(j, back));
            json_decref(back);
        } else {
            CHECK_STR(e2.buf, e1.buf);
        }
        jolt_arena_free(a);
        json_decref(j);
        strbuf_release(&e1);
        strbuf_release(&e2);
        strbuf_release(&t1);
        strbuf_release(&t2);
    }
}

/* jolt_doc: a document read once into the engine's values, specs applied
 * to it any number of times, as jolt_apply does on the jansson tree. */
static void test_docs(void)
{
    const char *input = "{\"id\":\"A\",\"n\":null,\"items\":[{\"sku\":\"s1\",\"q\":1,\"t\":[\"x\"]},{\"sku\":\"s2\",\"q\":2.5}],"
                        "\"m\":{\"k\":\"v\",\"e\":\"\\u00e9\\n\"}}";
    const char *specs[] = {
        "[{\"operation\":\"shift\",\"spec\":{\"id\":\"o.id\",\"items\":{\"*\":{\"sku\":\"l[&1].sku\",\"t\":\"l[&1].t\"}},\"m\":\"m\"}},"
        "{\"operation\":\"default\",\"spec\":{\"l[]\":{\"*\":{\"t\":[],\"d\":0}},\"m\":{\"x\":1}}}]",
        /* the input's own containers defaulted: copied on write */
        "[{\"operation\":\"default\",\"spec\":{\"n\":1,\"m\":{\"x\":1},\"items[]\":{\"*\":{\"d\":true}}}}]",
        /* '@' and a transpose: the shift reads a jansson tree */
        "[{\"operation\":\"shift\",\"spec\":{\"items\":{\"*\":{\"@\":\"all[]\",\"sku\":\"by.@(1,q)\"}}}}]",
        /* steps that take jansson trees, between arena ones */
        "[{\"operation\":\"remove\",\"spec\":{\"m\":\"\"}},{\"operation\":\"shift\",\"spec\":{\"*\":\"&\"}},"
        "{\"operation\":\"sort\"},{\"operation\":\"default\",\"spec\":{\"z\":[1]}}]",
        "[{\"operation\":\"shift\",\"spec\":{\"m\":{\"$(3)\":\"x\"}}}]",
    };
    strbuf err = STRBUF_INIT, before = STRBUF_INIT, after = STRBUF_INIT;
    jolt_doc *in = jolt_doc_parse(input, strlen(input), &err);
    CHECK(in != NULL);
    jolt_doc_dump(in, &before);
    json_t *jin = J(input);
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        json_t *sp = J(specs[i]);
        jolt_spec *js = jolt_compile(sp, &err);
        CHECK(js != NULL);
        for (int round = 0; round < 2; round++) {
            strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT;
            json_t *want = jolt_apply(js, jin, NULL, &e1);
            jolt_doc *out = jolt_apply_doc(js, in, NULL, &e2);
            CHECK((want == NULL) == (out == NULL));
            if (want && out) {
                char *w = dump(want);
                strbuf got = STRBUF_INIT;
                jolt_doc_dump(out, &got);
                CHECK_STR(got.buf, w);
                json_t *j = jolt_doc_json(out);
                CHECK(same_json_ordered(want, j));
                json_decref(j);
                strbuf_release(&got);
                free(w);
            } else {
                CHECK_STR(e2.buf, e1.buf);
            }
            jolt_doc_free(out);
            json_decref(want);
            strbuf_release(&e1);
            strbuf_release(&e2);
        }
        jolt_free(js);
        json_decref(sp);
    }
    /* the input document is as it was */
    jolt_doc_dump(in, &after);
    CHECK_STR(after.buf, before.buf);
    jolt_doc_free(in);
    CHECK(jolt_doc_parse("{\"a\":", 5, &err) == NULL && strstr(err.buf, "line 1"));
    json_decref(jin);
    strbuf_release(&err);
    strbuf_release(&before);
    strbuf_release(&after);
}

/* Outputs built in the arena at sizes and depths past its small cases. */
static void test_arena_outputs(void)
{
    strbuf in = STRBUF_INIT, want = STRBUF_INIT;
    strbuf_addch(&in, '{');
    for (int i = 0; i < 3000; i++)
        strbuf_addf(&in, "%s\"key%d\":%d", i ? "," : "", (i * 37) % 3000, i);
    strbuf_addch(&in, '}');
    /* every key to the same place: order kept through the member index */
    TEXT("shift", "{\"*\":\"&\"}", in.buf, in.buf);
    /* and each value twice: lists of old and new */
    TEXT("shift", "{\"*\":[\"&\",\"dup.&\"]}", in.buf, NULL);
    TEXT(NULL, "[{\"operation\":\"shift\",\"spec\":{\"*\":\"m.&\"}},{\"operation\":\"default\",\"spec\":{\"m\":{\"*\":0,\"key5\":1,\"new\":2}}}]",
         in.buf, NULL);
    /* deep output paths (past the write cache's levels) */
    TEXT("shift", "{\"a\":\"l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11.l12\",\"b\":\"l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11.m\"}",
         "{\"a\":1,\"b\":[2]}", "{\"l1\":{\"l2\":{\"l3\":{\"l4\":{\"l5\":{\"l6\":{\"l7\":{\"l8\":{\"l9\":{\"l10\":{\"l11\":"
         "{\"l12\":1,\"m\":[2]}}}}}}}}}}}}");
    /* a slot the write caches went through becomes a list of old and new:
     * later writes below it are dropped, as Java drops them (its output) */
    TEXT("shift", "{\"a\":\"x.y\",\"b\":\"x\",\"c\":\"x.z\",\"d\":\"x\"}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}",
         "{\"x\":[{\"y\":1},2,4]}");
    TEXT("shift", "{\"items\":{\"*\":{\"a\":\"l[&1].a\",\"b\":\"l[&1]\",\"c\":\"l[&1].c\"}}}",
         "{\"items\":[{\"a\":1,\"b\":2,\"c\":3},{\"a\":5,\"c\":6}]}", "{\"l\":[[{\"a\":1},2],{\"a\":5,\"c\":6}]}");
    /* writing into a value copied from the input, at every kind of step */
    TEXT("shift", "{\"o\":\"x\",\"p\":\"x.q\",\"arr\":\"y\",\"v\":\"y[]\",\"w\":\"y[5]\"}",
         "{\"o\":{\"k\":1},\"p\":2,\"arr\":[1],\"v\":3,\"w\":4}", "{\"x\":{\"k\":1,\"q\":2},\"y\":[1,3,null,null,null,4]}");
    /* defaults over the input itself: it is never changed */
    TEXT("default", "{\"a\":{\"b\":{\"c\":1}},\"l[]\":{\"2\":\"x\",\"*\":{\"d\":true}}}",
         "{\"a\":{\"b\":null,\"e\":[1]},\"l\":[{},null,null,5]}", "{\"a\":{\"b\":{\"c\":1},\"e\":[1]},\"l\":[{\"d\":true},{\"d\":true},\"x\",5]}");
    strbuf_release(&in);
    strbuf_release(&want);
}

static void test_reuse_and_input_untouched(void)
{
    json_t *s = J("{\"*\":{\"*\":{\"v\":\"out[#2]\"}}}"), *in = J("{\"g\":{\"a\":{\"v\":1},\"b\":{\"v\":2}}}");
    json_t *copy = json_deep_copy(in);
    strbuf err = STRBUF_INIT;
    jolt_spec *js = jolt_compile_op("shift", s, &err);
    json_t *r1 = jolt_apply(js, in, NULL, &err), *r2 = jolt_apply(js, in, NULL, &err);
    CHECK(same_json(r1, r2));
    CHECK(same_json(in, copy));
    char *d = dump(r2);
    CHECK_STR(d, "{\"out\":[1,2]}");
    free(d);
    json_decref(r1);
    json_decref(r2);
    jolt_free(js);
    json_decref(s);
    json_decref(in);
    json_decref(copy);
    strbuf_release(&err);
}

typedef struct tharg {
    const jolt_spec *js;
    const json_t *in, *want;
    int ok;
} tharg;

static void *worker(void *p)
{
    tharg *a = p;
    a->ok = 1;
    for (int i = 0; i < 200; i++) {
        json_t *r = jolt_apply(a->js, a->in, NULL, NULL);
        if (!same_json(r, a->want))
            a->ok = 0;
        json_decref(r);
    }
    return NULL;
}

static void test_threads(void)
{
    json_t *s = J("[{\"operation\":\"shift\",\"spec\":{\"items\":{\"*\":{\"id\":\"l[#2].id\",\"n\":\"l[#2].n\"}}}},"
                  "{\"operation\":\"modify-overwrite-beta\",\"spec\":{\"l\":{\"*\":{\"n\":\"=toUpper\"}}}}]");
    json_t *in = J("{\"items\":[{\"id\":1,\"n\":\"a\"},{\"id\":2,\"n\":\"b\"}]}");
    json_t *want = J("{\"l\":[{\"id\":1,\"n\":\"A\"},{\"id\":2,\"n\":\"B\"}]}");
    jolt_spec *js = jolt_compile(s, NULL);
    CHECK(js != NULL);
    /* jansson reference counts are not atomic on every build: give each
     * thread its own input copy */
    pthread_t th[4];
    tharg a[4];
    json_t *ins[4];
    for (int i = 0; i < 4; i++) {
        ins[i] = json_deep_copy(in);
        a[i] = (tharg){js, ins[i], want, 0};
        pthread_create(&th[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(a[i].ok);
        json_decref(ins[i]);
    }
    jolt_free(js);
    json_decref(s);
    json_decref(in);
    json_decref(want);
}

/* jolt_bytes_eq, the compare behind every key lookup: for every length
 * up to 40, equal bytes are equal and a difference at any one position
 * is seen, at any alignment. */
static void test_bytes_eq(void)
{
    char x[64], y[64];
    int bad = 0;
    for (size_t off = 0; off < 3; off++)
        for (size_t n = 0; n <= 40; n++) {
            for (size_t i = 0; i < n; i++)
                x[off + i] = y[off + i] = (char)('a' + (i * 7 + off) % 26);
            bad += !jolt_bytes_eq(x + off, y + off, n);
            for (size_t i = 0; i < n; i++) {
                y[off + i] ^= 0x20;
                bad += jolt_bytes_eq(x + off, y + off, n);
                y[off + i] ^= 0x20;
            }
        }
    CHECK_INT(bad, 0);
}

int main(void)
{
    RUN(test_bytes_eq);
    RUN(test_shift_basics);
    RUN(test_shift_errors);
    RUN(test_default);
    RUN(test_remove);
    RUN(test_cardinality);
    RUN(test_sort);
    RUN(test_modify);
    RUN(test_functions);
    RUN(test_registered);
    RUN(test_java_parity);
    RUN(test_chain_and_range);
    RUN(test_apply_text);
    RUN(test_arena_values);
    RUN(test_arena_outputs);
    RUN(test_arena_parse);
    RUN(test_docs);
    RUN(test_reuse_and_input_untouched);
    RUN(test_threads);
    return unit_done();
}
