/*
 * stage_read.c: the Order Flow's Read Data From Omnitron step.
 *
 * One tick reads the unsent, not-canceled orders of the flow's channels page
 * by page (keyset pagination on the order id by default, so marking orders
 * sent while we read does not shift the pages under us). The main thread
 * lists pages into a bounded queue; a pool of `omnitron.concurrency` builders
 * (fibers on the service's --loops threads, fiber.h; each with its own HTTP
 * client) takes a lease on each order, builds the
 * detailed order (detail + items + discounts, each with its detail) and
 * publishes it. The queue bound is what keeps memory flat whatever the
 * backlog: listing waits while the builders are behind.
 *
 * An order whose lease is held is in the pipeline already (an earlier tick
 * published it): it is skipped, not published twice.
 *
 * The detailed order is assembled as text, not as a jansson tree: the order
 * detail and each item and discount detail are fetched checked and minified
 * (stage_omnitron_get_text) and spliced into
 * `{<detail's members>,"orderitem_set":[item,...],"discountitem_set":[discount,...]}`,
 * so the bodies are never parsed into values nor dumped again. Only the two
 * list answers are parsed, for each result's pk. A detail that has an
 * "orderitem_set" or "discountitem_set" member already (rare) is rebuilt
 * member by member from its tree, the lists taking those members' places,
 * as json_object_set_new would. Parsing the published record gives the
 * value the tree-building reader gave; the text differs only where the
 * detail's own text did (numbers and escapes are kept as Omnitron wrote them).
 */
#include "stages.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bqueue.h"
#include "fiber.h"
#include "jsontext.h"
#include "logev.h"

typedef struct reader {
    stage_ctx *base;
    const flow *f;
    const envelope *tick;
    bqueue q;
    long published;
    pthread_mutex_t mu;
} reader;

static void set_pk(attrs *vars, json_t *obj)
{
    strbuf s = STRBUF_INIT;
    json_id_text(json_record_id(obj), &s);
    attrs_set(vars, "pk", s.buf);
    strbuf_release(&s);
}

/* The members of the order detail the reader sets, in this order. */
static const char *const set_keys[] = { "orderitem_set", "discountitem_set", NULL };

/* Lists list_tmpl's results and appends their details to out as a JSON array
 * of their minified texts ("[d1,d2]"). 0, or -1 with err and *status set
 * (out then holds part of the array: the caller drops it). */
static int fetch_details(stage_ctx *c, const flow *f, stage_auth *auth, const char *list_tmpl,
                         const char *detail_tmpl, const attrs *order_vars, strbuf *out, long *status, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    flow_fill_path(&p, list_tmpl, order_vars);
    json_t *list = stage_omnitron_get_list(c, f, auth, p.buf, status, err);
    strbuf_release(&p);
    if (!list)
        return -1;
    json_t *results = json_results(list);
    int rc = 0;
    size_t i;
    json_t *it;
    strbuf_addch(out, '[');
    json_array_foreach(results, i, it) {
        attrs v = ATTRS_INIT;
        set_pk(&v, it);
        flow_fill_path(&p, detail_tmpl, &v);
        attrs_free(&v);
        if (i)
            strbuf_addch(out, ',');
        rc = stage_omnitron_get_text(c, f, auth, p.buf, out, NULL, status, err);
        strbuf_reset(&p);
        if (rc < 0)
            break;
    }
    strbuf_addch(out, ']');
    strbuf_release(&p);
    json_decref(list);
    return rc;
}

/* Appends "key": to out (escaped as jsontext_dump does), after a ',' unless first. */
static void add_key(strbuf *out, int first, const char *key, size_t klen)
{
    if (!first)
        strbuf_addch(out, ',');
    strbuf_addch(out, '"');
    strbuf_add_json_escaped(out, key, klen);
    strbuf_add(out, "\":", 2);
}

/* body[at..] is the minified order detail, an object: closes it with the
 * lists (sets[i] the text of set_keys[i]'s array). The common case splices
 * them in before the closing brace; a detail that has one of those members
 * already is rebuilt member by member, the list taking the member's place (as
 * json_object_set_new replaces a value where it is). 0, or -1 with err. */
static int add_sets(strbuf *body, size_t at, int has_sets, const strbuf *sets[2], strbuf *err)
{
    if (!has_sets) {
        strbuf_setlen(body, body->len - 1); /* the '}' */
        for (int i = 0; set_keys[i]; i++) {
            add_key(body, i == 0 && body->len == at + 1, set_keys[i], strlen(set_keys[i]));
            strbuf_add(body, sets[i]->buf, sets[i]->len);
        }
        strbuf_addch(body, '}');
        return 0;
    }
    strbuf e = STRBUF_INIT;
    json_t *order = jsontext_parse(body->buf + at, body->len - at, &e);
    if (!order) { /* cannot happen: the text was checked */
        strbuf_seterr(err, "order detail: %s", e.buf);
        strbuf_release(&e);
        return -1;
    }
    int placed[2] = { 0, 0 }, first = 1;
    strbuf_setlen(body, at);
    strbuf_addch(body, '{');
    for (void *it = json_object_iter(order); it; it = json_object_iter_next(order, it), first = 0) {
        const char *k = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        int i = 0;
        while (set_keys[i] && !(strlen(set_keys[i]) == klen && memcmp(set_keys[i], k, klen) == 0))
            i++;
        add_key(body, first, k, klen);
        if (set_keys[i]) {
            strbuf_add(body, sets[i]->buf, sets[i]->len);
            placed[i] = 1;
        } else {
            jsontext_dump(json_object_iter_value(it), body, 0);
        }
    }
    for (int i = 0; set_keys[i]; i++)
        if (!placed[i]) {
            add_key(body, first, set_keys[i], strlen(set_keys[i]));
            strbuf_add(body, sets[i]->buf, sets[i]->len);
            first = 0;
        }
    strbuf_addch(body, '}');
    json_decref(order);
    strbuf_release(&e);
    return 0;
}

static void build_and_publish(reader *rd, stage_ctx *c, stage_auth *auth, json_t *item)
{
    const flow *f = rd->f;
    envelope e;
    strbuf err = STRBUF_INIT, p = STRBUF_INIT, items = STRBUF_INIT, discounts = STRBUF_INIT;
    attrs vars = ATTRS_INIT;
    long status = 0;
    json_t *num = json_object_get(item, "number");
    envelope_init(&e);
    envelope_set(&e.flow, f->name);
    envelope_set(&e.flow_type, f->type);
    envelope_set(&e.run_id, rd->tick->run_id);
    e.attempt = 1;
    e.created_ms = now_ms();
    attrs_copy(&e.attrs, &rd->tick->attrs);
    set_pk(&vars, item);
    envelope_set(&e.key, json_is_string(num) ? json_string_value(num) : attrs_get(&vars, "pk"));

    int got = store_lease_acquire(c->store, f->name, e.key, rd->tick->run_id, f->lease_ttl_ms, &err);
    if (got <= 0) {   /* in flight already (or the store is down): not published */
        if (got < 0)
            fprintf(stderr, "reader: lease for %s: %s\n", e.key, err.buf);
        goto out;
    }
    pthread_mutex_lock(&rd->mu);
    rd->published++;
    pthread_mutex_unlock(&rd->mu);

    /* The order detail goes straight into the body; the lists are fetched
     * even when it is not an object (the failure then names the detail). */
    size_t at = e.body.len;
    jsontext_top top = { set_keys, JSON_NULL, 0 };
    const strbuf *sets[2] = { &items, &discounts };
    flow_fill_path(&p, f->path_order_detail, &vars);
    int order = stage_omnitron_get_text(c, f, auth, p.buf, &e.body, &top, &status, &err) == 0;
    int ok = order && fetch_details(c, f, auth, f->path_items, f->path_item_detail, &vars, &items, &status, &err) == 0 &&
             fetch_details(c, f, auth, f->path_discounts, f->path_discount_detail, &vars, &discounts, &status, &err) == 0;
    if (order && top.type != JSON_OBJECT) {
        strbuf_seterr(&err, "order detail is not a JSON object");
        ok = 0;
    }
    if (ok && add_sets(&e.body, at, top.found != 0, sets, &err) < 0)
        ok = 0;
    if (!ok) {
        strbuf_setlen(&e.body, at);
        jsontext_dump(item, &e.body, 0);
        stage_fail(c, &e, "read", status, err.buf);
        goto out;
    }
    if (stage_emit(c, TOPIC_RECORDS, &e, &err) < 0)
        stage_fail(c, &e, "read", 0, err.buf);
out:
    attrs_free(&vars);
    strbuf_release(&p);
    strbuf_release(&items);
    strbuf_release(&discounts);
    strbuf_release(&err);
    envelope_free(&e);
}

static void builder(void *arg)
{
    reader *rd = arg;
    stage_ctx c = *rd->base;
    http_options ho = { rd->f->http_connect_timeout_ms, rd->f->http_timeout_ms, rd->f->http_max_response };
    stage_auth auth;
    c.http = http_client_new(&ho);
    stage_auth_init(&auth, &c, rd->f, 0);
    json_t *item;
    while ((item = bqueue_pop(&rd->q))) {
        build_and_publish(rd, &c, &auth, item);
        json_decref(item);
    }
    stage_auth_release(&auth);
    http_client_free(c.http);
}

/* Adds what the builders published since the last flush to the run's
 * counter: once per page, not once per order (the run cannot complete
 * before the final count anyway). */
static void flush_published(reader *rd, stage_ctx *c, long *flushed, strbuf *err)
{
    pthread_mutex_lock(&rd->mu);
    long now = rd->published;
    pthread_mutex_unlock(&rd->mu);
    if (now > *flushed && store_run_published(c->store, rd->tick->run_id, now - *flushed, 0, NULL, err) == 0)
        *flushed = now;
}

int stage_read_orders(stage_ctx *c, const flow *f, const envelope *tick)
{
    reader rd;
    strbuf err = STRBUF_INIT, path = STRBUF_INIT, after = STRBUF_INIT;
    stage_auth auth;
    run_counts k;
    int rc = 0;
    memset(&rd, 0, sizeof rd);
    rd.base = c;
    rd.f = f;
    rd.tick = tick;
    pthread_mutex_init(&rd.mu, NULL);
    bqueue_init(&rd.q, (size_t)f->page_size * 2);

    store_run_start(c->store, tick->run_id, now_ms(), &err);
    stage_log_run(c, tick, "started", "in_progress", NULL);
    stage_auth_init(&auth, c, f, 0);

    fiber_pool *builders = fiber_pool_start(c->loops, f->read_concurrency, builder, &rd);

    long page = 1, listed = 0, flushed = 0;
    strbuf_addstr(&after, "0");
    for (;;) {
        flush_published(&rd, c, &flushed, &err);
        attrs vars = ATTRS_INIT;
        strbuf num = STRBUF_INIT;
        attrs_set(&vars, "channels", f->channels);
        attrs_set(&vars, "after", after.buf);
        strbuf_addf(&num, "%d", f->page_size);
        attrs_set(&vars, "limit", num.buf);
        strbuf_setf(&num, "%ld", page);
        attrs_set(&vars, "page", num.buf);
        strbuf_release(&num);
        strbuf_reset(&path);
        flow_fill_path(&path, f->path_orders, &vars);
        attrs_free(&vars);
        long status = 0;
        json_t *list = stage_omnitron_get(c, f, &auth, path.buf, &status, &err);
        if (!list) {
            fprintf(stderr, "reader: %s: listing orders: %s\n", f->name, err.buf);
            stage_log_record(c, tick, "read", "failed", status, err.buf, 0);
            rc = -1;
            break;
        }
        json_t *results = json_results(list);
        size_t i, got = json_array_size(results);
        strbuf prev_after = STRBUF_INIT;
        strbuf_addstr(&prev_after, after.buf);
        json_t *it;
        json_array_foreach(results, i, it) {
            if (f->max_orders_per_run && listed >= f->max_orders_per_run)
                break;
            json_id_text(json_record_id(it), &after);   /* kept when it has no id */
            json_incref(it);
            bqueue_push(&rd.q, it);
            listed++;
        }
        /* Keyset paging must move on: orders without ids would make the
         * next page this page again, forever. */
        int stuck = got > 0 && strstr(f->path_orders, "{after}") && strcmp(prev_after.buf, after.buf) == 0;
        strbuf_release(&prev_after);
        if (stuck) {
            strbuf_setf(&err, "listing orders: the orders of a page have no \"pk\" or \"id\", so the next page "
                              "cannot be asked for; stopping this run");
            fprintf(stderr, "reader: %s: %s\n", f->name, err.buf);
            stage_log_record(c, tick, "read", "failed", 0, err.buf, 0);
            json_decref(list);
            rc = -1;
            break;
        }
        json_t *next = json_is_object(list) ? json_object_get(list, "next") : NULL;
        int last = got < (size_t)f->page_size || (json_is_object(list) && json_object_get(list, "next") && json_is_null(next)) ||
                   (f->max_orders_per_run && listed >= f->max_orders_per_run);
        json_decref(list);
        if (last)
            break;
        page++;
    }
    bqueue_close(&rd.q);
    fiber_pool_join(builders);

    /* A run whose listing failed is a failed run, not an empty one: the
     * read counts as one published record that failed. */
    if (rc < 0) {
        store_run_published(c->store, tick->run_id, 1, 0, NULL, &err);
        store_run_outcome(c->store, tick->run_id, "failed", NULL, &err);
    }
    /* Every record is counted: now the run can complete. */
    int done = store_run_published(c->store, tick->run_id, rd.published - flushed, 1, &k, &err);
    if (done == 1)
        stage_run_finished(c, tick, &k);
    else if (done < 0)
        fprintf(stderr, "reader: %s: run counters: %s\n", f->name, err.buf);

    stage_auth_release(&auth);
    bqueue_destroy(&rd.q);
    pthread_mutex_destroy(&rd.mu);
    strbuf_release(&err);
    strbuf_release(&path);
    strbuf_release(&after);
    return rc;
}
