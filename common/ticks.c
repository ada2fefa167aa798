/*
 * ticks.c: leader lock, due times, tick emission. See ticks.h.
 */
#include "ticks.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "logev.h"

void ticks_make_tick(envelope *e, const flow *f, const char *run_id, const char *triggered_by, int is_triggered)
{
    envelope_set(&e->flow, f->name);
    envelope_set(&e->flow_type, f->type);
    envelope_set(&e->run_id, run_id);
    envelope_set(&e->key, f->name);
    e->attempt = 1;
    e->created_ms = clock_wall_ms();
    attrs_set(&e->attrs, "run.triggered_by", triggered_by);
    attrs_set(&e->attrs, "run.is_triggered", is_triggered ? "true" : "false");
    strbuf_reset(&e->body);
    strbuf_addstr(&e->body, "{}");
}

static int step_flow(ticks_sched *s, const flow *f, int64_t now, strbuf *err)
{
    strbuf key = STRBUF_INIT, val = STRBUF_INIT;
    int emitted = 0;
    strbuf_addf(&key, "sched:%s:last", f->name);
    int found = store_get(s->c->store, key.buf, &val, err);
    if (found < 0)
        goto out;
    if (!found) {
        /* first sight of this flow: start counting from now */
        strbuf_setf(&val, "%lld", (long long)now);
        found = store_set(s->c->store, key.buf, val.buf, 0, err) < 0 ? -1 : 0;
        goto out;
    }
    int64_t last = atoll(val.buf);
    int64_t due = cron_next(f->cron, last, f->timezone);
    if (due < 0 || due > now)
        goto out;
    strbuf marker = STRBUF_INIT, run = STRBUF_INIT;
    strbuf_addf(&marker, "tick:%s:%lld", f->name, (long long)due);
    int fresh = store_setnx(s->c->store, marker.buf, "1", 7LL * 24 * 3600 * 1000, err);
    if (fresh == 1) {
        envelope e;
        envelope_init(&e);
        strbuf_addf(&run, "%s-%lld", f->name, (long long)due);
        ticks_make_tick(&e, f, run.buf, "system", 0);
        attrs_set(&e.attrs, "run.due", run.buf + strlen(f->name) + 1);
        if (stage_emit(s->c, TOPIC_TICKS, &e, err) == 0) {
            emitted = 1;
        } else {
            /* Not sent: drop the marker and keep "last" as it was, so the
             * next step tries this due time again instead of losing it. */
            store_del(s->c->store, marker.buf, NULL);
            fresh = -1;
        }
        envelope_release(&e);
    }
    strbuf_release(&marker);
    strbuf_release(&run);
    if (fresh < 0) {
        found = -1;
        goto out;
    }
    strbuf_setf(&val, "%lld", (long long)now);
    if (store_set(s->c->store, key.buf, val.buf, 0, err) < 0)
        found = -1;
out:
    strbuf_release(&key);
    strbuf_release(&val);
    return found < 0 ? -1 : emitted;
}

void ticks_note_finished(stage_ctx *c, const envelope *run, const char *status)
{
    strbuf key = STRBUF_INIT, val = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&key, "finished:%s", run->flow ? run->flow : "");
    strbuf_addf(&val, "%s %s", run->run_id ? run->run_id : "", status);
    if (store_list_push(c->store, key.buf, val.buf, TICKS_FINISHED_KEEP, 7LL * 24 * 3600 * 1000, &err) < 0)
        logev_say(c->service, "error", run, "cannot note the finished run for the flows it triggers: %s", err.buf);
    strbuf_release(&key);
    strbuf_release(&val);
    strbuf_release(&err);
}

/* One tick for f after the upstream run in entry ("<run id> <status>"),
 * unless f wants only successes and it was not one. 1 emitted, 0 not, -1
 * error. A SET NX marker per (flow, upstream run) keeps it unique across a
 * leader hand-over. */
static int tick_after(ticks_sched *s, const flow *f, const char *entry, strbuf *err)
{
    const char *sp = strchr(entry, ' ');
    const char *status = sp ? sp + 1 : "";
    int rc = 0;
    if (f->after_success_only && strcmp(status, "success") != 0)
        return 0;
    strbuf marker = STRBUF_INIT;
    strbuf_addf(&marker, "tick:%s:after:%.*s", f->name, sp ? (int)(sp - entry) : (int)strlen(entry), entry);
    int fresh = store_setnx(s->c->store, marker.buf, "1", 7LL * 24 * 3600 * 1000, err);
    if (fresh == 1) {
        envelope e;
        strbuf id = STRBUF_INIT, by = STRBUF_INIT;
        envelope_init(&e);
        strbuf_addf(&id, "%s-after-%.*s", f->name, sp ? (int)(sp - entry) : (int)strlen(entry), entry);
        strbuf_addf(&by, "flow:%s", f->after);
        ticks_make_tick(&e, f, id.buf, by.buf, 0);
        attrs_set(&e.attrs, "run.after", entry);
        if (stage_emit(s->c, TOPIC_TICKS, &e, err) == 0) {
            rc = 1;
        } else {
            store_del(s->c->store, marker.buf, NULL);   /* the next step tries again */
            rc = -1;
        }
        envelope_release(&e);
        strbuf_release(&id);
        strbuf_release(&by);
    } else if (fresh < 0) {
        rc = -1;
    }
    strbuf_release(&marker);
    return rc;
}

/* Triggered By: one tick for f per finished run of f->after (with the
 * status it asks for), in the order they finished. The upstream's finished
 * runs are a short list in the store ("finished:<flow>", the newest
 * TICKS_FINISHED_KEEP); the scheduler keeps, per follower, the upstream run
 * it handled last ("after:<flow>:seen"). On first sight it starts from the
 * upstream's newest run, without a tick; when the upstream has no finished
 * run yet, "seen" is set empty, so every run that finishes from then on
 * triggers (all entries follow an empty "seen"). Returns the ticks emitted,
 * or -1. */
static int step_after(ticks_sched *s, const flow *f, strbuf *err)
{
    strbuf fin = STRBUF_INIT, seenk = STRBUF_INIT, seen = STRBUF_INIT, list = STRBUF_INIT;
    int n = 0;
    strbuf_addf(&seenk, "after:%s:seen", f->name);
    strbuf_addf(&fin, "finished:%s", f->after);
    int count = store_list_get(s->c->store, fin.buf, &list, err);
    int has_seen = count >= 0 ? store_get(s->c->store, seenk.buf, &seen, err) : -1;
    if (count < 0 || has_seen < 0) {
        n = -1;
        goto out;
    }
    if (count == 0) {
        if (!has_seen && store_set(s->c->store, seenk.buf, "", 0, err) < 0)
            n = -1;
        goto out;
    }
    /* the entries after the one seen last (all of them when it was trimmed away) */
    const char *from = list.buf;
    if (has_seen) {
        for (const char *p = list.buf; *p;) {
            const char *nl = strchr(p, '\n');
            if ((size_t)(nl - p) == seen.len && strncmp(p, seen.buf, seen.len) == 0)
                from = nl + 1;
            p = nl + 1;
        }
    } else {
        from = list.buf + list.len;   /* first sight: nothing before now triggers */
    }
    strbuf entry = STRBUF_INIT;
    for (const char *p = from; *p;) {
        const char *nl = strchr(p, '\n');
        strbuf_reset(&entry);
        strbuf_add(&entry, p, (size_t)(nl - p));
        int r = tick_after(s, f, entry.buf, err);
        if (r < 0) {
            n = -1;
            break;
        }
        n += r;
        if (store_set(s->c->store, seenk.buf, entry.buf, 0, err) < 0) {
            n = -1;
            break;
        }
        p = nl + 1;
    }
    if (!has_seen && list.len) {   /* first sight: remember the newest */
        const char *p = list.buf + list.len - 1;
        while (p > list.buf && p[-1] != '\n')
            p--;
        strbuf_reset(&entry);
        strbuf_add(&entry, p, (size_t)(list.buf + list.len - 1 - p));
        if (store_set(s->c->store, seenk.buf, entry.buf, 0, err) < 0)
            n = -1;
    }
    strbuf_release(&entry);
out:
    strbuf_release(&fin);
    strbuf_release(&seenk);
    strbuf_release(&seen);
    strbuf_release(&list);
    return n;
}

int ticks_step(ticks_sched *s, int64_t now)
{
    strbuf err = STRBUF_INIT;
    int n = 0;
    int lead = store_lock_acquire(s->c->store, "scheduler", s->owner, s->lock_ttl_ms, &err);
    if (lead < 0) {
        logev_say("scheduler", "error", NULL, "leader lock: %s", err.buf);
        strbuf_release(&err);
        return -1;
    }
    if (lead != s->leader)
        logev_say("scheduler", "info", NULL, "%s is %s the leader", s->owner, lead ? "now" : "no longer");
    s->leader = lead;
    if (lead) {
        for (size_t i = 0; i < s->flows->n; i++) {
            const flow *f = s->flows->flows[i];
            if (!f->enabled)
                continue;
            int r = f->cron ? step_flow(s, f, now, &err) : 0;
            if (r >= 0 && f->after)
                r += step_after(s, f, &err);
            if (r < 0)
                logev_say("scheduler", "error", NULL, "%s: %s", f->name, err.buf);
            else
                n += r;
        }
    }
    strbuf_release(&err);
    return n;
}
