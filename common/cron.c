/*
 * cron.c: next due times. See cron.h for the contract (and the DST rule);
 * cron_parse.c turns text into the cron_expr this file reads.
 *
 * The search has two layers.
 *
 * The calendar layer (civil_next) knows nothing about zones: given a wall
 * clock reading, as seconds since 1970-01-01 00:00:00 on a clock with no
 * zone ("civil seconds"), it finds the first reading at or after it that
 * the expression matches, walking years, months, days, hours, minutes and
 * seconds and skipping whole units that cannot match. The day fields are
 * evaluated once per month into a bit set of days (month_days), which
 * is where L, W, # and the dialects' day rules live.
 *
 * The zone layer maps between instants and wall clock readings with the C
 * library (localtime_r's tm_gmtoff, under a mutex with TZ set to the zone)
 * and applies the DST rule:
 *
 *   - expressions whose hour field is every hour run on real time
 *     (next_real_time): from the current instant, assume the UTC offset
 *     stays as it is, find the next matching wall time, and if the offset
 *     changes before that instant, restart from the change. Wall times that
 *     do not exist are never seen; wall times that happen twice are seen
 *     twice. So "every 15 minutes" stays every 15 real minutes.
 *   - all others run on the wall clock (next_wall_time): find the next
 *     matching wall reading after the last one, then ask which instants
 *     show it: one (usual), two (fall back: take the first; if that is
 *     already past, the reading does not fire again), or none (spring
 *     forward: fire at the first instant after the gap).
 *
 * An offset change is found by probing the offset a week apart and then
 * bisecting to the second; the wall-clock layer looks one day either side
 * of a reading. Both assume a zone does not change its offset twice within
 * those spans, which holds for the tz database since 1970.
 *
 * Zones come from the system tz database through the C library: the
 * conversion sets TZ, calls tzset() and uses localtime_r() under a
 * process-wide mutex, then restores TZ. Other threads that call localtime()
 * during that window would see the schedule's zone; flowfleet logs in UTC
 * (gmtime), so that is acceptable. TZ is set once at load time (a
 * constructor) so that the swaps never reallocate environ under a reader.
 */
#include "cron_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- calendar arithmetic ------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
    /* Count from 1 March so that the leap day ends the year. */
    int64_t yy = m <= 2 ? (int64_t)y - 1 : y;
    int64_t era = floor_div(yy, 400);
    int64_t yoe = yy - era * 400;                              /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;       /* 0..146096 */
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2 ? 1 : 0));
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/* Weekday (Sunday = 0) of a day count; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    return (int)(((days % 7) + 7 + 4) % 7);
}

/* Day-of-month field's days in a month of dim days starting on weekday wd1. */
static uint32_t dom_days(const cron_expr *c, int dim, int wd1)
{
    uint32_t all = (uint32_t)(((1ULL << (dim + 1)) - 1) & ~1ULL);
    int d;
    switch (c->dom_kind) {
    case CRON_DOM_LAST:
        d = dim - c->dom_arg;
        return d >= 1 ? 1u << d : 0;
    case CRON_DOM_LAST_WEEKDAY:
        d = dim;
        while ((wd1 + d - 1) % 7 == 0 || (wd1 + d - 1) % 7 == 6)
            d--;
        return 1u << d;
    case CRON_DOM_NEAREST_WEEKDAY: {
        d = c->dom_arg;
        if (d > dim)
            return 0;
        int wd = (wd1 + d - 1) % 7;
        if (wd == 6)                          /* Saturday: Friday, or Monday if that leaves the month */
            d = d > 1 ? d - 1 : d + 2;
        else if (wd == 0)                     /* Sunday: Monday, or Friday if that leaves the month */
            d = d < dim ? d + 1 : d - 2;
        return 1u << d;
    }
    default:
        return c->dom & all;
    }
}

/* Day-of-week field's days in a month of dim days starting on weekday wd1. */
static uint32_t dow_days(const cron_expr *c, int dim, int wd1)
{
    uint32_t r = 0;
    for (int d = 1; d <= dim; d++) {
        int wd = (wd1 + d - 1) % 7;
        int ok;
        if (c->dow_kind == CRON_DOW_LAST)
            ok = wd == c->dow_arg && d + 7 > dim;
        else if (c->dow_kind == CRON_DOW_NTH)
            ok = wd == c->dow_arg && (d - 1) / 7 + 1 == c->dow_nth;
        else
            ok = (c->dow >> wd) & 1;
        if (ok)
            r |= 1u << d;
    }
    return r;
}

/* The days of month m of year y that the day fields select: bit d for day d. */
static uint32_t month_days(const cron_expr *c, int y, int m)
{
    int dim = days_in_month(y, m);
    int wd1 = weekday(days_from_civil(y, m, 1));
    switch (c->day_rule) {
    case CRON_DAYS_DOM: return dom_days(c, dim, wd1);
    case CRON_DAYS_DOW: return dow_days(c, dim, wd1);
    case CRON_DAYS_OR: return dom_days(c, dim, wd1) | dow_days(c, dim, wd1);
    default: return dom_days(c, dim, wd1) & dow_days(c, dim, wd1);
    }
}

static int year_ok(const cron_expr *c, int y)
{
    if (c->year_any)
        return 1;
    if (y < CRON_YEAR_MIN || y > CRON_YEAR_MAX)
        return 0;
    int i = y - CRON_YEAR_MIN;
    return (c->year[i >> 6] >> (i & 63)) & 1;
}

/* First civil second >= w that matches, looking no further than the end of
 * year last_year; INT64_MIN when none. */
static int64_t civil_next(const cron_expr *c, int64_t w, int last_year)
{
    int64_t days = floor_div(w, 86400);
    int sod = (int)(w - days * 86400);
    int y, mo, d;
    civil_from_days(days, &y, &mo, &d);
    int h = sod / 3600, mi = sod / 60 % 60, s = sod % 60;
    for (; y <= last_year; y++, mo = 1, d = 1, h = mi = s = 0) {
        if (!year_ok(c, y))
            continue;
        for (; mo <= 12; mo++, d = 1, h = mi = s = 0) {
            if (!((c->month >> mo) & 1))
                continue;
            uint32_t mdays = month_days(c, y, mo);
            int dim = days_in_month(y, mo);
            for (; d <= dim; d++, h = mi = s = 0) {
                if (!((mdays >> d) & 1))
                    continue;
                for (; h < 24; h++, mi = s = 0) {
                    if (!((c->hour >> h) & 1))
                        continue;
                    for (; mi < 60; mi++, s = 0) {
                        if (!((c->minute >> mi) & 1))
                            continue;
                        for (; s < 60; s++)
                            if ((c->second >> s) & 1)
                                return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
                    }
                }
            }
        }
    }
    return INT64_MIN;
}

/* --- time zones ------------------------------------------------------------ */

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Makes sure TZ exists before any thread starts, so that later setenv()
 * calls only swap its value and never grow environ while another thread
 * may be reading it. ":/etc/localtime" is what the C library uses anyway
 * when TZ is unset. */
__attribute__((constructor)) static void cron_tz_env_init(void)
{
    if (!getenv("TZ"))
        setenv("TZ", ":/etc/localtime", 0);
}

int cron_tz_valid(const char *tz)
{
    if (!tz || !*tz)
        return 1;
    if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) > 200)
        return 0;
    for (const char *p = tz; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '/' || *p == '_' || *p == '-' || *p == '+'))
            return 0;
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char magic[4];
    int ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

/* Sets TZ to the zone (NULL or "" = UTC) under the lock; returns what to
 * hand to zone_end. */
static char *zone_begin(const char *tz)
{
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", tz && *tz ? tz : "UTC", 1);
    tzset();
    return saved;
}

static void zone_end(char *saved)
{
    /* The C library's default zone (TZ unset) is /etc/localtime; keeping
     * TZ set avoids growing and shrinking environ on every call. */
    setenv("TZ", saved ? saved : ":/etc/localtime", 1);
    free(saved);
    tzset();
    pthread_mutex_unlock(&tz_lock);
}

/* UTC offset in seconds at instant t, in the zone set. */
static long zone_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return 0;
    return tm.tm_gmtoff;
}

/* The first instant in (lo, hi] whose offset differs from lo's; the caller
 * knows hi's does. */
static int64_t first_change(int64_t lo, int64_t hi)
{
    long o = zone_offset(lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (zone_offset(mid) == o)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* The first offset change in (t, end], or -1 when none. */
static int64_t next_change(int64_t t, int64_t end)
{
    long o = zone_offset(t);
    for (int64_t lo = t; lo < end;) {
        int64_t hi = end - lo > 7 * 86400 ? lo + 7 * 86400 : end;
        if (zone_offset(hi) != o)
            return first_change(lo, hi);
        lo = hi;
    }
    return -1;
}

/* The instants whose wall clock reads w, earliest first: 1 usually, 2 in a
 * fall-back repeat, 0 in a spring-forward gap (then *gap_end is the first
 * instant after the gap, or -1 if the zone is too odd to say). */
static int wall_instants(int64_t w, int64_t out[2], int64_t *gap_end)
{
    long before = zone_offset(w - 86400), after = zone_offset(w + 86400);
    int n = 0;
    if (zone_offset(w - before) == before)
        out[n++] = w - before;
    if (after != before && zone_offset(w - after) == after)
        out[n++] = w - after;
    if (n == 2 && out[1] < out[0]) {
        int64_t t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
    *gap_end = -1;
    if (n == 0 && after > before)
        *gap_end = first_change(w - after, w - before);
    return n;
}

/* Real-time search (hour field is every hour): first instant > a whose wall
 * clock matches. */
static int64_t next_real_time(const cron_expr *c, int64_t a, int last_year)
{
    int64_t t = a + 1;
    for (int guard = 0; guard < 100000; guard++) {
        long o = zone_offset(t);
        int64_t w = civil_next(c, t + o, last_year);
        if (w == INT64_MIN)
            return -1;
        int64_t cand = w - o;
        int64_t change = next_change(t, cand);
        if (change < 0)
            return cand;
        t = change;   /* the offset changed first: look again from there */
    }
    return -1;
}

/* Wall-clock search (all other expressions): see the file comment. */
static int64_t next_wall_time(const cron_expr *c, int64_t a, int last_year)
{
    int64_t w = a + zone_offset(a) + 1;
    for (int guard = 0; guard < 100000; guard++) {
        w = civil_next(c, w, last_year);
        if (w == INT64_MIN)
            return -1;
        int64_t ts[2], gap_end;
        int n = wall_instants(w, ts, &gap_end);
        if (n == 0 && gap_end > a)
            return gap_end;        /* spring forward: first instant after the gap */
        if (n > 0 && ts[0] > a)
            return ts[0];          /* fall back: the first occurrence */
        w++;                       /* passed (a repeat's second showing): not again */
    }
    return -1;
}

int64_t cron_next(const cron_expr *c, int64_t after_ms, const char *tz)
{
    if (!c)
        return -1;
    if (!cron_tz_valid(tz))
        return -1;
    if (c->every_ms > 0) {
        int64_t k = floor_div(after_ms, c->every_ms);
        return (k + 1) * c->every_ms;
    }
    int64_t a = floor_div(after_ms, 1000);
    int y, m, d;
    civil_from_days(floor_div(a, 86400), &y, &m, &d);
    int last_year = c->year_any ? y + 5 : CRON_YEAR_MAX;
    char *saved = zone_begin(tz);
    int64_t r = c->hour == CRON_ALL_HOURS ? next_real_time(c, a, last_year) : next_wall_time(c, a, last_year);
    zone_end(saved);
    return r < 0 ? -1 : r * 1000;
}

int cron_local_time(int64_t ms, const char *tz, strbuf *out)
{
    if (!cron_tz_valid(tz))
        return -1;
    time_t t = (time_t)floor_div(ms, 1000);
    struct tm tm;
    char *saved = zone_begin(tz);
    int ok = localtime_r(&t, &tm) != NULL;
    zone_end(saved);
    if (!ok)
        return -1;
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    strbuf_addf(out, "%04d-%02d-%02d %02d:%02d:%02d %c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600, off / 60 % 60);
    return 0;
}
