/*
 * httpcall: how a flow makes an HTTP call, the same for every flow type.
 *
 * httpcall_do sends a request with the flow's HTTP settings (timeouts, the
 * retry policy) and, when given, an auth session's token (a 401 logs in
 * again once). httpcall_render turns a call template of the flow file (URL
 * and headers as NiFi expressions, flow_call) into a URL checked by curl's
 * parser and header lines. The status-code lists and the response-path
 * check ("Custom Response Path" / "Custom Response Path Value") are the
 * ERP query's vocabulary, shared by every type that asks before it writes.
 */
#ifndef FF_HTTPCALL_H
#define FF_HTTPCALL_H

#include <jansson.h>

#include "attrs.h"
#include "auth.h"
#include "flow.h"
#include "http.h"
#include "stage.h"

struct xmljson_options;

/* Performs a request of the flow with its HTTP settings and auth (may be
 * NULL). 0 when an answer came (any status, in resp), -1 when none did. */
int httpcall_do(stage_ctx *c, const flow *f, auth_session *auth, const char *method, const char *url,
                const char *const *headers, const char *body, size_t body_len, http_response *resp);
/* The same with a retry policy of the caller's (NULL: the flow's). */
int httpcall_do_policy(stage_ctx *c, const flow *f, auth_session *auth, const retry_policy *policy, const char *method,
                       const char *url, const char *const *headers, const char *body, size_t body_len,
                       http_response *resp);

/* Evaluates call's URL and headers against vars: 0, or -1 with err.
 * *headers is a NULL-terminated array (JSON content type and accept first);
 * free it with httpcall_headers_free. */
int httpcall_render(const flow_call *call, const attrs *vars, strbuf *url, char ***headers, strbuf *err);
void httpcall_headers_free(char **headers);

/* 1 when status is in codes[0..n). */
int httpcall_has_code(const int *codes, size_t n, long status);
/* Whether the value at path (dotted; "" the whole answer) in resp counts as
 * found: present, not null or empty, and (when value is set) not equal to
 * value, the "nothing here" answer. */
int httpcall_found(json_t *resp, const char *path, const char *value);

/* A call's Response Data Type: the settings <call>.response_type (already
 * read into type: "json", "xml" or NULL for json) and <call>.xml (the
 * conversion's options, only with xml) checked, opt initialised and, for
 * xml, filled. 1 the answers are XML, 0 JSON; problems through s.
 * opt's contents are freed with xmljson_options_release. */
int httpcall_response_load(settings *s, const char *call, const char *type, struct xmljson_options *opt);

/* flowctl preview: one request as {"step", "method", "url", "headers": [...],
 * "body" (absent when NULL), "note" (absent when NULL)}; headers is
 * NULL-terminated (may be NULL). New reference. */
json_t *httpcall_preview(const char *step, const char *method, const char *url, char **headers, const char *body,
                         const char *note);
/* flowctl preview: an Omnitron write appended to requests: omnitron_url +
 * tmpl ({pk} filled in), body (borrowed) as JSON text, the token a
 * placeholder. */
void httpcall_preview_omnitron(const flow *f, const char *step, const char *method, const char *tmpl, const char *pk,
                               json_t *body, const char *note, json_t *requests);

#endif
