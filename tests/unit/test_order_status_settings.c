/*
 * test_order_status_settings: the Order Status Flow's settings,
 * data-driven, as test_order_settings.c does for the Order Flow.
 *
 * tests/flows/order_status/valid/<case>/flow.json must load; each
 * tests/flows/order_status/invalid/<case>/flow.json must not, and its
 * problems (without the "<file>: " in front) must be exactly the lines of
 * the case's `errors` file, in order. The settings table in docs/flows.md
 * between <!-- settings:order_status --> markers is the loader's.
 */
#include "flow.h"
#include "flow_type.h"
#include "order_status/order_status.h"
#include "flowcases.h"
#include "pyscript.h"
#include "unit.h"

#define CASES "tests/flows/order_status"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>




static void test_valid_cases(void)
{
    CHECK(flowcases_run(&order_status_flow_type, "valid") >= 3);
}

static void test_invalid_cases(void)
{
    CHECK(flowcases_run(&order_status_flow_type, "invalid") >= 4);
}

/* the defaults the seed names, as loaded */
static void test_defaults(void)
{
    strbuf errs = STRBUF_INIT;
    flow *f = flow_load(CASES "/valid/minimal/flow.json", 0, &errs);
    CHECK(f != NULL);
    if (f) {
        const order_status_settings *o = order_status_settings_of(f);
        CHECK_STR(o->modified_key, "modified_date__gt");
        CHECK_STR(o->number_param, "number");
        CHECK_STR(o->cursor_format, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS");
        CHECK_INT(o->cursor_first_run_ms, 24LL * 3600 * 1000);
        CHECK_STR(o->path_bulk_status, "/api/i1/order_items/bulk_status_update/");
        CHECK_STR(o->paging_mode, "none");
        CHECK_INT(o->url_is_expr, 0);
        CHECK_INT(f->http_max_response, 1000000);   /* a page fits in one Kafka message */
    }
    flow_free(f);
    f = flow_load(CASES "/valid/seed-expression/flow.json", 0, &errs);
    CHECK(f != NULL);
    if (f)
        CHECK_INT(order_status_settings_of(f)->url_is_expr, 1);
    flow_free(f);
    strbuf_release(&errs);
}

/* An outbound flow (the ERP pushes) needs nothing to read; an inbound one
 * still does (invalid/no-read-url). */
static void test_outbound(void)
{
    strbuf errs = STRBUF_INIT;
    flow *f = flow_load(CASES "/valid/outbound/flow.json", 0, &errs);
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->receiver_push, 1);
        CHECK(order_status_settings_of(f)->read.url_text == NULL);
        envelope e;
        envelope_init(&e);
        strbuf_addstr(&e.body, "[{\"order\": \"1\", \"orderitems\": []}]");
        CHECK_INT(f->ft->receive(f, &e, &errs), 0);
        CHECK_STR(attrs_get(&e.attrs, "erp.page"), "1");
        envelope_release(&e);
    }
    flow_free(f);
    strbuf_release(&errs);
}

/* The row script is compiled at load where scripts run: one that does not
 * compile keeps the flow from loading there, with the line; where scripts
 * do not run (flowctl, the reader) the file is only read. */
static void test_row_script(void)
{
    strbuf errs = STRBUF_INIT;
    CHECK_INT(pyscript_global_init(&errs), 0);
    flow *f = flow_load(CASES "/rowscript/good.json", FLOW_LOAD_SCRIPTS, &errs);
    CHECK(f != NULL);
    if (f) {
        const order_status_settings *o = order_status_settings_of(f);
        CHECK(o->row_script.script != NULL);
        CHECK_INT(o->row_script.timeout_ms, 3000);
        CHECK(strstr(o->row_script.path, "rowscript/good.py") != NULL);
    }
    flow_free(f);
    f = flow_load(CASES "/rowscript/bad.json", 0, &errs);
    CHECK(f != NULL);
    if (f)
        CHECK(order_status_settings_of(f)->row_script.script == NULL);
    flow_free(f);
    CHECK_INT(errs.len, 0);
    f = flow_load(CASES "/rowscript/bad.json", FLOW_LOAD_SCRIPTS, &errs);
    CHECK(f == NULL);
    flow_free(f);
    CHECK(strstr(errs.buf, "bad.json: row_script.file: ") != NULL);
    CHECK(strstr(errs.buf, "line 1") != NULL);
    if (!strstr(errs.buf, "line 1"))
        fprintf(stderr, "    got: %s\n", errs.buf);
    strbuf_release(&errs);
}

static void test_docs_table(void)
{
    flowcases_docs_table("order_status", order_status_settings_table);
}

static void test_registry(void)
{
    CHECK(flow_type_find("order_status") == &order_status_flow_type);
    CHECK(order_status_flow_type.transform != NULL);
}

int main(void)
{
    setenv("OMNITRON_USERNAME", "u", 1);
    setenv("OMNITRON_PASSWORD", "p", 1);
    setenv("ERP_PUSH_USERNAME", "pusher", 1);
    setenv("ERP_PUSH_PASSWORD", "secret", 1);
    RUN(test_valid_cases);
    RUN(test_invalid_cases);
    RUN(test_defaults);
    RUN(test_outbound);
    RUN(test_row_script);
    RUN(test_docs_table);
    RUN(test_registry);
    return unit_done();
}
