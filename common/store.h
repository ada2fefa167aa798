/*
 * store: everything flowfleet keeps in Redis (hiredis).
 *
 * Tokens with a TTL shared by all replicas; cursors; a lease per in-flight
 * record so a record is never in the pipeline twice at once; run counters;
 * the scheduler's leader lock. All keys live under a prefix: the services
 * use "<--prefix>:" (worker_store_open), so two fleets sharing one Redis
 * share nothing; NULL gives "ff:". A store handle is safe to use from
 * several threads (a small pool of connections, each behind its own mutex;
 * a thread keeps to one). On a connection error a call reconnects once and
 * retries; the reconnect is said on stderr ("store: reconnected to ...").
 * Every call returns -1 when Redis cannot be reached, with err set.
 *
 * Keys (see docs/architecture.md):
 *   <p>token:<name>                 string, TTL
 *   <p>cursor:<flow>                string
 *   <p>lease:<flow>:<key>           string owner, TTL (SET NX PX)
 *   <p>lock:<name>                  string owner, TTL (SET NX PX; renew only by owner)
 *   <p>run:<run_id>                 hash: published, published_final, succeeded,
 *                                   failed, skipped, finished, started_ms, listed,
 *                                   list_requests, list_count, list_pages, error; TTL 7 days
 *   <p>run:<run_id>:published       set: keys published in the run (each counted once)
 *   <p>run:<run_id>:done            set: keys that reached an outcome (each counted once)
 *   <p>tick:<flow>:<due>            SET NX marker: one tick per due time
 */
#ifndef FF_STORE_H
#define FF_STORE_H

#include <stdint.h>

#include "strbuf.h"

typedef struct store store;

/* addr: "host:port", "redis://host:port[/db]" or a unix socket path.
 * prefix NULL means "ff:". Returns NULL with err when Redis cannot be reached. */
store *store_open(const char *addr, const char *prefix, strbuf *err);
void store_close(store *s);
int store_ping(store *s, strbuf *err);

/* Generic string get/set. get: 1 found (value in out), 0 absent, -1 error.
 * set: ttl_ms 0 means no expiry. 0 or -1. */
int store_get(store *s, const char *key, strbuf *out, strbuf *err);
int store_set(store *s, const char *key, const char *val, int64_t ttl_ms, strbuf *err);
/* SET NX: 1 set, 0 already there, -1 error. */
int store_setnx(store *s, const char *key, const char *val, int64_t ttl_ms, strbuf *err);
int store_del(store *s, const char *key, strbuf *err);
/* SET NX GET in one step: the first caller's val holds the key. 1 this
 * call set it, 0 it was there (its value in holder), -1 error. */
int store_claim(store *s, const char *key, const char *val, int64_t ttl_ms, strbuf *holder, strbuf *err);
/* Deletes the key while it is expect: 1 deleted, 0 it was something
 * else (or absent), -1 error. */
int store_del_if(store *s, const char *key, const char *expect, strbuf *err);
/* Compare and set: the key becomes val only while it is expect. 1
 * replaced, 0 it was something else (or absent), -1 error. */
int store_replace(store *s, const char *key, const char *expect, const char *val, int64_t ttl_ms, strbuf *err);

/* Tokens: thin wrappers on the generic calls under "token:<name>". */
int store_token_get(store *s, const char *name, strbuf *out, strbuf *err);
int store_token_set(store *s, const char *name, const char *val, int64_t ttl_ms, strbuf *err);
int store_token_del(store *s, const char *name, strbuf *err);

int store_cursor_get(store *s, const char *flow, strbuf *out, strbuf *err);
int store_cursor_set(store *s, const char *flow, const char *val, strbuf *err);

/* Lease: 1 acquired (it was free, or owner holds it already: the same run
 * reading again after a restart), 0 held by someone else, -1 error. A
 * finished record's lease may hold "done:<run>" for a while
 * (store_record_done's keep): it is held, so not published again. */
int store_lease_acquire(store *s, const char *flow, const char *key, const char *owner,
                        int64_t ttl_ms, strbuf *err);
/* The same, unless the record is parked: its failed attempts
 * ("attempts:<flow>:<key>", parking.h) reached max_attempts (0: no limit):
 * then 2, nothing taken; and 3 when owner's own run finished the record
 * already (its lease is "done:<owner>": a reader restarted mid-run lists
 * it again). One round trip for the reader's questions. */
int store_lease_acquire_unparked(store *s, const char *flow, const char *key, const char *owner, int64_t ttl_ms,
                                 long max_attempts, strbuf *err);
/* The lease's value: 1 found (in out), 0 free, -1 error. */
int store_lease_get(store *s, const char *flow, const char *key, strbuf *out, strbuf *err);
/* Deletes the lease only while owner holds it (NULL owner: whoever does),
 * so a late or replayed record cannot free a lease a newer run holds. */
int store_lease_release(store *s, const char *flow, const char *key, const char *owner, strbuf *err);

/* Leader lock: 1 held by owner after the call (acquired or renewed), 0 held
 * by another owner, -1 error. Release only deletes when owner matches. */
int store_lock_acquire(store *s, const char *name, const char *owner, int64_t ttl_ms, strbuf *err);
int store_lock_release(store *s, const char *name, const char *owner, strbuf *err);

typedef struct run_counts {
    long published;
    int published_final;  /* the reader published its last record */
    long succeeded;
    long failed;
    long skipped;
    int64_t started_ms;
    long listed;          /* records the reader's lists gave */
    long list_requests;   /* list requests the reader made */
    long list_count;      /* the list's own "count", -1 when it gave none */
    long list_pages;      /* pages the reader published (0: its records are not pages) */
    char error[512];      /* why the run could not read everything ("" if it could) */
} run_counts;

/* Records that the run started (started_ms, once). */
int store_run_start(store *s, const char *run_id, int64_t started_ms, strbuf *err);
/* Adds the keys (records) published to the run, each counted once however
 * often it is published (a reader restarted mid-run publishes again); with
 * n = 0 and final = 0 nothing is added. final=1 when the reader is done
 * with the run. store_run_outcome adds one outcome ("succeeded", "failed"
 * or "skipped") of a record without a key.
 * Both return 1 when this very call made the run complete (published_final
 * and succeeded+failed+skipped >= published, and not already finished; the
 * "finished" flag is set atomically, so exactly one caller in the fleet gets
 * 1), 0 otherwise, -1 on error. counts (may be NULL) gets the totals. */
int store_run_published(store *s, const char *run_id, const char *const *keys, size_t n, int final,
                        run_counts *counts, strbuf *err);
int store_run_outcome(store *s, const char *run_id, const char *outcome, run_counts *counts, strbuf *err);
/* Reads the totals: 1 the run exists, 0 it does not (counts zeroed), -1 error. */
int store_run_get(store *s, const char *run_id, run_counts *counts, strbuf *err);
/* A record's end in one round trip: its outcome counted once per run (a
 * redelivered record's second outcome is not counted: returns 0), and,
 * while owner holds its lease (flow, key), the lease released, or with
 * keep_lease_ms > 0 turned into "done:<owner>" for that long, so that a
 * list read before the record finished cannot publish it again. An outcome
 * other than "failed" also forgets the record's failed attempts
 * ("attempts:<flow>:<key>", parking.h). */
int store_record_done(store *s, const char *run_id, const char *outcome, const char *flow, const char *key,
                      const char *owner, int64_t keep_lease_ms, run_counts *counts, strbuf *err);
/* Adds to the run's listed, list_requests and list_pages, sets its
 * list_count (when not -1) and its error (when not NULL or ""). 0 or -1. */
int store_run_note(store *s, const char *run_id, long listed, long list_requests, long list_count,
                   long list_pages, const char *error, strbuf *err);
/* How long a connection failure is retried, with growing waits, before a
 * call fails (0, the default: reconnect once, at once). */
void store_set_retry(store *s, int64_t budget_ms);
/* 1 when this handle reconnected (Redis restarted, maybe without its data)
 * within the last ms: the leases may be gone, so callers re-assert theirs. */
int store_reconnected_within(store *s, int64_t ms);

/* ---- attempts and backoffs (failing well) ---- */

/* Keys of stage.c and auth.c, built on the generic calls above:
 *   <p>attempts:<flow>:<key>          a record's failed attempts that count
 *                                     (stage_fail); TTL 7 days from the last;
 *                                     deleted when the record succeeds
 *   <p>loginpause:<system>:<flow>     "<until ms> <status> <answer excerpt>":
 *                                     no login until then (auth.c); TTL the pause
 *   <p>loginrefused:<system>:<flow>   refused logins in a row; deleted by a
 *                                     login that succeeds
 * Adds one to the integer at key (created at 0) and sets its TTL (ttl_ms 0:
 * none): the new value, or -1 with err. Atomic (one script). */
long store_counter_add(store *s, const char *key, int64_t ttl_ms, strbuf *err);

/* A short list under key (prefix-relative): store_list_push appends val
 * and keeps the newest keep entries (and the TTL, 0: none); store_list_get
 * puts every entry, oldest first, one a line, into out and returns how
 * many. -1 with err. */
int store_list_push(store *s, const char *key, const char *val, long keep, int64_t ttl_ms, strbuf *err);
int store_list_get(store *s, const char *key, strbuf *out, strbuf *err);

#endif
