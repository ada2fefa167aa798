/*
 * scheduler.c: the scheduler service's loop. Every 250 ms it takes a
 * step of ticks.h (renew or take the leader lock; as the leader, emit the
 * ticks that are due), flushes what it emitted, and publishes whether this
 * replica leads as a metric. SIGTERM/SIGINT: release the lock (a stand-by
 * replica takes over at once instead of after the lock's TTL) and exit 0.
 */
#include "scheduler.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "logev.h"
#include "metrics.h"
#include "ticks.h"

int scheduler_run(const worker_config *cfgp)
{
    worker_config cfg = *cfgp;
    strbuf err = STRBUF_INIT, owner = STRBUF_INIT;
    char host[256] = "localhost";
    flow_set flows;
    worker_install_signals();
    if (worker_load_flows(&cfg, &flows) < 0)
        return 1;
    store *st = worker_store_open(&cfg, &err);
    if (!st) {
        logev_say("scheduler", "error", NULL, "redis %s: %s", cfg.redis, err.buf);
        return 1;
    }
    bus_config bc = { cfg.brokers, "scheduler", NULL, 0, 0, (const char *const *)cfg.kafka };
    bus *b = bus_new(&bc, &err);
    if (!b) {
        logev_say("scheduler", "error", NULL, "kafka %s: %s", cfg.brokers, err.buf);
        return 1;
    }
    char **outs = NULL;
    size_t no = 0;
    worker_topics(&cfg, &flows, TOPIC_TICKS, &outs, &no);
    worker_topics(&cfg, &flows, TOPIC_LOG, &outs, &no);
    bus_prepare(b, (const char *const *)outs, no, 5000);
    worker_topics_free(outs, no);
    gethostname(host, sizeof host - 1);
    strbuf_addf(&owner, "%s-%d", host, (int)getpid());
    stage_ctx c = { .service = "scheduler", .prefix = cfg.prefix, .out = { worker_bus_produce, b }, .store = st,
                    .flows = &flows };
    ticks_sched s = { &c, &flows, owner.buf, 10000, 0 };
    metric *ticks = metrics_counter("ticks_emitted_total", NULL, "Ticks emitted by this replica");
    metric *leader = metrics_gauge("scheduler_leader", NULL, "1 when this replica holds the leader lock");
    worker_serve_metrics(&cfg);
    void *watch = worker_watch_start(&cfg);   /* /readyz checks Redis too */
    metrics_set_ready(1);
    logev_say("scheduler", "info", NULL, "%zu flow(s), owner %s", flows.n, owner.buf);
    while (!worker_stopping()) {
        metrics_heartbeat();
        int n = ticks_step(&s, clock_wall_ms());
        if (n > 0) {
            metric_add(ticks, n);
            bus_flush(b, 5000);
        }
        metric_set(leader, s.leader);
        usleep(250 * 1000);
    }
    if (s.leader)
        store_lock_release(st, "scheduler", owner.buf, &err);
    worker_watch_stop(watch);
    bus_close(b);
    store_close(st);
    metrics_stop();
    flow_set_release(&flows);
    strbuf_release(&err);
    strbuf_release(&owner);
    return 0;
}
