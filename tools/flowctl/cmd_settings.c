/*
 * cmd_settings.c: `flowctl settings [TYPE]` prints a settings table as
 * Markdown rows: the settings every flow has, or those of one flow type.
 * docs/flows.md holds the same tables between `<!-- settings:NAME -->`
 * markers, and a test checks they are equal, so the docs cannot drift from
 * the defaults the loader uses.
 */
#include <stdio.h>
#include <string.h>

#include "flowctl.h"
#include "flow_type.h"

int cmd_settings(int argc, char **argv)
{
    strbuf out = STRBUF_INIT;
    const setting *table = flow_common_settings;
    if (argc > 2) {
        fprintf(stderr, "usage: flowctl settings [TYPE]\n");
        return 2;
    }
    if (argc == 2) {
        const flow_type *ft = flow_type_find(argv[1]);
        if (!ft) {
            strbuf names = STRBUF_INIT;
            flow_type_names(&names, ", ");
            fprintf(stderr, "flowctl settings: unknown flow type \"%s\" (types: %s)\n", argv[1], names.buf);
            strbuf_release(&names);
            return 2;
        }
        table = ft->settings;
    }
    strbuf_addstr(&out, "| setting | kind | default | meaning |\n|---|---|---|---|\n");
    settings_doc_table(&out, table);
    fputs(out.buf, stdout);
    strbuf_release(&out);
    return 0;
}
