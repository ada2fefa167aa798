/*
 * bus_scan.c: read a whole topic from the beginning, without a consumer
 * group (nothing is committed, nobody else's offsets move). Used by the
 * operator tools: `flowctl replay` reads the failed topic up to its current
 * end, `flowctl tail` follows the log topic.
 *
 * It assigns every partition at its beginning (or end, for a tail that only
 * wants new events) and stops when each partition reached the high
 * watermark it had at the start, unless asked to follow.
 */
#include "bus.h"
#include "bus_int.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

int bus_scan(const bus_config *cfg, const char *topic, int from_end, int follow, volatile int *stop,
             int (*fn)(void *ctx, const bus_msg *m), void *ctx, strbuf *err)
{
    char e[512];
    const char *must[] = { "enable.auto.commit", "false", "group.id", "flowfleet-scan", NULL };
    rd_kafka_conf_t *conf = bus_make_conf(NULL, cfg, "consumer.", NULL, must, err);
    if (!conf)
        return -1;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        strbuf_seterr(err, "%s", e);
        return -1;
    }
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t r = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (r || md->topic_cnt != 1 || md->topics[0].err) {
        strbuf_seterr(err, "topic %s: %s", topic,
                      r ? rd_kafka_err2str(r) : md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_destroy(rk);
        return -1;
    }
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    int64_t *high = calloc((size_t)np, sizeof *high);
    int *done = calloc((size_t)np, sizeof *done);
    int remaining = 0;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        high[p] = hi;
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = from_end ? hi : lo;
        if (hi > (from_end ? hi : lo))
            remaining++;
        else
            done[p] = 1;
    }
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    int rc = 0;
    while ((follow || remaining > 0) && !(stop && *stop)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "scan %s: %s\n", topic, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        bus_msg bm = { topic, m->partition, m->offset, m->key, m->key_len, m->payload, m->len,
                       rd_kafka_message_timestamp(m, NULL) };
        if (fn(ctx, &bm) < 0) {
            rd_kafka_message_destroy(m);
            rc = -1;
            break;
        }
        if (m->partition < np && !done[m->partition] && m->offset + 1 >= high[m->partition]) {
            done[m->partition] = 1;
            remaining--;
        }
        rd_kafka_message_destroy(m);
    }
    free(high);
    free(done);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
