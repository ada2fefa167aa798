/*
 * httpcall.c: a flow's HTTP calls: the request with the flow's settings and
 * auth, a call template rendered from attributes, status-code lists and the
 * response-path check. See httpcall.h.
 */
#include "httpcall.h"

#include <stdlib.h>
#include <string.h>

#include "el.h"
#include "jsonpath.h"
#include "jsontext.h"
#include "xmljson.h"

int httpcall_do_policy(stage_ctx *c, const flow *f, auth_session *auth, const retry_policy *policy, const char *method,
                      const char *url, const char *const *headers, const char *body, size_t body_len,
                      http_response *resp)
{
    http_request req = { 0 };
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.body = body;
    req.body_len = body_len;
    req.retry = policy ? policy : &f->retry;
    req.timeout_ms = (long)f->http_timeout_ms;
    req.max_response_bytes = f->http_max_response;
    if (auth && auth->a->kind != FLOW_AUTH_NONE) {
        req.auth = auth_header_fn;
        req.auth_ctx = auth;
    }
    return http_do(c->http, &req, resp);
}

int httpcall_do(stage_ctx *c, const flow *f, auth_session *auth, const char *method, const char *url,
               const char *const *headers, const char *body, size_t body_len, http_response *resp)
{
    return httpcall_do_policy(c, f, auth, NULL, method, url, headers, body, body_len, resp);
}


int httpcall_render(const flow_call *call, const attrs *vars, strbuf *url, char ***headers, strbuf *err)
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

void httpcall_headers_free(char **h)
{
    for (size_t i = 0; h && h[i]; i++)
        free(h[i]);
    free(h);
}

int httpcall_has_code(const int *codes, size_t n, long status)
{
    for (size_t i = 0; i < n; i++)
        if (codes[i] == status)
            return 1;
    return 0;
}

int httpcall_found(json_t *resp, const char *path, const char *value)
{
    json_t *v = jsonpath_get(resp, path);
    if (!v || json_is_null(v))
        return 0;
    if ((json_is_string(v) && json_string_length(v) == 0) || (json_is_array(v) && json_array_size(v) == 0) ||
        (json_is_object(v) && json_object_size(v) == 0))
        return 0;
    if (value && *value) {
        strbuf t = STRBUF_INIT;
        if (json_is_string(v))
            strbuf_addstr(&t, json_string_value(v));
        else
            jsontext_dump(v, &t, 0);
        int same = strcmp(t.buf, value) == 0;
        strbuf_release(&t);
        if (same)
            return 0;
    }
    return 1;
}

int httpcall_response_load(settings *s, const char *call, const char *type, struct xmljson_options *opt)
{
    strbuf key = STRBUF_INIT, e = STRBUF_INIT;
    int xml = type && strcmp(type, "xml") == 0;
    strbuf_addf(&key, "%s.response_type", call);
    if (type && !xml && strcmp(type, "json"))
        settings_problem(s, key.buf, "expected json or xml, got \"%s\"", type);
    strbuf_setf(&key, "%s.xml", call);
    json_t *xo = settings_blob(s, key.buf);
    xmljson_options_init(opt);
    if (xml && xmljson_options_from_json(opt, xo, &e) < 0)
        settings_problem(s, key.buf, "%s", e.buf);
    else if (!xml && xo)
        settings_problem(s, key.buf, "only with %s.response_type xml", call);
    strbuf_release(&key);
    strbuf_release(&e);
    return xml;
}

/* ---- flowctl preview ---- */

json_t *httpcall_preview(const char *step, const char *method, const char *url, char **headers, const char *body,
                         const char *note)
{
    json_t *r = json_pack("{s:s,s:s,s:s,s:[]}", "step", step, "method", method, "url", url, "headers");
    json_t *h = json_object_get(r, "headers");
    for (size_t i = 0; headers && headers[i]; i++)
        json_array_append_new(h, json_string(headers[i]));
    if (body)
        json_object_set_new(r, "body", json_string(body) ? json_string(body) : json_string("(not UTF-8)"));
    if (note)
        json_object_set_new(r, "note", json_string(note));
    return r;
}

void httpcall_preview_omnitron(const flow *f, const char *step, const char *method, const char *tmpl, const char *pk,
                               json_t *body, const char *note, json_t *requests)
{
    strbuf url = STRBUF_INIT, b = STRBUF_INIT;
    attrs v = ATTRS_INIT;
    attrs_set(&v, "pk", pk);
    strbuf_addstr(&url, f->omnitron_url ? f->omnitron_url : "");
    flow_fill_path(&url, tmpl, &v);
    jsontext_dump(body, &b, 0);
    char *h[] = { "Content-Type: application/json", "Accept: application/json",
                  "Authorization: Token <the Omnitron token: not fetched>", NULL };
    json_array_append_new(requests, httpcall_preview(step, method, url.buf, h, b.buf, note));
    attrs_release(&v);
    strbuf_release(&url);
    strbuf_release(&b);
}
