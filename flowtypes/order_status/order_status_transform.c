/*
 * order_status_transform.c: the Script Step and the Mapping Step on a
 * whole ERP page (as the product runs them), then one record per row.
 *
 * The result must be an array of objects, the order objects; each becomes
 * a record on the mapped topic keyed by its "order" (a row without one is
 * keyed "<page key>#<index>" and fails in the writer with the reason). A
 * page whose script or mapping fails, or whose result is not an array of
 * objects, fails as one record with the page as read in its body, so a
 * replay runs it again.
 *
 * The run: the rows' keys are added to the run's published records before
 * the page's own outcome is counted (as succeeded), so the run cannot
 * complete between the two.
 */
#include "order_status.h"

#include <stdlib.h>
#include <string.h>

#include "jolt.h"
#include "jsontext.h"
#include "logev.h"

/* The key of a row: its "order" as text, else "". */
static void row_key(json_t *row, strbuf *out)
{
    json_t *k = json_object_get(row, "order");
    strbuf_reset(out);
    if (json_is_string(k))
        strbuf_add(out, json_string_value(k), json_string_length(k));
    else if (json_is_integer(k))
        strbuf_addf(out, "%lld", (long long)json_integer_value(k));
}

/* Fails the page with msg, its body put back to the page as read. */
static void fail_page(stage_ctx *c, envelope *e, const strbuf *page, const char *step, const char *msg)
{
    strbuf_reset(&e->body);
    strbuf_add(&e->body, page->buf, page->len);
    strbuf_reset(&e->source);
    stage_fail(c, e, step, 0, msg);
}

json_t *order_status_page_rows(const flow *f, const strbuf *page, const char **step, strbuf *msg)
{
    strbuf err = STRBUF_INIT;
    json_t *rows = jsontext_parse(page->buf, page->len, &err);
    if (!rows) {
        *step = f->script.script ? "script" : "mapping";
        strbuf_setf(msg, "%s: the page is not valid JSON: %s", *step, err.buf);
        strbuf_release(&err);
        return NULL;
    }
    if (f->mapping) {
        json_t *mapped = jolt_apply(f->mapping, rows, NULL, &err);
        json_decref(rows);
        rows = mapped;
        if (!rows) {
            *step = "mapping";
            strbuf_setf(msg, "mapping: %s", err.buf);
            strbuf_release(&err);
            return NULL;
        }
    }
    strbuf_release(&err);
    json_t *row;
    size_t i;
    int ok = json_is_array(rows);
    json_array_foreach(rows, i, row) ok &= json_is_object(row);
    if (!ok) {
        *step = "transform";
        strbuf_setf(msg, "transform: the script and the mapping must give an array of order objects, got %s",
                    json_is_array(rows) ? "an array with an element that is not an object" : settings_type_name(rows));
        json_decref(rows);
        return NULL;
    }
    return rows;
}

void order_status_transform(stage_ctx *c, const flow *f, envelope *e)
{
    strbuf page = STRBUF_INIT, err = STRBUF_INIT, msg = STRBUF_INIT, key = STRBUF_INIT;
    json_t *rows = NULL;
    char **keys = NULL;
    size_t n = 0, i;
    strbuf_add(&page, e->body.buf, e->body.len);
    if (stage_script_step(c, f, e) != 0)
        goto done;
    const char *step = NULL;
    rows = order_status_page_rows(f, &e->body, &step, &msg);
    if (!rows) {
        fail_page(c, e, &page, step, msg.buf);
        goto done;
    }
    json_t *row;
    n = json_array_size(rows);
    keys = calloc(n + 1, sizeof *keys);
    json_array_foreach(rows, i, row) {
        row_key(row, &key);
        if (!key.len)
            strbuf_addf(&key, "%s#%zu", e->key ? e->key : "page", i);
        keys[i] = strbuf_detach(&key, NULL);
    }
    if (e->attempt <= 1 && n &&
        store_run_published(c->store, e->run_id, (const char *const *)keys, n, 0, NULL, &err) < 0) {
        strbuf_setf(&msg, "transform: run counters: %s", err.buf);
        fail_page(c, e, &page, "transform", msg.buf);
        goto done;
    }
    json_array_foreach(rows, i, row) {
        envelope r;
        envelope_init(&r);
        envelope_set(&r.flow, e->flow);
        envelope_set(&r.flow_type, e->flow_type);
        envelope_set(&r.run_id, e->run_id);
        envelope_set(&r.key, keys[i]);
        r.attempt = e->attempt;
        r.created_ms = e->created_ms;
        attrs_copy(&r.attrs, &e->attrs);
        jsontext_dump(row, &r.body, 0);
        int bad = stage_emit(c, TOPIC_MAPPED, &r, &err) < 0;
        envelope_release(&r);
        if (bad) {
            /* the rows out already are written (idempotent); the page is kept for replay */
            strbuf_setf(&msg, "transform: %s", err.buf);
            fail_page(c, e, &page, "transform", msg.buf);
            goto done;
        }
    }
    stage_log_step(c, e, "transform", "success", 0, NULL, 0);
    /* the rows are the run's records now: the page leaves its counts (a
     * page that fails stays, a failed record kept for replay) */
    stage_outcome(c, e, "withdrawn");
done:
    for (i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    json_decref(rows);
    strbuf_release(&page);
    strbuf_release(&err);
    strbuf_release(&msg);
    strbuf_release(&key);
}
