/*
 * Unit tests: the Order Flow's stages (reader, transformer, writer) and the
 * scheduler's step, without Kafka. Messages go to a memory sink; the store
 * is a private redis-server this test starts (unix socket, no persistence)
 * and kills at the end; Omnitron and the ERP are played by an in-process
 * libmicrohttpd server whose answers each test case configures (an order
 * the ERP has already, a query answering 503, an ERP write failing with
 * 500). Flow files, the Jolt spec and the scripts are written into a
 * private temp directory. Log events are checked against the schema of
 * docs/log-topic.md.
 */
#include "envelope.h"
#include "clock.h"
#include "flow.h"
#include "jsontext.h"
#include "logev.h"
#include "pyscript.h"
#include "stage.h"
#include "jsonpath.h"
#include "order/order.h"
#include "store.h"
#include "ticks.h"
#include "testsupport.h"
#include "unit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <hiredis.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- redis-server ---- */

static pid_t redis_pid = -1;
static char sock_path[64];

static int start_redis(void)
{
    redis_pid = ts_redis_start(sock_path, ts_free_port());
    return redis_pid > 0 ? 0 : -1;
}

static void stop_redis(void)
{
    ts_redis_stop(&redis_pid, sock_path);
}

/* Every test starts from an empty Redis. */
static void redis_flush(void)
{
    redisContext *c = redisConnectUnix(sock_path);
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "FLUSHALL");
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
}

/* ---- the memory sink ---- */

typedef struct msg {
    char *topic, *key;
    char *data;
    size_t len;
} msg;

static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;
static msg *msgs;
static size_t n_msgs, cap_msgs;

static int mem_produce(void *ctx, const char *topic, const char *key, const void *payload, size_t len, void *origin,
                       strbuf *err)
{
    (void)ctx;
    (void)origin;
    (void)err;
    pthread_mutex_lock(&sink_mu);
    if (n_msgs == cap_msgs) {
        cap_msgs = cap_msgs ? cap_msgs * 2 : 32;
        msgs = realloc(msgs, cap_msgs * sizeof *msgs);
    }
    msg *m = &msgs[n_msgs++];
    m->topic = strdup(topic);
    m->key = strdup(key);
    m->data = malloc(len + 1);
    memcpy(m->data, payload, len);
    m->data[len] = '\0';
    m->len = len;
    pthread_mutex_unlock(&sink_mu);
    return 0;
}

static int fail_produce(void *ctx, const char *topic, const char *key, const void *payload, size_t len,
                        void *origin, strbuf *err)
{
    (void)ctx;
    (void)topic;
    (void)key;
    (void)payload;
    (void)len;
    (void)origin;
    strbuf_seterr(err, "broker unavailable");
    return -1;
}

static void sink_clear(void)
{
    for (size_t i = 0; i < n_msgs; i++) {
        free(msgs[i].topic);
        free(msgs[i].key);
        free(msgs[i].data);
    }
    n_msgs = 0;
}

static size_t count_topic(const char *topic)
{
    size_t n = 0;
    for (size_t i = 0; i < n_msgs; i++)
        n += strcmp(msgs[i].topic, topic) == 0;
    return n;
}

/* The i-th message on topic, or NULL. */
static const msg *nth(const char *topic, size_t i)
{
    for (size_t k = 0; k < n_msgs; k++)
        if (strcmp(msgs[k].topic, topic) == 0 && i-- == 0)
            return &msgs[k];
    return NULL;
}

/* Decodes the message on topic with the given key into e; 0 or -1. */
static int decode_keyed(const char *topic, const char *key, envelope *e)
{
    for (size_t k = 0; k < n_msgs; k++)
        if (strcmp(msgs[k].topic, topic) == 0 && strcmp(msgs[k].key, key) == 0) {
            strbuf err = STRBUF_INIT;
            int r = envelope_decode(e, msgs[k].data, msgs[k].len, &err);
            if (r < 0)
                fprintf(stderr, "decode: %s\n", err.buf);
            strbuf_release(&err);
            return r;
        }
    return -1;
}

/* Log events (parsed) matching kind and, when not NULL, field == value. */
static size_t count_log(const char *kind, const char *field, const char *value, const char *field2,
                        const char *value2)
{
    size_t n = 0;
    for (size_t k = 0; k < n_msgs; k++) {
        if (strcmp(msgs[k].topic, "t.log") != 0)
            continue;
        json_t *j = json_loads(msgs[k].data, 0, NULL);
        const char *kd = json_string_value(json_object_get(j, "kind"));
        const char *v = field ? json_string_value(json_object_get(j, field)) : NULL;
        const char *v2 = field2 ? json_string_value(json_object_get(j, field2)) : NULL;
        if (kd && strcmp(kd, kind) == 0 && (!field || (v && strcmp(v, value) == 0)) &&
            (!field2 || (v2 && strcmp(v2, value2) == 0)))
            n++;
        json_decref(j);
    }
    return n;
}

/* The first log event matching; new reference or NULL. */
static json_t *find_log(const char *kind, const char *field, const char *value, const char *field2,
                        const char *value2)
{
    for (size_t k = 0; k < n_msgs; k++) {
        if (strcmp(msgs[k].topic, "t.log") != 0)
            continue;
        json_t *j = json_loads(msgs[k].data, 0, NULL);
        const char *kd = json_string_value(json_object_get(j, "kind"));
        const char *v = field ? json_string_value(json_object_get(j, field)) : NULL;
        const char *v2 = field2 ? json_string_value(json_object_get(j, field2)) : NULL;
        if (kd && strcmp(kd, kind) == 0 && (!field || (v && strcmp(v, value) == 0)) &&
            (!field2 || (v2 && strcmp(v2, value2) == 0)))
            return j;
        json_decref(j);
    }
    return NULL;
}

static int is_iso_time(json_t *v)
{
    const char *s = json_string_value(v);
    /* 2024-01-02T03:04:05.678Z */
    if (!s || strlen(s) != 24)
        return 0;
    for (int i = 0; i < 24; i++) {
        char c = s[i];
        int ok = (i == 4 || i == 7) ? c == '-' : i == 10 ? c == 'T' : (i == 13 || i == 16) ? c == ':'
               : i == 19 ? c == '.' : i == 23 ? c == 'Z' : (c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static int str_or_null(json_t *v)
{
    return v && (json_is_string(v) || json_is_null(v));
}

/* Every message on the log topic is one JSON object with the schema-1 fields
 * of its kind and the right message key. Returns the number checked. */
static size_t check_log_schema(void)
{
    size_t n = 0;
    for (size_t k = 0; k < n_msgs; k++) {
        if (strcmp(msgs[k].topic, "t.log") != 0)
            continue;
        json_error_t je;
        json_t *j = json_loads(msgs[k].data, 0, &je);
        CHECK(json_is_object(j));
        if (!json_is_object(j)) {
            fprintf(stderr, "    not JSON: %s\n", msgs[k].data);
            continue;
        }
        /* counted: run start and end, and record outcomes (step events and
         * the "published" run event are checked, not counted) */
        const char *kind0 = json_string_value(json_object_get(j, "kind"));
        const char *ev0 = json_string_value(json_object_get(j, "event"));
        n += !(kind0 && strcmp(kind0, "step") == 0) && !(ev0 && strcmp(ev0, "published") == 0);
        int ok = json_integer_value(json_object_get(j, "v")) == 2 && json_is_integer(json_object_get(j, "v")) &&
                 is_iso_time(json_object_get(j, "ts")) && json_is_string(json_object_get(j, "flow")) &&
                 json_is_string(json_object_get(j, "flow_type")) && json_is_string(json_object_get(j, "run_id"));
        const char *kind = json_string_value(json_object_get(j, "kind"));
        if (kind && strcmp(kind, "run") == 0) {
            const char *ev = json_string_value(json_object_get(j, "event"));
            const char *st = json_string_value(json_object_get(j, "status"));
            ok = ok && ev && st && json_is_string(json_object_get(j, "triggered_by")) &&
                 json_is_boolean(json_object_get(j, "is_triggered")) &&
                 strcmp(msgs[k].key, json_string_value(json_object_get(j, "run_id"))) == 0;
            ok = ok && json_is_string(json_object_get(j, "state")) && json_is_string(json_object_get(j, "trigger")) &&
                 is_iso_time(json_object_get(j, "created_at"));
            if (ok && strcmp(ev, "started") == 0) {
                ok = strcmp(st, "in_progress") == 0 && !json_object_get(j, "counts");
            } else if (ok && strcmp(ev, "published") == 0) {
                ok = strcmp(st, "in_progress") == 0 && json_is_object(json_object_get(j, "counts"));
            } else if (ok && strcmp(ev, "finished") == 0) {
                json_t *c = json_object_get(j, "counts");
                ok = (strcmp(st, "success") == 0 || strcmp(st, "failed") == 0 || strcmp(st, "empty") == 0) &&
                     json_is_integer(json_object_get(c, "published")) &&
                     json_is_integer(json_object_get(c, "succeeded")) &&
                     json_is_integer(json_object_get(c, "failed")) && json_is_integer(json_object_get(c, "skipped")) &&
                     is_iso_time(json_object_get(j, "started_at")) && is_iso_time(json_object_get(j, "finished_at"));
            } else {
                ok = 0;
            }
        } else if (kind && strcmp(kind, "record") == 0) {
            json_t *hs = json_object_get(j, "http_status");
            const char *out = json_string_value(json_object_get(j, "outcome"));
            ok = ok && json_is_string(json_object_get(j, "key")) && json_is_string(json_object_get(j, "stage")) &&
                 out && (!strcmp(out, "success") || !strcmp(out, "skipped") || !strcmp(out, "failed") ||
                         !strcmp(out, "error") || !strcmp(out, "parked")) &&
                 str_or_null(json_object_get(j, "reason")) && json_is_integer(json_object_get(j, "tries")) &&
                 hs && (json_is_integer(hs) || json_is_null(hs)) && str_or_null(json_object_get(j, "error")) &&
                 json_is_number(json_object_get(j, "duration_ms")) && json_is_integer(json_object_get(j, "attempt")) &&
                 json_is_object(json_object_get(j, "attrs")) &&
                 strcmp(msgs[k].key, json_string_value(json_object_get(j, "key"))) == 0;
            const char *ak;
            json_t *av;
            json_object_foreach(json_object_get(j, "attrs"), ak, av)
                ok = ok && strncmp(ak, "log.", 4) == 0 && json_is_string(av);
        } else if (kind && strcmp(kind, "step") == 0) {
            ok = ok && json_is_string(json_object_get(j, "key")) && json_is_string(json_object_get(j, "step")) &&
                 json_is_string(json_object_get(j, "status")) && json_is_integer(json_object_get(j, "attempt")) &&
                 strcmp(msgs[k].key, json_string_value(json_object_get(j, "key"))) == 0;
        } else {
            ok = 0;
        }
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "    bad log event (key %s): %s\n", msgs[k].key, msgs[k].data);
        json_decref(j);
    }
    return n;
}

/* ---- Omnitron and the ERP ---- */

typedef struct req {
    char method[8];
    char url[256];    /* path?query (decoded values) */
    char body[1024];
    char auth[128];
} req;

static struct MHD_Daemon *daemon_;
static int http_port;
static pthread_mutex_t srv_mu = PTHREAD_MUTEX_INITIALIZER;
static req reqs[256];
static size_t n_reqs;
/* per test case */
static int cfg_query_status = 200;
static char cfg_erp_has[32];        /* an order number the ERP has already */
static int cfg_erp_no_items;        /* its query answer leaves the order's lines out */
static int cfg_query_garbage;       /* its query answers 200 with a body that is not JSON */
static int cfg_write_status = 201;
static int cfg_list_without_ids;    /* full list pages whose orders have no pk/id */
static char cfg_item_mapped[32];    /* items are mapped already, with this code: a new mapping is refused (400) */

static void server_reset(void)
{
    pthread_mutex_lock(&srv_mu);
    n_reqs = 0;
    cfg_query_status = 200;
    cfg_list_without_ids = 0;
    cfg_erp_has[0] = '\0';
    cfg_erp_no_items = 0;
    cfg_query_garbage = 0;
    cfg_write_status = 201;
    cfg_item_mapped[0] = '\0';
    pthread_mutex_unlock(&srv_mu);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    strbuf *q = cls;
    strbuf_addf(q, "%s%s=%s", q->len ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result replyf(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result replyf(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
    strbuf b = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&b, fmt, ap);
    va_end(ap);
    enum MHD_Result r = reply(conn, status, b.buf);
    strbuf_release(&b);
    return r;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
    (void)cls;
    (void)version;
    strbuf *body = *con_cls;
    if (!body) {
        body = calloc(1, sizeof *body);
        strbuf_init(body, 0);
        *con_cls = body;
        return MHD_YES;
    }
    if (*upload_data_size) {
        strbuf_add(body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    strbuf q = STRBUF_INIT;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&srv_mu);
    if (n_reqs < sizeof reqs / sizeof reqs[0]) {
        req *r = &reqs[n_reqs++];
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->url, sizeof r->url, "%s%s%s", url, q.len ? "?" : "", q.buf);
        snprintf(r->body, sizeof r->body, "%s", body->buf);
        snprintf(r->auth, sizeof r->auth, "%s", auth ? auth : "");
    }
    int query_status = cfg_query_status, write_status = cfg_write_status;
    char has[32];
    snprintf(has, sizeof has, "%s", cfg_erp_has);
    pthread_mutex_unlock(&srv_mu);
    strbuf_release(&q);

    long pk = 0;
    /* the ERP: no auth */
    if (strcmp(url, "/erp/orders") == 0 && strcmp(method, "GET") == 0) {
        const char *num = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "number");
        if (query_status != 200)
            return replyf(conn, (unsigned)query_status, "{\"error\":\"busy\"}");
        if (cfg_query_garbage)
            return reply(conn, 200, "<html>maintenance</html>");
        if (num && has[0] && strcmp(num, has) == 0 && cfg_erp_no_items)
            return replyf(conn, 200, "{\"results\":[{\"id\":\"ERP-7\",\"number\":\"%s\"}]}", num);
        if (num && has[0] && strcmp(num, has) == 0)   /* the order as the ERP has it, with its lines */
            return replyf(conn, 200, "{\"results\":[{\"id\":\"ERP-7\",\"number\":\"%s\",\"items\":"
                                     "[{\"code\":\"ERP-7-1\"},{\"code\":\"ERP-7-2\"}]}]}", num);
        return reply(conn, 200, "{\"results\":[]}");
    }
    if (strcmp(url, "/erp/orders") == 0 && strcmp(method, "POST") == 0) {
        if (write_status < 200 || write_status > 299)
            return replyf(conn, (unsigned)write_status, "{\"error\":\"ERP is down\"}");
        return replyf(conn, (unsigned)write_status, "{\"id\":\"ERP-100\",\"items\":[{\"code\":\"C-1\"},{\"code\":\"C-2\"}]}");
    }
    /* Omnitron */
    if (strcmp(url, "/api/v1/auth/login/") == 0 && strcmp(method, "POST") == 0)
        return strstr(body->buf, "\"omni-user\"") && strstr(body->buf, "\"omni-pass\"")
                   ? reply(conn, 200, "{\"key\":\"omni-token\"}")
                   : reply(conn, 400, "{\"error\":\"bad credentials\"}");
    if (!auth || strcmp(auth, "Token omni-token") != 0)
        return reply(conn, 401, "{\"detail\":\"Invalid token.\"}");
    if (strcmp(url, "/api/v1/orders/") == 0 && strcmp(method, "GET") == 0) {
        const char *after = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id__gt");
        if (cfg_list_without_ids) {
            strbuf page = STRBUF_INIT;
            strbuf_addstr(&page, "{\"count\":1000,\"next\":\"more\",\"results\":[");
            for (int i = 0; i < 100; i++)
                strbuf_addf(&page, "%s{\"number\":\"NOID-%d\"}", i ? "," : "", i);
            strbuf_addstr(&page, "]}");
            enum MHD_Result r = reply(conn, 200, page.buf);
            strbuf_release(&page);
            return r;
        }
        if (after && strcmp(after, "0") == 0)
            return reply(conn, 200,
                         "{\"count\":2,\"next\":null,\"results\":[{\"pk\":101,\"number\":\"ORD-1\"},"
                         "{\"pk\":102,\"number\":\"ORD-2\"}]}");
        return reply(conn, 200, "{\"count\":0,\"next\":null,\"results\":[]}");
    }
    if (sscanf(url, "/api/v1/orders_integration/%ld/detailed_integration/", &pk) == 1)
        return replyf(conn, 200, "{\"pk\":%ld,\"number\":\"ORD-%ld\",\"channel\":1,\"amount\":\"10.50\"}", pk, pk - 100);
    if (strcmp(url, "/api/v1/order_items/") == 0) {
        const char *o = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "order_id");
        long id = o ? atol(o) : 0;
        if (id == 101)
            return reply(conn, 200, "{\"count\":2,\"results\":[{\"pk\":1011},{\"pk\":1012}]}");
        return replyf(conn, 200, "{\"count\":1,\"results\":[{\"pk\":%ld}]}", id * 10 + 1);
    }
    char tail[64];
    /* (sscanf counts conversions, not the literal after them: compare the tail) */
    if (sscanf(url, "/api/v1/order_items/%ld/%63s", &pk, tail) == 2 && strcmp(tail, "detailed_integration/") == 0)
        return replyf(conn, 200, "{\"pk\":%ld,\"product\":{\"sku\":\"SKU-%ld\"},\"quantity\":1}", pk, pk);
    if (strcmp(url, "/api/v1/discount_items/") == 0)
        return reply(conn, 200, "{\"count\":0,\"results\":[]}");
    if (sscanf(url, "/api/v1/order_items/%ld/%63s", &pk, tail) == 2 && strcmp(tail, "create_mapping/") == 0 &&
        strcmp(method, "POST") == 0)
        return cfg_item_mapped[0] ? reply(conn, 400, "{\"non_field_errors\":[\"already mapped\"]}") : reply(conn, 200, "{}");
    if (sscanf(url, "/api/v1/order_items/%ld/%63s", &pk, tail) == 2 && strcmp(tail, "get_mappings/") == 0 &&
        strcmp(method, "GET") == 0)
        return cfg_item_mapped[0] ? replyf(conn, 200, "[{\"pk\":9,\"code\":\"%s\"}]", cfg_item_mapped)
                                  : reply(conn, 200, "[]");
    if (sscanf(url, "/api/v1/orders/%ld/%63s", &pk, tail) == 2 && strcmp(tail, "create_mapping/") == 0 &&
        strcmp(method, "POST") == 0)
        return reply(conn, 200, "{}");
    if (sscanf(url, "/api/v1/orders/%ld/", &pk) == 1 && strcmp(method, "PATCH") == 0)
        return replyf(conn, 200, "{\"pk\":%ld,\"is_send\":true}", pk);
    return reply(conn, 404, "{\"detail\":\"Not found.\"}");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    strbuf *body = *con_cls;
    if (body) {
        strbuf_release(body);
        free(body);
        *con_cls = NULL;
    }
}

static int start_server(void)
{
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                               MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_NOTIFY_COMPLETED, completed,
                               NULL, MHD_OPTION_END);
    if (!daemon_)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    http_port = info ? info->port : 0;
    return http_port ? 0 : -1;
}

/* Index of the first request with method and url (exact), from start; -1. */
static long find_req(const char *method, const char *url, size_t start)
{
    long r = -1;
    pthread_mutex_lock(&srv_mu);
    for (size_t i = start; i < n_reqs && r < 0; i++)
        if (strcmp(reqs[i].method, method) == 0 && strcmp(reqs[i].url, url) == 0)
            r = (long)i;
    pthread_mutex_unlock(&srv_mu);
    return r;
}

static size_t count_req(const char *method, const char *url_prefix)
{
    size_t n = 0;
    pthread_mutex_lock(&srv_mu);
    for (size_t i = 0; i < n_reqs; i++)
        n += strcmp(reqs[i].method, method) == 0 && strncmp(reqs[i].url, url_prefix, strlen(url_prefix)) == 0;
    pthread_mutex_unlock(&srv_mu);
    return n;
}

/* ---- flows and the stage context ---- */

static char tmpdir[64];
static flow_set flows;
static store *st;
static stage_ctx ctx;

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static const char FLOW_TMPL[] =
    "{ \"name\": \"%s\", \"type\": \"order\", %s\n"
    "  \"http\": { \"timeout\": \"5s\", \"retries\": 0 },\n"
    "  \"omnitron\": { \"url\": \"http://127.0.0.1:%d\", \"username_env\": \"FF_TEST_OMNI_USER\",\n"
    "                \"password_env\": \"FF_TEST_OMNI_PASS\", \"channels\": [1, 2], \"concurrency\": 2 },\n"
    "  \"erp\": {\n"
    "    \"query\": { \"url\": \"http://127.0.0.1:%d/erp/orders?number=${_order.number:urlEncode()}\",\n"
    "               \"response_path\": \"results\", \"response_value\": \"[]\",\n"
    "               \"failure_status_codes\": \"503\", \"not_found_codes\": [404] },\n"
    "    \"write\": { \"url\": \"http://127.0.0.1:%d/erp/orders\" }\n"
    "  } }\n";

static void put_flow(const char *file, const char *name, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, FLOW_TMPL, name, extra, http_port, http_port, http_port);
    put(file, text);
}

static int setup_flows(void)
{
    strbuf errs = STRBUF_INIT;
    put_flow("orders.json", "orders", "");
    /* scripts and specs beside the flows, not among them (*.json is a flow) */
    char sub[128];
    snprintf(sub, sizeof sub, "%s/files", tmpdir);
    mkdir(sub, 0700);
    put_flow("mapped.json", "orders-map", "\"mapping\": { \"file\": \"files/spec.json\" },");
    put("files/spec.json",
        "[{ \"operation\": \"shift\", \"spec\": { \"number\": \"OrderNo\", \"amount\": \"Total\",\n"
        "    \"orderitem_set\": { \"*\": { \"product\": { \"sku\": \"Lines[&2].Sku\" } } } } }]\n");
    /* a mapping Java's Shiftr fails on: a reference above the root */
    put_flow("above.json", "orders-above", "\"mapping\": { \"file\": \"files/above.json\" },");
    put("files/above.json", "[{ \"operation\": \"shift\", \"spec\": { \"orderitem_set\": { \"$(3)\": \"x\" } } }]\n");
    put_flow("script.json", "orders-script", "\"script\": { \"file\": \"files/raise.py\" },");
    put("files/raise.py",
        "def transform(record, attributes):\n"
        "    attributes['log.step'] = 'script'\n"
        "    raise ValueError('no warehouse for order ' + record['number'])\n");
    put_flow("ticking.json", "ticking", "\"schedule\": { \"cron\": \"@every 10s\" },");
    int broken = flow_set_load(&flows, tmpdir, FLOW_LOAD_SCRIPTS, &errs);
    if (broken)
        fprintf(stderr, "flows: %s\n", errs.buf);
    strbuf_release(&errs);
    return broken == 0 && flows.n == 5 ? 0 : -1;
}

/* A fresh start for a test case: empty Redis, sink and request log. */
static void fresh(void)
{
    redis_flush();
    sink_clear();
    server_reset();
}

/* The record as the reader builds it (source of the writer). */
static const char ORDER_1[] =
    "{\"pk\":101,\"number\":\"ORD-1\",\"channel\":1,\"amount\":\"10.50\","
    "\"orderitem_set\":[{\"pk\":1011,\"product\":{\"sku\":\"SKU-1011\"},\"quantity\":1},"
    "{\"pk\":1012,\"product\":{\"sku\":\"SKU-1012\"},\"quantity\":1}],\"discountitem_set\":[]}";

static void make_record(envelope *e, const char *flow_name, const char *run_id, const char *key, const char *body)
{
    envelope_init(e);
    envelope_set(&e->flow, flow_name);
    envelope_set(&e->flow_type, "order");
    envelope_set(&e->run_id, run_id);
    envelope_set(&e->key, key);
    e->attempt = 1;
    e->created_ms = clock_wall_ms();
    strbuf_addstr(&e->body, body);
}

/* The lease's value ("" when free); static. */
static const char *lease_value(const char *flow_name, const char *key)
{
    static strbuf v = STRBUF_INIT;
    strbuf err = STRBUF_INIT;
    strbuf_reset(&v);
    store_lease_get(st, flow_name, key, &v, &err);
    strbuf_release(&err);
    return v.buf;
}

static long lease_free(const char *flow_name, const char *key)
{
    strbuf err = STRBUF_INIT;
    int r = store_lease_acquire(st, flow_name, key, "probe", 60000, &err);
    if (r == 1)
        store_lease_release(st, flow_name, key, NULL, &err);
    strbuf_release(&err);
    return r;
}

/* ---- reader ---- */

/* A run whose counters Redis lost (a restart without persistence) cannot
 * complete; the next tick of its flow closes it, failed, with the reason. */
static void test_lost_run_closed(void)
{
    fresh();
    const flow *f = flow_set_find(&flows, "orders");
    envelope t1, t2;
    envelope_init(&t1);
    envelope_init(&t2);
    ticks_make_tick(&t1, f, "run-lost-1", "system", 0);
    stage_read(&ctx, &t1);   /* published 2, no outcome yet: open */
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-lost-1"), 0);
    redis_flush();           /* Redis comes back empty */
    ticks_make_tick(&t2, f, "run-lost-2", "system", 0);
    stage_read(&ctx, &t2);
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-lost-1"), 1);
    json_t *ev = find_log("run", "event", "finished", "run_id", "run-lost-1");
    CHECK_STR(json_string_value(json_object_get(ev, "status")), "failed");
    CHECK(ev && strstr(json_string_value(json_object_get(ev, "error")), "counters were lost"));
    json_decref(ev);
    envelope_release(&t1);
    envelope_release(&t2);
}

static void test_read_orders(void)
{
    fresh();
    const flow *f = flow_set_find(&flows, "orders");
    envelope tick;
    envelope_init(&tick);
    ticks_make_tick(&tick, f, "run-read-1", "alice", 1);
    CHECK_INT(order_read(&ctx, f, &tick), 0);

    CHECK_INT(count_topic("t.order.records"), 2);
    CHECK(find_req("GET", "/api/v1/orders/?is_send=False&channel__in=1,2&status__ne=100&sort=id&id__gt=0&limit=100", 0) >= 0);
    envelope e;
    envelope_init(&e);
    CHECK_INT(decode_keyed("t.order.records", "ORD-1", &e), 0);
    CHECK_STR(e.flow, "orders");
    CHECK_STR(e.flow_type, "order");
    CHECK_STR(e.run_id, "run-read-1");
    CHECK_STR(e.key, "ORD-1");
    CHECK_INT(e.attempt, 1);
    CHECK_STR(attrs_get(&e.attrs, "run.triggered_by"), "alice");
    CHECK_STR(attrs_get(&e.attrs, "run.is_triggered"), "true");
    CHECK_INT(e.source.len, 0);
    json_t *o = jsontext_parse(e.body.buf, e.body.len, NULL);
    CHECK_INT(json_integer_value(json_object_get(o, "pk")), 101);
    CHECK_STR(json_string_value(json_object_get(o, "amount")), "10.50");
    json_t *items = json_object_get(o, "orderitem_set");
    CHECK_INT(json_array_size(items), 2);
    CHECK_STR(json_string_value(jsonpath_get(o, "orderitem_set.0.product.sku")), "SKU-1011");
    CHECK_STR(json_string_value(jsonpath_get(o, "orderitem_set.1.product.sku")), "SKU-1012");
    CHECK(json_is_array(json_object_get(o, "discountitem_set")));
    CHECK_INT(json_array_size(json_object_get(o, "discountitem_set")), 0);
    json_decref(o);
    CHECK_INT(decode_keyed("t.order.records", "ORD-2", &e), 0);
    o = jsontext_parse(e.body.buf, e.body.len, NULL);
    CHECK_INT(json_integer_value(json_object_get(o, "pk")), 102);
    CHECK_INT(json_array_size(json_object_get(o, "orderitem_set")), 1);
    json_decref(o);
    envelope_release(&e);
    /* one detail per item, every Omnitron call with the token */
    CHECK_INT(count_req("GET", "/api/v1/order_items/1011/detailed_integration/"), 1);
    CHECK_INT(count_req("GET", "/api/v1/order_items/1021/detailed_integration/"), 1);
    CHECK_INT(count_req("GET", "/api/v1/discount_items/"), 2);

    /* the run: started, counted, not finished while outcomes are missing */
    CHECK_INT(count_log("run", "event", "started", "run_id", "run-read-1"), 1);
    CHECK_INT(count_log("run", "event", "finished", NULL, NULL), 0);
    json_t *ev = find_log("run", "event", "started", NULL, NULL);
    CHECK_STR(json_string_value(json_object_get(ev, "triggered_by")), "alice");
    CHECK(json_is_true(json_object_get(ev, "is_triggered")));
    CHECK_STR(json_string_value(json_object_get(ev, "flow")), "orders");
    json_decref(ev);
    run_counts k;
    strbuf err = STRBUF_INIT;
    CHECK_INT(store_run_get(st, "run-read-1", &k, &err), 1);
    CHECK_INT(k.published, 2);
    CHECK_INT(k.published_final, 1);
    CHECK_INT(k.succeeded + k.failed + k.skipped, 0);
    CHECK(k.started_ms > 0);
    CHECK_INT(lease_free("orders", "ORD-1"), 0);
    CHECK_INT(lease_free("orders", "ORD-2"), 0);

    /* a second tick while the leases are held publishes nothing: an empty run */
    envelope tick2;
    envelope_init(&tick2);
    ticks_make_tick(&tick2, f, "run-read-2", "system", 0);
    CHECK_INT(order_read(&ctx, f, &tick2), 0);
    CHECK_INT(count_topic("t.order.records"), 2);
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-read-2"), 1);
    ev = find_log("run", "event", "finished", "run_id", "run-read-2");
    CHECK_STR(json_string_value(json_object_get(ev, "status")), "empty");
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.published")), 0);
    CHECK_STR(json_string_value(json_object_get(ev, "triggered_by")), "System");
    CHECK(json_is_false(json_object_get(ev, "is_triggered")));
    json_decref(ev);
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-read-1"), 0);

    /* the records' outcomes come in: exactly one finished event for run 1 */
    envelope r1, r2;
    CHECK_INT(decode_keyed("t.order.records", "ORD-1", (envelope_init(&r1), &r1)), 0);
    CHECK_INT(decode_keyed("t.order.records", "ORD-2", (envelope_init(&r2), &r2)), 0);
    stage_outcome(&ctx, &r1, "succeeded");
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-read-1"), 0);
    /* kept as "done" with the outcome: a list read before it finished
     * cannot publish it again */
    CHECK_STR(lease_value("orders", "ORD-1"), "done:run-read-1");
    stage_outcome(&ctx, &r2, "skipped");
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-read-1"), 1);
    ev = find_log("run", "event", "finished", "run_id", "run-read-1");
    CHECK_STR(json_string_value(json_object_get(ev, "status")), "success");
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.published")), 2);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.succeeded")), 1);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.skipped")), 1);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.failed")), 0);
    CHECK_STR(json_string_value(json_object_get(ev, "triggered_by")), "alice");
    json_decref(ev);
    /* a late duplicate outcome does not finish the run again */
    stage_outcome(&ctx, &r2, "skipped");
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-read-1"), 1);
    CHECK_INT(check_log_schema(), 4);
    envelope_release(&r1);
    envelope_release(&r2);
    envelope_release(&tick);
    envelope_release(&tick2);
    strbuf_release(&err);
}

/* ---- transformer ---- */

/* Orders without ids cannot be paged by id: the run stops with an error
 * instead of asking for the same page forever. */
static void test_read_orders_without_ids(void)
{
    fresh();
    cfg_list_without_ids = 1;
    const flow *f = flow_set_find(&flows, "orders");
    envelope tick;
    envelope_init(&tick);
    ticks_make_tick(&tick, f, "run-noid", "system", 0);
    CHECK_INT(order_read(&ctx, f, &tick), -1);
    CHECK_INT(count_req("GET", "/api/v1/orders/"), 1);
    json_t *ev = find_log("record", "stage", "read", "key", "orders");
    CHECK(ev && strstr(json_string_value(json_object_get(ev, "error")), "no \"pk\" or \"id\""));
    json_decref(ev);
    envelope_release(&tick);
    cfg_list_without_ids = 0;
}

static void test_transform_passthrough(void)
{
    fresh();
    envelope in, out;
    make_record(&in, "orders", "run-t", "ORD-1", ORDER_1);
    stage_transform(&ctx, &in);
    CHECK_INT(count_topic("t.order.mapped"), 1);
    CHECK_INT(count_topic("t.order.failed"), 0);
    envelope_init(&out);
    CHECK_INT(decode_keyed("t.order.mapped", "ORD-1", &out), 0);
    CHECK_STR(out.body.buf, ORDER_1);
    CHECK_INT(out.source.len, 0);  /* unchanged: the body is the record as read, not sent twice */
    CHECK_STR(out.run_id, "run-t");
    CHECK(attrs_get(&out.attrs, "token.omnitron") == NULL);
    CHECK_INT(count_req("POST", "/api/v1/auth/login/"), 0);  /* no script: no tokens needed */
    envelope_release(&out);
    envelope_release(&in);
}

/* The record key (body) of flow fails in the mapping stage: nothing on the
 * mapped topic, one failed record whose error starts with error. */
static void mapping_fails(const char *flow, const char *key, const char *body, const char *error)
{
    sink_clear();
    envelope in, out;
    make_record(&in, flow, "run-f", key, body);
    stage_transform(&ctx, &in);
    CHECK_INT(count_topic("t.order.mapped"), 0);
    CHECK_INT(count_topic("t.order.failed"), 1);
    envelope_init(&out);
    CHECK_INT(decode_keyed("t.order.failed", key, &out), 0);
    CHECK_STR(out.stage, "mapping");
    CHECK(out.error && strncmp(out.error, error, strlen(error)) == 0);
    if (!out.error || strncmp(out.error, error, strlen(error)))
        fprintf(stderr, "    error: %s\n", out.error ? out.error : "(none)");
    envelope_release(&in);
    envelope_release(&out);
}

static void test_transform_mapping(void)
{
    fresh();
    envelope in, out;
    make_record(&in, "orders-map", "run-m", "ORD-1", ORDER_1);
    stage_transform(&ctx, &in);
    CHECK_INT(count_topic("t.order.mapped"), 1);
    envelope_init(&out);
    CHECK_INT(decode_keyed("t.order.mapped", "ORD-1", &out), 0);
    json_t *m = jsontext_parse(out.body.buf, out.body.len, NULL);
    json_t *want = json_loads("{\"OrderNo\":\"ORD-1\",\"Total\":\"10.50\",\"Lines\":[{\"Sku\":\"SKU-1011\"},{\"Sku\":\"SKU-1012\"}]}", 0, NULL);
    CHECK(m && json_equal(m, want));
    if (m && !json_equal(m, want))
        fprintf(stderr, "    mapped: %s\n", out.body.buf);
    CHECK_STR(out.source.buf, ORDER_1);  /* the record as read is kept */
    json_decref(m);
    json_decref(want);

    envelope_release(&out);
    envelope_release(&in);

    /* a body that is not JSON fails the record in the mapping stage */
    mapping_fails("orders-map", "ORD-9", "{not json", "mapping: the record is not valid JSON: ");
    /* so does a transform Java would fail (a reference above the root),
     * with the spec path in its error */
    mapping_fails("orders-above", "ORD-1", ORDER_1, "mapping: [0].spec.orderitem_set.$(3): reference above the root");
}

static void test_transform_script_raises(void)
{
    fresh();
    envelope in, out;
    make_record(&in, "orders-script", "run-s", "ORD-1", ORDER_1);
    attrs_set(&in.attrs, "log.channel", "web");
    ctx.src_topic = "t.order.records";
    ctx.src_partition = 3;
    ctx.src_offset = 42;
    stage_transform(&ctx, &in);
    CHECK_INT(count_topic("t.order.mapped"), 0);
    CHECK_INT(count_topic("t.order.failed"), 1);
    envelope_init(&out);
    CHECK_INT(decode_keyed("t.order.failed", "ORD-1", &out), 0);
    CHECK_STR(out.stage, "script");
    CHECK(out.error && strstr(out.error, "no warehouse for order ORD-1"));
    CHECK_STR(out.src_topic, "t.order.records");
    CHECK_INT(out.src_partition, 3);
    CHECK_INT(out.src_offset, 42);
    CHECK(out.failed_ms > 0);
    const char *tb = attrs_get(&out.attrs, "log.script.error");
    CHECK(tb && strstr(tb, "ValueError") && strstr(tb, "no warehouse"));
    CHECK(attrs_get(&out.attrs, "token.omnitron") == NULL);  /* tokens never travel */
    CHECK_STR(out.source.buf, ORDER_1);

    CHECK_INT(count_log("record", "stage", "script", "outcome", "failed"), 1);
    json_t *ev = find_log("record", "stage", "script", NULL, NULL);
    CHECK_STR(json_string_value(json_object_get(ev, "key")), "ORD-1");
    CHECK(json_is_null(json_object_get(ev, "http_status")));
    CHECK(strstr(json_string_value(json_object_get(ev, "error")) ? json_string_value(json_object_get(ev, "error")) : "",
                 "no warehouse") != NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(ev, "attrs"), "log.channel")), "web");
    CHECK(json_string_value(json_object_get(json_object_get(ev, "attrs"), "log.script.error")) != NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(ev, "attrs"), "log.step")), "script");
    json_decref(ev);
    CHECK_INT(check_log_schema(), 1);
    run_counts k;
    CHECK_INT(store_run_get(st, "run-s", &k, NULL), 1);
    CHECK_INT(k.failed, 1);
    ctx.src_topic = "t.order.mapped";
    ctx.src_partition = 0;
    ctx.src_offset = 0;
    envelope_release(&out);
    envelope_release(&in);
}

/* ---- writer ---- */

static void mapped_record(envelope *e, const char *run_id, const char *key, const char *source, const char *body)
{
    make_record(e, "orders", run_id, key, body);
    strbuf_addstr(&e->source, source);
}

static void test_write_success(void)
{
    fresh();
    envelope e;
    strbuf err = STRBUF_INIT;
    const char *body = "{\"OrderNo\":\"ORD-1\",\"Total\":\"10.50\"}";
    mapped_record(&e, "run-w", "ORD-1", ORDER_1, body);
    CHECK_INT(store_lease_acquire(st, "orders", "ORD-1", "run-w", 60000, &err), 1);
    stage_write(&ctx, &e);

    long q = find_req("GET", "/erp/orders?number=ORD-1", 0);
    long w = find_req("POST", "/erp/orders", 0);
    long m1 = find_req("POST", "/api/v1/order_items/1011/create_mapping/", 0);
    long m2 = find_req("POST", "/api/v1/order_items/1012/create_mapping/", 0);
    long om = find_req("POST", "/api/v1/orders/101/create_mapping/", 0);
    long sent = find_req("PATCH", "/api/v1/orders/101/", 0);
    CHECK(q >= 0 && w > q);
    CHECK(m1 > w && m2 > w && om > w);
    CHECK(sent > m1 && sent > m2 && sent > om);
    pthread_mutex_lock(&srv_mu);
    if (w >= 0)
        CHECK_STR(reqs[w].body, body);  /* the ERP got the mapped body */
    if (m1 >= 0)
        CHECK_STR(reqs[m1].body, "{\"code\":\"C-1\",\"update_stock\":true}");
    if (m2 >= 0)
        CHECK_STR(reqs[m2].body, "{\"code\":\"C-2\",\"update_stock\":true}");
    if (om >= 0)
        CHECK_STR(reqs[om].body, "{\"code\":\"ERP-100\"}");
    if (sent >= 0) {
        CHECK_STR(reqs[sent].body, "{\"is_send\":true}");
        CHECK_STR(reqs[sent].auth, "Token omni-token");
        CHECK_INT(sent, (long)n_reqs - 1);  /* marked sent last */
    }
    pthread_mutex_unlock(&srv_mu);

    CHECK_INT(count_topic("t.order.failed"), 0);
    CHECK_INT(count_log("record", "stage", "write", "outcome", "success"), 1);
    json_t *ev = find_log("record", "stage", "write", NULL, NULL);
    CHECK_INT(json_integer_value(json_object_get(ev, "http_status")), 201);
    CHECK(json_is_null(json_object_get(ev, "error")));
    CHECK_INT(json_integer_value(json_object_get(ev, "attempt")), 1);
    /* a write that made three HTTP calls took time: a duration that is there and positive */
    CHECK(json_is_number(json_object_get(ev, "duration_ms")) && json_number_value(json_object_get(ev, "duration_ms")) > 0);
    json_decref(ev);
    CHECK_INT(check_log_schema(), 1);
    CHECK_STR(lease_value("orders", "ORD-1"), "done:run-w");
    run_counts k;
    CHECK_INT(store_run_get(st, "run-w", &k, NULL), 1);
    CHECK_INT(k.succeeded, 1);
    envelope_release(&e);
    strbuf_release(&err);
}

static void test_write_already_in_erp(void)
{
    fresh();
    envelope e;
    pthread_mutex_lock(&srv_mu);
    snprintf(cfg_erp_has, sizeof cfg_erp_has, "ORD-1");
    pthread_mutex_unlock(&srv_mu);
    mapped_record(&e, "run-x", "ORD-1", ORDER_1, ORDER_1);
    stage_write(&ctx, &e);
    CHECK(find_req("GET", "/erp/orders?number=ORD-1", 0) >= 0);
    CHECK_INT(count_req("POST", "/erp/orders"), 0);  /* not written again */
    CHECK(find_req("PATCH", "/api/v1/orders/101/", 0) >= 0);
    long om = find_req("POST", "/api/v1/orders/101/create_mapping/", 0);
    CHECK(om >= 0);
    pthread_mutex_lock(&srv_mu);
    if (om >= 0)
        CHECK_STR(reqs[om].body, "{\"code\":\"ERP-7\"}");  /* the code the ERP has */
    pthread_mutex_unlock(&srv_mu);
    CHECK_INT(count_topic("t.order.failed"), 0);
    CHECK_INT(count_log("record", "stage", "write", "outcome", "skipped"), 1);
    json_t *ev = find_log("record", "stage", "write", NULL, NULL);
    /* a skip carries its reason, not an error */
    CHECK_STR(json_string_value(json_object_get(ev, "reason")), "already_in_erp");
    CHECK(json_is_null(json_object_get(ev, "error")));
    json_decref(ev);
    /* the found order's lines get their mappings, from the query's answer */
    long im = find_req("POST", "/api/v1/order_items/1011/create_mapping/", 0);
    CHECK(im >= 0);
    pthread_mutex_lock(&srv_mu);
    if (im >= 0)
        CHECK_STR(reqs[im].body, "{\"code\":\"ERP-7-1\",\"update_stock\":true}");
    pthread_mutex_unlock(&srv_mu);
    CHECK(find_req("POST", "/api/v1/order_items/1012/create_mapping/", 0) >= 0);
    CHECK_INT(check_log_schema(), 1);
    run_counts k;
    CHECK_INT(store_run_get(st, "run-x", &k, NULL), 1);
    CHECK_INT(k.skipped, 1);
    CHECK_INT(k.succeeded, 0);
    envelope_release(&e);
}

/* The ERP has the order but its answer has no lines: the item mappings
 * cannot be made, so the order is not marked sent; the record fails with
 * the reason (it used to be "skipped", marked sent, items never mapped). */
static void test_write_found_without_item_codes(void)
{
    fresh();
    envelope e;
    pthread_mutex_lock(&srv_mu);
    snprintf(cfg_erp_has, sizeof cfg_erp_has, "ORD-1");
    cfg_erp_no_items = 1;
    pthread_mutex_unlock(&srv_mu);
    mapped_record(&e, "run-y", "ORD-1", ORDER_1, ORDER_1);
    stage_write(&ctx, &e);
    CHECK_INT(count_req("POST", "/erp/orders"), 0);
    CHECK_INT(count_req("PATCH", "/api/v1/orders/"), 0);   /* not marked sent */
    CHECK_INT(count_topic("t.order.failed"), 1);
    json_t *ev = find_log("record", "outcome", "failed", NULL, NULL);
    CHECK(ev && strstr(json_string_value(json_object_get(ev, "error")), "gives no item codes for its 2 item(s)"));
    json_decref(ev);
    envelope_release(&e);
}

/* Omnitron refuses a second mapping of an item (a 4xx): when the item has
 * the very code already, that is a success; with another code, a failure
 * that says so. */
static void test_write_mapping_exists(void)
{
    fresh();
    envelope e;
    pthread_mutex_lock(&srv_mu);
    snprintf(cfg_item_mapped, sizeof cfg_item_mapped, "C-1");   /* what the ERP answers for item 1 */
    pthread_mutex_unlock(&srv_mu);
    /* the ERP gives C-1 and C-2: item 1011 has C-1 already (success), 1012 has C-1, not C-2 */
    mapped_record(&e, "run-m", "ORD-1", ORDER_1, ORDER_1);
    stage_write(&ctx, &e);
    CHECK(find_req("GET", "/api/v1/order_items/1011/get_mappings/", 0) >= 0);
    CHECK(find_req("GET", "/api/v1/order_items/1012/get_mappings/", 0) >= 0);
    CHECK_INT(count_req("PATCH", "/api/v1/orders/"), 0);   /* not marked sent: 1012 is not mapped */
    json_t *ev = find_log("record", "outcome", "failed", NULL, NULL);
    CHECK(ev && strstr(json_string_value(json_object_get(ev, "error")), "has no mapping with code \"C-2\""));
    json_decref(ev);
    envelope_release(&e);
    /* both codes there already: both refusals are successes, the order is marked sent */
    fresh();
    pthread_mutex_lock(&srv_mu);
    snprintf(cfg_item_mapped, sizeof cfg_item_mapped, "C-1");
    pthread_mutex_unlock(&srv_mu);
    static const char ONE_ITEM[] = "{\"pk\":101,\"number\":\"ORD-1\",\"orderitem_set\":[{\"pk\":1011}],\"discountitem_set\":[]}";
    mapped_record(&e, "run-m2", "ORD-1", ONE_ITEM, ONE_ITEM);
    stage_write(&ctx, &e);
    CHECK_INT(count_req("PATCH", "/api/v1/orders/"), 1);
    CHECK_INT(count_topic("t.order.failed"), 0);
    envelope_release(&e);
}

/* A query answer that cannot be read says nothing of whether the ERP has
 * the order: the record fails with the reason, nothing is written (it used
 * to count as "not found" and write). */
static void test_write_query_unreadable(void)
{
    fresh();
    envelope e;
    pthread_mutex_lock(&srv_mu);
    cfg_query_garbage = 1;
    pthread_mutex_unlock(&srv_mu);
    mapped_record(&e, "run-g", "ORD-1", ORDER_1, ORDER_1);
    stage_write(&ctx, &e);
    CHECK_INT(count_req("POST", "/erp/orders"), 0);
    CHECK_INT(count_topic("t.order.failed"), 1);
    json_t *ev = find_log("record", "outcome", "failed", NULL, NULL);
    CHECK(ev && strstr(json_string_value(json_object_get(ev, "error")), "the answer is not JSON"));
    json_decref(ev);
    envelope_release(&e);
}

/* A record delivered again after it finished in its run (a restarted
 * reader published it twice) does nothing the second time. */
static void test_write_delivered_twice(void)
{
    fresh();
    envelope e;
    strbuf err = STRBUF_INIT;
    CHECK_INT(store_lease_acquire(st, "orders", "ORD-1", "run-z", 60000, &err), 1);
    mapped_record(&e, "run-z", "ORD-1", ORDER_1, ORDER_1);
    stage_write(&ctx, &e);
    CHECK_INT(count_req("POST", "/erp/orders"), 1);
    CHECK_INT(count_req("PATCH", "/api/v1/orders/"), 1);
    pthread_mutex_lock(&srv_mu);
    snprintf(cfg_erp_has, sizeof cfg_erp_has, "ORD-1");   /* the ERP has it now */
    pthread_mutex_unlock(&srv_mu);
    envelope e2;
    mapped_record(&e2, "run-z", "ORD-1", ORDER_1, ORDER_1);
    stage_write(&ctx, &e2);
    CHECK_INT(count_req("POST", "/erp/orders"), 1);       /* not written again */
    CHECK_INT(count_req("PATCH", "/api/v1/orders/"), 1);  /* not marked sent twice */
    CHECK_INT(count_req("POST", "/api/v1/order_items/"), 2);
    envelope_release(&e);
    envelope_release(&e2);
    strbuf_release(&err);
}

static void test_write_query_failure_code(void)
{
    fresh();
    envelope e, fe;
    strbuf err = STRBUF_INIT;
    pthread_mutex_lock(&srv_mu);
    cfg_query_status = 503;
    pthread_mutex_unlock(&srv_mu);
    mapped_record(&e, "run-q", "ORD-1", ORDER_1, ORDER_1);
    CHECK_INT(store_lease_acquire(st, "orders", "ORD-1", "run-q", 60000, &err), 1);
    stage_write(&ctx, &e);
    CHECK_INT(count_req("GET", "/erp/orders"), 1);  /* retries 0: one try */
    CHECK_INT(count_req("POST", "/erp/orders"), 0);
    CHECK_INT(count_req("PATCH", "/"), 0);          /* not marked sent */
    CHECK_INT(count_req("POST", "/api/"), 0);
    CHECK_INT(count_topic("t.order.failed"), 1);
    envelope_init(&fe);
    CHECK_INT(decode_keyed("t.order.failed", "ORD-1", &fe), 0);
    CHECK_STR(fe.stage, "query");
    CHECK_INT(fe.http_status, 503);
    CHECK(fe.error && strstr(fe.error, "HTTP 503") && strstr(fe.error, "Failure Status Code"));
    CHECK_STR(fe.body.buf, ORDER_1);
    CHECK_STR(fe.source.buf, ORDER_1);
    CHECK_INT(count_log("record", "stage", "query", "outcome", "failed"), 1);
    json_t *ev = find_log("record", "stage", "query", NULL, NULL);
    CHECK_INT(json_integer_value(json_object_get(ev, "http_status")), 503);
    json_decref(ev);
    CHECK_INT(check_log_schema(), 1);
    CHECK_INT(lease_free("orders", "ORD-1"), 1);  /* released: the next tick retries */
    run_counts k;
    CHECK_INT(store_run_get(st, "run-q", &k, NULL), 1);
    CHECK_INT(k.failed, 1);
    envelope_release(&fe);
    envelope_release(&e);
    strbuf_release(&err);
}

static void test_write_erp_500(void)
{
    fresh();
    envelope e, fe;
    strbuf err = STRBUF_INIT;
    pthread_mutex_lock(&srv_mu);
    cfg_write_status = 500;
    pthread_mutex_unlock(&srv_mu);
    mapped_record(&e, "run-5", "ORD-1", ORDER_1, ORDER_1);
    CHECK_INT(store_lease_acquire(st, "orders", "ORD-1", "run-5", 60000, &err), 1);
    stage_write(&ctx, &e);
    CHECK_INT(count_req("GET", "/erp/orders"), 1);
    CHECK_INT(count_req("POST", "/erp/orders"), 1);
    CHECK_INT(count_req("PATCH", "/"), 0);
    CHECK_INT(count_req("POST", "/api/"), 0);
    CHECK_INT(count_topic("t.order.failed"), 1);
    envelope_init(&fe);
    CHECK_INT(decode_keyed("t.order.failed", "ORD-1", &fe), 0);
    CHECK_STR(fe.stage, "write_erp");
    CHECK_INT(fe.http_status, 500);
    CHECK(fe.error && strstr(fe.error, "HTTP 500") && strstr(fe.error, "ERP is down"));
    CHECK_INT(count_log("record", "stage", "write_erp", "outcome", "failed"), 1);
    CHECK_INT(count_log("record", "stage", "write", NULL, NULL), 0);
    CHECK_INT(check_log_schema(), 1);
    CHECK_INT(lease_free("orders", "ORD-1"), 1);
    envelope_release(&fe);
    envelope_release(&e);
    strbuf_release(&err);
}

static void test_write_order_exists_attr(void)
{
    fresh();
    envelope e;
    mapped_record(&e, "run-a", "ORD-1", ORDER_1, ORDER_1);
    attrs_set(&e.attrs, "order_exists", "true");
    stage_write(&ctx, &e);
    CHECK_INT(count_req("GET", "/erp/"), 0);    /* no query */
    CHECK_INT(count_req("POST", "/erp/"), 0);   /* no write */
    CHECK_INT(count_req("POST", "/api/"), 0);   /* no codes to map */
    CHECK(find_req("PATCH", "/api/v1/orders/101/", 0) >= 0);
    CHECK_INT(count_topic("t.order.failed"), 0);
    CHECK_INT(count_log("record", "stage", "write", "outcome", "skipped"), 1);
    json_t *ev = find_log("record", "stage", "write", NULL, NULL);
    CHECK(json_is_null(json_object_get(ev, "http_status")));
    json_decref(ev);
    CHECK_INT(check_log_schema(), 1);
    envelope_release(&e);
}

/* ---- the whole pipeline on the memory sink: read, transform, write ---- */

static void test_pipeline_run_counts(void)
{
    fresh();
    pthread_mutex_lock(&srv_mu);
    snprintf(cfg_erp_has, sizeof cfg_erp_has, "ORD-2");
    pthread_mutex_unlock(&srv_mu);
    const flow *f = flow_set_find(&flows, "orders");
    envelope tick;
    envelope_init(&tick);
    ticks_make_tick(&tick, f, "run-p", "system", 0);
    CHECK_INT(order_read(&ctx, f, &tick), 0);
    CHECK_INT(count_topic("t.order.records"), 2);
    const char *keys[] = { "ORD-1", "ORD-2" };
    for (int i = 0; i < 2; i++) {
        envelope e;
        envelope_init(&e);
        CHECK_INT(decode_keyed("t.order.records", keys[i], &e), 0);
        stage_transform(&ctx, &e);
        envelope_release(&e);
    }
    CHECK_INT(count_topic("t.order.mapped"), 2);
    for (int i = 0; i < 2; i++) {
        envelope e;
        envelope_init(&e);
        CHECK_INT(decode_keyed("t.order.mapped", keys[i], &e), 0);
        CHECK_INT(count_log("run", "event", "finished", "run_id", "run-p"), 0);
        stage_write(&ctx, &e);
        envelope_release(&e);
    }
    CHECK_INT(count_req("POST", "/erp/orders"), 1);   /* ORD-2 was there already */
    CHECK_INT(count_req("PATCH", "/api/v1/orders/"), 2);
    CHECK_INT(count_log("record", "key", "ORD-1", "outcome", "success"), 1);
    CHECK_INT(count_log("record", "key", "ORD-2", "outcome", "skipped"), 1);
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-p"), 1);
    json_t *ev = find_log("run", "event", "finished", "run_id", "run-p");
    CHECK_STR(json_string_value(json_object_get(ev, "status")), "success");
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.published")), 2);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.succeeded")), 1);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.skipped")), 1);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.failed")), 0);
    json_decref(ev);
    CHECK_INT(check_log_schema(), 4);  /* started, 2 records, finished */

    /* the next run (ten minutes later: the finished records' "done" leases
     * have expired): ORD-2 fails its query (503) -> status failed */
    sink_clear();
    for (int i = 0; i < 2; i++)
        store_lease_release(st, "orders", keys[i], NULL, NULL);
    pthread_mutex_lock(&srv_mu);
    cfg_erp_has[0] = '\0';
    pthread_mutex_unlock(&srv_mu);
    envelope_release(&tick);
    envelope_init(&tick);
    ticks_make_tick(&tick, f, "run-p2", "system", 0);
    CHECK_INT(order_read(&ctx, f, &tick), 0);
    for (int i = 0; i < 2; i++) {
        envelope e;
        envelope_init(&e);
        CHECK_INT(decode_keyed("t.order.records", keys[i], &e), 0);
        stage_transform(&ctx, &e);
        envelope_release(&e);
        envelope_init(&e);
        CHECK_INT(decode_keyed("t.order.mapped", keys[i], &e), 0);
        pthread_mutex_lock(&srv_mu);
        cfg_query_status = i == 1 ? 503 : 200;
        pthread_mutex_unlock(&srv_mu);
        stage_write(&ctx, &e);
        envelope_release(&e);
    }
    CHECK_INT(count_log("run", "event", "finished", "run_id", "run-p2"), 1);
    ev = find_log("run", "event", "finished", "run_id", "run-p2");
    CHECK_STR(json_string_value(json_object_get(ev, "status")), "failed");
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.published")), 2);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.succeeded")), 1);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.failed")), 1);
    CHECK_INT(json_integer_value(jsonpath_get(ev, "counts.skipped")), 0);
    json_decref(ev);
    CHECK_INT(check_log_schema(), 4);
    envelope_release(&tick);
}

/* ---- scheduler ---- */

static void test_sched_two_owners(void)
{
    fresh();
    flow_set one = { 0 };
    flow *ticking = (flow *)flow_set_find(&flows, "ticking");
    one.flows = &ticking;
    one.n = 1;
    stage_ctx c2 = ctx;  /* a second replica: same store and sink */
    ticks_sched a = { &ctx, &one, "host-a", 10000, 0 };
    ticks_sched b = { &c2, &one, "host-b", 10000, 0 };
    const int64_t T0 = 1700000000000LL;  /* a multiple of 10 s */

    CHECK_INT(ticks_step(&a, T0), 0);      /* leader; first sight of the flow */
    CHECK_INT(ticks_step(&b, T0), 0);
    CHECK_INT(a.leader + b.leader, 1);
    CHECK_INT(a.leader, 1);
    CHECK_INT(ticks_step(&b, T0 + 10000), 0);  /* not the leader: no tick */
    CHECK_INT(ticks_step(&a, T0 + 10000), 1);  /* due: one tick */
    CHECK_INT(ticks_step(&b, T0 + 10000), 0);
    CHECK_INT(ticks_step(&a, T0 + 10000), 0);  /* handled already */
    CHECK_INT(ticks_step(&a, T0 + 15000), 0);  /* not due yet */
    CHECK_INT(count_topic("t.order.ticks"), 1);
    const msg *m = nth("t.order.ticks", 0);
    envelope t;
    envelope_init(&t);
    if (m) {
        CHECK_STR(m->key, "ticking");
        CHECK_INT(envelope_decode(&t, m->data, m->len, NULL), 0);
        CHECK_STR(t.flow, "ticking");
        CHECK_STR(t.flow_type, "order");
        char want[64];
        snprintf(want, sizeof want, "ticking-%lld", (long long)(T0 + 10000));
        CHECK_STR(t.run_id, want);
        CHECK_STR(attrs_get(&t.attrs, "run.triggered_by"), "system");
        CHECK_STR(attrs_get(&t.attrs, "run.is_triggered"), "false");
        snprintf(want, sizeof want, "%lld", (long long)(T0 + 10000));
        CHECK_STR(attrs_get(&t.attrs, "run.due"), want);
    }

    /* downtime: ten intervals pass without a step -> one tick, not ten */
    int64_t later = T0 + 10000 + 10 * 10000;
    CHECK_INT(ticks_step(&a, later), 1);
    CHECK_INT(ticks_step(&b, later), 0);
    CHECK_INT(ticks_step(&a, later), 0);
    CHECK_INT(count_topic("t.order.ticks"), 2);
    CHECK_INT(ticks_step(&a, later + 10000), 1);  /* and the schedule goes on */
    CHECK_INT(count_topic("t.order.ticks"), 3);

    /* hand-over: b takes the lock once a lets it go; a due time already
     * ticked is not ticked again even if b sees it as due */
    strbuf err = STRBUF_INIT, key = STRBUF_INIT;
    CHECK_INT(store_lock_release(st, "scheduler", "host-a", &err), 0);
    strbuf_addstr(&key, "sched:ticking:last");
    char prev[32];
    snprintf(prev, sizeof prev, "%lld", (long long)(later + 5000));  /* as if b saw an older "last" */
    CHECK_INT(store_set(st, key.buf, prev, 0, &err), 0);
    CHECK_INT(ticks_step(&b, later + 10000), 0);   /* the marker for that due time exists */
    CHECK_INT(b.leader, 1);
    CHECK_INT(ticks_step(&a, later + 20000), 0);   /* a is no longer the leader */
    CHECK_INT(a.leader, 0);
    CHECK_INT(ticks_step(&b, later + 20000), 1);
    CHECK_INT(count_topic("t.order.ticks"), 4);

    /* a tick the sink cannot take is not lost: the next step sends it */
    stage_ctx down = c2;
    down.out.produce = fail_produce;
    b.c = &down;
    CHECK_INT(ticks_step(&b, later + 30000), 0);
    CHECK_INT(count_topic("t.order.ticks"), 4);
    b.c = &c2;
    CHECK_INT(ticks_step(&b, later + 30000), 1);
    CHECK_INT(count_topic("t.order.ticks"), 5);
    m = nth("t.order.ticks", 4);
    if (m) {
        char want[64];
        CHECK_INT(envelope_decode(&t, m->data, m->len, NULL), 0);
        snprintf(want, sizeof want, "ticking-%lld", (long long)(later + 30000));
        CHECK_STR(t.run_id, want);
    }
    CHECK_INT(ticks_step(&b, later + 30000), 0);
    strbuf_release(&err);
    strbuf_release(&key);
    envelope_release(&t);
}

int main(void)
{
    strbuf err = STRBUF_INIT;
    snprintf(sock_path, sizeof sock_path, "/tmp/ff-stages-%d.sock", (int)getpid());
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ff-stages-XXXXXX");
    setenv("FF_TEST_OMNI_USER", "omni-user", 1);
    setenv("FF_TEST_OMNI_PASS", "omni-pass", 1);
    http_global_init();
    if (!mkdtemp(tmpdir) || start_redis() < 0 || start_server() < 0 || pyscript_global_init(&err) < 0) {
        fprintf(stderr, "setup failed (temp dir, redis-server, http server or python): %s\n", err.buf);
        stop_redis();
        if (daemon_)
            MHD_stop_daemon(daemon_);
        CHECK(0);
        return unit_done();
    }
    st = store_open(sock_path, NULL, &err);
    CHECK(st != NULL);
    if (st && setup_flows() == 0) {
        ctx.service = "test";
        ctx.prefix = "t";
        ctx.out.produce = mem_produce;
        ctx.store = st;
        ctx.http = http_client_new(NULL);
        ctx.flows = &flows;
        ctx.src_topic = "t.order.mapped";
        RUN(test_read_orders);
        RUN(test_lost_run_closed);
        RUN(test_read_orders_without_ids);
        RUN(test_transform_passthrough);
        RUN(test_transform_mapping);
        RUN(test_transform_script_raises);
        RUN(test_write_success);
        RUN(test_write_already_in_erp);
        RUN(test_write_found_without_item_codes);
        RUN(test_write_delivered_twice);
        RUN(test_write_query_unreadable);
        RUN(test_write_mapping_exists);
        RUN(test_write_query_failure_code);
        RUN(test_write_erp_500);
        RUN(test_write_order_exists_attr);
        RUN(test_pipeline_run_counts);
        RUN(test_sched_two_owners);
        http_client_free(ctx.http);
    } else {
        CHECK(0);
    }
    sink_clear();
    free(msgs);
    flow_set_release(&flows);
    if (st)
        store_close(st);
    stop_redis();
    MHD_stop_daemon(daemon_);
    http_global_cleanup();
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    strbuf_release(&err);
    return unit_done();
}
