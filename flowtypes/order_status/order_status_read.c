/*
 * order_status_read.c: Read Data From ERP, one tick.
 *
 * The run's query parameters, in this order:
 *   - a run with a number (`flowctl trigger FLOW --param number=X`):
 *     number=X;
 *   - a run given a Modified Date (`--param modified_date__gt=...`): it;
 *   - otherwise the cursor: <modified_date_key>=<cursor - look_back> in
 *     the flow's time zone and format; the cursor is the start of the last
 *     automatic run that read and published every page, kept in Redis in
 *     UTC (store_cursor_*); without one, the run's start - first_run;
 *   - then each custom trigger parameter: the run's --param, else its
 *     stored value.
 * The expression URL also sees `last.request`: the cursor's text.
 *
 * Each ERP page is published as ONE record (the Script and the Mapping run
 * on the whole answer, as the product runs them), keyed "page-<n>", with
 * the attributes erp.page and erp.url. The transformer splits it into rows.
 *
 * Only an automatic run (the scheduler's tick: run.is_triggered "false")
 * moves the cursor, to the time its tick was made, and only when every
 * page was read and published. A manual run never moves it.
 */
#include "order_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsontext.h"
#include "logev.h"

/* how long a run may hold its flow's read lock (a crashed reader's lock expires) */
#define READ_LOCK_MS (10LL * 60 * 1000)

typedef struct pager {
    stage_ctx *c;
    const flow *f;
    const envelope *tick;
} pager;

static int publish_page(void *arg, long page, const char *url, json_t *answer, const strbuf *text, size_t rows,
                        strbuf *err)
{
    pager *pg = arg;
    envelope e;
    strbuf key = STRBUF_INIT, n = STRBUF_INIT;
    int rc = 0;
    (void)answer;
    (void)rows;
    envelope_init(&e);
    envelope_set(&e.flow, pg->f->name);
    envelope_set(&e.flow_type, pg->f->type);
    envelope_set(&e.run_id, pg->tick->run_id);
    e.attempt = 1;
    e.created_ms = clock_wall_ms();
    attrs_copy(&e.attrs, &pg->tick->attrs);
    strbuf_addf(&key, "page-%04ld", page);
    envelope_set(&e.key, key.buf);
    strbuf_addf(&n, "%ld", page);
    attrs_set(&e.attrs, "erp.page", n.buf);
    attrs_set(&e.attrs, "erp.url", url);
    strbuf_add(&e.body, text->buf, text->len);
    /* counted before it is out, so the run cannot complete without it */
    const char *keys[1] = { key.buf };
    if (store_run_published(pg->c->store, pg->tick->run_id, keys, 1, 0, NULL, err) < 0 ||
        stage_emit(pg->c, TOPIC_RECORDS, &e, err) < 0)
        rc = -1;
    else
        stage_log_step(pg->c, &e, "read", "success", 200, NULL, 0);
    envelope_release(&e);
    strbuf_release(&key);
    strbuf_release(&n);
    return rc;
}

static int is_manual(const envelope *tick)
{
    const char *t = attrs_get(&tick->attrs, "run.is_triggered");
    return t && strcmp(t, "true") == 0;
}

int order_status_run_query(stage_ctx *c, const flow *f, const order_status_settings *o, const envelope *tick,
                     int64_t started_ms, attrs *query, attrs *vars, strbuf *err)
{
    const char *number = attrs_get(&tick->attrs, o->number_param);
    const char *md = attrs_get(&tick->attrs, o->modified_key);
    strbuf cur = STRBUF_INIT, text = STRBUF_INIT;
    int64_t from;
    attrs_copy(vars, &tick->attrs);
    int got = c->store ? store_cursor_get(c->store, f->name, &cur, err) : 0;
    if (got < 0) {
        strbuf_release(&cur);
        return -1;
    }
    from = got == 1 ? order_status_parse_utc(cur.buf) : -1;
    if (from < 0)
        from = started_ms - o->cursor_first_run_ms;
    from -= o->cursor_look_back_ms;
    if (order_status_format_time(from, o->cursor_timezone, o->cursor_format, &text, err) < 0) {
        strbuf_release(&cur);
        strbuf_release(&text);
        return -1;
    }
    attrs_set(vars, "last.request", text.buf);
    if (number && *number)
        attrs_set(query, o->number_param, number);
    else if (md && *md)
        attrs_set(query, o->modified_key, md);
    else
        attrs_set(query, o->modified_key, text.buf);
    if (o->trigger_params) {
        const char *k;
        json_t *v;
        json_object_foreach(o->trigger_params, k, v) {
            const char *given = attrs_get(&tick->attrs, k);
            strbuf_reset(&cur);
            if (given)
                strbuf_addstr(&cur, given);
            else if (json_is_string(v))
                strbuf_addstr(&cur, json_string_value(v));
            else if (!json_is_null(v))
                jsontext_dump(v, &cur, 0);
            attrs_set(query, k, cur.buf);
        }
    }
    strbuf_release(&cur);
    strbuf_release(&text);
    return 0;
}

void order_status_read_config(const order_status_settings *o, erpread_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->call = &o->read;
    cfg->url_is_expr = o->url_is_expr;
    cfg->params = o->params;
    cfg->rows_path = o->rows_path;
    erpread_mode_parse(o->paging_mode, &cfg->mode);
    cfg->page_size = o->page_size;
    cfg->start = o->page_start;
    cfg->offset_param = o->offset_param;
    cfg->limit_param = o->limit_param;
    cfg->seek_param = o->seek_param;
    cfg->seek_path = o->seek_path;
    cfg->next_path = o->next_path;
    cfg->max_requests = o->max_requests;
    cfg->xml = o->xml ? &o->xml_opt : NULL;
}

int order_status_read(stage_ctx *c, const flow *f, const envelope *tick)
{
    const order_status_settings *o = order_status_settings_of(f);
    strbuf err = STRBUF_INIT, utc = STRBUF_INIT;
    attrs query = ATTRS_INIT, vars = ATTRS_INIT;
    auth_session auth;
    erpread_config cfg;
    erpread_stats st = { 0, 0, 0, 0 };
    run_counts k;
    pager pg = { c, f, tick };
    int rc = 0;
    /* the tick's own time: a reader restarted mid-run reads the same run again */
    int64_t started = tick->created_ms > 0 ? tick->created_ms : clock_wall_ms();
    store_run_start(c->store, tick->run_id, clock_wall_ms(), &err);
    stage_log_run(c, tick, "started", "in_progress", NULL);
    auth_init(&auth, c, f, 1);
    order_status_read_config(o, &cfg);
    /* one run of a flow reads at a time: a tick that comes while one does
     * (a slow ERP, a short schedule) would read from the same cursor again */
    strbuf lock = STRBUF_INIT;
    strbuf_addf(&lock, "read:%s", f->name);
    int locked = store_lock_acquire(c->store, lock.buf, tick->run_id, READ_LOCK_MS, &err);
    if (locked == 0) {
        logev_say(c->service, "info", tick, "%s: a run of the flow is reading already: this run reads nothing",
                  f->name);
    } else if (locked < 0) {
        rc = -1;
        stage_log_record(c, tick, "read", "failed", 0, err.buf, 0);
    } else if (!o->read.url_text) {
        rc = -1;
        strbuf_setf(&err, "an outbound flow without erp.read: the ERP pushes its rows, there is nothing to read");
        stage_log_record(c, tick, "read", "failed", 0, err.buf, 0);
    } else if (order_status_run_query(c, f, o, tick, started, &query, &vars, &err) < 0 ||
        erpread_run(c, f, &auth, &cfg, &query, &vars, publish_page, &pg, &st, &err) < 0) {
        rc = -1;
        logev_say("reader", "error", NULL, "%s: %s", f->name, err.buf);
        stage_log_record(c, tick, "read", "failed", st.last_status, err.buf, 0);
    } else if (!is_manual(tick)) {
        strbuf e2 = STRBUF_INIT;
        order_status_utc_text(started, &utc);
        if (store_cursor_set(c->store, f->name, utc.buf, &e2) < 0)
            logev_say("reader", "error", NULL, "%s: cursor: %s", f->name, e2.buf);
        strbuf_release(&e2);
    }
    strbuf note = STRBUF_INIT;
    strbuf_add(&note, err.buf, err.len);
    if (locked == 1)
        store_lock_release(c->store, lock.buf, tick->run_id, &utc);
    strbuf_release(&lock);
    strbuf_reset(&err);
    if (store_run_note(c->store, tick->run_id, st.rows, st.requests, -1, rc < 0 ? note.buf : NULL, &err) < 0)
        logev_say("reader", "error", NULL, "%s: run notes: %s", f->name, err.buf);
    int done = store_run_published(c->store, tick->run_id, NULL, 0, 1, &k, &err);
    if (done >= 0)
        stage_log_run(c, tick, "published", "in_progress", &k);
    if (done == 1)
        stage_run_finished(c, tick, &k);
    else if (done < 0)
        logev_say("reader", "error", NULL, "%s: run counters: %s", f->name, err.buf);
    auth_release(&auth);
    attrs_release(&query);
    attrs_release(&vars);
    strbuf_release(&note);
    strbuf_release(&err);
    strbuf_release(&utc);
    return rc;
}
