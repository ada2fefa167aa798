/* Unit tests: envelope encode/decode, including hostile input. */
#include "envelope.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fill_n(envelope *e, int nattrs)
{
    envelope_set(&e->flow, "orders");
    envelope_set(&e->flow_type, "order");
    envelope_set(&e->run_id, "run-20240101-0001");
    envelope_set(&e->key, "SO-1000042");
    e->attempt = 4000000000u;
    e->created_ms = 1717171717171LL;
    for (int i = 0; i < nattrs; i++) {
        char k[32], v[64];
        snprintf(k, sizeof k, "log.k%d", i);
        snprintf(v, sizeof v, "value %d \xc3\xa9", i * 7);
        attrs_set(&e->attrs, k, v);
    }
    attrs_set(&e->attrs, "empty", "");
    static const char body[] = "{\"a\":1,\"bin\":\"\0\x01\xff\"}";
    strbuf_add(&e->body, body, sizeof body); /* includes NULs */
    strbuf_addstr(&e->source, "{\"orderId\":\"SO-1000042\",\"omnitronId\":77}");
    envelope_set(&e->stage, "map");
    e->http_status = 503;
    envelope_set(&e->error, "upstream said \"no\"");
    envelope_set(&e->src_topic, "ff.order.records");
    e->src_partition = 3;
    e->src_offset = 9007199254740993LL;
    e->failed_ms = -5;
}

static void fill(envelope *e) { fill_n(e, 300); }

static void test_round_trip(void)
{
    envelope e, d;
    strbuf buf = STRBUF_INIT, err = STRBUF_INIT;
    envelope_init(&e);
    envelope_init(&d);
    fill(&e);
    envelope_encode(&e, &buf);
    CHECK_INT(envelope_decode(&d, buf.buf, buf.len, &err), 0);
    CHECK_STR(err.buf, "");
    CHECK_INT(d.version, ENVELOPE_VERSION);
    CHECK_STR(d.flow, "orders");
    CHECK_STR(d.flow_type, "order");
    CHECK_STR(d.run_id, "run-20240101-0001");
    CHECK_STR(d.key, "SO-1000042");
    CHECK(d.attempt == 4000000000u);
    CHECK_INT(d.created_ms, 1717171717171LL);
    CHECK_INT(d.attrs.n, 301);
    CHECK_STR(attrs_get(&d.attrs, "log.k0"), "value 0 \xc3\xa9");
    CHECK_STR(attrs_get(&d.attrs, "log.k299"), "value 2093 \xc3\xa9");
    CHECK_STR(attrs_get(&d.attrs, "empty"), "");
    int order_ok = 1;
    for (size_t i = 0; i < d.attrs.n; i++)
        order_ok &= strcmp(d.attrs.keys[i], e.attrs.keys[i]) == 0 &&
                    strcmp(d.attrs.vals[i], e.attrs.vals[i]) == 0;
    CHECK(order_ok);
    CHECK_INT(d.body.len, e.body.len);
    CHECK(memcmp(d.body.buf, e.body.buf, e.body.len) == 0);
    CHECK_STR(d.source.buf, "{\"orderId\":\"SO-1000042\",\"omnitronId\":77}");
    CHECK_STR(d.stage, "map");
    CHECK_INT(d.http_status, 503);
    CHECK_STR(d.error, "upstream said \"no\"");
    CHECK_STR(d.src_topic, "ff.order.records");
    CHECK_INT(d.src_partition, 3);
    CHECK_INT(d.src_offset, 9007199254740993LL);
    CHECK_INT(d.failed_ms, -5);

    /* decode into a used envelope: it is reset first */
    envelope e2;
    envelope_init(&e2);
    envelope_set(&e2.flow, "f");
    envelope_set(&e2.flow_type, "tick");
    strbuf_reset(&buf);
    envelope_encode(&e2, &buf);
    CHECK_INT(envelope_decode(&d, buf.buf, buf.len, &err), 0);
    CHECK_STR(d.flow_type, "tick");
    CHECK(d.run_id == NULL);
    CHECK(d.key == NULL);
    CHECK(d.stage == NULL);
    CHECK_INT(d.attrs.n, 0);
    CHECK_INT(d.body.len, 0);
    CHECK_INT(d.source.len, 0);
    CHECK_INT(d.src_partition, -1);
    CHECK_INT(d.src_offset, -1);
    CHECK_INT(d.http_status, 0);

    /* copy */
    envelope_copy(&d, &e);
    CHECK_STR(d.error, e.error);
    CHECK_INT(d.attrs.n, 301);
    CHECK_INT(d.body.len, e.body.len);
    CHECK(memcmp(d.body.buf, e.body.buf, e.body.len) == 0);
    CHECK_STR(d.source.buf, e.source.buf);
    CHECK_INT(d.src_offset, e.src_offset);

    envelope_release(&e);
    envelope_release(&e2);
    envelope_release(&d);
    strbuf_release(&buf);
    strbuf_release(&err);
}

static void test_truncated(void)
{
    envelope e, d;
    strbuf buf = STRBUF_INIT, err = STRBUF_INIT;
    envelope_init(&e);
    envelope_init(&d);
    fill_n(&e, 20);
    envelope_encode(&e, &buf);
    int all_fail = 1, all_msg = 1;
    for (size_t n = 0; n < buf.len; n++) {
        /* a fresh copy of exactly n bytes so ASan sees any overread */
        char *p = malloc(n ? n : 1);
        memcpy(p, buf.buf, n);
        strbuf_reset(&err);
        if (envelope_decode(&d, p, n, &err) != -1)
            all_fail = 0;
        if (err.len == 0)
            all_msg = 0;
        free(p);
    }
    CHECK(all_fail);
    CHECK(all_msg);
    CHECK(d.flow == NULL && d.attrs.n == 0 && d.body.len == 0);
    strbuf_reset(&err);
    CHECK_INT(envelope_decode(&d, buf.buf, buf.len - 1, &err), -1);
    CHECK(strstr(err.buf, "truncated") != NULL);
    CHECK_INT(envelope_decode(&d, NULL, 0, &err), -1);
    /* trailing garbage */
    strbuf_addch(&buf, 0x01);
    CHECK_INT(envelope_decode(&d, buf.buf, buf.len, &err), -1);
    CHECK(strstr(err.buf, "trailing") != NULL);
    envelope_release(&e);
    envelope_release(&d);
    strbuf_release(&buf);
    strbuf_release(&err);
}

/* Builds a map by hand with msgpack bytes. */
static void add(strbuf *sb, const char *bytes, size_t n) { strbuf_add(sb, bytes, n); }
#define ADD(sb, lit) add(sb, lit, sizeof(lit) - 1)

static void test_version_and_required(void)
{
    envelope d;
    strbuf m = STRBUF_INIT, err = STRBUF_INIT;
    envelope_init(&d);

    /* version 2 */
    ADD(&m, "\x83\xa1v\x02\xa1" "f\xa1x\xa1t\xa1y");
    CHECK_INT(envelope_decode(&d, m.buf, m.len, &err), -1);
    CHECK(strstr(err.buf, "version 2") != NULL);

    /* version 1 with an unknown key of every kind is fine */
    strbuf_reset(&m);
    ADD(&m, "\x87\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y");
    ADD(&m, "\xa3new\x92\x81\xa1q\xcb\0\0\0\0\0\0\0\0\xc0");  /* [ {q: 0.0}, nil ] */
    ADD(&m, "\xa2zz\xc7\x02\x05\xaa\xbb");                     /* ext8 */
    ADD(&m, "\xa2zy\xdc\x00\x02\xc3\xd6\x01\x00\x00\x00\x00"); /* array16 [true, fixext4] */
    ADD(&m, "\xa2zx\xc4\x03" "abc");                          /* bin */
    strbuf_reset(&err);
    CHECK_INT(envelope_decode(&d, m.buf, m.len, &err), 0);
    CHECK_STR(err.buf, "");
    CHECK_STR(d.flow, "x");
    CHECK_STR(d.flow_type, "y");

    /* missing version */
    strbuf_reset(&m);
    ADD(&m, "\x82\xa1" "f\xa1x\xa1t\xa1y");
    CHECK_INT(envelope_decode(&d, m.buf, m.len, &err), -1);
    CHECK(strstr(err.buf, "version") != NULL);

    /* missing flow_type */
    strbuf_reset(&m);
    ADD(&m, "\x82\xa1v\x01\xa1" "f\xa1x");
    CHECK_INT(envelope_decode(&d, m.buf, m.len, &err), -1);
    CHECK(strstr(err.buf, "flow_type") != NULL);

    /* missing flow */
    strbuf_reset(&m);
    ADD(&m, "\x82\xa1v\x01\xa1t\xa1y");
    CHECK_INT(envelope_decode(&d, m.buf, m.len, &err), -1);
    CHECK(strstr(err.buf, "flow") != NULL);
    CHECK(d.flow_type == NULL);

    envelope_release(&d);
    strbuf_release(&m);
    strbuf_release(&err);
}

static void expect_fail(const char *bytes, size_t n, const char *want)
{
    envelope d;
    strbuf err = STRBUF_INIT;
    char *p = malloc(n ? n : 1);
    memcpy(p, bytes, n);
    envelope_init(&d);
    int rc = envelope_decode(&d, p, n, &err);
    CHECK_INT(rc, -1);
    if (!strstr(err.buf, want)) {
        unit_failed++;
        fprintf(stderr, "FAIL %s: error \"%s\" lacks \"%s\"\n", unit_current, err.buf, want);
    } else {
        unit_passed++;
    }
    envelope_release(&d);
    strbuf_release(&err);
    free(p);
}
#define FAILS(lit, want) expect_fail(lit, sizeof(lit) - 1, want)

static void test_wrong_types(void)
{
    FAILS("\x93\x01\x02\x03", "top level is not a map");
    FAILS("\x81\x01\x01", "field name is not a string");
    FAILS("\x83\xa1v\xa1" "1\xa1" "f\xa1x\xa1t\xa1y", "version is not an integer");
    FAILS("\x83\xa1v\x01\xa1" "f\x05\xa1t\xa1y", "flow is not a string");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "a\xff", "attempt out of range");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "a\xcf\x00\x00\x00\x01\x00\x00\x00\x00", "attempt out of range");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "c\xcf\xff\x00\x00\x00\x00\x00\x00\x00", "created_ms out of range");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "A\x91\x01", "attrs is not a map");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "A\x81\xa1k\x01", "attribute value is not a string");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "A\x81\xa1k\xa2x\x00", "NUL");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "b\x01", "body is not a string or binary");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa2sp\xce\xff\xff\xff\xff", "src_partition out of range");
    FAILS("\x83\xa1v\x01\xa1" "f\xa2x\x00\xa1t\xa1y", "NUL");
    FAILS("\x84\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1q\xc1", "0xc1");
    /* lying counts must not allocate or loop for long */
    FAILS("\xdf\xff\xff\xff\xff", "truncated");
    FAILS("\x81\xa1q\xdd\xff\xff\xff\xff", "truncated");
    FAILS("\x81\xa1q\xdb\xff\xff\xff\xff", "truncated");
    FAILS("\x81\xa1q\xc6\x7f\xff\xff\xff" "abc", "truncated");
    FAILS("\x81\xa1q\xc9\xff\xff\xff\xff\x01", "truncated");
    /* deep nesting */
    {
        strbuf m = STRBUF_INIT;
        ADD(&m, "\x81\xa1q");
        for (int i = 0; i < 100000; i++)
            strbuf_addch(&m, 0x91);
        strbuf_addch(&m, 0x01);
        expect_fail(m.buf, m.len, "nested too deeply");
        strbuf_release(&m);
    }
    /* negative fixint / int8 decode as signed */
    {
        envelope d;
        envelope_init(&d);
        static const char m[] = "\x86\xa1v\x01\xa1" "f\xa1x\xa1t\xa1y\xa1" "c\xff\xa2so\xd0\x80\xa2" "fm\xd2\xff\xff\xff\xfe";
        CHECK_INT(envelope_decode(&d, m, sizeof m - 1, NULL), 0);
        CHECK_INT(d.created_ms, -1);
        CHECK_INT(d.src_offset, -128);
        CHECK_INT(d.failed_ms, -2);
        envelope_release(&d);
    }
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void test_random(void)
{
    envelope e, d;
    strbuf good = STRBUF_INIT;
    envelope_init(&e);
    envelope_init(&d);
    fill_n(&e, 20);
    envelope_encode(&e, &good);
    int ok_count = 0, total = 0, bad_msg = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n;
        unsigned char *p;
        if (iter % 2 == 0) {
            /* pure random bytes, often starting like a map */
            n = rnd() % 64;
            p = malloc(n ? n : 1);
            for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char)rnd();
            if (n && iter % 4 == 0)
                p[0] = 0x80 | (rnd() & 0x0f);
        } else {
            /* a valid envelope with a few bytes flipped */
            n = good.len;
            p = malloc(n);
            memcpy(p, good.buf, n);
            for (int k = 0, flips = 1 + rnd() % 4; k < flips; k++)
                p[rnd() % n] = (unsigned char)rnd();
        }
        strbuf err = STRBUF_INIT;
        int rc = envelope_decode(&d, p, n, &err);
        total++;
        if (rc == 0)
            ok_count++;
        else if (err.len == 0)
            bad_msg++;
        if (rc == 0 && (!d.flow || !d.flow_type))
            bad_msg++;
        strbuf_release(&err);
        free(p);
    }
    CHECK_INT(total, 20000);
    CHECK_INT(bad_msg, 0);
    CHECK(ok_count < total);
    envelope_release(&e);
    envelope_release(&d);
    strbuf_release(&good);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_truncated);
    RUN(test_version_and_required);
    RUN(test_wrong_types);
    RUN(test_random);
    return unit_done();
}
