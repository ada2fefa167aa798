/*
 * order_status: the Order Status Flow, inbound (ERP -> Omnitron), one flow
 * type (flow_type.h).
 *
 * The reader (order_status_read.c) asks the ERP for what changed since the
 * flow's cursor (or for one order number, on a manual run) through the
 * shared ERP list reader (common/erpread.h) and publishes ONE record per
 * ERP page: the product runs the Script and the Mapping on the whole
 * answer, so existing scripts and mappings keep working. The transformer
 * (order_status_transform.c) runs them on the page and publishes one record
 * per order object of the result, keyed by its "order". The writer
 * (order_status_write.c) runs the optional per-row script, checks the row
 * and PATCHes it to Omnitron's bulk_status_update. The cursor's text in
 * the flow's time zone and format is order_status_cursor.c.
 * README.md in this folder lists the calls in order.
 */
#ifndef FF_ORDER_STATUS_H
#define FF_ORDER_STATUS_H

#include <jansson.h>
#include <stdint.h>

#include "erpread.h"
#include "flow_type.h"
#include "xmljson.h"

typedef struct order_status_settings {
    /* Read Data From ERP */
    flow_call read;             /* erp.read.url / method / headers */
    int url_is_expr;            /* the URL holds ${...}: evaluated as NiFi would */
    json_t *params;             /* erp.read.params: extra params (object, owned) */
    json_t *trigger_params;     /* erp.read.trigger_params: custom ones and their stored values (owned) */
    char *number_param;         /* "number" */
    char *modified_key;         /* "modified_date__gt" */
    char *rows_path;            /* where a page's rows are ("": the answer) */
    char *response_type;        /* erp.read.response_type: "json" or "xml" */
    int xml;                    /* the answers are XML ... */
    xmljson_options xml_opt;    /* ... converted so (erp.read.xml) */
    /* paging (erpread.h) */
    char *paging_mode;
    long page_size;
    long page_start;
    char *offset_param, *limit_param;
    char *seek_param, *seek_path;
    char *seek_from;            /* "last_row" or "answer" */
    char *next_path;
    char *next_param;           /* "": the next value is a URL; else a token's parameter */
    long max_requests;
    int sorted_by_modified;     /* erp.read.sorted_by_modified_date: the cap moves the cursor */
    char *modified_date_path;   /* a row's modified date */
    /* the cursor */
    char *cursor_timezone;
    char *cursor_format;
    int64_t cursor_first_run_ms;
    int64_t cursor_look_back_ms;
    /* Write Data to Omnitron */
    char *path_bulk_status;
    int64_t row_script_timeout_ms;
    flow_script row_script;     /* path NULL: none; compiled where scripts run (the writer) */
} order_status_settings;

extern const flow_type order_status_flow_type;
extern const setting order_status_settings_table[];

/* f's Order Status settings (checked: aborts when f is of another type). */
const order_status_settings *order_status_settings_of(const flow *f);

void order_status_load(flow *f, settings *s);
void order_status_release(flow *f);
int order_status_read(stage_ctx *c, const flow *f, const envelope *tick);
/* The run's query parameters (in order) and the expression's attributes
 * for tick (order_status_read.c's header says which); *cursor_ms gets the
 * cursor the run starts from (before the look-back); without a store
 * (c->store NULL: flowctl) there is no cursor, as on a first run. 0, or -1
 * with err. */
int order_status_run_query(stage_ctx *c, const flow *f, const order_status_settings *o, const envelope *tick,
                           int64_t started_ms, attrs *query, attrs *vars, int64_t *cursor_ms, strbuf *err);
/* The shared ERP reader's configuration of o's settings (pointers into o,
 * which must outlive cfg). */
void order_status_erpread_config(const order_status_settings *o, erpread_config *cfg);
int order_status_receive(const flow *f, envelope *in, strbuf *err);
void order_status_transform(stage_ctx *c, const flow *f, envelope *in);
/* The rows of a page after the Script Step: the Mapping on it (when the
 * flow has one), then the check that the result is an array of order
 * objects. New reference, or NULL with the step that failed in *step
 * ("script", "mapping" or "transform") and the message in msg. */
json_t *order_status_page_rows(const flow *f, const strbuf *page, const char **step, strbuf *msg);
/* What a row lacks for bulk_status_update, appended to why (nothing when
 * it has what it needs). */
void order_status_check_row(json_t *row, strbuf *why);
int order_status_example(stage_ctx *c, const flow *f, const char *key, strbuf *out, strbuf *err);
int order_status_preview(stage_ctx *c, const flow *f, const envelope *rec, json_t *requests, strbuf *err);
void order_status_write(stage_ctx *c, const flow *f, envelope *in);

/* ---- the cursor (order_status_cursor.c) ---- */

/* Appends instant ms (epoch milliseconds) as the wall clock in zone tz
 * (NULL or "": UTC) in a Java SimpleDateFormat pattern: yyyy MM dd HH mm
 * ss, S.. (fraction digits, up to 6: microseconds are 0 past the ms), 'X',
 * 'XXX' and 'Z' (the offset), '...' quoted text; other characters as they
 * are. 0, or -1 with err (an unknown zone). */
int order_status_format_time(int64_t ms, const char *tz, const char *pattern, strbuf *out, strbuf *err);
/* The cursor's UTC text in Redis ("2024-10-01T00:29:59.000Z") as epoch
 * ms, or -1 when it is not one. */
int64_t order_status_parse_utc(const char *text);
/* Reads text, written in pattern (the letters order_status_format_time
 * writes) as the wall clock in zone tz unless it holds an offset (X, Z):
 * epoch ms (a fraction past ms is dropped), or -1 when it does not match. */
int64_t order_status_parse_time(const char *text, const char *tz, const char *pattern);
/* ms as the UTC text the cursor is kept in. */
void order_status_utc_text(int64_t ms, strbuf *out);

#endif
