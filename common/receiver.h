/*
 * receiver: the service that takes what comes by URL (services/receiver).
 *
 *   POST /api/nifi/login          form fields username, password: the token
 *                                 as plain text (400 with a plain-text reason)
 *   POST <receiver.path>          an outbound flow's push (default
 *                                 /outbound/<flow>), Authorization: Bearer
 *   GET|POST /trigger/<flow>?k=v  a manual run of the flow with those Flow
 *                                 Trigger Parameters, as `flowctl trigger
 *                                 --param` starts it
 *
 * Users and passwords are the flows' (receiver.username_env and
 * receiver.password_env name environment variables, from a Secret); a token
 * (Redis, "rtoken:<token>", with a TTL) may push to and trigger only the
 * flows configured with its user.
 *
 * A push is answered 202 with its run id only once Kafka has acknowledged
 * it (bus_ack.h), within the ack timeout; otherwise 503 with Retry-After,
 * and the message never takes effect, even if Kafka gets it later
 * (pushclaim.h: the transformer drops it). 400 with the parse error for a
 * body that is not JSON or that the type refuses (nothing published), 401
 * for a missing or bad token, 403 for a flow the user may not push to, 404
 * for an unknown or inbound-only flow, 413 over the size limit, 429 with
 * Retry-After over the flow's rate limit (shared by every replica through
 * Redis), 409 with Retry-After while a push with the same Idempotency-Key
 * is being published; a push repeated with the same Idempotency-Key within
 * the flow's window is answered 202 with the first run id, not published
 * again. A key whose first push never got an answer (its receiver was
 * killed) is settled by the retry once the first's wait is over: taken,
 * the first run id; else the first is refused and the retry published.
 *
 * Settings from the environment (the receiver's own, beside worker.h's):
 * FLOWFLEET_RECEIVER_PORT (8088), FLOWFLEET_RECEIVER_ACK_TIMEOUT (10s),
 * FLOWFLEET_RECEIVER_MAX_BODY (the fleet's largest message,
 * bus_message_limit(), and never more), FLOWFLEET_RECEIVER_TOKEN_TTL (1h).
 */
#ifndef FF_RECEIVER_H
#define FF_RECEIVER_H

#include "strbuf.h"
#include "worker.h"

/* The field name of a form body (application/x-www-form-urlencoded),
 * decoded ('+' a blank, %XX a byte) into out: 1, or 0 when it has none. */
int receiver_form_field(const char *body, const char *name, strbuf *out);

/* Runs until SIGTERM/SIGINT; the process exit code. */
int receiver_run(const worker_config *cfg);

#endif
