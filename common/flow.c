/*
 * flow.c: loading and validating flow files. See flow.h and docs/flows.md.
 *
 * A small "checker" walks the JSON with the dotted path of where it is, so
 * every problem is reported as "<file>: <path>: <problem>". Each section
 * lists the keys it knows; any other key is an error (a typo in a setting
 * must not be silently ignored). Problems are collected, not returned at the
 * first one, so a user fixes a file in one go.
 */
#include "flow.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "duration.h"
#include "el.h"
#include "jolt.h"
#include "jsontext.h"
#include "pyscript.h"

const char *const FLOW_TYPES[] = { "order", "order_status", "order_cancel", "cancellation_request", "image", NULL };

typedef struct checker {
    const char *file;
    strbuf *errs;
    int n;
} checker;

static void problem(checker *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(checker *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    c->n++;
    if (!c->errs)
        return;
    if (c->errs->len)
        strbuf_addch(c->errs, '\n');
    strbuf_addf(c->errs, "%s: %s: ", c->file, path);
    va_start(ap, fmt);
    strbuf_vaddf(c->errs, fmt, ap);
    va_end(ap);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static void join_path(strbuf *out, const char *base, const char *key)
{
    strbuf_reset(out);
    if (base && *base) {
        strbuf_addstr(out, base);
        strbuf_addch(out, '.');
    }
    strbuf_addstr(out, key);
}

/* Reports keys of obj that are not in the NULL-terminated list. */
static void known_keys(checker *c, const json_t *obj, const char *path, const char *const *keys)
{
    const char *k;
    json_t *v;
    strbuf p = STRBUF_INIT;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (size_t i = 0; keys[i]; i++)
            if (strcmp(keys[i], k) == 0)
                ok = 1;
        if (!ok && k[0] != '_' && strcmp(k, "comment") != 0) {
            join_path(&p, path, k);
            problem(c, p.buf, "unknown setting");
        }
    }
    strbuf_release(&p);
}

/* Section (object) under key; NULL when absent (reported if required). */
static json_t *get_obj(checker *c, const json_t *obj, const char *path, const char *key, int required)
{
    strbuf p = STRBUF_INIT;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    join_path(&p, path, key);
    if (!v || json_is_null(v)) {
        if (required)
            problem(c, p.buf, "missing (expected an object)");
        v = NULL;
    } else if (!json_is_object(v)) {
        problem(c, p.buf, "expected an object, got %s", type_name(v));
        v = NULL;
    }
    strbuf_release(&p);
    return v;
}

static char *get_str(checker *c, const json_t *obj, const char *path, const char *key, const char *def, int required)
{
    strbuf p = STRBUF_INIT;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    char *r = NULL;
    join_path(&p, path, key);
    if (!v || json_is_null(v)) {
        if (required)
            problem(c, p.buf, "missing (expected a string)");
        r = xstrdup(def);
    } else if (!json_is_string(v)) {
        problem(c, p.buf, "expected a string, got %s", type_name(v));
    } else if (required && json_string_length(v) == 0) {
        problem(c, p.buf, "must not be empty");
    } else {
        r = xstrdup(json_string_value(v));
    }
    strbuf_release(&p);
    return r;
}

static long get_int(checker *c, const json_t *obj, const char *path, const char *key, long def, long min, long max)
{
    strbuf p = STRBUF_INIT;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    long r = def;
    join_path(&p, path, key);
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v))
            problem(c, p.buf, "expected an integer, got %s", type_name(v));
        else if (json_integer_value(v) < min || json_integer_value(v) > max)
            problem(c, p.buf, "%lld out of range %ld..%ld", (long long)json_integer_value(v), min, max);
        else
            r = (long)json_integer_value(v);
    }
    strbuf_release(&p);
    return r;
}

static int get_bool(checker *c, const json_t *obj, const char *path, const char *key, int def)
{
    strbuf p = STRBUF_INIT;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    int r = def;
    join_path(&p, path, key);
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v))
            problem(c, p.buf, "expected true or false, got %s", type_name(v));
        else
            r = json_is_true(v);
    }
    strbuf_release(&p);
    return r;
}

static int64_t get_duration(checker *c, const json_t *obj, const char *path, const char *key, int64_t def)
{
    strbuf p = STRBUF_INIT;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    int64_t r = def;
    join_path(&p, path, key);
    if (v && !json_is_null(v)) {
        /* a bare number is seconds; capped like duration_parse_ms (1e15 ms)
         * so the multiplication cannot overflow */
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 1000000000000LL)
            r = (int64_t)json_integer_value(v) * 1000;
        else if (!json_is_string(v) || duration_parse_ms(json_string_value(v), &r) < 0)
            problem(c, p.buf, "expected a duration such as \"30s\", \"5m\" or \"250ms\"");
    }
    strbuf_release(&p);
    return r;
}

static const char *const METHODS[] = { "GET", "POST", "PUT", "PATCH", "DELETE", NULL };

static char *get_method(checker *c, const json_t *obj, const char *path, const char *def)
{
    char *m = get_str(c, obj, path, "method", def, 0);
    if (!m)
        return xstrdup(def);
    for (size_t i = 0; METHODS[i]; i++)
        if (strcmp(m, METHODS[i]) == 0)
            return m;
    strbuf p = STRBUF_INIT;
    join_path(&p, path, "method");
    problem(c, p.buf, "expected one of GET, POST, PUT, PATCH, DELETE, got \"%s\"", m);
    strbuf_release(&p);
    free(m);
    return xstrdup(def);
}

/* An HTTP status code list: [500, 503] or "500,503". */
static void get_codes(checker *c, const json_t *obj, const char *path, const char *key, int **out, size_t *n)
{
    strbuf p = STRBUF_INIT;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    join_path(&p, path, key);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) {
        strbuf_release(&p);
        return;
    }
    size_t cap = 16;
    *out = calloc(cap, sizeof **out);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        while (*s) {
            while (*s == ' ' || *s == ',')
                s++;
            if (!*s)
                break;
            char *end;
            long code = strtol(s, &end, 10);
            if (end == s || code < 100 || code > 599) {
                problem(c, p.buf, "expected comma-separated HTTP status codes, got \"%s\"", json_string_value(v));
                break;
            }
            if (*n == cap)
                *out = realloc(*out, (cap *= 2) * sizeof **out);
            (*out)[(*n)++] = (int)code;
            s = end;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 100 || json_integer_value(x) > 599) {
                problem(c, p.buf, "element %zu: expected an HTTP status code (100-599)", i);
                continue;
            }
            if (*n == cap)
                *out = realloc(*out, (cap *= 2) * sizeof **out);
            (*out)[(*n)++] = (int)json_integer_value(x);
        }
    } else {
        problem(c, p.buf, "expected a list of status codes, got %s", type_name(v));
    }
    strbuf_release(&p);
}

static struct el_expr *compile_el(checker *c, const char *path, const char *text)
{
    strbuf e = STRBUF_INIT;
    int col = 0;
    struct el_expr *x = el_compile(text, &e, &col);
    if (!x)
        problem(c, path, "expression error: %s", e.buf);
    strbuf_release(&e);
    return x;
}

static void load_call(checker *c, const json_t *obj, const char *path, flow_call *call, const char *def_method, int url_required)
{
    strbuf p = STRBUF_INIT;
    static const char *const keys[] = { "url", "method", "headers", "response_path", "response_value",
                                        "failure_status_codes", "not_found_codes", NULL };
    known_keys(c, obj, path, keys);
    call->url_text = get_str(c, obj, path, "url", NULL, url_required);
    if (call->url_text) {
        join_path(&p, path, "url");
        call->url = compile_el(c, p.buf, call->url_text);
    }
    call->method = get_method(c, obj, path, def_method);
    json_t *h = get_obj(c, obj, path, "headers", 0);
    if (h) {
        const char *k;
        json_t *v;
        size_t n = json_object_size(h), i = 0;
        call->header_names = calloc(n, sizeof(char *));
        call->header_values = calloc(n, sizeof(struct el_expr *));
        json_object_foreach(h, k, v) {
            strbuf hp = STRBUF_INIT;
            strbuf_addf(&hp, "%s.headers.%s", path, k);
            if (!json_is_string(v)) {
                problem(c, hp.buf, "expected a string, got %s", type_name(v));
            } else {
                call->header_values[i] = compile_el(c, hp.buf, json_string_value(v));
                if (call->header_values[i])
                    call->header_names[i++] = xstrdup(k);
                else
                    free(call->header_names[i]);
            }
            strbuf_release(&hp);
        }
        call->n_headers = i;
    }
    strbuf_release(&p);
}

static void free_call(flow_call *call)
{
    free(call->url_text);
    if (call->url)
        el_free(call->url);
    free(call->method);
    for (size_t i = 0; i < call->n_headers; i++) {
        free(call->header_names[i]);
        el_free(call->header_values[i]);
    }
    free(call->header_names);
    free(call->header_values);
}

static char *secret_from_env(checker *c, const json_t *obj, const char *path, const char *key, int required)
{
    char *name = get_str(c, obj, path, key, NULL, required);
    char *val = NULL;
    if (name) {
        const char *v = getenv(name);
        if (!v) {
            strbuf p = STRBUF_INIT;
            join_path(&p, path, key);
            problem(c, p.buf, "environment variable %s is not set", name);
            strbuf_release(&p);
        } else {
            val = xstrdup(v);
        }
    }
    free(name);
    return val;
}

static void load_erp_auth(checker *c, const json_t *obj, const char *path, flow_auth *a)
{
    static const char *const keys[] = { "type", "url", "method", "headers", "body", "token_path", "header",
                                        "prefix", "username_env", "password_env", "token_env", "token_ttl", NULL };
    strbuf p = STRBUF_INIT;
    a->kind = FLOW_AUTH_NONE;
    if (!obj)
        return;
    known_keys(c, obj, path, keys);
    char *type = get_str(c, obj, path, "type", "token", 0);
    a->header_name = get_str(c, obj, path, "header", "Authorization", 0);
    a->token_ttl_ms = get_duration(c, obj, path, "token_ttl", 50 * 60 * 1000);
    if (type && strcmp(type, "none") == 0) {
        a->kind = FLOW_AUTH_NONE;
    } else if (type && strcmp(type, "token") == 0) {
        a->kind = FLOW_AUTH_TOKEN;
        json_t *sub = json_object(); /* the call keys only */
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)obj, k, v)
            if (!strcmp(k, "url") || !strcmp(k, "method") || !strcmp(k, "headers"))
                json_object_set(sub, k, v);
        load_call(c, sub, path, &a->login, "POST", 1);
        json_decref(sub);
        char *body = get_str(c, obj, path, "body", NULL, 0);
        if (body) {
            join_path(&p, path, "body");
            a->login_body = compile_el(c, p.buf, body);
            free(body);
        }
        a->token_path = get_str(c, obj, path, "token_path", "access_token", 0);
        a->header_prefix = get_str(c, obj, path, "prefix", "Bearer ", 0);
        a->username = secret_from_env(c, obj, path, "username_env", 0);
        a->password = secret_from_env(c, obj, path, "password_env", 0);
    } else if (type && strcmp(type, "basic") == 0) {
        a->kind = FLOW_AUTH_BASIC;
        a->username = secret_from_env(c, obj, path, "username_env", 1);
        a->password = secret_from_env(c, obj, path, "password_env", 1);
    } else if (type && strcmp(type, "static") == 0) {
        a->kind = FLOW_AUTH_STATIC;
        a->static_token = secret_from_env(c, obj, path, "token_env", 1);
        a->header_prefix = get_str(c, obj, path, "prefix", "Bearer ", 0);
    } else if (type) {
        join_path(&p, path, "type");
        problem(c, p.buf, "expected one of none, token, basic, static, got \"%s\"", type);
    }
    free(type);
    strbuf_release(&p);
}

static void free_auth(flow_auth *a)
{
    free_call(&a->login);
    if (a->login_body)
        el_free(a->login_body);
    free(a->token_path);
    free(a->header_name);
    free(a->header_prefix);
    free(a->username);
    free(a->password);
    free(a->static_token);
}

/* Resolves rel against the flow file's directory. Caller frees. */
static char *resolve(const flow *f, const char *rel)
{
    strbuf p = STRBUF_INIT;
    if (rel[0] == '/' || !f->dir[0])
        strbuf_addstr(&p, rel);
    else
        strbuf_addf(&p, "%s/%s", f->dir, rel);
    return strbuf_detach(&p, NULL);
}

/* Reads and (with FLOW_LOAD_SCRIPTS) compiles the script named by sec.file.
 * The caller has checked sec's keys. */
static void load_script(checker *c, flow *f, const json_t *sec, const char *path, flow_script *s, int flags)
{
    strbuf p = STRBUF_INIT;
    s->timeout_ms = get_duration(c, sec, path, "timeout", 10000);
    char *file = get_str(c, sec, path, "file", NULL, 0);
    if (file) {
        s->path = resolve(f, file);
        strbuf src = STRBUF_INIT;
        join_path(&p, path, "file");
        if (strbuf_read_file(&src, s->path) < 0) {
            problem(c, p.buf, "cannot read %s: %s", s->path, strerror(errno));
        } else if (flags & FLOW_LOAD_SCRIPTS) {
            strbuf e = STRBUF_INIT;
            s->script = pyscript_compile(s->path, src.buf, &e);
            if (!s->script)
                problem(c, p.buf, "%s", e.buf);
            strbuf_release(&e);
        }
        strbuf_release(&src);
        free(file);
    }
    strbuf_release(&p);
}

static void free_script(flow_script *s)
{
    free(s->path);
    if (s->script)
        pyscript_free(s->script);
}

static void load_mapping(checker *c, flow *f, const json_t *root)
{
    json_t *sec = get_obj(c, root, "", "mapping", 0);
    if (!sec)
        return;
    static const char *const keys[] = { "file", NULL };
    known_keys(c, sec, "mapping", keys);
    char *file = get_str(c, sec, "mapping", "file", NULL, 1);
    if (!file)
        return;
    f->mapping_path = resolve(f, file);
    free(file);
    strbuf e = STRBUF_INIT;
    json_t *spec = jsontext_load_file(f->mapping_path, &e);
    if (!spec) {
        problem(c, "mapping.file", "%s", e.buf);
    } else {
        strbuf_reset(&e);
        f->mapping = jolt_compile(spec, &e);
        if (!f->mapping)
            problem(c, "mapping.file", "%s: invalid Jolt spec: %s", f->mapping_path, e.buf);
        json_decref(spec);
    }
    strbuf_release(&e);
}

static void load_omnitron(checker *c, flow *f, const json_t *root)
{
    const char *P = "omnitron";
    json_t *o = get_obj(c, root, "", "omnitron", 1);
    static const char *const keys[] = { "url", "username_env", "password_env", "channels", "token_ttl", "page_size",
                                        "concurrency", "lease_ttl", "max_orders_per_run", "paths", NULL };
    if (o)
        known_keys(c, o, P, keys);
    /* A missing or mistyped section is one problem, not one per setting in it. */
    f->omnitron_url = get_str(c, o, P, "url", NULL, o != NULL);
    if (f->omnitron_url) {
        size_t n = strlen(f->omnitron_url);
        while (n && f->omnitron_url[n - 1] == '/')
            f->omnitron_url[--n] = '\0';
        if (strncmp(f->omnitron_url, "http://", 7) && strncmp(f->omnitron_url, "https://", 8))
            problem(c, "omnitron.url", "expected an http:// or https:// URL, got \"%s\"", f->omnitron_url);
    }
    f->omnitron_auth.kind = FLOW_AUTH_OMNITRON;
    f->omnitron_auth.header_name = xstrdup("Authorization");
    f->omnitron_auth.header_prefix = xstrdup("Token ");
    f->omnitron_auth.username = secret_from_env(c, o, P, "username_env", o != NULL);
    f->omnitron_auth.password = secret_from_env(c, o, P, "password_env", o != NULL);
    f->omnitron_auth.token_ttl_ms = get_duration(c, o, P, "token_ttl", 12LL * 3600 * 1000);

    json_t *ch = o ? json_object_get(o, "channels") : NULL;
    strbuf chs = STRBUF_INIT;
    if (json_is_string(ch)) {
        const char *s = json_string_value(ch);
        for (const char *q = s; *q; q++)
            if (!isdigit((unsigned char)*q) && *q != ',' && *q != ' ') {
                problem(c, "omnitron.channels", "expected comma-separated channel ids, got \"%s\"", s);
                break;
            }
        for (const char *q = s; *q; q++)
            if (*q != ' ')
                strbuf_addch(&chs, *q);
    } else if (json_is_array(ch)) {
        size_t i;
        json_t *x;
        json_array_foreach(ch, i, x) {
            if (!json_is_integer(x)) {
                problem(c, "omnitron.channels", "element %zu: expected a channel id (integer)", i);
                continue;
            }
            strbuf_addf(&chs, "%s%lld", chs.len ? "," : "", (long long)json_integer_value(x));
        }
    } else if (ch) {
        problem(c, "omnitron.channels", "expected comma-separated channel ids or a list, got %s", type_name(ch));
    }
    if (o && f->type && strcmp(f->type, "order") == 0 && chs.len == 0)
        problem(c, "omnitron.channels", "missing: the Order Flow needs at least one channel id");
    f->channels = strbuf_detach(&chs, NULL);

    f->page_size = (int)get_int(c, o, P, "page_size", 100, 1, 1000);
    f->read_concurrency = (int)get_int(c, o, P, "concurrency", 8, 1, 64);
    f->lease_ttl_ms = get_duration(c, o, P, "lease_ttl", 10 * 60 * 1000);
    f->max_orders_per_run = get_int(c, o, P, "max_orders_per_run", 0, 0, 100000000);

    json_t *paths = get_obj(c, o, P, "paths", 0);
    static const char *const pkeys[] = { "login", "orders", "order_detail", "items", "item_detail", "discounts",
                                         "discount_detail", "mark_sent", "item_mapping", "order_mapping",
                                         "order_by_number", NULL };
    const char *PP = "omnitron.paths";
    if (paths)
        known_keys(c, paths, PP, pkeys);
    f->omnitron_auth.login.url_text = get_str(c, paths, PP, "login", "/api/v1/auth/login/", 0);
    f->path_orders = get_str(c, paths, PP, "orders",
                             "/api/v1/orders/?is_send=False&channel__in={channels}&status__ne=100&sort=id&id__gt={after}&limit={limit}", 0);
    f->path_order_detail = get_str(c, paths, PP, "order_detail", "/api/v1/orders_integration/{pk}/detailed_integration/", 0);
    f->path_items = get_str(c, paths, PP, "items", "/api/v1/order_items/?order_id={pk}&limit=99999", 0);
    f->path_item_detail = get_str(c, paths, PP, "item_detail", "/api/v1/order_items/{pk}/detailed_integration/", 0);
    f->path_discounts = get_str(c, paths, PP, "discounts", "/api/v1/discount_items/?order_id={pk}&limit=99999", 0);
    f->path_discount_detail = get_str(c, paths, PP, "discount_detail", "/api/v1/discount_items/{pk}/detailed_integration/", 0);
    f->path_mark_sent = get_str(c, paths, PP, "mark_sent", "/api/v1/orders/{pk}/", 0);
    f->path_item_mapping = get_str(c, paths, PP, "item_mapping", "/api/v1/order_items/{pk}/create_mapping/", 0);
    f->path_order_mapping = get_str(c, paths, PP, "order_mapping", "/api/v1/orders/{pk}/create_mapping/", 0);
    f->path_order_by_number = get_str(c, paths, PP, "order_by_number",
                                      "/api/v1/orders_integration/detailed/?limit=1&number={number}", 0);
    if (f->path_order_mapping && !f->path_order_mapping[0]) {
        free(f->path_order_mapping);
        f->path_order_mapping = NULL;
    }
    if (f->path_orders && !strstr(f->path_orders, "{after}") && !strstr(f->path_orders, "{page}"))
        problem(c, "omnitron.paths.orders", "needs an {after} (last id read) or {page} placeholder to read page by page");
}

static void load_erp(checker *c, flow *f, const json_t *root)
{
    json_t *e = get_obj(c, root, "", "erp", 1);
    static const char *const keys[] = { "login", "query", "write", "check_response", NULL };
    if (!e)
        return;
    known_keys(c, e, "erp", keys);
    load_erp_auth(c, get_obj(c, e, "erp", "login", 0), "erp.login", &f->erp_auth);

    json_t *q = get_obj(c, e, "erp", "query", 0);
    if (q) {
        load_call(c, q, "erp.query", &f->query, "GET", 1);
        f->query_response_path = get_str(c, q, "erp.query", "response_path", "", 0);
        f->query_response_value = get_str(c, q, "erp.query", "response_value", "", 0);
        get_codes(c, q, "erp.query", "failure_status_codes", &f->failure_codes, &f->n_failure_codes);
        get_codes(c, q, "erp.query", "not_found_codes", &f->not_found_codes, &f->n_not_found_codes);
    }
    json_t *w = get_obj(c, e, "erp", "write", 1);
    if (w)
        load_call(c, w, "erp.write", &f->write, "POST", 1);

    json_t *cr = get_obj(c, e, "erp", "check_response", 0);
    static const char *const ckeys[] = { "file", "timeout", "order_code_path", "items_path", "item_code_field", NULL };
    if (cr)
        known_keys(c, cr, "erp.check_response", ckeys);
    f->resp_order_code_path = get_str(c, cr, "erp.check_response", "order_code_path", "id", 0);
    f->resp_items_path = get_str(c, cr, "erp.check_response", "items_path", "items", 0);
    f->resp_item_code_field = get_str(c, cr, "erp.check_response", "item_code_field", "code", 0);
}

flow *flow_load(const char *path, int flags, strbuf *errs)
{
    checker c = { path, errs, 0 };
    strbuf e = STRBUF_INIT;
    flow *f = xcalloc(1, sizeof *f);
    f->file = xstrdup(path);
    f->script.timeout_ms = f->check_script.timeout_ms = f->post_script.timeout_ms = 10000;
    const char *slash = strrchr(path, '/');
    f->dir = slash ? strndup(path, (size_t)(slash - path)) : xstrdup("");

    json_t *root = jsontext_load_file(path, &e);
    if (!root) {
        if (errs) {
            if (errs->len)
                strbuf_addch(errs, '\n');
            strbuf_addstr(errs, e.buf);
        }
        strbuf_release(&e);
        flow_free(f);
        return NULL;
    }
    strbuf_release(&e);
    if (!json_is_object(root)) {
        problem(&c, "(top)", "expected an object, got %s", type_name(root));
        json_decref(root);
        flow_free(f);
        return NULL;
    }
    static const char *const keys[] = { "name", "type", "enabled", "schedule", "http", "omnitron", "erp",
                                        "script", "mapping", "post_script", NULL };
    known_keys(&c, root, "", keys);
    f->name = get_str(&c, root, "", "name", NULL, 1);
    if (f->name)
        for (const char *q = f->name; *q; q++)
            if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') {
                problem(&c, "name", "only letters, digits, '-' and '_' are allowed, got \"%s\"", f->name);
                break;
            }
    f->type = get_str(&c, root, "", "type", NULL, 1);
    if (f->type) {
        int ok = 0;
        for (size_t i = 0; FLOW_TYPES[i]; i++)
            ok |= strcmp(FLOW_TYPES[i], f->type) == 0;
        if (!ok)
            problem(&c, "type", "expected one of order, order_status, order_cancel, cancellation_request, image, got \"%s\"", f->type);
        else if (strcmp(f->type, "order") != 0)
            problem(&c, "type", "flow type \"%s\" is not available in this version (only \"order\")", f->type);
    }
    f->enabled = get_bool(&c, root, "", "enabled", 1);

    json_t *sch = get_obj(&c, root, "", "schedule", 0);
    static const char *const skeys[] = { "cron", "timezone", NULL };
    if (sch)
        known_keys(&c, sch, "schedule", skeys);
    f->cron_text = get_str(&c, sch, "schedule", "cron", NULL, sch != NULL);
    f->timezone = get_str(&c, sch, "schedule", "timezone", "UTC", 0);
    if (f->cron_text) {
        strbuf ce = STRBUF_INIT;
        f->cron = cron_parse(f->cron_text, &ce);
        if (!f->cron)
            problem(&c, "schedule.cron", "%s", ce.buf);
        strbuf_release(&ce);
    }
    if (f->timezone && !cron_tz_valid(f->timezone))
        problem(&c, "schedule.timezone", "unknown time zone \"%s\"", f->timezone);

    json_t *http = get_obj(&c, root, "", "http", 0);
    static const char *const hkeys[] = { "timeout", "connect_timeout", "retries", "backoff", "max_backoff",
                                         "max_response_bytes", NULL };
    if (http)
        known_keys(&c, http, "http", hkeys);
    f->http_timeout_ms = get_duration(&c, http, "http", "timeout", 30000);
    f->http_connect_timeout_ms = get_duration(&c, http, "http", "connect_timeout", 5000);
    f->retry = RETRY_DEFAULT;
    f->retry.max_attempts = (int)get_int(&c, http, "http", "retries", RETRY_DEFAULT.max_attempts - 1, 0, 20) + 1;
    f->retry.base_ms = (long)get_duration(&c, http, "http", "backoff", RETRY_DEFAULT.base_ms);
    f->retry.max_ms = (long)get_duration(&c, http, "http", "max_backoff", RETRY_DEFAULT.max_ms);
    f->http_max_response = (size_t)get_int(&c, http, "http", "max_response_bytes", 16L << 20, 1024, 1L << 30);

    load_omnitron(&c, f, root);
    load_erp(&c, f, root);
    static const char *const script_keys[] = { "file", "timeout", NULL };
    static const char *const post_keys[] = { "file", "timeout", "run_on_failure", NULL };
    json_t *sec = get_obj(&c, root, "", "script", 0);
    if (sec) {
        known_keys(&c, sec, "script", script_keys);
        load_script(&c, f, sec, "script", &f->script, flags);
    }
    load_mapping(&c, f, root);
    json_t *erp = json_object_get(root, "erp");
    sec = json_is_object(erp) ? get_obj(&c, erp, "erp", "check_response", 0) : NULL;
    if (sec)
        load_script(&c, f, sec, "erp.check_response", &f->check_script, flags);
    sec = get_obj(&c, root, "", "post_script", 0);
    if (sec) {
        known_keys(&c, sec, "post_script", post_keys);
        load_script(&c, f, sec, "post_script", &f->post_script, flags);
        f->post_run_on_failure = get_bool(&c, sec, "post_script", "run_on_failure", 0);
        if (!f->post_script.path)
            problem(&c, "post_script.file", "missing (expected a string)");
    }
    json_decref(root);
    if (c.n) {
        flow_free(f);
        return NULL;
    }
    return f;
}

void flow_free(flow *f)
{
    if (!f)
        return;
    free(f->file);
    free(f->dir);
    free(f->name);
    free(f->type);
    free(f->cron_text);
    if (f->cron)
        cron_free(f->cron);
    free(f->timezone);
    free(f->omnitron_url);
    free_auth(&f->omnitron_auth);
    free(f->channels);
    free(f->path_orders);
    free(f->path_order_detail);
    free(f->path_items);
    free(f->path_item_detail);
    free(f->path_discounts);
    free(f->path_discount_detail);
    free(f->path_mark_sent);
    free(f->path_item_mapping);
    free(f->path_order_mapping);
    free(f->path_order_by_number);
    free_auth(&f->erp_auth);
    free_call(&f->query);
    free(f->query_response_path);
    free(f->query_response_value);
    free(f->failure_codes);
    free(f->not_found_codes);
    free_call(&f->write);
    free(f->resp_order_code_path);
    free(f->resp_items_path);
    free(f->resp_item_code_field);
    free_script(&f->script);
    free(f->mapping_path);
    if (f->mapping)
        jolt_free(f->mapping);
    free_script(&f->check_script);
    free_script(&f->post_script);
    free(f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int flow_set_load(flow_set *set, const char *dir_or_file, int flags, strbuf *errs)
{
    memset(set, 0, sizeof *set);
    size_t len = strlen(dir_or_file);
    char **files = NULL;
    size_t nfiles = 0;
    if (len > 5 && strcmp(dir_or_file + len - 5, ".json") == 0) {
        files = malloc(sizeof *files);
        files[nfiles++] = xstrdup(dir_or_file);
    } else {
        DIR *d = opendir(dir_or_file);
        struct dirent *de;
        if (!d) {
            if (errs)
                strbuf_addf(errs, "%s%s: cannot read flows directory: %s", errs->len ? "\n" : "", dir_or_file,
                            strerror(errno));
            return -1;
        }
        while ((de = readdir(d))) {
            size_t n = strlen(de->d_name);
            if (n <= 5 || strcmp(de->d_name + n - 5, ".json") || de->d_name[0] == '.')
                continue;
            files = realloc(files, (nfiles + 1) * sizeof *files);
            strbuf p = STRBUF_INIT;
            strbuf_addf(&p, "%s/%s", dir_or_file, de->d_name);
            files[nfiles++] = strbuf_detach(&p, NULL);
        }
        closedir(d);
        qsort(files, nfiles, sizeof *files, cmp_str);
    }
    int broken = 0;
    for (size_t i = 0; i < nfiles; i++) {
        flow *f = flow_load(files[i], flags, errs);
        if (!f) {
            broken++;
        } else if (flow_set_find(set, f->name)) {
            if (errs)
                strbuf_addf(errs, "%s%s: name: \"%s\" is already used by another flow file", errs->len ? "\n" : "",
                            files[i], f->name);
            flow_free(f);
            broken++;
        } else {
            set->flows = realloc(set->flows, (set->n + 1) * sizeof *set->flows);
            set->flows[set->n++] = f;
        }
        free(files[i]);
    }
    free(files);
    return broken;
}

void flow_set_free(flow_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        flow_free(set->flows[i]);
    free(set->flows);
    memset(set, 0, sizeof *set);
}

const flow *flow_set_find(const flow_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->flows[i]->name, name) == 0)
            return set->flows[i];
    return NULL;
}

void flow_fill_path(strbuf *out, const char *tmpl, const attrs *vars)
{
    const char *s = tmpl;
    while (*s) {
        const char *open = strchr(s, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            strbuf_addstr(out, s);
            return;
        }
        strbuf_add(out, s, (size_t)(open - s));
        char name[128];
        size_t n = (size_t)(close - open - 1);
        const char *val = NULL;
        if (n < sizeof name) {
            memcpy(name, open + 1, n);
            name[n] = '\0';
            val = attrs_get(vars, name);
        }
        if (val)
            strbuf_addstr(out, val);
        else
            strbuf_add(out, open, (size_t)(close - open + 1));
        s = close + 1;
    }
}
