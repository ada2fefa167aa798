/* jolt_fn.h: private interface of the stock modifier functions (jolt_functions.c). */
#ifndef FF_JOLT_FN_H
#define FF_JOLT_FN_H
#include <jansson.h>
/* args: n evaluated arguments (borrowed, json null for Java null). Returns a
 * new reference, or NULL for "no value". */
typedef json_t *(*jolt_stock_fn)(json_t **args, int n);
jolt_stock_fn jolt_lookup_stock(const char *name);
#endif
