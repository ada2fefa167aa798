/*
 * auth.c: tokens and logins. See auth.h.
 *
 * Tokens: each system's token is kept in the store (shared by every replica,
 * with the flow's TTL) and in a small process-wide cache so the hot path does
 * not ask Redis for it on every request. When a request gets a 401, the
 * client asks for a forced login; logins are serialized in the process, and
 * a different token stored in the last few seconds (by another thread or
 * replica) is used instead of logging in again, so one expiry costs one
 * login, not one per in-flight request.
 */
#include "logev.h"
#include "auth.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "el.h"
#include "fiber.h"
#include "httpcall.h"
#include "jsonpath.h"
#include "jsontext.h"
#include "xalloc.h"

/* The process-wide cache: one entry per token name (a system of a flow),
 * as many as there are flows; each holds a header for 10 s at most, so a
 * token another replica replaced is picked up soon. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
typedef struct cached {
    char *name;
    char *header;
    int64_t until_ms;
} cached;
static cached *cache;
static size_t cache_n, cache_cap;

static cached *cache_find(const char *name)
{
    for (size_t i = 0; i < cache_n; i++)
        if (strcmp(cache[i].name, name) == 0)
            return &cache[i];
    return NULL;
}

static int cache_get(const char *name, strbuf *header)
{
    int hit = 0;
    pthread_mutex_lock(&cache_mu);
    cached *e = cache_find(name);
    if (e && e->header && e->until_ms > clock_wall_ms()) {
        strbuf_reset(header);
        strbuf_addstr(header, e->header);
        hit = 1;
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const char *name, const char *header)
{
    pthread_mutex_lock(&cache_mu);
    cached *e = cache_find(name);
    if (!e) {
        if (cache_n == cache_cap) {
            cache_cap = cache_cap ? cache_cap * 2 : 16;
            cache = xrealloc(cache, cache_cap * sizeof *cache);
        }
        e = &cache[cache_n++];
        e->name = xstrdup(name);
        e->header = NULL;
    }
    free(e->header);
    e->header = header ? xstrdup(header) : NULL;
    e->until_ms = header ? clock_wall_ms() + 10000 : 0;
    pthread_mutex_unlock(&cache_mu);
}

void auth_init(auth_session *sa, stage_ctx *c, const flow *f, int erp)
{
    strbuf n = STRBUF_INIT;
    sa->c = c;
    sa->f = f;
    sa->a = erp ? &f->erp_auth : &f->omnitron_auth;
    strbuf_addf(&n, "%s:%s", erp ? "erp" : "omnitron", f->name);
    sa->name = strbuf_detach(&n, NULL);
    strbuf_init(&sa->used, 0);
}

void auth_release(auth_session *sa)
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

/* ---- refused logins: a pause shared through the store ----
 *
 * A login answered with a 4xx (a wrong password, a locked account) would be
 * refused again: a real system locks the account after a few. So a refusal
 * stores "loginpause:<name>" = "<until ms> <status> <answer excerpt>" for
 * the flow's backoff (doubled per refusal in a row, counted in
 * "loginrefused:<name>", up to max_backoff), and while it is there no
 * thread or replica calls that login: auth_header_fn fails at once with the
 * refusal. The record's failure carries the refused status
 * (stage_ctx.login_refused) and does not count as an attempt (parking.h),
 * so the records are retried once the pause is over. A login that succeeds
 * clears both keys. */

static const char *system_name(const flow_auth *a)
{
    return a->kind == FLOW_AUTH_OMNITRON ? "Omnitron" : "ERP";
}

static void pause_keys(const auth_session *sa, strbuf *pause, strbuf *count)
{
    strbuf_reset(pause);
    strbuf_addf(pause, "loginpause:%s", sa->name);
    strbuf_reset(count);
    strbuf_addf(count, "loginrefused:%s", sa->name);
}

/* The login was refused with status (a 4xx): pause it. */
static void refused(auth_session *sa, long status, const char *body)
{
    const flow_auth *a = sa->a;
    strbuf pk = STRBUF_INIT, ck = STRBUF_INIT, val = STRBUF_INIT, err = STRBUF_INIT;
    sa->c->login_refused = status;
    if (a->backoff_ms <= 0 || !sa->c->store)
        goto out;
    pause_keys(sa, &pk, &ck);
    int64_t max = a->max_backoff_ms > a->backoff_ms ? a->max_backoff_ms : a->backoff_ms;
    long n = store_counter_add(sa->c->store, ck.buf, max * 2, &err);
    int64_t pause = a->backoff_ms;
    for (long i = 1; i < n && pause < max; i++)
        pause *= 2;
    if (pause > max)
        pause = max;
    strbuf_addf(&val, "%lld %ld ", (long long)(clock_wall_ms() + pause), status);
    for (const char *p = body ? body : ""; *p && p - body < 200; p++)
        strbuf_addch(&val, *p == '\n' || *p == '\r' ? ' ' : *p);
    if (n < 0 || store_set(sa->c->store, pk.buf, val.buf, pause, &err) < 0)
        logev_say(sa->c->service, "error", NULL, "%s: cannot pause the login: %s", sa->name, err.buf);
    else
        logev_say(sa->c->service, "error", NULL, "%s login of flow %s refused (HTTP %ld): no login for %llds", system_name(a), sa->f->name, status, (long long)(pause / 1000));
out:
    strbuf_release(&pk);
    strbuf_release(&ck);
    strbuf_release(&val);
    strbuf_release(&err);
}

/* A login succeeded: forget earlier refusals. */
static void accepted(auth_session *sa)
{
    strbuf pk = STRBUF_INIT, ck = STRBUF_INIT, err = STRBUF_INIT;
    sa->c->login_refused = 0;
    if (sa->a->backoff_ms > 0 && sa->c->store) {
        pause_keys(sa, &pk, &ck);
        store_del(sa->c->store, pk.buf, &err);
        store_del(sa->c->store, ck.buf, &err);
    }
    strbuf_release(&pk);
    strbuf_release(&ck);
    strbuf_release(&err);
}

/* 1 when the login is paused after a refusal (err says why, and the
 * context gets the refused status), 0 when it may be tried, -1 error. */
static int paused(auth_session *sa, strbuf *err)
{
    strbuf pk = STRBUF_INIT, ck = STRBUF_INIT, val = STRBUF_INIT;
    int rc = 0;
    pause_keys(sa, &pk, &ck);
    int found = sa->c->store ? store_get(sa->c->store, pk.buf, &val, err) : 0;
    if (found < 0) {
        rc = -1;
    } else if (found) {
        char *end;
        int64_t until = strtoll(val.buf, &end, 10);
        long status = strtol(end, &end, 10);
        if (*end == ' ')
            end++;
        int64_t left = until - clock_wall_ms();
        if (left > 0) {
            sa->c->login_refused = status;
            strbuf_seterr(err, "%s login failed: %ld %s (login paused for %llds after a refused login)",
                          system_name(sa->a), status, end, (long long)((left + 999) / 1000));
            rc = 1;
        }
    }
    strbuf_release(&pk);
    strbuf_release(&ck);
    strbuf_release(&val);
    return rc;
}

/* Logs in; header gets the full header line. */
static int login(auth_session *sa, strbuf *header, strbuf *err)
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
            attrs_release(&vars);
            goto out;
        }
        if (!a->login_body)
            credentials_body(a, &body);
        attrs_release(&vars);
    }
    if (httpcall_do(sa->c, f, NULL, a->kind == FLOW_AUTH_OMNITRON ? "POST" : a->login.method, url.buf, hdrs, body.buf,
                   body.len, &r) < 0) {
        strbuf_seterr(err, "login to %s failed: %s", url.buf, r.error.buf);
        goto out;
    }
    if (r.status < 200 || r.status > 299) {
        strbuf_seterr(err, "%s login failed: %ld %.200s", system_name(a), r.status, r.body.buf);
        if (r.status >= 400 && r.status <= 499)
            refused(sa, r.status, r.body.buf);
        goto out;
    }
    json_t *resp = jsontext_parse(r.body.buf, r.body.len, NULL);
    json_t *tok = resp ? jsonpath_get(resp, a->kind == FLOW_AUTH_OMNITRON ? "key" : a->token_path) : NULL;
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
    strbuf_addf(&stamped, "%lld %s", (long long)clock_wall_ms(), header->buf);
    /* without a store (flowctl order) the token lives as long as the session */
    int stored = sa->c->store ? store_token_set(sa->c->store, sa->name, stamped.buf, a->token_ttl_ms, err) : 0;
    strbuf_release(&stamped);
    if (stored < 0)
        goto out;
    accepted(sa);
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
static int read_token(auth_session *sa, strbuf *header, int64_t *at, strbuf *err)
{
    strbuf val = STRBUF_INIT;
    int found = sa->c->store ? store_token_get(sa->c->store, sa->name, &val, err) : 0;
    if (found == 1) {
        char *end;
        *at = strtoll(val.buf, &end, 10);
        strbuf_reset(header);
        strbuf_addstr(header, *end == ' ' ? end + 1 : val.buf);
    }
    strbuf_release(&val);
    return found;
}

/* One login at a time in the whole fleet, not only in this process: the
 * login takes "logingate:<name>" (SET NX, expiring after the login's own
 * time limit). A replica that finds the gate taken waits for the other's
 * outcome: a fresh token (used), or a pause after a refusal (obeyed), so
 * a refusal costs one login for the fleet, not one per replica. 0 with
 * header, or -1 with err. */
static int gated_login(auth_session *sa, strbuf *header, strbuf *err)
{
    store *st = sa->c->store;
    strbuf gk = STRBUF_INIT;
    int64_t gate_ms = sa->f->http_timeout_ms * 2 + 1000;
    int rc = -1, got = 1;
    strbuf_addf(&gk, "logingate:%s", sa->name);
    for (int64_t waited = 0;; waited += 100) {
        if (paused(sa, err) != 0)
            goto out;
        got = st ? store_setnx(st, gk.buf, "1", gate_ms, err) : 1;
        if (got < 0)
            goto out;
        if (got == 1)
            break;
        int64_t at = 0;
        if (read_token(sa, header, &at, err) == 1 && strcmp(header->buf, sa->used.buf) != 0 &&
            clock_wall_ms() - at < 5000 + waited) {
            rc = 0;   /* the other replica's fresh login */
            goto out;
        }
        if (waited > gate_ms) {
            strbuf_seterr(err, "%s login: another replica's login did not finish within %llds",
                          system_name(sa->a), (long long)(gate_ms / 1000));
            goto out;
        }
        usleep(100 * 1000);
    }
    rc = login(sa, header, err);
    if (st) {
        strbuf e2 = STRBUF_INIT;
        store_del(st, gk.buf, &e2);
        strbuf_release(&e2);
    }
out:
    strbuf_release(&gk);
    return rc;
}

int auth_header_fn(void *ctx, int force, strbuf *header, strbuf *err)
{
    auth_session *sa = ctx;
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
    if (found == 1 && strcmp(header->buf, sa->used.buf) != 0 && clock_wall_ms() - at < 5000) {
        cache_put(sa->name, header->buf);
    } else if (found >= 0) {
        cache_put(sa->name, NULL);
        rc = gated_login(sa, header, err);
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

int auth_token(auth_session *sa, strbuf *token, strbuf *err)
{
    strbuf h = STRBUF_INIT;
    if (auth_header_fn(sa, 0, &h, err) < 0) {
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

void auth_script_tokens(stage_ctx *c, const flow *f, attrs *a)
{
    strbuf tok = STRBUF_INIT, err = STRBUF_INIT;
    auth_session sa;
    auth_init(&sa, c, f, 0);
    if (auth_token(&sa, &tok, &err) == 0)
        attrs_set(a, "token.omnitron", tok.buf);
    auth_release(&sa);
    if (f->erp_auth.kind != FLOW_AUTH_NONE) {
        auth_init(&sa, c, f, 1);
        strbuf_reset(&tok);
        if (auth_token(&sa, &tok, &err) == 0)
            attrs_set(a, "token.erp", tok.buf);
        auth_release(&sa);
    }
    strbuf_release(&tok);
    strbuf_release(&err);
}

