/*
 * retry: the one retry policy. Bounded attempts, exponential backoff with
 * full jitter, capped; a server's Retry-After wins when it is longer.
 * Pure functions, so the policy is unit-tested without a network.
 */
#ifndef FF_RETRY_H
#define FF_RETRY_H

typedef struct retry_policy {
    int max_attempts;   /* total tries including the first; >= 1 */
    long base_ms;       /* first backoff */
    long max_ms;        /* cap on one backoff */
    int retry_5xx;      /* retry on 500..599 */
    int retry_429;      /* retry on 429 */
} retry_policy;

/* 3 attempts, 100 ms base, 5 s cap, retry 5xx and 429. */
extern const retry_policy RETRY_DEFAULT;

/* Whether a try that ended with HTTP status (0 for a transport error such as
 * connection refused or a timeout) should be retried, given it was try
 * number attempt (1-based). */
int retry_should(const retry_policy *p, int attempt, long status, int transport_error);
/* Delay before try attempt+1: random in [0, min(max, base*2^(attempt-1))],
 * at least retry_after_ms when that is > 0 (still capped at 60 s).
 * seed is the caller's rand_r state. */
long retry_delay_ms(const retry_policy *p, int attempt, long retry_after_ms, unsigned *seed);
/* Parses a Retry-After header value (delta seconds or an HTTP date) into ms
 * from now; -1 when unparseable. */
long retry_parse_after(const char *value, long long now_epoch_s);

#endif
