/*
 * cpupolicy.c: see cpupolicy.h. Two policies by name, over
 * sched_setscheduler(2) on the calling thread.
 */
#include "cpupolicy.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

int cpupolicy_set(const char *policy, strbuf *err)
{
    int p;
    if (!policy || !*policy || !strcmp(policy, "batch"))
        p = SCHED_BATCH;
    else if (!strcmp(policy, "normal"))
        p = SCHED_OTHER;
    else {
        strbuf_seterr(err, "scheduling policy: expected batch or normal, got \"%s\"", policy);
        return -1;
    }
    struct sched_param sp = { 0 };
    if (sched_setscheduler(0, p, &sp) < 0) {
        strbuf_seterr(err, "scheduling policy %s: %s", p == SCHED_BATCH ? "batch" : "normal", strerror(errno));
        return -2;
    }
    return 0;
}

const char *cpupolicy_get(void)
{
    switch (sched_getscheduler(0)) {
    case SCHED_BATCH:
        return "batch";
    case SCHED_OTHER:
        return "normal";
    default:
        return "other";
    }
}
