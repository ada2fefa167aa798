/*
 * omni.c: the Omnitron simulator's routes, auth, faults and control API.
 *
 * One rwlock guards the data set (omni_data.c), the token set, the faults
 * and the mapping sequence: reads (lists, details, auth checks) share it,
 * writes (PATCH, mappings, bulk status, login, faults, reset) take it
 * exclusively for a few microseconds. Answers are JSON text written into
 * req->out while the lock is held (the data is emitted straight from the C
 * structs). Request counters are atomics.
 *
 * Paths: "/api/i1/" is accepted wherever "/api/v1/" is (Akinon uses both),
 * and a missing trailing slash is tolerated. Every /api call except the
 * login needs "Authorization: Token <key>". Faults apply to all of /api
 * (login included): first the delay (slow_ms, or 60 s for the timeout
 * share, without blocking a thread: simhttp parks the answer), then the
 * random error; the work of a delayed request is done at once, only the
 * answer waits (as a server that commits and answers too late).
 *
 * The order list filters are the DRF/django-filter ones the flows use:
 * is_send, channel__in, status__in, status__ne, id__gt, number, sort=id or
 * -id, limit (default 50, max 1000) and 1-based page; a page past the end is
 * 404 {"detail": "Invalid page."}, as DRF answers. A list never scans the
 * orders: the count and the page's entries come from the order index of
 * omni_data.c (keyset pages, id__gt=X&limit=L, cost O(L + log N)), and the
 * control state's counters and text are kept up to date as the data changes,
 * so no request costs more as the number of orders grows (the state's own
 * answer aside, which lists every sent or mapped order; GET
 * /_control/state?brief=1 leaves those two maps empty, for pollers, and
 * &wait_for=sent&wait_min=N holds the answer until N orders are sent:
 * simhttp_handle_control).
 */
#include "omni.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsontext.h"

struct omni {
    pthread_rwlock_t lock;
    omni_config cfg;
    omni_data *d;
    json_t *tokens;              /* key -> true */
    unsigned long long rng;
    int mapping_seq;
    /* faults */
    double error_rate;
    int error_status;
    unsigned slow_ms;
    double timeout_rate;
    /* behaviours of other Omnitrons (set through /_control/faults) */
    int ignore_id_gt;            /* the order list ignores id__gt: page numbers only */
    int max_limit;               /* the largest limit a list answers (0: 1000) */
    int strict_mappings;         /* a second item mapping is refused with a 400 */
    /* counters */
    atomic_llong requests, logins, bulk_updates, items_updated;
};

omni *omni_new(const omni_config *cfg)
{
    omni *o = xcalloc(1, sizeof(*o));
    pthread_rwlock_init(&o->lock, NULL);
    o->cfg = *cfg;
    o->d = omni_data_new(cfg);
    o->tokens = json_object();
    o->rng = cfg->seed ^ 0x70c3e5ull;
    o->error_status = 500;
    return o;
}

void omni_free(omni *o)
{
    if (!o)
        return;
    omni_data_free(o->d);
    json_decref(o->tokens);
    pthread_rwlock_destroy(&o->lock);
    free(o);
}

/* ---- small helpers ---- */

static void reply_detail(simhttp_req *req, int status, const char *msg)
{
    simhttp_reply_error(req, status, "detail", "%s", msg);
}

/* Strict decimal integer (optional sign); 0 or -1. */
static int parse_ll(const char *s, long long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    long long v = strtoll(s, &end, 10);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int parse_int_list(const char *s, int *out, int max, int *n)
{
    *n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || *n >= max)
            return -1;
        out[(*n)++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return 0;
}

/* Body as a JSON object, or NULL after answering 400. */
static json_t *body_object(simhttp_req *req)
{
    strbuf err = STRBUF_INIT;
    json_t *b = simhttp_body_json(req, &err);
    if (!json_is_object(b)) {
        simhttp_reply_error(req, 400, "detail", "JSON parse error - %s", b ? "expected an object" : err.buf);
        json_decref(b);
        b = NULL;
    }
    strbuf_release(&err);
    return b;
}

/* ---- pagination ---- */

struct url_ctx {
    strbuf *sb;
    int first;
};

static void add_arg(void *arg, const char *key, const char *value)
{
    struct url_ctx *u = arg;
    if (!strcmp(key, "page"))
        return;
    strbuf_addch(u->sb, u->first ? '?' : '&');
    u->first = 0;
    strbuf_add_urlencoded(u->sb, key, strlen(key));
    strbuf_addch(u->sb, '=');
    strbuf_add_urlencoded(u->sb, value, strlen(value));
}

static void add_page_url(strbuf *out, simhttp_req *req, long long page)
{
    strbuf url = STRBUF_INIT;
    const char *host = simhttp_header(req, "Host");
    strbuf_addf(&url, "http://%s%s", host ? host : "localhost", req->path);
    struct url_ctx u = { &url, 1 };
    simhttp_foreach(req, 0, add_arg, &u);
    strbuf_addf(&url, "%cpage=%lld", u.first ? '?' : '&', page);
    strbuf_addch(out, '"');
    strbuf_add_json_escaped(out, url.buf, url.len);
    strbuf_addch(out, '"');
    strbuf_release(&url);
}

typedef void (*emit_fn)(strbuf *sb, const omni_data *d, int idx, int mode);

typedef struct page_spec {
    long long limit, page;
} page_spec;

/* Reads limit/page; 0, or -1 after answering. */
static int parse_page(simhttp_req *req, long long max_limit, page_spec *ps)
{
    long long v;
    ps->limit = 50;
    ps->page = 1;
    if (parse_ll(simhttp_query(req, "limit"), &v) == 0 && v > 0)
        ps->limit = v > max_limit ? max_limit : v;
    const char *p = simhttp_query(req, "page");
    if (p && (parse_ll(p, &ps->page) != 0 || ps->page < 1)) {
        reply_detail(req, 404, "Invalid page.");
        return -1;
    }
    return 0;
}

/* Answers the page of indices [first, end) (backwards when desc): all of
 * them, or only the matches of m when m is not NULL. Only the page's own
 * entries are visited (the count comes from the index). Call with the lock
 * held. */
static void paged_list(simhttp_req *req, const omni_match *m, int first, int end, int desc, emit_fn e,
                       const omni_data *d, int mode, const page_spec *ps)
{
    long long count = m ? m->count : end - first, from = (ps->page - 1) * ps->limit, to = from + ps->limit;
    if (ps->page > 1 && from >= count) {
        reply_detail(req, 404, "Invalid page.");
        return;
    }
    strbuf *o = &req->out;
    strbuf_reset(o);
    strbuf_addf(o, "{\"count\": %lld, \"next\": ", count);
    if (to < count)
        add_page_url(o, req, ps->page + 1);
    else
        strbuf_addstr(o, "null");
    strbuf_addstr(o, ", \"previous\": ");
    if (ps->page > 1)
        add_page_url(o, req, ps->page - 1);
    else
        strbuf_addstr(o, "null");
    strbuf_addstr(o, ", \"results\": [");
    int idx = -1;
    for (long long k = from; k < to && k < count; k++) {
        long long r = desc ? count - 1 - k : k;   /* ascending rank */
        idx = m ? omni_match_index(m, r, idx, desc ? -1 : 1) : first + (int)r;
        if (k > from)
            strbuf_addstr(o, ", ");
        e(o, d, idx, mode);
    }
    strbuf_addstr(o, "]}");
    req->status = 200;
}

/* ---- orders ---- */

static void list_orders(omni *om, simhttp_req *req, int mode)
{
    omni_filter f;
    memset(&f, 0, sizeof(f));
    f.is_send = -1;
    const char *v;
    long long id_gt = 0, n;
    if ((v = simhttp_query(req, "is_send"))) {
        if (!strcasecmp(v, "true") || !strcmp(v, "1"))
            f.is_send = 1;
        else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
            f.is_send = 0;
        else {
            simhttp_reply_error(req, 400, "is_send", "Select a valid choice. %s is not one of the available choices.", v);
            return;
        }
    }
    if ((v = simhttp_query(req, "channel__in")) && *v && parse_int_list(v, f.ch, OMNI_MAX_CHANNELS, &f.nch)) {
        simhttp_reply_error(req, 400, "channel__in", "Enter a comma separated list of numbers.");
        return;
    }
    if ((v = simhttp_query(req, "status__in")) && *v && parse_int_list(v, f.st, 64, &f.nst)) {
        simhttp_reply_error(req, 400, "status__in", "Enter a comma separated list of numbers.");
        return;
    }
    if ((v = simhttp_query(req, "status__ne")) && *v) {
        if (parse_ll(v, &n)) {
            simhttp_reply_error(req, 400, "status__ne", "Enter a number.");
            return;
        }
        f.has_ne = 1;
        f.ne = (int)n;
    }
    if ((v = simhttp_query(req, "id__gt")) && *v && parse_ll(v, &id_gt)) {
        simhttp_reply_error(req, 400, "id__gt", "Enter a number.");
        return;
    }
    if (om->ignore_id_gt)
        id_gt = 0;
    const char *sort = simhttp_query(req, "sort");
    int desc = sort && (!strcmp(sort, "-id") || !strcmp(sort, "-pk"));
    page_spec ps;
    if (parse_page(req, om->max_limit > 0 ? om->max_limit : 1000, &ps))
        return;
    const char *number = simhttp_query(req, "number");

    pthread_rwlock_rdlock(&om->lock);
    const omni_data *d = om->d;
    int first = 0, end = d->norders;
    if (id_gt > 0)
        first = id_gt >= d->norders ? d->norders : (int)id_gt;
    if (number) {
        long long pk = omni_number_pk(d, number);
        if (!pk || pk - 1 < first) {
            end = first;
        } else {
            first = (int)pk - 1;
            end = (int)pk;
        }
    }
    omni_match m;
    omni_match_init(&m, d, &f, first, end);
    paged_list(req, &m, first, end, desc, omni_emit_order, d, mode, &ps);
    omni_match_release(&m);
    pthread_rwlock_unlock(&om->lock);
}

static void get_order(omni *om, simhttp_req *req, long long pk, int mode)
{
    pthread_rwlock_rdlock(&om->lock);
    if (pk < 1 || pk > om->d->norders) {
        reply_detail(req, 404, "Not found.");
    } else {
        strbuf_reset(&req->out);
        omni_emit_order(&req->out, om->d, (int)pk - 1, mode);
        req->status = 200;
    }
    pthread_rwlock_unlock(&om->lock);
}

static void patch_order(omni *om, simhttp_req *req, long long pk)
{
    json_t *b = body_object(req);
    if (!b)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        if (strcmp(k, "is_send") != 0) {
            simhttp_reply_error(req, 400, k, "This field cannot be updated here; only is_send is accepted.");
            goto out;
        }
    }
    v = json_object_get(b, "is_send");
    if (!json_is_boolean(v)) {
        simhttp_reply_error(req, 400, "is_send", v ? "Must be a valid boolean." : "This field is required.");
        goto out;
    }
    pthread_rwlock_wrlock(&om->lock);
    if (pk < 1 || pk > om->d->norders) {
        reply_detail(req, 404, "Not found.");
    } else {
        omni_order *o = &om->d->orders[pk - 1];
        omni_order_set(om->d, (int)pk - 1, json_is_true(v), o->status);
        if (o->is_send) {
            o->sent_count++;
            omni_order_touched(om->d, (int)pk - 1);
        }
        o->modified_us = omni_now_us();
        strbuf_reset(&req->out);
        omni_emit_order(&req->out, om->d, (int)pk - 1, OMNI_LIST);
        req->status = 200;
    }
    pthread_rwlock_unlock(&om->lock);
out:
    json_decref(b);
}

/* ---- mappings ---- */

/* The "code" of a mapping body as text; 0, or -1 after answering. */
static int mapping_code(simhttp_req *req, json_t *b, strbuf *code)
{
    json_t *c = json_object_get(b, "code");
    if (json_is_string(c) && json_string_length(c) > 0)
        strbuf_add(code, json_string_value(c), json_string_length(c));
    else if (json_is_integer(c))
        strbuf_addf(code, "%lld", (long long)json_integer_value(c));
    else {
        simhttp_reply_error(req, 400, "code", c ? "Not a valid string." : "This field is required.");
        return -1;
    }
    json_t *us = json_object_get(b, "update_stock");
    if (us && !json_is_boolean(us)) {
        simhttp_reply_error(req, 400, "update_stock", "Must be a valid boolean.");
        return -1;
    }
    return 0;
}

static void reply_mapping(simhttp_req *req, int mpk, const char *type, long long pk, const strbuf *code)
{
    strbuf *o = &req->out;
    strbuf_reset(o);
    strbuf_addf(o, "{\"pk\": %d, \"content_type\": \"%s\", \"object_id\": %lld, "
                   "\"integration_type\": \"external_company\", \"code\": \"", mpk, type, pk);
    strbuf_add_json_escaped(o, code->buf, code->len);
    strbuf_addstr(o, "\"}");
    req->status = 201;
}

static void create_mapping(omni *om, simhttp_req *req, long long pk, int is_item)
{
    strbuf code = STRBUF_INIT;
    json_t *b = body_object(req);
    if (!b || mapping_code(req, b, &code))
        goto out;
    pthread_rwlock_wrlock(&om->lock);
    long long n = is_item ? om->d->nitems : om->d->norders;
    if (pk < 1 || pk > n) {
        reply_detail(req, 404, "Not found.");
    } else {
        int *mpk;
        unsigned *count;
        char **slot;
        if (is_item && om->strict_mappings && om->d->items[pk - 1].map_pk) {
            simhttp_reply_error(req, 400, "non_field_errors", "This order item already has an integration mapping.");
            pthread_rwlock_unlock(&om->lock);
            goto out;
        }
        if (is_item) {
            omni_item *it = &om->d->items[pk - 1];
            mpk = &it->map_pk, count = &it->map_count, slot = &it->map_code;
        } else {
            omni_order *o = &om->d->orders[pk - 1];
            mpk = &o->map_pk, count = &o->map_count, slot = &o->map_code;
            omni_order_touched(om->d, (int)pk - 1);
        }
        if (!*mpk) {
            *mpk = ++om->mapping_seq;
            om->d->item_maps += is_item;
        }
        (*count)++;
        if (is_item && *count > om->d->item_map_max)
            om->d->item_map_max = *count;
        free(*slot);
        *slot = xstrdup(code.buf);
        reply_mapping(req, *mpk, is_item ? "orderitem" : "order", pk, &code);
    }
    pthread_rwlock_unlock(&om->lock);
out:
    json_decref(b);
    strbuf_release(&code);
}

/* GET an item's mappings: a list, empty or with its one mapping. */
static void get_mappings(omni *om, simhttp_req *req, long long pk)
{
    pthread_rwlock_rdlock(&om->lock);
    if (pk < 1 || pk > om->d->nitems) {
        reply_detail(req, 404, "Not found.");
    } else {
        const omni_item *it = &om->d->items[pk - 1];
        strbuf *o = &req->out;
        strbuf_reset(o);
        strbuf_addch(o, '[');
        if (it->map_pk) {
            strbuf code = STRBUF_INIT;
            strbuf_addstr(&code, it->map_code ? it->map_code : "");
            strbuf_reset(o);
            reply_mapping(req, it->map_pk, "orderitem", pk, &code);
            strbuf_insertstr(o, 0, "[");
            strbuf_release(&code);
        }
        strbuf_addch(o, ']');
        req->status = 200;
    }
    pthread_rwlock_unlock(&om->lock);
}

/* ---- items and discounts ---- */

static void list_children(omni *om, simhttp_req *req, int items)
{
    long long opk = 0;
    const char *v = simhttp_query(req, "order_id");
    if (!v)
        v = simhttp_query(req, "order");
    if (v && *v && parse_ll(v, &opk)) {
        simhttp_reply_error(req, 400, "order_id", "Enter a number.");
        return;
    }
    page_spec ps;
    if (parse_page(req, 100000, &ps))
        return;
    pthread_rwlock_rdlock(&om->lock);
    const omni_data *d = om->d;
    int first = 0, end = items ? d->nitems : d->ndiscs;
    if (v && *v) {
        if (opk < 1 || opk > d->norders) {
            end = 0;
        } else {
            const omni_order *o = &d->orders[opk - 1];
            first = items ? o->item_first : o->disc_first;
            end = first + (items ? o->item_count : o->disc_count);
        }
    }
    paged_list(req, NULL, first, end, 0, items ? omni_emit_item : omni_emit_disc, d, OMNI_LIST, &ps);
    pthread_rwlock_unlock(&om->lock);
}

static void get_child(omni *om, simhttp_req *req, long long pk, int items)
{
    pthread_rwlock_rdlock(&om->lock);
    long long n = items ? om->d->nitems : om->d->ndiscs;
    if (pk < 1 || pk > n) {
        reply_detail(req, 404, "Not found.");
    } else {
        strbuf_reset(&req->out);
        (items ? omni_emit_item : omni_emit_disc)(&req->out, om->d, (int)pk - 1, OMNI_DETAIL);
        req->status = 200;
    }
    pthread_rwlock_unlock(&om->lock);
}

static int status_value(json_t *v, int *out)
{
    long long n;
    if (json_is_integer(v))
        n = json_integer_value(v);
    else if (!json_is_string(v) || parse_ll(json_string_value(v), &n))
        return -1;
    if (n < 0 || n > 9999)
        return -1;
    *out = (int)n;
    return 0;
}

static void bulk_status(omni *om, simhttp_req *req)
{
    json_t *b = body_object(req);
    if (!b)
        return;
    json_t *ord = json_object_get(b, "order");
    json_t *set = json_object_get(b, "orderitem_set");
    size_t i;
    json_t *e;
    if (!(json_is_string(ord) && json_string_length(ord)) && !json_is_integer(ord)) {
        simhttp_reply_error(req, 400, "order", "This field is required.");
        goto out;
    }
    if (!json_is_array(set) || !json_array_size(set)) {
        simhttp_reply_error(req, 400, "orderitem_set", "This field is required (a non-empty list).");
        goto out;
    }
    pthread_rwlock_wrlock(&om->lock);
    omni_data *d = om->d;
    json_array_foreach(set, i, e) {
        json_t *id = json_object_get(e, "id");
        int st;
        if (!json_is_object(e) || !json_is_integer(id)) {
            simhttp_reply_error(req, 400, "orderitem_set", "Item %zu: id is required.", i);
            goto unlock;
        }
        if (json_integer_value(id) < 1 || json_integer_value(id) > d->nitems) {
            simhttp_reply_error(req, 400, "orderitem_set", "Item %zu: order item %lld does not exist.", i,
                                (long long)json_integer_value(id));
            goto unlock;
        }
        json_t *s = json_object_get(e, "status");
        if (s && status_value(s, &st)) {
            simhttp_reply_error(req, 400, "orderitem_set", "Item %zu: status is not a valid status code.", i);
            goto unlock;
        }
        /* the item must belong to the order named (by number, or pk) */
        const omni_item *cur = &d->items[json_integer_value(id) - 1];
        strbuf num = STRBUF_INIT;
        omni_number(&num, cur->order + 1);
        int mine = json_is_string(ord) ? strcmp(json_string_value(ord), num.buf) == 0
                                       : json_integer_value(ord) == cur->order + 1;
        strbuf_release(&num);
        if (!mine) {
            simhttp_reply_error(req, 400, "orderitem_set", "Item %zu: order item %lld does not belong to this order.",
                                i, (long long)json_integer_value(id));
            goto unlock;
        }
        /* a status never goes backwards; the same status again is fine */
        if (s && st < cur->status) {
            simhttp_reply_error(req, 400, "orderitem_set", "Item %zu: status cannot change from %d to %d.", i,
                                cur->status, st);
            goto unlock;
        }
    }
    long long now = omni_now_us();
    strbuf *o = &req->out;
    strbuf_reset(o);
    strbuf_addstr(o, "{\"order\": ");
    jsontext_dump(ord, o, 0);
    strbuf_addstr(o, ", \"orderitem_set\": [");
    json_array_foreach(set, i, e) {
        int idx = (int)json_integer_value(json_object_get(e, "id")) - 1;
        omni_item *it = &d->items[idx];
        const char *k;
        json_t *v;
        json_object_foreach(e, k, v) {
            if (!strcmp(k, "id"))
                continue;
            if (!strcmp(k, "status")) {
                status_value(v, &it->status);
                continue;
            }
            if (!it->over)
                it->over = json_object();
            json_object_set_new(it->over, k, json_deep_copy(v));   /* nothing shared with the request */
        }
        it->modified_us = now;
        /* Omnitron derives the order status from its items: when they all
         * agree, the order takes their status. */
        omni_order *ow = &d->orders[it->order];
        int same = 1;
        for (int k2 = 0; k2 < ow->item_count; k2++)
            same &= d->items[ow->item_first + k2].status == it->status;
        if (same)
            omni_order_set(d, it->order, ow->is_send, it->status);
        ow->modified_us = now;
        if (i)
            strbuf_addstr(o, ", ");
        omni_emit_item(o, d, idx, OMNI_LIST);
    }
    strbuf_addstr(o, "]}");
    req->status = 200;
    atomic_fetch_add(&om->bulk_updates, 1);
    atomic_fetch_add(&om->items_updated, (long long)json_array_size(set));
unlock:
    pthread_rwlock_unlock(&om->lock);
out:
    json_decref(b);
}

/* ---- auth ---- */

static void login(omni *om, simhttp_req *req)
{
    json_t *b = body_object(req);
    if (!b)
        return;
    const char *u = json_string_value(json_object_get(b, "username"));
    const char *p = json_string_value(json_object_get(b, "password"));
    if (!u || !p || strcmp(u, om->cfg.username) || strcmp(p, om->cfg.password)) {
        strbuf_reset(&req->out);
        strbuf_addstr(&req->out, "{\"non_field_errors\": [\"Unable to log in with provided credentials.\"]}");
        req->status = 400;
    } else {
        char key[48];
        pthread_rwlock_wrlock(&om->lock);
        unsigned long long a = simhttp_rand_next(&om->rng), c = simhttp_rand_next(&om->rng),
                           e = simhttp_rand_next(&om->rng);
        snprintf(key, sizeof(key), "%016llx%016llx%08llx", a, c, e >> 32);
        json_object_set_new(om->tokens, key, json_true());
        pthread_rwlock_unlock(&om->lock);
        atomic_fetch_add(&om->logins, 1);
        strbuf_reset(&req->out);
        strbuf_addf(&req->out, "{\"key\": \"%s\"}", key);
        req->status = 200;
    }
    json_decref(b);
}

static int authorized(omni *om, simhttp_req *req)
{
    const char *h = simhttp_header(req, "Authorization");
    if (!h || strncasecmp(h, "Token ", 6) != 0)
        return 0;
    h += 6;
    while (*h == ' ')
        h++;
    pthread_rwlock_rdlock(&om->lock);
    int ok = json_object_get(om->tokens, h) != NULL;
    pthread_rwlock_unlock(&om->lock);
    return ok;
}

/* ---- control ---- */

static void control_state(void *ctx, simhttp_req *req)
{
    omni *om = ctx;
    pthread_rwlock_rdlock(&om->lock);
    const omni_data *d = om->d;
    strbuf *o = &req->out, counts = STRBUF_INIT, maps = STRBUF_INIT;
    /* ?brief=1 leaves out the two per-order maps (hundreds of KB with many
     * orders), for pollers that want the counters only */
    const char *brief = simhttp_query(req, "brief");
    if (!brief || strcmp(brief, "1") != 0)
        omni_state_text(d, &counts, &maps);
    strbuf_reset(o);
    strbuf_addf(o, "{\"orders\": %d, \"items\": %d, \"discount_items\": %d, \"sent\": %lld, \"sent_counts\": {%s}, "
                   "\"order_mappings\": {%s}, \"item_mappings\": %lld, \"item_mapping_counts_max\": %lld, "
                   "\"logins\": %lld, \"requests\": %lld, \"unsent_open\": %lld, \"bulk_updates\": %lld, "
                   "\"items_updated\": %lld, \"tokens\": %zu}",
                d->norders, d->nitems, d->ndiscs, d->sent, counts.buf, maps.buf, d->item_maps,
                (long long)d->item_map_max, (long long)atomic_load(&om->logins),
                (long long)atomic_load(&om->requests), d->unsent_open, (long long)atomic_load(&om->bulk_updates),
                (long long)atomic_load(&om->items_updated), json_object_size(om->tokens));
    req->status = 200;
    pthread_rwlock_unlock(&om->lock);
    strbuf_release(&counts);
    strbuf_release(&maps);
}

static void control_order(void *ctx, simhttp_req *req)
{
    omni *om = ctx;
    const char *num = simhttp_query(req, "number");
    pthread_rwlock_rdlock(&om->lock);
    const omni_data *d = om->d;
    long long pk = num ? omni_number_pk(d, num) : 0;
    if (!pk) {
        simhttp_reply_error(req, 404, "error", "unknown order number");
    } else {
        const omni_order *x = &d->orders[pk - 1];
        strbuf *o = &req->out;
        strbuf_reset(o);
        strbuf_addstr(o, "{\"order\": ");
        omni_emit_order(o, d, (int)pk - 1, OMNI_FULL);
        strbuf_addf(o, ", \"sent_count\": %u, \"mapping\": ", x->sent_count);
        if (x->map_code) {
            strbuf_addch(o, '"');
            strbuf_add_json_escaped(o, x->map_code, strlen(x->map_code));
            strbuf_addch(o, '"');
        } else {
            strbuf_addstr(o, "null");
        }
        strbuf_addstr(o, ", \"item_mappings\": {");
        for (int k = 0; k < x->item_count; k++) {
            const omni_item *it = &d->items[x->item_first + k];
            strbuf_addf(o, "%s\"%d\": {\"code\": ", k ? ", " : "", x->item_first + k + 1);
            if (it->map_code) {
                strbuf_addch(o, '"');
                strbuf_add_json_escaped(o, it->map_code, strlen(it->map_code));
                strbuf_addch(o, '"');
            } else {
                strbuf_addstr(o, "null");
            }
            strbuf_addf(o, ", \"count\": %u}", it->map_count);
        }
        strbuf_addstr(o, "}}");
        req->status = 200;
    }
    pthread_rwlock_unlock(&om->lock);
}

static void reply_faults(omni *om, simhttp_req *req)
{
    json_t *r = json_pack("{s:f, s:i, s:i, s:f, s:b, s:i, s:b}", "error_rate", om->error_rate, "error_status",
                          om->error_status, "slow_ms", (int)om->slow_ms, "timeout_rate", om->timeout_rate,
                          "ignore_id_gt", om->ignore_id_gt, "max_limit", om->max_limit, "strict_mappings",
                          om->strict_mappings);
    simhttp_reply_json(req, 200, r);
    json_decref(r);
}

static int rate_ok(json_t *v)
{
    return json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1;
}

static int int_ok(json_t *v, long long lo, long long hi)
{
    return (json_is_false(v)) || (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi);
}

static void control_faults(void *ctx, simhttp_req *req)
{
    omni *om = ctx;
    json_t *b = body_object(req);
    if (!b)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        int ok;
        if (!strcmp(k, "error_rate") || !strcmp(k, "timeout_rate"))
            ok = rate_ok(v) || json_is_false(v);
        else if (!strcmp(k, "error_status"))
            ok = int_ok(v, 0, 599);
        else if (!strcmp(k, "slow_ms"))
            ok = int_ok(v, 0, 600000);
        else if (!strcmp(k, "expire_tokens") || !strcmp(k, "ignore_id_gt") || !strcmp(k, "strict_mappings"))
            ok = json_is_boolean(v);
        else if (!strcmp(k, "max_limit"))
            ok = int_ok(v, 0, 1000);
        else {
            simhttp_reply_error(req, 400, "error", "unknown fault '%s'", k);
            goto out;
        }
        if (!ok) {
            simhttp_reply_error(req, 400, "error", "bad value for '%s'", k);
            goto out;
        }
    }
    pthread_rwlock_wrlock(&om->lock);
    json_object_foreach(b, k, v) {
        double num = json_is_number(v) ? json_number_value(v) : 0;
        if (!strcmp(k, "error_rate"))
            om->error_rate = num;
        else if (!strcmp(k, "timeout_rate"))
            om->timeout_rate = num;
        else if (!strcmp(k, "error_status"))
            om->error_status = num >= 100 ? (int)num : 500;
        else if (!strcmp(k, "slow_ms"))
            om->slow_ms = (unsigned)num;
        else if (!strcmp(k, "expire_tokens") && json_is_true(v))
            json_object_clear(om->tokens);
        else if (!strcmp(k, "ignore_id_gt"))
            om->ignore_id_gt = json_is_true(v);
        else if (!strcmp(k, "strict_mappings"))
            om->strict_mappings = json_is_true(v);
        else if (!strcmp(k, "max_limit"))
            om->max_limit = (int)num;
    }
    reply_faults(om, req);
    pthread_rwlock_unlock(&om->lock);
out:
    json_decref(b);
}

static void control_reset(void *ctx, simhttp_req *req)
{
    omni *om = ctx;
    json_t *b = req->body.len ? body_object(req) : json_object();
    if (!b)
        return;
    pthread_rwlock_rdlock(&om->lock);
    omni_config cfg = om->cfg;
    pthread_rwlock_unlock(&om->lock);
    json_t *v;
    if ((v = json_object_get(b, "orders"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 10000000) {
            simhttp_reply_error(req, 400, "error", "orders: an integer 0..10000000");
            goto out;
        }
        cfg.orders = (int)json_integer_value(v);
    }
    if ((v = json_object_get(b, "canceled_every"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            simhttp_reply_error(req, 400, "error", "canceled_every: a non-negative integer");
            goto out;
        }
        cfg.canceled_every = (int)json_integer_value(v);
    }
    if ((v = json_object_get(b, "seed"))) {
        if (!json_is_integer(v)) {
            simhttp_reply_error(req, 400, "error", "seed: an integer");
            goto out;
        }
        cfg.seed = (unsigned long long)json_integer_value(v);
    }
    if ((v = json_object_get(b, "channels"))) {
        strbuf s = STRBUF_INIT;
        size_t i;
        json_t *x;
        if (json_is_string(v))
            strbuf_addstr(&s, json_string_value(v));
        json_array_foreach(v, i, x) strbuf_addf(&s, "%s%lld", i ? "," : "", (long long)json_integer_value(x));
        int bad = omni_parse_channels(s.buf, &cfg);
        strbuf_release(&s);
        if (bad) {
            simhttp_reply_error(req, 400, "error", "channels: a list of positive channel ids");
            goto out;
        }
    }
    omni_data *nd = omni_data_new(&cfg), *old;
    pthread_rwlock_wrlock(&om->lock);
    old = om->d;
    om->d = nd;
    om->cfg = cfg;
    om->mapping_seq = 0;
    om->error_rate = om->timeout_rate = 0;
    om->error_status = 500;
    om->slow_ms = 0;
    atomic_store(&om->requests, 0);
    atomic_store(&om->logins, 0);
    atomic_store(&om->bulk_updates, 0);
    atomic_store(&om->items_updated, 0);
    pthread_rwlock_unlock(&om->lock);
    omni_data_free(old);
    strbuf_reset(&req->out);
    strbuf_addf(&req->out, "{\"reset\": true, \"orders\": %d}", cfg.orders);
    req->status = 200;
out:
    json_decref(b);
}

static const simhttp_control control = { control_state, control_order, control_faults, control_reset };

/* ---- routing ---- */

static void method_not_allowed(simhttp_req *req)
{
    simhttp_reply_error(req, 405, "detail", "Method \"%s\" not allowed.", req->method);
}

/* The authenticated API, one row per route: path pattern (simhttp_match),
 * method, what answers it, and its argument (the OMNI_* mode or is_item).
 * The patterns never overlap, so a path that matches a row but none with the
 * request's method gets 405, and one that matches no row 404. */
enum route_op { R_LIST_ORDERS, R_GET_ORDER, R_PATCH_ORDER, R_MAPPING, R_GET_MAPPINGS, R_LIST_CHILDREN, R_GET_CHILD,
                R_BULK_STATUS };

static const struct route {
    const char *pattern, *method;
    enum route_op op;
    int arg;
} routes[] = {
    { "/v1/orders", "GET", R_LIST_ORDERS, OMNI_LIST },
    { "/v1/orders/{}", "PATCH", R_PATCH_ORDER, 0 },
    { "/v1/orders/{}", "GET", R_GET_ORDER, OMNI_LIST },
    { "/v1/orders/{}/create_mapping", "POST", R_MAPPING, 0 },
    { "/v1/orders_integration/{}/detailed_integration", "GET", R_GET_ORDER, OMNI_DETAIL },
    { "/v1/orders_integration/detailed", "GET", R_LIST_ORDERS, OMNI_FULL },
    { "/v1/order_items", "GET", R_LIST_CHILDREN, 1 },
    { "/v1/order_items/bulk_status_update", "PATCH", R_BULK_STATUS, 0 },
    { "/v1/order_items/{}/detailed_integration", "GET", R_GET_CHILD, 1 },
    { "/v1/order_items/{}/create_mapping", "POST", R_MAPPING, 1 },
    { "/v1/order_items/{}/get_mappings", "GET", R_GET_MAPPINGS, 1 },
    { "/v1/discount_items", "GET", R_LIST_CHILDREN, 0 },
    { "/v1/discount_items/{}/detailed_integration", "GET", R_GET_CHILD, 0 },
};

static void dispatch(omni *om, simhttp_req *req, const char *p)
{
    int path_known = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        long long id = 0;
        if (!simhttp_match(p, r->pattern, &id, 1))
            continue;
        path_known = 1;
        if (strcmp(req->method, r->method) != 0)
            continue;
        switch (r->op) {
        case R_LIST_ORDERS: list_orders(om, req, r->arg); break;
        case R_GET_ORDER: get_order(om, req, id, r->arg); break;
        case R_PATCH_ORDER: patch_order(om, req, id); break;
        case R_MAPPING: create_mapping(om, req, id, r->arg); break;
        case R_GET_MAPPINGS: get_mappings(om, req, id); break;
        case R_LIST_CHILDREN: list_children(om, req, r->arg); break;
        case R_GET_CHILD: get_child(om, req, id, r->arg); break;
        case R_BULK_STATUS: bulk_status(om, req); break;
        }
        return;
    }
    if (path_known)
        method_not_allowed(req);
    else
        reply_detail(req, 404, "Not found.");
}

void omni_handle(void *ctx, simhttp_req *req)
{
    omni *om = ctx;
    if (!strncmp(req->path, "/_control/", 10)) {
        simhttp_handle_control(&control, om, req);
        return;
    }
    if (strncmp(req->path, "/api/", 5) != 0) {
        reply_detail(req, 404, "Not found.");
        return;
    }
    atomic_fetch_add(&om->requests, 1);

    /* "/api/i1/x/" and "/api/v1/x" both become "/v1/x". */
    char p[512];
    size_t len = strlen(req->path);
    if (len >= sizeof(p) || len < 8 || (strncmp(req->path, "/api/v1/", 8) && strncmp(req->path, "/api/i1/", 8))) {
        reply_detail(req, 404, "Not found.");
        return;
    }
    snprintf(p, sizeof(p), "/v1/%s", req->path + 8);
    len = strlen(p);
    if (p[len - 1] == '/')
        p[len - 1] = '\0';

    pthread_rwlock_rdlock(&om->lock);
    double er = om->error_rate, tr = om->timeout_rate;
    int es = om->error_status;
    unsigned slow = om->slow_ms;
    pthread_rwlock_unlock(&om->lock);
    if (tr > 0 && simhttp_rand_unit(om->cfg.seed) < tr)
        req->delay_ms = 60000;
    else
        req->delay_ms = slow;
    if (er > 0 && simhttp_rand_unit(om->cfg.seed) < er) {
        reply_detail(req, es, "Injected server error.");
        return;
    }

    if (!strcmp(p, "/v1/auth/login")) {
        if (!strcmp(req->method, "POST"))
            login(om, req);
        else
            method_not_allowed(req);
        return;
    }
    if (!authorized(om, req)) {
        reply_detail(req, 401, "Invalid token.");
        return;
    }

    dispatch(om, req, p);
}
