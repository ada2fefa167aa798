/*
 * el_fn_date.c: NiFi EL date functions with Java DateTimeFormatter patterns.
 *
 * Dates are epoch milliseconds (V_DATE), instants epoch nanoseconds
 * (V_INST). A pattern is cut into tokens (letter runs, quoted text, other
 * characters) that drive both formatting and parsing. Parsing follows
 * DateTimeFormatter: two-letter numeric fields take exactly two digits, a
 * field followed directly by another numeric field takes its fixed width,
 * names match case-insensitively, the whole text must be consumed. Strict
 * mode (isValidDate) also rejects impossible dates and wall-clock times that
 * fall into a DST gap. Date functions without a zone use the default zone
 * ($TZ, else UTC); instant functions default to UTC.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "el_date.h"
#include "xalloc.h"

static const char *months[] = { "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December" };
static const char *days[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };

const char *el_default_tz(void)
{
    const char *tz = getenv("TZ");
    if (tz && *tz == ':') tz++;
    if (!tz || !*tz || !el_tz_get(tz)) return "UTC";
    return tz;
}

static int64_t floordiv(int64_t a, int64_t b) { int64_t q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q--; return q; }
static int64_t floormod(int64_t a, int64_t b) { return a - floordiv(a, b) * b; }

typedef struct tok { char ch; int count; const char *lit; size_t litlen; } tok;

/* Splits a pattern into tokens; ch 0 = literal text (lit points into a scratch buffer). */
static int tokenize(const char *pat, tok **out, strbuf *scratch, strbuf *err)
{
    int n = 0;
    tok *t = NULL;
    size_t i = 0, len = strlen(pat);
    strbuf_grow(scratch, len + 1);
    char *base = scratch->buf;
    size_t used = 0;
    while (i < len) {
        char c = pat[i];
        t = xrealloc(t, sizeof(tok) * (size_t)(n + 1));
        if (isalpha((unsigned char)c)) {
            size_t j = i;
            while (j < len && pat[j] == c) j++;
            if (!strchr("GuyYMLdDEeacQqhHkKmsSnNAzZXxVOwWFB", c)) {
                free(t);
                strbuf_seterr(err, "unknown pattern letter '%c' in '%s'", c, pat);
                return -1;
            }
            t[n++] = (tok){ c, (int)(j - i), NULL, 0 };
            i = j;
        } else if (c == '\'') {
            size_t st = used;
            i++;
            if (i < len && pat[i] == '\'') { base[used++] = '\''; i++; }
            else {
                while (i < len) {
                    if (pat[i] == '\'') {
                        if (i + 1 < len && pat[i + 1] == '\'') { base[used++] = '\''; i += 2; continue; }
                        break;
                    }
                    base[used++] = pat[i++];
                }
                if (i >= len) { free(t); strbuf_seterr(err, "unterminated quote in pattern '%s'", pat); return -1; }
                i++;
            }
            t[n++] = (tok){ 0, 0, base + st, used - st };
        } else if (c == '[' || c == ']') {
            i++;
            continue;
        } else {
            base[used] = c;
            t[n++] = (tok){ 0, 0, base + used, 1 };
            used++;
            i++;
        }
    }
    *out = t;
    return n;
}

typedef struct bt {
    int64_t year; int month, day, hour, min, sec; long nano;
    int dow; int doy; int32_t off; const char *abbr; const char *zone;
} bt;

static void to_bt(int64_t epoch_ns, const el_tz *z, bt *b)
{
    int64_t secs = floordiv(epoch_ns, 1000000000LL);
    b->nano = (long)floormod(epoch_ns, 1000000000LL);
    b->off = el_tz_offset(z, secs, &b->abbr);
    b->zone = el_tz_name(z);
    int64_t local = secs + b->off;
    int64_t dn = floordiv(local, 86400);
    int64_t sod = floormod(local, 86400);
    el_civil_from_days(dn, &b->year, &b->month, &b->day);
    b->hour = (int)(sod / 3600);
    b->min = (int)(sod / 60 % 60);
    b->sec = (int)(sod % 60);
    b->dow = (int)floormod(dn + 3, 7); /* 0 = Monday */
    b->doy = (int)(dn - el_days_from_civil(b->year, 1, 1)) + 1;
}

static void pad_num(strbuf *out, int64_t v, int width)
{
    if (v < 0) { strbuf_addch(out, '-'); v = -v; }
    char buf[32];
    int k = snprintf(buf, sizeof buf, "%lld", (long long)v);
    for (int i = k; i < width; i++) strbuf_addch(out, '0');
    strbuf_add(out, buf, (size_t)k);
}

static void fmt_offset(strbuf *out, int32_t off, int colon, int with_secs, int minutes_optional)
{
    strbuf_addch(out, off < 0 ? '-' : '+');
    if (off < 0) off = -off;
    int h = off / 3600, m = off / 60 % 60, s = off % 60;
    strbuf_addf(out, "%02d", h);
    if (minutes_optional && !m && !s) return;
    if (colon) strbuf_addch(out, ':');
    strbuf_addf(out, "%02d", m);
    if (with_secs && s) { if (colon) strbuf_addch(out, ':'); strbuf_addf(out, "%02d", s); }
}

static int format_tokens(const tok *t, int n, const bt *b, strbuf *out, strbuf *err)
{
    for (int i = 0; i < n; i++) {
        int c = t[i].count;
        switch (t[i].ch) {
        case 0: strbuf_add(out, t[i].lit, t[i].litlen); break;
        case 'G': strbuf_addstr(out, c == 4 ? (b->year > 0 ? "Anno Domini" : "Before Christ") : (b->year > 0 ? "AD" : "BC")); break;
        case 'u': case 'y': case 'Y': {
            int64_t y = b->year;
            if (t[i].ch != 'u' && y <= 0) y = 1 - y;
            if (c == 2) pad_num(out, floormod(y, 100), 2);
            else pad_num(out, y, c);
            break;
        }
        case 'M': case 'L':
            if (c >= 4) strbuf_addstr(out, months[b->month - 1]);
            else if (c == 3) strbuf_add(out, months[b->month - 1], 3);
            else pad_num(out, b->month, c);
            break;
        case 'Q': case 'q': {
            int q = (b->month - 1) / 3 + 1;
            if (c >= 4) strbuf_addf(out, "%d%s quarter", q, q == 1 ? "st" : q == 2 ? "nd" : q == 3 ? "rd" : "th");
            else if (c == 3) strbuf_addf(out, "Q%d", q);
            else pad_num(out, q, c);
            break;
        }
        case 'd': pad_num(out, b->day, c); break;
        case 'D': pad_num(out, b->doy, c); break;
        case 'E': case 'e': case 'c':
            if ((t[i].ch == 'e' || t[i].ch == 'c') && c <= 2) { pad_num(out, (b->dow + 1) % 7 + 1, c); break; }
            if (c >= 4) strbuf_addstr(out, days[b->dow]);
            else if (c == 5) strbuf_add(out, days[b->dow], 1);
            else strbuf_add(out, days[b->dow], 3);
            break;
        case 'a': strbuf_addstr(out, b->hour < 12 ? "AM" : "PM"); break;
        case 'B': strbuf_addstr(out, b->hour < 12 ? "in the morning" : b->hour < 18 ? "in the afternoon" : "at night"); break;
        case 'h': pad_num(out, b->hour % 12 == 0 ? 12 : b->hour % 12, c); break;
        case 'H': pad_num(out, b->hour, c); break;
        case 'k': pad_num(out, b->hour == 0 ? 24 : b->hour, c); break;
        case 'K': pad_num(out, b->hour % 12, c); break;
        case 'm': pad_num(out, b->min, c); break;
        case 's': pad_num(out, b->sec, c); break;
        case 'S': {
            char buf[16];
            snprintf(buf, sizeof buf, "%09ld", b->nano);
            for (int k = 0; k < c; k++) strbuf_addch(out, k < 9 ? buf[k] : '0');
            break;
        }
        case 'n': pad_num(out, b->nano, c); break;
        case 'N': pad_num(out, ((int64_t)b->hour * 3600 + b->min * 60 + b->sec) * 1000000000LL + b->nano, c); break;
        case 'A': pad_num(out, ((int64_t)b->hour * 3600 + b->min * 60 + b->sec) * 1000 + b->nano / 1000000, c); break;
        case 'w': case 'W': case 'F': {
            int v = t[i].ch == 'F' ? (b->day - 1) / 7 + 1 : t[i].ch == 'W' ? (b->day + 6) / 7 : (b->doy + 6) / 7;
            pad_num(out, v, c);
            break;
        }
        case 'z':
            if (c >= 4) strbuf_addstr(out, b->zone);
            else if (b->abbr && isalpha((unsigned char)b->abbr[0])) strbuf_addstr(out, b->abbr);
            else { strbuf_addstr(out, "GMT"); fmt_offset(out, b->off, 1, 0, 0); }
            break;
        case 'V': strbuf_addstr(out, b->zone); break;
        case 'O':
            strbuf_addstr(out, "GMT");
            if (b->off) {
                if (c >= 4) fmt_offset(out, b->off, 1, 1, 0);
                else {
                    int32_t o = b->off < 0 ? -b->off : b->off;
                    strbuf_addf(out, "%c%d", b->off < 0 ? '-' : '+', o / 3600);
                    if (o / 60 % 60) strbuf_addf(out, ":%02d", o / 60 % 60);
                }
            }
            break;
        case 'Z':
            if (c <= 3) fmt_offset(out, b->off, 0, 0, 0);
            else if (c == 4) { strbuf_addstr(out, "GMT"); if (b->off) fmt_offset(out, b->off, 1, 1, 0); }
            else { if (!b->off) strbuf_addch(out, 'Z'); else fmt_offset(out, b->off, 1, 1, 0); }
            break;
        case 'X': case 'x':
            if (t[i].ch == 'X' && b->off == 0) { strbuf_addch(out, 'Z'); break; }
            if (c == 1) fmt_offset(out, b->off, 0, 0, 1);
            else if (c == 2 || c == 4) fmt_offset(out, b->off, 0, c == 4, 0);
            else fmt_offset(out, b->off, 1, c == 5, 0);
            break;
        default:
            strbuf_seterr(err, "unsupported pattern letter '%c'", t[i].ch);
            return -1;
        }
    }
    return 0;
}

int el_date_format(long long epoch_ns, const char *pattern, const char *tz, strbuf *out, strbuf *err)
{
    const el_tz *z = el_tz_get(tz ? tz : el_default_tz());
    if (!z) { strbuf_seterr(err, "unknown time zone '%s'", tz); return -1; }
    strbuf scratch = STRBUF_INIT;
    tok *t = NULL;
    int n = tokenize(pattern, &t, &scratch, err);
    if (n < 0) { strbuf_release(&scratch); return -1; }
    bt b;
    to_bt(epoch_ns, z, &b);
    int rc = format_tokens(t, n, &b, out, err);
    free(t);
    strbuf_release(&scratch);
    return rc;
}

static int is_numeric_tok(const tok *t)
{
    if (!t->ch) return 0;
    switch (t->ch) {
    case 'M': case 'L': case 'Q': case 'q': return t->count <= 2;
    case 'E': case 'a': case 'z': case 'Z': case 'X': case 'x': case 'V': case 'O': case 'G': case 'B': return 0;
    case 'e': case 'c': return t->count <= 2;
    default: return 1;
    }
}

typedef struct pf {
    int64_t year; int has_year;
    int month, day, hour, min, sec; long nano;
    int has_month, has_day, has_hour, doy, has_doy;
    int ampm; int hour12; int has_h12;
    int has_off; int32_t off;
    const el_tz *zone;
    int dow;
} pf;

static int read_digits(const char *s, size_t n, size_t *pos, int minw, int maxw, int64_t *v)
{
    size_t p = *pos;
    int k = 0;
    int64_t acc = 0;
    while (p < n && k < maxw && isdigit((unsigned char)s[p])) { acc = acc * 10 + (s[p] - '0'); p++; k++; if (acc > 100000000000000000LL) return -1; }
    if (k < minw) return -1;
    *pos = p;
    *v = acc;
    return k;
}

static int parse_offset(const char *s, size_t n, size_t *pos, int32_t *off, int allow_z)
{
    size_t p = *pos;
    if (allow_z && p < n && s[p] == 'Z') { *off = 0; *pos = p + 1; return 0; }
    if (p >= n || (s[p] != '+' && s[p] != '-')) return -1;
    int sign = s[p] == '-' ? -1 : 1;
    p++;
    int64_t h, m = 0, sec = 0;
    if (read_digits(s, n, &p, 2, 2, &h) < 0) return -1;
    if (p < n && s[p] == ':') { p++; if (read_digits(s, n, &p, 2, 2, &m) < 0) return -1; if (p < n && s[p] == ':') { p++; if (read_digits(s, n, &p, 2, 2, &sec) < 0) return -1; } }
    else if (p + 1 < n && isdigit((unsigned char)s[p]) && isdigit((unsigned char)s[p + 1])) { read_digits(s, n, &p, 2, 2, &m); }
    *off = sign * (int32_t)(h * 3600 + m * 60 + sec);
    *pos = p;
    return 0;
}

static const struct { const char *abbr; const char *zone; } zabbr[] = {
    { "UTC", "UTC" }, { "GMT", "GMT" }, { "Z", "UTC" }, { "EST", "America/New_York" }, { "EDT", "America/New_York" },
    { "CST", "America/Chicago" }, { "CDT", "America/Chicago" }, { "MST", "America/Denver" }, { "MDT", "America/Denver" },
    { "PST", "America/Los_Angeles" }, { "PDT", "America/Los_Angeles" }, { "CET", "Europe/Paris" }, { "CEST", "Europe/Paris" },
    { "EET", "Europe/Kiev" }, { "EEST", "Europe/Kiev" }, { "WET", "Europe/Lisbon" }, { "WEST", "Europe/Lisbon" },
    { "BST", "Europe/London" }, { "IST", "Asia/Kolkata" }, { "JST", "Asia/Tokyo" }, { "AEST", "Australia/Sydney" },
    { "AEDT", "Australia/Sydney" }, { NULL, NULL }
};

static int parse_zone_text(const char *s, size_t n, size_t *pos, pf *f)
{
    size_t p = *pos;
    size_t st = p;
    while (p < n && (isalnum((unsigned char)s[p]) || s[p] == '/' || s[p] == '_' || s[p] == '-' || s[p] == '+' || s[p] == ':')) p++;
    if (p == st) return -1;
    char name[128];
    size_t l = p - st < sizeof name - 1 ? p - st : sizeof name - 1;
    memcpy(name, s + st, l);
    name[l] = 0;
    for (int i = 0; zabbr[i].abbr; i++) {
        size_t al = strlen(zabbr[i].abbr);
        if (!strncmp(name, zabbr[i].abbr, al) && (name[al] == 0 || name[al] == '+' || name[al] == '-')) {
            if (name[al] == 0) {
                f->zone = el_tz_get(zabbr[i].zone);
                *pos = st + al;
                return f->zone ? 0 : -1;
            }
        }
    }
    const el_tz *z = el_tz_get(name);
    if (!z) return -1;
    f->zone = z;
    *pos = p;
    return 0;
}

#define NUMW(c) (lenient ? 1 : (c)), (adjacent ? (c) : ((c) == 1 || lenient ? 2 : (c)))
static int parse_tokens(const tok *t, int nt, const char *s, size_t n, pf *f, int lenient)
{
    size_t pos = 0;
    for (int i = 0; i < nt; i++) {
        int c = t[i].count;
        int adjacent = i + 1 < nt && is_numeric_tok(&t[i + 1]);
        int64_t v;
        switch (t[i].ch) {
        case 0:
            if (pos + t[i].litlen > n || memcmp(s + pos, t[i].lit, t[i].litlen)) return -1;
            pos += t[i].litlen;
            break;
        case 'y': case 'u': case 'Y': {
            int neg = 0;
            if (c == 2) {
                if (read_digits(s, n, &pos, 2, 2, &v) < 0) return -1;
                v += 2000;
            } else {
                if (c >= 4 && pos < n && (s[pos] == '-' || s[pos] == '+') && !adjacent) { neg = s[pos] == '-'; pos++; }
                if (read_digits(s, n, &pos, c, adjacent ? (c < 4 ? 19 : c) : 10, &v) < 0) return -1;
                if (c == 1 && adjacent) { /* greedy single-letter year before a number: be lenient */ }
            }
            f->year = neg ? -v : v;
            f->has_year = 1;
            break;
        }
        case 'M': case 'L':
            if (c >= 3) {
                size_t save = pos;
                int m = -1;
                if (c >= 4) {
                    for (int k = 0; k < 12; k++) { size_t l = strlen(months[k]); if (pos + l <= n && !strncasecmp(s + pos, months[k], l)) { m = k; pos += l; break; } }
                } else {
                    for (int k = 0; k < 12; k++) if (pos + 3 <= n && !strncasecmp(s + pos, months[k], 3)) { m = k; pos += 3; break; }
                }
                if (m < 0) { pos = save; return -1; }
                f->month = m + 1;
            } else {
                if (read_digits(s, n, &pos, NUMW(c), &v) < 0) return -1;
                f->month = (int)v;
            }
            f->has_month = 1;
            break;
        case 'd':
            if (read_digits(s, n, &pos, NUMW(c), &v) < 0) return -1;
            f->day = (int)v; f->has_day = 1;
            break;
        case 'D':
            if (read_digits(s, n, &pos, c, c < 3 && !adjacent ? 3 : c, &v) < 0) return -1;
            f->doy = (int)v; f->has_doy = 1;
            break;
        case 'H': case 'k':
            if (read_digits(s, n, &pos, NUMW(c), &v) < 0) return -1;
            f->hour = (int)(t[i].ch == 'k' && v == 24 ? 0 : v); f->has_hour = 1;
            break;
        case 'h': case 'K':
            if (read_digits(s, n, &pos, NUMW(c), &v) < 0) return -1;
            f->hour12 = (int)v; f->has_h12 = t[i].ch == 'h' ? 1 : 2;
            break;
        case 'm':
            if (read_digits(s, n, &pos, NUMW(c), &v) < 0) return -1;
            f->min = (int)v;
            break;
        case 's':
            if (read_digits(s, n, &pos, NUMW(c), &v) < 0) return -1;
            f->sec = (int)v;
            break;
        case 'S': {
            size_t st = pos;
            if (read_digits(s, n, &pos, c, c, &v) < 0) return -1;
            int k = (int)(pos - st);
            long nano = (long)v;
            for (; k < 9; k++) nano *= 10;
            for (; k > 9; k--) nano /= 10;
            f->nano = nano;
            break;
        }
        case 'n':
            if (read_digits(s, n, &pos, c, adjacent ? c : 9, &v) < 0) return -1;
            f->nano = (long)v;
            break;
        case 'a':
            if (pos + 2 <= n && !strncasecmp(s + pos, "AM", 2)) f->ampm = 1;
            else if (pos + 2 <= n && !strncasecmp(s + pos, "PM", 2)) f->ampm = 2;
            else return -1;
            pos += 2;
            break;
        case 'E': case 'e': case 'c': {
            if ((t[i].ch == 'e' || t[i].ch == 'c') && c <= 2) { if (read_digits(s, n, &pos, 1, c, &v) < 0) return -1; break; }
            int d = -1;
            for (int k = 0; k < 7 && d < 0; k++) { size_t l = strlen(days[k]); if (c >= 4 && pos + l <= n && !strncasecmp(s + pos, days[k], l)) { d = k; pos += l; } }
            for (int k = 0; k < 7 && d < 0; k++) if (pos + 3 <= n && !strncasecmp(s + pos, days[k], 3)) { d = k; pos += 3; }
            if (d < 0) return -1;
            f->dow = d + 1;
            break;
        }
        case 'G':
            if (pos + 2 <= n && (!strncasecmp(s + pos, "AD", 2) || !strncasecmp(s + pos, "BC", 2))) pos += 2;
            else return -1;
            break;
        case 'z': case 'V':
            if (parse_zone_text(s, n, &pos, f) < 0) return -1;
            break;
        case 'O':
            if (pos + 3 > n || strncmp(s + pos, "GMT", 3)) return -1;
            pos += 3;
            f->has_off = 1; f->off = 0;
            if (pos < n && (s[pos] == '+' || s[pos] == '-')) {
                int sign = s[pos] == '-' ? -1 : 1;
                pos++;
                int64_t h, m = 0;
                if (read_digits(s, n, &pos, 1, 2, &h) < 0) return -1;
                if (pos < n && s[pos] == ':') { pos++; if (read_digits(s, n, &pos, 2, 2, &m) < 0) return -1; }
                f->off = sign * (int32_t)(h * 3600 + m * 60);
            }
            break;
        case 'Z': case 'X': case 'x':
            if (t[i].ch == 'Z' && c == 4 && pos + 3 <= n && !strncmp(s + pos, "GMT", 3)) {
                pos += 3;
                f->has_off = 1; f->off = 0;
                if (pos < n && (s[pos] == '+' || s[pos] == '-') && parse_offset(s, n, &pos, &f->off, 0) < 0) return -1;
                break;
            }
            if (parse_offset(s, n, &pos, &f->off, t[i].ch != 'x') < 0) return -1;
            f->has_off = 1;
            break;
        case 'Q': case 'q':
            if (read_digits(s, n, &pos, 1, 1, &v) < 0) return -1;
            break;
        case 'w': case 'W': case 'F': case 'A': case 'N':
            if (read_digits(s, n, &pos, c, 19, &v) < 0) return -1;
            break;
        default:
            return -1;
        }
    }
    return pos == n ? 0 : -1;
}

int el_date_parse(const char *text, const char *pattern, const char *tz, int strict, long long *epoch_ns, strbuf *err)
{
    strbuf scratch = STRBUF_INIT;
    tok *t = NULL;
    int nt = tokenize(pattern, &t, &scratch, err);
    if (nt < 0) { strbuf_release(&scratch); return -1; }
    pf f;
    memset(&f, 0, sizeof f);
    f.year = 1970;
    f.month = 1;
    f.day = 1;
    int rc = parse_tokens(t, nt, text, strlen(text), &f, !strict);
    free(t);
    strbuf_release(&scratch);
    if (rc < 0) { strbuf_seterr(err, "cannot parse '%s' with the pattern '%s'", text, pattern); return -1; }
    if (f.has_h12) {
        if (f.has_h12 == 1 && (f.hour12 < 1 || f.hour12 > 12) && strict) goto bad;
        int h = f.hour12 % 12;
        if (f.ampm == 2) h += 12;
        f.hour = h;
    }
    if (f.has_doy && !f.has_month) {
        int maxd = (el_days_in_month(f.year, 2) == 29) ? 366 : 365;
        if (f.doy < 1 || f.doy > maxd) goto bad;
        int64_t dn = el_days_from_civil(f.year, 1, 1) + f.doy - 1;
        el_civil_from_days(dn, &f.year, &f.month, &f.day);
    }
    if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.min > 59 || f.sec > 59) goto bad;
    {
        int dim = el_days_in_month(f.has_year ? f.year : 2000, f.month);
        if (f.day > dim) {
            if (strict) goto bad;
            f.day = dim;
        }
    }
    {
        int64_t local = el_days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.min * 60 + f.sec;
        int64_t utc;
        if (f.has_off) utc = local - f.off;
        else {
            const el_tz *z = f.zone ? f.zone : el_tz_get(tz ? tz : el_default_tz());
            if (!z) { strbuf_seterr(err, "unknown time zone '%s'", tz); return -1; }
            if (el_tz_resolve(z, local, 0, 0, strict, &utc) < 0) goto bad;
        }
        if (utc > 9200000000LL || utc < -9200000000LL) goto bad;
        *epoch_ns = utc * 1000000000LL + f.nano;
    }
    return 0;
bad:
    strbuf_seterr(err, "'%s' is not a valid date for the pattern '%s'", text, pattern);
    return -1;
}

/* ---- durations ---- */
enum { U_NS, U_US, U_MS, U_S, U_MIN, U_H, U_D, U_W, U_MON, U_Y };

int el_duration_parse(const char *s, long long *amount, int *unit)
{
    static const struct { const char *name; int unit; } units[] = {
        { "nanosecond", U_NS }, { "microsecond", U_US }, { "millisecond", U_MS }, { "second", U_S }, { "minute", U_MIN },
        { "hour", U_H }, { "day", U_D }, { "week", U_W }, { "month", U_MON }, { "year", U_Y }, { NULL, 0 }
    };
    while (isspace((unsigned char)*s)) s++;
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p)) p++;
    if (p - s > 18) return -1;
    *amount = strtoll(s, NULL, 10);
    if (!isspace((unsigned char)*p)) return -1;
    while (isspace((unsigned char)*p)) p++;
    const char *w = p;
    while (isalpha((unsigned char)*p)) p++;
    size_t wl = (size_t)(p - w);
    while (isspace((unsigned char)*p)) p++;
    if (*p || !wl) return -1;
    for (int i = 0; units[i].name; i++) {
        size_t ul = strlen(units[i].name);
        if ((wl == ul || (wl == ul + 1 && (w[ul] == 's' || w[ul] == 'S'))) && !strncasecmp(w, units[i].name, ul)) {
            *unit = units[i].unit;
            return 0;
        }
    }
    return -1;
}

int el_date_add(long long epoch_ns, long long amount, int unit, const char *tz, long long *res, strbuf *err)
{
    static const long long mult[] = { 1LL, 1000LL, 1000000LL, 1000000000LL, 60000000000LL, 3600000000000LL };
    if (unit <= U_H) {
        __int128 r = (__int128)epoch_ns + (__int128)amount * mult[unit];
        if (r > LLONG_MAX || r < LLONG_MIN) { strbuf_seterr(err, "date arithmetic overflow"); return -1; }
        *res = (long long)r;
        return 0;
    }
    const el_tz *z = el_tz_get(tz);
    if (!z) { strbuf_seterr(err, "unknown time zone '%s'", tz); return -1; }
    int64_t secs = floordiv(epoch_ns, 1000000000LL);
    long nano = (long)floormod(epoch_ns, 1000000000LL);
    int32_t off = el_tz_offset(z, secs, NULL);
    int64_t local = secs + off;
    int64_t dn = floordiv(local, 86400), sod = floormod(local, 86400);
    if (amount > 100000000LL || amount < -100000000LL) { strbuf_seterr(err, "duration too large"); return -1; }
    if (unit == U_D || unit == U_W) dn += amount * (unit == U_W ? 7 : 1);
    else {
        int64_t y; int m, d;
        el_civil_from_days(dn, &y, &m, &d);
        int64_t mm = y * 12 + (m - 1) + (unit == U_Y ? amount * 12 : amount);
        y = floordiv(mm, 12);
        m = (int)floormod(mm, 12) + 1;
        int dim = el_days_in_month(y, m);
        if (d > dim) d = dim;
        dn = el_days_from_civil(y, m, d);
    }
    int64_t utc;
    el_tz_resolve(z, dn * 86400 + sod, 1, off, 0, &utc);
    if (utc > 9200000000LL || utc < -9200000000LL) { strbuf_seterr(err, "date arithmetic overflow"); return -1; }
    *res = utc * 1000000000LL + nano;
    return 0;
}

/* ---- rendering ---- */

void el_date_tostring(long long epoch_ms, strbuf *out)
{
    strbuf err = STRBUF_INIT;
    long long ns;
    if (__builtin_mul_overflow(epoch_ms, 1000000LL, &ns) ||
        el_date_format(ns, "EEE MMM dd HH:mm:ss zzz yyyy", el_default_tz(), out, &err) < 0)
        strbuf_addf(out, "%lld", epoch_ms);
    strbuf_release(&err);
}

void el_instant_tostring(long long ns, strbuf *out)
{
    strbuf err = STRBUF_INIT;
    long nano = (long)floormod(ns, 1000000000LL);
    el_date_format(ns, "uuuu-MM-dd'T'HH:mm:ss", "UTC", out, &err);
    if (nano) {
        if (nano % 1000000 == 0) strbuf_addf(out, ".%03ld", nano / 1000000);
        else if (nano % 1000 == 0) strbuf_addf(out, ".%06ld", nano / 1000);
        else strbuf_addf(out, ".%09ld", nano);
    }
    strbuf_addch(out, 'Z');
    strbuf_release(&err);
}

/* The implicit String -> Date conversion: NiFi's default formats. */
int el_date_from_string(const char *s, long long *ms)
{
    static const char *fmts[] = { "yyyy/MM/dd HH:mm:ss.SSS", "yyyy/MM/dd HH:mm:ss", "EEE MMM dd HH:mm:ss zzz yyyy", NULL };
    strbuf err = STRBUF_INIT;
    for (int i = 0; fmts[i]; i++) {
        long long ns;
        strbuf_reset(&err);
        if (el_date_parse(s, fmts[i], NULL, 0, &ns, &err) == 0) {
            strbuf_release(&err);
            *ms = floordiv(ns, 1000000);
            return 0;
        }
    }
    strbuf_release(&err);
    return -1;
}

int el_instant_parse_iso(const char *s, long long *ns)
{
    static const char *fmts[] = { "uuuu-MM-dd'T'HH:mm:ssXXX", "uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX", "uuuu-MM-dd'T'HH:mm:ss.SSSSSSXXX",
                                  "uuuu-MM-dd'T'HH:mm:ss.SSSXXX", "uuuu-MM-dd'T'HH:mmXXX", NULL };
    strbuf err = STRBUF_INIT;
    for (int i = 0; fmts[i]; i++) {
        strbuf_reset(&err);
        if (el_date_parse(s, fmts[i], "UTC", 1, ns, &err) == 0) { strbuf_release(&err); return 0; }
    }
    strbuf_release(&err);
    return -1;
}

/* ---- functions ---- */

/* subject -> epoch ns (Date/Instant/number ms/string). 1 ok, 0 null, -1 error */
static int ms_to_ns(el_ctx *c, const char *fn, long long ms, long long *ns)
{
    if (__builtin_mul_overflow(ms, 1000000LL, ns)) {
        strbuf_seterr(c->err, "%s(): %lld milliseconds is out of the supported date range", fn, ms);
        return -1;
    }
    return 1;
}

static int subject_ns(el_ctx *c, el_val *s, const char *fn, long long *ns)
{
    int dec; long long i; double d;
    switch (s->t) {
    case V_NULL: return 0;
    case V_DATE: return ms_to_ns(c, fn, s->i, ns);
    case V_INST: *ns = s->i; return 1;
    case V_WHOLE: return ms_to_ns(c, fn, s->i, ns);
    case V_DEC: return ms_to_ns(c, fn, el_d2l(s->d), ns);
    default: break;
    }
    el_val_to_str(s);
    if (el_parse_number_text(s->s, &dec, &i, &d) == 0) return ms_to_ns(c, fn, dec ? el_d2l(d) : i, ns);
    long long ms;
    if (el_date_from_string(s->s, &ms) == 0) return ms_to_ns(c, fn, ms, ns);
    strbuf_seterr(c->err, "%s(): cannot convert '%s' to a date", fn, s->s);
    return -1;
}

static int tz_arg(el_ctx *c, const el_node *n, el_val *a, int idx, const char *def, const char **tz)
{
    *tz = def;
    if (n->nargs > idx) {
        const char *z = el_s(&a[idx]);
        if (!z) return 0;
        if (!el_tz_get(z)) { strbuf_seterr(c->err, "%s(): unknown time zone '%s'", el_fns[n->fn].name, z); return -1; }
        *tz = z;
    }
    return 0;
}

static int to_date_common(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out, int instant)
{
    const char *fn = el_fns[n->fn].name;
    if (s->t == V_NULL) return 0;
    long long ns;
    if (n->nargs == 0) {
        int r = subject_ns(c, s, fn, &ns);
        if (r <= 0) return r;
    } else {
        const char *pat = el_s(&a[0]);
        const char *tz;
        if (tz_arg(c, n, a, 1, instant ? "UTC" : el_default_tz(), &tz) < 0) return -1;
        if (!pat) return 0;
        if (s->t == V_WHOLE || s->t == V_DATE || s->t == V_INST || s->t == V_DEC) {
            int r = subject_ns(c, s, fn, &ns);
            if (r <= 0) return r;
        } else {
            el_val_to_str(s);
            if (el_date_parse(s->s, pat, tz, 0, &ns, c->err) < 0) {
                strbuf e = STRBUF_INIT;
                strbuf_addf(&e, "%s(): %s", fn, c->err->buf);
                strbuf_seterr(c->err, "%s", e.buf);
                strbuf_release(&e);
                return -1;
            }
        }
    }
    if (instant) { out->t = V_INST; out->i = ns; }
    else { out->t = V_DATE; out->i = floordiv(ns, 1000000); }
    return 0;
}

int el_fn_toDate(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return to_date_common(c, n, s, a, out, 0); }
int el_fn_toInstant(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return to_date_common(c, n, s, a, out, 1); }

static int format_common(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out, int instant)
{
    const char *fn = el_fns[n->fn].name;
    long long ns;
    const char *tz;
    if (tz_arg(c, n, a, 1, instant ? "UTC" : el_default_tz(), &tz) < 0) return -1;
    int r = subject_ns(c, s, fn, &ns);
    if (r <= 0) return r;
    const char *pat = el_s(&a[0]);
    if (!pat) return 0;
    strbuf sb = STRBUF_INIT;
    if (el_date_format(ns, pat, tz, &sb, c->err) < 0) { strbuf_release(&sb); return -1; }
    el_val_take(out, &sb);
    return 0;
}

int el_fn_format(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return format_common(c, n, s, a, out, 0); }
int el_fn_formatInstant(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return format_common(c, n, s, a, out, 1); }

static void trim_copy(const char *s, strbuf *out)
{
    strbuf_addstr(out, s);
    strbuf_trim(out);
}

int el_fn_isValidDate(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    out->t = V_BOOL;
    out->i = 0;
    const char *tz;
    if (tz_arg(c, n, a, 1, el_default_tz(), &tz) < 0) return -1;
    if (!el_s(s)) return 0;
    const char *pat = el_s(&a[0]);
    if (!pat) return 0;
    strbuf t = STRBUF_INIT, e = STRBUF_INIT;
    trim_copy(s->s, &t);
    long long ns;
    out->i = el_date_parse(t.buf, pat, tz, 1, &ns, &e) == 0;
    strbuf_release(&t);
    strbuf_release(&e);
    return 0;
}

int el_fn_isValidInstant(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    out->t = V_BOOL;
    out->i = 0;
    if (!el_s(s)) return 0;
    strbuf t = STRBUF_INIT, e = STRBUF_INIT;
    trim_copy(s->s, &t);
    long long ns;
    if (n->nargs >= 1) {
        const char *tz;
        if (tz_arg(c, n, a, 1, "UTC", &tz) < 0) { strbuf_release(&t); strbuf_release(&e); return -1; }
        const char *pat = el_s(&a[0]);
        out->i = pat && el_date_parse(t.buf, pat, tz, 1, &ns, &e) == 0;
    } else {
        out->i = el_instant_parse_iso(t.buf, &ns) == 0;
    }
    strbuf_release(&t);
    strbuf_release(&e);
    return 0;
}

static int duration_common(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out, int sign, int instant)
{
    const char *fn = el_fns[n->fn].name;
    if (s->t == V_NULL) return 0;
    if (instant ? s->t != V_INST : s->t != V_DATE) {
        el_val_to_str(s);
        strbuf_seterr(c->err, "%s(): the subject '%s' is not %s", fn, s->s ? s->s : "", instant ? "an Instant (use toInstant())" : "a Date (use toDate())");
        return -1;
    }
    const char *d = el_s(&a[0]);
    long long amount;
    int unit;
    if (!d || el_duration_parse(d, &amount, &unit) < 0) {
        strbuf_seterr(c->err, "%s(): invalid duration '%s' (expected '<amount> <unit>', e.g. '2 hours')", fn, d ? d : "null");
        return -1;
    }
    const char *tz;
    if (tz_arg(c, n, a, 1, instant ? "UTC" : el_default_tz(), &tz) < 0) return -1;
    long long ns = s->i, r;
    if (!instant && ms_to_ns(c, fn, s->i, &ns) < 0) return -1;
    if (el_date_add(ns, sign * amount, unit, tz, &r, c->err) < 0) return -1;
    if (instant) { out->t = V_INST; out->i = r; }
    else { out->t = V_DATE; out->i = floordiv(r, 1000000); }
    return 0;
}

int el_fn_plusDuration(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return duration_common(c, n, s, a, out, 1, 0); }
int el_fn_minusDuration(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return duration_common(c, n, s, a, out, -1, 0); }
int el_fn_plusInstantDuration(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return duration_common(c, n, s, a, out, 1, 1); }
int el_fn_minusInstantDuration(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out) { return duration_common(c, n, s, a, out, -1, 1); }

int el_fn_toMicros(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)a;
    long long ns;
    int r = subject_ns(c, s, el_fns[n->fn].name, &ns);
    if (r <= 0) return r;
    out->t = V_WHOLE;
    out->i = floordiv(ns, 1000);
    return 0;
}

int el_fn_toNanos(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)a;
    long long ns;
    int r = subject_ns(c, s, el_fns[n->fn].name, &ns);
    if (r <= 0) return r;
    out->t = V_WHOLE;
    out->i = ns;
    return 0;
}

int el_fn_now(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out)
{
    (void)c; (void)n; (void)s; (void)a;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    out->t = V_DATE;
    out->i = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return 0;
}

int el_check_date_args(const el_node *call, strbuf *err)
{
    if (call->nargs >= 2 && call->args[1]->kind == N_STR && !el_tz_get(call->args[1]->s)) {
        strbuf_seterr(err, "unknown time zone '%s'", call->args[1]->s);
        return -1;
    }
    if (call->nargs >= 1 && call->args[0]->kind == N_STR) {
        strbuf scratch = STRBUF_INIT;
        tok *t = NULL;
        int nt = tokenize(call->args[0]->s, &t, &scratch, err);
        free(t);
        strbuf_release(&scratch);
        if (nt < 0) return -1;
    }
    return 0;
}

int el_check_duration(const el_node *call, strbuf *err)
{
    long long amount;
    int unit;
    if (call->args[0]->kind == N_STR && el_duration_parse(call->args[0]->s, &amount, &unit) < 0) {
        strbuf_seterr(err, "invalid duration '%s' (expected '<amount> <unit>', e.g. '2 hours')", call->args[0]->s);
        return -1;
    }
    if (call->nargs >= 2 && call->args[1]->kind == N_STR && !el_tz_get(call->args[1]->s)) {
        strbuf_seterr(err, "unknown time zone '%s'", call->args[1]->s);
        return -1;
    }
    return 0;
}
