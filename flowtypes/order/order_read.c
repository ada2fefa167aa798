/*
 * order_read.c: the Order Flow's Read Data From Omnitron step.
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
 * (omnitron_get_text) and spliced into
 * `{<detail's members>,"orderitem_set":[item,...],"discountitem_set":[discount,...]}`,
 * so the bodies are never parsed into values nor dumped again. Only the two
 * list answers are parsed, for each result's pk. A detail that has an
 * "orderitem_set" or "discountitem_set" member already (rare) is rebuilt
 * member by member from its tree, the lists taking those members' places,
 * as json_object_set_new would. Parsing the published record gives the
 * value the tree-building reader gave; the text differs only where the
 * detail's own text did (numbers and escapes are kept as Omnitron wrote them).
 */
#include "order.h"
#include "clock.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bqueue.h"
#include "fiber.h"
#include "jsontext.h"
#include "logev.h"
#include "paging.h"
#include "xalloc.h"
#include "omnitron.h"
#include "parking.h"
#include "jsonpath.h"

typedef struct reader {
    stage_ctx *base;
    const flow *f;
    const order_settings *o;
    const envelope *tick;
    bqueue q;
    pthread_mutex_t mu;
    char **pub;           /* keys published since the last flush (under mu) */
    size_t npub, cappub;
} reader;

static void set_pk(attrs *vars, json_t *obj)
{
    strbuf s = STRBUF_INIT;
    jsonpath_id_text(omnitron_record_id(obj), &s);
    attrs_set(vars, "pk", s.buf);
    strbuf_release(&s);
}

/* The members of the order detail the reader sets, in this order. */
static const char *const set_keys[] = { "orderitem_set", "discountitem_set", NULL };

/* Lists list_tmpl's results and appends their details to out as a JSON array
 * of their minified texts ("[d1,d2]"). 0, or -1 with err and *status set
 * (out then holds part of the array: the caller drops it). */
static int fetch_details(stage_ctx *c, const flow *f, auth_session *auth, const char *list_tmpl,
                         const char *detail_tmpl, const attrs *order_vars, strbuf *out, long *status, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    flow_fill_path(&p, list_tmpl, order_vars);
    json_t *list = omnitron_get_list(c, f, auth, p.buf, status, err);
    strbuf_release(&p);
    if (!list)
        return -1;
    json_t *results = omnitron_results(list);
    int rc = 0;
    size_t i;
    json_t *it;
    strbuf_addch(out, '[');
    json_array_foreach(results, i, it) {
        attrs v = ATTRS_INIT;
        set_pk(&v, it);
        flow_fill_path(&p, detail_tmpl, &v);
        attrs_release(&v);
        if (i)
            strbuf_addch(out, ',');
        rc = omnitron_get_text(c, f, auth, p.buf, out, NULL, status, err);
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

/* The record key of a listed order: its number, else its pk. */
static void order_key(json_t *item, strbuf *out)
{
    json_t *num = json_object_get(item, "number");
    strbuf_reset(out);
    if (json_is_string(num))
        strbuf_addstr(out, json_string_value(num));
    else
        jsonpath_id_text(omnitron_record_id(item), out);
}

int order_build(stage_ctx *c, const flow *f, auth_session *auth, json_t *item, strbuf *body, long *status,
                strbuf *err)
{
    const order_settings *o = order_settings_of(f);
    strbuf p = STRBUF_INIT, items = STRBUF_INIT, discounts = STRBUF_INIT;
    attrs vars = ATTRS_INIT;
    *status = 0;
    set_pk(&vars, item);
    /* The order detail goes straight into the body; the lists are fetched
     * even when it is not an object (the failure then names the detail). */
    size_t at = body->len;
    jsontext_top top = { set_keys, JSON_NULL, 0 };
    const strbuf *sets[2] = { &items, &discounts };
    flow_fill_path(&p, o->path_order_detail, &vars);
    int order = omnitron_get_text(c, f, auth, p.buf, body, &top, status, err) == 0;
    int ok = order && fetch_details(c, f, auth, o->path_items, o->path_item_detail, &vars, &items, status, err) == 0 &&
             fetch_details(c, f, auth, o->path_discounts, o->path_discount_detail, &vars, &discounts, status, err) == 0;
    if (order && top.type != JSON_OBJECT) {
        strbuf_seterr(err, "order detail is not a JSON object");
        ok = 0;
    }
    if (ok && add_sets(body, at, top.found != 0, sets, err) < 0)
        ok = 0;
    if (!ok)
        strbuf_setlen(body, at);
    attrs_release(&vars);
    strbuf_release(&p);
    strbuf_release(&items);
    strbuf_release(&discounts);
    return ok ? 0 : -1;
}

/* Notes key as published (counted at the next flush, once per run). */
static void note_published(reader *rd, const char *key)
{
    pthread_mutex_lock(&rd->mu);
    if (rd->npub == rd->cappub) {
        rd->cappub = rd->cappub ? rd->cappub * 2 : 64;
        rd->pub = xrealloc(rd->pub, rd->cappub * sizeof *rd->pub);
    }
    rd->pub[rd->npub++] = xstrdup(key);
    pthread_mutex_unlock(&rd->mu);
}

static void build_and_publish(reader *rd, stage_ctx *c, auth_session *auth, json_t *item)
{
    const flow *f = rd->f;
    const order_settings *o = rd->o;
    envelope e;
    strbuf err = STRBUF_INIT, key = STRBUF_INIT;
    long status = 0;
    double t0 = c->started_ms = clock_mono_ms();   /* the record's own time (its failure says it) */
    envelope_init(&e);
    envelope_set(&e.flow, f->name);
    envelope_set(&e.flow_type, f->type);
    envelope_set(&e.run_id, rd->tick->run_id);
    e.attempt = 1;
    e.created_ms = clock_wall_ms();
    attrs_copy(&e.attrs, &rd->tick->attrs);
    order_key(item, &key);
    envelope_set(&e.key, key.buf);

    /* The lease: free, or this run's own (a restarted reader reading the
     * same run again), is taken; held by another run (in the pipeline) or
     * "done" (finished moments ago, the list not showing it yet): not
     * published. A store that cannot be reached is not a silent skip: the
     * order is counted and fails with the reason (the next tick retries).
     * A parked record (parking.h) is not taken: no automatic retries. One
     * round trip asks both. */
    int got = store_lease_acquire_unparked(c->store, f->name, e.key, rd->tick->run_id, o->lease_ttl_ms,
                                           f->max_attempts, &err);
    if (got == 3)   /* this run published and finished it (a restarted reader): count it, once */
        note_published(rd, e.key);
    if (got == 0 || got == 2 || got == 3)
        goto out;
    note_published(rd, e.key);
    if (got < 0) {
        jsontext_dump(item, &e.body, 0);
        strbuf_insertstr(&err, 0, "lease: ");
        stage_fail(c, &e, "read", 0, err.buf);
        goto out;
    }
    if (order_build(c, f, auth, item, &e.body, &status, &err) < 0) {
        jsontext_dump(item, &e.body, 0);
        stage_fail(c, &e, "read", status, err.buf);
        goto out;
    }
    if (stage_emit(c, TOPIC_RECORDS, &e, &err) < 0)
        stage_fail(c, &e, "read", 0, err.buf);
    else
        stage_log_step(c, &e, "read", "success", status, NULL, clock_mono_ms() - t0);
out:
    strbuf_release(&err);
    strbuf_release(&key);
    envelope_release(&e);
}

static void builder(void *arg)
{
    reader *rd = arg;
    stage_ctx c = *rd->base;
    http_options ho = { rd->f->http_connect_timeout_ms, rd->f->http_timeout_ms, rd->f->http_max_response };
    auth_session auth;
    c.http = http_client_new(&ho);
    auth_init(&auth, &c, rd->f, 0);
    json_t *item;
    while ((item = bqueue_pop(&rd->q))) {
        build_and_publish(rd, &c, &auth, item);
        json_decref(item);
    }
    auth_release(&auth);
    http_client_free(c.http);
}

/* Counts what the builders published since the last flush: once per page,
 * not once per order (the run cannot complete before the final count
 * anyway). Each key counts once per run, so a reader restarted mid-run does
 * not count its orders twice. Keys a failed flush could not count are kept
 * for the next one. */
static int flush_published(reader *rd, stage_ctx *c, int final, run_counts *k, strbuf *err)
{
    pthread_mutex_lock(&rd->mu);
    char **keys = rd->pub;
    size_t n = rd->npub;
    rd->pub = NULL;
    rd->npub = rd->cappub = 0;
    pthread_mutex_unlock(&rd->mu);
    int rc = n || final ? store_run_published(c->store, rd->tick->run_id, (const char *const *)keys, n, final, k, err)
                        : 0;
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            note_published(rd, keys[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return rc;
}

int order_read(stage_ctx *c, const flow *f, const envelope *tick)
{
    const order_settings *o = order_settings_of(f);
    reader rd;
    strbuf err = STRBUF_INIT, url = STRBUF_INIT;
    auth_session auth;
    paging pg;
    run_counts k;
    int rc = 0;
    memset(&rd, 0, sizeof rd);
    rd.base = c;
    rd.f = f;
    rd.o = o;
    rd.tick = tick;
    pthread_mutex_init(&rd.mu, NULL);
    bqueue_init(&rd.q, (size_t)o->page_size * 2);

    store_run_start(c->store, tick->run_id, clock_wall_ms(), &err);
    stage_log_run(c, tick, "started", "in_progress", NULL);
    auth_init(&auth, c, f, 0);
    fiber_pool *builders = fiber_pool_start(c->loops, (int)o->read_concurrency, builder, &rd);

    paging_init(&pg, o->paging, f->omnitron_url, o->path_orders, o->page_size, o->max_list_requests,
                (int)o->max_passes);
    attrs vars = ATTRS_INIT;
    attrs_set(&vars, "channels", o->channels);
    long queued = 0;
    while (paging_next(&pg, &vars, &url)) {
        flush_published(&rd, c, 0, NULL, &err);
        long status = 0;
        json_t *list = omnitron_get(c, f, &auth, url.buf, &status, &err);
        if (!list && status == 404 && paging_past_end(&pg))
            continue;   /* the list shrank under the page number: the pass is over */
        if (!list) {
            strbuf_insertstr(&err, 0, "listing orders: ");
            paging_fail(&pg, err.buf);
            break;
        }
        json_t *fresh = paging_feed(&pg, list);
        size_t i;
        json_t *it;
        json_array_foreach(fresh, i, it) {
            if (o->max_orders_per_run && queued >= o->max_orders_per_run)
                break;
            json_incref(it);
            bqueue_push(&rd.q, it);
            queued++;
        }
        json_decref(fresh);
        json_decref(list);
        if (o->max_orders_per_run && queued >= o->max_orders_per_run)
            break;
    }
    attrs_release(&vars);
    bqueue_close(&rd.q);
    fiber_pool_join(builders);

    /* What the lists gave, and why the run stopped early if it did: a run
     * that could not read its whole list is failed, with the reason, in
     * its finished event (nothing is counted as published for it). */
    if (pg.error.len) {
        rc = -1;
        logev_say("reader", "error", NULL, "%s: %s", f->name, pg.error.buf);
        stage_log_record(c, tick, "read", "failed", 0, pg.error.buf, 0);
    }
    if (store_run_note(c->store, tick->run_id, pg.listed, pg.requests, pg.count, 0, pg.error.buf, &err) < 0)
        logev_say("reader", "error", NULL, "%s: run notes: %s", f->name, err.buf);
    /* Every record is counted: now the run can complete. */
    int done = flush_published(&rd, c, 1, &k, &err);
    if (done >= 0)   /* every record is out: Integrator's "in progress" */
        stage_log_run(c, tick, "published", "in_progress", &k);
    if (done == 1)
        stage_run_finished(c, tick, &k);
    else if (done < 0)
        logev_say("reader", "error", NULL, "%s: run counters: %s", f->name, err.buf);

    paging_release(&pg);
    auth_release(&auth);
    bqueue_destroy(&rd.q);
    pthread_mutex_destroy(&rd.mu);
    free(rd.pub);
    strbuf_release(&err);
    strbuf_release(&url);
    return rc;
}
