/*
 * test_writeonce: the ask-then-write loop (common/writeonce.h) with a
 * scripted target: what the query answers and what each write does. The
 * property users rely on: after an unknown outcome the record is written
 * again only when the target says it does not have it.
 */
#include "writeonce.h"
#include "unit.h"

#include <string.h>

/* A scripted target. */
typedef struct target {
    int stored;          /* the target holds the record */
    int queries, writes;
    const int *plan;     /* per write: 0 stored+ok, 1 refused, 2 unknown but stored, 3 unknown and not stored */
    int query_fails;
} target;

static int query(void *ctx, int *exists)
{
    target *t = ctx;
    t->queries++;
    if (t->query_fails)
        return -1;
    *exists = t->stored;
    return 0;
}

static int write_once(void *ctx, long *status, strbuf *msg)
{
    target *t = ctx;
    int what = t->plan[t->writes++];
    switch (what) {
    case 0: t->stored = 1; *status = 201; return 0;
    case 1: *status = 400; strbuf_setf(msg, "refused"); return 1;
    case 2: t->stored = 1; *status = 0; strbuf_setf(msg, "timeout"); return 2;
    default: *status = 503; strbuf_setf(msg, "unavailable"); return 2;
    }
}

static const retry_policy FAST = { .max_attempts = 4, .base_ms = 1, .max_ms = 2 };

static writeonce_result run(target *t, int with_query, int exists, long *status, strbuf *msg)
{
    writeonce_ops ops = { t, with_query ? query : NULL, write_once };
    unsigned seed = 1;
    return writeonce_run(&ops, exists, &FAST, &seed, status, msg);
}

static void test_unknown_then_stored_is_not_written_twice(void)
{
    static const int plan[] = { 2, 0, 0, 0 };
    target t = { .plan = plan };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 1, 0, &status, &msg), WRITEONCE_EXISTS);
    CHECK_INT(t.writes, 1);   /* the timeout's write stored it: asked, not written again */
    CHECK_INT(t.queries, 2);
    strbuf_release(&msg);
}

static void test_unknown_then_absent_is_written_again(void)
{
    static const int plan[] = { 3, 3, 0, 0 };
    target t = { .plan = plan };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 1, 0, &status, &msg), WRITEONCE_WRITTEN);
    CHECK_INT(t.writes, 3);
    CHECK_INT(t.queries, 3);
    CHECK_INT(status, 201);
    strbuf_release(&msg);
}

static void test_refused_is_not_retried(void)
{
    static const int plan[] = { 1, 0 };
    target t = { .plan = plan };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 1, 0, &status, &msg), WRITEONCE_FAILED);
    CHECK_INT(t.writes, 1);
    CHECK_INT(status, 400);
    CHECK_STR(msg.buf, "refused");
    strbuf_release(&msg);
}

static void test_exists_writes_nothing(void)
{
    static const int plan[] = { 0 };
    target t = { .plan = plan, .stored = 1 };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 1, 0, &status, &msg), WRITEONCE_EXISTS);
    CHECK_INT(t.writes, 0);
    /* known to be there already (a redelivered record): not even asked */
    target u = { .plan = plan };
    CHECK_INT(run(&u, 1, 1, &status, &msg), WRITEONCE_EXISTS);
    CHECK_INT(u.queries + u.writes, 0);
    strbuf_release(&msg);
}

static void test_gives_up_after_max_attempts(void)
{
    static const int plan[] = { 3, 3, 3, 3, 0 };
    target t = { .plan = plan };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 1, 0, &status, &msg), WRITEONCE_FAILED);
    CHECK_INT(t.writes, FAST.max_attempts);
    CHECK_INT(status, 503);
    strbuf_release(&msg);
}

static void test_query_failure(void)
{
    static const int plan[] = { 0 };
    target t = { .plan = plan, .query_fails = 1 };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 1, 0, &status, &msg), WRITEONCE_QUERY_FAILED);
    CHECK_INT(t.writes, 0);
    strbuf_release(&msg);
}

static void test_without_query_unknown_is_retried(void)
{
    /* no way to ask: an unknown outcome is retried (the docs warn of it) */
    static const int plan[] = { 3, 0 };
    target t = { .plan = plan };
    strbuf msg = STRBUF_INIT;
    long status = 0;
    CHECK_INT(run(&t, 0, 0, &status, &msg), WRITEONCE_WRITTEN);
    CHECK_INT(t.writes, 2);
    CHECK_INT(t.queries, 0);
    strbuf_release(&msg);
}

int main(void)
{
    RUN(test_unknown_then_stored_is_not_written_twice);
    RUN(test_unknown_then_absent_is_written_again);
    RUN(test_refused_is_not_retried);
    RUN(test_exists_writes_nothing);
    RUN(test_gives_up_after_max_attempts);
    RUN(test_query_failure);
    RUN(test_without_query_unknown_is_retried);
    return unit_done();
}
