/*
 * cron_parse.c: schedule text -> cron_expr. See cron.h for what is accepted.
 *
 * The text is one of: an "@" form (@every 30s, @hourly ...), a NiFi run
 * period ("30 sec", "5 mins"), or whitespace-separated cron fields. The
 * fields are read by one small scanner for every dialect; a table per
 * dialect says which fields there are, their ranges and names, and the
 * scanner asks the dialect only about the few things that differ:
 *
 *   - day-of-week numbers: unix 0-7 (0 and 7 Sunday), Quartz 1-7 (Sunday 1),
 *     Spring 0-7 (0 and 7 Sunday, names MON=1 .. SUN=7);
 *   - '?' means '*' in unix (anywhere) and Spring (day fields); in Quartz
 *     it means "no value" and exactly one day field must be '?';
 *   - L, W and # exist in Quartz and Spring only, and stand alone;
 *   - "22-2" wraps around in Quartz only (elsewhere it is "backwards").
 *
 * Every error names the field by position and name, then the problem:
 * "field 3 (hour): 25 out of range 0-23".
 */
#include "cron_int.h"
#include "duration.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum field_id { F_SECOND, F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR };

struct field_def {
    enum field_id id;
    const char *name;
    int lo, hi;
};

static const struct field_def unix_fields[] = {
    { F_MINUTE, "minute", 0, 59 }, { F_HOUR, "hour", 0, 23 }, { F_DOM, "day-of-month", 1, 31 },
    { F_MONTH, "month", 1, 12 }, { F_DOW, "day-of-week", 0, 7 },
};
static const struct field_def quartz_fields[] = {
    { F_SECOND, "second", 0, 59 }, { F_MINUTE, "minute", 0, 59 }, { F_HOUR, "hour", 0, 23 },
    { F_DOM, "day-of-month", 1, 31 }, { F_MONTH, "month", 1, 12 }, { F_DOW, "day-of-week", 1, 7 },
    { F_YEAR, "year", CRON_YEAR_MIN, CRON_YEAR_MAX },
};
static const struct field_def spring_fields[] = {
    { F_SECOND, "second", 0, 59 }, { F_MINUTE, "minute", 0, 59 }, { F_HOUR, "hour", 0, 23 },
    { F_DOM, "day-of-month", 1, 31 }, { F_MONTH, "month", 1, 12 }, { F_DOW, "day-of-week", 0, 7 },
};

static const char *const month_names[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* One field being parsed: where it is, what it is, and the dialect. */
struct fctx {
    const struct field_def *f;
    int pos;                  /* 1-based position in the text, for errors */
    int dialect;
    strbuf *err;
};

#define FERR(x, ...) strbuf_seterr((x)->err, "field %d (%s): " __VA_ARGS__)
#define FARGS(x) (x)->pos, (x)->f->name

/* 256-bit set, indexed by value - lo of the field (years need 230). */
typedef struct { uint64_t w[4]; } bitset;

static void bit_set(bitset *b, int i)
{
    b->w[i >> 6] |= 1ULL << (i & 63);
}

/* Value of a three-letter name in this field and dialect, or -1. */
static int name_value(const struct fctx *x, const char *s, size_t n)
{
    if (n != 3)
        return -1;
    if (x->f->id == F_MONTH) {
        for (int i = 0; i < 12; i++)
            if (strncasecmp(s, month_names[i], 3) == 0)
                return i + 1;
    } else if (x->f->id == F_DOW) {
        for (int i = 0; i < 7; i++)
            if (strncasecmp(s, day_names[i], 3) == 0) {
                if (x->dialect == CRON_QUARTZ)
                    return i + 1;               /* SUN = 1 .. SAT = 7 */
                if (x->dialect == CRON_SPRING)
                    return i == 0 ? 7 : i;      /* MON = 1 .. SUN = 7 */
                return i;                       /* sun = 0 .. sat = 6 */
            }
    }
    return -1;
}

/* Reads one number or name at *p into *out (checked against the field's
 * range); advances *p. 0, or -1 with err. */
static int parse_value(const struct fctx *x, const char **p, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > 1000000)
                v = 1000000;
            s++;
        }
        if (v < x->f->lo || v > x->f->hi) {
            FERR(x, "%ld out of range %d-%d", FARGS(x), v, x->f->lo, x->f->hi);
            return -1;
        }
        *out = (int)v;
        *p = s;
        return 0;
    }
    if (isalpha((unsigned char)*s) && (x->f->id == F_MONTH || x->f->id == F_DOW)) {
        const char *e = s;
        while (isalpha((unsigned char)*e))
            e++;
        int v = name_value(x, s, (size_t)(e - s));
        if (v < 0) {
            FERR(x, "unknown name \"%.*s\"", FARGS(x), (int)(e - s), s);
            return -1;
        }
        *out = v;
        *p = e;
        return 0;
    }
    const char *e = s;
    while (*e && *e != ',' && *e != '-' && *e != '/')
        e++;
    if (e == s)
        FERR(x, "missing value", FARGS(x));
    else
        FERR(x, "bad value \"%.*s\"", FARGS(x), (int)(e - s), s);
    return -1;
}

/* Reads a whole number at *p (for steps, offsets, #n); -1 when none. */
static long parse_count(const char **p)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > 1000000)
            v = 1000000;
        s++;
    }
    *p = s;
    return v;
}

/* The plain list syntax: items "*", "?", "v", "v-w", each with "/step",
 * separated by commas. Sets bits (value - lo) and *star when the field
 * starts with '*' or '?'. 0, or -1 with err. */
static int parse_list(const struct fctx *x, const char *text, bitset *bits, int *star)
{
    const struct field_def *f = x->f;
    int size = f->hi - f->lo + 1;
    /* What "*" and "5/..." run over: the field's range, except day-of-week
     * 0-7 where 0 and 7 are both Sunday: unix counts 0-6 (Vixie cron),
     * Spring 1-7 (MON..SUN, so "*\/2" is Monday, Wednesday, Friday, Sunday). */
    int bottom = f->lo, top = f->hi;
    if (f->id == F_DOW && x->dialect == CRON_UNIX)
        top = 6;
    else if (f->id == F_DOW && x->dialect == CRON_SPRING)
        bottom = 1;
    memset(bits, 0, sizeof *bits);
    *star = (text[0] == '*' || text[0] == '?');
    const char *p = text;
    for (;;) {
        int lo, hi, step = 1, wrap = 0;
        if (*p == '*' || *p == '?') {
            if (*p == '?' && x->dialect != CRON_UNIX && f->id != F_DOM && f->id != F_DOW) {
                FERR(x, "'?' is only allowed in day-of-month and day-of-week", FARGS(x));
                return -1;
            }
            if (*p == '?' && x->dialect == CRON_QUARTZ && (p != text || p[1] != '\0')) {
                FERR(x, "'?' must stand alone", FARGS(x));
                return -1;
            }
            lo = bottom;
            hi = top;
            p++;
        } else {
            if (parse_value(x, &p, &lo) < 0)
                return -1;
            hi = lo;
            if (*p == '-') {
                p++;
                if (parse_value(x, &p, &hi) < 0)
                    return -1;
                if (hi < lo) {
                    if (x->dialect != CRON_QUARTZ || f->id == F_YEAR) {
                        FERR(x, "range %d-%d is backwards", FARGS(x), lo, hi);
                        return -1;
                    }
                    wrap = 1;  /* Quartz: "22-2" is 22, 23, 0, 1, 2 */
                }
            } else if (*p == '/') {
                hi = top;      /* "5/15" means 5-max/15 */
            }
        }
        if (*p == '/') {
            p++;
            long st = parse_count(&p);
            if (st < 0) {
                FERR(x, "bad step \"%s\"", FARGS(x), p);
                return -1;
            }
            if (st < 1 || st > size) {
                FERR(x, "step %ld out of range 1-%d", FARGS(x), st, size);
                return -1;
            }
            step = (int)st;
        }
        int count = wrap ? hi + size - lo + 1 : hi - lo + 1;
        for (int k = 0; k < count; k += step)
            bit_set(bits, (lo - f->lo + k) % size);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != '\0') {
            FERR(x, "unexpected \"%s\"", FARGS(x), p);
            return -1;
        }
        return 0;
    }
}

/* Quartz/Spring day-of-month specials: L, L-n, LW, nW. 1 when text was one
 * (c filled), 0 when it is a plain list, -1 with err. */
static int parse_dom_special(const struct fctx *x, const char *text, cron_expr *c)
{
    if (x->dialect == CRON_UNIX || !strpbrk(text, "LlWw"))
        return 0;
    if (strchr(text, ',') || strchr(text, '/')) {
        FERR(x, "L and W must stand alone, not in a list or step", FARGS(x));
        return -1;
    }
    const char *p = text;
    if (strcasecmp(text, "L") == 0) {
        c->dom_kind = CRON_DOM_LAST;
        c->dom_arg = 0;
        return 1;
    }
    if (strcasecmp(text, "LW") == 0) {
        c->dom_kind = CRON_DOM_LAST_WEEKDAY;
        return 1;
    }
    if ((p[0] == 'L' || p[0] == 'l') && p[1] == '-') {
        p += 2;
        long n = parse_count(&p);
        if (n < 0 || *p) {
            FERR(x, "bad offset in \"%s\" (want L-n)", FARGS(x), text);
            return -1;
        }
        if (n > 30) {
            FERR(x, "offset %ld out of range 0-30", FARGS(x), n);
            return -1;
        }
        c->dom_kind = CRON_DOM_LAST;
        c->dom_arg = (int)n;
        return 1;
    }
    int day;
    if (isdigit((unsigned char)*p)) {
        if (parse_value(x, &p, &day) < 0)
            return -1;
        if ((*p == 'W' || *p == 'w') && p[1] == '\0') {
            c->dom_kind = CRON_DOM_NEAREST_WEEKDAY;
            c->dom_arg = day;
            return 1;
        }
    }
    FERR(x, "bad value \"%s\" (want L, L-n, LW or nW)", FARGS(x), text);
    return -1;
}

/* Weekday (Sunday = 0) of a day-of-week value in this dialect. */
static int weekday_of(const struct fctx *x, int v)
{
    return x->dialect == CRON_QUARTZ ? v - 1 : v % 7;
}

/* Quartz/Spring day-of-week specials: L (Quartz: Saturday), dL, d#n.
 * 1 when text was one, 0 when it is a plain list, -1 with err. */
static int parse_dow_special(const struct fctx *x, const char *text, cron_expr *c)
{
    size_t n = strlen(text);
    int has_hash = strchr(text, '#') != NULL;
    int has_last = n > 0 && (text[n - 1] == 'L' || text[n - 1] == 'l');
    if (x->dialect == CRON_UNIX || (!has_hash && !has_last))
        return 0;
    if (strchr(text, ',') || strchr(text, '/') || strchr(text, '-')) {
        FERR(x, "L and # must stand alone, not in a list, range or step", FARGS(x));
        return -1;
    }
    if (n == 1) {
        if (x->dialect == CRON_SPRING) {
            FERR(x, "L needs a day before it (5L: the last Friday)", FARGS(x));
            return -1;
        }
        c->dow_kind = CRON_DOW_SET;   /* Quartz: "L" alone is 7, Saturday */
        c->dow = 1u << 6;
        return 1;
    }
    int v;
    if (has_last && !has_hash) {
        /* "5L", "FRIL": the value is all but the L */
        char buf[16];
        if (n - 1 >= sizeof buf) {
            FERR(x, "bad value \"%s\"", FARGS(x), text);
            return -1;
        }
        memcpy(buf, text, n - 1);
        buf[n - 1] = '\0';
        const char *q = buf;
        if (parse_value(x, &q, &v) < 0)
            return -1;
        if (*q) {
            FERR(x, "unexpected \"%s\"", FARGS(x), q);
            return -1;
        }
        c->dow_kind = CRON_DOW_LAST;
        c->dow_arg = weekday_of(x, v);
        return 1;
    }
    const char *p = text;
    if (parse_value(x, &p, &v) < 0)
        return -1;
    if (*p == '#') {
        p++;
        long k = parse_count(&p);
        if (k < 0 || *p) {
            FERR(x, "bad value \"%s\" (want d#n, e.g. 6#3)", FARGS(x), text);
            return -1;
        }
        if (k < 1 || k > 5) {
            FERR(x, "#%ld out of range 1-5", FARGS(x), k);
            return -1;
        }
        c->dow_kind = CRON_DOW_NTH;
        c->dow_arg = weekday_of(x, v);
        c->dow_nth = (int)k;
        return 1;
    }
    FERR(x, "unexpected \"%s\"", FARGS(x), p);
    return -1;
}

/* Parses field text (NUL-terminated) into c. 0, or -1 with err. */
static int parse_field(const struct fctx *x, const char *text, cron_expr *c, int *star, int *question)
{
    bitset b;
    *star = 0;
    *question = strcmp(text, "?") == 0;
    if (x->f->id == F_DOM || x->f->id == F_DOW) {
        int r = x->f->id == F_DOM ? parse_dom_special(x, text, c) : parse_dow_special(x, text, c);
        if (r != 0)
            return r;
    }
    if (parse_list(x, text, &b, star) < 0)
        return -1;
    switch (x->f->id) {
    case F_SECOND: c->second = b.w[0]; break;
    case F_MINUTE: c->minute = b.w[0]; break;
    case F_HOUR: c->hour = (uint32_t)b.w[0]; break;
    case F_DOM: c->dom = (uint32_t)(b.w[0] << 1); c->dom_kind = CRON_DOM_SET; break;
    case F_MONTH: c->month = (uint32_t)(b.w[0] << 1); break;
    case F_DOW:
        c->dow_kind = CRON_DOW_SET;
        c->dow = 0;
        for (int i = 0; i <= x->f->hi - x->f->lo; i++)
            if ((b.w[0] >> i) & 1)
                c->dow |= 1u << weekday_of(x, i + x->f->lo);
        break;
    case F_YEAR:
        memcpy(c->year, b.w, sizeof c->year);
        c->year_any = *star;
        break;
    }
    return 0;
}

/* --- NiFi run periods ------------------------------------------------------ */

/* NiFi's time-period units (FormatUtils), in nanoseconds. */
static const struct { const char *name; int64_t ns; } period_units[] = {
    { "ns", 1 }, { "nano", 1 }, { "nanos", 1 }, { "nanosecond", 1 }, { "nanoseconds", 1 },
    { "ms", 1000000 }, { "milli", 1000000 }, { "millis", 1000000 }, { "millisecond", 1000000 },
    { "milliseconds", 1000000 },
    { "s", 1000000000LL }, { "sec", 1000000000LL }, { "secs", 1000000000LL }, { "second", 1000000000LL },
    { "seconds", 1000000000LL },
    { "m", 60000000000LL }, { "min", 60000000000LL }, { "mins", 60000000000LL }, { "minute", 60000000000LL },
    { "minutes", 60000000000LL },
    { "h", 3600000000000LL }, { "hr", 3600000000000LL }, { "hrs", 3600000000000LL }, { "hour", 3600000000000LL },
    { "hours", 3600000000000LL },
    { "d", 86400000000000LL }, { "day", 86400000000000LL }, { "days", 86400000000000LL },
    { "w", 604800000000000LL }, { "wk", 604800000000000LL }, { "wks", 604800000000000LL },
    { "week", 604800000000000LL }, { "weeks", 604800000000000LL },
};

/* A NiFi period: a number (decimals allowed), optional blanks, a unit, case
 * ignored: "30 sec", "5 mins", "1.5 hours", "250ms". 1 with *ms set, 0 when
 * text does not look like one (no unit letters after a number), -1 with err
 * when it looks like one but is not valid. */
static int parse_period(const char *text, size_t len, int64_t *ms, strbuf *err)
{
    const char *p = text, *end = text + len;
    int64_t whole = 0, frac9 = 0;  /* frac9: the fraction in units of 1e-9 */
    int digits = 0, fdigits = 0;
    while (p < end && isdigit((unsigned char)*p)) {
        if (whole < 1000000000000LL)
            whole = whole * 10 + (*p - '0');
        digits++;
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && isdigit((unsigned char)*p)) {
            if (fdigits < 9) {
                frac9 = frac9 * 10 + (*p - '0');
                fdigits++;
            } else if (*p != '0') {
                fdigits = 99;  /* finer than a nanosecond unit: not a whole ms anyway */
            }
            digits++;
            p++;
        }
    }
    if (digits == 0)
        return 0;
    while (p < end && isblank((unsigned char)*p))
        p++;
    const char *u = p;
    while (p < end && isalpha((unsigned char)*p))
        p++;
    if (p == u || p != end)
        return 0;
    size_t ulen = (size_t)(p - u);
    int64_t unit = 0;
    for (size_t i = 0; i < sizeof period_units / sizeof period_units[0]; i++)
        if (strlen(period_units[i].name) == ulen && strncasecmp(u, period_units[i].name, ulen) == 0)
            unit = period_units[i].ns;
    if (!unit) {
        strbuf_seterr(err, "period \"%.*s\": unknown unit \"%.*s\" (want ms, sec, min, hour, day or week)",
                      (int)len, text, (int)ulen, u);
        return -1;
    }
    if (fdigits == 99) {
        strbuf_seterr(err, "period \"%.*s\": not a whole number of milliseconds", (int)len, text);
        return -1;
    }
    for (int i = fdigits; i < 9; i++)
        frac9 *= 10;
    /* value * unit in ns = whole * unit + frac9 * unit / 1e9; in ms below. */
    const int64_t limit_ms = 1000000000000000LL;
    int64_t total_ms, rem;
    if (unit >= 1000000) {
        int64_t unit_ms = unit / 1000000;
        if (whole > limit_ms / unit_ms) {
            strbuf_seterr(err, "period \"%.*s\": too long", (int)len, text);
            return -1;
        }
        /* frac9 < 1e9 and unit_ms <= 6.048e8: the product fits */
        total_ms = whole * unit_ms + frac9 * unit_ms / 1000000000LL;
        rem = frac9 * unit_ms % 1000000000LL;
    } else {
        /* nanoseconds: (whole * 1e9 + frac9) in 1e-9 ns; a ms is 1e15 of them */
        if (whole > 1000000000LL) {
            strbuf_seterr(err, "period \"%.*s\": too long", (int)len, text);
            return -1;
        }
        int64_t tiny = whole * 1000000000LL + frac9;
        total_ms = tiny / 1000000000000000LL;
        rem = tiny % 1000000000000000LL;
    }
    if (rem != 0) {
        strbuf_seterr(err, "period \"%.*s\": not a whole number of milliseconds", (int)len, text);
        return -1;
    }
    if (total_ms <= 0) {
        strbuf_seterr(err, "period \"%.*s\": must be more than 0 (NiFi's \"0 sec\", as often as possible, "
                           "is not a schedule here)", (int)len, text);
        return -1;
    }
    *ms = total_ms;
    return 1;
}

/* --- the entry points ------------------------------------------------------- */

int cron_dialect_valid(const char *dialect)
{
    return !dialect || !*dialect || strcasecmp(dialect, "unix") == 0 || strcasecmp(dialect, "quartz") == 0 ||
           strcasecmp(dialect, "spring") == 0;
}

const char *cron_kind(const cron_expr *c)
{
    if (!c)
        return NULL;
    if (c->every_ms > 0)
        return "every";
    return c->dialect == CRON_QUARTZ ? "quartz" : c->dialect == CRON_SPRING ? "spring" : "unix";
}

/* "@every 5m", "@daily" ...: c filled, or -1 with err. */
static int parse_at(const char *text, size_t tlen, cron_expr *c, strbuf *err)
{
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
            return -1;
        }
        memcpy(buf, e, dl);
        buf[dl] = '\0';
        int64_t ms;
        if (duration_parse_ms(buf, &ms) < 0 || ms <= 0) {
            strbuf_seterr(err, "@every: bad duration \"%s\" (want e.g. 30s, 5m, 1h30m, 250ms)", buf);
            return -1;
        }
        c->every_ms = ms;
        return 0;
    }
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
        if (wl == strlen(macros[i].name) && strncasecmp(text, macros[i].name, wl) == 0 && e == text + tlen) {
            cron_expr *m = cron_parse_dialect(macros[i].expr, "unix", err);
            *c = *m;
            cron_free(m);
            return 0;
        }
    }
    strbuf_seterr(err, "unknown schedule \"%.*s\"", (int)tlen, text);
    return -1;
}

/* The fields of text, split at blanks; returns how many (up to max kept). */
static int split_fields(const char *text, size_t tlen, const char **start, size_t *len, int max)
{
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
        if (n < max) {
            start[n] = s;
            len[n] = (size_t)(p - s);
        }
        n++;
    }
    return n;
}

/* The dialect for n fields when the flow names none (or names d). -1 with err. */
static int pick_dialect(const char *d, int n, strbuf *err)
{
    if (d && *d) {
        int dl = strcasecmp(d, "quartz") == 0 ? CRON_QUARTZ : strcasecmp(d, "spring") == 0 ? CRON_SPRING : CRON_UNIX;
        if (dl == CRON_UNIX && n != 5) {
            strbuf_seterr(err, "expected 5 fields (minute hour day-of-month month day-of-week), got %d", n);
            return -1;
        }
        if (dl == CRON_QUARTZ && n != 6 && n != 7) {
            strbuf_seterr(err, "quartz: expected 6 or 7 fields (second minute hour day-of-month month "
                               "day-of-week [year]), got %d", n);
            return -1;
        }
        if (dl == CRON_SPRING && n != 6) {
            strbuf_seterr(err, "spring: expected 6 fields (second minute hour day-of-month month day-of-week), "
                               "got %d", n);
            return -1;
        }
        return dl;
    }
    if (n == 5)
        return CRON_UNIX;
    if (n == 7)
        return CRON_QUARTZ;
    if (n == 6) {
        strbuf_seterr(err, "6 fields could be Quartz (day-of-week 1-7, Sunday 1) or Spring (day-of-week 0-7, "
                           "Sunday 0 or 7): set schedule.dialect to quartz or spring");
        return -1;
    }
    strbuf_seterr(err, "expected 5 fields (minute hour day-of-month month day-of-week), got %d", n);
    return -1;
}

cron_expr *cron_parse_dialect(const char *text, const char *dialect, strbuf *err)
{
    if (!cron_dialect_valid(dialect)) {
        strbuf_seterr(err, "unknown dialect \"%s\" (want unix, quartz or spring)", dialect);
        return NULL;
    }
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
        if (parse_at(text, tlen, c, err) < 0) {
            free(c);
            return NULL;
        }
        return c;
    }

    const char *start[7];
    size_t len[7];
    int n = split_fields(text, tlen, start, len, 7);
    if (n <= 2) {
        int r = parse_period(text, tlen, &c->every_ms, err);
        if (r != 0) {
            if (r < 0) {
                free(c);
                return NULL;
            }
            return c;
        }
    }
    int dl = pick_dialect(dialect, n, err);
    if (dl < 0) {
        free(c);
        return NULL;
    }
    const struct field_def *defs = dl == CRON_QUARTZ ? quartz_fields : dl == CRON_SPRING ? spring_fields : unix_fields;
    c->dialect = dl;
    c->second = 1;  /* 5-field cron fires at second 0 */
    c->year_any = 1;
    int star[7] = { 0 }, question[7] = { 0 };
    int dom_i = dl == CRON_UNIX ? 2 : 3, dow_i = dl == CRON_UNIX ? 4 : 5;
    for (int i = 0; i < n; i++) {
        struct fctx x = { &defs[i], i + 1, dl, err };
        char buf[256];
        if (len[i] >= sizeof buf) {
            FERR(&x, "too long", FARGS(&x));
            free(c);
            return NULL;
        }
        memcpy(buf, start[i], len[i]);
        buf[len[i]] = '\0';
        if (parse_field(&x, buf, c, &star[i], &question[i]) < 0) {
            free(c);
            return NULL;
        }
    }
    if (dl == CRON_QUARTZ) {
        if (question[dom_i] == question[dow_i]) {
            strbuf_seterr(err, "field 4 (day-of-month) and field 6 (day-of-week): exactly one of them must be "
                               "'?' (Quartz), got \"%.*s\" and \"%.*s\"",
                          (int)len[dom_i], start[dom_i], (int)len[dow_i], start[dow_i]);
            free(c);
            return NULL;
        }
        c->day_rule = question[dom_i] ? CRON_DAYS_DOW : CRON_DAYS_DOM;
    } else if (dl == CRON_SPRING) {
        c->day_rule = CRON_DAYS_AND;
    } else {
        c->day_rule = star[dom_i] || star[dow_i] ? CRON_DAYS_AND : CRON_DAYS_OR;
    }
    return c;
}

cron_expr *cron_parse(const char *text, strbuf *err)
{
    return cron_parse_dialect(text, NULL, err);
}

void cron_free(cron_expr *c)
{
    free(c);
}
