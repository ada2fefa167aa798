/*
 * order_status_cursor.c: the cursor's text. The watermark is kept in
 * Redis in UTC ("2024-10-01T00:29:59.000Z"); the ERP is asked in the
 * flow's time zone and format (the seed's yyyy-MM-dd'T'HH:mm:ss.SSSSSS).
 * The wall clock and offset in a zone come from cron_local_time (the C
 * library's tz database, under cron's lock), so a daylight-saving change
 * is the tz database's, not ours. The pattern is read as Java's
 * SimpleDateFormat reads it, for the letters an ERP date needs, both ways:
 * order_status_parse_time reads a row's modified date back (a sorted
 * answer's backlog moves the cursor to it), a wall clock in a zone turned
 * into UTC with the zone's offset at that instant (the offset after a
 * daylight-saving change when the wall clock is ambiguous or skipped).
 */
#include "order_status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cron.h"

/* The wall clock of ms in tz: fields and the offset in minutes. */
typedef struct wall {
    int y, mo, d, h, mi, s, ms;
    int off_min;
} wall;

static int wall_of(int64_t ms, const char *tz, wall *w, strbuf *err)
{
    strbuf t = STRBUF_INIT;
    char sign = '+';
    int oh = 0, om = 0;
    int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    if (cron_local_time(sec * 1000, tz, &t) < 0 ||
        sscanf(t.buf, "%d-%d-%d %d:%d:%d %c%d:%d", &w->y, &w->mo, &w->d, &w->h, &w->mi, &w->s, &sign, &oh, &om) != 9) {
        strbuf_seterr(err, "unknown time zone \"%s\"", tz ? tz : "");
        strbuf_release(&t);
        return -1;
    }
    w->ms = (int)(ms - sec * 1000);
    w->off_min = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    strbuf_release(&t);
    return 0;
}

/* The pattern's quoted text at p (n quotes in a row there): appends the
 * text it stands for ('' is a quote) to out; returns where the pattern
 * goes on. */
static const char *quoted(const char *p, size_t n, strbuf *out)
{
    if (n >= 2 && n % 2 == 0) {
        for (size_t i = 0; i < n / 2; i++)
            strbuf_addch(out, '\'');
        return p + n;
    }
    const char *q = p + 1;
    while (*q && !(*q == '\'' && q[1] != '\'')) {
        if (*q == '\'')
            q++;
        strbuf_addch(out, *q++);
    }
    return *q ? q + 1 : q;
}

static void add_num(strbuf *out, long v, int width)
{
    strbuf_addf(out, "%0*ld", width, v);
}

int order_status_format_time(int64_t ms, const char *tz, const char *pattern, strbuf *out, strbuf *err)
{
    wall w;
    if (wall_of(ms, tz, &w, err) < 0)
        return -1;
    for (const char *p = pattern; *p;) {
        char ch = *p;
        size_t n = 1;
        while (p[n] == ch)
            n++;
        if (ch == '\'') {
            p = quoted(p, n, out);
            continue;
        }
        switch (ch) {
        case 'y': add_num(out, n == 2 ? w.y % 100 : w.y, n == 2 ? 2 : (int)n); break;
        case 'M': add_num(out, w.mo, (int)n); break;
        case 'd': add_num(out, w.d, (int)n); break;
        case 'H': add_num(out, w.h, (int)n); break;
        case 'm': add_num(out, w.mi, (int)n); break;
        case 's': add_num(out, w.s, (int)n); break;
        case 'S': {
            /* fraction digits: milliseconds, then zeros (we keep ms) */
            char frac[16];
            snprintf(frac, sizeof frac, "%03d000000000", w.ms);
            strbuf_add(out, frac, n < 12 ? n : 12);
            break;
        }
        case 'X':
        case 'Z': {
            int a = w.off_min < 0 ? -w.off_min : w.off_min;
            if (ch == 'X' && w.off_min == 0) {
                strbuf_addch(out, 'Z');
            } else if (ch == 'X' && n == 1) {
                strbuf_addf(out, "%c%02d", w.off_min < 0 ? '-' : '+', a / 60);
                if (a % 60)
                    strbuf_addf(out, "%02d", a % 60);
            } else {
                strbuf_addf(out, (ch == 'X' && n >= 3) ? "%c%02d:%02d" : "%c%02d%02d", w.off_min < 0 ? '-' : '+',
                            a / 60, a % 60);
            }
            break;
        }
        default:
            for (size_t i = 0; i < n; i++)
                strbuf_addch(out, ch);
        }
        p += n;
    }
    return 0;
}

/* Reads n digits (n 0: one or more) at *p into *v: 0, or -1. */
static int take_num(const char **p, size_t n, long *v)
{
    size_t i = 0;
    *v = 0;
    while ((**p >= '0' && **p <= '9') && (n == 0 || i < n)) {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        i++;
    }
    return i == 0 || (n && i != n) ? -1 : 0;
}

/* The offset at *p (Z, +hh, +hhmm, +hh:mm) in minutes: 0, or -1. */
static int take_offset(const char **p, int *min)
{
    long h = 0, m = 0;
    if (**p == 'Z') {
        (*p)++;
        *min = 0;
        return 0;
    }
    int sign = **p == '-' ? -1 : **p == '+' ? 1 : 0;
    if (!sign)
        return -1;
    (*p)++;
    if (take_num(p, 2, &h) < 0)
        return -1;
    if (**p == ':')
        (*p)++;
    if (**p >= '0' && **p <= '9' && take_num(p, 2, &m) < 0)
        return -1;
    *min = sign * (int)(h * 60 + m);
    return 0;
}

int64_t order_status_parse_time(const char *text, const char *tz, const char *pattern)
{
    long y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0;
    int off = 0, has_off = 0;
    const char *t = text;
    if (!text)
        return -1;
    for (const char *p = pattern; *p;) {
        char ch = *p;
        size_t n = 1;
        long v;
        while (p[n] == ch)
            n++;
        if (ch == '\'') {
            strbuf lit = STRBUF_INIT;
            p = quoted(p, n, &lit);
            int same = strncmp(t, lit.buf, lit.len) == 0;
            t += same ? lit.len : 0;
            strbuf_release(&lit);
            if (!same)
                return -1;
            continue;
        }
        switch (ch) {
        case 'y': case 'M': case 'd': case 'H': case 'm': case 's':
            if (take_num(&t, n == 1 ? 0 : n, &v) < 0)
                return -1;
            if (ch == 'y') y = n == 2 ? 2000 + v : v;
            else if (ch == 'M') mo = v;
            else if (ch == 'd') d = v;
            else if (ch == 'H') h = v;
            else if (ch == 'm') mi = v;
            else sec = v;
            break;
        case 'S': {
            /* fraction digits: the first three are milliseconds */
            size_t i = 0;
            ms = 0;
            for (; i < n && *t >= '0' && *t <= '9'; i++, t++)
                if (i < 3)
                    ms = ms * 10 + (*t - '0');
            if (i != n)
                return -1;
            for (; i < 3; i++)
                ms *= 10;
            break;
        }
        case 'X':
        case 'Z':
            if (take_offset(&t, &off) < 0)
                return -1;
            has_off = 1;
            break;
        default:
            for (size_t i = 0; i < n; i++)
                if (*t++ != ch)
                    return -1;
        }
        p += n;
    }
    if (*t || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = { 0 };
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)sec;
    int64_t local = (int64_t)timegm(&tm) * 1000 + ms;
    if (has_off)
        return local - (int64_t)off * 60000;
    /* the zone's offset at the instant this wall clock names */
    wall w;
    strbuf err = STRBUF_INIT;
    int64_t utc = local;
    for (int i = 0; i < 2; i++) {
        if (wall_of(utc, tz, &w, &err) < 0) {
            strbuf_release(&err);
            return -1;
        }
        utc = local - (int64_t)w.off_min * 60000;
    }
    strbuf_release(&err);
    return utc;
}

void order_status_utc_text(int64_t ms, strbuf *out)
{
    strbuf e = STRBUF_INIT;
    order_status_format_time(ms, "UTC", "yyyy-MM-dd'T'HH:mm:ss.SSSX", out, &e);
    strbuf_release(&e);
}

int64_t order_status_parse_utc(const char *text)
{
    int y, mo, d, h, mi, s, ms = 0, used = 0;
    if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6)
        return -1;
    const char *p = text + used;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        while (digits > 0 && digits < 3)
            ms *= 10, digits++;
    }
    if (strcmp(p, "Z") != 0)
        return -1;
    struct tm tm = { 0 };
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm);
    return (int64_t)t * 1000 + ms;
}
