/*
 * stage.c: emitting, failing, counting, and logging in. See stage.h.
 *
 * Tokens: each system's token is kept in the store (shared by every replica,
 * with the flow's TTL) and in a small process-wide cache so the hot path does
 * not ask Redis for it on every request. When a request gets a 401, the
 * client asks for a forced login; logins are serialized in the process, and
 * a different token stored in the last few seconds (by another thread or
 * replica) is used instead of logging in again, so one expiry costs one
 * login, not one per in-flight request.
 */
#include "stage.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "el.h"
#include "fiber.h"
#include "jsontext.h"
#include "logev.h"
#include "metrics.h"

int stage_emit(stage_ctx *c, enum bus_topic_kind kind, const envelope *e, strbuf *err)
{
    strbuf topic = STRBUF_INIT, payload = STRBUF_INIT;
    bus_topic(&topic, c->prefix, e->flow_type, kind);
    envelope_encode(e, &payload);
    int r = c->out.produce(c->out.ctx, topic.buf, e->key ? e->key : "", payload.buf, payload.len, c->origin, err);
    strbuf_release(&topic);
    strbuf_release(&payload);
    return r;
}

static void emit_log(stage_ctx *c, const char *key, strbuf *json)
{
    strbuf topic = STRBUF_INIT, err = STRBUF_INIT;
    bus_topic(&topic, c->prefix, NULL, TOPIC_LOG);
    if (c->out.produce(c->out.ctx, topic.buf, key ? key : "", json->buf, json->len, c->origin, &err) < 0)
        fprintf(stderr, "%s: cannot publish log event: %s\n", c->service, err.buf);
    strbuf_release(&topic);
    strbuf_release(&err);
}

void stage_log_record(stage_ctx *c, const envelope *e, const char *stage, const char *outcome,
                      long http_status, const char *error, double duration_ms)
{
    strbuf j = STRBUF_INIT;
    logev_record(&j, e, stage, outcome, http_status, error, duration_ms, now_ms());
    emit_log(c, e->key, &j);
    strbuf_release(&j);
}

void stage_log_run(stage_ctx *c, const envelope *e, const char *event, const char *status, const run_counts *counts)
{
    strbuf j = STRBUF_INIT;
    logev_run(&j, e, event, status, counts, now_ms());
    emit_log(c, e->run_id, &j);
    strbuf_release(&j);
}

/* Counts by flow type and one more label; the flow type is validated at
 * load, so the label set stays small (never record ids). */
static void count(const char *name, const char *help, const char *type, const char *label, const char *value)
{
    strbuf l = STRBUF_INIT;
    strbuf_addf(&l, "type=\"%s\",%s=\"%s\"", type && *type ? type : "unknown", label, value);
    metric_add(metrics_counter(name, l.buf, help), 1);
    strbuf_release(&l);
}

void stage_run_finished(stage_ctx *c, const envelope *e, const run_counts *k)
{
    const char *status = k->published == 0 ? "empty" : k->failed ? "failed" : "success";
    count("runs_finished_total", "Runs finished, by flow type and status", e->flow_type, "status", status);
    envelope run;
    envelope_init(&run);
    envelope_set(&run.flow, e->flow);
    envelope_set(&run.flow_type, e->flow_type);
    envelope_set(&run.run_id, e->run_id);
    attrs_set(&run.attrs, "run.triggered_by", attrs_get(&e->attrs, "run.triggered_by"));
    attrs_set(&run.attrs, "run.is_triggered", attrs_get(&e->attrs, "run.is_triggered"));
    stage_log_run(c, &run, "finished", status, k);
    envelope_free(&run);
}

void stage_outcome(stage_ctx *c, const envelope *e, const char *outcome)
{
    strbuf err = STRBUF_INIT;
    run_counts k;
    const char *lease = e->key && *e->key ? e->key : NULL;
    count("records_total", "Records that reached a final outcome, by flow type", e->flow_type, "outcome", outcome);
    /* A replayed record belongs to a run that has finished already: its
     * outcome is logged, not counted again; its lease (if its run still
     * holds one) is released all the same. One round trip either way. */
    if (e->attempt <= 1 && e->run_id && *e->run_id) {
        int done = store_record_done(c->store, e->run_id, outcome, e->flow, lease, e->run_id, &k, &err);
        if (done < 0)
            fprintf(stderr, "%s: run counter for %s: %s\n", c->service, e->run_id, err.buf);
        else if (done == 1)
            stage_run_finished(c, e, &k);
    } else if (lease && store_lease_release(c->store, e->flow, lease, e->run_id, &err) < 0) {
        fprintf(stderr, "%s: lease release for %s: %s\n", c->service, lease, err.buf);
    }
    strbuf_release(&err);
}

void stage_fail(stage_ctx *c, const envelope *e, const char *stage, long http_status, const char *error)
{
    envelope f;
    strbuf err = STRBUF_INIT;
    envelope_init(&f);
    envelope_copy(&f, e);
    envelope_set(&f.stage, stage);
    envelope_set(&f.error, error);
    f.http_status = (int)http_status;
    envelope_set(&f.src_topic, c->src_topic);
    f.src_partition = c->src_partition;
    f.src_offset = c->src_offset;
    f.failed_ms = now_ms();
    if (stage_emit(c, TOPIC_FAILED, &f, &err) < 0)
        fprintf(stderr, "%s: cannot publish to the failed topic: %s\n", c->service, err.buf);
    stage_log_record(c, e, stage, "failed", http_status, error, 0);
    stage_outcome(c, e, "failed");
    envelope_free(&f);
    strbuf_release(&err);
}

/* ---- tokens ---- */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
typedef struct cached {
    char *name;
    char *header;
    int64_t until_ms;
} cached;
static cached cache[64];

static int cache_get(const char *name, strbuf *header)
{
    int hit = 0;
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < 64 && cache[i].name; i++)
        if (strcmp(cache[i].name, name) == 0 && cache[i].until_ms > now_ms()) {
            strbuf_reset(header);
            strbuf_addstr(header, cache[i].header);
            hit = 1;
        }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const char *name, const char *header)
{
    pthread_mutex_lock(&cache_mu);
    size_t i;
    for (i = 0; i < 63 && cache[i].name && strcmp(cache[i].name, name) != 0; i++)
        ;
    if (!cache[i].name)
        cache[i].name = strdup(name);
    free(cache[i].header);
    cache[i].header = header ? strdup(header) : NULL;
    cache[i].until_ms = header ? now_ms() + 10000 : 0;
    pthread_mutex_unlock(&cache_mu);
}

void stage_auth_init(stage_auth *sa, stage_ctx *c, const flow *f, int erp)
{
    strbuf n = STRBUF_INIT;
    sa->c = c;
    sa->f = f;
    sa->a = erp ? &f->erp_auth : &f->omnitron_auth;
    strbuf_addf(&n, "%s:%s", erp ? "erp" : "omnitron", f->name);
    sa->name = strbuf_detach(&n, NULL);
    strbuf_init(&sa->used, 0);
}

void stage_auth_release(stage_auth *sa)
{
    free((char *)sa->name);
    strbuf_release(&sa->used);
}

/* {"username": ..., "password": ...}: Omnitron's login body, and the ERP's
 * when the flow gives no body template. */
static void credentials_body(const flow_auth *a, strbuf *body)
{
    json_t *b = json_pack("{s:s,s:s}", "username", a->username ? a->username : "", "password",
                          a->password ? a->password : "");
    jsontext_dump(b, body, 0);
    json_decref(b);
}

/* Logs in; header gets the full header line. */
static int login(stage_auth *sa, strbuf *header, strbuf *err)
{
    const flow_auth *a = sa->a;
    const flow *f = sa->f;
    strbuf url = STRBUF_INIT, body = STRBUF_INIT;
    http_response r;
    int rc = -1;
    http_response_init(&r);
    const char *hdrs[] = { "Content-Type: application/json", "Accept: application/json", NULL };
    if (a->kind == FLOW_AUTH_OMNITRON) {
        strbuf_addf(&url, "%s%s", f->omnitron_url, a->login.url_text);
        credentials_body(a, &body);
    } else {
        attrs vars = ATTRS_INIT;
        attrs_set(&vars, "username", a->username ? a->username : "");
        attrs_set(&vars, "password", a->password ? a->password : "");
        if (el_eval(a->login.url, &vars, &url, err) < 0 ||
            (a->login_body && el_eval(a->login_body, &vars, &body, err) < 0)) {
            attrs_free(&vars);
            goto out;
        }
        if (!a->login_body)
            credentials_body(a, &body);
        attrs_free(&vars);
    }
    if (stage_http(sa->c, f, NULL, a->kind == FLOW_AUTH_OMNITRON ? "POST" : a->login.method, url.buf, hdrs, body.buf,
                   body.len, &r) < 0) {
        strbuf_seterr(err, "login to %s failed: %s", url.buf, r.error.buf);
        goto out;
    }
    if (r.status < 200 || r.status > 299) {
        strbuf_seterr(err, "login to %s failed: HTTP %ld", url.buf, r.status);
        goto out;
    }
    json_t *resp = jsontext_parse(r.body.buf, r.body.len, NULL);
    json_t *tok = resp ? json_path_get(resp, a->kind == FLOW_AUTH_OMNITRON ? "key" : a->token_path) : NULL;
    if (!json_is_string(tok)) {
        strbuf_seterr(err, "login to %s: no token at \"%s\" in the response", url.buf,
                      a->kind == FLOW_AUTH_OMNITRON ? "key" : a->token_path);
        json_decref(resp);
        goto out;
    }
    strbuf_reset(header);
    strbuf_addf(header, "%s: %s%s", a->header_name, a->header_prefix ? a->header_prefix : "", json_string_value(tok));
    json_decref(resp);
    strbuf stamped = STRBUF_INIT;
    strbuf_addf(&stamped, "%lld %s", (long long)now_ms(), header->buf);
    int stored = store_token_set(sa->c->store, sa->name, stamped.buf, a->token_ttl_ms, err);
    strbuf_release(&stamped);
    if (stored < 0)
        goto out;
    rc = 0;
out:
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&body);
    return rc;
}

static pthread_mutex_t login_mu = PTHREAD_MUTEX_INITIALIZER;

/* Reads the stored token, kept as "<stored at ms> <header line>": 1 found
 * (header and *at set), 0 absent, -1 error. */
static int read_token(stage_auth *sa, strbuf *header, int64_t *at, strbuf *err)
{
    strbuf val = STRBUF_INIT;
    int found = store_token_get(sa->c->store, sa->name, &val, err);
    if (found == 1) {
        char *end;
        *at = strtoll(val.buf, &end, 10);
        strbuf_reset(header);
        strbuf_addstr(header, *end == ' ' ? end + 1 : val.buf);
    }
    strbuf_release(&val);
    return found;
}

int stage_auth_fn(void *ctx, int force, strbuf *header, strbuf *err)
{
    stage_auth *sa = ctx;
    const flow_auth *a = sa->a;
    int64_t at = 0;
    int found;
    strbuf_reset(header);
    if (a->kind == FLOW_AUTH_NONE)
        return 0;
    if (a->kind == FLOW_AUTH_STATIC) {
        strbuf_addf(header, "%s: %s%s", a->header_name, a->header_prefix, a->static_token);
        return 0;
    }
    if (a->kind == FLOW_AUTH_BASIC) {
        strbuf up = STRBUF_INIT;
        strbuf_addf(&up, "%s:%s", a->username, a->password);
        strbuf_addf(header, "%s: Basic ", a->header_name);
        strbuf_add_base64(header, up.buf, up.len);
        strbuf_release(&up);
        return 0;
    }
    if (!force) {
        if (cache_get(sa->name, header))
            goto done;
        if ((found = read_token(sa, header, &at, err)) < 0)
            return -1;
        if (found) {
            cache_put(sa->name, header->buf);
            goto done;
        }
    }
    /* No token yet, or ours got a 401. One login at a time in this process.
     * A token that differs from the one that failed and was stored moments
     * ago is a sibling's fresh login (another thread or replica): use it
     * instead of logging in again. An older one is as stale as ours. */
    fiber_pin_begin();  /* the login is a wait under a lock: see fiber.h */
    pthread_mutex_lock(&login_mu);
    found = read_token(sa, header, &at, err);
    int rc = found < 0 ? -1 : 0;
    if (found == 1 && strcmp(header->buf, sa->used.buf) != 0 && now_ms() - at < 5000) {
        cache_put(sa->name, header->buf);
    } else if (found >= 0) {
        cache_put(sa->name, NULL);
        rc = login(sa, header, err);
        if (rc == 0)
            cache_put(sa->name, header->buf);
    }
    pthread_mutex_unlock(&login_mu);
    fiber_pin_end();
    if (rc < 0)
        return -1;
done:
    strbuf_reset(&sa->used);
    strbuf_addstr(&sa->used, header->buf);
    return 0;
}

int stage_auth_token(stage_auth *sa, strbuf *token, strbuf *err)
{
    strbuf h = STRBUF_INIT;
    if (stage_auth_fn(sa, 0, &h, err) < 0) {
        strbuf_release(&h);
        return -1;
    }
    const char *colon = strchr(h.buf, ':');
    const char *v = colon ? colon + 1 : h.buf;
    while (*v == ' ')
        v++;
    if (sa->a->header_prefix && strncmp(v, sa->a->header_prefix, strlen(sa->a->header_prefix)) == 0)
        v += strlen(sa->a->header_prefix);
    strbuf_reset(token);
    strbuf_addstr(token, v);
    strbuf_release(&h);
    return 0;
}

void stage_script_tokens(stage_ctx *c, const flow *f, attrs *a)
{
    strbuf tok = STRBUF_INIT, err = STRBUF_INIT;
    stage_auth sa;
    stage_auth_init(&sa, c, f, 0);
    if (stage_auth_token(&sa, &tok, &err) == 0)
        attrs_set(a, "token.omnitron", tok.buf);
    stage_auth_release(&sa);
    if (f->erp_auth.kind != FLOW_AUTH_NONE) {
        stage_auth_init(&sa, c, f, 1);
        strbuf_reset(&tok);
        if (stage_auth_token(&sa, &tok, &err) == 0)
            attrs_set(a, "token.erp", tok.buf);
        stage_auth_release(&sa);
    }
    strbuf_release(&tok);
    strbuf_release(&err);
}

int stage_http_policy(stage_ctx *c, const flow *f, stage_auth *auth, const retry_policy *policy, const char *method,
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
    if (auth && auth->a->kind != FLOW_AUTH_NONE) {
        req.auth = stage_auth_fn;
        req.auth_ctx = auth;
    }
    return http_do(c->http, &req, resp);
}

int stage_http(stage_ctx *c, const flow *f, stage_auth *auth, const char *method, const char *url,
               const char *const *headers, const char *body, size_t body_len, http_response *resp)
{
    return stage_http_policy(c, f, auth, NULL, method, url, headers, body, body_len, resp);
}

/* GETs path from Omnitron into r (the caller's, initialised). 0 with a 2xx
 * body in r and *url the URL; -1 with err. */
static int omnitron_get(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, strbuf *url,
                        http_response *r, long *status, strbuf *err)
{
    static const char *const hdrs[] = { "Accept: application/json", NULL };
    strbuf_addf(url, "%s%s", f->omnitron_url, path);
    *status = 0;
    if (stage_http(c, f, auth, "GET", url->buf, hdrs, NULL, 0, r) < 0) {
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

/* stage_omnitron_get and stage_omnitron_get_list: list_only builds only
 * what a list's ids need (json_record_id's members of each result). */
static const char *const id_fields[] = { "pk", "id", NULL };

static json_t *omnitron_get_json(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, int list_only,
                                 long *status, strbuf *err)
{
    strbuf url = STRBUF_INIT, e = STRBUF_INIT;
    http_response r;
    json_t *v = NULL;
    http_response_init(&r);
    if (omnitron_get(c, f, auth, path, &url, &r, status, err) == 0) {
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

json_t *stage_omnitron_get(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, long *status, strbuf *err)
{
    return omnitron_get_json(c, f, auth, path, 0, status, err);
}

json_t *stage_omnitron_get_list(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, long *status,
                                strbuf *err)
{
    return omnitron_get_json(c, f, auth, path, 1, status, err);
}

int stage_omnitron_get_text(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, strbuf *out,
                            jsontext_top *top, long *status, strbuf *err)
{
    strbuf url = STRBUF_INIT, e = STRBUF_INIT;
    http_response r;
    int rc = -1;
    http_response_init(&r);
    if (omnitron_get(c, f, auth, path, &url, &r, status, err) == 0 &&
        (rc = jsontext_minify(r.body.buf, r.body.len, out, top, &e)) < 0)
        strbuf_seterr(err, "GET %s: malformed JSON: %s", url.buf, e.buf);
    http_response_release(&r);
    strbuf_release(&url);
    strbuf_release(&e);
    return rc;
}

int json_id_text(const json_t *v, strbuf *out)
{
    if (json_is_integer(v))
        strbuf_setf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        strbuf_setf(out, "%s", json_string_value(v));
    else
        return -1;
    return 0;
}

json_t *json_results(json_t *answer)
{
    return json_is_array(answer) ? answer : json_object_get(answer, "results");
}

json_t *json_record_id(json_t *obj)
{
    json_t *id = json_object_get(obj, "pk");
    return id ? id : json_object_get(obj, "id");
}

json_t *json_path_get(json_t *v, const char *path)
{
    if (!path || !*path)
        return v;
    const char *s = path;
    char seg[256];
    while (v && *s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, s, n);
        seg[n] = '\0';
        if (json_is_object(v)) {
            v = json_object_get(v, seg);
        } else if (json_is_array(v)) {
            char *end;
            long i = strtol(seg, &end, 10);
            v = (*end || n == 0) ? NULL : json_array_get(v, (size_t)i);
        } else {
            v = NULL;
        }
        s += n;
        if (*s == '.')
            s++;
    }
    return v;
}
