/*
 * erp_status.c: the simulated ERP's order status API (the Order Status
 * Flow's inbound read).
 *
 * The rows are what a test loads: POST /_control/statuses with an array
 * of order objects in the seed's shape ({"order": "ORD-000001",
 * "orderitems": [{"id": 1, "status": 500, ...}]}). Each loaded row is
 * stamped "modified_date" now (UTC, yyyy-MM-ddTHH:mm:ss.SSSSSS) unless it
 * has one, and replaces a row of the same order: loading again while a run
 * reads is a status changing under it.
 *
 *   GET /order_status?modified_date__gt=D&number=N&offset=O&limit=L
 *       the rows modified after D (text compared: the same format), or
 *       the one of order N, sorted by modified_date then order; offset
 *       and limit page them (no limit: all). Answer: a JSON array.
 *   GET /_control/status_requests   every request's query arguments, in
 *       order: [{"modified_date__gt": ..., "number": ..., ...}, ...]
 */
#include "erp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "jsontext.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *rows;       /* order -> row */
static json_t *requests;   /* the requests' query arguments */

static void now_text(strbuf *out)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strbuf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

static void load(simhttp_req *req)
{
    strbuf err = STRBUF_INIT, now = STRBUF_INIT;
    json_t *b = simhttp_body_json(req, &err);
    size_t i;
    json_t *r;
    if (!json_is_array(b)) {
        simhttp_reply_error(req, 400, "error", "expected an array of rows %s", err.buf);
        json_decref(b);
        strbuf_release(&err);
        return;
    }
    now_text(&now);
    pthread_mutex_lock(&mu);
    if (!rows)
        rows = json_object();
    json_array_foreach(b, i, r) {
        json_t *o = json_object_get(r, "order");
        if (!json_is_string(o))
            continue;
        json_t *copy = json_deep_copy(r);
        if (!json_object_get(copy, "modified_date"))
            json_object_set_new(copy, "modified_date", json_string(now.buf));
        json_object_set_new(rows, json_string_value(o), copy);
    }
    size_t n = json_object_size(rows);
    pthread_mutex_unlock(&mu);
    json_t *a = json_pack("{s:i}", "rows", (int)n);
    simhttp_reply_json(req, 200, a);
    json_decref(a);
    json_decref(b);
    strbuf_release(&err);
    strbuf_release(&now);
}

static int by_date(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "modified_date")),
                   json_string_value(json_object_get(y, "modified_date")));
    return c ? c : strcmp(json_string_value(json_object_get(x, "order")), json_string_value(json_object_get(y, "order")));
}

static void note_arg(void *arg, const char *key, const char *value)
{
    json_object_set_new((json_t *)arg, key, json_string(value ? value : ""));
}

/* A JSON value as XML elements named name (an array: one element per
 * entry; an object: its members as children; a scalar: its text). */
static void add_xml(strbuf *o, const char *name, json_t *v)
{
    size_t i;
    json_t *x;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) add_xml(o, name, x);
        return;
    }
    strbuf_addf(o, "<%s>", name);
    if (json_is_object(v)) {
        const char *k;
        json_object_foreach(v, k, x) add_xml(o, k, x);
    } else if (json_is_string(v)) {
        for (const char *p = json_string_value(v); *p; p++) {
            if (*p == '<') strbuf_addstr(o, "&lt;");
            else if (*p == '&') strbuf_addstr(o, "&amp;");
            else strbuf_addch(o, *p);
        }
    } else if (json_is_integer(v)) {
        strbuf_addf(o, "%lld", (long long)json_integer_value(v));
    }
    strbuf_addf(o, "</%s>", name);
}

/* ?format=xml: the rows as an XML document, an ERP that answers in XML:
 * <rows><row><order>..</order><orderitems><id>..</id>...</orderitems>...</row></rows> */
static void reply_xml(simhttp_req *req, json_t *rows_out)
{
    strbuf *o = &req->out;
    strbuf_reset(o);
    strbuf_addstr(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rows>");
    add_xml(o, "row", rows_out);
    strbuf_addstr(o, "</rows>\n");
    req->status = 200;
}

static void query(simhttp_req *req)
{
    const char *gt = simhttp_query(req, "modified_date__gt");
    const char *num = simhttp_query(req, "number");
    const char *off = simhttp_query(req, "offset"), *lim = simhttp_query(req, "limit");
    long o = off ? atol(off) : 0, l = lim ? atol(lim) : -1;
    json_t *args = json_object();
    simhttp_foreach(req, 0, note_arg, args);
    pthread_mutex_lock(&mu);
    if (!requests)
        requests = json_array();
    json_array_append_new(requests, args);
    size_t n = json_object_size(rows), k = 0;
    json_t **sel = calloc(n + 1, sizeof *sel);
    const char *key;
    json_t *r;
    json_object_foreach(rows, key, r) {
        const char *md = json_string_value(json_object_get(r, "modified_date"));
        if (num && strcmp(num, key) != 0)
            continue;
        if (!num && gt && md && strcmp(md, gt) <= 0)
            continue;
        sel[k++] = r;
    }
    qsort(sel, k, sizeof *sel, by_date);
    json_t *out = json_array();
    for (size_t i = (size_t)(o > 0 ? o : 0); i < k && (l < 0 || (long)json_array_size(out) < l); i++)
        json_array_append(out, sel[i]);
    pthread_mutex_unlock(&mu);
    free(sel);
    const char *fmt = simhttp_query(req, "format");
    if (fmt && !strcmp(fmt, "xml"))
        reply_xml(req, out);
    else
        simhttp_reply_json(req, 200, out);
    json_decref(out);
}

int erp_status_handle(simhttp_req *req)
{
    if (!strcmp(req->path, "/_control/statuses") && !strcmp(req->method, "POST")) {
        load(req);
    } else if (!strcmp(req->path, "/_control/status_requests")) {
        pthread_mutex_lock(&mu);
        if (!requests)
            requests = json_array();
        simhttp_reply_json(req, 200, requests);
        pthread_mutex_unlock(&mu);
    } else if (!strcmp(req->path, "/order_status") || !strcmp(req->path, "/order_status/")) {
        if (strcmp(req->method, "GET"))
            simhttp_reply_error(req, 405, "error", "method %s not allowed", req->method);
        else
            query(req);
    } else {
        return 0;
    }
    return 1;
}
