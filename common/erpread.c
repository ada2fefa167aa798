/*
 * erpread.c: see erpread.h. One request at a time: a page is handed out
 * before the next is asked for, so a run holds one page in memory whatever
 * the list's length. The URLs (offset, next) and markers (seek) of a run
 * are kept in a jansson object used as a set, to stop a list that pages in
 * a circle.
 */
#include "erpread.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "el.h"
#include "httpcall.h"
#include "http.h"
#include "jsonpath.h"
#include "jsontext.h"
#include "xmljson.h"

static const char *const MODE_NAMES[] = { "none", "offset", "seek", "next" };

int erpread_mode_parse(const char *text, erpread_mode *out)
{
    for (int i = 0; i < 4; i++)
        if (text && strcmp(text, MODE_NAMES[i]) == 0) {
            *out = (erpread_mode)i;
            return 0;
        }
    return -1;
}

const char *erpread_mode_name(erpread_mode m)
{
    return MODE_NAMES[m];
}

/* ---- encoding ---- */

static const char HEX[] = "0123456789ABCDEF";

static void add_pct(strbuf *out, unsigned char ch)
{
    strbuf_addch(out, '%');
    strbuf_addch(out, HEX[ch >> 4]);
    strbuf_addch(out, HEX[ch & 15]);
}

/* Appends s[0..n) with the bytes of set, controls, DEL and non-ASCII
 * percent-encoded; a '%' is kept when two hex digits follow (already
 * encoded) and keep_pct is set. */
static void encode(strbuf *out, const char *s, size_t n, const char *set, int keep_pct)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '%') {
            if (keep_pct && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2]))
                strbuf_addch(out, '%');
            else
                add_pct(out, ch);
        } else if (ch < 0x20 || ch >= 0x7f || strchr(set, ch)) {
            add_pct(out, ch);
        } else {
            strbuf_addch(out, (char)ch);
        }
    }
}

/* OkHttp's HttpUrl encode sets for a path segment and a whole query. */
#define PATH_SET " \"<>^`{}|\\"
#define QUERY_SET " \"'<>"
/* ours for a parameter name or value we add */
#define PARAM_SET " \"#%&'+<=>"

void erpread_encode_url(const char *in, strbuf *out)
{
    const char *p = strstr(in, "://");
    size_t auth_end = 0;
    if (p) {
        p += 3;
        auth_end = (size_t)(p - in) + strcspn(p, "/?#");
    }
    strbuf_add(out, in, auth_end);
    const char *rest = in + auth_end;
    size_t path_len = strcspn(rest, "?#");
    encode(out, rest, path_len, PATH_SET, 1);
    rest += path_len;
    if (*rest == '?') {
        size_t q = strcspn(rest + 1, "#");
        strbuf_addch(out, '?');
        encode(out, rest + 1, q, QUERY_SET, 1);
        rest += 1 + q;
    }
    /* a fragment is never sent */
}

void erpread_add_param(strbuf *url, const char *name, const char *value)
{
    strbuf_addch(url, strchr(url->buf, '?') ? '&' : '?');
    encode(url, name, strlen(name), PARAM_SET, 0);
    strbuf_addch(url, '=');
    encode(url, value, strlen(value), PARAM_SET, 0);
}

/* A parameter value's text: a string as it is, a number or boolean as JSON, null "". */
static void value_text(json_t *v, strbuf *out)
{
    strbuf_reset(out);
    if (json_is_string(v))
        strbuf_add(out, json_string_value(v), json_string_length(v));
    else if (v && !json_is_null(v))
        jsontext_dump(v, out, 0);
}

/* FNV-1a, 64 bits: a page's digest for the circle guard. */
static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* ---- the request ---- */

/* The URL of a page asked for from the template: the expression evaluated
 * (with the query as attributes) or the plain URL with the query, then the
 * extra params (GET) and paging (page_params). 0, or -1 with err. */
static int build_url(const erpread_config *cfg, const attrs *query, const attrs *vars, const char *token,
                     const attrs *page_params, strbuf *url, strbuf *err)
{
    attrs v = ATTRS_INIT;
    strbuf text = STRBUF_INIT, qs = STRBUF_INIT, name = STRBUF_INIT, val = STRBUF_INIT;
    int rc = -1;
    if (vars)
        attrs_copy(&v, vars);
    for (size_t i = 0; query && i < query->n; i++) {
        strbuf_setf(&name, "http.query.param.%s", query->keys[i]);
        attrs_set(&v, name.buf, query->vals[i]);
        if (qs.len)
            strbuf_addch(&qs, '&');
        strbuf_addf(&qs, "%s=%s", query->keys[i], query->vals[i]);
    }
    attrs_set(&v, "http.query.string", qs.buf);
    if (token)
        attrs_set(&v, "token.erp", token);
    if (el_eval(cfg->call->url, &v, &text, err) < 0)
        goto out;
    strbuf_reset(url);
    erpread_encode_url(text.buf, url);
    if (!cfg->url_is_expr)
        for (size_t i = 0; query && i < query->n; i++)
            erpread_add_param(url, query->keys[i], query->vals[i]);
    if (cfg->params && strcmp(cfg->call->method, "GET") == 0) {
        const char *k;
        json_t *x;
        json_object_foreach(cfg->params, k, x) {
            value_text(x, &val);
            erpread_add_param(url, k, val.buf);
        }
    }
    for (size_t i = 0; page_params && i < page_params->n; i++)
        erpread_add_param(url, page_params->keys[i], page_params->vals[i]);
    rc = http_check_url(url->buf, err);
out:
    attrs_release(&v);
    strbuf_release(&text);
    strbuf_release(&qs);
    strbuf_release(&name);
    strbuf_release(&val);
    return rc;
}

/* The paging parameters of the first page. */
static void first_params(const erpread_config *cfg, attrs *pp)
{
    strbuf n = STRBUF_INIT;
    if (cfg->mode == ERPREAD_OFFSET) {
        strbuf_setf(&n, "%ld", cfg->start);
        attrs_set(pp, cfg->offset_param, n.buf);
    }
    if ((cfg->mode == ERPREAD_OFFSET || cfg->mode == ERPREAD_SEEK) && cfg->limit_param && *cfg->limit_param) {
        strbuf_setf(&n, "%ld", cfg->page_size);
        attrs_set(pp, cfg->limit_param, n.buf);
    }
    strbuf_release(&n);
}

int erpread_first_url(const erpread_config *cfg, const attrs *query, const attrs *vars, const char *token,
                      strbuf *url, strbuf *err)
{
    attrs pp = ATTRS_INIT;
    first_params(cfg, &pp);
    int rc = build_url(cfg, query, vars, token, &pp, url, err);
    attrs_release(&pp);
    return rc;
}


/* Renders the call's extra headers (values are expressions) after the
 * JSON ones. NULL-terminated, free with httpcall_headers_free. */
static char **render_headers(const flow_call *call, const attrs *vars, strbuf *err)
{
    char **h = calloc(call->n_headers + 3, sizeof(char *));
    size_t n = 0;
    strbuf v = STRBUF_INIT;
    h[n++] = strdup("Content-Type: application/json");
    h[n++] = strdup("Accept: application/json");
    for (size_t i = 0; i < call->n_headers; i++) {
        strbuf_setf(&v, "%s: ", call->header_names[i]);
        if (el_eval(call->header_values[i], vars, &v, err) < 0 || strpbrk(v.buf, "\r\n")) {
            if (!err->len)
                strbuf_seterr(err, "header %s: value holds a line break", call->header_names[i]);
            strbuf_release(&v);
            httpcall_headers_free(h);
            return NULL;
        }
        h[n++] = strbuf_detach(&v, NULL);
    }
    strbuf_release(&v);
    return h;
}

int erpread_run(stage_ctx *c, const flow *f, auth_session *auth, const erpread_config *cfg, const attrs *query,
                const attrs *vars, erpread_page_fn fn, void *arg, erpread_stats *st, strbuf *err)
{
    erpread_stats local;
    strbuf url = STRBUF_INIT, tok = STRBUF_INIT, marker = STRBUF_INIT, next = STRBUF_INIT, body = STRBUF_INIT;
    attrs pp = ATTRS_INIT, hv = ATTRS_INIT;
    json_t *seen = json_object();
    char **headers = NULL;
    long max = cfg->max_requests > 0 ? cfg->max_requests : 1000;
    int rc = -1;
    int next_is_token = cfg->mode == ERPREAD_NEXT && cfg->next_param && *cfg->next_param;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (auth && auth->a->kind != FLOW_AUTH_NONE && auth_token(auth, &tok, err) < 0)
        goto out;
    if (vars)
        attrs_copy(&hv, vars);
    if (tok.len)
        attrs_set(&hv, "token.erp", tok.buf);
    if (!(headers = render_headers(cfg->call, &hv, err)))
        goto out;
    if (cfg->params && strcmp(cfg->call->method, "GET") != 0)
        jsontext_dump(cfg->params, &body, 0);
    first_params(cfg, &pp);
    for (long page = 1;; page++) {
        if (st->requests >= max) {
            if (cfg->cap_ends_run) {
                st->capped = 1;
                break;
            }
            strbuf_seterr(err, "stopped after %ld requests (erp.read.paging.max_requests): the list did not end", max);
            goto out;
        }
        if (next.len) {
            strbuf_reset(&url);
            strbuf_add(&url, next.buf, next.len);
        } else if (build_url(cfg, query, vars, tok.len ? tok.buf : NULL, &pp, &url, err) < 0) {
            goto out;
        }
        const char *guard = cfg->mode == ERPREAD_SEEK ? (marker.len ? marker.buf : "") : url.buf;
        if (json_object_get(seen, guard)) {
            if (cfg->mode == ERPREAD_SEEK)
                strbuf_seterr(err, "%s: the marker \"%s\" was asked for already in this run: the ERP ignores %s; stopped",
                              url.buf, marker.buf, cfg->seek_param);
            else
                strbuf_seterr(err, "%s was asked for already in this run: the ERP's list does not page; stopped",
                              url.buf);
            goto out;
        }
        json_object_set_new(seen, guard, json_true());
        http_response r;
        http_response_init(&r);
        st->requests++;
        int got = httpcall_do(c, f, auth, cfg->call->method, url.buf, (const char *const *)headers,
                              body.len ? body.buf : NULL, body.len, &r);
        st->last_status = r.status;
        if (got < 0 || r.status < 200 || r.status > 299) {
            if (got < 0)
                strbuf_seterr(err, "%s %s: %s", cfg->call->method, url.buf, r.error.buf);
            else
                strbuf_seterr(err, "%s %s: HTTP %ld: %.300s", cfg->call->method, url.buf, r.status, r.body.buf);
            http_response_release(&r);
            goto out;
        }
        strbuf perr = STRBUF_INIT, jtext = STRBUF_INIT;
        const strbuf *text = &r.body;
        json_t *answer = cfg->xml ? xmljson_convert(r.body.buf, r.body.len, cfg->xml, &perr)
                                  : jsontext_parse(r.body.buf, r.body.len, &perr);
        if (!answer) {
            strbuf_seterr(err, "%s %s: the answer is not %s: %s", cfg->call->method, url.buf,
                          cfg->xml ? "XML (erp.read.response_type is xml)" : "JSON", perr.buf);
            strbuf_release(&perr);
            http_response_release(&r);
            goto out;
        }
        if (cfg->xml) {   /* the steps after this one see the page as JSON */
            jsontext_dump(answer, &jtext, 0);
            text = &jtext;
        }
        strbuf_release(&perr);
        json_t *rows = jsonpath_get(answer, cfg->rows_path);
        size_t nrows = json_is_array(rows) ? json_array_size(rows) : 0;
        int empty = json_is_array(rows) && nrows == 0;   /* nothing to hand out */
        int frc = 0;
        if (nrows > 0) {   /* the same page again: the ERP ignores the paging */
            strbuf digest = STRBUF_INIT;
            strbuf_addf(&digest, "page:%016llx:%zu", (unsigned long long)fnv1a(text->buf, text->len), text->len);
            int again = json_object_get(seen, digest.buf) != NULL;
            json_object_set_new(seen, digest.buf, json_true());
            strbuf_release(&digest);
            if (again) {
                strbuf_seterr(err, "%s answered the same page as an earlier request of this run: the ERP ignores "
                              "the paging (%s); stopped", url.buf, erpread_mode_name(cfg->mode));
                json_decref(answer);
                strbuf_release(&jtext);
                http_response_release(&r);
                goto out;
            }
        }
        if (!empty) {
            st->pages++;
            st->rows += (long)nrows;
            frc = fn(arg, st->pages, url.buf, answer, text, nrows, err);
        }
        /* where the list goes on */
        int end = 0;
        strbuf_reset(&next);
        attrs_release(&pp);
        if (frc < 0) {
            end = -1;
        } else if (cfg->mode == ERPREAD_NONE) {
            end = 1;
        } else if (cfg->mode == ERPREAD_OFFSET || cfg->mode == ERPREAD_SEEK) {
            end = nrows == 0 || (long)nrows < cfg->page_size;
            if (!end && cfg->mode == ERPREAD_OFFSET) {
                strbuf n = STRBUF_INIT;
                strbuf_setf(&n, "%ld", cfg->start + page * cfg->page_size);
                attrs_set(&pp, cfg->offset_param, n.buf);
                strbuf_release(&n);
            } else if (!end) {
                json_t *m = jsonpath_get(cfg->seek_in_answer ? answer : json_array_get(rows, nrows - 1),
                                         cfg->seek_path);
                strbuf_reset(&marker);
                value_text(m, &marker);
                if (cfg->seek_in_answer && !marker.len) {
                    end = 1;    /* the answer says there is no more */
                } else if (!m || json_is_null(m) || !marker.len) {
                    strbuf_seterr(err, "%s: the last row has no \"%s\" to ask for the next page with (paging seek)",
                                  url.buf, cfg->seek_path);
                    end = -1;
                } else {
                    attrs_set(&pp, cfg->seek_param, marker.buf);
                }
            }
            if (!end && cfg->limit_param && *cfg->limit_param) {
                strbuf n = STRBUF_INIT;
                strbuf_setf(&n, "%ld", cfg->page_size);
                attrs_set(&pp, cfg->limit_param, n.buf);
                strbuf_release(&n);
            }
        } else { /* next */
            json_t *nx = jsonpath_get(answer, cfg->next_path);
            if (!nx || json_is_null(nx) || (json_is_string(nx) && !json_string_length(nx))) {
                end = 1;
            } else if (next_is_token) {
                strbuf tk = STRBUF_INIT;
                value_text(nx, &tk);
                attrs_set(&pp, cfg->next_param, tk.buf);
                strbuf_release(&tk);
            } else if (!json_is_string(nx) || http_resolve_url(url.buf, json_string_value(nx), &next) < 0) {
                strbuf_seterr(err, "%s: the next link at \"%s\" is not a URL", url.buf, cfg->next_path);
                end = -1;
            }
        }
        json_decref(answer);
        strbuf_release(&jtext);
        http_response_release(&r);
        if (end < 0)
            goto out;
        if (end)
            break;
    }
    rc = 0;
out:
    httpcall_headers_free(headers);
    json_decref(seen);
    attrs_release(&pp);
    attrs_release(&hv);
    strbuf_release(&url);
    strbuf_release(&tok);
    strbuf_release(&marker);
    strbuf_release(&next);
    strbuf_release(&body);
    return rc;
}
