/*
 * el_date.h: internal calendar and time-zone helpers shared by el_tz.c and
 * el_fn_date.c (not a public header).
 */
#ifndef FF_EL_DATE_H
#define FF_EL_DATE_H

#include <stdint.h>

#include "el_fn.h"

typedef struct el_tz el_tz;

/* Borrowed, cached for the life of the process; NULL when unknown. */
const el_tz *el_tz_get(const char *name);
const char *el_tz_name(const el_tz *z);
/* Offset in seconds east of UTC at UTC time t; *abbr (borrowed) may be NULL. */
int32_t el_tz_offset(const el_tz *z, int64_t t, const char **abbr);
int el_tz_resolve(const el_tz *z, int64_t local, int has_pref, int32_t pref, int strict, int64_t *utc);

int64_t el_days_from_civil(int64_t y, int m, int d);
void el_civil_from_days(int64_t z, int64_t *y, int *m, int *d);
int el_days_in_month(int64_t y, int m);

#endif
