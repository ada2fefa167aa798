/*
 * unit.h: the unit-test harness. Header-only, no framework.
 *
 * A test file defines functions `static void test_xxx(void)` and a main()
 * that calls RUN(test_xxx) for each, then `return unit_done();`.
 * CHECK(cond) records a failure with file:line and keeps going; the last line
 * a binary prints is "N passed, N failed" (counted per CHECK), and the exit
 * status is non-zero when anything failed. scripts/run-tests.sh sums them.
 */
#ifndef FF_UNIT_H
#define FF_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;
static const char *unit_current = "";

#define CHECK(cond) do { \
    if (cond) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "FAIL %s: %s:%d: %s\n", unit_current, __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    if (g_ && w_ && strcmp(g_, w_) == 0) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "FAIL %s: %s:%d: %s\n    got:  %s\n    want: %s\n", unit_current, __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_INT(got, want) do { \
    long long g_ = (long long)(got), w_ = (long long)(want); \
    if (g_ == w_) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "FAIL %s: %s:%d: %s = %lld, want %lld\n", unit_current, __FILE__, __LINE__, #got, g_, w_); } \
} while (0)

#define RUN(fn) do { unit_current = #fn; fn(); } while (0)

static inline int unit_done(void)
{
    printf("%d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}

#endif
