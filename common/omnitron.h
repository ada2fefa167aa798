/*
 * omnitron: the Omnitron calls every flow type makes, with the flow's
 * Omnitron URL, HTTP settings and token (an auth_session of the flow).
 */
#ifndef FF_OMNITRON_H
#define FF_OMNITRON_H

#include <jansson.h>

#include "auth.h"
#include "flow.h"
#include "jsontext.h"
#include "stage.h"

/* GET omnitron_url + path (or path itself when it is a full http(s) URL,
 * e.g. a list's next link): the parsed JSON body of a 2xx answer (new
 * reference), or NULL with err ("GET <url>: HTTP 500: ...") and *status the
 * last HTTP status (0 for no answer). */
json_t *omnitron_get(stage_ctx *c, const flow *f, auth_session *auth, const char *path, long *status, strbuf *err);
/* The same for a list whose results' ids are all that is wanted: the
 * results' own containers (and those of a bare array's elements) come back
 * as null, checked but not built. */
json_t *omnitron_get_list(stage_ctx *c, const flow *f, auth_session *auth, const char *path, long *status,
                          strbuf *err);
/* The same, for a body wanted as text: appends it to out (the caller's),
 * checked and minified by jsontext_minify (top, when not NULL, says what the
 * top value is), and returns 0; or -1 with err and *status as above ("GET
 * <url>: malformed JSON: ..." for an invalid body) and out as it was. */
int omnitron_get_text(stage_ctx *c, const flow *f, auth_session *auth, const char *path, strbuf *out,
                      jsontext_top *top, long *status, strbuf *err);
/* Sends body (JSON) with method to omnitron_url + tmpl, {pk} filled. 0 on
 * a 2xx, else -1 with err and *status (0: no answer). */
int omnitron_send(stage_ctx *c, const flow *f, auth_session *auth, const char *method, const char *tmpl,
                  const char *pk, json_t *body, long *status, strbuf *err);

/* The records of a list answer: a DRF page's "results", or the answer
 * itself when it is a list; borrowed or NULL. */
json_t *omnitron_results(json_t *answer);
/* An object's id: its "pk", else its "id"; borrowed or NULL. */
json_t *omnitron_record_id(json_t *obj);

#endif
