/*
 * bus: the Kafka layer (librdkafka), at-least-once.
 *
 * A bus has an idempotent producer and, when a group id is given, a consumer
 * with auto-commit off. The contract that keeps orders from being lost:
 * a consumed message's offset is committed only after (1) the caller said it
 * is done with it (bus_done: its side effects are finished) and (2) every
 * message produced *on its behalf* (bus_produce with it as origin) was
 * acknowledged by the broker, and (3) every earlier message of the same
 * partition is committable too. Commits happen in the background every
 * commit interval and at bus_close.
 *
 * Threads: bus_poll is called from one thread; bus_produce and bus_done may
 * be called from any thread. A message returned by bus_poll stays valid
 * until bus_done.
 *
 * Topic names are per flow type: <prefix>.<type>.ticks / .records / .mapped
 * / .failed, and one <prefix>.log. The record key is the message key.
 */
#ifndef FF_BUS_H
#define FF_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct bus bus;

typedef struct bus_config {
    const char *brokers;         /* bootstrap servers */
    const char *client_id;
    const char *group_id;        /* NULL: producer only */
    int commit_interval_ms;      /* 0: 500 */
    int linger_ms;               /* producer batching wait; 0: 20 (see bus.c) */
    const char *const *extra;    /* NULL-terminated "key=value" librdkafka settings */
} bus_config;

typedef struct bus_msg {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key;
    size_t key_len;
    const void *payload;
    size_t len;
    int64_t timestamp_ms;
} bus_msg;

/* New bus, or NULL with err. */
bus *bus_new(const bus_config *cfg, strbuf *err);

/* The largest record body the fleet publishes as one Kafka message:
 * FLOWFLEET_MAX_MESSAGE_BYTES, default 1000000 (Kafka's and librdkafka's
 * default limits). Every producer's message.max.bytes is this plus
 * BUS_ENVELOPE_ROOM for the envelope around the body; the topics'
 * max.message.bytes (deploy/k8s) must be at least that. A flow whose
 * reader publishes whole answers (an ERP page) may not accept a larger
 * answer (http.max_response_bytes), and the receiver takes no larger
 * push. */
#define BUS_ENVELOPE_ROOM 65536
size_t bus_message_limit(void);
int bus_subscribe(bus *b, const char *const *topics, size_t n, strbuf *err);
/* Next message, or NULL on timeout. Consumer errors are logged to stderr and
 * skipped. */
bus_msg *bus_poll(bus *b, int timeout_ms);
/* Queues a message. origin (may be NULL) is the consumed message this one is
 * produced on behalf of: its offset is not committed until this is acked.
 * Blocks while the local queue is full. 0, or -1 with err. */
int bus_produce(bus *b, const char *topic, const void *key, size_t key_len,
                const void *payload, size_t len, bus_msg *origin, strbuf *err);
/* The caller is done with m (side effects finished); m must not be used again. */
void bus_done(bus *b, bus_msg *m);
/* Waits up to timeout_ms until every produced message is acked. 0 or -1. */
int bus_flush(bus *b, int timeout_ms);
/* Commits now, synchronously, what is committable (see above). 0, or -1 with
 * err. The background commit makes calling this optional. */
int bus_commit(bus *b, strbuf *err);
/* Number of messages polled and not yet bus_done. */
long bus_in_flight(bus *b);
/* A delivery failed permanently (the process should exit non-zero so the
 * uncommitted input is consumed again after restart). */
int bus_fatal(bus *b);
/* Flushes, commits what is committable, closes. */
void bus_close(bus *b);

/* Looks up now, waiting up to timeout_ms, the partitions of the topics
 * this bus will produce to, so their first messages do not wait for
 * librdkafka's once-a-second topic scan. When a lookup fails (no broker
 * answers yet) it says so on stderr and stops: the remaining topics are
 * looked up on first use, as without it. Never an error. */
void bus_prepare(bus *b, const char *const *topics, size_t n, int timeout_ms);

/* Appends to the NULL-terminated array *list (grown; the caller owns the
 * copies) the "key=value" librdkafka settings in text: items separated by
 * ';' or newlines, blanks around them ignored (FLOWFLEET_KAFKA, --kafka).
 * They are checked when a bus is made with them (bus_new's err). */
void bus_settings_add(char ***list, const char *text);

/* Reads topic from its beginning (or its end when from_end) without a
 * consumer group, calling fn for each message, until every partition reached
 * the end it had at the start (or, with follow, until *stop). fn returning
 * -1 stops the scan. cfg gives the brokers and extra settings (its group and
 * client ids are not used). 0, or -1 with err. (bus_scan.c) */
int bus_scan(const bus_config *cfg, const char *topic, int from_end, int follow, volatile int *stop,
             int (*fn)(void *ctx, const bus_msg *m), void *ctx, strbuf *err);

enum bus_topic_kind { TOPIC_TICKS, TOPIC_RECORDS, TOPIC_MAPPED, TOPIC_FAILED, TOPIC_LOG };
/* Sets out to the topic name: "<prefix>.<flow_type>.<kind>" or "<prefix>.log". */
void bus_topic(strbuf *out, const char *prefix, const char *flow_type, enum bus_topic_kind kind);

#endif
