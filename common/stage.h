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
#include "jsontext.h"
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
} stage_ctx;

/* Encodes e and produces it to <prefix>.<e->flow_type>.<kind>, keyed by e->key. */
int stage_emit(stage_ctx *c, enum bus_topic_kind kind, const envelope *e, strbuf *err);
void stage_log_record(stage_ctx *c, const envelope *e, const char *stage, const char *outcome,
                      long http_status, const char *error, double duration_ms);
void stage_log_run(stage_ctx *c, const envelope *e, const char *event, const char *status,
                   const run_counts *counts);
/* The record failed in `stage`: to the failed topic with its context, a failed
 * record event, the run's failed count, and its lease released. */
void stage_fail(stage_ctx *c, const envelope *e, const char *stage, long http_status, const char *error);
/* The record reached a final outcome ("succeeded", "failed", "skipped"):
 * counts it, releases its lease, and emits the run's finished event when
 * this completed the run. */
void stage_outcome(stage_ctx *c, const envelope *e, const char *outcome);
/* Emits the finished event for a run whose counters say it is complete. */
void stage_run_finished(stage_ctx *c, const envelope *e, const run_counts *counts);

/* Auth: the http_auth_fn for a system of a flow. ctx is a stage_auth. */
typedef struct stage_auth {
    stage_ctx *c;
    const flow *f;
    const flow_auth *a;
    const char *name;          /* store token name: "omnitron:<flow>" / "erp:<flow>" */
    strbuf used;               /* the header handed out last */
} stage_auth;
void stage_auth_init(stage_auth *sa, stage_ctx *c, const flow *f, int erp);
void stage_auth_release(stage_auth *sa);
int stage_auth_fn(void *ctx, int force, strbuf *header, strbuf *err);
/* The bare token (for the token.omnitron / token.erp attributes); 0 or -1. */
int stage_auth_token(stage_auth *sa, strbuf *token, strbuf *err);

/* Sets token.omnitron (and token.erp when the flow logs in to the ERP),
 * fresh from the token store, for a script run. */
void stage_script_tokens(stage_ctx *c, const flow *f, attrs *a);

/* Performs a request of the flow with its HTTP settings and auth (may be NULL). */
int stage_http(stage_ctx *c, const flow *f, stage_auth *auth, const char *method, const char *url,
               const char *const *headers, const char *body, size_t body_len, http_response *resp);

/* The same with a retry policy of the caller's (NULL: the flow's). */
int stage_http_policy(stage_ctx *c, const flow *f, stage_auth *auth, const retry_policy *policy, const char *method,
                      const char *url, const char *const *headers, const char *body, size_t body_len,
                      http_response *resp);

/* GET omnitron_url + path with the flow's settings and auth: the parsed
 * JSON body of a 2xx answer (new reference), or NULL with err ("GET <url>:
 * HTTP 500: ...") and *status the last HTTP status (0 for no answer). */
json_t *stage_omnitron_get(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, long *status,
                           strbuf *err);
/* The same for a list whose results' scalar fields (their ids) are all that
 * is wanted: the results' own containers (and those of a bare array's
 * elements) come back as null, checked but not built. */
json_t *stage_omnitron_get_list(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, long *status,
                                strbuf *err);
/* The same, for a body wanted as text: appends it to out (the caller's),
 * checked and minified by jsontext_minify (top, when not NULL, says what the
 * top value is), and returns 0; or -1 with err and *status as above ("GET
 * <url>: malformed JSON: ..." for an invalid body) and out as it was. */
int stage_omnitron_get_text(stage_ctx *c, const flow *f, stage_auth *auth, const char *path, strbuf *out,
                            jsontext_top *top, long *status, strbuf *err);

/* The records of a list answer: a DRF page's "results", or the answer
 * itself when it is a list; borrowed or NULL. */
json_t *json_results(json_t *answer);
/* An object's id: its "pk", else its "id"; borrowed or NULL. */
json_t *json_record_id(json_t *obj);
/* Replaces out with the text of an integer or string id and returns 0;
 * leaves out as it is and returns -1 for anything else. */
int json_id_text(const json_t *v, strbuf *out);

/* Reads a dotted path ("a.b.0.c") in v; borrowed or NULL. */
json_t *json_path_get(json_t *v, const char *path);

#endif
