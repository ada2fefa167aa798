/*
 * xalloc: allocation that cannot fail.
 *
 * flowfleet has nothing sensible to do when memory runs out, so these
 * wrappers print one line to stderr and abort() instead of returning NULL.
 * Callers never check the result. Every pointer returned is new and the
 * caller frees it with free().
 *
 * Zero sizes are rounded up to one byte so that a zero-length request still
 * yields a distinct, freeable pointer rather than NULL. xstrdup(NULL) returns
 * NULL (optional strings stay optional); xstrndup copies at most n bytes,
 * stopping at a NUL, and always terminates the copy.
 */
#ifndef FF_XALLOC_H
#define FF_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);                   /* caller frees */
void *xcalloc(size_t n, size_t sz);        /* caller frees; zeroed */
void *xrealloc(void *p, size_t n);         /* caller frees the result, not p */
char *xstrdup(const char *s);              /* caller frees; NULL for NULL */
char *xstrndup(const char *s, size_t n);   /* caller frees */

#endif
