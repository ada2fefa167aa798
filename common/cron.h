/*
 * cron: schedules. Standard 5-field cron (minute hour day-of-month month
 * day-of-week; lists "1,5", ranges "1-5", steps "*\/15", names "mon", "jan"),
 * the usual macros (@hourly, @daily, @midnight, @weekly, @monthly, @yearly,
 * @annually) and "@every <duration>" ("30s", "5m", "1h30m", "250ms").
 * Times are evaluated in a named IANA time zone ("Europe/Istanbul", "UTC").
 * Day-of-month and day-of-week combine like Vixie cron: when both are
 * restricted, either matching is enough.
 */
#ifndef FF_CRON_H
#define FF_CRON_H

#include <stdint.h>

#include "strbuf.h"

typedef struct cron_expr cron_expr;

/* Parsed schedule, or NULL with "field 2 (hour): 25 out of range 0-23"-style err. */
cron_expr *cron_parse(const char *text, strbuf *err);
void cron_free(cron_expr *c);
/* Next due time strictly after after_ms (epoch milliseconds), in zone tz
 * (NULL or "" = UTC). -1 when there is none within 5 years or tz is unknown.
 * For @every, due times are multiples of the interval since the epoch. */
int64_t cron_next(const cron_expr *c, int64_t after_ms, const char *tz);
/* 1 when tz names a zone this machine knows. */
int cron_tz_valid(const char *tz);

#endif
