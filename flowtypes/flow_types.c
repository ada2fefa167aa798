/*
 * flow_types.c: the registry, the flow types of this build. Adding a type is its folder
 * under flowtypes/ plus one line here.
 */
#include "flow_type.h"

#include "order/order.h"
#include "order_status/order_status.h"

const flow_type *const flow_types[] = {
    &order_flow_type,
    &order_status_flow_type,
    NULL,
};
