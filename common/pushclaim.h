/*
 * pushclaim: whether a pushed body counts, decided once.
 *
 * The receiver answers 202 only once Kafka has acknowledged a push, and
 * 503 when the acknowledgement does not come in time. But a message whose
 * wait ran out may still reach Kafka later: a broker that stalled with the
 * request in hand, an answer lost on the way back (librdkafka's "possibly
 * persisted"). Purging the producer's queue cannot recall a request that
 * is already with a broker. So each push's fate is claimed in Redis, once
 * (SET NX GET under "push:<run id>"), by whoever comes first:
 *
 *   - the transformer, when the push's message arrives: "taken";
 *   - the receiver, when Kafka acknowledged a push that has an
 *     Idempotency-Key (only a retry with that key can refuse it): "taken";
 *   - the receiver, when its wait ran out: "refused", before it answers 503;
 *   - a retry with the same Idempotency-Key, for an earlier attempt whose
 *     receiver is gone (killed mid-push): "refused".
 *
 * Whoever comes second obeys: a message that finds "refused" is dropped
 * (its pusher was told 503 and pushes again); a receiver whose wait ran
 * out but finds "taken" answers 202 (it did get through); a receiver whose
 * push was acknowledged but finds "refused" (a retry fenced it) answers
 * 503. So a 503 never hides a later delivery, and a 202 is never lost.
 */
#ifndef FF_PUSHCLAIM_H
#define FF_PUSHCLAIM_H

#include <stdint.h>

#include "store.h"
#include "strbuf.h"

/* A claim is kept for ttl_ms (the flow's Idempotency-Key window), and at
 * least this long. */
#define PUSHCLAIM_MIN_MS 3600000

/* Claims run_id's push as taken (the push goes on): 1 taken (by this call
 * or before), 0 refused earlier (drop it), -1 error. */
int pushclaim_take(store *s, const char *run_id, int64_t ttl_ms, strbuf *err);
/* Claims run_id's push as refused (it must never take effect): 1 refused
 * (by this call or before), 0 taken earlier (it counts), -1 error. */
int pushclaim_refuse(store *s, const char *run_id, int64_t ttl_ms, strbuf *err);

#endif
