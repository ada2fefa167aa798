/*
 * scheduler: the scheduler service, run from its main.c once the options
 * are parsed (worker.h): loads the flows, connects to Redis and Kafka, and
 * steps ticks.h until signalled.
 */
#ifndef FF_SCHEDULER_H
#define FF_SCHEDULER_H

#include "worker.h"

/* Runs until SIGTERM/SIGINT; the process exit code. */
int scheduler_run(const worker_config *cfg);

#endif
