/*
 * Unit tests: the HTTP client against an in-process libmicrohttpd server on
 * a free port. Paths pick the behaviour (see handler()); per-path hit
 * counters let a test script "fail twice, then succeed". The retry policy is
 * tiny (10 ms base) so the suite is fast; the only timing check is a lower
 * bound where a Retry-After of 1 s must be honoured.
 */
#include "http.h"
#include "testsupport.h"
#include "unit.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static struct MHD_Daemon *daemon_;
static int port;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int hits;              /* requests to the current test's path */
static int connections;       /* TCP connections accepted, ever */
static char last_method[16];
static char last_body[256];
static char last_hdr[128];    /* X-Test header */
static char last_ctype[128];  /* Content-Type header */
static char last_auth[128];   /* Authorization header */

static const retry_policy FAST = { .max_attempts = 3, .base_ms = 10, .max_ms = 50, .retry_5xx = 1, .retry_429 = 1 };

static void reset_server(void)
{
    pthread_mutex_lock(&mu);
    hits = 0;
    last_method[0] = last_body[0] = last_hdr[0] = last_ctype[0] = last_auth[0] = '\0';
    pthread_mutex_unlock(&mu);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body, const char *extra_name,
                             const char *extra_val)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    if (extra_name)
        MHD_add_response_header(r, extra_name, extra_val);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A body with no Content-Length (chunked), 100 bytes per call, 5000 in all. */
static ssize_t chunked_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= 5000)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max < 100 ? max : 100;
    memset(buf, 'z', n);
    return (ssize_t)n;
}

static void copy_hdr(struct MHD_Connection *conn, const char *name, char *dst, size_t cap)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    snprintf(dst, cap, "%s", v ? v : "");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
    (void)cls;
    (void)version;
    strbuf *body = *con_cls;
    if (!body) {  /* first call: headers only */
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

    pthread_mutex_lock(&mu);
    int n = ++hits;
    snprintf(last_method, sizeof last_method, "%s", method);
    snprintf(last_body, sizeof last_body, "%s", body->buf);
    copy_hdr(conn, "X-Test", last_hdr, sizeof last_hdr);
    copy_hdr(conn, "Content-Type", last_ctype, sizeof last_ctype);
    copy_hdr(conn, "Authorization", last_auth, sizeof last_auth);
    char auth[128];
    snprintf(auth, sizeof auth, "%s", last_auth);
    pthread_mutex_unlock(&mu);

    if (strcmp(url, "/ok") == 0)
        return reply(conn, 200, "hello", NULL, NULL);
    if (strcmp(url, "/flaky") == 0)
        return n <= 2 ? reply(conn, 500, "oops", NULL, NULL) : reply(conn, 200, "finally", NULL, NULL);
    if (strcmp(url, "/fail") == 0)
        return reply(conn, 500, "down", NULL, NULL);
    if (strcmp(url, "/notfound") == 0)
        return reply(conn, 404, "no", NULL, NULL);
    if (strcmp(url, "/busy") == 0)
        return n == 1 ? reply(conn, 429, "slow down", "Retry-After", "1") : reply(conn, 200, "ok now", NULL, NULL);
    if (strcmp(url, "/auth") == 0)
        return strcmp(auth, "Token good") == 0 ? reply(conn, 200, "welcome", NULL, NULL)
                                               : reply(conn, 401, "who", NULL, NULL);
    if (strcmp(url, "/auth401") == 0)
        return reply(conn, 401, "never", NULL, NULL);
    if (strcmp(url, "/big") == 0) {
        char big[2001];
        memset(big, 'x', 2000);
        big[2000] = '\0';
        return reply(conn, 200, big, NULL, NULL);
    }
    if (strcmp(url, "/bigchunked") == 0) {
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, chunked_body, NULL, NULL);
        enum MHD_Result ret = MHD_queue_response(conn, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/slow") == 0) {
        usleep(400 * 1000);
        return reply(conn, 200, "late", NULL, NULL);
    }
    if (strcmp(url, "/echo") == 0) {
        strbuf out = STRBUF_INIT;
        strbuf_addf(&out, "%s %s", method, body->buf);
        enum MHD_Result ret = reply(conn, 201, out.buf, NULL, NULL);
        strbuf_release(&out);
        return ret;
    }
    return reply(conn, 404, "unknown path", NULL, NULL);
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

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&mu);
        connections++;
        pthread_mutex_unlock(&mu);
    }
}

static int get_connections(void)
{
    pthread_mutex_lock(&mu);
    int n = connections;
    pthread_mutex_unlock(&mu);
    return n;
}

static int start_server(void)
{
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                               MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_NOTIFY_COMPLETED, completed,
                               NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    if (!daemon_)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : 0;
    return port ? 0 : -1;
}

/* A TCP port nothing listens on. */
static int closed_port(void)
{
    return ts_free_port();
}

static const char *url(const char *path)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", port, path);
    return buf;
}

static http_client *client;

static int get(const char *path, http_response *resp)
{
    http_request req = { .method = "GET", .url = url(path), .retry = &FAST };
    return http_do(client, &req, resp);
}

static void test_ok(void)
{
    reset_server();
    http_response r;
    http_response_init(&r);
    CHECK_INT(get("/ok", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.buf, "hello");
    CHECK_INT(r.body.len, 5);
    CHECK_STR(r.content_type.buf, "text/plain; charset=utf-8");
    CHECK_INT(r.attempts, 1);
    CHECK_INT(r.relogins, 0);
    CHECK_STR(r.error.buf, "");
    /* measured: a real round trip takes some time, and less than the timeout */
    CHECK(r.elapsed_ms > 0 && r.elapsed_ms < 10000);
    CHECK_STR(last_method, "GET");
    /* the same client again: works and reuses the connection (keep-alive) */
    int conns = get_connections();
    for (int i = 0; i < 5; i++) {
        CHECK_INT(get("/ok", &r), 0);
        CHECK_STR(r.body.buf, "hello");
    }
    CHECK_INT(get_connections(), conns);
    /* a 404 is a response, not retried */
    reset_server();
    CHECK_INT(get("/notfound", &r), 0);
    CHECK_INT(r.status, 404);
    CHECK_INT(r.attempts, 1);
    http_response_release(&r);
}

static void test_flaky(void)
{
    reset_server();
    http_response r;
    http_response_init(&r);
    CHECK_INT(get("/flaky", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.attempts, 3);
    CHECK_INT(hits, 3);
    CHECK_STR(r.body.buf, "finally");
    http_response_release(&r);
}

static void test_fail_forever(void)
{
    reset_server();
    http_response r;
    http_response_init(&r);
    CHECK_INT(get("/fail", &r), 0);
    CHECK_INT(r.status, 500);
    CHECK_INT(r.attempts, 3);
    CHECK_INT(hits, 3);
    CHECK_STR(r.body.buf, "down");
    /* a policy that does not retry 5xx */
    reset_server();
    retry_policy p = FAST;
    p.retry_5xx = 0;
    http_request req = { .method = "GET", .url = url("/fail"), .retry = &p };
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_INT(r.attempts, 1);
    http_response_release(&r);
}

static void test_retry_after(void)
{
    reset_server();
    http_response r;
    http_response_init(&r);
    CHECK_INT(get("/busy", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.attempts, 2);
    CHECK_STR(r.body.buf, "ok now");
    CHECK(r.elapsed_ms >= 900);  /* Retry-After: 1 honoured over the 10 ms backoff */
    http_response_release(&r);
}

struct auth_state {
    int calls0, calls1;
    int fail_login;
};

static int auth_hook(void *ctx, int force, strbuf *header, strbuf *err)
{
    struct auth_state *a = ctx;
    if (force) {
        a->calls1++;
        if (a->fail_login) {
            strbuf_seterr(err, "bad password");
            return -1;
        }
        strbuf_setf(header, "Authorization: Token good");
    } else {
        a->calls0++;
        strbuf_setf(header, "Authorization: Token stale");
    }
    return 0;
}

static void test_relogin(void)
{
    reset_server();
    struct auth_state a = { 0, 0, 0 };
    http_response r;
    http_response_init(&r);
    http_request req = { .method = "GET", .url = url("/auth"), .retry = &FAST, .auth = auth_hook, .auth_ctx = &a };
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.buf, "welcome");
    CHECK_INT(a.calls0, 1);
    CHECK_INT(a.calls1, 1);
    CHECK_INT(r.relogins, 1);
    CHECK_INT(r.attempts, 2);
    CHECK_STR(last_auth, "Token good");

    /* 401 twice: one re-login, then the 401 is the answer */
    reset_server();
    memset(&a, 0, sizeof a);
    req.url = url("/auth401");
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_INT(r.status, 401);
    CHECK_INT(a.calls0, 1);
    CHECK_INT(a.calls1, 1);
    CHECK_INT(r.relogins, 1);
    CHECK_INT(r.attempts, 2);
    CHECK_INT(hits, 2);

    /* the re-login itself fails: -1 with the hook's message */
    reset_server();
    memset(&a, 0, sizeof a);
    a.fail_login = 1;
    CHECK_INT(http_do(client, &req, &r), -1);
    CHECK_STR(r.error.buf, "auth failed: bad password");
    CHECK_INT(hits, 1);

    /* without a hook a 401 is just returned */
    reset_server();
    req.auth = NULL;
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_INT(r.status, 401);
    CHECK_INT(r.attempts, 1);
    http_response_release(&r);
}

static void test_refused(void)
{
    http_response r;
    http_response_init(&r);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/x", closed_port());
    http_request req = { .method = "GET", .url = u, .retry = &FAST };
    CHECK_INT(http_do(client, &req, &r), -1);
    CHECK_INT(r.status, 0);
    CHECK_INT(r.attempts, 3);
    CHECK(r.error.len > 0);
    CHECK(strstr(r.error.buf, u) != NULL);
    http_response_release(&r);
}

static void test_timeout(void)
{
    reset_server();
    http_response r;
    http_response_init(&r);
    retry_policy p = FAST;
    p.max_attempts = 2;
    http_request req = { .method = "GET", .url = url("/slow"), .retry = &p, .timeout_ms = 100 };
    CHECK_INT(http_do(client, &req, &r), -1);
    CHECK_INT(r.status, 0);
    CHECK_INT(r.attempts, 2);
    CHECK(r.error.len > 0);
    /* a longer timeout lets it through */
    req.timeout_ms = 5000;
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_STR(r.body.buf, "late");
    http_response_release(&r);
}

static void test_too_large(void)
{
    http_options o = { .max_response_bytes = 1000 };
    http_client *c = http_client_new(&o);
    http_response r;
    http_response_init(&r);
    reset_server();
    http_request req = { .method = "GET", .url = url("/big"), .retry = &FAST };
    CHECK_INT(http_do(c, &req, &r), -1);
    CHECK_STR(r.error.buf, "response larger than 1000 bytes");
    CHECK_INT(r.attempts, 1);
    CHECK_INT(r.body.len, 0);
    req.url = url("/bigchunked");
    CHECK_INT(http_do(c, &req, &r), -1);
    CHECK_STR(r.error.buf, "response larger than 1000 bytes");
    CHECK_INT(r.attempts, 1);
    /* the client still works afterwards */
    req.url = url("/ok");
    CHECK_INT(http_do(c, &req, &r), 0);
    CHECK_STR(r.body.buf, "hello");
    /* a request's own limit (a flow's http.max_response_bytes) wins over
     * the client's, smaller or larger */
    http_client *big = http_client_new(NULL);
    req.url = url("/big");
    req.max_response_bytes = 1000;
    CHECK_INT(http_do(big, &req, &r), -1);
    CHECK_STR(r.error.buf, "response larger than 1000 bytes");
    req.max_response_bytes = 1 << 20;
    CHECK_INT(http_do(c, &req, &r), 0);
    http_client_free(big);
    http_response_release(&r);
    http_client_free(c);
}

static void check_bad_url(const char *u, const char *want)
{
    strbuf err = STRBUF_INIT;
    CHECK_INT(http_check_url(u, &err), -1);
    if (want)
        CHECK_STR(err.buf, want);
    else
        CHECK(strncmp(err.buf, "invalid URL \"", 13) == 0);
    strbuf_release(&err);
}

static void test_bad_urls(void)
{
    check_bad_url("http://x y", "invalid URL \"http://x y\": contains a space");
    check_bad_url("ht tp://", "invalid URL \"ht tp://\": contains a space");
    check_bad_url("http://host/a\nb", "invalid URL \"http://host/a\\nb\": contains a control character");
    check_bad_url("http://host/\x7f", NULL);
    check_bad_url("http://host/a\tb", NULL);
    check_bad_url("", "invalid URL \"\": empty");
    check_bad_url(NULL, "invalid URL \"\": empty");
    check_bad_url("ftp://host/x", "invalid URL \"ftp://host/x\": scheme is not http or https");
    check_bad_url("http://", NULL);
    check_bad_url("http://[::1/x", NULL);
    check_bad_url("http://host:99999/x", NULL);
    CHECK_INT(http_check_url("http://127.0.0.1:8080/a?b=c%20d", NULL), 0);
    CHECK_INT(http_check_url("https://example.com", NULL), 0);
    CHECK_INT(http_check_url("http://x y", NULL), -1);

    /* nothing is sent for a bad URL */
    reset_server();
    http_response r;
    http_response_init(&r);
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/ok x", port);
    http_request req = { .method = "GET", .url = u, .retry = &FAST };
    CHECK_INT(http_do(client, &req, &r), -1);
    CHECK_INT(r.attempts, 0);
    CHECK_INT(hits, 0);
    CHECK(strstr(r.error.buf, "invalid URL") != NULL);
    CHECK(strstr(r.error.buf, "contains a space") != NULL);
    http_response_release(&r);
}

static void test_bodies_and_headers(void)
{
    http_response r;
    http_response_init(&r);
    const char *hdrs[] = { "X-Test: forty-two", "Content-Type: application/json", NULL };
    const char *body = "{\"a\":1}";
    http_request req = { .method = "POST", .url = url("/echo"), .headers = hdrs, .body = body,
                         .body_len = strlen(body), .retry = &FAST };
    reset_server();
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.body.buf, "POST {\"a\":1}");
    CHECK_STR(last_method, "POST");
    CHECK_STR(last_body, "{\"a\":1}");
    CHECK_STR(last_hdr, "forty-two");
    CHECK_STR(last_ctype, "application/json");

    reset_server();
    req.method = "PATCH";
    req.body = "{\"b\":2}xxxx";
    req.body_len = 7;  /* only the first body_len bytes are sent */
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_STR(r.body.buf, "PATCH {\"b\":2}");
    CHECK_STR(last_method, "PATCH");
    CHECK_STR(last_hdr, "forty-two");

    reset_server();
    req.method = "PUT";
    req.body = "put-body";
    req.body_len = 8;
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_STR(r.body.buf, "PUT put-body");

    reset_server();
    req.method = "DELETE";
    req.body = NULL;
    req.body_len = 0;
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_STR(r.body.buf, "DELETE ");
    CHECK_STR(last_method, "DELETE");

    /* a GET after a POST on the same handle is a GET again */
    reset_server();
    req.method = "GET";
    CHECK_INT(http_do(client, &req, &r), 0);
    CHECK_STR(r.body.buf, "GET ");
    http_response_release(&r);
}

static void test_stats(void)
{
    http_stats s;
    http_stats_get(&s);
    CHECK(s.requests >= 20);
    CHECK(s.retries >= 5);
    CHECK(s.relogins >= 2);
    CHECK(s.errors >= 3);
    CHECK(s.s2xx >= 5);
    CHECK(s.s4xx >= 3);
    CHECK(s.s5xx >= 5);
    long before = s.requests;
    reset_server();
    http_response r;
    http_response_init(&r);
    get("/ok", &r);
    http_response_release(&r);
    http_stats_get(&s);
    CHECK_INT(s.requests, before + 1);
}

int main(void)
{
    http_global_init();
    if (start_server() < 0) {
        fprintf(stderr, "cannot start the test server\n");
        return 1;
    }
    client = http_client_new(NULL);
    RUN(test_ok);
    RUN(test_flaky);
    RUN(test_fail_forever);
    RUN(test_retry_after);
    RUN(test_relogin);
    RUN(test_refused);
    RUN(test_timeout);
    RUN(test_too_large);
    RUN(test_bad_urls);
    RUN(test_bodies_and_headers);
    RUN(test_stats);
    http_client_free(client);
    MHD_stop_daemon(daemon_);
    http_global_cleanup();
    return unit_done();
}
