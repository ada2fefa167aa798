/*
 * flow_type: what one kind of flow does, behind one table of functions.
 *
 * Each flow type (Order Flow, Order Status Flow, ...) lives in its own
 * folder, flowtypes/<name>/, and exposes one `flow_type`: its name, its
 * settings table, and the functions the services call. The services and
 * common/ never name a type; they look the flow's type up (f->ft) and call
 * through the table. flowtypes/flow_types.c lists the types this build has:
 * adding a type is a new folder plus one line there.
 *
 * A type's own settings live in f->type_data, which only the type reads,
 * through flow_type_data() (a checked downcast: it aborts when the flow is
 * of another type, so a type can never read another's settings as its own).
 *
 * Models: git's ref_storage_be and refs_backends[], Redis's ConnectionType.
 */
#ifndef FF_FLOW_TYPE_H
#define FF_FLOW_TYPE_H

#include <jansson.h>

#include "envelope.h"
#include "flow.h"
#include "settings.h"
#include "stage.h"
#include "strbuf.h"

typedef struct flow_type {
    const char *name;           /* the "type" of a flow file */
    const char *summary;        /* one line for docs and errors */
    const setting *settings;    /* its own settings (checker and docs) */

    /* Reads the type's settings into f->type_data (problems through s).
     * Called after the shared sections are read. */
    void (*load)(flow *f, settings *s);
    /* Frees f->type_data. */
    void (*release)(flow *f);

    /* Reader: one tick -> records on the type's records topic, the run
     * counted. 0, or -1 when the run could not be read at all (logged). */
    int (*read)(stage_ctx *c, const flow *f, const envelope *tick);
    /* Receiver (services/receiver): checks a pushed body and makes it one
     * record (in->body is the pushed JSON; set in->key and attributes):
     * 0, or -1 with err (the pusher gets a 400 with it). NULL: the type
     * takes no pushes. The receiver publishes the record, to the type's
     * records topic, as one message. */
    int (*receive)(const flow *f, envelope *in, strbuf *err);
    /* Transformer: replaces the shared Script + Mapping steps (NULL: shared). */
    void (*transform)(stage_ctx *c, const flow *f, envelope *in);
    /* Writer: one mapped record -> its writes and its final outcome. */
    void (*write)(stage_ctx *c, const flow *f, envelope *in);
    /* flowctl: one example record by its key (an order number...), as the
     * reader would publish it, into out. 0, or -1 with err. */
    int (*example)(stage_ctx *c, const flow *f, const char *key, strbuf *out, strbuf *err);
    /* flowctl preview (optional): the requests the type's writer would
     * send for rec, sending nothing. rec is the record as the transformer
     * passes it on: the body after the shared Script and Mapping steps
     * (a type with its own transform runs it here first), the source the
     * record as read when a step changed it. Appends to requests (a JSON
     * array) one object per request, in the order they would be sent:
     * {"step", "method", "url", "headers": [...], "body" (text, may be
     * absent), "note" (when the request depends on an earlier answer)}.
     * Secrets and tokens are shown as placeholders. 0, or -1 with err. */
    int (*preview)(stage_ctx *c, const flow *f, const envelope *rec, json_t *requests, strbuf *err);
} flow_type;

/* The registry (flowtypes/flow_types.c): every type of this build, NULL-terminated. */
extern const flow_type *const flow_types[];

/* The type named name, or NULL. */
const flow_type *flow_type_find(const char *name);
/* Appends the registry's names, separated by sep. */
void flow_type_names(strbuf *out, const char *sep);
/* f's type data when f is of type ft; aborts otherwise (a programming
 * error: a type reached another type's flow). Borrowed. */
void *flow_type_data(const flow *f, const flow_type *ft);

#endif
