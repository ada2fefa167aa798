/*
 * xmljson_int.h: what the files of engines/xml share and nobody else sees.
 *
 * xmljson_parse.c turns bytes into a libxml2 tree under the safety rules
 * (no network, no files, limits checked while parsing, the first error with
 * its line and column); xmljson_build.c walks that tree into JSON by the
 * chosen convention; xmljson_options.c fills and frees the options.
 */
#ifndef FF_XMLJSON_INT_H
#define FF_XMLJSON_INT_H

#include <libxml/tree.h>

#include "xmljson.h"

/* The limits in force for one call (options with 0 replaced by defaults). */
typedef struct xmljson_limits {
    size_t max_bytes;
    int max_depth;
    size_t max_nodes;
    int count_ns; /* count namespace declarations as nodes (prefixed) */
} xmljson_limits;

/* Parses xml under the limits. Returns a new document (caller frees with
 * xmlFreeDoc), or NULL with "line L, column C: message" in err. */
xmlDocPtr xmljson_parse(const char *xml, size_t len, const xmljson_limits *lim, strbuf *err);

/* The local part of a libxml2 name: what follows the last ':' (an unbound
 * prefix is kept in the name by libxml2). Borrowed from name. */
const char *xmljson_local_name(const xmlChar *name);

#endif
