/*
 * metrics.c: a fixed table of atomic metrics and a libmicrohttpd endpoint.
 * The table is append-only (an entry is registered once per label set), so
 * readers need no lock: they read the count first, then the entries below
 * it. A histogram's buckets are an array of atomics allocated with its
 * entry; its sum is kept in microseconds, so it is an atomic integer too.
 */
#include "metrics.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "strbuf.h"
#include "xalloc.h"

enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

/* bucket upper bounds, seconds (and the same in ms) */
static const char *const BUCKET_LE[] = { "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                                         "1",     "2.5",  "5",     "10",   "30",  "60" };
static const double BUCKET_MS[] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000 };
#define N_BUCKETS (sizeof BUCKET_MS / sizeof BUCKET_MS[0])

struct metric {
    const char *name;
    const char *labels;
    const char *help;
    int kind;
    atomic_long v;          /* counter, gauge; a histogram's count */
    atomic_long sum_us;     /* histogram */
    atomic_long *buckets;   /* histogram: N_BUCKETS, not cumulative */
};

#define MAX_METRICS 1024
static struct metric table[MAX_METRICS];
static atomic_int n_ready;   /* entries below this are complete */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
/* an index of the table by name and labels (open addressing; -1 free),
 * so a lookup on the hot path costs a hash, not a scan of every metric */
#define INDEX_SIZE (MAX_METRICS * 2)
static int reg_index[INDEX_SIZE];
static int reg_index_ready;

static unsigned reg_hash(const char *name, const char *labels)
{
    unsigned h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (const char *p = labels ? labels : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}
static atomic_int ready;
static atomic_llong last_beat;   /* ms (monotonic) of the last heartbeat; 0: none yet */
static struct MHD_Daemon *daemon_;
static int port_;
static const char *service_name = "";

/* Finds or adds a metric. Registration takes a lock; an entry is filled
 * before the count that makes it visible moves, so /metrics never reads a
 * half-made entry. */
static metric *reg(const char *name, const char *labels, const char *help, int kind)
{
    pthread_mutex_lock(&reg_mu);
    if (!reg_index_ready) {
        for (int i = 0; i < INDEX_SIZE; i++)
            reg_index[i] = -1;
        reg_index_ready = 1;
    }
    int n = atomic_load(&n_ready);
    unsigned slot = reg_hash(name, labels) % INDEX_SIZE;
    for (; reg_index[slot] >= 0; slot = (slot + 1) % INDEX_SIZE) {
        const struct metric *m = &table[reg_index[slot]];
        if (!strcmp(m->name, name) && !strcmp(m->labels ? m->labels : "", labels ? labels : "")) {
            pthread_mutex_unlock(&reg_mu);
            return (metric *)m;
        }
    }
    if (n >= MAX_METRICS - 1) {
        /* out of room: count into a spare entry no one renders rather than fail */
        pthread_mutex_unlock(&reg_mu);
        static atomic_long spare_b[N_BUCKETS];
        table[MAX_METRICS - 1].buckets = spare_b;
        return &table[MAX_METRICS - 1];
    }
    table[n].name = name;
    table[n].labels = labels && *labels ? xstrdup(labels) : NULL;
    table[n].help = help;
    table[n].kind = kind;
    if (kind == KIND_HISTOGRAM)
        table[n].buckets = xcalloc(N_BUCKETS, sizeof *table[n].buckets);
    reg_index[slot] = n;
    atomic_store(&n_ready, n + 1);
    pthread_mutex_unlock(&reg_mu);
    return &table[n];
}

metric *metrics_counter(const char *name, const char *labels, const char *help)
{
    return reg(name, labels, help, KIND_COUNTER);
}
metric *metrics_gauge(const char *name, const char *labels, const char *help)
{
    return reg(name, labels, help, KIND_GAUGE);
}
metric *metrics_histogram(const char *name, const char *labels, const char *help)
{
    return reg(name, labels, help, KIND_HISTOGRAM);
}
void metric_add(metric *m, long n) { atomic_fetch_add(&m->v, n); }
void metric_set(metric *m, long v) { atomic_store(&m->v, v); }
long metric_get(const metric *m) { return atomic_load(&((metric *)m)->v); }

void metric_observe_ms(metric *m, double ms)
{
    if (!m->buckets)
        return;
    if (ms < 0)
        ms = 0;
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (ms <= BUCKET_MS[i]) {
            atomic_fetch_add(&m->buckets[i], 1);
            break;
        }
    atomic_fetch_add(&m->sum_us, (long)(ms * 1000.0));
    atomic_fetch_add(&m->v, 1);
}

void metrics_label_escape(strbuf *out, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            strbuf_addch(out, '\\');
        if (*v == '\n')
            strbuf_addstr(out, "\\n");
        else
            strbuf_addch(out, *v);
    }
}

/* ---- readiness and liveness ---- */

static pthread_mutex_t why_mu = PTHREAD_MUTEX_INITIALIZER;
static char *why_not;   /* why the service is not ready (NULL: no reason given) */
#define MAX_CONDITIONS 8
static struct {
    char *name;
    int ok;
    char *why;
} conds[MAX_CONDITIONS];

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

void metrics_condition(const char *name, int ok, const char *why)
{
    pthread_mutex_lock(&why_mu);
    int i;
    for (i = 0; i < MAX_CONDITIONS && conds[i].name; i++)
        if (!strcmp(conds[i].name, name))
            break;
    if (i < MAX_CONDITIONS) {
        if (!conds[i].name)
            conds[i].name = xstrdup(name);
        conds[i].ok = ok;
        free(conds[i].why);
        conds[i].why = !ok && why ? xstrdup(why) : NULL;
    }
    pthread_mutex_unlock(&why_mu);
}

void metrics_heartbeat(void)
{
    atomic_store(&last_beat, (long long)clock_mono_ms() + 1);
}

int metrics_readyz(strbuf *out)
{
    int code = 200;
    pthread_mutex_lock(&why_mu);
    if (!atomic_load(&ready)) {
        code = 503;
        strbuf_addf(out, "not ready%s%s\n", why_not ? ": " : "", why_not ? why_not : "");
    }
    for (int i = 0; i < MAX_CONDITIONS && conds[i].name; i++) {
        if (conds[i].ok)
            continue;
        if (code == 200)
            strbuf_addstr(out, "not ready\n");
        code = 503;
        strbuf_addf(out, "%s: %s\n", conds[i].name, conds[i].why ? conds[i].why : "down");
    }
    pthread_mutex_unlock(&why_mu);
    if (code == 200)
        strbuf_addstr(out, "ready\n");
    return code;
}

static int healthz(strbuf *out)
{
    long long beat = atomic_load(&last_beat);
    long long idle = beat ? (long long)clock_mono_ms() + 1 - beat : 0;
    if (beat && idle > METRICS_STALL_MS) {
        strbuf_addf(out, "stalled: the service loop has not turned for %lld s\n", idle / 1000);
        return 503;
    }
    strbuf_addstr(out, "ok\n");
    return 200;
}

/* ---- rendering ---- */

static void series(strbuf *out, const metric *m, const char *suffix, const char *extra)
{
    strbuf_addf(out, "flowfleet_%s%s{service=\"%s\"", m->name, suffix, service_name);
    if (m->labels)
        strbuf_addf(out, ",%s", m->labels);
    if (extra)
        strbuf_addf(out, ",%s", extra);
    strbuf_addch(out, '}');
}

void metrics_render(strbuf *out)
{
    static const char *const KIND_NAMES[] = { "counter", "gauge", "histogram" };
    int n = atomic_load(&n_ready);
    /* one HELP/TYPE per name, then every labelled entry of that name
     * (entries of one name may have been registered at different times) */
    for (int i = 0; i < n; i++) {
        int first = 1;
        for (int j = 0; j < i && first; j++)
            first = strcmp(table[j].name, table[i].name) != 0;
        if (!first)
            continue;
        strbuf_addf(out, "# HELP flowfleet_%s %s\n# TYPE flowfleet_%s %s\n", table[i].name, table[i].help,
                    table[i].name, KIND_NAMES[table[i].kind]);
        for (int j = i; j < n; j++) {
            metric *m = &table[j];
            if (strcmp(m->name, table[i].name))
                continue;
            if (m->kind != KIND_HISTOGRAM) {
                series(out, m, "", NULL);
                strbuf_addf(out, " %ld\n", atomic_load(&m->v));
                continue;
            }
            long cum = 0;
            char le[32];
            for (size_t b = 0; b < N_BUCKETS; b++) {
                cum += atomic_load(&m->buckets[b]);
                snprintf(le, sizeof le, "le=\"%s\"", BUCKET_LE[b]);
                series(out, m, "_bucket", le);
                strbuf_addf(out, " %ld\n", cum);
            }
            long count = atomic_load(&m->v);
            series(out, m, "_bucket", "le=\"+Inf\"");
            strbuf_addf(out, " %ld\n", count > cum ? count : cum);
            series(out, m, "_sum", NULL);
            strbuf_addf(out, " %.6f\n", (double)atomic_load(&m->sum_us) / 1e6);
            series(out, m, "_count", NULL);
            strbuf_addf(out, " %ld\n", count > cum ? count : cum);
        }
    }
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
        metrics_render(&body);
    } else if (!strcmp(url, "/healthz")) {
        code = (unsigned)healthz(&body);
    } else if (!strcmp(url, "/readyz")) {
        code = (unsigned)metrics_readyz(&body);
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
    /* no MHD_USE_ERROR_LOG: a port in use is the caller's to report, once */
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handle, NULL,
                               MHD_OPTION_END);
    if (daemon_)
        port_ = port;
    return daemon_ ? 0 : -1;
}

int metrics_port(void)
{
    return daemon_ ? port_ : 0;
}

void metrics_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
    port_ = 0;
    set_why(NULL);
}
