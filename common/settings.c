/*
 * settings.c: the tracked reader of flow files. See settings.h.
 *
 * Tracking is two lists of dotted paths: `read` (paths a getter asked for)
 * and `sections` (objects whose members are checked). A getter walks the
 * path from the root; every object on the way becomes a section. The final
 * check walks each section and reports members absent from `read`. The
 * lists are short (a flow file has tens of settings), so they are plain
 * arrays searched linearly.
 */
#include "settings.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

typedef struct pathlist {
    char **v;
    size_t n, cap;
} pathlist;

struct settings {
    const char *file;
    json_t *root;
    strbuf *errs;
    int n;
    int n_local;   /* of which settings_problem_local */
    pathlist read, sections, reported;
    int no_env;           /* settings_secret checks names, not the environment */
};

static int pl_has(const pathlist *l, const char *p)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], p) == 0)
            return 1;
    return 0;
}

static void pl_add(pathlist *l, const char *p)
{
    if (pl_has(l, p))
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = xstrdup(p);
}

static void pl_release(pathlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

settings *settings_new(const char *file, json_t *root, strbuf *errs)
{
    settings *s = xcalloc(1, sizeof *s);
    s->file = file;
    s->root = root;
    s->errs = errs;
    pl_add(&s->sections, "");
    return s;
}

void settings_free(settings *s)
{
    if (!s)
        return;
    pl_release(&s->read);
    pl_release(&s->sections);
    pl_release(&s->reported);
    free(s);
}

int settings_problems(const settings *s)
{
    return s->n;
}

const char *settings_file(const settings *s)
{
    return s->file;
}

static void vproblem(settings *s, const char *path, const char *fmt, va_list ap)
{
    s->n++;
    if (!s->errs)
        return;
    if (s->errs->len)
        strbuf_addch(s->errs, '\n');
    strbuf_addf(s->errs, "%s: %s: ", s->file, path && *path ? path : "(top)");
    strbuf_vaddf(s->errs, fmt, ap);
}

void settings_problem(settings *s, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(s, path, fmt, ap);
    va_end(ap);
}

void settings_problem_local(settings *s, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(s, path, fmt, ap);
    va_end(ap);
    s->n_local++;
}

int settings_local_problems(const settings *s)
{
    return s->n_local;
}

const char *settings_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Walks path from the root, marking the objects on the way as sections and
 * path as read. The value, or NULL when absent, null, or under something
 * that is not an object (reported once). */
static json_t *walk(settings *s, const char *path)
{
    strbuf cur = STRBUF_INIT;
    json_t *v = s->root;
    const char *p = path;
    pl_add(&s->read, path);
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!json_is_object(v)) {
            if (!pl_has(&s->reported, cur.buf)) {
                pl_add(&s->reported, cur.buf);
                settings_problem(s, cur.buf, "expected an object, got %s", settings_type_name(v));
            }
            v = NULL;
            break;
        }
        pl_add(&s->sections, cur.buf);
        if (cur.len)
            strbuf_addch(&cur, '.');
        strbuf_add(&cur, p, n);
        pl_add(&s->read, cur.buf);
        v = json_object_getn(v, p, n);
        p += n;
        if (*p == '.')
            p++;
    }
    strbuf_release(&cur);
    return v && !json_is_null(v) ? v : NULL;
}

json_t *settings_get(settings *s, const char *path)
{
    return walk(s, path);
}

static json_t *object_at(settings *s, const char *path, int required)
{
    json_t *v = walk(s, path);
    if (!v) {
        if (required)
            settings_problem(s, path, "missing (expected an object)");
        return NULL;
    }
    if (!json_is_object(v)) {
        settings_problem(s, path, "expected an object, got %s", settings_type_name(v));
        pl_add(&s->reported, path);
        return NULL;
    }
    return v;
}

json_t *settings_section(settings *s, const char *path, int required)
{
    json_t *v = object_at(s, path, required);
    if (v)
        pl_add(&s->sections, path);
    return v;
}

json_t *settings_blob(settings *s, const char *path)
{
    return object_at(s, path, 0);
}

char *settings_str(settings *s, const char *path, const char *def, int required)
{
    json_t *v = walk(s, path);
    if (!v) {
        if (required)
            settings_problem(s, path, "missing (expected a string)");
        return def ? xstrdup(def) : NULL;
    }
    if (!json_is_string(v)) {
        settings_problem(s, path, "expected a string, got %s", settings_type_name(v));
        return def ? xstrdup(def) : NULL;
    }
    if (required && json_string_length(v) == 0) {
        settings_problem(s, path, "must not be empty");
        return NULL;
    }
    return xstrdup(json_string_value(v));
}

long settings_int(settings *s, const char *path, long def, long min, long max)
{
    json_t *v = walk(s, path);
    if (!v)
        return def;
    if (!json_is_integer(v)) {
        settings_problem(s, path, "expected an integer, got %s", settings_type_name(v));
        return def;
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        settings_problem(s, path, "%lld out of range %ld..%ld", (long long)json_integer_value(v), min, max);
        return def;
    }
    return (long)json_integer_value(v);
}

int settings_bool(settings *s, const char *path, int def)
{
    json_t *v = walk(s, path);
    if (!v)
        return def;
    if (!json_is_boolean(v)) {
        settings_problem(s, path, "expected true or false, got %s", settings_type_name(v));
        return def;
    }
    return json_is_true(v);
}

int64_t settings_duration(settings *s, const char *path, int64_t def)
{
    json_t *v = walk(s, path);
    int64_t r = def;
    if (!v)
        return def;
    /* a bare number is seconds; capped like duration_parse_ms (1e15 ms) so
     * the multiplication cannot overflow */
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 1000000000000LL)
        return (int64_t)json_integer_value(v) * 1000;
    if (!json_is_string(v) || duration_parse_ms(json_string_value(v), &r) < 0) {
        settings_problem(s, path, "expected a duration such as \"30s\", \"5m\" or \"250ms\"");
        return def;
    }
    return r;
}

static const char *const METHODS[] = { "GET", "POST", "PUT", "PATCH", "DELETE", NULL };

char *settings_method(settings *s, const char *path, const char *def)
{
    char *m = settings_str(s, path, def, 0);
    if (!m)
        return xstrdup(def);
    for (size_t i = 0; METHODS[i]; i++)
        if (strcmp(m, METHODS[i]) == 0)
            return m;
    settings_problem(s, path, "expected one of GET, POST, PUT, PATCH, DELETE, got \"%s\"", m);
    free(m);
    return xstrdup(def);
}

static void add_code(int **out, size_t *n, int code)
{
    *out = xrealloc(*out, (*n + 1) * sizeof **out);
    (*out)[(*n)++] = code;
}

void settings_codes(settings *s, const char *path, int **out, size_t *n)
{
    json_t *v = walk(s, path);
    *out = NULL;
    *n = 0;
    if (!v)
        return;
    if (json_is_string(v)) {
        const char *p = json_string_value(v);
        while (*p) {
            while (*p == ' ' || *p == ',')
                p++;
            if (!*p)
                break;
            char *end;
            long code = strtol(p, &end, 10);
            if (end == p || code < 100 || code > 599) {
                settings_problem(s, path, "expected comma-separated HTTP status codes, got \"%s\"",
                                 json_string_value(v));
                break;
            }
            add_code(out, n, (int)code);
            p = end;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 100 || json_integer_value(x) > 599)
                settings_problem(s, path, "element %zu: expected an HTTP status code (100-599)", i);
            else
                add_code(out, n, (int)json_integer_value(x));
        }
    } else {
        settings_problem(s, path, "expected a list of status codes, got %s", settings_type_name(v));
    }
}

void settings_ignore_env(settings *s)
{
    s->no_env = 1;
}

char *settings_secret(settings *s, const char *path, int required)
{
    char *name = settings_str(s, path, NULL, required);
    char *val = NULL;
    if (name && !s->no_env) {
        const char *v = getenv(name);
        if (!v)
            settings_problem_local(s, path, "environment variable %s is not set", name);
        else
            val = xstrdup(v);
    }
    free(name);
    return val;
}

/* The value at path without marking anything (for the final check). */
static json_t *lookup(json_t *v, const char *path)
{
    const char *p = path;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = json_is_object(v) ? json_object_getn(v, p, n) : NULL;
        p += n;
        if (*p == '.')
            p++;
    }
    return v;
}

void settings_check_unread(settings *s)
{
    strbuf p = STRBUF_INIT;
    for (size_t i = 0; i < s->sections.n; i++) {
        const char *sec = s->sections.v[i];
        json_t *obj = lookup(s->root, sec);
        const char *k;
        json_t *v;
        if (!json_is_object(obj))
            continue;
        json_object_foreach(obj, k, v) {
            if (k[0] == '_' || strcmp(k, "comment") == 0)
                continue;
            strbuf_setf(&p, "%s%s%s", sec, *sec ? "." : "", k);
            if (!pl_has(&s->read, p.buf))
                settings_problem(s, p.buf, "unknown setting");
        }
    }
    strbuf_release(&p);
}

/* ---- tables ---- */

void settings_load_table(settings *s, const setting *t, void *dst)
{
    char *base = dst;
    for (; t->key; t++) {
        if (t->offset == SETTING_BY_CODE)
            continue;
        void *at = base + t->offset;
        switch (t->kind) {
        case SETTING_STR:
            *(char **)at = settings_str(s, t->key, t->def, t->required);
            break;
        case SETTING_METHOD:
            *(char **)at = settings_method(s, t->key, t->def);
            break;
        case SETTING_INT:
            *(long *)at = settings_int(s, t->key, t->def ? strtol(t->def, NULL, 10) : 0, t->min, t->max);
            break;
        case SETTING_BOOL:
            *(int *)at = settings_bool(s, t->key, t->def && strcmp(t->def, "true") == 0);
            break;
        case SETTING_DURATION: {
            int64_t d = 0;
            if (t->def)
                duration_parse_ms(t->def, &d);
            *(int64_t *)at = settings_duration(s, t->key, d);
            break;
        }
        case SETTING_CODES: {
            setting_codes *c = at;
            settings_codes(s, t->key, &c->codes, &c->n);
            break;
        }
        default:
            break;
        }
    }
}

void settings_release_table(const setting *t, void *dst)
{
    char *base = dst;
    for (; t->key; t++) {
        if (t->offset == SETTING_BY_CODE)
            continue;
        void *at = base + t->offset;
        if (t->kind == SETTING_STR || t->kind == SETTING_METHOD) {
            free(*(char **)at);
            *(char **)at = NULL;
        } else if (t->kind == SETTING_CODES) {
            free(((setting_codes *)at)->codes);
            ((setting_codes *)at)->codes = NULL;
        }
    }
}

const setting *settings_row(const setting *t, const char *key)
{
    for (; t->key; t++)
        if (strcmp(t->key, key) == 0)
            return t;
    return NULL;
}

const char *settings_default(const setting *t, const char *key)
{
    const setting *r = settings_row(t, key);
    return r ? r->def : NULL;
}

static const char *const KIND_NAMES[] = { "string", "integer", "boolean", "duration", "method", "status codes",
                                           "expression", "object", "file", "ids", "env var" };

void settings_doc_table(strbuf *out, const setting *t)
{
    for (; t->key; t++) {
        strbuf_addf(out, "| `%s` | %s | ", t->key, KIND_NAMES[t->kind]);
        if (t->def)
            strbuf_addf(out, "`%s`", *t->def ? t->def : "\"\"");
        else
            strbuf_addstr(out, t->required ? "required" : "none");
        strbuf_addf(out, " | %s", t->meaning);
        if (t->kind == SETTING_INT)
            strbuf_addf(out, " (%ld to %ld)", t->min, t->max);
        strbuf_addstr(out, " |\n");
    }
}
