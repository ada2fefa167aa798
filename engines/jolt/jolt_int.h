/*
 * jolt_int.h: private declarations shared by the engines/jolt/jolt*.c files.
 *
 * Every operation compiles into a `jolt_op` (a kind, a pointer to its
 * compiled form and the function pointers that apply and free it). The
 * chain (jolt.c) owns an array of them. Helpers here reproduce Java's value
 * model where Jolt relies on it: Java's toString of a scalar (used when a
 * scalar becomes a key or a string), value equality with ints and doubles
 * kept apart, and the error path stack used during compilation.
 *
 * The engine's own values (jolt_val, in a per-apply arena: jolt_val.c) are
 * declared here too: shift and default build their output in them (the
 * jolt_op's to_val and on_val), and jolt_apply_text's reader makes its
 * input of them; steps read an input of either form through jolt_in_*.
 */
#ifndef FF_JOLT_INT_H
#define FF_JOLT_INT_H

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "jolt.h"
#include "jsontext.h"
#include "strbuf.h"

/* The JSON path of the spec part being compiled, for error messages. */
struct jolt_keydom;
typedef struct jolt_cpath {
    strbuf path;
    struct jolt_keydom *dom; /* the compiled spec's table of interned keys (jolt_keydom_intern) */
} jolt_cpath;

/* Pushes ".key" (or "key" at the start); returns the length to pop back to. */
size_t jolt_cpath_push_key(jolt_cpath *p, const char *key);
size_t jolt_cpath_push_index(jolt_cpath *p, size_t i);
void jolt_cpath_pop(jolt_cpath *p, size_t len);
/* Writes "<path>: <message>" into err (NULL-safe). Always returns -1. */
int jolt_cpath_err(const jolt_cpath *p, strbuf *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline uint32_t jolt_load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t jolt_load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Whether the n bytes at x and y are the same. Inline for the short keys
 * that lookups compare (a call to memcmp costs more than the compare):
 * 4 to 16 bytes as two overlapping words, fewer byte by byte. */
static inline int jolt_bytes_eq(const char *x, const char *y, size_t n)
{
    if (n < 4) /* bytes 0, n/2 and n-1 are all of them */
        return !n || (x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1]);
    if (n > 16)
        return !memcmp(x, y, n);
    if (n < 8)
        return jolt_load32(x) == jolt_load32(y) && jolt_load32(x + n - 4) == jolt_load32(y + n - 4);
    return jolt_load64(x) == jolt_load64(y) && jolt_load64(x + n - 8) == jolt_load64(y + n - 8);
}

/* ---- the engine's own values, in an arena (jolt_val.c) ---- */

typedef struct jolt_arena jolt_arena;
/* A new, empty arena; the caller frees it with jolt_arena_free, which
 * frees every value allocated in it and releases what it holds. */
jolt_arena *jolt_arena_new(void);
void jolt_arena_free(jolt_arena *a);
/* n bytes (aligned for any type), owned by the arena. */
void *jolt_arena_alloc(jolt_arena *a, size_t n);
/* Takes the reference to v (NULL is ignored) and releases it with the arena:
 * for the jansson values that arena values borrow from. */
void jolt_arena_hold(jolt_arena *a, json_t *v);

enum jolt_val_kind { JV_JSON, JV_OBJ, JV_ARR, JV_REF, JV_STR, JV_INT, JV_REAL, JV_TRUE, JV_FALSE, JV_NULL };

typedef struct jolt_val jolt_val;
/* A table of interned keys, a compiled spec's: one pointer per text, kept
 * as long as the spec, shared by its steps (a shift's output paths, a
 * default's keys), so that a step finds a key another one wrote by its
 * pointer (see jolt_val_slot_in). plain: none of its keys needs escaping
 * in JSON text, so they are written out as they are. */
typedef struct jolt_keydom {
    int plain;
    char **keys;
    size_t nkeys;
} jolt_keydom;
/* A new empty table (plain); freed with jolt_keydom_free. */
jolt_keydom *jolt_keydom_new(void);
void jolt_keydom_free(jolt_keydom *d);
/* The table's one copy of key (made on first sight, owned by d). */
const char *jolt_keydom_intern(jolt_keydom *d, const char *key);
typedef struct jolt_member {
    const char *key; /* borrowed from the spec or an input, or arena memory */
    size_t klen;
    jolt_val *val;
} jolt_member;

/* A value of an apply. JV_JSON: a jansson value taken over unchanged
 * (borrowed; share: 1 when a jansson tree made of it may hold a reference
 * to it, 0 when it must be copied there, see jolt_val.c); JV_OBJ and
 * JV_ARR: containers in the arena; JV_REF: an arena container taken over
 * unchanged (an input's, borrowed like JV_JSON); JV_STR .. JV_NULL:
 * scalars, as jolt_apply_text's reader makes them (never changed once
 * made, so several containers may hold one). Everything is owned by the
 * arena. */
struct jolt_val {
    int kind;
    int share;     /* JV_JSON */
    int plain; /* JV_STR: its text has nothing to escape; JV_OBJ: no member key has (kept as members come) */
    uint32_t kmask; /* JV_OBJ being read (jolt_val_parse): a bit per key hash seen, to skip most duplicate checks */
    size_t n, cap; /* JV_OBJ, JV_ARR: items, room; JV_STR: length */
    union {        /* by kind: one pointer or number */
        const json_t *json;  /* JV_JSON */
        jolt_member *m;      /* JV_OBJ, in insertion order */
        jolt_val **a;        /* JV_ARR */
        const jolt_val *ref; /* JV_REF */
        const char *str;     /* JV_STR (in the parsed text or the arena) */
        json_int_t i;        /* JV_INT */
        double d;            /* JV_REAL */
    };
    uint32_t *index;  /* JV_OBJ with many members: positions + 1, open addressing */
    size_t icap;
    const jolt_keydom *kdom; /* JV_OBJ: every member's key is one interned in kdom (see jolt_val_slot_in) */
};

/* New values in the arena (which owns them). v NULL is json null. */
jolt_val *jolt_val_json(jolt_arena *a, const json_t *v, int share);
jolt_val *jolt_val_new(jolt_arena *a, int kind); /* an empty JV_OBJ or JV_ARR */
int jolt_val_is_null(const jolt_val *v);
/* Whether v is an object (array) in either form; the _any forms do the
 * work, the inline ones settle the arena's own containers first. */
int jolt_val_is_object_any(const jolt_val *v);
int jolt_val_is_array_any(const jolt_val *v);
static inline int jolt_val_is_object(const jolt_val *v)
{
    return v->kind == JV_OBJ || jolt_val_is_object_any(v);
}
static inline int jolt_val_is_array(const jolt_val *v)
{
    return v->kind == JV_ARR || jolt_val_is_array_any(v);
}
/* Turns a JV_JSON or JV_REF object or array into an arena container in
 * place, its items taken over (JV_JSON of the jansson children, same
 * share; the referenced container's items); before a step writes inside
 * it. Anything else is left as it is. */
void jolt_val_own_copy(jolt_arena *a, jolt_val *v);
static inline void jolt_val_own(jolt_arena *a, jolt_val *v)
{
    if (v->kind == JV_JSON || v->kind == JV_REF)
        jolt_val_own_copy(a, v);
}
/* Member of an arena object (JV_OBJ), borrowed, or NULL. */
jolt_val *jolt_val_get(const jolt_val *obj, const char *key, size_t klen);
/* Whether member m's key is key (klen bytes). */
static inline int jolt_member_is(const jolt_member *m, const char *key, size_t klen)
{
    return m->klen == klen && jolt_bytes_eq(m->key, key, klen);
}
/* jolt_val_get for a series of lookups in one object, *hint (0 at first)
 * where the last one found its member: the search starts there, so keys
 * asked for in the object's own order are found at the first compare. */
static inline jolt_val *jolt_val_get_hint(const jolt_val *obj, const char *key, size_t klen, size_t *hint)
{
    size_t n = obj->n;
    if (obj->index || !n)
        return jolt_val_get(obj, key, klen);
    size_t i = *hint < n ? *hint : 0;
    for (size_t k = 0; k < n; k++) {
        if (jolt_member_is(&obj->m[i], key, klen)) {
            *hint = i + 1;
            return obj->m[i].val;
        }
        if (++i == n)
            i = 0;
    }
    return NULL;
}
/* Sets a member of an arena object: an existing key keeps its position.
 * stable_key: JOLT_KEY_STABLE when key outlives the arena (a spec's or
 * input's text), else it is checked as UTF-8 (-1 when it is not, as
 * jansson refuses such keys) and copied into the arena; with
 * JOLT_KEY_PLAIN too when it is known to have nothing to escape in JSON
 * text. 0 on success. */
enum { JOLT_KEY_STABLE = 1, JOLT_KEY_PLAIN = 2 };
int jolt_val_set(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, int stable_key, jolt_val *v);
/* jolt_val_set for a key known not to be there yet (no lookup). */
int jolt_val_add(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, int stable_key, jolt_val *v);
/* The value slot of key in an arena object, for a get and a set with one
 * lookup: the member's (*fresh 0; its value may be json null), or a new
 * member's at the end (*fresh 1, its value NULL: the caller stores one
 * there before it changes obj again). Keys as jolt_val_set; NULL when a
 * new key is refused. The slot is obj's, valid until obj grows. */
jolt_val **jolt_val_slot(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, int stable_key, int *fresh);
/* jolt_val_slot for a key interned in dom: a table of keys (a compiled
 * spec's) with one pointer per text, kept as long as the arena. While an
 * object holds only keys of one dom, a lookup there compares pointers. */
jolt_val **jolt_val_slot_in_any(jolt_arena *a, jolt_val *obj, const char *key, size_t klen, const jolt_keydom *dom,
                                int *fresh);
#define JOLT_INDEX_FROM 16 /* members from which an object keeps an index */
/* Inline, for the shift's every write: the pointer scan, and a new member
 * appended where there is room. */
static inline jolt_val **jolt_val_slot_in(jolt_arena *a, jolt_val *obj, const char *key, size_t klen,
                                          const jolt_keydom *dom, int *fresh)
{
    if (obj->kdom == dom && !obj->index) {
        jolt_member *m = obj->m;
        size_t n = obj->n;
        for (size_t i = 0; i < n; i++)
            if (m[i].key == key) {
                *fresh = 0;
                return &m[i].val;
            }
        if (n < obj->cap && n + 1 < JOLT_INDEX_FROM) {
            obj->plain &= dom->plain;
            m[n].key = key;
            m[n].klen = klen;
            m[n].val = NULL;
            obj->n = n + 1;
            *fresh = 1;
            return &m[n].val;
        }
    }
    return jolt_val_slot_in_any(a, obj, key, klen, dom, fresh);
}
void jolt_val_append(jolt_arena *a, jolt_val *arr, jolt_val *v);
/* arr[idx] = v, padding with nulls; -1 when idx < 0 or idx > max_pad. */
int jolt_val_put(jolt_arena *a, jolt_val *arr, long idx, jolt_val *v, long max_pad);
/* Reading an input, in either form (jansson values wrapped in JV_JSON, or
 * arena values): its JSON type; an object's or array's size; a member or
 * element (NULL when there is none; a JV_JSON one is wrapped on the way,
 * in a), and the members in order (it starts zeroed; 0 at the end, else 1
 * with *key, borrowed for as long as the input lives, and *val). */
/* What a JV_REF stands for (anything else is itself). */
static inline const jolt_val *jolt_val_deref(const jolt_val *v)
{
    while (v->kind == JV_REF)
        v = v->ref;
    return v;
}
json_type jolt_in_type(const jolt_val *v);
size_t jolt_in_size(const jolt_val *v);
const jolt_val *jolt_in_get_any(jolt_arena *a, const jolt_val *obj, const char *key, size_t klen);
static inline const jolt_val *jolt_in_get(jolt_arena *a, const jolt_val *obj, const char *key, size_t klen)
{
    return obj->kind == JV_OBJ ? jolt_val_get(obj, key, klen) : jolt_in_get_any(a, obj, key, klen);
}
const jolt_val *jolt_in_at(jolt_arena *a, const jolt_val *arr, size_t i);
typedef struct jolt_in_iter {
    void *it;
    size_t i;
    int started;
} jolt_in_iter;
int jolt_in_next(jolt_arena *a, const jolt_val *obj, jolt_in_iter *it, const char **key, size_t *klen,
                 const jolt_val **val);
/* The jansson value of a JV_JSON input, or NULL (an arena one). */
const json_t *jolt_in_json(const jolt_val *v);
/* Appends Java's toString of an input value (jolt_java_tostring). */
void jolt_in_tostring(const jolt_val *v, strbuf *out);
/* A value for the output that stands for input value v unchanged: copied
 * where a step writes into it, never changed itself (a new JV_JSON or
 * JV_REF for a container, a scalar as it is). Owned by the arena. */
jolt_val *jolt_val_take_any(jolt_arena *a, const jolt_val *v);
static inline jolt_val *jolt_val_take(jolt_arena *a, const jolt_val *v)
{
    return v->kind >= JV_STR ? (jolt_val *)v : jolt_val_take_any(a, v); /* a scalar as it is */
}
/* Parses text (len bytes, copied into a first) into arena values, building
 * only what filter asks for (see jsontext_parse_filtered; filter NULL:
 * everything). The top value, or NULL with err as jsontext_parse says. */
jolt_val *jolt_val_parse(jolt_arena *a, const char *text, size_t len, jsontext_filter_fn filter, const void *root,
                         strbuf *err);
/* A new jansson tree of v (the caller's reference). */
json_t *jolt_val_to_json(const jolt_val *v);
/* Appends v's compact JSON text, as jsontext_dump would write the tree. */
void jolt_val_dump(const jolt_val *v, strbuf *out);

typedef struct jolt_op jolt_op;
struct jolt_op {
    const char *name;
    void *impl;
    /* input: borrowed. Returns a new reference, or NULL when the transform
     * fails as Java's throws (a reference above the root, say) with
     * "<spec path>: <message>" in err (which may be NULL). */
    json_t *(*apply)(const void *impl, const json_t *input, const json_t *context, strbuf *err);
    /* Optional, for steps that build their output in the arena; a chain
     * runs them on arena values. to_val reads input (borrowed; what it
     * points into must outlive the arena: a JV_JSON of a jansson tree, or,
     * when the operation has `need` below, any arena value) and returns its
     * output, owned by the arena, or NULL with err as above. on_val changes
     * the arena value *v in place (it may replace *v); 0, or -1 with err.
     * An operation with one of them has apply too. */
    jolt_val *(*to_val)(const void *impl, const jolt_val *input, const json_t *context, jolt_arena *a,
                        strbuf *err);
    int (*on_val)(const void *impl, jolt_val **v, const json_t *context, jolt_arena *a, strbuf *err);
    void (*free_impl)(void *impl);
    /* Optional: the parts of an input the operation can read, as a filter
     * for jsontext_parse_filtered and its root node (both the operation's),
     * so that jolt_apply_text builds only those when this is the first step.
     * NULL when it may read anything. */
    jsontext_filter_fn need;
    const void *need_root;
};

/* Per-operation compilers; spec is borrowed. 0 on success, -1 with err. */
int jolt_shift_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err);
int jolt_default_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err);
int jolt_remove_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err);
int jolt_sort_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err);
int jolt_cardinality_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err);
/* mode: 0 overwrite, 1 default, 2 define */
int jolt_modify_compile(jolt_op *op, int mode, const json_t *spec, jolt_cpath *p, strbuf *err);

/* Java String.valueOf for a scalar: strings as is, ints "12", doubles like
 * Java's Double.toString ("1.0", "1.0E10"), booleans, "null". Containers are
 * written as JSON text. Appends to out. */
void jolt_java_tostring(const json_t *v, strbuf *out);
void jolt_java_double(double d, strbuf *out);
/* Java equals on JSON values: int never equals double; objects unordered. */
int jolt_equal(const json_t *a, const json_t *b);
/* Copy a value for insertion into an output: containers deep, scalars shared. */
json_t *jolt_copy(const json_t *v);
/* The keys of obj in order, borrowed from it, in a malloc'd array the
 * caller frees (NULL-terminated); *n is their number. */
const char **jolt_object_keys(const json_t *obj, size_t *n);
/* Parses a Java Integer.parseInt string; 0 on success. */
int jolt_parse_int(const char *s, size_t len, long *out);

/* Registered extra functions (jolt_functions.c). */
jolt_fn jolt_lookup_extra(const char *name, void **ctx);

#endif

/* ---- path elements (jolt_path.c), Java's PathElement family ---- */

#define JOLT_MAXG 32

typedef struct jolt_ref {
    int path;  /* how far up the walked path */
    int group; /* which capture group of that level's key */
} jolt_ref;

enum jolt_pe_kind {
    PE_LITERAL,
    PE_AMP,
    PE_STAR_REGEX,
    PE_STAR_DOUBLE,
    PE_STAR_SINGLE,
    PE_STAR_ALL,
    PE_ARRAY,
    PE_AT,
    PE_DOLLAR,
    PE_HASH,
    PE_TRANSPOSE,
};

enum jolt_arr_kind { ARR_AUTO, ARR_EXPLICIT, ARR_REF, ARR_HASH, ARR_TRANSPOSE };

typedef struct jolt_amptok {
    char *lit; /* literal text, or NULL for a reference */
    jolt_ref ref;
} jolt_amptok;

struct jolt_path;

typedef struct jolt_pe {
    int kind;
    char *raw;   /* key with escapes removed */
    char *canon; /* Java's canonical form */
    int nparts;  /* stars: the literal pieces around the stars */
    char **parts;
    int ntok; /* amp */
    jolt_amptok *toks;
    jolt_ref ref; /* dollar, array ref/hash */
    int arr;      /* enum jolt_arr_kind */
    long index;   /* explicit array index */
    char *lit;    /* hash literal */
    int up;       /* transpose: levels up */
    struct jolt_path *sub; /* transpose: path down, or NULL */
    struct jolt_pe *tpe;   /* array transpose */
} jolt_pe;

typedef struct jolt_path {
    int n;
    jolt_pe **el;
} jolt_path;

/* One matched level of the walk: the key and its star captures. */
typedef struct jolt_match {
    /* what every write reads or counts first, in one cache line */
    const char *key;
    int ng;    /* number of capture groups (group 0 is the key) */
    int hash;  /* matches counted under this level, for [#n] */
    int kstable; /* key outlives the output (an input's or the spec's): it may be a member's key as it is */
    size_t klen; /* strlen(key) when known, else (size_t)-1 */
    long orig; /* modifier: original size of an array level */
    strbuf own;
    const char *g[JOLT_MAXG];
    size_t gl[JOLT_MAXG];
} jolt_match;

typedef struct jolt_step {
    const json_t *tree;
    jolt_match *m;
    long kidx; /* m's key read as an array index by [&n]: -2 not read yet, -1 not one */
} jolt_step;

typedef struct jolt_walk {
    jolt_step *st; /* malloc'd, or the caller's room while not grown (jolt_walk_start) */
    int n, cap;
    int own; /* st is malloc'd */
    /* Set (once) when a reference reached above the root or named a capture
     * group its level does not have: Java throws there. Shift and
     * cardinality fail the transform on it; the modifiers, where Java
     * yields no value instead, ignore it. A static message. */
    const char *fail;
} jolt_walk;

void jolt_walk_grow(jolt_walk *w);
/* Starts an empty walk in room (cap steps, the caller's, e.g. on its
 * stack): no malloc while the walk stays within it. A walk of all zeros
 * starts with none. */
static inline void jolt_walk_start(jolt_walk *w, jolt_step *room, int cap)
{
    w->st = room;
    w->cap = cap;
    w->n = 0;
    w->own = 0;
}

/* Inline: a shift calls these for every spec node it visits. */
static inline void jolt_walk_push(jolt_walk *w, const json_t *tree, jolt_match *m)
{
    if (w->n == w->cap)
        jolt_walk_grow(w);
    w->st[w->n].tree = tree;
    w->st[w->n].m = m;
    w->st[w->n].kidx = -2;
    w->n++;
}

static inline void jolt_walk_pop(jolt_walk *w)
{
    if (w->n)
        w->n--;
}
void jolt_walk_release(jolt_walk *w);
/* NULL when i reaches past the root */
static inline jolt_step *jolt_walk_from_end(const jolt_walk *w, int i)
{
    if (i < 0 || i >= w->n)
        return NULL;
    return &w->st[w->n - 1 - i];
}

static inline void jolt_match_init(jolt_match *m, const char *key)
{
    m->key = key;
    m->ng = 0;
    m->hash = 0;
    m->kstable = 0;
    m->klen = (size_t)-1;
    m->orig = -1;
    m->own = (strbuf)STRBUF_INIT;
}

static inline void jolt_match_release(jolt_match *m)
{
    if (m->own.alloc)
        strbuf_release(&m->own);
}
/* Appends capture group g of m; -1 when out of range. */
int jolt_match_group(const jolt_match *m, int g, strbuf *out);

/* Java's parseSingleKeyLHS. NULL with a message in msg. */
jolt_pe *jolt_pe_parse(const char *key, strbuf *msg);
void jolt_pe_free(jolt_pe *pe);
/* Java's parseDotNotationRHS. prefix_root prepends "root". */
jolt_path *jolt_path_parse_rhs(const char *dot, strbuf *msg);
void jolt_path_free(jolt_path *p);
/* Java's order of the computed keys of one spec level, for qsort: by class
 * (`first`, then the star forms: regex, double, single, all; then the
 * rest), longer canonical form first, then alphabetical. first is PE_AMP
 * for shift and cardinality, PE_ARRAY for the modifiers. */
int jolt_pe_cmp(const jolt_pe *x, const jolt_pe *y, int first);
/* Star / literal match of a key (no walk needed). Fills m on success. */
int jolt_pe_star_match(const jolt_pe *pe, const char *key, jolt_match *m);
/* Matches any matchable element; m is initialised by the caller. For AT and
 * TRANSPOSE the caller uses its parent's match instead (returns 2). */
int jolt_pe_match(const jolt_pe *pe, const char *key, const jolt_walk *w, jolt_match *m);
/* Evaluates an output element into out (appended). -1 when it has no value. */
int jolt_pe_eval(const jolt_pe *pe, const jolt_walk *w, strbuf *out);
/* The text an output element evaluates to, when that is one capture of
 * the walk ("&n", "&(n,m)" or "$n" alone): 1 with *s, *len borrowed from
 * the walk's keys (valid while the walk stands), 2 when that is a whole
 * key that outlives the output (jolt_match.kstable: *s is NUL-terminated
 * and may stay a member's key); 0 when it is not such an element (use
 * jolt_pe_eval); -1 when it has no value (w->fail as jolt_pe_eval sets
 * it). */
int jolt_pe_eval_span(const jolt_pe *pe, const jolt_walk *w, const char **s, size_t *len);
/* The index an output array element ("[n]", "[&n]", "[#n]", "[@(..)]")
 * evaluates to, as jolt_pe_eval and Java's parseInt would give it, without
 * the text: 0 with *idx >= 0, or -1 when it has none. scratch: the caller's
 * buffer for a transposed value (reset here). */
int jolt_pe_eval_index(const jolt_pe *pe, const jolt_walk *w, strbuf *scratch, long *idx);
/* Transpose data lookup: 1 and *out (borrowed, may be json null) when found. */
int jolt_transpose_data(const jolt_pe *pe, const jolt_walk *w, const json_t **out);
/* Reads a path below tree: 1 when present. */
int jolt_path_read(const jolt_path *p, const json_t *tree, const jolt_walk *w, const json_t **out);
/* Java Number.intValue() of a JSON number. */
int jolt_int_value(const json_t *v);
