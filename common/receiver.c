/*
 * receiver.c: see receiver.h. libmicrohttpd with a thread per connection
 * (a push waits for Kafka's acknowledgement on its connection's thread);
 * each request is read whole (up to the size limit, the rest drained and
 * answered 413), then answered by one function per route.
 */
#include "receiver.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_ack.h"
#include "clock.h"
#include "duration.h"
#include "flow_type.h"
#include "jsontext.h"
#include "logev.h"
#include "metrics.h"
#include "pushclaim.h"
#include "stage.h"
#include "store.h"
#include "ticks.h"
#include "xalloc.h"

typedef struct receiver {
    const worker_config *cfg;
    flow_set flows;
    store *st;
    bus_acker *acker;
    int64_t ack_ms;
    size_t max_body;
    int64_t token_ttl_ms;
} receiver;

/* One request being read. */
typedef struct req {
    strbuf body;
    int too_big;
} req;

/* ---- answers ---- */

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type, const char *text,
                              int retry_after)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    if (retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A JSON answer {"run_id"...} or {"error": text}. */
static enum MHD_Result answer_json(struct MHD_Connection *conn, unsigned status, const char *key, const char *val,
                                   int retry_after)
{
    json_t *o = json_pack("{s:s}", key, val);
    strbuf t = STRBUF_INIT;
    jsontext_dump(o, &t, 0);
    json_decref(o);
    enum MHD_Result rc = answer(conn, status, "application/json", t.buf, retry_after);
    strbuf_release(&t);
    return rc;
}

static void count_answer(const char *flow, unsigned status)
{
    strbuf l = STRBUF_INIT;
    strbuf_addf(&l, "flow=\"%s\",code=\"%u\"", flow ? flow : "", status);
    metric_add(metrics_counter("receiver_requests_total", l.buf, "Pushes and triggers, by flow and answer"), 1);
    strbuf_release(&l);
}

/* ---- users and tokens ---- */

int receiver_form_field(const char *body, const char *name, strbuf *out)
{
    size_t n = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            strbuf_reset(out);
            for (size_t i = n + 1; i < len; i++) {
                char c = p[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%' && i + 2 < len) {
                    char hex[3] = { p[i + 1], p[i + 2], 0 };
                    char *end;
                    long v = strtol(hex, &end, 16);
                    if (*end == '\0' && end == hex + 2) {   /* "%zz", "% 1": kept as they are */
                        c = (char)v;
                        i += 2;
                    }
                }
                strbuf_addch(out, c);
            }
            return 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

static int user_known(const receiver *rc, const char *user, const char *pass)
{
    for (size_t i = 0; i < rc->flows.n; i++) {
        const flow *f = rc->flows.flows[i];
        if (f->receiver_user && strcmp(f->receiver_user, user) == 0 && f->receiver_password &&
            strcmp(f->receiver_password, pass) == 0)
            return 1;
    }
    return 0;
}

static enum MHD_Result do_login(receiver *rc, struct MHD_Connection *conn, const char *body)
{
    strbuf user = STRBUF_INIT, pass = STRBUF_INIT, tok = STRBUF_INIT, key = STRBUF_INIT, err = STRBUF_INIT;
    enum MHD_Result r;
    if (!receiver_form_field(body, "username", &user) || !receiver_form_field(body, "password", &pass)) {
        r = answer(conn, 400, "text/plain", "username and password are required (form fields)", 0);
        count_answer("", 400);
    } else if (!user_known(rc, user.buf, pass.buf)) {
        r = answer(conn, 400, "text/plain", "invalid username or password", 0);
        count_answer("", 400);
    } else {
        unsigned char raw[24];
        int fd = open("/dev/urandom", O_RDONLY);
        ssize_t got = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
        if (fd >= 0)
            close(fd);
        for (size_t i = 0; got == (ssize_t)sizeof raw && i < sizeof raw; i++)
            strbuf_addf(&tok, "%02x", raw[i]);
        strbuf_addf(&key, "rtoken:%s", tok.buf);
        if (!tok.len || store_set(rc->st, key.buf, user.buf, rc->token_ttl_ms, &err) < 0) {
            r = answer(conn, 503, "text/plain", "cannot keep the token now: try again", 1);
            count_answer("", 503);
        } else {
            r = answer(conn, 200, "text/plain", tok.buf, 0);
            count_answer("", 200);
        }
    }
    strbuf_release(&user);
    strbuf_release(&pass);
    strbuf_release(&tok);
    strbuf_release(&key);
    strbuf_release(&err);
    return r;
}

/* The user of the request's bearer token: 1 (user set), 0 none or unknown,
 * -1 the store cannot say. */
static int token_user(receiver *rc, struct MHD_Connection *conn, strbuf *user)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0 || !h[7])
        return 0;
    strbuf key = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&key, "rtoken:%s", h + 7);
    int found = store_get(rc->st, key.buf, user, &err);
    strbuf_release(&key);
    strbuf_release(&err);
    return found;
}

/* The flow a request is for, checked against the token's user: the flow,
 * or NULL after answering. */
static const flow *authorized_flow(receiver *rc, struct MHD_Connection *conn, const flow *f, const char *flow_name,
                                   strbuf *user, enum MHD_Result *r)
{
    int u = token_user(rc, conn, user);
    if (u < 0) {
        *r = answer_json(conn, 503, "error", "cannot check the token now", 1);
    } else if (u == 0) {
        *r = answer_json(conn, 401, "error", "a valid token is needed: POST /api/nifi/login, then Authorization: Bearer <token>", 0);
    } else if (!f) {
        *r = answer_json(conn, 404, "error", "no such flow", 0);
    } else if (!f->receiver_user || strcmp(f->receiver_user, user->buf) != 0) {
        *r = answer_json(conn, 403, "error", "this user may not push to or trigger this flow", 0);
    } else {
        return f;
    }
    count_answer(flow_name, u < 0 ? 503 : u == 0 ? 401 : !f ? 404 : 403);
    return NULL;
}

/* ---- publishing ---- */

static void log_started(receiver *rc, const envelope *e)
{
    strbuf j = STRBUF_INIT, topic = STRBUF_INIT, err = STRBUF_INIT;
    logev_run(&j, e, "started", "in_progress", NULL, clock_wall_ms());
    bus_topic(&topic, rc->cfg->prefix, NULL, TOPIC_LOG);
    if (bus_acker_post(rc->acker, topic.buf, e->run_id, j.buf, j.len, &err) < 0)
        logev_say("receiver", "error", e, "cannot publish the run's started event: %s", err.buf);
    strbuf_release(&j);
    strbuf_release(&topic);
    strbuf_release(&err);
}

/* Publishes e to the flow type's topic of kind and waits for Kafka's
 * acknowledgement: 0, or -1 with err. */
static int publish(receiver *rc, const flow *f, envelope *e, enum bus_topic_kind kind, strbuf *err)
{
    strbuf topic = STRBUF_INIT, payload = STRBUF_INIT;
    bus_topic(&topic, rc->cfg->prefix, f->type, kind);
    envelope_encode(e, &payload);
    double t0 = clock_mono_ms();
    int r = bus_acker_send(rc->acker, topic.buf, e->key, payload.buf, payload.len, err);
    strbuf l = STRBUF_INIT;
    strbuf_addf(&l, "flow=\"%s\"", f->name);
    metric_observe_ms(metrics_histogram("receiver_publish_ms", l.buf, "Time to Kafka's acknowledgement of a push or trigger"),
                      clock_mono_ms() - t0);
    strbuf_release(&l);
    strbuf_release(&topic);
    strbuf_release(&payload);
    return r;
}

/* Rate limit: 1 within the flow's pushes a second, 0 over, -1 cannot say. */
static int within_rate(receiver *rc, const flow *f)
{
    strbuf key = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&key, "rate:%s:%lld", f->name, (long long)(clock_wall_ms() / 1000));
    long n = store_counter_add(rc->st, key.buf, 2000, &err);
    strbuf_release(&key);
    strbuf_release(&err);
    return n < 0 ? -1 : n <= f->receiver_rate;
}

/* A retry's Idempotency-Key found prev there. prev is the first push's run
 * id: 0 (answer it). prev is "pending:<ms>:<run>": within the ack bound
 * (and a margin) its push may still be acknowledged, 2 (tell the pusher to
 * retry); later its receiver is gone (killed mid-push), so its push is
 * settled for good: taken by a consumer already, 0 with its run id in
 * prev; else refused, and this push takes its place (1, the key now
 * mine), or another retry took it first (2). -1 on a Redis error. */
static int idem_earlier(receiver *rc, const flow *f, const char *ikey, strbuf *prev, const char *mine, strbuf *err)
{
    if (strncmp(prev->buf, "pending:", 8) != 0)
        return 0;
    char *end;
    long long ms = strtoll(prev->buf + 8, &end, 10);
    if (*end != ':' || clock_wall_ms() - ms < rc->ack_ms + 5000)
        return 2;
    const char *old_run = end + 1;
    int refused = pushclaim_refuse(rc->st, old_run, f->receiver_idem_ms, err);
    if (refused < 0)
        return -1;
    if (!refused) {
        strbuf was = STRBUF_INIT;
        strbuf_addstr(&was, prev->buf);
        strbuf_setf(prev, "%s", old_run);
        int set = store_replace(rc->st, ikey, was.buf, prev->buf, f->receiver_idem_ms, err);
        strbuf_release(&was);
        return set < 0 ? -1 : 0;
    }
    int mine_now = store_replace(rc->st, ikey, prev->buf, mine, f->receiver_idem_ms, err);
    return mine_now < 0 ? -1 : mine_now ? 1 : 2;
}

static enum MHD_Result do_push(receiver *rc, struct MHD_Connection *conn, const flow *f, const char *name, req *q)
{
    strbuf user = STRBUF_INIT, err = STRBUF_INIT, run = STRBUF_INIT, ikey = STRBUF_INIT, prev = STRBUF_INIT;
    strbuf pending = STRBUF_INIT;
    enum MHD_Result r;
    envelope e;
    envelope_init(&e);
    unsigned code = 0;
    if (!authorized_flow(rc, conn, f, name, &user, &r))
        goto out;
    if (!f->receiver_push) {
        r = answer_json(conn, 404, "error", "this flow takes no pushes (it is inbound-only)", 0);
        code = 404;
        goto out;
    }
    if (q->too_big) {
        strbuf_setf(&err, "the body is over %zu bytes", rc->max_body);
        r = answer_json(conn, 413, "error", err.buf, 0);
        code = 413;
        goto out;
    }
    strbuf text = STRBUF_INIT;
    if (jsontext_minify(q->body.buf, q->body.len, &text, NULL, &err) < 0) {
        strbuf_insertstr(&err, 0, "the body is not JSON: ");
        r = answer_json(conn, 400, "error", err.buf, 0);
        strbuf_release(&text);
        code = 400;
        goto out;
    }
    strbuf_add(&e.body, text.buf, text.len);
    strbuf_release(&text);
    int within = within_rate(rc, f);
    if (within <= 0) {
        r = within < 0 ? answer_json(conn, 503, "error", "cannot check the rate limit now", 1)
                       : answer_json(conn, 429, "error", "over the flow's pushes a second (receiver.rate_limit)", 1);
        code = within < 0 ? 503 : 429;
        goto out;
    }
    strbuf_addf(&run, "%s-push-%lld-%04x", f->name, (long long)clock_wall_ms(), (unsigned)(rand() & 0xffff));
    envelope_set(&e.flow, f->name);
    envelope_set(&e.flow_type, f->type);
    envelope_set(&e.run_id, run.buf);
    envelope_set(&e.key, run.buf);
    e.attempt = 1;
    e.created_ms = clock_wall_ms();
    attrs_set(&e.attrs, "run.triggered_by", user.buf);
    attrs_set(&e.attrs, "run.is_triggered", "true");
    attrs_set(&e.attrs, "run.pushed", "true");
    if (f->ft->receive(f, &e, &err) < 0) {
        r = answer_json(conn, 400, "error", err.buf, 0);
        code = 400;
        goto out;
    }
    /* Idempotency-Key: "pending:<ms>:<run>" while its first push is being
     * published, then that push's run id, for the flow's window
     * (idem_earlier for what a retry does) */
    const char *idem = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (idem && *idem) {
        strbuf_addf(&ikey, "idem:%s:%s", f->name, idem);
        strbuf_addf(&pending, "pending:%lld:%s", (long long)clock_wall_ms(), run.buf);
        int fresh = store_claim(rc->st, ikey.buf, pending.buf, f->receiver_idem_ms, &prev, &err);
        if (fresh == 0)
            fresh = idem_earlier(rc, f, ikey.buf, &prev, pending.buf, &err);
        if (fresh < 0) {
            r = answer_json(conn, 503, "error", "cannot check the Idempotency-Key now", 1);
            code = 503;
        } else if (fresh == 0) {
            r = answer_json(conn, 202, "run_id", prev.buf, 0);
            code = 202;
        } else if (fresh == 2) {
            r = answer_json(conn, 409, "error", "a push with this Idempotency-Key is being published", 1);
            code = 409;
        }
        if (fresh != 1)
            goto out;
    }
    /* the run: started, one record published (final), then the record;
     * whether it counts is claimed once (pushclaim.h): an acknowledged
     * push a retry has fenced does not, a refused one Kafka got late and
     * a consumer took already does */
    store_run_start(rc->st, run.buf, clock_wall_ms(), &err);
    const char *keys[1] = { e.key };
    int acked = publish(rc, f, &e, TOPIC_RECORDS, &err) == 0;
    if (!acked)
        logev_say("receiver", "warning", &e, "push not acknowledged: %s", err.buf);
    /* only a retry with this push's Idempotency-Key can have refused an
     * acknowledged push: without a key its claim is the transformer's */
    strbuf cerr = STRBUF_INIT;
    int claimed = !acked   ? pushclaim_refuse(rc->st, run.buf, f->receiver_idem_ms, &cerr)
                  : ikey.len ? pushclaim_take(rc->st, run.buf, f->receiver_idem_ms, &cerr)
                             : 1;
    if (claimed < 0)
        logev_say("receiver", "error", &e, "push claim: %s%s", cerr.buf,
                  acked ? "" : " (if Kafka takes the message later, it will be delivered)");
    strbuf_release(&cerr);
    if (acked ? claimed == 0 : claimed != 0) {
        if (ikey.len)
            store_del_if(rc->st, ikey.buf, pending.buf, NULL);
        r = answer_json(conn, 503, "error",
                        acked ? "a retry with the same Idempotency-Key took this push's place; nothing was taken"
                              : "Kafka did not acknowledge the push in time: nothing was taken; retry",
                        5);
        code = 503;
        goto out;
    }
    log_started(rc, &e);
    if (store_run_published(rc->st, run.buf, keys, 1, 1, NULL, &err) < 0)
        logev_say("receiver", "error", &e, "run counters: %s", err.buf);
    if (ikey.len)
        store_set(rc->st, ikey.buf, run.buf, f->receiver_idem_ms, &err);
    strbuf l = STRBUF_INIT;
    strbuf_addf(&l, "flow=\"%s\"", f->name);
    metric_add(metrics_counter("receiver_push_bytes_total", l.buf, "Bytes of pushed bodies taken"), (long)q->body.len);
    strbuf_release(&l);
    r = answer_json(conn, 202, "run_id", run.buf, 0);
    code = 202;
out:
    if (code)
        count_answer(name, code);
    envelope_release(&e);
    strbuf_release(&user);
    strbuf_release(&err);
    strbuf_release(&run);
    strbuf_release(&ikey);
    strbuf_release(&prev);
    strbuf_release(&pending);
    return r;
}

static enum MHD_Result add_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    if (key && *key)
        attrs_set(cls, key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result do_trigger(receiver *rc, struct MHD_Connection *conn, const flow *f, const char *name)
{
    strbuf user = STRBUF_INIT, err = STRBUF_INIT, run = STRBUF_INIT;
    enum MHD_Result r;
    envelope e;
    envelope_init(&e);
    if (!authorized_flow(rc, conn, f, name, &user, &r))
        goto out;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_param, &e.attrs);
    strbuf_addf(&run, "%s-manual-%lld", f->name, (long long)clock_wall_ms());
    ticks_make_tick(&e, f, run.buf, user.buf, 1);
    envelope_set(&e.key, f->name);
    if (publish(rc, f, &e, TOPIC_TICKS, &err) < 0) {
        r = answer_json(conn, 503, "error", "Kafka did not acknowledge the trigger in time: no run was started; retry", 5);
        count_answer(name, 503);
        goto out;
    }
    r = answer_json(conn, 202, "run_id", run.buf, 0);
    count_answer(name, 202);
out:
    envelope_release(&e);
    strbuf_release(&user);
    strbuf_release(&err);
    strbuf_release(&run);
    return r;
}

/* ---- routing ---- */

static const flow *flow_by_path(receiver *rc, const char *url)
{
    for (size_t i = 0; i < rc->flows.n; i++) {
        const flow *f = rc->flows.flows[i];
        if (f->receiver_path && strcmp(f->receiver_path, url) == 0)
            return f;
    }
    return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state)
{
    receiver *rc = cls;
    req *q = *state;
    (void)version;
    if (!q) {
        q = xcalloc(1, sizeof *q);
        strbuf_init(&q->body, 0);
        *state = q;
        return MHD_YES;
    }
    if (*upload_size) {   /* read whole, up to the limit; the rest is drained */
        if (q->body.len + *upload_size > rc->max_body)
            q->too_big = 1;
        else
            strbuf_add(&q->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    int post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
    if (strcmp(url, "/api/nifi/login") == 0 && post)
        return q->too_big ? answer(conn, 413, "text/plain", "body too large", 0) : do_login(rc, conn, q->body.buf);
    if (strncmp(url, "/trigger/", 9) == 0) /* GET or POST, the parameters in the URL */
        return get || post ? do_trigger(rc, conn, flow_set_find(&rc->flows, url + 9), url + 9)
                           : answer_json(conn, 405, "error", "method not allowed: GET or POST", 0);
    const flow *f = flow_by_path(rc, url);
    if (f && post)
        return do_push(rc, conn, f, f->name, q);
    if (strncmp(url, "/outbound/", 10) == 0 && post)   /* no flow has that path */
        return do_push(rc, conn, NULL, url + 10, q);
    if (strcmp(url, "/healthz") == 0)
        return answer(conn, 200, "text/plain", "ok\n", 0);
    return answer_json(conn, f ? 405 : 404, "error", f ? "method not allowed" : "not found", 0);
}

static void done(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode toe)
{
    req *q = *state;
    (void)cls;
    (void)conn;
    (void)toe;
    if (q) {
        strbuf_release(&q->body);
        free(q);
        *state = NULL;
    }
}

static int64_t env_ms(const char *name, int64_t def)
{
    const char *v = getenv(name);
    int64_t ms = def;
    if (v && *v && duration_parse_ms(v, &ms) < 0) {
        fprintf(stderr, "receiver: %s: expected a duration such as \"10s\", got \"%s\"\n", name, v);
        exit(2);
    }
    return ms;
}

int receiver_run(const worker_config *cfg)
{
    receiver rc = { .cfg = cfg };
    strbuf err = STRBUF_INIT;
    const char *v;
    int port = (v = getenv("FLOWFLEET_RECEIVER_PORT")) && *v ? atoi(v) : 8088;
    rc.ack_ms = env_ms("FLOWFLEET_RECEIVER_ACK_TIMEOUT", 10000);
    rc.token_ttl_ms = env_ms("FLOWFLEET_RECEIVER_TOKEN_TTL", 3600 * 1000);
    /* a push is one Kafka message: never over the fleet's limit (bus.h) */
    rc.max_body = (v = getenv("FLOWFLEET_RECEIVER_MAX_BODY")) && *v ? (size_t)atol(v) : bus_message_limit();
    if (rc.max_body == 0 || rc.max_body > bus_message_limit()) {
        logev_say("receiver", "warning", NULL, "FLOWFLEET_RECEIVER_MAX_BODY %zu is over the fleet's largest message "
                  "(FLOWFLEET_MAX_MESSAGE_BYTES, %zu bytes): pushes are limited to that", rc.max_body, bus_message_limit());
        rc.max_body = bus_message_limit();
    }
    srand((unsigned)clock_wall_ms() ^ (unsigned)getpid());
    worker_install_signals();
    if (worker_load_flows(cfg, &rc.flows) < 0)
        return 1;
    rc.st = worker_store_open(cfg, &err);
    if (!rc.st) {
        logev_say("receiver", "error", NULL, "redis %s: %s", cfg->redis, err.buf);
        return 1;
    }
    bus_config bc = { cfg->brokers, "receiver", NULL, 0, 0, (const char *const *)cfg->kafka };
    rc.acker = bus_acker_new(&bc, (int)rc.ack_ms, &err);
    if (!rc.acker) {
        logev_say("receiver", "error", NULL, "kafka %s: %s", cfg->brokers, err.buf);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                                            (uint16_t)port, NULL, NULL, handle, &rc, MHD_OPTION_NOTIFY_COMPLETED,
                                            done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d) {
        logev_say("receiver", "error", NULL, "cannot listen on port %d", port);
        return 1;
    }
    worker_serve_metrics(cfg);
    void *watch = worker_watch_start(cfg);   /* /readyz checks Redis too */
    metrics_set_ready(1);
    logev_say("receiver", "info", NULL, "listening on port %d, %zu flow(s)", port, rc.flows.n);
    while (!worker_stopping()) {
        metrics_heartbeat();
        usleep(200 * 1000);
    }
    MHD_stop_daemon(d);
    worker_watch_stop(watch);
    bus_acker_free(rc.acker);
    store_close(rc.st);
    metrics_stop();
    flow_set_release(&rc.flows);
    strbuf_release(&err);
    return 0;
}
