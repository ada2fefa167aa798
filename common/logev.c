/*
 * logev.c: log-topic JSON and service log lines. Written straight into a
 * strbuf (no jansson tree: this runs once per record per step on the hot
 * path). Every event has the same head (v, kind, ts, flow, flow_type,
 * run_id); the schema in docs/ lists what follows for each kind.
 */
#include "logev.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

const char *const logev_outcomes[] = { "success", "failed", "parked", "skipped", "error", NULL };
const char *const logev_stages[] = { "read",  "script",         "mapping",        "transform", "login",
                                     "query", "write_erp",      "check_response", "write_omnitron",
                                     "write", "post_script",    "decode",         NULL };
const char *const logev_skip_reasons[] = { "already_in_erp", "answer_lost", "already_done", "in_flight_elsewhere",
                                           "removed_by_script",
                                           NULL };
const char *const logev_run_statuses[] = { "in_progress", "success", "failed", "empty", NULL };

int logev_known(const char *const *list, const char *word)
{
    for (; word && *list; list++)
        if (!strcmp(*list, word))
            return 1;
    return 0;
}

void logev_time(strbuf *out, int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strbuf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void str_field(strbuf *out, const char *name, const char *val)
{
    strbuf_addf(out, ",\"%s\":", name);
    if (!val) {
        strbuf_addstr(out, "null");
        return;
    }
    strbuf_addch(out, '"');
    strbuf_add_json_escaped(out, val, strlen(val));
    strbuf_addch(out, '"');
}

static void time_field(strbuf *out, const char *name, int64_t ms)
{
    strbuf_addf(out, ",\"%s\":\"", name);
    logev_time(out, ms);
    strbuf_addch(out, '"');
}

static void head(strbuf *out, const char *kind, const envelope *e, int64_t now)
{
    strbuf_addf(out, "{\"v\":%d", LOGEV_VERSION);
    str_field(out, "kind", kind);
    time_field(out, "ts", now);
    str_field(out, "flow", e->flow ? e->flow : "");
    str_field(out, "flow_type", e->flow_type ? e->flow_type : "");
    str_field(out, "run_id", e->run_id);
}

void logev_run(strbuf *out, const envelope *e, const char *event, const char *status,
               const run_counts *counts, int64_t now)
{
    const char *by = attrs_get(&e->attrs, "run.triggered_by");
    const char *trig = attrs_get(&e->attrs, "run.is_triggered");
    int manual = trig && strcmp(trig, "true") == 0;
    int finished = strcmp(event, "finished") == 0;
    head(out, "run", e, now);
    str_field(out, "event", event);
    /* Integrator's main log: state start / in progress / finished */
    str_field(out, "state", !strcmp(event, "started") ? "start" : finished ? "finished" : "in_progress");
    str_field(out, "status", status);
    str_field(out, "triggered_by", by && *by && strcmp(by, "system") != 0 ? by : "System");
    strbuf_addf(out, ",\"is_triggered\":%s", manual ? "true" : "false");
    str_field(out, "trigger", manual ? "manual" : "scheduled");
    time_field(out, "created_at", counts && counts->started_ms > 0 ? counts->started_ms : now);
    if (counts) {
        strbuf_addf(out, ",\"counts\":{\"published\":%ld,\"succeeded\":%ld,\"failed\":%ld,\"skipped\":%ld}",
                    counts->published, counts->succeeded, counts->failed, counts->skipped);
        /* what the reader's lists gave, and why it stopped early (if it did) */
        if (counts->list_requests > 0) {
            strbuf_addf(out, ",\"list\":{\"listed\":%ld,\"requests\":%ld", counts->listed, counts->list_requests);
            if (counts->list_count >= 0)
                strbuf_addf(out, ",\"count\":%ld", counts->list_count);
            if (counts->list_pages > 0)
                strbuf_addf(out, ",\"pages\":%ld", counts->list_pages);
            strbuf_addch(out, '}');
        }
        if (counts->error[0])
            str_field(out, "error", counts->error);
        if (counts->started_ms > 0)
            time_field(out, "started_at", counts->started_ms);
    }
    if (finished) {
        time_field(out, "finished_at", now);
        if (counts && counts->started_ms > 0)
            strbuf_addf(out, ",\"duration_ms\":%lld", (long long)(now - counts->started_ms));
    }
    strbuf_addch(out, '}');
}

static void common_tail(strbuf *out, const envelope *e, long http_status, const char *error, double duration_ms,
                        int tries)
{
    if (http_status > 0)
        strbuf_addf(out, ",\"http_status\":%ld", http_status);
    else
        strbuf_addstr(out, ",\"http_status\":null");
    str_field(out, "error", error && *error ? error : NULL);
    strbuf_addf(out, ",\"duration_ms\":%.3f,\"attempt\":%u,\"tries\":%d", duration_ms > 0 ? duration_ms : 0.0,
                e->attempt ? e->attempt : 1, tries > 0 ? tries : 1);
}

void logev_record(strbuf *out, const envelope *e, const logev_rec *r, int64_t now)
{
    int skipped = r->outcome && !strcmp(r->outcome, "skipped");
    head(out, "record", e, now);
    str_field(out, "key", e->key);
    str_field(out, "stage", r->stage);
    str_field(out, "outcome", r->outcome);
    /* a skip is not an error: it carries a reason */
    str_field(out, "reason", skipped ? (r->reason ? r->reason : "") : NULL);
    common_tail(out, e, r->http_status, skipped ? NULL : r->error, r->duration_ms, r->tries);
    strbuf_addstr(out, ",\"attrs\":{");
    int first = 1;
    for (size_t i = 0; i < e->attrs.n; i++) {
        if (strncmp(e->attrs.keys[i], "log.", 4) != 0)
            continue;
        if (!first)
            strbuf_addch(out, ',');
        first = 0;
        strbuf_addch(out, '"');
        strbuf_add_json_escaped(out, e->attrs.keys[i], strlen(e->attrs.keys[i]));
        strbuf_addstr(out, "\":\"");
        strbuf_add_json_escaped(out, e->attrs.vals[i], strlen(e->attrs.vals[i]));
        strbuf_addch(out, '"');
    }
    strbuf_addstr(out, "}}");
}

void logev_step(strbuf *out, const envelope *e, const char *step, const char *status, long http_status,
                const char *error, double duration_ms, int tries, int64_t now)
{
    head(out, "step", e, now);
    str_field(out, "key", e->key);
    str_field(out, "step", step);
    str_field(out, "status", status);
    common_tail(out, e, http_status, error, duration_ms, tries);
    strbuf_addch(out, '}');
}

/* ---- service log lines ---- */

int logev_json_lines(void)
{
    static int fmt = -1;   /* read once; a benign race (every reader gets the same answer) */
    if (fmt < 0) {
        const char *v = getenv("FLOWFLEET_LOG_FORMAT");
        fmt = v && !strcmp(v, "json");
    }
    return fmt;
}

void logev_say(const char *service, const char *level, const envelope *e, const char *fmt, ...)
{
    strbuf msg = STRBUF_INIT, line = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    while (msg.len && msg.buf[msg.len - 1] == '\n')
        strbuf_setlen(&msg, msg.len - 1);
    if (logev_json_lines()) {
        strbuf_addstr(&line, "{\"ts\":\"");
        logev_time(&line, clock_wall_ms());
        strbuf_addch(&line, '"');
        str_field(&line, "service", service ? service : "");
        str_field(&line, "level", level ? level : "info");
        str_field(&line, "message", msg.buf);
        if (e && e->flow && *e->flow)
            str_field(&line, "flow", e->flow);
        if (e && e->run_id && *e->run_id)
            str_field(&line, "run_id", e->run_id);
        if (e && e->key && *e->key)
            str_field(&line, "key", e->key);
        strbuf_addstr(&line, "}\n");
    } else {
        strbuf_addf(&line, "%s: %s\n", service ? service : "", msg.buf);
    }
    /* one write: lines of different threads do not interleave */
    ssize_t w = write(STDERR_FILENO, line.buf, line.len);
    (void)w;
    strbuf_release(&msg);
    strbuf_release(&line);
}
