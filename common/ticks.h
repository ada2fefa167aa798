/*
 * ticks: the scheduler's decision, separate from its loop so it is tested
 * without Kafka.
 *
 * Only the replica holding the leader lock (store lock "scheduler", renewed
 * every step, expiring after lock_ttl_ms) emits ticks. For each enabled flow
 * with a schedule, the store keeps the last due time handled. A step emits
 * one tick when the next due time after it has come, then records now as
 * handled: after downtime the missed due times are skipped, not fired in a
 * burst. A SET NX marker per (flow, due time) makes the tick unique even if
 * two leaders overlap for a moment.
 *
 * Triggered By (schedule.after): the service that finishes a run notes it
 * in the store (ticks_note_finished: a short list per flow); at each step
 * the leader ticks every flow once for each upstream run that finished
 * since the one it handled last (with run.triggered_by "flow:<upstream>"),
 * even when several finished within one step. The note is
 * read by the scheduler, which loads every flow, so it works across flow
 * types whatever services each replica serves.
 */
#ifndef FF_TICKS_H
#define FF_TICKS_H

#include <stdint.h>

#include "envelope.h"
#include "flow.h"
#include "stage.h"

typedef struct ticks_sched {
    stage_ctx *c;               /* sink, store, prefix */
    const flow_set *flows;
    const char *owner;          /* this replica's lock owner id */
    int64_t lock_ttl_ms;
    int leader;
} ticks_sched;

/* One step at time now. Returns the number of ticks emitted, -1 on a store error. */
int ticks_step(ticks_sched *s, int64_t now);

/* Notes that the run of run->flow finished with status ("success",
 * "failed", "empty"), for the flows it triggers (schedule.after): the
 * scheduler's leader reads the note and ticks them. Called once per run, by
 * whichever service finished it. */
void ticks_note_finished(stage_ctx *c, const envelope *run, const char *status);
/* Finished runs kept per flow for its followers (a scheduler down longer
 * than that many runs misses the older ones). */
#define TICKS_FINISHED_KEEP 100

/* Fills a tick envelope for flow f: its run id, and the run.triggered_by
 * and run.is_triggered attributes (a manual run is triggered by a user). */
void ticks_make_tick(envelope *e, const flow *f, const char *run_id, const char *triggered_by, int is_triggered);

#endif
