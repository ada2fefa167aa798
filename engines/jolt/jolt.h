/*
 * jolt: the Jolt JSON-to-JSON transform language (bazaarvoice/jolt 0.1.x),
 * over jansson values, value for value compatible with the Java library.
 *
 * A spec is compiled once (jolt_compile) into an immutable tree of operations
 * and can then be applied any number of times, from any number of threads at
 * once: all per-apply state (match stacks, "#2" array indices, output trees)
 * lives on the applying thread's stack or in the output it builds.
 *
 * Operations: shift, default, remove, sort, cardinality,
 * modify-overwrite-beta, modify-default-beta, modify-define-beta, and chains
 * of them ([{"operation": ..., "spec": ...}, ...]). Integers and doubles are
 * kept distinct (jansson integer vs real), as Java keeps Integer and Double.
 *
 * Errors: compilation reports the JSON path of the offending spec key in err
 * ("[1].spec.items.*.@(2,x: unbalanced parenthesis"). Applying never crashes;
 * it fails where Java's transform throws, with the spec path again: a shift
 * reference above the root of the input or to a capture group its key does
 * not have ("[0].spec.a.$(3): reference above the root of the input"), and
 * for chain range errors.
 *
 * Values: an apply keeps its values in an arena of the engine's own
 * (jolt_val.c) and builds jansson values only where the caller wants them.
 * Three ways in and out, the same output: jolt_apply (jansson tree in and
 * out), jolt_apply_text (JSON text in and out, no jansson value at all when
 * the first step is a shift without "@" or transposes: the reader then
 * builds only what that shift can read), and jolt_doc (a document read once
 * into the engine's values, applied any number of times).
 *
 * Output member order follows Java's LinkedHashMap wherever Java's is
 * defined (a cardinality MANY wrap moves the key to the end, say). The keys
 * a "default" step adds come in spec order within Java's precedence
 * classes, after the keys already there: Java's own order when its
 * identity hashes are constant (-XX:hashCode=2). With the JVM's usual
 * identity hashes Java's order of those keys follows the thread's history
 * and is not reproducible; the differential conformance
 * (tools/jolt-conformance/java.c) runs Java with constant ones.
 */
#ifndef FF_JOLT_H
#define FF_JOLT_H

#include <jansson.h>

#include "strbuf.h"

typedef struct jolt_spec jolt_spec;

/* spec: a chain (array of {"operation","spec"}) or a single
 * {"operation","spec"} object. Returns a new compiled spec (caller frees with
 * jolt_free), or NULL with a message in err. spec is borrowed. */
jolt_spec *jolt_compile(const json_t *spec, strbuf *err);
/* One operation by name ("shift", "default", ..., "modify-overwrite-beta").
 * spec may be NULL for "sort". Caller frees. */
jolt_spec *jolt_compile_op(const char *operation, const json_t *spec, strbuf *err);
/* Applies the whole chain. Returns a new reference, or NULL with err (see
 * Errors above). input and context (may be NULL) are borrowed and never
 * modified. */
json_t *jolt_apply(const jolt_spec *s, const json_t *input, const json_t *context, strbuf *err);
/* Chain steps [from, to) only; error when from < 0 || to > nsteps || to <= from. */
json_t *jolt_apply_range(const jolt_spec *s, int from, int to, const json_t *input,
                         const json_t *context, strbuf *err);
/* JSON text in, JSON text out: the same as jsontext_parse, jolt_apply and a
 * compact jsontext_dump, but faster where the first step reads only part of
 * its input (a shift without "@" or transposes: the rest is checked, not
 * built). Appends the output to out (the caller's) and returns 0, or
 * returns -1 with err: a syntax error as jsontext_parse reports it, or an
 * apply error as jolt_apply's. context is borrowed. */
int jolt_apply_text(const jolt_spec *s, const char *text, size_t len, const json_t *context, strbuf *out,
                    strbuf *err);
/* The engine's own form of a JSON document (arena values: see
 * jolt_val.c), for applying specs without jansson values on either side.
 * jolt_doc_parse reads text (copied: the document does not borrow it) with
 * jsontext_parse's rules and errors; NULL with err when it is malformed.
 * jolt_apply_doc applies s to in (never changed; context borrowed) and
 * returns the output as a new document, or NULL with err as jolt_apply's;
 * the output may share values with in: free it first. jolt_doc_dump
 * appends the compact JSON text (jsontext_dump's), jolt_doc_json returns a
 * new jansson tree of it (the caller's reference). The caller frees each
 * document with jolt_doc_free. */
typedef struct jolt_doc jolt_doc;
jolt_doc *jolt_doc_parse(const char *text, size_t len, strbuf *err);
jolt_doc *jolt_apply_doc(const jolt_spec *s, const jolt_doc *in, const json_t *context, strbuf *err);
void jolt_doc_dump(const jolt_doc *d, strbuf *out);
json_t *jolt_doc_json(const jolt_doc *d);
void jolt_doc_free(jolt_doc *d);
/* Number of steps in the chain. */
int jolt_steps(const jolt_spec *s);
void jolt_free(jolt_spec *s);

/* An extra modifier function. args is a borrowed array of the evaluated
 * arguments (an absent argument is omitted); returns a new reference, or
 * NULL meaning "no value". */
typedef json_t *(*jolt_fn)(const json_t *args, void *ctx);
/* Registers (or replaces) a function by name for specs compiled afterwards.
 * Not thread-safe against concurrent compiles; call at start-up. */
void jolt_register_function(const char *name, jolt_fn fn, void *ctx);

#endif
