/*
 * metrics.c: a fixed table of atomic counters and a libmicrohttpd endpoint.
 * The table is append-only (registration happens at start-up), so readers
 * need no lock: they read the count first, then the entries below it.
 */
#include "metrics.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "strbuf.h"
#include "xalloc.h"

struct metric {
    const char *name;
    const char *labels;
    const char *help;
    int gauge;
    atomic_long v;
};

#define MAX_METRICS 256
static struct metric table[MAX_METRICS];
static atomic_int n_ready;   /* entries below this are complete */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int ready;
static struct MHD_Daemon *daemon_;
static const char *service_name = "";

/* Finds or adds a metric. Registration takes a lock; an entry is filled
 * before the count that makes it visible moves, so /metrics never reads a
 * half-made entry. */
static metric *reg(const char *name, const char *labels, const char *help, int gauge)
{
    pthread_mutex_lock(&reg_mu);
    int n = atomic_load(&n_ready);
    for (int i = 0; i < n; i++)
        if (!strcmp(table[i].name, name) && !strcmp(table[i].labels ? table[i].labels : "", labels ? labels : "")) {
            pthread_mutex_unlock(&reg_mu);
            return &table[i];
        }
    if (n >= MAX_METRICS) {
        /* out of room: count into the last entry rather than fail */
        pthread_mutex_unlock(&reg_mu);
        return &table[MAX_METRICS - 1];
    }
    table[n].name = name;
    table[n].labels = labels ? xstrdup(labels) : NULL;
    table[n].help = help;
    table[n].gauge = gauge;
    atomic_store(&n_ready, n + 1);
    pthread_mutex_unlock(&reg_mu);
    return &table[n];
}

metric *metrics_counter(const char *name, const char *labels, const char *help) { return reg(name, labels, help, 0); }
metric *metrics_gauge(const char *name, const char *labels, const char *help) { return reg(name, labels, help, 1); }
void metric_add(metric *m, long n) { atomic_fetch_add(&m->v, n); }
void metric_set(metric *m, long v) { atomic_store(&m->v, v); }
long metric_get(const metric *m) { return atomic_load(&((metric *)m)->v); }
/* why the service is not ready, for /readyz (NULL: no reason given) */
static pthread_mutex_t why_mu = PTHREAD_MUTEX_INITIALIZER;
static char *why_not;

static void set_why(const char *reason)
{
    pthread_mutex_lock(&why_mu);
    free(why_not);
    why_not = reason ? xstrdup(reason) : NULL;
    pthread_mutex_unlock(&why_mu);
}

void metrics_set_ready(int r)
{
    if (r)
        set_why(NULL);
    atomic_store(&ready, r);
}

void metrics_set_unready(const char *reason)
{
    set_why(reason);
    atomic_store(&ready, 0);
}

static void render(strbuf *out)
{
    int n = atomic_load(&n_ready);
    http_stats hs;
    /* one HELP/TYPE per name, then every labelled entry of that name
     * (entries of one name may have been registered at different times) */
    for (int i = 0; i < n; i++) {
        int first = 1;
        for (int j = 0; j < i && first; j++)
            first = strcmp(table[j].name, table[i].name) != 0;
        if (!first)
            continue;
        strbuf_addf(out, "# HELP flowfleet_%s %s\n# TYPE flowfleet_%s %s\n", table[i].name, table[i].help,
                    table[i].name, table[i].gauge ? "gauge" : "counter");
        for (int j = i; j < n; j++) {
            metric *m = &table[j];
            if (strcmp(m->name, table[i].name))
                continue;
            strbuf_addf(out, "flowfleet_%s{service=\"%s\"%s%s} %ld\n", m->name, service_name, m->labels ? "," : "",
                        m->labels ? m->labels : "", atomic_load(&m->v));
        }
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
            pthread_mutex_lock(&why_mu);
            strbuf_addf(&body, "not ready%s%s\n", why_not ? ": " : "", why_not ? why_not : "");
            pthread_mutex_unlock(&why_mu);
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
    if (port <= 0 || daemon_)   /* not served, or served already */
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
    set_why(NULL);
}
