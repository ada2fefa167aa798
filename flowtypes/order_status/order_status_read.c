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
 * The expression URL also sees `last.request`: the cursor's text, and
 * the two default trigger parameters, number and the Modified Date key,
 * as `http.query.param.<name>` even when the run does not send them: ""
 * then. They exist on every trigger of the product, so the seed's URL
 * expression, which tests `http.query.param.sku` before it uses `number`,
 * takes its date branch with an empty date on a trigger by number, as
 * NiFi evaluates it (with the attribute absent NiFi's replace() would
 * fail on the null instead).
 *
 * Each ERP page is published as ONE record (the Script and the Mapping run
 * on the whole answer, as the product runs them), keyed "page-<n>", with
 * the attributes erp.page and erp.url. The transformer splits it into rows.
 *
 * Only an automatic run (the scheduler's tick: run.is_triggered "false")
 * moves the cursor, to the time its tick was made, and only when every
 * page was read and published. A manual run never moves it.
 *
 * The paging cap (erp.read.paging.max_requests) reached with the list not
 * ended fails the run and the cursor stays, unless the answer is sorted by
 * modified date (erp.read.sorted_by_modified_date) and the run is
 * automatic: then every row published so far is older than every row not
 * read yet, so the run ends there and the cursor moves to the newest
 * published row's modified date (erp.read.modified_date_path, read in the
 * cursor's zone and format) less 1 ms (rows of that same instant not read
 * yet are read by the next run; rows read twice are harmless). A large
 * backlog is so worked through over several runs. A cursor that would not
 * move forward (no row with a modified date, or more than a cap's worth
 * of rows at one instant) fails the run instead.
 */
#include "order_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonpath.h"
#include "jsontext.h"
#include "logev.h"

/* how long a run may hold its flow's read lock (a crashed reader's lock expires) */
#define READ_LOCK_MS (10LL * 60 * 1000)

typedef struct pager {
    stage_ctx *c;
    const flow *f;
    const envelope *tick;
    const order_status_settings *o;
    int64_t newest_ms;          /* the newest modified date of a published row (-1: none) */
} pager;

/* Notes the newest modified date of the page's rows (sorted answers). */
static void note_newest(pager *pg, json_t *answer)
{
    const order_status_settings *o = pg->o;
    json_t *rows = jsonpath_get(answer, o->rows_path);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        json_t *d = jsonpath_get(r, o->modified_date_path);
        int64_t ms = json_is_string(d) ? order_status_parse_time(json_string_value(d), o->cursor_timezone,
                                                                 o->cursor_format) : -1;
        if (ms > pg->newest_ms)
            pg->newest_ms = ms;
    }
}

static int publish_page(void *arg, long page, const char *url, json_t *answer, const strbuf *text, size_t rows,
                        strbuf *err)
{
    pager *pg = arg;
    envelope e;
    strbuf key = STRBUF_INIT, n = STRBUF_INIT;
    int rc = 0;
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
    if (rc == 0 && pg->o->sorted_by_modified)
        note_newest(pg, answer);
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
                           int64_t started_ms, attrs *query, attrs *vars, int64_t *cursor_ms, strbuf *err)
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
    *cursor_ms = from;
    from -= o->cursor_look_back_ms;
    if (order_status_format_time(from, o->cursor_timezone, o->cursor_format, &text, err) < 0) {
        strbuf_release(&cur);
        strbuf_release(&text);
        return -1;
    }
    attrs_set(vars, "last.request", text.buf);
    /* the default trigger parameters, "" when not sent (see the top) */
    strbuf_setf(&cur, "http.query.param.%s", o->number_param);
    attrs_set(vars, cur.buf, "");
    strbuf_setf(&cur, "http.query.param.%s", o->modified_key);
    attrs_set(vars, cur.buf, "");
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

void order_status_erpread_config(const order_status_settings *o, erpread_config *cfg)
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
    cfg->seek_in_answer = o->seek_from && strcmp(o->seek_from, "answer") == 0;
    cfg->next_path = o->next_path;
    cfg->next_param = o->next_param;
    cfg->max_requests = o->max_requests;
    cfg->xml = o->xml ? &o->xml_opt : NULL;
}

/* A sorted run stopped at the cap: *cursor_to gets the newest published
 * row's modified date less 1 ms. 0, or -1 with err when that would not
 * move the cursor forward from cursor_ms. */
static int capped_cursor(const order_status_settings *o, int64_t cursor_ms, const pager *pg, int64_t *cursor_to,
                         strbuf *err)
{
    if (pg->newest_ms < 0) {
        strbuf_seterr(err, "stopped after %ld requests (erp.read.paging.max_requests) with the list not ended, and "
                      "no row published had a modified date at \"%s\" in the format %s: the cursor stays",
                      o->max_requests, o->modified_date_path, o->cursor_format);
        return -1;
    }
    if (pg->newest_ms - 1 <= cursor_ms) {
        strbuf_seterr(err, "stopped after %ld requests (erp.read.paging.max_requests) with the list not ended, and "
                      "the newest row read is not newer than the cursor: more rows than a run reads changed at one "
                      "instant (raise max_requests or page_size); the cursor stays", o->max_requests);
        return -1;
    }
    *cursor_to = pg->newest_ms - 1;
    return 0;
}

int order_status_read(stage_ctx *c, const flow *f, const envelope *tick)
{
    const order_status_settings *o = order_status_settings_of(f);
    strbuf err = STRBUF_INIT, utc = STRBUF_INIT;
    attrs query = ATTRS_INIT, vars = ATTRS_INIT;
    auth_session auth;
    erpread_config cfg;
    erpread_stats st = { 0, 0, 0, 0, 0 };
    run_counts k;
    pager pg = { c, f, tick, o, -1 };
    int64_t cursor_ms = -1;
    int rc = 0;
    /* the tick's own time: a reader restarted mid-run reads the same run again */
    int64_t started = tick->created_ms > 0 ? tick->created_ms : clock_wall_ms();
    store_run_start(c->store, tick->run_id, clock_wall_ms(), &err);
    stage_log_run(c, tick, "started", "in_progress", NULL);
    auth_init(&auth, c, f, 1);
    order_status_erpread_config(o, &cfg);
    cfg.cap_ends_run = o->sorted_by_modified && !is_manual(tick);
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
    } else if (order_status_run_query(c, f, o, tick, started, &query, &vars, &cursor_ms, &err) < 0 ||
        erpread_run(c, f, &auth, &cfg, &query, &vars, publish_page, &pg, &st, &err) < 0 ||
        (st.capped && capped_cursor(o, cursor_ms, &pg, &started, &err) < 0)) {
        rc = -1;
        logev_say("reader", "error", NULL, "%s: %s", f->name, err.buf);
        stage_log_record(c, tick, "read", "failed", st.last_status, err.buf, 0);
    } else if (!is_manual(tick)) {
        strbuf e2 = STRBUF_INIT;
        order_status_utc_text(started, &utc);
        if (st.capped)
            logev_say(c->service, "info", tick, "%s: stopped after %ld requests (erp.read.paging.max_requests) "
                      "with the list not ended; the answer is sorted by modified date, so the cursor moves to %s "
                      "and the next run reads on", f->name, st.requests, utc.buf);
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
    if (store_run_note(c->store, tick->run_id, st.rows, st.requests, -1, st.pages, rc < 0 ? note.buf : NULL, &err) < 0)
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
