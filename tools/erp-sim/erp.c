/*
 * erp.c: a simulated ERP that orders are written to, for flowfleet's tests,
 * demo and benchmark.
 *
 * State is a few jansson objects keyed by order number (write counts, the
 * text of the last body written, last ERP id) plus counters, all behind one
 * mutex; every request holds it only for a few hash map updates, so its cost
 * does not depend on how many orders are held. Bodies are kept as their
 * text, not as parsed trees: a tree is several times larger, and a heap
 * growing by that much per order is what made writes dearer as orders piled
 * up. So a write parses only the containers on the number and items paths
 * (the rest is checked, not built; see parse_body), and GET /_control/order
 * and the state's last_body parse the stored text when asked. The "orders"
 * and "duplicates" of the state are counted as writes (and the "existing"
 * fault) change, not by walking the maps. Writes that fail
 * by an injected fault are not stored. A write whose answer is delayed (the
 * slow_ms and timeout_rate faults) is stored at once and only its answer
 * waits (simhttp parks it without blocking a thread), as a real ERP that
 * commits and then answers too late: this is what produces duplicates when
 * a client retries without querying first.
 *
 * Routes:
 *   POST /auth/token              {"username","password"} -> bearer token
 *   POST /orders                  store a body (number and items by path)
 *   GET  /orders?number=N         {"results": [{"id","number","items":[{"code"}...]}]} or []
 *                                 (&format=xml: the same as XML, <results><order>...):
 *                                 the order with its lines' codes (a preexisting
 *                                 order has PRE_ITEMS lines; the query_items fault
 *                                 off leaves the lines out)
 *   any  /echo                    the body (an object, else {"body": ...})
 *                                 plus "method" and "headers"
 *   GET  /_control/state[?brief=1][&wait_for=F&wait_min=N], GET /_control/order?number=N,
 *   POST /_control/faults, POST /_control/reset   (never need auth)
 * (the "password" fault changes the password /auth/token accepts; the
 * state counts logins and login_refusals)
 * (brief=1: the counters without the writes map and the last body;
 * wait_for: see simhttp_handle_control)
 * With require_auth, /orders needs "Authorization: Bearer <token>".
 */
#include "erp.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsontext.h"

/* Lines a preexisting order (the "existing" fault) has in the ERP. */
#define PRE_ITEMS 20

struct erp {
    erp_config cfg;
    pthread_mutex_t lock;
    unsigned long long rng;
    json_t *writes;      /* number -> times written */
    json_t *bodies;      /* number -> text of the last body written (a string) */
    json_t *ids;         /* number -> ERP id of the last write */
    json_t *existing;    /* number -> ERP id, preexisting orders */
    json_t *nitems;      /* number -> items of the last body written */
    json_t *tokens;      /* token -> true */
    json_t *last_body;   /* text of the last body written, or NULL */
    int parse_depth;     /* containers a write must build: those on the paths */
    long long received, seq, queries, requests;
    long long orders;    /* numbers in ids or existing */
    long long dups;      /* numbers in writes written more than once, a preexisting copy included */
    /* faults */
    double write_error_rate;
    int write_error_status;
    long long write_errors_next;
    int query_status;
    int query_items;     /* the query answers the order's items with their codes (default on) */
    unsigned slow_ms;
    double timeout_rate;
    int retry_after;
    long long logins, login_refusals;   /* POST /auth/token answered 200 / 401 */
    char *accept_password;              /* the "password" fault: accepted instead of cfg.password */
};

static void clear_state(erp *e)
{
    json_object_clear(e->writes);
    json_object_clear(e->bodies);
    json_object_clear(e->ids);
    json_object_clear(e->existing);
    json_object_clear(e->nitems);
    json_decref(e->last_body);
    e->last_body = NULL;
    e->received = e->seq = e->queries = e->requests = 0;
    e->orders = e->dups = 0;
    e->write_error_rate = 0;
    e->write_error_status = 500;
    e->write_errors_next = 0;
    e->query_status = 0;
    e->query_items = 1;
    e->slow_ms = 0;
    e->timeout_rate = 0;
    e->retry_after = 0;
    e->logins = e->login_refusals = 0;
    free(e->accept_password);
    e->accept_password = NULL;
}

/* Containers a dotted path goes through, the top one included. */
static int path_depth(const char *path)
{
    int n = 1;
    for (; *path; path++)
        n += *path == '.';
    return n;
}

erp *erp_new(const erp_config *cfg)
{
    erp *e = xcalloc(1, sizeof(*e));
    e->cfg = *cfg;
    pthread_mutex_init(&e->lock, NULL);
    e->rng = cfg->seed ^ 0x5eed0e29ull;
    e->writes = json_object();
    e->bodies = json_object();
    e->ids = json_object();
    e->existing = json_object();
    e->nitems = json_object();
    e->tokens = json_object();
    e->last_body = NULL;
    e->parse_depth = path_depth(cfg->number_field);
    if (path_depth(cfg->items_field) + 1 > e->parse_depth)
        e->parse_depth = path_depth(cfg->items_field) + 1;   /* the array itself */
    clear_state(e);
    return e;
}

void erp_free(erp *e)
{
    if (!e)
        return;
    free(e->accept_password);
    json_decref(e->writes);
    json_decref(e->bodies);
    json_decref(e->ids);
    json_decref(e->existing);
    json_decref(e->nitems);
    json_decref(e->tokens);
    json_decref(e->last_body);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/* Follows a dotted path ("a.b.0.c") into v. Borrowed result or NULL. */
static json_t *lookup_path(json_t *v, const char *path)
{
    char seg[256];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(seg))
            return NULL;
        memcpy(seg, path, n);
        seg[n] = '\0';
        path += n;
        if (*path == '.')
            path++;
        if (json_is_object(v)) {
            v = json_object_get(v, seg);
        } else if (json_is_array(v)) {
            char *end;
            long i = strtol(seg, &end, 10);
            if (!n || *end || i < 0)
                return NULL;
            v = json_array_get(v, (size_t)i);
        } else {
            return NULL;
        }
    }
    return v;
}

/* The order number at the configured path as text, or 0 when missing. */
static int number_of(json_t *body, const char *path, strbuf *out)
{
    json_t *v = lookup_path(body, path);
    if (json_is_string(v) && json_string_length(v) > 0)
        strbuf_add(out, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        strbuf_addf(out, "%lld", (long long)json_integer_value(v));
    else
        return 0;
    return 1;
}

static int auth_ok(erp *e, simhttp_req *req)
{
    const char *h = simhttp_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    while (*h == ' ')
        h++;
    pthread_mutex_lock(&e->lock);
    int ok = json_object_get(e->tokens, h) != NULL;
    pthread_mutex_unlock(&e->lock);
    return ok;
}

/* The password the ERP accepts now: the "password" fault's, or the configured one. */
static int password_ok(erp *e, const char *p)
{
    pthread_mutex_lock(&e->lock);
    int ok = !strcmp(p, e->accept_password ? e->accept_password : e->cfg.password);
    pthread_mutex_unlock(&e->lock);
    return ok;
}

static void handle_token(erp *e, simhttp_req *req)
{
    strbuf err = STRBUF_INIT;
    json_t *body = simhttp_body_json(req, &err);
    const char *u = json_string_value(json_object_get(body, "username"));
    const char *p = json_string_value(json_object_get(body, "password"));
    if (!body || !json_is_object(body)) {
        simhttp_reply_error(req, 400, "error", "invalid_request: %s", body ? "body is not an object" : err.buf);
    } else if (!u || !p || strcmp(u, e->cfg.username) || !password_ok(e, p)) {
        pthread_mutex_lock(&e->lock);
        e->login_refusals++;
        pthread_mutex_unlock(&e->lock);
        simhttp_reply_error(req, 401, "error", "invalid_client");
    } else {
        char tok[48];
        pthread_mutex_lock(&e->lock);
        unsigned long long a = simhttp_rand_next(&e->rng), b = simhttp_rand_next(&e->rng);
        snprintf(tok, sizeof(tok), "erp%016llx%016llx", a, b);
        json_object_set_new(e->tokens, tok, json_true());
        e->logins++;
        pthread_mutex_unlock(&e->lock);
        json_t *r = json_pack("{s:s, s:s, s:i}", "access_token", tok, "token_type", "Bearer", "expires_in", 3600);
        simhttp_reply_json(req, 200, r);
        json_decref(r);
    }
    json_decref(body);
    strbuf_release(&err);
}

/* The body of a write with only the containers on the number and items
 * paths built (jsontext_parse_shallow checks the rest by the same rules),
 * or NULL with err. A body the shallow parse refuses, or one that may hold
 * a "\u0000" (refused in an object key, which is not looked at in the
 * containers left out), is parsed in full instead, so what is accepted and
 * the error messages are exactly those of simhttp_body_json. */
static json_t *parse_body(erp *e, simhttp_req *req, strbuf *err)
{
    const char *t = req->body.buf;
    size_t n = req->body.len;
    json_t *b = n ? jsontext_parse_shallow(t, n, e->parse_depth, NULL) : NULL;
    if (b && !memmem(t, n, "\\u0000", 6))
        return b;
    json_decref(b);
    return simhttp_body_json(req, err);
}

static void handle_write(erp *e, simhttp_req *req)
{
    strbuf err = STRBUF_INIT, num = STRBUF_INIT;
    json_t *body = parse_body(e, req, &err);
    if (!body || !json_is_object(body)) {
        simhttp_reply_error(req, 400, "error", "invalid body: %s", body ? "not a JSON object" : err.buf);
        goto out;
    }
    if (!number_of(body, e->cfg.number_field, &num)) {
        simhttp_reply_error(req, 400, "error", "missing number");
        goto out;
    }
    json_t *items = lookup_path(body, e->cfg.items_field);
    size_t nitems = json_is_array(items) ? json_array_size(items) : 0;
    json_t *text = json_stringn_nocheck(req->body.buf, req->body.len);

    pthread_mutex_lock(&e->lock);
    int fail = 0;
    if (e->write_errors_next > 0) {
        e->write_errors_next--;
        fail = 1;
    } else if (e->write_error_rate > 0 && simhttp_rand_unit(e->cfg.seed) < e->write_error_rate) {
        fail = 1;
    }
    if (fail) {
        int st = e->write_error_status;
        int ra = e->retry_after;
        pthread_mutex_unlock(&e->lock);
        json_decref(text);
        simhttp_reply_error(req, st, "error", "injected write error");
        if (ra > 0 && (st == 429 || st == 503))
            snprintf(req->retry_after, sizeof(req->retry_after), "%d", ra);
        goto out;
    }
    long long seq = ++e->seq;
    e->received++;
    json_int_t count = json_integer_value(json_object_get(e->writes, num.buf));
    int pre = json_object_get(e->existing, num.buf) != NULL;
    e->orders += !count && !pre;
    e->dups += count + pre == 1;    /* its second copy */
    json_object_set_new(e->writes, num.buf, json_integer(count + 1));
    json_object_set_new(e->bodies, num.buf, json_incref(text));
    char id[40];
    snprintf(id, sizeof(id), "ERP-%lld", seq);
    json_object_set_new(e->ids, num.buf, json_string(id));
    json_object_set_new(e->nitems, num.buf, json_integer((json_int_t)nitems));
    json_decref(e->last_body);
    e->last_body = text;   /* shared with bodies; refcounts change only under the lock */
    pthread_mutex_unlock(&e->lock);

    strbuf *o = &req->out;
    strbuf_reset(o);
    strbuf_addf(o, "{\"id\": \"%s\", \"number\": \"", id);
    strbuf_add_json_escaped(o, num.buf, num.len);
    strbuf_addstr(o, "\", \"items\": [");
    for (size_t i = 1; i <= nitems; i++)
        strbuf_addf(o, "%s{\"code\": \"%s-%zu\"}", i > 1 ? ", " : "", id, i);
    strbuf_addstr(o, "]}");
    req->status = 201;
out:
    json_decref(body);
    strbuf_release(&err);
    strbuf_release(&num);
}

static void handle_query(erp *e, simhttp_req *req)
{
    const char *num = simhttp_query(req, "number");
    pthread_mutex_lock(&e->lock);
    e->queries++;
    int qs = e->query_status;
    strbuf id = STRBUF_INIT;
    long long nit = 0;
    if (num) {
        json_t *v = json_object_get(e->ids, num);
        nit = json_integer_value(json_object_get(e->nitems, num));
        if (!v) {
            v = json_object_get(e->existing, num);
            nit = v ? PRE_ITEMS : 0;
        }
        if (v)
            strbuf_addstr(&id, json_string_value(v));
        if (!e->query_items)
            nit = -1;
    }
    pthread_mutex_unlock(&e->lock);
    if (qs) {
        simhttp_reply_error(req, qs, "error", "unavailable");
    } else if (!num || !*num) {
        simhttp_reply_error(req, 400, "error", "missing number");
    } else if (simhttp_query(req, "format") && !strcmp(simhttp_query(req, "format"), "xml")) {
        /* an ERP that answers in XML: <results><order><id/><number/><items><code/></items>...</order></results>
         * (numbers are the simulator's own: no escaping needed) */
        strbuf *o = &req->out;
        strbuf_reset(o);
        strbuf_addstr(o, "<?xml version=\"1.0\"?>\n<results>");
        if (id.len) {
            strbuf_addf(o, "<order><id>%s</id><number>%s</number>", id.buf, num);
            for (long long i = 1; i <= nit; i++)
                strbuf_addf(o, "<items><code>%s-%lld</code></items>", id.buf, i);
            strbuf_addstr(o, "</order>");
        }
        strbuf_addstr(o, "</results>\n");
        req->status = 200;
    } else {
        strbuf *o = &req->out;
        strbuf_reset(o);
        strbuf_addstr(o, "{\"results\": [");
        if (id.len) {
            strbuf_addstr(o, "{\"id\": \"");
            strbuf_add_json_escaped(o, id.buf, id.len);
            strbuf_addstr(o, "\", \"number\": \"");
            strbuf_add_json_escaped(o, num, strlen(num));
            strbuf_addch(o, '"');
            /* the lines as the ERP holds them, with the codes it gave */
            if (nit >= 0) {
                strbuf_addstr(o, ", \"items\": [");
                for (long long i = 1; i <= nit; i++)
                    strbuf_addf(o, "%s{\"code\": \"%s-%lld\"}", i > 1 ? ", " : "", id.buf, i);
                strbuf_addch(o, ']');
            }
            strbuf_addch(o, '}');
        }
        strbuf_addstr(o, "]}");
        req->status = 200;
    }
    strbuf_release(&id);
}

static void add_header(void *arg, const char *key, const char *value)
{
    json_object_set_new(arg, key, json_string(value));
}

static void handle_echo(simhttp_req *req)
{
    json_t *body = req->body.len ? jsontext_parse(req->body.buf, req->body.len, NULL) : NULL;
    json_t *r;
    if (json_is_object(body)) {
        r = json_incref(body);
    } else {
        r = json_object();
        if (body)
            json_object_set(r, "body", body);
        else
            json_object_set_new(r, "body", json_stringn_nocheck(req->body.buf, req->body.len));
    }
    json_t *h = json_object();
    simhttp_foreach(req, 1, add_header, h);
    json_object_set_new(r, "method", json_string(req->method));
    json_object_set_new(r, "headers", h);
    simhttp_reply_json(req, 200, r);
    json_decref(r);
    json_decref(body);
}

/* ---- control ---- */

/* A stored body's text parsed in full, or NULL. Call with the lock held. */
static json_t *stored_body(json_t *text)
{
    return text ? jsontext_parse(json_string_value(text), json_string_length(text), NULL) : NULL;
}

static void control_state(void *ctx, simhttp_req *req)
{
    erp *e = ctx;
    /* ?brief=1 leaves out the per-order writes and the last body, for
     * pollers and waiters that want the counters only */
    const char *b = simhttp_query(req, "brief");
    int brief = b && !strcmp(b, "1");
    pthread_mutex_lock(&e->lock);
    json_t *last = brief ? NULL : stored_body(e->last_body);
    json_t *r = json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:o}",
                          "received", (json_int_t)e->received,
                          "orders", (json_int_t)e->orders,
                          "duplicates", (json_int_t)e->dups,
                          "writes", brief ? json_object() : json_incref(e->writes),
                          "queries", (json_int_t)e->queries,
                          "requests", (json_int_t)e->requests,
                          "last_body", last ? last : json_null());
    json_object_set_new(r, "logins", json_integer((json_int_t)e->logins));
    json_object_set_new(r, "login_refusals", json_integer((json_int_t)e->login_refusals));
    simhttp_reply_json(req, 200, r);
    json_decref(r);
    pthread_mutex_unlock(&e->lock);
}

static void control_order(void *ctx, simhttp_req *req)
{
    erp *e = ctx;
    const char *num = simhttp_query(req, "number");
    if (!num) {
        simhttp_reply_error(req, 400, "error", "missing number");
        return;
    }
    strbuf text = STRBUF_INIT;
    pthread_mutex_lock(&e->lock);
    json_t *t = json_object_get(e->bodies, num);
    int known = t != NULL;
    if (t)
        strbuf_add(&text, json_string_value(t), json_string_length(t));
    pthread_mutex_unlock(&e->lock);
    json_t *b = known ? jsontext_parse(text.buf, text.len, NULL) : NULL;
    if (b)
        simhttp_reply_json(req, 200, b);
    else if (known)
        simhttp_reply_error(req, 500, "error", "stored body no longer parses");
    else
        simhttp_reply_error(req, 404, "error", "unknown number");
    json_decref(b);
    strbuf_release(&text);
}

static int get_rate(json_t *v, double *out)
{
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (d < 0 || d > 1)
        return -1;
    *out = d;
    return 0;
}

static int get_int(json_t *v, long long lo, long long hi, long long *out)
{
    if (json_is_boolean(v) && !json_is_true(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static json_t *faults_json(erp *e)
{
    return json_pack("{s:f, s:i, s:I, s:i, s:b, s:i, s:f, s:i, s:I}",
                     "write_error_rate", e->write_error_rate,
                     "write_error_status", e->write_error_status,
                     "write_errors_next", (json_int_t)e->write_errors_next,
                     "query_status", e->query_status,
                     "query_items", e->query_items,
                     "slow_ms", (int)e->slow_ms,
                     "timeout_rate", e->timeout_rate,
                     "retry_after", e->retry_after,
                     "existing", (json_int_t)json_object_size(e->existing));
}

/* Adds (sign 1) or takes out (-1) the preexisting orders' share of the
 * orders and duplicates counters. Call with the lock held. */
static void existing_count(erp *e, int sign)
{
    const char *k;
    json_t *x;
    json_object_foreach(e->existing, k, x) {
        json_int_t w = json_integer_value(json_object_get(e->writes, k));
        e->orders += sign * (w == 0);
        e->dups += sign * (w == 1);
    }
}

static void control_faults(void *ctx, simhttp_req *req)
{
    erp *e = ctx;
    strbuf err = STRBUF_INIT;
    json_t *body = simhttp_body_json(req, &err);
    if (!json_is_object(body)) {
        simhttp_reply_error(req, 400, "error", "faults: %s", body ? "not an object" : err.buf);
        goto out;
    }
    /* Validate everything first, then apply under the lock. */
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        double d;
        long long n;
        int bad;
        if (!strcmp(k, "write_error_rate") || !strcmp(k, "timeout_rate"))
            bad = get_rate(v, &d);
        else if (!strcmp(k, "write_error_status"))
            bad = get_int(v, 0, 599, &n);
        else if (!strcmp(k, "query_status"))
            bad = get_int(v, 0, 599, &n) || (n != 0 && n < 100);
        else if (!strcmp(k, "write_errors_next") || !strcmp(k, "slow_ms") || !strcmp(k, "retry_after"))
            bad = get_int(v, 0, 1000000000, &n);
        else if (!strcmp(k, "expire_tokens") || !strcmp(k, "query_items"))
            bad = !json_is_boolean(v);
        else if (!strcmp(k, "password"))
            bad = !json_is_string(v);
        else if (!strcmp(k, "existing")) {
            size_t i;
            json_t *x;
            bad = !json_is_array(v);
            json_array_foreach(v, i, x) bad |= !json_is_string(x);
        } else {
            simhttp_reply_error(req, 400, "error", "unknown fault '%s'", k);
            goto out;
        }
        if (bad) {
            simhttp_reply_error(req, 400, "error", "bad value for '%s'", k);
            goto out;
        }
    }
    pthread_mutex_lock(&e->lock);
    json_object_foreach(body, k, v) {
        if (!strcmp(k, "write_error_rate"))
            e->write_error_rate = json_number_value(v);
        else if (!strcmp(k, "timeout_rate"))
            e->timeout_rate = json_number_value(v);
        else if (!strcmp(k, "write_error_status"))
            e->write_error_status = json_integer_value(v) ? (int)json_integer_value(v) : 500;
        else if (!strcmp(k, "query_status"))
            e->query_status = (int)json_integer_value(v);
        else if (!strcmp(k, "write_errors_next"))
            e->write_errors_next = json_integer_value(v);
        else if (!strcmp(k, "slow_ms"))
            e->slow_ms = (unsigned)json_integer_value(v);
        else if (!strcmp(k, "retry_after"))
            e->retry_after = (int)json_integer_value(v);
        else if (!strcmp(k, "expire_tokens") && json_is_true(v))
            json_object_clear(e->tokens);
        else if (!strcmp(k, "password")) {
            free(e->accept_password);
            e->accept_password = strdup(json_string_value(v));
        }
        else if (!strcmp(k, "query_items"))
            e->query_items = json_is_true(v);
        else if (!strcmp(k, "existing")) {
            size_t i;
            json_t *x;
            existing_count(e, -1);
            json_object_clear(e->existing);
            json_array_foreach(v, i, x) {
                char id[40];
                snprintf(id, sizeof(id), "ERP-PRE-%zu", i + 1);
                json_object_set_new(e->existing, json_string_value(x), json_string(id));
            }
            existing_count(e, 1);
        }
    }
    json_t *r = faults_json(e);
    pthread_mutex_unlock(&e->lock);
    simhttp_reply_json(req, 200, r);
    json_decref(r);
out:
    json_decref(body);
    strbuf_release(&err);
}

static void control_reset(void *ctx, simhttp_req *req)
{
    erp *e = ctx;
    pthread_mutex_lock(&e->lock);
    clear_state(e);
    pthread_mutex_unlock(&e->lock);
    simhttp_reply_text(req, 200, "{\"reset\": true}", 15);
}

static const simhttp_control control = { control_state, control_order, control_faults, control_reset };

void erp_handle(void *ctx, simhttp_req *req)
{
    erp *e = ctx;
    const char *path = req->path;
    if (!strncmp(path, "/_control/", 10) && erp_status_handle(req))
        return;
    if (!strncmp(path, "/_control/", 10)) {
        simhttp_handle_control(&control, e, req);
        return;
    }
    /* the faults (slow_ms, timeout_rate) hold every API's answers, the
     * order status API's too */
    pthread_mutex_lock(&e->lock);
    e->requests++;
    unsigned slow = e->slow_ms;
    double tr = e->timeout_rate;
    pthread_mutex_unlock(&e->lock);
    if (tr > 0 && simhttp_rand_unit(e->cfg.seed) < tr)
        req->delay_ms = 60000;
    else
        req->delay_ms = slow;
    if (erp_status_handle(req))
        return;

    int get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (!strcmp(path, "/orders") || !strcmp(path, "/orders/")) {
        if (!get && !post) {
            simhttp_reply_error(req, 405, "error", "method %s not allowed", req->method);
        } else if (e->cfg.require_auth && !auth_ok(e, req)) {
            simhttp_reply_error(req, 401, "error", "invalid or missing bearer token");
        } else if (post) {
            handle_write(e, req);
        } else {
            handle_query(e, req);
        }
    } else if (!strcmp(path, "/auth/token")) {
        if (post)
            handle_token(e, req);
        else
            simhttp_reply_error(req, 405, "error", "method %s not allowed", req->method);
    } else if (!strcmp(path, "/echo")) {
        handle_echo(req);
    } else {
        simhttp_reply_error(req, 404, "error", "not found");
    }
}
