/*
 * stage: what every pipeline stage shares, and the seam that lets a stage
 * run without Kafka.
 *
 * A stage is a function from one input envelope to outputs plus side
 * effects, all through a stage_ctx: messages go out through a `sink` (the
 * bus in a service, a memory list in a test), state through the store, HTTP
 * through the context's client. The helpers here are the one way to emit a
 * record, a log event, a failure (failed topic + failed record event + run
 * outcome + lease release) and a final outcome (run counters, and the run's
 * "finished" event from whichever replica completes it).
 */
#ifndef FF_STAGE_H
#define FF_STAGE_H

#include <stdint.h>

#include <jansson.h>

#include "bus.h"
#include "envelope.h"
#include "flow.h"
#include "http.h"
#include "store.h"
#include "strbuf.h"

typedef struct sink {
    /* Produces one message; origin is the consumed message it is for. 0 or -1. */
    int (*produce)(void *ctx, const char *topic, const char *key, const void *payload, size_t len,
                   void *origin, strbuf *err);
    void *ctx;
} sink;

typedef struct stage_ctx {
    const char *service;      /* "reader", "transformer", "writer" */
    const char *prefix;       /* topic prefix */
    sink out;
    store *store;
    http_client *http;        /* this worker's client */
    int loops;                /* OS threads a stage's own fiber pool may use (0: the default) */
    const flow_set *flows;
    void *origin;             /* the consumed message being handled */
    const char *src_topic;
    int32_t src_partition;
    int64_t src_offset;
    unsigned seed;
    long login_refused;       /* set by auth.c: the HTTP status of a login refused
                               * (or paused after a refusal) for the record in
                               * hand; its failure carries that status and does
                               * not count as an attempt (parking.h). Cleared
                               * when the record ends */
    double started_ms;        /* clock_mono_ms() when the record in hand
                               * started in this service (worker.c), so a
                               * failure says how long it took; 0: unknown */
    int tries;                /* tries of the call that decided the record's
                               * outcome, when the stage counted them itself
                               * (the ERP write's loop); 0: the HTTP client's
                               * last call's. Cleared when the record ends */
} stage_ctx;

/* Encodes e and produces it to <prefix>.<e->flow_type>.<kind>, keyed by e->key. */
int stage_emit(stage_ctx *c, enum bus_topic_kind kind, const envelope *e, strbuf *err);
/* A record event (logev.h; the words are logev's vocabulary). For
 * outcome "skipped", `error` is the reason instead: a word of
 * logev_skip_reasons (the record's "log.skip_reason" attribute, when set,
 * wins; a skip in the "script" stage is "removed_by_script"). duration_ms
 * <= 0: the time since the record started here (c->started_ms). */
void stage_log_record(stage_ctx *c, const envelope *e, const char *stage, const char *outcome,
                      long http_status, const char *error, double duration_ms);
/* A step event: the record passed step (a stage word) with status
 * "success", "failed" or "skipped", in duration_ms. */
void stage_log_step(stage_ctx *c, const envelope *e, const char *step, const char *status, long http_status,
                    const char *error, double duration_ms);
void stage_log_run(stage_ctx *c, const envelope *e, const char *event, const char *status,
                   const run_counts *counts);
/* The record failed in `stage`: to the failed topic with its context, a
 * failed step event and a failed (or parked) record event, the run's failed
 * count, and its lease released. */
void stage_fail(stage_ctx *c, const envelope *e, const char *stage, long http_status, const char *error);
/* The record reached a final outcome ("success", "failed", "parked",
 * "skipped": logev's words, also the metrics' outcome label):
 * counts it (once per run, however often it was delivered), and emits the
 * run's finished event when this completed the run. A failed record's lease
 * is released (the next tick retries it); a finished one's is kept as
 * "done" for STAGE_DONE_LEASE_MS, so a list page read before it finished
 * (Omnitron not yet showing it sent) cannot publish it again. */
#define STAGE_DONE_LEASE_MS (10LL * 60 * 1000)
/* "withdrawn": the record leaves the run's published count instead of
 * being counted (a record that only carried others, published in its place:
 * an Order Status page once its rows are out), releasing its lease as a
 * success does. */
void stage_outcome(stage_ctx *c, const envelope *e, const char *outcome);
/* Registers the per-flow metrics of every flow in flows at zero, so that
 * /metrics lists them (and dashboards and alerts see a series) before the
 * first record. */
void stage_metrics_declare(const flow_set *flows);
/* Emits the finished event for a run whose counters say it is complete. */
void stage_run_finished(stage_ctx *c, const envelope *e, const run_counts *counts);

/* The shared stages, each dispatching to the flow's type (flow_type.h):
 * the reader's tick, the transformer's Script Step then Mapping Step (or
 * the type's own transform), the writer's record. A message for a flow not
 * loaded here fails with a clear error. */
void stage_read(stage_ctx *c, envelope *tick);
void stage_transform(stage_ctx *c, envelope *in);
void stage_write(stage_ctx *c, envelope *in);

/* The Script Step of a flow (none: 0, nothing done): e's body replaced by
 * the script's output and 0; 1 when the script removed the record (logged
 * as skipped, its outcome counted); -1 when it failed (failed already). */
int stage_script_step(stage_ctx *c, const flow *f, envelope *e);
/* Runs a script step on e (body in, output out), tokens put in the
 * attributes for the run only. 0 ok, 1 the script removed the record,
 * -1 it failed (the record has been failed through stage_fail). */
int stage_run_script(stage_ctx *c, const flow *f, const flow_script *s, envelope *e, const char *stage_name,
                     strbuf *output);
/* The Mapping Step on a record's text: the output appended to out (the
 * caller's) and 0, or -1 with err "mapping: ..." (saying so when the
 * record is not JSON at all). f must have a mapping. */
int stage_map_text(const flow *f, const char *in, size_t len, strbuf *out, strbuf *err);

#endif
