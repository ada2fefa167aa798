/*
 * cpupolicy: the Linux scheduling policy the fleet's processes run under.
 *
 * flowfleet's services are throughput work: a record waiting a few
 * milliseconds more for a CPU changes nothing for anyone. Linux's
 * SCHED_BATCH policy says exactly that. A batch thread gets the same share
 * of the CPU as a normal one (its nice value still counts), but waking it
 * never preempts the thread that is running: when a service sends a request
 * and the server's thread wakes, the service goes on until it has nothing
 * left to do, instead of being switched out at once and back in a moment
 * later. On a busy machine that is fewer context switches per record; on a
 * node shared with other pods, a batch service never cuts in front of them.
 *
 * Linux lets an unprivileged process move itself between SCHED_OTHER and
 * SCHED_BATCH. The policy belongs to each thread and is inherited by the
 * threads it creates, so it is set first thing in main(), before librdkafka,
 * libcurl, libmicrohttpd or the fibers start threads. The simulators and the
 * dev broker use it too: on one machine everything shares the CPUs.
 */
#ifndef FF_CPUPOLICY_H
#define FF_CPUPOLICY_H

#include "strbuf.h"

/* Puts the calling thread (and the threads it creates from now on) under
 * policy: "batch" (SCHED_BATCH) or "normal" (SCHED_OTHER). NULL or "" means
 * "batch". 0; -1 with err for an unknown name; -2 with err when the kernel
 * refused (the thread keeps its policy). */
int cpupolicy_set(const char *policy, strbuf *err);
/* The calling thread's policy: "batch", "normal" or "other". */
const char *cpupolicy_get(void);

#endif
