/*
 * cron_int.h: what the parts of the cron module share; not a public header
 * (callers use cron.h).
 *
 * A parsed expression is one bit set per field plus a small description of
 * the day fields, which is the only place the three dialects really differ:
 * Quartz and Spring add "last day" (L, L-3, LW), "nearest weekday" (15W),
 * "last Thursday" (5L) and "third Friday" (6#3), and the dialects combine
 * day-of-month with day-of-week differently (cron_day_rule). Day-of-week
 * bits are always stored Sunday = 0 .. Saturday = 6, whatever the dialect
 * wrote, so the search in cron.c never looks at the dialect.
 */
#ifndef FF_CRON_INT_H
#define FF_CRON_INT_H

#include <stdint.h>

#include "cron.h"

enum cron_dialect { CRON_UNIX, CRON_QUARTZ, CRON_SPRING };

/* How a day-of-month field picks days. */
enum cron_dom_kind {
    CRON_DOM_SET,             /* the days in dom */
    CRON_DOM_LAST,            /* L, L-n: the last day minus dom_arg */
    CRON_DOM_LAST_WEEKDAY,    /* LW */
    CRON_DOM_NEAREST_WEEKDAY, /* nW: the weekday nearest day dom_arg, in the month */
};

/* How a day-of-week field picks days. */
enum cron_dow_kind {
    CRON_DOW_SET,             /* the weekdays in dow */
    CRON_DOW_LAST,            /* dL: the last weekday dow_arg of the month */
    CRON_DOW_NTH,             /* d#n: the dow_nth-th weekday dow_arg of the month */
};

/* How the two day fields combine. */
enum cron_day_rule {
    CRON_DAYS_AND,            /* both must match (Spring; Vixie cron when one is '*') */
    CRON_DAYS_OR,             /* either may match (Vixie cron, both restricted) */
    CRON_DAYS_DOM,            /* day-of-week is '?' (Quartz) */
    CRON_DAYS_DOW,            /* day-of-month is '?' (Quartz) */
};

#define CRON_YEAR_MIN 1970
#define CRON_YEAR_MAX 2199
#define CRON_ALL_HOURS 0xFFFFFFu

struct cron_expr {
    int64_t every_ms;         /* > 0: @every or a NiFi period; nothing else is used */
    int dialect;              /* enum cron_dialect */
    uint64_t second;          /* bits 0..59 ({0} for 5-field cron) */
    uint64_t minute;          /* bits 0..59 */
    uint32_t hour;            /* bits 0..23 */
    uint32_t month;           /* bits 1..12 */
    uint32_t dom;             /* bits 1..31, for CRON_DOM_SET */
    int dom_kind, dom_arg;
    uint32_t dow;             /* bits 0..6, Sunday = 0, for CRON_DOW_SET */
    int dow_kind, dow_arg, dow_nth;
    int day_rule;             /* enum cron_day_rule */
    int year_any;             /* no year field, or '*' */
    uint64_t year[4];         /* bit (y - CRON_YEAR_MIN), when !year_any */
};

#endif
