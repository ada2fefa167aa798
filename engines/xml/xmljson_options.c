/*
 * xmljson_options.c: the options' defaults, and the options read from a
 * JSON object (a flow's settings, a test case's options.json).
 *
 * Reading from JSON copies every string into one allocation list (owned_),
 * a NULL-terminated vector of malloc'd pointers that _release frees, so the
 * options outlive the JSON they came from and the public struct keeps plain
 * `const char *` fields. Unknown keys are errors: a misspelt setting must not
 * silently fall back to a default.
 */
#include <string.h>

#include "xalloc.h"
#include "xmljson.h"

void xmljson_options_init(xmljson_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->convention = XMLJSON_NIFI;
    opt->attributes = 1;
    opt->max_bytes = XMLJSON_DEFAULT_MAX_BYTES;
    opt->max_depth = XMLJSON_DEFAULT_MAX_DEPTH;
    opt->max_nodes = XMLJSON_DEFAULT_MAX_NODES;
}

void xmljson_options_release(xmljson_options *opt)
{
    if (opt->owned_) {
        for (char **p = opt->owned_; *p; p++)
            free(*p);
        free(opt->owned_);
    }
    xmljson_options_init(opt);
}

/* Remembers p in opt->owned_ (kept NULL-terminated); returns p. */
static void *own(xmljson_options *opt, void *p)
{
    size_t n = 0;
    while (opt->owned_ && opt->owned_[n])
        n++;
    opt->owned_ = xrealloc(opt->owned_, (n + 2) * sizeof *opt->owned_);
    opt->owned_[n] = p;
    opt->owned_[n + 1] = NULL;
    return p;
}

static int get_bool(const char *key, const json_t *v, int *out, strbuf *err)
{
    if (!json_is_boolean(v)) {
        strbuf_seterr(err, "xml option %s: expected true or false", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

static int get_string(xmljson_options *opt, const char *key, const json_t *v, const char **out, strbuf *err)
{
    if (!json_is_string(v)) {
        strbuf_seterr(err, "xml option %s: expected a string", key);
        return -1;
    }
    *out = own(opt, xstrndup(json_string_value(v), json_string_length(v)));
    return 0;
}

static int get_positive(const char *key, const json_t *v, json_int_t max, json_int_t *out, strbuf *err)
{
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > max) {
        strbuf_seterr(err, "xml option %s: expected an integer from 1 to %lld", key, (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

static int get_paths(xmljson_options *opt, const json_t *v, strbuf *err)
{
    if (!json_is_array(v)) {
        strbuf_seterr(err, "xml option always_array: expected an array of paths");
        return -1;
    }
    const char **paths = own(opt, xcalloc(json_array_size(v) + 1, sizeof *paths));
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *p = json_array_get(v, i);
        if (!json_is_string(p) || json_string_length(p) == 0) {
            strbuf_seterr(err, "xml option always_array[%zu]: expected a non-empty path string", i);
            return -1;
        }
        paths[i] = own(opt, xstrndup(json_string_value(p), json_string_length(p)));
    }
    opt->always_array = paths;
    return 0;
}

int xmljson_options_from_json(xmljson_options *opt, const json_t *obj, strbuf *err)
{
    xmljson_options_init(opt);
    if (!obj)
        return 0;
    if (!json_is_object(obj)) {
        strbuf_seterr(err, "xml options: expected an object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        json_int_t n = 0;
        int rc;
        if (!strcmp(key, "convention")) {
            const char *c = json_string_value(v);
            if (c && !strcmp(c, "nifi"))
                opt->convention = XMLJSON_NIFI;
            else if (c && !strcmp(c, "prefixed"))
                opt->convention = XMLJSON_PREFIXED;
            else {
                strbuf_seterr(err, "xml option convention: expected \"nifi\" or \"prefixed\"");
                return -1;
            }
            rc = 0;
        } else if (!strcmp(key, "records_as_array")) {
            rc = get_bool(key, v, &opt->records_as_array, err);
        } else if (!strcmp(key, "attributes")) {
            rc = get_bool(key, v, &opt->attributes, err);
        } else if (!strcmp(key, "infer_types")) {
            rc = get_bool(key, v, &opt->infer_types, err);
        } else if (!strcmp(key, "attribute_prefix")) {
            rc = get_string(opt, key, v, &opt->attribute_prefix, err);
        } else if (!strcmp(key, "content_field")) {
            rc = get_string(opt, key, v, &opt->content_field, err);
        } else if (!strcmp(key, "always_array")) {
            rc = get_paths(opt, v, err);
        } else if (!strcmp(key, "max_bytes")) {
            if (!(rc = get_positive(key, v, (json_int_t)1 << 40, &n, err)))
                opt->max_bytes = (size_t)n;
        } else if (!strcmp(key, "max_depth")) {
            if (!(rc = get_positive(key, v, 100000, &n, err)))
                opt->max_depth = (int)n;
        } else if (!strcmp(key, "max_nodes")) {
            if (!(rc = get_positive(key, v, (json_int_t)1 << 40, &n, err)))
                opt->max_nodes = (size_t)n;
        } else {
            strbuf_seterr(err, "xml options: unknown option \"%s\"", key);
            return -1;
        }
        if (rc)
            return -1;
    }
    return 0;
}
