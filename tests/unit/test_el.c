/*
 * test_el: unit tests for engines/el (NiFi Expression Language).
 *
 * Each test builds its attribute map in code, compiles an expression and
 * compares the rendered result. Covers the grammar (templates, $$ escapes,
 * quoting, nesting, comments, syntax errors with columns), every function
 * family, the multi-attribute reducers, dates in several zones, evaluation
 * errors, thread-safe reuse of one compiled expression, and the Order Status
 * Flow dynamic URL from the product docs in its three branches.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "el.h"
#include "strbuf.h"
#include "unit.h"

static attrs A = ATTRS_INIT;
static strbuf R = STRBUF_INIT;

/* Evaluates expr against A; returns the text or "<ERR:...>" (borrowed, valid until the next call). */
static const char *ev(const char *expr)
{
    strbuf err = STRBUF_INIT;
    int col = 0;
    strbuf_reset(&R);
    el_expr *e = el_compile(expr, &err, &col);
    if (!e) {
        strbuf_addf(&R, "<COMPILE:%s>", err.buf);
    } else if (el_eval(e, &A, &R, &err) < 0) {
        strbuf_reset(&R);
        strbuf_addf(&R, "<ERR:%s>", err.buf);
    }
    el_free(e);
    strbuf_release(&err);
    return R.buf;
}

/* Column of the compile error, or 0 when expr compiles. */
static int compile_col(const char *expr)
{
    strbuf err = STRBUF_INIT;
    int col = 0;
    el_expr *e = el_compile(expr, &err, &col);
    int r = e ? 0 : (col ? col : -1);
    el_free(e);
    strbuf_release(&err);
    return r;
}

static int eval_fails(const char *expr)
{
    return strncmp(ev(expr), "<ERR:", 5) == 0;
}

#define EV(expr, want) CHECK_STR(ev(expr), want)

static void reset(void)
{
    attrs_release(&A);
    attrs_init(&A);
}

static void test_templates(void)
{
    reset();
    attrs_set(&A, "abc", "xyz");
    attrs_set(&A, "foo", "bar");
    attrs_set(&A, "xyz", "hello");
    EV("plain text", "plain text");
    EV("hello, ${abc}!", "hello, xyz!");
    EV("${abc}${foo}", "xyzbar");
    EV("$${abc}", "${abc}");
    EV("$$${abc}", "$xyz");
    EV("$$$${abc}", "$${abc}");
    EV("$$$$${abc}", "$$xyz");
    EV("I owe you $5", "I owe you $5");
    EV("You owe me $$5 too", "You owe me $$5 too");
    EV("${abc} owes me ${5", "xyz owes me ${5");
    EV("{ ${abc} }", "{ xyz }");
    EV("'${abc}'", "'xyz'");
    EV("${literal('SNAP$$')}", "SNAP$$");
    EV("${${abc}}", "hello");
    EV("${missing}", "");
    el_expr *e = el_compile("abc", NULL, NULL);
    CHECK(el_is_literal(e));
    el_free(e);
    e = el_compile("a${b}", NULL, NULL);
    CHECK(!el_is_literal(e));
    el_free(e);
}

static void test_grammar(void)
{
    reset();
    attrs_set(&A, "http.query.param.sku", "SKU-1");
    attrs_set(&A, "my attr", "spaced");
    attrs_set(&A, "123.cba", "digits");
    attrs_set(&A, "UUID", "123");
    attrs_set(&A, "abc", "xyz");
    EV("${http.query.param.sku}", "SKU-1");
    EV("${'my attr'}", "spaced");
    EV("${\"my attr\"}", "spaced");
    EV("${'123.cba'}", "digits");
    EV("${'UUID':toNumber():equals(123)}", "true");
    EV("${ abc : equals( 'xyz' ) }", "true");
    EV("${abc:equals('abc'):or(\n\t${xx:isNull()}\n)}", "true");
    EV("${# comment\n\tabc\t#end\n}", "xyz");
    EV("${abc:append('# not a comment') #comment\n}", "xyz# not a comment");
    EV("${literal('a\\'b')}", "a'b");
    EV("${literal(\"a\\\"b\")}", "a\"b");
    EV("${literal('x\\ty')}", "x\ty");
    EV("${literal('\\d+')}", "\\d+");
    EV("${abc:equals('${abc}')}", "true");
    EV("${'a${abc}b'}", "");
    EV("${literal(-5)}", "-5");
    EV("${literal(+.5E1):toDecimal()}", "5.0");
    EV("${literal(true)}", "true");
    /* syntax errors with columns */
    CHECK_INT(compile_col("${abc:foo()}"), 7);
    CHECK_INT(compile_col("${abc:substring()}"), 7);
    CHECK_INT(compile_col("${abc:equals('x'}"), 17); /* expected ')' */
    CHECK(compile_col("${abc:equals('x')") == 0);  /* no closing brace: literal text */
    CHECK(compile_col("${5}") > 0);
    CHECK(compile_col("${UUID():nextInt()}") > 0);
    CHECK(compile_col("${attr:indexOf(length())}") > 0);
    CHECK(compile_col("${literal()}") > 0);
    CHECK(compile_col("${abc:equals('x' 'y')}") > 0);
    CHECK(compile_col("${allAttributes('a'):plus(1)}") > 0);
    CHECK(compile_col("${allAttributes('a'):count():gt(1)}") > 0);
    CHECK(compile_col("${abc:matches('(')}") > 0);
    CHECK(compile_col("${d:toDate('dd-MM-yyyy'):plusDuration('1days')}") > 0);
    CHECK(compile_col("${d:toDate('dd-MM-yyyy', 'America/Fake')}") > 0);
    CHECK(compile_col("${j:jsonPath('$..')}") > 0);
    strbuf err = STRBUF_INIT;
    int col = 0;
    CHECK(el_compile_ex("${abc", EL_STRICT, &err, &col) == NULL);
    CHECK(col > 0);
    CHECK(strstr(err.buf, "column") != NULL);
    strbuf_reset(&err);
    CHECK(el_compile("${abc:nope()}", &err, &col) == NULL);
    CHECK_STR(err.buf, "column 7: unknown function 'nope'");
    CHECK_INT(col, 7);
    strbuf_release(&err);
}

static void test_strings(void)
{
    reset();
    attrs_set(&A, "attr", "My Value");
    attrs_set(&A, "f", "file-file-255");
    attrs_set(&A, "h", "hello");
    attrs_set(&A, "e", "");
    attrs_set(&A, "sp", "   ");
    attrs_set(&A, "line", "Name, Age, \"Last, First\"");
    attrs_set(&A, "list", "a,b,a,c,b");
    EV("${attr:toUpper()}", "MY VALUE");
    EV("${attr:toLower()}", "my value");
    EV("${sp:trim():length()}", "0");
    EV("${attr:substring(2, 5)}", " Va");
    EV("${attr:substring(3)}", "Value");
    EV("${attr:substring(10)}", "");
    EV("${f:substringBefore('-')}", "file");
    EV("${f:substringBeforeLast('-')}", "file-file");
    EV("${f:substringAfter('-')}", "file-255");
    EV("${f:substringAfterLast('-')}", "255");
    EV("${f:substringAfter('x')}", "file-file-255");
    EV("${h:append('!'):prepend('>')}", ">hello!");
    EV("${h:replace('l', 'L')}", "heLLo");
    EV("${h:replaceFirst('l', 'L')}", "heLlo");
    EV("${h:replaceAll('l+', 'r')}", "hero");
    EV("${h:replaceAll('(h)(e)', '$2$1')}", "ehllo");
    EV("${missing:replaceNull('dflt')}", "dflt");
    EV("${sp:replaceEmpty('dflt')}", "dflt");
    EV("${h:padLeft(8, '*')}", "***hello");
    EV("${h:padRight(7)}", "hello__");
    EV("${h:length()}", "5");
    EV("${h:repeat(3)}", "hellohellohello");
    EV("${line:getDelimitedField(2):trim()}", "Age");
    EV("${line:getDelimitedField(3, ',', '\"', '\\\\', true):trim()}", "Last, First");
    EV("${list:unique(',')}", "a,b,c");
    EV("${h:replaceByPattern('h.*:greeting,.*:other')}", "greeting");
    EV("${h:toString()}", "hello");
    CHECK(eval_fails("${h:repeat(0)}"));
}

static void test_booleans(void)
{
    reset();
    attrs_set(&A, "t", "true");
    attrs_set(&A, "n", "10");
    attrs_set(&A, "s", "Hello");
    attrs_set(&A, "e", " ");
    attrs_set(&A, "j", "{\"a\": 1}");
    EV("${missing:isNull()}", "true");
    EV("${s:notNull()}", "true");
    EV("${e:isEmpty()}", "true");
    EV("${s:isEmpty()}", "false");
    EV("${s:equals('Hello')}", "true");
    EV("${s:equalsIgnoreCase('hello')}", "true");
    EV("${n:gt(9)}", "true");
    EV("${n:ge(10)}", "true");
    EV("${n:lt(9.5)}", "false");
    EV("${n:le(10)}", "true");
    EV("${t:and(false)}", "false");
    EV("${t:or(false)}", "true");
    EV("${s:equals('x'):not()}", "true");
    EV("${t:ifElse('yes', 'no')}", "yes");
    EV("${s:ifElse('yes', 'no')}", "no");
    EV("${j:isJson()}", "true");
    EV("${s:isJson()}", "false");
}

static void test_search(void)
{
    reset();
    attrs_set(&A, "fn", "report-2024.csv.gz");
    EV("${fn:startsWith('report')}", "true");
    EV("${fn:endsWith('.gz')}", "true");
    EV("${fn:contains('2024')}", "true");
    EV("${fn:in('a', 'report-2024.csv.gz')}", "true");
    EV("${fn:find('\\d{4}')}", "true");
    EV("${fn:matches('\\d{4}')}", "false");
    EV("${fn:matches('.*\\.gz$')}", "true");
    EV("${fn:indexOf('-')}", "6");
    EV("${fn:lastIndexOf('.')}", "15");
    EV("${fn:matches('\\p{Alpha}+-.*')}", "true");
    EV("${fn:replaceFirst('\\w+\\b?" "?', 'X')}", "X-2024.csv.gz");
}

static void test_json(void)
{
    reset();
    attrs_set(&A, "json", "{\"name\":\"John\",\"age\":25,\"tags\":[\"a\",\"b\"],\"phones\":[{\"type\":\"home\",\"n\":\"1\"},{\"type\":\"work\",\"n\":\"2\"}]}");
    EV("${json:jsonPath('$.name')}", "John");
    EV("${json:jsonPath('$.age')}", "25");
    EV("${json:jsonPath('$.tags')}", "[\"a\",\"b\"]");
    EV("${json:jsonPath('$.tags[1]')}", "b");
    EV("${json:jsonPath(\"$.phones[?(@.type=='work')].n\")}", "2");
    EV("${json:jsonPathSet('$.name', 'Jim'):jsonPath('$.name')}", "Jim");
    EV("${json:jsonPathDelete('$.name'):jsonPath('$.name')}", "");
    EV("${json:jsonPathPut('$', 'k', 'v'):jsonPath('$.k')}", "v");
    EV("${json:jsonPathAdd('$.tags', 'c'):jsonPath('$.tags[2]')}", "c");
    CHECK(eval_fails("${missing:jsonPath('$.a')}"));
}

static void test_encoding(void)
{
    reset();
    attrs_set(&A, "u", "https://x.org/a b");
    attrs_set(&A, "q", "say \"hi\" & <bye>");
    attrs_set(&A, "up", "admin:admin");
    EV("${u:urlEncode()}", "https%3A%2F%2Fx.org%2Fa+b");
    EV("${u:urlEncode():urlDecode()}", "https://x.org/a b");
    EV("${up:base64Encode()}", "YWRtaW46YWRtaW4=");
    EV("${up:base64Encode():base64Decode()}", "admin:admin");
    EV("${q:escapeJson()}", "say \\\"hi\\\" & <bye>");
    EV("${q:escapeJson():unescapeJson()}", "say \"hi\" & <bye>");
    EV("${q:escapeXml()}", "say &quot;hi&quot; &amp; &lt;bye&gt;");
    EV("${q:escapeXml():unescapeXml()}", "say \"hi\" & <bye>");
    EV("${q:escapeCsv()}", "\"say \"\"hi\"\" & <bye>\"");
    EV("${q:escapeHtml4()}", "say &quot;hi&quot; &amp; &lt;bye&gt;");
    EV("${literal('john'):hash('MD5')}", "527bd5b5d689e2c32ae974c6229ff785");
    EV("${literal('abc'):hash('SHA-1')}", "a9993e364706816aba3e25717850c26c9cd0d89d");
    EV("${literal('abc'):hash('SHA-256')}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EV("${literal('abc'):hash('SHA-512'):substring(0, 16)}", "ddaf35a193617aba");
    EV("${literal('www.example.com'):UUID5('6ba7b810-9dad-11d1-80b4-00c04fd430c8')}", "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    EV("${literal('www.example.com'):UUID3('6ba7b810-9dad-11d1-80b4-00c04fd430c8')}", "5df41881-3aed-3515-88a7-2f4a814cf09e");
    CHECK(eval_fails("${up:hash('NOPE')}"));
}

static void test_math(void)
{
    reset();
    attrs_set(&A, "a", "0123456789");
    attrs_set(&A, "ten", "10");
    attrs_set(&A, "dec", "10.5");
    attrs_set(&A, "hex", "ff");
    EV("${a:plus(4)}", "123456793");
    EV("${ten:minus(3)}", "7");
    EV("${ten:multiply(3)}", "30");
    EV("${ten:divide(3)}", "3");
    EV("${ten:mod(3)}", "1");
    EV("${dec:plus(1)}", "11.5");
    EV("${dec:divide(2)}", "5.25");
    EV("${dec:toNumber()}", "10");
    EV("${ten:toDecimal()}", "10.0");
    EV("${literal(1):toDecimal():divide(3)}", "0.3333333333333333");
    EV("${literal(1e7):toDecimal()}", "1.0E7");
    EV("${literal(0.001):toDecimal()}", "0.001");
    EV("${literal(0.0001):toDecimal()}", "1.0E-4");
    EV("${literal('0x1F'):toNumber()}", "31");
    EV("${ten:toRadix(2)}", "1010");
    EV("${ten:toRadix(16, 4)}", "000a");
    EV("${hex:fromRadix(16)}", "255");
    EV("${ten:math('max', 12)}", "12");
    EV("${dec:math('floor')}", "10.0");
    EV("${literal(-3):math('abs')}", "3");
    EV("${literal(2):toDecimal():math('pow', 0.5):multiply(100):toNumber()}", "141");
    EV("${literal('NaN'):toDecimal():plus(1)}", "NaN");
    CHECK(eval_fails("${ten:divide(0)}"));
    CHECK(eval_fails("${ten:math('sqrt')}"));
    CHECK(eval_fails("${ten:math('nosuch')}"));
}

static void test_multi(void)
{
    reset();
    attrs_set(&A, "a.1", "12");
    attrs_set(&A, "a.2", "20");
    attrs_set(&A, "a.3", "x");
    attrs_set(&A, "list", "a,b,c");
    EV("${allAttributes('a.1', 'a.2'):toNumber():gt(10)}", "true");
    EV("${anyAttribute('a.1', 'a.3'):equals('x')}", "true");
    EV("${allMatchingAttributes('a\\..*'):contains('2')}", "false");
    EV("${anyMatchingAttribute('a\\..*'):contains('2')}", "true");
    EV("${allMatchingAttributes('a\\..*'):contains('2'):count()}", "2");
    EV("${allAttributes('a.1', 'a.2'):join('+')}", "12+20");
    EV("${allAttributes('a.1', 'missing'):join(',')}", "12,");
    EV("${anyDelineatedValue(${list}, ','):equals('b')}", "true");
    EV("${allDelineatedValues(${list}, ','):matches('[abc]')}", "true");
    EV("${allDelineatedValues(${list}, ','):count()}", "3");
    EV("${a.1:join(', ')}", "12");
}

static void test_subjectless(void)
{
    reset();
    EV("${literal('abc'):length()}", "3");
    EV("${UUID():length()}", "36");
    EV("${UUID():matches('[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}')}", "true");
    EV("${nextInt():ge(0)}", "true");
    EV("${random():ge(0)}", "true");
    EV("${hostname():isEmpty()}", "false");
    EV("${now():toNumber():gt(1600000000000)}", "true");
    EV("${math('random'):lt(1)}", "true");
    EV("${getUri('https', null, 'nifi.apache.org', 8443, '/docs.html', null, null)}", "https://nifi.apache.org:8443/docs.html");
    EV("${thread()}", "main");
}

static void test_dates(void)
{
    reset();
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", "UTC", 1);
    attrs_set(&A, "ms", "1403620278642");
    attrs_set(&A, "d", "2013/11/18 10:22:27.678");
    attrs_set(&A, "iso", "2024-10-01T00:29:59.123456Z");
    attrs_set(&A, "dd", "04-08-2026");
    attrs_set(&A, "may", "10may2004");
    EV("${ms:format('yyyy-MM-dd HH:mm:ss.SSS')}", "2014-06-24 14:31:18.642");
    EV("${ms:toDate():format('yyyy-MM-dd\\'T\\'HH:mm:ss.SSSSSS', 'Europe/Kiev')}", "2014-06-24T17:31:18.642000");
    EV("${ms:format('EEE, dd MMM yyyy HH:mm:ss Z', 'America/New_York')}", "Tue, 24 Jun 2014 10:31:18 -0400");
    EV("${ms:format('yyyy-MM-dd HH:mm XXX z', 'Asia/Kolkata')}", "2014-06-24 20:01 +05:30 IST");
    EV("${d:toDate('yyyy/MM/dd HH:mm:ss.SSS', 'America/New_York'):toNumber()}", "1384788147678");
    EV("${d:toDate('yyyy/MM/dd HH:mm:ss.SSS', 'UTC')}", "Mon Nov 18 10:22:27 UTC 2013");
    EV("${may:toDate('ddMMMyyyy'):format('yyyy/MM/dd')}", "2004/05/10");
    EV("${iso:toInstant(\"yyyy-MM-dd'T'HH:mm:ss.SSSSSSX\", 'UTC'):toMicros()}", "1727742599123456");
    EV("${iso:isValidInstant()}", "true");
    EV("${dd:isValidDate('dd-MM-yyyy')}", "true");
    EV("${literal('31-02-2026'):isValidDate('dd-MM-yyyy')}", "false");
    EV("${literal('2024-10-06 02:30:00'):isValidDate('yyyy-MM-dd HH:mm:ss', 'Australia/Sydney')}", "false");
    EV("${dd:toDate('dd-MM-yyyy'):plusDuration('1 month'):format('dd-MM-yyyy')}", "04-09-2026");
    EV("${dd:toDate('dd-MM-yyyy'):minusDuration('2 WEEKS'):format('dd-MM-yyyy')}", "21-07-2026");
    EV("${literal('2026-03-29 00:00:00'):toDate('yyyy-MM-dd HH:mm:ss', 'Europe/Vienna'):plusDuration('1 day', 'Europe/Vienna'):format('yyyy-MM-dd HH:mm:ssXXX', 'Europe/Vienna')}", "2026-03-30 00:00:00+02:00");
    EV("${dd:toInstant('dd-MM-yyyy', 'UTC'):plusInstantDuration('25 hours'):formatInstant('dd-MM-yyyy HH', 'UTC')}", "05-08-2026 01");
    EV("${missing:toDate('yyyy')}", "");
    CHECK(eval_fails("${dd:toDate('yyyy/MM/dd')}"));
    CHECK(eval_fails("${dd:plusDuration('1 week')}"));
    CHECK(eval_fails("${dd:toDate('dd-MM-yyyy'):format('yyyy', ${missing:replaceNull('Not/AZone')})}"));
    setenv("TZ", "Europe/Kiev", 1);
    EV("${ms:toNumber():toDate():format(\"yyyy-MM-dd'T'HH:mm:ss.SSS'Z'\")}", "2014-06-24T17:31:18.642Z");
    EV("${ms:toDate()}", "Tue Jun 24 17:31:18 EEST 2014");
    if (saved) { setenv("TZ", saved, 1); free(saved); } else unsetenv("TZ");
}

/* The Order Status Flow's dynamic URL (product docs, "Dynamic URL Usage"). */
static const char *DYN_URL =
    "${http.query.string:isEmpty():not():\n"
    "    ifElse(\n"
    "        ${http.query.param.sku:isEmpty():not()\n"
    "            :ifElse(\n"
    "                ${literal(\"http://127.0.0.1:12345/(S({TOKEN}))/service/run?{'name': 'Akinon', 'Parameters': [{'Name': 'Order', 'Value': '{NUMBER}'}]}\")\n"
    "                    :replace(\"{NUMBER}\", ${http.query.param.number})                             \n"
    "                    :replace(\"{TOKEN}\",${token.erp})   \n"
    "                },\n"
    "                ${literal(\"http://127.0.0.1:12345/(S({TOKEN}))/service/run?{'name': 'Akinon', 'Parameters': [{'Name': 'Date', 'Value': '{MODIFIED_DATE}'}]}\")                             \n"
    "                    :replace(\"{MODIFIED_DATE}\", ${http.query.param.modified_date__gt:replaceAll(\"(\\.\\d*)?Z?$\",\"\")})\n"
    "                    :replace(\"{TOKEN}\",${token.erp})\n"
    "                }            \n"
    "            )},\n"
    "        ${literal(\"http://127.0.0.1:12345/(S({TOKEN}))/service/run?{'name': 'Akinon', 'Parameters': [{'Name': 'Date', 'Value': '{MODIFIED_DATE}'}]}\")\n"
    "        :replace(\"{MODIFIED_DATE}\", ${last.request:replaceAll(\"(\\.\\d*)?Z?$\",\"\")})\n"
    "        :replace(\"{TOKEN}\",${token.erp})\n"
    "        }         \n"
    "    )\n"
    "}";

static void test_dynamic_url(void)
{
    reset();
    attrs_set(&A, "token.erp", "TKN42");
    /* number query: the trigger passes sku and number */
    attrs_set(&A, "http.query.string", "sku=1&number=ORD-7");
    attrs_set(&A, "http.query.param.sku", "1");
    attrs_set(&A, "http.query.param.number", "ORD-7");
    EV(DYN_URL, "http://127.0.0.1:12345/(S(TKN42))/service/run?{'name': 'Akinon', 'Parameters': [{'Name': 'Order', 'Value': 'ORD-7'}]}");
    /* date query from the trigger's modified_date__gt */
    reset();
    attrs_set(&A, "token.erp", "TKN42");
    attrs_set(&A, "http.query.string", "modified_date__gt=2024-10-01T00:29:59.000Z");
    attrs_set(&A, "http.query.param.modified_date__gt", "2024-10-01T00:29:59.000Z");
    EV(DYN_URL, "http://127.0.0.1:12345/(S(TKN42))/service/run?{'name': 'Akinon', 'Parameters': [{'Name': 'Date', 'Value': '2024-10-01T00:29:59'}]}");
    /* date query from last.request when the trigger has no query string */
    reset();
    attrs_set(&A, "token.erp", "TKN42");
    attrs_set(&A, "last.request", "2024-12-31T13:30:59.000001Z");
    EV(DYN_URL, "http://127.0.0.1:12345/(S(TKN42))/service/run?{'name': 'Akinon', 'Parameters': [{'Name': 'Date', 'Value': '2024-12-31T13:30:59'}]}");
}

static void test_eval_errors_never_crash(void)
{
    reset();
    attrs_set(&A, "x", "abc");
    CHECK(eval_fails("${x:toDate('yyyy-MM-dd')}"));
    /* NiFi casts text that is no number to null: plus() on "abc" is null
     * (renders empty), not an error. */
    EV("${x:plus(1)}", "");
    EV("${x:plus(1):isNull()}", "true");
    EV("${literal(1):minus(${x})}", "");
    CHECK(eval_fails("${x:fromRadix(10)}"));
    CHECK(eval_fails("${x:urlDecode():append(${literal('%zz'):urlDecode()})}"));
    /* Java's base64 decoder takes an unpadded last unit: "abc" is the bytes
     * 69 B7, and new String(bytes, UTF-8) turns the stray B7 into U+FFFD. */
    EV("${x:base64Decode()}", "i\xEF\xBF\xBD");
    EV("${literal('%C3%A9%FF%E2%82'):urlDecode()}", "\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD");
    EV("${x:substring(-1, 99)}", "");
    EV("${x:padLeft(9999999999)}", "abc");
    CHECK(eval_fails("${x:replaceAll('b', '$2')}"));
    attrs_set(&A, "el", "${x:nope()}");
    CHECK(eval_fails("${el:evaluateELString()}"));
    attrs_set(&A, "el", "${x:toUpper()}");
    EV("${el:evaluateELString()}", "ABC");
}

typedef struct { const el_expr *e; int ok; } thr_arg;

static void *thr(void *p)
{
    thr_arg *t = p;
    attrs a = ATTRS_INIT;
    attrs_set(&a, "n", "41");
    t->ok = 1;
    for (int i = 0; i < 200; i++) {
        strbuf out = STRBUF_INIT, err = STRBUF_INIT;
        if (el_eval(t->e, &a, &out, &err) < 0 || strcmp(out.buf, "42-a-2A")) t->ok = 0;
        strbuf_release(&out);
        strbuf_release(&err);
    }
    attrs_release(&a);
    return NULL;
}

static void test_threads(void)
{
    el_expr *e = el_compile("${n:plus(1)}-${literal('ab'):replaceAll('b', '')}-${n:plus(1):toRadix(16):toUpper()}", NULL, NULL);
    CHECK(e != NULL);
    pthread_t th[4];
    thr_arg args[4];
    for (int i = 0; i < 4; i++) { args[i].e = e; pthread_create(&th[i], NULL, thr, &args[i]); }
    for (int i = 0; i < 4; i++) { pthread_join(th[i], NULL); CHECK(args[i].ok); }
    el_free(e);
}

int main(void)
{
    RUN(test_templates);
    RUN(test_grammar);
    RUN(test_strings);
    RUN(test_booleans);
    RUN(test_search);
    RUN(test_json);
    RUN(test_encoding);
    RUN(test_math);
    RUN(test_multi);
    RUN(test_subjectless);
    RUN(test_dates);
    RUN(test_dynamic_url);
    RUN(test_eval_errors_never_crash);
    RUN(test_threads);
    attrs_release(&A);
    strbuf_release(&R);
    return unit_done();
}
