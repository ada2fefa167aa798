/* jolt_fn.h: private interface of the stock modifier functions (jolt_functions.c). */
#ifndef FF_JOLT_FN_H
#define FF_JOLT_FN_H
#include <jansson.h>
/* args: n evaluated arguments (borrowed, json null for Java null). Returns a
 * new reference, or NULL for "no value". */
typedef json_t *(*jolt_stock_fn)(json_t **args, int n);
jolt_stock_fn jolt_lookup_stock(const char *name);
/* 1 for squashNulls, 2 for recursivelySquashNulls, else 0. Java's versions
 * change the value they are given, which the modifiers reproduce with
 * jolt_squash_in_place on a value of their own tree. */
int jolt_squash_kind(jolt_stock_fn f);
/* Removes the nulls of an array or object v in place (and below, when
 * recursive). */
void jolt_squash_in_place(json_t *v, int recursive);
#endif
