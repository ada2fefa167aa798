/*
 * el_fns.c: the function table built from EL_FUNCTIONS (see el_fn.h) and
 * name lookup (a linear scan: ~110 names, done at compile time only).
 */
#include <string.h>

#include "el_fn.h"

#define EL_ROW(nm, mn, mx, sj, rt, ck) { #nm, mn, mx, sj, rt, el_fn_##nm, ck },
const el_fn el_fns[] = {
    EL_FUNCTIONS(EL_ROW)
    { NULL, 0, 0, 0, 0, NULL, NULL }
};
#undef EL_ROW

int el_fns_find(const char *name, size_t len)
{
    for (int i = 0; el_fns[i].name; i++)
        if (strlen(el_fns[i].name) == len && !memcmp(el_fns[i].name, name, len)) return i;
    return -1;
}

int el_fns_index(const char *name)
{
    return el_fns_find(name, strlen(name));
}
