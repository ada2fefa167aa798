/*
 * envelope: the internal message that carries one record (or one tick)
 * between services, encoded as msgpack.
 *
 * The encoding is a msgpack map with short string keys, so fields can be
 * added without breaking older readers (unknown keys are skipped) and a
 * message from a newer format version is rejected with a clear error.
 * The record body is carried as JSON bytes (a msgpack bin), untouched.
 *
 * The failure fields are filled only on the failed topic: they say where the
 * record failed (stage, HTTP status, error text) and where it came from
 * (source topic, partition, offset), so `flowctl replay` can send it back.
 */
#ifndef FF_ENVELOPE_H
#define FF_ENVELOPE_H

#include <stdint.h>

#include "attrs.h"
#include "strbuf.h"

#define ENVELOPE_VERSION 1

typedef struct envelope {
    int version;
    char *flow;        /* flow name, e.g. "orders" */
    char *flow_type;   /* the flow's type name (flow_type.h) */
    char *run_id;
    char *key;         /* record key: the order number for orders; empty for ticks */
    uint32_t attempt;  /* 1 on first delivery, +1 per replay */
    int64_t created_ms;
    attrs attrs;       /* string attributes (token.*, log.*, trigger params, ...) */
    strbuf body;       /* record body, JSON bytes */
    strbuf source;     /* the record as read, before script and mapping (JSON
                          bytes), set by the transformer when a step changes
                          the body; empty: the body is the record as read.
                          The writer needs the Omnitron ids a mapping dropped */
    /* failure context (failed topic only; NULL / 0 otherwise) */
    char *stage;
    int http_status;
    char *error;
    char *src_topic;
    int32_t src_partition;
    int64_t src_offset;
    int64_t failed_ms;
} envelope;

void envelope_init(envelope *e);
void envelope_release(envelope *e);
/* Replaces *field with a copy of val (NULL allowed). */
void envelope_set(char **field, const char *val);
/* Deep copy: dst is freed first. */
void envelope_copy(envelope *dst, const envelope *src);
/* Appends the msgpack encoding of e to out. */
void envelope_encode(const envelope *e, strbuf *out);
/* Decodes data into e (which must be initialised; it is reset first).
 * Returns 0, or -1 with a message in err for malformed bytes, a wrong
 * version or missing required fields (flow, flow_type). Never crashes. */
int envelope_decode(envelope *e, const void *data, size_t len, strbuf *err);

#endif
