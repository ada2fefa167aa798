/*
 * worker.c: the service loop. See worker.h.
 *
 * Health. /metrics is served from the start (on the service's default port
 * unless told otherwise; a port already taken is said once and the service
 * goes on without it). The poll loop and the workers beat the liveness
 * heart (metrics_heartbeat): a loop stuck for good fails /healthz, while a
 * Redis or Kafka outage only fails /readyz (a watch thread pings Redis on a
 * connection of its own; bus.c says whether a broker is reachable), so an
 * outage takes replicas out of service without restarting them.
 */
#include "worker.h"

#include "flow_type.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bqueue.h"
#include "clock.h"
#include "cpupolicy.h"
#include "fiber.h"
#include "logev.h"
#include "metrics.h"
#include "pyscript.h"
#include "xalloc.h"

static volatile sig_atomic_t stopping;

/* How often a replica that is not ready loads its flows again. */
#define WORKER_RECHECK_MS 5000

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

void worker_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int worker_stopping(void)
{
    return stopping;
}

int worker_bus_produce(void *ctx, const char *topic, const char *key, const void *payload, size_t len, void *origin,
                       strbuf *err)
{
    return bus_produce(ctx, topic, key, strlen(key), payload, len, origin, err);
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

int worker_default_metrics_port(const char *service)
{
    static const char *const names[] = { "scheduler", "reader", "transformer", "writer", "receiver", NULL };
    for (int i = 0; service && names[i]; i++)
        if (!strcmp(names[i], service))
            return WORKER_METRICS_PORT_BASE + 1 + i;
    return 0;
}

void worker_serve_metrics(const worker_config *cfg)
{
    if (cfg->metrics_port <= 0 || metrics_port())
        return;
    if (metrics_serve(cfg->metrics_port, cfg->service) < 0)
        logev_say(cfg->service, "warning", NULL,
                  "cannot serve /metrics, /healthz, /readyz on port %d (in use?): going on without them "
                  "(--metrics-port P or FLOWFLEET_METRICS_PORT=P picks another, 0 none)", cfg->metrics_port);
    else
        logev_say(cfg->service, "info", NULL, "/metrics, /healthz, /readyz on port %d", cfg->metrics_port);
}

/* A whole number from lo to hi in text, or exit 2 naming the option. An
 * unset value (NULL or "") is def. */
static int count_arg(const worker_config *cfg, const char *opt, const char *text, int lo, int hi, int def)
{
    if (!text || !*text)
        return def;
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < lo || v > hi) {
        fprintf(stderr, "flowfleet-%s: %s wants a number from %d to %d, got \"%s\"\n", cfg->service, opt, lo, hi, text);
        exit(2);
    }
    return (int)v;
}

/* Every name of cfg->types is a flow type of this build, or exit 2. */
static void check_types(const worker_config *cfg)
{
    if (!cfg->types)
        return;
    char *list = strdup(cfg->types), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (*t && !flow_type_find(t)) {
            strbuf names = STRBUF_INIT;
            flow_type_names(&names, ", ");
            fprintf(stderr, "flowfleet-%s: --types: unknown flow type \"%s\" (types: %s)\n", cfg->service, t, names.buf);
            exit(2);
        }
    }
    free(list);
}

void worker_parse_args(worker_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {
        { "brokers", required_argument, 0, 'b' }, { "prefix", required_argument, 0, 'p' },
        { "redis", required_argument, 0, 'r' },   { "flows", required_argument, 0, 'f' },
        { "types", required_argument, 0, 't' },   { "threads", required_argument, 0, 'n' },
        { "loops", required_argument, 0, 'l' },
        { "metrics-port", required_argument, 0, 'm' }, { "group", required_argument, 0, 'g' },
        { "kafka", required_argument, 0, 'k' },   { "cpu-policy", required_argument, 0, 'c' },
        { "help", no_argument, 0, 'h' },          { 0, 0, 0, 0 }
    };
    cfg->brokers = env_or("FLOWFLEET_BROKERS", "127.0.0.1:9092");
    cfg->prefix = env_or("FLOWFLEET_PREFIX", "ff");
    cfg->redis = env_or("FLOWFLEET_REDIS", "127.0.0.1:6379");
    cfg->flows = env_or("FLOWFLEET_FLOWS", "flows");
    cfg->types = getenv("FLOWFLEET_TYPES");
    cfg->threads = count_arg(cfg, "FLOWFLEET_THREADS", getenv("FLOWFLEET_THREADS"), 1, 10000, 0);
    cfg->loops = count_arg(cfg, "FLOWFLEET_LOOPS", getenv("FLOWFLEET_LOOPS"), 1, 64, 0);
    cfg->metrics_port = worker_default_metrics_port(cfg->service);
    if (getenv("FLOWFLEET_METRICS_PORT") && *getenv("FLOWFLEET_METRICS_PORT"))
        cfg->metrics_port = atoi(getenv("FLOWFLEET_METRICS_PORT"));
    bus_settings_add(&cfg->kafka, getenv("FLOWFLEET_KAFKA"));
    const char *policy = env_or("FLOWFLEET_CPU_POLICY", "batch");
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': cfg->brokers = optarg; break;
        case 'p': cfg->prefix = optarg; break;
        case 'r': cfg->redis = optarg; break;
        case 'f': cfg->flows = optarg; break;
        case 't': cfg->types = optarg; break;
        case 'n': cfg->threads = count_arg(cfg, "--threads", optarg, 1, 10000, 0); break;
        case 'l': cfg->loops = count_arg(cfg, "--loops", optarg, 1, 64, 0); break;
        case 'm': cfg->metrics_port = atoi(optarg); break;
        case 'g': cfg->group = optarg; break;
        case 'k': bus_settings_add(&cfg->kafka, optarg); break;
        case 'c': policy = optarg; break;
        default:
            fprintf(stderr,
                    "usage: flowfleet-%s [--brokers HOST:PORT] [--prefix ff] [--redis HOST:PORT] [--flows DIR]\n"
                    "       [--types order,...] [--threads N] [--loops N] [--metrics-port P] [--group NAME]\n"
                    "       [--kafka KEY=VALUE]... [--cpu-policy batch|normal]\n"
                    "  --threads N  records in flight at once; --loops N  OS threads they share (default 2)\n"
                    "  --kafka K=V  a librdkafka setting (repeatable; \"consumer.\" or \"producer.\" prefix\n"
                    "               for one side only), after those of FLOWFLEET_KAFKA (K=V;K=V)\n"
                    "  --cpu-policy P  Linux scheduling policy: batch (SCHED_BATCH, the default) or normal\n"
                    "  --metrics-port P  /metrics, /healthz, /readyz (default %d for this service; 0: none)\n"
                    "Environment: FLOWFLEET_BROKERS, _PREFIX, _REDIS, _FLOWS, _TYPES, _THREADS, _LOOPS,\n"
                    "_METRICS_PORT, _KAFKA, _CPU_POLICY, FLOWFLEET_LOG_FORMAT=json (JSON log lines).\n",
                    cfg->service, worker_default_metrics_port(cfg->service));
            exit(c == 'h' ? 0 : 2);
        }
    }
    check_types(cfg);
    if (cfg->threads <= 0)
        cfg->threads = cfg->input == TOPIC_TICKS ? 2 : 8;
    /* before any thread exists, so that every thread inherits it */
    strbuf err = STRBUF_INIT;
    int prc = cpupolicy_set(policy, &err);
    if (prc < 0)
        logev_say(cfg->service, prc == -1 ? "error" : "warning", NULL, "%s", err.buf);
    if (prc == -1)  /* an unknown name is a usage error; a refusal only a warning */
        exit(2);
    strbuf_release(&err);
}

typedef struct pool {
    const worker_config *cfg;
    bus *bus;
    store *store;
    flow_set *flows;
    bqueue q;      /* the poller -> pool hand-over */
    metric *m_in, *m_bad;
} pool;

/* The stage's time for one message, by flow (a flow not loaded here is
 * "unknown": the label set stays small). */
static void stage_duration(pool *p, const stage_ctx *c, const envelope *e)
{
    strbuf l = STRBUF_INIT;
    int known = e->flow && flow_set_find(p->flows, e->flow);
    strbuf_addstr(&l, "type=\"");
    metrics_label_escape(&l, known && e->flow_type ? e->flow_type : "unknown");
    strbuf_addstr(&l, "\",flow=\"");
    metrics_label_escape(&l, known ? e->flow : "unknown");
    strbuf_addf(&l, "\",stage=\"%s\"", p->cfg->service);
    metric_observe_ms(metrics_histogram("stage_duration_seconds", l.buf,
                                        "Time a stage spent on one message, by flow and stage (the service)"),
                      clock_mono_ms() - c->started_ms);
    strbuf_release(&l);
}

static void handle(pool *p, stage_ctx *c, bus_msg *m)
{
    envelope e;
    strbuf err = STRBUF_INIT;
    envelope_init(&e);
    c->origin = m;
    c->src_topic = m->topic;
    c->src_partition = m->partition;
    c->src_offset = m->offset;
    c->started_ms = clock_mono_ms();
    c->tries = 0;
    metric_add(p->m_in, 1);
    if (envelope_decode(&e, m->payload, m->len, &err) < 0) {
        /* Nothing can be said about its flow: keep the bytes in the log
         * topic with the error, so nothing is lost silently. */
        envelope bad;
        envelope_init(&bad);
        envelope_set(&bad.flow, "");
        envelope_set(&bad.flow_type, "");
        envelope_set(&bad.key, "");
        strbuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "malformed message at %s[%d]@%lld: %s", m->topic, m->partition, (long long)m->offset, err.buf);
        logev_say(p->cfg->service, "error", NULL, "%s", msg.buf);
        stage_log_record(c, &bad, "decode", "failed", 0, msg.buf, 0);
        metric_add(p->m_bad, 1);
        strbuf_release(&msg);
        envelope_release(&bad);
    } else {
        p->cfg->fn(c, &e);
        stage_duration(p, c, &e);
    }
    c->started_ms = 0;
    metrics_heartbeat();
    envelope_release(&e);
    strbuf_release(&err);
}

static void work(void *arg)
{
    pool *p = arg;
    stage_ctx c;
    http_options ho = { 0, 0, 0 };
    memset(&c, 0, sizeof c);
    c.service = p->cfg->service;
    c.prefix = p->cfg->prefix;
    c.out.produce = worker_bus_produce;
    c.out.ctx = p->bus;
    c.store = p->store;
    c.flows = p->flows;
    c.http = http_client_new(&ho);
    c.loops = p->cfg->loops;
    c.seed = (unsigned)(uintptr_t)&c ^ (unsigned)getpid();
    bus_msg *m;
    while ((m = bqueue_pop(&p->q))) {
        handle(p, &c, m);
        bus_done(p->bus, m);
    }
    http_client_free(c.http);
}

static int type_served(const worker_config *cfg, const char *type);

/* The files of flows that did not load for a reason of this replica's own
 * (every problem local: settings_problem_local) and whose type it serves:
 * their problems, "; "-separated, appended to why. Returns their number. */
static int local_problems(const worker_config *cfg, const flow_set *flows, strbuf *why)
{
    int n = 0;
    for (size_t i = 0; i < flows->n_broken; i++) {
        const flow_broken *b = &flows->broken[i];
        if (!b->local || !b->type || !flow_type_find(b->type) || !type_served(cfg, b->type))
            continue;
        for (const char *p = b->problems; *p; p++) {
            if (p == b->problems && why->len)
                strbuf_addstr(why, "; ");
            if (*p == '\n')
                strbuf_addstr(why, "; ");
            else
                strbuf_addch(why, *p);
        }
        n++;
    }
    return n;
}

int worker_load_flows(const worker_config *cfg, flow_set *flows)
{
    strbuf err = STRBUF_INIT, last = STRBUF_INIT, why = STRBUF_INIT;
    int rc = 0, waited = 0;
    for (;;) {
        strbuf_reset(&err);
        strbuf_reset(&why);
        int broken = flow_set_load(flows, cfg->flows, cfg->load_flags, &err);
        if (broken < 0) {
            logev_say(cfg->service, "error", NULL, "%s", err.buf);
            rc = -1;
            break;
        }
        if (broken && strcmp(err.buf, last.buf ? last.buf : "") != 0)
            logev_say(cfg->service, "error", NULL, "%d flow file(s) not loaded; the others run:\n%s", broken, err.buf);
        strbuf_reset(&last);
        strbuf_addstr(&last, err.buf);
        /* A problem of this replica's own (an environment variable unset
         * here, a file unreadable here): the flow is fine elsewhere, so
         * this replica takes no work rather than failing the flow's
         * records, says why on /readyz, and looks again now and then. */
        if (local_problems(cfg, flows, &why) == 0) {
            if (waited)
                logev_say(cfg->service, "info", NULL, "the flows load now: ready");
            break;
        }
        if (!waited) {
            logev_say(cfg->service, "error", NULL, "not ready: a problem of this replica's own: %s; taking no work "
                      "until it is fixed (looking again every %d s)", why.buf, WORKER_RECHECK_MS / 1000);
            worker_serve_metrics(cfg);
        }
        metrics_set_unready(why.buf);
        waited = 1;
        flow_set_release(flows);
        for (int t = 0; t < WORKER_RECHECK_MS / 200 && !stopping; t++)
            usleep(200 * 1000);
        if (stopping) {   /* flows is empty (flow_set_release) */
            rc = -1;
            break;
        }
    }
    strbuf_release(&err);
    strbuf_release(&last);
    strbuf_release(&why);
    return rc;
}

static int type_served(const worker_config *cfg, const char *type)
{
    if (!cfg->types)
        return 1;
    size_t n = strlen(type);
    for (const char *p = cfg->types; (p = strstr(p, type)) != NULL; p += n)
        if ((p == cfg->types || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static int type_has_flow(const flow_set *flows, const char *type)
{
    for (size_t i = 0; i < flows->n; i++)
        if (!strcmp(flows->flows[i]->type, type))
            return 1;
    return 0;
}

void worker_topics(const worker_config *cfg, const flow_set *flows, enum bus_topic_kind kind, char ***list,
                   size_t *n)
{
    strbuf t = STRBUF_INIT;
    for (size_t i = 0; flow_types[i]; i++) {
        if (kind != TOPIC_LOG && (!type_served(cfg, flow_types[i]->name) || (flows && !type_has_flow(flows, flow_types[i]->name))))
            continue;
        bus_topic(&t, cfg->prefix, flow_types[i]->name, kind);
        *list = xrealloc(*list, (*n + 1) * sizeof **list);
        (*list)[(*n)++] = strbuf_detach(&t, NULL);
        if (kind == TOPIC_LOG)
            break;
    }
}

store *worker_store_open(const worker_config *cfg, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s:", cfg->prefix);
    store *st = store_open(cfg->redis, p.buf, err);
    /* a restarting Redis costs time, not records (store.h) */
    if (st)
        store_set_retry(st, WORKER_STORE_RETRY_MS);
    strbuf_release(&p);
    return st;
}

void worker_topics_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* ---- the readiness watch ---- */

typedef struct watch {
    const worker_config *cfg;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
} watch;

/* Pings Redis every WORKER_WATCH_MS on a connection of its own (no retry
 * budget: an outage is seen at once), and says so on /readyz. */
static void *watch_main(void *arg)
{
    watch *w = arg;
    strbuf err = STRBUF_INIT, p = STRBUF_INIT;
    strbuf_addf(&p, "%s:", w->cfg->prefix);
    store *st = NULL;
    int was_ok = 1;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        pthread_mutex_unlock(&w->mu);
        strbuf_reset(&err);
        if (!st)
            st = store_open(w->cfg->redis, p.buf, &err);
        int ok = st && store_ping(st, &err) == 0;
        if (!ok && st) {   /* open afresh next time */
            store_close(st);
            st = NULL;
        }
        metrics_condition("redis", ok, err.buf);
        if (ok != was_ok)
            logev_say(w->cfg->service, ok ? "info" : "warning", NULL, "redis %s: %s", w->cfg->redis,
                      ok ? "answering again: ready" : err.buf);
        was_ok = ok;
        pthread_mutex_lock(&w->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += WORKER_WATCH_MS / 1000;
        while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&w->mu);
    if (st)
        store_close(st);
    strbuf_release(&err);
    strbuf_release(&p);
    return NULL;
}

void *worker_watch_start(const worker_config *cfg)
{
    watch *w = xcalloc(1, sizeof *w);
    w->cfg = cfg;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thr, NULL, watch_main, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void worker_watch_stop(void *handle)
{
    watch *w = handle;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thr, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

int worker_run(const worker_config *cfg)
{
    strbuf err = STRBUF_INIT, group = STRBUF_INIT;
    flow_set flows;
    pool p;
    int rc = 0;
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    worker_install_signals();
    http_global_init();
    if ((cfg->load_flags & FLOW_LOAD_SCRIPTS) && pyscript_global_init(&err) < 0) {
        logev_say(cfg->service, "error", NULL, "cannot start Python: %s", err.buf);
        return 1;
    }
    worker_serve_metrics(cfg);   /* /healthz answers while the flows load */
    if (worker_load_flows(cfg, &flows) < 0)
        return 1;
    p.flows = &flows;

    /* topics: the input kind of every served flow type; outputs: what this
     * service produces to (the next kind and the failed topic of the types
     * it has flows of, and the log) */
    char **topics = NULL, **outs = NULL;
    size_t nt = 0, no = 0;
    worker_topics(cfg, NULL, cfg->input, &topics, &nt);
    if (cfg->input < TOPIC_MAPPED)
        worker_topics(cfg, &flows, cfg->input + 1, &outs, &no);
    worker_topics(cfg, &flows, TOPIC_FAILED, &outs, &no);
    worker_topics(cfg, &flows, TOPIC_LOG, &outs, &no);
    if (cfg->group)
        strbuf_addstr(&group, cfg->group);
    else
        strbuf_addf(&group, "%s.%s.%s", cfg->prefix, cfg->service, cfg->types ? cfg->types : "all");

    p.store = worker_store_open(cfg, &err);
    if (!p.store) {
        logev_say(cfg->service, "error", NULL, "redis %s: %s", cfg->redis, err.buf);
        rc = 1;
        goto out;
    }
    bus_config bc = { cfg->brokers, cfg->service, group.buf, 0, 0, (const char *const *)cfg->kafka };
    p.bus = bus_new(&bc, &err);
    if (!p.bus || bus_subscribe(p.bus, (const char *const *)topics, nt, &err) < 0) {
        logev_say(cfg->service, "error", NULL, "kafka %s: %s", cfg->brokers, err.buf);
        rc = 1;
        goto out;
    }
    bus_prepare(p.bus, (const char *const *)outs, no, 5000);
    p.m_in = metrics_counter("messages_consumed_total", NULL, "Messages taken from the input topics");
    p.m_bad = metrics_counter("messages_malformed_total", NULL, "Messages that could not be decoded");
    metric *m_inflight = metrics_gauge("messages_in_flight", NULL, "Messages taken and not yet done");
    stage_metrics_declare(&flows);
    worker_serve_metrics(cfg);
    void *watch = worker_watch_start(cfg);
    bqueue_init(&p.q, (size_t)cfg->threads * 4);
    fiber_pool *workers = fiber_pool_start(cfg->loops, cfg->threads, work, &p);
    logev_say(cfg->service, "info", NULL, "consuming %zu topic(s) as group %s with %d worker(s) on %d thread(s), "
              "%zu flow(s) loaded, cpu policy %s", nt, group.buf, cfg->threads, fiber_pool_threads(workers), flows.n,
              cpupolicy_get());
    metrics_set_ready(1);

    while (!stopping && !bus_fatal(p.bus)) {
        bus_msg *m = bus_poll(p.bus, 200);
        metric_set(m_inflight, bus_in_flight(p.bus));
        metrics_heartbeat();
        if (m)
            bqueue_push(&p.q, m);
    }
    metrics_set_ready(0);
    logev_say(cfg->service, "info", NULL, "stopping: finishing %ld message(s) in hand", bus_in_flight(p.bus));
    bqueue_close(&p.q);
    fiber_pool_join(workers);
    worker_watch_stop(watch);
    bqueue_destroy(&p.q);
    if (bus_fatal(p.bus)) {
        logev_say(cfg->service, "error", NULL, "a delivery failed permanently; exiting without committing it");
        rc = 1;
    }
out:
    if (p.bus)
        bus_close(p.bus);
    if (p.store)
        store_close(p.store);
    metrics_stop();
    worker_topics_free(topics, nt);
    worker_topics_free(outs, no);
    flow_set_release(&flows);
    strbuf_release(&err);
    strbuf_release(&group);
    return rc;
}
