/*
 * test_fiber.c: fibers (common/fiber.c) as the services use them: many HTTP
 * transfers in flight on one thread, bounded-queue consumers that are
 * fibers, retry sleeps that suspend only their fiber, and pinned sections.
 *
 * The server's /barrier?n=N answers 200 only once N requests are waiting
 * at the same time (504 after 2 s otherwise): N fibers on ONE thread get
 * 200 only if their transfers really overlap.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bqueue.h"
#include "fiber.h"
#include "http.h"
#include "unit.h"

static struct MHD_Daemon *daemon_;
static int port;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, released_round = -1, round_no, connections, flaky_hits;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
    (void)cls, (void)method, (void)version, (void)upload_data, (void)upload_data_size;
    if (!*con_cls) {
        *con_cls = conn;
        return MHD_YES;
    }
    if (strcmp(url, "/barrier") == 0) {
        const char *n = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "n");
        int want = n ? atoi(n) : 1, ok;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 2;
        pthread_mutex_lock(&mu);
        int my_round = round_no;
        if (++waiting >= want) {
            released_round = my_round;
            round_no++;
            waiting = 0;
            pthread_cond_broadcast(&cv);
        }
        while (released_round != my_round && round_no == my_round)
            if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
                break;
        ok = released_round == my_round;
        if (!ok)
            waiting--;
        pthread_mutex_unlock(&mu);
        return ok ? reply(conn, 200, "together") : reply(conn, 504, "alone");
    }
    if (strcmp(url, "/flaky") == 0) {
        pthread_mutex_lock(&mu);
        int h = ++flaky_hits;
        pthread_mutex_unlock(&mu);
        return h % 2 ? reply(conn, 503, "again") : reply(conn, 200, "fine");
    }
    return reply(conn, 200, "ok");
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_ConnectionNotificationCode code)
{
    (void)cls, (void)conn, (void)ctx;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&mu);
        connections++;
        pthread_mutex_unlock(&mu);
    }
}

static int start_server(void)
{
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                               handler, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    if (!daemon_)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : 0;
    return port ? 0 : -1;
}

/* ---- many transfers on one thread ---- */

typedef struct shared {
    pthread_mutex_t mu;
    int ok, failed, calls, can_suspend_in, can_suspend_pinned;
    const char *path;
    int rounds;
    const retry_policy *retry;   /* NULL: PATIENT */
} shared;

static const retry_policy PATIENT = { .max_attempts = 30, .base_ms = 1, .max_ms = 5, .retry_5xx = 1, .retry_429 = 1 };
static const retry_policy ONCE = { .max_attempts = 1 };

static void get_many(void *arg)
{
    shared *s = arg;
    http_client *c = http_client_new(NULL);
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d%s", port, s->path);
    for (int r = 0; r < s->rounds; r++) {
        http_request req = { .method = "GET", .url = u, .retry = s->retry ? s->retry : &PATIENT };
        http_response resp;
        http_response_init(&resp);
        int rc = http_do(c, &req, &resp);
        pthread_mutex_lock(&s->mu);
        s->calls++;
        if (rc == 0 && resp.status == 200)
            s->ok++;
        else
            s->failed++;
        pthread_mutex_unlock(&s->mu);
        http_response_release(&resp);
    }
    http_client_free(c);
}

static void test_transfers_overlap_on_one_thread(void)
{
    shared s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, "/barrier?n=8", 3, &ONCE };
    pthread_mutex_lock(&mu);
    int conns0 = connections;
    pthread_mutex_unlock(&mu);
    fiber_pool_run(1, 8, get_many, &s);
    CHECK_INT(s.calls, 24);
    CHECK_INT(s.ok, 24);   /* each round, all 8 waited at the server at once */
    pthread_mutex_lock(&mu);
    int conns = connections - conns0;
    pthread_mutex_unlock(&mu);
    CHECK(conns <= 8);     /* the loop's connections are reused round after round */
}

static void test_plain_threads_block(void)
{
    /* Outside a fiber the same call blocks its thread: alone at the
     * barrier, it gets the server's 504. */
    shared s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, "/barrier?n=2", 1, &ONCE };
    get_many(&s);
    CHECK_INT(s.failed, 1);
}

static void test_retries_in_fibers(void)
{
    shared s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, "/flaky", 5, NULL };
    fiber_pool_run(2, 4, get_many, &s);
    CHECK_INT(s.ok, 20);   /* every 503 was retried (after a fiber sleep) */
    CHECK_INT(s.failed, 0);
}

/* ---- sleeps ---- */

typedef struct order_log {
    pthread_mutex_t mu;
    int next;
    char seen[8];
    int slot;
} order_log;

static void sleeper(void *arg)
{
    order_log *o = arg;
    pthread_mutex_lock(&o->mu);
    int me = o->slot++;
    pthread_mutex_unlock(&o->mu);
    fiber_sleep_ms(me == 0 ? 150 : me == 1 ? 10 : 60);
    pthread_mutex_lock(&o->mu);
    o->seen[o->next++] = (char)('a' + me);
    pthread_mutex_unlock(&o->mu);
}

static void test_sleep_suspends_only_the_fiber(void)
{
    order_log o = { PTHREAD_MUTEX_INITIALIZER, 0, "", 0 };
    fiber_pool_run(1, 3, sleeper, &o);
    CHECK_INT(o.next, 3);
    o.seen[3] = '\0';
    CHECK_STR(o.seen, "bca");   /* one thread, shortest sleep first */
}

/* ---- queue consumers ---- */

typedef struct consumer_state {
    bqueue q;
    pthread_mutex_t mu;
    long sum, count;
} consumer_state;

static void consume(void *arg)
{
    consumer_state *cs = arg;
    void *it;
    while ((it = bqueue_pop(&cs->q))) {
        pthread_mutex_lock(&cs->mu);
        cs->sum += (long)(intptr_t)it;
        cs->count++;
        pthread_mutex_unlock(&cs->mu);
        if ((intptr_t)it % 7 == 0)
            fiber_sleep_ms(1);   /* a consumer busy waiting while others pop */
    }
}

static void test_queue_consumers_are_fibers(void)
{
    consumer_state cs;
    memset(&cs, 0, sizeof cs);
    pthread_mutex_init(&cs.mu, NULL);
    bqueue_init(&cs.q, 4);
    fiber_pool *p = fiber_pool_start(2, 6, consume, &cs);
    long want = 0;
    for (long i = 1; i <= 2000; i++) {
        bqueue_push(&cs.q, (void *)(intptr_t)i);
        want += i;
    }
    bqueue_close(&cs.q);
    fiber_pool_join(p);   /* returns: every consumer saw the close */
    CHECK_INT(cs.count, 2000);
    CHECK_INT(cs.sum, want);
    bqueue_destroy(&cs.q);
}

/* ---- pinning ---- */

static void pin_probe(void *arg)
{
    shared *s = arg;
    pthread_mutex_lock(&s->mu);
    s->can_suspend_in += fiber_can_suspend();
    pthread_mutex_unlock(&s->mu);
    fiber_pin_begin();
    fiber_pin_begin();
    fiber_pin_end();
    int pinned = fiber_can_suspend();
    fiber_pin_end();
    pthread_mutex_lock(&s->mu);
    s->can_suspend_pinned += pinned;
    s->can_suspend_in += fiber_can_suspend();
    pthread_mutex_unlock(&s->mu);
}

static void test_pinning(void)
{
    shared s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, "", 0, NULL };
    CHECK(!fiber_can_suspend());  /* not a fiber */
    fiber_pool_run(2, 4, pin_probe, &s);
    CHECK_INT(s.can_suspend_in, 8);
    CHECK_INT(s.can_suspend_pinned, 0);
}

int main(void)
{
    http_global_init();
    if (start_server() < 0) {
        fprintf(stderr, "cannot start the test server\n");
        return 1;
    }
    RUN(test_transfers_overlap_on_one_thread);
    RUN(test_plain_threads_block);
    RUN(test_retries_in_fibers);
    RUN(test_sleep_suspends_only_the_fiber);
    RUN(test_queue_consumers_are_fibers);
    RUN(test_pinning);
    MHD_stop_daemon(daemon_);
    http_global_cleanup();
    return unit_done();
}
