/*
 * bus.c: the Kafka layer over librdkafka, at-least-once. See bus.h.
 *
 * Two librdkafka handles: an idempotent producer (enable.idempotence=true,
 * which implies acks=all and in-order retries) and, when a group id is given,
 * a high-level consumer with enable.auto.commit=false and
 * enable.auto.offset.store=false. Offsets are committed by this file only,
 * with explicit topic/partition/offset lists.
 *
 * Tracking. Every message bus_poll hands out is wrapped in an `entry` whose
 * first member is the public bus_msg (so a bus_msg* converts back). An entry
 * holds a reference count: 1 for "the caller is not done yet" plus 1 for each
 * message produced with it as origin and not yet acknowledged. bus_done and
 * a successful delivery report each drop one; the thread that drops the last
 * one takes the bus lock and marks the entry complete. The counts are atomics,
 * so producing on behalf of a message costs no lock.
 *
 * Each assigned partition has a `part` with a FIFO of its entries in the
 * order they were consumed. Completing an entry pops every complete entry off
 * the head of its FIFO and sets the partition's commit position to the last
 * popped offset + 1: the highest offset such that it and everything consumed
 * before it in that partition is finished. A failed delivery never drops its
 * reference, so that input is never committed, and it sets bus_fatal().
 *
 * A background thread serves the producer's delivery reports (rd_kafka_poll,
 * which wakes as soon as a report arrives, so acks are prompt whichever
 * thread produced) and every commit interval commits, asynchronously, the
 * partitions whose commit position moved. bus_close flushes the producer,
 * commits synchronously and closes the consumer.
 *
 * Rebalance. On revocation the complete prefix of each revoked partition is
 * committed synchronously (unless the assignment was lost), then its tracking
 * is forgotten: complete entries are freed, unfinished ones move to an orphan
 * list, where they stay until their last reference drops (the caller may
 * still hold them and bus_done them later; their delivery reports still
 * arrive). Their offsets will be consumed again by whoever gets the
 * partition: at-least-once, never at-most-once. Eager and cooperative
 * assignors are both handled.
 *
 * Lock discipline: one mutex guards parts, FIFOs and the orphan list; it is
 * never held while calling into librdkafka except for building commit lists.
 *
 * Extra settings ("key=value") go to both handles; a key prefixed with
 * "producer." or "consumer." goes (without the prefix) to that handle only.
 * They come from the operator (FLOWFLEET_KAFKA, --kafka: bus_settings_add),
 * for what a site needs: security.protocol, sasl.*, ssl.*, fetch.wait.max.ms.
 *
 * First messages. librdkafka learns a topic's partitions only when the topic
 * is first produced to, and then on its periodic topic scan, once a second:
 * the first record of each output topic would wait up to a second, at every
 * stage. bus_prepare asks for the output topics' metadata at start instead.
 *
 * Telling the truth. librdkafka's own log lines go through logev_say (the
 * services' one writer: JSON with FLOWFLEET_LOG_FORMAT=json). Its
 * statistics (every BUS_STATS_MS, on the thread that polls the handle) give
 * the consumer's lag, summed over its assigned partitions, as the gauge
 * flowfleet_consumer_lag{group}, and whether any broker is up, as /readyz's
 * "kafka" conditions (metrics.h): a broker gone takes the replica out of
 * service, it does not restart it.
 */
#include "bus.h"
#include "clock.h"
#include "bus_int.h"
#include "jsontext.h"
#include "logev.h"
#include "metrics.h"
#include "xalloc.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct part part;
typedef struct entry entry;

struct entry {
    bus_msg m;               /* must stay first */
    rd_kafka_message_t *rkm; /* until bus_done */
    atomic_int refs;
    int complete;            /* under lock */
    part *p;                 /* NULL once orphaned */
    entry *next, *prev;      /* FIFO (next) or orphan list (both) */
};

struct part {
    char *topic;
    int32_t partition;
    entry *head, *tail;
    int64_t commit_off;      /* next offset to commit; -1: nothing yet */
    int64_t committed;       /* last commit_off sent; -1: none */
};

struct bus {
    rd_kafka_t *prod;
    rd_kafka_t *cons;
    pthread_mutex_t mu;
    part **parts;
    size_t nparts, aparts;
    part *last;              /* bus_poll's lookup cache (poll thread only) */
    entry *orphans;
    atomic_long in_flight;
    atomic_int fatal;
    atomic_int stop;
    atomic_int recommit;     /* an async commit failed: resend everything */
    int commit_interval_ms;
    pthread_t thr;
    int thr_started;
    rd_kafka_topic_t **prepared; /* bus_prepare's handles, kept until close */
    size_t nprepared;
};

/* ---- tracking (all under b->mu) ---- */

static part *find_part(bus *b, const char *topic, int32_t partition, int create)
{
    for (size_t i = 0; i < b->nparts; i++)
        if (b->parts[i]->partition == partition && strcmp(b->parts[i]->topic, topic) == 0)
            return b->parts[i];
    if (!create)
        return NULL;
    if (b->nparts == b->aparts) {
        b->aparts = b->aparts ? b->aparts * 2 : 16;
        b->parts = xrealloc(b->parts, b->aparts * sizeof *b->parts);
    }
    part *p = xcalloc(1, sizeof *p);
    p->topic = xstrdup(topic);
    p->partition = partition;
    p->commit_off = p->committed = -1;
    b->parts[b->nparts++] = p;
    return p;
}

static void free_entry(entry *e)
{
    if (e->rkm)
        rd_kafka_message_destroy(e->rkm);
    free(e);
}

static void orphan_unlink(bus *b, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        b->orphans = e->next;
    if (e->next)
        e->next->prev = e->prev;
}

/* The last reference of e dropped. */
static void complete_locked(bus *b, entry *e)
{
    part *p = e->p;
    if (!p) {
        orphan_unlink(b, e);
        free_entry(e);
        return;
    }
    e->complete = 1;
    while (p->head && p->head->complete) {
        entry *h = p->head;
        p->head = h->next;
        if (!p->head)
            p->tail = NULL;
        p->commit_off = h->m.offset + 1;
        free_entry(h);
    }
}

static void release(bus *b, entry *e)
{
    if (atomic_fetch_sub(&e->refs, 1) == 1) {
        pthread_mutex_lock(&b->mu);
        complete_locked(b, e);
        pthread_mutex_unlock(&b->mu);
    }
}

/* Forgets the tracking of p: complete entries are freed, the others become
 * orphans (freed when their last reference drops). */
static void forget_locked(bus *b, part *p)
{
    entry *e = p->head;
    while (e) {
        entry *next = e->next;
        if (e->complete) {
            free_entry(e);
        } else {
            e->p = NULL;
            e->prev = NULL;
            e->next = b->orphans;
            if (b->orphans)
                b->orphans->prev = e;
            b->orphans = e;
        }
        e = next;
    }
    p->head = p->tail = NULL;
    p->commit_off = p->committed = -1;
}

/* Adds to list the partitions (all, or only those in `only`) whose commit
 * position moved since the last commit (or all with a position when force). */
static void collect_locked(bus *b, rd_kafka_topic_partition_list_t *list,
                           const rd_kafka_topic_partition_list_t *only, int force)
{
    for (size_t i = 0; i < b->nparts; i++) {
        part *p = b->parts[i];
        if (p->commit_off < 0 || (!force && p->commit_off == p->committed))
            continue;
        if (only && !rd_kafka_topic_partition_list_find(only, p->topic, p->partition))
            continue;
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = p->commit_off;
        p->committed = p->commit_off;
    }
}

static int commit(bus *b, int async, int force, strbuf *err)
{
    if (!b->cons)
        return 0;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    if (atomic_exchange(&b->recommit, 0))
        force = 1;
    pthread_mutex_lock(&b->mu);
    collect_locked(b, list, NULL, force);
    pthread_mutex_unlock(&b->mu);
    int rc = 0;
    if (list->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(b->cons, list, async);
        if (!async && !e) {
            for (int i = 0; i < list->cnt; i++)
                if (list->elems[i].err && !e)
                    e = list->elems[i].err;
        }
        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            strbuf_seterr(err, "commit: %s", rd_kafka_err2str(e));
            atomic_store(&b->recommit, 1);
            rc = -1;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* ---- librdkafka callbacks ---- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    bus *b = opaque;
    entry *origin = rkm->_private;
    (void)rk;
    if (rkm->err) {
        logev_say("bus", "error", NULL, "delivery to %s failed permanently: %s",
                rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
        atomic_store(&b->fatal, 1);
        return; /* origin keeps its reference: never committed */
    }
    if (origin)
        release(b, origin);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    bus *b = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        logev_say("bus", "error", NULL, "%s: fatal error: %s", rd_kafka_name(rk), buf);
        if (b)
            atomic_store(&b->fatal, 1);
        return;
    }
    logev_say("bus", "warning", NULL, "%s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    bus *b = opaque;
    (void)rk;
    (void)offsets;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        logev_say("bus", "warning", NULL, "offset commit failed: %s (will retry)", rd_kafka_err2str(err));
        atomic_store(&b->recommit, 1);
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    bus *b = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t e = 0;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        pthread_mutex_lock(&b->mu);
        for (int i = 0; i < parts->cnt; i++) {
            part *p = find_part(b, parts->elems[i].topic, parts->elems[i].partition, 0);
            if (p)
                forget_locked(b, p);
        }
        pthread_mutex_unlock(&b->mu);
        if (coop)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            e = rd_kafka_assign(rk, parts);
        /* operators (and the benchmark) read this to know consumption began */
        logev_say("bus", "info", NULL, "%d partition(s) assigned", parts->cnt);
    } else {
        if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            logev_say("bus", "warning", NULL, "rebalance error: %s", rd_kafka_err2str(err));
        int lost = rd_kafka_assignment_lost(rk);
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(parts->cnt + 1);
        pthread_mutex_lock(&b->mu);
        if (!lost)
            collect_locked(b, list, parts, 0);
        for (int i = 0; i < parts->cnt; i++) {
            part *p = find_part(b, parts->elems[i].topic, parts->elems[i].partition, 0);
            if (p)
                forget_locked(b, p);
        }
        b->last = NULL;
        pthread_mutex_unlock(&b->mu);
        if (list->cnt > 0) {
            rd_kafka_resp_err_t ce = rd_kafka_commit(rk, list, 0);
            if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
                logev_say("bus", "warning", NULL, "commit on revoke failed: %s", rd_kafka_err2str(ce));
        }
        rd_kafka_topic_partition_list_destroy(list);
        if (coop)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            e = rd_kafka_assign(rk, NULL);
    }
    if (error) {
        logev_say("bus", "warning", NULL, "assign: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (e) {
        logev_say("bus", "warning", NULL, "assign: %s", rd_kafka_err2str(e));
    }
}

/* ---- background thread ---- */

static void *bg_main(void *arg)
{
    bus *b = arg;
    int64_t next_commit = ((int64_t)clock_mono_ms()) + b->commit_interval_ms;
    while (!atomic_load(&b->stop)) {
        int64_t now = ((int64_t)clock_mono_ms());
        int wait = 100;
        if (b->cons) {
            if (now >= next_commit) {
                commit(b, 1, 0, NULL);
                next_commit = now + b->commit_interval_ms;
            }
            if (next_commit - now < wait)
                wait = (int)(next_commit - now);
        }
        rd_kafka_poll(b->prod, wait < 1 ? 1 : wait);
    }
    return NULL;
}

/* ---- telling the truth: log lines, lag, brokers up ---- */

#define BUS_STATS_MS "5000"

static void conf_get(const rd_kafka_t *rk, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    if (rd_kafka_conf_get(rd_kafka_conf((rd_kafka_t *)rk), name, out, &n) != RD_KAFKA_CONF_OK)
        out[0] = '\0';
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    char who[128];
    conf_get(rk, "client.id", who, sizeof who);
    logev_say(who[0] ? who : "kafka", level <= 3 ? "error" : level == 4 ? "warning" : level <= 6 ? "info" : "debug",
              NULL, "kafka: %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

static const char *str_of(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static int stats_cb(rd_kafka_t *rk, char *text, size_t len, void *opaque)
{
    (void)opaque;
    json_t *st = jsontext_parse(text, len, NULL);
    if (!json_is_object(st)) {
        json_decref(st);
        return 0;
    }
    int consumer = !strcmp(str_of(st, "type"), "consumer");
    /* a broker the cluster told us of (nodeid >= 0, not a bootstrap
     * address) that is up */
    const char *k;
    json_t *v;
    int up = 0, known = 0;
    json_object_foreach(json_object_get(st, "brokers"), k, v) {
        if (json_integer_value(json_object_get(v, "nodeid")) < 0)
            continue;
        known++;
        up += !strcmp(str_of(v, "state"), "UP");
    }
    if (!up) {
        char why[160];
        snprintf(why, sizeof why, "no Kafka broker is up (%d known)", known);
        metrics_condition(consumer ? "kafka consumer" : "kafka producer", 0, why);
    } else {
        metrics_condition(consumer ? "kafka consumer" : "kafka producer", 1, NULL);
    }
    if (consumer) {
        long lag = 0;
        const char *tn, *pn;
        json_t *t, *pt;
        json_object_foreach(json_object_get(st, "topics"), tn, t) {
            json_object_foreach(json_object_get(t, "partitions"), pn, pt) {
                json_int_t l = json_integer_value(json_object_get(pt, "consumer_lag"));
                if (strcmp(pn, "-1") != 0 && l > 0)
                    lag += (long)l;
            }
        }
        char group[256];
        conf_get(rk, "group.id", group, sizeof group);
        strbuf lb = STRBUF_INIT;
        strbuf_addstr(&lb, "group=\"");
        metrics_label_escape(&lb, group);
        strbuf_addch(&lb, '"');
        metric_set(metrics_gauge("consumer_lag", lb.buf,
                                 "Messages in the assigned partitions not yet consumed, by consumer group "
                                 "(from librdkafka's statistics; sum over replicas)"),
                   lag);
        strbuf_release(&lb);
    }
    json_decref(st);
    return 0;   /* text is librdkafka's to free */
}

/* ---- public API ---- */

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, strbuf *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        strbuf_seterr(err, "kafka setting %s=%s: %s", k, v, errstr);
        return -1;
    }
    return 0;
}

/* Applies the extra "key=value" settings meant for `who` ("producer." or
 * "consumer."). */
static int conf_extra(rd_kafka_conf_t *conf, const char *const *extra, const char *who, strbuf *err)
{
    const char *other = strcmp(who, "producer.") == 0 ? "consumer." : "producer.";
    for (; extra && *extra; extra++) {
        const char *kv = *extra, *eq = strchr(kv, '=');
        if (!eq) {
            strbuf_seterr(err, "kafka setting \"%s\": expected key=value", kv);
            return -1;
        }
        if (strncmp(kv, other, strlen(other)) == 0)
            continue;
        if (strncmp(kv, who, strlen(who)) == 0)
            kv += strlen(who);
        char *k = xstrndup(kv, (size_t)(eq - kv));
        int rc = conf_set(conf, k, eq + 1, err);
        free(k);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A handle's configuration: defaults (which extra may override), then the
 * extra settings, then the settings the at-least-once contract needs.
 * b (the error callback's opaque) is NULL for bus_scan's consumer. */
size_t bus_message_limit(void)
{
    const char *v = getenv("FLOWFLEET_MAX_MESSAGE_BYTES");
    long n = v && *v ? atol(v) : 0;
    return n > 0 ? (size_t)n : 1000000;
}

rd_kafka_conf_t *bus_make_conf(bus *b, const bus_config *cfg, const char *who, const char *const *defs,
                               const char *const *must, strbuf *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_opaque(conf, b);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (conf_set(conf, "bootstrap.servers", cfg->brokers, err) < 0 ||
        (cfg->client_id && conf_set(conf, "client.id", cfg->client_id, err) < 0))
        goto fail;
    for (; defs && *defs; defs += 2)
        if (conf_set(conf, defs[0], defs[1], err) < 0)
            goto fail;
    if (conf_extra(conf, cfg->extra, who, err) < 0)
        goto fail;
    for (; must && *must; must += 2)
        if (conf_set(conf, must[0], must[1], err) < 0)
            goto fail;
    if (strcmp(who, "producer.") == 0) {
        char max[32];
        snprintf(max, sizeof max, "%zu", bus_message_limit() + BUS_ENVELOPE_ROOM);
        if (conf_set(conf, "message.max.bytes", max, err) < 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

bus *bus_new(const bus_config *cfg, strbuf *err)
{
    char errstr[512], linger[32];
    rd_kafka_conf_t *conf;
    if (!cfg || !cfg->brokers || !*cfg->brokers) {
        strbuf_seterr(err, "bus: no bootstrap servers");
        return NULL;
    }
    bus *b = xcalloc(1, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    b->commit_interval_ms = cfg->commit_interval_ms > 0 ? cfg->commit_interval_ms : 500;

    /* producer */
    /* 20 ms rather than librdkafka's 5: a record waits at most that long
     * per stage, and with many partitions the batches are four times fuller
     * (fewer produce requests for the broker and for librdkafka's threads;
     * about 6 % more orders/s in make bench). bus_flush does not wait for it. */
    snprintf(linger, sizeof linger, "%d", cfg->linger_ms > 0 ? cfg->linger_ms : 20);
    {
        const char *defs[] = { "linger.ms", linger, "statistics.interval.ms", BUS_STATS_MS, NULL };
        const char *must[] = { "enable.idempotence", "true", "acks", "all", NULL };
        conf = bus_make_conf(b, cfg, "producer.", defs, must, err);
    }
    if (!conf)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
    b->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!b->prod) {
        strbuf_seterr(err, "bus: producer: %s", errstr);
        rd_kafka_conf_destroy(conf);
        goto fail;
    }

    /* consumer */
    if (cfg->group_id) {
        /* A 6 s session (Kafka's minimum) rather than 45 s: a restarted
         * service gets its partitions back sooner, and the dev broker (the
         * librdkafka mock) holds a rejoin for session.timeout.ms - 1 s. */
        const char *defs[] = { "auto.offset.reset", "earliest", "session.timeout.ms", "6000",
                               "heartbeat.interval.ms", "1500", "statistics.interval.ms", BUS_STATS_MS, NULL };
        const char *must[] = { "group.id", cfg->group_id, "enable.auto.commit", "false",
                               "enable.auto.offset.store", "false", NULL };
        conf = bus_make_conf(b, cfg, "consumer.", defs, must, err);
        if (!conf)
            goto fail;
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_stats_cb(conf, stats_cb);
        rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
        b->cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        if (!b->cons) {
            strbuf_seterr(err, "bus: consumer: %s", errstr);
            rd_kafka_conf_destroy(conf);
            goto fail;
        }
        rd_kafka_poll_set_consumer(b->cons);
    }

    if (pthread_create(&b->thr, NULL, bg_main, b) != 0) {
        strbuf_seterr(err, "bus: cannot start the poll thread");
        goto fail;
    }
    b->thr_started = 1;
    return b;
fail:
    if (b->cons)
        rd_kafka_destroy(b->cons);
    if (b->prod)
        rd_kafka_destroy(b->prod);
    pthread_mutex_destroy(&b->mu);
    free(b);
    return NULL;
}

int bus_subscribe(bus *b, const char *const *topics, size_t n, strbuf *err)
{
    if (!b->cons) {
        strbuf_seterr(err, "bus: subscribe needs a group id");
        return -1;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(b->cons, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e) {
        strbuf_seterr(err, "bus: subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

bus_msg *bus_poll(bus *b, int timeout_ms)
{
    if (!b->cons)
        return NULL;
    int64_t deadline = ((int64_t)clock_mono_ms()) + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int64_t left = deadline - ((int64_t)clock_mono_ms());
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(b->cons, left > 0 ? (int)left : 0);
        if (!rkm)
            return NULL;
        if (rkm->err) {
            if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                logev_say("bus", "warning", NULL, "consume: %s%s%s",
                        rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "",
                        rkm->rkt ? ": " : "", rd_kafka_message_errstr(rkm));
            rd_kafka_message_destroy(rkm);
            if (deadline - ((int64_t)clock_mono_ms()) <= 0)
                return NULL;
            continue;
        }
        entry *e = xcalloc(1, sizeof *e);
        e->rkm = rkm;
        e->m.topic = rd_kafka_topic_name(rkm->rkt);
        e->m.partition = rkm->partition;
        e->m.offset = rkm->offset;
        e->m.key = rkm->key;
        e->m.key_len = rkm->key_len;
        e->m.payload = rkm->payload;
        e->m.len = rkm->len;
        e->m.timestamp_ms = rd_kafka_message_timestamp(rkm, NULL);
        atomic_init(&e->refs, 1);
        pthread_mutex_lock(&b->mu);
        part *p = b->last;
        if (!p || p->partition != rkm->partition || strcmp(p->topic, e->m.topic) != 0)
            p = b->last = find_part(b, e->m.topic, rkm->partition, 1);
        e->p = p;
        if (p->tail)
            p->tail->next = e;
        else
            p->head = e;
        p->tail = e;
        pthread_mutex_unlock(&b->mu);
        atomic_fetch_add(&b->in_flight, 1);
        return &e->m;
    }
}

int bus_produce(bus *b, const char *topic, const void *key, size_t key_len,
                const void *payload, size_t len, bus_msg *origin, strbuf *err)
{
    entry *o = (entry *)origin;
    if (o)
        atomic_fetch_add(&o->refs, 1);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            b->prod,
            RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_KEY((void *)key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)payload, len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(o),
            RD_KAFKA_V_END);
        if (!e)
            return 0;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && !atomic_load(&b->fatal)) {
            rd_kafka_poll(b->prod, 10);
            continue;
        }
        strbuf_seterr(err, "bus: produce to %s: %s", topic, rd_kafka_err2str(e));
        if (o)
            release(b, o);
        return -1;
    }
}

void bus_done(bus *b, bus_msg *m)
{
    entry *e = (entry *)m;
    if (!e)
        return;
    rd_kafka_message_destroy(e->rkm);
    e->rkm = NULL;
    atomic_fetch_sub(&b->in_flight, 1);
    release(b, e);
}

int bus_flush(bus *b, int timeout_ms)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(b->prod, timeout_ms);
    return e || atomic_load(&b->fatal) ? -1 : 0;
}

int bus_commit(bus *b, strbuf *err)
{
    return commit(b, 0, 0, err);
}

long bus_in_flight(bus *b)
{
    return atomic_load(&b->in_flight);
}

int bus_fatal(bus *b)
{
    return atomic_load(&b->fatal);
}

void bus_close(bus *b)
{
    if (!b)
        return;
    /* deliver what is queued (bounded: an unreachable broker must not hang
     * shutdown; undelivered output keeps its input uncommitted) */
    for (int i = 0; i < 30 && rd_kafka_outq_len(b->prod) > 0 && !atomic_load(&b->fatal); i++)
        rd_kafka_flush(b->prod, 1000);
    if (b->thr_started) {
        atomic_store(&b->stop, 1);
        pthread_join(b->thr, NULL);
    }
    rd_kafka_poll(b->prod, 0); /* reports that arrived after the thread stopped */
    for (size_t i = 0; i < b->nprepared; i++)
        rd_kafka_topic_destroy(b->prepared[i]);
    free(b->prepared);
    if (b->cons) {
        strbuf err = STRBUF_INIT;
        if (commit(b, 0, 0, &err) < 0)
            logev_say("bus", "warning", NULL, "final %s", err.buf);
        strbuf_release(&err);
        rd_kafka_consumer_close(b->cons);
    }
    /* free every tracked entry (the caller's unfinished messages included) */
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < b->nparts; i++) {
        forget_locked(b, b->parts[i]);
        free(b->parts[i]->topic);
        free(b->parts[i]);
    }
    while (b->orphans) {
        entry *e = b->orphans;
        b->orphans = e->next;
        free_entry(e);
    }
    pthread_mutex_unlock(&b->mu);
    free(b->parts);
    if (b->cons)
        rd_kafka_destroy(b->cons);
    rd_kafka_destroy(b->prod);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void bus_prepare(bus *b, const char *const *topics, size_t n, int timeout_ms)
{
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(b->prod, topics[i], NULL);
        if (!rkt)
            continue;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(b->prod, 0, rkt, &md, timeout_ms);
        b->prepared = xrealloc(b->prepared, (b->nprepared + 1) * sizeof *b->prepared);
        b->prepared[b->nprepared++] = rkt;
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            /* no broker answers (yet): the others would wait as long; they
             * are looked up on first use instead */
            logev_say("bus", "warning", NULL, "looking up %s: %s (left for the first message)", topics[i], rd_kafka_err2str(e));
            break;
        }
        rd_kafka_metadata_destroy(md);
    }
}

void bus_settings_add(char ***list, const char *text)
{
    size_t n = 0;
    while (*list && (*list)[n])
        n++;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, ";\n");
        const char *a = p, *z = p + len;
        p = *z ? z + 1 : z;
        while (a < z && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
            z--;
        if (a == z)
            continue;
        *list = xrealloc(*list, (n + 2) * sizeof **list);
        (*list)[n++] = xstrndup(a, (size_t)(z - a));
        (*list)[n] = NULL;
    }
}

void bus_topic(strbuf *out, const char *prefix, const char *flow_type, enum bus_topic_kind kind)
{
    static const char *const names[] = { "ticks", "records", "mapped", "failed", "log" };
    strbuf_reset(out);
    if (kind == TOPIC_LOG || !flow_type || (unsigned)kind > TOPIC_LOG)
        strbuf_addf(out, "%s.log", prefix);
    else
        strbuf_addf(out, "%s.%s.%s", prefix, flow_type, names[kind]);
}
