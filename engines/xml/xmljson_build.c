/*
 * xmljson_build.c: a parsed XML tree to JSON, by one of the two conventions.
 *
 * One recursive walk. For each element we gather its members in document
 * order into "groups": a JSON object from member name to the list of values
 * that name received (attributes first, then child elements, then the text
 * under the content field). A name seen once gives its value, a name seen
 * more often (or listed in always_array) gives the list, at the place where
 * the name first appeared. Text is gathered from the element's own text and
 * CDATA nodes; comments and processing instructions are skipped; a
 * reference to an internal entity is walked as if its content were written
 * in place.
 *
 * The nifi convention marks an empty element (no attributes, no text, only
 * empty children) with JSON null while gathering: a null alone stays null,
 * nulls in a list are left out (NiFi's reader skips them), and an element
 * whose members are all null is itself empty. Records are always objects.
 *
 * Entity expansion happens here, so the limits are counted here again:
 * every element, attribute and entity reference visited is a node, every
 * byte of text and attribute value counts against max_bytes, and nesting
 * through entities against max_depth. Such errors name the line only
 * (libxml2 2.9 keeps no column on tree nodes).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/entities.h>
#include <libxml/parser.h>

#include "jsontext.h"
#include "xalloc.h"
#include "xmljson_int.h"

/* An always_array path split at the dots. */
typedef struct aa_path {
    size_t n;
    char **seg;
} aa_path;

typedef struct conv {
    int nifi;
    int records_as_array;
    int attributes;
    int infer;
    const char *attr_prefix;
    const char *content_field;
    aa_path *paths;
    size_t npaths;
    xmljson_limits lim;
    const char **stack; /* element names from the root, for path matching */
    int depth;
    int entity_depth;
    const xmlNode *outer_ref; /* the reference being expanded, at depth 1 */
    size_t nodes, bytes;
    int failed;
    strbuf *err;
} conv;

/* The members of one element while it is gathered. */
typedef struct members {
    json_t *groups; /* name -> array of values */
    json_t *always; /* name -> true when an always_array path matched */
    strbuf text;
} members;

static void fail(conv *c, const xmlNode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(conv *c, const xmlNode *at, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = 1;
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    if (c->entity_depth > 0)
        at = c->outer_ref; /* entity content has its own line numbers */
    long line = at ? xmlGetLineNo(at) : -1;
    strbuf_seterr(c->err, "line %ld: %s", line > 0 ? line : 1, msg.buf);
    strbuf_release(&msg);
}

static int count_node(conv *c, const xmlNode *at)
{
    if (++c->nodes > c->lim.max_nodes) {
        fail(c, at, "more than %zu nodes (elements and attributes, entities expanded)", c->lim.max_nodes);
        return -1;
    }
    return 0;
}

static int count_bytes(conv *c, const xmlNode *at, size_t n)
{
    c->bytes += n;
    if (c->bytes > c->lim.max_bytes) {
        fail(c, at, "text larger than the limit of %zu bytes (entities expanded)", c->lim.max_bytes);
        return -1;
    }
    return 0;
}

static int is_xml_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Integer or decimal that prints back as written (modulo trailing zeros of
 * a decimal), at most 15 digits, or true/false in any case; else NULL. */
static json_t *infer_value(const char *s, size_t len)
{
    if (len == 4 && !strncasecmp(s, "true", 4))
        return json_true();
    if (len == 5 && !strncasecmp(s, "false", 5))
        return json_false();
    size_t i = 0, digits = 0;
    int decimal = 0;
    if (i < len && s[i] == '-')
        i++;
    size_t int_start = i;
    while (i < len && isdigit((unsigned char)s[i]))
        i++;
    size_t int_digits = i - int_start;
    if (int_digits == 0 || (int_digits > 1 && s[int_start] == '0'))
        return NULL;
    digits = int_digits;
    if (i < len && s[i] == '.') {
        size_t frac_start = ++i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        if (i == frac_start)
            return NULL;
        digits += i - frac_start;
        decimal = 1;
    }
    if (i != len || digits > 15)
        return NULL;
    char buf[32];
    memcpy(buf, s, len);
    buf[len] = '\0';
    return decimal ? json_real(strtod(buf, NULL)) : json_integer(strtoll(buf, NULL, 10));
}

/* The JSON value of a piece of text: a string, or with inference a number
 * or boolean. New reference, or NULL when the text is not valid UTF-8. */
static json_t *text_value(conv *c, const char *s, size_t len)
{
    json_t *v = c->infer ? infer_value(s, len) : NULL;
    return v ? v : json_stringn(s, len);
}

static int path_matches(const conv *c, const char *name)
{
    for (size_t p = 0; p < c->npaths; p++) {
        const aa_path *ap = &c->paths[p];
        if (ap->n != (size_t)c->depth + 1)
            continue;
        size_t i;
        for (i = 0; i < ap->n; i++) {
            const char *want = ap->seg[i];
            const char *have = i < (size_t)c->depth ? c->stack[i] : name;
            if (strcmp(want, "*") && strcmp(want, have))
                break;
        }
        if (i == ap->n)
            return 1;
    }
    return 0;
}

static void add_member(conv *c, const xmlNode *at, members *m, const char *name, json_t *v, int always)
{
    if (!v) {
        fail(c, at, "text is not valid UTF-8");
        return;
    }
    json_t *g = json_object_get(m->groups, name);
    if (!g) {
        g = json_array();
        if (json_object_set_new(m->groups, name, g)) {
            json_decref(v);
            fail(c, at, "name is not valid UTF-8");
            return;
        }
    }
    json_array_append_new(g, v);
    if (always)
        json_object_set_new(m->always, name, json_true());
}

static json_t *element_value(conv *c, xmlNode *el, int is_record);

static void add_text(conv *c, members *m, const xmlNode *n)
{
    const char *s = (const char *)n->content;
    size_t len = s ? strlen(s) : 0;
    if (c->nifi) {
        /* NiFi's reader drops text pieces that are whitespace only */
        size_t i = 0;
        while (i < len && is_xml_space((unsigned char)s[i]))
            i++;
        if (i == len)
            return;
    }
    if (count_bytes(c, n, len) == 0)
        strbuf_add(&m->text, s, len);
}

static int enter_entity(conv *c, xmlNode *ref, xmlEntityPtr *out)
{
    xmlEntityPtr ent = xmlGetDocEntity(ref->doc, ref->name);
    if (!ent) {
        fail(c, ref, "entity '%s' is not declared (external DTDs are not loaded)", (const char *)ref->name);
        return -1;
    }
    if (ent->etype != XML_INTERNAL_GENERAL_ENTITY) {
        fail(c, ref, "external entity '%s' is not loaded (external entities are disabled)", (const char *)ref->name);
        return -1;
    }
    if (count_node(c, ref))
        return -1;
    if (c->entity_depth >= 64) {
        fail(c, ref, "entities nested deeper than 64");
        return -1;
    }
    if (c->entity_depth == 0)
        c->outer_ref = ref;
    *out = ent;
    return 0;
}

/* Gathers the element children, text and entity content of a node list. */
static void collect(conv *c, xmlNode *first, members *m)
{
    for (xmlNode *n = first; n && !c->failed; n = n->next) {
        switch (n->type) {
        case XML_ELEMENT_NODE: {
            const char *name = xmljson_local_name(n->name);
            int always = path_matches(c, name);
            json_t *v = element_value(c, n, 0);
            if (v)
                add_member(c, n, m, name, v, always);
            break;
        }
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            add_text(c, m, n);
            break;
        case XML_ENTITY_REF_NODE: {
            xmlEntityPtr ent;
            if (enter_entity(c, n, &ent))
                return;
            c->entity_depth++;
            collect(c, ent->children, m);
            c->entity_depth--;
            break;
        }
        default: /* comments, processing instructions */
            break;
        }
    }
}

static void add_attributes(conv *c, xmlNode *el, members *m)
{
    strbuf name = STRBUF_INIT;
    if (!c->nifi) {
        /* Redpanda's decoder (Go's encoding/xml) reports namespace
         * declarations as attributes: xmlns="u" as "xmlns", xmlns:p="u" as "p" */
        for (xmlNs *ns = el->nsDef; ns && !c->failed; ns = ns->next) {
            const char *href = (const char *)(ns->href ? ns->href : (const xmlChar *)"");
            if (count_node(c, el) || count_bytes(c, el, strlen(href)))
                break;
            strbuf_reset(&name);
            strbuf_addstr(&name, c->attr_prefix);
            strbuf_addstr(&name, ns->prefix ? (const char *)ns->prefix : "xmlns");
            add_member(c, el, m, name.buf, text_value(c, href, strlen(href)), 0);
        }
    }
    for (xmlAttr *a = el->properties; a && !c->failed; a = a->next) {
        if (count_node(c, el))
            break;
        xmlChar *value = xmlNodeListGetString(el->doc, a->children, 1);
        const char *s = value ? (const char *)value : "";
        if (count_bytes(c, el, strlen(s)) == 0) {
            strbuf_reset(&name);
            strbuf_addstr(&name, c->attr_prefix);
            strbuf_addstr(&name, xmljson_local_name(a->name));
            add_member(c, el, m, name.buf, text_value(c, s, strlen(s)), 0);
        }
        xmlFree(value);
    }
    strbuf_release(&name);
}

/* One member's final value from the values its name received. New ref. */
static json_t *group_value(conv *c, json_t *values, int always)
{
    size_t n = json_array_size(values);
    if (n == 1 && !always)
        return json_incref(json_array_get(values, 0));
    if (!c->nifi)
        return json_incref(values);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        if (!json_is_null(json_array_get(values, i)))
            json_array_append(list, json_array_get(values, i));
    if (json_array_size(list) == 0 && !always) {
        json_decref(list);
        return json_null();
    }
    return list;
}

/* The value of an element (or, is_record, of a record: always an object).
 * New reference (json null for an empty nifi element), or NULL on error. */
static json_t *element_value(conv *c, xmlNode *el, int is_record)
{
    if (c->depth >= c->lim.max_depth) {
        fail(c, el, "elements nested deeper than %d", c->lim.max_depth);
        return NULL;
    }
    if (count_node(c, el))
        return NULL;
    c->stack[c->depth++] = xmljson_local_name(el->name);
    members m = { json_object(), json_object(), STRBUF_INIT };
    if (c->attributes)
        add_attributes(c, el, &m);
    collect(c, el->children, &m);
    c->depth--;

    json_t *result = NULL;
    if (c->failed)
        goto done;
    if (!c->nifi) {
        /* Redpanda (mxj) trims text */
        while (m.text.len && is_xml_space((unsigned char)m.text.buf[m.text.len - 1]))
            m.text.len--;
        size_t skip = 0;
        while (skip < m.text.len && is_xml_space((unsigned char)m.text.buf[skip]))
            skip++;
        memmove(m.text.buf, m.text.buf + skip, m.text.len - skip);
        strbuf_setlen(&m.text, m.text.len - skip);
    }
    if (json_object_size(m.groups) == 0 && !is_record) {
        if (m.text.len)
            result = text_value(c, m.text.buf, m.text.len);
        else
            result = c->nifi ? json_null() : json_string("");
        if (!result)
            fail(c, el, "text is not valid UTF-8");
        goto done;
    }
    if (m.text.len && c->content_field[0])
        add_member(c, el, &m, c->content_field, text_value(c, m.text.buf, m.text.len), 0);
    if (c->failed)
        goto done;
    result = json_object();
    int all_null = 1;
    const char *name;
    json_t *values;
    json_object_foreach(m.groups, name, values) {
        json_t *v = group_value(c, values, json_object_get(m.always, name) != NULL);
        if (!json_is_null(v))
            all_null = 0;
        json_object_set_new(result, name, v);
    }
    if (c->nifi && all_null && !is_record) {
        json_decref(result);
        result = json_null();
    }
done:
    json_decref(m.groups);
    json_decref(m.always);
    strbuf_release(&m.text);
    return result;
}

/* nifi, records as array: each element child of the root (entities
 * expanded) is a record; the root's attributes and text are dropped. */
static void collect_records(conv *c, xmlNode *first, json_t *records)
{
    for (xmlNode *n = first; n && !c->failed; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            json_t *v = element_value(c, n, 1);
            if (v)
                json_array_append_new(records, v);
        } else if (n->type == XML_ENTITY_REF_NODE) {
            xmlEntityPtr ent;
            if (enter_entity(c, n, &ent))
                return;
            c->entity_depth++;
            collect_records(c, ent->children, records);
            c->entity_depth--;
        }
    }
}

static json_t *convert_root(conv *c, xmlNode *root)
{
    if (!c->nifi) {
        json_t *v = element_value(c, root, 0);
        if (!v)
            return NULL;
        json_t *top = json_object();
        if (json_object_set_new(top, xmljson_local_name(root->name), v)) {
            json_decref(top);
            fail(c, root, "name is not valid UTF-8");
            return NULL;
        }
        return top;
    }
    if (!c->records_as_array)
        return element_value(c, root, 1);
    if (count_node(c, root))
        return NULL;
    json_t *records = json_array();
    c->stack[c->depth++] = xmljson_local_name(root->name);
    collect_records(c, root->children, records);
    c->depth--;
    return records;
}

static void split_paths(conv *c, const char *const *paths)
{
    size_t np = 0;
    while (paths && paths[np])
        np++;
    c->paths = xcalloc(np ? np : 1, sizeof *c->paths);
    c->npaths = np;
    for (size_t p = 0; p < np; p++) {
        const char *s = paths[p];
        size_t n = 1;
        for (const char *q = s; *q; q++)
            n += *q == '.';
        aa_path *ap = &c->paths[p];
        ap->seg = xcalloc(n, sizeof *ap->seg);
        ap->n = n;
        for (size_t i = 0; i < n; i++) {
            size_t l = strcspn(s, ".");
            ap->seg[i] = xstrndup(s, l);
            s += l + (s[l] == '.');
        }
    }
}

static void free_paths(conv *c)
{
    for (size_t p = 0; p < c->npaths; p++) {
        for (size_t i = 0; i < c->paths[p].n; i++)
            free(c->paths[p].seg[i]);
        free(c->paths[p].seg);
    }
    free(c->paths);
}

json_t *xmljson_convert(const char *xml, size_t len, const xmljson_options *opt, strbuf *err)
{
    xmljson_options defaults;
    if (!opt) {
        xmljson_options_init(&defaults);
        opt = &defaults;
    }
    conv c = { 0 };
    c.nifi = opt->convention != XMLJSON_PREFIXED;
    c.records_as_array = c.nifi && opt->records_as_array;
    c.attributes = opt->attributes;
    c.infer = opt->infer_types;
    c.attr_prefix = opt->attribute_prefix ? opt->attribute_prefix : c.nifi ? "" : "-";
    c.content_field = opt->content_field ? opt->content_field : c.nifi ? "value" : "#text";
    c.lim.max_bytes = opt->max_bytes ? opt->max_bytes : XMLJSON_DEFAULT_MAX_BYTES;
    c.lim.max_depth = opt->max_depth > 0 ? opt->max_depth : XMLJSON_DEFAULT_MAX_DEPTH;
    c.lim.max_nodes = opt->max_nodes ? opt->max_nodes : XMLJSON_DEFAULT_MAX_NODES;
    c.lim.count_ns = !c.nifi && c.attributes;
    c.err = err;

    xmlDocPtr doc = xmljson_parse(xml, len, &c.lim, err);
    if (!doc)
        return NULL;
    xmlNode *root = xmlDocGetRootElement(doc);
    json_t *result = NULL;
    if (!root) {
        strbuf_seterr(err, "line 1, column 1: no root element");
    } else {
        split_paths(&c, opt->always_array);
        c.stack = xcalloc((size_t)c.lim.max_depth + 1, sizeof *c.stack);
        result = convert_root(&c, root);
        if (c.failed) {
            json_decref(result);
            result = NULL;
        }
        free(c.stack);
        free_paths(&c);
    }
    xmlFreeDoc(doc);
    return result;
}

int xmljson_convert_text(const char *xml, size_t len, const xmljson_options *opt, strbuf *out, int flags,
                         strbuf *err)
{
    json_t *v = xmljson_convert(xml, len, opt, err);
    if (!v)
        return -1;
    jsontext_dump(v, out, flags);
    json_decref(v);
    return 0;
}
