/*
 * flow: one integration flow, loaded from one JSON file (docs/flows.md).
 *
 * Loading is the one place where a flow file is read: it validates every
 * field and reports each problem as "<file>: <field path>: <what is wrong>",
 * one per line, all of them at once (not just the first). Scripts and
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
} flow_auth;

enum { FLOW_AUTH_NONE, FLOW_AUTH_OMNITRON, FLOW_AUTH_TOKEN, FLOW_AUTH_BASIC, FLOW_AUTH_STATIC };

typedef struct flow {
    char *file;                 /* path as given */
    char *dir;                  /* directory of the file */
    char *name;
    char *type;                 /* "order", ... (FLOW_TYPES) */
    int enabled;

    /* schedule */
    char *cron_text;
    struct cron_expr *cron;     /* NULL for outbound-only flows */
    char *timezone;

    /* http settings shared by every call of the flow */
    int64_t http_timeout_ms;
    int64_t http_connect_timeout_ms;
    size_t http_max_response;
    retry_policy retry;

    /* Omnitron */
    char *omnitron_url;
    flow_auth omnitron_auth;
    char *channels;             /* "1,2" */
    char *path_orders;          /* list query, with {channels} {after} {limit} */
    char *path_order_detail;    /* with {pk} */
    char *path_items;           /* with {pk} */
    char *path_item_detail;
    char *path_discounts;
    char *path_discount_detail;
    char *path_mark_sent;
    char *path_item_mapping;
    char *path_order_mapping;   /* NULL: no order-level mapping */
    char *path_order_by_number; /* one detailed order, with {number} (flowctl order) */
    int page_size;
    int read_concurrency;
    int64_t lease_ttl_ms;
    int64_t max_orders_per_run; /* 0: no limit */

    /* ERP */
    flow_auth erp_auth;
    flow_call query;            /* query.url NULL: no Query Check Order */
    char *query_response_path;  /* Custom Response Path (dotted; "" = whole body) */
    char *query_response_value; /* Custom Response Path Value */
    int *failure_codes;
    size_t n_failure_codes;
    int *not_found_codes;
    size_t n_not_found_codes;
    flow_call write;

    /* built-in check response: where the ERP codes are in the response */
    char *resp_order_code_path; /* "id" */
    char *resp_items_path;      /* "items" */
    char *resp_item_code_field; /* "code" */

    /* scripts and mapping */
    flow_script script;         /* Script Step (transformer) */
    char *mapping_path;
    struct jolt_spec *mapping;  /* Mapping Step */
    flow_script check_script;   /* Check Response Script */
    flow_script post_script;    /* Post Script */
    int post_run_on_failure;
} flow;

/* Flow types this build knows, NULL-terminated. */
extern const char *const FLOW_TYPES[];

#define FLOW_LOAD_SCRIPTS 1     /* compile Python scripts (needs pyscript_global_init) */

/* Loads and validates one flow file. NULL with every problem in errs. */
flow *flow_load(const char *path, int flags, strbuf *errs);
void flow_free(flow *f);

/* A set of flows: every *.json file of a directory (or one file). Broken
 * files are reported in errs and left out; the others load. */
typedef struct flow_set {
    flow **flows;
    size_t n;
} flow_set;

/* Returns the number of broken files (0 when all loaded), -1 when the
 * directory cannot be read. */
int flow_set_load(flow_set *set, const char *dir_or_file, int flags, strbuf *errs);
void flow_set_free(flow_set *set);
const flow *flow_set_find(const flow_set *set, const char *name);

/* Replaces {name} placeholders in tmpl from attrs; unknown ones are kept. */
void flow_fill_path(strbuf *out, const char *tmpl, const attrs *vars);

#endif
