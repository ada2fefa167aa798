/*
 * jolt_shift.c: the "shift" operation (Java's Shiftr).
 *
 * The spec compiles into a tree of nodes mirroring Java's ShiftrCompositeSpec
 * and ShiftrLeafSpec. A composite keeps three buckets of children: special
 * ones ("@", "$", "#lit", "@(n,path)") that run first on the parent's data,
 * literal keys, and computed keys (&-keys and stars) sorted in Java's
 * priority order (& first, then multi-star regex, double, single star, "*";
 * ties: longer canonical form first, then alphabetical). The per-node
 * execution strategy (literals only, computed only, conflict, or both without
 * conflict) is chosen at compile time exactly as Java does, because it decides
 * which key wins when several could match.
 *
 * Applying walks input and spec in parallel, keeping a jolt_walk stack of the
 * matched keys for reference evaluation, and writes into an output tree with
 * Java's ShiftrTraversr rules: an empty slot takes the value, a list gets the
 * value appended, anything else becomes a list of old and new. The output is
 * built in the arena (jolt_val.c): a value taken from the input goes in as
 * it is, and a container of the input's that a later write goes into is
 * copied on that write, so the input is never modified.
 *
 * Everything about a write that does not depend on the input is settled at
 * compile time (wplan): each output path element's interned key or how to
 * compute it, its step kind, the container it creates, and the path's
 * leading literal keys as a prefix interned across the spec. A run then
 * resolves each prefix once (shift_run.pc) and keeps the steps after it in
 * a per-level cache, so consecutive writes into one object cost a lookup
 * of their last key only. Literal keys are interned in the chain's table
 * (jolt_keydom, shared with a default step after this one): the objects a
 * shift makes hold only such keys until a computed one goes in, and a
 * lookup there compares pointers (jolt_val_slot_in). Two shapes of write
 * take a direct path: all-literal keys whose prefix is known ("order.id"),
 * and steps after the prefix the write cache knows ending in a literal key
 * ("line_items[&1].sku"). A computed key that is a whole key of the input
 * or the spec (jolt_match.kstable) becomes a member's key as it is.
 *
 * A spec also tells which parts of an input it can read at all (shift_need,
 * for jolt_apply_text's parse): matching depends on keys only, so a value
 * whose key no spec key can match is never looked at, unless "@" or a
 * transpose reads around the matched values.
 */
#include "jolt_int.h"
#include "xalloc.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ST_LITERALS, ST_COMPUTED, ST_CONFLICT, ST_BOTH };

enum { STEP_MAP, STEP_ARRAY, STEP_AUTO };

/* One element of a writer's output path, resolved at compile time as far as
 * the input does not matter: a literal key interned across the spec (one
 * pointer per distinct text, so the write cache compares pointers) with its
 * length, or NULL for a computed element (&, $, @(..), [n], [&n], [#n]:
 * evaluated per write); how the step goes into its container (an object's
 * key, an array's index or an append); the container it creates when the
 * slot is empty (what the next step goes into); and whether the write cache
 * keeps the step (a literal key or an array index, not the last step,
 * within its levels). */
typedef struct wstep {
    const jolt_pe *pe;
    const char *key;
    size_t len;
    int kind;  /* STEP_* */
    int child; /* JV_OBJ or JV_ARR; unused on the last step */
    int cache;
} wstep;

/* A writer's output path, compiled: its steps; how many leading ones are
 * literal object keys before the last step (the prefix), and the prefix's
 * number in the spec (shift_spec.pfx; -1 when there is none), so that a
 * run resolves each distinct prefix once (shift_run.pc); and where the
 * first computed step is (n when there is none). */
typedef struct wplan {
    int n;
    wstep *step;
    int npfx, pfx;
    int first_comp;
    int direct; /* a prefix; after it steps the write cache keeps; the last a literal object key */
} wplan;

typedef struct shift_node shift_node;
struct shift_node {
    jolt_pe *pe;
    char *path; /* the key's JSON path in the spec, for transform errors */
    int leaf;
    int nw;
    jolt_path **writers;
    int nspecial, nlit, ncomp;
    shift_node **special, **lit, **comp;
    int strategy;
    size_t rawlen; /* strlen(pe->raw) */
    wplan *wplan; /* per writer */
    long rawidx;   /* pe->raw as an array index (Java's parseInt), or -1 */
    /* the literal children in one array, for the lookups that run for each
     * of them (process_literals) or each input key (shift_need,
     * find_literal): what those read, without going through the child
     * node and its path element */
    struct litref *lref;
};

/* A literal child of a node: its key (the child's pe->raw, so matches
 * compare pointers), that key's lit_sig and length, the child. */
struct litref {
    const char *raw;
    uint32_t sig;
    uint32_t len;
    const shift_node *node;
};

/* A key's length (up to 2^24 - 1) and first byte in one word. */
static inline uint32_t lit_sig(const char *key, size_t klen)
{
    return klen >= (1u << 24) ? 0xFFFFFFFFu : (uint32_t)klen << 8 | (klen ? (unsigned char)key[0] : 0);
}

typedef struct shift_spec {
    shift_node *root;
    jolt_keydom *dom; /* where the literal keys of the writers' paths are interned (the chain's) */
    int reads_around; /* reads_around(root) */
    /* the distinct prefixes of the writers' paths (wplan), each an array
     * of interned keys */
    const char ***pfx;
    int *pfxlen;
    int npfx;
    int maxpath; /* the longest output path, in steps */
} shift_spec;

static void node_free(shift_node *n)
{
    if (!n)
        return;
    jolt_pe_free(n->pe);
    free(n->path);
    for (int i = 0; i < n->nw; i++)
        jolt_path_free(n->writers[i]);
    free(n->writers);
    free(n->wplan); /* its steps with it */
    for (int i = 0; i < n->nspecial; i++)
        node_free(n->special[i]);
    for (int i = 0; i < n->nlit; i++)
        node_free(n->lit[i]);
    for (int i = 0; i < n->ncomp; i++)
        node_free(n->comp[i]);
    free(n->special);
    free(n->lit);
    free(n->comp);
    free(n->lref);
    free(n);
}

static int comp_cmp(const void *a, const void *b)
{
    return jolt_pe_cmp((*(shift_node *const *)a)->pe, (*(shift_node *const *)b)->pe, PE_AMP);
}

static int is_star(int kind)
{
    return kind == PE_STAR_ALL || kind == PE_STAR_SINGLE || kind == PE_STAR_DOUBLE ||
           kind == PE_STAR_REGEX;
}

static shift_node *node_compile(const char *key, const json_t *rhs, jolt_cpath *p, strbuf *err);

static int add_writer(shift_node *n, const json_t *v, jolt_cpath *p, strbuf *err)
{
    if (!json_is_string(v))
        return jolt_cpath_err(p, err, "invalid shift spec, right hand side should be a string or array of strings");
    strbuf path = STRBUF_INIT, msg = STRBUF_INIT;
    const char *s = json_string_value(v);
    int blank = 1;
    for (const char *c = s; *c; c++)
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r' && *c != '\f' && *c != '\v')
            blank = 0;
    strbuf_addstr(&path, "root");
    if (!blank) {
        strbuf_addch(&path, '.');
        strbuf_addstr(&path, s);
    }
    jolt_path *jp = jolt_path_parse_rhs(path.buf, &msg);
    strbuf_release(&path);
    if (!jp) {
        jolt_cpath_err(p, err, "%s", msg.buf);
        strbuf_release(&msg);
        return -1;
    }
    strbuf_release(&msg);
    n->writers[n->nw++] = jp;
    return 0;
}

static int composite_compile(shift_node *n, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    if (n->pe->kind == PE_AT)
        return jolt_cpath_err(p, err, "'@' shift key can not have children");
    if (n->pe->kind == PE_DOLLAR)
        return jolt_cpath_err(p, err, "'$' shift key can not have children");
    size_t cap = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v) {
        cap += 1 + (size_t)(strchr(k, '|') ? 8 : 0);
        for (const char *c = k; *c; c++)
            cap += *c == '|';
    }
    if (cap == 0)
        return jolt_cpath_err(p, err, "shift spec with empty {} as value is not valid");
    n->special = xcalloc(cap, sizeof *n->special);
    n->lit = xcalloc(cap, sizeof *n->lit);
    n->comp = xcalloc(cap, sizeof *n->comp);
    json_object_foreach((json_t *)spec, k, v) {
        size_t mark = jolt_cpath_push_key(p, k);
        /* unwrap the "a|b" sugar */
        const char *s = k;
        for (;;) {
            const char *bar = strchr(s, '|');
            size_t len = bar ? (size_t)(bar - s) : strlen(s);
            char *one = xstrndup(s, len);
            shift_node *c = node_compile(one, v, p, err);
            free(one);
            if (!c) {
                jolt_cpath_pop(p, mark);
                return -1;
            }
            /* duplicate canonical keys are an error */
            int dup = 0;
            for (int i = 0; i < n->nspecial && !dup; i++)
                dup = !strcmp(n->special[i]->pe->canon, c->pe->canon);
            for (int i = 0; i < n->nlit && !dup; i++)
                dup = !strcmp(n->lit[i]->pe->canon, c->pe->canon);
            for (int i = 0; i < n->ncomp && !dup; i++)
                dup = !strcmp(n->comp[i]->pe->canon, c->pe->canon);
            if (dup) {
                jolt_cpath_err(p, err, "duplicate canonical shift key '%s'", c->pe->canon);
                node_free(c);
                jolt_cpath_pop(p, mark);
                return -1;
            }
            int kind = c->pe->kind;
            if (kind == PE_LITERAL)
                n->lit[n->nlit++] = c;
            else if (kind == PE_AT || kind == PE_HASH || kind == PE_DOLLAR || kind == PE_TRANSPOSE)
                n->special[n->nspecial++] = c;
            else
                n->comp[n->ncomp++] = c;
            if (!bar)
                break;
            s = bar + 1;
        }
        jolt_cpath_pop(p, mark);
    }
    qsort(n->comp, (size_t)n->ncomp, sizeof *n->comp, comp_cmp);
    n->lref = xcalloc((size_t)(n->nlit ? n->nlit : 1), sizeof *n->lref);
    for (int i = 0; i < n->nlit; i++) {
        const shift_node *l = n->lit[i];
        n->lref[i] = (struct litref){ l->pe->raw, lit_sig(l->pe->raw, l->rawlen), (uint32_t)l->rawlen, l };
    }
    if (n->ncomp == 0) {
        n->strategy = ST_LITERALS;
    } else if (n->nlit == 0) {
        n->strategy = ST_COMPUTED;
    } else {
        n->strategy = ST_BOTH;
        jolt_match m;
        for (int i = 0; i < n->ncomp && n->strategy == ST_BOTH; i++) {
            if (!is_star(n->comp[i]->pe->kind)) {
                n->strategy = ST_CONFLICT;
                break;
            }
            for (int j = 0; j < n->nlit; j++) {
                if (jolt_pe_star_match(n->comp[i]->pe, n->lit[j]->pe->raw, &m)) {
                    n->strategy = ST_CONFLICT;
                    break;
                }
            }
        }
    }
    return 0;
}

static shift_node *node_compile(const char *key, const json_t *rhs, jolt_cpath *p, strbuf *err)
{
    strbuf msg = STRBUF_INIT;
    jolt_pe *pe = jolt_pe_parse(key, &msg);
    if (!pe) {
        jolt_cpath_err(p, err, "%s", msg.buf);
        strbuf_release(&msg);
        return NULL;
    }
    strbuf_release(&msg);
    shift_node *n = xcalloc(1, sizeof *n);
    n->pe = pe;
    n->path = xstrdup(p->path.len ? p->path.buf : "(spec)");
    n->rawlen = strlen(pe->raw);
    if (jolt_parse_int(pe->raw, n->rawlen, &n->rawidx) || n->rawidx < 0)
        n->rawidx = -1;
    int rc;
    if (json_is_object(rhs)) {
        rc = composite_compile(n, rhs, p, err);
    } else {
        n->leaf = 1;
        if (json_is_string(rhs)) {
            n->writers = calloc(1, sizeof *n->writers);
            rc = add_writer(n, rhs, p, err);
        } else if (json_is_array(rhs)) {
            n->writers = calloc(json_array_size(rhs) + 1, sizeof *n->writers);
            rc = 0;
            for (size_t i = 0; i < json_array_size(rhs) && !rc; i++) {
                size_t m = jolt_cpath_push_index(p, i);
                rc = add_writer(n, json_array_get(rhs, i), p, err);
                jolt_cpath_pop(p, m);
            }
        } else if (json_is_null(rhs)) {
            rc = 0;
        } else {
            rc = jolt_cpath_err(p, err, "invalid shift spec right hand side: should be an object, string, or array of strings");
        }
    }
    if (rc) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* ---- apply ---- */

/* Write-path cache: consecutive writes usually share their leading steps
 * ("root", "customer", "line_items", "[&1]"...). Level i remembers which
 * container a step led to from which parent: a literal key (interned: one
 * pointer per text across the spec) or an array index, so a repeated prefix
 * costs two compares, not a lookup. Containers stay where they are during a
 * run except when a slot is replaced (a value turning into a list of old
 * and new), and that clears the cache. */
#define WCACHE_LEVELS 8

typedef struct wcache {
    const jolt_val *parent; /* NULL: empty */
    const char *key;        /* NULL for an array index */
    long idx;
    jolt_val *child;
} wcache;

/* A computed step's key or index, as shift_write evaluates it. */
struct rkey {
    const char *key; /* NULL: at off in r->keys */
    size_t off, len;
    long idx;
    int stable; /* key is a whole key that outlives the output (jolt_pe_eval_span's 2) */
};

typedef struct shift_run {
    jolt_walk w;
    struct rkey *rk; /* room for the spec's longest output path (shift_write's, reused) */
    jolt_arena *arena;
    jolt_val *out; /* {"root": ...}, in the arena */
    strbuf keys;
    wcache wc[WCACHE_LEVELS];
    jolt_val **pc; /* per prefix of the spec (wplan): the container it led to, or NULL */
    size_t npc;
    const char *fail_path; /* the spec key where r->w.fail was first seen */
    int trees;             /* the spec reads around (reads_around): the walk keeps the input's trees */
    const jolt_keydom *dom; /* the spec's interned keys (shift_spec.dom), for jolt_val_slot_in */
    /* the key being matched when it is a buffer of the moment (an array
     * index's decimal text, a scalar's text), not a key of the input's or
     * the spec's: a match of it is not kstable */
    const char *temp_key;
} shift_run;

#define MAX_ARRAY_PAD (1 << 20)

/* Puts v in cur as the step kind says: into an object's member slot
 * (jolt_val_slot's), at idx of an array, or appended. -1 when refused (an
 * index out of range). */
static int slot_set(shift_run *r, jolt_val *cur, int kind, jolt_val **slot, long idx, jolt_val *v)
{
    if (kind == STEP_MAP) {
        *slot = v;
        return 0;
    }
    if (kind == STEP_ARRAY)
        return jolt_val_put(r->arena, cur, idx, v, MAX_ARRAY_PAD);
    jolt_val_append(r->arena, cur, v);
    return 0;
}

/* Writes data at path (its compiled steps ws) below r->out. Literal keys
 * are used as they are (no copy); computed ones are evaluated first, all of
 * them (one without a value drops the write before anything is made): a
 * capture alone ("&1") is borrowed from the walk, other texts go into the
 * one reusable r->keys buffer, array indexes are read as numbers. The value
 * goes in as it is (a JV_JSON of the input's, copied only if the output
 * becomes jansson). */
/* The last step of a write: data (a JSON null when NULL) goes into the
 * slot (slot_set's) that held sub (NULL: nothing, or a null), as Java's
 * ShiftrTraversr puts it: into an empty slot, appended to a list, or
 * together with what was there as a list of both. */
static inline void put_last(shift_run *r, jolt_val *cur, int kind, jolt_val **slot, long idx, jolt_val *sub,
                            const jolt_val *data)
{
    jolt_arena *a = r->arena;
    jolt_val *v = data ? jolt_val_take(a, data) : jolt_val_json(a, NULL, 0);
    if (!sub) {
        slot_set(r, cur, kind, slot, idx, v);
    } else if (jolt_val_is_array(sub)) {
        jolt_val_own(a, sub);
        jolt_val_append(a, sub, v);
    } else {
        jolt_val *l = jolt_val_new(a, JV_ARR);
        jolt_val_append(a, l, sub);
        jolt_val_append(a, l, v);
        /* sub leaves its slot */
        memset(r->wc, 0, sizeof r->wc);
        memset(r->pc, 0, r->npc * sizeof *r->pc);
        slot_set(r, cur, kind, slot, idx, l);
    }
}

/* put_last into object cur under the literal key of step s. */
static inline void put_member(shift_run *r, jolt_val *cur, const wstep *s, const jolt_val *data)
{
    jolt_val_own(r->arena, cur);
    int fresh;
    jolt_val **slot = jolt_val_slot_in(r->arena, cur, s->key, s->len, r->dom, &fresh);
    jolt_val *sub = fresh ? NULL : *slot;
    put_last(r, cur, STEP_MAP, slot, 0, sub && jolt_val_is_null(sub) ? NULL : sub, data);
}

static void shift_write(shift_run *r, const wplan *pl, const jolt_val *data)
{
    int n = pl->n;
    const wstep *ws = pl->step;
    if (pl->direct && pl->npfx == n - 1 && r->pc[pl->pfx]) {
        /* the direct path's commonest case, literal keys only ("order.id"):
         * taken before the computed steps' loop, which it does not need */
        jolt_val *cur = r->pc[pl->pfx];
        if (jolt_val_is_object(cur))
            put_member(r, cur, &ws[n - 1], data);
        return;
    }
    struct rkey *rk = r->rk;
    int inbuf = 0;
    for (int i = pl->first_comp; i < n; i++) {
        const wstep *s = &ws[i];
        if (s->key || s->kind == STEP_AUTO)
            continue;
        if (s->kind == STEP_ARRAY) {
            if (jolt_pe_eval_index(s->pe, &r->w, &r->keys, &rk[i].idx))
                return;
            continue;
        }
        int rc = jolt_pe_eval_span(s->pe, &r->w, &rk[i].key, &rk[i].len);
        if (rc < 0)
            return;
        rk[i].stable = rc == 2;
        if (rc == 0) {
            if (!inbuf++)
                strbuf_reset(&r->keys);
            rk[i].key = NULL;
            rk[i].off = r->keys.len;
            if (jolt_pe_eval(s->pe, &r->w, &r->keys))
                return;
            strbuf_addch(&r->keys, '\0');
        }
    }
    /* the buffer may have moved while growing: resolve offsets now (a key
     * is used as a C string, up to a NUL a transposed value may hold) */
    for (int i = pl->first_comp; inbuf && i < n; i++)
        if (!ws[i].key && ws[i].kind == STEP_MAP && !rk[i].key) {
            rk[i].key = r->keys.buf + rk[i].off;
            rk[i].len = strlen(rk[i].key);
            rk[i].stable = 0;
        }
    if (pl->direct && r->pc[pl->pfx]) {
        /* the usual writes, their prefix found by an earlier one: the
         * steps after it (none in "order.id", "[&1]" in
         * "line_items[&1].sku") known to the write cache, then a lookup of
         * the literal last key */
        jolt_val *cur = r->pc[pl->pfx];
        int i = pl->npfx;
        for (; i < n - 1; i++) {
            const wcache *wc = &r->wc[i];
            long idx = ws[i].kind == STEP_ARRAY ? rk[i].idx : 0;
            if (wc->parent != cur || wc->key != ws[i].key || wc->idx != idx)
                break;
            cur = wc->child;
        }
        if (i == n - 1 && jolt_val_is_object(cur)) {
            put_member(r, cur, &ws[n - 1], data);
            return;
        }
    }
    jolt_arena *a = r->arena;
    jolt_val *cur = r->out;
    int i = 0;
    if (pl->pfx >= 0 && r->pc[pl->pfx]) {
        cur = r->pc[pl->pfx];
        i = pl->npfx;
    }
    for (; i < n; i++) {
        const wstep *s = &ws[i];
        if (i == pl->npfx && pl->pfx >= 0)
            r->pc[pl->pfx] = cur;
        const char *key = s->key ? s->key : rk[i].key;
        size_t klen = s->key ? s->len : rk[i].len;
        int kind = s->kind;
        long idx = kind == STEP_ARRAY ? rk[i].idx : 0;
        wcache *wc = s->cache ? &r->wc[i] : NULL;
        if (wc && wc->parent == cur && wc->key == s->key && wc->idx == idx) {
            cur = wc->child;
            continue;
        }
        if (kind == STEP_MAP ? !jolt_val_is_object(cur) : !jolt_val_is_array(cur))
            return;
        jolt_val_own(a, cur); /* written below: an input's container becomes ours */
        jolt_val *sub = NULL, **slot = NULL;
        if (kind == STEP_MAP) {
            /* the member, or a new one (filled below, whatever happens) */
            int fresh;
            slot = s->key ? jolt_val_slot_in(a, cur, key, klen, r->dom, &fresh)
                          : jolt_val_slot(a, cur, key, klen, rk[i].stable ? JOLT_KEY_STABLE : 0, &fresh);
            if (!slot)
                return;
            sub = fresh ? NULL : *slot;
        } else if (kind == STEP_ARRAY) {
            sub = (size_t)idx < cur->n ? cur->a[idx] : NULL;
        }
        if (sub && jolt_val_is_null(sub)) /* replaced in its place */
            sub = NULL;
        if (i == n - 1) {
            put_last(r, cur, kind, slot, idx, sub, data);
            return;
        }
        if (!sub) {
            sub = jolt_val_new(a, s->child);
            if (slot_set(r, cur, kind, slot, idx, sub))
                return;
        }
        if (wc) {
            wc->parent = cur;
            wc->key = s->key;
            wc->idx = idx;
            wc->child = sub;
        }
        cur = sub;
    }
}

static int node_apply(shift_run *r, const shift_node *n, const char *key, size_t klen, const jolt_val *input);
static void leaf_writes(shift_run *r, const shift_node *n, jolt_match *m, const jolt_val *input,
                        const jolt_val *data, int real);

/* Writes i in decimal, NUL-terminated, into buf (room for 21 bytes): an
 * array index as the key Java matches it by. Returns its length. */
static size_t index_key(size_t i, char *buf)
{
    char tmp[24], *e = tmp + sizeof tmp, *b = e;
    do {
        *--b = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    size_t len = (size_t)(e - b);
    memcpy(buf, b, len);
    buf[len] = '\0';
    return len;
}

static void apply_computed(shift_run *r, const shift_node *n, const char *key, size_t klen, const jolt_val *sub)
{
    for (int i = 0; i < n->ncomp; i++)
        if (node_apply(r, n->comp[i], key, klen, sub))
            break;
}

static inline const shift_node *find_literal(const shift_node *n, const char *key, size_t klen)
{
    uint32_t sig = lit_sig(key, klen);
    for (int i = 0; i < n->nlit; i++)
        if (n->lref[i].sig == sig && jolt_bytes_eq(n->lref[i].raw, key, klen))
            return n->lref[i].node;
    return NULL;
}

static void process_literals(shift_run *r, const shift_node *n, const jolt_val *input, json_type type)
{
    input = jolt_val_deref(input); /* a document's top, say: looked up with hints below */
    if (type == JSON_OBJECT) {
        size_t hint = 0; /* spec keys often come in the input's order */
        for (int i = 0; i < n->nlit; i++) {
            const struct litref *lr = &n->lref[i];
            const jolt_val *sub = input->kind == JV_OBJ ? jolt_val_get_hint(input, lr->raw, lr->len, &hint)
                                                        : jolt_in_get(r->arena, input, lr->raw, lr->len);
            if (!sub)
                continue;
            const shift_node *l = lr->node;
            if (l->leaf) { /* node_apply's work for a literal leaf, without its dispatch */
                jolt_match m;
                jolt_match_init(&m, lr->raw);
                m.klen = lr->len;
                leaf_writes(r, l, &m, sub, sub, 1);
                if (r->w.fail && !r->fail_path)
                    r->fail_path = l->path;
            } else {
                node_apply(r, l, lr->raw, lr->len, sub);
            }
        }
    } else if (type == JSON_ARRAY) {
        size_t size = jolt_in_size(input);
        for (int i = 0; i < n->nlit; i++) {
            /* Java: keyInt < size (a negative index would throw; skip it) */
            long idx = n->lit[i]->rawidx;
            if (idx < 0 || (size_t)idx >= size)
                continue;
            node_apply(r, n->lit[i], n->lit[i]->pe->raw, n->lit[i]->rawlen, jolt_in_at(r->arena, input, (size_t)idx));
        }
    }
}

/* Runs fn on each key and value of an object or array input (an array's
 * keys are its indexes in decimal). */
static void each_item(shift_run *r, const shift_node *n, const jolt_val *input, json_type type,
                      void (*fn)(shift_run *, const shift_node *, const char *, size_t, const jolt_val *))
{
    if (type == JSON_OBJECT) {
        jolt_in_iter it = { NULL, 0, 0 };
        const char *k;
        size_t klen;
        const jolt_val *v;
        while (jolt_in_next(r->arena, input, &it, &k, &klen, &v))
            fn(r, n, k, klen, v);
    } else if (type == JSON_ARRAY) {
        char buf[32];
        size_t size = jolt_in_size(input);
        const char *saved = r->temp_key;
        r->temp_key = buf;
        for (size_t i = 0; i < size; i++) {
            size_t klen = index_key(i, buf);
            fn(r, n, buf, klen, jolt_in_at(r->arena, input, i));
        }
        r->temp_key = saved;
    }
}

static void process_conflict_key(shift_run *r, const shift_node *n, const char *k, size_t klen, const jolt_val *v)
{
    const shift_node *lit = find_literal(n, k, klen);
    if (lit) /* its own text: the same key, compared by pointer below */
        node_apply(r, lit, lit->pe->raw, lit->rawlen, v);
    else
        apply_computed(r, n, k, klen, v);
}

static void process(shift_run *r, const shift_node *n, const jolt_val *input)
{
    json_type type = input ? jolt_in_type(input) : JSON_NULL;
    if (type == JSON_NULL)
        return;
    if (type != JSON_OBJECT && type != JSON_ARRAY) {
        /* a scalar: its Java toString is matched as a key, with no data */
        strbuf s = STRBUF_INIT;
        jolt_in_tostring(input, &s);
        const char *saved = r->temp_key;
        r->temp_key = s.buf;
        if (n->strategy == ST_LITERALS || n->strategy == ST_BOTH) {
            const shift_node *lit = find_literal(n, s.buf, s.len);
            if (lit)
                node_apply(r, lit, s.buf, s.len, NULL);
        }
        if (n->strategy == ST_COMPUTED || n->strategy == ST_BOTH)
            apply_computed(r, n, s.buf, s.len, NULL);
        if (n->strategy == ST_CONFLICT)
            process_conflict_key(r, n, s.buf, s.len, NULL);
        r->temp_key = saved;
        strbuf_release(&s);
        return;
    }
    switch (n->strategy) {
    case ST_LITERALS:
        process_literals(r, n, input, type);
        break;
    case ST_COMPUTED:
        each_item(r, n, input, type, apply_computed);
        break;
    case ST_BOTH:
        process_literals(r, n, input, type);
        each_item(r, n, input, type, apply_computed);
        break;
    case ST_CONFLICT:
        each_item(r, n, input, type, process_conflict_key);
        break;
    }
}

static int node_apply_here(shift_run *r, const shift_node *n, const char *key, size_t klen, const jolt_val *input);

/* Applies node n to input under key (klen bytes); 1 when it matched
 * ("handled" the key). A reference failure is charged to the innermost
 * node that saw it. */
static int node_apply(shift_run *r, const shift_node *n, const char *key, size_t klen, const jolt_val *input)
{
    int rc = node_apply_here(r, n, key, klen, input);
    if (r->w.fail && !r->fail_path)
        r->fail_path = n->path;
    return rc;
}

/* The walk keeps jansson trees for the references that read the input
 * ("@(n,path)", transposes): a spec with any of them gets a jansson input
 * (see shift_need), so an arena input's NULL here is never read. A spec
 * without them (r->trees 0) never reads the trees at all. */
static const json_t *walk_tree(const shift_run *r, const jolt_val *v)
{
    return r->trees && v ? jolt_in_json(v) : NULL;
}

/* A jansson value read by a transpose, as an input value (NULL: none). */
static const jolt_val *wrap(shift_run *r, const json_t *j)
{
    return j ? jolt_val_json(r->arena, j, 0) : NULL;
}

/* The writes of leaf n, its key matched as m on input; real: the match
 * counts for "#" (a leaf that takes its input's value). */
static void leaf_writes(shift_run *r, const shift_node *n, jolt_match *m, const jolt_val *input,
                        const jolt_val *data, int real)
{
    jolt_walk_push(&r->w, walk_tree(r, input), m);
    for (int i = 0; i < n->nw; i++)
        shift_write(r, &n->wplan[i], data);
    jolt_walk_pop(&r->w);
    if (real) {
        jolt_step *last = jolt_walk_from_end(&r->w, 0);
        if (last)
            last->m->hash++;
    }
}

static int node_apply_here(shift_run *r, const shift_node *n, const char *key, size_t klen, const jolt_val *input)
{
    jolt_match own;
    jolt_match_init(&own, key);
    int mr;
    if (n->pe->kind == PE_LITERAL) { /* the common cases: no captures to fill, */
        mr = key == n->pe->raw || !strcmp(key, n->pe->raw);
    } else if (n->pe->kind == PE_STAR_ALL) { /* or "*", the whole key its one capture */
        own.ng = 1;
        own.g[0] = key;
        own.gl[0] = klen;
        mr = 1;
    } else {
        mr = jolt_pe_match(n->pe, key, &r->w, &own);
    }
    if (!mr) {
        jolt_match_release(&own);
        return 0;
    }
    /* the key itself, from the input or the spec: it outlives the output */
    own.kstable = own.key == key && key != r->temp_key;
    if (own.key == key)
        own.klen = klen;
    jolt_match *m = &own;
    jolt_step *parent = jolt_walk_from_end(&r->w, 0);
    if (mr == 2) /* @ and @(..) reuse the parent's match so &0 and &1 agree */
        m = parent ? parent->m : &own;

    if (!n->leaf) {
        const jolt_val *data = input;
        if (n->pe->kind == PE_TRANSPOSE) {
            const json_t *t;
            if (!jolt_transpose_data(n->pe, &r->w, &t)) {
                jolt_match_release(&own);
                return 0;
            }
            data = wrap(r, t);
        }
        jolt_walk_push(&r->w, walk_tree(r, data), m);
        for (int i = 0; i < n->nspecial; i++)
            node_apply(r, n->special[i], key, klen, data);
        process(r, n, data);
        jolt_walk_pop(&r->w);
        jolt_step *last = jolt_walk_from_end(&r->w, 0);
        if (last)
            last->m->hash++;
        jolt_match_release(&own);
        return 1;
    }

    const jolt_val *data;
    int real = 0;
    switch (n->pe->kind) {
    case PE_DOLLAR:
    case PE_HASH: {
        json_t *tmp = json_string(m->key);
        if (!tmp) /* not UTF-8: keep it as a string anyway */
            tmp = json_stringn_nocheck(m->key, strlen(m->key));
        jolt_arena_hold(r->arena, tmp); /* the output may point at it */
        data = wrap(r, tmp);
        break;
    }
    case PE_AT:
        data = input;
        break;
    case PE_TRANSPOSE: {
        const json_t *t;
        if (!jolt_transpose_data(n->pe, &r->w, &t)) {
            jolt_match_release(&own);
            return 0;
        }
        data = wrap(r, t);
        break;
    }
    default:
        data = input;
        real = 1;
        break;
    }
    leaf_writes(r, n, m, input, data, real);
    jolt_match_release(&own);
    return real;
}

/* ---- what an input must hold for the spec (jolt_apply_text) ---- */

/* Whether the node or one below it reads input data other than the value
 * its own key matched: "@" and "@(n,path)" keys, and transposes on the
 * right hand side. Such a spec can read anything: its input is built whole. */
static int reads_around(const shift_node *n)
{
    if (n->pe->kind == PE_AT || n->pe->kind == PE_TRANSPOSE)
        return 1;
    for (int i = 0; i < n->nw; i++)
        for (int j = 0; j < n->writers[i]->n; j++) {
            const jolt_pe *pe = n->writers[i]->el[j];
            if (pe->kind == PE_TRANSPOSE || (pe->kind == PE_ARRAY && pe->arr == ARR_TRANSPOSE))
                return 1;
        }
    for (int i = 0; i < n->nspecial; i++)
        if (reads_around(n->special[i]))
            return 1;
    for (int i = 0; i < n->nlit; i++)
        if (reads_around(n->lit[i]))
            return 1;
    for (int i = 0; i < n->ncomp; i++)
        if (reads_around(n->comp[i]))
            return 1;
    return 0;
}

/* The jsontext_filter_fn of a shift spec without reads_around: the value
 * under key (or at index of an array) is needed when a child of node can
 * match that key, and then as a whole when that child is a leaf (its value
 * is copied out) or when several children can match. Matching depends on
 * keys alone, so a value no child can match is never read. Over-approximate:
 * "&" keys count as matching anything. Returns a child node (borrowed from
 * the compiled spec), JSONTEXT_BUILD_ALL or NULL. */
static const void *shift_need(const void *node, const char *key, size_t klen, size_t index, void *ctx)
{
    (void)ctx;
    const shift_node *n = node;
    char buf[128];
    long idx = -1;
    if (!key) { /* an array element: matched as its decimal index */
        if (index > (size_t)INT_MAX)
            return JSONTEXT_BUILD_ALL;
        idx = (long)index;
        key = buf;
        klen = index_key(index, buf);
    }
    const shift_node *cand = NULL; /* the one child that matches so far */
    if (idx < 0) {
        /* an object's key: literal keys are unique, at most one matches */
        cand = find_literal(n, key, klen);
    } else {
        for (int i = 0; i < n->nlit; i++) {
            const shift_node *l = n->lit[i];
            /* arrays: process_literals reads "00" as index 0 too */
            if ((l->rawlen == klen && jolt_bytes_eq(l->pe->raw, key, klen)) || l->rawidx == idx) {
                if (cand)
                    return JSONTEXT_BUILD_ALL;
                cand = l;
            }
        }
    }
    int copied = key == buf;
    for (int i = 0; i < n->ncomp; i++) {
        const jolt_pe *pe = n->comp[i]->pe;
        if (pe->kind != PE_STAR_ALL && is_star(pe->kind)) {
            jolt_match m;
            if (!copied) { /* the star matchers want a C string */
                if (klen >= sizeof buf)
                    return JSONTEXT_BUILD_ALL;
                memcpy(buf, key, klen);
                buf[klen] = '\0';
                copied = 1;
            }
            if (!jolt_pe_star_match(pe, buf, &m))
                continue;
        }
        if (cand)
            return JSONTEXT_BUILD_ALL;
        cand = n->comp[i];
    }
    if (!cand)
        return NULL;
    return cand->leaf ? JSONTEXT_BUILD_ALL : (const void *)cand;
}

/* The output in the arena a (which owns it), or NULL with err when Java
 * would throw. input is borrowed and must outlive the arena. */
static jolt_val *shift_to_val(const void *impl, const jolt_val *input, const json_t *context, jolt_arena *a,
                              strbuf *err)
{
    (void)context;
    const shift_spec *s = impl;
    shift_run r;
    memset(&r, 0, sizeof r);
    jolt_step room[32]; /* the walk's, deep enough for most specs */
    jolt_walk_start(&r.w, room, 32);
    r.keys = (strbuf)STRBUF_INIT; /* allocated on the first computed key */
    r.arena = a;
    r.trees = s->reads_around;
    r.dom = s->dom;
    r.rk = jolt_arena_alloc(a, (size_t)(s->maxpath ? s->maxpath : 1) * sizeof *r.rk);
    r.out = jolt_val_new(a, JV_OBJ);
    r.npc = (size_t)s->npfx;
    r.pc = jolt_arena_alloc(a, (r.npc ? r.npc : 1) * sizeof *r.pc);
    memset(r.pc, 0, r.npc * sizeof *r.pc);
    jolt_match root;
    const char *rootkey = s->root->pe->raw; /* "root", the node's own: compared by pointer */
    jolt_match_init(&root, rootkey);
    jolt_walk_push(&r.w, walk_tree(&r, input), &root);
    node_apply(&r, s->root, rootkey, 4, input);
    jolt_walk_release(&r.w);
    jolt_match_release(&root);
    strbuf_release(&r.keys);
    if (r.w.fail) {
        /* Java throws here: the whole transform fails */
        if (err)
            strbuf_setf(err, "%s: %s", r.fail_path ? r.fail_path : "(spec)", r.w.fail);
        return NULL;
    }
    jolt_val *res = jolt_val_get(r.out, "root", 4);
    return res ? res : jolt_val_json(a, json_null(), 1);
}

static json_t *shift_apply(const void *impl, const json_t *input, const json_t *context, strbuf *err)
{
    jolt_arena *a = jolt_arena_new();
    jolt_val *v = shift_to_val(impl, jolt_val_json(a, input, 0), context, a, err);
    json_t *res = v ? jolt_val_to_json(v) : NULL;
    jolt_arena_free(a);
    return res;
}

static void shift_free(void *impl)
{
    shift_spec *s = impl;
    node_free(s->root);
    for (int i = 0; i < s->npfx; i++)
        free(s->pfx[i]);
    free(s->pfx);
    free(s->pfxlen);
    free(s);
}

static int step_kind(const jolt_pe *pe)
{
    if (pe->kind == PE_ARRAY)
        return pe->arr == ARR_AUTO ? STEP_AUTO : STEP_ARRAY;
    return STEP_MAP;
}

/* The number of prefix keys[0..n) among the spec's (added on first sight). */
static int intern_prefix(shift_spec *s, const char **keys, int n)
{
    for (int i = 0; i < s->npfx; i++)
        if (s->pfxlen[i] == n && !memcmp(s->pfx[i], keys, (size_t)n * sizeof *keys))
            return i;
    s->pfx = xrealloc(s->pfx, (size_t)(s->npfx + 1) * sizeof *s->pfx);
    s->pfxlen = xrealloc(s->pfxlen, (size_t)(s->npfx + 1) * sizeof *s->pfxlen);
    s->pfx[s->npfx] = xmalloc((size_t)n * sizeof *keys);
    memcpy(s->pfx[s->npfx], keys, (size_t)n * sizeof *keys);
    s->pfxlen[s->npfx] = n;
    return s->npfx++;
}

/* Compiles the wplan of n and of the nodes below it. */
static void plan_writers(shift_spec *s, shift_node *n)
{
    if (n->nw) {
        /* the plans and their steps in one block: a write reads them together */
        size_t nsteps = 0;
        for (int i = 0; i < n->nw; i++)
            nsteps += (size_t)(n->writers[i]->n ? n->writers[i]->n : 1);
        n->wplan = xcalloc(1, (size_t)n->nw * sizeof *n->wplan + nsteps * sizeof(wstep));
        wstep *next = (wstep *)(n->wplan + n->nw);
        for (int i = 0; i < n->nw; i++) {
            const jolt_path *p = n->writers[i];
            wplan *pl = &n->wplan[i];
            wstep *ws = pl->step = next;
            next += p->n ? p->n : 1;
            pl->n = p->n;
            pl->first_comp = p->n;
            if (p->n > s->maxpath)
                s->maxpath = p->n;
            for (int j = 0; j < p->n; j++) {
                ws[j].pe = p->el[j];
                ws[j].kind = step_kind(p->el[j]);
                if (p->el[j]->kind == PE_LITERAL) {
                    ws[j].key = jolt_keydom_intern(s->dom, p->el[j]->raw);
                    ws[j].len = strlen(p->el[j]->raw);
                } else if (pl->first_comp == p->n) {
                    pl->first_comp = j;
                }
                int last = j == p->n - 1;
                ws[j].child = !last && step_kind(p->el[j + 1]) == STEP_MAP ? JV_OBJ : JV_ARR;
                ws[j].cache = !last && (ws[j].key || ws[j].kind == STEP_ARRAY) && j < WCACHE_LEVELS;
                if (!last && ws[j].key && ws[j].kind == STEP_MAP && pl->npfx == j)
                    pl->npfx = j + 1;
            }
            pl->pfx = -1;
            if (pl->npfx) {
                const char *keys[pl->npfx];
                for (int j = 0; j < pl->npfx; j++)
                    keys[j] = ws[j].key;
                pl->pfx = intern_prefix(s, keys, pl->npfx);
            }
            pl->direct = pl->pfx >= 0 && ws[p->n - 1].kind == STEP_MAP && ws[p->n - 1].key;
            for (int j = pl->npfx; j < p->n - 1 && pl->direct; j++)
                pl->direct = ws[j].cache;
        }
    }
    for (int i = 0; i < n->nspecial; i++)
        plan_writers(s, n->special[i]);
    for (int i = 0; i < n->nlit; i++)
        plan_writers(s, n->lit[i]);
    for (int i = 0; i < n->ncomp; i++)
        plan_writers(s, n->comp[i]);
}

int jolt_shift_compile(jolt_op *op, const json_t *spec, jolt_cpath *p, strbuf *err)
{
    if (!json_is_object(spec))
        return jolt_cpath_err(p, err, "shift spec must be an object");
    shift_node *root = node_compile("root", spec, p, err);
    if (!root)
        return -1;
    shift_spec *s = xcalloc(1, sizeof *s);
    s->root = root;
    s->dom = p->dom;
    plan_writers(s, root);
    op->name = "shift";
    op->impl = s;
    op->apply = shift_apply;
    op->to_val = shift_to_val;
    op->free_impl = shift_free;
    s->reads_around = reads_around(root);
    if (!s->reads_around) {
        op->need = shift_need;
        op->need_root = root;
    }
    return 0;
}
