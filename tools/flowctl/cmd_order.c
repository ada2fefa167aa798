/*
 * cmd_order.c: `flowctl order FLOW NUMBER` prints one detailed order as the
 * flow's Omnitron gives it (omnitron.paths.order_by_number), the example
 * input the product's Script Testing and Mapping Testing panels start from:
 *   flowctl order orders ORD-000017 > order.json
 *   flowctl test-script --script transform.py --input order.json
 * It logs in with the flow's credentials and shares the fleet's token in
 * Redis (--redis), as the services do.
 */
#include <stdio.h>
#include <string.h>

#include "flowctl.h"
#include "jsontext.h"
#include "stage.h"

int cmd_order(int argc, char **argv)
{
    flowctl_env env;
    const char *name = NULL, *number = NULL;
    strbuf err = STRBUF_INIT, path = STRBUF_INIT, url = STRBUF_INIT, num = STRBUF_INIT, out = STRBUF_INIT;
    flow_set set;
    int rc = 1;
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!name && argv[i][0] != '-')
            name = argv[i];
        else if (!number && argv[i][0] != '-')
            number = argv[i];
        else
            name = NULL, number = NULL, i = argc;
    }
    if (!name || !number) {
        fprintf(stderr, "usage: flowctl order FLOW NUMBER\n");
        return 2;
    }
    flow_set_load(&set, env.flows, 0, &err);
    const flow *f = flow_set_find(&set, name);
    if (!f) {
        fprintf(stderr, "flowctl order: no valid flow named \"%s\" in %s\n%s\n", name, env.flows, err.buf);
        goto out;
    }
    strbuf_reset(&err);
    store *st = store_open(env.redis, NULL, &err);
    if (!st) {
        fprintf(stderr, "flowctl order: redis %s: %s\n", env.redis, err.buf);
        goto out;
    }
    http_global_init();
    http_options ho = { f->http_connect_timeout_ms, f->http_timeout_ms, f->http_max_response };
    stage_ctx c = { .service = "flowctl", .store = st, .http = http_client_new(&ho), .flows = &set };
    stage_auth sa;
    stage_auth_init(&sa, &c, f, 0);
    attrs vars = ATTRS_INIT;
    strbuf_add_urlencoded(&num, number, strlen(number));
    attrs_set(&vars, "number", num.buf);
    flow_fill_path(&path, f->path_order_by_number, &vars);
    strbuf_addf(&url, "%s%s", f->omnitron_url, path.buf);
    static const char *const hdrs[] = { "Accept: application/json", NULL };
    http_response r;
    http_response_init(&r);
    if (stage_http(&c, f, &sa, "GET", url.buf, hdrs, NULL, 0, &r) < 0) {
        fprintf(stderr, "flowctl order: GET %s: %s\n", url.buf, r.error.buf);
    } else if (r.status != 200) {
        fprintf(stderr, "flowctl order: GET %s: HTTP %ld: %.300s\n", url.buf, r.status, r.body.buf);
    } else {
        json_t *v = jsontext_parse(r.body.buf, r.body.len, &err);
        json_t *list = json_is_object(v) ? json_object_get(v, "results") : v;
        json_t *order = json_is_array(list) ? json_array_get(list, 0) : NULL;
        if (!v)
            fprintf(stderr, "flowctl order: the answer is not JSON: %s\n", err.buf);
        else if (!order)
            fprintf(stderr, "flowctl order: no order numbered \"%s\"\n", number);
        else {
            jsontext_dump(order, &out, JSONTEXT_PRETTY);
            printf("%s\n", out.buf);
            rc = 0;
        }
        json_decref(v);
    }
    http_response_release(&r);
    attrs_free(&vars);
    stage_auth_release(&sa);
    http_client_free(c.http);
    store_close(st);
out:
    flow_set_free(&set);
    strbuf_release(&err);
    strbuf_release(&path);
    strbuf_release(&url);
    strbuf_release(&num);
    strbuf_release(&out);
    return rc;
}
