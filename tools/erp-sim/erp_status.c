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
 *       More, for the other pagings:
 *         order_by=order      sorted by order instead;
 *         after=X             seek: only the rows whose order is after X;
 *         page_token=tN       the page at offset N (the token of shape=object);
 *         shape=object        the answer is {"rows": [...], "last_order":
 *                             the last row's order, "next": the next page's
 *                             URL (relative: this request with offset moved),
 *                             "next_token": its token}; "last_order", "next"
 *                             and "next_token" are null on the last page.
 *   GET /(S(<token>))/service/run?{'name': 'Akinon', 'Parameters':
 *       [{'Name': 'Order'|'Date', 'Value': V}]}   the seed's URL shape, the
 *       session token in the path: the query (percent-decoded, quotes
 *       read as JSON's) asks for order V or the rows modified after V.
 *       Answer: a JSON array.
 *   GET /_control/status_requests   every request's query arguments, in
 *       order: [{"modified_date__gt": ..., "number": ..., ...}, ...]
 *   GET /_control/status_targets    every request's target (path and
 *       query) exactly as it was received, not decoded: the bytes a
 *       client's URL encoding put on the wire.
 *   POST /order_status?...  the same, for a flow that reads with POST: its
 *       JSON body (the flow's Extra Params) is noted as "_body" with the
 *       request's arguments.
 *   POST /_control/status_paging {"require_header": ["X-Api-Key", "k1"]}
 *       every status request must carry that header (else 401); null: none.
 *   POST /_control/status_paging {"ignore_paging": true}   an ERP that
 *       ignores offset, after and page_token (every request gets the first
 *       page, "next" is the request's own target, "next_token" t0): a list
 *       that pages in a circle.
 */
#include "erp.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "jsontext.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *rows;       /* order -> row */
static int sorted_stale = 1; /* rows changed since sort_rows */
static json_t *requests;   /* the requests' query arguments */
static json_t *targets;    /* the requests' raw targets */
static int ignore_paging;
static char need_header[128], need_value[256];   /* a header every status request must carry ("": none) */

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
    sorted_stale = 1;
    size_t n = json_object_size(rows);
    pthread_mutex_unlock(&mu);
    json_t *a = json_pack("{s:i}", "rows", (int)n);
    simhttp_reply_json(req, 200, a);
    json_decref(a);
    json_decref(b);
    strbuf_release(&err);
    strbuf_release(&now);
}

/* The rows sorted both ways, made once after a load (under mu) rather than
 * per request: a request then filters a sorted list, and the simulator
 * serves pages of a large backlog as fast as a fleet reads them. */
typedef struct srow {
    json_t *row;
    const char *order, *md; /* md NULL: the row's modified_date is not a string */
} srow;
static srow *sorted_by_date, *sorted_by_order;
static size_t nsorted;

static int by_date(const void *a, const void *b)
{
    const srow *x = a, *y = b;
    int c = strcmp(x->md ? x->md : "", y->md ? y->md : "");
    return c ? c : strcmp(x->order, y->order);
}

static int by_order(const void *a, const void *b)
{
    return strcmp(((const srow *)a)->order, ((const srow *)b)->order);
}

static void sort_rows(void)
{
    if (!sorted_stale)
        return;
    size_t n = rows ? json_object_size(rows) : 0;
    free(sorted_by_date);
    free(sorted_by_order);
    sorted_by_date = calloc(n + 1, sizeof *sorted_by_date);
    sorted_by_order = calloc(n + 1, sizeof *sorted_by_order);
    nsorted = 0;
    const char *key;
    json_t *r;
    if (rows)
        json_object_foreach(rows, key, r)
            sorted_by_date[nsorted++] = (srow){ r, key, json_string_value(json_object_get(r, "modified_date")) };
    memcpy(sorted_by_order, sorted_by_date, nsorted * sizeof *sorted_by_date);
    qsort(sorted_by_date, nsorted, sizeof *sorted_by_date, by_date);
    qsort(sorted_by_order, nsorted, sizeof *sorted_by_order, by_order);
    sorted_stale = 0;
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


/* Notes a request (under mu): its arguments and its raw target. */
static void note_request(simhttp_req *req, json_t *args)
{
    if (!requests)
        requests = json_array();
    if (!targets)
        targets = json_array();
    json_array_append_new(requests, args);
    json_array_append_new(targets, json_string(req->target));
}

/* The rows of a request, sorted: of order num, else modified after gt
 * (NULL: all), whose order is after `after` (NULL: all). New array of
 * borrowed rows; call under mu. */
static json_t **select_rows(const char *num, const char *gt, const char *after, int sort_order, size_t *k)
{
    sort_rows();
    const srow *all = sort_order ? sorted_by_order : sorted_by_date;
    json_t **sel = calloc(nsorted + 1, sizeof *sel);
    *k = 0;
    for (size_t i = 0; i < nsorted; i++) {
        const srow *s = &all[i];
        if (num && strcmp(num, s->order) != 0)
            continue;
        if (!num && gt && s->md && strcmp(s->md, gt) <= 0)
            continue;
        if (after && strcmp(s->order, after) <= 0)
            continue;
        sel[(*k)++] = s->row;
    }
    return sel;
}

/* Appends one argument to the next link, but offset and page_token. */
static void add_arg(void *arg, const char *key, const char *value)
{
    strbuf *o = arg;
    static const char hex[] = "0123456789ABCDEF";
    if (!strcmp(key, "offset") || !strcmp(key, "page_token"))
        return;
    strbuf_addch(o, strchr(o->buf, '?') ? '&' : '?');
    for (int part = 0; part < 2; part++) {
        const char *t = part ? (value ? value : "") : key;
        if (part)
            strbuf_addch(o, '=');
        for (; *t; t++) {
            unsigned char ch = (unsigned char)*t;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~:", ch))
                strbuf_addch(o, (char)ch);
            else
                strbuf_addf(o, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
        }
    }
}

static void query(simhttp_req *req)
{
    const char *gt = simhttp_query(req, "modified_date__gt");
    const char *num = simhttp_query(req, "number");
    const char *off = simhttp_query(req, "offset"), *lim = simhttp_query(req, "limit");
    const char *after = simhttp_query(req, "after"), *tok = simhttp_query(req, "page_token");
    const char *ob = simhttp_query(req, "order_by"), *shape = simhttp_query(req, "shape");
    long o = off ? atol(off) : 0, l = lim ? atol(lim) : -1;
    json_t *args = json_object();
    simhttp_foreach(req, 0, note_arg, args);
    if (!strcmp(req->method, "POST")) {   /* the Extra Params: the JSON body, noted as it came */
        json_t *body = simhttp_body_json(req, NULL);
        json_object_set_new(args, "_body", body ? body : json_string("(not JSON)"));
    }
    pthread_mutex_lock(&mu);
    note_request(req, args);
    if (need_header[0]) {
        const char *got = simhttp_header(req, need_header);
        if (!got || strcmp(got, need_value) != 0) {
            pthread_mutex_unlock(&mu);
            simhttp_reply_error(req, 401, "error", "the %s header is missing or wrong", need_header);
            return;
        }
    }
    if (tok && tok[0] == 't')
        o = atol(tok + 1);
    if (ignore_paging) {
        o = 0;
        after = NULL;
    }
    size_t k;
    json_t **sel = select_rows(num, gt, after, ob && !strcmp(ob, "order"), &k);
    json_t *out = json_array();
    if (o < 0)
        o = 0;
    for (size_t i = (size_t)o; i < k && (l < 0 || (long)json_array_size(out) < l); i++)
        json_array_append(out, sel[i]);
    pthread_mutex_unlock(&mu);
    free(sel);
    int more = l > 0 && (size_t)o + (size_t)l < k;
    if (shape && !strcmp(shape, "object")) {
        strbuf link = STRBUF_INIT, t = STRBUF_INIT;
        long at = ignore_paging ? 0 : o + (l > 0 ? l : 0);
        if (ignore_paging) {   /* a list that pages in a circle: the next page is this one */
            strbuf_addstr(&link, req->target);
        } else {
            strbuf_addstr(&link, req->path);
            simhttp_foreach(req, 0, add_arg, &link);
            strbuf_addf(&link, "%soffset=%ld", strchr(link.buf, '?') ? "&" : "?", at);
        }
        strbuf_addf(&t, "t%ld", at);
        size_t n = json_array_size(out);
        json_t *last = n ? json_object_get(json_array_get(out, n - 1), "order") : NULL;
        json_t *a = json_pack("{s:O, s:O, s:o, s:o}", "rows", out, "last_order", more && last ? last : json_null(),
                              "next", more ? json_string(link.buf) : json_null(),
                              "next_token", more ? json_string(t.buf) : json_null());
        simhttp_reply_json(req, 200, a);
        json_decref(a);
        strbuf_release(&link);
        strbuf_release(&t);
        json_decref(out);
        return;
    }
    const char *fmt = simhttp_query(req, "format");
    if (fmt && !strcmp(fmt, "xml"))
        reply_xml(req, out);
    else
        simhttp_reply_json(req, 200, out);
    json_decref(out);
}

/* Percent-decodes s[0..n) into out. */
static void pct_decode(const char *s, size_t n, strbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            char h[3] = { s[i + 1], s[i + 2], 0 };
            strbuf_addch(out, (char)strtol(h, NULL, 16));
            i += 2;
        } else {
            strbuf_addch(out, s[i]);
        }
    }
}

/* The seed's URL shape: /(S(<token>))/service/run?{'name': ..., 'Parameters': [...]} */
static int is_service_run(const char *path)
{
    size_t n = strlen(path);
    const char *tail = "))/service/run";
    return strncmp(path, "/(S(", 4) == 0 && n > 4 + strlen(tail) && strcmp(path + n - strlen(tail), tail) == 0;
}

static void service_run(simhttp_req *req)
{
    const char *q = strchr(req->target, '?');
    strbuf text = STRBUF_INIT, err = STRBUF_INIT;
    json_t *args = json_object();
    if (q)
        pct_decode(q + 1, strlen(q + 1), &text);
    for (size_t i = 0; i < text.len; i++)
        if (text.buf[i] == '\'')
            text.buf[i] = '"';
    json_object_set_new(args, "query", json_string(text.buf));
    pthread_mutex_lock(&mu);
    note_request(req, args);
    pthread_mutex_unlock(&mu);
    json_t *body = jsontext_parse(text.buf, text.len, &err);
    json_t *p = json_array_get(json_object_get(body, "Parameters"), 0);
    const char *name = json_string_value(json_object_get(p, "Name"));
    const char *value = json_string_value(json_object_get(p, "Value"));
    if (!name || !value || (strcmp(name, "Order") && strcmp(name, "Date"))) {
        simhttp_reply_error(req, 400, "error", "expected {'name': ..., 'Parameters': [{'Name': 'Order'|'Date', "
                            "'Value': ...}]}, got \"%s\" %s", text.buf, err.buf);
    } else {
        size_t k;
        pthread_mutex_lock(&mu);
        json_t **sel = select_rows(!strcmp(name, "Order") ? value : NULL, !strcmp(name, "Date") ? value : NULL,
                                   NULL, 0, &k);
        json_t *out = json_array();
        for (size_t i = 0; i < k; i++)
            json_array_append(out, sel[i]);
        pthread_mutex_unlock(&mu);
        free(sel);
        simhttp_reply_json(req, 200, out);
        json_decref(out);
    }
    json_decref(body);
    strbuf_release(&text);
    strbuf_release(&err);
}

static void set_paging(simhttp_req *req)
{
    strbuf err = STRBUF_INIT;
    json_t *b = simhttp_body_json(req, &err);
    if (!json_is_object(b)) {
        simhttp_reply_error(req, 400, "error", "expected {\"ignore_paging\": true|false, \"require_header\": [name, value]|null} %s", err.buf);
    } else {
        pthread_mutex_lock(&mu);
        if (json_object_get(b, "ignore_paging"))
            ignore_paging = json_is_true(json_object_get(b, "ignore_paging"));
        json_t *h = json_object_get(b, "require_header");
        if (json_is_array(h) && json_array_size(h) == 2) {
            snprintf(need_header, sizeof need_header, "%s", json_string_value(json_array_get(h, 0)) ?: "");
            snprintf(need_value, sizeof need_value, "%s", json_string_value(json_array_get(h, 1)) ?: "");
        } else if (json_is_null(h)) {
            need_header[0] = need_value[0] = '\0';
        }
        pthread_mutex_unlock(&mu);
        simhttp_reply_json(req, 200, b);
    }
    json_decref(b);
    strbuf_release(&err);
}

/* Answers one of the request lists. */
static void reply_list(simhttp_req *req, json_t **list)
{
    pthread_mutex_lock(&mu);
    if (!*list)
        *list = json_array();
    simhttp_reply_json(req, 200, *list);
    pthread_mutex_unlock(&mu);
}

int erp_status_handle(simhttp_req *req)
{
    if (!strcmp(req->path, "/_control/statuses") && !strcmp(req->method, "POST")) {
        load(req);
    } else if (!strcmp(req->path, "/_control/status_requests")) {
        reply_list(req, &requests);
    } else if (!strcmp(req->path, "/_control/status_targets")) {
        reply_list(req, &targets);
    } else if (!strcmp(req->path, "/_control/status_paging") && !strcmp(req->method, "POST")) {
        set_paging(req);
    } else if (is_service_run(req->path)) {
        if (strcmp(req->method, "GET"))
            simhttp_reply_error(req, 405, "error", "method %s not allowed", req->method);
        else
            service_run(req);
    } else if (!strcmp(req->path, "/order_status") || !strcmp(req->path, "/order_status/")) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
            simhttp_reply_error(req, 405, "error", "method %s not allowed", req->method);
        else
            query(req);
    } else {
        return 0;
    }
    return 1;
}
