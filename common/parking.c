/*
 * parking.c: a record's failed attempts, kept in the store. See parking.h.
 *
 * The count is one Redis integer per record with a TTL, so a record that
 * stops failing is forgotten by itself; a record's success or skip deletes
 * it (one DEL).
 */
#include "logev.h"
#include "parking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void attempts_key(strbuf *k, const char *flow, const char *key)
{
    strbuf_reset(k);
    strbuf_addf(k, "attempts:%s:%s", flow, key);
}

long parking_attempts(store *st, const char *flow, const char *key, strbuf *err)
{
    strbuf k = STRBUF_INIT, v = STRBUF_INIT;
    attempts_key(&k, flow, key);
    int found = store_get(st, k.buf, &v, err);
    long n = found < 0 ? -1 : found ? strtol(v.buf, NULL, 10) : 0;
    strbuf_release(&k);
    strbuf_release(&v);
    return n;
}

int parking_check(stage_ctx *c, const flow *f, const char *key, strbuf *err)
{
    if (!key || !*key || !c->store)
        return 0;
    long n = parking_attempts(c->store, f->name, key, err);
    if (n < 0)
        return -1;
    return f->max_attempts > 0 && n >= f->max_attempts;
}

long parking_count(stage_ctx *c, const flow *f, const envelope *e, long http_status)
{
    if (!f || !c->store || !e->key || !*e->key || c->login_refused || http_status == 429 || http_status == 503)
        return 0;
    strbuf k = STRBUF_INIT, err = STRBUF_INIT;
    attempts_key(&k, f->name, e->key);
    long n = store_counter_add(c->store, k.buf, PARKING_TTL_MS, &err);
    if (n < 0) {
        logev_say(c->service, "error", NULL, "attempts of %s: %s", e->key, err.buf);
        n = 0;
    }
    strbuf_release(&k);
    strbuf_release(&err);
    return n;
}

int parking_clear_store(store *st, const char *flow, const char *key, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    attempts_key(&k, flow, key);
    int r = store_del(st, k.buf, err);
    strbuf_release(&k);
    return r;
}

void parking_clear(stage_ctx *c, const char *flow, const char *key)
{
    if (!flow || !key || !*key || !c->store)
        return;
    strbuf err = STRBUF_INIT;
    if (parking_clear_store(c->store, flow, key, &err) < 0)
        logev_say(c->service, "error", NULL, "attempts of %s: %s", key, err.buf);
    strbuf_release(&err);
}
