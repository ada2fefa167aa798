/*
 * strbuf.c: growable byte buffer. See strbuf.h for the contract.
 *
 * Growth is geometric (x1.5, at least the requested size) so that appending
 * byte by byte stays linear. The shared slop buffer is never written to: any
 * write first allocates a real buffer.
 */
#include "strbuf.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char strbuf_slopbuf[1];

void strbuf_init(strbuf *sb, size_t hint)
{
    sb->buf = strbuf_slopbuf;
    sb->len = 0;
    sb->alloc = 0;
    if (hint)
        strbuf_grow(sb, hint);
}

void strbuf_release(strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, 0);
}

char *strbuf_detach(strbuf *sb, size_t *len)
{
    char *r;
    if (!sb->alloc)
        strbuf_grow(sb, 0);
    r = sb->buf;
    if (len)
        *len = sb->len;
    strbuf_init(sb, 0);
    return r;
}

void strbuf_grow(strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return;
    size_t n = sb->alloc ? sb->alloc + sb->alloc / 2 : 64;
    if (n < need)
        n = need;
    if (!sb->alloc) {
        sb->buf = xrealloc(NULL, n);
        sb->buf[0] = '\0';
    } else {
        sb->buf = xrealloc(sb->buf, n);
    }
    sb->alloc = n;
}

void strbuf_reset(strbuf *sb)
{
    strbuf_setlen(sb, 0);
}

void strbuf_setlen(strbuf *sb, size_t len)
{
    if (!sb->alloc)
        return;
    if (len > sb->len)
        len = sb->len;
    sb->len = len;
    sb->buf[len] = '\0';
}

void strbuf_add(strbuf *sb, const void *data, size_t len)
{
    if (!len)
        return;
    strbuf_grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void strbuf_insertstr(strbuf *sb, size_t pos, const char *s)
{
    size_t n = strlen(s);
    if (pos > sb->len)
        pos = sb->len;
    strbuf_grow(sb, n);
    memmove(sb->buf + pos + n, sb->buf + pos, sb->len - pos + 1);
    memcpy(sb->buf + pos, s, n);
    sb->len += n;
}

void strbuf_addstr(strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_vaddf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n <= 0)
        return;
    strbuf_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void strbuf_addf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_setf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    strbuf_reset(sb);
    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_seterr(strbuf *err, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return;
    strbuf_reset(err);
    va_start(ap, fmt);
    strbuf_vaddf(err, fmt, ap);
    va_end(ap);
}

void strbuf_add_json_escaped(strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': strbuf_add(sb, "\\\"", 2); break;
        case '\\': strbuf_add(sb, "\\\\", 2); break;
        case '\n': strbuf_add(sb, "\\n", 2); break;
        case '\r': strbuf_add(sb, "\\r", 2); break;
        case '\t': strbuf_add(sb, "\\t", 2); break;
        case '\b': strbuf_add(sb, "\\b", 2); break;
        case '\f': strbuf_add(sb, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                strbuf_add(sb, u, 6);
            } else {
                strbuf_addch(sb, c);
            }
        }
    }
}

void strbuf_add_urlencoded(strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            strbuf_addch(sb, c);
        } else {
            strbuf_addch(sb, '%');
            strbuf_addch(sb, hex[c >> 4]);
            strbuf_addch(sb, hex[c & 15]);
        }
    }
}

void strbuf_add_base64(strbuf *sb, const void *data, size_t len)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = data;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < len ? s[i + 2] : 0);
        char q[4] = { t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < len ? t[v >> 6 & 63] : '=', i + 2 < len ? t[v & 63] : '=' };
        strbuf_add(sb, q, 4);
    }
}

void strbuf_trim(strbuf *sb)
{
    size_t b = 0, e = sb->len;
    while (b < e && (sb->buf[b] == ' ' || sb->buf[b] == '\t' || sb->buf[b] == '\n' || sb->buf[b] == '\r'))
        b++;
    while (e > b && (sb->buf[e - 1] == ' ' || sb->buf[e - 1] == '\t' || sb->buf[e - 1] == '\n' || sb->buf[e - 1] == '\r'))
        e--;
    if (!sb->alloc)
        return;
    memmove(sb->buf, sb->buf + b, e - b);
    strbuf_setlen(sb, e - b);
}

int strbuf_read_file(strbuf *sb, const char *path)
{
    FILE *f = fopen(path, "rb");
    char tmp[65536];
    size_t n;
    if (!f)
        return -1;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        strbuf_add(sb, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        errno = EIO;
        return -1;
    }
    return 0;
}
