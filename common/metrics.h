/*
 * metrics: counters, gauges and histograms, and the small HTTP endpoint
 * every service serves:
 *   /metrics  Prometheus text, names prefixed flowfleet_, labels only for
 *             the service, flow type, flow, stage, outcome, HTTP target and
 *             consumer group: never record ids;
 *   /healthz  liveness: the process's loops turn (503 when the loop that
 *             calls metrics_heartbeat has not turned for METRICS_STALL_MS);
 *             nothing outside the process is checked, so a Redis or Kafka
 *             blip never restarts a fleet;
 *   /readyz   readiness: ready (metrics_set_ready), every named condition
 *             holds (Kafka reachable, Redis answering: metrics_condition),
 *             and the flows it serves loaded; when not, 503 and why.
 *
 * Metrics are plain atomics registered once per label set; the endpoint
 * reads them without locks. Histogram buckets are fixed (seconds, from 5 ms
 * to 60 s), enough for HTTP calls, records and runs.
 */
#ifndef FF_METRICS_H
#define FF_METRICS_H

typedef struct metric metric;

/* Registers (or finds) a counter, gauge or histogram with a help text; the
 * returned handle lives for the process. name without the flowfleet_
 * prefix; labels: e.g. "type=\"order\"" or NULL. Registration takes a lock
 * and scans the table: keep the handle when it is used often. */
metric *metrics_counter(const char *name, const char *labels, const char *help);
metric *metrics_gauge(const char *name, const char *labels, const char *help);
/* A histogram of durations; name should end in _seconds. */
metric *metrics_histogram(const char *name, const char *labels, const char *help);
void metric_add(metric *m, long n);
void metric_set(metric *m, long v);
long metric_get(const metric *m);   /* a histogram's: its count */
/* Adds one observation of ms milliseconds to a histogram. */
void metric_observe_ms(metric *m, double ms);

/* Appends a label value to out, escaped as Prometheus wants (\\, \", \n). */
struct strbuf;
void metrics_label_escape(struct strbuf *out, const char *value);

/* Starts the endpoint on port (0: do not serve); a second call while it
 * runs does nothing. 0 or -1 (the port is taken: the caller logs it and
 * goes on without /metrics). */
int metrics_serve(int port, const char *service);
/* The port served, 0 when none. */
int metrics_port(void);
void metrics_set_ready(int ready);
/* Not ready, and why: /readyz answers 503 "not ready: <reason>" until
 * metrics_set_ready(1). reason is copied. */
void metrics_set_unready(const char *reason);
/* A named readiness condition ("kafka", "redis"): while one is not ok,
 * /readyz answers 503 with its name and why (copied). Thread-safe. */
void metrics_condition(const char *name, int ok, const char *why);
/* The service's loop turned (liveness). /healthz fails once no turn came
 * for METRICS_STALL_MS after the first. */
#define METRICS_STALL_MS 60000
void metrics_heartbeat(void);
void metrics_stop(void);

/* The text /metrics would answer (for tests). */
void metrics_render(struct strbuf *out);
/* The text /readyz would answer; returns its HTTP status (200 or 503). */
int metrics_readyz(struct strbuf *out);

#endif
