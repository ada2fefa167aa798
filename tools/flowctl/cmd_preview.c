/*
 * cmd_preview.c: `flowctl preview FLOW --input FILE [--attr k=v]... [--json]`
 * runs a flow's steps on one input record up to its writes and prints the
 * requests it would send, sending nothing.
 *
 * The input is the record as the reader publishes it (`flowctl example`
 * prints one). The shared Script Step and Mapping Step run as the
 * transformer runs them (the script with its time limit and JSON output,
 * the Jolt mapping without a context), unless the type has its own
 * transform; then the flow type's preview (flow_type.h) renders the
 * writer's requests from the same call templates. Nothing here opens a
 * connection: no login, no token (a script gets no token.* attributes),
 * no broker, no Redis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flow_type.h"
#include "flowctl.h"
#include "jsontext.h"
#include "pyscript.h"

#define PREVIEW_USAGE "usage: flowctl preview FLOW --input FILE [--attr k=v]... [--json]\n"

/* The shared Script + Mapping steps on e, as stage_transform runs them,
 * each step's result added to steps. 0 go on, 1 the script removed the
 * record, -1 a step failed (said in steps and err). */
static int shared_steps(const flow *f, envelope *e, json_t *steps, strbuf *err)
{
    strbuf out = STRBUF_INIT;
    int rc = 0;
    if ((f->script.script || f->mapping) && !e->source.len)
        strbuf_add(&e->source, e->body.buf, e->body.len);
    if (f->script.script) {
        int r = flow_script_run(&f->script, &e->attrs, e->body.buf, e->body.len, "script", &out, err);
        json_t *st = json_pack("{s:s,s:s}", "step", "script", "file", f->script.path);
        json_array_append_new(steps, st);
        if (r < 0) {
            json_object_set_new(st, "outcome", json_string("failed"));
            json_object_set_new(st, "error", json_string(err->buf) ? json_string(err->buf) : json_string("?"));
            rc = -1;
            goto out;
        }
        if (r == 1) {
            json_object_set_new(st, "outcome", json_string("removed"));
            rc = 1;
            goto out;
        }
        json_object_set_new(st, "outcome", json_string("success"));
        strbuf_reset(&e->body);
        strbuf_add(&e->body, out.buf, out.len);
    }
    if (f->mapping) {
        json_t *st = json_pack("{s:s,s:s}", "step", "mapping", "file", f->mapping_path);
        json_array_append_new(steps, st);
        strbuf_reset(&out);
        if (stage_map_text(f, e->body.buf, e->body.len, &out, err) < 0) {
            json_object_set_new(st, "outcome", json_string("failed"));
            json_object_set_new(st, "error", json_string(err->buf) ? json_string(err->buf) : json_string("?"));
            rc = -1;
            goto out;
        }
        json_object_set_new(st, "outcome", json_string("success"));
        strbuf_reset(&e->body);
        strbuf_add(&e->body, out.buf, out.len);
    }
out:
    strbuf_release(&out);
    return rc;
}

/* Prints the result for people. */
static void print_text(const flow *f, const char *input, json_t *doc)
{
    size_t i;
    json_t *v;
    printf("preview of flow %s (type %s) on %s: nothing is sent\n", f->name, f->type, input);
    json_array_foreach(json_object_get(doc, "steps"), i, v) {
        printf("%-8s %s: %s\n", json_string_value(json_object_get(v, "step")),
               json_string_value(json_object_get(v, "file")), json_string_value(json_object_get(v, "outcome")));
        if (json_object_get(v, "error"))
            printf("%s\n", json_string_value(json_object_get(v, "error")));
    }
    if (f->ft->transform)
        printf("(flows of type %s run the script and the mapping in their own steps: the requests below are "
               "after them)\n", f->type);
    else if (!json_array_size(json_object_get(doc, "steps")))
        printf("(no script and no mapping: the record goes to the writer as read)\n");
    const char *k;
    json_object_foreach(json_object_get(doc, "attributes"), k, v)
        printf("attribute %s = %s\n", k, json_string_value(v));
    json_array_foreach(json_object_get(doc, "requests"), i, v) {
        size_t h;
        json_t *hv;
        printf("\n--- %zu. %s", i + 1, json_string_value(json_object_get(v, "step")));
        if (json_object_get(v, "note"))
            printf("  (%s)", json_string_value(json_object_get(v, "note")));
        printf("\n");
        if (json_string_value(json_object_get(v, "method")))   /* else a note only: nothing sent */
            printf("%s %s\n", json_string_value(json_object_get(v, "method")), json_string_value(json_object_get(v, "url")));
        json_array_foreach(json_object_get(v, "headers"), h, hv)
            printf("%s\n", json_string_value(hv));
        const char *body = json_string_value(json_object_get(v, "body"));
        if (body) {
            json_t *j = jsontext_parse(body, strlen(body), NULL);
            strbuf pretty = STRBUF_INIT;
            if (j)
                jsontext_dump(j, &pretty, JSONTEXT_PRETTY);
            else
                strbuf_addstr(&pretty, body);
            printf("\n%s%s", pretty.buf, pretty.len && pretty.buf[pretty.len - 1] == '\n' ? "" : "\n");
            strbuf_release(&pretty);
            json_decref(j);
        }
    }
}

int cmd_preview(int argc, char **argv)
{
    flowctl_env env;
    const char *name = NULL, *input = NULL;
    int as_json = 0, rc = 1;
    envelope e;
    flowctl_env_init(&env);
    envelope_init(&e);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--input") && i + 1 < argc) {
            input = argv[++i];
        } else if (!strcmp(argv[i], "--attr") && i + 1 < argc) {
            if (flowctl_kv(&e.attrs, argv[++i], "flowctl preview: --attr") < 0) {
                envelope_release(&e);
                return 2;
            }
        } else if (!strcmp(argv[i], "--json")) {
            as_json = 1;
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            fprintf(stderr, "flowctl preview: unexpected argument \"%s\"\n" PREVIEW_USAGE, argv[i]);
            envelope_release(&e);
            return 2;
        }
    }
    if (!name || !input) {
        fprintf(stderr, PREVIEW_USAGE);
        envelope_release(&e);
        return 2;
    }
    strbuf err = STRBUF_INIT;
    flow_set set;
    const flow *f = NULL;
    json_t *doc = json_pack("{s:[],s:[]}", "steps", "requests");
    memset(&set, 0, sizeof set);
    if (strbuf_read_file(&e.body, input) < 0) {
        fprintf(stderr, "flowctl preview: cannot read %s\n", input);
        goto out;
    }
    if (pyscript_global_init(&err) < 0) {
        fprintf(stderr, "flowctl preview: cannot start Python: %s\n", err.buf);
        goto out;
    }
    /* scripts compiled, as the transformer has them */
    strbuf lerr = STRBUF_INIT;
    flow_set_load(&set, env.flows, FLOW_LOAD_SCRIPTS, &lerr);
    f = flow_set_find(&set, name);
    if (!f) {
        fprintf(stderr, "flowctl preview: no valid flow named \"%s\" in %s\n%s%s", name, env.flows, lerr.buf,
                lerr.len ? "\n" : "");
        strbuf_release(&lerr);
        goto out;
    }
    strbuf_release(&lerr);
    if (!f->ft->preview) {
        fprintf(stderr, "flowctl preview: flows of type %s have no preview\n", f->ft->name);
        goto out;
    }
    e.flow = strdup(f->name);
    e.flow_type = strdup(f->type);
    e.run_id = strdup("preview");
    e.key = strdup("preview");
    e.attempt = 1;
    int r = f->ft->transform ? 0 : shared_steps(f, &e, json_object_get(doc, "steps"), &err);
    json_t *attrs_out = json_object();
    for (size_t i = 0; i < e.attrs.n; i++)
        json_object_set_new(attrs_out, e.attrs.keys[i],
                            json_string(e.attrs.vals[i]) ? json_string(e.attrs.vals[i]) : json_string("(not UTF-8)"));
    json_object_set_new(doc, "attributes", attrs_out);
    if (r == 0) {
        stage_ctx c = { .service = "flowctl", .prefix = env.prefix, .flows = &set };
        if (f->ft->preview(&c, f, &e, json_object_get(doc, "requests"), &err) < 0) {
            json_object_set_new(doc, "error", json_string(err.buf) ? json_string(err.buf) : json_string("?"));
            r = -1;
        }
    }
    if (r == 1)
        json_object_set_new(doc, "removed", json_true());
    if (as_json) {
        strbuf out = STRBUF_INIT;
        jsontext_dump(doc, &out, JSONTEXT_PRETTY);
        printf("%s%s", out.buf, out.len && out.buf[out.len - 1] == '\n' ? "" : "\n");
        strbuf_release(&out);
    } else {
        print_text(f, input, doc);
        if (r == 1)
            printf("the script removed the record: nothing would be written\n");
    }
    if (r < 0)
        fprintf(stderr, "flowctl preview: %s\n", err.buf);
    rc = r < 0 ? 1 : 0;
out:
    json_decref(doc);
    envelope_release(&e);
    flow_set_release(&set);
    strbuf_release(&err);
    return rc;
}
