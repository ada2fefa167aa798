/*
 * worker: the consume -> stage -> produce loop shared by the reader, the
 * transformer and the writer, so each service's main.c only names its input
 * topic and its stage function.
 *
 * One thread polls the bus and hands messages through a bounded queue to
 * `threads` workers (each with its own HTTP client and stage_ctx). The
 * workers are fibers (fiber.h) spread over `loops` OS threads: a worker
 * waiting for an HTTP answer costs a small stack, not a thread. A message
 * is marked done on the bus only after its stage function returned: the bus
 * then commits its offset once everything produced for it is acknowledged
 * (bus.h). SIGTERM/SIGINT: stop polling, finish the messages in hand, flush,
 * commit, exit 0.
 */
#ifndef FF_WORKER_H
#define FF_WORKER_H

#include "bus.h"
#include "envelope.h"
#include "stage.h"

typedef void (*worker_fn)(stage_ctx *c, envelope *in);

typedef struct worker_config {
    const char *service;        /* "reader", "transformer", "writer" */
    enum bus_topic_kind input;  /* topic kind consumed */
    worker_fn fn;
    int load_flags;             /* FLOW_LOAD_SCRIPTS for script-running services */
    /* from the command line (worker_parse_args) */
    const char *brokers;
    const char *prefix;
    const char *redis;
    const char *flows;
    const char *types;          /* comma list; NULL: every type */
    int threads;                /* records in flight at once (fibers) */
    int loops;                  /* OS threads they run on; 0: FIBER_DEFAULT_THREADS */
    int metrics_port;
    const char *group;          /* consumer group; default <prefix>.<service>.<types> */
    char **kafka;               /* librdkafka settings (FLOWFLEET_KAFKA, --kafka); NULL-terminated */
} worker_config;

/* Parses the common options (--brokers, --prefix, --redis, --flows, --types,
 * --threads, --loops, --metrics-port, --group, --kafka, --cpu-policy,
 * environment FLOWFLEET_* fallbacks), then sets the process's scheduling
 * policy (cpupolicy.h; call it first in main, before any thread starts).
 * The kafka list lives as long as the process.
 * Exits with a usage message on bad options. */
void worker_parse_args(worker_config *cfg, int argc, char **argv);
/* Loads cfg->flows (with cfg->load_flags), saying on stderr which files
 * did not load; the others run. When a flow of a type cfg serves did not
 * load only because of problems of this machine's own (an environment
 * variable unset here, a script or mapping file unreadable or not
 * compiling here: settings_problem_local), the replica is not ready: it
 * says why on stderr and on /readyz (serving the endpoint early), takes no
 * work, and loads the flows again every few seconds until they load.
 * 0, or -1 when the directory cannot be read or a signal came meanwhile. */
int worker_load_flows(const worker_config *cfg, flow_set *flows);
/* Appends to *list (grown; free with worker_topics_free) the topics of
 * kind of every flow type cfg serves (and, unless flows is NULL, has a flow
 * of in flows); for TOPIC_LOG, the one log topic. */
void worker_topics(const worker_config *cfg, const flow_set *flows, enum bus_topic_kind kind, char ***list,
                   size_t *n);
void worker_topics_free(char **list, size_t n);
/* Connects to cfg->redis with keys under "<prefix>:" (the fleet's --prefix),
 * so two fleets sharing one Redis share nothing, and a call that finds
 * Redis gone retries for up to WORKER_STORE_RETRY_MS. NULL with err. */
#define WORKER_STORE_RETRY_MS 15000
store *worker_store_open(const worker_config *cfg, strbuf *err);
/* The default metrics port of a service: WORKER_METRICS_PORT_BASE + 1..4
 * for scheduler, reader, transformer, writer, receiver (distinct, so a fleet on one
 * machine serves them all); 0 for another name. */
#define WORKER_METRICS_PORT_BASE 9100
int worker_default_metrics_port(const char *service);
/* Serves /metrics, /healthz, /readyz on cfg->metrics_port (0: none), once;
 * a port already in use is logged and the service goes on without them. */
void worker_serve_metrics(const worker_config *cfg);
/* Starts a thread that pings cfg->redis every WORKER_WATCH_MS on its own
 * connection and sets /readyz's "redis" condition (metrics.h); stop (and
 * free) it with worker_watch_stop. NULL when no thread could start. */
#define WORKER_WATCH_MS 2000
void *worker_watch_start(const worker_config *cfg);
void worker_watch_stop(void *watch);
/* Runs until signalled. Returns the process exit code. */
int worker_run(const worker_config *cfg);

/* Install SIGTERM/SIGINT handlers that set the flag worker_stopping() reads. */
void worker_install_signals(void);
int worker_stopping(void);

/* The sink that produces through a bus (ctx is the bus). */
int worker_bus_produce(void *ctx, const char *topic, const char *key, const void *payload, size_t len, void *origin,
                       strbuf *err);

#endif
