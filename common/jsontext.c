/*
 * jsontext.c: JSON text in and out. See jsontext.h.
 *
 * Comments are stripped by a small string-aware lexer that replaces them with
 * spaces (so jansson's line/column positions stay right), then jansson parses
 * with JSON_DECODE_ANY. The serializer is our own so that doubles come out in
 * their shortest round-tripping form and output goes straight into a strbuf.
 */
#include "jsontext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns 1 when comments were found (and blanked in *copy). */
static int strip_comments(const char *text, size_t len, char **copy)
{
    char *out = NULL;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            continue;
        }
        if (c == '/' && i + 1 < len && (text[i + 1] == '/' || text[i + 1] == '*')) {
            if (!out) {
                out = malloc(len + 1);
                if (!out)
                    abort();
                memcpy(out, text, len);
                out[len] = '\0';
            }
            if (text[i + 1] == '/') {
                while (i < len && text[i] != '\n')
                    out[i++] = ' ';
                i--;
            } else {
                size_t j = i + 2;
                while (j + 1 < len && !(text[j] == '*' && text[j + 1] == '/'))
                    j++;
                size_t end = j + 1 < len ? j + 2 : len;
                for (size_t k = i; k < end; k++)
                    if (out[k] != '\n')
                        out[k] = ' ';
                i = end - 1;
            }
        }
    }
    *copy = out;
    return out != NULL;
}

json_t *jsontext_parse(const char *text, size_t len, strbuf *err)
{
    char *copy = NULL;
    json_error_t je;
    strip_comments(text, len, &copy);
    json_t *v = json_loadb(copy ? copy : text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    free(copy);
    if (!v)
        strbuf_seterr(err, "line %d column %d: %s", je.line, je.column, je.text);
    return v;
}

json_t *jsontext_load_file(const char *path, strbuf *err)
{
    strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0) {
        strbuf_seterr(err, "%s: cannot read file", path);
        strbuf_release(&sb);
        return NULL;
    }
    strbuf e = STRBUF_INIT;
    json_t *v = jsontext_parse(sb.buf, sb.len, &e);
    if (!v)
        strbuf_seterr(err, "%s: %s", path, e.buf);
    strbuf_release(&e);
    strbuf_release(&sb);
    return v;
}

void jsontext_dump_real(double d, strbuf *out)
{
    char tmp[40];
    if (!isfinite(d)) {
        strbuf_addstr(out, "null");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    strbuf_addstr(out, tmp);
    if (!strpbrk(tmp, ".eEn"))
        strbuf_addstr(out, ".0");
}

static void indent(strbuf *out, int flags, int depth)
{
    if (!(flags & JSONTEXT_PRETTY))
        return;
    strbuf_addch(out, '\n');
    for (int i = 0; i < depth; i++)
        strbuf_addstr(out, "  ");
}

static void dump(const json_t *v, strbuf *out, int flags, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;
        strbuf_addch(out, '{');
        json_object_foreach((json_t *)v, k, x) {
            if (!first)
                strbuf_addch(out, ',');
            first = 0;
            indent(out, flags, depth + 1);
            strbuf_addch(out, '"');
            strbuf_add_json_escaped(out, k, strlen(k));
            strbuf_addstr(out, (flags & JSONTEXT_PRETTY) ? "\": " : "\":");
            dump(x, out, flags, depth + 1);
        }
        if (!first)
            indent(out, flags, depth);
        strbuf_addch(out, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        strbuf_addch(out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_addch(out, ',');
            indent(out, flags, depth + 1);
            dump(json_array_get(v, i), out, flags, depth + 1);
        }
        if (n)
            indent(out, flags, depth);
        strbuf_addch(out, ']');
        break;
    }
    case JSON_STRING:
        strbuf_addch(out, '"');
        strbuf_add_json_escaped(out, json_string_value(v), json_string_length(v));
        strbuf_addch(out, '"');
        break;
    case JSON_INTEGER:
        strbuf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        jsontext_dump_real(json_real_value(v), out);
        break;
    case JSON_TRUE:
        strbuf_addstr(out, "true");
        break;
    case JSON_FALSE:
        strbuf_addstr(out, "false");
        break;
    case JSON_NULL:
        strbuf_addstr(out, "null");
        break;
    }
}

void jsontext_dump(const json_t *v, strbuf *out, int flags)
{
    if (!v) {
        strbuf_addstr(out, "null");
        return;
    }
    dump(v, out, flags, 0);
}
