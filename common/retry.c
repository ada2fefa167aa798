/*
 * retry.c: the retry policy as pure functions. See retry.h for the contract.
 *
 * Backoff is "full jitter" (AWS architecture blog): the delay before try n+1
 * is uniform in [0, min(cap, base * 2^(n-1))], so a fleet of clients that
 * failed together does not come back together. A server's Retry-After is a
 * floor on that delay (capped at 60 s so a hostile header cannot park a
 * worker for hours). Randomness comes from the caller's rand_r state, which
 * keeps these functions deterministic under test.
 */
#include "retry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_AFTER_CAP_MS 60000L

const retry_policy RETRY_DEFAULT = {
    .max_attempts = 3,
    .base_ms = 100,
    .max_ms = 5000,
    .retry_5xx = 1,
    .retry_429 = 1,
};

int retry_should(const retry_policy *p, int attempt, long status, int transport_error)
{
    if (!p)
        p = &RETRY_DEFAULT;
    if (attempt >= p->max_attempts)
        return 0;
    if (transport_error)
        return 1;
    if (status >= 500 && status <= 599)
        return p->retry_5xx != 0;
    if (status == 429)
        return p->retry_429 != 0;
    return 0;
}

/* Uniform random number in [0, n] from two rand_r draws (62 bits). */
static long rand_upto(unsigned *seed, long n)
{
    if (n <= 0)
        return 0;
    unsigned long long r = ((unsigned long long)(unsigned)rand_r(seed) << 31) ^ (unsigned)rand_r(seed);
    return (long)(r % ((unsigned long long)n + 1));
}

long retry_delay_ms(const retry_policy *p, int attempt, long retry_after_ms, unsigned *seed)
{
    if (!p)
        p = &RETRY_DEFAULT;
    if (attempt < 1)
        attempt = 1;
    long base = p->base_ms > 0 ? p->base_ms : 0;
    long cap = p->max_ms > 0 ? p->max_ms : 0;
    /* base * 2^(attempt-1), stopping as soon as it passes the cap. */
    long exp = base;
    for (int i = 1; i < attempt && exp < cap; i++)
        exp = exp > cap / 2 ? cap : exp * 2;
    if (exp > cap)
        exp = cap;
    unsigned local = 1;
    long d = rand_upto(seed ? seed : &local, exp);
    if (retry_after_ms > 0) {
        long floor = retry_after_ms < RETRY_AFTER_CAP_MS ? retry_after_ms : RETRY_AFTER_CAP_MS;
        if (d < floor)
            d = floor;
    }
    return d;
}

long retry_parse_after(const char *value, long long now_epoch_s)
{
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    size_t n = strlen(value);
    while (n > 0 && isspace((unsigned char)value[n - 1]))
        n--;
    if (n == 0 || n > 64)
        return -1;
    char buf[65];
    memcpy(buf, value, n);
    buf[n] = '\0';

    /* delta-seconds */
    size_t i = 0;
    while (i < n && isdigit((unsigned char)buf[i]))
        i++;
    if (i == n) {
        long long secs = 0;
        for (i = 0; i < n; i++) {
            secs = secs * 10 + (buf[i] - '0');
            if (secs > 86400LL * 365)
                secs = 86400LL * 365;  /* absurd: clamp, the caller caps anyway */
        }
        return (long)(secs * 1000);
    }

    /* HTTP-date: IMF-fixdate, obsolete RFC 850 and asctime forms. */
    static const char *const fmts[] = {
        "%a, %d %b %Y %H:%M:%S GMT",
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    };
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(buf, fmts[f], &tm);
        if (!end || *end != '\0')
            continue;
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
            continue;
        long long d = (long long)t - now_epoch_s;
        if (d < 0)
            d = 0;
        if (d > 86400LL * 365)
            d = 86400LL * 365;
        return (long)(d * 1000);
    }
    return -1;
}
