/*
 * order_status_settings.c: the Order Status Flow's settings, written once
 * in a table that drives both the loader and the table in docs/flows.md
 * (`flowctl settings order_status` prints it).
 */
#include "order_status.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cron.h"
#include "httpcall.h"
#include "xalloc.h"

#define O(field) offsetof(order_status_settings, field)

const setting order_status_settings_table[] = {
    { "erp.read.url", SETTING_EXPR, NULL, "Order Query/Status API URL: a plain URL (the run's query parameters are appended) or a NiFi expression over `http.query.param.<name>`, `http.query.string`, `last.request` and `token.erp` (an outbound flow, `receiver.push`, may have no `erp` section)", SETTING_BY_CODE, 0, 0, 1 },
    { "erp.read.method", SETTING_METHOD, "GET", "`GET` or `POST`", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.read.headers", SETTING_OBJECT, NULL, "Extra Headers (values are expressions)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.read.params", SETTING_OBJECT, NULL, "Extra Params: query parameters of a GET, the JSON body of a POST", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.read.trigger_params", SETTING_OBJECT, NULL, "custom Flow Trigger Parameters and their stored values (`{\"custom_parameter\": \"customvalue\"}`): sent on every run; a manual run's `--param` wins", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.read.number_param", SETTING_STR, "number", "the trigger parameter of a run by order number", O(number_param), 0, 0, 0 },
    { "erp.read.modified_date_key", SETTING_STR, "modified_date__gt", "the Modified Date key an automatic run sends the cursor as (`modified_date__gt`, `modified_date`, `modified`...)", O(modified_key), 0, 0, 0 },
    { "erp.read.response_type", SETTING_STR, "json", "Response Data Type: `json`, or `xml` (converted to JSON before the script and the mapping: docs/xml.md)", O(response_type), 0, 0, 0 },
    { "erp.read.xml", SETTING_OBJECT, NULL, "with `xml`: the conversion's settings (`convention`, `records_as_array`, `always_array`, `infer_types`, ...: docs/xml.md)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.read.rows_path", SETTING_STR, "", "where a page's rows are in the ERP's answer (dotted; `\"\"`: the answer is the list), for paging's short-page test and the seek marker", O(rows_path), 0, 0, 0 },
    { "erp.read.paging.mode", SETTING_STR, "none", "`none` (one request), `offset`, `seek` or `next`", O(paging_mode), 0, 0, 0 },
    { "erp.read.paging.page_size", SETTING_INT, "100", "rows per page (`offset`, `seek`): a shorter page is the last", O(page_size), 1, 100000, 0 },
    { "erp.read.paging.start", SETTING_INT, "0", "`offset`: the first page's offset", O(page_start), 0, 1000000000, 0 },
    { "erp.read.paging.offset_param", SETTING_STR, "offset", "`offset`: the offset's parameter", O(offset_param), 0, 0, 0 },
    { "erp.read.paging.limit_param", SETTING_STR, "limit", "`offset`, `seek`: the page size's parameter (`\"\"`: not sent)", O(limit_param), 0, 0, 0 },
    { "erp.read.paging.seek_param", SETTING_STR, "after", "`seek`: the marker's parameter", O(seek_param), 0, 0, 0 },
    { "erp.read.paging.seek_path", SETTING_STR, "id", "`seek`: the marker's path (dotted) in a page's last row, or in the answer with `seek_from` `answer`", O(seek_path), 0, 0, 0 },
    { "erp.read.paging.seek_from", SETTING_STR, "last_row", "`seek`: where `seek_path` is: `last_row` (a page's last row: no marker there is an error) or `answer` (the whole answer: absent, null or `\"\"` is the last page)", O(seek_from), 0, 0, 0 },
    { "erp.read.paging.next_path", SETTING_STR, "next", "`next`: the next page's URL (absolute or relative) or token in the answer; absent, null or `\"\"`: the last page", O(next_path), 0, 0, 0 },
    { "erp.read.paging.next_param", SETTING_STR, "", "`next`: `\"\"`: the value at `next_path` is a URL, requested as it is; else it is a token, sent as this query parameter on the request built as the first one", O(next_param), 0, 0, 0 },
    { "erp.read.paging.max_requests", SETTING_INT, "1000", "requests a run may make; reaching it with the list not ended fails the run and the cursor stays, unless `erp.read.sorted_by_modified_date`", O(max_requests), 1, 10000000, 0 },
    { "erp.read.sorted_by_modified_date", SETTING_BOOL, "false", "the ERP's answer is sorted by modified date, oldest first: an automatic run that reaches `max_requests` ends there and moves the cursor to the newest row it published (a backlog is worked through over several runs) instead of failing", O(sorted_by_modified), 0, 0, 0 },
    { "erp.read.modified_date_path", SETTING_STR, "modified_date", "with `sorted_by_modified_date`: a row's modified date (dotted path in the ERP's row), in `cursor.format` and `cursor.timezone`", O(modified_date_path), 0, 0, 0 },
    { "cursor.timezone", SETTING_STR, "UTC", "the time zone the cursor is sent to the ERP in (IANA name)", O(cursor_timezone), 0, 0, 0 },
    { "cursor.format", SETTING_STR, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS", "the cursor's format (Java SimpleDateFormat letters y M d H m s S X Z, '...' text)", O(cursor_format), 0, 0, 0 },
    { "cursor.first_run", SETTING_DURATION, "24h", "a flow's first automatic run asks for what changed this long before it started", O(cursor_first_run_ms), 0, 0, 0 },
    { "cursor.look_back", SETTING_DURATION, "0s", "each automatic run asks from this long before the cursor (an ERP clock behind ours; rows read twice are harmless)", O(cursor_look_back_ms), 0, 0, 0 },
    { "omnitron.paths.bulk_status_update", SETTING_STR, "/api/i1/order_items/bulk_status_update/", "PATCH one row (`order` and its `orderitem_set`)", O(path_bulk_status), 0, 0, 0 },
    { "row_script.file", SETTING_FILE, NULL, "the per-row script of Write Data to Omnitron: one order object in, the final object out (relative to the flow file)", SETTING_BY_CODE, 0, 0, 0 },
    { "row_script.timeout", SETTING_DURATION, "10s", "its time limit per row", O(row_script_timeout_ms), 0, 0, 0 },
    { NULL, 0, NULL, NULL, 0, 0, 0, 0 },
};

const order_status_settings *order_status_settings_of(const flow *f)
{
    return flow_type_data(f, &order_status_flow_type);
}

/* An object of scalars (free-form keys) at path, as a new reference; NULL when absent. */
static json_t *load_scalars(settings *s, const char *path)
{
    json_t *o = settings_blob(s, path);
    if (!o)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (json_is_object(v) || json_is_array(v))
            settings_problem(s, path, "%s: expected a string or a number, got %s", k, settings_type_name(v));
    }
    return json_incref(o);
}

void order_status_load(flow *f, settings *s)
{
    order_status_settings *o = xcalloc(1, sizeof *o);
    f->type_data = o;
    /* an outbound flow (the ERP pushes) may have nothing to read */
    int reads = !f->receiver_push || settings_get(s, "erp.read");
    settings_section(s, "erp", reads);
    if (settings_section(s, "erp.read", reads && settings_get(s, "erp") != NULL))
        flow_call_load(s, "erp.read", &o->read, settings_default(order_status_settings_table, "erp.read.method"), 1);
    if (o->read.method && strcmp(o->read.method, "GET") && strcmp(o->read.method, "POST"))
        settings_problem(s, "erp.read.method", "expected GET or POST, got \"%s\"", o->read.method);
    o->url_is_expr = o->read.url_text && strstr(o->read.url_text, "${") != NULL;
    o->params = load_scalars(s, "erp.read.params");
    o->trigger_params = load_scalars(s, "erp.read.trigger_params");
    settings_section(s, "erp.read.paging", 0);
    settings_section(s, "cursor", 0);
    settings_load_table(s, order_status_settings_table, o);
    erpread_mode m;
    if (o->paging_mode && erpread_mode_parse(o->paging_mode, &m) < 0)
        settings_problem(s, "erp.read.paging.mode", "expected one of none, offset, seek, next, got \"%s\"",
                         o->paging_mode);
    if (o->seek_from && strcmp(o->seek_from, "last_row") && strcmp(o->seek_from, "answer"))
        settings_problem(s, "erp.read.paging.seek_from", "expected last_row or answer, got \"%s\"", o->seek_from);
    if (o->cursor_timezone && !cron_tz_valid(o->cursor_timezone))
        settings_problem(s, "cursor.timezone", "unknown time zone \"%s\"", o->cursor_timezone);
    o->xml = httpcall_response_load(s, "erp.read", o->response_type, &o->xml_opt);
    if (o->modified_key && !o->modified_key[0])
        settings_problem(s, "erp.read.modified_date_key", "must not be empty");
    /* an ERP page is published as one Kafka message (bus.h): an answer the
     * fleet could not publish is not accepted either, and by default the
     * answer's limit is the message's */
    if (!settings_get(s, "http.max_response_bytes"))
        f->http_max_response = bus_message_limit();
    else if (f->http_max_response > bus_message_limit())
        settings_problem(s, "http.max_response_bytes",
                         "%zu is over the fleet's largest Kafka message, %zu bytes (FLOWFLEET_MAX_MESSAGE_BYTES): an "
                         "ERP page is published as one message", f->http_max_response, bus_message_limit());
    /* the per-row script: compiled at load where scripts run (the writer),
     * so one that does not compile keeps the flow from loading there */
    if (settings_section(s, "row_script", 0))
        flow_script_load(s, f, "row_script.file", &o->row_script, 1);
    o->row_script.timeout_ms = o->row_script_timeout_ms;
}

void order_status_release(flow *f)
{
    order_status_settings *o = f->type_data;
    if (!o)
        return;
    settings_release_table(order_status_settings_table, o);
    xmljson_options_release(&o->xml_opt);
    flow_call_release(&o->read);
    json_decref(o->params);
    json_decref(o->trigger_params);
    flow_script_release(&o->row_script);
    free(o);
    f->type_data = NULL;
}

const flow_type order_status_flow_type = {
    .name = "order_status",
    .summary = "Order Status Flow (inbound): order statuses read from the ERP on a schedule, into Omnitron row by row",
    .settings = order_status_settings_table,
    .load = order_status_load,
    .release = order_status_release,
    .read = order_status_read,
    .receive = order_status_receive,
    .transform = order_status_transform,
    .write = order_status_write,
    .example = order_status_example,
    .preview = order_status_preview,
};
