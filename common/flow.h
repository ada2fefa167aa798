/*
 * flow: one integration flow, loaded from one JSON file (docs/flows.md).
 *
 * Loading is the one place where a flow file is read: it validates every
 * field and reports each problem as "<file>: <field path>: <what is wrong>",
 * one per line, all of them at once (not just the first). The sections every
 * type shares are read here; the type (flow_type.h, named by "type") reads
 * its own settings into f->type_data. Reads are tracked (settings.h): a key
 * nobody read is an "unknown setting". Scripts and
 * mappings are referenced by paths relative to the flow file, read and
 * compiled here, once. Secrets are never in the file: the file names the
 * environment variables that hold them.
 *
 * A loaded flow is immutable and shared by all threads of a service.
 */
#ifndef FF_FLOW_H
#define FF_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "duration.h"
#include "retry.h"
#include "settings.h"
#include "strbuf.h"

struct cron_expr;
struct el_expr;
struct jolt_spec;
struct pyscript;

/* A script step: a Python script file plus its time limit. */
typedef struct flow_script {
    char *path;                 /* resolved path, NULL when not configured */
    struct pyscript *script;    /* compiled (when FLOW_LOAD_SCRIPTS) */
    int64_t timeout_ms;
} flow_script;

/* An HTTP call template: URL (NiFi EL), method, extra headers (EL values). */
typedef struct flow_call {
    char *url_text;
    struct el_expr *url;
    char *method;
    size_t n_headers;
    char **header_names;
    struct el_expr **header_values;
} flow_call;

/* How a system is logged in to and how the token is sent. */
typedef struct flow_auth {
    int kind;                   /* FLOW_AUTH_NONE / _OMNITRON / _TOKEN / _BASIC / _STATIC */
    flow_call login;            /* for _TOKEN: the login request */
    struct el_expr *login_body; /* body template; attrs hold username/password */
    char *token_path;           /* dotted path of the token in the login response */
    char *header_name;          /* header that carries it ("Authorization") */
    char *header_prefix;        /* "Bearer ", "Token ", "" */
    char *username;             /* read from the named env var at load */
    char *password;
    char *static_token;
    int64_t token_ttl_ms;
    int64_t backoff_ms;         /* pause after a refused login (4xx), doubled per refusal */
    int64_t max_backoff_ms;     /* ... up to this */
} flow_auth;

enum { FLOW_AUTH_NONE, FLOW_AUTH_OMNITRON, FLOW_AUTH_TOKEN, FLOW_AUTH_BASIC, FLOW_AUTH_STATIC };

struct flow_type;

typedef struct flow {
    char *file;                 /* path as given */
    char *dir;                  /* directory of the file */
    char *name;
    char *type;                 /* the type's name, as in the file */
    const struct flow_type *ft; /* the type (flow_type.h) */
    void *type_data;            /* the type's own settings: reach them through
                                 * the type's checked accessor, never a cast */
    int enabled;
    int max_attempts;           /* failed attempts before a record is parked (stage.h) */

    /* schedule */
    char *cron_text;
    struct cron_expr *cron;     /* NULL for outbound-only flows */
    char *timezone;
    char *after;                /* Triggered By: runs when this flow's run finishes (NULL: none) */
    int after_success_only;     /* ... only when that run succeeded */

    /* http settings shared by every call of the flow */
    int64_t http_timeout_ms;
    int64_t http_connect_timeout_ms;
    size_t http_max_response;
    retry_policy retry;

    /* Omnitron: where it is and how to log in */
    char *omnitron_url;
    flow_auth omnitron_auth;

    /* ERP login (erp.login) */
    flow_auth erp_auth;

    /* the receiver (services/receiver): who may push to or trigger the flow */
    char *receiver_user;        /* NULL: no receiver user: nothing is taken by URL */
    char *receiver_password;
    int receiver_push;          /* takes pushes (an outbound flow) */
    char *receiver_path;        /* where pushes go: "/outbound/<name>" */
    long receiver_rate;         /* pushes per second, the whole fleet */
    int64_t receiver_idem_ms;   /* how long an Idempotency-Key is remembered */

    /* scripts and mapping */
    flow_script script;         /* Script Step (transformer) */
    char *mapping_path;
    struct jolt_spec *mapping;  /* Mapping Step */
    flow_script check_script;   /* Check Response Script */
    flow_script post_script;    /* Post Script */
    int post_run_on_failure;

    int load_flags;             /* the FLOW_LOAD_* flags it was loaded with */
} flow;

#define FLOW_LOAD_SCRIPTS 1     /* compile Python scripts (needs pyscript_global_init) */
#define FLOW_LOAD_NO_ENV 2      /* do not read the secrets' environment variables (flowctl next) */

/* A script of the flow file: the file named at file_key (relative to the
 * flow file), read, and compiled when f was loaded with FLOW_LOAD_SCRIPTS;
 * an unreadable file or a script that does not compile is a problem of
 * this machine's. For a type's own scripts (its load); timeout_ms is left
 * to the caller. sc's contents are freed with flow_script_release. */
void flow_script_load(settings *s, flow *f, const char *file_key, flow_script *sc, int required);
void flow_script_release(flow_script *sc);
/* Runs sc's compiled script on in[0..len) with attributes a (read and
 * written by the script), its output appended to out (the caller's).
 * 0 ok, 1 the script dropped the record, -1 it failed: err is then
 * "<step>: <error>" and, when the script put one there, its traceback
 * (log.script.error) on the lines below. */
int flow_script_run(const flow_script *sc, attrs *a, const char *in, size_t len, const char *step, strbuf *out,
                    strbuf *err);

/* Loads and validates one flow file. NULL with every problem in errs. */
flow *flow_load(const char *path, int flags, strbuf *errs);
void flow_free(flow *f);

/* A file of a set that did not load, and why. */
typedef struct flow_broken {
    char *file;
    char *name;                 /* its "name", NULL when unreadable */
    char *type;                 /* its "type" as written, NULL when unreadable */
    char *problems;             /* its problem lines */
    int local;                  /* every problem is this machine's own
                                 * (settings_problem_local): valid elsewhere */
} flow_broken;

/* A set of flows: every *.json file of a directory (or one file). Broken
 * files are reported in errs and left out (and listed in broken); the
 * others load. */
typedef struct flow_set {
    flow **flows;
    size_t n;
    flow_broken *broken;
    size_t n_broken;
} flow_set;

/* Returns the number of broken files (0 when all loaded), -1 when the
 * directory cannot be read. */
int flow_set_load(flow_set *set, const char *dir_or_file, int flags, strbuf *errs);
void flow_set_release(flow_set *set);
const flow *flow_set_find(const flow_set *set, const char *name);
/* The file named name that did not load (borrowed), or NULL. */
const flow_broken *flow_set_find_broken(const flow_set *set, const char *name);

/* Reads an HTTP call's url (a NiFi expression), method and headers under
 * path (e.g. "erp.write") into call (zeroed by the caller); the url is
 * required when url_required. Problems go through s. Release with
 * flow_call_release. */
void flow_call_load(settings *s, const char *path, flow_call *call, const char *def_method, int url_required);
void flow_call_release(flow_call *call);

/* The settings every flow type shares (name, schedule, http, omnitron,
 * erp.login, scripts, mapping), for docs/flows.md. */
extern const setting flow_common_settings[];

/* Replaces {name} placeholders in tmpl from attrs; unknown ones are kept. */
void flow_fill_path(strbuf *out, const char *tmpl, const attrs *vars);

#endif
