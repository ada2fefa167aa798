/*
 * bqueue.c: a ring buffer under one mutex with two condition variables.
 * See bqueue.h.
 *
 * A consumer that is a fiber (fiber.h) must not block its thread on the
 * condition variable: its loop's other fibers would stop too. It counts
 * itself in fiber_waiters and parks; a push or close that sees waiters
 * calls fiber_notify() after unlocking, and the parked fiber looks again.
 */
#include "bqueue.h"
#include "fiber.h"
#include "xalloc.h"

#include <stdlib.h>

void bqueue_init(bqueue *q, size_t cap)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    q->items = xcalloc(cap ? cap : 1, sizeof *q->items);
    q->cap = cap ? cap : 1;
    q->head = q->n = 0;
    q->closed = 0;
    q->fiber_waiters = 0;
}

void bqueue_destroy(bqueue *q)
{
    free(q->items);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

void bqueue_push(bqueue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap)
        pthread_cond_wait(&q->not_full, &q->mu);
    q->items[(q->head + q->n++) % q->cap] = item;
    pthread_cond_signal(&q->not_empty);
    int wake = q->fiber_waiters > 0;
    pthread_mutex_unlock(&q->mu);
    if (wake)
        fiber_notify();
}

void *bqueue_pop(bqueue *q)
{
    void *r = NULL;
    pthread_mutex_lock(&q->mu);
    while (!q->n && !q->closed) {
        if (fiber_can_suspend()) {
            q->fiber_waiters++;
            pthread_mutex_unlock(&q->mu);
            fiber_park();
            pthread_mutex_lock(&q->mu);
            q->fiber_waiters--;
        } else {
            pthread_cond_wait(&q->not_empty, &q->mu);
        }
    }
    if (q->n) {
        r = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

void bqueue_close(bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    int wake = q->fiber_waiters > 0;
    pthread_mutex_unlock(&q->mu);
    if (wake)
        fiber_notify();
}
