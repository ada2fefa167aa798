/* test_cpupolicy: the services' scheduling policy (common/cpupolicy.h). */
#include "cpupolicy.h"
#include "unit.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

static void *policy_of_thread(void *arg)
{
    *(const char **)arg = cpupolicy_get();
    return NULL;
}

static const char *new_thread_policy(void)
{
    const char *got = NULL;
    pthread_t t;
    pthread_create(&t, NULL, policy_of_thread, &got);
    pthread_join(t, NULL);
    return got;
}

/* batch is the default, threads made afterwards inherit it, and a process
 * can move back to normal on its own. */
static void test_set(void)
{
    strbuf err = STRBUF_INIT;
    CHECK_INT(cpupolicy_set(NULL, &err), 0);
    CHECK_STR(cpupolicy_get(), "batch");
    CHECK_INT(sched_getscheduler(0), SCHED_BATCH);
    CHECK_STR(new_thread_policy(), "batch");
    CHECK_INT(cpupolicy_set("normal", &err), 0);
    CHECK_STR(cpupolicy_get(), "normal");
    CHECK_STR(new_thread_policy(), "normal");
    CHECK_INT(cpupolicy_set("batch", &err), 0);
    CHECK_STR(cpupolicy_get(), "batch");
    strbuf_release(&err);
}

static void test_bad_name(void)
{
    strbuf err = STRBUF_INIT;
    const char *before = cpupolicy_get();
    CHECK_INT(cpupolicy_set("realtime", &err), -1);
    CHECK(strstr(err.buf, "expected batch or normal") != NULL);
    CHECK(strstr(err.buf, "realtime") != NULL);
    CHECK_STR(cpupolicy_get(), before); /* unchanged */
    strbuf_release(&err);
}

int main(void)
{
    RUN(test_bad_name);
    RUN(test_set);
    return unit_done();
}
