/* Unit tests: cron parsing, next due times, @every, time zones and DST. */
#include "cron.h"
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* "YYYY-MM-DD HH:MM[:SS]" in UTC -> epoch ms. */
static int64_t utc(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    if (n < 5)
        abort();
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000;
}

/* epoch ms -> "YYYY-MM-DD HH:MM:SS" UTC, in a static buffer (one per slot). */
static const char *fmt(int64_t ms, int slot)
{
    static char bufs[2][32];
    if (ms < 0)
        return "none";
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(bufs[slot], sizeof bufs[slot], "%Y-%m-%d %H:%M:%S", &tm);
    return bufs[slot];
}

/* next(expr, after, tz) as UTC text, for readable failures. */
static const char *next_s(const char *expr, const char *after, const char *tz)
{
    strbuf err = STRBUF_INIT;
    cron_expr *c = cron_parse(expr, &err);
    if (!c) {
        fprintf(stderr, "parse %s: %s\n", expr, err.buf);
        strbuf_release(&err);
        return "parse error";
    }
    strbuf_release(&err);
    int64_t r = cron_next(c, utc(after), tz);
    cron_free(c);
    return fmt(r, 0);
}

static void test_basic(void)
{
    CHECK_STR(next_s("* * * * *", "2024-01-01 00:00:30", NULL), "2024-01-01 00:01:00");
    CHECK_STR(next_s("* * * * *", "2024-01-01 00:01:00", NULL), "2024-01-01 00:02:00");
    CHECK_STR(next_s("* * * * *", "2024-12-31 23:59:59", ""), "2025-01-01 00:00:00");
    CHECK_STR(next_s("*/15 * * * *", "2024-01-01 10:07", "UTC"), "2024-01-01 10:15:00");
    CHECK_STR(next_s("*/15 * * * *", "2024-01-01 10:45", "UTC"), "2024-01-01 11:00:00");
    CHECK_STR(next_s("5/20 * * * *", "2024-01-01 10:26", "UTC"), "2024-01-01 10:45:00");
    CHECK_STR(next_s("0 12 ? * *", "2024-01-01 12:00", NULL), "2024-01-02 12:00:00");
}

static void test_ranges_lists_names(void)
{
    /* 2024-01-06 is a Saturday */
    CHECK_STR(next_s("0 9-17/2 * * mon-fri", "2024-01-06 12:00", NULL), "2024-01-08 09:00:00");
    CHECK_STR(next_s("0 9-17/2 * * mon-fri", "2024-01-08 09:00", NULL), "2024-01-08 11:00:00");
    CHECK_STR(next_s("0 9-17/2 * * MON-FRI", "2024-01-08 17:00", NULL), "2024-01-09 09:00:00");
    CHECK_STR(next_s("0 0 1,15 jan,jul *", "2024-01-15 00:00", NULL), "2024-07-01 00:00:00");
    CHECK_STR(next_s("0 0 1,15 Jan,Jul *", "2024-07-01 00:00", NULL), "2024-07-15 00:00:00");
    CHECK_STR(next_s("0 0 * * 7", "2024-01-01 00:00", NULL), "2024-01-07 00:00:00");
    CHECK_STR(next_s("0 0 * * sun", "2024-01-01 00:00", NULL), "2024-01-07 00:00:00");
    CHECK_STR(next_s("0 0 * * 5-7", "2024-01-01 00:00", NULL), "2024-01-05 00:00:00");
    CHECK_STR(next_s("30 4 * 2-3 *", "2024-04-01 00:00", NULL), "2025-02-01 04:30:00");
    CHECK_STR(next_s("10,20,30-32 * * * *", "2024-01-01 00:21", NULL), "2024-01-01 00:30:00");
    CHECK_STR(next_s("10,20,30-32 * * * *", "2024-01-01 00:31", NULL), "2024-01-01 00:32:00");
    CHECK_STR(next_s("10,20,30-32 * * * *", "2024-01-01 00:32", NULL), "2024-01-01 01:10:00");
}

static void test_macros(void)
{
    CHECK_STR(next_s("@hourly", "2024-01-01 10:07", NULL), "2024-01-01 11:00:00");
    CHECK_STR(next_s("@daily", "2024-01-01 10:07", NULL), "2024-01-02 00:00:00");
    CHECK_STR(next_s("@midnight", "2024-01-01 10:07", NULL), "2024-01-02 00:00:00");
    CHECK_STR(next_s("@weekly", "2024-01-01 10:07", NULL), "2024-01-07 00:00:00");
    CHECK_STR(next_s("@monthly", "2024-01-01 10:07", NULL), "2024-02-01 00:00:00");
    CHECK_STR(next_s("@yearly", "2024-01-01 10:07", NULL), "2025-01-01 00:00:00");
    CHECK_STR(next_s("@annually", "2024-01-01 00:00", NULL), "2025-01-01 00:00:00");
}

static void test_last_days(void)
{
    CHECK_STR(next_s("0 0 29 2 *", "2023-01-01 00:00", NULL), "2024-02-29 00:00:00");
    CHECK_STR(next_s("0 0 29 2 *", "2024-03-01 00:00", NULL), "2028-02-29 00:00:00");
    CHECK_STR(next_s("0 0 29 feb *", "2024-02-29 00:00", NULL), "2028-02-29 00:00:00");
    CHECK_STR(next_s("0 0 31 * *", "2024-01-31 00:00", NULL), "2024-03-31 00:00:00");
    CHECK_STR(next_s("0 0 31 * *", "2024-08-31 00:00", NULL), "2024-10-31 00:00:00");
    CHECK_STR(next_s("59 23 28-31 2 *", "2023-02-28 23:59", NULL), "2024-02-28 23:59:00");
    CHECK_STR(next_s("59 23 28-31 2 *", "2024-02-28 23:59", NULL), "2024-02-29 23:59:00");
    /* never: Feb 30 */
    CHECK_STR(next_s("0 0 30 2 *", "2024-01-01 00:00", NULL), "none");
    /* year end rollover */
    CHECK_STR(next_s("0 0 1 1 *", "2024-12-31 23:59", NULL), "2025-01-01 00:00:00");
}

static void test_dom_dow(void)
{
    /* both restricted: either matches (2024-01-05 is a Friday) */
    CHECK_STR(next_s("0 0 13 * fri", "2024-01-01 00:00", NULL), "2024-01-05 00:00:00");
    CHECK_STR(next_s("0 0 13 * fri", "2024-01-12 00:00", NULL), "2024-01-13 00:00:00");
    CHECK_STR(next_s("0 0 13 * fri", "2024-01-13 00:00", NULL), "2024-01-19 00:00:00");
    /* day-of-month starting with '*': both must match */
    CHECK_STR(next_s("0 0 */2 * fri", "2024-01-05 00:00", NULL), "2024-01-19 00:00:00");
    /* day-of-week '*': only day-of-month decides */
    CHECK_STR(next_s("0 0 13 * *", "2024-01-01 00:00", NULL), "2024-01-13 00:00:00");
    CHECK_STR(next_s("0 0 13 * ?", "2024-01-01 00:00", NULL), "2024-01-13 00:00:00");
}

static void test_every(void)
{
    strbuf err = STRBUF_INIT;
    cron_expr *c = cron_parse("@every 30s", &err);
    CHECK(c != NULL);
    CHECK_INT(cron_next(c, 1000, NULL), 30000);
    CHECK_INT(cron_next(c, 29999, NULL), 30000);
    CHECK_INT(cron_next(c, 30000, NULL), 60000);
    CHECK_INT(cron_next(c, 0, "Europe/Istanbul"), 30000);
    int64_t a = utc("2024-05-05 10:00:07");
    CHECK_INT(cron_next(c, a, NULL), utc("2024-05-05 10:00:30"));
    CHECK_INT(cron_next(c, a, "Mars/Base"), -1);
    cron_free(c);
    c = cron_parse("@every 1h30m", &err);
    CHECK(c != NULL);
    CHECK_INT(cron_next(c, 1, NULL), 5400000);
    CHECK_INT(cron_next(c, 5400000, NULL), 10800000);
    cron_free(c);
    c = cron_parse("@every 250ms", &err);
    CHECK(c != NULL);
    CHECK_INT(cron_next(c, 1001, NULL), 1250);
    cron_free(c);
    c = cron_parse("  @every 1m30s500ms ", &err);
    CHECK(c != NULL);
    CHECK_INT(cron_next(c, 0, NULL), 90500);
    cron_free(c);
    c = cron_parse("@every 5m", &err);
    CHECK(c != NULL);
    CHECK_INT(cron_next(c, 299999, NULL), 300000);
    cron_free(c);
    strbuf_release(&err);
}

static void test_zones(void)
{
    CHECK(cron_tz_valid("Europe/Istanbul"));
    CHECK(cron_tz_valid("America/New_York"));
    CHECK(cron_tz_valid("UTC"));
    CHECK(cron_tz_valid(NULL));
    CHECK(cron_tz_valid(""));
    CHECK(!cron_tz_valid("Mars/Olympus_Mons"));
    CHECK(!cron_tz_valid("../../etc/passwd"));
    CHECK(!cron_tz_valid("/etc/passwd"));
    CHECK(!cron_tz_valid("Europe"));  /* a directory, not a zone */
    CHECK_STR(next_s("0 9 * * *", "2024-06-01 00:00", "Mars/Olympus_Mons"), "none");

    /* Istanbul: UTC+3 all year */
    CHECK_STR(next_s("0 9 * * *", "2024-06-01 00:00", "Europe/Istanbul"), "2024-06-01 06:00:00");
    CHECK_STR(next_s("0 9 * * *", "2024-12-01 06:00", "Europe/Istanbul"), "2024-12-02 06:00:00");
    CHECK_STR(next_s("0 0 1 * *", "2024-06-01 00:00", "Europe/Istanbul"), "2024-06-30 21:00:00");
    /* local midnight is already the next day in UTC terms: the weekday is local */
    CHECK_STR(next_s("30 1 * * mon", "2024-01-01 00:00", "Europe/Istanbul"), "2024-01-07 22:30:00");

    /* New York, winter (UTC-5) and summer (UTC-4) */
    CHECK_STR(next_s("0 9 * * *", "2024-01-10 00:00", "America/New_York"), "2024-01-10 14:00:00");
    CHECK_STR(next_s("0 9 * * *", "2024-07-10 00:00", "America/New_York"), "2024-07-10 13:00:00");
    /* spring forward 2024-03-10: 02:00 EST -> 03:00 EDT; 02:30 does not exist that day */
    CHECK_STR(next_s("30 2 * * *", "2024-03-08 12:00", "America/New_York"), "2024-03-09 07:30:00");
    CHECK_STR(next_s("30 2 * * *", "2024-03-09 08:00", "America/New_York"), "2024-03-11 06:30:00");
    CHECK_STR(next_s("0 * * * *", "2024-03-10 06:30", "America/New_York"), "2024-03-10 07:00:00");
    CHECK_STR(next_s("0 3 * * *", "2024-03-10 05:00", "America/New_York"), "2024-03-10 07:00:00");
    /* fall back 2024-11-03: 02:00 EDT -> 01:00 EST; 01:30 happens twice, fires once */
    CHECK_STR(next_s("30 1 * * *", "2024-11-03 04:00", "America/New_York"), "2024-11-03 05:30:00");
    CHECK_STR(next_s("30 1 * * *", "2024-11-03 05:30", "America/New_York"), "2024-11-04 06:30:00");
    /* an hourly schedule keeps firing by real time through the repeated hour */
    CHECK_STR(next_s("0 * * * *", "2024-11-03 05:00", "America/New_York"), "2024-11-03 06:00:00");
    CHECK_STR(next_s("0 * * * *", "2024-11-03 06:00", "America/New_York"), "2024-11-03 07:00:00");
    CHECK_STR(next_s("@daily", "2024-11-03 04:00", "America/New_York"), "2024-11-04 05:00:00");
    CHECK_STR(next_s("@daily", "2024-03-10 04:00", "America/New_York"), "2024-03-10 05:00:00");
    CHECK_STR(next_s("@daily", "2024-03-10 05:00", "America/New_York"), "2024-03-11 04:00:00");
}

struct zone_job {
    const char *tz;
    const char *want;
    int bad;
};

static void *zone_thread(void *arg)
{
    struct zone_job *j = arg;
    strbuf err = STRBUF_INIT;
    cron_expr *c = cron_parse("0 9 * * *", &err);
    for (int i = 0; i < 200; i++) {
        int64_t r = cron_next(c, utc("2024-06-01 00:00"), j->tz);
        time_t t = (time_t)(r / 1000);
        struct tm tm;
        char buf[32];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        if (strcmp(buf, j->want) != 0)
            j->bad++;
    }
    cron_free(c);
    strbuf_release(&err);
    return NULL;
}

static void test_threads(void)
{
    struct zone_job jobs[3] = {
        { "Europe/Istanbul", "2024-06-01 06:00:00", 0 },
        { "America/New_York", "2024-06-01 13:00:00", 0 },
        { "UTC", "2024-06-01 09:00:00", 0 },
    };
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, zone_thread, &jobs[i]);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(jobs[i].bad, 0);
    }
}

static void check_err(const char *expr, const char *want)
{
    strbuf err = STRBUF_INIT;
    cron_expr *c = cron_parse(expr, &err);
    CHECK(c == NULL);
    CHECK_STR(err.buf, want);
    cron_free(c);
    strbuf_release(&err);
}

static void test_errors(void)
{
    check_err("60 * * * *", "field 1 (minute): 60 out of range 0-59");
    check_err("* 25 * * *", "field 2 (hour): 25 out of range 0-23");
    check_err("* * 0 * *", "field 3 (day-of-month): 0 out of range 1-31");
    check_err("* * * 13 *", "field 4 (month): 13 out of range 1-12");
    check_err("* * * * 8", "field 5 (day-of-week): 8 out of range 0-7");
    check_err("* * * foo *", "field 4 (month): unknown name \"foo\"");
    check_err("* * * * funday", "field 5 (day-of-week): unknown name \"funday\"");
    check_err("* mon * * *", "field 2 (hour): bad value \"mon\"");
    check_err("*/0 * * * *", "field 1 (minute): step 0 out of range 1-60");
    check_err("*/ * * * *", "field 1 (minute): bad step \"\"");
    check_err("5-1 * * * *", "field 1 (minute): range 5-1 is backwards");
    check_err("1,,2 * * * *", "field 1 (minute): missing value");
    check_err("1x * * * *", "field 1 (minute): unexpected \"x\"");
    check_err("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
    check_err("* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
    check_err("", "empty schedule");
    check_err("   ", "empty schedule");
    check_err(NULL, "empty schedule");
    check_err("@often", "unknown schedule \"@often\"");
    check_err("@daily 5", "unknown schedule \"@daily 5\"");
    check_err("@every", "@every: missing or bad duration");
    check_err("@every 0s", "@every: bad duration \"0s\" (want e.g. 30s, 5m, 1h30m, 250ms)");
    check_err("@every 5x", "@every: bad duration \"5x\" (want e.g. 30s, 5m, 1h30m, 250ms)");
    check_err("@every m", "@every: bad duration \"m\" (want e.g. 30s, 5m, 1h30m, 250ms)");
    /* err may be NULL */
    CHECK(cron_parse("bad", NULL) == NULL);
}

int main(void)
{
    RUN(test_basic);
    RUN(test_ranges_lists_names);
    RUN(test_macros);
    RUN(test_last_days);
    RUN(test_dom_dow);
    RUN(test_every);
    RUN(test_zones);
    RUN(test_threads);
    RUN(test_errors);
    return unit_done();
}
