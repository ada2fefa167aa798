/*
 * jsontext: the one way flowfleet turns JSON text into jansson values and back.
 *
 * Parsing accepts `//` and `/ * * /` comments outside strings (users paste Jolt
 * specs and flow files with comments, as Java's Jackson allows), keeps object
 * key order, and keeps integers and doubles apart (jansson does: 3 is an
 * integer, 3.0 a real).
 *
 * Dumping writes doubles in the shortest form that reads back to the same
 * value, always with a '.' or an exponent so a double never turns into an
 * integer ("3.0", "0.1", "1.0E21" style like Java is not attempted: we write
 * "1e+21"). Object key order is kept.
 *
 * Minifying checks text by the parser's rules without building a tree and
 * copies it without insignificant whitespace and comments: for a reader that
 * passes documents on as text (and splices them into a larger one).
 */
#ifndef FF_JSONTEXT_H
#define FF_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>

#include "strbuf.h"

/* Parses text (len bytes). Returns a new reference, or NULL with a message
 * ("line 3 column 5: ...", column in characters) in err. Comments are
 * allowed; otherwise strict JSON. Integers beyond json_int_t become reals;
 * reals beyond a double, nesting deeper than 512 and "\u0000" in a key are
 * errors. Duplicate keys: the last value wins. */
json_t *jsontext_parse(const char *text, size_t len, strbuf *err);
/* The same, but containers nested deeper than depth levels (the top
 * value's own container is level 1) are checked and returned as null
 * instead of being built: for readers that need a few fields of a large
 * document. A syntax error anywhere still fails. New reference or NULL. */
json_t *jsontext_parse_shallow(const char *text, size_t len, int depth, strbuf *err);
/* As jsontext_parse_shallow, except that the top object's member named key
 * (when there is one) is built to key_depth levels instead: a record's
 * top-level fields and one list of it, say, without the rest of the tree.
 * fields (NULL-terminated, or NULL for all) names the members kept in that
 * member's objects at level key_depth, the others being checked only: a
 * list's ids, say, without the rest of each entry. New reference or NULL. */
json_t *jsontext_parse_pick(const char *text, size_t len, int depth, const char *key, int key_depth,
                            const char *const *fields, strbuf *err);
/* jsontext_parse_filtered asks this, for each member of an object it builds
 * (key: the decoded key, klen bytes, not NUL-terminated; index 0) and each
 * element of an array it builds (key NULL, index its position), what to do
 * with the value, given node, the answer that led to the container (or the
 * root node). It returns NULL when the value is not needed (it is checked,
 * not built: an object leaves the member out, an array holds null in its
 * place), JSONTEXT_BUILD_ALL for the whole value, or the node to ask about
 * the value's own members. Nodes are the caller's; ctx is passed through. */
typedef const void *(*jsontext_filter_fn)(const void *node, const char *key, size_t klen, size_t index, void *ctx);
#define JSONTEXT_BUILD_ALL ((const void *)1)
/* As jsontext_parse (same checks, same errors in err, anywhere in the text)
 * but builds only what filter asks for, from root (NULL: everything): for
 * a consumer that knows which parts of a document it can read. New
 * reference or NULL. */
json_t *jsontext_parse_filtered(const char *text, size_t len, jsontext_filter_fn filter, const void *root, void *ctx,
                                strbuf *err);
/* What the reader makes values of, for jsontext_parse_into: the caller's
 * own value type (a void * each) instead of jansson's. Each function gets
 * ctx. object/array make an empty container; set adds a member (key: the
 * decoded key, klen bytes, not NUL-terminated; in_text: key points into
 * the parsed text, so it lives as long as that, else it is only valid
 * during the call), a key already there keeping its place and taking the
 * new value; append adds an element; string (s and in_text as key's),
 * integer, real and literal (JSON_TRUE, JSON_FALSE, JSON_NULL) make
 * scalars; drop frees a value the reader made and gave up on (after an
 * error). The values set or appended belong to their container. None may
 * fail (they abort on memory exhaustion, like xmalloc). */
typedef struct jsontext_builder {
    void *(*object)(void *ctx);
    void (*set)(void *ctx, void *obj, const char *key, size_t klen, int in_text, void *v);
    void *(*array)(void *ctx);
    void (*append)(void *ctx, void *arr, void *v);
    void *(*string)(void *ctx, const char *s, size_t n, int in_text);
    void *(*integer)(void *ctx, json_int_t v);
    void *(*real)(void *ctx, double d);
    void *(*literal)(void *ctx, json_type t);
    void (*drop)(void *ctx, void *v);
} jsontext_builder;
/* jsontext_parse_filtered with values made by b (NULL: jansson's), filter
 * and root as there (filter NULL: everything). Returns the top value as b
 * made it (the caller's), or NULL with err. */
void *jsontext_parse_into(const char *text, size_t len, const jsontext_builder *b, void *bctx,
                          jsontext_filter_fn filter, const void *root, void *fctx, strbuf *err);
/* What jsontext_minify tells about the top value. */
#define JSONTEXT_TOP_KEY_MAX 64
typedef struct jsontext_top {
    /* in: NULL-terminated names of top-level keys to look for (at most 32,
     * each shorter than JSONTEXT_TOP_KEY_MAX bytes), or NULL. Borrowed. */
    const char *const *keys;
    /* out: the top value's type as jsontext_parse would make it */
    json_type type;
    /* out: bit i set when the top value is an object with the key keys[i]
     * (escapes in the text decoded before comparing) */
    unsigned found;
} jsontext_top;
/* Checks that text (len bytes) is one JSON value by the rules of
 * jsontext_parse (same comments, same errors and messages in err) without
 * building it, and appends it to out with the whitespace and comments between
 * tokens left out; strings and numbers are copied as written. Allocates
 * nothing but out's room. top (may be NULL) is filled as described above.
 * Returns 0, or -1 with out as it was. The caller owns out and top. */
int jsontext_minify(const char *text, size_t len, strbuf *out, jsontext_top *top, strbuf *err);
/* Reads and parses a file; err names the file. New reference or NULL. */
json_t *jsontext_load_file(const char *path, strbuf *err);

#define JSONTEXT_PRETTY 1
/* Appends the serialisation of v to out. Compact unless JSONTEXT_PRETTY. */
void jsontext_dump(const json_t *v, strbuf *out, int flags);
/* Appends s (n bytes) as a JSON string, quoted and escaped as
 * jsontext_dump writes strings: for writers of values of their own. */
void jsontext_dump_string(const char *s, size_t n, strbuf *out);
/* 1 when jsontext_dump_string escapes no byte of s (n bytes): quoted, it
 * is written as it is. */
int jsontext_plain(const char *s, size_t n);
/* Appends an integer as jsontext_dump writes it. */
void jsontext_dump_integer(json_int_t v, strbuf *out);
/* 1 when s (n bytes) is valid UTF-8 by the reader's rules (no overlong
 * forms, no surrogates, nothing above U+10FFFF; jansson's), else 0. */
int jsontext_utf8_valid(const char *s, size_t n);
/* Appends the shortest round-tripping text of a double. */
void jsontext_dump_real(double d, strbuf *out);

#endif
