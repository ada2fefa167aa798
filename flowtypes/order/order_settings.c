/*
 * order_settings.c: the Order Flow's settings, written once in a table
 * that drives both the loader and the table in docs/flows.md
 * (`flowctl settings order` prints it).
 */
#include "order.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "httpcall.h"
#include "xalloc.h"

#define O(field) offsetof(order_settings, field)

const setting order_settings_table[] = {
    { "omnitron.channels", SETTING_IDS, NULL, "sales channel ids whose orders are read: `\"1,2\"` or `[1, 2]`", SETTING_BY_CODE, 0, 0, 1 },
    { "omnitron.page_size", SETTING_INT, "100", "orders per list page", O(page_size), 1, 1000, 0 },
    { "omnitron.concurrency", SETTING_INT, "8", "orders built at once by a reader", O(read_concurrency), 1, 64, 0 },
    { "omnitron.lease_ttl", SETTING_DURATION, "10m", "how long an order in the pipeline is not published again", O(lease_ttl_ms), 0, 0, 0 },
    { "omnitron.max_orders_per_run", SETTING_INT, "0", "at most this many orders per run (0: no limit)", O(max_orders_per_run), 0, 100000000, 0 },
    { "omnitron.paging", SETTING_STR, "keyset", "how the order list pages: `keyset` (`{after}`: the last id read), `page` (`{page}`), `offset` (`{offset}`) or `next` (the answers' `next` links)", SETTING_BY_CODE, 0, 0, 0 },
    { "omnitron.max_list_requests", SETTING_INT, "10000", "list requests a run may make; reaching it ends the run as failed, with the reason", O(max_list_requests), 1, 100000000, 0 },
    { "omnitron.max_passes", SETTING_INT, "20", "`page`, `offset`, `next`: passes from the first page until one finds nothing new (the list shrinks as orders are sent)", O(max_passes), 1, 1000, 0 },
    { "omnitron.paths.orders", SETTING_STR, "/api/v1/orders/?is_send=False&channel__in={channels}&status__ne=100&sort=id&id__gt={after}&limit={limit}",
      "the unsent orders' list, with the placeholder `omnitron.paging` needs", O(path_orders), 0, 0, 0 },
    { "omnitron.paths.order_detail", SETTING_STR, "/api/v1/orders_integration/{pk}/detailed_integration/", "one order's detail", O(path_order_detail), 0, 0, 0 },
    { "omnitron.paths.items", SETTING_STR, "/api/v1/order_items/?order_id={pk}&limit=99999", "an order's items", O(path_items), 0, 0, 0 },
    { "omnitron.paths.item_detail", SETTING_STR, "/api/v1/order_items/{pk}/detailed_integration/", "one item's detail", O(path_item_detail), 0, 0, 0 },
    { "omnitron.paths.discounts", SETTING_STR, "/api/v1/discount_items/?order_id={pk}&limit=99999", "an order's discounts", O(path_discounts), 0, 0, 0 },
    { "omnitron.paths.discount_detail", SETTING_STR, "/api/v1/discount_items/{pk}/detailed_integration/", "one discount's detail", O(path_discount_detail), 0, 0, 0 },
    { "omnitron.paths.mark_sent", SETTING_STR, "/api/v1/orders/{pk}/", "PATCH `{\"is_send\": true}`, last", O(path_mark_sent), 0, 0, 0 },
    { "omnitron.paths.item_mapping", SETTING_STR, "/api/v1/order_items/{pk}/create_mapping/", "POST an item's ERP code", O(path_item_mapping), 0, 0, 0 },
    { "omnitron.paths.order_mapping", SETTING_STR, "/api/v1/orders/{pk}/create_mapping/", "POST the order's ERP code (`\"\"`: none)", O(path_order_mapping), 0, 0, 0 },
    { "omnitron.paths.order_by_number", SETTING_STR, "/api/v1/orders_integration/detailed/?limit=1&number={number}",
      "one detailed order by number (`flowctl order`)", O(path_order_by_number), 0, 0, 0 },
    { "omnitron.paths.item_mappings", SETTING_STR, "/api/v1/order_items/{pk}/get_mappings/", "an item's mappings, read when creating one is refused: a mapping with the same code is success (`\"\"`: none)", O(path_item_mappings), 0, 0, 0 },
    { "erp.query.url", SETTING_EXPR, NULL, "Query Check Order: the ERP's \"do you have it\" URL (an expression); no `erp.query`: no query", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.query.method", SETTING_METHOD, "GET", "its method", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.query.headers", SETTING_OBJECT, NULL, "its extra headers (values are expressions)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.query.response_path", SETTING_STR, "", "Custom Response Path: where the order is in the answer (dotted)", O(query_response_path), 0, 0, 0 },
    { "erp.query.response_value", SETTING_STR, "", "Custom Response Path Value: the value there that means \"not found\"", O(query_response_value), 0, 0, 0 },
    { "erp.query.response_type", SETTING_STR, "json", "the query's Response Data Type: `json`, or `xml` (converted to JSON before the response path is read: docs/xml.md)", O(query_response_type), 0, 0, 0 },
    { "erp.query.xml", SETTING_OBJECT, NULL, "with `xml`: the conversion's settings (docs/xml.md)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.query.failure_status_codes", SETTING_CODES, NULL, "answers after which it cannot be known whether the ERP has the order: the record fails", O(failure_codes), 0, 0, 0 },
    { "erp.query.not_found_codes", SETTING_CODES, NULL, "answers that mean the ERP does not have the order", O(not_found_codes), 0, 0, 0 },
    { "erp.write.url", SETTING_EXPR, NULL, "Write Data to ERP: the URL (an expression)", SETTING_BY_CODE, 0, 0, 1 },
    { "erp.write.method", SETTING_METHOD, "POST", "its method", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.write.headers", SETTING_OBJECT, NULL, "its extra headers (values are expressions)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.check_response.source", SETTING_STR, "response", "built-in check: read the codes from the ERP's `response` (for an order the ERP had, the query's answer) or from the `request` sent to it", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.check_response.order_code_path", SETTING_STR, "id", "built-in check: the order's ERP code in the answer", O(resp_order_code_path), 0, 0, 0 },
    { "erp.check_response.items_path", SETTING_STR, "items", "built-in check: the items' list in the answer (paired with the order's items in order)", O(resp_items_path), 0, 0, 0 },
    { "erp.check_response.item_code_field", SETTING_STR, "code", "built-in check: an item's code field", O(resp_item_code_field), 0, 0, 0 },
    { NULL, 0, NULL, NULL, 0, 0, 0, 0 },
};

const order_settings *order_settings_of(const flow *f)
{
    return flow_type_data(f, &order_flow_type);
}

static char *load_channels(settings *s)
{
    json_t *ch = settings_get(s, "omnitron.channels");
    strbuf chs = STRBUF_INIT;
    if (json_is_string(ch)) {
        const char *v = json_string_value(ch);
        for (const char *q = v; *q; q++)
            if (!isdigit((unsigned char)*q) && *q != ',' && *q != ' ') {
                settings_problem(s, "omnitron.channels", "expected comma-separated channel ids, got \"%s\"", v);
                break;
            }
        for (const char *q = v; *q; q++)
            if (*q != ' ')
                strbuf_addch(&chs, *q);
    } else if (json_is_array(ch)) {
        size_t i;
        json_t *x;
        json_array_foreach(ch, i, x) {
            if (!json_is_integer(x)) {
                settings_problem(s, "omnitron.channels", "element %zu: expected a channel id (integer)", i);
                continue;
            }
            strbuf_addf(&chs, "%s%lld", chs.len ? "," : "", (long long)json_integer_value(x));
        }
    } else if (ch) {
        settings_problem(s, "omnitron.channels", "expected comma-separated channel ids or a list");
    }
    /* the omnitron section's absence is reported once, by the shared loader */
    if (settings_get(s, "omnitron") && chs.len == 0)
        settings_problem(s, "omnitron.channels", "missing: the Order Flow needs at least one channel id");
    return strbuf_detach(&chs, NULL);
}

void order_load(flow *f, settings *s)
{
    order_settings *o = xcalloc(1, sizeof *o);
    f->type_data = o;
    o->channels = load_channels(s);
    settings_load_table(s, order_settings_table, o);
    if (o->path_order_mapping && !o->path_order_mapping[0]) {
        free(o->path_order_mapping);
        o->path_order_mapping = NULL;
    }
    if (o->path_item_mappings && !o->path_item_mappings[0]) {
        free(o->path_item_mappings);
        o->path_item_mappings = NULL;
    }
    o->query_xml = httpcall_response_load(s, "erp.query", o->query_response_type, &o->query_xml_opt);
    char *src = settings_str(s, "erp.check_response.source", settings_default(order_settings_table, "erp.check_response.source"), 0);
    if (src && strcmp(src, "request") && strcmp(src, "response"))
        settings_problem(s, "erp.check_response.source", "expected request or response, got \"%s\"", src);
    o->check_source_request = src && strcmp(src, "request") == 0;
    free(src);
    char *mode = settings_str(s, "omnitron.paging", settings_default(order_settings_table, "omnitron.paging"), 0);
    strbuf e = STRBUF_INIT;
    if (mode && paging_mode_parse(mode, &o->paging) < 0)
        settings_problem(s, "omnitron.paging", "expected one of keyset, page, offset, next, got \"%s\"", mode);
    else if (o->path_orders && paging_check_template(o->paging, o->path_orders, &e) < 0)
        settings_problem(s, "omnitron.paths.orders", "%s (omnitron.paging is \"%s\")", e.buf, paging_mode_name(o->paging));
    strbuf_release(&e);
    free(mode);

    json_t *erp = settings_section(s, "erp", 1);
    if (settings_section(s, "erp.query", 0))
        flow_call_load(s, "erp.query", &o->query, settings_default(order_settings_table, "erp.query.method"), 1);
    if (settings_section(s, "erp.write", erp != NULL))
        flow_call_load(s, "erp.write", &o->write, settings_default(order_settings_table, "erp.write.method"), 1);
}

void order_release(flow *f)
{
    order_settings *o = f->type_data;
    if (!o)
        return;
    settings_release_table(order_settings_table, o);
    xmljson_options_release(&o->query_xml_opt);
    free(o->channels);
    flow_call_release(&o->query);
    flow_call_release(&o->write);
    free(o);
    f->type_data = NULL;
}

const flow_type order_flow_type = {
    .name = "order",
    .summary = "Order Flow: unsent Omnitron orders to the ERP, then item mappings and is_send in Omnitron",
    .settings = order_settings_table,
    .load = order_load,
    .release = order_release,
    .read = order_read,
    .receive = order_receive,
    .transform = NULL,
    .write = order_write,
    .example = order_example,
    .preview = order_preview,
};
