/*
 * cmd_ops.c: the operator commands that act on the fleet: validate,
 * trigger, replay. (tail is cmd_tail.c; runs, run, show-failed cmd_runs.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "clock.h"
#include "envelope.h"
#include "flow.h"
#include "flowctl.h"
#include "jsontext.h"
#include "logev.h"
#include "parking.h"
#include "pyscript.h"
#include "store.h"
#include "ticks.h"
#include "worker.h"

int cmd_validate(int argc, char **argv)
{
    strbuf err = STRBUF_INIT;
    flow_set set;
    if (argc != 2) {
        fprintf(stderr, "usage: flowctl validate DIR|FILE\n");
        return 2;
    }
    if (pyscript_global_init(&err) < 0) {
        fprintf(stderr, "flowctl: cannot start Python: %s\n", err.buf);
        return 1;
    }
    int broken = flow_set_load(&set, argv[1], FLOW_LOAD_SCRIPTS, &err);
    if (err.len)
        fprintf(stderr, "%s\n", err.buf);
    if (broken == 0 && set.n == 0) {
        /* a folder with nothing to run is a mistake (a wrong path, files
         * not named as flow files), not a success */
        fprintf(stderr, "flowctl validate: no flow files in %s (a flow file is a *.json whose top-level object has "
                        "\"name\" and \"type\", or any *.flow.json; see docs/flows.md)\n", argv[1]);
        broken = -1;
    } else if (broken == 0)
        printf("%zu flow(s) valid\n", set.n);
    else if (broken > 0)
        printf("%zu flow(s) valid, %d file(s) with problems\n", set.n, broken);
    flow_set_release(&set);
    strbuf_release(&err);
    return broken == 0 ? 0 : 1;
}

static const char *user_name(void)
{
    const char *u = getenv("FLOWCTL_USER");
    if (!u || !*u)
        u = getenv("USER");
    return u && *u ? u : "flowctl";
}

int cmd_trigger(int argc, char **argv)
{
    flowctl_env env;
    const char *name = NULL;
    strbuf err = STRBUF_INIT, run = STRBUF_INIT, topic = STRBUF_INIT, payload = STRBUF_INIT;
    envelope e;
    flow_set set;
    const flow *f;
    flowctl_env_init(&env);
    envelope_init(&e);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--param") && i + 1 < argc) {
            if (flowctl_kv(&e.attrs, argv[++i], "flowctl trigger: --param") < 0)
                return 2;
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            fprintf(stderr, "usage: flowctl trigger FLOW [--param k=v]...\n");
            return 2;
        }
    }
    if (!name) {
        fprintf(stderr, "usage: flowctl trigger FLOW [--param k=v]...\n");
        return 2;
    }
    if (flowctl_load_flow(&env, name, &set, &f) < 0)
        return 1;
    strbuf_addf(&run, "%s-manual-%lld", f->name, (long long)clock_wall_ms());
    ticks_make_tick(&e, f, run.buf, user_name(), 1);
    bus_config bc = flowctl_bus_config(&env);
    int rc = 1;
    bus *b = flowctl_brokers_reachable(&env, "flowctl trigger") == 0 ? bus_new(&bc, &err) : NULL;
    if (!b && !err.len)
        strbuf_addstr(&err, "nothing was triggered");
    if (b) {
        bus_topic(&topic, env.prefix, f->type, TOPIC_TICKS);
        envelope_encode(&e, &payload);
        if (bus_produce(b, topic.buf, f->name, strlen(f->name), payload.buf, payload.len, NULL, &err) == 0 &&
            bus_flush(b, 10000) == 0) {
            printf("triggered %s: run %s\n", f->name, run.buf);
            rc = 0;
        }
        bus_close(b);
    }
    if (rc)
        fprintf(stderr, "flowctl trigger: %s\n", err.len ? err.buf : "the tick was not acknowledged");
    envelope_release(&e);
    flow_set_release(&set);
    strbuf_release(&err);
    strbuf_release(&run);
    strbuf_release(&topic);
    strbuf_release(&payload);
    return rc;
}

/* ---- replay ---- */

/* Parses "2026-11-23T10:00:00Z", "2026-11-23 10:00", "2026-11-23", an epoch
 * in ms, or a duration back from now ("1h"). -1 when malformed. */
static int64_t parse_time(const char *s)
{
    struct tm tm;
    int64_t d;
    char *end;
    memset(&tm, 0, sizeof tm);
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && v > 100000000000LL)
        return v;
    if (duration_parse_ms(s, &d) == 0 && strpbrk(s, "smhd"))
        return clock_wall_ms() - d;
    const char *fmts[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        memset(&tm, 0, sizeof tm);
        const char *r = strptime(s, fmts[i], &tm);
        if (r && (*r == '\0' || !strcmp(r, "Z")))
            return (int64_t)timegm(&tm) * 1000;
    }
    return -1;
}

/* A replay reads the whole failed topic first and keeps, per record key,
 * only its newest copy (a record that failed on every tick has many): the
 * filters then judge that copy, and each record is sent back once. */
typedef struct replay {
    const char *flow;
    int64_t since, until;
    const char *error, *key;
    int dry_run, parked_only;
    bus *bus;
    store *store;             /* NULL when Redis cannot be reached */
    const struct flow *f;
    const char *prefix;
    envelope *recs;           /* the newest copy of each record, in order of first failure */
    size_t n, cap;
    json_t *index;            /* key -> position in recs */
    long scanned, matched, sent, unreplayable, unparked;
} replay;

/* The stage a failed record goes back to: records (transformer) for the
 * script and mapping, mapped (writer) for everything after. */
static int replay_target(const char *stage)
{
    if (!stage)
        return -1;
    if (!strcmp(stage, "script") || !strcmp(stage, "mapping") || !strcmp(stage, "transform"))
        return TOPIC_RECORDS;
    if (!strcmp(stage, "read") || !strcmp(stage, "decode"))
        return -1;
    return TOPIC_MAPPED;
}

/* bus_scan's callback: keeps the newest copy of each of the flow's records. */
static int replay_collect(void *ctx, const bus_msg *m)
{
    replay *r = ctx;
    envelope e;
    strbuf err = STRBUF_INIT;
    envelope_init(&e);
    r->scanned++;
    if (envelope_decode(&e, m->payload, m->len, &err) < 0 || strcmp(e.flow, r->flow) != 0 || !e.key) {
        envelope_release(&e);
        strbuf_release(&err);
        return 0;
    }
    json_t *at = json_object_get(r->index, e.key);
    if (at) {
        envelope *old = &r->recs[json_integer_value(at)];
        if (e.failed_ms >= old->failed_ms) {
            envelope_release(old);
            *old = e;   /* moved: e is not freed here */
        } else {
            envelope_release(&e);
        }
    } else {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 64;
            r->recs = realloc(r->recs, r->cap * sizeof *r->recs);
        }
        json_object_set_new(r->index, e.key, json_integer((json_int_t)r->n));
        r->recs[r->n++] = e;
    }
    strbuf_release(&err);
    return 0;
}

/* Whether the newest copy e is parked now: marked so when it failed, and
 * (when Redis can be asked) not cleared since by a success or a replay. */
static int replay_is_parked(replay *r, const envelope *e)
{
    const char *p = attrs_get(&e->attrs, PARKING_ATTR_PARKED);
    if (!p || strcmp(p, "true") != 0)
        return 0;
    if (!r->store)
        return 1;
    strbuf err = STRBUF_INIT;
    long n = parking_attempts(r->store, r->flow, e->key, &err);
    strbuf_release(&err);
    return n < 0 || n >= r->f->max_attempts;
}

/* Clears the record's failed attempts: it is retried from a clean count. */
static void replay_unpark(replay *r, const envelope *e)
{
    strbuf err = STRBUF_INIT;
    if (r->store && parking_clear_store(r->store, r->flow, e->key, &err) < 0)
        fprintf(stderr, "flowctl replay: %s: cannot clear its attempts: %s\n", e->key, err.buf);
    strbuf_release(&err);
}

static void replay_one(replay *r, envelope *e)
{
    strbuf err = STRBUF_INIT, topic = STRBUF_INIT, payload = STRBUF_INIT;
    if ((r->key && strcmp(e->key, r->key)) || (r->error && (!e->error || !strstr(e->error, r->error))) ||
        (r->since > 0 && e->failed_ms < r->since) || (r->until > 0 && e->failed_ms > r->until) ||
        (r->parked_only && !replay_is_parked(r, e)))
        goto out;
    r->matched++;
    int parked = attrs_get(&e->attrs, PARKING_ATTR_PARKED) != NULL;
    int target = replay_target(e->stage);
    if (target < 0) {
        r->unreplayable++;
        if (parked && !r->dry_run) {
            replay_unpark(r, e);
            r->unparked++;
        }
        printf("  %s: failed in %s: not replayable (the next tick reads it again%s)\n", e->key,
               e->stage ? e->stage : "?", parked ? (r->dry_run ? "; it would be unparked" : "; unparked") : "");
        goto out;
    }
    printf("  %s %s -> %s (attempt %u%s): %.120s\n", r->dry_run ? "would replay" : "replaying", e->key,
           target == TOPIC_RECORDS ? "transformer" : "writer", e->attempt + 1, parked ? ", parked" : "",
           e->error ? e->error : "");
    if (r->dry_run)
        goto out;
    if (target == TOPIC_RECORDS && e->source.len) {
        strbuf_reset(&e->body);
        strbuf_add(&e->body, e->source.buf, e->source.len);
    }
    e->attempt++;
    envelope_set(&e->stage, NULL);
    envelope_set(&e->error, NULL);
    envelope_set(&e->src_topic, NULL);
    attrs_remove(&e->attrs, PARKING_ATTR_ATTEMPTS);
    attrs_remove(&e->attrs, PARKING_ATTR_PARKED);
    e->http_status = 0;
    e->failed_ms = 0;
    replay_unpark(r, e);
    bus_topic(&topic, r->prefix, e->flow_type, (enum bus_topic_kind)target);
    envelope_encode(e, &payload);
    if (bus_produce(r->bus, topic.buf, e->key, strlen(e->key), payload.buf, payload.len, NULL, &err) < 0)
        fprintf(stderr, "flowctl replay: %s: %s\n", e->key, err.buf);
    else
        r->sent++;
    if (r->sent % 100 == 0 && r->sent)
        fprintf(stderr, "  ... %ld replayed\n", r->sent);
out:
    strbuf_release(&err);
    strbuf_release(&topic);
    strbuf_release(&payload);
}

#define REPLAY_USAGE \
    "usage: flowctl replay FLOW [--since T] [--until T] [--error TEXT] [--key K] [--parked] [--dry-run]\n"

int cmd_replay(int argc, char **argv)
{
    flowctl_env env;
    replay r;
    strbuf err = STRBUF_INIT, topic = STRBUF_INIT, pfx = STRBUF_INIT;
    flow_set set;
    const flow *f;
    memset(&r, 0, sizeof r);
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--since") && i + 1 < argc) {
            if ((r.since = parse_time(argv[++i])) < 0) {
                fprintf(stderr, "flowctl replay: --since: cannot read the time \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--until") && i + 1 < argc) {
            if ((r.until = parse_time(argv[++i])) < 0) {
                fprintf(stderr, "flowctl replay: --until: cannot read the time \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--error") && i + 1 < argc) {
            r.error = argv[++i];
        } else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            r.key = argv[++i];
        } else if (!strcmp(argv[i], "--parked")) {
            r.parked_only = 1;
        } else if (!strcmp(argv[i], "--dry-run")) {
            r.dry_run = 1;
        } else if (!r.flow && argv[i][0] != '-') {
            r.flow = argv[i];
        } else {
            fprintf(stderr, REPLAY_USAGE);
            return 2;
        }
    }
    if (!r.flow) {
        fprintf(stderr, REPLAY_USAGE);
        return 2;
    }
    if (flowctl_load_flow(&env, r.flow, &set, &f) < 0)
        return 1;
    r.f = f;
    r.prefix = env.prefix;
    /* Redis: which records are parked now, and clearing the attempts of
     * those replayed. Without it the replay still works (said once). */
    strbuf_addf(&pfx, "%s:", env.prefix);
    r.store = store_open(env.redis, pfx.buf, &err);
    if (!r.store)
        fprintf(stderr, "flowctl replay: redis %s: %s: attempt counts are not cleared\n", env.redis, err.buf);
    strbuf_reset(&err);
    bus_config bc = flowctl_bus_config(&env);
    r.bus = flowctl_brokers_reachable(&env, "flowctl replay") == 0 ? bus_new(&bc, &err) : NULL;
    if (!r.bus) {
        if (err.len)
            fprintf(stderr, "flowctl replay: %s\n", err.buf);
        if (r.store)
            store_close(r.store);
        flow_set_release(&set);
        return 1;
    }
    r.index = json_object();
    bus_topic(&topic, env.prefix, f->type, TOPIC_FAILED);
    printf("scanning %s for %s%s%s\n", topic.buf, r.flow, r.parked_only ? " (parked records)" : "",
           r.dry_run ? " (dry run)" : "");
    int rc = bus_scan(&bc, topic.buf, 0, 0, NULL, replay_collect, &r, &err);
    if (rc == 0)
        for (size_t i = 0; i < r.n; i++)
            replay_one(&r, &r.recs[i]);
    if (bus_flush(r.bus, 30000) < 0) {
        fprintf(stderr, "flowctl replay: not every replayed record was acknowledged\n");
        rc = -1;
    }
    bus_close(r.bus);
    if (rc < 0 && err.len)
        fprintf(stderr, "flowctl replay: %s\n", err.buf);
    printf("scanned %ld, records %zu, matched %ld, %s %ld, not replayable %ld", r.scanned, r.n, r.matched,
           r.dry_run ? "would replay" : "replayed", r.dry_run ? r.matched - r.unreplayable : r.sent, r.unreplayable);
    if (r.unparked)
        printf(" (%ld of them unparked: the next tick reads them again)", r.unparked);
    printf("\n");
    for (size_t i = 0; i < r.n; i++)
        envelope_release(&r.recs[i]);
    free(r.recs);
    json_decref(r.index);
    if (r.store)
        store_close(r.store);
    flow_set_release(&set);
    strbuf_release(&err);
    strbuf_release(&topic);
    strbuf_release(&pfx);
    return rc < 0 ? 1 : 0;
}
