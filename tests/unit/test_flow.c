/*
 * Unit tests: the flow loader (common/flow.c). Every flow file, script and
 * mapping a test needs is written into a private temp directory
 * (/tmp/ff-flow-XXXXXX) that is removed at the end; the env vars the files
 * name are set with setenv. Covers a complete flow with every setting read,
 * the defaults, both spellings of channel and status-code lists, every class
 * of problem reported with file and field path all at once, a directory with
 * a good and a broken file, duplicate names, duration_parse_ms,
 * flow_fill_path, and compiling scripts (valid, and a Python syntax error).
 */
#include "duration.h"
#include "flow.h"
#include "flow_type.h"
#include "order/order.h"

/* the Order Flow settings of f (checked) */
#define O(f) order_settings_of(f)
#include "jolt.h"
#include "pyscript.h"
#include "unit.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static char origdir[4096];

/* Writes text to tmpdir/name (creating one level of subdirectory if name has one). */
static void put(const char *name, const char *text)
{
    char path[512];
    for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
        snprintf(path, sizeof path, "%s/%.*s", tmpdir, (int)(slash - name), name);
        mkdir(path, 0700);
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* A fresh subdirectory of tmpdir; returns its full path (static buffer). */
static const char *subdir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    mkdir(path, 0700);
    return path;
}

static const char *tpath(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int count_lines(const char *s)
{
    int n = s && *s ? 1 : 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* 1 when text holds line as one whole line. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\0' || p[n] == '\n'))
            return 1;
    return 0;
}

#define CHECK_LINE(text, line) do { \
    if (has_line((text), (line))) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "FAIL %s: %s:%d: missing line\n    want: %s\n    in:\n%s\n", unit_current, __FILE__, __LINE__, (line), (text)); } \
} while (0)

/* The omnitron section of a flow that loads: channel 1, credentials from the
 * environment the tests set. One line of flow-file text. */
#define OMNI_OK \
    "  \"omnitron\": { \"url\": \"http://omni\", \"username_env\": \"FF_TEST_OMNI_USER\",\n" \
    "                \"password_env\": \"FF_TEST_OMNI_PASS\", \"channels\": \"1\" },\n"

static const char COMPLETE[] =
    "// a complete flow: every setting\n"
    "{\n"
    "  \"name\": \"orders-1\",\n"
    "  \"type\": \"order\",\n"
    "  \"enabled\": false,\n"
    "  \"comment\": \"ignored\", \"_note\": 1,\n"
    "  \"schedule\": { \"cron\": \"*/5 * * * *\", \"timezone\": \"Europe/Istanbul\" },\n"
    "  \"http\": { \"timeout\": \"10s\", \"connect_timeout\": \"2s\", \"retries\": 4, \"backoff\": \"50ms\",\n"
    "            \"max_backoff\": \"1m30s\", \"max_response_bytes\": 1048576 },\n"
    "  \"omnitron\": {\n"
    "    \"url\": \"http://omni.example:8000//\",\n"
    "    \"username_env\": \"FF_TEST_OMNI_USER\", \"password_env\": \"FF_TEST_OMNI_PASS\",\n"
    "    \"channels\": \"1, 2\",\n"
    "    \"token_ttl\": \"1h\", \"page_size\": 50, \"concurrency\": 4, \"lease_ttl\": \"5m\",\n"
    "    \"max_orders_per_run\": 1000,\n"
    "    \"paths\": { \"login\": \"/auth/\", \"orders\": \"/o/?c={channels}&after={after}&l={limit}\",\n"
    "               \"order_detail\": \"/o/{pk}/\", \"items\": \"/i/?o={pk}\", \"item_detail\": \"/i/{pk}/\",\n"
    "               \"discounts\": \"/d/?o={pk}\", \"discount_detail\": \"/d/{pk}/\", \"mark_sent\": \"/o/{pk}/sent/\",\n"
    "               \"item_mapping\": \"/i/{pk}/map/\", \"order_mapping\": \"\" }\n"
    "  },\n"
    "  \"erp\": {\n"
    "    \"login\": { \"type\": \"token\", \"url\": \"http://erp.example/login\", \"method\": \"PUT\",\n"
    "               \"headers\": { \"X-Login\": \"yes\" }, \"body\": \"{\\\"u\\\":\\\"${username}\\\"}\",\n"
    "               \"username_env\": \"FF_TEST_ERP_USER\", \"password_env\": \"FF_TEST_ERP_PASS\",\n"
    "               \"token_path\": \"data.token\", \"header\": \"X-Auth\", \"prefix\": \"Token \", \"token_ttl\": \"30m\" },\n"
    "    \"query\": { \"url\": \"http://erp.example/orders?number=${_order.number:urlEncode()}\",\n"
    "               \"method\": \"POST\", \"headers\": { \"X-Token\": \"${token.erp}\" },\n"
    "               \"response_path\": \"results\", \"response_value\": \"[]\",\n"
    "               \"failure_status_codes\": \"500,503\", \"not_found_codes\": [404, 410] },\n"
    "    \"write\": { \"url\": \"http://erp.example/orders\", \"method\": \"PATCH\",\n"
    "               \"headers\": { \"X-A\": \"1\", \"X-B\": \"${_order.number}\" } },\n"
    "    \"check_response\": { \"file\": \"scripts/check.py\", \"timeout\": \"4s\", \"order_code_path\": \"data.id\",\n"
    "                          \"items_path\": \"data.lines\", \"item_code_field\": \"sku\" }\n"
    "  },\n"
    "  \"script\": { \"file\": \"scripts/transform.py\", \"timeout\": \"3s\" },\n"
    "  \"mapping\": { \"file\": \"mapping.json\" },\n"
    "  \"post_script\": { \"file\": \"post.py\", \"timeout\": 7, \"run_on_failure\": true }\n"
    "}\n";

static const char PLAIN_PY[] = "def transform(record, attributes):\n    return record\n";
static const char MAPPING[] = "[{\"operation\": \"shift\", \"spec\": {\"number\": \"order_no\"}}]\n";

/* Checks that a status code list is exactly { a, b }. */
static void check_codes(const int *codes, size_t n, int a, int b)
{
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(codes[0], a);
        CHECK_INT(codes[1], b);
    }
}

/* Writes text to name and loads it, checking that it loads. */
static flow *load_ok(strbuf *errs, const char *name, const char *text)
{
    put(name, text);
    flow *f = flow_load(tpath(name), 0, errs);
    CHECK(f != NULL);
    return f;
}

static void test_complete(void)
{
    strbuf errs = STRBUF_INIT;
    put("complete/orders.json", COMPLETE);
    put("complete/scripts/transform.py", PLAIN_PY);
    put("complete/scripts/check.py", PLAIN_PY);
    put("complete/post.py", PLAIN_PY);
    put("complete/mapping.json", MAPPING);
    char file[512];
    snprintf(file, sizeof file, "%s/complete/orders.json", tmpdir);
    flow *f = flow_load(file, 0, &errs);
    CHECK(f != NULL);
    CHECK_STR(errs.len ? errs.buf : "", "");
    if (!f) {
        strbuf_release(&errs);
        return;
    }
    CHECK_STR(f->file, file);
    CHECK_STR(f->dir, tpath("complete"));
    CHECK_STR(f->name, "orders-1");
    CHECK_STR(f->type, "order");
    CHECK_INT(f->enabled, 0);
    CHECK_STR(f->cron_text, "*/5 * * * *");
    CHECK(f->cron != NULL);
    CHECK_STR(f->timezone, "Europe/Istanbul");

    CHECK_INT(f->http_timeout_ms, 10000);
    CHECK_INT(f->http_connect_timeout_ms, 2000);
    CHECK_INT(f->http_max_response, 1048576);
    CHECK_INT(f->retry.max_attempts, 5);  /* retries 4 + the first try */
    CHECK_INT(f->retry.base_ms, 50);
    CHECK_INT(f->retry.max_ms, 90000);
    CHECK_INT(f->retry.retry_5xx, RETRY_DEFAULT.retry_5xx);
    CHECK_INT(f->retry.retry_429, RETRY_DEFAULT.retry_429);

    CHECK_STR(f->omnitron_url, "http://omni.example:8000");
    CHECK_INT(f->omnitron_auth.kind, FLOW_AUTH_OMNITRON);
    CHECK_STR(f->omnitron_auth.username, "omni-user");
    CHECK_STR(f->omnitron_auth.password, "omni-pass");
    CHECK_STR(f->omnitron_auth.header_name, "Authorization");
    CHECK_STR(f->omnitron_auth.header_prefix, "Token ");
    CHECK_INT(f->omnitron_auth.token_ttl_ms, 3600000);
    CHECK_STR(f->omnitron_auth.login.url_text, "/auth/");
    CHECK_STR(O(f)->channels, "1,2");
    CHECK_INT(O(f)->page_size, 50);
    CHECK_INT(O(f)->read_concurrency, 4);
    CHECK_INT(O(f)->lease_ttl_ms, 300000);
    CHECK_INT(O(f)->max_orders_per_run, 1000);
    CHECK_STR(O(f)->path_orders, "/o/?c={channels}&after={after}&l={limit}");
    CHECK_STR(O(f)->path_order_detail, "/o/{pk}/");
    CHECK_STR(O(f)->path_items, "/i/?o={pk}");
    CHECK_STR(O(f)->path_item_detail, "/i/{pk}/");
    CHECK_STR(O(f)->path_discounts, "/d/?o={pk}");
    CHECK_STR(O(f)->path_discount_detail, "/d/{pk}/");
    CHECK_STR(O(f)->path_mark_sent, "/o/{pk}/sent/");
    CHECK_STR(O(f)->path_item_mapping, "/i/{pk}/map/");
    CHECK(O(f)->path_order_mapping == NULL);  /* "" turns it off */

    CHECK_INT(f->erp_auth.kind, FLOW_AUTH_TOKEN);
    CHECK_STR(f->erp_auth.login.url_text, "http://erp.example/login");
    CHECK(f->erp_auth.login.url != NULL);
    CHECK_STR(f->erp_auth.login.method, "PUT");
    CHECK_INT(f->erp_auth.login.n_headers, 1);
    if (f->erp_auth.login.n_headers == 1)
        CHECK_STR(f->erp_auth.login.header_names[0], "X-Login");
    CHECK(f->erp_auth.login_body != NULL);
    CHECK_STR(f->erp_auth.username, "erp-user");
    CHECK_STR(f->erp_auth.password, "erp-pass");
    CHECK_STR(f->erp_auth.token_path, "data.token");
    CHECK_STR(f->erp_auth.header_name, "X-Auth");
    CHECK_STR(f->erp_auth.header_prefix, "Token ");
    CHECK_INT(f->erp_auth.token_ttl_ms, 1800000);

    CHECK_STR(O(f)->query.url_text, "http://erp.example/orders?number=${_order.number:urlEncode()}");
    CHECK(O(f)->query.url != NULL);
    CHECK_STR(O(f)->query.method, "POST");
    CHECK_INT(O(f)->query.n_headers, 1);
    if (O(f)->query.n_headers == 1) {
        CHECK_STR(O(f)->query.header_names[0], "X-Token");
        CHECK(O(f)->query.header_values[0] != NULL);
    }
    CHECK_STR(O(f)->query_response_path, "results");
    CHECK_STR(O(f)->query_response_value, "[]");
    check_codes(O(f)->failure_codes.codes, O(f)->failure_codes.n, 500, 503);
    check_codes(O(f)->not_found_codes.codes, O(f)->not_found_codes.n, 404, 410);
    CHECK_STR(O(f)->write.url_text, "http://erp.example/orders");
    CHECK_STR(O(f)->write.method, "PATCH");
    CHECK_INT(O(f)->write.n_headers, 2);
    if (O(f)->write.n_headers == 2) {
        CHECK_STR(O(f)->write.header_names[0], "X-A");
        CHECK_STR(O(f)->write.header_names[1], "X-B");
    }
    CHECK_STR(O(f)->resp_order_code_path, "data.id");
    CHECK_STR(O(f)->resp_items_path, "data.lines");
    CHECK_STR(O(f)->resp_item_code_field, "sku");

    CHECK_STR(f->script.path, tpath("complete/scripts/transform.py"));
    CHECK(f->script.script == NULL);  /* not compiled without FLOW_LOAD_SCRIPTS */
    CHECK_INT(f->script.timeout_ms, 3000);
    CHECK_STR(f->check_script.path, tpath("complete/scripts/check.py"));
    CHECK_INT(f->check_script.timeout_ms, 4000);
    CHECK_STR(f->mapping_path, tpath("complete/mapping.json"));
    CHECK(f->mapping != NULL);
    if (f->mapping) {
        strbuf e = STRBUF_INIT;
        json_t *in = json_pack("{s:s}", "number", "A1");
        json_t *out = jolt_apply(f->mapping, in, NULL, &e);
        CHECK(out && json_is_string(json_object_get(out, "order_no")));
        json_decref(in);
        json_decref(out);
        strbuf_release(&e);
    }
    CHECK_STR(f->post_script.path, tpath("complete/post.py"));
    CHECK_INT(f->post_script.timeout_ms, 7000);  /* a bare number is seconds */
    CHECK_INT(f->post_run_on_failure, 1);
    flow_free(f);
    strbuf_release(&errs);
}

/* The smallest valid Order Flow: everything else takes its default. */
static void test_defaults(void)
{
    strbuf errs = STRBUF_INIT;
    flow *f = load_ok(&errs, "defaults/minimal.json",
        "{ \"name\": \"min\", \"type\": \"order\",\n"
        "  \"omnitron\": { \"url\": \"https://omni.example\", \"username_env\": \"FF_TEST_OMNI_USER\",\n"
        "                \"password_env\": \"FF_TEST_OMNI_PASS\", \"channels\": [1, 2] },\n"
        "  \"erp\": { \"write\": { \"url\": \"http://erp.example/orders\" } } }\n");
    CHECK_STR(errs.len ? errs.buf : "", "");
    if (!f) {
        strbuf_release(&errs);
        return;
    }
    CHECK_INT(f->enabled, 1);
    CHECK(f->cron_text == NULL);
    CHECK(f->cron == NULL);
    CHECK_STR(f->timezone, "UTC");
    CHECK_INT(f->http_timeout_ms, 30000);
    CHECK_INT(f->http_connect_timeout_ms, 5000);
    CHECK_INT(f->http_max_response, 16 << 20);
    CHECK_INT(f->retry.max_attempts, 3);  /* http.retries 2 */
    CHECK_INT(f->retry.base_ms, 100);
    CHECK_INT(f->retry.max_ms, 5000);
    CHECK_INT(f->retry.retry_5xx, 1);
    CHECK_INT(f->retry.retry_429, 1);
    CHECK_STR(f->omnitron_url, "https://omni.example");
    CHECK_STR(O(f)->channels, "1,2");
    CHECK_INT(f->omnitron_auth.token_ttl_ms, 12LL * 3600 * 1000);
    CHECK_STR(f->omnitron_auth.login.url_text, "/api/v1/auth/login/");
    CHECK_INT(O(f)->page_size, 100);
    CHECK_INT(O(f)->read_concurrency, 8);
    CHECK_INT(O(f)->lease_ttl_ms, 600000);
    CHECK_INT(O(f)->max_orders_per_run, 0);
    CHECK_STR(O(f)->path_orders,
              "/api/v1/orders/?is_send=False&channel__in={channels}&status__ne=100&sort=id&id__gt={after}&limit={limit}");
    CHECK_STR(O(f)->path_order_detail, "/api/v1/orders_integration/{pk}/detailed_integration/");
    CHECK_STR(O(f)->path_items, "/api/v1/order_items/?order_id={pk}&limit=99999");
    CHECK_STR(O(f)->path_item_detail, "/api/v1/order_items/{pk}/detailed_integration/");
    CHECK_STR(O(f)->path_discounts, "/api/v1/discount_items/?order_id={pk}&limit=99999");
    CHECK_STR(O(f)->path_discount_detail, "/api/v1/discount_items/{pk}/detailed_integration/");
    CHECK_STR(O(f)->path_mark_sent, "/api/v1/orders/{pk}/");
    CHECK_STR(O(f)->path_item_mapping, "/api/v1/order_items/{pk}/create_mapping/");
    CHECK_STR(O(f)->path_order_mapping, "/api/v1/orders/{pk}/create_mapping/");
    CHECK_INT(f->erp_auth.kind, FLOW_AUTH_NONE);
    CHECK(O(f)->query.url == NULL);
    CHECK(O(f)->query.url_text == NULL);
    CHECK_INT(O(f)->failure_codes.n, 0);
    CHECK_INT(O(f)->not_found_codes.n, 0);
    CHECK_STR(O(f)->write.method, "POST");
    CHECK(O(f)->write.url != NULL);
    CHECK_INT(O(f)->write.n_headers, 0);
    CHECK_STR(O(f)->resp_order_code_path, "id");
    CHECK_STR(O(f)->resp_items_path, "items");
    CHECK_STR(O(f)->resp_item_code_field, "code");
    CHECK(f->script.path == NULL);
    CHECK_INT(f->script.timeout_ms, 10000);
    CHECK(f->mapping == NULL);
    CHECK(f->check_script.path == NULL);
    CHECK(f->post_script.path == NULL);
    CHECK_INT(f->post_script.timeout_ms, 10000);
    CHECK_INT(f->post_run_on_failure, 0);
    flow_free(f);

    /* the other spellings of the lists, and the query defaults */
    f = load_ok(&errs, "defaults/lists.json",
        "{ \"name\": \"lists\", \"type\": \"order\",\n"
        "  \"omnitron\": { \"url\": \"http://omni\", \"username_env\": \"FF_TEST_OMNI_USER\",\n"
        "                \"password_env\": \"FF_TEST_OMNI_PASS\", \"channels\": \"7\" },\n"
        "  \"erp\": { \"query\": { \"url\": \"http://erp/q?n=${_order.number}\",\n"
        "                        \"failure_status_codes\": [500, 503], \"not_found_codes\": \"404, 410\" },\n"
        "           \"write\": { \"url\": \"http://erp/w\" } } }\n");
    CHECK_STR(errs.len ? errs.buf : "", "");
    if (f) {
        CHECK_STR(O(f)->channels, "7");
        CHECK_STR(O(f)->query.method, "GET");
        CHECK_STR(O(f)->query_response_path, "");
        CHECK_STR(O(f)->query_response_value, "");
        check_codes(O(f)->failure_codes.codes, O(f)->failure_codes.n, 500, 503);
        check_codes(O(f)->not_found_codes.codes, O(f)->not_found_codes.n, 404, 410);
        flow_free(f);
    }

    /* the other ERP login kinds */
    f = load_ok(&errs, "defaults/basic.json",
        "{ \"name\": \"basic\", \"type\": \"order\",\n"
        OMNI_OK
        "  \"erp\": { \"login\": { \"type\": \"basic\", \"username_env\": \"FF_TEST_ERP_USER\", \"password_env\": \"FF_TEST_ERP_PASS\" },\n"
        "           \"write\": { \"url\": \"http://erp/w\" } } }\n");
    if (f) {
        CHECK_INT(f->erp_auth.kind, FLOW_AUTH_BASIC);
        CHECK_STR(f->erp_auth.username, "erp-user");
        CHECK_STR(f->erp_auth.header_name, "Authorization");
        flow_free(f);
    }
    f = load_ok(&errs, "defaults/static.json",
        "{ \"name\": \"static\", \"type\": \"order\",\n"
        OMNI_OK
        "  \"erp\": { \"login\": { \"type\": \"static\", \"token_env\": \"FF_TEST_ERP_TOKEN\" },\n"
        "           \"write\": { \"url\": \"http://erp/w\" } } }\n");
    if (f) {
        CHECK_INT(f->erp_auth.kind, FLOW_AUTH_STATIC);
        CHECK_STR(f->erp_auth.static_token, "s3cret");
        CHECK_STR(f->erp_auth.header_prefix, "Bearer ");
        CHECK_INT(f->erp_auth.token_ttl_ms, 50 * 60 * 1000);
        flow_free(f);
    }
    f = load_ok(&errs, "defaults/token.json",
        "{ \"name\": \"tok\", \"type\": \"order\",\n"
        OMNI_OK
        "  \"erp\": { \"login\": { \"url\": \"http://erp/login\" },\n"
        "           \"write\": { \"url\": \"http://erp/w\" } } }\n");
    if (f) {
        CHECK_INT(f->erp_auth.kind, FLOW_AUTH_TOKEN);  /* the default type */
        CHECK_STR(f->erp_auth.login.method, "POST");
        CHECK(f->erp_auth.login_body == NULL);
        CHECK_STR(f->erp_auth.token_path, "access_token");
        CHECK_STR(f->erp_auth.header_name, "Authorization");
        CHECK_STR(f->erp_auth.header_prefix, "Bearer ");
        CHECK_INT(f->erp_auth.token_ttl_ms, 50 * 60 * 1000);
        CHECK(f->erp_auth.username == NULL);
        flow_free(f);
    }
    CHECK_STR(errs.len ? errs.buf : "", "");
    strbuf_release(&errs);
}

/* One file with one problem of every class: all are reported, each as
 * "<file>: <field path>: <what>", in one go. Loaded by a relative path from
 * inside its directory, so the file is named as flowctl's user sees it. */
/* Writes text to name, loads it expecting failure, and checks that the
 * errors are exactly the given lines (NULL-terminated, any order), each
 * prefixed with the file's path and ": ". */
static void check_problems(strbuf *errs, const char *name, const char *text, const char *const *lines)
{
    strbuf_reset(errs);
    put(name, text);
    flow *f = flow_load(tpath(name), 0, errs);
    CHECK(f == NULL);
    char want[1400];
    int n = 0;
    for (; lines[n]; n++) {
        snprintf(want, sizeof want, "%s: %s", tpath(name), lines[n]);
        CHECK_LINE(errs->buf, want);
    }
    CHECK_INT(count_lines(errs->buf), n);
}

static void test_every_problem(void)
{
    strbuf errs = STRBUF_INIT;
    const char *dir = subdir("problems");
    put("problems/orders.json",
        "{\n"
        "  \"name\": \"orders\",\n"
        "  \"type\": \"order\",\n"
        "  \"colour\": \"blue\",\n"
        "  \"enabled\": \"yes\",\n"
        "  \"schedule\": { \"cron\": \"61 * * * *\", \"timezone\": \"Mars/Olympus\" },\n"
        "  \"http\": { \"timeout\": \"10 sec\", \"retries\": \"two\", \"max_backof\": \"1s\" },\n"
        "  \"omnitron\": { \"username_env\": \"FF_TEST_OMNI_USER\", \"password_env\": \"FF_TEST_UNSET_PASSWORD\",\n"
        "                \"channels\": \"1,2\" },\n"
        "  \"erp\": {\n"
        "    \"query\": { \"url\": \"http://erp/orders?n=${_order.number:nosuch()}\" },\n"
        "    \"write\": { \"url\": \"http://erp/orders\", \"method\": \"PUTT\" }\n"
        "  },\n"
        "  \"script\": { \"file\": \"missing.py\" },\n"
        "  \"mapping\": { \"file\": \"bad-spec.json\" }\n"
        "}\n");
    put("problems/bad-spec.json", "[{\"operation\": \"shiftt\", \"spec\": {}}]\n");
    CHECK(chdir(dir) == 0);
    flow *f = flow_load("orders.json", 0, &errs);
    CHECK(f == NULL);
    CHECK_LINE(errs.buf, "orders.json: colour: unknown setting");
    CHECK_LINE(errs.buf, "orders.json: enabled: expected true or false, got a string");
    CHECK_LINE(errs.buf, "orders.json: schedule.cron: field 1 (minute): 61 out of range 0-59");
    CHECK_LINE(errs.buf, "orders.json: schedule.timezone: unknown time zone \"Mars/Olympus\"");
    CHECK_LINE(errs.buf, "orders.json: http.max_backof: unknown setting");
    CHECK_LINE(errs.buf, "orders.json: http.timeout: expected a duration such as \"30s\", \"5m\" or \"250ms\"");
    CHECK_LINE(errs.buf, "orders.json: http.retries: expected an integer, got a string");
    CHECK_LINE(errs.buf, "orders.json: omnitron.url: missing (expected a string)");
    CHECK_LINE(errs.buf, "orders.json: omnitron.password_env: environment variable FF_TEST_UNSET_PASSWORD is not set");
    CHECK_LINE(errs.buf, "orders.json: erp.query.url: expression error: column 37: unknown function 'nosuch'");
    CHECK_LINE(errs.buf, "orders.json: erp.write.method: expected one of GET, POST, PUT, PATCH, DELETE, got \"PUTT\"");
    CHECK_LINE(errs.buf, "orders.json: script.file: cannot read missing.py: No such file or directory");
    CHECK(strstr(errs.buf, "orders.json: mapping.file: bad-spec.json: invalid Jolt spec: ") != NULL);
    CHECK_INT(count_lines(errs.buf), 13);
    CHECK(chdir(origdir) == 0);

    /* more classes, each on its own: type not available, wrong types, ranges;
     * the types named are the registry's */
    strbuf names = STRBUF_INIT;
    char type_line[512];
    flow_type_names(&names, ", ");
    snprintf(type_line, sizeof type_line, "type: expected one of %s, got \"image\"", names.buf);
    strbuf_release(&names);
    check_problems(&errs, "problems/image.json",
                   "{ \"name\": \"img flow\", \"type\": \"image\", \"omnitron\": [], \"erp\": { \"write\": {} },\n"
                   "  \"post_script\": { \"timeout\": \"1s\" } }\n",
                   (const char *const[]){
                       "name: only letters, digits, '-' and '_' are allowed, got \"img flow\"",
                       type_line,
                       "omnitron: expected an object, got an array",
                       /* an unknown type's own settings (erp.write) are not judged */
                       "post_script.file: missing (expected a string)",
                       NULL,
                   });

    /* a missing section is one problem, not one per setting in it */
    char want[1400];
    strbuf_reset(&errs);
    put("problems/bare.json", "{ \"name\": \"bare\", \"type\": \"order\" }\n");
    f = flow_load(tpath("problems/bare.json"), 0, &errs);
    CHECK(f == NULL);
    snprintf(want, sizeof want, "%s: omnitron: missing (expected an object)\n%s: erp: missing (expected an object)",
             tpath("problems/bare.json"), tpath("problems/bare.json"));
    CHECK_STR(errs.buf, want);

    check_problems(&errs, "problems/types.json",
                   "{ \"name\": \"t\", \"type\": \"order\", \"http\": \"fast\",\n"
                   "  \"omnitron\": { \"url\": \"ftp://omni\", \"username_env\": 5, \"password_env\": \"FF_TEST_OMNI_PASS\",\n"
                   "                \"channels\": \"1;2\", \"page_size\": 5000, \"paths\": { \"orders\": \"/o/\", \"order\": \"/x\" } },\n"
                   "  \"erp\": { \"login\": { \"type\": \"oauth\" },\n"
                   "           \"query\": { \"url\": \"http://erp/q\", \"failure_status_codes\": \"500,abc\", \"not_found_codes\": [404, \"x\"],\n"
                   "                      \"headers\": { \"X-N\": 1 } },\n"
                   "           \"write\": { \"url\": \"http://erp/w\", \"method\": 1 } } }\n",
                   (const char *const[]){
                       "http: expected an object, got a string",
                       "omnitron.paths.order: unknown setting",
                       "omnitron.url: expected an http:// or https:// URL, got \"ftp://omni\"",
                       "omnitron.username_env: expected a string, got an integer",
                       "omnitron.channels: expected comma-separated channel ids, got \"1;2\"",
                       "omnitron.page_size: 5000 out of range 1..1000",
                       "omnitron.paths.orders: paging \"keyset\" needs the {after} placeholder (omnitron.paging is \"keyset\")",
                       "erp.login.type: expected one of none, token, basic, static, got \"oauth\"",
                       "erp.query.headers.X-N: expected a string, got an integer",
                       "erp.query.failure_status_codes: expected comma-separated HTTP status codes, got \"500,abc\"",
                       "erp.query.not_found_codes: element 1: expected an HTTP status code (100-599)",
                       "erp.write.method: expected a string, got an integer",
                       NULL,
                   });

    /* numbers too large for a duration, and a header expression that does not compile */
    check_problems(&errs, "problems/huge.json",
                   "{ \"name\": \"huge\", \"type\": \"order\",\n"
                   "  \"http\": { \"timeout\": 9223372036854775807, \"backoff\": 1000000000000000 },\n"
                   OMNI_OK
                   "  \"erp\": { \"write\": { \"url\": \"http://erp/w\", \"headers\": { \"X-Ok\": \"1\", \"X-Bad\": \"${nosuch()}\" } } } }\n",
                   (const char *const[]){
                       "http.timeout: expected a duration such as \"30s\", \"5m\" or \"250ms\"",
                       "http.backoff: expected a duration such as \"30s\", \"5m\" or \"250ms\"",
                       "erp.write.headers.X-Bad: expression error: column 3: unknown function 'nosuch'",
                       NULL,
                   });

    /* not JSON at all, and not an object */
    strbuf_reset(&errs);
    put("problems/syntax.json", "{ \"name\": \"x\",\n  \"type\": }\n");
    f = flow_load(tpath("problems/syntax.json"), 0, &errs);
    CHECK(f == NULL);
    CHECK(strncmp(errs.buf, tpath("problems/syntax.json"), strlen(tpath("problems/syntax.json"))) == 0);
    CHECK_INT(count_lines(errs.buf), 1);
    strbuf_reset(&errs);
    put("problems/array.json", "[1]\n");
    f = flow_load(tpath("problems/array.json"), 0, &errs);
    CHECK(f == NULL);
    snprintf(want, sizeof want, "%s: (top): expected an object, got an array", tpath("problems/array.json"));
    CHECK_STR(errs.buf, want);
    /* a NULL errs is fine */
    CHECK(flow_load(tpath("problems/array.json"), 0, NULL) == NULL);
    strbuf_release(&errs);
}

static const char GOOD_FLOW[] =
    "{ \"name\": \"%s\", \"type\": \"order\",\n"
    "  \"schedule\": { \"cron\": \"@every 30s\" },\n"
    OMNI_OK
    "  \"erp\": { \"write\": { \"url\": \"http://erp/w\" } } }\n";

static void put_good(const char *file, const char *name)
{
    char text[1024];
    snprintf(text, sizeof text, GOOD_FLOW, name);
    put(file, text);
}

static void test_dir_good_and_broken(void)
{
    strbuf errs = STRBUF_INIT;
    flow_set set;
    const char *dir = subdir("mixed");
    put_good("mixed/a-good.json", "good");
    put("mixed/b-broken.json",
        "{ \"name\": \"broken\", \"type\": \"order\", \"omnitron\": { \"url\": \"http://omni\",\n"
        "  \"username_env\": \"FF_TEST_OMNI_USER\", \"password_env\": \"FF_TEST_OMNI_PASS\", \"channels\": \"1\" },\n"
        "  \"erp\": { \"write\": { \"url\": \"http://erp/w\", \"method\": \"PUTT\" } } }\n");
    put("mixed/notes.txt", "not a flow");
    put("mixed/.hidden.json", "{ broken");
    int broken = flow_set_load(&set, dir, 0, &errs);
    CHECK_INT(broken, 1);
    CHECK_INT(set.n, 1);
    CHECK(flow_set_find(&set, "good") != NULL);
    CHECK(flow_set_find(&set, "broken") == NULL);
    char want[1400];
    snprintf(want, sizeof want, "%s/b-broken.json: erp.write.method: expected one of GET, POST, PUT, PATCH, DELETE, got \"PUTT\"", dir);
    CHECK_STR(errs.buf, want);
    const flow *g = flow_set_find(&set, "good");
    if (g) {
        CHECK_STR(g->cron_text, "@every 30s");
        CHECK(g->cron != NULL);
    }
    flow_set_release(&set);
    CHECK_INT(set.n, 0);

    /* one file by name */
    strbuf_reset(&errs);
    broken = flow_set_load(&set, tpath("mixed/a-good.json"), 0, &errs);
    CHECK_INT(broken, 0);
    CHECK_INT(set.n, 1);
    CHECK_INT(errs.len, 0);
    flow_set_release(&set);

    /* a directory that is not there */
    strbuf_reset(&errs);
    broken = flow_set_load(&set, tpath("no-such-dir"), 0, &errs);
    CHECK_INT(broken, -1);
    CHECK_INT(set.n, 0);
    CHECK(strstr(errs.buf, "cannot read flows directory") != NULL);
    flow_set_release(&set);
    strbuf_release(&errs);
}

/* A flow "name" triggered by the runs of "after" (NULL: on a cron). */
static void put_after(const char *file, const char *name, const char *after, const char *status)
{
    char text[1400];
    snprintf(text, sizeof text,
             "{ \"name\": \"%s\", \"type\": \"order\",\n"
             "  \"schedule\": { %s%s%s%s%s },\n" OMNI_OK
             "  \"erp\": { \"write\": { \"url\": \"http://erp/w\" } } }\n",
             name, after ? "\"after\": \"" : "\"cron\": \"@hourly\"", after ? after : "", after ? "\"" : "",
             status ? ", \"after_status\": " : "", status ? status : "");
    put(file, text);
}

/* Triggered By: a flow names another flow of the set; a chain that comes
 * back to a flow is a cycle, reported with the names in it, and its flows
 * are left out; the rest load. */
static void test_after(void)
{
    strbuf errs = STRBUF_INIT;
    flow_set set;
    const char *dir = subdir("after");
    put_after("after/a.json", "a", NULL, NULL);
    put_after("after/b.json", "b", "a", "\"success\"");
    put_after("after/c.json", "c", "d", NULL);
    put_after("after/d.json", "d", "e", NULL);
    put_after("after/e.json", "e", "c", NULL);
    put_after("after/f.json", "f", "nosuch", NULL);
    int broken = flow_set_load(&set, dir, 0, &errs);
    CHECK_INT(broken, 4);
    CHECK_INT(set.n, 2);
    const flow *b = flow_set_find(&set, "b");
    CHECK(b && b->after && strcmp(b->after, "a") == 0 && b->after_success_only == 1 && b->cron == NULL);
    char want[1400];
    snprintf(want, sizeof want, "%s/c.json: schedule.after: cycle: c -> d -> e -> c", dir);
    CHECK_LINE(errs.buf, want);
    snprintf(want, sizeof want, "%s/e.json: schedule.after: cycle: e -> c -> d -> e", dir);
    CHECK_LINE(errs.buf, want);
    snprintf(want, sizeof want, "%s/f.json: schedule.after: no flow named \"nosuch\" is loaded with it", dir);
    CHECK_LINE(errs.buf, want);
    flow_set_release(&set);

    /* one file: its own problems */
    strbuf_reset(&errs);
    put_after("after1/self.json", "self", "self", "\"sometimes\"");
    CHECK(flow_load(tpath("after1/self.json"), 0, &errs) == NULL);
    snprintf(want, sizeof want, "%s: schedule.after_status: expected finished or success, got \"sometimes\"", tpath("after1/self.json"));
    CHECK_LINE(errs.buf, want);
    snprintf(want, sizeof want, "%s: schedule.after: a flow cannot be triggered by its own runs", tpath("after1/self.json"));
    CHECK_LINE(errs.buf, want);
    strbuf_release(&errs);
}

static void test_duplicate_names(void)
{
    strbuf errs = STRBUF_INIT;
    flow_set set;
    const char *dir = subdir("dups");
    put_good("dups/one.json", "same");
    put_good("dups/two.json", "same");
    put_good("dups/three.json", "other");
    int broken = flow_set_load(&set, dir, 0, &errs);
    CHECK_INT(broken, 1);
    CHECK_INT(set.n, 2);
    /* files are loaded in name order: one, three, two; the later one loses */
    char want[1400];
    snprintf(want, sizeof want, "%s/two.json: name: \"same\" is already used by another flow file", dir);
    CHECK_STR(errs.buf, want);
    const flow *s = flow_set_find(&set, "same");
    CHECK(s != NULL);
    if (s) {
        snprintf(want, sizeof want, "%s/one.json", dir);
        CHECK_STR(s->file, want);
    }
    CHECK(flow_set_find(&set, "other") != NULL);
    flow_set_release(&set);
    strbuf_release(&errs);
}

static void test_duration(void)
{
    int64_t ms = -1;
    CHECK_INT(duration_parse_ms("250ms", &ms), 0);
    CHECK_INT(ms, 250);
    CHECK_INT(duration_parse_ms("30s", &ms), 0);
    CHECK_INT(ms, 30000);
    CHECK_INT(duration_parse_ms("5m", &ms), 0);
    CHECK_INT(ms, 300000);
    CHECK_INT(duration_parse_ms("1h30m", &ms), 0);
    CHECK_INT(ms, 5400000);
    CHECK_INT(duration_parse_ms("2d", &ms), 0);
    CHECK_INT(ms, 2LL * 86400000);
    CHECK_INT(duration_parse_ms("1m30s250ms", &ms), 0);
    CHECK_INT(ms, 90250);
    CHECK_INT(duration_parse_ms("45", &ms), 0);  /* bare number: seconds */
    CHECK_INT(ms, 45000);
    CHECK_INT(duration_parse_ms("0s", &ms), 0);
    CHECK_INT(ms, 0);
    ms = 77;
    CHECK_INT(duration_parse_ms("", &ms), -1);
    CHECK_INT(duration_parse_ms(NULL, &ms), -1);
    CHECK_INT(duration_parse_ms("1.5h", &ms), -1);
    CHECK_INT(duration_parse_ms("10 sec", &ms), -1);
    CHECK_INT(duration_parse_ms("s", &ms), -1);
    CHECK_INT(duration_parse_ms("-5s", &ms), -1);
    CHECK_INT(duration_parse_ms("5x", &ms), -1);
    CHECK_INT(duration_parse_ms("1h30", &ms), -1);  /* a bare number only alone */
    CHECK_INT(duration_parse_ms("99999999999999d", &ms), -1);
    CHECK_INT(ms, 77);  /* untouched on error */
}

static void test_fill_path(void)
{
    attrs v = ATTRS_INIT;
    strbuf out = STRBUF_INIT;
    attrs_set(&v, "pk", "42");
    attrs_set(&v, "channels", "1,2");
    attrs_set(&v, "after", "0");
    flow_fill_path(&out, "/api/v1/orders/{pk}/", &v);
    CHECK_STR(out.buf, "/api/v1/orders/42/");
    strbuf_reset(&out);
    flow_fill_path(&out, "/o/?c={channels}&a={after}&l={limit}&x={pk}{pk}", &v);
    CHECK_STR(out.buf, "/o/?c=1,2&a=0&l={limit}&x=4242");  /* unknown kept */
    strbuf_reset(&out);
    flow_fill_path(&out, "no placeholders", &v);
    CHECK_STR(out.buf, "no placeholders");
    strbuf_reset(&out);
    flow_fill_path(&out, "/open{pk", &v);
    CHECK_STR(out.buf, "/open{pk");
    strbuf_reset(&out);
    flow_fill_path(&out, "{}{pk}}", &v);
    CHECK_STR(out.buf, "{}42}");
    strbuf_reset(&out);
    flow_fill_path(&out, "", &v);
    CHECK_STR(out.buf, "");
    /* appends to what is there */
    strbuf_addstr(&out, "http://h");
    attrs none = ATTRS_INIT;
    flow_fill_path(&out, "/{pk}", &none);
    CHECK_STR(out.buf, "http://h/{pk}");
    strbuf_release(&out);
    attrs_release(&v);
}

static void test_scripts(void)
{
    strbuf errs = STRBUF_INIT;
    CHECK_INT(pyscript_global_init(&errs), 0);
    put("scripts/good.py", "import json\n\ndef transform(record, attributes):\n    record['seen'] = True\n    return record\n");
    put("scripts/bad.py", "import json\n\ndef transform(record, attributes)\n    return record\n");
    static const char TMPL[] =
        "{ \"name\": \"%s\", \"type\": \"order\",\n"
        OMNI_OK
        "  \"erp\": { \"write\": { \"url\": \"http://erp/w\" } },\n"
        "  \"script\": { \"file\": \"%s\" } }\n";
    char text[1024];
    snprintf(text, sizeof text, TMPL, "good", "good.py");
    put("scripts/good.json", text);
    snprintf(text, sizeof text, TMPL, "bad", "bad.py");
    put("scripts/bad.json", text);

    flow *f = flow_load(tpath("scripts/good.json"), FLOW_LOAD_SCRIPTS, &errs);
    CHECK(f != NULL);
    CHECK_STR(errs.len ? errs.buf : "", "");
    if (f) {
        CHECK(f->script.script != NULL);
        if (f->script.script) {
            CHECK(pyscript_is_plain(f->script.script));
            attrs a = ATTRS_INIT;
            strbuf out = STRBUF_INIT, e = STRBUF_INIT;
            CHECK_INT(pyscript_run(f->script.script, "{\"n\":1}", 7, &a, NULL, &out, &e), PYSCRIPT_SUCCESS);
            CHECK(strstr(out.buf, "\"seen\"") != NULL);
            attrs_release(&a);
            strbuf_release(&out);
            strbuf_release(&e);
        }
        flow_free(f);
    }
    /* without the flag the same file is only read */
    f = flow_load(tpath("scripts/bad.json"), 0, &errs);
    CHECK(f != NULL);
    if (f) {
        CHECK(f->script.script == NULL);
        flow_free(f);
    }
    CHECK_INT(errs.len, 0);
    f = flow_load(tpath("scripts/bad.json"), FLOW_LOAD_SCRIPTS, &errs);
    CHECK(f == NULL);
    char want[1400];
    snprintf(want, sizeof want, "%s: script.file: ", tpath("scripts/bad.json"));
    CHECK(strncmp(errs.buf, want, strlen(want)) == 0);
    CHECK(strstr(errs.buf, "line 3") != NULL);
    CHECK(strstr(errs.buf, "bad.py") != NULL);
    if (!strstr(errs.buf, "line 3"))
        fprintf(stderr, "    got: %s\n", errs.buf);

    /* a directory with both: the good one loads, the bad one is reported */
    flow_set set;
    strbuf_reset(&errs);
    CHECK_INT(flow_set_load(&set, tpath("scripts"), FLOW_LOAD_SCRIPTS, &errs), 1);
    CHECK_INT(set.n, 1);
    CHECK(flow_set_find(&set, "good") != NULL);
    CHECK(strstr(errs.buf, "bad.json: script.file: ") != NULL);
    flow_set_release(&set);
    strbuf_release(&errs);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ff-flow-XXXXXX");
    if (!mkdtemp(tmpdir) || !getcwd(origdir, sizeof origdir)) {
        fprintf(stderr, "cannot make a temp directory\n");
        CHECK(0);
        return unit_done();
    }
    setenv("FF_TEST_OMNI_USER", "omni-user", 1);
    setenv("FF_TEST_OMNI_PASS", "omni-pass", 1);
    setenv("FF_TEST_ERP_USER", "erp-user", 1);
    setenv("FF_TEST_ERP_PASS", "erp-pass", 1);
    setenv("FF_TEST_ERP_TOKEN", "s3cret", 1);
    unsetenv("FF_TEST_UNSET_PASSWORD");
    RUN(test_complete);
    RUN(test_defaults);
    RUN(test_every_problem);
    RUN(test_dir_good_and_broken);
    RUN(test_duplicate_names);
    RUN(test_after);
    RUN(test_duration);
    RUN(test_fill_path);
    RUN(test_scripts);
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return unit_done();
}
