/*
 * bqueue: a bounded, blocking, multi-producer multi-consumer queue of
 * pointers. The bound is the back-pressure that keeps memory flat: a
 * producer waits while the queue is full. Closing wakes every consumer;
 * bqueue_pop returns NULL once the queue is closed and empty.
 */
#ifndef FF_BQUEUE_H
#define FF_BQUEUE_H

#include <pthread.h>
#include <stddef.h>

typedef struct bqueue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void **items;
    size_t cap, head, n;
    int closed;
    int fiber_waiters;   /* consumers parked as fibers (see fiber.h) */
} bqueue;

void bqueue_init(bqueue *q, size_t cap);
void bqueue_destroy(bqueue *q);
/* Waits while full. */
void bqueue_push(bqueue *q, void *item);
/* Waits while empty and open; NULL when closed and drained. */
void *bqueue_pop(bqueue *q);
void bqueue_close(bqueue *q);

#endif
