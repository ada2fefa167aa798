/*
 * store.c: flowfleet's Redis state over hiredis. See store.h for the
 * contract and the key layout.
 *
 * A handle holds a small pool of blocking connections, each behind its own
 * mutex; a thread always uses the same slot (given round-robin on its first
 * call), so threads of a busy service do not queue on one socket. Every
 * public call builds its key under the prefix, runs one command (or one Lua
 * script) on its slot and reads the reply. Slots connect lazily. When a command fails at the connection
 * level (EOF, reset, timeout) the connection is dropped, opened again once
 * and the command retried once; a successful reconnect is announced on stderr
 * as "store: reconnected to <addr>". A handle whose connection could not be
 * re-opened stays usable: the next call tries to connect again.
 *
 * Writes on a socket whose peer went away raise SIGPIPE; hiredis uses plain
 * write(), so each command runs with SIGPIPE blocked in the calling thread
 * and a pending one is swallowed afterwards (the error shows up as EPIPE).
 *
 * Anything that has to be atomic across the fleet is one Lua script:
 *   - the leader lock: set when free, extend when ours, else report the
 *     owner's hold; release deletes only when ours;
 *   - run counters: add, then test "published_final and done >= published
 *     and not finished" and set finished in the same script, so exactly one
 *     caller ever sees the completion.
 * Leases and tick markers are plain SET NX PX.
 */
#include "logev.h"
#include "store.h"
#include "xalloc.h"

#include "clock.h"

#include <errno.h>
#include <hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RUN_TTL_MS (7LL * 24 * 3600 * 1000)
#define IO_TIMEOUT_S 5

#define STORE_SLOTS 16

typedef struct conn {
    pthread_mutex_t mu;
    redisContext *c;      /* NULL while disconnected */
    int ever;             /* was connected once: a new connection is a reconnect */
} conn;

struct store {
    conn slots[STORE_SLOTS];
    char *addr;           /* as given, for messages */
    char *host;           /* TCP host, or NULL for a unix socket */
    char *path;           /* unix socket path */
    int port;
    int db;
    char *prefix;
    int64_t retry_ms;     /* how long a connection failure is retried */
    _Atomic int64_t reconnected_ms;   /* wall clock of the last reconnect, 0: none */
};

/* --- addresses and connections ------------------------------------------ */

/* Splits addr into host/port/db or a socket path. 0 or -1 with err. */
static int parse_addr(store *s, const char *addr, strbuf *err)
{
    if (!addr || !*addr) {
        strbuf_seterr(err, "store: empty address");
        return -1;
    }
    if (addr[0] == '/') {
        s->path = strdup(addr);
        return 0;
    }
    const char *p = addr;
    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    const char *at = strrchr(p, '@');  /* redis://[user:pass@]host: no auth support, skip it */
    if (at)
        p = at + 1;
    const char *slash = strchr(p, '/');
    const char *hostport_end = slash ? slash : p + strlen(p);
    const char *colon = NULL;
    for (const char *q = p; q < hostport_end; q++)
        if (*q == ':')
            colon = q;
    size_t hl = (size_t)((colon ? colon : hostport_end) - p);
    if (hl == 0) {
        strbuf_seterr(err, "store: bad address \"%s\": no host", addr);
        return -1;
    }
    s->port = 6379;
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != hostport_end || port <= 0 || port > 65535) {
            strbuf_seterr(err, "store: bad address \"%s\": bad port", addr);
            return -1;
        }
        s->port = (int)port;
    }
    if (slash && slash[1]) {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 100000) {
            strbuf_seterr(err, "store: bad address \"%s\": bad database number", addr);
            return -1;
        }
        s->db = (int)db;
    }
    s->host = strndup(p, hl);
    return 0;
}

static void drop_conn(conn *k)
{
    if (k->c) {
        redisFree(k->c);
        k->c = NULL;
    }
}

/* Opens the connection (and SELECTs the db). 0 or -1 with err. */
static int connect_now(store *s, conn *k, strbuf *err)
{
    struct timeval tv = { IO_TIMEOUT_S, 0 };
    drop_conn(k);
    redisContext *c = s->path ? redisConnectUnixWithTimeout(s->path, tv)
                              : redisConnectWithTimeout(s->host, s->port, tv);
    if (!c) {
        strbuf_seterr(err, "store: %s: out of memory", s->addr);
        return -1;
    }
    if (c->err) {
        strbuf_seterr(err, "store: %s: %s", s->addr, c->errstr);
        redisFree(c);
        return -1;
    }
    redisSetTimeout(c, tv);
    if (s->db) {
        redisReply *r = redisCommand(c, "SELECT %d", s->db);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        if (bad)
            strbuf_seterr(err, "store: %s: SELECT %d: %s", s->addr, s->db,
                          r ? r->str : c->errstr);
        if (r)
            freeReplyObject(r);
        if (bad) {
            redisFree(c);
            return -1;
        }
    }
    k->c = c;
    return 0;
}

/* Runs one command with SIGPIPE blocked in this thread. */
static redisReply *run_argv(redisContext *c, int argc, const char **argv, const size_t *lens)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    if (!sigismember(&old, SIGPIPE)) {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE)) {
            struct timespec zero = { 0, 0 };
            int saved = errno;
            sigtimedwait(&pipe_set, NULL, &zero);
            errno = saved;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return r;
}

/* The one place commands go through; the caller holds k->mu. Returns a
 * reply the caller frees, or NULL with err (connection failure or a Redis
 * error reply). Reconnects once on a connection failure. */
static redisReply *command(store *s, conn *k, strbuf *err, int argc, const char **argv)
{
    size_t lens_small[16], *lens = argc > 16 ? xcalloc((size_t)argc, sizeof *lens) : lens_small;
    redisReply *ret = NULL;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    /* A connection failure is retried: at once (a dropped idle connection),
     * then with growing waits while the retry budget lasts (a restarting
     * Redis), so a short outage costs time, not records. */
    double deadline = clock_mono_ms() + (double)s->retry_ms;
    long wait_ms = 50;
    for (int round = 0;; round++) {
        if (!k->c) {  /* not yet connected, lost earlier, or just now */
            if (connect_now(s, k, err) == 0) {
                if (k->ever)
                    logev_say("store", "info", NULL, "reconnected to %s", s->addr);
                if (k->ever)
                    atomic_store(&s->reconnected_ms, clock_wall_ms());
                k->ever = 1;
            }
        }
        if (k->c) {
            redisReply *r = run_argv(k->c, argc, argv, lens);
            if (r && r->type == REDIS_REPLY_ERROR) {
                strbuf_seterr(err, "store: %s: %s: %s", s->addr, argv[0], r->str);
                freeReplyObject(r);
                break;
            }
            if (r) {
                ret = r;
                break;
            }
            strbuf_seterr(err, "store: %s: %s: %s", s->addr, argv[0],
                          k->c->errstr[0] ? k->c->errstr : "connection error");
            drop_conn(k);
            if (round == 0)
                continue;
        }
        if (clock_mono_ms() + (double)wait_ms > deadline)
            break;
        /* a plain sleep, not a fiber's: the slot's mutex is held, and
         * another fiber of this thread would block on it for good */
        usleep((useconds_t)wait_ms * 1000);
        wait_ms = wait_ms * 2 > 2000 ? 2000 : wait_ms * 2;
    }
    if (lens != lens_small)
        free(lens);
    return ret;
}

int store_reconnected_within(store *s, int64_t ms)
{
    int64_t at = atomic_load(&s->reconnected_ms);
    return at > 0 && clock_wall_ms() - at < ms;
}

void store_set_retry(store *s, int64_t budget_ms)
{
    s->retry_ms = budget_ms > 0 ? budget_ms : 0;
}

store *store_open(const char *addr, const char *prefix, strbuf *err)
{
    store *s = xcalloc(1, sizeof *s);
    for (int i = 0; i < STORE_SLOTS; i++)
        pthread_mutex_init(&s->slots[i].mu, NULL);
    s->addr = strdup(addr ? addr : "");
    s->prefix = strdup(prefix ? prefix : "ff:");
    /* slot 0 connects now, so a wrong address is reported at open */
    if (parse_addr(s, addr, err) < 0 || connect_now(s, &s->slots[0], err) < 0) {
        store_close(s);
        return NULL;
    }
    s->slots[0].ever = 1;
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STORE_SLOTS; i++) {
        drop_conn(&s->slots[i]);
        pthread_mutex_destroy(&s->slots[i].mu);
    }
    free(s->addr);
    free(s->host);
    free(s->path);
    free(s->prefix);
    free(s);
}

/* --- small helpers -------------------------------------------------------- */

static void key2(strbuf *k, const store *s, const char *kind, const char *a, const char *b)
{
    strbuf_reset(k);
    strbuf_addstr(k, s->prefix);
    strbuf_addstr(k, kind);
    strbuf_addstr(k, a);
    if (b) {
        strbuf_addch(k, ':');
        strbuf_addstr(k, b);
    }
}

/* This thread's slot: assigned round-robin on its first call. */
static conn *my_slot(store *s)
{
    static _Atomic unsigned next_slot;
    static __thread int slot = -1;
    if (slot < 0)
        slot = (int)(next_slot++ % STORE_SLOTS);
    return &s->slots[slot];
}

/* Runs argv on this thread's slot, under its lock; returns the reply
 * (caller frees) or NULL. */
static redisReply *locked(store *s, strbuf *err, int argc, const char **argv)
{
    conn *k = my_slot(s);
    pthread_mutex_lock(&k->mu);
    redisReply *r = command(s, k, err, argc, argv);
    pthread_mutex_unlock(&k->mu);
    return r;
}

int store_ping(store *s, strbuf *err)
{
    const char *argv[] = { "PING" };
    redisReply *r = locked(s, err, 1, argv);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* --- generic strings ---------------------------------------------------- */

static int get_full(store *s, const char *fullkey, strbuf *out, strbuf *err)
{
    const char *argv[] = { "GET", fullkey };
    redisReply *r = locked(s, err, 2, argv);
    if (!r)
        return -1;
    int ret = 0;
    if (r->type == REDIS_REPLY_STRING) {
        strbuf_reset(out);
        strbuf_add(out, r->str, r->len);
        ret = 1;
    }
    freeReplyObject(r);
    return ret;
}

/* SET key val [NX] [PX ttl]: 1 set, 0 not set (NX), -1 error. */
static int set_full(store *s, const char *fullkey, const char *val, int64_t ttl_ms, int nx, strbuf *err)
{
    char ttl[32];
    const char *argv[6] = { "SET", fullkey, val };
    int argc = 3;
    if (nx)
        argv[argc++] = "NX";
    if (ttl_ms > 0) {
        snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
        argv[argc++] = "PX";
        argv[argc++] = ttl;
    }
    redisReply *r = locked(s, err, argc, argv);
    if (!r)
        return -1;
    int ret = r->type == REDIS_REPLY_NIL ? 0 : 1;
    freeReplyObject(r);
    return ret;
}

static int del_full(store *s, const char *fullkey, strbuf *err)
{
    const char *argv[] = { "DEL", fullkey };
    redisReply *r = locked(s, err, 2, argv);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int store_get(store *s, const char *key, strbuf *out, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "", key, NULL);
    int r = get_full(s, k.buf, out, err);
    strbuf_release(&k);
    return r;
}

int store_set(store *s, const char *key, const char *val, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "", key, NULL);
    int r = set_full(s, k.buf, val, ttl_ms, 0, err);
    strbuf_release(&k);
    return r < 0 ? -1 : 0;
}

int store_setnx(store *s, const char *key, const char *val, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "", key, NULL);
    int r = set_full(s, k.buf, val, ttl_ms, 1, err);
    strbuf_release(&k);
    return r;
}

int store_del(store *s, const char *key, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "", key, NULL);
    int r = del_full(s, k.buf, err);
    strbuf_release(&k);
    return r;
}

int store_claim(store *s, const char *key, const char *val, int64_t ttl_ms, strbuf *holder, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    char ttl[32];
    key2(&k, s, "", key, NULL);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 1));
    const char *argv[] = { "SET", k.buf, val, "NX", "GET", "PX", ttl };
    redisReply *r = locked(s, err, 7, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    int ret = 1;
    if (r->type == REDIS_REPLY_STRING) {
        strbuf_reset(holder);
        strbuf_add(holder, r->str, r->len);
        ret = 0;
    }
    freeReplyObject(r);
    return ret;
}

static const char REPLACE_LUA[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end\n"
    "return 0\n";

int store_replace(store *s, const char *key, const char *expect, const char *val, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    char ttl[32];
    key2(&k, s, "", key, NULL);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 1));
    const char *argv[] = { "EVAL", REPLACE_LUA, "1", k.buf, expect, val, ttl };
    redisReply *r = locked(s, err, 7, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    int ret = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
    freeReplyObject(r);
    return ret;
}

/* --- tokens, cursors, leases --------------------------------------------- */

int store_token_get(store *s, const char *name, strbuf *out, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "token:", name, NULL);
    int r = get_full(s, k.buf, out, err);
    strbuf_release(&k);
    return r;
}

int store_token_set(store *s, const char *name, const char *val, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "token:", name, NULL);
    int r = set_full(s, k.buf, val, ttl_ms, 0, err);
    strbuf_release(&k);
    return r < 0 ? -1 : 0;
}

int store_token_del(store *s, const char *name, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "token:", name, NULL);
    int r = del_full(s, k.buf, err);
    strbuf_release(&k);
    return r;
}

int store_cursor_get(store *s, const char *flow, strbuf *out, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "cursor:", flow, NULL);
    int r = get_full(s, k.buf, out, err);
    strbuf_release(&k);
    return r;
}

int store_cursor_set(store *s, const char *flow, const char *val, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "cursor:", flow, NULL);
    int r = set_full(s, k.buf, val, 0, 0, err);
    strbuf_release(&k);
    return r < 0 ? -1 : 0;
}

/* KEYS[1] a lease or lock; ARGV owner, ttl. Free: taken. Held by the same
 * owner: renewed and taken (a lock's holder renewing it; a run reading
 * again after a reader restart). */
static const char OWNED_TAKE_LUA[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end\n"
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "return 0\n";

/* Takes fullkey for owner (OWNED_TAKE_LUA): 1 held by owner now, 0 held by
 * another, -1 error. */
static int owned_take(store *s, const char *fullkey, const char *owner, int64_t ttl_ms, strbuf *err)
{
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 1));
    const char *argv[] = { "EVAL", OWNED_TAKE_LUA, "1", fullkey, owner, ttl };
    redisReply *r = locked(s, err, 6, argv);
    if (!r)
        return -1;
    int ret = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
    freeReplyObject(r);
    return ret;
}

int store_lease_acquire(store *s, const char *flow, const char *key, const char *owner,
                        int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "lease:", flow, key);
    int r = owned_take(s, k.buf, owner, ttl_ms, err);
    strbuf_release(&k);
    return r;
}

/* KEYS[1] lease, KEYS[2] the record's failed attempts; ARGV owner, ttl,
 * max attempts (0: none). Parked: 2, nothing taken; else OWNED_TAKE_LUA. */
static const char LEASE_UNPARKED_LUA[] =
    "if ARGV[3] ~= '0' and (tonumber(redis.call('GET', KEYS[2]) or '0') or 0) >= tonumber(ARGV[3]) then return 2 end\n"
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end\n"
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "if v == 'done:' .. ARGV[1] then return 3 end\n"
    "return 0\n";

int store_lease_acquire_unparked(store *s, const char *flow, const char *key, const char *owner, int64_t ttl_ms,
                                 long max_attempts, strbuf *err)
{
    strbuf k = STRBUF_INIT, a = STRBUF_INIT;
    char ttl[32], max[32];
    key2(&k, s, "lease:", flow, key);
    key2(&a, s, "attempts:", flow, key);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 1));
    snprintf(max, sizeof max, "%ld", max_attempts > 0 ? max_attempts : 0);
    const char *argv[] = { "EVAL", LEASE_UNPARKED_LUA, "2", k.buf, a.buf, owner, ttl, max };
    redisReply *r = locked(s, err, 8, argv);
    strbuf_release(&k);
    strbuf_release(&a);
    if (!r)
        return -1;
    int ret = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : 0;
    freeReplyObject(r);
    return ret;
}

int store_lease_get(store *s, const char *flow, const char *key, strbuf *out, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "lease:", flow, key);
    int r = get_full(s, k.buf, out, err);
    strbuf_release(&k);
    return r;
}

static const char OWNED_DEL_LUA[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";

/* Deletes fullkey while it holds owner (OWNED_DEL_LUA): 1 deleted, 0 it
 * held something else, -1 error. */
static int owned_del(store *s, const char *fullkey, const char *owner, strbuf *err)
{
    const char *argv[] = { "EVAL", OWNED_DEL_LUA, "1", fullkey, owner };
    redisReply *r = locked(s, err, 5, argv);
    if (!r)
        return -1;
    int ret = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return ret;
}

int store_del_if(store *s, const char *key, const char *expect, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "", key, NULL);
    int r = owned_del(s, k.buf, expect, err);
    strbuf_release(&k);
    return r;
}

int store_lease_release(store *s, const char *flow, const char *key, const char *owner, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "lease:", flow, key);
    int r = !owner ? del_full(s, k.buf, err) : owned_del(s, k.buf, owner, err) < 0 ? -1 : 0;
    strbuf_release(&k);
    return r;
}

/* --- leader lock ----------------------------------------------------------- */



int store_lock_acquire(store *s, const char *name, const char *owner, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "lock:", name, NULL);
    int r = owned_take(s, k.buf, owner, ttl_ms, err);
    strbuf_release(&k);
    return r;
}

int store_lock_release(store *s, const char *name, const char *owner, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "lock:", name, NULL);
    int r = owned_del(s, k.buf, owner, err) < 0 ? -1 : 0;
    strbuf_release(&k);
    return r;
}

/* --- run counters -------------------------------------------------------- */

/* KEYS[1] run hash, KEYS[2] the run's set of record keys that reached an
 * outcome (or, for "published", that were published), KEYS[3] (optional) a
 * lease. ARGV: field to add to ("" for none), final flag, ttl ms, lease
 * owner, lease action ("del", or "keep:<ms>": the lease becomes
 * "done:<owner>" for that long, so a list read before the record finished
 * cannot publish it again), then the record keys. A key counts once per
 * run: a redelivered record is not counted again. Without keys the amount
 * is 1 (a record without a key). The field "withdrawn" takes the records
 * out of "published" instead (an Order Status page once its rows are
 * published in its place), each once per run too. Returns {completed_now,
 * published, published_final, succeeded, failed, skipped, started_ms,
 * exists, listed, list_requests, list_count, error, list_pages}. */
static const char RUN_LUA[] =
    "local k = KEYS[1]\n"
    "if KEYS[3] and redis.call('GET', KEYS[3]) == ARGV[4] then\n"
    "  if string.sub(ARGV[5], 1, 5) == 'keep:' then\n"
    "    redis.call('SET', KEYS[3], 'done:' .. ARGV[4], 'PX', string.sub(ARGV[5], 6))\n"
    "  else redis.call('DEL', KEYS[3]) end\n"
    "end\n"
    "if KEYS[4] and ARGV[1] ~= 'failed' and ARGV[1] ~= '' then redis.call('DEL', KEYS[4]) end\n"
    "if ARGV[1] ~= '' then\n"
    "  local n = 0\n"
    "  if #ARGV > 5 then\n"
    "    for i = 6, #ARGV do n = n + redis.call('SADD', KEYS[2], ARGV[i]) end\n"
    "    redis.call('PEXPIRE', KEYS[2], ARGV[3])\n"
    "  elseif ARGV[1] ~= 'published' then n = 1 end\n"
    "  if n > 0 and ARGV[1] == 'withdrawn' then redis.call('HINCRBY', k, 'published', -n)\n"
    "  elseif n > 0 then redis.call('HINCRBY', k, ARGV[1], n) end\n"
    "  if ARGV[2] == '1' then redis.call('HSET', k, 'published_final', 1) end\n"
    "  redis.call('PEXPIRE', k, ARGV[3])\n"
    "end\n"
    "local v = redis.call('HMGET', k, 'published', 'published_final', 'succeeded', 'failed', 'skipped',\n"
    "                     'finished', 'started_ms', 'listed', 'list_requests', 'list_count', 'error',\n"
    "                     'list_pages')\n"
    "local pub = tonumber(v[1] or '0') or 0\n"
    "local fin = (v[2] == '1') and 1 or 0\n"
    "local s = tonumber(v[3] or '0') or 0\n"
    "local f = tonumber(v[4] or '0') or 0\n"
    "local sk = tonumber(v[5] or '0') or 0\n"
    "local started = tonumber(v[7] or '0') or 0\n"
    "local done = 0\n"
    "if ARGV[1] ~= '' and fin == 1 and s + f + sk >= pub and v[6] ~= '1' then\n"
    "  redis.call('HSET', k, 'finished', 1)\n"
    "  done = 1\n"
    "end\n"
    "return {done, pub, fin, s, f, sk, started, redis.call('EXISTS', k), tonumber(v[8] or '0') or 0,\n"
    "        tonumber(v[9] or '0') or 0, tonumber(v[10] or '-1') or -1, v[11] or '', tonumber(v[12] or '0') or 0}\n";

/* Runs RUN_LUA; 1/0 completion (or found, when field is ""), -1 error. */
static int run_script(store *s, const char *run_id, const char *field, const char *const *keys, size_t nkeys,
                      int final, const char *lease_flow, const char *lease_key, const char *owner,
                      int64_t keep_lease_ms, run_counts *counts, strbuf *err)
{
    strbuf k = STRBUF_INIT, set = STRBUF_INIT, lk = STRBUF_INIT, ak = STRBUF_INIT, action = STRBUF_INIT;
    char ttl[32];
    key2(&k, s, "run:", run_id, NULL);
    key2(&set, s, "run:", run_id, strcmp(field, "published") == 0 ? "published" : "done");
    snprintf(ttl, sizeof ttl, "%lld", RUN_TTL_MS);
    if (keep_lease_ms > 0)
        strbuf_addf(&action, "keep:%lld", (long long)keep_lease_ms);
    else
        strbuf_addstr(&action, "del");
    size_t argc = 0;
    const char **argv = xcalloc(12 + nkeys, sizeof *argv);
    argv[argc++] = "EVAL";
    argv[argc++] = RUN_LUA;
    argv[argc++] = lease_key ? "4" : "2";
    argv[argc++] = k.buf;
    argv[argc++] = set.buf;
    if (lease_key) {
        key2(&lk, s, "lease:", lease_flow, lease_key);
        key2(&ak, s, "attempts:", lease_flow, lease_key);
        argv[argc++] = lk.buf;
        argv[argc++] = ak.buf;
    }
    argv[argc++] = field;
    argv[argc++] = final ? "1" : "0";
    argv[argc++] = ttl;
    argv[argc++] = owner ? owner : "";
    argv[argc++] = action.buf;
    for (size_t i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    redisReply *r = locked(s, err, (int)argc, argv);
    free(argv);
    strbuf_release(&k);
    strbuf_release(&set);
    strbuf_release(&lk);
    strbuf_release(&ak);
    strbuf_release(&action);
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 13) {
        strbuf_seterr(err, "store: %s: run script: unexpected reply", s->addr);
        freeReplyObject(r);
        return -1;
    }
    long long v[11];
    for (int i = 0; i < 11; i++)
        v[i] = r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : 0;
    if (counts) {
        memset(counts, 0, sizeof *counts);
        counts->published = (long)v[1];
        counts->published_final = (int)v[2];
        counts->succeeded = (long)v[3];
        counts->failed = (long)v[4];
        counts->skipped = (long)v[5];
        counts->started_ms = (int64_t)v[6];
        counts->listed = (long)v[8];
        counts->list_requests = (long)v[9];
        counts->list_count = (long)v[10];
        counts->list_pages = r->element[12]->type == REDIS_REPLY_INTEGER ? (long)r->element[12]->integer : 0;
        if (r->element[11]->type == REDIS_REPLY_STRING)
            snprintf(counts->error, sizeof counts->error, "%s", r->element[11]->str);
    }
    freeReplyObject(r);
    if (!*field)
        return v[7] ? 1 : 0;
    return (int)v[0];
}

int store_run_start(store *s, const char *run_id, int64_t started_ms, strbuf *err)
{
    static const char START_LUA[] =
        "redis.call('HSETNX', KEYS[1], 'started_ms', ARGV[1])\n"
        "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
        "return 1\n";
    strbuf k = STRBUF_INIT;
    char st[32], ttl[32];
    key2(&k, s, "run:", run_id, NULL);
    snprintf(st, sizeof st, "%lld", (long long)started_ms);
    snprintf(ttl, sizeof ttl, "%lld", RUN_TTL_MS);
    const char *argv[] = { "EVAL", START_LUA, "1", k.buf, st, ttl };
    redisReply *r = locked(s, err, 6, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int store_run_published(store *s, const char *run_id, const char *const *keys, size_t n, int final,
                        run_counts *counts, strbuf *err)
{
    return run_script(s, run_id, "published", keys, n, final, NULL, NULL, NULL, 0, counts, err);
}

int store_run_note(store *s, const char *run_id, long listed, long list_requests, long list_count,
                   long list_pages, const char *error, strbuf *err)
{
    static const char NOTE_LUA[] =
        "redis.call('HINCRBY', KEYS[1], 'listed', ARGV[1])\n"
        "redis.call('HINCRBY', KEYS[1], 'list_requests', ARGV[2])\n"
        "redis.call('HINCRBY', KEYS[1], 'list_pages', ARGV[6])\n"
        "if ARGV[3] ~= '-1' then redis.call('HSET', KEYS[1], 'list_count', ARGV[3]) end\n"
        "if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end\n"
        "redis.call('PEXPIRE', KEYS[1], ARGV[5])\n"
        "return 1\n";
    strbuf k = STRBUF_INIT;
    char a[32], b[32], c[32], ttl[32], pages[32];
    key2(&k, s, "run:", run_id, NULL);
    snprintf(a, sizeof a, "%ld", listed);
    snprintf(b, sizeof b, "%ld", list_requests);
    snprintf(c, sizeof c, "%ld", list_count);
    snprintf(pages, sizeof pages, "%ld", list_pages);
    snprintf(ttl, sizeof ttl, "%lld", RUN_TTL_MS);
    const char *argv[] = { "EVAL", NOTE_LUA, "1", k.buf, a, b, c, error ? error : "", ttl, pages };
    redisReply *r = locked(s, err, 10, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int store_run_outcome(store *s, const char *run_id, const char *outcome, run_counts *counts, strbuf *err)
{
    return store_record_done(s, run_id, outcome, NULL, NULL, NULL, 0, counts, err);
}

int store_record_done(store *s, const char *run_id, const char *outcome, const char *flow, const char *key,
                      const char *owner, int64_t keep_lease_ms, run_counts *counts, strbuf *err)
{
    if (!outcome || (strcmp(outcome, "succeeded") != 0 && strcmp(outcome, "failed") != 0 &&
                     strcmp(outcome, "skipped") != 0 && strcmp(outcome, "withdrawn") != 0)) {
        strbuf_seterr(err, "store: unknown run outcome \"%s\" (want succeeded, failed, skipped or withdrawn)",
                      outcome ? outcome : "(null)");
        return -1;
    }
    const char *keys[1] = { key };
    return run_script(s, run_id, outcome, keys, key && *key ? 1 : 0, 0, flow, key && *key ? key : NULL, owner,
                      keep_lease_ms, counts, err);
}

int store_run_get(store *s, const char *run_id, run_counts *counts, strbuf *err)
{
    return run_script(s, run_id, "", NULL, 0, 0, NULL, NULL, NULL, 0, counts, err);
}

/* ---- attempts and backoffs (failing well) ---- */

static const char COUNTER_ADD_LUA[] =
    "local n = redis.call('INCR', KEYS[1])\n"
    "if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end\n"
    "return n\n";

long store_counter_add(store *s, const char *key, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    char ttl[32];
    key2(&k, s, "", key, NULL);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 0));
    const char *argv[] = { "EVAL", COUNTER_ADD_LUA, "1", k.buf, ttl };
    redisReply *r = locked(s, err, 5, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    long n = -1;
    if (r->type == REDIS_REPLY_INTEGER)
        n = (long)r->integer;
    else
        strbuf_seterr(err, "store: %s: counter %s: unexpected reply", s->addr, key);
    freeReplyObject(r);
    return n;
}

/* ---- short lists (a flow's finished runs, for Triggered By) ---- */

static const char LIST_PUSH_LUA[] =
    "redis.call('RPUSH', KEYS[1], ARGV[1])\n"
    "redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)\n"
    "if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end\n"
    "return 1\n";

int store_list_push(store *s, const char *key, const char *val, long keep, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    char kp[32], ttl[32];
    key2(&k, s, "", key, NULL);
    snprintf(kp, sizeof kp, "%ld", keep > 0 ? keep : 100);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 0));
    const char *argv[] = { "EVAL", LIST_PUSH_LUA, "1", k.buf, val, kp, ttl };
    redisReply *r = locked(s, err, 7, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int store_list_get(store *s, const char *key, strbuf *out, strbuf *err)
{
    strbuf k = STRBUF_INIT;
    key2(&k, s, "", key, NULL);
    const char *argv[] = { "LRANGE", k.buf, "0", "-1" };
    redisReply *r = locked(s, err, 4, argv);
    strbuf_release(&k);
    if (!r)
        return -1;
    int n = 0;
    strbuf_reset(out);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING) {
            strbuf_add(out, r->element[i]->str, r->element[i]->len);
            strbuf_addch(out, '\n');
            n++;
        }
    freeReplyObject(r);
    return n;
}
