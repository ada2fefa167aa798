/*
 * el: the Apache NiFi Expression Language.
 *
 * el_compile() parses a template (literal text with ${...} expressions) once
 * into a tree whose function calls are resolved and arity-checked; el_eval()
 * walks that tree against a record's attributes. The compiled tree is never
 * modified by evaluation, so one el_expr may be used from several threads.
 *
 * Values carry NiFi's types: String, Boolean, whole Number (64-bit), decimal
 * (double), Date (milliseconds) and Instant (nanoseconds); they render as
 * Java's String.valueOf would. Regexes use PCRE2 with Java syntax translated.
 * Dates use Java DateTimeFormatter/SimpleDateFormat patterns; the default
 * time zone is $TZ, else UTC.
 */
#ifndef FF_EL_H
#define FF_EL_H

#include "attrs.h"
#include "strbuf.h"

typedef struct el_expr el_expr;

/* Compiles a template. Returns a new expression (caller frees with el_free),
 * or NULL with err "column 14: expected ')'" and *err_col (1-based; may be
 * NULL) on a syntax error. */
el_expr *el_compile(const char *text, strbuf *err, int *err_col);
/* Evaluates against attributes (borrowed; may be NULL); appends the rendered
 * text to out. 0, or -1 with a message in err. Thread-safe. */
int el_eval(const el_expr *e, const attrs *a, strbuf *out, strbuf *err);
/* 1 when the template holds no ${} at all. */
int el_is_literal(const el_expr *e);
void el_free(el_expr *e);

/* Like el_compile; with EL_STRICT a "${" without its closing brace is a
 * syntax error instead of literal text (NiFi's Query.compile behaviour). */
#define EL_STRICT 1
el_expr *el_compile_ex(const char *text, int flags, strbuf *err, int *err_col);

#endif
