/*
 * jsonpath: the dotted paths flow settings use to point into a JSON answer
 * ("data.token", "results.0.id"): object members by name, array elements
 * by index. And the text of an id, which Omnitron and ERPs give as an
 * integer or a string.
 */
#ifndef FF_JSONPATH_H
#define FF_JSONPATH_H

#include <jansson.h>

#include "strbuf.h"

/* The value at path in v ("" or NULL: v itself); borrowed, or NULL. */
json_t *jsonpath_get(json_t *v, const char *path);
/* Replaces out with the text of an integer or string id and returns 0;
 * leaves out as it is and returns -1 for anything else. */
int jsonpath_id_text(const json_t *v, strbuf *out);

#endif
