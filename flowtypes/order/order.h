/*
 * order: the Order Flow (Omnitron -> ERP), one flow type (flow_type.h).
 *
 * The reader lists a tick's unsent orders and publishes each one detailed
 * (order_read.c); the writer asks the ERP, writes what it lacks, creates
 * the item and order mappings in Omnitron and marks the order sent
 * (order_write.c); flowctl fetches one order by number (order_example.c)
 * and shows the writer's requests without sending them (order_preview.c).
 * The Order Flow's own settings are order_settings, read from the table in
 * order_settings.c. README.md in this folder lists the calls in order.
 */
#ifndef FF_ORDER_H
#define FF_ORDER_H

#include <jansson.h>
#include <stdint.h>

#include "auth.h"
#include "flow_type.h"
#include "xmljson.h"
#include "paging.h"

typedef struct order_settings {
    /* omnitron */
    char *channels;             /* "1,2" */
    long page_size;
    long read_concurrency;
    int64_t lease_ttl_ms;
    long max_orders_per_run;    /* 0: no limit */
    paging_mode paging;         /* how the order list pages (paging.h) */
    long max_list_requests;     /* per run */
    long max_passes;            /* page/offset/next: passes from the first page */
    char *path_orders;          /* list query, with {channels} {after} {limit} or {page} */
    char *path_order_detail;    /* with {pk} */
    char *path_items;
    char *path_item_detail;
    char *path_discounts;
    char *path_discount_detail;
    char *path_mark_sent;
    char *path_item_mapping;
    char *path_order_mapping;   /* NULL: no order-level mapping */
    char *path_order_by_number; /* one detailed order, with {number} (flowctl order) */
    char *path_item_mappings;   /* an item's mappings, with {pk}; NULL: none */

    /* ERP */
    flow_call query;            /* query.url NULL: no Query Check Order */
    char *query_response_path;  /* Custom Response Path (dotted; "" = whole body) */
    char *query_response_value; /* Custom Response Path Value */
    setting_codes failure_codes;
    setting_codes not_found_codes;
    flow_call write;

    /* the built-in check response: where the ERP's codes are in its answer */
    char *resp_order_code_path;
    char *resp_items_path;
    char *resp_item_code_field;
    int check_source_request;   /* erp.check_response.source: 1 "request", 0 "response" */
    char *query_response_type;  /* erp.query.response_type: "json" or "xml" */
    int query_xml;              /* the query's answers are XML ... */
    xmljson_options query_xml_opt; /* ... converted so (erp.query.xml) */
} order_settings;

extern const flow_type order_flow_type;
extern const setting order_settings_table[];

/* f's Order Flow settings (checked: aborts when f is not an Order Flow). */
const order_settings *order_settings_of(const flow *f);

void order_load(flow *f, settings *s);
void order_release(flow *f);
int order_read(stage_ctx *c, const flow *f, const envelope *tick);
void order_write(stage_ctx *c, const flow *f, envelope *in);
/* Builds the detailed order of a listed order (its pk) as the reader
 * publishes it: the detail with "orderitem_set" and "discountitem_set"
 * (each item and discount with its detail), appended to body. 0, or -1
 * with err and *status (body as it was). */
int order_build(stage_ctx *c, const flow *f, auth_session *auth, json_t *item, strbuf *body, long *status,
                strbuf *err);
int order_receive(const flow *f, envelope *in, strbuf *err);
int order_example(stage_ctx *c, const flow *f, const char *number, strbuf *out, strbuf *err);
/* flowctl preview (flow_type.h): the writer's requests for rec, nothing
 * sent (order_preview.c). */
int order_preview(stage_ctx *c, const flow *f, const envelope *rec, json_t *requests, strbuf *err);
/* The attributes the writer's expressions see: e's own plus
 * "_order.<field>" for each top-level scalar field of order (the record
 * as read). Adds to vars. (order_preview.c; the writer's expr_vars is the
 * same rule.) */
void order_expr_vars(attrs *vars, const envelope *e, json_t *order);

#endif
