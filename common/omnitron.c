/*
 * omnitron.c: Omnitron calls every flow type makes: GETs of JSON (whole, as
 * a list's ids only, or as checked text) and sends of a JSON body. See
 * omnitron.h.
 */
#include "omnitron.h"

#include <stdlib.h>
#include <string.h>

#include "httpcall.h"
#include "jsonpath.h"
#include "jsontext.h"

/* GETs path from Omnitron into r (the caller's, initialised). 0 with a 2xx
 * body in r and *url the URL; -1 with err. */
static int get_raw(stage_ctx *c, const flow *f, auth_session *auth, const char *path, strbuf *url,
                        http_response *r, long *status, strbuf *err)
{
    static const char *const hdrs[] = { "Accept: application/json", NULL };
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        strbuf_addstr(url, path);   /* a full URL already (a list's next link) */
    else
        strbuf_addf(url, "%s%s", f->omnitron_url, path);
    *status = 0;
    if (httpcall_do(c, f, auth, "GET", url->buf, hdrs, NULL, 0, r) < 0) {
        strbuf_seterr(err, "GET %s: %s", url->buf, r->error.buf);
        return -1;
    }
    *status = r->status;
    if (r->status < 200 || r->status > 299) {
        strbuf_seterr(err, "GET %s: HTTP %ld: %.200s", url->buf, r->status, r->body.buf);
        return -1;
    }
    return 0;
}

/* omnitron_get and omnitron_get_list: list_only builds only
 * what a list's ids need (json_record_id's members of each result). */
static const char *const id_fields[] = { "pk", "id", NULL };

static json_t *omnitron_get_json(stage_ctx *c, const flow *f, auth_session *auth, const char *path, int list_only,
                                 long *status, strbuf *err)
{
    strbuf url = STRBUF_INIT, e = STRBUF_INIT;
    http_response r;
    json_t *v = NULL;
    http_response_init(&r);
    if (get_raw(c, f, auth, path, &url, &r, status, err) == 0) {
        v = list_only ? jsontext_parse_pick(r.body.buf, r.body.len, 2, "results", 3, id_fields, &e)
                      : jsontext_parse(r.body.buf, r.body.len, &e);
        if (!v)
            strbuf_seterr(err, "GET %s: malformed JSON: %s", url.buf, e.buf);
    }
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&e);
    return v;
}

json_t *omnitron_get(stage_ctx *c, const flow *f, auth_session *auth, const char *path, long *status, strbuf *err)
{
    return omnitron_get_json(c, f, auth, path, 0, status, err);
}

json_t *omnitron_get_list(stage_ctx *c, const flow *f, auth_session *auth, const char *path, long *status,
                                strbuf *err)
{
    return omnitron_get_json(c, f, auth, path, 1, status, err);
}

int omnitron_get_text(stage_ctx *c, const flow *f, auth_session *auth, const char *path, strbuf *out,
                            jsontext_top *top, long *status, strbuf *err)
{
    strbuf url = STRBUF_INIT, e = STRBUF_INIT;
    http_response r;
    int rc = -1;
    http_response_init(&r);
    if (get_raw(c, f, auth, path, &url, &r, status, err) == 0 &&
        (rc = jsontext_minify(r.body.buf, r.body.len, out, top, &e)) < 0)
        strbuf_seterr(err, "GET %s: malformed JSON: %s", url.buf, e.buf);
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&e);
    return rc;
}

/* Sends body to omnitron_url + path. 0 on 2xx, else -1 with err/status. */
int omnitron_send(stage_ctx *c, const flow *f, auth_session *auth, const char *method, const char *tmpl, const char *pk, json_t *body, long *status,
                     strbuf *err)
{
    strbuf url = STRBUF_INIT, b = STRBUF_INIT;
    attrs v = ATTRS_INIT;
    http_response r;
    static const char *const hdrs[] = { "Content-Type: application/json", "Accept: application/json", NULL };
    int rc = -1;
    http_response_init(&r);
    attrs_set(&v, "pk", pk);
    strbuf_addstr(&url, f->omnitron_url);
    flow_fill_path(&url, tmpl, &v);
    jsontext_dump(body, &b, 0);
    if (httpcall_do(c, f, auth, method, url.buf, hdrs, b.buf, b.len, &r) < 0) {
        strbuf_seterr(err, "%s %s: %s", method, url.buf, r.error.buf);
        *status = 0;
    } else if (r.status < 200 || r.status > 299) {
        strbuf_seterr(err, "%s %s: HTTP %ld: %.300s", method, url.buf, r.status, r.body.buf);
        *status = r.status;
    } else {
        rc = 0;
    }
    http_response_release(&r);
    attrs_release(&v);
    strbuf_release(&url);
    strbuf_release(&b);
    return rc;
}

json_t *omnitron_results(json_t *answer)
{
    return json_is_array(answer) ? answer : json_object_get(answer, "results");
}

json_t *omnitron_record_id(json_t *obj)
{
    json_t *id = json_object_get(obj, "pk");
    return id ? id : json_object_get(obj, "id");
}

