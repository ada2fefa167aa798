/* writeonce.c: the ask-then-write loop. See writeonce.h. */
#include "writeonce.h"

#include "fiber.h"

writeonce_result writeonce_run(const writeonce_ops *ops, int exists, const retry_policy *retry, unsigned *seed,
                               long *status, strbuf *msg)
{
    return writeonce_run_on(ops, NULL, exists, retry, seed, status, msg);
}

writeonce_result writeonce_run_on(const writeonce_ops *ops, http_client *http, int exists, const retry_policy *retry,
                                  unsigned *seed, long *status, strbuf *msg)
{
    for (int attempt = 1;; attempt++) {
        if (!exists && ops->query && ops->query(ops->ctx, &exists) < 0)
            return WRITEONCE_QUERY_FAILED;
        if (exists)
            return WRITEONCE_EXISTS;
        if (attempt > 1)   /* a write made again: a retry, as http_do counts its own */
            http_client_count_retry(http);
        int r = ops->write(ops->ctx, status, msg);
        if (r == 0)
            return WRITEONCE_WRITTEN;
        if (r == 1 || attempt >= retry->max_attempts)
            return WRITEONCE_FAILED;
        fiber_sleep_ms(retry_delay_ms(retry, attempt, 0, seed));
    }
}
