/*
 * logev: the one writer of log-topic events (JSON, one object per message),
 * and of the services' own log lines on stderr.
 *
 * The log topic is an interface: operators' dashboards read it. Its
 * contract is docs/log-topic.md and the JSON Schema docs/log-topic.schema.json
 * (schema version LOGEV_VERSION, in every event as "v"); a test validates
 * every event the integration tests emit against it. The words below are
 * the only ones an event may carry: the same words label the metrics.
 *
 * Three kinds of events, as Integrator's three log levels:
 *   run    (main log)  a run starts, has published its records, finishes;
 *   step   (sub log)   one record passed (or failed) one step;
 *   record (line log)  one record reached an outcome, with its "log."
 *                      attributes.
 * The run context (triggered_by, is_triggered) travels in the envelope's
 * "run." attributes.
 *
 * Service log lines (logev_say): plain "service: message" on stderr, or
 * with FLOWFLEET_LOG_FORMAT=json one JSON object per line (ts, service,
 * level, message, and flow, run_id, key when there are some).
 */
#ifndef FF_LOGEV_H
#define FF_LOGEV_H

#include <stdint.h>

#include "envelope.h"
#include "store.h"
#include "strbuf.h"

#define LOGEV_VERSION 2

/* The vocabulary (NULL-terminated lists; the schema enumerates the same). */
extern const char *const logev_outcomes[];      /* success failed parked skipped error */
extern const char *const logev_stages[];        /* read script mapping transform login query write_erp ... */
extern const char *const logev_skip_reasons[];  /* already_in_erp answer_lost already_done removed_by_script */
extern const char *const logev_run_statuses[];  /* in_progress success failed empty */
/* 1 when word is in the NULL-terminated list. */
int logev_known(const char *const *list, const char *word);

/* Appends a run event. event: "started", "published" (the reader has
 * published every record: Integrator's "in progress") or "finished";
 * status one of logev_run_statuses; counts may be NULL (then created_at
 * is now). */
void logev_run(strbuf *out, const envelope *e, const char *event, const char *status,
               const run_counts *counts, int64_t now_ms);

/* What one record event says. */
typedef struct logev_rec {
    const char *stage;      /* logev_stages */
    const char *outcome;    /* logev_outcomes */
    long http_status;       /* <= 0: null */
    const char *error;      /* failed, parked, error: what went wrong; NULL otherwise */
    const char *reason;     /* skipped only: one of logev_skip_reasons */
    double duration_ms;     /* time spent on the record in this service */
    int tries;              /* tries of the last call (0 counts as 1) */
} logev_rec;

/* Appends a record event. */
void logev_record(strbuf *out, const envelope *e, const logev_rec *r, int64_t now_ms);
/* Appends a step event: step (a stage word) ended with status "success",
 * "failed" or "skipped". */
void logev_step(strbuf *out, const envelope *e, const char *step, const char *status, long http_status,
                const char *error, double duration_ms, int tries, int64_t now_ms);
/* Appends an ISO-8601 UTC time with milliseconds. */
void logev_time(strbuf *out, int64_t ms);

/* Service log lines. level: "debug", "info", "warning", "error". e (may be
 * NULL) gives flow, run_id and key. One write(2) per line, so lines of
 * different threads never interleave. */
void logev_say(const char *service, const char *level, const envelope *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 1 when FLOWFLEET_LOG_FORMAT=json (read once). */
int logev_json_lines(void);

#endif
