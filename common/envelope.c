/*
 * envelope.c: the msgpack encoding of an envelope. See envelope.h.
 *
 * Wire format: one msgpack map whose keys are short strings:
 *
 *   "v"  version (uint)          "f"  flow (str)        "t"  flow_type (str)
 *   "r"  run_id (str)            "k"  key (str)         "a"  attempt (uint)
 *   "c"  created_ms (int)        "A"  attrs (map str -> str)
 *   "b"  body (bin)            "S"  source (bin, only when not empty)
 *   failure context, written only when set:
 *   "s"  stage (str)  "h" http_status (int)  "e" error (str)
 *   "st" src_topic (str)  "sp" src_partition (int)  "so" src_offset (int)
 *   "fm" failed_ms (int)
 *
 * String fields that are NULL are simply left out; a missing field decodes
 * to NULL / 0. "v", "f" and "t" are required.
 *
 * Encoding goes through msgpack-c's packer into a strbuf. Decoding is a small
 * hand-written cursor over the bytes instead of msgpack_unpack(): msgpack-c
 * allocates a whole array/map up front from the count in the header, so five
 * hostile bytes ("\xdd\xff\xff\xff\xff") ask it for 64 GB. The cursor never
 * allocates on the say-so of a length field: every length is checked against
 * the bytes that remain before anything is copied, unknown values are skipped
 * with a nesting limit, and every error path frees what was built so far
 * (envelope_decode resets e on failure).
 */
#include "envelope.h"
#include "xalloc.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

void envelope_init(envelope *e)
{
    memset(e, 0, sizeof *e);
    e->version = ENVELOPE_VERSION;
    attrs_init(&e->attrs);
    strbuf_init(&e->body, 0);
    strbuf_init(&e->source, 0);
    e->src_partition = -1;
    e->src_offset = -1;
}

void envelope_release(envelope *e)
{
    free(e->flow);
    free(e->flow_type);
    free(e->run_id);
    free(e->key);
    free(e->stage);
    free(e->error);
    free(e->src_topic);
    attrs_release(&e->attrs);
    strbuf_release(&e->body);
    strbuf_release(&e->source);
    envelope_init(e);
}

void envelope_set(char **field, const char *val)
{
    char *n = val ? xstrndup(val, strlen(val)) : NULL;
    free(*field);
    *field = n;
}

void envelope_copy(envelope *dst, const envelope *src)
{
    if (dst == src)
        return;
    envelope_release(dst);
    dst->version = src->version;
    envelope_set(&dst->flow, src->flow);
    envelope_set(&dst->flow_type, src->flow_type);
    envelope_set(&dst->run_id, src->run_id);
    envelope_set(&dst->key, src->key);
    dst->attempt = src->attempt;
    dst->created_ms = src->created_ms;
    attrs_copy(&dst->attrs, &src->attrs);
    strbuf_add(&dst->body, src->body.buf, src->body.len);
    strbuf_add(&dst->source, src->source.buf, src->source.len);
    envelope_set(&dst->stage, src->stage);
    dst->http_status = src->http_status;
    envelope_set(&dst->error, src->error);
    envelope_set(&dst->src_topic, src->src_topic);
    dst->src_partition = src->src_partition;
    dst->src_offset = src->src_offset;
    dst->failed_ms = src->failed_ms;
}

/* ---- encoding ---- */

static int sb_write(void *data, const char *buf, size_t len)
{
    strbuf_add(data, buf, len);
    return 0;
}

static void pack_key(msgpack_packer *pk, const char *k)
{
    size_t n = strlen(k);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, k, n);
}

static void pack_str(msgpack_packer *pk, const char *k, const char *v)
{
    size_t n = strlen(v);
    pack_key(pk, k);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, v, n);
}

static void pack_int(msgpack_packer *pk, const char *k, int64_t v)
{
    pack_key(pk, k);
    msgpack_pack_int64(pk, v);
}

void envelope_encode(const envelope *e, strbuf *out)
{
    msgpack_packer pk;
    uint32_t n = 7; /* v f t a c A b */
    const char *strs[] = { e->run_id, e->key, e->stage, e->error, e->src_topic };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        n += strs[i] != NULL;
    n += e->source.len > 0;
    n += e->http_status != 0;
    n += e->src_partition >= 0;
    n += e->src_offset >= 0;
    n += e->failed_ms != 0;

    msgpack_packer_init(&pk, out, sb_write);
    msgpack_pack_map(&pk, n);
    pack_int(&pk, "v", e->version);
    pack_str(&pk, "f", e->flow ? e->flow : "");
    pack_str(&pk, "t", e->flow_type ? e->flow_type : "");
    if (e->run_id)
        pack_str(&pk, "r", e->run_id);
    if (e->key)
        pack_str(&pk, "k", e->key);
    pack_int(&pk, "a", e->attempt);
    pack_int(&pk, "c", e->created_ms);
    pack_key(&pk, "A");
    msgpack_pack_map(&pk, e->attrs.n);
    for (size_t i = 0; i < e->attrs.n; i++) {
        size_t kl = strlen(e->attrs.keys[i]), vl = strlen(e->attrs.vals[i]);
        msgpack_pack_str(&pk, kl);
        msgpack_pack_str_body(&pk, e->attrs.keys[i], kl);
        msgpack_pack_str(&pk, vl);
        msgpack_pack_str_body(&pk, e->attrs.vals[i], vl);
    }
    pack_key(&pk, "b");
    msgpack_pack_bin(&pk, e->body.len);
    msgpack_pack_bin_body(&pk, e->body.buf, e->body.len);
    if (e->source.len) {
        pack_key(&pk, "S");
        msgpack_pack_bin(&pk, e->source.len);
        msgpack_pack_bin_body(&pk, e->source.buf, e->source.len);
    }
    if (e->stage)
        pack_str(&pk, "s", e->stage);
    if (e->http_status)
        pack_int(&pk, "h", e->http_status);
    if (e->error)
        pack_str(&pk, "e", e->error);
    if (e->src_topic)
        pack_str(&pk, "st", e->src_topic);
    if (e->src_partition >= 0)
        pack_int(&pk, "sp", e->src_partition);
    if (e->src_offset >= 0)
        pack_int(&pk, "so", e->src_offset);
    if (e->failed_ms)
        pack_int(&pk, "fm", e->failed_ms);
}

/* ---- decoding ---- */

typedef struct cursor {
    const unsigned char *p, *end;
    strbuf *err;
} cursor;

#define MAX_DEPTH 32

static int fail(cursor *c, const char *what)
{
    strbuf_seterr(c->err, "malformed envelope: %s", what);
    return -1;
}

static int need(cursor *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return fail(c, "truncated");
    return 0;
}

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads an n-byte big-endian length/count field. */
static int read_len(cursor *c, int n, uint64_t *out)
{
    if (need(c, (size_t)n) < 0)
        return -1;
    *out = be(c->p, n);
    c->p += n;
    return 0;
}

/* Reads a str (or bin when allow_bin) header; on success *s points at the
 * bytes (which are in bounds) and the cursor is past them. */
static int read_raw(cursor *c, int allow_bin, const char **s, size_t *len, const char *what)
{
    uint64_t n;
    if (need(c, 1) < 0)
        return -1;
    unsigned char t = *c->p++;
    if (t >= 0xa0 && t <= 0xbf)
        n = t & 0x1f;
    else if (t == 0xd9 || (allow_bin && t == 0xc4))
        { if (read_len(c, 1, &n) < 0) { return -1; } }
    else if (t == 0xda || (allow_bin && t == 0xc5))
        { if (read_len(c, 2, &n) < 0) { return -1; } }
    else if (t == 0xdb || (allow_bin && t == 0xc6))
        { if (read_len(c, 4, &n) < 0) { return -1; } }
    else {
        strbuf_seterr(c->err, "malformed envelope: %s is not a %s", what, allow_bin ? "string or binary" : "string");
        return -1;
    }
    if (need(c, n) < 0)
        return -1;
    *s = (const char *)c->p;
    *len = (size_t)n;
    c->p += n;
    return 0;
}

/* A string without NUL bytes, copied. */
static int read_cstr(cursor *c, char **out, const char *what)
{
    const char *s;
    size_t n;
    if (read_raw(c, 0, &s, &n, what) < 0)
        return -1;
    if (memchr(s, '\0', n)) {
        strbuf_seterr(c->err, "malformed envelope: %s contains a NUL byte", what);
        return -1;
    }
    free(*out);
    *out = xstrndup(s, n);
    return 0;
}

/* Any msgpack integer that fits in [lo, hi]. */
static int read_int(cursor *c, int64_t lo, int64_t hi, int64_t *out, const char *what)
{
    if (need(c, 1) < 0)
        return -1;
    unsigned char t = *c->p++;
    int64_t v;
    if (t <= 0x7f)
        v = t;
    else if (t >= 0xe0)
        v = (int8_t)t;
    else if (t >= 0xcc && t <= 0xcf) {          /* uint 8/16/32/64 */
        int n = 1 << (t - 0xcc);
        if (need(c, (size_t)n) < 0)
            return -1;
        uint64_t u = be(c->p, n);
        c->p += n;
        if (u > (uint64_t)INT64_MAX)
            goto range;
        v = (int64_t)u;
    } else if (t >= 0xd0 && t <= 0xd3) {        /* int 8/16/32/64 */
        int n = 1 << (t - 0xd0);
        if (need(c, (size_t)n) < 0)
            return -1;
        uint64_t u = be(c->p, n);
        c->p += n;
        if (n < 8 && (u >> (n * 8 - 1)) & 1)    /* sign-extend */
            u |= ~(uint64_t)0 << (n * 8);
        memcpy(&v, &u, sizeof v);
    } else {
        strbuf_seterr(c->err, "malformed envelope: %s is not an integer", what);
        return -1;
    }
    if (v < lo || v > hi)
        goto range;
    *out = v;
    return 0;
range:
    strbuf_seterr(c->err, "malformed envelope: %s out of range", what);
    return -1;
}

/* Skips one value of any type (for unknown keys). */
static int skip(cursor *c, int depth)
{
    uint64_t n = 0, items = 0;
    if (depth > MAX_DEPTH)
        return fail(c, "nested too deeply");
    if (need(c, 1) < 0)
        return -1;
    unsigned char t = *c->p++;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return 0;
    if (t >= 0xa0 && t <= 0xbf)
        n = t & 0x1f;
    else if (t >= 0x90 && t <= 0x9f)
        items = t & 0x0f;
    else if (t >= 0x80 && t <= 0x8f)
        items = (uint64_t)(t & 0x0f) * 2;
    else switch (t) {
    case 0xc4: case 0xd9: if (read_len(c, 1, &n) < 0) { return -1; } break;
    case 0xc5: case 0xda: if (read_len(c, 2, &n) < 0) { return -1; } break;
    case 0xc6: case 0xdb: if (read_len(c, 4, &n) < 0) { return -1; } break;
    case 0xc7: if (read_len(c, 1, &n) < 0) { return -1; } n += 1; break; /* ext 8 (+type) */
    case 0xc8: if (read_len(c, 2, &n) < 0) { return -1; } n += 1; break;
    case 0xc9: if (read_len(c, 4, &n) < 0) { return -1; } n += 1; break;
    case 0xca: n = 4; break;
    case 0xcb: n = 8; break;
    case 0xcc: case 0xd0: n = 1; break;
    case 0xcd: case 0xd1: n = 2; break;
    case 0xce: case 0xd2: n = 4; break;
    case 0xcf: case 0xd3: n = 8; break;
    case 0xd4: n = 2; break;  /* fixext 1 (+type) */
    case 0xd5: n = 3; break;
    case 0xd6: n = 5; break;
    case 0xd7: n = 9; break;
    case 0xd8: n = 17; break;
    case 0xdc: if (read_len(c, 2, &items) < 0) { return -1; } break;
    case 0xdd: if (read_len(c, 4, &items) < 0) { return -1; } break;
    case 0xde: if (read_len(c, 2, &items) < 0) { return -1; } items *= 2; break;
    case 0xdf: if (read_len(c, 4, &items) < 0) { return -1; } items *= 2; break;
    default: return fail(c, "invalid msgpack byte 0xc1");
    }
    if (need(c, n) < 0)
        return -1;
    c->p += n;
    /* every item takes at least one byte: a lying count fails fast */
    if (need(c, items) < 0)
        return -1;
    for (uint64_t i = 0; i < items; i++)
        if (skip(c, depth + 1) < 0)
            return -1;
    return 0;
}

/* Reads a map header; *n is the number of entries. */
static int read_map(cursor *c, uint64_t *n, const char *what)
{
    if (need(c, 1) < 0)
        return -1;
    unsigned char t = *c->p++;
    if (t >= 0x80 && t <= 0x8f)
        *n = t & 0x0f;
    else if (t == 0xde) {
        if (read_len(c, 2, n) < 0)
            return -1;
    } else if (t == 0xdf) {
        if (read_len(c, 4, n) < 0)
            return -1;
    } else {
        strbuf_seterr(c->err, "malformed envelope: %s is not a map", what);
        return -1;
    }
    if ((uint64_t)(c->end - c->p) / 2 < *n)
        return fail(c, "truncated");
    return 0;
}

static int read_attrs(cursor *c, attrs *a)
{
    uint64_t n;
    if (read_map(c, &n, "attrs") < 0)
        return -1;
    attrs_release(a);
    for (uint64_t i = 0; i < n; i++) {
        const char *k, *v;
        size_t kl, vl;
        if (read_raw(c, 0, &k, &kl, "attribute name") < 0)
            return -1;
        if (read_raw(c, 1, &v, &vl, "attribute value") < 0)
            return -1;
        if (memchr(k, '\0', kl) || memchr(v, '\0', vl))
            return fail(c, "attribute contains a NUL byte");
        if (kl == 0)
            return fail(c, "empty attribute name");
        char *key = xstrndup(k, kl);
        attrs_setn(a, key, v, vl);
        free(key);
    }
    return 0;
}

static int key_is(const char *k, size_t kl, const char *want)
{
    return strlen(want) == kl && memcmp(k, want, kl) == 0;
}

static int decode(envelope *e, cursor *c)
{
    uint64_t n;
    int64_t v;
    int have_version = 0;

    if (c->p == c->end)
        return fail(c, "empty message");
    if (read_map(c, &n, "top level") < 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t kl;
        if (read_raw(c, 0, &k, &kl, "field name") < 0)
            return -1;
        if (key_is(k, kl, "v")) {
            if (read_int(c, 0, INT32_MAX, &v, "version") < 0)
                return -1;
            e->version = (int)v;
            have_version = 1;
        } else if (key_is(k, kl, "f")) {
            if (read_cstr(c, &e->flow, "flow") < 0)
                return -1;
        } else if (key_is(k, kl, "t")) {
            if (read_cstr(c, &e->flow_type, "flow_type") < 0)
                return -1;
        } else if (key_is(k, kl, "r")) {
            if (read_cstr(c, &e->run_id, "run_id") < 0)
                return -1;
        } else if (key_is(k, kl, "k")) {
            if (read_cstr(c, &e->key, "key") < 0)
                return -1;
        } else if (key_is(k, kl, "a")) {
            if (read_int(c, 0, UINT32_MAX, &v, "attempt") < 0)
                return -1;
            e->attempt = (uint32_t)v;
        } else if (key_is(k, kl, "c")) {
            if (read_int(c, INT64_MIN, INT64_MAX, &e->created_ms, "created_ms") < 0)
                return -1;
        } else if (key_is(k, kl, "A")) {
            if (read_attrs(c, &e->attrs) < 0)
                return -1;
        } else if (key_is(k, kl, "b")) {
            const char *s;
            size_t len;
            if (read_raw(c, 1, &s, &len, "body") < 0)
                return -1;
            strbuf_reset(&e->body);
            strbuf_add(&e->body, s, len);
        } else if (key_is(k, kl, "S")) {
            const char *s;
            size_t len;
            if (read_raw(c, 1, &s, &len, "source") < 0)
                return -1;
            strbuf_reset(&e->source);
            strbuf_add(&e->source, s, len);
        } else if (key_is(k, kl, "s")) {
            if (read_cstr(c, &e->stage, "stage") < 0)
                return -1;
        } else if (key_is(k, kl, "h")) {
            if (read_int(c, INT32_MIN, INT32_MAX, &v, "http_status") < 0)
                return -1;
            e->http_status = (int)v;
        } else if (key_is(k, kl, "e")) {
            if (read_cstr(c, &e->error, "error") < 0)
                return -1;
        } else if (key_is(k, kl, "st")) {
            if (read_cstr(c, &e->src_topic, "src_topic") < 0)
                return -1;
        } else if (key_is(k, kl, "sp")) {
            if (read_int(c, INT32_MIN, INT32_MAX, &v, "src_partition") < 0)
                return -1;
            e->src_partition = (int32_t)v;
        } else if (key_is(k, kl, "so")) {
            if (read_int(c, INT64_MIN, INT64_MAX, &e->src_offset, "src_offset") < 0)
                return -1;
        } else if (key_is(k, kl, "fm")) {
            if (read_int(c, INT64_MIN, INT64_MAX, &e->failed_ms, "failed_ms") < 0)
                return -1;
        } else if (skip(c, 0) < 0) {
            return -1;
        }
    }
    if (c->p != c->end)
        return fail(c, "trailing bytes after the map");
    if (!have_version)
        return fail(c, "no version");
    if (e->version != ENVELOPE_VERSION) {
        strbuf_seterr(c->err, "envelope version %d is not supported (this build reads version %d)",
                      e->version, ENVELOPE_VERSION);
        return -1;
    }
    if (!e->flow)
        return fail(c, "missing required field flow");
    if (!e->flow_type)
        return fail(c, "missing required field flow_type");
    return 0;
}

int envelope_decode(envelope *e, const void *data, size_t len, strbuf *err)
{
    cursor c = { data, (const unsigned char *)data + len, err };
    envelope_release(e);
    if (!data && len)
        return fail(&c, "NULL data");
    if (!data)
        c.p = c.end = (const unsigned char *)"";
    if (decode(e, &c) < 0) {
        envelope_release(e);
        return -1;
    }
    return 0;
}
