/*
 * bench/jolt.c: `bench-jolt [DIR]` - speed of engines/jolt against the Java
 * Jolt anchor (38 us per apply, 8 us for the shift step alone, 55-67 us for
 * parse + transform + serialize, measured on the reference order chain).
 *
 * Without DIR it uses a built-in ~5 KB order with 3 items and a two-step
 * chain (a shift with ~20 renames and items.* -> line_items[&1], then a
 * default with array defaults). With DIR it reads DIR/input.json and
 * DIR/spec.json, and compares with DIR/expected-output.json when present
 * (key order ignored). An optional second argument sets the iteration count
 * (e.g. 200 under valgrind). Parse and serialize of the input alone are timed
 * too. The last line is one JSON object with the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jolt.h"
#include "jsontext.h"

#include "../tests/unit/same_json.h"

static const char *ORDER =
    "{\"orderId\":\"SO-2024-000123\",\"orderDate\":\"2024-03-14T09:26:53Z\",\"status\":\"CONFIRMED\","
    "\"currency\":\"EUR\",\"channel\":\"web\",\"customer\":{\"id\":\"C-99812\",\"firstName\":\"Ada\","
    "\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\",\"phone\":\"+44 20 7946 0000\",\"tier\":\"gold\","
    "\"since\":\"2015-06-01\",\"marketingOptIn\":true},\"billing\":{\"street\":\"12 Analytical Row\","
    "\"city\":\"London\",\"zip\":\"NW1 6XE\",\"country\":\"GB\",\"vatId\":\"GB123456789\"},"
    "\"shipping\":{\"street\":\"12 Analytical Row\",\"city\":\"London\",\"zip\":\"NW1 6XE\",\"country\":\"GB\","
    "\"method\":\"express\",\"carrier\":\"DHL\",\"cost\":12.5,\"instructions\":\"Leave with the concierge if "
    "nobody answers the door; ring twice and wait a minute before leaving.\"},"
    "\"payment\":{\"method\":\"card\",\"brand\":\"VISA\",\"last4\":\"4242\",\"authorized\":true,"
    "\"amount\":1234.56,\"authCode\":\"A1B2C3\",\"capturedAt\":\"2024-03-14T09:27:10Z\"},"
    "\"items\":["
    "{\"sku\":\"ENG-001\",\"name\":\"Difference Engine replica, brass, 1:10 scale, with display case\","
    "\"qty\":1,\"unitPrice\":899.0,\"discount\":0.0,\"taxRate\":0.2,\"weightKg\":7.5,\"warehouse\":\"LON-1\","
    "\"attributes\":{\"color\":\"brass\",\"size\":\"L\",\"giftWrap\":false},\"tags\":[\"collectible\",\"metal\",\"large\"]},"
    "{\"sku\":\"BK-042\",\"name\":\"Sketch of the Analytical Engine (annotated translation, hardcover)\","
    "\"qty\":2,\"unitPrice\":45.5,\"discount\":5.0,\"taxRate\":0.0,\"weightKg\":0.9,\"warehouse\":\"LON-2\","
    "\"attributes\":{\"color\":\"navy\",\"size\":\"M\",\"giftWrap\":true},\"tags\":[\"book\",\"history\"]},"
    "{\"sku\":\"PC-777\",\"name\":\"Punched card set (100 cards) with wooden storage box and index\","
    "\"qty\":3,\"unitPrice\":81.52,\"discount\":0.0,\"taxRate\":0.2,\"weightKg\":1.2,\"warehouse\":\"MAN-1\","
    "\"attributes\":{\"color\":\"natural\",\"size\":\"S\",\"giftWrap\":false},\"tags\":[\"paper\",\"set\",\"wood\"]}],"
    "\"notes\":[\"Customer asked for a single shipment.\",\"Invoice must show the VAT id.\","
    "\"Priority handling requested by the account manager for the spring campaign.\"],"
    "\"audit\":{\"createdBy\":\"checkout-service\",\"createdAt\":\"2024-03-14T09:26:53Z\",\"updatedBy\":\"erp-sync\","
    "\"updatedAt\":\"2024-03-14T09:30:00Z\",\"version\":7,\"source\":\"eu-west-1\",\"traceId\":"
    "\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\"}}";

static const char *CHAIN =
    "[{\"operation\":\"shift\",\"spec\":{"
    "\"orderId\":\"order.id\",\"orderDate\":\"order.date\",\"status\":\"order.status\",\"currency\":\"order.currency\","
    "\"channel\":\"order.channel\","
    "\"customer\":{\"id\":\"customer.ref\",\"firstName\":\"customer.given_name\",\"lastName\":\"customer.family_name\","
    "\"email\":\"customer.email\",\"phone\":\"customer.phone\",\"tier\":\"customer.tier\"},"
    "\"billing\":{\"street\":\"bill_to.line1\",\"city\":\"bill_to.city\",\"zip\":\"bill_to.postcode\","
    "\"country\":\"bill_to.country\",\"vatId\":\"bill_to.vat\"},"
    "\"shipping\":{\"method\":\"ship.method\",\"carrier\":\"ship.carrier\",\"cost\":\"ship.cost\",\"*\":\"ship_to.&\"},"
    "\"payment\":{\"method\":\"payment.type\",\"amount\":\"payment.total\",\"authorized\":\"payment.ok\"},"
    "\"items\":{\"*\":{\"sku\":\"line_items[&1].sku\",\"name\":\"line_items[&1].title\",\"qty\":\"line_items[&1].quantity\","
    "\"unitPrice\":\"line_items[&1].price\",\"discount\":\"line_items[&1].discount\",\"taxRate\":\"line_items[&1].tax_rate\","
    "\"attributes\":{\"*\":\"line_items[&2].attr.&\"},\"tags\":\"line_items[&1].tags\"}},"
    "\"notes\":\"notes\",\"audit\":{\"version\":\"meta.version\",\"traceId\":\"meta.trace\"}}},"
    "{\"operation\":\"default\",\"spec\":{\"order\":{\"source\":\"flowfleet\",\"priority\":\"normal\"},"
    "\"line_items[]\":{\"*\":{\"discount\":0.0,\"attr\":{\"giftWrap\":false},\"uom\":\"EA\"}},"
    "\"payment\":{\"captured\":false},\"flags[]\":{\"0\":\"new\",\"1\":\"unreviewed\"}}}]";

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    strbuf err = STRBUF_INIT, text = STRBUF_INIT, spectext = STRBUF_INIT;
    json_t *expected = NULL;
    if (argc > 1) {
        strbuf path = STRBUF_INIT;
        strbuf_addf(&path, "%s/input.json", argv[1]);
        if (strbuf_read_file(&text, path.buf)) {
            fprintf(stderr, "bench-jolt: cannot read %s\n", path.buf);
            return 1;
        }
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/spec.json", argv[1]);
        if (strbuf_read_file(&spectext, path.buf)) {
            fprintf(stderr, "bench-jolt: cannot read %s\n", path.buf);
            return 1;
        }
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/expected-output.json", argv[1]);
        expected = jsontext_load_file(path.buf, &err);
        strbuf_release(&path);
    } else {
        strbuf_addstr(&text, ORDER);
        strbuf_addstr(&spectext, CHAIN);
    }
    json_t *spec = jsontext_parse(spectext.buf, spectext.len, &err);
    json_t *input = spec ? jsontext_parse(text.buf, text.len, &err) : NULL;
    jolt_spec *js = input ? jolt_compile(spec, &err) : NULL;
    if (!js) {
        fprintf(stderr, "bench-jolt: %s\n", err.buf);
        return 1;
    }
    /* the first step alone, when it is a shift */
    jolt_spec *shift = NULL;
    json_t *first = json_is_array(spec) ? json_array_get(spec, 0) : spec;
    json_t *opname = json_object_get(first, "operation");
    if (json_is_string(opname) && !strcmp(json_string_value(opname), "shift"))
        shift = jolt_compile_op("shift", json_object_get(first, "spec"), &err);

    int iters = argc > 2 ? atoi(argv[2]) : 20000;
    if (iters < 1)
        iters = 1;
    json_t *out = jolt_apply(js, input, NULL, &err);
    int equal = expected ? same_json(expected, out) : -1;
    json_decref(out);

    double t0 = now_us();
    for (int i = 0; i < iters; i++)
        json_decref(jolt_apply(js, input, NULL, NULL));
    double apply_us = (now_us() - t0) / iters;

    double shift_us = 0;
    if (shift) {
        t0 = now_us();
        for (int i = 0; i < iters; i++)
            json_decref(jolt_apply(shift, input, NULL, NULL));
        shift_us = (now_us() - t0) / iters;
    }

    t0 = now_us();
    for (int i = 0; i < iters; i++)
        json_decref(jsontext_parse(text.buf, text.len, NULL));
    double parse_us = (now_us() - t0) / iters;

    strbuf ser = STRBUF_INIT;
    t0 = now_us();
    for (int i = 0; i < iters; i++) {
        strbuf_reset(&ser);
        jsontext_dump(input, &ser, 0);
    }
    double dump_us = (now_us() - t0) / iters;

    t0 = now_us();
    for (int i = 0; i < iters; i++) {
        json_t *in = jsontext_parse(text.buf, text.len, NULL);
        json_t *o = jolt_apply(js, in, NULL, NULL);
        strbuf_reset(&ser);
        jsontext_dump(o, &ser, 0);
        json_decref(o);
        json_decref(in);
    }
    double full_us = (now_us() - t0) / iters;

    printf("input: %zu bytes, %d steps, %d iterations\n", text.len, jolt_steps(js), iters);
    printf("apply (input parsed):        %8.2f us   Java 38 us   -> %.1fx\n", apply_us, 38.0 / apply_us);
    if (shift)
        printf("shift step alone:            %8.2f us   Java 8 us    -> %.1fx\n", shift_us, 8.0 / shift_us);
    printf("parse input alone:           %8.2f us\n", parse_us);
    printf("serialize input alone:       %8.2f us\n", dump_us);
    printf("parse + apply + serialize:   %8.2f us   Java 55-67 us -> %.1fx-%.1fx\n", full_us, 55.0 / full_us,
           67.0 / full_us);
    if (expected)
        printf("equal to expected-output.json: %s\n", equal ? "true" : "false");
    printf("{\"bench\":\"jolt\",\"input_bytes\":%zu,\"apply_us\":%.3f,\"shift_us\":%.3f,\"parse_us\":%.3f,\"dump_us\":%.3f,\"full_us\":%.3f,"
           "\"java_apply_us\":38,\"java_shift_us\":8,\"java_full_us_min\":55,\"java_full_us_max\":67,"
           "\"speedup_apply\":%.2f,\"speedup_shift\":%.2f,\"speedup_full\":%.2f%s%s}\n",
           text.len, apply_us, shift_us, parse_us, dump_us, full_us, 38.0 / apply_us, shift_us > 0 ? 8.0 / shift_us : 0.0,
           61.0 / full_us, expected ? ",\"equal\":" : "", expected ? (equal ? "true" : "false") : "");
    strbuf_release(&ser);
    jolt_free(shift);
    jolt_free(js);
    json_decref(spec);
    json_decref(input);
    json_decref(expected);
    strbuf_release(&err);
    strbuf_release(&text);
    strbuf_release(&spectext);
    return 0;
}
