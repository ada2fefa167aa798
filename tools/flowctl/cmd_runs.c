/*
 * cmd_runs.c: what the fleet did, for operators: `flowctl runs [FLOW]`
 * (the runs), `flowctl run RUN_ID` (one run and its records) and
 * `flowctl show-failed FLOW KEY` (one failed record with its context).
 *
 * Runs have no index of their own: the log topic has every run's events
 * (started, finished, with counts) and Redis has each run's counters
 * (run:<id>, kept 7 days), which are live while the run is in progress. So
 * `runs` reads the log topic up to its end, and asks Redis for the
 * counters of each run it found; `run` does the same for one run and lists
 * its record events. Without Redis they still answer, from the topic alone
 * (said once). show-failed reads the failed topic of the flow's type and
 * prints the record's newest copy: its failure, its attributes, its body,
 * and the record as read when a script or mapping had changed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "envelope.h"
#include "flow.h"
#include "flowctl.h"
#include "jsontext.h"
#include "logev.h"
#include "parking.h"
#include "store.h"

static const char *str(json_t *v, const char *k)
{
    const char *s = json_string_value(json_object_get(v, k));
    return s ? s : "";
}

/* What the log topic says, gathered by one scan. */
typedef struct runscan {
    const char *flow;         /* only this flow's runs (NULL: all) */
    const char *run;          /* only this run's events, records included (NULL: run events only) */
    json_t *runs;             /* run id -> {flow, started, finished, status, counts, by, manual} */
    json_t *records;          /* this run's record events, as read */
} runscan;

static int runscan_one(void *ctx, const bus_msg *m)
{
    runscan *r = ctx;
    json_t *v = jsontext_parse(m->payload, m->len, NULL);
    const char *kind = json_string_value(json_object_get(v, "kind"));
    const char *id = json_string_value(json_object_get(v, "run_id"));
    if (!json_is_object(v) || !kind || !id || (r->flow && strcmp(str(v, "flow"), r->flow)) ||
        (r->run && strcmp(id, r->run))) {
        json_decref(v);
        return 0;
    }
    if (!strcmp(kind, "run")) {
        json_t *run = json_object_get(r->runs, id);
        if (!run) {
            run = json_object();
            json_object_set_new(r->runs, id, run);
        }
        json_object_set_new(run, "flow", json_string(str(v, "flow")));
        json_object_set_new(run, "by", json_string(str(v, "triggered_by")));
        json_object_set(run, "manual", json_is_true(json_object_get(v, "is_triggered")) ? json_true() : json_false());
        const char *ev = str(v, "event");
        if (!strcmp(ev, "started") || !json_object_get(run, "started"))
            json_object_set_new(run, "started", json_string(*str(v, "started_at") ? str(v, "started_at") : str(v, "ts")));
        if (!strcmp(ev, "finished")) {
            json_object_set_new(run, "finished", json_string(str(v, "ts")));
            json_object_set_new(run, "status", json_string(str(v, "status")));
            if (json_object_get(v, "counts"))
                json_object_set(run, "counts", json_object_get(v, "counts"));
            if (*str(v, "error"))
                json_object_set_new(run, "error", json_string(str(v, "error")));
        } else if (!json_object_get(run, "finished")) {
            json_object_set_new(run, "status", json_string(str(v, "status")));
        }
    } else if (r->run && !strcmp(kind, "record")) {
        json_array_append(r->records, v);
    }
    json_decref(v);
    return 0;
}

/* Scans the log topic into r. 0, or -1 after saying why. */
static int runscan_read(const flowctl_env *env, runscan *r, const char *what)
{
    strbuf topic = STRBUF_INIT, err = STRBUF_INIT;
    r->runs = json_object();
    r->records = json_array();
    if (flowctl_brokers_reachable(env, what) < 0)
        return -1;
    bus_topic(&topic, env->prefix, NULL, TOPIC_LOG);
    bus_config bc = flowctl_bus_config(env);
    int rc = bus_scan(&bc, topic.buf, 0, 0, NULL, runscan_one, r, &err);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", what, err.buf);
    strbuf_release(&topic);
    strbuf_release(&err);
    return rc;
}

static store *open_store(const flowctl_env *env, const char *what)
{
    strbuf pfx = STRBUF_INIT, err = STRBUF_INIT;
    strbuf_addf(&pfx, "%s:", env->prefix);
    store *s = store_open(env->redis, pfx.buf, &err);
    if (!s)
        fprintf(stderr, "%s: redis %s: %s: counts from the log topic only\n", what, env->redis, err.buf);
    strbuf_release(&pfx);
    strbuf_release(&err);
    return s;
}

static int cmp_started(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(str(x, "started"), str(y, "started"));
}

/* Overwrites the run's counts with Redis's (live while it runs). 1 when Redis has the run. */
static int redis_counts(store *s, const char *id, json_t *run, run_counts *rc)
{
    strbuf err = STRBUF_INIT;
    memset(rc, 0, sizeof *rc);
    int r = s ? store_run_get(s, id, rc, &err) : 0;
    strbuf_release(&err);
    if (r != 1)
        return 0;
    json_object_set_new(run, "counts", json_pack("{s:I,s:I,s:I,s:I}", "published", (json_int_t)rc->published,
                                                 "succeeded", (json_int_t)rc->succeeded, "failed",
                                                 (json_int_t)rc->failed, "skipped", (json_int_t)rc->skipped));
    return 1;
}

static long count(json_t *run, const char *k)
{
    return (long)json_integer_value(json_object_get(json_object_get(run, "counts"), k));
}

int cmd_runs(int argc, char **argv)
{
    flowctl_env env;
    runscan r;
    long last = 20;
    memset(&r, 0, sizeof r);
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        char *end;
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--last") && i + 1 < argc && (last = strtol(argv[i + 1], &end, 10)) > 0 && !*end)
            i++;
        else if (!r.flow && argv[i][0] != '-')
            r.flow = argv[i];
        else {
            fprintf(stderr, "usage: flowctl runs [FLOW] [--last N]   (N > 0, default 20)\n");
            return 2;
        }
    }
    if (runscan_read(&env, &r, "flowctl runs") < 0) {
        json_decref(r.runs);
        json_decref(r.records);
        return 1;
    }
    size_t n = json_object_size(r.runs), k = 0;
    json_t **list = calloc(n ? n : 1, sizeof *list);
    const char *id;
    json_t *run;
    json_object_foreach(r.runs, id, run) {
        json_object_set_new(run, "id", json_string(id));
        list[k++] = run;
    }
    qsort(list, n, sizeof *list, cmp_started);
    store *s = n ? open_store(&env, "flowctl runs") : NULL;
    if (!n)
        printf("no runs%s%s%s in the log topic\n", r.flow ? " of flow \"" : "", r.flow ? r.flow : "", r.flow ? "\"" : "");
    else
        printf("%-32s %-12s %-24s %-11s %9s %9s %6s %7s  %s\n", "RUN", "FLOW", "STARTED", "STATUS", "PUBLISHED",
               "SUCCEEDED", "FAILED", "SKIPPED", "BY");
    for (size_t i = n > (size_t)last ? n - (size_t)last : 0; i < n; i++) {
        run_counts rc;
        redis_counts(s, str(list[i], "id"), list[i], &rc);
        printf("%-32s %-12s %-24s %-11s %9ld %9ld %6ld %7ld  %s%s\n", str(list[i], "id"), str(list[i], "flow"),
               str(list[i], "started"), str(list[i], "status"), count(list[i], "published"), count(list[i], "succeeded"),
               count(list[i], "failed"), count(list[i], "skipped"), str(list[i], "by"),
               json_is_true(json_object_get(list[i], "manual")) ? " (manual)" : "");
    }
    if (s)
        store_close(s);
    free(list);
    json_decref(r.runs);
    json_decref(r.records);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    flowctl_env env;
    runscan r;
    memset(&r, 0, sizeof r);
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!r.run && argv[i][0] != '-')
            r.run = argv[i];
        else
            r.run = NULL, i = argc;
    }
    if (!r.run) {
        fprintf(stderr, "usage: flowctl run RUN_ID   (the run ids: flowctl runs)\n");
        return 2;
    }
    if (runscan_read(&env, &r, "flowctl run") < 0) {
        json_decref(r.runs);
        json_decref(r.records);
        return 1;
    }
    store *s = open_store(&env, "flowctl run");
    json_t *run = json_object_get(r.runs, r.run);
    int in_topic = run != NULL;
    if (!run) {
        run = json_object();
        json_object_set_new(r.runs, r.run, run);
    }
    run_counts rc;
    int in_redis = redis_counts(s, r.run, run, &rc);
    int rcode = 0;
    if (!in_topic && !in_redis && json_array_size(r.records) == 0) {
        fprintf(stderr, "flowctl run: no run \"%s\" in the log topic %s.log%s (the run ids: flowctl runs)\n", r.run,
                env.prefix, s ? " or in Redis" : "");
        rcode = 1;
        goto out;
    }
    printf("run       %s\n", r.run);
    printf("flow      %s\n", str(run, "flow"));
    printf("status    %s\n", *str(run, "status") ? str(run, "status") : "(no run event in the log topic)");
    printf("by        %s%s\n", str(run, "by"), json_is_true(json_object_get(run, "manual")) ? " (manual)" : "");
    printf("started   %s\n", str(run, "started"));
    if (*str(run, "finished"))
        printf("finished  %s\n", str(run, "finished"));
    printf("counts    published %ld, succeeded %ld, failed %ld, skipped %ld%s\n", count(run, "published"),
           count(run, "succeeded"), count(run, "failed"), count(run, "skipped"),
           in_redis ? (rc.published_final ? " (Redis)" : " (Redis; the reader is still publishing)")
                    : " (log topic; Redis has no counters for it)");
    if (in_redis && rc.list_requests > 0) {
        printf("listed    %ld in %ld request(s)", rc.listed, rc.list_requests);
        if (rc.list_count >= 0)
            printf(", the list's count %ld", rc.list_count);
        printf("\n");
    }
    if (in_redis && rc.error[0])
        printf("error     %s\n", rc.error);
    else if (*str(run, "error"))
        printf("error     %s\n", str(run, "error"));
    printf("records   %zu event(s)\n", json_array_size(r.records));
    size_t i;
    json_t *v;
    json_array_foreach(r.records, i, v) {
        printf("  %s  %-12s %-14s %-8s attempt %lld", str(v, "ts"), str(v, "key"), str(v, "stage"), str(v, "outcome"),
               (long long)json_integer_value(json_object_get(v, "attempt")));
        if (json_is_integer(json_object_get(v, "http_status")))
            printf(" HTTP %lld", (long long)json_integer_value(json_object_get(v, "http_status")));
        const char *e = str(v, "error");
        if (*e) {
            const char *nl = strchr(e, '\n');
            printf("  %.*s", nl ? (int)(nl - e) : (int)strlen(e), e);
        }
        printf("\n");
    }
out:
    if (s)
        store_close(s);
    json_decref(r.runs);
    json_decref(r.records);
    return rcode;
}

/* ---- show-failed ---- */

typedef struct failscan {
    const char *flow, *key;
    envelope newest;
    int found;
    long copies;
} failscan;

static int failscan_one(void *ctx, const bus_msg *m)
{
    failscan *fs = ctx;
    envelope e;
    strbuf err = STRBUF_INIT;
    envelope_init(&e);
    int ok = envelope_decode(&e, m->payload, m->len, &err) == 0;
    strbuf_release(&err);
    if (ok && e.flow && !strcmp(e.flow, fs->flow) && e.key &&
        !strcmp(e.key, fs->key)) {
        fs->copies++;
        if (!fs->found || e.failed_ms >= fs->newest.failed_ms) {
            if (fs->found)
                envelope_release(&fs->newest);
            fs->newest = e;
            fs->found = 1;
            return 0;
        }
    }
    envelope_release(&e);
    return 0;
}

/* Prints bytes as pretty JSON when they are JSON, else as they are. */
static void print_body(const char *title, const strbuf *b)
{
    json_t *v = jsontext_parse(b->buf, b->len, NULL);
    strbuf out = STRBUF_INIT;
    if (v)
        jsontext_dump(v, &out, JSONTEXT_PRETTY);
    else
        strbuf_add(&out, b->buf, b->len);
    printf("%s\n%s%s", title, out.buf, out.len && out.buf[out.len - 1] == '\n' ? "" : "\n");
    json_decref(v);
    strbuf_release(&out);
}

int cmd_show_failed(int argc, char **argv)
{
    flowctl_env env;
    failscan fs;
    memset(&fs, 0, sizeof fs);
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!fs.flow && argv[i][0] != '-')
            fs.flow = argv[i];
        else if (!fs.key && argv[i][0] != '-')
            fs.key = argv[i];
        else
            fs.flow = NULL, i = argc;
    }
    if (!fs.flow || !fs.key) {
        fprintf(stderr, "usage: flowctl show-failed FLOW KEY\n");
        return 2;
    }
    flow_set set;
    const flow *f;
    if (flowctl_load_flow(&env, fs.flow, &set, &f) < 0)
        return 1;
    strbuf topic = STRBUF_INIT, err = STRBUF_INIT;
    int rc = 1;
    bus_topic(&topic, env.prefix, f->type, TOPIC_FAILED);
    if (flowctl_brokers_reachable(&env, "flowctl show-failed") < 0)
        goto out;
    bus_config bc = flowctl_bus_config(&env);
    if (bus_scan(&bc, topic.buf, 0, 0, NULL, failscan_one, &fs, &err) < 0) {
        fprintf(stderr, "flowctl show-failed: %s\n", err.buf);
        goto out;
    }
    if (!fs.found) {
        fprintf(stderr, "flowctl show-failed: no failed record \"%s\" of flow \"%s\" in %s\n", fs.key, fs.flow, topic.buf);
        goto out;
    }
    envelope *e = &fs.newest;
    strbuf when = STRBUF_INIT;
    if (e->failed_ms > 0)
        logev_time(&when, e->failed_ms);
    printf("record    %s (flow %s, type %s)\n", e->key, e->flow, e->flow_type ? e->flow_type : "?");
    printf("run       %s, attempt %u\n", e->run_id ? e->run_id : "", e->attempt);
    printf("failed    %s in stage %s", when.len ? when.buf : "(time unknown)", e->stage ? e->stage : "?");
    if (e->http_status > 0)
        printf(", HTTP %d", e->http_status);
    printf("\n");
    const char *parked = attrs_get(&e->attrs, PARKING_ATTR_PARKED);
    const char *attempts = attrs_get(&e->attrs, PARKING_ATTR_ATTEMPTS);
    if (attempts || parked)
        printf("attempts  %s%s\n", attempts ? attempts : "?", parked && !strcmp(parked, "true") ? " (parked)" : "");
    printf("copies    %ld on %s (this is the newest)\n", fs.copies, topic.buf);
    if (e->src_topic)
        printf("from      %s partition %d offset %lld\n", e->src_topic, (int)e->src_partition, (long long)e->src_offset);
    printf("error     %s\n", e->error ? e->error : "");
    if (e->attrs.n) {
        printf("attributes\n");
        for (size_t i = 0; i < e->attrs.n; i++)
            printf("  %s = %s\n", e->attrs.keys[i], e->attrs.vals[i]);
    }
    print_body(e->source.len ? "body (after the script and mapping)" : "body (the record as read)", &e->body);
    if (e->source.len)
        print_body("source (the record as read)", &e->source);
    printf("replay it: flowctl replay %s --key %s\n", e->flow, e->key);
    strbuf_release(&when);
    rc = 0;
out:
    if (fs.found)
        envelope_release(&fs.newest);
    flow_set_release(&set);
    strbuf_release(&topic);
    strbuf_release(&err);
    return rc;
}
