/*
 * simhttp.c: libmicrohttpd glue for the simulators. See simhttp.h.
 *
 * Each connection's current request gets a conn_ctx (MHD's con_cls): the
 * first callback creates it, the upload callbacks append to its body, the
 * final one runs the handler and turns req->out into an MHD response. When
 * the handler asked for a delay, the response is parked in the ctx, the
 * connection suspended and the ctx put on the timer list (under `lock`,
 * together with the `stopping` check, so simhttp_stop() never misses one).
 * The timer thread resumes due connections; MHD then calls us again and the
 * parked response is queued. The completion callback frees the ctx.
 */
#include "simhttp.h"
#include "cpupolicy.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "jsontext.h"

#define MAX_BODY (16u << 20)

typedef struct conn_ctx {
    simhttp_req req;
    char *target;                  /* the raw request target (req.target) */
    int begun;                     /* on_request has seen the request */
    int too_big;
    struct MHD_Response *parked;   /* answer held back by a delay */
    unsigned parked_status;
    unsigned long long wake_ns;
    struct conn_ctx *next;         /* timer list */
} conn_ctx;

struct simhttp_server {
    struct MHD_Daemon *daemon;
    simhttp_handler handler;
    void *ctx;
    int port;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t timer;
    int timer_started;
    int stopping;
    conn_ctx *waiting;             /* suspended connections */
};

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Resumes every parked connection that is due (all when s->stopping).
 * Called with s->lock held. Returns the next wake time, 0 if none. */
static unsigned long long resume_due(simhttp_server *s)
{
    unsigned long long now = now_ns(), next = 0;
    conn_ctx **pp = &s->waiting;
    while (*pp) {
        conn_ctx *c = *pp;
        if (s->stopping || c->wake_ns <= now) {
            *pp = c->next;
            c->next = NULL;
            MHD_resume_connection(c->req.conn);
            continue;
        }
        if (!next || c->wake_ns < next)
            next = c->wake_ns;
        pp = &c->next;
    }
    return next;
}

static void *timer_main(void *arg)
{
    simhttp_server *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        unsigned long long next = resume_due(s);
        if (!next) {
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        struct timespec ts = { (time_t)(next / 1000000000ull), (long)(next % 1000000000ull) };
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static struct MHD_Response *make_response(simhttp_req *req, unsigned *status)
{
    if (!req->status) {
        strbuf_reset(&req->out);
        strbuf_addstr(&req->out, "{\"error\": \"no answer\"}");
        req->status = 500;
    }
    size_t len;
    char *text = strbuf_detach(&req->out, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (req->retry_after[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, req->retry_after);
    *status = (unsigned)req->status;
    return r;
}

/* Suspends c's connection for ms, with response r (NULL: call the handler
 * again when resumed). 0 when the server is stopping (nothing parked). */
static int park(simhttp_server *s, conn_ctx *c, struct MHD_Response *r, unsigned status, unsigned ms)
{
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    c->parked = r;
    c->parked_status = status;
    c->wake_ns = now_ns() + (unsigned long long)ms * 1000000ull;
    MHD_suspend_connection(c->req.conn);
    c->next = s->waiting;
    s->waiting = c;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    simhttp_server *s = cls;
    conn_ctx *c = *con_cls;
    (void)version;
    if (!c)
        return MHD_NO;   /* on_uri gave none: out of memory */
    if (!c->begun) {
        c->begun = 1;
        strbuf_init(&c->req.body, 0);
        strbuf_init(&c->req.out, 0);
        c->req.conn = conn;
        c->req.method = method;
        c->req.path = url;
        c->req.target = c->target ? c->target : url;
        return MHD_YES;
    }
    if (c->parked) {
        struct MHD_Response *r = c->parked;
        c->parked = NULL;
        enum MHD_Result ret = MHD_queue_response(conn, c->parked_status, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (*upload_data_size) {
        if (c->req.body.len + *upload_data_size > MAX_BODY)
            c->too_big = 1;
        else
            strbuf_add(&c->req.body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!c->req.started_ns)
        c->req.started_ns = now_ns();
    c->req.again_ms = 0;
    if (c->too_big)
        simhttp_reply_error(&c->req, 413, "error", "request body larger than %u bytes", MAX_BODY);
    else
        s->handler(s->ctx, &c->req);
    if (c->req.again_ms && park(s, c, NULL, 0, c->req.again_ms)) {
        strbuf_reset(&c->req.out);
        c->req.status = 0;
        return MHD_YES;
    }
    unsigned status;
    struct MHD_Response *r = make_response(&c->req, &status);
    if (!r)
        return MHD_NO;
    if (c->req.delay_ms && park(s, c, r, status, c->req.delay_ms))
        return MHD_YES;
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    conn_ctx *c = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!c)
        return;
    if (c->parked)
        MHD_destroy_response(c->parked);
    if (c->begun) {
        strbuf_release(&c->req.body);
        strbuf_release(&c->req.out);
    }
    free(c->target);
    free(c);
    *con_cls = NULL;
}

/* MHD_OPTION_URI_LOG_CALLBACK: called with the request target before
 * anything is decoded; its answer becomes the request's context. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    conn_ctx *c = calloc(1, sizeof(*c));
    if (c)
        c->target = strdup(uri ? uri : "");
    return c;
}

simhttp_server *simhttp_start(const simhttp_options *opt, simhttp_handler h, void *ctx, strbuf *err)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)opt->port);
    const char *bind = opt->bind ? opt->bind : "127.0.0.1";
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1) {
        strbuf_seterr(err, "bad bind address '%s'", bind);
        return NULL;
    }
    if (opt->port < 0 || opt->port > 65535) {
        strbuf_seterr(err, "bad port %d", opt->port);
        return NULL;
    }
    int threads = opt->threads;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 2 ? 2 : (int)n;
    }
    simhttp_server *s = xcalloc(1, sizeof(*s));
    s->handler = h;
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->timer, NULL, timer_main, s) != 0) {
        strbuf_seterr(err, "cannot start timer thread");
        simhttp_stop(s);
        return NULL;
    }
    s->timer_started = 1;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)20000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)300,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        strbuf_seterr(err, "cannot listen on %s:%d: %s", bind, opt->port, strerror(errno));
        simhttp_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opt->port;
    return s;
}

int simhttp_port(const simhttp_server *s)
{
    return s->port;
}

void simhttp_stop(simhttp_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    resume_due(s);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (s->timer_started)
        pthread_join(s->timer, NULL);
    if (s->daemon) {
        /* Let the pool threads pick up the resumed connections first. */
        usleep(20000);
        MHD_stop_daemon(s->daemon);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

const char *simhttp_query(const simhttp_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *simhttp_header(const simhttp_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct foreach_arg {
    void (*fn)(void *arg, const char *key, const char *value);
    void *arg;
};

static enum MHD_Result foreach_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct foreach_arg *fa = cls;
    (void)kind;
    fa->fn(fa->arg, key, value ? value : "");
    return MHD_YES;
}

void simhttp_foreach(const simhttp_req *req, int kind,
                     void (*fn)(void *arg, const char *key, const char *value), void *arg)
{
    struct foreach_arg fa = { fn, arg };
    MHD_get_connection_values(req->conn, kind ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND, foreach_cb, &fa);
}

json_t *simhttp_body_json(const simhttp_req *req, strbuf *err)
{
    if (!req->body.len) {
        strbuf_seterr(err, "empty body");
        return NULL;
    }
    return jsontext_parse(req->body.buf, req->body.len, err);
}

int simhttp_match(const char *path, const char *pattern, long long *ids, int max)
{
    int n = 0;
    while (*pattern) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            long long v = 0;
            int digits = 0;
            while (*path >= '0' && *path <= '9') {
                if (++digits > 18)
                    return 0;
                v = v * 10 + (*path++ - '0');
            }
            if (!digits || n >= max)
                return 0;
            ids[n++] = v;
            pattern += 2;
            continue;
        }
        if (*path != *pattern)
            return 0;
        path++;
        pattern++;
    }
    return *path == '\0';
}

void simhttp_reply_json(simhttp_req *req, int status, const json_t *v)
{
    strbuf_reset(&req->out);
    jsontext_dump(v, &req->out, 0);
    req->status = status;
}

void simhttp_reply_text(simhttp_req *req, int status, const char *json_text, size_t len)
{
    strbuf_reset(&req->out);
    strbuf_add(&req->out, json_text, len);
    req->status = status;
}

void simhttp_reply_error(simhttp_req *req, int status, const char *key, const char *fmt, ...)
{
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    strbuf_reset(&req->out);
    strbuf_addstr(&req->out, "{\"");
    strbuf_add_json_escaped(&req->out, key, strlen(key));
    strbuf_addstr(&req->out, "\": \"");
    strbuf_add_json_escaped(&req->out, msg.buf, msg.len);
    strbuf_addstr(&req->out, "\"}");
    strbuf_release(&msg);
    req->status = status;
}

int simhttp_write_port_file(const char *path, int port, strbuf *err)
{
    strbuf tmp = STRBUF_INIT;
    strbuf_addf(&tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp.buf, "w");
    if (!f) {
        strbuf_seterr(err, "%s: %s", tmp.buf, strerror(errno));
        strbuf_release(&tmp);
        return -1;
    }
    int bad = fprintf(f, "%d\n", port) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp.buf, path) != 0) {
        strbuf_seterr(err, "%s: %s", path, strerror(errno));
        unlink(tmp.buf);
        strbuf_release(&tmp);
        return -1;
    }
    strbuf_release(&tmp);
    return 0;
}

void simhttp_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void simhttp_run_until_signal(void)
{
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    while (sigwait(&set, &sig) != 0)
        ;
}

int simhttp_option(simhttp_options *opt, int c, const char *arg)
{
    switch (c) {
    case 'p': opt->port = atoi(arg); return 1;
    case 'f': opt->port_file = arg; return 1;
    case 'b': opt->bind = arg; return 1;
    case 't': opt->threads = atoi(arg); return 1;
    default: return 0;
    }
}

int simhttp_serve(const char *prog, const simhttp_options *opt, simhttp_handler h, void *ctx)
{
    strbuf err = STRBUF_INIT;
    /* the simulators share the machine with the fleet they serve: batch, as
     * the services are (cpupolicy.h), before the pool threads start */
    if (cpupolicy_set("batch", &err) < 0)
        fprintf(stderr, "%s: %s\n", prog, err.buf);
    simhttp_block_signals();
    simhttp_server *s = simhttp_start(opt, h, ctx, &err);
    if (!s)
        goto fail;
    if (opt->port_file && simhttp_write_port_file(opt->port_file, simhttp_port(s), &err) != 0) {
        simhttp_stop(s);
        goto fail;
    }
    printf("listening on %s:%d\n", opt->bind ? opt->bind : "127.0.0.1", simhttp_port(s));
    fflush(stdout);
    simhttp_run_until_signal();
    simhttp_stop(s);
    strbuf_release(&err);
    return 0;
fail:
    fprintf(stderr, "%s: %s\n", prog, err.buf);
    strbuf_release(&err);
    return 1;
}

/* For /_control/state?wait_for=FIELD&wait_min=N[&timeout_ms=T]: 1 when the
 * rendered state (req->out) has FIELD >= N, when the wait is over, or when
 * no wait was asked for. */
static int state_reached(const simhttp_req *req)
{
    const char *field = simhttp_query(req, "wait_for"), *min = simhttp_query(req, "wait_min");
    const char *tmo = simhttp_query(req, "timeout_ms");
    if (!field || !min)
        return 1;
    unsigned long long timeout = tmo ? strtoull(tmo, NULL, 10) : 60000;
    if (now_ns() - req->started_ns >= timeout * 1000000ull)
        return 1;
    /* the first "FIELD": the simulators' counters come before their maps */
    strbuf key = STRBUF_INIT;
    strbuf_addf(&key, "\"%s\"", field);
    const char *at = req->out.buf ? strstr(req->out.buf, key.buf) : NULL;
    if (at) {
        at += key.len;
        at += strspn(at, " \t\n\r");
        at = *at == ':' ? at + 1 : NULL;
    }
    strbuf_release(&key);
    return at && strtoll(at, NULL, 10) >= strtoll(min, NULL, 10);
}

void simhttp_handle_control(const simhttp_control *c, void *ctx, simhttp_req *req)
{
    const char *p = req->path + strlen("/_control/");
    int get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (!strcmp(p, "state") && get) {
        c->state(ctx, req);
        if (req->status == 200 && !state_reached(req))
            req->again_ms = 5;
    }
    else if (!strcmp(p, "order") && get)
        c->order(ctx, req);
    else if (!strcmp(p, "faults") && post)
        c->faults(ctx, req);
    else if (!strcmp(p, "reset") && post)
        c->reset(ctx, req);
    else if (!strcmp(p, "state") || !strcmp(p, "order") || !strcmp(p, "faults") || !strcmp(p, "reset"))
        simhttp_reply_error(req, 405, "error", "method %s not allowed", req->method);
    else
        simhttp_reply_error(req, 404, "error", "not found");
}

unsigned long long simhttp_rand_next(unsigned long long *state)
{
    unsigned long long z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double simhttp_rand_unit(unsigned long long seed)
{
    static atomic_ullong counter;
    static __thread unsigned long long state;
    static __thread int seeded;
    if (!seeded) {
        state = seed ^ (atomic_fetch_add(&counter, 1) + 1) * 0x2545f4914f6cdd1dull;
        seeded = 1;
    }
    return (double)(simhttp_rand_next(&state) >> 11) * (1.0 / 9007199254740992.0);
}
