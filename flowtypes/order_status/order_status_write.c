/*
 * order_status_write.c: Write Data to Omnitron, one row.
 *
 *   1. the per-row script (optional): one order object in, the final
 *      object out (compiled at its first use, once per process);
 *   2. the row must have "order" and an "orderitem_set" whose items each
 *      have an "id": otherwise it fails with that message, nothing sent;
 *   3. PATCH omnitron.paths.bulk_status_update with the row. The write is
 *      idempotent (the same values again are accepted), so a redelivered
 *      row is simply written again; 5xx, 429 and timeouts are retried by
 *      the HTTP client, a 4xx fails the row with Omnitron's answer.
 * One record event per row.
 */
#include "order_status.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsontext.h"
#include "logev.h"
#include "omnitron.h"
#include "pyscript.h"

void order_status_check_row(json_t *row, strbuf *why)
{
    json_t *ord = json_object_get(row, "order");
    json_t *set = json_object_get(row, "orderitem_set");
    size_t i;
    json_t *it;
    if (!(json_is_string(ord) && json_string_length(ord)) && !json_is_integer(ord)) {
        strbuf_addstr(why, "the row has no \"order\"");
        return;
    }
    if (!json_is_array(set) || !json_array_size(set)) {
        strbuf_addstr(why, "the row has no \"orderitem_set\" (a non-empty list)");
        return;
    }
    json_array_foreach(set, i, it) {
        json_t *id = json_object_get(it, "id");
        if (!json_is_object(it) || !(json_is_integer(id) || (json_is_string(id) && json_string_length(id)))) {
            strbuf_addf(why, "orderitem_set item %zu has no \"id\"", i);
            return;
        }
    }
}

void order_status_write(stage_ctx *c, const flow *f, envelope *e)
{
    const order_status_settings *o = order_status_settings_of(f);
    strbuf err = STRBUF_INIT, out = STRBUF_INIT, why = STRBUF_INIT;
    json_t *row = NULL;
    auth_session auth;
    long status = 0;
    double t0 = clock_mono_ms();
    auth_init(&auth, c, f, 0);
    if (o->row_script.path && !o->row_script.script) {   /* loaded where scripts do not run */
        stage_fail(c, e, "script", 0, "row_script: not compiled in this process (load the flow with scripts)");
        goto out;
    }
    if (o->row_script.script) {
        if (!e->source.len)
            strbuf_add(&e->source, e->body.buf, e->body.len);
        int r = stage_run_script(c, f, &o->row_script, e, "script", &out);
        if (r < 0)
            goto out;
        if (r == 1) {
            stage_log_record(c, e, "script", "skipped", 0, "removed_by_script", 0);
            stage_outcome(c, e, "skipped");
            goto out;
        }
        strbuf_reset(&e->body);
        strbuf_add(&e->body, out.buf, out.len);
    }
    row = jsontext_parse(e->body.buf, e->body.len, &err);
    if (!json_is_object(row)) {
        strbuf_setf(&why, "the row is not a JSON object%s%s", err.len ? ": " : "", err.buf);
        stage_fail(c, e, "write", 0, why.buf);
        goto out;
    }
    order_status_check_row(row, &why);
    if (why.len) {
        stage_fail(c, e, "write", 0, why.buf);
        goto out;
    }
    if (omnitron_send(c, f, &auth, "PATCH", o->path_bulk_status, "", row, &status, &err) < 0) {
        stage_fail(c, e, "write", status, err.buf);
        goto out;
    }
    stage_log_record(c, e, "write", "success", status ? status : 200, NULL, clock_mono_ms() - t0);
    stage_outcome(c, e, "success");
out:
    json_decref(row);
    auth_release(&auth);
    strbuf_release(&err);
    strbuf_release(&out);
    strbuf_release(&why);
}
