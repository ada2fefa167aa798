/*
 * bus_int.h: what bus.c shares with bus_scan.c, and nothing else uses.
 */
#ifndef FF_BUS_INT_H
#define FF_BUS_INT_H

#include <librdkafka/rdkafka.h>

#include "bus.h"

/* A librdkafka configuration for one handle ("producer." or "consumer."):
 * cfg's brokers and client id, then defs (pairs, NULL-terminated; cfg->extra
 * may override them), then cfg->extra, then must (pairs, which nothing
 * overrides). b is the error callback's opaque (may be NULL). The caller
 * owns the result; NULL with err naming the bad setting. */
rd_kafka_conf_t *bus_make_conf(bus *b, const bus_config *cfg, const char *who, const char *const *defs,
                               const char *const *must, strbuf *err);

#endif
