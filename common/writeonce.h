/*
 * writeonce: a write that must not happen twice, made safe by asking first.
 *
 * An ERP write (an order, a cancellation) is not idempotent: after an
 * answer that leaves it unknown whether the target stored the record (no
 * answer, a timeout, a 5xx, a 429) a blind retry may store it twice. So
 * the loop is: ask the target whether it has the record; if it has, stop
 * ("exists"); if not, write once; on an unknown outcome wait (the retry
 * policy's delay), ask again, and write only if it still does not have it.
 * A definite refusal (a 4xx) is not retried. Without a query, an unknown
 * outcome is retried blindly (the flow chose no query; the docs say so).
 *
 * The flow type supplies the two calls; this file owns only the loop, so
 * every type that writes once behaves the same. Each write after the first
 * is a retry, counted as http_do counts its own.
 */
#ifndef FF_WRITEONCE_H
#define FF_WRITEONCE_H

#include "http.h"
#include "retry.h"
#include "strbuf.h"

typedef enum writeonce_result {
    WRITEONCE_WRITTEN,       /* the write succeeded */
    WRITEONCE_EXISTS,        /* the target had the record: nothing written */
    WRITEONCE_FAILED,        /* the write failed: *status and msg say how */
    WRITEONCE_QUERY_FAILED,  /* the query failed; its callback reported it */
} writeonce_result;

typedef struct writeonce_ops {
    void *ctx;
    /* Asks the target (NULL: the flow has no query). 0 with *exists set,
     * or -1 when the record has failed (the callback reported it). */
    int (*query)(void *ctx, int *exists);
    /* One write. 0 written; 1 refused (the target did not store it);
     * 2 unknown (it may have). For 1 and 2, *status (0: no answer) and msg. */
    int (*write)(void *ctx, long *status, strbuf *msg);
} writeonce_ops;

/* Runs the loop; exists: the record is known to be there already (a
 * redelivered record whose write was seen). At most retry->max_attempts
 * writes; delays from retry_delay_ms with *seed. */
writeonce_result writeonce_run(const writeonce_ops *ops, int exists, const retry_policy *retry, unsigned *seed,
                               long *status, strbuf *msg);
/* The same, with the client the writes use (may be NULL): each write after
 * the first is counted as a retry of its target, as http_do counts its own
 * (flowfleet_http_retries_total). */
writeonce_result writeonce_run_on(const writeonce_ops *ops, http_client *http, int exists, const retry_policy *retry,
                                  unsigned *seed, long *status, strbuf *msg);

#endif
