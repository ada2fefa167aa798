/*
 * fiber: many records in flight on few threads.
 *
 * A service spends most of a record's life waiting for HTTP answers. With a
 * thread per in-flight record, every answer costs a thread wake-up and a
 * context switch through the kernel's scheduler. Here each OS thread runs
 * one loop that multiplexes the HTTP transfers of many fibers (small
 * cooperative threads, each with its own stack) over one curl multi handle:
 * a fiber calls the same blocking-looking functions as before (http_do,
 * bqueue_pop, a retry's sleep), and those suspend the fiber instead of the
 * thread while they wait. The code of a stage stays straight-line.
 *
 * A fiber only gives the thread up inside those waits, never elsewhere, so
 * state that no wait sits inside needs no more locking than before. A lock
 * held across a wait would deadlock the loop (a second fiber of the same
 * thread blocking on it holds up the first): code that must wait while
 * holding a lock wraps the section in fiber_pin_begin/end, and the waits
 * inside block the thread as a plain thread would.
 *
 * Outside a fiber (main threads, tests, tools) every wait blocks as usual.
 */
#ifndef FF_FIBER_H
#define FF_FIBER_H

#include <curl/curl.h>

typedef void (*fiber_fn)(void *arg);

typedef struct fiber_pool fiber_pool;

#define FIBER_DEFAULT_THREADS 2

/* Starts fn(arg) in `fibers` fibers spread over `threads` OS threads (each
 * with its own loop; 0 or less: FIBER_DEFAULT_THREADS; capped at fibers).
 * The pool is the caller's, freed by fiber_pool_join. */
fiber_pool *fiber_pool_start(int threads, int fibers, fiber_fn fn, void *arg);
/* The OS threads the pool runs on. */
int fiber_pool_threads(const fiber_pool *p);
/* Waits until every fiber has returned, then frees the pool. */
void fiber_pool_join(fiber_pool *p);
/* fiber_pool_start and fiber_pool_join. */
void fiber_pool_run(int threads, int fibers, fiber_fn fn, void *arg);

/* Non-zero when the caller is a fiber that may suspend (inside a fiber and
 * not pinned). */
int fiber_can_suspend(void);

/* Performs the transfer: in a fiber through its loop's multi handle (the
 * loop's connections are shared by its fibers), else curl_easy_perform. */
CURLcode fiber_curl_perform(CURL *h);

/* Sleeps ms milliseconds: only this fiber when in one. */
void fiber_sleep_ms(long ms);

/* Gives the thread to the loop until fiber_notify() is called anywhere
 * (or a short while passes): for a fiber waiting on a condition that
 * another thread makes true. Returns at once outside a fiber. The caller
 * re-checks its condition. */
void fiber_park(void);
/* Wakes every parked fiber of every loop to re-check its condition. */
void fiber_notify(void);

/* Between begin and end, this fiber's waits block the thread (nestable). */
void fiber_pin_begin(void);
void fiber_pin_end(void);

#endif
