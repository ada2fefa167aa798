/*
 * fiber.c: the loops behind fiber.h.
 *
 * Each loop is one OS thread's scheduler. Its fibers are ucontext
 * coroutines with their own mmap'd stacks (a guard page below each). A
 * fiber runs until it waits; the wait records why (a transfer, a deadline,
 * a parked condition) and swaps back to the loop. The loop then:
 *   1. runs every ready fiber in turn;
 *   2. drives the curl multi handle and readies the fibers whose transfers
 *      completed (CURLOPT_PRIVATE points back at the fiber);
 *   3. readies sleepers whose deadline passed;
 *   4. with nothing ready, sleeps in curl_multi_poll until a socket is
 *      ready, the nearest deadline, a fiber_notify(), or 100 ms at most.
 * Parked fibers are readied when fiber_notify() was called since the loop
 * last looked (a global generation counter) or when 100 ms passed, so a
 * notification lost in a race costs 100 ms, never a hang. The race that
 * matters is closed the usual way: the loop announces it is about to sleep
 * and then re-reads the generation; a notifier bumps the generation and
 * then wakes every loop that announced it sleeps.
 *
 * Under AddressSanitizer the stack switches are announced to it
 * (__sanitizer_start/finish_switch_fiber), or it would report the other
 * stacks' frames as errors.
 */
#include "fiber.h"
#include "clock.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "xalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define FIBER_ASAN 1
#define STACK_SIZE (8u << 20)
#else
#define FIBER_ASAN 0
#define STACK_SIZE (1u << 20)
#endif

enum { F_READY, F_IO, F_SLEEP, F_PARKED, F_DONE };

typedef struct fiber fiber;
typedef struct fiber_loop fiber_loop;

struct fiber {
    ucontext_t ctx;
    char *map;           /* the mapping: guard page, then the stack */
    size_t map_len;
    fiber_fn fn;
    void *arg;
    fiber_loop *loop;
    int state;
    int pinned;
    CURLcode result;
    double wake_at;
    fiber *next;         /* in the loop's ready, sleeping or parked list */
    void *asan_fake;
};

struct fiber_loop {
    ucontext_t main;
    CURLM *multi;
    int live;            /* fibers not yet returned */
    int n_io;            /* transfers in the multi handle */
    fiber *ready, *ready_tail;
    fiber *sleeping;
    fiber *parked;
    _Atomic int asleep;
    unsigned long seen_gen;
    double parked_checked;
    const void *main_stack;  /* for the sanitizer: the thread's own stack */
    size_t main_stack_len;
    void *asan_fake;
    fiber_loop *reg_next;
};

static __thread fiber *cur;

static _Atomic unsigned long gen;
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static fiber_loop *registry;

/* ---- switching ---------------------------------------------------------- */

static void to_fiber(fiber_loop *l, fiber *f)
{
    cur = f;
#if FIBER_ASAN
    __sanitizer_start_switch_fiber(&l->asan_fake, f->map + getpagesize(), f->map_len - (size_t)getpagesize());
#endif
    swapcontext(&l->main, &f->ctx);
#if FIBER_ASAN
    __sanitizer_finish_switch_fiber(l->asan_fake, NULL, NULL);
#endif
    cur = NULL;
}

/* Called on the fiber's stack right after it was switched to. */
static void arrived(fiber *f)
{
#if FIBER_ASAN
    const void *from;
    size_t from_len;
    __sanitizer_finish_switch_fiber(f->asan_fake, &from, &from_len);
    f->loop->main_stack = from;
    f->loop->main_stack_len = from_len;
#else
    (void)f;
#endif
}

static void to_loop(fiber *f, int dying)
{
#if FIBER_ASAN
    __sanitizer_start_switch_fiber(dying ? NULL : &f->asan_fake, f->loop->main_stack, f->loop->main_stack_len);
#else
    (void)dying;
#endif
    swapcontext(&f->ctx, &f->loop->main);
    arrived(f);
}

static void make_ready(fiber_loop *l, fiber *f)
{
    f->state = F_READY;
    f->next = NULL;
    if (l->ready_tail)
        l->ready_tail->next = f;
    else
        l->ready = f;
    l->ready_tail = f;
}

static void entry(void)
{
    fiber *f = cur;
    arrived(f);
    f->fn(f->arg);
    f->state = F_DONE;
    to_loop(f, 1);
    abort();  /* a finished fiber is never switched to again */
}

static void spawn(fiber_loop *l, fiber_fn fn, void *arg)
{
    fiber *f = xcalloc(1, sizeof *f);
    size_t page = (size_t)getpagesize();
    f->map_len = STACK_SIZE + page;
    f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                  -1, 0);
    if (f->map == MAP_FAILED) {
        perror("fiber: mmap");
        abort();
    }
    mprotect(f->map, page, PROT_NONE);
    f->fn = fn;
    f->arg = arg;
    f->loop = l;
    getcontext(&f->ctx);
    f->ctx.uc_stack.ss_sp = f->map + page;
    f->ctx.uc_stack.ss_size = STACK_SIZE;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, entry, 0);
    l->live++;
    make_ready(l, f);
}

/* ---- the loop ----------------------------------------------------------- */

static void collect(fiber_loop *l)
{
    int running, left;
    CURLMsg *msg;
    curl_multi_perform(l->multi, &running);
    while ((msg = curl_multi_info_read(l->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *h = msg->easy_handle;
        CURLcode res = msg->data.result;
        fiber *f = NULL;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&f);
        curl_multi_remove_handle(l->multi, h);
        l->n_io--;
        if (f) {
            f->result = res;
            make_ready(l, f);
        }
    }
}

static double wake_sleepers(fiber_loop *l)
{
    if (!l->sleeping)
        return -1;
    double now = clock_mono_ms(), next = -1;
    fiber **pp = &l->sleeping;
    while (*pp) {
        fiber *f = *pp;
        if (f->wake_at <= now) {
            *pp = f->next;
            make_ready(l, f);
        } else {
            if (next < 0 || f->wake_at < next)
                next = f->wake_at;
            pp = &f->next;
        }
    }
    return next < 0 ? -1 : next - now;
}

static void wake_parked(fiber_loop *l)
{
    unsigned long g = gen;
    if (!l->parked) {   /* nobody to wake: only note the notifications seen */
        l->seen_gen = g;
        return;
    }
    double now = clock_mono_ms();
    if (g == l->seen_gen && now - l->parked_checked < 100)
        return;
    l->seen_gen = g;
    l->parked_checked = now;
    while (l->parked) {
        fiber *f = l->parked;
        l->parked = f->next;
        make_ready(l, f);
    }
}

static void loop_run(fiber_loop *l)
{
    while (l->live > 0) {
        fiber *f;
        while ((f = l->ready)) {
            l->ready = f->next;
            if (!l->ready)
                l->ready_tail = NULL;
            to_fiber(l, f);
            if (f->state == F_DONE) {
                munmap(f->map, f->map_len);
                free(f);
                l->live--;
            }
        }
        if (l->live == 0)
            break;
        if (l->n_io)
            collect(l);
        double next = wake_sleepers(l);
        wake_parked(l);
        if (l->ready)
            continue;
        long timeout = 100;
        long ct = -1;
        if (l->n_io && curl_multi_timeout(l->multi, &ct) == CURLM_OK && ct >= 0 && ct < timeout)
            timeout = ct;
        if (next >= 0 && next < timeout)
            timeout = (long)next + 1;
        l->asleep = 1;
        if (gen == l->seen_gen && timeout > 0)
            curl_multi_poll(l->multi, NULL, 0, (int)timeout, NULL);
        l->asleep = 0;
        if (l->n_io)
            collect(l);
        wake_sleepers(l);
        wake_parked(l);
    }
}

static void *loop_thread(void *arg)
{
    fiber_loop *l = arg;
    loop_run(l);
    return NULL;
}

struct fiber_pool {
    int n;
    fiber_loop *loops;
    pthread_t *th;
};

fiber_pool *fiber_pool_start(int threads, int fibers, fiber_fn fn, void *arg)
{
    if (fibers < 1)
        fibers = 1;
    if (threads < 1)
        threads = FIBER_DEFAULT_THREADS;
    if (threads > fibers)
        threads = fibers;
    fiber_pool *p = xcalloc(1, sizeof *p);
    p->n = threads;
    p->loops = xcalloc((size_t)threads, sizeof *p->loops);
    p->th = xcalloc((size_t)threads, sizeof *p->th);
    for (int i = 0; i < threads; i++) {
        fiber_loop *l = &p->loops[i];
        l->multi = curl_multi_init();
        if (!l->multi)
            abort();
        curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, (long)(fibers * 2 + 8));
        l->parked_checked = clock_mono_ms();
        for (int k = i; k < fibers; k += threads)
            spawn(l, fn, arg);
        pthread_mutex_lock(&reg_mu);
        l->reg_next = registry;
        registry = l;
        pthread_mutex_unlock(&reg_mu);
    }
    for (int i = 0; i < threads; i++)
        if (pthread_create(&p->th[i], NULL, loop_thread, &p->loops[i]) != 0) {
            perror("fiber: pthread_create");
            abort();
        }
    return p;
}

int fiber_pool_threads(const fiber_pool *p)
{
    return p->n;
}

void fiber_pool_join(fiber_pool *p)
{
    for (int i = 0; i < p->n; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_lock(&reg_mu);
    for (fiber_loop **pp = &registry; *pp;) {
        if (*pp >= p->loops && *pp < p->loops + p->n)
            *pp = (*pp)->reg_next;
        else
            pp = &(*pp)->reg_next;
    }
    pthread_mutex_unlock(&reg_mu);
    for (int i = 0; i < p->n; i++)
        curl_multi_cleanup(p->loops[i].multi);
    free(p->th);
    free(p->loops);
    free(p);
}

void fiber_pool_run(int threads, int fibers, fiber_fn fn, void *arg)
{
    fiber_pool_join(fiber_pool_start(threads, fibers, fn, arg));
}

/* ---- waits ---------------------------------------------------------------- */

int fiber_can_suspend(void)
{
    return cur && !cur->pinned;
}

CURLcode fiber_curl_perform(CURL *h)
{
    fiber *f = cur;
    if (!f || f->pinned)
        return curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)f);
    if (curl_multi_add_handle(f->loop->multi, h) != CURLM_OK)
        return curl_easy_perform(h);
    f->loop->n_io++;
    f->state = F_IO;
    to_loop(f, 0);
    return f->result;
}

void fiber_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    fiber *f = cur;
    if (!f || f->pinned) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0)
            ;
        return;
    }
    f->wake_at = clock_mono_ms() + (double)ms;
    f->state = F_SLEEP;
    f->next = f->loop->sleeping;
    f->loop->sleeping = f;
    to_loop(f, 0);
}

void fiber_park(void)
{
    fiber *f = cur;
    if (!f || f->pinned)
        return;
    f->state = F_PARKED;
    f->next = f->loop->parked;
    f->loop->parked = f;
    to_loop(f, 0);
}

void fiber_notify(void)
{
    gen++;
    pthread_mutex_lock(&reg_mu);
    for (fiber_loop *l = registry; l; l = l->reg_next)
        if (l->asleep)
            curl_multi_wakeup(l->multi);
    pthread_mutex_unlock(&reg_mu);
}

void fiber_pin_begin(void)
{
    if (cur)
        cur->pinned++;
}

void fiber_pin_end(void)
{
    if (cur && cur->pinned > 0)
        cur->pinned--;
}
