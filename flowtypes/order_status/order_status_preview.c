/*
 * order_status_preview.c: flowctl's two views of an Order Status flow.
 *
 * `flowctl example FLOW NUMBER` asks the ERP for one order's statuses as a
 * manual run by number would (the same query parameters, the same URL
 * expression and encoding, the same login), and prints the first page as
 * the reader publishes it: the example input the Script Testing and
 * Mapping Testing panels start from. It needs no Redis (no cursor: the
 * expression's last.request is a first run's).
 *
 * `flowctl preview FLOW --input PAGE` runs on a page what the transformer
 * and the writer would (the Script, the Mapping, the row check, the row
 * script) and lists one bulk_status_update per row, sending nothing.
 */
#include "order_status.h"

#include <string.h>

#include "clock.h"
#include "httpcall.h"
#include "jsontext.h"

typedef struct first_page {
    strbuf text;
    int got;
} first_page;

static int take_first(void *arg, long page, const char *url, json_t *answer, const strbuf *text, size_t rows,
                      strbuf *err)
{
    first_page *fp = arg;
    (void)page;
    (void)url;
    (void)answer;
    (void)rows;
    strbuf_add(&fp->text, text->buf, text->len);
    fp->got = 1;
    strbuf_setf(err, "(the first page is enough)");
    return -1;
}

int order_status_example(stage_ctx *c, const flow *f, const char *key, strbuf *out, strbuf *err)
{
    const order_status_settings *o = order_status_settings_of(f);
    if (!o->read.url_text) {
        strbuf_seterr(err, "an outbound flow has no erp.read: its example is what the ERP pushes");
        return -1;
    }
    envelope tick;
    attrs query = ATTRS_INIT, vars = ATTRS_INIT;
    erpread_config cfg;
    auth_session auth;
    first_page fp = { STRBUF_INIT, 0 };
    envelope_init(&tick);
    attrs_set(&tick.attrs, o->number_param, key);
    attrs_set(&tick.attrs, "run.is_triggered", "true");
    order_status_erpread_config(o, &cfg);
    auth_init(&auth, c, f, 1);
    int64_t cursor_ms;
    int rc = order_status_run_query(c, f, o, &tick, clock_wall_ms(), &query, &vars, &cursor_ms, err);
    if (rc == 0 && erpread_run(c, f, &auth, &cfg, &query, &vars, take_first, &fp, NULL, err) < 0 && !fp.got)
        rc = -1;
    if (rc == 0 && !fp.got) {
        strbuf_seterr(err, "the ERP gave no page");
        rc = -1;
    }
    if (rc == 0) {
        strbuf_reset(out);
        strbuf_add(out, fp.text.buf, fp.text.len);
    }
    auth_release(&auth);
    attrs_release(&query);
    attrs_release(&vars);
    envelope_release(&tick);
    strbuf_release(&fp.text);
    return rc;
}

/* Runs sc (when there is one) on text in place: flow_script_run's 0, 1
 * (dropped) or -1 (err says why). */
static int run_script(const flow_script *sc, attrs *a, strbuf *text, const char *step, strbuf *err)
{
    if (!sc->script)
        return 0;
    strbuf out = STRBUF_INIT;
    int r = flow_script_run(sc, a, text->buf, text->len, step, &out, err);
    if (r == 0) {
        strbuf_reset(text);
        strbuf_add(text, out.buf, out.len);
    }
    strbuf_release(&out);
    return r;
}

int order_status_preview(stage_ctx *c, const flow *f, const envelope *rec, json_t *requests, strbuf *err)
{
    (void)c;
    const order_status_settings *o = order_status_settings_of(f);
    strbuf page = STRBUF_INIT, row_text = STRBUF_INIT, note = STRBUF_INIT, why = STRBUF_INIT;
    attrs a = ATTRS_INIT;
    json_t *rows = NULL, *row;
    const char *step = NULL;
    size_t i;
    int rc = 0;
    attrs_copy(&a, &rec->attrs);
    strbuf_add(&page, rec->body.buf, rec->body.len);
    int r = run_script(&f->script, &a, &page, "script", err);
    if (r != 0) {
        rc = r < 0 ? -1 : 0;   /* a page the script drops writes nothing */
        goto out;
    }
    rows = order_status_page_rows(f, &page, &step, err);
    if (!rows) {
        rc = -1;
        goto out;
    }
    json_array_foreach(rows, i, row) {
        json_t *final = json_incref(row);
        strbuf_reset(&row_text);
        jsontext_dump(row, &row_text, 0);
        r = run_script(&o->row_script, &a, &row_text, "row_script", err);
        if (r < 0) {
            rc = -1;
            json_decref(final);
            goto out;
        }
        strbuf_reset(&note);
        if (r == 1) {
            strbuf_addf(&note, "row %zu: the row script removed it: nothing would be written", i + 1);
            json_array_append_new(requests, json_pack("{s:s,s:s}", "step", "row_script", "note", note.buf));
            json_decref(final);
            continue;
        }
        if (o->row_script.script) {
            json_decref(final);
            final = jsontext_parse(row_text.buf, row_text.len, err);
            if (!final) {
                strbuf_insertstr(err, 0, "row_script: its result is not JSON: ");
                rc = -1;
                goto out;
            }
        }
        strbuf_reset(&why);
        order_status_check_row(final, &why);
        if (why.len) {
            strbuf_seterr(err, "row %zu: %s", i + 1, why.buf);
            json_decref(final);
            rc = -1;
            goto out;
        }
        json_t *ord = json_object_get(final, "order");
        strbuf_addf(&note, "row %zu, order ", i + 1);
        if (json_is_string(ord))
            strbuf_addstr(&note, json_string_value(ord));
        else
            jsontext_dump(ord, &note, 0);
        httpcall_preview_omnitron(f, "bulk_status_update", "PATCH", o->path_bulk_status, "", final, note.buf,
                                  requests);
        json_decref(final);
    }
out:
    json_decref(rows);
    attrs_release(&a);
    strbuf_release(&page);
    strbuf_release(&row_text);
    strbuf_release(&note);
    strbuf_release(&why);
    return rc;
}
