/*
 * order_write.c: the Order Flow's writer: Query Check Order, Write Data to
 * ERP, Check Response (built-in or script), Write Data to Omnitron, Post
 * Script, and the record's final event.
 *
 * Order of side effects, and why (docs/architecture.md has the full story):
 *   1. query the ERP: an order it has already is never written again;
 *   2. write to the ERP (only 2xx succeeds);
 *   3. create the item (and order) mappings in Omnitron;
 *   4. mark the order sent, last: until then a later tick or a redelivery
 *      retries the order, and step 1 turns the retry into "already there".
 * Without a Query URL step 1 is skipped, and a crash between 2 and 4 can
 * write the order to the ERP twice; the docs say so.
 */
#include "order.h"
#include "clock.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "el.h"
#include "fiber.h"
#include "jsontext.h"
#include "httpcall.h"
#include "jsonpath.h"
#include "logev.h"
#include "omnitron.h"
#include "pyscript.h"
#include "writeonce.h"

/* Attributes for expressions: the record's own plus _order.<field> for the
 * order's top-level scalar fields. */
void order_expr_vars(attrs *vars, const envelope *e, json_t *order)
{
    const char *k;
    json_t *v;
    strbuf name = STRBUF_INIT, val = STRBUF_INIT;
    attrs_copy(vars, &e->attrs);
    json_object_foreach(order, k, v) {
        strbuf_reset(&val);
        if (json_is_string(v))
            strbuf_addstr(&val, json_string_value(v));
        else if (json_is_integer(v) || json_is_real(v) || json_is_boolean(v))
            jsontext_dump(v, &val, 0);
        else
            continue;
        strbuf_setf(&name, "_order.%s", k);
        attrs_set(vars, name.buf, val.buf);
    }
    strbuf_release(&name);
    strbuf_release(&val);
}

typedef struct writer {
    stage_ctx *c;
    const flow *f;
    const order_settings *o;
    envelope *e;
    json_t *order;        /* the record as read (source) */
    auth_session omni, erp;
    attrs vars;
    /* the write's outputs, for writeonce's callbacks */
    json_t **response;
    strbuf *resp_text;
    long *last_status;
    int writes;           /* writes sent to the ERP for this record */
} writer;

static void run_post_script(writer *w, int failed)
{
    const flow *f = w->f;
    if (!f->post_script.script || (failed && !f->post_run_on_failure))
        return;
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript_opts o = { (double)f->post_script.timeout_ms / 1000.0, 0 };
    attrs a = ATTRS_INIT;
    attrs_copy(&a, &w->e->attrs);
    auth_script_tokens(w->c, f, &a);
    int r = pyscript_run(f->post_script.script, w->e->body.buf, w->e->body.len, &a, &o, &out, &err);
    if (r == PYSCRIPT_FAILURE) {
        const char *tb = attrs_get(&a, "log.script.error");
        strbuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "post script: %s%s%s", err.buf, tb ? "\n" : "", tb ? tb : "");
        stage_log_record(w->c, w->e, "post_script", "error", 0, msg.buf, 0);
        strbuf_release(&msg);
    }
    attrs_release(&a);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* A step done: its event, and the next step's time starts now. */
static void step(writer *w, const char *name, long status, double *t)
{
    double now = clock_mono_ms();
    stage_log_step(w->c, w->e, name, "success", status, NULL, now - *t);
    *t = now;
}

static void fail(writer *w, const char *stage, long status, const char *msg, int run_post)
{
    stage_fail(w->c, w->e, stage, status, msg);
    if (run_post)
        run_post_script(w, 1);
}

/* The built-in check response: the order code and the item codes read
 * from the ERP's answer (erp.check_response.source "response", the
 * default) or from the request sent to it ("request": a request shaped
 * like Omnitron's order), paired with the Omnitron item pks in order. When
 * the ERP had the order already, the answer is the query's (the order as
 * the ERP has it). New reference. */
static json_t *builtin_check(writer *w, json_t *request, json_t *response)
{
    const order_settings *o = w->o;
    json_t *src = o->check_source_request ? request : response;
    json_t *out = json_object();
    json_t *ord = json_object();
    json_object_set(ord, "pk", json_object_get(w->order, "pk"));
    json_object_set(ord, "number", json_object_get(w->order, "number"));
    json_t *code = src ? jsonpath_get(src, o->resp_order_code_path) : NULL;
    json_object_set(ord, "code", code && !json_is_null(code) ? code : json_null());
    json_object_set_new(out, "order", ord);
    json_t *items = json_array();
    json_t *omni_items = json_object_get(w->order, "orderitem_set");
    json_t *codes = src ? jsonpath_get(src, o->resp_items_path) : NULL;
    size_t i;
    json_t *it;
    json_array_foreach(omni_items, i, it) {
        json_t *c = json_array_get(codes, i);
        json_t *cv = json_is_object(c) ? json_object_get(c, o->resp_item_code_field) : c;
        if (!cv || json_is_null(cv) || json_is_object(cv) || json_is_array(cv))
            continue;
        json_array_append_new(items, json_pack("{s:O,s:O}", "pk", json_object_get(it, "pk"), "code", cv));
    }
    json_object_set_new(out, "items", items);
    return out;
}

/* Creates one item's mapping. A refusal (4xx) is looked into: an item that
 * has this very code already (a mapping created by an earlier try whose
 * answer was lost, or by an earlier run) is a success, not an error. 0, or
 * -1 with err and *status. */
static int map_item(writer *w, const char *pk, json_t *code, long *status, strbuf *err)
{
    const order_settings *o = w->o;
    json_t *b = json_pack("{s:O,s:b}", "code", code, "update_stock", 1);
    int rc = omnitron_send(w->c, w->f, &w->omni, "POST", o->path_item_mapping, pk, b, status, err);
    json_decref(b);
    if (rc == 0 || *status < 400 || *status > 499 || !o->path_item_mappings)
        return rc;
    strbuf path = STRBUF_INIT, e2 = STRBUF_INIT, want = STRBUF_INIT, have = STRBUF_INIT;
    attrs v = ATTRS_INIT;
    long st2 = 0;
    attrs_set(&v, "pk", pk);
    flow_fill_path(&path, o->path_item_mappings, &v);
    jsonpath_id_text(code, &want);
    json_t *list = omnitron_get(w->c, w->f, &w->omni, path.buf, &st2, &e2);
    size_t i;
    json_t *m;
    json_array_foreach(omnitron_results(list), i, m) {
        if (jsonpath_id_text(json_object_get(m, "code"), &have) == 0 && strcmp(have.buf, want.buf) == 0) {
            rc = 0;   /* mapped already, with this code */
            break;
        }
    }
    if (rc < 0 && !list)
        strbuf_addf(err, " (and its mappings could not be read: %s)", e2.buf);
    else if (rc < 0)
        strbuf_addf(err, " (the item has no mapping with code \"%s\")", want.buf);
    json_decref(list);
    attrs_release(&v);
    strbuf_release(&path);
    strbuf_release(&e2);
    strbuf_release(&want);
    strbuf_release(&have);
    return rc;
}

/* Runs the Check Response Script. New reference to its structure, or NULL
 * when it failed (the record has been failed). */
static json_t *script_check(writer *w, json_t *request, json_t *response, const char *resp_text, long status)
{
    envelope *e = w->e;
    strbuf in = STRBUF_INIT, out = STRBUF_INIT, s = STRBUF_INIT;
    json_t *merged = json_is_object(request) ? json_deep_copy(request) : json_object();
    if (json_is_object(response))
        json_object_update(merged, response);
    jsontext_dump(merged, &in, 0);
    json_decref(merged);
    jsontext_dump(request, &s, 0);
    attrs_set(&e->attrs, "request_data", s.buf);
    attrs_set(&e->attrs, "response_data", resp_text);
    strbuf_setf(&s, "%ld", status);
    attrs_set(&e->attrs, "invokehttp.status.code", s.buf);
    strbuf saved = STRBUF_INIT;
    strbuf_add(&saved, e->body.buf, e->body.len);
    strbuf_reset(&e->body);
    strbuf_add(&e->body, in.buf, in.len);
    int r = stage_run_script(w->c, w->f, &w->f->check_script, e, "check_response", &out);
    strbuf_reset(&e->body);
    strbuf_add(&e->body, saved.buf, saved.len);
    attrs_remove(&e->attrs, "request_data");
    attrs_remove(&e->attrs, "response_data");
    json_t *res = NULL;
    if (r == 0) {
        strbuf err = STRBUF_INIT;
        res = jsontext_parse(out.buf, out.len, &err);
        if (!json_is_object(res)) {
            json_decref(res);
            res = NULL;
            strbuf_setf(&s, "check_response: the script's output is not a JSON object: %s", err.buf);
            fail(w, "check_response", status, s.buf, 1);
        }
        strbuf_release(&err);
    } else if (r == 1) {
        fail(w, "check_response", status, "check_response: the script removed the record", 1);
    }
    strbuf_release(&in);
    strbuf_release(&out);
    strbuf_release(&s);
    strbuf_release(&saved);
    return res;
}

/* Query Check Order. 0 with *exists (and *response: the order as the ERP
 * has it) set, or -1 when the record failed (already failed). */
static int query_check(writer *w, int *exists, json_t **response, long *status)
{
    const flow *f = w->f;
    const order_settings *o = w->o;
    strbuf url = STRBUF_INIT, msg = STRBUF_INIT, err = STRBUF_INIT;
    char **headers = NULL;
    http_response r;
    int rc = -1;
    http_response_init(&r);
    if (httpcall_render(&o->query, &w->vars, &url, &headers, &err) < 0) {
        strbuf_setf(&msg, "query: %s", err.buf);
        fail(w, "query", 0, msg.buf, 0);
        goto out;
    }
    if (httpcall_do(w->c, f, &w->erp, o->query.method, url.buf, (const char *const *)headers, NULL, 0, &r) < 0) {
        strbuf_setf(&msg, "query %s: %s", url.buf, r.error.buf);
        fail(w, "query", 0, msg.buf, 0);
        goto out;
    }
    *status = r.status;
    if (httpcall_has_code(o->failure_codes.codes, o->failure_codes.n, r.status)) {
        strbuf_setf(&msg, "query %s: HTTP %ld is a Failure Status Code: it cannot be known whether the ERP has the order",
                    url.buf, r.status);
        fail(w, "query", r.status, msg.buf, 0);
        goto out;
    } else if (httpcall_has_code(o->not_found_codes.codes, o->not_found_codes.n, r.status)) {
        *exists = 0;
    } else if (r.status >= 200 && r.status <= 299) {
        strbuf perr = STRBUF_INIT;
        json_t *q = o->query_xml ? xmljson_convert(r.body.buf, r.body.len, &o->query_xml_opt, &perr)
                                 : jsontext_parse(r.body.buf, r.body.len, &perr);
        size_t blank = strspn(r.body.buf, " \t\r\n");
        if (!q && blank < r.body.len) {
            /* an answer that cannot be read says nothing of whether the ERP
             * has the order: writing on would risk a second copy */
            strbuf_setf(&msg, "query %s: the answer is not %s: %s", url.buf,
                        o->query_xml ? "XML (erp.query.response_type is xml)" : "JSON", perr.buf);
            strbuf_release(&perr);
            fail(w, "query", r.status, msg.buf, 0);
            goto out;
        }
        strbuf_release(&perr);
        *exists = q ? httpcall_found(q, o->query_response_path, o->query_response_value) : 0;
        if (*exists) {
            json_t *v = jsonpath_get(q, o->query_response_path);
            /* the order as the ERP has it: a list's first element */
            json_decref(*response);
            *response = json_incref(json_is_array(v) ? json_array_get(v, 0) : v);
        }
        json_decref(q);
    } else {
        strbuf_setf(&msg, "query %s: HTTP %ld: %.300s", url.buf, r.status, r.body.buf);
        fail(w, "query", r.status, msg.buf, 0);
        goto out;
    }
    rc = 0;
out:
    httpcall_headers_free(headers);
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&msg);
    strbuf_release(&err);
    return rc;
}

/* writeonce's query: Query Check Order. */
static int wo_query(void *ctx, int *exists)
{
    writer *w = ctx;
    return query_check(w, exists, w->response, w->last_status);
}

/* writeonce's write: Write Data to ERP, one try. */
static int wo_write(void *ctx, long *status, strbuf *msg)
{
    writer *w = ctx;
    w->writes++;
    const order_settings *o = w->o;
    strbuf url = STRBUF_INIT, err = STRBUF_INIT;
    char **headers = NULL;
    http_response r;
    int rc;
    retry_policy once = w->f->retry;
    once.max_attempts = 1;
    http_response_init(&r);
    *status = 0;
    if (httpcall_render(&o->write, &w->vars, &url, &headers, &err) < 0) {
        strbuf_setf(msg, "write: %s", err.buf);
        rc = 1;
    } else if (httpcall_do_policy(w->c, w->f, &w->erp, &once, o->write.method, url.buf, (const char *const *)headers,
                                  w->e->body.buf, w->e->body.len, &r) < 0) {
        strbuf_setf(msg, "write %s: %s", url.buf, r.error.buf);
        rc = 2;
    } else if (r.status >= 200 && r.status <= 299) {
        *status = r.status;
        json_decref(*w->response);
        *w->response = jsontext_parse(r.body.buf, r.body.len, NULL);
        strbuf_reset(w->resp_text);
        strbuf_add(w->resp_text, r.body.buf, r.body.len);
        rc = 0;
    } else {
        *status = r.status;
        strbuf_setf(msg, "write %s: HTTP %ld: %.300s", url.buf, r.status, r.body.buf);
        rc = r.status >= 500 || r.status == 429 ? 2 : 1;
    }
    httpcall_headers_free(headers);
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&err);
    return rc;
}

void order_write(stage_ctx *c, const flow *f, envelope *e)
{
    writer w = { 0 };
    strbuf err = STRBUF_INIT, url = STRBUF_INIT, msg = STRBUF_INIT, pk = STRBUF_INIT;
    http_response r;
    char **headers = NULL;
    json_t *request = NULL, *response = NULL, *check = NULL;
    strbuf resp_text = STRBUF_INIT;
    long status = 0;
    int exists = 0;
    double t0 = clock_mono_ms();
    http_response_init(&r);
    w.c = c;
    w.e = e;
    w.f = f;
    w.o = order_settings_of(f);
    const order_settings *o = w.o;
    auth_init(&w.omni, c, f, 0);
    auth_init(&w.erp, c, f, 1);
    /* The writer needs the order's top-level scalars and its items' pks:
     * everything else (products, addresses, discounts, the items' other
     * members) is checked, not built. */
    static const char *const item_fields[] = { "pk", NULL };
    w.order = jsontext_parse_pick(e->source.len ? e->source.buf : e->body.buf,
                                  e->source.len ? e->source.len : e->body.len, 1, "orderitem_set", 3, item_fields,
                                  &err);
    if (!json_is_object(w.order)) {
        strbuf_setf(&msg, "the record as read is not a JSON object: %s", err.buf);
        fail(&w, "write", 0, msg.buf, 0);
        goto out;
    }
    /* The request body in full only for a Check Response Script; otherwise
     * it is only checked (it is the record as read when there is no script
     * or mapping, checked just above). */
    int same = !e->source.len || (e->source.len == e->body.len && memcmp(e->source.buf, e->body.buf, e->body.len) == 0);
    if (f->check_script.script)
        request = jsontext_parse(e->body.buf, e->body.len, &err);
    else if (!same)
        request = jsontext_parse_shallow(e->body.buf, e->body.len, 1, &err);
    else
        request = json_incref(w.order);
    if (!request) {
        strbuf_setf(&msg, "the ERP request body is not valid JSON: %s", err.buf);
        fail(&w, "write_erp", 0, msg.buf, 0);
        goto out;
    }
    order_expr_vars(&w.vars, e, w.order);
    if (f->erp_auth.kind != FLOW_AUTH_NONE) {
        strbuf tok = STRBUF_INIT;
        if (auth_token(&w.erp, &tok, &err) < 0) {
            strbuf_setf(&msg, "%s", err.buf);
            fail(&w, "login", 0, msg.buf, 0);
            strbuf_release(&tok);
            goto out;
        }
        attrs_set(&w.vars, "token.erp", tok.buf);
        strbuf_release(&tok);
    }

    /* 1 and 2. Query Check Order, then Write Data to ERP. The write is not
     * idempotent, so it is never retried blindly: after an answer that
     * leaves it unknown whether the ERP stored the order (no answer, a
     * timeout, 5xx, 429) the writer waits, asks the ERP again, and writes
     * only if the ERP still does not have the order. */
    /* After Redis restarted (its data, the leases with it, maybe lost), a
     * later tick may have published this order again while this copy is in
     * flight; both would ask the ERP, find nothing and write. So while the
     * store reconnected within a lease's time, the writer takes its lease
     * back before asking: the copy that holds it writes, the other is
     * skipped ("in_flight_elsewhere", or "already_done" when it finished).
     * (Not on the common path: no Redis round trip per record otherwise.) */
    if (e->attempt <= 1 && e->key && *e->key && e->run_id && store_reconnected_within(c->store, o->lease_ttl_ms)) {
        int got = store_lease_acquire(c->store, f->name, e->key, e->run_id, o->lease_ttl_ms, &err);
        if (got == 0) {
            strbuf lv = STRBUF_INIT;
            int done = store_lease_get(c->store, f->name, e->key, &lv, &err) == 1 && strncmp(lv.buf, "done:", 5) == 0;
            stage_log_record(c, e, "write", "skipped", 0, done ? "already_done" : "in_flight_elsewhere", 0);
            stage_outcome(c, e, "skipped");
            strbuf_release(&lv);
            goto out;
        }
    }
    const char *oe = attrs_get(&e->attrs, "order_exists");
    w.response = &response;
    w.resp_text = &resp_text;
    w.last_status = &status;
    writeonce_ops ops = { &w, o->query.url ? wo_query : NULL, wo_write };
    double ts = clock_mono_ms();
    switch (writeonce_run_on(&ops, c->http, oe && strcmp(oe, "true") == 0, &f->retry, &c->seed, &status, &msg)) {
    case WRITEONCE_QUERY_FAILED:
        goto out;
    case WRITEONCE_FAILED:
        c->tries = w.writes;
        fail(&w, "write_erp", status, msg.buf, 1);
        goto out;
    case WRITEONCE_EXISTS:
        exists = 1;
        attrs_set(&e->attrs, "order_exists", "true");
        if (response)
            jsontext_dump(response, &resp_text, 0);
        break;
    case WRITEONCE_WRITTEN:
        break;
    }
    c->tries = w.writes;   /* the ERP write's tries are writeonce's, not one call's */
    step(&w, exists ? "query" : "write_erp", status, &ts);
    c->tries = 0;

    /* 3. Check Response */
    if (f->check_script.script)
        check = script_check(&w, request, response, resp_text.buf, status);
    else
        check = builtin_check(&w, request, response);
    if (!check)
        goto out;
    step(&w, "check_response", status, &ts);
    json_t *ce = json_object_get(check, "order_exists");
    if (json_is_true(ce))
        exists = 1;

    /* An order the query found in the ERP gets its item mappings from what
     * the check read in the query's answer; when that gives none for an
     * order with items, it cannot be marked sent: the record fails with the
     * reason (not "skipped"). (A Script Step's order_exists is trusted as
     * it is: there is no answer to read codes from.) */
    size_t i, coded = 0;
    json_t *it;
    json_array_foreach(json_object_get(check, "items"), i, it)
        coded += json_object_get(it, "code") && !json_is_null(json_object_get(it, "code"));
    size_t nitems = json_array_size(json_object_get(w.order, "orderitem_set"));
    if (exists && response && nitems > 0 && coded == 0) {
        strbuf_setf(&msg, "the ERP has the order%s, but the check response gives no item codes for its %zu item(s) "
                          "(%s \"%s\" of the %s): the item mappings cannot be created; have erp.query answer the "
                          "order's items, or set erp.check_response.source",
                    w.writes ? " (this fleet wrote it and its answer was lost)" : "", nitems, "items_path",
                    o->resp_items_path, f->check_script.script ? "script's output" : o->check_source_request ? "request" : "answer");
        fail(&w, "check_response", status, msg.buf, 0);
        goto out;
    }

    /* A record delivered again after it finished in this run (a reader
     * restarted mid-run published it twice; a writer died before its offset
     * was committed): the ERP has it, so only an order the query found can
     * be one, and only then is the lease asked (no Redis round trip for the
     * others). Its lease says "done" for this run: nothing is written to
     * Omnitron again, nothing counted again. */
    if (exists && e->attempt <= 1 && e->key && *e->key && e->run_id) {
        strbuf lv = STRBUF_INIT;
        if (store_lease_get(c->store, f->name, e->key, &lv, &err) == 1 && strncmp(lv.buf, "done:", 5) == 0 &&
            strcmp(lv.buf + 5, e->run_id) == 0) {
            stage_log_record(c, e, "write", "skipped", 0, "already_done", 0);
            strbuf_release(&lv);
            goto out;
        }
        strbuf_release(&lv);
    }

    /* 4. Write Data to Omnitron: mappings, then is_send last */
    json_array_foreach(json_object_get(check, "items"), i, it) {
        json_t *code = json_object_get(it, "code");
        if (!code || json_is_null(code))
            continue;
        strbuf_reset(&pk);
        jsonpath_id_text(json_object_get(it, "pk"), &pk);
        if (map_item(&w, pk.buf, code, &status, &err) < 0) {
            fail(&w, "write_omnitron", status, err.buf, 0);
            goto out;
        }
    }
    json_t *ord = json_object_get(check, "order");
    json_t *ocode = json_object_get(ord, "code");
    json_t *opk = json_object_get(ord, "pk");
    if (!opk || json_is_null(opk))
        opk = json_object_get(w.order, "pk");
    strbuf_reset(&pk);
    jsonpath_id_text(opk, &pk);
    if (o->path_order_mapping && ocode && !json_is_null(ocode)) {
        json_t *b = json_pack("{s:O}", "code", ocode);
        int rc = omnitron_send(c, f, &w.omni, "POST", o->path_order_mapping, pk.buf, b, &status, &err);
        json_decref(b);
        if (rc < 0) {
            fail(&w, "write_omnitron", status, err.buf, 0);
            goto out;
        }
    }
    json_t *sent = json_pack("{s:b}", "is_send", 1);
    int rc = omnitron_send(c, f, &w.omni, "PATCH", o->path_mark_sent, pk.buf, sent, &status, &err);
    json_decref(sent);
    if (rc < 0) {
        fail(&w, "write_omnitron", status, err.buf, 0);
        goto out;
    }

    step(&w, "write_omnitron", status, &ts);
    /* 5. Post Script, then the record's final event */
    run_post_script(&w, 0);
    /* which "skipped": the ERP had the order before this fleet wrote it, or
     * this fleet wrote it and the answer was lost (the re-query found it) */
    if (exists)
        attrs_set(&e->attrs, "log.skip_reason", w.writes ? "answer_lost" : "already_in_erp");
    stage_log_record(c, e, "write", exists ? "skipped" : "success", status, NULL, clock_mono_ms() - t0);
    stage_outcome(c, e, exists ? "skipped" : "success");
out:
    auth_release(&w.omni);
    auth_release(&w.erp);
    strbuf_release(&resp_text);
    httpcall_headers_free(headers);
    http_response_release(&r);
    attrs_release(&w.vars);
    json_decref(w.order);
    json_decref(request);
    json_decref(response);
    json_decref(check);
    strbuf_release(&err);
    strbuf_release(&url);
    strbuf_release(&msg);
    strbuf_release(&pk);
}
