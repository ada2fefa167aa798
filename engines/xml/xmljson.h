/*
 * xmljson: XML documents (an ERP's answers) turned into JSON values, by one
 * of two documented conventions, with libxml2 as the parser.
 *
 * Conventions (docs/xml.md has the full rules with examples):
 *   XMLJSON_NIFI      what NiFi's XMLReader with an inferred schema gives:
 *                     the root is a wrapper (its children are the records,
 *                     an array) or is itself the one record (an object);
 *                     attributes are plain fields (optional prefix); text
 *                     beside attributes or children goes under a content
 *                     field; empty elements are null.
 *   XMLJSON_PREFIXED  what Redpanda Connect's `xml` processor gives: the root
 *                     kept as the one key, attributes as "-name", text beside
 *                     them as "#text", empty elements "".
 * In both, repeated sibling elements become an array at the place of the
 * first one, namespace prefixes are dropped, comments and processing
 * instructions are ignored, and members are in document order. Values are
 * strings unless infer_types asks for numbers and booleans, and inference
 * never touches an identifier (leading zeros, more than 15 digits, '+' or
 * exponent forms stay strings).
 *
 * Safety: the parser never touches the network or files (no external
 * entities, no DTD loading, no XInclude); internal entities are expanded
 * within the same limits as everything else; the size, nesting depth and
 * node count are bounded by the options; a document that is not well-formed
 * XML (invalid UTF-8 included) fails with "line L, column C: message".
 *
 * Threads: every call is independent (its own libxml2 parser context); the
 * library initialises libxml2 once, by itself, thread-safely. Options are
 * read only.
 */
#ifndef FF_XMLJSON_H
#define FF_XMLJSON_H

#include <jansson.h>
#include <stddef.h>

#include "strbuf.h"

typedef enum xmljson_convention {
    XMLJSON_NIFI = 0,
    XMLJSON_PREFIXED = 1,
} xmljson_convention;

#define XMLJSON_DEFAULT_MAX_BYTES ((size_t)32 << 20) /* 32 MiB */
#define XMLJSON_DEFAULT_MAX_DEPTH 100
#define XMLJSON_DEFAULT_MAX_NODES ((size_t)2000000)

typedef struct xmljson_options {
    xmljson_convention convention;
    /* nifi only: 1 = the root's child elements are the records (an array is
     * returned, the root's own attributes and text are dropped); 0 = the root
     * is the one record (an object). NiFi's "Expect Records as Array".
     * Default 0. */
    int records_as_array;
    /* 1 (default): attributes become fields; 0: they are dropped
     * (NiFi's "Parse XML Attributes"). */
    int attributes;
    /* Put before attribute names. NULL: the convention's ("" for nifi, "-"
     * for prefixed). Borrowed. */
    const char *attribute_prefix;
    /* Name of the field for text beside attributes or child elements. NULL:
     * the convention's ("value" for nifi, "#text" for prefixed); "": such
     * text is dropped (NiFi with "Field Name for Content" unset). Borrowed. */
    const char *content_field;
    /* NULL-terminated list of element paths that are always arrays, even
     * with one element: element names from the root, dot-separated, the root
     * included ("Orders.Order.Line"); "*" matches any one name. NULL: none.
     * Borrowed. */
    const char *const *always_array;
    /* 1: text that is exactly an integer, a decimal or true/false becomes a
     * JSON number or boolean (rules in docs/xml.md). Default 0: strings. */
    int infer_types;
    /* Limits: document size in bytes, element nesting depth (the root is
     * depth 1), and nodes (elements and attributes, counted again each time
     * an entity's content is used). 0 means the default. */
    size_t max_bytes;
    int max_depth;
    size_t max_nodes;
    /* Internal: what xmljson_options_from_json allocated. */
    char **owned_;
} xmljson_options;

/* Fills opt with the defaults above (nifi convention). */
void xmljson_options_init(xmljson_options *opt);

/* Fills opt from a JSON object of settings, starting from the defaults:
 * "convention" ("nifi" | "prefixed"), "records_as_array", "attributes",
 * "infer_types" (booleans), "attribute_prefix", "content_field" (strings),
 * "always_array" (array of strings), "max_bytes", "max_depth", "max_nodes"
 * (positive integers). obj may be NULL (defaults). Unknown keys and wrong
 * types are errors. Returns 0, or -1 with a message in err. Strings are
 * copied: release opt with xmljson_options_release (also after an error). */
int xmljson_options_from_json(xmljson_options *opt, const json_t *obj, strbuf *err);

/* Frees what xmljson_options_from_json allocated; opt is left at the
 * defaults. Safe on options made by xmljson_options_init. */
void xmljson_options_release(xmljson_options *opt);

/* Converts the document xml (len bytes, need not be NUL-terminated). opt may
 * be NULL (defaults). Returns a new reference (caller decrefs): an object, or
 * an array for nifi with records_as_array. NULL on error with
 * "line L, column C: message" in err (err may be NULL). */
json_t *xmljson_convert(const char *xml, size_t len, const xmljson_options *opt, strbuf *err);

/* The same, appending the JSON text to out (compact, or JSONTEXT_PRETTY in
 * flags). Returns 0, or -1 with out unchanged and a message in err. The
 * caller owns out. */
int xmljson_convert_text(const char *xml, size_t len, const xmljson_options *opt, strbuf *out,
                         int flags, strbuf *err);

#endif
