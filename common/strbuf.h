/*
 * strbuf: the one growable byte buffer used everywhere in flowfleet.
 *
 * Modelled on git's strbuf. `buf` is always NUL-terminated and never NULL:
 * a fresh buffer points at a shared empty string, so `sb.buf` can be printed
 * or compared at any time. `len` excludes the terminating NUL. Binary data
 * (msgpack, HTTP bodies) is fine: use `len`, not strlen.
 *
 * Ownership: the strbuf owns `buf`; strbuf_release() frees it and leaves an
 * empty buffer; strbuf_detach() hands the malloc'd string to the caller.
 * Allocation failure aborts the process (there is nothing sensible to do).
 */
#ifndef FF_STRBUF_H
#define FF_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *buf;
    size_t len;
    size_t alloc;
} strbuf;

extern char strbuf_slopbuf[];
#define STRBUF_INIT { strbuf_slopbuf, 0, 0 }

void strbuf_init(strbuf *sb, size_t hint);
void strbuf_release(strbuf *sb);
/* Returns the buffer (caller frees); sb is left empty. len may be NULL. */
char *strbuf_detach(strbuf *sb, size_t *len);
void strbuf_grow(strbuf *sb, size_t extra);
void strbuf_reset(strbuf *sb);
void strbuf_setlen(strbuf *sb, size_t len);

void strbuf_add(strbuf *sb, const void *data, size_t len);
void strbuf_addstr(strbuf *sb, const char *s);
/* Inserts s at pos (at most len): "lease: " before an error message. */
void strbuf_insertstr(strbuf *sb, size_t pos, const char *s);
/* Inline, as git's is: writers call it for every bracket and comma. */
static inline void strbuf_addch(strbuf *sb, int c)
{
    if (sb->len + 2 > sb->alloc)
        strbuf_grow(sb, 1);
    sb->buf[sb->len++] = (char)c;
    sb->buf[sb->len] = '\0';
}
void strbuf_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(strbuf *sb, const char *fmt, va_list ap);
/* Replaces the contents with the formatted text. */
void strbuf_setf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with JSON string escaping (no surrounding quotes). */
void strbuf_add_json_escaped(strbuf *sb, const char *s, size_t len);
/* Appends s percent-encoded for a URL component (RFC 3986 unreserved kept). */
void strbuf_add_urlencoded(strbuf *sb, const char *s, size_t len);
/* Appends data base64-encoded (RFC 4648 standard alphabet, '=' padding). */
void strbuf_add_base64(strbuf *sb, const void *data, size_t len);
void strbuf_trim(strbuf *sb);

/* Reads a whole file; 0 on success, -1 with errno set on failure. */
int strbuf_read_file(strbuf *sb, const char *path);

/* Convenience for error reporting: NULL-safe setf on an optional buffer. */
void strbuf_seterr(strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
