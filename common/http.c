/*
 * http.c: the HTTP client over libcurl. See http.h for the contract.
 *
 * One curl easy handle per client. Before each try the handle is reset
 * (curl_easy_reset keeps the connection cache, so keep-alive connections are
 * reused) and every option is set again from the request, which keeps one
 * try independent of the previous one.
 *
 * http_do() is a loop over tries:
 *   - the URL is checked first (curl's URL parser plus a scan for spaces and
 *     control characters); a bad one fails before anything is sent, a good
 *     one is handed to curl parsed (CURLOPT_CURLU);
 *   - the auth hook (force=0) gives the Authorization header up front;
 *   - a transport error (refused, reset, timeout), a 5xx or a 429 is retried
 *     as retry_should() says, sleeping retry_delay_ms() in between, with the
 *     server's Retry-After as a floor;
 *   - a 401 calls the auth hook with force=1 once and tries again; that extra
 *     try does not use up the retry policy's attempts;
 *   - a body beyond max_response_bytes aborts the transfer (the write
 *     callback refuses the data, and curl's MAXFILESIZE catches an announced
 *     Content-Length early) and is never retried.
 *
 * In a fiber (fiber.h) the transfer and the retry sleeps suspend only the
 * fiber; the loop's connections are shared by its fibers.
 *
 * Counters for /metrics are process-wide atomics (http_stats), plus, per
 * target (the URL's host:port: a flow talks to few), a latency histogram
 * of every call (all its tries), its outcome class and its retries. A
 * client keeps the handles of the last target it called, so a worker
 * calling the same system again looks nothing up.
 */
#include "http.h"
#include "clock.h"
#include "fiber.h"
#include "metrics.h"
#include "xalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* one target's metrics (see the top of this file) */
enum { CLS_2XX, CLS_3XX, CLS_4XX, CLS_5XX, CLS_ERROR, N_CLS };
typedef struct target_metrics {
    char name[128];   /* host:port, "" before the first call */
    metric *duration, *cls[N_CLS], *retries, *relogins;
} target_metrics;

#define N_TARGETS 4   /* targets a client's metrics are kept for (a writer talks to 2) */

struct http_client {
    CURL *h;
    http_options opt;
    target_metrics tms[N_TARGETS];
    target_metrics *tm;    /* the current request's target */
    int ntm;
    int last_tries;
    unsigned seed;
    char errbuf[CURL_ERROR_SIZE];
};

/* --- stats --------------------------------------------------------------- */

static long st_requests, st_retries, st_relogins, st_errors, st_2xx, st_4xx, st_5xx;

static void stat_inc(long *v)
{
    __atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
}

void http_stats_get(http_stats *out)
{
    out->requests = __atomic_load_n(&st_requests, __ATOMIC_RELAXED);
    out->retries = __atomic_load_n(&st_retries, __ATOMIC_RELAXED);
    out->relogins = __atomic_load_n(&st_relogins, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&st_errors, __ATOMIC_RELAXED);
    out->s2xx = __atomic_load_n(&st_2xx, __ATOMIC_RELAXED);
    out->s4xx = __atomic_load_n(&st_4xx, __ATOMIC_RELAXED);
    out->s5xx = __atomic_load_n(&st_5xx, __ATOMIC_RELAXED);
}

/* The host:port of url ("invalid" when there is none), into out. */
static void target_of(const char *url, char *out, size_t n)
{
    const char *p = url ? strstr(url, "://") : NULL;
    size_t len = 0;
    if (p) {
        p += 3;
        len = strcspn(p, "/?#");
        const char *at = memchr(p, '@', len);   /* never the user info */
        if (at) {
            len -= (size_t)(at + 1 - p);
            p = at + 1;
        }
    }
    if (!p || !len || len >= n) {
        snprintf(out, n, "invalid");
        return;
    }
    memcpy(out, p, len);
    out[len] = '\0';
}

static target_metrics *target(http_client *c, const char *url)
{
    static const char *const CLS[N_CLS] = { "2xx", "3xx", "4xx", "5xx", "error" };
    char name[sizeof c->tms[0].name];
    target_of(url, name, sizeof name);
    /* the client's targets are few and looked up per request: registering
     * (metrics.h, a lock and a scan) only happens on a target's first use */
    for (int i = 0; i < c->ntm; i++)
        if (!strcmp(name, c->tms[i].name))
            return c->tm = &c->tms[i];
    target_metrics *t = &c->tms[c->ntm < N_TARGETS ? c->ntm++ : (int)(c->seed % N_TARGETS)];
    strbuf l = STRBUF_INIT;
    snprintf(t->name, sizeof t->name, "%s", name);
    strbuf_addstr(&l, "target=\"");
    metrics_label_escape(&l, name);
    strbuf_addch(&l, '"');
    t->duration = metrics_histogram("http_request_duration_seconds", l.buf,
                                    "HTTP calls' duration (every try and wait of one call), by target");
    t->retries = metrics_counter("http_retries_total", l.buf,
                                 "HTTP tries made again (transport errors, 5xx, 429, and the ERP write's "
                                 "ask-then-write loop), by target");
    t->relogins = metrics_counter("http_relogins_total", l.buf, "Logins again after a 401, by target");
    size_t base = l.len;
    for (int i = 0; i < N_CLS; i++) {
        strbuf_setlen(&l, base);
        strbuf_addf(&l, ",class=\"%s\"", CLS[i]);
        t->cls[i] = metrics_counter("http_requests_total", l.buf, "HTTP tries sent, by target and outcome class");
    }
    strbuf_release(&l);
    return c->tm = t;
}

void http_client_count_retry(http_client *c)
{
    stat_inc(&st_retries);
    if (c && c->tm && c->tm->retries)
        metric_add(c->tm->retries, 1);
}

int http_client_last_tries(const http_client *c)
{
    return c ? c->last_tries : 0;
}

/* --- global init --------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_global_init(void)
{
    pthread_once(&init_once, do_global_init);
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* --- responses ----------------------------------------------------------- */

void http_response_init(http_response *r)
{
    memset(r, 0, sizeof *r);
    strbuf_init(&r->body, 0);
    strbuf_init(&r->content_type, 0);
    strbuf_init(&r->error, 0);
}

void http_response_release(http_response *r)
{
    strbuf_release(&r->body);
    strbuf_release(&r->content_type);
    strbuf_release(&r->error);
}

/* --- clients ------------------------------------------------------------- */

http_client *http_client_new(const http_options *opt)
{
    http_global_init();
    http_client *c = xcalloc(1, sizeof *c);
    if (opt)
        c->opt = *opt;
    if (c->opt.connect_timeout_ms <= 0)
        c->opt.connect_timeout_ms = 5000;
    if (c->opt.timeout_ms <= 0)
        c->opt.timeout_ms = 30000;
    if (c->opt.max_response_bytes == 0)
        c->opt.max_response_bytes = 16u << 20;
    c->h = curl_easy_init();
    if (!c->h) {
        free(c);
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->seed = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)c;
    return c;
}

void http_client_free(http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->h);
    free(c);
}

/* --- URL check ----------------------------------------------------------- */

/* http_check_url, keeping the parsed URL in *parsed when it is good (the
 * caller frees it with curl_url_cleanup; curl then need not parse it again). */
static int check_url(const char *url, CURLU **parsed, strbuf *err)
{
    const char *reason = NULL;
    char *scheme = NULL;
    CURLU *u = NULL;
    if (!url || !*url) {
        strbuf_seterr(err, "invalid URL \"\": empty");
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (*p == ' ') {
            reason = "contains a space";
            break;
        }
        if (*p < 0x20 || *p == 0x7f) {
            reason = "contains a control character";
            break;
        }
    }
    if (!reason) {
        u = curl_url();
        if (!u)
            abort();
        CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
        if (rc != CURLUE_OK)
            reason = curl_url_strerror(rc);
        else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || !scheme)
            reason = "no scheme";
        else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
            reason = "scheme is not http or https";
    }
    curl_free(scheme);
    if (!reason && parsed) {
        *parsed = u;
        return 0;
    }
    curl_url_cleanup(u);
    if (!reason)
        return 0;
    if (err) {
        strbuf_reset(err);
        strbuf_addstr(err, "invalid URL \"");
        strbuf_add_json_escaped(err, url, strlen(url));
        strbuf_addf(err, "\": %s", reason);
    }
    return -1;
}

int http_check_url(const char *url, strbuf *err)
{
    return check_url(url, NULL, err);
}

/* --- one try ------------------------------------------------------------- */

struct try_state {
    strbuf *body;
    size_t max;
    int too_large;
    char retry_after[128];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct try_state *ts = ud;
    size_t n = size * nmemb;
    if (ts->body->len + n > ts->max) {
        ts->too_large = 1;
        return 0;  /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    strbuf_add(ts->body, data, n);
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct try_state *ts = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        ts->retry_after[0] = '\0';  /* a new response (after 100-continue) */
    } else if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        size_t vl = n - 12;
        if (vl >= sizeof ts->retry_after)
            vl = sizeof ts->retry_after - 1;
        memcpy(ts->retry_after, data + 12, vl);
        ts->retry_after[vl] = '\0';
    }
    return n;
}

/* Performs one try. Returns the CURLcode; status/content type in resp. */
static CURLcode do_try(http_client *c, const http_request *req, CURLU *url, const char *auth_header,
                       struct try_state *ts, http_response *resp)
{
    CURL *h = c->h;
    curl_easy_reset(h);
    c->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_CURLU, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opt.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : c->opt.timeout_ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ts->max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ts);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, ts);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");

    const char *method = req->method && *req->method ? req->method : "GET";
    if (strcasecmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcasecmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        if (strcasecmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (req->body || strcasecmp(method, "POST") == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
    }

    struct curl_slist *hdrs = NULL;
    for (const char *const *p = req->headers; p && *p; p++)
        hdrs = curl_slist_append(hdrs, *p);
    if (auth_header && *auth_header)
        hdrs = curl_slist_append(hdrs, auth_header);
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    strbuf_reset(ts->body);
    ts->too_large = 0;
    ts->retry_after[0] = '\0';
    stat_inc(&st_requests);
    CURLcode rc = fiber_curl_perform(h);
    curl_slist_free_all(hdrs);

    resp->status = 0;
    strbuf_reset(&resp->content_type);
    if (rc == CURLE_OK) {
        long st = 0;
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        resp->status = st;
        if (ct)
            strbuf_addstr(&resp->content_type, ct);
        if (st >= 200 && st < 300)
            stat_inc(&st_2xx);
        else if (st >= 400 && st < 500)
            stat_inc(&st_4xx);
        else if (st >= 500 && st < 600)
            stat_inc(&st_5xx);
        metric_add(c->tm->cls[st >= 200 && st < 600 ? (int)(st / 100) - 2 : CLS_ERROR], 1);
    } else {
        metric_add(c->tm->cls[CLS_ERROR], 1);
    }
    return rc;
}

int http_do(http_client *c, const http_request *req, http_response *resp)
{
    const retry_policy *pol = req->retry ? req->retry : &RETRY_DEFAULT;
    double t0 = clock_mono_ms();
    strbuf auth = STRBUF_INIT, aerr = STRBUF_INIT;
    CURLU *url = NULL;
    int ret = -1;

    resp->status = 0;
    resp->attempts = 0;
    resp->relogins = 0;
    resp->elapsed_ms = 0;
    target_metrics *tm = target(c, req->url);
    strbuf_reset(&resp->body);
    strbuf_reset(&resp->content_type);
    strbuf_reset(&resp->error);

    if (check_url(req->url, &url, &resp->error) < 0)
        goto out;
    if (req->auth && req->auth(req->auth_ctx, 0, &auth, &aerr) < 0) {
        strbuf_setf(&resp->error, "auth failed: %s", aerr.buf);
        goto out;
    }

    size_t max = req->max_response_bytes > 0 ? req->max_response_bytes : c->opt.max_response_bytes;
    struct try_state ts = { &resp->body, max, 0, "" };
    int policy_attempt = 0;
    for (;;) {
        policy_attempt++;
        resp->attempts++;
        CURLcode rc = do_try(c, req, url, auth.buf, &ts, resp);
        long retry_after = -1;
        if (rc != CURLE_OK) {
            if (ts.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
                stat_inc(&st_errors);
                strbuf_reset(&resp->body);
                strbuf_setf(&resp->error, "response larger than %zu bytes", max);
                goto out;
            }
            stat_inc(&st_errors);
            strbuf_setf(&resp->error, "%s %s: %s", req->method ? req->method : "GET", req->url,
                        c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
            strbuf_reset(&resp->body);
            if (!retry_should(pol, policy_attempt, 0, 1))
                goto out;
        } else {
            strbuf_reset(&resp->error);
            if (resp->status == 401 && req->auth && resp->relogins == 0) {
                strbuf_reset(&auth);
                if (req->auth(req->auth_ctx, 1, &auth, &aerr) < 0) {
                    strbuf_setf(&resp->error, "auth failed: %s", aerr.buf);
                    goto out;
                }
                resp->relogins++;
                stat_inc(&st_relogins);
                metric_add(tm->relogins, 1);
                policy_attempt--;  /* the re-login try is extra */
                continue;
            }
            if (!retry_should(pol, policy_attempt, resp->status, 0)) {
                ret = 0;
                goto out;
            }
            if (ts.retry_after[0]) {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                retry_after = retry_parse_after(ts.retry_after, (long long)now.tv_sec);
            }
        }
        stat_inc(&st_retries);
        metric_add(tm->retries, 1);
        fiber_sleep_ms(retry_delay_ms(pol, policy_attempt, retry_after, &c->seed));
    }

out:
    resp->elapsed_ms = clock_mono_ms() - t0;
    c->last_tries = resp->attempts;
    if (resp->attempts > 0)
        metric_observe_ms(tm->duration, resp->elapsed_ms);
    curl_url_cleanup(url);
    strbuf_release(&auth);
    strbuf_release(&aerr);
    return ret;
}

int http_resolve_url(const char *from, const char *link, strbuf *out)
{
    CURLU *u = curl_url();
    char *s = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, from, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, link, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
        strbuf_setf(out, "%s", s);
        rc = 0;
    }
    curl_free(s);
    curl_url_cleanup(u);
    return rc;
}
