/*
 * http: the one HTTP client (libcurl) every service uses.
 *
 * An http_client wraps one curl easy handle, so connections are reused
 * between requests; use one client per worker (a worker is a fiber, fiber.h:
 * a client is never used by two at once, and a loop thread's fibers share
 * its connections). http_do() applies the retry
 * policy (retry.h) on connection errors, timeouts, 5xx and 429 (honouring
 * Retry-After), caps the response size, and on a 401 calls the request's
 * auth hook once with force=1 (re-login) and retries once.
 *
 * A URL is checked before use: one that libcurl's URL parser rejects, or one
 * holding spaces or control characters, fails without sending anything, with
 * the URL in the error.
 */
#ifndef FF_HTTP_H
#define FF_HTTP_H

#include <stddef.h>

#include "retry.h"
#include "strbuf.h"

typedef struct http_client http_client;

typedef struct http_options {
    long connect_timeout_ms;     /* 0: 5000 */
    long timeout_ms;             /* total per try; 0: 30000 */
    size_t max_response_bytes;   /* 0: 16 MiB */
} http_options;

/* Auth hook: writes the full header line ("Authorization: Token abc") into
 * header. force=0: the current credential (from cache/store, logging in if
 * there is none); force=1: log in again (the current one got a 401).
 * Returns 0, or -1 with err (login failed). */
typedef int (*http_auth_fn)(void *ctx, int force, strbuf *header, strbuf *err);

typedef struct http_request {
    const char *method;           /* GET, POST, PUT, PATCH, DELETE */
    const char *url;
    const char *const *headers;   /* NULL-terminated "Name: value" lines, or NULL */
    const char *body;             /* may be NULL */
    size_t body_len;
    http_auth_fn auth;            /* may be NULL */
    void *auth_ctx;
    const retry_policy *retry;    /* NULL: RETRY_DEFAULT */
    long timeout_ms;              /* 0: the client's */
    size_t max_response_bytes;    /* 0: the client's */
} http_request;

typedef struct http_response {
    long status;        /* last HTTP status; 0 when no response was received */
    strbuf body;
    strbuf content_type;
    int attempts;       /* tries made */
    int relogins;       /* 401 re-logins made (0 or 1) */
    double elapsed_ms;  /* all tries together */
    strbuf error;       /* transport error / URL error text, empty otherwise */
} http_response;

void http_response_init(http_response *r);
void http_response_release(http_response *r);

http_client *http_client_new(const http_options *opt);
void http_client_free(http_client *c);

/* Performs the request with retries. Returns 0 when an HTTP response was
 * received (any status: the caller judges it), -1 when none was (URL invalid,
 * transport failure after all retries, response too large, auth failed), with
 * resp->error set. */
int http_do(http_client *c, const http_request *req, http_response *resp);

/* 0 when url is safe to send; -1 with "invalid URL \"...\": reason" in err. */
int http_check_url(const char *url, strbuf *err);

/* Process-wide init/cleanup (curl_global_init); call once from main.
 * http_global_init is idempotent (http_client_new calls it too);
 * http_global_cleanup at exit, after every client is freed. */
void http_global_init(void);
void http_global_cleanup(void);

/* Counters for /metrics: requests sent, retries, by status class. */
typedef struct http_stats {
    long requests, retries, relogins, errors, s2xx, s4xx, s5xx;
} http_stats;
void http_stats_get(http_stats *out);
/* A try made again outside http_do (the ERP write's ask-then-write loop,
 * writeonce.h): counted with http_do's own, against the client's last
 * target. c may be NULL. */
void http_client_count_retry(http_client *c);
/* Tries the client's last http_do made (0 before the first). */
int http_client_last_tries(const http_client *c);

/* link resolved against the URL from (a page's next link): absolute links
 * as they are, relative ones keep from's scheme, host and path as RFC 3986
 * says (curl's URL parser). Replaces out; 0, or -1 when either is no URL. */
int http_resolve_url(const char *from, const char *link, strbuf *out);

#endif
