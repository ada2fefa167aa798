/*
 * parking: a record that keeps failing stops being retried.
 *
 * A record is known across ticks and replays by its flow and key (the order
 * number). Each failure that counts adds one to its attempts in the store
 * (attempts:<flow>:<key>, kept 7 days after the last failure); when the
 * count reaches the flow's max_attempts the record is parked: its failure is
 * logged with outcome "parked" (its copy on the failed topic is marked, see
 * below), and the reader no longer publishes it (parking_check, or in the
 * same round trip as the lease: store_lease_acquire_unparked), so it is no
 * longer retried automatically. `flowctl replay` sends it again and clears
 * the count; a success or a skip clears it too.
 *
 * What does not count: an HTTP 429 or 503 (the other side asks us to wait),
 * a refused or paused login (stage_ctx.login_refused: the system's fault, not
 * the record's), and a failure for a flow not loaded here.
 *
 * The failed topic's copy of a failure carries its count in the attribute
 * "failed.attempts" and, when it parked the record, "failed.parked" = "true";
 * replay takes both out before the record goes back into the pipeline.
 */
#ifndef FF_PARKING_H
#define FF_PARKING_H

#include "envelope.h"
#include "flow.h"
#include "stage.h"

/* How long a record's count is kept after its last failure. */
#define PARKING_TTL_MS (7LL * 24 * 3600 * 1000)

#define PARKING_ATTR_ATTEMPTS "failed.attempts"
#define PARKING_ATTR_PARKED "failed.parked"

/* 1 when the record (flow f, key) is parked, 0 when not, -1 when the store
 * cannot say (err set; the caller treats the record as not parked). */
int parking_check(stage_ctx *c, const flow *f, const char *key, strbuf *err);
/* Counts one failed attempt of e for flow f when the failure counts
 * (http_status and c->login_refused, see above). Returns the count after it
 * (0 when it did not count or the store failed: logged on stderr). */
long parking_count(stage_ctx *c, const flow *f, const envelope *e, long http_status);
/* Forgets the record's count (flow, key): it succeeded, was skipped, or was
 * replayed. Errors go to stderr. */
void parking_clear(stage_ctx *c, const char *flow, const char *key);
/* The same through a bare store (flowctl replay). 0 or -1 with err. */
int parking_clear_store(store *st, const char *flow, const char *key, strbuf *err);
/* The record's count: >= 0, or -1 with err. */
long parking_attempts(store *st, const char *flow, const char *key, strbuf *err);

#endif
