/*
 * flowfleet-devbroker: a throwaway Kafka for development and tests.
 *
 * It is librdkafka's mock cluster (rdkafka_mock.h) run as a process: real
 * Kafka protocol on 127.0.0.1, so every service, kcat and flowctl talk to it
 * like to a broker (metadata, produce incl. the idempotent producer's
 * InitProducerId, fetch, consumer groups with offset commits). Data lives in
 * memory and is gone when the process exits.
 *
 *   flowfleet-devbroker [--brokers N] [--topic NAME[:PARTITIONS]]...
 *                       [--flow-types order,order_status,...] [--prefix ff]
 *                       [--partitions P] [--bootstrap-file F] [--port P]
 *
 * --flow-types creates <prefix>.<type>.ticks (always 1 partition, so ticks
 * stay ordered) and <prefix>.<type>.records|mapped|failed (P partitions) for
 * each type, plus <prefix>.log (P partitions).
 *
 * The first line on stdout is "bootstrap=HOST:PORT[,HOST:PORT...]"; the same
 * list (without "bootstrap=") is written to --bootstrap-file, atomically
 * (temp file + rename), so a script can wait for the file to appear. Runs
 * until SIGINT/SIGTERM.
 *
 * Limitations of the mock in librdkafka 2.0.2 (see also --help):
 *  - the listen ports are ephemeral: it has no way to bind a chosen port, so
 *    --port is rejected with a message; read the bootstrap line/file instead.
 *  - unknown topics are auto-created on a producer's metadata request with 4
 *    partitions (consumers do not auto-create: librdkafka consumers ask with
 *    allow.auto.create.topics=false). Create topics up front.
 *  - the first join of an empty consumer group waits 3 s (its
 *    group.initial.rebalance.delay); a group whose members left waits
 *    session.timeout.ms - 1 s before a new member's join completes.
 *  - retention is by size, and small: each partition keeps only its newest
 *    5 MB (or 100000 produce batches); older batches are deleted as new ones
 *    arrive. A consumer lagging further than that behind gets
 *    OFFSET_OUT_OF_RANGE and (auto.offset.reset=earliest) skips to the new
 *    start: those records are lost. More partitions give more room
 *    (5 MB each), hence the default of 4.
 *  - no compaction, no ACLs, no SASL/TLS; everything in RAM.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpupolicy.h"
#include "strbuf.h"
#include "xalloc.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: flowfleet-devbroker [options]\n"
            "  --brokers N              number of mock brokers (default 1)\n"
            "  --topic NAME[:PARTS]     create a topic (repeatable; default 1 partition)\n"
            "  --flow-types a,b,...     create <prefix>.<type>.ticks|records|mapped|failed and <prefix>.log\n"
            "  --prefix P               topic prefix for --flow-types (default ff)\n"
            "  --partitions N           partitions of the flow-type topics (default 4; ticks: 1)\n"
            "  --bootstrap-file F       also write the bootstrap list to F\n"
            "  --port P                 not supported by librdkafka 2.0.2's mock (ports are ephemeral)\n"
            "  --debug                  librdkafka mock debug logging\n"
            "Prints \"bootstrap=HOST:PORT\" as the first stdout line, runs until SIGINT/SIGTERM.\n"
            "Unknown topics are auto-created by producers with 4 partitions.\n"
            "Each partition keeps only its newest 5 MB: a consumer lagging more loses records.\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

typedef struct topic_spec {
    char *name;
    int partitions;
} topic_spec;

static topic_spec *topics;
static size_t ntopics, atopics;

static void add_topic(const char *name, int partitions)
{
    for (size_t i = 0; i < ntopics; i++)
        if (strcmp(topics[i].name, name) == 0) {
            topics[i].partitions = partitions;
            return;
        }
    if (ntopics == atopics) {
        atopics = atopics ? atopics * 2 : 16;
        topics = xrealloc(topics, atopics * sizeof *topics);
    }
    topics[ntopics].name = xstrdup(name);
    topics[ntopics++].partitions = partitions;
}

static int write_file_atomic(const char *path, const char *text)
{
    strbuf tmp = STRBUF_INIT;
    strbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp.buf, "w");
    int rc = -1;
    if (f) {
        int ok = fprintf(f, "%s\n", text) >= 0;
        ok = fclose(f) == 0 && ok;
        if (ok && rename(tmp.buf, path) == 0)
            rc = 0;
        else
            unlink(tmp.buf);
    }
    strbuf_release(&tmp);
    return rc;
}

int main(int argc, char **argv)
{
    int brokers = 1, partitions = 4, debug = 0;
    const char *prefix = "ff", *flow_types = NULL, *bootstrap_file = NULL;
    strbuf err = STRBUF_INIT;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--debug")) {
            debug = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "flowfleet-devbroker: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--brokers")) {
            if (parse_int(v, 1, 16, &brokers) < 0) {
                fprintf(stderr, "flowfleet-devbroker: --brokers: expected 1..16, got \"%s\"\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--partitions")) {
            if (parse_int(v, 1, 1000, &partitions) < 0) {
                fprintf(stderr, "flowfleet-devbroker: --partitions: expected 1..1000, got \"%s\"\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--topic")) {
            char *name = strdup(v), *colon = strrchr(name, ':');
            int parts = 1;
            if (colon) {
                *colon = '\0';
                if (parse_int(colon + 1, 1, 1000, &parts) < 0) {
                    fprintf(stderr, "flowfleet-devbroker: --topic %s: bad partition count\n", v);
                    free(name);
                    return 2;
                }
            }
            if (!*name) {
                fprintf(stderr, "flowfleet-devbroker: --topic: empty name\n");
                free(name);
                return 2;
            }
            add_topic(name, parts);
            free(name);
        } else if (!strcmp(a, "--flow-types")) {
            flow_types = v;
        } else if (!strcmp(a, "--prefix")) {
            prefix = v;
        } else if (!strcmp(a, "--bootstrap-file")) {
            bootstrap_file = v;
        } else if (!strcmp(a, "--port")) {
            fprintf(stderr, "flowfleet-devbroker: --port %s: librdkafka %s's mock cluster cannot listen on a "
                            "chosen port; use the printed bootstrap line or --bootstrap-file\n",
                    v, rd_kafka_version_str());
            return 2;
        } else {
            fprintf(stderr, "flowfleet-devbroker: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }

    if (flow_types) {
        char *list = strdup(flow_types), *save = NULL;
        strbuf name = STRBUF_INIT;
        static const char *const kinds[] = { "records", "mapped", "failed" };
        for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if (!*t)
                continue;
            strbuf_setf(&name, "%s.%s.ticks", prefix, t);
            add_topic(name.buf, 1);
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
                strbuf_setf(&name, "%s.%s.%s", prefix, t, kinds[k]);
                add_topic(name.buf, partitions);
            }
        }
        strbuf_setf(&name, "%s.log", prefix);
        add_topic(name.buf, partitions);
        strbuf_release(&name);
        free(list);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char errstr[512];
    /* batch, as the services it serves (cpupolicy.h), before librdkafka's threads start */
    if (cpupolicy_set("batch", &err) < 0)
        fprintf(stderr, "flowfleet-devbroker: %s\n", err.buf);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "client.id", "flowfleet-devbroker", errstr, sizeof errstr);
    if (debug)
        rd_kafka_conf_set(conf, "debug", "mock", errstr, sizeof errstr);
    else
        rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr); /* no CONFWARN notice */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "flowfleet-devbroker: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "flowfleet-devbroker: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int rf = brokers < 3 ? brokers : 3;
    for (size_t i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i].name, topics[i].partitions, rf);
        if (e) {
            fprintf(stderr, "flowfleet-devbroker: topic %s: %s\n", topics[i].name, rd_kafka_err2str(e));
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 1;
        }
    }

    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    printf("bootstrap=%s\n", bs);
    fflush(stdout);
    if (bootstrap_file && write_file_atomic(bootstrap_file, bs) < 0) {
        perror(bootstrap_file);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 1;
    }
    for (size_t i = 0; i < ntopics; i++)
        fprintf(stderr, "flowfleet-devbroker: topic %s (%d partition%s)\n", topics[i].name,
                topics[i].partitions, topics[i].partitions == 1 ? "" : "s");
    fprintf(stderr, "flowfleet-devbroker: %d broker%s at %s (librdkafka %s mock), Ctrl-C to stop\n",
            brokers, brokers == 1 ? "" : "s", bs, rd_kafka_version_str());

    while (!stop)
        usleep(100 * 1000);

    fprintf(stderr, "flowfleet-devbroker: stopping\n");
    if (bootstrap_file)
        unlink(bootstrap_file);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    for (size_t i = 0; i < ntopics; i++)
        free(topics[i].name);
    free(topics);
    strbuf_release(&err);
    return 0;
}
