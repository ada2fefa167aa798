/*
 * el_int.h: internals shared by the el_*.c files (not a public header).
 *
 * A compiled template is a list of parts: literal text or an expression tree.
 * Expression trees are built from el_node: literals, attribute references,
 * function calls (subject + evaluated arguments) and multi-attribute nodes
 * (anyAttribute(...) etc.) whose per-element chain hangs below them with an
 * N_ELEM placeholder as its innermost subject.
 *
 * Values (el_val) carry NiFi's types. Strings are owned by the value and
 * freed with el_val_release(); everything else is inline.
 */
#ifndef FF_EL_INT_H
#define FF_EL_INT_H

#include <stdint.h>
#include <stddef.h>

#include "attrs.h"
#include "el.h"
#include "strbuf.h"

typedef enum { V_NULL, V_STR, V_BOOL, V_WHOLE, V_DEC, V_DATE, V_INST } el_vtype;

typedef struct el_val {
    el_vtype t;
    char *s;       /* V_STR: owned, NUL-terminated */
    size_t n;      /* V_STR length */
    long long i;   /* V_BOOL (0/1), V_WHOLE, V_DATE (ms), V_INST (ns) */
    double d;      /* V_DEC */
} el_val;

enum { N_STR, N_TMPL, N_WHOLE, N_DEC, N_BOOL, N_NULL, N_ATTR, N_CALL, N_MULTI, N_ELEM };

/* result types, for the compile-time multi-attribute check */
enum { R_ANY, R_STR, R_BOOL, R_NUM, R_DATE };

typedef struct el_node el_node;
struct el_node {
    int kind;
    int col;
    char *s;               /* N_STR text (owned), number source text */
    size_t n;
    long long i;           /* N_WHOLE, N_BOOL */
    double d;              /* N_DEC */
    el_expr *tmpl;         /* N_TMPL */
    el_node *name;         /* N_ATTR: name expression */
    int fn;                /* N_CALL / N_MULTI: index into el_fns */
    el_node *subj;         /* N_CALL subject (NULL when subjectless) */
    el_node **args;
    int nargs;
    el_node *chain;        /* N_MULTI: per-element chain (may be NULL) */
    int red;               /* N_MULTI: reducer fn index or -1 */
    el_node *redarg;       /* N_MULTI: join separator */
};

typedef struct el_part {
    char *text;            /* literal (owned) or NULL */
    size_t len;
    el_node *node;
} el_part;

struct el_expr {
    el_part *parts;
    int nparts;
    int literal;
};

typedef struct el_ctx {
    const attrs *a;
    strbuf *err;
    const el_val *elem;    /* current element in a multi-attribute chain */
    int depth;
} el_ctx;

typedef int (*el_fn_impl)(el_ctx *c, const el_node *call, el_val *subj, el_val *args, el_val *out);
typedef int (*el_fn_check)(const el_node *call, strbuf *err);

enum { SUBJ_REQ, SUBJ_NONE, SUBJ_OPT };

typedef struct el_fn {
    const char *name;
    int min, max;          /* max -1: unlimited */
    int subj;
    int ret;
    el_fn_impl impl;
    el_fn_check check;     /* compile-time validation of literal args, or NULL */
} el_fn;

extern const el_fn el_fns[];
int el_fns_find(const char *name, size_t len);
int el_fns_index(const char *name);

/* values */
void el_val_release(el_val *v);
void el_val_str(el_val *v, const char *s, size_t n);   /* copies */
void el_val_take(el_val *v, strbuf *sb);               /* takes sb's buffer */
void el_val_render(const el_val *v, strbuf *out);
void el_java_double(double d, strbuf *out);
/* Converts to a string in place (rendering numbers/dates). NULL stays NULL. */
void el_val_to_str(el_val *v);
/* Number coercion: 0 ok, -1 not a number. *is_dec tells which of i/d holds it. */
int el_to_number(const el_val *v, int *is_dec, long long *i, double *d);
int el_parse_number_text(const char *s, int *is_dec, long long *i, double *d);
int el_parse_decimal_text(const char *s, double *d);

/* evaluation */
int el_eval_node(el_ctx *c, const el_node *n, el_val *out);
int el_eval_template(el_ctx *c, const el_expr *e, strbuf *out);
void el_node_free(el_node *n);

/* regex (el_regex.c) */
typedef struct el_re el_re;
el_re *el_re_compile(const char *pat, size_t len, strbuf *err);
void el_re_free(el_re *re);
/* 1 match, 0 no match, -1 error. full: anchored whole-string match. */
int el_re_match(const el_re *re, const char *s, size_t n, int full);
/* Java Matcher.replaceAll/replaceFirst with $n / ${name} / \x in repl. */
int el_re_replace(const el_re *re, const char *s, size_t n, const char *repl, size_t rlen, int all, strbuf *out, strbuf *err);
/* first match offset or -1 */
long el_re_search(const el_re *re, const char *s, size_t n, size_t start, size_t *mend);

/* dates (el_date.c) */
int el_tz_valid(const char *name);
int el_date_format(long long epoch_ns, const char *pattern, const char *tz, strbuf *out, strbuf *err);
/* Parses text with the pattern in tz. strict: resolver rejects invalid dates / DST gaps. */
int el_date_parse(const char *text, const char *pattern, const char *tz, int strict, long long *epoch_ns, strbuf *err);
int el_duration_parse(const char *s, long long *amount, int *unit);
int el_date_add(long long epoch_ns, long long amount, int unit, const char *tz, long long *res, strbuf *err);
void el_date_tostring(long long epoch_ms, strbuf *out);
const char *el_default_tz(void);
int el_date_from_string(const char *s, long long *ms);
int el_instant_parse_iso(const char *s, long long *ns);
void el_instant_tostring(long long ns, strbuf *out);

#endif
