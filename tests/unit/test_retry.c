/* Unit tests: retry policy (attempt bound, statuses, backoff, jitter, Retry-After). */
#include "retry.h"
#include "unit.h"

#include <time.h>

static void test_should(void)
{
    const retry_policy *p = &RETRY_DEFAULT;
    CHECK_INT(p->max_attempts, 3);
    CHECK_INT(p->base_ms, 100);
    CHECK_INT(p->max_ms, 5000);
    /* transport errors retry until the bound */
    CHECK(retry_should(p, 1, 0, 1));
    CHECK(retry_should(p, 2, 0, 1));
    CHECK(!retry_should(p, 3, 0, 1));
    CHECK(!retry_should(p, 4, 0, 1));
    /* statuses */
    CHECK(retry_should(p, 1, 500, 0));
    CHECK(retry_should(p, 1, 503, 0));
    CHECK(retry_should(p, 1, 599, 0));
    CHECK(retry_should(p, 1, 429, 0));
    CHECK(!retry_should(p, 1, 200, 0));
    CHECK(!retry_should(p, 1, 404, 0));
    CHECK(!retry_should(p, 1, 401, 0));
    CHECK(!retry_should(p, 1, 400, 0));
    CHECK(!retry_should(p, 1, 600, 0));
    CHECK(!retry_should(p, 3, 500, 0));
    retry_policy q = { .max_attempts = 5, .base_ms = 10, .max_ms = 100, .retry_5xx = 0, .retry_429 = 0 };
    CHECK(!retry_should(&q, 1, 500, 0));
    CHECK(!retry_should(&q, 1, 429, 0));
    CHECK(retry_should(&q, 4, 0, 1));
    CHECK(!retry_should(&q, 5, 0, 1));
    retry_policy one = { .max_attempts = 1, .base_ms = 10, .max_ms = 100, .retry_5xx = 1, .retry_429 = 1 };
    CHECK(!retry_should(&one, 1, 500, 0));
    CHECK(!retry_should(&one, 1, 0, 1));
}

static void test_backoff_growth_and_cap(void)
{
    retry_policy p = { .max_attempts = 10, .base_ms = 100, .max_ms = 1000, .retry_5xx = 1, .retry_429 = 1 };
    /* The upper bound doubles per attempt until the cap: observe the max
     * over many seeds, and that nothing exceeds the bound. */
    long want[] = { 0, 100, 200, 400, 800, 1000, 1000, 1000 };
    for (int attempt = 1; attempt <= 7; attempt++) {
        long lo = -1, hi = -1;
        int bad = 0;
        for (unsigned s = 1; s <= 4000; s++) {
            unsigned seed = s;
            long d = retry_delay_ms(&p, attempt, 0, &seed);
            if (d < 0 || d > want[attempt])
                bad++;
            if (lo < 0 || d < lo) lo = d;
            if (d > hi) hi = d;
        }
        CHECK_INT(bad, 0);
        CHECK(lo <= want[attempt] / 10);        /* full jitter reaches near 0 */
        CHECK(hi >= want[attempt] * 9 / 10);    /* and near the bound */
    }
    /* huge attempt numbers do not overflow */
    unsigned seed = 7;
    long d = retry_delay_ms(&p, 1000, 0, &seed);
    CHECK(d >= 0 && d <= 1000);
}

static void test_jitter_spread(void)
{
    retry_policy p = { .max_attempts = 3, .base_ms = 1000, .max_ms = 1000, .retry_5xx = 1, .retry_429 = 1 };
    int buckets[10] = { 0 };
    unsigned seed = 12345;
    for (int i = 0; i < 10000; i++) {
        long d = retry_delay_ms(&p, 1, 0, &seed);
        int b = (int)(d / 100);
        if (b > 9) b = 9;
        buckets[b]++;
    }
    /* roughly uniform: every tenth gets a fair share */
    int ok = 1;
    for (int b = 0; b < 10; b++)
        if (buckets[b] < 700 || buckets[b] > 1300)
            ok = 0;
    CHECK(ok);
    /* the same seed gives the same sequence */
    unsigned s1 = 99, s2 = 99;
    CHECK_INT(retry_delay_ms(&p, 2, 0, &s1), retry_delay_ms(&p, 2, 0, &s2));
}

static void test_retry_after_wins(void)
{
    retry_policy p = { .max_attempts = 3, .base_ms = 10, .max_ms = 100, .retry_5xx = 1, .retry_429 = 1 };
    unsigned seed = 1;
    for (int i = 0; i < 100; i++) {
        long d = retry_delay_ms(&p, 1, 2000, &seed);
        CHECK(d == 2000);
    }
    /* Retry-After shorter than the backoff: backoff still applies as drawn */
    p.base_ms = 5000; p.max_ms = 5000;
    int above = 0;
    for (int i = 0; i < 100; i++) {
        long d = retry_delay_ms(&p, 1, 1, &seed);
        CHECK(d >= 1 && d <= 5000);
        if (d > 1) above++;
    }
    CHECK(above > 90);
    /* capped at 60 s */
    CHECK_INT(retry_delay_ms(&p, 1, 3600 * 1000L, &seed), 60000);
    /* NULL policy means the default */
    long d = retry_delay_ms(NULL, 1, 0, &seed);
    CHECK(d >= 0 && d <= 100);
}

static void test_parse_after(void)
{
    CHECK_INT(retry_parse_after("1", 0), 1000);
    CHECK_INT(retry_parse_after("120", 0), 120000);
    CHECK_INT(retry_parse_after(" 5 ", 0), 5000);
    CHECK_INT(retry_parse_after("0", 0), 0);
    CHECK_INT(retry_parse_after("", 0), -1);
    CHECK_INT(retry_parse_after("soon", 0), -1);
    CHECK_INT(retry_parse_after("-3", 0), -1);
    CHECK_INT(retry_parse_after("1.5", 0), -1);
    CHECK_INT(retry_parse_after(NULL, 0), -1);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    CHECK_INT(retry_parse_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30000);
    CHECK_INT(retry_parse_after("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 2), 2000);
    CHECK_INT(retry_parse_after("Sun Nov  6 08:49:37 1994", 784111777 - 7), 7000);
    /* a date in the past means now */
    CHECK_INT(retry_parse_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 100), 0);
    CHECK_INT(retry_parse_after("Sun, 06 Nov 1994 08:49:37 GMT trailing", 0), -1);
    CHECK_INT(retry_parse_after("Sun, 32 Nov 1994 08:49:37 GMT", 0), -1);
    /* now-relative with the real clock */
    long long now = (long long)time(NULL);
    char buf[64];
    time_t t = (time_t)(now + 10);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    CHECK_INT(retry_parse_after(buf, now), 10000);
}

int main(void)
{
    RUN(test_should);
    RUN(test_backoff_growth_and_cap);
    RUN(test_jitter_spread);
    RUN(test_retry_after_wins);
    RUN(test_parse_after);
    return unit_done();
}
