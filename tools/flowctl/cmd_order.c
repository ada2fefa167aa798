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
    strbuf err = STRBUF_INIT, path = STRBUF_INIT, num = STRBUF_INIT, out = STRBUF_INIT;
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
    const flow *f;
    if (flowctl_load_flow(&env, name, &set, &f) < 0)
        return 1;
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
    long status;
    json_t *v = stage_omnitron_get(&c, f, &sa, path.buf, &status, &err);
    json_t *order = json_array_get(json_results(v), 0);
    if (!v) {
        fprintf(stderr, "flowctl order: %s\n", err.buf);
    } else if (!order) {
        fprintf(stderr, "flowctl order: no order numbered \"%s\"\n", number);
    } else {
        jsontext_dump(order, &out, JSONTEXT_PRETTY);
        printf("%s\n", out.buf);
        rc = 0;
    }
    json_decref(v);
    attrs_free(&vars);
    stage_auth_release(&sa);
    http_client_free(c.http);
    store_close(st);
out:
    flow_set_free(&set);
    strbuf_release(&err);
    strbuf_release(&path);
    strbuf_release(&num);
    strbuf_release(&out);
    return rc;
}
