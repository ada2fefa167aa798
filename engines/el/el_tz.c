/*
 * el_tz.c: time zones from the system tz database (/usr/share/zoneinfo).
 *
 * A zone is loaded once from its TZif file (version 2+ 64-bit data) and kept
 * in a process-wide cache guarded by a mutex; entries live until exit. Times
 * past the last transition use the file's POSIX TZ footer rule
 * ("CET-1CEST,M3.5.0,M10.5.0/3"). Fixed offsets (UTC, GMT, Z, +02:00,
 * GMT+2, UTC-05:30) need no file. local->UTC resolution follows
 * java.time: in an overlap the earlier offset (or a preferred one) wins; in
 * a gap the time is pushed forward by the gap's length (strict mode fails).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el_date.h"
#include "xalloc.h"

typedef struct rule_end { int m, w, d; int secs; } rule_end;

struct el_tz {
    char name[128];
    int nt;
    int64_t *trans;
    uint8_t *tidx;
    int ntypes;
    int32_t *off;
    uint8_t *isdst;
    uint8_t *abbri;
    char *chars;
    int fixed;
    int32_t fixed_off;
    /* footer */
    int has_rule;
    int32_t std_off, dst_off;
    char std_abbr[16], dst_abbr[16];
    int has_dst;
    rule_end start, end;
    struct el_tz *next;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static el_tz *tz_cache;

static int64_t be64(const unsigned char *p) { uint64_t v = 0; for (int i = 0; i < 8; i++) v = v << 8 | p[i]; return (int64_t)v; }
static int32_t be32(const unsigned char *p) { return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]); }

static const char *parse_abbr(const char *p, char *out)
{
    int k = 0;
    if (*p == '<') {
        p++;
        while (*p && *p != '>') { if (k < 15) out[k++] = *p; p++; }
        if (*p == '>') p++;
    } else {
        while (isalpha((unsigned char)*p)) { if (k < 15) out[k++] = *p; p++; }
    }
    out[k] = 0;
    return p;
}

static const char *parse_hms(const char *p, int *secs)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (*p == '+') p++;
    else if (*p == '-') { sign = -1; p++; }
    while (isdigit((unsigned char)*p)) h = h * 10 + (*p++ - '0');
    if (*p == ':') { p++; while (isdigit((unsigned char)*p)) m = m * 10 + (*p++ - '0'); }
    if (*p == ':') { p++; while (isdigit((unsigned char)*p)) s = s * 10 + (*p++ - '0'); }
    *secs = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_rule_end(const char *p, rule_end *r)
{
    r->secs = 7200;
    if (*p != 'M') return NULL;
    p++;
    r->m = atoi(p); while (isdigit((unsigned char)*p)) p++;
    if (*p++ != '.') return NULL;
    r->w = atoi(p); while (isdigit((unsigned char)*p)) p++;
    if (*p++ != '.') return NULL;
    r->d = atoi(p); while (isdigit((unsigned char)*p)) p++;
    if (*p == '/') { p++; p = parse_hms(p, &r->secs); }
    return p;
}

static void parse_footer(el_tz *z, const char *f)
{
    char a[16];
    int secs;
    const char *p = parse_abbr(f, a);
    if (!a[0]) return;
    strcpy(z->std_abbr, a);
    p = parse_hms(p, &secs);
    z->std_off = -secs;
    z->has_rule = 1;
    if (!*p) return;
    p = parse_abbr(p, a);
    if (!a[0]) return;
    strcpy(z->dst_abbr, a);
    z->dst_off = z->std_off + 3600;
    if (*p && *p != ',') { p = parse_hms(p, &secs); z->dst_off = -secs; }
    if (*p != ',') return;
    p = parse_rule_end(p + 1, &z->start);
    if (!p || *p != ',') return;
    p = parse_rule_end(p + 1, &z->end);
    if (!p) return;
    z->has_dst = 1;
}

/* day number (days since 1970-01-01) for a date */
int64_t el_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void el_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

int el_days_in_month(int64_t y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[(m - 1) % 12];
}

/* UTC seconds of a rule transition in year y, given the offset in force before it */
static int64_t rule_time(const rule_end *r, int64_t y, int32_t off_before)
{
    int64_t first = el_days_from_civil(y, r->m, 1);
    int dow_first = (int)(((first % 7) + 7 + 4) % 7); /* 0 = Sunday */
    int day = 1 + ((r->d - dow_first) + 7) % 7;
    day += (r->w - 1) * 7;
    int dim = el_days_in_month(y, r->m);
    while (day > dim) day -= 7;
    return (el_days_from_civil(y, r->m, day)) * 86400 + r->secs - off_before;
}

static void rule_offset(const el_tz *z, int64_t t, int32_t *off, const char **abbr)
{
    if (!z->has_dst) { *off = z->std_off; if (abbr) *abbr = z->std_abbr; return; }
    int64_t y; int m, d;
    el_civil_from_days((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0), &y, &m, &d);
    int64_t s = rule_time(&z->start, y, z->std_off), e = rule_time(&z->end, y, z->dst_off);
    int in_dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
    *off = in_dst ? z->dst_off : z->std_off;
    if (abbr) *abbr = in_dst ? z->dst_abbr : z->std_abbr;
}

static int parse_fixed(const char *name, int32_t *off)
{
    const char *p = name;
    if (!strcmp(p, "Z") || !strcmp(p, "UTC") || !strcmp(p, "GMT") || !strcmp(p, "UT")) { *off = 0; return 0; }
    if (!strncmp(p, "UTC", 3)) p += 3;
    else if (!strncmp(p, "GMT", 3)) p += 3;
    else if (!strncmp(p, "UT", 2)) p += 2;
    if (*p != '+' && *p != '-') return -1;
    int sign = *p == '-' ? -1 : 1;
    p++;
    int h = 0, m = 0, s = 0, nd = 0;
    while (isdigit((unsigned char)*p) && nd < 2) { h = h * 10 + (*p++ - '0'); nd++; }
    if (!nd) return -1;
    if (*p == ':') p++;
    if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) { m = (p[0] - '0') * 10 + p[1] - '0'; p += 2; }
    if (*p == ':') p++;
    if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) { s = (p[0] - '0') * 10 + p[1] - '0'; p += 2; }
    if (*p || h > 18 || m > 59 || s > 59) return -1;
    *off = sign * (h * 3600 + m * 60 + s);
    return 0;
}

static el_tz *load(const char *name)
{
    el_tz *z = xcalloc(1, sizeof(*z));
    snprintf(z->name, sizeof z->name, "%s", name);
    int32_t fo;
    if (parse_fixed(name, &fo) == 0) { z->fixed = 1; z->fixed_off = fo; return z; }
    if (!*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 100) { free(z); return NULL; }
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p)) { free(z); return NULL; }
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0 || sb.len < 44 || memcmp(sb.buf, "TZif", 4)) { strbuf_release(&sb); free(z); return NULL; }
    const unsigned char *b = (const unsigned char *)sb.buf;
    size_t len = sb.len;
    /* skip v1 block */
    int32_t isutc = be32(b + 20), isstd = be32(b + 24), leap = be32(b + 28), timecnt = be32(b + 32), typecnt = be32(b + 36), charcnt = be32(b + 40);
    size_t v1 = 44 + (size_t)timecnt * 5 + (size_t)typecnt * 6 + (size_t)charcnt + (size_t)leap * 8 + (size_t)isstd + (size_t)isutc;
    int ver2 = b[4] >= '2';
    size_t h = ver2 ? v1 : 0;
    int tsz = ver2 ? 8 : 4;
    if (h + 44 > len) goto bad;
    isutc = be32(b + h + 20); isstd = be32(b + h + 24); leap = be32(b + h + 28);
    timecnt = be32(b + h + 32); typecnt = be32(b + h + 36); charcnt = be32(b + h + 40);
    if (timecnt < 0 || typecnt <= 0 || charcnt < 0 || leap < 0 || isstd < 0 || isutc < 0) goto bad;
    size_t p = h + 44;
    size_t need = (size_t)timecnt * (size_t)(tsz + 1) + (size_t)typecnt * 6 + (size_t)charcnt + (size_t)leap * (size_t)(tsz + 4) + (size_t)isstd + (size_t)isutc;
    if (p + need > len) goto bad;
    z->nt = timecnt;
    z->trans = xcalloc((size_t)timecnt + 1, sizeof(int64_t));
    z->tidx = xcalloc((size_t)timecnt + 1, 1);
    z->ntypes = typecnt;
    z->off = xcalloc((size_t)typecnt, sizeof(int32_t));
    z->isdst = xcalloc((size_t)typecnt, 1);
    z->abbri = xcalloc((size_t)typecnt, 1);
    z->chars = xcalloc((size_t)charcnt + 1, 1);
    for (int i = 0; i < timecnt; i++) z->trans[i] = tsz == 8 ? be64(b + p + (size_t)i * 8) : be32(b + p + (size_t)i * 4);
    p += (size_t)timecnt * (size_t)tsz;
    for (int i = 0; i < timecnt; i++) { z->tidx[i] = b[p + (size_t)i]; if (z->tidx[i] >= typecnt) goto bad; }
    p += (size_t)timecnt;
    for (int i = 0; i < typecnt; i++) {
        z->off[i] = be32(b + p);
        z->isdst[i] = b[p + 4];
        z->abbri[i] = b[p + 5] < charcnt ? b[p + 5] : 0;
        p += 6;
    }
    memcpy(z->chars, b + p, (size_t)charcnt);
    p += (size_t)charcnt + (size_t)leap * (size_t)(tsz + 4) + (size_t)isstd + (size_t)isutc;
    if (ver2 && p < len && b[p] == '\n') {
        const char *f = (const char *)b + p + 1;
        const char *e = memchr(f, '\n', len - p - 1);
        if (e && e > f) {
            char foot[128];
            size_t fl = (size_t)(e - f) < sizeof foot - 1 ? (size_t)(e - f) : sizeof foot - 1;
            memcpy(foot, f, fl);
            foot[fl] = 0;
            parse_footer(z, foot);
        }
    }
    strbuf_release(&sb);
    return z;
bad:
    strbuf_release(&sb);
    free(z->trans); free(z->tidx); free(z->off); free(z->isdst); free(z->abbri); free(z->chars);
    free(z);
    return NULL;
}

const el_tz *el_tz_get(const char *name)
{
    if (!name) return NULL;
    pthread_mutex_lock(&tz_lock);
    el_tz *z;
    for (z = tz_cache; z; z = z->next)
        if (!strcmp(z->name, name)) break;
    if (!z) {
        z = load(name);
        if (z) { z->next = tz_cache; tz_cache = z; }
    }
    pthread_mutex_unlock(&tz_lock);
    return z;
}

int el_tz_valid(const char *name)
{
    return el_tz_get(name) != NULL;
}

const char *el_tz_name(const el_tz *z) { return z->name; }

int32_t el_tz_offset(const el_tz *z, int64_t t, const char **abbr)
{
    if (z->fixed) {
        if (abbr) *abbr = z->fixed_off == 0 ? (!strcmp(z->name, "GMT") ? "GMT" : "UTC") : NULL;
        return z->fixed_off;
    }
    if (z->nt == 0 || t >= z->trans[z->nt - 1]) {
        if (z->has_rule && (z->nt == 0 || t >= z->trans[z->nt - 1])) {
            int32_t off; const char *ab;
            rule_offset(z, t, &off, &ab);
            if (abbr) *abbr = ab;
            return off;
        }
        int ti = z->nt ? z->tidx[z->nt - 1] : 0;
        if (abbr) *abbr = z->chars + z->abbri[ti];
        return z->off[ti];
    }
    int ti;
    if (t < z->trans[0]) {
        ti = 0;
        for (int i = 0; i < z->ntypes; i++) if (!z->isdst[i]) { ti = i; break; }
    } else {
        int lo = 0, hi = z->nt - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (z->trans[mid] <= t) lo = mid; else hi = mid - 1;
        }
        ti = z->tidx[lo];
    }
    if (abbr) *abbr = z->chars + z->abbri[ti];
    return z->off[ti];
}

/* local seconds (wall clock as if UTC) -> UTC seconds. 0, or -1 in a gap when strict. */
int el_tz_resolve(const el_tz *z, int64_t local, int has_pref, int32_t pref, int strict, int64_t *utc)
{
    int32_t cands[3];
    cands[0] = el_tz_offset(z, local - 86400, NULL);
    cands[1] = el_tz_offset(z, local + 86400, NULL);
    cands[2] = el_tz_offset(z, local - el_tz_offset(z, local, NULL), NULL);
    int32_t valid[3];
    int nv = 0;
    for (int i = 0; i < 3; i++) {
        int32_t o = cands[i];
        if (el_tz_offset(z, local - o, NULL) != o) continue;
        int dup = 0;
        for (int k = 0; k < nv; k++) if (valid[k] == o) dup = 1;
        if (!dup) valid[nv++] = o;
    }
    if (nv == 1) { *utc = local - valid[0]; return 0; }
    if (nv >= 2) {
        if (has_pref) for (int k = 0; k < nv; k++) if (valid[k] == pref) { *utc = local - pref; return 0; }
        int32_t best = valid[0];
        for (int k = 1; k < nv; k++) if (valid[k] > best) best = valid[k];
        *utc = local - best;
        return 0;
    }
    if (strict) return -1;
    /* gap: use the offset before the transition */
    *utc = local - cands[0];
    return 0;
}
