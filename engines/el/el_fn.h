/*
 * el_fn.h: the table of NiFi EL functions (internal to the el_*.c files).
 *
 * EL_FUNCTIONS lists every function once: name, min/max argument count
 * (-1: any), subject rule, result type (for the multi-attribute check) and
 * an optional compile-time check of literal arguments. The implementation of
 * function X is el_fn_X, defined in one of the el_fn_*.c files (the jsonPath
 * family and isJson in el_json.c). Every global name here starts with el_.
 */
#ifndef FF_EL_FN_H
#define FF_EL_FN_H

#include "el_int.h"

#define EL_FUNCTIONS(F) \
    F(toUpper, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(toLower, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(trim, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(toString, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(length, 0, 0, SUBJ_REQ, R_NUM, NULL) \
    F(substring, 1, 2, SUBJ_REQ, R_STR, NULL) \
    F(substringBefore, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(substringBeforeLast, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(substringAfter, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(substringAfterLast, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(append, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(prepend, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(replace, 2, 2, SUBJ_REQ, R_STR, NULL) \
    F(replaceFirst, 2, 2, SUBJ_REQ, R_STR, el_check_regex) \
    F(replaceAll, 2, 2, SUBJ_REQ, R_STR, el_check_regex) \
    F(replaceNull, 1, 1, SUBJ_REQ, R_ANY, NULL) \
    F(replaceEmpty, 1, 1, SUBJ_REQ, R_ANY, NULL) \
    F(replaceByPattern, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(padLeft, 1, 2, SUBJ_REQ, R_STR, NULL) \
    F(padRight, 1, 2, SUBJ_REQ, R_STR, NULL) \
    F(repeat, 1, 2, SUBJ_REQ, R_STR, NULL) \
    F(getDelimitedField, 1, 5, SUBJ_REQ, R_STR, NULL) \
    F(unique, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(compactDelimitedList, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(trimDelimitedList, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(evaluateELString, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(isNull, 0, 0, SUBJ_REQ, R_BOOL, NULL) \
    F(notNull, 0, 0, SUBJ_REQ, R_BOOL, NULL) \
    F(isEmpty, 0, 0, SUBJ_REQ, R_BOOL, NULL) \
    F(equals, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(equalsIgnoreCase, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(gt, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(ge, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(lt, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(le, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(and, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(or, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(not, 0, 0, SUBJ_REQ, R_BOOL, NULL) \
    F(ifElse, 2, 2, SUBJ_REQ, R_STR, NULL) \
    F(isJson, 0, 0, SUBJ_REQ, R_BOOL, NULL) \
    F(startsWith, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(endsWith, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(contains, 1, 1, SUBJ_REQ, R_BOOL, NULL) \
    F(in, 1, -1, SUBJ_REQ, R_BOOL, NULL) \
    F(find, 1, 1, SUBJ_REQ, R_BOOL, el_check_regex) \
    F(matches, 1, 1, SUBJ_REQ, R_BOOL, el_check_regex) \
    F(indexOf, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(lastIndexOf, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(jsonPath, 1, 1, SUBJ_REQ, R_STR, el_check_jsonpath) \
    F(jsonPathDelete, 1, 1, SUBJ_REQ, R_STR, el_check_jsonpath) \
    F(jsonPathSet, 2, 2, SUBJ_REQ, R_STR, el_check_jsonpath) \
    F(jsonPathAdd, 2, 2, SUBJ_REQ, R_STR, el_check_jsonpath) \
    F(jsonPathPut, 3, 3, SUBJ_REQ, R_STR, el_check_jsonpath) \
    F(urlEncode, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(urlDecode, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(base64Encode, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(base64Decode, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(escapeJson, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(unescapeJson, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(escapeXml, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(unescapeXml, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(escapeCsv, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(unescapeCsv, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(escapeHtml3, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(unescapeHtml3, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(escapeHtml4, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(unescapeHtml4, 0, 0, SUBJ_REQ, R_STR, NULL) \
    F(hash, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(UUID3, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(UUID5, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(plus, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(minus, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(multiply, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(divide, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(mod, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(toNumber, 0, 0, SUBJ_REQ, R_NUM, NULL) \
    F(toDecimal, 0, 0, SUBJ_REQ, R_NUM, NULL) \
    F(toRadix, 1, 2, SUBJ_REQ, R_STR, NULL) \
    F(fromRadix, 1, 1, SUBJ_REQ, R_NUM, NULL) \
    F(math, 1, 2, SUBJ_OPT, R_NUM, NULL) \
    F(toMicros, 0, 0, SUBJ_REQ, R_NUM, NULL) \
    F(toNanos, 0, 0, SUBJ_REQ, R_NUM, NULL) \
    F(toDate, 0, 2, SUBJ_REQ, R_DATE, el_check_date_args) \
    F(format, 1, 2, SUBJ_REQ, R_STR, el_check_date_args) \
    F(toInstant, 0, 2, SUBJ_REQ, R_DATE, el_check_date_args) \
    F(formatInstant, 1, 2, SUBJ_REQ, R_STR, el_check_date_args) \
    F(isValidDate, 1, 2, SUBJ_REQ, R_BOOL, el_check_date_args) \
    F(isValidInstant, 0, 2, SUBJ_REQ, R_BOOL, el_check_date_args) \
    F(plusDuration, 1, 2, SUBJ_REQ, R_DATE, el_check_duration) \
    F(minusDuration, 1, 2, SUBJ_REQ, R_DATE, el_check_duration) \
    F(plusInstantDuration, 1, 1, SUBJ_REQ, R_DATE, el_check_duration) \
    F(minusInstantDuration, 1, 1, SUBJ_REQ, R_DATE, el_check_duration) \
    F(now, 0, 0, SUBJ_NONE, R_DATE, NULL) \
    F(literal, 1, 1, SUBJ_NONE, R_ANY, NULL) \
    F(UUID, 0, 0, SUBJ_NONE, R_STR, NULL) \
    F(nextInt, 0, 0, SUBJ_NONE, R_NUM, NULL) \
    F(random, 0, 0, SUBJ_NONE, R_NUM, NULL) \
    F(hostname, 0, 1, SUBJ_NONE, R_STR, NULL) \
    F(ip, 0, 0, SUBJ_NONE, R_STR, NULL) \
    F(thread, 0, 0, SUBJ_NONE, R_STR, NULL) \
    F(getUri, 7, 7, SUBJ_NONE, R_STR, NULL) \
    F(getStateValue, 1, 1, SUBJ_NONE, R_STR, NULL) \
    F(anyAttribute, 1, -1, SUBJ_NONE, R_BOOL, NULL) \
    F(allAttributes, 1, -1, SUBJ_NONE, R_BOOL, NULL) \
    F(anyMatchingAttribute, 1, -1, SUBJ_NONE, R_BOOL, NULL) \
    F(allMatchingAttributes, 1, -1, SUBJ_NONE, R_BOOL, NULL) \
    F(anyDelineatedValue, 2, 2, SUBJ_NONE, R_BOOL, NULL) \
    F(allDelineatedValues, 2, 2, SUBJ_NONE, R_BOOL, NULL) \
    F(join, 1, 1, SUBJ_REQ, R_STR, NULL) \
    F(count, 0, 0, SUBJ_REQ, R_NUM, NULL)

#define EL_DECL(name, mn, mx, sj, rt, ck) int el_fn_##name(el_ctx *c, const el_node *n, el_val *s, el_val *a, el_val *out);
EL_FUNCTIONS(EL_DECL)
#undef EL_DECL

int el_check_regex(const el_node *call, strbuf *err);
int el_check_jsonpath(const el_node *call, strbuf *err);
int el_check_date_args(const el_node *call, strbuf *err);
int el_check_duration(const el_node *call, strbuf *err);

/* helpers (el_fn_string.c) */
const char *el_s(el_val *v);            /* converts to string in place; NULL when null */
int el_truthy(const el_val *v);
int el_arg_long(el_ctx *c, el_val *v, const char *fn, long long *out);
void el_random_bytes(void *buf, size_t n);
/* Java's (long) cast of a double: saturating, NaN -> 0 */
long long el_d2l(double d);

/* hashes (el_hash.c); out must hold 64 bytes; returns digest length or -1 */
int el_hash(const char *algo, const void *data, size_t len, unsigned char *out);

#endif
