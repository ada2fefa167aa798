/*
 * cron: schedules. Three kinds of text are accepted:
 *
 *   - cron fields, in three dialects:
 *       unix    5 fields: minute hour day-of-month month day-of-week
 *               (day-of-week 0-7, 0 and 7 Sunday; names "mon", "jan").
 *               Day-of-month and day-of-week combine like Vixie cron: when
 *               both are restricted, either matching is enough. '?' = '*'.
 *       quartz  6 or 7 fields: second minute hour day-of-month month
 *               day-of-week [year] (day-of-week 1-7, Sunday 1; year
 *               1970-2199). Exactly one day field is '?'. Day-of-month
 *               takes L (last day), L-3 (three days before it), LW (last
 *               weekday), 15W (weekday nearest the 15th, within the month);
 *               day-of-week takes 5L (last Thursday), 6#3 (third Friday)
 *               and L alone (Saturday). Ranges may wrap: 22-2, FRI-MON.
 *       spring  6 fields: second minute hour day-of-month month day-of-week
 *               (day-of-week 0-7, 0 and 7 Sunday, names MON..SUN); the
 *               same L/W/# forms (no L alone); both day fields must match;
 *               '?' = '*'.
 *     All take lists "1,5", ranges "1-5", steps "*\/15" and "5/15" (5, 20,
 *     35, 50). Without a dialect, 5 fields are unix and 7 quartz; 6 need
 *     one (the two disagree about day-of-week).
 *   - "@every <duration>" ("30s", "5m", "1h30m", "250ms") and the macros
 *     @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually.
 *   - NiFi run periods (Integrator's "Repeat Every"): a number, optional
 *     blanks and a unit, as NiFi's FormatUtils reads them: "30 sec",
 *     "5 mins", "1 hour", "1 day", "1.5 hours", "250 millis", "2 weeks"
 *     (ns/nano(s), ms/milli(s), s/sec(s)/second(s), m/min(s)/minute(s),
 *     h/hr(s)/hour(s), d/day(s), w/wk(s)/week(s); case ignored). The
 *     period must be a positive whole number of milliseconds.
 *
 * @every and periods fire at the multiples of the interval since the epoch,
 * in real time; the zone does not matter.
 *
 * Cron fields are read in the flow's time zone, and daylight-saving changes
 * follow one rule:
 *
 *   - A local time that does not exist (spring forward: 02:30 on the night
 *     clocks jump from 02:00 to 03:00) fires at the first valid instant
 *     after it (03:00), once, however many matching times the gap held.
 *   - A local time that occurs twice (fall back: 01:30 on the night clocks
 *     go from 02:00 back to 01:00) fires once, at its first occurrence.
 *   - Except: an expression whose hour field is every hour ("*") fires
 *     every N seconds or minutes, and keeps doing so in real time across
 *     the change: no gap, no burst. Times the jump skips do not fire (the
 *     next one is N real minutes on), and the repeated hour fires again.
 *     ("0 * * * *" is hourly by real time; "30 2 * * *" and
 *     "*\/15 1 * * *" follow the first two rules.)
 */
#ifndef FF_CRON_H
#define FF_CRON_H

#include <stdint.h>

#include "strbuf.h"

typedef struct cron_expr cron_expr;

/* Parsed schedule (caller frees with cron_free), or NULL with err set:
 * "field 3 (hour): 25 out of range 0-23" (fields numbered as written).
 * dialect is NULL or "" (by field count; 6 fields is then an error),
 * "unix", "quartz" or "spring" (case ignored). @ forms and NiFi periods are
 * accepted whatever the dialect. */
cron_expr *cron_parse_dialect(const char *text, const char *dialect, strbuf *err);
/* cron_parse_dialect(text, NULL, err). */
cron_expr *cron_parse(const char *text, strbuf *err);
/* 1 when dialect is NULL, "" or one cron_parse_dialect takes. */
int cron_dialect_valid(const char *dialect);
/* "unix", "quartz", "spring" or "every" (for @every and periods); static. */
const char *cron_kind(const cron_expr *c);
void cron_free(cron_expr *c);

/* Next due time strictly after after_ms (epoch milliseconds), in zone tz
 * (NULL or "" = UTC), by the rules above; whole seconds for cron fields.
 * -1 when there is none within 5 years (for a Quartz year field: before
 * 2200) or tz is unknown. */
int64_t cron_next(const cron_expr *c, int64_t after_ms, const char *tz);
/* 1 when tz names a zone this machine knows (NULL and "" are UTC). */
int cron_tz_valid(const char *tz);
/* Appends ms as the wall clock in tz with its offset,
 * "2024-03-10 03:00:00 -04:00". 0, or -1 when tz is unknown. */
int cron_local_time(int64_t ms, const char *tz, strbuf *out);

#endif
