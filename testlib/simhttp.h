/*
 * simhttp: the small HTTP server layer shared by the test simulators
 * (tools/omnitron-sim, tools/erp-sim), on top of libmicrohttpd.
 *
 * The daemon runs an internal thread pool with epoll and keep-alive. For each
 * request simhttp collects the whole body (capped at 16 MiB: larger bodies
 * get 413), then calls the program's handler once with a simhttp_req. The
 * handler reads the method, path, query arguments, headers and body, and
 * answers with simhttp_reply_json() / simhttp_reply_text() /
 * simhttp_reply_error(). Every answer is JSON (Content-Type
 * application/json); a handler that answers nothing gives a 500.
 *
 * Delays (the simulators' slow_ms and timeout faults) never block a pool
 * thread: a handler sets req->delay_ms, simhttp suspends the connection and a
 * timer thread resumes it when the delay is over, and only then is the
 * prepared answer sent. On shutdown every delayed answer is released at once.
 * A handler that cannot answer yet sets req->again_ms instead: the connection
 * is suspended the same way and the handler is called again afterwards (the
 * waiting form of /_control/state below uses it).
 *
 * simhttp_run_until_signal() is the common main loop: it blocks SIGINT and
 * SIGTERM (call simhttp_block_signals() before simhttp_start() so the pool
 * threads inherit the mask), waits for one of them, and returns.
 *
 * What the simulators' main() and control surface have in common lives here
 * too: the server options (--port, --port-file, --bind, --threads, parsed by
 * simhttp_option() from SIMHTTP_LONGOPTS), simhttp_serve() (start, port
 * file, "listening on" line, wait for a signal, stop) and
 * simhttp_handle_control() (the /_control/state|order|faults|reset routes).
 *
 * req->target keeps the request target's bytes as the client sent them
 * (libmicrohttpd decodes the path it hands on): a simulator records it so
 * a test can assert exactly how a URL was encoded on the wire.
 */
#ifndef FF_SIMHTTP_H
#define FF_SIMHTTP_H

#include <jansson.h>
#include <stddef.h>

#include "strbuf.h"

typedef struct simhttp_server simhttp_server;

typedef struct simhttp_req {
    void *conn;              /* struct MHD_Connection * (borrowed) */
    const char *method;      /* "GET", "POST", ... (borrowed) */
    const char *path;        /* URL path without the query, percent-decoded (borrowed) */
    const char *target;      /* the request target as received: path and query,
                              * not decoded (owned by simhttp) */
    strbuf body;             /* the request body, owned by simhttp */
    /* The answer, filled by the reply functions. */
    int status;
    strbuf out;
    char retry_after[24];    /* when non-empty, sent as Retry-After */
    unsigned delay_ms;       /* hold the answer this long before sending */
    unsigned again_ms;       /* instead of answering, call the handler again
                              * after this long (what it wrote is dropped) */
    unsigned long long started_ns; /* CLOCK_MONOTONIC when the request was complete */
} simhttp_req;

/* Called once per complete request, from a pool thread (so concurrently). */
typedef void (*simhttp_handler)(void *ctx, simhttp_req *req);

typedef struct simhttp_options {
    const char *bind;        /* IPv4 address; NULL: 127.0.0.1 */
    int port;                /* 0: any free port */
    int threads;             /* pool size; 0: number of CPUs (at least 2) */
    const char *port_file;   /* simhttp_serve writes the bound port here; NULL: none */
} simhttp_options;

/* The getopt_long entries of the server options, for a program's longopts
 * table (the program includes <getopt.h>). */
#define SIMHTTP_LONGOPTS                                   \
    { "port", required_argument, NULL, 'p' },              \
    { "port-file", required_argument, NULL, 'f' },         \
    { "bind", required_argument, NULL, 'b' },              \
    { "threads", required_argument, NULL, 't' }
/* Applies getopt_long's answer c (with optarg arg) to opt when it is one of
 * SIMHTTP_LONGOPTS. Returns 1 if it was, else 0 (arg is kept, borrowed). */
int simhttp_option(simhttp_options *opt, int c, const char *arg);

/* Starts the daemon. Returns a new server (free with simhttp_stop), or NULL
 * with a message in err. */
simhttp_server *simhttp_start(const simhttp_options *opt, simhttp_handler h, void *ctx, strbuf *err);
/* The port actually bound. */
int simhttp_port(const simhttp_server *s);
/* Releases delayed answers, stops the daemon and frees s. NULL is fine. */
void simhttp_stop(simhttp_server *s);

/* Request accessors; returned strings are borrowed from the request. */
const char *simhttp_query(const simhttp_req *req, const char *key);
const char *simhttp_header(const simhttp_req *req, const char *name);
/* Calls fn for every query argument (kind 0) or header (kind 1), in order. */
void simhttp_foreach(const simhttp_req *req, int kind,
                     void (*fn)(void *arg, const char *key, const char *value), void *arg);
/* Parses the body as JSON. New reference, or NULL with err ("empty body",
 * or the parse error). */
json_t *simhttp_body_json(const simhttp_req *req, strbuf *err);

/* Matches path against pattern, where each "{}" in the pattern matches a
 * decimal number (1 to 18 digits) stored in ids[] in order. Returns 1 on a
 * full match (at most max ids), else 0. */
int simhttp_match(const char *path, const char *pattern, long long *ids, int max);

/* Answers: the JSON dump of v (borrowed) / JSON text / {"key": message}. */
void simhttp_reply_json(simhttp_req *req, int status, const json_t *v);
void simhttp_reply_text(simhttp_req *req, int status, const char *json_text, size_t len);
void simhttp_reply_error(simhttp_req *req, int status, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "<port>\n" to path atomically (temp file + rename). 0 or -1. */
int simhttp_write_port_file(const char *path, int port, strbuf *err);
void simhttp_block_signals(void);
/* Waits for SIGINT or SIGTERM (blocked by simhttp_block_signals). */
void simhttp_run_until_signal(void);
/* A simulator's life after option parsing: blocks the signals, starts the
 * server, writes opt->port_file, prints "listening on ADDR:PORT" on stdout,
 * waits for SIGINT/SIGTERM and stops. Returns 0, or 1 after printing
 * "prog: message" on stderr. ctx stays the caller's. */
int simhttp_serve(const char *prog, const simhttp_options *opt, simhttp_handler h, void *ctx);

/* The control surface both simulators serve under /_control/: GET state,
 * GET order, POST faults, POST reset, each answered by the program's handler;
 * other methods get 405 and other names 404 ({"error": ...}). */
typedef struct simhttp_control {
    simhttp_handler state, order, faults, reset;
} simhttp_control;
/* Dispatches req (whose path starts with "/_control/") to c.
 * GET /_control/state?wait_for=FIELD&wait_min=N[&timeout_ms=T] answers only
 * once the state's integer FIELD is at least N, or when T ms (default
 * 60000) have passed; the state is checked every few milliseconds in the
 * server, so a test or bench that waits for the end of a run costs one
 * request instead of a poll loop. Its answer is the state as usual; the
 * caller compares FIELD itself. */
void simhttp_handle_control(const simhttp_control *c, void *ctx, simhttp_req *req);

/* A small fast PRNG (splitmix64) for the simulators' data and faults. */
unsigned long long simhttp_rand_next(unsigned long long *state);
/* Uniform double in [0, 1) from a per-thread generator seeded from seed. */
double simhttp_rand_unit(unsigned long long seed);

#endif
