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
#include "ticks.h"
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
        logev_say(c->service, "error", NULL, "cannot publish log event: %s", err.buf);
    strbuf_release(&topic);
    strbuf_release(&err);
}

static double since_start(const stage_ctx *c)
{
    return c->started_ms > 0 ? clock_mono_ms() - c->started_ms : 0;
}

static int tries_of(const stage_ctx *c)
{
    return c->tries > 0 ? c->tries : http_client_last_tries(c->http);
}

void stage_log_record(stage_ctx *c, const envelope *e, const char *stage, const char *outcome,
                      long http_status, const char *error, double duration_ms)
{
    strbuf j = STRBUF_INIT;
    logev_rec r = { stage, outcome, http_status, error, NULL, duration_ms > 0 ? duration_ms : since_start(c),
                    tries_of(c) };
    if (http_status <= 0 && c->login_refused && !strcmp(outcome, "failed")) {
        r.http_status = c->login_refused;   /* a run that failed on a refused login (auth.c) */
        c->login_refused = 0;
    }
    if (!strcmp(outcome, "skipped")) {   /* a skip carries a reason, not an error */
        const char *why = attrs_get(&e->attrs, "log.skip_reason");
        r.reason = why ? why : !strcmp(stage, "script") ? "removed_by_script" : error;
        r.error = NULL;
    }
    logev_record(&j, e, &r, clock_wall_ms());
    emit_log(c, e->key, &j);
    strbuf_release(&j);
}

void stage_log_step(stage_ctx *c, const envelope *e, const char *step, const char *status, long http_status,
                    const char *error, double duration_ms)
{
    strbuf j = STRBUF_INIT;
    logev_step(&j, e, step, status, http_status, error, duration_ms, tries_of(c), clock_wall_ms());
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

#define RUN_DURATION_HELP "Runs' duration, start to finish, by flow type and flow"
#define LAST_SUCCESS_HELP                                                                                            \
    "When a run of the flow last finished success or empty (Unix time; 0: not since this process started; take "   \
    "the max over replicas)"

/* The labels type, flow (when the flow is loaded here: flow names are few
 * and validated at load; anything else is "unknown", so a stray message
 * cannot grow the label set) and one more, into l. Never record ids. */
static void labels(strbuf *l, const stage_ctx *c, const envelope *e, const char *label, const char *value)
{
    int known = c->flows && e->flow && flow_set_find(c->flows, e->flow);
    strbuf_addstr(l, "type=\"");
    metrics_label_escape(l, e->flow_type && *e->flow_type ? e->flow_type : "unknown");
    strbuf_addstr(l, "\",flow=\"");
    metrics_label_escape(l, known ? e->flow : "unknown");
    strbuf_addch(l, '"');
    if (label) {
        strbuf_addf(l, ",%s=\"", label);
        metrics_label_escape(l, value);
        strbuf_addch(l, '"');
    }
}

static void count(const stage_ctx *c, const envelope *e, const char *name, const char *help, const char *label,
                  const char *value)
{
    strbuf l = STRBUF_INIT;
    labels(&l, c, e, label, value);
    metric_add(metrics_counter(name, l.buf, help), 1);
    strbuf_release(&l);
}

void stage_metrics_declare(const flow_set *flows)
{
    static const char *const outcomes[] = { "success", "failed", "parked", "skipped" };
    static const char *const statuses[] = { "success", "failed", "empty" };
    stage_ctx c;
    memset(&c, 0, sizeof c);
    c.flows = flows;
    for (size_t i = 0; flows && i < flows->n; i++) {
        envelope e;
        strbuf l = STRBUF_INIT;
        envelope_init(&e);
        envelope_set(&e.flow, flows->flows[i]->name);
        envelope_set(&e.flow_type, flows->flows[i]->type);
        for (size_t k = 0; k < sizeof outcomes / sizeof *outcomes; k++) {
            strbuf_reset(&l);
            labels(&l, &c, &e, "outcome", outcomes[k]);
            metrics_counter("records_total", l.buf, "Records that reached a final outcome, by flow type, flow and outcome");
        }
        for (size_t k = 0; k < sizeof statuses / sizeof *statuses; k++) {
            strbuf_reset(&l);
            labels(&l, &c, &e, "status", statuses[k]);
            metrics_counter("runs_finished_total", l.buf, "Runs finished, by flow type, flow and status");
        }
        strbuf_reset(&l);
        labels(&l, &c, &e, NULL, NULL);
        metrics_counter("records_parked_total", l.buf, "Records parked after max_attempts failures, by flow type and flow");
        metrics_counter("login_refusals_total", l.buf, "Records failed on a refused or backed-off login, by flow type and flow");
        metrics_gauge("last_success_timestamp_seconds", l.buf, LAST_SUCCESS_HELP);
        metrics_histogram("run_duration_seconds", l.buf, RUN_DURATION_HELP);
        strbuf_release(&l);
        envelope_release(&e);
    }
}

void stage_run_finished(stage_ctx *c, const envelope *e, const run_counts *k)
{
    /* a run that could not read its whole list failed, whatever it published */
    const char *status = k->error[0] ? "failed" : k->published == 0 ? "empty" : k->failed ? "failed" : "success";
    int64_t now = clock_wall_ms();
    count(c, e, "runs_finished_total", "Runs finished, by flow type, flow and status", "status", status);
    strbuf l = STRBUF_INIT;
    labels(&l, c, e, NULL, NULL);
    if (k->started_ms > 0 && now >= k->started_ms)
        metric_observe_ms(metrics_histogram("run_duration_seconds", l.buf, RUN_DURATION_HELP),
                          (double)(now - k->started_ms));
    /* an empty run is a healthy one too: nothing was due */
    if (!strcmp(status, "success") || !strcmp(status, "empty"))
        metric_set(metrics_gauge("last_success_timestamp_seconds", l.buf, LAST_SUCCESS_HELP), (long)(now / 1000));
    strbuf_release(&l);
    envelope run;
    envelope_init(&run);
    envelope_set(&run.flow, e->flow);
    envelope_set(&run.flow_type, e->flow_type);
    envelope_set(&run.run_id, e->run_id);
    attrs_set(&run.attrs, "run.triggered_by", attrs_get(&e->attrs, "run.triggered_by"));
    attrs_set(&run.attrs, "run.is_triggered", attrs_get(&e->attrs, "run.is_triggered"));
    stage_log_run(c, &run, "finished", status, k);
    ticks_note_finished(c, &run, status);   /* for the flows it triggers (schedule.after) */
    envelope_release(&run);
}

void stage_outcome(stage_ctx *c, const envelope *e, const char *outcome)
{
    strbuf err = STRBUF_INIT;
    run_counts k;
    const char *lease = e->key && *e->key ? e->key : NULL;
    /* the run counters' words (store.h); a parked record is a failed one */
    if (!strcmp(outcome, "succeeded"))
        outcome = "success";
    int failed = !strcmp(outcome, "failed") || !strcmp(outcome, "parked");
    int withdrawn = !strcmp(outcome, "withdrawn");
    const char *counted = !strcmp(outcome, "success") ? "succeeded" : failed ? "failed" : outcome;
    c->login_refused = 0;
    c->tries = 0;
    /* it made it: its failed attempts are forgotten (parking.h), by
     * store_record_done below, or here for a replayed record */
    if (!failed && !(e->attempt <= 1 && e->run_id && *e->run_id))
        parking_clear(c, e->flow, lease);
    if (!withdrawn)   /* not an outcome of a record: it left the run's counts */
        count(c, e, "records_total", "Records that reached a final outcome, by flow type, flow and outcome",
              "outcome", outcome);
    /* A replayed record belongs to a run that has finished already: its
     * outcome is logged, not counted again; its lease (if its run still
     * holds one) is released all the same. One round trip either way. */
    if (e->attempt <= 1 && e->run_id && *e->run_id) {
        /* a finished record keeps its lease as "done" for a while: a list
         * page read before it finished cannot publish it again */
        int64_t keep = !failed ? STAGE_DONE_LEASE_MS : 0;
        int done = store_record_done(c->store, e->run_id, counted, e->flow, lease, e->run_id, keep, &k, &err);
        if (done < 0)
            logev_say(c->service, "error", e, "run counter for %s: %s", e->run_id, err.buf);
        else if (done == 1)
            stage_run_finished(c, e, &k);
    } else if (lease && store_lease_release(c->store, e->flow, lease, e->run_id, &err) < 0) {
        logev_say(c->service, "error", e, "lease release for %s: %s", lease, err.buf);
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
        logev_say(c->service, "error", e, "cannot publish to the failed topic: %s", err.buf);
    /* the step that failed, then the record's event: one "parked" event
     * when the count reaches the limit */
    int parks = parked && attempts == fl->max_attempts;
    double took = since_start(c);
    stage_log_step(c, e, stage, "failed", http_status, error, took);
    stage_log_record(c, e, stage, parks ? "parked" : "failed", http_status, error, took);
    count(c, e, "record_failures_total", "Record failures (each delivery that failed), by flow type, flow and stage",
          "stage", stage);
    if (c->login_refused)   /* a refused login, or one paused (backed off) after a refusal (auth.c) */
        count(c, e, "login_refusals_total", "Records failed on a refused or backed-off login, by flow type and flow",
              NULL, NULL);
    if (parks)
        count(c, e, "records_parked_total", "Records parked after max_attempts failures, by flow type and flow", NULL,
              NULL);
    stage_outcome(c, e, parks ? "parked" : "failed");
    envelope_release(&f);
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
        envelope_release(&run);
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
        logev_say(c->service, "warning", tick, "tick for unknown flow \"%s\" ignored", tick->flow ? tick->flow : "");
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
