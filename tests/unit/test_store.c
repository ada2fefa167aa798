/*
 * Unit tests: the Redis store against a private redis-server this test
 * starts (unix socket /tmp/ff-test-<pid>.sock plus a free TCP port, no
 * persistence) and kills at the end. Covers tokens with TTL, cursors,
 * leases, the leader lock, run counters (including a race for the single
 * completion) and reconnecting after a Redis restart.
 */
#include "pushclaim.h"
#include "store.h"
#include "testsupport.h"
#include "unit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t redis_pid = -1;
static char sock_path[64];
static int tcp_port;

static int free_port(void)
{
    return ts_free_port();
}

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

static int start_redis(void)
{
    redis_pid = ts_redis_start(sock_path, tcp_port);
    return redis_pid > 0 ? 0 : -1;
}

static void stop_redis(void)
{
    ts_redis_stop(&redis_pid, sock_path);
}

static store *st;

/* PTTL of a full key, through a separate connection. */
static long long raw_pttl(const char *key)
{
    redisContext *c = redisConnectUnix(sock_path);
    long long v = -3;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PTTL %s", key);
        if (r && r->type == REDIS_REPLY_INTEGER)
            v = r->integer;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return v;
}

static void test_open(void)
{
    strbuf err = STRBUF_INIT;
    CHECK_INT(store_ping(st, &err), 0);

    /* TCP forms, and a database number */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", tcp_port);
    store *a = store_open(addr, NULL, &err);
    CHECK(a != NULL);
    snprintf(addr, sizeof addr, "redis://127.0.0.1:%d/2", tcp_port);
    store *b = store_open(addr, NULL, &err);
    CHECK(b != NULL);
    if (a && b) {
        CHECK_INT(store_set(b, "dbtest", "in-db-2", 0, &err), 0);
        strbuf out = STRBUF_INIT;
        CHECK_INT(store_get(b, "dbtest", &out, &err), 1);
        CHECK_STR(out.buf, "in-db-2");
        CHECK_INT(store_get(a, "dbtest", &out, &err), 0);
        strbuf_release(&out);
    }
    store_close(a);
    store_close(b);

    /* unreachable and malformed addresses */
    snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
    strbuf_reset(&err);
    CHECK(store_open(addr, NULL, &err) == NULL);
    CHECK(strstr(err.buf, addr) != NULL);
    CHECK(store_open("127.0.0.1:notaport", NULL, &err) == NULL);
    CHECK_STR(err.buf, "store: bad address \"127.0.0.1:notaport\": bad port");
    CHECK(store_open("redis://127.0.0.1:6379/x", NULL, &err) == NULL);
    CHECK_STR(err.buf, "store: bad address \"redis://127.0.0.1:6379/x\": bad database number");
    CHECK(store_open("", NULL, &err) == NULL);
    CHECK(store_open("/nonexistent/ff.sock", NULL, NULL) == NULL);
    strbuf_release(&err);
}

/* store_claim: the first value holds; store_replace and store_del_if act
 * only on the value expected; pushclaim on top: whoever comes first. */
static void test_claims(void)
{
    strbuf err = STRBUF_INIT, holder = STRBUF_INIT;
    CHECK_INT(store_claim(st, "c1", "first", 60000, &holder, &err), 1);
    CHECK_INT(store_claim(st, "c1", "second", 60000, &holder, &err), 0);
    CHECK_STR(holder.buf, "first");
    CHECK(raw_pttl("ff:c1") > 0);
    CHECK_INT(store_replace(st, "c1", "second", "third", 60000, &err), 0);
    CHECK_INT(store_replace(st, "c1", "first", "third", 60000, &err), 1);
    CHECK_INT(store_replace(st, "absent", "", "x", 60000, &err), 0);
    CHECK_INT(store_del_if(st, "c1", "first", &err), 0);
    CHECK_INT(store_del_if(st, "c1", "third", &err), 1);
    CHECK_INT(store_get(st, "c1", &holder, &err), 0);

    /* a refused push stays refused; a taken one stays taken */
    CHECK_INT(pushclaim_refuse(st, "run-a", 1000, &err), 1);
    CHECK_INT(pushclaim_take(st, "run-a", 1000, &err), 0);
    CHECK_INT(pushclaim_refuse(st, "run-a", 1000, &err), 1);
    CHECK_INT(pushclaim_take(st, "run-b", 1000, &err), 1);
    CHECK_INT(pushclaim_take(st, "run-b", 1000, &err), 1);   /* a redelivery goes on */
    CHECK_INT(pushclaim_refuse(st, "run-b", 1000, &err), 0);
    CHECK(raw_pttl("ff:push:run-b") > PUSHCLAIM_MIN_MS - 60000);  /* kept at least the minimum */
    strbuf_release(&err);
    strbuf_release(&holder);
}

static void test_generic_and_tokens(void)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    CHECK_INT(store_get(st, "nothing", &out, &err), 0);
    CHECK_INT(store_set(st, "k1", "v1", 0, &err), 0);
    CHECK_INT(store_get(st, "k1", &out, &err), 1);
    CHECK_STR(out.buf, "v1");
    CHECK_INT(store_setnx(st, "k1", "v2", 0, &err), 0);
    CHECK_INT(store_setnx(st, "k2", "v2", 0, &err), 1);
    CHECK_INT(store_del(st, "k1", &err), 0);
    CHECK_INT(store_get(st, "k1", &out, &err), 0);
    CHECK_INT(raw_pttl("ff:k2"), -1);  /* under the default prefix, no TTL */

    /* a different prefix is a different namespace */
    store *other = store_open(sock_path, "other:", &err);
    CHECK(other != NULL);
    if (other) {
        CHECK_INT(store_get(other, "k2", &out, &err), 0);
        store_close(other);
    }

    /* tokens */
    CHECK_INT(store_token_set(st, "omnitron", "abc", 60000, &err), 0);
    CHECK_INT(store_token_get(st, "omnitron", &out, &err), 1);
    CHECK_STR(out.buf, "abc");
    long long ttl = raw_pttl("ff:token:omnitron");
    CHECK(ttl > 50000 && ttl <= 60000);
    CHECK_INT(store_token_del(st, "omnitron", &err), 0);
    CHECK_INT(store_token_get(st, "omnitron", &out, &err), 0);

    /* expiry: poll (bounded) until the short-lived token is gone */
    CHECK_INT(store_token_set(st, "short", "xyz", 50, &err), 0);
    int gone = 0;
    for (int i = 0; i < 300 && !gone; i++) {
        if (store_token_get(st, "short", &out, &err) == 0)
            gone = 1;
        else
            sleep_ms(10);
    }
    CHECK(gone);

    /* cursors */
    CHECK_INT(store_cursor_get(st, "orders", &out, &err), 0);
    CHECK_INT(store_cursor_set(st, "orders", "2024-01-01T00:00:00Z", &err), 0);
    CHECK_INT(store_cursor_get(st, "orders", &out, &err), 1);
    CHECK_STR(out.buf, "2024-01-01T00:00:00Z");
    CHECK_INT(store_cursor_set(st, "orders", "2024-01-02T00:00:00Z", &err), 0);
    CHECK_INT(store_cursor_get(st, "orders", &out, &err), 1);
    CHECK_STR(out.buf, "2024-01-02T00:00:00Z");
    CHECK_INT(raw_pttl("ff:cursor:orders"), -1);
    strbuf_release(&out);
    strbuf_release(&err);
}

static void test_leases(void)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    CHECK_INT(store_lease_acquire(st, "orders", "42", "w1", 30000, &err), 1);
    CHECK_INT(store_lease_acquire(st, "orders", "42", "w2", 30000, &err), 0);
    /* its owner (the same run, reading again after a reader restart) may */
    CHECK_INT(store_lease_acquire(st, "orders", "42", "w1", 30000, &err), 1);
    CHECK_INT(store_lease_acquire(st, "orders", "43", "w2", 30000, &err), 1);
    CHECK_INT(store_get(st, "lease:orders:42", &out, &err), 1);
    CHECK_STR(out.buf, "w1");
    long long ttl = raw_pttl("ff:lease:orders:42");
    CHECK(ttl > 0 && ttl <= 30000);
    /* only the owner's release frees it */
    CHECK_INT(store_lease_release(st, "orders", "42", "someone-else", &err), 0);
    CHECK_INT(store_lease_acquire(st, "orders", "42", "run-3", 60000, &err), 0);
    CHECK_INT(store_lease_release(st, "orders", "42", "w1", &err), 0);
    CHECK_INT(store_lease_acquire(st, "orders", "42", "w2", 30000, &err), 1);
    CHECK_INT(store_lease_release(st, "orders", "42", NULL, &err), 0);
    CHECK_INT(store_lease_acquire(st, "orders", "42", "w2", 30000, &err), 1);
    /* an expired lease can be taken */
    CHECK_INT(store_lease_acquire(st, "orders", "44", "w1", 30, &err), 1);
    int got = 0;
    for (int i = 0; i < 300 && !got; i++) {
        if (store_lease_acquire(st, "orders", "44", "w2", 30000, &err) == 1)
            got = 1;
        else
            sleep_ms(10);
    }
    CHECK(got);
    strbuf_release(&out);
    strbuf_release(&err);
}

static void test_lock(void)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    CHECK_INT(store_lock_acquire(st, "scheduler", "A", 1000, &err), 1);
    CHECK_INT(store_lock_acquire(st, "scheduler", "B", 1000, &err), 0);
    /* A renews: the TTL goes up to the new value */
    CHECK_INT(store_lock_acquire(st, "scheduler", "A", 60000, &err), 1);
    long long ttl = raw_pttl("ff:lock:scheduler");
    CHECK(ttl > 50000 && ttl <= 60000);
    /* release by B is ignored */
    CHECK_INT(store_lock_release(st, "scheduler", "B", &err), 0);
    CHECK_INT(store_get(st, "lock:scheduler", &out, &err), 1);
    CHECK_STR(out.buf, "A");
    CHECK_INT(store_lock_acquire(st, "scheduler", "B", 1000, &err), 0);
    /* release by A frees it; B takes it */
    CHECK_INT(store_lock_release(st, "scheduler", "A", &err), 0);
    CHECK_INT(store_get(st, "lock:scheduler", &out, &err), 0);
    CHECK_INT(store_lock_acquire(st, "scheduler", "B", 1000, &err), 1);
    CHECK_INT(store_lock_acquire(st, "scheduler", "A", 1000, &err), 0);
    CHECK_INT(store_lock_release(st, "scheduler", "B", &err), 0);
    /* tick markers are plain SET NX */
    CHECK_INT(store_setnx(st, "tick:orders:1700000000000", "1", 60000, &err), 1);
    CHECK_INT(store_setnx(st, "tick:orders:1700000000000", "1", 60000, &err), 0);
    strbuf_release(&out);
    strbuf_release(&err);
}

static const char *const K3[] = { "k1", "k2", "k3" };
static const char *const A12[] = { "A1", "A2" };

static void test_run_counters(void)
{
    strbuf err = STRBUF_INIT;
    run_counts rc;
    memset(&rc, 0, sizeof rc);
    CHECK_INT(store_run_get(st, "r1", &rc, &err), 0);
    CHECK_INT(store_run_start(st, "r1", 1700000000123LL, &err), 0);
    CHECK_INT(store_run_start(st, "r1", 1800000000000LL, &err), 0);  /* once */
    CHECK_INT(store_run_published(st, "r1", K3, 3, 0, &rc, &err), 0);
    CHECK_INT(rc.published, 3);
    CHECK_INT(rc.published_final, 0);
    CHECK_INT(store_run_outcome(st, "r1", "succeeded", &rc, &err), 0);
    CHECK_INT(store_run_outcome(st, "r1", "failed", &rc, &err), 0);
    CHECK_INT(store_run_outcome(st, "r1", "skipped", &rc, &err), 0);
    /* all three done, but the reader has not said it is finished */
    CHECK_INT(rc.succeeded, 1);
    CHECK_INT(rc.failed, 1);
    CHECK_INT(rc.skipped, 1);
    CHECK_INT(store_run_published(st, "r1", NULL, 0, 1, &rc, &err), 1);
    CHECK_INT(rc.published, 3);
    CHECK_INT(rc.published_final, 1);
    CHECK_INT(rc.started_ms, 1700000000123LL);
    /* already finished: nobody else gets 1 */
    CHECK_INT(store_run_published(st, "r1", NULL, 0, 1, &rc, &err), 0);
    CHECK_INT(store_run_outcome(st, "r1", "succeeded", &rc, &err), 0);
    CHECK_INT(store_run_get(st, "r1", &rc, &err), 1);
    CHECK_INT(rc.succeeded, 2);
    long long ttl = raw_pttl("ff:run:r1");
    CHECK(ttl > 6LL * 24 * 3600 * 1000 && ttl <= 7LL * 24 * 3600 * 1000);

    /* final first, outcomes complete it; counts may be NULL */
    CHECK_INT(store_run_published(st, "r2", K3, 2, 1, NULL, &err), 0);
    CHECK_INT(store_run_outcome(st, "r2", "succeeded", NULL, &err), 0);
    CHECK_INT(store_run_outcome(st, "r2", "succeeded", NULL, &err), 1);
    CHECK_INT(store_run_outcome(st, "r2", "succeeded", NULL, &err), 0);

    /* an empty run completes on the final publish */
    CHECK_INT(store_run_published(st, "r3", NULL, 0, 1, NULL, &err), 1);

    /* a page withdrawn once its rows are published in its place: the
     * rows are the run's records; a redelivered page is withdrawn once */
    const char *page[1] = { "page-0001" }, *rows2[2] = { "ORD-1", "ORD-2" };
    CHECK_INT(store_run_published(st, "r4", page, 1, 1, NULL, &err), 0);
    CHECK_INT(store_run_published(st, "r4", rows2, 2, 0, NULL, &err), 0);
    CHECK_INT(store_record_done(st, "r4", "withdrawn", "f", "page-0001", "r4", 0, &rc, &err), 0);
    CHECK_INT(rc.published, 2);
    CHECK_INT(store_record_done(st, "r4", "withdrawn", "f", "page-0001", "r4", 0, &rc, &err), 0);
    CHECK_INT(rc.published, 2);
    CHECK_INT(store_record_done(st, "r4", "succeeded", "f", "ORD-1", "r4", 0, &rc, &err), 0);
    CHECK_INT(store_record_done(st, "r4", "succeeded", "f", "ORD-2", "r4", 0, &rc, &err), 1);
    CHECK_INT(rc.published, 2);
    CHECK_INT(rc.succeeded, 2);
    CHECK_INT(store_run_note(st, "r4", 2, 1, -1, 1, NULL, &err), 0);
    CHECK_INT(store_run_get(st, "r4", &rc, &err), 1);
    CHECK_INT(rc.list_pages, 1);

    CHECK_INT(store_run_outcome(st, "r1", "won", NULL, &err), -1);
    CHECK_STR(err.buf, "store: unknown run outcome \"won\" (want succeeded, failed, skipped or withdrawn)");
    strbuf_release(&err);
}

struct racer {
    store *s;
    int n;
    int completions;
    int errors;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    strbuf err = STRBUF_INIT;
    static const char *const outcomes[] = { "succeeded", "failed", "skipped" };
    for (int i = 0; i < r->n; i++) {
        int v = store_run_outcome(r->s, "race", outcomes[i % 3], NULL, &err);
        if (v == 1)
            r->completions++;
        else if (v < 0)
            r->errors++;
    }
    strbuf_release(&err);
    return NULL;
}

/* A record's end: its outcome counted and its lease released in one call,
 * the lease only when the run still owns it. */
static void test_record_done(void)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    run_counts k;
    CHECK_INT(store_lease_acquire(st, "orders", "A1", "run-7", 60000, &err), 1);
    CHECK_INT(store_lease_acquire(st, "orders", "A2", "run-8", 60000, &err), 1);
    CHECK_INT(store_run_published(st, "run-7", A12, 2, 1, NULL, &err), 0);
    CHECK_INT(store_record_done(st, "run-7", "succeeded", "orders", "A1", "run-7", 0, &k, &err), 0);
    CHECK_INT(store_get(st, "lease:orders:A1", &out, &err), 0);
    /* A2's lease belongs to another run: counted, not released */
    CHECK_INT(store_record_done(st, "run-7", "failed", "orders", "A2", "run-7", 0, &k, &err), 1);
    CHECK_INT(store_get(st, "lease:orders:A2", &out, &err), 1);
    CHECK_STR(out.buf, "run-8");
    CHECK_INT(k.succeeded, 1);
    CHECK_INT(k.failed, 1);
    CHECK_INT(store_record_done(st, "run-7", "bogus", "orders", "A2", "run-7", 0, &k, &err), -1);
    strbuf_release(&err);
    strbuf_release(&out);
}

/* A run counts records, not messages: a record published twice (a reader
 * restarted mid-run) or finished twice (a redelivery after a writer crash)
 * counts once, and "finished" comes after the last record's outcome. */
static void test_run_counts_records_once(void)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    run_counts k;
    CHECK_INT(store_run_published(st, "dup", K3, 3, 0, &k, &err), 0);
    CHECK_INT(store_run_published(st, "dup", K3, 2, 0, &k, &err), 0);  /* k1, k2 again */
    CHECK_INT(k.published, 3);
    CHECK_INT(store_run_published(st, "dup", NULL, 0, 1, &k, &err), 0);
    CHECK_INT(store_record_done(st, "dup", "succeeded", "orders", "k1", "dup", 0, &k, &err), 0);
    CHECK_INT(store_record_done(st, "dup", "succeeded", "orders", "k1", "dup", 0, &k, &err), 0);  /* redelivered */
    CHECK_INT(store_record_done(st, "dup", "skipped", "orders", "k2", "dup", 0, &k, &err), 0);
    CHECK_INT(k.succeeded + k.skipped, 2);  /* not 3: the run is not finished early */
    CHECK_INT(store_record_done(st, "dup", "failed", "orders", "k3", "dup", 0, &k, &err), 1);
    CHECK_INT(k.succeeded, 1);
    CHECK_INT(k.failed, 1);
    /* run notes: what the reader listed, and why it stopped */
    CHECK_INT(store_run_note(st, "dup", 3, 2, 40, 0, NULL, &err), 0);
    CHECK_INT(store_run_note(st, "dup", 1, 1, -1, 0, "the list repeated a page", &err), 0);
    CHECK_INT(store_run_get(st, "dup", &k, &err), 1);
    CHECK_INT(k.listed, 4);
    CHECK_INT(k.list_requests, 3);
    CHECK_INT(k.list_count, 40);
    CHECK_STR(k.error, "the list repeated a page");
    /* a finished record's lease can be kept as "done": a list read from
     * before it finished cannot take it, not even its own run */
    CHECK_INT(store_lease_acquire(st, "orders", "D1", "run-d", 60000, &err), 1);
    CHECK_INT(store_record_done(st, "run-d", "succeeded", "orders", "D1", "run-d", 60000, NULL, &err) >= 0, 1);
    CHECK_INT(store_lease_get(st, "orders", "D1", &out, &err), 1);
    CHECK_STR(out.buf, "done:run-d");
    CHECK_INT(store_lease_acquire(st, "orders", "D1", "run-d", 60000, &err), 0);
    CHECK_INT(store_lease_acquire(st, "orders", "D1", "run-e", 60000, &err), 0);
    /* ... but the reader learns that its own run finished it (to count it) */
    CHECK_INT(store_lease_acquire_unparked(st, "orders", "D1", "run-d", 60000, 5, &err), 3);
    CHECK_INT(store_lease_acquire_unparked(st, "orders", "D1", "run-e", 60000, 5, &err), 0);
    /* a failed record's lease is freed: the next tick retries it */
    CHECK_INT(store_lease_acquire(st, "orders", "D2", "run-d", 60000, &err), 1);
    CHECK_INT(store_record_done(st, "run-d", "failed", "orders", "D2", "run-d", 0, NULL, &err) >= 0, 1);
    CHECK_INT(store_lease_get(st, "orders", "D2", &out, &err), 0);
    strbuf_release(&err);
    strbuf_release(&out);
}

static void test_run_race(void)
{
    enum { THREADS = 8, EACH = 25 };
    strbuf err = STRBUF_INIT;
    static char names[THREADS * EACH][16];
    const char *keys[THREADS * EACH];
    for (int i = 0; i < THREADS * EACH; i++) {
        snprintf(names[i], sizeof names[i], "r%d", i);
        keys[i] = names[i];
    }
    CHECK_INT(store_run_published(st, "race", keys, THREADS * EACH, 1, NULL, &err), 0);
    struct racer rs[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        /* half share the main handle, half have their own (other replicas) */
        rs[i].s = i % 2 ? store_open(sock_path, NULL, &err) : st;
        rs[i].n = EACH;
        rs[i].completions = rs[i].errors = 0;
        pthread_create(&th[i], NULL, race, &rs[i]);
    }
    int completions = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        completions += rs[i].completions;
        errors += rs[i].errors;
        if (rs[i].s != st)
            store_close(rs[i].s);
    }
    CHECK_INT(completions, 1);
    CHECK_INT(errors, 0);
    run_counts rc;
    CHECK_INT(store_run_get(st, "race", &rc, &err), 1);
    CHECK_INT(rc.succeeded + rc.failed + rc.skipped, THREADS * EACH);
    strbuf_release(&err);
}

static void *restart_later(void *arg)
{
    (void)arg;
    sleep_ms(400);
    start_redis();
    return NULL;
}

/* With a retry budget (the services': store_set_retry), a call made while
 * Redis restarts waits for it instead of failing. */
static void test_retry_budget(void)
{
    strbuf err = STRBUF_INIT;
    pthread_t th;
    stop_redis();
    store_set_retry(st, 8000);
    pthread_create(&th, NULL, restart_later, NULL);
    CHECK_INT(store_set(st, "during", "1", 0, &err), 0);
    pthread_join(th, NULL);
    store_set_retry(st, 0);
    stop_redis();
    CHECK_INT(store_ping(st, &err), -1);  /* without a budget: fails at once */
    CHECK_INT(start_redis(), 0);
    strbuf_release(&err);
}

static void test_restart(void)
{
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    CHECK_INT(store_set(st, "before", "1", 0, &err), 0);
    stop_redis();
    /* down: calls fail with an error, they do not hang or crash */
    strbuf_reset(&err);
    CHECK_INT(store_ping(st, &err), -1);
    CHECK(err.len > 0);
    CHECK_INT(store_get(st, "before", &out, &err), -1);
    /* back: the same handle works again */
    CHECK_INT(start_redis(), 0);
    CHECK_INT(store_ping(st, &err), 0);
    CHECK_INT(store_set(st, "after", "2", 0, &err), 0);
    CHECK_INT(store_get(st, "after", &out, &err), 1);
    CHECK_STR(out.buf, "2");
    /* a restart while connected: the next call reconnects transparently */
    stop_redis();
    CHECK_INT(start_redis(), 0);
    CHECK_INT(store_lock_acquire(st, "scheduler", "A", 1000, &err), 1);
    CHECK_INT(store_get(st, "after", &out, &err), 0);  /* no persistence */
    strbuf_release(&out);
    strbuf_release(&err);
}

int main(void)
{
    snprintf(sock_path, sizeof sock_path, "/tmp/ff-test-%d.sock", (int)getpid());
    tcp_port = free_port();
    if (start_redis() < 0) {
        fprintf(stderr, "cannot start redis-server\n");
        stop_redis();
        CHECK(0);
        return unit_done();
    }
    strbuf err = STRBUF_INIT;
    st = store_open(sock_path, NULL, &err);
    CHECK(st != NULL);
    if (st) {
        RUN(test_open);
        RUN(test_generic_and_tokens);
        RUN(test_claims);
        RUN(test_leases);
        RUN(test_lock);
        RUN(test_run_counters);
        RUN(test_record_done);
        RUN(test_run_counts_records_once);
        RUN(test_run_race);
        RUN(test_restart);
        RUN(test_retry_budget);
        store_close(st);
    } else {
        fprintf(stderr, "store_open: %s\n", err.buf);
    }
    strbuf_release(&err);
    stop_redis();
    return unit_done();
}
