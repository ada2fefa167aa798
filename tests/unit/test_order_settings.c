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
#include "unit.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define CASES "tests/flows/order"

/* errs without each line's "<file>: " prefix. */
static void strip_file(strbuf *out, const char *errs, const char *file)
{
    size_t fl = strlen(file);
    const char *p = errs;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > fl + 2 && strncmp(p, file, fl) == 0 && p[fl] == ':' && p[fl + 1] == ' ')
            strbuf_add(out, p + fl + 2, n - fl - 2);
        else
            strbuf_add(out, p, n);
        strbuf_addch(out, '\n');
        p += n + (nl ? 1 : 0);
    }
}

static int run_dir(const char *kind)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/%s", CASES, kind);
    DIR *d = opendir(dir.buf);
    int n = 0;
    struct dirent *de;
    CHECK(d != NULL);
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        strbuf file = STRBUF_INIT, errs = STRBUF_INIT, want = STRBUF_INIT, got = STRBUF_INIT, ef = STRBUF_INIT;
        strbuf_addf(&file, "%s/%s/flow.json", dir.buf, de->d_name);
        strbuf_addf(&ef, "%s/%s/errors", dir.buf, de->d_name);
        unit_current = de->d_name;
        flow *f = flow_load(file.buf, 0, &errs);
        if (strcmp(kind, "valid") == 0) {
            if (!f)
                fprintf(stderr, "  %s: %s\n", de->d_name, errs.buf);
            CHECK(f != NULL);
            if (f)
                CHECK(order_settings_of(f) != NULL);
        } else {
            CHECK(f == NULL);
            CHECK_INT(strbuf_read_file(&want, ef.buf) >= 0, 1);
            strip_file(&got, errs.buf, file.buf);
            CHECK_STR(got.buf, want.buf);
        }
        flow_free(f);
        n++;
        strbuf_release(&file);
        strbuf_release(&errs);
        strbuf_release(&want);
        strbuf_release(&got);
        strbuf_release(&ef);
    }
    if (d)
        closedir(d);
    strbuf_release(&dir);
    return n;
}

static void test_valid_cases(void)
{
    CHECK(run_dir("valid") >= 4);
}

static void test_invalid_cases(void)
{
    CHECK(run_dir("invalid") >= 13);
}

/* The docs' table for a settings table named name equals the generated one. */

static void check_docs_table(const char *name, const setting *table)
{
    strbuf doc = STRBUF_INIT, want = STRBUF_INIT, open = STRBUF_INIT, close = STRBUF_INIT;
    CHECK_INT(strbuf_read_file(&doc, "docs/flows.md") >= 0, 1);
    strbuf_addf(&open, "<!-- settings:%s -->\n", name);
    strbuf_addf(&close, "<!-- /settings:%s -->", name);
    const char *a = strstr(doc.buf, open.buf);
    const char *b = a ? strstr(a, close.buf) : NULL;
    CHECK(a && b);
    if (a && b) {
        a += open.len;
        strbuf got = STRBUF_INIT;
        strbuf_add(&got, a, (size_t)(b - a));
        strbuf_addstr(&want, "| setting | kind | default | meaning |\n|---|---|---|---|\n");
        settings_doc_table(&want, table);
        CHECK_STR(got.buf, want.buf);
        strbuf_release(&got);
    }
    strbuf_release(&doc);
    strbuf_release(&want);
    strbuf_release(&open);
    strbuf_release(&close);
}

static void test_docs_tables(void)
{
    check_docs_table("common", flow_common_settings);
    check_docs_table("order", order_settings_table);
}

static void test_registry(void)
{
    /* the type is found by name, and its flows reach their settings only
     * through the checked accessor */
    CHECK(flow_type_find("order") == &order_flow_type);
    CHECK(flow_type_find("image") == NULL);
    strbuf names = STRBUF_INIT;
    flow_type_names(&names, ", ");
    CHECK_STR(names.buf, "order");
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
