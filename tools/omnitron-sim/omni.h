/*
 * omni: the simulated Omnitron (see omni.c for routes, omni_data.c for the
 * generated data, its JSON shapes and the order index the lists use).
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

typedef struct omni_class omni_class;       /* omni_data.c: the order index */
typedef struct omni_state_cache omni_state_cache;

typedef struct omni_data {
    omni_config cfg;
    omni_order *orders;
    int norders;
    omni_item *items;
    int nitems;
    omni_disc *discs;
    int ndiscs;
    /* The order index: one class per (is_send, channel, status) in use,
     * each a bitmap of its orders with per-word counts in a Fenwick tree.
     * Change is_send and status only with omni_order_set. */
    omni_class *classes;
    int nclasses, class_cap, nwords;
    /* Counters of the control state, kept as the data changes. */
    long long sent;              /* orders with is_send */
    long long unsent_open;       /* orders neither sent nor canceled (100) */
    long long item_maps;         /* items with a mapping (omni.c) */
    unsigned item_map_max;       /* largest item map_count (omni.c) */
    omni_state_cache *state;     /* sent_counts/order_mappings text by block */
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
/* Sets order idx's is_send and status, moving it in the index and keeping
 * the counters. Call with the data locked for writing. */
void omni_order_set(omni_data *d, int idx, int is_send, int status);
/* Order idx's sent_count or map_code changed (the state text is cached). */
void omni_order_touched(omni_data *d, int idx);
/* Appends the "sent_counts" and "order_mappings" members' text (without the
 * braces). Safe with the data locked for reading only (the cache has its
 * own lock); re-renders only the blocks of orders touched since last time. */
void omni_state_text(const omni_data *d, strbuf *counts, strbuf *maps);

/* The orders of a list query: the filters select index classes, so counting
 * and picking the k-th match cost O(classes * log N), never a scan. */
typedef struct omni_filter {
    int is_send;                 /* -1: any */
    int nch, ch[OMNI_MAX_CHANNELS];
    int nst, st[64];
    int has_ne, ne;
} omni_filter;

typedef struct omni_match {
    const omni_data *d;
    int *cls, ncls;              /* the matching non-empty classes */
    long long base;              /* matches before first */
    long long count;             /* matches in [first, end) */
} omni_match;

/* Matches of f among order indices [first, end). Release with
 * omni_match_release. */
void omni_match_init(omni_match *m, const omni_data *d, const omni_filter *f, int first, int end);
/* Order index of the match of rank r (0-based, ascending, r < count).
 * near: when known, the index of rank r - 1 (step 1) or r + 1 (step -1),
 * which makes a walk through neighbours cheap; else -1. */
int omni_match_index(const omni_match *m, long long r, int near, int step);
void omni_match_release(omni_match *m);

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
