/*
 * test_order_settings: the Order Flow's settings, data-driven.
 *
 * tests/flows/order/valid/<case>/flow.json must load; each
 * tests/flows/order/invalid/<case>/flow.json must not, and its problems
 * (without the "<file>: " in front) must be exactly the lines of the
 * case's `errors` file, in order. A new case is a new folder.
 *
 * Also: the settings table in docs/flows.md between
 * <!-- settings:order --> and <!-- /settings:order --> is the one the
 * loader uses (settings_doc_table), so the docs' defaults cannot drift.
 */
#include "flow.h"
#include "flow_type.h"
#include "order/order.h"
#include "flowcases.h"
#include "unit.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>




static void test_valid_cases(void)
{
    CHECK(flowcases_run(&order_flow_type, "valid") >= 4);
}

static void test_invalid_cases(void)
{
    CHECK(flowcases_run(&order_flow_type, "invalid") >= 13);
}

/* The docs' table for a settings table named name equals the generated one. */


static void test_docs_tables(void)
{
    flowcases_docs_table("common", flow_common_settings);
    flowcases_docs_table("order", order_settings_table);
}

static void test_registry(void)
{
    /* the type is found by name, and its flows reach their settings only
     * through the checked accessor */
    CHECK(flow_type_find("order") == &order_flow_type);
    CHECK(flow_type_find("image") == NULL);
    strbuf names = STRBUF_INIT;
    flow_type_names(&names, ", ");
    CHECK(strncmp(names.buf, "order", 5) == 0);   /* the registry's first type */
    strbuf_release(&names);
}

int main(void)
{
    setenv("OMNITRON_USERNAME", "u", 1);
    setenv("OMNITRON_PASSWORD", "p", 1);
    RUN(test_valid_cases);
    RUN(test_invalid_cases);
    RUN(test_docs_tables);
    RUN(test_registry);
    return unit_done();
}
