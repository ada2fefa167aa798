/*
 * attrs: the string -> string map of a record's attributes (NiFi's flow-file
 * attributes). It travels with the record in the envelope from stage to stage;
 * scripts read and write it, expressions look names up in it, and every
 * attribute whose key starts with "log." is copied into the record's log event.
 *
 * Insertion-ordered, small (tens of entries), so a linear scan is the right
 * data structure. Keys and values are copied in and owned by the map.
 * A value may be any byte string without NUL.
 */
#ifndef FF_ATTRS_H
#define FF_ATTRS_H

#include <stddef.h>

typedef struct attrs {
    char **keys;
    char **vals;
    size_t n;
    size_t alloc;
} attrs;

#define ATTRS_INIT { NULL, NULL, 0, 0 }

void attrs_init(attrs *a);
void attrs_release(attrs *a);
/* Borrowed pointer to the value, or NULL when the key is absent. */
const char *attrs_get(const attrs *a, const char *key);
/* Copies key and value; replaces an existing value. A NULL value removes. */
void attrs_set(attrs *a, const char *key, const char *val);
void attrs_setn(attrs *a, const char *key, const char *val, size_t vlen);
void attrs_remove(attrs *a, const char *key);
/* dst becomes a copy of src (previous contents of dst freed). */
void attrs_copy(attrs *dst, const attrs *src);
/* Sets every entry of src into dst (src wins). */
void attrs_merge(attrs *dst, const attrs *src);

#endif
