/*
 * stage_write.c: the Order Flow's writer: Query Check Order, Write Data to
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
#include "stages.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "el.h"
#include "fiber.h"
#include "jsontext.h"
#include "logev.h"
#include "pyscript.h"

static int has_code(const int *codes, size_t n, long status)
{
    for (size_t i = 0; i < n; i++)
        if (codes[i] == status)
            return 1;
    return 0;
}

/* Attributes for expressions: the record's own plus _order.<field> for the
 * order's top-level scalar fields. */
static void expr_vars(attrs *vars, const envelope *e, json_t *order)
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

/* Evaluates a call's URL and headers. 0, or -1 with err. headers is a
 * NULL-terminated array the caller frees with free_headers. */
static int render_call(const flow_call *call, const attrs *vars, strbuf *url, char ***headers, strbuf *err)
{
    strbuf v = STRBUF_INIT;
    *headers = calloc(call->n_headers + 3, sizeof(char *));
    size_t h = 0;
    (*headers)[h++] = strdup("Content-Type: application/json");
    (*headers)[h++] = strdup("Accept: application/json");
    if (el_eval(call->url, vars, url, err) < 0)
        goto bad;
    if (http_check_url(url->buf, err) < 0)
        goto bad;
    for (size_t i = 0; i < call->n_headers; i++) {
        strbuf_reset(&v);
        strbuf_addf(&v, "%s: ", call->header_names[i]);
        if (el_eval(call->header_values[i], vars, &v, err) < 0)
            goto bad;
        if (strpbrk(v.buf, "\r\n")) {
            strbuf_seterr(err, "header %s: value holds a line break", call->header_names[i]);
            goto bad;
        }
        (*headers)[h++] = strbuf_detach(&v, NULL);
    }
    strbuf_release(&v);
    return 0;
bad:
    strbuf_release(&v);
    return -1;
}

static void free_headers(char **h)
{
    for (size_t i = 0; h && h[i]; i++)
        free(h[i]);
    free(h);
}

/* Whether a path result counts as "found": present, not empty, and not
 * equal to the Custom Response Path Value. */
static int query_found(json_t *resp, const flow *f)
{
    json_t *v = json_path_get(resp, f->query_response_path);
    if (!v || json_is_null(v))
        return 0;
    if ((json_is_string(v) && json_string_length(v) == 0) || (json_is_array(v) && json_array_size(v) == 0) ||
        (json_is_object(v) && json_object_size(v) == 0))
        return 0;
    if (f->query_response_value && *f->query_response_value) {
        strbuf t = STRBUF_INIT;
        if (json_is_string(v))
            strbuf_addstr(&t, json_string_value(v));
        else
            jsontext_dump(v, &t, 0);
        int same = strcmp(t.buf, f->query_response_value) == 0;
        strbuf_release(&t);
        if (same)
            return 0;
    }
    return 1;
}

typedef struct writer {
    stage_ctx *c;
    const flow *f;
    envelope *e;
    json_t *order;        /* the record as read (source) */
    stage_auth omni, erp;
    attrs vars;
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
    stage_script_tokens(w->c, f, &a);
    int r = pyscript_run(f->post_script.script, w->e->body.buf, w->e->body.len, &a, &o, &out, &err);
    if (r == PYSCRIPT_FAILURE) {
        const char *tb = attrs_get(&a, "log.script.error");
        strbuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "post script: %s%s%s", err.buf, tb ? "\n" : "", tb ? tb : "");
        stage_log_record(w->c, w->e, "post_script", "error", 0, msg.buf, 0);
        strbuf_release(&msg);
    }
    attrs_free(&a);
    strbuf_release(&out);
    strbuf_release(&err);
}

static void fail(writer *w, const char *stage, long status, const char *msg, int run_post)
{
    stage_fail(w->c, w->e, stage, status, msg);
    if (run_post)
        run_post_script(w, 1);
}

/* Sends body to omnitron_url + path. 0 on 2xx, else -1 with err/status. */
static int omni_send(writer *w, const char *method, const char *tmpl, const char *pk, json_t *body, long *status,
                     strbuf *err)
{
    strbuf url = STRBUF_INIT, b = STRBUF_INIT;
    attrs v = ATTRS_INIT;
    http_response r;
    static const char *const hdrs[] = { "Content-Type: application/json", "Accept: application/json", NULL };
    int rc = -1;
    http_response_init(&r);
    attrs_set(&v, "pk", pk);
    strbuf_addstr(&url, w->f->omnitron_url);
    flow_fill_path(&url, tmpl, &v);
    jsontext_dump(body, &b, 0);
    if (stage_http(w->c, w->f, &w->omni, method, url.buf, hdrs, b.buf, b.len, &r) < 0) {
        strbuf_seterr(err, "%s %s: %s", method, url.buf, r.error.buf);
        *status = 0;
    } else if (r.status < 200 || r.status > 299) {
        strbuf_seterr(err, "%s %s: HTTP %ld: %.300s", method, url.buf, r.status, r.body.buf);
        *status = r.status;
    } else {
        rc = 0;
    }
    http_response_release(&r);
    attrs_free(&v);
    strbuf_release(&url);
    strbuf_release(&b);
    return rc;
}

/* The built-in check response: order code and item codes from the ERP
 * response, paired with the Omnitron item pks in order. New reference. */
static json_t *builtin_check(writer *w, json_t *response)
{
    const flow *f = w->f;
    json_t *out = json_object();
    json_t *ord = json_object();
    json_object_set(ord, "pk", json_object_get(w->order, "pk"));
    json_object_set(ord, "number", json_object_get(w->order, "number"));
    json_t *code = response ? json_path_get(response, f->resp_order_code_path) : NULL;
    json_object_set(ord, "code", code && !json_is_null(code) ? code : json_null());
    json_object_set_new(out, "order", ord);
    json_t *items = json_array();
    json_t *src = json_object_get(w->order, "orderitem_set");
    json_t *codes = response ? json_path_get(response, f->resp_items_path) : NULL;
    size_t i;
    json_t *it;
    json_array_foreach(src, i, it) {
        json_t *c = json_array_get(codes, i);
        json_t *cv = json_is_object(c) ? json_object_get(c, f->resp_item_code_field) : c;
        if (!cv || json_is_null(cv) || json_is_object(cv) || json_is_array(cv))
            continue;
        json_array_append_new(items, json_pack("{s:O,s:O}", "pk", json_object_get(it, "pk"), "code", cv));
    }
    json_object_set_new(out, "items", items);
    return out;
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
    strbuf url = STRBUF_INIT, msg = STRBUF_INIT, err = STRBUF_INIT;
    char **headers = NULL;
    http_response r;
    int rc = -1;
    http_response_init(&r);
    if (render_call(&f->query, &w->vars, &url, &headers, &err) < 0) {
        strbuf_setf(&msg, "query: %s", err.buf);
        fail(w, "query", 0, msg.buf, 0);
        goto out;
    }
    if (stage_http(w->c, f, &w->erp, f->query.method, url.buf, (const char *const *)headers, NULL, 0, &r) < 0) {
        strbuf_setf(&msg, "query %s: %s", url.buf, r.error.buf);
        fail(w, "query", 0, msg.buf, 0);
        goto out;
    }
    *status = r.status;
    if (has_code(f->failure_codes, f->n_failure_codes, r.status)) {
        strbuf_setf(&msg, "query %s: HTTP %ld is a Failure Status Code: it cannot be known whether the ERP has the order",
                    url.buf, r.status);
        fail(w, "query", r.status, msg.buf, 0);
        goto out;
    } else if (has_code(f->not_found_codes, f->n_not_found_codes, r.status)) {
        *exists = 0;
    } else if (r.status >= 200 && r.status <= 299) {
        json_t *q = jsontext_parse(r.body.buf, r.body.len, NULL);
        *exists = q ? query_found(q, f) : 0;
        if (*exists) {
            json_t *v = json_path_get(q, f->query_response_path);
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
    free_headers(headers);
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&msg);
    strbuf_release(&err);
    return rc;
}

void stage_write_order(stage_ctx *c, envelope *e)
{
    writer w = { 0 };
    strbuf err = STRBUF_INIT, url = STRBUF_INIT, msg = STRBUF_INIT, pk = STRBUF_INIT;
    http_response r;
    char **headers = NULL;
    json_t *request = NULL, *response = NULL, *check = NULL;
    long status = 0;
    int exists = 0;
    int64_t t0 = now_ms();
    http_response_init(&r);
    w.c = c;
    w.e = e;
    w.f = flow_set_find(c->flows, e->flow);
    if (!w.f) {
        strbuf_setf(&err, "no flow named \"%s\" is loaded here", e->flow ? e->flow : "");
        stage_fail(c, e, "write", 0, err.buf);
        goto out_noauth;
    }
    const flow *f = w.f;
    stage_auth_init(&w.omni, c, f, 0);
    stage_auth_init(&w.erp, c, f, 1);
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
    expr_vars(&w.vars, e, w.order);
    if (f->erp_auth.kind != FLOW_AUTH_NONE) {
        strbuf tok = STRBUF_INIT;
        if (stage_auth_token(&w.erp, &tok, &err) < 0) {
            strbuf_setf(&msg, "ERP login: %s", err.buf);
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
    const char *oe = attrs_get(&e->attrs, "order_exists");
    exists = oe && strcmp(oe, "true") == 0;
    retry_policy once = f->retry;
    once.max_attempts = 1;
    strbuf resp_text = STRBUF_INIT;
    for (int attempt = 1;; attempt++) {
        if (!exists && f->query.url && query_check(&w, &exists, &response, &status) < 0) {
            strbuf_release(&resp_text);
            goto out;
        }
        if (exists) {
            attrs_set(&e->attrs, "order_exists", "true");
            if (response)
                jsontext_dump(response, &resp_text, 0);
            break;
        }
        free_headers(headers);
        headers = NULL;
        strbuf_reset(&url);
        if (render_call(&f->write, &w.vars, &url, &headers, &err) < 0) {
            strbuf_setf(&msg, "write: %s", err.buf);
            fail(&w, "write_erp", 0, msg.buf, 1);
            strbuf_release(&resp_text);
            goto out;
        }
        http_response_release(&r);
        http_response_init(&r);
        int rc = stage_http_policy(c, f, &w.erp, &once, f->write.method, url.buf, (const char *const *)headers,
                                   e->body.buf, e->body.len, &r);
        status = r.status;
        if (rc == 0 && r.status >= 200 && r.status <= 299) {
            response = jsontext_parse(r.body.buf, r.body.len, NULL);
            strbuf_add(&resp_text, r.body.buf, r.body.len);
            break;
        }
        if (rc < 0)
            strbuf_setf(&msg, "write %s: %s", url.buf, r.error.buf);
        else
            strbuf_setf(&msg, "write %s: HTTP %ld: %.300s", url.buf, r.status, r.body.buf);
        int unknown = rc < 0 || r.status >= 500 || r.status == 429;
        if (!unknown || attempt >= f->retry.max_attempts) {
            fail(&w, "write_erp", rc < 0 ? 0 : r.status, msg.buf, 1);
            strbuf_release(&resp_text);
            goto out;
        }
        fiber_sleep_ms(retry_delay_ms(&f->retry, attempt, 0, &c->seed));
    }

    /* 3. Check Response */
    if (f->check_script.script)
        check = script_check(&w, request, response, resp_text.buf, status);
    else
        check = builtin_check(&w, response);
    strbuf_release(&resp_text);
    if (!check)
        goto out;
    json_t *ce = json_object_get(check, "order_exists");
    if (json_is_true(ce))
        exists = 1;

    /* 4. Write Data to Omnitron: mappings, then is_send last */
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(check, "items"), i, it) {
        json_t *code = json_object_get(it, "code");
        if (!code || json_is_null(code))
            continue;
        strbuf_reset(&pk);
        json_id_text(json_object_get(it, "pk"), &pk);
        json_t *b = json_pack("{s:O,s:b}", "code", code, "update_stock", 1);
        int rc = omni_send(&w, "POST", f->path_item_mapping, pk.buf, b, &status, &err);
        json_decref(b);
        if (rc < 0) {
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
    json_id_text(opk, &pk);
    if (f->path_order_mapping && ocode && !json_is_null(ocode)) {
        json_t *b = json_pack("{s:O}", "code", ocode);
        int rc = omni_send(&w, "POST", f->path_order_mapping, pk.buf, b, &status, &err);
        json_decref(b);
        if (rc < 0) {
            fail(&w, "write_omnitron", status, err.buf, 0);
            goto out;
        }
    }
    json_t *sent = json_pack("{s:b}", "is_send", 1);
    int rc = omni_send(&w, "PATCH", f->path_mark_sent, pk.buf, sent, &status, &err);
    json_decref(sent);
    if (rc < 0) {
        fail(&w, "write_omnitron", status, err.buf, 0);
        goto out;
    }

    /* 5. Post Script, then the record's final event */
    run_post_script(&w, 0);
    stage_log_record(c, e, "write", exists ? "skipped" : "success", status,
                     exists ? "already in the ERP: write skipped, marked sent" : NULL, (double)(now_ms() - t0));
    stage_outcome(c, e, exists ? "skipped" : "succeeded");
out:
    stage_auth_release(&w.omni);
    stage_auth_release(&w.erp);
out_noauth:
    free_headers(headers);
    http_response_release(&r);
    attrs_free(&w.vars);
    json_decref(w.order);
    json_decref(request);
    json_decref(response);
    json_decref(check);
    strbuf_release(&err);
    strbuf_release(&url);
    strbuf_release(&msg);
    strbuf_release(&pk);
}

void stage_write(stage_ctx *c, envelope *e)
{
    /* Only the Order Flow is available in this version; flow loading rejects
     * the other types, so anything else here is a stray message. */
    if (e->flow_type && strcmp(e->flow_type, "order") == 0) {
        stage_write_order(c, e);
        return;
    }
    stage_fail(c, e, "write", 0, "no writer for this flow type");
}
