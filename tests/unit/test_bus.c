/*
 * Unit tests: bus, against librdkafka's in-process mock cluster.
 *
 * The mock cluster delays the first join of an empty consumer group by 3 s
 * (its group.initial.rebalance.delay.ms, fixed in librdkafka 2.0.2), so the
 * scenarios share one group and three sessions to keep the run short:
 *   session 1: consume everything, bus_done all, close -> all committed.
 *   session 2: nothing is redelivered; consume a new batch, leave two not
 *              done, close -> commits stop at the first not-done offset.
 *   session 3: exactly the not-done offsets and everything after them in
 *              their partition come back; a message whose output is stuck
 *              (partition without leader) is not committed until the output
 *              is acknowledged; then worker threads produce on behalf of
 *              200 messages and bus_done them out of order: all committed.
 * "Nothing more is redelivered" is checked without timing: a sentinel is
 * produced to each partition and must be the first thing seen after the
 * expected messages.
 */
#include "bus.h"
#include "clock.h"
#include "unit.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IN "t.in"     /* 2 partitions */
#define OUT "t.out"   /* 1 partition */
#define SIDE "t.side" /* 1 partition */
#define GROUP "g1"

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mc;
static const char *brokers;

static void setup(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!mock_rk) {
        fprintf(stderr, "rd_kafka_new: %s\n", errstr);
        exit(1);
    }
    mc = rd_kafka_mock_cluster_new(mock_rk, 1);
    if (!mc) {
        fprintf(stderr, "mock cluster failed\n");
        exit(1);
    }
    brokers = rd_kafka_mock_cluster_bootstraps(mc);
    rd_kafka_mock_topic_create(mc, IN, 2, 1);
    rd_kafka_mock_topic_create(mc, OUT, 1, 1);
    rd_kafka_mock_topic_create(mc, SIDE, 1, 1);
}

static void teardown(void)
{
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
    rd_kafka_wait_destroyed(5000);
}

/* A plain producer, for sentinels sent to an explicit partition. */
static void raw_produce(const char *topic, int32_t partition, const char *payload)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                      RD_KAFKA_V_VALUE((void *)payload, strlen(payload)),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    CHECK_INT(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

/* The group's committed offset for topic/partition (negative: none). */
static int64_t committed(const char *topic, int32_t partition)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", GROUP, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
    CHECK_INT(e, 0);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return off;
}

static bus *open_bus(const char *group)
{
    strbuf err = STRBUF_INIT;
    const char *extra[] = { "consumer.fetch.wait.max.ms=50", "consumer.session.timeout.ms=4000",
                            "consumer.heartbeat.interval.ms=500", "log_level=3", NULL };
    bus_config cfg = { .brokers = brokers, .client_id = "test", .group_id = group,
                       .commit_interval_ms = 100, .linger_ms = 1, .extra = extra };
    bus *b = bus_new(&cfg, &err);
    CHECK(b != NULL);
    if (!b) {
        fprintf(stderr, "%s\n", err.buf);
        exit(1);
    }
    if (group) {
        const char *topics[] = { IN, SIDE };
        CHECK_INT(bus_subscribe(b, topics, 2, &err), 0);
    }
    strbuf_release(&err);
    return b;
}

static int is_sentinel(const bus_msg *m)
{
    return m->len >= 8 && memcmp(m->payload, "sentinel", 8) == 0;
}

#define MAXM 256
typedef struct seen {
    bus_msg *m[MAXM];
    int n;
    int32_t part[MAXM];
    int64_t off[MAXM];
    int sentinels;
} seen;

/* Polls until `want` non-sentinel messages and `want_sentinels` sentinels
 * arrived (or 30 s passed: a failure, not a timing assertion). */
static void consume(bus *b, seen *s, int want, int want_sentinels)
{
    int64_t give_up = ((int64_t)clock_mono_ms()) + 30000;
    memset(s, 0, sizeof *s);
    int got = 0;
    while ((got < want || s->sentinels < want_sentinels) && ((int64_t)clock_mono_ms()) < give_up) {
        bus_msg *m = bus_poll(b, 100);
        if (!m)
            continue;
        if (s->n == MAXM) {
            bus_done(b, m);
            continue;
        }
        s->part[s->n] = m->partition;
        s->off[s->n] = m->offset;
        s->m[s->n++] = m;
        if (is_sentinel(m))
            s->sentinels++;
        else
            got++;
    }
    CHECK_INT(got, want);
    CHECK_INT(s->sentinels, want_sentinels);
}

/* Expected redelivery after session 2: per partition, every offset from the
 * first not-done one on. */
static int64_t first_not_done[2] = { -1, -1 };
static int64_t end_off[2];

static void threads_on(bus *b);

static void test_sessions(void)
{
    strbuf err = STRBUF_INIT;
    seen *s = calloc(1, sizeof *s);

    /* ---- session 1 ---- */
    bus *b = open_bus(GROUP);
    for (int i = 0; i < 40; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "one-%d", i);
        CHECK_INT(bus_produce(b, IN, key, strlen(key), val, strlen(val), NULL, &err), 0);
    }
    CHECK_INT(bus_flush(b, 10000), 0);
    consume(b, s, 40, 0);
    CHECK_INT(bus_in_flight(b), 40);
    int64_t count[2] = { 0, 0 };
    int ordered = 1;
    for (int i = 0; i < s->n; i++) {
        if (s->off[i] != count[s->part[i]])
            ordered = 0;
        count[s->part[i]]++;
        bus_done(b, s->m[i]);
    }
    CHECK(ordered);
    CHECK_INT(bus_in_flight(b), 0);
    CHECK_INT(bus_fatal(b), 0);
    bus_close(b);
    CHECK_INT(committed(IN, 0), count[0]);
    CHECK_INT(committed(IN, 1), count[1]);

    /* ---- session 2 ---- */
    b = open_bus(GROUP);
    raw_produce(IN, 0, "sentinel-a0");
    raw_produce(IN, 1, "sentinel-a1");
    consume(b, s, 0, 2);
    CHECK_INT(s->n, 2); /* nothing of session 1 came back */
    for (int i = 0; i < s->n; i++) {
        CHECK_INT(s->off[i], count[s->part[i]]);
        end_off[s->part[i]] = s->off[i] + 1;
        bus_done(b, s->m[i]);
    }
    for (int i = 0; i < 20; i++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "x%d", i);
        snprintf(val, sizeof val, "two-%d", i);
        CHECK_INT(bus_produce(b, IN, key, strlen(key), val, strlen(val), NULL, &err), 0);
    }
    CHECK_INT(bus_flush(b, 10000), 0);
    consume(b, s, 20, 0);
    /* leave the 4th and the 12th not done; done the rest out of order */
    for (int i = s->n - 1; i >= 0; i--) {
        int32_t p = s->part[i];
        end_off[p] = end_off[p] > s->off[i] + 1 ? end_off[p] : s->off[i] + 1;
        if (i == 3 || i == 11) {
            if (first_not_done[p] < 0 || s->off[i] < first_not_done[p])
                first_not_done[p] = s->off[i];
            continue;
        }
        bus_done(b, s->m[i]);
    }
    CHECK_INT(bus_in_flight(b), 2);
    CHECK_INT(bus_commit(b, &err), 0);
    for (int p = 0; p < 2; p++)
        CHECK_INT(committed(IN, p), first_not_done[p] >= 0 ? first_not_done[p] : end_off[p]);
    bus_close(b); /* closes with two messages not done */
    for (int p = 0; p < 2; p++)
        CHECK_INT(committed(IN, p), first_not_done[p] >= 0 ? first_not_done[p] : end_off[p]);

    /* ---- session 3 ---- */
    b = open_bus(GROUP);
    raw_produce(IN, 0, "sentinel-b0");
    raw_produce(IN, 1, "sentinel-b1");
    int want = 0;
    for (int p = 0; p < 2; p++)
        if (first_not_done[p] >= 0)
            want += (int)(end_off[p] - first_not_done[p]);
    CHECK(want >= 2);
    consume(b, s, want, 2);
    int exact = 1;
    for (int i = 0; i < s->n; i++) {
        int32_t p = s->part[i];
        if (is_sentinel(s->m[i]))
            exact &= s->off[i] == end_off[p];
        else
            exact &= first_not_done[p] >= 0 && s->off[i] >= first_not_done[p] && s->off[i] < end_off[p];
    }
    CHECK(exact);

    if (s->n == 0) {
        bus_close(b);
        free(s);
        strbuf_release(&err);
        return;
    }
    /* origin: the last sentinel's output cannot be delivered yet */
    bus_msg *last = s->m[s->n - 1];
    int32_t lp = last->partition;
    int64_t loff = last->offset;
    CHECK(is_sentinel(last));
    for (int i = 0; i < s->n - 1; i++)
        bus_done(b, s->m[i]);
    CHECK_INT(rd_kafka_mock_partition_set_leader(mc, OUT, 0, -1), 0);
    CHECK_INT(bus_produce(b, OUT, "o", 1, "output", 6, last, &err), 0);
    bus_done(b, last);
    CHECK_INT(bus_in_flight(b), 0);
    CHECK_INT(bus_commit(b, &err), 0);
    CHECK_INT(committed(IN, lp), loff);          /* not loff + 1 */
    CHECK_INT(committed(IN, 1 - lp), end_off[1 - lp] + 1); /* the other partition moved on */
    CHECK_INT(rd_kafka_mock_partition_set_leader(mc, OUT, 0, 1), 0);
    CHECK_INT(bus_flush(b, 20000), 0);
    CHECK_INT(bus_commit(b, &err), 0);
    CHECK_INT(committed(IN, lp), loff + 1);
    CHECK_INT(bus_fatal(b), 0);

    /* worker threads producing on behalf of polled messages */
    threads_on(b);
    bus_close(b);

    free(s);
    strbuf_release(&err);
}

/* A delivery that fails permanently sets bus_fatal. */
static void test_fatal(void)
{
    strbuf err = STRBUF_INIT;
    const char *extra[] = { "message.timeout.ms=300", "log_level=2", NULL };
    bus_config cfg = { .brokers = brokers, .client_id = "fatal", .extra = extra };
    bus *b = bus_new(&cfg, &err);
    CHECK(b != NULL);
    CHECK(bus_poll(b, 0) == NULL); /* producer only */
    CHECK_INT(rd_kafka_mock_partition_set_leader(mc, SIDE, 0, -1), 0);
    CHECK_INT(bus_produce(b, SIDE, NULL, 0, "x", 1, NULL, &err), 0);
    CHECK_INT(bus_flush(b, 10000), -1);
    CHECK_INT(bus_fatal(b), 1);
    bus_close(b);
    CHECK_INT(rd_kafka_mock_partition_set_leader(mc, SIDE, 0, 1), 0);

    /* bad settings are reported, not crashed on */
    const char *bad[] = { "no.such.setting=1", NULL };
    cfg.extra = bad;
    CHECK(bus_new(&cfg, &err) == NULL);
    CHECK(strstr(err.buf, "no.such.setting") != NULL);
    cfg.extra = NULL;
    cfg.brokers = NULL;
    CHECK(bus_new(&cfg, &err) == NULL);
    strbuf_release(&err);
}

/* Worker threads produce on behalf of polled messages and bus_done them in
 * any order; in the end every input is committed. */
typedef struct work {
    bus *b;
    bus_msg **msgs;
    int from, to;
} work;

static void *worker(void *arg)
{
    work *w = arg;
    strbuf err = STRBUF_INIT;
    for (int i = w->to - 1; i >= w->from; i--) {
        bus_msg *m = w->msgs[i];
        for (int k = 0; k < 3; k++)
            if (bus_produce(w->b, OUT, m->key, m->key_len, m->payload, m->len, m, &err) < 0)
                fprintf(stderr, "%s\n", err.buf);
        bus_done(w->b, m);
    }
    strbuf_release(&err);
    return NULL;
}

static void threads_on(bus *b)
{
    strbuf err = STRBUF_INIT;
    for (int i = 0; i < 200; i++)
        CHECK_INT(bus_produce(b, SIDE, "k", 1, "payload", 7, NULL, &err), 0);
    CHECK_INT(bus_flush(b, 10000), 0);
    bus_msg *msgs[200];
    int n = 0;
    int64_t give_up = ((int64_t)clock_mono_ms()) + 30000;
    while (n < 200 && ((int64_t)clock_mono_ms()) < give_up) {
        bus_msg *m = bus_poll(b, 100);
        if (m)
            msgs[n++] = m;
    }
    CHECK_INT(n, 200);
    pthread_t th[4];
    work w[4];
    for (int t = 0; t < 4; t++) {
        w[t] = (work){ b, msgs, n * t / 4, n * (t + 1) / 4 };
        pthread_create(&th[t], NULL, worker, &w[t]);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    CHECK_INT(bus_in_flight(b), 0);
    CHECK_INT(bus_flush(b, 10000), 0);
    CHECK_INT(bus_commit(b, &err), 0);

    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    int64_t lo, hi;
    CHECK_INT(rd_kafka_query_watermark_offsets(rk, SIDE, 0, &lo, &hi, 10000), 0);
    CHECK_INT(hi, 200);
    CHECK_INT(committed(SIDE, 0), hi);
    rd_kafka_destroy(rk);
    strbuf_release(&err);
}

static void test_topic_names(void)
{
    strbuf t = STRBUF_INIT;
    bus_topic(&t, "ff", "order", TOPIC_TICKS);
    CHECK_STR(t.buf, "ff.order.ticks");
    bus_topic(&t, "ff", "order", TOPIC_RECORDS);
    CHECK_STR(t.buf, "ff.order.records");
    bus_topic(&t, "ff", "order_status", TOPIC_MAPPED);
    CHECK_STR(t.buf, "ff.order_status.mapped");
    bus_topic(&t, "ff", "order", TOPIC_FAILED);
    CHECK_STR(t.buf, "ff.order.failed");
    bus_topic(&t, "ff", "order", TOPIC_LOG);
    CHECK_STR(t.buf, "ff.log");
    bus_topic(&t, "x", NULL, TOPIC_LOG);
    CHECK_STR(t.buf, "x.log");
    strbuf_release(&t);
}

static int count_msg(void *ctx, const bus_msg *m)
{
    (void)m;
    ++*(int *)ctx;
    return 0;
}

/* Operator settings (FLOWFLEET_KAFKA, --kafka): split on ';' and newlines,
 * blanks trimmed, empty items skipped, each side's prefix honoured, a bad
 * one named in the error. A prepared topic is produced to as before. */
static void test_settings(void)
{
    strbuf err = STRBUF_INIT;
    char **list = NULL;
    bus_settings_add(&list, NULL);
    bus_settings_add(&list, "");
    CHECK(list == NULL);
    bus_settings_add(&list, " consumer.fetch.wait.max.ms=100 ;\n;producer.linger.ms=2\r\n");
    bus_settings_add(&list, "client.rack=r1");
    CHECK(list != NULL);
    CHECK_STR(list[0], "consumer.fetch.wait.max.ms=100");
    CHECK_STR(list[1], "producer.linger.ms=2");
    CHECK_STR(list[2], "client.rack=r1");
    CHECK(list[3] == NULL);

    bus_config cfg = { .brokers = brokers, .client_id = "settings", .group_id = "g-settings",
                       .extra = (const char *const *)list };
    bus *b = bus_new(&cfg, &err);
    CHECK(b != NULL);
    CHECK_INT(rd_kafka_mock_topic_create(mc, "t.settings", 1, 1), 0);
    const char *outs[] = { "t.settings", "t.no-such-topic" };
    bus_prepare(b, outs, 2, 2000);
    CHECK_INT(bus_produce(b, "t.settings", "k", 1, "v", 1, NULL, &err), 0);
    CHECK_INT(bus_flush(b, 10000), 0);
    bus_close(b);
    int n = 0;
    CHECK_INT(bus_scan(&cfg, "t.settings", 0, 0, NULL, count_msg, &n, &err), 0);
    CHECK_INT(n, 1);

    /* a consumer-side mistake fails a bus with a consumer, and the scan */
    bus_settings_add(&list, "consumer.fetch.wait.max.ms=soon");
    cfg.extra = (const char *const *)list;
    CHECK(bus_new(&cfg, &err) == NULL);
    CHECK(strstr(err.buf, "fetch.wait.max.ms") != NULL);
    CHECK_INT(bus_scan(&cfg, "t.settings", 0, 0, NULL, count_msg, &n, &err), -1);
    CHECK(strstr(err.buf, "fetch.wait.max.ms") != NULL);
    /* ...but not a producer-only one */
    cfg.group_id = NULL;
    b = bus_new(&cfg, &err);
    CHECK(b != NULL);
    bus_close(b);

    for (size_t i = 0; list[i]; i++)
        free(list[i]);
    free(list);
    strbuf_release(&err);
}

int main(void)
{
    setup();
    RUN(test_topic_names);
    RUN(test_settings);
    RUN(test_fatal);
    RUN(test_sessions);
    teardown();
    return unit_done();
}
