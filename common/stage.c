/*
 * stage.c: emitting, failing and counting records, and the dispatch of a
 * message to its flow's type. See stage.h.
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

#include "flow_type.h"
#include "clock.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "el.h"
#include "fiber.h"
#include "jsontext.h"
#include "logev.h"
#include "metrics.h"
#include "parking.h"

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
    if (http_status <= 0 && c->login_refused && !strcmp(outcome, "failed")) {
        http_status = c->login_refused;   /* a run that failed on a refused login (auth.c) */
        c->login_refused = 0;
    }
    logev_record(&j, e, stage, outcome, http_status, error, duration_ms, clock_wall_ms());
    emit_log(c, e->key, &j);
    strbuf_release(&j);
}

void stage_log_run(stage_ctx *c, const envelope *e, const char *event, const char *status, const run_counts *counts)
{
    strbuf j = STRBUF_INIT;
    logev_run(&j, e, event, status, counts, clock_wall_ms());
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
    /* a run that could not read its whole list failed, whatever it published */
    const char *status = k->error[0] ? "failed" : k->published == 0 ? "empty" : k->failed ? "failed" : "success";
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
    c->login_refused = 0;
    if (strcmp(outcome, "failed") != 0)   /* it made it: its failed attempts are forgotten (parking.h) */
        parking_clear(c, e->flow, lease);
    count("records_total", "Records that reached a final outcome, by flow type", e->flow_type, "outcome", outcome);
    /* A replayed record belongs to a run that has finished already: its
     * outcome is logged, not counted again; its lease (if its run still
     * holds one) is released all the same. One round trip either way. */
    if (e->attempt <= 1 && e->run_id && *e->run_id) {
        /* a finished record keeps its lease as "done" for a while: a list
         * page read before it finished cannot publish it again */
        int64_t keep = strcmp(outcome, "failed") != 0 ? STAGE_DONE_LEASE_MS : 0;
        int done = store_record_done(c->store, e->run_id, outcome, e->flow, lease, e->run_id, keep, &k, &err);
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
    /* a refused login's status is the failure's (auth.c); the attempt is
     * counted, and the record parked at the flow's max_attempts (parking.h) */
    if (http_status <= 0 && c->login_refused)
        http_status = c->login_refused;
    const flow *fl = c->flows ? flow_set_find(c->flows, e->flow ? e->flow : "") : NULL;
    long attempts = parking_count(c, fl, e, http_status);
    int parked = fl && attempts > 0 && attempts >= fl->max_attempts;
    envelope_init(&f);
    envelope_copy(&f, e);
    envelope_set(&f.stage, stage);
    envelope_set(&f.error, error);
    f.http_status = (int)http_status;
    envelope_set(&f.src_topic, c->src_topic);
    f.src_partition = c->src_partition;
    f.src_offset = c->src_offset;
    f.failed_ms = clock_wall_ms();
    if (attempts > 0) {
        char n[24];
        snprintf(n, sizeof n, "%ld", attempts);
        attrs_set(&f.attrs, PARKING_ATTR_ATTEMPTS, n);
    }
    if (parked)
        attrs_set(&f.attrs, PARKING_ATTR_PARKED, "true");
    if (stage_emit(c, TOPIC_FAILED, &f, &err) < 0)
        fprintf(stderr, "%s: cannot publish to the failed topic: %s\n", c->service, err.buf);
    /* one "parked" event when the count reaches the limit */
    stage_log_record(c, e, stage, parked && attempts == fl->max_attempts ? "parked" : "failed", http_status, error, 0);
    if (parked && attempts == fl->max_attempts)
        count("records_parked_total", "Records parked after max_attempts failures, by flow type", e->flow_type,
              "stage", stage);
    stage_outcome(c, e, "failed");
    envelope_free(&f);
    strbuf_release(&err);
}


/* The loaded flow a message is for, or NULL after failing the message
 * (a flow removed or renamed while its records were in flight). */
static const flow *flow_of(stage_ctx *c, envelope *e, const char *stage)
{
    const flow *f = flow_set_find(c->flows, e->flow ? e->flow : "");
    if (!f) {
        strbuf err = STRBUF_INIT;
        const flow_broken *b = flow_set_find_broken(c->flows, e->flow ? e->flow : "");
        if (b)   /* a file invalid everywhere: its records fail with its problems */
            strbuf_setf(&err, "flow \"%s\" did not load: %s", e->flow, b->problems);
        else
            strbuf_setf(&err, "no flow named \"%s\" is loaded here", e->flow ? e->flow : "");
        stage_fail(c, e, stage, 0, err.buf);
        strbuf_release(&err);
    }
    return f;
}

/* The last run each flow's ticks started in this process, to close a run
 * whose counters Redis lost (a restart without persistence): nobody could
 * ever complete it, so the next tick says so instead of leaving it open. */
static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static attrs last_runs = ATTRS_INIT;

static void close_lost_run(stage_ctx *c, const envelope *tick)
{
    strbuf prev = STRBUF_INIT, err = STRBUF_INIT;
    pthread_mutex_lock(&last_mu);
    const char *p = attrs_get(&last_runs, tick->flow);
    if (p)
        strbuf_addstr(&prev, p);
    attrs_set(&last_runs, tick->flow, tick->run_id ? tick->run_id : "");
    pthread_mutex_unlock(&last_mu);
    run_counts k;
    if (prev.len && tick->run_id && strcmp(prev.buf, tick->run_id) != 0 &&
        store_run_get(c->store, prev.buf, &k, &err) == 0) {
        envelope run;
        envelope_init(&run);
        envelope_set(&run.flow, tick->flow);
        envelope_set(&run.flow_type, tick->flow_type);
        envelope_set(&run.run_id, prev.buf);
        memset(&k, 0, sizeof k);
        snprintf(k.error, sizeof k.error, "the run's counters were lost (Redis lost its data while the run was open): "
                                          "its records went on, but how many succeeded cannot be told");
        stage_run_finished(c, &run, &k);
        envelope_free(&run);
    }
    strbuf_release(&prev);
    strbuf_release(&err);
}

void stage_read(stage_ctx *c, envelope *tick)
{
    const flow *f = flow_set_find(c->flows, tick->flow ? tick->flow : "");
    if (f && tick->flow)
        close_lost_run(c, tick);
    if (!f) {
        fprintf(stderr, "%s: tick for unknown flow \"%s\" ignored\n", c->service, tick->flow ? tick->flow : "");
        return;
    }
    f->ft->read(c, f, tick);
}

void stage_write(stage_ctx *c, envelope *e)
{
    const flow *f = flow_of(c, e, "write");
    if (f)
        f->ft->write(c, f, e);
}
