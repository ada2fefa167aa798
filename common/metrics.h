/*
 * metrics: counters and the small HTTP endpoint every service serves:
 * /metrics (Prometheus text, names prefixed flowfleet_, labels only for the
 * service and flow type: never record ids), /healthz (the process runs) and
 * /readyz (it is connected and consuming; when not, 503 and why).
 *
 * Counters are plain atomics registered once at start-up; the endpoint reads
 * them without locks.
 */
#ifndef FF_METRICS_H
#define FF_METRICS_H

typedef struct metric metric;

/* Registers a counter (or gauge) with a help text; the returned handle lives
 * for the process. labels: e.g. "type=\"order\"" or NULL. */
metric *metrics_counter(const char *name, const char *labels, const char *help);
metric *metrics_gauge(const char *name, const char *labels, const char *help);
void metric_add(metric *m, long n);
void metric_set(metric *m, long v);
long metric_get(const metric *m);

/* Starts the endpoint on port (0: do not serve); a second call while it
 * runs does nothing. 0 or -1. */
int metrics_serve(int port, const char *service);
void metrics_set_ready(int ready);
/* Not ready, and why: /readyz answers 503 "not ready: <reason>" until
 * metrics_set_ready(1). reason is copied. */
void metrics_set_unready(const char *reason);
void metrics_stop(void);

#endif
