/*
 * stage_transform.c: the Script Step then the Mapping Step.
 *
 * The record as read is kept in the envelope's `source` (the writer needs
 * the Omnitron ids a mapping may drop) as soon as a step is about to change
 * the body; an empty source means the body is the record as read, so a flow
 * with neither step does not carry the order twice through Kafka. Tokens are
 * put into the attributes for the script (fresh from the store) and taken
 * out again before the record goes back to Kafka: secrets do not travel in
 * topics.
 */
#include "stage.h"

#include "auth.h"
#include "flow_type.h"

#include <jansson.h>
#include <string.h>

#include "jolt.h"
#include "jsontext.h"
#include "logev.h"
#include "pushclaim.h"

static void drop_tokens(attrs *a)
{
    attrs_remove(a, "token.omnitron");
    attrs_remove(a, "token.erp");
    attrs_remove(a, "allVar");
}

/* Runs a script step on e (body in, body out). 0 ok, 1 dropped, -1 failed (already failed). */
int stage_run_script(stage_ctx *c, const flow *f, const flow_script *s, envelope *e, const char *stage_name,
                     strbuf *output)
{
    strbuf msg = STRBUF_INIT;
    auth_script_tokens(c, f, &e->attrs);
    int r = flow_script_run(s, &e->attrs, e->body.buf, e->body.len, stage_name, output, &msg);
    drop_tokens(&e->attrs);
    if (r < 0)
        stage_fail(c, e, stage_name, 0, msg.buf);
    strbuf_release(&msg);
    return r;
}

int stage_map_text(const flow *f, const char *in, size_t len, strbuf *out, strbuf *err)
{
    strbuf e = STRBUF_INIT;
    /* text to text: the engine reads only what the mapping can use */
    int r = jolt_apply_text(f->mapping, in, len, NULL, out, &e);
    if (r < 0) {
        strbuf perr = STRBUF_INIT;
        json_t *v = jsontext_parse(in, len, &perr);   /* which of the two it was */
        if (!v)
            strbuf_setf(err, "mapping: the record is not valid JSON: %s", perr.buf);
        else
            strbuf_setf(err, "mapping: %s", e.buf);
        json_decref(v);
        strbuf_release(&perr);
    }
    strbuf_release(&e);
    return r;
}

int stage_script_step(stage_ctx *c, const flow *f, envelope *e)
{
    if (!f->script.script)
        return 0;
    strbuf out = STRBUF_INIT;
    int r = stage_run_script(c, f, &f->script, e, "script", &out);
    if (r == 1) {
        stage_log_record(c, e, "script", "skipped", 0, "removed_by_script", 0);
        stage_outcome(c, e, "skipped");
    } else if (r == 0) {
        strbuf_reset(&e->body);
        strbuf_add(&e->body, out.buf, out.len);
    }
    strbuf_release(&out);
    return r;
}

/* A pushed record (receiver.c) is claimed as taken on its first delivery
 * (pushclaim.h). 1 when its push was refused (answered 503: the message
 * came late and is dropped, logged) or the claim cannot be made (the
 * record failed, kept for replay); 0 to go on. */
static int stage_push_refused(stage_ctx *c, const flow *f, envelope *e)
{
    const char *pushed = attrs_get(&e->attrs, "run.pushed");
    if (e->attempt > 1 || !pushed || strcmp(pushed, "true") != 0)
        return 0;
    strbuf err = STRBUF_INIT;
    int t = pushclaim_take(c->store, e->run_id, f->receiver_idem_ms, &err);
    if (t == 0)
        logev_say(c->service, "warning", e,
                  "push %s was answered 503 (not acknowledged in time) and reached Kafka later: dropped; its pusher "
                  "pushes it again",
                  e->run_id ? e->run_id : "");
    else if (t < 0) {
        strbuf_insertstr(&err, 0, "transform: cannot claim the push: ");
        stage_fail(c, e, "transform", 0, err.buf);
    }
    strbuf_release(&err);
    return t != 1;
}

void stage_transform(stage_ctx *c, envelope *e)
{
    const flow *f = flow_set_find(c->flows, e->flow);
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    if (!f) {
        strbuf_setf(&err, "no flow named \"%s\" is loaded here", e->flow ? e->flow : "");
        stage_fail(c, e, "transform", 0, err.buf);
        goto done;
    }
    if (stage_push_refused(c, f, e))
        goto done;
    if (f->ft->transform) {
        f->ft->transform(c, f, e);
        goto done;
    }
    if ((f->script.script || f->mapping) && !e->source.len)
        strbuf_add(&e->source, e->body.buf, e->body.len);

    if (stage_script_step(c, f, e) != 0)
        goto done;
    if (f->mapping) {
        if (stage_map_text(f, e->body.buf, e->body.len, &out, &err) < 0) {
            stage_fail(c, e, "mapping", 0, err.buf);
            goto done;
        }
        strbuf_reset(&e->body);
        strbuf_add(&e->body, out.buf, out.len);
    }
    if (stage_emit(c, TOPIC_MAPPED, e, &err) < 0)
        stage_fail(c, e, "transform", 0, err.buf);
done:
    strbuf_release(&err);
    strbuf_release(&out);
}
