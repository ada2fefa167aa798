/*
 * pyscript_watchdog: stops runaway scripts.
 *
 * Every pyscript_run registers a slot (on its own stack) with a deadline in
 * a list guarded by `lock`. One detached thread sleeps on a condition
 * variable until the earliest deadline or 100 ms, whichever comes first
 * (so a run only signals it for a limit under 100 ms: no wake-up per call); when one passes it takes the GIL
 * (PyGILState_Ensure), re-checks under `lock` that the slot is still
 * registered, and raises ScriptTimeout asynchronously in the runner's thread
 * (PyThreadState_SetAsyncExc). Python delivers it at the next bytecode
 * boundary, so `while True: pass` ends. The slot's deadline moves 200 ms on,
 * so a script that swallows the exception gets it again.
 *
 * Lock order is always GIL, then `lock`: runners register and unregister
 * while holding the GIL, and the watchdog never waits for the GIL while it
 * holds `lock`. A slot is only touched while it is in the list, and it
 * leaves the list with the GIL held, so the watchdog cannot raise into a
 * thread whose call has already ended.
 */
#include <Python.h>

#include <pthread.h>
#include <time.h>

#include "pyscript_int.h"

#define WD_REFIRE_S 0.2
#define WD_TICK_S 0.1

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static struct pyscript_wd_slot *slots;
static PyObject *timeout_exc;
static double wake_at; /* when the watchdog will look next (under lock) */

/* Monotonic clock, in seconds. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *wd_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        double now = now_s(), next = 0;
        int due = 0;
        for (struct pyscript_wd_slot *s = slots; s; s = s->next) {
            if (s->deadline <= now)
                due = 1;
            else if (next == 0 || s->deadline < next)
                next = s->deadline;
        }
        if (!due) {
            /* Poll at least every WD_TICK_S: runners then never need to
             * wake us unless their deadline is sooner than that. */
            if (next == 0 || next > now + WD_TICK_S)
                next = now + WD_TICK_S;
            wake_at = next;
            struct timespec ts;
            ts.tv_sec = (time_t)next;
            ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&cond, &lock, &ts);
            continue;
        }
        /* Take the GIL without holding our lock, then look again. */
        pthread_mutex_unlock(&lock);
        PyGILState_STATE g = PyGILState_Ensure();
        pthread_mutex_lock(&lock);
        now = now_s();
        for (struct pyscript_wd_slot *s = slots; s; s = s->next) {
            if (s->deadline > now)
                continue;
            PyThreadState_SetAsyncExc(s->thread_id, timeout_exc);
            s->fired++;
            s->deadline = now + WD_REFIRE_S;
        }
        pthread_mutex_unlock(&lock);
        PyGILState_Release(g);
        pthread_mutex_lock(&lock);
    }
    return NULL;
}

int pyscript_wd_start(void *exc)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cond, &ca);
    pthread_condattr_destroy(&ca);
    Py_INCREF((PyObject *)exc);
    timeout_exc = exc;
    pthread_t t;
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &ta, wd_main, NULL);
    pthread_attr_destroy(&ta);
    return rc == 0 ? 0 : -1;
}

void pyscript_wd_enter(struct pyscript_wd_slot *slot, double timeout_s)
{
    slot->thread_id = PyThread_get_thread_ident();
    slot->deadline = now_s() + timeout_s;
    slot->fired = 0;
    pthread_mutex_lock(&lock);
    slot->next = slots;
    slots = slot;
    /* The watchdog polls every WD_TICK_S; wake it only for a shorter limit. */
    if (slot->deadline < wake_at)
        pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

void pyscript_wd_leave(struct pyscript_wd_slot *slot)
{
    pthread_mutex_lock(&lock);
    for (struct pyscript_wd_slot **p = &slots; *p; p = &(*p)->next)
        if (*p == slot) {
            *p = slot->next;
            break;
        }
    pthread_mutex_unlock(&lock);
    /* A raise that landed after the script's last bytecode is still pending
     * in our thread state: drop it so it cannot hit unrelated code. */
    if (slot->fired)
        PyThreadState_SetAsyncExc(slot->thread_id, NULL);
}
