/* flow_type.c: looking types up in the registry, and the checked downcast. */
#include "flow_type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const flow_type *flow_type_find(const char *name)
{
    for (size_t i = 0; name && flow_types[i]; i++)
        if (strcmp(flow_types[i]->name, name) == 0)
            return flow_types[i];
    return NULL;
}

void flow_type_names(strbuf *out, const char *sep)
{
    for (size_t i = 0; flow_types[i]; i++)
        strbuf_addf(out, "%s%s", i ? sep : "", flow_types[i]->name);
}

void *flow_type_data(const flow *f, const flow_type *ft)
{
    if (!f || f->ft != ft) {
        fprintf(stderr, "flowfleet: flow \"%s\" of type \"%s\" read as a \"%s\" flow\n", f && f->name ? f->name : "?",
                f && f->ft ? f->ft->name : "?", ft->name);
        abort();
    }
    return f->type_data;
}
