/*
 * flowcases.h: what every flow type's settings test shares (header-only,
 * like unit.h): the data-driven flow-file cases and the docs table check.
 *
 *   flowcases_run(TYPE, "valid" | "invalid"): each
 *     tests/flows/<type>/<kind>/<case>/flow.json; a valid one must load and
 *     be of the type; an invalid one must not, and its problems (without
 *     the "<file>: " in front) must be exactly the lines of the case's
 *     `errors` file, in order. Returns the number of cases.
 *   flowcases_docs_table(NAME, TABLE): docs/flows.md holds TABLE, as
 *     settings_doc_table prints it, between <!-- settings:NAME --> markers.
 */
#ifndef FF_FLOWCASES_H
#define FF_FLOWCASES_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "flow.h"
#include "flow_type.h"
#include "settings.h"
#include "unit.h"

/* errs without each line's "<file>: " prefix. */
static inline void flowcases_strip_file(strbuf *out, const char *errs, const char *file)
{
    size_t fl = strlen(file);
    const char *p = errs;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > fl + 2 && strncmp(p, file, fl) == 0 && p[fl] == ':' && p[fl + 1] == ' ')
            strbuf_add(out, p + fl + 2, n - fl - 2);
        else
            strbuf_add(out, p, n);
        strbuf_addch(out, '\n');
        p += n + (nl ? 1 : 0);
    }
}

static inline int flowcases_run(const flow_type *ft, const char *kind)
{
    strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "tests/flows/%s/%s", ft->name, kind);
    DIR *d = opendir(dir.buf);
    int n = 0;
    struct dirent *de;
    CHECK(d != NULL);
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        strbuf file = STRBUF_INIT, errs = STRBUF_INIT, want = STRBUF_INIT, got = STRBUF_INIT, ef = STRBUF_INIT;
        strbuf_addf(&file, "%s/%s/flow.json", dir.buf, de->d_name);
        strbuf_addf(&ef, "%s/%s/errors", dir.buf, de->d_name);
        unit_current = de->d_name;
        flow *f = flow_load(file.buf, 0, &errs);
        if (strcmp(kind, "valid") == 0) {
            if (!f)
                fprintf(stderr, "  %s: %s\n", de->d_name, errs.buf);
            CHECK(f != NULL && f->ft == ft);
        } else {
            CHECK(f == NULL);
            CHECK_INT(strbuf_read_file(&want, ef.buf) >= 0, 1);
            flowcases_strip_file(&got, errs.buf, file.buf);
            CHECK_STR(got.buf, want.buf);
        }
        flow_free(f);
        n++;
        strbuf_release(&file);
        strbuf_release(&errs);
        strbuf_release(&want);
        strbuf_release(&got);
        strbuf_release(&ef);
    }
    if (d)
        closedir(d);
    strbuf_release(&dir);
    return n;
}

static inline void flowcases_docs_table(const char *name, const setting *table)
{
    strbuf doc = STRBUF_INIT, want = STRBUF_INIT, open = STRBUF_INIT, close = STRBUF_INIT;
    CHECK_INT(strbuf_read_file(&doc, "docs/flows.md") >= 0, 1);
    strbuf_addf(&open, "<!-- settings:%s -->\n", name);
    strbuf_addf(&close, "<!-- /settings:%s -->", name);
    const char *a = strstr(doc.buf, open.buf);
    const char *b = a ? strstr(a, close.buf) : NULL;
    CHECK(a && b);
    if (a && b) {
        a += open.len;
        strbuf got = STRBUF_INIT;
        strbuf_add(&got, a, (size_t)(b - a));
        strbuf_addstr(&want, "| setting | kind | default | meaning |\n|---|---|---|---|\n");
        settings_doc_table(&want, table);
        CHECK_STR(got.buf, want.buf);
        strbuf_release(&got);
    }
    strbuf_release(&doc);
    strbuf_release(&want);
    strbuf_release(&open);
    strbuf_release(&close);
}

#endif
