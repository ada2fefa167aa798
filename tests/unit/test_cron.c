/* Unit tests: cron parsing in the three dialects (unix, Quartz, Spring), NiFi
 * periods, next due times, @every, time zones and the DST rule of cron.h. */
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
    /* ... and on the 10th fires at the first instant after the gap, 03:00 EDT, once */
    CHECK_STR(next_s("30 2 * * *", "2024-03-09 08:00", "America/New_York"), "2024-03-10 07:00:00");
    CHECK_STR(next_s("30 2 * * *", "2024-03-10 07:00", "America/New_York"), "2024-03-11 06:30:00");
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


/* next(expr in dialect, after, tz) as UTC text. */
static const char *next_d(const char *expr, const char *dialect, const char *after, const char *tz)
{
    strbuf err = STRBUF_INIT;
    cron_expr *c = cron_parse_dialect(expr, dialect, &err);
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

#define Q(expr, after) next_d(expr, NULL, after, NULL)

/* The examples of Quartz's CronTrigger tutorial, each with the due time a
 * user would expect (2024-01-10 is a Wednesday). */
static void test_quartz_examples(void)
{
    const char *a = "2024-01-10 00:00";
    CHECK_STR(next_d("0 0 12 * * ?", "quartz", a, NULL), "2024-01-10 12:00:00");
    CHECK_STR(next_d("0 15 10 ? * *", "quartz", a, NULL), "2024-01-10 10:15:00");
    CHECK_STR(next_d("0 15 10 * * ?", "QUARTZ", a, NULL), "2024-01-10 10:15:00");
    CHECK_STR(Q("0 15 10 * * ? *", a), "2024-01-10 10:15:00");
    CHECK_STR(Q("0 15 10 * * ? 2005", a), "none");
    CHECK_STR(Q("0 15 10 * * ? 2025", a), "2025-01-01 10:15:00");
    CHECK_STR(Q("0 * 14 * * ? *", "2024-01-10 14:05"), "2024-01-10 14:06:00");
    CHECK_STR(Q("0 * 14 * * ? *", "2024-01-10 14:59"), "2024-01-11 14:00:00");
    CHECK_STR(Q("0 0/5 14 * * ? *", "2024-01-10 14:52"), "2024-01-10 14:55:00");
    CHECK_STR(Q("0 0/5 14 * * ? *", "2024-01-10 14:55"), "2024-01-11 14:00:00");
    CHECK_STR(Q("0 0/5 14,18 * * ? *", "2024-01-10 14:55"), "2024-01-10 18:00:00");
    CHECK_STR(Q("0 0-5 14 * * ? *", "2024-01-10 14:05"), "2024-01-11 14:00:00");
    CHECK_STR(Q("0 10,44 14 ? 3 WED *", a), "2024-03-06 14:10:00");
    CHECK_STR(Q("0 10,44 14 ? 3 WED *", "2024-03-06 14:10"), "2024-03-06 14:44:00");
    CHECK_STR(Q("0 15 10 ? * MON-FRI *", "2024-01-12 11:00"), "2024-01-15 10:15:00");
    CHECK_STR(Q("0 15 10 15 * ? *", a), "2024-01-15 10:15:00");
    CHECK_STR(Q("0 15 10 L * ? *", a), "2024-01-31 10:15:00");
    CHECK_STR(Q("0 15 10 L * ? *", "2024-01-31 10:15"), "2024-02-29 10:15:00");
    CHECK_STR(Q("0 15 10 L-2 * ? *", a), "2024-01-29 10:15:00");
    CHECK_STR(Q("0 15 10 L-2 * ? *", "2024-01-29 10:15"), "2024-02-27 10:15:00");
    CHECK_STR(Q("0 15 10 ? * 6L *", a), "2024-01-26 10:15:00");
    CHECK_STR(Q("0 15 10 ? * 6L 2002-2005", a), "none");
    CHECK_STR(Q("0 15 10 ? * 6L 2002-2025", "2024-12-27 10:15"), "2025-01-31 10:15:00");
    CHECK_STR(Q("0 15 10 ? * 6#3 *", a), "2024-01-19 10:15:00");
    CHECK_STR(Q("0 15 10 ? * 2#1 *", a), "2024-02-05 10:15:00");
    CHECK_STR(Q("0 15 10 ? * 4#5 *", a), "2024-01-31 10:15:00");    /* Jan 2024 has five Wednesdays */
    CHECK_STR(Q("0 15 10 ? * 4#5 *", "2024-02-01 00:00"), "2024-05-29 10:15:00");  /* Feb-Apr have four */
    CHECK_STR(Q("0 0 12 1/5 * ? *", a), "2024-01-11 12:00:00");
    CHECK_STR(Q("0 0 12 1/5 * ? *", "2024-01-31 12:00"), "2024-02-01 12:00:00");
    CHECK_STR(Q("0 11 11 11 11 ? *", a), "2024-11-11 11:11:00");
    /* Integrator's own flow list */
    CHECK_STR(Q("0 0,30 * * * ? *", "2024-01-10 00:10"), "2024-01-10 00:30:00");
    CHECK_STR(Q("0 0,30 * * * ? *", "2024-01-10 00:30"), "2024-01-10 01:00:00");
}

static void test_quartz_days(void)
{
    /* W: nearest weekday, never leaving the month. 2024-06-15 is a Saturday,
     * 2024-09-15 a Sunday, 2024-06-01 a Saturday, 2024-03-31 a Sunday. */
    CHECK_STR(Q("0 0 0 15W * ? *", "2024-06-01 00:00"), "2024-06-14 00:00:00");
    CHECK_STR(Q("0 0 0 15W * ? *", "2024-09-01 00:00"), "2024-09-16 00:00:00");
    CHECK_STR(Q("0 0 0 15W * ? *", "2024-01-01 00:00"), "2024-01-15 00:00:00");
    CHECK_STR(Q("0 0 0 1W * ? *", "2024-05-31 00:00"), "2024-06-03 00:00:00");
    CHECK_STR(Q("0 0 0 31W * ? *", "2024-03-01 00:00"), "2024-03-29 00:00:00");
    CHECK_STR(Q("0 0 0 31W * ? *", "2024-04-01 00:00"), "2024-05-31 00:00:00");  /* no April 31st */
    CHECK_STR(Q("0 0 0 LW * ? *", "2024-01-01 00:00"), "2024-01-31 00:00:00");
    CHECK_STR(Q("0 0 0 LW * ? *", "2024-03-01 00:00"), "2024-03-29 00:00:00");
    CHECK_STR(Q("0 0 0 LW * ? *", "2024-08-01 00:00"), "2024-08-30 00:00:00");  /* Aug 31 is a Saturday */
    /* day-of-week counts from Sunday = 1; L alone is Saturday */
    CHECK_STR(Q("0 0 0 ? * 1 *", "2024-01-10 00:00"), "2024-01-14 00:00:00");
    CHECK_STR(Q("0 0 0 ? * 2 *", "2024-01-10 00:00"), "2024-01-15 00:00:00");
    CHECK_STR(Q("0 0 0 ? * 7 *", "2024-01-10 00:00"), "2024-01-13 00:00:00");
    CHECK_STR(Q("0 0 0 ? * L *", "2024-01-10 00:00"), "2024-01-13 00:00:00");
    CHECK_STR(Q("0 0 0 ? * SUN *", "2024-01-10 00:00"), "2024-01-14 00:00:00");
    CHECK_STR(Q("0 0 0 ? * FRIL *", "2024-01-10 00:00"), "2024-01-26 00:00:00");
    CHECK_STR(Q("0 0 0 ? * friL *", "2024-02-01 00:00"), "2024-02-23 00:00:00");
    CHECK_STR(Q("0 0 0 ? * FRI#2 *", "2024-01-10 00:00"), "2024-01-12 00:00:00");
    /* overflowing ranges */
    CHECK_STR(Q("0 0 22-2 * * ? *", "2024-01-10 02:30"), "2024-01-10 22:00:00");
    CHECK_STR(Q("0 0 22-2 * * ? *", "2024-01-10 23:00"), "2024-01-11 00:00:00");
    CHECK_STR(Q("0 0 0 ? * FRI-MON *", "2024-01-09 00:00"), "2024-01-12 00:00:00");
    CHECK_STR(Q("0 0 0 ? * FRI-MON *", "2024-01-14 00:00"), "2024-01-15 00:00:00");
    CHECK_STR(Q("0 0 0 1 NOV-FEB ? *", "2024-03-01 00:00"), "2024-11-01 00:00:00");
    /* six fields with a dialect: year optional */
    CHECK_STR(next_d("0 15 10 ? * 6#3", "quartz", "2024-01-10 00:00", NULL), "2024-01-19 10:15:00");
}

static void test_seconds(void)
{
    CHECK_STR(Q("*/10 * * * * ? *", "2024-01-10 00:00:05"), "2024-01-10 00:00:10");
    CHECK_STR(Q("*/10 * * * * ? *", "2024-01-10 00:00:50"), "2024-01-10 00:01:00");
    CHECK_STR(Q("30 * * * * ? *", "2024-01-10 00:00:30"), "2024-01-10 00:01:30");
    CHECK_STR(Q("5/20 * * * * ? *", "2024-01-10 00:00:26"), "2024-01-10 00:00:45");
    /* strictly after, to the millisecond */
    cron_expr *c = cron_parse("* * * * * ? *", NULL);
    CHECK(c != NULL);
    CHECK_INT(cron_next(c, utc("2024-01-10 00:00:00") + 1, NULL), utc("2024-01-10 00:00:01"));
    CHECK_INT(cron_next(c, utc("2024-01-10 00:00:00") - 1, NULL), utc("2024-01-10 00:00:00"));
    CHECK_STR(cron_kind(c), "quartz");
    cron_free(c);
    /* 5-field cron fires at second 0 */
    CHECK_STR(next_s("* * * * *", "2024-01-10 00:00:01", NULL), "2024-01-10 00:01:00");
}

static void test_spring(void)
{
    const char *a = "2024-01-10 00:00";  /* a Wednesday */
    /* day-of-week 0-7, Sunday 0 or 7, Monday 1 */
    CHECK_STR(next_d("0 0 0 * * 1", "spring", a, NULL), "2024-01-15 00:00:00");
    CHECK_STR(next_d("0 0 0 * * 0", "spring", a, NULL), "2024-01-14 00:00:00");
    CHECK_STR(next_d("0 0 0 * * 7", "spring", a, NULL), "2024-01-14 00:00:00");
    CHECK_STR(next_d("0 0 0 * * SUN", "spring", a, NULL), "2024-01-14 00:00:00");
    CHECK_STR(next_d("0 0 0 ? * MON-FRI", "spring", "2024-01-12 01:00", NULL), "2024-01-15 00:00:00");
    CHECK_STR(next_d("0 0 0 * * MON-SUN", "spring", "2024-01-12 01:00", NULL), "2024-01-13 00:00:00");
    /* "*" and steps run over MON..SUN (1-7): Monday, Wednesday, Friday, Sunday */
    CHECK_STR(next_d("0 0 0 * * */2", "spring", "2024-01-10 00:00:01", NULL), "2024-01-12 00:00:00");
    CHECK_STR(next_d("0 0 0 * * */2", "spring", "2024-01-12 00:00:01", NULL), "2024-01-14 00:00:00");
    CHECK_STR(next_d("0 0 0 * * */2", "spring", "2024-01-14 00:00:01", NULL), "2024-01-15 00:00:00");
    /* both day fields must match: the next Friday the 13th */
    CHECK_STR(next_d("0 0 0 13 * FRI", "spring", a, NULL), "2024-09-13 00:00:00");
    CHECK_STR(next_d("0 0 0 L * *", "spring", a, NULL), "2024-01-31 00:00:00");
    CHECK_STR(next_d("0 0 0 * * 5L", "spring", a, NULL), "2024-01-26 00:00:00");  /* 5 = Friday here */
    CHECK_STR(next_d("0 0 0 * * 5#3", "spring", a, NULL), "2024-01-19 00:00:00");
    /* the same six fields read as Quartz: 5 is Thursday */
    CHECK_STR(next_d("0 0 0 ? * 5L", "quartz", a, NULL), "2024-01-25 00:00:00");
    CHECK_STR(next_d("0 0 0 ? * 5#3", "quartz", a, NULL), "2024-01-18 00:00:00");
    /* unix with an explicit dialect */
    CHECK_STR(next_d("0 0 * * 1", "unix", a, NULL), "2024-01-15 00:00:00");
    CHECK_STR(next_d("@daily", "quartz", a, NULL), "2024-01-11 00:00:00");
}

static void test_periods(void)
{
    static const struct { const char *text; int64_t ms; } ok[] = {
        { "30 sec", 30000 }, { "5 mins", 300000 }, { "1 hour", 3600000 }, { "1 day", 86400000 },
        { "30s", 30000 }, { "10 SECS", 10000 }, { "1.5 hours", 5400000 }, { "0.5 sec", 500 },
        { ".25 min", 15000 }, { "250 millis", 250 }, { "2 weeks", 1209600000 }, { "1 wk", 604800000 },
        { "3 hrs", 10800000 }, { "2 d", 172800000 }, { "  45 seconds ", 45000 }, { "2000000 ns", 2 },
        { "1 minute", 60000 }, { "1\tsec", 1000 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        strbuf err = STRBUF_INIT;
        cron_expr *c = cron_parse(ok[i].text, &err);
        CHECK(c != NULL);
        if (!c) {
            fprintf(stderr, "  %s: %s\n", ok[i].text, err.buf);
        } else {
            CHECK_INT(cron_next(c, 0, NULL), ok[i].ms);
            CHECK_INT(cron_next(c, ok[i].ms, "Europe/Istanbul"), 2 * ok[i].ms);
            CHECK_STR(cron_kind(c), "every");
        }
        cron_free(c);
        strbuf_release(&err);
    }
    CHECK_STR(next_d("30 sec", "quartz", "2024-01-10 00:00:10", NULL), "2024-01-10 00:00:30");
}

static void check_err_d(const char *expr, const char *dialect, const char *want)
{
    strbuf err = STRBUF_INIT;
    cron_expr *c = cron_parse_dialect(expr, dialect, &err);
    CHECK(c == NULL);
    CHECK_STR(err.buf, want);
    cron_free(c);
    strbuf_release(&err);
}

static void test_dialect_errors(void)
{
    CHECK(cron_dialect_valid(NULL));
    CHECK(cron_dialect_valid(""));
    CHECK(cron_dialect_valid("unix"));
    CHECK(cron_dialect_valid("quartz"));
    CHECK(cron_dialect_valid("Spring"));
    CHECK(!cron_dialect_valid("vixie"));
    check_err_d("0 0 * * *", "cronish", "unknown dialect \"cronish\" (want unix, quartz or spring)");
    check_err_d("0 0 12 * * *", "quartz",
                "field 4 (day-of-month) and field 6 (day-of-week): exactly one of them must be '?' (Quartz), "
                "got \"*\" and \"*\"");
    check_err_d("0 0 12 ? * ? *", NULL,
                "field 4 (day-of-month) and field 6 (day-of-week): exactly one of them must be '?' (Quartz), "
                "got \"?\" and \"?\"");
    check_err_d("0 0 12 ? * 8 *", NULL, "field 6 (day-of-week): 8 out of range 1-7");
    check_err_d("0 0 12 ? * 0", "quartz", "field 6 (day-of-week): 0 out of range 1-7");
    check_err_d("0 0 12 * * 8", "spring", "field 6 (day-of-week): 8 out of range 0-7");
    check_err_d("0 0 12 ? * 6#6 *", NULL, "field 6 (day-of-week): #6 out of range 1-5");
    check_err_d("0 0 12 ? * 6#1,2 *", NULL, "field 6 (day-of-week): L and # must stand alone, not in a list, "
                                            "range or step");
    check_err_d("0 0 12 L-31 * ? *", NULL, "field 4 (day-of-month): offset 31 out of range 0-30");
    check_err_d("0 0 12 1,L * ? *", NULL, "field 4 (day-of-month): L and W must stand alone, not in a list or step");
    check_err_d("0 0 12 1-5W * ? *", NULL, "field 4 (day-of-month): bad value \"1-5W\" (want L, L-n, LW or nW)");
    check_err_d("0 0 12 32W * ? *", NULL, "field 4 (day-of-month): 32 out of range 1-31");
    check_err_d("0 0 12 ? * 1 1969", NULL, "field 7 (year): 1969 out of range 1970-2199");
    check_err_d("0 0 12 ? * 1 2030-2025", NULL, "field 7 (year): range 2030-2025 is backwards");
    check_err_d("60 0 12 * * ? *", NULL, "field 1 (second): 60 out of range 0-59");
    check_err_d("0 60 12 * * ? *", NULL, "field 2 (minute): 60 out of range 0-59");
    check_err_d("0 0 24 * * ? *", NULL, "field 3 (hour): 24 out of range 0-23");
    check_err_d("0 0 12 ? 13 * *", NULL, "field 5 (month): 13 out of range 1-12");
    check_err_d("? 0 12 * * ? *", NULL, "field 1 (second): '?' is only allowed in day-of-month and day-of-week");
    check_err_d("0 0 12 ?/2 * * *", NULL, "field 4 (day-of-month): '?' must stand alone");
    check_err_d("0 0 12 * * L", "spring", "field 6 (day-of-week): L needs a day before it (5L: the last Friday)");
    check_err_d("0 0 12 * * SUN-SAT", "spring", "field 6 (day-of-week): range 7-6 is backwards");
    check_err_d("0 0 22-2 * * *", "spring", "field 3 (hour): range 22-2 is backwards");
    check_err_d("0 0 12 ? * FRXL *", NULL, "field 6 (day-of-week): unknown name \"FRX\"");
    check_err_d("0 0 12 ? * 5XL *", NULL, "field 6 (day-of-week): unexpected \"X\"");
    check_err_d("0 0 L * *", NULL, "field 3 (day-of-month): bad value \"L\"");
    check_err_d("0 0 * * 5#3", NULL, "field 5 (day-of-week): unexpected \"#3\"");
    check_err_d("0 0 12 * * * *", "spring",
                "spring: expected 6 fields (second minute hour day-of-month month day-of-week), got 7");
    check_err_d("0 12 * * *", "quartz",
                "quartz: expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), got 5");
    check_err_d("0 0 12 * * ? *", "unix", "expected 5 fields (minute hour day-of-month month day-of-week), got 7");
    check_err_d("0 0 12 * * ?", NULL, "6 fields could be Quartz (day-of-week 1-7, Sunday 1) or Spring "
                                      "(day-of-week 0-7, Sunday 0 or 7): set schedule.dialect to quartz or spring");
    /* periods */
    check_err_d("0 sec", NULL, "period \"0 sec\": must be more than 0 (NiFi's \"0 sec\", as often as possible, "
                               "is not a schedule here)");
    check_err_d("30 fortnights", NULL, "period \"30 fortnights\": unknown unit \"fortnights\" (want ms, sec, min, "
                                       "hour, day or week)");
    check_err_d("0.0001 sec", NULL, "period \"0.0001 sec\": not a whole number of milliseconds");
    check_err_d("1500000 ns", NULL, "period \"1500000 ns\": not a whole number of milliseconds");
    check_err_d("99999999999 weeks", NULL, "period \"99999999999 weeks\": too long");
    check_err_d("30", NULL, "expected 5 fields (minute hour day-of-month month day-of-week), got 1");
}

/* DST, the documented rule, on the zones of the issue. New York 2024:
 * spring forward 03-10 07:00Z (02:00 EST -> 03:00 EDT), fall back 11-03
 * 06:00Z (02:00 EDT -> 01:00 EST). Berlin 2024: 03-31 01:00Z (02:00 CET ->
 * 03:00 CEST), 10-27 01:00Z (03:00 CEST -> 02:00 CET). */
static void test_dst_rule(void)
{
    const char *ny = "America/New_York", *be = "Europe/Berlin", *ist = "Europe/Istanbul";
    /* a time in the gap fires once, at the first instant after it */
    CHECK_STR(next_s("0,30 2 * * *", "2024-03-10 06:00", ny), "2024-03-10 07:00:00");
    CHECK_STR(next_s("0,30 2 * * *", "2024-03-10 07:00", ny), "2024-03-11 06:00:00");
    CHECK_STR(next_s("0 2,3 * * *", "2024-03-10 06:00", ny), "2024-03-10 07:00:00");
    CHECK_STR(next_s("0 2,3 * * *", "2024-03-10 07:00", ny), "2024-03-11 06:00:00");
    CHECK_STR(next_s("* 2 * * *", "2024-03-10 06:59:59", ny), "2024-03-10 07:00:00");
    CHECK_STR(next_s("* 2 * * *", "2024-03-10 07:00", ny), "2024-03-11 06:00:00");
    CHECK_STR(Q("0 30 2 * * ? *", "2024-03-09 12:00") , "2024-03-10 02:30:00");  /* UTC: no gap */
    CHECK_STR(next_d("0 30 2 * * ?", "quartz", "2024-03-09 12:00", ny), "2024-03-10 07:00:00");
    CHECK_STR(next_d("0 30 2 * * ?", "quartz", "2024-03-30 12:00", be), "2024-03-31 01:00:00");
    CHECK_STR(next_d("0 30 2 * * ?", "quartz", "2024-03-31 01:00", be), "2024-04-01 00:30:00");
    /* a time that happens twice fires at its first occurrence only */
    CHECK_STR(next_s("30 1 * * *", "2024-11-03 05:30", ny), "2024-11-04 06:30:00");
    CHECK_STR(next_s("*/15 1 * * *", "2024-11-03 05:45", ny), "2024-11-04 06:00:00");
    CHECK_STR(next_s("*/15 1 * * *", "2024-11-03 06:10", ny), "2024-11-04 06:00:00");
    CHECK_STR(next_d("0 30 2 * * ?", "quartz", "2024-10-26 12:00", be), "2024-10-27 00:30:00");
    CHECK_STR(next_d("0 30 2 * * ?", "quartz", "2024-10-27 00:30", be), "2024-10-28 01:30:00");
    /* Istanbul has kept UTC+3 since 2016: nothing moves on Europe's dates */
    CHECK_STR(next_s("30 2 * * *", "2024-03-30 12:00", ist), "2024-03-30 23:30:00");
    CHECK_STR(next_s("30 2 * * *", "2024-10-26 12:00", ist), "2024-10-26 23:30:00");
    CHECK_STR(next_s("30 2 * * *", "2024-10-26 23:30", ist), "2024-10-27 23:30:00");

    /* every N minutes or seconds: N real minutes apart right through both changes */
    static const struct { const char *expr, *from, *tz; int step, count; } runs[] = {
        { "*/15 * * * *", "2024-03-10 05:00", "America/New_York", 900, 16 },
        { "*/15 * * * *", "2024-11-03 04:00", "America/New_York", 900, 24 },
        { "0 */10 * * * ?", "2024-03-31 00:00", "Europe/Berlin", 600, 24 },
        { "0 */10 * * * ?", "2024-10-27 00:00", "Europe/Berlin", 600, 24 },
        { "*/30 * * * * ?", "2024-10-27 00:58", "Europe/Berlin", 30, 20 },
        { "0 * * * *", "2024-11-03 03:00", "America/New_York", 3600, 6 },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        strbuf err = STRBUF_INIT;
        cron_expr *c = cron_parse_dialect(runs[i].expr, strchr(runs[i].expr, '?') ? "quartz" : NULL, &err);
        CHECK(c != NULL);
        int64_t t = utc(runs[i].from), bad = 0;
        for (int k = 0; c && k < runs[i].count; k++) {
            int64_t n = cron_next(c, t, runs[i].tz);
            if (n - t != runs[i].step * 1000LL)
                bad++;
            t = n;
        }
        CHECK_INT(bad, 0);
        cron_free(c);
        strbuf_release(&err);
    }
}

static void test_local_time(void)
{
    strbuf out = STRBUF_INIT;
    CHECK_INT(cron_local_time(utc("2024-03-10 07:00"), "America/New_York", &out), 0);
    CHECK_STR(out.buf, "2024-03-10 03:00:00 -04:00");
    strbuf_reset(&out);
    CHECK_INT(cron_local_time(utc("2024-06-01 06:00"), "Europe/Istanbul", &out), 0);
    CHECK_STR(out.buf, "2024-06-01 09:00:00 +03:00");
    strbuf_reset(&out);
    CHECK_INT(cron_local_time(utc("2024-06-01 06:00:05"), NULL, &out), 0);
    CHECK_STR(out.buf, "2024-06-01 06:00:05 +00:00");
    CHECK_INT(cron_local_time(0, "Mars/Base", &out), -1);
    strbuf_release(&out);
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
    check_err("* * * * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 8");
    check_err("* * * * * *", "6 fields could be Quartz (day-of-week 1-7, Sunday 1) or Spring (day-of-week 0-7, "
                             "Sunday 0 or 7): set schedule.dialect to quartz or spring");
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
    RUN(test_quartz_examples);
    RUN(test_quartz_days);
    RUN(test_seconds);
    RUN(test_spring);
    RUN(test_periods);
    RUN(test_dialect_errors);
    RUN(test_dst_rule);
    RUN(test_local_time);
    return unit_done();
}
