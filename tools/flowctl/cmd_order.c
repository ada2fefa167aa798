/*
 * cmd_order.c: `flowctl example FLOW KEY` prints one record as the flow's
 * reader would publish it, fetched by its key through the flow type's
 * example function: for the Order Flow, one detailed order by number
 * (`flowctl order FLOW NUMBER` is the same command). It is the example input
 * the product's Script Testing and Mapping Testing panels start from:
 *   flowctl order orders ORD-000017 > order.json
 *   flowctl test-script --script transform.py --input order.json
 * It needs only the flow file and its credentials: it logs in itself (no
 * Redis), and the record is built by the same code as the reader's.
 */
#include <stdio.h>
#include <string.h>

#include "flowctl.h"
#include "flow_type.h"
#include "stage.h"

int cmd_order(int argc, char **argv)
{
    flowctl_env env;
    const char *name = NULL, *key = NULL;
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    flow_set set;
    int rc = 1;
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!name && argv[i][0] != '-')
            name = argv[i];
        else if (!key && argv[i][0] != '-')
            key = argv[i];
        else
            name = NULL, key = NULL, i = argc;
    }
    if (!name || !key) {
        fprintf(stderr, "usage: flowctl %s FLOW %s\n", argv[0], strcmp(argv[0], "order") ? "KEY" : "NUMBER");
        return 2;
    }
    const flow *f;
    if (flowctl_load_flow(&env, name, &set, &f) < 0)
        return 1;
    if (!f->ft->example) {
        fprintf(stderr, "flowctl %s: flows of type %s have no example record\n", argv[0], f->ft->name);
        goto out;
    }
    http_global_init();
    http_options ho = { f->http_connect_timeout_ms, f->http_timeout_ms, f->http_max_response };
    stage_ctx c = { .service = "flowctl", .prefix = env.prefix, .store = NULL, .http = http_client_new(&ho), .flows = &set };
    if (f->ft->example(&c, f, key, &out, &err) < 0) {
        fprintf(stderr, "flowctl %s: %s\n", argv[0], err.buf);
    } else {
        printf("%s\n", out.buf);
        rc = 0;
    }
    http_client_free(c.http);
out:
    flow_set_release(&set);
    strbuf_release(&err);
    strbuf_release(&out);
    return rc;
}
