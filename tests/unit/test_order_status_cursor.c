/*
 * test_order_status_cursor: the Order Status Flow's cursor text (the
 * flow's time zone and the seed's format, across daylight-saving
 * changes; the UTC text kept in Redis) and the first ERP request's URL
 * (erpread.h) for a plain URL and for the seed's dynamic URL, byte for
 * byte as NiFi's HTTP client would send it.
 */
#include "erpread.h"
#include "flow.h"
#include "order_status/order_status.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define SEED_FMT "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"

static void check_fmt(int64_t ms, const char *tz, const char *fmt, const char *want)
{
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    CHECK_INT(order_status_format_time(ms, tz, fmt, &out, &err), 0);
    CHECK_STR(out.buf, want);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* Europe/Berlin springs forward at 2024-03-31 01:00 UTC (02:00 -> 03:00
 * local) and falls back at 2024-10-27 01:00 UTC (03:00 -> 02:00). */
static void test_dst(void)
{
    int64_t spring = 1711846800000LL; /* 2024-03-31T01:00:00Z */
    check_fmt(spring - 500, "Europe/Berlin", SEED_FMT, "2024-03-31T01:59:59.500000");
    check_fmt(spring, "Europe/Berlin", SEED_FMT, "2024-03-31T03:00:00.000000");
    check_fmt(spring - 500, "Europe/Berlin", "yyyy-MM-dd'T'HH:mm:ssXXX", "2024-03-31T01:59:59+01:00");
    check_fmt(spring, "Europe/Berlin", "yyyy-MM-dd'T'HH:mm:ssXXX", "2024-03-31T03:00:00+02:00");
    int64_t fall = 1729990800000LL; /* 2024-10-27T01:00:00Z */
    check_fmt(fall - 1800000, "Europe/Berlin", SEED_FMT, "2024-10-27T02:30:00.000000");
    check_fmt(fall + 1800000, "Europe/Berlin", SEED_FMT, "2024-10-27T02:30:00.000000");
    check_fmt(fall + 1800000, "Europe/Berlin", "HH:mm Z", "02:30 +0100");
    /* the seed's example zone has no DST: UTC+3 all year */
    check_fmt(fall, "Europe/Istanbul", SEED_FMT, "2024-10-27T04:00:00.000000");
    check_fmt(fall, "UTC", "yyyy-MM-dd'T'HH:mm:ss.SSSX", "2024-10-27T01:00:00.000Z");
    check_fmt(fall, "UTC", "dd/MM/yy 'at' HH''mm", "27/10/24 at 01'00");
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    CHECK_INT(order_status_format_time(fall, "Mars/Olympus", SEED_FMT, &out, &err), -1);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* A row's modified date read back: the inverse of the format, across
 * daylight-saving changes (a skipped wall clock is read forward, an
 * ambiguous one as the later instant, as Java's lenient calendar does). */
static void test_parse_time(void)
{
    int64_t spring = 1711846800000LL; /* 2024-03-31T01:00:00Z */
    int64_t fall = 1729990800000LL;   /* 2024-10-27T01:00:00Z */
    CHECK_INT(order_status_parse_time("2024-03-31T01:59:59.500000", "Europe/Berlin", SEED_FMT), spring - 500);
    CHECK_INT(order_status_parse_time("2024-03-31T03:00:00.000000", "Europe/Berlin", SEED_FMT), spring);
    CHECK_INT(order_status_parse_time("2024-03-31T02:30:00.000000", "Europe/Berlin", SEED_FMT), spring + 1800000);
    CHECK_INT(order_status_parse_time("2024-10-27T02:30:00.000000", "Europe/Berlin", SEED_FMT), fall + 1800000);
    CHECK_INT(order_status_parse_time("2024-10-27T04:00:00.123456", "Europe/Istanbul", SEED_FMT), fall + 123);
    CHECK_INT(order_status_parse_time("2024-03-31T03:00:00+02:00", "UTC", "yyyy-MM-dd'T'HH:mm:ssXXX"), spring);
    CHECK_INT(order_status_parse_time("27/10/24 at 01'00", "UTC", "dd/MM/yy 'at' HH''mm"), fall);
    CHECK_INT(order_status_parse_time("2024-10-27 01:00:00", "UTC", SEED_FMT), -1);
    CHECK_INT(order_status_parse_time("2024-10-27T01:00:00.000000x", "UTC", SEED_FMT), -1);
    CHECK_INT(order_status_parse_time("2024-10-27T01:00:00.000000", "Mars/Olympus", SEED_FMT), -1);
}

static void test_utc_text(void)
{
    strbuf t = STRBUF_INIT;
    order_status_utc_text(1711846799500LL, &t);
    CHECK_STR(t.buf, "2024-03-31T00:59:59.500Z");
    CHECK_INT(order_status_parse_utc(t.buf), 1711846799500LL);
    CHECK_INT(order_status_parse_utc("2024-10-01T00:29:59.5Z"), 1727742599500LL);
    CHECK_INT(order_status_parse_utc("2024-10-01T00:29:59Z"), 1727742599000LL);
    CHECK_INT(order_status_parse_utc("2024-10-01 00:29:59"), -1);
    strbuf_release(&t);
}

static void first_url(const char *file, attrs *query, attrs *vars, const char *token, const char *want)
{
    strbuf errs = STRBUF_INIT, url = STRBUF_INIT, err = STRBUF_INIT;
    flow *f = flow_load(file, 0, &errs);
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "%s\n", errs.buf);
        return;
    }
    const order_status_settings *o = order_status_settings_of(f);
    erpread_config cfg;
    order_status_erpread_config(o, &cfg);
    CHECK_INT(erpread_first_url(&cfg, query, vars, token, &url, &err), 0);
    if (err.len)
        fprintf(stderr, "%s\n", err.buf);
    CHECK_STR(url.buf, want);
    flow_free(f);
    strbuf_release(&errs);
    strbuf_release(&url);
    strbuf_release(&err);
}

#define SEED_DATE_URL(d) \
    "http://127.0.0.1:12345/(S(tok%20en))/service/run?{%27name%27:%20%27Akinon%27,%20%27Parameters%27:%20" \
    "[{%27Name%27:%20%27Date%27,%20%27Value%27:%20%27" d "%27}]}"
#define SEED_ORDER_URL(n) \
    "http://127.0.0.1:12345/(S(tok%20en))/service/run?{%27name%27:%20%27Akinon%27,%20%27Parameters%27:%20" \
    "[{%27Name%27:%20%27Order%27,%20%27Value%27:%20%27" n "%27}]}"

static void test_urls(void)
{
    attrs q = ATTRS_INIT, v = ATTRS_INIT;
    /* a plain URL: the query, custom parameters after it, paging last */
    attrs_set(&q, "modified_date__gt", "2024-10-01T03:29:59.000000");
    attrs_set(&q, "custom_parameter", "a b&c");
    first_url("tests/flows/order_status/valid/minimal/flow.json", &q, &v, NULL,
              "http://127.0.0.1:18002/order_status?modified_date__gt=2024-10-01T03:29:59.000000"
              "&custom_parameter=a%20b%26c");
    /* the seed's expression, an automatic run: the date branch, the
     * fraction stripped, the token in the path */
    attrs_set(&v, "last.request", "2024-10-01T03:29:59.000000");
    attrs_release(&q);
    attrs_set(&q, "modified_date__gt", "2024-10-01T03:29:59.000000");
    first_url("tests/flows/order_status/valid/seed-expression/flow.json", &q, &v, "tok en",
              SEED_DATE_URL("2024-10-01T03:29:59"));
    /* NiFi's quirk, kept: a trigger with only a number tests sku first and
     * takes the date branch; the reader gives the default trigger
     * parameters not sent as "" (order_status_read.c), so the date is
     * empty, as NiFi evaluates it ... */
    attrs_release(&q);
    attrs_set(&q, "number", "ORD-000001");
    attrs_set(&v, "http.query.param.modified_date__gt", "");
    first_url("tests/flows/order_status/valid/seed-expression/flow.json", &q, &v, "tok en", SEED_DATE_URL(""));
    /* ... while with the attribute absent replace() leaves the placeholder,
     * as engines/el evaluates a null replacement */
    attrs_release(&v);
    attrs_set(&v, "last.request", "2024-10-01T03:29:59.000000");
    first_url("tests/flows/order_status/valid/seed-expression/flow.json", &q, &v, "tok en", SEED_DATE_URL("{MODIFIED_DATE}"));
    /* ... and with sku set the order branch is taken */
    attrs_set(&q, "sku", "x");
    first_url("tests/flows/order_status/valid/seed-expression/flow.json", &q, &v, "tok en",
              SEED_ORDER_URL("ORD-000001"));
    attrs_release(&q);
    attrs_release(&v);
}

static void test_encode(void)
{
    strbuf out = STRBUF_INIT;
    erpread_encode_url("http://h:1/a b/{x}|^`?q=\"v\" <'>&r=%41%zz%2#frag", &out);
    CHECK_STR(out.buf, "http://h:1/a%20b/%7Bx%7D%7C%5E%60?q=%22v%22%20%3C%27%3E&r=%41%25zz%252");
    strbuf_reset(&out);
    erpread_encode_url("http://h/\xc3\xbc?x=\xc3\xbc", &out);
    CHECK_STR(out.buf, "http://h/%C3%BC?x=%C3%BC");
    strbuf_release(&out);
}

int main(void)
{
    setenv("OMNITRON_USERNAME", "u", 1);
    setenv("OMNITRON_PASSWORD", "p", 1);
    RUN(test_dst);
    RUN(test_utc_text);
    RUN(test_parse_time);
    RUN(test_encode);
    RUN(test_urls);
    return unit_done();
}
