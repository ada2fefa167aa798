/*
 * order_preview.c: `flowctl preview` for the Order Flow: the requests the
 * writer (order_write.c) would send for one record, rendered from the same
 * call templates and the same attributes (order_expr_vars), and sent to no
 * one.
 *
 * The ERP query and write are rendered exactly as the writer renders them
 * (httpcall_render); the Omnitron writes (item and order mappings, then
 * marking the order sent) are listed with placeholders where their values
 * come from the ERP's answer. Token headers are placeholders too: the
 * preview logs in nowhere.
 */
#include "order.h"

#include <string.h>

#include "httpcall.h"
#include "jsonpath.h"
#include "jsontext.h"

/* The header line the flow's ERP auth would add, with a placeholder. */
static void erp_auth_header(const flow *f, json_t *headers)
{
    const flow_auth *a = &f->erp_auth;
    strbuf h = STRBUF_INIT;
    if (a->kind == FLOW_AUTH_TOKEN)
        strbuf_addf(&h, "%s: %s<the ERP token from erp.login: not fetched>", a->header_name ? a->header_name : "Authorization",
                    a->header_prefix ? a->header_prefix : "");
    else if (a->kind == FLOW_AUTH_STATIC)
        strbuf_addf(&h, "%s: %s<the token of erp.login.token_env>", a->header_name ? a->header_name : "Authorization",
                    a->header_prefix ? a->header_prefix : "");
    else if (a->kind == FLOW_AUTH_BASIC)
        strbuf_addstr(&h, "Authorization: Basic <erp.login's user and password>");
    if (h.len)
        json_array_append_new(headers, json_string(h.buf));
    strbuf_release(&h);
}

/* A rendered ERP call (query or write) appended to requests. 0, or -1 with err. */
static int erp_call(const flow *f, const flow_call *call, const char *step, const attrs *vars, const char *body,
                    const char *note, json_t *requests, strbuf *err)
{
    strbuf url = STRBUF_INIT, e = STRBUF_INIT;
    char **headers = NULL;
    int rc = httpcall_render(call, vars, &url, &headers, &e);
    if (rc < 0) {
        strbuf_seterr(err, "%s: %s", step, e.buf);
    } else {
        json_t *r = httpcall_preview(step, call->method, url.buf, headers, body, note);
        erp_auth_header(f, json_object_get(r, "headers"));
        json_array_append_new(requests, r);
    }
    httpcall_headers_free(headers);
    strbuf_release(&url);
    strbuf_release(&e);
    return rc;
}

int order_preview(stage_ctx *c, const flow *f, const envelope *rec, json_t *requests, strbuf *err)
{
    (void)c;
    const order_settings *o = order_settings_of(f);
    strbuf pk = STRBUF_INIT, note = STRBUF_INIT, perr = STRBUF_INIT;
    attrs vars = ATTRS_INIT;
    int rc = -1;
    const strbuf *asread = rec->source.len ? &rec->source : &rec->body;
    json_t *order = jsontext_parse(asread->buf, asread->len, &perr);
    if (!json_is_object(order)) {
        strbuf_seterr(err, "the record as read is not a JSON object%s%s", perr.len ? ": " : "", perr.buf);
        goto out;
    }
    order_expr_vars(&vars, rec, order);
    if (f->erp_auth.kind != FLOW_AUTH_NONE)
        attrs_set(&vars, "token.erp", "<the ERP token: not fetched>");
    if (o->query.url &&
        erp_call(f, &o->query, "query", &vars, NULL,
                 "Query Check Order: when the ERP answers that it has the order, the write below is not sent",
                 requests, err) < 0)
        goto out;
    if (erp_call(f, &o->write, "write_erp", &vars, rec->body.buf, NULL, requests, err) < 0)
        goto out;

    /* After the ERP's answer: the codes come from it, so placeholders. */
    const char *from = f->check_script.script ? "the Check Response Script's output"
                       : o->check_source_request ? "the request above" : "the ERP's answer";
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(order, "orderitem_set"), i, it) {
        strbuf_reset(&pk);
        jsonpath_id_text(json_object_get(it, "pk"), &pk);
        strbuf_setf(&note, "the code is item %zu of \"%s\" (its \"%s\") in %s", i, o->resp_items_path,
                    o->resp_item_code_field, from);
        json_t *b = json_pack("{s:s,s:b}", "code", "<the item's code in the ERP>", "update_stock", 1);
        httpcall_preview_omnitron(f, "write_omnitron", "POST", o->path_item_mapping, pk.buf, b, note.buf, requests);
        json_decref(b);
    }
    strbuf_reset(&pk);
    jsonpath_id_text(json_object_get(order, "pk"), &pk);
    if (o->path_order_mapping) {
        strbuf_setf(&note, "the code is \"%s\" in %s; sent only when it has one", o->resp_order_code_path, from);
        json_t *b = json_pack("{s:s}", "code", "<the order's code in the ERP>");
        httpcall_preview_omnitron(f, "write_omnitron", "POST", o->path_order_mapping, pk.buf, b, note.buf, requests);
        json_decref(b);
    }
    json_t *sent = json_pack("{s:b}", "is_send", 1);
    httpcall_preview_omnitron(f, "write_omnitron", "PATCH", o->path_mark_sent, pk.buf, sent,
                  "last: marks the order sent once everything above succeeded", requests);
    json_decref(sent);
    rc = 0;
out:
    json_decref(order);
    attrs_release(&vars);
    strbuf_release(&pk);
    strbuf_release(&note);
    strbuf_release(&perr);
    return rc;
}
