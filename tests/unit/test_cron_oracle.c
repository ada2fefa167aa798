/*
 * Property test: cron_next against an independent brute-force oracle.
 *
 * Random expressions are generated from a model (which seconds, minutes,
 * hours, days, months, years are in), in all three dialects, with the
 * Quartz/Spring day forms (L, L-n, LW, nW, dL, d#n). The generator writes
 * the text and keeps the model; the oracle never parses text and never
 * calls the cron module. It walks real time forward from a random instant
 * and asks the C library (localtime_r, mktime, timegm in the zone set by
 * TZ) what the wall clock says, applying the DST rule of cron.h literally:
 *
 *   - hour field every hour: the first instant whose wall clock matches;
 *   - otherwise: the first instant whose wall clock matches and whose
 *     reading never showed before (mktime with isdst 0 and 1 gives the
 *     readings' instants), or the first instant after a forward jump of
 *     the clock that skipped a matching reading.
 *
 * To stay fast the walk goes a minute at a time (checking each second of
 * the minute arithmetically) and jumps whole wall hours and days that
 * cannot match, but never across a UTC-offset change: the changes are found
 * up front by an hourly scan and bisection, and at each one the clock is
 * read second by second around it (the skipped or repeated readings). Each
 * case looks at most WINDOW_DAYS ahead: when the oracle finds nothing there,
 * cron_next must answer later or not at all.
 *
 * Starting instants are half random over 2012-2030 and half within a day
 * and a half of a DST change, in Europe/Istanbul (DST until 2016, then
 * none), Europe/Berlin and America/New_York. The seed is fixed (CRON_SEED
 * in the environment overrides it) so a failure can be replayed.
 */
#include "cron.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define WINDOW_DAYS 9
#define CASES_PER_ZONE 400
#define FIRES_PER_CASE 3

/* --- the zone, isolated ------------------------------------------------------ */

/* The oracle reads the zone through TZ. cron_next saves and restores TZ
 * itself, so the value set here survives its calls. */
static void zone_set(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void zone_reset(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

/* Wall clock at t as civil seconds (the reading as if it were UTC). */
static int64_t wall_of(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;
    localtime_r(&tt, tm);
    struct tm copy = *tm;
    return (int64_t)timegm(&copy);
}

/* UTC offset changes in [from, to), exact to the second, ascending. */
static int find_changes(int64_t from, int64_t to, int64_t *out, int max)
{
    int n = 0;
    struct tm tm;
    int64_t prev = from, prev_off = wall_of(from, &tm) - from;
    for (int64_t t = from + 3600; t < to && n < max; t += 3600) {
        int64_t off = wall_of(t, &tm) - t;
        if (off != prev_off) {
            int64_t lo = prev, hi = t;  /* lo has prev_off, hi has off */
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (wall_of(mid, &tm) - mid == prev_off)
                    lo = mid;
                else
                    hi = mid;
            }
            out[n++] = hi;
            prev_off = off;
        }
        prev = t;
    }
    return n;
}

/* --- the model ---------------------------------------------------------------- */

enum { D_UNIX, D_QUARTZ, D_SPRING };
enum { DOM_SET, DOM_LAST, DOM_LW, DOM_NEAR };
enum { DOW_SET, DOW_LAST, DOW_NTH };

typedef struct {
    int dialect;
    char sec[60], min[60], hour[24], mon[13], dom[32], dow[7];
    int dom_kind, dom_arg, dow_kind, dow_arg, dow_nth;
    int dom_star, dow_star;     /* unix: field starts with '*' */
    int dom_q, dow_q;           /* quartz: field is '?' */
    int year_lo, year_hi;       /* 0: any year */
    char text[640];
} model;

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

static const char *const mon_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                         "NOV", "DEC" };
static const char *const wd_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT" };

/* How a field is written: its numbers lo..hi, what '*' and "a/n" cover
 * (star_lo..star_hi), and where a written number lands in the model. */
typedef struct {
    int lo, hi, star_lo, star_hi, wrap;
    int kind;                   /* 0 plain, 1 month, 2 day-of-week */
    int dialect;
} fieldspec;

/* Model index of a written value. */
static int landing(const fieldspec *f, int v)
{
    if (f->kind == 2)
        return f->dialect == D_QUARTZ ? v - 1 : v % 7;
    return v;
}

static void put_value(char *out, const fieldspec *f, int v)
{
    char *e = out + strlen(out);
    if (f->kind == 1 && rnd(3) == 0)
        sprintf(e, "%s", mon_names[v - 1]);
    else if (f->kind == 2 && rnd(3) == 0 && !(f->dialect == D_SPRING && v == 0) && !(f->dialect == D_UNIX && v == 7))
        sprintf(e, "%s", wd_names[landing(f, v)]);
    else
        sprintf(e, "%d", v);
}

/* A random list for field f: text appended to out, members set in set[]. */
static void gen_list(char *out, const fieldspec *f, char *set, int star_weight)
{
    int items = 1 + (rnd(4) == 0 ? rnd(3) : 0);
    int size = f->hi - f->lo + 1;
    for (int i = 0; i < items; i++) {
        if (i)
            strcat(out, ",");
        int form = i == 0 && (int)rnd(100) < star_weight ? 0 : 1 + (int)rnd(5);
        if (form == 0) {                                 /* '*' or '*' with step */
            int step = rnd(3) == 0 ? 1 + (int)rnd(size / 2 + 1) : 1;
            strcat(out, "*");
            if (step > 1)
                sprintf(out + strlen(out), "/%d", step);
            for (int v = f->star_lo; v <= f->star_hi; v += step)
                set[landing(f, v)] = 1;
        } else if (form <= 2) {                          /* one value */
            int v = f->lo + (int)rnd(size);
            put_value(out, f, v);
            set[landing(f, v)] = 1;
        } else if (form == 3) {                          /* a/n: a to the end, every n */
            int v = f->star_lo + (int)rnd(f->star_hi - f->star_lo + 1);
            int step = 1 + (int)rnd(size / 2 + 1);
            sprintf(out + strlen(out), "%d/%d", v, step);
            for (int w = v; w <= f->star_hi; w += step)
                set[landing(f, w)] = 1;
        } else {                                         /* range, maybe stepped, maybe wrapping */
            int a = f->lo + (int)rnd(size), b = f->lo + (int)rnd(size);
            if (b < a && !(f->wrap && rnd(2) == 0)) {
                int t = a;
                a = b;
                b = t;
            }
            int step = rnd(3) == 0 ? 1 + (int)rnd(size / 2 + 1) : 1;
            put_value(out, f, a);
            strcat(out, "-");
            put_value(out, f, b);
            if (step > 1)
                sprintf(out + strlen(out), "/%d", step);
            int count = b >= a ? b - a + 1 : b + size - a + 1;
            for (int k = 0; k < count; k += step)
                set[landing(f, f->lo + (a - f->lo + k) % size)] = 1;
        }
    }
}

/* focus_hour >= 0: the case starts near a DST change whose clock reads
 * focus_hour just before it; aim the hours and days at the change. */
static void gen_model(model *m, int focus_hour)
{
    memset(m, 0, sizeof *m);
    m->dialect = (int)rnd(3);
    int q = m->dialect == D_QUARTZ, sp = m->dialect == D_SPRING;
    char f[7][80];
    memset(f, 0, sizeof f);
    fieldspec fs_sec = { 0, 59, 0, 59, q, 0, m->dialect };
    fieldspec fs_hour = { 0, 23, 0, 23, q, 0, m->dialect };
    fieldspec fs_dom = { 1, 31, 1, 31, q, 0, m->dialect };
    fieldspec fs_mon = { 1, 12, 1, 12, q, 1, m->dialect };
    fieldspec fs_dow = q ? (fieldspec){ 1, 7, 1, 7, 1, 2, m->dialect }
                         : sp ? (fieldspec){ 0, 7, 1, 7, 0, 2, m->dialect }
                              : (fieldspec){ 0, 7, 0, 6, 0, 2, m->dialect };
    if (m->dialect == D_UNIX)
        m->sec[0] = 1;
    else
        gen_list(f[0], &fs_sec, m->sec, 40);
    gen_list(f[1], &fs_sec, m->min, 35);
    if (focus_hour >= 0 && rnd(3) != 0) {
        /* one to three hours around the change, as a list */
        int n = 1 + (int)rnd(3);
        for (int i = 0; i < n; i++) {
            int h = (focus_hour - 1 + (int)rnd(4) + 24) % 24;
            sprintf(f[2] + strlen(f[2]), "%s%d", i ? "," : "", h);
            m->hour[h] = 1;
        }
    } else {
        gen_list(f[2], &fs_hour, m->hour, focus_hour >= 0 ? 80 : 45);
    }
    if (focus_hour >= 0) {
        strcpy(f[4], "*");
        for (int i = 1; i <= 12; i++)
            m->mon[i] = 1;
    } else {
        gen_list(f[4], &fs_mon, m->mon, 80);
    }

    /* days: Quartz picks one field and '?'s the other */
    int use_dom = !q || rnd(2), use_dow = !q || !use_dom;
    if (focus_hour >= 0 && rnd(4) != 0) {
        /* every day, or the last Sunday (Europe's change days) */
        int last_sunday = m->dialect != D_UNIX && rnd(3) == 0;
        strcpy(f[3], q && last_sunday ? "?" : "*");
        strcpy(f[5], q && !last_sunday ? "?" : "*");
        if (last_sunday)
            strcpy(f[5], q ? "1L" : rnd(2) ? "0L" : "7L");
        for (int d = 1; d <= 31; d++)
            m->dom[d] = 1;
        for (int d = 0; d < 7; d++)
            m->dow[d] = 1;
        m->dom_star = m->dow_star = 1;
        m->dom_q = q && last_sunday;
        m->dow_q = q && !last_sunday;
        if (last_sunday) {
            m->dow_kind = DOW_LAST;
            m->dow_arg = 0;
        }
        use_dom = use_dow = 0;
    }
    if (!use_dom && !use_dow) {
        /* done above */
    } else if (use_dom) {
        int r = (int)rnd(10);
        if (m->dialect != D_UNIX && r == 0) {
            m->dom_kind = DOM_LAST;
            m->dom_arg = rnd(2) ? 0 : (int)rnd(5);
            if (m->dom_arg)
                sprintf(f[3], "L-%d", m->dom_arg);
            else
                strcpy(f[3], "L");
        } else if (m->dialect != D_UNIX && r == 1) {
            m->dom_kind = DOM_LW;
            strcpy(f[3], "LW");
        } else if (m->dialect != D_UNIX && r == 2) {
            m->dom_kind = DOM_NEAR;
            m->dom_arg = 1 + (int)rnd(31);
            sprintf(f[3], "%dW", m->dom_arg);
        } else {
            gen_list(f[3], &fs_dom, m->dom, 70);
            m->dom_star = f[3][0] == '*';
        }
    } else {
        strcpy(f[3], "?");
        m->dom_q = 1;
    }
    if (!use_dom && !use_dow) {
        /* done above */
    } else if (use_dow) {
        int r = (int)rnd(10);
        if (m->dialect != D_UNIX && r == 0) {
            int v = fs_dow.lo + (int)rnd(fs_dow.hi - fs_dow.lo + 1);
            m->dow_kind = DOW_LAST;
            m->dow_arg = landing(&fs_dow, v);
            sprintf(f[5], "%dL", v);
        } else if (m->dialect != D_UNIX && r == 1) {
            int v = fs_dow.lo + (int)rnd(fs_dow.hi - fs_dow.lo + 1);
            m->dow_kind = DOW_NTH;
            m->dow_arg = landing(&fs_dow, v);
            m->dow_nth = 1 + (int)rnd(5);
            sprintf(f[5], "%d#%d", v, m->dow_nth);
        } else {
            gen_list(f[5], &fs_dow, m->dow, 70);
            m->dow_star = f[5][0] == '*';
        }
    } else {
        strcpy(f[5], "?");
        m->dow_q = 1;
    }
    if (q && rnd(4) == 0) {
        m->year_lo = 2012 + (int)rnd(19);
        m->year_hi = m->year_lo + (int)rnd(4);
        sprintf(f[6], "%d-%d", m->year_lo, m->year_hi);
    } else if (q && rnd(2)) {
        strcpy(f[6], "*");
    }
    if (m->dialect == D_UNIX)
        snprintf(m->text, sizeof m->text, "%s %s %s %s %s", f[1], f[2], f[3], f[4], f[5]);
    else
        snprintf(m->text, sizeof m->text, "%s %s %s %s %s %s %s", f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
}

/* --- the oracle's matcher: plain calendar facts from the C library ------------- */

static int is_weekday(int y, int mo, int d)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = 12 };
    time_t t = timegm(&tm);
    struct tm out;
    gmtime_r(&t, &out);
    return out.tm_wday >= 1 && out.tm_wday <= 5;
}

static int last_day(int y, int mo)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo, .tm_mday = 0, .tm_hour = 12 };  /* day 0 of next month */
    time_t t = timegm(&tm);
    struct tm out;
    gmtime_r(&t, &out);
    return out.tm_mday;
}

static int dom_ok(const model *m, int y, int mo, int d)
{
    int last = last_day(y, mo);
    switch (m->dom_kind) {
    case DOM_LAST:
        return d == last - m->dom_arg;
    case DOM_LW: {
        int best = 0;
        for (int k = 1; k <= last; k++)
            if (is_weekday(y, mo, k))
                best = k;
        return d == best;
    }
    case DOM_NEAR: {
        if (m->dom_arg > last)
            return 0;
        int best = 0;
        for (int k = 1; k <= last; k++)   /* the weekday of the month closest to the day */
            if (is_weekday(y, mo, k) && (!best || abs(k - m->dom_arg) < abs(best - m->dom_arg)))
                best = k;
        return d == best;
    }
    default:
        return m->dom[d];
    }
}

static int dow_ok(const model *m, int y, int mo, int d, int wday)
{
    switch (m->dow_kind) {
    case DOW_LAST:
        return wday == m->dow_arg && d + 7 > last_day(y, mo);
    case DOW_NTH:
        return wday == m->dow_arg && (d + 6) / 7 == m->dow_nth;
    default:
        return m->dow[wday];
    }
}

/* Does the reading tm (a struct from gmtime/localtime) match, down to hours? */
static int hour_ok(const model *m, const struct tm *tm)
{
    int y = tm->tm_year + 1900, mo = tm->tm_mon + 1, d = tm->tm_mday;
    if (m->year_lo && (y < m->year_lo || y > m->year_hi))
        return 0;
    if (!m->mon[mo] || !m->hour[tm->tm_hour])
        return 0;
    int a = dom_ok(m, y, mo, d), b = dow_ok(m, y, mo, d, tm->tm_wday);
    if (m->dialect == D_QUARTZ)
        return m->dom_q ? b : a;
    if (m->dialect == D_UNIX && !m->dom_star && !m->dow_star)
        return a || b;
    return a && b;
}

static int civil_ok(const model *m, int64_t civil)
{
    time_t t = (time_t)civil;
    struct tm tm;
    gmtime_r(&t, &tm);
    return hour_ok(m, &tm) && m->min[tm.tm_min] && m->sec[tm.tm_sec];
}

static int every_hour(const model *m)
{
    for (int h = 0; h < 24; h++)
        if (!m->hour[h])
            return 0;
    return 1;
}

/* Is t the first instant whose wall clock reads tm? */
static int first_showing(int64_t t, const struct tm *tm)
{
    for (int dst = 0; dst <= 1; dst++) {
        struct tm x = *tm;
        x.tm_isdst = dst;
        time_t u = mktime(&x);
        struct tm back;
        localtime_r(&u, &back);
        if ((int64_t)u < t && back.tm_year == tm->tm_year && back.tm_mon == tm->tm_mon &&
            back.tm_mday == tm->tm_mday && back.tm_hour == tm->tm_hour && back.tm_min == tm->tm_min &&
            back.tm_sec == tm->tm_sec)
            return 0;
    }
    return 1;
}

/* First due instant > a and <= end, or -1. changes: the zone's offset
 * changes (all on minute boundaries, checked by the caller). */
static int64_t oracle_next(const model *m, int64_t a, int64_t end, const int64_t *changes, int nchanges)
{
    int real_time = every_hour(m);
    int ci = 0;
    while (ci < nchanges && changes[ci] <= a)
        ci++;
    int64_t t = a + 1 - ((a + 1) % 60 + 60) % 60;  /* the minute holding a + 1 */
    while (t <= end) {
        struct tm tm;
        int64_t wall = wall_of(t, &tm);
        if (ci < nchanges && changes[ci] == t) {
            /* the clock moves here: read the second before */
            struct tm ptm;
            int64_t pwall = wall_of(t - 1, &ptm);
            if (!real_time && wall > pwall + 1 && t > a)
                for (int64_t r = pwall + 1; r < wall; r++)
                    if (civil_ok(m, r))
                        return t;
            ci++;
        }
        int64_t next_change = ci < nchanges ? changes[ci] : INT64_MAX;
        if (!hour_ok(m, &tm)) {
            /* nothing this wall hour: go to the next one (or the change) */
            int64_t skip = 3600 - (tm.tm_min * 60 + tm.tm_sec);
            t = t + skip < next_change ? t + skip : next_change;
            continue;
        }
        if (m->min[tm.tm_min]) {
            for (int s = 0; s < 60; s++) {
                int64_t c = t + s;
                if (!m->sec[s] || c <= a || c > end)
                    continue;
                if (real_time)
                    return c;
                struct tm ctm;
                wall_of(c, &ctm);
                if (first_showing(c, &ctm))
                    return c;
            }
        }
        t += 60;
        if (t > next_change)
            t = next_change;
    }
    return -1;
}

/* --- the property ---------------------------------------------------------------- */

static int64_t year_start(int y)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mday = 1 };
    return (int64_t)timegm(&tm);
}

static void fmt_utc(int64_t t, char *buf, size_t n)
{
    if (t < 0) {
        snprintf(buf, n, "none");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void run_zone(const char *tz)
{
    static int64_t changes[200];
    int64_t from = year_start(2012), to = year_start(2031);
    zone_set(tz);
    int nchanges = find_changes(from - 86400, to + 40 * 86400, changes, 200);
    int odd = 0;
    for (int i = 0; i < nchanges; i++)
        if (changes[i] % 60 != 0)
            odd++;
    CHECK_INT(odd, 0);   /* the oracle's minute steps rely on it */
    CHECK(nchanges >= 8);
    int mismatches = 0, compared = 0, found = 0;
    for (int k = 0; k < CASES_PER_ZONE && mismatches < 5; k++) {
        int64_t a;
        int focus = -1;
        if (rnd(2) && nchanges > 0) {
            int64_t change = changes[rnd((uint32_t)nchanges)];
            struct tm tm;
            wall_of(change - 1, &tm);
            focus = tm.tm_hour;
            a = change - 36 * 3600 + (int64_t)rnd(40 * 3600);
        } else {
            a = from + (int64_t)rnd((uint32_t)(to - from));
        }
        model m;
        gen_model(&m, focus);
        strbuf err = STRBUF_INIT;
        const char *dialect = m.dialect == D_SPRING ? "spring" : m.dialect == D_QUARTZ ? "quartz" : NULL;
        cron_expr *c = cron_parse_dialect(m.text, dialect, &err);
        if (!c) {
            fprintf(stderr, "FAIL oracle: \"%s\" (%s) did not parse: %s\n", m.text, dialect ? dialect : "unix",
                    err.buf);
            mismatches++;
            unit_failed++;
            strbuf_release(&err);
            continue;
        }
        strbuf_release(&err);
        int64_t ms = (int64_t)rnd(1000);   /* cron_next gets milliseconds */
        for (int f = 0; f < FIRES_PER_CASE; f++) {
            int64_t end = a + WINDOW_DAYS * 86400;
            int64_t want = oracle_next(&m, a, end, changes, nchanges);
            int64_t got = cron_next(c, a * 1000 + ms, tz);
            got = got < 0 ? -1 : got / 1000;
            compared++;
            int ok = want >= 0 ? got == want : (got == -1 || got > end);
            if (!ok) {
                char wb[32], gb[32], ab[32];
                fmt_utc(want, wb, sizeof wb);
                fmt_utc(got, gb, sizeof gb);
                fmt_utc(a, ab, sizeof ab);
                fprintf(stderr, "FAIL oracle: %s \"%s\" (%s) after %s UTC: got %s, oracle %s\n", tz, m.text,
                        dialect ? dialect : "unix", ab, gb, wb);
                mismatches++;
            }
            CHECK(ok);
            if (want < 0)
                break;
            found++;
            a = want;
            ms = 0;
        }
        cron_free(c);
    }
    zone_reset();
    fprintf(stderr, "oracle %s: %d changes, %d comparisons, %d due times found\n", tz, nchanges, compared, found);
}

static void test_istanbul(void)
{
    run_zone("Europe/Istanbul");
}

static void test_berlin(void)
{
    run_zone("Europe/Berlin");
}

static void test_new_york(void)
{
    run_zone("America/New_York");
}

int main(void)
{
    const char *seed = getenv("CRON_SEED");
    rng_state = seed ? strtoull(seed, NULL, 10) : 20240310;
    RUN(test_istanbul);
    RUN(test_berlin);
    RUN(test_new_york);
    return unit_done();
}
