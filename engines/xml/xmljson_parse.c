/*
 * xmljson_parse.c: bytes to a libxml2 tree, safely.
 *
 * libxml2 is initialised once per process (pthread_once); every call then
 * gets its own parser context, so threads share nothing but libxml2's
 * read-only tables. Errors go to a callback on that context (never to
 * libxml2's global handlers or stderr); the first one is kept with its line
 * and column, because what a parser says after its first error is noise.
 *
 * Safety, in libxml2 2.9 terms:
 *  - options: XML_PARSE_NONET, and never XML_PARSE_NOENT, DTDLOAD, DTDATTR,
 *    DTDVALID, XINCLUDE or HUGE. So no external DTD or entity is read and
 *    libxml2's own hard limits stay on (nesting 256, one text node 10 MB,
 *    names 50,000 bytes, its entity-amplification checks).
 *  - the SAX resolveEntity hook answers "nothing" and externalSubset is
 *    cleared: even a path we did not think of cannot open a file or a URL.
 *  - a reference to an external or unparsed entity is an error (we would
 *    otherwise silently drop its text).
 *  - errors raised outside the context (libxml2's encoding converter) are
 *    caught by a handler set on the calling thread only for the parse
 *    (libxml2 keeps that handler per thread) and restored after.
 *  - while parsing, element depth and the count of elements and attributes
 *    are checked against the limits, so a huge flat document stops early
 *    instead of growing a huge tree. Entity expansion is bounded when the
 *    tree is walked (xmljson_build.c), where it happens.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "xmljson_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml(void)
{
    xmlInitParser();
}

/* Per-call state, reached from the context's _private. */
typedef struct parse_state {
    xmlParserCtxtPtr ctxt;
    const xmljson_limits *lim;
    int depth;
    size_t nodes;
    int failed; /* an error has been kept */
    int line, col;
    strbuf msg;
    /* the first recoverable error, told only if the document still fails */
    int soft_line, soft_col;
    strbuf soft;
} parse_state;

static parse_state *state_of(void *ctx)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt ? ctxt->_private : NULL;
    /* entity content is parsed in a sub-context: count only the main one */
    return st && st->ctxt == ctxt ? st : NULL;
}

/* Keeps the first error only. */
static void keep_error(parse_state *st, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void keep_error(parse_state *st, int line, int col, const char *fmt, ...)
{
    if (st->failed)
        return;
    st->failed = 1;
    st->line = line > 0 ? line : 1;
    st->col = col > 0 ? col : 1;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&st->msg, fmt, ap);
    va_end(ap);
}


static void here(parse_state *st, int *line, int *col)
{
    xmlParserInputPtr in = st->ctxt->input;
    *line = in ? in->line : 1;
    *col = in ? in->col : 1;
}

/* libxml2's structured error callback (userData is the context). */
static void on_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt ? ctxt->_private : NULL;
    if (!st || !e || e->level < XML_ERR_ERROR)
        return;
    const char *m = e->message ? e->message : "parse error";
    size_t n = strcspn(m, "\n");
    while (n > 0 && (m[n - 1] == ' ' || m[n - 1] == '\r'))
        n--;
    if (e->level < XML_ERR_FATAL) {
        /* recoverable (namespace) errors do not fail the document */
        if (!st->soft.len) {
            st->soft_line = e->line;
            st->soft_col = e->int2;
            strbuf_addf(&st->soft, "not well-formed XML: %.*s", (int)n, m);
        }
        return;
    }
    int line = e->line, col = e->int2;
    if (st->ctxt != ctxt) /* raised in an entity's content: tell where it is used */
        here(st, &line, &col);
    if (e->code == XML_ERR_ENTITY_LOOP) {
        keep_error(st, line, col, "entity expansion too large or recursive (%.*s)", (int)n, m);
        return;
    }
    if (!strncmp(m, "Input is not proper UTF-8", 25)) {
        /* the second line reads "Bytes: 0xFF 0x63 ..." */
        const char *b = strstr(m, "Bytes: ");
        if (b)
            keep_error(st, line, col, "invalid UTF-8 (byte %.4s)", b + 7);
        else
            keep_error(st, line, col, "invalid UTF-8");
        return;
    }
    keep_error(st, line, col, "not well-formed XML: %.*s", (int)n, m);
}

/* Errors libxml2 raises without a parser context (the encoding converter)
 * go to the thread's structured handler: we install this one on our thread
 * for the length of a parse, so they are kept too, not printed. */
static void on_thread_error(void *ctx, xmlErrorPtr e)
{
    parse_state *st = ctx;
    if (!e || e->level < XML_ERR_ERROR)
        return;
    const char *m = e->message ? e->message : "parse error";
    size_t n = strcspn(m, "\n");
    int line, col;
    here(st, &line, &col);
    if (e->domain == XML_FROM_I18N)
        keep_error(st, line, col, "text not in the declared encoding (%.*s)", (int)n, m);
    else
        keep_error(st, line, col, "not well-formed XML: %.*s", (int)n, m);
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                     const xmlChar **attributes)
{
    parse_state *st = state_of(ctx);
    if (st) {
        int line, col;
        st->depth++;
        st->nodes += 1 + (size_t)nb_attributes + (st->lim->count_ns ? (size_t)nb_namespaces : 0);
        if (st->depth > st->lim->max_depth) {
            here(st, &line, &col);
            keep_error(st, line, col, "elements nested deeper than %d", st->lim->max_depth);
            xmlStopParser(st->ctxt);
            return;
        }
        if (st->nodes > st->lim->max_nodes) {
            here(st, &line, &col);
            keep_error(st, line, col, "more than %zu nodes (elements and attributes)", st->lim->max_nodes);
            xmlStopParser(st->ctxt);
            return;
        }
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted, attributes);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    parse_state *st = state_of(ctx);
    if (st)
        st->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static void on_reference(void *ctx, const xmlChar *name)
{
    parse_state *st = state_of(ctx);
    if (st) {
        xmlEntityPtr ent = xmlGetDocEntity(st->ctxt->myDoc, name);
        if (ent && ent->etype != XML_INTERNAL_GENERAL_ENTITY && ent->etype != XML_INTERNAL_PREDEFINED_ENTITY) {
            int line, col;
            here(st, &line, &col);
            keep_error(st, line, col, "external entity '%s' is not loaded (external entities are disabled)",
                       (const char *)name);
            xmlStopParser(st->ctxt);
            return;
        }
    }
    xmlSAX2Reference(ctx, name);
}

/* Never load anything: every external resource resolves to nothing. */
static xmlParserInputPtr no_resolve(void *ctx, const xmlChar *public_id, const xmlChar *system_id)
{
    (void)ctx;
    (void)public_id;
    (void)system_id;
    return NULL;
}

const char *xmljson_local_name(const xmlChar *name)
{
    const char *s = (const char *)name;
    const char *colon = strrchr(s, ':');
    return colon && colon[1] ? colon + 1 : s;
}

xmlDocPtr xmljson_parse(const char *xml, size_t len, const xmljson_limits *lim, strbuf *err)
{
    pthread_once(&init_once, init_libxml);
    if (len > lim->max_bytes || len > INT_MAX) {
        strbuf_seterr(err, "line 1, column 1: document of %zu bytes is larger than the limit of %zu bytes", len,
                      lim->max_bytes);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        strbuf_seterr(err, "line 1, column 1: out of memory creating the XML parser");
        return NULL;
    }
    parse_state st = { .ctxt = ctxt, .lim = lim, .msg = STRBUF_INIT, .soft = STRBUF_INIT };
    ctxt->_private = &st;
    xmlSAXHandlerPtr sax = ctxt->sax;
    sax->startElementNs = on_start;
    sax->endElementNs = on_end;
    sax->reference = on_reference;
    sax->resolveEntity = no_resolve;
    sax->externalSubset = NULL;
    sax->serror = on_error;
    sax->error = NULL;
    sax->warning = NULL;

    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlStructuredErrorFunc saved_handler = xmlStructuredError; /* this thread's */
    void *saved_data = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(&st, on_thread_error);
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, options);
    xmlSetStructuredErrorFunc(saved_data, saved_handler);
    if (doc && (!ctxt->wellFormed || st.failed)) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (!doc) {
        if (!st.failed && st.soft.len)
            keep_error(&st, st.soft_line, st.soft_col, "%s", st.soft.buf);
        if (!st.failed)
            keep_error(&st, 1, 1, "not well-formed XML");
        strbuf_seterr(err, "line %d, column %d: %s", st.line, st.col, st.msg.buf);
    }
    strbuf_release(&st.msg);
    strbuf_release(&st.soft);
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    return doc;
}
