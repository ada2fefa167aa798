/*
 * bus_ack.c: see bus_ack.h. A background thread serves the producer's
 * delivery reports; each waiting sender has a small waiter (mutex,
 * condition, outcome) that both the sender and the report hold a
 * reference to, so whichever finishes last frees it.
 */
#include "bus_ack.h"
#include "bus_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

struct bus_acker {
    rd_kafka_t *prod;
    int timeout_ms;
    pthread_t thr;
    atomic_int stop;
};

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    rd_kafka_resp_err_t err;
    atomic_int refs;
} waiter;

static void waiter_unref(waiter *w)
{
    if (atomic_fetch_sub(&w->refs, 1) == 1) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    waiter *w = rkm->_private;
    (void)rk;
    (void)opaque;
    if (!w)
        return;   /* a message nobody waits for (bus_acker_post) */
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    w->err = rkm->err;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    waiter_unref(w);
}

static void *serve(void *arg)
{
    bus_acker *a = arg;
    while (!atomic_load(&a->stop))
        rd_kafka_poll(a->prod, 100);
    return NULL;
}

bus_acker *bus_acker_new(const bus_config *cfg, int timeout_ms, strbuf *err)
{
    char tmo[32];
    snprintf(tmo, sizeof tmo, "%d", timeout_ms > 0 ? timeout_ms : 10000);
    static const char *const defs[] = { "linger.ms", "5", NULL };
    const char *must[] = { "enable.idempotence", "true", "acks", "all", "message.timeout.ms", tmo, NULL };
    rd_kafka_conf_t *conf = bus_make_conf(NULL, cfg, "producer.", defs, must, err);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    char e[512];
    rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!prod) {
        strbuf_seterr(err, "bus: producer: %s", e);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    bus_acker *a = xcalloc(1, sizeof *a);
    a->prod = prod;
    a->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    pthread_create(&a->thr, NULL, serve, a);
    return a;
}

void bus_acker_free(bus_acker *a)
{
    if (!a)
        return;
    rd_kafka_flush(a->prod, 2000);
    atomic_store(&a->stop, 1);
    pthread_join(a->thr, NULL);
    rd_kafka_destroy(a->prod);
    free(a);
}

static rd_kafka_resp_err_t produce(bus_acker *a, const char *topic, const char *key, const void *payload, size_t len,
                                   waiter *w)
{
    for (int i = 0;; i++) {
        rd_kafka_resp_err_t e = rd_kafka_producev(a->prod, RD_KAFKA_V_TOPIC(topic),
                                                  RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0),
                                                  RD_KAFKA_V_VALUE((void *)payload, len),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(w),
                                                  RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || i >= a->timeout_ms / 10)
            return e;
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

int bus_acker_post(bus_acker *a, const char *topic, const char *key, const void *payload, size_t len, strbuf *err)
{
    rd_kafka_resp_err_t e = produce(a, topic, key, payload, len, NULL);
    if (e) {
        strbuf_seterr(err, "bus: produce to %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int bus_acker_send(bus_acker *a, const char *topic, const char *key, const void *payload, size_t len, strbuf *err)
{
    waiter *w = xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    atomic_store(&w->refs, 2);
    rd_kafka_resp_err_t e = produce(a, topic, key, payload, len, w);
    if (e) {
        strbuf_seterr(err, "bus: produce to %s: %s", topic, rd_kafka_err2str(e));
        atomic_store(&w->refs, 1);
        waiter_unref(w);
        return -1;
    }
    /* the report comes within message.timeout.ms; a little more for it to travel */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)(a->timeout_ms + 3000) * 1000000LL;
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&w->mu);
    while (!w->done && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
        ;
    int done = w->done;
    rd_kafka_resp_err_t derr = w->err;
    pthread_mutex_unlock(&w->mu);
    waiter_unref(w);
    if (!done) {
        strbuf_seterr(err, "bus: %s: no delivery report within %d ms", topic, a->timeout_ms + 3000);
        return -1;
    }
    if (derr) {
        strbuf_seterr(err, "bus: %s: not delivered: %s", topic, rd_kafka_err2str(derr));
        return -1;
    }
    return 0;
}

int bus_acker_reachable(bus_acker *a, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(a->prod, 0, NULL, &md, timeout_ms);
    if (md)
        rd_kafka_metadata_destroy(md);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR;
}
