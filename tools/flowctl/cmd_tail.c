/*
 * cmd_tail.c: `flowctl tail`, the log topic for people.
 *
 * The log topic has several partitions (run events are keyed by run id,
 * record events by record key), so its messages arrive out of order across
 * them: a record's event can come before its run's "started". tail holds
 * each event for a moment (TAIL_HOLD_MS after it arrived) and prints what
 * it holds in the order of the events' own times ("ts"), so each run reads
 * in order (within one millisecond, a run's "started" before its records
 * and its "finished" after them); with --no-follow it reads up to the topic's end, sorts it all
 * and stops. Every line names the run and, for records, the attempt.
 *
 * Only the fields it shows are read: fields added to the schema later are
 * ignored, a kind it does not know is shown like a record event with its
 * kind, and a message that is not one of ours (not JSON, or no "v" and
 * "kind") is shown as a foreign message with its partition and offset.
 * Step events (one per record per step) are left out unless --steps.
 * --json prints each event as it is on the topic, one per line (a foreign
 * message as {"kind":"foreign",...}).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "clock.h"
#include "flow.h"
#include "flowctl.h"
#include "jsontext.h"
#include "logev.h"

#define TAIL_HOLD_MS 700

typedef struct tail_event {
    char *sort;               /* ts (or the message's time) and its rank in a run, then arrival */
    long seq;
    int64_t arrived_ms;
    char *line;               /* what to print, with its newline */
} tail_event;

typedef struct tail {
    const char *flow, *key, *run;
    char **outcomes;          /* NULL-terminated, NULL: any */
    int json;
    int steps;                /* show "step" events too (one per record per step) */
    pthread_mutex_t mu;
    tail_event *ev;
    size_t n, cap;
    long seq;
} tail;

static volatile int tail_stop;
static void on_int(int s)
{
    (void)s;
    tail_stop = 1;
}

static const char *str(json_t *v, const char *k)
{
    const char *s = json_string_value(json_object_get(v, k));
    return s ? s : "";
}

static int has_outcome(const tail *t, const char *o)
{
    for (char **p = t->outcomes; p && *p; p++)
        if (!strcmp(*p, o))
            return 1;
    return 0;
}

/* The first line of s, at most max bytes. */
static void add_first_line(strbuf *out, const char *s, int max)
{
    const char *nl = strchr(s, '\n');
    int n = nl ? (int)(nl - s) : (int)strlen(s);
    strbuf_addf(out, "%.*s%s", n < max ? n : max, s, n > max ? "..." : "");
}

/* A foreign message: printable, one line, at most 200 bytes. */
static void add_foreign(strbuf *out, const bus_msg *m)
{
    const unsigned char *p = m->payload;
    size_t n = m->len < 200 ? m->len : 200;
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 0x20 && p[i] != 0x7f)
            strbuf_addch(out, (char)p[i]);
        else
            strbuf_addf(out, "\\x%02x", p[i]);
    if (m->len > n)
        strbuf_addf(out, "... (%zu bytes)", m->len);
}

static void format_run(strbuf *out, json_t *v)
{
    json_t *c = json_object_get(v, "counts");
    strbuf_addf(out, "%s  %-10s %-28s RUN %-8s %-11s by %s%s", str(v, "ts"), str(v, "flow"), str(v, "run_id"),
                str(v, "event"), str(v, "status"), json_string_value(json_object_get(v, "triggered_by")) ? str(v, "triggered_by") : "?",
                json_is_true(json_object_get(v, "is_triggered")) ? " (manual)" : "");
    if (json_is_object(c))
        strbuf_addf(out, "  published %lld, succeeded %lld, failed %lld, skipped %lld",
                    (long long)json_integer_value(json_object_get(c, "published")),
                    (long long)json_integer_value(json_object_get(c, "succeeded")),
                    (long long)json_integer_value(json_object_get(c, "failed")),
                    (long long)json_integer_value(json_object_get(c, "skipped")));
    if (*str(v, "error")) {
        strbuf_addstr(out, "  ");
        add_first_line(out, str(v, "error"), 300);
    }
}

/* A record event, or an event of a kind added later (shown with its kind). */
static void format_record(strbuf *out, json_t *v, const char *kind)
{
    strbuf_addf(out, "%s  %-10s %-28s ", str(v, "ts"), str(v, "flow"), str(v, "run_id"));
    if (strcmp(kind, "record"))
        strbuf_addf(out, "%s ", kind);
    strbuf_addf(out, "%-12s %-14s %-8s", str(v, "key"), *str(v, "stage") ? str(v, "stage") : str(v, "step"),
                *str(v, "outcome") ? str(v, "outcome") : *str(v, "status") ? str(v, "status") : str(v, "event"));
    json_t *a = json_object_get(v, "attempt");
    if (json_is_integer(a))
        strbuf_addf(out, " attempt %lld", (long long)json_integer_value(a));
    json_t *tries = json_object_get(v, "tries");
    if (json_is_integer(tries))
        strbuf_addf(out, " tries %lld", (long long)json_integer_value(tries));
    json_t *st = json_object_get(v, "http_status");
    if (json_is_integer(st))
        strbuf_addf(out, " HTTP %lld", (long long)json_integer_value(st));
    json_t *d = json_object_get(v, "duration_ms");
    if (json_is_number(d))
        strbuf_addf(out, " %.1fms", json_number_value(d));
    if (*str(v, "reason"))
        strbuf_addf(out, " (%s)", str(v, "reason"));
    if (*str(v, "error")) {
        strbuf_addstr(out, "  ");
        add_first_line(out, str(v, "error"), 300);
    }
}

/* Queues one message for printing (or drops it when a filter says so). */
static int tail_one(void *ctx, const bus_msg *m)
{
    tail *t = ctx;
    strbuf line = STRBUF_INIT, sort = STRBUF_INIT;
    json_t *v = jsontext_parse(m->payload, m->len, NULL);
    const char *kind = json_string_value(json_object_get(v, "kind"));
    int ours = json_is_object(v) && kind && json_object_get(v, "v");
    int filtered = t->flow || t->key || t->run || t->outcomes;
    if (!ours) {
        if (filtered)
            goto out;
        logev_time(&sort, m->timestamp_ms);
        if (t->json) {
            json_t *f = json_pack("{s:s,s:s,s:i,s:I}", "kind", "foreign", "ts", sort.buf, "partition",
                                  (int)m->partition, "offset", (json_int_t)m->offset);
            strbuf txt = STRBUF_INIT;
            add_foreign(&txt, m);
            json_object_set_new(f, "text", json_string(txt.buf) ? json_string(txt.buf) : json_string("?"));
            jsontext_dump(f, &line, 0);
            json_decref(f);
            strbuf_release(&txt);
        } else {
            strbuf_addf(&line, "%s  (foreign message: not a flowfleet log event; %s partition %d offset %lld) ", sort.buf,
                        m->topic, (int)m->partition, (long long)m->offset);
            add_foreign(&line, m);
        }
        strbuf_addch(&sort, '1');
    } else {
        int is_run = !strcmp(kind, "run");
        if (!strcmp(kind, "step") && !t->steps)
            goto out;
        if ((t->flow && strcmp(str(v, "flow"), t->flow)) || (t->run && strcmp(str(v, "run_id"), t->run)) ||
            (t->key && (is_run || strcmp(str(v, "key"), t->key))) ||
            (t->outcomes && !is_run && !has_outcome(t, *str(v, "outcome") ? str(v, "outcome") : str(v, "status"))))
            goto out;
        if (*str(v, "ts"))
            strbuf_addstr(&sort, str(v, "ts"));
        else
            logev_time(&sort, m->timestamp_ms);
        /* Times have millisecond steps, so a run's "started" and its first
         * record, or its last record and its "finished", often share one,
         * and they come from different partitions in no set order. What
         * happened first is known: a run starts before its records and
         * finishes after them. */
        strbuf_addch(&sort, !is_run ? '1' : !strcmp(str(v, "event"), "started") ? '0'
                                          : !strcmp(str(v, "event"), "finished") ? '2' : '1');
        if (t->json)
            strbuf_add(&line, m->payload, m->len);
        else if (is_run)
            format_run(&line, v);
        else
            format_record(&line, v, kind);
    }
    while (line.len && (line.buf[line.len - 1] == '\n' || line.buf[line.len - 1] == '\r'))
        strbuf_setlen(&line, line.len - 1);
    strbuf_addch(&line, '\n');
    pthread_mutex_lock(&t->mu);
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->ev = realloc(t->ev, t->cap * sizeof *t->ev);
    }
    t->ev[t->n++] = (tail_event){ strbuf_detach(&sort, NULL), t->seq++, clock_mono_ms(), strbuf_detach(&line, NULL) };
    pthread_mutex_unlock(&t->mu);
out:
    json_decref(v);
    strbuf_release(&line);
    strbuf_release(&sort);
    return 0;
}

static int cmp_event(const void *a, const void *b)
{
    const tail_event *x = a, *y = b;
    int c = strcmp(x->sort, y->sort);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Prints, in order, the events held for TAIL_HOLD_MS (all with all): the
 * sorted front of what is held, up to the first event that arrived too
 * recently (one that sorts after it waits for it). */
static void tail_flush(tail *t, int all)
{
    pthread_mutex_lock(&t->mu);
    qsort(t->ev, t->n, sizeof *t->ev, cmp_event);
    int64_t now = clock_mono_ms();
    size_t done = 0;
    while (done < t->n && (all || now - t->ev[done].arrived_ms >= TAIL_HOLD_MS)) {
        fputs(t->ev[done].line, stdout);
        free(t->ev[done].line);
        free(t->ev[done].sort);
        done++;
    }
    memmove(t->ev, t->ev + done, (t->n - done) * sizeof *t->ev);
    t->n -= done;
    fflush(stdout);
    pthread_mutex_unlock(&t->mu);
}

static void *tail_printer(void *arg)
{
    tail *t = arg;
    while (!tail_stop) {
        usleep(200 * 1000);
        tail_flush(t, 0);
    }
    return NULL;
}

#define TAIL_USAGE                                                                                               \
    "usage: flowctl tail [FLOW] [--from-beginning] [--no-follow] [--flow FLOW] [--outcome O[,O...]] [--key KEY]\n" \
    "                    [--run RUN_ID] [--steps] [--json]\n"

/* Whether name is a flow of env's flows folder; 1 yes or cannot tell (said
 * on stderr), 0 no (said on stderr). */
static int tail_flow_known(const flowctl_env *env, const char *name)
{
    flow_set set;
    strbuf err = STRBUF_INIT;
    int r = flow_set_load(&set, env->flows, 0, &err);
    int known = 1;
    if (r < 0) {
        fprintf(stderr, "flowctl tail: cannot check that flow \"%s\" exists: %s\n", name, err.buf);
    } else if (!flow_set_find(&set, name) && !flow_set_find_broken(&set, name)) {
        strbuf names = STRBUF_INIT;
        for (size_t i = 0; i < set.n; i++)
            strbuf_addf(&names, "%s%s", i ? ", " : "", set.flows[i]->name);
        fprintf(stderr, "flowctl tail: unknown flow \"%s\": no flow of that name in %s (flows: %s)\n", name,
                env->flows, names.len ? names.buf : "none");
        strbuf_release(&names);
        known = 0;
    }
    flow_set_release(&set);
    strbuf_release(&err);
    return known;
}

int cmd_tail(int argc, char **argv)
{
    flowctl_env env;
    int from_beginning = 0, follow = 1;
    strbuf err = STRBUF_INIT, topic = STRBUF_INIT, outcomes = STRBUF_INIT;
    tail t;
    memset(&t, 0, sizeof t);
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (!strcmp(argv[i], "--from-beginning"))
            from_beginning = 1;
        else if (!strcmp(argv[i], "--no-follow"))
            follow = 0;
        else if (!strcmp(argv[i], "--json"))
            t.json = 1;
        else if (!strcmp(argv[i], "--steps"))
            t.steps = 1;
        else if (!strcmp(argv[i], "--flow") && i + 1 < argc && !t.flow)
            t.flow = argv[++i];
        else if (!strcmp(argv[i], "--key") && i + 1 < argc)
            t.key = argv[++i];
        else if (!strcmp(argv[i], "--run") && i + 1 < argc)
            t.run = argv[++i];
        else if (!strcmp(argv[i], "--outcome") && i + 1 < argc)
            strbuf_addf(&outcomes, "%s%s", outcomes.len ? "," : "", argv[++i]);
        else if (!t.flow && argv[i][0] != '-')
            t.flow = argv[i];
        else {
            fprintf(stderr, "flowctl tail: unexpected argument \"%s\"\n" TAIL_USAGE, argv[i]);
            strbuf_release(&outcomes);
            return 2;
        }
    }
    if (t.flow && !tail_flow_known(&env, t.flow)) {
        strbuf_release(&outcomes);
        return 2;
    }
    size_t no = 0;
    if (outcomes.len) {
        for (char *save = NULL, *o = strtok_r(outcomes.buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
            t.outcomes = realloc(t.outcomes, (no + 2) * sizeof *t.outcomes);
            t.outcomes[no++] = o;
            t.outcomes[no] = NULL;
        }
    }
    if (flowctl_brokers_reachable(&env, "flowctl tail") < 0) {
        free(t.outcomes);
        strbuf_release(&outcomes);
        return 1;
    }
    signal(SIGINT, on_int);
    signal(SIGTERM, on_int);
    pthread_mutex_init(&t.mu, NULL);
    pthread_t printer;
    int printing = follow && pthread_create(&printer, NULL, tail_printer, &t) == 0;
    bus_topic(&topic, env.prefix, NULL, TOPIC_LOG);
    bus_config bc = flowctl_bus_config(&env);
    int rc = bus_scan(&bc, topic.buf, !from_beginning, follow, &tail_stop, tail_one, &t, &err);
    tail_stop = 1;
    if (printing)
        pthread_join(printer, NULL);
    tail_flush(&t, 1);
    if (rc < 0)
        fprintf(stderr, "flowctl tail: %s\n", err.buf);
    free(t.ev);
    free(t.outcomes);
    pthread_mutex_destroy(&t.mu);
    strbuf_release(&err);
    strbuf_release(&topic);
    strbuf_release(&outcomes);
    return rc < 0 ? 1 : 0;
}
