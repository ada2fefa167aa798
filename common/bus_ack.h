/*
 * bus_ack: a producer that answers, per message, whether Kafka has it.
 *
 * The receiver may say "202 Accepted" to a pusher only once the pushed body
 * is durable, and must say "503" when it is not, without the message being
 * delivered later behind the pusher's back. So each message here is
 * produced with a delivery timeout (librdkafka's message.timeout.ms = the
 * acker's timeout) and the sender waits for its delivery report: acked, or
 * failed (timed out in the queue, the broker unreachable, ...), after which
 * librdkafka never delivers it. The producer is idempotent, so its own
 * retries cannot store a message twice. (A message already handed to a
 * broker when its time ran out can, as Kafka documents, still have been
 * written; the pusher then retries with the same Idempotency-Key.)
 *
 * Separate from bus.h's producer on purpose: there a failed delivery is
 * fatal to the process (its input is consumed again after a restart); here
 * it is one HTTP answer.
 */
#ifndef FF_BUS_ACK_H
#define FF_BUS_ACK_H

#include <stddef.h>

#include "bus.h"
#include "strbuf.h"

typedef struct bus_acker bus_acker;

/* cfg: brokers, client id and extra settings (its group is not used).
 * NULL with err. */
bus_acker *bus_acker_new(const bus_config *cfg, int timeout_ms, strbuf *err);
void bus_acker_free(bus_acker *a);
/* Produces and waits for the delivery report: 0 when Kafka acknowledged the
 * message, -1 with err when it did not within the acker's timeout (the
 * message is then never delivered by this producer). */
int bus_acker_send(bus_acker *a, const char *topic, const char *key, const void *payload, size_t len, strbuf *err);
/* Produces without waiting (log events). 0, or -1 with err. */
int bus_acker_post(bus_acker *a, const char *topic, const char *key, const void *payload, size_t len, strbuf *err);
/* 1 when a broker answered a metadata request within timeout_ms. */
int bus_acker_reachable(bus_acker *a, int timeout_ms);

#endif
