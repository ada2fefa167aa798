/*
 * test_parking: failing well (issue 13), against a private redis-server.
 *
 * - A record that keeps failing is parked at the flow's max_attempts: one
 *   "parked" event, its failed copy marked, the reader told to leave it
 *   (parking_check); 429/503 and refused logins do not count; a success
 *   clears the count.
 * - A login answered with a 4xx is not tried again by anyone for the
 *   backoff (shared through the store), the failure says "<system> login
 *   failed: <status> <answer>" and gives the status to the record's event;
 *   the pause doubles per refusal in a row; a login that works clears it.
 * - A flow file that did not load only for this machine's reasons (an
 *   environment variable unset here, a script file missing here) is told
 *   apart from a file invalid everywhere, whose records then fail with its
 *   problems.
 */
#include "auth.h"
#include "clock.h"
#include "envelope.h"
#include "flow.h"
#include "jsontext.h"
#include "parking.h"
#include "stage.h"
#include "store.h"
#include "testsupport.h"
#include "unit.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

static store *st;

/* ---- a memory sink: the messages a stage produced ---- */

#define MAXMSG 256
static struct {
    char *topic;
    strbuf payload;
} msgs[MAXMSG];
static int nmsgs;

static int sink_produce(void *ctx, const char *topic, const char *key, const void *payload, size_t len, void *origin,
                        strbuf *err)
{
    (void)ctx; (void)key; (void)origin; (void)err;
    if (nmsgs == MAXMSG)
        return -1;
    msgs[nmsgs].topic = strdup(topic);
    strbuf_init(&msgs[nmsgs].payload, 0);
    strbuf_add(&msgs[nmsgs].payload, payload, len);
    nmsgs++;
    return 0;
}

static void sink_clear(void)
{
    for (int i = 0; i < nmsgs; i++) {
        free(msgs[i].topic);
        strbuf_release(&msgs[i].payload);
    }
    nmsgs = 0;
}

/* The last log event's field (new reference), or NULL. */
static json_t *last_log_field(const char *field)
{
    for (int i = nmsgs - 1; i >= 0; i--)
        if (!strcmp(msgs[i].topic, "t.log")) {
            json_t *v = jsontext_parse(msgs[i].payload.buf, msgs[i].payload.len, NULL);
            json_t *f = json_incref(json_object_get(v, field));
            json_decref(v);
            return f;
        }
    return NULL;
}

static int count_outcome(const char *outcome)
{
    int n = 0;
    for (int i = 0; i < nmsgs; i++)
        if (!strcmp(msgs[i].topic, "t.log")) {
            json_t *v = jsontext_parse(msgs[i].payload.buf, msgs[i].payload.len, NULL);
            n += json_is_string(json_object_get(v, "outcome")) &&
                 !strcmp(json_string_value(json_object_get(v, "outcome")), outcome);
            json_decref(v);
        }
    return n;
}

/* The last failed-topic copy, decoded into e (initialised). 0 or -1. */
static int last_failed(envelope *e)
{
    for (int i = nmsgs - 1; i >= 0; i--)
        if (!strcmp(msgs[i].topic, "t.order.failed"))
            return envelope_decode(e, msgs[i].payload.buf, msgs[i].payload.len, NULL);
    return -1;
}

static void record(envelope *e, const char *flow_name, const char *key)
{
    envelope_init(e);
    envelope_set(&e->flow, flow_name);
    envelope_set(&e->flow_type, "order");
    envelope_set(&e->run_id, "run-1");
    envelope_set(&e->key, key);
    e->attempt = 1;
    strbuf_addstr(&e->body, "{}");
}

static void redis_flush(void)
{
    strbuf err = STRBUF_INIT;
    /* every key of the tests lives under "t:"; deleting the ones used is enough */
    const char *keys[] = { "attempts:orders:K1", "attempts:orders:K2", "attempts:orders:K3",
                           "loginpause:omnitron:orders", "loginrefused:omnitron:orders", NULL };
    for (int i = 0; keys[i]; i++)
        store_del(st, keys[i], &err);
    strbuf_release(&err);
}

/* ---- parking ---- */

static void test_parking(void)
{
    flow fl;
    flow *list[1] = { &fl };
    flow_set set = { list, 1, NULL, 0 };
    memset(&fl, 0, sizeof fl);
    fl.name = "orders";
    fl.type = "order";
    fl.max_attempts = 3;
    stage_ctx c = { .service = "test", .prefix = "t", .out = { sink_produce, NULL }, .store = st, .flows = &set };
    strbuf err = STRBUF_INIT;
    envelope e, f;
    redis_flush();
    sink_clear();
    record(&e, "orders", "K1");

    /* fails twice: counted, not parked */
    stage_fail(&c, &e, "write_erp", 500, "ERP is down");
    stage_fail(&c, &e, "write_erp", 500, "ERP is down");
    CHECK_INT(count_outcome("failed"), 2);
    CHECK_INT(count_outcome("parked"), 0);
    CHECK_INT(parking_check(&c, &fl, "K1", &err), 0);
    envelope_init(&f);
    CHECK_INT(last_failed(&f), 0);
    CHECK_STR(attrs_get(&f.attrs, PARKING_ATTR_ATTEMPTS), "2");
    CHECK(attrs_get(&f.attrs, PARKING_ATTR_PARKED) == NULL);

    /* the third time: parked, one event with the last error */
    stage_fail(&c, &e, "script", 0, "the script refuses it");
    CHECK_INT(count_outcome("parked"), 1);
    json_t *v = last_log_field("error");
    CHECK_STR(json_string_value(v), "the script refuses it");
    json_decref(v);
    CHECK_INT(parking_check(&c, &fl, "K1", &err), 1);
    CHECK_INT(last_failed(&f), 0);
    CHECK_STR(attrs_get(&f.attrs, PARKING_ATTR_PARKED), "true");
    CHECK_STR(f.error, "the script refuses it");

    /* a fourth failure (a redelivery) is no second parked event */
    stage_fail(&c, &e, "script", 0, "the script refuses it");
    CHECK_INT(count_outcome("parked"), 1);
    CHECK_INT(parking_check(&c, &fl, "K1", &err), 1);

    /* a success forgets it */
    stage_outcome(&c, &e, "succeeded");
    CHECK_INT(parking_check(&c, &fl, "K1", &err), 0);
    CHECK_INT(parking_attempts(st, "orders", "K1", &err), 0);

    /* "not yet": 429, 503 and refused logins do not count */
    envelope_release(&e);
    record(&e, "orders", "K2");
    for (int i = 0; i < 5; i++) {
        stage_fail(&c, &e, "write_erp", i % 2 ? 429 : 503, "wait");
        c.login_refused = 401;
        stage_fail(&c, &e, "login", 0, "ERP login failed: 401 {}");
        CHECK_INT(c.login_refused, 0);   /* cleared at the record's end */
    }
    v = last_log_field("http_status");
    CHECK_INT(json_integer_value(v), 401);   /* the refused login's status */
    json_decref(v);
    CHECK_INT(parking_attempts(st, "orders", "K2", &err), 0);
    CHECK_INT(parking_check(&c, &fl, "K2", &err), 0);
    CHECK_INT(count_outcome("parked"), 1);

    /* a flow not loaded here: nothing to count against */
    envelope_release(&e);
    record(&e, "elsewhere", "K3");
    stage_fail(&c, &e, "write", 0, "no flow");
    CHECK_INT(parking_attempts(st, "elsewhere", "K3", &err), 0);

    envelope_release(&e);
    envelope_release(&f);
    sink_clear();
    strbuf_release(&err);
}

/* ---- login backoff ---- */

static struct MHD_Daemon *httpd;
static int http_port;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int logins, login_ok;

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls; (void)url; (void)method; (void)version; (void)upload;
    if (!*con_cls) {
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&mu);
    logins++;
    int ok = login_ok;
    pthread_mutex_unlock(&mu);
    const char *body = ok ? "{\"key\":\"tok-1\"}" : "{\"error\":\"invalid_client\"}";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, ok ? 200 : 401, r);
    MHD_destroy_response(r);
    return ret;
}

static int get_logins(void)
{
    pthread_mutex_lock(&mu);
    int n = logins;
    pthread_mutex_unlock(&mu);
    return n;
}

/* ms left of the stored pause, or -1 when there is none */
static int64_t pause_left(void)
{
    strbuf v = STRBUF_INIT, err = STRBUF_INIT;
    int64_t left = -1;
    if (store_get(st, "loginpause:omnitron:orders", &v, &err) == 1)
        left = strtoll(v.buf, NULL, 10) - clock_wall_ms();
    strbuf_release(&v);
    strbuf_release(&err);
    return left;
}

static int header(stage_ctx *c, const flow *f, strbuf *out, strbuf *err)
{
    auth_session sa;
    auth_init(&sa, c, f, 0);
    int rc = auth_header_fn(&sa, 0, out, err);
    auth_release(&sa);
    return rc;
}

static void test_login_backoff(void)
{
    flow f;
    char url[64];
    memset(&f, 0, sizeof f);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", http_port);
    f.name = "orders";
    f.omnitron_url = url;
    f.retry = RETRY_DEFAULT;
    f.http_timeout_ms = 5000;
    f.omnitron_auth.kind = FLOW_AUTH_OMNITRON;
    f.omnitron_auth.login.url_text = "/api/v1/auth/login/";
    f.omnitron_auth.header_name = "Authorization";
    f.omnitron_auth.header_prefix = "Token ";
    f.omnitron_auth.username = "u";
    f.omnitron_auth.password = "wrong";
    f.omnitron_auth.token_ttl_ms = 60000;
    f.omnitron_auth.backoff_ms = 60000;
    f.omnitron_auth.max_backoff_ms = 200000;
    http_options ho = { 2000, 5000, 1 << 20 };
    stage_ctx a = { .service = "test", .store = st, .http = http_client_new(&ho) };
    stage_ctx b = a;   /* another worker, as another replica would be */
    strbuf h = STRBUF_INIT, err = STRBUF_INIT;
    redis_flush();

    /* refused: one login, the status and the answer in the error */
    CHECK_INT(header(&a, &f, &h, &err), -1);
    CHECK_INT(get_logins(), 1);
    CHECK(strstr(err.buf, "Omnitron login failed: 401 {\"error\":\"invalid_client\"}") != NULL);
    CHECK_INT(a.login_refused, 401);
    CHECK(pause_left() > 50000 && pause_left() <= 60000);

    /* meanwhile nobody logs in: the refusal is repeated, with the pause */
    for (int i = 0; i < 5; i++) {
        strbuf_reset(&err);
        CHECK_INT(header(&b, &f, &h, &err), -1);
    }
    CHECK_INT(get_logins(), 1);
    CHECK(strstr(err.buf, "Omnitron login failed: 401 {\"error\":\"invalid_client\"}") != NULL);
    CHECK(strstr(err.buf, "login paused for") != NULL);
    CHECK_INT(b.login_refused, 401);

    /* the pause over (its key gone), refused again: twice as long */
    store_del(st, "loginpause:omnitron:orders", &err);
    CHECK_INT(header(&a, &f, &h, &err), -1);
    CHECK_INT(get_logins(), 2);
    CHECK(pause_left() > 110000 && pause_left() <= 120000);
    /* ... and never longer than the max */
    store_del(st, "loginpause:omnitron:orders", &err);
    header(&a, &f, &h, &err);
    store_del(st, "loginpause:omnitron:orders", &err);
    header(&a, &f, &h, &err);
    CHECK_INT(get_logins(), 4);
    CHECK(pause_left() > 190000 && pause_left() <= 200000);

    /* fixed: the next login after the pause works and clears the refusals */
    pthread_mutex_lock(&mu);
    login_ok = 1;
    pthread_mutex_unlock(&mu);
    store_del(st, "loginpause:omnitron:orders", &err);
    strbuf_reset(&err);
    CHECK_INT(header(&a, &f, &h, &err), 0);
    CHECK_STR(h.buf, "Authorization: Token tok-1");
    CHECK_INT(a.login_refused, 0);
    strbuf v = STRBUF_INIT;
    CHECK_INT(store_get(st, "loginrefused:omnitron:orders", &v, &err), 0);
    strbuf_release(&v);

    http_client_free(a.http);
    strbuf_release(&h);
    strbuf_release(&err);
}

/* ---- local problems ---- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    fputs(text, fp);
    fclose(fp);
}

static const char FLOW_FMT[] =
    "{ \"name\": \"%s\", \"type\": \"order\", %s\n"
    "  \"omnitron\": { \"url\": \"http://127.0.0.1:1\", \"username_env\": \"FF_TEST_PARK_USER\",\n"
    "                \"password_env\": \"%s\", \"channels\": \"1\" },\n"
    "  \"erp\": { \"write\": { \"url\": \"http://127.0.0.1:1/orders\", \"method\": \"%s\" } } }\n";

static void flow_file(const char *file, const char *name, const char *extra, const char *pass_env, const char *method)
{
    strbuf t = STRBUF_INIT;
    strbuf_addf(&t, FLOW_FMT, name, extra, pass_env, method);
    write_file(file, t.buf);
    strbuf_release(&t);
}

static const flow_broken *broken_named(const flow_set *set, const char *name)
{
    return flow_set_find_broken(set, name);
}

static void test_local_problems(void)
{
    flow_set set;
    strbuf err = STRBUF_INIT;
    setenv("FF_TEST_PARK_USER", "u", 1);
    setenv("FF_TEST_PARK_PASS", "p", 1);
    unsetenv("FF_TEST_PARK_UNSET");
    snprintf(dir, sizeof dir, "/tmp/ff-test-parking-%d", (int)getpid());
    mkdir(dir, 0700);
    flow_file("a.json", "good", "", "FF_TEST_PARK_PASS", "POST");
    flow_file("b.json", "noenv", "", "FF_TEST_PARK_UNSET", "POST");
    flow_file("c.json", "noscript", "\"script\": { \"file\": \"missing.py\" },", "FF_TEST_PARK_PASS", "POST");
    flow_file("d.json", "badfield", "", "FF_TEST_PARK_UNSET", "PUTT");
    int broken = flow_set_load(&set, dir, 0, &err);
    CHECK_INT(broken, 3);
    CHECK_INT((int)set.n, 1);
    CHECK_INT((int)set.n_broken, 3);
    const flow_broken *b = broken_named(&set, "noenv");
    CHECK(b && b->local);
    CHECK(b && b->type && !strcmp(b->type, "order"));
    CHECK(b && strstr(b->problems, "environment variable FF_TEST_PARK_UNSET is not set"));
    b = broken_named(&set, "noscript");
    CHECK(b && b->local);
    /* a bad field makes the file invalid everywhere, whatever else */
    b = broken_named(&set, "badfield");
    CHECK(b && !b->local);
    CHECK(b && strstr(b->problems, "erp.write.method"));

    /* records of a file invalid everywhere fail with its problems */
    stage_ctx c = { .service = "test", .prefix = "t", .out = { sink_produce, NULL }, .store = st, .flows = &set };
    envelope e, f;
    sink_clear();
    record(&e, "badfield", "K9");
    stage_write(&c, &e);
    envelope_init(&f);
    CHECK_INT(last_failed(&f), 0);
    CHECK(f.error && strstr(f.error, "flow \"badfield\" did not load:") && strstr(f.error, "erp.write.method"));
    envelope_release(&e);
    envelope_release(&f);
    sink_clear();
    flow_set_release(&set);
    const char *files[] = { "a.json", "b.json", "c.json", "d.json", NULL };
    for (int i = 0; files[i]; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
    strbuf_release(&err);
}

int main(void)
{
    char sock[64];
    snprintf(sock, sizeof sock, "/tmp/ff-test-parking-%d.sock", (int)getpid());
    pid_t redis = ts_redis_start(sock, ts_free_port());
    strbuf err = STRBUF_INIT;
    CHECK(redis > 0);
    st = redis > 0 ? store_open(sock, "t:", &err) : NULL;
    CHECK(st != NULL);
    httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = httpd ? MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    http_port = info ? info->port : 0;
    CHECK(http_port > 0);
    if (st) {
        RUN(test_parking);
        if (http_port)
            RUN(test_login_backoff);
        RUN(test_local_problems);
        store_close(st);
    }
    if (httpd)
        MHD_stop_daemon(httpd);
    ts_redis_stop(&redis, sock);
    strbuf_release(&err);
    return unit_done();
}
