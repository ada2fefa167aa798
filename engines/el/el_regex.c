/*
 * el_regex.c: Java-flavoured regular expressions on top of PCRE2.
 *
 * Patterns are translated where Java and PCRE2 differ (Java's \p{Alpha}-style
 * POSIX names become [:alpha:] classes, \p{javaLowerCase} and friends become
 * Unicode properties); everything else (groups, lookaround, \Q..\E,
 * possessive quantifiers, named groups) is the same syntax. Replacement
 * strings follow java.util.regex.Matcher: $n (as many digits as form a valid
 * group), ${name}, and backslash escapes; a bad group reference is an error.
 * Empty matches advance one character, as Java does.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "el_fn.h"
#include "xalloc.h"

struct el_re {
    pcre2_code *code;
    uint32_t ngroups;
};

static const struct { const char *java, *posix; } posix_names[] = {
    { "Lower", "lower" }, { "Upper", "upper" }, { "ASCII", "ascii" }, { "Alpha", "alpha" },
    { "Digit", "digit" }, { "Alnum", "alnum" }, { "Punct", "punct" }, { "Graph", "graph" },
    { "Print", "print" }, { "Blank", "blank" }, { "Cntrl", "cntrl" }, { "XDigit", "xdigit" },
    { "Space", "space" }, { NULL, NULL }
};

static const struct { const char *java, *pcre; } prop_names[] = {
    { "javaLowerCase", "\\p{Ll}" }, { "javaUpperCase", "\\p{Lu}" }, { "javaWhitespace", "\\s" },
    { "javaMirrored", "\\p{Sm}" }, { "IsAlphabetic", "\\p{L}" }, { "IsLetter", "\\p{L}" },
    { "IsDigit", "\\p{Nd}" }, { "IsUppercase", "\\p{Lu}" }, { "IsLowercase", "\\p{Ll}" },
    { "IsWhite_Space", "\\s" }, { "IsPunctuation", "\\p{P}" }, { NULL, NULL }
};

static void translate(const char *p, size_t n, strbuf *out)
{
    int in_class = 0, in_quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_quote) {
            if (c == '\\' && i + 1 < n && p[i + 1] == 'E') { in_quote = 0; strbuf_add(out, "\\E", 2); i++; continue; }
            strbuf_addch(out, c);
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            char d = p[i + 1];
            if (d == 'Q') { in_quote = 1; strbuf_add(out, "\\Q", 2); i++; continue; }
            if ((d == 'p' || d == 'P') && i + 2 < n && p[i + 2] == '{') {
                const char *close = memchr(p + i + 3, '}', n - i - 3);
                if (close) {
                    size_t nl = (size_t)(close - (p + i + 3));
                    const char *nm = p + i + 3;
                    if (nl > 2 && !strncmp(nm, "Is", 2) && nl < 40) {
                        /* \p{IsLatin} style script names: PCRE wants \p{Latin} */
                    }
                    int done = 0;
                    for (int k = 0; posix_names[k].java; k++) {
                        if (strlen(posix_names[k].java) == nl && !memcmp(nm, posix_names[k].java, nl)) {
                            if (!in_class) strbuf_addch(out, '[');
                            strbuf_addf(out, "[:%s%s:]", d == 'P' ? "^" : "", posix_names[k].posix);
                            if (!in_class) strbuf_addch(out, ']');
                            done = 1;
                            break;
                        }
                    }
                    for (int k = 0; !done && prop_names[k].java; k++) {
                        if (strlen(prop_names[k].java) == nl && !memcmp(nm, prop_names[k].java, nl)) {
                            const char *r = prop_names[k].pcre;
                            if (d == 'P') {
                                if (r[1] == 'p') strbuf_addf(out, "\\P%s", r + 2);
                                else strbuf_addf(out, "\\%c", r[1] - 32);
                            } else strbuf_addstr(out, r);
                            done = 1;
                        }
                    }
                    if (!done && nl > 2 && !strncmp(nm, "In", 2)) {
                        /* Unicode blocks (\p{InGreek}) are not in PCRE2: accept the script */
                        strbuf_addf(out, "\\%c{%.*s}", d, (int)(nl - 2), nm + 2);
                        done = 1;
                    }
                    if (!done && nl > 2 && !strncmp(nm, "Is", 2)) {
                        strbuf_addf(out, "\\%c{%.*s}", d, (int)(nl - 2), nm + 2);
                        done = 1;
                    }
                    if (done) { i = (size_t)(close - p); continue; }
                }
            }
            if ((d == 'b' || d == 'B') && !in_class && i + 2 < n && p[i + 2] && strchr("?*+{", p[i + 2])) {
                /* Java lets a quantifier follow \b; PCRE2 needs a group */
                strbuf_addf(out, "(?:\\%c)", d);
                i++;
                continue;
            }
            strbuf_addch(out, c);
            strbuf_addch(out, d);
            i++;
            continue;
        }
        if (c == '[') {
            if (in_class) {
                /* Java nested class union [a[bc]]: PCRE treats '[' literally except [: */
                strbuf_addch(out, c);
                continue;
            }
            in_class = 1;
            strbuf_addch(out, c);
            if (i + 1 < n && p[i + 1] == '^') { strbuf_addch(out, '^'); i++; }
            if (i + 1 < n && p[i + 1] == ']') { strbuf_add(out, "\\]", 2); i++; }
            continue;
        }
        if (c == ']' && in_class) { in_class = 0; strbuf_addch(out, c); continue; }
        strbuf_addch(out, c);
    }
}

el_re *el_re_compile(const char *pat, size_t len, strbuf *err)
{
    strbuf t = STRBUF_INIT;
    translate(pat, len, &t);
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)t.buf, t.len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        strbuf_seterr(err, "invalid regular expression '%.*s': %s", (int)(len > 200 ? 200 : len), pat, (char *)msg);
        strbuf_release(&t);
        return NULL;
    }
    strbuf_release(&t);
    el_re *re = xcalloc(1, sizeof(*re));
    re->code = code;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &re->ngroups);
    return re;
}

void el_re_free(el_re *re)
{
    if (!re) return;
    pcre2_code_free(re->code);
    free(re);
}

int el_re_match(const el_re *re, const char *s, size_t n, int full)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (!md) return -1;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, full ? (PCRE2_ANCHORED | PCRE2_ENDANCHORED) : 0, md, NULL);
    pcre2_match_data_free(md);
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ? -1 : 0;
}

long el_re_search(const el_re *re, const char *s, size_t n, size_t start, size_t *mend)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (!md) return -1;
    long r = -1;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, 0, md, NULL);
    if (rc >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        r = (long)ov[0];
        if (mend) *mend = ov[1];
    }
    pcre2_match_data_free(md);
    return r;
}

static int append_repl(const el_re *re, const char *s, PCRE2_SIZE *ov, const char *r, size_t rl, strbuf *out, strbuf *err)
{
    for (size_t i = 0; i < rl; i++) {
        char c = r[i];
        if (c == '\\') {
            if (++i >= rl) { strbuf_seterr(err, "character to be escaped is missing in the replacement"); return -1; }
            strbuf_addch(out, r[i]);
        } else if (c == '$') {
            if (++i >= rl) { strbuf_seterr(err, "illegal group reference: '$' at the end of the replacement"); return -1; }
            uint32_t g;
            if (r[i] == '{') {
                const char *close = memchr(r + i, '}', rl - i);
                if (!close) { strbuf_seterr(err, "named capturing group is missing trailing '}'"); return -1; }
                char name[64];
                size_t nl = (size_t)(close - (r + i + 1));
                if (!nl || nl >= sizeof name) { strbuf_seterr(err, "bad named group in the replacement"); return -1; }
                memcpy(name, r + i + 1, nl);
                name[nl] = 0;
                int num = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
                if (num < 0) { strbuf_seterr(err, "no group with name {%s}", name); return -1; }
                g = (uint32_t)num;
                i = (size_t)(close - r);
            } else {
                if (r[i] < '0' || r[i] > '9') { strbuf_seterr(err, "illegal group reference in the replacement"); return -1; }
                g = (uint32_t)(r[i] - '0');
                if (g > re->ngroups) { strbuf_seterr(err, "no group %u in the pattern", g); return -1; }
                while (i + 1 < rl && r[i + 1] >= '0' && r[i + 1] <= '9') {
                    uint32_t ng = g * 10 + (uint32_t)(r[i + 1] - '0');
                    if (ng > re->ngroups) break;
                    g = ng;
                    i++;
                }
            }
            if (ov[2 * g] != PCRE2_UNSET)
                strbuf_add(out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        } else {
            strbuf_addch(out, c);
        }
    }
    return 0;
}

int el_re_replace(const el_re *re, const char *s, size_t n, const char *repl, size_t rlen, int all, strbuf *out, strbuf *err)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (!md) abort();
    size_t pos = 0, copied = 0;
    int rc = 0;
    while (pos <= n) {
        int m = pcre2_match(re->code, (PCRE2_SPTR)s, n, pos, 0, md, NULL);
        if (m == PCRE2_ERROR_NOMATCH) break;
        if (m < 0) { strbuf_seterr(err, "regular expression match failed (%d)", m); rc = -1; break; }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        strbuf_add(out, s + copied, ov[0] - copied);
        if (append_repl(re, s, ov, repl, rlen, out, err) < 0) { rc = -1; break; }
        copied = ov[1];
        if (!all) break;
        if (ov[1] == ov[0]) {
            if (ov[1] >= n) { pos = n + 1; break; }
            /* step over one (UTF-8) character */
            size_t nx = ov[1] + 1;
            while (nx < n && ((unsigned char)s[nx] & 0xC0) == 0x80) nx++;
            strbuf_add(out, s + copied, nx - copied);
            copied = nx;
            pos = nx;
        } else {
            pos = ov[1];
        }
    }
    pcre2_match_data_free(md);
    if (rc == 0 && copied < n) strbuf_add(out, s + copied, n - copied);
    return rc;
}

int el_check_regex(const el_node *call, strbuf *err)
{
    const el_node *a = call->args[0];
    if (a->kind != N_STR) return 0;
    el_re *re = el_re_compile(a->s, a->n, err);
    if (!re) return -1;
    el_re_free(re);
    return 0;
}
