/*
 * order_example.c: one order by number, built exactly as the reader
 * publishes it (order_build: the detail with its items and discounts, each
 * with its detail): the example input of `flowctl order FLOW NUMBER`, what
 * the product's Script Testing and Mapping Testing panels start from. It
 * finds the order with omnitron.paths.order_by_number and checks the number
 * of what it found (a list that ignores the filter answers other orders).
 */
#include "order.h"

#include <string.h>

#include "auth.h"
#include "jsontext.h"
#include "omnitron.h"

int order_example(stage_ctx *c, const flow *f, const char *number, strbuf *out, strbuf *err)
{
    const order_settings *o = order_settings_of(f);
    strbuf path = STRBUF_INIT, num = STRBUF_INIT, body = STRBUF_INIT;
    attrs vars = ATTRS_INIT;
    auth_session sa;
    long status;
    int rc = -1;
    auth_init(&sa, c, f, 0);
    strbuf_add_urlencoded(&num, number, strlen(number));
    attrs_set(&vars, "number", num.buf);
    flow_fill_path(&path, o->path_order_by_number, &vars);
    json_t *v = omnitron_get(c, f, &sa, path.buf, &status, err);
    json_t *found = NULL, *it;
    size_t i;
    json_array_foreach(omnitron_results(v), i, it) {
        json_t *n = json_object_get(it, "number");
        if (json_is_string(n) && strcmp(json_string_value(n), number) == 0) {
            found = it;
            break;
        }
    }
    if (v && !found) {
        strbuf_seterr(err, "no order numbered \"%s\" (%s answered %zu other order(s))", number, path.buf,
                      json_array_size(omnitron_results(v)));
    } else if (found && order_build(c, f, &sa, found, &body, &status, err) == 0) {
        json_t *record = jsontext_parse(body.buf, body.len, err);
        if (record) {
            jsontext_dump(record, out, JSONTEXT_PRETTY);
            json_decref(record);
            rc = 0;
        }
    }
    json_decref(v);
    attrs_release(&vars);
    auth_release(&sa);
    strbuf_release(&path);
    strbuf_release(&num);
    strbuf_release(&body);
    return rc;
}
