/*
 * logev: the one writer of log-topic events (JSON, one object per message).
 * Schema version 1, documented in docs/log-topic.md. Dashboards read these,
 * so fields are only ever added, never renamed.
 *
 * Run events say when a run starts and finishes, with counts; record events
 * say what happened to one record in one stage, with the record's
 * "log."-prefixed attributes. The run context (triggered_by, is_triggered)
 * travels in the envelope's "run." attributes.
 */
#ifndef FF_LOGEV_H
#define FF_LOGEV_H

#include <stdint.h>

#include "envelope.h"
#include "store.h"
#include "strbuf.h"

#define LOGEV_VERSION 1

/* Appends a run event. event: "started" or "finished"; status:
 * "in_progress", "success", "failed" or "empty"; counts may be NULL. */
void logev_run(strbuf *out, const envelope *e, const char *event, const char *status,
               const run_counts *counts, int64_t now_ms);
/* Appends a record event. outcome: "success", "failed", "parked", "skipped", "error". */
void logev_record(strbuf *out, const envelope *e, const char *stage, const char *outcome,
                  long http_status, const char *error, double duration_ms, int64_t now_ms);
/* Appends an ISO-8601 UTC time with milliseconds. */
void logev_time(strbuf *out, int64_t ms);

#endif
