/*
 * omni: the simulated Omnitron (see omni.c for routes, omni_data.c for the
 * generated data and its JSON shapes).
 */
#ifndef OMNITRON_SIM_OMNI_H
#define OMNITRON_SIM_OMNI_H

#include <jansson.h>

#include "simhttp.h"
#include "strbuf.h"

#define OMNI_MAX_CHANNELS 64

typedef struct omni_config {
    int orders;
    int channels[OMNI_MAX_CHANNELS];
    int nchannels;
    int canceled_every;          /* every K-th order (by pk) is canceled; 0: none */
    unsigned long long seed;
    const char *username;
    const char *password;
} omni_config;

/* ---- data set (omni_data.c) ---- */

typedef struct omni_item {
    int order;                   /* index into orders */
    int product;                 /* index into the product pool */
    int quantity;
    int status;
    long long price;             /* unit price, cents */
    long long modified_us;       /* 0: never changed */
    int map_pk;                  /* 0: no mapping */
    unsigned map_count;
    char *map_code;
    json_t *over;                /* fields set by bulk_status_update, or NULL */
} omni_item;

typedef struct omni_disc {
    int order;
    int kind;
    long long amount;            /* cents, positive */
} omni_disc;

typedef struct omni_order {
    int channel;
    int status;
    int is_send;
    unsigned sent_count;
    int item_first, item_count;
    int disc_first, disc_count;
    long long amount, discount, shipping;   /* cents */
    long long modified_us;
    int map_pk;
    unsigned map_count;
    char *map_code;
    unsigned long long h;        /* per-order hash the static fields come from */
} omni_order;

typedef struct omni_data {
    omni_config cfg;
    omni_order *orders;
    int norders;
    omni_item *items;
    int nitems;
    omni_disc *discs;
    int ndiscs;
} omni_data;

/* Generates the data set for cfg. Caller frees with omni_data_free. */
omni_data *omni_data_new(const omni_config *cfg);
void omni_data_free(omni_data *d);
/* Parses "1,2,3" into cfg->channels. 0 or -1. */
int omni_parse_channels(const char *s, omni_config *cfg);
/* Order number of pk ("ORD-000001"); pk of a number, 0 when not ours. */
void omni_number(strbuf *sb, long long pk);
long long omni_number_pk(const omni_data *d, const char *number);
long long omni_now_us(void);

#define OMNI_LIST 0       /* list object: related objects as ids */
#define OMNI_DETAIL 1     /* detailed_integration: related objects inline */
#define OMNI_FULL 2       /* detailed + orderitem_set and discountitem_set */
/* Append the JSON text of one object (index, not pk). */
void omni_emit_order(strbuf *sb, const omni_data *d, int idx, int mode);
void omni_emit_item(strbuf *sb, const omni_data *d, int idx, int mode);
void omni_emit_disc(strbuf *sb, const omni_data *d, int idx, int mode);

/* ---- server (omni.c) ---- */

typedef struct omni omni;
omni *omni_new(const omni_config *cfg);
void omni_free(omni *o);
/* simhttp_handler: ctx is the omni. */
void omni_handle(void *ctx, simhttp_req *req);

#endif
