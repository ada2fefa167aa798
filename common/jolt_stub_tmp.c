#include "jolt_int.h"
int jolt_modify_compile(jolt_op *op, int mode, const json_t *spec, jolt_cpath *p, strbuf *err){(void)op;(void)mode;(void)spec;return jolt_cpath_err(p,err,"todo");}
void jolt_register_function(const char *name, jolt_fn fn, void *ctx){(void)name;(void)fn;(void)ctx;}
