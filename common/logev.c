/*
 * logev.c: log-topic JSON. Written straight into a strbuf (no jansson tree:
 * this runs once per record per stage on the hot path).
 */
#include "logev.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>

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

static void head(strbuf *out, const char *kind, const envelope *e, int64_t now)
{
    strbuf_addf(out, "{\"v\":%d", LOGEV_VERSION);
    str_field(out, "kind", kind);
    strbuf_addstr(out, ",\"ts\":\"");
    logev_time(out, now);
    strbuf_addch(out, '"');
    str_field(out, "flow", e->flow);
    str_field(out, "flow_type", e->flow_type);
    str_field(out, "run_id", e->run_id);
}

void logev_run(strbuf *out, const envelope *e, const char *event, const char *status,
               const run_counts *counts, int64_t now)
{
    const char *by = attrs_get(&e->attrs, "run.triggered_by");
    const char *trig = attrs_get(&e->attrs, "run.is_triggered");
    head(out, "run", e, now);
    str_field(out, "event", event);
    str_field(out, "status", status);
    str_field(out, "triggered_by", by ? by : "system");
    strbuf_addf(out, ",\"is_triggered\":%s", trig && strcmp(trig, "true") == 0 ? "true" : "false");
    if (counts) {
        strbuf_addf(out, ",\"counts\":{\"published\":%ld,\"succeeded\":%ld,\"failed\":%ld,\"skipped\":%ld}",
                    counts->published, counts->succeeded, counts->failed, counts->skipped);
        /* what the reader's lists gave, and why it stopped early (if it did) */
        if (counts->list_requests > 0) {
            strbuf_addf(out, ",\"list\":{\"listed\":%ld,\"requests\":%ld", counts->listed, counts->list_requests);
            if (counts->list_count >= 0)
                strbuf_addf(out, ",\"count\":%ld", counts->list_count);
            strbuf_addch(out, '}');
        }
        if (counts->error[0])
            str_field(out, "error", counts->error);
        if (counts->started_ms > 0) {
            strbuf_addstr(out, ",\"started_at\":\"");
            logev_time(out, counts->started_ms);
            strbuf_addch(out, '"');
        }
    }
    if (strcmp(event, "finished") == 0) {
        strbuf_addstr(out, ",\"finished_at\":\"");
        logev_time(out, now);
        strbuf_addch(out, '"');
    }
    strbuf_addch(out, '}');
}

void logev_record(strbuf *out, const envelope *e, const char *stage, const char *outcome,
                  long http_status, const char *error, double duration_ms, int64_t now)
{
    head(out, "record", e, now);
    str_field(out, "key", e->key);
    str_field(out, "stage", stage);
    str_field(out, "outcome", outcome);
    if (http_status > 0)
        strbuf_addf(out, ",\"http_status\":%ld", http_status);
    else
        strbuf_addstr(out, ",\"http_status\":null");
    str_field(out, "error", error && *error ? error : NULL);
    strbuf_addf(out, ",\"duration_ms\":%.3f,\"attempt\":%u", duration_ms, e->attempt);
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
