/*
 * cron.c: cron schedules. See cron.h for the contract.
 *
 * A parsed expression is five bit sets (minute, hour, day-of-month, month,
 * day-of-week) plus two "star" flags, or an @every interval. Parsing is a
 * small hand-written scanner per field; errors name the field
 * ("field 2 (hour): 25 out of range 0-23").
 *
 * cron_next walks forward in real (UTC) time and looks at the wall clock in
 * the zone, skipping whole months, days and hours that cannot match, then
 * minutes. Walking real time gives the DST rules for free: a local time that
 * does not exist (spring forward) never shows up on the wall clock, so it is
 * skipped. A local time that happens twice (fall back) would match twice; for
 * schedules with a fixed hour the second one is dropped, so "30 1 * * *"
 * fires once. Schedules whose hour field is "*" keep firing by real time
 * through the repeated hour (Vixie cron does the same).
 *
 * Day-of-month and day-of-week follow Vixie cron: when either field starts
 * with "*" (or "?") the two must both match (so the restricted one decides);
 * when both are restricted, either one matching is enough.
 *
 * Zones come from the system tz database through the C library: the
 * conversion sets TZ, calls tzset() and uses localtime_r()/mktime() under a
 * process-wide mutex, then restores TZ. Other threads that call localtime()
 * during that window would see the schedule's zone; flowfleet logs in UTC
 * (gmtime), so that is acceptable. TZ is set once at load time (a
 * constructor) so that the swaps never reallocate environ under a reader.
 */
#include "cron.h"
#include "xalloc.h"
#include "duration.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct cron_expr {
    int64_t every_ms;        /* > 0 for @every */
    uint64_t minute;         /* bits 0..59 */
    uint32_t hour;           /* bits 0..23 */
    uint32_t dom;            /* bits 1..31 */
    uint32_t month;          /* bits 1..12 */
    uint32_t dow;            /* bits 0..6, Sunday = 0 */
    int dom_star, dow_star, hour_star;
};

struct field_def {
    const char *name;
    int lo, hi;
    const char *const *names;  /* names[i] is value lo + i */
};

static const char *const month_names[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const struct field_def fields[5] = {
    { "minute", 0, 59, NULL },
    { "hour", 0, 23, NULL },
    { "day-of-month", 1, 31, NULL },
    { "month", 1, 12, month_names },
    { "day-of-week", 0, 7, dow_names },  /* 7 is Sunday too */
};

/* Reads one value (number or name) at *p; advances *p. 0 or -1 with err. */
static int parse_value(const char **p, int idx, int *out, strbuf *err)
{
    const struct field_def *f = &fields[idx];
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > 1000000)
                v = 1000000;
            s++;
        }
        if (v < f->lo || v > f->hi) {
            strbuf_seterr(err, "field %d (%s): %ld out of range %d-%d", idx + 1, f->name, v, f->lo, f->hi);
            return -1;
        }
        *out = (int)v;
        *p = s;
        return 0;
    }
    if (isalpha((unsigned char)*s) && f->names) {
        const char *e = s;
        while (isalpha((unsigned char)*e))
            e++;
        if (e - s == 3) {
            for (int i = 0; f->names[i]; i++) {
                if (strncasecmp(s, f->names[i], 3) == 0) {
                    *out = f->lo + i;
                    *p = e;
                    return 0;
                }
            }
        }
        strbuf_seterr(err, "field %d (%s): unknown name \"%.*s\"", idx + 1, f->name, (int)(e - s), s);
        return -1;
    }
    const char *e = s;
    while (*e && *e != ',' && *e != '-' && *e != '/')
        e++;
    if (e == s)
        strbuf_seterr(err, "field %d (%s): missing value", idx + 1, f->name);
    else
        strbuf_seterr(err, "field %d (%s): bad value \"%.*s\"", idx + 1, f->name, (int)(e - s), s);
    return -1;
}

/* Parses one field of length len into bits. 0 or -1 with err. */
static int parse_field(const char *text, size_t len, int idx, uint64_t *bits, int *star, strbuf *err)
{
    const struct field_def *f = &fields[idx];
    char buf[256];
    if (len >= sizeof buf) {
        strbuf_seterr(err, "field %d (%s): too long", idx + 1, f->name);
        return -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    *bits = 0;
    *star = (buf[0] == '*' || buf[0] == '?');
    const char *p = buf;
    for (;;) {
        int lo, hi, step = 1;
        if (*p == '*' || *p == '?') {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            p++;
        } else {
            if (parse_value(&p, idx, &lo, err) < 0)
                return -1;
            hi = lo;
            if (*p == '-') {
                p++;
                if (parse_value(&p, idx, &hi, err) < 0)
                    return -1;
                if (hi < lo) {
                    strbuf_seterr(err, "field %d (%s): range %d-%d is backwards", idx + 1, f->name, lo, hi);
                    return -1;
                }
            } else if (*p == '/') {
                hi = f->hi == 7 ? 6 : f->hi;  /* "5/15" means 5-max/15 */
            }
        }
        if (*p == '/') {
            p++;
            if (!isdigit((unsigned char)*p)) {
                strbuf_seterr(err, "field %d (%s): bad step \"%s\"", idx + 1, f->name, p);
                return -1;
            }
            long st = 0;
            while (isdigit((unsigned char)*p)) {
                st = st * 10 + (*p - '0');
                if (st > 1000000)
                    st = 1000000;
                p++;
            }
            if (st < 1 || st > f->hi - f->lo + 1) {
                strbuf_seterr(err, "field %d (%s): step %ld out of range 1-%d", idx + 1, f->name, st,
                              f->hi - f->lo + 1);
                return -1;
            }
            step = (int)st;
        }
        for (int v = lo; v <= hi; v += step)
            *bits |= 1ULL << (f->hi == 7 && v == 7 ? 0 : v);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != '\0') {
            strbuf_seterr(err, "field %d (%s): unexpected \"%s\"", idx + 1, f->name, p);
            return -1;
        }
        return 0;
    }
}

/* "1h30m", "250ms", "30s" in ms (duration.h); -1 when bad. */
static int64_t parse_duration(const char *s)
{
    int64_t ms;
    return duration_parse_ms(s, &ms) == 0 ? ms : -1;
}

cron_expr *cron_parse(const char *text, strbuf *err)
{
    if (!text) {
        strbuf_seterr(err, "empty schedule");
        return NULL;
    }
    while (isspace((unsigned char)*text))
        text++;
    size_t tlen = strlen(text);
    while (tlen > 0 && isspace((unsigned char)text[tlen - 1]))
        tlen--;
    if (tlen == 0) {
        strbuf_seterr(err, "empty schedule");
        return NULL;
    }
    cron_expr *c = xcalloc(1, sizeof *c);

    if (text[0] == '@') {
        static const struct { const char *name, *expr; } macros[] = {
            { "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
            { "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
            { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
            { "@hourly", "0 * * * *" },
        };
        const char *e = text;
        while (e < text + tlen && !isspace((unsigned char)*e))
            e++;
        size_t wl = (size_t)(e - text);
        if (wl == 6 && strncasecmp(text, "@every", 6) == 0) {
            while (e < text + tlen && isspace((unsigned char)*e))
                e++;
            char buf[64];
            size_t dl = (size_t)(text + tlen - e);
            if (dl == 0 || dl >= sizeof buf) {
                strbuf_seterr(err, "@every: missing or bad duration");
                free(c);
                return NULL;
            }
            memcpy(buf, e, dl);
            buf[dl] = '\0';
            int64_t ms = parse_duration(buf);
            if (ms <= 0) {
                strbuf_seterr(err, "@every: bad duration \"%s\" (want e.g. 30s, 5m, 1h30m, 250ms)", buf);
                free(c);
                return NULL;
            }
            c->every_ms = ms;
            return c;
        }
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
            if (wl == strlen(macros[i].name) && strncasecmp(text, macros[i].name, wl) == 0 && e == text + tlen) {
                free(c);
                return cron_parse(macros[i].expr, err);
            }
        }
        strbuf_seterr(err, "unknown schedule \"%.*s\"", (int)tlen, text);
        free(c);
        return NULL;
    }

    const char *start[6];
    size_t len[6];
    int n = 0;
    const char *p = text, *end = text + tlen;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p >= end)
            break;
        const char *s = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        if (n < 6) {
            start[n] = s;
            len[n] = (size_t)(p - s);
        }
        n++;
    }
    if (n != 5) {
        strbuf_seterr(err, "expected 5 fields (minute hour day-of-month month day-of-week), got %d", n);
        free(c);
        return NULL;
    }
    uint64_t bits[5];
    int star[5];
    for (int i = 0; i < 5; i++) {
        if (parse_field(start[i], len[i], i, &bits[i], &star[i], err) < 0) {
            free(c);
            return NULL;
        }
    }
    c->minute = bits[0];
    c->hour = (uint32_t)bits[1];
    c->dom = (uint32_t)bits[2];
    c->month = (uint32_t)bits[3];
    c->dow = (uint32_t)bits[4];
    c->hour_star = star[1];
    c->dom_star = star[2];
    c->dow_star = star[4];
    return c;
}

void cron_free(cron_expr *c)
{
    free(c);
}

/* --- time zones ---------------------------------------------------------- */

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

/* Same wall-clock minute? */
static int same_wall(const struct tm *a, const struct tm *b)
{
    return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
           a->tm_hour == b->tm_hour && a->tm_min == b->tm_min;
}

/* Start of the local day after tm's (or month after when next_month). Must
 * be called with the zone set. Always > t. */
static time_t next_boundary(time_t t, const struct tm *tm, int next_month)
{
    struct tm n;
    memset(&n, 0, sizeof n);
    n.tm_year = tm->tm_year;
    n.tm_mon = tm->tm_mon + (next_month ? 1 : 0);
    n.tm_mday = next_month ? 1 : tm->tm_mday + 1;
    n.tm_isdst = -1;
    time_t r = mktime(&n);
    if (r == (time_t)-1 || r <= t)
        r = t + 60;
    return r;
}

/* The search proper; the zone is set. */
static int64_t next_in_zone(const cron_expr *c, int64_t after_ms)
{
    int64_t m = after_ms >= 0 ? after_ms / 60000 : -((-after_ms + 59999) / 60000);
    time_t t = (time_t)((m + 1) * 60);
    time_t limit = t + (time_t)5 * 366 * 86400;
    while (t <= limit) {
        struct tm tm;
        if (!localtime_r(&t, &tm))
            return -1;
        if (tm.tm_sec != 0) {  /* zones with odd-second offsets: align */
            t += 60 - tm.tm_sec;
            continue;
        }
        if (!(c->month & (1u << (tm.tm_mon + 1)))) {
            t = next_boundary(t, &tm, 1);
            continue;
        }
        int dom_ok = (c->dom >> tm.tm_mday) & 1, dow_ok = (c->dow >> tm.tm_wday) & 1;
        int day_ok = (c->dom_star || c->dow_star) ? (dom_ok && dow_ok) : (dom_ok || dow_ok);
        if (!day_ok) {
            t = next_boundary(t, &tm, 0);
            continue;
        }
        if (!((c->hour >> tm.tm_hour) & 1)) {
            t += (60 - tm.tm_min) * 60;
            continue;
        }
        if (!((c->minute >> tm.tm_min) & 1)) {
            t += 60;
            continue;
        }
        if (!c->hour_star) {
            /* A wall time repeated by a fall-back transition fires once:
             * skip it when the same wall minute happened shortly before. */
            static const int shifts[] = { 1800, 3600, 7200 };
            int repeat = 0;
            for (int i = 0; i < 3 && !repeat; i++) {
                time_t e = t - shifts[i];
                struct tm et;
                if (localtime_r(&e, &et) && et.tm_gmtoff != tm.tm_gmtoff && same_wall(&et, &tm))
                    repeat = 1;
            }
            if (repeat) {
                t += 60;
                continue;
            }
        }
        return (int64_t)t * 1000;
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
        int64_t k = after_ms >= 0 ? after_ms / c->every_ms : -((-after_ms + c->every_ms - 1) / c->every_ms);
        int64_t r = (k + 1) * c->every_ms;
        if (r <= after_ms)
            r += c->every_ms;
        return r;
    }
    const char *zone = tz && *tz ? tz : "UTC";
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", zone, 1);
    tzset();
    int64_t r = next_in_zone(c, after_ms);
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        /* The C library's default zone (TZ unset) is /etc/localtime; keeping
         * TZ set avoids growing and shrinking environ on every call. */
        setenv("TZ", ":/etc/localtime", 1);
    }
    tzset();
    pthread_mutex_unlock(&tz_lock);
    return r;
}
