/*
 * metrics.c: a fixed table of atomic counters and a libmicrohttpd endpoint.
 * The table is append-only (registration happens at start-up), so readers
 * need no lock: they read the count first, then the entries below it.
 */
#include "metrics.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "strbuf.h"

struct metric {
    const char *name;
    const char *labels;
    const char *help;
    int gauge;
    atomic_long v;
};

#define MAX_METRICS 128
static struct metric table[MAX_METRICS];
static atomic_int n_metrics;
static atomic_int ready;
static struct MHD_Daemon *daemon_;
static const char *service_name = "";

static metric *reg(const char *name, const char *labels, const char *help, int gauge)
{
    int n = atomic_load(&n_metrics);
    for (int i = 0; i < n; i++)
        if (!strcmp(table[i].name, name) && !strcmp(table[i].labels ? table[i].labels : "", labels ? labels : ""))
            return &table[i];
    int i = atomic_fetch_add(&n_metrics, 1);
    if (i >= MAX_METRICS)
        abort();
    table[i].name = name;
    table[i].labels = labels ? strdup(labels) : NULL;
    table[i].help = help;
    table[i].gauge = gauge;
    return &table[i];
}

metric *metrics_counter(const char *name, const char *labels, const char *help) { return reg(name, labels, help, 0); }
metric *metrics_gauge(const char *name, const char *labels, const char *help) { return reg(name, labels, help, 1); }
void metric_add(metric *m, long n) { atomic_fetch_add(&m->v, n); }
void metric_set(metric *m, long v) { atomic_store(&m->v, v); }
long metric_get(const metric *m) { return atomic_load(&((metric *)m)->v); }
void metrics_set_ready(int r) { atomic_store(&ready, r); }

static void render(strbuf *out)
{
    int n = atomic_load(&n_metrics);
    http_stats hs;
    const char *last = "";
    for (int i = 0; i < n; i++) {
        metric *m = &table[i];
        if (strcmp(last, m->name)) {
            strbuf_addf(out, "# HELP flowfleet_%s %s\n# TYPE flowfleet_%s %s\n", m->name, m->help, m->name,
                        m->gauge ? "gauge" : "counter");
            last = m->name;
        }
        strbuf_addf(out, "flowfleet_%s{service=\"%s\"%s%s} %ld\n", m->name, service_name, m->labels ? "," : "",
                    m->labels ? m->labels : "", atomic_load(&m->v));
    }
    http_stats_get(&hs);
    strbuf_addf(out, "# HELP flowfleet_http_requests_total HTTP requests sent, by outcome\n"
                     "# TYPE flowfleet_http_requests_total counter\n");
    strbuf_addf(out, "flowfleet_http_requests_total{service=\"%s\",class=\"2xx\"} %ld\n", service_name, hs.s2xx);
    strbuf_addf(out, "flowfleet_http_requests_total{service=\"%s\",class=\"4xx\"} %ld\n", service_name, hs.s4xx);
    strbuf_addf(out, "flowfleet_http_requests_total{service=\"%s\",class=\"5xx\"} %ld\n", service_name, hs.s5xx);
    strbuf_addf(out, "flowfleet_http_requests_total{service=\"%s\",class=\"error\"} %ld\n", service_name, hs.errors);
    strbuf_addf(out, "# TYPE flowfleet_http_retries_total counter\nflowfleet_http_retries_total{service=\"%s\"} %ld\n",
                service_name, hs.retries);
    strbuf_addf(out, "# TYPE flowfleet_http_relogins_total counter\nflowfleet_http_relogins_total{service=\"%s\"} %ld\n",
                service_name, hs.relogins);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls; (void)version; (void)upload; (void)upload_size; (void)con_cls;
    strbuf body = STRBUF_INIT;
    unsigned code = 200;
    if (strcmp(method, "GET") != 0) {
        code = 405;
        strbuf_addstr(&body, "method not allowed\n");
    } else if (!strcmp(url, "/metrics")) {
        render(&body);
    } else if (!strcmp(url, "/healthz")) {
        strbuf_addstr(&body, "ok\n");
    } else if (!strcmp(url, "/readyz")) {
        if (atomic_load(&ready)) {
            strbuf_addstr(&body, "ready\n");
        } else {
            code = 503;
            strbuf_addstr(&body, "not ready\n");
        }
    } else {
        code = 404;
        strbuf_addstr(&body, "not found\n");
    }
    size_t len;
    char *b = strbuf_detach(&body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, b, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

int metrics_serve(int port, const char *service)
{
    service_name = service;
    if (port <= 0)
        return 0;
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
                               handle, NULL, MHD_OPTION_END);
    return daemon_ ? 0 : -1;
}

void metrics_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
}
