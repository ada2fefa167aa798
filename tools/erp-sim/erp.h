/*
 * erp: the simulated ERP's state and request handler (see erp.c).
 */
#ifndef ERP_SIM_ERP_H
#define ERP_SIM_ERP_H

#include "simhttp.h"

typedef struct erp_config {
    const char *number_field;   /* dotted path of the order number in a written body */
    const char *items_field;    /* dotted path of the item array */
    int require_auth;
    const char *username;
    const char *password;
    unsigned long long seed;
} erp_config;

typedef struct erp erp;

/* New ERP with empty state; cfg strings are borrowed for its lifetime. */
erp *erp_new(const erp_config *cfg);
void erp_free(erp *e);
/* simhttp_handler: ctx is the erp. */
void erp_handle(void *ctx, simhttp_req *req);
/* The order status API and its control routes (erp_status.c): 1 when
 * req was one of them (answered), 0 otherwise. */
int erp_status_handle(simhttp_req *req);

#endif
