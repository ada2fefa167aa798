/*
 * flow.c: loading flow files: the sections every flow type shares, then the
 * type's own (flow_type.h). See flow.h and docs/flows.md.
 *
 * Everything is read through the tracked reader of settings.h, so a key no
 * code read is reported as an unknown setting once both the shared sections
 * and the type's are loaded. The shared settings' defaults and meanings are
 * written once, in flow_common_settings below; the loader reads them from
 * there.
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
#include "flow_type.h"
#include "jolt.h"
#include "jsontext.h"
#include "pyscript.h"
#include "settings.h"

const setting flow_common_settings[] = {
    { "name", SETTING_STR, NULL, "the flow's name: letters, digits, `-` and `_`; unique in a fleet", SETTING_BY_CODE, 0, 0, 1 },
    { "type", SETTING_STR, NULL, "the flow type: `order`, `order_status` (the types of this build: `flowctl settings nosuchtype` lists them)", SETTING_BY_CODE, 0, 0, 1 },
    { "enabled", SETTING_BOOL, "true", "a disabled flow loads but is never scheduled", SETTING_BY_CODE, 0, 0, 0 },
    { "max_attempts", SETTING_INT, "5", "failed attempts of one record (across ticks and replays) before it is parked: no more automatic retries until `flowctl replay`; HTTP 429 and 503 and refused logins do not count", SETTING_BY_CODE, 1, 1000, 0 },
    { "schedule.cron", SETTING_STR, NULL, "when the flow runs: cron (unix, Quartz or Spring), a period (`5 mins`, `@every 30s`) or `@hourly`...; no schedule: manual or triggered runs only", SETTING_BY_CODE, 0, 0, 0 },
    { "schedule.dialect", SETTING_STR, NULL, "how cron fields are read: `unix`, `quartz` or `spring`; by field count when absent (5 unix, 7 quartz), required for 6", SETTING_BY_CODE, 0, 0, 0 },
    { "schedule.after", SETTING_STR, NULL, "Triggered By: run when a run of this flow (its name) finishes; with or without `schedule.cron`", SETTING_BY_CODE, 0, 0, 0 },
    { "schedule.after_status", SETTING_STR, "finished", "`finished`: after any run of that flow; `success`: only after a successful one", SETTING_BY_CODE, 0, 0, 0 },
    { "schedule.timezone", SETTING_STR, "UTC", "IANA time zone the schedule is read in", SETTING_BY_CODE, 0, 0, 0 },
    { "http.timeout", SETTING_DURATION, "30s", "one request's time limit", SETTING_BY_CODE, 0, 0, 0 },
    { "http.connect_timeout", SETTING_DURATION, "5s", "connecting's time limit", SETTING_BY_CODE, 0, 0, 0 },
    { "http.retries", SETTING_INT, "2", "retries after the first try, on connection errors, timeouts, 5xx and 429", SETTING_BY_CODE, 0, 20, 0 },
    { "http.backoff", SETTING_DURATION, "100ms", "first retry delay: exponential backoff with jitter; a longer Retry-After wins", SETTING_BY_CODE, 0, 0, 0 },
    { "http.max_backoff", SETTING_DURATION, "5s", "longest retry delay", SETTING_BY_CODE, 0, 0, 0 },
    { "http.max_response_bytes", SETTING_INT, "16777216", "largest response body accepted (an Order Status flow: its default and its most are `FLOWFLEET_MAX_MESSAGE_BYTES`, as an ERP page is one Kafka message)", SETTING_BY_CODE, 1024, 1073741824, 0 },
    { "omnitron.url", SETTING_STR, NULL, "Omnitron's base URL (http:// or https://)", SETTING_BY_CODE, 0, 0, 1 },
    { "omnitron.username_env", SETTING_ENV, NULL, "environment variable holding the Omnitron user", SETTING_BY_CODE, 0, 0, 1 },
    { "omnitron.password_env", SETTING_ENV, NULL, "environment variable holding its password", SETTING_BY_CODE, 0, 0, 1 },
    { "omnitron.token_ttl", SETTING_DURATION, "12h", "how long an Omnitron token is reused", SETTING_BY_CODE, 0, 0, 0 },
    { "omnitron.paths.login", SETTING_STR, "/api/v1/auth/login/", "Omnitron's login path", SETTING_BY_CODE, 0, 0, 0 },
    { "omnitron.login_backoff", SETTING_DURATION, "1m", "after Omnitron refuses a login (4xx), no replica logs in again for this long; doubled after each refusal in a row", SETTING_BY_CODE, 0, 0, 0 },
    { "omnitron.login_max_backoff", SETTING_DURATION, "30m", "the longest such pause", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.type", SETTING_STR, "token", "`none`, `token` (a login call), `basic` or `static` (a fixed token)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.url", SETTING_EXPR, NULL, "`token`: the login URL (a NiFi expression)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.method", SETTING_METHOD, "POST", "`token`: the login method", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.headers", SETTING_OBJECT, NULL, "`token`: extra headers (values are expressions)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.body", SETTING_EXPR, NULL, "`token`: body template (expression over `username`, `password`); default a JSON object of both", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.token_path", SETTING_STR, "access_token", "`token`: dotted path of the token in the answer", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.header", SETTING_STR, "Authorization", "header that carries the token", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.prefix", SETTING_STR, "Bearer ", "`token`, `static`: text before the token", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.username_env", SETTING_ENV, NULL, "`token`, `basic`: environment variable of the user", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.password_env", SETTING_ENV, NULL, "`token`, `basic`: environment variable of the password", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.token_env", SETTING_ENV, NULL, "`static`: environment variable of the token", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.token_ttl", SETTING_DURATION, "50m", "how long an ERP token is reused", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.backoff", SETTING_DURATION, "1m", "`token`: after the ERP refuses a login (4xx), no replica logs in again for this long; doubled after each refusal in a row", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.login.max_backoff", SETTING_DURATION, "30m", "`token`: the longest such pause", SETTING_BY_CODE, 0, 0, 0 },
    { "receiver.username_env", SETTING_ENV, NULL, "the Integrator user (`POST /api/nifi/login`) that may push to this flow and trigger it by URL", SETTING_BY_CODE, 0, 0, 0 },
    { "receiver.password_env", SETTING_ENV, NULL, "its password", SETTING_BY_CODE, 0, 0, 0 },
    { "receiver.push", SETTING_BOOL, "false", "an outbound flow: the ERP pushes to it (its type must take pushes)", SETTING_BY_CODE, 0, 0, 0 },
    { "receiver.path", SETTING_STR, "/outbound/<name>", "the Outbound Request URL's path", SETTING_BY_CODE, 0, 0, 0 },
    { "receiver.rate_limit", SETTING_INT, "20", "pushes a second the fleet takes for the flow; more are answered 429", SETTING_BY_CODE, 1, 100000, 0 },
    { "receiver.idempotency_window", SETTING_DURATION, "24h", "how long a push's Idempotency-Key is remembered", SETTING_BY_CODE, 0, 0, 0 },
    { "script.file", SETTING_FILE, NULL, "Script Step: a Python file, relative to the flow file", SETTING_BY_CODE, 0, 0, 0 },
    { "script.timeout", SETTING_DURATION, "10s", "the script's time limit per record", SETTING_BY_CODE, 0, 0, 0 },
    { "mapping.file", SETTING_FILE, NULL, "Mapping Step: a Jolt spec file, relative to the flow file", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.check_response.file", SETTING_FILE, NULL, "Check Response Script (replaces the built-in check)", SETTING_BY_CODE, 0, 0, 0 },
    { "erp.check_response.timeout", SETTING_DURATION, "10s", "its time limit", SETTING_BY_CODE, 0, 0, 0 },
    { "post_script.file", SETTING_FILE, NULL, "Post Script, run after a record's writes", SETTING_BY_CODE, 0, 0, 0 },
    { "post_script.timeout", SETTING_DURATION, "10s", "its time limit", SETTING_BY_CODE, 0, 0, 0 },
    { "post_script.run_on_failure", SETTING_BOOL, "false", "also run it for a record that failed", SETTING_BY_CODE, 0, 0, 0 },
    { NULL, 0, NULL, NULL, 0, 0, 0, 0 },
};

/* A shared setting's default, from the table above. */
static const char *def(const char *key)
{
    return settings_default(flow_common_settings, key);
}

static int64_t def_ms(const char *key)
{
    int64_t ms = 0;
    duration_parse_ms(def(key), &ms);
    return ms;
}

static struct el_expr *compile_el(settings *s, const char *path, const char *text)
{
    strbuf e = STRBUF_INIT;
    int col = 0;
    struct el_expr *x = el_compile(text, &e, &col);
    if (!x)
        settings_problem(s, path, "expression error: %s", e.buf);
    strbuf_release(&e);
    return x;
}

void flow_call_load(settings *s, const char *path, flow_call *call, const char *def_method, int url_required)
{
    strbuf p = STRBUF_INIT;
    strbuf_setf(&p, "%s.url", path);
    call->url_text = settings_str(s, p.buf, NULL, url_required);
    if (call->url_text)
        call->url = compile_el(s, p.buf, call->url_text);
    strbuf_setf(&p, "%s.method", path);
    call->method = settings_method(s, p.buf, def_method);
    strbuf_setf(&p, "%s.headers", path);
    json_t *h = settings_blob(s, p.buf);
    if (h) {
        const char *k;
        json_t *v;
        size_t n = json_object_size(h), i = 0;
        call->header_names = xcalloc(n + 1, sizeof(char *));
        call->header_values = xcalloc(n + 1, sizeof(struct el_expr *));
        json_object_foreach(h, k, v) {
            strbuf hp = STRBUF_INIT;
            strbuf_addf(&hp, "%s.headers.%s", path, k);
            if (!json_is_string(v)) {
                settings_problem(s, hp.buf, "expected a string, got %s", settings_type_name(v));
            } else {
                call->header_values[i] = compile_el(s, hp.buf, json_string_value(v));
                if (call->header_values[i])
                    call->header_names[i++] = xstrdup(k);
            }
            strbuf_release(&hp);
        }
        call->n_headers = i;
    }
    strbuf_release(&p);
}

void flow_call_release(flow_call *call)
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
    memset(call, 0, sizeof *call);
}

static void load_erp_auth(settings *s, flow_auth *a)
{
    a->kind = FLOW_AUTH_NONE;
    if (!settings_section(s, "erp.login", 0))
        return;
    char *type = settings_str(s, "erp.login.type", def("erp.login.type"), 0);
    a->header_name = settings_str(s, "erp.login.header", def("erp.login.header"), 0);
    int64_t ttl = def_ms("erp.login.token_ttl");
    a->token_ttl_ms = settings_duration(s, "erp.login.token_ttl", ttl);
    a->backoff_ms = settings_duration(s, "erp.login.backoff", def_ms("erp.login.backoff"));
    a->max_backoff_ms = settings_duration(s, "erp.login.max_backoff", def_ms("erp.login.max_backoff"));
    if (type && strcmp(type, "none") == 0) {
        a->kind = FLOW_AUTH_NONE;
    } else if (type && strcmp(type, "token") == 0) {
        a->kind = FLOW_AUTH_TOKEN;
        flow_call_load(s, "erp.login", &a->login, def("erp.login.method"), 1);
        char *body = settings_str(s, "erp.login.body", NULL, 0);
        if (body) {
            a->login_body = compile_el(s, "erp.login.body", body);
            free(body);
        }
        a->token_path = settings_str(s, "erp.login.token_path", def("erp.login.token_path"), 0);
        a->header_prefix = settings_str(s, "erp.login.prefix", def("erp.login.prefix"), 0);
        a->username = settings_secret(s, "erp.login.username_env", 0);
        a->password = settings_secret(s, "erp.login.password_env", 0);
    } else if (type && strcmp(type, "basic") == 0) {
        a->kind = FLOW_AUTH_BASIC;
        a->username = settings_secret(s, "erp.login.username_env", 1);
        a->password = settings_secret(s, "erp.login.password_env", 1);
    } else if (type && strcmp(type, "static") == 0) {
        a->kind = FLOW_AUTH_STATIC;
        a->static_token = settings_secret(s, "erp.login.token_env", 1);
        a->header_prefix = settings_str(s, "erp.login.prefix", def("erp.login.prefix"), 0);
    } else if (type) {
        settings_problem(s, "erp.login.type", "expected one of none, token, basic, static, got \"%s\"", type);
    }
    free(type);
}

static void free_auth(flow_auth *a)
{
    flow_call_release(&a->login);
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

void flow_script_load(settings *s, flow *f, const char *file_key, flow_script *sc, int required)
{
    char *file = settings_str(s, file_key, NULL, required);
    if (!file)
        return;
    sc->path = resolve(f, file);
    strbuf src = STRBUF_INIT;
    /* an unreadable file or a script that does not compile is a problem of
     * this machine's (another replica's copy may be fine) */
    if (strbuf_read_file(&src, sc->path) < 0) {
        settings_problem_local(s, file_key, "cannot read %s: %s", sc->path, strerror(errno));
    } else if (f->load_flags & FLOW_LOAD_SCRIPTS) {
        strbuf e = STRBUF_INIT;
        sc->script = pyscript_compile(sc->path, src.buf, &e);
        if (!sc->script)
            settings_problem_local(s, file_key, "%s", e.buf);
        strbuf_release(&e);
    }
    strbuf_release(&src);
    free(file);
}

/* The script of section sec ("<sec>.file", "<sec>.timeout"). */
static void load_script(settings *s, flow *f, const char *sec, flow_script *sc, int required)
{
    strbuf p = STRBUF_INIT;
    strbuf_setf(&p, "%s.timeout", sec);
    sc->timeout_ms = settings_duration(s, p.buf, def_ms(p.buf));
    strbuf_setf(&p, "%s.file", sec);
    flow_script_load(s, f, p.buf, sc, required);
    strbuf_release(&p);
}

int flow_script_run(const flow_script *sc, attrs *a, const char *in, size_t len, const char *step, strbuf *out,
                    strbuf *err)
{
    strbuf e = STRBUF_INIT;
    pyscript_opts o = { (double)sc->timeout_ms / 1000.0, 1 };
    int r = pyscript_run(sc->script, in, len, a, &o, out, &e);
    if (r == PYSCRIPT_FAILURE) {
        const char *tb = attrs_get(a, "log.script.error");
        strbuf_setf(err, "%s: %s", step, e.len ? e.buf : "script failed");
        if (tb && !strstr(err->buf, tb))
            strbuf_addf(err, "\n%s", tb);
    }
    strbuf_release(&e);
    return r == PYSCRIPT_FAILURE ? -1 : r == PYSCRIPT_DROPPED ? 1 : 0;
}

void flow_script_release(flow_script *sc)
{
    free(sc->path);
    if (sc->script)
        pyscript_free(sc->script);
    memset(sc, 0, sizeof *sc);
}

static void load_mapping(settings *s, flow *f)
{
    if (!settings_section(s, "mapping", 0))
        return;
    char *file = settings_str(s, "mapping.file", NULL, 1);
    if (!file)
        return;
    f->mapping_path = resolve(f, file);
    free(file);
    strbuf e = STRBUF_INIT;
    json_t *spec = jsontext_load_file(f->mapping_path, &e);
    /* as for scripts: the mapping file is this machine's copy */
    if (!spec) {
        settings_problem_local(s, "mapping.file", "%s", e.buf);
    } else {
        strbuf_reset(&e);
        f->mapping = jolt_compile(spec, &e);
        if (!f->mapping)
            settings_problem_local(s, "mapping.file", "%s: invalid Jolt spec: %s", f->mapping_path, e.buf);
        json_decref(spec);
    }
    strbuf_release(&e);
}

static void load_omnitron(settings *s, flow *f)
{
    /* A missing or mistyped section is one problem, not one per setting in it. */
    json_t *o = settings_section(s, "omnitron", 1);
    f->omnitron_url = settings_str(s, "omnitron.url", NULL, o != NULL);
    if (f->omnitron_url) {
        size_t n = strlen(f->omnitron_url);
        while (n && f->omnitron_url[n - 1] == '/')
            f->omnitron_url[--n] = '\0';
        if (strncmp(f->omnitron_url, "http://", 7) && strncmp(f->omnitron_url, "https://", 8))
            settings_problem(s, "omnitron.url", "expected an http:// or https:// URL, got \"%s\"", f->omnitron_url);
    }
    f->omnitron_auth.kind = FLOW_AUTH_OMNITRON;
    f->omnitron_auth.header_name = xstrdup("Authorization");
    f->omnitron_auth.header_prefix = xstrdup("Token ");
    f->omnitron_auth.username = settings_secret(s, "omnitron.username_env", o != NULL);
    f->omnitron_auth.password = settings_secret(s, "omnitron.password_env", o != NULL);
    f->omnitron_auth.token_ttl_ms = settings_duration(s, "omnitron.token_ttl", def_ms("omnitron.token_ttl"));
    f->omnitron_auth.backoff_ms = settings_duration(s, "omnitron.login_backoff", def_ms("omnitron.login_backoff"));
    f->omnitron_auth.max_backoff_ms =
        settings_duration(s, "omnitron.login_max_backoff", def_ms("omnitron.login_max_backoff"));
    settings_section(s, "omnitron.paths", 0);
    f->omnitron_auth.login.url_text = settings_str(s, "omnitron.paths.login", def("omnitron.paths.login"), 0);
}

static void load_receiver(settings *s, flow *f)
{
    json_t *r = settings_section(s, "receiver", 0);
    if (!r)
        return;
    f->receiver_user = settings_secret(s, "receiver.username_env", 1);
    f->receiver_password = settings_secret(s, "receiver.password_env", 1);
    f->receiver_push = settings_bool(s, "receiver.push", strcmp(def("receiver.push"), "true") == 0);
    strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "/outbound/%s", f->name ? f->name : "");
    f->receiver_path = settings_str(s, "receiver.path", p.buf, 0);
    strbuf_release(&p);
    if (f->receiver_path && f->receiver_path[0] != '/')
        settings_problem(s, "receiver.path", "expected a path starting with '/', got \"%s\"", f->receiver_path);
    const setting *row = settings_row(flow_common_settings, "receiver.rate_limit");
    f->receiver_rate = settings_int(s, row->key, strtol(row->def, NULL, 10), row->min, row->max);
    f->receiver_idem_ms = settings_duration(s, "receiver.idempotency_window", def_ms("receiver.idempotency_window"));
    if (f->receiver_push && f->ft && !f->ft->receive)
        settings_problem(s, "receiver.push", "flows of type %s take no pushes", f->ft->name);
}

static void load_name_and_type(settings *s, flow *f)
{
    f->name = settings_str(s, "name", NULL, 1);
    if (f->name)
        for (const char *q = f->name; *q; q++)
            if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') {
                settings_problem(s, "name", "only letters, digits, '-' and '_' are allowed, got \"%s\"", f->name);
                break;
            }
    f->type = settings_str(s, "type", NULL, 1);
    if (f->type) {
        f->ft = flow_type_find(f->type);
        if (!f->ft) {
            strbuf names = STRBUF_INIT;
            flow_type_names(&names, ", ");
            settings_problem(s, "type", "expected one of %s, got \"%s\"", names.buf, f->type);
            strbuf_release(&names);
        }
    }
}

static void load_schedule(settings *s, flow *f)
{
    json_t *sch = settings_section(s, "schedule", 0);
    f->cron_text = settings_str(s, "schedule.cron", NULL, 0);
    if (sch && !settings_get(s, "schedule.cron") && !settings_get(s, "schedule.after"))
        settings_problem(s, "schedule", "needs schedule.cron or schedule.after");
    f->timezone = settings_str(s, "schedule.timezone", def("schedule.timezone"), 0);
    f->after = settings_str(s, "schedule.after", NULL, 0);
    char *st = settings_str(s, "schedule.after_status", def("schedule.after_status"), 0);
    if (st && strcmp(st, "finished") && strcmp(st, "success"))
        settings_problem(s, "schedule.after_status", "expected finished or success, got \"%s\"", st);
    f->after_success_only = st && strcmp(st, "success") == 0;
    free(st);
    if (f->after && f->name && strcmp(f->after, f->name) == 0)
        settings_problem(s, "schedule.after", "a flow cannot be triggered by its own runs");
    char *dialect = settings_str(s, "schedule.dialect", NULL, 0);
    if (dialect && !cron_dialect_valid(dialect)) {
        settings_problem(s, "schedule.dialect", "expected one of unix, quartz, spring, got \"%s\"", dialect);
    } else if (f->cron_text) {
        strbuf ce = STRBUF_INIT;
        f->cron = cron_parse_dialect(f->cron_text, dialect, &ce);
        if (!f->cron)
            settings_problem(s, "schedule.cron", "%s", ce.buf);
        strbuf_release(&ce);
    }
    free(dialect);
    if (f->timezone && !cron_tz_valid(f->timezone))
        settings_problem(s, "schedule.timezone", "unknown time zone \"%s\"", f->timezone);
}

static void load_http(settings *s, flow *f)
{
    f->http_timeout_ms = settings_duration(s, "http.timeout", def_ms("http.timeout"));
    f->http_connect_timeout_ms = settings_duration(s, "http.connect_timeout", def_ms("http.connect_timeout"));
    f->retry = RETRY_DEFAULT;
    const setting *r = settings_row(flow_common_settings, "http.retries");
    f->retry.max_attempts = (int)settings_int(s, r->key, strtol(r->def, NULL, 10), r->min, r->max) + 1;
    f->retry.base_ms = (long)settings_duration(s, "http.backoff", def_ms("http.backoff"));
    f->retry.max_ms = (long)settings_duration(s, "http.max_backoff", def_ms("http.max_backoff"));
    r = settings_row(flow_common_settings, "http.max_response_bytes");
    f->http_max_response = (size_t)settings_int(s, r->key, strtol(r->def, NULL, 10), r->min, r->max);
}

/* flow_load, and what a set keeps of a file that did not load (b may be NULL). */
static flow *load_file(const char *path, int flags, strbuf *errs, flow_broken *b)
{
    strbuf e = STRBUF_INIT;
    flow *f = xcalloc(1, sizeof *f);
    f->file = xstrdup(path);
    f->load_flags = flags;
    const char *slash = strrchr(path, '/');
    f->dir = slash ? strndup(path, (size_t)(slash - path)) : xstrdup("");
    f->script.timeout_ms = f->check_script.timeout_ms = f->post_script.timeout_ms = def_ms("script.timeout");

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
    settings *s = settings_new(path, root, errs);
    if (flags & FLOW_LOAD_NO_ENV)
        settings_ignore_env(s);
    if (!json_is_object(root)) {
        settings_problem(s, "(top)", "expected an object, got %s", json_is_array(root) ? "an array" : "a scalar");
    } else {
        load_name_and_type(s, f);
        f->enabled = settings_bool(s, "enabled", strcmp(def("enabled"), "true") == 0);
        const setting *ma = settings_row(flow_common_settings, "max_attempts");
        f->max_attempts = (int)settings_int(s, ma->key, strtol(ma->def, NULL, 10), ma->min, ma->max);
        load_schedule(s, f);
        load_http(s, f);
        load_omnitron(s, f);
        settings_section(s, "erp", 0);
        load_erp_auth(s, &f->erp_auth);
        load_receiver(s, f);
        if (settings_section(s, "script", 0))
            load_script(s, f, "script", &f->script, 0);
        load_mapping(s, f);
        if (settings_section(s, "erp.check_response", 0))
            load_script(s, f, "erp.check_response", &f->check_script, 0);
        if (settings_section(s, "post_script", 0)) {
            load_script(s, f, "post_script", &f->post_script, 1);
            f->post_run_on_failure =
                settings_bool(s, "post_script.run_on_failure", strcmp(def("post_script.run_on_failure"), "true") == 0);
        }
        /* the type's own settings; unknown keys only once everything is read */
        if (f->ft)
            f->ft->load(f, s);
        if (f->ft || !f->type)
            settings_check_unread(s);
    }
    int bad = settings_problems(s);
    if (bad && b) {
        b->name = f->name ? xstrdup(f->name) : NULL;
        b->type = f->type ? xstrdup(f->type) : NULL;
        b->local = settings_local_problems(s) == bad;
    }
    settings_free(s);
    json_decref(root);
    if (bad) {
        flow_free(f);
        return NULL;
    }
    return f;
}

flow *flow_load(const char *path, int flags, strbuf *errs)
{
    return load_file(path, flags, errs, NULL);
}

void flow_free(flow *f)
{
    if (!f)
        return;
    if (f->ft && f->ft->release)
        f->ft->release(f);
    free(f->file);
    free(f->dir);
    free(f->name);
    free(f->type);
    free(f->cron_text);
    free(f->after);
    free(f->receiver_user);
    free(f->receiver_password);
    free(f->receiver_path);
    if (f->cron)
        cron_free(f->cron);
    free(f->timezone);
    free(f->omnitron_url);
    free_auth(&f->omnitron_auth);
    free_auth(&f->erp_auth);
    flow_script_release(&f->script);
    free(f->mapping_path);
    if (f->mapping)
        jolt_free(f->mapping);
    flow_script_release(&f->check_script);
    flow_script_release(&f->post_script);
    free(f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Whether the file name of a folder is a flow file (docs/flows.md, first
 * section): a flows folder is often one flat folder (a Kubernetes
 * ConfigMap) holding the flows' scripts, mappings and sample records too.
 * A "*.flow.json" always is one (loading it reports what it lacks); another
 * "*.json" is one when its top-level object has both "name" and "type", or
 * when it is not valid JSON at all (a flow file with a syntax error must not
 * vanish silently); any other file is skipped without a word. */
static int is_flow_file(const char *path, const char *name)
{
    if (name[0] == '.' || !ends_with(name, ".json"))
        return 0;
    if (ends_with(name, ".flow.json"))
        return 1;
    json_t *root = jsontext_load_file(path, NULL);
    if (!root)
        return 1;
    int yes = json_is_object(root) && json_object_get(root, "name") && json_object_get(root, "type");
    json_decref(root);
    return yes;
}

/* Triggered By across the set: every schedule.after names a flow of the set,
 * and no flow is triggered, through a chain, by its own runs. The flows that
 * break either rule are reported ("<file>: schedule.after: cycle: a -> b ->
 * a") and left out; the number left out. */
static int check_after(flow_set *set, strbuf *errs)
{
    int *bad = xcalloc(set->n + 1, sizeof *bad);
    int nbad = 0;
    for (size_t i = 0; i < set->n; i++) {
        const flow *f = set->flows[i];
        if (!f->after)
            continue;
        if (!flow_set_find(set, f->after)) {
            if (errs)
                strbuf_addf(errs, "%s%s: schedule.after: no flow named \"%s\" is loaded with it", errs->len ? "\n" : "",
                            f->file, f->after);
            bad[i] = 1;
            continue;
        }
        strbuf path = STRBUF_INIT;
        const flow *g = f;
        strbuf_addstr(&path, f->name);
        for (size_t step = 0; step <= set->n && g && g->after; step++) {
            g = flow_set_find(set, g->after);
            if (!g)
                break;
            strbuf_addf(&path, " -> %s", g->name);
            if (g == f) {
                if (errs)
                    strbuf_addf(errs, "%s%s: schedule.after: cycle: %s", errs->len ? "\n" : "", f->file, path.buf);
                bad[i] = 1;
                break;
            }
        }
        strbuf_release(&path);
    }
    size_t k = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (bad[i]) {
            flow_free(set->flows[i]);
            nbad++;
        } else {
            set->flows[k++] = set->flows[i];
        }
    }
    set->n = k;
    free(bad);
    return nbad;
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
            strbuf p = STRBUF_INIT;
            strbuf_addf(&p, "%s/%s", dir_or_file, de->d_name);
            if (!is_flow_file(p.buf, de->d_name)) {
                strbuf_release(&p);
                continue;
            }
            files = realloc(files, (nfiles + 1) * sizeof *files);
            files[nfiles++] = strbuf_detach(&p, NULL);
        }
        closedir(d);
        qsort(files, nfiles, sizeof *files, cmp_str);
    }
    int broken = 0;
    for (size_t i = 0; i < nfiles; i++) {
        flow_broken b = { 0 };
        strbuf problems = STRBUF_INIT;
        flow *f = load_file(files[i], flags, &problems, &b);
        if (errs && problems.len)
            strbuf_addf(errs, "%s%s", errs->len ? "\n" : "", problems.buf);
        if (!f) {
            broken++;
            b.file = xstrdup(files[i]);
            b.problems = strbuf_detach(&problems, NULL);
            set->broken = xrealloc(set->broken, (set->n_broken + 1) * sizeof *set->broken);
            set->broken[set->n_broken++] = b;
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
        strbuf_release(&problems);
        free(files[i]);
    }
    free(files);
    return broken + check_after(set, errs);
}

void flow_set_release(flow_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        flow_free(set->flows[i]);
    free(set->flows);
    for (size_t i = 0; i < set->n_broken; i++) {
        free(set->broken[i].file);
        free(set->broken[i].name);
        free(set->broken[i].type);
        free(set->broken[i].problems);
    }
    free(set->broken);
    memset(set, 0, sizeof *set);
}

const flow_broken *flow_set_find_broken(const flow_set *set, const char *name)
{
    for (size_t i = 0; i < set->n_broken; i++)
        if (set->broken[i].name && strcmp(set->broken[i].name, name) == 0)
            return &set->broken[i];
    return NULL;
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
