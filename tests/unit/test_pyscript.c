/*
 * Unit tests: pyscript, the embedded CPython running the product's NiFi/Jython
 * scripts. The seed 002 "Script Card (Optional)" example script is below byte
 * for byte; the default Check Response Script is read from flows/scripts/
 * (tests run from the repository root).
 */
#include "attrs.h"
#include "jsontext.h"
#include "pyscript.h"
#include "strbuf.h"
#include "seed_script.h"
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static const char ORDER[] =
    "{\"pk\": 17, \"number\": \"1001\", \"amount\": \"150.50\", "
    "\"orderitem_set\": [{\"pk\": 171, \"product\": {\"sku\": \"SKU-1\"}}, "
    "{\"pk\": 172, \"product\": {\"sku\": \"SKU-2\"}}], \"note\": \"\u00e7ay\"}";

static pyscript *compile_ok(const char *name, const char *src)
{
    strbuf err = STRBUF_INIT;
    pyscript *s = pyscript_compile(name, src, &err);
    if (!s)
        fprintf(stderr, "compile %s: %s\n", name, err.buf);
    strbuf_release(&err);
    return s;
}

/* Parses text and returns the compact dump, to compare JSON by value. */
static char *canon(const char *text, size_t len)
{
    json_t *v = jsontext_parse(text, len, NULL);
    if (!v)
        return strdup("(invalid json)");
    strbuf sb = STRBUF_INIT;
    jsontext_dump(v, &sb, 0);
    json_decref(v);
    return strbuf_detach(&sb, NULL);
}

static void test_init(void)
{
    strbuf err = STRBUF_INIT;
    CHECK_INT(pyscript_global_init(&err), 0);
    CHECK_INT(pyscript_global_init(&err), 0); /* idempotent */
    strbuf_release(&err);
}

static void test_seed_script(void)
{
    pyscript *s = compile_ok("status.json: script", SEED_SCRIPT);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_INT(pyscript_is_plain(s), 0);
    attrs a = ATTRS_INIT;
    attrs_set(&a, "token.omnitron", "tok-o");
    attrs_set(&a, "token.erp", "tok-e");
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript_opts o = {0, 1};
    int rc = pyscript_run(s, ORDER, strlen(ORDER), &a, &o, &out, &err);
    CHECK_INT(rc, PYSCRIPT_SUCCESS);
    CHECK(strstr(out.buf, "\n    \"pk\": 17") != NULL); /* json.dumps(indent=4) */
    char *want = canon(ORDER, strlen(ORDER)), *got = canon(out.buf, out.len);
    CHECK_STR(got, want);
    free(want);
    free(got);
    CHECK_INT(a.n, 2); /* allVar is not written back */
    CHECK_STR(attrs_get(&a, "token.erp"), "tok-e");
    CHECK(attrs_get(&a, "log.script.error") == NULL);
    /* Invalid JSON input: the script catches, logs and goes to REL_FAILURE. */
    rc = pyscript_run(s, "{oops", 5, &a, &o, &out, &err);
    CHECK_INT(rc, PYSCRIPT_FAILURE);
    CHECK(strstr(attrs_get(&a, "log.script.error") ? attrs_get(&a, "log.script.error") : "", "JSONDecodeError") != NULL);
    CHECK(strstr(err.buf, "REL_FAILURE") != NULL);
    CHECK(strstr(err.buf, "JSONDecodeError") != NULL);
    CHECK(strchr(err.buf, '\n') == NULL);
    CHECK_STR(attrs_get(&a, "token.omnitron"), "tok-o");
    CHECK_STR(out.buf, "{oops"); /* never wrote: input unchanged */
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);
}

static const char ATTR_SCRIPT[] =
    "import json\n"
    "from org.apache.nifi.processor.io import StreamCallback, InputStreamCallback\n"
    "from org.apache.commons.io import IOUtils\n"
    "from java.nio.charset import StandardCharsets\n"
    "class Reader(InputStreamCallback):\n"
    "    def __init__(self): self.text = None\n"
    "    def process(self, inputStream):\n"
    "        self.text = IOUtils.toString(inputStream, StandardCharsets.UTF_8)\n"
    "ff = session.get()\n"
    "allv = json.loads(ff.getAttribute('allVar'))\n"
    "r = Reader()\n"
    "session.read(ff, r)\n"
    "ff = session.putAttribute(ff, 'seen.token', allv['token.erp'] + '/' + ff.getAttribute('token.erp'))\n"
    "ff = session.putAttribute(ff, 'size', str(ff.getSize()))\n"
    "ff = session.putAttribute(ff, 'pk', str(json.loads(r.text)['pk']))\n"
    "ff = session.putAllAttributes(ff, {'a1': 'x', 'a2': 'y'})\n"
    "ff = session.removeAttribute(ff, 'drop.me')\n"
    "ff = session.putAttribute(ff, 'n.attrs', str(len(ff.getAttributes())))\n"
    "ff = session.putAttribute(ff, 'allvar.sees.a1', str('a1' in json.loads(ff.getAttribute('allVar'))))\n"
    "ff = session.putAttribute(ff, 'missing', str(ff.getAttribute('nope')))\n"
    "session.transfer(ff, REL_SUCCESS)\n"
    "session.commit()\n";

static void test_attributes(void)
{
    pyscript *s = compile_ok("attrs.py", ATTR_SCRIPT);
    CHECK(s != NULL);
    if (!s)
        return;
    attrs a = ATTRS_INIT;
    attrs_set(&a, "token.erp", "E");
    attrs_set(&a, "drop.me", "1");
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    int rc = pyscript_run(s, ORDER, strlen(ORDER), &a, NULL, &out, &err);
    CHECK_INT(rc, PYSCRIPT_SUCCESS);
    if (rc)
        fprintf(stderr, "%s\n%s\n", err.buf, attrs_get(&a, "log.script.error"));
    CHECK_STR(attrs_get(&a, "seen.token"), "E/E");
    char size[32];
    snprintf(size, sizeof size, "%zu", strlen(ORDER));
    CHECK_STR(attrs_get(&a, "size"), size);
    CHECK_STR(attrs_get(&a, "pk"), "17");
    CHECK_STR(attrs_get(&a, "a1"), "x");
    CHECK_STR(attrs_get(&a, "a2"), "y");
    CHECK(attrs_get(&a, "drop.me") == NULL);
    CHECK_STR(attrs_get(&a, "n.attrs"), "6");
    CHECK_STR(attrs_get(&a, "allvar.sees.a1"), "True");
    CHECK_STR(attrs_get(&a, "missing"), "None");
    CHECK(attrs_get(&a, "allVar") == NULL);
    CHECK_STR(out.buf, ORDER); /* read only: content unchanged */
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);
}

/* The rest of the Jython/NiFi surface scripts use. */
static const char API_SCRIPT[] =
    "import json\n"
    "from java.nio.charset import StandardCharsets, Charset\n"
    "from java.io import BufferedReader, InputStreamReader\n"
    "from java.lang import String, System\n"
    "from org.apache.commons.io import IOUtils\n"
    "from org.apache.nifi.processor.io import StreamCallback, InputStreamCallback, OutputStreamCallback\n"
    "from org.apache.nifi.processors.script import ExecuteScript\n"
    "from org.apache.nifi.flowfile.attributes import CoreAttributes\n"
    "from org.python.core.util import StringUtil\n"
    "import java.nio.charset\n"
    "ff = session.get()\n"
    "lines = []\n"
    "class R(InputStreamCallback):\n"
    "    def process(self, i):\n"
    "        br = BufferedReader(InputStreamReader(i, StandardCharsets.UTF_8))\n"
    "        line = br.readLine()\n"
    "        while line is not None:\n"
    "            lines.append(line)\n"
    "            line = br.readLine()\n"
    "session.read(ff, R())\n"
    "raw = IOUtils.toByteArray(session.read(ff))\n"
    "def cb(i, o):\n"
    "    text = IOUtils.toString(i, Charset.forName('UTF-8'))\n"
    "    o.write(StringUtil.toBytes(json.dumps({'lines': len(text.splitlines()), 'first': json.loads(text)['k']})))\n"
    "ff = session.write(ff, cb)\n"
    "class A(OutputStreamCallback):\n"
    "    def process(self, o):\n"
    "        o.write(ord(' '))\n"
    "ff = session.append(ff, A())\n"
    "m = ff.getAttributes()\n"
    "ff = session.putAttribute(ff, 'lines', str(len(lines)))\n"
    "ff = session.putAttribute(ff, 'raw', String(raw, 'UTF-8').strip())\n"
    "ff = session.putAttribute(ff, 'map', '%s/%s/%d' % (m.containsKey('x'), sorted(m.keySet()), m.size()))\n"
    "ff = session.putAttribute(ff, 'core', CoreAttributes.FILENAME.key())\n"
    "ff = session.putAttribute(ff, 'rel', ExecuteScript.REL_SUCCESS.getName())\n"
    "ff = session.putAttribute(ff, 'flag', True)\n"
    "ff = session.putAttribute(ff, 'num', 42)\n"
    "ff = session.putAttribute(ff, 'cs', java.nio.charset.StandardCharsets.UTF_8.name())\n"
    "ff = session.putAttribute(ff, 'time', str(System.currentTimeMillis() > 0))\n"
    "ff = session.removeAllAttributes(ff, set(['y']))\n"
    "session.getProvenanceReporter().modifyContent(ff)\n"
    "session.adjustCounter('n', 1, False)\n"
    "log.warn('api script {} done', ['x'])\n"
    "session.transfer(ff, REL_SUCCESS)\n"
    "session.commit()\n";

static void test_api_surface(void)
{
    pyscript *s = compile_ok("api.py", API_SCRIPT);
    CHECK(s != NULL);
    if (!s)
        return;
    attrs a = ATTRS_INIT;
    attrs_set(&a, "x", "1");
    attrs_set(&a, "y", "2");
    attrs_set(&a, "bin", "\xff\xfe raw"); /* not UTF-8: kept byte for byte */
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    const char *in = "{\"k\": \"v\",\n \"n\": 1}\n";
    int rc = pyscript_run(s, in, strlen(in), &a, NULL, &out, &err);
    CHECK_INT(rc, PYSCRIPT_SUCCESS);
    if (rc)
        fprintf(stderr, "%s\n%s\n", err.buf, attrs_get(&a, "log.script.error"));
    CHECK_STR(out.buf, "{\"lines\": 2, \"first\": \"v\"} ");
    CHECK_STR(attrs_get(&a, "lines"), "2");
    CHECK_STR(attrs_get(&a, "raw"), "{\"k\": \"v\",\n \"n\": 1}");
    CHECK_STR(attrs_get(&a, "map"), "True/['bin', 'x', 'y']/3");
    CHECK_STR(attrs_get(&a, "core"), "filename");
    CHECK_STR(attrs_get(&a, "rel"), "success");
    CHECK_STR(attrs_get(&a, "flag"), "true");
    CHECK_STR(attrs_get(&a, "num"), "42");
    CHECK_STR(attrs_get(&a, "cs"), "UTF-8");
    CHECK_STR(attrs_get(&a, "time"), "True");
    CHECK(attrs_get(&a, "y") == NULL);
    CHECK_STR(attrs_get(&a, "bin"), "\xff\xfe raw");
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);
}

/* A Custom Response Script in the product's style: relation from the status. */
static const char RESPONSE_SCRIPT[] =
    "import json\n"
    "import traceback\n"
    "def get_attribute(flow_file, attr_name):\n"
    "    all_var = flow_file.getAttribute('allVar')\n"
    "    if all_var:\n"
    "        return json.loads(all_var).get(attr_name, None)\n"
    "    return flow_file.getAttribute(attr_name)\n"
    "flowFile = session.get()\n"
    "if flowFile != None:\n"
    "    status = int(get_attribute(flowFile, 'invokehttp.status.code'))\n"
    "    response = json.loads(get_attribute(flowFile, 'response_data'))\n"
    "    if status in (401, 403):\n"
    "        relation = 'auth_fail'\n"
    "    elif 200 <= status < 300:\n"
    "        relation = 'continue'\n"
    "    elif status >= 500:\n"
    "        relation = 'do_nothing'\n"
    "    else:\n"
    "        relation = 'failure'\n"
    "    flowFile = session.putAttribute(flowFile, 'relation', relation)\n"
    "    flowFile = session.putAttribute(flowFile, 'order_exists', 'true' if response.get('id') else 'false')\n"
    "    flowFile = session.putAttribute(flowFile, 'log.erp.status', str(status))\n"
    "    flowFile = session.putAttribute(flowFile, 'log.request.number', json.loads(get_attribute(flowFile, 'request_data'))['number'])\n"
    "    log.info('relation {}', [relation])\n"
    "    log.debug('debug')\n"
    "    session.transfer(flowFile, REL_SUCCESS)\n"
    "    session.commit()\n";

static void run_response(pyscript *s, const char *code, const char *id, const char *want_rel,
                         const char *want_exists)
{
    attrs a = ATTRS_INIT;
    attrs_set(&a, "invokehttp.status.code", code);
    attrs_set(&a, "request_data", "{\"number\": \"1001\"}");
    char resp[64];
    snprintf(resp, sizeof resp, "{\"id\": %s}", id);
    attrs_set(&a, "response_data", resp);
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    CHECK_INT(pyscript_run(s, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_SUCCESS);
    CHECK_STR(attrs_get(&a, "relation"), want_rel);
    CHECK_STR(attrs_get(&a, "order_exists"), want_exists);
    CHECK_STR(attrs_get(&a, "log.erp.status"), code);
    CHECK_STR(attrs_get(&a, "log.request.number"), "1001");
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
}

static void test_relation_order_exists_log(void)
{
    pyscript *s = compile_ok("cancel.json: custom_response.script", RESPONSE_SCRIPT);
    CHECK(s != NULL);
    if (!s)
        return;
    run_response(s, "201", "\"ERP-1\"", "continue", "true");
    run_response(s, "401", "null", "auth_fail", "false");
    run_response(s, "503", "null", "do_nothing", "false");
    run_response(s, "400", "null", "failure", "false");
    pyscript_free(s);
}

static void test_exception(void)
{
    const char *src =
        "flowFile = session.get()\n"
        "flowFile = session.putAttribute(flowFile, 'log.step', 'before')\n"
        "def boom(x):\n"
        "    return 1 / x\n"
        "boom(0)\n"
        "session.transfer(flowFile, REL_SUCCESS)\n";
    pyscript *s = compile_ok("flow.json: boom.script", src);
    CHECK(s != NULL);
    if (!s)
        return;
    attrs a = ATTRS_INIT;
    attrs_set(&a, "keep", "1");
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    CHECK_INT(pyscript_run(s, "[1]", 3, &a, NULL, &out, &err), PYSCRIPT_FAILURE);
    const char *tb = attrs_get(&a, "log.script.error");
    CHECK(tb != NULL);
    tb = tb ? tb : "";
    CHECK(strstr(tb, "Traceback (most recent call last)") != NULL);
    CHECK(strstr(tb, "File \"flow.json: boom.script\", line 4, in boom") != NULL);
    CHECK(strstr(tb, "return 1 / x") != NULL); /* source line shown */
    CHECK(strstr(tb, "ZeroDivisionError: division by zero") != NULL);
    CHECK(strstr(tb, "_run_nifi") == NULL); /* engine frames hidden */
    CHECK_STR(err.buf, "flow.json: boom.script: ZeroDivisionError: division by zero");
    CHECK_STR(attrs_get(&a, "log.step"), "before");
    CHECK_STR(attrs_get(&a, "keep"), "1");
    CHECK_STR(out.buf, "[1]");
    /* SystemExit must not end the process. */
    pyscript *x = compile_ok("exit.py", "import sys\nsys.exit(3)\n");
    CHECK(x != NULL);
    if (x) {
        CHECK_INT(pyscript_run(x, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_FAILURE);
        CHECK(strstr(err.buf, "SystemExit") != NULL);
        pyscript_free(x);
    }
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);
}

static void test_rel_failure(void)
{
    const char *src =
        "from org.apache.nifi.processor.io import OutputStreamCallback\n"
        "class W(OutputStreamCallback):\n"
        "    def process(self, outputStream):\n"
        "        outputStream.write(bytearray(b'{\"partial\": true}'))\n"
        "flowFile = session.get()\n"
        "flowFile = session.write(flowFile, W())\n"
        "flowFile = session.putAttribute(flowFile, 'log.reason', 'erp said no')\n"
        "session.putAttribute(flowFile, 'log.script.error', 'Traceback...\\nValueError: erp said no')\n"
        "session.transfer(flowFile, REL_FAILURE)\n"
        "session.commit()\n";
    pyscript *s = compile_ok("fail.py", src);
    CHECK(s != NULL);
    if (!s)
        return;
    attrs a = ATTRS_INIT;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    CHECK_INT(pyscript_run(s, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_FAILURE);
    CHECK_STR(attrs_get(&a, "log.reason"), "erp said no");
    CHECK_STR(err.buf, "fail.py: script transferred the record to REL_FAILURE: ValueError: erp said no");
    CHECK_STR(out.buf, "{\"partial\": true}");
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);

    /* session.remove() drops the record. */
    s = compile_ok("drop.py", "ff = session.get()\nsession.remove(ff)\nsession.commit()\n");
    CHECK(s != NULL);
    if (s) {
        attrs_init(&a);
        CHECK_INT(pyscript_run(s, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_DROPPED);
        CHECK_INT(out.len, 0);
        attrs_release(&a);
        pyscript_free(s);
    }
    strbuf_release(&out);
    strbuf_release(&err);
}

static void test_timeout(void)
{
    pyscript *s = compile_ok("spin.py", "x = 0\nwhile True:\n    x += 1\n");
    /* The seed's shape: the runaway loop inside process(), bare except. */
    const char *swallow =
        "import traceback\n"
        "from org.apache.nifi.processor.io import StreamCallback\n"
        "class CB(StreamCallback):\n"
        "    def process(self, i, o):\n"
        "        while True: pass\n"
        "flowFile = session.get()\n"
        "try:\n"
        "    flowFile = session.write(flowFile, CB())\n"
        "    session.transfer(flowFile, REL_SUCCESS)\n"
        "except:\n"
        "    session.putAttribute(flowFile, 'log.script.error', traceback.format_exc())\n"
        "    session.transfer(flowFile, REL_FAILURE)\n"
        "session.commit()\n";
    pyscript *w = compile_ok("swallow.py", swallow);
    pyscript *ok = compile_ok("seed.py", SEED_SCRIPT);
    CHECK(s && w && ok);
    if (!s || !w || !ok)
        return;
    attrs a = ATTRS_INIT;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript_opts o = {0.3, 0};
    CHECK_INT(pyscript_run(s, "{}", 2, &a, &o, &out, &err), PYSCRIPT_FAILURE);
    CHECK_STR(err.buf, "script spin.py timed out after 0.3 s");
    CHECK(strstr(attrs_get(&a, "log.script.error") ? attrs_get(&a, "log.script.error") : "", "ScriptTimeout") != NULL);
    attrs_release(&a);
    attrs_init(&a);
    CHECK_INT(pyscript_run(w, "{}", 2, &a, &o, &out, &err), PYSCRIPT_FAILURE);
    CHECK(strstr(err.buf, "timed out") != NULL);
    CHECK(strstr(attrs_get(&a, "log.script.error") ? attrs_get(&a, "log.script.error") : "", "ScriptTimeout") != NULL);
    attrs_release(&a);
    /* The engine goes on with the next record. */
    for (int i = 0; i < 3; i++) {
        attrs_init(&a);
        CHECK_INT(pyscript_run(ok, ORDER, strlen(ORDER), &a, &o, &out, &err), PYSCRIPT_SUCCESS);
        attrs_release(&a);
    }
    pyscript_free(s);
    pyscript_free(w);
    pyscript_free(ok);
    strbuf_release(&out);
    strbuf_release(&err);
}

static void test_invalid_json_output(void)
{
    const char *src =
        "from org.apache.nifi.processor.io import StreamCallback\n"
        "class CB(StreamCallback):\n"
        "    def process(self, inputStream, outputStream):\n"
        "        outputStream.write(bytearray('{\"a\": 1,'.encode('utf-8')))\n"
        "ff = session.get()\n"
        "ff = session.write(ff, CB())\n"
        "session.transfer(ff, REL_SUCCESS)\n";
    pyscript *s = compile_ok("bad.py", src);
    CHECK(s != NULL);
    if (!s)
        return;
    attrs a = ATTRS_INIT;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript_opts json = {0, 1}, text = {0, 0};
    CHECK_INT(pyscript_run(s, "{}", 2, &a, &json, &out, &err), PYSCRIPT_FAILURE);
    CHECK(strstr(err.buf, "bad.py: script output is not valid JSON") != NULL);
    CHECK(attrs_get(&a, "log.script.error") != NULL);
    CHECK_STR(out.buf, "{\"a\": 1,");
    attrs_release(&a);
    attrs_init(&a);
    CHECK_INT(pyscript_run(s, "{}", 2, &a, &text, &out, &err), PYSCRIPT_SUCCESS);
    attrs_release(&a);
    pyscript_free(s);
    /* Valid JSON of every kind passes the checker. */
    s = compile_ok("t.py", "def transform(record, attributes):\n    return record\n");
    const char *good[] = {"[]", "{}", "0", "-1.5e+3", "\"a\\u00e7\\n\"", "null", " [true,false,{\"k\":[1,{}]}] "};
    const char *bad[] = {"[1,]", "01", "{\"a\"}", "\"\\x\"", "[1] x", "tru"};
    for (size_t i = 0; s && i < sizeof good / sizeof *good; i++) {
        pyscript *e = compile_ok("echo.py", "import json\nfrom org.apache.nifi.processor.io import StreamCallback\n"
                                            "class C(StreamCallback):\n    def process(self, i, o): o.write(i.readAllBytes())\n"
                                            "f = session.get()\nsession.transfer(session.write(f, C()), REL_SUCCESS)\n");
        attrs_init(&a);
        CHECK_INT(pyscript_run(e, good[i], strlen(good[i]), &a, &json, &out, &err), PYSCRIPT_SUCCESS);
        CHECK_STR(out.buf, good[i]);
        attrs_release(&a);
        if (i < sizeof bad / sizeof *bad) {
            attrs_init(&a);
            CHECK_INT(pyscript_run(e, bad[i], strlen(bad[i]), &a, &json, &out, &err), PYSCRIPT_FAILURE);
            attrs_release(&a);
        }
        pyscript_free(e);
    }
    pyscript_free(s);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* Each script records whether it saw a global left by anyone, then sets it. */
static const char ISO_A[] =
    "try:\n    seen = shared_name\nexcept NameError:\n    seen = 'unset'\n"
    "shared_name = 'A'\n"
    "ff = session.get()\nsession.putAttribute(ff, 'seen', seen)\nsession.transfer(ff, REL_SUCCESS)\n";
static const char ISO_B[] =
    "try:\n    seen = shared_name\nexcept NameError:\n    seen = 'unset'\n"
    "shared_name = 'B'\n"
    "def transform(record, attributes):\n"
    "    global counter\n"
    "    try:\n        counter += 1\n    except NameError:\n        counter = 1\n"
    "    attributes['seen'] = seen\n    attributes['counter'] = counter\n    return record\n";

static void test_isolation(void)
{
    pyscript *a1 = compile_ok("a.py", ISO_A), *b1 = compile_ok("b.py", ISO_B);
    CHECK(a1 && b1);
    if (!a1 || !b1)
        return;
    CHECK_INT(pyscript_is_plain(b1), 1);
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    for (int i = 0; i < 3; i++) {
        attrs a = ATTRS_INIT;
        CHECK_INT(pyscript_run(a1, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_SUCCESS);
        CHECK_STR(attrs_get(&a, "seen"), "unset");
        attrs_release(&a);
        attrs_init(&a);
        CHECK_INT(pyscript_run(b1, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_SUCCESS);
        CHECK_STR(attrs_get(&a, "seen"), "unset");
        CHECK_STR(attrs_get(&a, "counter"), "1"); /* no global carried over */
        attrs_release(&a);
    }
    pyscript_free(a1);
    pyscript_free(b1);
    strbuf_release(&out);
    strbuf_release(&err);
}

static void test_plain_form(void)
{
    const char *src =
        "import json\n"
        "def transform(record, attributes):\n"
        "    if record.get('skip'):\n"
        "        return None\n"
        "    if record.get('fail'):\n"
        "        raise ValueError('bad record %s' % record['number'])\n"
        "    attributes['log.number'] = record['number']\n"
        "    attributes['count'] = len(record['orderitem_set'])\n"
        "    attributes.pop('gone', None)\n"
        "    return {'order': record['number'], 'items': [i['pk'] for i in record['orderitem_set']],\n"
        "            'token': attributes.get('token.erp'), 'note': record['note']}\n";
    pyscript *s = compile_ok("plain.py", src);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_INT(pyscript_is_plain(s), 1);
    attrs a = ATTRS_INIT;
    attrs_set(&a, "token.erp", "E");
    attrs_set(&a, "gone", "x");
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript_opts o = {0, 1};
    CHECK_INT(pyscript_run(s, ORDER, strlen(ORDER), &a, &o, &out, &err), PYSCRIPT_SUCCESS);
    CHECK_STR(out.buf, "{\"order\":\"1001\",\"items\":[171,172],\"token\":\"E\",\"note\":\"\xc3\xa7" "ay\"}");
    CHECK_STR(attrs_get(&a, "log.number"), "1001");
    CHECK_STR(attrs_get(&a, "count"), "2");
    CHECK(attrs_get(&a, "gone") == NULL);
    const char *skip = "{\"skip\": 1}", *fail = "{\"fail\": 1, \"number\": \"9\"}";
    CHECK_INT(pyscript_run(s, skip, strlen(skip), &a, &o, &out, &err), PYSCRIPT_DROPPED);
    CHECK_INT(pyscript_run(s, fail, strlen(fail), &a, &o, &out, &err), PYSCRIPT_FAILURE);
    CHECK_STR(err.buf, "plain.py: ValueError: bad record 9");
    CHECK(strstr(attrs_get(&a, "log.script.error") ? attrs_get(&a, "log.script.error") : "", "line 6, in transform") != NULL);
    attrs_release(&a);
    pyscript_free(s);
    /* A plain script that mentions session only as its own local/attribute. */
    s = compile_ok("plain2.py", "def transform(record, attributes):\n    session = {'x': 1}\n    record['s'] = session['x']\n    return record\n");
    CHECK(s && pyscript_is_plain(s));
    pyscript_free(s);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* json.dumps(indent=...) takes the C encoder + reindent path: same bytes. */
static void test_json_dumps_indent(void)
{
    const char *src =
        "import json\n"
        "import _flowfleet_nifi\n"
        "def transform(record, attributes):\n"
        "    orig = _flowfleet_nifi._orig_dumps\n"
        "    cases = [record, {}, [], {'a': []}, [{}], 'x,{}[]\"\\\\', 1, 2.5, None, [[[]]],\n"
        "             {'k\"{': [1, 2.5, None, True, 'caf\\u00e9 \\u2028 \\ud800', '\\x00']},\n"
        "             {'n': {'a': {'b': [1, {'c': {}}, []]}}, 'z': 1, 'b': float('inf')}, {1: 'int key', True: 't'}]\n"
        "    bad = 0\n"
        "    n = 0\n"
        "    for c in cases:\n"
        "        for ind in (0, 2, 4, -1, '\\t', '--'):\n"
        "            for sk in (False, True):\n"
        "                for ea in (True, False):\n"
        "                    try:\n"
        "                        a = json.dumps(c, indent=ind, sort_keys=sk, ensure_ascii=ea)\n"
        "                    except TypeError as e:\n"
        "                        a = 'TypeError'\n"
        "                    try:\n"
        "                        b = orig(c, indent=ind, sort_keys=sk, ensure_ascii=ea)\n"
        "                    except TypeError as e:\n"
        "                        b = 'TypeError'\n"
        "                    n += 1\n"
        "                    if a != b:\n"
        "                        bad += 1\n"
        "    return {'cases': n, 'mismatches': bad, 'fast': json.dumps is not orig,\n"
        "            'default': json.dumps({'d': 1j}, indent=2, default=lambda o: str(o))}\n";
    pyscript *s = compile_ok("dumps.py", src);
    CHECK(s != NULL);
    if (!s)
        return;
    attrs a = ATTRS_INIT;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    CHECK_INT(pyscript_run(s, ORDER, strlen(ORDER), &a, NULL, &out, &err), PYSCRIPT_SUCCESS);
    CHECK_STR(out.buf, "{\"cases\":312,\"mismatches\":0,\"fast\":true,\"default\":\"{\\n  \\\"d\\\": \\\"1j\\\"\\n}\"}");
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);
}

static void test_compile_errors(void)
{
    strbuf err = STRBUF_INIT;
    pyscript *s = pyscript_compile("flow.json: script", "x = 1\nif x\n    pass\n", &err);
    CHECK(s == NULL);
    CHECK(strstr(err.buf, "flow.json: script line 2") != NULL);
    pyscript_free(s);
    /* Python 2 (Jython) syntax is converted. */
    const char *py2 =
        "import json\n"
        "flowFile = session.get()\n"
        "try:\n"
        "    d = json.loads(u'{\"a\": 1}')\n"
        "    print 'value', d['a']\n"
        "    flowFile = session.putAttribute(flowFile, 'v', unicode(d['a']))\n"
        "except Exception, e:\n"
        "    session.putAttribute(flowFile, 'log.script.error', str(e))\n"
        "session.transfer(flowFile, REL_SUCCESS)\n";
    s = pyscript_compile("py2.py", py2, &err);
    CHECK(s != NULL);
    if (s) {
        attrs a = ATTRS_INIT;
        strbuf out = STRBUF_INIT;
        CHECK_INT(pyscript_run(s, "{}", 2, &a, NULL, &out, &err), PYSCRIPT_SUCCESS);
        CHECK_STR(attrs_get(&a, "v"), "1");
        attrs_release(&a);
        strbuf_release(&out);
        pyscript_free(s);
    }
    strbuf_release(&err);
}

static char *read_default_check_response(void)
{
    strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, "flows/scripts/default_check_response.py") != 0 &&
        strbuf_read_file(&sb, "../../flows/scripts/default_check_response.py") != 0) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

static void test_default_check_response(void)
{
    char *src = read_default_check_response();
    CHECK(src != NULL);
    if (!src)
        return;
    pyscript *s = compile_ok("order.json: check_response.script", src);
    free(src);
    CHECK(s != NULL);
    if (!s)
        return;
    const char *req = "{\"pk\": 17, \"number\": \"1001\", \"orderitem_set\": [{\"pk\": 171}, {\"pk\": 172}, {\"pk\": 173}]}";
    const char *resp = "{\"id\": \"ERP-17\", \"number\": \"1001\", \"items\": [{\"code\": \"ERP-17-1\"}, {\"code\": \"ERP-17-2\"}, {\"code\": \"ERP-17-3\"}]}";
    const char *want = "{\"order\":{\"pk\":17,\"number\":\"1001\",\"code\":\"ERP-17\"},"
                       "\"items\":[{\"pk\":171,\"code\":\"ERP-17-1\"},{\"pk\":172,\"code\":\"ERP-17-2\"},"
                       "{\"pk\":173,\"code\":\"ERP-17-3\"}],\"order_exists\":false}";
    /* merged content: request keys plus response keys */
    const char *merged = "{\"pk\": 17, \"number\": \"1001\", \"orderitem_set\": [{\"pk\": 171}, {\"pk\": 172}, {\"pk\": 173}],"
                         " \"id\": \"ERP-17\", \"items\": [{\"code\": \"ERP-17-1\"}, {\"code\": \"ERP-17-2\"}, {\"code\": \"ERP-17-3\"}]}";
    pyscript_opts o = {0, 1};
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    attrs a = ATTRS_INIT;
    attrs_set(&a, "request_data", req);
    attrs_set(&a, "response_data", resp);
    attrs_set(&a, "invokehttp.status.code", "201");
    CHECK_INT(pyscript_run(s, merged, strlen(merged), &a, &o, &out, &err), PYSCRIPT_SUCCESS);
    char *got = canon(out.buf, out.len);
    CHECK_STR(got, want);
    free(got);
    CHECK_STR(attrs_get(&a, "order_exists"), "false");
    CHECK_STR(attrs_get(&a, "log.erp.order_code"), "ERP-17");
    attrs_release(&a);
    /* Only the merged content, no request/response attributes. */
    attrs_init(&a);
    CHECK_INT(pyscript_run(s, merged, strlen(merged), &a, &o, &out, &err), PYSCRIPT_SUCCESS);
    got = canon(out.buf, out.len);
    CHECK_STR(got, want);
    free(got);
    attrs_release(&a);
    /* Already in the ERP: order_exists true. */
    attrs_init(&a);
    attrs_set(&a, "order_exists", "true");
    attrs_set(&a, "request_data", req);
    attrs_set(&a, "response_data", "{\"id\": \"ERP-17\", \"items\": [{\"code\": \"ERP-17-1\"}]}");
    attrs_set(&a, "invokehttp.status.code", "200");
    CHECK_INT(pyscript_run(s, "{}", 2, &a, &o, &out, &err), PYSCRIPT_SUCCESS);
    got = canon(out.buf, out.len);
    CHECK_STR(got, "{\"order\":{\"pk\":17,\"number\":\"1001\",\"code\":\"ERP-17\"},"
                   "\"items\":[{\"pk\":171,\"code\":\"ERP-17-1\"},{\"pk\":172,\"code\":null},"
                   "{\"pk\":173,\"code\":null}],\"order_exists\":true}");
    free(got);
    attrs_release(&a);
    /* ERP error answer: failure with a reason. */
    attrs_init(&a);
    attrs_set(&a, "request_data", req);
    attrs_set(&a, "response_data", "{\"error\": \"bad\"}");
    attrs_set(&a, "invokehttp.status.code", "400");
    CHECK_INT(pyscript_run(s, "{}", 2, &a, &o, &out, &err), PYSCRIPT_FAILURE);
    CHECK(strstr(err.buf, "HTTP 400") != NULL);
    attrs_release(&a);
    pyscript_free(s);
    strbuf_release(&out);
    strbuf_release(&err);
}

struct thr {
    pyscript *s;
    int n, ok;
    double timeout;
};

static void *thr_main(void *p)
{
    struct thr *t = p;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    for (int i = 0; i < t->n; i++) {
        attrs a = ATTRS_INIT;
        char v[32];
        snprintf(v, sizeof v, "%d", i);
        attrs_set(&a, "token.erp", v);
        pyscript_opts o = {t->timeout, 0};
        int rc = pyscript_run(t->s, ORDER, strlen(ORDER), &a, &o, &out, &err);
        if (t->timeout > 0 ? rc == PYSCRIPT_FAILURE && strstr(err.buf, "timed out")
                           : rc == PYSCRIPT_SUCCESS && out.len > strlen(ORDER))
            t->ok++;
        attrs_release(&a);
    }
    strbuf_release(&out);
    strbuf_release(&err);
    return NULL;
}

static void test_threads(void)
{
    pyscript *s = compile_ok("seed.py", SEED_SCRIPT);
    pyscript *spin = compile_ok("spin.py", "while True:\n    pass\n");
    CHECK(s && spin);
    if (!s || !spin)
        return;
    /* Four threads run the seed script while a fifth runs away twice. */
    enum { N = 5 };
    pthread_t th[N];
    struct thr t[N];
    for (int i = 0; i < N; i++) {
        t[i].s = i == N - 1 ? spin : s;
        t[i].n = i == N - 1 ? 2 : UNDER_ASAN ? 300 : 500;
        t[i].timeout = i == N - 1 ? 0.2 : 0;
        t[i].ok = 0;
        pthread_create(&th[i], NULL, thr_main, &t[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(t[i].ok, t[i].n);
    }
    pyscript_free(s);
    pyscript_free(spin);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static void test_memory(void)
{
    pyscript *s = compile_ok("seed.py", SEED_SCRIPT);
    CHECK(s != NULL);
    if (!s)
        return;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    int warm = UNDER_ASAN ? 1000 : 20000, n = UNDER_ASAN ? 20000 : 200000, fails = 0;
    long before = 0;
    for (int i = 0; i < warm + n; i++) {
        if (i == warm)
            before = rss_kb();
        attrs a = ATTRS_INIT;
        attrs_set(&a, "token.omnitron", "tok-o");
        attrs_set(&a, "token.erp", "tok-e");
        if (pyscript_run(s, ORDER, strlen(ORDER), &a, NULL, &out, &err) != PYSCRIPT_SUCCESS)
            fails++;
        attrs_release(&a);
    }
    long after = rss_kb();
    CHECK_INT(fails, 0);
    printf("memory: %d runs, RSS %ld kB -> %ld kB\n", n, before, after);
    if (!UNDER_ASAN)
        CHECK(after - before < 4096); /* flat: under 4 MB of growth */
    strbuf_release(&out);
    strbuf_release(&err);
    pyscript_free(s);
}

int main(void)
{
    RUN(test_init);
    RUN(test_seed_script);
    RUN(test_attributes);
    RUN(test_api_surface);
    RUN(test_relation_order_exists_log);
    RUN(test_exception);
    RUN(test_rel_failure);
    RUN(test_timeout);
    RUN(test_invalid_json_output);
    RUN(test_isolation);
    RUN(test_plain_form);
    RUN(test_json_dumps_indent);
    RUN(test_compile_errors);
    RUN(test_default_check_response);
    RUN(test_threads);
    RUN(test_memory);
    return unit_done();
}
